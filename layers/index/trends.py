"""UVAS trends (young people neither working nor studying) for areas, clusters, the city and the nation."""
from __future__ import annotations

import numpy as np
import pandas as pd

from layers.data.geography import ancestors
from layers.data.package import DataPackage

FOLLOW_UP_YEARS = (2030, 2035)
DEFAULT_AGE_GROUP = "16-29"


def _index_level_codes(pkg: DataPackage, codes: list[str]) -> list[str]:
    """The index-level areas that make up `codes` (an index-level code stands for itself)."""
    m = pkg.manifest
    level_of = pkg.level_of()
    out = []
    for code in codes:
        level = level_of.get(code)
        if level == m.index_level:
            out.append(code)
        elif level is not None and m.level_ids.index(level) < m.level_ids.index(m.index_level):
            up = ancestors(pkg.boundaries, m.levels, m.index_level, level)
            out += list(up.index[up == code])
    return out


def uvas_series(pkg: DataPackage, codes: list[str], age_group: str = DEFAULT_AGE_GROUP) -> pd.DataFrame:
    """UVAS share per year for a set of areas taken together: Σ count / Σ population (count-weighted).

    Columns: year, share (percent), count, population. Codes may be of the index level or
    coarser; reference codes (MALMO, SE) are returned as published.
    """
    rows = pkg.uvas[pkg.uvas["age_group"] == age_group]
    if len(codes) == 1 and codes[0] in pkg.reference_codes:
        one = rows[rows["code"] == codes[0]].sort_values("year")
        population = 100 * one["count"].astype(float) / one["share"].where(one["share"] > 0)
        return pd.DataFrame({"year": one["year"].to_numpy(), "share": one["share"].to_numpy(),
                             "count": one["count"].to_numpy(), "population": population.round().to_numpy()})
    cube = UvasCube(pkg, age_group)
    count, population = cube.totals(_index_level_codes(pkg, codes))
    keep = population > 0
    return pd.DataFrame({"year": np.asarray(cube.years)[keep], "share": 100 * count[keep] / population[keep],
                         "count": count[keep], "population": population[keep]})


def trend_table(pkg: DataPackage, groups: dict[str, list[str]], age_group: str = DEFAULT_AGE_GROUP,
                with_reference: bool = True) -> pd.DataFrame:
    """Long table (series, year, share, count, population, follow_up) for named groups of areas,
    plus the city and the nation, with empty rows for the follow-up years 2030 and 2035."""
    parts = []
    named = dict(groups)
    if with_reference:
        named.update({code: [code] for code in pkg.reference_codes})
    for name, codes in named.items():
        series = uvas_series(pkg, codes, age_group)
        if series.empty:
            continue
        follow = pd.DataFrame({"year": list(FOLLOW_UP_YEARS), "share": np.nan, "count": np.nan, "population": np.nan})
        series = pd.concat([series.assign(follow_up=False), follow.assign(follow_up=True)], ignore_index=True)
        parts.append(series.assign(series=name, age_group=age_group))
    if not parts:
        return pd.DataFrame(columns=["series", "age_group", "year", "share", "count", "population", "follow_up"])
    out = pd.concat(parts, ignore_index=True)
    out["count"] = out["count"].round().astype("Int64")
    out["population"] = out["population"].round().astype("Int64")
    return out[["series", "age_group", "year", "share", "count", "population", "follow_up"]]


class UvasCube:
    """UVAS counts and populations as arrays (index-level areas × years) for fast group sums.

    Built once, it answers many groupings in a row (the dashboard's slider); `uvas_series` uses it too.
    A row's population is count / share.
    """

    def __init__(self, pkg: DataPackage, age_group: str = DEFAULT_AGE_GROUP):
        self.age_group = age_group
        rows = pkg.uvas[(pkg.uvas["age_group"] == age_group) & (pkg.uvas["share"] > 0)]
        self.years = sorted(int(y) for y in pkg.uvas["year"].unique())
        rows = rows.assign(population=100 * rows["count"].astype(float) / rows["share"])
        counts = rows.pivot_table(index="code", columns="year", values="count", aggfunc="sum").reindex(columns=self.years)
        pops = rows.pivot_table(index="code", columns="year", values="population", aggfunc="sum").reindex(columns=self.years)
        self.position = {c: i for i, c in enumerate(counts.index)}
        self.counts = counts.to_numpy(dtype=float)
        self.populations = pops.to_numpy(dtype=float)
        shares = rows.pivot_table(index="code", columns="year", values="share").reindex(columns=self.years)
        self.reference = {c: shares.loc[c].to_numpy(dtype=float) for c in pkg.reference_codes if c in shares.index}

    def totals(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """Σ count and Σ population per year over the given index-level areas (0 where none)."""
        rows = [self.position[c] for c in codes if c in self.position]
        if not rows:
            return np.zeros(len(self.years)), np.zeros(len(self.years))
        return np.nansum(self.counts[rows], axis=0), np.nansum(self.populations[rows], axis=0)

    def share(self, codes) -> np.ndarray:
        """Σ count / Σ population per year, percent; NaN for years without data."""
        if len(codes) == 1 and codes[0] in self.reference:
            return self.reference[codes[0]]
        count, pop = self.totals(codes)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(pop > 0, 100 * count / pop, np.nan)


def with_projection(table: pd.DataFrame, until: int) -> pd.DataFrame:
    """The trend table with each series' projected years (layers/analysis/projection.py) up to `until`:
    rows marked projected=True with share and its 95 % prediction interval (lower, upper)."""
    from layers.analysis.projection import project
    parts = []
    for (name, age), rows in table.groupby(["series", "age_group"], sort=False):
        observed = rows[rows["share"].notna()]
        projection = project(observed["year"], observed["share"], until)
        rows = rows[~rows["year"].isin(projection["years"] if projection else [])].assign(projected=False, lower=np.nan, upper=np.nan)
        if projection:
            ahead = pd.DataFrame({"series": name, "age_group": age, "year": projection["years"], "share": projection["share"],
                                  "lower": projection["lower"], "upper": projection["upper"], "projected": True,
                                  "follow_up": [y in FOLLOW_UP_YEARS for y in projection["years"]]})
            rows = pd.concat([rows, ahead], ignore_index=True)
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True)
    return out[["series", "age_group", "year", "share", "lower", "upper", "projected", "count", "population", "follow_up"]]

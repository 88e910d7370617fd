"""The index engine: from a validated package to index, ranking and clusters for any weighting.

Steps, each named and inspectable (after COINr): raw values at a level → disclosure control →
normalisation → weighting → aggregation → ranking. Everything that does not depend on the
weights is prepared once per level and kept, so a new weighting costs a matrix product.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from layers.index.disclosure import (AGGREGATE, apply_disclosure, disclosure_report, numerators, own_checks, protected_counts, round_counts,
                         share, shown_values)
from layers.errors import EngineError
from layers.data.geography import ancestors, shared_border_lengths
from layers.index.normalise import aggregate, check_method, normalise
from layers.data.package import DataPackage
from layers.index.weights import check_weights, normalise_weights

DEFAULT_NORMALISATION = "minmax"
DEFAULT_AGGREGATION = "arithmetic"


def raw_values(pkg: DataPackage, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator values (percent) and denominators (persons) per area of `level`, before disclosure.

    At the index level and finer, the package's own rows for each indicator's year. At a
    coarser level, recomputed from the index level's summed numerators and denominators.
    """
    m = pkg.manifest
    codes = pkg.boundaries[level].index
    keys = m.indicator_keys
    if m.level_ids.index(level) >= m.level_ids.index(m.index_level):
        years = {i.key: i.year for i in m.indicators}
        rows = pkg.indicators[pkg.indicators["code"].isin(codes)]
        rows = rows[rows["year"] == rows["indicator"].map(years)]
        values = rows.pivot(index="code", columns="indicator", values="value").reindex(index=codes, columns=keys)
        dens = rows.pivot(index="code", columns="indicator", values="denominator").reindex(index=codes, columns=keys)
        return values.astype(float), dens.astype(float)
    base_values, base_dens = raw_values(pkg, m.index_level)
    parent_of = ancestors(pkg.boundaries, m.levels, m.index_level, level)
    num = numerators(base_values, base_dens).groupby(parent_of).sum(min_count=1)
    den = base_dens.groupby(parent_of).sum(min_count=1)
    return share(num, den).reindex(codes), den.reindex(codes)


def city_values(pkg: DataPackage) -> pd.Series:
    """Whole-city value per indicator (percent), from the index level's summed *raw* counts (not
    shown to users: the engine shows `Engine.city`, from protected counts)."""
    values, dens = raw_values(pkg, pkg.manifest.index_level)
    return 100.0 * numerators(values, dens).sum() / dens.sum()


def population_at(pkg: DataPackage, level: str, age_group: str) -> pd.Series:
    """Persons per area of `level` in `age_group`, latest year; summed up from the finest level that has counts."""
    m = pkg.manifest
    pop = pkg.population[pkg.population["age_group"] == age_group]
    codes = pkg.boundaries[level].index
    for source in m.level_ids[m.level_ids.index(level):]:
        rows = pop[pop["code"].isin(pkg.boundaries[source].index)]
        if len(rows):
            rows = rows[rows["year"] == rows["year"].max()].set_index("code")["count"].astype(float)
            if source != level:
                rows = rows.groupby(ancestors(pkg.boundaries, m.levels, source, level).reindex(rows.index)).sum()
            return rows.reindex(codes)
    return pd.Series(np.nan, index=codes)


@dataclass
class LevelData:
    """Everything about one level that does not depend on the weights."""

    level: str
    codes: np.ndarray
    names: np.ndarray
    raw: pd.DataFrame
    denominators: pd.DataFrame
    values: pd.DataFrame  # after disclosure, rounded as shown (disclosure.DECIMALS)
    flags: pd.DataFrame
    population: np.ndarray  # persons, rounded as shown (disclosure.COUNT_BASE): nothing downstream sees exact counts
    children: np.ndarray  # aged 0–18, rounded as shown
    normalised: dict[str, np.ndarray] = field(default_factory=dict)
    neighbour_pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    graphs: dict = field(default_factory=dict)  # min_shared_m → libpysal Graph (Engine.graph)

    @property
    def has_data(self) -> np.ndarray:
        return self.values.notna().any(axis=1).to_numpy()


@dataclass
class IndexResult:
    level: str
    keys: list[str]
    codes: np.ndarray
    names: np.ndarray
    index: np.ndarray  # NaN where the area has no data
    rank: np.ndarray  # 1 = highest need; 0 where no index
    scaled: np.ndarray
    values: np.ndarray
    weights: dict[str, float]  # normalised to sum 1
    normalisation: str
    aggregation: str

    @cached_property
    def position(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.codes)}

    def frame(self) -> pd.DataFrame:
        """One row per area sorted by rank (areas without data last): code, name, index, rank, scaled_* and value_*."""
        df = pd.DataFrame({"code": self.codes, "name": self.names, "index": self.index,
                           "rank": np.where(self.rank > 0, self.rank, pd.NA)})
        for j, key in enumerate(self.keys):
            df[f"scaled_{key}"] = self.scaled[:, j]
        for j, key in enumerate(self.keys):
            df[f"value_{key}"] = self.values[:, j]
        df["rank"] = df["rank"].astype("Int64")
        order = np.lexsort((self.codes, np.where(self.rank > 0, self.rank, len(self.codes) + 1)))
        return df.iloc[order].reset_index(drop=True)


def rank_desc(index: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest index; ties broken by area code; 0 for areas without an index. `index`
    is areas, or areas × draws (a ranking per column, as the robustness analysis needs)."""
    x = index if index.ndim == 2 else index[:, None]
    by_code = np.argsort(codes, kind="stable")
    key = np.where(np.isnan(x), -np.inf, x)[by_code]
    order = np.argsort(-key, axis=0, kind="stable")
    ranks = np.empty(x.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, np.arange(1, x.shape[0] + 1)[:, None], axis=0)
    out = np.empty_like(ranks)
    out[by_code] = ranks
    out[np.isnan(x)] = 0
    return out if index.ndim == 2 else out[:, 0]


class Engine:
    """Index, ranking and clusters for one data package; prepared state is cached per level."""

    def __init__(self, pkg: DataPackage):
        self.pkg = pkg
        self.keys = pkg.manifest.indicator_keys
        self._levels: dict[str, LevelData] = {}
        self._city: pd.Series | None = None
        self._protected: tuple[pd.DataFrame, pd.DataFrame] | None = None

    @property
    def city(self) -> pd.Series:
        """Whole-city value per indicator (percent), from the index level's protected counts."""
        if self._city is None:
            num, den = self.protected_counts()
            self._city = shown_values(share(num.sum(), den.sum()))
        return self._city

    @cached_property
    def _rules(self) -> tuple[dict, dict]:
        m = self.pkg.manifest
        return {i.key: i.suppress_below for i in m.indicators}, {k: m.min_denominator_for(k) for k in self.keys}

    def protected_counts(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(numerators, denominators) per index-level area that coarser levels are summed from:
        cells below the minimum denominator left out, low values counted as 0 (persons)."""
        if self._protected is None:
            raw, dens = raw_values(self.pkg, self.pkg.manifest.index_level)
            small, low = own_checks(raw, dens, *self._rules)
            self._protected = protected_counts(raw, dens, small, low)
        return self._protected

    def level(self, level: str | None = None) -> LevelData:
        level = level or self.pkg.manifest.index_level
        if level not in self.pkg.boundaries:
            raise EngineError(f"unknown level '{level}' (choose {', '.join(self.pkg.manifest.level_ids)})")
        if level not in self._levels:
            self._levels[level] = self._prepare(level)
        return self._levels[level]

    def _prepare(self, level: str) -> LevelData:
        """Disclosed values of a level, top-down: a replacement is the parent level's disclosed
        value, and a coarser level's value is the share of its members' protected counts."""
        m, pkg = self.pkg.manifest, self.pkg
        raw, dens = raw_values(pkg, level)
        coarser = m.level_ids.index(level) < m.level_ids.index(m.index_level)
        candidate, candidate_dens = raw, dens
        if coarser:
            num, den = self.protected_counts()
            parent_of = ancestors(pkg.boundaries, m.levels, m.index_level, level)
            candidate_dens = den.groupby(parent_of).sum(min_count=1).reindex(raw.index)
            candidate = share(num.groupby(parent_of).sum(min_count=1).reindex(raw.index), candidate_dens)
        parent_level = m.level(level).parent
        if parent_level is None:
            parent = pd.DataFrame([self.city.to_numpy()] * len(raw), index=raw.index, columns=raw.columns)
            parent_flags = None
        else:
            above = self.level(parent_level)
            parent_codes = pkg.boundaries[level]["parent"]
            parent = above.values.reindex(parent_codes).set_axis(raw.index)
            parent_flags = above.flags.reindex(parent_codes).set_axis(raw.index).fillna("")
        values, flags = apply_disclosure(candidate, candidate_dens, parent, *self._rules, parent_flags=parent_flags)
        # changed as shown: at the decimals shown (a GeSO share rounded the same with and without its protected cells is unchanged)
        changed = ~np.isclose(shown_values(values).to_numpy(float), shown_values(raw).to_numpy(float), rtol=0, atol=1e-9, equal_nan=True)
        flags = flags.mask((flags == "") & changed, AGGREGATE)  # an aggregate without its protected cells
        areas = pkg.boundaries[level]
        return LevelData(level, areas.index.to_numpy(), areas["name"].to_numpy(), raw, dens, shown_values(values), flags,
                         round_counts(population_at(pkg, level, "total").to_numpy()),
                         round_counts(population_at(pkg, level, pkg.children_age_group).to_numpy()))

    def disclosure_report(self, levels: list[str] | None = None) -> pd.DataFrame:
        """Every cell whose shown value differs from its raw value, per level: level, code, name,
        indicator, change, value_before, value_shown (percent), denominator (persons)."""
        frames = []
        for level in levels or self.pkg.manifest.level_ids:
            data = self.level(level)
            report = disclosure_report(data.flags, pd.Series(data.names, index=data.codes))
            at = list(zip(report["code"], report["indicator"]))
            report["value_before"] = [data.raw.at[c, k] for c, k in at]
            report["value_shown"] = [data.values.at[c, k] for c, k in at]
            report["denominator"] = [data.denominators.at[c, k] for c, k in at]
            report.insert(0, "level", level)
            frames.append(report)
        return pd.concat(frames, ignore_index=True)

    def normalised(self, level: str | None, method: str) -> np.ndarray:
        data = self.level(level)
        if method not in data.normalised:
            data.normalised[method] = normalise(data.values.to_numpy(dtype=float), method, self.city.to_numpy())
        return data.normalised[method]

    def neighbours(self, level: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Touching pairs as (i, j, shared border in metres), positions into the level's codes."""
        data = self.level(level)
        if data.neighbour_pairs is None:
            pairs = shared_border_lengths(self.pkg.boundaries[data.level])
            pos = {c: i for i, c in enumerate(data.codes)}
            data.neighbour_pairs = (pairs["a"].map(pos).to_numpy(), pairs["b"].map(pos).to_numpy(),
                                    pairs["length_m"].to_numpy())
        return data.neighbour_pairs

    def graph(self, level: str | None, min_shared_m: float):
        """The level's neighbours as one libpysal Graph (binary, symmetric; ids are positions into the
        level's codes; an area without a neighbour is an isolate), built once per level and border
        length and shared by the clusters, the hot spots and the robustness analysis."""
        data = self.level(level)
        key = float(min_shared_m)
        if key not in data.graphs:
            from libpysal.graph import Graph
            i, j, length = self.neighbours(data.level)
            keep = length >= key
            a, b = np.r_[i[keep], j[keep]], np.r_[j[keep], i[keep]]
            alone = np.setdiff1d(np.arange(len(data.codes)), a)
            focal, neighbor = np.r_[a, alone], np.r_[b, alone]
            weight = np.r_[np.ones(len(a)), np.zeros(len(alone))]
            order = np.lexsort((neighbor, focal))
            data.graphs[key] = Graph.from_arrays(focal[order], neighbor[order], weight[order])
        return data.graphs[key]

    def index(self, weights: dict[str, float] | None = None, level: str | None = None,
              normalisation: str = DEFAULT_NORMALISATION, aggregation: str = DEFAULT_AGGREGATION) -> IndexResult:
        """Compute the index for a weighting (default: equal weights, as published)."""
        check_method(normalisation, aggregation)
        weights = normalise_weights(check_weights(weights or {k: 1.0 for k in self.keys}, self.keys))
        data = self.level(level)
        scaled = self.normalised(data.level, normalisation)
        w = np.array([weights[k] for k in self.keys])
        index = aggregate(scaled, w, aggregation)
        return IndexResult(data.level, self.keys, data.codes, data.names, index, rank_desc(index, data.codes),
                           scaled, data.values.to_numpy(dtype=float), weights, normalisation, aggregation)

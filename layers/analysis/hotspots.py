"""Is this a real hot spot or chance? Local spatial statistics with PySAL (libpysal weights, esda).

Spatial weights are the cluster rule's own neighbours: areas sharing at least `min_shared_m` metres
of border (EPSG:3006), row-standardised. Areas without data are left out; areas with no neighbour
among those left are *islands* and are reported as such, not tested.

- `lisa`: Local Moran's I (esda.Moran_Local). Categories by the Moran scatterplot quadrant of a
  significant area: HH (high among high: a hot spot), LL, HL (a high outlier), LH; else `ns`.
- `gi`: Getis-Ord Gi* (esda.G_Local with star=True): HH for a significant high cluster (z > 0),
  LL for a low one; else `ns`.

Inference is by conditional permutation (`permutations`, default 999, seeded); `fdr` applies the
Benjamini–Hochberg false-discovery-rate correction at `alpha` across the tested areas.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.index.clusters import DEFAULT_MIN_SHARED_M
from layers.index.engine import Engine
from layers.errors import EngineError

STATISTICS = ("lisa", "gi")
CATEGORIES = ("HH", "LL", "HL", "LH", "ns", "island")
QUADRANT = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}  # esda's Moran_Local.q


@dataclass(frozen=True)
class HotspotSettings:
    statistic: str = "lisa"
    permutations: int = 999
    alpha: float = 0.05
    fdr: bool = False
    seed: int | None = 0
    min_shared_m: float = DEFAULT_MIN_SHARED_M

    def __post_init__(self):
        if self.statistic not in STATISTICS:
            raise EngineError(f"unknown statistic '{self.statistic}' (choose {', '.join(STATISTICS)})")
        if not isinstance(self.permutations, int) or not 99 <= self.permutations <= 99_999:
            raise EngineError(f"permutations must be a whole number from 99 to 99 999, got {self.permutations!r}")
        if not 0 < self.alpha < 1:
            raise EngineError(f"alpha must be between 0 and 1, got {self.alpha!r}")


def spatial_weights(engine: Engine, level: str, valid: np.ndarray, min_shared_m: float):
    """(the level's neighbour graph (Engine.graph) over the areas with data and a neighbour among
    them, row-standardised; positions of those areas; positions of the islands)."""
    kept = engine.level(level).graphs  # with the level's graphs: the areas with data are the same for most weightings
    key = ("tested", float(min_shared_m), valid.tobytes())
    if key not in kept:
        with_data = engine.graph(level, min_shared_m).subgraph(np.flatnonzero(valid))
        islands = np.sort(np.asarray(with_data.isolates, dtype=int))
        tested = np.setdiff1d(np.flatnonzero(valid), islands)
        if len(tested) < 3:
            raise EngineError("too few areas with neighbours for a local statistic (need at least 3)")
        w = with_data.subgraph(tested).transform("r")
        kept[key] = (w, np.asarray(w.unique_ids, dtype=int), islands)  # y is taken in the graph's order
    return kept[key]


def benjamini_hochberg(p: np.ndarray, alpha: float) -> np.ndarray:
    """True where a p-value is significant after the Benjamini–Hochberg correction at `alpha`.

    Not esda.fdr: it compares with a strict `<` and returns the Bonferroni bound when nothing
    passes, so a p-value exactly at a boundary k·α/n is not significant there (for p = 0.01, 0.04,
    0.03, 0.20, 0.005 at α = 0.05 it keeps 3 where Benjamini and Hochberg keep 4). Permutation
    p-values are multiples of 1/(permutations + 1), so such equalities do happen
    (tests/test_analysis.py shows the example)."""
    n = len(p)
    order = np.argsort(p)
    passed = p[order] <= alpha * np.arange(1, n + 1) / n
    out = np.zeros(n, dtype=bool)
    if passed.any():
        out[order[: np.flatnonzero(passed).max() + 1]] = True
    return out


HOT_CLUSTER_SHARE = 0.5  # a cluster is a significant hot spot when at least this share of its members is HH


def hot_clusters(clusters, category_of: dict[str, str | None]) -> dict[str, dict]:
    """Per cluster id: how many of its members are significant HH hot spots, of how many, and
    whether that makes the cluster a hot spot (at least HOT_CLUSTER_SHARE of them)."""
    out = {}
    for c in clusters:
        members = [m["code"] for m in c["members"]] if isinstance(c, dict) else list(c.members)
        hh = sum(1 for code in members if category_of.get(code) == "HH")
        out[c["id"] if isinstance(c, dict) else c.id] = {"hh": hh, "n": len(members), "hot": hh >= HOT_CLUSTER_SHARE * len(members)}
    return out


def hotspots(engine: Engine, weights: dict[str, float] | None = None, level: str | None = None,
             normalisation: str = "minmax", aggregation: str = "arithmetic",
             settings: HotspotSettings | None = None) -> pd.DataFrame:
    """Per area: code, name, index, statistic, z (Gi*'s z; Moran's standardised I), p_value, significant, category."""
    import esda

    s = settings or HotspotSettings()
    result = engine.index(weights, level, normalisation, aggregation)
    valid = ~np.isnan(result.index)
    w, tested, islands = spatial_weights(engine, result.level, valid, s.min_shared_m)
    y = result.index[tested]
    with warnings.catch_warnings():  # esda says when numba is missing: slower, same numbers
        warnings.simplefilter("ignore")
        if s.statistic == "lisa":
            stat = esda.Moran_Local(y, w, permutations=s.permutations, seed=s.seed, n_jobs=1)
            values, z, p = stat.Is, stat.z_sim, stat.p_sim
        else:
            stat = esda.G_Local(y, w, star=True, permutations=s.permutations, seed=s.seed, n_jobs=1)
            values, z, p = stat.Gs, stat.Zs, stat.p_sim
    significant = benjamini_hochberg(p, s.alpha) if s.fdr else p <= s.alpha
    if s.statistic == "lisa":
        category = np.array([QUADRANT[int(q)] if sig else "ns" for q, sig in zip(stat.q, significant)])
    else:
        category = np.where(significant, np.where(z > 0, "HH", "LL"), "ns")
    n = len(result.codes)
    frame = pd.DataFrame({"code": result.codes.astype(str), "name": result.names.astype(str), "index": result.index,
                          "statistic": np.nan, "z": np.nan, "p_value": np.nan, "significant": False, "category": "ns"})
    frame.loc[tested, ["statistic", "z", "p_value"]] = np.column_stack([values, z, p])
    frame.loc[tested, "significant"] = significant
    frame.loc[tested, "category"] = category
    frame.loc[islands, "category"] = "island"
    frame.loc[~valid, "category"] = None  # no data: not part of the analysis
    frame.attrs.update(statistic=s.statistic, permutations=s.permutations, alpha=s.alpha, fdr=s.fdr, seed=s.seed,
                       min_shared_m=s.min_shared_m, islands=int(len(islands)), tested=int(len(tested)), areas=n)
    return frame

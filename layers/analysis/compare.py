"""Two weightings side by side: which areas enter and leave the top N and the clusters, how far each
moves, and how the weights differ (a function over two engine results; the CLI, the compare page
and the presentation mode call it).

Ranks follow the engine (1 = highest need; ties broken by area code); rank change is
rank in A − rank in B, so a positive change means the area rises (higher need) under B.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.index.clusters import DEFAULT_TOP_N, Cluster, ClusterSettings, find_clusters  # noqa: F401 (DEFAULT_TOP_N: for the compare page)
from layers.index.engine import Engine, IndexResult
from layers.errors import EngineError

SLOPE_TOP = 20  # the slope chart shows the union of both top-20 lists


@dataclass
class Side:
    """One weighting: its index result at the compared level and its clusters (index level)."""

    result: IndexResult
    clusters: list[Cluster]

    @property
    def cluster_of(self) -> dict[str, str]:
        return {code: c.id for c in self.clusters for code in c.members}


def side(engine: Engine, weights: dict[str, float] | None, level: str | None = None, normalisation: str = "minmax",
         aggregation: str = "arithmetic", cluster_settings: ClusterSettings | None = None) -> Side:
    """Index result at `level` and clusters at the index level for one weighting."""
    result = engine.index(weights, level, normalisation, aggregation)
    index_level = engine.pkg.manifest.index_level
    base = result if result.level == index_level else engine.index(weights, index_level, normalisation, aggregation)
    return Side(result, find_clusters(engine, base, cluster_settings))


@dataclass
class Comparison:
    areas: pd.DataFrame  # per area: code, name, rank_a, rank_b, rank_change, index_a, index_b, index_change, in_top_a/b, cluster_a/b
    top_n: int
    weights: list[dict]  # per indicator: key, share_a, share_b, factor, kind

    def entering(self) -> pd.DataFrame:
        """Areas in B's top N but not A's, by rank in B."""
        return self.areas[self.areas["in_top_b"] & ~self.areas["in_top_a"]].sort_values("rank_b")

    def leaving(self) -> pd.DataFrame:
        """Areas in A's top N but not B's, by rank in A."""
        return self.areas[self.areas["in_top_a"] & ~self.areas["in_top_b"]].sort_values("rank_a")

    def entering_clusters(self) -> pd.DataFrame:
        a, b = self.areas["cluster_a"].notna(), self.areas["cluster_b"].notna()
        return self.areas[b & ~a].sort_values("rank_b")

    def leaving_clusters(self) -> pd.DataFrame:
        a, b = self.areas["cluster_a"].notna(), self.areas["cluster_b"].notna()
        return self.areas[a & ~b].sort_values("rank_a")

    def slope(self, top: int = SLOPE_TOP) -> pd.DataFrame:
        """The union of both top-`top` lists, by best rank."""
        a, b = self.areas["rank_a"], self.areas["rank_b"]
        keep = ((a >= 1) & (a <= top)) | ((b >= 1) & (b <= top))
        return self.areas[keep].assign(best=np.minimum(a.where(a > 0, 10**9), b.where(b > 0, 10**9))).sort_values("best").drop(columns="best")

    def as_dict(self) -> dict:
        def rows(frame):
            return [{"code": r.code, "name": r.name, "rank_a": int(r.rank_a), "rank_b": int(r.rank_b)} for r in frame.itertuples()]
        return {"top_n": self.top_n, "entering_top": rows(self.entering()), "leaving_top": rows(self.leaving()),
                "entering_clusters": rows(self.entering_clusters()), "leaving_clusters": rows(self.leaving_clusters()),
                "weights": self.weights, "areas": _records(self.areas)}


def compare(a: Side, b: Side, top_n: int = DEFAULT_TOP_N) -> Comparison:
    """Per area of the compared level: ranks, index, top-N membership and cluster ids under A and B."""
    ra, rb = a.result, b.result
    if ra.level != rb.level or list(ra.codes) != list(rb.codes):
        raise EngineError("A and B must be computed at the same level")
    if not isinstance(top_n, (int, np.integer)) or top_n < 1:
        raise EngineError(f"top N must be a whole number ≥ 1, got {top_n!r}")
    rank_a, rank_b = ra.rank.astype(int), rb.rank.astype(int)
    ca, cb = a.cluster_of, b.cluster_of
    areas = pd.DataFrame({
        "code": [str(c) for c in ra.codes], "name": [str(n) for n in ra.names],
        "rank_a": rank_a, "rank_b": rank_b,
        "rank_change": np.where((rank_a > 0) & (rank_b > 0), rank_a - rank_b, 0),
        "index_a": ra.index, "index_b": rb.index, "index_change": rb.index - ra.index,
        "in_top_a": (rank_a > 0) & (rank_a <= top_n), "in_top_b": (rank_b > 0) & (rank_b <= top_n),
    })
    areas["cluster_a"] = areas["code"].map(ca).astype(object).where(areas["code"].isin(list(ca)), None)
    areas["cluster_b"] = areas["code"].map(cb).astype(object).where(areas["code"].isin(list(cb)), None)
    return Comparison(areas, int(top_n), weight_changes(ra.weights, rb.weights))


def weight_changes(a: dict[str, float], b: dict[str, float], tolerance: float = 0.05) -> list[dict]:
    """How B weighs each indicator relative to A, as a facilitator would say it.

    `factor` is B's weight over A's, relative to the ratio that most indicators share, so that
    (2,1,1,1) against (1,1,1,1) says 'double' for the first and nothing for the rest, and scaling
    every weight alike changes nothing. When no ratio is shared by more indicators than any other,
    the factor is the ratio of the shares. `kind`: same, more, less, off (A weighs it, B not), on (B only)."""
    sa, sb = sum(a.values()), sum(b.values())
    ratios = [round(b[k] / a[k], 6) for k in a if a[k] > 0 and b.get(k, 0) > 0]
    counts = pd.Series(ratios, dtype=float).value_counts()
    # the ratio most indicators share is "unchanged"; without one such ratio, compare the shares
    typical = float(counts.index[0]) if len(counts) and counts.iloc[0] >= 2 and (len(counts) == 1 or counts.iloc[1] < counts.iloc[0]) else sb / sa
    out = []
    for key in a:
        wa, wb = a[key], b.get(key, 0.0)
        if wa == 0 and wb == 0:
            factor, kind = 1.0, "same"
        elif wb == 0:
            factor, kind = 0.0, "off"
        elif wa == 0:
            factor, kind = float("inf"), "on"
        else:
            factor = (wb / wa) / typical
            kind = "same" if abs(factor - 1) <= tolerance else ("more" if factor > 1 else "less")
        out.append({"key": key, "share_a": round(wa / sa, 4), "share_b": round(wb / sb, 4),
                    "factor": None if factor == float("inf") else round(factor, 2), "kind": kind})
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and v != v else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()})
    return out

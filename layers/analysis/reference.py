"""The index against an outside classification: SCB's områdestyp (1–5 per RegSO, from its
socio-economic index with Delmos; TAB6586), when the package holds it (`reference/…`).

Two measures, both about areas, never people:
- Spearman's rank correlation of the index with the områdestyp turned round (type 1, "stora
  socioekonomiska utmaningar", is the highest need), so +1 means the same order;
- a cross-table: the areas in five equal groups by the index's rank (the highest fifth first)
  against the five types, and how many of the index's top N each type holds.

`comparison()` gives the numbers and `words()` says them in plain Swedish or English; the CLI
(`python -m layers reference`) and the dashboard's panel both print those.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import spearmanr

from layers.errors import EngineError
from layers.index.engine import Engine
from layers.output.texts import number, t

TYPES = (1, 2, 3, 4, 5)
GROUPS = 5  # the index's rank in fifths
STRONG, SOME = 0.7, 0.4  # |rho| at or above: "clearly the same order", "partly"


@dataclass
class Comparison:
    level: str
    year: int | None
    n: int  # areas with both an index and a type
    rho: float | None  # None below three areas, or when either side does not vary
    top_n: int
    top_types: list[int]  # of the index's top N: how many of each type 1–5
    table: list[list[int]]  # GROUPS rows (highest fifth first) × 5 types
    groups: list[tuple[int, int]]  # each row's ranks, first and last

    def as_dict(self) -> dict:
        return asdict(self)


def comparison(engine: Engine, weights: dict | None = None, normalisation: str = "minmax", aggregation: str = "arithmetic",
               top_n: int = 10) -> Comparison:
    pkg = engine.pkg
    if pkg.reference is None:
        raise EngineError("this package has no reference classification (build it with python -m layers build scb)")
    spec = pkg.manifest.raw["reference"]
    level = spec["level"]
    result = engine.index(weights, level, normalisation, aggregation)
    types = pkg.reference.set_index("code")["omradestyp"].reindex(result.codes).to_numpy(dtype=float)
    ok = np.isfinite(result.index) & np.isfinite(types)
    index, types, rank = result.index[ok], types[ok].astype(int), result.rank[ok]
    n = int(ok.sum())
    rho = None
    if n >= 3 and np.ptp(index) > 0 and np.ptp(types) > 0:
        rho = float(spearmanr(index, -types).statistic)
    order = np.argsort(rank, kind="stable")  # rank 1 first
    bounds = np.linspace(0, n, GROUPS + 1).round().astype(int)
    table, groups = [], []
    for g in range(GROUPS):
        members = order[bounds[g]:bounds[g + 1]]
        table.append([int((types[members] == k).sum()) for k in TYPES])
        groups.append((int(bounds[g] + 1), int(bounds[g + 1])))
    top = order[:min(top_n, n)]
    return Comparison(level, spec.get("year"), n, None if rho is None else round(rho, 3), min(top_n, n),
                      [int((types[top] == k).sum()) for k in TYPES], table, groups)


def words(c: Comparison | dict, lang: str) -> list[str]:
    """The comparison in sentences: how alike the orders are, and where the index's top N lie."""
    c = c if isinstance(c, dict) else c.as_dict()
    if c["n"] == 0:
        return [t(lang, "ref_none")]
    out = []
    if c["rho"] is None:
        out.append(t(lang, "ref_rho_none", n=c["n"]))
    else:
        strength = ("ref_strong" if c["rho"] >= STRONG else "ref_some" if c["rho"] >= SOME
                    else "ref_opposite" if c["rho"] <= -SOME else "ref_weak")
        out.append(t(lang, strength, rho=number(c["rho"], lang, 2), n=c["n"]))
    hard = c["top_types"][0] + c["top_types"][1]
    out.append(t(lang, "ref_top", top=c["top_n"], hard=hard, first=c["top_types"][0]))
    return out


def type_label(k: int, lang: str) -> str:
    return t(lang, f"ref_type_{k}")

"""What does it mean for the money? Split a budget between units by a stated rule.

Rules: `need` (the index), `children` (persons aged 0–18), `need_children` (index × children).
Units: the areas of a level (GeSO, delområden) or the clusters (a cluster's need is its population-weighted mean index).

Amounts are whole thousands of kronor (`STEP`) and sum exactly to the budget rounded down to whole
thousands (largest-remainder rounding: everyone gets the whole steps of their exact share, and the
steps left go to the largest remainders, ties by unit code); what is left below one step is stated,
not shared.

What it splits on is what is shown (docs/method.md): children as shown (rounded to tens) and the
index at the decimals shown, and a cluster's need is its mean index weighted by the *shown*
populations. Dividing the amounts by their total therefore gives back nothing but the shown numbers
(the review recovered every NYKO area's exact number of children from a budget of 10^12 kr). With a floor, every amount is 0 or at least the floor: while some unit's exact share is
below the floor, the unit with the smallest share drops out and the budget is shared again among
the rest (so dropping one can lift another above the floor).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from layers.index.clusters import ClusterSettings, find_clusters
from layers.index.disclosure import DECIMALS, round_counts
from layers.index.engine import Engine
from layers.errors import EngineError
from layers.reading import parse_decimal

RULES = ("need", "children", "need_children")
STEP = 1000  # kronor: amounts are whole thousands


def largest_remainder(exact: np.ndarray, total: int, keys) -> np.ndarray:
    """Whole numbers summing to `total`: floors, then one more to the largest remainders (ties by key)."""
    whole = np.floor(exact).astype(np.int64)
    left = int(total - whole.sum())
    if left:
        order = np.lexsort((np.asarray(keys, dtype=str), -(exact - whole)))
        whole[order[:left]] += 1
    return whole


def split(basis: np.ndarray, budget: int, floor: int = 0, keys=None, step: int = 1) -> np.ndarray:
    """Amounts ∝ `basis` (≥ 0, NaN = not eligible) in whole `step`s, summing to `budget` rounded down
    to whole steps; each 0 or ≥ `floor`."""
    basis = np.where(np.isfinite(basis) & (basis > 0), basis, 0.0)
    keys = np.arange(len(basis)).astype(str) if keys is None else np.asarray(keys, dtype=str)
    if not isinstance(budget, (int, np.integer)) or budget < 0:
        raise EngineError(f"the budget must be a whole number of kronor ≥ 0, got {budget!r}")
    if floor < 0 or floor > budget:
        raise EngineError(f"the floor must be from 0 to the budget ({budget}), got {floor!r}")
    active = basis > 0
    if not active.any():
        raise EngineError("no unit has anything to share by: every basis is 0 or missing")
    while True:
        exact = np.where(active, basis, 0) / basis[active].sum() * budget
        below = active & (exact < floor)
        if not below.any():
            break
        smallest = np.flatnonzero(below)[np.argmin(exact[below])]
        active[smallest] = False
        if not active.any():
            raise EngineError(f"no unit reaches the floor of {floor} kronor with a budget of {budget}")
    steps = budget // step
    return largest_remainder(np.where(active, exact, 0) / step, steps, keys) * step


UNITS = ("level", "cluster")  # the view's level, or the clusters
BUDGET_MAX = 10**12  # kronor
MAP_QUANTILES = (0.25, 0.5, 0.75)


def check_terms(budget, rule, unit, floor) -> tuple[tuple | None, str | None]:
    """The allocation's terms as typed (the page's panel, a link, the CLI) → (budget, rule, unit,
    floor) as numbers and choices, or the text key of the problem."""
    budget, floor = parse_decimal(budget), parse_decimal(floor or 0)  # the one reader of typed numbers
    if budget is None or floor is None or abs(budget) > 10 * BUDGET_MAX or abs(floor) > 10 * BUDGET_MAX:
        return None, "alloc_bad_number"
    budget, floor = int(budget), int(floor)
    if not 1 <= budget <= BUDGET_MAX or not 0 <= floor <= budget:
        return None, "alloc_bad_number"
    if rule not in RULES or unit not in UNITS:
        return None, "alloc_bad_choice"
    return (budget, rule, unit, floor), None



def map_classes(amounts: dict[str, int]) -> dict:
    """The allocation map's classes: 0 for no money, 1–4 by the quartiles of the amounts above 0;
    `bounds` are the lowest amount, the three quartiles and the highest (the legend's ranges)."""
    positive = sorted(a for a in amounts.values() if a and a > 0)
    edges = [positive[int(q * (len(positive) - 1))] if positive else 0 for q in MAP_QUANTILES]
    classes = {code: 0 if not a or a <= 0 else 1 + sum(a > e for e in edges) for code, a in amounts.items()}
    return {"classes": classes, "bounds": [positive[0], *edges, positive[-1]] if positive else []}


def allocate(engine: Engine, budget: int, unit: str = "geso", rule: str = "need", floor: int = 0,
             weights: dict[str, float] | None = None, normalisation: str = "minmax", aggregation: str = "arithmetic",
             cluster: ClusterSettings | None = None) -> pd.DataFrame:
    """Per unit: code, name, need (index at the decimals shown), children (0–18, as shown: rounded to
    tens), basis, share, amount (kronor, whole thousands)."""
    if rule not in RULES:
        raise EngineError(f"unknown rule '{rule}' (choose {', '.join(RULES)})")
    m = engine.pkg.manifest
    if unit != "cluster" and unit not in m.level_ids:
        raise EngineError(f"unknown unit '{unit}' (choose cluster or a level: {', '.join(m.level_ids)})")
    if unit == "cluster":
        result = engine.index(weights, m.index_level, normalisation, aggregation)
        groups = find_clusters(engine, result, cluster)
        frame = pd.DataFrame({"code": [c.id for c in groups], "name": [c.name for c in groups], "lead": [c.member_names[0] for c in groups],
                              "need": [c.mean_index for c in groups], "children": [float(round_counts(c.children)) for c in groups],
                              "members": [",".join(c.members) for c in groups]})
    else:
        level = unit
        result = engine.index(weights, level, normalisation, aggregation)
        data = engine.level(level)
        frame = pd.DataFrame({"code": result.codes.astype(str), "name": result.names.astype(str),
                              "need": result.index, "children": round_counts(data.children)})
    if frame.empty:
        raise EngineError("no units to share the budget between (no clusters for these settings)")
    frame["need"] = frame["need"].round(DECIMALS["index"])  # as shown
    basis = {"need": frame["need"], "children": frame["children"], "need_children": frame["need"] * frame["children"]}[rule]
    amounts = split(basis.to_numpy(dtype=float), int(budget), int(floor), frame["code"], STEP)
    frame["basis"] = basis
    frame["amount"] = amounts
    frame["share"] = amounts / budget if budget else 0.0
    frame.attrs.update(budget=int(budget), unit=unit, rule=rule, floor=int(floor), generated=engine.pkg.is_generated(),
                       step=STEP, undistributed=int(budget) - int(amounts.sum()))
    return frame.sort_values(["amount", "code"], ascending=[False, True]).reset_index(drop=True)

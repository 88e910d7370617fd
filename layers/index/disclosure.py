"""Statistical disclosure control, applied so that nothing shown rests on a protected value.

The published rules (Stadskontoret 2024), per cell (area × indicator):
1. *Small*: an area whose denominator is below the minimum does not show its own value; it
   shows its parent's value instead.
2. *Low*: a value below an indicator's `suppress_below` (percent) is shown as 0.

How they are applied here, so that they protect at every level:
- A cell's own check (small, low) depends only on its own raw value and denominator.
- A replacement is always a *disclosed* value: the parent's value after the parent's own
  disclosure, computed top-down (city → GeSO → delområde → NYKO). A finer level therefore never
  shows a coarser level's suppressed raw value.
- A coarser level's value is not summed from raw counts but from *protected counts*: small cells
  are left out and low cells count as 0 (what is shown). A GeSO value, its members' shown values
  and their counts then recover nothing but what is already shown (no recovery by differencing
  of a parent and its other children).
Every cell whose shown value differs from its raw value is flagged, so the report lists them all.

Counts of persons that are shown (residents, children) are rounded to `COUNT_BASE`, as SCB rounds
small counts: together with shown shares, exact counts would narrow what a finer level's
suppressed cell can be (see docs/method.md, "What disclosure control protects").

Units: values in percent, denominators and counts in persons.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# Flag values, one per cell ('' = shown as it is).
PARENT, LOW, AGGREGATE = "parent", "suppressed", "aggregate"
COUNT_BASE = 10  # persons: shown counts are rounded to this
# Decimals shown, per kind of number (the map, the table, the card and every export): a value is a
# percent, an index or scaled value a number 0–1. Shown values are *rounded to these in the engine*,
# so everything computed downstream (index, ranking, clusters, allocation) rests on what is shown,
# and no output can carry more precision than the table (a full double of a GeSO share gives back its
# exact denominator by rational reconstruction).
DECIMALS = {"value": 2, "index": 4, "scaled": 4, "uvas": 1}  # uvas: a UVAS share (percent), as the chart shows it


def round_counts(counts):
    """Counts (persons) as shown: rounded to the nearest COUNT_BASE; NaN stays NaN."""
    return np.round(np.asarray(counts, dtype=float) / COUNT_BASE) * COUNT_BASE


def shown_values(values):
    """Percent values as shown: rounded to DECIMALS["value"]; NaN stays NaN."""
    return values.round(DECIMALS["value"])


def own_checks(values: pd.DataFrame, denominators: pd.DataFrame, suppress_below: dict[str, float | None],
               min_denominator: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(small, low): boolean frames, areas × indicators, from each cell's own raw value and denominator."""
    small = pd.DataFrame(False, index=values.index, columns=values.columns)
    low = small.copy()
    for key in values.columns:
        den, val = denominators[key], values[key]
        small[key] = den.notna() & (den < min_denominator.get(key, 0)) & val.notna()
        limit = suppress_below.get(key)
        if limit is not None:
            low[key] = val.notna() & (val > 0) & (val < limit)
    return small, low


def protected_counts(values: pd.DataFrame, denominators: pd.DataFrame, small: pd.DataFrame,
                     low: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(numerators, denominators) that may be summed into a coarser level: small cells left out,
    low cells counted as 0 (persons)."""
    num = numerators(values, denominators).mask(low, 0.0).mask(small)
    return num, denominators.mask(small)


def apply_disclosure(values: pd.DataFrame, denominators: pd.DataFrame, parent_values: pd.DataFrame,
                     suppress_below: dict[str, float | None], min_denominator: dict[str, int],
                     parent_flags: pd.DataFrame | None = None):
    """Return (disclosed values, flags) for one level.

    `values`, `denominators`: areas × indicators (percent, persons), the level's candidate values
    (its raw values, or for a coarser level its share of protected counts). `parent_values`: the
    same columns, one row per area holding its parent's *disclosed* value (already 0 where the
    parent's own value is low), and `parent_flags` its flags. Flags: '' (unchanged), 'parent'
    (the parent's value shown), 'suppressed' (shown as 0) or 'parent,suppressed' (the parent's
    value, which is itself shown as 0).
    """
    small, low = own_checks(values, denominators, suppress_below, min_denominator)
    low &= ~small
    out = values.mask(small, parent_values).mask(low, 0.0)
    parent_low = (parent_flags.apply(lambda col: col.str.contains(LOW)) if parent_flags is not None
                  else pd.DataFrame(False, index=values.index, columns=values.columns))
    flags = pd.DataFrame("", index=values.index, columns=values.columns)
    flags = flags.mask(low, LOW).mask(small, PARENT).mask(small & parent_low.to_numpy(), PARENT + "," + LOW)
    return out, flags


def disclosure_report(flags: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Long table of every disclosure change: code, name, indicator, change."""
    long = flags.stack()
    long = long[long != ""].reset_index()
    long.columns = ["code", "indicator", "change"]
    long.insert(1, "name", long["code"].map(names))
    return long


def numerators(values: pd.DataFrame, denominators: pd.DataFrame) -> pd.DataFrame:
    """Counts behind percentages: value × denominator / 100."""
    return values * denominators / 100.0


def share(numerator: pd.DataFrame, denominator: pd.DataFrame) -> pd.DataFrame:
    """Percent from counts; NaN where the denominator is 0 or missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * numerator / denominator.where(denominator > 0)

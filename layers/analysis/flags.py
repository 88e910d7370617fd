"""Indicator flags beside the composite, after CDC/ATSDR's Social Vulnerability Index: an area is
flagged on an indicator when its shown value is at or above that indicator's `percentile`
(default 90th) across the level's areas with data. The count of flags says *why* an area is high,
and finds an area that is extreme on one indicator but average in the index."""
from __future__ import annotations

import numpy as np
import pandas as pd

from layers.index.engine import Engine
from layers.errors import EngineError

DEFAULT_PERCENTILE = 90.0


def flag_matrix(values: np.ndarray, percentile: float = DEFAULT_PERCENTILE) -> tuple[np.ndarray, np.ndarray]:
    """(areas × indicators booleans, the thresholds): value ≥ the column's percentile (NaN never flagged).
    The percentile is numpy's default (linear interpolation between the closest ranks)."""
    if not 0 <= percentile <= 100:
        raise EngineError(f"the percentile must be from 0 to 100, got {percentile!r}")
    values = np.asarray(values, dtype=float)
    thresholds = np.array([np.nanpercentile(col, percentile) if np.isfinite(col).any() else np.nan for col in values.T])
    with np.errstate(invalid="ignore"):
        return values >= thresholds, thresholds


def flags(engine: Engine, level: str | None = None, percentile: float = DEFAULT_PERCENTILE) -> pd.DataFrame:
    """Per area: code, name, one flag_<indicator> column each, and flag_count; the thresholds in attrs."""
    data = engine.level(level)
    flagged, thresholds = flag_matrix(data.values.to_numpy(dtype=float), percentile)
    frame = pd.DataFrame({"code": data.codes.astype(str), "name": data.names.astype(str)})
    for j, key in enumerate(engine.keys):
        frame[f"flag_{key}"] = flagged[:, j]
    frame["flag_count"] = flagged.sum(axis=1)
    frame.attrs.update(percentile=percentile, thresholds={k: float(t) for k, t in zip(engine.keys, thresholds)})
    return frame

"""Where a room agrees: each participant's weighting is one draw of the robustness kernel
(`robustness.index_for_weightings`, the engine's own ranking), so the wall shows, per area, the share
of participants whose weighting puts it in the top N, and the spread of its rank.

The words (one rule, used by the CLI, the wall and the exports): "prioriterat av alla" (every
participant's top N), "av de flesta" (more than half), "beror på vikterna" (some, half or fewer),
and none. A vote is slider positions 0–100 per indicator, as the page's sliders hold them; its
weighting is those scaled to sum 1. The room's median weighting is each indicator's median share,
scaled to sum 1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from layers.analysis.robustness import index_for_weightings
from layers.errors import EngineError
from layers.index.clusters import DEFAULT_TOP_N
from layers.index.engine import Engine, rank_desc

AGREEMENT = ("all", "most", "depends", "none")  # classes 0–3 of the agreement map
COLUMNS = ["code", "name", "share_top", "agreement", "rank_median", "rank_p05", "rank_p95", "rank_median_weighting"]


def weightings(votes, keys: list[str]) -> np.ndarray:
    """Votes (dicts of slider positions 0–100 per key) as rows summing to 1; a vote of all zeros is refused."""
    out = np.zeros((len(votes), len(keys)))
    for n, vote in enumerate(votes):
        for j, key in enumerate(keys):
            value = vote.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                raise EngineError(f"vote {n + 1}: the weight for {key} must be a number 0–100, got {value!r}")
            out[n, j] = float(value)
        if out[n].sum() <= 0:
            raise EngineError(f"vote {n + 1}: at least one weight above 0")
    return out / out.sum(axis=1, keepdims=True)


def median_weighting(w: np.ndarray, keys: list[str]) -> dict[str, float]:
    """Each indicator's median share over the votes, scaled to sum 1 (equal weights without votes)."""
    if not len(w):
        return {k: 1 / len(keys) for k in keys}
    med = np.median(w, axis=0)
    if med.sum() <= 0:  # every indicator's median 0 (each voter chose a different single indicator): the mean then
        med = w.mean(axis=0)
    return dict(zip(keys, (med / med.sum()).tolist()))


def agreement_class(share: np.ndarray) -> np.ndarray:
    """0 all, 1 most (> ½), 2 depends (> 0), 3 none; -1 where the area has no index."""
    s = np.asarray(share, dtype=float)
    out = np.select([s >= 1, s > 0.5, s > 0], [0, 1, 2], default=3)
    return np.where(np.isnan(s), -1, out).astype(int)


def agreement(engine: Engine, votes, level: str | None = None, normalisation: str = "minmax",
              aggregation: str = "arithmetic", top_n: int = DEFAULT_TOP_N) -> pd.DataFrame:
    """Per area: share_top (of the participants, its share of top-N placings), agreement (AGREEMENT),
    the median and 5–95 % range of its rank over the participants, and its rank under the room's median
    weighting; ordered by share_top, then that rank. `attrs`: votes, top_n, median weighting."""
    keys = engine.keys
    w = weightings(votes, keys)
    median = median_weighting(w, keys)
    base = engine.index(median, level, normalisation, aggregation)
    valid = ~np.isnan(base.index)
    frame = pd.DataFrame({"code": base.codes.astype(str), "name": base.names.astype(str)})
    if len(w):
        index = index_for_weightings(engine, base.level, w, normalisation, aggregation)
        ranks = rank_desc(index, base.codes)
        share = ((ranks > 0) & (ranks <= top_n)).mean(axis=1)
        q = np.full((3, len(base.codes)), np.nan)
        if valid.any():
            q[:, valid] = np.percentile(ranks[valid], [50, 5, 95], axis=1, method="inverted_cdf")
    else:
        share, q = np.full(len(base.codes), np.nan), np.full((3, len(base.codes)), np.nan)
    share = np.where(valid, share, np.nan)
    frame["share_top"] = share
    frame["agreement"] = [AGREEMENT[c] if c >= 0 else "" for c in agreement_class(share)]
    frame["rank_median"], frame["rank_p05"], frame["rank_p95"] = q
    frame["rank_median_weighting"] = np.where(base.rank > 0, base.rank, 0)
    frame.attrs.update(votes=len(w), top_n=top_n, median=median, level=base.level)
    order = np.lexsort((frame["rank_median_weighting"].where(frame["rank_median_weighting"] > 0, len(frame) + 1),
                        -np.nan_to_num(frame["share_top"].to_numpy(), nan=-1)))
    return frame.iloc[order].reset_index(drop=True)[COLUMNS]

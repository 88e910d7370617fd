"""How sure is the ranking? Uncertainty analysis after the OECD/JRC Handbook (2008, ch. 5) and COINr.

Each *draw* is one plausible variant of the index:
- `weights`: drawn from a Dirichlet distribution centred on the current weights; `concentration`
  sets the spread (the Dirichlet's α = concentration × weights: larger = closer to the weights;
  `inf` = the weights themselves);
- `normalisation`: min–max, z-score or percentile rank, each equally likely (with a geometric mean,
  min–max, rank or ratio, as z-scores can be negative);
- `values`: each shown value (percent) redrawn within its sampling noise, Binomial(denominator,
  value) / denominator. Values that disclosure control replaced are kept as shown.

Per area: the share of draws in which it is in the top N (`p_top`), in which the cluster rule
selects it (`p_cluster`: core plus extension, at the index level), and the 5th, 50th and 95th
percentile of its rank. Ties are broken by area code, as in the engine, so exactly N areas are in
the top N in every draw and `p_top` sums to N. The same seed gives the same result.

The draws go through the engine's own kernels, batch-shaped (normalise.normalise and aggregate,
engine.rank_desc, clusters.select_columns): the nominal index is draw 0 of a batch, so the two
cannot disagree. `bench/analysis.py` measures it against a plain Python loop over the engine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from layers.index.clusters import DEFAULT_TOP_N, ClusterSettings, select_columns
from layers.index.engine import Engine, rank_desc
from layers.errors import EngineError
from layers.index.normalise import GEOMETRIC_METHODS, METHODS, aggregate, normalise
from layers.index.weights import check_weights, normalise_weights

VARY = ("weights", "normalisation", "values")
CERTAINTY_EDGES = (0.1, 0.5, 0.9)  # "Hur säkert?": p_top = 0, below 10 %, 10–50 %, 50–90 %, 90 % and more
COLUMNS = ["code", "name", "rank", "p_top", "p_cluster", "rank_p05", "rank_p50", "rank_p95"]


@dataclass(frozen=True)
class RobustnessSettings:
    draws: int = 10_000
    concentration: float = 20.0
    vary: tuple[str, ...] = ("weights",)
    top_n: int = DEFAULT_TOP_N
    seed: int | None = 0

    def __post_init__(self):
        if not isinstance(self.draws, int) or not 1 <= self.draws <= 1_000_000:
            raise EngineError(f"draws must be a whole number from 1 to 1 000 000, got {self.draws!r}")
        if not (self.concentration > 0):
            raise EngineError(f"concentration must be above 0, got {self.concentration!r}")
        unknown = [v for v in self.vary if v not in VARY]
        if unknown:
            raise EngineError(f"cannot vary {', '.join(unknown)} (choose from {', '.join(VARY)})")
        if not isinstance(self.top_n, int) or self.top_n < 1:
            raise EngineError(f"top N must be a whole number ≥ 1, got {self.top_n!r}")


def certainty_class(p_top) -> np.ndarray:
    """The map's certainty class per area: 0 never in the top N, 1–4 by CERTAINTY_EDGES; -1 no data."""
    p = np.asarray(p_top, dtype=float)
    out = np.where(p == 0, 0, 1 + np.searchsorted(CERTAINTY_EDGES, p, side="right"))
    return np.where(np.isnan(p), -1, out).astype(int)


def draw_weights(w: np.ndarray, s: RobustnessSettings, rng: np.random.Generator) -> np.ndarray:
    """draws × indicators, rows summing to 1; indicators weighted 0 stay 0."""
    out = np.zeros((s.draws, len(w)))
    used = w > 0
    if "weights" not in s.vary or math.isinf(s.concentration):
        out[:] = w
        return out
    out[:, used] = rng.dirichlet(s.concentration * w[used], size=s.draws)
    return out


def index_draws(engine: Engine, level: str, w: np.ndarray, normalisation: str, aggregation: str,
                s: RobustnessSettings, rng: np.random.Generator) -> np.ndarray:
    """The index of every area (rows) in every draw (columns)."""
    data = engine.level(level)
    weights = draw_weights(w, s, rng)
    if "normalisation" in s.vary:
        choices = GEOMETRIC_METHODS if aggregation == "geometric" else ("minmax", "zscore", "rank")
        methods = rng.choice(len(choices), size=s.draws)
    else:
        choices, methods = (normalisation,), np.zeros(s.draws, dtype=int)
    n = len(data.codes)
    out = np.full((n, s.draws), np.nan)
    x = data.values.to_numpy(dtype=float)
    if "values" in s.vary:
        den = data.denominators.to_numpy(dtype=float)
        own = (data.flags.to_numpy() == "") & (den > 0) & ~np.isnan(x)
        p = np.clip(np.nan_to_num(x) / 100, 0, 1)
        trials = np.where(own, den, 0).round().astype(np.int64)
    for m, method in enumerate(choices):
        cols = np.flatnonzero(methods == m)
        if not len(cols):
            continue
        wm = weights[cols]
        if "values" in s.vary:
            for chunk in np.array_split(cols, max(1, len(cols) // 500)):  # bounded memory: 500 draws at a time
                noisy = np.repeat(x[None], len(chunk), axis=0)
                drawn = rng.binomial(trials[None].repeat(len(chunk), axis=0), p[None]) / np.maximum(trials, 1)[None] * 100
                noisy = np.where(own[None], drawn, noisy)
                scaled = normalise(noisy, method, engine.city.to_numpy())
                out[:, chunk] = aggregate(scaled, weights[chunk], aggregation).T
        else:
            out[:, cols] = index_for_weightings(engine, level, wm, method, aggregation)
    return out


def index_for_weightings(engine: Engine, level: str, weights: np.ndarray, normalisation: str, aggregation: str) -> np.ndarray:
    """The index of every area (rows) under each weighting (columns; `weights` is weightings ×
    indicators, rows summing to 1): the draws' kernel, also used for a room's participants."""
    return aggregate(engine.normalised(level, normalisation)[None], weights, aggregation).T


def cluster_members(engine: Engine, level: str, index: np.ndarray, ranks: np.ndarray, cluster: ClusterSettings) -> np.ndarray:
    """Areas (rows) the cluster rule selects in each draw (columns): the rule's own selection (clusters.select_columns)."""
    return select_columns(index, ranks, engine.graph(level, cluster.min_shared_m), cluster)[0]


def robustness(engine: Engine, weights: dict[str, float] | None = None, level: str | None = None,
               normalisation: str = "minmax", aggregation: str = "arithmetic",
               settings: RobustnessSettings | None = None, cluster: ClusterSettings | None = None) -> pd.DataFrame:
    """Per area: code, name, rank (as computed), p_top, p_cluster, rank_p05, rank_p50, rank_p95; by rank."""
    s = settings or RobustnessSettings()
    cluster = cluster or ClusterSettings(top_n=s.top_n)
    if normalisation not in METHODS:
        raise EngineError(f"unknown normalisation '{normalisation}' (choose {', '.join(METHODS)})")
    base = engine.index(weights, level, normalisation, aggregation)
    w = np.array([normalise_weights(check_weights(weights or {k: 1.0 for k in engine.keys}, engine.keys))[k] for k in engine.keys])
    rng = np.random.default_rng(s.seed)
    index = index_draws(engine, base.level, w, normalisation, aggregation, s, rng)
    ranks = rank_desc(index, base.codes)  # the engine's ranking, one per draw
    in_top = (ranks > 0) & (ranks <= s.top_n)
    at_index_level = base.level == engine.pkg.manifest.index_level
    p_cluster = cluster_members(engine, base.level, index, ranks, cluster).mean(axis=1) if at_index_level else np.full(len(base.codes), np.nan)
    valid = ~np.isnan(base.index)
    quantiles = np.full((3, len(base.codes)), np.nan)
    if valid.any():
        quantiles[:, valid] = np.percentile(ranks[valid], [5, 50, 95], axis=1, method="inverted_cdf")
    frame = pd.DataFrame({"code": base.codes.astype(str), "name": base.names.astype(str),
                          "rank": np.where(base.rank > 0, base.rank, 0), "p_top": in_top.sum(axis=1) / s.draws,
                          "p_cluster": p_cluster, "rank_p05": quantiles[0], "rank_p50": quantiles[1], "rank_p95": quantiles[2]})
    frame.loc[~valid, ["p_top", "p_cluster"]] = np.nan
    frame.attrs.update(draws=s.draws, top_n=s.top_n, concentration=s.concentration, vary=list(s.vary), seed=s.seed,
                       in_top_counts=int(in_top.sum()))
    order = np.lexsort((frame["code"], np.where(frame["rank"] > 0, frame["rank"], len(frame) + 1)))
    return frame.iloc[order].reset_index(drop=True)[COLUMNS]

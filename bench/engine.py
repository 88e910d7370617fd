"""Benchmark: index + ranking + clusters for a new weighting, at 136 areas and ~6 000 areas.

Prints medians measured side by side in one run, and their ratio. Usage: python bench/engine.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.index.clusters import find_clusters  # noqa: E402
from layers.data.synthetic import synthetic_package  # noqa: E402
from layers.index.engine import Engine  # noqa: E402
from layers.data.package import load_package  # noqa: E402

REPEATS = 200


def time_weighting(engine: Engine, rng: np.random.Generator, repeats: int) -> tuple[float, float]:
    """Median milliseconds of (index + ranking + clusters) and of the same plus the ranking table."""
    core, full = [], []
    for _ in range(repeats):
        weights = dict(zip(engine.keys, rng.uniform(0.1, 1.0, len(engine.keys))))
        t0 = time.perf_counter()
        result = engine.index(weights)
        find_clusters(engine, result)
        t1 = time.perf_counter()
        result.frame()
        t2 = time.perf_counter()
        core.append((t1 - t0) * 1000)
        full.append((t2 - t0) * 1000)
    return statistics.median(core), statistics.median(full)


def prepare(path: Path) -> tuple[Engine, float]:
    t0 = time.perf_counter()
    engine = Engine(load_package(path))
    engine.index()
    engine.neighbours()
    return engine, time.perf_counter() - t0


def main() -> None:
    rng = np.random.default_rng(1)
    small, small_load = prepare(ROOT / "data" / "malmo")
    with tempfile.TemporaryDirectory() as tmp:
        big_path = synthetic_package(ROOT / "data" / "malmo", Path(tmp) / "synthetic")
        big, big_load = prepare(big_path)
    n_small, n_big = len(small.level().codes), len(big.level().codes)
    # interleave the two sizes so machine noise hits both alike
    rows = {n_small: [], n_big: []}
    for _ in range(5):
        rows[n_small].append(time_weighting(small, rng, REPEATS // 5))
        rows[n_big].append(time_weighting(big, rng, REPEATS // 5))
    med = {n: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)) for n, v in rows.items()}
    print(f"engine benchmark, {REPEATS} weightings per size, medians")
    print(f"{'areas':>6} {'load+prepare s':>15} {'index+rank+clusters ms':>24} {'+ ranking table ms':>20} {'target ms':>10}")
    print(f"{n_small:>6} {small_load:>15.2f} {med[n_small][0]:>24.3f} {med[n_small][1]:>20.3f} {5:>10}")
    print(f"{n_big:>6} {big_load:>15.2f} {med[n_big][0]:>24.3f} {med[n_big][1]:>20.3f} {150:>10}")
    print(f"ratio {n_big}/{n_small} areas: {med[n_big][0] / med[n_small][0]:.1f}× for {n_big / n_small:.0f}× the areas")


if __name__ == "__main__":
    main()

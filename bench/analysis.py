"""Analysis benchmark (issue 8), everything measured side by side in one run; medians.

1. robustness: 10 000 draws at 136 areas and 1 000 draws at about 6 000, vectorised
   (layers/analysis/robustness.py) against a plain Python loop over the engine (engine.index and
   find_clusters per draw) for the same draws; the ratio;
2. hot spots: Local Moran's I and Getis-Ord Gi* with 999 permutations at 136 and about 6 000 areas;
3. browser: slider → repainted map with nothing else running and while the robustness analysis of
   the previous weighting is being computed (python app.py, headless Chromium).

    python bench/analysis.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import BUSY, RECORD_ANALYSIS, REPAINT, chromium, running_app, wait_for  # noqa: E402
from layers.analysis.hotspots import HotspotSettings, hotspots  # noqa: E402
from layers.analysis.robustness import RobustnessSettings, draw_weights, robustness  # noqa: E402
from layers.index.clusters import ClusterSettings, find_clusters  # noqa: E402
from layers.data.synthetic import synthetic_package  # noqa: E402
from layers.index.engine import Engine  # noqa: E402
from layers.data.package import load_package  # noqa: E402


def timed(fn, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def loop(engine: Engine, draws: int) -> None:
    """The same draws, one engine call at a time (what the vectorised version replaces)."""
    settings = RobustnessSettings(draws=draws, seed=0)
    weights = draw_weights(np.full(len(engine.keys), 1 / len(engine.keys)), settings, np.random.default_rng(0))
    counts = {}
    for row in weights:
        result = engine.index(dict(zip(engine.keys, row)))
        for code in result.codes[(result.rank > 0) & (result.rank <= 11)]:
            counts[code] = counts.get(code, 0) + 1
        find_clusters(engine, result, ClusterSettings())


def engine_side(engine: Engine, label: str, draws: int, rounds: int) -> None:
    n = len(engine.level().codes)
    engine.index()
    find_clusters(engine, engine.index())  # neighbours prepared once, as in the app
    fast = timed(lambda: robustness(engine, settings=RobustnessSettings(draws=draws, seed=0)), rounds)
    slow = timed(lambda: loop(engine, draws), 1)
    print(f"robustness {draws:>6} draws, {n:>5} areas  vectorised {fast * 1000:8.0f} ms   plain loop {slow * 1000:8.0f} ms   "
          f"{slow / fast:6.1f}× faster  ({label})")
    for statistic in ("lisa", "gi"):
        t = timed(lambda: hotspots(engine, settings=HotspotSettings(statistic=statistic, permutations=999)), rounds)
        print(f"hotspots   {statistic:>4}, 999 permutations, {n:>5} areas  {t * 1000:8.0f} ms")


def browser(rounds: int) -> tuple[float, float]:
    with running_app() as url:
        driver = chromium(1500, 1300)
        try:
            driver.set_script_timeout(60)
            driver.get(url + "/")
            wait_for(driver, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 100", timeout=60)
            time.sleep(3)
            driver.execute_script(RECORD_ANALYSIS)
            quiet, busy = [], []
            for k in range(rounds):
                t0, t1 = driver.execute_async_script(REPAINT, "weight-trangboddhet", 30 + k)
                quiet.append(t1 - t0)
                time.sleep(1.5)
                script = BUSY.replace("arguments[2]", "'weight-trangboddhet'").replace("arguments[3]", str(70 + k))
                t0, t1, _ = driver.execute_async_script(script, "weight-ekonomiskt_bistand", 10 + 3 * k)
                busy.append(t1 - t0)
                time.sleep(1.5)
            return statistics.median(quiet), statistics.median(busy)
        finally:
            driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"analysis benchmark (medians of {args.rounds}; the plain loop once)")
    engine_side(Engine(load_package(ROOT / "data" / "malmo")), "data/malmo; target < 1 s", 10_000, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        big = Engine(load_package(synthetic_package(ROOT / "data" / "malmo", Path(tmp) / "synthetic")))
        engine_side(big, "synthetic package; target < 3 s", 1_000, max(1, args.rounds // 2))
    quiet, busy = browser(max(6, args.rounds * 2))
    print(f"browser    slider → repainted map: {quiet:6.0f} ms idle, {busy:6.0f} ms while robustness is computed ({busy / quiet:.2f}×)")


if __name__ == "__main__":
    main()

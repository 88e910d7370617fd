"""Benchmark of the dashboard, everything measured side by side in one run (medians):

1. server: the slider callback vs a no-op callback in the same app, and vs a naive callback that
   rebuilds a full plotly choropleth per move (gunicorn, 1 worker, loopback, keep-alive);
2. bytes sent per slider move: ours vs the naive version;
3. load: 8 clients moving sliders at once against gunicorn with 2 workers (moves/s, p50, p95);
4. browser: time from a slider change to the repainted map, at 136 areas and at ~6 000 areas
   (headless Chromium; Dash's set_props moves the slider as a user would), on the dashboard and
   for B's slider on the compare page (the repainted difference map).

Usage: python bench/dashboard.py [--rounds 60]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import chromium, free_port, running_app, wait_for  # noqa: E402
from layers.data.synthetic import synthetic_package  # noqa: E402
from services import KEYS, slider_body  # noqa: E402,F401 - the one copy of the view-model callback's body


def start_gunicorn(port: int, workers: int = 1) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "1", "--bind", f"127.0.0.1:{port}",
                             "--chdir", str(ROOT / "bench"), "bench_app:server"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def naive_body(weights: list[float]) -> dict:
    inputs = [{"id": f"naive-weight-{k}", "property": "value", "value": w} for k, w in zip(KEYS, weights)]
    inputs.append({"id": "naive-level", "property": "value", "value": "delomrade"})
    return {"output": "..naive-map.figure...naive-view-model.data..",
            "outputs": [{"id": "naive-map", "property": "figure"}, {"id": "naive-view-model", "property": "data"}],
            "inputs": inputs, "changedPropIds": ["naive-weight-inte_behorig.value"], "state": []}


def noop_body(i: int) -> dict:
    return {"output": "noop-out.data", "outputs": {"id": "noop-out", "property": "data"},
            "inputs": [{"id": "noop-in", "property": "data", "value": i}], "changedPropIds": ["noop-in.data"], "state": []}


def under_load(clients: int = 8, per_client: int = 25, workers: int = 2) -> dict:
    """Many users moving sliders at once: `clients` threads against gunicorn with `workers` workers."""
    from concurrent.futures import ThreadPoolExecutor

    port = free_port()
    proc = start_gunicorn(port, workers)
    url = f"http://127.0.0.1:{port}/_dash-update-component"

    def client(seed: int) -> list[float]:
        rng = np.random.default_rng(seed)
        session = requests.Session()
        out = []
        for _ in range(per_client):
            body = slider_body([int(w) for w in rng.integers(1, 101, 4)])
            t0 = time.perf_counter()
            session.post(url, json=body, timeout=30).raise_for_status()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    try:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            latencies = sorted(x for part in pool.map(client, range(clients)) for x in part)
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    return {"rps": len(latencies) / wall, "p50": latencies[len(latencies) // 2], "p95": latencies[int(len(latencies) * 0.95)],
            "clients": clients, "workers": workers, "n": len(latencies)}


def server_side(rounds: int) -> dict:
    port = free_port()
    proc = start_gunicorn(port)
    url = f"http://127.0.0.1:{port}/_dash-update-component"
    session = requests.Session()
    rng = np.random.default_rng(3)
    times = {"noop": [], "slider": [], "cached": [], "naive": []}
    sizes = {"slider": [], "naive": []}
    try:
        for i in range(rounds):
            weights = [int(w) for w in rng.integers(0, 101, 4)]
            weights[0] = max(weights[0], 1)
            for name, body in (("noop", noop_body(i)), ("slider", slider_body(weights)), ("cached", slider_body(weights)),
                               ("naive", naive_body(weights))):  # "cached": the same move again, its view model in the cache
                t0 = time.perf_counter()
                response = session.post(url, json=body, timeout=30)
                elapsed = time.perf_counter() - t0
                response.raise_for_status()
                if i >= 3:  # first rounds warm caches and imports
                    times[name].append(elapsed * 1000)
                    if name in sizes:
                        sizes[name].append(len(response.content))
    finally:
        proc.terminate()
        proc.wait(10)
    return {"times": {k: statistics.median(v) for k, v in times.items()},
            "bytes": {k: statistics.median(v) for k, v in sizes.items()}}


REPAINT = """
const done = arguments[arguments.length - 1];
const value = arguments[0];
const slider = arguments[1];
const before = window.malmoPainted ? window.malmoPainted.at : 0;
const t0 = performance.now();
window.dash_clientside.set_props(slider, {value: value});
(function check() {
  if (window.malmoPainted && window.malmoPainted.at > before) {
    requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
  } else if (performance.now() - t0 > 20000) { done(-1); } else { setTimeout(check, 2); }
})();
"""


# The floor in the same page: two animation frames from now (what any change costs before it is seen).
FLOOR = """
const done = arguments[arguments.length - 1];
const t0 = performance.now();
requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
"""


def browser_repaint(url: str, rounds: int, areas: int, slider: str = "weight-inte_behorig") -> tuple[float, float]:
    """(median slider → repainted map, median two-frame floor), measured alternately in one page."""
    driver = chromium()
    try:
        driver.set_script_timeout(60)
        driver.get(url)
        wait_for(driver, f"return window.malmoPainted && window.malmoPainted.n === {areas} && Object.keys(window.malmoLayers).length >= {areas}", timeout=120)
        time.sleep(1)
        samples, floor = [], []
        for i in range(rounds):
            ms = driver.execute_async_script(REPAINT, 20 + (i * 37) % 80, slider)
            if ms < 0:
                raise RuntimeError("map did not repaint")
            samples.append(ms)
            time.sleep(0.05)
            floor.append(driver.execute_async_script(FLOOR))
        return statistics.median(samples[2:]), statistics.median(floor[2:])
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--browser-only", action="store_true", help="only the browser's slider → map (the server's figures take minutes)")
    args = parser.parse_args()
    print(f"dashboard benchmark (medians; {args.rounds} rounds; loopback, gunicorn 1 worker)")
    if not args.browser_only:
        server_figures(args.rounds)
    browser_figures(args.rounds)


def server_figures(rounds: int) -> None:
    server = server_side(rounds)
    t, b = server["times"], server["bytes"]
    print(f"server  no-op callback            {t['noop']:8.2f} ms")
    print(f"server  slider callback           {t['slider']:8.2f} ms   {t['slider'] / t['noop']:.2f}× no-op (target ≤ 3×)")
    print(f"server  the same move, cached     {t['cached']:8.2f} ms   {t['cached'] / t['noop']:.2f}× no-op")
    print(f"server  naive choropleth callback {t['naive']:8.2f} ms   {t['naive'] / t['noop']:.2f}× no-op")
    print(f"bytes   per slider move           {b['slider'] / 1024:8.1f} KiB")
    print(f"bytes   naive per move            {b['naive'] / 1024:8.1f} KiB   ours = 1/{b['naive'] / b['slider']:.0f} of naive (target ≤ 1/20)")
    load = under_load()
    print(f"load    {load['clients']} clients × slider moves, gunicorn {load['workers']} workers: {load['rps']:.0f} moves/s, "
          f"p50 {load['p50']:.1f} ms, p95 {load['p95']:.1f} ms ({load['n']} requests, new weights each)")


def browser_figures(rounds: int) -> None:
    rounds = max(22, rounds // 3)  # at least 20 moves counted (the first two warm up)
    compare = "/compare?b=w=inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:3,lag_inkomststandard:1"
    with running_app() as url:
        small = browser_repaint(url + "/", rounds, 136)
        small_cmp = browser_repaint(url + compare, rounds, 136, "cmp-weight-inte_behorig")
    with tempfile.TemporaryDirectory() as tmp:
        big_pkg = synthetic_package(ROOT / "data" / "malmo", Path(tmp) / "synthetic")
        n_big = sum(1 for _ in json.loads((big_pkg / "boundaries" / "cell.geojson").read_text())["features"])
        with running_app(env={"MALMO_PACKAGE": str(big_pkg)}, timeout=300) as url:
            big = browser_repaint(url + "/", rounds, n_big)
            big_cmp = browser_repaint(url + compare, rounds, n_big, "cmp-weight-inte_behorig")
    for what, n, (ms, floor), goal in (("slider → repainted map", 136, small, 50), ("slider → repainted map", n_big, big, 100),
                                       ("B slider → difference map", 136, small_cmp, 50), ("B slider → difference map", n_big, big_cmp, 100)):
        print(f"browser {what:<26} {n:>5} areas {ms:8.1f} ms   floor (two frames) {floor:5.1f} ms   {ms / floor:4.2f}× the floor   (goal ≤ {goal} ms)")


if __name__ == "__main__":
    main()

"""Load: simulated sessions moving sliders, against the production shape (issue 9).

Each session is a client in a loop: a slider move (the view model callback, as the page sends it),
a short pause as between drag steps (50 ms), again. Weights are drawn on a grid of tens (0, 10 …
100), so sessions sometimes meet the same weighting, as people trying presets do.

Side by side, in one run, for 50 and 200 sessions:
- one instance (gunicorn, 2 workers) behind nginx, in-process cache;
- two instances × 2 workers behind nginx, sharing Redis (Debian's redis-server).
Printed: moves per second, p50 / p95 / p99 latency and errors.

    python bench/load.py [--seconds 20]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from services import running_gunicorn, running_nginx, running_redis  # noqa: E402
from test_scale import slider_body  # noqa: E402


def run_sessions(url: str, sessions: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def session(seed: int):
        rng = random.Random(seed)
        http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1)
        http.mount("http://", adapter)
        mine = []
        while time.monotonic() < stop:
            weights = [rng.randrange(0, 11) * 10 for _ in range(4)]
            if not any(weights):
                continue
            t0 = time.perf_counter()
            try:
                r = http.post(url + "/_dash-update-component", json=slider_body(weights), timeout=60)
                ok = r.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - t0
            if ok:
                mine.append(elapsed * 1000)
            else:
                with lock:
                    errors[0] += 1
            time.sleep(0.05)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
    return {"moves": len(latencies), "rps": len(latencies) / wall, "p50": q[49], "p95": q[94], "p99": q[98], "errors": errors[0]}


def warm(url: str) -> None:
    for _ in range(5):
        requests.post(url + "/_dash-update-component", json=slider_body([50, 50, 50, 50]), timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    print(f"load benchmark: sessions moving sliders for {args.seconds:g} s each (loopback; nginx in front; medians of latency in ms)")
    results = {}
    with ExitStack() as stack:
        one, _ = stack.enter_context(running_gunicorn({"WEB_CONCURRENCY": "2"}))
        front = stack.enter_context(running_nginx(one.removeprefix("http://")))
        warm(front)
        for n in (50, 200):
            results[("1 instance, in-process cache", n)] = run_sessions(front, n, args.seconds)
    with ExitStack() as stack:
        redis_url, _ = stack.enter_context(running_redis())
        env = {"WEB_CONCURRENCY": "2", "CACHE_REDIS_URL": redis_url}
        a, _ = stack.enter_context(running_gunicorn(env))
        b, _ = stack.enter_context(running_gunicorn(env))
        front = stack.enter_context(running_nginx([a.removeprefix("http://"), b.removeprefix("http://")]))
        warm(front)
        for n in (50, 200):
            results[("2 instances × 2 workers, Redis", n)] = run_sessions(front, n, args.seconds)
    for (shape, n), r in results.items():
        print(f"{shape:32s} {n:4d} sessions  {r['rps']:7.1f} moves/s   p50 {r['p50']:7.1f}   p95 {r['p95']:7.1f}   p99 {r['p99']:7.1f} ms"
              f"   errors {r['errors']}  ({r['moves']} moves)")


if __name__ == "__main__":
    main()

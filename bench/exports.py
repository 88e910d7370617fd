"""Benchmark of the committee exports and the embeds, measured side by side in one run (medians):

1. time to make the map PNG and the A4 PDF report (production gunicorn, 1 worker × 4 threads);
2. the slider callback, idle and while PDFs are being made back to back by another client: the
   drawing runs in its own process, so the ratio should stay near 1;
3. the bytes of each embed page's first load in headless Chromium (all resources, as transferred).

Usage: python bench/exports.py [--rounds 30]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import chromium  # noqa: E402
from services import running_gunicorn, running_nginx  # noqa: E402

def _bench_dashboard():
    """bench/dashboard.py (its slider request body), loaded by path: its name is the app package's."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_dashboard", ROOT / "bench" / "dashboard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slider_body = _bench_dashboard().slider_body

VIEWS = ["map", "ranking", "trend", "clusters", "card?area=48208"]


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(f"exports and embeds benchmark (medians; {args.rounds} rounds; loopback)")
    with running_gunicorn({"WEB_CONCURRENCY": "1", "THREADS": "4"}) as (url, _):
        session = requests.Session()
        for fmt in ("png", "pdf"):  # first call starts the drawing process
            session.get(f"{url}/api/export.{fmt}", timeout=120).raise_for_status()
        sizes = {}
        times = {}
        for fmt in ("png", "pdf"):
            def get(fmt=fmt):
                r = session.get(f"{url}/api/export.{fmt}?w=inte_behorig:{time.time_ns() % 97 + 1},trangboddhet:1", timeout=120)
                r.raise_for_status()
                sizes[fmt] = len(r.content)
            times[fmt] = statistics.median(timed(get, max(5, args.rounds // 6)))
        print(f"export  map PNG                 {times['png']:8.0f} ms   {sizes['png'] / 1024:7.0f} KiB")
        print(f"export  A4 PDF report           {times['pdf']:8.0f} ms   {sizes['pdf'] / 1024:7.0f} KiB")

        endpoint = url + "/_dash-update-component"
        counter = iter(range(10**9))

        def move():
            w = next(counter)
            session_slider.post(endpoint, json=slider_body([w % 100 + 1, 50, 50, 50]), timeout=30).raise_for_status()
        session_slider = requests.Session()
        idle = statistics.median(timed(move, args.rounds))
        stop = threading.Event()
        made = [0]

        def pdfs():
            s = requests.Session()
            while not stop.is_set():
                s.get(f"{url}/api/export.pdf?w=inte_behorig:{time.time_ns() % 89 + 1},trangboddhet:2", timeout=120).raise_for_status()
                made[0] += 1
        worker = threading.Thread(target=pdfs)
        worker.start()
        time.sleep(0.3)
        try:
            samples = []
            while len(samples) < args.rounds or made[0] < 3:  # over several whole PDFs
                samples += timed(move, 5)
            busy = statistics.median(samples)
        finally:
            stop.set()
            worker.join()
        idle = statistics.median([idle, statistics.median(timed(move, args.rounds))])  # before and after, against drift
        print(f"slider  callback, idle          {idle:8.1f} ms")
        print(f"slider  callback, PDFs drawing  {busy:8.1f} ms   {busy / idle:.2f}× idle ({made[0]} PDFs made meanwhile)")

    with running_gunicorn({"WEB_CONCURRENCY": "1"}) as (app_url, _), running_nginx(app_url.removeprefix("http://")) as front:
        driver = chromium(800, 600, performance_log=True)
        try:
            for base, how in ((app_url, "gunicorn alone"), (front, "through nginx (gzip)")):
              for view in VIEWS:
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                driver.get("about:blank")
                driver.get_log("performance")
                driver.get(f"{base}/embed/{view}")
                time.sleep(4)
                total = 0
                for entry in driver.get_log("performance"):
                    message = json.loads(entry["message"])["message"]
                    if message["method"] == "Network.loadingFinished":
                        total += message["params"]["encodedDataLength"]
                print(f"embed   /embed/{view:<16} first load {total / 1024:8.0f} KiB  {how}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()

"""Benchmark: does a burst of heavy requests stall everyone? Measured side by side in one run.

The production shape (gunicorn with deploy/gunicorn.conf.py, 2 workers × 4 threads, behind nginx
with the project's template) of *this* checkout and, with --against DIR, of another checkout (for
example the commit before a change, made with `git worktree add`), one after the other:

1. N concurrent `/api/export.pdf?level=nyko&w=…` requests with distinct weights (default 12), while
   a client asks `/healthz` and makes a slider callback every 0.1 s: the cheap requests' median and
   longest time, and what the PDF requests got (200, 503, 429, errors) and how long the burst took;
2. 35 imports of a 100-scenario file from one address: how many scenarios were stored.

Usage: python bench/heavy.py [--pdfs 12] [--direct] [--against ../old-checkout]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from string import Template

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import free_port, stop  # noqa: E402
from services import NGINX, cheap_requests_during, pdf_request, wait_until_up  # noqa: E402

@contextmanager
def production(root: Path):
    """gunicorn (this venv's) serving `root`'s app, behind nginx with `root`'s template."""
    port, front_port = free_port(), free_port()
    tmpdb = tempfile.mkdtemp(prefix="bench-heavy-")
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "SCENARIO_DB": f"{tmpdb}/s.sqlite3", "TRUSTED_PROXIES": "1"}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    app = subprocess.Popen([gunicorn, "-c", "deploy/gunicorn.conf.py", "app:server"], cwd=root, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        block = Template((root / "deploy" / "nginx" / "default.conf.template").read_text()).safe_substitute(
            NGINX_PORT=f"127.0.0.1:{front_port}", APP_UPSTREAM=f"127.0.0.1:{port}", SERVER_NAME="127.0.0.1 localhost")
        (Path(tmp) / "server.conf").write_text(block)
        (Path(tmp) / "nginx.conf").write_text(f"""daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{ access_log off; client_body_temp_path {tmp}/b; proxy_temp_path {tmp}/p; fastcgi_temp_path {tmp}/f;
uwsgi_temp_path {tmp}/u; scgi_temp_path {tmp}/s; include {tmp}/server.conf; }}""")
        front = subprocess.Popen([NGINX, "-p", tmp, "-c", f"{tmp}/nginx.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/", app, 120, "gunicorn")
            wait_until_up(f"http://127.0.0.1:{front_port}/healthz", front, 20, "nginx")
            requests.get(f"http://127.0.0.1:{front_port}/api/export.pdf?level=geso", timeout=120)  # start the drawing processes
            yield f"http://127.0.0.1:{front_port}", f"http://127.0.0.1:{port}"
        finally:
            front.terminate()
            front.wait(10)
            stop(app)


def burst(front: str, pdfs: int) -> dict:
    t0 = time.perf_counter()
    answers, times = cheap_requests_during([lambda n=n: pdf_request(front, n, timeout=120) for n in range(pdfs)], front, timeout=120)
    took = time.perf_counter() - t0
    statuses = [getattr(a, "status_code", type(a).__name__) for a in answers]
    return {"cheap_median_s": statistics.median(times), "cheap_max_s": max(times), "cheap_n": len(times),
            "pdf": dict(Counter(statuses)), "burst_s": took}


def imports(app: str) -> int:
    doc = {"format": "malmo-scenarios", "version": 1,
           "scenarios": [{"name": f"x{i}", "state": "?w=inte_behorig:1"} for i in range(100)]}
    stored = 0
    for _ in range(35):
        r = requests.post(app + "/api/scenarios/import", json=doc, timeout=60)
        if r.status_code == 201:
            stored += len(r.json()["scenarios"])
    return stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfs", type=int, default=12)
    parser.add_argument("--against", type=Path, help="another checkout, measured in the same run")
    parser.add_argument("--direct", action="store_true", help="send the burst to gunicorn itself, not through nginx (its limits off)")
    args = parser.parse_args()
    roots = [("this checkout", ROOT)] + ([("against", args.against.resolve())] if args.against else [])
    for name, root in roots:
        with production(root) as (front, app):
            result = burst(app if args.direct else front, args.pdfs)
            stored = imports(app)
        print(f"{name} ({root}): {args.pdfs} concurrent PDFs {'to gunicorn' if args.direct else 'through nginx'} took {result['burst_s']:.1f} s, answers {result['pdf']}; "
              f"meanwhile /healthz + a slider callback: median {result['cheap_median_s'] * 1000:.0f} ms, "
              f"longest {result['cheap_max_s'] * 1000:.0f} ms over {result['cheap_n']} tries; "
              f"35 imports of 100 scenarios stored {stored}")


if __name__ == "__main__":
    main()

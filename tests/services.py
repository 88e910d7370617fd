"""The production shape, started for real on free loopback ports: gunicorn with deploy/gunicorn.conf.py,
Debian's nginx with deploy/nginx/default.conf.template, Debian's redis-server and PostgreSQL. Nothing
is mocked; each stops after the test."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from string import Template

import requests

from browser_support import ROOT, free_port, stop

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]


def slider_body(weights, level: str = "delomrade", digest=None) -> dict:
    """The body of the page's view-model callback after a slider move, as the browser sends it (the
    one copy the tests and the benchmarks use; dashboard/callbacks.py defines the callback, and the
    view's engine part is layers/view.py's fields with `engine`)."""
    view = {"w": dict(zip(KEYS, weights)), "level": level, "norm": "minmax", "agg": "arithmetic", "classes": "quantiles",
            "top": 11, "ext": 0.55, "minb": 25, "age": "16-29"}
    return {"output": "..view-model.data...method-notice.children...map-stale.children..",
            "outputs": [{"id": "view-model", "property": "data"}, {"id": "method-notice", "property": "children"},
                        {"id": "map-stale", "property": "children"}],
            "inputs": [{"id": "view-engine", "property": "data", "value": view}, {"id": "catch-up", "property": "data", "value": None}],
            "changedPropIds": ["view-engine.data"],
            "state": [{"id": "page", "property": "lang", "value": "sv"}, {"id": "level-digest", "property": "data", "value": digest}]}


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer in time")


def pdf_request(url: str, n: int, timeout: float = 60):
    """The n-th of a burst of PDF reports at NYKO level, each for other weights (so none is cached)."""
    weights = ",".join(f"{k}:{1 + (n * (j + 3)) % 17}" for j, k in enumerate(KEYS))
    try:
        return requests.get(f"{url}/api/export.pdf?level=nyko&w={weights}", timeout=timeout)
    except requests.RequestException as err:
        return err


def cheap_requests_during(burst, url: str, timeout: float = 10) -> tuple[list, list[float]]:
    """Run `burst` (callables) all at once while cheap requests (/healthz and a slider callback) ask
    every 0.1 s; return the burst's answers and the cheap requests' times (inf for a failure)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    times: list[float] = []
    done = threading.Event()

    def cheap():
        n = 0
        while not done.is_set():
            n += 1
            t0 = time.perf_counter()
            try:
                ok = requests.get(url + "/healthz", timeout=timeout).ok and requests.post(
                    url + "/_dash-update-component", json=slider_body([10 + n % 80, 40, 50, 60]), timeout=timeout).ok
            except requests.RequestException:
                ok = False
            times.append(time.perf_counter() - t0 if ok else float("inf"))
            time.sleep(0.1)
    watcher = threading.Thread(target=cheap)
    watcher.start()
    try:
        with ThreadPoolExecutor(len(burst)) as pool:
            answers = list(pool.map(lambda f: f(), burst))
    finally:
        done.set()
        watcher.join()
    return answers, times


@contextmanager
def running_gunicorn(env: dict | None = None, timeout: float = 120):
    """gunicorn as in production (deploy/gunicorn.conf.py) on a free port; yields (url, process)."""
    port = free_port()
    full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **(env or {})}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "-c", "deploy/gunicorn.conf.py", "app:server"], cwd=ROOT, env=full_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", proc, timeout, "gunicorn")
        yield url, proc
    finally:
        stop(proc)


@contextmanager
def running_nginx(upstream: str | list[str], health_path: str = "/healthz"):
    """nginx with the project's server block in front of `upstream` (host:port, or several: nginx
    balances between them as between the replicas of compose.yaml); yields its URL."""
    with controlled_nginx(upstream, health_path) as (url, _):
        yield url


@contextmanager
def controlled_nginx(upstream: str | list[str], health_path: str = "/healthz"):
    """As running_nginx; yields (url, reload): reload(upstreams) rewrites the upstream list and
    reloads nginx gracefully (SIGHUP), as an operator drains an instance before stopping it."""
    port = free_port()

    def write(tmp, upstream):
        if not isinstance(upstream, str):
            upstream = ";\n    server ".join(upstream)
        server_block = Template((ROOT / "deploy" / "nginx" / "default.conf.template").read_text()).safe_substitute(
            NGINX_PORT=f"127.0.0.1:{port}", APP_UPSTREAM=upstream, SERVER_NAME="127.0.0.1 localhost")
        (Path(tmp) / "server.conf").write_text(server_block)

    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, upstream)
        (Path(tmp) / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    include {tmp}/server.conf;
}}
""")
        proc = subprocess.Popen([NGINX, "-p", tmp, "-c", f"{tmp}/nginx.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"

        def reload(upstreams):
            write(tmp, upstreams)
            proc.send_signal(1)  # SIGHUP: new workers with the new upstreams; the old ones finish their requests
            time.sleep(1.0)

        try:
            wait_until_up(url + health_path, proc, 20, "nginx")
            yield url, reload
        finally:
            proc.terminate()
            proc.wait(10)


REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


@contextmanager
def running_redis():
    """Debian's redis-server on a free port, in memory only; yields (url, stop): stop() ends it early."""
    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"],  # as in compose.yaml
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    import socket
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0", lambda: stop(proc)
    finally:
        stop(proc)


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (make test installs Debian's postgresql)")
    return str(found[-1])


@contextmanager
def running_postgres():
    """Debian's PostgreSQL in a throw-away cluster on a free port (initdb as the postgres user when
    run as root, which initdb refuses); yields `database(name)`, which creates an empty database and
    returns its SQLAlchemy URL."""
    port = free_port()
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
            shutil.chown(data, "postgres")
        subprocess.run([*as_user, _pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        proc = subprocess.Popen([*as_user, _pg_bin("postgres"), "-D", str(data), "-p", str(port), "-k", tmp,
                                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 30
            while subprocess.run([_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True).returncode != 0:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("PostgreSQL did not start")
                time.sleep(0.2)
            def database(name: str) -> str:
                subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name], check=True)
                return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
            yield database
        finally:
            stop(proc)

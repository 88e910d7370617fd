"""The production shape: nginx in front of gunicorn, start-up that fails clearly, no debugger off loopback."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from browser_support import ROOT
from services import NGINX, running_gunicorn, running_nginx

pytestmark = pytest.mark.skipif(not __import__("os").path.exists(NGINX), reason="nginx is installed by `make test`")


def slow_clients(url: str, n: int) -> list[socket.socket]:
    """n connections that send the start of a request and then one byte, and stay open."""
    host, port = url.removeprefix("http://").split(":")
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.05)
        s.sendall(b"X")
        socks.append(s)
    return socks


def probe(url: str) -> float:
    start = time.perf_counter()
    try:
        ok = requests.get(url + "/api/outlines?g=48208", timeout=5).status_code == 200
    except requests.RequestException:
        ok = False
    return time.perf_counter() - start if ok else float("inf")


def test_slow_clients_do_not_stall_the_production_shape():
    with running_gunicorn() as (app_url, _), running_nginx(app_url.removeprefix("http://")) as front:
        assert probe(front) < 1
        socks = slow_clients(front, 8)
        try:
            time.sleep(0.5)
            with ThreadPoolExecutor(4) as pool:
                times = list(pool.map(lambda _: probe(front), range(16)))
        finally:
            for s in socks:
                s.close()
    assert max(times) < 1, times


def run(args, env=None, timeout=120):
    import os
    return subprocess.run(args, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def broken_package(tmp_path_factory):
    import shutil
    dest = tmp_path_factory.mktemp("broken") / "pkg"
    shutil.copytree(ROOT / "data" / "malmo", dest)
    (dest / "boundaries" / "delomrade.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Fea')
    return dest


def assert_problem_list(result):
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    assert "boundaries/delomrade.geojson: is not valid GeoJSON" in result.stderr
    # one cause, reported once: not a cascade of "unknown area code" lines
    assert result.stderr.count("\n") < 10 and "unknown area code" not in result.stderr


def test_invalid_package_stops_python_app_with_the_problem_list(broken_package):
    assert_problem_list(run([sys.executable, "app.py"], {"MALMO_PACKAGE": str(broken_package), "PORT": "1"}))


def test_invalid_package_stops_gunicorn_with_the_problem_list(broken_package):
    gunicorn = str(__import__("pathlib").Path(sys.executable).with_name("gunicorn"))
    result = run([gunicorn, "-c", "deploy/gunicorn.conf.py", "app:server"], {"MALMO_PACKAGE": str(broken_package), "PORT": "1"})
    assert_problem_list(result)


def test_validate_reports_a_broken_file_once(broken_package):
    result = run([sys.executable, "-m", "layers", "validate", str(broken_package)])
    assert_problem_list(result)


def test_debug_mode_is_refused_off_loopback():
    result = run([sys.executable, "app.py"], {"DASH_DEBUG": "1", "HOST": "0.0.0.0", "PORT": "1"}, timeout=30)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "Refusing DASH_DEBUG=1" in result.stderr
    assert "Traceback" not in result.stderr


def test_compose_file_describes_the_shape_the_tests_run():
    """No Docker engine runs here: the compose file is checked, not run."""
    import re
    import yaml
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    app, nginx = compose["services"]["app"], compose["services"]["nginx"]
    assert "ports" not in app, "only nginx may be published: gunicorn alone can be held by slow clients"
    template = nginx["volumes"][0].split(":")[0]
    assert (ROOT / template).exists()
    used = set(re.findall(r"\$\{(\w+)\}", (ROOT / template).read_text()))
    assert used == set(nginx["environment"])
    assert "deploy/gunicorn.conf.py" in (ROOT / "Dockerfile").read_text()
    # the shared cache: the app points at the redis service, which is not published either
    redis = compose["services"]["redis"]
    assert app["environment"]["CACHE_REDIS_URL"].startswith("redis://redis:") and "ports" not in redis
    assert app["depends_on"]["redis"]["condition"] == "service_healthy" and app["deploy"]["replicas"] >= 2
    assert set(compose["volumes"]) == {v.split(":")[0] for v in app["volumes"]}

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
from services import NGINX, cheap_requests_during, pdf_request, running_gunicorn, running_nginx

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
    assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/0", app["environment"]["CACHE_REDIS_URL"]) and "ports" not in redis
    assert "--requirepass" in redis["command"]  # a password, and a network only the app shares with it
    assert redis["networks"] == ["back"] and compose["networks"]["back"]["internal"] is True
    assert "back" not in nginx["networks"] and "back" in app["networks"]
    assert app["depends_on"]["redis"]["condition"] == "service_healthy" and app["deploy"]["replicas"] >= 2
    assert set(compose["volumes"]) == {v.split(":")[0] for v in app["volumes"]}


# --- one client must not stall the service (second review, items 4 and 12) ----------------------

def test_sixteen_concurrent_pdfs_leave_cheap_requests_answering():
    """Before: 12 concurrent PDFs held the slider callback for 34 s and /healthz for 11 s. Now heavy
    work is admitted per kind and app process; beyond that, 503 with Retry-After at once."""
    with running_gunicorn({"HEALTH_TOKEN": "t"}) as (app_url, _):
        answers, times = cheap_requests_during([lambda n=n: pdf_request(app_url, n) for n in range(16)], app_url)
        statuses = [getattr(a, "status_code", None) for a in answers]
        assert set(statuses) <= {200, 503}, statuses
        busy = [a for a in answers if getattr(a, "status_code", None) == 503]
        assert busy and all(int(a.headers["Retry-After"]) > 0 for a in busy) and 200 in statuses
        assert times and max(times) < 2, sorted(times)[-5:]
        # the service is whole afterwards: a PDF is drawn again
        assert requests.get(app_url + "/api/export.pdf?level=geso", timeout=60).status_code == 200
        with running_nginx(app_url.removeprefix("http://")) as front:  # nginx's own limits: 429 with Retry-After
            answers = [pdf_request(front, 100 + n) for n in range(12)]
            limited = [a for a in answers if a.status_code == 429]
            assert limited and all(a.headers.get("Retry-After") for a in limited) and limited[0].json()["ok"] is False
            assert {a.status_code for a in answers} <= {200, 429, 503}


def test_nginx_serves_only_the_configured_host_names():
    with running_gunicorn() as (app_url, _), running_nginx(app_url.removeprefix("http://")) as front:
        assert requests.get(front + "/healthz", timeout=5).ok
        with pytest.raises(requests.ConnectionError):  # dropped without an answer (444)
            requests.get(front + "/healthz", headers={"Host": "rebound.example"}, timeout=5)


@pytest.fixture(scope="module")
def unreadable_package(tmp_path_factory):
    """A package whose UVAS table cannot be read (a folder where the file should be: the tests run as
    root, which reads any file whatever its mode)."""
    import shutil
    dest = tmp_path_factory.mktemp("unreadable") / "pkg"
    shutil.copytree(ROOT / "data" / "malmo", dest)
    (dest / "uvas.csv").unlink()
    (dest / "uvas.csv").mkdir()
    return dest


@pytest.mark.parametrize("runner", ["python", "gunicorn"])
def test_an_unreadable_package_file_is_one_line_and_exit_1(unreadable_package, runner):
    """Before: a 29-line (gunicorn: 64-line) traceback ending in PermissionError."""
    gunicorn = str(__import__("pathlib").Path(sys.executable).with_name("gunicorn"))
    args = [sys.executable, "app.py"] if runner == "python" else [gunicorn, "-c", "deploy/gunicorn.conf.py", "app:server"]
    result = run(args, {"MALMO_PACKAGE": str(unreadable_package), "PORT": "1"})
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    problems = [line for line in result.stderr.splitlines() if "uvas.csv" in line]
    assert len(problems) == 1 and "cannot be read: Is a directory" in problems[0], result.stderr[-1500:]


def test_nginx_spreads_requests_over_both_workers():
    """Before: nginx's kept-alive connections landed 48 requests on one worker and 3 on the other
    (measured here with 16 kept: the smaller share 118–242 of 480 over four runs). With 2 kept, the
    smaller share was 171–237 over nine runs; the test asks for at least 30 % (144)."""
    import collections
    with running_gunicorn({"HEALTH_TOKEN": "t"}) as (app_url, _), running_nginx(app_url.removeprefix("http://")) as front:
        sessions = [requests.Session() for _ in range(8)]

        def client(i):
            return [sessions[i].get(front + "/healthz", headers={"X-Health-Token": "t"}, timeout=10).json()["pid"] for _ in range(60)]
        with ThreadPoolExecutor(8) as pool:
            per_worker = collections.Counter(p for part in pool.map(client, range(8)) for p in part)
    assert len(per_worker) == 2 and min(per_worker.values()) >= 0.3 * sum(per_worker.values()), per_worker

"""Scale-out and safe updates, on real components: Debian's redis-server shared by two app
instances behind nginx, and a package version published to a running gunicorn under load."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import requests

from services import slider_body  # noqa: F401 - others import it from here too
from services import running_gunicorn, running_nginx, running_redis
from conftest import PACKAGE

KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]


def computed(url: str) -> int:
    return requests.get(url + "/healthz", timeout=10).json()["view_models_computed"]


def move(url: str, weights) -> dict:
    response = requests.post(url + "/_dash-update-component", json=slider_body(weights), timeout=30)
    response.raise_for_status()
    return response.json()["response"]["view-model"]["data"]


def test_two_instances_share_redis_and_keep_answering_without_it():
    with running_redis() as (redis_url, stop_redis):
        env = {"CACHE_REDIS_URL": redis_url, "WEB_CONCURRENCY": "1", "HEALTH_TOKEN": "t0ken-for-the-tests"}
        with running_gunicorn(env) as (a, _), running_gunicorn(env) as (b, _):
            with running_nginx([a.removeprefix("http://"), b.removeprefix("http://")]) as front:
                assert requests.get(front + "/healthz", timeout=10).json() == {"status": "ok"}  # through the proxy: status only
                details = requests.get(front + "/healthz", headers={"X-Health-Token": "t0ken-for-the-tests"}, timeout=10).json()
                assert details["cache"] == "JsonRedisCache"
                before_a, before_b = computed(a), computed(b)
                first = move(a, [61, 23, 45, 17])  # computed by instance A …
                assert computed(a) == before_a + 1
                second = move(b, [61, 23, 45, 17])  # … a cache hit on instance B
                assert computed(b) == before_b and second == first
                through = move(front, [61, 23, 45, 17])  # and through nginx, whichever instance answers
                assert through == first and computed(a) + computed(b) == before_a + before_b + 1
                # Redis stops: the app computes without a cache and keeps answering
                stop_redis()
                t0 = time.perf_counter()
                for w in ([12, 80, 33, 50], [12, 80, 33, 51], [90, 10, 10, 10]):
                    assert move(front, w)["rank"]
                assert time.perf_counter() - t0 < 10
                assert requests.get(front + "/", timeout=10).status_code == 200


def make_version(root: Path, name: str, title: str | None = None, broken: bool = False) -> Path:
    target = root / name
    shutil.copytree(PACKAGE, target)
    if title:
        manifest = json.loads((target / "datapackage.json").read_text())
        manifest["title"] = title
        (target / "datapackage.json").write_text(json.dumps(manifest, ensure_ascii=False))
    if broken:  # a percentage of 250 and a code that exists nowhere
        rows = (target / "indicators.csv").read_text().splitlines()
        rows[1] = "99999,2022,inte_behorig,250,19,false"
        (target / "indicators.csv").write_text("\n".join(rows) + "\n")
    return target


def publish(link: Path, target: Path) -> None:
    """As an operator does: a new symlink beside the old, renamed over it (one atomic step)."""
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def test_publishing_a_broken_then_a_good_version_under_load(tmp_path):
    v1 = make_version(tmp_path, "v1")
    broken = make_version(tmp_path, "v2-broken", broken=True)
    v3 = make_version(tmp_path, "v3", title="Malmö, ny version")
    current = tmp_path / "current"
    publish(current, v1)
    failures, answers = [], []
    stop = threading.Event()
    with running_gunicorn({"MALMO_PACKAGE": str(current), "RELOAD_CHECK_S": "0.5"}) as (url, _):
        first = requests.get(url + "/healthz", timeout=10).json()

        def load(seed: int):
            session = requests.Session()
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if n % 3 == 0:
                        r = session.get(url + "/api/export.csv?lang=en", timeout=30)
                    else:
                        r = session.post(url + "/_dash-update-component", json=slider_body([10 + (seed * 7 + n) % 90, 50, 50, 50]), timeout=30)
                    (answers if r.status_code == 200 else failures).append(r.status_code)
                except requests.RequestException as err:
                    failures.append(repr(err))
        threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)
            publish(current, broken)
            deadline = time.time() + 30
            health = {}
            while time.time() < deadline:
                health = requests.get(url + "/healthz", timeout=10).json()
                if "refused_version" in health:
                    break
                time.sleep(0.3)
            assert health["version"] == first["version"], "the broken version must not be used"
            problem = health["refused_version"]["problem"]
            assert "v2-broken" in health["refused_version"]["target"] and "indicators.csv, row 2" in problem and "250" in problem
            time.sleep(1.5)
            publish(current, v3)
            deadline = time.time() + 60
            while time.time() < deadline:
                health = requests.get(url + "/healthz", timeout=10).json()
                if health["version"] != first["version"] and "refused_version" not in health:
                    break
                time.sleep(0.3)
            assert health["version"] != first["version"] and "refused_version" not in health
            time.sleep(1.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        # every request answered, before, during and after both publications; the new title is served
        assert failures == [] and len(answers) > 50, (failures[:5], len(answers))
        page = requests.get(url + "/api/export.csv?lang=en", timeout=30).content.decode("utf-8-sig")
        assert requests.get(url + "/healthz", timeout=10).json()["version"] == health["version"]
        assert "Herrgården" in page


def as_a_browser(session, url, body):
    """POST as a browser does: a request that fails on a kept-alive connection the server has just
    closed (nginx's old workers close their idle ones on a reload) is sent once more on a new
    connection (Chromium resends on a reused socket that fails)."""
    try:
        return session.post(url, json=body, timeout=30)
    except requests.ConnectionError:
        return requests.post(url, json=body, timeout=30)


def restart_under_load(front: str, stop_one, saves: bool) -> tuple[list, list, list]:
    """Four clients move sliders through `front` (one also saves a scenario a second, if `saves`);
    after 2 s `stop_one()` runs; 2 s after it they stop. Returns (errors, answered, saved ids)."""
    errors, answered, saved = [], [], []
    stop = threading.Event()

    def load(seed):
        session = requests.Session()
        n, last_save = 0, time.monotonic()
        while not stop.is_set():
            n += 1
            try:
                if saves and seed == 0 and time.monotonic() - last_save > 1:  # nginx allows 20 a minute, burst 10
                    last_save = time.monotonic()
                    r = as_a_browser(session, front + "/api/scenarios", {"name": f"last {seed}-{n}", "state": "?w=inte_behorig:1"})
                else:
                    r = as_a_browser(session, front + "/_dash-update-component", slider_body([10 + (seed * 7 + n) % 90, 50, 50, 50]))
                (answered if r.status_code in (200, 201) else errors).append(r.status_code)
                if r.status_code == 201:
                    saved.append(r.json()["id"])
            except requests.RequestException as err:
                errors.append(type(err).__name__)
    threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)
    stop_one()
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join()
    return errors, answered, saved


def test_a_drained_instance_stops_under_load_and_nothing_is_lost():
    """Before: a graceful SIGTERM to one of two instances gave 10 × 502 within 70 ms (7 slider moves,
    3 scenario saves). Now: drain it (nginx without it, reloaded), then stop it: 0 errors."""
    from services import controlled_nginx
    with running_gunicorn({"WEB_CONCURRENCY": "1"}) as (a, proc_a), running_gunicorn({"WEB_CONCURRENCY": "1"}) as (b, _):
        with controlled_nginx([a.removeprefix("http://"), b.removeprefix("http://")]) as (front, reload):
            def drain_then_stop():
                reload([b.removeprefix("http://")])  # 1. drain: nginx sends nothing new to A
                proc_a.terminate()  # 2. stop A gracefully (SIGTERM): it finishes what it has
                proc_a.wait(30)
            errors, answered, saved = restart_under_load(front, drain_then_stop, saves=True)
    print(f"drained restart: {len(answered)} answered, {len(saved)} saves, {len(errors)} errors")
    assert errors == [] and len(answered) > 50 and saved, (errors[:10], len(answered))


def test_an_instance_stopped_without_draining_loses_no_slider_move():
    """Without draining, nginx asks the other instance again for a callback (safe to repeat)."""
    with running_gunicorn({"WEB_CONCURRENCY": "1"}) as (a, proc_a), running_gunicorn({"WEB_CONCURRENCY": "1"}) as (b, _):
        with running_nginx([a.removeprefix("http://"), b.removeprefix("http://")]) as front:
            def stop_now():
                proc_a.terminate()
                proc_a.wait(30)
            errors, answered, _ = restart_under_load(front, stop_now, saves=False)
    print(f"undrained restart: {len(answered)} answered, {len(errors)} errors")
    assert errors == [] and len(answered) > 50, (errors[:10], len(answered))

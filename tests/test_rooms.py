"""Rooms (layers/rooms.py, layers/analysis/room.py, layers/output/room.py, dashboard/rooms.py): the
agreement kernel against the robustness kernel and small known cases, the store on SQLite and
PostgreSQL (one vote per device, the facilitator's switches, limits, concurrent votes), the HTTP API
through the real Flask app, and the CLI's `room` on the wall's own export."""
from __future__ import annotations

import io
import json
import threading
import uuid

import numpy as np
import pytest

from layers.analysis.robustness import RobustnessSettings, draw_weights, robustness
from layers.analysis.room import agreement, agreement_class, median_weighting, weightings
from layers.rooms import RoomStore
from layers.scenarios import ScenarioError, ScenarioStore, database_url

KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]


@pytest.fixture
def rooms(backend):
    return RoomStore(ScenarioStore(backend))


def vote(w):
    return dict(zip(KEYS, w))


# --- the kernel ----------------------------------------------------------------------------------

def test_every_participant_is_a_draw_of_the_robustness_kernel(engine):
    """Votes that are the robustness analysis's own Dirichlet draws give its p_top exactly."""
    s = RobustnessSettings(draws=300, top_n=11, seed=5)
    draws = draw_weights(np.full(4, 0.25), s, np.random.default_rng(5))
    room = agreement(engine, [vote((100 * d).tolist()) for d in draws], top_n=11).set_index("code")
    rob = robustness(engine, None, settings=s).set_index("code")
    assert np.allclose(room["share_top"].reindex(rob.index), rob["p_top"], atol=1e-12, equal_nan=True)
    assert room["share_top"].sum() == pytest.approx(11)  # each vote places exactly N areas in its top N


def test_agreement_on_known_votes(engine):
    same = agreement(engine, [vote([50, 50, 50, 50])] * 3, top_n=5)
    base = engine.index(None)
    top = set(base.codes[(base.rank > 0) & (base.rank <= 5)])
    assert set(same.loc[same["agreement"] == "all", "code"]) == top and same.attrs["votes"] == 3
    assert (same.loc[~same["code"].isin(top) & (same["agreement"] != ""), "agreement"] == "none").all()
    split = agreement(engine, [vote([100, 0, 0, 0]), vote([0, 0, 0, 100])], top_n=5)
    school = engine.index({"inte_behorig": 1.0, "trangboddhet": 0, "ekonomiskt_bistand": 0, "lag_inkomststandard": 0})
    only_school = set(school.codes[(school.rank > 0) & (school.rank <= 5)]) - set(
        engine.index({"inte_behorig": 0, "trangboddhet": 0, "ekonomiskt_bistand": 0, "lag_inkomststandard": 1.0}).codes[:0])
    row = split.set_index("code").loc[sorted(only_school)[0]]
    assert row["share_top"] in (0.5, 1.0) and row["agreement"] in ("depends", "all")
    assert list(agreement_class([1.0, 0.75, 0.5, 0.1, 0.0, np.nan])) == [0, 1, 2, 2, 3, -1]  # half is not "most"


def test_median_weighting_and_bad_votes():
    w = weightings([vote([100, 0, 0, 0]), vote([50, 50, 0, 0]), vote([0, 100, 0, 0])], KEYS)
    assert median_weighting(w, KEYS) == {"inte_behorig": 0.5, "trangboddhet": 0.5, "ekonomiskt_bistand": 0.0, "lag_inkomststandard": 0.0}
    assert median_weighting(np.zeros((0, 4)), KEYS)["inte_behorig"] == 0.25
    from layers.errors import EngineError
    with pytest.raises(EngineError, match="vote 1: at least one weight above 0"):
        weightings([vote([0, 0, 0, 0])], KEYS)
    with pytest.raises(EngineError, match="0–100"):
        weightings([vote([101, 0, 0, 0])], KEYS)


# --- the store -----------------------------------------------------------------------------------

def test_one_vote_per_device_and_the_facilitators_switches(rooms):
    room, key = rooms.open("?level=delomrade")
    assert len(room.code) == 4 and rooms.get(room.code.lower()).code == room.code  # read aloud, typed in either case
    device = "a" * 32
    rooms.vote(room.code, device, vote([10, 20, 30, 40]), KEYS)
    rooms.vote(room.code, device, vote([40, 30, 20, 10]), KEYS, nickname="Ada")  # sending again replaces it
    votes = rooms.votes(room.code)
    assert len(votes) == 1 and votes[0].weights == vote([40.0, 30.0, 20.0, 10.0]) and votes[0].nickname == ""  # nicknames off
    assert votes[0].minute.endswith("Z") and len(votes[0].minute) == 17  # to the minute
    assert rooms.version(room.code) == 2
    for action in ("freeze", "reveal", "reset", "close"):
        with pytest.raises(ScenarioError) as err:
            rooms.switch(room.code, "wrong-key", action)
        assert err.value.kind == "forbidden"
    rooms.switch(room.code, key, "freeze")
    with pytest.raises(ScenarioError, match="frozen"):
        rooms.vote(room.code, "b" * 32, vote([1, 1, 1, 1]), KEYS)
    rooms.switch(room.code, key, "unfreeze")
    rooms.vote(room.code, "b" * 32, vote([1, 1, 1, 1]), KEYS)
    rooms.switch(room.code, key, "reset")
    assert rooms.votes(room.code) == []
    rooms.switch(room.code, key, "close")
    with pytest.raises(ScenarioError, match="closed"):
        rooms.vote(room.code, "c" * 32, vote([1, 1, 1, 1]), KEYS)
    for bad, match in ((vote([0, 0, 0, 0]), "at least one"), ({"inte_behorig": 5}, "each of"), (vote([50, 50, 50, "x"]), "0–100")):
        with pytest.raises(ScenarioError, match=match):
            rooms.vote(rooms.open("?")[0].code, "d" * 32, bad, KEYS)


def test_a_room_holds_its_limit_and_expires(rooms):
    room, _ = rooms.open("?", max_votes=2, nicknames=True)
    rooms.vote(room.code, "a" * 32, vote([1, 2, 3, 4]), KEYS, nickname="Ada")
    rooms.vote(room.code, "b" * 32, vote([1, 2, 3, 4]), KEYS)
    with pytest.raises(ScenarioError) as err:
        rooms.vote(room.code, "c" * 32, vote([1, 2, 3, 4]), KEYS)
    assert err.value.kind == "full"
    rooms.vote(room.code, "a" * 32, vote([4, 3, 2, 1]), KEYS, nickname="Ada")  # a device that voted may still change its vote
    assert sorted(v.nickname for v in rooms.votes(room.code)) == ["", "Ada"]
    with pytest.raises(ScenarioError, match="name: character 2 is an invisible formatting"):
        rooms.vote(room.code, "a" * 32, vote([4, 3, 2, 1]), KEYS, nickname="A\u202eB")  # the scenario names' text rules
    short, _ = rooms.open("?", hours=1)
    from datetime import datetime, timedelta, timezone
    later = RoomStore(rooms.store, clock=lambda: datetime.now(timezone.utc) + timedelta(hours=1, seconds=2))
    assert rooms.get(short.code) == short
    with pytest.raises(ScenarioError) as err:
        later.get(short.code)  # an hour and two seconds on: expired, and gone for a vote too
    assert err.value.kind == "not_found"
    with pytest.raises(ScenarioError) as err:
        later.vote(short.code, "e" * 32, vote([1, 1, 1, 1]), KEYS)
    assert err.value.kind == "not_found"
    with pytest.raises(ScenarioError) as err:
        rooms.get("../x")
    assert err.value.kind == "not_found"


def test_concurrent_votes_are_each_counted_once(rooms):
    room, _ = rooms.open("?")
    errors = []

    def one(n):
        try:
            rooms.vote(room.code, f"device-{n:04d}-xxxxxxxxxx", vote([n % 101, 50, 50, 50]), KEYS)
        except Exception as err:  # noqa: BLE001 - any failure fails the test below
            errors.append(repr(err))
    threads = [threading.Thread(target=one, args=(n,)) for n in range(60)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and len(rooms.votes(room.code)) == 60 and rooms.version(room.code) == 60


# --- the API, through the real Flask app ---------------------------------------------------------

@pytest.fixture(scope="module")
def api(tmp_path_factory):
    import os
    from dashboard.app import create_app
    from conftest import PACKAGE
    os.environ["ROOM_DEVICE_VOTES_PER_MINUTE"] = "20"
    app = create_app(str(PACKAGE))
    return app.server.test_client()


def open_room(api, **extra):
    answer = api.post("/api/rooms", json={"state": "?w=inte_behorig:50,trangboddhet:50,ekonomiskt_bistand:50,lag_inkomststandard:50", **extra})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def test_the_wall_equals_a_recomputation_from_the_stored_votes(api, engine, tmp_path):
    room = open_room(api)
    code, key = room["code"], room["key"]
    rng = np.random.default_rng(3)
    sent = []
    for n in range(20):
        w = vote(rng.integers(0, 101, 4).tolist())
        w["inte_behorig"] += 1  # never all zero
        answer = api.post(f"/api/rooms/{code}/vote", json={"token": f"phone-{n:03d}-0123456789", "weights": w})
        assert answer.status_code == 200 and len(answer.get_json()["top"]) == 11 and answer.get_json()["map"].startswith("<svg")
        sent.append(w)
    model = api.get(f"/api/rooms/{code}").get_json()
    assert model["count"] == 20 and model["version"] == 20
    expected = agreement(engine, sent, "delomrade", top_n=11)
    listed = {a["code"]: a["share"] for a in model["areas"]}
    assert listed == {r.code: int(round(100 * r.share_top)) for r in expected.itertuples() if r.share_top > 0}
    assert model["median"] == {k: round(100 * v, 1) for k, v in expected.attrs["median"].items()}
    assert sum(model["classes"].values()) == (expected["agreement"] != "").sum()
    assert api.get(f"/api/rooms/{code}/version?since=20").status_code == 204  # nothing new: no body, cheap
    assert api.get(f"/api/rooms/{code}/version?since=19").get_json() == {"version": 20}
    # the CLI on the wall's own export gives the same agreement
    csv = api.get(f"/api/rooms/{code}/votes.csv", headers={"X-Room-Key": key})
    assert csv.status_code == 200 and "phone-" not in csv.get_data(as_text=True)
    from layers.cli import main
    (tmp_path / "votes.csv").write_bytes(csv.data)
    import contextlib
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["room", "--votes", str(tmp_path / "votes.csv"), "--format", "json"]) == 0
    cli = {a["code"]: a["share_top"] for a in json.loads(buffer.getvalue())["areas"] if a["share_top"] is not None}
    assert cli == pytest.approx({c: v for c, v in zip(expected["code"], expected["share_top"]) if v == v})  # areas without an index: none


def test_hidden_votes_and_the_key(api):
    room = open_room(api, hidden=True, nicknames=True)
    code, key = room["code"], room["key"]
    api.post(f"/api/rooms/{code}/vote", json={"token": "t" * 20, "weights": vote([1, 2, 3, 4]), "nickname": "=HYPERLINK(\"x\")"})
    hidden = api.get(f"/api/rooms/{code}").get_json()
    assert hidden["count"] == 1 and hidden["hidden"] and "areas" not in hidden and "weights" not in hidden
    assert api.post(f"/api/rooms/{code}/reveal").status_code == 403
    assert api.post(f"/api/rooms/{code}/reveal", headers={"X-Room-Key": "nope"}).status_code == 403
    assert api.get(f"/api/rooms/{code}/votes.csv").status_code == 403
    assert api.post(f"/api/rooms/{code}/reveal", headers={"X-Room-Key": key}).get_json()["revealed"] is True
    shown = api.get(f"/api/rooms/{code}").get_json()
    assert shown["nicknames"] == ['=HYPERLINK("x")'] and shown["areas"]
    xlsx = api.get(f"/api/rooms/{code}/votes.xlsx", headers={"X-Room-Key": key})
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "Tid (minut, UTC)")
    assert rows[0][0].startswith("EXEMPELDATA") and rows[head + 1][1:] == (1.0, 2.0, 3.0, 4.0)  # the demo data said first
    assert "HYPERLINK" not in json.dumps(rows, default=str) and len(rows) == head + 2  # weights only, no nickname
    saved = api.post(f"/api/rooms/{code}/scenario", headers={"X-Room-Key": key})
    assert saved.status_code == 201 and "1 röster" in saved.get_json()["note"] and saved.get_json()["compare"].startswith("/compare?a=")
    assert api.get(saved.get_json()["compare"]).status_code == 200


def test_refusals_are_one_line_4xx(api):
    room = open_room(api)
    code = room["code"]
    cases = [(api.post("/api/rooms", json={"state": "?w=nope:1"}), 400), (api.post("/api/rooms", data="x"), 400),
             (api.post("/api/rooms", json={"state": "?", "hours": 1000}), 400),
             (api.post(f"/api/rooms/{code}/vote", json={"weights": vote([1, 1, 1, 1])}), 400),
             (api.post(f"/api/rooms/{code}/vote", json={"token": "x" * 20, "weights": [1, 2]}), 400),
             (api.get("/api/rooms/ZZZZ"), 404), (api.get("/api/rooms/../../etc"), 404), (api.post(f"/api/rooms/{code}/explode"), 404),
             (api.get(f"/api/rooms/{code}/nothing.svg"), 404)]
    for answer, status in cases:
        assert answer.status_code == status, answer.get_data(as_text=True)
        assert "Traceback" not in answer.get_data(as_text=True)
    for n in range(10):  # the device's burst, then 429 with Retry-After
        api.post(f"/api/rooms/{code}/vote", json={"token": "same-device-0123456789", "weights": vote([1, 1, 1, 1])})
    limited = api.post(f"/api/rooms/{code}/vote", json={"token": "same-device-0123456789", "weights": vote([1, 1, 1, 1])})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_the_pages_and_pictures(api):
    room = open_room(api)
    code = room["code"]
    join = api.get(f"/rum/{code}")
    text = join.get_data(as_text=True)
    assert join.status_code == 200 and f"Rum {code}" in text and text.count("type='range'") == 4 and "Content-Security-Policy" in join.headers
    assert "dash" not in text.lower().replace("dashboard", "")  # no Dash on the phone's page
    assert "Andelen barn som bor trångt" in text and "Skicka" in text
    assert "Weigh together" in api.get(f"/rum/{code}?lang=en").get_data(as_text=True)
    wall = api.get(f"/rum/{code}/vagg").get_data(as_text=True)
    assert f"rum/{code}" in wall and "qr.svg" in wall
    for picture in ("qr", "agreement", "weights"):
        svg = api.get(f"/api/rooms/{code}/{picture}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data[:400]
    assert api.get("/rum/QQQQ").status_code == 404 and "Traceback" not in api.get("/rum/QQQQ").get_data(as_text=True)
    assert api.get("/rum?w=inte_behorig:80&level=geso").status_code == 200


# --- the production shape: nginx, two instances, 200 phones within a minute -----------------------

def load_run(url: str, spread_s: float = 8.0) -> dict:
    """200 phones open the join page and vote (20 change their vote), spread over `spread_s`, through nginx
    in front of two gunicorn instances sharing the database `url`; a wall polls a second apart, as the
    page does. Returns what was sent, acknowledged, seen and stored."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from services import running_gunicorn, running_nginx
    env = {"SCENARIO_DB": url, "WEB_CONCURRENCY": "1", "THREADS": "8", "TRUSTED_PROXIES": "1"}
    with running_gunicorn(env) as (a, _), running_gunicorn(env) as (b, _):
        with running_nginx([a.removeprefix("http://"), b.removeprefix("http://")]) as front:
            room = requests.post(front + "/api/rooms", json={"state": "?level=delomrade"}, timeout=10).json()
            code, api = room["code"], front + f"/api/rooms/{room['code']}"
            seen: list[tuple[float, int]] = []  # (time, version) the wall has shown
            stop = threading.Event()

            def wall():
                version = None
                while not stop.wait(1.0 if version is not None else 0):
                    answer = requests.get(api + f"/version?since={version}", timeout=10)
                    if answer.status_code == 200:
                        model = requests.get(api, timeout=10).json()
                        version = model["version"]
                        seen.append((time.perf_counter(), version))
            watcher = threading.Thread(target=wall)
            watcher.start()
            rng = np.random.default_rng(11)
            plan = [(n, vote(rng.integers(1, 101, 4).tolist())) for n in range(200)]
            plan += [(n, vote([90, 10, 10, 10])) for n in range(20)]  # twenty phones change their minds
            start = time.perf_counter()
            acks: list[tuple[float, int]] = []

            def phone(i):
                n, weights = plan[i]
                session = requests.Session()
                time.sleep(max(0.0, start + spread_s * i / len(plan) - time.perf_counter()))
                assert session.get(front + f"/rum/{code}", timeout=10).status_code == 200
                answer = session.post(api + "/vote", json={"token": f"phone-{n:04d}-load-test", "weights": weights}, timeout=30)
                assert answer.status_code == 200, answer.text
                acks.append((time.perf_counter(), answer.json()["version"]))
            try:
                with ThreadPoolExecutor(max_workers=32) as pool:
                    list(pool.map(phone, range(len(plan))))
                took = time.perf_counter() - start
                time.sleep(2.5)
            finally:
                stop.set()
                watcher.join()
            model = requests.get(api, timeout=10).json()
    return {"plan": plan, "acks": acks, "seen": seen, "took": took, "model": model,
            "stored": RoomStore(ScenarioStore(url)).votes(code)}


@pytest.mark.server
def test_two_hundred_phones_through_nginx_and_two_instances(postgres, tmp_path, engine):
    """The production shape, on SQLite and on PostgreSQL at once (each its own nginx and two instances):
    every acknowledged vote is counted once, the wall's figures equal a recomputation from the stored
    votes, and the wall sees a vote within 2 s of its acknowledgement (median)."""
    from concurrent.futures import ThreadPoolExecutor
    urls = {"sqlite": database_url(str(tmp_path / "rooms.sqlite3"), tmp_path / "x"), "postgresql": postgres("load" + uuid.uuid4().hex[:8])}
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(urls, pool.map(load_run, urls.values())))
    for db, run in runs.items():
        model, stored, acks = run["model"], run["stored"], run["acks"]
        final = {n: {k: float(v) for k, v in w.items()} for n, w in run["plan"]}  # a phone's last vote counts
        assert run["took"] < 60 and len(acks) == 220, db
        assert model["count"] == len(stored) == 200, db  # every acknowledged vote once; a change replaced its vote
        assert sorted(json.dumps(v.weights, sort_keys=True) for v in stored) == sorted(json.dumps(w, sort_keys=True) for w in final.values())
        expected = agreement(engine, [v.weights for v in stored], "delomrade", top_n=11)
        assert {a["code"]: a["share"] for a in model["areas"]} == {r.code: int(round(100 * r.share_top))
                                                                 for r in expected.head(30).itertuples() if r.share_top > 0}, db
        delays = [next(t for t, v in run["seen"] if v >= version) - at for at, version in acks]
        assert np.median(delays) <= 2.0, f"{db}: median {np.median(delays):.2f} s"
        print(f"\n{db}: 220 votes in {run['took']:.1f} s, wall delay median {np.median(delays):.2f} s, max {max(delays):.2f} s")

"""Scenarios (layers/scenarios.py, dashboard/scenario_api.py) and the comparison (layers/analysis/compare.py):
the store, its HTTP API with every refusal a one-line 4xx, a real server under 20 concurrent saves
and a restart, and the CLI's `compare`."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from cli_support import run_cli
import requests

from layers.analysis.compare import compare, side, weight_changes
from layers.scenarios import SCHEMA_VERSION, ScenarioError, ScenarioStore, database_url
from conftest import ROOT

EQUAL = "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1"
ECONOMY = "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:3,lag_inkomststandard:1"


@pytest.fixture
def store(backend):
    return ScenarioStore(backend)


def test_store_life_cycle_and_tokens(store):
    saved, token = store.create("Skolfokus", "inför mötet", "?w=" + EQUAL)
    assert len(saved.id) == 8 and store.get(saved.id) == saved
    assert [s.id for s in store.get_many([saved.id, "nothere", "../x"])] == [saved.id]
    with pytest.raises(ScenarioError) as err:
        store.delete(saved.id, "wrong")
    assert err.value.kind == "forbidden"
    with pytest.raises(ScenarioError) as err:
        store.edit(saved.id, None, name="x")
    assert err.value.kind == "forbidden"
    assert store.edit(saved.id, token, name="Skolfokus 2").name == "Skolfokus 2"
    edited = store.edit(saved.id, token, note="efter mötet")  # the note too, by its creator; the view stays
    assert (edited.name, edited.note, edited.state) == ("Skolfokus 2", "efter mötet", saved.state)
    with pytest.raises(ScenarioError) as err:
        store.edit(saved.id, token)
    assert err.value.kind == "invalid"
    with pytest.raises(ScenarioError) as err:
        store.pin(saved.id, token)  # a scenario's own token does not open the shared list
    assert err.value.kind == "forbidden"
    key = store.create_workshop_key()
    store.pin(saved.id, key)
    assert [s.id for s in store.workshop()] == [saved.id]
    store.delete(saved.id, token)
    assert store.workshop() == [] and store.get_many([saved.id]) == []
    with pytest.raises(ScenarioError) as err:
        store.get(saved.id)
    assert err.value.kind == "not_found"
    # only the token's hash is stored, and the schema has its version
    from sqlalchemy import create_engine, text
    with create_engine(store.url).connect() as db:
        assert db.execute(text("select version from schema_info")).fetchall() == [(SCHEMA_VERSION,)]
        saved2, token2 = store.create("Kvar", None, "?w=" + EQUAL)
        assert token2 not in json.dumps([list(map(str, r)) for r in db.execute(text("select * from scenarios")).fetchall()])


def test_several_processes_opening_a_new_database_at_once(backend):
    """gunicorn's workers meet a new database together: each creates the schema or finds it made."""
    code = ("import sys; from layers.scenarios import ScenarioStore; "
            "ScenarioStore(sys.argv[1]).create('x', None, '?w=inte_behorig:1')")
    procs = [subprocess.Popen([sys.executable, "-c", code, backend], cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [p.communicate()[1] for p in procs if p.wait() != 0]
    assert errors == []
    assert len(ScenarioStore(backend).get_many([])) == 0 and ScenarioStore(backend).health() is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, None, 5, "a\nb"])
def test_store_refuses_bad_names(store, name):
    with pytest.raises(ScenarioError) as err:
        store.create(name, None, "?w=" + EQUAL)
    assert err.value.kind == "invalid" and "name" in err.value.message


def test_a_corrupt_or_unwritable_database_is_a_clear_message_and_the_app_keeps_working(tmp_path):
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    store = ScenarioStore(database_url(str(corrupt), corrupt))
    with pytest.raises(ScenarioError) as err:
        store.create("x", None, "?w=" + EQUAL)
    assert err.value.kind == "unavailable" and "corrupt.sqlite3" in err.value.message and "not a database" in err.value.message
    assert store.health() and "not a database" in store.health()

    from dashboard.app import create_app
    os.environ["SCENARIO_DB"], before = str(corrupt), os.environ["SCENARIO_DB"]
    try:
        app = create_app()
    finally:
        os.environ["SCENARIO_DB"] = before
    client = app.server.test_client()
    answer = client.post("/api/scenarios", json={"name": "x", "state": "?w=" + EQUAL})
    assert answer.status_code == 503 and answer.get_json()["error"] == "the scenario database cannot be used right now"
    assert b"corrupt" not in answer.data and b"sqlite" not in answer.data and b"Traceback" not in answer.data  # details only in the log
    page = client.get("/?s=abcdefgh")  # the page still opens; the unknown scenario is a notice
    assert page.status_code == 200
    assert client.get("/api/export.csv?s=abcdefgh").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_api_round_trip_and_bad_requests(client):
    made = client.post("/api/scenarios", json={"name": "<img src=x onerror=alert(1)>", "note": "n", "state": "?w=" + ECONOMY + "&level=delomrade&lang=en"})
    assert made.status_code == 201
    body = made.get_json()
    assert body["name"] == "<img src=x onerror=alert(1)>" and body["url"] == f"/?s={body['id']}" and body["edit_token"]
    assert "lang=" not in body["state"] and body["view"]["w"]["ekonomiskt_bistand"] == 100
    got = client.get(f"/api/scenarios/{body['id']}").get_json()
    assert got["state"] == body["state"] and "edit_token" not in got
    assert [s["id"] for s in client.get(f"/api/scenarios?ids={body['id']},nothere").get_json()["scenarios"]] == [body["id"]]

    # ?s= opens it; the link's own parameters override it
    csv = client.get(f"/api/export.csv?s={body['id']}&lang=en").data.decode("utf-8-sig")
    assert "Economic assistance 50 %" in csv or "50 %" in csv
    assert client.get(f"/api/export.csv?s={body['id']}&w={EQUAL}&lang=en").data.decode("utf-8-sig").count("25 %") >= 4

    bad = {
        "name too long": ({"name": "x" * 81, "state": "?w=" + EQUAL}, 400),
        "unknown state key": ({"name": "x", "state": "?w=" + EQUAL + "&colour=red"}, 400),
        "bad weight": ({"name": "x", "state": "?w=inte_behorig:-1"}, 400),
        "unknown field": ({"name": "x", "state": "", "owner": "me"}, 400),
        "no state": ({"name": "x"}, 400),
    }
    for what, (payload, status) in bad.items():
        answer = client.post("/api/scenarios", json=payload)
        assert answer.status_code == status, what
        error = answer.get_json()
        assert error["ok"] is False and error["status"] == status and "\n" not in error["error"] and b"Traceback" not in answer.data, what
    assert client.post("/api/scenarios", data="{not json", content_type="application/json").status_code == 400
    assert client.post("/api/scenarios", data="name=x", content_type="application/x-www-form-urlencoded").status_code == 400
    assert client.get("/api/scenarios/zzzzzzzz").status_code == 404
    assert client.get("/api/scenarios/ab%20cd").status_code == 404
    assert client.delete(f"/api/scenarios/{body['id']}").status_code == 403
    assert client.delete(f"/api/scenarios/{body['id']}", headers={"X-Edit-Token": "guess"}).status_code == 403
    assert client.patch(f"/api/scenarios/{body['id']}", json={"state": "?w=" + EQUAL}, headers={"X-Edit-Token": body["edit_token"]}).status_code == 400
    assert client.patch(f"/api/scenarios/{body['id']}", json={"name": "Ny"}, headers={"X-Edit-Token": body["edit_token"]}).get_json()["name"] == "Ny"
    noted = client.patch(f"/api/scenarios/{body['id']}", json={"note": "rättad anteckning"}, headers={"X-Edit-Token": body["edit_token"]}).get_json()
    assert (noted["name"], noted["note"], noted["state"]) == ("Ny", "rättad anteckning", body["state"])
    assert client.patch(f"/api/scenarios/{body['id']}", json={"note": "x"}).status_code == 403
    assert client.patch(f"/api/scenarios/{body['id']}", json={}, headers={"X-Edit-Token": body["edit_token"]}).status_code == 400

    # a set of scenarios moves to another server as a file, with new ids and tokens
    exported = client.get(f"/api/scenarios/export?ids={body['id']}")
    assert "attachment" in exported.headers["Content-Disposition"]
    imported = client.post("/api/scenarios/import", json=exported.get_json())
    assert imported.status_code == 201
    again = imported.get_json()["scenarios"][0]
    assert again["id"] != body["id"] and again["state"] == body["state"] and again["name"] == "Ny"
    broken = {**exported.get_json(), "scenarios": [{"name": "ok", "state": "?w=" + EQUAL}, {"name": "", "state": "?w=" + EQUAL}]}
    answer = client.post("/api/scenarios/import", json=broken)
    assert answer.status_code == 400 and b"scenario 2" in answer.data

    assert client.delete(f"/api/scenarios/{body['id']}", headers={"X-Edit-Token": body["edit_token"]}).status_code == 204
    assert client.get(f"/api/scenarios/{body['id']}").status_code == 404
    page = client.get(f"/?s={body['id']}")
    assert page.status_code == 200


@pytest.mark.server
def test_twenty_concurrent_saves_lose_none_and_survive_a_restart(backend):
    """20 POSTs at once against gunicorn (2 workers × 4 threads, the production shape), then a restart."""
    from services import running_gunicorn
    env = {"SCENARIO_DB": backend}
    with running_gunicorn(env) as (url, _):
        def save(n):
            return requests.post(url + "/api/scenarios", json={"name": f"Scenario {n}", "state": f"?w=inte_behorig:{n + 1},trangboddhet:1"}, timeout=30)
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(save, range(20)))
        assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers if a.status_code != 201]
        ids = [a.json()["id"] for a in answers]
        assert len(set(ids)) == 20
    with running_gunicorn(env) as (url, _):
        found = requests.get(url + "/api/scenarios?ids=" + ",".join(ids), timeout=30).json()["scenarios"]
        assert sorted(s["name"] for s in found) == sorted(f"Scenario {n}" for n in range(20))


def test_compare_lists_who_enters_and_leaves(engine):
    a = side(engine, None)
    b = side(engine, {"inte_behorig": 1, "trangboddhet": 1, "ekonomiskt_bistand": 3, "lag_inkomststandard": 1})
    result = compare(a, b, 11)
    areas = result.areas
    assert areas["in_top_a"].sum() == 11 and areas["in_top_b"].sum() == 11
    entering, leaving = set(result.entering()["code"]), set(result.leaving()["code"])
    assert len(entering) == len(leaving)  # the top 11 stays 11
    assert entering == set(areas.loc[areas["rank_b"].between(1, 11) & ~areas["rank_a"].between(1, 11), "code"])
    assert (areas["rank_change"] == areas["rank_a"] - areas["rank_b"]).where(areas["rank_a"] > 0, True).all()
    same = compare(a, a, 11)
    assert same.entering().empty and same.leaving().empty and (same.areas["rank_change"] == 0).all()
    # the union of both top-20 lists, best first
    slope = result.slope()
    assert set(slope["code"]) == set(areas.loc[areas["rank_a"].between(1, 20) | areas["rank_b"].between(1, 20), "code"])


def test_weight_changes_say_it_as_a_facilitator_would():
    equal = {"a": 1, "b": 1, "c": 1, "d": 1}
    kinds = {c["key"]: (c["kind"], c["factor"]) for c in weight_changes(equal, {"a": 2, "b": 1, "c": 1, "d": 1})}
    assert kinds == {"a": ("more", 2.0), "b": ("same", 1.0), "c": ("same", 1.0), "d": ("same", 1.0)}
    assert all(c["kind"] == "same" for c in weight_changes(equal, {"a": 5, "b": 5, "c": 5, "d": 5}))
    assert weight_changes(equal, {"a": 0, "b": 1, "c": 1, "d": 1})[0]["kind"] == "off"
    assert weight_changes({"a": 0, "b": 1, "c": 1, "d": 1}, equal)[0]["kind"] == "on"
    from dashboard.compare import weight_sentences
    words = weight_sentences(weight_changes(equal, {"a": 2, "b": 1, "c": 1, "d": 1}), {k: k.upper() for k in equal}, "sv", "A", "B")
    assert words == ["B ger a mer vikt än A: 40\u00a0% av helheten mot 25\u00a0%."]  # the shares, not a factor they contradict


def test_cli_compare_json_and_csv():
    run = lambda *a: run_cli("compare", *a)  # noqa: E731
    out = run("--a", EQUAL, "--b", ECONOMY, "--top-n", "11")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["top_n"] == 11 and len(data["areas"]) == 136
    assert {"code", "rank_a", "rank_b", "index_a", "index_b", "in_top_a", "in_top_b", "cluster_a", "cluster_b"} <= set(data["areas"][0])
    assert data["entering_top"] and len(data["entering_top"]) == len(data["leaving_top"])
    csv = pd.read_csv(io.StringIO(run("--a", EQUAL, "--b", ECONOMY, "--format", "csv").stdout), dtype={"code": str})
    assert len(csv) == 136 and set(csv.loc[csv["in_top_b"] & ~csv["in_top_a"], "code"]) == {r["code"] for r in data["entering_top"]}
    bad = run("--b", "inte_behorig=abc")
    assert bad.returncode == 2 and "must be a number" in bad.stderr and "Traceback" not in bad.stderr


# --- the shared workshop list and the store's limits (second review, items 13 and 15) ------------

def test_the_workshop_list_needs_the_key_and_is_capped(backend):
    from layers.scenarios import WORKSHOP_MAX
    store = ScenarioStore(backend)
    made = store.create_many([(f"s{i}", None, "?w=" + EQUAL) for i in range(WORKSHOP_MAX + 1)])
    with pytest.raises(ScenarioError) as err:
        store.pin(made[0][0].id, "any")
    assert err.value.kind == "forbidden" and "no key yet" in err.value.message
    key = store.create_workshop_key()
    with pytest.raises(ScenarioError) as err:
        store.create_workshop_key()  # while a key exists, nobody makes another
    assert err.value.kind == "conflict"
    with pytest.raises(ScenarioError) as err:
        store.pin(made[0][0].id, "guessed")
    assert err.value.kind == "forbidden"
    for s, _ in made[:WORKSHOP_MAX]:
        store.pin(s.id, key)
    with pytest.raises(ScenarioError) as err:
        store.pin(made[-1][0].id, key)
    assert err.value.kind == "conflict" and str(WORKSHOP_MAX) in err.value.message
    store.unpin(made[0][0].id, key)
    store.pin(made[-1][0].id, key)
    assert len(store.workshop()) == WORKSHOP_MAX
    configured = ScenarioStore(backend, workshop_key="from-the-environment")
    with pytest.raises(ScenarioError):
        configured.create_workshop_key()
    configured.unpin(made[1][0].id, "from-the-environment")
    assert len(configured.workshop()) == WORKSHOP_MAX - 1


def test_the_store_has_a_quota_and_a_retention(tmp_path):
    from sqlalchemy import update
    from layers.scenarios import scenarios
    store = ScenarioStore(database_url(str(tmp_path / "q.sqlite3"), tmp_path / "x"), workshop_key="k", quota=5, retention_days=30)
    made = store.create_many([(f"s{i}", None, "?w=" + EQUAL) for i in range(5)])
    with pytest.raises(ScenarioError) as err:
        store.create("one more", None, "?w=" + EQUAL)
    assert err.value.kind == "full" and "full" in err.value.message
    old, pinned = made[0][0].id, made[1][0].id
    store.pin(pinned, "k")
    with store._db().begin() as conn:  # two of them made long ago
        conn.execute(update(scenarios).where(scenarios.c.id.in_([old, pinned])).values(created="2020-01-01T00:00:00+00:00"))
    assert store.purge_expired(force=True) == 1  # the pinned one is kept
    assert store.get_many([old, pinned]) == [store.get(pinned)]
    store.create("room again", None, "?w=" + EQUAL)


def test_scenario_writes_and_look_ups_are_rate_limited(client, monkeypatch):
    """Before: 35 imports stored 3 500 scenarios in 31 s, and ids were tried 100 per request without limit."""
    from dashboard import limits
    from layers.scenarios import MAX_IDS
    monkeypatch.setattr(limits, "SCENARIO_WRITES", limits.RateLimit("scenario writes", 30, burst=40))
    monkeypatch.setattr(limits, "SCENARIO_LOOKUPS", limits.RateLimit("scenario look-ups", 120))
    import dashboard.scenario_api as api
    monkeypatch.setattr(api, "SCENARIO_WRITES", limits.SCENARIO_WRITES)
    monkeypatch.setattr(api, "SCENARIO_LOOKUPS", limits.SCENARIO_LOOKUPS)
    doc = {"format": "malmo-scenarios", "version": 1, "scenarios": [{"name": f"x{i}", "state": "?w=" + EQUAL} for i in range(20)]}
    answers = [client.post("/api/scenarios/import", json=doc, environ_base={"REMOTE_ADDR": "198.51.100.7"}) for _ in range(35)]
    stored = sum(len(a.get_json().get("scenarios", [])) for a in answers if a.status_code == 201)
    limited = [a for a in answers if a.status_code == 429]
    assert stored == 40 and limited and int(limited[0].headers["Retry-After"]) > 0
    other = client.post("/api/scenarios", json={"name": "x", "state": "?w=" + EQUAL}, environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert other.status_code == 201  # another address is not held up
    assert client.get("/api/scenarios?ids=" + ",".join(["abcdefgh"] * (MAX_IDS + 1))).status_code == 400
    ids = ",".join(f"abcdef{i:02d}" for i in range(MAX_IDS))
    looked = [client.get("/api/scenarios?ids=" + ids, environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code for _ in range(10)]
    assert looked.count(200) == 6 and looked[-1] == 429  # 120 ids a minute, 20 at a time


def test_a_database_that_cannot_be_written_still_opens_saved_scenarios(tmp_path):
    """Before: after a restart on a read-only database every request, reads too, was 503 'attempt to
    write a readonly database', so every ?s= link fell to a notice. Now reads work and writes are
    refused in words. (The tests run as root, whom file modes do not stop: SQLite's read-only mode
    is the same refusal.)"""
    import sqlite3
    path = tmp_path / "ro.sqlite3"
    writable = ScenarioStore(database_url(str(path), path))
    saved, _ = writable.create("Sparat förut", None, "?w=" + EQUAL)
    writable._db().dispose()
    with sqlite3.connect(path) as conn:  # as a database copied or restored elsewhere: not in WAL mode
        conn.execute("PRAGMA journal_mode=DELETE")
    store = ScenarioStore(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert store.get(saved.id).name == "Sparat förut"
    with pytest.raises(ScenarioError) as err:
        store.create("Nytt", None, "?w=" + EQUAL)
    assert err.value.kind == "unavailable" and "can only be read" in err.value.public and str(path) not in err.value.public
    assert store.read_only and "read-only" in store.health()

    from dashboard.app import create_app
    os.environ["SCENARIO_DB"], before = f"sqlite:///file:{path}?mode=ro&uri=true", os.environ["SCENARIO_DB"]
    try:
        app = create_app()
    finally:
        os.environ["SCENARIO_DB"] = before
    client = app.server.test_client()
    assert client.get(f"/api/scenarios/{saved.id}").status_code == 200
    page = client.get(f"/api/export.csv?s={saved.id}").data.decode("utf-8-sig")
    assert "hoppats över" not in page  # the scenario opened: no notice
    refused = client.post("/api/scenarios", json={"name": "x", "state": "?w=" + EQUAL})
    assert refused.status_code == 503 and "can only be read" in refused.get_json()["error"]
    assert client.get("/healthz").get_json()["scenarios_read_only"] is True

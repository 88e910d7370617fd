"""One error shape for the whole app (dashboard/guard.py): JSON under /api and Dash's routes, the
friendly page elsewhere; client mistakes are 4xx with one escaped log line, never a traceback."""
from __future__ import annotations

import logging

import pytest

EQUAL = "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1"


def no_traceback(caplog):
    return not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


@pytest.mark.parametrize("path, body", [
    ("/_dash-update-component", "[" * 200_000), ("/api/scenarios", "[" * 200_000), ("/api/scenarios/import", "{\"a\":" * 100_000),
    ("/api/scenarios", "[" * 40 + "]" * 40)])
def test_deeply_nested_bodies_are_400(client, caplog, path, body):
    answer = client.post(path, data=body, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["ok"] is False and no_traceback(caplog)


@pytest.mark.parametrize("field, text", [("name", "a\ud800b"), ("note", "a\ud800b"), ("note", "a\x00b"), ("name", "Skola\u202etxt.exe"),
                                         ("name", "a\u2028b"), ("note", "a\u2066b"), ("name", "a\u200bb")])
def test_text_fields_refuse_controls_bidi_and_surrogates(client, caplog, field, text):
    payload = {"name": "ok", "note": "", "state": "?w=" + EQUAL, field: text}
    answer = client.post("/api/scenarios", json=payload)
    assert answer.status_code == 400 and field in answer.get_json()["error"] and no_traceback(caplog)


def test_a_note_keeps_its_line_breaks(client):
    answer = client.post("/api/scenarios", json={"name": "ok", "note": "rad ett\nrad två", "state": "?w=" + EQUAL})
    assert answer.status_code == 201 and answer.get_json()["note"] == "rad ett\nrad två"


def test_the_server_sets_created_on_import(client):
    doc = {"format": "malmo-scenarios", "version": 1,
           "scenarios": [{"name": "Gammal", "note": "", "state": "?w=" + EQUAL, "created": "2019-01-01T00:00:00+00:00"}]}
    made = client.post("/api/scenarios/import", json=doc).get_json()["scenarios"][0]
    assert not made["created"].startswith("2019") and made["created"][:4] >= "2026"


def test_forged_log_lines_are_escaped(client, caplog):
    caplog.set_level(logging.INFO)
    forged = "[2026-12-01 08:00:00 +0000] [1] [INFO] admin login ok"
    client.put("/api/scenarios/abc%0A" + forged.replace(" ", "%20"))
    client.get("/api/outlines?g=" + "x-" * 300 + "%0A" + forged.replace(" ", "%20"))
    client.get("/nothing%0D%0A" + forged.replace(" ", "%20"))
    lines = [line for r in caplog.records for line in r.getMessage().splitlines()]
    assert lines and not [line for line in lines if line.startswith("[2026-12-01")]
    assert any("\\n[2026-12-01" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("path, status, machine", [
    ("/api/nothing", 404, True), ("/api/export.nope", 404, True), ("/whatever/deep", 404, False), ("/embed/nope", 404, False),
    ("/_dash-component-suites/dash/nothing.js", 404, True), ("/_dash-component-suites/x/y.js", 404, True)])
def test_unknown_paths_are_404_in_one_shape(client, caplog, path, status, machine):
    answer = client.get(path)
    assert answer.status_code == status and no_traceback(caplog)
    if machine:
        body = answer.get_json()
        assert body["ok"] is False and body["status"] == status and body["request_id"] and "registered" not in body["error"]
    else:
        assert answer.mimetype == "text/html" and "Sidan finns inte" in answer.text and "Felkod" in answer.text
    assert b"dcc/" not in answer.data  # Dash's list of registered files is not disclosed


@pytest.mark.slow  # several seconds of processes or generated cases: in `make test`, not the developer's minute
def test_maths_in_a_link_is_text_in_the_pdf(client, caplog):
    answer = client.get("/api/export.pdf?level=$\\unknowncmd$&w=" + EQUAL)
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF") and no_traceback(caplog)


def test_healthz_tells_the_public_only_the_status(client):
    inside = client.get("/healthz").get_json()
    assert inside["status"] == "ok" and "version" in inside  # loopback, no proxy in between
    proxied = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}).get_json()
    assert proxied == {"status": "ok"}
    outside = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.9"}).get_json()
    assert outside == {"status": "ok"}

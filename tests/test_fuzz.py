"""Crafted requests at every boundary: generated bodies for every server callback and
generated parameters for every HTTP endpoint. The assertion: never a 5xx, never a traceback in an
answer, and the app answers a valid request correctly afterwards."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.guard import MAX_QUERY_BYTES

# Examples per target, within `make test`'s 15 minutes on 2 cores (the fuzz is a quarter of it); the
# examples are derandomized, so every run tries the same ones. FUZZ_SCALE=4 (or more) tries more, for a
# deeper run before a release: FUZZ_SCALE=4 .venv/bin/python -m pytest tests/test_fuzz.py
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES = int(500 * SCALE)
CALLBACK_EXAMPLES = int(500 * SCALE)  # per server callback (11 of them); the list-as-normalisation bug is found at 500
HEAVY_EXAMPLES = int(20 * SCALE)  # PNG and PDF take about a second each to draw; their parameters are parsed by the same code
FILE_EXAMPLES = int(200 * SCALE)  # XLSX and GeoJSON take about 100 and 70 ms each
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
WORDS = st.sampled_from(["geso", "delomrade", "nyko", "kommun", "minmax", "zscore", "rank", "ratio", "geometric",
                         "arithmetic", "quantiles", "natural_breaks", "16-29", "20-24", "sv", "en", "fi", "", "none",
                         "<script>", "=HYPERLINK(1)", "48208", "1", "library", "?w=a:1", "/embed/map", "/embed/x"])
NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, 50, 100, 1e308, -1e308, 1e-320, 11, 0.55, 25]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, WORDS, TEXT)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(TEXT, SCALARS, max_size=3))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def server_callbacks(dash_app) -> dict:
    return {key: spec for key, spec in dash_app.callback_map.items() if spec.get("callback") is not None}


def body_for(key: str, spec: dict, values: list, state_values: list) -> dict:
    outputs = [{"id": o.component_id, "property": o.component_property} for o in
               (spec["output"] if isinstance(spec["output"], list) else [spec["output"]])]
    return {"output": key, "outputs": outputs if isinstance(spec["output"], list) else outputs[0],
            "inputs": [{**i, "value": v} for i, v in zip(spec["inputs"], values)],
            "state": [{**s, "value": v} for s, v in zip(spec["state"], state_values)],
            "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"] if spec["inputs"] else []}


def assert_fine(response, what):
    assert response.status_code < 500, (what, response.status_code, response.data[:300])
    assert b"Traceback" not in response.data and b'File "' not in response.data, what


def still_answers(client):
    csv = client.get("/api/export.csv?w=inte_behorig:1&lang=en")
    assert csv.status_code == 200 and "Herrgården" in csv.data.decode("utf-8-sig")


def test_every_server_callback_is_covered(dash_app):
    keys = set(server_callbacks(dash_app))
    assert any("view-model" in k for k in keys) and any("page-root" in k for k in keys) and any("embed-vm" in k for k in keys)
    assert any("level-info" in k for k in keys) and sum("places-" in k for k in keys) == 3 and any("cmp-model" in k for k in keys) and any("analysis.data" in k for k in keys)
    assert any(k == "scaled.data" for k in keys)


@pytest.mark.parametrize("index", range(11))
def test_callbacks_never_fail_on_crafted_values(dash_app, client, index):
    callbacks = sorted(server_callbacks(dash_app).items())
    assert len(callbacks) == 11
    key, spec = callbacks[index]

    @settings(SETTINGS, max_examples=CALLBACK_EXAMPLES)
    @given(st.lists(VALUES, min_size=len(spec["inputs"]), max_size=len(spec["inputs"])),
           st.lists(VALUES, min_size=len(spec["state"]), max_size=len(spec["state"])))
    def run(values, state_values):
        assert_fine(client.post("/_dash-update-component", json=body_for(key, spec, values, state_values)), key)
    run()
    still_answers(client)


@SETTINGS
@given(st.data())
def test_malformed_callback_bodies_are_client_errors(dash_app, client, data):
    key, spec = data.draw(st.sampled_from(sorted(server_callbacks(dash_app).items())))
    body = body_for(key, spec, [None] * len(spec["inputs"]), [None] * len(spec["state"]))
    mutation = data.draw(st.sampled_from(["drop", "extra", "rename", "output", "type", "junk", "state"]))
    if mutation == "drop" and body["inputs"]:
        body["inputs"] = body["inputs"][:-1]
    elif mutation == "extra":
        body["inputs"] = body["inputs"] + [{"id": data.draw(TEXT), "property": "value", "value": data.draw(VALUES)}]
    elif mutation == "rename" and body["inputs"]:
        body["inputs"][0] = {**body["inputs"][0], "property": data.draw(TEXT)}
    elif mutation == "output":
        body["output"] = data.draw(st.one_of(TEXT, VALUES))
    elif mutation == "type":
        body["inputs"] = data.draw(VALUES)
    elif mutation == "state":
        body["state"] = data.draw(VALUES)
    else:
        body = data.draw(VALUES)
    response = client.post("/_dash-update-component", data=json.dumps(body, allow_nan=True), content_type="application/json")
    assert_fine(response, mutation)


QUERY_KEYS = st.sampled_from(["w", "level", "layers", "area", "lang", "norm", "agg", "classes", "top", "ext", "minb",
                              "age", "sort", "lvl", "s", "g", "", "a", "b", "n", "diff", "mode", "ids", "map",
                              "budget", "rule", "unit", "floor"])
QUERY_VALUES = st.one_of(WORDS, TEXT, NUMBERS.map(str), st.lists(WORDS, max_size=4).map(",".join),
                         st.lists(st.tuples(WORDS, NUMBERS.map(str)), max_size=5).map(lambda p: ",".join(f"{k}:{v}" for k, v in p)))
QUERIES = st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=8)
ENDPOINTS = ["/", "/embed/map", "/embed/card", "/embed/nothing", "/api/export.csv", "/api/export.xlsx", "/api/export.geojson",
             "/api/outlines", "/api/geometry/delomrade.geojson", "/api/geometry/kommun.geojson", "/healthz", "/tillganglighet",
             "/compare", "/api/scenarios", "/api/scenarios/export", "/api/workshop", "/api/scenarios/abc", "/api/allocation.csv"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_endpoints_never_fail_on_crafted_parameters(client, path):
    from urllib.parse import urlencode

    examples = FILE_EXAMPLES if path.endswith((".xlsx", ".geojson", "allocation.csv")) else EXAMPLES

    @settings(SETTINGS, max_examples=examples)
    @given(QUERIES)
    def run(query):
        response = client.get(path + "?" + urlencode(query))
        assert_fine(response, (path, query))
    run()
    still_answers(client)


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_picture_exports_never_fail_on_crafted_parameters(client, fmt):
    from urllib.parse import urlencode

    @settings(max_examples=HEAVY_EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(QUERIES)
    def run(query):
        assert_fine(client.get(f"/api/export.{fmt}?" + urlencode(query)), query)
    run()


SCENARIO_BODIES = st.one_of(VALUES, st.fixed_dictionaries(
    {"name": st.one_of(TEXT, SCALARS, st.text(min_size=70, max_size=90)), "state": st.one_of(QUERIES.map(lambda q: "&".join(f"{k}={v}" for k, v in q)), SCALARS)},
    optional={"note": SCALARS, "extra": SCALARS}))


@settings(SETTINGS, max_examples=300)
@given(SCENARIO_BODIES, st.sampled_from(["/api/scenarios", "/api/scenarios/import", "/api/scenarios/abc"]),
       st.sampled_from(["POST", "PATCH", "DELETE", "PUT"]), st.one_of(st.none(), st.text(alphabet="abcXYZ019-_ åé", max_size=40)))
def test_scenario_api_never_fails_on_crafted_bodies(client, body, path, method, token):
    """Every write to the scenarios' API with generated bodies and tokens: a 2xx or a one-line 4xx."""
    headers = {"X-Edit-Token": token} if token else {}
    response = client.open(path, method=method, data=json.dumps(body, allow_nan=True), content_type="application/json", headers=headers)
    assert_fine(response, (path, method, body))
    if 400 <= response.status_code < 500 and response.status_code != 405:
        assert response.data.count(b"\n") <= 1 or b"<html" in response.data


def test_limits(client):
    assert client.post("/_dash-update-component", data=b"x" * 5_000_000, content_type="application/json").status_code == 413
    assert client.get("/api/export.csv?w=" + "a" * (MAX_QUERY_BYTES + 10)).status_code == 414
    assert client.get("/api/outlines?g=" + "-".join(["48208"] * 300)).status_code == 400
    still_answers(client)

"""The URL is the state: parsing, skipping what cannot be used, and writing it back."""
from urllib.parse import parse_qsl, urlsplit

from layers.view import Options, parse_query, slider_positions, to_query, visible_positions
from layers.output.viewmodel import Method

KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]
OPTIONS = Options(keys=KEYS, levels=["geso", "delomrade", "nyko"], default_level="delomrade",
                  kinds=["library", "familjecentral", "allaktivitetshus"], area_codes={"48208", "10"})


def args_of(query: str) -> dict:
    return dict(parse_qsl(urlsplit(query).query, keep_blank_values=True))


def test_default_and_round_trip():
    state, skipped = parse_query({}, OPTIONS)
    assert skipped == [] and state.level == "delomrade" and set(state.weights.values()) == {50}
    changed = state.__class__(**{**state.__dict__, "weights": {k: w for k, w in zip(KEYS, (80, 10, 50, 0))},
                                 "level": "geso", "area": "10", "lang": "en", "layers": ("library",), "method": Method(extend_threshold=None)})
    again, skipped = parse_query(args_of(to_query(changed)), OPTIONS)
    assert skipped == [] and again == changed


def test_relative_weights_become_slider_positions_with_the_same_shares():
    state, _ = parse_query({"w": "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1"}, OPTIONS)
    assert set(state.weights.values()) == {50}
    state, _ = parse_query({"w": "inte_behorig:300,trangboddhet:100"}, OPTIONS)
    assert state.weights["inte_behorig"] == 100 and round(state.weights["trangboddhet"], 1) == 33.3
    assert slider_positions({"a": 20.0, "b": 40.0}) == {"a": 20.0, "b": 40.0}
    assert slider_positions({"a": 1.0, "b": 1.0, "c": 3.0, "d": 1.0}) == {"a": 1.0, "b": 1.0, "c": 3.0, "d": 1.0}  # a link keeps its numbers
    assert visible_positions({"a": 1.0, "b": 1.0, "c": 3.0, "d": 1.0}) == {"a": 33.3333, "b": 33.3333, "c": 100.0, "d": 33.3333}


def test_garbage_is_skipped_and_reported():
    state, skipped = parse_query({"w": "inte_behorig:-1,foo:2,trangboddhet:abc,ekonomiskt_bistand:inf", "level": "kommun",
                                  "area": "99999", "top": "0", "minb": "-5", "ext": "x", "layers": "zoo,library",
                                  "norm": "<script>", "lang": "fi"}, OPTIONS)
    assert state == parse_query({"layers": "library"}, OPTIONS)[0]
    kinds = [k for k, _ in skipped]
    assert kinds.count("url_bad_weight") == 3 and "url_unknown_weight" in kinds
    named = {v.get("name") for _, v in skipped}
    assert {"level", "area", "top", "minb", "ext", "layers", "norm", "lang"} <= named


def test_all_zero_weights_keep_the_defaults():
    state, skipped = parse_query({"w": "inte_behorig:0,trangboddhet:0,ekonomiskt_bistand:0,lag_inkomststandard:0"}, OPTIONS)
    assert ("url_all_zero", {}) in skipped and set(state.weights.values()) == {50}


# --- one parser for the page and the exports (through the real app) ----------------------------


import pytest  # noqa: E402


def page_for(client, query: str) -> dict:
    """The page the app draws for a URL's query (the callback on dcc.Location), as Dash's JSON."""
    body = {"output": "page-root.children", "outputs": {"id": "page-root", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/"}, {"id": "url", "property": "search", "value": query}],
            "changedPropIds": ["url.search"], "state": []}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]["page-root"]["children"]


def find(node, id_):
    """The component with `id_` in a Dash JSON tree, or None."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == id_:
            return node
        for child in node.get("props", {}).values() if "props" in node else node.values():
            hit = find(child, id_)
            if hit:
                return hit
    elif isinstance(node, list):
        for child in node:
            hit = find(child, id_)
            if hit:
                return hit
    return None


def csv_lines(client, query: str) -> list[str]:
    response = client.get("/api/export.csv" + query)
    assert response.status_code == 200
    return response.data.decode("utf-8-sig").splitlines()


HOLES = {  # each gives the notice, and the page and the CSV agree; the notice names the
    # parameter and what is wrong, and never echoes the value (second review, item 6)
    "?w=inte_behorig:1e308,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1": ("vikten för Inte behörig", "1e308", {"level": "delomrade"}),
    "?w=inte_behorig:1e-320,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1": ("vikten för Inte behörig", "1e-320", {"level": "delomrade"}),
    "?ext=-5": ("gränsen för att lägga till grannar ska vara", "-5", {"ext": "0,55"}),  # the field, in the page's language
    "?top=1e300": ("antalet högsta områden", "1e300", {"top": "11"}),
    "?lvl=geso": ("'lvl'", "geso", {"level": "delomrade"}),
    "?level=geso&level=nyko": ("områdesnivån fanns flera gånger", "nyko", {"level": "geso"}),
}


@pytest.mark.parametrize("query", list(HOLES))
def test_every_rejection_gives_the_notice_in_page_and_csv(client, query):
    needle, value, expected = HOLES[query]
    page = page_for(client, query)
    notice = find(page, "url-notice-text")
    assert notice and needle in notice["props"]["children"] and value not in notice["props"]["children"], (query, notice)
    header = [line for line in csv_lines(client, query) if line.startswith("#")]
    assert any(needle in line for line in header) and not any(value in line for line in header[1:3]), (query, header)
    sliders = [find(page, f"weight-{k}")["props"]["value"] for k in KEYS]
    assert all(isinstance(v, (int, float)) and 0 <= v <= 100 for v in sliders) and sum(sliders) > 0
    assert sliders == [50, 50, 50, 50]  # the rejected weight left every weight at its default
    if "level" in expected:
        assert find(page, "level-select")["props"]["value"] == expected["level"]
        rows = len([line for line in csv_lines(client, query) if not line.startswith("#")]) - 1
        assert rows == {"geso": 14, "delomrade": 136}[expected["level"]]
    if "ext" in expected:
        assert find(page, "extend-input")["props"]["value"] == expected["ext"]
    if "top" in expected:
        assert find(page, "top-n-input")["props"]["value"] == expected["top"]


def test_method_inputs_are_checked_by_the_same_rules():
    from dashboard.callbacks import settings_from_view

    def view(weights=(50,) * 4, level="geso", norm="minmax", top=11, ext=None, minb=25):
        return {"w": dict(zip(KEYS, weights)), "level": level, "norm": norm, "agg": "arithmetic", "classes": "quantiles",
                "top": top, "ext": ext, "minb": minb}
    ok, problems = settings_from_view(OPTIONS, view())
    assert problems == [] and ok.method.extend_threshold is None  # an empty field: no extension
    for top, ext, minb in ((500, 0.5, 25), (11, -5, 25), (11, float("nan"), 25), (11, 0.5, "abc"), (0.5, 0.5, 25)):
        settings, problems = settings_from_view(OPTIONS, view(top=top, ext=ext, minb=minb))
        assert settings is None and len(problems) == 1 and problems[0][0] == "url_out_of_range", (top, ext, minb)
    settings, problems = settings_from_view(OPTIONS, view(weights=(50, 1e308, 50, 50), level="kommun", norm="x"))
    assert settings is None and {p[0] for p in problems} == {"url_bad_weight", "url_bad_value"}

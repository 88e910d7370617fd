"""The URL is the state: parsing, skipping what cannot be used, and writing it back."""
from urllib.parse import parse_qsl, urlsplit

from dashboard.state import Options, parse_query, slider_positions, to_query
from layers.viewmodel import Method

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

"""layers/view.py: the one declarative view. Every URL the tests used before it existed opens as it
did (tests/data/url_cases.json, recorded from the parser it replaced), and the page's store, the
query and the command line are all the same view."""
import argparse
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from layers.view import (BY_KEY, FIELDS, PARAMS, SCENARIO_PARAMS, Options, add_cli_options, from_store, parse_query,
                         query_from_cli, scenario_query, spec_json, to_query, to_store)

CASES = json.loads((Path(__file__).parent / "data" / "url_cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def options():
    from dashboard.context import PackageVersion
    from layers.cli import DEFAULT_PACKAGE
    return PackageVersion.load(DEFAULT_PACKAGE).options


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["query"][:60])
def test_every_recorded_link_opens_as_before(case, options):
    args = parse_qs(case["query"].split("?", 1)[1] if "?" in case["query"] else case["query"], keep_blank_values=True)
    state, skipped = parse_query(args, options, scenario=CASES["saved"].get)
    assert to_query(state) == case["canonical"]
    assert scenario_query(state) == case["scenario"]
    assert state.scenario_id == case["opened"]
    assert sorted(json.dumps(s, sort_keys=True) for s in skipped) == case["skipped"]


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["query"][:60])
def test_the_store_is_the_same_view(case, options):
    """What the page's controls hold (to_store) reads back, through the one parser, as the same state."""
    state, _ = parse_query(parse_qs(case["canonical"][1:], keep_blank_values=True), options)
    again, problems = from_store(to_store(state), options)
    assert problems == [] and to_query(replace(again, weights=state.weights)) == to_query(state)
    shares = lambda w: {k: round(v / sum(w.values()), 4) for k, v in w.items()}  # noqa: E731 (the sliders may be scaled to be seen)
    assert shares(again.weights) == shares(state.weights)


def test_a_store_from_a_hostile_client_is_refused_by_the_same_rules(options):
    state, problems = from_store({"w": {"inte_behorig": "1,trangboddhet:5"}, "top": "0", "level": ["geso"], "zzz": 1,
                                  "sort": "rank"}, options)
    names = {v.get("name") or v.get("key") for _, v in problems}
    assert {"inte_behorig", "top", "level", "zzz", "sort"} <= names
    assert to_query(state) == to_query(options.default())
    assert from_store("no", options)[1] == [("url_bad_value", {"name": "view"})]


def test_the_browser_spec_and_the_params_come_from_the_fields(options):
    spec = spec_json(options, "en", "present")
    assert [f["key"] for f in spec["fields"]] == [f.key for f in FIELDS] and spec["page"] == {"lang": "en", "mode": "present"}
    weights = spec["fields"][0]
    assert weights["items"] == options.keys and weights["control"] == ["weight-{}", "value"] and weights["engine"]
    assert PARAMS == (*[f.key for f in FIELDS], "s") and "lang" not in SCENARIO_PARAMS and "mode" not in SCENARIO_PARAMS
    assert BY_KEY["top"].low == 1 and next(f for f in spec["fields"] if f["key"] == "ext")["none"] == "none"


def test_the_command_line_options_are_the_fields(options):
    parser = argparse.ArgumentParser()
    add_cli_options(parser)
    args = parser.parse_args(["?w=inte_behorig:2&level=nyko", "--level", "geso", "--top", "5"])
    state, skipped = parse_query(query_from_cli(args), options)
    assert skipped == [] and state.level == "geso" and state.method.top_n == 5 and state.weights["inte_behorig"] == 2
    assert {f.cli_option for f in FIELDS if f.cli} <= set(parser._option_string_actions)


def test_small_known_options():
    opts = Options(keys=["a", "b"], levels=["x", "y"], default_level="y", kinds=["k"])
    state, skipped = parse_query({"w": "a:1,b:3", "level": "x", "layers": ""}, opts)
    assert skipped == [] and state.weights == {"a": 1.0, "b": 3.0} and state.layers == () and state.level == "x"
    assert to_query(state) == "?w=a:1,b:3&level=x&layers=&lang=sv&norm=minmax&agg=arithmetic&classes=quantiles&top=11&ext=0.55&minb=25"


def test_one_reader_of_typed_numbers_and_names():
    from layers.reading import fold, parse_decimal
    assert [parse_decimal(t) for t in ("0,55", "0.55", " 1 234,5 ", "1.234,5", "1,234.5", "\u22122", "abc", "inf", "1e400", True)] == \
        [0.55, 0.55, 1234.5, 1234.5, 1234.5, -2.0, None, None, None, None]
    assert fold("Södra Sofielund") == "sodra sofielund" and fold("ÅÄÖé") == "aaoe"


def test_every_field_has_its_name_in_both_languages():
    """A field's one text key: the notice names a skipped part by it (param_<key>)."""
    from layers.output.texts import TEXTS
    for lang in ("sv", "en"):
        assert [f.key for f in FIELDS if f"param_{f.key}" not in TEXTS[lang]] == [], lang


def test_the_allocation_rule_is_a_view_parameter(options):
    """The field added to show that a parameter is one Field and one text key: the rule travels in
    links, scenarios, the page's controls and the CLI like every other."""
    state, skipped = parse_query({"rule": "children"}, options)
    assert skipped == [] and state.alloc_rule == "children" and to_query(state).endswith("&rule=children")
    assert "rule=children" in scenario_query(state) and to_store(state)["rule"] == "children"
    assert parse_query({"rule": "lottery"}, options)[1] == [("url_bad_value", {"name": "rule"})]
    assert to_query(options.default()).find("rule=") < 0  # the default is not written: every older link reads the same


def test_the_scaled_values_go_once_per_level_and_normalisation_not_with_every_move(engine):
    """They do not depend on the weights: the view model names which it goes with (scaled_key) and
    the page holds them from `ViewModels.scaled`, the engine's own values at the shown precision."""
    import numpy as np
    from layers.output.viewmodel import ViewModels, ViewSettings, Method
    views = ViewModels(engine)
    weights = tuple((k, float(w)) for k, w in zip(engine.keys, (3, 1, 1, 1)))
    for norm in ("minmax", "zscore", "rank", "ratio"):
        vm = views.view_model(ViewSettings(weights, "delomrade", Method(normalisation=norm)))
        assert "scaled" not in vm
        scaled = views.scaled("delomrade", norm)
        assert scaled["key"] == vm["scaled_key"] == f"delomrade|{norm}" and scaled["digest"] == vm["level_digest"]
        expected = np.round(engine.index(dict(weights), "delomrade", norm).scaled, 2)
        got = np.array([scaled["values"][k] for k in engine.keys], dtype=float).T
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got[~np.isnan(got)], expected[~np.isnan(expected)])
        assert views.scaled("delomrade", norm) is scaled  # made once

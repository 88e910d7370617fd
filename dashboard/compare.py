"""/compare?a=<scenario id or query>&b=<…>: two weightings side by side, for the workshop's "what if".

A stays fixed; B's sliders move live. The comparison itself is `layers.analysis.compare` (the CLI's
`compare` calls the same); this module turns it into what the page shows, in the page's language:
a difference map (rank change or index difference, diverging and centred on 0), who enters and
leaves the top N and the clusters, a slope chart of ranks, the weights side by side with the
differences in words, and UVAS for A's and B's clusters. Drawn in the browser by
assets/malmo-compare.js with the dashboard's own map functions.
"""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs

import numpy as np
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
import dash_leaflet as dl

from layers.analysis.compare import DEFAULT_TOP_N, compare, side
from layers.errors import EngineError
from layers.scenarios import ScenarioError

from .callbacks import known_lang
from .layout import chart, statement_link
from .guard import text
from .layout import _slider, client_texts
from layers.view import check_number, parse_query, safe_name, skipped_text, spec_json, to_query, to_store, view_settings
from layers.output import palette
from layers.output.texts import label, number, t

DIFF_COLOURS = palette.DIFF
MODES = ("rank", "index")
SIDE_PARAMS = ("a", "b")
COMPARE_PARAMS = ("a", "b", "n", "diff", "lang", "mode")


def _side_query(value: str, ctx) -> tuple[str, str | None, str | None]:
    """A side given as a scenario id or as a query string → (query, scenario name or None, its id or None)."""
    value = value.strip()
    if value and value.isalnum() and "=" not in value:
        try:
            saved = ctx.scenarios.get(value)
            return saved.state, saved.name, saved.id
        except ScenarioError:  # unknown id or no database: said on the page as a skipped part
            return "", None, None
    return ("?" + value.lstrip("?")) if value else "", None, None


def parse_compare(args, ctx) -> tuple[dict, list]:
    """The compare page's own parameters; each side's state goes through the one parser."""
    skipped: list = []
    flat = {}
    for key in args:
        values = args.getlist(key) if hasattr(args, "getlist") else args[key]
        values = [values] if isinstance(values, str) else list(values)
        if key not in COMPARE_PARAMS:
            skipped.append(("url_unknown_param", {"name": safe_name(key)}))
        elif values:
            flat[key] = values[0]
    out = {"lang": flat.get("lang") if flat.get("lang") in ("sv", "en") else "sv", "mode": "present" if flat.get("mode") == "present" else ""}
    for name in SIDE_PARAMS:
        query, title, sid = _side_query(flat.get(name, ""), ctx)
        if flat.get(name) and not query:
            skipped.append(("url_unknown_scenario", {}))
        state, problems = parse_query(parse_qs(query.lstrip("?"), keep_blank_values=True), ctx.options)
        skipped += problems
        out[name] = replace(state, lang=out["lang"], mode="")
        out[name + "_title"] = title
        out[name + "_id"] = sid
    n = flat.get("n", str(DEFAULT_TOP_N))
    value, problem = _top(n)
    if problem:
        skipped.append(problem)
    out["n"] = value or DEFAULT_TOP_N
    out["diff"] = flat.get("diff") if flat.get("diff") in MODES else "rank"
    return out, skipped


def _top(value):
    return check_number("top", value)


def build_compare(ctx, parsed: dict, skipped: list) -> html.Div:
    lang, m = parsed["lang"], ctx.pkg.manifest
    a, b = parsed["a"], parsed["b"]
    title_a = parsed["a_title"] or "A"
    title_b = parsed["b_title"] or "B"
    texts = client_texts(lang, ctx)
    notices = []
    if ctx.pkg.is_generated():
        notices.append(html.Div(t(lang, "demo_label"), id="data-notice", className="notice demo corner-label", role="status"))
    if skipped:
        items = skipped_text(lang, skipped, {i.key: label(i.labels, lang) for i in m.indicators})
        notices.append(html.Div(t(lang, "url_notice", items=items), id="url-notice", className="notice url", role="alert"))
    present = parsed["mode"] == "present"
    return html.Div(id="cmp-page", lang=lang, className=f"lang-{lang} compare-page" + (" present" if present else ""), children=[
        dcc.Store(id="cmp-texts", data=texts),
        dcc.Store(id="cmp-a", data=to_query(a)),
        dcc.Store(id="view-spec", data=spec_json(ctx.options, lang)),  # layers/view.py's fields
        dcc.Store(id="cmp-b-view", data=to_store(b)),  # B's view; its weights are the sliders (malmoCompare.sideB)
        dcc.Store(id="cmp-b"),  # B's query as the sliders make it: the URL, "Öppna B" and the comparison follow it
        dcc.Store(id="cmp-titles", data={"a": title_a, "b": title_b, "present": present, "b_id": parsed["b_id"]}),
        dcc.Store(id="cmp-model"),
        dcc.Store(id="cmp-info", data=ctx.views.level_info(a.level)),
        dcc.Store(id="cmp-painted"),
        html.Header(className="top", children=[
            html.Div([html.H1(t(lang, "compare_title")),
                      html.P(t(lang, "compare_subtitle", a=_named("A", parsed["a_title"]), b=_named("B", parsed["b_title"])), className="subtitle")]),
            html.Div(className="top-tools", children=[
                html.A(t(lang, "compare_open_a"), href=ctx.urls.page(to_query(a)), className="button", id="cmp-open-a"),
                html.A(t(lang, "compare_open_b"), href=ctx.urls.page(to_query(b)), className="button", id="cmp-open-b"),
            ]),
        ]),
        *notices,
        html.Main(className="grid compare-grid", children=[
            html.Aside(className="controls", children=[
                html.H2("A" if title_a == "A" else t(lang, "compare_side_a", name=title_a)),
                html.Ul(id="cmp-weights-a", className="weights-fixed",
                        children=[html.Li(f"{label(i.labels, lang)}: {_share(a.weights, i.key, lang)}") for i in m.indicators]),
                html.H2("B" if title_b == "B" else t(lang, "compare_side_b", name=title_b)),
                html.P(t(lang, "compare_b_help"), className="help"),
                *[_slider(i.key, label(i.labels, lang), to_store(b, ("w",))["w"][i.key], prefix="cmp-") for i in m.indicators],
                html.Fieldset(className="field choice", children=[
                    html.Legend(t(lang, "compare_show")),
                    dcc.RadioItems(id="cmp-diff", className="choice-items", value=parsed["diff"],
                                   options=[{"label": t(lang, f"compare_diff_{k}"), "value": k} for k in MODES])]),
                dcc.Store(id="cmp-n", data=parsed["n"]),
                html.H3(t(lang, "compare_weights")),
                html.Div(id="cmp-weights", **{"aria-live": "polite"}),
            ]),
            html.Section(className="map-area", **{"aria-label": t(lang, "compare_map_label")}, children=[
                dl.Map(id="cmp-map", center=ctx.center, zoom=11.5, minZoom=9, maxZoom=17, preferCanvas=ctx.prefer_canvas, zoomSnap=0.25,
                       eventHandlers={"zoomend": {"variable": "malmo.onZoom"}}, style={"height": "100%", "width": "100%"}, children=[
                    dl.GeoJSON(id="cmp-areas", url=ctx.geometry_url(a.level), style={"variable": "malmo.areaStyle"},
                               onEachFeature={"variable": "malmo.areaFeature"}),
                    dl.Pane(name="outlines", style={"zIndex": 450, "pointerEvents": "none"}, children=[
                        dl.GeoJSON(id="cmp-outlines-a", style={"variable": "malmoCompare.outlineA"}, interactive=False, pane="outlines"),
                        dl.GeoJSON(id="cmp-outlines-b", style={"variable": "malmoCompare.outlineB"}, interactive=False, pane="outlines")]),
                ]),
            ]),
            html.Div(id="cmp-legend", className="legend"),
            html.Section(className="side", children=[
                html.H2(t(lang, "compare_moves", n=parsed["n"])),
                html.Div(id="cmp-lists"),
                html.P(id="ranking-status", className="visually-hidden", role="status"),  # what B's change did, once per change
            ]),
            html.Section(className="trend compare-charts", children=[
                *chart("cmp-slope", lang, {"height": "520px", "width": "100%"}),
                *chart("cmp-trend", lang, {"height": "360px", "width": "100%"}),
            ]),
        ]),
        html.Footer(className="footer", children=[statement_link(ctx, lang)]),
    ])


def _named(letter: str, name: str | None) -> str:
    return f"{letter} ({name})" if name else letter


def _share(weights: dict, key: str, lang: str) -> str:
    total = sum(weights.values()) or 1
    return f"{round(100 * weights[key] / total)}\u00a0%"


def _slider_ids(ctx):
    return [f"cmp-weight-{k}" for k in ctx.engine.keys]


def weight_sentences(changes: list[dict], labels: dict, lang: str, a_name: str, b_name: str) -> list[str]:
    """The weight differences in words, with the shares: 'B ger skolresultat mer vikt än A: 40 % mot 25 %'."""
    out = []
    for c in changes:
        label = labels[c["key"]].lower() if lang == "sv" else labels[c["key"]]
        shares = {"a": f"{round(100 * c['share_a'])}\u00a0%", "b": f"{round(100 * c['share_b'])}\u00a0%", "A": a_name, "B": b_name, "label": label}
        if c["kind"] == "same":
            continue
        if c["kind"] in ("off", "on"):
            out.append(t(lang, f"weights_{c['kind']}", **shares))
            continue
        # the shares plainly, not a factor: 'dubbelt' beside '40 % mot 25 %' read as a contradiction
        out.append(t(lang, "weights_more" if c["kind"] == "more" else "weights_less", **shares))
    if not out:
        out.append(t(lang, "weights_same", A=a_name, B=b_name))
    return out


def diff_classes(values: np.ndarray, mode: str, n_areas: int, lang: str) -> tuple[np.ndarray, list[str]]:
    """Seven classes centred on 0 (3 = no change) and their legend labels, lowest first."""
    valid = ~np.isnan(values)
    if mode == "rank":
        t2 = max(2, round(n_areas * 0.03))
        t3 = max(t2 + 1, round(n_areas * 0.075))
        edges = [-t3 + 0.5, -t2 + 0.5, -0.5, 0.5, t2 - 0.5, t3 - 0.5]
        labels = [t(lang, "diff_down_more", n=t3), t(lang, "diff_down_range", low=t2, high=t3 - 1),
                  t(lang, "diff_down_range", low=1, high=t2 - 1), t(lang, "same").capitalize(),
                  t(lang, "diff_up_range", low=1, high=t2 - 1), t(lang, "diff_up_range", low=t2, high=t3 - 1), t(lang, "diff_up_more", n=t3)]
    else:
        top = float(np.nanmax(np.abs(values))) if valid.any() else 0.0
        top = top or 1e-9
        edges = [-5 * top / 7, -3 * top / 7, -top / 7, top / 7, 3 * top / 7, 5 * top / 7]

        def num(x):
            return number(x, lang, 3, sign=True)
        labels = [f"< {num(edges[0])}"] + [f"{num(lo)} – {num(hi)}" for lo, hi in zip(edges, edges[1:])] + [f"> {num(edges[-1])}"]
    classes = np.digitize(np.nan_to_num(values), edges)
    return np.where(valid, classes, -1), labels


def register_compare_callbacks(app, ctx, cache) -> None:
    labels = {lang: {i.key: label(i.labels, lang) for i in ctx.pkg.manifest.indicators} for lang in ("sv", "en")}

    def state_of(query: str):
        return parse_query(parse_qs(query.lstrip("?"), keep_blank_values=True), ctx.options)[0]

    def side_a(query: str):  # A stays fixed while B's sliders move: kept by the package version's view models
        state = state_of(query)
        return state, ctx.views.side(view_settings(state))

    @app.callback(Output("cmp-model", "data"), Output("cmp-weights", "children"),
                  Input("cmp-a", "data"), Input("cmp-b", "data"), Input("cmp-diff", "value"), State("cmp-n", "data"),
                  State("cmp-titles", "data"), State("cmp-page", "lang"))
    def compare_model(a_query, b_query, mode, n, titles, lang):
        lang = known_lang(lang)
        mode = mode if mode in MODES else "rank"
        top_n, _ = _top(n)
        state_b, problems = parse_query(parse_qs(text(b_query).lstrip("?"), keep_blank_values=True), ctx.options)  # the one parser
        if any(key == "url_all_zero" for key, _ in problems):
            return no_update, t(lang, "all_zero")
        if problems:
            return no_update, t(lang, "input_notice", items=skipped_text(lang, problems, labels[lang]))
        state_a, a = side_a(text(a_query))
        m = state_b.method  # B's method and weights; its level A's
        try:
            b = side(ctx.engine, dict(state_b.weights), state_a.level, m.normalisation, m.aggregation, m.cluster_settings)
            result = compare(a, b, top_n or DEFAULT_TOP_N)
        except EngineError as err:
            return no_update, t(lang, "method_error", detail=str(err))
        titles = titles if isinstance(titles, dict) else {}
        name_a, name_b = str(titles.get("a", "A")), str(titles.get("b", "B"))
        model = compare_view(ctx, result, a, b, mode, lang, name_a, name_b, state_a)
        model["key"] = "|".join([text(a_query), text(b_query), mode, str(result.top_n), name_a, name_b])  # what it was made for
        return model, \
            [html.P(s) for s in weight_sentences(result.weights, labels[lang], lang, name_a, name_b)] + \
            [html.Table(className="card-table weights-table", children=[
                html.Thead(html.Tr([html.Th(t(lang, "indicator")), html.Th("A", title=name_a), html.Th("B", title=name_b)])),
                html.Tbody([html.Tr([html.Th(labels[lang][c["key"]], scope="row"), html.Td(f"{round(100 * c['share_a'])}\u00a0%"),
                                     html.Td(f"{round(100 * c['share_b'])}\u00a0%")]) for c in result.weights])])]

    cs = lambda name: ClientsideFunction(namespace="malmoCompare", function_name=name)  # noqa: E731
    app.clientside_callback(cs("sideB"), Output("cmp-b", "data"), *[Input(i, "value") for i in _slider_ids(ctx)],
                            State("cmp-b-view", "data"), State("view-spec", "data"), State("cmp-titles", "data"), State("cmp-texts", "data"))
    app.clientside_callback(cs("paint"), Output("cmp-painted", "data"), Output("cmp-legend", "children"),
                            Output("cmp-outlines-a", "url"), Output("cmp-outlines-b", "url"),
                            Input("cmp-model", "data"), State("cmp-info", "data"), State("cmp-texts", "data"))
    app.clientside_callback(cs("lists"), Output("cmp-lists", "children"), Input("cmp-model", "data"), State("cmp-texts", "data"))
    app.clientside_callback(cs("slope"), Output("cmp-slope-figure", "data"), Input("cmp-model", "data"), State("cmp-texts", "data"))
    app.clientside_callback(cs("trend"), Output("cmp-trend-figure", "data"), Input("cmp-model", "data"), State("cmp-texts", "data"))


def compare_view(ctx, result, a, b, mode: str, lang: str, name_a: str, name_b: str, state_a) -> dict:
    """What the compare page draws, compact and aligned to the level's codes (as the dashboard's view model)."""
    areas = result.areas
    values = areas["rank_change"].to_numpy(dtype=float) if mode == "rank" else areas["index_change"].to_numpy(dtype=float)
    if mode == "rank":
        values = np.where((areas["rank_a"] > 0) & (areas["rank_b"] > 0), values, np.nan)
    classes, legend = diff_classes(values, mode, int((areas["rank_b"] > 0).sum()), lang)
    enter, leave = result.entering(), result.leaving()
    labels = {r.code: "▲ " + r.name for r in enter.itertuples()}
    labels.update({r.code: "▼ " + r.name for r in leave.itertuples()})
    stroke = {**{c: "enter" for c in enter["code"]}, **{c: "leave" for c in leave["code"]}}

    def rows(frame):
        return [[r.code, r.name, int(r.rank_a), int(r.rank_b)] for r in frame.itertuples()]

    def groups(s):
        return [c.members for c in s.clusters]
    slope = result.slope()
    trend_a = ctx.views.trend(tuple(tuple(c.members) for c in a.clusters), state_a.age_group)
    trend_b = ctx.views.trend(tuple(tuple(c.members) for c in b.clusters), state_a.age_group)
    return {
        "level": a.result.level, "index_level": ctx.pkg.manifest.index_level, "mode": mode,
        "class": [int(c) for c in classes], "colours": DIFF_COLOURS, "hatched": True, "legend": legend,
        "rank": [int(r) if r > 0 else 0 for r in areas["rank_b"]], "clusters": [], "labels": labels, "stroke": stroke,
        "top_n": result.top_n, "names": {"a": name_a, "b": name_b},
        "entering": rows(enter), "leaving": rows(leave),
        "entering_clusters": rows(result.entering_clusters()), "leaving_clusters": rows(result.leaving_clusters()),
        "slope": [[r.name, int(r.rank_a), int(r.rank_b), bool(r.in_top_a), bool(r.in_top_b)] for r in slope.itertuples()],
        "groups_a": groups(a), "groups_b": groups(b),
        "clusters_a": [c.as_dict() for c in a.clusters], "clusters_b": [c.as_dict() for c in b.clusters],
        "trend_a": trend_a, "trend_b": trend_b, "generated": ctx.pkg.is_generated(),
    }

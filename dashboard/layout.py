"""The page: built per request from the URL state (so a shared link opens as it was shared)."""
from __future__ import annotations

import re
from pathlib import Path

import json
from dataclasses import replace

from dash import dcc, html
import dash_leaflet as dl

from layers.index.facilities import drawable

from layers.output import palette, provenance
from .presets import is_published, presets_for
from layers.view import control_text, spec_json, to_controls, to_store, LIMITS, MAP_MODES, State, scenario_query, skipped_text, to_query
from layers.reading import fold
from layers.output.texts import TEXTS, label, package_key, package_words, t, tp
from .urls import EMBED_VIEWS, frame_ancestors

KIND_SYMBOL = {kind: p["symbol"] for kind, p in palette.PLACES.items()}
ASSETS = Path(__file__).resolve().parents[1] / "assets"


def browser_text_keys(sources: list[str]) -> list[str]:
    """The catalogue's keys the browser code uses, read from the code itself: every key it names (as
    a string or as `texts.t.<key>`), and every key that starts with a prefix it completes at run
    time ("cert_" + k). No hand-kept list to forget a key in (tests/test_project.py checks that
    every key the code names is in the catalogue)."""
    js = "\n".join(sources)
    named = set(re.findall(r'"([a-z][a-z0-9_]*)"', js)) | set(re.findall(r"\.t\.([a-z][a-z0-9_]*)", js))
    prefixes = tuple(set(re.findall(r'"([a-z][a-z0-9_]*_)"\s*\+', js)))
    return sorted(k for k in TEXTS["sv"] if k in named or k.startswith(prefixes))


BROWSER_TEXT_KEYS = browser_text_keys([p.read_text(encoding="utf-8") for p in sorted(ASSETS.glob("*.js"))])




def browser_text(pkg, lang: str, key: str) -> str:
    """A catalogue text for the browser, as `tp` words it for the package; placeholders the browser
    fills itself ({value}, {n} …) stay."""
    class Keep(dict):
        def __missing__(self, name):
            return "{" + name + "}"
    return TEXTS[lang][package_key(pkg, key)].format_map(Keep(package_words(pkg, lang)))


def client_texts(lang: str, ctx) -> dict:
    """Texts and labels the browser-side rendering needs, in one language."""
    m = ctx.pkg.manifest
    return {
        "lang": lang,
        # the package's own words filled in (the place, the children's ages); {value} and the like stay for the browser
        "t": {k: browser_text(ctx.pkg, lang, k) for k in BROWSER_TEXT_KEYS},
        "notices": {lv.id: provenance.notice(ctx, lang, lv.id) for lv in m.levels},  # the demo notice says what is generated at the level shown
        "indicators": {i.key: label(i.labels, lang) for i in m.indicators},
        "suppress": {i.key: i.suppress_below for i in m.indicators},
        "kinds": {k["id"]: label(k["labels"], lang) for k in m.raw.get("facility_kinds", [])},
        "references": {r["code"]: label(r["labels"], lang) for r in m.raw.get("reference_areas", [])},
        "index_level": m.index_level,
        "presets": presets_for(m.indicator_keys),
        "base": ctx.urls.prefix,
        "views": {v: t(lang, f"view_{v}") for v in EMBED_VIEWS},
        "default_age_group": ctx.options.age_groups[0],
        "sources": provenance.card_sources(ctx, lang),
    }


def _slider(key: str, label: str, value: float, prefix: str = "") -> html.Div:
    """A weight's slider with its share beside it (`prefix` for a second set on the compare page)."""
    return html.Div(className="weight", children=[
        html.Div(className="weight-head", children=[
            html.Label(label, htmlFor=f"{prefix}weight-{key}", className="weight-label"),
            html.Span(id=f"{prefix}share-{key}", className="weight-share")]),  # the slider says its share itself
        dcc.Slider(id=f"{prefix}weight-{key}", min=0, max=100, step=1, value=value, updatemode="drag", marks=None),
    ])


def _places_legend(ctx, state: State, lang: str) -> html.Div:
    kinds = ctx.pkg.manifest.raw.get("facility_kinds", [])
    return html.Div(className="places", hidden=ctx.pkg.facilities.empty, children=[html.H3(t(lang, "places"))] + [
        dcc.Checklist(id=f"layer-{k['id']}", className="place-toggle",
                      options=[{"label": html.Span([html.Span(KIND_SYMBOL.get(k["id"], "•"), className=f"place-icon place-{k['id']} legend-icon"),
                                                    " " + label(k["labels"], lang)]), "value": k["id"]}],
                      value=[k["id"]] if k["id"] in state.layers else [])
        for k in kinds] + [
        # what the dashed ring means, where the symbols are explained (not only in a marker's popup)
        html.P([html.Span("B", className="place-icon place-library legend-icon approximate", **{"aria-hidden": "true"}), " ",
                t(lang, "approximate")], className="help places-approximate")
        for _ in ([1] if (drawable(ctx.pkg)["position"] == "area").any() else [])])


def _table_columns(ctx, lang: str) -> list[dict]:
    """Columns of the ranking table (drawn in the browser by assets/malmo-panels.js)."""
    cols = [
        {"id": "rank", "name": t(lang, "col_rank")},
        {"id": "change", "name": t(lang, "col_change")},
        {"id": "name", "name": t(lang, "col_name")},
        {"id": "geso", "name": t(lang, "col_geso")},
        {"id": "index", "name": t(lang, "col_index")},
        {"id": "interval", "name": t(lang, "col_interval")},
        {"id": "sure", "name": t(lang, "col_sure")},
        {"id": "hot", "name": t(lang, "col_hot")},
        {"id": "flag_count", "name": t(lang, "col_flags")},
    ]
    for ind in ctx.pkg.manifest.indicators:
        name = label(ind.labels, lang)
        cols.append({"id": f"value_{ind.key}", "name": t(lang, "col_value", label=name)})
        cols.append({"id": f"scaled_{ind.key}", "name": t(lang, "col_scaled", label=name)})
    return cols


def _select(id_, label, options, value, lang, pkg=None, **words) -> html.Fieldset:
    """A choice among a few options: native radio buttons in a named group (every option visible,
    no text cut, keyboard and screen readers work as they do everywhere)."""
    return html.Fieldset(className="field choice", children=[
        html.Legend(t(lang, label)),
        dcc.RadioItems(id=id_, className="choice-items", options=[{"label": tp(pkg, lang, text, **words) if pkg is not None else t(lang, text, **words), "value": v}
                                                               for v, text in options], value=value),
    ])


def search_options(ctx, lang: str) -> list[list[str]]:
    """Every area of every level for the search box: [label 'Name (level)', 'level:code', folded text to match]."""
    m = ctx.pkg.manifest
    out = []
    for lv in m.levels:
        level_label = label(lv.labels, lang)
        for code, name in ctx.pkg.boundaries[lv.id]["name"].items():
            out.append([f"{name} ({level_label})", f"{lv.id}:{code}", f"{fold(name)} {code}"])
    return out


def _number_field(id_, label, param, step, value, lang):
    """A number input with its allowed range shown beside it. No min/max on the input itself: the
    browser would then hand Dash an empty value for -5, indistinguishable from a cleared field;
    the range is checked by the same rule as a link (state.check_number), with a notice."""
    _, low, high, _ = LIMITS[param]
    return html.Div(className="field number-field", children=[
        html.Label(t(lang, label), htmlFor=id_),
        # a text field, not type=number: that one writes the browser's decimal mark, not the page's ("0.55" in a
        # Swedish page); what is typed is read by the one rule for typed numbers (malmoFields.readDecimal)
        dcc.Input(id=id_, type="text", inputMode="decimal", value=control_text(value, lang), debounce=True, autoComplete="off"),
        html.Span(t(lang, "range_hint", low=f"{low:g}", high=f"{high:g}"), id=f"{id_}-hint", className="range-hint"),
        html.P(id=f"{id_}-error", className="field-error"),  # what was wrong with what was typed (malmo-core.js markInvalid)
    ])


def how_it_works(lang: str, ctx) -> html.Details:
    """'Hur räknas det?': the index in plain words, from the catalogue; a package with other indicators
    than Malmö's four has them named, and no word of Stadskontoret's weights."""
    items = ", ".join(label(i.labels, lang).lower() for i in ctx.pkg.manifest.indicators)
    texts = [tp(ctx.pkg, lang, key, items=items) for key in ("how_what", "how_indicators", "how_scaling", "how_weights", "how_clusters", "how_protect")]
    return html.Details(id="how-it-works", className="how", children=[html.Summary(t(lang, "how_title")), *[html.P(x) for x in texts]])


def show_view(node, controls: dict[str, dict]) -> None:
    """Set every control of the view in a page's component tree to what the view says
    (layers/view.py to_controls): a new view parameter needs no code here."""
    if isinstance(node, (list, tuple)):
        for child in node:
            show_view(child, controls)
        return
    if not hasattr(node, "_prop_names"):
        return
    for prop, value in controls.get(getattr(node, "id", None), {}).items():
        setattr(node, prop, value)
    show_view(getattr(node, "children", None), controls)


def build_layout(ctx, state: State, skipped: list[tuple[str, dict]]) -> html.Div:
    page = _page(ctx, state, skipped)
    show_view(page, to_controls(state, ctx.options))
    return page


def _page(ctx, state: State, skipped: list[tuple[str, dict]]) -> html.Div:
    lang = state.lang
    m = ctx.pkg.manifest
    other = "en" if lang == "sv" else "sv"
    available = presets_for(m.indicator_keys)  # only the presets that name exactly this package's indicators
    published = is_published(m.indicator_keys)  # Malmö's four: "equal" is Stadskontoret's published choice
    presets = [("equal", "preset_equal" if published else "preset_equal_plain")] + [
        (name, f"preset_{name}") for name in ("school", "economy", "housing") if name in available] + [("custom", "preset_custom")]
    notices = []
    demo_words = provenance.notice(ctx, lang, state.level)  # None when every shown value is real
    if demo_words:
        notices.append(html.Div(id="data-notice", className="notice demo", role="status", children=[t(lang, "demo_label")] if state.mode else [
            html.Span(demo_words, id="data-notice-words"), " ", html.A(t(lang, "how_link"), href="#how-it-works", className="how-link")]))
    notices.append(html.P(id="data-updated", className="notice updated", role="status"))  # filled when a new version arrives
    if skipped:
        items = skipped_text(lang, skipped, {i.key: label(i.labels, lang) for i in m.indicators})
        notices.append(html.Div(id="url-notice", className="notice url", role="alert", children=[
            html.Span(t(lang, "url_notice", items=items), id="url-notice-text"),
            html.Button("×", className="notice-close", title=t(lang, "close"), **{"aria-label": t(lang, "close")})]))
    basemap = [dl.TileLayer(url=ctx.basemap_url, attribution=ctx.basemap_attribution)] if ctx.basemap_url else []
    age_label = {g: t(lang, "age_group", ages=g.replace("-", "–")) for g in ctx.options.age_groups}
    positions = to_store(state, ("w",))["w"]  # the sliders as the view store holds them (layers/view.py), as presentation mode sets them
    return html.Div(id="page", lang=lang, className=f"lang-{lang}" + (" present" if state.mode == "present" else ""), children=[
        html.Nav(className="skip-links", **{"aria-label": t(lang, "skip_title")}, children=[  # the first Tab stops of the page
            html.A(t(lang, "skip_map"), href="#map"), html.A(t(lang, "skip_ranking"), href="#ranking-table-container"),
            html.A(t(lang, "skip_controls"), href="#controls")]),
        dcc.Store(id="texts", data={**client_texts(lang, ctx), "mode": state.mode, "present": state.mode == "present",
                                        "scenario_id": state.scenario_id}),
        dcc.Store(id="view-spec", data=spec_json(ctx.options, lang, state.mode)),  # layers/view.py's fields, for the browser
        dcc.Store(id="view"),  # the view, as the controls hold it: written by one generic callback, read by everything else
        dcc.Store(id="view-engine"),  # its part the view model depends on (changes only when that part does)
        dcc.Store(id="level-info"),
        dcc.Store(id="level-digest"),  # the level-info's digest of area codes, sent with each view-model request
        dcc.Store(id="data-update"),  # set by the view-model callback when the server holds another set of areas
        dcc.Store(id="view-model"),
        dcc.Store(id="scaled"),  # the scaled values of the level and normalisation (the view model names which it goes with)
        dcc.Store(id="selected-area", data=state.area),
        dcc.Store(id="url-sync"),
        dcc.Store(id="painted"),
        dcc.Store(id="catch-up"),  # set by the page when the server answers again: recompute for the current controls
        dcc.Store(id="vm-settled"),  # set in the browser once the view model has been still for a moment
        dcc.Store(id="analysis"),  # robustness, hot spots, what drives the index: off the slider's path
        dcc.Store(id="allocation"),
        html.Header(className="top", children=[
            html.Div([html.H1(t(lang, "title")), html.P(t(lang, "subtitle", place=ctx.pkg.place(lang)), className="subtitle")]),
            html.Div(className="top-tools", children=[
                html.Div(className="search", role="search", children=[
                    html.Label(t(lang, "search_label"), htmlFor="area-search", className="visually-hidden"),
                    dcc.Input(id="area-search", type="search", placeholder=t(lang, "search_placeholder", example=ctx.pkg.search_example), autoComplete="off", debounce=False),
                    dcc.Store(id="search-index", data=search_options(ctx, lang)),
                    html.Ul(id="area-search-results", className="search-results"),
                    html.Span(id="area-search-status", className="visually-hidden", role="status"),
                ]),
                html.Button(t(lang, "copy_link"), id="copy-link", className="button", n_clicks=0),
                html.A(t(lang, "compare_button"), id="compare-link", className="button", href=ctx.urls.compare(_compare_query(state))),
                html.A(t(lang, "present_button") if not state.mode else t(lang, "present_exit"), id="present-link", className="button",
                       href=ctx.urls.page(to_query(replace(state, mode="" if state.mode else "present")))),
                html.Span(id="copy-status", className="copy-status", role="status"),
                html.A(t(lang, "other_language"), id="language-link", href=to_query(replace(state, lang=other)), lang=other, className="language"),
            ]),
        ]),
        *notices,
        html.Div(t(lang, "server_gone"), id="server-notice", className="notice server", role="alert", hidden=True),
        html.Main(className="grid", children=[
            html.Aside(className="controls", id="controls", tabIndex="-1", children=html.Details(open=True, className="controls-fold", children=[
                # on a phone the controls follow the map and can be folded away (the summary shows there only)
                html.Summary(t(lang, "controls_title"), className="controls-summary"),
                html.Fieldset(className="field choice", children=[  # a radio group is named by its legend (1.3.1)
                    html.Legend(t(lang, "level"), id="level-heading", className="legend-heading"),
                    dcc.RadioItems(id="level-select", className="level-select", value=state.level,
                                   options=[{"label": label(lv.labels, lang), "value": lv.id} for lv in m.levels]),
                ]),
                *([present_bar(ctx, lang)] if state.mode == "present" else []),
                html.H3(t(lang, "weights")),
                html.P(t(lang, "weights_help"), className="help"),
                _select("preset-select", "preset", presets, "equal" if len(set(state.weights.values())) == 1 else "custom", lang),
                *[_slider(i.key, label(i.labels, lang), positions[i.key]) for i in m.indicators],
                html.Button(t(lang, "reset"), id="reset-weights", className="button", n_clicks=0),
                html.Div(id="method-notice", className="method-notice", role="alert"),
                html.Details(className="method", children=[
                    html.Summary(t(lang, "method")),
                    _select("normalisation-select", "normalisation", [(k, f"norm_{k}") for k in ("minmax", "zscore", "rank", "ratio")], state.method.normalisation, lang, ctx.pkg),
                    _select("aggregation-select", "aggregation", [(k, f"agg_{k}") for k in ("arithmetic", "geometric")], state.method.aggregation, lang, ctx.pkg),
                    _select("classification-select", "classification", [(k, f"class_{k}") for k in ("quantiles", "equal_interval", "natural_breaks")], state.method.classification, lang),
                    html.Fieldset(className="cluster-fields", children=[
                        html.Legend(t(lang, "cluster_settings")),
                        _number_field("top-n-input", "top_n", "top", 1, state.method.top_n, lang),
                        _number_field("extend-input", "extend_threshold", "ext", 0.01, state.method.extend_threshold, lang),
                        html.P(t(lang, "extend_empty"), className="help"),
                        _number_field("min-shared-input", "min_shared_m", "minb", 5, state.method.min_shared_m, lang),
                    ]),
                ]),
                drivers_panel(lang),
                *([reference_panel(lang)] if ctx.pkg.reference is not None else []),
                sources_panel(ctx, lang),
                how_it_works(lang, ctx),
                scenario_panel(ctx, lang),
                _places_legend(ctx, state, lang),
                html.A(t(lang, "export"), id="export-link", className="button export", href=ctx.urls.api("export.csv", to_query(state))),
                html.Ul(id="export-links", className="export-links", children=export_links(ctx, to_query(state), lang)),
                html.P(id="export-status", className="help", role="status"),  # a report being drawn, in words (malmo-app.js)
                embed_dialog(ctx, lang),
            ])),
            html.Section(className="map-area", **{"aria-label": t(lang, "map_label")}, children=[
                html.P(t(lang, "map_keys"), id="map-keys", className="visually-hidden"),
                html.P(id="map-summary", className="visually-hidden"),  # the map in words (malmo-map.js summarise)
                html.P(id="map-stale", className="map-stale", role="status"),  # the view could not be computed: the map is the last one
                html.P(id="map-status", className="visually-hidden", role="status"),  # the area the keys are on
                html.P(id="ranking-status", className="visually-hidden", role="status"),  # what a change did to the ranking
                dl.Map(id="map", center=ctx.center, zoom=11.5, eventHandlers={"zoomend": {"variable": "malmo.onZoom"}}, minZoom=9, maxZoom=17, preferCanvas=ctx.prefer_canvas, zoomSnap=0.25,
                       style={"height": "100%", "width": "100%"}, children=basemap + [
                    dl.GeoJSON(id="areas", url=ctx.geometry_url(state.level),
                               style={"variable": "malmo.areaStyle"}, onEachFeature={"variable": "malmo.areaFeature"}),
                    dl.Pane(name="outlines", style={"zIndex": 450, "pointerEvents": "none"}, children=[
                        dl.GeoJSON(id="cluster-outlines", style={"variable": "malmo.outlineStyle"}, interactive=False, pane="outlines",
                                   onEachFeature={"variable": "malmo.outlineFeature"})]),
                    *[dl.LayerGroup(id=f"places-{k['id']}") for k in m.raw.get("facility_kinds", [])],
                ]),
            ]),
            *([html.Section(id="present-top", className="present-top", **{"aria-labelledby": "present-top-title"}, children=[
                html.H2(t(lang, "present_top"), id="present-top-title"), html.Ol(id="present-top-list")])] if state.mode == "present" else []),
            html.Div(className="legend map-legend-area", children=[
                html.Fieldset(className="map-modes", children=[
                    html.Legend(t(lang, "map_mode")),
                    dcc.RadioItems(id="map-mode", className="choice-items", inline=True, value=state.map_mode,
                                   options=[{"label": t(lang, f"map_mode_{k}"), "value": k} for k in MAP_MODES])]),
                html.Div(id="map-legend"),
            ]),
            html.Section(className="side", children=[
                html.Div(id="area-card", className="card"),
                html.H2(t(lang, "clusters")),
                html.P(t(lang, "clusters_help"), className="help"),
                html.Div(id="cluster-list"),
            ]),
            *([html.P(t(lang, "trend_none"), className="help trend-none")] if ctx.pkg.uvas.empty else []),
            html.Section(className="trend", hidden=ctx.pkg.uvas.empty, children=[  # hidden: its chart is never mounted
                html.Fieldset(className="trend-head field choice", children=[
                    html.Legend(t(lang, "age_group_label")),
                    dcc.RadioItems(id="uvas-age", className="age-select", value=state.age_group, inline=True,
                                   options=[{"label": age_label[g], "value": g} for g in ctx.options.age_groups]),
                ]),
                *chart("trend-chart", lang, {"height": "360px", "width": "100%"}),
                html.P(id="trend-gap", className="trend-gap"),
            ]),
            html.Section(className="ranking", children=[
                html.H2(t(lang, "ranking")),
                html.P(t(lang, "ranking_help"), className="help"),
                dcc.Store(id="table-sort", data={"column": state.sort[0], "direction": state.sort[1]}),
                dcc.Store(id="table-drawn"),
                html.Div(id="ranking-table-container", className="table-wrap", tabIndex="0", role="region",
                         **{"data-columns": json.dumps(_table_columns(ctx, lang), ensure_ascii=False), "aria-label": t(lang, "ranking")}),
                html.Div(id="ranking-notes"),
            ]),
            allocation_panel(ctx, lang),
        ]),
        html.Footer(className="footer", children=[
            provenance.footer_credits(ctx, lang), " ", statement_link(ctx, lang)]),
    ])


def _compare_query(state: State) -> str:
    """The compare page for the current view: A is this view, B starts as a copy to move."""
    from urllib.parse import quote
    query = quote(scenario_query(state).lstrip("?"), safe=":,")
    return f"?a={query}&b={query}&lang={state.lang}"


def sources_panel(ctx, lang: str) -> html.Details:
    """'Källor': each indicator's source, year, licence and whether its values are real or generated."""
    return html.Details(id="sources-panel", className="method sources", children=[
        html.Summary(t(lang, "sources_title")),
        html.Ul(className="source-list", children=[html.Li(line) for line in provenance.source_lines(ctx, lang)]),
    ])


def drivers_panel(lang: str) -> html.Details:
    """'Vad driver indexet?': nominal against effective weights, and the correlations (from the analysis)."""
    return html.Details(id="drivers-panel", className="method drivers", children=[
        html.Summary(t(lang, "drivers_title")),
        dcc.Store(id="drivers-open"),  # set when the panel is opened: it is drawn only when seen
        html.P(t(lang, "drivers_help"), className="help"),
        html.Div(id="drivers", **{"aria-live": "polite"}),
        *chart("correlation", lang, {"height": "260px", "width": "100%"}),
    ])


def reference_panel(lang: str) -> html.Details:
    """'Jämfört med SCB:s områdestyp': the index at the chosen weights against SCB's classification
    (layers/analysis/reference.py), drawn from the analysis when the controls are still."""
    return html.Details(id="reference-panel", className="method reference", children=[
        html.Summary(t(lang, "ref_title")),
        html.P(t(lang, "ref_help"), className="help"),
        html.Div(id="reference-body", **{"aria-live": "polite"}, children=[html.P(t(lang, "cert_pending"), className="help")]),
    ])


def allocation_panel(ctx, lang: str) -> html.Section:
    """'Fördela': a budget split by need, children or both, over the map's areas or the clusters."""
    demo = [html.P(t(lang, "demo_label"), className="notice demo")] if ctx.pkg.is_generated() else []
    return html.Section(className="allocation", id="allocation-panel", children=[
        html.H2(t(lang, "alloc_title")),
        html.P(t(lang, "alloc_help", child_ages=ctx.pkg.children_ages), className="help"),
        *demo,
        html.Div(className="allocation-inputs", children=[
            html.Div(className="field number-field", children=[
                html.Label(t(lang, "alloc_budget"), htmlFor="alloc-budget"),
                dcc.Input(id="alloc-budget", type="number", value=10_000_000, step="any", debounce=True)]),
            html.Div(className="field number-field", children=[
                html.Label(t(lang, "alloc_floor"), htmlFor="alloc-floor"),
                dcc.Input(id="alloc-floor", type="number", value=1_000_000, step="any", debounce=True)]),
            _select("alloc-rule", "alloc_rule", [(k, f"alloc_rule_{k}") for k in ("need", "children", "need_children")], "need", lang,
                    child_ages=ctx.pkg.children_ages),
            _select("alloc-unit", "alloc_unit", [("level", "alloc_unit_area"), ("cluster", "alloc_unit_cluster")], "level", lang),
        ]),
        html.Div(id="allocation-table"),
        html.A(t(lang, "alloc_export"), id="allocation-export", className="button", href="#"),
    ])


def scenario_panel(ctx, lang: str) -> html.Details:
    """'Scenarier': save the view under a name; this browser's scenarios and the workshop's list
    (drawn by assets/malmo-scenarios.js from the API; names are set as text)."""
    return html.Details(id="scenarios", className="scenarios", children=[
        html.Summary(t(lang, "scenarios_title")),
        dcc.Store(id="scenarios-ready"),
        html.P(t(lang, "scenarios_help"), className="help"),
        html.Label(t(lang, "scenario_name"), htmlFor="scenario-name"),
        dcc.Input(id="scenario-name", type="text", maxLength=80, autoComplete="off", required=True),
        html.Label(t(lang, "scenario_note"), htmlFor="scenario-note"),
        dcc.Textarea(id="scenario-note", maxLength=2000, className="scenario-note"),
        html.Button(t(lang, "scenario_save"), id="scenario-save", className="button", n_clicks=0, type="button"),
        html.P(id="scenario-status", className="copy-status", role="status"),
        html.H3(t(lang, "scenarios_mine")),
        html.Ul(id="my-scenarios", className="scenario-list"),
        html.H3(t(lang, "scenarios_workshop")),
        html.P(t(lang, "scenarios_workshop_help"), className="help"),
        html.Ul(id="workshop-scenarios", className="scenario-list"),
        html.Label(t(lang, "workshop_key"), htmlFor="workshop-key"),
        html.P(t(lang, "workshop_key_help"), id="workshop-key-help", className="help"),
        dcc.Input(id="workshop-key", type="password", autoComplete="off", maxLength=64),
        html.A(t(lang, "scenarios_export"), id="scenario-export", className="button", href="#", download="scenarier.json"),
        dcc.Upload(id="scenario-import", children=html.Button(t(lang, "scenarios_import"), id="scenario-import-file",
                                                              className="button", type="button"), accept=".json,application/json"),
        html.H3(t(lang, "room_open_link")),
        html.P(t(lang, "room_open_help"), className="help"),
        html.A(t(lang, "room_open_title"), className="button room-link", href=ctx.urls.page("rum")),  # the view follows (malmo-app.js syncUrl)
    ])


def present_bar(ctx, lang: str) -> html.Div:
    """The wall's slim bar: step through the workshop's scenarios (← →), compare with the previous one (C)."""
    return html.Div(id="present-bar", className="present-bar", children=[
        html.Button("←", id="present-prev", className="button present-step", type="button", **{"aria-label": t(lang, "present_prev")}),
        html.Span(t(lang, "present_none"), id="present-name", className="present-name", **{"aria-live": "polite"}),
        html.Button("→", id="present-next", className="button present-step", type="button", **{"aria-label": t(lang, "present_next")}),
        html.Span(t(lang, "present_keys"), className="present-keys"),
        html.A(t(lang, "room_open_link"), className="button room-link", href=ctx.urls.page("rum")),
        statement_link(ctx, lang),
    ])


OTHER_EXPORTS = ("xlsx", "pdf", "png", "geojson")


def export_links(ctx, query: str, lang: str) -> list:
    """Links to the other exports for a state (the browser keeps their query in step with the view)."""
    return [html.Li(html.A(t(lang, f"export_{fmt}"), href=ctx.urls.api(f"export.{fmt}", query), className="export-other",
                           **{"data-format": fmt})) for fmt in OTHER_EXPORTS]


def embed_dialog(ctx, lang: str) -> html.Details:
    """'Bädda in': an <iframe> snippet for the current state, a chosen view and size (built in the browser)."""
    return html.Details(id="embed-dialog", className="embed-dialog", children=[
        html.Summary(t(lang, "embed_title")),
        html.P(t(lang, "embed_help"), className="help"),
        html.Fieldset(className="field choice", children=[
            html.Legend(t(lang, "embed_view")),
            dcc.RadioItems(id="embed-view", value="map", options=[{"label": t(lang, f"view_{v}"), "value": v} for v in EMBED_VIEWS]),
        ]),
        html.Div(className="field embed-size", children=[
            html.Label([t(lang, "embed_width"), dcc.Input(id="embed-width", type="number", value=600, step=10, debounce=True)]),
            html.Label([t(lang, "embed_height"), dcc.Input(id="embed-height", type="number", value=450, step=10, debounce=True)]),
        ]),
        html.Label(t(lang, "embed_code"), htmlFor="embed-snippet"),
        dcc.Textarea(id="embed-snippet", readOnly=True, className="embed-snippet", value=""),
        html.Button(t(lang, "embed_copy"), id="copy-snippet", className="button", n_clicks=0),
        html.Span(id="copy-snippet-status", className="copy-status", role="status"),
        # an intranet page shows the view only if the administrator allows its address (FRAME_ANCESTORS)
        html.P(t(lang, "embed_allowed", sites=", ".join(allowed_frames(lang))), id="embed-allowed", className="help"),
    ])


def allowed_frames(lang: str) -> list[str]:
    """The sites that may show an embed, in words: the setting FRAME_ANCESTORS, or only this site."""
    return [t(lang, "embed_self") if site == "'self'" else site for site in frame_ancestors()]


def place_markers(ctx, kind: str, lang: str) -> list:
    """Markers of one kind of place, each with a tooltip and a popup."""
    labels = {k["id"]: label(k["labels"], lang) for k in ctx.pkg.manifest.raw.get("facility_kinds", [])}
    out = []
    for _, f in drawable(ctx.pkg).query("kind == @kind").iterrows():
        approximate = f["position"] == "area"
        popup = [html.B(f["name"]), html.Br(), f"{t(lang, 'popup_kind')}: {labels.get(kind, kind)}"]
        if isinstance(f["address"], str) and f["address"]:
            popup += [html.Br(), f"{t(lang, 'popup_address')}: {f['address']}"]
        if approximate:
            popup += [html.Br(), html.I(t(lang, "approximate"))]
        out.append(dl.DivMarker(
            id=f"place-{f['id']}", position=[f["lat"], f["lon"]],
            # a place known only by its area is drawn beside the area's centre (offset up and right),
            # so a click at the centre selects the area, not the place
            title=f"{labels.get(kind, kind)}: {f['name']}",  # the marker's name for a screen reader, not its letter
            keyboard=False,  # not a Tab stop each (the map is one); the card names the places in and near each area
            iconOptions={"className": f"place-icon place-{kind}" + (" approximate" if approximate else ""),
                         "html": KIND_SYMBOL.get(kind, "•"), "iconSize": [24, 24],
                         "iconAnchor": [-6, 30] if approximate else [12, 12]},
            children=[dl.Tooltip(f["name"]), dl.Popup(html.Div(popup))]))
    return out


# Every chart of every page: drawn by plotly, which is most of a page's bytes (1,4 MB compressed) and
# seconds of a phone's CPU. A chart's graph is mounted only when its place comes near the screen
# (assets/malmo-core.js watchCharts; an embed's chart at once): a phone that shows the map first
# does not load plotly for a chart below it.
CHARTS = ("trend-chart", "correlation", "cmp-slope", "cmp-trend", "embed-trend")


def chart(id_: str, lang: str, style: dict, class_name: str | None = None) -> list:
    """A chart's place (its graph mounted when it comes into view) and, under it, "Visa som tabell":
    its values as a table (1.1.1), written by the browser from the same figure (malmoLib.chartTable,
    into `<id>-table`)."""
    assert id_ in CHARTS, id_
    graph = {"id": id_, "config": {"displayModeBar": False, "locale": lang, "responsive": True}, "style": style,
             **({"className": class_name} if class_name else {})}
    return [html.Div(id=f"{id_}-slot", className="chart-slot waiting", style=style,  # says it is coming until the graph is drawn
                     **{"data-graph": json.dumps(graph), "data-loading": t(lang, "chart_loading")}),
            dcc.Store(id=f"{id_}-near"),  # set by the page once the place is near the screen
            dcc.Store(id=f"{id_}-figure"),  # the figure, drawn into the graph once it is mounted (an Output of a graph
                                            # not yet there would be an error in Dash)
            html.Details(className="chart-table", children=[html.Summary(t(lang, "show_table")),
                                                             html.Div(id=f"{id_}-table", className="table-wrap")])]


def statement_link(ctx, lang: str):
    """The accessibility statement, in the page's language: in every page's footer and presentation bar."""
    return html.A(t(lang, "accessibility"), className="statement-link",
                  href=ctx.urls.page("tillganglighet") + ("?lang=en" if lang == "en" else ""))

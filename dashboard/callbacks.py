"""Callbacks: server side for what needs the engine, browser side (assets/malmo-*.js) for drawing."""
from __future__ import annotations

import time

from dash import ClientsideFunction, Input, Output, State, ctx as dash_ctx, no_update, set_props

from layers.errors import EngineError
from layers.index.normalise import METHODS as NORMALISATIONS, check_method
from layers.output.viewmodel import ViewSettings, settings_key

from .layout import CHARTS, place_markers
from layers.view import from_store, skipped_text, spec_json, view_settings
from layers.output.texts import DEFAULT_LANGUAGE, LANGUAGES, t, label


def settings_from_view(options, store) -> tuple[ViewSettings | None, list[tuple[str, dict]]]:
    """ViewSettings from the page's view store (the controls' values), checked by the one parser
    (layers/view.py), and the problems for the notice (None when any value cannot be used)."""
    state, problems = from_store(store, options)
    return (None, problems) if problems else (view_settings(state), [])


def view_inputs(options, kind=Input) -> list:
    """The controls of the view, in the spec's order (one per item where the id has "{}"): what the
    generic `malmoFields.read` takes."""
    spec = spec_json(options)
    out = []
    for f in spec["fields"]:
        if "control" in f:
            id_, prop = f["control"]
            out += [kind(id_.replace("{}", item), prop) for item in f["items"]] if "items" in f else [kind(id_, prop)]
    return out


def known_lang(lang) -> str:
    """The page's language as sent by a client: one of ours, else the default."""
    return lang if isinstance(lang, str) and lang in LANGUAGES else DEFAULT_LANGUAGE


def register_callbacks(app, ctx, cache) -> None:
    keys = ctx.engine.keys
    kinds = ctx.options.kinds
    labels = {lang: {i.key: label(i.labels, lang) for i in ctx.pkg.manifest.indicators} for lang in LANGUAGES}

    def cached_view_model(version: str, settings: ViewSettings) -> dict:
        """The view model from the shared cache, by a key of its own (the package version and the
        settings): one look-up per move, where flask-caching's memoize read the signature and a
        version key each time."""
        key = f"vm:{version}:{settings_key(settings)}|{settings.age_group}"  # settings_key leaves out the UVAS age group
        vm = cache.get(key)
        if vm is None:
            vm = ctx.views.view_model(settings)
            cache.set(key, vm)
        return vm

    cs = lambda name: ClientsideFunction(namespace="malmo", function_name=name)  # noqa: E731
    # The one view store: every control of the view, read by id from the spec (layers/view.py), and its
    # engine part. None of the controls may be set by a callback that waits for the server (the selected
    # area follows the level from the search index, not from the level data): Dash would hold the first
    # view model back a round trip.
    app.clientside_callback(cs("readView"), Output("view", "data"), Output("view-engine", "data"), *view_inputs(ctx.options),
                            State("view-spec", "data"), State("preset-select", "value"), State("texts", "data"))

    # "data-update" is set with set_props, not as an Output: as an Output it would close a circle in
    # Dash's graph (data-update → level-info → selected-area → view → view-engine → here).
    @app.callback(Output("view-model", "data"), Output("method-notice", "children"), Output("map-stale", "children"),
                  Input("view-engine", "data"), Input("catch-up", "data"), State("page", "lang"), State("level-digest", "data"))
    def update_view_model(view, _catch_up, lang, digest):
        lang = known_lang(lang)
        settings, problems = settings_from_view(ctx.options, view)
        if settings is not None and isinstance(digest, dict) and digest.get("level") == settings.level:
            current = ctx.views.level_info(settings.level)["digest"]
            if digest.get("digest") != current:  # another package version's areas: the page reloads its level data first
                set_props("data-update", {"data": f"{current}:{time.time()}"})
                return no_update, no_update, no_update
        vm, notice = view_model_answer(settings, problems, lang)
        # a view that cannot be computed leaves the last map up: it says so on the map itself
        return vm, notice, t(lang, "map_stale") if vm is no_update else ""

    def view_model_answer(settings, problems, lang):
        if any(key == "url_all_zero" for key, _ in problems):
            return no_update, t(lang, "all_zero")
        if problems:
            return no_update, t(lang, "input_notice", items=skipped_text(lang, problems, labels[lang]))
        try:
            check_method(settings.method.normalisation, settings.method.aggregation)  # the engine's own rule, before the cache
            return cached_view_model(ctx.version, settings), ""
        except EngineError as err:  # in the page's language when the catalogue has the text
            return no_update, t(lang, err.text_key) if err.text_key else t(lang, "method_error", detail=str(err))

    # "catch-up" is set with set_props, not as an Output: as an Output (an input of the view model's
    # callback), Dash would hold the first view model until the level data had come.
    @app.callback(Output("level-info", "data"), Output("areas", "url"), Output("level-digest", "data"),
                  Output("data-updated", "children"),
                  Input("level-select", "value"), Input("data-update", "data"), State("page", "lang"))
    def update_level(level, updated, lang):
        if not isinstance(level, str) or level not in ctx.options.levels:
            return no_update, no_update, no_update, no_update
        info = ctx.views.level_info(level)
        reloaded = dash_ctx.triggered_id == "data-update"  # then say so, and recompute the view for the new areas
        if reloaded:
            set_props("catch-up", {"data": updated})
        return (info, ctx.geometry_url(level), {"level": level, "digest": info["digest"]},
                t(known_lang(lang), "data_updated") if reloaded else no_update)

    # The scaled values, once per level and normalisation (not with every move); from the controls
    # themselves, not from the level data, so that the table does not wait a round trip for them.
    @app.callback(Output("scaled", "data"), Input("level-select", "value"), Input("normalisation-select", "value"),
                  Input("data-update", "data"))
    def update_scaled(level, normalisation, _updated):
        if not isinstance(level, str) or level not in ctx.options.levels or not isinstance(normalisation, str) or normalisation not in NORMALISATIONS:
            return no_update
        return ctx.views.scaled(level, normalisation)

    for kind in kinds:
        @app.callback(Output(f"places-{kind}", "children"), Input(f"layer-{kind}", "value"), State("page", "lang"))
        def toggle_places(value, lang, kind=kind):
            return place_markers(ctx, kind, known_lang(lang)) if value else []

    # In the browser, and without the sliders as inputs: anything a slider move must wait for
    # delays its map. (Naming the matching preset after a move is done by `shares`, off the graph.)
    app.clientside_callback(cs("presets"), *[Output(f"weight-{k}", "value") for k in keys], Output("preset-select", "value"),
                            Input("preset-select", "value"), Input("reset-weights", "n_clicks"),
                            State("texts", "data"), prevent_initial_call=True)
    # The analysis and the allocation follow the view model (after the controls settle), so they are
    # States of the callbacks a slider move drives: as Inputs, Dash would hold the map, the legend,
    # the table, the card and the list until they arrive. A second callback of each redraws when they do.
    app.clientside_callback(cs("paint"), Output("painted", "data"), Input("view-model", "data"),
                            Input("level-info", "data"), Input("selected-area", "data"), Input("map-mode", "value"),
                            State("analysis", "data"), State("allocation", "data"), State("texts", "data"))
    later = dict(prevent_initial_call=True)
    app.clientside_callback(cs("paintLater"), Output("painted", "data", allow_duplicate=True), Input("analysis", "data"),
                            Input("allocation", "data"), State("view-model", "data"), State("level-info", "data"),
                            State("selected-area", "data"), State("map-mode", "value"), State("texts", "data"), **later)
    app.clientside_callback(cs("settle"), Output("vm-settled", "data"), Input("view-model", "data"))
    app.clientside_callback(cs("drivers"), Output("drivers", "children"), Output("correlation-figure", "data"),
                            Input("analysis", "data"), Input("drivers-open", "data"), State("view-model", "data"), State("texts", "data"))
    app.clientside_callback(cs("gap"), Output("trend-gap", "children"), Input("view-model", "data"), State("texts", "data"))
    app.clientside_callback(cs("outlines"), Output("cluster-outlines", "url"), Input("view-model", "data"), State("texts", "data"))
    legend = [Output("map-legend", "children"), Input("view-model", "data"), Input("map-mode", "value"),
              Input("level-info", "data"),  # drawn once both the view model and the level data have come, in either order
              State("analysis", "data"), State("allocation", "data"),
              State("classification-select", "value"), State("texts", "data")]
    app.clientside_callback(cs("legend"), *legend)
    app.clientside_callback(cs("legendLater"), Output("map-legend", "children", allow_duplicate=True), Input("analysis", "data"),
                            Input("allocation", "data"), State("view-model", "data"), State("map-mode", "value"),
                            State("level-info", "data"), State("classification-select", "value"), State("texts", "data"), **later)
    app.clientside_callback(cs("clusterList"), Output("cluster-list", "children"), Input("view-model", "data"),
                            Input("level-select", "value"), State("analysis", "data"), State("level-info", "data"), State("texts", "data"))
    app.clientside_callback(cs("clusterListLater"), Output("cluster-list", "children", allow_duplicate=True), Input("analysis", "data"),
                            State("view-model", "data"), State("level-select", "value"), State("level-info", "data"), State("texts", "data"), **later)
    app.clientside_callback(cs("trend"), Output("trend-chart-figure", "data"), Input("view-model", "data"),
                            Input("level-info", "data"), Input("selected-area", "data"), State("texts", "data"))
    app.clientside_callback(cs("embedSnippet"), Output("embed-snippet", "value"), Input("embed-view", "value"),
                            Input("embed-width", "value"), Input("embed-height", "value"), Input("url-sync", "data"),
                            State("texts", "data"))
    app.clientside_callback(cs("searchList"), Output("area-search-results", "children"), Output("area-search-status", "children"),
                            Input("area-search", "value"), State("search-index", "data"), State("texts", "data"))
    app.clientside_callback(cs("table"), Output("table-drawn", "data"),
                            Input("view-model", "data"), Input("level-info", "data"), Input("table-sort", "data"),
                            Input("selected-area", "data"), Input("scaled", "data"), State("analysis", "data"), State("texts", "data"))
    app.clientside_callback(cs("tableLater"), Output("table-drawn", "data", allow_duplicate=True), Input("analysis", "data"),
                            State("view-model", "data"), State("level-info", "data"), State("table-sort", "data"),
                            State("selected-area", "data"), State("scaled", "data"), State("texts", "data"), **later)
    app.clientside_callback(cs("select"), Output("selected-area", "data"), Input("areas", "clickData"),
                            Input("level-select", "value"), State("selected-area", "data"), State("search-index", "data"))
    app.clientside_callback(cs("card"), Output("area-card", "children"), Input("selected-area", "data"),
                            Input("view-model", "data"), Input("level-info", "data"), Input("scaled", "data"),
                            State("analysis", "data"), State("texts", "data"))
    app.clientside_callback(cs("cardLater"), Output("area-card", "children", allow_duplicate=True), Input("analysis", "data"),
                            State("selected-area", "data"), State("view-model", "data"), State("level-info", "data"),
                            State("scaled", "data"), State("texts", "data"), **later)
    scenarios = lambda name: ClientsideFunction(namespace="malmoScenarios", function_name=name)  # noqa: E731
    app.clientside_callback(scenarios("importFile"), Output("scenario-status", "children"), Input("scenario-import", "contents"),
                            prevent_initial_call=True)
    app.clientside_callback(scenarios("init"), Output("scenarios-ready", "data"), Input("texts", "data"))
    app.clientside_callback(cs("syncUrl"), Output("url-sync", "data"), Output("export-link", "href"), Output("language-link", "href"),
                            Input("view", "data"), State("view-spec", "data"), State("texts", "data"))


def register_charts(app) -> None:
    """The graph of each chart, mounted into its place with the chart's figure once the page says it
    is near (a clientside callback returning the dcc.Graph); a later figure is set on the graph."""
    for id_ in CHARTS:
        app.clientside_callback(ClientsideFunction(namespace="malmo", function_name="mountChart"), Output(f"{id_}-slot", "children"),
                                Input(f"{id_}-near", "data"), Input(f"{id_}-figure", "data"), State(f"{id_}-slot", "id"),
                                prevent_initial_call=True)

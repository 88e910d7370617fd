"""Analyst depth in the dashboard, off the slider's path.

A slider move repaints the map from the view model as before. Once the controls have been still
for a moment (the `vm-settled` store, set in the browser), one server call computes for the same
settings: how sure the ranking is (robustness), the hot spots (Local Moran's I), and what drives
the index (effective weights, correlations). The allocation panel has its own call. The page
shows these only while they belong to the view model on screen (the same `key`).
"""
from __future__ import annotations

from types import SimpleNamespace

from dash import Input, Output, State, html, no_update
from flask import Response, request

from layers.analysis.allocation import check_terms, map_classes
from layers.output import export
from layers.analysis.drivers import method_report
from layers.analysis.reference import TYPES, comparison, type_label, words
from layers.analysis.hotspots import HotspotSettings, hot_clusters, hotspots
from layers.analysis.robustness import RobustnessSettings, certainty_class, robustness
from layers.index.clusters import find_clusters
from layers.errors import EngineError
from layers.output.viewmodel import ViewSettings, _round, settings_key

from . import guard
from .callbacks import known_lang, settings_from_view
from layers.view import State as State_, parse_query, to_query, view_settings
from layers.output.texts import number, t
from .workers import Admission, Busy, TooSlow, Worker

LARGE = 1500  # areas: above this, fewer robustness draws keep the answer within seconds
DRAWS = {False: 10_000, True: 1_000}


# The analysis runs in a process of its own (dashboard/workers.py), not in a server thread, so it
# never holds the interpreter lock that the next slider move's callback needs.
ANALYSIS = Worker("analysis")
ANALYSIS_ADMISSION = Admission("analysis", limit=2)
ALLOCATION_ADMISSION = Admission("allocation", limit=2)  # in the server thread (a few ms), bounded all the same
_worker: dict = {}


def in_worker(package_path: str, settings: ViewSettings) -> dict:
    """The analysis in the worker process; it loads (and keeps) the package on first use."""
    if _worker.get("path") != package_path:
        from layers.index.engine import Engine
        from layers.data.package import load_package
        from layers.output.viewmodel import ViewModels
        engine = Engine(load_package(package_path))
        _worker.update(path=package_path, ctx=SimpleNamespace(engine=engine, views=ViewModels(engine)))
    return analysis_model(_worker["ctx"], settings)


def analysis_model(ctx, s: ViewSettings) -> dict:
    """Robustness, hot spots and the method report for one view, aligned to level_info's codes."""
    m = s.method
    weights = dict(s.weights)
    codes = ctx.views.level_info(s.level)["codes"]
    draws = DRAWS[len(codes) > LARGE]
    out: dict = {"key": settings_key(s), "level": s.level, "draws": draws, "top_n": m.top_n}
    rob = robustness(ctx.engine, weights, s.level, m.normalisation, m.aggregation,
                     RobustnessSettings(draws=draws, top_n=m.top_n, seed=0), m.cluster_settings).set_index("code").reindex(codes)
    out["p_top"] = _round(rob["p_top"].to_numpy(dtype=float), 4)
    out["certainty"] = certainty_class(rob["p_top"].to_numpy(dtype=float)).tolist()  # the map's classes (layers/analysis/robustness.py)
    out["rank_p05"] = _round(rob["rank_p05"].to_numpy(dtype=float), 0)
    out["rank_p95"] = _round(rob["rank_p95"].to_numpy(dtype=float), 0)
    try:
        hot = hotspots(ctx.engine, weights, s.level, m.normalisation, m.aggregation,
                       HotspotSettings(min_shared_m=m.min_shared_m)).set_index("code").reindex(codes)
        out["hot"] = [c if isinstance(c, str) else None for c in hot["category"]]
        if s.level == ctx.engine.pkg.manifest.index_level:  # clusters are found at the index level
            clusters = find_clusters(ctx.engine, ctx.engine.index(weights, s.level, m.normalisation, m.aggregation), m.cluster_settings)
            out["hot_clusters"] = hot_clusters(clusters, dict(zip(codes, out["hot"])))
    except EngineError:  # too few neighbours at this level (GeSO with a large threshold)
        out["hot"] = None
    out["method"] = method_report(ctx.engine, weights, s.level, m.normalisation, m.aggregation)
    if ctx.engine.pkg.reference is not None:  # SCB's områdestyp, in a package built from SCB
        out["reference"] = comparison(ctx.engine, weights, m.normalisation, m.aggregation, m.top_n).as_dict()
    return out


def reference_table(result: dict, lang: str) -> list:
    """The comparison with SCB's områdestyp: its sentences, then the cross-table (fifths of the rank × type)."""
    rows = [html.Tr([html.Th(t(lang, "ref_group", first=a, last=b), scope="row")] + [html.Td(str(n)) for n in counts])
            for (a, b), counts in zip(result["groups"], result["table"])]
    spec = {"table": "TAB6586", "year": result.get("year") or ""}
    return [*[html.P(line) for line in words(result, lang)],
            html.Table(className="card-table reference-table", children=[
                html.Caption(t(lang, "ref_caption")),
                html.Thead(html.Tr([html.Th(t(lang, "ref_col_group"), scope="col")]
                                   + [html.Th(t(lang, "ref_type_short", k=k), scope="col") for k in TYPES])),
                html.Tbody(rows)]),
            html.Ul(className="reference-types", children=[html.Li(type_label(k, lang)) for k in TYPES]),
            html.P(t(lang, "ref_source", **spec), className="help")]


def allocation_table(frame, lang: str, unit_label: str, ages: str = "0–18") -> list:
    """The units that get money, largest first, and how many get nothing."""
    def kr(value) -> str:
        return number(int(value), lang) + "\u00a0" + t(lang, "currency")
    nothing = int((frame["amount"] == 0).sum())
    frame = frame[frame["amount"] > 0]
    return [html.Table(className="card-table allocation-table", children=[
        html.Thead(html.Tr([html.Th(unit_label, scope="col"), html.Th(t(lang, "alloc_need"), scope="col"),
                            html.Th(t(lang, "children_label", child_ages=ages), scope="col"), html.Th(t(lang, "alloc_amount"), scope="col")])),
        html.Tbody([html.Tr([html.Th(export.unit_name(r, lang), scope="row"),
                             html.Td(number(r.need, lang, 2) if r.need == r.need else "–"),
                             html.Td(number(int(r.children), lang) if r.children == r.children else "–"),
                             html.Td(kr(r.amount))]) for r in frame.itertuples()]),
    ]), html.P(t(lang, "alloc_nothing", n=nothing), className="help") if nothing else None]


def register_analysis_callbacks(app, ctx, cache) -> None:
    controls = [State("view-engine", "data")]  # the view the view model was made for (layers/view.py)

    @cache.memoize()
    def cached_analysis(version: str, path: str, settings: ViewSettings) -> dict:  # the package version is part of the key
        with ANALYSIS_ADMISSION.slot():  # Busy or TooSlow are raised, never cached
            return ANALYSIS.run(in_worker, path, settings)

    def settings_of(view):
        return settings_from_view(ctx.options, view)[0]

    @app.callback(Output("analysis", "data"), Input("vm-settled", "data"), *controls)
    def update_analysis(settled, view):
        settings = settings_of(view)
        if settled is None or settings is None:
            return no_update
        try:
            return cached_analysis(ctx.version, str(ctx.pkg.path), settings)
        except (Busy, TooSlow):  # the page says "busy, try again in a moment"; the next settle asks again
            return {"busy": True, "key": settings_key(settings), "level": settings.level}
        except EngineError:
            return no_update

    if ctx.pkg.reference is not None:
        @app.callback(Output("reference-body", "children"), Input("analysis", "data"), State("page", "lang"))
        def update_reference(analysis, lang):
            if not analysis or "reference" not in analysis:
                return no_update
            return reference_table(analysis["reference"], known_lang(lang))

    @app.callback(Output("allocation", "data"), Output("allocation-table", "children"), Output("allocation-export", "href"),
                  Input("alloc-budget", "value"), Input("alloc-rule", "value"), Input("alloc-unit", "value"),
                  Input("alloc-floor", "value"), Input("vm-settled", "data"), *controls, State("page", "lang"))
    def update_allocation(budget, rule, unit, floor, settled, view, lang):
        lang = known_lang(lang)
        settings = settings_of(view)
        checked, problem = check_terms(budget, rule, unit, floor)
        if settled is None or settings is None:
            return no_update, no_update, no_update
        if problem:
            return None, html.P(t(lang, problem), className="method-notice", role="alert"), no_update
        budget, rule, unit, floor = checked
        try:
            with ALLOCATION_ADMISSION.slot():
                frame = export.allocation_frame(ctx, settings, budget, rule, unit, floor)
        except Busy:
            return None, html.P(t(lang, "busy"), className="method-notice", role="status"), no_update
        except EngineError as err:
            return None, html.P(t(lang, "alloc_impossible", detail=str(err)), className="method-notice", role="alert"), no_update
        level = ctx.pkg.manifest.index_level if unit == "cluster" else settings.level
        amounts = {}
        for r in frame.itertuples():
            for code in (r.members.split(",") if unit == "cluster" else [r.code]):
                amounts[code] = int(r.amount)
        label = t(lang, "alloc_unit_cluster") if unit == "cluster" else t(lang, "alloc_unit_area")
        href = ctx.urls.api("allocation.csv", "?" + request_query(ctx, settings, lang, budget, rule, unit, floor))
        return ({"key": settings_key(settings), "level": level, "amounts": amounts, "budget": budget, **map_classes(amounts)},
                allocation_table(frame, lang, label, ctx.pkg.children_ages), href)

    server = app.server

    @server.route(ctx.urls.route("/api/allocation.csv"))
    def allocation_csv():
        """The allocation as CSV, Swedish Excel conventions in Swedish; the state by the page's own parser."""
        args = request.args.to_dict(flat=True)
        alloc = {k: args.pop(k, None) for k in ("budget", "rule", "unit", "floor")}
        state, skipped = parse_query({k: [v] for k, v in args.items()}, ctx.options, ctx.scenario_state)
        lang = state.lang
        checked, problem = check_terms(alloc["budget"], alloc["rule"] or "need", alloc["unit"] or "level", alloc["floor"])
        if problem:
            return guard.client_error(400, t(lang, problem))
        try:
            with ALLOCATION_ADMISSION.slot():
                frame = export.allocation_frame(ctx, view_settings(state), *checked)
        except Busy as err:
            return guard.client_error(503, str(err), {"Retry-After": str(err.retry_after)})
        except EngineError as err:
            return guard.client_error(400, str(err))
        return Response(export.allocation_csv(ctx, state, skipped, frame, checked), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{export.allocation_filename()}"'})


def request_query(ctx, settings: ViewSettings, lang: str, budget, rule, unit, floor) -> str:
    """The allocation CSV's query: the view's state by the one URL builder, and the panel's inputs."""
    from urllib.parse import urlencode
    state = State_(dict(settings.weights), settings.level, (), lang=lang, method=settings.method)
    return to_query(state).lstrip("?") + "&" + urlencode({"budget": budget, "rule": rule, "unit": unit, "floor": floor})

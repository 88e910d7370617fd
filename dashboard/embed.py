"""Single views for intranet pages: /embed/map, /embed/ranking, /embed/trend, /embed/clusters, /embed/card.

Each reads the same URL state as the dashboard (one parser), is computed by the same view model and
drawn by the same browser functions (assets/malmo-map.js, malmo-panels.js; wired in malmo-embed.js).
Each carries the demo-data label when values are generated, and a link to the full tool with the
same state. Embedded views never write the browser's history.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from dash import ClientsideFunction, Input, Output, State, dcc, html
import dash_leaflet as dl

from .guard import text
from .layout import _table_columns, chart, client_texts, place_markers
from layers.index.weights import normalise_weights
from layers.output.export import weights_line
from layers.view import parse_query, to_query, view_settings
from layers.output.texts import label, t


# An embedded ranking says where each area stands; the indicators' values are one click away ("Öppna i verktyget").
EMBED_RANKING_COLUMNS = ("rank", "change", "name", "geso", "index")


def build_embed(ctx, view: str, state, skipped) -> html.Div:
    lang = state.lang
    if not view:  # /embed/<unknown> reached through the page's own routing: say so, as the 404 does
        return html.Div(className="embed embed-missing", lang=lang, children=[html.H1(t(lang, "error_title")), html.P(t(lang, "not_found"))])
    m = ctx.pkg.manifest
    head = [html.A(t(lang, "open_in_tool"), href=ctx.urls.page(to_query(state)), target="_blank", rel="noopener", className="embed-open")]
    shares = normalise_weights(state.weights)
    if len(set(round(w, 6) for w in shares.values())) > 1:  # not the published equal weights: say which, or it looks like the default
        head.insert(0, html.Span(weights_line({i.key: label(i.labels, lang) for i in m.indicators}, shares, lang),
                                 className="embed-weights"))
    if ctx.pkg.is_generated():
        head.insert(0, html.Span(t(lang, "demo_label"), className="embed-demo", role="status"))
    stores = [dcc.Store(id="embed-texts", data=client_texts(lang, ctx)),
              dcc.Store(id="embed-settings", data=to_query(state)),
              dcc.Store(id="embed-vm"), dcc.Store(id="embed-info"),
              dcc.Store(id="embed-selected", data=state.area), dcc.Store(id="embed-drawn")]
    title = {"map": "map_label", "ranking": "ranking", "trend": "trend_title", "clusters": "clusters", "card": "card_title"}[view]
    if view == "map":
        kinds = [k["id"] for k in m.raw.get("facility_kinds", []) if k["id"] in state.layers]
        body = [html.Div(className="embed-map", role="region", **{"aria-label": t(lang, "map_label")}, children=[
                    dl.Map(id="embed-map", center=ctx.center, zoom=11, minZoom=9, maxZoom=17, zoomSnap=0.25,
                           preferCanvas=ctx.prefer_canvas, style={"height": "100%", "width": "100%"},
                           eventHandlers={"zoomend": {"variable": "malmo.onZoom"}}, children=[
                        dl.GeoJSON(id="embed-areas", url=ctx.geometry_url(state.level),
                                   style={"variable": "malmo.areaStyle"}, onEachFeature={"variable": "malmo.areaFeature"}),
                        dl.Pane(name="outlines", style={"zIndex": 450, "pointerEvents": "none"}, children=[
                            dl.GeoJSON(id="embed-outlines", style={"variable": "malmo.outlineStyle"}, interactive=False,
                                       pane="outlines", onEachFeature={"variable": "malmo.outlineFeature"})]),
                        *[dl.LayerGroup(id=f"embed-places-{k}", children=place_markers(ctx, k, lang)) for k in kinds]])]),
                html.P(id="map-summary", className="visually-hidden"),  # the map in words (malmo-map.js summarise)
                html.Div(id="embed-legend", className="legend embed-legend")]
    elif view == "ranking":
        body = [html.Div(id="ranking-table-container", className="table-wrap embed-table", tabIndex="0", role="region",
                         **{"data-columns": json.dumps([c for c in _table_columns(ctx, lang) if c["id"] in EMBED_RANKING_COLUMNS], ensure_ascii=False),
                            "aria-label": t(lang, "ranking")}),
                html.Div(id="ranking-notes")]
    elif view == "trend":
        body = chart("embed-trend", lang, {"height": "100%"}, class_name="embed-graph")
    elif view == "clusters":
        body = [html.Div(id="embed-clusters", className="embed-scroll", tabIndex="0")]
    else:
        body = [html.Div(id="embed-card", className="card embed-scroll", tabIndex="0")] if state.area else \
               [html.P(t(lang, "embed_card_needs_area"), className="help")]
    return html.Div(className=f"embed embed-{view}", lang=lang, children=[
        *stores,
        html.H1(t(lang, title), className="visually-hidden"),
        html.Div(className="embed-head", children=head),
        html.Main(className="embed-body", children=body),
    ])


def register_embed_callbacks(app, ctx, cache) -> None:
    @cache.memoize()
    def embed_view_model(version, settings):  # the package version is part of the key
        return ctx.views.view_model(settings)

    @app.callback(Output("embed-vm", "data"), Output("embed-info", "data"), Input("embed-settings", "data"))
    def embed_data(query):
        state, _ = parse_query(parse_qs(text(query).lstrip("?"), keep_blank_values=True), ctx.options, ctx.scenario_state)
        info = {**ctx.views.level_info(state.level), "scaled": ctx.views.scaled(state.level, state.method.normalisation)}
        return embed_view_model(ctx.version, view_settings(state)), info

    cs = lambda name: ClientsideFunction(namespace="malmoEmbed", function_name=name)  # noqa: E731
    data = [Input("embed-vm", "data"), Input("embed-info", "data"), State("embed-selected", "data"), State("embed-texts", "data")]
    app.clientside_callback(cs("map"), Output("embed-legend", "children"), Output("embed-outlines", "url"), *data)
    app.clientside_callback(cs("table"), Output("embed-drawn", "data"), *data, State("embed-settings", "data"))
    app.clientside_callback(cs("trend"), Output("embed-trend-figure", "data"), *data)
    app.clientside_callback(cs("clusters"), Output("embed-clusters", "children"), *data)
    app.clientside_callback(cs("card"), Output("embed-card", "children"), *data)

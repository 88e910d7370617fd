"""The Dash app: `create_app()` returns it; `app.server` is the Flask app for gunicorn."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import dash
from flask import Response, abort, has_request_context, request
from flask_caching import Cache
from werkzeug.exceptions import HTTPException

from layers.errors import EngineError

from .callbacks import register_callbacks
from .context import AppContext
from .layout import build_layout
from .state import parse_query
from .texts import DEFAULT_LANGUAGE, LANGUAGES, t

log = logging.getLogger(__name__)


def create_app(package=None, cache_config: dict | None = None) -> dash.Dash:
    ctx = AppContext.from_package(package)
    app = dash.Dash(__name__, title=t("sv", "page_title"), update_title=None,
                    assets_folder=str(Path(__file__).resolve().parents[1] / "assets"),
                    serve_locally=True)
    app.ctx = ctx
    cache = Cache(app.server, config=cache_config or {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 3600, "CACHE_THRESHOLD": 2000})

    def serve_layout():
        if not has_request_context():  # Dash may build the layout once at start-up
            return build_layout(ctx, ctx.options.default(), [])
        state, skipped = parse_query(_page_args(), ctx.options)
        return build_layout(ctx, state, skipped)

    app.layout = serve_layout
    app.validation_layout = build_layout(ctx, ctx.options.default(), [])
    register_callbacks(app, ctx, cache)
    _register_routes(app.server, ctx)
    return app


def _page_args() -> dict:
    """Query parameters of the page being shown. Dash fetches the layout with a separate request
    (/_dash-layout) whose own URL has no query; the page's URL is its referrer."""
    if request.path.endswith("_dash-layout") and request.referrer:
        return {k: v[-1] for k, v in parse_qs(urlparse(request.referrer).query, keep_blank_values=True).items()}
    return request.args


def _lang() -> str:
    lang = request.args.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def _register_routes(server, ctx: AppContext) -> None:
    @server.route("/api/geometry/<level>.geojson")
    def level_geometry(level: str):
        if level not in ctx.geometry:
            abort(404)
        # cached for a day: the URL carries the file's hash (AppContext.geometry_url), so a new package gets a new URL
        response = Response(ctx.geometry[level], mimetype="application/geo+json")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @server.route("/api/outlines")
    def cluster_outlines():
        known = ctx.pkg.boundaries[ctx.pkg.manifest.index_level].index
        groups = tuple(tuple(c for c in g.split(".") if c in known) for g in request.args.get("g", "").split("-") if g)
        response = Response(json.dumps(ctx.views.outlines(groups), separators=(",", ":")), mimetype="application/geo+json")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @server.route("/api/export.csv")
    def export_csv():
        from .export import ranking_csv
        lang = _lang()
        state, _ = parse_query(request.args, ctx.options)
        try:
            body, filename = ranking_csv(ctx, state)
        except EngineError as err:
            return Response(f"{t(lang, 'error_title')}: {err}\n", status=400, mimetype="text/plain; charset=utf-8")
        response = Response(body, mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @server.errorhandler(Exception)
    def friendly_error(err):
        lang = _lang()
        if isinstance(err, HTTPException):
            status, text = err.code, (t(lang, "not_found") if err.code == 404 else t(lang, "error_text"))
        else:
            log.exception("unhandled error")
            status, text = 500, t(lang, "error_text")
        page = f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><title>{t(lang, 'error_title')}</title>" \
               f"<body style='font-family:sans-serif;margin:3rem'><h1>{t(lang, 'error_title')}</h1><p>{text}</p><p><a href='/'>Malmö</a></p></body></html>"
        return Response(page, status=status, mimetype="text/html")

"""The Dash app: `create_app()` returns it; `app.server` is the Flask app for gunicorn."""
from __future__ import annotations

from html import escape as html_escape

import json
import logging
import os
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dash
from dash import Input, Output, dcc, html
import dash_leaflet as dl
from flask import Response, abort, has_request_context, request
from flask_caching import Cache
from flask_talisman import Talisman
from dash.exceptions import DependencyException
from werkzeug.exceptions import HTTPException

from layers.errors import EngineError

from . import guard, rooms, scenario_api
from .cache import cache_settings
from .accessibility import statement_page
from .guard import text
from .callbacks import register_callbacks, register_charts
from layers.output.export import FORMATS, export_data, filename
from .context import AppContext
from .analysis import register_analysis_callbacks
from .compare import build_compare, parse_compare, register_compare_callbacks
from .embed import build_embed, register_embed_callbacks
from .layout import CHARTS, build_layout
from layers.view import parse_query
from layers.output import palette
from layers.output.texts import t
from .urls import EMBED_VIEWS, frame_ancestors
from .workers import ADMISSIONS, Busy, TooSlow
from . import pictures  # noqa: F401 - loaded with the app, so its admission is on /healthz from the start

log = logging.getLogger(__name__)


class _Dash(dash.Dash):
    def interpolate_index(self, **kwargs):
        """The page's HTML, with <html lang> from the page's own URL (assistive technology reads it)."""
        kwargs["css"] = f"<style>{palette.css()}</style>" + kwargs.get("css", "")  # the colours, from layers/output/palette.py
        if has_request_context():  # a title of its own for every route, in its language (2.4.2)
            kwargs["title"] = html_escape(page_title(request.path, _lang(), request.args.get("mode", ""), self.ctx.pkg.place(_lang())))
            kwargs["metas"] = kwargs.get("metas", "") + self._preloads(request.path, request.args.get("level"))
        html_page = super().interpolate_index(**kwargs)
        return html_page.replace("<html>", f'<html lang="{_lang()}">', 1) if has_request_context() else html_page


    def _preloads(self, path: str, level: str | None) -> str:
        """What the page fetches only after its layout and first callbacks (about two round trips
        later), asked for with the HTML: the map's area boundaries for the level in the URL and the
        lazily loaded parts of the map and the sliders. On a slow phone network this brings the map
        forward by the round trips it would wait (bench/first_load.py)."""
        ctx = getattr(self, "ctx", None)
        view = ctx.urls.embed_view(path) if ctx else ""
        if not ctx or (view is None and path.rstrip("/") + "/" != ctx.urls.prefix) or view not in (None, "map"):
            return ""
        level = level if level in ctx.options.levels else ctx.options.default().level
        suites = ctx.urls.route("/_dash-component-suites/")
        links = [f'<link rel="preload" href="{html_escape(ctx.geometry_url(level))}" as="fetch" crossorigin="anonymous">',
                 f'<link rel="preload" href="{suites}dash_leaflet/async-GeoJSON.js" as="script">']
        if view is None:
            links.append(f'<link rel="preload" href="{suites}dash/dcc/async-slider.js" as="script">')
        return "".join(links)


def page_title(path: str, lang: str, mode: str = "", place: str = "Malmö") -> str:
    """The page's title: what it is, then the product, in the page's language."""
    from .urls import EMBED_VIEWS
    product = t(lang, "page_title", place=place)
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    if tail == "compare":
        return f"{t(lang, 'compare_title')} – {product}"
    if "/embed/" in path and tail in EMBED_VIEWS:
        return f"{t(lang, 'view_' + tail)} – {product}"
    return f"{t(lang, 'present_button')} – {product}" if mode == "present" else product


def create_app(package=None, cache_config: dict | None = None) -> dash.Dash:
    ctx = AppContext.from_package(package)
    app = _Dash(__name__, title=t("sv", "page_title", place=ctx.pkg.place("sv")), update_title=None,
                assets_folder=str(Path(__file__).resolve().parents[1] / "assets"),
                assets_path_ignore=["room"],  # the room's pages load their own script, not Dash's pages
                serve_locally=True, url_base_pathname=ctx.urls.prefix)
    app.ctx = ctx
    proxies = int(os.environ.get("TRUSTED_PROXIES", "0"))  # proxies in front (nginx: 1): the client's address is then theirs to tell
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=proxies, x_proto=proxies)
    config = cache_config or cache_settings()
    cache = Cache(app.server, config=config)
    app.cache_type = config["CACHE_TYPE"].rsplit(".", 1)[-1]

    # The page is drawn from its own URL (dcc.Location), not from the layout request's Referer,
    # which a proxy or a Referrer-Policy may strip: a shared link opens as it was shared.
    app.layout = html.Div([dcc.Location(id="url", refresh=False), html.Div(id="page-root")])
    default = ctx.options.default()
    app.validation_layout = _skeleton(html.Div([app.layout, build_layout(ctx, default, []),
                                                *[build_embed(ctx, view, replace(default, area=next(iter(ctx.options.area_codes))), [])
                                                  for view in EMBED_VIEWS],
                                                build_compare(ctx, parse_compare({}, ctx)[0], []),
                                                *[dcc.Graph(id=id_) for id_ in CHARTS]]))  # mounted when near the screen

    @app.callback(Output("page-root", "children"), Input("url", "pathname"), Input("url", "search"))
    def draw_page(pathname, search):
        args = parse_qs(text(search).lstrip("?"), keep_blank_values=True)
        if ctx.urls.is_compare(text(pathname)):
            return build_compare(ctx, *parse_compare(args, ctx))
        state, skipped = parse_query(args, ctx.options, ctx.scenario_state)
        view = ctx.urls.embed_view(text(pathname))
        return build_layout(ctx, state, skipped) if view is None else build_embed(ctx, view, state, skipped)

    register_callbacks(app, ctx, cache)
    register_charts(app)
    register_embed_callbacks(app, ctx, cache)
    register_compare_callbacks(app, ctx, cache)
    register_analysis_callbacks(app, ctx, cache)
    guard.install(app, ctx.urls.route("/_dash-update-component"), ctx.urls.prefix)
    _register_routes(app, ctx)
    scenario_api.register(app, ctx)
    rooms.register(app, ctx)
    _secure(app, ctx)
    _fingerprinted(app, ctx)
    return app


def _skeleton(component):
    """A layout with the ids and props callbacks refer to, without the data: Dash sends the validation
    layout to every page in its config, so stores' data and place markers would only add weight."""
    if isinstance(component, dcc.Store):
        component.data = None
    children = getattr(component, "children", None)
    if isinstance(component, dl.LayerGroup):
        component.children = []
    elif isinstance(children, (list, tuple)):
        for child in children:
            _skeleton(child)
    elif children is not None and hasattr(children, "to_plotly_json"):
        _skeleton(children)
    return component


def _secure(app, ctx: AppContext) -> None:
    """Security headers on every response, in one place: a Content-Security-Policy without
    'unsafe-eval' and with hashes for Dash's own inline scripts, frame-ancestors 'self' (the
    environment's FRAME_ANCESTORS on /embed/* only), no Referer, nosniff."""
    basemap = urlsplit(ctx.basemap_url) if ctx.basemap_url else None
    tiles = [f"{basemap.scheme}://{basemap.netloc.replace('{s}', '*')}"] if basemap else []
    csp = {
        "default-src": "'self'",
        "script-src": ["'self'", *app.csp_hashes()],
        "style-src": ["'self'", "'unsafe-inline'"],  # React, Leaflet and plotly set inline styles
        "img-src": ["'self'", "data:", *tiles],
        "connect-src": "'self'",
        "font-src": ["'self'", "data:"],
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'self'",  # the embeds alone may be framed by the configured origins (below)
    }
    embeds, allowed = ctx.urls.route("/embed/"), " ".join(frame_ancestors())

    @app.server.after_request
    def embed_ancestors(response):
        """FRAME_ANCESTORS applies to the embeds only: another origin may frame a single view, never
        the dashboard with its scenario buttons. (Registered before Talisman, so it runs after it.)"""
        policy = response.headers.get("Content-Security-Policy")
        if policy and request.path.startswith(embeds):
            response.headers["Content-Security-Policy"] = policy.replace("frame-ancestors 'self'", f"frame-ancestors {allowed}")
        return response

    Talisman(app.server, content_security_policy=csp, force_https=False, strict_transport_security=False,
             frame_options=None, referrer_policy="no-referrer", session_cookie_secure=False, content_security_policy_nonce_in=None)


def _fingerprinted(app, ctx: AppContext) -> None:
    """Files under /assets/ are named in the page with their fingerprint (?m=…, Dash's): a changed file
    has a new address, so the browser may keep each for a year without asking again (Dash's own
    bundles already are). Without the fingerprint, the usual revalidation."""
    assets = ctx.urls.route("/assets/")

    @app.server.after_request
    def cache_fingerprinted(response):
        if request.path.startswith(assets) and request.args.get("m") and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


_lang = guard.request_lang


MAX_OUTLINE_GROUPS = 200  # clusters at once (the page sends a handful)


def _register_routes(app, ctx: AppContext) -> None:
    server, urls = app.server, ctx.urls

    @server.route(urls.route("/embed/<view>"))
    def embed_page(view: str):
        """Single views for intranet pages; an unknown view gets the friendly 404."""
        if view not in EMBED_VIEWS:
            abort(404)
        return app.index()

    @server.route(urls.route("/compare"))
    def compare_page():
        """A and B side by side (dashboard/compare.py), drawn by the page's own routing."""
        return app.index()

    @server.route(urls.route("/tillganglighet"))
    def accessibility_statement():
        return Response(statement_page(urls, _lang(), ctx.pkg.place(_lang())), mimetype="text/html")

    @server.before_request
    def publish_check():
        ctx.maybe_reload()  # a newly published package version is loaded in the background, validated, then used

    @server.route(urls.route("/healthz"))
    def healthz():
        """For the proxy and the container platform: {"status": "ok"}. The details (package version,
        cache, a refused version and why) go only to whoever may see them: a request from this
        machine that did not come through the proxy, or one with the HEALTH_TOKEN."""
        body = {"status": "ok"}
        if may_see_details():
            body.update({"package": ctx.pkg.manifest.name, "version": ctx.version, "loaded": ctx.data.loaded,
                         "cache": app.cache_type, "view_models_computed": ctx.views.computed,
                         "scenarios_read_only": bool(ctx.scenarios.read_only), "pid": os.getpid(),
                         "heavy_refused": {a.kind: a.refused for a in ADMISSIONS}})
            if ctx.reload_problem:
                body["refused_version"] = ctx.reload_problem
        return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json", headers={"Cache-Control": "no-store"})

    @server.route(urls.route("/api/geometry/<level>.geojson"))
    def level_geometry(level: str):
        if level not in ctx.geometry:
            abort(404)
        # cached for a day: the URL carries the file's hash (AppContext.geometry_url), so a new package gets a new URL
        response = Response(ctx.geometry[level], mimetype="application/geo+json")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @server.route(urls.route("/api/outlines"))
    def cluster_outlines():
        known = ctx.pkg.boundaries[ctx.pkg.manifest.index_level].index
        parts = [g for g in request.args.get("g", "").split("-") if g]
        if len(parts) > MAX_OUTLINE_GROUPS:
            return guard.client_error(400, f"at most {MAX_OUTLINE_GROUPS} groups of areas")
        groups = tuple(tuple(c for c in g.split(".") if c in known) for g in parts)
        if any(len(g) > len(known) for g in groups):
            return guard.client_error(400, "a group names an area more than once")
        response = Response(json.dumps(ctx.views.outlines(groups), separators=(",", ":")), mimetype="application/geo+json")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @server.route(urls.route("/api/export.<fmt>"))
    def export(fmt: str):
        """Every export from one registry (layers/output/export.py, as the CLI's); the state is read by the one parser."""
        if fmt not in FORMATS:
            abort(404)
        lang = _lang()
        state, skipped = parse_query(request.args, ctx.options, ctx.scenario_state)
        try:
            data = export_data(ctx, state, skipped)
            # heavy formats (the pictures) are drawn in the drawing process, admitted and bounded
            body = pictures.render(ctx, fmt, data) if FORMATS[fmt].heavy else FORMATS[fmt].render(ctx, data)
        except EngineError as err:
            return guard.client_error(400, f"{t(lang, 'error_title')}: {err}")
        except (Busy, TooSlow) as err:  # heavy work is admitted and bounded (dashboard/workers.py)
            return guard.client_error(503, str(err), {"Retry-After": str(err.retry_after)})
        response = Response(body, content_type=FORMATS[fmt].content_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename(ctx, state, fmt)}"'
        return response

    @server.before_request
    def known_paths_only():
        """Dash answers every path with the page; only the page's own paths get it, the rest a 404
        (JSON under /api, the friendly page elsewhere): /whatever/deep is not a page."""
        rule = request.url_rule
        if rule is not None and rule.rule.endswith("<path:path>") and rule.endpoint != "static":
            return guard.client_error(404, f"no such page or endpoint: {guard.printable(request.path)[:200]}")
        return None

    @server.errorhandler(Exception)
    def one_error_handler(err):
        """Every error of the whole app answers in one shape (guard.error_response); only a real
        server error logs a traceback."""
        if isinstance(err, HTTPException):
            if err.code == 404:
                return guard.error_response(404, f"no such page or endpoint: {guard.printable(request.path)[:200]}")
            return guard.client_error(err.code or 400, err.description or err.name)
        if isinstance(err, DependencyException):  # a bad /_dash-component-suites/ path: Dash lists every registered file
            return guard.client_error(404, "no such file")
        if isinstance(err, RecursionError):
            return guard.client_error(400, "the request is nested too deeply")
        log.exception("server error %s %s [request %s]", request.method, request.path, guard.request_id())
        return guard.error_response(500, "server error")


def may_see_details() -> bool:
    """Loopback without a proxy in between (no X-Forwarded-For), or the configured HEALTH_TOKEN."""
    import hmac
    token = os.environ.get("HEALTH_TOKEN", "")
    if token and hmac.compare_digest(request.headers.get("X-Health-Token", ""), token):
        return True
    local = (request.remote_addr or "").startswith("127.") or request.remote_addr == "::1"
    return local and "X-Forwarded-For" not in request.headers

"""The request boundary, checked in one place before any work.

- A Dash callback request must name a registered callback and send exactly its inputs and state
  (ids and properties); the values are then checked by the callbacks themselves, with the same
  rules as a link (layers/view.py), and answered with the notice the page already knows.
- Bodies above MAX_BODY_BYTES get 413, query strings above MAX_QUERY_BYTES get 414.
- Every request has an id (X-Request-Id, given or made), in the log and in the friendly error page.
- A client error is one log line (what and where); only a server error logs a traceback.
"""
from __future__ import annotations

import html
import json
import logging
import re
import uuid

from flask import Response, g, request

log = logging.getLogger("dashboard.requests")
MAX_BODY_BYTES = 1_000_000
MAX_QUERY_BYTES = 4096


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(value) -> str:
    """Text as one log line: control characters, line separators and bidi controls as escapes (\\n,
    \\x1b, \\u202e), so a path or a message from a client cannot start a forged line."""
    def escape(m):
        c = m.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")
    return _UNPRINTABLE.sub(escape, str(value))


def install_log_escaping() -> None:
    """Every log record's arguments (what a request brings: paths, messages, names) are escaped by
    `printable` before formatting, for every logger of the process (ours, Flask's, gunicorn's). A
    record's own format string and its traceback keep their line breaks."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "escapes_args", False):
        return

    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        if isinstance(record.args, tuple):
            record.args = tuple(printable(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: printable(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return record
    make.escapes_args = True
    logging.setLogRecordFactory(make)


def text(value, default: str = "") -> str:
    """A value a client sent where text belongs: itself if it is text, else `default`."""
    return value if isinstance(value, str) else default


def _items_match(sent, expected) -> bool:
    if not isinstance(sent, list) or len(sent) != len(expected):
        return False
    return all(isinstance(s, dict) and s.get("id") == e["id"] and s.get("property") == e["property"]
               for s, e in zip(sent, expected))


def callback_problem(callback_map: dict, body) -> str | None:
    """Why a `_dash-update-component` body cannot be a call of a registered callback, or None."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "no such callback"
    spec = callback_map[output]
    if not _items_match(body.get("inputs"), spec["inputs"]):
        return f"inputs do not match the callback {output}"
    if not _items_match(body.get("state", []), spec["state"]):
        return f"state does not match the callback {output}"
    if not isinstance(body.get("changedPropIds", []), list):
        return "changedPropIds is not a list"
    return None


_prefix = "/"  # URL_PREFIX, set by install()


def for_machines() -> bool:
    """Whether this request is a program's (the API, Dash's own routes): errors answer JSON there,
    unless a browser navigated there (a person clicked an export link: Accept prefers text/html)."""
    path = request.path[len(_prefix) - 1:] if request.path.startswith(_prefix) else request.path
    if not path.startswith(("/api/", "/_dash-", "/_reload-hash", "/_favicon")):
        return False
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html"


def request_lang() -> str:
    """The language a request asks for (`?lang=`), Swedish when it names none the catalogue has."""
    from layers.output.texts import DEFAULT_LANGUAGE, LANGUAGES
    lang = request.args.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def error_response(status: int, message: str, headers: dict | None = None) -> Response:
    """The one shape of every error answer (after datasette's handle_exception): JSON
    {"ok": false, "status", "error", "request_id"} under /api and Dash's routes, else the friendly page
    in the page's language with the request id. `message` is for the client (never a traceback)."""
    from layers.output.texts import t
    headers = {"X-Request-Id": request_id(), "Cache-Control": "no-store", **(headers or {})}
    if for_machines():
        body = {"ok": False, "status": status, "error": message, "request_id": request_id()}
        return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json", headers=headers)
    lang = request_lang()
    text = {404: t(lang, "not_found"), 503: t(lang, "busy")}.get(status) or (t(lang, "bad_request") if status < 500 else t(lang, "error_text"))
    page = (f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><title>{t(lang, 'error_title')}</title>"
            f"<body style='font-family:sans-serif;margin:3rem'><h1>{t(lang, 'error_title')}</h1><p>{html.escape(text)}</p>"
            f"<p>{t(lang, 'error_id')}: {request_id()}</p><p><a href='{html.escape(_prefix)}'>Malmö</a></p></body></html>")
    return Response(page, status=status, mimetype="text/html", headers=headers)


def client_error(status: int, message: str, headers: dict | None = None) -> Response:
    """A client's mistake: one log line, the one error shape, no traceback."""
    log.warning("client error %s %s %s: %s [request %s]", status, request.method, request.path, message, request_id())
    return error_response(status, message, headers)


MAX_JSON_DEPTH = 32  # the deepest body a callback or the API sends is 5 levels


def json_depth_problem(data) -> str | None:
    """Why a parsed body is too deep to work on, or None (iterative: no recursion of our own)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"the body is nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return None


def request_id() -> str:
    if "request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if given.isalnum() and len(given) <= 64 else uuid.uuid4().hex[:12]
    return g.request_id


def install(app, dash_update_path: str, prefix: str = "/") -> None:
    """Limits, ids and the callback check, on the Flask app."""
    global _prefix
    _prefix = prefix
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    install_log_escaping()

    @server.before_request
    def check_request():
        request_id()
        if len(request.query_string) > MAX_QUERY_BYTES:
            return client_error(414, f"the query string is longer than {MAX_QUERY_BYTES} bytes")
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return client_error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        if request.method in ("POST", "PUT", "PATCH") and request.content_length:
            try:  # parsed once here (Flask keeps it for the view); nesting is bounded before anyone walks it
                body = request.get_json(silent=True)
            except RecursionError:
                return client_error(400, "the body is nested too deeply")
            problem = json_depth_problem(body)
            if problem:
                return client_error(400, problem)
            if request.path == dash_update_path:
                problem = callback_problem(app.callback_map, body)
                if problem:
                    return client_error(400, problem)
        return None

    @server.after_request
    def tag(response):
        response.headers.setdefault("X-Request-Id", request_id())
        return response

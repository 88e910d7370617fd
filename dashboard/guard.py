"""The request boundary, checked in one place before any work (issue 10).

- A Dash callback request must name a registered callback and send exactly its inputs and state
  (ids and properties); the values are then checked by the callbacks themselves, with the same
  rules as a link (state.py), and answered with the notice the page already knows.
- Bodies above MAX_BODY_BYTES get 413, query strings above MAX_QUERY_BYTES get 414.
- Every request has an id (X-Request-Id, given or made), in the log and in the friendly error page.
- A client error is one log line (what and where); only a server error logs a traceback.
"""
from __future__ import annotations

import logging
import uuid

from flask import Response, g, request

log = logging.getLogger("dashboard.requests")
MAX_BODY_BYTES = 1_000_000
MAX_QUERY_BYTES = 4096


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


def client_error(status: int, message: str) -> Response:
    """A client's mistake: one log line, a one-line answer, no traceback."""
    log.warning("client error %s %s %s: %s [request %s]", status, request.method, request.path, message, request_id())
    return Response(message + "\n", status=status, mimetype="text/plain", headers={"X-Request-Id": request_id()})


def request_id() -> str:
    if "request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if given.isalnum() and len(given) <= 64 else uuid.uuid4().hex[:12]
    return g.request_id


def install(app, dash_update_path: str) -> None:
    """Limits, ids and the callback check, on the Flask app."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @server.before_request
    def check_request():
        request_id()
        if len(request.query_string) > MAX_QUERY_BYTES:
            return client_error(414, f"the query string is longer than {MAX_QUERY_BYTES} bytes")
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return client_error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        if request.method == "POST" and request.path == dash_update_path:
            body = request.get_json(silent=True)
            problem = callback_problem(app.callback_map, body)
            if problem:
                return client_error(400, problem)
        return None

    @server.after_request
    def tag(response):
        response.headers.setdefault("X-Request-Id", request_id())
        return response

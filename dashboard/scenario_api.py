"""The scenarios' HTTP API (layers/scenarios.py stores them; layers/view.py's one parser checks their state).

| request | answer |
|---|---|
| POST /api/scenarios  {name, note?, state: "<query string>"} | 201 {id, url, edit_token, …} |
| GET /api/scenarios/<id> | the scenario, with its view as the controls hold it (`view`) |
| GET /api/scenarios?ids=a,b,c | those scenarios (unknown ids left out) |
| PATCH /api/scenarios/<id>  {name}, header X-Edit-Token | renamed |
| DELETE /api/scenarios/<id>, header X-Edit-Token | 204 |
| GET /api/scenarios/export?ids=a,b | a JSON file for another server |
| POST /api/scenarios/import  (that file) | 201 {scenarios: [{id, url, edit_token, …}]} |
| GET /api/workshop | the shared workshop list (at most 50) |
| POST /api/workshop/key | 201 {key}: the workshop key, once, when none is configured or made yet (else 409) |
| PUT / DELETE /api/workshop/<id>, header X-Workshop-Key | pin / unpin |

Every refusal is a 4xx (503 when the database cannot be used, 507 when the store is full, 429 past
a rate limit: dashboard/limits.py) in the one error shape; the rest of the app does not depend on
the database.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from flask import Response, request

from layers.scenarios import (CONFLICT, FORBIDDEN, FULL, INVALID, MAX_IDS, NOT_FOUND, UNAVAILABLE, Scenario, ScenarioError,
                              export_document, read_document)

from . import guard
from .limits import SCENARIO_LOOKUPS, SCENARIO_WRITES, Limited
from layers.view import SCENARIO_PARAMS, parse_query, scenario_query, skipped_text, to_store


STATUS = {INVALID: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, UNAVAILABLE: 503, FULL: 507}  # each kind of refusal as HTTP


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store", **(headers or {})})


def checked_state(ctx, query) -> str:
    """A scenario's state from a query string, in canonical form; anything the page would skip
    (unknown keys, bad values) refuses the scenario, with the reason."""
    if not isinstance(query, str) or len(query) > 2000:
        raise ScenarioError(INVALID, "state: give the view's query string (at most 2 000 characters)")
    args = parse_qs(query.lstrip("?"), keep_blank_values=True)
    extra = sorted(k for k in args if k not in SCENARIO_PARAMS and k not in ("lang", "mode"))
    if extra:
        raise ScenarioError(INVALID, f"state: unknown key(s) {', '.join(extra)} (known: {', '.join(SCENARIO_PARAMS)})")
    state, skipped = parse_query(args, ctx.options)
    if skipped:
        labels = {i.key: i.key for i in ctx.pkg.manifest.indicators}
        raise ScenarioError(INVALID, "state: " + skipped_text("en", skipped, labels))
    return scenario_query(state)


def view_of(ctx, scenario: Scenario) -> dict:
    """A scenario's view as the page's controls hold it (layers/view.py `to_store`, the fields a
    scenario keeps): presentation mode sets the controls to it, generically."""
    state, _ = parse_query(parse_qs(scenario.state.lstrip("?"), keep_blank_values=True), ctx.options)
    return to_store(state, SCENARIO_PARAMS)


def answer(work, what: str = "scenario"):
    """Run a request's work; a ScenarioError is the client's (or the database's) one-line answer, a
    Limited a 429 with Retry-After (the scenarios' and the rooms' API alike)."""
    try:
        return work()
    except Limited as err:
        return guard.client_error(429, str(err), {"Retry-After": str(err.retry_after)})
    except ScenarioError as err:
        status = STATUS[err.kind]
        if status >= 500:  # the details (which database, why) go to the log, not to whoever asked
            guard.log.error("%s database: %s [request %s]", what, err.message, guard.request_id())
            return guard.error_response(status, err.public or f"the {what} database cannot be used right now", {"Retry-After": "30"})
        return guard.client_error(status, err.message)


def register(app, ctx) -> None:
    server, urls, store = app.server, ctx.urls, ctx.scenarios

    def public(s: Scenario) -> dict:
        return {**s.as_dict(), "url": urls.page(f"?s={s.id}"), "view": view_of(ctx, s)}

    def created(pairs) -> list[dict]:
        return [{**public(s), "edit_token": token} for s, token in pairs]

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ScenarioError(INVALID, "the body is not a JSON object")
        return data

    def ids_param() -> list[str]:
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if len(ids) > MAX_IDS:
            raise ScenarioError(INVALID, f"at most {MAX_IDS} ids at once")
        return ids


    @server.route(urls.route("/api/scenarios"), methods=["GET", "POST"])
    def scenarios_collection():
        def work():
            if request.method == "GET":
                ids = ids_param()
                SCENARIO_LOOKUPS.take(max(1, len(ids)))
                return _json({"scenarios": [public(s) for s in store.get_many(ids)]})
            SCENARIO_WRITES.take()
            data = body()
            unknown = sorted(set(data) - {"name", "note", "state"})
            if unknown:
                raise ScenarioError(INVALID, f"unknown field(s) {', '.join(unknown)} (known: name, note, state)")
            pair = store.create(data.get("name"), data.get("note"), checked_state(ctx, data.get("state")))
            return _json(created([pair])[0], 201)
        return answer(work)

    @server.route(urls.route("/api/scenarios/export"))
    def scenarios_export():
        def work():
            ids = ids_param()
            SCENARIO_LOOKUPS.take(max(1, len(ids)))
            doc = export_document(store.get_many(ids))
            return _json(doc, headers={"Content-Disposition": 'attachment; filename="scenarier.json"'})
        return answer(work)

    @server.route(urls.route("/api/scenarios/import"), methods=["POST"])
    def scenarios_import():
        def work():
            items = read_document(request.get_json(silent=True))
            SCENARIO_WRITES.take(len(items))  # each scenario in the file counts
            rows = []
            for n, item in enumerate(items, start=1):
                try:
                    rows.append((item["name"], item["note"], checked_state(ctx, item["state"])))
                except ScenarioError as err:
                    raise ScenarioError(INVALID, f"scenario {n}: {err.message}") from None
            return _json({"scenarios": created(store.create_many(rows))}, 201)
        return answer(work)

    @server.route(urls.route("/api/scenarios/<sid>"), methods=["GET", "PATCH", "DELETE"])
    def scenario_item(sid: str):
        token = request.headers.get("X-Edit-Token", "")

        def work():
            if request.method == "GET":
                SCENARIO_LOOKUPS.take()
                return _json(public(store.get(sid)))
            SCENARIO_WRITES.take()
            if request.method == "DELETE":
                store.delete(sid, token)
                return Response(status=204)
            data = body()
            if not data or set(data) - {"name", "note"}:
                raise ScenarioError(INVALID, "a scenario's view cannot change: only its name and note can ({\"name\": …, \"note\": …})")
            return _json(public(store.edit(sid, token, name=data.get("name"), note=data.get("note"))))
        return answer(work)

    @server.route(urls.route("/api/workshop"))
    def workshop_list():
        return answer(lambda: _json({"scenarios": [public(s) for s in store.workshop()]}))

    @server.route(urls.route("/api/workshop/key"), methods=["POST"])
    def workshop_key():
        def work():
            SCENARIO_WRITES.take()
            return _json({"key": store.create_workshop_key()}, 201)
        return answer(work)

    @server.route(urls.route("/api/workshop/<sid>"), methods=["PUT", "DELETE"])
    def workshop_pin(sid: str):
        key = request.headers.get("X-Workshop-Key", "")

        def work():
            SCENARIO_WRITES.take()
            (store.pin if request.method == "PUT" else store.unpin)(sid, key)
            return _json({"scenarios": [public(s) for s in store.workshop()]})
        return answer(work)

"""Rooms over HTTP: participants weigh from their phones, the wall shows where they agree
(layers/rooms.py stores, layers/analysis/room.py computes, layers/output/room.py draws).

| request | answer |
|---|---|
| GET /rum?<view> | "Öppna ett rum": the facilitator opens a room for this view |
| POST /api/rooms {state, nicknames?, hidden?, hours?, max_votes?} | 201 {code, key, join, wall, expires} |
| GET /rum/<code> | the phone's page: sliders, Skicka, the participant's own map |
| GET /rum/<code>/vagg | the wall: votes, weights, the agreement map, the ranking, the QR code |
| GET /api/rooms/<code> | the wall's model (figures; hidden votes say only their count) |
| GET /api/rooms/<code>/version?since=N | 204 when nothing is new, else {version} (the wall asks every second) |
| POST /api/rooms/<code>/vote {token, weights, nickname?} | {ok, top: [names], map: "<svg>"} |
| POST /api/rooms/<code>/<reveal/hide/freeze/unfreeze/reset/close>, header X-Room-Key | the room |
| POST /api/rooms/<code>/scenario, header X-Room-Key | 201 the median weighting saved as a scenario |
| GET /api/rooms/<code>/votes.<csv/xlsx>, header X-Room-Key or ?key= | the votes, anonymised |
| GET /api/rooms/<code>/<agreement/weights/qr>.svg | the wall's pictures |

Limits: votes per device (the token's hash) and per room, openings and look-ups per address
(dashboard/limits.py); a room holds at most its max_votes. Refusals are the app's one error shape.
"""
from __future__ import annotations

import json
from dataclasses import replace
from html import escape
from urllib.parse import parse_qs, urlencode

from flask import Response, request

from layers.rooms import RoomStore, check_code
from layers.scenarios import INVALID, ScenarioError, _hash
from layers.output import room as out
from layers.output.texts import DEFAULT_LANGUAGE, TEXTS, label, t, tp
from layers.view import SCENARIO_PARAMS, parse_query, scenario_query

from . import guard
from .limits import RateLimit, per_minute
from .scenario_api import answer as scenario_answer, checked_state

ROOM_OPENS = RateLimit("rooms opened", per_minute("ROOM_OPENS_PER_MINUTE", 10))
ROOM_LOOKUPS = RateLimit("room look-ups", per_minute("ROOM_LOOKUPS_PER_MINUTE", 600), burst=per_minute("ROOM_LOOKUPS_BURST", 300))
DEVICE_VOTES = RateLimit("votes from this device", per_minute("ROOM_DEVICE_VOTES_PER_MINUTE", 20), burst=10)
ROOM_VOTES = RateLimit("votes in this room", per_minute("ROOM_VOTES_PER_MINUTE", 1200), burst=per_minute("ROOM_VOTES_BURST", 600))
SVG = "image/svg+xml"


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json", headers={"Cache-Control": "no-store"})


_lang = guard.request_lang


def register(app, ctx) -> None:
    server, urls = app.server, ctx.urls
    store = RoomStore(ctx.scenarios)
    engine = ctx.engine

    def view_of(room):
        """The room's level and method, from the view it was opened from (the one parser)."""
        state, _ = parse_query(parse_qs(room.state.lstrip("?"), keep_blank_values=True), ctx.options)
        m = state.method
        return state, (state.level, m.normalisation, m.aggregation, m.top_n)

    def answer(work):
        return scenario_answer(work, "room")

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ScenarioError(INVALID, "the body is not a JSON object")
        return data

    def page(title: str, lang: str, kind: str, data: dict, main: str) -> Response:
        """A room page: plain HTML and one script (no Dash: a phone gets a few kilobytes). A package with
        generated values says so on top, as every page and export does."""
        if ctx.pkg.is_generated():
            main = main.replace("<main", f"<p class='notice demo' role='note'>{escape(t(lang, 'demo_label'))}</p><main", 1)
        html_page = (
            f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
            f"<link rel='stylesheet' href='{urls.page('assets/room/room.css')}'></head>"
            f"<body class='room room-{kind}'>{main}"
            f"<script type='application/json' id='room-data'>{script_json(data)}</script>"
            f"<script src='{urls.page('assets/malmo-core.js')}'></script><script src='{urls.page('assets/room/room.js')}'></script>"
            f"</body></html>")
        return Response(html_page, mimetype="text/html", headers={"Cache-Control": "no-store"})

    def product(lang: str) -> str:
        return tp(ctx.pkg, lang, "page_title")

    def texts(lang: str, *keys) -> dict:
        return {k: t(lang, k) for k in keys}

    @server.route(urls.route("/rum"))
    def room_open_page():
        lang = _lang()
        args = {k: v for k, v in parse_qs(request.query_string.decode("utf-8", "replace"), keep_blank_values=True).items()
                if k in SCENARIO_PARAMS}
        state, _ = parse_query(args, ctx.options)
        main = (f"<main><h1>{escape(t(lang, 'room_open_title'))}</h1><p>{escape(t(lang, 'room_open_help'))}</p>"
                f"<form id='room-open'><p><label><input type='checkbox' name='allow_nicknames'> {escape(t(lang, 'room_allow_nicknames'))}</label></p>"
                f"<p><label><input type='checkbox' name='hide_votes'> {escape(t(lang, 'room_start_hidden'))}</label></p>"
                f"<p><button type='submit' class='button big'>{escape(t(lang, 'room_open_button'))}</button></p></form>"
                f"<p id='room-status' role='status'></p></main>")
        return page(f"{t(lang, 'room_open_title')} – {product(lang)}", lang, "open",
                    {"kind": "open", "lang": lang, "api": urls.api("rooms"), "state": scenario_query(state), "base": urls.page()}, main)

    @server.route(urls.route("/rum/<code>"))
    def room_join_page(code):
        lang = _lang()

        def work():
            room = store.get(code)
            m = ctx.pkg.manifest
            sliders = []
            for i in m.indicators:
                explain = t(lang, f"room_explain_{i.key}") if f"room_explain_{i.key}" in TEXTS[DEFAULT_LANGUAGE] else ""  # Malmö's four
                sliders.append(
                    f"<div class='room-weight'><label for='w-{i.key}'>{escape(label(i.labels, lang))}</label>"
                    + (f"<p class='help' id='x-{i.key}'>{escape(explain)}</p>" if explain else "")
                    + f"<input type='range' id='w-{i.key}' name='{i.key}' min='0' max='100' step='1' value='50'"
                    + (f" aria-describedby='x-{i.key} s-{i.key}'" if explain else f" aria-describedby='s-{i.key}'") + ">"
                    + f"<output id='s-{i.key}' for='w-{i.key}' class='room-share'></output></div>")
            nickname = (f"<p><label for='room-nickname'>{escape(t(lang, 'room_nickname'))}</label>"
                        f"<input id='room-nickname' maxlength='40' autocomplete='nickname'></p>") if room.nicknames else ""
            state = (f"<p class='notice' role='status'>{escape(t(lang, 'room_closed' if room.closed else 'room_frozen'))}</p>"
                     if room.closed or room.frozen else "")
            main = (f"<main><h1>{escape(t(lang, 'room_title'))} <span class='room-code'>{escape(t(lang, 'room_code', code=room.code))}</span></h1>"
                    f"{state}<p>{escape(t(lang, 'room_intro'))}</p><form id='room-vote'>{''.join(sliders)}{nickname}"
                    f"<p><button type='submit' class='button big'>{escape(t(lang, 'room_send'))}</button></p></form>"
                    f"<p id='room-status' role='status' aria-live='polite'></p>"
                    f"<section id='room-yours' hidden><h2>{escape(t(lang, 'room_yours', n=view_of(room)[1][3]))}</h2>"
                    f"<div id='room-own-map' class='room-map'></div><ol id='room-own-list'></ol></section></main>")
            data = {"kind": "join", "lang": lang, "code": room.code, "api": urls.api(f"rooms/{room.code}"),
                    "keys": m.indicator_keys, "t": texts(lang, "share", "room_send", "room_sending", "room_sent", "room_failed", "room_gone", "room_closed",
                                  "room_frozen")}
            return page(f"{t(lang, 'room_code', code=room.code)} – {t(lang, 'room_title')} – {product(lang)}", lang, "join", data, main)
        return answer(work)

    @server.route(urls.route("/rum/<code>/vagg"))
    def room_wall_page(code):
        lang = _lang()

        def work():
            room = store.get(code)
            join = request.host_url.rstrip("/") + urls.page(f"rum/{room.code}")
            buttons = "".join(f"<button type='button' class='button' data-action='{a}'>{escape(t(lang, f'room_{a}'))}</button>"
                              for a in ("reveal", "hide", "freeze", "unfreeze", "reset", "close"))
            main = (f"<main class='room-wall'><header class='room-head'><div><h1>{escape(t(lang, 'room_title'))} "
                    f"<span class='room-code'>{escape(room.code)}</span></h1>"
                    f"<p class='room-join'>{escape(t(lang, 'room_join_at', url=join))}</p>"
                    f"<p id='room-count' class='room-count' role='status' aria-live='polite'></p><p id='room-flags' class='notice'></p></div>"
                    f"<img class='room-qr' src='{urls.api(f'rooms/{room.code}/qr.svg')}' alt='{escape(t(lang, 'room_qr', url=join))}'></header>"
                    f"<section class='room-figures'><div><h2>{escape(t(lang, 'room_map_title'))}</h2>"
                    f"<img id='room-map' class='room-map' alt=''><ul id='room-legend' class='room-legend'></ul>"
                    f"<p id='room-summary'></p><p id='room-nicknames' class='room-nicknames'></p></div>"
                    f"<div><h2>{escape(t(lang, 'room_weights_title'))}</h2><img id='room-weights' alt=''><p id='room-median'></p>"
                    f"<h2>{escape(t(lang, 'room_ranking'))}</h2><table id='room-ranking' class='room-table'><thead><tr>"
                    f"<th scope='col'>{escape(t(lang, 'room_col_area'))}</th><th scope='col'>{escape(t(lang, 'room_col_share'))}</th>"
                    f"<th scope='col'>{escape(t(lang, 'room_col_rank'))}</th></tr></thead><tbody></tbody></table></div></section>"
                    f"<section class='room-controls' id='room-controls'><p id='room-key-missing' class='help' hidden>{escape(t(lang, 'room_key_missing'))}</p>"
                    f"<div class='room-buttons'>{buttons}"
                    f"<button type='button' class='button' data-action='scenario'>{escape(t(lang, 'room_save'))}</button>"
                    f"<a class='button' id='room-csv' href='#'>{escape(t(lang, 'room_export_csv'))}</a>"
                    f"<a class='button' id='room-xlsx' href='#'>{escape(t(lang, 'room_export_xlsx'))}</a>"
                    f"<a class='button' id='room-compare' href='#' hidden>{escape(t(lang, 'room_compare'))}</a></div>"
                    f"<p id='room-action-status' role='status'></p></section></main>")
            data = {"kind": "wall", "lang": lang, "code": room.code, "api": urls.api(f"rooms/{room.code}"), "base": urls.page(),
                    "colours": {c: out.AGREEMENT_COLOURS[k] for k, c in enumerate(out.AGREEMENT)},
                    "t": {**texts(lang, "room_hidden", "room_is_frozen", "room_is_closed", "room_reset_confirm", "room_saved"),
                          **{f"room_{c}": t(lang, f"room_{c}", n=view_of(room)[1][3]) for c in out.AGREEMENT}}}
            return page(f"{t(lang, 'room_code', code=room.code)} – {t(lang, 'room_title')} – {product(lang)}", lang, "wall", data, main)
        return answer(work)

    @server.route(urls.route("/api/rooms"), methods=["POST"])
    def rooms_open():
        def work():
            ROOM_OPENS.take()
            data = body()
            unknown = sorted(set(data) - {"state", "nicknames", "hidden", "hours", "max_votes"})
            if unknown:
                raise ScenarioError(INVALID, f"unknown field(s) {', '.join(unknown)} (known: state, nicknames, hidden, hours, max_votes)")
            room, key = store.open(checked_state(ctx, data.get("state", "")), data.get("hours", 12), data.get("max_votes", 500),
                                   bool(data.get("nicknames")), not data.get("hidden"))
            return _json({**room.public(), "key": key, "join": urls.page(f"rum/{room.code}"), "wall": urls.page(f"rum/{room.code}/vagg")}, 201)
        return answer(work)

    def model(code: str, lang: str) -> dict:
        room = store.get(code)
        _, (level, norm, agg, top_n) = view_of(room)
        return out.wall_model(engine, room, store.votes(room.code), lang, level, norm, agg, top_n)

    @server.route(urls.route("/api/rooms/<code>"))
    def room_model(code):
        def work():
            ROOM_LOOKUPS.take()
            return _json(model(code, _lang()))
        return answer(work)

    @server.route(urls.route("/api/rooms/<code>/version"))
    def room_version(code):
        def work():
            ROOM_LOOKUPS.take()
            version = store.version(code)
            if request.args.get("since") == str(version):
                return Response(status=204, headers={"Cache-Control": "no-store"})
            return _json({"version": version})
        return answer(work)

    @server.route(urls.route("/api/rooms/<code>/vote"), methods=["POST"])
    def room_vote(code):
        def work():
            data = body()
            token = data.get("token")
            if not isinstance(token, str) or not 16 <= len(token) <= 200:
                raise ScenarioError(INVALID, "token: the device's token (16–200 characters) is missing")
            DEVICE_VOTES.take(client="device:" + _hash(token))
            ROOM_VOTES.take(client="room:" + check_code(code))
            room = store.vote(code, token, data.get("weights"), engine.keys, data.get("nickname") or "")
            _, (level, norm, agg, top_n) = view_of(room)
            svg, names = out.own_map(engine, {k: float(v) for k, v in data["weights"].items()}, _lang(), level, norm, agg, top_n)
            return _json({"ok": True, "version": room.version, "top": names, "map": svg})
        return answer(work)

    @server.route(urls.route("/api/rooms/<code>/<action>"), methods=["POST"])
    def room_action(code, action):
        key = request.headers.get("X-Room-Key", "")

        def work():
            ROOM_LOOKUPS.take()
            if action == "scenario":
                room = store.check_key(code, key)
                votes = store.votes(room.code)
                state, _ = view_of(room)
                from layers.analysis.room import median_weighting, weightings
                median = median_weighting(weightings([v.weights for v in votes], engine.keys), engine.keys)
                positions = {k: round(100 * v / max(median.values()), 1) for k, v in median.items()}  # the largest at 100
                query = scenario_query(replace(state, weights=positions))
                lang = _lang()
                scenario, token = ctx.scenarios.create(t(lang, "room_scenario_name", code=room.code),
                                                       t(lang, "room_scenario_note", n=len(votes), code=room.code), query)
                equal = scenario_query(replace(state, weights={k: 50.0 for k in engine.keys})).lstrip("?")
                compare = urls.compare("?" + urlencode({"a": equal, "b": scenario.id, "lang": lang}))
                return _json({**scenario.as_dict(), "url": urls.page(f"?s={scenario.id}"), "edit_token": token, "compare": compare}, 201)
            return _json(store.switch(code, key, action).public())
        return answer(work)

    @server.route(urls.route("/api/rooms/<code>/votes.<fmt>"))
    def room_votes(code, fmt):
        key = request.headers.get("X-Room-Key") or request.args.get("key", "")

        def work():
            if fmt not in out.VOTE_FORMATS:
                raise ScenarioError(INVALID, f"no format {fmt[:10]!r} (csv, xlsx)")
            room = store.check_key(code, key)
            lang = _lang()
            votes = store.votes(room.code)
            header = [*([t(lang, "demo_label")] if ctx.pkg.is_generated() else []),
                      t(lang, "room_code", code=room.code) + " · " + t(lang, "room_votes", n=len(votes)), product(lang)]
            content_type, render = out.VOTE_FORMATS[fmt]
            return Response(render(out.votes_frame(engine, votes, lang), header, lang), mimetype=content_type,
                            headers={"Content-Disposition": f'attachment; filename="rum-{room.code}-roster.{fmt}"', "Cache-Control": "no-store"})
        return answer(work)

    @server.route(urls.route("/api/rooms/<code>/<picture>.svg"))
    def room_picture(code, picture):
        def work():
            ROOM_LOOKUPS.take()
            lang = _lang()
            room = store.get(code)
            _, (level, norm, agg, top_n) = view_of(room)
            if picture == "qr":
                import io
                import segno
                buffer = io.BytesIO()
                segno.make(request.host_url.rstrip("/") + urls.page(f"rum/{room.code}"), error="m").save(
                    buffer, kind="svg", scale=8, border=2, title=t(lang, "room_code", code=room.code))
                return Response(buffer.getvalue(), mimetype=SVG, headers={"Cache-Control": "no-store"})
            votes = store.votes(room.code) if room.revealed else []
            if picture == "agreement":
                svg = out.agreement_svg(engine, votes, lang, level, norm, agg, top_n)
            elif picture == "weights":
                svg = out.weights_svg(engine, votes, lang)  # the spread only: no agreement computed for it
            else:
                raise ScenarioError("not_found", f"no picture {picture[:20]!r} (agreement, weights, qr)")
            return Response(svg, mimetype=SVG, headers={"Cache-Control": "no-store"})
        return answer(work)


def script_json(data) -> str:
    """JSON for a <script type="application/json">: read as raw text, so not HTML-escaped; '<', '>'
    and '&' written as JSON escapes, so no text from data can close the element."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


"""Rooms: a workshop's participants set weights on their phones; the wall shows where they agree.

A room lives in the scenario database (layers/scenarios.py, tables `rooms` and `votes`; SQLite by
default, PostgreSQL when configured), so with several instances a vote sent to one is seen by a wall
served by another. A room has a short code read aloud (`K7Q4`), a facilitator key (shown once; only
its hash is kept), an expiry (default 12 h) and switches only the key can turn: votes hidden or
revealed, frozen, reset (every vote deleted), closed. One vote per device: the device's token (made
by its browser) is kept as a hash; sending again replaces the vote. At most `max_votes` (default 500)
devices vote in a room. A vote's time is kept to the minute. Every change raises the room's
`version`, which a wall asks for to learn cheaply that nothing is new.

What the wall shows is computed from the stored votes by layers/analysis/room.py.
"""
from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from layers.scenarios import (CONFLICT, FORBIDDEN, FULL, INVALID, NOT_FOUND, UNAVAILABLE, ScenarioError, ScenarioStore, _hash, check_name,
                              rooms, votes)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on a phone
CODE_LENGTH = 4
DEFAULT_HOURS = 12
MAX_HOURS = 72
DEFAULT_MAX_VOTES = 500
MAX_MAX_VOTES = 5000
MAX_ROOMS = 1000  # open rooms in the store; expired ones are deleted on the next opening
SWITCHES = {"reveal": ("revealed", 1), "hide": ("revealed", 0), "freeze": ("frozen", 1), "unfreeze": ("frozen", 0), "close": ("closed", 1)}


@dataclass(frozen=True)
class Room:
    code: str
    state: str
    created: str
    expires: str
    max_votes: int
    nicknames: bool
    revealed: bool
    frozen: bool
    closed: bool
    version: int

    def public(self) -> dict:
        return {"code": self.code, "expires": self.expires, "max_votes": self.max_votes, "nicknames": self.nicknames,
                "revealed": self.revealed, "frozen": self.frozen, "closed": self.closed, "version": self.version}


@dataclass(frozen=True)
class Vote:
    weights: dict[str, float]
    nickname: str
    minute: str


def check_code(code) -> str:
    if not isinstance(code, str) or len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code.upper()):
        raise ScenarioError(NOT_FOUND, f"no room {str(code)[:10]!r}")
    return code.upper()


def check_weights(weights, keys: list[str]) -> dict[str, float]:
    """A vote: slider positions 0–100 for exactly the package's indicators, not all 0."""
    if not isinstance(weights, dict) or set(weights) != set(keys):
        raise ScenarioError(INVALID, f"weights: give a number 0–100 for each of {', '.join(keys)}")
    out = {}
    for key in keys:
        value = weights[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise ScenarioError(INVALID, f"weights: {key} must be a number 0–100, got {str(value)[:20]!r}")
        out[key] = round(float(value), 1)
    if not any(out.values()):
        raise ScenarioError(INVALID, "weights: at least one above 0")
    return out


def _now() -> datetime:
    return datetime.now(timezone.utc)


class RoomStore:
    """Rooms in the scenario store's database (its engine, transactions and errors)."""

    def __init__(self, store: ScenarioStore, clock=None):
        self.store = store
        self.now = clock or _now  # the time rooms expire by (a test moves it on)

    def _row(self, conn, code: str) -> Room:
        row = conn.execute(select(rooms).where(rooms.c.code == code)).first()
        if row is None or row.expires < self.now().isoformat(timespec="seconds"):
            raise ScenarioError(NOT_FOUND, f"no room {code} (it may have expired)")
        return Room(row.code, row.state, row.created, row.expires, row.max_votes, bool(row.nicknames), bool(row.revealed),
                    bool(row.frozen), bool(row.closed), row.version)

    def open(self, state: str, hours: float = DEFAULT_HOURS, max_votes: int = DEFAULT_MAX_VOTES, nicknames: bool = False,
             revealed: bool = True) -> tuple[Room, str]:
        """A new room and its facilitator key (shown once)."""
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= MAX_HOURS:
            raise ScenarioError(INVALID, f"hours: a room lasts more than 0 and at most {MAX_HOURS} hours")
        if isinstance(max_votes, bool) or not isinstance(max_votes, int) or not 1 <= max_votes <= MAX_MAX_VOTES:
            raise ScenarioError(INVALID, f"max_votes: a whole number 1–{MAX_MAX_VOTES}")
        now = self.now()
        key = secrets.token_urlsafe(24)
        created, expires = now.isoformat(timespec="seconds"), (now + timedelta(hours=hours)).isoformat(timespec="seconds")

        def work(conn):
            conn.execute(delete(rooms).where(rooms.c.expires < created))
            if (conn.execute(select(func.count()).select_from(rooms)).scalar() or 0) >= MAX_ROOMS:
                raise ScenarioError(FULL, f"{MAX_ROOMS} rooms are open; try again when some have expired")
            for _ in range(20):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                try:
                    with conn.begin_nested():
                        conn.execute(insert(rooms).values(code=code, key_sha256=_hash(key), state=state, created=created, expires=expires,
                                                          max_votes=max_votes, nicknames=int(bool(nicknames)), revealed=int(bool(revealed)),
                                                          frozen=0, closed=0, version=0))
                    return code
                except IntegrityError:
                    continue
            raise ScenarioError(UNAVAILABLE, "could not find a free room code")
        code = self.store._run(work)
        return Room(code, state, created, expires, max_votes, bool(nicknames), bool(revealed), False, False, 0), key

    def get(self, code) -> Room:
        code = check_code(code)
        return self.store._run(lambda conn: self._row(conn, code), write=False)

    def version(self, code) -> int:
        """The room's version alone (the wall's cheap question)."""
        code = check_code(code)
        now = self.now().isoformat(timespec="seconds")

        def work(conn):
            row = conn.execute(select(rooms.c.version, rooms.c.expires).where(rooms.c.code == code)).first()
            if row is None or row.expires < now:
                raise ScenarioError(NOT_FOUND, f"no room {code} (it may have expired)")
            return row.version
        return self.store._run(work, write=False)

    def vote(self, code, device_token, weights, keys: list[str], nickname: str = "") -> Room:
        """Store or replace this device's vote; the room's version rises."""
        code = check_code(code)
        if not isinstance(device_token, str) or not 16 <= len(device_token) <= 200:
            raise ScenarioError(INVALID, "token: the device's token (16–200 characters) is missing")
        weights = check_weights(weights, keys)
        nickname = check_name(nickname) if isinstance(nickname, str) and nickname.strip() else ""
        device = _hash(device_token)
        minute = self.now().strftime("%Y-%m-%dT%H:%MZ")

        def work(conn):
            # the first statement writes: the transaction holds the write lock from its start (SQLite) or the
            # room's row (PostgreSQL), so concurrent votes queue instead of failing to upgrade a read
            now = self.now().isoformat(timespec="seconds")
            bumped = conn.execute(update(rooms).where((rooms.c.code == code) & (rooms.c.expires >= now) & (rooms.c.closed == 0)
                                                      & (rooms.c.frozen == 0)).values(version=rooms.c.version + 1)).rowcount
            room = self._row(conn, code)
            if not bumped and room.closed:
                raise ScenarioError(CONFLICT, f"room {code} is closed")
            if not bumped:
                raise ScenarioError(CONFLICT, f"room {code} is frozen: the facilitator has stopped the voting for now")
            kept = nickname if room.nicknames else ""
            changed = conn.execute(update(votes).where((votes.c.room == code) & (votes.c.device_sha256 == device))
                                   .values(weights=json.dumps(weights), nickname=kept, minute=minute)).rowcount
            if not changed:
                count = conn.execute(select(func.count()).select_from(votes).where(votes.c.room == code)).scalar() or 0
                if count >= room.max_votes:
                    raise ScenarioError(FULL, f"room {code} holds its {room.max_votes} votes")
                conn.execute(insert(votes).values(room=code, device_sha256=device, weights=json.dumps(weights), nickname=kept, minute=minute))
            return room
        return self.store._run(work)

    def votes(self, code) -> list[Vote]:
        code = check_code(code)

        def work(conn):
            self._row(conn, code)
            rows = conn.execute(select(votes.c.weights, votes.c.nickname, votes.c.minute).where(votes.c.room == code)
                                .order_by(votes.c.minute, votes.c.device_sha256)).all()
            return [Vote(json.loads(r.weights), r.nickname, r.minute) for r in rows]
        return self.store._run(work, write=False)

    def _authorised(self, conn, code: str, key) -> Room:
        room = self._row(conn, code)
        stored = conn.execute(select(rooms.c.key_sha256).where(rooms.c.code == code)).scalar()
        if not isinstance(key, str) or not key or not hmac.compare_digest(stored, _hash(key)):
            raise ScenarioError(FORBIDDEN, "only the facilitator's key can do this (header X-Room-Key)")
        return room

    def check_key(self, code, key) -> Room:
        code = check_code(code)
        return self.store._run(lambda conn: self._authorised(conn, code, key), write=False)

    def switch(self, code, key, action: str) -> Room:
        """reveal, hide, freeze, unfreeze, close (SWITCHES) or reset (every vote deleted)."""
        code = check_code(code)
        if action not in SWITCHES and action != "reset":
            raise ScenarioError(NOT_FOUND, f"no action {action[:20]!r} (known: {', '.join([*SWITCHES, 'reset'])})")

        def work(conn):
            values = {} if action == "reset" else dict([SWITCHES[action]])
            bumped = conn.execute(update(rooms).where((rooms.c.code == code) & (rooms.c.key_sha256 == _hash(key if isinstance(key, str) else "")))
                                  .values(version=rooms.c.version + 1, **values)).rowcount  # a write first, as in vote()
            room = self._row(conn, code)
            if not bumped or not key:
                raise ScenarioError(FORBIDDEN, "only the facilitator's key can do this (header X-Room-Key)")
            if action == "reset":
                conn.execute(delete(votes).where(votes.c.room == code))
            return room
        return self.store._run(work)

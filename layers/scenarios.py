"""Saved scenarios: named view states, which never change, in a SQL database, through SQLAlchemy.

SQLite by default (one file, `SCENARIO_DB`); any SQLAlchemy URL (e.g. PostgreSQL) works the same.
A scenario is a name (1–80 characters), an optional note, the state as a query string (checked by
the caller, which owns the state's rules) and its creation time (UTC, set here). It has a short id
and an edit token; only the token's SHA-256 is stored, and it is needed to rename or delete it.

The shared workshop list is the facilitator's: pinning and unpinning need the *workshop key*, either
configured (WORKSHOP_KEY) or created once by the first facilitator (only its hash is stored; while
a key exists, no other can be created). The list holds at most WORKSHOP_MAX scenarios.

Limits: at most `quota` scenarios in the store (then 507); scenarios not on the workshop list are
deleted `retention_days` after they were made (checked at most hourly, on a write).

The schema is versioned: `MIGRATIONS[n]` takes version n to n+1, in one transaction.

Problems are `ScenarioError`s of a kind: invalid input, a forbidden edit (wrong token), an unknown
id (not_found), a conflict, the store full, or unavailable (the database cannot be used; the message
says which file or URL and why). The web layer maps the kinds to HTTP. The rest of the app keeps
working when the database does not: nothing is opened until the first use.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (Column, ForeignKey, Integer, MetaData, String, Table, Text, create_engine, delete, event,
                        func, insert, select, update)
from sqlalchemy.engine import Engine as SqlEngine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

NAME_MAX = 80
NOTE_MAX = 2000
ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud in a workshop
ID_LENGTH = 8
MAX_IDS = 20  # scenarios asked for at once (ids are 40 bits: with look-ups rate-limited, guessing is not practical)
MAX_IMPORT = 100  # scenarios in one imported file
WORKSHOP_MAX = 50  # scenarios on the shared workshop list
DEFAULT_QUOTA = 10_000  # scenarios in the store
DEFAULT_RETENTION_DAYS = 365  # a scenario not on the workshop list is deleted this long after it was made
EXPORT_FORMAT = "malmo-scenarios"

metadata = MetaData()
schema_info = Table("schema_info", metadata, Column("version", Integer, nullable=False))
scenarios = Table(
    "scenarios", metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(NAME_MAX), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("state", Text, nullable=False),
    Column("token_sha256", String(64), nullable=False),
    Column("created", String(32), nullable=False),  # ISO 8601, UTC: the same text in SQLite and PostgreSQL
)
workshop = Table(
    "workshop", metadata,
    Column("scenario_id", String(16), ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
)


settings = Table(
    "settings", metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)


def _v0_to_v1(conn) -> None:
    metadata.create_all(conn, tables=[scenarios, workshop])


def _v1_to_v2(conn) -> None:
    """The workshop key's hash (and any later setting of the store)."""
    metadata.create_all(conn, tables=[settings])


# A room (layers/rooms.py): a short code, the facilitator key's hash, its expiry, its switches and a
# version that every vote and switch raises (a wall asks for it cheaply); one vote per device.
rooms = Table(
    "rooms", metadata,
    Column("code", String(8), primary_key=True),
    Column("key_sha256", String(64), nullable=False),
    Column("state", Text, nullable=False),  # the view the room was opened from (level, method), a query string
    Column("created", String(32), nullable=False),
    Column("expires", String(32), nullable=False),
    Column("max_votes", Integer, nullable=False),
    Column("nicknames", Integer, nullable=False, default=0),
    Column("revealed", Integer, nullable=False, default=1),
    Column("frozen", Integer, nullable=False, default=0),
    Column("closed", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=0),
)
votes = Table(
    "votes", metadata,
    Column("room", String(8), ForeignKey("rooms.code", ondelete="CASCADE"), primary_key=True),
    Column("device_sha256", String(64), primary_key=True),
    Column("weights", Text, nullable=False),  # JSON: slider positions 0–100 per indicator
    Column("nickname", String(NAME_MAX), nullable=False, default=""),
    Column("minute", String(20), nullable=False),  # the time of the vote, to the minute (UTC): "2026-12-02T09:41Z"
)


def _v2_to_v3(conn) -> None:
    """Rooms and their votes."""
    metadata.create_all(conn, tables=[rooms, votes])


MIGRATIONS = [_v0_to_v1, _v1_to_v2, _v2_to_v3]
SCHEMA_VERSION = len(MIGRATIONS)


# What kind of refusal a ScenarioError is; the web layer says which HTTP status each kind is
# (dashboard/scenario_api.py STATUS): the store knows nothing of HTTP.
INVALID, FORBIDDEN, NOT_FOUND, CONFLICT, UNAVAILABLE, FULL = "invalid", "forbidden", "not_found", "conflict", "unavailable", "full"
KINDS = (INVALID, FORBIDDEN, NOT_FOUND, CONFLICT, UNAVAILABLE, FULL)


class ScenarioError(Exception):
    """`kind` is one of KINDS; `message` says what is wrong (for the log, and for the client unless
    the store is unavailable); `public`, when given, is what a client may be told when it is (the
    database's name and path are not)."""

    def __init__(self, kind: str, message: str, public: str | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown kind of scenario error {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.public = public


READ_ONLY = "saving is off for now: the scenario database can only be read (saved scenarios still open)"


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    note: str
    state: str  # query string, starting with "?"
    created: str

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "note": self.note, "state": self.state, "created": self.created}


# Characters no name or note may hold: controls (Cc: NUL, escapes), format characters (Cf: the bidi
# overrides U+202E and isolates that make a name read backwards, zero-width joiners), line and
# paragraph separators (Zl, Zp) and lone surrogates (Cs), which no database stores as text.
REFUSED_CATEGORIES = {"Cc": "a control character", "Cf": "an invisible formatting or direction character",
                      "Zl": "a line separator", "Zp": "a paragraph separator", "Cs": "a lone surrogate"}


def check_text(value: str, field: str, allow: str = "") -> str:
    """`value` unless it holds a refused character (REFUSED_CATEGORIES; `allow` lists exceptions)."""
    for position, char in enumerate(value, start=1):
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES and char not in allow:
            raise ScenarioError(INVALID, f"{field}: character {position} is {REFUSED_CATEGORIES[category]} (U+{ord(char):04X}), which is not allowed")
    return value


def check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(INVALID, "name: give 1–80 characters")
    if len(name) > NAME_MAX:
        raise ScenarioError(INVALID, f"name: at most {NAME_MAX} characters, got {len(name)}")
    return check_text(name, "name")


def check_note(note) -> str:
    """A note: text of at most NOTE_MAX characters; line breaks are its only control characters."""
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ScenarioError(INVALID, "note: must be text")
    if len(note) > NOTE_MAX:
        raise ScenarioError(INVALID, f"note: at most {NOTE_MAX} characters, got {len(note)}")
    return check_text(note, "note", allow="\n")


def check_id(scenario_id) -> str:
    if not isinstance(scenario_id, str) or not 1 <= len(scenario_id) <= 16 or not scenario_id.isalnum():
        raise ScenarioError(NOT_FOUND, f"no scenario {str(scenario_id)[:20]!r}")
    return scenario_id


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def database_url(setting: str | None, default: Path) -> str:
    """SCENARIO_DB as a SQLAlchemy URL: a URL as given (postgresql+psycopg://…), a path → sqlite:///path."""
    if setting and "://" in setting:
        return setting
    return f"sqlite:///{Path(setting or default).expanduser().resolve()}"


class ScenarioStore:
    """Scenarios in one database. Thread-safe; opened (and migrated) at first use."""

    def __init__(self, url: str, workshop_key: str | None = None, quota: int = DEFAULT_QUOTA,
                 retention_days: int = DEFAULT_RETENTION_DAYS):
        self.url = url
        self.configured_key = workshop_key or None  # WORKSHOP_KEY: then no key can be created through the API
        self.quota, self.retention_days = quota, retention_days
        self._engine: SqlEngine | None = None
        self._lock = threading.Lock()
        self._purged = 0.0
        self.read_only: str | None = None  # why writes are refused, when the database could be opened only for reading

    @property
    def where(self) -> str:
        """The database as named in messages (no password)."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _db(self) -> SqlEngine:
        if self._engine is not None:
            return self._engine
        with self._lock:
            if self._engine is None:
                try:
                    engine = self._open()
                    self._migrate(engine)
                except SQLAlchemyError as err:
                    engine = self._open_read_only(err)
                    if engine is None:
                        raise ScenarioError(UNAVAILABLE, f"the scenario database {self.where} cannot be used: {_reason(err)}") from None
                except OSError as err:
                    raise ScenarioError(UNAVAILABLE, f"the scenario database {self.where} cannot be used: {err.strerror or err}") from None
                self._engine = engine
        return self._engine

    def _open_read_only(self, err: SQLAlchemyError) -> SqlEngine | None:
        """After a restart on a database that cannot be written (a read-only file or volume): open it
        for reading, so saved scenarios still open (`?s=`), and refuse writes in words. None when
        reading does not work either, or the failure was not about writing."""
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or "readonly" not in _reason(err).replace("-", "").lower() or not url.database:
            return None
        path = url.database.removeprefix("file:").split("?", 1)[0]
        engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        try:
            with engine.connect() as conn:
                version = conn.execute(select(func.max(schema_info.c.version))).scalar() or 0
                conn.execute(select(func.count()).select_from(scenarios)).scalar()
        except SQLAlchemyError:
            return None
        if version > SCHEMA_VERSION:
            return None
        self.read_only = f"the scenario database {self.where} is read-only ({_reason(err)})"
        return engine

    def _open(self) -> SqlEngine:
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite":
            return create_engine(self.url, pool_pre_ping=True)
        if url.database and not url.database.startswith("file:"):  # a "file:…?mode=ro" URI names its own file
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(self.url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine

    @staticmethod
    def _migrate(engine: SqlEngine, attempts: int = 10) -> None:
        """Bring the schema to SCHEMA_VERSION. Several processes may open a new database at once
        (gunicorn's workers): a step that fails because another process just did it is tried again
        after a moment, and then finds the work done."""
        for attempt in range(attempts):
            try:
                ScenarioStore._migrate_once(engine)
                return
            except SQLAlchemyError as err:
                if attempt == attempts - 1 or not _a_race(err):  # a corrupt or read-only file is said at once
                    raise
                time.sleep(0.1 * (attempt + 1))

    @staticmethod
    def _migrate_once(engine: SqlEngine) -> None:
        with engine.begin() as conn:
            metadata.create_all(conn, tables=[schema_info])
            version = conn.execute(select(func.max(schema_info.c.version))).scalar() or 0
            if version > SCHEMA_VERSION:
                raise ScenarioError(UNAVAILABLE, f"the scenario database has schema version {version}; this app knows up to {SCHEMA_VERSION}")
            for step in MIGRATIONS[version:]:
                step(conn)
            if version < SCHEMA_VERSION:
                conn.execute(delete(schema_info))
                conn.execute(insert(schema_info).values(version=SCHEMA_VERSION))

    def _run(self, work, write: bool = True):
        """Run `work(conn)` in one transaction; database failures become a 503 with the reason."""
        engine = self._db()
        if write and self.read_only:
            raise ScenarioError(UNAVAILABLE, self.read_only, public=READ_ONLY)
        try:
            with engine.begin() as conn:
                return work(conn)
        except ScenarioError:
            raise
        except SQLAlchemyError as err:
            if "readonly" in _reason(err).replace("-", "").lower():  # the file or volume turned read-only while running
                self.read_only = f"the scenario database {self.where} is read-only ({_reason(err)})"
                raise ScenarioError(UNAVAILABLE, self.read_only, public=READ_ONLY) from None
            raise ScenarioError(UNAVAILABLE, f"the scenario database {self.where} cannot be used: {_reason(err)}") from None

    def health(self) -> str | None:
        """None when the database answers and can be written, else why not."""
        try:
            self._run(lambda conn: conn.execute(select(func.count()).select_from(scenarios)).scalar(), write=False)
            return self.read_only
        except ScenarioError as err:
            return err.message

    # --- the life cycle -------------------------------------------------------------------------

    def create(self, name, note, state: str) -> tuple[Scenario, str]:
        """A new scenario and its edit token (shown once; only its hash is kept)."""
        items = self.create_many([(name, note, state)])
        return items[0]

    def create_many(self, items: list[tuple]) -> list[tuple[Scenario, str]]:
        """Several new scenarios (name, note, state) in one transaction: all or none. The server sets
        the creation time: an imported file's own dates are not taken (they could claim any past)."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        rows = [Scenario("", check_name(name), check_note(note), state, now) for name, note, state in items]
        self.purge_expired()

        def work(conn):
            stored = conn.execute(select(func.count()).select_from(scenarios)).scalar() or 0
            if stored + len(rows) > self.quota:
                raise ScenarioError(FULL, f"the scenario store is full ({self.quota} scenarios); old ones are deleted after "
                                         f"{self.retention_days} days")
            out = []
            for row in rows:
                token = secrets.token_urlsafe(24)
                for _ in range(10):  # ids are random: retry on the rare collision
                    sid = "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
                    try:
                        with conn.begin_nested():
                            conn.execute(insert(scenarios).values(id=sid, name=row.name, note=row.note, state=row.state,
                                                                  token_sha256=_hash(token), created=row.created))
                        break
                    except IntegrityError:
                        continue
                else:
                    raise ScenarioError(UNAVAILABLE, "could not find a free scenario id")
                out.append((Scenario(sid, row.name, row.note, row.state, row.created), token))
            return out
        return self._run(work)

    def get(self, scenario_id) -> Scenario:
        found = self.get_many([scenario_id])
        if not found:
            raise ScenarioError(NOT_FOUND, f"no scenario {scenario_id!r}")
        return found[0]

    def get_many(self, ids: list[str]) -> list[Scenario]:
        """The scenarios with these ids, in the order asked for; unknown ids are left out."""
        if len(ids) > MAX_IDS:
            raise ScenarioError(INVALID, f"at most {MAX_IDS} ids at once")
        wanted = []
        for sid in ids:
            try:
                wanted.append(check_id(sid))
            except ScenarioError:
                continue
        if not wanted:
            return []
        rows = self._run(lambda conn: conn.execute(select(scenarios).where(scenarios.c.id.in_(wanted))).mappings().all(), write=False)
        by_id = {r["id"]: Scenario(r["id"], r["name"], r["note"], r["state"], r["created"]) for r in rows}
        return [by_id[s] for s in dict.fromkeys(wanted) if s in by_id]

    def _authorised(self, conn, scenario_id, token) -> None:
        check_id(scenario_id)
        row = conn.execute(select(scenarios.c.token_sha256).where(scenarios.c.id == scenario_id)).first()
        if row is None:
            raise ScenarioError(NOT_FOUND, f"no scenario {scenario_id!r}")
        if not isinstance(token, str) or not token or not hmac.compare_digest(row[0], _hash(token)):
            raise ScenarioError(FORBIDDEN, "this needs the scenario's edit token (header X-Edit-Token)")

    def edit(self, scenario_id, token, name=None, note=None) -> Scenario:
        """A new name and/or note for a scenario, by its creator (the edit token). Its state never changes."""
        values = {}
        if name is not None:
            values["name"] = check_name(name)
        if note is not None:
            values["note"] = check_note(note)
        if not values:
            raise ScenarioError(INVALID, "nothing to change: give a name, a note or both")

        def work(conn):
            self._authorised(conn, scenario_id, token)
            conn.execute(update(scenarios).where(scenarios.c.id == scenario_id).values(**values))
        self._run(work)
        return self.get(scenario_id)

    def delete(self, scenario_id, token) -> None:
        def work(conn):
            self._authorised(conn, scenario_id, token)
            conn.execute(delete(workshop).where(workshop.c.scenario_id == scenario_id))
            conn.execute(delete(scenarios).where(scenarios.c.id == scenario_id))
        self._run(work)

    # --- the workshop list: shared, pinned by the facilitator (the workshop key) --------------------

    def workshop(self) -> list[Scenario]:
        def work(conn):
            query = (select(scenarios).join(workshop, workshop.c.scenario_id == scenarios.c.id)
                     .order_by(workshop.c.position, scenarios.c.id))
            return conn.execute(query).mappings().all()
        return [Scenario(r["id"], r["name"], r["note"], r["state"], r["created"]) for r in self._run(work, write=False)]

    def create_workshop_key(self) -> str:
        """A new workshop key (shown once) when there is none yet; 409 when one is configured or exists."""
        if self.configured_key:
            raise ScenarioError(CONFLICT, "the workshop key is configured on this server: ask whoever runs it")
        key = secrets.token_urlsafe(12)

        def work(conn):
            if conn.execute(select(settings).where(settings.c.name == "workshop_key_sha256")).first():
                raise ScenarioError(CONFLICT, "this workshop already has a key: ask the facilitator for it")
            conn.execute(insert(settings).values(name="workshop_key_sha256", value=_hash(key)))
        self._run(work)
        return key

    def _workshop_authorised(self, conn, key) -> None:
        if not isinstance(key, str) or not key:
            raise ScenarioError(FORBIDDEN, "the workshop list needs the workshop key (header X-Workshop-Key)")
        if self.configured_key:
            expected = _hash(self.configured_key)
        else:
            row = conn.execute(select(settings.c.value).where(settings.c.name == "workshop_key_sha256")).first()
            if row is None:
                raise ScenarioError(FORBIDDEN, "this workshop has no key yet: create one first (POST /api/workshop/key)")
            expected = row[0]
        if not hmac.compare_digest(expected, _hash(key)):
            raise ScenarioError(FORBIDDEN, "wrong workshop key")

    def pin(self, scenario_id, key) -> None:
        def work(conn):
            self._workshop_authorised(conn, key)
            check_id(scenario_id)
            if conn.execute(select(scenarios.c.id).where(scenarios.c.id == scenario_id)).first() is None:
                raise ScenarioError(NOT_FOUND, f"no scenario {scenario_id!r}")
            if conn.execute(select(workshop).where(workshop.c.scenario_id == scenario_id)).first():
                return
            if (conn.execute(select(func.count()).select_from(workshop)).scalar() or 0) >= WORKSHOP_MAX:
                raise ScenarioError(CONFLICT, f"the workshop list is full ({WORKSHOP_MAX} scenarios): unpin one first")
            last = conn.execute(select(func.max(workshop.c.position))).scalar()
            conn.execute(insert(workshop).values(scenario_id=scenario_id, position=(last or 0) + 1))
        self._run(work)

    def unpin(self, scenario_id, key) -> None:
        def work(conn):
            self._workshop_authorised(conn, key)
            conn.execute(delete(workshop).where(workshop.c.scenario_id == check_id(scenario_id)))
        self._run(work)

    def purge_expired(self, force: bool = False) -> int:
        """Delete scenarios older than the retention that are not on the workshop list (at most hourly)."""
        if not force and time.monotonic() - self._purged < 3600:
            return 0
        self._purged = time.monotonic()
        cutoff = (datetime.now(timezone.utc) - timedelta(days=self.retention_days)).isoformat(timespec="seconds")

        def work(conn):
            pinned = select(workshop.c.scenario_id)
            return conn.execute(delete(scenarios).where(scenarios.c.created < cutoff, scenarios.c.id.not_in(pinned))).rowcount
        return self._run(work) or 0


def export_document(items: list[Scenario]) -> dict:
    """A set of scenarios as a file another server can import (ids and tokens are not carried)."""
    return {"format": EXPORT_FORMAT, "version": 1,
            "scenarios": [{"name": s.name, "note": s.note, "state": s.state, "created": s.created} for s in items]}


def read_document(doc) -> list[dict]:
    """The scenarios of an exported file, each checked; a problem names the scenario's position."""
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT or not isinstance(doc.get("scenarios"), list):
        raise ScenarioError(INVALID, f"not a scenario file (expected {{\"format\": \"{EXPORT_FORMAT}\", \"scenarios\": […]}})")
    if len(doc["scenarios"]) > MAX_IMPORT:
        raise ScenarioError(INVALID, f"at most {MAX_IMPORT} scenarios in one file")
    out = []
    for n, item in enumerate(doc["scenarios"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("state"), str):
            raise ScenarioError(INVALID, f"scenario {n}: needs a name and a state")
        try:
            out.append({"name": check_name(item.get("name")), "note": check_note(item.get("note")), "state": item["state"]})
        except ScenarioError as err:
            raise ScenarioError(INVALID, f"scenario {n}: {err.message}") from None
    return out


def _a_race(err: SQLAlchemyError) -> bool:
    """Whether a migration step failed because another process did it at the same moment."""
    text = str(getattr(err, "orig", None) or err).lower()
    return isinstance(err, IntegrityError) or any(w in text for w in ("already exists", "locked", "duplicate", "unique", "serializ"))


def _reason(err: SQLAlchemyError) -> str:
    """The driver's own one-line reason ('file is not a database', 'attempt to write a readonly database')."""
    original = getattr(err, "orig", None)
    return str(original or err).splitlines()[0]

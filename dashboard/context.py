"""What the app holds for one data package (engine, view models, state options, served geometry),
and how a running server switches to a newly published package version, safely.

`MALMO_PACKAGE` may be a symlink to a version folder (`current -> v2024-11`). The app looks at
where it points at most every `RELOAD_CHECK_S` seconds (on a request; no thread of its own). When
it points somewhere new, a background thread loads and validates that version. Only a version that
loads whole and has the same levels, indicators and kinds of places (the page's controls are built
for them) replaces the old one, in one step: the app swaps one reference, and each request keeps
the version it started with. A version that does not load leaves the old one serving; the problem
is logged and shown on /healthz until a good version is published.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import g, has_request_context

from layers.data.package import DataPackage
from layers.index.engine import Engine
from layers.errors import PackageError, Problem
from layers.scenarios import ScenarioError, ScenarioStore, database_url
from layers.release import Release
from layers.output.viewmodel import ViewModels

from layers.view import Options
from .urls import Urls

log = logging.getLogger(__name__)
DEFAULT_PACKAGE = Path(__file__).resolve().parents[1] / "data" / "malmo"
DEFAULT_SCENARIO_DB = Path(__file__).resolve().parents[1] / "data" / "scenarios.sqlite3"
CANVAS_ABOVE = 1500  # features on one level; SVG gets slow beyond this
RELOAD_CHECK_S = float(os.environ.get("RELOAD_CHECK_S", "2"))


@dataclass
class PackageVersion:
    """Everything derived from one package version; replaced as a whole."""

    pkg: DataPackage
    engine: Engine
    views: ViewModels
    options: Options
    geometry: dict[str, bytes]  # level id → GeoJSON as served
    version: str  # a digest of the package's files: in cache keys, so versions never share an entry
    target: str  # the folder it was loaded from (a symlink resolved)
    loaded: str  # ISO time

    @classmethod
    def load(cls, path: Path) -> "PackageVersion":
        target = Path(os.path.realpath(path))
        release = Release.load(target, warm=True)  # layers/release.py: the same the command line loads
        pkg, engine, views, options, m = release.pkg, release.engine, release.views, release.options, release.pkg.manifest
        return cls(pkg, engine, views, options, {lv.id: served_geometry(pkg.path / lv.path) for lv in m.levels},
                   package_digest(target), str(target), datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def shape(self) -> tuple:
        """What the page's controls and callbacks are built for."""
        return (tuple(self.options.keys), tuple(self.options.levels), tuple(self.options.kinds), tuple(self.options.age_groups))


@dataclass
class AppContext:
    current: PackageVersion
    basemap_url: str | None
    basemap_attribution: str
    urls: Urls = field(default_factory=Urls)
    scenarios: ScenarioStore = field(default_factory=lambda: scenario_store_from_environment())
    source: Path | None = None  # the path as configured (maybe a symlink); None: never reloaded
    reload_problem: dict | None = None  # the last version that could not be used, and why
    _checked: float = 0.0
    _loading: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the version this request uses ----------------------------------------------------------
    @property
    def data(self) -> PackageVersion:
        """The package version of this request (fixed at its start), else the current one."""
        if has_request_context():
            if "package_version" not in g:
                g.package_version = self.current
            return g.package_version
        return self.current

    pkg = property(lambda self: self.data.pkg)
    engine = property(lambda self: self.data.engine)
    views = property(lambda self: self.data.views)
    options = property(lambda self: self.data.options)
    geometry = property(lambda self: self.data.geometry)
    version = property(lambda self: self.data.version)

    @property
    def prefer_canvas(self) -> bool:
        return max(len(g_) for g_ in self.pkg.boundaries.values()) > CANVAS_ABOVE

    def scenario_state(self, sid: str) -> str | None:
        """A saved scenario's query string, for `?s=<id>` (None when unknown, past the look-up limit, or
        the database cannot be used)."""
        from .limits import SCENARIO_LOOKUPS, Limited
        try:
            if has_request_context():
                SCENARIO_LOOKUPS.take()
            return self.scenarios.get(sid).state
        except (ScenarioError, Limited):
            return None

    def geometry_url(self, level: str) -> str:
        return self.urls.api(f"geometry/{level}.geojson", f"?v={hashlib.sha1(self.geometry[level]).hexdigest()[:10]}")

    @property
    def center(self) -> list[float]:
        """[lat, lon] of the middle of the package's area, for the map's first view."""
        minx, miny, maxx, maxy = self.pkg.boundaries[self.pkg.manifest.level_ids[0]].total_bounds
        return [float(miny + maxy) / 2, float(minx + maxx) / 2]

    @classmethod
    def from_package(cls, path: str | Path | None = None) -> "AppContext":
        source = Path(path or os.environ.get("MALMO_PACKAGE") or DEFAULT_PACKAGE)
        return cls(PackageVersion.load(source), os.environ.get("BASEMAP_URL") or None, os.environ.get("BASEMAP_ATTRIBUTION", ""),
                   Urls.from_environment(), source=source)

    # --- publishing a new version -----------------------------------------------------------------
    def maybe_reload(self) -> None:
        """Called on requests: at most every RELOAD_CHECK_S, see whether the package path points at a
        new folder; if so, load it in the background (requests go on with the current version)."""
        now = time.monotonic()
        if self.source is None or now - self._checked < RELOAD_CHECK_S or self._loading:
            return
        self._checked = now
        target = os.path.realpath(self.source)
        if target == self.current.target or (self.reload_problem and self.reload_problem["target"] == target
                                            and self.reload_problem["signature"] == package_signature(Path(target))):
            return  # nothing new; a refused version is tried again only once its files change
        with self._lock:
            if self._loading:
                return
            self._loading = True
        threading.Thread(target=self._load, args=(target,), name="package-reload", daemon=True).start()

    def _load(self, target: str) -> None:
        try:
            new = PackageVersion.load(Path(target))
            if new.shape() != self.current.shape():
                raise PackageError([Problem("datapackage.json", "its levels, indicators, kinds of places or UVAS age groups differ from "
                                            f"the running version's ({new.shape()} against {self.current.shape()}); that needs a restart")])
            old = self.current
            self.current = new  # one reference: a request sees the old version or the new one, never half
            self.reload_problem = None
            log.warning("data package switched from %s (%s) to %s (%s)", old.target, old.version, new.target, new.version)
        except Exception as err:  # noqa: BLE001 - whatever is wrong with the new version, the old one keeps serving
            problem = err.report() if isinstance(err, PackageError) else f"{type(err).__name__}: {err}"
            self.reload_problem = {"target": target, "signature": package_signature(Path(target)), "problem": problem,
                                   "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            log.error("data package %s not used, %s keeps serving: %s", target, self.current.target, problem.splitlines()[0] if problem else "")
        finally:
            self._loading = False


def scenario_store_from_environment() -> ScenarioStore:
    """SCENARIO_DB, WORKSHOP_KEY, SCENARIO_QUOTA and SCENARIO_RETENTION_DAYS (README, "Security")."""
    from layers.scenarios import DEFAULT_QUOTA, DEFAULT_RETENTION_DAYS
    return ScenarioStore(database_url(os.environ.get("SCENARIO_DB"), DEFAULT_SCENARIO_DB), os.environ.get("WORKSHOP_KEY"),
                         int(os.environ.get("SCENARIO_QUOTA", DEFAULT_QUOTA)),
                         int(os.environ.get("SCENARIO_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def package_signature(path: Path) -> str:
    """Names, sizes and modification times of a package folder's files: cheap to take on a request
    (no file is read), and changed by any edit."""
    try:
        items = sorted((str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns) for p in Path(path).rglob("*") if p.is_file())
    except OSError:
        return "unreadable"
    return hashlib.sha256(repr(items).encode()).hexdigest()[:12]


def package_digest(path: Path) -> str:
    """A short digest of a package folder's files (names, sizes and contents)."""
    h = hashlib.sha256()
    try:
        for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
            h.update(str(file.relative_to(path)).encode())
            h.update(file.read_bytes())
    except OSError:
        return "unreadable"
    return h.hexdigest()[:12]


def served_geometry(path: Path) -> bytes:
    """A level's GeoJSON as the browser gets it: only code, name and parent in the properties
    (other properties are the package's business; dash-leaflet would bind `popup` and `tooltip`
    ones as HTML)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        props = feature.get("properties") or {}
        feature["properties"] = {k: props.get(k) for k in ("code", "name", "parent")}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

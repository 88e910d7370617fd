"""What the app holds for one data package: the engine, view models and state options."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from layers.engine import Engine
from layers.scenarios import ScenarioError, ScenarioStore, database_url
from layers.data.package import DataPackage, load_package
from layers.trends import DEFAULT_AGE_GROUP
from layers.viewmodel import ViewModels, ViewSettings

from .state import Options
from .urls import Urls

DEFAULT_PACKAGE = Path(__file__).resolve().parents[1] / "data" / "malmo"
DEFAULT_SCENARIO_DB = Path(__file__).resolve().parents[1] / "data" / "scenarios.sqlite3"
CANVAS_ABOVE = 1500  # features on one level; SVG gets slow beyond this


@dataclass
class AppContext:
    pkg: DataPackage
    engine: Engine
    views: ViewModels
    options: Options
    basemap_url: str | None
    basemap_attribution: str
    prefer_canvas: bool
    geometry: dict[str, bytes] = field(default_factory=dict)  # level id → GeoJSON as served
    urls: Urls = field(default_factory=Urls)
    scenarios: ScenarioStore = field(default_factory=lambda: ScenarioStore(database_url(os.environ.get("SCENARIO_DB"), DEFAULT_SCENARIO_DB)))

    def scenario_state(self, sid: str) -> str | None:
        """A saved scenario's query string, for `?s=<id>` (None when unknown or the database cannot be used)."""
        try:
            return self.scenarios.get(sid).state
        except ScenarioError:
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
        pkg = load_package(path or os.environ.get("MALMO_PACKAGE") or DEFAULT_PACKAGE)
        engine = Engine(pkg)
        m = pkg.manifest
        options = Options(keys=m.indicator_keys, levels=m.level_ids, default_level=m.index_level,
                          kinds=[k["id"] for k in m.raw.get("facility_kinds", [])],
                          area_codes={c for gdf in pkg.boundaries.values() for c in gdf.index},
                          age_groups=sorted({str(g) for g in pkg.uvas["age_group"]}, key=lambda g: (g != DEFAULT_AGE_GROUP, g)),
                          sort_columns={"rank", "change", "name", "geso", "index", "interval", "flag_count"}
                          | {f"{kind}_{k}" for k in m.indicator_keys for kind in ("value", "scaled")})
        views = ViewModels(engine)
        for level in m.level_ids:  # warm the per-level caches before the first visitor
            views.level_info(level)
        views.view_model(default_settings(options))
        return cls(pkg, engine, views, options,
                   os.environ.get("BASEMAP_URL") or None,
                   os.environ.get("BASEMAP_ATTRIBUTION", ""),
                   max(len(g) for g in pkg.boundaries.values()) > CANVAS_ABOVE,
                   {lv.id: served_geometry(pkg.path / lv.path) for lv in m.levels}, Urls.from_environment())


def served_geometry(path: Path) -> bytes:
    """A level's GeoJSON as the browser gets it: only code, name and parent in the properties
    (other properties are the package's business; dash-leaflet would bind `popup` and `tooltip`
    ones as HTML)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        props = feature.get("properties") or {}
        feature["properties"] = {k: props.get(k) for k in ("code", "name", "parent")}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def default_settings(options: Options) -> ViewSettings:
    """The published choice: equal weights at the index level."""
    return ViewSettings(tuple((k, 50.0) for k in options.keys), options.default_level)

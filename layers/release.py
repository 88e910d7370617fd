"""One package version with what is derived from it: the engine, the view models and the options a
view may take. The app holds one per published version (dashboard/context.py); the command line
loads one (`python -m layers export`). Plain objects, no web framework."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from layers.data.package import DataPackage, load_package
from layers.index.engine import Engine
from layers.index.trends import DEFAULT_AGE_GROUP
from layers.view import Options, SORT_COLUMNS, default_settings
from layers.output.viewmodel import ViewModels


def options_of(pkg: DataPackage) -> Options:
    """What a view of this package may contain."""
    m = pkg.manifest
    return Options(keys=m.indicator_keys, levels=m.level_ids, default_level=m.index_level,
                   kinds=[k["id"] for k in m.raw.get("facility_kinds", [])],
                   area_codes={c for gdf in pkg.boundaries.values() for c in gdf.index},
                   level_of={c: level for level, gdf in pkg.boundaries.items() for c in gdf.index},
                   # a package without UVAS (SCB publishes it per kommun only) keeps the default group: the view stays one shape
                   age_groups=sorted({str(g) for g in pkg.uvas["age_group"]}, key=lambda g: (g != DEFAULT_AGE_GROUP, g)) or [DEFAULT_AGE_GROUP],
                   sort_columns=set(SORT_COLUMNS) | {"interval", "flag_count"}
                   | {f"{kind}_{k}" for k in m.indicator_keys for kind in ("value", "scaled")})


@dataclass
class Release:
    pkg: DataPackage
    engine: Engine
    views: ViewModels
    options: Options

    @classmethod
    def load(cls, path: Path, warm: bool = False) -> "Release":
        pkg = load_package(path)
        engine = Engine(pkg)
        options = options_of(pkg)
        views = ViewModels(engine)
        if warm:  # the per-level caches and the default view, before the first visitor
            for level in pkg.manifest.level_ids:
                views.level_info(level)
            views.view_model(default_settings(options))
        return cls(pkg, engine, views, options)

"""View model: what the dashboard shows for one state, as plain JSON-ready data (no Dash here).

`level_info` is static per level (sent once); `view_model` is what changes with the weights,
kept compact (arrays aligned to `level_info["codes"]`) because it crosses the wire on every
slider move.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import shapely

from layers.output import palette
from layers.index.classify import class_breaks, classes_of
from layers.index.clusters import cluster_id, DEFAULT_EXTEND_THRESHOLD, DEFAULT_MIN_SHARED_M, DEFAULT_TOP_N, ClusterSettings, find_clusters
from layers.index.engine import Engine
from layers.index.disclosure import DECIMALS, round_counts
from layers.index.facilities import NearestPlaces, area_of_facilities, distance_matrix
from layers.data.provenance import generated_areas
from layers.data.geography import ancestors
from layers.index.trends import DEFAULT_AGE_GROUP, FOLLOW_UP_YEARS, UvasCube
from layers.analysis.flags import DEFAULT_PERCENTILE, flag_matrix
from layers.analysis.projection import gaps, project
from layers.output.texts import LANGUAGES, label, number, t

COLOURS = palette.INDEX
NO_DATA_COLOUR = palette.NO_DATA


@dataclass(frozen=True)
class Method:
    """How the index is made and shown, apart from the weights; the defaults are the published ones."""

    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    classification: str = "quantiles"
    top_n: int = DEFAULT_TOP_N
    extend_threshold: float | None = DEFAULT_EXTEND_THRESHOLD
    min_shared_m: float = DEFAULT_MIN_SHARED_M

    @property
    def cluster_settings(self) -> ClusterSettings:
        return ClusterSettings(top_n=self.top_n, extend_threshold=self.extend_threshold, min_shared_m=self.min_shared_m)


@dataclass(frozen=True)
class ViewSettings:
    weights: tuple[tuple[str, float], ...]
    level: str
    method: Method = Method()
    age_group: str = DEFAULT_AGE_GROUP  # of the UVAS lines


def settings_key(s: ViewSettings) -> str:
    """What the index, the ranking and the clusters depend on (not the UVAS age group): the page
    matches analyses to the view model on screen by it."""
    m = s.method
    return "|".join([",".join(f"{k}:{w:g}" for k, w in s.weights), s.level, m.normalisation, m.aggregation,
                     str(m.top_n), str(m.extend_threshold), f"{m.min_shared_m:g}"])


def scaled_key(level: str, normalisation: str) -> str:
    """Which scaled values a view model goes with: they depend on the level and the normalisation, not
    on the weights, so they are not sent with every move."""
    return f"{level}|{normalisation}"


def codes_digest(codes) -> str:
    """A short digest of a level's area codes in order: the arrays of a view model are aligned to
    them, so a page holding other codes (an older package version) must reload before it paints."""
    import hashlib
    return hashlib.sha256("\n".join(str(c) for c in codes).encode("utf-8")).hexdigest()[:12]


def _round(values: np.ndarray, digits: int) -> list:
    """JSON-ready list: rounded floats, None for NaN."""
    return [None if v != v else v for v in np.round(np.asarray(values, dtype=float), digits).tolist()]


@dataclass(eq=False)
class ViewModels:
    """Builds and caches view models for one engine (one data package). Its caches are its own (made
    per instance, not on the class): a retired package version's view models go with it."""

    engine: Engine
    computed: int = 0
    _baseline: dict = field(default_factory=dict)
    _level_info: dict = field(default_factory=dict)
    _scaled: dict = field(default_factory=dict)

    def __post_init__(self):
        self.places_near = lru_cache(maxsize=512)(self._places_near)
        self._uvas = lru_cache(maxsize=8)(self._uvas_cube)
        self.trend = lru_cache(maxsize=512)(self._trend)
        self.outlines = lru_cache(maxsize=256)(self._outlines)
        self.side = lru_cache(maxsize=64)(self._side)  # compare's fixed side A, computed once while B moves

    def _side(self, settings: "ViewSettings"):
        from layers.analysis.compare import side
        m = settings.method
        return side(self.engine, dict(settings.weights), settings.level, m.normalisation, m.aggregation, m.cluster_settings)

    @property
    def pkg(self):
        return self.engine.pkg

    def level_info(self, level: str) -> dict:
        if level not in self._level_info:
            self._level_info[level] = self._build_level_info(level)
        return self._level_info[level]

    def generated_areas(self, level: str) -> np.ndarray:
        return generated_areas(self.pkg, level)

    def _build_level_info(self, level: str) -> dict:
        m, pkg = self.pkg.manifest, self.pkg
        data = self.engine.level(level)
        areas = pkg.boundaries[level]
        geso = (ancestors(pkg.boundaries, m.levels, level, m.level_ids[0]).map(pkg.boundaries[m.level_ids[0]]["name"])
                if level != m.level_ids[0] else pd.Series(None, index=areas.index))
        uvas: dict[str, dict] = {group: {} for group in self.age_groups}
        if m.level_ids.index(level) <= m.level_ids.index(m.index_level):
            parts = ancestors(pkg.boundaries, m.levels, m.index_level, level) if level != m.index_level else None
            for code in data.codes:
                members = [str(code)] if parts is None else list(parts.index[parts == code])
                for group in self.age_groups:
                    share = self._uvas(group).share(members)
                    if not np.isnan(share).all():
                        uvas[group][str(code)] = _round(share, DECIMALS["uvas"])
        high, _ = flag_matrix(data.values.to_numpy(dtype=float), DEFAULT_PERCENTILE)
        return {
            "level": level,
            "digest": codes_digest(data.codes),  # which set of areas: every view model names it too
            "high_flags": {k: [bool(f) for f in high[:, j]] for j, k in enumerate(self.engine.keys)},
            "flag_count": [int(c) for c in high.sum(axis=1)],
            "flag_percentile": DEFAULT_PERCENTILE,
            "codes": [str(c) for c in data.codes],
            "names": [str(n) for n in data.names],
            "geso_names": [None if pd.isna(g) else str(g) for g in geso],
            "values": {k: _round(data.values[k].to_numpy(dtype=float), 2) for k in self.engine.keys},
            "flags": {k: [str(f) for f in data.flags[k]] for k in self.engine.keys},
            "population": _round(round_counts(data.population), 0),
            "children": _round(round_counts(data.children), 0),
            "generated": [bool(g) for g in self.generated_areas(level)],
            "has_data": [bool(h) for h in data.has_data],
            "uvas_years": self._uvas(DEFAULT_AGE_GROUP).years,
            "uvas": uvas,
        }

    @cached_property
    def age_groups(self) -> list[str]:
        """UVAS age groups in the package, the default first."""
        groups = sorted(str(g) for g in self.pkg.uvas["age_group"].unique())
        return sorted(groups, key=lambda g: (g != DEFAULT_AGE_GROUP, g))

    def _baseline_rank(self, level: str, normalisation: str, aggregation: str) -> np.ndarray:
        key = (level, normalisation, aggregation)
        if key not in self._baseline:
            self._baseline[key] = self.engine.index(None, level, normalisation, aggregation).rank
        return self._baseline[key]

    def view_model(self, s: ViewSettings) -> dict:
        self.computed += 1  # how many were computed here, not served from a cache (/healthz shows it)
        m = s.method
        result = self.engine.index(dict(s.weights), s.level, m.normalisation, m.aggregation)
        baseline = self._baseline_rank(s.level, m.normalisation, m.aggregation)
        change = np.where((result.rank > 0) & (baseline > 0), baseline - result.rank, 0)
        breaks = class_breaks(result.index, m.classification, len(COLOURS))
        index_level = self.pkg.manifest.index_level
        cluster_result = result if s.level == index_level else self.engine.index(dict(s.weights), index_level, m.normalisation, m.aggregation)
        clusters = find_clusters(self.engine, cluster_result, m.cluster_settings)
        return {
            "level": s.level,
            "level_digest": self.level_info(s.level)["digest"],
            "index_level": index_level,
            "index": _round(result.index, 3),
            "rank": [int(r) for r in result.rank],
            "rank_change": [int(c) for c in change],
            "class": [int(c) for c in classes_of(result.index, breaks)],
            "breaks": [round(b, 4) for b in breaks],
            "classification": m.classification,
            "colours": COLOURS[-len(breaks):] if breaks else [],
            "scaled_key": scaled_key(s.level, m.normalisation),  # the scaled values are sent once per level and method (`scaled`)
            "weights": {k: round(v, 4) for k, v in result.weights.items()},
            "clusters": [self._cluster_summary(c) for c in clusters],
            "trend": self.trend(tuple(tuple(c.members) for c in clusters), s.age_group),
            "generated": self.pkg.is_generated(),
            "top_n": m.top_n,
            "key": settings_key(s),
        }

    def scaled(self, level: str, normalisation: str) -> dict:
        """The level's scaled indicator values for a normalisation (arrays aligned to `level_info`'s
        codes), named by `scaled_key` as the view models that go with them."""
        key = scaled_key(level, normalisation)
        if key not in self._scaled:
            values = self.engine.normalised(level, normalisation)
            self._scaled[key] = {"key": key, "digest": self.level_info(level)["digest"],
                                 "values": {k: _round(values[:, j], 2) for j, k in enumerate(self.engine.keys)}}
        return self._scaled[key]

    def _cluster_summary(self, c) -> dict:
        return {**c.as_dict(), "places": self.places_near(tuple(c.members))}

    def _places_near(self, members: tuple[str, ...]) -> dict:
        """Places inside a group of index-level areas, and the nearest of each kind (metres)."""
        where, names, distances = self._places
        inside = [names[i] for i, a in where.items() if a in members]
        nearest = distances.nearest(members)
        return {"inside": inside, "nearest": [{"kind": k, "name": n, "distance_m": round(d)} for k, n, d in nearest]}

    @cached_property
    def _places(self):
        level = self.pkg.manifest.index_level
        names = self.pkg.facilities.set_index("id")["name"].astype(str).to_dict()
        return area_of_facilities(self.pkg, level).dropna(), names, NearestPlaces(self.pkg, distance_matrix(self.pkg, level))

    def _uvas_cube(self, age_group: str) -> UvasCube:
        return UvasCube(self.pkg, age_group)

    def _trend(self, groups: tuple[tuple[str, ...], ...], age_group: str = DEFAULT_AGE_GROUP) -> dict:
        """UVAS in `age_group` per cluster (id k…; the page names it), all clusters together, the city and the nation."""
        cube = self._uvas(age_group if age_group in self.age_groups else DEFAULT_AGE_GROUP)
        series = []

        def add(sid, codes, kind):
            share = np.round(cube.share(list(codes)), DECIMALS["uvas"])  # as the chart shows it; the projection rests on that too
            if not np.isnan(share).all():
                series.append({"id": sid, "kind": kind, "share": _round(share, DECIMALS["uvas"]),
                               "projection": project(cube.years, share, FOLLOW_UP_YEARS[-1])})

        for members in groups:
            add(cluster_id(members), members, "cluster")
        if len(groups) > 1:
            add("all", [c for g in groups for c in g], "all_clusters")
        for code in self.pkg.reference_codes:
            add(code, [code], "reference")
        for s in series:  # the interval is drawn for the lines that matter: the clusters together (or the one there is), city and nation
            if s["projection"]:
                s["projection"]["band"] = s["kind"] in ("all_clusters", "reference") or (s["kind"] == "cluster" and len(groups) == 1)
        gap = gaps(series, FOLLOW_UP_YEARS)
        references = {r["code"]: r["labels"] for r in self.pkg.manifest.raw.get("reference_areas", [])}
        return {"years": cube.years, "age_group": cube.age_group, "follow_up": list(FOLLOW_UP_YEARS), "series": series,
                "gap": gap, "gap_words": {lang: gap_words(gap, lang, references) for lang in LANGUAGES}}

    def _outlines(self, groups: tuple[tuple[str, ...], ...]) -> dict:
        """GeoJSON of each cluster's outer boundary (members dissolved), EPSG:4326."""
        areas = self.pkg.boundaries[self.pkg.manifest.index_level]
        features = []
        for members in groups:
            known = [c for c in members if c in areas.index]
            if not known:
                continue
            shape = shapely.coverage_union_all(areas.geometry.loc[known].values)
            features.append({"type": "Feature", "properties": {"id": cluster_id(known)},
                             "geometry": shapely.geometry.mapping(shapely.boundary(shape))})
        return {"type": "FeatureCollection", "features": features}


def gap_words(gap: dict | None, lang: str, references: dict) -> str:
    """The gap to Sweden in the follow-up years in words, with how the projection was made: the
    page under its chart, the committee report and the embeds say it from this ('' without one)."""
    if not gap:
        return ""
    lines = []
    for s in gap["series"]:
        name = (t(lang, "all_clusters") if s["kind"] == "all_clusters" else t(lang, "gap_cluster") if s["kind"] == "cluster"
                else label(references[s["id"]], lang) if s["id"] in references else s["id"])
        parts = [t(lang, "gap_above" if pp >= 0 else "gap_below", pp=number(abs(pp), lang, 1), year=year) for year, pp in s["by_year"]]
        lines.append(t(lang, "gap_sentence", name=name, parts=t(lang, "gap_and").join(parts)))
    return " ".join(lines + [t(lang, "gap_method", **{"from": gap["fitted_from"], "to": gap["fitted_to"]})])

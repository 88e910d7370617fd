"""Geometry and hierarchy: shared borders, coverage simplification, subdivision.

Lengths and tolerances are in metres, measured in SWEREF 99 TM (EPSG:3006) unless said.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import geopandas as gpd
import shapely

METRIC_CRS = "EPSG:3006"


def shared_border_lengths(areas: gpd.GeoDataFrame, crs: str = METRIC_CRS) -> pd.DataFrame:
    """Length in metres of the border each pair of areas shares.

    Returns one row per touching pair (a, b) with a < b in index order and `length_m`;
    corner contacts give 0 m. Index of `areas` is the area code.
    """
    metric = areas.to_crs(crs)
    geoms = metric.geometry.values
    left, right = metric.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    boundaries = shapely.boundary(np.asarray(geoms))
    lengths = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    codes = metric.index.to_numpy()
    return pd.DataFrame({"a": codes[left], "b": codes[right], "length_m": lengths})


def simplify_coverage(areas: gpd.GeoDataFrame, tolerance_m: float, crs: str = METRIC_CRS) -> gpd.GeoDataFrame:
    """Simplify polygons that tile a region so shared borders stay shared (no gaps, no overlaps).

    `tolerance_m` is the Visvalingam–Whyatt tolerance of GEOS' coverage simplification, in
    metres. Returns a frame in the input CRS.
    """
    metric = areas.to_crs(crs)
    simplified = shapely.coverage_simplify(metric.geometry.values, tolerance_m)
    out = metric.copy()
    out.geometry = gpd.GeoSeries(simplified, index=metric.index, crs=crs)
    return out.to_crs(areas.crs)


def max_displacement_m(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, crs: str = METRIC_CRS) -> float:
    """Largest Hausdorff distance in metres between matching geometries of two frames."""
    a, b = before.to_crs(crs), after.to_crs(crs).reindex(before.index)
    return float(np.max(shapely.hausdorff_distance(a.geometry.values, b.geometry.values)))


def split_polygon(polygon, parts: int, rng: np.random.Generator):
    """Cut a polygon into `parts` pieces that tile it exactly (Voronoi cells of random interior points)."""
    minx, miny, maxx, maxy = polygon.bounds
    points = []
    while len(points) < parts:
        xs = rng.uniform(minx, maxx, 64)
        ys = rng.uniform(miny, maxy, 64)
        candidates = shapely.points(xs, ys)
        inside = shapely.contains(polygon, candidates)
        points += [p for p in candidates[inside]]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points[:parts]), extend_to=polygon)
    pieces = [shapely.intersection(cell, polygon) for cell in shapely.get_parts(cells)]
    pieces = [shapely.make_valid(p) for p in pieces]
    pieces = [shapely.union_all([g for g in shapely.get_parts(p) if g.geom_type in ("Polygon", "MultiPolygon")]) for p in pieces]
    return [p for p in pieces if not p.is_empty and p.area > 0]


def ancestors(boundaries: dict[str, gpd.GeoDataFrame], levels: list, from_level: str, to_level: str) -> pd.Series:
    """Map each area code of `from_level` to the code of its ancestor on `to_level` (coarser)."""
    ids = [lv.id for lv in levels]
    if ids.index(to_level) > ids.index(from_level):
        raise ValueError(f"'{to_level}' is not coarser than '{from_level}'")
    mapping = pd.Series(boundaries[from_level].index, index=boundaries[from_level].index)
    level = next(lv for lv in levels if lv.id == from_level)
    while level.id != to_level:
        mapping = mapping.map(boundaries[level.id]["parent"])
        level = next(lv for lv in levels if lv.id == level.parent)
    return mapping


def _round_coords(coords, ndigits: int):
    if isinstance(coords[0], (int, float)):
        return [round(c, ndigits) for c in coords]
    return [_round_coords(c, ndigits) for c in coords]


def to_feature_collection(areas: gpd.GeoDataFrame, properties: list[str], ndigits: int = 7) -> dict:
    """GeoJSON FeatureCollection (EPSG:4326) with coordinates rounded to `ndigits` decimals.

    7 decimals of a degree are about 1 cm (as the source): shared vertices round alike, so shared
    borders stay shared; 6 decimals made one simplified polygon self-intersect.
    """
    wgs = areas.to_crs("EPSG:4326")
    features = []
    for code, row in wgs.iterrows():
        geom = shapely.geometry.mapping(row.geometry)
        props = {"code": code, **{p: (None if pd.isna(row[p]) else row[p]) for p in properties}}
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"], ndigits)}})
    return {"type": "FeatureCollection", "features": features}

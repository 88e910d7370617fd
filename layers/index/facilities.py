"""Places (libraries, familjecentraler, allaktivitetshus): where they are and how near.

Distances are in metres, in SWEREF 99 TM (EPSG:3006), from an area's boundary to a place
(0 when the place lies inside the area).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.data.geography import METRIC_CRS, ancestors
from layers.data.package import DataPackage


def drawable(pkg: DataPackage) -> gpd.GeoDataFrame:
    """Places with a point to draw (position 'coordinates' or 'area'); 'unknown' ones are left out."""
    fac = pkg.facilities[pkg.facilities["position"] != "unknown"].dropna(subset=["lat", "lon"])
    return gpd.GeoDataFrame(fac, geometry=gpd.points_from_xy(fac["lon"], fac["lat"]), crs="EPSG:4326")


def area_of_facilities(pkg: DataPackage, level: str) -> pd.Series:
    """Code of the area on `level` that each place (by id) lies in; NaN when not known.

    Places drawn at their area keep that area (and its ancestors); others by point in polygon.
    """
    m = pkg.manifest
    out = pd.Series(np.nan, index=pkg.facilities["id"], dtype=object)
    points = drawable(pkg)
    areas = pkg.boundaries[level]
    hit = areas.sindex.query(points.geometry.values, predicate="within")
    out.loc[points["id"].to_numpy()[hit[0]]] = areas.index.to_numpy()[hit[1]]
    level_of = pkg.level_of()
    for _, f in pkg.facilities[pkg.facilities["area_code"].notna()].iterrows():
        source = level_of[f["area_code"]]
        if source == level:
            out[f["id"]] = f["area_code"]
        elif m.level_ids.index(source) > m.level_ids.index(level):
            out[f["id"]] = ancestors(pkg.boundaries, m.levels, source, level)[f["area_code"]]
    return out


def distance_matrix(pkg: DataPackage, level: str) -> pd.DataFrame:
    """Metres from each area (rows, codes) to each drawable place (columns, ids)."""
    areas = pkg.boundaries[level].to_crs(METRIC_CRS)
    points = drawable(pkg).to_crs(METRIC_CRS)
    d = shapely.distance(np.asarray(areas.geometry.values)[:, None], np.asarray(points.geometry.values)[None, :])
    return pd.DataFrame(d, index=areas.index, columns=points["id"].to_numpy())


class NearestPlaces:
    """Nearest place of each kind to a group of areas, from a precomputed distance matrix (metres)."""

    def __init__(self, pkg, distances: pd.DataFrame):
        fac = pkg.facilities.set_index("id").loc[distances.columns]
        self.position = {c: i for i, c in enumerate(distances.index)}
        self.matrix = distances.to_numpy()
        self.kinds = {kind: np.flatnonzero(fac["kind"].to_numpy() == kind) for kind in sorted(fac["kind"].unique())}
        self.names = fac["name"].astype(str).to_numpy()

    def nearest(self, codes) -> list[tuple[str, str, float]]:
        rows = [self.position[c] for c in codes if c in self.position]
        group = self.matrix[rows].min(axis=0)
        out = []
        for kind, cols in self.kinds.items():
            best = cols[np.argmin(group[cols])]
            out.append((kind, self.names[best], float(group[best])))
        return out


def nearest_by_kind(pkg: DataPackage, distances: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """For a group of areas: per kind, the nearest place's name and distance (metres)."""
    return pd.DataFrame(NearestPlaces(pkg, distances).nearest(codes), columns=["kind", "name", "distance_m"])

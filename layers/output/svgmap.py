"""A light map as SVG, drawn on the server: a room's phones and its wall show areas in classes
without loading the dashboard's map library (a participant's phone gets a few kilobytes). Areas
are simplified in metres (EPSG:3006) and drawn with the palette's border; every area is a `path`
with its name as `<title>`, and the map has a title and description for assistive technology.
Text from data is escaped."""
from __future__ import annotations

from html import escape

import shapely

from layers.data.geography import METRIC_CRS
from layers.output.palette import BORDER, FILL_OPACITY, NO_DATA

SIMPLIFY_M = 15.0
WIDTH = 600


def _path(geom, x0: float, y1: float, scale: float) -> str:
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            xy = [(round((x - x0) * scale, 1), round((y1 - y) * scale, 1)) for x, y in ring.coords]
            parts.append("M" + "L".join(f"{x} {y}" for x, y in xy) + "Z")
    return "".join(parts)


def svg_map(areas, colours: dict[str, str], title: str, description: str, width: int = WIDTH) -> str:
    """`areas`: a GeoDataFrame (code index, `name`); `colours`: code → fill (others: no data)."""
    metric = areas.to_crs(METRIC_CRS)
    geoms = shapely.simplify(metric.geometry.values, SIMPLIFY_M, preserve_topology=True)
    x0, y0, x1, y1 = metric.total_bounds
    scale = width / max(x1 - x0, 1.0)
    height = round((y1 - y0) * scale)
    paths = "".join(
        f'<path d="{_path(g, x0, y1, scale)}" fill="{escape(colours.get(code, NO_DATA))}"><title>{escape(str(name))}</title></path>'
        for code, name, g in zip(metric.index, metric["name"], geoms))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 {width + 4} {height + 4}" role="img" aria-labelledby="t d">'
            f'<title id="t">{escape(title)}</title><desc id="d">{escape(description)}</desc>'
            f'<g fill-opacity="{FILL_OPACITY}" stroke="{BORDER}" stroke-width="0.6" stroke-linejoin="round">{paths}</g></svg>')

"""Every colour and place symbol the product draws, in one place: the map's classes, no data, the
cluster outline, the analysis modes, the compare page's differences, the places and the reference
lines. The pictures (matplotlib) read them here; the pages get them as CSS custom properties
(`css()`, put in every page by dashboard/app.py), which the stylesheet and the browser code read.
ColorBrewer schemes throughout: colour-blind safe, and told apart by lightness too."""
from __future__ import annotations

INDEX = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # YlOrRd: the index's five classes
NO_DATA = "#d9d9d9"
OUTLINE = "#08306b"  # a cluster's outline
CERTAINTY = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]  # Blues: "Hur säkert?" (robustness.certainty_class)
# RdBu, ordered by lightness as well as hue, so the classes stay apart in greyscale and for
# deuteranopes: high among high darkest, low among low lightest (the audit measured 1.16:1 between them)
HOT = {"HH": "#67001f", "HL": "#f4a582", "LH": "#2166ac", "LL": "#d1e5f0", "ns": "#ffffff", "island": "#bdbdbd"}
MONEY = ["#c7e9c0", "#74c476", "#31a354", "#006d2c"]  # Greens: the allocation's quartiles (allocation.map_classes)
NOTHING = "#f0f0f0"  # no money
AGREEMENT = ["#3f007d", "#807dba", "#dadaeb", "#ffffff"]  # Purples: a room's agreement (room.AGREEMENT: all, most, depends, none)
DIFF = ["#542788", "#998ec3", "#d8daeb", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806"]  # PuOr: compare's seven classes
# PuOr's two sides are alike in lightness: the first side is hatched as well, so up and down differ
# in greyscale and for colour-blind readers too (the map and the legend's swatches)
DIFF_HATCH = [True, True, True, False, False, False, False]
PLACES = {  # symbol on the web map, marker in the pictures, colour in both
    "library": {"symbol": "B", "marker": "o", "colour": "#2166ac"},
    "familjecentral": {"symbol": "F", "marker": "s", "colour": "#1b7837"},
    "allaktivitetshus": {"symbol": "A", "marker": "D", "colour": "#762a83"},
}
REFERENCES = {"MALMO": "#2166ac", "SE": "#6a6a6a"}  # the city's and the nation's UVAS lines

# How areas are drawn: the fill's opacity, the border between areas (at least 3:1 against every class
# at that opacity, so the borders between the top areas do not vanish), the chosen area's line, and
# the light casing under a cluster's outline (the outline 3:1 against it, it 3:1 against the darkest class).
FILL_OPACITY = 0.82
BORDER = "#1a1a1a"
SELECTED = "#000000"
CASING = "#ffffff"

# The UVAS chart's cluster lines: told apart by colour, dash and marker, so a line is known in
# greyscale and under colour blindness too; every colour 3:1 on white. Dashes in pixels
# ("" = solid); markers by plotly's name, with matplotlib's beside it (the pictures).
SERIES = [
    {"colour": "#1b7e5f", "dash": "", "marker": "circle"},
    {"colour": "#c25400", "dash": "8,3", "marker": "square"},
    {"colour": "#6a63ad", "dash": "2,3", "marker": "diamond"},
    {"colour": "#c8186f", "dash": "10,3,2,3", "marker": "triangle-up"},
    {"colour": "#4a7a14", "dash": "5,5", "marker": "x"},
    {"colour": "#8a6500", "dash": "12,4", "marker": "triangle-down"},
    {"colour": "#9b2335", "dash": "2,2,6,2", "marker": "cross"},
    {"colour": "#555555", "dash": "4,2", "marker": "star"},
]
MPL_MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle-up": "^", "x": "x", "triangle-down": "v",
               "cross": "P", "star": "*"}
ALL_CLUSTERS = {"colour": "#111111", "dash": "", "marker": "circle", "width": 4}
SELECTED_LINE = {"colour": "#000000", "dash": "9,3,2,3", "marker": "circle-open", "width": 4}
REFERENCE_LINES = {"MALMO": {"colour": REFERENCES["MALMO"], "dash": "6,3", "marker": "", "width": 3},
                   "SE": {"colour": REFERENCES["SE"], "dash": "2,3", "marker": "", "width": 3}}


# The compare page's lines, told apart by pattern: A's clusters dashed, B's dash-dotted (both on the
# casing), areas entering B's top N solid black, leaving it dotted.
COMPARE_LINES = {"a": {"colour": OUTLINE, "dash": "12,6", "marker": "", "width": 3},
                 "b": {"colour": OUTLINE, "dash": "16,5,3,5", "marker": "", "width": 5},
                 "enter": {"colour": SELECTED, "dash": "", "marker": "", "width": 4},
                 "leave": {"colour": SELECTED, "dash": "2,6", "marker": "", "width": 4},
                 "trend-a": {"colour": DIFF[0], "dash": "6,3", "marker": "circle-open", "width": 2},
                 "trend-b": {"colour": DIFF[-1], "dash": "", "marker": "square", "width": 3}}


def series(k: int) -> dict:
    """The k-th cluster line's look (colour, dash, marker), the same in the browser and the pictures."""
    return {**SERIES[k % len(SERIES)], "width": 2}


def over_white(colour: str, opacity: float) -> str:
    """A fill colour as it shows at `opacity` over white (a legend's swatch beside the map's areas)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(opacity * c + (1 - opacity) * 255):02x}" for c in rgb)


def mpl_dash(dash: str):
    """A dash in pixels ("8,3") as matplotlib's line style (in points: 0.75 px)."""
    return "-" if not dash else (0, tuple(float(x) * 0.75 for x in dash.split(",")))


# Where a label may go around its area's point, in order of preference: on it, above, below, right,
# left, the corners, further up and down; in the label's own half-widths (x) and heights (y, up).
# The web map (malmo-map.js, from --label-spots) and the pictures (pictures.place_labels) both use it.
LABEL_SPOTS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1), (0, 2), (0, -2))


def variables() -> dict[str, str]:
    """The palette as CSS custom properties (without the leading '--')."""
    out = {"no-data": NO_DATA, "outline": OUTLINE, "nothing": NOTHING, "border": BORDER, "selected": SELECTED,
           "casing": CASING, "fill-opacity": str(FILL_OPACITY)}
    out.update({f"index-{k}": c for k, c in enumerate(INDEX)})
    out.update({f"certainty-{k}": c for k, c in enumerate(CERTAINTY)})
    out.update({f"hot-{k}": c for k, c in HOT.items()})
    out.update({f"money-{k}": c for k, c in enumerate(MONEY)})
    out.update({f"agree-{k}": c for k, c in enumerate(AGREEMENT)})
    out.update({f"diff-{k}": c for k, c in enumerate(DIFF)})
    out.update({f"place-{k}": v["colour"] for k, v in PLACES.items()})
    out.update({f"reference-{k}": c for k, c in REFERENCES.items()})
    looks = {f"series-{k}": s for k, s in enumerate(SERIES)}
    looks.update({f"compare-{k}": s for k, s in COMPARE_LINES.items()})
    out.update({f"diff-hatch-{k}": "1" if h else "0" for k, h in enumerate(DIFF_HATCH)})
    looks.update({"series-all": ALL_CLUSTERS, "series-selected": SELECTED_LINE},
                 **{f"series-reference-{k}": s for k, s in REFERENCE_LINES.items()})
    for name, look in looks.items():  # a line's look: colour, dash ("none" = solid), marker, width
        out.update({name: look["colour"], f"{name}-dash": look["dash"] or "none", f"{name}-marker": look["marker"] or "none",
                    f"{name}-width": str(look.get("width", 2))})
    out["series-count"] = str(len(SERIES))
    out["label-spots"] = " ".join(f"{x},{y}" for x, y in LABEL_SPOTS)
    return out


def css() -> str:
    return ":root{" + ";".join(f"--{k}:{v}" for k, v in variables().items()) + "}"

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
HOT = {"HH": "#b2182b", "HL": "#ef8a62", "LH": "#67a9cf", "LL": "#2166ac", "ns": "#f7f7f7", "island": "#bdbdbd"}  # RdBu ends
MONEY = ["#c7e9c0", "#74c476", "#31a354", "#006d2c"]  # Greens: the allocation's quartiles (allocation.map_classes)
NOTHING = "#f0f0f0"  # no money
DIFF = ["#542788", "#998ec3", "#d8daeb", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806"]  # PuOr: compare's seven classes
PLACES = {  # symbol on the web map, marker in the pictures, colour in both
    "library": {"symbol": "B", "marker": "o", "colour": "#2166ac"},
    "familjecentral": {"symbol": "F", "marker": "s", "colour": "#1b7837"},
    "allaktivitetshus": {"symbol": "A", "marker": "D", "colour": "#762a83"},
}
REFERENCES = {"MALMO": "#2166ac", "SE": "#6a6a6a"}  # the city's and the nation's UVAS lines


def variables() -> dict[str, str]:
    """The palette as CSS custom properties (without the leading '--')."""
    out = {"no-data": NO_DATA, "outline": OUTLINE, "nothing": NOTHING}
    out.update({f"index-{k}": c for k, c in enumerate(INDEX)})
    out.update({f"certainty-{k}": c for k, c in enumerate(CERTAINTY)})
    out.update({f"hot-{k}": c for k, c in HOT.items()})
    out.update({f"money-{k}": c for k, c in enumerate(MONEY)})
    out.update({f"diff-{k}": c for k, c in enumerate(DIFF)})
    out.update({f"place-{k}": v["colour"] for k, v in PLACES.items()})
    out.update({f"reference-{k}": c for k, c in REFERENCES.items()})
    return out


def css() -> str:
    return ":root{" + ";".join(f"--{k}:{v}" for k, v in variables().items()) + "}"

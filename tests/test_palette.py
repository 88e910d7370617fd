"""The palette's non-text contrast (WCAG 1.4.11) and that its classes stay apart without hue (1.4.1),
measured from layers/output/palette.py, which every drawing reads."""
from __future__ import annotations

from layers.output import palette


def luminance(hex_colour: str) -> float:
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def over_white(hex_colour: str, opacity: float) -> str:
    return "#" + "".join(f"{round(opacity * int(hex_colour[i:i + 2], 16) + (1 - opacity) * 255):02x}" for i in (1, 3, 5))


def test_area_borders_stand_out_against_every_class_as_drawn():
    fills = [over_white(c, palette.FILL_OPACITY) for c in palette.INDEX]
    assert min(contrast(palette.BORDER, f) for f in fills) >= 3
    # the cluster outline on its casing: the outline against the casing, the casing against the darkest class
    assert contrast(palette.OUTLINE, palette.CASING) >= 3 and contrast(palette.CASING, fills[-1]) >= 3


def test_every_line_of_the_charts_is_3_to_1_on_white_and_differs_by_more_than_hue():
    looks = [palette.series(k) for k in range(len(palette.SERIES))]
    assert all(contrast(look["colour"], "#ffffff") >= 3 for look in looks + list(palette.REFERENCE_LINES.values()))
    assert len({(look["dash"], look["marker"]) for look in looks}) == len(looks)  # each line its own dash and marker
    assert all(m in palette.MPL_MARKERS for m in (look["marker"] for look in looks))
    compare = palette.COMPARE_LINES
    assert len({compare[k]["dash"] for k in ("a", "b", "enter", "leave")}) == 4


def test_hot_spot_classes_and_compares_sides_differ_in_lightness_too():
    hot = {k: luminance(over_white(c, palette.FILL_OPACITY)) for k, c in palette.HOT.items()}
    assert (hot["LL"] + 0.05) / (hot["HH"] + 0.05) >= 3  # the audit measured 1.16:1
    assert sorted(hot, key=hot.get)[:2] == ["HH", "LH"]  # high-among-high darkest
    # compare's two sides are alike in lightness: one is hatched (the map and the swatches)
    assert palette.DIFF_HATCH[:3] == [True] * 3 and not any(palette.DIFF_HATCH[3:])

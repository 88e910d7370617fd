"""The map as a print-quality PNG and a one-page A4 PDF report, drawn with matplotlib (no browser, no
tiles). `job(ctx, kind, data)` collects what the picture needs into a plain dict (areas in EPSG:3006,
colours, cluster outlines, places, trend, texts); `draw(job)` makes the bytes. The CLI draws in its
own process; the app draws in a separate process, admitted and bounded (dashboard/pictures.py).
"""
from __future__ import annotations

import io

import numpy as np
import shapely

from . import palette
from .facilities import drawable
from .geography import METRIC_CRS
from .viewmodel import NO_DATA_COLOUR
from .texts import label, number, t

PLACE_STYLE = {kind: (p["marker"], p["colour"]) for kind, p in palette.PLACES.items()}
TOP_IN_REPORT = 15


def render(ctx, kind: str, d) -> bytes:
    """The picture for an export's data, drawn here and now."""
    return draw(job(ctx, kind, d))


def job(ctx, kind: str, d) -> dict:
    from .export import cluster_name
    lang, vm = d.lang, d.vm
    areas = ctx.pkg.boundaries[d.state.level].to_crs(METRIC_CRS)
    colours = [vm["colours"][c] if c >= 0 else NO_DATA_COLOUR for c in vm["class"]]
    index_areas = ctx.pkg.boundaries[ctx.pkg.manifest.index_level].to_crs(METRIC_CRS)
    outlines = [shapely.boundary(shapely.coverage_union_all(index_areas.geometry.loc[[m["code"] for m in c["members"]]].values))
                for c in vm["clusters"]]
    label_points = [index_areas.geometry.loc[c["members"][0]["code"]].representative_point() for c in vm["clusters"]]
    places = drawable(ctx.pkg).to_crs(METRIC_CRS)
    kinds = {k["id"]: label(k["labels"], lang) for k in ctx.pkg.manifest.raw.get("facility_kinds", [])}
    breaks = vm["breaks"]
    legend = [(vm["colours"][i], ("≤ " if i == 0 else f"{fmt(breaks[i - 1], lang, 2)} – ") + fmt(b, lang, 2)) for i, b in enumerate(breaks)][::-1]
    legend.append((NO_DATA_COLOUR, t(lang, "no_data")))
    trend = vm["trend"]
    names = {c["id"]: cluster_name(c, lang) for c in vm["clusters"]}
    series = [(names.get(s["id"], t(lang, "all_clusters") if s["kind"] == "all_clusters" else
               next((label(r["labels"], lang) for r in ctx.pkg.manifest.raw.get("reference_areas", []) if r["code"] == s["id"]), s["id"])),
               s["kind"], s["share"]) for s in trend["series"]]
    top = d.frame[d.frame["rank"].notna()].head(TOP_IN_REPORT)
    return {
        "kind": kind, "lang": lang, "generated": d.generated, "header": d.header,
        "title": t(lang, "export_title"), "demo": t(lang, "demo_label"),
        "geometries": list(areas.geometry.values), "colours": colours,
        "outlines": outlines, "cluster_labels": [(p.x, p.y, names[c["id"]]) for p, c in zip(label_points, vm["clusters"])],
        "places": [(row.kind, row.geometry.x, row.geometry.y) for row in places.itertuples()],
        "place_labels": kinds, "legend": legend, "legend_title": t(lang, "legend_title"),
        "outline_label": t(lang, "cluster_outline"),
        "trend": {"years": trend["years"], "follow_up": trend["follow_up"], "series": series,
                  "title": t(lang, "trend_title_age", ages=trend["age_group"].replace("-", "–")), "axis": t(lang, "trend_axis"),
                  "follow_up_label": t(lang, "follow_up", year="{year}")},
        "top": [(int(r.rank), str(r.name), fmt(r.index, lang, 2)) for r in top.itertuples()],
        "top_title": t(lang, "report_top", n=len(top)), "col_rank": t(lang, "col_rank"), "col_name": t(lang, "col_name"),
        "col_index": t(lang, "col_index"),
        "clusters": [(names[c["id"]], ", ".join(m["name"] for m in c["members"])) for c in vm["clusters"]],
        "clusters_title": t(lang, "clusters"),
        "method": [t(lang, k) for k in ("how_what", "how_scaling", "how_weights", "how_clusters", "how_protect")],
        "method_title": t(lang, "how_title"),
        # machine-readable in the PNG: what it shows, for checks and for whoever finds the file later
        "metadata": {"Title": t(lang, "export_title"), "Description": " · ".join(d.header),
                     "Disclaimer": t(lang, "demo_label") if d.generated else "",
                     "Ranking": ";".join(f"{int(r.rank)}:{r.code}:{r.index:.4f}" for r in top.itertuples())},
    }


def fmt(value, lang: str, decimals: int) -> str:
    return number(value, lang, decimals)


# --- in the drawing process ---------------------------------------------------------------------

def draw(job: dict) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    # text.parse_math off: text from a link or a package is drawn as it is ("$x^2$" is not typeset, "$\\unknowncmd$" is no error)
    plt.rcParams.update({"font.family": "DejaVu Sans", "svg.fonttype": "none", "pdf.fonttype": 42, "text.parse_math": False})
    return (_map_png if job["kind"] == "png" else _report_pdf)(job, plt)


def _draw_map(ax, job, label_size: float = 9, marker_size: float = 40) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    patches = []
    for geom in job["geometries"]:
        polys = getattr(geom, "geoms", [geom])
        vertices, codes = [], []
        for poly in polys:
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                vertices.append(xy)
                codes.append([Path.MOVETO] + [Path.LINETO] * (len(xy) - 2) + [Path.CLOSEPOLY])
        patches.append(PathPatch(Path(np.concatenate(vertices), np.concatenate(codes))))
    ax.add_collection(PatchCollection(patches, facecolor=job["colours"], edgecolor="#4d4d4d", linewidth=0.3))
    for line in job["outlines"]:
        for part in getattr(line, "geoms", [line]):
            xy = np.asarray(part.coords)
            ax.plot(xy[:, 0], xy[:, 1], color=palette.OUTLINE, linewidth=2.2, linestyle=(0, (4, 2.5)))
    for kind, (marker, colour) in PLACE_STYLE.items():
        pts = [(x, y) for k, x, y in job["places"] if k == kind]
        if pts:
            ax.scatter(*zip(*pts), marker=marker, s=marker_size, c=colour, edgecolors="white", linewidths=1.2, zorder=5,
                       label=job["place_labels"].get(kind, kind))
    for x, y, name in (job["cluster_labels"] if label_size else []):
        ax.annotate(name, (x, y), fontsize=label_size, fontweight="bold", ha="center", va="center", zorder=6,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()


def _legend(ax, job, fontsize: float) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=c, edgecolor="#777777", label=text) for c, text in job["legend"]]
    handles.append(Line2D([0], [0], color=palette.OUTLINE, linewidth=2.2, linestyle=(0, (4, 2.5)), label=job["outline_label"]))
    handles += [Line2D([0], [0], marker=m, color="w", markerfacecolor=c, markersize=8, label=job["place_labels"].get(k, k))
                for k, (m, c) in PLACE_STYLE.items()]
    ax.legend(handles=handles, title=job["legend_title"], loc="lower left", fontsize=fontsize, title_fontsize=fontsize + 1,
              frameon=True, framealpha=0.95)


def _header(fig, job, x: float, y: float, sizes: tuple[float, float, float], width: int) -> float:
    """Title, demo label and the shared export header (weights, method, date, sources); returns the y below it."""
    import textwrap
    title, demo, body = sizes
    fig.text(x, y, job["title"], fontsize=title, fontweight="bold", va="top")
    y -= 0.0012 * title + 0.012
    if job["generated"]:
        fig.text(x, y, job["demo"], fontsize=demo, fontweight="bold", color="#7a3e00", va="top",
                 bbox={"fc": "#fff1d6", "ec": "#e0a040", "boxstyle": "round,pad=0.25"})
        y -= 0.0023 * demo
    for line in job["header"][1 if job["generated"] else 0:]:
        wrapped = textwrap.wrap(line, width)
        fig.text(x, y, "\n".join(wrapped), fontsize=body, va="top", color="#222222")
        y -= 0.0017 * body * len(wrapped) + 0.003
    return y


def _map_png(job, plt) -> bytes:
    fig = plt.figure(figsize=(10, 11.2), dpi=220)  # 2 200 px wide
    y = _header(fig, job, x=0.02, y=0.975, sizes=(17, 12, 8.5), width=150)
    ax = fig.add_axes([0.02, 0.02, 0.96, y - 0.03])  # the map below the header, however many lines it has
    _draw_map(ax, job)
    _legend(ax, job, 9)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=220, metadata=job["metadata"])
    plt.close(fig)
    return buffer.getvalue()


def _report_pdf(job, plt) -> bytes:
    import textwrap
    fig = plt.figure(figsize=(8.27, 11.69))  # A4
    y = _header(fig, job, x=0.05, y=0.975, sizes=(15, 9.5, 6.5), width=125)
    ax = fig.add_axes([0.03, 0.43, 0.56, y - 0.44])
    _draw_map(ax, job, label_size=0, marker_size=14)  # the clusters are named in the list beside the map
    _legend(ax, job, 5.5)
    # top of the ranking
    fig.text(0.62, y - 0.005, job["top_title"], fontsize=9, fontweight="bold", va="top")
    row_y = y - 0.03
    fig.text(0.62, row_y, job["col_rank"], fontsize=7, fontweight="bold")
    fig.text(0.67, row_y, job["col_name"], fontsize=7, fontweight="bold")
    fig.text(0.93, row_y, job["col_index"], fontsize=7, fontweight="bold", ha="right")
    for rank, name, index in job["top"]:
        row_y -= 0.0175
        fig.text(0.62, row_y, str(rank), fontsize=7)
        fig.text(0.67, row_y, textwrap.shorten(name, 34, placeholder="…"), fontsize=7)
        fig.text(0.93, row_y, index, fontsize=7, ha="right")
    # clusters
    row_y -= 0.035
    fig.text(0.62, row_y, textwrap.shorten(job["clusters_title"], 40, placeholder="…"), fontsize=9, fontweight="bold")
    for name, members in job["clusters"]:
        row_y -= 0.017
        fig.text(0.62, row_y, textwrap.shorten(name, 40, placeholder="…"), fontsize=7, fontweight="bold")
        for line in textwrap.wrap(members, 52)[:3]:
            row_y -= 0.0125
            fig.text(0.63, row_y, line, fontsize=6.3)
    # UVAS chart
    tr = job["trend"]
    chart = fig.add_axes([0.08, 0.2, 0.5, 0.18])
    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
    for i, (name, kind, share) in enumerate(tr["series"]):
        style = {"cluster": {"color": palette[i % len(palette)], "linewidth": 1},
                 "all_clusters": {"color": "#111111", "linewidth": 2.2}}.get(kind, {"color": "#2166ac", "linewidth": 1.6, "linestyle": "--"})
        chart.plot(tr["years"], [np.nan if v is None else v for v in share], label=name, **style)
    for year in tr["follow_up"]:
        chart.axvline(year, color="#444444", linestyle="--", linewidth=0.8)
        chart.text(year, chart.get_ylim()[1], tr["follow_up_label"].format(year=year), fontsize=5.5, ha="right", va="top")
    chart.set_xlim(tr["years"][0] - 0.5, max(tr["follow_up"]) + 0.5)
    chart.set_ylim(bottom=0)
    chart.set_title(tr["title"], fontsize=8)
    chart.set_ylabel(tr["axis"], fontsize=7)
    chart.tick_params(labelsize=6)
    chart.legend(fontsize=5, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    # the method in plain words, below the cluster list
    text_y = min(0.385, row_y - 0.03)
    fig.text(0.62, text_y, job["method_title"], fontsize=9, fontweight="bold", va="top")
    text_y -= 0.023
    for paragraph in job["method"]:
        lines = textwrap.wrap(paragraph, 58)
        fig.text(0.62, text_y, "\n".join(lines), fontsize=6, va="top", linespacing=1.3)
        text_y -= 0.0105 * len(lines) + 0.006
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf", metadata={"Title": job["title"], "Subject": " · ".join(job["header"])})
    plt.close(fig)
    return buffer.getvalue()

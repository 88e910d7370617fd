"""The map as a print-quality PNG and a one-page A4 PDF report, drawn with matplotlib (no browser, no
tiles). `job(ctx, kind, data)` collects what the picture needs into a plain dict (areas in EPSG:3006,
colours, cluster outlines, places, trend, texts); `draw(job)` makes the bytes. The CLI draws in its
own process; the app draws in a separate process, admitted and bounded (dashboard/pictures.py).
"""
from __future__ import annotations

import io

import numpy as np
import shapely

from layers.output import palette
from layers.index.facilities import drawable
from layers.data.geography import METRIC_CRS
from layers.output.viewmodel import NO_DATA_COLOUR
from layers.output.texts import label, number, t

PLACE_STYLE = {kind: (p["marker"], p["colour"]) for kind, p in palette.PLACES.items()}
TOP_IN_REPORT = 15


def render(ctx, kind: str, d) -> bytes:
    """The picture for an export's data, drawn here and now."""
    return draw(job(ctx, kind, d))


def job(ctx, kind: str, d) -> dict:
    from layers.output.export import cluster_name
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
               s["kind"], s["share"], s["id"]) for s in trend["series"]]
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
    from matplotlib import patheffects
    from matplotlib.colors import to_rgba
    faces = [to_rgba(c, palette.FILL_OPACITY) for c in job["colours"]]  # as on the web map, over white
    ax.add_collection(PatchCollection(patches, facecolor=faces, edgecolor=palette.BORDER, linewidth=0.3))
    casing = [patheffects.withStroke(linewidth=3.6, foreground=palette.CASING)]
    for line in job["outlines"]:
        for part in getattr(line, "geoms", [line]):
            xy = np.asarray(part.coords)
            ax.plot(xy[:, 0], xy[:, 1], color=palette.OUTLINE, linewidth=2.2, linestyle=(0, (4, 2.5)), path_effects=casing)
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


def _chart(ax, tr, fontsize: float) -> None:
    """The UVAS chart: each line told apart by colour, dash and marker (palette.SERIES)."""
    k = 0
    for name, kind, share, series_id in tr["series"]:
        if kind == "cluster":
            look, k = palette.series(k), k + 1
        elif kind == "all_clusters":
            look = palette.ALL_CLUSTERS
        else:
            look = palette.REFERENCE_LINES["SE" if series_id == "SE" else "MALMO"]
        marker = palette.MPL_MARKERS.get(look["marker"], None)
        ax.plot(tr["years"], [np.nan if v is None else v for v in share], label=name, color=look["colour"],
                linewidth=look.get("width", 2) * 0.6, linestyle=palette.mpl_dash(look["dash"]), marker=marker, markersize=3.5)
    for year in tr["follow_up"]:
        ax.axvline(year, color="#444444", linestyle="--", linewidth=0.8)
        ax.text(year, ax.get_ylim()[1], tr["follow_up_label"].format(year=year), fontsize=fontsize * 0.8, ha="right", va="top")
    ax.set_xlim(tr["years"][0] - 0.5, max(tr["follow_up"]) + 0.5)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(tr["axis"], fontsize=fontsize)
    ax.tick_params(labelsize=fontsize * 0.85)
    ax.legend(fontsize=fontsize * 0.75, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)


def _png(fig, plt, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


REPORT_CSS = """
@page { size: A4; margin: 14mm 14mm 16mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #1d1d1f; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 3pt; }
h2 { font-size: 11.5pt; margin: 10pt 0 3pt; }
.demo { font-weight: bold; color: #7a3e00; background: #fff1d6; border: 1.5pt solid #e0a040; padding: 3pt 6pt; margin: 4pt 0; }
.header p { margin: 1pt 0; font-size: 8pt; }
figure { margin: 6pt 0; }
figure img { width: 100%; }
.map img { width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; margin: 3pt 0 6pt; }
caption { text-align: left; font-weight: bold; font-size: 9pt; padding-bottom: 2pt; }
th, td { border-bottom: 0.5pt solid #ccc; padding: 1.5pt 4pt; text-align: left; }
td.num, th.num { text-align: right; }
.method p { margin: 2pt 0 4pt; }
.cluster-members { font-size: 8pt; }
"""


def _report_pdf(job, plt) -> bytes:
    """The committee report: an HTML document printed by WeasyPrint as a tagged PDF (PDF/UA-1), so
    headings, tables, reading order, the language and the pictures' text alternatives reach a screen
    reader (EN 301 549 clause 10). The map and the chart are drawn by matplotlib as pictures with an
    alternative text; the chart's values are also a table."""
    import base64
    from html import escape

    import weasyprint

    fig = plt.figure(figsize=(7.2, 5.3))
    ax = fig.add_axes([0, 0, 1, 1])
    _draw_map(ax, job, label_size=0, marker_size=18)
    _legend(ax, job, 7)
    map_png = _png(fig, plt, 200)
    tr = job["trend"]
    fig = plt.figure(figsize=(7.2, 2.7))
    ax = fig.add_axes([0.08, 0.3, 0.9, 0.66])
    _chart(ax, tr, 8)
    chart_png = _png(fig, plt, 200)

    def e(text) -> str:
        return escape(str(text), quote=True)

    def img(data: bytes, alt: str) -> str:
        return f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" alt="{e(alt)}">'

    top_names = ", ".join(f"{rank}. {name} ({index})" for rank, name, index in job["top"][:5])
    map_alt = t(job["lang"], "report_map_alt", top=top_names, clusters="; ".join(n for n, _ in job["clusters"]) or "–")
    header = "".join(f"<p>{e(line)}</p>" for line in job["header"][1 if job["generated"] else 0:])
    top_rows = "".join(f'<tr><td class="num">{rank}</td><th scope="row">{e(name)}</th><td class="num">{e(index)}</td></tr>'
                       for rank, name, index in job["top"])
    clusters = "".join(f"<li><strong>{e(name)}</strong>: <span class=\"cluster-members\">{e(members)}</span></li>"
                       for name, members in job["clusters"])
    chart_head = "".join(f'<th scope="col" class="num">{year}</th>' for year in tr["years"])
    chart_rows = "".join(
        f'<tr><th scope="row">{e(name)}</th>' + "".join(
            f'<td class="num">{"–" if v is None else e(fmt(v, job["lang"], 1))}</td>' for v in share) + "</tr>"
        for name, _, share, _ in tr["series"])
    method = "".join(f"<p>{e(p)}</p>" for p in job["method"])
    document = f"""<!DOCTYPE html>
<html lang="{e(job['lang'])}"><head><meta charset="utf-8"><title>{e(job['title'])}</title>
<meta name="description" content="{e(' · '.join(job['header']))}"></head>
<body><main>
<h1>{e(job['title'])}</h1>
{f'<p class="demo">{e(job["demo"])}</p>' if job["generated"] else ''}
<div class="header">{header}</div>
<figure class="map">{img(map_png, map_alt)}</figure>
<table><caption>{e(job['top_title'])}</caption>
<thead><tr><th scope="col" class="num">{e(job['col_rank'])}</th><th scope="col">{e(job['col_name'])}</th><th scope="col" class="num">{e(job['col_index'])}</th></tr></thead>
<tbody>{top_rows}</tbody></table>
<h2>{e(job['clusters_title'])}</h2>
<ul>{clusters}</ul>
<h2>{e(tr['title'])}</h2>
<figure>{img(chart_png, t(job["lang"], "report_chart_alt", title=tr["title"]))}</figure>
<table><caption>{e(t(job["lang"], "report_chart_table"))}</caption>
<thead><tr><th scope="col">{e(t(job["lang"], "report_year"))}</th>{chart_head}</tr></thead><tbody>{chart_rows}</tbody></table>
<section class="method"><h2>{e(job['method_title'])}</h2>{method}</section>
</main></body></html>"""

    # every picture is inline: the report reads no file and no network, whatever a text contains
    inline_only = weasyprint.urls.URLFetcher(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True)
    return weasyprint.HTML(string=document, url_fetcher=inline_only).write_pdf(
        stylesheets=[weasyprint.CSS(string=REPORT_CSS)], pdf_variant="pdf/ua-1", uncompressed_pdf=False)

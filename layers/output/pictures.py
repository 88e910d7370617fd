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
from layers.output.texts import label, number, t, tp

PLACE_STYLE = {kind: (p["marker"], p["colour"]) for kind, p in palette.PLACES.items()}
TOP_IN_REPORT = 15
DPI = 200  # the report's pictures: drawn at the size they print, so their 9 pt is 9 pt on paper


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
    method = d.state.method
    scaling = tp(ctx.pkg, lang, "norm_" + method.normalisation)
    clusters_sentence = (t(lang, "report_method_clusters_alone", top=method.top_n, minb=fmt(method.min_shared_m, lang, 0))
                         if method.extend_threshold is None else
                         t(lang, "report_method_clusters", top=method.top_n, ext=fmt(method.extend_threshold, lang, 2), minb=fmt(method.min_shared_m, lang, 0)))
    return {
        "kind": kind, "lang": lang, "generated": d.generated, "header": d.header,
        "title": tp(ctx.pkg, lang, "export_title"), "demo": t(lang, "demo_label"),
        "geometries": list(areas.geometry.values), "colours": colours,
        "outlines": outlines, "cluster_labels": [(p.x, p.y, names[c["id"]]) for p, c in zip(label_points, vm["clusters"])],
        "places": [(row.kind, row.geometry.x, row.geometry.y) for row in places.itertuples()],
        "place_labels": kinds, "legend": legend, "legend_title": t(lang, "legend_title"),
        "outline_label": t(lang, "cluster_outline"),
        "parts": d.parts,
        "legend_swatches": [(palette.over_white(c, palette.FILL_OPACITY), text) for c, text in legend],
        "brief_method": [t(lang, "report_method_index", n=len(ctx.pkg.manifest.indicators), scaling=scaling), clusters_sentence],
        "projections": {s["id"]: s["projection"] for s in trend["series"] if s.get("projection")},
        "projection_label": t(lang, "projection"), "gap_words": trend.get("gap_words", {}).get(lang, ""),
        "trend": {"years": trend["years"], "follow_up": trend["follow_up"], "series": series,
                  "title": t(lang, "trend_title_age", ages=trend["age_group"].replace("-", "–")), "axis": t(lang, "trend_axis"),
                  "follow_up_label": t(lang, "follow_up", year="{year}")},
        "top": [(int(r.rank), str(r.name), fmt(r.index, lang, 2)) for r in top.itertuples()],
        "top_title": t(lang, "report_top", n=len(top)), "col_rank": t(lang, "col_rank"), "col_name": t(lang, "col_name"),
        "col_index": t(lang, "col_index"),
        "clusters": [(names[c["id"]], ", ".join(m["name"] for m in c["members"])) for c in vm["clusters"]],
        "clusters_title": t(lang, "clusters"),
        "method": [t(lang, k) for k in ("how_what", "how_protect")],  # paper: not the page's instructions ("Under Metod kan du …")
        "method_title": t(lang, "how_title"),
        # machine-readable in the PNG: what it shows, for checks and for whoever finds the file later
        "metadata": {"Title": tp(ctx.pkg, lang, "export_title"), "Description": " · ".join(d.header),
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
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    if label_size:
        place_labels(ax, job["cluster_labels"], label_size)


def place_labels(ax, items, fontsize: float) -> list[str]:
    """Each label (x, y, text), in order of importance, at the first of palette.LABEL_SPOTS where it
    lies inside the axes and clear of the labels before it; a label with no such place is left out.
    Returns the texts drawn."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = []
    drawn = []
    for x, y, text in items:
        note = ax.annotate(text, (x, y), xytext=(0, 0), textcoords="offset points", fontsize=fontsize, fontweight="bold",
                           ha="center", va="center", zorder=6, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.88})
        box = note.get_window_extent(renderer)
        w, h = box.width * 72 / fig.dpi, box.height * 72 / fig.dpi  # in points
        for dx, dy in palette.LABEL_SPOTS:
            note.set_position((dx * (w / 2 + 4), dy * h * 0.9))
            box = note.get_window_extent(renderer).expanded(1.04, 1.08)
            inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                drawn.append(text)
                break
        else:
            note.remove()
    return drawn


def _legend(fig, job, fontsize: float, ncol: int) -> None:
    """The map's legend, under the map (beside the city, never over it)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=c, edgecolor="#777777", label=text) for c, text in job["legend"]]
    handles.append(Line2D([0], [0], color=palette.OUTLINE, linewidth=2.2, linestyle=(0, (4, 2.5)), label=job["outline_label"]))
    handles += [Line2D([0], [0], marker=m, color="w", markerfacecolor=c, markersize=8, label=job["place_labels"].get(k, k))
                for k, (m, c) in PLACE_STYLE.items()]
    fig.legend(handles=handles, title=job["legend_title"], loc="lower center", bbox_to_anchor=(0.5, 0.005), ncol=ncol, fontsize=fontsize,
               title_fontsize=fontsize + 1, frameon=False)


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
    ax = fig.add_axes([0.02, 0.1, 0.96, y - 0.11])  # the map below the header, however many lines it has; the legend under it
    _legend(fig, job, 9, ncol=4)
    _draw_map(ax, job)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=220, metadata=job["metadata"])
    plt.close(fig)
    return buffer.getvalue()


def _chart(ax, tr, fontsize: float, projections: dict | None = None, projection_label: str = "") -> None:
    """The UVAS chart: each line told apart by colour, dash and marker (palette.SERIES); with
    `projections`, each line's projection dashed to the last follow-up year, with its 95 % band where
    the view model draws one; the follow-up years marked inside the plot, clear of its frame."""
    from matplotlib.lines import Line2D
    k, top = 0, 0.0
    for name, kind, share, series_id in tr["series"]:
        if kind == "cluster":
            look, k = palette.series(k), k + 1
        elif kind == "all_clusters":
            look = palette.ALL_CLUSTERS
        else:
            look = palette.REFERENCE_LINES["SE" if series_id == "SE" else "MALMO"]
        marker = palette.MPL_MARKERS.get(look["marker"], None)
        values = [np.nan if v is None else v for v in share]
        ax.plot(tr["years"], values, label=name, color=look["colour"], linewidth=look.get("width", 2) * 0.6,
                linestyle=palette.mpl_dash(look["dash"]), marker=marker, markersize=3.5)
        top = max([top] + [v for v in values if v == v])
        p = (projections or {}).get(series_id)
        if p:
            last = next((v for v in reversed(values) if v == v), None)
            ax.plot([tr["years"][-1]] + p["years"], [last] + p["share"], color=look["colour"], linewidth=1.0, linestyle=(0, (5, 2)))
            if p.get("band"):
                ax.fill_between(p["years"], p["lower"], p["upper"], color=look["colour"], alpha=0.13, linewidth=0)
                top = max([top] + p["upper"])
    ax.set_xlim(tr["years"][0] - 0.5, max(tr["follow_up"]) + 0.5)
    ax.set_ylim(0, top * 1.22 if top else 1)  # room above the lines for the follow-up labels
    for year in tr["follow_up"]:
        ax.axvline(year, color="#444444", linestyle="--", linewidth=0.8)
        ax.annotate(tr["follow_up_label"].format(year=year).replace(" ", "\n", 1), (year, 1), xycoords=("data", "axes fraction"), xytext=(-3, -3),
                    textcoords="offset points", fontsize=fontsize, ha="right", va="top",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.9})
    ax.set_ylabel(tr["axis"], fontsize=fontsize)
    ax.tick_params(labelsize=fontsize)
    handles, labels = ax.get_legend_handles_labels()
    if projections:
        handles.append(Line2D([0], [0], color="#555555", linewidth=1.0, linestyle=(0, (5, 2))))
        labels.append(projection_label)
    ax.legend(handles, labels, fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, handlelength=2.6)


def _png(fig, plt, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


REPORT_CSS = """
@page { size: A4; margin: 9mm 13mm 11mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 9pt; }
        @bottom-left { content: string(demo); font-size: 9pt; font-weight: bold; color: #7a3e00; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; color: #1d1d1f; line-height: 1.2; }
h1 { font-size: 15pt; margin: 0 0 2pt; }
h2 { font-size: 10.5pt; margin: 4pt 0 1.5pt; }
p { margin: 1.5pt 0; }
.demo { string-set: demo content(); font-weight: bold; color: #7a3e00; background: #fff1d6; border: 1.2pt solid #e0a040; padding: 2pt 5pt; margin: 3pt 0; }
.brief-row { display: grid; grid-template-columns: 98mm 1fr; column-gap: 5mm; }
figure { margin: 2pt 0; }
.map img { width: 98mm; }
.chart img { width: 184mm; }
ul.legend { list-style: none; padding: 0; margin: 2pt 0 0; }
ul.legend li { display: inline-block; margin: 0 7pt 1.5pt 0; }
.swatch { display: inline-block; width: 8pt; height: 8pt; border: 0.5pt solid #777; vertical-align: -1pt; margin-right: 2pt; }
.outline { display: inline-block; width: 12pt; border-top: 1.6pt dashed; vertical-align: 2pt; margin-right: 2pt; }
.place { font-size: 9pt; margin-right: 2pt; }
table { border-collapse: collapse; width: 100%; margin: 1pt 0 4pt; }
caption { text-align: left; font-weight: bold; font-size: 10.5pt; padding-bottom: 2pt; }
th, td { border-bottom: 0.5pt solid #ccc; padding: 1pt 3pt; text-align: left; }
td.num, th.num { text-align: right; }
ul.clusters { padding-left: 10pt; margin: 1pt 0; }
ul.clusters li { margin: 0 0 2pt; }
.sources p { margin: 0 0 1pt; }
.appendix { break-before: page; }
.appendix table { font-size: 9pt; }
"""

PLACE_GLYPHS = {"o": "\u25cf", "s": "\u25a0", "D": "\u25c6", "^": "\u25b2"}
BRIEF_TOPS = (10, 8, 6, 5)  # the top areas on page 1: as many of these as fit


def _report_pdf(job, plt) -> bytes:
    """The committee report: one A4 page a committee secretary can hand out (title, demo label,
    weights and method; map with its legend beside the top areas and the clusters; UVAS with its
    projection; the method in two sentences; the sources), and an appendix page with the tables
    behind it. HTML printed by WeasyPrint as a tagged PDF (PDF/UA-1): headings, tables, reading order,
    the language and the pictures' text alternatives reach a screen reader (EN 301 549 clause 10).
    Every text is at least 9 pt; the pictures are drawn at the size they print (200 dpi), so theirs is too."""
    import base64
    from html import escape

    import weasyprint

    lang, tr, parts = job["lang"], job["trend"], job["parts"]
    fig = plt.figure(figsize=(98 / 25.4, 84 / 25.4))
    ax = fig.add_axes([0, 0, 1, 1])
    _draw_map(ax, job, label_size=9, marker_size=16)
    map_png = _png(fig, plt, DPI)
    fig = plt.figure(figsize=(184 / 25.4, 47 / 25.4))
    ax = fig.add_axes([0.065, 0.14, 0.6, 0.82])
    _chart(ax, tr, 9, job["projections"], job["projection_label"])
    chart_png = _png(fig, plt, DPI)

    def e(text) -> str:
        return escape(str(text), quote=True)

    def img(data: bytes, alt: str) -> str:
        return f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" alt="{e(alt)}">'

    def top_table(rows, caption) -> str:
        body = "".join(f'<tr><td class="num">{rank}</td><th scope="row">{e(name)}</th><td class="num">{e(index)}</td></tr>' for rank, name, index in rows)
        return (f'<table><caption>{e(caption)}</caption><thead><tr><th scope="col" class="num">{e(job["col_rank"])}</th>'
                f'<th scope="col">{e(job["col_name"])}</th><th scope="col" class="num">{e(job["col_index"])}</th></tr></thead><tbody>{body}</tbody></table>')

    top_names = ", ".join(f"{rank}. {name} ({index})" for rank, name, index in job["top"][:5])
    map_alt = t(lang, "report_map_alt", top=top_names, clusters="; ".join(n for n, _ in job["clusters"]) or "–")
    legend = "".join(f'<li><span class="swatch" style="background:{colour}"></span>{e(text)}</li>' for colour, text in job["legend_swatches"])
    legend += f'<li><span class="outline" style="border-color:{palette.OUTLINE}"></span>{e(job["outline_label"])}</li>' if job["clusters"] else ""
    legend += "".join(f'<li><span class="place" style="color:{colour}">{PLACE_GLYPHS.get(marker, "*")}</span>{e(job["place_labels"].get(kind, kind))}</li>'
                      for kind, (marker, colour) in PLACE_STYLE.items() if any(k == kind for k, _, _ in job["places"]))
    clusters = "".join(f"<li><strong>{e(name)}</strong>: {e(members)}</li>" for name, members in job["clusters"])
    clusters_html = (f'<h2>{e(job["clusters_title"])}</h2><ul class="clusters">{clusters}</ul>' if clusters else "")
    chart_head = "".join(f'<th scope="col" class="num">{year}</th>' for year in tr["years"])
    chart_rows = "".join(
        f'<tr><th scope="row">{e(name)}</th>' + "".join(
            f'<td class="num">{"–" if v is None else e(fmt(v, lang, 1))}</td>' for v in share) + "</tr>"
        for name, _, share, _ in tr["series"])
    on_top = "".join(f"<p>{e(line)}</p>" for line in (parts["notice"], parts["method"] + " · " + parts["date"]) if line)
    def projected(p, year) -> str:
        if year not in p["years"]:
            return "–"
        k = p["years"].index(year)
        return f"{fmt(p['share'][k], lang, 1)} ({fmt(p['lower'][k], lang, 1)}–{fmt(p['upper'][k], lang, 1)})" if p.get("band") else fmt(p["share"][k], lang, 1)
    shown = [(name, job["projections"][sid]) for name, _, _, sid in tr["series"] if sid in job["projections"]]
    projection_table = "" if not shown else (
        f'<table><caption>{e(t(lang, "report_projection_table"))}</caption><thead><tr><th scope="col">{e(t(lang, "report_series"))}</th>'
        + "".join(f'<th scope="col" class="num">{year}</th>' for year in tr["follow_up"]) + "</tr></thead><tbody>"
        + "".join(f'<tr><th scope="row">{e(name)}</th>' + "".join(f'<td class="num">{e(projected(p, year))}</td>' for year in tr["follow_up"]) + "</tr>"
                  for name, p in shown) + "</tbody></table>")
    prefix = t(lang, "export_sources") + ": "  # under its own heading: the sources as one paragraph, without the prefix
    sources = "<p>" + e(" · ".join(line.removeprefix(prefix) for line in parts["sources"])) + "</p>"
    def document(brief_top: int, appendix: bool) -> str:
        return f"""<!DOCTYPE html>
<html lang="{e(lang)}"><head><meta charset="utf-8"><title>{e(job['title'])}</title>
<meta name="description" content="{e(' · '.join(job['header']))}"></head>
<body><main>
<h1>{e(job['title'])}</h1>
{f'<p class="demo">{e(job["demo"])}</p>' if job["generated"] else ''}
<div class="header">{on_top}</div>
<div class="brief-row">
<div><figure class="map">{img(map_png, map_alt)}</figure><ul class="legend" aria-label="{e(job['legend_title'])}">{legend}</ul></div>
<div>{top_table(job["top"][:brief_top], t(lang, "report_top", n=len(job["top"][:brief_top])))}{clusters_html}</div>
</div>
<h2>{e(tr['title'])}</h2>
<figure class="chart">{img(chart_png, t(lang, "report_chart_alt", title=tr["title"]))}</figure>
{f'<p>{e(job["gap_words"])}</p>' if job["gap_words"] else ''}
<h2>{e(job['method_title'])}</h2>
{''.join(f'<p>{e(sentence)}</p>' for sentence in job["brief_method"])}
<section class="sources"><h2>{e(t(lang, "report_sources"))}</h2>{sources}</section>
{appendix_html if appendix else ''}
</main></body></html>"""

    appendix_html = f"""<section class="appendix" id="appendix"><h2>{e(t(lang, "report_appendix"))}</h2>
{top_table(job["top"], job["top_title"])}
<table><caption>{e(t(lang, "report_chart_table"))}</caption>
<thead><tr><th scope="col">{e(t(lang, "report_year"))}</th>{chart_head}</tr></thead><tbody>{chart_rows}</tbody></table>
{projection_table}
{''.join(f'<p>{e(p)}</p>' for p in job["method"])}
</section>"""

    # every picture is inline: the report reads no file and no network, whatever a text contains
    inline_only = weasyprint.urls.URLFetcher(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True)
    css = [weasyprint.CSS(string=REPORT_CSS)]
    options = {"stylesheets": css, "pdf_variant": "pdf/ua-1", "uncompressed_pdf": False}
    # the brief is one page: the appendix starts on page 2. With long names (GeSO's) page 1 lists fewer
    # of the top areas (the appendix has them all); usually the first layout is the one printed.
    for rows in BRIEF_TOPS:
        printed = weasyprint.HTML(string=document(rows, True), url_fetcher=inline_only).render(**options)
        if len(printed.pages) > 1 and "appendix" in printed.pages[1].anchors:
            break
    return printed.write_pdf(**{k: v for k, v in options.items() if k != "stylesheets"})

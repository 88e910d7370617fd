"""Exports in one registry (after datasette's output renderers): CSV, XLSX, GeoJSON, PNG and PDF.

Each renderer takes the same `ExportData` (the state's ranking, clusters and trend from the view
model, and one shared header: demo label, skipped link parts, weights and method, date, sources)
and returns bytes. The app's route `/api/export.<format>` and the command line's
`python -m layers export` look the format up here, so their files agree. `ctx` is anything with
the package, its engine and its view models (`Release` here; the app's context). Text from data is
neutralised against spreadsheet formulas in CSV and XLSX (layers/output/cells.py).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd
import shapely

from layers.analysis.allocation import allocate
from layers.output.cells import comment_line, comment_number, neutralise, neutralise_frame, one_line
from layers.index.weights import check_weights, normalise_weights
from layers.index.disclosure import DECIMALS
from layers.data.provenance import credits
from layers.index import clusters
from layers.output import provenance
from layers.view import State, skipped_text, view_settings
from layers.output.texts import label, number, t, tp



@dataclass
class ExportData:
    """Everything an export shows for one state, computed once."""

    state: State
    lang: str
    labels: dict[str, str]  # indicator key → label in the export's language
    frame: pd.DataFrame  # one row per area, ranked: typed values (numbers stay numbers)
    vm: dict
    info: dict
    generated: bool
    parts: dict  # the header by name (header_parts)

    @property
    def header(self) -> list[str]:
        """The header's lines: demo label, skipped parts, weights and method, date, sources."""
        return header_lines(self.parts)

    def column(self, key: str, **values) -> str:
        return t(self.lang, key, **values)


def export_data(ctx, state: State, skipped: list | None = None) -> ExportData:
    lang, m = state.lang, ctx.pkg.manifest
    settings = view_settings(state)
    result = ctx.engine.index(dict(settings.weights), state.level, state.method.normalisation, state.method.aggregation)
    info = ctx.views.level_info(state.level)
    vm = ctx.views.view_model(settings)
    ranked = result.frame()
    position = np.array([info["codes"].index(c) for c in ranked["code"]])
    labels = {i.key: label(i.labels, lang) for i in m.indicators}
    frame = pd.DataFrame({"rank": ranked["rank"], "code": ranked["code"], "name": ranked["name"],
                          "geso": [info["geso_names"][p] for p in position], "index": ranked["index"]})
    if state.level == m.index_level:  # nothing was published for other levels, and clusters are found at this one
        change = np.asarray(vm["rank_change"])[position]
        frame["change"] = pd.array([int(c) if r is not pd.NA else None for c, r in zip(change, ranked["rank"])], dtype="Int64")
        cluster_of = {mem["code"]: cluster_name(c, lang) for c in vm["clusters"] for mem in c["members"]}
        frame["cluster"] = [cluster_of.get(c, "") for c in ranked["code"]]
    for key in result.keys:
        frame[f"value_{key}"] = ranked[f"value_{key}"]
        frame[f"scaled_{key}"] = ranked[f"scaled_{key}"]
    frame["generated"] = [bool(info["generated"][p]) for p in position]
    frame = shown_precision(frame)

    parts = header_parts(ctx, state, skipped, result.weights)
    return ExportData(state, lang, labels, frame, vm, info, ctx.pkg.is_generated(), parts)


def export_header(ctx, state: State, skipped: list | None, weights: dict[str, float]) -> list[str]:
    """The lines every export starts with, in the state's language: the demo label, the link's
    skipped parts (named, never echoed), weights and method, date, sources. `weights` sum to 1."""
    return header_lines(header_parts(ctx, state, skipped, weights))


def header_lines(parts: dict) -> list[str]:
    """The header's parts as its lines, in their order."""
    return [line for line in (parts["demo"], parts["notice"], parts["method"], parts["date"]) if line] + parts["sources"]


def header_parts(ctx, state: State, skipped: list | None, weights: dict[str, float]) -> dict:
    """The header's parts by name (demo, notice, method, date, sources: a list), for an export that
    places them apart (the committee report: the method on top, the sources at the foot)."""
    lang, m = state.lang, ctx.pkg.manifest
    labels = {i.key: label(i.labels, lang) for i in m.indicators}
    level_label = next(label(lv.labels, lang) for lv in m.levels if lv.id == state.level)
    method = (f"{weights_line(labels, weights, lang)} · {t(lang, 'normalisation')}: {tp(ctx.pkg, lang, 'norm_' + state.method.normalisation)} · "
              f"{t(lang, 'aggregation')}: {tp(ctx.pkg, lang, 'agg_' + state.method.aggregation)} · {t(lang, 'level')}: {level_label}")
    return {"demo": t(lang, "demo_label") if ctx.pkg.is_generated() else None,
            "notice": one_line(t(lang, "url_notice", items=skipped_text(lang, skipped, labels))) if skipped else None,
            "method": one_line(method), "date": f"{t(lang, 'export_date')}: {date.today().isoformat()}",
            "sources": [one_line(line) for line in [f"{t(lang, 'export_sources')}: " + "; ".join(credits(ctx.pkg))] + provenance.source_lines(ctx, lang)]}


def weights_line(labels: dict[str, str], weights: dict[str, float], lang: str) -> str:
    """'Vikter: Trångboddhet 50 %, …': the weighting in words, as every export and embed says it."""
    return f"{t(lang, 'weights')}: " + ", ".join(f"{labels[k]} {round(100 * w)} %" for k, w in weights.items())


def shown_precision(frame: pd.DataFrame) -> pd.DataFrame:
    """Every number at the decimals shown (layers.index.disclosure.DECIMALS), once, for every format: no export
    carries more precision than the table."""
    for column in frame.columns:
        kind = "index" if column == "index" else column.split("_", 1)[0]
        if kind in DECIMALS and pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(DECIMALS[kind])
    return frame


def cluster_name(cluster: dict, lang: str) -> str:
    """A view model's cluster by its name in `lang` (layers/clusters.cluster_name)."""
    return clusters.cluster_name(cluster["lead"], len(cluster["members"]), lang)


def table_columns(d: ExportData) -> list[tuple[str, str, int | None]]:
    """(frame column, heading, decimals) in export order; decimals None for text and whole numbers."""
    cols = [("rank", d.column("col_rank"), None), ("code", d.column("col_code"), None), ("name", d.column("col_name"), None),
            ("geso", d.column("col_geso"), None)]
    if "change" in d.frame:
        cols += [("change", d.column("col_change_csv"), None), ("cluster", d.column("col_cluster"), None)]
    cols.append(("index", d.column("col_index"), DECIMALS["index"]))
    for key, name in d.labels.items():
        cols.append((f"value_{key}", d.column("col_value", label=name), DECIMALS["value"]))
        cols.append((f"scaled_{key}", d.column("col_scaled", label=name), DECIMALS["scaled"]))
    return cols


def render_csv(d: ExportData) -> bytes:
    """Swedish Excel conventions in Swedish (';' and decimal comma); fixed decimals per column."""
    out, text = pd.DataFrame(), []
    for column, heading, digits in table_columns(d):
        values = d.frame[column]
        if digits is None:
            out[heading] = values
            text.append(heading)
        else:
            out[heading] = [number(v, d.lang, digits, group=False) if pd.notna(v) else "" for v in values]
    out[d.column("col_demo")] = [d.column("yes") if g else d.column("no") for g in d.frame["generated"]]
    out[text] = neutralise_frame(out[text])  # text from data: a formula must not run in the spreadsheet
    out.columns = [neutralise(c) for c in out.columns]
    buffer = io.StringIO()
    sep = ";" if d.lang == "sv" else ","
    for line in d.header:  # one cell in a spreadsheet, starting with '#' (layers/output/cells.py)
        buffer.write(comment_line(line, sep))
    out.to_csv(buffer, index=False, sep=sep, lineterminator="\n")
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(d: ExportData) -> bytes:
    """The ranking on one sheet (numbers as numbers; the demo note above it, when values are generated;
    a filter on the header row, columns as wide as what they hold), the method, weights, sources and
    demo note on another."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def cell_text(text: str) -> str:  # XLSX cannot hold control characters (a link can carry them into the notice)
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", one_line(text)))

    book = Workbook()
    sheet = book.active
    sheet.title = d.column("ranking")[:31]
    columns = table_columns(d)
    if d.generated:  # said where the numbers are, not only in a column and on the other sheet
        sheet.append([cell_text(d.header[0])])
        sheet["A1"].font = Font(bold=True, color="7A3E00")
    head_row = sheet.max_row + 1 if d.generated else 1
    sheet.append([cell_text(h) for _, h, _ in columns] + [d.column("col_demo")])
    for cell in sheet[head_row]:
        cell.font = Font(bold=True)
    for row in d.frame.itertuples(index=False):
        values = []
        for column, _, digits in columns:
            v = getattr(row, column)
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                values.append(None)
            elif digits is not None:
                values.append(round(float(v), digits))
            elif isinstance(v, (int, np.integer)):
                values.append(int(v))
            else:
                values.append(cell_text(str(v)))
        values.append(d.column("yes") if row.generated else d.column("no"))
        sheet.append(values)
    for column, (_, _, digits) in enumerate(columns, start=1):
        if digits:
            for cells in sheet.iter_rows(min_row=head_row + 1, min_col=column, max_col=column):
                cells[0].number_format = "0." + "0" * digits
    from openpyxl.utils import get_column_letter
    for column, cells in enumerate(sheet.iter_cols(min_row=head_row), start=1):  # wide enough for the header and the longest value
        longest = max(len(str(c.value)) for c in cells if c.value is not None)
        sheet.column_dimensions[get_column_letter(column)].width = min(45, max(8, longest + 2))
    sheet.auto_filter.ref = f"A{head_row}:{get_column_letter(len(columns) + 1)}{sheet.max_row}"
    sheet.freeze_panes = f"A{head_row + 1}"
    about = book.create_sheet(d.column("method")[:31])
    for line in d.header:
        about.append([cell_text(line)])
    if d.generated:
        about["A1"].font = Font(bold=True, color="7A3E00")
    about.column_dimensions["A"].width = 140
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_geojson(ctx, d: ExportData) -> bytes:
    """The index per area with its geometry (EPSG:4326); the header as a foreign member `metadata`."""
    areas = ctx.pkg.boundaries[d.state.level]
    features = []
    for row in d.frame.itertuples(index=False):
        props = {}
        for column in d.frame.columns:
            v = getattr(row, column)
            props[column] = None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else \
                (int(v) if isinstance(v, (np.integer,)) else float(v) if isinstance(v, np.floating) else v)
        features.append({"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(areas.geometry[row.code]))})
    collection = {"type": "FeatureCollection", "metadata": {"lines": d.header, "generated": d.generated}, "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Format:
    content_type: str
    render: Callable  # (ctx, ExportData) -> bytes
    heavy: bool = False  # the app draws it in a separate process (dashboard/pictures.py), so other users are not held up


def _pictures(kind: str):
    def render(ctx, d):
        from layers.output import pictures
        return pictures.render(ctx, kind, d)  # here and now; the app draws heavy formats in its drawing process
    return render


FORMATS: dict[str, Format] = {
    "csv": Format("text/csv; charset=utf-8", lambda ctx, d: render_csv(d)),
    "xlsx": Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", lambda ctx, d: render_xlsx(d)),
    "geojson": Format("application/geo+json", render_geojson),
    "png": Format("image/png", _pictures("png"), heavy=True),
    "pdf": Format("application/pdf", _pictures("pdf"), heavy=True),
}


def filename(ctx, state: State, fmt: str) -> str:
    return f"malmo-index-{state.level}{'-DEMO' if ctx.pkg.is_generated() else ''}.{fmt}"


# --- the allocation (the panel's "Vad betyder det för pengarna?"): one product, CSV --------------

def allocation_filename() -> str:
    return f"fordelning-{date.today().isoformat()}.csv"


def allocation_frame(ctx, settings, budget: int, rule: str, unit: str, floor: int):
    m = settings.method
    return allocate(ctx.engine, budget, "cluster" if unit == "cluster" else settings.level, rule, floor, dict(settings.weights),
                    m.normalisation, m.aggregation, m.cluster_settings)


def unit_name(row, lang: str) -> str:
    """An allocation unit's name in the page's language: a cluster by the exports' one naming rule."""
    lead = getattr(row, "lead", None)
    if isinstance(lead, str):
        return cluster_name({"lead": lead, "members": row.members.split(",")}, lang)
    return str(row.name)


def allocation_csv(ctx, state, skipped, frame, checked) -> bytes:
    """The allocation as CSV: the exports' own header (export.export_header, through the one comment
    writer), the allocation's terms, then one row per unit."""
    budget, rule, unit, floor = checked
    lang = state.lang
    sep = ";" if lang == "sv" else ","
    cur = t(lang, "currency")
    weights = normalise_weights(check_weights(dict(view_settings(state).weights), ctx.engine.keys))  # shares, as the engine takes them
    out = io.StringIO()
    for line in export_header(ctx, state, skipped, weights):
        out.write(comment_line(line, sep))
    step = comment_number(frame.attrs["step"], lang)
    out.write(comment_line(f"{t(lang, 'alloc_title')}: {comment_number(budget, lang)} {cur} · {t(lang, 'alloc_rule_' + rule, child_ages=ctx.pkg.children_ages)} · "
                           f"{t(lang, 'alloc_floor_words')}: {comment_number(floor, lang)} {cur} · {t(lang, 'alloc_step', step=step, currency=cur)}", sep))
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow([t(lang, "alloc_col_code"), t(lang, "alloc_col_name"), t(lang, "alloc_need"), t(lang, "children_label", child_ages=ctx.pkg.children_ages),
                     t(lang, "alloc_amount")])
    for r in frame.itertuples():
        writer.writerow([neutralise(str(r.code)), neutralise(unit_name(r, lang)), "" if r.need != r.need else number(r.need, lang, 4, group=False),
                         "" if r.children != r.children else int(r.children), int(r.amount)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")

"""What a room's wall, its phones and its exports show, from the stored votes (layers/rooms.py) and
the agreement kernel (layers/analysis/room.py): the wall's model, the two SVG pictures (the weights'
distributions, the agreement map), a participant's own map, and the anonymised votes as a table."""
from __future__ import annotations

import io
from html import escape

import numpy as np
import pandas as pd

from layers.analysis.room import AGREEMENT, agreement, median_weighting, weightings
from layers.output.cells import neutralise, neutralise_frame
from layers.output.palette import AGREEMENT as AGREEMENT_COLOURS, INDEX, OUTLINE
from layers.output.svgmap import svg_map
from layers.output.texts import label, number, t

RANKING_ROWS = 30  # areas listed on the wall


def _labels(engine, lang: str) -> dict[str, str]:
    return {i.key: label(i.labels, lang) for i in engine.pkg.manifest.indicators}


def weight_spread(engine, votes) -> tuple[dict, dict[str, float]]:
    """Each weight's shares over the votes (percent, sorted) and its median; and the room's median
    weighting (analysis/room.py median_weighting). The strips need only this, not the agreement."""
    keys = engine.keys
    w = weightings([v.weights for v in votes], keys) if votes else np.zeros((0, len(keys)))
    spread = {k: {"shares": sorted(int(round(100 * x)) for x in w[:, j]), "median": int(round(100 * float(np.median(w[:, j]))))}
              if len(w) else {"shares": [], "median": None} for j, k in enumerate(keys)}
    return spread, median_weighting(w, keys)


def wall_model(engine, room, votes, lang: str, level: str, normalisation: str, aggregation: str, top_n: int) -> dict:
    """The wall's figures: the count always; while the votes are revealed, each weight's shares and
    median, the room's median weighting, the agreement per area and its words."""
    keys, labels = engine.keys, _labels(engine, lang)
    out = {**room.public(), "count": len(votes), "top_n": top_n, "keys": keys, "labels": labels,
           "words": {"count": t(lang, "room_votes", n=number(len(votes), lang, 0))},
           "demo": t(lang, "demo_label") if engine.pkg.is_generated() else None}
    if not room.revealed:
        return out | {"hidden": True}
    out["weights"], median = weight_spread(engine, votes)
    out["median"] = {k: round(100 * v, 1) for k, v in median.items()}
    out["words"]["median"] = t(lang, "room_median_words", weights=", ".join(f"{labels[k]} {number(round(100 * v), lang, 0)}\u00a0%"
                                                                             for k, v in median.items()))
    if room.nicknames:
        out["nicknames"] = sorted({v.nickname for v in votes if v.nickname})
    if not votes:
        return out | {"areas": [], "classes": {}}
    frame = agreement(engine, [v.weights for v in votes], level, normalisation, aggregation, top_n)
    counts = frame["agreement"].value_counts()
    out["classes"] = {c: int(counts.get(c, 0)) for c in AGREEMENT}
    out["words"]["summary"] = t(lang, "room_summary", all=out["classes"]["all"], most=out["classes"]["most"],
                                depends=out["classes"]["depends"], n=top_n)
    listed = frame[frame["share_top"] > 0].head(RANKING_ROWS)
    out["areas"] = [{"code": r.code, "name": r.name, "share": int(round(100 * r.share_top)), "agreement": r.agreement,
                     "class_words": t(lang, f"room_{r.agreement}", n=top_n),
                     "rank_low": int(r.rank_p05), "rank_high": int(r.rank_p95)} for r in listed.itertuples()]
    return out


def agreement_svg(engine, votes, lang: str, level: str, normalisation: str, aggregation: str, top_n: int) -> str:
    """The agreement map: each area coloured by how many participants put it in their top N."""
    areas = engine.pkg.boundaries[level]
    colours = {}
    if votes:
        frame = agreement(engine, [v.weights for v in votes], level, normalisation, aggregation, top_n)
        colours = {r.code: AGREEMENT_COLOURS[AGREEMENT.index(r.agreement)] for r in frame.itertuples() if r.agreement}
    return svg_map(areas, colours, t(lang, "room_map_title"), t(lang, "room_map_desc", n=top_n, votes=len(votes)))


def own_map(engine, weights: dict, lang: str, level: str, normalisation: str, aggregation: str, top_n: int) -> tuple[str, list[str]]:
    """A participant's map: the top N under their weights in the index's darkest class; and their names."""
    from layers.index.weights import check_weights, normalise_weights
    result = engine.index(normalise_weights(check_weights(weights, engine.keys)), level, normalisation, aggregation)
    order = np.argsort(np.where(result.rank > 0, result.rank, len(result.rank) + 1), kind="stable")[:top_n]
    top = [str(result.codes[i]) for i in order if result.rank[i] > 0]
    names = dict(zip(result.codes.astype(str), result.names.astype(str)))
    rest = {str(c): "#ffffff" for c, r in zip(result.codes, result.rank) if r > 0}  # areas with an index, not in the top: white
    svg = svg_map(engine.pkg.boundaries[level], rest | {c: INDEX[-1] for c in top}, t(lang, "room_yours", n=top_n),
                  ", ".join(names[c] for c in top))
    return svg, [names[c] for c in top]


def weights_svg(engine, votes, lang: str, width: int = 600) -> str:
    """Each weight's distribution over the votes: one strip per indicator, a dot per vote (share 0–100 %),
    the median as a bar; the indicator's name and median written beside it."""
    keys = engine.keys
    model = {"labels": _labels(engine, lang), "weights": weight_spread(engine, votes)[0]}
    row, left = 70, 8
    height = row * len(keys) + 24
    parts = []
    for j, key in enumerate(keys):
        y = 22 + j * row
        dist = model.get("weights", {}).get(key, {"shares": [], "median": None})
        median = dist["median"]
        head = model["labels"][key] + (f": {t(lang, 'room_median', pct=number(median, lang, 0) + chr(160) + '%')}" if median is not None else "")
        parts.append(f'<text x="{left}" y="{y}" font-size="20" fill="#1a1a1a">{escape(head)}</text>')
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y + 30}" y2="{y + 30}" stroke="#6a6a6a" stroke-width="1"/>')
        seen: dict[int, int] = {}
        for share in dist["shares"]:
            stack = seen.get(share, 0)
            seen[share] = stack + 1
            x = left + (width - 16) * share / 100
            parts.append(f'<circle cx="{x:.1f}" cy="{y + 30 - 6 * min(stack, 3):.1f}" r="5" fill="{OUTLINE}" fill-opacity="0.55"/>')
        if median is not None:
            x = left + (width - 16) * median / 100
            parts.append(f'<rect x="{x - 2.5:.1f}" y="{y + 12}" width="5" height="30" fill="#bd0026"/>')
    axis = f'<text x="{left}" y="{height - 2}" font-size="16" fill="#4a4a4a">0 %</text>' \
           f'<text x="{width - 8}" y="{height - 2}" font-size="16" fill="#4a4a4a" text-anchor="end">100 %</text>'
    desc = "; ".join(f"{model['labels'][k]}: {model['weights'][k]['median']} %" for k in keys
                     if model.get("weights", {}).get(k, {}).get("median") is not None)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="wt wd" '
            f'font-family="DejaVu Sans, Verdana, sans-serif"><title id="wt">{escape(t(lang, "room_weights_title"))}</title><desc id="wd">{escape(desc)}</desc>{"".join(parts)}{axis}</svg>')


def votes_frame(engine, votes, lang: str) -> pd.DataFrame:
    """One row per vote: the minute it was sent and the slider positions; no token, no nickname."""
    labels = _labels(engine, lang)
    rows = [{t(lang, "room_col_minute"): v.minute, **{labels[k]: v.weights.get(k) for k in engine.keys}} for v in votes]
    return pd.DataFrame(rows, columns=[t(lang, "room_col_minute"), *[labels[k] for k in engine.keys]])


def votes_csv(frame: pd.DataFrame, header: list[str], lang: str) -> bytes:
    from layers.output.cells import comment_line
    sep = ";" if lang == "sv" else ","
    buffer = io.StringIO()
    for line in header:
        buffer.write(comment_line(line, sep))
    out = frame.copy()
    out.columns = [neutralise(c) for c in out.columns]
    out = neutralise_frame(out) if len(out) else out
    for column in out.columns[1:]:
        out[column] = [number(v, lang, 1, group=False) if pd.notna(v) else "" for v in out[column]]
    out.to_csv(buffer, index=False, sep=sep, lineterminator="\n")
    return buffer.getvalue().encode("utf-8-sig")


def votes_xlsx(frame: pd.DataFrame, header: list[str], sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    for line in header:
        ws.append([neutralise(line)])
    ws.append([neutralise(c) for c in frame.columns])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([neutralise(str(row[0]))] + [None if pd.isna(v) else float(v) for v in row[1:]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


VOTE_FORMATS = {  # the votes' export, by the registry's shape: content type and renderer
    "csv": ("text/csv; charset=utf-8", lambda frame, header, lang: votes_csv(frame, header, lang)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             lambda frame, header, lang: votes_xlsx(frame, header, t(lang, "room_votes_sheet"))),
}

"""The ranking as CSV for analysts: Swedish Excel conventions in Swedish (';' and decimal comma)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from layers.cells import neutralise_frame

from .state import State, skipped_text, view_settings
from .texts import t

DECIMALS = {"index": 4, "value": 2, "scaled": 4}  # per kind of column, the same on every row


def ranking_csv(ctx, state: State, skipped: list | None = None) -> tuple[bytes, str]:
    lang = state.lang
    m = ctx.pkg.manifest
    settings = view_settings(state)
    result = ctx.engine.index(dict(settings.weights), state.level, state.method.normalisation, state.method.aggregation)
    info = ctx.views.level_info(state.level)
    vm = ctx.views.view_model(settings)
    frame = result.frame()
    position = np.array([info["codes"].index(c) for c in frame["code"]])
    labels = {i.key: (i.labels.get(lang) or i.labels["sv"]) for i in m.indicators}
    at_index_level = state.level == m.index_level

    out = pd.DataFrame({t(lang, "col_rank"): frame["rank"], t(lang, "col_code"): frame["code"], t(lang, "col_name"): frame["name"],
                        t(lang, "col_geso"): [info["geso_names"][p] for p in position]})
    numbers = {t(lang, "col_index"): (frame["index"], DECIMALS["index"])}
    for key in result.keys:
        numbers[t(lang, "col_value", label=labels[key])] = (frame[f"value_{key}"], DECIMALS["value"])
        numbers[t(lang, "col_scaled", label=labels[key])] = (frame[f"scaled_{key}"], DECIMALS["scaled"])
    if at_index_level:  # nothing was published for other levels, and clusters are found at this level
        change = np.asarray(vm["rank_change"])[position]
        out[t(lang, "col_change_csv")] = pd.array([int(c) if r else None for c, r in zip(change, frame["rank"].notna())], dtype="Int64")
        cluster_of = {mem["code"]: t(lang, "cluster_name", name=c["lead"]) if len(c["members"]) > 1 else c["lead"]
                      for c in vm["clusters"] for mem in c["members"]}
        out[t(lang, "col_cluster")] = [cluster_of.get(c, "") for c in frame["code"]]
    out[t(lang, "col_demo")] = [t(lang, "yes") if info["generated"][p] else t(lang, "no") for p in position]
    out = neutralise_frame(out)  # text from data: a formula must not run in the spreadsheet
    decimal = "," if lang == "sv" else "."
    for name, (values, digits) in numbers.items():  # numbers as text with a fixed number of decimals
        out.insert(len(out.columns) - 1, name, [f"{v:.{digits}f}".replace(".", decimal) if pd.notna(v) else "" for v in values])
    out.columns = [c if not c.startswith(("=", "+", "-", "@")) else "'" + c for c in out.columns]

    buffer = io.StringIO()
    if ctx.pkg.is_generated():
        buffer.write(f"# {t(lang, 'demo_label')}\n")
    if skipped:
        buffer.write(f"# {t(lang, 'url_notice', items=skipped_text(lang, skipped, labels))}\n")
    weights = ", ".join(f"{labels[k]} {round(100 * w)} %" for k, w in result.weights.items())
    # one cell in Excel: no ';' (the Swedish separator) in the comment lines
    buffer.write(f"# {t(lang, 'weights')}: {weights} · {t(lang, 'normalisation')}: {t(lang, 'norm_' + state.method.normalisation)} · "
                 f"{t(lang, 'aggregation')}: {t(lang, 'agg_' + state.method.aggregation)}\n".replace(";", ","))
    out.to_csv(buffer, index=False, sep=";" if lang == "sv" else ",", lineterminator="\n")
    suffix = "-DEMO" if ctx.pkg.is_generated() else ""
    return buffer.getvalue().encode("utf-8-sig"), f"malmo-index-{state.level}{suffix}.csv"

"""The ranking as CSV for analysts: Swedish Excel conventions in Swedish (';' and decimal comma)."""
from __future__ import annotations

import io

from layers.cells import neutralise_frame
from .state import State, skipped_text
from .texts import t


def ranking_csv(ctx, state: State, skipped: list | None = None) -> tuple[bytes, str]:
    lang = state.lang
    m = ctx.pkg.manifest
    result = ctx.engine.index(dict(state.weights), state.level, state.method.normalisation, state.method.aggregation)
    info = ctx.views.level_info(state.level)
    frame = result.frame()
    position = {c: i for i, c in enumerate(info["codes"])}
    labels = {i.key: (i.labels.get(lang) or i.labels["sv"]) for i in m.indicators}
    out = frame[["rank", "code", "name"]].copy()
    out.columns = [t(lang, "col_rank"), "code", t(lang, "col_name")]
    out[t(lang, "col_geso")] = [info["geso_names"][position[c]] for c in frame["code"]]
    out[t(lang, "col_index")] = frame["index"].round(4)
    for key in result.keys:
        out[t(lang, "col_value", label=labels[key])] = frame[f"value_{key}"].round(2)
        out[t(lang, "col_scaled", label=labels[key])] = frame[f"scaled_{key}"].round(4)
    out["demo"] = [info["generated"][position[c]] for c in frame["code"]]
    buffer = io.StringIO()
    if ctx.pkg.is_generated():
        buffer.write(f"# {t(lang, 'demo_label')}\n")
    if skipped:
        buffer.write(f"# {t(lang, 'url_notice', items=skipped_text(lang, skipped, labels))}\n")
    weights = ", ".join(f"{labels[k]} {w:.0%}" for k, w in result.weights.items())
    buffer.write(f"# {t(lang, 'weights')}: {weights}; {t(lang, 'normalisation')}: {t(lang, 'norm_' + state.method.normalisation)}; "
                 f"{t(lang, 'aggregation')}: {t(lang, 'agg_' + state.method.aggregation)}\n")
    neutralise_frame(out).to_csv(buffer, index=False, sep=";" if lang == "sv" else ",", decimal="," if lang == "sv" else ".", lineterminator="\n")
    suffix = "-DEMO" if ctx.pkg.is_generated() else ""
    return buffer.getvalue().encode("utf-8-sig"), f"malmo-index-{state.level}{suffix}.csv"



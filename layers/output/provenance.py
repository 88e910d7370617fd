"""Provenance in words, in one place: the demo notice naming exactly what is generated,
each indicator's source line (method panel, area card, exports) and the footer's credits, all from
the package's manifest and its `generated` marks (layers/data/provenance.py)."""
from __future__ import annotations

from layers.data.provenance import credits, generated_parts, indicator_sources

from layers.output.texts import label, t




def _parts(pkg) -> tuple:
    return tuple(generated_parts(pkg))


def notice(ctx, lang: str, level: str | None = None) -> str | None:
    """The demo notice: None when every shown value is real; the default package's own text when
    every indicator is generated at the index level, as shipped (at a `level` whose areas are
    generated too, it says so); else the generated parts by name."""
    parts = _parts(ctx.pkg)
    if not parts:
        return None
    m = ctx.pkg.manifest
    levels = {lv.id: label(lv.labels, lang) for lv in m.levels}
    if m.name == "malmo" and sum(1 for p in parts if p[0] == "indicator" and m.index_level in p[2:]) == len(m.indicators):
        return t(lang, "demo_notice_level", level=levels[level]) if ("level", level) in parts else t(lang, "demo_notice")
    indicators = {i.key: label(i.labels, lang) for i in m.indicators}
    words = []
    for part in parts:
        if part[0] == "indicator":
            words.append(t(lang, "gen_indicator", name=indicators[part[1]], levels=", ".join(levels[lv] for lv in part[2:])))
        elif part[0] == "level":
            words.append(t(lang, "gen_level", level=levels[part[1]]))
        else:
            words.append(t(lang, f"gen_{part[0]}"))
    return t(lang, "demo_notice_parts", parts=_join(words, lang))


def _join(words: list[str], lang: str) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + t(lang, "gap_and") + words[-1]


def source_lines(ctx, lang: str) -> list[str]:
    """One line per indicator: its label, source, year, licence, and whether its values are real."""
    m = ctx.pkg.manifest
    levels = {lv.id: label(lv.labels, lang) for lv in m.levels}
    labels = {i.key: label(i.labels, lang) for i in m.indicators}
    out = []
    for src in indicator_sources(ctx.pkg):
        bits = [src.source or t(lang, "source_unknown"), str(src.year)] + ([src.licence] if src.licence else [])
        if src.imported:
            bits.append(t(lang, "source_imported", when=src.imported[:10]))
        state = t(lang, "source_real") if src.real else t(lang, "source_generated", levels=", ".join(levels[lv] for lv in src.generated_levels))
        out.append(f"{labels[src.key]}: {', '.join(bits)} – {state}")
    return out


def card_sources(ctx, lang: str) -> dict:
    """For the area card's "Källa" line (drawn in the browser): per indicator, its source and year,
    and the levels whose values are generated."""
    return {src.key: {"source": src.source or t(lang, "source_unknown"), "year": src.year, "licence": src.licence,
                      "generated": list(src.generated_levels)} for src in indicator_sources(ctx.pkg)}


def footer_credits(ctx, lang: str) -> str:
    return t(lang, "footer_sources", sources="; ".join(credits(ctx.pkg)))

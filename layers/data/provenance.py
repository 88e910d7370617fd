"""Where each part of a package comes from, and which parts are generated (demonstration) values.

The dashboard's demo notice, the method panel's sources, the area card's "Källa" line, the footer's
credits and every export read these, so a package whose shown values are all real shows no demo
notice, and a mixed one names exactly what is generated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.data.geography import ancestors
from layers.data.package import DataPackage


@dataclass(frozen=True)
class IndicatorSource:
    key: str
    source: str
    year: int
    licence: str
    imported: str  # ISO time of the import, "" if the package was written by hand or generated
    generated_levels: tuple[str, ...]  # levels whose rows for this indicator are generated

    @property
    def real(self) -> bool:
        return not self.generated_levels


def indicator_sources(pkg: DataPackage) -> list[IndicatorSource]:
    """Per indicator: source, year, licence, import time and the levels with generated rows."""
    m = pkg.manifest
    rows = pkg.indicators
    level_of = pkg.level_of()
    out = []
    for ind in m.indicators:
        raw = next((i for i in m.raw.get("indicators", []) if i.get("key") == ind.key), {})
        mine = rows[(rows["indicator"] == ind.key) & rows["generated"]]
        levels = sorted({level_of.get(c) for c in mine["code"] if c in level_of}, key=m.level_ids.index)
        out.append(IndicatorSource(ind.key, ind.source, ind.year, str(raw.get("licence") or raw.get("license") or ""),
                                   str(raw.get("imported") or ""), tuple(levels)))
    return out


def generated_parts(pkg: DataPackage) -> list[tuple[str, ...]]:
    """What is generated, as (part, detail…): ("indicator", key, level, …), ("level", id),
    ("population",), ("uvas",), ("facilities",). Empty when every shown value is real."""
    parts: list[tuple[str, ...]] = []
    for src in indicator_sources(pkg):
        if src.generated_levels:
            parts.append(("indicator", src.key, *src.generated_levels))
    for level in pkg.manifest.levels:
        if level.generated:
            parts.append(("level", level.id))
    for name, table in (("population", pkg.population), ("uvas", pkg.uvas), ("facilities", pkg.facilities)):
        if table is not None and "generated" in table and table["generated"].any():
            parts.append((name,))
    return parts


def generated_areas(pkg: DataPackage, level: str) -> np.ndarray:
    """Per area of `level`: True when any value shown for it is generated. An aggregate is
    generated when any of its inputs is (a GeSO summed from generated delområde rows is demo data).
    The one per-area rule: the page, every export and the CLI's tables mark areas by it."""
    m = pkg.manifest
    if m.level(level).generated:
        return np.ones(len(pkg.boundaries[level]), dtype=bool)
    rows = pd.concat([pkg.indicators.loc[pkg.indicators["generated"], "code"],
                      pkg.population.loc[pkg.population["generated"], "code"],
                      pkg.uvas.loc[pkg.uvas["generated"], "code"]])
    generated = set(rows)
    codes = pkg.boundaries[level].index
    out = codes.isin(list(generated))
    if m.level_ids.index(level) < m.level_ids.index(m.index_level):  # summed from the index level's rows
        parent_of = ancestors(pkg.boundaries, m.levels, m.index_level, level)
        out |= codes.isin(list(parent_of[parent_of.index.isin(list(generated))].unique()))
    return np.asarray(out, dtype=bool)


def credits(pkg: DataPackage) -> list[str]:
    """The package's sources, as its manifest names them (for the footer and the exports)."""
    out = []
    for s in pkg.manifest.raw.get("sources", []):
        if isinstance(s, dict) and s.get("title"):
            licence = s.get("licence") or s.get("license")
            out.append(str(s["title"]) + (f" ({licence})" if licence else ""))
    return list(dict.fromkeys(out))

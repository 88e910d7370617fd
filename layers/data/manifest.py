"""The package manifest (`datapackage.json`): levels, indicators, disclosure settings."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from layers.errors import Problem

MANIFEST = "datapackage.json"
# Identifiers from a package (indicator keys, level ids, kinds of places) become URL keys, element ids,
# CSS classes and selectors in the page: only these are accepted (and the page escapes them anyway).
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,39}")


def check_identifier(value, where: str, what: str, problems: list[Problem]) -> bool:
    if isinstance(value, str) and IDENTIFIER.fullmatch(value):
        return True
    problems.append(Problem(MANIFEST, f"{where}: {what} {str(value)[:60]!r} must be a lower-case letter followed by at most 39 "
                                      "lower-case letters, digits or '_'"))
    return False


def check_relative_path(value: str, where: str, problems: list[Problem]) -> bool:
    """A file named in the manifest: a plain relative path inside the package (no '..', not absolute)."""
    path = PurePosixPath(value)
    if value and not path.is_absolute() and ".." not in path.parts and "\\" not in value and ":" not in value:
        return True
    problems.append(Problem(MANIFEST, f"{where}: path {value[:80]!r} must be a relative path inside the package folder"))
    return False


@dataclass(frozen=True)
class Level:
    id: str
    labels: dict[str, str]
    path: str
    parent: str | None
    generated: bool = False


@dataclass(frozen=True)
class Indicator:
    key: str
    labels: dict[str, str]
    unit: str
    population: str
    year: int
    source: str
    suppress_below: float | None  # percent; values below it are published as 0
    min_denominator: int | None = None  # overrides the package-wide setting


@dataclass(frozen=True)
class Manifest:
    name: str
    title: str
    levels: list[Level]
    index_level: str
    indicators: list[Indicator]
    min_denominator: int
    licenses: list[Any] = field(default_factory=list)
    sources: list[Any] = field(default_factory=list)
    raw: dict = field(default_factory=dict)  # the whole manifest, extra keys kept

    @property
    def level_ids(self) -> list[str]:
        return [lv.id for lv in self.levels]

    def level(self, level_id: str) -> Level:
        for lv in self.levels:
            if lv.id == level_id:
                return lv
        raise KeyError(level_id)

    @property
    def indicator_keys(self) -> list[str]:
        return [ind.key for ind in self.indicators]

    def min_denominator_for(self, key: str) -> int:
        ind = next(i for i in self.indicators if i.key == key)
        return self.min_denominator if ind.min_denominator is None else ind.min_denominator


def _labels(value: Any, where: str, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("sv"), str) or not value.get("sv"):
        problems.append(Problem(MANIFEST, f"{where}: 'labels' must be an object with at least a Swedish label 'sv'"))
        return {"sv": "?", "en": "?"}
    return {"sv": value["sv"], "en": value.get("en") or value["sv"]}


def _require(obj: dict, key: str, kind: type | tuple, where: str, problems: list[Problem]):
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        problems.append(Problem(MANIFEST, f"{where}: '{key}' is required and must be {names} (got {value!r})"))
        return None
    return value


def parse_manifest(raw: Any) -> tuple[Manifest | None, list[Problem]]:
    """Check a loaded manifest; return it with the list of every problem found."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        return None, [Problem(MANIFEST, "the manifest must be a JSON object")]
    name = _require(raw, "name", str, "manifest", problems) or ""
    title = raw.get("title") if isinstance(raw.get("title"), str) else name

    levels: list[Level] = []
    raw_levels = _require(raw, "levels", list, "manifest", problems) or []
    seen: set[str] = set()
    for i, lv in enumerate(raw_levels):
        where = f"levels[{i}]"
        if not isinstance(lv, dict):
            problems.append(Problem(MANIFEST, f"{where} must be an object"))
            continue
        lid = _require(lv, "id", str, where, problems)
        path = _require(lv, "path", str, where, problems)
        if lid is not None and not check_identifier(lid, where, "level id", problems):
            lid = None
        if path is not None and not check_relative_path(path, where, problems):
            path = None
        parent = lv.get("parent")
        if lid in seen:
            problems.append(Problem(MANIFEST, f"{where}: level id '{lid}' is used twice"))
        if parent is not None and parent not in seen:
            problems.append(Problem(MANIFEST, f"{where}: parent level '{parent}' must be listed before '{lid}' (levels go coarse to fine)"))
        if lid and path:
            seen.add(lid)
            levels.append(Level(lid, _labels(lv.get("labels"), where, problems), path, parent, bool(lv.get("generated", False))))
    if raw_levels and not levels:
        problems.append(Problem(MANIFEST, "no usable level"))

    index_level = raw.get("index_level", "delomrade")
    if levels and index_level not in seen:
        problems.append(Problem(MANIFEST, f"index_level '{index_level}' is not one of the levels {sorted(seen)}"))

    indicators: list[Indicator] = []
    keys: set[str] = set()
    for i, ind in enumerate(_require(raw, "indicators", list, "manifest", problems) or []):
        where = f"indicators[{i}]"
        if not isinstance(ind, dict):
            problems.append(Problem(MANIFEST, f"{where} must be an object"))
            continue
        key = _require(ind, "key", str, where, problems)
        if key is not None and not check_identifier(key, where, "indicator key", problems):
            key = None
        year = _require(ind, "year", int, where, problems)
        suppress = ind.get("suppress_below")
        if suppress is not None and (not isinstance(suppress, (int, float)) or isinstance(suppress, bool) or not 0 <= suppress <= 100):
            problems.append(Problem(MANIFEST, f"{where}: 'suppress_below' must be a percentage 0–100 or null (got {suppress!r})"))
            suppress = None
        min_den = ind.get("min_denominator")
        if min_den is not None and (not isinstance(min_den, int) or min_den < 0):
            problems.append(Problem(MANIFEST, f"{where}: 'min_denominator' must be a whole number ≥ 0 or absent"))
            min_den = None
        if key in keys:
            problems.append(Problem(MANIFEST, f"{where}: indicator key '{key}' is used twice"))
        if key and year is not None:
            keys.add(key)
            indicators.append(Indicator(
                key, _labels(ind.get("labels"), where, problems), str(ind.get("unit", "percent")),
                str(ind.get("population", "")), year, str(ind.get("source", "")),
                None if suppress is None else float(suppress), min_den))
    if not indicators and not any("indicators" in p.message for p in problems):
        problems.append(Problem(MANIFEST, "at least one indicator is required"))

    kinds = raw.get("facility_kinds", [])
    if not isinstance(kinds, list):
        problems.append(Problem(MANIFEST, "facility_kinds must be a list"))
    else:
        for i, kind in enumerate(kinds):
            if not isinstance(kind, dict):
                problems.append(Problem(MANIFEST, f"facility_kinds[{i}] must be an object"))
            else:
                check_identifier(kind.get("id"), f"facility_kinds[{i}]", "kind id", problems)

    disclosure = raw.get("disclosure", {})
    min_denominator = disclosure.get("min_denominator", 0) if isinstance(disclosure, dict) else None
    if not isinstance(min_denominator, int) or isinstance(min_denominator, bool) or min_denominator < 0:
        problems.append(Problem(MANIFEST, f"disclosure.min_denominator must be a whole number ≥ 0 (got {min_denominator!r})"))
        min_denominator = 0

    if problems:
        return None, problems
    return Manifest(name, title, levels, index_level, indicators, min_denominator,
                    raw.get("licenses", []), raw.get("sources", []), raw), []

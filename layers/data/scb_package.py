"""A data package for any Swedish municipality from SCB's open data alone:
`python -m layers build scb --kommun 1280 --level regso --year 2024 --into data/scb-1280`.

What it fetches (every value real, none generated; every file's provenance in `provenance/`):
- the municipality's RegSO and DeSO polygons from SCB's WFS (`fetch_wfs`), RegSO the parent of DeSO;
- low economic standard for children 0–19 per area (TAB6685, SCB's own measure: a proxy for the
  låg inkomststandard of Malmö's index, and labelled so), at the index level and, for a RegSO
  package, at DeSO too;
- the population by age (TAB6574): the children 0–19 are the indicator's denominator and the
  allocation's children, the total is the area's population;
- any further table the user names (`--table TAB… --select VAR=CODE`), one percentage per area;
- SCB's socio-economic index and områdestyp per RegSO (TAB6586) as a reference layer
  (`reference/scb_omradestyp.csv`), which the analysis layer compares with the index (python -m layers reference).

The package is written to a folder beside the target, loaded and validated (`load_package`), and only
then moved into place: a failed build leaves nothing behind and no half-written package.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from layers.data.connectors import Client, Metadata, fetch_scb, fetch_wfs, scb_metadata, write_areas
from layers.data.manifest import IDENTIFIER
from layers.errors import SourceError

LOW_STANDARD, POPULATION, REFERENCE = "TAB6685", "TAB6574", "TAB6586"
CHILD_AGES = "0-19"  # the children's group of TAB6685 (SCB's own) and of the allocation in such a package
INDICATOR_KEY = "lag_ekonomisk_standard"
LEVELS = ("regso", "deso")
LEVEL_LABELS = {"regso": {"sv": "RegSO", "en": "RegSO"}, "deso": {"sv": "DeSO", "en": "DeSO"}}
CREDIT = "Källa: SCB"
LICENCE = "CC0-1.0"
REFERENCE_FILE = "reference/scb_omradestyp.csv"
PACKAGE_COLUMNS = {
    "indicators.csv": ["code", "year", "indicator", "value", "denominator", "generated"],
    "population.csv": ["code", "year", "age_group", "count", "generated"],
    "uvas.csv": ["code", "year", "age_group", "share", "count", "generated"],
    "facilities.csv": ["id", "kind", "name", "address", "lat", "lon", "position", "area_code", "source", "generated"],
}


class BuildError(SourceError):
    """A build that cannot be made from what SCB answered; says which table and what is wrong."""


def code_lists(year: int) -> dict[str, tuple[str, int]]:
    """The code list and WFS layer year per level for a statistics year: SCB uses the 2025 lists
    (DeSO2025, RegSO2025) from 2024 on, DeSO2018 and RegSO2020 before."""
    if year >= 2024:
        return {"regso": ("vs_RegSO2025", 2025), "deso": ("vs_DeSO2025", 2025)}
    return {"regso": ("vs_RegSO2020", 2020), "deso": ("vs_DeSO2018", 2018)}


@dataclass
class ExtraTable:
    """A further SCB table the user names: one percentage per area once `select` is applied."""
    table: str
    select: dict[str, list[str]] = field(default_factory=dict)
    label: str = ""

    @property
    def key(self) -> str:
        return self.table.lower()


def _pick(meta: Metadata, dim: str, test, what: str) -> list[str]:
    codes = [c for c, label in meta.dimensions.get(dim, {}).items() if test(c, label)]
    if not codes:
        found = "; ".join(f"{c} {label}" for c, label in list(meta.dimensions.get(dim, {}).items())[:12])
        raise BuildError(f"{meta.table}: no {what} in {dim} (found: {found or 'no such variable'})")
    return codes


def _year_code(meta: Metadata, year: int) -> str:
    return _pick(meta, "Tid", lambda c, _: c == str(year), f"year {year}")[0]


def _is_percent(meta: Metadata, code: str) -> bool:
    unit = meta.units.get(code, "").lower()
    label = meta.dimensions.get("ContentsCode", {}).get(code, "").lower()
    return "procent" in unit or "%" in unit or "andel" in label or "%" in label


_BAND = re.compile(r"^(\d*)\s*[-–]\s*(\d*)$")


def child_bands(meta: Metadata, top: int = 19) -> list[str]:
    """TAB6574's age bands (codes such as '-4', '5-9', '15-19') that make up 0–`top` exactly."""
    bands = []
    for code in meta.dimensions.get("Alder", {}):
        hit = _BAND.match(code)
        if hit and hit.group(2) and int(hit.group(2)) <= top:
            bands.append((int(hit.group(1) or 0), int(hit.group(2)), code))
    bands.sort()
    covered = 0
    for low, high, _ in bands:
        if low != covered:
            break
        covered = high + 1
    if not bands or covered != top + 1:
        raise BuildError(f"{meta.table}: its age bands do not add up to 0–{top} "
                         f"(found: {', '.join(meta.dimensions.get('Alder', {}))})")
    return [code for _, _, code in bands]


def _provenance(provenance: dict, body: dict | None = None) -> dict:
    return {**provenance, "credit": CREDIT, "licence": LICENCE, **({"selection": body} if body else {})}


def fetch_level(scb: Client, level: str, kommun: str, year: int, areas: pd.Index, extra: list[ExtraTable]):
    """Indicator rows and population rows for one level's areas, and each table's provenance."""
    codelist = code_lists(year)[level][0]
    provenance = {}
    # population: children 0–19 and everyone, both sexes
    meta = scb_metadata(scb, POPULATION, codelist)
    bands = child_bands(meta)
    total = _pick(meta, "Alder", lambda c, label: c.lower() == "totalt" or "totalt" in label.lower(), "total of all ages")[0]
    sexes = _pick(meta, "Kon", lambda c, label: c == "1+2" or label.lower() in ("totalt", "båda könen"), "both sexes")[:1]
    contents = list(meta.dimensions.get("ContentsCode", {}))[:1]
    select = {"Alder": bands + [total], "Kon": sexes, "Tid": [_year_code(meta, year)], **({"ContentsCode": contents} if contents else {})}
    pop, prov = fetch_scb(scb, POPULATION, f"kommun:{kommun}", codelist, select)
    provenance[POPULATION] = _provenance(prov, select)
    pop = pop[pop["Region"].isin(areas) & pop["value"].notna()]
    children = pop[pop["Alder"].isin(bands)].groupby("Region")["value"].sum()
    everyone = pop[pop["Alder"] == total].set_index("Region")["value"]
    population = pd.concat([
        pd.DataFrame({"code": everyone.index, "year": year, "age_group": "total", "count": everyone.round().astype(int).to_numpy()}),
        pd.DataFrame({"code": children.index, "year": year, "age_group": CHILD_AGES, "count": children.round().astype(int).to_numpy()}),
    ])
    # low economic standard 0–19: SCB's percentage (or its count over the children)
    meta = scb_metadata(scb, LOW_STANDARD, codelist)
    ages = _pick(meta, "Alder", lambda c, label: bool(re.match(r"^0\s*[-–]\s*19\b", c) or re.match(r"^0\s*[-–]\s*19\b", label)), "the age group 0–19")
    low = ["000008AC"] if "000008AC" in meta.dimensions.get("ContentsCode", {}) else \
        _pick(meta, "ContentsCode", lambda c, label: "låg" in label.lower(), "low economic standard")[:1]
    select = {"Alder": ages[:1], "ContentsCode": low, "Tid": [_year_code(meta, year)]}
    frame, prov = fetch_scb(scb, LOW_STANDARD, f"kommun:{kommun}", codelist, select)
    provenance[LOW_STANDARD] = _provenance(prov, select)
    rows = [_indicator_rows(frame, INDICATOR_KEY, year, areas, children, _is_percent(meta, low[0]), LOW_STANDARD)]
    for table in extra:
        meta = scb_metadata(scb, table.table, codelist)
        select = {**table.select}
        if "Tid" in meta.dimensions and "Tid" not in select:
            select["Tid"] = [_year_code(meta, year)]
        frame, prov = fetch_scb(scb, table.table, f"kommun:{kommun}", codelist, select)
        provenance[table.table] = _provenance(prov, select)
        content = select.get("ContentsCode", list(meta.dimensions.get("ContentsCode", {})))[:1]
        if content and not _is_percent(meta, content[0]):
            raise BuildError(f"{table.table}: {meta.dimensions['ContentsCode'].get(content[0], content[0])} is not a percentage; "
                             "an indicator is a share of people (choose a percentage with --select ContentsCode=…)")
        rows.append(_indicator_rows(frame, table.key, year, areas, everyone, True, table.table))
    return pd.concat(rows), population, provenance


def _indicator_rows(frame: pd.DataFrame, key: str, year: int, areas: pd.Index, denominators: pd.Series,
                    percent: bool, table: str) -> pd.DataFrame:
    frame = frame[frame["Region"].isin(areas)]
    if frame.duplicated("Region").any():
        others = [c for c in frame.columns if c not in ("Region", "value", "status") and not c.endswith("_label")
                  and frame[c].nunique() > 1]
        raise BuildError(f"{table}: more than one value per area (they differ in {', '.join(others)}): "
                         "choose one with --select VARIABLE=CODE")
    values = frame.set_index("Region")["value"].dropna().astype(float)
    dens = denominators.reindex(values.index)
    if not percent:  # a count of people: over the denominator
        values = 100 * values / dens
    values = values[values.notna() & (values >= 0) & (values <= 100)]
    return pd.DataFrame({"code": values.index, "year": year, "indicator": key, "value": values.round(2).to_numpy(),
                         "denominator": dens.reindex(values.index).round().astype("Int64").to_numpy()})


def fetch_reference(scb: Client, kommun: str, year: int, regso: pd.Index):
    """SCB's socio-economic index and områdestyp (1–5) per RegSO, the latest year up to `year`."""
    codelist = code_lists(year)["regso"][0]
    meta = scb_metadata(scb, REFERENCE, codelist)
    years = [c for c in meta.dimensions.get("Tid", {}) if c.isdigit() and int(c) <= year]
    if not years:
        raise BuildError(f"{REFERENCE}: no year up to {year} (found: {', '.join(meta.dimensions.get('Tid', {}))})")
    kind = _pick(meta, "ContentsCode", lambda c, label: "områdestyp" in label.lower(), "områdestyp")[0]
    index = [c for c, label in meta.dimensions["ContentsCode"].items() if "index" in label.lower() and c != kind][:1]
    select = {"ContentsCode": [kind] + index, "Tid": [max(years, key=int)]}
    frame, prov = fetch_scb(scb, REFERENCE, f"kommun:{kommun}", codelist, select)
    frame = frame[frame["Region"].isin(regso)]
    wide = frame.pivot_table(index="Region", columns="ContentsCode", values="value", aggfunc="first")
    types = wide[kind].dropna()
    if not types.map(lambda v: float(v).is_integer() and 1 <= v <= 5).all():
        raise BuildError(f"{REFERENCE}: områdestyp must be a whole number 1–5 (got {sorted(set(types))[:5]})")
    out = pd.DataFrame({"code": types.index, "year": int(select["Tid"][0]), "omradestyp": types.astype(int).to_numpy(),
                        "scb_index": wide[index[0]].reindex(types.index).round(3).to_numpy() if index else None})
    return out, _provenance(prov, select)


def _kommun_name(scb: Client, kommun: str, year: int) -> str:
    meta = scb_metadata(scb, LOW_STANDARD, code_lists(year)["regso"][0])
    label = meta.dimensions.get("Region", {}).get(kommun, "")
    name = label[len(kommun):].strip() if label.startswith(kommun) else label
    return name or f"kommun {kommun}"


def build_scb(scb: Client, wfs: Client, kommun: str, level: str, year: int, into: Path, extra: list[ExtraTable] = (),
              places: Path | None = None, replace: bool = False, reference: bool = True) -> dict:
    """Fetch, write and validate the package; return a report (areas, values, what was left out)."""
    from layers.data.package import building

    if level not in LEVELS:
        raise BuildError(f"--level {level!r}: regso or deso")
    if not re.fullmatch(r"\d{4}", str(kommun)):
        raise BuildError(f"--kommun '{kommun}': a municipality code is four digits (Malmö 1280)")
    for table in extra:
        if not re.fullmatch(r"TAB\d{1,6}", table.table) or not IDENTIFIER.fullmatch(table.key):
            raise BuildError(f"--table {table.table!r}: an SCB table id such as TAB6685")
    with building(into, replace) as work:  # validated whole, then moved in; nothing is left on an error
        (work / "provenance").mkdir()
        report = _build(scb, wfs, kommun, level, year, work, list(extra), places, reference)
    return report


def _build(scb, wfs, kommun, level, year, work: Path, extra, places, with_reference) -> dict:
    lists = code_lists(year)
    levels = list(LEVELS)  # RegSO above DeSO, in both packages: the index level is the one asked for
    areas, sources = {}, []
    for lv in levels:
        frame, prov = fetch_wfs(wfs, lv, kommun, lists[lv][1])
        write_areas(frame, prov, work / "boundaries" / f"{lv}.geojson")
        (work / "boundaries" / f"{lv}.geojson.provenance.json").replace(work / "provenance" / f"{lv}.geojson.json")
        areas[lv] = frame.set_index("code")
        sources.append({"title": f"SCB geodata, {prov['layer']} (WFS), kommunkod {kommun}", "credit": CREDIT,
                        "licence": LICENCE, "applies_to": [f"boundaries/{lv}.geojson"]})
    missing_parent = set(areas["deso"]["parent"]) - set(areas["regso"].index)
    if missing_parent:
        raise BuildError(f"SCB WFS: DeSO in RegSO {', '.join(sorted(missing_parent)[:5])}, which the RegSO layer does not have")
    # SCB names no DeSO: on screen a DeSO is its code and the RegSO it lies in ("1280C1010 i Centrum")
    deso = areas["deso"]
    deso["name"] = [f"{code} i {areas['regso'].at[parent, 'name']}" for code, parent in zip(deso.index, deso["parent"])]
    write_areas(deso.reset_index(), {}, work / "boundaries" / "deso.geojson")
    (work / "boundaries" / "deso.geojson.provenance.json").unlink()
    value_levels = [level] if level == "deso" else ["regso", "deso"]  # a RegSO package keeps DeSO's own values below it
    indicators, population, fetched = [], [], {}
    for lv in value_levels:
        ind, pop, prov = fetch_level(scb, lv, kommun, year, areas[lv].index, extra)
        indicators.append(ind)
        population.append(pop)
        for table, p in prov.items():
            fetched[f"{table}-{lv}"] = p
    indicators = pd.concat(indicators).assign(generated="false")
    population = pd.concat(population).assign(generated="false")
    for name, table in (("indicators.csv", indicators), ("population.csv", population)):
        table[PACKAGE_COLUMNS[name]].to_csv(work / name, index=False, lineterminator="\n")
    pd.DataFrame(columns=PACKAGE_COLUMNS["uvas.csv"]).to_csv(work / "uvas.csv", index=False, lineterminator="\n")
    if places:
        shutil.copyfile(places, work / "facilities.csv")
    else:
        pd.DataFrame(columns=PACKAGE_COLUMNS["facilities.csv"]).to_csv(work / "facilities.csv", index=False, lineterminator="\n")
    reference = None
    if with_reference:
        ref, prov = fetch_reference(scb, kommun, year, areas["regso"].index)
        (work / "reference").mkdir()
        ref.to_csv(work / REFERENCE_FILE, index=False, lineterminator="\n")
        fetched[f"{REFERENCE}-regso"] = prov
        reference = {"path": REFERENCE_FILE, "level": "regso", "table": REFERENCE, "year": int(ref["year"].max()) if len(ref) else year,
                     "source": f"SCB, {REFERENCE}: socioekonomiskt index och områdestyp", "credit": CREDIT, "licence": LICENCE}
    for name, prov in fetched.items():
        (work / "provenance" / f"{name}.json").write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    name = _kommun_name(scb, kommun, year)
    labels = {INDICATOR_KEY: {"sv": "Låg ekonomisk standard, barn 0–19 år", "en": "Low economic standard, children 0–19"}}
    labels |= {t.key: {"sv": t.label or t.table, "en": t.label or t.table} for t in extra}
    tables = {INDICATOR_KEY: LOW_STANDARD} | {t.key: t.table for t in extra}
    manifest = {
        "name": f"scb-{kommun}-{level}",
        "title": f"{name}: SCB:s öppna data per {LEVEL_LABELS[level]['sv']} ({year})",
        "description": f"Built by python -m layers build scb --kommun {kommun} --level {level} --year {year}; every value from SCB.",
        "licenses": [{"name": LICENCE, "title": "SCB, öppna data (CC0)", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "sources": sources + [
            {"title": f"SCB Statistikdatabasen, {LOW_STANDARD}: låg ekonomisk standard 0–19 år (närmevärde för låg inkomststandard)",
             "credit": CREDIT, "licence": LICENCE, "applies_to": ["indicators.csv"]},
            {"title": f"SCB Statistikdatabasen, {POPULATION}: folkmängd efter ålder", "credit": CREDIT, "licence": LICENCE,
             "applies_to": ["population.csv"]},
            *([{"title": reference["source"], "credit": CREDIT, "licence": LICENCE, "applies_to": [REFERENCE_FILE]}] if reference else []),
        ],
        "levels": [{"id": lv, "labels": LEVEL_LABELS[lv], "path": f"boundaries/{lv}.geojson",
                    "parent": None if lv == "regso" else "regso", "generated": False} for lv in levels],
        "index_level": level,
        "indicators": [{"key": key, "labels": labels[key], "unit": "percent",
                        "population": CHILD_AGES if key == INDICATOR_KEY else "total", "year": year,
                        "source": f"SCB, {tables[key]}", "licence": LICENCE, "suppress_below": None,
                        **({"note": "SCB:s mått, ett närmevärde för låg inkomststandard (inte Malmös definition)"} if key == INDICATOR_KEY else {})}
                       for key in labels],
        "disclosure": {"min_denominator": 10, "note": "An area whose denominator is below min_denominator takes its parent's value."},
        "children_age_group": CHILD_AGES,
        "search_example": sorted(areas["regso"]["name"])[0],
        "reference_areas": [{"code": kommun, "labels": {"sv": name, "en": name}}],
        "facility_kinds": [{"id": "library", "labels": {"sv": "Bibliotek", "en": "Library"}},
                           {"id": "familjecentral", "labels": {"sv": "Familjecentral", "en": "Family centre"}},
                           {"id": "allaktivitetshus", "labels": {"sv": "Allaktivitetshus", "en": "All-activity house"}}],
        **({"reference": reference} if reference else {}),
        "built": {"command": "python -m layers build scb", "kommun": kommun, "level": level, "year": year,
                  "at": datetime.now(timezone.utc).isoformat(timespec="seconds")},
        "generated": {"levels": [], "tables": []},
    }
    (work / "datapackage.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    index_areas = areas[level].index
    with_value = indicators.loc[indicators["code"].isin(index_areas) & (indicators["indicator"] == INDICATOR_KEY), "code"].nunique()
    return {"kommun": kommun, "name": name, "level": level, "areas": {lv: len(a) for lv, a in areas.items()},
            "with_value": with_value, "without_value": len(index_areas) - with_value, "indicators": list(labels),
            "reference": 0 if reference is None else len(pd.read_csv(work / REFERENCE_FILE)), "calls": len(fetched)}


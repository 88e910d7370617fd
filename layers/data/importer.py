"""Import the city's own table (Excel or CSV, one row per area) into a complete data package.

    python -m layers import FILE.xlsx|FILE.csv --into PACKAGE_DIR [--base data/malmo] [--sheet NAME]
        [--level delomrade] [--code-column C | --name-column N]
        [--indicator key=column[,denominator=column]]… [--year 2024] [--source "…"] [--licence …]

Areas are matched by code, or by name as a Swede would write it (any case, spaces and hyphens
ignored, common abbreviations expanded: see ALIASES). Numbers are read as written in Sweden and by
SCB: decimal comma, percent signs, thousands separators (space, no-break space, a dot before a
comma), and SCB's marks for suppressed values (`..`, `–`, `-`, `x`), which become empty values.

Nothing is written until every row is matched and every area of the level has a value, unless
`allow_missing` is given; the report lists every unmatched row and every area left without a
value, and the share of rows matched. Even with `allow_missing`, an import is refused when fewer
than MIN_MATCHED_SHARE (half) of its rows match an area of the level, or when an indicator's column
gives no area a value. Files above MAX_IMPORT_BYTES (20 MB) or MAX_IMPORT_ROWS (100 000 rows) are
refused before they are read whole; a file that cannot be read (empty, no columns, binary, another
encoding) is one line naming it and what is wrong. The package is written to a temporary folder beside `into`, validated as a whole
(`load_package`), and only then moved into place: a failed import leaves nothing half-written.
Boundaries and the other tables come from `base`; the imported rows are `generated=false`; the
manifest records source, licence, year and import time for each imported indicator.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from layers.errors import EngineError, PackageError
from layers.reading import fold, not_finite, parse_decimal, plain_region
from layers.data.manifest import MANIFEST
from layers.data.package import building, check_target, load_package

SUPPRESSED = ("..", "…", "–", "—", "-", "x", "X", ".")
# Abbreviations a table may use for parts of an area's name (matched on the lower-cased name, as
# whole words; applied to both sides before comparing). Extend here when a table uses another.
ALIASES: list[tuple[str, str]] = [
    (r"\bindustriomr\b\.?", "industriområde"),
    (r"\bomr\b\.?", "område"),
    (r"\bs:t\b|\bst\.", "sankt"),
    (r"\bv\.\s*", "västra "),
    (r"\bö\.\s*", "östra "),
    (r"\bn\.\s*", "norra "),
    (r"\bs\.\s*", "södra "),
    (r"\bm\.?\s*fl\b\.?", "mfl"),
    (r"\boch\b|&", "och"),
]


def name_key(name: str) -> str:
    """A name as compared: lower case, abbreviations expanded, without spaces, hyphens and punctuation
    (å, ä and ö kept: "Malmö Hus" = "MALMÖHUS", "SOFIELUNDS INDUSTRIOMR." = "Sofielunds industriområde")."""
    text = unicodedata.normalize("NFKC", str(name)).lower().strip()
    for pattern, replacement in ALIASES:
        text = re.sub(pattern, replacement, text)
    return re.sub(r"[^0-9a-zåäöéüæø]", "", text)


def folded(key: str) -> str:
    """A name key without diacritics, for a second chance ("Sodra" for "Södra") when unambiguous."""
    return fold(key)


def parse_number(value) -> tuple[float | None, str | None]:
    """(number, None), (None, None) for an empty or suppressed cell, or (None, why not)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), None
    text = str(value).strip().replace("\u00a0", " ").replace("\u202f", " ")
    if text == "" or text in SUPPRESSED:
        return None, None
    text = text.rstrip("%").strip()
    number = parse_decimal(text)
    if number is None:
        return None, f"'{value}' is not a finite number" if not_finite(text) else f"'{value}' is not a number"
    return number, None


@dataclass
class IndicatorColumns:
    key: str
    value: str
    denominator: str | None = None

    @classmethod
    def parse(cls, text: str) -> "IndicatorColumns":
        """'key=column' or 'key=column,denominator=column'."""
        head, _, rest = text.partition(",")
        key, sep, column = head.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise EngineError(f"--indicator '{text}': write key=column or key=column,denominator=column")
        denominator = None
        if rest:
            name, sep, den = rest.partition("=")
            if name.strip() != "denominator" or not sep or not den.strip():
                raise EngineError(f"--indicator '{text}': after the comma write denominator=column")
            denominator = den.strip()
        return cls(key.strip(), column.strip(), denominator)


@dataclass
class ImportReport:
    rows: int = 0
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)  # "row 7: 'Gamla Väster' matches no delområde"
    missing: list[str] = field(default_factory=list)  # "Inre Hamnen (10102): no row"
    problems: list[str] = field(default_factory=list)  # values that are not numbers, duplicates
    empty: int = 0  # cells left empty (suppressed or blank)
    written: Path | None = None

    @property
    def blocking(self) -> list[str]:
        return self.unmatched + self.missing

    @property
    def matched_share(self) -> float:
        return self.matched / self.rows if self.rows else 0.0

    def text(self) -> str:
        lines = [f"{self.rows} rows read, {self.matched} matched to an area ({self.matched_share:.0%}), "
                 f"{self.empty} empty or suppressed values."]
        for title, items in (("Rows that match no area", self.unmatched), ("Areas without a row", self.missing),
                             ("Values that cannot be read", self.problems)):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines += [f"  - {item}" for item in items]
        return "\n".join(lines)


class ImportError_(EngineError):
    """An import that cannot go ahead; `.report` has every reason."""

    def __init__(self, message: str, report: ImportReport):
        super().__init__(message)
        self.report = report


# What one import reads at most: a city's table has one row per area (136 delområden, a few thousand
# NYKO areas); a file far past that is not such a table, and reading it whole would hold the machine.
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # the file on disk
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # an Excel file's parts, unpacked (a small .xlsx can unpack to gigabytes)
MAX_IMPORT_ROWS = 100_000
# An import must match at least this share of its rows to an area of the level, even with
# --allow-missing: below it the table is of another level or another code list (a RegSO table at
# delområde level matches none), and writing it would empty the indicator.
MIN_MATCHED_SHARE = 0.5


def read_table(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """A wide table as text cells (numbers in Excel cells kept as numbers), header on the first row.
    Whatever cannot be read is one EngineError naming the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise EngineError(f"{path}: {size / 1024 / 1024:.1f} MB is more than an import reads ({MAX_IMPORT_BYTES // 1024 // 1024} MB): "
                          "a table of one row per area is far smaller")
    if size == 0:
        raise EngineError(f"{path}: the file is empty")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_excel(path, sheet)
    else:
        table = _read_csv(path)
    if len(table.columns) == 0:
        raise EngineError(f"{path}: no columns (the first row must name them)")
    if len(table) == 0:
        raise EngineError(f"{path}: a header but no rows")
    return table


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    import zipfile

    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, OSError) as err:
        raise EngineError(f"{path}: not a readable Excel file ({err})") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise EngineError(f"{path}: unpacks to {unpacked / 1024 / 1024:.0f} MB, more than an import reads "
                          f"({MAX_XLSX_UNPACKED // 1024 // 1024} MB)")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - whatever openpyxl cannot read: say which and why
        raise EngineError(f"{path}: not a readable Excel file ({type(err).__name__}: {err})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise EngineError(f"{path}: no sheet '{sheet}' (sheets: {', '.join(book.sheetnames)})")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = []
        for row in ws.iter_rows(values_only=True):  # streamed: stops at the limit instead of reading it all
            rows.append(row)
            if len(rows) > MAX_IMPORT_ROWS + 1:
                raise EngineError(f"{path}: more than {MAX_IMPORT_ROWS:,} rows, the most an import reads")
    except EngineError:
        raise
    except Exception as err:  # noqa: BLE001
        raise EngineError(f"{path}: not a readable Excel file ({type(err).__name__}: {err})") from None
    finally:
        book.close()
    while rows and all(v is None for v in rows[-1]):  # Excel's empty rows at the end
        rows.pop()
    if not rows or all(v is None or str(v).strip() == "" for v in rows[0]):
        raise EngineError(f"{path}: the sheet '{ws.title}' is empty (the first row must name the columns)")
    width = max(len(r) for r in rows)
    header = [("" if v is None else str(v)) for v in rows[0]] + [""] * (width - len(rows[0]))
    while header and header[-1] == "" and all(len(r) < len(header) or r[len(header) - 1] is None for r in rows[1:]):
        header.pop()  # trailing columns without a name or a value
    seen: dict[str, int] = {}
    for i, name in enumerate(header):  # as pandas names them: a second "Antal" is "Antal.1", an unnamed one "Unnamed: 3"
        name = name or f"Unnamed: {i}"
        header[i] = name if name not in seen else f"{name}.{seen[name]}"
        seen[name] = seen.get(name, 0) + 1
    body = [list(r[:len(header)]) + [None] * (len(header) - len(r)) for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise EngineError(f"{path}: starts as UTF-16 text but cannot be read as it") from None
    if b"\x00" in raw:
        raise EngineError(f"{path}: not a text table (it holds NUL bytes: a binary file, or UTF-16 without its mark); "
                          "save it as CSV (UTF-8) or Excel (.xlsx)")
    for encoding in ("utf-8-sig", "cp1252"):  # as saved by most tools; as Excel saves "CSV" in Sweden
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise EngineError(f"{path}: neither UTF-8 nor Windows-1252 text; save it as CSV (UTF-8)")


def _read_csv(path: Path) -> pd.DataFrame:
    import io

    text = _decode(path, path.read_bytes())
    if not text.strip():
        raise EngineError(f"{path}: the file is empty")
    if text.count("\n") > MAX_IMPORT_ROWS + 1:
        raise EngineError(f"{path}: more than {MAX_IMPORT_ROWS:,} rows, the most an import reads")
    first = text.splitlines()[0]
    sep = ";" if first.count(";") >= first.count(",") else ","
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise EngineError(f"{path}: no columns (the first row must name them)") from None
    except (pd.errors.ParserError, ValueError) as err:
        raise EngineError(f"{path}: not a readable CSV file ({str(err).strip().splitlines()[0]})") from None


def match_areas(names: pd.Series, areas: pd.Series) -> tuple[dict[int, str], dict[int, str]]:
    """(row → code, row → why not) for names against areas (code → name)."""
    exact: dict[str, list[str]] = {}
    loose: dict[str, list[str]] = {}
    for code, name in areas.items():
        exact.setdefault(name_key(name), []).append(str(code))
        loose.setdefault(folded(name_key(name)), []).append(str(code))
    found, failed = {}, {}
    for row, name in names.items():
        key = name_key(name)
        hits = exact.get(key) or loose.get(folded(key)) or []
        if len(hits) == 1:
            found[row] = hits[0]
        elif len(hits) > 1:
            failed[row] = f"'{name}' matches several areas ({', '.join(hits)}): use codes"
        else:
            failed[row] = f"'{name}' matches no area"
    return found, failed


def import_table(path, into, base, level: str | None = None, code_column: str | None = None, name_column: str | None = None,
                 indicators: list[IndicatorColumns] | None = None, year: int | None = None, source: str = "",
                 licence: str = "", sheet: str | None = None, allow_missing: bool = False, replace: bool = False,
                 now: datetime | None = None) -> ImportReport:
    """Import a wide table into a new package at `into`; return the report (raises ImportError_ with it)."""
    base_pkg = load_package(base)
    m = base_pkg.manifest
    level = level or m.index_level
    if level not in m.level_ids:
        raise EngineError(f"--level '{level}' is not a level of {base} (levels: {', '.join(m.level_ids)})")
    if (code_column is None) == (name_column is None):
        raise EngineError("give exactly one of --code-column and --name-column")
    if not indicators:
        raise EngineError("give at least one --indicator key=column")
    unknown = [i.key for i in indicators if i.key not in m.indicator_keys]
    if unknown:
        raise EngineError(f"unknown indicator(s) {', '.join(unknown)} (the package has {', '.join(m.indicator_keys)})")
    into = check_target(into, replace)

    table = read_table(Path(path), sheet)
    table.columns = [str(c).strip() for c in table.columns]
    wanted = [code_column or name_column] + [c for i in indicators for c in (i.value, i.denominator) if c]
    missing_columns = [c for c in wanted if c not in table.columns]
    if missing_columns:
        raise EngineError(f"{path}: no column(s) {', '.join(repr(c) for c in missing_columns)} (columns: {', '.join(table.columns)})")
    table = table[table[code_column or name_column].astype(str).str.strip() != ""].reset_index(drop=True)

    report = ImportReport(rows=len(table))
    areas = base_pkg.boundaries[level]["name"]
    if code_column:
        # SCB's 2025 code lists write "1280R001_RegSO2025": the package holds "1280R001"
        codes = table[code_column].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else plain_region(str(v).strip()))
        found = {r: c for r, c in codes.items() if c in areas.index}
        failed = {r: f"code '{c}' is not a {level} area" for r, c in codes.items() if c not in areas.index}
    else:
        found, failed = match_areas(table[name_column].astype(str), areas)
    report.matched = len(found)
    report.unmatched = [f"row {r + 2}: {why}" for r, why in sorted(failed.items())]
    seen: dict[str, int] = {}
    for r, code in sorted(found.items()):
        if code in seen:
            report.problems.append(f"row {r + 2}: {areas[code]} ({code}) again (first on row {seen[code] + 2}); the first is used")
        else:
            seen[code] = r
    report.missing = [f"{name} ({code}): no row" for code, name in areas.items() if code not in seen]

    rows = []
    for ind in indicators:
        for code, r in seen.items():
            value, why = parse_number(table.at[r, ind.value])
            if why:
                report.problems.append(f"row {r + 2}, column '{ind.value}': {why}")
                continue
            if value is not None and not 0 <= value <= 100:
                report.problems.append(f"row {r + 2}, column '{ind.value}': {value:g} is not a percentage 0–100")
                continue
            denominator = None
            if ind.denominator:
                denominator, why = parse_number(table.at[r, ind.denominator])
                if why or (denominator is not None and (denominator < 0 or not float(denominator).is_integer())):
                    report.problems.append(f"row {r + 2}, column '{ind.denominator}': {why or f'{denominator:g} is not a whole number of persons'}")
                    continue
            if value is None:
                report.empty += 1
                continue
            rows.append({"code": code, "indicator": ind.key, "value": round(value, 4),
                         "denominator": None if denominator is None else int(denominator)})
    if report.matched_share < MIN_MATCHED_SHARE:  # even with --allow-missing: this is not a table of these areas
        raise ImportError_(f"nothing was imported: {report.matched} of {report.rows} rows ({report.matched_share:.0%}) match "
                           f"a {level} area, fewer than the {MIN_MATCHED_SHARE:.0%} an import needs: is the table of another "
                           "level or code list?", report)
    given = {ind.key: sum(1 for r in rows if r["indicator"] == ind.key) for ind in indicators}
    empty = [f"'{ind.value}' ({ind.key})" for ind in indicators if given[ind.key] == 0]
    if empty and not report.problems:
        raise ImportError_(f"nothing was imported: column(s) {', '.join(empty)} give no value to any {level} area; "
                           "importing them would leave the indicator without values", report)
    if report.problems or (report.blocking and not allow_missing):
        raise ImportError_("nothing was imported: " + ("fix the values that cannot be read, and " if report.problems else "")
                           + ("match every row and give every area a value, or give --allow-missing" if report.blocking else "")
                           , report)
    report.written = write_package(base_pkg, into, level, indicators, pd.DataFrame(rows), year, source, licence,
                                   now or datetime.now(timezone.utc), replace)
    return report


def write_package(base_pkg, into: Path, level: str, indicators: list[IndicatorColumns], rows: pd.DataFrame, year: int | None,
                  source: str, licence: str, now: datetime, replace: bool) -> Path:
    """Copy the base package, replace the imported indicators' rows at `level`, record provenance,
    validate it whole, then move it into place."""
    m = base_pkg.manifest
    try:
        with building(into, replace) as work:
            _write_imported(base_pkg, m, work, level, indicators, rows, year, source, licence, now)
    except PackageError as err:
        raise EngineError("the imported package does not validate:\n" + err.report()) from None
    return Path(into).resolve()


def _write_imported(base_pkg, m, work: Path, level, indicators, rows, year, source, licence, now) -> None:
    """The imported rows and their provenance written into the copy of the base package in `work`."""
    shutil.copytree(base_pkg.path, work, dirs_exist_ok=True)
    manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
    keys = {i.key for i in indicators}
    years = {i.key: (year or next(x.year for x in m.indicators if x.key == i.key)) for i in indicators}
    table = pd.read_csv(work / "indicators.csv", dtype={"code": str}, keep_default_na=False)
    level_codes = set(base_pkg.boundaries[level].index)
    keep = ~(table["indicator"].isin(keys) & table["code"].isin(level_codes))
    new = rows.assign(year=rows["indicator"].map(years), generated="false") if len(rows) else rows
    table = pd.concat([table[keep], new[["code", "year", "indicator", "value", "denominator", "generated"]] if len(new) else None],
                      ignore_index=True)
    table["generated"] = table["generated"].astype(str).str.lower()
    table["denominator"] = table["denominator"].map(lambda v: "" if v in ("", None) or (isinstance(v, float) and math.isnan(v)) else str(int(float(v))))
    table.to_csv(work / "indicators.csv", index=False, lineterminator="\n")
    stamp = now.isoformat(timespec="seconds")
    for ind in manifest["indicators"]:
        if ind["key"] in keys:
            ind.update(year=years[ind["key"]], source=source or ind.get("source", ""), licence=licence,
                       imported=stamp, generated=False, imported_level=level)
    manifest.setdefault("sources", []).append({"title": source or "imported table", "licence": licence, "imported": stamp,
                                               "applies_to": ["indicators.csv"], "indicators": sorted(keys), "level": level})
    (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

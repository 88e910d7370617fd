"""Table schemas of a data package (pandera) and a reader that reports every problem."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from layers.errors import Problem

TRUE_WORDS = {"true", "1", "yes", "ja", "sant"}
FALSE_WORDS = {"false", "0", "no", "nej", "falskt"}

_code = pa.Column(str, pa.Check.str_length(min_value=1), nullable=False)
_generated = pa.Column(bool, nullable=False)
_percent = pa.Column(float, pa.Check.in_range(0, 100), nullable=False, coerce=True)
_count = pa.Column("Int64", pa.Check.ge(0), nullable=True, coerce=True)
_year = pa.Column(int, pa.Check.in_range(1900, 2100), coerce=True)

INDICATORS = pa.DataFrameSchema(
    {"code": _code, "year": _year, "indicator": _code, "value": _percent,
     "denominator": _count, "generated": _generated},
    strict=False, name="indicators",
)
POPULATION = pa.DataFrameSchema(
    {"code": _code, "year": _year, "age_group": _code,
     "count": pa.Column("Int64", pa.Check.ge(0), nullable=False, coerce=True), "generated": _generated},
    strict=False, name="population",
)
UVAS = pa.DataFrameSchema(
    {"code": _code, "year": _year, "age_group": _code, "share": _percent, "count": _count,
     "generated": _generated},
    strict=False, name="uvas",
)
FACILITIES = pa.DataFrameSchema(
    {"id": _code, "kind": _code, "name": _code,
     "address": pa.Column(str, nullable=True),
     "lat": pa.Column(float, pa.Check.in_range(-90, 90), nullable=True, coerce=True),
     "lon": pa.Column(float, pa.Check.in_range(-180, 180), nullable=True, coerce=True),
     "position": pa.Column(str, pa.Check.isin(["coordinates", "area", "unknown"])),
     "area_code": pa.Column(str, nullable=True),
     "source": pa.Column(str, nullable=True),
     "generated": _generated},
    strict=False, name="facilities",
    unique=["id"],
)

# An outside classification to compare the index with (SCB's områdestyp 1–5 per RegSO); optional,
# named in the manifest's "reference": {"path", "level", …}.
REFERENCE = pa.DataFrameSchema(
    {"code": _code, "year": _year, "omradestyp": pa.Column(int, pa.Check.in_range(1, 5), coerce=True),
     "scb_index": pa.Column(float, nullable=True, coerce=True)},
    strict=False, name="reference", unique=["code"],
)

TABLES = {
    "indicators.csv": INDICATORS,
    "population.csv": POPULATION,
    "uvas.csv": UVAS,
    "facilities.csv": FACILITIES,
}


def _parse_booleans(df: pd.DataFrame, column: str, file: str, problems: list[Problem]) -> None:
    if column not in df.columns:
        return
    words = df[column].str.strip().str.lower()
    bad = ~words.isin(TRUE_WORDS | FALSE_WORDS)
    for idx in df.index[bad]:
        problems.append(Problem(file, f"'{df.at[idx, column]}' is not true or false", int(idx) + 2, column))
    df[column] = words.isin(TRUE_WORDS)


def _row(index_value) -> int | None:
    try:
        return int(index_value) + 2  # header is line 1, first data row line 2
    except (TypeError, ValueError):
        return None


def read_table(path: Path, schema: pa.DataFrameSchema) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one CSV of the package and validate it; never raises for bad content."""
    file = path.name
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(file, "file is missing")]
    except OSError as exc:  # permission denied, a folder in its place, an I/O error
        return None, [Problem(file, f"cannot be read: {exc.strerror or exc}")]
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return None, [Problem(file, f"cannot be read as UTF-8 CSV: {str(exc).splitlines()[0]}")]
    problems: list[Problem] = []
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in schema.columns if c not in df.columns]
    for c in missing:
        problems.append(Problem(file, f"required column '{c}' is missing (columns found: {', '.join(df.columns)})", column=c))
    if missing:
        return None, problems
    for c in df.columns:
        df[c] = df[c].str.strip()
    for name, col in schema.columns.items():
        if col.nullable:
            df[name] = df[name].replace("", None)
    _parse_booleans(df, "generated", file, problems)
    try:
        df = schema.validate(df, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
        reported_columns = set()
        for _, case in cases.iterrows():
            column = case.get("column")
            check = str(case.get("check"))
            value = case.get("failure_case")
            if check.startswith("dtype("):
                continue  # the coercion failure on the same cell says it better
            if _row(case.get("index")) is None and column in reported_columns:
                continue  # a check that could not run because of bad cells already reported
            reported_columns.add(column)
            if check.startswith("in_range"):
                low, high = check[len("in_range("):-1].split(",")
                msg = f"value {value:g} is outside the allowed range {low.strip()}–{high.strip()}"
            elif check.startswith("greater_than_or_equal_to"):
                msg = f"value {value} must be ≥ {check.split('(')[1].rstrip(')')}"
            elif check == "not_nullable":
                msg = "value is empty but required"
            elif check.startswith("coerce_dtype"):
                whole = "int" in check.lower()
                msg = f"'{value}' is not a {'whole ' if whole else ''}number"
            elif check == "field_uniqueness" or check.startswith("multiple_fields_uniqueness"):
                msg = f"duplicate value '{value}'"
            else:
                msg = f"value {value!r} fails check {check}"
            problems.append(Problem(file, msg, _row(case.get("index")), None if pd.isna(column) else str(column)))
        return None, problems
    if problems:
        return None, problems
    return df, []

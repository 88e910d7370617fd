"""`python -m layers import` (layers/data/importer.py): a realistic Excel file and a CSV as an analyst
keeps them, Swedish numbers and SCB's marks, names as the city writes them, every unmatched row and
missing area listed, nothing written until resolved, provenance in the manifest, and the index of
the imported package against the engine."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from cli_support import run_cli

from layers.data.importer import ImportError_, IndicatorColumns, import_table, name_key, parse_number
from layers.data.package import load_package
from layers.data.provenance import generated_parts, indicator_sources
from layers.index.engine import Engine
from conftest import PACKAGE, SHARED

KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]


def test_names_as_a_swede_writes_them():
    assert name_key("Malmö Hus") == name_key("MALMÖHUS")
    assert name_key("Sofielunds industriområde") == name_key("SOFIELUNDS INDUSTRIOMR.")
    assert name_key("Södra Sofielund") == name_key("S. Sofielund") == name_key("södra  sofielund")
    assert name_key("Rosengård-Centrum") == name_key("Rosengård Centrum")
    assert name_key("Malmö") != name_key("Malmo")  # ö is a letter of its own; folding is a second chance only when unambiguous


@pytest.mark.parametrize("text, number", [("12,5", 12.5), ("12,5 %", 12.5), ("1 234", 1234), ("1\u00a0234,5", 1234.5), ("1.234,5", 1234.5),
                                          ("1,234.5", 1234.5), ("−3,2", -3.2), (7, 7.0), ("..", None), ("–", None), ("", None), ("x", None)])
def test_numbers_as_written_in_sweden_and_by_scb(text, number):
    assert parse_number(text) == (number, None)


def test_a_word_is_not_a_number():
    value, why = parse_number("tolv")
    assert value is None and "'tolv' is not a number" in why


def city_table(pkg) -> pd.DataFrame:
    """The default package's index-level values as an analyst's wide table: names as the city spells
    them (upper case, "INDUSTRIOMR."), values with decimal commas and percent signs, denominators
    with thousands separators, two values suppressed with SCB's marks, a total row at the end."""
    areas = gpd.read_file(SHARED / "malmo_delomraden.geojson").set_index("code")["source_name"]
    values = pkg.indicators[pkg.indicators["code"].isin(areas.index)]
    years = {i.key: i.year for i in pkg.manifest.indicators}
    values = values[values["year"] == values["indicator"].map(years)]
    wide = values.pivot(index="code", columns="indicator", values="value")
    dens = values.pivot(index="code", columns="indicator", values="denominator")
    rows = []
    for code in areas.index:
        row = {"Delområde": areas[code]}
        for key, title in zip(KEYS, ["Ej behöriga yrkesprogram (%)", "Trångbodda barn (%)", "Ekonomiskt bistånd (%)", "Låg inkomststandard (%)"]):
            v = wide.at[code, key] if code in wide.index else np.nan
            row[title] = "" if pd.isna(v) else f"{v:.2f}".replace(".", ",") + " %"
            d = dens.at[code, key] if code in dens.index else np.nan
            row[title.replace("(%)", "antal")] = "" if pd.isna(d) else f"{int(d):,}".replace(",", " ")
        rows.append(row)
    table = pd.DataFrame(rows)
    table.loc[3, "Trångbodda barn (%)"] = ".."
    table.loc[4, "Ekonomiskt bistånd (%)"] = "–"
    total = {c: "" for c in table.columns}
    total["Delområde"] = "TOTALT MALMÖ"
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


INDICATORS = [IndicatorColumns("inte_behorig", "Ej behöriga yrkesprogram (%)", "Ej behöriga yrkesprogram antal"),
              IndicatorColumns("trangboddhet", "Trångbodda barn (%)", "Trångbodda barn antal"),
              IndicatorColumns("ekonomiskt_bistand", "Ekonomiskt bistånd (%)", "Ekonomiskt bistånd antal"),
              IndicatorColumns("lag_inkomststandard", "Låg inkomststandard (%)", "Låg inkomststandard antal")]


def test_excel_import_lists_every_problem_and_writes_nothing_until_resolved(pkg, tmp_path):
    table = city_table(pkg)
    dropped = table.iloc[1]["Delområde"]  # an area the file forgets
    table = table.drop(index=1)
    path = tmp_path / "stadskontoret.xlsx"
    with pd.ExcelWriter(path) as writer:
        table.to_excel(writer, sheet_name="Delområden 2024", index=False)
    into = tmp_path / "imported"
    with pytest.raises(ImportError_) as err:
        import_table(path, into, PACKAGE, name_column="Delområde", indicators=INDICATORS, sheet="Delområden 2024",
                     year=2024, source="Stadskontoret, Malmö stad", licence="CC BY 4.0")
    report = err.value.report
    assert report.unmatched == [f"row {len(table) + 1}: 'TOTALT MALMÖ' matches no area"]
    assert len(report.missing) == 1 and "(10102): no row" in report.missing[0] and dropped == "INRE HAMNEN"
    assert not into.exists() and not list(tmp_path.glob(".imported-*"))

    report = import_table(path, into, PACKAGE, name_column="Delområde", indicators=INDICATORS, sheet="Delområden 2024",
                          year=2024, source="Stadskontoret, Malmö stad", licence="CC BY 4.0", allow_missing=True)
    cells = table.iloc[:-1][[i.value for i in INDICATORS]]
    assert report.matched == 135 and report.empty == int(cells.isin(["", "..", "–"]).sum().sum()) >= 2  # the marks and the blanks
    imported = load_package(into)
    manifest = json.loads((into / "datapackage.json").read_text())
    for ind in manifest["indicators"]:
        assert ind["source"] == "Stadskontoret, Malmö stad" and ind["licence"] == "CC BY 4.0" and ind["year"] == 2024 and ind["imported"]
    rows = imported.indicators[imported.indicators["code"].isin(imported.boundaries["delomrade"].index)]
    assert not rows["generated"].any() and "10102" not in set(rows["code"])
    # the NYKO rows, the population and UVAS stay generated: a mixed package that says so
    parts = generated_parts(imported)
    assert ("level", "nyko") in parts and ("population",) in parts and all(p[2:] == ("nyko",) for p in parts if p[0] == "indicator")
    assert all(not s.real for s in indicator_sources(imported))

    # the index of the imported package is the engine's for the same numbers
    original = Engine(pkg).level().raw
    got = Engine(imported).level().raw
    herr = "48208"
    assert got.at[herr, "trangboddhet"] == pytest.approx(round(original.at[herr, "trangboddhet"], 2))
    assert np.isnan(got.iloc[3]["trangboddhet"]) and np.isnan(got.iloc[4]["ekonomiskt_bistand"])
    top = Engine(imported).index().frame().head(11)["name"].tolist()
    assert top == Engine(pkg).index().frame().head(11)["name"].tolist()


def test_csv_import_by_code_from_the_command_line(pkg, tmp_path):
    table = city_table(pkg).iloc[:-1]
    codes = gpd.read_file(SHARED / "malmo_delomraden.geojson").set_index("source_name")["code"]
    table.insert(0, "Kod", table["Delområde"].map(codes))
    path = tmp_path / "tabell.csv"
    path.write_bytes(table.to_csv(sep=";", index=False).encode("cp1252"))  # as Excel saves it in Sweden
    into = tmp_path / "pkg"
    args = ["import", str(path), "--into", str(into), "--code-column", "Kod", "--source", "Stadskontoret, Malmö stad", "--year", "2024"]
    for ind in INDICATORS:
        args += ["--indicator", f"{ind.key}={ind.value},denominator={ind.denominator}"]
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert "136 matched" in done.stdout and "Written and valid" in done.stdout
    assert run_cli("validate", str(into)).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = path.read_bytes().decode("cp1252").replace("0,", "noll,", 1)
    path.write_bytes(bad.encode("cp1252"))
    failed = run_cli(*args, "--replace")
    assert failed.returncode == 2 and "is not a number" in failed.stderr and "row " in failed.stderr


# --- never a broken package, never a traceback (issue 23 §1) -------------------------------------

def _args(path, into, *more):
    return ["import", str(path), "--into", str(into), "--code-column", "Kod", "--indicator", "inte_behorig=Andel", *more]


def test_a_table_of_another_level_is_refused_even_with_allow_missing(tmp_path):
    """A RegSO table imported at delområde level matched no row, emptied the indicator and was
    "Written and valid"; `layers index` then gave no area an index."""
    regso = pd.read_csv(SHARED / "scb" / "malmo_regso2025_names.csv", dtype=str).iloc[:, 0]
    table = pd.DataFrame({"Kod": regso, "Andel": [f"{(i % 40) + 1},5" for i in range(len(regso))]})
    path = tmp_path / "regso.csv"
    table.to_csv(path, sep=";", index=False)
    done = run_cli(*_args(path, tmp_path / "pkg", "--allow-missing"))
    assert done.returncode == 2 and "0 of 91 rows (0%) match a delomrade area" in done.stderr, done.stderr
    assert "fewer than the 50% an import needs" in done.stderr and not (tmp_path / "pkg").exists()
    # half matched is not enough either; a column with no values for any matched area is refused
    areas = gpd.read_file(SHARED / "malmo_delomraden.geojson")["code"].tolist()
    mixed = pd.DataFrame({"Kod": areas[:40] + list(regso[:50]), "Andel": ["12,5"] * 90})
    mixed.to_csv(path, sep=";", index=False)
    assert "40 of 90 rows (44%)" in run_cli(*_args(path, tmp_path / "pkg", "--allow-missing")).stderr
    blank = pd.DataFrame({"Kod": areas, "Andel": [".."] * len(areas)})
    blank.to_csv(path, sep=";", index=False)
    done = run_cli(*_args(path, tmp_path / "pkg", "--allow-missing"))
    assert done.returncode == 2 and "'Andel' (inte_behorig) give no value to any delomrade area" in done.stderr


def test_validate_refuses_an_indicator_without_values_at_the_index_level(tmp_path):
    import shutil
    pkg = tmp_path / "pkg"
    shutil.copytree(PACKAGE, pkg)
    table = pd.read_csv(pkg / "indicators.csv", dtype={"code": str}, keep_default_na=False)
    areas = set(gpd.read_file(SHARED / "malmo_delomraden.geojson")["code"])
    at_index = table["code"].isin(areas)
    table[~(at_index & (table["indicator"] == "trangboddhet"))].to_csv(pkg / "indicators.csv", index=False)
    done = run_cli("validate", str(pkg))
    assert done.returncode == 1 and "indicator 'trangboddhet' has no values at the index level 'delomrade'" in done.stderr
    same = table.copy()
    same.loc[at_index & (same["indicator"] == "trangboddhet"), "value"] = 7.5
    same.to_csv(pkg / "indicators.csv", index=False)
    done = run_cli("validate", str(pkg))
    assert done.returncode == 1 and "all equal: too few to scale" in done.stderr


@pytest.mark.parametrize("name, content, says", [
    ("empty.csv", b"", "the file is empty"),
    ("blank.csv", b"\n\n  \n", "the file is empty"),
    ("header.csv", b"Kod;Andel\n", "a header but no rows"),
    ("utf16.csv", "Kod;Andel\n1280;5\n".encode("utf-16-le"), "NUL bytes"),
    ("binary.csv", bytes(range(256)) * 4, "NUL bytes"),
    ("latin.csv", "Kod;Andel\n\u0141\u00f3d\u017a;5\n".encode("utf-8")[:-4] + b"\x81\x8d\n", "neither UTF-8 nor Windows-1252"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable Excel file"),
    ("quote.csv", b'Kod;Andel\n"1280;5\n', "not a readable CSV file"),
])
def test_every_read_error_is_one_line_naming_the_file(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    done = run_cli(*_args(path, tmp_path / "pkg"))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and says in lines[0], done.stderr
    assert not (tmp_path / "pkg").exists()


def test_an_empty_excel_sheet_and_a_missing_one_are_named(tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    book.active.title = "Blad1"
    path = tmp_path / "tom.xlsx"
    book.save(path)
    done = run_cli(*_args(path, tmp_path / "pkg"))
    assert done.returncode == 2 and "the sheet 'Blad1' is empty" in done.stderr
    done = run_cli(*_args(path, tmp_path / "pkg", "--sheet", "Delområden"))
    assert done.returncode == 2 and "no sheet 'Delområden' (sheets: Blad1)" in done.stderr


def test_files_past_the_limits_are_refused_before_they_are_read(tmp_path, monkeypatch):
    """A 24 MB XLSX of 3 million rows ran over 150 s at 460 MB before it was stopped."""
    import openpyxl
    from layers.data import importer
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(importer.MAX_IMPORT_BYTES + 1)
    done = run_cli(*_args(big, tmp_path / "pkg"))
    assert done.returncode == 2 and "is more than an import reads (20 MB)" in done.stderr
    rows = tmp_path / "rows.csv"
    rows.write_text("Kod;Andel\n" + "1280;5\n" * (importer.MAX_IMPORT_ROWS + 1))
    assert "more than 100,000 rows" in run_cli(*_args(rows, tmp_path / "pkg")).stderr
    monkeypatch.setattr(importer, "MAX_IMPORT_ROWS", 1000)  # the Excel path streams its rows and stops at the limit
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Blad1")
    sheet.append(["Kod", "Andel"])
    for i in range(20_000):
        sheet.append([f"x{i}", 5])
    book.save(tmp_path / "rows.xlsx")
    done = run_cli(*_args(tmp_path / "rows.xlsx", tmp_path / "pkg"))
    assert done.returncode == 2 and "more than 1,000 rows" in done.stderr

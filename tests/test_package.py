"""The data package contract: the default package is valid, every kind of bad package is rejected
with every problem listed by file, row and column."""
import json

import pandas as pd
import pytest

from cli_support import run_cli

from layers.errors import PackageError
from layers.data.package import load_package
from conftest import ROOT


def problems_of(path):
    with pytest.raises(PackageError) as err:
        load_package(path)
    return [str(p) for p in err.value.problems]


def edit_csv(path, fn):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(path, index=False)


def edit_geojson(path, fn):
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data["features"])
    path.write_text(json.dumps(data), encoding="utf-8")


def test_default_package_is_valid(pkg):
    assert len(pkg.boundaries["geso"]) == 14
    assert len(pkg.boundaries["delomrade"]) == 136
    assert len(pkg.boundaries["nyko"]) > 136
    assert pkg.manifest.index_level == "delomrade"
    assert pkg.is_generated()
    assert pkg.manifest.level("nyko").generated and not pkg.manifest.level("delomrade").generated


def test_missing_file(package_copy):
    (package_copy / "uvas.csv").unlink()
    assert "uvas.csv: file is missing" in problems_of(package_copy)


def test_missing_manifest(package_copy):
    (package_copy / "datapackage.json").unlink()
    assert any("datapackage.json: file is missing" in p for p in problems_of(package_copy))


def test_wrong_column(package_copy):
    path = package_copy / "indicators.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",value,", ",varde,", 1), encoding="utf-8")
    assert any("indicators.csv" in p and "required column 'value' is missing" in p for p in problems_of(package_copy))


def test_value_out_of_range_names_row_and_column(package_copy):
    edit_csv(package_copy / "indicators.csv", lambda df: df.__setitem__("value", df["value"].where(df.index != 4, "140")))
    assert "indicators.csv, row 6, column 'value': value 140 is outside the allowed range 0–100" in problems_of(package_copy)


def test_not_a_number(package_copy):
    edit_csv(package_copy / "population.csv", lambda df: df.__setitem__("count", df["count"].where(df.index != 0, "många")))
    assert "population.csv, row 2, column 'count': 'många' is not a whole number" in problems_of(package_copy)


def test_unknown_area_code(package_copy):
    edit_csv(package_copy / "uvas.csv", lambda df: df.__setitem__("code", df["code"].where(df.index != 9, "99999")))
    assert "uvas.csv, row 11, column 'code': unknown area code '99999'" in problems_of(package_copy)


def test_duplicate_code(package_copy):
    def dup(features):
        features[1]["properties"]["code"] = features[0]["properties"]["code"]
    edit_geojson(package_copy / "boundaries" / "delomrade.geojson", dup)
    assert any("delomrade.geojson, row 2, column 'code': area code '10101' appears more than once" in p for p in problems_of(package_copy))


def test_broken_geometry(package_copy):
    def bowtie(features):
        features[3]["geometry"] = {"type": "Polygon", "coordinates": [[[13.0, 55.6], [13.01, 55.61], [13.01, 55.6], [13.0, 55.61], [13.0, 55.6]]]}
    edit_geojson(package_copy / "boundaries" / "delomrade.geojson", bowtie)
    found = problems_of(package_copy)
    assert any("delomrade.geojson, row 4, column 'geometry'" in p and "invalid geometry (Self-intersection" in p for p in found)


def test_geometry_that_does_not_nest(package_copy):
    def move(features):
        ring = features[0]["geometry"]["coordinates"][0]
        features[0]["geometry"]["coordinates"][0] = [[x + 0.2, y] for x, y in ring]
    edit_geojson(package_copy / "boundaries" / "delomrade.geojson", move)
    assert any("area 10101" in p and "lies outside its parent 1 (does not nest)" in p for p in problems_of(package_copy))


def test_parent_that_does_not_exist(package_copy):
    def orphan(features):
        features[5]["properties"]["parent"] = "77"
    edit_geojson(package_copy / "boundaries" / "delomrade.geojson", orphan)
    assert any("row 6, column 'parent'" in p and "parent '77' does not exist on level 'geso'" in p for p in problems_of(package_copy))


def test_every_problem_is_listed_at_once(package_copy):
    edit_csv(package_copy / "indicators.csv", lambda df: df.__setitem__("value", df["value"].where(df.index != 0, "140")))
    edit_csv(package_copy / "facilities.csv", lambda df: df.__setitem__("area_code", df["area_code"].where(df.index != 0, "00000")))
    (package_copy / "uvas.csv").unlink()
    found = problems_of(package_copy)
    assert len(found) == 3
    assert {p.split(",")[0].split(":")[0] for p in found} == {"indicators.csv", "facilities.csv", "uvas.csv"}


def test_undeclared_indicator(package_copy):
    edit_csv(package_copy / "indicators.csv", lambda df: df.__setitem__("indicator", df["indicator"].where(df.index != 0, "okand")))
    assert any("row 2, column 'indicator': indicator 'okand' is not declared" in p for p in problems_of(package_copy))


def test_bad_manifest_lists_problems(package_copy):
    manifest = json.loads((package_copy / "datapackage.json").read_text())
    manifest["indicators"][0]["suppress_below"] = "lots"
    manifest["index_level"] = "kommun"
    (package_copy / "datapackage.json").write_text(json.dumps(manifest))
    found = problems_of(package_copy)
    assert any("suppress_below" in p for p in found) and any("index_level 'kommun'" in p for p in found)


def test_cli_validate(package_copy):
    ok = run_cli("validate", str(ROOT / "data" / "malmo"))
    assert ok.returncode == 0 and "valid" in ok.stdout
    (package_copy / "population.csv").unlink()
    bad = run_cli("validate", str(package_copy))
    assert bad.returncode == 1
    assert "population.csv: file is missing" in bad.stderr and "Traceback" not in bad.stderr


def test_spaces_around_column_names_are_accepted(package_copy):
    path = package_copy / "facilities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = ", ".join(lines[0].split(","))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(load_package(package_copy).facilities) == 22


# --- identifiers and paths from a package are confined (second review, items 8 and 9) -----------

def _edit_manifest(root, fn):
    path = root / "datapackage.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    fn(raw)
    path.write_text(json.dumps(raw), encoding="utf-8")


@pytest.mark.parametrize("where, value", [
    ("indicator", "x' onmouseover='alert(1)"), ("indicator", "Trangboddhet"), ("indicator", "a" * 41),
    ("level", "geso\"><b>x</b>"), ("kind", "library]{}")])
def test_hostile_identifiers_are_refused(package_copy, where, value):
    def edit(raw):
        if where == "indicator":
            raw["indicators"][1]["key"] = value
        elif where == "level":
            raw["levels"][0]["id"] = value
        else:
            raw["facility_kinds"][0]["id"] = value
    _edit_manifest(package_copy, edit)
    found = problems_of(package_copy)
    assert any("must be a lower-case letter" in p for p in found), found


def test_a_path_outside_the_package_is_refused(package_copy, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "nyko.geojson").write_bytes((package_copy / "boundaries" / "nyko.geojson").read_bytes())
    _edit_manifest(package_copy, lambda raw: raw["levels"][2].update(path="../elsewhere/nyko.geojson"))
    assert any("relative path inside the package" in p for p in problems_of(package_copy))
    _edit_manifest(package_copy, lambda raw: raw["levels"][2].update(path=str(outside / "nyko.geojson")))
    assert any("relative path inside the package" in p for p in problems_of(package_copy))
    # a link inside the folder that points out of it
    _edit_manifest(package_copy, lambda raw: raw["levels"][2].update(path="nyko-link.geojson"))
    (package_copy / "nyko-link.geojson").symlink_to(outside / "nyko.geojson")
    assert any("outside the package folder" in p for p in problems_of(package_copy))
    (package_copy / "uvas.csv").rename(outside / "uvas.csv")
    (package_copy / "uvas.csv").symlink_to(outside / "uvas.csv")
    assert any(p.startswith("uvas.csv") and "outside the package folder" in p for p in problems_of(package_copy))

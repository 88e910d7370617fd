"""The CLI's outputs, trends, places, and that the default package rebuilds byte for byte."""
import filecmp
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from cli_support import run_cli

from layers.index import trends
from layers.index.facilities import area_of_facilities, distance_matrix, drawable, nearest_by_kind
from conftest import PACKAGE, ROOT, SHARED


def run(*args):
    return run_cli(*args)  # in-process: the same main() as `python -m layers`


def test_cli_index_csv_and_json():
    out = run("index", "--weights", "inte_behorig=1,trangboddhet=1,ekonomiskt_bistand=1,lag_inkomststandard=1")
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.StringIO(out.stdout), dtype={"code": str})
    assert list(frame.columns[:5]) == ["generated", "code", "name", "index", "rank"]
    assert len(frame) == 136 and frame.iloc[0]["name"] == "Herrgården" and frame.iloc[0]["rank"] == 1
    assert frame["generated"].all()
    js = json.loads(run("index", "--level", "geso", "--format", "json").stdout)
    assert len(js) == 14 and js[0]["rank"] == 1


def test_cli_weights_change_the_ranking():
    out = run("index", "--weights", "inte_behorig=1", "--format", "json")
    assert json.loads(out.stdout)[0]["name"] == "Katrinelund"  # its inte_behorig is the maximum (1.00)


def test_cli_clusters():
    out = run("clusters")
    clusters = json.loads(out.stdout)
    assert len(clusters) == 5
    assert {"id", "name", "members", "mean_index"} <= set(clusters[0])
    assert sum(len(c["members"]) for c in clusters) == 12
    fewer = json.loads(run("clusters", "--top-n", "3", "--no-extend").stdout)
    # Herrgården touches Törnrosen only through Örtagården, which is not in the top 3
    assert sorted(sorted(m["name"] for m in c["members"]) for c in fewer) == [["Herrgården"], ["Persborg", "Törnrosen"]]


def test_cli_trend_for_cluster_and_areas():
    out = run("trend", "--cluster", "k48104")
    table = pd.read_csv(io.StringIO(out.stdout))
    assert set(table["series"]) == {"Herrgården m.fl.", "MALMO", "SE"}
    assert set(table.loc[table["follow_up"], "year"]) == {2030, 2035}
    malmo_2023 = table.query("series == 'MALMO' and year == 2023")["share"].item()
    assert malmo_2023 == pytest.approx(9.5, abs=0.05)
    areas = run("trend", "--areas", "48208,99999")
    assert areas.returncode == 2 and "unknown area code(s): 99999" in areas.stderr


@pytest.mark.slow  # several seconds of processes or generated cases: in `make test`, not the developer's minute
def test_cli_bad_input_is_a_message_not_a_traceback():
    for args in (["index", "--weights", "inte_behorig=abc"], ["index", "--weights", "inte_behorig=0"],
                 ["index", "--level", "kommun"], ["trend", "--cluster", "k00000"]):
        out = run(*args)
        assert out.returncode == 2 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr, args
    # and the real entry point, once: `python -m layers` exits with main()'s code and says it in one line
    real = subprocess.run([sys.executable, "-m", "layers", "index", "--level", "kommun"], capture_output=True, text=True, cwd=ROOT)
    assert real.returncode == 2 and real.stderr.startswith("error: ") and "Traceback" not in real.stderr


def test_cli_disclosure_report():
    out = run("disclosure")
    report = pd.read_csv(io.StringIO(out.stdout), dtype={"code": str})
    assert list(report.columns) == ["level", "code", "name", "indicator", "change", "value_before", "value_shown", "denominator"]
    assert set(report["level"]) == {"geso", "delomrade", "nyko"}
    report = report[report["level"] == "delomrade"]
    suppressed = report[report["change"] == "suppressed"]
    assert len(suppressed) and (suppressed["value_shown"] == 0).all() and (suppressed["value_before"] < 1).all()
    replaced = report[report["change"].str.startswith("parent")]
    assert len(replaced) and (replaced["denominator"] < 10).all()
    assert "Sofielunds Industriområde" in set(replaced["name"])


def test_uvas_series_is_count_weighted(pkg):
    rows = pkg.uvas.query("age_group == '16-29' and year == 2023 and code in ['48208', '48205']")
    expected = 100 * rows["count"].sum() / (100 * rows["count"] / rows["share"]).sum()
    series = trends.uvas_series(pkg, ["48208", "48205"]).set_index("year")
    assert series.at[2023, "share"] == pytest.approx(expected)
    geso = trends.uvas_series(pkg, ["10"]).set_index("year")  # a GeSO: its delområden together
    assert geso.at[2023, "count"] > series.at[2023, "count"]


def test_places(pkg):
    drawn = drawable(pkg)
    assert len(drawn) == (pkg.facilities["position"] != "unknown").sum() and len(drawn) < len(pkg.facilities)
    areas = area_of_facilities(pkg, "delomrade")
    assert areas["aah-lindangen"] == next(c for c, n in pkg.boundaries["delomrade"]["name"].items() if n == "Lindängen")
    assert areas["lib-stadsbiblioteket"] == next(c for c, n in pkg.boundaries["delomrade"]["name"].items() if n == "Malmö Hus")
    assert area_of_facilities(pkg, "geso")["aah-lindangen"] == "12"
    distances = distance_matrix(pkg, "delomrade")
    nearest = nearest_by_kind(pkg, distances, ["36105"]).set_index("kind")  # Hermodsdal has an allaktivitetshus
    assert nearest.at["allaktivitetshus", "distance_m"] == 0
    assert nearest.at["library", "distance_m"] > 0


@pytest.mark.slow  # several seconds of processes or generated cases: in `make test`, not the developer's minute
@pytest.mark.skipif(not SHARED.exists(), reason="needs ../shared/data")
def test_default_package_rebuilds_identically(tmp_path):
    out = tmp_path / "malmo"
    subprocess.run([sys.executable, "scripts/build_malmo.py", "--out", str(out)], check=True, cwd=ROOT, capture_output=True)
    files = [p.relative_to(PACKAGE) for p in PACKAGE.rglob("*") if p.is_file()]
    _, mismatch, errors = filecmp.cmpfiles(PACKAGE, out, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []

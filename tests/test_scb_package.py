"""`python -m layers build scb`: a package for any Swedish municipality from SCB alone, built against
stand-in servers that answer in SCB's recorded formats (json-stat2 with status marks, WFS GeoJSON in
EPSG:3006, /config), with Malmö's real 2025 codes and områdestyp, and a second municipality (1281)
with made-up codes to show that nothing is tied to Malmö. The shapes and values are the stand-ins'
(tests/standins.py), not SCB's."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from layers.analysis.reference import comparison, words
from layers.cli import main
from layers.data.package import load_package
from layers.index.engine import Engine
from standins import AGE_BANDS, SHARED as SHARED_DATA, cell_value, omradestyp, people, standin

BUILDS = [("1280", "regso"), ("1280", "deso"), ("1281", "regso"), ("1281", "deso")]


@pytest.fixture(scope="module")
def stand_in():
    with standin() as (url, state):
        yield url, state


def build(url, tmp, kommun, level, *extra):
    return main(["build", "scb", "--kommun", kommun, "--level", level, "--year", "2024", "--into", str(tmp / f"scb-{kommun}-{level}"),
                 "--scb-url", url + "/scb", "--wfs-url", url + "/geo", "--cache", str(tmp / "cache"), *extra])


@pytest.fixture(scope="module")
def packages(stand_in, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scb")
    for kommun, level in BUILDS:
        assert build(stand_in[0], tmp, kommun, level) == 0
    return {(k, lv): tmp / f"scb-{k}-{lv}" for k, lv in BUILDS}


@pytest.mark.parametrize("kommun,level", BUILDS)
def test_build_scb_writes_a_valid_package_with_no_generated_values(packages, kommun, level):
    pkg = load_package(packages[(kommun, level)])
    m = pkg.manifest
    assert not pkg.is_generated() and m.level_ids == ["regso", "deso"] and m.index_level == level
    assert [lv.labels["sv"] for lv in m.levels] == ["RegSO", "DeSO"]
    regso, deso = pkg.boundaries["regso"], pkg.boundaries["deso"]
    links = pd.read_csv(SHARED_DATA / "scb" / "malmo_deso2025_regso2025.csv", dtype=str)
    if kommun == "1280":  # Malmö's real 2025 codes: 91 RegSO, 209 DeSO, each DeSO in its RegSO
        assert len(regso) == 91 and len(deso) == 209
        assert dict(zip(deso.index, deso["parent"])) == dict(zip(links["desokod_2025"], links["regsokod_2025"]))
    else:
        assert len(regso) == 8 and len(deso) == 24 and all(c.startswith("1281") for c in [*regso.index, *deso.index])
    assert deso["name"].str.match(r"^\d{4}C\d{4} i ").all()  # SCB names no DeSO: its code and its RegSO
    assert pkg.place("sv") == ("Malmö" if kommun == "1280" else "Övrekommun") and pkg.children_age_group == "0-19"
    assert pkg.uvas.empty and pkg.facilities.empty  # SCB has no UVAS per area; no places file was given


def test_the_values_are_scbs_own_for_each_area(packages):
    pkg = load_package(packages[("1280", "deso")])
    ind = pkg.indicators.set_index("code")
    area = "1280C1010"
    children = sum(people(area, band, sex) for band in AGE_BANDS[:4] for sex in ("1", "2"))
    assert ind.at[area, "value"] == cell_value("TAB6685", area, "0-19", "000008AC", "2024")  # the percentage as SCB gives it
    assert ind.at[area, "denominator"] == children  # the children 0–19 of TAB6574 (bands -4, 5-9, 10-14, 15-19)
    pop = pkg.population.set_index(["code", "age_group"])["count"]
    assert pop[(area, "0-19")] == children and pop[(area, "total")] == sum(people(area, b, s) for b in AGE_BANDS for s in ("1", "2"))
    suppressed = [c for c in pkg.boundaries["deso"].index if cell_value("TAB6685", c, "0-19", "000008AC", "2024") is None]
    assert suppressed and not set(suppressed) & set(ind.index)  # a cell SCB marks ".." is no value, not a zero
    ref = pkg.reference.set_index("code")["omradestyp"].to_dict()
    assert ref == {c: t for c, t in omradestyp().items() if c.startswith("1280")}  # SCB's områdestyp 2022 for Malmö's RegSO (real)


def test_every_file_has_its_provenance(packages):
    root = packages[("1280", "regso")]
    manifest = json.loads((root / "datapackage.json").read_text())
    provenance = {p.name: json.loads(p.read_text()) for p in (root / "provenance").glob("*.json")}
    assert {"regso.geojson.json", "deso.geojson.json", "TAB6685-regso.json", "TAB6685-deso.json", "TAB6574-regso.json",
            "TAB6586-regso.json"} <= set(provenance)
    for name, p in provenance.items():
        assert p["licence"] == "CC0-1.0" and p["credit"] == "Källa: SCB" and p["fetched"], name
    assert provenance["TAB6685-deso.json"]["codelist"] == "vs_DeSO2025"
    assert provenance["TAB6685-regso.json"]["selection"] == {"Alder": ["0-19"], "ContentsCode": ["000008AC"], "Tid": ["2024"]}
    assert provenance["deso.geojson.json"]["layer"] == "stat:DeSO_2025" and "EPSG:3006" in provenance["deso.geojson.json"]["crs"]
    ind = manifest["indicators"][0]
    assert ind["key"] == "lag_ekonomisk_standard" and "närmevärde för låg inkomststandard" in ind["note"]
    assert all(s.get("credit") == "Källa: SCB" for s in manifest["sources"])


def test_a_failed_build_leaves_nothing_and_says_why(stand_in, tmp_path, capsys):
    assert build(stand_in[0], tmp_path, "9998", "regso") == 2  # the WFS knows no such municipality
    assert "no areas" in capsys.readouterr().err and not (tmp_path / "scb-9998-regso").exists()
    assert not list(tmp_path.glob(".scb-*"))  # nor a half-built folder beside it
    (tmp_path / "scb-1281-regso").mkdir()
    (tmp_path / "scb-1281-regso" / "keep.txt").write_text("mine")
    assert build(stand_in[0], tmp_path, "1281", "regso") == 2
    assert "not empty" in capsys.readouterr().err and (tmp_path / "scb-1281-regso" / "keep.txt").read_text() == "mine"
    assert build(stand_in[0], tmp_path, "1281", "regso", "--table", "TAB6574", "--select", "Alder=totalt", "--select", "Kon=1+2",
                 "--replace") == 2  # a count is not a share of people
    assert "not a percentage" in capsys.readouterr().err and (tmp_path / "scb-1281-regso" / "keep.txt").exists()


def test_a_further_table_is_a_further_indicator(stand_in, tmp_path):
    assert build(stand_in[0], tmp_path, "1281", "regso", "--table", "TAB6685", "--select", "Alder=20-64", "--select",
                 "ContentsCode=000008AD", "--label", "Hög ekonomisk standard 20–64 år") == 0
    pkg = load_package(tmp_path / "scb-1281-regso")
    assert pkg.manifest.indicator_keys == ["lag_ekonomisk_standard", "tab6685"]
    assert pkg.manifest.indicators[1].labels["sv"] == "Hög ekonomisk standard 20–64 år"
    row = pkg.indicators[(pkg.indicators["indicator"] == "tab6685") & (pkg.indicators["code"] == "1281R001")]
    assert row["value"].item() == cell_value("TAB6685", "1281R001", "20-64", "000008AD", "2024")


def test_the_comparison_with_scbs_omradestyp(packages, tmp_path):
    """Spearman's rho against the type turned round, and the fifths of the rank against the types, on
    the built package; then on a copy whose types follow the index exactly (rho 1, a diagonal table)."""
    engine = Engine(load_package(packages[("1280", "regso")]))
    c = comparison(engine, top_n=11)
    result = engine.index(None, "regso")
    ref = engine.pkg.reference.set_index("code")["omradestyp"].reindex(result.codes)
    ok = np.isfinite(result.index) & ref.notna().to_numpy()
    assert c.n == ok.sum() == 85 and c.rho == pytest.approx(spearmanr(result.index[ok], -ref[ok]).statistic, abs=1e-3)
    assert sum(map(sum, c.table)) == c.n and [len(r) for r in c.table] == [5] * 5 and sum(c.top_types) == 11
    assert c.groups[0] == (1, 17) and c.groups[-1][1] == 85
    copy = tmp_path / "exact"
    shutil.copytree(packages[("1280", "regso")], copy)
    ranks = pd.Series(result.rank, index=result.codes)[ok]
    types = pd.DataFrame({"code": ranks.index, "year": 2024, "omradestyp": 1 + ((ranks.to_numpy() - 1) * 5 // len(ranks)), "scb_index": ""})
    types.to_csv(copy / "reference" / "scb_omradestyp.csv", index=False)
    exact = comparison(Engine(load_package(copy)), top_n=11)
    assert exact.rho > 0.9 and all(row[g] == max(row) for g, row in enumerate(exact.table)) and exact.top_types[0] == 11
    assert words(exact, "sv")[0].startswith("Indexet och SCB:s områdestyp ordnar de 85 områdena tydligt på samma sätt")
    assert words(exact, "sv")[1] == ("Av de 11 områden som indexet rankar högst har SCB 11 som områdestyp 1 eller 2 "
                                     "(socioekonomiska utmaningar), varav 11 som typ 1.")


def test_the_cli_says_the_comparison(packages, capsys):
    assert main(["reference", "--package", str(packages[("1281", "deso")]), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "rank correlation" in out and out.splitlines()[3].startswith("rank,1 Major socio-economic challenges")
    assert main(["reference"]) == 2  # Malmö's default package has no reference: a clear message
    assert "no reference classification" in capsys.readouterr().err


def test_a_reference_that_names_unknown_areas_is_refused(packages, tmp_path):
    copy = tmp_path / "bad"
    shutil.copytree(packages[("1281", "regso")], copy)
    from layers.errors import PackageError
    for body, said in (("1281R001,2024,7,\n", "row 2, column 'omradestyp': value 7 is outside the allowed range 1–5"),
                       ("1281R001,2024,2,\n9999R001,2024,2,\n", "row 3, column 'code': unknown area code '9999R001' on level 'regso'")):
        (copy / "reference" / "scb_omradestyp.csv").write_text("code,year,omradestyp,scb_index\n" + body)
        with pytest.raises(PackageError) as err:
            load_package(copy)
        assert f"reference/scb_omradestyp.csv, {said}" in err.value.report()


def test_the_dashboard_shows_an_scb_package_as_what_it_is(packages):
    """In-process: the page's layout for a DeSO package of 1281 names the municipality, has no demo
    notice, the presets of one indicator, the children 0–19, and the comparison panel."""
    from dashboard.app import create_app
    app = create_app(str(packages[("1281", "deso")]))
    page = app.server.test_client().get("/")
    assert page.status_code == 200 and "Var behövs insatserna mest? – Övrekommun" in page.get_data(as_text=True)
    from dashboard.layout import build_layout
    from layers.view import State
    layout = build_layout(app.ctx, State({"lag_ekonomisk_standard": 50.0}, "deso", ()), [])
    text = json.dumps(layout.to_plotly_json(), default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False)
    assert "data-notice" not in text and "Exempeldata" not in text and "Övrekommun" in text
    assert "Lika vikter" in text and "Stadskontoret" not in text and "Skolfokus" not in text
    assert "reference-panel" in text and "Jämfört med SCB:s områdestyp" in text and "barn 0–19 år" in text


@pytest.mark.slow  # four apps built in the test process (about 2 s each)
@pytest.mark.parametrize("kommun,level", BUILDS)
def test_each_build_is_served_with_no_demo_notice(packages, kommun, level):
    """Both municipalities, both levels: the real Flask app serves the page, the view model and an export."""
    from dashboard.app import create_app
    app = create_app(str(packages[(kommun, level)]))
    client = app.server.test_client()
    name = "Malmö" if kommun == "1280" else "Övrekommun"
    assert f"Var behövs insatserna mest? – {name}" in client.get("/").get_data(as_text=True)
    csv = client.get(f"/api/export.csv?level={level}").get_data(as_text=True)
    assert "EXEMPELDATA" not in csv and "SCB Statistikdatabasen, TAB6685" in csv
    assert app.ctx.pkg.is_generated() is False


def test_places_come_only_from_a_places_file(stand_in, tmp_path):
    places = tmp_path / "platser.csv"
    places.write_text("id,kind,name,address,lat,lon,position,area_code,source,generated\n"
                      "bib-1,library,Stadsbiblioteket,,,,area,1281R001,kommunens webbplats,false\n", encoding="utf-8")
    assert build(stand_in[0], tmp_path, "1281", "regso", "--places", str(places)) == 0
    pkg = load_package(tmp_path / "scb-1281-regso")
    assert list(pkg.facilities["name"]) == ["Stadsbiblioteket"] and not pkg.is_generated()


def test_the_page_on_an_scb_package(packages, browser):
    """The real app on a DeSO package of 1281: the municipality's name, no demo notice, no UVAS chart
    (a line says why), and the comparison with SCB's områdestyp once the controls are still."""
    from selenium.webdriver.common.by import By

    from browser_support import running_app, wait_for
    with running_app(env={"MALMO_PACKAGE": str(packages[("1281", "deso")])}) as url:
        browser.get(url + "/")
        wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length", timeout=60)
        assert browser.title == "Var behövs insatserna mest? – Övrekommun"
        assert browser.find_elements(By.ID, "data-notice") == []
        assert "barn och unga i Övrekommun" in browser.find_element(By.CSS_SELECTOR, ".subtitle").text
        assert not browser.find_element(By.CSS_SELECTOR, "section.trend").is_displayed()
        assert "inga värden för unga som varken arbetar eller studerar" in browser.find_element(By.CSS_SELECTOR, ".trend-none").text
        assert not browser.execute_script("return !!window.Plotly")  # the hidden chart is never mounted
        browser.execute_script("document.getElementById('reference-panel').open = true;")
        wait_for(browser, "return document.querySelector('#reference-body table')", timeout=90)
        body = browser.find_element(By.ID, "reference-body").text
        assert "rangkorrelation" in body and "Typ 1" in body and "1 Stora socioekonomiska utmaningar" in body
        cells = [int(td.text) for td in browser.find_elements(By.CSS_SELECTOR, "#reference-body tbody td")]
        assert sum(cells) == 8  # each of the municipality's RegSO once: the comparison is at RegSO, SCB's level


def test_interpolation_weighs_by_people_not_by_area():
    """Two DeSO side by side, 10 % of 100 children and 50 % of 300; a delområde over half of each has
    5 + 75 of 50 + 150 children: 40 %, not the areas' mean of 30 %. One covered for less than half of
    its surface gets no estimate; one outside gets none."""
    import geopandas as gpd
    from shapely.geometry import box

    from layers.data.crosswalk import interpolate_shares
    source = gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:3006").set_index("code")
    target = gpd.GeoDataFrame({"code": ["half", "edge", "out"]},
                              geometry=[box(500, 0, 1500, 1000), box(1700, 0, 2700, 1000), box(5000, 0, 6000, 1000)],
                              crs="EPSG:3006").set_index("code")
    est = interpolate_shares(source, target.to_crs("EPSG:4326"), pd.Series({"A": 10.0, "B": 50.0}), pd.Series({"A": 100.0, "B": 300.0}))
    assert est.at["half", "value"] == pytest.approx(40.0, abs=1e-6) and est.at["half", "denominator"] == pytest.approx(200.0, rel=1e-6)
    assert est.at["half", "coverage"] == pytest.approx(1.0, abs=1e-6) and est.at["edge", "coverage"] == pytest.approx(0.3, abs=1e-3)
    assert np.isnan(est.at["edge", "value"]) and np.isnan(est.at["out", "value"]) and est.at["out", "coverage"] == 0


def test_crosswalk_marks_its_estimate_everywhere_it_is_shown(packages, tmp_path, capsys):
    from conftest import PACKAGE
    from dashboard.context import AppContext
    from layers.output.provenance import source_lines
    into = tmp_path / "malmo-scb"
    assert main(["crosswalk", "--source", str(packages[("1280", "deso")]), "--indicator", "lag_ekonomisk_standard",
                 "--as", "lag_inkomststandard", "--into", str(into)]) == 0
    assert "estimated for" in capsys.readouterr().out
    pkg = load_package(into)
    ind = next(i for i in pkg.manifest.indicators if i.key == "lag_inkomststandard")
    assert ind.labels["sv"] == "Låg ekonomisk standard, barn 0–19 år (uppskattad från DeSO)" and "uppskattat från DeSO" in ind.source
    rows = pkg.indicators[(pkg.indicators["indicator"] == "lag_inkomststandard") & pkg.indicators["code"].isin(pkg.boundaries["delomrade"].index)]
    assert len(rows) > 50 and not rows["generated"].any() and rows["year"].eq(2024).all()  # real values, estimated; no generated row left
    line = next(x for x in source_lines(AppContext.from_package(into), "sv") if x.startswith("Låg ekonomisk standard"))
    assert "uppskattat från DeSO" in line and "på nivån Delområde" not in line  # only NYKO (generated) is still demo data
    crosswalk = json.loads((into / "provenance" / "crosswalk-lag_inkomststandard.json").read_text())
    assert crosswalk["indicator"] == "lag_ekonomisk_standard" and "tobler" in crosswalk["method"]
    assert load_package(PACKAGE).manifest.indicators[3].labels["sv"] == "Låg inkomststandard"  # the source package is not touched

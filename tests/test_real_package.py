"""A package whose shown values are all real opens without a demo notice and with its sources on
screen ("Källa" in the card, Källor in the method panel, the footer, the exports); a mixed package's
notice names exactly what is generated."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import requests
from selenium.webdriver.common.by import By

from browser_support import running_app, wait_for
from layers.data.importer import import_table
from conftest import PACKAGE
from test_import import INDICATORS, city_table

TEST_SOURCE = "Testtabell för automatiska tester (inte Malmös statistik)"


def strip_generated(base, dest):
    """The default package without its generated parts, for this test only: no NYKO level, and the
    population, UVAS and places tables relabelled as the test's own table (a fixture never shown to users)."""
    shutil.copytree(base, dest)
    manifest = json.loads((dest / "datapackage.json").read_text())
    nyko = {f["properties"]["code"] for f in json.loads((dest / "boundaries" / "nyko.geojson").read_text())["features"]}
    manifest["levels"] = [lv for lv in manifest["levels"] if lv["id"] != "nyko"]
    manifest["title"] = "Testpaket"
    manifest["sources"] = [{"title": TEST_SOURCE, "licence": "CC0-1.0", "applies_to": ["population.csv", "uvas.csv", "facilities.csv"]}]
    (dest / "boundaries" / "nyko.geojson").unlink()
    (dest / "datapackage.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    for name in ("indicators.csv", "population.csv", "uvas.csv", "facilities.csv"):
        table = pd.read_csv(dest / name, dtype=str, keep_default_na=False)
        if "code" in table:
            table = table[~table["code"].isin(nyko)]
        if "area_code" in table:
            table = table[~table["area_code"].isin(nyko)]
        if name != "indicators.csv":
            table["generated"] = "false"
        table.to_csv(dest / name, index=False, lineterminator="\n")


@pytest.fixture(scope="module")
def real_package(tmp_path_factory, pkg):
    tmp = tmp_path_factory.mktemp("real")
    strip_generated(PACKAGE, tmp / "base")
    path = tmp / "table.csv"
    city_table(pkg).iloc[:-1].to_csv(path, sep=";", index=False)
    import_table(path, tmp / "real", tmp / "base", name_column="Delområde", indicators=INDICATORS, year=2024,
                 source=TEST_SOURCE, licence="CC0-1.0")
    return tmp / "real"


def test_a_real_package_has_no_demo_notice_and_shows_its_sources(real_package, browser):
    with running_app(env={"MALMO_PACKAGE": str(real_package)}) as url:
        browser.get(url + "/?area=48208")
        wait_for(browser, "return window.malmoPainted && document.querySelector('#area-card h2')", timeout=60)
        assert browser.find_elements(By.ID, "data-notice") == []
        page = browser.find_element(By.TAG_NAME, "body").text
        assert "EXEMPELDATA" not in page and "Exempeldata" not in page and "genererade" not in page.lower()
        card = browser.find_element(By.ID, "area-card").text
        assert f"Källa: {TEST_SOURCE} 2024 (CC0-1.0)" in card
        browser.execute_script("document.getElementById('sources-panel').open = true;")
        sources = browser.find_element(By.ID, "sources-panel").text
        assert sources.count("verkliga värden") == 4 and "importerad" in sources
        assert TEST_SOURCE in browser.find_element(By.CSS_SELECTOR, "footer").text
        csv = requests.get(url + "/api/export.csv", timeout=30).content.decode("utf-8-sig")
        assert "EXEMPELDATA" not in csv and f"{TEST_SOURCE}, 2024, CC0-1.0" in csv and "verkliga värden" in csv


def test_a_mixed_package_names_what_is_generated(tmp_path, pkg):
    from dashboard.context import AppContext
    from layers.output.provenance import notice

    path = tmp_path / "t.csv"
    city_table(pkg).iloc[:-1].to_csv(path, sep=";", index=False)
    import_table(path, tmp_path / "mixed", PACKAGE, name_column="Delområde", indicators=INDICATORS[:2], year=2024, source="Stadskontoret")
    ctx = AppContext.from_package(tmp_path / "mixed")
    words = notice(ctx, "sv")
    assert words.startswith("Delvis exempeldata:")
    assert "värdena för Ekonomiskt bistånd på nivån Delområde, NYKO (demo)" in words
    assert "värdena för Trångboddhet på nivån NYKO (demo)" in words and "Delområde, NYKO" not in words.split("Trångboddhet")[1][:30]
    assert "områdena på nivån NYKO (demo)" in words and "befolkningen" in words and "UVAS" in words
    assert notice(AppContext.from_package(PACKAGE), "sv").startswith("Exempeldata: gränser och platser är verkliga")

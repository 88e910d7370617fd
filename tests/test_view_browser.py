"""The one view in the browser (layers/view.py → the `view` store → malmoFields), on a deployment
under a URL prefix: presentation mode's stepping shows exactly what the scenario's own link shows,
the compare page's B survives a reload and opens in the dashboard as moved, and C on the compare
wall comes back to the same deployment in the same language. Each was a bug of the eight copies
of the view state this replaced."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import running_app, wait_for
from conftest import WORKSHOP_KEY
from layers.output.texts import t

pytestmark = pytest.mark.browser
PREFIX = "/kraftsamling/"
EQUAL = "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1"
ECONOMY = "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:3,lag_inkomststandard:1"
# everything a scenario keeps, none of it the default
RICH = ("?w=inte_behorig:3,trangboddhet:1,ekonomiskt_bistand:2,lag_inkomststandard:1&level=delomrade&layers=library"
        "&norm=minmax&agg=arithmetic&classes=natural_breaks&top=9&ext=0.5&minb=25&age=20-24&sort=index:desc&map=hotspots")
SETTLED = "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 100"


@pytest.fixture(scope="module")
def server():
    with running_app({"URL_PREFIX": PREFIX}, ready_path=PREFIX + "healthz") as url:
        yield url + PREFIX.rstrip("/")


def stable_search(browser) -> str:
    """The address once the page has written it (after the 250 ms pause) and it has stayed put."""
    wait_for(browser, SETTLED, timeout=40)
    last = None
    for _ in range(60):
        now = browser.execute_script("return location.search")
        if now == last and "w=" in now:
            return now
        last = now
        browser.execute_script("return new Promise(r => setTimeout(r, 400))")
    return now


def shown(browser) -> dict:
    """What the wall shows: the colours, the checked map mode and age group, the place layers, the sort."""
    return browser.execute_script("""
        const checked = id => { const i = document.querySelector('#' + id + ' input:checked'); return i ? i.closest('label').textContent.trim() : null; };
        return {fill: JSON.stringify(window.malmoView.fill), map: checked('map-mode'), age: checked('uvas-age'),
                layers: [...document.querySelectorAll('.place-toggle')].filter(t => t.querySelector('input').checked).map(t => t.id),
                sort: JSON.stringify(window.malmoSort), classes: checked('classification-select')};
    """)


def test_stepping_to_a_scenario_shows_what_its_link_shows(server, browser):
    made = []
    for name, state in (("Lika vikter", "?w=" + EQUAL), ("Allt annorlunda", RICH)):
        s = requests.post(server + "/api/scenarios", json={"name": name, "state": state}, timeout=10).json()
        assert requests.put(server + f"/api/workshop/{s['id']}", headers={"X-Workshop-Key": WORKSHOP_KEY}, timeout=10).status_code == 200
        made.append(s)
    plain, rich = made
    browser.get(server + f"/?s={plain['id']}&mode=present")
    stable_search(browser)
    workshop = [s["id"] for s in requests.get(server + "/api/workshop", timeout=10).json()["scenarios"]]
    for _ in range(len(workshop)):  # → until the rich scenario is on the wall
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
        if browser.execute_script("return document.getElementById('present-name').textContent").endswith("Allt annorlunda"):
            break
    wait_for(browser, "return document.getElementById('present-name').textContent.endsWith('Allt annorlunda')")
    wait_for(browser, "return location.search.indexOf('map=hotspots') > 0 && location.search.indexOf('sort=index:desc') > 0", timeout=20)
    stepped_search, stepped = stable_search(browser), shown(browser)

    browser.get(server + f"/?s={rich['id']}&mode=present")
    linked_search, linked = stable_search(browser), shown(browser)
    assert stepped_search == linked_search
    assert stepped == linked and linked["map"] == t("sv", "map_mode_hotspots") and "20–24" in linked["age"]
    assert linked["layers"] == ["layer-library"] and linked["classes"] == t("sv", "class_natural_breaks")
    assert json.loads(linked["sort"]) == {"column": "index", "direction": "desc"}


def test_compare_b_survives_a_reload_and_opens_as_moved(server, browser):
    browser.get(server + f"/compare?a=w={EQUAL}&b=w={ECONOMY}&lang=en")
    wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#cmp-lists h3').length === 4", timeout=40)
    handle = browser.find_element(By.CSS_SELECTOR, "#cmp-weight-inte_behorig .rc-slider-handle")
    start = int(handle.get_attribute("aria-valuenow"))
    handle.click()
    for _ in range(10):
        handle.send_keys(Keys.ARROW_RIGHT)
    moved = int(handle.get_attribute("aria-valuenow"))
    assert moved > start
    wait_for(browser, f"return new URLSearchParams(location.search).get('b').indexOf('w=inte_behorig:{moved},') === 0", timeout=20)
    b = parse_qs(urlsplit(browser.current_url).query)["b"][0]
    assert b.startswith(f"w=inte_behorig:{moved},") and "lang=" not in b
    open_b = browser.find_element(By.ID, "cmp-open-b").get_attribute("href")
    assert urlsplit(open_b).path == PREFIX and f"w=inte_behorig:{moved}," in open_b and "lang=en" in open_b

    browser.refresh()
    wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#cmp-lists h3').length === 4", timeout=40)
    assert int(browser.find_element(By.CSS_SELECTOR, "#cmp-weight-inte_behorig .rc-slider-handle").get_attribute("aria-valuenow")) == moved
    browser.get(open_b)
    wait_for(browser, SETTLED, timeout=40)
    assert int(browser.find_element(By.CSS_SELECTOR, "#weight-inte_behorig .rc-slider-handle").get_attribute("aria-valuenow")) == moved


def test_c_on_the_compare_wall_stays_in_the_deployment_and_the_language(server, browser):
    ids = [requests.post(server + "/api/scenarios", json={"name": n, "state": "?w=" + w}, timeout=10).json()["id"]
           for n, w in (("A-sidan", EQUAL), ("B-sidan", ECONOMY))]
    browser.get(server + f"/compare?a={ids[0]}&b={ids[1]}&mode=present&lang=en")
    wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#cmp-lists h3').length === 4", timeout=40)
    browser.find_element(By.TAG_NAME, "body").send_keys("c")
    wait_for(browser, f"return location.pathname === '{PREFIX}' && document.getElementById('page')", timeout=40)
    stable_search(browser)
    assert browser.execute_script("return document.documentElement.lang || document.getElementById('page').lang") == "en"
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["lang"] == ["en"] and query["mode"] == ["present"]
    assert query["w"] == ["inte_behorig:33.3333,trangboddhet:33.3333,ekonomiskt_bistand:100,lag_inkomststandard:33.3333"]  # B, as the sliders show it


def test_the_browser_writes_the_query_the_server_writes(server, browser):
    """malmoFields (assets/malmo-core.js) encodes each kind as layers/view.py does: for every recorded
    link, the page's writer gives the server's query for the same view, byte for byte."""
    from pathlib import Path
    from dashboard.context import PackageVersion
    from layers.cli import DEFAULT_PACKAGE
    from layers.view import from_store, parse_query, to_query, to_store
    options = PackageVersion.load(DEFAULT_PACKAGE).options
    cases = json.loads((Path(__file__).parent / "data" / "url_cases.json").read_text(encoding="utf-8"))["cases"]
    stores, expected = [], []
    for case in cases:
        state, _ = parse_query(parse_qs(case["canonical"][1:], keep_blank_values=True), options)
        store = to_store(state)
        stores.append(store)
        expected.append(to_query(from_store(store, options)[0]))
    browser.get(server + "/")
    wait_for(browser, SETTLED, timeout=40)
    written = browser.execute_script("return arguments[0].map(v => window.malmoFields.query(window.malmoViewSpec, v))", stores)
    assert written == expected


def test_the_browser_reads_typed_numbers_and_writes_number_fields_as_the_server_does(server, browser):
    """One rule each, in two languages: a typed number (layers/reading.py parse_decimal ↔
    malmoFields.readDecimal) and a number field's text (layers/view.py control_text ↔ controlText)."""
    from layers.reading import parse_decimal
    from layers.view import control_text
    typed = ["0,55", "0.55", " 1 234,5 ", "1\u00a0234,5", "1.234,5", "1,234.5", "\u22122", "-2", "+3", "1e3", ".5", "5.", "", "  ",
             "abc", "1,2,3", "0,5,", "inf", "NaN", "1..2", "12 kr", "٣", "1_000", "1E-3"]
    read = browser.execute_script("return arguments[0].map(x => { const v = window.malmoFields.readDecimal(x); return Number.isNaN(v) ? 'NaN' : v; })", typed)
    assert read == [("NaN" if x.strip() else None) if parse_decimal(x) is None else parse_decimal(x) for x in typed], list(zip(typed, read))
    numbers = [0.55, 11, 25, 0, 1234.5, 0.001, None, 2.0, 4999]  # within the fields' ranges (num is 6 significant digits there)
    for lang in ("sv", "en"):
        shown = browser.execute_script("return arguments[0].map(x => window.malmoFields.controlText(x, arguments[1]))", numbers, lang)
        assert shown == [control_text(x, lang) for x in numbers], (lang, shown)


def test_a_swedish_page_writes_and_reads_its_number_fields_with_a_decimal_comma(server, browser):
    browser.get(server + "/?ext=0.55")
    stable_search(browser)
    field = browser.find_element(By.ID, "extend-input")
    assert field.get_attribute("value") == "0,55" and field.get_attribute("inputmode") == "decimal"
    browser.execute_script("document.querySelector('details.method').open = true")
    field.clear()
    field.send_keys("0,6", Keys.ENTER)
    wait_for(browser, "return location.search.indexOf('ext=0.6') > 0")
    browser.get(server + "/?ext=0.55&lang=en")
    stable_search(browser)
    assert browser.find_element(By.ID, "extend-input").get_attribute("value") == "0.55"


def test_a_new_view_parameter_travels_without_code_of_its_own(server, browser):
    """The allocation rule (one Field in layers/view.py, one text key) opens from a link, follows the
    control into the address, and comes back from a saved scenario."""
    browser.get(server + "/?rule=children")
    stable_search(browser)
    checked = "return document.querySelector('#alloc-rule input:checked').closest('label').textContent.trim()"
    assert browser.execute_script(checked) == t("sv", "alloc_rule_children", child_ages="0–18")
    assert "rule=children" in browser.execute_script("return location.search")
    label = [e for e in browser.find_elements(By.CSS_SELECTOR, "#alloc-rule label") if e.text.strip() == t("sv", "alloc_rule_need_children")][0]
    browser.execute_script("arguments[0].querySelector('input').click()", label)
    wait_for(browser, "return location.search.indexOf('rule=need_children') > 0")
    saved = requests.post(server + "/api/scenarios", json={"name": "Regel", "state": browser.execute_script("return window.malmoQuery")},
                          timeout=10).json()
    assert "rule=need_children" in saved["state"]
    browser.get(server + f"/?s={saved['id']}")
    stable_search(browser)
    assert browser.execute_script(checked) == t("sv", "alloc_rule_need_children")


def test_the_browser_writes_numbers_as_the_server_does(server, browser):
    """lib.fmt (Intl.NumberFormat) and layers/texts.number are the same rule in two languages."""
    from layers.output.texts import number
    values = [0, 0.5, 1234.5, -0.25, 1e6, 12.345, -9876.5]
    browser.get(server + "/")
    wait_for(browser, SETTLED, timeout=40)
    for lang in ("sv", "en"):
        for decimals in (0, 1, 2, 4):
            shown = browser.execute_script("return arguments[0].map(v => window.malmoLib.fmt(v, arguments[1], arguments[2]))",
                                           values, lang, decimals)
            assert shown == [number(v, lang, decimals) for v in values], (lang, decimals)

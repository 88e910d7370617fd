"""The dashboard in headless Chromium against the real server (python app.py)."""
from __future__ import annotations

import json

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from layers.index.classify import class_breaks, classes_of
from layers.output.viewmodel import COLOURS
from browser_support import SCREENSHOTS, settled, severe_errors, wait_for

pytestmark = pytest.mark.browser
KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]
OUTLINE = "#08306b"
FILLS = """return Object.fromEntries(Object.entries(window.malmoLayers).filter(([c, l]) => l._map)
    .map(([c, l]) => [c, l.options.fillColor]))"""
DRAWN = "return Array.from(document.querySelectorAll('.leaflet-overlay-pane path')).filter(p => p.getAttribute('stroke') !== '%s').length" % OUTLINE


def open_page(driver, url: str, areas: int = 136):
    driver.get(url)
    wait_for(driver, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 1")
    wait_for(driver, DRAWN.replace("return ", "return ") + f" === {areas}")
    settled(driver)


def table_text(driver) -> str:
    return driver.execute_script("return document.getElementById('ranking-table-container').innerText")


def table_names(driver, n: int | None = 5) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#ranking-table tbody .col-name')).map(td => td.innerText)")[:n]


def wait_until_fills(driver, expected: dict) -> None:
    fills = FILLS.replace("return ", "")
    wait_for(driver, f"const f = {fills}; const e = {json.dumps(expected)};"
                     " return Object.keys(f).length === Object.keys(e).length && Object.keys(e).every(k => f[k] === e[k]);")


def click_in_table(driver, selector: str) -> None:
    """Click an element of the ranking table (re-drawn after every change, so found and clicked in one step)."""
    wait_for(driver, f"const e = document.querySelector({selector!r}); if (e) {{ e.click(); return true; }} return false;")


def expected_fills(engine, weights: dict, level: str = "delomrade") -> dict:
    result = engine.index(weights, level)
    breaks = class_breaks(result.index, "quantiles", len(COLOURS))
    colours = COLOURS[-len(breaks):]
    return {str(c): (colours[k] if k >= 0 else "#d9d9d9") for c, k in zip(result.codes, classes_of(result.index, breaks))}


def screenshot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_page_loads_with_every_area_and_no_browser_errors(server, browser, engine):
    open_page(browser, server + "/")
    assert browser.execute_script(DRAWN) == 136
    wait_until_fills(browser, expected_fills(engine, None))
    notice = browser.find_element(By.ID, "data-notice")
    assert "Exempeldata" in notice.text and notice.is_displayed()
    assert browser.find_element(By.ID, "map-legend").text.startswith("Index")
    assert table_names(browser, 3) == ["Herrgården", "Törnrosen", "Persborg"]
    clusters = browser.find_elements(By.CSS_SELECTOR, "#cluster-list .cluster h3")
    assert sorted(c.text for c in clusters) == sorted(["Herrgården m.fl.", "Holma", "Augustenborg m.fl.", "Katrinelund", "Gullviksborg m.fl."])
    assert "0,84" in table_text(browser)  # decimal comma
    assert browser.find_element(By.CSS_SELECTOR, ".footer").text.startswith("Källor: Delområden och geografiska statistikområden, Malmö stad (CC0)")
    assert severe_errors(browser) == []
    screenshot(browser, "1-default")


def test_slider_recolours_map_and_reranks_table(server, browser, engine):
    open_page(browser, server + "/")
    before = browser.execute_script(FILLS)
    handle = browser.find_element(By.CSS_SELECTOR, "#weight-ekonomiskt_bistand .rc-slider-handle")
    handle.click()
    for _ in range(50):
        handle.send_keys(Keys.ARROW_RIGHT)
    weights = {"inte_behorig": 50, "trangboddhet": 50, "ekonomiskt_bistand": 100, "lag_inkomststandard": 50}
    expected = expected_fills(engine, weights)
    wait_until_fills(browser, expected)
    after = browser.execute_script(FILLS)
    assert after != before and after == expected
    frame = engine.index(weights).frame()
    wait_for(browser, f"return document.querySelector('#ranking-table tbody').innerText.indexOf({frame['name'].iloc[0]!r}) >= 0")
    assert table_names(browser, 5) == list(frame["name"].head(5))
    assert "40" in browser.find_element(By.ID, "share-ekonomiskt_bistand").text  # 100 of 250
    wait_for(browser, "return location.search.indexOf('ekonomiskt_bistand:100') >= 0")
    screenshot(browser, "2-reweighted")


def test_geso_level_draws_14_areas(server, browser):
    open_page(browser, server + "/")
    browser.find_element(By.XPATH, "//div[@id='level-select']//label[normalize-space(.)='GeSO']/input").click()
    wait_for(browser, DRAWN + " === 14")
    wait_for(browser, "return document.querySelectorAll('#ranking-table tbody tr').length === 14")
    wait_for(browser, "return location.search.indexOf('level=geso') >= 0")
    wait_for(browser, "return document.querySelectorAll('.area-label').length === 14")
    screenshot(browser, "3-geso")
    browser.back()  # the URL is the state: back returns to delområden
    wait_for(browser, DRAWN + " === 136")


def test_each_place_layer_toggles(server, browser, pkg):
    open_page(browser, server + "/")
    drawn = pkg.facilities[pkg.facilities["position"] != "unknown"]
    for kind in ("library", "familjecentral", "allaktivitetshus"):
        selector = f".leaflet-marker-pane .place-{kind}"
        expected = int((drawn["kind"] == kind).sum())
        assert expected > 0
        wait_for(browser, f"return document.querySelectorAll('{selector}').length === {expected}")
        browser.find_element(By.CSS_SELECTOR, f"#layer-{kind} input").click()
        wait_for(browser, f"return document.querySelectorAll('{selector}').length === 0")
        browser.find_element(By.CSS_SELECTOR, f"#layer-{kind} input").click()
        wait_for(browser, f"return document.querySelectorAll('{selector}').length === {expected}")


def test_clicking_an_area_opens_its_card(server, browser):
    open_page(browser, server + "/")
    browser.execute_script("window.malmoLayers['25611']._path.scrollIntoView({block: 'center'})")
    browser.execute_script("const p = window.malmoLayers['25611']._path; p.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: p.getBoundingClientRect().x + 5, clientY: p.getBoundingClientRect().y + 5}))")
    wait_for(browser, "return document.querySelector('#area-card h2') && document.querySelector('#area-card h2').innerText === 'Holma'")
    card = browser.find_element(By.ID, "area-card").text
    assert "Rang 6 av 130" in card and "GeSO: Hyllievång, Kroksbäck m fl" in card
    assert "genererade exempeldata" in card and "UVAS" in card
    wait_for(browser, "return location.search.indexOf('area=25611') >= 0")
    # the table selects too
    click_in_table(browser, "#ranking-table tbody tr:nth-child(1) .area-link")
    wait_for(browser, "return document.querySelector('#area-card h2').innerText === 'Herrgården'")
    screenshot(browser, "4-area-card")


def test_table_sorts_names_in_swedish_order(server, browser):
    open_page(browser, server + "/")
    click_in_table(browser, "#ranking-table th button[data-sort='name']")
    wait_for(browser, "return document.querySelector('#ranking-table th.col-name').getAttribute('aria-sort') === 'ascending'")
    names = table_names(browser, None)
    assert len(names) == 136 and names[0] == "Allmänna Sjukhuset"
    assert names[-3:] == ["Östra Skrävlinge", "Östra Sorgenfri", "Östra Söderkulla"]
    assert names.index("Ärtholmen") > names.index("Västra Söderkulla")  # å, ä, ö after z
    click_in_table(browser, "#ranking-table th button[data-sort='index']")
    wait_for(browser, "return document.querySelector('#ranking-table th.col-index').getAttribute('aria-sort') === 'ascending'")
    ascending = table_names(browser, None)
    assert ascending[129] == "Herrgården"  # highest of the 130 with an index; the 6 without data come last

def test_url_with_weights_opens_with_them_applied(server, browser, engine):
    open_page(browser, server + "/?w=inte_behorig:1,trangboddhet:0,ekonomiskt_bistand:0,lag_inkomststandard:0&area=11431")
    frame = engine.index({"inte_behorig": 1, "trangboddhet": 0, "ekonomiskt_bistand": 0, "lag_inkomststandard": 0}).frame()
    wait_for(browser, f"return document.querySelector('#ranking-table tbody').innerText.indexOf({frame['name'].iloc[1]!r}) >= 0")
    assert table_names(browser, 4) == list(frame["name"].head(4))
    assert browser.find_element(By.CSS_SELECTOR, "#weight-inte_behorig .rc-slider-handle").get_attribute("aria-valuenow") == "100"
    assert browser.find_element(By.CSS_SELECTOR, "#weight-trangboddhet .rc-slider-handle").get_attribute("aria-valuenow") == "0"
    assert browser.find_element(By.CSS_SELECTOR, "#area-card h2").text == "Katrinelund"
    assert browser.find_elements(By.ID, "url-notice") == []


def test_garbage_url_opens_with_a_notice(server, browser):
    open_page(browser, server + "/?w=inte_behorig:-1,foo:abc,trangboddhet:x&level=kommun&area=99999&top=many&layers=zoo&norm=<script>")
    notice = browser.find_element(By.ID, "url-notice").text
    for part in ("Inte behörig till yrkesprogram", "foo", "områdesnivån", "området", "antalet högsta", "platslagret", "skalningen"):
        assert part in notice, part
    for value in ("kommun", "99999", "many", "zoo", "<script>"):  # a link's values are named, never echoed
        assert value not in notice, value
    assert browser.execute_script(DRAWN) == 136
    assert severe_errors(browser) == []


def test_english(server, browser):
    open_page(browser, server + "/?lang=en")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Where is the need greatest?"
    wait_for(browser, "return document.title === 'Where is the need greatest? – Malmö'")
    assert "0.84" in table_text(browser)
    assert "Demo data" in browser.find_element(By.ID, "data-notice").text


def test_server_answers_bad_requests_without_a_stack_trace(server):
    for path in ("/no/such/page", "/api/geometry/kommun.geojson", "/api/outlines?g=abc.def", "/api/export.csv?w=abc&level=x"):
        response = requests.get(server + path, timeout=10)
        assert response.status_code in (200, 404), path
        assert "Traceback" not in response.text and 'File "' not in response.text
    bad = requests.post(server + "/_dash-update-component", data="{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert bad.status_code >= 400 and "Traceback" not in bad.text
    csv = requests.get(server + "/api/export.csv?w=inte_behorig:1", timeout=10)
    assert csv.status_code == 200 and "EXEMPELDATA" in csv.text.splitlines()[0]
    assert "Rang;kod;Område" in csv.text and "DEMO" in csv.headers["Content-Disposition"]


def test_method_choices_recompute_and_explain_impossible_ones(server, browser, engine):
    open_page(browser, server + "/")
    browser.execute_script("window.dash_clientside.set_props('normalisation-select', {value: 'rank'})")
    expected = expected_fills(engine, None)  # same weights, other scaling
    result = engine.index(None, normalisation="rank")
    wait_for(browser, f"return document.querySelector('#ranking-table tbody .col-name').innerText === {result.frame()['name'].iloc[0]!r}")
    assert browser.execute_script(FILLS) != expected
    browser.execute_script("window.dash_clientside.set_props('normalisation-select', {value: 'zscore'});"
                           "window.dash_clientside.set_props('aggregation-select', {value: 'geometric'})")
    wait_for(browser, "return document.getElementById('method-notice').textContent.indexOf('Geometriskt medelvärde kräver') >= 0")
    assert browser.execute_script(DRAWN) == 136 and severe_errors(browser) == []
    browser.execute_script("window.dash_clientside.set_props('normalisation-select', {value: 'minmax'});"
                           + "".join(f"window.dash_clientside.set_props('weight-{k}', {{value: 0}});" for k in KEYS))
    wait_for(browser, "return document.getElementById('method-notice').innerText.indexOf('Alla vikter är 0') >= 0")


def test_zooming_in_names_every_area(server, browser):
    open_page(browser, server + "/")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".area-label")) == 5  # one per cluster at city scale
    for _ in range(2):  # one zoom step at a time: a click during Leaflet's zoom animation is dropped
        before = browser.execute_script("return window.malmoMap.map().getZoom()")
        browser.find_element(By.CSS_SELECTOR, ".leaflet-control-zoom-in").click()
        wait_for(browser, f"return window.malmoMap.map().getZoom() > {before} && !window.malmoMap.map()._animatingZoom")
    wait_for(browser, "return document.querySelectorAll('.area-label').length === 136")


def test_presets_reset_and_own_weights(server, browser):
    open_page(browser, server + "/")
    value = "return document.querySelector('#weight-inte_behorig .rc-slider-handle').getAttribute('aria-valuenow')"
    preset = "return document.querySelector('#preset-select input:checked').parentElement.innerText"
    settled(browser)  # past the moment the page names the preset its sliders match
    browser.execute_script("window.dash_clientside.set_props('preset-select', {value: 'school'})")
    wait_for(browser, value + " === '100'")
    settled(browser)
    assert browser.execute_script(value) == "100" and "Skolfokus" in browser.execute_script(preset)
    handle = browser.find_element(By.CSS_SELECTOR, "#weight-trangboddhet .rc-slider-handle")
    handle.click()
    handle.send_keys(Keys.ARROW_RIGHT)
    wait_for(browser, preset.replace("return ", "return ") + ".indexOf('Egna vikter') >= 0")
    assert browser.execute_script(value) == "100"  # naming the preset did not move the sliders
    browser.find_element(By.ID, "reset-weights").click()
    wait_for(browser, value + " === '50'")
    wait_for(browser, preset + ".indexOf('Stadskontoret 2024') >= 0")


def test_shared_link_opens_as_shared_without_a_referer(server, browser, engine):
    """The page reads its state from its own URL: under Referrer-Policy: no-referrer (which the app
    itself sends) a weighted link in English opens with that link's ranking, and keeps its URL."""
    assert requests.get(server + "/", timeout=10).headers["Referrer-Policy"] == "no-referrer"
    weights = {"inte_behorig": 0, "trangboddhet": 3, "ekonomiskt_bistand": 0, "lag_inkomststandard": 1}
    query = "?w=" + ",".join(f"{k}:{v}" for k, v in weights.items()) + "&lang=en&level=delomrade"
    open_page(browser, server + "/" + query)
    assert browser.execute_script("return document.referrer") == ""
    frame = engine.index(weights).frame()
    wait_for(browser, f"return document.querySelector('#ranking-table tbody .col-name').innerText === {frame['name'].iloc[0]!r}")
    assert table_names(browser, 5) == list(frame["name"].head(5))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Where is the need greatest?"
    assert browser.execute_script("return document.documentElement.lang") == "en"
    settled(browser)  # past the URL sync
    # the same view: 3 to 1, shown on sliders that can be seen (layers/view.py visible_positions: 100 and 33.3)
    assert "inte_behorig:0,trangboddhet:100,ekonomiskt_bistand:0,lag_inkomststandard:33.3333&" in browser.current_url
    assert "lang=en" in browser.current_url

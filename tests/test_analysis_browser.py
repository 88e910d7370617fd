"""The analysis in the dashboard, in headless Chromium against `python app.py`: each map mode and panel renders, and a
slider move repaints the map as fast while the robustness analysis is being computed."""
from __future__ import annotations

import statistics
import time

import pytest
from selenium.webdriver.common.by import By

from layers.output import palette
from browser_support import BUSY, RECORD_ANALYSIS as RECORD, REPAINT, SCREENSHOTS, wait_for

pytestmark = pytest.mark.browser
WINDOW = (1500, 1300)
PAINTED = "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 100"
ANALYSED = "return [...document.querySelectorAll('#ranking-table td.col-interval')].some(td => /^\\d+–\\d+$/.test(td.textContent))"
PALETTES = {  # layers/output/palette.py, which the browser reads through CSS custom properties
    "certainty": set(palette.CERTAINTY),
    "hotspots": set(palette.HOT.values()),
    "allocation": {palette.NOTHING, *palette.MONEY},
}
MODES = ["index", "certainty", "hotspots", "allocation"]
TITLES = {"certainty": "Hur säkert", "hotspots": "Local Moran", "allocation": "Fördelning av"}

def fills(browser):
    return set(browser.execute_script("return Object.values(window.malmoView.fill)"))


def test_map_modes_card_clusters_drivers_gap_and_allocation_render(server, browser):
    browser.get(server + "/?area=48208")
    wait_for(browser, PAINTED, timeout=40)
    wait_for(browser, ANALYSED, timeout=40)
    card = browser.find_element(By.ID, "area-card").text
    assert "bland de 11 högsta i 100 % av dem" in card and "10 000 olika rimliga sätt" in card and "Högt på 4 av 4 indikatorer" in card
    assert "hot spot" in card
    clusters = browser.find_element(By.ID, "cluster-list").text
    assert "Ett tydligt mönster: 5 av 5 områden har högt index" in clusters
    gap = browser.find_element(By.ID, "trend-gap").text
    assert "procentenheter över Sverige 2030" in gap and "2035" in gap and "Projektion" in gap
    assert browser.execute_script("return document.querySelectorAll('#trend-chart .scatterlayer .trace').length") > 10

    index_fills = fills(browser)
    SCREENSHOTS.mkdir(exist_ok=True)
    for mode in ("certainty", "hotspots", "allocation"):
        browser.find_element(By.CSS_SELECTOR, f"#map-mode label:nth-child({MODES.index(mode) + 1}) input").click()
        wait_for(browser, f"return document.getElementById('map-legend').textContent.indexOf('{TITLES[mode]}') >= 0", timeout=30)
        shown = fills(browser)
        assert shown != index_fills and shown <= PALETTES[mode] | {"#d9d9d9"}, (mode, shown)
        wait_for(browser, f"return location.search.indexOf('map={mode}') > 0")
        browser.save_screenshot(str(SCREENSHOTS / f"map-{mode}.png"))

    browser.execute_script("document.getElementById('drivers-panel').open = true;")
    wait_for(browser, "return document.querySelector('.drivers-list') && document.querySelector('#correlation .heatmaplayer, #correlation .hm')")
    drivers = browser.find_element(By.ID, "drivers").text
    assert "nominellt 25 %, i praktiken" in drivers
    browser.execute_script("document.getElementById('drivers-panel').scrollIntoView();")
    browser.save_screenshot(str(SCREENSHOTS / "method-drivers.png"))

    table = browser.find_element(By.ID, "allocation-table").text
    assert "kr" in table and "Herrgården" in table
    before = table
    browser.find_element(By.CSS_SELECTOR, "#alloc-rule label:nth-child(2) input").click()
    wait_for(browser, "return document.getElementById('allocation-table').textContent !== arguments[0]".replace("arguments[0]", repr(before)))
    wait_for(browser, "return document.getElementById('allocation-export').href.indexOf('rule=children') > 0")
    href = browser.find_element(By.ID, "allocation-export").get_attribute("href")
    assert "budget=10000000" in href and "rule=children" in href
    browser.execute_script("document.getElementById('allocation-panel').scrollIntoView();")
    browser.save_screenshot(str(SCREENSHOTS / "allocation-panel.png"))


def test_a_slider_move_repaints_as_fast_while_robustness_is_computed(server, browser):
    browser.get(server + "/")
    wait_for(browser, PAINTED, timeout=40)
    wait_for(browser, ANALYSED, timeout=40)
    browser.execute_script(RECORD)
    quiet, busy, overlapped = [], [], 0
    for k in range(6):
        # quiet: nothing else is being computed
        t0, t1 = browser.execute_async_script(REPAINT, "weight-trangboddhet", 40 + k)
        quiet.append(t1 - t0)
        time.sleep(1.5)
        # busy: a new weighting; as soon as its analysis is being computed, another move
        t0, t1, during = browser.execute_async_script(BUSY.replace("arguments[2]", "'weight-trangboddhet'").replace("arguments[3]", str(60 + k)),
                                                      "weight-ekonomiskt_bistand", 20 + 7 * k)
        busy.append(t1 - t0)
        overlapped += during
        time.sleep(1.5)
    assert overlapped == 6, "the analysis was not running when the slider moved"
    quiet_ms, busy_ms = statistics.median(quiet), statistics.median(busy)
    print(f"slider → repainted map: {quiet_ms:.0f} ms idle, {busy_ms:.0f} ms while robustness runs")
    assert busy_ms < max(250, 2 * quiet_ms), (quiet, busy)

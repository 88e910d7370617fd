"""The dashboard in headless Chromium against the real server: honest labels, a Back button that leaves,
selection that follows, and the details a daily user trips on."""
from __future__ import annotations

import io

import pandas as pd
import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import SCREENSHOTS, settled, wait_for

pytestmark = pytest.mark.browser
WINDOW = (1920, 1080)
CARD = "return (document.querySelector('#area-card') || {}).innerText || ''"


def open_page(driver, url: str, rows: int = 5):
    driver.get(url)
    wait_for(driver, f"return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length >= {rows}")
    settled(driver)


def map_zoom(driver) -> float:
    return driver.execute_script("return window.malmoMap.map().getZoom()")


def screenshot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_geso_and_no_data_cards_do_not_call_themselves_real(server, browser):
    open_page(browser, server + "/?level=geso&area=1", rows=14)
    wait_for(browser, CARD + ".indexOf('Rang') >= 0")
    card = browser.execute_script(CARD)
    assert "genererade exempeldata" in card and "verkliga" not in card
    open_page(browser, server + "/?area=11211")  # Pildammsparken: a park, no data
    wait_for(browser, CARD + ".indexOf('Pildammsparken') >= 0")
    card = browser.execute_script(CARD)
    assert "Det finns inga siffror för området" in card and "verkliga" not in card and "Invånare: 0" not in card
    csv = pd.read_csv(io.StringIO(requests.get(server + "/api/export.csv?level=geso", timeout=20).content.decode("utf-8-sig")),
                      sep=";", comment="#", dtype=str)
    assert set(csv["Exempeldata"]) == {"Ja"}


def test_back_leaves_the_app(server, browser):
    browser.get(server + "/healthz")
    open_page(browser, server + "/?level=geso", rows=14)
    wait_for(browser, "return location.search.indexOf('norm=') >= 0")  # the short link was normalised
    settled(browser)
    browser.back()
    wait_for(browser, "return location.pathname === '/healthz'")
    # a user's own change does add an entry: Back then returns to the earlier view, not out of the app
    open_page(browser, server + "/")
    wait_for(browser, "return location.search.indexOf('norm=') >= 0")
    browser.find_element(By.XPATH, "//div[@id='level-select']//label[normalize-space(.)='GeSO']/input").click()
    wait_for(browser, "return location.search.indexOf('level=geso') >= 0")
    browser.back()
    wait_for(browser, "return location.search.indexOf('level=delomrade') >= 0")


def test_out_of_range_method_inputs_give_a_notice_and_never_nan(server, browser):
    open_page(browser, server + "/")
    browser.execute_script("document.querySelector('details.method').open = true")
    wait_for(browser, "return location.search.indexOf('top=11') >= 0")

    def refuse(field_id, typed, message):  # type a number out of range: a notice, the address unchanged, no NaN
        field = browser.find_element(By.ID, field_id)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(typed, Keys.ENTER)
        wait_for(browser, f"return document.getElementById('method-notice').innerText.indexOf({message!r}) >= 0")
        settled(browser)
        assert "NaN" not in browser.current_url
        return field
    top = refuse("top-n-input", "500", "1 till 200")
    assert "top=11" in browser.current_url
    top.send_keys(Keys.CONTROL, "a")
    top.send_keys("11", Keys.ENTER)
    wait_for(browser, "return document.getElementById('method-notice').innerText === ''")
    ext = refuse("extend-input", "-5", "0 till 10")
    ext.send_keys(Keys.CONTROL, "a")
    ext.send_keys(Keys.BACKSPACE, Keys.ENTER)  # empty: no extension, as the label says
    wait_for(browser, "return location.search.indexOf('ext=none') >= 0")
    assert browser.execute_script("return document.getElementById('method-notice').innerText") == ""
    assert "NaN" not in browser.current_url


def test_clicking_a_cluster_zooms_to_it_and_outlines_it(server, browser):
    open_page(browser, server + "/")
    wait_for(browser, "return document.querySelectorAll('button.cluster-zoom').length === 5")
    before = map_zoom(browser)
    browser.find_element(By.CSS_SELECTOR, "button.cluster-zoom[data-cluster='k25611']").click()  # Holma
    wait_for(browser, f"return window.malmoMap.map().getZoom() > {before}")
    settled(browser)
    assert browser.execute_script("return window.malmoMap.map().getBounds().contains(window.malmoLayers['25611'].getBounds())")
    assert browser.execute_script("return window.malmoOutlines['k25611'].options.weight") > \
        browser.execute_script("return window.malmoOutlines['k48104'].options.weight")


def test_a_click_at_an_areas_centre_opens_the_area(server, browser, pkg):
    """Lindängen's allaktivitetshus is known only by its area and was drawn on the area's centre."""
    place = pkg.facilities.set_index("id").loc["aah-lindangen"]
    open_page(browser, server + "/")
    browser.execute_script("window.malmoMap.map().setView([arguments[0], arguments[1]], 14, {animate: false})", place["lat"], place["lon"])
    settled(browser)
    x, y = browser.execute_script("const p = window.malmoMap.map().latLngToContainerPoint([arguments[0], arguments[1]]); return [p.x, p.y]",
                                  place["lat"], place["lon"])
    element = browser.find_element(By.ID, "map")
    size = element.size
    ActionChains(browser).move_to_element_with_offset(element, x - size["width"] / 2, y - size["height"] / 2).click().perform()
    wait_for(browser, "return document.querySelector('#area-card h2') && document.querySelector('#area-card h2').innerText === 'Lindängen'")
    assert not browser.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")


def test_search_finds_sofielund_and_follows_it(server, browser):
    open_page(browser, server + "/?level=geso", rows=14)
    before = map_zoom(browser)
    box = browser.find_element(By.ID, "area-search")
    box.send_keys("sofielund")
    hits = "return Array.from(document.querySelectorAll('#area-search-results .search-hit')).map(b => b.innerText)"
    wait_for(browser, hits + ".some(t => t.indexOf('Södra Sofielund') === 0)")
    options = browser.execute_script(hits)
    assert "Södra Sofielund (Delområde)" in options and "Norra Sofielund (Delområde)" in options
    [b for b in browser.find_elements(By.CSS_SELECTOR, "#area-search-results .search-hit") if b.text == "Södra Sofielund (Delområde)"][0].click()
    wait_for(browser, "return document.querySelector('#area-card h2') && document.querySelector('#area-card h2').innerText === 'Södra Sofielund'")
    wait_for(browser, "return location.search.indexOf('level=delomrade') >= 0 && location.search.indexOf('area=11319') >= 0")
    wait_for(browser, f"return window.malmoMap.map().getZoom() > {before}")
    # diacritics do not matter either way, and the keyboard reaches the results
    box = browser.find_element(By.ID, "area-search")
    box.send_keys("sodra sofie")
    wait_for(browser, hits + ".some(t => t.indexOf('Södra Sofielund') === 0)")
    box.send_keys(Keys.TAB)
    assert browser.execute_script("return document.activeElement.classList.contains('search-hit')")


def test_selection_follows_in_table_map_and_chart(server, browser):
    open_page(browser, server + "/?area=49308")  # Fortuna Hemgården: low in the ranking
    wait_for(browser, "return window.malmoMap.map().getZoom() >= 12.5")  # a link with area= zooms to it
    # the chart shows the selected area as its own line
    wait_for(browser, "return Array.from(document.querySelectorAll('#trend-chart .legendtext')).some(e => e.textContent.indexOf('Valt område: Fortuna Hemgården') === 0)")
    # a click on the map brings the area's row into view in the table's own box
    browser.execute_script("window.malmoMap.map().setView([55.5903, 13.0425], 13, {animate: false})")  # Apelgården-ish
    settled(browser)
    browser.execute_script("const p = window.malmoLayers['48103']._path, r = p.getBoundingClientRect();"
                           "p.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2}))")
    wait_for(browser, "const r = document.querySelector('#ranking-table tr.selected'); return r && r.getAttribute('data-code') === '48103'")
    wait_for(browser, """const box = document.getElementById('ranking-table-container'), r = box.querySelector('tr.selected');
        const a = r.getBoundingClientRect(), b = box.getBoundingClientRect(); return a.top >= b.top && a.bottom <= b.bottom && box.scrollTop > 0""")
    # a click on a row pans the map to the area
    browser.execute_script("window.malmoMap.map().setView([55.62, 12.95], 13, {animate: false})")
    settled(browser)
    browser.execute_script("document.querySelector('#ranking-table tr[data-code=\"25611\"] .area-link').click()")
    wait_for(browser, "return window.malmoMap.map().getBounds().contains(window.malmoLayers['25611'].getBounds().getCenter())")
    settled(browser)
    screenshot(browser, "13-selected-followed")
    browser.execute_script("document.querySelector('.trend').scrollIntoView()")
    wait_for(browser, "return Array.from(document.querySelectorAll('#trend-chart .legendtext')).some(e => e.textContent === 'Valt område: Holma')")
    settled(browser)
    screenshot(browser, "13-selected-chart-and-table")


def test_words_colours_and_keys(server, browser):
    open_page(browser, server + "/?lang=en&sort=index:asc&age=20-24")
    # cluster names in the page's language
    wait_for(browser, "return Array.from(document.querySelectorAll('#cluster-list h3')).some(h => h.innerText === 'Herrgården and others')")
    assert "m.fl." not in browser.execute_script("return document.getElementById('cluster-list').innerText")
    # sort order and age group come from the URL and survive a language switch
    assert browser.execute_script("return document.querySelector('#ranking-table th.col-index').getAttribute('aria-sort')") == "ascending"
    wait_for(browser, "return document.querySelector('#trend-chart .gtitle').textContent.indexOf('aged 20–24') >= 0")
    wait_for(browser, "return document.getElementById('language-link').getAttribute('href').indexOf('sort=index:asc') >= 0")
    browser.find_element(By.ID, "language-link").click()
    wait_for(browser, "return document.documentElement.lang === 'sv' && window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 5")
    wait_for(browser, "return document.querySelector('#ranking-table th.col-index') && document.querySelector('#ranking-table th.col-index').getAttribute('aria-sort') === 'ascending'")
    wait_for(browser, "return document.querySelector('#trend-chart .gtitle') && document.querySelector('#trend-chart .gtitle').textContent.indexOf('20–24 år') >= 0")
    # the level radios are one group: arrow keys move between them
    names = browser.execute_script("return Array.from(document.querySelectorAll('#level-select input')).map(i => i.name)")
    assert len(set(names)) == 1 and names[0]
    # "Jämfört med 2024" only where something was published (the index level)
    assert browser.find_elements(By.CSS_SELECTOR, "#ranking-table th.col-change")
    open_page(browser, server + "/?level=geso", rows=14)
    assert not browser.find_elements(By.CSS_SELECTOR, "#ranking-table th.col-change")
    # rank arrows are not green or red
    colours = browser.execute_script("return [getComputedStyle(document.body).color]")
    open_page(browser, server + "/?w=inte_behorig:3,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1")
    up = browser.execute_script("const e = document.querySelector('#ranking-table .up'); return e && getComputedStyle(e).color")
    assert up == colours[0]
    # the focused slider shows no bare number beside its share
    browser.find_element(By.CSS_SELECTOR, "#weight-inte_behorig .rc-slider-handle").click()
    assert not browser.find_elements(By.CSS_SELECTOR, ".rc-slider-tooltip:not(.rc-slider-tooltip-hidden)")


def test_notice_closes_copy_link_confirms_and_how_it_works_opens(server, browser):
    open_page(browser, server + "/?level=zzz")
    notice = browser.find_element(By.ID, "url-notice")
    assert "områdesnivån" in notice.text and "zzz" not in notice.text and "level (" not in notice.text
    notice.find_element(By.CSS_SELECTOR, ".notice-close").click()
    wait_for(browser, "return document.getElementById('url-notice').hidden")
    browser.find_element(By.ID, "copy-link").click()
    wait_for(browser, "return document.getElementById('copy-status').innerText.length > 0")
    assert browser.find_element(By.ID, "copy-status").text in ("Kopierat till urklipp.", "Kunde inte kopiera – markera adressen och kopiera den.")
    browser.find_element(By.CSS_SELECTOR, "#data-notice a.how-link").click()
    wait_for(browser, "return document.getElementById('how-it-works').open")
    assert "fyra indikatorerna" in browser.find_element(By.ID, "how-it-works").text


def test_screenshots_of_geso_and_the_method_panel(server, browser):
    open_page(browser, server + "/?level=geso", rows=14)
    settled(browser)
    hidden, shown = browser.execute_script("""const l = Array.from(document.querySelectorAll('.area-label'));
        return [l.filter(e => e.classList.contains('label-hidden')).length, l.filter(e => !e.classList.contains('label-hidden')).length]""")
    overlaps = browser.execute_script("""const r = Array.from(document.querySelectorAll('.area-label:not(.label-hidden)')).map(e => e.getBoundingClientRect());
        let n = 0; r.forEach((a, i) => r.slice(i + 1).forEach(b => { if (a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top) n++; })); return n""")
    assert overlaps == 0 and shown >= 8, (hidden, shown)
    screenshot(browser, "13-geso-1920")
    open_page(browser, server + "/")
    browser.execute_script("document.querySelector('details.method').open = true")
    settled(browser)
    legend_height = browser.execute_script("return document.getElementById('map-legend').getBoundingClientRect().height")
    assert legend_height < 120  # opening Metod does not stretch the legend row
    browser.execute_script("document.querySelector('details.method').scrollIntoView()")
    screenshot(browser, "13-method-1920")

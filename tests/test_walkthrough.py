"""The users' walkthrough (issue 21), in headless Chromium: what the politician, the facilitator and
the intranet editor ran into, each tried as they would."""
from __future__ import annotations

import time

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import settled, wait_for

pytestmark = pytest.mark.browser
DRAWN = "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length >= 5"


def open_page(browser, url, ready=DRAWN):
    browser.get(url)
    wait_for(browser, ready, timeout=40)
    settled(browser)


def test_a_search_without_hits_says_so_where_the_hits_would_be_and_enter_takes_the_first(server, browser):
    open_page(browser, server + "/")
    box = browser.find_element(By.ID, "area-search")
    box.send_keys("xyzq")
    shown = wait_for(browser, """const r = document.getElementById('area-search-results');
        return r.getBoundingClientRect().height > 10 && r.textContent""")
    assert shown == "Inga områden hittades"
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("sofie")
    wait_for(browser, "return document.querySelector('#area-search-results button.search-hit')")
    first = browser.execute_script("return document.querySelector('#area-search-results button.search-hit').textContent")
    box.send_keys(Keys.ENTER)
    heading = wait_for(browser, "const h = document.querySelector('#area-card h2.card-title'); return document.activeElement === h && h.textContent")
    assert first.startswith(heading)


def test_hovering_an_area_tells_its_rank_and_index(server, browser):
    open_page(browser, server + "/")
    ActionChains(browser).move_to_element(browser.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")[40]).perform()
    tip = wait_for(browser, "const t = document.querySelector('.leaflet-tooltip.area-tip'); return t && t.textContent", timeout=5)
    name, facts = tip.split(" – ")
    assert name and facts.startswith("plats ") and " av 130, index 0," in facts, tip


def test_the_demo_notice_says_what_is_generated_at_the_level_shown(server, browser):
    open_page(browser, server + "/?level=nyko")
    words = browser.execute_script("return document.getElementById('data-notice-words').textContent")
    assert "gränser genererade" in words and "gränser och platser är verkliga" not in words, words
    browser.find_element(By.XPATH, "//div[@id='level-select']//label[normalize-space(.)='Delområde']/input").click()
    wait_for(browser, "return document.getElementById('data-notice-words').textContent.indexOf('gränser och platser är verkliga') >= 0")


def test_on_a_phone_a_tapped_area_brings_its_card_into_view(server, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        open_page(browser, server + "/")
        browser.execute_script("window.scrollTo(0, document.querySelector('.map-area').getBoundingClientRect().top + scrollY - 10)")
        time.sleep(0.3)
        path = browser.execute_script("""const m = document.querySelector('.map-area').getBoundingClientRect();
            return [...document.querySelectorAll('#map path.leaflet-interactive')].find(p => { const r = p.getBoundingClientRect();
              const x = r.left + r.width / 2, y = r.top + r.height / 2;
              return r.width > 20 && x > m.left && x < m.right && y > m.top + 60 && y < Math.min(m.bottom, innerHeight) - 20 &&
                     document.elementFromPoint(x, y) === p; });""")
        assert path is not None
        path.click()
        heading = wait_for(browser, """const h = document.querySelector('#area-card h2.card-title'); if (!h) return null;
            const r = h.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && h.textContent""", timeout=10)
        assert heading
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_an_embed_says_its_weighting_when_it_is_not_the_published_one(server, browser):
    page = requests.get(server + "/embed/map?w=inte_behorig:3,trangboddhet:1", timeout=10)
    assert page.status_code == 200
    browser.get(server + "/embed/map?w=inte_behorig:3,trangboddhet:1")
    line = wait_for(browser, "const e = document.querySelector('.embed-weights'); return e && e.textContent")
    assert line.startswith("Vikter: Inte behörig till yrkesprogram 75 %, Trångboddhet 25 %, Ekonomiskt bistånd 0 %"), line
    browser.get(server + "/embed/map")
    wait_for(browser, "return document.querySelector('.embed-head')")
    assert not browser.find_elements(By.CSS_SELECTOR, ".embed-weights")  # the published weighting: nothing to say


def test_the_embed_dialog_says_which_sites_may_show_it(server, browser):
    open_page(browser, server + "/")
    text = browser.execute_script("return document.getElementById('embed-allowed').textContent")
    assert "FRAME_ANCESTORS" in text and "bara den här webbplatsen" in text


def test_the_scenario_form_empties_after_saving(server, browser):
    open_page(browser, server + "/")
    browser.execute_script("document.getElementById('scenarios').open = true")
    browser.find_element(By.ID, "scenario-name").send_keys("Första")
    browser.find_element(By.ID, "scenario-note").send_keys("Bara för den första")
    browser.find_element(By.ID, "scenario-save").click()
    wait_for(browser, "return document.getElementById('scenario-status').textContent.indexOf('Sparat') === 0")
    wait_for(browser, "return document.getElementById('scenario-name').value === '' && document.getElementById('scenario-note').value === ''")


def test_with_every_weight_at_zero_the_map_says_it_shows_the_previous_weighting(server, browser):
    open_page(browser, server + "/")
    for handle in browser.find_elements(By.CSS_SELECTOR, "#page .weight .rc-slider-handle"):
        browser.execute_script("arguments[0].focus()", handle)
        ActionChains(browser).send_keys(Keys.HOME).perform()
    stale = wait_for(browser, """const s = document.getElementById('map-stale'); const r = s.getBoundingClientRect();
        const m = document.querySelector('.map-area').getBoundingClientRect();
        return s.textContent && r.top >= m.top && r.bottom <= m.bottom && s.textContent""", timeout=10)
    assert "förra viktningen" in stale
    browser.execute_script("arguments[0].focus()", browser.find_element(By.CSS_SELECTOR, "#weight-trangboddhet .rc-slider-handle"))
    ActionChains(browser).send_keys(Keys.END).perform()
    wait_for(browser, "return document.getElementById('map-stale').textContent === ''", timeout=10)


def test_an_area_of_another_level_than_the_links_gets_a_notice(server, browser):
    page = requests.get(server + "/?area=48208&level=geso", timeout=10)
    assert page.status_code == 200
    open_page(browser, server + "/?area=48208&level=geso", DRAWN.replace(">= 5", "=== 14"))
    notice = browser.execute_script("const n = document.querySelector('.notice.url'); return n && n.textContent")
    assert notice and "finns inte på den nivå som länken visar" in notice, notice
    assert "area=" not in browser.current_url

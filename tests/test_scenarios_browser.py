"""Scenarios, compare and presentation mode in headless Chromium against `python app.py`: save a scenario and open it by id, delete it
with (and not without) its token, a name with HTML stays text, the compare page lists exactly what the
CLI lists, B's slider repaints the difference map, and presentation mode on a 1920×1080 wall."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import ROOT, SCREENSHOTS, settled, wait_for
from conftest import WORKSHOP_KEY

pytestmark = pytest.mark.browser
EQUAL = "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1"
ECONOMY = "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:3,lag_inkomststandard:1"
PAINTED = "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 100"
VIEW = "return [window.malmoView.fill, [...document.querySelectorAll('#ranking-table tbody tr')].slice(0, 20).map(r => r.getAttribute('data-code'))]"
HOSTILE = "<img src=x onerror=alert(1)>"


def open_panel(browser):
    browser.execute_script("document.getElementById('scenarios').open = true;")
    wait_for(browser, "return document.querySelector('#my-scenarios li')")


def save_in_page(browser, name):
    open_panel(browser)
    field = browser.find_element(By.ID, "scenario-name")
    field.clear()
    field.send_keys(name)
    browser.find_element(By.ID, "scenario-save").click()
    wait_for(browser, "return document.getElementById('scenario-status').textContent.indexOf('Sparat') === 0")
    return browser.execute_script("const l = JSON.parse(localStorage.getItem('malmo.scenarios.v1')); return l[l.length - 1];")


def test_save_reload_and_open_by_id_gives_the_same_colours_and_ranking(server, browser):
    browser.get(server + f"/?w={ECONOMY}&classes=natural_breaks")
    wait_for(browser, PAINTED, timeout=40)
    settled(browser)
    fills, ranking = browser.execute_script(VIEW)
    saved = save_in_page(browser, "Ekonomisk utsatthet")
    assert saved["name"] == "Ekonomisk utsatthet" and saved["token"]

    browser.refresh()  # the browser remembers it: "Mina scenarier"
    wait_for(browser, PAINTED, timeout=40)
    open_panel(browser)
    assert "Ekonomisk utsatthet" in browser.find_element(By.ID, "my-scenarios").text

    browser.get(server + "/?s=" + saved["id"])  # a fresh page from the id alone
    wait_for(browser, PAINTED, timeout=40)
    settled(browser)
    again_fills, again_ranking = browser.execute_script(VIEW)
    assert again_ranking == ranking and again_fills == fills
    wait_for(browser, "return window.location.search.indexOf('classes=natural_breaks') > 0")  # the link becomes the full state


def test_delete_needs_the_token_and_works_with_it(server, browser):
    browser.get(server + "/")
    wait_for(browser, PAINTED, timeout=40)
    saved = save_in_page(browser, "Att radera")
    status = browser.execute_async_script(
        "const done = arguments[1]; fetch('/api/scenarios/' + arguments[0], {method: 'DELETE'}).then(r => done(r.status));", saved["id"])
    assert status == 403
    status = browser.execute_async_script(
        "const done = arguments[1]; fetch('/api/scenarios/' + arguments[0], {method: 'DELETE', headers: {'X-Edit-Token': 'guessed'}})"
        ".then(r => done(r.status));", saved["id"])
    assert status == 403
    assert requests.get(server + "/api/scenarios/" + saved["id"], timeout=10).status_code == 200

    browser.execute_script("window.confirm = () => true;")
    browser.find_element(By.CSS_SELECTOR, f"button.scenario-delete[data-id='{saved['id']}']").click()
    wait_for(browser, "return document.getElementById('scenario-status').textContent.indexOf('Raderat') === 0")
    assert requests.get(server + "/api/scenarios/" + saved["id"], timeout=10).status_code == 404
    assert saved["id"] not in browser.find_element(By.ID, "my-scenarios").get_attribute("innerHTML")


def test_a_name_with_html_shows_as_text(server, browser):
    browser.get(server + "/")
    wait_for(browser, PAINTED, timeout=40)
    browser.execute_script("window.__dialogs = []; window.alert = m => window.__dialogs.push(m);")
    saved = save_in_page(browser, HOSTILE)
    link = browser.find_element(By.CSS_SELECTOR, f"#my-scenarios li[data-scenario='{saved['id']}'] a")
    assert link.text == HOSTILE
    assert browser.execute_script("return document.querySelectorAll('#my-scenarios img, #scenario-status img').length") == 0
    assert HOSTILE in browser.find_element(By.ID, "scenario-status").text
    # and on the compare page, where the name is a heading, the slope chart's axis and the legend
    browser.get(server + f"/compare?a={saved['id']}&b=w={ECONOMY}")
    wait_for(browser, "return document.querySelectorAll('#cmp-lists h3').length === 4", timeout=40)
    browser.execute_script("window.__dialogs = []; window.alert = m => window.__dialogs.push(m);")
    settled(browser)
    assert HOSTILE in browser.find_element(By.CSS_SELECTOR, ".controls h2").text
    assert browser.execute_script("return document.querySelectorAll('img[src=x], #cmp-legend img').length") == 0
    assert browser.execute_script("return window.__dialogs.length") == 0


def test_pinning_in_the_page_needs_the_workshop_key(server, browser):
    """The shared list is the facilitator's: without the key a pin is refused in words; with it (typed
    once, then kept by the browser) the scenario is on the list."""
    browser.get(server + "/")
    wait_for(browser, PAINTED, timeout=40)
    browser.execute_script("localStorage.removeItem('malmo.workshop.key.v1');")
    saved = save_in_page(browser, "Att fästa")
    browser.find_element(By.CSS_SELECTOR, f"button.scenario-pin[data-id='{saved['id']}']").click()
    # no key typed and none kept: the page asks to make one, and this server has a configured key
    wait_for(browser, "return document.getElementById('scenario-status').textContent.indexOf('configured') > 0")
    assert saved["id"] not in [s["id"] for s in requests.get(server + "/api/workshop", timeout=10).json()["scenarios"]]
    field = browser.find_element(By.ID, "workshop-key")
    field.send_keys("not the key")
    browser.find_element(By.CSS_SELECTOR, f"button.scenario-pin[data-id='{saved['id']}']").click()
    wait_for(browser, "return document.getElementById('scenario-status').textContent.indexOf('wrong workshop key') > 0")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys(WORKSHOP_KEY)
    browser.find_element(By.CSS_SELECTOR, f"button.scenario-pin[data-id='{saved['id']}']").click()
    try:
        wait_for(browser, f"return document.querySelector(\"#workshop-scenarios li[data-scenario='{saved['id']}']\")")
    except AssertionError:
        raise AssertionError((browser.find_element(By.ID, "scenario-status").text, field.get_attribute("value")))
    assert browser.execute_script("return localStorage.getItem('malmo.workshop.key.v1')") == WORKSHOP_KEY
    browser.find_element(By.CSS_SELECTOR, f"button.scenario-pin[data-id='{saved['id']}'][data-pinned='1']").click()  # unpin
    wait_for(browser, f"return !document.querySelector(\"#workshop-scenarios li[data-scenario='{saved['id']}']\")")


def cli_compare(a: str, b: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "layers", "compare", "--a", a, "--b", b, "--top-n", "11"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def list_codes(browser, heading_index: int) -> list[str]:
    return browser.execute_script(
        "const h = document.querySelectorAll('#cmp-lists h3')[arguments[0]]; const next = h.nextElementSibling;"
        "return next.tagName === 'OL' ? [...next.querySelectorAll('li')].map(li => li.getAttribute('data-code')) : [];", heading_index)


def test_compare_lists_exactly_what_the_cli_lists_and_b_slider_repaints(server, browser):
    browser.get(server + f"/compare?a=w={EQUAL}&b=w={ECONOMY}")
    wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#cmp-lists h3').length === 4", timeout=40)
    cli = cli_compare(EQUAL, ECONOMY)
    assert list_codes(browser, 0) == [r["code"] for r in cli["entering_top"]] != []
    assert list_codes(browser, 1) == [r["code"] for r in cli["leaving_top"]] != []
    assert list_codes(browser, 2) == [r["code"] for r in cli["entering_clusters"]]
    assert list_codes(browser, 3) == [r["code"] for r in cli["leaving_clusters"]]
    assert "dubbelt" not in browser.find_element(By.ID, "cmp-weights").text  # 3 against 1: "tre gånger"
    assert "ger ekonomiskt bistånd mer vikt än" in browser.find_element(By.ID, "cmp-weights").text
    # A's and B's clusters are drawn as two outlines, the moves as strokes on the areas
    wait_for(browser, "return document.querySelectorAll('.leaflet-outlines-pane path').length >= 2")
    assert browser.execute_script("return Object.keys(window.malmoView.stroke).length") == 2 * len(cli["entering_top"])
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "compare.png"))

    before = browser.execute_script("return [window.malmoPainted.at, JSON.stringify(window.malmoView.fill)]")
    handle = browser.find_element(By.CSS_SELECTOR, "#cmp-weight-inte_behorig .rc-slider-handle")
    handle.click()
    for _ in range(30):
        handle.send_keys(Keys.ARROW_RIGHT)
    wait_for(browser, f"return window.malmoPainted.at > {before[0]} && JSON.stringify(window.malmoView.fill) !== {json.dumps(before[1])}", timeout=20)
    assert "väger" in browser.find_element(By.ID, "cmp-share-inte_behorig").text


def test_presentation_mode_fills_the_wall_and_steps_through_the_workshop(server, browser):
    made = []
    for name, weights in (("Stadskontoret 2024", EQUAL), ("Skolfokus", "inte_behorig:2,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1"),
                          ("Ekonomisk utsatthet", ECONOMY)):
        s = requests.post(server + "/api/scenarios", json={"name": name, "state": "?w=" + weights}, timeout=10).json()
        assert requests.put(server + f"/api/workshop/{s['id']}", headers={"X-Workshop-Key": WORKSHOP_KEY}, timeout=10).status_code == 200
        made.append(s)
    workshop = [s["name"] for s in requests.get(server + "/api/workshop", timeout=10).json()["scenarios"]]
    assert workshop[-3:] == [s["name"] for s in made]

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    try:
        browser.get(server + "/?mode=present")
        wait_for(browser, "return window.malmoPainted && document.querySelectorAll('.area-label').length >= 3", timeout=40)
        settled(browser)
        facts = browser.execute_script("""
            const map = document.querySelector('.map-area').getBoundingClientRect();
            const demo = document.getElementById('data-notice').getBoundingClientRect();
            const labels = [...document.querySelectorAll('.area-label')].filter(e => !e.classList.contains('label-hidden'));
            return {width: map.width, height: map.height, title: parseFloat(getComputedStyle(document.querySelector('.top h1')).fontSize),
                    labels: labels.map(e => parseFloat(getComputedStyle(e).fontSize)), names: labels.map(e => e.textContent),
                    demo: [demo.left >= 0, demo.right <= innerWidth, demo.bottom <= innerHeight, demo.width > 100],
                    hidden: [...document.querySelectorAll('.ranking, .trend, .side, .method')].map(e => e.offsetParent === null),
                    sliders: document.querySelectorAll('.weight .rc-slider').length, scroll: document.documentElement.scrollHeight};
        """)
        assert facts["width"] >= 1900 and facts["height"] >= 0.72 * 1080, facts  # the rest: the title and the bar, its weights at 28 px
        assert facts["title"] >= 40 and min(facts["labels"]) >= 28 and len(facts["labels"]) >= 3, facts
        assert "Herrgården m.fl." in facts["names"], facts
        assert all(facts["demo"]) and all(facts["hidden"]) and facts["sliders"] == 4 and facts["scroll"] <= 1080, facts
        SCREENSHOTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "presentation-1920x1080.png"))

        count = len(workshop)
        # it opens on the workshop's first scenario, not on "Inget scenario valt"
        wait_for(browser, f"return document.getElementById('present-name').textContent.indexOf('1/{count}') === 0")
        seen = [browser.find_element(By.ID, "present-name").text]
        for step in (1, 2):
            before = browser.execute_script("return [window.malmoPainted.at, JSON.stringify(window.malmoView.fill)]")
            browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
            wait_for(browser, f"return document.getElementById('present-name').textContent.indexOf('{step + 1}/{count}') === 0")
            wait_for(browser, f"return window.malmoPainted.at > {before[0]} && JSON.stringify(window.malmoView.fill) !== {json.dumps(before[1])}", timeout=20)
            seen.append(browser.find_element(By.ID, "present-name").text)
        assert [s.split(" · ", 1)[1] for s in seen] == workshop[:3]
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
        wait_for(browser, f"return document.getElementById('present-name').textContent.indexOf('2/{count}') === 0")
        # C: the previous scenario against this one, on the wall
        browser.find_element(By.TAG_NAME, "body").send_keys("c")
        wait_for(browser, "return location.pathname === '/compare' && window.malmoPainted && document.querySelectorAll('#cmp-lists h3').length === 4", timeout=40)
        settled(browser)
        assert browser.execute_script("return parseFloat(getComputedStyle(document.querySelector('.top h1')).fontSize)") >= 40
        browser.save_screenshot(str(SCREENSHOTS / "presentation-compare-1920x1080.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

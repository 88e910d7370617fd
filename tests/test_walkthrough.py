"""The users' walkthrough (issue 21), in headless Chromium: what the politician, the facilitator and
the intranet editor ran into, each tried as they would."""
from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import settled, severe_errors, wait_for

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


@contextmanager
def phone(browser):
    """The browser as a 390 × 844 touch phone (its pointer coarse, no hover), for the length of a block."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def touch_move(browser, starts, ends, steps=10):
    """Fingers put down at `starts` ([(x, y), ...]), moved to `ends` and lifted: real touch input."""
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y} for x, y in starts]})
    for i in range(1, steps + 1):
        points = [{"x": x0 + (x1 - x0) * i / steps, "y": y0 + (y1 - y0) * i / steps} for (x0, y0), (x1, y1) in zip(starts, ends)]
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points})
        time.sleep(0.016)
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


MAP = "Object.values(window.malmoLayers).find(l => l._map)._map"


def test_on_a_phone_one_finger_scrolls_the_page_over_the_map_and_two_move_the_map(server, browser):
    with phone(browser):
        open_page(browser, server + "/")
        browser.execute_script("window.scrollTo(0, document.querySelector('.map-area').getBoundingClientRect().top + scrollY - 100)")
        time.sleep(0.3)
        top, height = browser.execute_script("const r = document.getElementById('map').getBoundingClientRect(); return [r.top, r.height]")
        before = browser.execute_script(f"return [scrollY, {MAP}.getCenter().lat]")
        touch_move(browser, [(190, top + 0.7 * height)], [(190, top + 0.3 * height)])
        after = wait_for(browser, f"return scrollY > {before[0] + 50} && [scrollY, {MAP}.getCenter().lat]", timeout=5)
        assert after[1] == before[1], "one finger moved the map"
        assert browser.execute_script("return document.querySelector('.map-touch-hint').textContent") == "Använd två fingrar för att flytta kartan"
        wait_for(browser, """const y = scrollY; return new Promise(done => setTimeout(() => done(scrollY === y), 400));""")  # the swipe's fling is over
        after = browser.execute_script(f"return [scrollY, {MAP}.getCenter().lat]")
        top, height = browser.execute_script("const r = document.getElementById('map').getBoundingClientRect(); return [r.top, r.height]")
        y = top + 0.6 * height
        touch_move(browser, [(150, y), (240, y)], [(150, y - 120), (240, y - 120)])
        moved = wait_for(browser, f"return {MAP}.getCenter().lat !== {after[1]} && [scrollY, {MAP}.getCenter().lat]", timeout=5)
        assert moved[1] < after[1], "two fingers moving up should show what is south"  # the map followed the fingers
        assert abs(moved[0] - after[0]) < 5, "two fingers scrolled the page"


def test_on_a_phone_every_control_is_a_fingers_size(server, browser):
    """2.5.5: each thing a finger taps is at least 44 × 44 px (a radio button's or checkbox's target is
    its label; a slider's handle has an invisible margin that takes the touch)."""
    mine = pin(server, "Lika vikter", "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1")  # in both lists
    with phone(browser):
        open_page(browser, server + "/")
        browser.execute_script("localStorage.setItem('malmo.scenarios.v1', JSON.stringify([{id: arguments[0], token: 'x', name: 'Lika vikter'}]))", mine["id"])
        open_page(browser, server + "/")
        browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
        wait_for(browser, "return document.querySelector('#workshop-scenarios li a') && document.querySelector('#my-scenarios li a')")
        small = browser.execute_script("""
            const out = [];
            const targets = document.querySelectorAll('a[href], button, summary, select, input:not([type=radio]):not([type=checkbox]):not([type=hidden]), ' +
                                                      'label:has(> input[type=radio]), label:has(> input[type=checkbox])');
            for (const el of targets) {
              const r = el.getBoundingClientRect();
              if (!r.width || !r.height || el.closest('.visually-hidden, .skip-links') || el.closest('p')) continue;  // hidden, or a link in running text
              if (Math.round(r.height) < 44 || Math.round(r.width) < 44) out.push(el.tagName + ' ' + (el.id || el.className) + ' "' + el.textContent.trim().slice(0, 30) + '" ' + Math.round(r.width) + '×' + Math.round(r.height));
            }
            for (const h of document.querySelectorAll('.rc-slider-handle')) {  // the finger lands up to 21 px from its centre (a 44 px target)
              h.scrollIntoView({block: 'center'});
              const r = h.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
              for (const [dx, dy] of [[0, -21], [0, 21], [-21, 0], [21, 0]]) {
                const hit = document.elementFromPoint(x + dx, y + dy);
                if (hit !== h) out.push('slider handle ' + h.getAttribute('aria-label') + ' at ' + dx + ',' + dy + ': ' + (hit && hit.className));
              }
            }
            return out;""")
        browser.execute_script("localStorage.removeItem('malmo.scenarios.v1')")
        assert small == [], small


def test_on_a_phone_the_ranking_shows_name_index_and_change_without_scrolling_sideways(server, browser):
    with phone(browser):
        open_page(browser, server + "/")
        shown = browser.execute_script("""const t = document.getElementById('ranking-table'), box = document.getElementById('ranking-table-container');
            return [[...t.querySelectorAll('thead th')].filter(th => th.getBoundingClientRect().width > 0).map(th => th.className),
                    box.scrollWidth - box.clientWidth]""")
        assert shown[0] == ["col-rank", "col-change", "col-name", "col-index"], shown
        assert shown[1] <= 1, f"the ranking scrolls sideways by {shown[1]} px"


def test_on_a_phone_the_trend_charts_texts_are_whole_and_apart(server, browser):
    """The title, the follow-up labels, the axis years and the legend: each inside the chart, none on another."""
    with phone(browser):
        open_page(browser, server + "/")
        browser.execute_script("document.getElementById('trend-chart-slot').scrollIntoView()")  # drawn when near the screen
        boxes = wait_for(browser, """const g = document.getElementById('trend-chart'); const svg = g && g.querySelector('.main-svg');
            if (!svg || !g.querySelector('.legendtext')) return null;
            const frame = g.getBoundingClientRect();
            const pick = (sel, kind) => [...g.querySelectorAll(sel)].map(e => { const r = e.getBoundingClientRect();
              return {kind: kind, text: e.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom}; }).filter(x => x.r > x.l);
            return {frame: {l: frame.left, r: frame.right, t: frame.top, b: frame.bottom},
                    items: [].concat(pick('.gtitle', 'title'), pick('.annotation-text', 'follow-up'), pick('.xtick text', 'year'),
                                     pick('.legend .traces', 'legend'))};""")
        frame, items = boxes["frame"], boxes["items"]
        for it in items:
            assert it["l"] >= frame["l"] - 0.5 and it["r"] <= frame["r"] + 0.5 and it["t"] >= frame["t"] - 0.5 and it["b"] <= frame["b"] + 0.5, f"cut: {it}"
        clashes = [(a["text"], b["text"]) for i, a in enumerate(items) for b in items[i + 1:]
                   if a["kind"] != b["kind"] or a["kind"] in ("follow-up", "legend", "year")
                   if min(a["r"], b["r"]) - max(a["l"], b["l"]) > 1 and min(a["b"], b["b"]) - max(a["t"], b["t"]) > 1]
        assert clashes == [], clashes


def test_on_a_phone_plotly_is_loaded_only_when_the_chart_comes_near(server, browser):
    """plotly is 1,4 MB compressed and seconds of a phone's CPU: the map first, the chart when scrolled to."""
    with phone(browser):
        open_page(browser, server + "/")
        wait_for(browser, "return !!document.querySelector('#ranking-table tbody tr')")
        loaded = "return performance.getEntriesByType('resource').some(e => e.name.indexOf('plotly') >= 0)"
        assert browser.execute_script(loaded) is False and not browser.find_elements(By.ID, "trend-chart")
        assert browser.find_element(By.CSS_SELECTOR, "#trend-chart-table table")  # its values as a table are there at once
        slot = browser.find_element(By.ID, "trend-chart-slot")
        assert "waiting" in slot.get_attribute("class") and slot.get_attribute("data-loading") == "Diagrammet hämtas …"
        browser.execute_script("document.getElementById('trend-chart-slot').scrollIntoView()")
        wait_for(browser, "return document.querySelectorAll('#trend-chart .legendtext').length > 0")
        assert browser.execute_script(loaded) is True and severe_errors(browser) == []
        wait_for(browser, "return !document.getElementById('trend-chart-slot').classList.contains('waiting')")  # no longer says so


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


def test_a_scenario_saved_in_one_tab_is_listed_in_another_and_its_creator_can_change_its_note(server, browser):
    open_page(browser, server + "/")
    browser.execute_script("document.getElementById('scenarios').open = true")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        open_page(browser, server + "/")
        browser.execute_script("document.getElementById('scenarios').open = true")
        other = browser.current_window_handle
        browser.switch_to.window(first)
        browser.find_element(By.ID, "scenario-name").send_keys("Från första fliken")
        browser.find_element(By.ID, "scenario-note").send_keys("fel anteckning")
        browser.find_element(By.ID, "scenario-save").click()
        wait_for(browser, "return document.getElementById('scenario-status').textContent.indexOf('Sparat') === 0")
        saved = browser.execute_script("const l = JSON.parse(localStorage.getItem('malmo.scenarios.v1')); return l[l.length - 1];")
        browser.switch_to.window(other)  # no reload: the list follows the browser's own store
        wait_for(browser, f"return document.querySelector(\"#my-scenarios li[data-scenario='{saved['id']}'] a\").textContent === 'Från första fliken'")
        browser.find_element(By.CSS_SELECTOR, f"#my-scenarios li[data-scenario='{saved['id']}'] button.scenario-edit").click()
        note = wait_for(browser, "return document.querySelector('form.scenario-edit-form textarea')")
        assert note.get_attribute("value") == "fel anteckning" and browser.switch_to.active_element.get_attribute("value") == "Från första fliken"
        note.clear()
        note.send_keys("rätt anteckning")
        browser.find_element(By.CSS_SELECTOR, "form.scenario-edit-form button[type=submit]").click()
        wait_for(browser, "return document.getElementById('scenario-status').textContent.indexOf('Ändrat') === 0")
        got = requests.get(server + f"/api/scenarios/{saved['id']}", timeout=10).json()
        assert (got["name"], got["note"]) == ("Från första fliken", "rätt anteckning")
    finally:
        browser.close()
        browser.switch_to.window(first)


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


WALL = {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False}


def pin(server, name, weights):
    from conftest import WORKSHOP_KEY
    s = requests.post(server + "/api/scenarios", json={"name": name, "state": "?w=" + weights}, timeout=10).json()
    assert requests.put(server + f"/api/workshop/{s['id']}", headers={"X-Workshop-Key": WORKSHOP_KEY}, timeout=10).status_code == 200
    return s


def test_on_the_wall_every_cluster_and_top_area_is_named_large_and_the_city_fills_the_map(server, browser):
    pin(server, "Skolfokus – behörighet väger mest", "inte_behorig:2,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1")  # 32 characters
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", WALL)
    try:
        open_page(browser, server + "/?mode=present", ready="return window.malmoPainted && document.querySelectorAll('#present-top-list li').length >= 5")
        wait_for(browser, "return document.getElementById('present-name').textContent.indexOf('1/') === 0")
        settled(browser)
        time.sleep(0.5)  # the refit after the bar, legend and list were measured (100 ms), and its declutter
        facts = browser.execute_script("""
            const box = e => { const r = e.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
            const vm = window.malmoLastView;
            const clusterNames = vm.clusters.map(c => window.malmoLib.clusterName(c, window.malmoTexts));
            const labels = [...document.querySelectorAll('.area-label')].filter(e => !e.classList.contains('label-hidden'))
              .map(e => ({text: e.textContent, size: parseFloat(getComputedStyle(e).fontSize), box: box(e)}));
            const list = [...document.querySelectorAll('#present-top-list li')].map(e => ({text: e.querySelector('.present-top-name').textContent,
                                                                                         size: parseFloat(getComputedStyle(e).fontSize)}));
            const layers = Object.values(window.malmoLayers).filter(l => l._map);
            const map = layers[0]._map;
            let city = null;
            layers.forEach(l => { city = city ? city.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast()); });
            const nw = map.latLngToContainerPoint(city.getNorthWest()), se = map.latLngToContainerPoint(city.getSouthEast());
            const frame = map.getContainer().getBoundingClientRect();
            const over = ['#map-legend', '#present-top', '#data-notice', '#controls'].map(s => ({id: s, box: box(document.querySelector(s))}));
            const top = Math.min(vm.top_n, 10);
            return {clusters: clusterNames, labels: labels, list: list, top: top,
                    city: {w: se.x - nw.x, h: se.y - nw.y}, frame: {w: frame.width, h: frame.height}, over: over,
                    legend: [...document.querySelectorAll('#map-legend li')].map(e => parseFloat(getComputedStyle(e).fontSize)),
                    weights: [...document.querySelectorAll('#controls .weight')].map(box), viewport: [innerWidth, innerHeight]};""")
        drawn = {lab["text"]: lab for lab in facts["labels"]}
        assert len(facts["clusters"]) >= 3 and all(name in drawn for name in facts["clusters"]), (facts["clusters"], list(drawn))
        assert all(lab["size"] >= 28 for lab in facts["labels"]), facts["labels"]
        assert len(facts["list"]) == facts["top"] and all(item["size"] >= 28 for item in facts["list"]), facts["list"]
        assert min(facts["legend"]) >= 28, facts["legend"]

        def clash(a, b):
            return min(a["r"], b["r"]) - max(a["l"], b["l"]) > 0.5 and min(a["b"], b["b"]) - max(a["t"], b["t"]) > 0.5
        boxes = [(lab["text"], lab["box"]) for lab in facts["labels"]] + [(o["id"], o["box"]) for o in facts["over"]]
        clashes = [(a, b) for i, (a, x) in enumerate(boxes) for b, y in boxes[i + 1:] if clash(x, y)]
        assert clashes == [], clashes
        # the city fills the map's height (it is taller than wide on a 16:9 wall), clear of the legend and the list
        assert facts["city"]["h"] >= 0.9 * facts["frame"]["h"], facts
        # the four weights side by side, all on the screen, with a long scenario name in the bar
        one_row = max(w["t"] for w in facts["weights"]) < min(w["b"] for w in facts["weights"])
        assert len(facts["weights"]) == 4 and one_row and all(w["r"] <= facts["viewport"][0] and w["b"] <= facts["viewport"][1] for w in facts["weights"]), facts["weights"]
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_on_the_compare_wall_the_body_text_is_read_from_the_back(server, browser):
    a, b = pin(server, "Boende", "inte_behorig:1,trangboddhet:3,ekonomiskt_bistand:1,lag_inkomststandard:1"), pin(server, "Ekonomi", "inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:3,lag_inkomststandard:1")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", WALL)
    try:
        open_page(browser, server + f"/compare?a={a['id']}&b={b['id']}&mode=present",
                  ready="return window.malmoPainted && document.querySelectorAll('#cmp-lists h3').length === 4 && document.querySelector('#cmp-slope .textpoint')")
        sizes = browser.execute_script("""
            const size = sel => [...document.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().width > 0 && e.textContent.trim())
              .map(e => [sel, e.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(e).fontSize)]);
            return [].concat(size('#cmp-lists li, #cmp-lists p'), size('.controls p, .controls li'), size('#cmp-legend li'), size('#cmp-slope .textpoint text'));""")
        assert sizes and len({s[0] for s in sizes}) >= 3, sizes
        small = [s for s in sizes if s[2] < (22 if "slope" in s[0] else 24)]
        assert small == [], small
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_slope_chart_labels_after_live_moves_what_a_fresh_load_labels(server, browser):
    ready = "return window.malmoPainted && document.querySelectorAll('#cmp-slope .textpoint').length > 5"
    drawn = "return [...document.querySelectorAll('#cmp-slope .textpoint')].map(t => t.textContent).filter(Boolean).sort()"
    open_page(browser, server + "/compare?a=" + requests.utils.quote("w=inte_behorig:1,trangboddhet:3,ekonomiskt_bistand:1,lag_inkomststandard:1", safe="")
              + "&b=" + requests.utils.quote("w=inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1", safe=""), ready=ready)
    for key, value in (("inte_behorig", 80), ("trangboddhet", 0), ("ekonomiskt_bistand", 100), ("inte_behorig", 5), ("lag_inkomststandard", 0)):
        before = browser.execute_script("return window.malmoPainted.at")
        browser.execute_script(f"window.dash_clientside.set_props('cmp-weight-{key}', {{value: {value}}})")
        wait_for(browser, f"return window.malmoPainted.at > {before}")
        settled(browser)
    time.sleep(0.5)
    live, url = browser.execute_script(drawn), browser.current_url
    open_page(browser, url, ready=ready)
    assert live == browser.execute_script(drawn)


def test_the_report_says_it_is_being_made_and_then_downloads(server, browser, tmp_path):
    open_page(browser, server + "/")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    link = browser.find_element(By.CSS_SELECTOR, "a.export-other[data-format=pdf]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    said = wait_for(browser, "const s = document.getElementById('export-status').textContent; return s.indexOf('tas fram') > 0 && s", timeout=5)
    assert said.startswith(link.text)
    link.click()  # a second click while it is drawn: told, not a second report
    done = wait_for(browser, "const s = document.getElementById('export-status').textContent; return s.indexOf('klar efter') > 0 && s", timeout=60)
    assert "nedladdad" in done
    deadline = time.time() + 20
    while time.time() < deadline and not [p for p in tmp_path.iterdir() if p.suffix == ".pdf"]:
        time.sleep(0.2)
    (pdf,) = [p for p in tmp_path.iterdir() if p.suffix == ".pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_the_ranking_embed_fits_800_by_500_and_its_map_embed_tells_rank_and_index_on_a_click(server, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 800, "height": 500, "deviceScaleFactor": 1, "mobile": False})
    try:
        open_page(browser, server + "/embed/ranking", ready="return document.querySelectorAll('#ranking-table tbody tr').length > 5")
        facts = browser.execute_script("""const box = document.getElementById('ranking-table-container'), link = document.querySelector('.area-link');
            const head = [...document.querySelectorAll('#ranking-table thead th')].map(th => th.getBoundingClientRect());
            return {overflow: box.scrollWidth - box.clientWidth, right: Math.max(...head.map(r => r.right)), edge: box.getBoundingClientRect().right,
                    underline: getComputedStyle(link).textDecorationLine, colour: getComputedStyle(link).color, ink: getComputedStyle(document.body).color}""")
        assert facts["overflow"] <= 1 and facts["right"] <= facts["edge"] + 1, facts  # no header cut at the edge
        assert facts["underline"] == "none" and facts["colour"] == facts["ink"], facts  # it marks a row: not dressed as a link
        open_page(browser, server + "/embed/map", ready="return document.querySelectorAll('#embed-map path.leaflet-interactive').length > 10")
        area = browser.execute_script("""return [...document.querySelectorAll('#embed-map path.leaflet-interactive')].find(p => { const r = p.getBoundingClientRect();
            return r.width > 30 && document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === p; })""")
        area.click()
        tip = wait_for(browser, "const t = document.querySelector('.leaflet-tooltip.area-tip'); return t && t.textContent", timeout=5)
        assert " – plats " in tip and ", index " in tip, tip
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_on_the_wall_a_zoom_by_hand_survives_the_bar_changing_size(server, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", WALL)
    try:
        open_page(browser, server + "/?mode=present", ready="return window.malmoPainted && document.querySelectorAll('#present-top-list li').length >= 5")
        settled(browser)
        fitted = browser.execute_script(f"return {MAP}.getZoom()")
        browser.find_element(By.CSS_SELECTOR, "#map .leaflet-control-zoom-in").click()
        zoomed = wait_for(browser, f"const z = {MAP}.getZoom(); return z > {fitted} + 0.5 && z")
        browser.execute_script("document.getElementById('present-name').textContent = 'Ett mycket långt namn på ett scenario '.repeat(4)")
        time.sleep(0.5)  # the bar's new height is measured, and the map told (100 ms)
        assert browser.execute_script(f"return {MAP}.getZoom()") == zoomed
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

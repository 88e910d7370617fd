"""The rest of what an outside accessibility audit checks beyond axe (WCAG 2.1 AA), in headless
Chromium: focus visible at 3:1 on every Tab stop (screenshots of each element focused and not),
axe with the server's answer withheld, reflow at 320 CSS px on every page, one status per change
of the ranking, charts as tables, the map modes' classes as text, errors told at their field, Esc
for what hovering shows, and the statement's DIGG parts."""
from __future__ import annotations

import io
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import settled, wait_for
from test_accessibility import AXE, axe_violations

pytestmark = pytest.mark.browser
WINDOW = (1366, 900)
DRAWN = "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length >= 5"


def press(browser, *keys) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def open_page(browser, url, ready=DRAWN):
    browser.get(url)
    wait_for(browser, ready, timeout=40)
    settled(browser)


def luminance(rgb) -> float:
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def shot(browser, box):
    from PIL import Image
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    return image.crop(box)


def test_every_tab_stop_shows_a_visible_change_at_3_to_1(server, browser):
    """Tab through the dashboard as a keyboard user does; for each stop, compare what is on screen
    with the element focused and not: enough pixels change, and they change at 3:1 or more."""
    import numpy as np
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    try:
        open_page(browser, server + "/")
        browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        checked, weak = 0, []
        for _ in range(45):
            press(browser, Keys.TAB)
            time.sleep(0.12)
            rect = browser.execute_script("""const e = document.activeElement; if (!e || e === document.body) return null;
                const r = e.getBoundingClientRect(); return [r.left - 8, r.top - 8, r.right + 8, r.bottom + 8,
                  (e.id || e.tagName) + '.' + (e.getAttribute('class') || '').split(' ')[0], innerWidth, innerHeight];""")
            if not rect or rect[2] - rect[0] < 12 or rect[1] < 0 or rect[3] > rect[6] or rect[0] < 0 or rect[2] > rect[5]:
                continue  # a skip link out of view when not focused, or a stop scrolled partly out of view
            box = tuple(int(round(v)) for v in rect[:4])
            focused = np.asarray(shot(browser, box), dtype=float)
            browser.execute_script("window.malmoRefocus = document.activeElement; document.activeElement.blur()")
            time.sleep(0.08)
            plain = np.asarray(shot(browser, box), dtype=float)
            browser.execute_script("window.malmoRefocus.focus({preventScroll: true})")
            changed = np.abs(focused - plain).sum(axis=2) > 30
            ratios = [contrast(f, p) for f, p in zip(focused[changed][::7], plain[changed][::7])]
            strong = sum(r >= 3 for r in ratios) * 7
            perimeter = 2 * ((box[2] - box[0]) + (box[3] - box[1]))
            if strong < perimeter:  # at least a 1 px ring's worth of pixels changed at 3:1
                weak.append((rect[4], int(changed.sum()), strong, perimeter))
            checked += 1
        assert checked >= 25, checked
        assert not weak, weak
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `make test` (npm ci)")
@pytest.mark.parametrize("path", ["/", "/compare?b=w=inte_behorig:3,trangboddhet:1"])
def test_axe_finds_nothing_while_the_server_never_answers(server, browser, path):
    """The view model's request is held (as a slow or absent server would): the page as it stands
    before that answer still has names, roles and values for everything (4.1.2)."""
    hold = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        const f = window.fetch.bind(window);
        window.fetch = function (input, init) {
            const body = init && typeof init.body === 'string' ? init.body : '';
            if (body.indexOf('view-model.data') >= 0 || body.indexOf('cmp-model.data') >= 0) return new Promise(function () {});
            return f(input, init);
        };"""})
    try:
        browser.get(server + path)
        wait_for(browser, "return document.querySelectorAll('.rc-slider-handle').length === 4")
        time.sleep(1.5)
        assert not browser.execute_script("return window.malmoLastView || window.malmoPainted")
        result = axe_violations(browser)
        assert result == [], result
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hold["identifier"]})


REFLOW = ["/", "/?area=48208", "/?area=48208&lang=en", "/?map=hotspots&area=48208", "/?level=nyko", "/compare",
          "/compare?lang=en", "/?mode=present", "/?mode=present&lang=en", "/tillganglighet", "/tillganglighet?lang=en",
          "/embed/map", "/embed/ranking", "/embed/trend", "/embed/clusters", "/embed/card?area=48208"]


def test_no_page_is_wider_than_320_css_px(server, browser):
    """1.4.10: at 320 CSS px nothing makes the page scroll sideways (a table may scroll in its own box)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": False})
    try:
        wide = {}
        for path in REFLOW:
            browser.get(server + path)
            wait_for(browser, "return document.querySelector('h1, .embed-head, #embed-legend')", timeout=30)
            settled(browser)  # nothing pending; then the widest the page gets while what is drawn last comes in
            width, viewport = browser.execute_async_script("""const done = arguments[arguments.length - 1], widths = [];
                (function look(n) { widths.push(document.documentElement.scrollWidth);
                  if (n) setTimeout(() => look(n - 1), 150); else done([Math.max(...widths), document.documentElement.clientWidth]); })(4);""")
            if width > viewport:
                wide[path] = width
        assert not wide, wide
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_ranking_status_speaks_once_per_change_and_says_what_moved(server, browser):
    open_page(browser, server + "/")
    handle = browser.find_element(By.CSS_SELECTOR, "#weight-trangboddhet .rc-slider-handle")
    browser.execute_script("arguments[0].focus()", handle)
    before = browser.execute_script("return window.malmoAnnounced || 0")
    press(browser, *[Keys.ARROW_RIGHT] * 8)  # eight quick steps: one change of mind
    wait_for(browser, f"return (window.malmoAnnounced || 0) > {before}", timeout=10)
    time.sleep(1.5)
    assert browser.execute_script("return window.malmoAnnounced") == before + 1
    press(browser, Keys.END)  # trångboddhet at the top: the top ten move
    wait_for(browser, f"return (window.malmoAnnounced || 0) > {before + 1}", timeout=10)
    status = browser.execute_script("const s = document.getElementById('ranking-status'); return [s.getAttribute('role'), s.textContent.replace(/\\u00a0/g, ' ')]")
    assert status[0] == "status", status
    assert " upp till " in status[1] or " ned till " in status[1], [hex(ord(c)) for c in status[1][:20]]
    assert "klustren" in status[1], status
    live = browser.execute_script("return [...document.querySelectorAll('#page [aria-live]')].map(e => e.id)")
    assert "cluster-list" not in live and "trend-gap" not in live, live


def test_charts_have_a_table_of_what_they_draw_and_the_ranking_has_the_map_modes_as_text(server, browser):
    open_page(browser, server + "/?map=hotspots")
    table = wait_for(browser, """const t = document.querySelector('#trend-chart-table table'); if (!t) return null;
        return {caption: t.caption.textContent, years: [...t.tHead.rows[0].cells].slice(1).map(c => c.textContent),
                rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent))};""", timeout=20)
    wait_for(browser, "const g = document.querySelector('#trend-chart .js-plotly-plot'); return !!(g && g.data)")  # mounted near the screen
    figure = browser.execute_script("const g = document.querySelector('#trend-chart .js-plotly-plot'); return g.data.filter(d => d.name && d.fill !== 'toself').map(d => [d.meta && d.meta.table || d.name, d.y.length])")
    assert table["caption"].startswith("UVAS") and table["years"][0] == "2012"
    assert [r[0] for r in table["rows"]] == [n for n, _ in figure] and all(len(r) == len(table["years"]) + 1 for r in table["rows"])
    assert "," in table["rows"][0][1]  # Swedish decimals, as the chart's hover says
    wait_for(browser, "return [...document.querySelectorAll('#ranking-table td.col-hot')].some(td => td.textContent.length > 3)", timeout=40)
    wait_for(browser, "return [...document.querySelectorAll('#ranking-table td.col-sure')].some(td => /%/.test(td.textContent))", timeout=40)
    assert "Hot spot" in browser.execute_script("return document.querySelector('#ranking-table thead').textContent")
    summary = browser.execute_script("""const m = document.querySelector('#map .leaflet-container') || document.querySelector('.leaflet-container');
        return [m.getAttribute('aria-describedby'), document.getElementById('map-summary').textContent]""")
    assert "map-summary" in summary[0] and summary[1].startswith("Högst: 1. ")


def test_a_refused_number_is_told_at_its_field_and_gets_the_focus(server, browser):
    open_page(browser, server + "/")
    browser.execute_script("document.querySelector('details.method').open = true")
    field = browser.find_element(By.ID, "top-n-input")
    field.send_keys(Keys.CONTROL, "a")  # typed over, as a user does (clearing first would commit an empty field)
    field.send_keys("500", Keys.TAB)
    state = wait_for(browser, """const i = document.getElementById('top-n-input'), e = document.getElementById('top-n-input-error');
        return i.getAttribute('aria-invalid') === 'true' && e.textContent.indexOf('500') >= 0 && document.activeElement === i &&
               [document.activeElement.id, i.getAttribute('aria-describedby'), e.textContent]""", timeout=10)
    assert state[0] == "top-n-input" and "top-n-input-error" in state[1] and "500" in state[2] and "200" in state[2], state
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("12", Keys.TAB)
    wait_for(browser, "return !document.getElementById('top-n-input').getAttribute('aria-invalid') && !document.getElementById('top-n-input-error').textContent")
    assert browser.execute_script("return document.getElementById('scenario-name').required")


def test_esc_dismisses_an_areas_tooltip(server, browser):
    open_page(browser, server + "/")
    path = browser.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")[40]
    ActionChains(browser).move_to_element(path).perform()
    wait_for(browser, "return document.querySelector('.leaflet-tooltip.area-tip')", timeout=5)
    press(browser, Keys.ESCAPE)
    wait_for(browser, "return !document.querySelector('.leaflet-tooltip.area-tip')", timeout=5)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_statement_follows_diggs_model_and_every_page_links_to_it(server, browser, lang):
    import re

    import requests
    q = "?lang=en" if lang == "en" else ""
    page = requests.get(server + "/tillganglighet" + q, timeout=10).text
    assert f"<html lang='{lang}'>" in page
    assert "https://www.digg.se/tdosanmalan" in page and "mailto:" in page and "tel:" in page
    assert re.search(r"WCAG 2\.1: \d\.\d\.\d+; (åtgärdas senast|to be fixed by) 20\d\d-\d\d-\d\d", page)
    assert "2026-12-01" in page and ("självskattning" in page or "self-assessment" in page)
    for path, ready in (("/", DRAWN), ("/compare", "return window.malmoPainted"), ("/?mode=present", DRAWN)):
        sep = "&" if "?" in path else "?"
        open_page(browser, server + path + (sep + "lang=en" if lang == "en" else ""), ready)
        links = browser.execute_script("return [...document.querySelectorAll('a.statement-link')].map(a => [a.getAttribute('href'), a.getAttribute('lang'), a.offsetParent !== null])")
        assert any(href.endswith("tillganglighet" + q) and visible for href, _, visible in links), (path, links)
        assert all(lang_attr is None for _, lang_attr, _ in links)  # in the page's own language (3.1.2)


def test_the_sliders_rail_track_and_handle_stand_out_at_3_to_1(server, browser):
    open_page(browser, server + "/")
    colours = browser.execute_script("""const s = document.querySelector('#weight-inte_behorig');
        const c = sel => getComputedStyle(s.querySelector(sel)); const bg = getComputedStyle(document.querySelector('.controls')).backgroundColor;
        return [c('.rc-slider-rail').backgroundColor, c('.rc-slider-track').backgroundColor, c('.rc-slider-handle').borderTopColor, bg]""")

    def rgb(css):
        return [int(x) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
    rail, track, handle, background = (rgb(c) for c in colours)
    assert contrast(rail, background) >= 3 and contrast(track, background) >= 3 and contrast(handle, background) >= 3, colours


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `make test` (npm ci)")
@pytest.mark.parametrize("path", ["/?area=48208", "/compare", "/?mode=present"])
def test_axe_finds_nothing_at_the_phones_width(server, browser, path):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False})
    try:
        browser.get(server + path)
        wait_for(browser, "return window.malmoPainted", timeout=40)
        settled(browser)
        result = axe_violations(browser)
        assert result == [], result
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

"""What an auditor tests with the keyboard only, beyond axe (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7, 1.4.11):
the skip links come first, the map is one named Tab stop whose arrow keys go through the areas and
whose Enter opens one, every control shows the one focus ring, and the place markers have names."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import settled, wait_for

pytestmark = pytest.mark.browser
WINDOW = (1366, 900)
DRAWN = "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length >= {n}"
FOCUSED = ("const e = document.activeElement; return (e.id || '') + '|' + e.tagName + '|' + (e.getAttribute('class') || '') + '|' +"
           " (e.closest('.leaflet-container') ? 'in-map' : '')")


def press(browser, *keys) -> None:
    """Keys to whatever has focus, as a keyboard sends them (no check that it is on screen)."""
    ActionChains(browser).send_keys(*keys).perform()


def open_page(browser, url, n=5):
    browser.get(url)
    wait_for(browser, DRAWN.format(n=n), timeout=40)
    settled(browser)


def tab_stops(browser, count: int) -> list[str]:
    browser.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    out = []
    for _ in range(count):
        press(browser, Keys.TAB)
        out.append(browser.execute_script(FOCUSED))
    return out


@pytest.mark.parametrize("level,n", [("geso", 14), ("delomrade", 136), ("nyko", 100)])
def test_the_map_is_a_handful_of_tab_stops_at_every_level(server, browser, level, n):
    open_page(browser, server + f"/?level={level}", n)
    stops = tab_stops(browser, 90)
    in_map = [s for s in stops if s.endswith("in-map") or s.startswith("map|")]
    assert [s for s in in_map if "leaflet-interactive" in s] == []  # no area and no place marker is a Tab stop
    assert len(in_map) <= 4, in_map  # the map itself and its zoom buttons
    assert any(s.startswith("map|") for s in stops)


def test_skip_links_come_first_and_go_where_they_say(server, browser):
    open_page(browser, server + "/")
    stops = tab_stops(browser, 3)
    assert [s.split("|")[1] for s in stops] == ["A", "A", "A"]
    links = browser.find_elements(By.CSS_SELECTOR, ".skip-links a")
    assert [a.get_attribute("href").split("#")[1] for a in links] == ["map", "ranking-table-container", "controls"]
    browser.execute_script("document.querySelector('.skip-links a[href=\"#ranking-table-container\"]').focus()")
    press(browser, Keys.ENTER)
    wait_for(browser, "return document.activeElement.id === 'ranking-table-container'")


def test_an_area_is_chosen_from_the_keyboard(server, browser):
    open_page(browser, server + "/")
    browser.execute_script("document.getElementById('map').focus()")
    named = browser.execute_script("const m = document.getElementById('map'); return [m.getAttribute('aria-label'), "
                                   "m.getAttribute('aria-describedby').split(' ').map(id => document.getElementById(id).textContent).join(' ')]")
    assert named[0] and "pil" in named[1].lower()
    first = browser.execute_script("return document.querySelector('#ranking-table tbody tr').getAttribute('data-code')")
    name = browser.execute_script("return document.querySelector('#ranking-table tbody tr .col-name').innerText")
    press(browser, Keys.ARROW_DOWN)
    wait_for(browser, f"return document.getElementById('map-status').textContent.indexOf({name!r}) === 0")
    assert "plats 1 av" in browser.find_element(By.ID, "map-status").get_attribute("textContent")
    press(browser, Keys.ARROW_DOWN)
    wait_for(browser, "return document.getElementById('map-status').textContent.indexOf('plats 2 av') > 0")
    press(browser, Keys.ARROW_UP, Keys.ENTER)
    wait_for(browser, f"return document.querySelector('#area-card h2') && document.querySelector('#area-card h2').innerText.indexOf({name!r}) >= 0")
    assert browser.execute_script("return window.malmoView.selected") == first
    assert browser.execute_script("return document.activeElement.id") == "map"  # the keys did not pan the map away from itself


def test_every_kind_of_control_shows_the_one_focus_ring(server, browser):
    open_page(browser, server + "/")
    ring = ("const e = document.querySelector(arguments[0]); e.focus(); const s = getComputedStyle(e);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]")
    for selector in ("#weight-inte_behorig .rc-slider-handle", "#area-search", "#copy-link", "#language-link",
                     "#ranking-table-container", "#scenario-name"):
        browser.execute_script("document.getElementById('scenarios').open = true")
        press(browser, Keys.SHIFT)  # keyboard modality, as after Tab
        style, width, colour, shadow = browser.execute_script(ring, selector)
        assert (style, width, colour) == ("solid", "3px", "rgb(8, 48, 107)"), (selector, style, width, colour)
        assert "rgb(255, 255, 255)" in shadow, (selector, shadow)


def test_place_markers_are_named_by_kind_and_place(server, browser):
    open_page(browser, server + "/")
    names = browser.execute_script("return [...document.querySelectorAll('.leaflet-marker-icon.place-icon')].map(m => m.getAttribute('title'))")
    assert names and all(n and ": " in n for n in names), names[:5]
    assert any(n.startswith("Bibliotek: ") for n in names)


def test_sliders_are_named_before_the_server_answers(server, browser):
    """The view-model request is held back (as a slow or absent server would): the sliders still
    have their names and their shares as value texts."""
    hold = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        const f = window.fetch.bind(window);
        window.fetch = function (input, init) {  // the view model's request never answers
            if (init && typeof init.body === 'string' && init.body.indexOf('view-model.data') >= 0) return new Promise(function () {});
            return f(input, init);
        };"""})
    try:
        browser.get(server + "/")
        wait_for(browser, "return document.querySelectorAll('.rc-slider-handle').length === 4")
        names = wait_for(browser, "const h = [...document.querySelectorAll('#page .weight .rc-slider-handle')];"
                                  " return h.every(e => e.getAttribute('aria-label') && e.getAttribute('aria-valuetext')) &&"
                                  " h.map(e => [e.getAttribute('aria-label'), e.getAttribute('aria-valuetext')])", timeout=10)
        assert names[0] == ["Inte behörig till yrkesprogram", "väger 25\u00a0%"], names
        assert not browser.execute_script("return window.malmoLastView")  # the server really did not answer
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hold["identifier"]})


@pytest.mark.parametrize("path,title", [("/", "Var behövs insatserna mest? – Malmö"), ("/?lang=en", "Where is the need greatest? – Malmö"),
                                        ("/compare?lang=en", "Compare two weightings – Where is the need greatest? – Malmö"),
                                        ("/embed/ranking", "Rangordning – Var behövs insatserna mest? – Malmö"),
                                        ("/?mode=present", "Presentera – Var behövs insatserna mest? – Malmö")])
def test_every_route_has_a_title_of_its_own_in_its_language(server, browser, path, title):
    import requests
    import re
    page = requests.get(server + path, timeout=10).text
    assert re.search(r"<title>(.*?)</title>", page).group(1).replace("&#x27;", "'") == title


def test_the_zoom_buttons_speak_the_pages_language(server, browser):
    open_page(browser, server + "/")
    assert browser.execute_script("return [...document.querySelectorAll('#map .leaflet-control-zoom a')].map(a => a.getAttribute('aria-label'))") \
        == ["Zooma in", "Zooma ut"]


def test_esc_leaves_presentation_mode(server, browser):
    open_page(browser, server + "/?mode=present")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait_for(browser, "return location.search.indexOf('mode=present') < 0 && !document.querySelector('#page.present') && window.malmoPainted")


def test_focus_stays_on_the_row_after_enter_and_on_the_sort_button_after_a_sort(server, browser):
    open_page(browser, server + "/")
    browser.execute_script("document.querySelector('#ranking-table tbody tr:nth-child(3) button.area-link').focus()")
    code = browser.execute_script("return document.activeElement.getAttribute('data-code')")
    press(browser, Keys.ENTER)
    wait_for(browser, f"return document.querySelector('#ranking-table tr.selected[data-code=\"{code}\"]')")
    settled(browser)
    assert browser.execute_script("return document.activeElement.getAttribute('data-code')") == code
    browser.execute_script("document.querySelector('#ranking-table th button[data-sort=\"name\"]').focus()")
    press(browser, Keys.ENTER)
    wait_for(browser, "return document.querySelector('#ranking-table th.col-name').getAttribute('aria-sort') === 'ascending'")
    settled(browser)
    assert browser.execute_script("return document.activeElement.getAttribute('data-sort')") == "name"


def test_a_search_hit_takes_focus_to_the_areas_card(server, browser):
    open_page(browser, server + "/")
    box = browser.find_element(By.ID, "area-search")
    box.click()
    box.send_keys("Sofielund")
    wait_for(browser, "return document.querySelector('button.search-hit')")
    browser.execute_script("document.querySelector('button.search-hit').focus()")
    press(browser, Keys.ENTER)
    wait_for(browser, "return document.activeElement.matches('#area-card h2') && document.activeElement.textContent.indexOf('Sofielund') >= 0")


def test_groups_tables_and_live_regions_are_what_a_screen_reader_needs(server, browser):
    """Radio groups are named by a legend; the ranking has a caption and row headers; the card, the
    legend, the shares and the allocation no longer announce themselves on every slider step."""
    open_page(browser, server + "/?area=48208")
    facts = browser.execute_script("""
        const legendOf = id => { const f = document.getElementById(id).closest('fieldset'); return f && f.querySelector('legend') ? f.querySelector('legend').textContent : null; };
        return {groups: ['level-select', 'uvas-age', 'embed-view', 'map-mode'].map(legendOf),
                caption: document.querySelector('#ranking-table caption').textContent,
                rowHeaders: document.querySelectorAll('#ranking-table tbody th[scope=row]').length,
                rows: document.querySelectorAll('#ranking-table tbody tr').length,
                current: document.querySelector('#ranking-table tbody th[aria-current=true]').textContent,
                selectedRows: document.querySelectorAll('#ranking-table tr[aria-selected]').length,
                live: ['area-card', 'map-legend', 'allocation-table', 'share-inte_behorig'].map(id => document.getElementById(id).getAttribute('aria-live'))};
    """)
    assert all(facts["groups"]), facts["groups"]
    assert facts["caption"] and facts["rowHeaders"] == facts["rows"] > 100 and facts["current"] == "Herrgården"
    assert facts["selectedRows"] == 0 and facts["live"] == [None, None, None, None]

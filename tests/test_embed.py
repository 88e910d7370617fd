"""Views for intranet pages: single views in iframes from another origin, the headers that allow
exactly that, the whole app under a path prefix behind a real nginx, and the phone layout."""
from __future__ import annotations

import http.server
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import SCREENSHOTS, running_app, wait_for
from services import NGINX, running_nginx

pytestmark = pytest.mark.browser
WINDOW = (1400, 1000)
VIEWS = ["map", "ranking", "trend", "clusters", "card"]
READY = {  # what each view shows once drawn
    "map": "document.querySelectorAll('.leaflet-overlay-pane path').length > 100 && document.querySelector('#embed-legend li')",
    "ranking": "document.querySelectorAll('#ranking-table tbody tr').length === 136",
    "trend": "document.querySelectorAll('#embed-trend .legendtext').length > 3",
    "clusters": "document.querySelectorAll('#embed-clusters .cluster').length === 5",
    "card": "document.querySelector('#embed-card h2') && document.querySelector('#embed-card h2').innerText === 'Herrgården'",
}


@contextmanager
def host_page(page: dict):
    """A page on another loopback port (another origin), like an intranet page that embeds the views;
    it serves page["html"], which may be set after the origin is known."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = page["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def iframes(app_url: str, query: str) -> str:
    frames = "".join(f'<iframe id="f-{v}" title="{v}" src="{app_url}/embed/{v}{query}" width="600" height="420"></iframe>' for v in VIEWS)
    return f"<!doctype html><html lang='sv'><title>Intranät</title><body>{frames}</body></html>"


def test_each_embed_view_renders_alone_in_an_iframe_from_an_allowed_origin(browser):
    page = {"html": ""}
    with host_page(page) as origin, running_app({"FRAME_ANCESTORS": f"'self' {origin}"}) as app_url:
        csp = requests.get(app_url + "/embed/map", timeout=10).headers["Content-Security-Policy"]
        assert f"frame-ancestors 'self' {origin}" in csp and "unsafe-eval" not in csp
        page["html"] = iframes(app_url, "?area=48208&w=inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1")
        browser.get(origin + "/")
        for view in VIEWS:
            browser.switch_to.frame(browser.find_element(By.ID, f"f-{view}"))
            wait_for(browser, "return " + READY[view], timeout=40)
            text = browser.find_element(By.TAG_NAME, "body").text
            assert "EXEMPELDATA" in text and "Öppna i verktyget" in text, view
            link = browser.find_element(By.CSS_SELECTOR, "a.embed-open").get_attribute("href")
            assert "area=48208" in link and "/embed/" not in link
            # only its own element: no sliders, no other panels
            assert not browser.find_elements(By.CSS_SELECTOR, ".controls, .rc-slider, #cluster-list, #trend-chart")
            assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), view
            browser.switch_to.default_content()
        SCREENSHOTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "6-embeds-in-intranet-page.png"))


def test_by_default_other_origins_cannot_frame_the_app(browser):
    with running_app() as app_url:
        assert "frame-ancestors 'self'" in requests.get(app_url + "/", timeout=10).headers["Content-Security-Policy"]
        with host_page({"html": iframes(app_url, "")}) as origin:
            browser.get(origin + "/")
            time.sleep(3)
            browser.switch_to.frame(browser.find_element(By.ID, "f-ranking"))
            blocked = browser.execute_script("return !document.querySelector('#ranking-table-container')")
            browser.switch_to.default_content()
            assert blocked


def test_unknown_embed_view_is_the_friendly_404():
    with running_app() as app_url:
        response = requests.get(app_url + "/embed/pie", timeout=10)
        assert response.status_code == 404 and "Sidan finns inte" in response.text and "Traceback" not in response.text
        for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
            assert header in response.headers  # every response, error pages too
        assert "Werkzeug" not in response.headers.get("Server", "") and "Python" not in response.headers.get("Server", "")


@pytest.mark.skipif(not __import__("os").path.exists(NGINX), reason="nginx is installed by `make test`")
def test_the_app_works_behind_nginx_under_a_path_prefix(browser, engine):
    with running_app({"URL_PREFIX": "/kraftsamling/"}, ready_path="/kraftsamling/healthz") as app_url:
        assert requests.get(app_url + "/kraftsamling/healthz", timeout=10).json()["status"] == "ok"
        with running_nginx(app_url.removeprefix("http://"), health_path="/kraftsamling/healthz") as front:
            base = front + "/kraftsamling/"
            for path in ("healthz", "api/export.csv", "embed/map", "tillganglighet"):
                assert requests.get(base + path, timeout=20).status_code == 200, path
            browser.get(base)
            wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length === 136", timeout=60)
            wait_for(browser, "return Object.values(window.malmoLayers).filter(l => l._map).length === 136")
            assert browser.execute_script("return document.getElementById('export-link').getAttribute('href')").startswith("/kraftsamling/api/export.csv")
            first = browser.execute_script("return document.querySelector('#ranking-table tbody .col-name').innerText")
            handle = browser.find_element(By.CSS_SELECTOR, "#weight-ekonomiskt_bistand .rc-slider-handle")
            handle.click()
            for _ in range(50):
                handle.send_keys(Keys.ARROW_RIGHT)
            frame = engine.index({"inte_behorig": 50, "trangboddhet": 50, "ekonomiskt_bistand": 100, "lag_inkomststandard": 50}).frame()
            wait_for(browser, f"return document.querySelector('#ranking-table tbody .col-name').innerText === {frame['name'].iloc[0]!r}")
            assert frame["name"].iloc[0] != first or frame["name"].iloc[1] in browser.execute_script(
                "return document.querySelector('#ranking-table tbody').innerText")
            wait_for(browser, "return location.pathname === '/kraftsamling/' && location.search.indexOf('ekonomiskt_bistand:100') >= 0")
            wait_for(browser, "return document.querySelectorAll('.leaflet-outlines-pane path[stroke-dasharray]').length > 0")  # outlines via the prefix


@pytest.mark.parametrize("size", [(390, 844), (768, 1024)])
def test_phone_and_tablet_layout(browser, size):
    width, height = size
    with running_app() as app_url:
        browser.set_window_size(width, height)
        try:
            browser.get(app_url + "/?area=48208")
            wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 5")
            time.sleep(0.8)
            viewport = browser.execute_script("return window.innerWidth")
            assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport
            tops = browser.execute_script("return ['.controls', '.map-area', '.ranking'].map(s => document.querySelector(s).getBoundingClientRect().top)")
            # the order on screen is the order in the page (2.4.3, 1.3.2): the controls, folded to one line, then the map
            assert tops[0] < tops[1] < tops[2]
            assert browser.execute_script("return document.querySelector('.controls').getBoundingClientRect().height") < 90
            assert not browser.execute_script("return document.querySelector('.controls-fold').open")
            assert browser.execute_script("return document.querySelector('.map-area').getBoundingClientRect().height") >= 300
            browser.find_element(By.CSS_SELECTOR, ".controls-summary").click()  # the controls unfold
            wait_for(browser, "return document.querySelector('.controls-fold').open")
            table = browser.execute_script("const b = document.getElementById('ranking-table-container'); return [b.scrollWidth > b.clientWidth, b.getBoundingClientRect().right <= window.innerWidth]")
            assert table[1]  # the table scrolls inside its own box
            SCREENSHOTS.mkdir(exist_ok=True)
            browser.save_screenshot(str(SCREENSHOTS / f"6-phone-{width}.png"))
        finally:
            browser.set_window_size(1400, 1000)


@pytest.mark.parametrize("view", ["map", "ranking", "card?area=48208"])
def test_embeds_stay_readable_at_320_by_240(server, browser, view):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 320, "height": 240, "deviceScaleFactor": 1, "mobile": False})
    try:
        browser.get(f"{server}/embed/{view}")
        ready = {"map": READY["map"], "ranking": READY["ranking"], "card?area=48208": READY["card"]}[view]
        wait_for(browser, "return " + ready, timeout=40)
        assert browser.execute_script("return document.documentElement.scrollWidth <= 320")
        box = browser.execute_script("const e = document.querySelector('.embed-body').firstElementChild.getBoundingClientRect(); return [e.top, e.height]")
        assert box[0] < 120 and box[1] >= 80  # the element itself is on the first screen
        assert "EXEMPELDATA" in browser.find_element(By.TAG_NAME, "body").text
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

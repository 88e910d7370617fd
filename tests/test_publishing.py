"""Publishing a package version with another set of areas while pages are open:
the page notices, reloads its level data and says so, instead of painting arrays by position
against the areas it loaded before."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import ROOT, running_app, wait_for
from test_scale import publish

pytestmark = pytest.mark.browser
REMOVED = "24405"  # Skumparp: a delområde with six NYKO parts and no places


def without_area(dest, code: str):
    """A valid copy of the default package without one delområde (its NYKO parts and rows too)."""
    shutil.copytree(ROOT / "data" / "malmo", dest)
    nyko = json.loads((dest / "boundaries" / "nyko.geojson").read_text(encoding="utf-8"))
    parts = {f["properties"]["code"] for f in nyko["features"] if f["properties"].get("parent") == code}
    nyko["features"] = [f for f in nyko["features"] if f["properties"]["code"] not in parts]
    (dest / "boundaries" / "nyko.geojson").write_text(json.dumps(nyko, ensure_ascii=False), encoding="utf-8")
    delo = json.loads((dest / "boundaries" / "delomrade.geojson").read_text(encoding="utf-8"))
    delo["features"] = [f for f in delo["features"] if f["properties"]["code"] != code]
    (dest / "boundaries" / "delomrade.geojson").write_text(json.dumps(delo, ensure_ascii=False), encoding="utf-8")
    gone = parts | {code}
    for table in ("indicators.csv", "population.csv", "uvas.csv"):
        frame = pd.read_csv(dest / table, dtype=str, keep_default_na=False)
        frame[~frame["code"].isin(gone)].to_csv(dest / table, index=False)
    return dest


def test_a_page_open_during_a_publication_follows_the_new_areas(tmp_path, browser):
    v1 = tmp_path / "v1"
    shutil.copytree(ROOT / "data" / "malmo", v1)
    v2 = without_area(tmp_path / "v2", REMOVED)
    current = tmp_path / "current"
    publish(current, v1)
    with running_app({"MALMO_PACKAGE": str(current), "RELOAD_CHECK_S": "0.3"}) as url:
        browser.get(url + "/")
        wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length === 136", timeout=40)
        assert browser.execute_script(f"return window.malmoView.fill['{REMOVED}'] !== undefined")
        before = requests.get(url + "/healthz", timeout=10).json()["version"]
        publish(current, v2)
        wait_for(browser, f"return fetch('/healthz').then(r => r.json()).then(h => h.version !== '{before}')", timeout=60)
        handle = browser.find_element(By.CSS_SELECTOR, "#weight-ekonomiskt_bistand .rc-slider-handle")
        handle.click()
        for _ in range(10):
            handle.send_keys(Keys.ARROW_RIGHT)
        wait_for(browser, "return document.getElementById('data-updated').textContent.indexOf('uppdaterats') > 0", timeout=30)
        wait_for(browser, "return document.querySelectorAll('#ranking-table tbody tr').length === 135", timeout=30)
        wait_for(browser, f"return window.malmoView.fill['{REMOVED}'] === undefined", timeout=30)
        # the map holds the new areas only, and its colours are the new view model's
        drawn = browser.execute_script("return Object.entries(window.malmoLayers).filter(([c, l]) => l._map).map(([c]) => c)")
        assert REMOVED not in drawn and len([c for c in drawn if len(c) == 5]) == 135
        vm = browser.execute_script("return window.malmoLastView")
        assert len(vm["rank"]) == 135 and sorted(r for r in vm["rank"] if r) == list(range(1, 1 + len([r for r in vm["rank"] if r])))


def test_the_map_appears_when_the_first_geometry_request_fails(server, browser):
    """Before: one failed geometry request left the map empty for the whole session, with no word."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*api/geometry/*"]})
    try:
        browser.get(server + "/")
        wait_for(browser, "const e = document.getElementById('server-notice'); return e && !e.hidden", timeout=30)  # said in words
        assert browser.execute_script("return Object.values(window.malmoLayers).filter(l => l._map).length") == 0
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait_for(browser, "return Object.values(window.malmoLayers).filter(l => l._map).length === 136", timeout=30)
    wait_for(browser, "return document.getElementById('server-notice').hidden", timeout=20)
    wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length === 136")
    browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})

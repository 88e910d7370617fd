"""When the server is gone (restart, network), the page says so, and catches up when it is back."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from browser_support import ROOT, free_port, stop, wait_for

pytestmark = pytest.mark.browser


def start(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError("app.py did not start")


def test_the_page_says_when_the_server_is_gone_and_catches_up(browser, engine):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = start(port)
    try:
        browser.get(url)
        wait_for(browser, "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 5")
        assert browser.execute_script("return document.getElementById('server-notice').hidden")
        stop(proc)
        # a politician moves a slider while the server is restarting
        browser.execute_script("window.dash_clientside.set_props('weight-inte_behorig', {value: 100});"
                               "window.dash_clientside.set_props('weight-trangboddhet', {value: 0})")
        wait_for(browser, "return !document.getElementById('server-notice').hidden", timeout=20)
        assert "Servern svarar inte" in browser.execute_script("return document.getElementById('server-notice').innerText")
        proc = start(port)
        wait_for(browser, "return document.getElementById('server-notice').hidden", timeout=30)
        frame = engine.index({"inte_behorig": 100, "trangboddhet": 0, "ekonomiskt_bistand": 50, "lag_inkomststandard": 50}).frame()
        wait_for(browser, f"return document.querySelector('#ranking-table tbody .col-name').innerText === {frame['name'].iloc[0]!r}", timeout=30)
        names = browser.execute_script("return Array.from(document.querySelectorAll('#ranking-table tbody .col-name')).slice(0, 5).map(t => t.innerText)")
        assert names == list(frame["name"].head(5))  # caught up with the sliders as they are now, without a reload
    finally:
        stop(proc)

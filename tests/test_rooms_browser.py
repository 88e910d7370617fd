"""Rooms in real Chromium against the real app: the phone's page at 390 × 844 (no sideways scroll,
44 px targets, axe), a vote from one browser on the wall open in another, and the switches only the
facilitator's browser holds the key for."""
from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from browser_support import chromium, wait_for
from test_accessibility import AXE, axe_violations

pytestmark = pytest.mark.browser
WINDOW = (1500, 1100)


@pytest.fixture(scope="module")
def phone():
    driver = chromium(390, 844)
    yield driver
    driver.quit()


def open_as_facilitator(browser, server) -> str:
    """Open a room the way a facilitator does: the link beside the scenarios, then 'Öppna rummet'."""
    browser.get(server + "/rum?w=inte_behorig:80,trangboddhet:50,ekonomiskt_bistand:50,lag_inkomststandard:50&level=delomrade")
    browser.find_element(By.CSS_SELECTOR, "#room-open button").click()
    wait_for(browser, "return location.pathname.endsWith('/vagg') && document.body.dataset.version !== undefined", timeout=30)
    return browser.execute_script("return location.pathname.split('/')[2]")


def test_the_phone_page_fits_a_phone_and_passes_axe(server, phone):
    code = requests.post(server + "/api/rooms", json={"state": "?", "nicknames": True}, timeout=10).json()["code"]
    phone.get(server + f"/rum/{code}")
    wait_for(phone, "return document.getElementById('s-trangboddhet').textContent.length > 0")
    assert phone.title.startswith(f"Rum {code} – Vikta tillsammans")
    assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    small = phone.execute_script("""return Array.from(document.querySelectorAll('input, button, a')).filter(e => e.offsetParent)
        .map(e => [e.id || e.tagName, e.getBoundingClientRect().width, e.getBoundingClientRect().height]).filter(x => x[1] < 44 || x[2] < 44)""")
    assert small == []  # every target at least 44 × 44 px
    assert phone.find_element(By.ID, "s-inte_behorig").text == "väger 25 %"
    if AXE.exists():
        assert axe_violations(phone) == []
    phone.execute_script("const s = document.getElementById('w-trangboddhet'); s.value = 100; s.dispatchEvent(new Event('input'));")
    assert phone.find_element(By.ID, "s-trangboddhet").text == "väger 40 %"  # 100 of 250: the dashboard's own share rule
    phone.find_element(By.ID, "room-nickname").send_keys("Ada")
    phone.find_element(By.CSS_SELECTOR, "#room-vote button").click()
    wait_for(phone, "return !document.getElementById('room-yours').hidden && document.querySelectorAll('#room-own-list li').length === 11")
    assert "Tack" in phone.find_element(By.ID, "room-status").text
    assert phone.execute_script("return document.querySelector('#room-own-map img').naturalWidth > 0")
    if AXE.exists():
        assert axe_violations(phone) == []


def test_a_vote_from_a_phone_reaches_the_wall_and_only_the_key_runs_the_room(server, browser, phone):
    code = open_as_facilitator(browser, server)
    assert browser.find_element(By.ID, "room-count").text == "0 röster"
    assert browser.find_element(By.CSS_SELECTOR, "[data-action=freeze]").is_displayed()  # this browser holds the key
    phone.get(server + f"/rum/{code}")
    phone.execute_script("const s = document.getElementById('w-inte_behorig'); s.value = 100; s.dispatchEvent(new Event('input'));")
    phone.find_element(By.CSS_SELECTOR, "#room-vote button").click()
    wait_for(phone, "return document.querySelectorAll('#room-own-list li').length === 11")
    wait_for(browser, "return document.getElementById('room-count').textContent === '1 röster'", timeout=10)  # the wall asks every second
    wait_for(browser, "return document.querySelectorAll('#room-ranking tbody tr').length === 11")
    if AXE.exists():
        assert axe_violations(browser) == []  # the wall with a vote on it
    model = requests.get(server + f"/api/rooms/{code}", timeout=10).json()
    rows = browser.execute_script("return Array.from(document.querySelectorAll('#room-ranking tbody th')).map(th => th.textContent)")
    assert rows == [a["name"] for a in model["areas"]]  # the wall draws the server's model
    # another browser without the key sees the wall, but no switches
    other = chromium(1200, 900)
    try:
        other.get(server + f"/rum/{code}/vagg")
        wait_for(other, "return document.getElementById('room-count').textContent === '1 röster'")
        assert other.find_element(By.ID, "room-key-missing").is_displayed()
        assert not [b for b in other.find_elements(By.CSS_SELECTOR, "#room-controls .button") if b.is_displayed()]
    finally:
        other.quit()
    browser.find_element(By.CSS_SELECTOR, "[data-action=freeze]").click()
    wait_for(browser, "return document.getElementById('room-flags').textContent === 'Omröstningen är pausad.'")
    phone.find_element(By.CSS_SELECTOR, "#room-vote button").click()
    wait_for(phone, "return document.getElementById('room-status').textContent.indexOf('pausad') >= 0")
    browser.find_element(By.CSS_SELECTOR, "[data-action=unfreeze]").click()
    browser.find_element(By.CSS_SELECTOR, "[data-action=scenario]").click()
    wait_for(browser, "return document.getElementById('room-action-status').textContent.indexOf('Sparat som scenario') === 0")
    assert browser.find_element(By.ID, "room-compare").is_displayed()
    browser.execute_script("window.confirm = () => true;")
    browser.find_element(By.CSS_SELECTOR, "[data-action=reset]").click()
    wait_for(browser, "return document.getElementById('room-count').textContent === '0 röster'")

"""WCAG 2.1 AA, checked by axe-core (npm, installed by `make test`) in headless Chromium on every page
and embed view. Malmö stad is bound by DOS-lagen: axe must find nothing."""
from __future__ import annotations

import json
import time

import pytest

from browser_support import ROOT, wait_for

pytestmark = pytest.mark.browser
WINDOW = (1400, 1000)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DASHBOARD = "return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length > 5 && document.querySelectorAll('#cluster-list .cluster').length > 0"
PAGES = {
    "default": ("/", DASHBOARD),
    "area card open": ("/?area=48208", DASHBOARD + " && document.querySelector('#area-card h2')"),
    "GeSO": ("/?level=geso", DASHBOARD.replace("> 5", "=== 14")),
    "English": ("/?lang=en&area=25611", DASHBOARD),
    "embed map": ("/embed/map", "return document.querySelector('#embed-legend li')"),
    "embed ranking": ("/embed/ranking", "return document.querySelectorAll('#ranking-table tbody tr').length > 5"),
    "embed trend": ("/embed/trend", "return document.querySelectorAll('#embed-trend .legendtext').length > 3"),
    "embed clusters": ("/embed/clusters", "return document.querySelectorAll('#embed-clusters .cluster').length > 0"),
    "embed card": ("/embed/card?area=48208", "return document.querySelector('#embed-card h2')"),
    "accessibility statement": ("/tillganglighet", "return document.querySelector('h1')"),
    "scenarios panel open": ("/", DASHBOARD + " && (document.getElementById('scenarios').open = true) && document.querySelector('#my-scenarios li')"),
    "compare": ("/compare?b=w=inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:3,lag_inkomststandard:1",
                "return window.malmoPainted && document.querySelectorAll('#cmp-lists h3').length === 4 && document.querySelector('#cmp-slope .scatterlayer')"),
    "presentation": ("/?mode=present", DASHBOARD),
    "how sure, card, method panel": ("/?map=certainty&area=48208", DASHBOARD + " && document.querySelector('#area-card .card-certainty:not(.help)')"
                                     " && (document.getElementById('drivers-panel').open = true) && document.querySelector('.drivers-list')"),
    "hot spots and allocation": ("/?map=hotspots", DASHBOARD + " && document.querySelector('#map-legend li') && document.querySelector('.allocation-table')"),
}


def axe_violations(browser) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it stands."""
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {{runOnly: {{type: 'tag', values: {json.dumps(TAGS)}}}, resultTypes: ['violations']}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))).catch(e => done([{id: 'axe-error', help: String(e)}]));")


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `make test` (npm ci)")
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violations(server, browser, name):
    path, ready = PAGES[name]
    browser.get(server + path)
    wait_for(browser, ready, timeout=40)
    time.sleep(1.0)
    result = axe_violations(browser)
    assert result == [], json.dumps(result, ensure_ascii=False, indent=1)

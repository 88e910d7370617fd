"""Text from a data package is text everywhere: no markup runs in the browser, no formula in a spreadsheet."""
from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from hostile import AREA_NAMES, GESO_NAMES, LONG, PLACE, build_hostile_package
from layers.output.cells import neutralise, neutralise_frame
from layers.data.package import load_package

FORMULA = re.compile(r"^[=+\-@\t\r]")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return build_hostile_package(tmp_path_factory.mktemp("hostile") / "pkg")


def test_hostile_package_is_valid(hostile):
    pkg = load_package(hostile)
    assert pkg.boundaries["delomrade"].at["48208", "name"] == AREA_NAMES["48208"]


def test_neutralise():
    assert neutralise('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert [neutralise(v) for v in ("+1", "-1", "@x", "\tx", "ok", "")] == ["'+1", "'-1", "'@x", "'\tx", "ok", ""]
    assert neutralise(-0.5) == -0.5  # numbers stay numbers
    frame = neutralise_frame(pd.DataFrame({"=a": ["=b", "c"], "n": [-1.0, 2.0]}))
    assert list(frame.columns) == ["'=a", "n"] and list(frame["=a" if "=a" in frame else "'=a"]) == ["'=b", "c"]
    assert list(frame["n"]) == [-1.0, 2.0]


def read_csv_export(body: bytes, lang: str) -> tuple[list[str], pd.DataFrame]:
    text = body.decode("utf-8-sig")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    frame = pd.read_csv(io.StringIO(text), comment=None, skiprows=len(comments), sep=";" if lang == "sv" else ",",
                        dtype=str, keep_default_na=False)
    return comments, frame


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_csv_export_neutralises_formulas(hostile, lang):
    from dashboard.app import create_app
    client = create_app(str(hostile)).server.test_client()
    response = client.get(f"/api/export.csv?lang={lang}")
    assert response.status_code == 200
    _, frame = read_csv_export(response.data, lang)
    cells = [str(c) for c in frame.columns] + [c for c in frame.to_numpy().ravel().tolist() if isinstance(c, str)]
    text_cells = [c for c in cells if c and not re.fullmatch(r"-?[\d.,]+", c)]
    assert not [c for c in text_cells if FORMULA.match(c)], "a text cell starts like a formula"
    names = set(frame.iloc[:, 2])
    assert "'" + AREA_NAMES["48205"] in names and "'" + AREA_NAMES["11431"] in names and "'" + AREA_NAMES["36101"] in names
    assert "'" + AREA_NAMES["11319"] in names
    assert AREA_NAMES["48208"] in names and LONG in names and AREA_NAMES["25611"] in names  # text kept as it is
    assert any(c.startswith("'=Trångboddhet") for c in frame.columns)  # a column named from the manifest
    assert (frame.iloc[:, 0].str.fullmatch(r"\d*")).all()  # ranks stay numbers


def test_cli_csv_neutralises_formulas(hostile):
    from layers.cli import main
    import contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["index", "--package", str(hostile)]) == 0
    frame = pd.read_csv(io.StringIO(out.getvalue()), dtype=str)
    assert "'" + AREA_NAMES["48205"] in set(frame["name"])
    assert not frame["name"].str.match(FORMULA).any()


def test_geometry_served_with_names_as_data_only(hostile):
    from dashboard.app import create_app
    app = create_app(str(hostile))
    client = app.server.test_client()
    geo = json.loads(client.get(app.ctx.geometry_url("delomrade")).data)
    props = {f["properties"]["code"]: f["properties"] for f in geo["features"]}
    assert set(props["48208"]) == {"code", "name", "parent"} and props["48208"]["name"] == AREA_NAMES["48208"]


# --- in the browser --------------------------------------------------------------------------

ALERT_HOOK = "window.__alerts = []; window.alert = window.confirm = window.prompt = function (m) { window.__alerts.push(String(m)); };"
NORMALISE = "s => s.replace(/\\s+/g, ' ').trim()"


@pytest.fixture(scope="module")
def hostile_server(hostile):
    from browser_support import running_app
    with running_app({"MALMO_PACKAGE": str(hostile)}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from browser_support import chromium
    driver = chromium()
    # Record any dialog instead of opening it: an injected onerror=alert(…) shows up in __alerts.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ALERT_HOOK})
    yield driver
    driver.quit()


def injected(driver) -> dict:
    return driver.execute_script("""return {
        alerts: window.__alerts,
        img: document.querySelectorAll('img[src="x"], img[src$="/x"]').length,
        script: Array.from(document.querySelectorAll('script')).filter(s => s.type !== 'application/json' && s.textContent.indexOf('alert(2)') >= 0).length,
        bold: document.querySelectorAll('b[onmouseover], .leaflet-tooltip b, #ranking-table b').length};""")


def open_and_wait(driver, url, rows=1):
    from browser_support import wait_for
    driver.get(url)
    wait_for(driver, f"return window.malmoPainted && document.querySelectorAll('#ranking-table tbody tr').length >= {rows}")
    wait_for(driver, "return document.querySelectorAll('#cluster-list .cluster, #cluster-list p').length > 0")


@pytest.mark.browser
@pytest.mark.parametrize("query", ["/", "/?area=48208", "/?lang=en&area=48205", "/?level=geso&area=1", "/?level=nyko&area=4820801"])
def test_hostile_names_stay_text_in_every_view(hostile_server, browser, query):
    from browser_support import wait_for
    open_and_wait(browser, hostile_server + query)
    # every area labelled (zoomed in), every place's tooltip and popup opened, the chart drawn
    browser.execute_script("const l = Object.values(window.malmoLayers).find(l => l._map); l._map.setZoom(14, {animate: false});")
    wait_for(browser, "return document.querySelectorAll('.area-label').length >= 14")
    browser.execute_script("document.querySelectorAll('.leaflet-marker-icon').forEach(m => {"
                           " m.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); m.click(); });")
    wait_for(browser, "return document.querySelectorAll('#trend-chart .legendtext').length > 0")
    assert injected(browser) == {"alerts": [], "img": 0, "script": 0, "bold": 0}


@pytest.mark.browser
def test_hostile_names_show_literally(hostile_server, browser):
    from browser_support import wait_for
    open_and_wait(browser, hostile_server + "/?area=48208", rows=100)
    text = lambda js: browser.execute_script(f"const n = {NORMALISE}; return {js};")  # noqa: E731
    for code, name in AREA_NAMES.items():
        shown = text(f"n(document.querySelector('#ranking-table button[data-code=\"{code}\"]').textContent)")
        assert shown == " ".join(name.split()), code
    assert text("document.querySelector('#area-card h2').textContent") == AREA_NAMES["48208"]
    # the cluster named after the hostile top area: in the list, on the map label and in the chart legend
    cluster = AREA_NAMES["48208"] + " m.fl."
    assert cluster in text("Array.from(document.querySelectorAll('#cluster-list h3')).map(h => h.textContent)")
    wait_for(browser, f"return Array.from(document.querySelectorAll('.area-label')).some(e => e.textContent === {cluster!r})")
    wait_for(browser, f"return Array.from(document.querySelectorAll('#trend-chart .legendtext')).some(e => e.textContent === {cluster!r})")
    # tooltips name every area literally once zoomed in
    browser.execute_script("const l = Object.values(window.malmoLayers).find(l => l._map); l._map.setZoom(14, {animate: false});")
    for code in ("48209", "48206", "25611", "11319"):  # (the highest of a cluster is labelled with the cluster name)
        wait_for(browser, f"const n = {NORMALISE}; return Array.from(document.querySelectorAll('.area-label'))"
                          f".some(e => n(e.textContent) === {' '.join(AREA_NAMES[code].split())!r})")
    # a place's tooltip and popup
    place = PLACE["lib-stadsbiblioteket"]
    found = None
    for i in range(browser.execute_script("return document.querySelectorAll('.leaflet-marker-icon.place-library').length")):
        browser.execute_script("document.querySelectorAll('.leaflet-marker-icon.place-library')[arguments[0]].click()", i)
        found = wait_for(browser, "const p = document.querySelector('.leaflet-popup-content'); return p && p.textContent")
        if place["name"] in found:
            break
        browser.execute_script("document.querySelector('.leaflet-popup-close-button').click()")
        wait_for(browser, "return !document.querySelector('.leaflet-popup-content')")
    assert found and place["address"] in found
    assert injected(browser)["alerts"] == []
    # GeSO names in the table
    open_and_wait(browser, hostile_server + "/?level=geso")
    wait_for(browser, f"return Array.from(document.querySelectorAll('.area-label')).some(e => e.textContent === {GESO_NAMES['1']!r})")
    assert injected(browser) == {"alerts": [], "img": 0, "script": 0, "bold": 0}


# --- a link's values are never echoed into an export (second review, item 6) --------------------

EVIL = ['%0A%3DHYPERLINK(%22http%3A%2F%2Fevil.example%2F%22)%0A', 'x,=HYPERLINK("http://evil.example/")',
        '%0D@SUM(1)', 'x;+cmd|"/c calc"!A1', '%E2%80%AE=1', '-2%2B3']
NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


def _formula_cells(body: bytes, lang: str) -> list[str]:
    import csv
    text = body.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text), delimiter=";" if lang == "sv" else ",") for c in row]
    return [c for c in cells if FORMULA.match(c) and not NUMBER.match(c)]


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("path", ["/api/export.csv", "/api/allocation.csv?budget=1000000&"])
def test_no_csv_cell_starts_a_formula_whatever_the_url(client, lang, path):
    joiner = "&" if "?" in path else "?"
    for evil in EVIL:
        for param in ("level", "lang", "w", "norm", "sort", "s", "area", "top", evil):
            query = f"{param}={evil}&lang={lang}" if param != "lang" else f"lang={evil}"
            response = client.get(path + joiner + query + (f"&lang={lang}" if param == "lang" else ""))
            assert response.status_code in (200, 400), (query, response.status_code)
            body = response.data
            assert not [bit for bit in (b"HYPERLINK(", b"evil.example", b'calc"', b"SUM(", b"\xe2\x80\xae") if bit in body], query
            if response.status_code == 200:
                assert not _formula_cells(body, lang), (query, _formula_cells(body, lang))
                assert all(line.startswith(("#", "\ufeff#")) or not line.startswith("#") for line in body.decode("utf-8-sig").splitlines())


def test_skipped_names_are_sanitised_and_values_not_echoed():
    from layers.view import safe_name
    assert safe_name("=HYPERLINK(\"x\")\n") == "HYPERLINKx"
    assert safe_name("a" * 40) == "a" * 24 + "…"
    assert safe_name("\u202e") == "?"


def test_frame_ancestors_apply_to_the_embeds_only(monkeypatch):
    """Before: every route carried FRAME_ANCESTORS, so an allowed origin could frame the whole dashboard
    with its scenario buttons."""
    from conftest import PACKAGE
    from dashboard.app import create_app
    monkeypatch.setenv("FRAME_ANCESTORS", "'self' https://intranat.example")
    client = create_app(str(PACKAGE)).server.test_client()

    def ancestors(path):
        policy = client.get(path).headers["Content-Security-Policy"]
        return next(p.strip() for p in policy.split(";") if "frame-ancestors" in p)
    assert ancestors("/embed/map") == "frame-ancestors 'self' https://intranat.example"
    assert ancestors("/embed/ranking?lang=en") == "frame-ancestors 'self' https://intranat.example"
    for path in ("/", "/compare", "/?mode=present", "/api/export.csv", "/tillganglighet", "/api/workshop"):
        assert ancestors(path) == "frame-ancestors 'self'", path


def test_fingerprinted_assets_are_kept_a_year_and_others_revalidated(client):
    import re
    page = client.get("/").data.decode()
    urls = re.findall(r'(?:src|href)="(/assets/[^"]+\?m=[^"]+)"', page)
    assert any(u.startswith("/assets/style.css?m=") for u in urls) and any(".js?m=" in u for u in urls), urls
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        assert "Content-Security-Policy" in answer.headers and answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" not in client.get("/assets/style.css").headers.get("Cache-Control", "")  # no fingerprint: asked again

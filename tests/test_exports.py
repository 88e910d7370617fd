"""Exports a politician can put in a committee paper: PNG, PDF, XLSX and GeoJSON (and the CSV), each
matching the engine for the given weights, labelled as demo data, and safe against formulas."""
from __future__ import annotations

import io
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from hostile import AREA_NAMES, build_hostile_package
from layers.index.classify import class_breaks, classes_of
from layers.output.viewmodel import COLOURS

WEIGHTS = {"inte_behorig": 3, "trangboddhet": 1, "ekonomiskt_bistand": 1, "lag_inkomststandard": 1}
QUERY = "?w=" + ",".join(f"{k}:{v}" for k, v in WEIGHTS.items())


@pytest.fixture(scope="module")
def expected(engine):
    return engine.index(WEIGHTS).frame()


def test_png_is_print_quality_and_shows_the_engines_map(client, expected, engine):
    response = client.get("/api/export.png" + QUERY)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert "DEMO" in response.headers["Content-Disposition"]
    image = Image.open(io.BytesIO(response.data))
    assert image.size[0] >= 2000
    info = image.info
    assert info["Disclaimer"].startswith("EXEMPELDATA") and "Trångboddhet 17 %" in info["Description"]
    top = [part.split(":") for part in info["Ranking"].split(";")]
    assert [code for _, code, _ in top[:11]] == list(expected["code"].head(11))
    np.testing.assert_allclose([float(i) for _, _, i in top[:11]], expected["index"].head(11), atol=1e-4)
    # the colours drawn are the engine's classes for these weights: every class colour is on the map
    result = engine.index(WEIGHTS)
    breaks = class_breaks(result.index, "quantiles", len(COLOURS))
    used = {COLOURS[-len(breaks):][k] for k in classes_of(result.index, breaks) if k >= 0}
    pixels = {"#%02x%02x%02x" % tuple(p) for p in np.asarray(image.convert("RGB").resize((image.size[0] // 2, image.size[1] // 2), Image.NEAREST)).reshape(-1, 3)}
    assert used <= pixels


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by `make test`")
def pdf_objects(data: bytes) -> bytes:
    """The PDF's objects as text, its compressed streams opened (what a reader of the structure sees)."""
    import re
    import zlib
    out = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(stream))
        except zlib.error:
            pass
    return b"\n".join(out)


def test_pdf_report_is_a4_tagged_with_the_ranking_and_the_demo_label(client, expected, tmp_path):
    response = client.get("/api/export.pdf" + QUERY)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "EXEMPELDATA" in text and "De 10 högsta områdena" in text and "De 15 högsta områdena" in text and "Hur räknas det?" in text and "Källor" in text
    for name in expected["name"].head(15):
        assert name in text, name
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    import re
    assert int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1)) <= 3 and "(A4)" in info
    # tagged (EN 301 549 clause 10, PDF/UA-1): a structure tree, the language, text alternatives for the map and the chart
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    objects = pdf_objects(response.data)
    assert b"/Lang (sv)" in objects and b"pdfuaid:part=\"1\"" in objects
    alts = [bytes.fromhex(a.decode()).decode("utf-16") for a in re.findall(rb"/Alt\s*<([0-9A-Fa-f]+)>", objects)]
    assert len(alts) == 2 and "Herrgården" in alts[0] and "UVAS" in alts[1], alts
    structure = subprocess.run(["pdfinfo", "-struct", str(pdf)], capture_output=True, text=True, check=True).stdout
    for tag in ("H1", "H2", "Table", "TH", "TD", "Figure", "L", "LI"):
        assert re.search(rf"^\s*{tag}\b", structure, re.M), tag
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png")
    assert page.size[1] > page.size[0]  # portrait
    from conftest import ROOT
    (ROOT / "screenshots").mkdir(exist_ok=True)
    shutil.copy(tmp_path / "page.png", ROOT / "screenshots" / "6-report-page-1.png")
    english = client.get("/api/export.pdf" + QUERY + "&lang=en")
    (tmp_path / "en.pdf").write_bytes(english.data)
    text_en = subprocess.run(["pdftotext", str(tmp_path / "en.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "DEMO DATA" in text_en and "The 15 highest areas" in text_en
    assert b"/Lang (en)" in pdf_objects(english.data)


@pytest.mark.parametrize("query", ["", "&lang=en", "&level=geso", "&level=nyko"])
def test_the_report_is_a_one_page_brief_at_9_pt_with_nothing_on_top_of_anything(client, query):
    """Page 1 is the whole brief (map and legend, top areas, clusters, UVAS with its projection, the
    method in two sentences, the sources, the demo label); page 2 the tables behind it. Read back:
    every character at least 9 pt, no word on another, no picture on a word or another picture, and
    each picture printed at the scale it was drawn (its own text at 9 pt and up)."""
    import pdfplumber
    data = client.get("/api/export.pdf" + QUERY + query).data
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 2
        page = pdf.pages[0]
        text = page.extract_text()
        en = "lang=en" in query
        for part in (["DEMO DATA", "highest areas", "UVAS", "How is it calculated?", "A cluster is", "Sources", "Weights:"] if en else
                     ["EXEMPELDATA", "högsta områdena", "UVAS", "Hur räknas det?", "Ett kluster är", "Källor", "Vikter:"]):
            assert part in text, part
        assert not any(words in text for words in ("Under Metod", "reglagen", "Klicka", "Under Method", "slider")), "on-screen instructions on paper"
        for p in pdf.pages:
            sizes = [round(c["size"], 2) for c in p.chars]
            assert min(sizes) >= 9, sorted(set(sizes))[:5]
            words = p.extract_words()
            boxes = [(w["x0"], w["top"], w["x1"], w["bottom"], w["text"]) for w in words]
            for img in p.images:
                dpi = img["srcsize"][0] / (img["width"] / 72)
                assert abs(dpi - 200) < 3, dpi  # printed at the size it was drawn
                boxes.append((img["x0"], img["top"], img["x1"], img["bottom"], "[picture]"))
            clashes = [(a[4], b[4]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                       if min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5]
            assert clashes == [], clashes[:5]
            assert all(b[2] <= p.width and b[3] <= p.height for b in boxes)


def test_the_uvas_picture_draws_the_projection_with_its_band_to_the_last_follow_up_year():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from layers.output.pictures import _chart
    projection = {"years": list(range(2025, 2036)), "share": [20.0] * 11, "lower": [18.0] * 11, "upper": [22.0] * 11, "band": True}
    tr = {"years": list(range(2015, 2025)), "follow_up": [2030, 2035], "axis": "Andel (%)", "follow_up_label": "Uppföljning {year}",
          "series": [("Alla kluster", "all_clusters", [21.0] * 10, "all"), ("Malmö", "reference", [10.0] * 10, "MALMO"),
                     ("Sverige", "reference", [7.0] * 10, "SE")]}
    fig, ax = plt.subplots()
    _chart(ax, tr, 9, {"all": projection, "SE": {**projection, "share": [6.0] * 11, "band": False}}, "projektion")
    lines = [line for line in ax.lines if line.get_xdata()[0] == 2024 and line.get_xdata()[-1] == 2035]  # from the last year observed
    assert len(lines) == 2 and len(ax.collections) == 1  # two projections, one band: where the view model asks for it
    # the dash itself (matplotlib calls every dash pattern '--'; the pattern is only kept privately)
    styles = {text.get_text(): str(line._unscaled_dash_pattern) for text, line in zip(ax.get_legend().get_texts(), ax.get_legend().get_lines())}
    assert len({styles["Malmö"], styles["Sverige"], styles["projektion"]}) == 3  # told apart by their dashes
    labels = [c for c in ax.texts if "2030" in c.get_text() or "2035" in c.get_text()]
    fig.canvas.draw()
    a, b = (label.get_window_extent() for label in labels)
    assert not a.overlaps(b) and all(box.y1 <= ax.get_window_extent().y1 for box in (a, b))
    plt.close(fig)


def test_map_labels_take_free_places_and_leave_out_what_does_not_fit():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from layers.output.pictures import place_labels
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    crowded = [(50, 50, f"Område nummer {k}") for k in range(12)] + [(5, 95, "I hörnet, långt namn som inte får plats")]
    drawn = place_labels(ax, crowded, 9)
    boxes = [note.get_window_extent() for note in ax.texts]
    assert drawn[:3] == [f"Område nummer {k}" for k in range(3)] and 3 <= len(drawn) < len(crowded)  # most important first
    assert len(boxes) == len(drawn)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    frame = ax.get_window_extent()
    assert all(b.x0 >= frame.x0 and b.x1 <= frame.x1 and b.y0 >= frame.y0 and b.y1 <= frame.y1 for b in boxes)
    plt.close(fig)


def test_xlsx_has_numbers_the_method_sheet_and_the_demo_note(client, expected):
    from openpyxl import load_workbook
    response = client.get("/api/export.xlsx" + QUERY)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content if hasattr(response, "content") else response.data))
    ranking, method = book.worksheets
    rows = list(ranking.iter_rows(values_only=True))
    assert rows[0][0].startswith("EXEMPELDATA")  # the demo note above the numbers, on the ranking's own sheet
    rows = rows[1:]
    header = rows[0]
    assert ranking.auto_filter.ref.startswith("A2:") and ranking.freeze_panes == "A3"
    assert ranking.column_dimensions["C"].width >= max(len(str(r[2])) for r in rows)  # the names are not cut
    assert header[:3] == ("Rang", "kod", "Område") and header[-1] == "Exempeldata"
    index_col = header.index("Index")
    assert [r[1] for r in rows[1:12]] == list(expected["code"].head(11))
    assert all(isinstance(r[index_col], float) for r in rows[1:12])  # numbers, not text
    np.testing.assert_allclose([r[index_col] for r in rows[1:12]], expected["index"].head(11), atol=1e-4)
    notes = [c[0] for c in method.iter_rows(values_only=True)]
    assert notes[0].startswith("EXEMPELDATA") and any(n.startswith("Vikter:") for n in notes) and any(n.startswith("Källor:") for n in notes)


def test_geojson_carries_the_index_and_the_demo_label(client, expected):
    data = json.loads(client.get("/api/export.geojson" + QUERY).data)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 136 and data["metadata"]["generated"] is True
    assert data["metadata"]["lines"][0].startswith("EXEMPELDATA")
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    for row in expected.head(11).itertuples():
        props = by_code[row.code]["properties"]
        assert props["rank"] == row.rank and props["index"] == round(row.index, 4) and props["generated"] is True
    assert by_code["48208"]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_xlsx_neutralises_formulas_from_the_data(tmp_path):
    from openpyxl import load_workbook
    from dashboard.app import create_app
    client = create_app(str(build_hostile_package(tmp_path / "pkg"))).server.test_client()
    book = load_workbook(io.BytesIO(client.get("/api/export.xlsx").data))
    names = [r[2] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]  # row 1 the header (a real package: no demo note)
    assert "'" + AREA_NAMES["48205"] in names and "'" + AREA_NAMES["11319"] in names and AREA_NAMES["48208"] in names
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert all(cell.data_type != "f" for row in book.worksheets[0].iter_rows() for cell in row)  # no formula cells at all


def test_unknown_export_format_is_a_404(client):
    assert client.get("/api/export.docx").status_code == 404


@pytest.mark.slow  # several seconds of processes or generated cases: in `make test`, not the developer's minute
def test_the_command_line_writes_the_apps_files_for_the_same_view(client, tmp_path):
    """`python -m layers export --format all` and /api/export.<format> are one registry over one view:
    the same bytes for CSV, GeoJSON and PNG, the same cells in XLSX, the same text in the PDF."""
    from openpyxl import load_workbook

    from cli_support import run_cli
    query = "?w=inte_behorig:3,trangboddhet:1&level=geso&lang=en&zz=1"  # with a skipped part: both headers name it
    done = run_cli("export", "--format", "all", "--output", str(tmp_path), query)
    assert done.returncode == 0, done.stderr
    assert "'zz'" in done.stderr
    files = {p.suffix[1:]: p for p in tmp_path.iterdir()}
    assert set(files) == {"csv", "xlsx", "geojson", "png", "pdf"}
    for fmt, path in files.items():
        app = client.get(f"/api/export.{fmt}{query}")
        assert app.status_code == 200, fmt
        assert app.headers["Content-Disposition"].endswith(f'filename="{path.name}"')
        mine = path.read_bytes()
        if fmt in ("csv", "geojson", "png"):
            assert mine == app.data, fmt
        elif fmt == "xlsx":
            def cells(data):
                book = load_workbook(io.BytesIO(data))
                return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
            assert cells(mine) == cells(app.data)
        elif shutil.which("pdftotext"):
            (tmp_path / "app.pdf").write_bytes(app.data)
            text = [subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True, check=True).stdout
                    for p in (path, tmp_path / "app.pdf")]
            assert text[0] == text[1] and "Herrgården" in text[0]


def test_the_command_line_writes_the_apps_allocation_csv(client, tmp_path):
    from cli_support import run_cli
    view, terms = "w=inte_behorig:2,trangboddhet:1&level=geso&lang=en", {"budget": "10000000", "rule": "children", "unit": "level", "floor": "0"}
    app = client.get("/api/allocation.csv?" + view + "&" + "&".join(f"{k}={v}" for k, v in terms.items()))
    assert app.status_code == 200
    done = run_cli("export", "--product", "allocation", "--output", str(tmp_path), *[a for k, v in terms.items() for a in (f"--{k}", v)], "?" + view)
    assert done.returncode == 0, done.stderr
    (path,) = tmp_path.iterdir()
    assert app.headers["Content-Disposition"].endswith(f'filename="{path.name}"') and path.read_bytes() == app.data
    assert run_cli("export", "--product", "allocation", "--budget", "0", "?" + view).returncode == 2


@pytest.mark.parametrize("lang, terms_line", [("sv", "# Fördela en budget: 10\u00a0000\u00a0000 kr · "), ("en", "# Allocate a budget: 10\u202f000\u202f000 SEK · ")])
def test_the_allocation_csv_says_its_terms_as_people_read_them_under_the_shared_header(client, lang, terms_line):
    text = client.get(f"/api/allocation.csv?w=inte_behorig:2,trangboddhet:1&lang={lang}&budget=10000000&floor=1000000").data.decode("utf-8-sig")
    lines = text.splitlines()
    terms = next(line for line in lines if line.startswith("# Fördela") or line.startswith("# Allocate"))
    assert terms.startswith(terms_line), terms
    assert ("Minst per insats: 1\u00a0000\u00a0000 kr" if lang == "sv" else "At least per effort: 1\u202f000\u202f000 SEK") in terms
    assert "(kr): " not in terms and "(SEK): " not in terms  # the unit once
    weights, scaling = ("Vikter: Inte behörig till yrkesprogram 67 %", "Skalning") if lang == "sv" else ("Weights: ", "Scaling")
    assert any(line.startswith("# " + weights) and scaling in line for line in lines)  # the shared header: weights, method
    assert any("Sources" in line or "Källor" in line for line in lines)

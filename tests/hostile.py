"""A copy of the default package whose texts are hostile: markup, formulas, quotes, entities, a long
name, right-to-left script, emoji and newlines. Valid as a package: names are free text."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LONG = "Långt namn " + "å" * 489  # 500 characters

AREA_NAMES = {
    "48208": "<img src=x onerror=alert(1)>",
    "48205": '=HYPERLINK("http://x","y")',
    "48209": "O'Brien \"citat\" &amp; <b>fet</b>",
    "48206": LONG,
    "36109": "مالمو אוגוסטנבורג 🏠👨‍👩‍👧",
    "25611": "Holma\nrad två",
    "11431": "+SUM(1,2)",
    "36101": "@Heleneholm",
    "11319": "-2+3",
}
GESO_NAMES = {"1": "<b onmouseover=alert(5)>Väster</b>"}
PLACE = {"lib-stadsbiblioteket": {"name": "<script>alert(2)</script>", "address": "<img src=x onerror=alert(3)>"}}
INDICATOR_LABEL = ("trangboddhet", "=Trångboddhet <img src=x onerror=alert(4)>")


def build_hostile_package(dest: Path) -> Path:
    shutil.copytree(ROOT / "data" / "malmo", dest)
    for level, names in (("delomrade", AREA_NAMES), ("geso", GESO_NAMES)):
        path = dest / "boundaries" / f"{level}.geojson"
        data = json.loads(path.read_text(encoding="utf-8"))
        for feature in data["features"]:
            code = feature["properties"]["code"]
            if code in names:
                feature["properties"]["name"] = names[code]
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    path = dest / "facilities.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.update(PLACE.get(row["id"], {}))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    manifest_path = dest / "datapackage.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for ind in manifest["indicators"]:
        if ind["key"] == INDICATOR_LABEL[0]:
            ind["labels"] = {"sv": INDICATOR_LABEL[1], "en": INDICATOR_LABEL[1]}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest

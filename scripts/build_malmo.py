"""Build the default data package `data/malmo/` from the real data in `../shared/data/`.

Real parts: GeSO and delområde boundaries (Malmö stad, CC0), GeSO membership, the places,
and the published index table. Then the demonstration data is generated
(`layers.data.demo.build`, checked by `layers.index.demo_promises`; also `python -m layers demo build`).

Usage: python scripts/build_malmo.py [--shared ../shared/data] [--out data/malmo]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.data import demo  # noqa: E402
from layers.index.demo_promises import build_and_check  # noqa: E402
from layers.data.geography import max_displacement_m, simplify_coverage, to_feature_collection  # noqa: E402

SIMPLIFY_TOLERANCE_M = 4.0
FACILITY_POSITION = {"coordinates": "coordinates", "delomrade": "area", "unknown": "unknown"}


def manifest() -> dict:
    return {
        "name": "malmo",
        "title": "Malmö: index för kraftsamlande insatser (standardpaket)",
        "search_example": "Sofielund",
        "description": "Real boundaries and places of Malmö with generated demonstration values where no public data exists.",
        "licenses": [{"name": "CC0-1.0", "title": "Malmö stad öppna data (gränser)", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "sources": [
            {"title": "Delområden och geografiska statistikområden, Malmö stad (CC0)", "applies_to": ["boundaries/geso.geojson", "boundaries/delomrade.geojson"]},
            {"title": "Stadskontoret, Malmö stad: PM Modell för kraftsamlande insatser (2024), tabell 2", "applies_to": ["published/pm2024_tabell2.csv"]},
            {"title": "malmo.se, SKR och stadens nämndhandlingar (platser, sammanställda för hand)", "applies_to": ["facilities.csv"]},
            {"title": "Genererade demonstrationsvärden (layers/data/demo.py), inte Malmös statistik", "applies_to": ["indicators.csv", "population.csv", "uvas.csv", "boundaries/nyko.geojson"]},
        ],
        "levels": [
            {"id": "geso", "labels": {"sv": "GeSO", "en": "GeSO"}, "path": "boundaries/geso.geojson", "parent": None, "generated": False},
            {"id": "delomrade", "labels": {"sv": "Delområde", "en": "District"}, "path": "boundaries/delomrade.geojson", "parent": "geso", "generated": False},
            {"id": "nyko", "labels": {"sv": "NYKO (demo)", "en": "NYKO (demo)"}, "path": "boundaries/nyko.geojson", "parent": "delomrade", "generated": True,
             "note": "Generated subdivision for demonstration; not Malmö's NYKO areas."},
        ],
        "index_level": "delomrade",
        "indicators": [
            {"key": "inte_behorig", "labels": {"sv": "Inte behörig till yrkesprogram", "en": "Not eligible for vocational programme"},
             "unit": "percent", "population": "year9_leavers", "year": 2022, "source": "SCB regiondatabasen", "suppress_below": None},
            {"key": "trangboddhet", "labels": {"sv": "Trångboddhet", "en": "Overcrowding"},
             "unit": "percent", "population": "0-18", "year": 2023, "source": "SCB mikrodata, Stadskontoret", "suppress_below": 1.0},
            {"key": "ekonomiskt_bistand", "labels": {"sv": "Ekonomiskt bistånd", "en": "Social assistance"},
             "unit": "percent", "population": "20-64", "year": 2022, "source": "SCB regiondatabasen", "suppress_below": 0.2},
            {"key": "lag_inkomststandard", "labels": {"sv": "Låg inkomststandard", "en": "Low income standard"},
             "unit": "percent", "population": "0-18", "year": 2022, "source": "SCB regiondatabasen", "suppress_below": 1.0},
        ],
        "disclosure": {"min_denominator": 10,
                       "note": "An area whose denominator is below min_denominator takes the value of its parent (GeSO)."},
        "reference_areas": [
            {"code": "MALMO", "labels": {"sv": "Malmö", "en": "Malmö"}},
            {"code": "SE", "labels": {"sv": "Sverige", "en": "Sweden"}},
        ],
        "facility_kinds": [
            {"id": "library", "labels": {"sv": "Bibliotek", "en": "Library"}},
            {"id": "familjecentral", "labels": {"sv": "Familjecentral", "en": "Family centre"}},
            {"id": "allaktivitetshus", "labels": {"sv": "Allaktivitetshus", "en": "All-activity house"}},
        ],
        "generated": {"levels": ["nyko"], "tables": ["indicators.csv", "population.csv", "uvas.csv"],
                      "generator": "python -m layers demo build", "seed": demo.SEED},
    }


def build_boundaries(shared: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    src = gpd.read_file(shared / "malmo_delomraden.geojson").set_index("code")
    membership = json.loads((shared / "geso_delomraden.json").read_text(encoding="utf-8"))
    geso_names = {str(g["code"]): g["name"] for g in membership["geso"]}
    by_name = {name: str(g["code"]) for g in membership["geso"] for name in g["delomraden"]}
    src["parent"] = src["name"].map(by_name)
    assert src["parent"].notna().all(), "every delområde belongs to a GeSO"
    assert (src["parent"] == src["geso"].astype(str)).all(), "membership file and boundary property agree"
    delomrade = simplify_coverage(src[["name", "parent", "geometry"]], SIMPLIFY_TOLERANCE_M)
    shift = max_displacement_m(src, delomrade)
    print(f"delområden: {len(delomrade)} areas, simplified with {SIMPLIFY_TOLERANCE_M} m tolerance, largest shift {shift:.1f} m")
    geso = gpd.GeoDataFrame(
        [{"code": code, "name": geso_names[code], "parent": None,
          "geometry": shapely.coverage_union_all(delomrade.geometry[delomrade["parent"] == code].values)}
         for code in sorted(geso_names, key=int)],
        crs=delomrade.crs).set_index("code")
    return geso, delomrade


def build_facilities(shared: Path, delomrade: gpd.GeoDataFrame) -> pd.DataFrame:
    src = pd.read_csv(shared / "malmo_facilities.csv", dtype=str, keep_default_na=False)
    code_of = {name: code for code, name in delomrade["name"].items()}
    rows = []
    for _, f in src.iterrows():
        position = FACILITY_POSITION[f["position"]]
        lat, lon, area = f["lat"], f["lon"], code_of.get(f["delomrade"], "")
        if f["delomrade"] and not area:
            raise SystemExit(f"facility {f['id']}: unknown delområde '{f['delomrade']}'")
        if position == "coordinates":
            point = shapely.Point(float(lon), float(lat))
            area = next(c for c, g in delomrade.geometry.items() if g.contains(point))
        elif position == "area":
            point = delomrade.geometry[area].representative_point()
            lon, lat = f"{point.x:.6f}", f"{point.y:.6f}"
        rows.append({"id": f["id"], "kind": f["kind"], "name": f["name"], "address": f["address"],
                     "lat": lat, "lon": lon, "position": position, "area_code": area,
                     "opened": f["opened"], "status": f["status"], "confidence": f["confidence"],
                     "source": f["source"], "generated": "false"})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "malmo")
    args = parser.parse_args(argv)
    out: Path = args.out
    (out / "boundaries").mkdir(parents=True, exist_ok=True)
    (out / "published").mkdir(exist_ok=True)
    geso, delomrade = build_boundaries(args.shared)
    for level, gdf in (("geso", geso), ("delomrade", delomrade)):
        fc = to_feature_collection(gdf, ["name", "parent"])
        (out / "boundaries" / f"{level}.geojson").write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    build_facilities(args.shared, delomrade).to_csv(out / "facilities.csv", index=False)
    shutil.copyfile(args.shared / "pm2024_tabell2.csv", out / "published" / "pm2024_tabell2.csv")
    (out / "datapackage.json").write_text(json.dumps(manifest(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    build_and_check(out)


if __name__ == "__main__":
    main()

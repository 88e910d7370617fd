"""A large generated package for benchmarks and scale tests: every delområde cut into cells."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.data.geography import METRIC_CRS, split_polygon, to_feature_collection
from layers.data.demo import INDICATOR_YEAR, KEYS, MAX_RAW, _write_csv


def synthetic_package(source: str | Path, dest: str | Path, parts_per_area: int = 44, seed: int = 7) -> Path:
    """A large package for benchmarks: every delområde of `source` cut into `parts_per_area` cells
    (136 × 44 ≈ 6 000), the cells being the index level, with generated smooth values."""
    source, dest = Path(source), Path(dest)
    rng = np.random.default_rng(seed)
    (dest / "boundaries").mkdir(parents=True, exist_ok=True)
    manifest = json.loads((source / "datapackage.json").read_text(encoding="utf-8"))
    manifest["name"], manifest["title"] = "synthetic", "Generated benchmark package"
    manifest["levels"] = [lv for lv in manifest["levels"] if lv["id"] != "nyko"] + [
        {"id": "cell", "labels": {"sv": "Cell", "en": "Cell"}, "path": "boundaries/cell.geojson", "parent": "delomrade", "generated": True}]
    manifest["index_level"] = "cell"
    (dest / "datapackage.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    for level in ("geso", "delomrade"):
        (dest / "boundaries" / f"{level}.geojson").write_bytes((source / "boundaries" / f"{level}.geojson").read_bytes())
    areas = gpd.read_file(source / "boundaries" / "delomrade.geojson").set_index("code")
    metric = areas.to_crs(METRIC_CRS)
    rows = []
    for code, geom in metric.geometry.items():
        for n, piece in enumerate(split_polygon(geom, parts_per_area, rng), start=1):
            rows.append({"code": f"{code}{n:03d}", "name": f"{areas.at[code, 'name']} {n}", "parent": code, "geometry": piece})
    cells = gpd.GeoDataFrame(rows, crs=METRIC_CRS).set_index("code")
    fc = to_feature_collection(cells, ["name", "parent"])
    (dest / "boundaries" / "cell.geojson").write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    x = cells.geometry.centroid.x.to_numpy()
    y = cells.geometry.centroid.y.to_numpy()
    field = np.sin(x / 2500) * np.cos(y / 3100)  # smooth: neighbours resemble each other
    ind, pop = [], []
    for i, code in enumerate(cells.index):
        people = int(rng.integers(20, 200))
        pop += [(code, 2024, "total", people), (code, 2024, "0-18", people // 5)]
        for k in KEYS:
            value = float(np.clip(MAX_RAW[k] * (0.3 + 0.3 * field[i] + 0.1 * rng.standard_normal()), 0, 100))
            ind.append((code, INDICATOR_YEAR[k], k, round(value, 2), people // 4))
    _write_csv(pd.DataFrame(ind, columns=["code", "year", "indicator", "value", "denominator"]), dest / "indicators.csv")
    _write_csv(pd.DataFrame(pop, columns=["code", "year", "age_group", "count"]), dest / "population.csv")
    _write_csv(pd.read_csv(source / "uvas.csv", dtype=str).query("code in ['MALMO', 'SE']").drop(columns="generated"), dest / "uvas.csv")
    (dest / "facilities.csv").write_bytes((source / "facilities.csv").read_bytes())
    return dest

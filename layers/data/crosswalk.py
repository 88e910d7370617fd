"""An SCB indicator estimated for another set of areas (Malmö's delområden) from SCB's DeSO:
`python -m layers crosswalk --source data/scb-1280-deso --indicator lag_ekonomisk_standard
 --target data/malmo --as lag_inkomststandard --into data/malmo-scb`.

The estimate is areal interpolation with PySAL's `tobler` (`area_interpolate`), done on counts and
not on shares: each DeSO's numerator (the people the share counts, value × denominator) and its
denominator are spread over the target areas in proportion to the overlapping area, summed, and the
target's share is their ratio. So a DeSO with many children weighs more in the delområde's share
than one with few: a population-weighted share, under the assumption that people are spread evenly
within each DeSO (the method's known limit; a dasymetric estimate needs a population grid).

A target area covered by the source areas for less than MIN_COVERAGE of its surface gets no value.
The rows are real data, not generated, but estimated: the indicator's source says "uppskattat från
DeSO" wherever the source is shown (the card, Källor, the exports), its manifest entry carries
`estimated` (method, source package, coverage), and `provenance/crosswalk-<key>.json` says it all.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from layers.data.geography import METRIC_CRS
from layers.data.manifest import IDENTIFIER, MANIFEST
from layers.errors import EngineError

MIN_COVERAGE = 0.5  # of a target area's surface that the source areas must cover for an estimate


def interpolate_shares(source, target, values: pd.Series, denominators: pd.Series) -> pd.DataFrame:
    """Per target area: the estimated share (percent), its denominator and the covered share of its
    surface. `source` and `target` are GeoDataFrames indexed by code; `values` (percent) and
    `denominators` (persons) are per source code."""
    from tobler.area_weighted import area_interpolate

    src = source.to_crs(METRIC_CRS)[["geometry"]].join(pd.DataFrame({"value": values, "den": denominators}), how="inner").dropna()
    src["num"] = src["value"] * src["den"] / 100.0
    tgt = target.to_crs(METRIC_CRS)[["geometry"]]
    # allocate_total=False: a target gets a source's people in proportion to the part of the source it
    # covers. tobler's default (True) hands all of a source's people to the targets that touch it, so a
    # DeSO reaching over water or past the city would put everyone in the part that is covered.
    est = area_interpolate(source_df=src, target_df=tgt, extensive_variables=["num", "den"], allocate_total=False)
    est.index = tgt.index
    covered = area_interpolate(source_df=src.assign(area=src.geometry.area), target_df=tgt, extensive_variables=["area"],
                               allocate_total=False)
    coverage = covered["area"].to_numpy() / tgt.geometry.area.to_numpy()
    share = np.where(est["den"].to_numpy() > 0, 100.0 * est["num"].to_numpy() / np.maximum(est["den"].to_numpy(), 1e-12), np.nan)
    out = pd.DataFrame({"value": share, "denominator": est["den"].to_numpy(), "coverage": np.clip(coverage, 0, 1)}, index=tgt.index)
    out.loc[out["coverage"] < MIN_COVERAGE, ["value", "denominator"]] = np.nan
    return out


def crosswalk(source_path: Path, key: str, target_path: Path, into: Path, as_key: str | None = None,
              replace: bool = False) -> dict:
    """Write a copy of the target package in which `as_key` (default `key`) at its index level is the
    source indicator estimated from the source package's index level; validate it; report."""
    from layers.data.package import building, check_target, load_package

    source, target = load_package(source_path), load_package(target_path)
    as_key = as_key or key
    if key not in source.manifest.indicator_keys:
        raise EngineError(f"--indicator {key}: not in {source_path} ({', '.join(source.manifest.indicator_keys)})")
    if not IDENTIFIER.fullmatch(as_key):
        raise EngineError(f"--as {as_key!r}: a lower-case letter followed by lower-case letters, digits or '_'")
    check_target(into, replace)
    src_level, tgt_level = source.manifest.index_level, target.manifest.index_level
    ind = next(i for i in source.manifest.indicators if i.key == key)
    rows = source.indicators[(source.indicators["indicator"] == key) & (source.indicators["year"] == ind.year)
                             & source.indicators["code"].isin(source.boundaries[src_level].index)].set_index("code")
    if rows["denominator"].isna().any():
        raise EngineError(f"{source_path}: {key} has areas without a denominator; counts are needed to weigh the estimate")
    est = interpolate_shares(source.boundaries[src_level], target.boundaries[tgt_level], rows["value"].astype(float),
                             rows["denominator"].astype(float))
    estimated = est.dropna(subset=["value"])
    if estimated.empty:
        raise EngineError(f"no area of {target_path} ({tgt_level}) is covered by {source_path}'s {src_level} for at least "
                          f"{MIN_COVERAGE:.0%} of its surface: are they the same municipality?")
    with building(into, replace) as work:  # validated whole, then moved in; nothing is left on an error
        shutil.copytree(target.path, work, dirs_exist_ok=True)
        table = pd.read_csv(work / "indicators.csv", dtype=str, keep_default_na=False)
        tgt_codes = set(target.boundaries[tgt_level].index)
        table = table[~((table["indicator"] == as_key) & table["code"].isin(tgt_codes))]
        new = pd.DataFrame({"code": estimated.index, "year": ind.year, "indicator": as_key,
                            "value": estimated["value"].round(2).to_numpy(),
                            "denominator": estimated["denominator"].round().astype(int).to_numpy(), "generated": "false"})
        pd.concat([table, new.astype(str)]).to_csv(work / "indicators.csv", index=False, lineterminator="\n")
        manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
        src_raw = next(i for i in source.manifest.raw["indicators"] if i["key"] == key)
        level_sv = source.manifest.level(src_level).labels["sv"]
        method = {"method": "areal interpolation of counts (tobler.area_weighted.area_interpolate, allocate_total=False), "
                            "share = Σ numerator / Σ denominator",
                  "from": f"{source.manifest.name} ({src_level})", "indicator": key, "min_coverage": MIN_COVERAGE,
                  "areas": int(len(estimated)), "without": int(len(est) - len(estimated)),
                  "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        entry = {"key": as_key, "labels": {lang: f"{text} (uppskattad från {level_sv})" if lang == "sv" else f"{text} (estimated from {level_sv})"
                                           for lang, text in src_raw["labels"].items()},
                 "unit": "percent", "population": src_raw.get("population", ""), "year": ind.year,
                 "source": f"{ind.source}, uppskattat från {level_sv}", "licence": src_raw.get("licence", ""),
                 "suppress_below": None, "estimated": method}
        found = [i for i, x in enumerate(manifest["indicators"]) if x.get("key") == as_key]
        if found:
            manifest["indicators"][found[0]] = entry
        else:
            manifest["indicators"].append(entry)
        manifest.setdefault("sources", []).append({"title": f"{ind.source}, uppskattat från {level_sv} till {tgt_level} "
                                                            "(arealviktad interpolation, tobler)", "applies_to": ["indicators.csv"]})
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (work / "provenance").mkdir(exist_ok=True)
        (work / "provenance" / f"crosswalk-{as_key}.json").write_text(json.dumps(
            {**method, "source_package": str(source.path), "source": ind.source, "coverage": est["coverage"].round(3).to_dict()},
            ensure_ascii=False, indent=2), encoding="utf-8")
    return {"areas": len(estimated), "without": len(est) - len(estimated), "level": tgt_level, "key": as_key,
            "median_coverage": float(est["coverage"].median())}

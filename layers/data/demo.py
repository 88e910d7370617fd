"""Demonstration data for the default Malmö package: generated, seeded, reproducible.

Only the published table (11 delområden, scaled values) and the boundaries are real. Every
value this module writes is marked `generated=true`. The generator is built so that the
published method reproduces the published table exactly and the published grouping comes out
of the cluster rule; `check(pkg)` lists any promise the data does not keep.

    python -m layers demo build [--package data/malmo]
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.index.defaults import DEFAULT_MIN_SHARED_M
from layers.data.geography import METRIC_CRS, shared_border_lengths, split_polygon, to_feature_collection

SEED = 2024
KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]
# Highest raw value (percent) of each indicator: the area with scaled value 1.00 holds it.
MAX_RAW = {"inte_behorig": 52.0, "trangboddhet": 68.0, "ekonomiskt_bistand": 26.0, "lag_inkomststandard": 61.0}
PROFILE = {"inte_behorig": 1.0, "trangboddhet": 1.15, "ekonomiskt_bistand": 0.85, "lag_inkomststandard": 1.05}
DENOMINATOR = {"inte_behorig": ("year9", 2022), "trangboddhet": ("0-18", 2023),
               "ekonomiskt_bistand": ("20-64", 2022), "lag_inkomststandard": ("0-18", 2022)}
INDICATOR_YEAR = {k: y for k, (_, y) in DENOMINATOR.items()}
CITY_POPULATION = 362_000
# No residents at all: no values (parks, a cemetery, harbours without housing).
EMPTY = {"Östra Kyrkogården", "Kroksbäcksparken", "Pildammsparken", "Ribersborgsstranden", "Oljehamnen", "Norra Hamnen"}
# A handful of residents: the small-area rule replaces their values with the GeSO's.
SPARSE = {"Frihamnen", "Inre Hamnen", "Mellersta Hamnen", "Östra Hamnen", "Spillepengen", "Sege Industriområde",
          "Sofielunds Industriområde", "Fosieby Industriområde", "Limhamns Hamnområde", "Allmänna Sjukhuset", "Svågertorp"}
# Not in the published top rows but in the published group 3; it holds låg inkomststandard's maximum.
ENCLOSED = "Kryddgården"
ENCLOSED_SCALED = {"inte_behorig": 0.38, "trangboddhet": 0.50, "ekonomiskt_bistand": 0.45, "lag_inkomststandard": 1.0}
PUBLISHED_GROUPS = [
    ["Augustenborg", "Heleneholm", "Södra Sofielund"],
    ["Gullviksborg", "Hermodsdal"],
    ["Herrgården", "Kryddgården", "Persborg", "Törnrosen", "Örtagården"],
    ["Holma"],
    ["Katrinelund"],
]
CAP_NEAR_SELECTION = 0.50  # below the default extend threshold (0.55)
CAP_ELSEWHERE = 0.58  # below the lowest published index (0.62)
# UVAS share of 16–29-year-olds, percent. Anchored on the published 2023 facts (Malmö ≈ 9.5, Sweden ≈ 6.8);
# the other years are a generated shape, not statistics.
UVAS_YEARS = list(range(2012, 2025))
UVAS_MALMO = [12.1, 11.8, 11.4, 11.1, 10.9, 10.6, 10.2, 9.9, 10.7, 10.3, 9.7, 9.5, 9.4]
UVAS_SE = [8.1, 8.0, 7.8, 7.6, 7.5, 7.3, 7.1, 6.9, 7.5, 7.2, 6.9, 6.8, 6.8]
UVAS_20_24_FACTOR = 1.25


def published_targets(table: pd.DataFrame) -> pd.DataFrame:
    """Scaled values for the published rows, nudged within rounding so their index falls between
    the printed index and the mean of the printed values: same order, each within ±0.005."""
    out = table.set_index("delomrade")[KEYS].astype(float).copy()
    printed = table.set_index("delomrade")["index"].astype(float)
    target = (out.mean(axis=1) + printed) / 2
    for name, row in out.iterrows():
        free = [k for k in KEYS if row[k] < 1.0]
        shift = (target[name] - row.mean()) * len(KEYS) / len(free)
        assert abs(shift) < 0.005, (name, shift)
        out.loc[name, free] = row[free] + shift
    return out


def _neighbour_lists(areas: gpd.GeoDataFrame, min_shared_m: float = DEFAULT_MIN_SHARED_M) -> dict[str, list[str]]:
    pairs = shared_border_lengths(areas)
    pairs = pairs[pairs["length_m"] >= min_shared_m]
    nb: dict[str, list[str]] = {c: [] for c in areas.index}
    for a, b in zip(pairs["a"], pairs["b"]):
        nb[a].append(b)
        nb[b].append(a)
    return nb


def scaled_values(areas: gpd.GeoDataFrame, targets: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Scaled (0–1) value per delområde and indicator: published rows as printed, the rest a smooth field below them."""
    code_of = {n.upper(): c for c, n in areas["name"].items()}
    fixed = {code_of[name]: row for name, row in targets.iterrows()}
    enclosed = next(c for c, n in areas["name"].items() if n == ENCLOSED)
    fixed[enclosed] = pd.Series(ENCLOSED_SCALED)
    nb = _neighbour_lists(areas)
    codes = list(areas.index)
    noise = pd.Series(rng.gamma(2.0, 0.09, len(codes)), index=codes)
    latent = noise.copy()
    for code, row in fixed.items():
        latent[code] = row.mean()
    for _ in range(8):  # spatial smoothing: neighbours resemble each other
        smoothed = latent.copy()
        for code in codes:
            if code not in fixed and nb[code]:
                smoothed[code] = 0.4 * noise[code] + 0.6 * latent[nb[code]].mean()
        latent = smoothed
    near = {n for c in fixed for n in nb[c]} - set(fixed)
    out = pd.DataFrame(index=codes, columns=KEYS, dtype=float)
    for code in codes:
        if code in fixed:
            out.loc[code] = fixed[code][KEYS].to_numpy()
            continue
        s = np.clip(latent[code] * np.array([PROFILE[k] for k in KEYS]) * np.exp(0.25 * rng.standard_normal(4)) * 1.3 - 0.12, 0, 0.95)
        cap = CAP_NEAR_SELECTION if code in near else CAP_ELSEWHERE
        if s.mean() > cap:
            s *= cap / s.mean()
        out.loc[code] = s
    return out.assign(latent=latent)


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    raw = total * shares / shares.sum()
    base = np.floor(raw).astype(int)
    base[np.argsort(base - raw)[: total - base.sum()]] += 1
    return base


def populations(areas: gpd.GeoDataFrame, latent: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Wide table per delområde (2024): total, 0-18, 20-64, 16-29, 20-24 and year-9 leavers."""
    rows = {}
    kind = {c: "empty" if n in EMPTY else "sparse" if n in SPARSE else "residential" for c, n in areas["name"].items()}
    residential = [c for c in areas.index if kind[c] == "residential"]
    sizes = pd.Series(np.exp(rng.normal(np.log(3000), 0.55, len(residential))), index=residential)
    for code in areas.index:
        if kind[code] == "empty":
            rows[code] = dict.fromkeys(["total", "0-18", "20-64", "16-29", "20-24", "year9"], 0)
        elif kind[code] == "sparse":
            rows[code] = {"total": int(rng.integers(8, 70)), "0-18": int(rng.integers(0, 9)), "20-64": int(rng.integers(3, 10)),
                          "16-29": int(rng.integers(0, 9)), "20-24": int(rng.integers(0, 4)), "year9": int(rng.integers(0, 3))}
    sparse_total = sum(r["total"] for r in rows.values())
    sizes = sizes * (CITY_POPULATION - sparse_total) / sizes.sum()
    totals = _largest_remainder(CITY_POPULATION - sparse_total, sizes.to_numpy())
    for code, total in zip(residential, totals):
        x = latent[code]
        children = float(np.clip(0.15 + 0.22 * x + rng.normal(0, 0.02), 0.08, 0.36))
        working = float(np.clip(0.62 - 0.08 * x + rng.normal(0, 0.03), 0.45, 0.75))
        young = float(np.clip(0.15 + rng.normal(0, 0.025), 0.09, 0.30))
        rows[code] = {"total": int(total), "0-18": round(total * children), "20-64": round(total * working),
                      "16-29": round(total * young), "20-24": round(total * young * 0.38),
                      "year9": round(total * children / 19 * rng.uniform(0.85, 1.15))}
    return pd.DataFrame.from_dict(rows, orient="index")


def _population_rows(pop: pd.DataFrame) -> pd.DataFrame:
    """Long population table for 2022–2024 (earlier years 1.2 % smaller per year)."""
    out = []
    for year in (2022, 2023, 2024):
        factor = 1 - 0.012 * (2024 - year)
        for code, row in pop.iterrows():
            for group in ("total", "0-18", "20-64", "16-29", "20-24"):
                out.append((code, year, group, int(round(row[group] * factor))))
    return pd.DataFrame(out, columns=["code", "year", "age_group", "count"])


def _denominator(pop: pd.DataFrame, key: str) -> pd.Series:
    group, year = DENOMINATOR[key]
    return (pop[group] * (1 - 0.012 * (2024 - year))).round().astype(int)


def indicator_rows(scaled: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    out = []
    for code in scaled.index:
        if pop.at[code, "total"] == 0:
            continue  # nobody lives there: no statistics
        for key in KEYS:
            out.append((code, INDICATOR_YEAR[key], key, round(float(scaled.at[code, key]) * MAX_RAW[key], 2),
                        int(_denominator(pop, key)[code])))
    return pd.DataFrame(out, columns=["code", "year", "indicator", "value", "denominator"])


def uvas_rows(latent: pd.Series, pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """UVAS per delområde (16–29 and 20–24), calibrated so the city total is the Malmö series."""
    live = pop.index[pop["16-29"] >= 20]
    x = latent[live]
    relative = 0.45 + 2.0 * ((x - x.min()) / (x.max() - x.min())) ** 1.5
    out = []
    for group, factor in (("16-29", 1.0), ("20-24", UVAS_20_24_FACTOR)):
        for t, year in enumerate(UVAS_YEARS):
            people = (pop.loc[live, group] * (1 - 0.012 * (2024 - year))).round()
            share = relative * np.exp(0.06 * rng.standard_normal(len(live)))
            city = UVAS_MALMO[t] * factor
            share = share * city / (share * people).sum() * people.sum()
            counts = (share * people / 100).round()
            for code in live:
                if people[code] > 0:
                    out.append((code, year, group, round(100 * counts[code] / people[code], 2), int(counts[code])))
            out.append(("MALMO", year, group, round(100 * counts.sum() / people.sum(), 2), int(counts.sum())))
            out.append(("SE", year, group, round(UVAS_SE[t] * factor, 2), None))
    return pd.DataFrame(out, columns=["code", "year", "age_group", "share", "count"]).astype({"count": "Int64"})


def nyko_split(areas: gpd.GeoDataFrame, pop: pd.DataFrame, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, dict]:
    """Cut each delområde into 2–6 parts that tile it; return the parts and each part's share of its parent."""
    metric = areas.to_crs(METRIC_CRS)
    rows, shares = [], {}
    for code, geom in metric.geometry.items():
        parts = int(np.clip(round(pop.at[code, "total"] / 900), 2, 6))
        pieces = split_polygon(geom, parts, rng)
        pieces.sort(key=lambda p: (-round(p.centroid.y), round(p.centroid.x)))
        weights = rng.dirichlet(np.full(len(pieces), 4.0))
        for n, (piece, w) in enumerate(zip(pieces, weights), start=1):
            nyko = f"{code}{n:02d}"
            rows.append({"code": nyko, "name": f"{areas.at[code, 'name']} {n} (demo)", "parent": code, "geometry": piece})
            shares[nyko] = w
    gdf = gpd.GeoDataFrame(rows, crs=METRIC_CRS).set_index("code").to_crs("EPSG:4326")
    return gdf, shares


def nyko_tables(nyko: gpd.GeoDataFrame, shares: dict, pop_rows: pd.DataFrame, ind_rows: pd.DataFrame,
                rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Population and indicator rows for the NYKO parts: counts split so they add up to the delområde's."""
    children = nyko.groupby("parent").groups
    pop_out, ind_out = [], []
    for _, r in pop_rows.iterrows():
        kids = list(children[r["code"]])
        for kid, n in zip(kids, _largest_remainder(int(r["count"]), np.array([shares[k] for k in kids]))):
            pop_out.append((kid, r["year"], r["age_group"], int(n)))
    for _, r in ind_rows.iterrows():
        kids = list(children[r["code"]])
        dens = _largest_remainder(int(r["denominator"]), np.array([shares[k] for k in kids]))
        numerator = r["value"] * r["denominator"] / 100
        spread = dens * np.exp(0.2 * rng.standard_normal(len(kids)))
        nums = numerator * spread / spread.sum() if spread.sum() > 0 else np.zeros(len(kids))
        for kid, d, num in zip(kids, dens, nums):
            value = min(100.0, 100 * num / d) if d > 0 else 0.0
            ind_out.append((kid, r["year"], r["indicator"], round(value, 2), int(d)))
    return (pd.DataFrame(pop_out, columns=pop_rows.columns), pd.DataFrame(ind_out, columns=ind_rows.columns))


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.assign(generated="true").to_csv(path, index=False, lineterminator="\n")


def build(package: str | Path) -> None:
    """Write nyko.geojson, indicators.csv, population.csv and uvas.csv into the package, then check them."""
    root = Path(package)
    rng = np.random.default_rng(SEED)
    areas = gpd.read_file(root / "boundaries" / "delomrade.geojson").set_index("code")
    table = pd.read_csv(root / "published" / "pm2024_tabell2.csv")
    scaled = scaled_values(areas, published_targets(table), rng)
    pop = populations(areas, scaled["latent"], rng)
    pop_rows = _population_rows(pop)
    ind_rows = indicator_rows(scaled[KEYS], pop)
    uvas = uvas_rows(scaled["latent"], pop, rng)
    nyko, shares = nyko_split(areas, pop, rng)
    nyko_pop, nyko_ind = nyko_tables(nyko, shares, pop_rows, ind_rows, rng)
    fc = to_feature_collection(nyko, ["name", "parent"])
    (root / "boundaries" / "nyko.geojson").write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    _write_csv(pd.concat([ind_rows, nyko_ind]), root / "indicators.csv")
    _write_csv(pd.concat([pop_rows, nyko_pop]), root / "population.csv")
    _write_csv(uvas, root / "uvas.csv")
    print(f"demo data written to {root}: {len(ind_rows)} delområde and {len(nyko_ind)} NYKO indicator rows, "
          f"{len(nyko)} NYKO parts, {len(uvas)} UVAS rows; checked by layers/index/demo_promises.py")

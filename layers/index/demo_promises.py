"""What the demo data promises, checked on the package as the engine sees it (the published order and
scaled values, the published groups as clusters, a plausible Malmö, neighbours that resemble each
other). Outside layers/data: the data layer does not run the engine."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from layers.index.clusters import DEFAULT_MIN_SHARED_M
from layers.data.demo import KEYS, PUBLISHED_GROUPS, build
from layers.data.package import load_package


def build_and_check(root: str | Path) -> None:
    """Write the demo tables of `root` (layers/data/demo.py), then hold them to their promises."""
    build(root)
    problems = check(load_package(root))
    if problems:
        raise RuntimeError("generated data breaks its promises:\n" + "\n".join(problems))


def check(pkg) -> list[str]:
    """Every promise of the demo data that does not hold, in words (empty list = all hold)."""
    from layers.index.clusters import find_clusters
    from layers.index.engine import Engine, population_at

    problems = []
    engine = Engine(pkg)
    result = engine.index()
    frame = result.frame().set_index("code")
    table = pd.read_csv(pkg.path / "published" / "pm2024_tabell2.csv")
    by_upper = {n.upper(): c for c, n in frame["name"].items()}
    published = [by_upper[n] for n in table["delomrade"]]
    if list(frame.index[: len(published)]) != published:
        problems.append(f"published order not reproduced: {list(frame['name'][: len(published)])}")
    for _, row in table.iterrows():
        code = by_upper[row["delomrade"]]
        for key in KEYS + ["index"]:
            got = frame.at[code, "index" if key == "index" else f"scaled_{key}"]
            if abs(got - row[key]) > 0.005:
                problems.append(f"{row['delomrade']} {key}: {got:.4f} vs published {row[key]:.2f}")
    data = engine.level()
    for key in KEYS:
        values = data.values[key]
        if not (values == 0).any():
            problems.append(f"{key}: no area is 0")
    for key in KEYS:
        top = frame[f"scaled_{key}"].idxmax()
        if key == "lag_inkomststandard" and top in published:
            problems.append("låg inkomststandard's maximum lies in a published area")
    groups = sorted(sorted(c.member_names) for c in find_clusters(engine, result))
    if groups != sorted(sorted(g) for g in PUBLISHED_GROUPS):
        problems.append(f"clusters differ from the published groups: {groups}")
    total = population_at(pkg, "delomrade", "total").sum()
    if not 340_000 <= total <= 380_000:
        problems.append(f"population {total:.0f} is not a plausible Malmö")
    if not (data.flags == "parent").any().any():
        problems.append("no area takes its GeSO's value (small-area rule unused)")
    uvas = pkg.uvas[(pkg.uvas["age_group"] == "16-29") & (pkg.uvas["year"] == 2023)].set_index("code")["share"]
    if abs(uvas["MALMO"] - 9.5) > 0.05 or abs(uvas["SE"] - 6.8) > 0.05:
        problems.append(f"UVAS 2023: Malmö {uvas['MALMO']}, Sweden {uvas['SE']} (published ≈ 9.5 and 6.8)")
    highest = uvas.drop(["MALMO", "SE"]).max() / uvas["MALMO"]
    if not 2.5 <= highest <= 3.5:
        problems.append(f"highest area's UVAS is {highest:.1f} × the city's (published: up to about 3)")
    moran = morans_i(result.index, engine.neighbours())
    if moran < 0.3:
        problems.append(f"neighbours do not resemble each other (Moran's I {moran:.2f})")
    return problems


def morans_i(values: np.ndarray, pairs, min_shared_m: float = DEFAULT_MIN_SHARED_M) -> float:
    """Moran's I with binary symmetric weights (neighbours by shared border); NaN areas left out."""
    i, j, length = pairs
    ok = (length >= min_shared_m) & ~np.isnan(values[i]) & ~np.isnan(values[j])
    i, j = i[ok], j[ok]
    valid = ~np.isnan(values)
    z = values - np.nanmean(values)
    n, w_sum = valid.sum(), 2 * len(i)
    return float(n / w_sum * (2 * (z[i] * z[j]).sum()) / np.nansum(z[valid] ** 2))

"""UVAS towards 2030 and 2035: a simple, stated projection, not a forecast.

Model: an ordinary least-squares straight line through the last `window` years (default 10) of a
series, extended to the target year, with a 95 % *prediction* interval (Student's t with n − 2
degrees of freedom: ŷ ± t · s · √(1 + 1/n + (x₀ − x̄)² / Σ(x − x̄)²)). Shares are kept within 0–100.
It says where the line of the last ten years leads; it knows nothing about what will change.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

WINDOW = 10
LEVEL = 0.95


def gaps(series: list[dict], follow_up, reference: str = "SE") -> dict | None:
    """The gap to `reference` (Sweden) in each follow-up year, from the projected lines, for the
    lines that matter: the clusters together (or the one cluster there is) and the city. Positive:
    above the reference, in percentage points (1 decimal, as shown). None without a projection
    of the reference."""
    ref = next((s for s in series if s["id"] == reference), None)
    if not ref or not ref.get("projection"):
        return None
    clusters = [s for s in series if s["kind"] == "cluster"]
    main = next((s for s in series if s["kind"] == "all_clusters"), None) or (clusters[0] if len(clusters) == 1 else None)
    city = next((s for s in series if s["kind"] == "reference" and s["id"] != reference), None)

    def at(s, year):
        p = s["projection"]
        return p["share"][p["years"].index(year)] if year in p["years"] else None
    out = []
    for s in (main, city):
        if s and s.get("projection"):
            by_year = [[year, round(at(s, year) - at(ref, year), 1)] for year in follow_up
                       if at(s, year) is not None and at(ref, year) is not None]
            if by_year:
                out.append({"id": s["id"], "kind": s["kind"], "by_year": by_year})
    p = ref["projection"]
    return {"series": out, "fitted_from": p["fitted_from"], "fitted_to": p["fitted_to"]} if out else None


def project(years, shares, until: int = 2035, window: int = WINDOW, level: float = LEVEL) -> dict | None:
    """{years, share, lower, upper, slope (percentage points a year), fitted_from, fitted_to} for the
    years after the last observed one up to `until`; None with fewer than 3 observed years."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(shares, dtype=float)
    ok = np.isfinite(y)
    x, y = x[ok][-window:], y[ok][-window:]
    if len(x) < 3:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    n = len(x)
    s = np.sqrt((residuals ** 2).sum() / (n - 2))
    sxx = ((x - x.mean()) ** 2).sum()
    ahead = np.arange(int(x[-1]) + 1, until + 1)
    centre = intercept + slope * ahead
    half = stats.t.ppf(0.5 + level / 2, n - 2) * s * np.sqrt(1 + 1 / n + (ahead - x.mean()) ** 2 / sxx)
    return {"years": [int(a) for a in ahead], "share": np.clip(centre, 0, 100).round(2).tolist(),
            "lower": np.clip(centre - half, 0, 100).round(2).tolist(), "upper": np.clip(centre + half, 0, 100).round(2).tolist(),
            "slope": round(float(slope), 3), "fitted_from": int(x[0]), "fitted_to": int(x[-1]), "level": level}

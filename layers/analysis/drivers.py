"""What drives the index? The correlations of the scaled indicators and each indicator's *effective*
weight, after Paruolo, Saisana & Saltelli (2013), "Ratings and rankings: voodoo or science?".

Equal nominal weights do not give equal influence when indicators correlate or spread differently.
An indicator's influence is measured as its main effect (first-order sensitivity index) on the
index across the areas, S_i = Var(E[index | x_i]) / Var(index): the share of the index's variance
that x_i alone explains. E[index | x_i] is estimated by a cubic polynomial fit (a smooth
nonparametric curve; the paper uses penalised splines). The effective weights are the S_i scaled
to sum 1, and are compared with the nominal weights.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from layers.index.engine import Engine

DEGREE = 3
NOTABLE = 0.05  # an effective weight 5 points or more from the nominal one is said in words


def main_effect(x: np.ndarray, y: np.ndarray, degree: int = DEGREE) -> float:
    """S = Var(E[y|x]) / Var(y), E[y|x] a polynomial fit of `degree` (0 when x does not vary)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) <= degree + 1 or np.ptp(x) == 0 or np.var(y) == 0:
        return 0.0
    fitted = np.polyval(np.polyfit(x, y, degree), x)
    return float(min(1.0, np.var(fitted) / np.var(y)))


def method_report(engine: Engine, weights: dict[str, float] | None = None, level: str | None = None,
                  normalisation: str = "minmax", aggregation: str = "arithmetic") -> dict:
    """{correlation: indicator × indicator (Pearson, scaled values), indicators: [{key, nominal,
    main_effect, effective, difference, note}], differs}; `effective` and `nominal` sum to 1; `note` is
    "more"/"less" when the difference is at least NOTABLE."""
    result = engine.index(weights, level, normalisation, aggregation)
    scaled = pd.DataFrame(result.scaled, columns=result.keys)
    ok = ~np.isnan(result.index)
    correlation = scaled[ok].corr(method="pearson")
    effects = {k: main_effect(result.scaled[ok, j], result.index[ok]) if result.weights[k] > 0 else 0.0
               for j, k in enumerate(result.keys)}
    total = sum(effects.values()) or 1.0
    rows = [{"key": k, "nominal": round(result.weights[k], 4), "main_effect": round(effects[k], 4),
             "effective": round(effects[k] / total, 4), "difference": round(effects[k] / total - result.weights[k], 4)}
            for k in result.keys]
    for row in rows:  # more or less influence than its weight says, when the difference is notable
        row["note"] = None if abs(row["difference"]) < NOTABLE else ("more" if row["difference"] > 0 else "less")
    return {"level": result.level, "areas": int(ok.sum()), "normalisation": normalisation, "aggregation": aggregation,
            "correlation": {k: {m: round(float(v), 3) for m, v in row.items()} for k, row in correlation.to_dict().items()},
            "indicators": rows, "differs": any(r["note"] for r in rows)}

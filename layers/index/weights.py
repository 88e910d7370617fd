"""Indicator weights: parse, check and normalise to sum 1."""
from __future__ import annotations

import math

from layers.errors import EngineError
from layers.reading import not_finite, parse_decimal


def parse_weights(text: str, keys: list[str]) -> dict[str, float]:
    """Parse 'key=1,key2=0.5' (':' works too, as in URLs). Keys not named get weight 0.

    Raises EngineError with a plain message for an unknown key, a value that is not a
    number, a negative or infinite value, or weights that are all zero.
    """
    weights = {k: 0.0 for k in keys}
    for part in filter(None, (p.strip() for p in text.split(","))):
        sep = "=" if "=" in part else ":"
        key, _, value = part.partition(sep)
        key = key.strip()
        if key not in weights:
            raise EngineError(f"unknown indicator '{key}' in weights (known: {', '.join(keys)})")
        number = parse_decimal(value)
        if number is None and not not_finite(value):
            raise EngineError(f"weight for '{key}' must be a number, got '{value.strip()}'")
        weights[key] = float(value.strip().replace("\u2212", "-")) if number is None else number  # inf, nan: check_weights says so
    return check_weights(weights, keys)


def check_weights(weights: dict[str, float], keys: list[str]) -> dict[str, float]:
    """Return the weights for `keys` (missing ones 0) after checking each is a finite number ≥ 0."""
    out = {}
    for key in keys:
        value = weights.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise EngineError(f"weight for '{key}' must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise EngineError(f"weight for '{key}' must be a finite number ≥ 0, got {value}")
        out[key] = float(value)
    unknown = set(weights) - set(keys)
    if unknown:
        raise EngineError(f"unknown indicator(s) in weights: {', '.join(sorted(unknown))} (known: {', '.join(keys)})")
    if sum(out.values()) == 0:
        raise EngineError("all weights are zero: give at least one indicator a weight above 0")
    return out


def normalise_weights(weights: dict[str, float]) -> dict[str, float]:
    """Scale weights to sum 1 (weights already checked)."""
    total = sum(weights.values())
    return {k: v / total for k, v in weights.items()}

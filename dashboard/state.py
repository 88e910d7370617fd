"""The view state and its URL form: the query string is the state.

?w=inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1&level=delomrade
 &layers=library,familjecentral&area=48208&lang=sv&norm=minmax&agg=arithmetic&classes=quantiles
 &top=11&ext=0.55&minb=25

Anything that cannot be used is skipped and reported (never an error page).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from layers.classify import METHODS as CLASSIFICATIONS
from layers.viewmodel import Method
from layers.normalise import AGGREGATIONS, METHODS as NORMALISATIONS

from .texts import DEFAULT_LANGUAGE, LANGUAGES

DEFAULT_SLIDER = 50
SLIDER_MAX = 100


@dataclass(frozen=True)
class State:
    weights: dict[str, float]  # slider positions 0–100
    level: str
    layers: tuple[str, ...]
    area: str | None = None
    lang: str = DEFAULT_LANGUAGE
    method: Method = Method()


@dataclass
class Options:
    """What a valid state may contain, from the data package."""

    keys: list[str]
    levels: list[str]
    default_level: str
    kinds: list[str]
    area_codes: set[str] = field(default_factory=set)

    def default(self, lang: str = DEFAULT_LANGUAGE) -> State:
        return State({k: DEFAULT_SLIDER for k in self.keys}, self.default_level, tuple(self.kinds), lang=lang)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def slider_positions(weights: dict[str, float]) -> dict[str, float]:
    """Relative weights → slider positions: as given when they already fit 0–100 (and are not
    all ≤ 1), else scaled so the mean is 50 (and none is above 100). Shares are unchanged."""
    values = list(weights.values())
    top = max(values)
    if 1 < top <= SLIDER_MAX:
        return dict(weights)
    factor = DEFAULT_SLIDER / (sum(values) / len(values))
    if top * factor > SLIDER_MAX:
        factor = SLIDER_MAX / top
    return {k: round(v * factor, 1) for k, v in weights.items()}


def parse_query(args, options: Options) -> tuple[State, list[tuple[str, dict]]]:
    """State from query parameters (a mapping of str → str) and the list of skipped parts as
    (text key, values) for the notice."""
    skipped: list[tuple[str, dict]] = []
    lang = args.get("lang", DEFAULT_LANGUAGE)
    if lang not in LANGUAGES:
        skipped.append(("url_bad_value", {"name": "lang", "value": lang}))
        lang = DEFAULT_LANGUAGE
    state = options.default(lang)
    changes: dict = {}
    method: dict = {}

    if "w" in args:
        weights = dict(state.weights)
        for part in filter(None, (p.strip() for p in args["w"].split(","))):
            key, _, raw = part.partition(":") if ":" in part else part.partition("=")
            value = _number(raw)
            if key not in weights:
                skipped.append(("url_unknown_weight", {"key": key}))
            elif value is None or value < 0:
                skipped.append(("url_bad_weight", {"key": key, "value": raw}))
            else:
                weights[key] = value
        if sum(weights.values()) <= 0:
            skipped.append(("url_all_zero", {}))
        else:
            changes["weights"] = slider_positions(weights)

    def choice(param, allowed, attr, into):
        if param in args:
            if args[param] in allowed:
                into[attr] = args[param]
            else:
                skipped.append(("url_bad_value", {"name": param, "value": args[param]}))

    choice("level", options.levels, "level", changes)
    choice("norm", NORMALISATIONS, "normalisation", method)
    choice("agg", AGGREGATIONS, "aggregation", method)
    choice("classes", CLASSIFICATIONS, "classification", method)
    if "layers" in args:
        kinds = [k for k in args["layers"].split(",") if k]
        bad = [k for k in kinds if k not in options.kinds]
        if bad:
            skipped.append(("url_bad_value", {"name": "layers", "value": ",".join(bad)}))
        changes["layers"] = tuple(k for k in options.kinds if k in kinds)
    if "area" in args:
        if args["area"] in options.area_codes:
            changes["area"] = args["area"]
        else:
            skipped.append(("url_bad_value", {"name": "area", "value": args["area"]}))
    if "top" in args:
        value = _number(args["top"])
        if value is not None and value >= 1 and value == int(value):
            method["top_n"] = int(value)
        else:
            skipped.append(("url_bad_value", {"name": "top", "value": args["top"]}))
    for param, attr, low in (("ext", "extend_threshold", None), ("minb", "min_shared_m", 0)):
        if param in args:
            value = _number(args[param])
            if value is not None and (low is None or value >= low):
                method[attr] = value
            elif param == "ext" and args[param] in ("", "none"):
                method[attr] = None
            else:
                skipped.append(("url_bad_value", {"name": param, "value": args[param]}))
    return replace(state, **changes, method=replace(state.method, **method)), skipped


def to_query(state: State) -> str:
    """The query string (with '?') for a state."""
    def num(x):
        return f"{x:g}"
    params = {
        "w": ",".join(f"{k}:{num(v)}" for k, v in state.weights.items()),
        "level": state.level,
        "layers": ",".join(state.layers),
        "lang": state.lang,
        "norm": state.method.normalisation,
        "agg": state.method.aggregation,
        "classes": state.method.classification,
        "top": str(state.method.top_n),
        "ext": "none" if state.method.extend_threshold is None else num(state.method.extend_threshold),
        "minb": num(state.method.min_shared_m),
    }
    if state.area:
        params["area"] = state.area
    return "?" + urlencode(params, safe=":,")

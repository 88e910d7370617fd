"""The view state and its URL form: the query string is the state.

?w=inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1&level=delomrade
 &layers=library,familjecentral&area=48208&lang=sv&norm=minmax&agg=arithmetic&classes=quantiles
 &top=11&ext=0.55&minb=25

Anything that cannot be used is skipped and reported (never an error page).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from layers.classify import METHODS as CLASSIFICATIONS
from layers.trends import DEFAULT_AGE_GROUP
from layers.viewmodel import Method, ViewSettings
from layers.normalise import AGGREGATIONS, METHODS as NORMALISATIONS

from .texts import DEFAULT_LANGUAGE, LANGUAGES, TEXTS, t

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
    age_group: str = DEFAULT_AGE_GROUP  # of the UVAS chart
    sort: tuple[str, str] = ("rank", "asc")  # ranking table: column id, asc|desc
    mode: str = ""  # "present": the wall's presentation mode
    scenario_id: str = ""  # the saved scenario the link opened (?s=), if any; not part of the query
    map_mode: str = "index"  # what the map colours: index, certainty (p_top), hotspots, allocation


@dataclass
class Options:
    """What a valid state may contain, from the data package."""

    keys: list[str]
    levels: list[str]
    default_level: str
    kinds: list[str]
    area_codes: set[str] = field(default_factory=set)
    age_groups: list[str] = field(default_factory=lambda: [DEFAULT_AGE_GROUP])
    sort_columns: set[str] = field(default_factory=lambda: {"rank", "change", "name", "geso", "index"})

    def default(self, lang: str = DEFAULT_LANGUAGE) -> State:
        return State({k: DEFAULT_SLIDER for k in self.keys}, self.default_level, tuple(self.kinds), lang=lang)


# What a number in the state may be: URL parameter → (Method field, low, high, whole number).
# The method inputs in the page take their min/max from here too, and the callback checks with
# `check_number`: one rule for the URL, the page, the exports and every other reader of the state.
LIMITS: dict[str, tuple[str, float, float, bool]] = {
    "top": ("top_n", 1, 200, True),
    "ext": ("extend_threshold", 0, 10, False),
    "minb": ("min_shared_m", 0, 5000, False),
}
WEIGHT_RANGE = (1e-6, 1e6)  # a weight is 0 or within this (relative weights; shares are what count)
PARAMS = ("w", "level", "layers", "area", "lang", "norm", "agg", "classes", "age", "sort", "mode", "s", "map", *LIMITS)
MODES = ("present",)
MAP_MODES = ("index", "certainty", "hotspots", "allocation")
SCENARIO_PARAMS = tuple(p for p in PARAMS if p not in ("s", "mode", "lang"))  # what a saved scenario holds


NAME_SHOWN_MAX = 24


def safe_name(text: str) -> str:
    """A name a client sent (an unknown parameter or indicator), as it may be echoed in a notice or an
    export's header: letters, digits and '_' only, at most NAME_SHOWN_MAX of them. Values of unusable
    parameters are never echoed at all (a link could put a formula or a line break into a CSV)."""
    kept = "".join(c for c in str(text) if c.isascii() and (c.isalnum() or c == "_"))
    return (kept[:NAME_SHOWN_MAX] + "…") if len(kept) > NAME_SHOWN_MAX else (kept or "?")


def _number(text) -> float | None:
    try:
        value = float(str(text).replace(",", ".").strip())
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def check_number(param: str, value) -> tuple[float | int | None, tuple[str, dict] | None]:
    """(value, None) when `value` (text or number) is allowed for `param`, else (None, problem for the notice)."""
    attr, low, high, whole = LIMITS[param]
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else _number(value)
    if number is None or not math.isfinite(number) or not low <= number <= high or (whole and number != int(number)):
        return None, ("url_out_of_range", {"name": param, "low": low, "high": high})
    return (int(number) if whole else float(number)), None


def check_weight(key: str, value) -> tuple[float | None, tuple[str, dict] | None]:
    """A weight as given in a link or by a slider: 0, or a finite number within WEIGHT_RANGE."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else _number(value)
    if number is None or not (number == 0 or WEIGHT_RANGE[0] <= number <= WEIGHT_RANGE[1]):
        return None, ("url_bad_weight", {"key": key})
    return float(number), None


def single_values(args) -> tuple[dict[str, str], list[tuple[str, dict]]]:
    """One value per known parameter from query arguments (a werkzeug MultiDict, a dict of lists as
    from parse_qs, or a plain mapping), and the problems: unknown parameters, repeated ones (the
    first value is used)."""
    skipped: list[tuple[str, dict]] = []
    out: dict[str, str] = {}
    for key in args:
        values = args.getlist(key) if hasattr(args, "getlist") else args[key]
        values = [values] if isinstance(values, str) else list(values)
        if key not in PARAMS:
            skipped.append(("url_unknown_param", {"name": safe_name(key)}))
            continue
        if len(set(values)) > 1:
            skipped.append(("url_repeated", {"name": key}))
        if values:
            out[key] = values[0]
    return out, skipped


def slider_positions(weights: dict[str, float]) -> dict[str, float]:
    """Relative weights → slider positions: as given when they already fit 0–100 (and are not
    all ≤ 1; a link keeps its own numbers), else scaled so the mean is 50 (and none is above 100).
    Shares are unchanged (4 decimals)."""
    values = list(weights.values())
    top = max(values)
    if 1 < top <= SLIDER_MAX:
        return dict(weights)
    factor = DEFAULT_SLIDER / (sum(values) / len(values))
    if top * factor > SLIDER_MAX:
        factor = SLIDER_MAX / top
    return {k: round(v * factor, 4) for k, v in weights.items()}  # 4 decimals: the shares stay as given


def visible_positions(weights: dict[str, float]) -> dict[str, float]:
    """Slider positions that can be seen and moved: scaled so the mean is 50 when the largest is
    below 10 (a slider at 3 of 100 is hard to see), else as slider_positions. Shares are unchanged."""
    positions = slider_positions(weights)
    if max(positions.values()) >= 10:
        return positions
    factor = DEFAULT_SLIDER / (sum(positions.values()) / len(positions))
    factor = min(factor, SLIDER_MAX / max(positions.values()))
    return {k: round(v * factor, 4) for k, v in positions.items()}


def parse_query(args, options: Options, scenario=None) -> tuple[State, list[tuple[str, dict]]]:
    """State from query parameters and the list of skipped parts as (text key, values) for the notice.

    The one parser of the state: the page, the exports and the API call it. Anything that cannot be
    used is skipped and reported, never an error. `s=<id>` starts from a saved scenario's state
    (`scenario(id)` gives its query string, or None when there is none); the link's other
    parameters override it."""
    args, skipped = single_values(args)
    opened = ""
    if "s" in args:
        sid = args.pop("s")
        saved = scenario(sid) if scenario else None
        if saved is None:
            skipped.append(("url_unknown_scenario", {}))
        else:
            base, _ = single_values(parse_qs(saved.lstrip("?"), keep_blank_values=True))
            args = {**{k: v for k, v in base.items() if k in SCENARIO_PARAMS}, **args}
            opened = sid
    lang = args.get("lang", DEFAULT_LANGUAGE)
    if lang not in LANGUAGES:
        skipped.append(("url_bad_value", {"name": "lang"}))
        lang = DEFAULT_LANGUAGE
    state = options.default(lang)
    changes: dict = {}
    method: dict = {}

    if "w" in args:  # as on the command line: indicators not named get 0; one bad value rejects the whole weighting
        weights = {k: 0.0 for k in state.weights}
        bad = False
        for part in filter(None, (p.strip() for p in args["w"].split(","))):
            key, _, raw = part.partition(":") if ":" in part else part.partition("=")
            if key not in weights:
                skipped.append(("url_unknown_weight", {"key": safe_name(key)}))
                continue
            value, problem = check_weight(key, raw)
            if problem:
                skipped.append(problem)
                bad = True
            else:
                weights[key] = value
        positions = slider_positions(weights) if not bad and sum(weights.values()) > 0 else {}
        if not bad and not any(positions.values()):
            skipped.append(("url_all_zero", {}))
        elif not bad:
            changes["weights"] = positions

    def choice(param, allowed, attr, into):
        if param in args:
            if args[param] in allowed:
                into[attr] = args[param]
            else:
                skipped.append(("url_bad_value", {"name": param}))

    choice("level", options.levels, "level", changes)
    choice("mode", MODES, "mode", changes)
    choice("map", MAP_MODES, "map_mode", changes)
    choice("age", options.age_groups, "age_group", changes)
    if "sort" in args:
        column, _, direction = args["sort"].partition(":")
        if column in options.sort_columns and direction in ("asc", "desc"):
            changes["sort"] = (column, direction)
        else:
            skipped.append(("url_bad_value", {"name": "sort"}))
    choice("norm", NORMALISATIONS, "normalisation", method)
    choice("agg", AGGREGATIONS, "aggregation", method)
    choice("classes", CLASSIFICATIONS, "classification", method)
    if "layers" in args:
        kinds = [k for k in args["layers"].split(",") if k]
        bad = [k for k in kinds if k not in options.kinds]
        if bad:
            skipped.append(("url_bad_value", {"name": "layers"}))
        changes["layers"] = tuple(k for k in options.kinds if k in kinds)
    if "area" in args:
        if args["area"] in options.area_codes:
            changes["area"] = args["area"]
        else:
            skipped.append(("url_bad_value", {"name": "area"}))
    for param, (attr, _, _, _) in LIMITS.items():
        if param not in args:
            continue
        if param == "ext" and args[param] in ("", "none"):
            method[attr] = None  # no extension
            continue
        value, problem = check_number(param, args[param])
        if problem:
            skipped.append(problem)
        else:
            method[attr] = value
    return replace(state, **changes, scenario_id=opened, method=replace(state.method, **method)), skipped


def view_settings(state: State) -> ViewSettings:
    """What the engine needs from a state (the page's callback builds the same from its controls)."""
    return ViewSettings(tuple((k, float(w)) for k, w in state.weights.items()), state.level, state.method, state.age_group)


def skipped_text(lang: str, skipped: list[tuple[str, dict]], indicator_labels: dict[str, str]) -> str:
    """The skipped parts of a link in words, for the notice (page) and the export's header."""
    def words(key: str, values: dict) -> str:
        values = dict(values)
        if "name" in values and key != "url_unknown_param":
            values["name"] = t(lang, "param_" + values["name"]) if ("param_" + values["name"]) in TEXTS["sv"] else values["name"]
        if "key" in values:
            values["key"] = indicator_labels.get(values["key"], values["key"])
        for bound in ("low", "high"):
            if bound in values:
                values[bound] = f"{values[bound]:g}".replace(".", "," if lang == "sv" else ".")
        return t(lang, key, **values)
    return "; ".join(words(key, values) for key, values in skipped)


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
    if state.age_group != DEFAULT_AGE_GROUP:
        params["age"] = state.age_group
    if state.sort != ("rank", "asc"):
        params["sort"] = ":".join(state.sort)
    if state.mode:
        params["mode"] = state.mode
    if state.map_mode != "index":
        params["map"] = state.map_mode
    return "?" + urlencode(params, safe=":,")


def scenario_query(state: State) -> str:
    """What a saved scenario keeps of a state: everything but the language and the mode (it opens
    in the viewer's language, on any screen)."""
    return to_query(replace(state, lang=DEFAULT_LANGUAGE, mode="")).replace(f"&lang={DEFAULT_LANGUAGE}", "")

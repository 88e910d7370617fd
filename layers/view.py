"""The view: one declarative list of what a view of the index is made of (`FIELDS`), and everything
that reads or writes a view is generated from it.

A field has its URL key, its kind, its default, its limits or choices, the control that shows it in
the page (id and property; "{}" in the id means one control per item, as one slider per indicator),
whether a saved scenario keeps it, whether the view model depends on it (then it feeds the cache
key), and its command line option. From the list:

- `parse_query`: a URL's query → `State`, with the parts that could not be used (never an error);
- `to_query`: `State` → the query string (the URL format of every link and saved scenario);
- `to_store` / `from_store`: `State` ⇄ the controls' values, as the page's one `view` store holds
  them (the browser's `malmoFields.read` writes that store from the controls by id, generically);
- `spec_json`: the list for the browser (defaults and limits filled in from the data package);
- `add_cli_options` / `query_from_cli`: the command line's view options.

Adding a view parameter is one `Field` here and one text key (`param_<key>` in layers/output/texts.py).

?w=inte_behorig:1,trangboddhet:1,ekonomiskt_bistand:1,lag_inkomststandard:1&level=delomrade
 &layers=library,familjecentral&area=48208&lang=sv&norm=minmax&agg=arithmetic&classes=quantiles
 &top=11&ext=0.55&minb=25
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from layers.analysis.allocation import RULES as ALLOCATION_RULES
from layers.index.classify import METHODS as CLASSIFICATIONS
from layers.index.normalise import AGGREGATIONS, METHODS as NORMALISATIONS
from layers.reading import parse_decimal as parse_number
from layers.output.texts import DEFAULT_LANGUAGE, LANGUAGES, TEXTS, number, t
from layers.index.trends import DEFAULT_AGE_GROUP
from layers.output.viewmodel import Method, ViewSettings

DEFAULT_SLIDER = 50
SLIDER_MAX = 100
WEIGHT_RANGE = (1e-6, 1e6)  # a weight is 0 or within this (relative weights; shares are what count)
NAME_SHOWN_MAX = 24
SORT_COLUMNS = ("rank", "change", "name", "geso", "index")
MODES = ("present",)
MAP_MODES = ("index", "certainty", "hotspots", "allocation")
DEFAULT_METHOD = Method()


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
    alloc_rule: str = "need"  # how the allocation panel splits a budget


@dataclass
class Options:
    """What a valid state may contain, from the data package."""

    keys: list[str]
    levels: list[str]
    default_level: str
    kinds: list[str]
    area_codes: set[str] = field(default_factory=set)
    level_of: dict[str, str] = field(default_factory=dict)  # area code -> its level (empty: not checked)
    age_groups: list[str] = field(default_factory=lambda: [DEFAULT_AGE_GROUP])
    sort_columns: set[str] = field(default_factory=lambda: set(SORT_COLUMNS))

    def default(self, lang: str = DEFAULT_LANGUAGE) -> State:
        return State({k: DEFAULT_SLIDER for k in self.keys}, self.default_level, tuple(self.kinds), lang=lang)


@dataclass(frozen=True, eq=False)
class Field:
    key: str  # the URL parameter
    attr: str  # where it lives in a State ("method.top_n": in the State's Method)
    kind: str  # weights | choice | number | set | code | sort
    choices: tuple | str = ()  # allowed values, or the name of an Options attribute that lists them
    low: float = 0
    high: float = 0
    whole: bool = False  # numbers: whole numbers only
    none: str | None = None  # numbers: the word for "none" (an empty value means it too)
    control: tuple[str, str] | None = None  # (component id, property); "{}" in the id: one control per item
    scenario: bool = True  # kept in a saved scenario
    engine: bool = False  # the view model depends on it (part of its cache key)
    always: bool = False  # always written in the query, else only when it is not the default
    cli: str = ""  # the help text of its command line option (none without)
    option: str = ""  # the option's name when it is not the URL key

    @property
    def cli_option(self) -> str:
        return "--" + (self.option or self.key)


FIELDS: tuple[Field, ...] = (
    Field("w", "weights", "weights", choices="keys", control=("weight-{}", "value"), engine=True, always=True,
          cli="relative weights, e.g. inte_behorig:2,trangboddhet:1 (indicators not named get 0)", option="weights"),
    Field("level", "level", "choice", choices="levels", control=("level-select", "value"), engine=True, always=True,
          cli="area level"),
    Field("layers", "layers", "set", choices="kinds", control=("layer-{}", "value"), always=True),
    Field("lang", "lang", "choice", choices=LANGUAGES, scenario=False, always=True, cli="language of the texts"),
    Field("norm", "method.normalisation", "choice", choices=NORMALISATIONS, control=("normalisation-select", "value"),
          engine=True, always=True, cli="normalisation"),
    Field("agg", "method.aggregation", "choice", choices=AGGREGATIONS, control=("aggregation-select", "value"),
          engine=True, always=True, cli="aggregation"),
    Field("classes", "method.classification", "choice", choices=CLASSIFICATIONS, control=("classification-select", "value"),
          engine=True, always=True, cli="map classes"),
    Field("top", "method.top_n", "number", low=1, high=200, whole=True, control=("top-n-input", "value"), engine=True,
          always=True, cli="how many top areas make the clusters' core"),
    Field("ext", "method.extend_threshold", "number", low=0, high=10, none="none", control=("extend-input", "value"),
          engine=True, always=True, cli="index at which a neighbour joins a cluster ('none': no extension)"),
    Field("minb", "method.min_shared_m", "number", low=0, high=5000, control=("min-shared-input", "value"), engine=True,
          always=True, cli="metres of shared border that make neighbours"),
    Field("area", "area", "code", choices="area_codes", control=("selected-area", "data"), cli="the selected area's code"),
    Field("age", "age_group", "choice", choices="age_groups", control=("uvas-age", "value"), engine=True,
          cli="UVAS age group"),
    Field("sort", "sort", "sort", choices="sort_columns", control=("table-sort", "data"), cli="ranking order, e.g. index:desc"),
    Field("mode", "mode", "choice", choices=MODES, scenario=False),
    Field("map", "map_mode", "choice", choices=MAP_MODES, control=("map-mode", "value"), cli="what the map colours"),
    Field("rule", "alloc_rule", "choice", choices=ALLOCATION_RULES, control=("alloc-rule", "value"), cli="how the allocation splits a budget"),
)
BY_KEY = {f.key: f for f in FIELDS}
PARAMS = (*BY_KEY, "s")  # s=<id>: start from a saved scenario (not a field: it names one)
SCENARIO_PARAMS = tuple(f.key for f in FIELDS if f.scenario)
LIMITS: dict[str, tuple[str, float, float, bool]] = {
    f.key: (f.attr.split(".")[-1], f.low, f.high, f.whole) for f in FIELDS if f.kind == "number"}


# --- reading and writing one field ------------------------------------------------------------

def get(state: State, f: Field):
    owner, _, attr = f.attr.rpartition(".")
    return getattr(state.method if owner else state, attr)


def _set(state: State, values: dict[str, Any]) -> State:
    """`state` with the fields named by URL key set to `values`."""
    attrs = {BY_KEY[k].attr: v for k, v in values.items()}
    method = {a.split(".")[1]: v for a, v in attrs.items() if a.startswith("method.")}
    plain = {a: v for a, v in attrs.items() if not a.startswith("method.")}
    return replace(state, **plain, method=replace(state.method, **method))


def choices_of(f: Field, options: Options):
    return getattr(options, f.choices) if isinstance(f.choices, str) else f.choices


def default_of(f: Field, options: Options):
    return get(options.default(), f)


def num(x) -> str:
    """A number in a query: as short as it reads (6 significant digits)."""
    return f"{x:g}"


def control_text(x, lang: str) -> str:
    """A number as its text field shows it: as in a query, with the page's decimal mark ('0,55' in a
    Swedish page; the browser's malmoFields.controlText is the same rule, held equal by a test)."""
    if x is None:
        return ""
    text = num(x)
    return text.replace(".", ",") if lang == "sv" else text


def encode(f: Field, value) -> str:
    """A field's value (in a State, or as its control holds it) as its query text."""
    if f.kind == "weights":
        return ",".join(f"{k}:{num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v}" for k, v in value.items())
    if f.kind == "set":
        return ",".join(value)
    if f.kind == "sort":
        column, direction = (value["column"], value["direction"]) if isinstance(value, dict) else value
        return f"{column}:{direction}"
    if f.kind == "number":
        if value is None or value == "":  # a cleared field (a browser's NaN arrives as null)
            return f.none or ""
        return num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    return "" if value is None else str(value)


def safe_name(text: str) -> str:
    """A name a client sent (an unknown parameter or indicator), as it may be echoed in a notice or an
    export's header: letters, digits and '_' only, at most NAME_SHOWN_MAX of them. Values of unusable
    parameters are never echoed at all (a link could put a formula or a line break into a CSV)."""
    kept = "".join(c for c in str(text) if c.isascii() and (c.isalnum() or c == "_"))
    return (kept[:NAME_SHOWN_MAX] + "…") if len(kept) > NAME_SHOWN_MAX else (kept or "?")


def check_number(param: str, value) -> tuple[float | int | None, tuple[str, dict] | None]:
    """(value, None) when `value` (text or number) is allowed for `param`, else (None, problem for the notice)."""
    f = BY_KEY[param]
    number = None if isinstance(value, bool) else parse_number(value)
    if number is None or not f.low <= number <= f.high or (f.whole and number != int(number)):
        return None, ("url_out_of_range", {"name": param, "low": f.low, "high": f.high})
    return (int(number) if f.whole else float(number)), None


def check_weight(key: str, value) -> tuple[float | None, tuple[str, dict] | None]:
    """A weight as given in a link or by a slider: 0, or a finite number within WEIGHT_RANGE."""
    number = None if isinstance(value, bool) else parse_number(value)
    if number is None or not (number == 0 or WEIGHT_RANGE[0] <= number <= WEIGHT_RANGE[1]):
        return None, ("url_bad_weight", {"key": key})
    return float(number), None


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


def _decode(f: Field, raw: str, options: Options, skipped: list) -> tuple[bool, Any]:
    """(usable, value) of one field's query text; what cannot be used is added to `skipped`."""
    bad = ("url_bad_value", {"name": f.key})
    if f.kind == "weights":  # as on the command line: indicators not named get 0; one bad value rejects the whole weighting
        weights = {k: 0.0 for k in options.keys}
        broken = False
        for part in filter(None, (p.strip() for p in raw.split(","))):
            key, _, text = part.partition(":") if ":" in part else part.partition("=")
            if key not in weights:
                skipped.append(("url_unknown_weight", {"key": safe_name(key)}))
                continue
            value, problem = check_weight(key, text)
            if problem:
                skipped.append(problem)
                broken = True
            else:
                weights[key] = value
        if broken:
            return False, None
        if sum(weights.values()) <= 0:
            skipped.append(("url_all_zero", {}))
            return False, None
        return True, slider_positions(weights)
    if f.kind == "set":
        items = [k for k in raw.split(",") if k]
        allowed = choices_of(f, options)
        if any(k not in allowed for k in items):
            skipped.append(bad)
        return True, tuple(k for k in allowed if k in items)
    if f.kind == "sort":
        column, _, direction = raw.partition(":")
        if column in choices_of(f, options) and direction in ("asc", "desc"):
            return True, (column, direction)
        skipped.append(bad)
        return False, None
    if f.kind == "number":
        if f.none is not None and raw in ("", f.none):
            return True, None
        value, problem = check_number(f.key, raw)
        if problem:
            skipped.append(problem)
            return False, None
        return True, value
    if raw in choices_of(f, options):  # choice, code
        return True, raw
    skipped.append(bad)
    return False, None


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


def parse_query(args, options: Options, scenario=None) -> tuple[State, list[tuple[str, dict]]]:
    """State from query parameters and the list of skipped parts as (text key, values) for the notice.

    The one parser of the state: the page, the exports, the API, the CLI and the controls' store go
    through it. Anything that cannot be used is skipped and reported, never an error. `s=<id>`
    starts from a saved scenario's state (`scenario(id)` gives its query string, or None when there
    is none); the link's other parameters override it."""
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
    values = {}
    for f in FIELDS:
        if f.key in args:
            usable, value = _decode(f, args[f.key], options, skipped)
            if usable:
                values[f.key] = value
    area = values.get("area")
    if area and options.level_of and options.level_of.get(area) != values.get("level", options.default_level):
        values.pop("area")  # an area of another level than the link's: said, not dropped in silence
        skipped.append(("url_area_level", {}))
    lang = values.pop("lang", DEFAULT_LANGUAGE)
    return replace(_set(options.default(lang), values), scenario_id=opened), skipped


def query_args(state: State, fields=FIELDS) -> dict[str, str]:
    """The query's parameters of a state, in the URL's order: a field that is not `always` written
    only when it is not its default."""
    defaults = State({}, "", ())
    out = {}
    for f in fields:
        value = get(state, f)
        if f.always or value != get(defaults, f):
            out[f.key] = encode(f, value)
    return out


def to_query(state: State) -> str:
    """The query string (with '?') for a state."""
    return "?" + urlencode(query_args(state), safe=":,")


def scenario_query(state: State) -> str:
    """What a saved scenario keeps of a state: everything but the language and the mode (it opens
    in the viewer's language, on any screen)."""
    return "?" + urlencode(query_args(state, [f for f in FIELDS if f.scenario]), safe=":,")


def to_store(state: State, keys=None) -> dict:
    """A state as the page's controls hold it, by URL key (JSON): what the `view` store holds and
    what presentation mode sets the controls to."""
    out = {}
    for f in FIELDS:
        if keys is not None and f.key not in keys:
            continue
        value = get(state, f)
        if f.kind == "set":
            value = list(value)
        elif f.kind == "sort":
            value = {"column": value[0], "direction": value[1]}
        elif f.kind == "weights":
            value = visible_positions(value)
        out[f.key] = value
    return out


def to_controls(state: State, options: Options) -> dict[str, dict[str, Any]]:
    """What every control of the view shows for a state, by component id: {id: {property: value}}
    (one control per item where the id has "{}"). The page is built with it, and presentation
    mode sets the controls the same way (assets/malmo-core.js malmoFields.controls)."""
    store = to_store(state)
    out: dict[str, dict[str, Any]] = {}
    for f in FIELDS:
        if not f.control:
            continue
        id_, prop = f.control
        value = control_text(store[f.key], state.lang) if f.kind == "number" else store[f.key]  # a text field, in the page's language
        if "{}" not in id_:
            out[id_] = {prop: value}
            continue
        for item in choices_of(f, options):
            out[id_.replace("{}", item)] = {prop: value[item] if f.kind == "weights" else ([item] if item in value else [])}
    return out


def from_store(store, options: Options) -> tuple[State, list[tuple[str, dict]]]:
    """A state from the controls' values (the `view` store, as the browser writes it), checked by the
    one parser: the page's controls obey exactly the rules a link does."""
    if not isinstance(store, dict):
        return options.default(), [("url_bad_value", {"name": "view"})]
    args, skipped = {}, []
    for key, value in store.items():
        f = BY_KEY.get(key) if isinstance(key, str) else None
        if f is None:
            skipped.append(("url_unknown_param", {"name": safe_name(key)}))
            continue
        if f.kind in ("choice", "code") and value in (None, ""):  # a control that shows nothing: the default (no area chosen)
            continue
        try:
            if f.kind == "weights" and not isinstance(value, dict):
                raise TypeError
            if f.kind == "set" and not isinstance(value, list):
                raise TypeError
            args[key] = encode(f, value)
        except (TypeError, KeyError, ValueError, AttributeError):
            skipped.append(("url_bad_value", {"name": key}))
    if "w" in args and any(not isinstance(v, (int, float)) or isinstance(v, bool) for v in store["w"].values()):
        skipped.append(("url_bad_weight", {"key": next(k for k, v in store["w"].items()
                                                       if not isinstance(v, (int, float)) or isinstance(v, bool))}))
        args.pop("w")
    state, problems = parse_query(args, options)
    return state, skipped + problems


def view_settings(state: State) -> ViewSettings:
    """What the engine needs from a state."""
    return ViewSettings(tuple((k, float(w)) for k, w in state.weights.items()), state.level, state.method, state.age_group)


def default_settings(options: Options) -> ViewSettings:
    """The published choice: equal weights at the index level."""
    return view_settings(options.default())


def spec_json(options: Options, lang: str = DEFAULT_LANGUAGE, mode: str = "") -> dict:
    """The fields for the browser: how to read the controls into the `view` store and how to write a
    query from it (assets/malmo-core.js, `malmoFields`). The page's own language and mode are fixed."""
    fields = []
    for f in FIELDS:
        item = {"key": f.key, "kind": f.kind, "default": _jsonable(default_of(f, options), f), "always": f.always,
                "engine": f.engine, "scenario": f.scenario}
        if f.control:
            item["control"] = list(f.control)
        if "{}" in (f.control or ("",))[0]:
            item["items"] = list(choices_of(f, options))
        if f.kind == "number":
            item.update(low=f.low, high=f.high, whole=f.whole, none=f.none)
        fields.append(item)
    return {"fields": fields, "page": {"lang": lang, "mode": mode}}


def _jsonable(value, f: Field):
    if f.kind == "set":
        return list(value)
    if f.kind == "sort":
        return {"column": value[0], "direction": value[1]}
    return value


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
                values[bound] = number(values[bound], lang, group=False)
        return t(lang, key, **values)
    return "; ".join(words(key, values) for key, values in skipped)


# --- the command line ---------------------------------------------------------------------------

def add_cli_options(parser) -> None:
    """The view's options on a command (`python -m layers export`): a query string as given in the
    page's address, and one option per field, which wins over the query."""
    parser.add_argument("query", nargs="?", default="", help="a view as in the page's address, e.g. '?w=inte_behorig:2&level=geso'")
    for f in FIELDS:
        if f.cli:
            parser.add_argument(f.cli_option, dest=f"view_{f.key}", metavar=f.key.upper(), help=f.cli)


def query_from_cli(args) -> dict[str, str]:
    """The query parameters from the command line's view options (for `parse_query`)."""
    query = {k: v[0] for k, v in parse_qs(str(args.query).lstrip("?"), keep_blank_values=True).items()}
    for f in FIELDS:
        given = getattr(args, f"view_{f.key}", None)
        if given is not None:
            query[f.key] = given
    return query

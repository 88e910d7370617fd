"""Open-data connectors: SCB's Statistikdatabasen (PxWeb API v2, json-stat2), Malmö stad's CKAN and
Kolada (v3). `python -m layers fetch scb|ckan|kolada …` writes a CSV and, beside it,
`<file>.provenance.json` (what was asked, where, when, and the licence).

Every request goes through one client (`Client`) that:
- keeps to the service's limits: at most `calls` requests per `window` seconds, read from SCB's
  `/config` when it answers, within bounds a server cannot switch off (SCB_BOUNDS: at most 3 calls
  a second, a window of 1–60 s, at most 150 000 cells per call); without `/config`, SCB's own
  answer recorded in 2026: 3 calls per 1 s and 150 000 cells (v2 documented 30 per 10 s; v1
  documented 10 per 10 s and 100 000 values). What was used is in the provenance;
- follows a URL (a redirect, Kolada's `next_url`) only to the base URL's scheme and host, at most
  MAX_REDIRECTS redirects and MAX_PAGES pages, and never the same page twice;
- reads at most MAX_RESPONSE_BYTES of an answer, and checks a json-stat2 answer's cells (the
  product of its dimension sizes) against the cell limit before building anything;
- backs off on 429 and 403 (SCB's answer above its limits) and 502–504: it waits for
  `Retry-After` or 1, 2, 4 … seconds, at most `retries` times, then stops with the request named;
- caches every answer on disk with its fetch time (`cache/<sha256>.json`), so a re-run is offline;
- refuses a body that is not what the API documents (not JSON, missing keys, a json-stat2 value
  list of the wrong length, a CKAN `success: false`) with a message naming the request. Nothing is
  written then.

The real services' base URLs are the defaults; the tests point `--base-url` at stand-in servers.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import product
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pandas as pd
import requests

from layers.errors import SourceError
from layers.reading import plain_label, plain_region

SCB_URL = "https://statistikdatabasen.scb.se/api/v2"
CKAN_URL = "https://ckan-malmo.dataplatform.se"
KOLADA_URL = "https://api.kolada.se/v3"
SCB_WFS_URL = "https://geodata.scb.se/geoserver/stat"  # …/wfs: DeSO and RegSO polygons (CC0)
SCB_LIMITS = (3, 1.0, 150_000)  # calls, seconds, cells per call: SCB's /config as recorded in 2026, when it does not answer
SCB_BOUNDS = {"rate": 3.0, "window": (1.0, 60.0), "cells": (1, 150_000)}  # what a /config may say: at most 3 calls/s, …
RETRY_STATUSES = (403, 429, 502, 503, 504)
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
MAX_PAGES = 500  # of one paged answer (CKAN, Kolada)
MAX_RESPONSE_BYTES = 32 * 1024 * 1024  # one answer; 150 000 json-stat2 cells are a few MB
DEFAULT_CACHE = Path.home() / ".cache" / "malmo-index" / "fetch"


class ConnectorError(SourceError):
    """A request that failed or answered with something the API does not document; names the request."""


@dataclass
class Client:
    base_url: str
    cache_dir: Path = DEFAULT_CACHE
    calls: int = 10
    window: float = 10.0
    retries: int = 4
    timeout: float = 60.0
    offline: bool = False  # only the cache: no request leaves the machine
    max_bytes: int = MAX_RESPONSE_BYTES  # of one answer
    sleep: callable = time.sleep
    clock: callable = time.monotonic
    log: list = field(default_factory=list)  # (method, url, status, seconds waited) of every request sent
    _sent: deque = field(default_factory=deque)

    def url(self, path: str) -> str:
        """The URL of `path` under the base URL; an absolute URL only on the base URL's scheme and host
        (a server's `next_url` or redirect must not send the client elsewhere)."""
        if not path.startswith(("http://", "https://")):
            return self.base_url.rstrip("/") + "/" + path.lstrip("/")
        self.check_origin(path)
        return path

    def check_origin(self, url: str) -> None:
        base, there = urlsplit(self.base_url), urlsplit(url)
        if (there.scheme, there.netloc.lower()) != (base.scheme, base.netloc.lower()):
            raise ConnectorError(f"{url}: leads to {there.scheme}://{there.netloc}, not to {base.scheme}://{base.netloc}: "
                                 "only the service's own host is followed")

    def _cache_file(self, method: str, url: str, params, body) -> Path:
        key = json.dumps([method, url, sorted((params or {}).items()), body], sort_keys=True, ensure_ascii=False)
        return Path(self.cache_dir) / (hashlib.sha256(key.encode("utf-8")).hexdigest() + ".json")

    def _wait_for_slot(self) -> float:
        waited = 0.0
        while True:
            now = self.clock()
            while self._sent and now - self._sent[0] >= self.window:
                self._sent.popleft()
            if len(self._sent) < self.calls:
                self._sent.append(now)
                return waited
            pause = self.window - (now - self._sent[0]) + 0.01
            self.sleep(pause)
            waited += pause

    def _send(self, method: str, url: str, params, body, what: str) -> tuple[requests.Response, bytes]:
        """One request, its redirects followed by hand (same host only, at most MAX_REDIRECTS), its
        body read up to MAX_RESPONSE_BYTES."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = requests.request(method, url, params=params, json=body, timeout=self.timeout, allow_redirects=False,
                                            stream=True, headers={"Accept": "application/json", "User-Agent": "malmo-index (open data fetch)"})
            except requests.RequestException as err:
                raise ConnectorError(f"{what}: no answer ({type(err).__name__}: {err})") from None
            if response.status_code not in REDIRECTS:
                return response, self._read(response, what)
            location = response.headers.get("Location", "")
            response.close()
            if not location:
                raise ConnectorError(f"{what}: HTTP {response.status_code} without a Location")
            url = urljoin(response.url, location)
            try:
                self.check_origin(url)
            except ConnectorError as err:
                raise ConnectorError(f"{what}: redirected to {err}") from None
            params = None  # the Location carries its own query
            if response.status_code in (301, 302, 303):
                method, body = "GET", None
        raise ConnectorError(f"{what}: more than {MAX_REDIRECTS} redirects")

    def _read(self, response: requests.Response, what: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise ConnectorError(f"{what}: an answer of {int(declared):,} bytes, more than the {self.max_bytes:,} read")
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise ConnectorError(f"{what}: the answer goes on past {self.max_bytes:,} bytes, the most read")
                chunks.append(chunk)
        except requests.RequestException as err:
            raise ConnectorError(f"{what}: the answer broke off ({type(err).__name__}: {err})") from None
        finally:
            response.close()
        return b"".join(chunks)

    @staticmethod
    def _from_cache(cached: Path) -> dict | None:
        """A cached answer, or None when there is none or it cannot be read (cut short, edited): asked again."""
        try:
            saved = json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return saved if isinstance(saved, dict) and "body" in saved and isinstance(saved.get("fetched"), str) else None

    def request(self, method: str, path: str, params: dict | None = None, body=None) -> tuple[object, str]:
        """(parsed JSON, fetch time ISO); from the disk cache when this exact request was answered before."""
        url = self.url(path)
        what = f"{method} {url}" + (f"?{urlencode(params)}" if params else "")
        cached = self._cache_file(method, url, params, body)
        saved = self._from_cache(cached)
        if saved is not None:
            return saved["body"], saved["fetched"]
        if self.offline:
            raise ConnectorError(f"{what}: not in the cache ({self.cache_dir}) and --offline was given")
        for attempt in range(self.retries + 1):
            waited = self._wait_for_slot()
            response, body_bytes = self._send(method, url, params, body, what)
            self.log.append((method, url, response.status_code, waited))
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                retry_after = response.headers.get("Retry-After", "")
                pause = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 2.0 ** attempt
                self.sleep(min(pause, 60.0))
                continue
            text = body_bytes.decode("utf-8", "replace")
            if response.status_code != 200:
                raise ConnectorError(f"{what}: HTTP {response.status_code} after {attempt + 1} attempt(s): {text[:200]!r}")
            try:
                data = json.loads(body_bytes)
            except ValueError:
                raise ConnectorError(f"{what}: the answer is not JSON: {text[:120]!r}") from None
            fetched = datetime.now(timezone.utc).isoformat(timespec="seconds")
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps({"request": what, "fetched": fetched, "body": data}, ensure_ascii=False), encoding="utf-8")
            tmp.replace(cached)
            return data, fetched
        raise ConnectorError(f"{what}: still refused after {self.retries + 1} attempts")  # pragma: no cover (loop returns or raises)


# --- SCB PxWeb v2 (json-stat2) -------------------------------------------------------------------

def scb_limits(client: Client) -> tuple[int, float, int, str]:
    """(calls, seconds, cells per call, where from): SCB's /config within SCB_BOUNDS (a server's
    config can make the client more careful, never less), else SCB_LIMITS."""
    try:
        config, _ = client.request("GET", "config")
        said = (int(config["maxCallsPerTimeWindow"]), float(config["timeWindow"]), int(config["maxDataCells"]))
    except (ConnectorError, KeyError, TypeError, ValueError, OverflowError):
        calls, window, cells = SCB_LIMITS
        return calls, window, cells, "SCB's limits as recorded in 2026 (no /config)"
    calls, window, cells = said
    if not (math.isfinite(window) and window > 0):
        window = SCB_LIMITS[1]
    low, high = SCB_BOUNDS["window"]
    window = min(max(window, low), high)
    calls = max(1, min(calls, int(SCB_BOUNDS["rate"] * window)))
    low, high = SCB_BOUNDS["cells"]
    cells = min(max(cells, low), high)
    used = (calls, window, cells)
    return (*used, "/config" if used == said else f"/config, held to bounds (it said {said[0]} calls per {said[1]:g} s, {said[2]} cells)")


def jsonstat_frame(data, what: str, max_cells: int = SCB_BOUNDS["cells"][1]) -> pd.DataFrame:
    """A json-stat2 dataset as a long table: one column per dimension (codes), `<dim>_label`, value,
    status. Its cells (the product of the dimension sizes) are checked against `max_cells` first: a
    small sparse answer can name millions of cells."""
    if not isinstance(data, dict) or data.get("class") != "dataset" or not isinstance(data.get("id"), list):
        raise ConnectorError(f"{what}: not a json-stat2 dataset (class, id, size, dimension, value)")
    ids, sizes = data.get("id"), data.get("size")
    if (not isinstance(sizes, list) or len(sizes) != len(ids)
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes)):
        raise ConnectorError(f"{what}: json-stat2 'size' must be one whole number per dimension of 'id'")
    cells = math.prod(sizes)
    if cells > max_cells:
        raise ConnectorError(f"{what}: the answer names {cells:,} cells ({' × '.join(map(str, sizes))}), more than the limit of "
                             f"{max_cells:,} per call")
    try:
        dims = []
        for dim, size in zip(ids, sizes):
            category = data["dimension"][dim]["category"]
            index = category["index"]
            codes = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
            if len(codes) != size:
                raise ConnectorError(f"{what}: dimension {dim} has {len(codes)} categories, size says {size}")
            labels = category.get("label", {})
            dims.append([(c, labels.get(c, c)) for c in codes])
        values = data["value"]
    except (KeyError, TypeError) as err:
        raise ConnectorError(f"{what}: json-stat2 without {err}") from None
    expected = math.prod(sizes)
    if isinstance(values, dict):  # the sparse form: index → value
        if any(not str(k).isdigit() or int(k) >= expected for k in values):
            raise ConnectorError(f"{what}: a sparse value outside the {expected} cells")
        values = [values.get(str(i)) for i in range(expected)]
    if not isinstance(values, list) or len(values) != expected:
        raise ConnectorError(f"{what}: {len(values) if isinstance(values, list) else 'no'} values for {expected} cells: a partial answer")
    status = data.get("status") or {}
    if isinstance(status, list):
        status = {str(i): s for i, s in enumerate(status) if s}
    rows = []
    for i, combo in enumerate(product(*dims)):
        row = {}
        for dim, (code, label) in zip(ids, combo):
            row[dim] = code
            row[f"{dim}_label"] = label
        value = values[i]
        if value is not None and not isinstance(value, (int, float)):
            raise ConnectorError(f"{what}: cell {i} is {value!r}, not a number or null")
        row["value"] = value
        row["status"] = status.get(str(i), "")
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Metadata:
    """A table's variables as SCB's metadata names them: dimension → {code: label} in SCB's order,
    the unit of each ContentsCode (json-stat2 `category.unit.<code>.base`: "procent", "antal" …)."""
    table: str
    label: str
    dimensions: dict[str, dict[str, str]]
    units: dict[str, str]


def scb_metadata(client: Client, table: str, codelist: str | None = None, lang: str = "sv") -> Metadata:
    params = {"lang": lang, "outputFormat": "json-stat2"} | ({"codelist[Region]": codelist} if codelist else {})
    meta, _ = client.request("GET", f"tables/{table}/metadata", params)
    what = f"GET {client.url(f'tables/{table}/metadata')}"
    try:
        dimensions, units = {}, {}
        for d in meta["id"]:
            category = meta["dimension"][d]["category"]
            index = category["index"]
            codes = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
            labels = category.get("label") or {}
            dimensions[d] = {str(c): str(labels.get(c, c)) for c in codes}
            for c, unit in (category.get("unit") or {}).items():
                units[str(c)] = str((unit or {}).get("base", "")) if isinstance(unit, dict) else ""
    except (KeyError, TypeError, AttributeError) as err:
        raise ConnectorError(f"{what}: metadata without {err}") from None
    return Metadata(table, str(meta.get("label", "")), dimensions, units)


def fetch_scb(client: Client, table: str, regions: str, codelist: str | None = None, select: dict[str, list[str]] | None = None,
              lang: str = "sv") -> tuple[pd.DataFrame, dict]:
    """A table for some regions ("kommun:1280" = every region code starting with 1280, or a comma list),
    split into calls within the cell limit; returns the long table and its provenance."""
    calls, window, max_cells, limits_from = scb_limits(client)
    client.calls, client.window = calls, window
    meta = scb_metadata(client, table, codelist, lang)
    what = f"GET {client.url(f'tables/{table}/metadata')}"
    dimensions = {d: list(codes) for d, codes in meta.dimensions.items()}
    region_dim = next((d for d in dimensions if d.lower() in ("region", "regionkod")), None)
    if region_dim is None:
        raise ConnectorError(f"{what}: the table has no Region dimension (dimensions: {', '.join(dimensions)})")
    asked_as = {plain_region(c): c for c in dimensions[region_dim]}  # the plain code → as this code list spells it
    if regions.startswith("kommun:"):
        prefix = regions.split(":", 1)[1]
        wanted = [asked_as[c] for c in asked_as if c.startswith(prefix)]
    else:
        plain = [plain_region(c.strip()) for c in regions.split(",") if c.strip()]
        unknown = [c for c in plain if c not in asked_as]
        if unknown:
            raise ConnectorError(f"{what}: unknown region code(s) {', '.join(unknown[:10])}")
        wanted = [asked_as[c] for c in plain]
    if not wanted:
        raise ConnectorError(f"{what}: no region matches {regions!r}")
    chosen = {d: (wanted if d == region_dim else list((select or {}).get(d) or list(idx))) for d, idx in dimensions.items()}
    others = math.prod(len(v) for d, v in chosen.items() if d != region_dim)
    if others > max_cells:
        raise ConnectorError(f"{what}: one region alone is {others} cells, more than the {max_cells} a call may ask: "
                             "choose fewer values with --select")
    per_call = max(1, max_cells // max(others, 1))
    frames, fetched = [], []
    for start in range(0, len(wanted), per_call):
        part = wanted[start:start + per_call]
        body = {"selection": [{"variableCode": d, "valueCodes": part if d == region_dim else chosen[d],
                               **({"codelist": codelist} if d == region_dim and codelist else {})} for d in dimensions]}
        data, when = client.request("POST", f"tables/{table}/data", {"lang": lang, "outputFormat": "json-stat2"}, body)
        frames.append(jsonstat_frame(data, f"POST {client.url(f'tables/{table}/data')} (regions {part[0]}…{part[-1]})", max_cells))
        fetched.append(when)
    frame = pd.concat(frames, ignore_index=True)
    frame[f"{region_dim}_label"] = [plain_label(plain_region(c), lab) for c, lab in zip(frame[region_dim], frame[f"{region_dim}_label"])]
    frame[region_dim] = frame[region_dim].map(plain_region)
    provenance = {"source": "SCB Statistikdatabasen", "licence": "CC0-1.0", "table": table, "regions": regions,
                  "codelist": codelist, "calls": len(frames), "url": client.url(f"tables/{table}/data"), "fetched": max(fetched),
                  "label": meta.label,
                  "limits": {"calls": calls, "seconds": window, "cells": max_cells, "from": limits_from}}
    return frame, provenance


# --- SCB geodata: DeSO and RegSO polygons (WFS) --------------------------------------------------

# The layers by level and code-list year, and the attribute that holds each level's code and name.
WFS_LAYERS = {("regso", 2025): "stat:RegSO_2025", ("regso", 2020): "stat:RegSO_2020",
              ("deso", 2025): "stat:DeSO_2025", ("deso", 2018): "stat:DeSO_2018"}
WFS_CODE = {"regso": "regsokod", "deso": "desokod"}
WFS_NAME = {"regso": "regsonamn"}  # SCB gives DeSO no names: a DeSO is named by its code
WFS_CRS = "EPSG:3006"  # SWEREF 99 TM, the service's own; reprojected to EPSG:4326 for the package


def _wfs_crs(data, what: str) -> str:
    """The CRS a GeoJSON answer names (GeoServer: "urn:ogc:def:crs:EPSG::3006"); WFS_CRS when it names none."""
    name = ((data.get("crs") or {}).get("properties") or {}).get("name") if isinstance(data.get("crs"), dict) else None
    if not name:
        return WFS_CRS
    code = re.search(r"EPSG:{1,2}(\d+)$", str(name))
    if not code:
        raise ConnectorError(f"{what}: a CRS that is not an EPSG code ({name!r})")
    return f"EPSG:{code.group(1)}"


def fetch_wfs(client: Client, level: str, kommun: str, year: int = 2025, page: int = 1000):
    """One municipality's DeSO or RegSO polygons from SCB's WFS (GetFeature, filtered on kommunkod,
    paged by startIndex), as a GeoDataFrame in EPSG:4326 with code, name and (DeSO) parent; and its
    provenance. A feature of another municipality (a server that ignored the filter), one without a
    code or a polygon, or a code seen twice is refused with the request named."""
    import geopandas as gpd
    import shapely

    if (level, year) not in WFS_LAYERS:
        raise ConnectorError(f"no SCB layer for {level} {year} (known: {', '.join(f'{lv} {y}' for lv, y in WFS_LAYERS)})")
    if not re.fullmatch(r"\d{4}", str(kommun)):
        raise ConnectorError(f"--kommun '{kommun}': a municipality code is four digits (Malmö 1280)")
    layer = WFS_LAYERS[(level, year)]
    code_key, name_key = WFS_CODE[level], WFS_NAME.get(level)
    features, fetched, start, crs = [], [], 0, None
    while True:
        params = {"service": "WFS", "version": "2.0.0", "request": "GetFeature", "typeNames": layer, "outputFormat": "application/json",
                  "srsName": WFS_CRS, "CQL_FILTER": f"kommunkod='{kommun}'", "count": page, "startIndex": start}
        what = f"GET {client.url('wfs')}?typeNames={layer}&kommunkod={kommun}&startIndex={start}"
        if len(fetched) >= MAX_PAGES:
            raise ConnectorError(f"{what}: more than {MAX_PAGES} pages")
        data, when = client.request("GET", "wfs", params)
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
            raise ConnectorError(f"{what}: not a GeoJSON FeatureCollection")
        page_crs = _wfs_crs(data, what)
        if crs is not None and page_crs != crs:
            raise ConnectorError(f"{what}: pages in two CRSs ({crs}, {page_crs})")
        crs = page_crs
        features += data["features"]
        fetched.append(when)
        matched = data.get("numberMatched")
        start += len(data["features"])
        # numberMatched says how many there are (a server may send fewer a page than asked); without it, a short page is the last
        if not data["features"] or (start >= matched if isinstance(matched, int) else len(data["features"]) < page):
            break
    what = f"GET {client.url('wfs')}?typeNames={layer}&kommunkod={kommun}"
    rows, seen = [], set()
    for n, f in enumerate(features):
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(props, dict) or not props.get(code_key):
            raise ConnectorError(f"{what}: feature {n} has no {code_key}")
        code = plain_region(str(props[code_key]))
        if str(props.get("kommunkod", kommun)) != kommun:
            raise ConnectorError(f"{what}: {code} lies in kommun {props.get('kommunkod')}, not {kommun}: the filter was not applied")
        if code in seen:
            raise ConnectorError(f"{what}: {code} twice")
        seen.add(code)
        try:
            geom = shapely.geometry.shape(f.get("geometry"))
        except Exception as err:  # noqa: BLE001 - whatever shapely cannot read is named
            raise ConnectorError(f"{what}: {code} has no readable geometry ({type(err).__name__})") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise ConnectorError(f"{what}: {code} is a {geom.geom_type}, not a polygon")
        parent = plain_region(str(props["regsokod"])) if level == "deso" and props.get("regsokod") else None
        if level == "deso" and parent is None:
            raise ConnectorError(f"{what}: DeSO {code} has no regsokod, so it cannot be placed in its RegSO")
        name = str(props.get(name_key) or code) if name_key else code
        rows.append({"code": code, "name": name, "parent": parent, "geometry": geom})
    if not rows:
        raise ConnectorError(f"{what}: no areas: is {kommun} a municipality code?")
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs("EPSG:4326")
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 1e-7)  # about 1 cm, as the package's other boundaries
    invalid = frame.index[~frame.geometry.is_valid]
    if len(invalid):
        frame.loc[invalid, "geometry"] = shapely.make_valid(frame.geometry[invalid].values)
    return frame, {"source": "SCB geodata (WFS)", "credit": "Källa: SCB", "licence": "CC0-1.0", "layer": layer, "kommun": kommun,
                   "url": client.url("wfs"), "filter": f"kommunkod='{kommun}'", "crs": f"{crs} → EPSG:4326",
                   "areas": len(frame), "repaired": len(invalid), "calls": len(fetched), "fetched": max(fetched)}


def write_areas(frame, provenance: dict, out: Path) -> Path:
    """The areas as a package's boundary file (GeoJSON FeatureCollection, EPSG:4326: code, name,
    parent) and its provenance beside it; written whole or not at all."""
    import shapely.geometry

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    features = [{"type": "Feature", "properties": {"code": r.code, "name": r.name, "parent": r.parent},
                 "geometry": shapely.geometry.mapping(r.geometry)} for r in frame.itertuples()]
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    out.with_name(out.name + ".provenance.json").write_text(
        json.dumps({**provenance, "written": datetime.now(timezone.utc).isoformat(timespec="seconds")}, ensure_ascii=False, indent=2),
        encoding="utf-8")
    return out


# --- Malmö stad CKAN ----------------------------------------------------------------------------

def _ckan_result(data, what: str):
    if not isinstance(data, dict) or data.get("success") is not True or "result" not in data:
        error = data.get("error") if isinstance(data, dict) else None
        raise ConnectorError(f"{what}: CKAN did not succeed ({error or 'no success: true and result'})")
    return data["result"]


def as_published(value):
    """A CKAN cell as the portal publishes it: nested values (lists, objects) and booleans as JSON
    text (`["Mike", "John"]`, `true`), not as Python's repr; numbers and text as they are."""
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    return value


def fetch_ckan(client: Client, resource: str, page: int = 1000) -> tuple[pd.DataFrame, dict]:
    """All records of a datastore resource (datastore_search, paged by offset, at most MAX_PAGES
    pages), as a wide table with the published fields as its header (also with no records)."""
    records, total, offset, fetched, fields = [], None, 0, [], None
    while True:
        if len(fetched) >= MAX_PAGES:
            raise ConnectorError(f"GET {client.url('api/3/action/datastore_search')}?resource_id={resource}: more than {MAX_PAGES} pages")
        what = f"GET {client.url('api/3/action/datastore_search')}?resource_id={resource}&offset={offset}"
        data, when = client.request("GET", "api/3/action/datastore_search", {"resource_id": resource, "limit": page, "offset": offset})
        result = _ckan_result(data, what)
        batch = result.get("records")
        if not isinstance(batch, list) or not isinstance(result.get("total"), int):
            raise ConnectorError(f"{what}: a datastore answer needs records (a list) and total (a number)")
        fields = fields or [f.get("id") for f in result.get("fields", []) if isinstance(f, dict) and f.get("id") != "_id"]
        total = result["total"]
        records += batch
        fetched.append(when)
        offset += len(batch)
        if not batch or offset >= total:
            break
    if len(records) != total:
        raise ConnectorError(f"GET {client.url('api/3/action/datastore_search')}?resource_id={resource}: "
                             f"{len(records)} records for a total of {total}: a partial answer")
    columns = fields or list(dict.fromkeys(k for r in records if isinstance(r, dict) for k in r if k != "_id"))
    if any(not isinstance(r, dict) for r in records):
        raise ConnectorError(f"GET {client.url('api/3/action/datastore_search')}?resource_id={resource}: a record that is not an object")
    frame = pd.DataFrame([[as_published(r.get(c)) for c in columns] for r in records], columns=columns, dtype=object)
    return frame, {"source": "Stadskontoret, Malmö stad (CKAN)", "resource": resource, "url": client.url("api/3/action/datastore_search"),
                   "records": len(frame), "calls": len(fetched), "fetched": max(fetched), "licence": "see the dataset's page"}


def ckan_resources(client: Client, dataset: str) -> list[dict]:
    """The resources of a dataset (package_show): id, name, format."""
    data, _ = client.request("GET", "api/3/action/package_show", {"id": dataset})
    result = _ckan_result(data, f"GET {client.url('api/3/action/package_show')}?id={dataset}")
    return [{"id": r.get("id"), "name": r.get("name"), "format": r.get("format")} for r in result.get("resources", [])]


# --- Kolada v3 ----------------------------------------------------------------------------------

KOLADA_AREAS = {"1280": "MALMO", "0000": "SE"}


def fetch_kolada(client: Client, kpi: str, municipalities: list[str], years: list[int], gender: str = "T") -> tuple[pd.DataFrame, dict]:
    """Values of a KPI for municipalities and years (following next_url), as a long table:
    kpi, municipality, code (MALMO/SE for Malmö and the nation), year, value, count, status."""
    path = f"data/kpi/{kpi}/municipality/{','.join(municipalities)}/year/{','.join(str(y) for y in years)}"
    rows, fetched, url, seen = [], [], path, set()
    while url:
        what = f"GET {client.url(url)}"  # another host is refused here
        if client.url(url) in seen:
            raise ConnectorError(f"{what}: next_url leads back to a page already read")
        if len(seen) >= MAX_PAGES:
            raise ConnectorError(f"{what}: more than {MAX_PAGES} pages")
        seen.add(client.url(url))
        data, when = client.request("GET", url)
        if not isinstance(data, dict) or not isinstance(data.get("values"), list):
            raise ConnectorError(f"{what}: a Kolada answer needs values (a list)")
        for item in data["values"]:
            try:
                for v in item["values"]:
                    if v.get("gender", "T") != gender:
                        continue
                    rows.append({"kpi": item["kpi"], "municipality": item["municipality"],
                                 "code": KOLADA_AREAS.get(item["municipality"], item["municipality"]), "year": int(item["period"]),
                                 "value": v.get("value"), "count": v.get("count"), "status": v.get("status") or ""})
            except (KeyError, TypeError, ValueError) as err:
                raise ConnectorError(f"{what}: a value without {err}") from None
        fetched.append(when)
        url = data.get("next_url") or data.get("next_page")
    frame = pd.DataFrame(rows, columns=["kpi", "municipality", "code", "year", "value", "count", "status"])
    return frame, {"source": "Kolada (RKA)", "credit": "Källa: Kolada", "kpi": kpi, "municipalities": municipalities, "years": years,
                   "url": client.url(path), "calls": len(fetched), "fetched": max(fetched) if fetched else None}


def write_output(frame: pd.DataFrame, provenance: dict, out: Path) -> Path:
    """The table as UTF-8 CSV and its provenance beside it; written whole or not at all."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(out)
    meta = out.with_name(out.name + ".provenance.json")
    meta.write_text(json.dumps({**provenance, "rows": len(frame), "written": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                               ensure_ascii=False, indent=2), encoding="utf-8")
    return out

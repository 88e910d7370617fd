"""Stand-in servers for the open-data connectors (no machine here reaches SCB, Malmö's CKAN or
Kolada). Each answers in its API's documented format (../shared/data/SOURCES.md), with the real
Malmö region codes, paging, rate limiting with 429 and Retry-After, and deliberately broken
answers for some ids, so the connectors are tested against a real HTTP server."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def regso_names() -> dict[str, str]:
    """Malmö's RegSO codes → names (SCB's 2025 list)."""
    names = pd.read_csv(SHARED / "scb" / "malmo_regso2025_names.csv", dtype=str)
    code = next(c for c in names.columns if "kod" in c.lower() or "code" in c.lower())
    name = next((c for c in names.columns if c != code and ("namn" in c.lower() or "name" in c.lower())), code)
    return dict(zip(names[code], names[name]))


def regso_codes() -> list[str]:
    return sorted(regso_names())


def cell_value(*parts) -> float | None:
    """A deterministic value per cell (so tests can recompute it); every 17th cell is suppressed."""
    digest = int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)
    return None if digest % 17 == 0 else round((digest % 4000) / 100, 1)


class State:
    def __init__(self, calls_allowed: int, window: float):
        self.calls_allowed, self.window = calls_allowed, window
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.count = 0
        self.refused = 0

    def allow(self) -> bool:
        with self.lock:
            self.count += 1
            now = time.monotonic()
            self.times = [t for t in self.times if now - t < self.window]
            if len(self.times) >= self.calls_allowed:
                self.refused += 1
                return False
            self.times.append(now)
            return True


CONFIG = {"maxCallsPerTimeWindow": 30, "timeWindow": 10, "maxDataCells": 150}  # SCB's documented rate; few cells, to see the split
SUFFIXED = {"vs_RegSO2025": "RegSO2025", "vs_DeSO2025": "DeSO2025"}  # 2025's code lists spell "1280R001_RegSO2025"


def wfs_areas() -> dict[str, dict[str, list[dict]]]:
    """Stand-in polygons, in SWEREF 99 TM (EPSG:3006) as SCB's WFS answers: Malmö's real 2025 codes
    (91 RegSO, 209 DeSO, ../shared/data/scb), each RegSO a 1 km square near Malmö cut into its DeSO;
    and a second municipality (1281) with made-up codes, to show that nothing is tied to Malmö.
    The shapes are generated for the tests (no DeSO or RegSO polygon could be reached from here)."""
    links = pd.read_csv(SHARED / "scb" / "malmo_deso2025_regso2025.csv", dtype=str)
    names = regso_names()
    other = pd.DataFrame({"desokod_2025": [f"1281C{1000 + 10 * i}" for i in range(24)],
                          "regsokod_2025": [f"1281R{1 + i // 3:03d}" for i in range(24)]})
    out = {}
    for kommun, table, x0 in (("1280", links, 370_000), ("1281", other, 385_000)):
        regso, deso = [], []
        for n, (r, members) in enumerate(sorted(table.groupby("regsokod_2025")["desokod_2025"])):
            x, y = x0 + 1000 * (n % 10), 6_160_000 + 1000 * (n // 10)
            regso.append({"regsokod": r, "regsonamn": names.get(r, f"Område {r[-3:]}"), "kommunkod": kommun,
                          "ring": [[x, y], [x + 1000, y], [x + 1000, y + 1000], [x, y + 1000], [x, y]]})
            members = sorted(members)
            for i, d in enumerate(members):
                a, b = x + 1000 * i / len(members), x + 1000 * (i + 1) / len(members)
                deso.append({"desokod": d, "regsokod": r, "kommunkod": kommun,
                             "ring": [[a, y], [b, y], [b, y + 1000], [a, y + 1000], [a, y]]})
        out[kommun] = {"regso": regso, "deso": deso}
    return out


def handler(state: State, regions: list[str], delomraden: list[dict], config: dict):
    areas = wfs_areas()
    ages = {"0-19": "0-19 år", "20-64": "20-64 år", "65+": "65+ år", "tot": "totalt"}
    contents = {"000008AC": "Låg ekonomisk standard, andel (%)", "000008AD": "Hög ekonomisk standard, andel (%)"}
    years = [str(y) for y in range(2020, 2025)]
    all_regions = ["00", "0180", "1280"] + regions + ["0180C1010", "1480C1020"]  # the nation, two kommuner, Malmö's RegSO, others
    names = {"00": "Riket", "0180": "Stockholm", "1280": "Malmö", **regso_names()}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, status: int, body, headers: dict | None = None, raw: bool = False):
            data = body if raw else json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if raw else "application/json")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def route(self, method: str):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            parts = [p for p in url.path.split("/") if p]
            if not state.allow():
                return self.send(429, {"error": "too many requests"}, {"Retry-After": "0.3"})
            # --- SCB PxWeb v2 ---
            if parts[:2] == ["scb", "config"]:
                return self.send(200, config)
            if parts[:2] == ["scb", "moved"]:  # a redirect on the same host: followed
                return self.send(307, {}, {"Location": "/scb/" + "/".join(parts[2:]) + (f"?{url.query}" if url.query else "")})
            if parts[:2] == ["scb", "away"]:  # a redirect to another host: refused
                return self.send(307, {}, {"Location": "http://elsewhere.invalid/scb/" + "/".join(parts[2:])})
            if parts[:2] == ["scb", "huge"]:  # an answer that does not end (with or without its length said)
                body = b"[" + b"0," * (1024 * 1024) + b"0]"
                if query.get("length") == "no":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body)
                    self.close_connection = True
                    return None
                return self.send(200, body, raw=True)
            if parts[:2] == ["scb", "tables"] and parts[3:] == ["metadata"]:
                table = parts[2]
                if table == "TAB0000":
                    return self.send(404, {"error": "no such table"})
                suffix = SUFFIXED.get(query.get("codelist[Region]", ""))
                spelt = [f"{c}_{suffix}" if suffix and len(c) > 4 else c for c in all_regions]
                labels = {sc: (f"{c} {names.get(c, c)}" if suffix else names.get(c, c)) for sc, c in zip(spelt, all_regions)}
                return self.send(200, {"class": "dataset", "label": f"{table}: Låg respektive hög ekonomisk standard", "id": ["Region", "Alder", "ContentsCode", "Tid"],
                                       "size": [len(spelt), len(ages), len(contents), len(years)],
                                       "dimension": {"Region": {"category": {"index": {c: i for i, c in enumerate(spelt)}, "label": labels}},
                                                     "Alder": {"category": {"index": {c: i for i, c in enumerate(ages)}, "label": ages}},
                                                     "ContentsCode": {"category": {"index": {c: i for i, c in enumerate(contents)}, "label": contents}},
                                                     "Tid": {"category": {"index": {c: i for i, c in enumerate(years)}, "label": {y: y for y in years}}}}})
            if parts[:2] == ["scb", "tables"] and parts[3:] == ["data"] and method == "POST":
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                chosen = {s["variableCode"]: s["valueCodes"] for s in body.get("selection", [])}
                dims = ["Region", "Alder", "ContentsCode", "Tid"]
                sizes = [len(chosen[d]) for d in dims]
                cells = 1
                for n in sizes:
                    cells *= n
                if cells > config["maxDataCells"]:
                    return self.send(403, {"error": f"{cells} cells is above the limit of {config['maxDataCells']}"})
                if parts[2] == "TABSPARSE":  # 23 KB that names 600³ cells
                    big = {d: {"category": {"index": {f"c{i}": i for i in range(600)}}} for d in ("A", "B", "C")}
                    return self.send(200, {"class": "dataset", "id": ["A", "B", "C"], "size": [600, 600, 600], "dimension": big, "value": {"0": 1.0}})
                values, status = [], {}
                for i, combo in enumerate(product(*[chosen[d] for d in dims])):
                    v = cell_value(parts[2], combo[0].split("_")[0], *combo[1:])  # the same value however the code list spells the region
                    values.append(v)
                    if v is None:
                        status[str(i)] = ".."
                if parts[2] == "TAB9999":  # a partial answer
                    values = values[:-3]
                region_labels = {c: (f"{c.split('_')[0]} {names.get(c.split('_')[0], c)}" if "_" in c else names.get(c, c)) for c in chosen["Region"]}
                labels = {"Region": region_labels, "Alder": ages, "ContentsCode": contents, "Tid": {y: y for y in years}}
                return self.send(200, {"version": "2.0", "class": "dataset", "id": dims, "size": sizes, "value": values, "status": status,
                                       "dimension": {d: {"category": {"index": {c: i for i, c in enumerate(chosen[d])},
                                                                      "label": {c: labels[d].get(c, c) for c in chosen[d]}}} for d in dims}})
            # --- SCB geodata, WFS ---
            if parts[:2] == ["geo", "wfs"]:
                import re
                layer = query.get("typeNames", "")
                level = {"stat:RegSO_2025": "regso", "stat:DeSO_2025": "deso"}.get(layer)
                wanted = re.fullmatch(r"kommunkod='(\d{4})'", query.get("CQL_FILTER", ""))
                if level is None or wanted is None:
                    return self.send(400, {"error": "unknown layer or filter"})
                kommun = wanted.group(1)
                found = areas.get(kommun, {}).get(level, [])
                if kommun == "9999":  # a server that ignores the filter: everything it has
                    found = [a for k in areas.values() for a in k[level]]
                start, count = int(query.get("startIndex", 0)), int(query.get("count", 1000))
                chunk = found[start:start + min(count, 100)]  # the server's own page size is 100
                features = [{"type": "Feature", "id": f"{layer}.{start + i}",
                             "properties": {k: v for k, v in a.items() if k != "ring"} | {"version": "2025"},
                             "geometry": {"type": "Polygon", "coordinates": [a["ring"]]}} for i, a in enumerate(chunk)]
                return self.send(200, {"type": "FeatureCollection", "features": features, "numberMatched": len(found),
                                       "numberReturned": len(features), "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}})
            # --- CKAN ---
            if parts[:4] == ["ckan", "api", "3", "action"]:
                action = parts[4]
                if action == "package_show":
                    return self.send(200, {"success": True, "result": {"name": query.get("id"), "resources": [
                        {"id": "delomraden-2024", "name": "Statistikunderlag för Malmös områden 2024", "format": "CSV"}]}})
                if action == "datastore_search":
                    resource = query.get("resource_id")
                    if resource == "broken":
                        return self.send(200, {"success": False, "error": {"message": "Resource not found"}})
                    if resource == "notjson":
                        return self.send(200, b"<html>maintenance</html>", raw=True)
                    published = [{"id": "_id", "type": "int"}] + [{"id": f"falt_{i}", "type": "text"} for i in range(10)]
                    if resource == "empty":  # published, with no records yet
                        return self.send(200, {"success": True, "result": {"resource_id": resource, "total": 0, "records": [], "fields": published}})
                    if resource == "nested":  # what CKAN's datastore holds besides text and numbers
                        fields = [{"id": "_id"}, {"id": "namn"}, {"id": "personer"}, {"id": "plats"}, {"id": "aktiv"}, {"id": "antal"}]
                        records = [{"_id": 1, "namn": "Rosengård", "personer": ["Mike", "John"], "plats": {"lat": 55.58, "lon": 13.04},
                                    "aktiv": True, "antal": 12},
                                   {"_id": 2, "namn": "=1+1", "personer": [], "plats": None, "aktiv": False, "antal": 3.5}]
                        return self.send(200, {"success": True, "result": {"resource_id": resource, "total": 2, "records": records, "fields": fields}})
                    limit, offset = int(query.get("limit", 100)), int(query.get("offset", 0))
                    page = delomraden[offset:offset + min(limit, 50)]  # the server's own page size is 50
                    total = len(delomraden) + (5 if resource == "short" else 0)
                    return self.send(200, {"success": True, "result": {"resource_id": resource, "total": total, "records": page,
                                                                       "fields": [{"id": "_id"}] + [{"id": k} for k in delomraden[0] if k != "_id"]}})
            # --- Kolada v3 ---
            if parts[:2] == ["kolada", "data"] and parts[2] == "kpi":
                kpi, munis, years_ = parts[3], parts[5].split(","), parts[7].split(",")
                if kpi == "BROKEN":
                    return self.send(200, {"count": 1, "values": [{"kpi": kpi, "municipality": "1280"}]})
                here = f"http://{self.headers['Host']}{self.path}"
                if kpi == "LOOP":  # next_url is this page again
                    return self.send(200, {"count": 1, "values": [], "next_url": here})
                if kpi == "AWAY":  # next_url on another host
                    return self.send(200, {"count": 1, "values": [], "next_url": "http://elsewhere.invalid" + self.path})
                items = [{"kpi": kpi, "municipality": m, "period": int(y),
                          "values": [{"gender": g, "value": cell_value(kpi, m, y, g), "count": 100, "status": ""} for g in ("T", "K", "M")]}
                         for m in munis for y in years_]
                page = int(query.get("page", 1))
                size = 4
                chunk = items[(page - 1) * size: page * size]
                more = page * size < len(items)
                base = f"http://{self.headers['Host']}{url.path}"
                return self.send(200, {"count": len(items), "values": chunk, "next_url": f"{base}?page={page + 1}" if more else None})
            return self.send(404, {"error": f"no route {url.path}"})

        def do_GET(self):
            self.route("GET")

        def do_POST(self):
            self.route("POST")

    return Handler


@contextmanager
def standin(calls_allowed: int = 1000, window: float = 1.0, config: dict | None = None):
    """The three stand-ins on one free port: base URLs <url>/scb, <url>/ckan, <url>/kolada.
    `config`: what SCB's /config answers (CONFIG by default)."""
    regions = regso_codes()
    import geopandas as gpd
    areas = gpd.read_file(SHARED / "malmo_delomraden.geojson")  # the city's own spelling: "SOFIELUNDS INDUSTRIOMR." and the like
    delomraden = [{"_id": i + 1, "Delområde": str(n), "Trångboddhet (%)": f"{cell_value('t', str(n)):.1f}".replace(".", ",") if cell_value('t', str(n)) is not None else "..",
                   "Antal barn 0-18": str(100 + i)} for i, n in enumerate(areas["source_name"])]
    state = State(calls_allowed, window)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state, regions, delomraden, {**CONFIG, **(config or {})}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()

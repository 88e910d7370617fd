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


def omradestyp() -> dict[str, int]:
    """SCB's områdestyp 2022 per Malmö RegSO (real, ../shared/data/scb); made-up types for 1281."""
    table = pd.read_csv(SHARED / "scb" / "malmo_deso2018_regso2020_omradestyp2022.csv", dtype=str)
    real = {r: int(t) for r, t in zip(table["regsokod_2020"], table["omradestyp_2022"])}
    return real | {a["regsokod"]: 1 + n % 5 for n, a in enumerate(wfs_areas()["1281"]["regso"])}


AGE_BANDS = ["-4", "5-9", "10-14", "15-19", "20-24", "25-44", "45-64", "65-79", "80-"]  # TAB6574's Alder (fewer bands than SCB's 5-year ones)


def people(region: str, band: str, sex: str) -> int:
    """A deterministic head count per cell of the stand-in TAB6574."""
    digest = int(hashlib.sha256(f"{region}|{band}|{sex}".encode()).hexdigest()[:6], 16)
    return 20 + digest % 180


def tables(codelist: str | None) -> dict[str, dict]:
    """Each stand-in table: its dimensions in order ({code: label}) and a value per cell. TAB6574
    (population by age and sex, totals as sums), TAB6586 (SCB's index and områdestyp per RegSO); any
    other id answers as TAB6685 does (low and high economic standard by age, percent)."""
    areas = wfs_areas()
    names = {"00": "Riket", "0180": "Stockholm", "1280": "Malmö", "1281": "Övrekommun", **regso_names(),
             **{a["regsokod"]: a["regsonamn"] for a in areas["1281"]["regso"]}}
    deso = (codelist or "").startswith("vs_DeSO")
    if deso:
        regions = ["00", "1280", "1281"] + sorted(a["desokod"] for k in areas.values() for a in k["deso"])
    else:
        regions = ["00", "0180", "1280"] + regso_codes() + ["0180C1010", "1480C1020", "1281"] + [a["regsokod"] for a in areas["1281"]["regso"]]
    suffix = SUFFIXED.get(codelist or "")
    spelt = {(f"{c}_{suffix}" if suffix and len(c) > 4 else c): c for c in regions}
    region = {sc: (f"{c} {names.get(c, c)}" if suffix else names.get(c, c)) for sc, c in spelt.items()}
    years = {str(y): str(y) for y in range(2020, 2025)}
    bands = {b: ("0-4 år" if b == "-4" else "80+ år" if b == "80-" else f"{b} år") for b in AGE_BANDS} | {"totalt": "totalt ålder"}
    types = omradestyp()

    def population(c):
        region_, band, sex = c["Region"].split("_")[0], c["Alder"], c["Kon"]
        sexes = ["1", "2"] if sex == "1+2" else [sex]
        return sum(people(region_, b, s) for b in (AGE_BANDS if band == "totalt" else [band]) for s in sexes)

    def reference(c):
        region_ = c["Region"].split("_")[0]
        if region_ not in types:
            return None
        if c["ContentsCode"] == "000007KL":
            return types[region_]
        return round(2.5 * (3 - types[region_]) + (cell_value("idx", region_) or 0) / 40, 2)

    return {
        "TAB6574": {"label": "Folkmängden per region efter ålder och kön. År 2020–2024",
                    "dims": {"Region": region, "Alder": bands, "Kon": {"1": "män", "2": "kvinnor", "1+2": "totalt"},
                             "ContentsCode": {"000007Y4": "Folkmängd"}, "Tid": years},
                    "units": {"000007Y4": "antal"}, "value": population},
        "TAB6586": {"label": "Socioekonomiskt index och områdestyp efter RegSO. År 2020–2024",
                    "dims": {"Region": region, "ContentsCode": {"000007KK": "Socioekonomiskt index", "000007KL": "Områdestyp"},
                             "Tid": years}, "units": {"000007KK": "index", "000007KL": "typ"}, "value": reference},
        None: {"label": "Låg respektive hög ekonomisk standard",
               "dims": {"Region": region, "Alder": {"0-19": "0-19 år", "20-64": "20-64 år", "65+": "65+ år", "tot": "totalt"},
                        "ContentsCode": {"000008AC": "Låg ekonomisk standard, andel (%)", "000008AD": "Hög ekonomisk standard, andel (%)"},
                        "Tid": years},
               "units": {"000008AC": "procent", "000008AD": "procent"}, "value": None},
    }


def handler(state: State, regions: list[str], delomraden: list[dict], config: dict):
    areas = wfs_areas()
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
                spec = (known := tables(query.get("codelist[Region]"))).get(table) or known[None]
                dims = spec["dims"]
                contents = dims["ContentsCode"]
                return self.send(200, {"class": "dataset", "label": f"{table}: {spec['label']}", "id": list(dims),
                                       "size": [len(v) for v in dims.values()],
                                       "dimension": {d: {"category": {"index": {c: i for i, c in enumerate(v)}, "label": v}
                                                         | ({"unit": {c: {"base": spec["units"][c], "decimals": 1} for c in contents}}
                                                            if d == "ContentsCode" else {})} for d, v in dims.items()}})
            if parts[:2] == ["scb", "tables"] and parts[3:] == ["data"] and method == "POST":
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                chosen = {s["variableCode"]: s["valueCodes"] for s in body.get("selection", [])}
                codelist = next((s.get("codelist") for s in body.get("selection", []) if s.get("variableCode") == "Region"), None)
                spec = (known := tables(codelist)).get(parts[2]) or known[None]
                dims = list(spec["dims"])
                if set(chosen) != set(dims):
                    return self.send(400, {"error": f"select every variable: {', '.join(dims)}"})
                unknown = [f"{d}={c}" for d in dims for c in chosen[d] if c not in spec["dims"][d]]
                if unknown:
                    return self.send(400, {"error": f"unknown value codes: {', '.join(unknown[:5])}"})
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
                    if spec["value"] is None:  # the same value however the code list spells the region
                        v = cell_value(parts[2], combo[0].split("_")[0], *combo[1:])
                    else:
                        v = spec["value"](dict(zip(dims, combo)))
                    values.append(v)
                    if v is None:
                        status[str(i)] = ".."
                if parts[2] == "TAB9999":  # a partial answer
                    values = values[:-3]
                return self.send(200, {"version": "2.0", "class": "dataset", "id": dims, "size": sizes, "value": values, "status": status,
                                       "dimension": {d: {"category": {"index": {c: i for i, c in enumerate(chosen[d])},
                                                                      "label": {c: spec["dims"][d][c] for c in chosen[d]}}} for d in dims}})
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

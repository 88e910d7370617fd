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


def regso_codes() -> list[str]:
    names = pd.read_csv(SHARED / "scb" / "malmo_regso2025_names.csv", dtype=str)
    column = next(c for c in names.columns if "kod" in c.lower() or "code" in c.lower())
    return sorted(names[column].unique())


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


def handler(state: State, regions: list[str], delomraden: list[dict]):
    ages = {"0-19": "0-19 år", "20-64": "20-64 år", "65+": "65+ år", "tot": "totalt"}
    contents = {"000008AC": "Låg ekonomisk standard, andel (%)", "000008AD": "Hög ekonomisk standard, andel (%)"}
    years = [str(y) for y in range(2020, 2025)]
    all_regions = ["00", "0180", "1280"] + regions + ["0180C1010", "1480C1020"]  # the nation, two kommuner, Malmö's RegSO, others

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
                return self.send(200, {"maxCallsPerTimeWindow": 100, "timeWindow": 1, "maxDataCells": 60})
            if parts[:2] == ["scb", "tables"] and parts[3:] == ["metadata"]:
                table = parts[2]
                if table == "TAB0000":
                    return self.send(404, {"error": "no such table"})
                return self.send(200, {"class": "dataset", "label": f"{table}: Låg respektive hög ekonomisk standard", "id": ["Region", "Alder", "ContentsCode", "Tid"],
                                       "size": [len(all_regions), len(ages), len(contents), len(years)],
                                       "dimension": {"Region": {"category": {"index": {c: i for i, c in enumerate(all_regions)}, "label": {c: c for c in all_regions}}},
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
                if cells > 60:
                    return self.send(403, {"error": f"{cells} cells is above the limit of 60"})
                values, status = [], {}
                for i, combo in enumerate(product(*[chosen[d] for d in dims])):
                    v = cell_value(parts[2], *combo)
                    values.append(v)
                    if v is None:
                        status[str(i)] = ".."
                if parts[2] == "TAB9999":  # a partial answer
                    values = values[:-3]
                labels = {"Region": {c: c for c in chosen["Region"]}, "Alder": ages, "ContentsCode": contents, "Tid": {y: y for y in years}}
                return self.send(200, {"version": "2.0", "class": "dataset", "id": dims, "size": sizes, "value": values, "status": status,
                                       "dimension": {d: {"category": {"index": {c: i for i, c in enumerate(chosen[d])},
                                                                      "label": {c: labels[d].get(c, c) for c in chosen[d]}}} for d in dims}})
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
def standin(calls_allowed: int = 1000, window: float = 1.0):
    """The three stand-ins on one free port: base URLs <url>/scb, <url>/ckan, <url>/kolada."""
    regions = regso_codes()
    import geopandas as gpd
    areas = gpd.read_file(SHARED / "malmo_delomraden.geojson")  # the city's own spelling: "SOFIELUNDS INDUSTRIOMR." and the like
    delomraden = [{"_id": i + 1, "Delområde": str(n), "Trångboddhet (%)": f"{cell_value('t', str(n)):.1f}".replace(".", ",") if cell_value('t', str(n)) is not None else "..",
                   "Antal barn 0-18": str(100 + i)} for i, n in enumerate(areas["source_name"])]
    state = State(calls_allowed, window)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state, regions, delomraden))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()

"""The open-data connectors (layers/data/connectors.py) against stand-in servers that answer in each
API's documented format (tests/standins.py): splitting to the cell limit, rate limiting with 429,
paging, the disk cache (a re-run is offline), and broken or partial answers refused by name."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from cli_support import run_cli

from layers.data.connectors import Client, ConnectorError, fetch_ckan, fetch_kolada, fetch_scb, jsonstat_frame, scb_limits, write_output
from layers.reading import plain_region
from standins import SHARED as SHARED_DATA, cell_value, regso_codes, regso_names, standin

SHARED_SCB = SHARED_DATA / "scb"


@pytest.fixture
def server():
    with standin() as (url, state):
        yield url, state


def test_scb_splits_to_the_cell_limit_and_reads_json_stat2(server, tmp_path):
    url, state = server
    client = Client(url + "/scb", cache_dir=tmp_path / "cache")
    frame, provenance = fetch_scb(client, "TAB6685", "kommun:1280", codelist="vs_RegSO2025",
                                  select={"Alder": ["0-19"], "ContentsCode": ["000008AC"]})
    malmo = [c for c in regso_codes()] + ["1280"]
    assert set(frame["Region"]) == set(malmo)  # every code that starts with 1280, nothing else
    assert len(frame) == len(malmo) * 5  # × five years
    # 150 cells per call (the stand-in's /config): 30 regions × 5 years per call
    posts = [entry for entry in client.log if entry[0] == "POST"]
    assert len(posts) == -(-len(malmo) // 30) == provenance["calls"]
    row = frame[(frame["Region"] == "1280R001") & (frame["Tid"] == "2023")].iloc[0]
    assert row["value"] == cell_value("TAB6685", "1280R001", "0-19", "000008AC", "2023")
    suppressed = frame[frame["status"] == ".."]
    assert len(suppressed) > 0 and suppressed["value"].isna().all()
    assert provenance["licence"] == "CC0-1.0" and provenance["table"] == "TAB6685"


def test_a_rerun_is_offline_from_the_cache(server, tmp_path):
    url, state = server
    first, _ = fetch_scb(Client(url + "/scb", cache_dir=tmp_path / "c"), "TAB6685", "1280R001,1280R002")
    before = state.count
    offline = Client(url + "/scb", cache_dir=tmp_path / "c", offline=True)  # only the cache: no request may leave
    again, _ = fetch_scb(offline, "TAB6685", "1280R001,1280R002")
    assert state.count == before and offline.log == []
    pd.testing.assert_frame_equal(first, again)
    with pytest.raises(ConnectorError, match="not in the cache"):
        fetch_scb(offline, "TAB6685", "1280R003")


def test_rate_limits_are_kept_and_a_429_backs_off(tmp_path):
    with standin(calls_allowed=3, window=1.0) as (url, state):  # stricter than the client believes
        client = Client(url + "/scb", cache_dir=tmp_path / "c", retries=6)
        frame, _ = fetch_scb(client, "TAB6685", "kommun:1280", select={"Alder": ["0-19"], "ContentsCode": ["000008AC"]})
        statuses = [s for _, _, s, _ in client.log]
        assert 429 in statuses and statuses[-1] == 200 and state.refused > 0
        assert len(frame) == (len(regso_codes()) + 1) * 5
    with standin(calls_allowed=1, window=30.0) as (url, state):  # never lets up: bounded retries, then a message
        client = Client(url + "/scb", cache_dir=tmp_path / "d", retries=2)
        with pytest.raises(ConnectorError, match=r"HTTP 429 after 3 attempt"):
            fetch_scb(client, "TAB6685", "1280R001")


def test_scb_refuses_partial_and_malformed_answers(server, tmp_path):
    url, _ = server
    client = Client(url + "/scb", cache_dir=tmp_path / "c")
    with pytest.raises(ConnectorError, match=r"POST .*TAB9999/data.*values for .* cells: a partial answer"):
        fetch_scb(client, "TAB9999", "1280R001,1280R002")
    with pytest.raises(ConnectorError, match=r"TAB0000/metadata.*HTTP 404"):
        fetch_scb(client, "TAB0000", "1280R001")
    with pytest.raises(ConnectorError, match="unknown region code"):
        fetch_scb(client, "TAB6685", "9999X")
    for bad in ({"class": "collection"}, {"class": "dataset", "id": ["a"], "size": [2], "dimension": {"a": {"category": {"index": {"x": 0, "y": 1}}}}, "value": [1]},
                {"class": "dataset", "id": ["a"], "size": [1], "dimension": {"a": {"category": {"index": {"x": 0}}}}, "value": ["ten"]}):
        with pytest.raises(ConnectorError):
            jsonstat_frame(bad, "test")


def test_ckan_pages_through_the_datastore(server, tmp_path):
    url, state = server
    client = Client(url + "/ckan", cache_dir=tmp_path / "c")
    frame, provenance = fetch_ckan(client, "delomraden-2024", page=1000)
    assert len(frame) == 136 and provenance["calls"] == 3  # the server's own page size is 50
    assert "SOFIELUNDS INDUSTRIOMR." in set(frame["Delområde"]) and "_id" not in frame.columns
    with pytest.raises(ConnectorError, match=r"resource_id=broken.*Resource not found"):
        fetch_ckan(client, "broken")
    with pytest.raises(ConnectorError, match=r"resource_id=notjson.*not JSON"):
        fetch_ckan(client, "notjson")
    with pytest.raises(ConnectorError, match=r"136 records for a total of 141: a partial answer"):
        fetch_ckan(client, "short")


def test_kolada_follows_next_url(server, tmp_path):
    url, _ = server
    client = Client(url + "/kolada", cache_dir=tmp_path / "c")
    frame, provenance = fetch_kolada(client, "N02797", ["1280", "0000"], list(range(2015, 2025)))
    assert len(frame) == 20 and set(frame["code"]) == {"MALMO", "SE"} and provenance["calls"] == 5
    assert frame.set_index(["code", "year"]).loc[("MALMO", 2020), "value"] == cell_value("N02797", "1280", "2020", "T")
    with pytest.raises(ConnectorError, match="a value without"):
        fetch_kolada(client, "BROKEN", ["1280"], [2020])


def run(*args):
    return run_cli(*args)  # in-process: the same main() as `python -m layers`


def test_fetch_and_import_on_the_command_line(server, tmp_path):
    url, _ = server
    out = tmp_path / "scb.csv"
    done = run("fetch", "scb", "--table", "TAB6685", "--regions", "kommun:1280", "--base-url", url + "/scb",
               "--select", "Alder=0-19", "--select", "ContentsCode=000008AC", "--out", str(out), "--cache", str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == (len(regso_codes()) + 1) * 5
    meta = json.loads(out.with_name("scb.csv.provenance.json").read_text())
    assert meta["source"] == "SCB Statistikdatabasen" and meta["fetched"]
    broken = tmp_path / "broken.csv"
    failed = run("fetch", "scb", "--table", "TAB9999", "--regions", "1280R001", "--base-url", url + "/scb", "--out", str(broken),
                 "--cache", str(tmp_path / "c"))
    assert failed.returncode == 2 and "partial answer" in failed.stderr and "TAB9999" in failed.stderr and not broken.exists()
    # CKAN's table of delområden goes straight into the import (names as the city writes them)
    wide = tmp_path / "ckan.csv"
    assert run("fetch", "ckan", "--resource", "delomraden-2024", "--base-url", url + "/ckan", "--out", str(wide),
               "--cache", str(tmp_path / "c")).returncode == 0
    kolada = tmp_path / "kolada.csv"
    assert run("fetch", "kolada", "--kpi", "N02797", "--years", "2015-2024", "--base-url", url + "/kolada", "--out", str(kolada),
               "--cache", str(tmp_path / "c")).returncode == 0
    assert set(pd.read_csv(kolada)["code"]) == {"MALMO", "SE"}


# --- a hostile or odd server cannot steer the client -------------------------------------------

def test_no_url_is_followed_to_another_host(server, tmp_path):
    url, _ = server
    client = Client(url + "/kolada", cache_dir=tmp_path / "c")
    with pytest.raises(ConnectorError, match=r"leads to http://elsewhere.invalid.*only the service's own host"):
        fetch_kolada(client, "AWAY", ["1280"], [2020])
    assert [u for _, u, _, _ in client.log if "elsewhere" in u] == []
    scb = Client(url + "/scb", cache_dir=tmp_path / "d")
    with pytest.raises(ConnectorError, match=r"redirected to .*elsewhere.invalid"):
        scb.request("GET", "away/tables/TAB6685/metadata")
    moved, _ = scb.request("GET", "moved/tables/TAB6685/metadata")  # the same host: followed
    assert moved["class"] == "dataset"


def test_a_next_url_that_repeats_stops_at_once(server, tmp_path):
    url, state = server
    client = Client(url + "/kolada", cache_dir=tmp_path / "c")
    with pytest.raises(ConnectorError, match="leads back to a page already read"):
        fetch_kolada(client, "LOOP", ["1280"], [2020])
    assert state.count <= 3  # was: the same page from the cache until 1,25 GB


def test_answers_are_read_to_a_limit(server, tmp_path):
    url, _ = server
    client = Client(url + "/scb", cache_dir=tmp_path / "c", max_bytes=1024 * 1024)
    with pytest.raises(ConnectorError, match=r"an answer of 2,097,155 bytes, more than the 1,048,576 read"):
        client.request("GET", "huge")
    with pytest.raises(ConnectorError, match=r"goes on past 1,048,576 bytes"):
        client.request("GET", "huge", {"length": "no"})


def test_a_sparse_answer_is_checked_against_the_cell_limit_before_it_is_built(server, tmp_path):
    url, _ = server
    client = Client(url + "/scb", cache_dir=tmp_path / "c")
    with pytest.raises(ConnectorError, match=r"names 216,000,000 cells \(600 × 600 × 600\), more than the limit of 150 per call"):
        fetch_scb(client, "TABSPARSE", "1280R001")  # was: over 60 s and 1,4 GB
    with pytest.raises(ConnectorError, match="one whole number per dimension"):
        jsonstat_frame({"class": "dataset", "id": ["a"], "size": ["600"], "dimension": {}, "value": []}, "test")
    with pytest.raises(ConnectorError, match="outside the 2 cells"):
        jsonstat_frame({"class": "dataset", "id": ["a"], "size": [2], "dimension": {"a": {"category": {"index": {"x": 0, "y": 1}}}},
                        "value": {"7": 1}}, "test")
    with pytest.raises(ConnectorError, match="one region alone is 40 cells, more than the 30"):
        with standin(config={"maxDataCells": 30}) as (small, _):
            fetch_scb(Client(small + "/scb", cache_dir=tmp_path / "d"), "TAB6685", "1280R001")


@pytest.mark.parametrize("config, used", [
    ({"maxCallsPerTimeWindow": 3, "timeWindow": 1, "maxDataCells": 150000}, (3, 1.0, 150000, "/config")),  # SCB's own, 2026
    ({"maxCallsPerTimeWindow": 10**6, "timeWindow": 0.001, "maxDataCells": 10**12}, (3, 1.0, 150000, "held to bounds")),
    ({"maxCallsPerTimeWindow": 30, "timeWindow": 10, "maxDataCells": 0}, (30, 10.0, 1, "held to bounds")),
    ({"maxCallsPerTimeWindow": "many"}, (3, 1.0, 150000, "no /config")),
])
def test_config_cannot_switch_the_clients_limits_off(tmp_path, config, used):
    with standin(config=config) as (url, _):
        calls, window, cells, source = scb_limits(Client(url + "/scb", cache_dir=tmp_path / "c"))
    assert (calls, window, cells) == used[:3] and used[3] in source


def test_the_limits_used_are_in_the_provenance(server, tmp_path):
    url, _ = server
    _, provenance = fetch_scb(Client(url + "/scb", cache_dir=tmp_path / "c"), "TAB6685", "1280R001")
    assert provenance["limits"] == {"calls": 30, "seconds": 10.0, "cells": 150, "from": "/config"}


def test_2025_code_lists_with_suffixed_codes_give_plain_codes(server, tmp_path):
    assert plain_region("1280R001_RegSO2025") == "1280R001" == plain_region("1280R001")
    assert plain_region("1280C1010_DeSO2025") == "1280C1010" and plain_region("1280") == "1280"
    url, _ = server
    select = {"Alder": ["0-19"], "ContentsCode": ["000008AC"], "Tid": ["2024"]}
    new, _ = fetch_scb(Client(url + "/scb", cache_dir=tmp_path / "c"), "TAB6685", "kommun:1280", codelist="vs_RegSO2025", select=select)
    old, _ = fetch_scb(Client(url + "/scb", cache_dir=tmp_path / "d"), "TAB6685", "kommun:1280", codelist="vs_RegSO2020", select=select)
    assert set(new["Region"]) == set(regso_codes()) | {"1280"} == set(old["Region"])
    row = new.set_index("Region").loc["1280R001"]
    assert row["Region_label"] == regso_names()["1280R001"]  # "1280R001 RegSO-…" → the name alone
    pd.testing.assert_frame_equal(new.sort_values("Region").reset_index(drop=True), old.sort_values("Region").reset_index(drop=True))
    asked, _ = fetch_scb(Client(url + "/scb", cache_dir=tmp_path / "e"), "TAB6685", "1280R001_RegSO2025,1280R002",
                         codelist="vs_RegSO2025", select=select)  # either spelling may be asked for
    assert list(asked["Region"]) == ["1280R001", "1280R002"]


def test_ckan_keeps_the_published_header_and_writes_values_as_published(server, tmp_path):
    url, _ = server
    client = Client(url + "/ckan", cache_dir=tmp_path / "c")
    empty, _ = fetch_ckan(client, "empty")
    out = write_output(empty, {"source": "test"}, tmp_path / "empty.csv")
    assert out.read_text().splitlines() == [",".join(f"falt_{i}" for i in range(10))]  # was: a bare newline
    nested, _ = fetch_ckan(client, "nested")
    out = write_output(nested, {"source": "test"}, tmp_path / "nested.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(back.columns) == ["namn", "personer", "plats", "aktiv", "antal"]
    first, second = back.iloc[0], back.iloc[1]
    assert json.loads(first["personer"]) == ["Mike", "John"] and json.loads(first["plats"]) == {"lat": 55.58, "lon": 13.04}
    assert first["aktiv"] == "true" and second["aktiv"] == "false" and second["personer"] == "[]" and second["plats"] == ""
    assert first["antal"] == "12" and second["antal"] == "3.5"


def test_a_cut_short_cache_entry_is_asked_again_and_an_unwritable_output_is_one_line(server, tmp_path):
    url, state = server
    client = Client(url + "/scb", cache_dir=tmp_path / "c")
    client.request("GET", "config")
    (entry,) = (tmp_path / "c").glob("*.json")
    entry.write_text(entry.read_text()[:20])  # a run stopped while writing, an edit
    before = state.count
    again, _ = Client(url + "/scb", cache_dir=tmp_path / "c").request("GET", "config")
    assert again["maxDataCells"] == 150 and state.count == before + 1
    (tmp_path / "taken").mkdir()
    done = run("fetch", "scb", "--table", "TAB6685", "--regions", "1280R001", "--base-url", url + "/scb",
               "--out", str(tmp_path / "taken"), "--cache", str(tmp_path / "c"))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "taken" in lines[0], done.stderr


# --- SCB's DeSO and RegSO polygons (WFS) ---------------------------------------------------------

def test_wfs_gives_a_municipalitys_regso_and_deso_nested_in_lon_lat(server, tmp_path):
    import geopandas as gpd
    from layers.data.connectors import fetch_wfs, write_areas
    url, _ = server
    client = Client(url + "/geo", cache_dir=tmp_path / "c")
    regso, prov = fetch_wfs(client, "regso", "1280")
    deso, _ = fetch_wfs(client, "deso", "1280")
    links = pd.read_csv(SHARED_SCB / "malmo_deso2025_regso2025.csv", dtype=str)
    assert len(regso) == 91 and len(deso) == 209 == len(links)  # 209 DeSO: three pages of the server's 100
    assert dict(zip(deso["code"], deso["parent"])) == dict(zip(links["desokod_2025"], links["regsokod_2025"]))
    assert regso.crs.to_epsg() == 4326 and 12.9 < regso.total_bounds[0] < 13.2 and 55.5 < regso.total_bounds[1] < 55.7
    assert regso.set_index("code").loc["1280R001", "name"] == regso_names()["1280R001"]
    assert prov["crs"] == "EPSG:3006 → EPSG:4326" and prov["licence"] == "CC0-1.0"
    points = gpd.GeoDataFrame(deso[["code", "parent"]], geometry=deso.representative_point(), crs=deso.crs)
    inside = gpd.sjoin(points, regso[["code", "geometry"]], predicate="within")  # every DeSO in its RegSO
    assert (inside["parent"] == inside["code_right"]).all() and len(inside) == 209
    out = write_areas(deso, prov, tmp_path / "deso.geojson")
    back = gpd.read_file(out)
    assert list(back.columns[:3]) == ["code", "name", "parent"] and len(back) == 209
    other, _ = fetch_wfs(client, "deso", "1281")  # another municipality: nothing is tied to Malmö
    assert len(other) == 24 and other["code"].str.startswith("1281").all()


def test_wfs_answers_that_cannot_be_used_are_refused(server, tmp_path):
    from layers.data.connectors import fetch_wfs
    url, _ = server
    client = Client(url + "/geo", cache_dir=tmp_path / "c")
    with pytest.raises(ConnectorError, match="lies in kommun 1280, not 9999: the filter was not applied"):
        fetch_wfs(client, "regso", "9999")
    with pytest.raises(ConnectorError, match="no areas: is 1282 a municipality code"):
        fetch_wfs(client, "regso", "1282")
    with pytest.raises(ConnectorError, match="four digits"):
        fetch_wfs(client, "regso", "12' OR '1'='1")
    with pytest.raises(ConnectorError, match="no SCB layer for regso 2019"):
        fetch_wfs(client, "regso", "1280", year=2019)


def test_scb_areas_on_the_command_line_writes_boundary_files(server, tmp_path):
    url, _ = server
    done = run("fetch", "scb-areas", "--kommun", "1280", "--base-url", url + "/geo", "--out", str(tmp_path / "areas"),
               "--cache", str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    assert "91 REGSO areas" in done.stdout and "209 DESO areas" in done.stdout
    meta = json.loads((tmp_path / "areas" / "deso.geojson.provenance.json").read_text())
    assert meta["layer"] == "stat:DeSO_2025" and meta["credit"] == "Källa: SCB" and meta["fetched"]
    bad = run("fetch", "scb-areas", "--kommun", "9999", "--base-url", url + "/geo", "--out", str(tmp_path / "x"), "--cache", str(tmp_path / "c"))
    assert bad.returncode == 2 and "the filter was not applied" in bad.stderr and not (tmp_path / "x" / "regso.geojson").exists()

"""layers/analysis/: robustness, hot spots, flags, effective weights, the UVAS projection
and the allocation, each against an independent computation, and on the CLI."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from cli_support import run_cli

from layers.analysis.allocation import allocate, largest_remainder, split
from layers.analysis.drivers import main_effect, method_report
from layers.analysis.flags import flag_matrix, flags
from layers.analysis.hotspots import HotspotSettings, benjamini_hochberg, hotspots
from layers.analysis.projection import project
from layers.analysis.robustness import RobustnessSettings, draw_weights, robustness
from layers.index.clusters import ClusterSettings, find_clusters
from layers.index.engine import Engine
from layers.errors import EngineError
from layers.data.package import load_package

EQUAL = {"inte_behorig": 1, "trangboddhet": 1, "ekonomiskt_bistand": 1, "lag_inkomststandard": 1}


# --- robustness --------------------------------------------------------------------------------

@pytest.mark.parametrize("vary", [("weights",), ("weights", "normalisation"), ("weights", "normalisation", "values")])
def test_p_top_sums_to_n_and_a_seed_reproduces(engine, vary):
    settings = RobustnessSettings(draws=500, vary=vary, top_n=11, seed=3)
    frame = robustness(engine, settings=settings)
    assert frame.attrs["in_top_counts"] == 11 * 500  # exactly N in the top N in every draw
    assert frame["p_top"].sum() == pytest.approx(11, abs=1e-9)
    again = robustness(engine, settings=settings)
    pd.testing.assert_frame_equal(frame, again)
    other = robustness(engine, settings=RobustnessSettings(draws=500, vary=vary, top_n=11, seed=4))
    assert not frame["p_top"].equals(other["p_top"])
    assert ((frame["rank_p05"] <= frame["rank_p50"]) & (frame["rank_p50"] <= frame["rank_p95"])).where(frame["rank"] > 0, True).all()


def test_an_area_far_above_the_rest_is_always_in_the_top(package_copy):
    rows = pd.read_csv(package_copy / "indicators.csv", dtype={"code": str})
    far = "10101"  # Västra Hamnen: low in the published index
    rows.loc[rows["code"] == far, "value"] = 99.0
    rows.loc[rows["code"] == far, "denominator"] = 5000
    rows.to_csv(package_copy / "indicators.csv", index=False)
    engine = Engine(load_package(package_copy))
    frame = robustness(engine, settings=RobustnessSettings(draws=2000, concentration=2, vary=("weights", "normalisation", "values"), top_n=3))
    row = frame.set_index("code").loc[far]
    assert row["rank"] == 1 and row["p_top"] == 1.0 and row["rank_p95"] == 1


def test_with_concentration_towards_infinity_the_draws_converge_to_the_ranking(engine):
    result = engine.index(EQUAL)
    top = set(result.codes[(result.rank > 0) & (result.rank <= 11)])
    clusters = {c for cl in find_clusters(engine, result, ClusterSettings()) for c in cl.members}
    for concentration in (1e7, float("inf")):
        frame = robustness(engine, EQUAL, settings=RobustnessSettings(draws=300, concentration=concentration, seed=1)).set_index("code")
        ranked = frame[frame["rank"] > 0]
        assert set(ranked.index[ranked["p_top"] == 1]) == top and set(ranked["p_top"].unique()) <= {0.0, 1.0}
        assert (ranked["rank_p50"] == ranked["rank"]).all() and (ranked["rank_p05"] == ranked["rank_p95"]).all()
        assert set(ranked.index[ranked["p_cluster"] == 1]) == clusters
    # and a loose concentration does spread the ranks
    loose = robustness(engine, EQUAL, settings=RobustnessSettings(draws=300, concentration=5, seed=1))
    assert (loose["rank_p95"] - loose["rank_p05"]).max() > 5


def test_the_vectorised_draws_equal_a_plain_loop_over_the_engine(engine):
    """The same weight draws through engine.index and find_clusters, one by one."""
    settings = RobustnessSettings(draws=60, concentration=8, seed=11, top_n=11)
    frame = robustness(engine, EQUAL, settings=settings).set_index("code")
    w = np.array([0.25, 0.25, 0.25, 0.25])
    draws = draw_weights(w, settings, np.random.default_rng(11))
    in_top = pd.Series(0, index=frame.index)
    in_cluster = pd.Series(0, index=frame.index)
    for row in draws:
        result = engine.index(dict(zip(engine.keys, row)))
        top = result.codes[(result.rank > 0) & (result.rank <= 11)]
        in_top[top] += 1
        for cluster in find_clusters(engine, result, ClusterSettings(top_n=11)):
            in_cluster[cluster.members] += 1
    ranked = frame["rank"] > 0
    np.testing.assert_allclose(frame.loc[ranked, "p_top"], (in_top / 60)[ranked])
    np.testing.assert_allclose(frame.loc[ranked, "p_cluster"], (in_cluster / 60)[ranked])


def test_robustness_refuses_bad_settings():
    for bad in ({"draws": 0}, {"concentration": -1}, {"vary": ("colour",)}, {"top_n": 0}):
        with pytest.raises(EngineError):
            RobustnessSettings(**bad)


# --- hot spots ---------------------------------------------------------------------------------

def test_local_morans_i_equals_esdas_for_the_same_weights(engine):
    import esda
    from libpysal.weights import W

    frame = hotspots(engine, settings=HotspotSettings(permutations=999, seed=5))
    result = engine.index()
    i, j, length = engine.neighbours()
    valid = ~np.isnan(result.index)
    keep = (length >= 25) & valid[i] & valid[j]
    neighbours = {int(k): [] for k in np.flatnonzero(valid)}
    for a, b in zip(i[keep], j[keep]):
        neighbours[int(a)].append(int(b))
        neighbours[int(b)].append(int(a))
    ids = [k for k, v in neighbours.items() if v]
    w = W({k: neighbours[k] for k in ids}, id_order=ids, silence_warnings=True)
    w.transform = "r"
    expected = esda.Moran_Local(result.index[ids], w, permutations=999, seed=5)
    np.testing.assert_allclose(frame.loc[ids, "statistic"].to_numpy(float), expected.Is)
    np.testing.assert_allclose(frame.loc[ids, "p_value"].to_numpy(float), expected.p_sim)
    # and the categories follow the quadrants of the significant areas
    hh = frame.loc[ids][(expected.p_sim <= 0.05) & (expected.q == 1)]
    assert (hh["category"] == "HH").all() and len(hh) > 0
    assert frame.loc[~valid, "category"].isna().all()
    assert set(frame["category"].dropna()) <= {"HH", "LL", "HL", "LH", "ns", "island"}


def test_gi_star_fdr_and_islands(engine):
    gi = hotspots(engine, settings=HotspotSettings(statistic="gi", permutations=199, seed=2))
    assert {"HH", "LL"} & set(gi["category"].dropna()) and gi.attrs["islands"] == 0
    fdr = hotspots(engine, settings=HotspotSettings(permutations=199, seed=2, fdr=True))
    plain = hotspots(engine, settings=HotspotSettings(permutations=199, seed=2))
    assert fdr["significant"].sum() <= plain["significant"].sum()
    far = hotspots(engine, settings=HotspotSettings(permutations=99, min_shared_m=1200))  # few share 1,2 km of border
    assert far.attrs["islands"] > 0 and (far["category"] == "island").sum() == far.attrs["islands"]
    assert far.loc[far["category"] == "island", "p_value"].isna().all()


def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.005])
    # sorted: 0.005 (≤0.01), 0.01 (≤0.02), 0.03 (≤0.03), 0.04 (>0.04? no: 0.04 ≤ 0.04), 0.20 (>0.05)
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True, True, False, True]


# --- flags, drivers, projection ----------------------------------------------------------------

def test_flags_by_hand():
    values = np.array([[1.0, 50], [2, 40], [3, 30], [4, 20], [5, 10], [np.nan, 60], [10, 35], [6, 15], [7, 25], [8, 45]])
    flagged, thresholds = flag_matrix(values, 90)
    # column 0 without NaN: 1..8, 10 → 90th percentile (numpy linear) = 8.4 → only 10 is at or above
    assert thresholds[0] == pytest.approx(8.4) and flagged[:, 0].tolist() == [False] * 6 + [True] + [False] * 3
    # column 1: 10..60 → 90th percentile = 51 → only 60
    assert thresholds[1] == pytest.approx(51.0) and flagged[:, 1].nonzero()[0].tolist() == [5]
    assert not flagged[5, 0]  # NaN is never flagged


def test_flags_per_area(engine):
    frame = flags(engine, percentile=90)
    assert frame["flag_count"].max() <= 4 and set(frame.columns) >= {"flag_inte_behorig", "flag_count"}
    # each indicator flags about a tenth of the areas with data
    for key in engine.keys:
        share = frame[f"flag_{key}"].sum() / engine.level().values[key].notna().sum()
        assert 0.05 <= share <= 0.15


def test_effective_weights(engine):
    report = method_report(engine, EQUAL)
    effective = {r["key"]: r["effective"] for r in report["indicators"]}
    assert sum(effective.values()) == pytest.approx(1, abs=1e-3)
    assert report["correlation"]["trangboddhet"]["trangboddhet"] == 1.0
    only = method_report(engine, {"inte_behorig": 1})
    assert {r["key"]: r["effective"] for r in only["indicators"]} == {"inte_behorig": 1.0, "trangboddhet": 0, "ekonomiskt_bistand": 0,
                                                                    "lag_inkomststandard": 0}
    x = np.linspace(0, 1, 50)
    assert main_effect(x, 3 * x + 1) == pytest.approx(1.0)
    assert main_effect(x, np.zeros(50)) == 0.0


def test_projection_recovers_a_linear_series():
    years = list(range(2008, 2025))
    line = [20 - 0.4 * (y - 2008) for y in years]
    p = project(years, line, 2035)
    assert p["slope"] == pytest.approx(-0.4) and p["fitted_from"] == 2015 and p["fitted_to"] == 2024
    assert p["years"][0] == 2025 and p["years"][-1] == 2035
    assert p["share"][p["years"].index(2030)] == pytest.approx(20 - 0.4 * 22)
    assert p["upper"][-1] - p["lower"][-1] == pytest.approx(0, abs=1e-6)
    rng = np.random.default_rng(0)
    noisy = project(years, np.array(line) + rng.normal(0, 0.5, len(years)), 2035)
    assert noisy["lower"][-1] < 20 - 0.4 * 27 < noisy["upper"][-1]
    assert project([2020, 2021], [1, 2]) is None


# --- allocation --------------------------------------------------------------------------------

def test_allocation_floor_and_drop_out_by_hand():
    # exact shares 50, 30, 10, 10: both 10s are below 15; the first drops, the budget is shared again
    # (5, 3, 1 → 55,6, 33,3, 11,1): still below; it drops too; 5 and 3 share 100 → 62,5 and 37,5 → 63 and 37
    assert split(np.array([5.0, 3, 1, 1]), 100, 15).tolist() == [63, 37, 0, 0]
    assert split(np.array([5.0, 3, 1, 1]), 100, 0).tolist() == [50, 30, 10, 10]
    # dropping one can lift another above the floor: 10 % each of four, floor 24 → three at 33,3
    assert split(np.array([1.0, 1, 1, 0.9]), 100, 24).tolist() == [34, 33, 33, 0]
    assert largest_remainder(np.array([33.5, 33.5, 33.0]), 100, ["b", "a", "c"]).tolist() == [33, 34, 33]


def test_allocation_sums_exactly_and_respects_the_floor(engine):
    rng = np.random.default_rng(1)
    for _ in range(200):
        basis = rng.gamma(1, 1, size=rng.integers(2, 40))
        budget = int(rng.integers(1, 10**8))
        floor = int(rng.integers(0, budget // 3 + 1))
        try:
            amounts = split(basis, budget, floor)
        except EngineError:
            continue
        assert amounts.sum() == budget and ((amounts == 0) | (amounts >= floor)).all()
    for unit in ("geso", "delomrade", "cluster"):
        for rule in ("need", "children", "need_children"):
            frame = allocate(engine, 10_000_000, unit, rule, floor=1_000_000)
            assert frame["amount"].sum() == 10_000_000 and ((frame["amount"] == 0) | (frame["amount"] >= 1_000_000)).all()
    with pytest.raises(EngineError):
        allocate(engine, 10_000_000, "geso", "need", floor=20_000_000)
    with pytest.raises(EngineError):
        allocate(engine, 10_000_000, "kommun", "need")


# --- the command line --------------------------------------------------------------------------

def run(*args):
    return run_cli(*args)  # in-process: the same main() as `python -m layers`


def test_cli_analysis_commands():
    rob = json.loads(run("robustness", "--draws", "400", "--seed", "2").stdout)
    assert rob["draws"] == 400 and len(rob["areas"]) == 136 and {"p_top", "p_cluster", "rank_p05", "rank_p95"} <= set(rob["areas"][0])
    assert sum(a["p_top"] or 0 for a in rob["areas"]) == pytest.approx(11)
    assert json.loads(run("robustness", "--draws", "400", "--seed", "2").stdout) == rob
    csv = pd.read_csv(io.StringIO(run("hotspots", "--statistic", "gi", "--permutations", "199", "--format", "csv").stdout), dtype={"code": str})
    assert {"code", "statistic", "p_value", "significant", "category"} <= set(csv.columns) and len(csv) == 136
    flags_out = json.loads(run("flags", "--percentile", "80").stdout)
    assert flags_out["percentile"] == 80 and "flag_count" in flags_out["areas"][0]
    report = json.loads(run("method-report", "--weights", "inte_behorig=2,trangboddhet=1").stdout)
    assert {r["key"]: r["nominal"] for r in report["indicators"]}["inte_behorig"] == pytest.approx(2 / 3, abs=1e-4)
    money = json.loads(run("allocate", "--budget", "10000000", "--level", "cluster", "--rule", "need_children", "--floor", "1000000").stdout)
    assert sum(a["amount"] for a in money["areas"]) == 10_000_000 and money["generated"] is True
    trend = pd.read_csv(io.StringIO(run("trend", "--cluster", "k48104", "--project", "2035").stdout))
    projected = trend[trend["projected"]]
    assert set(projected["year"]) == set(range(2025, 2036)) and (projected["lower"] <= projected["share"]).all()
    bad = run("allocate", "--budget", "100", "--floor", "1000")
    assert bad.returncode == 2 and "floor" in bad.stderr and "Traceback" not in bad.stderr
    bad = run("robustness", "--vary", "colour")
    assert bad.returncode == 2 and "cannot vary colour" in bad.stderr


def test_esda_fdr_is_stricter_at_the_boundary_than_benjamini_hochberg():
    """Why hotspots keeps its own Benjamini–Hochberg (see its docstring): esda.fdr's strict `<`."""
    import esda
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.005])
    assert (p <= esda.fdr(p, 0.05)).sum() == 3 and benjamini_hochberg(p, 0.05).sum() == 4


# --- the rules the page states, in one place (they were in the browser only) ----------------------

def test_certainty_classes():
    from layers.analysis.robustness import certainty_class
    assert certainty_class([0, 0.05, 0.1, 0.49, 0.5, 0.89, 0.9, 1.0, np.nan]).tolist() == [0, 1, 2, 2, 3, 3, 4, 4, -1]


def test_a_cluster_is_a_hot_spot_when_half_its_members_are_hh():
    from layers.analysis.hotspots import hot_clusters
    clusters = [{"id": "k1", "members": [{"code": "1"}, {"code": "2"}]}, {"id": "k3", "members": [{"code": "3"}, {"code": "4"}, {"code": "5"}]}]
    verdict = hot_clusters(clusters, {"1": "HH", "2": "ns", "3": "HH", "4": "HL", "5": None})
    assert verdict == {"k1": {"hh": 1, "n": 2, "hot": True}, "k3": {"hh": 1, "n": 3, "hot": False}}


def test_allocation_map_classes_by_quartiles_of_the_amounts_above_zero():
    from layers.analysis.allocation import map_classes
    got = map_classes({"a": 0, "b": 1000, "c": 2000, "d": 3000, "e": 4000, "f": 5000})
    assert got["classes"] == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3, "f": 4} and got["bounds"] == [1000, 2000, 3000, 4000, 5000]
    assert map_classes({"a": 0}) == {"classes": {"a": 0}, "bounds": []}


def test_what_drives_the_index_says_which_differences_are_notable(engine):
    from layers.analysis.drivers import NOTABLE, method_report
    report = method_report(engine, {"inte_behorig": 5, "trangboddhet": 1, "ekonomiskt_bistand": 1, "lag_inkomststandard": 1})
    for row in report["indicators"]:
        assert row["note"] == (None if abs(row["difference"]) < NOTABLE else "more" if row["difference"] > 0 else "less")
    assert report["differs"] == any(r["note"] for r in report["indicators"])


def test_the_gap_to_sweden_is_computed_from_the_projected_lines():
    from layers.analysis.projection import gaps
    line = lambda sid, kind, shares: {"id": sid, "kind": kind, "projection": {"years": [2030, 2035], "share": shares,  # noqa: E731
                                                                              "fitted_from": 2015, "fitted_to": 2024}}
    series = [line("k1", "cluster", [20.0, 22.5]), line("MALMO", "reference", [9.0, 9.5]), line("SE", "reference", [7.0, 7.25])]
    assert gaps(series, (2030, 2035)) == {"series": [{"id": "k1", "kind": "cluster", "by_year": [[2030, 13.0], [2035, 15.2]]},
                                                     {"id": "MALMO", "kind": "reference", "by_year": [[2030, 2.0], [2035, 2.2]]}],
                                          "fitted_from": 2015, "fitted_to": 2024}
    two = series[:1] + [line("k2", "cluster", [15.0, 15.0])] + series[1:]  # two clusters and no 'all': only the city is said
    assert [s["id"] for s in gaps(two, (2030, 2035))["series"]] == ["MALMO"]
    assert gaps(series[:2], (2030,)) is None  # no Swedish line

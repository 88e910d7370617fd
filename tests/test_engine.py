"""The index engine: the published table and grouping, index properties, levels, disclosure."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from layers.index import demo_promises
from layers.data import demo
from layers.index.clusters import ClusterSettings, find_clusters
from layers.index.engine import Engine, raw_values
from layers.errors import EngineError
from layers.index.weights import parse_weights
from conftest import PACKAGE

KEYS = ["inte_behorig", "trangboddhet", "ekonomiskt_bistand", "lag_inkomststandard"]
weights_strategy = st.fixed_dictionaries({k: st.floats(0, 100, allow_nan=False) for k in KEYS}).filter(lambda w: sum(w.values()) > 1e-6)
hyp = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_published_table_is_reproduced(engine):
    table = pd.read_csv(PACKAGE / "published" / "pm2024_tabell2.csv")
    frame = engine.index().frame()
    top = frame.head(len(table))
    assert [n.upper() for n in top["name"]] == list(table["delomrade"])
    merged = top.assign(key=top["name"].str.upper()).merge(table, left_on="key", right_on="delomrade")
    assert (merged["index_x"] - merged["index_y"]).abs().max() <= 0.005
    for key in KEYS:
        assert (merged[f"scaled_{key}"] - merged[key]).abs().max() <= 0.005, key
    assert frame["index"].iloc[len(table):].max() < frame["index"].iloc[len(table) - 1]


def test_published_groups_are_reproduced(engine):
    clusters = find_clusters(engine, engine.index())
    assert sorted(sorted(c.member_names) for c in clusters) == sorted(sorted(g) for g in demo.PUBLISHED_GROUPS)
    rosengard = next(c for c in clusters if "Kryddgården" in c.member_names)
    assert "Kryddgården" not in [engine.pkg.boundaries["delomrade"].at[c, "name"] for c in rosengard.core]
    assert rosengard.name == "Herrgården m.fl." and rosengard.id == "k" + min(rosengard.members)


def test_demo_data_keeps_its_promises(pkg):
    assert demo_promises.check(pkg) == []


def test_corner_contact_is_not_a_neighbour(engine):
    # Augustenborg and Persborg meet only at a corner: with 0 m they join, with 25 m they do not.
    result = engine.index()
    joined = find_clusters(engine, result, ClusterSettings(min_shared_m=0))
    names = [sorted(c.member_names) for c in joined]
    assert any({"Augustenborg", "Persborg"} <= set(n) for n in names)


def test_threshold_core_and_no_extension(engine):
    result = engine.index()
    clusters = find_clusters(engine, result, ClusterSettings(threshold=0.7, extend_threshold=None))
    members = {m for c in clusters for m in c.member_names}
    assert members == {"Herrgården", "Törnrosen", "Persborg", "Örtagården", "Augustenborg"}


@hyp
@given(weights_strategy)
def test_minmax_index_within_0_1(engine, weights):
    index = engine.index(weights).index
    valid = index[~np.isnan(index)]
    assert valid.min() >= -1e-12 and valid.max() <= 1 + 1e-12


@hyp
@given(weights_strategy, st.floats(0.01, 1000))
def test_scaling_all_weights_changes_nothing(engine, weights, factor):
    a = engine.index(weights).index
    b = engine.index({k: v * factor for k, v in weights.items()}).index
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.slow  # several seconds of processes or generated cases: in `make test`, not the developer's minute
@hyp
@given(weights_strategy, st.integers(0, 129), st.sampled_from(KEYS), st.floats(0.5, 30))
def test_monotone_in_each_indicator(pkg, weights, area, key, delta):
    """Raising one area's value of an indicator with positive weight never lowers its index."""
    weights[key] = max(weights[key], 1.0)
    rows = pkg.indicators
    codes = sorted(rows.loc[rows["code"].str.len() == 5, "code"].unique())
    code = codes[area]
    before = Engine(pkg).index(weights)
    changed = rows.copy()
    hit = (changed["code"] == code) & (changed["indicator"] == key)
    changed.loc[hit, "value"] = np.minimum(changed.loc[hit, "value"] + delta, 100.0)
    after = Engine(dataclasses.replace(pkg, indicators=changed)).index(weights)
    i = before.position[code]
    assert after.index[i] >= before.index[i] - 1e-12


def test_weights_are_checked():
    with pytest.raises(EngineError, match="all weights are zero"):
        parse_weights("inte_behorig=0", KEYS)
    with pytest.raises(EngineError, match="≥ 0"):
        parse_weights("inte_behorig=-1", KEYS)
    with pytest.raises(EngineError, match="must be a number, got 'abc'"):
        parse_weights("inte_behorig=abc", KEYS)
    with pytest.raises(EngineError, match="unknown indicator 'x'"):
        parse_weights("x=1", KEYS)
    with pytest.raises(EngineError, match="finite"):
        parse_weights("inte_behorig=nan", KEYS)
    assert parse_weights("inte_behorig:2,trangboddhet=1", KEYS) == {"inte_behorig": 2.0, "trangboddhet": 1.0, "ekonomiskt_bistand": 0.0, "lag_inkomststandard": 0.0}


def test_geso_index_recomputed_from_counts(pkg, engine):
    rows = pkg.indicators[pkg.indicators["code"].str.len() == 5]
    rows = rows.assign(geso=rows["code"].map(pkg.boundaries["delomrade"]["parent"]),
                       num=rows["value"] * rows["denominator"] / 100)
    by_hand = rows.groupby(["geso", "indicator"]).apply(lambda g: 100 * g["num"].sum() / g["denominator"].sum(), include_groups=False)
    values, _ = raw_values(pkg, "geso")
    for (geso, key), expected in by_hand.items():
        assert values.at[geso, key] == pytest.approx(expected)
    geso = engine.index(level="geso")
    assert len(geso.codes) == 14 and (geso.rank > 0).all()
    # not an average of the delområde indices
    delo = engine.index().frame().set_index("code")["index"]
    parent = pkg.boundaries["delomrade"]["parent"]
    averaged = delo.groupby(parent.reindex(delo.index)).mean()
    assert not np.allclose(geso.index, averaged.reindex(geso.codes).to_numpy())


def test_finer_level_says_where_data_is_missing(pkg, engine):
    nyko = engine.index(level="nyko")
    empty = [c for c, n in pkg.boundaries["delomrade"]["name"].items() if n in demo.EMPTY]
    missing = {str(c) for c, r in zip(nyko.codes, nyko.rank) if r == 0}
    assert missing and all(c[:5] in empty for c in missing)
    assert all(np.isnan(nyko.index[nyko.rank == 0]))
    assert nyko.frame()["rank"].isna().sum() == len(missing)


def test_nyko_counts_add_up_to_delomrade(pkg):
    nyko, _ = raw_values(pkg, "nyko")
    delo_vals, delo_dens = raw_values(pkg, "delomrade")
    _, nyko_dens = raw_values(pkg, "nyko")
    parent = pkg.boundaries["nyko"]["parent"]
    summed = (nyko * nyko_dens / 100).groupby(parent).sum() / nyko_dens.groupby(parent).sum() * 100
    both = summed.dropna().index
    np.testing.assert_allclose(summed.loc[both].to_numpy(), delo_vals.loc[both].to_numpy(), atol=0.05)


def test_disclosure_flags(pkg, engine):
    data = engine.level()
    parent = pkg.boundaries["delomrade"]["parent"]
    geso_values = engine.level("geso").values  # disclosed: a replacement never carries a protected value
    replaced = data.flags.apply(lambda col: col.str.contains("parent"))
    assert replaced.any().any()
    for code, key in replaced.stack()[lambda s: s].index:
        expected = geso_values.at[parent[code], key]
        assert data.values.at[code, key] == pytest.approx(expected)
        assert data.denominators.at[code, key] < pkg.manifest.min_denominator
    suppressed = data.flags == "suppressed"
    assert suppressed["trangboddhet"].any() and suppressed["lag_inkomststandard"].any()
    assert (data.values[suppressed] == 0).sum().sum() == suppressed.sum().sum()
    assert (data.raw["trangboddhet"][suppressed["trangboddhet"]] < 1.0).all()


def test_ranking_ties_are_broken_by_code():
    from layers.index.engine import rank_desc
    ranks = rank_desc(np.array([0.5, 0.7, 0.5, np.nan]), np.array(["b", "c", "a", "d"]))
    assert list(ranks) == [3, 1, 2, 0]


def test_normalisations(engine):
    z = engine.normalised(None, "zscore")
    assert np.allclose(np.nanmean(z, axis=0), 0, atol=1e-9)
    r = engine.normalised(None, "rank")
    assert np.nanmin(r) >= 0 and np.nanmax(r) == 1  # tied zeros share their average rank
    ratio = engine.normalised(None, "ratio")
    assert np.nanmax(ratio) > 1 > np.nanmin(ratio)
    for method in ("zscore", "rank", "ratio"):
        assert engine.index(normalisation=method).frame()["name"].iloc[0] in {"Herrgården", "Törnrosen", "Örtagården"}
    geo = engine.index(aggregation="geometric")
    assert np.nanmax(geo.index) <= 1 and (geo.index[~np.isnan(geo.index)] >= 0).all()
    with pytest.raises(EngineError, match="geometric mean needs values ≥ 0"):
        engine.index(normalisation="zscore", aggregation="geometric")
    with pytest.raises(EngineError, match="unknown level"):
        engine.index(level="kommun")


def test_a_retired_package_version_is_freed(pkg):
    """Class-level lru_cache on the view-model methods kept every replaced version alive (worker RSS
    +5–7 MiB per publication). The caches belong to the version now."""
    import gc
    import weakref
    from layers.index.engine import Engine
    from layers.output.viewmodel import ViewModels, ViewSettings
    views = ViewModels(Engine(pkg))
    vm = views.view_model(ViewSettings(tuple((k, 1.0) for k in pkg.manifest.indicator_keys), "delomrade"))
    groups = tuple(tuple(m["code"] for m in c["members"]) for c in vm["clusters"])
    views.outlines(groups), views.places_near(groups[0]), views.trend(groups)
    gone = weakref.ref(views), weakref.ref(views.engine)
    del views, vm
    gc.collect()
    assert gone[0]() is None and gone[1]() is None


@pytest.mark.parametrize("normalisation,aggregation", [("minmax", "arithmetic"), ("zscore", "arithmetic"), ("rank", "arithmetic"),
                                                       ("ratio", "arithmetic"), ("minmax", "geometric"), ("rank", "geometric")])
def test_the_single_index_is_draw_0_of_a_batch(engine, normalisation, aggregation):
    """One kernel: the engine's index, ranking and cluster selection are draw 0 of the batch the
    robustness analysis computes (normalise, aggregate, rank_desc, select_columns), ties included."""
    from layers.index.clusters import ClusterSettings, select, select_columns
    from layers.index.engine import rank_desc
    from layers.index.normalise import aggregate, normalise
    weights = {"inte_behorig": 2.0, "trangboddhet": 1.0, "ekonomiskt_bistand": 1.0, "lag_inkomststandard": 0.5}
    nominal = engine.index(weights, "delomrade", normalisation, aggregation)
    w = np.array([nominal.weights[k] for k in engine.keys])
    draws = np.vstack([w, np.random.default_rng(1).dirichlet(20 * w, size=49)])
    x = engine.level("delomrade").values.to_numpy(dtype=float)
    scaled = normalise(np.repeat(x[None], len(draws), axis=0), normalisation, engine.city.to_numpy())  # as with noisy values
    assert np.array_equal(scaled[0], engine.normalised("delomrade", normalisation), equal_nan=True)
    batch = aggregate(scaled, draws, aggregation).T  # areas × draws
    np.testing.assert_allclose(batch[:, 0], nominal.index, rtol=0, atol=1e-12)
    ranks = rank_desc(batch, nominal.codes)
    assert np.array_equal(ranks[:, 0], nominal.rank)
    settings = ClusterSettings()
    selected, core = select_columns(batch, ranks, engine.graph("delomrade", settings.min_shared_m), settings)
    one_selected, one_core = select(nominal, engine.graph("delomrade", settings.min_shared_m), settings)
    assert np.array_equal(selected[:, 0], one_selected) and np.array_equal(core[:, 0], one_core)


def test_rank_normalisation_shares_ties_in_a_batch_as_alone():
    from layers.index.normalise import rank
    x = np.array([[1.0, 5.0], [1.0, np.nan], [3.0, 5.0], [2.0, 4.0]])
    alone = rank(x)
    assert alone[0, 0] == alone[1, 0] == pytest.approx(1 / 6) and np.isnan(alone[1, 1])
    assert np.array_equal(rank(np.stack([x, x, x]))[2], alone, equal_nan=True)

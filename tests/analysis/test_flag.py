"""Thresholds, targets, clusters, hot spots, screening and the priority list."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from quartier.analysis.clusters import explore_clusters
from quartier.analysis.hotspots import hot_spots
from quartier.analysis.priority import PRIORITY_COLUMNS
from quartier.analysis.rules import apply_thresholds, evaluate_targets
from quartier.config import FlagConfig, Target, ThresholdRule
from quartier.errors import InputDataError
from quartier.pipeline.flag import flag_units


def grid(n: int = 7, size: float = 100.0) -> gpd.GeoDataFrame:
    """Generated n×n grid of squares (EPSG:25833), row-major ids."""
    cells = [box(x * size, y * size, (x + 1) * size, (y + 1) * size)
             for y in range(n) for x in range(n)]
    return gpd.GeoDataFrame({"unit_id": [f"{i:03d}" for i in range(n * n)]}, geometry=cells,
                            crs="EPSG:25833").assign(
        x=lambda d: d.centroid.x, y=lambda d: d.centroid.y)


@pytest.fixture(scope="module")
def berlin_flags(berlin, berlin_cfg):
    units, _ = berlin
    return flag_units(units, berlin_cfg)


def test_thresholds_known_answer():
    units = pd.DataFrame({"a": [10.0, 30.0, 25.0, np.nan], "b": [1.0, 2.0, 3.0, 10.0]})
    rules = [ThresholdRule(column="a", value=25.0),
             ThresholdRule(column="b", kind="sd", value=1.0),        # mean 4 + 1·3.54 = 7.54
             ThresholdRule(column="b", kind="quantile", value=0.25, direction="below")]
    out = apply_thresholds(units, rules, {"a": "A-Quote"})
    assert out["rule_a_absolute"].tolist() == [False, True, True, False]
    assert out["rule_b_sd"].tolist() == [False, False, False, True]
    assert out["rule_b_quantile"].tolist() == [True, False, False, False]  # ≤ Q25 = 1.75
    assert out["rule_count"].tolist() == [1, 1, 1, 1]
    assert out["rule_flags"].iloc[1] == "A-Quote ≥ 25,0: 30,0"
    assert "b ≥ 7,5 (Mittel +1,0 SD): 10,0" in out["rule_flags"].iloc[3]


def test_targets_matrix_known_answer():
    units = pd.DataFrame({"unit_id": ["1", "2", "3", "4"], "q": [20.0, 24.5, 30.0, np.nan]})
    out = evaluate_targets(units, [Target(column="q", target=25.0, tolerance=1.0)], {})
    assert out["status"].tolist() == ["Ziel unterschritten", "Ziel erreicht", "Ziel überschritten",
                                      "keine Daten"]
    assert out["on_track"].tolist() == [True, True, False, False]


def test_hot_spot_in_a_corner_is_found():
    g = grid()
    # high values in the 3×3 lower-left corner, noise elsewhere
    rng = np.random.default_rng(0)
    v = rng.normal(0, 0.3, len(g))
    corner = (g["x"] < 300) & (g["y"] < 300)
    v[corner.to_numpy()] += 3
    g["v"] = v
    out = hot_spots(g, "v", permutations=999, seed=1)
    assert out.loc[corner, "hotspot"].eq("Hot Spot").sum() >= 6
    assert out.loc[~corner, "hotspot"].eq("Hot Spot").sum() <= 3
    assert out.loc[corner, "lisa"].eq("Hoch-Hoch").sum() >= 4
    assert out.loc[0, "n_neighbours"] == 3


def test_islands_are_labelled_not_tested():
    g = grid(5)
    island = gpd.GeoDataFrame({"unit_id": ["isl"]}, geometry=[box(5000, 5000, 5100, 5100)],
                              crs=g.crs)
    g = pd.concat([g, island], ignore_index=True)
    g["v"] = np.arange(len(g), dtype=float)
    out = hot_spots(g, "v", permutations=99)
    assert out["hotspot"].iloc[-1] == "keine Nachbarn (Insel)"
    assert out["n_neighbours"].iloc[-1] == 0
    assert np.isfinite(out["gi_z"].iloc[:-1]).all()


def test_unscored_units_not_tested():
    g = grid(4).assign(v=np.arange(16.0))
    valid = pd.Series(True, index=g.index)
    valid[3] = False
    out = hot_spots(g, "v", valid=valid, permutations=99)
    assert out.loc[3, "hotspot"] == "nicht bewertet"


def test_fewer_units_than_clusters_is_clear():
    g = grid(2).assign(a=[1.0, 2, 3, 4], b=[4.0, 1, 2, 3])
    cfg = FlagConfig(cluster_columns=["a", "b"], cluster_k=[5, 6])
    with pytest.raises(InputDataError, match="only 4 units with complete cluster features"):
        explore_clusters(g, cfg, {})


def test_constant_cluster_column_is_clear():
    g = grid(3).assign(a=1.0, b=np.arange(9.0))
    with pytest.raises(InputDataError, match=r"\['a'\] are constant"):
        explore_clusters(g, FlagConfig(cluster_columns=["a", "b"]), {})


def test_clusters_two_obvious_groups():
    g = grid(6)
    left = g["x"] < 300
    rng = np.random.default_rng(3)
    g["a"] = np.where(left, 10, 0) + rng.normal(0, 0.5, len(g))
    g["b"] = np.where(left, 0, 10) + rng.normal(0, 0.5, len(g))
    res = explore_clusters(g, FlagConfig(cluster_columns=["a", "b"], cluster_k=[2, 3, 4]), {})
    assert res.metrics["k_kmeans"] == 2
    lab = res.labels["cluster"]
    assert lab[left].nunique() == 1 and lab[~left].nunique() == 1
    assert res.metrics["stability_ari_mean"] > 0.95
    assert (res.labels["region"][left].nunique(), res.labels["region"][~left].nunique()) == (1, 1)
    assert any(name.startswith("hoch: a") for name in res.names.values())


def test_berlin_priority_contract(berlin_flags, berlin):
    t = berlin_flags.table
    assert list(t.columns[: len(PRIORITY_COLUMNS)]) == PRIORITY_COLUMNS
    assert t["unit_id"].tolist() == berlin[0]["unit_id"].tolist()   # index-aligned
    assert len(t) == 542
    assert t["priority_rank"].notna().sum() == 536
    assert t["priority_rank"].min() == 1
    assert set(t["status_class"].dropna()) == {"hoch", "mittel", "niedrig", "sehr niedrig"}
    numeric = t.select_dtypes("number")
    assert not np.isinf(numeric.to_numpy(dtype=float)).any()
    # one row per unit in the units' order: the rank is a column, not the row order
    top = t.loc[t["priority_rank"] == 1].iloc[0]
    assert top["status_class"] == "sehr niedrig"
    assert top["reasons"].startswith("Status sehr niedrig")
    invalid = t[t["priority_rank"].isna()]
    assert invalid["reasons"].str.startswith("nicht bewertet: ").all()


def test_berlin_hot_spots_and_clusters(berlin_flags):
    t = berlin_flags.table
    assert 10 < (t["hotspot"] == "Hot Spot").sum() < 100
    hot = t[t["hotspot"] == "Hot Spot"]
    # hot spots of deprivation are low-status areas
    assert hot["status_index"].mean() > 1
    m = berlin_flags.clusters.metrics
    assert m["n_clustered"] == 534 and m["n_islands"] == 0
    assert 0 <= m["stability_ari_mean"] <= 1


def test_berlin_single_facility_screening(berlin_flags):
    t = berlin_flags.table.set_index("unit_id")
    touched = t[t["screening"] != ""]
    assert len(touched) >= 1
    assert (touched["ew_2020"] if "ew_2020" in touched else True) is not None
    assert touched["screening"].str.contains("Einzeleinrichtung prüfen").all()
    assert touched["reasons"].str.contains("Einzeleinrichtung prüfen").all()


def test_berlin_context_clusters_against_official_classes(berlin, berlin_flags):
    """The honest validation quoted in the README (the rule is fixed, not tuned)."""
    from quartier.analysis.clusters import compare_with_classes

    units, _ = berlin
    t = berlin_flags.table.sort_index()
    dep = ["k01_jugendarbeitslosigkeit_pct", "k02_alleinerziehende_pct", "k03_altersarmut_pct",
           "k07_auslaender_sgb2_pct"]
    km = compare_with_classes(t["cluster"], t["status_class"], units, dep)
    assert km["n"] == 534
    assert 0.1 < km["ari"] < 0.5          # README: 0.19
    assert km["recall"] > 0.8             # README: 0.91
    assert 0.3 < km["precision"] < 0.8    # README: 0.50


def test_gi_z_equals_binary_getis_ord_and_lisa_p_norm_equals_esda_moments():
    """Known answers from esda: the Gi* z for row-standardised weights, rescaled, is the z of
    the binary-weight Gi* (esda transform "B"); the analytic Local Moran p uses esda's
    conditional-randomisation moments EIc/VIc."""
    import esda
    import scipy.stats
    from libpysal.weights import Queen

    from quartier.analysis.graph import queen_adjacency
    from quartier.analysis.hotspots import getis_ord_z, gi_input, lisa_p_norm

    g = grid(9)
    rng = np.random.default_rng(3)
    y = rng.normal(0, 1, len(g)) + (g["x"].to_numpy() / 300)
    w = Queen.from_dataframe(g, use_index=False, silence_warnings=True)
    yy = gi_input(y)
    row = esda.G_Local(yy, w, transform="R", star=True, permutations=0)
    binary = esda.G_Local(yy, w, transform="B", star=True, permutations=0)
    k = np.asarray(w.cardinalities_array if hasattr(w, "cardinalities_array")
                   else [w.cardinalities[i] for i in w.id_order])
    np.testing.assert_allclose(getis_ord_z(row.Zs, k, len(y)), binary.Zs, rtol=1e-9)

    lm = esda.Moran_Local(y, w, transformation="r", permutations=0)
    z = (y - y.mean()) / y.std()
    i_sokal = lm.Is * len(y) / (len(y) - 1)   # esda scales I by (n − 1)/Σz²; Sokal by 1/m2
    expected = scipy.stats.norm.sf(np.abs((i_sokal - lm.EIc) / np.sqrt(lm.VIc)))
    a = queen_adjacency(g.geometry.values)
    np.testing.assert_allclose(lisa_p_norm(z, a), expected, rtol=1e-9)


def test_labels_switch_to_analytic_p_above_the_cap(monkeypatch):
    from quartier.analysis import hotspots as flag_mod

    g = grid(7)
    rng = np.random.default_rng(0)
    g["v"] = rng.normal(0, 0.3, len(g)) + ((g["x"] < 300) & (g["y"] < 300)).to_numpy() * 3
    valid = pd.Series(True, index=g.index)
    perm = hot_spots(g, "v", valid=valid, permutations=99, seed=1)
    assert perm["p_basis"].eq("Permutation").all()
    assert (perm["gi_p"] == perm["gi_p_sim"]).all()
    monkeypatch.setattr(flag_mod, "PERMUTATION_LABELS_MAX", 10)
    analytic = hot_spots(g, "v", valid=valid, permutations=99, seed=1)
    assert analytic["p_basis"].str.startswith("analytisch").all()
    assert (analytic["gi_p"] == analytic["gi_p_norm"]).all()
    # the same z, the same corner: hot spots where the values are high
    assert analytic.loc[analytic["hotspot"] == "Hot Spot", "gi_z"].min() > 1.96
    forced = hot_spots(g, "v", valid=valid, permutations=99, seed=1, p_mode="permutation")
    assert forced["p_basis"].eq("Permutation").all()


def test_conditional_gi_z_matches_the_permutation_moments_and_ignores_lone_outliers(monkeypatch):
    """The analytic Gi* z under conditional randomisation equals esda's z of the simulations
    (9,999 permutations; Monte Carlo error ~1 %); a lone extreme unit among ordinary neighbours
    is no Hot Spot on the analytic basis (it was with the Getis-Ord z)."""
    import esda
    from libpysal.weights import Queen

    from quartier.analysis import hotspots as flag_mod
    from quartier.analysis.hotspots import gi_conditional_z, gi_input

    g = grid(9)
    rng = np.random.default_rng(5)
    y = rng.normal(0, 1, len(g)) + g["x"].to_numpy() / 400
    w = Queen.from_dataframe(g, use_index=False, silence_warnings=True)
    yy = gi_input(y)
    gi = esda.G_Local(yy, w, transform="R", star=True, permutations=9999, seed=1)
    k = np.array([w.cardinalities[i] for i in w.id_order])
    np.testing.assert_allclose(gi_conditional_z(gi.Zs, yy, k), gi.z_sim, rtol=0.05, atol=0.05)

    monkeypatch.setattr(flag_mod, "PERMUTATION_LABELS_MAX", 10)
    lone = grid(11).assign(v=lambda d: np.random.default_rng(2).normal(0, 0.2, len(d)))
    lone.loc[60, "v"] = 25.0   # the centre cell, its 8 neighbours ordinary
    out = hot_spots(lone, "v", permutations=99, seed=1)
    assert out.loc[60, "gi_z"] > 1.96          # Getis-Ord z: its own value makes it "hot"
    assert out.loc[60, "hotspot"] == "–"       # but no cluster: not a Hot Spot
    # its 8 neighbours each have the extreme value among their neighbours: Gi* finds them
    ring = [48, 49, 50, 59, 61, 70, 71, 72]
    assert sorted(out.index[out["hotspot"].eq("Hot Spot")]) == ring


# ------------------------------------------------------------------ issue 20: trust, second round


def test_unknown_flag_class_is_a_config_error_with_the_closest_label(berlin_cfg):
    """Issue 20.4: flag_classes = ["sehr Niedrig"] (a case slip) flagged 46 units instead of 95."""
    from quartier.config import parse_config
    from quartier.errors import ConfigError

    raw = berlin_cfg.model_dump(mode="json", exclude_none=True)
    raw["priority"] = {"flag_classes": ["niedrig", "sehr Niedrig"]}
    with pytest.raises(ConfigError) as err:
        parse_config(raw, berlin_cfg.base_dir)
    msg = str(err.value)
    assert "priority.flag_classes" in msg and "'sehr Niedrig'" in msg
    assert "did you mean 'sehr niedrig'?" in msg
    assert "hoch, mittel, niedrig, sehr niedrig" in msg and "index.status_labels" in msg
    raw["priority"] = {"flag_classes": ["niedrig", "sehr niedrig"]}
    assert parse_config(raw, berlin_cfg.base_dir).priority.flag_classes == ["niedrig",
                                                                           "sehr niedrig"]


def test_flag_classes_of_a_config_built_in_code_are_checked_too(berlin, berlin_cfg):
    from quartier.errors import ConfigError

    units, _ = berlin
    cfg = berlin_cfg.model_copy(update={"priority": berlin_cfg.priority.model_copy(
        update={"flag_classes": ["sehr Niedrig"]})})
    with pytest.raises(ConfigError, match="did you mean 'sehr niedrig'"):
        flag_units(units, cfg)


def test_no_hot_spot_test_on_a_handful_of_units():
    """Issue 20.7: 4 units in a row gave Cold Spots at pseudo p = 0.001, although each unit's
    neighbours can be drawn in only 3 ways (the permutation null has 3 distinct values)."""
    from tests.conftest import tiny_units

    units = tiny_units().assign(v=[1.0, 2.0, 3.0, 4.0])
    out = hot_spots(units, "v", permutations=999, seed=42)
    assert out["hotspot"].eq("kein Test möglich").all()
    assert out["lisa"].eq("").all() and out["gi_p"].isna().all()
    assert out["p_basis"].str.contains("nur 4 Einheiten mit Nachbarn").all()
    assert out["p_basis"].str.contains("nur 3 mögliche Nachbarmengen bei 999 Permutationen").all()


def test_units_with_too_few_neighbour_sets_are_not_labelled():
    """7 × 7 grid with 99 permutations: every unit has at least C(48, 3) = 17,296 neighbour
    sets, all tested; with 20,000 permutations the corners (3 neighbours) are not."""
    g = grid(7)
    rng = np.random.default_rng(0)
    g["v"] = rng.normal(0, 0.3, len(g)) + ((g["x"] < 300) & (g["y"] < 300)).to_numpy() * 3
    valid = pd.Series(True, index=g.index)
    assert not hot_spots(g, "v", valid=valid, permutations=99, seed=1)["hotspot"].eq("kein Test möglich").any()
    many = hot_spots(g, "v", valid=valid, permutations=20_000, seed=1)
    corners = many["n_neighbours"].eq(3)
    assert many.loc[corners, "hotspot"].eq("kein Test möglich").all()
    assert not many.loc[~corners, "hotspot"].eq("kein Test möglich").any()


def test_flag_says_when_no_hot_spot_test_is_possible(tmp_path):
    from quartier.pipeline.load import load_city
    from tests.conftest import tiny_config

    csv = "ID;EW;SGB2;ALG\n001;1000;10,5;3\n002;2000;20,0;4\n003;500;5,25;5\n004;800;12,0;7\n"
    cfg = tiny_config(tmp_path, csv=csv, table={"columns": {
        "EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct"}, "ALG": {"name": "alg"}}},
        index={"status": [{"column": "share_sgb2_pct"}, {"column": "alg"}], "min_population": 0})
    units, _ = load_city(cfg)
    result = flag_units(units, cfg)
    assert result.table["hotspot"].eq("kein Test möglich").all()
    assert any("kein Hot-Spot-Test möglich" in n and "4 Einheiten" in n for n in result.notes)
    assert result.table["notes"].str.contains("kein Hot-Spot-Test möglich").all()


def test_flag_notes_follow_the_language(tmp_path):
    """The flag's notes come from the notes vocabulary: German by default, English in an
    English block (a job runs in ``city.language``), the reasons of the hot-spot layer too."""
    from quartier import vocab
    from quartier.pipeline.load import load_city
    from tests.conftest import tiny_config

    csv = "ID;EW;SGB2;ALG\n001;1000;10,5;3\n002;2000;20,0;4\n003;500;5,25;5\n004;800;12,0;7\n"
    cfg = tiny_config(tmp_path, csv=csv, table={"columns": {
        "EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct"}, "ALG": {"name": "alg"}}},
        index={"status": [{"column": "share_sgb2_pct"}, {"column": "alg"}], "min_population": 0})
    units, _ = load_city(cfg)
    assert flag_units(units, cfg).notes == [
        "kein Hot-Spot-Test möglich für 4 Einheiten (nur 4 Einheiten mit Nachbarn (mindestens "
        "10); nur 3 mögliche Nachbarmengen bei 999 Permutationen): sie sind weder Hot noch "
        "Cold Spot"]
    with vocab.use_language("en"):
        result = flag_units(units, cfg)
    assert result.notes == [
        "no hot-spot test possible for 4 units (only 4 units with neighbours (at least 10); only "
        "3 possible sets of neighbours for 999 permutations): they are neither a hot nor a cold "
        "spot"]
    # the category stays the table's value; the explanation after it is in the language
    assert result.table["p_basis"].str.startswith("kein Test möglich: only 4 units").all()

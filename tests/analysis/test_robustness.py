"""Rank robustness (uncertainty and sensitivity analysis of the priority): known answers on
hand-made cities, and the real Berlin data."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from quartier.analysis import composite as C
from quartier.analysis import robustness as R
from quartier.analysis import robustness_table as T
from quartier.errors import InputDataError
from quartier.outputs.robustness import interval_chart_svg
from quartier.pipeline.flag import flag_units
from quartier.pipeline.steps import compute_robustness
from tests.conftest import tiny_config, tiny_units

WEIGHTS = {"status": 1.0, "dynamics": 0.5, "hotspot": 0.5, "rule": 0.25}
RANGES = {w: (0.5 * v, 1.5 * v) for w, v in WEIGHTS.items()}


def hand_made(n: int = 20):
    """GENERATED: status 0, 10, …, 190 (evenly spaced), dynamics 0 except unit 5 ("jumper"),
    whose rank therefore depends on the dynamics weight; no hot spots, no rules."""
    status = np.arange(n, dtype=float)[:, None] * 10
    dyn = np.zeros((n, 1))
    dyn[5, 0] = 1.0
    return dict(
        status=C.Composite(values=status, weights=np.array([1.0]), names=["S"],
                           thresholds=[-1.0, 1.0, 1.5]),
        dynamics=[("pp", C.Composite(values=dyn, weights=np.array([1.0]), names=["D"],
                                     thresholds=[-1.0, 1.0]))],
        hotspot=np.zeros(n, dtype=bool), rules=np.zeros(n), ids=[f"{i:03d}" for i in range(n)],
        weights=WEIGHTS, ranges=RANGES, flag=C.FlagRule(status_codes=(2, 3)))


def test_fixed_choices_collapse_to_the_default_rank():
    res = R.rank_robustness(**hand_made(), vary=(), draws=200)
    u = res.units
    assert (u["rank_p05"] == u["rank_default"]).all() and (u["rank_p95"] == u["rank_default"]).all()
    assert (u["rank_median"] == u["rank_default"]).all()
    assert set(u["flagged_share_pct"]) <= {0.0, 100.0}
    assert (u["flagged_share_pct"].eq(100) == u["flagged_default"]).all()
    # default: status 190 first … status 0 last; the jumper (status 50) with its dynamics bonus
    # 0.5 · 4.36 SD passes 12 units: rank 2
    assert u["rank_default"].iloc[19] == 1 and u["rank_default"].iloc[5] == 2
    assert res.choices.empty


def test_a_rank_that_depends_on_a_weight_has_a_wide_interval_the_others_narrow():
    res = R.rank_robustness(**hand_made(), vary=("weights",), draws=1000, seed=7)
    u = res.units
    width = (u["rank_p95"] - u["rank_p05"]).astype(int)
    assert width.iloc[5] >= 4                        # the jumper moves with w_dynamics
    assert width.drop(index=5).max() <= 1            # everyone else at most by the jumper
    shares = res.choices.set_index("variant")["first_order_rank_pct"]
    dyn_share = shares[shares.index.str.startswith("Gewicht Dynamik")].iloc[0]
    status_share = shares[shares.index.str.startswith("Gewicht Status")].iloc[0]
    assert dyn_share > 20 and status_share > 20       # the ratio w_d / w_s decides
    assert u["rank_main_choice"].iloc[5].startswith("Gewicht")


def test_same_seed_same_result_other_seed_other_draws():
    a = R.rank_robustness(**hand_made(), draws=300, seed=3)
    b = R.rank_robustness(**hand_made(), draws=300, seed=3)
    c = R.rank_robustness(**hand_made(), draws=300, seed=4)
    pd.testing.assert_frame_equal(a.units, b.units)
    pd.testing.assert_frame_equal(a.choices, b.choices)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    assert not a.draws["w_status"].equals(c.draws["w_status"])
    # the block size changes the memory, never the result
    d = R.rank_robustness(**hand_made(), draws=300, seed=3, block=7)
    pd.testing.assert_frame_equal(a.units, d.units)


def test_without_dynamics_the_choice_is_skipped_and_said():
    case = hand_made()
    case["dynamics"] = ()
    res = R.rank_robustness(**case, draws=100)
    skipped = res.choices[res.choices["note"].str.startswith("übersprungen")]
    assert set(skipped["choice"]) >= {"Dynamik an/aus", "Gewicht Dynamik",
                                      "Dynamik in Prozentpunkten oder bereinigt"}
    assert skipped["flag_added"].isna().all()        # missing stays missing
    assert any("Dynamik an/aus übersprungen" in n for n in res.notes)
    assert "ohne Dynamik" not in set(res.choices["variant"])


def test_choices_without_effect_are_skipped_and_undefined_shares_stay_empty():
    """No hot spot, no rule hit, no dynamics: those choices are skipped with the reason; the
    status weight alone never changes a rank, so the variance shares are undefined, not 0."""
    case = hand_made()
    case["dynamics"] = ()
    res = R.rank_robustness(**case, vary=("weights", "hotspot"), draws=100)
    notes = " ".join(res.choices["note"])
    assert "kein Hot Spot" in notes and "keine Grenzwertregel getroffen" in notes
    assert (res.units["rank_p05"] == res.units["rank_p95"]).all()
    status = res.choices[res.choices["choice"] == "Gewicht Status"]
    assert len(status) == 2 and status["first_order_rank_pct"].isna().all()
    assert any("ändern sich in keiner Variante" in n for n in res.notes)


def test_normalisations_and_composite_known_answers():
    x = np.array([[1.0, 10.0], [2.0, 10.0], [4.0, 40.0]])
    np.testing.assert_allclose(C.normalise(x, "minmax")[:, 0], [0, 1 / 3, 1])
    np.testing.assert_allclose(C.normalise(x, "rank")[:, 1], [1.5, 1.5, 3])
    z = C.normalise(x, "z")
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1)
    idx = C.composite(x, np.array([1.0, -1.0]), how="z", leave=1)
    np.testing.assert_allclose(idx, z[:, 0] / z[:, 0].std())
    assert list(C.class_codes(np.array([-1.5, -1.0, 1.0, 1.2, 1.5, 1.6]), [-1, 1, 1.5])) == \
        [0, 1, 1, 2, 2, 3]
    with pytest.raises(InputDataError, match="constant"):
        C.normalise(np.ones((3, 1)), "z")


def test_interval_chart_escapes_names():
    evil = "<script>alert(1)</script>{{7*7}}"
    units = pd.DataFrame({"rank_default": [1, 2], "rank_median": [1, 2], "rank_p05": [1, 1],
                          "rank_p95": [2, 3], "flagged_share_pct": [100.0, 40.0]},
                         index=pd.Index(["a", evil], name="unit_id"))
    svg = interval_chart_svg(units, pd.Series([evil, "B"], index=units.index), top_n=1)
    assert "<script" not in svg and "{{" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == 2 and "Listenlänge 1" in svg
    assert T.sentence(3, 2, 5, 100.0) == ("Rang 3, in 90 % der Varianten zwischen 2 und 5; in "
                                          "100 % der Varianten gekennzeichnet")
    assert T.sentence(3, 2, 5, 99.6).endswith("in über 99 % der Varianten gekennzeichnet")
    assert T.sentence(pd.NA, 1, 2, 0.0) == ""


# ------------------------------------------------------------------------------------- Berlin


@pytest.fixture(scope="module")
def berlin_robust(berlin, berlin_cfg):
    units, _ = berlin
    flags = flag_units(units, berlin_cfg)
    rob = compute_robustness(berlin_cfg, flags, lambda _m: None)
    return flags, rob


def test_berlin_default_variant_is_the_priority_list(berlin_robust):
    flags, rob = berlin_robust
    t = flags.table
    u = rob.units
    assert len(u) == 536
    assert (u["rank_default"] == t.loc[u.index, "priority_rank"]).all()
    assert (u["flagged_default"] == t.loc[u.index, "flagged"]).all()
    assert rob.top_n == 95
    # every existing column kept, the new ones added; unscored units stay empty
    assert list(t.columns[-len(R.UNIT_COLUMNS):]) == R.UNIT_COLUMNS
    invalid = t[t["priority_rank"].isna()]
    assert len(invalid) == 6 and invalid[R.UNIT_COLUMNS[:5]].isna().all().all()
    assert (u["rank_p05"] <= u["rank_median"]).all() and (u["rank_median"] <= u["rank_p95"]).all()


def test_berlin_robust_and_fragile_flags(berlin_robust):
    """The figures of the README (1,000 draws, seed 42)."""
    flags, rob = berlin_robust
    t = flags.table
    scored = t[t["priority_rank"].notna()]
    groups = T.robust_groups(scored["flagged"], scored["flagged_share_pct"])
    assert (len(groups["robust"]), len(groups["fragile"]), len(groups["unflagged_robust"])) == \
        (86, 9, 0)
    fragile = sorted(scored.loc[groups["fragile"], "unit_id"])
    assert fragile == ["01400937", "01400938", "01400942", "02300315", "02400625", "07601339",
                       "08100103", "11300616", "12100103"]
    c = rob.choices.set_index("variant")
    # the flag (status classes) does not depend on the weights at all
    assert c.loc[c.index.str.startswith("Gewicht"), ["flag_added", "flag_removed"]].eq(0).all().all()
    assert c.loc["Ränge", "flag_added"] == 19
    assert c.loc["ohne Dynamik", "first_order_rank_pct"] == pytest.approx(64.3, abs=0.1)
    assert any("1.000 Varianten (seed 42)" in n for n in flags.notes)


def test_berlin_all_fixed_collapses(berlin_robust, berlin_cfg):
    flags, _ = berlin_robust
    cfg = berlin_cfg.model_copy(update={"priority": berlin_cfg.priority.model_copy(
        update={"robustness_vary": [], "robustness_draws": 50})})
    again = dataclasses.replace(flags, table=flags.table.drop(columns=R.UNIT_COLUMNS),
                                notes=list(flags.notes))
    rob = compute_robustness(cfg, again, lambda _m: None)
    u = rob.units
    assert (u["rank_p05"] == u["rank_default"]).all() and (u["rank_p95"] == u["rank_default"]).all()


def test_cli_robustness_on_a_tiny_city(tmp_path):
    from typer.testing import CliRunner

    from quartier.cli import app

    units = tiny_units(6)
    csv = ("ID;EW;SGB2;ALT\n001;1000;10,5;3\n002;2000;20,0;4\n003;500;5,25;2\n004;800;12,0;9\n"
           "005;900;30,0;1\n006;700;8,0;5\n")
    cfg = tiny_config(tmp_path, units=units, csv=csv,
                      table={"columns": {"EW": {"name": "ew"}, "SGB2": {"name": "sgb2_pct"},
                                         "ALT": {"name": "alt_pct"}}},
                      index={"status": [{"column": "sgb2_pct"}, {"column": "alt_pct"}],
                             "min_population": 0},
                      flag={"cluster_columns": [], "permutations": 99})
    assert cfg.index is not None
    toml = tmp_path / "quartier.toml"
    import tomli_w
    raw = cfg.model_dump(mode="json", exclude={"base_dir"}, exclude_none=True)
    toml.write_text(tomli_w.dumps(raw), encoding="utf-8")
    res = CliRunner().invoke(app, ["robustness", str(toml), "--out", str(tmp_path / "o"),
                                   "--draws", "200", "--seed", "5"])
    assert res.exit_code == 0, res.output
    assert "robustness (200 variants, seed 5)" in res.output
    per_unit = pd.read_csv(tmp_path / "o" / "robustness.csv", encoding="utf-8-sig",
                           dtype={"unit_id": str})
    assert len(per_unit) == 6 and per_unit["robustness"].str.startswith("Rang ").all()
    choices = pd.read_csv(tmp_path / "o" / "robustness_choices.csv", encoding="utf-8-sig")
    assert "übersprungen: keine Dynamik-Indikatoren" in set(choices["note"].dropna())
    prio = pd.read_csv(tmp_path / "o" / "priority.csv", encoding="utf-8-sig")
    assert {"rank_median", "rank_p05", "rank_p95", "flagged_share_pct"} <= set(prio.columns)
    bad = CliRunner().invoke(app, ["robustness", str(toml), "--out", str(tmp_path / "o"),
                                   "--draws", "0"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_rank_rows_equals_a_stable_sort_with_ties():
    rng = np.random.default_rng(1)
    for _ in range(100):
        n, b = int(rng.integers(2, 60)), int(rng.integers(1, 5))
        score = rng.integers(0, 5, (b, n)).astype(float)
        ranks = C.rank_rows(score)
        for i in range(b):
            ref = np.empty(n, dtype=int)
            ref[np.argsort(-score[i], kind="stable")] = np.arange(1, n + 1)
            assert (ranks[i] == ref).all()


def test_flag_rules_in_the_variants_match_the_priority(berlin_robust, berlin_cfg):
    """The attention rule and the top-x % rule, evaluated on the default variant, flag what
    flag.priority flags."""
    flags, _ = berlin_robust
    t = flags.table
    ix, p = berlin_cfg.index, berlin_cfg.priority
    kw = dict(status=[(r.name, 1.0) for r in ix.status], status_thresholds=ix.status_thresholds,
              status_labels=ix.status_labels, flag_classes=[],
              weights={w: getattr(p, f"{w}_weight") for w in R.WEIGHTS},
              ranges={w: p.weight_range(w) for w in R.WEIGHTS},
              dynamics=[(r.name, 1.0) for r in ix.dynamics],
              dynamics_thresholds=ix.dynamics_thresholds, draws=200)
    att = T.robustness_of_table(t, flag_attention=True, **kw).units
    sub = t.loc[att.index]
    expected = sub["status_class"].isin(["niedrig", "sehr niedrig"]) | (
        sub["status_class"].eq("mittel") & sub["dynamics_class"].eq("negativ"))
    assert (att["flagged_default"] == expected.to_numpy()).all() and expected.sum() == 129
    top = T.robustness_of_table(t, flag_top_pct=10, **kw).units
    assert (top["flagged_default"] == (sub["priority_rank"] <= 54).to_numpy()).all()
    assert top["flagged_default"].sum() == 54                      # ceil(536 · 10 %)

"""Residual dynamics (free of regression to the mean) and MSS's attention rule: known answers
and the real Berlin data (the official pp dynamics and classes stay as published)."""

import numpy as np
import pandas as pd
import pytest

from quartier.analysis.dynamics import attention, residual_change, sign_flip_share, theil_sen_line
from quartier.config import load_config, parse_config
from quartier.errors import ConfigError, InputDataError
from quartier.paths import BERLIN_CONFIG
from quartier.pipeline.flag import flag_units
from tests.conftest import tiny_config


def test_theil_sen_and_residual_known_answers():
    x = np.arange(10.0)
    y = 2 + 3 * x
    y[9] = 500                                       # one wild unit does not tilt the line
    a, b = theil_sen_line(x, y)
    assert (a, b) == pytest.approx((2.0, 3.0))
    r, a2, b2 = residual_change(x, y)
    assert r[:9] == pytest.approx(np.zeros(9)) and r[9] == pytest.approx(500 - 29)
    r, _, _ = residual_change(np.r_[x, np.nan], np.r_[y, 1.0])
    assert np.isnan(r[-1])                            # missing stays missing
    r, a3, b3 = residual_change(x[:9], y[:9], method="huber")
    assert (a3, b3) == pytest.approx((2.0, 3.0), abs=1e-4)
    assert sign_flip_share([1.0, -1.0, 2.0, np.nan], [1.0, 1.0, -2.0, 5.0]) == pytest.approx(2 / 3)


def test_attention_rule_known_answer():
    status = pd.Series(["hoch", "mittel", "mittel", "niedrig", "sehr niedrig", None])
    dyn = pd.Series(["negativ", "negativ", "stabil", "positiv", "stabil", "negativ"])
    hit, text = attention(status, dyn, status_labels=["hoch", "mittel", "niedrig", "sehr niedrig"],
                          dynamics_labels=["positiv", "stabil", "negativ"])
    assert hit.tolist() == [False, True, False, True, True, False]
    assert text[1] == "Aufmerksamkeitsbedarf (Status mittel, Dynamik negativ)"
    assert text[3] == "Aufmerksamkeitsbedarf (Status niedrig)"


def test_config_refuses_what_cannot_work(tmp_path):
    base = {"status": [{"column": "share_sgb2_pct"}], "min_population": 0}
    with pytest.raises(ConfigError, match="not dynamics indicators"):
        tiny_config(tmp_path, index={**base, "dynamics_levels": {"x": "share_sgb2_pct"}})
    with pytest.raises(ConfigError, match="needs dynamics indicators"):
        tiny_config(tmp_path, index={**base, "dynamics_method": "residual"})
    with pytest.raises(ConfigError, match="flag_attention"):
        tiny_config(tmp_path, index=base, priority={"flag_attention": True})
    with pytest.raises(ConfigError, match="low ≤ high"):
        tiny_config(tmp_path, index=base, priority={"status_weight_range": [2.0, 1.0]})


def test_residual_dynamics_without_base_level_is_an_error(tiny):
    cfg, (units, _) = tiny(index={"status": [{"column": "share_sgb2_pct"}], "min_population": 0,
                                  "dynamics": [{"column": "ew"}], "dynamics_method": "residual"},
                           flag={"cluster_columns": [], "permutations": 99})
    with pytest.raises(InputDataError, match="dynamics_levels"):
        flag_units(units, cfg)


def test_berlin_dynamics_adjusted_and_attention(berlin, berlin_cfg):
    """pp stays the official dynamics (classes pinned elsewhere); the residual reading flips the
    sign of the dynamics index for 14.2 % of the units; the attention rule adds the 34 units of
    status mittel with negative dynamics, as the published combined codes say ("2-")."""
    units, _ = berlin
    # no clusters, few permutations: the classes and dynamics do not depend on them
    light = berlin_cfg.flag.model_copy(update={"cluster_columns": [], "permutations": 99})
    berlin_cfg = berlin_cfg.model_copy(update={"flag": light})
    t = flag_units(units, berlin_cfg).table
    valid = t["valid"]
    assert t.loc[valid, "dynamics_sign_flip"].mean() == pytest.approx(0.142, abs=0.001)
    assert t.loc[valid, "resid_d1_arbeitslosigkeit_pp"].notna().all()
    cfg = berlin_cfg.model_copy(update={
        "priority": berlin_cfg.priority.model_copy(update={"flag_attention": True}),
        "index": berlin_cfg.index.model_copy(update={"dynamics_method": "residual"})})
    t2 = flag_units(units, cfg).table.sort_index()
    pd.testing.assert_series_equal(t2["status_class"], t.sort_index()["status_class"])
    pd.testing.assert_series_equal(t2["dynamics_index_pp"], t.sort_index()["dynamics_index"],
                                   check_names=False)
    assert (t2.loc[t2["valid"], "dynamics_index"] ==
            t2.loc[t2["valid"], "dynamics_index_adjusted"]).all()
    official = pd.read_csv(BERLIN_CONFIG.parent / "mss/mss_2021_indizes_plr.csv", dtype={"PLR_ID": str})
    expected = set(official.loc[official["SI_N"].isin([3, 4]) | official["SDI"].eq("2-"), "PLR_ID"])
    cfg_pp = berlin_cfg.model_copy(update={"priority": berlin_cfg.priority.model_copy(
        update={"flag_attention": True})})
    t3 = flag_units(units, cfg_pp).table
    assert set(t3.loc[t3["flagged"], "unit_id"]) == expected and len(expected) == 129
    assert t3["flag_reason"].eq("Aufmerksamkeitsbedarf (Status mittel, Dynamik negativ)").sum() == 34


def test_berlin_config_keeps_pp_as_official():
    cfg = load_config(BERLIN_CONFIG)
    assert cfg.index.dynamics_method == "pp" and not cfg.priority.flag_attention
    assert parse_config({"city": {"name": "x"}}, BERLIN_CONFIG.parent).priority.robustness_draws == 1000


def test_degenerate_base_levels_pp_says_why_residual_refuses(tiny):
    """Every unit started at the same level: no line of change on base level. With pp (asked)
    the residual extra is absent and the notes say why; with residual it is an error."""
    csv = "ID;EW;L;D\n001;1000;10;5\n002;2000;20;15\n003;500;7;2\n004;800;9;4\n"
    table = {"columns": {"EW": {"name": "ew"}, "L": {"name": "level_pct"}, "D": {"name": "change_pp"}}}
    index = {"status": [{"column": "level_pct"}], "dynamics": [{"column": "change_pp"}],
             "dynamics_levels": {"change_pp": "level_pct"}, "min_population": 0}
    cfg, (units, _) = tiny(csv=csv, table=table, index=index,
                           flag={"cluster_columns": [], "permutations": 99})
    res = flag_units(units, cfg)
    assert any(n.startswith("bereinigte Dynamik nicht berechnet: Theil–Sen") for n in res.notes)
    assert "dynamics_index_adjusted" not in res.table
    cfg2 = cfg.model_copy(update={"index": cfg.index.model_copy(update={"dynamics_method": "residual"})})
    with pytest.raises(InputDataError, match="every base level is the same"):
        flag_units(units, cfg2)

"""Does the 2019 priority predict the 2021 status classes? Known answers of the measures, and
the Berlin backtest whose figures the README states (MSS 2019 carried onto the 542 PLR)."""

import numpy as np
import pytest

from quartier.analysis import backtest, monitor
from quartier.analysis.indicators import compute_index
from quartier.io.series import read_old_units
from quartier.paths import BERLIN_CONFIG


def test_measures_known_answers():
    y = np.array([1, 1, 0, 0, 0], dtype=bool)
    assert backtest.roc_auc([5, 4, 3, 2, 1], y) == 1.0
    assert backtest.roc_auc([1, 2, 3, 4, 5], y) == 0.0
    assert backtest.roc_auc([1, 1, 1, 1, 1], y) == 0.5            # ties count half
    assert np.isnan(backtest.roc_auc([1, 2], [True, True]))         # no negatives: undefined
    ids = ["e", "d", "c", "b", "a"]
    assert backtest.precision_at([1, 1, 1, 0, 0], y, ids, k=2) == 0.5   # ties by id: c, d
    assert backtest.precision_at([3, 2, 1, 0, 0], y, ids, k=2) == 1.0
    # Hanley & McNeil by hand: Q1 = 0.6, Q2 = 0.642857, SE² = 25.3018 / 9000
    lo, hi = backtest.auc_interval(0.75, 30, 300)
    assert (lo, hi) == pytest.approx((0.75 - 1.96 * 0.053022, 0.75 + 1.96 * 0.053022), abs=1e-5)


@pytest.fixture(scope="module")
def berlin_backtest(berlin, berlin_cfg):
    units, _ = berlin
    t = compute_index(units, berlin_cfg.index, population_column=berlin_cfg.population_column)
    old = read_old_units(berlin_cfg.monitor, crs=berlin_cfg.city.crs)
    pieces = monitor.piece_weights(old, units, berlin_cfg.resolve(berlin_cfg.monitor.weight_raster))
    mss = BERLIN_CONFIG.parent / "mss"
    m19 = backtest.read_mss2019(mss / "mss_2019_index_indikatoren_anteile_oldplr447.csv",
                                mss / "mss_2019_indizes_oldplr447.csv")
    new = backtest.carry_to_new_units(m19, pieces, units["unit_id"])
    return m19, backtest.mss_backtest(units, t["status_class"], t["status_index"], t["valid"], new)


def test_berlin_mss2019_invalid_units_are_missing_not_zero(berlin_backtest):
    m19, _ = berlin_backtest
    assert len(m19) == 447 and m19["s1"].notna().sum() == 436
    assert m19.loc["01011102", ["s1", "d4"]].isna().all()            # Großer Tiergarten, 196 EW


def test_berlin_backtest_figures(berlin_backtest):
    """README, "Wie belastbar ist die Rangfolge?": over two years nothing predicts a class fall
    better than chance."""
    _, bt = berlin_backtest
    t = bt.table
    assert len(t) == 535 and int(t["fell"].sum()) == 33
    m = bt.metrics.set_index(["units", "predictor"])
    auc = m["auc"]
    expected = {
        ("alle", "Status 2019 allein"): 0.457,
        ("alle", "Dynamik 2019 in Prozentpunkten"): 0.546,
        ("alle", "Dynamik 2019 bereinigt (Ausgangsniveau)"): 0.519,
        ("alle", "Priorität 2019 mit Dynamik in Prozentpunkten"): 0.482,
        ("alle", "Priorität 2019 mit bereinigter Dynamik"): 0.476,
        ("ohne Status sehr niedrig 2019", "Dynamik 2019 in Prozentpunkten"): 0.516,
        ("ohne Status sehr niedrig 2019", "Dynamik 2019 bereinigt (Ausgangsniveau)"): 0.530,
        ("ohne Status sehr niedrig 2019", "Priorität 2019 mit Dynamik in Prozentpunkten"): 0.525,
    }
    for key, value in expected.items():
        assert auc[key] == pytest.approx(value, abs=0.0005), key
    top = m["precision_top50"]
    assert top[("alle", "Status 2019 allein")] == 0.02
    assert top[("alle", "Dynamik 2019 in Prozentpunkten")] == 0.04
    assert top[("alle", "Dynamik 2019 bereinigt (Ausgangsniveau)")] == 0.06
    assert top[("ohne Status sehr niedrig 2019", "Priorität 2019 mit Dynamik in Prozentpunkten")] == 0.22
    rho = m["spearman_status_change"]
    assert rho[("alle", "Dynamik 2019 in Prozentpunkten")] == pytest.approx(0.112, abs=0.0005)
    assert rho[("alle", "Status 2019 allein")] == pytest.approx(-0.177, abs=0.0005)
    assert bt.flip_pct == pytest.approx(32.0, abs=0.05)
    # every interval holds 0.5: no score is distinguishable from chance
    assert (m["auc_low"] < 0.5).all() and (m["auc_high"] > 0.5).all()

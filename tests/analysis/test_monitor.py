"""Monitoring over time: Berlin rents and population, boundary change, Leipzig, bad input."""

import numpy as np
import pandas as pd
import pytest

from quartier.analysis import monitor
from quartier.config import MonitorTarget, load_config
from quartier.errors import ConfigError, InputDataError
from quartier.paths import BERLIN_CONFIG
from quartier.pipeline.load import load_city
from quartier.pipeline.steps import compute_monitor, monitoring_series
from tests.conftest import LEIPZIG_CONFIG, tiny_config


@pytest.fixture(scope="module")
def berlin_monitor(berlin, berlin_cfg):
    units, _ = berlin
    return units, compute_monitor(berlin_cfg, units, None, lambda _m: None)


def test_berlin_rents_every_year_for_542_units(berlin_monitor):
    units, res = berlin_monitor
    rents = res.long[res.long["indicator"] == "angebotsmiete_eur_m2"]
    assert sorted(rents["year"].unique()) == list(range(2012, 2025))
    assert rents.groupby("year")["unit_id"].nunique().eq(542).all()
    few = rents["quality_flag"].str.startswith("zu wenige")
    assert few.sum() > 0 and rents.loc[few, "value"].isna().all()  # reported, not used
    assert any("zu wenigen Fällen" in n and "2024: 132" in n for n in res.notes)
    # README figures, computed by the tool
    assert res.city_rent[2012] == pytest.approx(6.92) and res.city_rent[2024] == pytest.approx(15.00)


def test_berlin_boundary_interpolation_keeps_bezirk_totals(berlin_monitor):
    _, res = berlin_monitor
    est = monitor.wide(res.long, "einwohner_mss")[2018]
    mss19 = pd.read_csv(BERLIN_CONFIG.parent / "mss/mss_2019_index_indikatoren_anteile_oldplr447.csv",
                        dtype={"id": str})
    old = mss19.groupby(mss19["id"].str[:2])["inhabitants"].sum()
    new = est.groupby(est.index.str[:2]).sum()
    assert ((new / old - 1).abs() < 0.01).all()
    assert est.notna().sum() == 542


def test_berlin_signals_and_targets(berlin_monitor):
    _, res = berlin_monitor
    sig = res.signals
    assert set(sig["market"]) <= {"angespannt", "entspannt", "mittel", "keine Daten"}
    assert sig["milieuschutz_share_pct"].between(0, 100.01).all()
    assert sig["milieuschutz_share_pct"].gt(50).sum() > 20
    assert sig["leerstand_zensus2011_pct"].notna().sum() > 500
    city = res.targets[res.targets["unit_id"] == "Stadt"]
    rent = city[city["indicator"] == "angebotsmiete_eur_m2"].set_index("year")
    # city median rose 6.92 → 7.49 (8.2 %) in 2013: target "≤ 3 % a year" exceeded
    assert rent.loc[2013, "status"] == "Ziel überschritten"
    assert rent.loc[2020, "status"] == "Ziel erreicht"  # 10.44 → 10.16


def test_leipzig_series_2000_2023():
    cfg = load_config(LEIPZIG_CONFIG)
    units, _ = load_city(cfg)
    res = compute_monitor(cfg, units, None, lambda _m: None)
    pop = monitor.wide(res.long, "einwohner")
    assert pop.shape == (63, 24) and pop.columns.min() == 2000 and pop.columns.max() == 2023
    assert monitor.wide(res.long, "arbeitslose").shape[0] == 63
    assert monitor.wide(res.long, "sgb2_quote_pct").columns.min() == 2008


def _series_cfg(tmp_path, csv, **series):
    (tmp_path / "s.csv").write_text(csv, encoding="utf-8")
    base = {"indicator": "miete", "path": "s.csv", "key": "ID", "id_width": 3, "sep": ";",
            "decimal": ",", "year_column": "Jahr", "value_column": "Wert"}
    base.update(series)
    return tiny_config(tmp_path, monitor={"series": [base]})


def test_bad_series_input(tmp_path):
    csv = ("ID;Jahr;Wert\n001;2020;10,0\n001;2021;0\n002;2020;-3\n002;2021;11,5\n"
           "003;2020;9,0\n999;2020;8,0\n")
    cfg = _series_cfg(tmp_path, csv, positive=True)
    units, _ = load_city(cfg)
    long, notes = monitoring_series(cfg.monitor, units)
    t = long.set_index(["unit_id", "year"])
    assert np.isnan(t.loc[("001", 2021), "value"])
    assert t.loc[("001", 2021), "quality_flag"].startswith("ungültig (≤ 0)")
    assert t.loc[("002", 2020), "quality_flag"].startswith("ungültig (≤ 0)")
    assert t.loc[("003", 2021), "quality_flag"] == "Jahr fehlt für diese Einheit"
    assert np.isnan(t.loc[("004", 2020), "value"])
    assert any("999" in n and "gehören zu keiner Einheit" in n for n in notes)
    assert any("ohne Zeile" in n for n in notes)


def test_duplicate_year_rows_are_an_error(tmp_path):
    csv = "ID;Jahr;Wert\n001;2020;10,0\n001;2020;11,0\n"
    cfg = _series_cfg(tmp_path, csv)
    units, _ = load_city(cfg)
    with pytest.raises(InputDataError, match=r"occur twice in lines 2, 3"):
        monitoring_series(cfg.monitor, units)


def test_json_series_needs_one_path(tmp_path):
    # format 'json' with files = {year = path} used to end in AttributeError ('NoneType' … exists)
    (tmp_path / "s.csv").write_text("ID;Jahr;Wert\n001;2020;1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="format 'json' reads one file"):
        tiny_config(tmp_path, monitor={"series": [{"indicator": "miete", "files": {"2020": "s.csv"},
                                                   "format": "json", "key": "ID",
                                                   "value_column": "Wert"}]})


def test_targets_known_answer():
    long = pd.DataFrame({"unit_id": ["a", "a", "a"], "year": [2020, 2021, 2022],
                         "indicator": "x", "value": [10.0, 10.2, 11.0], "unit": "",
                         "source": "", "quality_flag": ""})
    out = monitor.evaluate(long, [MonitorTarget(indicator="x", measure="change_pct", target=3.0)])
    a = out[out["unit_id"] == "a"].set_index("year")["status"]
    assert a.to_dict() == {2020: "keine Daten", 2021: "Ziel erreicht", 2022: "Ziel überschritten"}

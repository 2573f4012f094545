"""Residents per unit: a missing population column or unit is said, not guessed.
"""

from __future__ import annotations

from quartier.analysis.indicators import compute_index
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config


def test_no_population_column_is_said(tmp_path):
    cfg = tiny_config(tmp_path, index={"status": [{"column": "share_sgb2_pct"}]},
                      flag={"permutations": 99}, population_column=None)
    units, _ = load_city(cfg)
    from quartier.pipeline.flag import flag_units

    res = flag_units(units, cfg)
    assert any("Mindesteinwohnerzahl 300 nicht geprüft" in n for n in res.notes)
    assert res.table["notes"].str.contains("nicht geprüft").all()
    assert res.table["valid"].all()


def test_unit_missing_from_the_population_table_says_so(tmp_path):
    csv_text = "ID;EW;SGB2\n001;1000;10\n002;2000;20\n003;500;5\n"
    cfg = tiny_config(tmp_path, csv=csv_text, index={"status": [{"column": "share_sgb2_pct"}]})
    units, _ = load_city(cfg)
    idx = compute_index(units, cfg.index, population_column=cfg.population_column)
    assert idx.loc[3, "invalid_reason"] == "Einwohnerzahl fehlt (ew): Mindestgröße 300 nicht prüfbar"
    assert "(0)" not in " ".join(idx["invalid_reason"])

"""Shapes of published files the loader reads by config (issue 19): negative numbers as typeset,
tables without a header row, long tables whose variable is named by two columns, units stored
as several features, names only in a table, derived columns, decisions left open.

Every case is hand-made (GENERATED) with a known answer; the real files of other cities are
tested in tests/test_onboard_corpus.py.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from quartier.config import parse_config
from quartier.errors import ConfigError, InputDataError
from quartier.io.names import normalise_name
from quartier.io.numbers import parse_numbers
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config, tiny_units


@pytest.mark.parametrize("text,value", [("-  23", -23.0), ("–23", -23.0), ("\u221223", -23.0),
                                        ("- 1.234,5", -1234.5), ("+7", 7.0)])
def test_negative_numbers_as_typeset(text, value):
    got, _ = parse_numbers(pd.Series([text]), ",", ".", {"-", "–"}, "f", "saldo",
                           pd.Series([2]))
    assert got.iloc[0] == value


def test_a_lone_dash_stays_missing_not_negative():
    got, codes = parse_numbers(pd.Series(["–", "-", "-5"]), ",", None, {"-", "–"}, "f", "c",
                               pd.Series([2, 3, 4]))
    assert got.isna().tolist() == [True, True, False] and got.iloc[2] == -5
    assert codes == {"–": 1, "-": 1}


def test_names_match_across_number_prefix_and_underscores():
    assert normalise_name("04 Westliche Höhe") == normalise_name("Westliche_Höhe")
    assert normalise_name("01 Altstadt - Lehel") == normalise_name("Altstadt-Lehel")
    # a number that is the whole name, or a dotted ordinal, is kept
    assert normalise_name("10115") == "10115"
    assert normalise_name("1. Bezirk") != normalise_name("Bezirk")


def test_table_without_header(tmp_path):
    csv = "001,1000,-  3\n002,2000,–4\n003,500,5\n004,800,\u22126\n"
    cfg = tiny_config(tmp_path, csv=csv, table={
        "sep": ",", "decimal": ".", "key": "Spalte 1", "no_header": True,
        "columns": {"Spalte 2": {"name": "ew"}, "Spalte 3": {"name": "saldo"}}})
    units, report = load_city(cfg)
    assert units["ew"].tolist() == [1000, 2000, 500, 800]
    assert units["saldo"].tolist() == [-3, -4, 5, -6]
    assert report.tables[0].matched == 4


def test_long_table_variable_from_two_columns(tmp_path):
    rows = ["Indikator;Auspraegung;Jahr;Raum;Wert"]
    for year, base in ((2021, 10), (2022, 20)):
        for i in range(1, 5):
            rows += [f"Arbeitslose;insgesamt;{year};00{i} Quartier {i};{base + i},5",
                     f"Arbeitslose;Langzeit;{year};00{i} Quartier {i};{base + i}",
                     f"Arbeitslose;insgesamt;{year};Stadt;99"]
    rows = list(dict.fromkeys(rows))   # the city row once per year
    cfg = tiny_config(tmp_path, csv="\n".join(rows) + "\n", table={
        "key": "Raum", "join": "name", "layout": "long", "year_column": "Jahr", "year": "2022",
        "variable_column": ["Indikator", "Auspraegung"], "value_column": "Wert",
        "drop_keys": ["Stadt"],
        "columns": {"Arbeitslose | insgesamt": {"name": "alo_pct", "unit": "%"},
                    "Arbeitslose | Langzeit": {"name": "alo_lang_pct", "unit": "%"}}},
        population_column=None)
    units, _ = load_city(cfg)
    assert units["alo_pct"].tolist() == [21.5, 22.5, 23.5, 24.5]
    assert units["alo_lang_pct"].tolist() == [21, 22, 23, 24]


def _split_units() -> gpd.GeoDataFrame:
    units = tiny_units()
    extra = gpd.GeoDataFrame({"ID": ["002"], "NAME": ["Quartier 2"]},
                             geometry=[box(391_200, 5_821_500, 391_300, 5_821_600)], crs=units.crs)
    return pd.concat([units, extra], ignore_index=True)


def test_units_stored_as_parts_are_merged(tmp_path):
    units = _split_units()
    with pytest.raises(InputDataError, match="merge_parts"):
        load_city(tiny_config(tmp_path, units=units))
    cfg = tiny_config(tmp_path, units=units, units_extra={"merge_parts": True})
    loaded, report = load_city(cfg)
    assert loaded["unit_id"].tolist() == ["001", "002", "003", "004"]
    assert loaded.geometry.iloc[1].area == pytest.approx(1_000_000 + 10_000)
    assert any("2 Objekte durch units.merge_parts zu 1 Einheit(en) zusammengefasst (Teile einer "
               "Einheit: 002)" in n for n in report.unit_notes)


def test_parts_that_disagree_are_not_merged(tmp_path):
    units = _split_units()
    units.loc[4, "NAME"] = "Anderswo"
    with pytest.raises(InputDataError, match="differ in 'NAME'"):
        load_city(tiny_config(tmp_path, units=units, units_extra={"merge_parts": True}))


def test_unit_names_from_a_table(tmp_path):
    units = tiny_units().drop(columns="NAME")
    csv = "ID;Name;EW;SGB2\n001;Altstadt;1000;10,5\n002;Nord;2000;20,0\n003;;500;5,25\n"
    cfg = tiny_config(tmp_path, units=units, csv=csv, table={"unit_names": "Name"},
                      units_extra={"name_column": None})
    loaded, report = load_city(cfg)
    assert loaded["unit_name"].tolist() == ["Altstadt", "Nord", "003", "004"]
    assert "unit_name" not in report.tables[0].rows_with_missing
    assert "Namen der Einheiten aus Spalte „Name“ (2 von 4 Einheiten; die übrigen behalten ihre "\
        "Kennung)" in report.tables[0].notes


def test_derived_columns_known_values(tmp_path):
    csv = "ID;EW;SGB2;DICHTE\n001;1000;100;10\n002;2000;0;20\n003;0;5;5\n004;800;;12\n"
    cfg = tiny_config(tmp_path, csv=csv, table={
        "columns": {"EW": {"name": "ew", "unit": "Personen"},
                    "SGB2": {"name": "sgb2_personen", "unit": "Personen"},
                    "DICHTE": {"name": "ew_je_ha", "unit": "je ha"}}},
        derive=[{"name": "sgb2_anteil_pct", "kind": "ratio", "columns": ["sgb2_personen", "ew"],
                 "unit": "%", "label": "SGB II je 100 Einwohner"},
                {"name": "flaeche_ha", "kind": "area_ha"},
                {"name": "ew_aus_dichte", "kind": "product", "columns": ["ew_je_ha", "flaeche_ha"]},
                {"name": "differenz", "kind": "difference", "columns": ["ew_aus_dichte", "ew"]},
                {"name": "summe", "kind": "sum", "columns": ["ew", "sgb2_personen"]}])
    units, report = load_city(cfg)
    np.testing.assert_allclose(units["sgb2_anteil_pct"], [10.0, 0.0, np.nan, np.nan])
    np.testing.assert_allclose(units["flaeche_ha"], [100.0] * 4)
    np.testing.assert_allclose(units["ew_aus_dichte"], [1000, 2000, 500, 1200])
    np.testing.assert_allclose(units["differenz"], [0, 0, 500, 400])
    np.testing.assert_allclose(units["summe"], [1100, 2000, 5, np.nan])
    derived = {t.name: t for t in report.tables if t.path == "[[derive]]"}
    assert derived["sgb2_anteil_pct"].matched == 2
    assert any("ew ≤ 0" in n and "003" in n for n in derived["sgb2_anteil_pct"].notes)
    assert cfg.labels()["sgb2_anteil_pct"] == "SGB II je 100 Einwohner"
    frame = report.to_frame()
    assert "sgb2_personen / ew × 100" in frame.set_index("table").loc["sgb2_anteil_pct", "details"]


def test_derive_refuses_unknown_columns_and_bad_arity(tmp_path):
    with pytest.raises(ConfigError, match="takes 2 columns"):
        tiny_config(tmp_path, derive=[{"name": "x", "kind": "ratio", "columns": ["ew"]}])
    cfg = tiny_config(tmp_path, derive=[{"name": "x", "kind": "ratio", "columns": ["ew", "nix"]}])
    with pytest.raises(InputDataError, match="'nix' are not loaded"):
        load_city(cfg)


def test_open_decisions_stop_every_command(tmp_path):
    cfg = parse_config({"city": {"name": "x"}, "decide": ["tables[0].decimal: '.' or ','"]},
                       tmp_path)
    with pytest.raises(ConfigError, match="1 decision"):
        load_city(cfg)

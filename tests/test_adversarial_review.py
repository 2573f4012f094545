"""Findings of the second hostile review of the trust work: each reproduced, each fixed.

Inputs are GENERATED small cases (or the generated hostile city of :mod:`tests.hostile`).
"""

from __future__ import annotations

import builtins
import hashlib
import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import GeometryCollection, LineString, Point
from typer.testing import CliRunner

from quartier import pipeline
from quartier.cli import app
from quartier.config import load_config, parse_config
from quartier.errors import ConfigError, InputDataError
from quartier.io.escape import console_text, html_text, spreadsheet_text
from quartier.io.numbers import parse_numbers
from quartier.pipeline.load import load_city
from quartier.review import store as review
from tests.conftest import tiny_config, tiny_units
from tests.hostile import hostile_config, write_city

runner = CliRunner()


def parse(text: str, decimal: str = ",", thousands: str | None = None) -> float:
    values, _ = parse_numbers(pd.Series([text]), decimal, thousands, set(), "f.csv", "c",
                              pd.Series([2]))
    return float(values.iloc[0])


# ------------------------------------------------------------------------------------ escaping


def test_backslash_escapes_are_neutralised():
    assert html_text(r"\x3cimg\x3e C:\users") == "&#92;x3cimg&#92;x3e C:&#92;users"


def test_c1_controls_are_made_visible():
    assert spreadsheet_text("X\u009b31mROT") == "X\ufffd31mROT"
    assert "\u009b" not in console_text("X\u009b31m") and "\u009b" not in html_text("X\u009b")


# ---------------------------------------------------------------------------------- numbers


def test_decimal_and_thousands_must_differ(tmp_path):
    with pytest.raises(ConfigError, match="thousands and decimal are both ','"):
        tiny_config(tmp_path, table={"decimal": ",", "thousands": ","})
    with pytest.raises(ConfigError, match="decimal = ''"):
        tiny_config(tmp_path, table={"decimal": ""})
    with pytest.raises(ConfigError, match="sep = ';;'"):
        tiny_config(tmp_path, table={"sep": ";;"})


@pytest.mark.parametrize("text", ["0.675", "00.850", "٨٥٠", "８５０"])
def test_no_grouped_number_starts_with_zero_and_digits_are_ascii(text):
    with pytest.raises(InputDataError, match="not numbers|valid only before groups"):
        parse(text, ",", ".")


def test_a_trailing_percent_sign_is_read():
    assert parse("12,5 %") == 12.5 and parse("7%") == 7.0


def test_percent_formatted_xlsx_cells(tmp_path):
    """A cell shown as 5,5 % stores 0.055: refused in a '%' column unless scale = 100."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "EW", "SGB2"])
    for i, v in enumerate([0.055, 0.12, 0.2, 0.031]):
        ws.append([f"{i + 1:03d}", 1000, v])
        ws.cell(ws.max_row, 3).number_format = "0.0%"
    wb.save(tmp_path / "t.xlsx")
    spec = {"EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct", "unit": "%"}}
    cfg = tiny_config(tmp_path, table={"format": "xlsx", "path": "t.xlsx", "columns": spec})
    with pytest.raises(InputDataError, match="formatted as percent .* Set scale = 100"):
        load_city(cfg)
    spec["SGB2"]["scale"] = 100
    units, _ = load_city(tiny_config(tmp_path, table={"format": "xlsx", "path": "t.xlsx",
                                                      "columns": spec}))
    assert units["share_sgb2_pct"].round(6).tolist() == [5.5, 12.0, 20.0, 3.1]


def test_corrupt_xlsx_is_an_error(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types><<")
    with pytest.raises(InputDataError, match="cannot be read as xlsx"):
        load_city(tiny_config(tmp_path, table={"format": "xlsx", "path": "t.xlsx"}))


def test_deeply_nested_json_and_toml(tmp_path):
    (tmp_path / "t.json").write_text("[" * 200_000)
    cfg = tiny_config(tmp_path, table={"format": "json", "path": "t.json", "json_year": "2020"})
    with pytest.raises(InputDataError, match="not valid JSON"):
        load_city(cfg)
    (tmp_path / "c.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "c.toml")


def test_config_that_is_a_folder(tmp_path):
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


# ----------------------------------------------------------------------------------- units


def test_collection_without_area_is_refused(tmp_path):
    units = tiny_units()
    units.loc[1, "geometry"] = GeometryCollection([Point(390_100, 5_820_100),
                                                   LineString([(390_000, 5_820_000), (390_500, 5_820_500)])])
    with pytest.raises(InputDataError, match="units must be areas .*002"):
        load_city(tiny_config(tmp_path, units=units))


def test_cp1252_shapefile_without_cpg_keeps_the_euro_sign(tmp_path):
    units = tiny_units()
    units.loc[0, "NAME"] = "Preis 5 € Straße"
    units.to_file(tmp_path / "u.shp", encoding="cp1252", engine="pyogrio")
    (tmp_path / "u.cpg").unlink()
    cfg = tiny_config(tmp_path, units_extra={"path": "u.shp"})
    loaded, report = load_city(cfg)
    assert loaded.loc[0, "unit_name"] == "Preis 5 € Straße"


# ----------------------------------------------------------------------------------- config


def test_duplicate_class_labels_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="status_labels must differ"):
        tiny_config(tmp_path, index={"status": [{"column": "share_sgb2_pct"}],
                                     "status_labels": ["a", "b", "b", "c"]})


def test_sites_need_a_population_column(tmp_path):
    raw = write_city(tmp_path)
    raw.pop("population_column")
    with pytest.raises(ConfigError, match="set population_column"):
        parse_config(raw, tmp_path)


def test_category_names_are_identifiers(tmp_path):
    raw = write_city(tmp_path)
    raw["access"]["categories"][r"k\x3cimg"] = {"label": "x", "good_m": 1, "limit_m": 2}
    with pytest.raises(ConfigError, match="become column names"):
        parse_config(raw, tmp_path)


def test_gaps_crs_must_preserve_distances(tmp_path):
    cfg = hostile_config(tmp_path / "c", gaps={**write_city(tmp_path / "x")["gaps"],
                                               "crs": "EPSG:3857"})
    with pytest.raises(InputDataError, match="gaps.crs = 'EPSG:3857' stretches distances"):
        pipeline.gaps(cfg, tmp_path / "out")


def test_buildings_as_points_and_an_empty_area(tmp_path):
    cfg = hostile_config(tmp_path / "c")
    pts = gpd.read_file(tmp_path / "c" / "buildings.gpkg")
    pts.set_geometry(pts.centroid).to_file(tmp_path / "c" / "buildings.gpkg")
    with pytest.raises(InputDataError, match="the buildings are Point, not footprints"):
        pipeline.gaps(cfg, tmp_path / "out")
    cfg = hostile_config(tmp_path / "d")
    gpd.GeoDataFrame(geometry=[], crs="EPSG:25833").to_file(tmp_path / "d" / "area.gpkg")
    with pytest.raises(InputDataError, match="the study area .* holds no polygon"):
        pipeline.gaps(cfg, tmp_path / "out2")


# ------------------------------------------------------------------------------------ sites


@pytest.mark.parametrize(("cell", "fragment"), [("inf", "not numbers"), ("1e400", "exceed the range"),
                                                ("60.9", "whole number of places")])
def test_site_capacity_is_a_whole_number(tmp_path, cell, fragment):
    cfg = hostile_config(tmp_path / "c")
    sites = pd.read_csv(tmp_path / "c" / "sites.csv", dtype=str)
    sites.loc[0, "capacity"] = cell
    sites.to_csv(tmp_path / "c" / "sites.csv", index=False)
    from quartier.io.sitefile import read_site_file

    with pytest.raises(InputDataError, match=fragment):
        read_site_file(cfg.sites, crs=cfg.city.crs)


def test_site_coordinates_that_are_no_number(tmp_path):
    cfg = hostile_config(tmp_path / "c")
    sites = pd.read_csv(tmp_path / "c" / "sites.csv", dtype=str)
    sites.loc[0, "x"] = "390.125,5"
    sites.to_csv(tmp_path / "c" / "sites.csv", index=False)
    from quartier.io.sitefile import read_site_file

    with pytest.raises(InputDataError, match=r"column 'x', lines 2"):
        read_site_file(cfg.sites, crs=cfg.city.crs)


def test_a_quarter_without_population_gets_no_site_and_says_why(tmp_path):
    cfg = hostile_config(tmp_path / "c")
    table = pd.read_csv(tmp_path / "c" / "table.csv", sep=";", dtype=str)
    table.loc[0, "EW"] = ""
    table.to_csv(tmp_path / "c" / "table.csv", sep=";", index=False, lineterminator="\r\n")
    _, result = pipeline.sites(cfg, 40, tmp_path / "out")
    s1 = result.table.set_index("site_id").loc["S1"]
    assert not s1["selected"]
    assert s1["reasons"].startswith("nicht wählbar: Einwohnerzahl des Quartiers fehlt")


def test_replaced_gap_candidates_are_no_sites():
    from quartier.analysis.sites import sites_from_gaps
    from quartier.config import SitesConfig

    cad = gpd.GeoDataFrame({"gap_id": ["A", "B", "C"], "gap_type": "Baulücke",
                            "area_m2": 1000.0, "status": "offen",
                            "state": ["ersetzt", "geändert", "verwaist"]},
                           geometry=[Point(0, 0).buffer(10)] * 3, crs="EPSG:25833")
    assert sites_from_gaps(cad, SitesConfig())["site_id"].tolist() == ["B"]


# ------------------------------------------------------------------------------ monitoring


def series_config(tmp_path: Path, csv_text: str, **series) -> object:
    (tmp_path / "s.csv").write_text(csv_text, encoding="utf-8")
    spec = {"indicator": "anteil", "path": "s.csv", "key": "ID", "id_width": 3,
            "year_column": "Jahr", "value_column": "Wert", "sep": ";", "decimal": ",", **series}
    return tiny_config(tmp_path, monitor={"series": [spec]})


@pytest.mark.parametrize(("rows", "fragment"), [
    ("001;2020;150", "must lie in 0…100"),
    ("001;2020,7;10", "hold no year"),
    ("001;2020/21;10", "hold no year"),
    ("001;;10", "hold no year"),
])
def test_series_values_and_years_are_checked(tmp_path, rows, fragment):
    from quartier.io.series import read_series

    cfg = series_config(tmp_path, f"ID;Jahr;Wert\n{rows}\n", unit="%")
    with pytest.raises(InputDataError, match=fragment):
        read_series(cfg.monitor.series[0])


def test_yearly_files_name_the_file_and_its_line(tmp_path):
    from quartier.io.series import read_series

    (tmp_path / "y2020.csv").write_text("ID;Wert\n001;1\n002;abc\n", encoding="utf-8")
    (tmp_path / "y2021.csv").write_text("ID;Wert\n001;1\n", encoding="utf-8")
    (tmp_path / "y2022.csv").write_text("ID;Betrag\n001;1\n", encoding="utf-8")
    spec = {"indicator": "a", "files": {"2020": "y2020.csv", "2021": "y2021.csv"}, "key": "ID",
            "id_width": 3, "value_column": "Wert", "sep": ";"}
    cfg = tiny_config(tmp_path, monitor={"series": [spec]})
    with pytest.raises(InputDataError, match="y2020.csv line 3"):
        read_series(cfg.monitor.series[0])
    spec["files"] = {"2021": "y2021.csv", "2022": "y2022.csv"}
    cfg = tiny_config(tmp_path, monitor={"series": [spec]})
    with pytest.raises(InputDataError, match=r"y2022.csv: series column\(s\) 'Wert' not found"):
        read_series(cfg.monitor.series[0])
    with pytest.raises(ConfigError, match="keys must be years"):
        tiny_config(tmp_path, monitor={"series": [{**spec, "files": {"20x0": "y2021.csv"}}]})


# ------------------------------------------------------------------------------ review store


def test_foreign_sqlite_with_the_table_names_is_refused_unchanged(tmp_path):
    path = tmp_path / "f.sqlite"
    con = sqlite3.connect(path)
    con.executescript("create table meta(k); create table runs(a); create table candidates(x); "
                      "create table decisions(y);")
    con.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(review.ReviewStoreError, match="lacks the columns"):
        review.open_store(path)
    res = runner.invoke(app, ["gaps", "review", str(path), "--set", "x", "--status", "offen",
                              "--reviewer", "me"])
    assert res.exit_code == 2 and "lacks the columns" in res.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_store_of_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    review.open_store(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    con.commit()
    con.close()
    with pytest.raises(review.ReviewStoreError, match="schema '99'"):
        review.open_store(path)


def test_store_path_that_is_a_folder(tmp_path):
    res = runner.invoke(app, ["gaps", "review", str(tmp_path)])
    assert res.exit_code == 2 and "is a folder" in res.output


def test_unknown_status_filter_is_said(tmp_path):
    path = tmp_path / "s.sqlite"
    review.open_store(path).close()
    res = runner.invoke(app, ["gaps", "review", str(path), "--status", "bogus"])
    assert res.exit_code == 2 and "unknown; use one of" in res.output


# ------------------------------------------------------------------------------ the command


def test_init_under_a_file_is_a_message(tmp_path):
    (tmp_path / "afile").write_text("x")
    res = runner.invoke(app, ["init", str(tmp_path / "afile" / "x.toml")])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_ctrl_c_while_importing_is_a_message(monkeypatch, capsys):
    from quartier import __main__ as entry

    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "quartier.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "quartier.cli", raising=False)
    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as exc:
        entry.main()
    assert exc.value.code == 130 and "Abgebrochen (Ctrl-C)" in capsys.readouterr().err


def test_xlsx_cells_longer_than_excel_allows(tmp_path):
    from openpyxl import load_workbook

    from quartier.io.outputs import write_table

    write_table(pd.DataFrame({"t": ["x" * 40_000]}), tmp_path / "t.csv")
    cell = load_workbook(tmp_path / "t.xlsx").active["A2"].value
    assert len(cell) <= 32767 and cell.endswith("vollständig in der CSV]")
    assert len(pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")["t"][0]) == 40_000


def test_rows_with_values_but_no_key_are_named(tmp_path):
    csv_text = "ID;EW;SGB2\n001;1000;10\n;2000;20\n002;500;5\n003;1;1\n004;1;1\n"
    _, report = load_city(tiny_config(tmp_path, csv=csv_text))
    assert any("with values but without a key" in n and "lines 3" in n
               for n in report.tables[0].notes)
    assert np.isfinite(report.tables[0].rows)

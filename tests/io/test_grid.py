"""Census grid cells as units ([units] grid) and grid-keyed tables (join = "grid"): hand-made
grids with known answers, and the real Zensus 2011 1 km grid of Germany (data/germany_1km)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quartier.config import load_config, parse_config
from quartier.errors import InputDataError, QuartierError
from quartier.io.grid import cell_ids, parse_cell_ids
from quartier.paths import DATA_DIR
from quartier.pipeline.flag import flag_units
from quartier.pipeline.load import load_city

GERMANY = DATA_DIR / "germany_1km"
#: a 60 km square around Berlin in EPSG:3035 (grid metres)
BERLIN_BOX = [4520000, 3240000, 4580000, 3300000]


def test_three_id_spellings_give_one_cell():
    ids = pd.Series(["CRS3035RES1000mN2684000E4334000", "1kmN2684E4334", "100mN26840E43340"])
    line = pd.Series([2, 3, 4])
    cx, cy, size = parse_cell_ids(ids[:2], "f.csv", "id", line[:2])
    assert size == 1000 and list(cx) == [4334500, 4334500] and list(cy) == [2684500, 2684500]
    cx, cy, size = parse_cell_ids(ids[2:], "f.csv", "id", line[2:])
    assert size == 100 and cx[0] == 4334050 and cy[0] == 2684050
    assert cell_ids(np.array([4334500.0]), np.array([2684500.0]), 1000)[0] == ids[0]
    assert cell_ids(np.array([4334050.0]), np.array([2684050.0]), 100)[0] == \
        "CRS3035RES100mN2684000E4334000"


def test_bad_ids_and_mixed_sizes_are_named():
    line = pd.Series([2, 3, 4])
    with pytest.raises(InputDataError, match=r"lines 3 .*not an INSPIRE grid id"):
        parse_cell_ids(pd.Series(["1kmN2684E4334", "N2684E4334", "1kmN1E1"]), "f.csv", "id", line)
    with pytest.raises(InputDataError, match="mixes cell sizes"):
        parse_cell_ids(pd.Series(["1kmN2684E4334", "100mN26840E43340"]), "f.csv", "id", line[:2])


def _hand_grid(tmp_path: Path, table_csv: str, table: dict | None = None, grid: dict | None = None):
    """A hand-made 1 km grid: 3 × 2 cells as published (semicolons, -1/-9 codes)."""
    (tmp_path / "cells.csv").write_text(
        "x_mp_1km;y_mp_1km;Einwohner\n"
        "4550500;3270500;1200\n4551500;3270500;-1\n4552500;3270500;800\n"
        "4550500;3271500;400\n4551500;3271500;2500\n4552500;3271500;-9\n", encoding="utf-8")
    (tmp_path / "table.csv").write_text(table_csv, encoding="utf-8")
    raw = {"city": {"name": "Gitter (generated)", "crs": "EPSG:3035", "max_scale_error_pct": 1.5},
           "units": {"grid": {"path": "cells.csv", "populated": "Einwohner", **(grid or {})}},
           "tables": [{"name": "t", "path": "table.csv", "sep": ";", "decimal": ",",
                       "join": "grid", "key": "Gitter_ID_1km", "na_values": ["-1", "-9"],
                       "columns": {"Quote": {"name": "quote_pct", "unit": "%"}}, **(table or {})}]}
    return parse_config(raw, tmp_path)


def test_hand_made_grid_units_and_short_ids(tmp_path):
    cfg = _hand_grid(tmp_path, "Gitter_ID_1km;Quote\n1kmN3270E4550;10,5\n1kmN3271E4551;-9\n"
                               "1kmN3270E4552;3,0\n1kmN3271E4550;7,25\n1kmN9999E9999;1,0\n")
    units, report = load_city(cfg)
    # populated: 1200, 800, 400, 2500 (the -1 and -9 cells are not units)
    assert list(units["unit_id"]) == ["CRS3035RES1000mN3270000E4550000",
                                      "CRS3035RES1000mN3270000E4552000",
                                      "CRS3035RES1000mN3271000E4550000",
                                      "CRS3035RES1000mN3271000E4551000"]
    assert list(units["unit_name"]) == ["1-km-Zelle N3270 E4550", "1-km-Zelle N3270 E4552",
                                        "1-km-Zelle N3271 E4550", "1-km-Zelle N3271 E4551"]
    assert units.area.round(0).eq(1_000_000).all()
    assert units["quote_pct"].tolist()[:3] == [10.5, 3.0, 7.25] and np.isnan(units["quote_pct"].iloc[3])
    details = report.to_frame()["details"].iloc[0]
    assert "1 Zelle(n) der Tabelle gehören zu keiner Einheit" in details
    assert "Fehlwert-Code „-9“ ×1 in Quote" in details
    assert any("2 Zelle(n) ohne Einwohner nicht verwendet" in n for n in report.unit_notes)


def test_grid_bbox_and_errors(tmp_path):
    csv = "Gitter_ID_1km;Quote\n1kmN3270E4550;10,5\n"
    cfg = _hand_grid(tmp_path, csv, grid={"bbox": [4550000, 3270000, 4552000, 3272000]})
    units, report = load_city(cfg)
    assert len(units) == 3   # the populated cell at x 4552500 lies outside
    assert any("1 Zelle(n) außerhalb von units.grid.bbox" in n for n in report.unit_notes)
    # a table of 100 m cells against 1 km units: nothing matches, said with both ids
    cfg = _hand_grid(tmp_path, "Gitter_ID_100m;Quote\n100mN32700E45500;10,5\n",
                     table={"key": "Gitter_ID_100m"})
    with pytest.raises(InputDataError, match="no cell of the table is a unit.*cell size"):
        load_city(cfg)
    cfg = _hand_grid(tmp_path, csv, grid={"bbox": [0, 0, 10, 10]})
    with pytest.raises(InputDataError, match="no cell is left after the filters"):
        load_city(cfg)
    with pytest.raises(QuartierError, match="belong to a boundary file"):
        parse_config({"city": {"name": "x", "crs": "EPSG:3035"},
                      "units": {"path": "u.gpkg", "grid": {"path": "c.csv"}}}, tmp_path)
    with pytest.raises(QuartierError, match="grid = "):
        parse_config({"city": {"name": "x", "crs": "EPSG:3035"}, "units": {"layer": "a"}}, tmp_path)


@pytest.fixture(scope="module")
def berlin_square():
    """The shipped config on a 60 km square, with the tables the index needs (no clustering:
    the whole config is run by the slow test)."""
    cfg = load_config(GERMANY / "quartier.toml")
    grid = cfg.units.grid.model_copy(update={"bbox": tuple(BERLIN_BOX)})
    used = {"einwohner", *(ref.column for ref in cfg.index.status),
            *(rule.column for rule in cfg.flag.thresholds)}
    cfg = cfg.model_copy(update={"units": cfg.units.model_copy(update={"grid": grid}),
                                 "tables": [t for t in cfg.tables if t.name in used],
                                 "flag": cfg.flag.model_copy(update={"cluster_columns": []})})
    return cfg, *load_city(cfg)


def test_real_grid_sample_matches_the_files(berlin_square):
    cfg, units, report = berlin_square
    pop = pd.read_parquet(GERMANY / "continuous_Einwohner.parquet")
    x0, y0, x1, y1 = BERLIN_BOX
    inside = pop[(pop.x >= x0) & (pop.x < x1) & (pop.y >= y0) & (pop.y < y1) & (pop.Einwohner > 0)]
    assert len(units) == len(inside) == 2451
    assert units["einwohner"].sum() == inside["Einwohner"].sum()
    vac = pd.read_parquet(GERMANY / "continuous_Leerstandsquote.parquet")
    vac["unit_id"] = "CRS3035RES1000mN" + (vac.y - 500).astype(str) + "E" + (vac.x - 500).astype(str)
    expected = vac.set_index("unit_id")["Leerstandsquote"].reindex(units["unit_id"])
    expected = expected.where(expected >= 0)   # -1 / -9 are missing, never 0 or negative
    assert np.allclose(units["leerstand_pct"], expected.to_numpy(), equal_nan=True)
    assert units["leerstand_pct"].isna().sum() == expected.isna().sum() > 0
    assert units.crs.to_epsg() == 3035


def test_real_grid_sample_flags_hot_spots(berlin_square):
    cfg, units, _ = berlin_square
    result = flag_units(units, cfg)
    t = result.table
    scored = t["status_index"].notna()
    assert scored.sum() == 1819
    tested = t["p_basis"].ne("")
    assert t.loc[tested, "p_basis"].eq("Permutation").all()   # 1,795 tested: pseudo p-values
    assert t["priority_rank"].dropna().is_unique
    # cells named by their Gemeinde ([report.place_names]), right after the cell's own name
    assert list(t.columns[:4]) == ["unit_id", "unit_name", "place_name", "place_group"]
    assert t["place_name"].notna().all()
    assert set(t["place_group"]) >= {"Berlin", "Potsdam", "Havelland", "Oberhavel"}
    # the analytic p-values (what the whole grid uses) find hot spots where the index is high
    analytic = flag_units(units, cfg.model_copy(update={"flag": cfg.flag.model_copy(
        update={"hotspot_p": "analytic"})})).table
    hot = analytic["hotspot"] == "Hot Spot"
    cold = analytic["hotspot"] == "Cold Spot"
    assert hot.sum() > 0 and cold.sum() > 0
    assert analytic.loc[hot, "status_index"].mean() > 0 > analytic.loc[cold, "status_index"].mean()
    assert (analytic.loc[hot, "gi_z"] > 1.96).all() and (analytic.loc[cold, "gi_z"] < -1.96).all()
    assert analytic["p_basis"][tested].str.startswith("analytisch").all()


def test_grid_cells_outside_are_counted_not_listed(tmp_path, monkeypatch):
    cfg = _hand_grid(tmp_path, "Gitter_ID_1km;Quote\n1kmN3270E4550;10,5\n1kmN9999E9999;1,0\n")
    units, report = load_city(cfg)
    assert report.tables[0].only_in_table == ["CRS3035RES1000mN9999000E9999000"]
    assert "1 Zelle(n) der Tabelle gehören zu keiner Einheit" in report.to_frame()["details"].iloc[0]
    assert report.unmatched_frame(units).query("side == 'nur in der Tabelle'").empty
    # a table longer than a spreadsheet: the CSV only, and a warning that says so
    from quartier.io import outputs as output

    monkeypatch.setattr(output, "XLSX_MAX_ROWS", 3)
    with pytest.warns(UserWarning, match=r"t\.xlsx not written: 4 rows exceed"):
        files = output.write_table(units.drop(columns="geometry"), tmp_path / "t.csv")
    assert files == [tmp_path / "t.csv"] and not (tmp_path / "t.xlsx").exists()


def _cells(tmp_path: Path, rows: str, name: str = "cells.csv") -> None:
    (tmp_path / name).write_text("x;y;Einwohner\n" + rows, encoding="utf-8")


def _grid_cfg(tmp_path: Path, table: dict | None = None, grid: dict | None = None):
    raw = {"city": {"name": "Gitter (generated)", "crs": "EPSG:3035", "max_scale_error_pct": 1.5},
           "units": {"grid": {"path": "cells.csv", "x": "x", "y": "y", "populated": "Einwohner",
                              **(grid or {})}},
           "tables": [{"name": "t", "path": "table.csv", "sep": ";", "join": "grid",
                       "key": ["x", "y"], "columns": {"Alter": {"name": "alter_j"}},
                       **(table or {})}]}
    return parse_config(raw, tmp_path)


def test_hostile_grid_coordinates_are_refused_or_snapped(tmp_path):
    """Hostile review: float noise, corners instead of centres, mixed cell sizes, a grid in
    another CRS, duplicated cells, ids of another CRS — each snapped exactly or refused clearly."""
    (tmp_path / "table.csv").write_text("x;y;Alter\n4550500;3270500;-9.0\n4551500;3270500;41\n",
                                        encoding="utf-8")
    _cells(tmp_path, "4550500.0000001;3270500;100\n4551500;3270499.9999999;200\n")
    units, _ = load_city(_grid_cfg(tmp_path))
    assert list(units["unit_id"]) == ["CRS3035RES1000mN3270000E4550000",
                                      "CRS3035RES1000mN3270000E4551000"]
    # the grid's -9 (suppressed) holds for its tables, written as "-9.0" too
    assert np.isnan(units["alter_j"].iloc[0]) and units["alter_j"].iloc[1] == 41
    _cells(tmp_path, "4550000;3270000;100\n4551000;3270000;200\n")
    with pytest.raises(InputDataError, match="look like lower-left corners"):
        load_city(_grid_cfg(tmp_path))
    _cells(tmp_path, "4550500;3270500;100\n4550050;3270050;200\n")
    with pytest.raises(InputDataError, match="not centres of 50 m cells|not centres of"):
        load_city(_grid_cfg(tmp_path))
    _cells(tmp_path, "390500;5820500;100\n391500;5820500;200\n")   # EPSG:25833 metres
    with pytest.raises(InputDataError, match=r"not in units.grid.crs \(EPSG:3035\)"):
        load_city(_grid_cfg(tmp_path))
    _cells(tmp_path, "4550500;3270500;100\n4550500;3270500;-1\n")
    with pytest.raises(InputDataError, match="cells given twice"):
        load_city(_grid_cfg(tmp_path, grid={"cell_m": 1000}))
    (tmp_path / "ids.csv").write_text("id;Einwohner\nCRS25832RES1000mN3270000E4550000;5\n",
                                      encoding="utf-8")
    with pytest.raises(InputDataError, match="the ids name 25832 as their CRS"):
        load_city(_grid_cfg(tmp_path, grid={"path": "ids.csv", "x": None, "y": None,
                                            "id_column": "id"}))
    with pytest.raises(QuartierError, match="swap_axes"):
        parse_config({"city": {"name": "x", "crs": "EPSG:3035"},
                      "units": {"grid": {"path": "c.csv"}, "swap_axes": True}}, tmp_path)


def test_hostile_grid_tables_that_match_nothing_say_why(tmp_path):
    _cells(tmp_path, "4550500;3270500;100\n4551500;3270500;200\n")
    (tmp_path / "table.csv").write_text("x;y;Alter\n3270500;4550500;40\n3270500;4551500;41\n",
                                        encoding="utf-8")
    with pytest.raises(InputDataError, match="x and y look swapped"):
        load_city(_grid_cfg(tmp_path))
    (tmp_path / "table.csv").write_text("id;Alter\n1kmN3270E4550;40\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="no row of table 't' matches a unit.*join = 'grid'"):
        load_city(_grid_cfg(tmp_path, table={"join": "id", "key": "id"}))


def test_init_points_a_grid_file_to_units_grid(tmp_path):
    from quartier.onboard import template, write_config

    with pytest.raises(InputDataError, match=r"looks like a census grid \(x, y\).*\[units.grid\]"):
        write_config(tmp_path / "q.toml", GERMANY / "continuous_Einwohner.parquet", [])
    text = template()
    assert "# [units.grid]" in text and "# populated = …" in text and "# bbox = …" in text

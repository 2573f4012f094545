"""Bad input gives a clear error naming the file, the column and the rows."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon

from quartier.config import parse_config
from quartier.errors import ConfigError, InputDataError
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config, tiny_units


def test_tiny_city_known_values(tiny):
    cfg, (units, report) = tiny()
    assert units["share_sgb2_pct"].tolist() == [10.5, 20.0, 5.25, 12.0]
    assert report.tables[0].matched == 4


def test_wrong_id_column_lists_available(tmp_path):
    cfg = tiny_config(tmp_path, table={"key": "PLR"})
    with pytest.raises(InputDataError) as err:
        load_city(cfg)
    msg = str(err.value)
    assert "table.csv" in msg and "'PLR'" in msg and "Available columns: ID, EW, SGB2" in msg


def test_undeclared_decimal_comma_is_named(tmp_path):
    cfg = tiny_config(tmp_path, table={"decimal": "."})
    with pytest.raises(InputDataError) as err:
        load_city(cfg)
    msg = str(err.value)
    assert "'SGB2'" in msg and "decimal comma" in msg and "lines 2, 3, 4, 5" in msg
    assert "decimal = ','" in msg


def test_duplicate_ids_in_table(tmp_path):
    csv = "ID;EW;SGB2\n001;1000;1,0\n002;2000;2,0\n002;500;3,0\n"
    with pytest.raises(InputDataError, match=r"duplicated in lines 3, 4 \(002\)"):
        load_city(tiny_config(tmp_path, csv=csv))


def test_duplicate_ids_in_units(tmp_path):
    units = tiny_units()
    units.loc[3, "ID"] = "001"
    with pytest.raises(InputDataError, match=r"units.gpkg.*'ID'.*duplicate ids: 001"):
        load_city(tiny_config(tmp_path, units=units))


def test_missing_crs(tmp_path):
    units = tiny_units().set_crs(None, allow_override=True)
    with pytest.raises(InputDataError, match=r"declares no CRS \(units.path\); set units.crs"):
        load_city(tiny_config(tmp_path, units=units))
    cfg = tiny_config(tmp_path, units=units, units_extra={"crs": "EPSG:25833"})
    assert len(load_city(cfg)[0]) == 4


def test_unknown_crs_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"units.crs: .*unknown CRS 'EPSG:99999'"):
        tiny_config(tmp_path, units_extra={"crs": "EPSG:99999"})


def test_non_metric_city_crs(tmp_path):
    with pytest.raises(ConfigError, match="city.crs: .*not a metric projected CRS"):
        parse_config({"city": {"name": "x", "crs": "EPSG:4326"},
                      "units": {"path": "u", "id_column": "a", "name_column": "b"}}, tmp_path)


def test_empty_required_crs_is_a_config_error(tmp_path):
    # crs = "" used to pass validation as None and fail later in pyproj/geopandas
    units = {"path": "u", "id_column": "a", "name_column": "b"}
    with pytest.raises(ConfigError, match="city.crs: .*crs is empty"):
        parse_config({"city": {"name": "x", "crs": ""}, "units": units}, tmp_path)
    with pytest.raises(ConfigError, match=r"units.grid.crs: .*crs is empty"):
        parse_config({"city": {"name": "x"}, "units": {"grid": {"path": "c.csv", "crs": ""}}},
                     tmp_path)


def test_series_indicator_with_base_is_a_config_error(tmp_path):
    # labels() used to crash with a TypeError (change_label of column None)
    index = {"status": [{"series": "alo", "year": 2024, "base_year": 2018, "base": "x"}]}
    with pytest.raises(ConfigError, match="base belongs to column"):
        parse_config({"city": {"name": "x"}, "units": {"path": "u", "id_column": "a",
                                                       "name_column": "b"}, "index": index},
                     tmp_path)


def test_invalid_geometry_repaired_polygonal_only(tmp_path):
    units = tiny_units()
    # a bow-tie: self-intersecting, repairs into a MultiPolygon of two triangles
    x0, y0 = 390_000.0, 5_822_000.0
    units.loc[0, "geometry"] = Polygon([(x0, y0), (x0 + 100, y0 + 100), (x0 + 100, y0),
                                        (x0, y0 + 100)])
    units.to_file(tmp_path / "units.gpkg")
    loaded, report = load_city(tiny_config(tmp_path, units=units))
    assert loaded.is_valid.all()
    assert loaded.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert loaded.area.iloc[0] == pytest.approx(5000.0)
    assert any("1 ungültige Geometrie(n) repariert" in n for n in report.unit_notes)


def test_empty_geometry_named(tmp_path):
    units = tiny_units()
    units.loc[2, "geometry"] = Polygon()
    with pytest.raises(InputDataError, match=r"1 unit\(s\) have no geometry: 003"):
        load_city(tiny_config(tmp_path, units=units))


def test_latin1_file_read_with_fallback_and_reported(tmp_path):
    csv = "ID;EW;SGB2;Straße\n001;1000;1,0;Groß\n002;2000;2,0;Müller\n003;1;1;ö\n004;1;1;ä\n"
    cfg = tiny_config(tmp_path, csv=csv.encode("cp1252"))
    _, report = load_city(cfg)
    assert "nicht UTF-8: als cp1252 (Windows) gelesen" in report.tables[0].notes


def test_latin1_file_declared_utf8_is_a_clear_error(tmp_path):
    csv = "ID;EW;SGB2\n001;1000;1,0\n002;2000;2,0\n# Größe\n"
    cfg = tiny_config(tmp_path, csv=csv.encode("latin-1"), table={"encoding": "utf-8"})
    with pytest.raises(InputDataError, match=r"table.csv: cannot be read as utf-8.*cp1252"):
        load_city(cfg)


def test_empty_file(tmp_path):
    with pytest.raises(InputDataError, match="table.csv: the file is empty"):
        load_city(tiny_config(tmp_path, csv=b""))
    with pytest.raises(InputDataError, match="header but no data rows"):
        load_city(tiny_config(tmp_path, csv="ID;EW;SGB2\n"))


def test_ids_that_lost_leading_zeros_are_padded_and_reported(tmp_path):
    csv = "ID;EW;SGB2\n1;1000;1,0\n2.0;2000;2,0\n003;500;3,0\n4;800;4,0\n"
    units, report = load_city(tiny_config(tmp_path, csv=csv))
    assert report.tables[0].matched == 4
    assert units["ew"].tolist() == [1000, 2000, 500, 800]
    assert "3 Kennung(en) hatten ihre führenden Nullen verloren: auf 3 Stellen aufgefüllt" in \
        report.tables[0].notes


def test_missing_value_codes_stay_nan_and_are_reported(tmp_path):
    csv = "ID;EW;SGB2\n001;1000;–\n002;2000;-9999\n003;500;keine Daten\n004;800;1 675,5\n"
    units, report = load_city(tiny_config(tmp_path, csv=csv, table={"na_values": ["-9999"]}))
    assert units["share_sgb2_pct"].isna().tolist() == [True, True, True, False]
    assert units["share_sgb2_pct"].iloc[3] == 1675.5  # "1 675,5": space thousands
    assert report.tables[0].rows_with_missing["share_sgb2_pct"] == ["001", "002", "003"]


def test_unknown_text_value_names_lines(tmp_path):
    csv = "ID;EW;SGB2\n001;1000;1,0\n002;2000;n/a*\n003;1;1\n004;1;1\n"
    with pytest.raises(InputDataError, match=r"column 'SGB2', lines 3: n/a\*: they are not numbers"):
        load_city(tiny_config(tmp_path, csv=csv))


def test_footnotes_skipped_and_unmatched_reported(tmp_path):
    csv = ("ID;EW;SGB2\n001;1000;1,0\n002;2000;2,0\n003;1;1\n004;1;1\n005;7;7\n"
           "Quelle: Amt für Statistik;;\n")
    units, report = load_city(tiny_config(tmp_path, csv=csv))
    t = report.tables[0]
    assert t.only_in_table == ["005"]
    assert "1 Fußnoten- oder Leerzeile(n) übersprungen (Zeilen 7)" in t.notes


def test_unmatched_units_kept_with_nan(tmp_path):
    csv = "ID;EW;SGB2\n001;1000;1,0\n002;2000;2,0\n"
    units, report = load_city(tiny_config(tmp_path, csv=csv))
    assert len(units) == 4 and units["ew"].isna().sum() == 2
    assert report.tables[0].only_in_units == ["003", "004"]


def test_swapped_axes_detected_by_bounds(tmp_path):
    units = tiny_units().to_crs(4326)
    swapped = units.set_geometry(units.geometry.map(
        lambda g: Polygon([(y, x) for x, y in g.exterior.coords])))
    with pytest.raises(InputDataError, match="look swapped.*swap_axes = true"):
        load_city(tiny_config(tmp_path, units=gpd.GeoDataFrame(swapped)))
    cfg = tiny_config(tmp_path, units=gpd.GeoDataFrame(swapped), units_extra={"swap_axes": True})
    assert load_city(cfg)[0].area.sum() == pytest.approx(4e6, rel=1e-3)


def test_wrong_separator_is_named(tmp_path):
    with pytest.raises(InputDataError, match="seems to use sep = ';'"):
        load_city(tiny_config(tmp_path, table={"sep": ","}))


def test_config_errors_have_key_paths(tmp_path):
    with pytest.raises(ConfigError) as err:
        parse_config({"city": {"name": "x"}, "units": {"path": "u", "idcolumn": "a"},
                      "tables": [{"name": "t", "path": "p", "key": "k", "columns": {},
                                  "format": "sav"}]}, tmp_path)
    msg = str(err.value)
    assert "units.idcolumn: unknown key — did you mean 'id_column'?" in msg
    with pytest.raises(ConfigError, match=r"units: .*\[units\] needs \['id_column'\]"):
        parse_config({"city": {"name": "x"}, "units": {"path": "u", "name_column": "a"}}, tmp_path)
    assert "tables[0].format" in msg


# ------------------------------------------------------------------ issue 20: trust, second round


def test_byte_order_mark_in_a_file_declared_utf8_is_removed_and_said(tmp_path):
    """Issue 20.18: a BOM made the key column '\\ufeffID' ("key column 'ID' not found")."""
    csv = "\ufeffID;EW;SGB2\n001;1000;10,5\n002;2000;20,0\n003;500;5,25\n004;800;12,0\n"
    for encoding in ("utf-8", "UTF8", "utf_8"):
        units, report = load_city(tiny_config(tmp_path, csv=csv, table={"encoding": encoding}))
        assert units["share_sgb2_pct"].tolist() == [10.5, 20.0, 5.25, 12.0]
        assert "UTF-8-Byte-Order-Mark (BOM) am Anfang der Datei entfernt" in report.tables[0].notes


def test_unquoted_decimal_comma_in_a_comma_separated_row_is_named(tmp_path):
    """Issue 20.2: '…,1,249,…' split one value in two; the row was shifted, the extra field
    dropped without a word."""
    csv = "ID,EW,SGB2\n001,1000,10.5\n002,2000,1,249\n003,500,5.25\n004,800,12.0\n"
    cfg = tiny_config(tmp_path, csv=csv, table={"sep": ",", "decimal": "."})
    with pytest.raises(InputDataError) as err:
        load_city(cfg)
    msg = str(err.value)
    assert "table.csv" in msg and "line 3" in msg and "4 fields" in msg and "header has 3" in msg
    assert "quote" in msg


def test_row_with_fewer_fields_than_the_header_is_named(tmp_path):
    # '002;20,0': EW left out in the middle; SGB2 would be read as EW
    csv = "ID;EW;SGB2\n001;1000;10,5\n002;20,0\n003;500;5,25\n004;800;12,0\n"
    with pytest.raises(InputDataError, match=r"table.csv: line 3 has 2 fields, the header has 3"):
        load_city(tiny_config(tmp_path, csv=csv))


def test_short_rows_missing_only_unnamed_trailing_fields_are_read(tmp_path):
    """A header ending in separators: rows may leave those fields out; blank lines and a
    footnote without separators stay fine."""
    csv = ("ID;EW;SGB2;;\n001;1000;10,5\n002;2000;20,0;;\n\n003;500;5,25;\n004;800;12,0\n"
           "Quelle: Amt für Statistik\n")
    units, report = load_city(tiny_config(tmp_path, csv=csv))
    assert units["share_sgb2_pct"].tolist() == [10.5, 20.0, 5.25, 12.0]


def test_a_row_with_an_empty_field_too_many_is_named(tmp_path):
    """'004,800,12,0,' in a comma-separated file whose last column is empty: the value split in
    two pushes the empty note out of the row, which then looks like a trailing separator."""
    csv = ("ID,EW,SGB2,Anmerkung\n001,1000,10.5,\n002,2000,20.0,\n003,500,5.25,\n"
           "004,800,12,0,\n")
    with pytest.raises(InputDataError, match=r"line 5 has 5 fields, the header has 4"):
        load_city(tiny_config(tmp_path, csv=csv, table={"sep": ",", "decimal": "."}))
    # a field lost in the middle of a row whose last field is empty: 4 → 3 fields
    csv = "ID;EW;SGB2;Anmerkung\n001;1000;10,5;\n002;20,0;\n003;500;5,25;\n004;800;12,0;\n"
    with pytest.raises(InputDataError, match=r"line 3 has 3 fields, the header has 4"):
        load_city(tiny_config(tmp_path, csv=csv))
    # every row left out the named last column: which field is missing cannot be known
    csv = "ID;EW;SGB2;Anmerkung\n001;1000;10,5\n002;2000;20,0\n003;500;5,25\n004;800;12,0\n"
    with pytest.raises(InputDataError, match=r"lines 2, 3, 4, 5 have 3, 3, 3, 3 fields"):
        load_city(tiny_config(tmp_path, csv=csv))


def _xlsx(path, rows, formats=None, formulas=None):
    """A workbook written by openpyxl (GENERATED): ``formats`` {cell: number format},
    ``formulas`` {cell: formula} (openpyxl stores no result: the cell has no cached value)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for cell, fmt in (formats or {}).items():
        ws[cell].number_format = fmt
    for cell, formula in (formulas or {}).items():
        ws[cell] = formula
    wb.save(path)


PCT_SPEC = {"EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct", "unit": "%"}}


def test_percent_formatted_xlsx_with_empty_cells_is_refused(tmp_path):
    """Issue 20.1: percent cells (0.055 for 5,5 %) and an invalid row as an empty cell were read
    as 0.0066–0.75 %: the 0–1 check did not fire because of the empty cell."""
    rows = [["ID", "EW", "SGB2"], ["001", 1000, 0.055], ["002", 2000, None], ["003", 500, 0.2],
            ["004", 800, 0.0066]]
    _xlsx(tmp_path / "t.xlsx", rows, {f"C{i}": "0.0%" for i in range(2, 6)})
    table = {"format": "xlsx", "path": "t.xlsx", "columns": PCT_SPEC}
    with pytest.raises(InputDataError) as err:
        load_city(tiny_config(tmp_path, table=table))
    msg = str(err.value)
    assert "t.xlsx" in msg and "'SGB2'" in msg and "percent" in msg and "scale = 100" in msg
    assert "lines 2, 4, 5" in msg
    spec = {**PCT_SPEC, "SGB2": {**PCT_SPEC["SGB2"], "scale": 100}}
    units, _ = load_city(tiny_config(tmp_path, table={**table, "columns": spec}))
    assert units["share_sgb2_pct"].round(6).tolist()[:1] == [5.5]
    assert units["share_sgb2_pct"].isna().tolist() == [False, True, False, False]


def test_percent_formatted_cells_outside_0_1_are_refused_too(tmp_path):
    """0.055 (5,5 %) beside 1.2 (120 %) passed the 0–1 check; the cell format tells."""
    rows = [["ID", "EW", "SGB2"], ["001", 1000, 0.055], ["002", 2000, 1.2], ["003", 500, 0.2],
            ["004", 800, 0.3]]
    _xlsx(tmp_path / "t.xlsx", rows, {f"C{i}": "0%" for i in range(2, 6)})
    with pytest.raises(InputDataError, match=r"'SGB2'.*formatted as percent.*scale = 100"):
        load_city(tiny_config(tmp_path, table={"format": "xlsx", "path": "t.xlsx",
                                               "columns": PCT_SPEC}))


def test_percent_and_plain_cells_mixed_in_one_column_are_named(tmp_path):
    rows = [["ID", "EW", "SGB2"], ["001", 1000, 0.055], ["002", 2000, 12.5], ["003", 500, 0.2],
            ["004", 800, 7]]
    _xlsx(tmp_path / "t.xlsx", rows, {"C2": "0.0%", "C4": "0.0%"})
    with pytest.raises(InputDataError) as err:
        load_city(tiny_config(tmp_path, table={"format": "xlsx", "path": "t.xlsx",
                                               "columns": PCT_SPEC}))
    msg = str(err.value)
    assert "lines 2, 4" in msg and "lines 3, 5" in msg and "mixes" in msg


def test_percent_column_of_a_csv_all_in_0_1_is_refused(tmp_path):
    """Issue 20.1: a CSV whose '%' column holds fractions (0.055) was read as 0.055 %."""
    csv = "ID;EW;SGB2\n001;1000;0,055\n002;2000;\n003;500;0,2\n004;800;0,75\n"
    table = {"columns": PCT_SPEC}
    with pytest.raises(InputDataError) as err:
        load_city(tiny_config(tmp_path, csv=csv, table=table))
    msg = str(err.value)
    assert "table.csv" in msg and "'SGB2'" in msg and "0–1" in msg
    assert "scale = 100" in msg and "max = 1" in msg
    # max = 1 confirms shares below 1 %; scale = 100 reads fractions as percent
    confirmed = {**PCT_SPEC, "SGB2": {**PCT_SPEC["SGB2"], "max": 1}}
    units, _ = load_city(tiny_config(tmp_path, csv=csv, table={"columns": confirmed}))
    assert units["share_sgb2_pct"].tolist()[0] == 0.055
    scaled = {**PCT_SPEC, "SGB2": {**PCT_SPEC["SGB2"], "scale": 100}}
    units, _ = load_city(tiny_config(tmp_path, csv=csv, table={"columns": scaled}))
    assert units["share_sgb2_pct"].round(6).tolist()[0] == 5.5


def _xlsxwriter_book(path, rows, formulas, calculated=False):
    """A workbook written by xlsxwriter (GENERATED): ``formulas`` {(row, col): (formula, stored
    result)}. xlsxwriter stores 0 as the result unless told otherwise and asks the spreadsheet
    to calculate on opening; ``calculated`` removes that request, as if a spreadsheet had
    calculated and saved the workbook."""
    import zipfile

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Daten")
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    for (r, c), (formula, value) in formulas.items():
        ws.write_formula(r, c, formula, None, value)
    wb.close()
    if calculated:
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
        with zipfile.ZipFile(path, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)


XLSX_TABLE = {"format": "xlsx", "path": "t.xlsx"}
ROWS = [["ID", "EW", "SGB2"], ["001", 1000, 10.5], ["002", 2000, None], ["003", 500, None],
        ["004", 800, 12]]


def test_formula_cells_with_placeholder_results_are_missing_not_zero(tmp_path):
    """Issue 20.3: formulas written by a program (stored result 0, never calculated) were read
    as 0 % child poverty."""
    _xlsxwriter_book(tmp_path / "t.xlsx", ROWS, {(2, 2): ("=C2*2", 0), (3, 2): ("=C2/2", 0)})
    units, report = load_city(tiny_config(tmp_path, table=XLSX_TABLE))
    assert units["share_sgb2_pct"].isna().tolist() == [False, True, True, False]
    note = next(n for n in report.tables[0].notes if "Formelzelle" in n)
    assert "Spalte „SGB2“: 2 Formelzelle(n) als fehlend gelesen" in note and "Zeilen 3, 4" in note
    assert "verlangt eine Berechnung beim Öffnen" in note
    assert report.tables[0].rows_with_missing["share_sgb2_pct"] == ["002", "003"]


def test_formula_cells_without_a_stored_result_are_missing_and_said(tmp_path):
    # openpyxl stores formulas without any result
    _xlsx(tmp_path / "t.xlsx", ROWS, formulas={"C3": "=C2*2", "C4": "=C2/2"})
    units, report = load_city(tiny_config(tmp_path, table=XLSX_TABLE, language="en"))
    assert units["share_sgb2_pct"].isna().tolist() == [False, True, True, False]
    assert any("'SGB2': 2 formula cell(s) read as missing (no result is stored), lines 3, 4" in n
               for n in report.tables[0].notes)


def test_formula_results_calculated_by_a_spreadsheet_are_used_and_said(tmp_path):
    _xlsxwriter_book(tmp_path / "t.xlsx", ROWS, {(2, 2): ("=C2*2", 21), (3, 2): ("=C2/2", 5.25)},
                     calculated=True)
    units, report = load_city(tiny_config(tmp_path, table=XLSX_TABLE))
    assert units["share_sgb2_pct"].tolist() == [10.5, 21, 5.25, 12]
    assert any("„SGB2“: 2 Formelzelle(n): das bei der letzten Berechnung gespeicherte Ergebnis"
               in n and "Zeilen 3, 4" in n for n in report.tables[0].notes)


def test_weighted_merge_with_a_member_lacking_its_population_is_missing(tmp_path):
    """Issue 20.6: dissolve_by with a member lacking its population: the merged share was the
    other members' alone (and written to priority.csv/units.csv)."""
    units = tiny_units().assign(BZ=["A", "A", "B", "B"])
    csv = "ID;EW;SGB2\n001;1000;10,0\n002;;30,0\n003;500;5,0\n004;1500;9,0\n"
    cfg = tiny_config(tmp_path, units=units, csv=csv, units_extra={"dissolve_by": "BZ"},
                      table={"columns": {"EW": {"name": "ew", "aggregate": "sum"},
                                         "SGB2": {"name": "share_sgb2_pct", "unit": "%"}}})
    merged, report = load_city(cfg)
    got = merged.set_index("unit_id")
    assert np.isnan(got.loc["A", "share_sgb2_pct"])          # not 10.0 (001's alone)
    assert got.loc["B", "share_sgb2_pct"] == pytest.approx((500 * 5 + 1500 * 9) / 2000)
    note = report.unit_notes[-1]
    assert "mit der Einwohnerzahl gewichtete Mittelwerte (share_sgb2_pct) bleiben leer für " \
        "A (Teil 002 ohne ew)" in note

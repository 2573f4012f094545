"""Tables as offices publish them, malformed: each read right or refused naming file, column and
rows. Inputs are GENERATED small cases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quartier.errors import InputDataError
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config, tiny_units


def _xlsx(path: Path, rows: list[list[object]], sheet: str = "Daten") -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_share_outside_0_100_is_an_error(tmp_path):
    csv_text = "ID;EW;SGB2\n001;1000;10\n002;2000;-0,5\n003;500;100,5\n004;800;12\n"
    cfg = tiny_config(tmp_path, csv=csv_text, table={"columns": {
        "EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct", "unit": "%"}}})
    with pytest.raises(InputDataError, match=r"'SGB2' is a share in % .* lines 3, 4 hold -0.5, 100.5"):
        load_city(cfg)
    ok = tiny_config(tmp_path, csv=csv_text, table={"columns": {
        "EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct", "unit": "%", "min": -5, "max": 200}}})
    assert load_city(ok)[0]["share_sgb2_pct"].min() == -0.5


def test_duplicated_header_is_an_error(tmp_path):
    csv_text = "ID;EW;SGB2;SGB2\n001;1;1;2\n002;1;1;2\n003;1;1;2\n004;1;1;2\n"
    with pytest.raises(InputDataError, match=r"header names 'SGB2' more than once \(columns 3, 4\)"):
        load_city(tiny_config(tmp_path, csv=csv_text))


def test_unused_duplicated_header_is_noted(tmp_path):
    csv_text = "ID;EW;SGB2;X;X\n001;1;1;a;b\n002;1;1;a;b\n003;1;1;a;b\n004;1;1;a;b\n"
    _, report = load_city(tiny_config(tmp_path, csv=csv_text))
    assert "Spaltenüberschrift „X“ steht in den Spalten 4, 5: die späteren in „X (2)“, … " \
        "umbenannt" in report.tables[0].notes


def test_drop_keys_never_deletes_a_unit_silently(tmp_path):
    units = tiny_units()
    units.loc[0, "NAME"] = "Mitte"
    csv_text = ("Name;Ebene;EW;SGB2\nMitte;Bezirk;9000;12\nMitte;Ortsteil;1000;10\n"
                "Quartier 2;Ortsteil;2000;20\nQuartier 3;Ortsteil;500;5\nQuartier 4;Ortsteil;800;12\n")
    base = {"key": "Name", "join": "name", "id_width": None}
    with pytest.raises(InputDataError, match=r"drop_keys removes rows \(lines 2, 3\) .* also a unit's"):
        load_city(tiny_config(tmp_path, units=units, csv=csv_text, table={**base, "drop_keys": ["Mitte"]}))
    with pytest.raises(InputDataError, match=r"duplicated in lines 2, 3 .*\(drop_rows\)"):
        load_city(tiny_config(tmp_path, units=units, csv=csv_text, table=base))
    for rule, said in (({"drop_rows": [2]}, "drop_rows"),
                       ({"drop_where": {"Ebene": ["Bezirk"]}}, "drop_where „Ebene“")):
        loaded, report = load_city(tiny_config(tmp_path, units=units, csv=csv_text,
                                               table={**base, **rule}))
        assert loaded.loc[0, "ew"] == 1000
        assert f"1 Zeile(n) durch {said} entfernt: Zeilen 2" in report.tables[0].notes


def test_table_path_is_a_folder(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(InputDataError, match="is a folder, not a file"):
        load_city(tiny_config(tmp_path, table={"path": "dir"}))


def test_huge_population_value(tmp_path):
    csv_text = "ID;EW;SGB2\n001;1e400;10\n002;2000;20\n003;500;5\n004;800;12\n"
    with pytest.raises(InputDataError, match=r"'EW', lines 2: 1e400 exceed the range"):
        load_city(tiny_config(tmp_path, csv=csv_text))


def test_xlsx_that_is_a_csv(tmp_path):
    cfg = tiny_config(tmp_path, table={"format": "xlsx"})
    with pytest.raises(InputDataError, match="not an xlsx workbook .* text/CSV file"):
        load_city(cfg)


def test_missing_sheet_lists_the_sheets(tmp_path):
    cfg = tiny_config(tmp_path, table={"format": "xlsx", "path": "t.xlsx", "sheet": "Tabelle1"})
    _xlsx(tmp_path / "t.xlsx", [["ID", "EW", "SGB2"], ["001", 1, 1]])
    with pytest.raises(InputDataError, match="no sheet named 'Tabelle1'; sheets: 'Daten'"):
        load_city(cfg)


def test_xlsx_rows_with_empty_key_cells_are_skipped_and_named(tmp_path):
    rows = [["ID", "EW", "SGB2"], ["001", 1000, 10.5], ["002", 2000, 20], [None, None, None],
            ["003", 500, 5.25], ["004", 800, 12], [None, "Quelle: Amt für Statistik", None]]
    _xlsx(tmp_path / "t.xlsx", rows)
    cfg = tiny_config(tmp_path, table={"format": "xlsx", "path": "t.xlsx"})
    units, report = load_city(cfg)
    assert units["share_sgb2_pct"].tolist() == [10.5, 20, 5.25, 12]
    assert "2 Fußnoten- oder Leerzeile(n) übersprungen (Zeilen 4, 7)" in report.tables[0].notes


def test_malformed_json_records(tmp_path):
    (tmp_path / "t.json").write_text('{"data": {"2020": {"EW": [{"district": "a"}]}}}')
    cfg = tiny_config(tmp_path, table={"format": "json", "path": "t.json", "json_year": "2020",
                                       "key": "district", "join": "name", "id_width": None,
                                       "columns": {"EW": {"name": "ew"}}})
    with pytest.raises(InputDataError, match=r"records 0 lack 'district' or 'value'"):
        load_city(cfg)
    (tmp_path / "t.json").write_text('{"data": [1, 2]')
    with pytest.raises(InputDataError, match="not valid JSON"):
        load_city(cfg)


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


def test_rows_with_values_but_no_key_are_named(tmp_path):
    csv_text = "ID;EW;SGB2\n001;1000;10\n;2000;20\n002;500;5\n003;1;1\n004;1;1\n"
    _, report = load_city(tiny_config(tmp_path, csv=csv_text))
    assert "1 Zeile(n) mit Werten, aber ohne Schlüssel übersprungen – bitte prüfen: Zeilen 3" \
        in report.tables[0].notes
    assert np.isfinite(report.tables[0].rows)

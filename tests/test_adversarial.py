"""The trust catalogue (issue 11): hostile data, silently wrong results, lost outputs.

Each test asserts the exact outcome: a correct result, or a QuartierError (exit code 2 in the
CLI) whose message names the file, the column and the rows. Data from the hostile city
(:mod:`tests.hostile`) is GENERATED.
"""

from __future__ import annotations

import csv
import errno
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import LineString, Point, box
from typer.testing import CliRunner

from quartier import pipeline
from quartier.analysis.hotspots import hot_spots
from quartier.analysis.indicators import compute_index, zscore
from quartier.cli import app
from quartier.config import load_config
from quartier.errors import ConfigError, InputDataError
from quartier.io.escape import html_text, safe_filename, spreadsheet_text
from quartier.io.outputs import OutputError, write_csv, write_table
from quartier.pipeline.load import load_city
from quartier.review import store as review
from tests.browser import open_page
from tests.conftest import tiny_config, tiny_units
from tests.hostile import RCE, TEMPLATE, hostile_config

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d[\d .,]*|[.,]\d+)([eE][+-]?\d+)?$")


def _cells(out: Path) -> list[tuple[str, str]]:
    """(file, cell text) of every CSV and xlsx cell in a folder, headers included."""
    cells = []
    for path in sorted(out.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            cells += [(path.name, c) for row in csv.reader(fh) for c in row]
    for path in sorted(out.glob("*.xlsx")):
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += [(path.name, c) for c in row if isinstance(c, str)]
    return cells


def _formula_cells(out: Path) -> list[tuple[str, str]]:
    return [(f, c) for f, c in _cells(out) if c.startswith(FORMULA_START) and not NUMBER.match(c)]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """`quartier run` twice on the hostile city (a reviewer decides in between) from a working
    directory where the RCE payload would create the folder PROOF."""
    base = tmp_path_factory.mktemp("hostile")
    cfg = hostile_config(base / "city")
    out = base / "out"
    cwd = os.getcwd()
    os.chdir(base)
    try:
        first = pipeline.run(cfg, out)
        con = review.open_store(out / "review.sqlite")
        gap_id = review.cadastre(con)["gap_id"].iloc[0]
        review.decide(con, gap_id, "bestätigt", f"=HYPERLINK(1) {TEMPLATE} [/]",
                      f"{RCE} <script>alert(1)</script> =1+1 [bold]x[/]")
        con.close()
        res = CliRunner().invoke(app, ["run", str(base / "city" / "cfg.toml"), "--out", str(out)])
        second = pipeline.run(cfg, out)
    finally:
        os.chdir(cwd)
    return base, out, first, second, res


# ---------------------------------------------------------------------------------- security


def test_no_code_runs_from_data(hostile_run):
    base, out, *_ = hostile_run
    assert not any(p.name == "PROOF" for p in base.rglob("*"))
    for name in ("quartier_map.html", "map_share_sgb2_pct.html", "report.html"):
        text = (out / name).read_text(encoding="utf-8")
        # no template syntax from data survives in the page source: all braces are references
        assert "{{7*7}}" not in text and "{{ lipsum" not in text and "{%" not in text
        assert "${7*7}" not in text
        # neutralised: as HTML character references, or JSON-escaped ones inside GeoJSON data
        assert ("&#123;&#123;7*7&#125;&#125;" in text
                or "\\u0026#123;\\u0026#123;7*7\\u0026#125;\\u0026#125;" in text)


def test_payload_shows_as_literal_text_in_the_browser(hostile_run, tmp_path):
    _, out, *_ = hostile_run
    for name in ("quartier_map.html", "report.html"):
        errors, dom = open_page(out / name, tmp_path / f"{name}.png")
        assert errors == [], errors
        assert "{{7*7}}" in dom          # the city name, layer names, legend: as written
        assert "Hostile 49" not in dom and "Kita 49" not in dom
        assert "<script>alert(1)</script>" not in dom
        assert 'class="666"' not in dom   # no escape sequence decoded into markup


def test_notebook_output_is_literal(hostile_run):
    """A folium map shown in a notebook goes through _repr_html_: the same second Jinja2 pass."""
    from quartier.outputs import maps

    _, _, first, *_ = hostile_run
    fmap = maps.combined_map(first.units, first.flags.table.sort_index())
    shown = fmap._repr_html_()
    assert "7*7" in shown and "{{7*7}}" not in shown and "{{ lipsum" not in shown


def test_no_spreadsheet_cell_starts_a_formula(hostile_run):
    base, out, *_ = hostile_run
    files = review.export(review.open_store(out / "review.sqlite"), base / "export")
    assert len(files) == 3
    assert _formula_cells(out) == []
    assert _formula_cells(base / "export") == []
    # the payload is there, neutralised, and real negative numbers stay numbers
    names = [c for _, c in _cells(out)]
    assert "'=1+1" in names and "'-2+3" in names
    kat = load_workbook(base / "export" / "baulueckenkataster.xlsx").active
    values = [c for row in kat.iter_rows(values_only=True) for c in row]
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in values)
    units = pd.read_csv(out / "units.csv", encoding="utf-8-sig", dtype=str)
    assert "Glocke␇␛[31mrot" in set(units["unit_name"])


def test_spreadsheet_text_rules():
    assert spreadsheet_text("=1+1") == "'=1+1"
    assert spreadsheet_text("@x") == "'@x" and spreadsheet_text("\tx") == "'\tx"
    assert spreadsheet_text("-3,5") == "-3,5" and spreadsheet_text("+49") == "+49"
    assert spreadsheet_text("-x") == "'-x" and spreadsheet_text("a=b") == "a=b"
    assert spreadsheet_text(-3.5) == -3.5
    assert spreadsheet_text("a\x00b") == "a␀b"


def test_negative_numbers_stay_numbers_in_xlsx(tmp_path):
    write_table(pd.DataFrame({"v": [-1.5, 2.0], "t": ["-1,5", "=2"]}), tmp_path / "x.csv")
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert [c.value for c in ws["A"]][1:] == [-1.5, 2]
    assert [c.value for c in ws["B"]][1:] == ["-1,5", "'=2"]


def test_html_text_neutralises_templates():
    assert html_text("{{7*7}}") == "&#123;&#123;7*7&#125;&#125;"
    assert html_text("${x}`") == "&#36;&#123;x&#125;&#96;"
    assert html_text("<b>") == "&lt;b&gt;"


def test_output_file_cannot_leave_out(tmp_path):
    with pytest.raises(ConfigError, match="not a column name"):
        tiny_config(tmp_path, map={"indicator": "../../x"})
    with pytest.raises(ConfigError, match="file name"):
        safe_filename("../x.html", "map.indicator")
    with pytest.raises(ConfigError, match="not a usable column name"):
        tiny_config(tmp_path, table={"columns": {"EW": {"name": "../ew"}}})


def test_cli_prints_markup_from_data_literally(hostile_run):
    *_, res = hostile_run
    assert res.exit_code == 0, res.output
    assert "[/]" in res.output and "[bold red]x[/]" in res.output
    assert "\x1b[31m" not in res.output and "␛[31m" in res.output


def test_review_cli_with_markup_names(tmp_path, hostile_run):
    _, out, *_ = hostile_run
    store = out / "review.sqlite"
    runner = CliRunner()
    listing = runner.invoke(app, ["gaps", "review", str(store)])
    assert listing.exit_code == 0, listing.output
    assert "HYPERLINK" in listing.output and "[/]" in listing.output
    gap_id = review.cadastre(review.open_store(store))["gap_id"].iloc[0]
    res = runner.invoke(app, ["gaps", "review", str(store), "--set", gap_id, "--status",
                              "verworfen", "--reviewer", "[/]", "--note", "[bold]"])
    assert res.exit_code == 0, res.output
    assert "([/])" in res.output
    hist = runner.invoke(app, ["gaps", "review", str(store), "--history", gap_id])
    assert hist.exit_code == 0 and "[bold]" in hist.output


# --------------------------------------------------------------------------- silently wrong


def test_gi_star_invariant_to_a_constant_and_hot_where_high():
    """GENERATED 6 × 6 grid: the north-east 3 × 3 corner is high, the rest low (known answer)."""
    cells = [(i, j) for j in range(6) for i in range(6)]
    grid = gpd.GeoDataFrame(geometry=[box(i, j, i + 1, j + 1) for i, j in cells], crs=3857)
    high = np.array([i >= 3 and j >= 3 for i, j in cells])
    rng = np.random.default_rng(0)
    y = np.where(high, 2.0, -1.0) + 0.1 * rng.standard_normal(36)
    y = y - y.mean()                      # a z-score-like variable: sums to ~0
    valid = pd.Series(True, index=grid.index)
    labels = {}
    for shift in (0.0, 1000.0, -1000.0):
        labels[shift] = hot_spots(grid.assign(v=y + shift), "v", valid=valid, seed=1)["hotspot"]
    assert (labels[0.0] == labels[1000.0]).all() and (labels[0.0] == labels[-1000.0]).all()
    hot = labels[0.0] == "Hot Spot"
    assert hot.any() and high[hot.to_numpy()].all()
    cold = labels[0.0] == "Cold Spot"
    assert not high[cold.to_numpy()].any()


def test_berlin_hot_spots_have_higher_index_than_cold(berlin, berlin_cfg):
    units, _ = berlin
    idx = compute_index(units, berlin_cfg.index, population_column=berlin_cfg.population_column)
    res = {s: hot_spots(units.assign(v=idx["status_index"] + s), "v", valid=idx["valid"])
           for s in (0.0, 1000.0)}
    assert (res[0.0]["hotspot"] == res[1000.0]["hotspot"]).all()
    status = idx["status_index"]
    hot_mean = status[res[0.0]["hotspot"] == "Hot Spot"].mean()
    cold_mean = status[res[0.0]["hotspot"] == "Cold Spot"].mean()
    assert (res[0.0]["hotspot"] == "Hot Spot").sum() == 37
    assert (res[0.0]["hotspot"] == "Cold Spot").sum() == 64
    assert hot_mean == pytest.approx(1.61, abs=0.01) and cold_mean == pytest.approx(-1.07, abs=0.01)


@pytest.mark.parametrize(("decimal", "thousands", "value", "fragment"), [
    (",", ".", "4.22594", "valid only before groups of exactly three digits"),
    (".", ",", "5,4", "valid only before groups of exactly three digits"),
    (",", None, "4.2", "decimal point"),
    (".", None, "4,2", "decimal comma"),
    (",", None, "1e400", "overflow to infinity"),
    (",", None, "inf", "not numbers"),
    (",", None, "12 5", "not numbers"),
])
def test_separators_never_change_a_value(tmp_path, decimal, thousands, value, fragment):
    csv_text = f"ID;EW;SGB2\n001;1000;{value}\n002;2000;20\n003;500;5\n004;800;12\n"
    cfg = tiny_config(tmp_path, csv=csv_text, table={"decimal": decimal, "thousands": thousands})
    with pytest.raises(InputDataError) as err:
        load_city(cfg)
    msg = str(err.value)
    assert "table.csv" in msg and "'SGB2'" in msg and "lines 2" in msg and fragment in msg


def test_valid_thousands_are_read(tmp_path):
    csv_text = "ID;EW;SGB2\n001;1.675;12,5\n002;12.345.678;−3,25\n003;1 500;5\n004;800;1.000,5\n"
    cfg = tiny_config(tmp_path, csv=csv_text, table={"thousands": "."},
                      **{"population_column": None})
    units, _ = load_city(cfg)
    assert units["ew"].tolist() == [1675, 12345678, 1500, 800]
    assert units["share_sgb2_pct"].tolist() == [12.5, -3.25, 5, 1000.5]


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
    assert any("'X' occurs in columns 4, 5" in n for n in report.tables[0].notes)


def test_web_mercator_is_refused_with_the_reason(tmp_path):
    cfg = tiny_config(tmp_path, city={"name": "t", "crs": "EPSG:3857"})
    with pytest.raises(InputDataError, match=r"stretches distances and areas by up to 6\d\.\d %"):
        load_city(cfg)
    allowed = tiny_config(tmp_path, city={"name": "t", "crs": "EPSG:3857", "max_scale_error_pct": 10})
    with pytest.raises(InputDataError, match="raise city.max_scale_error_pct"):
        load_city(allowed)
    for crs in ("EPSG:25832", "EPSG:31468", "EPSG:3035"):
        units, _ = load_city(tiny_config(tmp_path, city={"name": "t", "crs": crs}))
        assert units.crs.to_epsg() == int(crs[5:])


def test_gaps_crs_must_be_metric(tmp_path):
    with pytest.raises(ConfigError, match="not a metric projected CRS"):
        tiny_config(tmp_path, gaps={"osm": "x.osm", "crs": "EPSG:4326"})


@pytest.mark.parametrize("geom", [Point(390_100, 5_820_100),
                                  LineString([(390_000, 5_820_000), (390_500, 5_820_500)])])
def test_point_or_line_units_are_refused(tmp_path, geom):
    units = tiny_units()
    units.loc[2, "geometry"] = geom
    with pytest.raises(InputDataError, match=r"units must be areas .* are (Point|LineString) ×1: 003"):
        load_city(tiny_config(tmp_path, units=units))


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


def test_relative_change_needs_a_positive_base_and_is_per_year():
    from quartier.analysis.monitor import evaluate, relative_change_pct
    from quartier.config import MonitorTarget

    got = relative_change_pct(pd.Series([110.0, 5.0, 5.0]), pd.Series([100.0, 0.0, -5.0]))
    assert got.iloc[0] == pytest.approx(10.0) and got.iloc[1:].isna().all()
    long = pd.DataFrame({"unit_id": ["a"] * 3, "year": [2018, 2020, 2021],
                         "indicator": "x", "value": [100.0, 121.0, 60.5]})
    res = evaluate(long, [MonitorTarget(indicator="x", measure="change_pct", target=3.0)])
    a = res[res["unit_id"] == "a"].set_index("year")["measure"]
    assert a[2020] == pytest.approx(10.0) and a[2021] == pytest.approx(-50.0)
    res = evaluate(long, [MonitorTarget(indicator="x", measure="change_abs", target=0.0)])
    assert res[res["unit_id"] == "a"].set_index("year")["measure"][2020] == pytest.approx(10.5)


def test_inf_in_an_index_column_is_not_called_constant():
    with pytest.raises(InputDataError, match="has 1 infinite value"):
        zscore(pd.Series([1.0, np.inf, 2.0], name="x"), pd.Series([True] * 3))


def test_empty_category_stays_missing_and_leaves_the_score(hostile_run):
    _, out, first, *_ = hostile_run
    acc = first.access.table
    assert acc["dist_arzt_m"].isna().all() and acc["score_arzt"].isna().all()
    assert acc["share_within_arzt_pct"].isna().all()
    # access_score is the weighted mean of the two categories with POIs (weights 1, 1)
    expected = (acc["score_kita"] + acc["score_supermarkt"]) / 2
    assert np.allclose(acc["access_score"], expected)
    assert acc["access_notes"].str.contains("access_score ohne arzt").all()
    csv_table = pd.read_csv(out / "access_units.csv", encoding="utf-8-sig")
    assert csv_table["score_arzt"].isna().all()


def test_without_population_raster_shares_are_unknown(hostile_run):
    _, out, first, *_ = hostile_run
    acc = first.access.table
    assert (acc["origin"] == "Repräsentativpunkt").all()
    assert acc["share_within_kita_pct"].isna().all()
    assert acc["access_notes"].str.contains("keine Bevölkerungsquelle").all()
    assert any("keine Bevölkerungsquelle" in n for n in first.access.notes)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Rückfallregeln" in report and "keine Bevölkerungsquelle" in report


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
    for rule in ({"drop_rows": [2]}, {"drop_where": {"Ebene": ["Bezirk"]}}):
        loaded, report = load_city(tiny_config(tmp_path, units=units, csv=csv_text,
                                               table={**base, **rule}))
        assert loaded.loc[0, "ew"] == 1000
        assert any("1 row(s) dropped" in n and "lines 2" in n for n in report.tables[0].notes)


# ---------------------------------------------------------------------------------- data loss


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "priority.csv"
    write_csv(pd.DataFrame({"a": [1]}), target)
    old = target.read_bytes()

    def full_disk(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(OutputError, match="the disk is full"):
        write_csv(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["priority.csv"]


def test_ctrl_c_during_writing_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    write_csv(pd.DataFrame({"a": [1]}), target)
    old = target.read_bytes()

    def interrupted(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_csv(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == old and len(list(tmp_path.iterdir())) == 1


def test_ctrl_c_in_the_cli_is_a_message_and_exit_130(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run", interrupted)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[city]\nname = "x"\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(cfg), "--out", str(tmp_path / "o")])
    assert res.exit_code == 130 and "Abgebrochen (Ctrl-C)" in res.output


def test_out_that_is_a_file_or_unwritable(tmp_path):
    cfg = tiny_config(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="--out must be a folder"):
        pipeline.run(cfg, tmp_path / "file")
    with pytest.raises(OutputError, match="cannot write"):
        pipeline.run(cfg, Path("/proc/quartier-out"))


def test_stale_temp_files_are_removed(tmp_path):
    cfg = tiny_config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".priority.123.quartier-tmp.csv").write_text("half")
    pipeline.run(cfg, out)
    assert not list(out.glob(".*quartier-tmp*"))


def test_control_character_in_a_unit_name_gives_a_valid_xlsx(hostile_run):
    _, out, *_ = hostile_run
    wb = load_workbook(out / "units.xlsx")
    names = [r[1] for r in wb.active.iter_rows(min_row=2, values_only=True)]
    assert "Glocke␇␛[31mrot" in names


# -------------------------------------------------------------------------------- tracebacks


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


def _xlsx(path: Path, rows: list[list[object]], sheet: str = "Daten") -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)


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
    assert any("lines 4, 7" in n for n in report.tables[0].notes)


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


def test_config_without_tables_checks(tmp_path):
    cfg = tmp_path / "c.toml"
    tiny_units().to_file(tmp_path / "units.gpkg")
    cfg.write_text('[city]\nname = "x"\n[units]\npath = "units.gpkg"\nid_column = "ID"\n'
                   'name_column = "NAME"\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["check", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "4 units" in res.output


def test_config_with_a_byte_order_mark(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b"\xef\xbb\xbf" + '[city]\nname = "Köln"\ncrs = "EPSG:25832"\n'.encode())
    assert load_config(cfg).city.name == "Köln"


def test_every_quartier_error_is_exit_2_without_traceback(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[city]\nname = "x"\ncrs = "EPSG:3857"\n[units]\npath = "u.gpkg"\n'
                   'id_column = "ID"\nname_column = "NAME"\n', encoding="utf-8")
    tiny_units().to_file(tmp_path / "u.gpkg")
    res = CliRunner().invoke(app, ["check", str(cfg)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "stretches distances" in res.output


# ------------------------------------------------------------------------ processes and kills


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the ``ps`` that lists them excluded)."""
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True,
                         text=True)
    return [int(line.split()[0]) for line in out.stdout.splitlines() if line.split()[1:] != ["ps"]]


def test_flag_starts_no_worker_processes(tmp_path):
    """esda's G_Local defaults to n_jobs=-1: loky workers that outlive a killed parent."""
    cfg = hostile_config(tmp_path / "city")
    before = set(_children(os.getpid()))
    pipeline.flag(cfg, tmp_path / "out")
    assert set(_children(os.getpid())) - before == set()


@pytest.mark.slow
def test_kill_9_at_20_random_points_leaves_complete_files(tmp_path):
    """`quartier run` on the hostile city, killed with SIGKILL at 20 random moments: every
    output file is afterwards byte-identical to the complete old or the complete new version."""
    city = tmp_path / "city"
    hostile_config(city)
    exe = [sys.executable, "-m", "quartier.cli", "run", str(city / "cfg.toml"), "--out"]
    out = tmp_path / "out"
    subprocess.run([*exe, str(out)], check=True, capture_output=True, timeout=600)
    old = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix != ".sqlite"}
    new_run = tmp_path / "ref"
    started = time.monotonic()
    subprocess.run([*exe, str(new_run)], check=True, capture_output=True, timeout=600)
    duration = time.monotonic() - started
    # tables are deterministic: a complete CSV equals the reference byte for byte
    tables = [n for n in old if n.endswith(".csv")]
    assert len(tables) >= 6
    assert all((new_run / n).read_bytes() == old[n] for n in tables)
    rng = np.random.default_rng(20)
    for delay in rng.uniform(0.5, duration, 20):
        proc = subprocess.Popen([*exe, str(out)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for p in out.iterdir():
            if p.name in tables:
                assert p.read_bytes() == old[p.name], f"{p.name} damaged by kill at {delay:.1f} s"
            elif p.name in old:
                # xlsx, gpkg and html hold timestamps or random element ids: parse them whole
                assert _complete(p), f"{p.name} is half-written after kill at {delay:.1f} s"
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)   # no process of the run survived


def _complete(path: Path) -> bool:
    """A file that parses completely in its format."""
    if path.suffix == ".xlsx":
        load_workbook(path)
        return True
    if path.suffix == ".html":
        return path.read_text(encoding="utf-8").rstrip().endswith("</html>")
    if path.suffix == ".gpkg":
        return len(gpd.read_file(path)) >= 0
    return True

"""`quartier check`: every problem of a config at once, and nothing that would fail a run later.

All data here are GENERATED (the tiny city of conftest).
"""

from __future__ import annotations

import pytest
import tomli_w
from typer.testing import CliRunner

from quartier.cli import app
from quartier.config import load_config
from quartier.pipeline.check import CheckFailed, check
from tests.conftest import tiny_units

runner = CliRunner()

GOOD = "ID;EW;SGB2;ALG\n001;1000;10,5;3\n002;2000;20,0;4\n003;500;5,25;5\n004;800;12,0;7\n"


def write_city(tmp_path, tables: dict[str, str], columns: dict[str, dict] | None = None,
               keys: dict[str, str] | None = None, index: list[str] | None = None,
               population: str | None = "ew"):
    """Units and one CSV per table (name → text), and the config as TOML; returns its path."""
    tiny_units().to_file(tmp_path / "units.gpkg", driver="GPKG")
    specs = columns or {"a": {"EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct"}},
                        "b": {"ALG": {"name": "alg"}}}
    raw_tables = []
    for name, text in tables.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        raw_tables.append({"name": name, "path": f"{name}.csv", "sep": ";", "decimal": ",",
                           "key": (keys or {}).get(name, "ID"), "id_width": 3,
                           "columns": specs[name]})
    raw = {"city": {"name": "Test (generated)", "crs": "EPSG:25833"},
           "units": {"path": "units.gpkg", "id_column": "ID", "id_width": 3, "name_column": "NAME"},
           "tables": raw_tables}
    if population:
        raw["population_column"] = population
    if index:
        raw["index"] = {"status": [{"column": c} for c in index], "min_population": 0}
    path = tmp_path / "quartier.toml"
    path.write_bytes(tomli_w.dumps(raw).encode("utf-8"))
    return path


def test_good_city_passes(tmp_path):
    path = write_city(tmp_path, {"a": GOOD, "b": GOOD}, index=["share_sgb2_pct", "alg"])
    units, report = check(load_config(path))
    assert [t.matched for t in report.tables] == [4, 4]


def test_a_table_that_matches_no_unit_fails_the_check(tmp_path):
    """Issue 20.5: every key empty: the rows were skipped as footnotes and the empty table
    passed ("OK" with 0 of 542 matched)."""
    empty_keys = "ID;ALG\n;3\n;4\n;5\n;7\n"
    path = write_city(tmp_path, {"a": GOOD, "b": empty_keys})
    with pytest.raises(CheckFailed) as err:
        check(load_config(path))
    msg = str(err.value)
    assert "b.csv" in msg and "no row of table 'b' matches a unit" in msg
    assert "'ID'" in msg and "lines 2, 3, 4, 5" in msg
    res = runner.invoke(app, ["check", str(path)])
    assert res.exit_code == 2 and "OK" not in res.output and "Traceback" not in res.output


def test_population_column_empty_in_every_row_fails_the_check(tmp_path):
    """Issue 20.12: `check` said OK, `flag` ended in numpy's UFuncNoLoopError."""
    no_population = "ID;EW;SGB2\n001;;10,5\n002;;20,0\n003;;5,25\n004;;12,0\n"
    path = write_city(tmp_path, {"a": no_population, "b": GOOD},
                      index=["share_sgb2_pct", "alg"])
    with pytest.raises(CheckFailed) as err:
        check(load_config(path))
    msg = str(err.value)
    assert "population_column 'ew'" in msg and "empty for every unit" in msg
    assert "table 'a'" in msg and "column 'EW'" in msg
    res = runner.invoke(app, ["flag", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert "empty for every unit" in res.output and "Traceback" not in res.output


def test_check_reports_every_problem_at_once(tmp_path):
    """Issue 20.17: a wrong key column, a wrong indicator column and an index column no table
    provides: `check` named only the first."""
    path = write_city(tmp_path, {"a": GOOD, "b": GOOD},
                      columns={"a": {"EW": {"name": "ew"}, "SGB9": {"name": "share_sgb2_pct"}},
                               "b": {"ALG": {"name": "alg"}}},
                      keys={"b": "PLR"}, index=["share_sgb2_pct", "alg", "kinderarmut"])
    with pytest.raises(CheckFailed) as err:
        check(load_config(path))
    msg = str(err.value)
    assert "3 problem(s)" in msg, msg
    assert "a.csv: indicator column(s) 'SGB9' not found" in msg
    assert "b.csv: key column(s) 'PLR' not found" in msg
    assert "index.status[2].column: column 'kinderarmut' is not loaded" in msg
    # the columns of the tables that failed are not reported again as "not loaded"
    assert "'share_sgb2_pct' is not loaded" not in msg and "'alg' is not loaded" not in msg


def test_key_and_indicator_column_of_one_table_are_named_together(tmp_path):
    path = write_city(tmp_path, {"a": GOOD, "b": GOOD},
                      columns={"a": {"EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct"}},
                               "b": {"ALX": {"name": "alg"}}}, keys={"b": "PLR"})
    with pytest.raises(CheckFailed) as err:
        check(load_config(path))
    msg = str(err.value)
    assert "key column(s) 'PLR'" in msg and "indicator column(s) 'ALX'" in msg


def test_units_that_cannot_be_read_do_not_hide_the_table_problems(tmp_path):
    path = write_city(tmp_path, {"a": GOOD, "b": GOOD}, keys={"b": "PLR"})
    (tmp_path / "units.gpkg").unlink()
    with pytest.raises(CheckFailed) as err:
        check(load_config(path))
    msg = str(err.value)
    assert "units.gpkg: file not found" in msg and "b.csv: key column(s) 'PLR'" in msg

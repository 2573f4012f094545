"""Hostile data through the whole run: names holding HTML, template syntax, formulas and console
markup reach every output as literal text, and no code runs. The hostile city
(:mod:`tests.hostile`) is GENERATED.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from quartier import pipeline
from quartier.cli import app
from quartier.review import store as review
from tests.browser import open_page
from tests.hostile import RCE, TEMPLATE, hostile_config


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


def test_cli_prints_markup_from_data_literally(hostile_run):
    *_, res = hostile_run
    assert res.exit_code == 0, res.output
    # the top list names the units by their place (the Gemeinde and Kreis of a grid cell)
    assert "[/]" in res.output and "[bold]Ort[/]" in res.output
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


def test_control_character_in_a_unit_name_gives_a_valid_xlsx(hostile_run):
    _, out, *_ = hostile_run
    wb = load_workbook(out / "units.xlsx")
    names = [r[1] for r in wb.active.iter_rows(min_row=2, values_only=True)]
    assert "Glocke␇␛[31mrot" in names

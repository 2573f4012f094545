"""`quartier init` on five real cities' files exactly as published (issue 19): with no edit
other than ``--index``, `init` + `check` pass, the join report is complete, and a value known
from the raw file arrives. The files live in ``../shared/data/onboarding/`` (their licences keep
them out of ``data/``); each folder's SOURCES.md documents the quirks the assertions name.
Whole runs (`run`) are marked slow.
"""

from __future__ import annotations

import csv
import os
import tomllib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from quartier.cli import app
from quartier.config import load_config
from quartier.pipeline.load import load_city

CORPUS = Path(os.environ.get("QUARTIER_ONBOARDING")
              or Path(__file__).resolve().parents[3] / "shared" / "data" / "onboarding")
# five real cities' files through init and check (~35 s): with the scale tests in make test-slow
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CORPUS.is_dir(), reason=f"onboarding corpus not found at "
                                 f"{CORPUS} (../shared/data/onboarding beside the project, or "
                                 "set QUARTIER_ONBOARDING)")]
runner = CliRunner()

FL = CORPUS / "flensburg"
CITIES = {
    "duesseldorf": (["--units", CORPUS / "duesseldorf" / "Sozialraeume_WGS84_4326_0.geojson",
                     "--table", CORPUS / "duesseldorf" / "Quartiersatlas_2024_Daten.xlsx"],
                    "sgb_ii_quote_pct,arbeitslosenquote_pct,kinderarmut_pct"),
    "flensburg": (["--units", FL / "flensburg_stadtteile.zip",
                   "--table", FL / "tab_1_einwohner_in_stadtteilen_2011_bis_2021.csv",
                   "--table", FL / "tab_5_einwohner_in_stadtteilen_2021_nach_altersgruppen.csv",
                   "--table", FL / "tab_8_alter_ab_65.csv",
                   "--table", FL / "tab_9_anteil_migrationshintergrund.csv",
                   "--table", FL / "tab18_regelleistungsberechtigte_sgb2.csv"],
                  "anteil_in_pct_2021_pct,tab_9_anteil_migrationshinterg_sp4_pct"),
    "jena": (["--units", CORPUS / "jena" / "statbez.geojson",
              "--table", CORPUS / "jena" / "hh_priv.csv", "--table", CORPUS / "jena" / "hh_priv_1.csv",
              "--table", CORPUS / "jena" / "hh_priv_1_60plus.csv"],
             "hh_priv_1_anteil_pct,hh_priv_1_60plus_anteil_pct"),
    "muenchen": (["--units", CORPUS / "muenchen" / "munich.geojson",
                  "--table", CORPUS / "muenchen" / "export_ar.xlsx",
                  "--table", CORPUS / "muenchen" / "export_fl.xlsx"],
                 "arbeitslose_anteil_insgesamt_pct,"
                 "regel_leistungsberechtigte_erwerbsfaehig_anteil_insgesamt_pct"),
    "nuernberg": (["--units", CORPUS / "nuernberg" / "01_Nbg_Bezirke.gpkg",
                   "--table", CORPUS / "nuernberg" / "01_Nbg_SES.xlsx"],
                  "einwohner_auslaender_anteil_pct,hhsize_1_anteil_pct"),
}


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory) -> dict[str, tuple[Path, dict, str]]:
    """Every city through `init --index` (which runs `check`): config path, TOML, output."""
    out = {}
    for city, (args, index) in CITIES.items():
        cfg = tmp_path_factory.mktemp(city) / "quartier.toml"
        res = runner.invoke(app, ["init", str(cfg), *map(str, args), "--index", index])
        assert res.exit_code == 0, (city, res.output)
        assert "passes" in res.output, (city, res.output)
        out[city] = (cfg, tomllib.loads(cfg.read_text(encoding="utf-8")), res.output)
    return out


def loaded(onboarded, city: str):
    cfg = load_config(onboarded[city][0])
    return load_city(cfg)


def test_no_decision_left_and_every_table_joined(onboarded):
    for city, (_cfg, toml, _) in onboarded.items():
        assert "decide" not in toml, city
        units, report = loaded(onboarded, city)
        for t in report.tables:
            if t.path != "[[derive]]":
                assert t.matched == report.n_units, (city, t.name, t.matched)
                assert not t.only_in_table, (city, t.name, t.only_in_table)


def test_duesseldorf(onboarded):
    """Ids with leading zeros 171/171, names only in the table, the wrong population of
    Oberrath named, the uninhabited Glasmacherviertel empty (not 0)."""
    cfg, toml, printed = onboarded["duesseldorf"]
    assert toml["units"]["id_column"] == "SOZIALRAUM_ID" and toml["units"]["id_width"] == 6
    assert "name_column" not in toml["units"] and toml["tables"][0]["unit_names"] == "Name"
    assert toml["units"]["group_id_column"] == "STADTBEZIRK"
    units, report = loaded(onboarded, "duesseldorf")
    u = units.set_index("unit_id")
    assert len(units) == 171
    assert u.loc["063007", "bevoelkerung"] == 2036643          # SOURCES.md: a data error …
    assert any("Oberrath" in n and "unplausible Einwohnerdichte" in n     # … named
               for n in report.unit_notes)
    assert u.loc["071009", "unit_name"] == "Glasmacherviertel"
    assert pd.isna(u.loc["071009", "sgb_ii_quote_pct"])


def test_flensburg(onboarded):
    """Zipped shapefile, names with number prefix and underscores, headerless tables with
    thousands dots and "35,5%" strings, OCR debris read as missing (never as 1.64 persons)."""
    _, toml, _ = onboarded["flensburg"]
    by_path = {Path(t["path"]).name: t for t in toml["tables"]}
    tab9, tab8 = by_path["tab_9_anteil_migrationshintergrund.csv"], by_path["tab_8_alter_ab_65.csv"]
    assert tab9["no_header"] and tab8["no_header"]
    assert (tab9["decimal"], tab9["thousands"]) == (",", ".")
    assert {"1.64", "1.69", "1.3066", "1.4131"} <= set(tab8["na_values"])   # OCR debris
    assert tab8["footnote_marks"] == ["°"]                                   # "857°": 857
    units, _ = loaded(onboarded, "flensburg")
    u = units.set_index("unit_id")
    assert u.loc["STGT01", "tab_9_anteil_migrationshinterg_sp3"] == 1374     # "1.374"
    assert u.loc["STGT01", "tab_9_anteil_migrationshinterg_sp4_pct"] == 35.5  # "35,5%"
    assert pd.isna(u.loc["STGT05", "tab_8_alter_ab_65_sp2"])                 # "1.3066"
    assert u.loc["STGT05", "tab_8_alter_ab_65_sp3"] == 1268
    assert u.loc["STGT07", "tab_8_alter_ab_65_sp2"] == 857                 # "857°" (Südstadt)
    with open(FL / "tab_1_einwohner_in_stadtteilen_2011_bis_2021.csv", encoding="utf-8") as fh:
        gesamt = {r["stadtteil"]: int(r["gesamt"]) for r in csv.DictReader(fh)}
    assert u.loc["STGT04", "gesamt"] == gesamt["Westliche_Höhe"]
    assert toml["population_column"] == "gesamt"          # tab_1's 2021 count, not tab_5's


def test_jena(onboarded):
    """Ids compared as numbers, the total row (0) and the unassigned row (999) dropped with
    their reason, the empty last date column skipped for the latest year with values."""
    _, toml, _ = onboarded["jena"]
    t = toml["tables"][0]
    assert t["key"] == "statistischer_Bezirk_Nr" and t["layout"] == "wide_years"
    assert t["year"] == "2016" and t["drop_keys"] == ["0", "999"]
    assert "grid" in toml["population"]        # no table holds residents: the Zensus grid
    with open(CORPUS / "jena" / "hh_priv.csv", encoding="utf-8") as fh:
        rows = {r["statistischer_Bezirk_Nr"]: r for r in csv.DictReader(fh)}
    units, _ = loaded(onboarded, "jena")
    u = units.set_index("unit_id")
    assert u.loc["11", "hh_priv"] == float(rows["11"]["31.12.2016"])
    assert u.loc["11", "hh_priv_1_anteil_pct"] == pytest.approx(
        100 * u.loc["11", "hh_priv_1"] / u.loc["11", "hh_priv"])
    assert u["einwohner_zensus2011"].sum() > 90_000


def test_muenchen(onboarded):
    """27 features for 25 districts, the data sheet found among three, a long table whose
    variable needs two columns, the city row dropped, names across 'NN ' and ' - '."""
    _, toml, _ = onboarded["muenchen"]
    assert toml["units"]["merge_parts"] is True and toml["units"]["id_column"] == "sb_nummer"
    t = toml["tables"][0]
    assert t["sheet"] == "ARBEITSMARKT" and t["layout"] == "long"
    assert t["variable_column"] == ["Indikator", "Ausprägung"] and t["year"] == "2022"
    assert t["drop_keys"] == ["Stadt München"]
    wb = openpyxl.load_workbook(CORPUS / "muenchen" / "export_ar.xlsx", read_only=True)
    want = next(float(r[4].replace(",", ".")) for r in wb["ARBEITSMARKT"].iter_rows(values_only=True)
                if r[:3] == ("Arbeitslose - Anteil", "insgesamt", 2022)
                and str(r[3]).startswith("01 "))
    units, _ = loaded(onboarded, "muenchen")
    assert len(units) == 25
    assert units.set_index("unit_id").loc["01", "arbeitslose_anteil_insgesamt_pct"] == want


def test_nuernberg(onboarded):
    """Two Bezirke stored as two features, the parent level as group ids, counts turned into
    shares of the residents; the residents sum to SOURCES.md's 541,103."""
    _, toml, _ = onboarded["nuernberg"]
    assert toml["units"]["merge_parts"] is True
    assert toml["units"]["group_id_column"] == "code_stadtteil"
    assert any(d["name"] == "einwohner_auslaender_anteil_pct" for d in toml["derive"])
    units, _ = loaded(onboarded, "nuernberg")
    assert len(units) == 87 and units["einwohner"].sum() == 541_103
    u = units.set_index("unit_id").loc["01"]
    assert u["einwohner_auslaender_anteil_pct"] == pytest.approx(
        100 * u["einwohner_auslaender"] / u["einwohner"])


@pytest.mark.slow
@pytest.mark.parametrize("city", list(CITIES))
def test_run_whole_city(onboarded, city, tmp_path):
    cfg = onboarded[city][0]
    res = runner.invoke(app, ["run", str(cfg), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    priority = pd.read_csv(tmp_path / "priority.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    n_units = len(load_city(load_config(cfg))[0])
    assert len(priority) == n_units and priority["status_index"].notna().sum() > 0.8 * n_units
    assert (tmp_path / "quartier_map.html").is_file() and (tmp_path / "report.html").is_file()

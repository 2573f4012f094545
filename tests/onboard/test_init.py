"""Onboarding (issue 12): a city's files as they come, by config alone.

For each shape a statistics office publishes: start from the raw file, write the config with
`quartier init --units/--table`, run `check` and `run`, and assert the join report and a value
known from the source. Real files from ``data/`` are used where they exist; fixtures in the exact
published shapes are built from them (long tables, wide-by-year, cp1252 GeoJSON, …) or hand-made
(GENERATED: alias and sum-row tables) and say so.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from quartier.cli import app
from quartier.config import load_config
from quartier.paths import DATA_DIR
from quartier.pipeline.load import load_city
from quartier.pipeline.steps import monitoring_series

BERLIN = DATA_DIR / "berlin"
LEIPZIG = DATA_DIR / "leipzig"
runner = CliRunner()


def init(cfg: Path, units: Path, *tables: Path, args: tuple[str, ...] = ()) -> dict:
    """`quartier init` → the written TOML as a dict (and the CLI output under '_output')."""
    cmd = ["init", str(cfg), "--units", str(units)]
    for t in tables:
        cmd += ["--table", str(t)]
    res = runner.invoke(app, [*cmd, *args])
    assert res.exit_code == 0, (res.output, res.exception)
    assert "passes" in res.output
    return {**tomllib.loads(cfg.read_text(encoding="utf-8")), "_output": res.output}


def run(cfg: Path, out: Path) -> str:
    res = runner.invoke(app, ["run", str(cfg), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return res.output


def edit(cfg: Path, old: str, new: str) -> None:
    text = cfg.read_text(encoding="utf-8")
    assert old in text, old
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")


def units_csv(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "units.csv", encoding="utf-8-sig", dtype={"unit_id": str})


@pytest.fixture(scope="module")
def plr() -> gpd.GeoDataFrame:
    return gpd.read_file(BERLIN / "lor" / "lor_planungsraeume_2021.gpkg")


@pytest.fixture(scope="module")
def mss() -> pd.DataFrame:
    return pd.read_csv(BERLIN / "mss" / "mss_2021_index_indikatoren_plr.csv", dtype={"PLR_ID": str})


# --------------------------------------------------------- 1. indicators in the boundary file


@pytest.mark.slow  # a whole Berlin run; CI runs it with make test-slow
def test_boundary_geojson_with_attributes_alone(tmp_path, plr, mss):
    """The Planungsräume as one GeoJSON (WGS84, RFC 7946) with the MSS 2021 indicators as
    attributes (built from the real files; invalid values null): `init --index` chooses the
    index columns, nothing else is edited, and `run` reproduces all 536 official classes."""
    attrs = mss[["PLR_ID", "EW", "S1", "S3", "S4"]].replace(-9999, np.nan)
    geo = plr[["PLR_ID", "PLR_NAME", "BEZ_NAME", "geometry"]].merge(attrs, on="PLR_ID").to_crs(4326)
    geo.to_file(tmp_path / "planungsraeume.geojson", driver="GeoJSON")
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, tmp_path / "planungsraeume.geojson", args=("--index", "s1,s3,s4",
                                                                 "--name", "Berlin"))
    assert toml["tables"][0]["format"] == "vector" and toml["population_column"] == "ew"
    assert toml["index"]["status"] == [{"column": "s1"}, {"column": "s3"}, {"column": "s4"}]
    run(cfg, tmp_path / "out")
    prio = pd.read_csv(tmp_path / "out" / "priority.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    official = pd.read_csv(BERLIN / "mss" / "mss_2021_indizes_plr.csv", dtype={"PLR_ID": str})
    official_class = official.set_index("PLR_ID")["Status-Index (Klasse)"].astype(str) \
        if "Status-Index (Klasse)" in official else None
    scored = prio[prio["status_class"].notna()].set_index("unit_id")
    assert len(scored) == 536
    z = pd.read_csv(BERLIN / "mss" / "mss_2021_index_indikatoren_z-werte_plr.csv", sep=";",
                    encoding="utf-8-sig", dtype={"PLR-ID": str}).set_index("PLR-ID")
    want = z["Zuordnung Klasse Status-Index "].str.strip().dropna()
    assert (scored.loc[want.index, "status_class"] == want).all()
    assert official_class is None or len(official_class) >= 536
    page = (tmp_path / "out" / "quartier_map.html").read_text(encoding="utf-8")
    assert "Sozialindex" in page and "MSS" not in page


# ------------------------------------------------------------ 2. boundaries not in UTF-8


@pytest.mark.parametrize("kind", ["geojson", "shp_without_cpg"])
def test_boundary_file_in_cp1252(tmp_path, plr, kind):
    """A cp1252 GeoJSON and a shapefile without .cpg (built from the real Planungsräume)."""
    units = plr[["PLR_ID", "PLR_NAME", "BEZ_NAME", "geometry"]]
    if kind == "geojson":
        path = tmp_path / "plr.geojson"
        path.write_bytes(units.to_crs(4326).to_json(ensure_ascii=False).encode("cp1252"))
    else:
        path = tmp_path / "plr.shp"
        units.to_file(path, encoding="cp1252", engine="pyogrio")
        (tmp_path / "plr.cpg").unlink()
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, path, BERLIN / "mss" / "mss_2021_index_indikatoren_plr.csv")
    if kind == "geojson":
        assert toml["units"]["encoding"] == "cp1252"
    run(cfg, tmp_path / "out")
    loaded = units_csv(tmp_path / "out")
    report = pd.read_csv(tmp_path / "out" / "join_report.csv", encoding="utf-8-sig")
    assert report[report["file"] != "[[derive]]"].iloc[-1]["matched"] == "542/542"
    assert "Stülerstraße" in set(loaded["unit_name"]) and "Schloßstraße" in set(loaded["unit_name"])


# --------------------------------------------------- 3. long and wide-by-year tables


@pytest.fixture(scope="module")
def population_years() -> pd.DataFrame:
    """The real population tables 2021–2024 (Amt für Statistik), one row per PLR and year."""
    frames = []
    for year in (2021, 2022, 2023, 2024):
        t = pd.read_csv(BERLIN / "population" / f"ewr_plr_{year}-02_t2.csv", dtype=str)
        t["area_id"] = t["district_id"] + t["forecast_area_id"] + t["district_region_id"] + \
            t["planning_area_id"]
        frames.append(t.assign(year=year))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.slow  # a whole Berlin run; CI runs it with make test-slow
def test_long_table(tmp_path, plr, population_years):
    """`year, area_id, area_name, variable, value`: several variables mixed."""
    names = plr.set_index("PLR_ID")["PLR_NAME"]
    long = population_years.melt(id_vars=["year", "area_id"], value_vars=[
        "inhabitants", "inhabitants_age_below_6"], var_name="variable", value_name="value")
    long["variable"] = long["variable"].map({"inhabitants": "Einwohner insgesamt",
                                             "inhabitants_age_below_6": "Kinder unter 6"})
    long["area_name"] = long["area_id"].map(names)
    long = long[["year", "area_id", "area_name", "variable", "value"]].sort_values(["year", "area_id"])
    long.to_csv(tmp_path / "bevoelkerung_long.csv", sep=";", index=False)
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, BERLIN / "lor" / "lor_planungsraeume_2021.gpkg", tmp_path / "bevoelkerung_long.csv")
    t = toml["tables"][-1]
    assert (t["layout"], t["year_column"], t["year"], t["variable_column"]) == \
        ("long", "year", "2024", "variable")
    run(cfg, tmp_path / "out")
    got = units_csv(tmp_path / "out").set_index("unit_id")
    want = population_years[population_years["year"] == 2024].set_index("area_id")
    col = t and toml["tables"][-1]
    assert toml["population_column"] == "einwohner_insgesamt"
    assert got.loc["01100101", "einwohner_insgesamt"] == float(want.loc["01100101", "inhabitants"])
    assert got.loc["01100101", "kinder_unter_6"] == float(want.loc["01100101", "inhabitants_age_below_6"])
    assert col["columns"]["Kinder unter 6"]["name"] == "kinder_unter_6"
    # the same file as a monitoring series (all years)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text + '''
[monitor]
[[monitor.series]]
indicator = "einwohner"
path = "bevoelkerung_long.csv"
key = "area_id"
id_width = 8
year_column = "year"
variable_column = "variable"
variable = "Einwohner insgesamt"
kind = "extensive"
''', encoding="utf-8")
    out = tmp_path / "mon"
    assert runner.invoke(app, ["monitor", str(cfg), "--out", str(out)]).exit_code == 0
    mon = pd.read_csv(out / "monitoring.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    one = mon[(mon["unit_id"] == "01100101")].set_index("year")["value"]
    src = population_years[population_years["area_id"] == "01100101"].set_index("year")["inhabitants"]
    assert one.to_dict() == {y: float(v) for y, v in src.items()}


def test_wide_by_year_table(tmp_path, plr, population_years):
    """One column per date (31.12.2021 … 31.12.2024) and a variable column."""
    wide = population_years.pivot_table(index="area_id", columns="year", values=[
        "inhabitants", "inhabitants_age_above_65"], aggfunc="first")
    rows = []
    for var, label in (("inhabitants", "Einwohner"), ("inhabitants_age_above_65", "ab 65 Jahre")):
        part = wide[var].copy()
        part.columns = [f"31.12.{y}" for y in part.columns]
        rows.append(part.reset_index().assign(Merkmal=label))
    table = pd.concat(rows)
    table["Gebiet"] = table["area_id"].map(plr.set_index("PLR_ID")["PLR_NAME"])
    table = table[["area_id", "Gebiet", "Merkmal", *[f"31.12.{y}" for y in range(2021, 2025)]]]
    table.to_csv(tmp_path / "einwohner_jahre.csv", sep=";", index=False, encoding="cp1252")
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, BERLIN / "lor" / "lor_planungsraeume_2021.gpkg", tmp_path / "einwohner_jahre.csv")
    t = toml["tables"][-1]
    assert (t["layout"], t["year"], t["variable_column"]) == ("wide_years", "2024", "Merkmal")
    run(cfg, tmp_path / "out")
    report = pd.read_csv(tmp_path / "out" / "join_report.csv", encoding="utf-8-sig")
    assert report[report["file"] != "[[derive]]"].iloc[-1]["matched"] == "542/542"
    want = population_years[population_years["year"] == 2024].set_index("area_id")
    row = units_csv(tmp_path / "out").set_index("unit_id").loc["09300920"]
    assert row["einwohner"] == float(want.loc["09300920", "inhabitants"])
    assert row["ab_65_jahre"] == float(want.loc["09300920", "inhabitants_age_above_65"])
    # all years through [[monitor.series]]
    cfg.write_text(cfg.read_text(encoding="utf-8") + '''
[monitor]
[[monitor.series]]
indicator = "ab65"
path = "einwohner_jahre.csv"
key = "area_id"
id_width = 8
layout = "wide_years"
variable_column = "Merkmal"
variable = "ab 65 Jahre"
''', encoding="utf-8")
    out = tmp_path / "mon"
    assert runner.invoke(app, ["monitor", str(cfg), "--out", str(out)]).exit_code == 0
    mon = pd.read_csv(out / "monitoring.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    assert sorted(mon["year"].unique()) == [2021, 2022, 2023, 2024]


# ------------------------------------------------------------------------ 4. other levels


def test_table_of_the_coarser_areas(tmp_path):
    """IBB rents per Bezirk (real tidy CSV: year, BEZ, BEZ_NAME, …) onto the 542 Planungsräume."""
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, BERLIN / "lor" / "lor_planungsraeume_2021.gpkg",
                BERLIN / "housing" / "ibb_angebotsmieten_bezirke_2012-2024.csv")
    t = toml["tables"][-1]
    assert t["level"] == "group" and t["year"] == "2024" and t["year_column"] == "year"
    out = run(cfg, tmp_path / "out")
    assert 'level = "group": 12 Gebiet(e) zugeordnet; 542 Einheit(en) erhalten die Werte ihres ' \
        "Gebiets" in out.replace("\n", " ")
    got = units_csv(tmp_path / "out").set_index("unit_id")
    assert got.loc["01100101", "median_eur_m2"] == 19.91      # Mitte 2024
    assert got.loc["12601032", "median_eur_m2"] == 12.15      # Reinickendorf 2024


def test_dissolve_units_and_aggregate(tmp_path, plr, mss):
    """The Planungsräume merged into the 143 Bezirksregionen: counts summed, shares weighted by
    population (user adds dissolve_by and how to merge the MSS shares)."""
    cfg = tmp_path / "quartier.toml"
    init(cfg, BERLIN / "lor" / "lor_planungsraeume_2021.gpkg",
         BERLIN / "population" / "ewr_plr_2024-02_t2.csv",
         BERLIN / "mss" / "mss_2021_index_indikatoren_plr.csv")
    edit(cfg, 'name_column = "PLR_NAME"', 'name_column = "PLR_NAME"\ndissolve_by = "BZR_ID"\n'
         'dissolve_name_column = "BZR_NAME"')
    edit(cfg, 'S1 = { name = "s1", label = "S1" }',
         'S1 = { name = "s1", label = "S1", unit = "%", aggregate = "weighted_mean" }')
    text = cfg.read_text(encoding="utf-8")
    # the MSS columns the user does not need: merge them as plain means
    text = re.sub(r'(\w+) = \{ name = "(\w+)", label = "(\w+)" \}',
                  r'\1 = { name = "\2", label = "\3", aggregate = "mean" }', text)
    cfg.write_text(text.replace('population_column = "ew"', 'population_column = "inhabitants"'),
                   encoding="utf-8")
    loaded, report = load_city(load_config(cfg))
    assert len(loaded) == 143 and "542 Einheiten nach BZR_ID zu 143 zusammengefasst" in \
        report.unit_notes[-1]
    pop = pd.read_csv(BERLIN / "population" / "ewr_plr_2024-02_t2.csv", dtype=str)
    pop["PLR_ID"] = pop[["district_id", "forecast_area_id", "district_region_id",
                         "planning_area_id"]].agg("".join, axis=1)
    pop["inhabitants"] = pop["inhabitants"].astype(float)
    members = plr.loc[plr["BZR_ID"] == "011001", "PLR_ID"]
    tiergarten = loaded.set_index("unit_id").loc["011001"]
    assert tiergarten["unit_name"] == "Tiergarten Süd"
    assert tiergarten["inhabitants"] == pop.set_index("PLR_ID").loc[members, "inhabitants"].sum()
    s1 = mss.set_index("PLR_ID").loc[members, "S1"].replace(-9999, np.nan)
    w = pop.set_index("PLR_ID").loc[members, "inhabitants"]
    assert tiergarten["s1"] == pytest.approx((s1 * w).sum() / w.sum())
    assert loaded["inhabitants"].sum() == pop["inhabitants"].sum()


# ------------------------------------------------------- 5. names that differ, several units


@pytest.fixture(scope="module")
def leipzig_units(tmp_path_factory) -> Path:
    return LEIPZIG / "leipzig-districts.json"


def test_aliases_and_rows_covering_several_units(tmp_path, leipzig_units):
    """GENERATED table keyed by Leipzig's Ortsteil names as another office spells them:
    transliterated umlauts, 'Sankt'/'St.', a typo, and one row for two Ortsteile."""
    names = gpd.read_file(leipzig_units)["title"]
    names = [n for n in names if n != "Gesamt"]
    rows = {n: 10 + i for i, n in enumerate(names)}
    rows.pop("Zentrum")
    rows.pop("Zentrum-Ost")
    table = [("Zentrum und Zentrum-Ost", 99)]
    for n, v in rows.items():
        spelled = n.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        table.append(("Plagwits" if n == "Plagwitz" else spelled, v))
    pd.DataFrame(table, columns=["Ortsteil", "Anteil Arbeitslose in %"]).to_csv(
        tmp_path / "arbeitslose.csv", sep=";", index=False, decimal=",")
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, leipzig_units, tmp_path / "arbeitslose.csv")
    t = toml["tables"][-1]
    assert t["aliases"] == {"Zentrum und Zentrum-Ost": ["Zentrum", "Zentrum-Ost"],
                            "Plagwits": "Plagwitz"}
    run(cfg, tmp_path / "out")
    loaded, report = load_city(load_config(cfg))
    assert report.tables[-1].matched == 63 and not report.tables[-1].only_in_table
    by_name = units_csv(tmp_path / "out").set_index("unit_name")["anteil_arbeitslose_in_pct"]
    assert by_name["Zentrum"] == by_name["Zentrum-Ost"] == 99
    assert by_name["Plagwitz"] == rows["Plagwitz"]
    assert any("Schlüssel „Zentrum und Zentrum-Ost“" in n and "steht für 2 Einheiten "
               "(Zentrum, Zentrum-Ost)" in n for n in report.tables[-1].notes)
    assert any("erst nach Angleichen von Groß- und Kleinschreibung" in n and "Schoenefeld" in n
               for n in report.tables[-1].notes)


def test_unmatched_names_are_listed_with_suggestions(tmp_path, leipzig_units):
    """GENERATED: without aliases the unmatched names appear in the join report (CSV, xlsx,
    report.html) with the closest unit names."""
    pd.DataFrame({"Ortsteil": ["Zentrum", "Plagwits", "Gohlis Sued"], "Wert": [1, 2, 3]}).to_csv(
        tmp_path / "t.csv", sep=";", index=False)
    cfg = tmp_path / "quartier.toml"
    init(cfg, leipzig_units, tmp_path / "t.csv")
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(re.sub(r"aliases = .*\n", "", text), encoding="utf-8")
    out = tmp_path / "out"
    printed = run(cfg, out)
    assert "Plagwits (→ Plagwitz" in printed.replace("\n", "")
    unmatched = pd.read_csv(out / "join_unmatched.csv", encoding="utf-8-sig")
    row = unmatched[unmatched["key"] == "Plagwits"].iloc[0]
    assert row["side"] == "nur in der Tabelle" and row["suggestions"].startswith("Plagwitz")
    assert "Plagwits" in (out / "report.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------- 6. sum rows


def test_sum_rows_sharing_a_name_with_a_unit(tmp_path, leipzig_units):
    """GENERATED: an office table with a level column: Stadtbezirk totals between the Ortsteile,
    one total named like an Ortsteil (“Zentrum”)."""
    names = [n for n in gpd.read_file(leipzig_units)["title"] if n != "Gesamt"]
    rows = [("Stadtbezirk", "Zentrum", 5000), ("Stadtbezirk", "Nordost", 7000)]
    rows += [("Ortsteil", n, 100 + i) for i, n in enumerate(names)]
    rows += [("Stadt", "Stadt Leipzig insgesamt", 600000)]
    pd.DataFrame(rows, columns=["Ebene", "Gebiet", "Einwohner"]).to_csv(
        tmp_path / "ew.csv", sep=";", index=False)
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, leipzig_units, tmp_path / "ew.csv")
    assert toml["tables"][-1]["drop_where"] == {"Ebene": ["Stadt", "Stadtbezirk"]}
    printed = run(cfg, tmp_path / "out")
    assert "63/63" in printed
    got = units_csv(tmp_path / "out").set_index("unit_name")
    assert got.loc["Zentrum", "einwohner"] == 100 + names.index("Zentrum")


# ----------------------------------------------------------------- 7. xlsx as published


@pytest.mark.parametrize(("sheet", "unit", "value", "matched"), [
    ("Planungsräume_2023", "01100101", 16.67, 542),   # Stülerstraße: title rows, two-row header
    ("Bezirksdaten_2023", "01100101", 18.26, 542),    # Bezirke: sum rows, ids as numbers
])
def test_xlsx_as_published(tmp_path, sheet, unit, value, matched):
    """The IBB Wohnungsmarktbericht workbook unchanged: 8 title and note rows, a two-row header
    with merged cells, 'keine Daten', footnotes, 1,000 formatted rows, sum rows."""
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, BERLIN / "lor" / "lor_planungsraeume_2021.gpkg",
                BERLIN / "housing" / "ibb_angebotsmieten_2012-2024.xlsx", args=("--sheet", sheet))
    t = toml["tables"][-1]
    assert t["header_row"] == 9 and t["skip_after_header"] == 1
    out = tmp_path / "out"
    run(cfg, out)
    got = units_csv(out).set_index("unit_id")
    assert got.loc[unit, "median_2023"] == value
    report = pd.read_csv(out / "join_report.csv", encoding="utf-8-sig")
    assert report[report["file"] != "[[derive]]"].iloc[-1]["matched"] == f"{matched}/542"


# ------------------------------------------------------------ 8. dynamics from two periods


@pytest.mark.slow  # a whole Berlin run; CI runs it with make test-slow
def test_dynamics_from_two_tables_and_from_a_series(tmp_path):
    """Rents 2018 and 2024 (IBB, real tidy CSV) as two tables; the change as dynamics, and the
    same change from [[monitor.series]]."""
    path = BERLIN / "housing" / "ibb_angebotsmieten_plr_2012-2024.csv"
    cfg = tmp_path / "quartier.toml"
    init(cfg, BERLIN / "lor" / "lor_planungsraeume_2021.gpkg", path, path,
         args=("--index", "median_eur_m2"))
    text = cfg.read_text(encoding="utf-8")
    first = text.index('year = "2024"')
    text = text[:first] + 'year = "2018"' + text[first + len('year = "2024"'):]
    names = re.findall(r'median_eur_m2 = \{ name = "(\w+)"', text)
    assert len(names) == 2
    text = text.replace('status = [{ column = "median_eur_m2" }]',
                        f'status = [{{ column = "{names[1]}" }}]\n'
                        f'dynamics = [{{ column = "{names[1]}", base = "{names[0]}" }}]')
    text += f'''
[flag]
permutations = 99

[monitor]
[[monitor.series]]
indicator = "miete"
path = "{path}"
key = "PLR_ID"
id_width = 8
year_column = "year"
value_column = "median_eur_m2"
'''
    cfg.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run(cfg, out)
    prio = pd.read_csv(out / "priority.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    ibb = pd.read_csv(path, dtype={"PLR_ID": str}).pivot(index="PLR_ID", columns="year",
                                                          values="median_eur_m2")
    change = f"{names[1]}_minus_{names[0]}"
    row = prio.set_index("unit_id").loc["01100102"]
    assert row[change] == pytest.approx(ibb.loc["01100102", 2024] - ibb.loc["01100102", 2018])
    assert prio["dynamics_class"].notna().sum() > 400
    # the same through the series
    text = cfg.read_text(encoding="utf-8").replace(
        f'dynamics = [{{ column = "{names[1]}", base = "{names[0]}" }}]',
        'dynamics = [{ series = "miete", year = 2024, base_year = 2018 }]')
    cfg.write_text(text, encoding="utf-8")
    from quartier.pipeline.flag import flag_units

    series_cfg = load_config(cfg)
    loaded, _ = load_city(series_cfg)
    series, _ = monitoring_series(series_cfg.monitor, loaded)
    prio2 = flag_units(loaded, series_cfg, series).table
    assert prio2.set_index("unit_id").loc["01100102", "miete_2018_2024_diff"] == \
        pytest.approx(row[change])


# ----------------------------------------------------------- 9. no population counts


@pytest.mark.slow  # a whole Berlin run; CI runs it with make test-slow
def test_population_from_the_zensus_grid(tmp_path, mss):
    """No population column: residents from the real Zensus 2011 1 km grid, for the
    minimum-population rule and as the residents whose access is measured."""
    shares = mss[["PLR_ID", "PLR_NAME", "S1", "S3", "S4"]]
    shares.to_csv(tmp_path / "anteile.csv", sep=";", index=False, decimal=",")
    cfg = tmp_path / "quartier.toml"
    toml = init(cfg, BERLIN / "lor" / "lor_planungsraeume_2021.gpkg", tmp_path / "anteile.csv",
                args=("--population", str(BERLIN / "zensus" / "zensus2011_1km_berlin.csv"),
                      "--index", "s1,s3,s4"))
    assert "grid" in toml["population"] and "population_column" not in toml
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text + f'''
[[pois]]
category = "kita"
path = "{BERLIN / 'poi' / 'official' / 'kitas_2022-12.geojson'}"
name_column = "e_name"
[access.categories]
kita = {{ label = "Kita", good_m = 500, limit_m = 800 }}
''', encoding="utf-8")
    out = tmp_path / "out"
    printed = run(cfg, out)
    units = units_csv(out).set_index("unit_id")
    assert units["einwohner_geschaetzt"].sum() == pytest.approx(3_270_385, rel=1e-4)
    prio = pd.read_csv(out / "priority.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    prio = prio.set_index("unit_id").join(units["einwohner_geschaetzt"])
    complete = prio[["s1", "s3", "s4"]].notna().all(axis=1)
    # the minimum-population rule works on the estimate
    assert (prio["valid"] == (complete & (prio["einwohner_geschaetzt"] >= 300))).all()
    assert not prio["notes"].fillna("").str.contains("nicht geprüft").any()
    acc = pd.read_csv(out / "access_units.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    assert (acc["origin"] == "Zensus-Gitter").sum() > 500
    assert acc.loc[acc["origin"] == "Zensus-Gitter", "share_within_kita_pct"].notna().all()
    assert "Einwohner aus dem Zensus-Gitter" in printed

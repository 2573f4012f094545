"""`quartier init` on the shapes that broke it on real files (issue 19, items 1–11). Each test
starts from a raw file of that shape: the units are the real Planungsräume of Berlin-Mitte and
Friedrichshain-Kreuzberg (85) with their real MSS 2021 values; what a test adds to them
(invalid rings, a total row, a long layout, hostile text) is GENERATED and says so.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon
from typer.testing import CliRunner

from quartier.cli import app
from quartier.config import QuartierConfig, TableConfig, load_config
from quartier.errors import QuartierError
from quartier.onboard import write_config
from quartier.outputs.mapbase import core_bounds
from quartier.paths import DATA_DIR
from quartier.pipeline.flag import flag_units
from quartier.pipeline.load import load_city

BERLIN = DATA_DIR / "berlin"
runner = CliRunner()


@pytest.fixture(scope="module")
def plr() -> gpd.GeoDataFrame:
    g = gpd.read_file(BERLIN / "lor" / "lor_planungsraeume_2021.gpkg")
    return g[g["BEZ"].isin(["01", "02"])].reset_index(drop=True)


@pytest.fixture(scope="module")
def mss(plr) -> pd.DataFrame:
    t = pd.read_csv(BERLIN / "mss" / "mss_2021_index_indikatoren_plr.csv", dtype={"PLR_ID": str})
    return t[t["PLR_ID"].isin(plr["PLR_ID"])].replace(-9999, np.nan).reset_index(drop=True)


def init(cfg: Path, units: Path, *tables: Path, args: tuple[str, ...] = (), ok: bool = True
         ) -> tuple[dict, str]:
    cmd = ["init", str(cfg), "--units", str(units)]
    for t in tables:
        cmd += ["--table", str(t)]
    res = runner.invoke(app, [*cmd, *args])
    assert "Traceback" not in res.output and not isinstance(res.exception, AssertionError)
    if ok:
        assert res.exit_code == 0, res.output
    toml = tomllib.loads(cfg.read_text(encoding="utf-8")) if cfg.exists() else {}
    return toml, res.output


def units_file(plr: gpd.GeoDataFrame, path: Path, **extra) -> Path:
    plr[["PLR_ID", "PLR_NAME", "BEZ_NAME", "geometry"]].assign(**extra).to_file(path)
    return path


# ---------------------------------------------------------------------- 1. invalid boundaries


def test_invalid_rings_with_attributes_no_traceback(tmp_path, plr, mss):
    """GENERATED: ten units turned invalid the way published files are (a ring touching itself,
    a hole outside its shell), with the MSS shares as attributes: `init` repairs before it
    measures (no GEOS TopologyException), writes the attribute table, `check` passes."""
    g = plr[["PLR_ID", "PLR_NAME", "geometry"]].merge(mss[["PLR_ID", "S1", "S3", "S4"]], on="PLR_ID")
    geoms = list(g.geometry)
    for i in range(0, 10, 2):
        x0, y0, x1, y1 = geoms[i].bounds
        geoms[i] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])       # bowtie
        x0, y0, x1, y1 = geoms[i + 1].bounds
        hole = [(x1 + 10, y1 + 10), (x1 + 20, y1 + 10), (x1 + 20, y1 + 20), (x1 + 10, y1 + 10)]
        geoms[i + 1] = Polygon(geoms[i + 1].exterior.coords, [hole])                 # hole outside
    g = g.set_geometry(geoms)
    assert (~g.is_valid).sum() == 10
    g.to_crs(4326).to_file(tmp_path / "bezirke.geojson")
    toml, out = init(tmp_path / "quartier.toml", tmp_path / "bezirke.geojson",
                     args=("--index", "s1,s4"))
    assert toml["units"]["id_column"] == "PLR_ID"
    assert toml["tables"][0]["format"] == "vector" and toml["index"]["status"][0]["column"] == "s1"
    assert "10 ungültige Geometrie(n) repariert" in out.replace("\n", " ")


# ----------------------------------------------------------------------------- 2. the key


def test_key_is_the_column_matching_the_units_never_a_measure(tmp_path, plr, mss):
    """GENERATED: a profile table keyed by names only, beside a measure that looks like an id
    (car density 1.0–99.0), a running number in another order and the shares."""
    rng = np.random.default_rng(7)
    t = pd.DataFrame({"lfd_nr": rng.permutation(len(mss)) + 1,
                      "pkw_je_1000": rng.uniform(1, 99, len(mss)).round(1),
                      "Stadtteil": mss["PLR_NAME"], "Anteil SGB II in %": mss["S3"].round(2)})
    t.to_csv(tmp_path / "profile.csv", sep=";", index=False, decimal=",")
    toml, _ = init(tmp_path / "quartier.toml", units_file(plr, tmp_path / "u.gpkg"),
                   tmp_path / "profile.csv")
    table = toml["tables"][0]
    assert (table["key"], table["join"]) == ("Stadtteil", "name")
    assert "lfd_nr" not in table["columns"]          # numbering the rows: no indicator either
    units, report = load_city(load_config(tmp_path / "quartier.toml"))
    assert report.tables[0].matched == len(plr) == 85


# --------------------------------------------------------------------- 3. totals and levels


def test_totals_dropped_and_city_never_fuzzy_matched(tmp_path, plr, mss):
    """GENERATED: Kreuzberg's unit 'Harburg' (renamed) has no row; the table ends with the
    city total 'Hamburg' (the sum of the rows), a district subtotal 'Bezirk Mitte insgesamt'
    and 'Summe'. None becomes an alias of Harburg; all are dropped with their reason."""
    units = plr.copy()
    units.loc[60, "PLR_NAME"] = "Harburg"
    t = mss[["PLR_NAME", "EW"]].copy()
    t.loc[60, "PLR_NAME"] = "Harburg"
    t = t.drop(index=60)
    totals = pd.DataFrame({"PLR_NAME": ["Bezirk Mitte insgesamt", "Summe", "Hamburg"],
                           "EW": [t["EW"][:49].sum(), t["EW"].sum(), t["EW"].sum()]})
    pd.concat([t, totals]).rename(columns={"PLR_NAME": "Gebiet", "EW": "Einwohner"}).to_csv(
        tmp_path / "ew.csv", sep=";", index=False)
    for name_args in ((), ("--name", "Hamburg")):
        cfg = tmp_path / f"q{len(name_args)}.toml"
        toml, _ = init(cfg, units_file(units, tmp_path / "u.gpkg"), tmp_path / "ew.csv",
                       args=name_args)
        table = toml["tables"][0]
        assert "aliases" not in table, table.get("aliases")
        assert set(table["drop_keys"]) == {"Bezirk Mitte insgesamt", "Summe", "Hamburg"}
        units_, report = load_city(load_config(cfg))
        assert report.tables[0].only_in_units == [units.loc[60, "PLR_ID"]]
        assert units_["einwohner"].sum() == t["EW"].sum()


def test_level_decided_by_match_rates(tmp_path, plr, mss):
    """A table of the units whose district rows share names with the coarser areas is a table
    of the units (the district rows are dropped), a table of the districts is one of them."""
    rows = []
    for bez, part in mss.merge(plr[["PLR_ID", "BEZ_NAME"]], on="PLR_ID").groupby("BEZ_NAME"):
        rows.append((bez, part["EW"].sum()))
        rows += list(zip(part["PLR_NAME"], part["EW"], strict=True))
    pd.DataFrame(rows, columns=["Gebiet", "Einwohner"]).to_csv(tmp_path / "a.csv", index=False)
    toml, _ = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "a.csv")
    assert toml["tables"][0].get("level", "unit") == "unit"
    assert set(toml["tables"][0]["drop_keys"]) == {"Mitte", "Friedrichshain-Kreuzberg"}
    pd.DataFrame({"Bezirk": ["Mitte", "Friedrichshain-Kreuzberg"], "Miete": ["12,5", "13,1"]}
                 ).to_csv(tmp_path / "b.csv", sep=";", index=False)
    toml, _ = init(tmp_path / "q2.toml", units_file(plr, tmp_path / "u2.gpkg"), tmp_path / "b.csv")
    assert toml["tables"][0]["level"] == "group"


# ------------------------------------------------------------------------------ 4. long tables


def test_long_table_jahr_raum_zeile_zahl(tmp_path, plr, mss):
    """GENERATED from the real shares: `jahr, raum_id, raum, zeile, zahl`, 85 units × 5 years ×
    4 variables + city rows, the last year without values for one variable."""
    rows = []
    for year in range(2019, 2024):
        for _, r in mss.iterrows():
            for var, col in (("Arbeitslose", "S1"), ("SGB II", "S3"), ("Kinderarmut", "S4"),
                             ("Einwohner", "EW")):
                value = "" if (year == 2023 and var == "Kinderarmut") else r[col]
                rows.append((year, r["PLR_ID"], r["PLR_NAME"], var, value))
        rows.append((year, "0", "Berlin", "Einwohner", mss["EW"].sum()))
    t = pd.DataFrame(rows, columns=["jahr", "raum_id", "raum", "zeile", "zahl"])
    t.to_csv(tmp_path / "long.csv", index=False)
    toml, _ = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "long.csv",
                   args=("--name", "Berlin"))
    table = toml["tables"][0]
    # 2023 lacks one variable: the latest year with every variable is read, and 2023 is named
    assert (table["layout"], table["year_column"], table["year"]) == ("long", "jahr", "2022")
    assert "2023: values for 3 of 4 variables" in (tmp_path / "q.toml").read_text(encoding="utf-8")
    assert table["variable_column"] == "zeile" and table["value_column"] == "zahl"
    assert set(table["columns"]) == {"Arbeitslose", "SGB II", "Kinderarmut", "Einwohner"}
    units, _ = load_city(load_config(tmp_path / "q.toml"))
    got = units.set_index("unit_id")["sgb_ii"]
    assert np.allclose(got.loc[mss["PLR_ID"]].to_numpy(), mss["S3"].to_numpy(), equal_nan=True)


# ----------------------------------------------------------------------- 5. negative numbers


def test_negative_numbers_read_and_never_declared_missing(tmp_path, plr, mss):
    """GENERATED: migration balances typeset as '-  23', '–23', '−23' and '-1' beside '.' for
    suppressed cells: all read, and no missing-value code deletes a number."""
    spellings = ["-  23", "–23", "\u221223", "-1", "15", "."]
    t = pd.DataFrame({"PLR": mss["PLR_ID"], "Saldo": [spellings[i % 6] for i in range(len(mss))]})
    t.to_csv(tmp_path / "saldo.csv", sep=";", index=False)
    toml, _ = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "saldo.csv")
    assert not set(toml["tables"][0].get("na_values", [])) & {"-1", "-23", "-  23"}
    units, _ = load_city(load_config(tmp_path / "q.toml"))
    got = units.set_index("unit_id").loc[mss["PLR_ID"], "saldo"].to_numpy()
    want = [[-23, -23, -23, -1, 15, np.nan][i % 6] for i in range(len(mss))]
    assert np.allclose(got, want, equal_nan=True)


# ---------------------------------------------------------------------- 6. ambiguous decimals


def test_share_with_three_decimals_is_not_thousands(tmp_path, plr, mss):
    """The real S1 shares (1–13 %) written with three decimals: a share cannot be 4226 %."""
    t = pd.DataFrame({"PLR": mss["PLR_ID"], "Arbeitslose in %": mss["S1"].clip(lower=1.001)
                      .map(lambda v: f"{v:.3f}")})
    t.to_csv(tmp_path / "s.csv", sep=";", index=False)
    toml, _ = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "s.csv")
    assert toml["tables"][0]["decimal"] == "." and "thousands" not in toml["tables"][0]
    units, _ = load_city(load_config(tmp_path / "q.toml"))
    assert units["arbeitslose_in_pct"].max() < 100


def test_undecidable_dots_become_a_question_check_names_it(tmp_path, plr, mss):
    """GENERATED: every value has exactly three digits after a dot and no column says what it
    is: 1.234 could be 1234 or 1,234. `init` asks; `check` fails until it is answered."""
    rng = np.random.default_rng(3)
    t = pd.DataFrame({"PLR": mss["PLR_ID"], "Wert": [f"{v:.3f}" for v in rng.uniform(1, 9, len(mss))]})
    t.to_csv(tmp_path / "w.csv", sep=";", index=False)
    toml, out = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "w.csv",
                     ok=False)
    assert "thousands separator" in toml["decide"][0]
    assert "1 decision" in out
    res = runner.invoke(app, ["check", str(tmp_path / "q.toml")])
    assert res.exit_code == 2 and "thousands separator" in res.output


# ------------------------------------------------------------------- 7. config written from data


HOSTILE = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1,
                  max_size=40)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(header=HOSTILE, cell=HOSTILE, name=HOSTILE)
def test_values_from_files_never_leave_their_string(tmp_path_factory, plr, mss, header, cell, name):
    """GENERATED: a header, a key cell and a value cell with any text (line breaks, quotes,
    ']]', '= 1', '[[tables]]', control characters): the config parses, holds only known keys,
    and the text is a value or a comment — never a line of its own."""
    tmp = tmp_path_factory.mktemp("hostile")
    names = list(mss["PLR_NAME"])
    names[3] = name
    t = pd.DataFrame({"PLR_ID": mss["PLR_ID"], "Name": names, header: mss["S1"],
                      "Notiz": [cell] * len(mss)})
    t.to_csv(tmp / "t.csv", sep=";", index=False)
    try:
        text, _ = write_config(tmp / "q.toml", units_file(plr, tmp / "u.gpkg"), [tmp / "t.csv"],
                               name=name)
    except QuartierError:
        return
    doc = tomllib.loads(text)
    allowed = set(QuartierConfig.model_fields)
    assert set(doc) <= allowed
    for table in doc.get("tables", []):
        assert set(table) <= set(TableConfig.model_fields)
    for line in text.split("\n"):
        # every line is a comment, a header, a key = value, or blank
        assert re.match(r"^(#.*|\[\[?[\w.]+\]\]?( #.*)?|[\w\"-].*=.*|\s*)$", line), line


# ------------------------------------------------------------------------- 8. counts to shares


def test_counts_become_shares_and_a_count_in_the_index_is_warned(tmp_path, plr, mss):
    """GENERATED counts from the real shares: persons in SGB II and the unemployed as counts
    beside the residents. `init` proposes ratios; an index on the counts is warned about."""
    ew = mss["EW"].fillna(0)
    t = pd.DataFrame({"PLR": mss["PLR_ID"], "Einwohner": ew.astype(int),
                      "SGB II Personen": (ew * mss["S3"].fillna(0) / 100).round().astype(int),
                      "Arbeitslose": (ew * mss["S1"].fillna(0) / 100).round().astype(int)})
    t.to_csv(tmp_path / "c.csv", sep=";", index=False)
    toml, out = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "c.csv",
                     args=("--index", "arbeitslose,sgb_ii_personen_anteil_pct"))
    derived = {d["name"]: d for d in toml["derive"]}
    assert derived["sgb_ii_personen_anteil_pct"]["columns"] == ["sgb_ii_personen", "einwohner"]
    assert "'arbeitslose' is a count" in out.replace("\n", " ")
    cfg = load_config(tmp_path / "q.toml")
    units, report = load_city(cfg)
    assert any(t.name == "sgb_ii_personen_anteil_pct" for t in report.tables)
    notes = flag_units(units, cfg).notes
    assert any("ist eine Anzahl" in n for n in notes)


# ---------------------------------------------------------------------- 9. residents unknown


def test_no_population_proposes_the_census_grid_and_areas(tmp_path, plr, mss):
    t = mss[["PLR_ID", "S1", "S3"]].rename(columns={"S1": "Arbeitslose %", "S3": "SGB II %"})
    t.to_csv(tmp_path / "s.csv", index=False)
    toml, _ = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "s.csv",
                   args=("--index", "arbeitslose_pct,sgb_ii_pct"))
    assert toml["population"]["grid"]["path"].endswith("continuous_Einwohner.parquet")
    assert toml["population"]["column"] == "einwohner_zensus2011" and "areas" in toml
    units, _ = load_city(load_config(tmp_path / "q.toml"))
    # the grid's 1 km cells split by area: Mitte + Friedrichshain-Kreuzberg, ~0.6 million in 2011
    assert 500_000 < units["einwohner_zensus2011"].sum() < 700_000


# ------------------------------------------------------------- 10. values of a coarser level


def test_values_repeated_for_a_coarser_area_are_named(tmp_path, plr, mss):
    """GENERATED: the shares of the Bezirksregion written for each of its Planungsräume."""
    t = plr[["PLR_ID", "BZR_ID"]].merge(mss[["PLR_ID", "S1", "S3", "S4"]], on="PLR_ID")
    regional = t.groupby("BZR_ID")[["S1", "S3", "S4"]].transform("mean").round(2)
    t[["S1", "S3", "S4"]] = regional
    t.drop(columns="BZR_ID").to_csv(tmp_path / "r.csv", index=False)
    toml, out = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "r.csv",
                     args=("--index", "s1,s3,s4"))
    assert "r: 85 von 85 Einheiten haben genau dieselben Werte von s1, s3, s4 wie eine andere " \
        "Einheit" in out.replace("\n", " ")
    cfg = load_config(tmp_path / "q.toml")
    units, report = load_city(cfg)
    assert report.tables[0].warnings
    assert any("Hot Spots und Cluster" in n for n in flag_units(units, cfg).notes)


# --------------------------------------------------------------------------- 11. output traps


def test_far_island_does_not_frame_the_map(plr):
    far = plr.copy()
    far.loc[0, "geometry"] = shapely.affinity.translate(far.geometry[0], 60_000, -40_000)
    west, south, east, north = core_bounds(far)
    full = far.to_crs(4326).total_bounds
    assert east < full[2] - 0.3 and south > full[1] + 0.2


def test_map_without_index_opens_on_the_indicator(tmp_path, plr, mss):
    t = mss[["PLR_ID", "S1"]].rename(columns={"S1": "Arbeitslose %"})
    t.to_csv(tmp_path / "s.csv", index=False)
    init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "s.csv")
    res = runner.invoke(app, ["run", str(tmp_path / "q.toml"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "out" / "quartier_map.html").read_text(encoding="utf-8")
    # the indicator's theme is shown when the map opens (the only theme without an index)
    assert re.search(r'"key": "indicator", "name": "[^"]*", "group": "theme", "show": true', html)


def test_a_row_for_two_units_says_what_it_doubles(tmp_path, plr, mss):
    """GENERATED: two neighbouring Planungsräume published as one row ('A und B')."""
    t = mss[["PLR_NAME", "EW", "S3"]].rename(columns={"PLR_NAME": "Gebiet", "S3": "SGB II %"})
    a, b = t.loc[0, "Gebiet"], t.loc[1, "Gebiet"]
    t.loc[0, "Gebiet"] = f"{a} und {b}"
    t = t.drop(index=1)
    t.rename(columns={"EW": "Einwohner"}).to_csv(tmp_path / "ew.csv", sep=";", index=False,
                                                 decimal=",")
    toml, _ = init(tmp_path / "q.toml", units_file(plr, tmp_path / "u.gpkg"), tmp_path / "ew.csv",
                   args=("--index", "sgb_ii_pct"))
    assert toml["tables"][0]["aliases"] == {f"{a} und {b}": [a, b]}
    res = runner.invoke(app, ["run", str(tmp_path / "q.toml"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    join = pd.read_csv(tmp_path / "out" / "join_report.csv", encoding="utf-8-sig")
    assert "zählen daher 2-mal in der Summe der Stadt: einwohner +" in join.loc[0, "details"]
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "zählen daher 2-mal" in report.split("Join-Bericht")[0]

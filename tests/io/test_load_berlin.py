"""The embedded Berlin data and the Leipzig example load and join as documented."""

import numpy as np
import pytest

from quartier.config import load_config
from quartier.pipeline.load import load_city
from tests.conftest import LEIPZIG_CONFIG


def test_berlin_units_metric_and_area(berlin):
    units, _ = berlin
    assert len(units) == 542
    assert units.crs.to_epsg() == 25833
    assert units.area.sum() / 1e6 == pytest.approx(890.67, abs=0.1)
    assert units["unit_id"].str.len().eq(8).all()
    assert units["unit_id"].is_unique


def test_berlin_mss_joined_and_invalid_rows_reported(berlin):
    units, report = berlin
    mss = next(t for t in report.tables if t.name == "mss2021")
    assert mss.matched == 542 and not mss.only_in_units and not mss.only_in_table
    invalid = {"03300515", "03400831", "04400725", "05300838", "06200418", "10100205"}
    assert set(mss.rows_with_missing["s1_arbeitslosigkeit_pct"]) == invalid
    # reported, not dropped: the rows are there, with NaN (never 0) and the official note
    rows = units[units["unit_id"].isin(invalid)]
    assert len(rows) == 6
    assert rows["s4_kinderarmut_pct"].isna().all()
    assert set(rows["mss2021_note"]) == {"ungültig (EW unter 300)", "ungültig (Ausreißer)"}
    assert any("10100205" in n and "Ausreißer" in n for n in mss.notes)
    frame = report.to_frame().set_index("table")
    assert frame.loc["mss2021", "matched"] == "542/542"
    assert frame.loc["mss2021", "rows_with_missing"] == 6


def test_berlin_values_parsed_exactly(berlin):
    units, _ = berlin
    row = units.set_index("unit_id").loc["01100101"]
    assert row["s1_arbeitslosigkeit_pct"] == pytest.approx(4.22594)
    assert row["ew_2020"] == 3419
    assert row["k02_alleinerziehende_pct"] == pytest.approx(25.62)
    assert row["ew_2024"] == 3580  # split 4-column id concatenated
    assert units["ew_2024"].sum() == 3_897_145  # official Berlin total 31.12.2024


def test_leipzig_name_join_swapped_axes_total_dropped():
    cfg = load_config(LEIPZIG_CONFIG)
    units, report = load_city(cfg)
    assert len(units) == 63
    assert "XX" not in set(units["unit_id"])
    assert all(t.matched == 63 for t in report.tables)
    # axes corrected: Leipzig lies at about 12.4 E, 51.3 N
    lon, lat = units.to_crs(4326).union_all().centroid.coords[0]
    assert 12.2 < lon < 12.6 and 51.2 < lat < 51.5
    assert units["ew_2023"].notna().all() and np.isfinite(units["sgb2_quote_2022_pct"]).all()


def test_berlin_partial_tables_reported(berlin):
    units, report = berlin
    t = {r.name: r for r in report.tables}
    assert t["eigentum2022"].matched == 541 and t["eigentum2022"].only_in_units == ["05300838"]
    # the all-empty row
    assert "1 Fußnoten- oder Leerzeile(n) übersprungen (Zeilen 237)" in t["eigentum2022"].notes
    assert t["wohnungsbestand2023"].matched == 434
    assert len(t["wohnungsbestand2023"].only_in_units) == 108
    assert "wohnungen_insgesamt: 2 × „–“ als 0 gelesen (zero_values)" in \
        t["wohnungsbestand2023"].notes
    assert units["wohnungen_2023"].isna().sum() == 108  # missing stays missing, never 0


def test_zero_values_code(tmp_path):
    from tests.conftest import tiny_config

    csv = "ID;EW;SGB2\n001;–;1,0\n002;2000;2,0\n003;1;1\n004;1;1\n"
    units, _ = load_city(tiny_config(tmp_path, csv=csv, table={"zero_values": ["–"]}))
    assert units["ew"].iloc[0] == 0

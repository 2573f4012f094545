"""Site selection on awkward inputs: population, capacities, coordinates, replaced gaps.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from quartier import pipeline
from quartier.config import parse_config
from quartier.errors import ConfigError, InputDataError
from tests.hostile import hostile_config, write_city


def test_sites_need_a_population_column(tmp_path):
    raw = write_city(tmp_path)
    raw.pop("population_column")
    with pytest.raises(ConfigError, match="set population_column"):
        parse_config(raw, tmp_path)


@pytest.mark.parametrize(("cell", "fragment"), [("inf", "not numbers"), ("1e400", "exceed the range"),
                                                ("60.9", "whole number of places")])
def test_site_capacity_is_a_whole_number(tmp_path, cell, fragment):
    cfg = hostile_config(tmp_path / "c")
    sites = pd.read_csv(tmp_path / "c" / "sites.csv", dtype=str)
    sites.loc[0, "capacity"] = cell
    sites.to_csv(tmp_path / "c" / "sites.csv", index=False)
    from quartier.io.sitefile import read_site_file

    with pytest.raises(InputDataError, match=fragment):
        read_site_file(cfg.sites, crs=cfg.city.crs)


def test_site_coordinates_that_are_no_number(tmp_path):
    cfg = hostile_config(tmp_path / "c")
    sites = pd.read_csv(tmp_path / "c" / "sites.csv", dtype=str)
    sites.loc[0, "x"] = "390.125,5"
    sites.to_csv(tmp_path / "c" / "sites.csv", index=False)
    from quartier.io.sitefile import read_site_file

    with pytest.raises(InputDataError, match=r"column 'x', lines 2"):
        read_site_file(cfg.sites, crs=cfg.city.crs)


def test_a_quarter_without_population_gets_no_site_and_says_why(tmp_path):
    cfg = hostile_config(tmp_path / "c")
    table = pd.read_csv(tmp_path / "c" / "table.csv", sep=";", dtype=str)
    table.loc[0, "EW"] = ""
    table.to_csv(tmp_path / "c" / "table.csv", sep=";", index=False, lineterminator="\r\n")
    _, result = pipeline.sites(cfg, 40, tmp_path / "out")
    s1 = result.table.set_index("site_id").loc["S1"]
    assert not s1["selected"]
    assert s1["reasons"].startswith("nicht wählbar: Einwohnerzahl des Quartiers fehlt")


def test_replaced_gap_candidates_are_no_sites():
    from quartier.analysis.sites import sites_from_gaps
    from quartier.config import SitesConfig

    cad = gpd.GeoDataFrame({"gap_id": ["A", "B", "C"], "gap_type": "Baulücke",
                            "area_m2": 1000.0, "status": "offen",
                            "state": ["ersetzt", "geändert", "verwaist"]},
                           geometry=[Point(0, 0).buffer(10)] * 3, crs="EPSG:25833")
    assert sites_from_gaps(cad, SitesConfig())["site_id"].tolist() == ["B"]

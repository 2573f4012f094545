"""Boundary files that cannot be units as they are: web mercator, points, collections, cp1252.
"""

from __future__ import annotations

import pytest
from shapely.geometry import GeometryCollection, LineString, Point

from quartier.errors import InputDataError
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config, tiny_units


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


@pytest.mark.parametrize("geom", [Point(390_100, 5_820_100),
                                  LineString([(390_000, 5_820_000), (390_500, 5_820_500)])])
def test_point_or_line_units_are_refused(tmp_path, geom):
    units = tiny_units()
    units.loc[2, "geometry"] = geom
    with pytest.raises(InputDataError, match=r"units must be areas .* are (Point|LineString) ×1: 003"):
        load_city(tiny_config(tmp_path, units=units))


def test_collection_without_area_is_refused(tmp_path):
    units = tiny_units()
    units.loc[1, "geometry"] = GeometryCollection([Point(390_100, 5_820_100),
                                                   LineString([(390_000, 5_820_000), (390_500, 5_820_500)])])
    with pytest.raises(InputDataError, match="units must be areas .*002"):
        load_city(tiny_config(tmp_path, units=units))


def test_cp1252_shapefile_without_cpg_keeps_the_euro_sign(tmp_path):
    units = tiny_units()
    units.loc[0, "NAME"] = "Preis 5 € Straße"
    units.to_file(tmp_path / "u.shp", encoding="cp1252", engine="pyogrio")
    (tmp_path / "u.cpg").unlink()
    cfg = tiny_config(tmp_path, units_extra={"path": "u.shp"})
    loaded, report = load_city(cfg)
    assert loaded.loc[0, "unit_name"] == "Preis 5 € Straße"

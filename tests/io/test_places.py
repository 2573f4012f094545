"""Place names for grid cells ([report.place_names]): hand-made polygons with known answers, and
the shipped Gemeinden (BKG VG250, data/germany_1km/vg250_gemeinden.parquet) on the real grid."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
from shapely.geometry import Point, Polygon, box

from quartier import vocab
from quartier.config import load_config
from quartier.errors import ConfigError, InputDataError
from quartier.io.places import place_names
from quartier.io.units import read_units
from quartier.io.vector import read_vector
from quartier.paths import DATA_DIR

GEMEINDEN = DATA_DIR / "germany_1km" / "vg250_gemeinden.parquet"
CRS = "EPSG:3035"


def _places(tmp_path):
    # two Gemeinden side by side, 10 km each, in two Kreise
    places = gpd.GeoDataFrame({"GEN": ["Adorf", "Bestadt"], "KREIS": ["Kreis A", "Kreis B"]},
                              geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)],
                              crs=CRS)
    path = tmp_path / "gemeinden.parquet"
    places.to_parquet(path)
    return path


def _cells(*centres):
    return gpd.GeoDataFrame({"unit_name": [f"c{i}" for i in range(len(centres))]},
                            geometry=[box(x - 500, y - 500, x + 500, y + 500) for x, y in centres],
                            crs=CRS)


def test_centres_named_by_the_polygon_holding_them_else_the_nearest(tmp_path):
    path = _places(tmp_path)
    # inside Adorf, inside Bestadt, 300 m beyond Bestadt's edge, 5 km away from everything
    units = _cells((2_500, 2_500), (15_500, 9_500), (20_300, 5_000), (30_000, 30_000))
    with vocab.use_language("de"):
        names, notes = place_names(units, path, "GEN", group_column="KREIS")
    assert names["place_name"].tolist()[:3] == ["Adorf", "Bestadt", "Bestadt"]
    assert names["place_group"].tolist()[:3] == ["Kreis A", "Kreis B", "Kreis B"]
    assert names.iloc[3].isna().all()                 # missing stays missing
    assert notes == [
        "report.place_names (gemeinden.parquet): 1 Einheit(en) mit dem Mittelpunkt außerhalb "
        "aller Flächen (Grenze, Küste, Gewässer – oder die Datei deckt das Gebiet nicht ganz "
        "ab): nach der nächsten Fläche (bis 1.000 m) benannt",
        "report.place_names (gemeinden.parquet): 1 Einheit(en) ohne Ortsnamen: mehr als "
        "1.000 m von jeder Fläche entfernt"]
    with vocab.use_language("en"):
        _, notes_en = place_names(units, path, "GEN")
    assert notes_en[1] == ("report.place_names (gemeinden.parquet): 1 unit(s) without a place "
                           "name: more than 1,000 m from every place polygon")


def test_a_cell_on_a_border_takes_the_place_of_its_centre(tmp_path):
    path = _places(tmp_path)
    names, notes = place_names(_cells((9_900, 5_000), (10_100, 5_000)), path, "GEN")
    assert names["place_name"].tolist() == ["Adorf", "Bestadt"]
    assert names["place_group"].isna().all() and notes == []


def test_place_file_errors_name_the_column_and_the_file(tmp_path):
    path = _places(tmp_path)
    with pytest.raises(ConfigError, match=r"has no column 'NAME' \(it has: GEN, KREIS, geometry"):
        place_names(_cells((1, 1)), path, "NAME")
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"GEN": ["x"]}).to_parquet(plain)
    with pytest.raises(InputDataError, match="plain.parquet: has no geometry .*GeoParquet metadata"):
        read_vector(plain, "report.place_names")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1")
    with pytest.raises(InputDataError, match="broken.parquet: cannot be read as GeoParquet"):
        read_vector(broken, "report.place_names")


def _cell_at(units: gpd.GeoDataFrame, lon: float, lat: float) -> int:
    x, y = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(lon, lat)
    return int(units.index[units.contains(Point(x, y))][0])


def test_every_populated_cell_of_germany_gets_its_gemeinde():
    cfg = load_config(DATA_DIR / "germany_1km" / "quartier.toml")
    units, _ = read_units(cfg.units, crs=cfg.city.crs, max_scale_error_pct=1.5)
    names, notes = place_names(units, GEMEINDEN, "gemeinde", group_column="kreis")
    assert len(units) == 214_633
    assert names["place_name"].notna().all()          # none further than 1 km from a Gemeinde
    # one centre on a border the simplified polygons share twice; 876 border and coast cells
    # whose centre lies outside Germany's land (measured)
    assert [n.split(": ")[1][:30] for n in notes] == ["1 Einheit(en) liegen in mehrer",
                                                      "876 Einheit(en) mit dem Mittel"]
    named = names.join(units[["unit_name"]])
    for lon, lat, place, kreis in [(13.37770, 52.51628, "Berlin", "Berlin"),   # Brandenburger Tor
                                   (11.57549, 48.13743, "München", "München (Kreisfreie Stadt)"),
                                   (13.03850, 52.40350, "Potsdam", "Potsdam"),  # Sanssouci
                                   (10.27970, 47.40940, "Oberstdorf", "Oberallgäu")]:
        row = named.loc[_cell_at(units, lon, lat)]
        assert (row["place_name"], row["place_group"]) == (place, kreis), row["unit_name"]
    assert names["place_name"].nunique() > 10_000 and names["place_group"].nunique() == 402



def test_bad_place_files_are_refused_with_the_fix(tmp_path):
    path = _places(tmp_path)
    units = _cells((2_500, 2_500), (15_500, 9_500))
    # the same column as name and group: one column, both filled
    names, _ = place_names(units, path, "GEN", group_column="GEN")
    assert names["place_group"].tolist() == ["Adorf", "Bestadt"]
    # a GeoPackage of several layers without `layer`: GDAL would silently take the first
    places = gpd.read_parquet(path)
    gpkg = tmp_path / "two.gpkg"
    places.iloc[:0].to_file(gpkg, layer="kreise")
    places.to_file(gpkg, layer="gemeinden")
    with pytest.raises(ConfigError, match=r"has 2 layers \('kreise', 'gemeinden'\); add "
                                          r"layer = \"…\" to report.places"):
        place_names(units, gpkg, "GEN", what="report.places")
    assert place_names(units, gpkg, "GEN", layer="gemeinden")[0]["place_name"].tolist() == \
        ["Adorf", "Bestadt"]
    # points name nothing; empty geometries are left out and said
    points = places.set_geometry(places.centroid)
    points.to_parquet(tmp_path / "points.parquet")
    with pytest.raises(InputDataError, match="holds no polygons \\(geometries: Point\\)"):
        place_names(units, tmp_path / "points.parquet", "GEN")
    mixed = pd.concat([places, points.iloc[:1]])
    mixed.loc[len(mixed)] = ["Leer", "Kreis A", box(0, 0, 0, 0).buffer(0)]
    mixed.to_parquet(tmp_path / "mixed.parquet")
    names, notes = place_names(units, tmp_path / "mixed.parquet", "GEN")
    assert names["place_name"].tolist() == ["Adorf", "Bestadt"]
    assert notes == ["report.place_names (mixed.parquet): 2 Objekt(e) der Ortsdatei ohne "
                     "Fläche (leer, Punkt oder Linie) nicht verwendet"]


def test_places_in_another_crs_or_region_are_an_error_not_a_blank_column(tmp_path):
    """A GeoJSON in EPSG:25833 without a crs member reads as lon/lat: no unit is near a place.
    That is a wrong file, never a result: the error gives both extents and the fix."""
    places = gpd.read_parquet(_places(tmp_path)).to_crs("EPSG:25833")
    lying = tmp_path / "lying.geojson"
    collection = json.loads(places.to_json())
    collection.pop("crs", None)                            # no crs member: read as WGS84
    lying.write_text(json.dumps(collection), encoding="utf-8")
    units = _cells((2_500, 2_500), (15_500, 9_500))
    with pytest.raises(InputDataError, match=r"no unit lies within 1,000 m of a place in .*"
                                             r"lying.geojson .*a wrong CRS — a file without one "
                                             r"needs crs = \"EPSG:…\" in report.place_names"):
        place_names(units, lying, "GEN")
    names, _ = place_names(units, lying, "GEN", crs="EPSG:25833")
    assert names["place_name"].tolist() == ["Adorf", "Bestadt"]


def test_check_collects_a_broken_place_file_with_the_other_problems(tmp_path):
    from quartier.pipeline.load import load_city
    from tests.conftest import tiny_config

    cfg = tiny_config(tmp_path, report={"place_names": {"path": "gemeinden.gpkg",
                                                        "name_column": "GEN"}})
    problems: list[str] = []
    units, _ = load_city(cfg, problems=problems)
    assert len(units) == 4 and "place_name" not in units
    assert problems == [f"{tmp_path / 'gemeinden.gpkg'}: file not found (report.place_names)"]


def test_blank_names_overlaps_and_invalid_polygons_are_said(tmp_path):
    """Each way a place file can mislead without failing gets its own note, never a wrong
    reason: a polygon without a name or Kreis, two polygons over one centre (the first
    names it), a bow-tie polygon (repaired)."""
    places = gpd.GeoDataFrame(
        {"GEN": [None, "Bestadt", "Überlappland", "Schleife"],
         "KREIS": ["Kreis A", None, "Kreis C", "Kreis D"]},
        geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000),
                  box(12_000, 0, 14_000, 2_000),
                  Polygon([(30_000, 0), (40_000, 10_000), (40_000, 0), (30_000, 10_000)])],
        crs=CRS)
    path = tmp_path / "places.gpkg"
    places.to_file(path)
    units = _cells((2_500, 2_500), (13_500, 1_500), (17_500, 7_500), (32_000, 5_000))
    names, notes = place_names(units, path, "GEN", group_column="KREIS")
    assert names["place_name"].tolist()[1:] == ["Bestadt", "Bestadt", "Schleife"]
    assert pd.isna(names["place_name"].iloc[0])      # in a polygon without a name: missing
    assert [n.removeprefix("report.place_names (places.gpkg): ") for n in notes] == [
        "1 ungültige Fläche(n) repariert (Flächenteile behalten)",
        "1 Einheit(en) liegen in mehreren, sich überlappenden Flächen: die erste in der Datei "
        "benennt sie",
        "1 Einheit(en) liegen in einer Fläche ohne Wert in Spalte „GEN“: bleiben ohne Namen",
        "2 Einheit(en) liegen in einer Fläche ohne Wert in Spalte „KREIS“: bleiben ohne Namen"]


def test_name_columns_that_cannot_name_are_config_errors(tmp_path):
    from pydantic import ValidationError

    from quartier.config.report import PlaceNamesConfig

    path = _places(tmp_path)
    with pytest.raises(ConfigError, match="'geometry' is the geometry, not a name"):
        place_names(_cells((1, 1)), path, "geometry")
    with pytest.raises(ConfigError, match="layer 'gemeinden' does not apply to GeoParquet"):
        place_names(_cells((1, 1)), path, "GEN", layer="gemeinden")
    with pytest.raises(ValidationError, match="name_column"):
        PlaceNamesConfig(path="x.gpkg", name_column="")

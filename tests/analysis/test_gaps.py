"""Building gaps: known answers on hand-made parcels and blocks, Moabit and Kaiserslautern."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from quartier.analysis.gaps import _edge_share, detect_gaps, stable_id
from quartier.config import GapsConfig, load_config
from quartier.io.gapdata import GapInputs, read_gap_inputs
from quartier.paths import DATA_DIR
from quartier.testing import tiny_blocks

CRS = "EPSG:25833"


def handmade_parcels():
    """GENERATED test street: 8 parcels of 20 × 40 m along a street at y = 0 (7 m half width).

    Parcels 2 and 5 are empty (true gaps); parcel 6 holds only a 20 m² shed (a gap as well);
    parcel 7 is built but its footprint is shifted 0.8 m into parcel 6 (misalignment).
    """
    parcels = gpd.GeoDataFrame({"fid": [f"P{i}" for i in range(8)]},
                               geometry=[box(i * 20, 7, (i + 1) * 20, 47) for i in range(8)],
                               crs=CRS)
    houses = [box(i * 20 + 2, 12, i * 20 + 18, 30) for i in (0, 1, 3, 4)]
    houses += [box(6 * 20 + 2, 40, 6 * 20 + 6, 45),       # shed 20 m²
               box(7 * 20 - 0.8, 12, 7 * 20 + 16, 30)]    # misaligned, overlaps parcel 6
    buildings = gpd.GeoDataFrame(geometry=houses, crs=CRS)
    streets = gpd.GeoDataFrame({"cls": ["residential"]},
                               geometry=[LineString([(-50, 0), (250, 0)])], crs=CRS)
    return parcels, buildings, streets


def test_parcels_known_answer():
    parcels, buildings, streets = handmade_parcels()
    inp = GapInputs(buildings=buildings, streets=streets, barriers=gpd.GeoSeries([], crs=CRS),
                    excluded=gpd.GeoSeries([], crs=CRS), area=box(-50, -50, 250, 100),
                    parcels=parcels)
    # in a single row of parcels two adjacent gaps have one built neighbour each
    cfg = GapsConfig(parcels_id_column="fid", min_area_m2=100, parcel_shrink_m=1.0,
                     min_neighbours=1)
    gaps = detect_gaps(inp, cfg)
    assert sorted(gaps["parcel_id"]) == ["P2", "P5", "P6"]
    assert set(gaps["gap_type"]) == {"Baulücke"}
    assert (gaps["area_m2"] == 800).all()
    assert gaps["frontage_m"].tolist() == pytest.approx([20.0] * 3)
    assert gaps["rule"].str.startswith("P1").all()
    assert gaps["confidence"].between(0, 1).all()


def test_parcels_underused():
    parcels, buildings, streets = handmade_parcels()
    big = gpd.GeoDataFrame(geometry=[box(2, 12, 18, 46), box(22, 12, 38, 46), box(62, 12, 78, 46),
                                     box(82, 12, 98, 46), box(42, 36, 50, 44)], crs=CRS)
    inp = GapInputs(buildings=big, streets=streets, barriers=gpd.GeoSeries([], crs=CRS),
                    excluded=gpd.GeoSeries([], crs=CRS), area=box(-50, -50, 250, 100),
                    parcels=parcels.iloc[:5])
    gaps = detect_gaps(inp, GapsConfig(parcels_id_column="fid", min_area_m2=100,
                                       min_building_m2=10))
    row = gaps.set_index("parcel_id").loc["P2"]
    assert row["gap_type"] == "untergenutzt" and row["rule"].startswith("P2")


def test_blocks_known_gap_between_houses():
    """GENERATED block 100 × 60 m between two streets; houses along the north street except a
    20 m gap; the south side is a park (excluded)."""
    streets = gpd.GeoDataFrame({"cls": ["residential"] * 4}, geometry=[
        LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 60)]),
        LineString([(100, 60), (0, 60)]), LineString([(0, 60), (0, 0)])], crs=CRS)
    houses = [box(x, 35, x + 12, 52) for x in (8, 20, 32, 64, 76)]  # gap x = 44…64
    buildings = gpd.GeoDataFrame(geometry=houses, crs=CRS)
    park = gpd.GeoSeries([box(0, 0, 100, 30)], crs=CRS)
    inp = GapInputs(buildings=buildings, streets=streets, barriers=gpd.GeoSeries([], crs=CRS),
                    excluded=park, area=box(-20, -20, 120, 80))
    cfg = GapsConfig(street_buffer_m=6, building_buffer_m=1, min_width_m=8, min_area_m2=100,
                     min_depth_m=10)
    gaps = detect_gaps(inp, cfg)
    assert len(gaps) == 1
    gap = gaps.iloc[0]
    assert gap["gap_type"] == "Baulücke"
    c = gap.geometry.centroid
    assert 46 < c.x < 62 and c.y > 35
    # 20 m between the houses minus 2 × 1 m building buffer
    assert gap["frontage_m"] == pytest.approx(18, abs=0.5)
    assert gap["n_neighbours"] >= 2


def test_edge_share_counts_the_edge_within_a_metre_of_buildings():
    """GENERATED 20 × 20 m piece; a (buffered) building 0.5 m east of it along its whole east
    edge, another 1.5 m north of it, beyond the 1 m band: the east edge and the last 0.5 m of
    the north and south edges, 21 m of 80 m, border buildings."""
    piece = np.array([box(0, 0, 20, 20)])
    parts = np.array([box(20.5, -5, 30, 25), box(-5, 21.5, 25, 30), box(100, 100, 110, 110)])
    assert _edge_share(piece, parts) == pytest.approx([21 / 80])
    assert _edge_share(piece, parts[1:]) == pytest.approx([0.0])


def test_blocks_same_result_on_two_threads_and_timed_steps():
    inp = tiny_blocks()
    cfg = GapsConfig(street_buffer_m=6, building_buffer_m=1, min_width_m=8, min_area_m2=100,
                     min_depth_m=10)
    timings: dict[str, float] = {}
    one = detect_gaps(inp, cfg, timings=timings)
    two = detect_gaps(inp, cfg, threads=2)
    assert len(one) == 9 and (one["gap_type"] == "Baulücke").all()     # every block's gap
    assert list(one["gap_id"]) == list(two["gap_id"])
    assert one.geometry.geom_equals_exact(two.geometry, tolerance=0).all()
    assert list(timings) == ["buffers and blocks", "open space", "opening", "frontage",
                             "neighbours", "yard", "output"]
    assert all(s >= 0 for s in timings.values())


def test_blocks_without_candidates():
    inp = tiny_blocks(2)
    cfg = GapsConfig(street_buffer_m=6, building_buffer_m=1, min_width_m=8, min_area_m2=100,
                     min_depth_m=10, min_frontage_m=500)
    assert detect_gaps(inp, cfg, threads=2).empty
    # a single house per block: no block holds the two built neighbours a gap needs
    inp.buildings = inp.buildings.iloc[::5].reset_index(drop=True)
    assert detect_gaps(inp, GapsConfig(street_buffer_m=6, building_buffer_m=1, min_width_m=8,
                                       min_area_m2=100, min_depth_m=10)).empty


def test_stable_ids_ignore_order_and_tiny_noise():
    g = np.array([box(0, 0, 10, 10), box(20, 0, 30, 10)])
    shifted = np.array([box(20, 0, 30.01, 10), box(0.01, 0, 10, 10)])
    assert sorted(stable_id(g)) == sorted(stable_id(shifted))


@pytest.fixture(scope="module")
def moabit():
    cfg = load_config(DATA_DIR / "berlin" / "quartier.toml")
    return detect_gaps(read_gap_inputs(cfg.gaps, crs=cfg.city.crs,
                    max_scale_error_pct=cfg.city.max_scale_error_pct), cfg.gaps)


def test_moabit_candidates(moabit):
    counts = moabit["gap_type"].value_counts()
    assert 30 <= counts["Baulücke"] <= 100          # closing note: 52
    assert moabit["gap_id"].is_unique
    assert (moabit["area_m2"] >= 150).all() and (moabit["frontage_m"] >= 8).all()
    assert moabit.crs.to_epsg() == 25833
    # no candidate inside a mapped park or on water
    lu = gpd.read_file(DATA_DIR / "berlin/buildings_landuse/moabit_landuse_osm.gpkg").to_crs(25833)
    parks = lu[lu["fclass"].isin(["park", "cemetery", "allotments"])].union_all()
    assert (moabit.intersection(parks).area < 1.0).all()


@pytest.mark.slow
def test_kaiserslautern_candidates():
    cfg = load_config(DATA_DIR / "kaiserslautern" / "quartier.toml")
    inp = read_gap_inputs(cfg.gaps, crs=cfg.city.crs,
                    max_scale_error_pct=cfg.city.max_scale_error_pct)
    assert len(inp.buildings) > 15_000
    gaps = detect_gaps(inp, cfg.gaps)
    counts = gaps["gap_type"].value_counts()
    assert 100 <= counts["Baulücke"] <= 400         # closing note: 187
    assert gaps.crs.to_epsg() == 25832

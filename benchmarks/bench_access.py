"""Benchmark: nearest distances and walking-network distances.

1. 1,000,000 GENERATED origins to 10,000 GENERATED POIs of one category (Berlin extent), KD-tree,
   against the naive geopandas way (``pois.distance(origin).min()`` per origin) on a
   10,000-origin subset, extrapolated per origin.
2. Real data: all Kaiserslautern OSM building centroids to every category along the street
   network (Dijkstra from a virtual source), and the same for Berlin's 1.1 M raster residents
   straight-line.
Run: python benchmarks/bench_access.py
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import shapely

from _common import best_of
from quartier.analysis.access import nearest_distance
from quartier.analysis.network import (
    build_graph,
    compare_with_straight_line,
    read_osm_buildings,
    read_osm_pois,
    read_osm_streets,
)
from quartier.paths import DATA_DIR

KL = DATA_DIR / "kaiserslautern" / "kaiserslautern.osm.gz"
KL_TAGS = {"kita": {"amenity": ["kindergarten"]}, "schule": {"amenity": ["school"]},
           "supermarkt": {"shop": ["supermarket"]}, "apotheke": {"amenity": ["pharmacy"]},
           "arzt": {"amenity": ["doctors"]}, "spielplatz": {"leisure": ["playground"]},
           "oepnv": {"highway": ["bus_stop"], "railway": ["station", "halt", "tram_stop"]}}


def main() -> None:
    rng = np.random.default_rng(0)
    lo, hi = np.array([370_000, 5_800_000]), np.array([416_000, 5_837_000])
    origins = rng.uniform(lo, hi, (1_000_000, 2))
    pois = rng.uniform(lo, hi, (10_000, 2))
    ours = best_of(lambda: nearest_distance(origins, pois), 3)
    sub = gpd.GeoSeries(gpd.points_from_xy(*origins[:10_000].T), crs=25833)
    pser = gpd.GeoSeries(gpd.points_from_xy(*pois.T), crs=25833)
    t0 = time.perf_counter()
    naive = np.array([pser.distance(o).min() for o in sub[:300]])  # 300 of the subset, timed
    per_origin = (time.perf_counter() - t0) / 300
    assert np.allclose(naive, nearest_distance(origins[:300], pois)[0])
    naive_10k = per_origin * 10_000
    print(f"nearest, 1,000,000 GENERATED origins → 10,000 POIs: KD-tree {ours:.2f} s; "
          f"naive geopandas loop {naive_10k:.1f} s for 10,000 origins "
          f"(≈{per_origin * 1e6 / 3600:.1f} h for all); ratio per origin "
          f"{per_origin / (ours / 1e6):,.0f}×")

    t0 = time.perf_counter()
    graph = build_graph(read_osm_streets(KL, "EPSG:25832"))
    buildings = read_osm_buildings(KL, "EPSG:25832")
    kl_pois = read_osm_pois(KL, "EPSG:25832", KL_TAGS)
    t1 = time.perf_counter()
    xy = shapely.get_coordinates(buildings.geometry.centroid.values)
    table = compare_with_straight_line(graph, xy, kl_pois)
    t2 = time.perf_counter()
    print(f"Kaiserslautern network: {graph.n_nodes:,} nodes, {len(buildings):,} building centroids "
          f"× {len(table)} categories: read {t1 - t0:.2f} s, network distances {t2 - t1:.2f} s")
    print(table.round(2).to_string(index=False))
    print(f"median detour factor over categories: {table['detour_median'].median():.2f}")


if __name__ == "__main__":
    main()

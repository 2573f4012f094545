"""Benchmark: decentralised selection for 10,000 GENERATED candidate sites across 2,000 GENERATED
quarters (HiGHS MILP), against a plain greedy (best score first, respecting the caps) whose gap
to the optimum is printed.
Run: python benchmarks/bench_sites.py
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from shapely import box, points

from quartier.analysis.sites import select_sites
from quartier.config import SitesConfig


def generated(n_sites=10_000, n_units=2_000, seed=0):
    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n_units))
    i = np.arange(side * side)
    x0, y0 = (i % side) * 1000.0, (i // side) * 1000.0
    units = gpd.GeoDataFrame({"unit_id": [f"{k:05d}" for k in i],
                              "unit_group": [f"D{k % 12:02d}" for k in i]},
                             geometry=box(x0, y0, x0 + 1000, y0 + 1000), crs="EPSG:25833")
    pop = pd.Series(rng.integers(500, 15_000, len(units)).astype(float), index=units["unit_id"])
    xy = rng.uniform(0, side * 1000.0, (n_sites, 2))
    unit = (xy[:, 1] // 1000).astype(int) * side + (xy[:, 0] // 1000).astype(int)
    score = rng.uniform(20, 100, n_sites)
    sites = gpd.GeoDataFrame({"site_id": [f"S{k}" for k in range(n_sites)],
                              "capacity": rng.integers(20, 301, n_sites), "score": score,
                              "score_access": score, "penalty_status": 0.0, "penalty_shelter": 0.0,
                              "status_class": None, "excluded": False, "nearest_pois": "",
                              "eligible": True, "unit_id": units["unit_id"].to_numpy()[unit]},
                             geometry=points(xy), crs="EPSG:25833")
    return units, pop, sites


def greedy(sites, pop, people, s):
    left = people
    used = pd.Series(0.0, index=pop.index)
    chosen = []
    xy = np.c_[sites.geometry.x, sites.geometry.y]
    total = 0.0
    for k in np.argsort(-sites["score"].to_numpy()):
        if left <= 0:
            break
        u = sites["unit_id"].iloc[k]
        room = min(sites["capacity"].iloc[k], np.floor(pop[u] * s.max_share_of_residents_pct / 100)
                   - used[u], left)
        if room < s.min_places:
            continue
        if chosen and cKDTree(xy[chosen]).query(xy[k])[0] < s.min_distance_m:
            continue
        chosen.append(k)
        used[u] += room
        left -= room
        total += room * sites["score"].iloc[k]
    return total, people - left


def main() -> None:
    units, pop, sites = generated()
    s = SitesConfig(max_share_of_district_pct=None, min_distance_m=500)
    people = 20_000
    t0 = time.perf_counter()
    res = select_sites(sites, units, pop, people, s)
    t1 = time.perf_counter()
    g_obj, g_housed = greedy(sites, pop, people, s)
    t2 = time.perf_counter()
    print(f"select 10,000 GENERATED sites / 2,000 quarters for {people:,} people: HiGHS "
          f"{t1 - t0:.1f} s ({res.status}, housed {res.housed:,}, objective {res.objective:,.0f}); "
          f"greedy {t2 - t1:.1f} s (housed {g_housed:,}, objective {g_obj:,.0f}, "
          f"{100 * (res.objective - g_obj) / res.objective:.2f} % below the optimum)")


if __name__ == "__main__":
    main()

"""Benchmark: building-gap detection.

1. Kaiserslautern (real OSM, ~15,000 buildings): quartier's detection against the naive
   geopandas way of the same first step — ``gpd.overlay(blocks, buffered buildings + street
   space, how="difference")`` — best of 3 runs each, taken in turn (other jobs on this 2-core
   machine only ever add time), with quartier's seconds per step. The detection runs on one
   thread like the overlay, and again on two threads (``threads=2``).
2. 1.5 million GENERATED buildings (a street grid with 6 % empty lots) on a Dask LocalCluster
   (2 workers, this 2-core machine).
Run: python benchmarks/bench_gaps.py [--skip-large]
"""

from __future__ import annotations

import sys
import time
import warnings

import geopandas as gpd
import numpy as np
import shapely

from _common import generated_street_grid
from quartier.analysis.gaps import detect_gaps, main_buildings, street_blocks
from quartier.config import GapsConfig, load_config
from quartier.io.gapdata import GapInputs, read_gap_inputs
from quartier.paths import DATA_DIR

RUNS = 3


def naive_overlay(inp, g):
    blocks = gpd.GeoDataFrame(geometry=street_blocks(inp.streets, inp.barriers, inp.area,
                                                     g.block_street_classes), crs=inp.buildings.crs)
    sel = inp.streets[inp.streets["cls"].isin(g.block_street_classes)]
    blocked = np.concatenate([shapely.buffer(sel.geometry.values, g.street_buffer_m),
                              shapely.buffer(main_buildings(inp.buildings, g.min_building_m2).values,
                                             g.building_buffer_m)])
    return gpd.overlay(blocks, gpd.GeoDataFrame(geometry=blocked, crs=blocks.crs), how="difference")


def steps_line(steps: dict[str, float]) -> str:
    return ", ".join(f"{step} {s:.2f}" for step, s in steps.items())


def main() -> None:
    warnings.simplefilter("ignore")
    cfg = load_config(DATA_DIR / "kaiserslautern" / "quartier.toml")
    t0 = time.perf_counter()
    inp = read_gap_inputs(cfg.gaps, crs=cfg.city.crs,
                    max_scale_error_pct=cfg.city.max_scale_error_pct)
    read_s = time.perf_counter() - t0
    best = {"1 thread": np.inf, "2 threads": np.inf, "naive": np.inf}
    steps: dict[str, dict[str, float]] = {}
    for _ in range(RUNS):
        for name, threads in (("1 thread", 1), ("2 threads", 2)):
            timings: dict[str, float] = {}
            t0 = time.perf_counter()
            gaps = detect_gaps(inp, cfg.gaps, timings=timings, threads=threads)
            seconds = time.perf_counter() - t0
            if seconds < best[name]:
                best[name], steps[name] = seconds, timings
        t0 = time.perf_counter()
        naive_overlay(inp, cfg.gaps)
        best["naive"] = min(best["naive"], time.perf_counter() - t0)
    one, two, naive = best["1 thread"], best["2 threads"], best["naive"]
    print(f"Kaiserslautern {len(inp.buildings):,} buildings: read {read_s:.2f} s, detection "
          f"{one:.2f} s ({len(gaps)} candidates); naive geopandas overlay of the first step "
          f"alone {naive:.2f} s; ratio naive/quartier {naive / one:.1f} (best of {RUNS}, one "
          f"thread each); quartier on 2 threads (the default on this 2-core machine: gaps.threads = "
          f"cores, at most 4) {two:.2f} s, ratio {naive / two:.1f}")
    for name in ("1 thread", "2 threads"):
        print(f"  detection steps, s ({name}): {steps_line(steps[name])}")
    if "--skip-large" in sys.argv:
        return
    from distributed import Client, LocalCluster

    from quartier.analysis.gaps_scale import detect_gaps_distributed

    n = 1_500_000
    t0 = time.perf_counter()
    buildings, streets = generated_street_grid(n)
    area = shapely.box(*buildings.total_bounds).buffer(50)
    ginp = GapInputs(buildings=buildings, streets=streets, barriers=gpd.GeoSeries([], crs=25833),
                     excluded=gpd.GeoSeries([], crs=25833), area=area)
    g = GapsConfig()
    t1 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        found = detect_gaps_distributed(ginp, g, client, tile_m=4000, halo_m=400)
    t2 = time.perf_counter()
    print(f"GENERATED {len(buildings):,} buildings (grid, 6 % empty lots): generate {t1 - t0:.1f} s, "
          f"Dask LocalCluster 2 workers {t2 - t1:.1f} s, {len(found):,} candidates "
          f"({(found['gap_type'] == 'Baulücke').sum():,} Baulücken)")


if __name__ == "__main__":
    main()

"""Benchmark: hot spots (Gi*, Local Moran, 999 permutations) of 3,000,000 GENERATED 100 m cells
on a Dask LocalCluster (2 worker processes, this 2-core machine), partitioned by space with halos.

1. Acceptance sample: the 200,000-cell south-west window of the same GENERATED grid, esda's
   permutation stream: the Dask path against ``quartier.analysis.hotspots.hot_spots`` on one machine (every
   column, every bit), both timed with their permutation ids.
2. 3,000,000 GENERATED cells with the NumPy Generator permutation stream (esda's stream alone
   takes 130 s in one process at this size, see ``quartier.analysis.localstats.permutation_ids``):
   cells/s, wall time, peak memory of the client (max RSS) and of each worker (VmHWM).

Cells: ``quartier.testing.generated_cells`` (EPSG:3035, sin/cos waves + noise, holes with
island cells). Timings are noisy: other jobs share the 2 cores (the load average is printed).
Run: python benchmarks/bench_dask_flag.py [--skip-large]
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import time
import warnings

from distributed import Client, LocalCluster

from quartier.analysis.hotspots import hot_spots
from quartier.analysis.hotspots_dask import hot_spots_distributed
from quartier.analysis.localstats import permutation_ids
from quartier.testing import generated_cells

N_CELLS = 3_000_000
SAMPLE_SIDE_M = 45_200.0  # the south-west 452 × 452 cells: 200,000 after the holes
TILE_M = 20_000.0


def peak_rss_gb() -> float:
    """Peak resident memory of this process in GB (VmHWM: a spawned worker's own peak, where
    ``ru_maxrss`` would carry its parent's)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1e6


def main() -> None:
    warnings.simplefilter("ignore")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        t0 = time.perf_counter()
        cells = generated_cells(N_CELLS, seed=1)
        t1 = time.perf_counter()
        print(f"GENERATED {len(cells):,} cells of 100 m (EPSG:3035) in {t1 - t0:.1f} s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        x0, y0 = cells.total_bounds[:2]
        b = cells.bounds
        sample = cells[(b["minx"] < x0 + SAMPLE_SIDE_M) & (b["miny"] < y0 + SAMPLE_SIDE_M)]
        permutation_ids.cache_clear()
        t0 = time.perf_counter()
        ours = hot_spots_distributed(sample, "value", client, tile_m=10_000.0)
        t1 = time.perf_counter()
        permutation_ids.cache_clear()
        theirs = hot_spots(sample, "value")
        t2 = time.perf_counter()
        equal = ours.equals(theirs)
        print(f"sample {len(sample):,} GENERATED cells, esda stream: Dask {t1 - t0:.1f} s, "
              f"single machine {t2 - t1:.1f} s; equal to quartier.analysis.hotspots.hot_spots: "
              f"{'yes' if equal else 'NO'} ({(ours['hotspot'] == 'Hot Spot').sum():,} hot, "
              f"{(ours['hotspot'] == 'Cold Spot').sum():,} cold spots)")
        if not equal:
            raise SystemExit("the Dask path differs from the single machine")
        if "--skip-large" in sys.argv:
            return

        client.restart()  # fresh workers: their peak memory is that of the large run
        t0 = time.perf_counter()
        out = hot_spots_distributed(cells, "value", client, tile_m=TILE_M, stream="generator")
        wall = time.perf_counter() - t0
        workers = client.run(peak_rss_gb)
        labels = out["hotspot"].value_counts()
        print(f"{len(cells):,} GENERATED cells, {TILE_M / 1000:.0f} km tiles, Generator stream, "
              f"999 permutations: {wall:.1f} s, {len(cells) / wall:,.0f} cells/s; "
              f"{labels.get('Hot Spot', 0):,} hot, {labels.get('Cold Spot', 0):,} cold spots, "
              f"{labels.get('keine Nachbarn (Insel)', 0):,} islands")
        print(f"peak memory: client {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB, "
              f"workers {', '.join(f'{gb:.2f}' for gb in workers.values())} GB; "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

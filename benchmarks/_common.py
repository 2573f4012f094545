"""Shared helpers for the benchmark scripts (timing, generated data, labelled as generated)."""

from __future__ import annotations

import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
from shapely import box


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def generated_grid_units(n: int, cell_m: float = 120.0, seed: int = 0) -> gpd.GeoDataFrame:
    """GENERATED units for scale tests: an n-cell grid of squares over Berlin's extent (EPSG:25833)."""
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 370_000 + (i % cols) * cell_m
    y0 = 5_800_000 + (i // cols) * cell_m
    geoms = box(x0, y0, x0 + cell_m, y0 + cell_m)
    return gpd.GeoDataFrame(
        {"ID": [f"{k:08d}" for k in i], "NAME": [f"generiert {k}" for k in i],
         "pop": rng.integers(0, 20_000, n)},
        geometry=geoms, crs="EPSG:25833",
    )


def report(name: str, ours: float, plain: float, what_plain: str) -> None:
    print(f"{name:<48} quartier {ours:8.3f} s | plain {plain:8.3f} s ({what_plain}) "
          f"| ratio plain/quartier {plain / ours:5.2f}")

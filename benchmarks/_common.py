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


def generated_street_grid(n_buildings: int, seed: int = 0, block=(120.0, 28.0), street=16.0,
                          lot=15.0, gap_share=0.06):
    """GENERATED city for gap benchmarks: a grid of blocks, each with two rows of houses back
    to back (13 m deep) facing the streets, ``gap_share`` of the lots left empty.
    Returns (buildings, streets) in EPSG:25833."""
    from shapely import linestrings

    rng = np.random.default_rng(seed)
    bw, bh = block
    per_block = int(2 * (bw // lot))
    n_blocks = int(np.ceil(n_buildings / per_block))
    nx = int(np.ceil(np.sqrt(n_blocks * (bh + street) / (bw + street))))
    ny = int(np.ceil(n_blocks / nx))
    ox, oy = 300_000.0, 5_600_000.0
    i, j = np.meshgrid(np.arange(nx), np.arange(ny))
    x0 = (ox + i.ravel() * (bw + street))[:, None] + np.arange(0, bw - lot + 1, lot)[None, :]
    y0 = np.repeat((oy + j.ravel() * (bh + street))[:, None], x0.shape[1], axis=1)
    south = box(x0 + 1, y0 + 1, x0 + lot - 1, y0 + 13)
    north = box(x0 + 1, y0 + bh - 13, x0 + lot - 1, y0 + bh - 1)
    geoms = np.concatenate([south.ravel(), north.ravel()])[:n_buildings]
    geoms = geoms[rng.random(len(geoms)) > gap_share]
    buildings = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:25833")
    # one street segment per block side, split at every crossing, as OSM ways are
    xs = ox - street / 2 + np.arange(nx + 1) * (bw + street)
    ys = oy - street / 2 + np.arange(ny + 1) * (bh + street)
    gx, gy = np.meshgrid(xs[:-1], ys)
    lines = np.stack([np.c_[gx.ravel(), gy.ravel()], np.c_[gx.ravel() + bw + street, gy.ravel()]],
                     axis=1).tolist()
    gx, gy = np.meshgrid(xs, ys[:-1])
    lines += np.stack([np.c_[gx.ravel(), gy.ravel()], np.c_[gx.ravel(), gy.ravel() + bh + street]],
                      axis=1).tolist()
    streets = gpd.GeoDataFrame({"cls": ["residential"] * len(lines)}, geometry=linestrings(lines),
                               crs="EPSG:25833")
    return buildings, streets

"""Small GENERATED data with known answers, for the examples in the docstrings, the tests and
the benchmarks. Nothing here is real: every value comes from a seeded formula.

>>> from quartier.testing import tiny_city
>>> units = tiny_city()
>>> len(units), units.crs.to_epsg()
(36, 25833)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from quartier.io.gapdata import GapInputs

#: The tiny city's CRS (ETRS89 / UTM 33N) and the south-west corner of its grid, in metres.
CRS = "EPSG:25833"
ORIGIN_M = (390_000.0, 5_815_000.0)


def tiny_city(side: int = 6, *, unit_m: float = 500.0, seed: int = 7) -> gpd.GeoDataFrame:
    """GENERATED units: ``side × side`` squares of ``unit_m`` metres, burdened to the north-east.

    Columns: ``unit_id`` (``"T01"`` … row by row from the south-west), ``unit_name``
    (``"Quartier 01"`` …), ``unit_group`` (``"West"``/``"Ost"``, the halves), ``residents``,
    ``share_sgb2_pct`` and ``share_unemployed_pct`` (this year), ``share_sgb2_2y_pct`` and
    ``share_unemployed_2y_pct`` (two years earlier). With the gradient
    ``g = (column + row) / (2 (side − 1))`` in 0…1 and seeded noise ``ε ~ N(0, 1)``::

        share_sgb2_pct       = 5 + 25 g + ε        share_sgb2_2y_pct       = share_sgb2_pct − 3 g
        share_unemployed_pct = 3 + 9 g + 0.5 ε'    share_unemployed_2y_pct = share_unemployed_pct − g

    ``residents = 800 + 2,200 g`` rounded, except the south-west unit, which has 120 (fewer than
    MSS's 300: not scored). The north-east corner is therefore a hot spot of burden and of
    worsening. The CRS is :data:`CRS`, the grid's corner :data:`ORIGIN_M`.
    """
    rng = np.random.default_rng(seed)
    n = side * side
    row, col = np.divmod(np.arange(n), side)
    g = (row + col) / (2 * (side - 1))
    sgb2 = 5 + 25 * g + rng.normal(0, 1, n)
    unemployed = 3 + 9 * g + rng.normal(0, 0.5, n)
    residents = np.rint(800 + 2200 * g).astype("int64")
    residents[0] = 120
    x0, y0 = ORIGIN_M
    digits = len(str(n))
    ids = [f"T{i + 1:0{max(digits, 2)}d}" for i in range(n)]
    return gpd.GeoDataFrame(
        {"unit_id": pd.array(ids, dtype="string"),
         "unit_name": pd.array([f"Quartier {i[1:]}" for i in ids], dtype="string"),
         "unit_group": pd.array(np.where(col < side / 2, "West", "Ost"), dtype="string"),
         "residents": residents,
         "share_sgb2_pct": sgb2.round(2), "share_unemployed_pct": unemployed.round(2),
         "share_sgb2_2y_pct": (sgb2 - 3 * g).round(2),
         "share_unemployed_2y_pct": (unemployed - g).round(2)},
        geometry=shapely.box(x0 + col * unit_m, y0 + row * unit_m,
                             x0 + (col + 1) * unit_m, y0 + (row + 1) * unit_m),
        crs=CRS)


def tiny_pois(side: int = 6, *, unit_m: float = 500.0) -> gpd.GeoDataFrame:
    """GENERATED points of interest for :func:`tiny_city`: a ``kita`` at the centre of every
    second unit (row by row), a ``schule`` at the centre of every unit with an even row and
    column, one ``supermarkt`` at the city's centre. Columns ``category``, ``name``."""
    x0, y0 = ORIGIN_M
    row, col = np.divmod(np.arange(side * side), side)
    cx, cy = x0 + (col + 0.5) * unit_m, y0 + (row + 0.5) * unit_m
    kita = np.arange(side * side) % 2 == 0
    school = (row % 2 == 0) & (col % 2 == 0)
    centre = x0 + side * unit_m / 2, y0 + side * unit_m / 2
    xs = np.concatenate([cx[kita], cx[school], [centre[0]]])
    ys = np.concatenate([cy[kita], cy[school], [centre[1]]])
    category = ["kita"] * int(kita.sum()) + ["schule"] * int(school.sum()) + ["supermarkt"]
    names = [f"{c.capitalize()} {i + 1}" for i, c in enumerate(category)]
    return gpd.GeoDataFrame({"category": pd.array(category, dtype="string"),
                             "name": pd.array(names, dtype="string")},
                            geometry=shapely.points(xs, ys), crs=CRS)


def tiny_sites(side: int = 6, *, unit_m: float = 500.0) -> gpd.GeoDataFrame:
    """GENERATED candidate sites for refugee housing in :func:`tiny_city`: one at the
    south-west corner of every unit on the diagonal (``site_id`` ``"S1"`` …, 60 places each)."""
    x0, y0 = ORIGIN_M
    k = np.arange(side)
    return gpd.GeoDataFrame({"site_id": pd.array([f"S{i + 1}" for i in k], dtype="string"),
                             "capacity": np.full(side, 60, dtype="int64")},
                            geometry=shapely.points(x0 + k * unit_m + 50, y0 + k * unit_m + 50),
                            crs=CRS)


def tiny_blocks(n: int = 3) -> GapInputs:
    """GENERATED gap-detection input: ``n × n`` blocks of 100 × 60 m between residential
    streets, each with five houses along its north side, a 20 m gap between the third and the
    fourth house (the one true gap of the block) and a park in its south half (excluded land)."""
    xs, ys = np.arange(n + 1) * 100.0, np.arange(n + 1) * 60.0
    lines = ([LineString([(x, 0), (x, ys[-1])]) for x in xs]
             + [LineString([(0, y), (xs[-1], y)]) for y in ys])
    streets = gpd.GeoDataFrame({"cls": ["residential"] * len(lines)}, geometry=lines, crs=CRS)
    houses = [shapely.box(x0 + x, y0 + 35, x0 + x + 12, y0 + 52)
              for x0 in xs[:-1] for y0 in ys[:-1] for x in (8, 20, 32, 64, 76)]
    parks = gpd.GeoSeries([shapely.box(x0, y0, x0 + 100, y0 + 30)
                           for x0 in xs[:-1] for y0 in ys[:-1]], crs=CRS)
    return GapInputs(buildings=gpd.GeoDataFrame(geometry=houses, crs=CRS), streets=streets,
                     barriers=gpd.GeoSeries([], crs=CRS), excluded=parks,
                     area=shapely.box(-20, -20, xs[-1] + 20, ys[-1] + 20))


def generated_cells(n: int, seed: int = 0, cell_m: float = 100.0) -> gpd.GeoDataFrame:
    """GENERATED test data: ``n`` square cells of ``cell_m`` metres in EPSG:3035 with a
    spatially smooth ``value`` and holes with islands, for tests and benchmarks at any scale.

    A square grid (row by row from the south-west corner at x 4,000 km, y 2,800 km, the first
    ``n`` cells kept, so the last row is ragged) with, in about half of the 4 × 4 km blocks, a
    round hole of 1.5 to 5 cells' radius whose centre cell is kept: an island without queen
    neighbours. ``value = sin(x / 7 km) + cos(y / 5 km) + 0.5 sin((x + y) / 2.3 km) + ε``,
    ``ε ~ N(0, 0.6²)`` (x, y in metres from the corner), seeded: clusters of a few kilometres.
    """
    rng = np.random.default_rng(seed)
    block = 40  # cells per hole block side
    side = int(np.ceil(np.sqrt(n / 0.97))) + 2  # holes take about 2 % of the cells
    blocks = -(-side // block)
    centre = rng.integers(block // 8, block - block // 8, size=(blocks, blocks, 2))
    radius = np.where(rng.random((blocks, blocks)) < 0.5, rng.uniform(1.5, 5.0, (blocks, blocks)), 0.0)
    iy, ix = np.divmod(np.arange(side * side), side)
    bx, by = ix // block, iy // block
    dist = np.hypot(ix - bx * block - centre[by, bx, 0], iy - by * block - centre[by, bx, 1])
    keep = np.flatnonzero((dist == 0) | (dist > radius[by, bx]))[:n]
    if len(keep) < n:
        raise ValueError(f"generated_cells: grid too small for {n} cells")
    x, y = ix[keep] * cell_m, iy[keep] * cell_m
    value = (np.sin(x / 7000) + np.cos(y / 5000) + 0.5 * np.sin((x + y) / 2300)
             + rng.normal(0, 0.6, n))
    x0, y0 = 4_000_000.0, 2_800_000.0
    return gpd.GeoDataFrame({"cell_id": keep, "value": value},
                            geometry=shapely.box(x0 + x, y0 + y, x0 + x + cell_m, y0 + y + cell_m),
                            crs="EPSG:3035")

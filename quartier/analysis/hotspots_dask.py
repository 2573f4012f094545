"""Hot spots (Gi*, Local Moran) of millions of grid cells on a Dask distributed cluster.

The same labels and numbers as :func:`quartier.analysis.hotspots.hot_spots` on one machine, bit for bit, for
areas too large for it (a 100 m grid of a federal state has millions of cells):

1. **Tiles.** Every unit belongs to the square core tile of ``tile_m`` metres that holds the
   centre of its bounding box. A tile's task gets its core units plus a halo: every unit whose
   bounding box meets the bounding box of the core units. Queen neighbours share a point, so
   the halo holds every neighbour of the core, for units of any shape and size.
2. **Graph (pass 1).** Each task builds the queen contiguity of its core units against core and
   halo (shapely STRtree ``intersects``, as :func:`quartier.analysis.graph.queen_adjacency`), with the
   units' global positions as columns, and keeps it in worker memory; only the neighbour counts
   go back.
3. **Whole-data quantities**, once on the client and broadcast to every worker: which units are
   islands (no neighbour; not tested, as on one machine), ``z = (y − ȳ) / s`` and
   ``(n − 1) / Σ z²`` for Local Moran, the shifted ``y`` of :func:`quartier.analysis.hotspots.gi_input`
   with ``Σ y`` and ``σ²_y`` for Gi*, and the ``(permutations, max k)`` permutation-id table:
   conditional randomisation draws a unit's random neighbours from all ``n − 1`` other units of
   the whole area, so every worker needs the whole value vector (8 bytes per unit).
4. **Statistics (pass 2).** Each task computes both statistics, their pseudo p-values
   (:func:`quartier.analysis.localstats.local_moran_rows`,
   :func:`~quartier.analysis.localstats.getis_ord_star_rows`,
   bounded memory per block) and Local Moran's analytic p-value for its core units.
5. **Labels** on the client from the gathered values with the single-machine functions
   (:func:`quartier.analysis.hotspots.getis_ord_z`, :func:`~quartier.analysis.hotspots.p_basis`,
   :func:`~quartier.analysis.hotspots.hotspot_labels`): the FDR cut is global, as on one machine.

Memory: the client holds the units and one value vector per statistic; a worker holds the
broadcast vectors (2 × 8 bytes per unit), the graphs of its tiles (12 bytes per link) and
one tile's blocks of ``chunk_values`` simulated values — never ``n × permutations``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from quartier.analysis.hotspots import gi_input, lisa_p_norm, spot_columns
from quartier.analysis.localstats import (
    CHUNK_VALUES,
    getis_ord_star_rows,
    gi_moments,
    local_moran_rows,
    moran_input,
    permutation_ids,
)
from quartier.errors import InputDataError
from quartier.vocab import HotSpot

#: Columns of :func:`hot_spots_distributed`, as :func:`quartier.analysis.hotspots.hot_spots`.
HOT_SPOT_COLUMNS = ["hotspot", "lisa", "gi_z", "gi_p", "lisa_i", "lisa_p", "gi_p_sim", "lisa_p_sim",
                    "gi_p_norm", "lisa_p_norm", "n_neighbours", "p_basis"]


@dataclass(frozen=True)
class _Shared:
    """Whole-data quantities every tile needs (broadcast once to every worker)."""

    islands: np.ndarray     # sorted positions (among valid units) without a neighbour
    z: np.ndarray           # Local Moran: standardised values of the n tested units
    scaling: float
    m2: float               # Σ z² / n, as quartier.analysis.hotspots.lisa_p_norm
    gi: np.ndarray          # Gi*: positive values of the n tested units
    total: float
    variance: float
    ids: np.ndarray         # permutation ids for n units


def tile_windows(bounds: np.ndarray, tile_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Core tiles of units: ``(order, starts, windows)``.

    ``order`` sorts the units by tile (ascending position within a tile), ``starts`` are the
    offsets of the tiles in ``order``, ``windows`` the bounding boxes of each tile's core units
    (``(tiles, 4)``, minx, miny, maxx, maxy in the units' CRS). A unit belongs to the tile of
    ``tile_m`` metres holding the centre of its bounding box ``bounds`` (``(n, 4)``)."""
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    tx = np.floor((cx - cx.min()) / tile_m).astype(np.int64)
    ty = np.floor((cy - cy.min()) / tile_m).astype(np.int64)
    key = ty * (tx.max() + 1) + tx
    order = np.argsort(key, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
    b = bounds[order]
    windows = np.column_stack([np.minimum.reduceat(b[:, :2], starts), np.maximum.reduceat(b[:, 2:], starts)])
    return order, starts, windows


class _TilePayload(TypedDict):
    """What a worker needs to build a tile's queen rows."""

    core: np.ndarray     # positions of the tile's own units
    window: np.ndarray   # positions of every unit whose box meets the tile (sorted)
    n: int               # units in all
    wkb: np.ndarray      # the window's geometries as WKB


def _tile_graph(payload: _TilePayload) -> tuple[np.ndarray, sp.csr_matrix]:
    """Queen rows of a tile's core units against all ``n`` valid units (global columns)."""
    core, window = payload["core"], payload["window"]
    geoms = shapely.from_wkb(payload["wkb"])
    i, j = shapely.STRtree(geoms).query(geoms[np.searchsorted(window, core)], predicate="intersects")
    cols = window[j]
    other = cols != core[i]
    rows = sp.csr_matrix((np.ones(int(other.sum())), (i[other], cols[other])),
                         shape=(len(core), payload["n"]))
    rows.sort_indices()  # the lag sums neighbours in the order of their positions, as on one machine
    return core, rows


def _cardinality(graph: tuple[np.ndarray, sp.csr_matrix]) -> tuple[np.ndarray, np.ndarray]:
    core, rows = graph
    return core, np.diff(rows.indptr)


def _tile_stats(graph: tuple[np.ndarray, sp.csr_matrix], shared: _Shared, chunk_values: int
                ) -> tuple[np.ndarray, ...]:
    """Local Moran and Gi* of a tile's core units that have neighbours, at their positions
    among the tested (non-island) units."""
    core, rows = graph
    tested = np.diff(rows.indptr) > 0
    rows = rows[tested]
    # islands leave the numbering: a unit moves down by the islands before it (order kept)
    rows = sp.csr_matrix((rows.data, rows.indices - np.searchsorted(shared.islands, rows.indices),
                          rows.indptr), shape=(rows.shape[0], len(shared.z)))
    positions = core[tested] - np.searchsorted(shared.islands, core[tested])
    lisa = local_moran_rows(shared.z, shared.scaling, rows, positions, shared.ids, chunk_values)
    gi = getis_ord_star_rows(shared.gi, shared.total, shared.variance, rows, positions, shared.ids,
                             chunk_values)
    return (positions, lisa.stat, lisa.p_sim, lisa.extra,
            lisa_p_norm(shared.z, rows, positions, shared.m2), gi.extra, gi.p_sim)


def _queen_graph(client, geoms: np.ndarray, tile_m: float) -> tuple[list, np.ndarray]:
    """Pass 1: the futures of the tiles' queen rows (kept on the workers) and the number of
    neighbours of every unit."""
    card = np.zeros(len(geoms), dtype=np.int64)
    bounds = shapely.bounds(geoms)
    # missing or empty geometries belong to no tile: islands, as on one machine
    placed = np.flatnonzero(np.isfinite(bounds).all(axis=1))
    if not len(placed):
        return [], card
    order, starts, windows = tile_windows(bounds[placed], tile_m)
    order = placed[order]
    tile, member = shapely.STRtree(geoms).query(shapely.box(*windows.T))  # bounding boxes meet
    by_tile = np.argsort(tile, kind="stable")
    tile, member = tile[by_tile], member[by_tile]
    cuts = np.searchsorted(tile, np.arange(1, len(starts)))
    payloads: list[_TilePayload] = []
    for core, window in zip(np.split(order, starts[1:]), np.split(member, cuts), strict=True):
        window = np.sort(window)
        payloads.append({"core": core, "window": window, "n": len(geoms),
                         "wkb": shapely.to_wkb(geoms[window])})
    graphs = client.map(_tile_graph, client.scatter(payloads))
    for core, k in client.gather(client.map(_cardinality, graphs)):
        card[core] = k
    return graphs, card


def hot_spots_distributed(
    cells: gpd.GeoDataFrame, column: str, client, tile_m: float = 10_000.0, *,
    valid: pd.Series | None = None, permutations: int = 999, fdr: float = 0.05, seed: int = 42,
    p_mode: str = "auto", stream: str = "esda", chunk_values: int = CHUNK_VALUES,
) -> pd.DataFrame:
    """:func:`quartier.analysis.hotspots.hot_spots` on a Dask cluster, partitioned by space (module docstring).

    Local Moran's I (row-standardised queen weights) and Getis-Ord Gi* (self included) of
    ``column``; pseudo p-values by conditional randomisation (``permutations`` draws of each
    unit's ``k`` neighbours from the other ``n − 1`` tested units); analytic p-values (Gi*: the
    normal tail of the Getis-Ord z; Moran: the moments under conditional randomisation); the
    labels from the p-values of :func:`quartier.analysis.hotspots.p_basis` after the false-discovery-rate cut
    at ``fdr`` over all tested units: "Hot Spot" / "Cold Spot" by the sign of Gi*'s z, the LISA
    quadrant. Valid units without a queen neighbour are islands ("keine Nachbarn (Insel)"), not
    tested; the other units are tested in the order of ``cells``.

    Parameters
    ----------
    cells
        Units in a metric CRS (for ``tile_m``), polygons of any shape; the queen graph is built
        from their geometries, as on one machine.
    column
        The variable; must be finite for the valid units.
    client
        A ``distributed.Client`` (a ``LocalCluster`` in tests and benchmarks).
    tile_m
        Side of the square core tiles, metres: one task per tile and pass. 10 km tiles of 100 m
        cells are 10,000 cells per task.
    valid
        Units to test (boolean Series on ``cells.index``); default all. Others are
        "nicht bewertet".
    permutations, fdr, seed, p_mode
        As :func:`quartier.analysis.hotspots.hot_spots`.
    stream
        Permutation ids (:func:`quartier.analysis.localstats.permutation_ids`): ``"esda"`` (default,
        esda's numbers: equal to :func:`quartier.analysis.hotspots.hot_spots`; 130 s on the client for
        3 million units, in one process) or ``"generator"`` (10 ms; equal to the single-machine
        :func:`~quartier.analysis.localstats.local_moran` / :func:`~quartier.analysis.localstats.getis_ord_star`
        with the same stream).
    chunk_values
        Units × permutations per block in the workers (memory).

    Returns
    -------
    pandas.DataFrame
        :data:`HOT_SPOT_COLUMNS` on ``cells.index``, equal to :func:`quartier.analysis.hotspots.hot_spots`
        with ``stream="esda"``.
    """
    mask = np.ones(len(cells), dtype=bool) if valid is None else valid.to_numpy(dtype=bool)
    rows = np.flatnonzero(mask)
    y = cells[column].to_numpy(dtype="float64")[rows]
    if not np.isfinite(y).all():
        raise InputDataError(f"hot spots: {column!r} has missing values among valid units")
    out = {"hotspot": np.full(len(cells), HotSpot.NOT_SCORED.value, dtype=object),
           "lisa": np.full(len(cells), "", dtype=object),
           **{c: np.full(len(cells), np.nan) for c in HOT_SPOT_COLUMNS[2:10]},
           "n_neighbours": np.zeros(len(cells), dtype=np.int64),
           "p_basis": np.full(len(cells), "", dtype=object)}

    graphs, card = _queen_graph(client, np.asarray(cells.geometry.values)[rows], tile_m)
    out["n_neighbours"][rows] = card
    if (card > 0).sum() < 3:
        out["hotspot"][rows] = "keine Nachbarn"
        return pd.DataFrame(out, index=cells.index)
    islands = np.flatnonzero(card == 0)
    out["hotspot"][rows[islands]] = "keine Nachbarn (Insel)"
    tested = rows[card > 0]

    # whole-data quantities, once, to every worker
    z, scaling = moran_input(y[card > 0])
    g = gi_input(y[card > 0])
    total, variance = gi_moments(g)
    ids = permutation_ids(int(card.max()), len(z), permutations, seed, stream)
    shared = client.scatter(_Shared(islands=islands, z=z, scaling=scaling, m2=(z * z).sum() / len(z),
                                    gi=g, total=total, variance=variance, ids=ids), broadcast=True)

    # pass 2: the statistics of each tile's core units
    names = ["lisa_i", "lisa_p_sim", "quadrant", "lisa_p_norm", "gi_esda_z", "gi_p_sim"]
    stats = {name: np.empty(len(z)) for name in names}
    stats["quadrant"] = np.empty(len(z), dtype=np.int64)
    stats["lisa_p_sim"] = np.empty(len(z), dtype=np.float32)  # esda's dtype: the same FDR cut
    stats["gi_p_sim"] = np.empty(len(z), dtype=np.float32)
    for pos, *values in client.gather(client.map(_tile_stats, graphs, shared=shared,
                                                 chunk_values=chunk_values)):
        for name, value in zip(names, values, strict=True):
            stats[name][pos] = value

    # labels, as quartier.analysis.hotspots.hot_spots
    spots = spot_columns(stats["gi_esda_z"], stats["gi_p_sim"], g, card[card > 0],
                         stats["lisa_i"], stats["lisa_p_sim"], stats["quadrant"],
                         stats["lisa_p_norm"], permutations, p_mode, fdr)
    for name, value in spots.items():
        out[name][tested] = value
    return pd.DataFrame(out, index=cells.index)

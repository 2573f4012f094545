"""Local Moran's I and Getis-Ord Gi* with conditional randomisation, vectorised and chunked.

The same statistics, permutation scheme and pseudo p-values as esda's ``Moran_Local`` and
``G_Local(star=True)`` (esda ≥ 2.5 without numba), so that the same seed gives the same p-values,
but computed with NumPy over blocks of units instead of a Python loop per unit: for every unit
``i`` with ``k_i`` neighbours, permutation ``p`` draws the values at ``ids[p, :k_i]`` of the other
``n − 1`` units (one ``(permutations, max k)`` table of ids shared by all units, as esda does).
Memory is bounded by ``chunk_values`` (never an ``n × permutations`` matrix), see
:func:`conditional_p` for how the draws of a block are summed without gathering them.
``local_moran_rows`` / ``getis_ord_star_rows`` compute any subset of the units from whole-data
quantities (:func:`moran_input`, :func:`gi_moments`, the ids) with the same bits as the whole, so
that the units can be split over the workers of a cluster (:mod:`quartier.distflag`). The
permutation ids are esda's stream by default, or a fast ``Generator`` stream for millions of
units (:func:`permutation_ids`).

Formulas (``W`` binary contiguity, ``k_i`` neighbours of ``i``):

* Local Moran: ``z = (y − ȳ) / s`` (population s), ``I_i = (n − 1) z_i Σ_j (w_ij / k_i) z_j / Σ z²``;
  simulated ``I_i^p = z_i Σ_{m ≤ k_i} z_{ids[p, m]} / k_i · (n − 1) / Σ z²``.
* Gi*: with self-weight, ``G*_i = Σ_{j ∈ N(i) ∪ {i}} y_j / ((k_i + 1) Σ y)``; analytic
  ``z = (G*_i − 1/n) / √(σ²_y / (n² ȳ²))`` (σ² with ddof 0); simulated ``(Σ_{m ≤ k_i} y_{ids[p, m]}
  + y_i) / ((k_i + 1) Σ y)``. ``y`` must be positive (see :func:`quartier.analysis.hotspots.gi_input`).
* Pseudo p-value (esda's "directed"): ``larger = #{p: sim ≥ observed}``, folded to the smaller tail,
  ``p = (larger + 1) / (permutations + 1)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: Simulated values per block (units × permutations), 8 bytes each, three arrays of it at once:
#: 2 MB arrays; larger blocks were no faster on 211,600 units (and 16× the memory).
CHUNK_VALUES = 1 << 18


@dataclass
class LocalResult:
    """Per unit: the statistic, its pseudo p-value, and (Moran) the quadrant / (Gi*) the z-value."""

    stat: np.ndarray
    p_sim: np.ndarray
    extra: np.ndarray


#: Permutation streams of :func:`permutation_ids`.
STREAMS = ("esda", "generator")


@functools.lru_cache(maxsize=2)
def permutation_ids(max_k: int, n: int, permutations: int, seed: int, stream: str = "esda"
                    ) -> np.ndarray:
    """``(permutations, max_k)`` ids drawn without replacement from ``0 … n − 2``, one row per
    permutation, without touching NumPy's global state.

    ``stream="esda"`` (default) is esda's ``vec_permutations``: the legacy ``RandomState`` stream
    of the seed, where each draw shuffles all ``n − 1`` ids — 6.7 s for 211,600 units and 130 s
    for 3 million (999 permutations, measured here), in one process. ``stream="generator"`` draws
    each row with NumPy's ``Generator`` (PCG64, Floyd's sampling of ``max_k`` ids): the same
    distribution in 10 ms at any ``n``, but not esda's numbers, so p-values differ from esda's
    by the Monte Carlo error. The table is kept for the next statistic on the same units
    (read-only)."""
    if stream == "esda":
        rs = np.random.RandomState(seed)
        draw = functools.partial(rs.choice, n - 1, size=max_k, replace=False)
    elif stream == "generator":
        rng = np.random.default_rng(seed)
        draw = functools.partial(rng.choice, n - 1, size=max_k, replace=False)
    else:
        raise ValueError(f"permutation stream {stream!r}: one of {STREAMS}")
    ids = (np.vstack([draw() for _ in range(permutations)]) if permutations
           else np.empty((0, max_k), dtype=np.int64))
    ids.setflags(write=False)
    return ids


def _csr(adjacency: sp.spmatrix) -> sp.csr_matrix:
    """Binary, without the diagonal, columns sorted: a row's lag then sums its neighbours in
    the order of their positions, the same floating-point sum in any subset of rows."""
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    a.setdiag(0)
    a.eliminate_zeros()
    a.data[:] = 1.0
    a.sort_indices()
    return a


def _cardinality(rows: sp.csr_matrix, name: str) -> np.ndarray:
    k = np.diff(rows.indptr)
    if (k == 0).any():
        raise ValueError(f"{name}: units without neighbours; drop the islands first")
    return k


def conditional_p(values: np.ndarray, observed: np.ndarray, cardinality: np.ndarray,
                  ids: np.ndarray, simulate, chunk_values: int = CHUNK_VALUES,
                  positions: np.ndarray | None = None) -> np.ndarray:
    """Pseudo p-values by conditional randomisation, for all units or a subset.

    The unit at position ``i`` draws from the others: id ``j`` means ``values[j]`` if ``j < i``,
    else ``values[j + 1]``. With ``k`` neighbours, permutation ``p`` therefore draws the same
    values for every unit that lies above the same number ``c`` of its ids ``ids[p, :k]``
    (``0 ≤ c ≤ k``): the ``c`` smallest ids unshifted, the others shifted. The ``k + 1`` possible
    sums per permutation are built once per cardinality (a cumulative sum over the sorted ids),
    and each unit picks its own by ``c``, counted for a block of units with one integer scatter
    and cumulative sum: ``O(units × permutations)`` instead of ``O(units × permutations × k)``
    gathers. A unit's draws depend only on its position, never on the block or on which other
    units are computed with it, so a subset (``positions``) gets bit-for-bit the p-values of the
    whole; sums differ from esda's direct sum only in the last bits of the floating-point result.

    Parameters
    ----------
    values
        The variable the random neighbours are drawn from, of all ``n`` units (n,).
    observed
        The observed statistic of the units computed (m,).
    cardinality
        Neighbours of the units computed (m,), ≥ 1.
    ids
        :func:`permutation_ids` for ``n`` units.
    simulate
        ``simulate(units, draws)`` turns ``draws``, the means of the random neighbours'
        values of a block of units (indices into ``observed``), ``(permutations, len(units))``,
        into their simulated statistics, in place.
    chunk_values
        Units × permutations per block (memory, 8 bytes each, a few arrays at once).
    positions
        The positions of the computed units in ``values`` (m,); default all, ``0 … n − 1``.

    Returns
    -------
    numpy.ndarray
        ``(m,)`` float32 (as esda: the same FDR cut-offs), ``(larger + 1) / (permutations + 1)``.
    """
    positions = np.arange(len(values)) if positions is None else np.asarray(positions)
    permutations = ids.shape[0]
    p = np.empty(len(observed), dtype=np.float32)
    step = max(1, min(chunk_values // max(permutations, 1), len(observed)))
    # one set of block buffers per call: Dask's worker processes return freed memory to the
    # system at once (MALLOC_TRIM_THRESHOLD_), so new arrays per block cost page faults: 25 s
    # instead of 4.6 s of worker time for 200,000 units (measured)
    count_buffer = np.empty(permutations * step, dtype=np.intp)
    sim_buffer = np.empty(permutations * step)
    hit_buffer = np.empty(permutations * step, dtype=bool)
    for k in np.unique(cardinality):
        units = np.flatnonzero(cardinality == k)
        units = units[np.argsort(positions[units], kind="stable")]  # ascending position
        ids_k = np.sort(ids[:, :k], axis=1)
        # means[p, c]: mean of permutation p's draws for a unit above exactly c of its ids
        steps = values[ids_k] - values[ids_k + 1]
        means = np.cumsum(np.column_stack([values[ids_k + 1].sum(axis=1), steps]), axis=1) / k
        row = np.arange(permutations)[:, None] * (k + 1)  # flat offset of means[p, 0]
        # units[rank:] lie above id ids_k[p, m]
        rank = np.searchsorted(positions[units], ids_k, side="right")
        for j0 in range(0, len(units), step):
            j1 = min(j0 + step, len(units))
            # (permutations, units) layout: the cumulative sum runs along contiguous memory
            shape = (permutations, j1 - j0)
            above = count_buffer[:permutations * (j1 - j0)].reshape(shape)
            above.fill(0)
            pp, mm = np.nonzero((rank > j0) & (rank < j1))
            np.add.at(above, (pp, rank[pp, mm] - j0), 1)
            np.cumsum(above, axis=1, out=above)
            above += (rank <= j0).sum(axis=1)[:, None] + row
            u = units[j0:j1]
            sims = sim_buffer[:above.size].reshape(shape)
            means.take(above, out=sims, mode="clip")  # indices are in range: no checked copy
            simulate(u, sims)
            hits = hit_buffer[:above.size].reshape(shape)
            larger = np.count_nonzero(np.greater_equal(sims, observed[u], out=hits), axis=0)
            larger = np.where(permutations - larger < larger, permutations - larger, larger)
            p[u] = (larger + 1.0) / (permutations + 1.0)
    return p


def moran_input(y: np.ndarray) -> tuple[np.ndarray, float]:
    """``z = (y − ȳ) / s`` (population s) and the scaling ``(n − 1) / Σ z²`` of all units."""
    y = np.asarray(y, dtype=np.float64)
    z = (y - y.mean()) / y.std()
    return z, (len(y) - 1) / (z * z).sum()


def gi_moments(y: np.ndarray) -> tuple[float, float]:
    """``Σ y`` and the variance ``σ²_y`` (ddof 0, ``Σ y² / n − ȳ²``) of all units, for Gi*."""
    y = np.asarray(y, dtype=np.float64)
    total = y.sum()
    return total, (y ** 2).sum() / len(y) - (total / len(y)) ** 2


def local_moran_rows(z: np.ndarray, scaling: float, rows: sp.csr_matrix, positions: np.ndarray,
                     ids: np.ndarray, chunk_values: int = CHUNK_VALUES) -> LocalResult:
    """Local Moran's I of the units at ``positions`` only, from the whole-data ``z`` and
    ``scaling`` (:func:`moran_input`).

    ``rows`` is their binary contiguity against all ``n`` units (``len(positions) × n`` CSR, no
    self links, columns sorted, as :func:`local_moran` makes it); ``ids`` is
    :func:`permutation_ids` for ``n`` units (no rows: no p-values). The results equal those of
    :func:`local_moran` on all units at these positions, bit for bit: a part of the units can be
    computed on each worker of a cluster.
    """
    k = _cardinality(rows, "local_moran")
    zi = z[positions]
    lag = (rows @ z) / k
    stat = scaling * zi * lag
    quad = np.select([(zi > 0) & (lag > 0), (zi < 0) & (lag > 0), (zi < 0) & (lag < 0)],
                     [1, 2, 3], 4)
    p = np.full(len(zi), np.nan)
    if ids.shape[0]:
        def simulate(u: np.ndarray, draws: np.ndarray) -> None:  # z_i · mean · scaling
            np.multiply(draws, zi[u], out=draws)
            np.multiply(draws, scaling, out=draws)

        p = conditional_p(z, stat, k, ids, simulate, chunk_values, positions)
    return LocalResult(stat=stat, p_sim=p, extra=quad)


def getis_ord_star_rows(y: np.ndarray, total: float, variance: float, rows: sp.csr_matrix,
                        positions: np.ndarray, ids: np.ndarray, chunk_values: int = CHUNK_VALUES
                        ) -> LocalResult:
    """Gi* of the units at ``positions`` only, from the whole-data positive ``y`` and its
    :func:`gi_moments`; ``rows`` and ``ids`` as in :func:`local_moran_rows`. Equals
    :func:`getis_ord_star` on all units at these positions, bit for bit."""
    k = _cardinality(rows, "getis_ord_star")
    n = len(y)
    yi = y[positions]
    stat = (rows @ y + yi) / (k + 1) / total
    mean = total / n
    z = (stat - 1.0 / n) / np.sqrt(variance / (n ** 2 * mean ** 2))
    p = np.full(len(yi), np.nan)
    if ids.shape[0]:
        def simulate(u: np.ndarray, draws: np.ndarray) -> None:  # (mean · k + y_i) / (k + 1) / Σy
            np.multiply(draws, k[u], out=draws)
            np.add(draws, yi[u], out=draws)
            np.divide(draws, k[u] + 1, out=draws)
            np.divide(draws, total, out=draws)

        p = conditional_p(y, stat, k, ids, simulate, chunk_values, positions)
    return LocalResult(stat=stat, p_sim=p, extra=z)


def local_moran(y: np.ndarray, adjacency: sp.spmatrix, permutations: int = 999, seed: int = 42,
                chunk_values: int = CHUNK_VALUES, stream: str = "esda") -> LocalResult:
    """Local Moran's I (row-standardised weights), pseudo p-values and quadrants
    (1 HH, 2 LH, 3 LL, 4 HL, as esda). Every unit needs a neighbour. ``stream``: see
    :func:`permutation_ids` (``"esda"``: esda's p-values for the same seed)."""
    a = _csr(adjacency)
    k = _cardinality(a, "local_moran")
    z, scaling = moran_input(y)
    ids = permutation_ids(int(k.max()), len(z), permutations, seed, stream)
    return local_moran_rows(z, scaling, a, np.arange(len(z)), ids, chunk_values)


def getis_ord_star(y: np.ndarray, adjacency: sp.spmatrix, permutations: int = 999, seed: int = 42,
                   chunk_values: int = CHUNK_VALUES, stream: str = "esda") -> LocalResult:
    """Getis-Ord Gi* (self included, row-standardised), analytic z (``extra``) and pseudo p-values.
    ``y`` must be positive. Every unit needs a neighbour. ``stream``: see :func:`permutation_ids`."""
    a = _csr(adjacency)
    k = _cardinality(a, "getis_ord_star")
    y = np.asarray(y, dtype=np.float64)
    if (y <= 0).any():
        raise ValueError("getis_ord_star: y must be positive (see quartier.analysis.hotspots.gi_input)")
    total, variance = gi_moments(y)
    ids = permutation_ids(int(k.max()), len(y), permutations, seed, stream)
    return getis_ord_star_rows(y, total, variance, a, np.arange(len(y)), ids, chunk_values)

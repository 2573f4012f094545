"""Local Moran's I and Getis-Ord Gi* with conditional randomisation, vectorised and chunked.

The same statistics, permutation scheme and pseudo p-values as esda's ``Moran_Local`` and
``G_Local(star=True)`` (esda ≥ 2.5 without numba), so that the same seed gives the same p-values,
but computed with NumPy over blocks of units instead of a Python loop per unit: for every unit
``i`` with ``k_i`` neighbours, permutation ``p`` draws the values at ``ids[p, :k_i]`` of the other
``n − 1`` units (one ``(permutations, max k)`` table of ids shared by all units, as esda does).
Memory is bounded by ``chunk_values`` (never an ``n × permutations`` matrix), see
:func:`conditional_p` for how the draws of a block are summed without gathering them.

Formulas (``W`` binary contiguity, ``k_i`` neighbours of ``i``):

* Local Moran: ``z = (y − ȳ) / s`` (population s), ``I_i = (n − 1) z_i Σ_j (w_ij / k_i) z_j / Σ z²``;
  simulated ``I_i^p = z_i Σ_{m ≤ k_i} z_{ids[p, m]} / k_i · (n − 1) / Σ z²``.
* Gi*: with self-weight, ``G*_i = Σ_{j ∈ N(i) ∪ {i}} y_j / ((k_i + 1) Σ y)``; analytic
  ``z = (G*_i − 1/n) / √(σ²_y / (n² ȳ²))`` (σ² with ddof 0); simulated ``(Σ_{m ≤ k_i} y_{ids[p, m]}
  + y_i) / ((k_i + 1) Σ y)``. ``y`` must be positive (see :func:`quartier.flag.gi_input`).
* Pseudo p-value (esda's "directed"): ``larger = #{p: sim ≥ observed}``, folded to the smaller tail,
  ``p = (larger + 1) / (permutations + 1)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: Simulated values per block (units × permutations), 8 bytes each, a few arrays of it at once.
CHUNK_VALUES = 1 << 22


@dataclass
class LocalResult:
    """Per unit: the statistic, its pseudo p-value, and (Moran) the quadrant / (Gi*) the z-value."""

    stat: np.ndarray
    p_sim: np.ndarray
    extra: np.ndarray


@functools.lru_cache(maxsize=2)
def permutation_ids(max_k: int, n: int, permutations: int, seed: int) -> np.ndarray:
    """``(permutations, max_k)`` ids drawn without replacement from ``0 … n − 2``: esda's
    ``vec_permutations`` (legacy NumPy stream of the seed), without touching the global state.

    Each draw shuffles all ``n − 1`` ids (that is the stream esda uses): 6.7 s for 211,600 units and
    999 permutations, so the table is kept for the next statistic on the same units (read-only)."""
    rs = np.random.RandomState(seed)
    ids = (np.vstack([rs.choice(n - 1, size=max_k, replace=False) for _ in range(permutations)])
           if permutations else np.empty((0, max_k), dtype=np.int64))
    ids.setflags(write=False)
    return ids


def _csr(adjacency: sp.spmatrix) -> sp.csr_matrix:
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    a.setdiag(0)
    a.eliminate_zeros()
    a.data[:] = 1.0
    return a


def conditional_p(values: np.ndarray, observed: np.ndarray, cardinality: np.ndarray,
                  ids: np.ndarray, simulate, chunk_values: int = CHUNK_VALUES) -> np.ndarray:
    """Pseudo p-values by conditional randomisation.

    Unit ``i`` draws from the others: id ``j`` means ``values[j]`` if ``j < i``, else
    ``values[j + 1]``. So the sum of a permutation's draws is the same for every unit up to a
    step function of ``i`` with ``k`` steps; it is built for a block of units with one scatter and
    one cumulative sum, ``O(units × permutations)`` instead of ``O(units × permutations × k)``
    gathers. Sums differ from a direct sum only in the last bits of the floating-point result.

    Parameters
    ----------
    values
        The variable the random neighbours are drawn from (n,).
    observed
        The observed statistic per unit (n,).
    cardinality
        Neighbours per unit (n,), ≥ 1.
    ids
        :func:`permutation_ids`.
    simulate
        ``simulate(units, mean_of_draws) -> simulated statistics`` for a block of units;
        ``mean_of_draws`` is ``(len(units), permutations)``.
    """
    n = len(values)
    permutations = ids.shape[0]
    p = np.empty(n, dtype=np.float32)  # esda keeps p-values as float32: same FDR cut-offs
    step = max(1, chunk_values // max(permutations, 1))
    for k in np.unique(cardinality):
        units = np.flatnonzero(cardinality == k)  # ascending
        ids_k = ids[:, :k]
        base = values[ids_k + 1].sum(axis=1)        # the draws of a unit below every id
        change = values[ids_k] - values[ids_k + 1]  # added once the unit is above the id
        # units[rank:] lie above id ids_k[p, m]
        rank = np.searchsorted(units, ids_k, side="right")
        for j0 in range(0, len(units), step):
            j1 = min(j0 + step, len(units))
            start = np.where(rank <= j0, change, 0.0).sum(axis=1)
            delta = np.zeros((j1 - j0, permutations))
            pp, mm = np.nonzero((rank > j0) & (rank < j1))
            np.add.at(delta, (rank[pp, mm] - j0, pp), change[pp, mm])
            sums = np.cumsum(delta, axis=0) + (base + start)
            u = units[j0:j1]
            sims = simulate(u, sums / k)
            larger = (sims >= observed[u, None]).sum(axis=1)
            larger = np.where(permutations - larger < larger, permutations - larger, larger)
            p[u] = (larger + 1.0) / (permutations + 1.0)
    return p


def local_moran(y: np.ndarray, adjacency: sp.spmatrix, permutations: int = 999, seed: int = 42,
                chunk_values: int = CHUNK_VALUES) -> LocalResult:
    """Local Moran's I (row-standardised weights), pseudo p-values and quadrants
    (1 HH, 2 LH, 3 LL, 4 HL, as esda). Every unit needs a neighbour."""
    a = _csr(adjacency)
    k = np.diff(a.indptr)
    if (k == 0).any():
        raise ValueError("local_moran: units without neighbours; drop the islands first")
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    z = (y - y.mean()) / y.std()
    scaling = (n - 1) / (z * z).sum()
    lag = (a @ z) / k
    stat = scaling * z * lag
    quad = np.select([(z > 0) & (lag > 0), (z < 0) & (lag > 0), (z < 0) & (lag < 0)], [1, 2, 3], 4)
    p = np.full(n, np.nan)
    if permutations:
        ids = permutation_ids(int(k.max()), n, permutations, seed)
        p = conditional_p(z, stat, k, ids, lambda u, mean: z[u, None] * mean * scaling,
                          chunk_values)
    return LocalResult(stat=stat, p_sim=p, extra=quad)


def getis_ord_star(y: np.ndarray, adjacency: sp.spmatrix, permutations: int = 999, seed: int = 42,
                   chunk_values: int = CHUNK_VALUES) -> LocalResult:
    """Getis-Ord Gi* (self included, row-standardised), analytic z (``extra``) and pseudo p-values.
    ``y`` must be positive. Every unit needs a neighbour."""
    a = _csr(adjacency)
    k = np.diff(a.indptr)
    if (k == 0).any():
        raise ValueError("getis_ord_star: units without neighbours; drop the islands first")
    y = np.asarray(y, dtype=np.float64)
    if (y <= 0).any():
        raise ValueError("getis_ord_star: y must be positive (see quartier.flag.gi_input)")
    n = len(y)
    total = y.sum()
    stat = (a @ y + y) / (k + 1) / total
    mean = total / n
    variance = (y ** 2).sum() / n - mean ** 2
    z = (stat - 1.0 / n) / np.sqrt(variance / (n ** 2 * mean ** 2))
    p = np.full(n, np.nan)
    if permutations:
        ids = permutation_ids(int(k.max()), n, permutations, seed)
        p = conditional_p(y, stat, k, ids,
                          lambda u, mean_draw: (mean_draw * k[u, None] + y[u, None])
                          / (k[u, None] + 1) / total, chunk_values)
    return LocalResult(stat=stat, p_sim=p, extra=z)

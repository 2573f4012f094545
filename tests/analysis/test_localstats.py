"""Vectorised local statistics: the same p-values as esda for the same seed, known answers."""

from __future__ import annotations

import warnings

import esda
import numpy as np
import pytest
import scipy.sparse as sp
from libpysal.weights import WSP
from shapely.geometry import box

from quartier.analysis.graph import queen_adjacency
from quartier.analysis.hotspots import gi_input, hot_spots
from quartier.analysis.localstats import (
    getis_ord_star,
    getis_ord_star_rows,
    gi_moments,
    local_moran,
    local_moran_rows,
    moran_input,
    permutation_ids,
)


def grid(n_side: int, n: int) -> np.ndarray:
    """GENERATED 1 km cells, the first n of an n_side × n_side grid (ragged last row)."""
    cells = [box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000)
             for j in range(n_side) for i in range(n_side)]
    return np.array(cells[:n], dtype=object)


@pytest.fixture(scope="module")
def sample():
    """5,000 GENERATED cells with a smooth trend plus noise (hot in the north)."""
    cells = grid(71, 5000)
    rng = np.random.default_rng(7)
    y = rng.normal(size=len(cells)) + np.linspace(0, 3, len(cells))
    adjacency = queen_adjacency(cells)
    w = WSP(adjacency).to_W(silence_warnings=True)
    w.transform = "r"
    return cells, y, adjacency, w


def test_same_p_values_and_labels_as_esda_on_5000_cells(sample):
    cells, y, adjacency, w = sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lisa = esda.Moran_Local(y, w, permutations=999, seed=3, n_jobs=1, keep_simulations=False)
        gi = esda.G_Local(gi_input(y), w, star=True, transform="R", permutations=999, seed=3,
                          n_jobs=1, keep_simulations=False)
    mine_lisa = local_moran(y, adjacency, 999, 3)
    mine_gi = getis_ord_star(gi_input(y), adjacency, 999, 3)
    np.testing.assert_array_equal(mine_lisa.p_sim, lisa.p_sim)
    np.testing.assert_array_equal(mine_gi.p_sim, gi.p_sim)
    np.testing.assert_allclose(mine_lisa.stat, lisa.Is, rtol=1e-12)
    np.testing.assert_array_equal(mine_lisa.extra, lisa.q)
    np.testing.assert_allclose(mine_gi.stat, gi.Gs, rtol=1e-12)
    np.testing.assert_allclose(mine_gi.extra, gi.Zs, rtol=1e-9)
    # hot-spot labels as quartier draws them (FDR 5 %), from esda's numbers and from ours
    cut = esda.fdr(gi.p_sim, 0.05)
    theirs = np.where((gi.p_sim <= cut) & (gi.Zs > 0), "Hot Spot",
                      np.where((gi.p_sim <= cut) & (gi.Zs < 0), "Cold Spot", "–"))
    import geopandas as gpd
    units = gpd.GeoDataFrame({"v": y}, geometry=cells)
    ours = hot_spots(units, "v", permutations=999, seed=3, adjacency=adjacency)
    assert (ours["hotspot"].to_numpy() == theirs).all()
    assert 200 < (theirs == "Hot Spot").sum() and 200 < (theirs == "Cold Spot").sum()


def test_blocks_do_not_change_the_result(sample):
    _, y, adjacency, _ = sample
    whole = local_moran(y, adjacency, 199, 5)
    tiny_blocks = local_moran(y, adjacency, 199, 5, chunk_values=199 * 7)
    np.testing.assert_array_equal(whole.p_sim, tiny_blocks.p_sim)


def test_known_answer_on_a_3x3_grid():
    """Centre cell of a 3×3 grid: Gi* = mean of all nine / sum; Moran's I by hand."""
    cells = grid(3, 9)
    y = np.arange(1.0, 10.0)
    a = queen_adjacency(cells)
    gi = getis_ord_star(y, a, permutations=0)
    assert gi.stat[4] == pytest.approx(np.mean(y) / y.sum())
    corner = [0, 1, 3, 4]  # cell 0 and its three neighbours
    assert gi.stat[0] == pytest.approx(np.mean(y[corner]) / y.sum())
    moran = local_moran(y, a, permutations=0)
    z = (y - y.mean()) / y.std()
    assert moran.stat[0] == pytest.approx(8 * z[0] * z[[1, 3, 4]].mean() / (z * z).sum())
    assert moran.extra[0] == 3 and moran.extra[8] == 1  # low-low corner, high-high corner


def test_islands_and_non_positive_values_refused():
    a = queen_adjacency(np.array([box(0, 0, 1, 1), box(5, 5, 6, 6)], dtype=object))
    with pytest.raises(ValueError, match="islands"):
        local_moran(np.array([1.0, 2.0]), a)
    b = queen_adjacency(grid(2, 4))
    with pytest.raises(ValueError, match="positive"):
        getis_ord_star(np.array([1.0, -1.0, 2.0, 3.0]), b)


def test_a_subset_of_units_gets_the_bits_of_the_whole(sample):
    """Any units, in any order and any blocks, computed alone (as on a cluster's workers) get
    exactly the statistics and p-values they get among all units."""
    _, y, adjacency, _ = sample
    positions = np.random.default_rng(1).permutation(len(y))[:700]
    rows = sp.csr_matrix(adjacency)[positions]
    k = np.diff(sp.csr_matrix(adjacency).indptr)
    ids = permutation_ids(int(k.max()), len(y), 199, 5)
    z, scaling = moran_input(y)
    part = local_moran_rows(z, scaling, rows, positions, ids, chunk_values=199 * 13)
    whole = local_moran(y, adjacency, 199, 5)
    for got, want in zip((part.stat, part.p_sim, part.extra),
                         (whole.stat, whole.p_sim, whole.extra), strict=True):
        np.testing.assert_array_equal(got, want[positions])
    g = gi_input(y)
    part = getis_ord_star_rows(g, *gi_moments(g), rows, positions, ids, chunk_values=199 * 13)
    whole = getis_ord_star(g, adjacency, 199, 5)
    np.testing.assert_array_equal(part.p_sim, whole.p_sim[positions])
    np.testing.assert_array_equal(part.extra, whole.extra[positions])


def test_generator_stream_draws_without_replacement(sample):
    _, y, adjacency, _ = sample
    ids = permutation_ids(8, 5000, 999, 3, "generator")
    assert ids.shape == (999, 8) and ids.min() >= 0 and ids.max() <= 4998
    assert all(len(set(row)) == 8 for row in ids.tolist())
    assert not np.array_equal(ids, permutation_ids(8, 5000, 999, 3))  # not esda's numbers
    fast = getis_ord_star(gi_input(y), adjacency, 999, 3, stream="generator")
    np.testing.assert_array_equal(fast.p_sim, getis_ord_star(gi_input(y), adjacency, 999, 3,
                                                             stream="generator").p_sim)
    # the same distribution: within the Monte Carlo error of 999 draws (sd ≤ 0.016)
    esda_stream = getis_ord_star(gi_input(y), adjacency, 999, 3)
    assert np.abs(fast.p_sim - esda_stream.p_sim).max() < 0.1
    with pytest.raises(ValueError, match="stream"):
        permutation_ids(8, 5000, 9, 3, "mersenne")

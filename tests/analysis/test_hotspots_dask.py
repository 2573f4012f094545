"""Hot spots on a Dask LocalCluster equal the single-machine hot spots, bit for bit."""

from __future__ import annotations

import importlib
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from distributed import Client, LocalCluster

from quartier.analysis.graph import queen_adjacency
from quartier.analysis.hotspots import gi_input, hot_spots
from quartier.analysis.hotspots_dask import hot_spots_distributed, tile_windows
from quartier.analysis.localstats import getis_ord_star, local_moran
from quartier.errors import InputDataError
from quartier.testing import generated_cells


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as c:
            # the workers import quartier (esda, scikit-learn) here, not in the first test
            c.run(lambda: importlib.import_module("quartier.analysis.hotspots_dask") and None)
            yield c


def single(cells: gpd.GeoDataFrame, valid: pd.Series | None = None, **kw) -> pd.DataFrame:
    valid = pd.Series(True, index=cells.index) if valid is None else valid
    return hot_spots(cells, "value", valid=valid, **kw)


def hand_made() -> gpd.GeoDataFrame:
    """4 × 4 cells of 100 m (values 0 … 15, row by row from the south), a 400 m strip along the
    top touching the top row, an island, a unit without geometry and a unit that is not valid
    (touching cells 0 and 4)."""
    x, y = np.meshgrid(np.arange(4) * 100.0, np.arange(4) * 100.0)
    geoms = [*shapely.box(x.ravel(), y.ravel(), x.ravel() + 100, y.ravel() + 100),
             shapely.box(0, 400, 400, 450), shapely.box(1000, 1000, 1100, 1100), None,
             shapely.box(-100, 0, 0, 100)]
    return gpd.GeoDataFrame({"value": [*np.arange(16.0), 20.0, 5.0, 7.0, np.nan]}, geometry=geoms,
                            crs="EPSG:3035")


def test_tiles_and_halo_windows():
    bounds = np.array([[0, 0, 100, 100], [100, 0, 200, 100], [250, 0, 300, 900.0]])
    order, starts, windows = tile_windows(bounds, 200.0)
    # bounding-box centres 50, 150, 275 m from x = 50: tiles 0, 0, 1
    assert order.tolist() == [0, 1, 2] and starts.tolist() == [0, 2]
    np.testing.assert_array_equal(windows, [[0, 0, 200, 100], [250, 0, 300, 900]])


def test_hand_made_4x4_grid_known_answer(client):
    cells = hand_made()
    valid = pd.Series(True, index=cells.index)
    valid.iloc[19] = False
    out = hot_spots_distributed(cells, "value", client, tile_m=200.0, valid=valid, permutations=99,
                                seed=3)
    # corners 3, edges 5, interior 8 neighbours; the top row also touches the strip
    assert out["n_neighbours"].tolist() == [3, 5, 5, 3, 5, 8, 8, 5, 5, 8, 8, 5, 4, 6, 6, 4,
                                            4, 0, 0, 0]
    assert out["hotspot"].iloc[17] == out["hotspot"].iloc[18] == "keine Nachbarn (Insel)"
    assert out["hotspot"].iloc[19] == "nicht bewertet"
    # by hand on the 17 tested units: Gi* of the strip (itself and the top row), Moran's I of cell 0
    y = cells["value"].to_numpy()[:17]
    g = gi_input(y)
    n = 17
    stat = g[[12, 13, 14, 15, 16]].sum() / 5 / g.sum()
    esda_z = (stat - 1 / n) / np.sqrt(g.var() / (n ** 2 * g.mean() ** 2))
    assert out["gi_z"].iloc[16] == pytest.approx(esda_z * np.sqrt(5 * (n - 1) / (n - 5)))
    z = (y - y.mean()) / y.std()
    assert out["lisa_i"].iloc[0] == pytest.approx((n - 1) * z[0] * z[[1, 4, 5]].mean() / (z @ z))
    # 99 draws, folded to the smaller tail: p is one of 1/100 … 50/100
    assert np.isin(np.round(out["gi_p_sim"].iloc[:17] * 100), np.arange(1, 51)).all()
    pd.testing.assert_frame_equal(out, single(cells, valid, permutations=99, seed=3),
                                  check_exact=True)
    no_draws = hot_spots_distributed(cells, "value", client, tile_m=200.0, valid=valid,
                                     permutations=0)
    pd.testing.assert_frame_equal(no_draws, single(cells, valid, permutations=0), check_exact=True)


def test_missing_values_and_lonely_units(client):
    cells = hand_made()
    with pytest.raises(InputDataError, match="missing values"):
        hot_spots_distributed(cells, "value", client, tile_m=200.0)
    lonely = cells.iloc[[17, 18, 0, 1]]
    out = hot_spots_distributed(lonely, "value", client, tile_m=200.0)
    assert out["hotspot"].eq("keine Nachbarn").all()
    pd.testing.assert_frame_equal(out, single(lonely), check_exact=True)


def test_generated_20000_cells_equal_single_machine(client):
    """20,000 GENERATED cells (holes with islands): both label bases and an invalid tenth."""
    cells = generated_cells(20_000, seed=3)
    valid = pd.Series(np.random.default_rng(0).random(len(cells)) > 0.1, index=cells.index)
    for p_mode in ("auto", "permutation"):
        ours = hot_spots_distributed(cells, "value", client, tile_m=3000.0, valid=valid,
                                     p_mode=p_mode)
        theirs = single(cells, valid, p_mode=p_mode)
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
        counts = ours["hotspot"].value_counts()
        assert counts["Hot Spot"] > 1000 and counts["Cold Spot"] > 1000
        assert counts["keine Nachbarn (Insel)"] >= 3 and counts["nicht bewertet"] > 1000


def test_generated_fast_stream_equals_single_machine_with_that_stream(client):
    """20,000 GENERATED cells, NumPy Generator permutation stream in both paths."""
    cells = generated_cells(20_000, seed=4)
    ours = hot_spots_distributed(cells, "value", client, tile_m=3000.0, stream="generator")
    a = queen_adjacency(cells.geometry.values)
    keep = np.flatnonzero(np.diff(a.indptr) > 0)
    a, y = a[keep][:, keep], cells["value"].to_numpy()[keep]
    lisa = local_moran(y, a, 999, 42, stream="generator")
    gi = getis_ord_star(gi_input(y), a, 999, 42, stream="generator")
    np.testing.assert_array_equal(ours["lisa_p_sim"].to_numpy()[keep], lisa.p_sim)
    np.testing.assert_array_equal(ours["gi_p_sim"].to_numpy()[keep], gi.p_sim)


@pytest.mark.slow
def test_generated_200000_cells_equal_single_machine(client):
    """200,000 GENERATED cells, the acceptance sample of issue 15: esda's stream, 10 km tiles,
    labels by analytic (default above 10,000 units) and by permutation p-values."""
    cells = generated_cells(200_000, seed=5)
    for p_mode in ("auto", "permutation"):
        ours = hot_spots_distributed(cells, "value", client, tile_m=10_000.0, p_mode=p_mode)
        pd.testing.assert_frame_equal(ours, single(cells, p_mode=p_mode), check_exact=True)
    assert (ours["hotspot"] == "keine Nachbarn (Insel)").sum() > 30

"""Hot spots that do not depend on how the index is shifted, on generated and on Berlin's data.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from quartier.analysis.hotspots import hot_spots
from quartier.analysis.indicators import compute_index


def test_gi_star_invariant_to_a_constant_and_hot_where_high():
    """GENERATED 6 × 6 grid: the north-east 3 × 3 corner is high, the rest low (known answer)."""
    cells = [(i, j) for j in range(6) for i in range(6)]
    grid = gpd.GeoDataFrame(geometry=[box(i, j, i + 1, j + 1) for i, j in cells], crs=3857)
    high = np.array([i >= 3 and j >= 3 for i, j in cells])
    rng = np.random.default_rng(0)
    y = np.where(high, 2.0, -1.0) + 0.1 * rng.standard_normal(36)
    y = y - y.mean()                      # a z-score-like variable: sums to ~0
    valid = pd.Series(True, index=grid.index)
    labels = {}
    for shift in (0.0, 1000.0, -1000.0):
        labels[shift] = hot_spots(grid.assign(v=y + shift), "v", valid=valid, seed=1)["hotspot"]
    assert (labels[0.0] == labels[1000.0]).all() and (labels[0.0] == labels[-1000.0]).all()
    hot = labels[0.0] == "Hot Spot"
    assert hot.any() and high[hot.to_numpy()].all()
    cold = labels[0.0] == "Cold Spot"
    assert not high[cold.to_numpy()].any()


def test_berlin_hot_spots_have_higher_index_than_cold(berlin, berlin_cfg):
    units, _ = berlin
    idx = compute_index(units, berlin_cfg.index, population_column=berlin_cfg.population_column)
    res = {s: hot_spots(units.assign(v=idx["status_index"] + s), "v", valid=idx["valid"])
           for s in (0.0, 1000.0)}
    assert (res[0.0]["hotspot"] == res[1000.0]["hotspot"]).all()
    status = idx["status_index"]
    hot_mean = status[res[0.0]["hotspot"] == "Hot Spot"].mean()
    cold_mean = status[res[0.0]["hotspot"] == "Cold Spot"].mean()
    assert (res[0.0]["hotspot"] == "Hot Spot").sum() == 37
    assert (res[0.0]["hotspot"] == "Cold Spot").sum() == 64
    assert hot_mean == pytest.approx(1.61, abs=0.01) and cold_mean == pytest.approx(-1.07, abs=0.01)

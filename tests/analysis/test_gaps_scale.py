"""Distributed gap detection on a local Dask cluster equals the single-machine result."""

import warnings

import pytest
from distributed import Client, LocalCluster

from quartier.analysis.gaps import detect_gaps
from quartier.analysis.gaps_scale import core_tiles, detect_gaps_distributed
from quartier.config import load_config
from quartier.io.gapdata import read_gap_inputs
from quartier.paths import DATA_DIR


def test_core_tiles_cover_without_overlap():
    tiles = core_tiles((0, 0, 2500, 1000), 1000)
    assert len(tiles) == 3
    assert sum(t.area for t in tiles) == 3e6


@pytest.mark.slow
def test_kaiserslautern_distributed_equals_single_machine():
    cfg = load_config(DATA_DIR / "kaiserslautern" / "quartier.toml")
    inp = read_gap_inputs(cfg.gaps, crs=cfg.city.crs,
                    max_scale_error_pct=cfg.city.max_scale_error_pct)
    single = detect_gaps(inp, cfg.gaps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                          processes=True) as cluster, Client(cluster) as client:
            dist = detect_gaps_distributed(inp, cfg.gaps, client, tile_m=1500, halo_m=1000,
                                           npartitions=4)
    assert len(single) > 100
    assert list(dist["gap_id"]) == list(single["gap_id"])
    merged = single.merge(dist.drop(columns="geometry"), on="gap_id", suffixes=("", "_d"))
    for col in ("area_m2", "frontage_m", "confidence"):
        assert merged[col].to_numpy() == pytest.approx(merged[f"{col}_d"].to_numpy(), abs=0.11)
    assert (merged["gap_type"] == merged["gap_type_d"]).all()

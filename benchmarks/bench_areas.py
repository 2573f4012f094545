"""Action areas: Berlin (real) and 54,200 GENERATED units, against the plain way.

The plain way is the simple baseline a GIS user would do: libpysal Queen contiguity of the
flagged units, connected components, ``GeoDataFrame.dissolve`` — no resident bounds, no gap
closers, no reasons. quartier does more (rook graph, bounds, splitting, gap closers, reasons,
compactness), so a ratio below 1 is the price of that; the targets are absolute (< 5 s Berlin,
< 2 min for 54,200 units).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from libpysal.weights import Queen
from scipy.ndimage import gaussian_filter
from scipy.sparse.csgraph import connected_components

from _common import best_of, generated_grid_units, report
from quartier.analysis.areas import build_areas
from quartier.config import AreasConfig, load_config
from quartier.paths import BERLIN_CONFIG
from quartier.pipeline.flag import flag_units
from quartier.pipeline.load import load_city


def plain_dissolve(units, flagged: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sub = units[flagged].reset_index(drop=True)
        w = Queen.from_dataframe(sub, use_index=False, silence_warnings=True)
        _, label = connected_components(w.sparse, directed=False)
        return sub.assign(component=label).dissolve("component")


def generated_flags(units, seed: int = 0) -> pd.DataFrame:
    """GENERATED priority: a smoothed random field over the grid; the top 15 % are flagged, so
    flagged units come in clusters as in a real city."""
    n = len(units)
    side = int(np.ceil(np.sqrt(n)))
    field = gaussian_filter(np.random.default_rng(seed).standard_normal((side, side)), 4)
    score = field.ravel()[:n]
    flagged = score >= np.quantile(score, 0.85)
    return pd.DataFrame({"flagged": flagged, "priority_score": score, "status_index": score,
                         "z_x": score}, index=units.index)


if __name__ == "__main__":
    cfg = load_config(BERLIN_CONFIG)
    units, _ = load_city(cfg)
    flags = flag_units(units, cfg).table.sort_index()
    pop = units[cfg.population_column]
    ours = best_of(lambda: build_areas(units, flags, pop, cfg.areas, cfg.labels()))
    plain = best_of(lambda: plain_dissolve(units, flags["flagged"].to_numpy(dtype=bool)))
    report("areas Berlin (542 units, 95 flagged)", ours, plain,
           "Queen + components + dissolve, no bounds")
    assert ours < 5, ours

    big = generated_grid_units(54_200).rename(columns={"ID": "unit_id", "NAME": "unit_name"})
    gflags = generated_flags(big)
    t0 = time.perf_counter()
    result = build_areas(big, gflags, big["pop"].astype(float), AreasConfig(
        min_residents=50_000, max_residents=400_000))
    ours_big = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain_dissolve(big, gflags["flagged"].to_numpy())
    plain_big = time.perf_counter() - t0
    report(f"areas 54,200 GENERATED units ({int(gflags['flagged'].sum()):,} flagged, "
           f"{len(result.areas)} areas)", ours_big, plain_big, "Queen + components + dissolve")
    assert ours_big < 120, ours_big

"""Benchmark: the whole `flag` step (index, thresholds, clusters, hot spots with 999
permutations, priority) for Berlin and for 54,200 GENERATED units (100× Berlin).

"plain" does the same steps the straightforward way with pandas, libpysal, esda and scikit-learn
(per-column apply for z-values, no sampling for the silhouette), without reasons or screening.
Run: python benchmarks/bench_flag.py [--skip-large]
"""

from __future__ import annotations

import sys
import warnings

import esda
import numpy as np
import pandas as pd
from libpysal.weights import Queen
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from _common import best_of, generated_grid_units, report
from quartier.config import load_config, parse_config
from quartier.flag import flag_units
from quartier.load import load_city
from quartier.pipeline import BERLIN_CONFIG


def plain_flag(units, status_cols, cluster_cols, k=4, permutations=999):
    valid = units[status_cols].notna().all(axis=1)
    sub = units[valid].copy()
    z = sub[status_cols].apply(lambda c: (c - c.mean()) / c.std(ddof=0))
    s = z.sum(axis=1)
    sub["index"] = (s - s.mean()) / s.std(ddof=0)
    sub["cls"] = pd.cut(sub["index"], [-np.inf, -1, 1, 1.5, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(sub, use_index=False, silence_warnings=True)
        w.transform = "r"
        esda.Moran_Local(sub["index"].to_numpy(), w, permutations=permutations, seed=1)
        esda.G_Local(sub["index"].to_numpy(), w, star=True, permutations=permutations, seed=1)
    comp = units[cluster_cols].dropna()
    xs = StandardScaler().fit_transform(comp)
    km = KMeans(n_clusters=k, n_init=10, random_state=1).fit(xs)
    silhouette_score(xs, km.labels_, sample_size=min(len(xs), 8000), random_state=1)
    return sub


def generated_city(n: int, seed: int = 0):
    """GENERATED: grid units with spatially smooth fake indicators (sin/cos waves + noise)."""
    units = generated_grid_units(n, seed=seed).rename(columns={"ID": "unit_id", "NAME": "unit_name"})
    rng = np.random.default_rng(seed)
    cx, cy = units.centroid.x.to_numpy(), units.centroid.y.to_numpy()
    wave = np.sin(cx / 3000) + np.cos(cy / 4000)
    units["ew"] = units["pop"].astype(float)
    for i, c in enumerate(["s1", "s3", "s4", "k1", "k2", "k3"]):
        units[c] = 10 + 3 * wave * (1 + 0.2 * i) + rng.normal(0, 1, n)
    return units


def generated_config():
    return parse_config({
        "city": {"name": "generated", "crs": "EPSG:25833"},
        "units": {"path": "none.gpkg", "id_column": "ID", "name_column": "NAME"},
        "population_column": "ew",
        "index": {"status": [{"column": "s1"}, {"column": "s3"}, {"column": "s4"}]},
        "flag": {"thresholds": [{"column": "s4", "kind": "sd", "value": 1.5}],
                 "cluster_columns": ["k1", "k2", "k3"], "cluster_k": [3, 4, 5]},
    }, BERLIN_CONFIG.parent)


def main() -> None:
    cfg = load_config(BERLIN_CONFIG)
    units, _ = load_city(cfg)
    flag_units(units, cfg)  # warm-up (imports)
    ours = best_of(lambda: flag_units(units, cfg), 3)
    status = ["s1_arbeitslosigkeit_pct", "s3_transferbezug_pct", "s4_kinderarmut_pct"]
    plain = best_of(lambda: plain_flag(units, status, cfg.flag.cluster_columns), 3)
    report("flag Berlin (542 PLR, 999 permutations)", ours, plain, "pandas+esda+sklearn")
    if "--skip-large" in sys.argv:
        return
    n = 54_200
    gen = generated_city(n)
    gcfg = generated_config()
    ours = best_of(lambda: flag_units(gen, gcfg), 1)
    plain = best_of(lambda: plain_flag(gen, ["s1", "s3", "s4"], ["k1", "k2", "k3"]), 1)
    report(f"flag GENERATED ({n:,} units, 999 permutations)", ours, plain, "pandas+esda+sklearn")


if __name__ == "__main__":
    main()

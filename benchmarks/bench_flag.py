"""Benchmark: the whole `flag` step (index, thresholds, clusters, hot spots with 999
permutations, priority) against the plain pandas + libpysal + esda + scikit-learn way of doing
the same work, for Berlin (542 PLR), 54,200 GENERATED units (100× Berlin) and the real Zensus
2011 1 km grid of Germany (214,633 cells).

"Same work" means the same outputs with the same settings: z-values and the index (pandas
``apply`` per column), threshold rules, libpysal ``Queen`` weights, esda ``Moran_Local`` and
``G_Local(star=True)`` with the same 999 permutations and seed, the same labels (FDR on the same
p-values: pseudo p-values up to 10,000 tested units, analytic ones above, from esda's
``Zs``/``EIc``/``VIc``), the same clustering (k chosen on the same seeded sample by silhouette
and BIC, KMeans refined on all units, Ward by nearest centroid, the same 20 bootstrap fits,
contiguous Ward regions up to 20,000 units) and the priority ranks. Plain leaves out the
dynamics index, the single-facility screening and the reasons in words, so it does a little
less than quartier. Each case runs in a fresh process: its peak memory (max RSS) is its own.

Run: python benchmarks/bench_flag.py [--skip-large] [--only berlin|generated|grid]
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd

from _common import generated_grid_units, report

# ------------------------------------------------------------------------------ the plain way


def plain_flag(units, cfg):
    """The flag step written straight with pandas, libpysal, esda and scikit-learn."""
    import esda
    import scipy.stats
    from libpysal.weights import WSP, Queen
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.mixture import GaussianMixture
    from sklearn.preprocessing import StandardScaler

    ix = cfg.index
    pop = units[cfg.population_column]
    cols = [r.column for r in ix.status]
    valid = units[cols].notna().all(axis=1) & (pop >= ix.min_population)
    sub = units.loc[valid, cols]
    z = sub.apply(lambda c: (c - c.mean()) / c.std(ddof=ix.ddof))
    z = z * [r.sign * r.weight for r in ix.status]
    s = z.sum(axis=1)
    index = (s - s.mean()) / s.std(ddof=ix.ddof)
    classes = pd.cut(index, [-np.inf, *ix.status_thresholds, np.inf], labels=ix.status_labels)
    rules = pd.DataFrame(index=units.index)
    for r in cfg.flag.thresholds:
        v = units[r.column]
        limit = v.mean() + (1 if r.direction == "above" else -1) * r.value * v.std(ddof=0)
        rules[r.column] = v > limit if r.direction == "above" else v < limit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w_all = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
        keep = np.flatnonzero(valid.to_numpy())
        a = w_all.sparse[keep][:, keep].tocsr()
        k = np.diff(a.indptr)
        tested = k > 0
        t_idx = np.flatnonzero(tested)
        w = WSP(a[t_idx][:, t_idx]).to_W(silence_warnings=True)
        y = index.to_numpy()[t_idx]
        lm = esda.Moran_Local(y, w, transformation="r", permutations=cfg.flag.permutations,
                              seed=cfg.flag.seed)
        yg = (y - y.mean()) / y.std()
        yg = yg - yg.min() + 1
        gi = esda.G_Local(yg, w, transform="R", star=True, permutations=cfg.flag.permutations,
                          seed=cfg.flag.seed)
    n, kk = len(y), k[t_idx] + 1.0
    gz = gi.Zs * np.sqrt(kk * (n - 1) / (n - kk))
    if n > 10_000:
        # Gi* under conditional randomisation: the neighbours' sum against k draws of the others
        s_nb = gi.Gs * kk * yg.sum() - yg
        mu = (yg.sum() - yg) / (n - 1)
        var = ((yg ** 2).sum() - yg ** 2) / (n - 1) - mu ** 2
        zc = (s_nb - (kk - 1) * mu) / np.sqrt((kk - 1) * var * (n - kk) / (n - 2))
        gp, agree = scipy.stats.norm.sf(np.abs(zc)), np.sign(zc) == np.sign(gz)
        lp = scipy.stats.norm.sf(np.abs((lm.Is * n / (n - 1) - lm.EIc) / np.sqrt(lm.VIc)))
    else:
        gp, lp, agree = gi.p_sim, lm.p_sim, True
    sig = (gp <= esda.fdr(gp, cfg.flag.fdr)) & agree
    hot = np.where(sig & (gz > 0), "Hot Spot", np.where(sig & (gz < 0), "Cold Spot", "–"))
    lisa = np.where(lp <= esda.fdr(lp, cfg.flag.fdr), lm.q, 0)

    ccols = cfg.flag.cluster_columns
    comp = units[ccols].dropna()
    xs = StandardScaler().fit_transform(comp)
    rng = np.random.default_rng(cfg.flag.seed)
    sample = (np.sort(rng.choice(len(xs), 8000, replace=False)) if len(xs) > 8000
              else np.arange(len(xs)))
    xsub = xs[sample]
    sel = []
    for kc in cfg.flag.cluster_k:
        km = KMeans(n_clusters=kc, n_init=10, random_state=cfg.flag.seed).fit(xsub)
        ward = AgglomerativeClustering(n_clusters=kc, linkage="ward").fit(xsub).labels_
        gmm = GaussianMixture(n_components=kc, random_state=cfg.flag.seed, n_init=2).fit(xsub)
        sel.append((silhouette_score(xsub, km.labels_), silhouette_score(xsub, ward),
                    gmm.bic(xsub), km, ward, gmm))
    best = max(sel, key=lambda r: r[0])
    km = best[3]
    if len(xs) > 8000:
        km = KMeans(n_clusters=km.n_clusters, init=km.cluster_centers_, n_init=1,
                    random_state=cfg.flag.seed).fit(xs)
        wl = max(sel, key=lambda r: r[1])[4]
        cent = np.vstack([xsub[wl == c].mean(axis=0) for c in range(wl.max() + 1)])
        ((xs[:, None, :] - cent[None]) ** 2).sum(axis=2).argmin(axis=1)
    min(sel, key=lambda r: r[2])[5].predict(xs)
    if len(xs) <= 20_000:
        ck = np.flatnonzero(units[ccols].notna().all(axis=1).to_numpy())
        AgglomerativeClustering(n_clusters=km.n_clusters, linkage="ward",
                                connectivity=w_all.sparse[ck][:, ck]).fit(xs)
    base = km.predict(xsub)
    for _ in range(20):
        draw = rng.integers(0, len(xsub), len(xsub))
        boot = KMeans(n_clusters=km.n_clusters, n_init=3, random_state=cfg.flag.seed).fit(xsub[draw])
        adjusted_rand_score(base, boot.predict(xsub))

    out = pd.DataFrame({"status_index": index, "status_class": classes})
    out["hotspot"] = "nicht bewertet"
    out.iloc[t_idx, out.columns.get_loc("hotspot")] = hot
    out["lisa"] = 0
    out.iloc[t_idx, out.columns.get_loc("lisa")] = lisa
    out["score"] = (cfg.priority.status_weight * out["status_index"]
                    + cfg.priority.hotspot_weight * out["hotspot"].eq("Hot Spot")
                    + cfg.priority.rule_weight * rules.loc[valid].sum(axis=1))
    out["rank"] = out["score"].rank(ascending=False, method="first")
    return out


# ------------------------------------------------------------------------------------- cases


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
    from quartier.config import parse_config
    from quartier.paths import BERLIN_CONFIG

    return parse_config({
        "city": {"name": "generated", "crs": "EPSG:25833"},
        "units": {"path": "none.gpkg", "id_column": "ID", "name_column": "NAME"},
        "population_column": "ew",
        "index": {"status": [{"column": "s1"}, {"column": "s3"}, {"column": "s4"}]},
        "flag": {"thresholds": [{"column": "s4", "kind": "sd", "value": 1.5}],
                 "cluster_columns": ["k1", "k2", "k3"], "cluster_k": [3, 4, 5]},
    }, BERLIN_CONFIG.parent)


def load_case(name: str):
    from quartier.config import load_config
    from quartier.paths import BERLIN_CONFIG, DATA_DIR
    from quartier.pipeline.load import load_city

    if name == "generated":
        return generated_city(54_200), generated_config()
    cfg = load_config(BERLIN_CONFIG if name == "berlin" else DATA_DIR / "germany_1km" / "quartier.toml")
    return load_city(cfg)[0], cfg


def _run(name: str, which: str, queue) -> None:
    """In a fresh process: load the case, time the flag step, report seconds and max RSS."""
    from quartier.pipeline.flag import flag_units

    units, cfg = load_case(name)
    warnings.simplefilter("ignore")
    fn = (lambda: flag_units(units, cfg)) if which == "quartier" else (lambda: plain_flag(units, cfg))
    if name == "berlin":
        fn()  # warm-up (imports, numba-free esda paths)
    repeat = 3 if name == "berlin" else 1
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    queue.put((min(times), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    queue.close()
    queue.join_thread()
    # esda/libpysal leave joblib's loky workers running; multiprocessing would wait for them
    os._exit(0)


def measure(name: str, which: str) -> tuple[float, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(name, which, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                raise SystemExit(f"{name} ({which}) failed: see the traceback above") from None
    proc.join()
    return result


CASES = {"berlin": "flag Berlin (542 PLR, 999 permutations)",
         "generated": "flag GENERATED (54,200 units, 999 perm.)",
         "grid": "flag Zensus grid (214,633 cells, 999 perm.)"}


def main() -> None:
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    names = [only] if only else (["berlin"] if "--skip-large" in sys.argv else list(CASES))
    for name in names:
        ours, ours_mb = measure(name, "quartier")
        plain, plain_mb = measure(name, "plain")
        report(CASES[name], ours, plain, "pandas+libpysal+esda+sklearn")
        print(f"{'':<48} peak memory (max RSS): quartier {ours_mb:,.0f} MB | plain {plain_mb:,.0f} MB")


if __name__ == "__main__":
    main()

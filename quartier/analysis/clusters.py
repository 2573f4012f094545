"""Exploratory clusters of the units (KMeans, Gaussian mixture, Ward regions over the
contiguity graph), their profiles and their stability. Clusters explore; the index flags."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from quartier import vocab
from quartier.analysis.graph import queen_adjacency
from quartier.analysis.priority import _fmt
from quartier.config import (
    FlagConfig,
)
from quartier.errors import InputDataError

#: Above this many units, k is chosen on a seeded sample of this size (see explore_clusters).
SAMPLE_CAP = 8000

#: Above this many units, contiguous Ward regions are not computed (quadratic time).
REGIONS_CAP = 20_000


@dataclass
class ClusterResult:
    """Exploratory clustering: labels per method, the chosen k, quality and stability."""

    labels: pd.DataFrame
    profiles: pd.DataFrame
    names: dict[int, str]
    metrics: dict[str, float | str] = field(default_factory=dict)   # numbers; sample, regions: text
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)


def cluster_profile(z: pd.DataFrame, labels: pd.Series, labels_map: dict[str, str], top: int = 2
                    ) -> tuple[pd.DataFrame, dict[int, str]]:
    """Mean z per cluster and indicator, and a readable name from the strongest deviations."""
    prof = z.groupby(labels.to_numpy()).mean()
    prof.insert(0, "n_units", labels.value_counts().sort_index().to_numpy())
    names = {}
    for c, row in prof.drop(columns="n_units").iterrows():
        order = row.sort_values()
        high = [f"{labels_map.get(i, i)} +{_fmt(v)}" for i, v in order[::-1][:top].items() if v > 0.3]
        low = [f"{labels_map.get(i, i)} {_fmt(v)}" for i, v in order[:top].items() if v < -0.3]
        parts = ([f"hoch: {', '.join(high)}"] if high else []) + (
            [f"niedrig: {', '.join(low)}"] if low else [])
        names[int(c)] = "; ".join(parts) or "nahe am Mittel"
    return prof, names


def _ward_labels(xs: np.ndarray, sample: np.ndarray, k: int) -> np.ndarray:
    """Ward clustering; beyond the sample, each unit joins the cluster with the nearest centroid."""
    fitted = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(xs[sample]).labels_
    if len(sample) == len(xs):
        return fitted
    centroids = np.vstack([xs[sample][fitted == c].mean(axis=0) for c in range(k)])
    return _nearest(xs, centroids)


def _nearest(xs: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return ((xs[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)


def explore_clusters(
    units: gpd.GeoDataFrame, cfg: FlagConfig, labels_map: dict[str, str], n_bootstrap: int = 20,
    adjacency: csr_matrix | None = None,
) -> ClusterResult:
    """KMeans and Ward (k by silhouette), GaussianMixture (k by BIC), and contiguous regions.

    Features are z-standardised. Units with a missing feature are not clustered (label -1).
    Regions: Ward with Queen-contiguity connectivity, so every region is one contiguous area.
    Stability is the mean adjusted Rand index between the KMeans solution and KMeans fitted on
    bootstrap resamples.

    With more than :data:`SAMPLE_CAP` units (census grids), k is chosen on a seeded sample of
    that size: KMeans, Ward and the mixture are fitted and scored there; the chosen KMeans is
    then refined on all units starting from the sample's centroids (Lloyd iterations to
    convergence), Ward assigns every unit to the nearest sample-cluster centroid, the mixture
    predicts every unit, and the bootstrap resamples the sample. Regions need Ward over the
    whole contiguity graph (quadratic time, minutes at 50,000 units): above
    :data:`REGIONS_CAP` units they are not computed, and ``metrics["regions"]`` says so.
    """
    # scikit-learn's OpenMP threads made these fits 5-30× slower when other processes compete
    # for this 2-core machine's cores (measured); the fits are small (a sample of 8,000)
    with threadpool_limits(1):
        return _explore_clusters(units, cfg, labels_map, n_bootstrap, adjacency)


def _explore_clusters(
    units: gpd.GeoDataFrame, cfg: FlagConfig, labels_map: dict[str, str], n_bootstrap: int,
    adjacency: csr_matrix | None,
) -> ClusterResult:
    cols = cfg.cluster_columns
    missing = [c for c in cols if c not in units]
    if missing:
        raise InputDataError(f"flag.cluster_columns not loaded: {missing}")
    complete = units[cols].notna().all(axis=1)
    x = units.loc[complete, cols].to_numpy(dtype="float64")
    constant = [c for c, sd in zip(cols, x.std(axis=0), strict=True) if sd == 0]
    if constant:
        raise InputDataError(f"cluster columns {constant} are constant: they cannot be standardised")
    ks = [k for k in cfg.cluster_k if 2 <= k < len(x)]
    if not ks:
        raise InputDataError(
            f"only {len(x)} units with complete cluster features; need more than the smallest k "
            f"in flag.cluster_k ({min(cfg.cluster_k)})"
        )
    xs = StandardScaler().fit_transform(x)
    rng = np.random.default_rng(cfg.seed)
    sampled = len(xs) > SAMPLE_CAP
    sample = (np.sort(rng.choice(len(xs), SAMPLE_CAP, replace=False)) if sampled
              else np.arange(len(xs)))
    xsub = xs[sample]
    rows, fits = [], {}
    for k in ks:
        km = KMeans(n_clusters=k, n_init=10, random_state=cfg.seed).fit(xsub)
        ward = _ward_labels(xsub, np.arange(len(xsub)), k)
        gmm = GaussianMixture(n_components=k, random_state=cfg.seed, n_init=2).fit(xsub)
        fits[k] = (km, ward, gmm)
        rows.append({"k": k,
                     "kmeans_silhouette": silhouette_score(xsub, km.labels_),
                     "ward_silhouette": silhouette_score(xsub, ward),
                     "gmm_bic": gmm.bic(xsub)})
    sel = pd.DataFrame(rows)
    k_km = int(sel.loc[sel["kmeans_silhouette"].idxmax(), "k"])
    k_ward = int(sel.loc[sel["ward_silhouette"].idxmax(), "k"])
    k_gmm = int(sel.loc[sel["gmm_bic"].idxmin(), "k"])
    km = fits[k_km][0]
    if sampled:
        km = KMeans(n_clusters=k_km, init=km.cluster_centers_, n_init=1,
                    random_state=cfg.seed).fit(xs)
        ward_sub = fits[k_ward][1]
        ward = _nearest(xs, np.vstack([xsub[ward_sub == c].mean(axis=0) for c in range(k_ward)]))
    else:
        ward = fits[k_ward][1]

    labels = pd.DataFrame(-1, index=units.index,
                          columns=["cluster", "cluster_ward", "cluster_gmm", "region"])
    labels.loc[complete, "cluster"] = km.labels_
    labels.loc[complete, "cluster_ward"] = ward
    labels.loc[complete, "cluster_gmm"] = fits[k_gmm][2].predict(xs)
    if adjacency is None:
        adjacency = queen_adjacency(units.geometry.values)
    keep = np.flatnonzero(complete.to_numpy())
    connectivity = adjacency[keep][:, keep]
    if len(xs) <= REGIONS_CAP:
        labels.loc[complete, "region"] = AgglomerativeClustering(
            n_clusters=k_km, linkage="ward", connectivity=connectivity).fit(xs).labels_
        regions = vocab.note("clusters.regions_ward")
    else:
        regions = vocab.note("clusters.regions_skipped", n=len(xs), cap=REGIONS_CAP)

    ari = []
    base = km.predict(xsub)
    for _ in range(n_bootstrap):
        draw = rng.integers(0, len(xsub), len(xsub))
        boot = KMeans(n_clusters=k_km, n_init=3, random_state=cfg.seed).fit(xsub[draw])
        ari.append(adjusted_rand_score(base, boot.predict(xsub)))
    sub = units.loc[complete]
    z = pd.DataFrame(xs, index=sub.index, columns=cols)
    profiles, names = cluster_profile(z, pd.Series(km.labels_, index=sub.index), labels_map)
    metrics: dict[str, float | str] = {
        "k_kmeans": k_km, "k_ward": k_ward, "k_gmm": k_gmm,
        "silhouette_kmeans": float(sel["kmeans_silhouette"].max()),
        "stability_ari_mean": float(np.mean(ari)), "stability_ari_min": float(np.min(ari)),
        "n_clustered": int(complete.sum()), "n_not_clustered": int((~complete).sum()),
        "n_islands": int((np.diff(connectivity.indptr) == 0).sum()),
        "sample": (vocab.note("clusters.sample", n=SAMPLE_CAP, seed=str(cfg.seed)) if sampled
                   else vocab.note("clusters.all_units")),
        "regions": regions}
    return ClusterResult(labels=labels, profiles=profiles, names=names, metrics=metrics, selection=sel)


def compare_with_classes(
    clusters: pd.Series, classes: pd.Series, features: pd.DataFrame, deprivation_columns: list[str],
    positive: tuple[str, ...] = ("niedrig", "sehr niedrig"), min_mean_z: float = 0.5,
) -> dict[str, float]:
    """Validate exploratory clusters against an official classification.

    A cluster counts as *benachteiligt* when the mean over ``deprivation_columns`` of its mean
    z-standardised feature values exceeds ``min_mean_z`` (a rule fixed in advance, not tuned).
    Returns the adjusted Rand index between clusters and classes, and precision and recall of
    the benachteiligt clusters for the ``positive`` classes.
    """
    both = clusters.ge(0) & classes.notna()
    c, k = clusters[both], classes[both].astype(str)
    f = features.loc[both, deprivation_columns]
    z = (f - f.mean()) / f.std(ddof=0)
    means = z.groupby(c).mean().mean(axis=1)
    deprived = means.index[means > min_mean_z]
    pred, truth = c.isin(deprived), k.isin(positive)
    tp = int((pred & truth).sum())
    return {"ari": float(adjusted_rand_score(k, c)), "n": int(both.sum()),
            "deprived_clusters": len(deprived),
            "precision": tp / max(int(pred.sum()), 1), "recall": tp / max(int(truth.sum()), 1)}

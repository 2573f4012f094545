"""Flag conspicuous quarters: thresholds, targets, clusters, hot spots, screening, priority.

The official flag is the index (:mod:`quartier.indicators`); everything here adds context. Every
function takes the units (a GeoDataFrame in a metric CRS with ``unit_id``) and returns columns
that can be joined to them, each with its reason in words.

Priority score (higher = more urgent), for the units the index scores, with the weights of
``[priority]`` (defaults in brackets)::

    priority_score = w_status [1] · status_index + w_dynamics [0.5] · dynamics_index
                     + w_hotspot [0.5] · [Gi* hot spot] + w_rule [0.25] · (threshold rules hit)

``priority_rank`` 1 is the highest score; ranks are unique (ties: higher status index first, then
the unit id). ``flagged`` marks the units a council should look at: status class among
``flag_classes`` (default the two lowest), or ``flag_min_rules`` rules hit, or among the
``flag_top_pct`` % highest scores; ``flag_reason`` says which. Unscored units (too few
inhabitants, missing values) get no rank and say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.special
import scipy.stats
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from quartier import dynamics as dynamics_mod
from quartier.config import (
    FlagConfig,
    IndexConfig,
    PriorityConfig,
    QuartierConfig,
    Target,
    ThresholdRule,
    flag_class_problem,
)
from quartier.derive import looks_like_count
from quartier.errors import ConfigError, InputDataError, rows_preview
from quartier.indicators import DYNAMICS_SIGNS, add_changes, compute_index
from quartier.localstats import getis_ord_star, local_moran
from quartier.quality import repeated_values

if TYPE_CHECKING:
    from quartier.areas import AreasResult

#: Above this many units, k is chosen on a seeded sample of this size (see explore_clusters).
SAMPLE_CAP = 8000
#: Above this many units, contiguous Ward regions are not computed (quadratic time).
REGIONS_CAP = 20_000
#: Above this many tested units, hot-spot labels use analytic p-values (see p_basis).
PERMUTATION_LABELS_MAX = 10_000
#: Below this many units with neighbours no hot-spot test is made (said, nothing labelled).
MIN_HOTSPOT_UNITS = 10
#: A unit is tested only when its neighbours can be drawn in at least this many ways (and in
#: at least as many as there are permutations): with 4 units the null has 3 values.
MIN_NULL_SETS = 99
#: The hot-spot label of a unit that cannot be tested (p_basis says why).
NOT_TESTABLE = "kein Test möglich"
#: Hot-spot labels from Local Moran's I quadrants (1 HH, 2 LH, 3 LL, 4 HL).
MORAN_QUADRANTS = {1: "Hoch-Hoch", 2: "Niedrig-Hoch", 3: "Niedrig-Niedrig", 4: "Hoch-Niedrig"}


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


# ---------------------------------------------------------------------------- thresholds, targets


def threshold_limit(values: pd.Series, rule: ThresholdRule) -> float:
    """The limit of a rule: the value itself (absolute), mean ± k·SD (sd), or the quantile at
    level ``value`` (0.9 with "above" = top decile, 0.1 with "below" = bottom decile)."""
    if rule.kind == "absolute":
        return rule.value
    if values.notna().sum() < 2:
        raise InputDataError(f"threshold on {rule.column!r}: fewer than 2 values, no relative limit")
    if rule.kind == "sd":
        sign = 1 if rule.direction == "above" else -1
        return float(values.mean() + sign * rule.value * values.std(ddof=0))
    return float(values.quantile(rule.value))


def apply_thresholds(
    units: pd.DataFrame, rules: list[ThresholdRule], labels: dict[str, str]
) -> pd.DataFrame:
    """Grenzwerte: one bool column ``rule_<column>_<kind>`` per rule, ``rule_count``, ``rule_flags``.

    ``rule_flags`` says in words which rule fired with the unit's value and the limit, e.g.
    "S4 Kinderarmut ≥ 40,0 (52,3)".
    """
    out = pd.DataFrame(index=units.index)
    texts = pd.Series("", index=units.index, dtype="string")
    for rule in rules:
        if rule.column not in units:
            raise InputDataError(f"flag.thresholds: column {rule.column!r} is not loaded")
        values = units[rule.column].astype("float64")
        limit = threshold_limit(values, rule)
        hit = values.ge(limit) if rule.direction == "above" else values.le(limit)
        out[f"rule_{rule.column}_{rule.kind}"] = hit.fillna(False)
        op = "≥" if rule.direction == "above" else "≤"
        how = {"absolute": "", "sd": f" (Mittel {'+' if rule.direction == 'above' else '−'}"
               f"{_fmt(rule.value)} SD)", "quantile": f" ({_fmt(rule.value * 100, 0)}%-Quantil)"}
        label = labels.get(rule.column, rule.column)
        text = values.map(lambda v, lab=label, lim=limit, h=how[rule.kind], op=op:
                          f"{lab} {op} {_fmt(lim)}{h}: {_fmt(v)}")
        texts = texts.mask(hit.fillna(False), texts.where(texts.eq(""), texts + "; ") + text)
    out["rule_count"] = out.filter(like="rule_").sum(axis=1).astype(int) if rules else 0
    out["rule_flags"] = texts
    return out


def evaluate_targets(units: pd.DataFrame, targets: list[Target], labels: dict[str, str]) -> pd.DataFrame:
    """Monitoring matrix: per unit and target, *Ziel erreicht / unterschritten / überschritten*.

    A value within ``target ± tolerance`` has reached the target; below it is *unterschritten*,
    above it *überschritten*. ``on_track`` says whether the deviation is in the good direction
    (``better = "lower"``: unterschritten is good).
    """
    rows = []
    for t in targets:
        if t.column not in units:
            raise InputDataError(f"flag.targets: column {t.column!r} is not loaded")
        v = units[t.column].astype("float64")
        status = np.select([v < t.target - t.tolerance, v > t.target + t.tolerance],
                           ["Ziel unterschritten", "Ziel überschritten"], "Ziel erreicht")
        status = pd.Series(status, index=units.index).where(v.notna(), "keine Daten")
        good = "Ziel unterschritten" if t.better == "lower" else "Ziel überschritten"
        rows.append(pd.DataFrame({
            "unit_id": units["unit_id"], "indicator": t.column,
            "label": labels.get(t.column, t.column), "value": v, "target": t.target,
            "tolerance": t.tolerance, "status": status,
            "on_track": status.isin(["Ziel erreicht", good]) & v.notna(),
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# ------------------------------------------------------------------------------------ clustering


@dataclass
class ClusterResult:
    """Exploratory clustering: labels per method, the chosen k, quality and stability."""

    labels: pd.DataFrame
    profiles: pd.DataFrame
    names: dict[int, str]
    metrics: dict[str, float] = field(default_factory=dict)
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)


def queen_adjacency(geoms: np.ndarray, rook: bool = False) -> csr_matrix:
    """Queen contiguity (units that share an edge or a corner) as a symmetric sparse 0/1
    matrix; with ``rook=True`` only units whose boundaries share a line (DE-9IM
    ``****1****``), so that dissolving connected units gives one polygon.

    Built with shapely's STRtree (``intersects``), vectorised: on Berlin's 542 Planungsräume the
    Queen graph equals libpysal's ``Queen`` (3,238 links) and takes 0.05 s instead of 0.8 s; 146
    of its 1,619 pairs touch only at a corner, which the rook graph leaves out.
    """
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if rook:
        edge = shapely.relate_pattern(geoms[i], geoms[j], "****1****")
        i, j = i[edge], j[edge]
    return coo_matrix((np.ones(2 * len(i)), (np.r_[i, j], np.r_[j, i])),
                      shape=(len(geoms), len(geoms))).tocsr()


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
        regions = "Ward mit Nachbarschaft (zusammenhängend)"
    else:
        regions = (f"nicht berechnet: {len(xs):,} Einheiten > {REGIONS_CAP:,} (Ward mit "
                   "Nachbarschaft braucht quadratische Zeit); region = -1")

    ari = []
    base = km.predict(xsub)
    for _ in range(n_bootstrap):
        draw = rng.integers(0, len(xsub), len(xsub))
        boot = KMeans(n_clusters=k_km, n_init=3, random_state=cfg.seed).fit(xsub[draw])
        ari.append(adjusted_rand_score(base, boot.predict(xsub)))
    sub = units.loc[complete]
    z = pd.DataFrame(xs, index=sub.index, columns=cols)
    profiles, names = cluster_profile(z, pd.Series(km.labels_, index=sub.index), labels_map)
    metrics = {"k_kmeans": k_km, "k_ward": k_ward, "k_gmm": k_gmm,
               "silhouette_kmeans": float(sel["kmeans_silhouette"].max()),
               "stability_ari_mean": float(np.mean(ari)), "stability_ari_min": float(np.min(ari)),
               "n_clustered": int(complete.sum()), "n_not_clustered": int((~complete).sum()),
               "n_islands": int((np.diff(connectivity.indptr) == 0).sum()),
               "sample": (f"k gewählt auf einer Stichprobe von {SAMPLE_CAP:,} Einheiten "
                          f"(seed {cfg.seed})" if sampled else "alle Einheiten"),
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


# ------------------------------------------------------------------------------------- hot spots


def gi_input(y: np.ndarray) -> np.ndarray:
    """``y`` standardised and shifted so that its smallest value is 1: the form in which esda's
    Getis-Ord Gi* is right.

    esda computes ``G*_i = Σ_j w_ij y_j / Σ_j y_j`` and its z-value as
    ``sign(ȳ) · (Σ_j w_ij y_j − c_i ȳ) / (s · √(c_i (n − c_i) / (n − 1)))``: on a variable with
    mean 0 (a z-score index sums to ±1e-15) the sign of every z — hot or cold — is rounding noise,
    and on a negative mean hot and cold swap. With all values positive the sign is right, and
    z and the permutation p-values do not change under ``y → a·y + b`` (a > 0), so labels are the
    same for the index and the index + 1000.
    """
    sd = y.std()
    z = (y - y.mean()) / (sd if sd > 0 else 1.0)
    return z - z.min() + 1.0


def lisa_p_norm(z: np.ndarray, rows: csr_matrix, positions: np.ndarray | None = None,
                m2: float | None = None) -> np.ndarray:
    """One-sided p-values of Local Moran's I (row-standardised weights) from its analytic moments
    under conditional randomisation — the null the permutations sample from (Sokal et al. 1998,
    eqs. A7/A8; esda's ``Moran_Local.EIc``/``VIc``).

    ``I_i = z_i Σ_j w_ij z_j / m2`` (``m2 = Σz²/n``), ``E[I_i] = −z_i² / ((n − 1) m2)``,
    ``Var[I_i] = (z_i/m2)² · n/(n − 2) · (1/k_i − 1/(n − 1)) · (m2 − z_i²/(n − 1))``,
    ``p = 1 − Φ(|I_i − E| / √Var)``. ``rows`` is the contiguity of all ``n`` units, or (with
    ``positions``) the rows of some of them against all ``n`` (a Dask tile); ``m2`` may be given
    when computed once for all tiles.
    """
    n = len(z)
    zi = z if positions is None else z[positions]
    m2 = (z * z).sum() / n if m2 is None else m2
    k = np.diff(rows.indptr).astype("float64")
    stat = zi * (rows @ z) / k / m2
    expect = -(zi ** 2) / ((n - 1) * m2)
    var = (zi / m2) ** 2 * n / (n - 2) * (1.0 / k - 1.0 / (n - 1)) * (m2 - zi ** 2 / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        zz = np.where(var > 0, (stat - expect) / np.sqrt(var), 0.0)
    return scipy.stats.norm.sf(np.abs(zz))


def getis_ord_z(esda_z: np.ndarray, cardinality: np.ndarray, n: int) -> np.ndarray:
    """The Getis-Ord z of Gi* with row-standardised weights from esda's z-value.

    esda's ``G_Local`` z uses ``Var(G*_i) = S1 (n − S1) / ((n − 1) n²) · s²/ȳ²`` with ``S1 = Σ_j
    w_ij``, which holds for binary weights (where ``Σ w² = Σ w``); with row-standardised weights
    (``S1 = 1``, ``S2 = Σ w² = 1/(k_i + 1)``) the variance is ``(n S2 − S1²)/(n − 1) · s²/(n ȳ)²``,
    and esda's z is too small by ``√((k_i + 1)(n − 1)/(n − k_i − 1))`` (≈ 3 for a queen grid).
    The result equals the z of the binary Gi* (a z-value does not change when a unit's weights
    are scaled), so ``|z| > 1.96`` means what analysts read it to mean."""
    k1 = cardinality.astype("float64") + 1.0
    return esda_z * np.sqrt(k1 * (n - 1) / (n - k1))


def gi_conditional_z(esda_z: np.ndarray, y: np.ndarray, cardinality: np.ndarray) -> np.ndarray:
    """z of Gi* under conditional randomisation — the null the permutations sample from: the
    unit's own value fixed, its ``k`` neighbours drawn without replacement from the other
    ``n − 1`` units.

    ``S_i = Σ_{j ∈ N(i)} y_j`` (recovered from esda's z and ``G*_i = (S_i + y_i) / ((k + 1) Σy)``),
    ``E[S_i] = k μ₋ᵢ``, ``Var[S_i] = k σ²₋ᵢ (n − 1 − k) / (n − 2)`` with ``μ₋ᵢ``, ``σ²₋ᵢ`` the mean
    and (population) variance of the other units. Unlike the Getis-Ord z, a lone extreme unit
    with ordinary neighbours is not significant: its own value is not evidence of a cluster
    (the permutation p-values agree). ``y`` is the Gi* input (:func:`gi_input`)."""
    n = len(y)
    k = cardinality.astype("float64")
    total, squares = y.sum(), (y ** 2).sum()
    mean = total / n
    stat = 1.0 / n + esda_z * np.sqrt((squares / n - mean ** 2) / (n ** 2 * mean ** 2))
    neighbours = stat * (k + 1) * total - y
    mean_other = (total - y) / (n - 1)
    var_other = (squares - y ** 2) / (n - 1) - mean_other ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (neighbours - k * mean_other) / np.sqrt(k * var_other * (n - 1 - k) / (n - 2))
    return np.where(np.isfinite(z), z, 0.0)


def p_basis(n: int, mode: str) -> str:
    """Which p-values label hot spots: ``"permutation"`` (pseudo p-values) or ``"analytic"``
    (normal approximation). ``auto`` takes the analytic ones above
    :data:`PERMUTATION_LABELS_MAX` tested units: with 999 permutations no pseudo p-value is
    below 0.001, and the FDR over n tests rejects only when more than ``n · 0.001 / fdr`` units
    share that floor (1,916 of Germany's 95,813 tested 1 km cells; 1,577 did), so at census
    scale FDR on pseudo p-values finds nothing however strong the pattern."""
    if mode != "auto":
        return mode
    return "analytic" if n > PERMUTATION_LABELS_MAX else "permutation"


def hot_spots(
    units: gpd.GeoDataFrame, column: str, valid: pd.Series, permutations: int = 999,
    fdr: float = 0.05, seed: int = 42, adjacency: csr_matrix | None = None,
    p_mode: str = "auto",
) -> pd.DataFrame:
    """Local Moran's I and Getis-Ord Gi* on ``column``, with a false-discovery-rate cut.

    Queen contiguity among the valid units (``adjacency`` of all units, or computed). Units
    without a neighbour (islands) and unscored units are labelled, not tested. The statistics and
    pseudo p-values are esda's (same seed, same p-values), computed by
    :mod:`quartier.localstats` in vectorised blocks. Labels use the pseudo p-values, or above
    :data:`PERMUTATION_LABELS_MAX` tested units the analytic ones (see :func:`p_basis`;
    ``p_mode`` "permutation"/"analytic" forces one). Returns ``hotspot`` ("Hot Spot",
    "Cold Spot", "–"), ``lisa`` (quadrant if significant), ``gi_z`` (analytic), ``gi_p`` and
    ``lisa_p`` (the p-values the labels use), ``gi_p_sim``, ``lisa_p_sim`` (pseudo),
    ``gi_p_norm``, ``lisa_p_norm`` (analytic), ``lisa_i``, ``n_neighbours``, ``p_basis``.
    """
    out = pd.DataFrame({"hotspot": "nicht bewertet", "lisa": "", "gi_z": np.nan, "gi_p": np.nan,
                        "lisa_i": np.nan, "lisa_p": np.nan, "gi_p_sim": np.nan,
                        "lisa_p_sim": np.nan, "gi_p_norm": np.nan, "lisa_p_norm": np.nan,
                        "n_neighbours": 0, "p_basis": ""}, index=units.index)
    mask = valid.to_numpy(dtype=bool)
    y = units.loc[valid, column].to_numpy(dtype="float64")
    if not np.isfinite(y).all():
        raise InputDataError(f"hot spots: {column!r} has missing values among valid units")
    if adjacency is None:
        adjacency = queen_adjacency(units.geometry.values)
    rows = np.flatnonzero(mask)
    a = adjacency[rows][:, rows]
    card = np.diff(a.indptr)
    out.loc[valid, "n_neighbours"] = card
    has_nb = card > 0
    if has_nb.sum() < 3:
        out.loc[valid, "hotspot"] = "keine Nachbarn"
        return out
    index = units.index[rows]
    if not has_nb.all():
        # islands have no local statistic; test the connected rest
        keep = np.flatnonzero(has_nb)
        out.loc[index[~has_nb], "hotspot"] = "keine Nachbarn (Insel)"
        a, y, index = a[keep][:, keep], y[keep], index[keep]
    lisa = local_moran(y, a, permutations, seed)
    g = gi_input(y)
    gi = getis_ord_star(g, a, permutations, seed)
    spots = spot_columns(gi.extra, gi.p_sim, g, np.diff(a.indptr), lisa.stat, lisa.p_sim,
                         lisa.extra, lisa_p_norm((y - y.mean()) / y.std(), a), permutations,
                         p_mode, fdr)
    for column, values in spots.items():
        out.loc[index, column] = values
    return out


def spot_columns(gi_esda_z: np.ndarray, gi_p_sim: np.ndarray, gi_y: np.ndarray,
                 cardinality: np.ndarray, lisa_i: np.ndarray, lisa_p_sim: np.ndarray,
                 quadrant: np.ndarray, lisa_norm: np.ndarray, permutations: int, p_mode: str,
                 fdr: float) -> dict[str, np.ndarray | str]:
    """The hot-spot columns of the tested units from their statistics (one machine and Dask
    tiles alike): the Getis-Ord z, the analytic p-values (Gi* under conditional
    randomisation), the basis of :func:`p_basis`, and the labels of :func:`hotspot_labels`."""
    n = len(gi_y)
    gi_z = getis_ord_z(gi_esda_z, cardinality, n)
    gi_cond = gi_conditional_z(gi_esda_z, gi_y, cardinality)
    gi_norm = scipy.stats.norm.sf(np.abs(gi_cond))
    basis = p_basis(n, p_mode) if permutations else "analytic"
    if basis == "permutation":
        gi_p, lisa_p, direction = gi_p_sim, lisa_p_sim, None
    else:
        gi_p, lisa_p, direction = gi_norm, lisa_norm, gi_cond
    # conditional randomisation draws a unit's k neighbours from the n − 1 others: with few
    # units there are only C(n − 1, k) distinct draws and the p-values mean nothing
    sets = scipy.special.comb(n - 1, cardinality)
    few_sets = sets < max(permutations, MIN_NULL_SETS)
    testable = ~few_sets & (n >= MIN_HOTSPOT_UNITS)
    hot = np.full(n, NOT_TESTABLE, dtype=object)
    names = np.full(n, "", dtype=object)
    if testable.any():
        hot[testable], names[testable] = hotspot_labels(
            gi_z[testable], gi_p[testable], quadrant[testable], lisa_p[testable], fdr,
            None if direction is None else direction[testable])
    label = "Permutation" if basis == "permutation" else "analytisch (Normalapproximation)"
    why = np.full(n, label, dtype=object)
    if not testable.all():
        small = f"nur {n} Einheiten mit Nachbarn (mindestens {MIN_HOTSPOT_UNITS})"
        for i in np.flatnonzero(~testable):
            parts = [small] if n < MIN_HOTSPOT_UNITS else []
            if few_sets[i]:
                parts.append(f"nur {int(sets[i]):,} mögliche Nachbarmengen bei "
                             f"{max(permutations, MIN_NULL_SETS)} Permutationen".replace(",", "."))
            why[i] = f"{NOT_TESTABLE}: {'; '.join(parts)}"
    return {"hotspot": hot, "lisa": names, "gi_z": gi_z,
            "gi_p": np.where(testable, gi_p, np.nan), "gi_p_sim": gi_p_sim,
            "gi_p_norm": gi_norm, "lisa_i": lisa_i, "lisa_p": np.where(testable, lisa_p, np.nan),
            "lisa_p_sim": lisa_p_sim, "lisa_p_norm": lisa_norm, "p_basis": why}


def hotspot_labels(gi_z: np.ndarray, gi_p: np.ndarray, quadrant: np.ndarray, lisa_p: np.ndarray,
                   fdr: float, neighbours_z: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Hot/Cold Spot by the sign of the Gi* z where its p passes the FDR cut (esda's
    Benjamini-Hochberg ``fdr``), and the LISA quadrant name where the Moran p passes its cut.
    With ``neighbours_z`` (:func:`gi_conditional_z`) a spot also needs neighbours on the same
    side: a high unit amid low neighbours is an outlier (LISA "Hoch-Niedrig"), not a Hot Spot."""
    sig_gi = gi_p <= esda.fdr(gi_p, fdr)
    if neighbours_z is not None:
        sig_gi = sig_gi & (np.sign(neighbours_z) == np.sign(gi_z))
    sig_lisa = lisa_p <= esda.fdr(lisa_p, fdr)
    hot = np.where(sig_gi & (gi_z > 0), "Hot Spot", np.where(sig_gi & (gi_z < 0), "Cold Spot", "–"))
    names = np.where(sig_lisa, pd.Series(quadrant).map(MORAN_QUADRANTS).to_numpy(dtype=object), "")
    return hot, names


# ------------------------------------------------------------------------------------- screening


def screen_single_facilities(
    units: pd.DataFrame, index: pd.DataFrame, population_column: str | None, cfg: FlagConfig,
    labels: dict[str, str],
) -> pd.Series:
    """Units that one institution (shelter, care home) may dominate.

    Rule: fewer than ``single_facility_max_population`` inhabitants **and** an index indicator
    with ``|z| ≥ single_facility_min_abs_z``. A few hundred residents of whom a shelter houses many
    push shares to extremes and can flip a class; such units are listed for a manual check, not
    removed from the official index. Returns the screening text ("" when not touched).
    """
    if population_column is None:
        return pd.Series("", index=units.index, dtype="string")
    pop = units[population_column]
    zcols = [c for c in index.columns if c.startswith("z_")]
    out = pd.Series("", index=units.index, dtype="string")
    small = pop.lt(cfg.single_facility_max_population) & index["valid"]
    for c in zcols:
        extreme = small & index[c].abs().ge(cfg.single_facility_min_abs_z)
        name = labels.get(c[2:], c[2:])
        text = (f"Einzeleinrichtung prüfen: {name} z=" + index[c].map(lambda v: _fmt(v))
                + " bei " + pop.fillna(0).astype(int).astype(str) + " Einwohnern")
        out = out.mask(extreme, out.where(out.eq(""), out + "; ") + text)
    return out


# -------------------------------------------------------------------------------------- priority


def _num(values: pd.Series, digits: int) -> pd.Series:
    """German number text ("1,5") of every value; "" where missing."""
    text = values.map(lambda v: _fmt(v, digits), na_action="ignore")
    return text.astype("string").fillna("")


def _join(parts: list[pd.Series]) -> pd.Series:
    """Join the non-empty texts of each row with "; "."""
    out = parts[0]
    for part in parts[1:]:
        out = out + ("; " + part).where(part.ne("") & out.ne(""), part)
    return out


def reasons_text(table: pd.DataFrame, labels: dict[str, str]) -> pd.Series:
    """The reasons of every unit in words, built column-wise (a row-wise apply takes 10 s on a
    census grid): status class and index; each indicator at least 1 SD from the mean; the
    dynamics class; a Gi* Hot/Cold Spot with its neighbours; the threshold rules; screening.
    Unscored units say why they are not scored."""
    empty = pd.Series("", index=table.index, dtype="string")

    def text(column: str) -> pd.Series:
        return table[column].astype("string").fillna("") if column in table else empty

    parts = [("Status " + text("status_class") + " (Index " + _num(table["status_index"], 2)
              + ")").where(table["status_index"].notna(), "")]
    for c in [c for c in table.columns if c.startswith("z_")]:
        v = table[c]
        side = pd.Series(np.where(v > 0, "über", "unter"), index=table.index, dtype="string")
        parts.append((f"{labels.get(c[2:], c[2:])} " + _num(v.abs(), 1) + " SD " + side
                      + " dem Mittel").where(v.abs().ge(1).fillna(False), ""))
    if "dynamics_class" in table:
        parts.append(("Dynamik " + text("dynamics_class") + " (Index "
                      + _num(table["dynamics_index"], 2) + ")").where(
                          table["dynamics_class"].notna(), ""))
    if "hotspot" in table:
        spot = table["hotspot"].isin(["Hot Spot", "Cold Spot"])
        parts.append((text("hotspot") + " (Gi*, " + text("n_neighbours") + " Nachbarn)").where(
            spot, ""))
    rules = text("rule_flags")
    parts.append(("Grenzwert: " + rules).where(rules.ne(""), ""))
    parts.append(text("screening"))
    scored = _join(parts)
    return scored.where(table["valid"].astype(bool),
                        "nicht bewertet: " + text("invalid_reason"))


def priority(table: pd.DataFrame, labels: dict[str, str], p: PriorityConfig,
             status_labels: list[str], dynamics_labels: list[str] | None = None) -> pd.DataFrame:
    """``priority_score``, a unique ``priority_rank`` (1 = most urgent; ties broken by the
    status index, then the unit id), ``flagged`` with ``flag_reason``, and ``reasons`` in words.

    ``priority_score = w_s · status_index + w_d · dynamics_index + w_h · [Hot Spot]
    + w_r · rule_count`` with the weights of ``[priority]`` (see the module docstring). A unit is
    flagged when any configured criterion holds: its status class is one of ``flag_classes``
    (default: the two lowest classes), it hits ``flag_min_rules`` threshold rules, or it is among
    the ``flag_top_pct`` % highest scores, or (``flag_attention``) it is one of MSS's *Gebiete mit
    besonderem Aufmerksamkeitsbedarf* (:func:`quartier.dynamics.attention`).
    """
    dyn = table["dynamics_index"].fillna(0) if "dynamics_index" in table else 0.0
    score = (p.status_weight * table["status_index"] + p.dynamics_weight * dyn
             + p.hotspot_weight * table["hotspot"].eq("Hot Spot")
             + p.rule_weight * table["rule_count"])
    score = score.where(table["valid"])
    order = pd.DataFrame({"s": score, "i": table["status_index"], "u": table["unit_id"]})
    order = order[order["s"].notna()].sort_values(["s", "i", "u"], ascending=[False, False, True])
    rank = pd.Series(pd.NA, index=table.index, dtype="Int64")
    rank[order.index] = np.arange(1, len(order) + 1)
    problem = flag_class_problem(p.flag_classes, status_labels)
    if problem:
        raise ConfigError(problem)
    classes = p.flag_classes if p.flag_classes is not None else status_labels[-2:]
    why = pd.Series("", index=table.index, dtype="string")

    def add(hit: pd.Series, text: pd.Series | str) -> pd.Series:
        return why.mask(hit, why.where(why.eq(""), why + "; ") + text)

    status = table["status_class"].astype("string")
    by_class = status.isin(classes).fillna(False) & table["valid"]
    why = add(by_class, "Status " + status.fillna(""))
    if p.flag_attention:
        hit, text = dynamics_mod.attention(status, table["dynamics_class"],
                                           status_labels=status_labels,
                                           dynamics_labels=dynamics_labels or [])
        # a unit flagged by its class already says so: no second "Status niedrig"
        hit = hit & table["valid"] & ~by_class
        why = add(hit, text)
    if p.flag_min_rules is not None:
        many = table["rule_count"].ge(p.flag_min_rules) & table["valid"]
        why = add(many, table["rule_count"].astype(str) + f" Grenzwerte (≥ {p.flag_min_rules})")
    if p.flag_top_pct is not None:
        top = rank.le(np.ceil(len(order) * p.flag_top_pct / 100)).fillna(False).astype(bool)
        why = add(top, f"Priorität unter den oberen {p.flag_top_pct:g} %")
    flagged = why.ne("")
    reasons = reasons_text(table, labels)
    return pd.DataFrame({"priority_score": score, "priority_rank": rank, "flagged": flagged,
                         "flag_reason": why, "reasons": reasons})


def index_warnings(units: gpd.GeoDataFrame, columns: list[str], units_of: dict[str, str],
                   labels: dict[str, str], population: str | None) -> list[str]:
    """What makes an index misleading: a count among its indicators (it measures a quarter's
    size, not its need), and values repeated for the units of a coarser area (neighbours made
    alike: hot spots and clusters are inflated)."""
    pop = units[population] if population and population in units else None
    out = []
    for c in columns:
        if c in units and looks_like_count(c, units[c], units_of.get(c, ""), pop):
            out.append(f"Index-Indikator {labels.get(c, c)!r} ist eine Anzahl, kein Anteil: er "
                       "misst die Größe eines Quartiers, nicht seinen Bedarf — besser ein Anteil "
                       "([[derive]] ratio mit der Einwohnerzahl)")
    present = [c for c in columns if c in units]
    groups = repeated_values(units[present], units["unit_id"], units.geometry)
    if groups:
        n = sum(len(g) for g in groups)
        out.append(f"{n} Einheiten tragen dieselben Werte aller Index-Indikatoren wie ein "
                   f"Nachbar ({rows_preview(['='.join(g[:3]) for g in groups], 4)}): Werte "
                   "einer gröberen Ebene? Wiederholte Werte machen Nachbarn gleich und blähen "
                   "Hot Spots und Cluster auf")
    return out


@dataclass
class FlagResult:
    """Everything `quartier flag` produces."""

    table: gpd.GeoDataFrame
    clusters: ClusterResult | None
    targets: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    areas: AreasResult | None = None   # where the config has [areas]


def base_levels(units: pd.DataFrame, cfg: IndexConfig, series: pd.DataFrame | None
                ) -> pd.DataFrame | None:
    """The level at the start of the period of every dynamics indicator (one column per
    indicator name): the ``base`` column, the series at ``base_year``, or ``level − change`` with
    the level column of ``dynamics_levels``. None when one is unknown."""
    out = pd.DataFrame(index=units.index)
    for ref in cfg.dynamics:
        if ref.base is not None:
            out[ref.name] = units[ref.base].astype("float64")
        elif ref.series is not None and series is not None:
            sel = series[(series["indicator"] == ref.series) & (series["year"] == ref.base_year)]
            out[ref.name] = units["unit_id"].map(sel.set_index("unit_id")["value"]).astype("float64")
        elif ref.name in cfg.dynamics_levels:
            level = cfg.dynamics_levels[ref.name]
            if level not in units:
                raise InputDataError(f"index.dynamics_levels: {level!r} is not a loaded column")
            out[ref.name] = (units[level].astype("float64") - units[ref.name].astype("float64"))
        else:
            return None
    return out


def adjust_dynamics(units: pd.DataFrame, idx: pd.DataFrame, cfg: IndexConfig,
                    series: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """The residual dynamics next to the percentage points (:mod:`quartier.dynamics`), where the
    base level of every dynamics indicator is known: ``dynamics_index_adjusted``,
    ``dynamics_class_adjusted``, ``dynamics_sign_flip``; with ``dynamics_method = "residual"``
    they become the dynamics index (the pp reading stays in ``dynamics_index_pp``,
    ``dynamics_class_pp``). Returns the index table and notes."""
    if not cfg.dynamics:
        return idx, []
    bases = base_levels(units, cfg, series)
    if bases is None:
        if cfg.dynamics_method == "residual":
            missing = [r.name for r in cfg.dynamics if r.base is None and r.series is None
                       and r.name not in cfg.dynamics_levels]
            raise InputDataError(f"index.dynamics_method = 'residual' needs the base level of "
                                 f"{missing}: name their level columns in index.dynamics_levels")
        return idx, []
    names = [r.name for r in cfg.dynamics]
    try:
        adj = dynamics_mod.adjusted_dynamics(
            units[names], bases, idx["valid"], weights=[r.weight * r.sign for r in cfg.dynamics],
            thresholds=cfg.dynamics_thresholds, labels=cfg.dynamics_labels, ddof=cfg.ddof,
            method=cfg.dynamics_fit)
    except InputDataError as exc:
        if cfg.dynamics_method == "residual":
            raise
        # asked for pp: the residual reading is an extra, and why it is absent is said
        return idx, [f"bereinigte Dynamik nicht berechnet: {exc}"]
    idx = idx.join(adj.table)
    flip = np.sign(idx["dynamics_index"]) != np.sign(idx["dynamics_index_adjusted"])
    idx["dynamics_sign_flip"] = flip.where(idx["valid"]).astype("boolean")
    share = dynamics_mod.sign_flip_share(idx["dynamics_index"], idx["dynamics_index_adjusted"])
    slopes = ", ".join(f"{r.indicator} {r.slope:+.3f}".replace(".", ",").replace("-", "−")
                       for r in adj.fits.itertuples())
    official = cfg.dynamics_method == "pp"
    notes = [f"Dynamik {'in Prozentpunkten (amtlich); bereinigt' if official else 'bereinigt'} um "
             f"die vom Ausgangsniveau erwartete Veränderung ({dynamics_mod.FIT_NAMES[adj.method]}, "
             f"Steigung in Prozentpunkten je Prozentpunkt Ausgangsniveau: {slopes}): bei "
             f"{_fmt(100 * share)} % der "
             "bewerteten Einheiten kehrt sich das Vorzeichen des Dynamik-Index um"
             + ("" if official else "; die bereinigte Dynamik ist der Dynamik-Index (die "
                "Prozentpunkte in dynamics_index_pp)")]
    if not official:
        idx["dynamics_index_pp"] = idx["dynamics_index"]
        idx["dynamics_class_pp"] = idx["dynamics_class"]
        idx["dynamics_index"] = idx["dynamics_index_adjusted"]
        idx["dynamics_class"] = idx["dynamics_class_adjusted"]
        idx["dynamics_sum"] = idx["dynamics_sum_adjusted"]
        for name in names:
            idx[f"z_{name}"] = idx[f"zresid_{name}"]
        dyn_n = idx["dynamics_class"].map({lab: i for i, lab in enumerate(cfg.dynamics_labels)})
        signs = {i: DYNAMICS_SIGNS.get(i, str(i + 1)) for i in range(len(cfg.dynamics_labels))}
        idx["status_dynamics"] = (idx["status_class_n"].astype("string")
                                  + dyn_n.map(signs).astype("string")).where(idx["valid"])
    return idx, notes


PRIORITY_COLUMNS = ["unit_id", "unit_name", "status_index", "status_class", "dynamics_index",
                    "dynamics_class", "rule_flags", "cluster", "hotspot", "priority_rank", "reasons",
                    "flagged"]


def flag_units(units: gpd.GeoDataFrame, cfg: QuartierConfig, series: pd.DataFrame | None = None
               ) -> FlagResult:
    """Index, thresholds, clusters, hot spots, screening and priority for every unit.

    ``series`` is the long monitoring table, needed when an index indicator is the change of a
    series between two years. Returns a GeoDataFrame with the contract columns of
    ``priority.csv`` first (:data:`PRIORITY_COLUMNS`), then the details (indicator values,
    z-values, cluster names, Gi*, LISA, screening).
    """
    if cfg.index is None:
        raise InputDataError("the config has no [index] section: nothing to flag")
    units, labels = add_changes(units, cfg.index, cfg.labels(), series)
    idx = compute_index(units, cfg.index, cfg.population_column)
    idx, dynamics_notes = adjust_dynamics(units, idx, cfg.index, series)
    if "dynamics_index" not in idx:
        idx["dynamics_index"] = np.nan
        idx["dynamics_class"] = pd.Series(pd.NA, index=idx.index, dtype="string")
    rules = apply_thresholds(units, cfg.flag.thresholds, labels)
    notes = [n for n in idx["notes"].unique() if n] + dynamics_notes
    notes += index_warnings(units, [r.name for r in cfg.index.status], cfg.units_of(), labels,
                            cfg.population_column)
    # one contiguity graph for hot spots and contiguous regions
    adjacency = queen_adjacency(units.geometry.values)
    spots = hot_spots(units.assign(status_index=idx["status_index"]), "status_index", idx["valid"],
                      cfg.flag.permutations, cfg.flag.fdr, cfg.flag.seed, adjacency,
                      cfg.flag.hotspot_p)
    tested = spots["p_basis"].str.startswith("analytisch").fillna(False)
    if tested.any():
        notes.append(f"Hot Spots und LISA nach analytischen p-Werten (Normalapproximation, "
                     f"{int(tested.sum()):,} getestete Einheiten): {cfg.flag.permutations} "
                     "Permutationen sind für den FDR-Schnitt zu grob (Spalten *_p_sim: "
                     "Permutations-p-Werte)")
    untested = spots["hotspot"].eq(NOT_TESTABLE)
    untested_note = ""
    if untested.any():
        reasons = spots.loc[untested, "p_basis"].str.removeprefix(f"{NOT_TESTABLE}: ")
        untested_note = (f"kein Hot-Spot-Test möglich für {int(untested.sum()):,} Einheiten "
                         f"({'; '.join(reasons.value_counts().index[:3])}): sie sind weder Hot "
                         "noch Cold Spot")
        notes.append(untested_note)
    clusters = None
    if cfg.flag.cluster_columns:
        clusters = explore_clusters(units, cfg.flag, labels, adjacency=adjacency)
        cl = clusters.labels
        if clusters.metrics["regions"].startswith("nicht berechnet"):
            notes.append(f"Regionen {clusters.metrics['regions']}")
        cl["cluster_name"] = cl["cluster"].map(clusters.names).fillna("nicht geclustert")
    else:
        cl = pd.DataFrame({"cluster": -1, "cluster_name": "nicht geclustert"}, index=units.index)
    screening = screen_single_facilities(units, idx, cfg.population_column, cfg.flag, labels)
    values = list(dict.fromkeys(r.name for r in [*cfg.index.status, *cfg.index.dynamics]))
    table = pd.concat([units[["unit_id", "unit_name", *values]], idx, rules, spots, cl,
                       screening.rename("screening")], axis=1)
    if untested_note:
        table["notes"] = table["notes"].astype("string").mask(
            untested, table["notes"].astype("string").where(table["notes"].eq(""), table["notes"]
                                                            + "; ") + untested_note)
    status_labels = list(cfg.index.status_labels)
    table = table.join(priority(table, labels, cfg.priority, status_labels,
                                list(cfg.index.dynamics_labels)))
    extra = [c for c in table.columns if c not in PRIORITY_COLUMNS]
    ordered = table[PRIORITY_COLUMNS + extra]
    gdf = gpd.GeoDataFrame(ordered, geometry=units.geometry, crs=units.crs)
    targets = evaluate_targets(units, cfg.flag.targets, labels)
    if cfg.population_column is None:
        notes.append("Screening auf Einzeleinrichtungen nicht möglich: keine Einwohnerspalte "
                      "(population_column)")
    return FlagResult(table=gdf.sort_values("priority_rank", na_position="last"), clusters=clusters,
                      targets=targets, notes=notes)

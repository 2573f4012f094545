"""Hot and cold spots of an index: Getis-Ord Gi* and Local Moran's I with conditional
randomisation, false-discovery-rate labels, and the analytic basis above many units."""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.special
import scipy.stats
from scipy.sparse import csr_matrix

from quartier import vocab
from quartier.analysis.graph import queen_adjacency
from quartier.analysis.localstats import getis_ord_star, local_moran
from quartier.errors import InputDataError, require_columns
from quartier.vocab import HotSpot, Lisa, PBasis

#: Above this many tested units, hot-spot labels use analytic p-values (see p_basis).
PERMUTATION_LABELS_MAX = 10_000

#: Below this many units with neighbours no hot-spot test is made (said, nothing labelled).
MIN_HOTSPOT_UNITS = 10

#: A unit is tested only when its neighbours can be drawn in at least this many ways (and in
#: at least as many as there are permutations): with 4 units the null has 3 values.
MIN_NULL_SETS = 99

#: The hot-spot label of a unit that cannot be tested (p_basis says why).
NOT_TESTABLE = HotSpot.NOT_TESTABLE

#: Hot-spot labels from Local Moran's I quadrants (1 HH, 2 LH, 3 LL, 4 HL).
MORAN_QUADRANTS = {1: Lisa.HIGH_HIGH, 2: Lisa.LOW_HIGH, 3: Lisa.LOW_LOW, 4: Lisa.HIGH_LOW}


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
    units: gpd.GeoDataFrame, column: str, *, valid: pd.Series | None = None,
    permutations: int = 999, fdr: float = 0.05, seed: int = 42,
    adjacency: csr_matrix | None = None, p_mode: str = "auto",
) -> pd.DataFrame:
    """Local Moran's I and Getis-Ord Gi* on ``column``, with a false-discovery-rate cut.

    Neighbours are queen-contiguous valid units (``w_ij = 1`` if units i and j share a boundary
    point). Getis-Ord ``G*_i = Σ_j w_ij y_j / Σ_j y_j`` (j including i) and Local Moran's
    ``I_i = z_i Σ_j w_ij z_j / m2`` are tested by conditional randomisation: ``permutations``
    draws of the unit's k neighbours from the other n − 1 values give the pseudo p-value
    ``(1 + #{draws at least as extreme}) / (1 + permutations)``. Labels use the pseudo
    p-values, or above :data:`PERMUTATION_LABELS_MAX` tested units the analytic ones (see
    :func:`p_basis`), and a Benjamini–Hochberg false-discovery-rate cut at ``fdr``. The
    statistics and pseudo p-values are esda's (same seed, same values), computed in vectorised
    blocks by :mod:`quartier.analysis.localstats`.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The units (polygons, any CRS: only their adjacency is used).
    column : str
        The numeric column to test (e.g. ``status_index``).
    valid : pandas.Series of bool, optional
        The units to test; default: the units where ``column`` is not missing. Unscored units
        and units without a valid neighbour (islands) are labelled, not tested.
    permutations : int, default 999
        Conditional randomisation draws (0: analytic p-values only).
    fdr : float, default 0.05
        False discovery rate of the label cut.
    seed : int, default 42
        Random seed of the draws (same seed, same labels).
    adjacency : scipy.sparse.csr_matrix, optional
        Queen adjacency of all units (n × n), if already computed.
    p_mode : {"auto", "permutation", "analytic"}, default "auto"
        Which p-values the labels use.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``units``: ``hotspot`` ("Hot Spot", "Cold Spot", "–", or why a unit was
        not tested), ``lisa`` (quadrant if significant), ``gi_z`` (analytic z), ``gi_p`` and
        ``lisa_p`` (the p-values the labels use), ``gi_p_sim``, ``lisa_p_sim`` (pseudo),
        ``gi_p_norm``, ``lisa_p_norm`` (analytic), ``lisa_i``, ``n_neighbours``, ``p_basis``.

    Raises
    ------
    InputDataError
        If ``column`` is missing or has missing values among the valid units.

    References
    ----------
    Getis, A. and Ord, J. K. (1992): The analysis of spatial association by use of distance
    statistics. Geographical Analysis 24 (3), 189–206.
    Anselin, L. (1995): Local indicators of spatial association — LISA. Geographical Analysis
    27 (2), 93–115.

    Examples
    --------
    A 6 × 6 grid of quarters whose SGB II share rises from 5 % in the south-west (T01) to the
    north-east (T36):

    >>> from quartier.testing import tiny_city
    >>> city = tiny_city()
    >>> spots = hot_spots(city, "share_sgb2_pct", permutations=99, seed=1)
    >>> spots["hotspot"].value_counts().to_dict()
    {'–': 21, 'Cold Spot': 8, 'Hot Spot': 7}
    >>> city.loc[spots["hotspot"] == "Hot Spot", "unit_id"].tolist()
    ['T23', 'T24', 'T29', 'T30', 'T34', 'T35', 'T36']
    """
    out = pd.DataFrame({"hotspot": HotSpot.NOT_SCORED.value, "lisa": "", "gi_z": np.nan, "gi_p": np.nan,
                        "lisa_i": np.nan, "lisa_p": np.nan, "gi_p_sim": np.nan,
                        "lisa_p_sim": np.nan, "gi_p_norm": np.nan, "lisa_p_norm": np.nan,
                        "n_neighbours": 0, "p_basis": ""}, index=units.index)
    require_columns(units, [column], "units", "hot spots")
    if valid is None:
        valid = units[column].notna()
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
    label = (PBasis.PERMUTATION if basis == "permutation" else PBasis.ANALYTIC).value
    why = np.full(n, label, dtype=object)
    if not testable.all():
        small = vocab.note("hotspots.few_units", n=str(n), min=str(MIN_HOTSPOT_UNITS))
        for i in np.flatnonzero(~testable):
            parts = [small] if n < MIN_HOTSPOT_UNITS else []
            if few_sets[i]:
                parts.append(vocab.note("hotspots.few_sets", sets=int(sets[i]),
                                        permutations=int(max(permutations, MIN_NULL_SETS))))
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
    hot = np.where(sig_gi & (gi_z > 0), HotSpot.HOT.value,
                   np.where(sig_gi & (gi_z < 0), HotSpot.COLD.value, HotSpot.NONE.value))
    names = np.where(sig_lisa, pd.Series(quadrant).map(MORAN_QUADRANTS).to_numpy(dtype=object), "")
    return hot, names

"""Dynamics without the regression-to-the-mean bias, and MSS's attention rule.

**Why.** Berlin's MSS measures dynamics as the change of a share in percentage points (pp) over
two years. A share that is high moves more in pp than a low one, and a share that was high by
chance falls back towards the mean (regression to the mean): a deprived quarter whose rate falls
from 20 % to 17 % looks "improving" and sinks in a priority list, although it fell as far as its
level made expectable. On Berlin's MSS 2021 the change correlates with the level two years
before (base level) at r = +0.63 (S1 Arbeitslosigkeit, Covid-19), −0.67 (S3 Transferbezug) and
−0.40 (S4 Kinderarmut): how much a quarter changed depends on where it started.

**Adjusted change** (``index.dynamics_method = "residual"``; percentage points stay the
default, as published)::

    Δ_i   = x_i(t1) − x_i(t0)          change in pp (MSS)
    Δ̂_i   = a + b · x_i(t0)            robust line of the change on the base level,
                                        fitted over the scored units
    r_i   = Δ_i − Δ̂_i                  change beyond what the base level predicts (pp)

``r_i > 0``: the share rose more (or fell less) than in quarters that started at the same level.
The residuals replace the pp changes in the MSS method (z-standardise, weighted sum, standardise
again, classify), so the adjusted dynamics index has the same scale and classes as the official
one. The line is robust, so that a few extreme quarters do not tilt it:

* **Theil–Sen** (default): ``b = median_{i<j} (Δ_j − Δ_i) / (x_j − x_i)`` over the pairs with
  ``x_i ≠ x_j``, ``a = median_i (Δ_i − b·x_i)`` (Theil 1950; Sen 1968, *JASA* 63: 1379–1389);
  breakdown point 29 %. Above :data:`THEIL_SEN_MAX_PAIRS` pairs, a seeded random sample of
  that many pairs (the median of a sample of 2 million slopes is within a few 10⁻⁴ of all
  slopes' median for smooth data).
* **Huber** (``dynamics_fit = "huber"``): least squares with Huber's loss (ε = 1.35, 95 %
  efficiency under normal errors; scikit-learn's ``HuberRegressor`` with scale estimated
  jointly; Huber 1964; Owen 2007).

**Attention rule** (MSS's *Gebiete mit besonderem Aufmerksamkeitsbedarf*): status *niedrig* or
*sehr niedrig* (the two lowest classes), or *mittel* (the third-lowest) with dynamics *negativ*
(the worst class): :func:`attention`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quartier.analysis.indicators import classify, zscore
from quartier.errors import InputDataError

#: Above this many pairs, Theil–Sen uses a seeded random sample of pairs (memory O(pairs)).
THEIL_SEN_MAX_PAIRS = 2_000_000

FIT_NAMES = {"theil_sen": "Theil–Sen", "huber": "Huber"}


def theil_sen_line(x: np.ndarray, y: np.ndarray, *, max_pairs: int = THEIL_SEN_MAX_PAIRS,
                   seed: int = 0) -> tuple[float, float]:
    """Theil–Sen line ``y ≈ a + b·x``; returns ``(a, b)``.

    ``b`` is the median of the slopes ``(y_j − y_i) / (x_j − x_i)`` of all pairs ``i < j`` with
    ``x_i ≠ x_j`` (above ``max_pairs`` pairs: of ``max_pairs`` pairs drawn with a seeded
    generator), ``a = median(y − b·x)``. Units of ``b``: units of y per unit of x.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    n = len(x)
    if n < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputDataError("Theil–Sen: needs at least 2 finite (base level, change) pairs")
    total = n * (n - 1) // 2
    if total <= max_pairs:
        i, j = np.triu_indices(n, k=1)
    else:
        rng = np.random.default_rng(seed)
        i = rng.integers(0, n, max_pairs)
        j = rng.integers(0, n, max_pairs)
    dx = x[j] - x[i]
    keep = dx != 0
    if not keep.any():
        raise InputDataError("Theil–Sen: every base level is the same; no line can be fitted")
    b = float(np.median((y[j] - y[i])[keep] / dx[keep]))
    a = float(np.median(y - b * x))
    return a, b


def huber_line(x: np.ndarray, y: np.ndarray, *, epsilon: float = 1.35) -> tuple[float, float]:
    """Huber regression line ``y ≈ a + b·x`` (scikit-learn ``HuberRegressor``, no penalty);
    returns ``(a, b)``."""
    from sklearn.linear_model import HuberRegressor

    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if len(x) < 3 or np.ptp(x) == 0:
        raise InputDataError("Huber: needs at least 3 pairs with different base levels")
    fit = HuberRegressor(epsilon=epsilon, alpha=0.0, max_iter=1000).fit(x[:, None], y)
    return float(fit.intercept_), float(fit.coef_[0])


def residual_change(base: np.ndarray, change: np.ndarray, *, method: str = "theil_sen",
                    seed: int = 0) -> tuple[np.ndarray, float, float]:
    """The change beyond what the base level predicts: ``r = Δ − (a + b·x0)``.

    Parameters
    ----------
    base : array
        Level at the start of the period ``x(t0)`` (e.g. % of residents).
    change : array
        Change over the period ``Δ = x(t1) − x(t0)`` (percentage points).
    method : {"theil_sen", "huber"}
        The robust line (see the module docstring).

    Returns
    -------
    residual, intercept a, slope b
        The residual in percentage points, NaN where base or change is missing (the line is
        fitted on the complete pairs).
    """
    base = np.asarray(base, dtype="float64")
    change = np.asarray(change, dtype="float64")
    ok = np.isfinite(base) & np.isfinite(change)
    if method == "theil_sen":
        a, b = theil_sen_line(base[ok], change[ok], seed=seed)
    elif method == "huber":
        a, b = huber_line(base[ok], change[ok])
    else:
        raise ValueError(f"unknown fit {method!r}; use theil_sen or huber")
    out = np.full(len(base), np.nan)
    out[ok] = change[ok] - (a + b * base[ok])
    return out, a, b


def sign_flip_share(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> float:
    """Share (0–1) of the units with both values whose sign differs between ``a`` and ``b``
    (an index above the mean in one reading and below in the other). NaN when none has both."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return float("nan")
    return float((np.sign(a[ok]) != np.sign(b[ok])).mean())


@dataclass
class AdjustedDynamics:
    """The adjusted dynamics of the scored units.

    ``table`` (index of the units): ``resid_<indicator>`` (residual change, pp),
    ``zresid_<indicator>`` (its z-value), ``dynamics_sum_adjusted``, ``dynamics_index_adjusted``,
    ``dynamics_class_adjusted``; ``fits``: one row per indicator with ``intercept``, ``slope``
    (pp per % of base level), ``corr_base_change`` and ``corr_base_residual`` (Pearson r over
    the scored units), ``sign_flip_pct`` (residual vs pp change).
    """

    table: pd.DataFrame
    fits: pd.DataFrame
    method: str
    notes: list[str] = field(default_factory=list)


def adjusted_dynamics(changes: pd.DataFrame, bases: pd.DataFrame, valid: pd.Series, *,
                      weights: Sequence[float], thresholds: Sequence[float],
                      labels: Sequence[str], ddof: int = 0, method: str = "theil_sen",
                      seed: int = 0) -> AdjustedDynamics:
    """Dynamics index from residual changes, in the MSS manner.

    ``changes`` and ``bases`` hold one column per dynamics indicator (same names): the change in
    pp and the base level ``x(t0)``. For each indicator the robust line is fitted over the
    ``valid`` units, the residuals are z-standardised (``ddof``), summed with ``weights``
    (weight · sign), the sum standardised again and classified by ``thresholds``/``labels``
    (:func:`quartier.analysis.indicators.classify`). Unscored units stay NaN.
    """
    if list(changes.columns) != list(bases.columns):
        raise ValueError("changes and bases need the same columns")
    v = valid.to_numpy(dtype=bool)
    table = pd.DataFrame(index=changes.index)
    total = pd.Series(0.0, index=changes.index)
    rows = []
    for col, w in zip(changes.columns, weights, strict=True):
        d = changes[col].to_numpy(dtype="float64")
        x0 = bases[col].to_numpy(dtype="float64")
        if not np.isfinite(x0[v]).all():
            raise InputDataError(f"adjusted dynamics: the base level of {col!r} is missing for "
                                 f"{int((~np.isfinite(x0[v])).sum())} scored unit(s)")
        r = np.full(len(d), np.nan)
        r_valid, a, b = residual_change(x0[v], d[v], method=method, seed=seed)
        r[v] = r_valid
        table[f"resid_{col}"] = r
        table[f"zresid_{col}"] = zscore(pd.Series(r, index=changes.index, name=f"resid_{col}"), valid, ddof)
        total = total + w * table[f"zresid_{col}"]
        rows.append({"indicator": col, "intercept": a, "slope": b,
                     "corr_base_change": float(np.corrcoef(x0[v], d[v])[0, 1]),
                     "corr_base_residual": float(np.corrcoef(x0[v], r_valid)[0, 1]),
                     "sign_flip_pct": 100 * sign_flip_share(d[v] - d[v].mean(), r_valid)})
    total = total.where(valid)
    table["dynamics_sum_adjusted"] = total
    index = zscore(total.rename("dynamics_sum_adjusted"), valid, ddof)
    table["dynamics_index_adjusted"] = index
    table["dynamics_class_adjusted"] = classify(index, list(thresholds), list(labels))
    return AdjustedDynamics(table=table, fits=pd.DataFrame(rows), method=method)


def attention(status_class: pd.Series, dynamics_class: pd.Series, *, status_labels: Sequence[str],
              dynamics_labels: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """MSS's *Gebiete mit besonderem Aufmerksamkeitsbedarf*: status in the two lowest classes
    (Berlin: niedrig, sehr niedrig), or in the third-lowest (mittel) with the worst dynamics
    class (negativ). Returns the hit (bool, False where a class is missing) and the reason in
    words ("" where not hit)."""
    if len(status_labels) < 3 or len(dynamics_labels) < 2:
        raise InputDataError("the attention rule needs at least 3 status and 2 dynamics classes")
    status = status_class.astype("string")
    dyn = dynamics_class.astype("string")
    low = status.isin(list(status_labels[-2:])).fillna(False).astype(bool)
    middle = (status.eq(status_labels[-3]) & dyn.eq(dynamics_labels[-1])).fillna(False).astype(bool)
    text = pd.Series("", index=status.index, dtype="string")
    text = text.mask(low, "Aufmerksamkeitsbedarf (Status " + status.fillna("") + ")")
    text = text.mask(middle, f"Aufmerksamkeitsbedarf (Status {status_labels[-3]}, Dynamik "
                             f"{dynamics_labels[-1]})")
    return low | middle, text

"""Does the priority predict? A backtest of the 2019 priority against the 2021 status classes.

Berlin's MSS 2019 (data 31.12.2018, on the 447 Planungsräume valid before 2021) is carried onto
the 542 new Planungsräume by population-weighted areal interpolation (:mod:`quartier.monitor`:
the overlay pieces weighted by the residents of the 20 m raster); invalid old units (fewer than
300 inhabitants, published as 0) are missing, not 0. On the new units the MSS 2019 indices are
computed with the MSS method (z-values over the units scored in both years, ``ddof = 0``):

* status 2019 from S1, S3, S4 (levels 31.12.2018);
* dynamics 2019 in percentage points from D1, D3, D4 (changes 31.12.2016–31.12.2018), and the
  residual dynamics (:mod:`quartier.dynamics`, Theil–Sen on the base level
  ``x(2016) = S(2018) − D``);
* the priority ``status + 0.5 · dynamics + 0.5 · [Gi* Hot Spot] + 0.25 · rules`` with hot spots
  of the 2019 status (Queen contiguity, 999 permutations, FDR 5 %) and the two threshold rules
  that exist for 2018 (S4 ≥ 40 %, S1 ≥ mean + 1.5 SD; the K03 rule has no 2018 value).

The outcome is the status class of the MSS 2021 (31.12.2020) against the 2019 class on the same
unit: **falling** when the class is worse (hoch → mittel, mittel → niedrig, niedrig → sehr
niedrig, or more). Each 2019 score ranks the units (higher = more at risk); the measures are the
ROC AUC (the probability that a unit which fell is ranked above one which did not; ties count
half; 0.5 is chance, below 0.5 points the wrong way; 95 % interval after Hanley & McNeil) and
the precision among the 50 highest scores (ties by the unit id); and, as a check on the
direction, Spearman's correlation of each score with the change of the status index 2019 → 2021
(positive = higher scores went with a relative decline). A unit in the lowest class cannot
fall: the units of class *sehr niedrig* in 2019 are kept (a score that puts them first is
penalised for it — that is what a committee would do with the list), and the figures without
them are given too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.stats
from sklearn.metrics import roc_auc_score

from quartier.analysis.dynamics import residual_change, sign_flip_share
from quartier.analysis.hotspots import hot_spots
from quartier.analysis.indicators import classify, zscore
from quartier.analysis.monitor import interpolate
from quartier.errors import InputDataError
from quartier.vocab import HotSpot

#: MSS 2019 columns (file of shares, old Planungsräume) → the 2021 names.
MSS2019_COLUMNS = {"s1_percentage_unemployed": "s1", "s3_percentage_transfer_payments_recipients": "s3",
                   "s4_percentage_transfer_payments_recipients_below_15_years": "s4",
                   "d1_percentage_unemployed": "d1", "d3_percentage_transfer_payments_recipients": "d3",
                   "d4_percentage_transfer_payments_recipients_below_15_years": "d4"}
STATUS_LABELS = ["hoch", "mittel", "niedrig", "sehr niedrig"]
DYNAMICS_LABELS = ["positiv", "stabil", "negativ"]


def roc_auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """ROC AUC of ``score`` for the binary ``outcome`` (Mann–Whitney: ties count half)."""
    outcome = np.asarray(outcome, dtype=bool)
    if outcome.all() or not outcome.any():
        return float("nan")
    return float(roc_auc_score(outcome, np.asarray(score, dtype="float64")))


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float]:
    """95 % interval of an AUC from its standard error (Hanley & McNeil 1982, *Radiology* 143:
    29–36): ``SE² = (A(1 − A) + (n₁ − 1)(Q₁ − A²) + (n₀ − 1)(Q₂ − A²)) / (n₁ n₀)`` with
    ``Q₁ = A / (2 − A)``, ``Q₂ = 2A² / (1 + A)``; ``A ± 1.96 SE``."""
    if not np.isfinite(auc) or positives < 1 or negatives < 1:
        return float("nan"), float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    se = np.sqrt((auc * (1 - auc) + (positives - 1) * (q1 - auc ** 2)
                  + (negatives - 1) * (q2 - auc ** 2)) / (positives * negatives))
    return float(auc - 1.96 * se), float(auc + 1.96 * se)


def precision_at(score: np.ndarray, outcome: np.ndarray, ids: Sequence[str], k: int = 50) -> float:
    """Share of positives among the ``k`` highest scores (ties: the smaller id first)."""
    frame = pd.DataFrame({"s": np.asarray(score, dtype="float64"), "u": np.asarray(ids, dtype=str),
                          "y": np.asarray(outcome, dtype=bool)})
    top = frame.sort_values(["s", "u"], ascending=[False, True]).head(k)
    return float(top["y"].mean())


def read_mss2019(shares_csv: str, indices_csv: str) -> pd.DataFrame:
    """The MSS 2019 index indicators on the old Planungsräume (index: old id; columns s1, s3, s4,
    d1, d3, d4 in % and pp; ``inhabitants``). Units missing from the indices file (invalid:
    fewer than 300 inhabitants, published with 0 in every indicator) are NaN."""
    shares = pd.read_csv(shares_csv, dtype={"id": str})
    valid = set(pd.read_csv(indices_csv, dtype={"id": str})["id"])
    missing = [c for c in MSS2019_COLUMNS if c not in shares]
    if missing:
        raise InputDataError(f"{shares_csv}: columns {missing} missing")
    out = shares.set_index("id")[list(MSS2019_COLUMNS)].rename(columns=MSS2019_COLUMNS)
    out = out.astype("float64").where(pd.Series(out.index.isin(valid), index=out.index), axis=0)
    out["inhabitants"] = shares.set_index("id")["inhabitants"].astype("float64")
    return out


def carry_to_new_units(old: pd.DataFrame, pieces: pd.DataFrame, new_ids: Sequence[str]
                       ) -> pd.DataFrame:
    """Each column of ``old`` (rates, index = old id) onto the new units: residents-weighted mean
    over the overlay pieces (:func:`quartier.monitor.interpolate`, ``intensive``)."""
    out = pd.DataFrame(index=pd.Index(list(new_ids), name="unit_id"))
    for col in old.columns:
        out[col] = interpolate(old[col], pieces, "intensive").reindex(out.index)
    return out


@dataclass
class Backtest:
    """``table``: one row per unit scored in both years (2019 scores, classes, outcome);
    ``metrics``: one row per predictor (AUC, precision at k), for all units and without the
    2019 class *sehr niedrig*; ``flip_pct``: share of units whose 2019 dynamics index changes
    sign between pp and residual; ``notes``."""

    table: pd.DataFrame
    metrics: pd.DataFrame
    flip_pct: float
    notes: list[str] = field(default_factory=list)


def predictive_table(scores: Mapping[str, np.ndarray], outcome: np.ndarray, ids: Sequence[str],
                     *, k: int = 50) -> pd.DataFrame:
    """AUC and precision at ``k`` of each score for the outcome, with the base rate."""
    rows = []
    pos = int(np.sum(outcome))
    for name, score in scores.items():
        auc = roc_auc(score, outcome)
        lo, hi = auc_interval(auc, pos, len(outcome) - pos)
        rows.append({"predictor": name, "auc": auc, "auc_low": lo, "auc_high": hi,
                     f"precision_top{k}": precision_at(score, outcome, ids, k),
                     "n": len(outcome), "positives": pos, "base_rate": pos / len(outcome)})
    return pd.DataFrame(rows)


def _index(values: pd.DataFrame, valid: pd.Series) -> pd.Series:
    total = sum(zscore(values[c], valid) for c in values.columns)
    return zscore(total.where(valid).rename("sum"), valid)


def mss_backtest(units: gpd.GeoDataFrame, status_2021: pd.Series, status_index_2021: pd.Series,
                 valid_2021: pd.Series, mss2019: pd.DataFrame, *, weights: Mapping[str, float] | None = None,
                 permutations: int = 999, seed: int = 42, k: int = 50) -> Backtest:
    """The backtest of the module docstring.

    Parameters
    ----------
    units : GeoDataFrame
        The new units (``unit_id``, geometry in a metric CRS).
    status_2021, status_index_2021, valid_2021 : Series
        The MSS 2021 status class, status index and validity of each unit (index of ``units``).
    mss2019 : DataFrame
        ``s1, s3, s4, d1, d3, d4`` on the new units (:func:`carry_to_new_units`), index unit id.
    weights : mapping
        Priority weights ``status, dynamics, hotspot, rule`` (default 1, 0.5, 0.5, 0.25).
    """

    w = {"status": 1.0, "dynamics": 0.5, "hotspot": 0.5, "rule": 0.25, **(weights or {})}
    v19 = mss2019.reindex(units["unit_id"]).set_axis(units.index)
    both = valid_2021.astype(bool) & v19[["s1", "s3", "s4", "d1", "d3", "d4"]].notna().all(axis=1)
    status = _index(v19[["s1", "s3", "s4"]], both)
    cls19 = classify(status, [-1.0, 1.0, 1.5], STATUS_LABELS)
    dyn_pp = _index(v19[["d1", "d3", "d4"]], both)
    resid = pd.DataFrame(index=units.index)
    slopes = {}
    for s, d in (("s1", "d1"), ("s3", "d3"), ("s4", "d4")):
        r, _, b = residual_change((v19[s] - v19[d])[both], v19[d][both])
        resid[d] = pd.Series(r, index=units.index[both])
        slopes[d] = b
    dyn_adj = _index(resid, both)
    spots = hot_spots(units.assign(status_2019=status), "status_2019", valid=both,
                      permutations=permutations, fdr=0.05, seed=seed)
    hot = spots["hotspot"].eq(HotSpot.HOT).astype(float)
    s1 = v19["s1"].where(both)
    rules = (v19["s4"].ge(40.0) & both).astype(float) + \
        (s1.ge(s1.mean() + 1.5 * s1.std(ddof=0)) & both).astype(float)
    base = w["status"] * status + w["hotspot"] * hot + w["rule"] * rules
    n19 = cls19.map({lab: i for i, lab in enumerate(STATUS_LABELS)})
    n21 = status_2021.astype("string").map({lab: i for i, lab in enumerate(STATUS_LABELS)})
    table = pd.DataFrame({
        "unit_id": units["unit_id"], "status_index_2019": status, "status_class_2019": cls19,
        "dynamics_pp_2019": dyn_pp, "dynamics_adjusted_2019": dyn_adj,
        "dynamics_class_pp_2019": classify(dyn_pp, [-1.0, 1.0], DYNAMICS_LABELS),
        "hotspot_2019": hot.astype(bool), "rules_2019": rules,
        "priority_pp_2019": base + w["dynamics"] * dyn_pp,
        "priority_adjusted_2019": base + w["dynamics"] * dyn_adj,
        "priority_without_dynamics_2019": base,
        "status_class_2021": status_2021.astype("string"),
        "status_index_change": status_index_2021 - status,
        "fell": (n21.astype("float64") > n19.astype("float64"))})[both]
    scores = {"Status 2019 allein": "status_index_2019",
              "Dynamik 2019 in Prozentpunkten": "dynamics_pp_2019",
              "Dynamik 2019 bereinigt (Ausgangsniveau)": "dynamics_adjusted_2019",
              "Priorität 2019 mit Dynamik in Prozentpunkten": "priority_pp_2019",
              "Priorität 2019 mit bereinigter Dynamik": "priority_adjusted_2019",
              "Priorität 2019 ohne Dynamik": "priority_without_dynamics_2019"}
    y = table["fell"].to_numpy(dtype=bool)
    ids = table["unit_id"].astype(str).to_numpy()
    metrics = predictive_table({n: table[c].to_numpy() for n, c in scores.items()}, y, ids, k=k)
    can_fall = table["status_class_2019"].ne(STATUS_LABELS[-1]).to_numpy(dtype=bool)
    sub = predictive_table({n: table.loc[can_fall, c].to_numpy() for n, c in scores.items()},
                           y[can_fall], ids[can_fall], k=k)
    change = table["status_index_change"]
    metrics["spearman_status_change"] = [
        float(scipy.stats.spearmanr(table[c], change)[0]) for c in scores.values()]
    metrics = metrics.assign(units="alle").merge(
        sub.assign(units=f"ohne Status {STATUS_LABELS[-1]} 2019"), how="outer")
    metrics = metrics.sort_values(["units", "predictor"], key=lambda c: c.map(
        {**{n: i for i, n in enumerate(scores)}, "alle": 0}).fillna(1)).reset_index(drop=True)
    flip = 100 * sign_flip_share(table["dynamics_pp_2019"], table["dynamics_adjusted_2019"])
    notes = [f"{int(both.sum())} Einheiten in beiden Jahren bewertet; {int(y.sum())} mit "
             f"schlechterer Statusklasse 2021",
             "Steigung der Veränderung 2016–2018 je Prozentpunkt Ausgangsniveau (Theil–Sen): "
             + ", ".join(f"{d.upper()} {b:+.3f}".replace(".", ",").replace("-", "−")
                         for d, b in slopes.items()),
             "Grenzwertregel K03 (Altersarmut) ohne Wert 2018: nicht in der Priorität 2019"]
    return Backtest(table=table.reset_index(drop=True), metrics=metrics, flip_pct=flip,
                    notes=notes)

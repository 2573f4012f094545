"""The robustness of a priority table: :func:`~quartier.analysis.robustness.rank_robustness`
on the columns :func:`quartier.pipeline.flag.flag_units` writes, and the words for it (the
profile sentence, the robust and fragile groups, ``robustness.csv``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from quartier import vocab
from quartier.analysis.composite import Composite, FlagRule
from quartier.analysis.robustness import (
    ROBUST_PCT,
    UNIT_COLUMNS,
    VARY_ALL,
    RobustnessResult,
    rank_robustness,
)
from quartier.errors import InputDataError
from quartier.vocab import HotSpot


def robustness_of_table(
    table: pd.DataFrame, *, status: Sequence[tuple[str, float]], status_thresholds: Sequence[float],
    status_labels: Sequence[str], flag_classes: Sequence[str], weights: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]], dynamics: Sequence[tuple[str, float]] = (),
    dynamics_thresholds: Sequence[float] = (), dynamics_measure: str = "pp",
    flag_attention: bool = False, flag_min_rules: int | None = None,
    flag_top_pct: float | None = None, labels: Mapping[str, str] | None = None,
    vary: Collection[str] = VARY_ALL, draws: int = 1000, seed: int = 42, ddof: int = 0,
) -> RobustnessResult:
    """:func:`~quartier.analysis.robustness.rank_robustness` on a priority table.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`quartier.pipeline.flag.flag_units`, one row per unit: ``valid``,
        ``unit_id``, the indicator columns, ``status_index``, ``dynamics_index``, the residual
        columns ``resid_<indicator>`` with their index, ``hotspot``, ``rule_count``.
    status, dynamics : sequence of (str, float)
        (column, weight · sign) of the status and dynamics indicators.
    status_thresholds, dynamics_thresholds : sequence of float
        Class thresholds of the indices (SD units).
    status_labels, flag_classes : sequence of str
        The status classes (lowest index first) and those that flag a unit.
    weights, ranges : mapping
        Default weights ``status``, ``dynamics``, ``hotspot``, ``rule`` and their (low, high)
        ranges for the draws.
    dynamics_measure : {"pp", "residual"}
        The measure of ``dynamics_index``.
    flag_attention, flag_min_rules, flag_top_pct : optional
        The further flag rules of ``[priority]`` (MSS attention rule, threshold rules, top %).
    labels : mapping, optional
        Display names of the indicator columns.
    vary, draws, seed, ddof :
        As in :func:`~quartier.analysis.robustness.rank_robustness`.

    Returns
    -------
    RobustnessResult
        Its ``units`` carry the table's index (scored units only).

    Examples
    --------
    The example of :func:`~quartier.analysis.robustness.rank_robustness` from a table: the six
    units of the two highest status classes stay flagged in every variant.

    >>> import numpy as np
    >>> from quartier.analysis.composite import composite
    >>> from quartier.testing import tiny_city
    >>> city = tiny_city()
    >>> cols = ["share_sgb2_pct", "share_unemployed_pct"]
    >>> table = city[["unit_id", *cols]].assign(
    ...     valid=True, hotspot="–", rule_count=0,
    ...     status_index=composite(city[cols].to_numpy(), np.array([1.0, 1.0])))
    >>> weights = {"status": 1.0, "dynamics": 0.5, "hotspot": 0.5, "rule": 0.25}
    >>> result = robustness_of_table(
    ...     table, status=[(c, 1.0) for c in cols], status_thresholds=[-1.5, 1.0, 1.5],
    ...     status_labels=["hoch", "mittel", "niedrig", "sehr niedrig"],
    ...     flag_classes=["niedrig", "sehr niedrig"], weights=weights,
    ...     ranges={k: (0.5 * v, 1.5 * v) for k, v in weights.items()}, draws=200, seed=1)
    >>> flagged = result.units[result.units["flagged_default"]]
    >>> len(flagged), float(flagged["flagged_share_pct"].min())
    (6, 100.0)
    """
    labels = dict(labels or {})
    valid = table["valid"].to_numpy(dtype=bool)
    sub = table[valid]

    def comp(columns: Sequence[str], w: Sequence[float], thresholds: Sequence[float],
             default: str | None) -> Composite:
        missing = [c for c in [*columns, *([default] if default else [])] if c not in sub]
        if missing:
            raise InputDataError(f"robustness: columns {missing} are not in the priority table")
        return Composite(values=sub[list(columns)].to_numpy(dtype="float64"),
                         weights=np.asarray(w, dtype="float64"),
                         names=[labels.get(c, c) for c in columns], thresholds=list(thresholds),
                         default=sub[default].to_numpy(dtype="float64") if default else None)

    s_cols = [c for c, _ in status]
    dyn_list: list[tuple[str, Composite]] = []
    if dynamics:
        d_cols = [c for c, _ in dynamics]
        d_w = [w for _, w in dynamics]
        resid = [f"resid_{c}" for c in d_cols]
        has_resid = all(c in sub for c in resid)
        pp = comp(d_cols, d_w, dynamics_thresholds,
                  "dynamics_index" if dynamics_measure == "pp" else "dynamics_index_pp")
        if has_resid:
            adj = Composite(values=sub[resid].to_numpy(dtype="float64"), weights=np.asarray(d_w),
                            names=pp.names, thresholds=list(dynamics_thresholds),
                            default=sub["dynamics_index" if dynamics_measure == "residual"
                                        else "dynamics_index_adjusted"].to_numpy(dtype="float64"))
            dyn_list = [("pp", pp), ("residual", adj)] if dynamics_measure == "pp" else \
                [("residual", adj), ("pp", pp)]
        else:
            dyn_list = [("pp", pp)]
    codes = tuple(i for i, lab in enumerate(status_labels) if lab in set(flag_classes))
    result = rank_robustness(
        status=comp(s_cols, [w for _, w in status], status_thresholds, "status_index"),
        dynamics=dyn_list, hotspot=sub["hotspot"].eq(HotSpot.HOT).to_numpy(dtype=bool),
        rules=sub["rule_count"].to_numpy(dtype="float64"),
        ids=sub["unit_id"].astype(str).to_numpy(), weights=weights, ranges=ranges,
        flag=FlagRule(status_codes=codes, attention=flag_attention, min_rules=flag_min_rules,
                      top_pct=flag_top_pct),
        vary=vary, draws=draws, seed=seed, ddof=ddof)
    result.units.index = sub.index
    return result


def sentence(rank: float | None, p05: float | None, p95: float | None,
             flagged_share: float | None) -> str:
    """The profile sentence: "Rang 3, in 90 % der Varianten zwischen 2 und 5; in 100 %
    gekennzeichnet" ("" for an unscored unit: None, NaN or NA)."""
    if rank is None or p05 is None or p95 is None or flagged_share is None \
            or any(pd.isna(v) for v in (rank, p05, p95, flagged_share)):
        return ""
    where = (vocab.text("robustness.between", lo=vocab.count(int(p05)), hi=vocab.count(int(p95)))
             if p05 != p95 else vocab.text("robustness.unchanged"))
    return vocab.text("robustness.sentence", rank=vocab.count(int(rank)), where=where,
                      share=pct_words(float(flagged_share)))


def pct_words(value: float) -> str:
    """A share in % for text: whole numbers, but never "100" or "0" for a share just short of it."""
    if 0 < value < 1:
        return vocab.text("robustness.below_1")
    if 99 < value < 100:
        return vocab.text("robustness.above_99")
    return f"{value:.0f}"


def robust_groups(flagged: pd.Series, share: pd.Series, *, threshold: float = ROBUST_PCT
                  ) -> dict[str, pd.Index]:
    """The flagged units that are robust (flagged in at least ``threshold`` % of the variants)
    and those that are not, and the unflagged units flagged in at least ``threshold`` %."""
    f = flagged.fillna(False).astype(bool)
    s = share.astype("float64")
    return {"robust": f.index[f & s.ge(threshold)], "fragile": f.index[f & s.lt(threshold)],
            "unflagged_robust": f.index[~f & s.ge(threshold)]}


def unit_table(table: pd.DataFrame, rob: RobustnessResult) -> pd.DataFrame:
    """robustness.csv: every unit of the priority table (unscored units with empty values),
    by priority rank, with its interval, shares, main choice and the sentence of the profiles."""
    t = table.sort_values("priority_rank", na_position="last")
    out = t[["unit_id", "unit_name", "priority_rank", "flagged"]].join(
        rob.units[[*UNIT_COLUMNS, "flag_main_choice"]], how="left")
    out["rank_interval_width"] = (out["rank_p95"] - out["rank_p05"]).astype("Int64")
    out["robustness"] = [sentence(*v) for v in zip(out["priority_rank"], out["rank_p05"],
                                                   out["rank_p95"], out["flagged_share_pct"],
                                                   strict=True)]
    return out.reset_index(drop=True)



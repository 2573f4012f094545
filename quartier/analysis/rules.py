"""Threshold rules (Grenzwerte) and targets: absolute limits, mean + k·SD and quantiles, with
the limit and the value in every hit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quartier.analysis.priority import _fmt
from quartier.config import (
    Target,
    ThresholdRule,
)
from quartier.errors import InputDataError
from quartier.vocab import TargetState


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
                           [TargetState.BELOW.value, TargetState.ABOVE.value], TargetState.MET.value)
        status = pd.Series(status, index=units.index).where(v.notna(), TargetState.NO_DATA.value)
        good = TargetState.BELOW if t.better == "lower" else TargetState.ABOVE
        rows.append(pd.DataFrame({
            "unit_id": units["unit_id"], "indicator": t.column,
            "label": labels.get(t.column, t.column), "value": v, "target": t.target,
            "tolerance": t.tolerance, "status": status,
            "on_track": status.isin([TargetState.MET, good]) & v.notna(),
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

"""Indicators: shares, z-values, composite index and classes (the MSS method).

Berlin's *Monitoring Soziale Stadtentwicklung* (MSS) builds its status index as follows, for the
valid Planungsräume only (at least 300 inhabitants, no outlier):

1. z-standardise each index indicator: ``z_i = (x_i - mean(x)) / sd(x)``;
2. sum the z-values: ``S = Σ_k w_k · sign_k · z_k``;
3. standardise the sum again: ``index = (S - mean(S)) / sd(S)``;
4. classify in SD units: hoch < −1 ≤ mittel ≤ +1 < niedrig ≤ +1.5 < sehr niedrig.

The dynamics index does the same with the changes (percentage points over two years) and the
classes positiv < −1 ≤ stabil ≤ +1 < negativ. The published MSS 2021 z-values are reproduced with
the population standard deviation (``ddof=0``); the sample SD misses them by up to 0.01.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from quartier import vocab
from quartier.config import IndexConfig, IndicatorRef, as_section
from quartier.errors import InputDataError, rows_preview
from quartier.vocab import change_label, series_change_label

#: MSS sign of the dynamics class in the combined status × dynamics code ("2-", "1+/-").
DYNAMICS_SIGNS = {0: "+", 1: "+/-", 2: "-"}


def share_pct(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Share in percent, ``100 · numerator / denominator``; NaN where the denominator is 0 or NaN."""
    den = denominator.astype("float64")
    return 100.0 * numerator.astype("float64") / den.where(den > 0)




def aggregate(values: pd.DataFrame, groups: pd.Series, how: dict[str, str],
              weights: pd.Series | None) -> pd.DataFrame:
    """Merge units into groups, column by column.

    ``sum``: Σ x (counts); ``weighted_mean``: Σ w·x / Σ w with population weights w (shares,
    rates); ``mean``: plain mean. A group with a missing member value stays missing (NaN): an
    incomplete sum or mean is not the group's value — nor is a weighted mean of which a member's
    weight is missing (it would be the other members' alone).
    """
    out = {}
    lacking = values.isna()
    if weights is not None:
        weighted = [c for c, m in how.items() if m == "weighted_mean"]
        lacking[weighted] = lacking[weighted].to_numpy() | weights.isna().to_numpy()[:, None]
    incomplete = lacking.groupby(groups.to_numpy()).any()
    for column, method in how.items():
        x = values[column]
        if method == "sum":
            res = x.groupby(groups.to_numpy()).sum(min_count=1)
        elif method == "mean":
            res = x.groupby(groups.to_numpy()).mean()
        else:
            if weights is None:
                raise ValueError(f"aggregate: {column!r} is a weighted mean, which needs weights "
                                 "(the population of each unit)")
            w = weights.where(x.notna())
            res = (x * w).groupby(groups.to_numpy()).sum(min_count=1) / w.groupby(
                groups.to_numpy()).sum(min_count=1).where(lambda v: v > 0)
        out[column] = res.where(~incomplete[column])
    return pd.DataFrame(out)


def change_pp(before: pd.Series, after: pd.Series) -> pd.Series:
    """Change between two time points in percentage points (``after - before``)."""
    return after.astype("float64") - before.astype("float64")


def add_changes(units: pd.DataFrame, cfg: IndexConfig, labels: dict[str, str],
                series: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Add the derived index columns: ``column − base`` for an indicator given with ``base``
    (dynamics from two tables, in percentage points when both are shares), and
    ``series[year] − series[base_year]`` for one given with ``series`` (the long monitoring
    table: ``unit_id, year, indicator, value``). Returns the units and labels for the new columns.
    """
    units = units.copy()
    labels = dict(labels)
    for ref in [*cfg.status, *cfg.dynamics]:
        if ref.base is not None:
            column, base = ref.column, ref.base
            missing = [c for c in (column, base) if c not in units]
            if column is None or missing:
                raise InputDataError(f"index: {missing} are not loaded columns (column/base)")
            units[ref.name] = change_pp(units[base], units[column])
            labels.setdefault(ref.name, change_label(labels.get(column, column),
                                                     labels.get(base, base), points=False))
        elif ref.series is not None:
            year, base_year = ref.year, ref.base_year
            if year is None or base_year is None:   # excluded by IndicatorRef._one_source
                raise InputDataError(f"index: series {ref.series!r} needs year and base_year")
            if series is None or ref.series not in set(series["indicator"]):
                raise InputDataError(f"index: series {ref.series!r} is not a [[monitor.series]] "
                                     "indicator")
            sel = series[series["indicator"] == ref.series]
            table = sel.pivot_table(index="unit_id", columns="year", values="value", aggfunc="first")
            for y in (year, base_year):
                if y not in table.columns:
                    raise InputDataError(f"index: series {ref.series!r} has no year {y}; years: "
                                         f"{', '.join(map(str, table.columns))}")
            change = change_pp(table[base_year], table[year])
            units[ref.name] = units["unit_id"].map(change).astype("float64")
            labels.setdefault(ref.name, series_change_label(ref.series, base_year, year))
    return units, labels


def zscore(values: pd.Series, valid: pd.Series, ddof: int = 0) -> pd.Series:
    """``(x - mean) / sd`` over the valid units; NaN elsewhere.

    Raises when the indicator is constant or empty among the valid units (SD 0 or undefined):
    a z-value would be infinite.
    """
    x = values.astype("float64").where(valid)
    sd = x.std(ddof=ddof)
    if not np.isfinite(sd) or sd == 0:
        infinite = np.isinf(x).sum()
        what = ("has no values" if x.notna().sum() == 0 else
                f"has {infinite} infinite value(s)" if infinite else "is constant (SD 0)")
        raise InputDataError(
            f"indicator {values.name!r} {what} among the {int(valid.sum())} valid units; "
            "it cannot be standardised: remove it from the index or check the table"
        )
    return (x - x.mean()) / sd


def classify(index: pd.Series, thresholds: list[float], labels: list[str]) -> pd.Series:
    """Class labels by thresholds in SD: below the first, above each further one.

    The lowest class is ``index < t0``; class k (k ≥ 1) holds ``t_{k-1} ≤ … `` up to and including
    ``t_k`` for k ≥ 2, i.e. the MSS reading "hoch < −1 ≤ mittel ≤ +1 < niedrig ≤ +1.5 < sehr
    niedrig". NaN stays NaN.
    """
    v = index.to_numpy(dtype="float64")
    code = (v >= thresholds[0]).astype(int)
    for t in thresholds[1:]:
        code += (v > t).astype(int)
    out = pd.Series(np.asarray(labels, dtype=object)[code], index=index.index, dtype="string")
    return out.where(index.notna())


def composite_index(
    units: pd.DataFrame, refs: list[IndicatorRef], valid: pd.Series, ddof: int = 0
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """z-values, their weighted sum and the standardised sum (the index).

    Returns
    -------
    z : DataFrame
        One column ``z_<indicator>`` per indicator.
    total : Series
        ``Σ w · sign · z``.
    index : Series
        The total standardised over the valid units.
    """
    z = pd.DataFrame(index=units.index)
    total = pd.Series(0.0, index=units.index)
    for ref in refs:
        z[f"z_{ref.name}"] = zscore(units[ref.name], valid, ddof)
        total = total + ref.weight * ref.sign * z[f"z_{ref.name}"]
    total = total.where(valid)
    total.name = "sum"
    return z, total, zscore(total, valid, ddof)


def screen_units(
    units: pd.DataFrame, cfg: IndexConfig, population_column: str | None
) -> tuple[pd.Series, pd.Series]:
    """Which units are scored, and why the others are not.

    A unit is not scored when it has fewer than ``cfg.min_population`` inhabitants, is listed in
    ``cfg.exclude``, lacks a value of an index indicator, or (with ``cfg.outlier_max_abs_z``) has an
    indicator more than that many SD from the mean of the other units. Units are kept, labelled.

    Returns
    -------
    valid : Series of bool
    reason : Series of str ("" for valid units)
    """
    columns = [r.name for r in [*cfg.status, *cfg.dynamics]]
    missing_cols = [c for c in columns if c not in units.columns]
    if missing_cols:
        raise InputDataError(
            f"index indicators {missing_cols} are not columns of the loaded data; "
            f"available: {', '.join(c for c in units.columns if c != 'geometry')}"
        )
    reason = pd.Series("", index=units.index, dtype="string")
    if population_column:
        pop = units[population_column]
        reason = reason.mask(pop.isna(), f"Einwohnerzahl fehlt ({population_column}): "
                             f"Mindestgröße {cfg.min_population:g} nicht prüfbar")
        small = pop < cfg.min_population
        reason = reason.mask(small, f"weniger als {cfg.min_population:g} Einwohner ("
                             + pop.map(lambda v: f"{v:.0f}", na_action="ignore").astype("string")
                             + ")")
    ids = units["unit_id"] if "unit_id" in units else pd.Series(units.index, index=units.index)
    for rule in cfg.exclude:
        reason = reason.mask(ids.eq(rule.id) & reason.eq(""), f"ausgeschlossen: {rule.reason}")
    lacking = units[columns].isna()
    no_values = lacking.any(axis=1) & reason.eq("")
    if no_values.any():
        named = lacking[no_values].apply(lambda r: ", ".join(r.index[r]), axis=1)
        reason = reason.mask(no_values, "fehlende Indikatorwerte: " + named)
    valid = reason.eq("")
    if cfg.outlier_max_abs_z is not None:
        z = pd.DataFrame({c: zscore(units[c], valid, cfg.ddof) for c in columns})
        extreme = z.abs().gt(cfg.outlier_max_abs_z) & valid.to_numpy()[:, None]
        flagged = extreme.any(axis=1)
        named = extreme[flagged].apply(lambda r: ", ".join(r.index[r]), axis=1)
        reason = reason.mask(flagged, f"Ausreißer (|z| > {cfg.outlier_max_abs_z:g}): " + named)
        valid = reason.eq("")
    if valid.sum() < 3:
        raise InputDataError(
            f"only {int(valid.sum())} unit(s) can be scored; reasons: "
            f"{rows_preview(reason[~valid].unique(), 4)}"
        )
    return valid, reason


def index_notes(cfg: IndexConfig, population_column: str | None) -> str:
    """What the index could not check, said in every row (no silent fallback)."""
    if population_column is None and cfg.min_population > 0:
        return vocab.note("index.population_unchecked", min=f"{cfg.min_population:g}")
    return ""


def compute_index(
    units: pd.DataFrame, index: IndexConfig | Mapping[str, Any], *,
    population_column: str | None = None, series: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status and dynamics index with classes, by the MSS method (module docstring).

    For the scored units (at least ``min_population`` residents, not excluded, no missing
    indicator, no outlier), each indicator is z-standardised, the weighted signed z-values are
    summed and the sum is standardised again::

        z_ik = (x_ik − mean_k) / sd_k          S_i = Σ_k w_k · sign_k · z_ik
        index_i = (S_i − mean(S)) / sd(S)

    and classified by thresholds in SD (default: hoch < −1 ≤ mittel ≤ +1 < niedrig ≤ +1.5 <
    sehr niedrig). ``sd`` is the population SD (``ddof = 0``), with which Berlin's published
    MSS 2021 z-values are reproduced exactly.

    Parameters
    ----------
    units : DataFrame
        One row per unit with the index indicators as columns (shares in %, or any unit: the
        z-standardisation removes it), ``unit_id`` for ``exclude`` rules.
    index : IndexConfig or dict
        The ``[index]`` section: ``status`` (and ``dynamics``) indicators with weight and sign,
        thresholds and labels, ``min_population``, ``exclude``, ``outlier_max_abs_z``, ``ddof``.
        An indicator with ``base`` is ``column − base`` (percentage points), added here when
        the units lack it.
    population_column : str, optional
        Residents per unit, for ``min_population``; without it every unit counts as large
        enough (said in ``notes``).
    series : DataFrame, optional
        The long monitoring table (:func:`quartier.analysis.monitor.build_monitoring`), for
        indicators given as the change of a series between two years.

    Returns
    -------
    DataFrame
        Same index as ``units``: ``valid``, ``invalid_reason``, ``notes``, the z-values
        ``z_<indicator>``, ``status_sum``, ``status_index`` (SD units), ``status_class``,
        ``status_class_n`` (1 = best); with dynamics the same for ``dynamics_*`` and
        ``status_dynamics`` (MSS code such as ``"4-"``). Unscored units keep NaN.

    Raises
    ------
    InputDataError
        An indicator column is missing (naming it and the columns there are).

    References
    ----------
    Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen Berlin (2021): *Monitoring Soziale
    Stadtentwicklung 2021*, method chapter (status and dynamics index, classes in SD units).

    Examples
    --------
    >>> from quartier import compute_index
    >>> from quartier.testing import tiny_city
    >>> units = tiny_city()
    >>> out = compute_index(units, {"status": [{"column": "share_sgb2_pct"},
    ...                                        {"column": "share_unemployed_pct"}],
    ...                             "dynamics": [{"column": "share_sgb2_pct",
    ...                                           "base": "share_sgb2_2y_pct"}]},
    ...                     population_column="residents")
    >>> int(out["valid"].sum())   # the south-west unit has 120 residents
    35
    >>> out.loc[35, ["status_class", "dynamics_class"]].tolist()   # the north-east corner
    ['sehr niedrig', 'negativ']
    """
    cfg = as_section(index, IndexConfig, "compute_index")
    if any(r.name not in units for r in [*cfg.status, *cfg.dynamics]):
        units, _ = add_changes(units, cfg, {}, series)
    valid, reason = screen_units(units, cfg, population_column)
    z, total, status = composite_index(units, cfg.status, valid, cfg.ddof)
    out = pd.DataFrame({"valid": valid, "invalid_reason": reason,
                        "notes": index_notes(cfg, population_column)}, index=units.index)
    out = out.join(z)
    out["status_sum"] = total
    out["status_index"] = status
    out["status_class"] = classify(status, cfg.status_thresholds, cfg.status_labels)
    out["status_class_n"] = _class_number(out["status_class"], cfg.status_labels)
    if cfg.dynamics:
        dz, dtotal, dyn = composite_index(units, cfg.dynamics, valid, cfg.ddof)
        out = out.join(dz)
        out["dynamics_sum"] = dtotal
        out["dynamics_index"] = dyn
        out["dynamics_class"] = classify(dyn, cfg.dynamics_thresholds, cfg.dynamics_labels)
        dyn_n = _class_number(out["dynamics_class"], cfg.dynamics_labels)
        signs = {i + 1: DYNAMICS_SIGNS.get(i, str(i + 1)) for i in range(len(cfg.dynamics_labels))}
        out["status_dynamics"] = (out["status_class_n"].astype("string")
                                  + dyn_n.map(signs).astype("string")).where(valid)
    return out


def _class_number(classes: pd.Series, labels: list[str]) -> pd.Series:
    return classes.map({label: i + 1 for i, label in enumerate(labels)}).astype("Int64")

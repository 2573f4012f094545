"""Derived columns: shares from counts, density × area, differences, sums and the unit's area.

Statistics offices publish counts (persons in SGB II, unemployed) and densities where an index
needs shares: an index on raw counts measures a quarter's size, not its need. ``[[derive]]``
computes the columns declaratively — no formula text is evaluated:

- ``ratio``: :math:`y = f \\cdot a / b` (``f`` = 100 by default: a share in %); missing where
  ``b`` is 0, negative or missing;
- ``product``: :math:`y = f \\cdot a \\cdot b` (a density per hectare × the area in hectares);
- ``difference``: :math:`y = a - b`;
- ``sum``: :math:`y = \\sum_k a_k`, missing where any term is missing;
- ``area_ha``: the unit's area from its geometry, :math:`A / 10\\,000` (m² → ha).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.config import DeriveSpec
from quartier.errors import InputDataError

#: Words of a unit or label that mark a count (persons, households), not a share or rate.
COUNT_WORDS = ("personen", "anzahl", "einwohner", "haushalte", "wohnungen", "fälle", "faelle",
               "gebäude", "gebaeude", "beschäftigte", "arbeitslose", "schüler", "schueler")


def formula(spec: DeriveSpec) -> str:
    """The computation of a derived column as text, for the join report."""
    a = spec.columns
    factor = spec.factor
    if spec.kind == "ratio":
        return f"{a[0]} / {a[1]} × {100 if factor is None else factor:g}"
    if spec.kind == "product":
        return f"{a[0]} × {a[1]}" + (f" × {factor:g}" if factor not in (None, 1) else "")
    if spec.kind == "difference":
        return f"{a[0]} − {a[1]}"
    if spec.kind == "sum":
        return " + ".join(a)
    return vocab.note("derive.area_ha")


def derive_column(units: gpd.GeoDataFrame, spec: DeriveSpec) -> tuple[pd.Series, list[str]]:
    """One derived column, index-aligned with ``units``, and notes on missing values it made.

    Parameters
    ----------
    units : GeoDataFrame
        The loaded units in a metric CRS (``area_ha`` reads their geometry, m²).
    spec : DeriveSpec
        The column to compute (kind, input columns, factor).

    Returns
    -------
    values : Series of float
    notes : list of str
        Units whose value stays missing because an input is missing or a denominator ≤ 0.
    """
    if spec.kind == "area_ha":
        if units.crs is None or not units.crs.is_projected:
            raise InputDataError(f"[[derive]] {spec.name}: area_ha needs the units in a metric CRS")
        return pd.Series(units.geometry.area.to_numpy() / 10_000.0, index=units.index,
                         name=spec.name), []
    missing = [c for c in spec.columns if c not in units.columns]
    if missing:
        available = [c for c in units.columns if c != units.geometry.name]
        raise InputDataError(f"[[derive]] {spec.name}: column(s) {', '.join(map(repr, missing))} "
                             f"are not loaded; available: {', '.join(available)}")
    x = [units[c].astype("float64") for c in spec.columns]
    notes = []
    if spec.kind == "ratio":
        bad = x[1].notna() & (x[1] <= 0)
        if bad.any():
            notes.append(vocab.note("derive.not_positive", column=spec.name, n=int(bad.sum()),
                                    divisor=spec.columns[1],
                                    ids=vocab.preview(units.loc[bad, "unit_id"])))
        values = (100.0 if spec.factor is None else spec.factor) * x[0] / x[1].where(~bad)
    elif spec.kind == "product":
        values = (1.0 if spec.factor is None else spec.factor) * x[0] * x[1]
    elif spec.kind == "difference":
        values = x[0] - x[1]
    else:
        values = pd.concat(x, axis=1).sum(axis=1, min_count=len(x)).where(
            pd.concat(x, axis=1).notna().all(axis=1))
    gap = pd.concat(x, axis=1).isna().any(axis=1)
    if gap.any():
        notes.append(vocab.note("derive.input_missing", column=spec.name, n=int(gap.sum()),
                                ids=vocab.preview(units.loc[gap, "unit_id"])))
    values = values.where(np.isfinite(values))
    return values.rename(spec.name), notes


def derive_columns(units: gpd.GeoDataFrame, specs: list[DeriveSpec]
                   ) -> tuple[gpd.GeoDataFrame, list[tuple[DeriveSpec, int, list[str]]]]:
    """Add every derived column in order (a later one may use an earlier one).

    Returns the units and, per column, its spec, the number of units with a value, and notes.
    """
    done = []
    for spec in specs:
        if spec.name in units.columns:
            raise InputDataError(f"[[derive]] {spec.name}: a loaded column has this name already; "
                                 "choose another name")
        values, notes = derive_column(units, spec)
        units = units.assign(**{spec.name: values})
        done.append((spec, int(values.notna().sum()), notes))
    return units, done


def looks_like_count(name: str, values: pd.Series, unit: str = "",
                     population: pd.Series | None = None) -> bool:
    """A column that holds counts, not shares: a count unit ('Personen', 'Anzahl'), or whole
    numbers (median ≥ 20) that are a part of the residents (at most the population in 95 % of
    the units) or grow with them (Spearman ρ ≥ 0.7: robust to one wrong population value)."""
    u = unit.strip().casefold()
    if u in ("%", "‰") or any(m in u for m in ("%", "je ", "pro ", "/", "€")):
        return False
    if any(u.startswith(w) for w in COUNT_WORDS):
        return True
    x = values.astype("float64").dropna()
    if len(x) < 5 or not np.allclose(x, np.round(x)) or x.median() < 20:
        return False
    if population is None or name == getattr(population, "name", None):
        return False
    pair = pd.concat([x, population.astype("float64")], axis=1, join="inner").dropna()
    if len(pair) < 5:
        return False
    part = bool((pair.iloc[:, 0] <= pair.iloc[:, 1]).mean() >= 0.95)
    grows = pair.iloc[:, 0].std() > 0 and pair.iloc[:, 1].std() > 0 and \
        float(pair.corr(method="spearman").iloc[0, 1]) >= 0.7
    return part or grows

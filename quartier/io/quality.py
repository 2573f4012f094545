"""Plausibility checks of loaded values: figures no quarter can have, and values published for a
coarser area than the units they are joined to. Each returns text for the join report and the
notes; nothing is changed or dropped here.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier import vocab

#: Residents per km² above which a unit's population is a data error (the densest German
#: quarters reach about 25,000–30,000).
MAX_DENSITY_PER_KM2 = 40_000.0


def density_outliers(population: pd.Series, area_m2: pd.Series, names: pd.Series,
                     max_per_km2: float = MAX_DENSITY_PER_KM2) -> list[str]:
    """Units whose residents per km², ``population / (area_m2 / 10⁶)``, exceed ``max_per_km2``:
    a typo or a value of another unit in the population column."""
    area_km2 = area_m2.astype("float64") / 1e6
    density = population.astype("float64") / area_km2.where(area_km2 > 0)
    bad = density[(density > max_per_km2) & np.isfinite(density)]
    return [vocab.note("quality.density", name=names.get(i, i), population=int(round(float(population[i]))),
                       area=vocab.num(area_km2[i], 2), density=int(round(float(density[i]))))
            for i in bad.index]


def repeated_values(values: pd.DataFrame, ids: pd.Series,
                    geometry: gpd.GeoSeries | None = None) -> list[list[str]]:
    """Groups of two or more neighbouring units whose values agree in every column (all
    present): values published for a coarser area and repeated for each of its units.

    Needs two columns (filled for most units), or one column whose equal values form runs of
    three neighbours or more. With ``geometry`` (metres), a group
    counts only when its units form one contiguous patch (touching within 50 m): rounded shares
    with many zeros agree by chance across the city, a coarser area's values repeat side by
    side.
    """
    values = values.loc[:, values.notna().mean() >= 0.5]   # columns empty for most units: not compared
    # one column: only runs of three or more equal neighbours among varied values count
    single = values.shape[1] == 1
    if values.shape[1] == 0 or (single and values.iloc[:, 0].nunique() < 10):
        return []
    full = values.dropna()
    full = full[~(full == 0).all(axis=1)]
    dup = full.duplicated(keep=False)
    if not dup.any():
        return []
    # one column is grouped by its name: pandas 4 would key a one-element list by tuples
    by = full.columns[0] if single else list(full.columns)
    groups = full[dup].groupby(by, sort=False).groups
    out = []
    for index in groups.values():
        members = list(index)
        if single and (geometry is None or len(members) < 3):
            continue
        if geometry is not None and len(
                shapely.get_parts(shapely.union_all(geometry.loc[members].buffer(25).values))) > 1:
            continue
        out.append(sorted(ids.loc[members].astype(str)))
    return out


def repeated_note(groups: list[list[str]], n_units: int, columns: list[str]) -> str:
    """The join report's sentence on repeated values (empty when there are none)."""
    if not groups:
        return ""
    n = sum(len(g) for g in groups)
    shown = vocab.preview(["=".join(g[:3]) + ("…" if len(g) > 3 else "") for g in groups], 4)
    return vocab.note("quality.repeated", n=n, total=n_units, columns=vocab.preview(columns, 4),
                      groups=shown)

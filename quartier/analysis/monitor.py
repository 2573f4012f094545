"""Housing-market and social monitoring over time: series, boundary changes, signals, targets.

``monitoring.csv`` is long: ``unit_id, year, indicator, value, unit, source, quality_flag``. A
value that may not be used (too few listings, rent ≤ 0, missing) stays empty and says why in
``quality_flag``; nothing is invented.

**Boundary changes** (Berlin 2021: 448 → 542 Planungsräume): values on the old units are carried
to the new ones by areal interpolation weighted by population. The old and new polygons are
intersected (geopandas overlay); each piece gets the residents of the 20 m population raster
inside it; an old unit's value is split over its pieces in proportion to their residents
(``extensive``: counts) or averaged over the pieces of a new unit weighted by residents
(``intensive``: rates). Where a piece has no residents, its area is the weight.

**Signals** (latest year, each with its rule in the output):

* market: *angespannt* when the rent level and its 3-year change are both above the city median,
  *entspannt* when both are below, else *mittel*;
* displacement pressure (*Verdrängungsdruck*): 3-year rent change in the city's top quartile in a
  unit whose status class is *niedrig* or *sehr niedrig*.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from rasterio.features import rasterize

from quartier import vocab
from quartier.config import MonitorTarget, SeriesConfig, as_section
from quartier.errors import InputDataError, require_columns, rows_preview
from quartier.io.names import normalise_name
from quartier.io.numbers import parse_numbers
from quartier.io.readers import read_csv_text
from quartier.vocab import Market, TargetState

LONG_COLUMNS = ["unit_id", "year", "indicator", "value", "unit", "source", "quality_flag"]


def _quality(series: pd.DataFrame, s: SeriesConfig) -> tuple[pd.Series, pd.Series]:
    value = series["value"].copy()
    flag = pd.Series("", index=series.index, dtype=object)
    flag[value.isna()] = vocab.note("monitor.missing_in_source")
    if s.count_column:
        few = series["count"].fillna(0) < s.min_count
        shown = few & value.notna()
        flag[shown] = [vocab.note("monitor.few_cases", n=str(n), min=f"{s.min_count:g}",
                                  value=str(v))
                       for n, v in zip(series.loc[shown, "count"].fillna(0).astype(int),
                                       series.loc[shown, "value"].round(2), strict=True)]
        flag[few & value.isna()] = vocab.note("monitor.no_cases")
        value[few] = np.nan
    if s.positive:
        bad = value <= 0
        flag[bad] = [vocab.note("monitor.invalid", value=str(v)) for v in value[bad]]
        value[bad] = np.nan
    return value, flag


def piece_weights(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, raster: Path | None
                  ) -> pd.DataFrame:
    """Intersections of old and new units with their residents (raster) and area."""
    pieces = gpd.overlay(old[["old_id", "geometry"]], new[["unit_id", "geometry"]],
                         how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.area
    pieces["pop"] = 0.0
    if raster is not None:
        with rasterio.open(raster) as src:
            band = np.ma.filled(src.read(1, masked=True).astype(float), 0.0)
            band[~np.isfinite(band) | (band < 0)] = 0.0
            rcrs = pyproj.CRS.from_wkt(src.crs.to_wkt())
            ids = rasterize(((g, i + 1) for i, g in enumerate(pieces.to_crs(rcrs).geometry)),
                            out_shape=band.shape, transform=src.transform, fill=0, dtype="int32")
        pieces["pop"] = np.bincount(ids.ravel(), weights=band.ravel(),
                                    minlength=len(pieces) + 1)[1:]
    return pieces


def interpolate(values: pd.Series, pieces: pd.DataFrame, kind: str) -> pd.Series:
    """Old-unit values → new units (see module docstring). ``values`` indexed by old id."""
    p = pieces.copy()
    old_pop = p.groupby("old_id")["pop"].transform("sum")
    old_area = p.groupby("old_id")["area"].transform("sum")
    share = np.where(old_pop > 0, p["pop"] / old_pop.where(old_pop > 0, 1), p["area"] / old_area)
    v = p["old_id"].map(values)
    if kind == "extensive":
        p["x"] = v * share
        out = p.groupby("unit_id")["x"].sum(min_count=1)
    else:
        w = np.where(p["pop"].groupby(p["unit_id"]).transform("sum") > 0, p["pop"], p["area"])
        p["w"] = np.where(v.notna(), w, 0.0)
        p["x"] = v.fillna(0) * p["w"]
        g = p.groupby("unit_id")
        out = g["x"].sum() / g["w"].sum().replace(0, np.nan)
    return out


def build_monitoring(
    units: gpd.GeoDataFrame,
    series: Sequence[tuple[SeriesConfig | Mapping[str, Any], pd.DataFrame]], *,
    old_units: gpd.GeoDataFrame | None = None, weight_raster: Path | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """All series in long form on the current ``units``, and notes (coverage, interpolation
    from the previous unit version).

    Parameters
    ----------
    units : GeoDataFrame
        The current units in a metric CRS, with ``unit_id`` and ``unit_name``.
    series : sequence of (SeriesConfig or dict, DataFrame)
        Each series' ``[[monitor.series]]`` section (``indicator``, ``unit``, ``join`` …) and
        its rows as :func:`quartier.io.series.read_series` returns them (``key``, ``year``,
        ``value``, optionally ``count``).
    old_units : GeoDataFrame, optional
        The previous unit version (``old_id``, geometry; metric CRS), needed by series with
        ``boundary = "old"``: their values are carried over by areal interpolation.
    weight_raster : Path, optional
        Population raster weighting the interpolation (pieces without it: by area).

    Returns
    -------
    long : DataFrame
        ``unit_id, year, indicator, value, unit, source, quality_flag``, every unit × year of
        every series (missing values stay empty, ``quality_flag`` says why).
    notes : list of str
        Keys not among the units, unit-years without a row, years with too few cases.

    Examples
    --------
    Asking rents of two years for a city of four quarters; one key is no quarter, three
    quarter-years have no row (they stay empty and say why):

    >>> import pandas as pd
    >>> from quartier.testing import tiny_city
    >>> rents = pd.DataFrame({"key": ["T01", "T02", "T03", "T01", "T02", "T09"],
    ...                       "year": [2022, 2022, 2022, 2023, 2023, 2023],
    ...                       "value": [7.9, 8.4, 9.1, 8.2, 8.8, 9.9]})
    >>> spec = {"indicator": "angebotsmiete_eur_m2", "unit": "€/m²", "path": "mieten.csv"}
    >>> long, notes = build_monitoring(tiny_city(side=2), [(spec, rents)])
    >>> long[["unit_id", "year", "value", "quality_flag"]].tail(4)
      unit_id  year  value                  quality_flag
    4     T03  2022    9.1
    5     T03  2023    NaN  Jahr fehlt für diese Einheit
    6     T04  2022    NaN  Jahr fehlt für diese Einheit
    7     T04  2023    NaN  Jahr fehlt für diese Einheit
    >>> print(notes[0])
    angebotsmiete_eur_m2: 1 Schlüssel gehören zu keiner Einheit: T09 (gemeldet, nicht verwendet)
    """
    checked = [(as_section(spec, SeriesConfig, "build_monitoring"), rows) for spec, rows in series]
    require_columns(units, ["unit_id", "unit_name"], "build_monitoring", "units")
    notes: list[str] = []
    pieces = None
    rows = []
    normalised = units["unit_name"].map(normalise_name)
    name_of = dict(zip(normalised, units["unit_id"], strict=True))
    for s, given in checked:
        if s.join == "name" and normalised.duplicated().any():
            raise InputDataError(
                f"monitor.series {s.indicator!r}: unit names "
                f"{rows_preview(sorted(set(units.loc[normalised.duplicated(keep=False), 'unit_name'])))} "
                "occur more than once; join this series on ids")
        value, flag = _quality(given, s)
        cur = given.assign(value=value, quality_flag=flag)
        if s.join == "name":
            cur["key"] = cur["key"].map(name_of).fillna("?" + cur["key"])
        if s.boundary == "old":
            if old_units is None:
                raise InputDataError(f"series {s.indicator!r} is on old units: set monitor.old_units")
            if pieces is None:
                pieces = piece_weights(old_units.to_crs(units.crs), units, weight_raster)
            known = set(pieces["old_id"])
            orphan = sorted(set(cur["key"]) - known)
            if orphan:
                notes.append(vocab.note("monitor.orphan", indicator=s.label or s.indicator,
                                        n=len(orphan), ids=vocab.preview(orphan)))
            parts = []
            for year, grp in cur.groupby("year"):
                est = interpolate(grp.set_index("key")["value"], pieces, s.kind)
                parts.append(pd.DataFrame({"key": est.index, "year": year, "value": est.to_numpy(),
                                           "quality_flag": vocab.note("monitor.interpolated",
                                                                      n=str(len(grp)))}))
            cur = pd.concat(parts, ignore_index=True)
        unknown = sorted(set(cur["key"]) - set(units["unit_id"]))
        if unknown:
            notes.append(vocab.note("monitor.unknown", indicator=s.label or s.indicator,
                                    n=len(unknown), ids=vocab.preview(unknown)))
        years = sorted(cur["year"].unique())
        grid = pd.MultiIndex.from_product([units["unit_id"], years], names=["key", "year"])
        full = cur.set_index(["key", "year"]).reindex(grid)
        absent = full["quality_flag"].isna()
        full.loc[absent, "quality_flag"] = vocab.note("monitor.year_absent")
        if absent.any():
            notes.append(vocab.note("monitor.absent", indicator=s.label or s.indicator,
                                    n=int(absent.sum())))
        full = full.reset_index()
        few = full["quality_flag"].astype(str).str.startswith("zu wenige")
        if few.any():
            per_year = full[few].groupby("year").size()
            notes.append(vocab.note("monitor.too_few", indicator=s.label or s.indicator,
                                    min=f"{s.min_count:g}",
                                    years=", ".join(f"{y}: {vocab.count(n)}"
                                                    for y, n in per_year.items())))
        rows.append(pd.DataFrame({"unit_id": full["key"], "year": full["year"],
                                  "indicator": s.indicator, "value": full["value"],
                                  "unit": s.unit, "source": s.source,
                                  "quality_flag": full["quality_flag"].fillna("")}))
    return pd.concat(rows, ignore_index=True)[LONG_COLUMNS], notes


def wide(long: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """unit × year table of one indicator."""
    sel = long[long["indicator"] == indicator]
    return sel.pivot(index="unit_id", columns="year", values="value")


def relative_change_pct(new: pd.Series | pd.DataFrame, base: pd.Series | pd.DataFrame,
                        years: float | pd.Series = 1.0) -> pd.Series | pd.DataFrame:
    """Change in % per year, ``100 · ((new / base)^(1/years) − 1)``; NaN where the base is not
    positive (a relative change of a value ≤ 0 has no meaning: its sign would flip)."""
    return 100 * ((new / base.where(base > 0)) ** (1 / years) - 1)


def change_pct(table: pd.DataFrame, years: int) -> pd.Series:
    """Total change (%) of the latest year against ``years`` before; NaN where either is missing
    or the earlier value is not positive."""
    last = table.columns.max()
    if last - years not in table.columns:
        return pd.Series(np.nan, index=table.index)
    return relative_change_pct(table[last], table[last - years])


def city_median_by_year(long: pd.DataFrame, indicator: str) -> pd.Series:
    return wide(long, indicator).median()


def area_share(units: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Share (%) of each unit's area covered by the polygons (e.g. Milieuschutz)."""
    cover = shapely.union_all(polygons.to_crs(units.crs).geometry.values)
    inter = shapely.area(shapely.intersection(units.geometry.values, cover))
    return pd.Series(100 * inter / units.area.to_numpy(), index=units.index)


def zensus_vacancy(units: gpd.GeoDataFrame, grid_csv: Path) -> pd.Series:
    """Zensus 2011 vacancy rate per unit: 1 km cells (EPSG:3035) intersected with the units,
    weighted by cell area inside the unit × cell residents. -1/-9 codes are missing."""
    cols = ["x", "y", "Einwohner", "Leerstandsquote"]
    raw = read_csv_text(Path(grid_csv), None, "auto", cols)
    require_columns(raw.df, cols, str(grid_csv), "monitor.zensus_grid")
    df = pd.DataFrame({c: parse_numbers(raw.df[c], ".", None, set(), str(grid_csv), c, raw.line)[0]
                       for c in cols})
    ok = (df["Leerstandsquote"] >= 0) & (df["Einwohner"] > 0)   # -1 no data, -9 suppressed
    df = df[ok]
    cells = gpd.GeoDataFrame(df[["Einwohner", "Leerstandsquote"]],
                             geometry=shapely.box(df["x"] - 500, df["y"] - 500, df["x"] + 500,
                                                  df["y"] + 500), crs=3035).to_crs(units.crs)
    pieces = gpd.overlay(units[["unit_id", "geometry"]], cells, how="intersection",
                         keep_geom_type=True)
    pieces["w"] = pieces.area / 1e6 * pieces["Einwohner"]
    g = pieces.assign(x=pieces["w"] * pieces["Leerstandsquote"]).groupby("unit_id")
    return (g["x"].sum() / g["w"].sum()).reindex(units["unit_id"]).set_axis(units.index)


def housing_signals(units: gpd.GeoDataFrame, long: pd.DataFrame, rent: str,
                    status: pd.Series | None, low_classes: Sequence[str] = ()) -> pd.DataFrame:
    """Rent level and change over 1, 3, 10 years; market tightness; displacement pressure where
    the rent rose most in a unit whose status class is one of ``low_classes`` (the config's
    lowest classes: the class names are the config's, not quartier's)."""
    t = wide(long, rent).reindex(units["unit_id"])
    last = t.columns.max()
    out = pd.DataFrame({"unit_id": units["unit_id"].to_numpy(),
                        "rent_eur_m2": t[last].to_numpy(),
                        "rent_change_1y_pct": change_pct(t, 1).to_numpy(),
                        "rent_change_3y_pct": change_pct(t, 3).to_numpy(),
                        "rent_change_10y_pct": change_pct(t, 10).to_numpy()}, index=units.index)
    level_hi = out["rent_eur_m2"] > out["rent_eur_m2"].median()
    change_hi = out["rent_change_3y_pct"] > out["rent_change_3y_pct"].median()
    known = out["rent_eur_m2"].notna() & out["rent_change_3y_pct"].notna()
    out["market"] = np.select([known & level_hi & change_hi, known & ~level_hi & ~change_hi,
                               known], [Market.TIGHT.value, Market.RELAXED.value, Market.MIDDLE.value],
                              Market.NO_DATA.value)
    q75 = out["rent_change_3y_pct"].quantile(0.75)
    low_status = status.isin(list(low_classes)) if status is not None else False
    out["displacement_pressure"] = (out["rent_change_3y_pct"] >= q75) & low_status
    out["signal_rule"] = (f"Markt: Miete {last} und 3-J.-Änderung vs. Stadtmedian; "
                          f"Verdrängungsdruck: 3-J.-Änderung ≥ {q75:.1f} % (oberes Quartil) und "
                          f"Status {'/'.join(low_classes) or '–'}")
    return out


def evaluate(long: pd.DataFrame, targets: list[MonitorTarget]) -> pd.DataFrame:
    """Per unit, year and target: measure, target and *Ziel erreicht / unter- / überschritten*;
    the city (median of the units) as unit_id ``Stadt``."""
    rows = []
    for t in targets:
        table = wide(long, t.indicator)
        if table.empty:
            raise InputDataError(f"monitor target: indicator {t.indicator!r} has no series")
        table.loc["Stadt"] = table.median()
        # changes per year, also across a gap in the series (2018 → 2020 counts as 2 years)
        gap = pd.Series(table.columns, index=table.columns).diff()
        previous = table.shift(axis=1)
        if t.measure == "level":
            meas = table
        elif t.measure == "change_pct":
            meas = relative_change_pct(table, previous, gap)
        else:
            meas = (table - previous) / gap
        stacked = meas.stack(future_stack=True).rename("measure").reset_index()
        stacked.columns = ["unit_id", "year", "measure"]
        ok = stacked["measure"] <= t.target if t.better == "lower" else stacked["measure"] >= t.target
        bad = TargetState.ABOVE if t.better == "lower" else TargetState.BELOW
        stacked["status"] = np.where(stacked["measure"].isna(), TargetState.NO_DATA.value,
                                     np.where(ok, TargetState.MET.value, bad.value))
        stacked["indicator"] = t.indicator
        stacked["target"] = f"{t.measure} {'≤' if t.better == 'lower' else '≥'} {t.target:g}"
        stacked["label"] = t.label or t.indicator
        rows.append(stacked)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

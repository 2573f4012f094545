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

import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from rasterio.features import rasterize

from quartier import vocab
from quartier.config import DEFAULT_NA_CODES, MonitorConfig, MonitorTarget, QuartierConfig, SeriesConfig
from quartier.errors import InputDataError, rows_preview
from quartier.io.names import normalise_ids, normalise_name
from quartier.io.numbers import parse_numbers
from quartier.io.readers import Header, check_field_counts, check_file, read_csv_text
from quartier.io.tables import check_range, footnote_keys, require_columns, year_of, year_value
from quartier.io.vector import read_vector
from quartier.io.xlsx import read_xlsx
from quartier.vocab import Market, TargetState

LONG_COLUMNS = ["unit_id", "year", "indicator", "value", "unit", "source", "quality_flag"]


def _read_table(s: SeriesConfig, path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """A series file's cells as text and their line numbers (CSV or xlsx, with its header)."""
    keys = [s.key] if isinstance(s.key, str) else list(s.key)
    used = [*keys, *[c for c in (s.year_column, s.variable_column, s.count_column) if c]]
    used += [s.value_column] if s.layout == "long" else []
    header = Header(row=s.header_row, skip_after=s.skip_after_header)
    if s.format == "xlsx" or path.suffix.lower() == ".xlsx":
        raw = read_xlsx(path, s.sheet, s.decimal, used, keys, header)
    else:
        raw = read_csv_text(path, s.sep, s.encoding, used, keys, header)
        check_field_counts(raw, str(path), footnote_keys(raw.df, keys))
    return raw.df, raw.line


def _json_years(path: Path, s: SeriesConfig) -> pd.DataFrame:
    check_file(path, f"monitor.series {s.indicator!r}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        years = doc["data"].items()
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise InputDataError(f"{path}: expected JSON with data.<year>.<indicator> records "
                             f"({type(exc).__name__}: {exc})") from None
    key = s.key if isinstance(s.key, str) else s.key[0]
    frames = []
    for year, by_ind in years:
        if not isinstance(by_ind, dict) or s.value_column not in by_ind:
            continue
        rec = pd.DataFrame(by_ind[s.value_column])
        if key not in rec or "value" not in rec:
            raise InputDataError(f"{path}: data.{year}.{s.value_column}: records lack {key!r} or "
                                 "'value'")
        frames.append(pd.DataFrame({key: rec[key].astype(str), "_year": year,
                                    "_value": rec["value"].astype(str)}))
    if not frames:
        raise InputDataError(f"{path}: indicator {s.value_column!r} occurs in no year")
    return pd.concat(frames, ignore_index=True)


def read_series(cfg: QuartierConfig, s: SeriesConfig) -> pd.DataFrame:
    """One series as long rows: ``key, year, value, count, line`` (value NaN where missing).

    Shapes: a long table (year column, value column; with ``variable_column`` the rows of one
    ``variable``), a wide-by-year table (a column per year or date), one file per year, or
    Leipzig-style JSON.
    """
    keys = [s.key] if isinstance(s.key, str) else list(s.key)
    line = None
    if s.format == "json":
        df = _json_years(cfg.resolve(s.path), s)
        year, raw, source = df["_year"], df["_value"], str(cfg.resolve(s.path))
    elif s.path is not None:
        path = cfg.resolve(s.path)
        check_file(path, f"monitor.series {s.indicator!r}")
        df, line = _read_table(s, path)
        source = str(path)
        if s.variable_column:
            require_columns(df, [s.variable_column], source, "variable_column")
            keep = df[s.variable_column] == s.variable
            if not keep.any():
                raise InputDataError(f"{path}: no rows with {s.variable_column} = {s.variable!r}; "
                                     f"it holds {rows_preview(sorted(set(df[s.variable_column])), 12)}")
            df, line = df[keep], line[keep]
        if s.layout == "wide_years":
            columns = {c: year_of(c) for c in df.columns if year_of(c) and c not in keys}
            if not columns:
                raise InputDataError(f"{path}: layout = 'wide_years', but no column header names a "
                                     f"year; columns: {', '.join(df.columns)}")
            df = df.assign(_line=line).melt(id_vars=[*keys, "_line"], value_vars=list(columns),
                                            var_name="_column", value_name="_value")
            line = df.pop("_line")
            year, raw = df["_column"].map(columns), df["_value"]
        else:
            require_columns(df, [*keys, s.value_column], source, "series")
            if not s.year_column:
                raise InputDataError(f"{path}: a long series needs year_column (or layout = "
                                     f"'wide_years'); columns: {', '.join(df.columns)}")
            require_columns(df, [s.year_column], source, "year_column")
            year = df[s.year_column].map(lambda v: year_value(v) or v)
            raw = df[s.value_column]
    else:
        parts, lines = [], []
        for y, p in s.files.items():
            path = cfg.resolve(p)
            check_file(path, f"monitor.series {s.indicator!r} files")
            part, part_line = _read_table(s, path)
            require_columns(part, [*keys, s.value_column], str(path), "series")
            parts.append(part.assign(_year=y, _file=path.name))
            lines.append(part_line)
        df = pd.concat(parts, ignore_index=True)
        # messages name the file and its own line: "y2020.csv line 7"
        line = pd.Series([f"{f} line {n}" for f, n in zip(df["_file"], pd.concat(lines), strict=True)],
                         index=df.index)
        year, raw, source = df["_year"], df[s.value_column], f"monitor.series {s.indicator!r}"
    if line is None:
        line = pd.Series(np.arange(len(df)) + 2, index=df.index)
    key = df[keys[0]].astype("string").str.strip()
    for k in keys[1:]:
        key = key + df[k].astype("string").str.strip()
    if s.join == "id":
        key, _ = normalise_ids(key, s.id_width, source, "+".join(keys))
    else:
        key = key.map(normalise_name)
    na = set(DEFAULT_NA_CODES) | set(s.na_values)
    value, _ = parse_numbers(raw, s.decimal, s.thousands, na, source, s.value_column, line)
    check_range(value, s.unit, s.indicator, source, s.value_column, line)
    year_text = year.astype("string").str.strip()
    bad_year = ~year_text.str.fullmatch(r"(19|20)[0-9]{2}").fillna(False)
    if bad_year.any():
        raise InputDataError(f"{source}: lines {rows_preview(line[bad_year])} hold no year "
                             f"({rows_preview(year_text[bad_year].fillna('').unique(), 4)}); a year "
                             "is four digits like 2023 (or a date like 31.12.2023)")
    out = pd.DataFrame({"key": key.to_numpy(), "year": year_text.astype(int).to_numpy(),
                        "value": value.to_numpy(), "line": line.to_numpy()})
    if s.count_column:
        out["count"] = parse_numbers(df[s.count_column], s.decimal, s.thousands, na, source,
                                     s.count_column, line)[0].to_numpy()
    dup = out.duplicated(["key", "year"], keep=False)
    if dup.any():
        raise InputDataError(f"{source}: {s.indicator}: unit and year occur twice in lines "
                             f"{rows_preview(out.loc[dup, 'line'])}; each unit may have one row "
                             "per year")
    return out


def _quality(series: pd.DataFrame, s: SeriesConfig) -> tuple[pd.Series, pd.Series]:
    value = series["value"].copy()
    flag = pd.Series("", index=series.index, dtype=object)
    flag[value.isna()] = "fehlt in der Quelle"
    if s.count_column:
        few = series["count"].fillna(0) < s.min_count
        flag[few & value.notna()] = ("zu wenige Fälle (n=" + series.loc[few, "count"].fillna(0)
                                     .astype(int).astype(str) + f" < {s.min_count:g}; Wert "
                                     + series.loc[few, "value"].round(2).astype(str) + ")")
        flag[few & value.isna()] = "keine Fälle"
        value[few] = np.nan
    if s.positive:
        bad = value <= 0
        flag[bad] = "ungültig (≤ 0): " + value[bad].astype(str)
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


def read_old_units(cfg: QuartierConfig, m: MonitorConfig) -> gpd.GeoDataFrame:
    o = m.old_units
    gdf = read_vector(cfg.resolve(o.path), "monitor.old_units", o.layer)[0].to_crs(cfg.city.crs)
    ids, _ = normalise_ids(gdf[o.id_column], o.id_width, str(o.path), o.id_column)
    return gpd.GeoDataFrame({"old_id": ids}, geometry=gdf.geometry.values, crs=gdf.crs)


def build_monitoring(cfg: QuartierConfig, units: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """All series in long form on the current units, and notes (coverage, interpolation)."""
    m = cfg.monitor
    notes: list[str] = []
    pieces = None
    rows = []
    normalised = units["unit_name"].map(normalise_name)
    name_of = dict(zip(normalised, units["unit_id"], strict=True))
    for s in m.series:
        if s.join == "name" and normalised.duplicated().any():
            raise InputDataError(
                f"monitor.series {s.indicator!r}: unit names "
                f"{rows_preview(sorted(set(units.loc[normalised.duplicated(keep=False), 'unit_name'])))} "
                "occur more than once; join this series on ids")
        series = read_series(cfg, s)
        value, flag = _quality(series, s)
        series = series.assign(value=value, quality_flag=flag)
        if s.join == "name":
            series["key"] = series["key"].map(name_of).fillna("?" + series["key"])
        if s.boundary == "old":
            if m.old_units is None:
                raise InputDataError(f"series {s.indicator!r} is on old units: set monitor.old_units")
            if pieces is None:
                old = read_old_units(cfg, m)
                pieces = piece_weights(old, units, cfg.resolve(m.weight_raster)
                                       if m.weight_raster else None)
            known = set(pieces["old_id"])
            orphan = sorted(set(series["key"]) - known)
            if orphan:
                notes.append(vocab.note("monitor.orphan", indicator=s.label or s.indicator,
                                        n=len(orphan), ids=rows_preview(orphan)))
            parts = []
            for year, grp in series.groupby("year"):
                est = interpolate(grp.set_index("key")["value"], pieces, s.kind)
                parts.append(pd.DataFrame({"key": est.index, "year": year, "value": est.to_numpy(),
                                           "quality_flag": f"interpoliert aus {len(grp)} alten "
                                           "Einheiten (bevölkerungsgewichtet)"}))
            series = pd.concat(parts, ignore_index=True)
        unknown = sorted(set(series["key"]) - set(units["unit_id"]))
        if unknown:
            notes.append(vocab.note("monitor.unknown", indicator=s.label or s.indicator,
                                    n=len(unknown), ids=rows_preview(unknown)))
        years = sorted(series["year"].unique())
        grid = pd.MultiIndex.from_product([units["unit_id"], years], names=["key", "year"])
        full = series.set_index(["key", "year"]).reindex(grid)
        absent = full["quality_flag"].isna()
        full.loc[absent, "quality_flag"] = "Jahr fehlt für diese Einheit"
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

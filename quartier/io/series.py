"""Monitoring series as published: a long table, a column per year, one file per year, or
Leipzig-style JSON, read into long rows; and the previous unit version a series may use."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.config import DEFAULT_NA_CODES, MonitorConfig, SeriesConfig
from quartier.errors import InputDataError, require_columns, rows_preview
from quartier.io.names import normalise_ids, normalise_name
from quartier.io.numbers import parse_numbers
from quartier.io.readers import Header, check_field_counts, check_file, read_csv_text
from quartier.io.tables import check_range, footnote_keys, year_of, year_value
from quartier.io.vector import read_vector
from quartier.io.xlsx import read_xlsx


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


def read_series(s: SeriesConfig) -> pd.DataFrame:
    """One series as long rows: ``key, year, value, count, line`` (value NaN where missing).

    Shapes: a long table (year column, value column; with ``variable_column`` the rows of one
    ``variable``), a wide-by-year table (a column per year or date), one file per year, or
    Leipzig-style JSON.
    """
    keys = [s.key] if isinstance(s.key, str) else list(s.key)
    if s.format == "json":
        if s.path is None:   # excluded by SeriesConfig._one_source
            raise InputDataError(f"monitor.series {s.indicator!r}: format 'json' needs path")
        df = _json_years(s.path, s)
        year, raw, source, line = df["_year"], df["_value"], str(s.path), None
    elif s.path is not None:
        df, year, raw, line = _one_file(s, s.path, keys)
        source = str(s.path)
    else:
        df, year, raw, line = _year_files(s, keys)
        source = f"monitor.series {s.indicator!r}"
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


def read_monitor_series(m: MonitorConfig, *, crs: str
                        ) -> tuple[list[tuple[SeriesConfig, pd.DataFrame]], gpd.GeoDataFrame | None]:
    """Every series of ``[monitor]`` with its rows (:func:`read_series`), and the previous unit
    version (:func:`read_old_units`) where a series is on it, else None."""
    series = [(s, read_series(s)) for s in m.series]
    old = [s.indicator for s in m.series if s.boundary == "old"]
    if old and m.old_units is None:
        raise InputDataError(f"series {', '.join(map(repr, old))} are on old units "
                             "(boundary = \"old\"): set monitor.old_units")
    return series, read_old_units(m, crs=crs) if old else None


def read_old_units(m: MonitorConfig, *, crs: str) -> gpd.GeoDataFrame:
    """The previous version of the units (``monitor.old_units``) in ``crs``: ``old_id``, geometry."""
    o = m.old_units
    if o is None:
        raise InputDataError("no previous unit version: set monitor.old_units")
    gdf = read_vector(o.path, "monitor.old_units", o.layer)[0].to_crs(crs)
    ids, _ = normalise_ids(gdf[o.id_column], o.id_width, str(o.path), o.id_column)
    return gpd.GeoDataFrame({"old_id": ids}, geometry=gdf.geometry.values, crs=gdf.crs)


def _one_file(s: SeriesConfig, path: Path, keys: list[str]
              ) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """A long table (year and value columns) or a column per year in ``path`` (``s.path``): the
    rows, each row's year, value text and line; with ``variable_column`` only the rows of
    ``variable``."""
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
        return df, df["_column"].map(columns), df["_value"], line
    require_columns(df, [*keys, s.value_column], source, "series")
    if not s.year_column:
        raise InputDataError(f"{path}: a long series needs year_column (or layout = "
                             f"'wide_years'); columns: {', '.join(df.columns)}")
    require_columns(df, [s.year_column], source, "year_column")
    return df, df[s.year_column].map(lambda v: year_value(v) or v), df[s.value_column], line


def _year_files(s: SeriesConfig, keys: list[str]
                ) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """One file per year: the rows of all, their year, value text and "file line n"."""
    parts, lines = [], []
    for y, p in s.files.items():
        check_file(p, f"monitor.series {s.indicator!r} files")
        part, part_line = _read_table(s, p)
        require_columns(part, [*keys, s.value_column], str(p), "series")
        parts.append(part.assign(_year=y, _file=p.name))
        lines.append(part_line)
    df = pd.concat(parts, ignore_index=True)
    # messages name the file and its own line: "y2020.csv line 7"
    line = pd.Series([f"{f} line {n}" for f, n in zip(df["_file"], pd.concat(lines), strict=True)],
                     index=df.index)
    return df, df["_year"], df[s.value_column], line

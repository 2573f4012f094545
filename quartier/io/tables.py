"""Indicator tables as published — CSV, xlsx, parquet, JSON, vector attributes, long, wide or a
column per year — read into one row per key with the configured columns as numbers.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

from quartier import vocab
from quartier.config import DEFAULT_NA_CODES, ColumnSpec, GridUnitsConfig, TableConfig
from quartier.errors import InputDataError, require_columns, rows_preview
from quartier.io.grid import table_cell_keys
from quartier.io.joinreport import UNIT_NAMES, TableReport
from quartier.io.names import normalise_ids, normalise_name
from quartier.io.numbers import default_aggregate, number_pattern, parse_numbers
from quartier.io.readers import (
    Header,
    RawTable,
    check_field_counts,
    check_file,
    read_csv_text,
    read_json_records,
    read_parquet_table,
)
from quartier.io.vector import read_attributes
from quartier.io.xlsx import read_xlsx

_NUMERIC_KEY = re.compile(r"^\d+(\.0)?$")

_FOOTNOTE = re.compile(r"^(\*|\(|[\d¹²³⁴⁵⁶⁷⁸⁹⁰]+\)|[¹²³⁴⁵⁶⁷⁸⁹⁰°†‡]|quelle|anm|hinweis|stand|"
                       r"fußnote|fussnote|zeichenerkl|erläuterung)")


def table_format(path: Path, t: TableConfig) -> str:
    """The configured format, or for ``auto`` the one the file's suffix says."""
    if t.format != "auto":
        return t.format
    suffix = "".join(path.suffixes[-1:]).lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".json" and t.json_year:
        return "json"
    if suffix in (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".zip"):
        return "vector"
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".xls":
        raise InputDataError(f"{path}: old .xls workbooks are not read; save it as .xlsx")
    return "csv"


def read_raw_table(path: Path, t: TableConfig, keys: list[str]) -> RawTable:
    """The table's cells as text, whatever the file's format and header layout."""
    used = [*keys, *([t.note_column] if t.note_column else [])]
    if t.layout == "wide":
        used += list(t.columns)
    else:
        used += [*variable_columns(t), *([t.year_column] if t.year_column else [])]
        used += [t.value_column] if t.layout == "long" else []
    header = Header(row=t.header_row, rows=t.header_rows, skip_after=t.skip_after_header,
                    skiprows=t.skiprows, absent=t.no_header)
    fmt = table_format(path, t)
    if fmt == "csv":
        return read_csv_text(path, t.sep, t.encoding, used, keys, header)
    if fmt == "parquet":
        return read_parquet_table(path, f"tables {t.name!r} path")
    if fmt == "xlsx":
        return read_xlsx(path, t.sheet, t.decimal, used, keys, header)
    if fmt == "vector":
        return read_attributes(path, f"tables {t.name!r} path", None, t.encoding, t.decimal, used)
    return read_json_records(path, str(t.json_year), keys[0], list(t.columns))

#: Header of a year or date column in a wide-by-year table: 2020, "Jahr 2020", 31.12.2020,
#: 2020-12-31, "Stand 31.12.2020".
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")

_YEAR_VALUE = re.compile(r"^((?:19|20)[0-9]{2})(?:\.0)?$|^[0-9]{1,2}\.[0-9]{1,2}\.((?:19|20)[0-9]{2})$|"
                         r"^((?:19|20)[0-9]{2})-[0-9]{2}-[0-9]{2}$")

#: Joins the columns that together name a long table's variable ("Arbeitslose | insgesamt").
VARIABLE_JOIN = " | "


def join_columns(df: pd.DataFrame, columns: list[str], sep: str = "") -> pd.Series:
    """The text of several columns joined per row (vectorised; missing cells as '')."""
    parts = [df[c].astype("string").fillna("") for c in columns]
    return parts[0].str.cat(parts[1:], sep=sep) if len(parts) > 1 else parts[0]


def variable_columns(t: TableConfig) -> list[str]:
    """The column(s) naming the variable of a long or wide-by-year table."""
    v = t.variable_column
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def year_value(cell: object) -> str | None:
    """The year of a cell of a year column: 2023, 2023.0 (a spreadsheet number), 31.12.2023 or
    2023-12-31; anything else (2020/21, 2020.7) is None."""
    m = _YEAR_VALUE.match(str(cell).strip())
    return next((g for g in m.groups() if g), None) if m else None


def year_of(header: str) -> str | None:
    """The year a column header names ('31.12.2020' → '2020'), or None."""
    found = _YEAR.findall(str(header))
    return found[-1] if len(set(found)) == 1 else None


def filter_year(df: pd.DataFrame, line: pd.Series, t: TableConfig, source: str
                ) -> tuple[pd.DataFrame, pd.Series, str]:
    """The rows of ``t.year`` in a table with a year column (one row per area and year)."""
    year_column = t.year_column
    if year_column is None:
        raise ValueError(f"{source}: filter_year needs a table with year_column")
    require_columns(df, [year_column], source, "year_column")
    years = df[year_column].map(lambda v: year_value(v) or v)
    available = sorted(set(years) - {""})
    if t.year is None:
        raise InputDataError(f"{source}: a table with a year column needs year (the year to "
                             f"read); the table has {rows_preview(available)}")
    keep = years == str(t.year)
    if not keep.any():
        raise InputDataError(f"{source}: no rows for year {t.year!r} in {t.year_column!r}; "
                             f"years: {rows_preview(available)}")
    return df[keep], line[keep], vocab.note("tables.year", year=str(t.year), n=int(keep.sum()),
                                            total=len(df))


def reshape(df: pd.DataFrame, line: pd.Series, t: TableConfig, keys: list[str], source: str
            ) -> tuple[pd.DataFrame, pd.Series, dict[str, pd.Series], list[str]]:
    """A long or wide-by-year table as one row per key with a column per variable.

    Returns the wide cells, the line of each row, the line of each cell per variable (for
    messages about a value), and notes. A key that holds two values for the same variable and
    year is an error naming the lines.
    """
    notes = []
    if t.layout == "wide_years":
        if t.year is None:
            found = sorted({y for c in df.columns if (y := year_of(c))})
            raise InputDataError(f"{source}: layout = 'wide_years' needs year (the year to read); "
                                 f"the header has the years {', '.join(found) or 'none'}")
        matches = [c for c in df.columns if c == t.year or year_of(c) == str(t.year)[-4:]]
        if len(matches) != 1:
            raise InputDataError(f"{source}: {'no' if not matches else 'more than one'} column "
                                 f"for year {t.year!r} ({', '.join(matches) or 'none'}); "
                                 f"columns: {', '.join(df.columns)}")
        value_col = matches[0]
        notes.append(vocab.note("tables.wide_by_year", column=value_col))
        sel = df
    else:
        value_col = t.value_column
        require_columns(df, [value_col], source, "value_column")
        sel = df
    if t.variable_column:
        names = variable_columns(t)
        require_columns(sel, names, source, "variable_column")
        variable = join_columns(sel, names, VARIABLE_JOIN)
    else:
        if list(t.columns) != [value_col] and list(t.columns) != ["value"]:
            raise InputDataError(f"{source}: without variable_column the table holds one variable: "
                                 f"name it in [tables.columns] as 'value'")
        variable = pd.Series("value", index=sel.index)
    wanted = variable.isin(list(t.columns))
    present = set(variable[wanted])
    missing = [c for c in t.columns if c not in present]
    if missing:
        raise InputDataError(f"{source}: variable(s) {', '.join(map(repr, missing))} not found in "
                             f"{t.variable_column!r}; it holds {rows_preview(sorted(set(variable)), 12)}")
    sel, variable = sel[wanted], variable[wanted]
    key = join_columns(sel, keys) if len(keys) > 1 else sel[keys[0]]
    dup = pd.DataFrame({"k": key, "v": variable}).duplicated(keep=False)
    if dup.any():
        raise InputDataError(f"{source}: {'+'.join(keys)!r} and variable occur twice in lines "
                             f"{rows_preview(line[sel.index[dup]])}; each area may have one value "
                             "per variable (and year)")
    cells = pd.DataFrame({"k": key, "v": variable, "x": sel[value_col], "line": line[sel.index]})
    wide = cells.pivot(index="k", columns="v", values="x").fillna("")
    lines = cells.pivot(index="k", columns="v", values="line")
    first = cells.groupby("k", sort=False)["line"].min()
    order = first.sort_values().index
    wide, lines = wide.loc[order], lines.loc[order]
    extra = [c for c in [t.note_column, *keys[1:]] if c]
    out = pd.DataFrame({keys[0]: order}, index=range(len(order)))
    for c in extra:
        out[c] = sel.groupby(key.to_numpy())[c].first().reindex(order).to_numpy()
    if len(keys) > 1:
        out[keys[0]] = order
        for c in keys[1:]:
            out[c] = ""
    for c in t.columns:
        out[c] = wide[c].to_numpy()
    cell_line = {c: pd.Series(lines[c].to_numpy(), index=out.index) for c in t.columns}
    return (out.astype("string"), pd.Series(first.loc[order].to_numpy(), index=out.index),
            cell_line, notes)


def value_source(columns: list[str], t: TableConfig, column: str) -> str:
    """The file's column that holds the values of ``column``: itself in a wide table, the value
    column of a long one, the column of the year in a wide-by-year one."""
    if t.layout == "long":
        return t.value_column or column
    if t.layout == "wide_years":
        return next((c for c in columns if c == t.year or year_of(c) == str(t.year)[-4:]), column)
    return column


def check_shares(values: pd.Series, shown_percent: pd.Series, spec: ColumnSpec, source: str,
                 column: str, line: pd.Series, notes: list[str]) -> None:
    """Fractions read as percent are refused: a '%' column whose cells a workbook shows as
    percent (it stores 5,5 % as 0.055) needs scale = 100, one that mixes such cells with plain
    numbers is ambiguous, and one whose values all lie in 0–1 (any format) needs scale = 100 or,
    for shares that really are all below 1 %, max = 1 to confirm."""
    share = spec.unit.strip() == "%"
    given = values.notna()
    if shown_percent.any():
        plain = given & ~shown_percent
        at = f"lines {rows_preview(line[shown_percent])}"
        if share and plain.any():
            raise InputDataError(
                f"{source}: column {column!r} mixes cells formatted as percent ({at}; the workbook "
                f"stores 5,5 % as 0.055) with plain numbers (lines {rows_preview(line[plain])}): "
                "which scale is meant cannot be known. Format the column uniformly in the "
                "workbook (all as numbers, or all as percent and scale = 100)")
        if share and spec.scale == 1:
            raise InputDataError(
                f"{source}: column {column!r} is a share in % (unit '%'), but its cells are "
                f"formatted as percent ({at}): the workbook stores 5,5 % as 0.055 (here e.g. "
                f"{values[shown_percent].iloc[0]:g}). Set scale = 100 for this column")
        if not share and spec.scale == 1:
            notes.append(vocab.note("tables.percent_cells", column=column,
                                    n=int(shown_percent.sum())))
        return
    if share and spec.scale == 1 and spec.max is None:
        v = values[given]
        if len(v) and v.between(0, 1).all() and v.max() > 0:
            raise InputDataError(
                f"{source}: column {column!r} is a share in % (unit '%'), but all its values lie "
                f"in 0–1 (e.g. {v.iloc[0]:g}, lines {rows_preview(line[given])}): fractions "
                "(0.055 for 5,5 %) would be read as 0.055 %. Set scale = 100 for this column if "
                "the values are fractions, or max = 1 if the shares really are all below 1 %")


def check_range(values: pd.Series, spec: ColumnSpec | str, name: str, source: str, column: str,
                line: pd.Series) -> None:
    """Values outside the column's valid range are an error: a share (unit '%') outside 0–100,
    or the configured min/max. ``spec`` is the column's spec, or just its unit."""
    unit = spec if isinstance(spec, str) else spec.unit
    lo, hi = (ColumnSpec(name="x", unit=unit) if isinstance(spec, str) else spec).valid_range()
    out = (values < lo) | (values > hi)
    if out.any():
        what = "a share in % (unit '%')" if unit.strip() == "%" else name
        raise InputDataError(
            f"{source}: column {column!r} is {what} and must lie in {lo:g}…{hi:g}, but lines "
            f"{rows_preview(line[out])} hold {rows_preview(values[out].unique(), 4)}. Fix the file, "
            "or set min/max (or the unit) of this column in the config if the values are right")


def drop_file_rows(df: pd.DataFrame, line: pd.Series, t: TableConfig, source: str,
                   report: TableReport) -> pd.Series:
    """Rows dropped by their place in the file: ``drop_rows`` (line numbers as messages show
    them) and ``drop_where`` (a level column). Applied before a long table is reshaped."""
    drop = pd.Series(False, index=df.index)
    rules: list[tuple[str, pd.Series]] = []
    if t.drop_rows:
        unknown = sorted(set(t.drop_rows) - set(line))
        if unknown:
            raise InputDataError(f"{source}: drop_rows names lines {rows_preview(unknown)}, which "
                                 f"are not data rows of the table (data rows: lines "
                                 f"{line.min()}–{line.max()})")
        rules.append(("drop_rows", line.isin(t.drop_rows)))
    for column, values in t.drop_where.items():
        require_columns(df, [column], source, "drop_where")
        rules.append((f"drop_where {vocab.quoted(column)}", df[column].isin(values)))
    for rule, hit in rules:
        if hit.any():
            report.notes.append(vocab.note("tables.dropped_lines", n=int(hit.sum()), rule=rule,
                                           lines=vocab.preview(line[hit])))
        drop |= hit
    return drop


def drop_keys(key: pd.Series, join_key: pd.Series, line: pd.Series, t: TableConfig,
              report: TableReport) -> pd.Series:
    """Rows dropped by their key: ``drop_keys`` (totals whose key no unit has; the keys are kept
    in ``report.dropped_keys`` so that :func:`join_table` refuses to drop a unit's row) and
    ``drop_pattern``."""
    drop = pd.Series(False, index=key.index)
    rules: list[tuple[str, pd.Series]] = []
    if t.drop_keys:
        wanted = set(t.drop_keys) if t.join == "id" else {normalise_name(k) for k in t.drop_keys}
        hit = join_key.isin(wanted)
        report.dropped_keys = {k: line[join_key == k].tolist() for k in set(join_key[hit])}
        rules.append(("drop_keys", hit))
    if t.drop_pattern:
        rules.append((f"drop_pattern {vocab.quoted(t.drop_pattern)}",
                      key.str.contains(t.drop_pattern, regex=True).fillna(False)))
    for rule, hit in rules:
        if hit.any():
            rows = [vocab.note("tables.key_line", row=k, line=str(n))
                    for k, n in zip(key[hit], line[hit], strict=True)]
            report.notes.append(vocab.note("tables.dropped_keys", n=int(hit.sum()), rule=rule,
                                           rows=vocab.preview(rows)))
        drop |= hit
    return drop


def footnote_rows(df: pd.DataFrame, key: pd.Series, line: pd.Series, t: TableConfig,
                  report: TableReport) -> pd.Series:
    """Footnotes, sources and blank lines under a table: an empty key, or a text key where keys
    are numbers (said in the report; a keyless row holding numbers is named as data)."""
    blank_values = df[list(t.columns)].astype("string").fillna("").apply(
        lambda c: c.str.strip().eq("")).all(axis=1)
    if t.join == "id":
        texty = ~key.str.fullmatch(_NUMERIC_KEY.pattern).fillna(False)
    else:
        texty = key.str.match(_FOOTNOTE.pattern, case=False).fillna(False)
    # a merged footnote spans the row: every value cell repeats the key's text
    spanning = df[list(t.columns)].astype("string").fillna("").eq(key, axis=0).all(axis=1) & texty
    numbers = df[list(t.columns)].astype("string").fillna("").apply(
        lambda c: c.str.fullmatch(number_pattern(t.decimal, t.thousands).pattern)).any(axis=1)
    # a legend split over the cells by the separator ("¹) vorläufig; ° geschätzt; …"): text only
    footnote = key.eq("") | (blank_values & texty) | spanning | (texty & ~numbers)
    if footnote.any():
        report.dropped_rows += [vocab.note("tables.dropped_row", line=str(n), text=v[:40])
                                for n, v in zip(line[footnote], df.loc[footnote].iloc[:, 0],
                                                strict=True)]
        # a row without a key but with numbers is data that cannot be joined, not a footnote
        keyless = footnote & key.eq("") & numbers
        plain = footnote & ~keyless
        if plain.any():
            report.notes.append(vocab.note("tables.footnotes", n=int(plain.sum()),
                                           lines=vocab.preview(line[plain])))
        if keyless.any():
            report.notes.append(vocab.note("tables.keyless", n=int(keyless.sum()),
                                           lines=vocab.preview(line[keyless])))
    return footnote


def footnote_keys(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Rows whose key is empty or reads like a footnote ("Quelle: …", "* …")."""
    if not all(k in df.columns for k in keys):
        return pd.Series(False, index=df.index)
    # column-wise concatenation: a row-wise join takes a minute on a census grid's 361k rows
    parts = [df[k].astype("string").fillna("") for k in keys]
    key = parts[0]
    for part in parts[1:]:
        key = key + part
    key = key.str.strip()
    return key.eq("") | key.str.match(_FOOTNOTE.pattern, case=False).fillna(False)


def read_table(t: TableConfig, *, grid: GridUnitsConfig | None = None
               ) -> tuple[pd.DataFrame, TableReport]:
    """Read one indicator table into one row per key with the configured columns as numbers.

    Parameters
    ----------
    t : TableConfig
        The ``[[tables]]`` block: file, format, header, layout, key, number format, columns.
    grid : GridUnitsConfig, optional
        ``[units.grid]`` where the units are census cells (``join = "grid"``).

    Returns
    -------
    table : DataFrame
        ``key`` (normalised), ``key_text``, ``line`` and one column per configured indicator
        (floats; NaN where missing).
    report : TableReport
        Notes on what was read, dropped, repaired and left missing.
    """
    source = str(t.path)
    report = TableReport(name=t.name, path=source)
    check_file(t.path, f"tables {t.name!r} path")
    keys = [t.key] if isinstance(t.key, str) else list(t.key)
    raw = read_raw_table(t.path, t, keys)
    report.notes += raw.notes
    df, line, cell_line = _table_rows(raw, t, keys, source, report)
    df, key, join_key, line = _table_keys(df, line, t, keys, grid, source, report)
    out = pd.DataFrame({"key": join_key.to_numpy(), "key_text": key.to_numpy(),
                        "line": line.to_numpy()})
    values = _table_values(df, line, cell_line, raw, t, grid, source, report)
    for name, v in values.items():
        out[name] = v.to_numpy()
    if t.note_column:
        out[f"{t.name}_note"] = df[t.note_column].astype("string").to_numpy()
    if t.unit_names:
        require_columns(df, [t.unit_names], source, "unit_names")
        out[UNIT_NAMES] = df[t.unit_names].astype("string").str.strip().to_numpy()
    if t.aliases:
        out = apply_aliases(out, t, report)
    dup = out["key"].duplicated(keep=False)
    if dup.any():
        raise InputDataError(
            f"{source}: key {'+'.join(keys)!r} is duplicated in lines "
            f"{rows_preview(out.loc[dup, 'line'])} ({rows_preview(sorted(set(out.loc[dup, 'key_text'])), 5)}); "
            "each unit may appear once. If some of these rows are totals (a district named like "
            "one of its quarters), drop them by line (drop_rows), by a level column (drop_where) "
            "or by a pattern (drop_pattern)"
        )
    report.rows = len(out)
    return out, report


def _table_rows(raw: RawTable, t: TableConfig, keys: list[str], source: str,
                report: TableReport) -> tuple[pd.DataFrame, pd.Series, dict[str, pd.Series]]:
    """The data rows of the configured year, one per key and variable (long and wide-by-year
    tables reshaped), with the line of every row and cell; every missing column named at once."""
    df, line = raw.df, raw.line
    if df.empty:
        raise InputDataError(f"{source}: the table has a header but no data rows")
    drop = drop_file_rows(df, line, t, source, report)
    df, line = df[~drop], line[~drop]
    if t.year_column:
        df, line, note = filter_year(df, line, t, source)
        report.notes.append(note)
    check_field_counts(replace(raw, df=df, line=line), source, footnote_keys(df, keys))
    cell_line: dict[str, pd.Series] = {}
    if t.layout != "wide":
        df, line, cell_line, notes = reshape(df, line, t, keys, source)
        report.notes += notes
    # every missing column at once: a wrong key and a wrong indicator are one message
    missing = {what: [c for c in cols if c not in df.columns] for what, cols in (
        ("key", keys), ("indicator", list(t.columns)),
        ("note", [t.note_column] if t.note_column else []))}
    if any(missing.values()):
        raise InputDataError(
            f"{source}: " + " and ".join(f"{what} column(s) {', '.join(map(repr, cols))}"
                                         for what, cols in missing.items() if cols)
            + f" not found. Available columns: {', '.join(map(str, df.columns))}")
    return df, line, cell_line


def _table_keys(df: pd.DataFrame, line: pd.Series, t: TableConfig, keys: list[str],
                grid: GridUnitsConfig | None, source: str, report: TableReport
                ) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """The rows that are data (footnotes skipped, totals dropped) with their key as written and
    as joined (ids zero-padded, names normalised, census cells as INSPIRE ids)."""
    if t.join == "grid":
        # cells are keyed by numbers or ids that must all parse: no footnote rows to skip
        key = table_cell_keys(df, line, keys, grid, source, t.decimal)
    else:
        key = df[keys[0]].astype("string").fillna("").str.strip()
        for part in keys[1:]:
            key = key + df[part].astype("string").fillna("").str.strip()
        footnote = footnote_rows(df, key, line, t, report)
        if footnote.all():
            raise InputDataError(
                f"{source}: no row of table {t.name!r} matches a unit: every row was skipped as "
                f"a footnote or blank row — key {'+'.join(keys)!r} is empty (or footnote text) in "
                f"lines {rows_preview(line)}. Check key (the column that holds the units' ids or "
                "names) and header_row")
        df, key, line = df[~footnote], key[~footnote], line[~footnote]
    if t.join == "id":
        key, padded = normalise_ids(key, t.id_width, source, "+".join(keys))
        if padded:
            report.notes.append(vocab.note("tables.ids_padded", n=padded, width=t.id_width))
    join_key = key.map(normalise_name) if t.join == "name" else key
    drop = drop_keys(key, join_key, line, t, report)
    return df[~drop], key[~drop], join_key[~drop], line[~drop]


def _table_values(df: pd.DataFrame, line: pd.Series, cell_line: dict[str, pd.Series],
                  raw: RawTable, t: TableConfig, grid: GridUnitsConfig | None, source: str,
                  report: TableReport) -> dict[str, pd.Series]:
    """Each configured column as numbers (quartier's name → values), with the shares checked
    and the missing-value codes counted per column."""
    na_codes = set(DEFAULT_NA_CODES) | set(t.na_values)
    if t.join == "grid" and grid is not None:
        # a census grid's codes (-1 no data, -9 suppressed) hold for its attribute files too
        na_codes |= set(grid.na_values)
    na_codes -= set(t.zero_values)
    out: dict[str, pd.Series] = {}
    code_columns: dict[tuple[str, int], list[str]] = {}
    for column, spec in t.columns.items():
        where = cell_line[column].loc[df.index] if column in cell_line else line
        values, codes = _column_values(df[column], t, column, na_codes, source, where, report)
        shown = where.isin(raw.percent.get(value_source(list(raw.df.columns), t, column), ()))
        check_shares(values, shown & values.notna(), spec, source, column, where, report.notes)
        if spec.scale != 1:
            values = values * spec.scale
            report.notes.append(vocab.note("tables.scaled", column=column,
                                           scale=vocab.decimal(spec.scale)))
        check_range(values, spec, spec.name, source, column, where)
        out[spec.name] = values
        for code, n in codes.items():
            code_columns.setdefault((code, n), []).append(column)
    for (code, n), columns in code_columns.items():
        report.notes.append(vocab.note("tables.missing_code", code=vocab.quoted(code), n=int(n),
                                       columns=", ".join(columns)))
    return out


def _column_values(raw: pd.Series, t: TableConfig, column: str, na_codes: set[str], source: str,
                   where: pd.Series, report: TableReport) -> tuple[pd.Series, dict[str, int]]:
    """One column's cells as numbers: footnote marks removed, zero codes read as 0."""
    if not pd.api.types.is_numeric_dtype(raw):
        raw = raw.astype("string").str.strip()
        if t.footnote_marks:
            raw = strip_marks(raw, t.footnote_marks, column, report)
    zero = (raw.astype("string").isin(t.zero_values) if t.zero_values
            else pd.Series(False, index=raw.index))
    if zero.any():
        report.notes.append(vocab.note("tables.zero_values", column=column, n=int(zero.sum()),
                                       values=", ".join(map(vocab.quoted, sorted(set(raw[zero]))))))
    return parse_numbers(raw.mask(zero, "0") if zero.any() else raw, t.decimal, t.thousands,
                         na_codes, source, column, where)


def strip_marks(raw: pd.Series, marks: list[str], column: str, report: TableReport) -> pd.Series:
    """Footnote marks after a number ('3,4¹', '857°') removed, the number kept (said per
    column); a mark alone ('*' for a suppressed cell) is left for the missing-value codes."""
    pattern = "(?<=[0-9%])(?:" + "|".join(re.escape(m) for m in marks) + ")+$"
    stripped = raw.str.replace(pattern, "", regex=True)
    changed = stripped.ne(raw).fillna(False)
    if changed.any():
        report.notes.append(vocab.note("tables.marks", column=column, n=int(changed.sum()),
                                       values=vocab.preview(raw[changed].unique(), 3)))
    return stripped


def apply_aliases(table: pd.DataFrame, t: TableConfig, report: TableReport) -> pd.DataFrame:
    """Rename table keys to unit keys (``aliases``); a row whose alias is a list covers several
    units and is given to each of them (said in the report)."""
    norm = (lambda k: str(k).strip()) if t.join == "id" else normalise_name
    targets = {norm(alias): (alias, [units] if isinstance(units, str) else list(units))
               for alias, units in t.aliases.items()}
    present = set(table["key"])
    unused = [alias for k, (alias, _) in targets.items() if k not in present]
    if unused:
        report.notes.append(vocab.note("tables.aliases_unused", aliases=vocab.preview(unused)))
    counts = [spec.name for spec in t.columns.values() if default_aggregate(spec.unit) == "sum"
              and spec.name in table]
    for _, row in table[table["key"].isin(targets)].iterrows():
        _, units = targets[row["key"]]
        line = str(row["line"])
        if len(units) > 1:
            report.notes.append(vocab.note("tables.alias_covers", row=row["key_text"], line=line,
                                           n=len(units), units=", ".join(units)))
            extra = {c: row[c] * (len(units) - 1) for c in counts if pd.notna(row[c]) and row[c]}
            if extra:
                report.warnings.append(vocab.note(
                    "tables.alias_counts", table=report.name, row=row["key_text"], line=line,
                    n=len(units), counts=", ".join(f"{c} +{vocab.count(v)}"
                                                   for c, v in extra.items())))
        else:
            report.notes.append(vocab.note("tables.alias", row=row["key_text"], line=line,
                                           unit=units[0]))
    keys = [[norm(u) for u in targets[k][1]] if k in targets else [k] for k in table["key"]]
    return table.assign(key=keys).explode("key").reset_index(drop=True)

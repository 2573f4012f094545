"""Joining a table to the units, and the join report that says what matched and what did not."""

from __future__ import annotations

import difflib

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quartier import vocab
from quartier.config import TableConfig
from quartier.errors import InputDataError, rows_preview
from quartier.io.joinreport import MAX_SUGGESTED, UNIT_NAMES, TableReport
from quartier.io.names import normalise_name
from quartier.io.quality import repeated_note, repeated_values


def unit_keys(units: gpd.GeoDataFrame, t: TableConfig, source: str) -> tuple[pd.Series, pd.Series]:
    """The units' join key for table ``t`` (normalised) and the text shown for it in reports:
    the unit's id or name, or with ``level = "group"`` its coarser area's id or name."""
    if t.level == "group":
        column = "unit_group_id" if t.join == "id" else "unit_group"
        if column not in units:
            need = "units.group_id_column" if t.join == "id" else "units.group_column"
            raise InputDataError(f"{source}: table {t.name!r} has level = 'group', but the config "
                                 f"names no {need} (the coarser area of each unit)")
        text = units[column]
    else:
        text = units["unit_name"] if t.join == "name" else units["unit_id"]
    return (text.map(normalise_name) if t.join == "name" else text), text


def member(values: pd.Series, pool: pd.Series) -> pd.Series:
    """``values.isin(pool)`` by Arrow's hash kernel: pandas' isin on arrow strings walks the pool
    in Python (1.6 s for the 361,478 cells of a census grid table, here 0.07 s)."""
    hit = pc.is_in(pa.array(values, type=pa.string()), value_set=pa.array(pool, type=pa.string()))
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=values.index)


def units_are_cells(units: pd.DataFrame) -> bool:
    """The units were built from a census grid (their ids are INSPIRE ids)."""
    return bool(len(units)) and str(units["unit_id"].iloc[0]).startswith("CRS")


def join_table(units: gpd.GeoDataFrame, table: pd.DataFrame, report: TableReport,
               t: TableConfig) -> gpd.GeoDataFrame:
    """Left-join a table read by :func:`~quartier.io.tables.read_table` to the units; fill in
    the report (matched, unmatched with the closest names, names matched only after
    normalising their spelling, missing values, values repeated for a coarser area)."""
    unit_key, unit_text = unit_keys(units, t, report.path)
    _check_keys(units, unit_key, report, t)
    got_row = member(unit_key, table["key"])
    report.matched = int(got_row.sum())
    report.only_in_units = sorted(units.loc[~got_row, "unit_id"])
    in_units = member(table["key"], unit_key)
    unmatched = table[~in_units]
    report.only_in_table = unmatched["key_text"].tolist()
    candidates = ({} if t.join == "grid" else
                  dict(zip(unit_key, unit_text.astype(str), strict=True)))
    if report.matched == 0:
        _no_match(units, table, unmatched, unit_key, unit_text, report, t)
    if t.join == "grid":
        report.cells = True
        if len(unmatched):
            report.notes.append(vocab.note("join.not_units", n=len(unmatched)))
    else:
        _suggest(unmatched, candidates, report)
    if t.join == "name":
        spelled = table[in_units]
        exact = set(unit_text.astype(str))
        differ = [f"{vocab.quoted(a)} = {vocab.quoted(candidates[k])}"
                  for a, k in zip(spelled["key_text"], spelled["key"], strict=True)
                  if a not in exact]
        if differ:
            report.notes.append(vocab.note("join.normalised", n=len(differ),
                                           pairs=vocab.preview(differ, 6)))
    if t.level == "group":
        report.notes.append(vocab.note("join.group", areas=int(in_units.sum()), n=report.matched))
    values = table.drop(columns=["key_text", "line"]).set_index("key")
    joined = values.reindex(unit_key.to_numpy())
    joined.index = units.index
    if UNIT_NAMES in joined:
        named = joined.pop(UNIT_NAMES).replace("", pd.NA)
        units = units.assign(unit_name=named.fillna(units["unit_name"]).astype("string"))
        report.notes.append(vocab.note("join.unit_names", column=t.unit_names,
                                       n=int(named.notna().sum()), total=len(units)))
    _report_values(units, joined, got_row, report, t)
    return units.join(joined)


def _check_keys(units: gpd.GeoDataFrame, unit_key: pd.Series, report: TableReport,
                t: TableConfig) -> None:
    """Names that key several units cannot be joined on; drop_keys must not drop a unit."""
    if t.join == "name" and t.level == "unit":
        dup = unit_key[unit_key.duplicated(keep=False)]
        if len(dup):
            raise InputDataError(
                f"units: names {rows_preview(sorted(set(units.loc[dup.index, 'unit_name'])))} occur "
                f"more than once; table {report.name!r} cannot be joined on names, use ids"
            )
    dropped = pd.Series(list(report.dropped_keys), dtype="string")
    lost = {k: report.dropped_keys[k] for k in dropped[member(dropped, unit_key)]}
    if lost:
        units_hit = units.loc[member(unit_key, dropped), "unit_name"].tolist()
        raise InputDataError(
            f"{report.path}: drop_keys removes rows (lines "
            f"{rows_preview(n for lines in lost.values() for n in lines)}) whose key "
            f"{rows_preview(sorted(lost))} is also a unit's ({rows_preview(units_hit)}): that unit "
            "would lose its data. Drop only the total rows: by line (drop_rows = [..]), by a level "
            "column (drop_where = { column = [\"value\"] }) or by a pattern (drop_pattern)")


def _no_match(units: gpd.GeoDataFrame, table: pd.DataFrame, unmatched: pd.DataFrame,
              unit_key: pd.Series, unit_text: pd.Series, report: TableReport,
              t: TableConfig) -> None:
    """A table that reaches no unit is an error saying why it may be."""
    if t.join == "grid":
        swapped = table["key"].str.replace(r"N(\d+)E(\d+)$", r"N\2E\1", regex=True)
        hint = ("x and y look swapped: key = [x, y] names the easting first"
                if member(swapped, unit_key).any() else
                "check the cell size (units.grid.cell_m) and that key names the cell centres "
                "or INSPIRE ids of the same grid")
        raise InputDataError(
            f"{report.path}: no cell of the table is a unit (table e.g. "
            f"{unmatched['key_text'].iloc[0] if len(unmatched) else '–'}, units e.g. "
            f"{units['unit_id'].iloc[0]}): {hint}")
    if not len(table):
        raise InputDataError(
            f"{report.path}: no row of table {report.name!r} matches a unit: every row was "
            f"dropped ({'; '.join(report.notes[-3:]) or 'drop rules'}); check drop_keys, "
            "drop_pattern, drop_rows and drop_where")
    grid = " The units are census cells: set join = 'grid'." if units_are_cells(units) else ""
    raise InputDataError(
        f"{report.path}: no row of table {report.name!r} matches a unit (0 of {len(units)} "
        f"units; table keys e.g. {rows_preview(unmatched['key_text'].head(3).tolist(), 3)}, "
        f"unit {'ids' if t.join == 'id' else 'names'} e.g. "
        f"{rows_preview(unit_text.head(3).astype(str).tolist(), 3)}). Check key, join "
        f"('id' or 'name'), id_width and level.{grid}")


def _suggest(unmatched: pd.DataFrame, candidates: dict[str, str], report: TableReport) -> None:
    """The closest unit names of each unmatched key (difflib compares each key with every
    unit: bounded for large tables)."""
    for text, key in list(zip(unmatched["key_text"], unmatched["key"], strict=True))[
            :MAX_SUGGESTED]:
        close = difflib.get_close_matches(str(key), list(candidates), n=3, cutoff=0.6)
        report.suggestions[text] = [candidates[c] for c in close]
    if len(unmatched) > MAX_SUGGESTED:
        report.notes.append(vocab.note("join.suggested", shown=MAX_SUGGESTED, n=len(unmatched)))


def _report_values(units: gpd.GeoDataFrame, joined: pd.DataFrame, got_row: pd.Series,
                   report: TableReport, t: TableConfig) -> None:
    """Missing values per column (with the note column's reason), and values repeated for the
    units of a coarser area."""
    note_columns = [c for c in joined.columns if c.endswith("_note")]
    any_missing = pd.Series(False, index=units.index)
    for column in joined.columns.difference(note_columns):
        miss = joined[column].isna() & got_row
        if miss.any():
            report.rows_with_missing[column] = units.loc[miss, "unit_id"].tolist()
            any_missing |= miss
    value_columns = [c for c in joined.columns.difference(note_columns)
                     if pd.api.types.is_numeric_dtype(joined[c])]
    if t.level == "unit" and t.join != "grid":
        groups = repeated_values(joined.loc[got_row, value_columns], units.loc[got_row, "unit_id"],
                                 units.geometry[got_row])
        if groups:
            report.warnings.append(f"{report.name}: " + repeated_note(groups, int(got_row.sum()),
                                                                       value_columns))
    for note in note_columns:
        for text, ids in units.loc[any_missing, "unit_id"].groupby(joined.loc[any_missing, note]):
            report.notes.append(vocab.note("join.marked_missing", n=len(ids), mark=text,
                                           ids=vocab.preview(ids)))

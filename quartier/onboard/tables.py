"""Guess one ``[[tables]]`` block: sheet, header, key, layout, numbers, columns, rows to drop.

Every guess is a :class:`~quartier.onboard.document.Line` with its evidence and confidence;
where the file cannot decide (a dot before three digits in every number), the question goes to
``decide`` and `check` fails until the user answered it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from quartier.config import DEFAULT_NA_CODES, TableConfig
from quartier.errors import InputDataError, rows_preview
from quartier.io.tables import VARIABLE_JOIN, join_columns, table_format, year_of, year_value
from quartier.onboard.cells import (
    Cells,
    Header,
    NumberFormat,
    Sheet,
    cells,
    column_values,
    detect_numbers,
    find_header,
    parses,
    read_sheets,
)
from quartier.onboard.document import Confidence, Section
from quartier.onboard.keys import Match, Target, best_match, classify_rows, describe_drops, key_text
from quartier.onboard.units import GROUP_HINT, ID_HINT, has_letters, slug

#: Names of a count of residents ("gesamt" alone, in a population table; "Arbeitslose
#: insgesamt" is no population).
POPULATION_HINT = re.compile(r"einwohner|bevoelkerung|population|inhabitants|^ew$|^ew_|_ew$|"
                             r"^(gesamt|insgesamt|summe)$|^personen_insgesamt$")
SHARE_HINT = re.compile(r"%|anteil|quote|prozent|_pct|share|rate\b|pct|percent")
VALUE_HINT = re.compile(r"^(indikator)?wert|value|^zahl$|^anzahl$|^wert$")
VARIABLE_HINT = re.compile(r"variable|merkmal|indikator|kennzahl|thema|auspraegung|zeile|art$")


@dataclass
class Prepared:
    """A table read and matched against every possible target (before the units' id column
    is chosen)."""

    path: Path
    name: str
    fmt: str
    sheet: Sheet
    header: Header
    cells: Cells
    match: Match | None
    n_sheets: int = 1


@dataclass
class TableGuess:
    section: Section
    columns: Section
    match: Match
    values: dict[str, pd.Series] = field(default_factory=dict)   # quartier name → per unit
    units_of: dict[str, str] = field(default_factory=dict)        # quartier name → unit
    #: counts of residents (unit 'Personen'), candidates for the population column
    persons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    unit_names: str | None = None


def prepare(path: Path, name: str, targets: list[Target], sheet: str | int | None) -> Prepared:
    """Read every sheet, find its header (or that it has none), and match its columns."""
    fmt = table_format(path, TableConfig(name=name, path=path, key="x", columns={}))
    if fmt == "json":
        raise InputDataError(f"{path}: JSON statistics (Leipzig API layout) are written by hand: "
                             "format = 'json', json_year, key (see README, 'Your city')")
    sheets = read_sheets(path, fmt, sheet)
    best: Prepared | None = None
    for sh in sheets:
        header = find_header(sh)
        if header.row is None or (header.row == 0 and header.rows == 1):
            # the first row is the header — or data, when it already holds a unit's key
            header = Header(None) if _first_row_is_unit(sh, targets, path) else Header(0)
        c = cells(sh, header, str(path))
        m = best_match(c.df, targets, set(), c.keys)
        cand = Prepared(path, name, fmt, sh, header, c, m, len(sheets))
        if best is None or _rank(cand) > _rank(best):
            best = cand
    assert best is not None
    return best


def _rank(p: Prepared) -> tuple:
    return (p.match.score if p.match else (-1,), len(p.cells.df))


def _first_row_is_unit(sheet: Sheet, targets: list[Target], path: Path) -> bool:
    """A table without header: read with the first row as data, its best key column matches
    the first row too."""
    c = cells(sheet, Header(None), str(path))
    m = best_match(c.df, targets, set(), c.keys)
    return m is not None and bool(len(m.matched)) and m.matched.iloc[0] != "" \
        and c.line.iloc[0] == 1


# ---------------------------------------------------------------------------------- layout


@dataclass
class Layout:
    kind: str                                  # wide, long, wide_years
    year_column: str | None = None
    year: str | None = None
    variables: list[str] = field(default_factory=list)
    value_column: str | None = None
    year_columns: list[str] = field(default_factory=list)
    evidence: list[tuple[str, object, str]] = field(default_factory=list)


def _year_column(df: pd.DataFrame, exclude: set[str]) -> str | None:
    for c in df.columns:
        if c in exclude:
            continue
        v = df[c][df[c].ne("")]
        if len(v) and v.map(lambda x: year_value(x) is not None).mean() > 0.95 and v.nunique() >= 2:
            return c
    return None


def _variable_columns(df: pd.DataFrame, key: pd.Series, fixed: list[str], exclude: set[str]
                      ) -> list[str]:
    """The fewest text columns that, with the key (and year), name each row once."""
    cands = [c for c in df.columns if c not in exclude and 1 < df[c].nunique() <= 300
             and has_letters(df[c])]
    cands.sort(key=lambda c: (not VARIABLE_HINT.search(slug(c)), list(df.columns).index(c)))
    frame = pd.DataFrame({"__k": key, **{f: df[f] for f in fixed}})
    if not frame.duplicated().any():
        return []   # the key (and year) name each row already
    for size in (1, 2, 3):
        for i in range(len(cands)):
            cols = cands[i:i + size] if size > 1 else [cands[i]]
            if len(cols) < size:
                continue
            # a few rows may repeat (a district named like one of its quarters): dropped later
            if frame.join(df[cols]).duplicated().mean() <= 0.05:
                return cols
    return []


def _numeric_share(c: Cells, column: str) -> float:
    text = c.df[column]
    nonempty = text.ne("")
    if not nonempty.any():
        return 0.0
    looks = text[nonempty].str.fullmatch(r"[+\-\u2212\u2013]?\s*[\d.,\s'\u00a0\u202f]*\d"
                                         r"[\d.,\s'\u00a0\u202f]*%?")
    return float((looks.fillna(False) | c.native[column][nonempty]).mean())


def _filled(text: pd.Series) -> pd.Series:
    """Cells that hold a value: not empty, not a missing-value code ('.', '-', 'x')."""
    t = text.astype("string").str.strip().fillna("")
    return t.ne("") & ~t.isin(DEFAULT_NA_CODES)


def _latest_with_data(filled: pd.DataFrame, years: pd.Series) -> tuple[str, str]:
    """The latest year in which every variable (column of ``filled``: rows holding a value)
    has values for at least half as many rows as in its best year; later years with values for
    only some variables are named."""
    per_year = filled.groupby(years.to_numpy()).sum()
    per_year = per_year[per_year.index != ""]
    best = per_year.max()
    complete = (per_year >= 0.5 * best.where(best > 0, 1)).all(axis=1)
    latest = max(per_year.index[complete], key=int) if complete.any() else max(per_year.index,
                                                                              key=int)
    later = [y for y in per_year.index if int(y) > int(latest)]
    partial = [f"{y}: values for {int((per_year.loc[y] > 0).sum())} of {per_year.shape[1]} "
               "variables" if per_year.shape[1] > 1 else f"{y}: {int(per_year.loc[y].sum())} "
               "values" for y in sorted(later)]
    why = "the latest year" + (f" with values for every variable ({'; '.join(partial)})"
                               if partial else "")
    return latest, why + "; set another to read it"


def detect_layout(c: Cells, key: pd.Series, key_columns: list[str]) -> Layout:
    df = c.df
    unit_rows = key.ne("")
    counts = key[unit_rows].value_counts()
    repeats = bool(len(counts)) and (counts > 1).mean() > 0.5
    exclude = set(key_columns)
    header_years = {col: y for col in df.columns if col not in exclude and (y := year_of(col))}
    if repeats and len(header_years) >= 2 and len(set(header_years.values())) == len(header_years):
        # a column per year and several variables: one row per area and variable
        variables = _variable_columns(df[unit_rows], key[unit_rows], [],
                                      exclude | set(header_years))
        if variables:
            out = _wide_years(df, unit_rows, header_years)
            out.variables = variables
            return out
    if repeats:
        year_col = _year_column(df[unit_rows], exclude)
        fixed = [year_col] if year_col else []
        variables = _variable_columns(df[unit_rows], key[unit_rows], fixed,
                                      exclude | set(fixed))
        if variables:
            out = Layout("long", year_col, variables=variables)
            taken = exclude | set(fixed) | set(variables)
            values = [col for col in df.columns if col not in taken and _numeric_share(c, col) > 0.6]
            if not values:
                raise InputDataError("a long table needs a numeric value column; none found")
            hinted = [col for col in values if VALUE_HINT.search(slug(col))]
            out.value_column = (hinted or values)[0]
            if year_col:
                years = df[year_col].map(lambda v: year_value(v) or "")
                label = join_columns(df, variables, VARIABLE_JOIN)
                value = _filled(df[out.value_column]) & unit_rows
                filled = pd.DataFrame({v: value & label.eq(v) for v in pd.unique(label[unit_rows])})
                out.year, why = _latest_with_data(filled, years)
                out.evidence.append(("year_column", year_col,
                                     f"years {rows_preview(sorted(set(years) - {''}), 4)}"))
                out.evidence.append(("year", out.year, why))
            return out
        if year_col:
            years = df[year_col].map(lambda v: year_value(v) or "")
            numeric = [col for col in df.columns if col not in exclude and col != year_col
                       and _numeric_share(c, col) > 0.6]
            filled = pd.DataFrame({col: _filled(df[col]) & unit_rows for col in numeric})
            year, why = _latest_with_data(filled, years)
            out = Layout("wide", year_col, year)
            out.evidence += [("year_column", year_col, "one row per area and year: years "
                              f"{rows_preview(sorted(set(years) - {''}), 4)}"), ("year", year, why)]
            return out
    numeric = [col for col in df.columns if col not in exclude and _numeric_share(c, col) > 0.6]
    others = [col for col in numeric if col not in header_years]
    if len(header_years) >= 2 and len(set(header_years.values())) == len(header_years) \
            and not others:
        return _wide_years(df, unit_rows, header_years)
    return Layout("wide")


def _wide_years(df: pd.DataFrame, unit_rows: pd.Series, years: dict[str, str]) -> Layout:
    """A column per year: the latest year whose column is filled (a year announced but not
    yet published is an empty column)."""
    filled = pd.Series({years[col]: int(_filled(df.loc[unit_rows, col]).sum()) for col in years})
    ok = filled[filled >= 0.5 * filled.max()]
    latest = max(ok.index, key=int)
    empty = sorted(y for y in years.values() if int(y) > int(latest))
    missing = int(filled.max() - filled[latest])
    out = Layout("wide_years", year=latest, year_columns=list(years))
    out.evidence.append(("layout", "wide_years", f"a column per year: {rows_preview(list(years), 4)}"))
    out.evidence.append(("year", latest, "the latest year" + (
        f" with values ({', '.join(empty)}: no or few values)" if empty else "")
        + (f"; {missing} rows without a value in {latest}" if missing else "")
        + "; set another to read it"))
    return out


# ---------------------------------------------------------------------------------- columns


def _share(label: str) -> bool:
    return bool(SHARE_HINT.search(str(label).casefold()) or SHARE_HINT.search(slug(label)))


def column_spec(label: str, name: str, values: pd.Series, *, share: bool | None = None,
                hint: str | None = None) -> tuple[dict, str]:
    """``{name, label, unit[, scale]}`` and evidence: '%' for a share whose values lie in 0–100
    (scale = 100 when they all lie in 0–1: percent-formatted cells), 'Personen' for a whole-
    number population count. ``share`` overrides what the label says (cells written "53,4%");
    ``hint`` is the text the name hints are read from (default the label)."""
    spec: dict = {"name": name, "label": str(label)}
    v = values.dropna()
    why = ""
    hint = label if hint is None else hint
    if (_share(hint) if share is None else share) and len(v):
        if v.between(0, 1).all() and v.max() > 0 and not v.gt(1).any():
            spec.update(unit="%", scale=100)
            why = "a share whose values all lie in 0–1: percent-formatted cells, × 100"
        elif v.between(0, 100).all():
            spec["unit"] = "%"
        else:
            why = (f"named like a share, but values up to {v.max():g} exceed 100: not read as % "
                   "— check the column")
        if spec.get("unit") == "%" and not name.endswith("pct"):
            spec["name"] = f"{name}_pct"
    elif POPULATION_HINT.search(slug(hint)) and len(v) and (v == v.round()).all():
        spec["unit"] = "Personen"
    return spec, why


#: Footnote marks printed after a number.
FOOTNOTE_MARK = re.compile(r"(?<=[0-9%])([¹²³⁴⁵⁶⁷⁸⁹⁰°*†‡]+)$")


def _na_codes(c: Cells, columns: list[str], rows: pd.Series, fmt: NumberFormat
              ) -> tuple[dict[str, list], set[str]]:
    """Text in the value columns that is no number under the format: missing-value codes; and
    footnote marks after numbers ('3,4¹'), which are removed rather than the number lost."""
    found: dict[str, list] = {}
    marks: set[str] = set()
    for col in columns:
        t = c.df.loc[rows, col]
        t = t[~c.native.loc[rows, col]]
        bad = t[~parses(t, fmt)]
        for v in bad.unique():
            mark = FOOTNOTE_MARK.search(v)
            if mark and parses(pd.Series([v[:mark.start()]]), fmt).iloc[0]:
                marks |= set(mark.group(1))
            elif v not in DEFAULT_NA_CODES:
                found.setdefault(v, []).append(col)
    return found, marks


def _sentinels(values: dict[str, pd.Series]) -> list[str]:
    """Numeric missing codes (-9999, -999, -99, -9, -1) only where they are the column's only
    negative values: a code is never proposed where it is an ordinary number (a negative
    migration balance)."""
    out = set()
    for v in values.values():
        neg = v[v < 0].dropna()
        if len(neg) and neg.nunique() == 1 and neg.iloc[0] in (-9999, -999, -99, -9, -1) \
                and (v >= 0).sum() >= 0.5 * v.notna().sum():
            out.add(str(int(neg.iloc[0])))
    return sorted(out)


# ------------------------------------------------------------------------------------ guess


def _key_lines(sec: Section, match: Match) -> None:
    t = match.target
    cols = match.columns
    what = {"unit": "units'", "group": "coarser areas'"}[t.level]
    n_rows = int(match.matched.ne("").sum())
    evidence = (f"{match.coverage:.0%} of the {what} {'ids' if t.join == 'id' else 'names'} "
                f"({t.column}) have a row; {match.rate:.0%} of the rows match"
                + (f", {match.spelled} of {n_rows} only after normalising the spelling"
                   if match.spelled else "")
                + (f" (columns {' + '.join(cols)} joined)" if len(cols) > 1 else ""))
    sure: Confidence = "sure" if match.coverage >= 0.9 and match.rate >= 0.5 else (
        "likely" if match.coverage >= 0.5 else "unsure")
    sec.add("key", cols[0] if len(cols) == 1 else cols, evidence, sure)
    sec.add("join", t.join)
    if t.level == "group":
        sec.add("level", "group", "the rows are the coarser areas: every unit gets its area's value")
    if t.join == "id" and t.width:
        sec.add("id_width", t.width, "as the units' ids" + (" (the table lost leading zeros)"
                                                           if match.padded else ""))


def _ident_columns(c: Cells, targets: list[Target], match: Match) -> set[str]:
    """Other columns naming the same units (a name beside the id: in each row the same unit as
    the key), their areas (a district column), or numbering the rows (an 'id' 1…n): no
    indicators. A column of shares whose values happen to be unit ids is none of these."""
    out = set()
    rows = match.matched.ne("")
    for col in c.df.columns:
        if col in match.columns:
            continue
        name = slug(col)
        m = best_match(c.df[[col]], targets, set(), c.keys)
        if m is not None and m.rate > 0.5:
            if m.target.level == "unit":
                both = rows & m.matched.ne("")
                if both.any() and (m.matched[both] == match.matched[both]).mean() >= 0.9:
                    out.add(col)
            elif GROUP_HINT.search(name) or ID_HINT.search(name) or has_letters(c.df[col]):
                out.add(col)
            continue
        values = c.df.loc[rows, col]
        if ID_HINT.search(name) and values.str.fullmatch(r"\d+").all() and values.is_unique:
            out.add(col)
    return out


def _header_lines(sec: Section, p: Prepared, rel: str) -> None:
    sec.add("name", p.name)
    sec.add("path", rel)
    sec.add("format", p.fmt)
    if p.fmt == "xlsx" and (p.n_sheets > 1 or p.sheet.name not in (None, 0)):
        sec.add("sheet", p.sheet.name, f"the sheet whose rows match the units ({p.n_sheets} "
                "sheets in the workbook)" if p.n_sheets > 1 else "")
    if p.fmt == "csv":
        sec.add("sep", p.sheet.sep, f"the lines split into columns at {p.sheet.sep!r}")
        sec.add("encoding", "auto", p.sheet.encoding_note or "UTF-8")
    h = p.header
    if h.row is None:
        sec.add("no_header", True, "no header row: the first row already holds a unit; columns "
                "are named 'Spalte 1', 'Spalte 2', …")
    elif h.row > 0 or h.skip_after or h.rows > 1:
        sec.add("header_row", h.row + 1, h.evidence[0] if h.evidence else "")
        if h.rows > 1:
            sec.add("header_rows", h.rows, h.evidence[0])
        if h.skip_after:
            sec.add("skip_after_header", h.skip_after, h.evidence[-1])


def _unique_name(name: str, used: set[str], table: str) -> str:
    out = name
    if out in used:
        out = f"{name}_{slug(table)}"[:60]
    k = 2
    while out in used:
        out, k = f"{name}_{k}", k + 1
    used.add(out)
    return out


def guess_table(p: Prepared, match: Match, rel: str, *, targets: list[Target], city: str | None,
                groups: list[pd.Series], units_have_names: bool, used: set[str]) -> TableGuess:
    """The ``[[tables]]`` block of a prepared table, matched to the chosen ``match``."""
    sec = Section("tables", array=True, comment=f"table {p.path.name}")
    cols_sec = Section("columns", comment="source column = { name in quartier, label, unit }")
    sec.subtables["columns"] = cols_sec
    _header_lines(sec, p, rel)
    _key_lines(sec, match)
    guess = TableGuess(sec, cols_sec, match)
    c = p.cells
    key_cols = match.columns
    key = (join_columns(c.df, key_cols) if len(key_cols) > 1
           else key_text(c.df[key_cols[0]]))
    layout = detect_layout(c, match.matched, key_cols)
    for k, v, why in layout.evidence:
        sec.add(k, v, why)
    rows = pd.Series(True, index=c.df.index)
    if layout.year_column:
        rows = c.df[layout.year_column].map(lambda v: year_value(v) or "").eq(layout.year)
    unit_rows = rows & match.matched.ne("")
    ident = _ident_columns(c, targets, match)
    if layout.kind == "long":
        if layout.value_column is None:   # detect_layout sets it for every long table
            raise InputDataError("a long table needs a numeric value column; none found")
        value_cols = [layout.value_column]
    elif layout.kind == "wide_years":
        value_cols = [col for col in layout.year_columns if year_of(col) == layout.year]
    else:
        value_cols = [col for col in c.df.columns if col not in ident and col not in key_cols
                      and col != layout.year_column and _numeric_share(c, col) > 0.6
                      and c.df.loc[unit_rows, col].nunique() > 1]   # a constant says nothing
    shares = {col for col in value_cols if _share(col)}
    fmt = detect_numbers(c.df.loc[rows, value_cols], c.native.loc[rows, value_cols], shares) \
        if value_cols else NumberFormat(".", None, "")
    if p.fmt not in ("vector", "parquet") and value_cols:
        sec.add("decimal", fmt.decimal, fmt.evidence, fmt.confidence)
        if fmt.thousands:
            sec.add("thousands", fmt.thousands, fmt.evidence, fmt.confidence)
        if fmt.question:
            guess.questions.append(f"table {p.name!r} ({p.path.name}): {fmt.question}")
    _columns(guess, p, layout, value_cols, fmt, rows, unit_rows, used)
    codes, marks = _na_codes(c, value_cols, unit_rows, fmt)
    if marks:
        sec.add("footnote_marks", sorted(marks), f"numbers carry footnote marks "
                f"({rows_preview(sorted(marks), 6)}): removed, the numbers kept — check the "
                "footnotes", "likely")
    sentinels = _sentinels(guess.values)
    if codes or sentinels:
        cells_ = [f"{v!r} in {rows_preview(cs, 2)}" for v, cs in codes.items()]
        sec.add("na_values", sorted([*codes, *sentinels]),
                "cells that are no number: " + rows_preview([*cells_, *sentinels], 6)
                + " — read as missing; check them in the file", "likely")
        if codes:
            guess.notes.append(f"{p.path.name}: {len(codes)} kind(s) of cells are no number "
                               f"and are read as missing: {rows_preview(list(codes), 6)}")
    _rows_to_drop(guess, p, key, rows, layout, city, groups)
    if not units_have_names and match.target.join == "id":
        names = [col for col in c.df.columns if col not in key_cols and col not in value_cols
                 and has_letters(c.df.loc[unit_rows, col], 0.8)
                 and c.df.loc[unit_rows, col].nunique() >= 0.9 * unit_rows.sum()]
        if names:
            guess.unit_names = names[0]
            sec.add("unit_names", names[0], "the boundary file has no names: the units are named "
                    "from this column")
    return guess


def _columns(guess: TableGuess, p: Prepared, layout: Layout, value_cols: list[str],
             fmt: NumberFormat, rows: pd.Series, unit_rows: pd.Series, used: set[str]) -> None:
    c = p.cells
    match = guess.match
    if layout.variables:
        sec = guess.section
        var = layout.variables
        if layout.kind == "long":
            sec.add("layout", "long", "one row per area" + (" and year" if layout.year_column
                                                            else "") + " and variable")
        sec.add("variable_column", var[0] if len(var) == 1 else var,
                f"{c.df.loc[unit_rows, var].drop_duplicates().shape[0]} variables"
                + (" named by the columns together" if len(var) > 1 else ""))
        if layout.kind == "long":
            sec.add("value_column", layout.value_column)
        label = join_columns(c.df, var, VARIABLE_JOIN)
        values = column_values(c, value_cols[0], fmt)
        for v in pd.unique(label[unit_rows]):
            if not v.strip():
                continue
            sel = unit_rows & label.eq(v)
            _add_column(guess, v, slug(v), values[sel], match.matched[sel], used)
        return
    for col in value_cols:
        label, name, hint = col, slug(col), col
        if p.header.row is None:   # no header: "Spalte 3" says nothing, the table's name does
            label = f"{p.path.name}, {col}"
            name = slug(f"{p.name}_{col.replace('Spalte ', 'sp')}")
            hint = ""
        elif re.fullmatch(r"x_\d.*", name):   # a year or number as header: "2011"
            label, name = f"{col} ({p.path.name})", slug(f"{p.name}_{col}")
        if layout.kind == "wide_years":
            label, name, hint = p.name, slug(p.name), p.name
        values = column_values(c, col, fmt)
        text = c.df.loc[unit_rows, col]
        text = text[text.ne("") & ~c.native.loc[unit_rows, col]]
        pct = bool(len(text)) and text.str.endswith("%").mean() >= 0.9
        _add_column(guess, "value" if layout.kind == "wide_years" else col, name,
                    values[unit_rows], match.matched[unit_rows], used, label=label,
                    share=True if pct else None, hint=hint)


def _add_column(guess: TableGuess, source: str, name: str, values: pd.Series, keys: pd.Series,
                used: set[str], label: str | None = None, share: bool | None = None,
                hint: str | None = None) -> None:
    spec, why = column_spec(label or source, name, values, share=share, hint=hint)
    spec["name"] = _unique_name(spec["name"], used, guess.section.text("name") or "")
    if "scale" in spec:
        values = values * spec["scale"]
    guess.columns.add(source, spec, why, "likely" if why else "sure")
    per_unit = pd.Series(values.to_numpy(), index=keys.to_numpy())
    guess.values[spec["name"]] = per_unit[~per_unit.index.duplicated()]
    guess.units_of[spec["name"]] = spec.get("unit", "")
    if spec.get("unit") == "Personen" and guess.match.target.level == "unit":
        guess.persons.append(spec["name"])


def _rows_to_drop(guess: TableGuess, p: Prepared, key: pd.Series, rows: pd.Series,
                  layout: Layout, city: str | None, groups: list[pd.Series]) -> None:
    c = p.cells
    match = guess.match
    numbers = _numbers(guess, c).where(rows) if layout.kind == "wide" else None
    verdict = classify_rows(c.df.where(rows, ""), key.where(rows, ""), match, city=city,
                            groups=groups, values=numbers if numbers is not None
                            and len(numbers.columns) else None)
    lines = {k: c.line[key.eq(k)].tolist() for k in verdict.drop}
    if verdict.drop:
        guess.section.add("drop_keys", sorted(verdict.drop), describe_drops(verdict, lines))
    if verdict.aliases:
        guess.section.add("aliases", verdict.aliases, "; ".join(verdict.alias_evidence), "likely")
    if verdict.keep:
        guess.notes.append(f"{p.path.name}: {len(verdict.keep)} row(s) match no unit and are "
                           f"kept for the join report: {rows_preview(verdict.keep, 5)}")
    _duplicate_keys(guess, p, key, rows, layout)


def _duplicate_keys(guess: TableGuess, p: Prepared, key: pd.Series, rows: pd.Series,
                    layout: Layout) -> None:
    """A district named like one of its quarters: two rows with one key (per variable in a
    long table). A level column tells them apart, else (wide) the row with the larger numbers
    is taken as the total, checked by line and asked."""
    c = p.cells
    matched = guess.match.matched.where(rows, "")
    ident = pd.DataFrame({"k": matched, **{v: c.df[v] for v in layout.variables}})
    dup_rows = matched.ne("") & ident.duplicated(keep=False)
    dup = matched[dup_rows]
    if not len(dup):
        return
    for col in c.df.columns:
        if col in guess.match.columns or col in layout.variables or col == layout.year_column:
            continue
        values = c.df.loc[dup.index, col]
        if values.nunique() >= 2 and c.df[col].nunique() <= 10 and _numeric_share(c, col) < 0.5:
            common = c.df[col].value_counts().index[0]
            drop = sorted(set(c.df[col].unique()) - {common})
            guess.section.add("drop_where", {col: drop}, f"{len(dup)} rows share a key "
                              f"({rows_preview(sorted(set(dup)), 3)}); {col!r} tells the total "
                              f"rows ({', '.join(drop)}) from the units ({common})")
            return
    if layout.kind != "wide":
        guess.questions.append(f"table {p.name!r}: keys {rows_preview(sorted(set(dup)), 3)} occur "
                               "twice for one variable and nothing tells the total rows from the "
                               "units: drop them by drop_rows (line numbers) or drop_where")
        return
    totals = _numbers(guess, c).loc[dup.index].sum(axis=1)
    drop_lines = sorted(int(c.line[totals[dup == k].idxmax()]) for k in set(dup))
    guess.section.add("drop_rows", drop_lines, f"keys {rows_preview(sorted(set(dup)), 3)} occur "
                      "twice; the row with the larger numbers is taken as the total", "unsure")
    guess.questions.append(f"table {p.name!r}: keys {rows_preview(sorted(set(dup)), 3)} occur "
                           f"twice; drop_rows = {drop_lines} takes the larger row as a total — "
                           "confirm (or set drop_where by a level column)")


def _numbers(guess: TableGuess, c: Cells) -> pd.DataFrame:
    """The value columns of a wide table as numbers (every row)."""
    fmt = NumberFormat(guess.section.text("decimal") or ".", guess.section.text("thousands"), "")
    return pd.DataFrame({ln.key: column_values(c, ln.key, fmt) for ln in guess.columns.lines
                         if ln.key in c.df.columns}, index=c.df.index)

"""What `init` reads of a table: every sheet's cells as text, the native numbers marked, the
header row found (or its absence), and the number format told from the text cells.

A published table is read as the loader will read it (the same CSV sniffing, encodings, xlsx
reader), but without knowing yet which row is the header or which mark is the decimal one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from quartier.errors import InputDataError
from quartier.io.numbers import number_pattern
from quartier.io.readers import csv_rows, header_cells, header_names, is_blank
from quartier.io.vector import read_vector
from quartier.io.xlsx import cell_text, xlsx_sheet_names, xlsx_values
from quartier.onboard.document import Confidence

#: A year as a cell: 2019, 2019.0 (a spreadsheet number).
YEAR_CELL = re.compile(r"(19|20)\d{2}(\.0)?")
#: At most this many rows are inspected to find the header (title rows above it).
HEADER_SEARCH_ROWS = 60


@dataclass
class Sheet:
    """One table of a file (a CSV, an xlsx sheet, a vector file's attributes) as text cells;
    ``native`` marks cells that were numbers in the file (xlsx, attributes), whose decimal
    mark is no question."""

    fmt: str
    rows: list[list[str]]
    native: list[list[bool]]
    name: str | None = None
    sep: str | None = None
    encoding_note: str | None = None
    merged: int = 0


def _text_rows(values: Sequence[Sequence[object]]) -> tuple[list[list[str]], list[list[bool]]]:
    width = max((len(r) for r in values), default=0)
    rows, native = [], []
    for r in values:
        cells = list(r) + [None] * (width - len(r))
        native.append([isinstance(v, int | float) and not isinstance(v, bool) for v in cells])
        rows.append(["" if v is None or (isinstance(v, float) and np.isnan(v))
                     else str(cell_text(v, ".")).strip() for v in cells])
    while rows and not any(rows[-1]):
        rows, native = rows[:-1], native[:-1]
    return rows, native


def read_sheets(path: Path, fmt: str, sheet: str | int | None = None) -> list[Sheet]:
    """Every table of the file: one for a CSV or a vector file, one per sheet of a workbook
    (or only ``sheet``)."""
    if fmt == "xlsx":
        names = xlsx_sheet_names(path) if sheet is None else [sheet]
        out = []
        for name in names:
            values, title, merged = xlsx_values(path, name)
            rows, native = _text_rows(values)
            if rows:
                out.append(Sheet("xlsx", rows, native, name=title, merged=merged))
        if not out:
            raise InputDataError(f"{path}: every sheet of the workbook is empty")
        return out
    if fmt == "vector":
        df, notes = read_vector(path, "--table", None, "auto", read_geometry=False)
        values = [list(df.columns)] + df.astype(object).where(df.notna(), None).values.tolist()
        rows, native = _text_rows(values)
        return [Sheet("vector", rows, native, encoding_note=notes[0] if notes else None)]
    if fmt == "parquet":
        df = pd.read_parquet(path)
        values = [list(df.columns)] + df.head(5000).astype(object).values.tolist()
        rows, native = _text_rows(values)
        return [Sheet("parquet", rows, native)]
    raw, sep, _text, note = csv_rows(path, None, "auto")
    rows, native = _text_rows(raw)
    if not rows:
        raise InputDataError(f"{path}: the file holds no rows")
    return [Sheet("csv", rows, native, sep=sep, encoding_note=note)]


def _is_number_text(text: str) -> bool:
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}", text):
        return False   # a date (a header "31.12.2020"), not a value
    return bool(re.fullmatch(r"[+\-\u2212\u2013]?\s*[\d.,\s'\u00a0\u202f]+%?", text)) and any(
        ch.isdigit() for ch in text)


@dataclass
class Header:
    """Where the data starts: ``row`` (0-based index of the header; None: no header row),
    rows to skip below it, and the evidence."""

    row: int | None
    skip_after: int = 0
    evidence: list[str] = field(default_factory=list)
    #: header rows (2: a top label over sub-labels)
    rows: int = 1


def find_header(sheet: Sheet) -> Header:
    """The header: the last row with several text cells above the first row of data (title
    rows above it are skipped; a units row right below it is skipped). Data in the very first
    row means there is no header; the caller confirms that with the units' keys."""
    rows = sheet.rows
    filled = [sum(1 for v in r if v) for r in rows]

    def numbers(r: list[str], nat: list[bool]) -> int:
        # a row of years ("2019", "2020", …) beside text is a header, not data
        years = [v for v in r if YEAR_CELL.fullmatch(v)]
        skip = set(years) if len(set(years)) >= 2 and len(years) == len(set(years)) else set()
        return sum(1 for v, n in zip(r, nat, strict=True)
                   if v and v not in skip and (n or _is_number_text(v)))
    nums = [numbers(r, nat) for r, nat in zip(rows, sheet.native, strict=True)]
    width = max(filled[:200] or [0])
    first_data = next((i for i in range(min(len(rows), HEADER_SEARCH_ROWS + 200))
                       if nums[i] >= 1 and filled[i] >= max(2, width / 2)), None)
    if first_data is None:
        return Header(0)
    texts = [i for i in range(first_data) if filled[i] - nums[i] >= 2]
    if not texts:
        return Header(None if first_data == 0 else first_data - 1)
    h = texts[-1]
    block = [h]
    while block[0] - 1 in texts:
        block.insert(0, block[0] - 1)
    if len(block) == 1:
        return Header(h, 0, [f"header in row {h + 1}" + (f" ({h} title row(s) above)" if h else "")])
    top = block[0]
    title = f" ({top} title rows above)" if top else ""
    data_cols = [j for j in range(len(rows[first_data])) if rows[first_data][j]]
    labels = [rows[top][j] for j in data_cols]
    if all(labels) and not _repeats(labels):
        # every column named in the top row; the rows below are sub-labels and units
        return Header(top, len(block) - 1, [f"header in row {top + 1}{title}",
                                            f"rows {top + 2}–{h + 1} under the header (units, "
                                            "sub-labels) skipped"])
    upper, lower = rows[h - 1], rows[h]
    key_col = next((j for j, v in enumerate(upper) if v), 0)
    if lower[key_col] in ("", upper[key_col]) and not any(
            not upper[j] and lower[j] for j in range(key_col + 1, len(lower))) \
            and not _repeats(upper):
        # a units/description row: the key column repeats the upper (merged) or is empty
        return Header(h - 1, 1, [f"header in row {h}{title}", f"row {h + 1} under the header is "
                                 "a units/description row: skipped"])
    # a top label over several sub-labels ("Arbeitslose" over "Anzahl", "%"): both rows,
    # "Arbeitslose Anzahl"; rows above the two are skipped as titles
    return Header(h - 1, 0, [f"two-row header in rows {h}–{h + 1}{title}: the columns are named "
                             "'top sub'"], rows=2)


def _repeats(cells_: list[str]) -> bool:
    filled = [c for c in cells_ if c]
    return len(filled) != len(set(filled))


@dataclass
class Cells:
    """The table below its header: text cells (``df``), which were native numbers
    (``native``), and the file's line/row number of each row (``line``)."""

    df: pd.DataFrame
    native: pd.DataFrame
    line: pd.Series
    notes: list[str] = field(default_factory=list)
    #: each column's distinct keys, kept between the matches of this table
    keys: dict = field(default_factory=dict)


def cells(sheet: Sheet, header: Header, source: str) -> Cells:
    rows = sheet.rows
    width = max(len(r) for r in rows) if rows else 0
    if header.row is None:
        names, notes = header_names([None] * width, source, [])
        start = 0
    else:
        width_rows = [list(r) for r in rows]
        names, notes = header_names(header_cells(width_rows, header.row, header.rows, width),
                                    source, [])
        start = header.row + header.rows + header.skip_after
    body = [r for r in rows[start:]]
    native = sheet.native[start:]
    df = pd.DataFrame(body, columns=names, dtype=object).astype("string").fillna("")
    nat = pd.DataFrame(native, columns=names, dtype=bool) if native else pd.DataFrame(
        columns=names, dtype=bool)
    line = pd.Series(np.arange(len(df)) + start + 1, index=df.index)
    blank = [is_blank(r) for r in body]
    keep = ~pd.Series(blank, index=df.index, dtype=bool)
    return Cells(df[keep], nat[keep], line[keep], notes)


# ---------------------------------------------------------------------------------- numbers


@dataclass
class NumberFormat:
    decimal: str
    thousands: str | None
    evidence: str
    confidence: Confidence = "sure"
    #: the question left to the user when the text cannot decide
    question: str | None = None


def _mostly_whole(text: pd.Series) -> bool:
    """A column of whole numbers ≥ 100 with a few dotted values: a count column whose dotted
    cells are thousands separators or OCR debris, not evidence of a decimal point."""
    whole = text.str.fullmatch(r"[+\-\u2212]?\d+").fillna(False)
    big = whole & (text.str.len() >= 3)
    return bool(len(text)) and big.mean() >= 0.6


def detect_numbers(df: pd.DataFrame, native: pd.DataFrame, shares: set[str]) -> NumberFormat:
    """The decimal mark and thousands separator from the text cells of the value columns.

    Evidence, strongest first: a decimal comma (``12,5``) or a decimal point that cannot be a
    thousands separator (``12.5``, ``12.34``, ``12.3456``). A dot before exactly three digits
    (``1.374``) is read as thousands where the table also has decimal commas, where it sits among
    whole numbers below 1000 in the same column (counts ≥ 1000 carry the dot, smaller ones do
    not) — and as a decimal point in a share column (``shares``), where thousands would exceed
    100 %. Where nothing decides, the German convention (``decimal = ","``, ``thousands = "."``)
    is written with confidence "unsure" and a question for the user.
    """
    parts = []
    for c in df.columns:
        t = df[c][~native[c]].astype("string").str.strip()
        t = t[t.str.contains(r"\d", regex=True).fillna(False) & t.map(_is_number_text)]
        if len(t):
            parts.append((c, t))
    if not parts:
        return NumberFormat(".", None, "the values are stored as numbers in the file")
    ev = _evidence(parts, shares)
    if ev.comma_dec or ev.point_dec:
        return _decimal_mark(ev)
    if ev.dot3:
        return _dotted_groups(ev)
    if ev.comma3:
        return NumberFormat(".", ",", f"{ev.comma3} numbers carry a comma before three digits")
    return NumberFormat(",", None, f"{ev.n} numbers, all whole")


@dataclass
class _Evidence:
    """Counts of number spellings in the text cells of a table."""

    n: int = 0
    comma_dec: int = 0         # 12,5
    point_dec: int = 0         # 12.5, 12.34, 0.390
    dot3: int = 0              # 1.374 (thousands or decimals)
    dot3_share: int = 0        # … in a share column
    comma3: int = 0            # 1,374 (thousands in English)
    small_whole: int = 0       # 999 beside 1.374: counts below 1000 carry no dot


def _evidence(parts: list[tuple[str, pd.Series]], shares: set[str]) -> _Evidence:
    ev = _Evidence(n=sum(len(t) for _, t in parts))
    for c, t in parts:
        ev.comma_dec += int(t.str.fullmatch(r".*\d,\d{1,2}%?|.*\d,\d{4,}%?|.*\d\.\d{3},\d+%?")
                            .fillna(False).sum())
        dots = t.str.fullmatch(r"[+\-\u2212]?\s*\d+\.(\d{1,2}|\d{4,})%?").fillna(False)
        if not _mostly_whole(t):
            ev.point_dec += int(dots.sum())
        # "0.390": no group of thousands starts with 0, so the dot is a decimal point
        ev.point_dec += int(t.str.fullmatch(r"[+\-\u2212]?\s*0\.\d+%?").fillna(False).sum())
        grouped = t.str.fullmatch(r"[+\-\u2212]?\s*[1-9]\d{0,2}(\.\d{3})+%?").fillna(False)
        ev.dot3 += int(grouped.sum())
        if c in shares:
            ev.dot3_share += int(grouped.sum())
        elif grouped.any():   # counts below 1000 without a dot; 0 says nothing
            ev.small_whole += int(t.str.fullmatch(r"[+\-\u2212]?[1-9]\d{0,2}").fillna(False).sum())
        ev.comma3 += int(t.str.fullmatch(r"[+\-\u2212]?\s*[1-9]\d{0,2}(,\d{3})+(\.\d+)?")
                         .fillna(False).sum())
    return ev


def _decimal_mark(ev: _Evidence) -> NumberFormat:
    """A decimal comma or point that cannot be a thousands separator was seen."""
    if ev.comma_dec and not ev.point_dec:
        return NumberFormat(",", "." if ev.dot3 else None,
                            f"{ev.comma_dec} of {ev.n} numbers use a decimal comma"
                            + (f", {ev.dot3} a dot before groups of three digits (thousands)"
                               if ev.dot3 else ""))
    if not ev.comma_dec:
        if ev.comma3:
            return NumberFormat(".", ",", f"{ev.point_dec} of {ev.n} numbers use a decimal "
                                f"point, {ev.comma3} a comma before groups of three digits "
                                "(thousands)")
        return NumberFormat(".", None, f"{ev.point_dec} of {ev.n} numbers use a decimal point, "
                            "none a decimal comma")
    mark = "," if ev.comma_dec >= ev.point_dec else "."
    return NumberFormat(mark, None, f"{ev.comma_dec} numbers use a decimal comma and "
                        f"{ev.point_dec} a decimal point", "unsure",
                        f"the numbers use both a decimal comma ({ev.comma_dec}) and a decimal "
                        f"point ({ev.point_dec}): set decimal (and thousands) for this table")


def _dotted_groups(ev: _Evidence) -> NumberFormat:
    """Only dots before exactly three digits: shares, smaller counts without a dot, or a
    question for the user."""
    if ev.dot3_share and ev.dot3_share == ev.dot3:
        return NumberFormat(".", None, f"{ev.dot3} share values like 4.226 would exceed 100 % "
                            "if the dot separated thousands: it is a decimal point")
    if ev.small_whole:
        return NumberFormat(",", ".", f"{ev.dot3} counts carry a dot before three digits "
                            f"(1.374) while {ev.small_whole} smaller ones do not: thousands")
    return NumberFormat(",", ".", f"{ev.dot3} numbers like 1.234 could be thousands (1234) "
                        "or decimals (1,234)", "unsure",
                        "every dotted number has exactly three digits after the dot "
                        "(1.234): is the dot a thousands separator (thousands = '.') or "
                        "the decimal mark (decimal = '.')?")


def parses(text: pd.Series, fmt: NumberFormat) -> pd.Series:
    """Which cells are numbers under the format (empty cells count as parsed)."""
    t = text.astype("string").str.strip().fillna("")
    return t.eq("") | t.str.fullmatch(number_pattern(fmt.decimal, fmt.thousands).pattern).fillna(
        False)


def to_float(text: pd.Series, fmt: NumberFormat) -> pd.Series:
    """The values of cells that parse under the format; NaN elsewhere."""
    t = text.astype("string").str.strip().fillna("").str.replace(
        r"(?<=[0-9%])[¹²³⁴⁵⁶⁷⁸⁹⁰°*†‡]+$", "", regex=True)   # footnote marks: init proposes them
    ok = parses(t, fmt) & t.ne("")
    clean = t.str.replace(r"[\s\u00a0\u202f%]", "", regex=True).str.replace(
        r"^[\u2212\u2013]", "-", regex=True)
    if fmt.thousands:
        clean = clean.str.replace(fmt.thousands, "", regex=False)
    if fmt.decimal != ".":
        clean = clean.str.replace(fmt.decimal, ".", regex=False)
    return pd.to_numeric(clean.where(ok), errors="coerce").astype("float64")


def column_values(cells_: Cells, column: str, fmt: NumberFormat) -> pd.Series:
    """A column's values: native numbers as they are, text cells parsed under ``fmt``."""
    text = cells_.df[column]
    native = cells_.native[column]
    out = to_float(text, fmt)
    if native.any():
        out = out.mask(native, pd.to_numeric(text.where(native), errors="coerce"))
    return out

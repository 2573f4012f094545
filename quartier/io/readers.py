"""Read the files statistics offices publish into a table of text cells, with line numbers.

Every reader returns a :class:`RawTable`: all cells as stripped text (numbers are parsed later
by :func:`quartier.io.numbers.parse_numbers`, which knows the decimal mark), the line (CSV) or row
(xlsx) number of every row for error messages, and notes about what was repaired. Whatever the
file does wrong — it is a folder, empty, not the format it claims, in an unexpected encoding,
has a duplicated header, lacks the sheet — ends in an :class:`~quartier.errors.InputDataError`
that names the file and the fix, never in a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from quartier import vocab
from quartier.errors import InputDataError, rows_preview


@dataclass
class RawTable:
    """Text cells of a table, with the file's line/row number of every row."""

    df: pd.DataFrame
    line: pd.Series
    notes: list[str] = field(default_factory=list)
    #: delimited text only: the number of fields of every row (aligned to ``df``), of the header
    #: (``width``) and the separator, for :func:`check_field_counts`
    fields: pd.Series | None = None
    width: int | None = None
    sep: str | None = None
    #: the header's fields up to its last non-empty one (a header may end in separators)
    named: int | None = None
    #: xlsx only: the lines of the cells shown as percent (0.055 for 5,5 %), per column
    percent: dict[str, set[int]] = field(default_factory=dict)


def check_file(path: Path, what: str) -> None:
    """The path names a readable, non-empty file; else a clear error (``what``: its config key)."""
    if not path.exists():
        raise InputDataError(f"{path}: file not found ({what})")
    if path.is_dir():
        raise InputDataError(f"{path}: is a folder, not a file ({what}): name the file itself")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InputDataError(f"{path}: cannot be read ({exc.strerror}) ({what})") from None
    if size == 0:
        raise InputDataError(f"{path}: the file is empty ({what})")


def decode_text(path: Path, encoding: str = "auto") -> tuple[str, str | None]:
    """A text file's content and a note when a fallback encoding was used.

    ``auto`` reads UTF-8 (with or without BOM), else cp1252 (Windows), else latin-1; a declared
    encoding that does not fit is an error naming the first bad byte.
    """
    raw = path.read_bytes()
    if encoding != "auto":
        try:
            text = raw.decode(encoding)
            if text.startswith("\ufeff") and codecs.lookup(encoding).name == "utf-8":
                # Excel's "CSV UTF-8" starts with a byte-order mark, which would stick to the
                # first header ("\ufeffID")
                return text[1:], vocab.note("read.bom")
            return text, None
        except UnicodeDecodeError as exc:
            raise InputDataError(
                f"{path}: cannot be read as {encoding} (byte {exc.start}: "
                f"{raw[exc.start:exc.start + 1]!r}); German files are often cp1252/latin-1: set "
                "encoding = 'cp1252' or 'auto'") from None
        except LookupError:
            raise InputDataError(f"{path}: unknown encoding {encoding!r}; use 'auto', 'utf-8', "
                                 "'cp1252' or 'latin-1'") from None
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), vocab.note("read.cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1"), vocab.note("read.latin1")


def header_names(cells: list[object], source: str, used: list[str]) -> tuple[list[str], list[str]]:
    """Column names from a header row: stripped text; empty ones become ``Spalte <n>``.

    A name that occurs twice is an error when quartier uses it (the value would be ambiguous);
    otherwise the later copies are renamed ``name (2)`` and a note says so.
    """
    names = ["" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip()
             for c in cells]
    names = [n or f"Spalte {i + 1}" for i, n in enumerate(names)]
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        seen.setdefault(n, []).append(i + 1)
    dup = {n: pos for n, pos in seen.items() if len(pos) > 1}
    clash = [n for n in dup if n in used]
    if clash:
        raise InputDataError(
            f"{source}: the header names {', '.join(map(repr, clash))} more than once (columns "
            f"{'; '.join(', '.join(map(str, dup[n])) for n in clash)}); quartier cannot tell "
            "which one you mean: rename the columns in the file")
    notes = []
    for n, positions in dup.items():
        for k, pos in enumerate(positions[1:], start=2):
            names[pos - 1] = f"{n} ({k})"
        notes.append(vocab.note("read.header_twice", name=n,
                                positions=", ".join(map(str, positions))))
    return names, notes


@dataclass(frozen=True)
class Header:
    """Where the header of a table is: ``row`` (1-based; None: the first row after ``skiprows``,
    or the first row that holds every key column), ``rows`` (2: a two-row header), and rows
    between header and data (``skip_after``, e.g. a units row)."""

    row: int | None = None
    rows: int = 1
    skip_after: int = 0
    skiprows: int = 0
    #: the file has no header row: the columns are named "Spalte 1", "Spalte 2", …
    absent: bool = False


def is_blank(row: Sequence[object]) -> bool:
    return all(v is None or str(v).strip() == "" for v in row)


def _find_header(rows: Sequence[Sequence[object]], header: Header, keys: list[str], source: str
                 ) -> tuple[int, list[str]]:
    """Index of the header row in ``rows`` and notes."""
    if header.row is not None:
        if header.row > len(rows):
            raise InputDataError(f"{source}: header_row = {header.row}, but the table has only "
                                 f"{len(rows)} rows")
        return header.row - 1, []
    start = header.skiprows
    first = [str(c).strip() for c in rows[start]] if len(rows) > start else []
    if not keys or all(k in first for k in keys):
        return start, []
    # title rows above the header (statistics office exports): the header holds the key columns
    for i in range(start, min(len(rows), start + 60)):
        cells = [str(c).strip() for c in rows[i] if c is not None]
        if all(k in cells for k in keys):
            return i, [f"header found in row {i + 1}: {i - start} title/blank row(s) above it skipped"]
    return start, []


def header_cells(rows: Sequence[Sequence[object]], h: int, n_rows: int, width: int) -> list[object]:
    """The header's labels; with two header rows 'top sub', a top cell spanning to the right."""
    top = list(rows[h]) + [None] * (width - len(rows[h]))
    if n_rows == 1:
        return top
    sub = list(rows[h + 1]) + [None] * (width - len(rows[h + 1])) if h + 1 < len(rows) else [None] * width
    names: list[object] = []
    current = None
    for t, b in zip(top, sub, strict=True):
        t = None if t is None or str(t).strip() == "" else str(t).strip()
        b = None if b is None or str(b).strip() == "" else str(b).strip()
        # a top cell spans the columns to its right until the next one (merged cells in CSV)
        current = t if t is not None else (current if b is not None else None)
        names.append(" ".join(p for p in dict.fromkeys([current, b]) if p) or None)
    return names


def table_from_rows(rows: Sequence[Sequence[object]], source: str, used: list[str], keys: list[str],
                    header: Header = Header()) -> RawTable:
    """Text cells below the header; ``line`` holds each row's 1-based row/line number in the
    file. Trailing blank rows (formatting of a sheet) are dropped; blank rows inside the table
    stay and are reported as skipped by the table reader."""
    while rows and is_blank(rows[-1]):
        rows = rows[:-1]
    if len(rows) <= header.skiprows:
        raise InputDataError(f"{source}: the table has no rows (after skipping {header.skiprows})")
    if header.absent:
        h, notes = header.skiprows, [vocab.note("read.no_header")]
        first_data = h + header.skip_after
        width = max(len(r) for r in rows[h:])
        names, more = header_names([None] * width, source, used)
    else:
        h, notes = _find_header(rows, header, keys, source)
        first_data = h + header.rows + header.skip_after
        width = max(len(r) for r in rows[h:])
        names, more = header_names(header_cells(rows, h, header.rows, width), source, used)
    notes += more
    if header.skip_after:
        skipped = [" ".join(str(c) for c in r if c not in (None, ""))[:60]
                   for r in rows[h + header.rows:first_data]]
        notes.append(vocab.note("read.skip_after", n=header.skip_after,
                                rows=vocab.preview(skipped, 2)))
    body = [list(r) + [None] * (width - len(r)) for r in rows[first_data:]]
    df = pd.DataFrame(body, columns=names, dtype=object) if body else pd.DataFrame(columns=names)
    df = df.apply(lambda c: c.astype("string").str.strip().fillna(""))
    line = pd.Series(np.arange(len(df)) + first_data + 1, index=df.index)
    table = RawTable(df=df, line=line, notes=notes)
    table.width = max(len(r) for r in rows[h:h + header.rows])
    table.named = max(max((i + 1 for i, c in enumerate(r) if c is not None and str(c).strip()),
                          default=0) for r in rows[h:h + header.rows])
    return table

#: Separators a statistics office's CSV may use, in the order they are preferred on a tie.
SEPARATORS = (";", ",", "\t", "|")


def sniff_sep(text: str) -> str:
    """The separator that splits the first lines into the same, largest number of columns."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        return max(SEPARATORS, key=lambda s: lines[0].count(s))


def csv_rows(path: Path, sep: str | None, encoding: str, skiprows: int = 0
             ) -> tuple[list[list[str]], str, str, str | None]:
    """All rows of a delimited text file; the separator (given or sniffed), the text and a note
    on the encoding."""
    check_file(path, "table")
    text, note = decode_text(path, encoding)
    if "\x00" in text:
        raise InputDataError(f"{path}: contains NUL bytes: a binary file (xlsx? then set "
                             "format = 'xlsx'), or UTF-16 (save it as UTF-8)")
    sep = sep or sniff_sep("\n".join(text.splitlines()[skiprows:]))
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputDataError(f"{path}: line {reader.line_num} cannot be parsed as CSV with "
                             f"sep={sep!r} ({exc}); a line break or quote inside a value must "
                             "be enclosed in double quotes") from None
    return rows, sep, text, note


def read_csv_text(path: Path, sep: str | None, encoding: str, used: list[str],
                  keys: list[str] | None = None, header: Header = Header()) -> RawTable:
    """A delimited text file as text cells; blank lines are kept (as empty rows) so that line
    numbers in messages are the file's own. ``sep=None`` sniffs the separator."""
    rows, sep, text, note = csv_rows(path, sep, encoding, header.skiprows)
    if not any(any(c.strip() for c in r) for r in rows[header.skiprows:]):
        raise InputDataError(f"{path}: the file has no header and no rows")
    table = table_from_rows(rows, str(path), used, keys or [], header)
    table.fields = pd.Series([len(rows[n - 1]) for n in table.line], index=table.df.index)
    table.sep = sep
    if any(u not in table.df.columns for u in used):
        lines = text.splitlines()
        for other in SEPARATORS:
            if other != sep and any(all(u in [c.strip().strip('"') for c in ln.split(other)]
                                        for u in used) for ln in lines[:60]):
                raise InputDataError(f"{path}: the header has no columns {used} with sep = "
                                     f"{sep!r}; the file seems to use sep = {other!r}")
    if note:
        table.notes.insert(0, note)
    return table


def check_field_counts(table: RawTable, source: str, skip: pd.Series | None = None) -> None:
    """Every data row of a delimited text file has as many fields as its header: a row with more
    fields holds the separator unquoted (``1,249`` in a comma-separated file) and a row with fewer
    lost a field; either way its values would be read one column off.

    Blank rows and the ``skip`` rows (footnotes) are not checked. A row may leave out only the
    trailing fields whose header is empty too (a header ending in separators). Even a row whose
    extra fields are empty is refused: a value split in two in a row whose last field is empty
    looks just like a trailing separator. Other files (xlsx, …) have no field counts and pass."""
    if table.fields is None or table.width is None or table.df.empty:
        return
    df, width = table.df, table.width
    check = ~df.eq("").all(axis=1)
    if skip is not None:
        check &= ~skip.reindex(df.index, fill_value=False)
    fields = table.fields.reindex(df.index)
    named = table.named if table.named is not None else width
    long = check & (fields > width)
    short = check & (fields < named)
    for bad, hint in (
            (long, f"a value holds the separator {table.sep!r} without quotes (e.g. a decimal "
                   "comma in a comma-separated file: 1,249), so the row is split one field too "
                   "many and its values would shift. Enclose such values in double quotes "
                   "(\"1,249\"), or save the file with another separator (sep = ';'); if the "
                   "rows end with separators, end the header with as many"),
            (short, "a field is missing, so the values after it would be read one column to "
                    "the left. Add the missing separators (an empty field for a missing value)")):
        if bad.any():
            lines, counts = table.line[bad], fields[bad]
            which = (f"line {lines.iloc[0]} has {counts.iloc[0]} fields" if len(lines) == 1 else
                     f"lines {rows_preview(lines)} have {rows_preview(counts)} fields")
            raise InputDataError(f"{source}: {which}, the header has {width}: {hint}. If such a "
                                 "line is a footnote, drop it with drop_rows = [line]")


def read_json_records(path: Path, year: str, key: str, indicators: list[str]) -> RawTable:
    """Leipzig's statistics API: ``{"data": {year: {indicator: [{"value": v, key: name}, …]}}}``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise InputDataError(f"{path}: not valid JSON ({type(exc).__name__}: "
                             f"{str(exc)[:200]})") from None
    try:
        by_indicator = doc["data"][str(year)]
        if not isinstance(by_indicator, dict):
            raise TypeError("not an object")
    except (KeyError, TypeError) as exc:
        raise InputDataError(f"{path}: expected data.{year}.<indicator> records, found no "
                             f"{exc} there") from None
    series = {}
    for indicator in indicators:
        if indicator not in by_indicator:
            raise InputDataError(f"{path}: indicator {indicator!r} not found for {year}. "
                                 f"Available: {', '.join(map(str, by_indicator))}")
        records = by_indicator[indicator]
        bad = [i for i, r in enumerate(records if isinstance(records, list) else [None])
               if not isinstance(r, dict) or key not in r or "value" not in r]
        if bad or not isinstance(records, list):
            raise InputDataError(f"{path}: data.{year}.{indicator}: records {rows_preview(bad)} "
                                 f"lack {key!r} or 'value' (each record needs both)")
        frame = pd.DataFrame({key: [str(r[key]).strip() for r in records],
                              "value": ["" if r["value"] is None else str(r["value"])
                                        for r in records]})
        dup = frame[key][frame[key].duplicated(keep=False)]
        if len(dup):
            raise InputDataError(
                f"{path}: indicator {indicator!r} ({year}) lists {rows_preview(sorted(set(dup)))} "
                "more than once; the value is ambiguous, choose a uniquely named indicator")
        series[indicator] = frame.set_index(key)["value"]
    df = pd.DataFrame(series).rename_axis(key).reset_index().astype("string").fillna("")
    return RawTable(df=df, line=pd.Series(np.arange(len(df)) + 1, index=df.index))


def read_parquet_table(path: Path, what: str) -> RawTable:
    """A parquet table (census grids are published so). Number columns stay numbers (no text
    round trip for hundreds of thousands of cells); ``line`` is the row number (1-based)."""
    check_file(path, what)
    try:
        df = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot be read as parquet ({what}): "
                             f"{str(exc).splitlines()[0][:300]}") from None
    names, notes = header_names(list(df.columns), str(path), [])
    df.columns = names
    return RawTable(df=df.reset_index(drop=True), line=pd.Series(np.arange(len(df)) + 1),
                    notes=notes)

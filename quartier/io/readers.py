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
import datetime
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from quartier.errors import InputDataError, rows_preview

#: The first bytes of an xlsx file (a zip archive).
ZIP_MAGIC = b"PK\x03\x04"


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
                return text[1:], "UTF-8 byte-order mark (BOM) at the start of the file removed"
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
        return raw.decode("cp1252"), "not UTF-8: read as cp1252 (Windows)"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "not UTF-8 nor cp1252: read as latin-1"


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
        notes.append(f"header {n!r} occurs in columns {', '.join(map(str, positions))}: later "
                     f"copies renamed '{n} (2)', …")
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


def is_blank(row: list[object]) -> bool:
    return all(v is None or str(v).strip() == "" for v in row)


def _find_header(rows: list[list[object]], header: Header, keys: list[str], source: str
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


def header_cells(rows: list[list[object]], h: int, n_rows: int, width: int) -> list[object]:
    """The header's labels; with two header rows 'top sub', a top cell spanning to the right."""
    top = list(rows[h]) + [None] * (width - len(rows[h]))
    if n_rows == 1:
        return top
    sub = list(rows[h + 1]) + [None] * (width - len(rows[h + 1])) if h + 1 < len(rows) else [None] * width
    names, current = [], None
    for t, b in zip(top, sub, strict=True):
        t = None if t is None or str(t).strip() == "" else str(t).strip()
        b = None if b is None or str(b).strip() == "" else str(b).strip()
        # a top cell spans the columns to its right until the next one (merged cells in CSV)
        current = t if t is not None else (current if b is not None else None)
        names.append(" ".join(p for p in dict.fromkeys([current, b]) if p) or None)
    return names


def table_from_rows(rows: list[list[object]], source: str, used: list[str], keys: list[str],
                    header: Header = Header()) -> RawTable:
    """Text cells below the header; ``line`` holds each row's 1-based row/line number in the
    file. Trailing blank rows (formatting of a sheet) are dropped; blank rows inside the table
    stay and are reported as skipped by the table reader."""
    while rows and is_blank(rows[-1]):
        rows = rows[:-1]
    if len(rows) <= header.skiprows:
        raise InputDataError(f"{source}: the table has no rows (after skipping {header.skiprows})")
    if header.absent:
        h, notes = header.skiprows, ["no header row: columns named 'Spalte 1', 'Spalte 2', …"]
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
        notes.append(f"{header.skip_after} row(s) after the header skipped: {rows_preview(skipped, 2)}")
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


def cell_text(value: object, decimal: str) -> object:
    """A numeric cell (xlsx, vector attribute) as text in the table's decimal mark, so that one
    parser reads numeric and text cells alike; integers without '.0'; dates as ISO dates."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.date().isoformat() if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace(".", decimal) if decimal != "." else repr(value)
    return value


def xlsx_rows(path: Path, sheet: str | int, decimal: str) -> tuple[list[list[object]], str, int]:
    """All rows of one sheet from A1 (values, not formulas; merged cells filled with their
    top-left value; numbers as text in ``decimal``), the sheet's name and the number of merged
    ranges. Read with calamine (Rust), which takes a published workbook in milliseconds."""
    rows, sheet, merged = xlsx_values(path, sheet)
    return [[cell_text(v, decimal) for v in r] for r in rows], sheet, merged


def xlsx_sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, in order."""
    import python_calamine as calamine
    from python_calamine import CalamineWorkbook

    _check_xlsx(path)
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except (calamine.CalamineError, calamine.XmlError, calamine.ZipError, calamine.PasswordError,
            ValueError, OSError) as exc:
        raise InputDataError(f"{path}: cannot be read as xlsx ({type(exc).__name__}: "
                             f"{exc})") from None


def _check_xlsx(path: Path) -> None:
    check_file(path, "table")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != ZIP_MAGIC:
        kind = "an old .xls file" if magic.startswith(b"\xd0\xcf\x11\xe0") else "a text/CSV file"
        raise InputDataError(f"{path}: not an xlsx workbook (it looks like {kind}); set "
                             "format = 'csv' for text, or save it as .xlsx from the spreadsheet")


def xlsx_values(path: Path, sheet: str | int) -> tuple[list[list[object]], str, int]:
    """The cells of one sheet as Python values (numbers stay numbers), merged cells filled, the
    sheet's name and the number of merged ranges."""
    import python_calamine as calamine
    from python_calamine import CalamineWorkbook

    _check_xlsx(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = wb.sheet_names
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputDataError(f"{path}: there is no sheet number {sheet} (0-based); sheets: "
                                     f"{', '.join(map(repr, names))}")
            sheet = names[sheet]
        if sheet not in names:
            raise InputDataError(f"{path}: no sheet named {sheet!r}; sheets: "
                                 f"{', '.join(map(repr, names))}")
        ws = wb.get_sheet_by_name(sheet)
        data = ws.to_python(skip_empty_area=False)
        merged = ws.merged_cell_ranges or []
    except (calamine.CalamineError, calamine.XmlError, calamine.ZipError, calamine.PasswordError,
            ValueError, OSError) as exc:
        raise InputDataError(f"{path}: cannot be read as xlsx ({type(exc).__name__}: {exc})") from None
    width = max((len(r) for r in data), default=0)
    rows = [[None if v == "" else v for v in r] + [None] * (width - len(r)) for r in data]
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= width:
            continue
        top = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                rows[r][c] = top
    return rows, sheet, len(merged)


def read_xlsx(path: Path, sheet: str | int, decimal: str, used: list[str],
              keys: list[str] | None = None, header: Header = Header()) -> RawTable:
    """One sheet of a workbook as text cells; row numbers in messages are the sheet's own.

    Formula cells without a computed result (no stored value, or a workbook written by a
    program that asks to be recalculated on opening: its stored "results" are placeholders such
    as 0) are missing, and the notes say which; where a spreadsheet computed them, the notes say
    that its stored result was used. Cells shown as percent are listed in ``percent`` (column →
    lines) for the share check of :func:`quartier.io.tables.read_table`."""
    rows, title, merged = xlsx_rows(path, sheet, decimal)
    marks = xlsx_cell_marks(path, title)
    uncomputed = {rc for rc, stored in marks.formulas.items() if not stored or marks.recalc}
    for (r0, c0), (r1, c1) in marks.merged:   # a merged range shows its top-left cell
        for marked in (marks.percent, uncomputed):
            if (r0, c0) in marked:
                marked.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
    for r, c in uncomputed:
        if r < len(rows) and c < len(rows[r]):
            rows[r][c] = None
    if all(is_blank(r) for r in rows[header.skiprows:]):
        raise InputDataError(f"{path}: sheet {title!r} is empty (after skipping "
                             f"{header.skiprows} rows)")
    table = table_from_rows(rows, f"{path} [{title}]", used, keys or [], header)
    if merged:
        table.notes.append(f"{merged} merged cell range(s) filled with their value")
    lines = set(table.line)
    columns = list(table.df.columns)

    def by_column(cells: set[tuple[int, int]]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for r, c in sorted(cells, key=lambda rc: (rc[1], rc[0])):
            if r + 1 in lines and c < len(columns):
                out.setdefault(columns[c], []).append(r + 1)
        return out

    table.percent = {c: set(n) for c, n in by_column(marks.percent).items()}
    wanted = set(used) if used else set(columns)
    empty = {rc for rc, stored in marks.formulas.items() if not stored}
    for cells, why in ((empty, "no result is stored"),
                       (uncomputed - empty, "the workbook was written by a program and asks to "
                                            "be calculated on opening: its stored results are "
                                            "placeholders")):
        for column, at in by_column(cells).items():
            if column in wanted:
                table.notes.append(
                    f"column {column!r}: {len(at)} formula cell(s) read as missing ({why}), "
                    f"lines {rows_preview(at)}; open the workbook in a spreadsheet, let it "
                    "calculate and save it, or enter the values")
    for column, at in by_column(set(marks.formulas) - uncomputed).items():
        if column in wanted:
            table.notes.append(f"column {column!r}: {len(at)} formula cell(s): the result the "
                               f"spreadsheet stored at its last calculation was used (lines "
                               f"{rows_preview(at)})")
    return table


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
#: Excel's built-in percent formats (0% and 0.00%).
_PERCENT_BUILTIN = {9, 10}
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")
_STYLE_ATTR = re.compile(rb"\ss=\"(\d+)\"")


@dataclass
class CellMarks:
    """What calamine's values do not tell about the cells of a sheet (0-based row, column):
    cells shown as percent, formula cells and whether each has a stored result, and whether the
    workbook asks to be recalculated on opening (``recalc``: written by a program, its stored
    formula results were never computed by a spreadsheet)."""

    percent: set[tuple[int, int]] = field(default_factory=set)
    formulas: dict[tuple[int, int], bool] = field(default_factory=dict)
    recalc: bool = False
    #: merged ranges ((row, column) of the first and the last cell), read with the cells
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def _percent_code(code: str) -> bool:
    """A number format code that shows a percent: '%' outside quoted text and escapes."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" in code


def _cell_ref(ref: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?([0-9]+)", ref or "")
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def xlsx_cell_marks(path: Path, sheet: str) -> CellMarks:
    """Percent-formatted and formula cells of one sheet, read from the workbook's XML.

    Fast where there is nothing to find: the sheet's XML is parsed cell by cell only when it
    holds a formula or a cell in a percent style. A workbook whose structure this does not
    understand yields no marks (calamine has read its values already)."""
    import xml.etree.ElementTree as ET
    import zipfile

    marks = CellMarks()
    try:
        with zipfile.ZipFile(path) as z:
            wb = ET.fromstring(z.read("xl/workbook.xml"))
            rid = next((el.get(f"{_REL_NS}id") for el in wb.iter(f"{_MAIN_NS}sheet")
                        if el.get("name") == sheet), None)
            calc = wb.find(f"{_MAIN_NS}calcPr")
            marks.recalc = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next((el.get("Target") for el in rels if el.get("Id") == rid), None)
            if target is None:
                return marks
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            percent_styles: set[int] = set()
            if "xl/styles.xml" in z.namelist():
                styles = ET.fromstring(z.read("xl/styles.xml"))
                custom = {int(el.get("numFmtId", -1)): el.get("formatCode", "")
                          for el in styles.iter(f"{_MAIN_NS}numFmt")}
                xfs = styles.find(f"{_MAIN_NS}cellXfs")
                for i, xf in enumerate(xfs if xfs is not None else []):
                    fmt = int(xf.get("numFmtId", 0))
                    if fmt in _PERCENT_BUILTIN or _percent_code(custom.get(fmt, "")):
                        percent_styles.add(i)
            data = z.read(member)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, ET.ParseError):
        return marks
    has_formula = _FORMULA_TAG.search(data) is not None
    has_percent = bool(percent_styles) and any(
        int(m) in percent_styles for m in set(_STYLE_ATTR.findall(data)))
    if not (has_formula or has_percent):
        return marks
    row, col = -1, -1
    try:
        for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            if el.tag == f"{_MAIN_NS}row":
                if event == "start":
                    row = int(el.get("r")) - 1 if el.get("r") else row + 1
                    col = -1
                else:
                    el.clear()
                continue
            if el.tag == f"{_MAIN_NS}mergeCell" and event == "end":
                first, _, last = el.get("ref", "").partition(":")
                a, b = _cell_ref(first), _cell_ref(last or first)
                if a and b:
                    marks.merged.append((a, b))
                continue
            if el.tag != f"{_MAIN_NS}c" or event != "end":
                continue
            ref = _cell_ref(el.get("r", ""))
            col = ref[1] if ref else col + 1
            where = (ref[0] if ref else row, col)
            value = el.find(f"{_MAIN_NS}v")
            stored = value is not None and bool((value.text or "").strip())
            if el.find(f"{_MAIN_NS}f") is not None:
                marks.formulas[where] = stored
            if (stored and el.get("t", "n") == "n" and int(el.get("s", 0)) in percent_styles):
                marks.percent.add(where)
    except (ET.ParseError, ValueError):
        return CellMarks(recalc=marks.recalc)
    return marks


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


# ---------------------------------------------------------------------------------- vector data


def read_attributes(path: Path, what: str, layer: str | None, encoding: str, decimal: str,
                    used: list[str]) -> RawTable:
    """The attribute table of a vector file (indicators stored with the boundaries) as text
    cells; ``line`` is the feature number (1-based)."""
    df, notes = read_vector(path, what, layer, encoding, read_geometry=False)
    names, more = header_names(list(df.columns), str(path), used)
    df = pd.DataFrame({n: df[c].map(lambda v: cell_text(v, decimal), na_action="ignore")
                       for n, c in zip(names, df.columns, strict=True)}, index=df.index)
    df = df.apply(lambda c: c.astype("string").str.strip().fillna(""))
    return RawTable(df=df.reset_index(drop=True), line=pd.Series(np.arange(len(df)) + 1),
                    notes=notes + more)


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


def read_vector(path: Path, what: str, layer: str | None = None, encoding: str = "auto",
                crs: str | None = None, crs_key: str = "crs", **kwargs
                ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A vector file (GeoPackage, Shapefile, GeoJSON, … anything GDAL reads) and notes.

    ``encoding="auto"`` lets GDAL decide (UTF-8, a shapefile's ``.cpg``) and falls back to cp1252,
    then latin-1, when the text is not valid UTF-8 (a note says so). ``crs`` is set when the
    file declares none (or overrides a wrong one); a file without CRS and no ``crs`` is an
    error. An unknown layer lists the file's layers. ``what`` and ``crs_key`` name the config
    keys in messages.
    """
    check_file(path, what)
    notes: list[str] = []
    tries = [None, "cp1252", "latin-1"] if encoding == "auto" else [encoding]
    for i, enc in enumerate(tries):
        try:
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=enc, **kwargs)
            # C1 control characters in text come from reading cp1252 as latin-1 (a shapefile
            # without .cpg): "€" would become U+0080; read it as cp1252 instead
            if encoding == "auto" and enc is None and _has_c1(gdf):
                continue
            break
        except UnicodeDecodeError as exc:
            if i + 1 == len(tries):
                raise InputDataError(
                    f"{path}: text is not {enc or 'UTF-8'} (byte {exc.start}) ({what}); set the "
                    "file's encoding in the config (e.g. encoding = 'cp1252')") from None
        except LookupError:
            raise InputDataError(f"{path}: unknown encoding {enc!r} ({what})") from None
        except pyogrio.errors.DataLayerError as exc:
            layers = ", ".join(repr(str(n)) for n, _ in _layers(path))
            raise InputDataError(f"{path}: cannot read layer {layer!r} ({exc}) ({what}); the "
                                 f"file's layers: {layers or 'none'}") from None
        except (pyogrio.errors.DataSourceError, pyogrio.errors.GeometryError,
                pyogrio.errors.FieldError, pyogrio.errors.CRSError, ValueError) as exc:
            raise InputDataError(f"{path}: cannot be read as vector data ({what}): "
                                 f"{str(exc).splitlines()[0][:300]}") from None
    if kwargs.get("read_geometry") is False:
        return gdf, [f"not UTF-8: text read as {enc}"] if enc is not None and encoding == "auto" else []
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise InputDataError(f"{path}: has no geometry ({what}): a table, not boundaries/points; "
                             "give a GeoPackage, Shapefile or GeoJSON (or a table as [[tables]])")
    if enc is not None and encoding == "auto":
        notes.append(f"not UTF-8: text read as {enc}")
    if crs:
        if gdf.crs is not None and not gdf.crs.equals(pyproj.CRS.from_user_input(crs)):
            notes.append(f"file CRS {gdf.crs.to_string()} overridden by the config's crs {crs}")
        gdf = gdf.set_crs(crs, allow_override=True)
    elif gdf.crs is None:
        raise InputDataError(f"{path}: the file declares no CRS ({what}); set {crs_key} in the "
                             "config (e.g. 'EPSG:25832', or 'EPSG:4326' for lon/lat)")
    return gdf, notes


def _has_c1(df: pd.DataFrame) -> bool:
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            if df[c].astype("string").str.contains("[\x80-\x9f]", regex=True).fillna(False).any():
                return True
    return False


def _layers(path: Path) -> list:
    try:
        return list(pyogrio.list_layers(path))
    except (pyogrio.errors.DataSourceError, ValueError):
        return []


def read_osm_layer(path: Path, layer: str, what: str, **kwargs) -> gpd.GeoDataFrame:
    """One layer (points, lines, multipolygons) of an OSM XML/PBF file, gzip allowed."""
    check_file(path, what)
    name = f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)
    try:
        # GDAL's default node index only takes positive ids; editors (JOSM, iD) write new
        # objects with negative ids, which the SQLite index handles at no cost for a city
        return pyogrio.read_dataframe(name, layer=layer, on_invalid="ignore",
                                      USE_CUSTOM_INDEXING="NO", **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot be read as OpenStreetMap data ({what}): "
                             f"{str(exc).splitlines()[0][:300]}") from None


def osm_tag(df: pd.DataFrame, key: str) -> pd.Series:
    """A tag's value from its own column or from GDAL's ``other_tags`` hstore text."""
    if key in df.columns:
        return df[key].astype("string")
    if "other_tags" not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    pattern = rf'"{re.escape(key)}"=>"([^"]*)"'
    return df["other_tags"].astype("string").str.extract(pattern, expand=False)


def match_tags(df: pd.DataFrame, tags: dict[str, list[str]]) -> pd.Series:
    hit = pd.Series(False, index=df.index)
    for key, values in tags.items():
        hit |= osm_tag(df, key).isin(values).fillna(False)
    return hit

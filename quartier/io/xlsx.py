"""Workbooks as published: the cells of a sheet (values, merged cells filled), and which cells
hold formulas or are formatted as percent — read from the workbook's XML, not guessed.
"""

from __future__ import annotations

import datetime
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from quartier import vocab
from quartier.errors import InputDataError
from quartier.io.readers import Header, RawTable, check_file, is_blank, table_from_rows

#: The first bytes of an xlsx file (a zip archive).
ZIP_MAGIC = b"PK\x03\x04"


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
    rows: list[list[object]] = [[None if v == "" else v for v in r] for r in data]
    for row in rows:
        row += [None] * (width - len(row))
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
        table.notes.append(vocab.note("xlsx.merged", n=merged))
    at = _CellLines(set(table.line), list(table.df.columns))
    table.percent = {c: set(n) for c, n in at.by_column(marks.percent).items()}
    table.notes += _formula_notes(marks, uncomputed, at, set(used) if used else set(at.columns))
    return table


@dataclass
class _CellLines:
    """Maps (row, column) cells of a sheet to the table's columns and its lines."""

    lines: set[int]
    columns: list[str]

    def by_column(self, cells: set[tuple[int, int]]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for r, c in sorted(cells, key=lambda rc: (rc[1], rc[0])):
            if r + 1 in self.lines and c < len(self.columns):
                out.setdefault(self.columns[c], []).append(r + 1)
        return out


def _formula_notes(marks: CellMarks, uncomputed: set[tuple[int, int]], at: _CellLines,
                   wanted: set[str]) -> list[str]:
    """Per used column: formula cells read as missing (and why), or read from the result the
    spreadsheet stored."""
    notes = []
    empty = {rc for rc, stored in marks.formulas.items() if not stored}
    for cells, why in ((empty, "xlsx.no_result"), (uncomputed - empty, "xlsx.recalc")):
        for column, lines in at.by_column(cells).items():
            if column in wanted:
                notes.append(vocab.note("xlsx.formula_missing", column=column, n=len(lines),
                                        why=vocab.note(why), lines=vocab.preview(lines)))
    for column, lines in at.by_column(set(marks.formulas) - uncomputed).items():
        if column in wanted:
            notes.append(vocab.note("xlsx.formula_stored", column=column, n=len(lines),
                                    lines=vocab.preview(lines)))
    return notes


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
    marks = CellMarks()
    try:
        with zipfile.ZipFile(path) as z:
            member = _sheet_member(z, sheet, marks)
            if member is None:
                return marks
            percent_styles = _percent_styles(z)
            data = z.read(member)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, ET.ParseError):
        return marks
    has_formula = _FORMULA_TAG.search(data) is not None
    has_percent = bool(percent_styles) and any(
        int(m) in percent_styles for m in set(_STYLE_ATTR.findall(data)))
    if not (has_formula or has_percent):
        return marks
    try:
        _scan_cells(data, percent_styles, marks)
    except (ET.ParseError, ValueError):
        return CellMarks(recalc=marks.recalc)
    return marks


def _sheet_member(z: zipfile.ZipFile, sheet: str, marks: CellMarks) -> str | None:
    """The zip member of a sheet (and whether the workbook asks to be recalculated)."""
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rid = next((el.get(f"{_REL_NS}id") for el in wb.iter(f"{_MAIN_NS}sheet")
                if el.get("name") == sheet), None)
    calc = wb.find(f"{_MAIN_NS}calcPr")
    marks.recalc = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((el.get("Target") for el in rels if el.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _percent_styles(z: zipfile.ZipFile) -> set[int]:
    """The cell styles (xf indices) that show a number as percent."""
    if "xl/styles.xml" not in z.namelist():
        return set()
    styles = ET.fromstring(z.read("xl/styles.xml"))
    custom = {int(el.get("numFmtId", -1)): el.get("formatCode", "")
              for el in styles.iter(f"{_MAIN_NS}numFmt")}
    xfs = styles.find(f"{_MAIN_NS}cellXfs")
    return {i for i, xf in enumerate(xfs if xfs is not None else [])
            if int(xf.get("numFmtId", 0)) in _PERCENT_BUILTIN
            or _percent_code(custom.get(int(xf.get("numFmtId", 0)), ""))}


def _scan_cells(data: bytes, percent_styles: set[int], marks: CellMarks) -> None:
    """Formula cells (with or without a stored result), percent cells and merged ranges."""
    row, col = -1, -1
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
        if stored and el.get("t", "n") == "n" and int(el.get("s", 0)) in percent_styles:
            marks.percent.add(where)

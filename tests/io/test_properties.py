"""Property tests (hypothesis) of the readers: random bytes, encodings, separators and numbers.

Either a correct parse or a QuartierError — never a traceback, never a silently changed value.
All inputs here are GENERATED.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quartier.errors import InputDataError, QuartierError
from quartier.io.numbers import parse_numbers
from quartier.io.units import read_units
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config, tiny_units

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CONVENTIONS = [(",", "."), (",", " "), (",", None), (".", ","), (".", None), (".", "'")]


def oracle(text: str, decimal: str, thousands: str | None) -> float | None:
    """An independent reading of the number rule: ASCII digits; a group separator only before
    groups of exactly three digits, the first group not starting with 0; one decimal mark; an
    optional sign and exponent. None: not a number."""
    s = text.strip()
    sign = ""
    if s[:1] and s[:1] in "+-−–":   # a sign may be followed by spaces ("-  23", typeset)
        sign, s = ("-" if s[0] in "-−–" else ""), s[1:].lstrip()
    mantissa, _, exponent = s.partition("e") if "e" in s else s.partition("E")
    if ("e" in s or "E" in s) and not re.fullmatch(r"[+-]?[0-9]+", exponent):
        return None
    whole, has_dec, frac = mantissa.partition(decimal)
    if has_dec and not re.fullmatch(r"[0-9]+", frac):
        return None
    seps = [c for c in (thousands or "") + " \u00a0\u202f"]
    groups = re.split("|".join(map(re.escape, seps)), whole) if whole else [""]
    if len(groups) > 1:
        if not (re.fullmatch(r"[1-9][0-9]{0,2}", groups[0])
                and all(re.fullmatch(r"[0-9]{3}", g) for g in groups[1:])):
            return None
    elif not re.fullmatch(r"[0-9]*", groups[0]) or (groups[0] == "" and not has_dec):
        return None
    digits = "".join(groups)
    value = float(f"{sign}{digits or '0'}.{frac or '0'}e{exponent or '0'}")
    return value if value not in (float("inf"), float("-inf")) else None


def parse_one(text: str, decimal: str, thousands: str | None) -> float | None:
    try:
        values, _ = parse_numbers(pd.Series([text]), decimal, thousands, set(), "f.csv", "c",
                                  pd.Series([2]))
    except InputDataError:
        return None
    return float(values.iloc[0])


@FAST
@given(st.sampled_from(CONVENTIONS), st.text(alphabet="0123456789.,' -−–e+\u00a0٨", max_size=14))
def test_parser_agrees_with_an_independent_reading(convention, text):
    decimal, thousands = convention
    if not text.strip():
        return   # an empty cell is a missing value, tested elsewhere
    got, want = parse_one(text, decimal, thousands), oracle(text, decimal, thousands)
    assert got == want or (got is not None and want is not None and got == pytest.approx(want))


def german(integer: int, frac: str, decimal: str, thousands: str | None) -> str:
    digits = f"{integer:,}".replace(",", thousands) if thousands else str(integer)
    return digits + (decimal + frac if frac else "")


@FAST
@given(st.sampled_from(CONVENTIONS), st.booleans(), st.integers(0, 10**12),
       st.text(alphabet="0123456789", max_size=6))
def test_formatted_numbers_read_back_exactly(convention, negative, integer, frac):
    decimal, thousands = convention
    text = ("-" if negative else "") + german(integer, frac, decimal, thousands)
    expected = float(("-" if negative else "") + f"{integer}.{frac or '0'}")
    assert parse_one(text, decimal, thousands) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_tables_in_any_encoding_and_separator(data):
    sep = data.draw(st.sampled_from([";", ",", "\t", "|"]))
    decimal, thousands = data.draw(st.sampled_from([c for c in CONVENTIONS if c[0] != sep
                                                    and c[1] != sep]))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    values = data.draw(st.lists(st.tuples(st.integers(0, 10**7), st.text("0123456789", max_size=3)),
                                min_size=4, max_size=4))
    name = data.draw(st.sampled_from(["Einwohner", "Bevölkerung", "Größe_ä", "Anteil ÄÖÜß"]))
    lines = [sep.join(["ID", name, "SGB2"])]
    for i, (integer, frac) in enumerate(values):
        lines.append(sep.join([f"{i + 1:03d}", german(integer, frac, decimal, thousands), "1"]))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = tiny_config(Path(tmp), csv=("\n".join(lines) + "\n").encode(encoding),
                          table={"sep": sep, "decimal": decimal, "thousands": thousands,
                                 "encoding": "auto",
                                 "columns": {name: {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct"}}})
        units, _ = load_city(cfg)
    assert units["ew"].tolist() == [float(f"{i}.{f or '0'}") for i, f in values]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from([";", ","]), st.sampled_from(CONVENTIONS),
       st.sampled_from(["csv", "xlsx", "json"]), st.sampled_from(["auto", "utf-8", "cp1252"]))
def test_random_bytes_as_a_table_never_a_traceback(blob, sep, convention, fmt, encoding):
    decimal, thousands = convention
    if thousands == sep:
        thousands = None
    with tempfile.TemporaryDirectory() as tmp:
        table = {"sep": sep, "decimal": decimal, "thousands": thousands, "format": fmt,
                 "encoding": encoding}
        if fmt == "json":
            table.update(json_year="2020", key="ID")
        cfg = tiny_config(Path(tmp), csv=blob, table=table)
        try:
            load_city(cfg)
        except QuartierError:
            pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(["units.geojson", "units.gpkg", "units.csv"]))
def test_random_bytes_as_units_never_a_traceback(blob, name):
    with tempfile.TemporaryDirectory() as tmp:
        cfg = tiny_config(Path(tmp))
        (Path(tmp) / name).write_bytes(blob)
        cfg = cfg.model_copy(update={"units": cfg.units.model_copy(update={"path": Path(name)})})
        try:
            read_units(cfg.units, crs=cfg.city.crs)
        except QuartierError:
            pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["utf-8", "cp1252", "latin-1"]),
       st.lists(st.text(alphabet="abcÄÖÜäöüß éèç-'.", min_size=1, max_size=12), min_size=4,
                max_size=4, unique=True))
def test_unit_names_in_any_encoding_read_exactly(encoding, names):
    """A GeoJSON written in a legacy encoding, declared in the config: names come back exactly."""
    names = [n.strip() or "x" for n in names]
    if len(set(names)) < 4 or any(not n.encode(encoding, "ignore") for n in names):
        return
    units = tiny_units()
    units["NAME"] = names
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.geojson"
        path.write_bytes(units.to_json().encode(encoding, errors="strict")
                         if encoding == "utf-8" else
                         units.to_json(ensure_ascii=False).encode(encoding))
        cfg = tiny_config(Path(tmp), units_extra={"path": "units.geojson", "encoding": encoding})
        got, _ = read_units(cfg.units, crs=cfg.city.crs)
    assert got["unit_name"].tolist() == names


# ------------------------------------------------------------------ issue 20: xlsx cells, ragged rows

#: How a share (in %) is stored in a GENERATED workbook cell.
CELL_KINDS = ["number", "percent", "formula", "empty", "text"]


def _workbook(path: Path, values: list[float], kinds: list[str], merge: tuple[int, int] | None,
              title: bool) -> None:
    """Four units' SGB2 shares as ``kinds`` say: a plain number, a percent-formatted fraction,
    a formula without a stored result (openpyxl stores none), an empty cell or German text;
    ``merge`` merges SGB2 over two data rows; ``title`` puts a merged title above the header."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if title:
        ws.append(["Sozialdaten (GENERATED)"])
        ws.merge_cells("A1:C1")
    top = ws.max_row + 1 if title else 1
    ws.cell(top, 1, "ID")
    ws.cell(top, 2, "EW")
    ws.cell(top, 3, "SGB2")
    for i, (v, kind) in enumerate(zip(values, kinds, strict=True)):
        r = top + 1 + i
        ws.cell(r, 1, f"{i + 1:03d}")
        ws.cell(r, 2, 1000 + i)
        cell = ws.cell(r, 3)
        if kind == "number":
            cell.value = v
        elif kind == "percent":
            cell.value = v / 100
            cell.number_format = "0.00%"
        elif kind == "formula":
            cell.value = f"=B{r}/100"
        elif kind == "text":
            cell.value = f"{v:.2f}".replace(".", ",")
    if merge is not None:
        a, b = merge
        ws.merge_cells(start_row=top + 1 + a, start_column=3, end_row=top + 1 + b, end_column=3)
    wb.save(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 10_000).map(lambda c: c / 100), min_size=4, max_size=4),
       st.lists(st.sampled_from(CELL_KINDS), min_size=4, max_size=4),
       st.sampled_from([None, (0, 1), (2, 3)]), st.booleans(), st.sampled_from([1.0, 100.0]))
def test_xlsx_percent_formula_and_merged_cells_never_a_traceback(values, kinds, merge, title,
                                                                  scale):
    """GENERATED workbooks: either the shares as the cells show them, or an InputDataError —
    never a traceback, never a fraction read as percent, never a formula read as 0."""
    with tempfile.TemporaryDirectory() as tmp:
        _workbook(Path(tmp) / "t.xlsx", values, kinds, merge, title)
        spec = {"EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct", "unit": "%",
                                               "scale": scale}}
        cfg = tiny_config(Path(tmp), table={"format": "xlsx", "path": "t.xlsx", "columns": spec})
        # what each row shows: a merged range shows its top-left cell in every row
        shown = list(range(4))
        if merge is not None:
            shown[merge[1]] = merge[0]
        kind = [kinds[shown[i]] for i in range(4)]
        try:
            units, report = load_city(cfg)
        except InputDataError:
            return
    if "percent" in kind and scale == 1.0:
        pytest.fail(f"percent cells read without scale = 100: {kind}")
    got = units["share_sgb2_pct"].tolist()
    for i in range(4):
        v, k = values[shown[i]], kind[i]
        if k in ("formula", "empty"):
            assert pd.isna(got[i]), (kind, got)
        elif k == "percent":
            assert got[i] == pytest.approx(v), (kind, got)
        else:
            assert got[i] == pytest.approx(v * scale), (kind, got)
    if "formula" in kind:
        assert any("Formelzelle(n) als fehlend gelesen" in n for n in report.tables[0].notes)


#: What can go wrong in one row of a delimited file.
ROW_FAULTS = ["none", "split_value", "field_lost", "trailing_note_left_out", "trailing_separator"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ROW_FAULTS), min_size=4, max_size=4), st.booleans(),
       st.sampled_from([(";", ","), (",", ".")]),
       st.lists(st.integers(100, 99_999), min_size=4, max_size=4))
def test_rows_with_extra_or_missing_fields_never_a_silent_shift(faults, notes, convention, ints):
    """GENERATED CSV rows with a field too many (a value holding the separator), a field lost,
    a left-out trailing field or a trailing separator: an InputDataError naming the line, or
    exactly the values meant — never values one column off."""
    sep, decimal = convention
    lines = [sep.join(["ID", "EW", "SGB2", "Anmerkung"])]
    meant = []
    for i, (fault, n) in enumerate(zip(faults, ints, strict=True)):
        share = f"{n // 1000},{n % 1000:03d}"     # e.g. "12,345": a decimal comma
        value = float(share.replace(",", "."))
        meant.append(value)
        shown = share if decimal == "," else share.replace(",", ".")
        fields = [f"{i + 1:03d}", str(1000 + i), shown, "geprüft" if notes else ""]
        if fault == "split_value":
            fields[2] = share                      # unquoted: splits where sep = ","
            if sep == ";":
                fields.append("x")                 # a stray field in a semicolon file
        elif fault == "field_lost":
            del fields[1]
        elif fault == "trailing_note_left_out":
            fields = fields[:3]
        elif fault == "trailing_separator":
            fields.append("")
        lines.append(sep.join(fields))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = tiny_config(Path(tmp), csv="\n".join(lines) + "\n",
                          table={"sep": sep, "decimal": decimal,
                                 "columns": {"EW": {"name": "ew"},
                                             "SGB2": {"name": "share_sgb2_pct"}}})
        try:
            units, _ = load_city(cfg)
        except InputDataError as exc:
            assert "line" in str(exc)
            return
    assert "split_value" not in faults and "field_lost" not in faults, faults
    # rows with a note and rows without: the note column is not empty throughout
    assert not (notes and 0 < faults.count("trailing_note_left_out") < 4), faults
    assert units["share_sgb2_pct"].tolist() == meant
    assert units["ew"].tolist() == [1000.0, 1001.0, 1002.0, 1003.0]

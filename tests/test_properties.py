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
from quartier.load import load_city, parse_numbers, read_units
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
            read_units(cfg)
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
        got, _ = read_units(cfg)
    assert got["unit_name"].tolist() == names

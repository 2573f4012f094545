"""Numbers as statistics offices write them: the grammar of decimal marks, thousands
separators and signs, and their parsing into floats (a value is never silently changed).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from quartier.errors import InputDataError, rows_preview

#: The sign of a number: plus, hyphen-minus, the minus sign U+2212 or an en dash U+2013.
SIGN = "[+\\-\u2212\u2013]"


def number_pattern(decimal: str, thousands: str | None) -> re.Pattern:
    """The grammar of a number in a table with this decimal mark and thousands separator.

    A group separator (``thousands``, or a space, no-break space or thin space, which German
    statistics offices use) is valid only before groups of exactly three digits: with
    ``thousands = "."``, ``1.675`` and ``12.345.678`` are numbers, ``4.22594`` is not.
    A sign may be ``+``, ``-``, the typographic minus ``−`` or an en dash ``–`` (tables set in a
    word processor), followed by spaces (``-  23`` aligns the digits); an exponent and a trailing
    ``%`` (``12,5 %``) are allowed; digits are ASCII.
    """
    group = "[" + re.escape(thousands or "") + r"\s\u00a0\u202f]"
    d = re.escape(decimal)
    # ASCII digits only; a grouped number does not start with 0 ("0.675" is no thousand)
    integer = rf"(?:[1-9][0-9]{{0,2}}(?:{group}[0-9]{{3}})+|[0-9]+)"
    return re.compile(rf"^(?:{SIGN}\s*)?(?:{integer}(?:{d}[0-9]+)?|{d}[0-9]+)(?:[eE][+\-]?[0-9]+)?"
                      r"(?:\s?%)?$")


def parse_numbers(
    raw: pd.Series, decimal: str, thousands: str | None, na_codes: set[str], source: str,
    column: str, line: pd.Series,
) -> tuple[pd.Series, dict[str, int]]:
    """Parse German-formatted numbers ('1 675', '12,5', '1.675,5', '–') into floats.

    Every value must follow :func:`number_pattern` and be finite: a separator in the wrong
    place ('4.22594' with ``thousands = "."``), a decimal mark that the config does not declare,
    text, ``inf`` or an overflow (``1e400``) is an error naming the file, column and lines — a
    value is never silently changed.

    A column that is already numeric (parquet) is taken as it is: its missing-value codes that
    are numbers (``-1``, ``-9``) become missing, infinite values are an error.

    Returns the floats (NaN where missing) and a count of the missing-value codes found.
    """
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return _numeric_column(raw, na_codes, source, column, line)
    text = raw.astype("string").str.strip().fillna("")
    missing = text.isin(na_codes)
    codes = text[missing].value_counts().to_dict()
    ok = text.str.fullmatch(number_pattern(decimal, thousands).pattern).fillna(False) | missing
    if not ok.all():
        bad = ~ok
        where = f"{source}: column {column!r}, lines {rows_preview(line[bad])}"
        sample = rows_preview(text[bad].unique(), 4)
        other = "," if decimal == "." else "."
        if thousands and text[bad].str.contains(thousands, regex=False).any():
            hint = (f"a thousands separator {thousands!r} is valid only before groups of exactly "
                    f"three digits. If {thousands!r} is the decimal mark in this file, set "
                    f"decimal = {thousands!r} (and thousands to the other mark or remove it)")
        elif text[bad].str.fullmatch(number_pattern(other, None).pattern).fillna(False).all():
            hint = (f"these use a decimal {'comma' if other == ',' else 'point'}, but the config "
                    f"says decimal = {decimal!r}" + (
                        "; set decimal = ','" if other == "," else
                        "; set decimal = '.', or thousands = '.' if the dots separate thousands"))
        else:
            hint = ("they are not numbers: declare such codes as missing values (na_values) or "
                    "fix decimal/thousands in the config")
        raise InputDataError(f"{where}: {sample}: {hint}")
    cleaned = text.str.replace(r"[\s\u00a0\u202f%]", "", regex=True).str.replace(
        r"^[\u2212\u2013]", "-", regex=True)
    if thousands:
        cleaned = cleaned.str.replace(thousands, "", regex=False)
    if decimal != ".":
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(cleaned.where(~missing), errors="coerce").astype("float64")
    # a numeric code also matches when written otherwise: "-9" is "-9.0" and "-9,0"
    for code, number in _numeric_codes(na_codes).items():
        hit = (values == number) & ~missing
        if hit.any():
            codes[code] = codes.get(code, 0) + int(hit.sum())
            missing = missing | hit
            values = values.mask(hit)
    huge = ~np.isfinite(values) & ~missing
    if huge.any():
        raise InputDataError(
            f"{source}: column {column!r}, lines {rows_preview(line[huge])}: "
            f"{rows_preview(text[huge].unique(), 4)} exceed the range of numbers (overflow to "
            "infinity); check the file")
    return values, codes


def _numeric_codes(na_codes: set[str]) -> dict[str, float]:
    """The missing-value codes that are numbers ("-1", "-9"), with their value."""
    numbers = {}
    for code in na_codes:
        try:
            numbers[code] = float(code.replace(",", "."))
        except ValueError:
            continue
    return numbers


def _numeric_column(raw: pd.Series, na_codes: set[str], source: str, column: str,
                    line: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    values = raw.astype("float64")
    codes: dict[str, int] = {}
    for code, number in _numeric_codes(na_codes).items():
        hit = values == number
        if hit.any():
            codes[code] = int(hit.sum())
            values = values.mask(hit)
    huge = np.isinf(values)
    if huge.any():
        raise InputDataError(f"{source}: column {column!r}, lines {rows_preview(line[huge])}: "
                             "infinite values; check the file")
    return values, codes


#: Units whose values add up when areas merge (counts) and units of shares and rates, which are
#: averaged weighted by population; anything else needs an explicit ``aggregate``.
COUNT_UNITS = ("personen", "anzahl", "einwohner", "wohnungen", "haushalte", "gebäude", "fälle",
               "inserate", "m²", "100 m²", "ha")
RATE_MARKERS = ("%", "prozent", "pp", "€", "eur", "je ", "pro ", "/", "quote", "index", "jahre")


def default_aggregate(unit: str) -> str | None:
    """'sum' for a count unit, 'weighted_mean' for a share or rate, None when unknown."""
    u = unit.strip().casefold()
    if any(m in u for m in RATE_MARKERS):
        return "weighted_mean"
    if u in COUNT_UNITS or u.split(" ")[0] in COUNT_UNITS:
        return "sum"
    return None

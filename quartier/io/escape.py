"""Neutralise text from data for every place it ends up: no value is ever interpreted.

Names from OpenStreetMap or an office's file may hold HTML, template syntax (``{{ }}``), a
JavaScript template literal (``${…}``), a spreadsheet formula (``=``, ``+``, ``-``, ``@``), console
markup (``[bold]``) or control characters. Each sink has one function here, and every module that
writes to that sink goes through it:

* :func:`html_text` — HTML pages, Leaflet tooltips/popups, and everything that passes through
  folium/branca, which render each element's script a second time as a Jinja2 template: braces,
  ``$`` and backticks become character references, so neither Jinja2 nor a JS template literal
  sees syntax, while the browser shows the original characters;
* :func:`spreadsheet_text` — CSV and xlsx cells (OWASP "CSV injection"): a text cell that a
  spreadsheet would read as a formula gets a leading apostrophe; real numbers stay numbers;
* :func:`console_text` — rich's console: markup is escaped, control characters made visible;
* :func:`safe_filename` — an output file name built from config values stays inside ``--out``.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from quartier.errors import ConfigError

#: Characters that start a formula in Excel, LibreOffice or Google Sheets (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: A cell that is a plain number ("-3,5", "+49", "1.5e3") may start with a sign and stays as is.
_NUMBER = re.compile(r"^[+-]?(\d[\d .,]*|[.,]\d+)([eE][+-]?\d+)?$")
#: C0 controls (but tab, newline, carriage return), DEL and the C1 controls (U+0080–U+009F, e.g.
#: the 8-bit CSI): invalid in xlsx, dangerous on a terminal; and the bidirectional embeddings,
#: overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make the text after a name read
#: reversed ("Trojan Source"). The marks LRM/RLM stay: they only order, never reverse.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Braces break Jinja2 syntax; ``$``, the backtick and the backslash (escape sequences such as
#: ``\x3c``) break JS template literals, in which folium puts tooltip and popup text.
_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;",
                                 "\\": "&#92;"})
_SAFE_NAME = re.compile(r"^[\w][\w.\-]*$")


def visible_controls(text: str) -> str:
    """Control characters as their visible Unicode pictures (``\\x07`` → ``␇``; C1 controls,
    which only come from a wrong decoding, and bidi overrides as ``�``): nothing is executed by
    a terminal, nothing breaks an xlsx file, no text is shown reversed."""
    def picture(m: re.Match) -> str:
        code = ord(m.group())
        return "␡" if code == 0x7F else ("\ufffd" if code > 0x7F else chr(0x2400 + code))

    return _CONTROL.sub(picture, text)


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float | np.floating) and np.isnan(value))


def html_text(value: object) -> str:
    """Text for an HTML page or a folium/branca element: numbers in German style, missing as '–',
    booleans ja/nein, everything else escaped for HTML *and* neutralised for Jinja2 and JS
    template literals (see module docstring)."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "ja" if value else "nein"
    if isinstance(value, float | np.floating):
        number = float(value)
        if np.isfinite(number) and number.is_integer() and abs(number) < 1e15:
            return f"{int(number):,}".replace(",", " ")   # counts and whole metres: no ",00"
        return f"{number:,.2f}".replace(",", " ").replace(".", ",")
    return visible_controls(html.escape(str(value))).translate(_TEMPLATE_CHARS)


def spreadsheet_text(value: object) -> object:
    """A cell for CSV or xlsx: text that would start a formula gets a leading ``'``; control
    characters become visible; numbers and missing values are returned unchanged."""
    if not isinstance(value, str):
        return value
    text = visible_controls(value)
    if text.startswith(FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def spreadsheet_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name passed through
    :func:`spreadsheet_text`; numeric columns are not touched."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(spreadsheet_text, na_action="ignore").astype(object)
    out.columns = [spreadsheet_text(str(c)) for c in out.columns]
    return out


def console_text(value: object) -> str:
    """Text for rich's console: markup escaped, control characters made visible."""
    from rich.markup import escape

    return escape(visible_controls(str(value)))


def safe_filename(name: str, what: str) -> str:
    """A file name taken from a config value: letters, digits, ``_``, ``-``, ``.`` only, so it
    cannot leave the output folder (``../x``, ``/etc/x``) or hide (``.x``)."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ConfigError(f"{what} = {name!r} cannot be part of a file name: use letters, digits, "
                          "'_', '-' and '.' only (no '/', no '..')")
    return name

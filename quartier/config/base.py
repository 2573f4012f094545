"""What every config section shares: strict models, CRS and number-format checks, the
missing-value codes of German official statistics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyproj
from pydantic import BaseModel, ConfigDict

#: Missing-value codes used in German official statistics; always treated as missing.
DEFAULT_NA_CODES: tuple[str, ...] = (
    "", "-", "–", "—", ".", "/", "x", "X", "...", "keine Daten", "k.A.", "k. A.", "n.v.", "NA",
)

#: Names quartier gives columns: identifiers (letters of any script, digits, '_').
_NAME = re.compile(r"^[^\W\d]\w*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_crs(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    try:
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise ValueError(f"unknown CRS {value!r} ({exc}); use an EPSG code like 'EPSG:25833'") from exc
    return value


def _check_metric_crs(value: str | None) -> str | None:
    """A projected CRS in metres (how much it distorts distances is checked at the city's
    location when the units are read)."""
    if _check_crs(value) is None:
        return None
    crs = pyproj.CRS.from_user_input(value)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in ("metre", "meter"):
        raise ValueError(
            f"{value!r} is not a metric projected CRS; use ETRS89/UTM "
            "(EPSG:25832 for western, EPSG:25833 for eastern Germany)"
        )
    return value


def _require_crs(value: str) -> str:
    """A CRS that must be given (an empty string is not "use the default" but a mistake)."""
    if _check_crs(value) is None:
        raise ValueError("crs is empty; use an EPSG code like 'EPSG:25833' (or leave the key out "
                         "for the default)")
    return value


def _require_metric_crs(value: str) -> str:
    """A metric projected CRS that must be given."""
    if _check_metric_crs(value) is None:
        raise ValueError("crs is empty; use a metric CRS like 'EPSG:25833' (or leave the key out "
                         "for the default)")
    return value


def _check_number_format(sep: str | None, decimal: str, thousands: str | None) -> None:
    if decimal not in (".", ","):
        raise ValueError(f"decimal = {decimal!r}: use '.' or ','")
    if thousands not in (None, ".", ",", " ", "'", "\u00a0"):
        raise ValueError(f"thousands = {thousands!r}: use '.', ',', ' ' or \"'\" (or leave it out)")
    if thousands == decimal:
        raise ValueError(f"thousands and decimal are both {decimal!r}: a value like 1{decimal}5 "
                         "could not be read")
    if sep is not None and (len(sep) != 1 or sep in "\"\r\n"):
        raise ValueError(f"sep = {sep!r}: one character, e.g. ';', ',' or '\\t'")


@dataclass(frozen=True)
class FileUse:
    """A file a config section names and how it will be read: ``check`` opens each one before a
    run (a section declares its files once; a new file key needs no other edit)."""

    key: str                      # the config key, e.g. "pois[0] (kita)"
    path: Path
    kind: str                     # "vector" (with columns), "raster", "csv" (columns), "file"
    layer: str | None = None
    columns: tuple[str, ...] = ()

"""Words quartier shows: labels of derived columns (one place, so that the reasons, the map,
the report and the profiles say the same)."""

from __future__ import annotations

import re

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def change_label(label: str, base_label: str, *, points: bool) -> str:
    """The label of ``column − base``: "Veränderung Arbeitslose 2018–2024 (Prozentpunkte)" when
    the two labels differ only by their year, else "Veränderung A gegenüber B"; ``points``: both
    are shares, so the change is in percentage points."""
    year, base_year = _YEAR.findall(label), _YEAR.findall(base_label)
    stem = _YEAR.sub("", label).strip(" _-–,()")
    base_stem = _YEAR.sub("", base_label).strip(" _-–,()")
    unit = " (Prozentpunkte)" if points else ""
    if len(year) == 1 and len(base_year) == 1 and stem == base_stem and stem:
        stem = " ".join(stem.replace("_", " ").split())
        return f"Veränderung {stem} {base_year[0]}–{year[0]}{unit}"
    return f"Veränderung {label} gegenüber {base_label}{unit}"


def series_change_label(indicator: str, base_year: int, year: int) -> str:
    """The label of a series' change between two years."""
    return f"Veränderung {indicator} {base_year}–{year}"

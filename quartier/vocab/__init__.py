"""One vocabulary: the states quartier computes, and every word and number it shows.

* **States** are constants (:class:`enum.StrEnum`): code branches on ``HotSpot.HOT``, never on
  the text "Hot Spot". Their values are what the output tables hold (a contract: priority.csv's
  ``hotspot`` is "Hot Spot"/"Cold Spot"/"–"), their *labels* what a page shows, per language
  (:func:`state`).
* **Labels** of columns, categories, notes and every text of the map, the report, the profiles,
  the review app and the console, per language (``de`` by default, ``en``): :func:`text`,
  :func:`column`, :func:`note`.
* **Numbers** formatted for the language (de: ``1.234,5``; en: ``1,234.5``), with units and a
  sensible precision: :func:`num`, :func:`pct`, :func:`metres`, :func:`area_m2`, …
* **Colours** of the states, shared by the map, the profiles and the review app.

The language of a run is the config's ``city.language``; :func:`use_language` sets it for the
code in its block (a context variable: notes written by the analysis on the way come out in it).
This package imports nothing else from quartier: every layer may use it. The label pairs
(de, en) are in :mod:`quartier.vocab.tables`.
"""

from __future__ import annotations

import contextvars
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum

from quartier.vocab import tables

LANGUAGES = ("de", "en")
_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("quartier_language", default="de")


def language() -> str:
    """The language of what is written now ("de" unless a block set another)."""
    return _LANGUAGE.get()


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} unknown; quartier speaks {', '.join(LANGUAGES)}")
    return lang


def set_language(lang: str) -> None:
    """Set the language for the rest of this context (the command line: one run per process)."""
    _LANGUAGE.set(_check(lang))


@contextmanager
def use_language(lang: str) -> Iterator[str]:
    """Write in ``lang`` inside the block (notes, labels, numbers)."""
    token = _LANGUAGE.set(_check(lang))
    try:
        yield lang
    finally:
        _LANGUAGE.reset(token)


def _lang(lang: str | None) -> str:
    return lang or _LANGUAGE.get()


# ------------------------------------------------------------------------------------------ states


class HotSpot(StrEnum):
    """Gi* hot spot state of a unit (priority.csv ``hotspot``)."""

    HOT = "Hot Spot"
    COLD = "Cold Spot"
    NONE = "–"
    NOT_SCORED = "nicht bewertet"
    NOT_TESTABLE = "kein Test möglich"


class Lisa(StrEnum):
    """Local Moran quadrant of a significant unit (priority.csv ``lisa``)."""

    HIGH_HIGH = "Hoch-Hoch"
    LOW_HIGH = "Niedrig-Hoch"
    LOW_LOW = "Niedrig-Niedrig"
    HIGH_LOW = "Hoch-Niedrig"


class PBasis(StrEnum):
    """Which p-values the hot spots rest on (priority.csv ``p_basis``)."""

    PERMUTATION = "Permutation"
    ANALYTIC = "analytisch (Normalapproximation)"


class Origin(StrEnum):
    """Where residents' walks start (access_units.csv ``origin`` and the origins table)."""

    POINT = "Repräsentativpunkt"
    RASTER_CELL = "Rasterzelle"
    GRID_CELL = "Gitterzelle"


class OriginSource(StrEnum):
    """Where a unit's residents come from (access_units.csv ``origin``)."""

    POINT = "Repräsentativpunkt"
    RASTER = "Bevölkerungsraster"
    GRID = "Zensus-Gitter"


class GapState(StrEnum):
    """What a detection run did to a gap candidate (review store ``state``)."""

    NEW = "neu"
    UNCHANGED = "unverändert"
    CHANGED = "geändert"
    ORPHANED = "verwaist"
    REPLACED = "ersetzt"
    REVIVED = "wieder erkannt"


#: States of a candidate that the current detection run no longer finds.
GONE_STATES = (GapState.ORPHANED, GapState.REPLACED)


class ReviewStatus(StrEnum):
    """A reviewer's decision on a gap candidate (review store ``status``), in the order the
    review app offers them (keys 1–5)."""

    OPEN = "offen"
    CONFIRMED = "bestätigt"
    REJECTED = "verworfen"
    MOBILISABLE = "mobilisierbar"
    PLANNED = "in Planung"


class Market(StrEnum):
    """Rental market of a unit (housing_signals.csv ``market``)."""

    TIGHT = "angespannt"
    RELAXED = "entspannt"
    MIDDLE = "mittel"
    NO_DATA = "keine Daten"


class TargetState(StrEnum):
    """A target in a year (targets.csv ``status``)."""

    MET = "Ziel erreicht"
    ABOVE = "Ziel überschritten"
    BELOW = "Ziel unterschritten"
    NO_DATA = "keine Daten"


#: Display labels of the states; the values stay as the tables hold them.
_STATE_LABELS: dict[str, dict[str, str]] = {
    "de": {
        HotSpot.HOT: "Hot Spot", HotSpot.COLD: "Cold Spot", HotSpot.NONE: "nicht signifikant",
        HotSpot.NOT_SCORED: "nicht bewertet", HotSpot.NOT_TESTABLE: "kein Test möglich",
        Lisa.HIGH_HIGH: "hoch, Nachbarn hoch", Lisa.LOW_HIGH: "niedrig, Nachbarn hoch",
        Lisa.LOW_LOW: "niedrig, Nachbarn niedrig", Lisa.HIGH_LOW: "hoch, Nachbarn niedrig",
        PBasis.PERMUTATION: "Permutationstest", PBasis.ANALYTIC: "Normalapproximation",
        Origin.POINT: "Repräsentativpunkt", Origin.RASTER_CELL: "Rasterzelle",
        Origin.GRID_CELL: "Gitterzelle", OriginSource.RASTER: "Bevölkerungsraster",
        OriginSource.GRID: "Zensus-Gitter",
        GapState.NEW: "neu", GapState.UNCHANGED: "unverändert", GapState.CHANGED: "geändert",
        GapState.ORPHANED: "verwaist", GapState.REPLACED: "ersetzt",
        GapState.REVIVED: "wieder erkannt",
        ReviewStatus.OPEN: "offen", ReviewStatus.CONFIRMED: "bestätigt",
        ReviewStatus.REJECTED: "verworfen", ReviewStatus.MOBILISABLE: "mobilisierbar",
        ReviewStatus.PLANNED: "in Planung",
        Market.TIGHT: "angespannt", Market.RELAXED: "entspannt", Market.MIDDLE: "mittel",
        Market.NO_DATA: "keine Daten",
        TargetState.MET: "erreicht", TargetState.ABOVE: "über dem Ziel",
        TargetState.BELOW: "unter dem Ziel", TargetState.NO_DATA: "keine Daten",
    },
    "en": {
        HotSpot.HOT: "hot spot", HotSpot.COLD: "cold spot", HotSpot.NONE: "not significant",
        HotSpot.NOT_SCORED: "not scored", HotSpot.NOT_TESTABLE: "no test possible",
        Lisa.HIGH_HIGH: "high, neighbours high", Lisa.LOW_HIGH: "low, neighbours high",
        Lisa.LOW_LOW: "low, neighbours low", Lisa.HIGH_LOW: "high, neighbours low",
        PBasis.PERMUTATION: "permutation test", PBasis.ANALYTIC: "normal approximation",
        Origin.POINT: "representative point", Origin.RASTER_CELL: "raster cell",
        Origin.GRID_CELL: "grid cell", OriginSource.RASTER: "population raster",
        OriginSource.GRID: "census grid",
        GapState.NEW: "new", GapState.UNCHANGED: "unchanged", GapState.CHANGED: "changed",
        GapState.ORPHANED: "orphaned", GapState.REPLACED: "replaced",
        GapState.REVIVED: "detected again",
        ReviewStatus.OPEN: "open", ReviewStatus.CONFIRMED: "confirmed",
        ReviewStatus.REJECTED: "rejected", ReviewStatus.MOBILISABLE: "can be mobilised",
        ReviewStatus.PLANNED: "in planning",
        Market.TIGHT: "tight", Market.RELAXED: "relaxed", Market.MIDDLE: "middle",
        Market.NO_DATA: "no data",
        TargetState.MET: "met", TargetState.ABOVE: "above the target",
        TargetState.BELOW: "below the target", TargetState.NO_DATA: "no data",
    },
}


def state(value: object, lang: str | None = None) -> str:
    """The label of a state value ("Ziel überschritten" → "über dem Ziel"); any other
    value (a class label from the config, a missing value) as it is."""
    if _missing(value):
        return "–"
    return _STATE_LABELS[_lang(lang)].get(value, str(value))  # type: ignore[call-overload]


# ---------------------------------------------------------------------------------------- colours

#: Classes of an index from the best (first label) to the worst: RdYlGn, reversed (ColorBrewer).
_GOOD_TO_BAD = ["#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#fee08b", "#fdae61", "#fc8d59",
                "#f46d43", "#d73027"]
_CLASS_PICKS = {1: [0], 2: [0, 8], 3: [0, 4, 8], 4: [0, 4, 6, 8], 5: [0, 2, 4, 6, 8],
                6: [0, 2, 4, 5, 6, 8], 7: [0, 1, 2, 4, 6, 7, 8], 8: [0, 1, 2, 3, 4, 6, 7, 8],
                9: list(range(9))}


def class_colours(labels: list[str]) -> dict[str, str]:
    """Colour of each class of an index, by its position (first = best, green; last = worst,
    red), never by its name: "hoch" is good in Berlin's status index, bad in a shrinking index."""
    picks = _CLASS_PICKS.get(len(labels))
    if picks is None:
        picks = [round(i * 8 / max(len(labels) - 1, 1)) for i in range(len(labels))]
    return {lab: _GOOD_TO_BAD[p] for lab, p in zip(labels, picks, strict=True)}


HOTSPOT_COLOURS = {HotSpot.HOT: "#b2182b", HotSpot.COLD: "#2166ac"}
#: Review status colours: the folium map, the profiles and the review app draw the same.
REVIEW_COLOURS = {ReviewStatus.OPEN: "#f08c00", ReviewStatus.CONFIRMED: "#2b8a3e",
                  ReviewStatus.REJECTED: "#495057", ReviewStatus.MOBILISABLE: "#1971c2",
                  ReviewStatus.PLANNED: "#862e9c"}
NO_DATA_COLOUR = "#bdbdbd"
FLAG_OUTLINE_COLOUR = "#000000"
AREA_COLOUR = "#6a3d9a"
SITE_COLOUR = "#e7298a"


# ---------------------------------------------------------------------------------------- numbers

_MINUS = "−"
_NBSP = "\u00a0"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA raises
    except (TypeError, ValueError):
        return True


def num(value: object, digits: int = 0, lang: str | None = None, *, sign: bool = False,
        unit: str | None = None) -> str:
    """A number for the language: ``1.234,5`` (de), ``1,234.5`` (en); "–" when missing;
    ``sign``: "+" before a positive number; ``unit`` after a no-break space."""
    if _missing(value):
        return "–"
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "–"
    v = round(v, digits)
    text = f"{abs(v):,.{digits}f}"
    if _lang(lang) == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if v < 0:
        text = _MINUS + text
    elif sign and v > 0:
        text = "+" + text
    return f"{text}{_NBSP}{unit}" if unit else text


def count(value: object, lang: str | None = None) -> str:
    """A count: ``1.558`` (de), ``1,558`` (en)."""
    return num(value, 0, lang)


def auto_digits(value: object) -> int:
    """A sensible precision for a value of this size: 0 from 100, 1 from 1, else 2; 0 for whole
    numbers."""
    if _missing(value):
        return 0
    try:
        v = abs(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(v) or v >= 100 or float(v).is_integer():
        return 0
    return 1 if v >= 1 else 2


def smart(value: object, lang: str | None = None, unit: str | None = None) -> str:
    """A value with the precision :func:`auto_digits` gives it."""
    return num(value, auto_digits(value), lang, unit=unit)


def decimal(value: object, lang: str | None = None) -> str:
    """A parameter as written (0,5 · 0,05 · 1.000): up to four decimals, no trailing zeros."""
    if _missing(value):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    digits = 0 if v.is_integer() else min(4, max(1, len(f"{v:.4f}".rstrip("0").split(".")[1])))
    return num(v, digits, lang)


def pct(value: object, digits: int = 1, lang: str | None = None, *, sign: bool = False) -> str:
    """A share: ``52,4 %`` (de), ``52.4%`` (en)."""
    if _missing(value):
        return "–"
    text = num(value, digits, lang, sign=sign)
    return f"{text}%" if _lang(lang) == "en" else f"{text}{_NBSP}%"


def points(value: object, digits: int = 1, lang: str | None = None) -> str:
    """A change of a share in percentage points, with its sign."""
    return num(value, digits, lang, sign=True, unit="Pp." if _lang(lang) == "de" else "pp")


def metres(value: object, lang: str | None = None) -> str:
    """A walking or straight-line distance: ``280 m`` (to 10 m), from 1 km ``1,2 km``."""
    if _missing(value):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    if not math.isfinite(v):
        return "–"
    if abs(v) >= 1000:
        return num(v / 1000, 1, lang, unit="km")
    return num(round(v, -1) if abs(v) >= 20 else v, 0, lang, unit="m")


def length_m(value: object, lang: str | None = None) -> str:
    """A short length (a street frontage, a depth): ``12,3 m``."""
    return num(value, 1, lang, unit="m")


def area_m2(value: object, lang: str | None = None) -> str:
    """An area of land: ``1.363 m²``."""
    return num(value, 0, lang, unit="m²")


def euro_m2(value: object, lang: str | None = None) -> str:
    """A rent: ``15,00 €/m²``."""
    return num(value, 2, lang, unit="€/m²")


def persons(value: object, lang: str | None = None) -> str:
    """Residents, rounded to whole persons."""
    return num(value, 0, lang)


_MONTHS = {"de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                  "September", "Oktober", "November", "Dezember"],
           "en": ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]}


def long_date(day: date | datetime, lang: str | None = None) -> str:
    """``4. Dezember 2025`` (de), ``4 December 2025`` (en)."""
    month = _MONTHS[_lang(lang)][day.month - 1]
    return f"{day.day}. {month} {day.year}" if _lang(lang) == "de" else f"{day.day} {month} {day.year}"


# ----------------------------------------------------------------------------------------- texts

#: Every text of the pages and the console that is not a column, a state or a note, per
#: language. ``{…}`` placeholders are filled by :func:`text` (numbers formatted by the caller).
TEXTS: dict[str, dict[str, str]] = {lang: {k: pair[i] for k, pair in tables.TEXTS.items()}
                                    for i, lang in enumerate(LANGUAGES)}


def text(key: str, lang: str | None = None, **values: object) -> str:
    """The text ``key`` in the language, ``{placeholders}`` filled with ``values``."""
    table = TEXTS[_lang(lang)]
    if key not in table:
        raise KeyError(f"no text {key!r} in quartier.vocab")
    return table[key].format(**values) if values else table[key]


def texts(prefix: str, lang: str | None = None) -> dict[str, str]:
    """Every text whose key starts with ``prefix`` (the prefix removed): the label table a page's
    script gets."""
    return {k[len(prefix):]: v for k, v in TEXTS[_lang(lang)].items() if k.startswith(prefix)}


# ------------------------------------------------------------------------------------- categories

#: Labels of the usual POI categories, used when the config gives none.
_CATEGORIES = {
    "de": {"kita": "Kita", "grundschule": "Grundschule",
           "weiterfuehrende_schule": "Weiterführende Schule", "supermarkt": "Lebensmittelmarkt",
           "arzt": "Arztpraxis", "apotheke": "Apotheke", "oepnv": "ÖPNV-Haltestelle",
           "spielplatz": "Spielplatz", "gruenflaeche": "Grünfläche", "bibliothek": "Bibliothek",
           "jugend": "Jugendeinrichtung", "senioren": "Senioreneinrichtung"},
    "en": {"kita": "Day care", "grundschule": "Primary school",
           "weiterfuehrende_schule": "Secondary school", "supermarkt": "Grocery store",
           "arzt": "Doctor", "apotheke": "Pharmacy", "oepnv": "Public transport stop",
           "spielplatz": "Playground", "gruenflaeche": "Green space", "bibliothek": "Library",
           "jugend": "Youth centre", "senioren": "Senior centre"},
}


def category(key: str, labels: Mapping[str, str] | None = None, lang: str | None = None) -> str:
    """A POI category's label: the config's, else quartier's, else the key with its
    underscores as spaces (never the raw key)."""
    if labels and labels.get(key):
        return labels[key]
    return _CATEGORIES[_lang(lang)].get(key, key.replace("_", " ").capitalize())


#: A raw column name in a text: lower case words joined by underscores (``s1_arbeitslosigkeit_pct``).
_RAW_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def relabel(text: object, labels: Mapping[str, str] | None = None, lang: str | None = None) -> str:
    """A text from the analysis (a reason, a note) with every raw column name replaced by its
    label: the config's, else quartier's; an unknown name stays as it is."""
    if _missing(text):
        return ""
    table = _COLUMNS[_lang(lang)]

    def label(m: re.Match[str]) -> str:
        key = m.group(0)
        return (labels or {}).get(key) or table.get(key) or key

    return _RAW_NAME.sub(label, str(text))


# ---------------------------------------------------------------------------------------- columns

_COLUMNS: dict[str, dict[str, str]] = {lang: {k: pair[i] for k, pair in tables.COLUMNS.items()}
                                       for i, lang in enumerate(LANGUAGES)}
#: Patterns of derived columns: (regex, de template, en template); {c} is the label of the
#: matched column or category.
_PATTERNS = [
    (r"dist_(.+)_m", "Fußweg zu {c} (m)", "Walk to {c} (m)"),
    (r"luftlinie_(.+)_m", "Luftlinie zu {c} (m)", "Straight line to {c} (m)"),
    (r"share_within_(.+)_pct", "Anteil Einwohner im Fußweg zu {c} (%)",
     "Residents within walking distance of {c} (%)"),
    (r"score_(.+)", "Punkte {c} (0–100)", "Score {c} (0–100)"),
    (r"z_(.+)", "z-Wert {c}", "z-value {c}"),
    (r"zresid_(.+)", "z-Wert bereinigt {c}", "adjusted z-value {c}"),
    (r"resid_(.+)", "bereinigte Veränderung {c}", "adjusted change {c}"),
    (r"rule_(.+)_(absolute|sd|quantile)", "Grenzwert {c}", "Threshold {c}"),
]
_CATEGORY_PATTERNS = ("dist_", "luftlinie_", "share_within_", "score_")


def column(name: str, labels: Mapping[str, str] | None = None, lang: str | None = None) -> str:
    """The header of a column on a page: data columns by their config label (``labels``, which
    may also rename quartier's own, e.g. ``district`` → "Landkreis"), quartier's columns from
    :mod:`quartier.vocab.tables`, derived ones by pattern ("dist_kita_m" → "Fußweg zu Kita
    (m)"); an unknown name with its underscores as spaces, never raw."""
    if labels and name in labels:
        return labels[name]
    table = _COLUMNS[_lang(lang)]
    if name in table:
        return table[name]
    for pattern, de, en in _PATTERNS:
        m = re.fullmatch(pattern, name)
        if m:
            inner = m.group(1)
            label = (category(inner, labels, lang) if name.startswith(_CATEGORY_PATTERNS)
                     else (labels or {}).get(inner) or column(inner, labels, lang))
            return (de if _lang(lang) == "de" else en).format(c=label)
    return name.replace("_", " ")


def columns(df_columns: list[str], labels: Mapping[str, str] | None = None,
            lang: str | None = None) -> dict[str, str]:
    """``{name: header}`` for ``DataFrame.rename``."""
    return {c: column(c, labels, lang) for c in df_columns}


#: Column names of quartier's tables that pages must never show raw.
def known_columns() -> list[str]:
    return list(_COLUMNS["de"])


# ------------------------------------------------------------------------------------------ notes

#: Notes in the output tables and the report: key → (de, en). Placeholders are formatted by
#: :func:`note`: numbers for the language.
NOTES: dict[str, tuple[str, str]] = tables.NOTES


def note(key: str, lang: str | None = None, **values: object) -> str:
    """The note ``key`` in the language, numbers among ``values`` formatted for it (counts as
    ``1.234``, other floats with :func:`smart`)."""
    de, en = NOTES[key]
    template = de if _lang(lang) == "de" else en
    shown = {k: (count(v, lang) if isinstance(v, int) and not isinstance(v, bool)
                 else smart(v, lang) if isinstance(v, float) else v) for k, v in values.items()}
    return template.format(**shown)


def preview(values: Iterable[object], limit: int = 8, lang: str | None = None) -> str:
    """The first ``limit`` values for a note, and how many more: "a, b, c … (+5 weitere)"
    (:func:`quartier.errors.rows_preview` is its English twin for error messages)."""
    shown = [str(v) for v in values]
    head = ", ".join(shown[:limit])
    return head + (note("preview.more", lang, n=len(shown) - limit) if len(shown) > limit else "")


def quoted(value: object, lang: str | None = None) -> str:
    """A name from the data in quotes for the language: „Mitte“ (de), 'Mitte' (en)."""
    return f"„{value}“" if _lang(lang) == "de" else f"'{value}'"


def note_fragments(lang: str = "en", min_len: int = 12) -> list[str]:
    """The fixed words of every note template in ``lang`` (between placeholders), at least
    ``min_len`` characters and more than one word (a config key such as "units.dissolve_by" is
    no language): a page in the other language must contain none of them."""
    idx = 0 if lang == "de" else 1
    out = []
    for pair in NOTES.values():
        for part in re.split(r"\{[^}]*\}", pair[idx]):
            part = part.strip(" :;,.()")
            if len(part) >= min_len and " " in part:
                out.append(part)
    return out


def text_fragments(lang: str = "en", min_len: int = 14) -> list[str]:
    """The fixed words of every text in ``lang`` that differ from the other language's."""
    other = "de" if lang == "en" else "en"
    out = []
    for key, value in TEXTS[lang].items():
        if TEXTS[other].get(key) == value:
            continue
        for part in re.split(r"\{[^}]*\}", value):
            part = part.strip(" :;,.()–-")
            if len(part) >= min_len and " " in part:
                out.append(part)
    return out


# -------------------------------------------------------------------------- derived column labels

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def change_label(label: str, base_label: str, *, points: bool) -> str:
    """The label of ``column − base``: "Veränderung Arbeitslose 2018–2024 (Prozentpunkte)" when
    the two labels differ only by their year, else "Veränderung A gegenüber B"; ``points``: both
    are shares, so the change is in percentage points."""
    year, base_year = _YEAR.findall(label), _YEAR.findall(base_label)
    stem = _YEAR.sub("", label).strip(" _-–,()")
    base_stem = _YEAR.sub("", base_label).strip(" _-–,()")
    unit = text("unit.points_paren") if points else ""
    if len(year) == 1 and len(base_year) == 1 and stem == base_stem and stem:
        stem = " ".join(stem.replace("_", " ").split())
        return text("label.change_years", stem=stem, base=base_year[0], year=year[0]) + unit
    return text("label.change_against", label=label, base=base_label) + unit


def series_change_label(indicator: str, base_year: int, year: int) -> str:
    """The label of a series' change between two years."""
    return text("label.change_years", stem=indicator, base=base_year, year=year)


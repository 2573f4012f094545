"""`quartier init`: inspect a city's files and write a working config, every guess with its evidence.

Given the boundary file and the statistics tables as an office publishes them, :func:`write_config`
detects what a person would otherwise look up by hand — encoding, separator, decimal mark and
thousands separator, the header row (title rows above it, a units row below it), id and name
columns and the ids' zero-padding, the join key (ids, names, split ids, or the coarser areas), CRS
and swapped axes, the numeric indicator columns, long and wide-by-year layouts, sum rows — and
writes each guess as a config line with a comment saying why (``decimal = ","   # 412 of 412
values use a comma``). ``quartier check`` then shows what the guesses give.

Without files, :func:`template` writes every section and key of the config, commented, from the
config models themselves (so it can never miss a key).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args, get_origin

import numpy as np
import pandas as pd
import tomli_w
from pydantic import BaseModel

from quartier import config as config_mod
from quartier.errors import InputDataError, rows_preview
from quartier.load import normalise_name, number_pattern, table_format, year_of
from quartier.readers import (
    SEPARATORS,
    csv_rows,
    header_names,
    is_blank,
    read_attributes,
    read_vector,
    xlsx_rows,
)

#: Column-name hints (lower case, umlauts written out).
ID_HINT = re.compile(r"(^|[^a-z])(id|nr|nummer|schl|schluessel|key|code|kennz|gkz|ags|plr|bzr)"
                     r"([^a-z]|$)")
NAME_HINT = re.compile(r"name|bezeichnung|titel|label|ortsteil|stadtteil|quartier|bezirk")
GROUP_HINT = re.compile(r"bezirk|stadtbezirk|stadtteil|district|gemeinde|kreis|bez_|region")
POPULATION_HINT = re.compile(r"einwohner|bevoelkerung|population|^ew[_ ]|^ew$|inhabitants|"
                             r"insgesamt$|gesamt$")
#: Attributes of a boundary file that describe the geometry or the record, not the population.
NOT_INDICATOR = re.compile(r"flaeche|area|shape_|length|laenge|umfang|perimeter|objectid|^fid$|"
                           r"gml_id|^id$|_id$|^bez$|schluessel|^ags|^gkz|^ars")
SHARE_HINT = re.compile(r"%|anteil|quote|prozent|_pct|share|rate")
TOTAL_ROW = re.compile(r"^(gesamt|insgesamt|summe|total|stadt( insgesamt)?|gesamtstadt|"
                       r"(stadt|land|kreis)? ?summe|alle|zusammen)\b", re.I)
YEARS = re.compile(r"^(19|20)\d{2}$")


# ------------------------------------------------------------------------------- config lines


def toml_value(value: object) -> str:
    """A TOML literal of a scalar, list or (inline) table."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(str(key))


@dataclass
class Line:
    """One config line and the evidence for it (a comment); ``active=False`` writes it commented."""

    key: str
    value: object
    evidence: str = ""
    active: bool = True

    def render(self) -> str:
        text = f"{toml_key(self.key)} = {toml_value(self.value)}"
        text = text if self.active else f"# {text}"
        return f"{text:<48}# {self.evidence}" if self.evidence else text


@dataclass
class Section:
    header: str
    lines: list[Line] = field(default_factory=list)
    comment: str = ""

    def add(self, key: str, value: object, evidence: str = "", active: bool = True) -> None:
        self.lines.append(Line(key, value, evidence, active))

    def render(self) -> str:
        head = ([f"# {self.comment}"] if self.comment else []) + ([self.header] if self.header else [])
        return "\n".join(head + [line.render() for line in self.lines])


def slug(text: str) -> str:
    """A column name quartier can use: ascii, lower case, '_' between words."""
    t = str(text).casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("%", " pct ")):
        t = t.replace(a, b)
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    t = re.sub(r"[^a-z0-9]+", "_", t).strip("_")
    return ("x_" + t if t[:1].isdigit() else t) or "spalte"


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        import os

        return os.path.relpath(path.resolve(), base.resolve())


# ------------------------------------------------------------------------------------- units


@dataclass
class UnitsGuess:
    section: Section
    city_crs: str
    ids: pd.Series
    names: pd.Series
    group_names: pd.Series | None
    group_ids: pd.Series | None
    id_width: int | None
    numeric: list[str]
    attributes: pd.DataFrame
    crs_lines: list[str] = field(default_factory=list)


def _text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                      else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))


def _numeric_share(values: pd.Series, decimal: str = ".", thousands: str | None = None) -> float:
    text = values.astype("string").str.strip()
    text = text[(text != "") & text.notna()]
    if not len(text):
        return 0.0
    ok = text.str.fullmatch(number_pattern(decimal, thousands).pattern).fillna(False)
    return float(ok.mean())


def guess_crs(bounds: np.ndarray) -> tuple[str, bool, str]:
    """(crs, swap_axes, evidence) for coordinates without a declared CRS."""
    x0, y0, x1, y1 = bounds
    if -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90:
        if 45 <= x0 and x1 <= 56 and 5 <= y0 and y1 <= 16:
            return "EPSG:4326", True, ("no CRS in the file; x lies in 45…56 and y in 5…16: "
                                       "latitude and longitude are swapped (lat, lon)")
        return "EPSG:4326", False, "no CRS in the file; the coordinates look like lon/lat degrees"
    if 3e7 < x0 < 3.4e7:
        zone = int(x0 // 1e6)
        code = {32: "EPSG:4647", 33: "EPSG:5650"}.get(zone, "EPSG:4647")
        return code, False, f"no CRS in the file; x starts with the UTM zone {zone} (zE-N)"
    if 2.4e6 < x0 < 5.9e6 and 5.2e6 < y0 < 6.2e6:
        zone = int(x0 // 1e6)
        return (f"EPSG:{31464 + zone}", False,
                f"no CRS in the file; x {x0:,.0f}… looks like Gauß-Krüger zone {zone}")
    if 1e5 < x0 < 9e5 and 5.2e6 < y0 < 6.2e6:
        code = "EPSG:25833" if x0 < 5e5 and x1 < 5e5 and y0 > 5.6e6 else "EPSG:25832"
        return code, False, (f"no CRS in the file; x {x0:,.0f}…, y {y0:,.0f}… look like "
                             f"ETRS89/UTM: {code} assumed — check it against a known place")
    raise InputDataError(f"the boundary file declares no CRS and its coordinates ({x0:.0f}, "
                         f"{y0:.0f}) fit no CRS quartier knows: set units.crs by hand")


#: Columns of a census grid file: cell centres or INSPIRE ids.
GRID_COLUMNS = re.compile(r"^(x_mp|y_mp|gitter_id)", re.IGNORECASE)


def inspect_units(path: Path, base: Path, layer: str | None = None) -> UnitsGuess:
    """Guess the ``[units]`` section of a boundary file."""
    if path.suffix.lower() in (".parquet", ".csv", ".txt"):
        from quartier.grid import read_cells

        columns = list(read_cells(path, "--units").df.columns)
        grid = [c for c in columns if GRID_COLUMNS.match(str(c)) or str(c) in ("x", "y")]
        raise InputDataError(
            f"{path}: a table, not boundaries" + (
                f" — it looks like a census grid ({', '.join(map(str, grid))}). Grid cells as "
                "units are configured by hand for now: [units.grid] path, x/y or id_column, "
                "populated; tables join = 'grid' (see data/germany_1km/quartier.toml and the "
                "README row 'census grid cells as the units')" if grid else
                ": give the boundary file (GeoPackage, Shapefile, GeoJSON) as --units and this "
                "file as --table"))
    sec = Section("[units]", comment="the spatial units (statistical districts)")
    sec.add("path", _relative(path, base))
    if layer:
        sec.add("layer", layer)
    try:
        gdf, notes = read_vector(path, "--units", layer, on_invalid="fix")
        declared = True
    except InputDataError as exc:
        if "declares no CRS" not in str(exc):
            raise
        import pyogrio

        gdf = pyogrio.read_dataframe(path, layer=layer, on_invalid="fix")
        notes, declared = [], False
    if any("not UTF-8" in n for n in notes):
        enc = notes[0].rsplit(" ", 1)[-1]
        sec.add("encoding", enc, f"the names are not UTF-8: they read correctly as {enc}")
    crs_lines = []
    if not declared:
        crs, swap, why = guess_crs(gdf.total_bounds)
        sec.add("crs", crs, why)
        gdf = gdf.set_crs(crs)
        if swap:
            sec.add("swap_axes", True, "the file stores (lat, lon)")
            import shapely

            gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1]))
    else:
        crs_lines.append(f"the file declares {gdf.crs.name}")
        lon_lat = gdf.to_crs(4326).total_bounds
        if 45 <= lon_lat[0] and lon_lat[2] <= 56 and 5 <= lon_lat[1] and lon_lat[3] <= 16:
            sec.add("swap_axes", True, "in lon/lat the units lie at lon 45…56, lat 5…16: the file "
                    "stores (lat, lon)")
            import shapely

            gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1]))
    lon = float(gdf.to_crs(4326).geometry.union_all().centroid.x)
    city_crs = "EPSG:25832" if lon < 12 else "EPSG:25833"
    crs_lines.append(f"centre at {lon:.2f}° E: {'west' if lon < 12 else 'east'} of 12° E")
    attrs = gdf.drop(columns=gdf.geometry.name)
    n = len(attrs)
    texts = {c: _text(attrs[c]).str.strip() for c in attrs.columns}

    def score_id(c: str) -> float:
        t = texts[c]
        if t.eq("").any() or t.nunique() < n:
            return -1
        # a running number (GeoJSON feature ids 0…n-1) is no key of the statistics office
        running = t.str.fullmatch(r"\d+").all() and set(t.astype(int)) <= set(range(n + 1))
        s = 2.0 * bool(ID_HINT.search(slug(c))) + 2.0 * t.str.fullmatch(r"\d+").all() - 4.0 * running
        return s + (1.0 if pd.api.types.is_integer_dtype(attrs[c]) else 0) - t.str.len().mean() / 50

    id_col = max(attrs.columns, key=score_id)
    if score_id(id_col) < 0:
        raise InputDataError(f"{path}: no column holds a unique, non-empty id for every feature; "
                             f"columns: {', '.join(attrs.columns)}")
    ids = texts[id_col]
    width = None
    digits = ids.str.fullmatch(r"\d+").all()
    if digits and ids.str.len().nunique() == 1 and ids.str.startswith("0").any():
        width = int(ids.str.len().iloc[0])
    sec.add("id_column", id_col, f"{n} unique values" + (", all digits" if digits else ""))
    if width:
        sec.add("id_width", width, f"all ids have {width} digits, {int(ids.str.startswith('0').sum())} "
                "start with 0 (kept when a table lost them)")

    def score_name(c: str) -> float:
        t = texts[c]
        if c == id_col or not t.str.contains(r"[^\W\d_]", regex=True).mean() > 0.9:
            return -1
        return t.nunique() / n + 2.0 * bool(NAME_HINT.search(slug(c))) - (t.nunique() < n / 2) * 2

    name_col = max(attrs.columns, key=score_name)
    if score_name(name_col) < 0:
        name_col = id_col
    names = texts[name_col]
    total = TOTAL_ROW.match
    totals = ids[names.map(lambda v: bool(total(v)))]
    if len(totals):
        sec.add("drop_ids", totals.tolist(), f"feature(s) named {rows_preview(names[totals.index])}: "
                "the whole city, not a unit")
        keep = ~ids.isin(totals)
        attrs, ids, names = attrs[keep], ids[keep], names[keep]
        texts = {c: t[keep] for c, t in texts.items()}
        n = len(attrs)
    sec.add("name_column", name_col, f"text, {names.nunique()} distinct names"
            + ("" if names.nunique() == n else " (not unique: join tables on ids)"))

    def score_group(c: str) -> float:
        t = texts[c]
        k = t.nunique()
        if c in (id_col, name_col) or not 2 <= k <= max(2, n // 2) or t.eq("").any():
            return -1
        text_like = t.str.contains(r"[^\W\d_]", regex=True).mean() > 0.9
        return 2.0 * bool(GROUP_HINT.search(slug(c))) + text_like - k / n

    group_names = group_ids = None
    candidates = sorted((c for c in attrs.columns if score_group(c) >= 0), key=score_group,
                        reverse=True)
    text_groups = [c for c in candidates if texts[c].str.contains(r"[^\W\d_]", regex=True).mean() > 0.9]
    id_groups = [c for c in candidates if texts[c].str.fullmatch(r"\d+").all()]
    if text_groups:
        group_col = text_groups[0]
        group_names = texts[group_col]
        sec.add("group_column", group_col, f"{group_names.nunique()} coarser areas "
                f"({rows_preview(sorted(group_names.unique()), 3)})")
        # the id column of the same areas has as many values, one per name
        same = [c for c in id_groups if texts[c].nunique() == group_names.nunique()
                and pd.crosstab(texts[c], group_names).gt(0).sum(axis=1).eq(1).all()]
        if same:
            group_ids = texts[same[0]]
            sec.add("group_id_column", same[0], "the ids of those areas")
    numeric = [c for c in attrs.columns if c not in (id_col, name_col)
               and pd.api.types.is_numeric_dtype(attrs[c]) and attrs[c].notna().any()
               and not NOT_INDICATOR.search(slug(c))
               and not (group_ids is not None and texts[c].equals(group_ids))]
    return UnitsGuess(sec, city_crs, ids if not width else ids.str.zfill(width), names,
                      group_names, group_ids, width, numeric, attrs, crs_lines)


# ------------------------------------------------------------------------------------- tables


@dataclass
class TableGuess:
    section: Section
    columns: dict[str, dict]
    population: str | None = None
    shares: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def detect_header(rows: list[list[object]]) -> tuple[int, int, list[str]]:
    """(header index, rows to skip after it, evidence) of a table with possible title rows
    above and a units row below the header."""
    def numeric(v: object) -> bool:
        t = "" if v is None else str(v).strip()
        return bool(re.fullmatch(r"[+\-−]?[\d.,\s']+", t)) and any(ch.isdigit() for ch in t)

    filled = [sum(1 for v in r if v not in (None, "") and str(v).strip()) for r in rows]
    nums = [sum(numeric(v) for v in r) for r in rows]
    width = max(filled[:200] or [0])
    first_data = next((i for i in range(len(rows)) if nums[i] >= 1 and filled[i] >= max(2, width / 2)),
                      None)
    if first_data is None:
        return 0, 0, []
    # the header: the last row above the data with several text cells
    texts = [i for i in range(first_data) if filled[i] - nums[i] >= 2]
    if not texts:
        return max(0, first_data - 1), 0, []
    h = texts[-1]
    evidence = []
    if len(texts) >= 2 and texts[-2] == h - 1:
        # two text rows: the lower is a units/description row when the key column repeats
        # the upper (merged cells) or is empty there
        upper, lower = rows[h - 1], rows[h]
        key_col = next((j for j, v in enumerate(upper) if v not in (None, "")), 0)
        if lower[key_col] in (None, "", upper[key_col]):
            evidence.append(f"row {h + 1} under the header is a units/description row: skipped")
            h -= 1
            return h, 1, [f"header in row {h + 1}" + (f" ({h} title rows above)" if h else "")] + evidence
    return h, 0, [f"header in row {h + 1}" + (f" ({h} title row(s) above)" if h else "")] + evidence


def detect_numbers(cells: pd.DataFrame) -> tuple[str, str | None, str]:
    """(decimal, thousands, evidence) from the cells of the value columns."""
    text = cells.stack().astype("string").str.strip()
    text = text[text.str.contains(r"\d", regex=True).fillna(False)]
    n = len(text)
    comma_dec = text.str.fullmatch(r"[+\-−]?\d+,\d+").sum()
    point_dec = text.str.fullmatch(r"[+\-−]?\d+\.(\d{1,2}|\d{4,})").sum()
    dot_thousands = text.str.fullmatch(r"[+\-−]?\d{1,3}(\.\d{3})+(,\d+)?").sum()
    comma_thousands = text.str.fullmatch(r"[+\-−]?\d{1,3}(,\d{3})+(\.\d+)?").sum()
    space_thousands = text.str.fullmatch(r"[+\-−]?\d{1,3}([ \u00a0\u202f]\d{3})+(,\d+)?").sum()
    if comma_dec > point_dec or (dot_thousands and not point_dec):
        thousands = "." if dot_thousands else None
        why = f"{comma_dec} of {n} numbers use a decimal comma"
        if dot_thousands:
            why += f", {dot_thousands} a dot before groups of three digits (thousands)"
        if space_thousands:
            why += f", {space_thousands} a space between thousands (always read)"
        return ",", thousands, why
    if comma_thousands and point_dec:
        return ".", ",", (f"{point_dec} of {n} numbers use a decimal point, {comma_thousands} "
                          "a comma before groups of three digits")
    return ".", None, (f"{point_dec} of {n} numbers use a decimal point, none a decimal comma"
                       if point_dec else f"{n} numbers, all whole")


def _key_rate(values: pd.Series, targets: pd.Series, join: str, width: int | None) -> float:
    v = values.astype("string").str.strip().str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    v = v[v != ""]
    if not len(v):
        return 0.0
    if join == "id":
        if width:
            v = v.where(~v.str.fullmatch(r"\d+").fillna(False), v.str.zfill(width))
        return float(v.isin(set(targets)).mean() * min(1.0, len(set(v) & set(targets)) / max(len(set(v)), 1)))
    t = set(targets.map(normalise_name))
    return float(v.map(normalise_name).isin(t).mean())


def best_key(df: pd.DataFrame, units: UnitsGuess) -> tuple[list[str], str, str, float, str]:
    """(key columns, join, level, match rate, evidence): which columns of the table hold the
    units' ids or names, or those of their coarser areas, or ids split over several columns."""
    options = []
    targets = [("id", "unit", units.ids), ("name", "unit", units.names)]
    if units.group_ids is not None:
        targets.append(("id", "group", units.group_ids))
    if units.group_names is not None:
        targets.append(("name", "group", units.group_names))
    for c in df.columns:
        for join, level, t in targets:
            if join == "name" and level == "unit" and t.duplicated().any():
                continue   # names that are not unique cannot key a join
            width = units.id_width if (join == "id" and level == "unit") else None
            rate = _key_rate(df[c], t, join, width)
            if rate > 0:
                # ties: the units rather than their areas, ids rather than names
                bonus = (0.01 if level == "unit" else 0) + (0.005 if join == "id" else 0)
                options.append((rate + bonus, [c], join, level))
    # ids split over several columns (Bezirk + Ortsteil + Block), when no column holds them whole
    digit_cols = [c for c in df.columns
                  if df[c].astype("string").str.fullmatch(r"\d+").fillna(False).mean() > 0.9]
    whole = max((o[0] for o in options), default=0)
    for size in (2, 3, 4) if whole < 0.5 else ():
        for i in range(len(digit_cols) - size + 1):
            cols = digit_cols[i:i + size]
            joined = df[cols].astype("string").agg("".join, axis=1)
            rate = _key_rate(joined, units.ids, "id", units.id_width)
            if rate > 0:
                options.append((rate, cols, "id", "unit"))
    if not options:
        raise InputDataError("no column of the table holds the units' ids or names (nor those of "
                             "their coarser areas): set key and join by hand")
    rate, cols, join, level = max(options, key=lambda o: (round(o[0], 3), -len(o[1])))
    rate = min(rate, 1.0)
    what = {"unit": "the units'", "group": "the coarser areas'"}[level]
    evidence = (f"{rate:.0%} of the rows match {what} {'ids' if join == 'id' else 'names'}"
                + (f" when the {len(cols)} columns are joined" if len(cols) > 1 else ""))
    return cols, join, level, rate, evidence


def inspect_table(path: Path, base: Path, units: UnitsGuess, name: str, sheet: str | int = 0
                  ) -> TableGuess:
    """Guess one ``[[tables]]`` block for a published table."""
    sec = Section("[[tables]]", comment=f"table {path.name}")
    sec.add("name", name)
    sec.add("path", _relative(path, base))
    fmt = table_format(path, config_mod.TableConfig(name=name, path=path, key="x", columns={}))
    if fmt == "json":
        raise InputDataError(f"{path}: JSON statistics (Leipzig API layout) are written by hand: "
                             "format = 'json', json_year, key (see README, 'Your city')")
    notes: list[str] = []
    skip_after = 0
    if fmt == "vector":
        raw = read_attributes(path, "--table", None, "auto", ".", [])
        df, line = raw.df, raw.line
        sec.add("format", "vector", "a vector file: its attributes are the table")
    else:
        if fmt == "xlsx":
            rows, title, merged = xlsx_rows(path, sheet, ".")
            sec.add("format", "xlsx")
            if sheet != 0:
                sec.add("sheet", sheet)
            if merged:
                notes.append(f"{merged} merged cell ranges (filled with their value)")
        else:
            rows, sep, text, enc_note = csv_rows(path, None, "auto")
            sec.add("format", "csv")
            counts = {s: text.splitlines()[0].count(s) if text else 0 for s in SEPARATORS}
            sec.add("sep", sep, f"the lines split into columns at {sep!r}"
                    + f" ({max(counts.values())} per header line)")
            sec.add("encoding", "auto", enc_note or "UTF-8")
        while rows and is_blank(rows[-1]):
            rows = rows[:-1]
        h, skip_after, evidence = detect_header(rows)
        if h:
            sec.add("header_row", h + 1, "; ".join(evidence[:1]))
        if skip_after:
            sec.add("skip_after_header", skip_after, evidence[-1])
        width = max(len(r) for r in rows[h:])
        names_, _ = header_names((list(rows[h]) + [None] * width)[:width], str(path), [])
        body = [list(r) + [None] * (width - len(r)) for r in rows[h + 1 + skip_after:]]
        df = pd.DataFrame(body, columns=names_, dtype=object).apply(
            lambda c: c.astype("string").str.strip().fillna(""))
        line = pd.Series(np.arange(len(df)) + h + 2 + skip_after, index=df.index)
    key_cols, join, level, rate, evidence = best_key(df, units)
    sec.add("key", key_cols[0] if len(key_cols) == 1 else key_cols, evidence)
    sec.add("join", join)
    if level == "group":
        sec.add("level", "group", "the table describes the coarser areas: each unit gets its "
                "area's value")
    if join == "id" and level == "unit" and units.id_width:
        sec.add("id_width", units.id_width, "as the units' ids")
    key = df[key_cols].agg("".join, axis=1) if len(key_cols) > 1 else df[key_cols[0]]

    # identifiers (another id or name column of the same units) are not indicators
    known = [(units.ids, "id", units.id_width), (units.names, "name", None),
             *([(units.group_ids, "id", None)] if units.group_ids is not None else []),
             *([(units.group_names, "name", None)] if units.group_names is not None else [])]
    ident = {c for c in df.columns if c not in key_cols
             and any(_key_rate(df[c], t, j, w) > 0.5 for t, j, w in known)}
    others = [c for c in df.columns if c not in key_cols and c not in ident]
    decimal, thousands, why = detect_numbers(df[others]) if others else (".", None, "")
    if fmt != "vector":
        sec.add("decimal", decimal, why)
        if thousands:
            sec.add("thousands", thousands, why.split(", ", 1)[-1])
    years = [c for c in others if year_of(c) and not re.search(r"[a-z]{4,}", slug(c).replace(
        "stand", "").replace("jahr", "").replace("dezember", ""))]
    # long layouts repeat (nearly) every key; a few repeated keys are sum rows
    counts = key[key != ""].value_counts()
    repeats = bool(len(counts)) and (counts > 1).mean() > 0.5
    variable_col = None
    value_cols: list[str]
    columns: dict[str, dict] = {}
    if len(years) >= 2:
        latest = max(years, key=lambda c: year_of(c))
        sec.add("layout", "wide_years", f"a column per year: {rows_preview(years, 4)}")
        sec.add("year", year_of(latest), "the latest year; set another to read it")
        variable_col = _variable_column(df, key, [*key_cols, *years]) if repeats else None
        value_cols = [latest]
    else:
        year_col = next((c for c in others if df[c].astype("string").str.fullmatch(YEARS.pattern)
                         .fillna(False).mean() > 0.95 and df[c].nunique() >= 2), None)
        if repeats and year_col:
            latest = max(df[year_col].astype(str))
            sec.add("year_column", year_col, f"one row per area and year: years "
                    f"{rows_preview(sorted(set(df[year_col])), 4)}")
            sec.add("year", latest, "the latest year; set another to read it")
            df = df[df[year_col].astype(str) == latest]
            line, key = line[df.index], key[df.index]
            counts = key[key != ""].value_counts()
            repeats = bool(len(counts)) and (counts > 1).mean() > 0.5
        exclude = [*key_cols, *([year_col] if year_col else [])]
        variable_col = _variable_column(df, key, exclude) if repeats else None
        if variable_col:
            value_col = _value_column(df, [*exclude, variable_col], decimal, thousands)
            sec.add("layout", "long", "one row per area and variable"
                    + (" (and year)" if year_col else ""))
            sec.add("value_column", value_col)
            value_cols = [value_col]
        else:
            value_cols = [c for c in others if c != year_col
                          and _numeric_share(df[c], decimal, thousands) > 0.6]
    if variable_col:
        sec.add("variable_column", variable_col, f"{df[variable_col].nunique()} variables")
        variables = [v for v in df[variable_col].drop_duplicates() if v]
        for v in variables:
            sel = df[df[variable_col] == v]
            columns[v] = _column_spec(v, sel[value_cols[0]], decimal, thousands)
    elif sec.lines and any(line_.key == "layout" for line_ in sec.lines):
        columns["value"] = _column_spec(name, df[value_cols[0]], decimal, thousands)
    else:
        for c in value_cols:
            columns[c] = _column_spec(c, df[c], decimal, thousands)
    # missing-value codes: text in numeric columns that is not a default code
    na = set()
    matched = key.map(lambda v: v != "") & ~key.str.match(TOTAL_ROW.pattern, case=False).fillna(False)
    for c in value_cols:
        t = df.loc[matched[matched].index.intersection(df.index), c].astype("string").str.strip()
        bad = t[~t.str.fullmatch(number_pattern(decimal, thousands).pattern).fillna(False) & (t != "")]
        na |= {v for v in bad.unique() if v not in config_mod.DEFAULT_NA_CODES}
        sentinel = [v for v in t.unique() if v in ("-9999", "-999", "-99", "-1", "-9")
                    and (t == v).sum() >= 1]
        na |= set(sentinel)
    if na:
        sec.add("na_values", sorted(na), f"non-numbers in the value columns: {rows_preview(sorted(na), 6)}")
    if not variable_col:   # in a long table every key repeats: sum rows are told by their name
        _sum_rows(sec, df, key, key_cols, line, join, level, units)
    aliases = _aliases(key, join, level, units)
    if aliases:
        sec.add("aliases", aliases[0], aliases[1])
    guess = TableGuess(sec, columns, notes=notes)
    for source, spec in columns.items():
        if POPULATION_HINT.search(slug(source)) and guess.population is None and level == "unit":
            guess.population = spec["name"]
        if spec.get("unit") == "%":
            guess.shares.append(spec["name"])
    return guess


def _variable_column(df: pd.DataFrame, key: pd.Series, exclude: list[str]) -> str | None:
    """A text column naming the indicator of each row: few distinct values, and each area has
    each of them once."""
    cands = []
    for c in df.columns:
        if c in exclude:
            continue
        t = df[c].astype("string").fillna("")
        if not (1 < t.nunique() <= 60 and t.str.contains(r"[^\W\d_]", regex=True).mean() > 0.9):
            continue
        if not pd.DataFrame({"k": key, "v": t}).duplicated().any():
            cands.append(c)
    hint = [c for c in cands if re.search(r"variable|merkmal|indikator|kennzahl|thema|art", slug(c))]
    return (hint or cands or [None])[0]


def _value_column(df: pd.DataFrame, exclude: list[str], decimal: str, thousands: str | None) -> str:
    cands = [c for c in df.columns if c not in exclude
             and _numeric_share(df[c], decimal, thousands) > 0.6]
    hint = [c for c in cands if re.search(r"value|wert|anzahl|zahl", slug(c))]
    if not (hint or cands):
        raise InputDataError("a long table needs a numeric value column; none found")
    return (hint or cands)[0]


def _column_spec(source: str, values: pd.Series, decimal: str, thousands: str | None) -> dict:
    """``{name, label, unit}`` for a value column; '%' when the header says share and the
    values lie in 0–100, 'Personen' for a whole-number population count."""
    name = slug(source)
    spec = {"name": name, "label": str(source)}
    text = values.astype("string").str.strip()
    whole = text[text != ""].str.fullmatch(r"[0-9.\s]+").fillna(False)
    if POPULATION_HINT.search(name) and len(whole) and whole.mean() > 0.9:
        spec["unit"] = "Personen"
    if SHARE_HINT.search(str(source).casefold()) or SHARE_HINT.search(name):
        text = values.astype("string").str.strip()
        ok = text.str.fullmatch(number_pattern(decimal, thousands).pattern).fillna(False)
        nums = pd.to_numeric(text[ok].str.replace(thousands or "\x00", "", regex=False)
                             .str.replace(decimal, ".", regex=False), errors="coerce")
        if len(nums) and nums.between(0, 100).all():
            spec["unit"] = "%"
            spec["name"] = name if name.endswith("pct") else f"{name}_pct"
    return spec


def _sum_rows(sec: Section, df: pd.DataFrame, key: pd.Series, key_cols: list[str], line: pd.Series,
              join: str, level: str, units: UnitsGuess) -> None:
    """Totals and district rows: by pattern when their key is no unit's, by a level column or
    by line when they share a key with a unit."""
    targets = units.ids if (level == "unit" and join == "id") else (
        units.names if level == "unit" else (units.group_ids if join == "id" else units.group_names))
    norm = (lambda s: s) if join == "id" else normalise_name
    known = set(targets.map(norm)) if targets is not None else set()
    k = key.map(lambda v: norm(v) if v else v)
    totals = key[key.str.match(TOTAL_ROW.pattern, case=False).fillna(False) & ~k.isin(known)]
    if len(totals):
        sec.add("drop_keys", sorted(set(totals)), f"total row(s) in lines {rows_preview(line[totals.index])}")
    dup = k[(k != "") & k.duplicated(keep=False)]
    if not len(dup):
        return
    # a level column that tells the total from the unit (Ebene = Bezirk / Ortsteil)
    for c in df.columns:
        values = df.loc[dup.index, c]
        if c in key_cols:
            continue
        if values.nunique() >= 2 and df[c].nunique() <= 10 and not _numeric_share(df[c]) > 0.5:
            common = df[c].value_counts().index[0]
            drop = sorted(set(df[c].unique()) - {common})
            shared = rows_preview(sorted(set(key[dup.index])), 3)
            sec.add("drop_where", {c: drop}, f"{len(dup)} rows share a key ({shared}); {c!r} tells "
                    f"the total rows ({', '.join(drop)}) from the units ({common})")
            return
    # else: the row with the larger numbers is the total (a district exceeds its quarter)
    sums = df.loc[dup.index].apply(lambda col: pd.to_numeric(col.str.replace(r"[.\s]", "", regex=True)
                                                           .str.replace(",", "."), errors="coerce")).sum(axis=1)
    drop_lines = [int(line[sums[k == kk].idxmax()]) for kk in set(dup)]
    sec.add("drop_rows", sorted(drop_lines), f"keys {rows_preview(sorted(set(key[dup.index])), 3)} occur "
            "twice; the row with the larger numbers is taken as the total — check these lines")


def _aliases(key: pd.Series, join: str, level: str, units: UnitsGuess) -> tuple[dict, str] | None:
    """Rows whose name is no unit's: a close spelling (Roenneburg/Rönneburg is already joined by
    normalisation) or several unit names joined by 'und', '/', ','."""
    if join != "name":
        return None
    targets = units.names if level == "unit" else units.group_names
    known = {normalise_name(n): n for n in targets}
    aliases, evidence = {}, []
    for k in key.unique():
        if not k or normalise_name(k) in known or TOTAL_ROW.match(k):
            continue
        parts = [p.strip() for p in re.split(r"\s+und\s+|\s*/\s*|\s*,\s*|\s+u\.\s+", k) if p.strip()]
        if len(parts) > 1 and all(normalise_name(p) in known for p in parts):
            aliases[k] = [known[normalise_name(p)] for p in parts]
            evidence.append(f"{k!r} covers {len(parts)} units")
            continue
        close = difflib.get_close_matches(normalise_name(k), list(known), n=1, cutoff=0.8)
        if close:
            aliases[k] = known[close[0]]
            evidence.append(f"{k!r} ≈ {known[close[0]]!r}")
    return (aliases, "; ".join(evidence) + " — check each") if aliases else None


# ------------------------------------------------------------------------------ whole config


def write_config(target: Path, units_path: Path, tables: list[Path], *, name: str | None = None,
                 index: list[str] | None = None, population: Path | None = None,
                 layer: str | None = None, sheet: str | int = 0) -> tuple[str, list[str]]:
    """Inspect the files and return the config text and what the user should look at."""
    base = target.parent
    units = inspect_units(units_path, base, layer)
    city = Section("[city]")
    city.add("name", name or "Meine Stadt", "" if name else "the city's name (--name)")
    city.add("crs", units.city_crs, "; ".join(units.crs_lines))
    sections = [city, units.section]
    guesses = []
    attributes = None
    if units.numeric:
        # indicators stored in the boundary file: its attributes are a table of their own
        sec = Section("[[tables]]", comment="indicators stored as attributes of the boundary file")
        sec.add("name", "attribute")
        sec.add("path", _relative(units_path, base))
        sec.add("format", "vector", f"{len(units.numeric)} numeric attributes")
        sec.add("key", units.section.lines[[ln.key for ln in units.section.lines].index("id_column")].value)
        if units.id_width:
            sec.add("id_width", units.id_width)
        cols = {c: _column_spec(c, _text(units.attributes[c]), ".", None) for c in units.numeric}
        attributes = TableGuess(sec, cols)
        attributes.shares = [s["name"] for s in cols.values() if s.get("unit") == "%"]
        attributes.population = next((s["name"] for c, s in cols.items()
                                      if POPULATION_HINT.search(slug(c))), None)
        guesses.append(attributes)
    used_names: set[str] = set()
    for i, path in enumerate(tables):
        guess = inspect_table(path, base, units, slug(path.stem)[:30] or f"t{i + 1}", sheet)
        guesses.append(guess)
    for g in guesses:
        for spec in g.columns.values():
            while spec["name"] in used_names:
                spec["name"] = f"{spec['name']}_{g.section.lines[0].value}"
            used_names.add(spec["name"])
    top = Section("", comment="quartier config written by `quartier init`: every guess says why; "
                  "check it with `quartier check`")
    pop = next((g.population for g in guesses if g.population), None)
    if pop and population is None:
        top.add("population_column", pop, "a column named like a population count")
    sections.insert(0, top)
    if population is not None:
        p = Section("[population]", comment="no population counts in the tables: residents "
                    "from a raster or census grid")
        if population.suffix.lower() in (".tif", ".tiff"):
            p.add("raster", _relative(population, base))
            p.add("raster_values", "count", "cells hold residents; use 'relative' + total for a "
                  "density surface")
        else:
            p.add("grid", {"path": _relative(population, base)}, "census grid (EPSG:3035, "
                  "-1/-9 are missing)")
        sections.append(p)
    for g in guesses:
        sections.append(g.section)
        cols = Section("[tables.columns]", comment="source column = { name in quartier, label, unit }")
        for source, spec in g.columns.items():
            cols.add(source, spec)
        sections.append(cols)
    shares = [s for g in guesses for s in g.shares]
    numeric = [s["name"] for g in guesses for s in g.columns.values()]
    idx = Section("[index]", comment="choose the indicators of the index (e.g. with "
                  "`quartier init … --index a,b`): shares where a higher value means more need")
    chosen = index or []
    unknown = [c for c in chosen if c not in numeric]
    if unknown:
        raise InputDataError(f"--index {unknown}: not among the detected columns "
                             f"{', '.join(numeric)}")
    if chosen:
        idx.add("name", "Sozialindex")
        idx.add("status", [{"column": c} for c in chosen])
        if not pop and population is None:
            idx.add("min_population", 0, "no population column: the minimum-population rule is "
                    "off (say so, or add a population table)")
    else:
        idx.header = "# [index]"
        idx.add("status", [{"column": c} for c in (shares or numeric)[:3]],
                f"candidates: {', '.join(shares or numeric)}", active=False)
    sections.append(idx)
    if numeric:
        m = Section("[map]")
        m.add("indicator", (chosen or shares or numeric)[0], "shown as choropleth by `quartier run`")
        sections.append(m)
    text = "\n\n".join(s.render() for s in sections if s.lines or s.header) + "\n"
    notes = [n for g in guesses for n in g.notes]
    return text, notes


# --------------------------------------------------------------------------------- template


def template() -> str:
    """Every section and key of the config, commented, with its description and default."""
    out = ["# quartier city config — every key, commented. Paths are relative to this file.",
           "# Remove the '#' of what you need; `quartier init PATH --units FILE --table FILE`",
           "# writes a config from your files instead.", ""]
    root = config_mod.QuartierConfig
    top = [(k, f) for k, f in root.model_fields.items() if k != "base_dir"
           and _model_of(f.annotation) is None]
    out += [_field_line(k, f) for k, f in top]
    for key, fld in root.model_fields.items():
        model = _model_of(fld.annotation)
        if model is None or key == "base_dir":
            continue
        array = get_origin(fld.annotation) is list or any(
            get_origin(a) is list for a in get_args(fld.annotation))
        out += ["", f"# [{'[' if array else ''}{key}{']' if array else ''}]"
                + (f"   {model.__doc__.strip().splitlines()[0]}" if model.__doc__ else "")]
        nested = []
        for sub, sf in model.model_fields.items():
            inner = _model_of(sf.annotation)
            if inner is not None and get_origin(sf.annotation) is dict:
                out.append(f"# [{key}.{sub}]   {sub} = {{ " + ", ".join(
                    f"{k} = …" for k in inner.model_fields) + " }")
                continue
            if inner is not None and get_origin(sf.annotation) is not list:
                # a sub-table (units.grid, population.grid): its keys below the parent's
                nested += ["", (f"# [{key}.{sub}]   " + (sf.description or "")).rstrip()]
                nested += [_field_line(k, f) for k, f in inner.model_fields.items()]
                continue
            out.append(_field_line(sub, sf))
        out += nested
    return "\n".join(out) + "\n"


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _field_line(key: str, fld) -> str:
    if fld.is_required():
        value = "…"
    else:
        default = fld.get_default(call_default_factory=True)
        try:
            value = toml_value(default) if default is not None else "…"
        except (TypeError, ValueError):
            value = "…"
        if isinstance(default, BaseModel):
            value = "…"
    line = f"# {key} = {value}"
    desc = (fld.description or "").replace("\n", " ")
    return f"{line:<50}# {desc}" if desc else line

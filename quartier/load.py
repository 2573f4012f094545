"""Load a city's spatial units and indicator tables, with German data quirks handled.

The result of :func:`load_city` is one GeoDataFrame in the city's metric CRS, with the columns
``unit_id`` (zero-padded string), ``unit_name``, ``unit_group`` (if configured), the indicator
columns named in the config, and a :class:`JoinReport` that says what matched and what did not.
Unmatched rows are reported, never silently dropped; missing values stay NaN, never 0.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely

from quartier.config import DEFAULT_NA_CODES, ColumnSpec, QuartierConfig, TableConfig
from quartier.derive import derive_columns, formula
from quartier.errors import ConfigError, InputDataError, rows_preview
from quartier.indicators import default_aggregate
from quartier.quality import density_outliers, repeated_note, repeated_values
from quartier.readers import (
    Header,
    RawTable,
    check_field_counts,
    check_file,
    read_attributes,
    read_csv_text,
    read_json_records,
    read_parquet_table,
    read_vector,
    read_xlsx,
)

#: Geographic margin (degrees) around the target CRS's area of use accepted by the bounds check.
BOUNDS_MARGIN_DEG = 3.0
#: Unmatched table keys for which the join report looks up the closest unit names.
MAX_SUGGESTED = 200
#: Column of a table read with ``unit_names``: the units' names it carries.
UNIT_NAMES = "__unit_name"
#: The sign of a number: plus, hyphen-minus, the minus sign U+2212 or an en dash U+2013.
SIGN = "[+\\-\u2212\u2013]"
_NUMERIC_KEY = re.compile(r"^\d+(\.0)?$")
_FOOTNOTE = re.compile(r"^(\*|\(|[\d¹²³⁴⁵⁶⁷⁸⁹⁰]+\)|[¹²³⁴⁵⁶⁷⁸⁹⁰°†‡]|quelle|anm|hinweis|stand|"
                       r"fußnote|fussnote|zeichenerkl|erläuterung)")


@dataclass
class TableReport:
    """What happened when one table was read and joined."""

    name: str
    path: str
    rows: int = 0
    matched: int = 0
    only_in_units: list[str] = field(default_factory=list)
    only_in_table: list[str] = field(default_factory=list)
    rows_with_missing: dict[str, list[str]] = field(default_factory=dict)
    dropped_rows: list[str] = field(default_factory=list)
    dropped_keys: dict[str, list[int]] = field(default_factory=dict)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: what a reader of the results must know (counts doubled, repeated values): also in the
    #: report's notes, not only in the join report
    warnings: list[str] = field(default_factory=list)
    #: a census grid table lists every cell of the grid: cells that are no unit are counted
    #: (and said in the notes), not listed one by one in join_unmatched
    cells: bool = False

    def unmatched(self) -> list[str]:
        """Keys only in the table, each with the closest unit names: "Sankt Paul (→ St. Pauli?)"."""
        return [f"{k} (→ {', '.join(self.suggestions[k])}?)" if self.suggestions.get(k) else k
                for k in self.only_in_table]


@dataclass
class JoinReport:
    """Join report of one city load: units notes and one :class:`TableReport` per table."""

    n_units: int = 0
    unit_notes: list[str] = field(default_factory=list)
    tables: list[TableReport] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """The notes every reader of the results must see: the units' and the tables' warnings."""
        return [*self.unit_notes, *(w for t in self.tables for w in t.warnings)]

    def to_frame(self) -> pd.DataFrame:
        """One row per table: matched, only in units, only in table, rows with missing values,
        and in ``details`` the notes and the unmatched keys with the closest unit names."""
        rows = []
        for t in self.tables:
            missing_ids = sorted({i for ids in t.rows_with_missing.values() for i in ids})
            unmatched = t.unmatched()
            rows.append(
                {
                    "table": t.name,
                    "file": Path(t.path).name,
                    "rows": t.rows,
                    "matched": f"{t.matched}/{self.n_units}",
                    "only_in_units": len(t.only_in_units),
                    "only_in_table": len(t.only_in_table),
                    "rows_with_missing": len(missing_ids),
                    "details": "; ".join(
                        [*t.warnings, *t.notes,
                         *([f"only in the table: {rows_preview(unmatched, 20)}"]
                           if unmatched and not t.cells else []),
                         *([f"units without a row: {rows_preview(t.only_in_units, 20)}"]
                           if t.only_in_units else []),
                         *([f"missing values: {rows_preview(missing_ids)}"] if missing_ids else [])]
                    ),
                }
            )
        return pd.DataFrame(rows, columns=["table", "file", "rows", "matched", "only_in_units",
                                           "only_in_table", "rows_with_missing", "details"])

    def unmatched_frame(self, units: pd.DataFrame | None = None) -> pd.DataFrame:
        """Every unmatched key, one row each: ``table``, ``side`` ("nur in der Tabelle" /
        "nur in den Einheiten"), ``key``, ``name`` and the closest names (``suggestions``)."""
        names = (dict(zip(units["unit_id"], units["unit_name"], strict=True))
                 if units is not None else {})
        rows = []
        for t in self.tables:
            rows += [{"table": t.name, "side": "nur in der Tabelle", "key": k, "name": k,
                      "suggestions": ", ".join(t.suggestions.get(k, []))}
                     for k in ([] if t.cells else t.only_in_table)]
            rows += [{"table": t.name, "side": "nur in den Einheiten", "key": u,
                      "name": names.get(u, ""), "suggestions": ""} for u in t.only_in_units]
        return pd.DataFrame(rows, columns=["table", "side", "key", "name", "suggestions"])


#: German spellings that name the same place: umlauts written out, "Sankt" abbreviated.
_SPELLING = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))
_SANKT = re.compile(r"\bsankt\b|\bst\b\.?")
#: A number code written before a name ("01 Altstadt", "04 Westliche Höhe").
_CODE_PREFIX = re.compile(r"^[0-9]+\s+(?=[^\W\d_])")
#: Footnote marks after a name ("Harburg¹", "Neuwerk*").
_NAME_MARKS = re.compile(r"(?<=\w)[¹²³⁴⁵⁶⁷⁸⁹⁰°*†‡]+$")


@functools.lru_cache(maxsize=1 << 16)  # long tables repeat each name once per year and variable
def normalise_name(name: str) -> str:
    """Key for joining on names: case, umlauts (ö = oe), ß/ss, 'Sankt'/'St.', hyphens, spaces,
    underscores and punctuation do not matter, nor a number code before the name or a footnote
    mark after it ('04 Westliche Höhe' = 'Westliche_Höhe', 'Harburg¹' = 'Harburg'); the join
    report lists every name matched this way."""
    # marks first: NFKC turns "¹" into "1"
    text = unicodedata.normalize("NFKC", _NAME_MARKS.sub("", str(name).strip())).casefold()
    for a, b in _SPELLING:
        text = text.replace(a, b)
    text = _SANKT.sub("st", _CODE_PREFIX.sub("", text))
    return re.sub(r"[\W_]+", "", text)


def normalise_ids(
    values: pd.Series, width: int | None, source: str, column: str
) -> tuple[pd.Series, int]:
    """Ids as stripped strings, zero-padded to ``width`` digits.

    Returns the ids and how many were padded (ids that lost leading zeros in a spreadsheet).
    Float-looking ids ('1100101.0') are repaired as well.
    """
    ids = values.astype("string").str.strip()
    ids = ids.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    if width is None:
        return ids, 0
    numeric = ids.str.fullmatch(r"\d+").fillna(False)
    too_long = ids[numeric & (ids.str.len() > width)]
    if len(too_long):
        raise InputDataError(
            f"{source}: column {column!r} has ids longer than id_width={width}: "
            f"{rows_preview(too_long.tolist())}; check id_width in the config"
        )
    padded = numeric & (ids.str.len() < width)
    ids = ids.where(~numeric, ids.str.zfill(width))
    return ids, int(padded.sum())


def require_columns(df: pd.DataFrame, columns: list[str], source: str, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputDataError(
            f"{source}: {what} column(s) {', '.join(map(repr, missing))} not found. "
            f"Available columns: {', '.join(map(str, df.columns))}"
        )


# --------------------------------------------------------------------------------------- units


def check_bounds(gdf: gpd.GeoDataFrame, target_crs: str, source: str,
                 hint: str = " Check the file's CRS (units.crs) or the city's crs.") -> None:
    """Fail when the units do not lie where the target CRS is meant to be used; ``hint`` says
    which config keys to check."""
    aou = pyproj.CRS.from_user_input(target_crs).area_of_use
    if aou is None:
        return
    to_lonlat = pyproj.Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
    minx, miny, maxx, maxy = to_lonlat.transform_bounds(*gdf.total_bounds)
    west, south = aou.west - BOUNDS_MARGIN_DEG, aou.south - BOUNDS_MARGIN_DEG
    east, north = aou.east + BOUNDS_MARGIN_DEG, aou.north + BOUNDS_MARGIN_DEG

    def inside(x0: float, y0: float, x1: float, y1: float) -> bool:
        return west <= x0 and x1 <= east and south <= y0 and y1 <= north

    if inside(minx, miny, maxx, maxy):
        return
    msg = (
        f"{source}: the units lie at lon {minx:.3f}…{maxx:.3f}, lat {miny:.3f}…{maxy:.3f}, "
        f"outside the area of use of {target_crs} ({aou.name})."
    )
    if inside(miny, minx, maxy, maxx):
        msg += " The coordinates look swapped (lat, lon): set units.swap_axes = true."
    else:
        msg += hint
    raise InputDataError(msg)


def scale_error_pct(crs: str | pyproj.CRS, lonlat_bounds: tuple[float, float, float, float]) -> float:
    """Largest distance distortion (%) of a projected CRS over an area: ``|k − 1|`` of the
    meridional and parallel scale factors ``k`` at the corners and centre of the bounds."""
    proj = pyproj.Proj(pyproj.CRS.from_user_input(crs))
    west, south, east, north = lonlat_bounds
    lon = np.array([west, east, west, east, (west + east) / 2])
    lat = np.array([south, south, north, north, (south + north) / 2])
    f = proj.get_factors(lon, lat)
    err = np.maximum(np.abs(np.asarray(f.meridional_scale) - 1), np.abs(np.asarray(f.parallel_scale) - 1))
    return float(np.nanmax(err) * 100) if np.isfinite(err).any() else float("inf")


def check_distances_preserved(crs: str, lonlat_bounds: tuple[float, float, float, float],
                              limit_pct: float, what: str) -> None:
    """Refuse a CRS that distorts distances at the city by more than ``limit_pct`` percent."""
    err = scale_error_pct(crs, lonlat_bounds)
    if err > limit_pct:
        raise InputDataError(
            f"{what} = {crs!r} stretches distances and areas by up to {err:.1f} % at the city "
            f"(quartier accepts {limit_pct:g} %): every distance in metres would be wrong. Use "
            "ETRS89/UTM (EPSG:25832 west of 12° E, EPSG:25833 east) or Gauß-Krüger; to accept "
            "the distortion deliberately, raise city.max_scale_error_pct")


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a repaired geometry (repairs can yield collections)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def repair_geometries(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Make invalid geometries valid, keeping polygonal parts only. Returns the count repaired."""
    invalid = ~gdf.geometry.is_valid
    if not invalid.any():
        return gdf, 0
    fixed = shapely.make_valid(gdf.geometry[invalid].values)
    gdf = gdf.copy()
    gdf.loc[invalid, gdf.geometry.name] = [_polygonal(g) for g in fixed]
    return gdf, int(invalid.sum())


def merge_parts(gdf: gpd.GeoDataFrame, attributes: list[str], source: str
                ) -> tuple[gpd.GeoDataFrame, str | None]:
    """Merge the features that share a ``unit_id`` (parts of one unit stored as separate
    polygons) into one (multi)polygon each. The parts must agree in ``attributes`` (name,
    group): parts that disagree are not parts of one unit, and that is an error."""
    dup = gdf["unit_id"].duplicated(keep=False)
    if not dup.any():
        return gdf, None
    parts = gdf[dup]
    differ = [c for c in attributes
              if (parts.groupby("unit_id")[c].nunique(dropna=False) > 1).any()]
    if differ:
        ids = parts.groupby("unit_id")[differ[0]].nunique(dropna=False)
        raise InputDataError(
            f"{source}: features sharing an id differ in {', '.join(map(repr, differ))} (ids "
            f"{rows_preview(ids[ids > 1].index.tolist())}): they are not parts of one unit; "
            "units.merge_parts cannot merge them — fix the ids in the file")
    geom = gdf.geometry.name
    # repaired first: a union of invalid rings raises a GEOS TopologyException
    parts = parts.set_geometry(shapely.make_valid(parts.geometry.values))
    merged = parts.dissolve(by="unit_id", sort=False, as_index=False)[list(gdf.columns)]
    first = ~gdf["unit_id"].duplicated()
    out = pd.concat([gdf[~dup], merged], ignore_index=True)
    order = pd.Series(np.flatnonzero(first), index=gdf.loc[first, "unit_id"].to_numpy())
    out = out.iloc[np.argsort(order.loc[out["unit_id"]].to_numpy(), kind="stable")]
    n_ids = int(parts["unit_id"].nunique())
    return gpd.GeoDataFrame(out, geometry=geom, crs=gdf.crs).reset_index(drop=True), (
        f"{len(parts)} features merged into {n_ids} unit(s) by units.merge_parts (parts of one "
        f"unit: {rows_preview(sorted(set(parts['unit_id'])))})")


def read_units(cfg: QuartierConfig) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read the spatial units in the city's metric CRS.

    Returns a GeoDataFrame with ``unit_id``, ``unit_name``, optionally ``unit_group``, the
    geometry, and a list of notes (repairs, padded ids, dropped features).
    """
    u = cfg.units
    if u is None:
        raise InputDataError("the config has no [units] section: this job needs spatial units")
    if u.grid is not None:
        from quartier.grid import grid_units

        return grid_units(cfg)
    path = cfg.resolve(u.path)
    source = str(path)
    gdf, notes = read_vector(path, "units.path", u.layer, u.encoding, crs=u.crs, crs_key="units.crs",
                             on_invalid="fix")
    if gdf.empty:
        raise InputDataError(f"{source}: the units file has no features")
    wanted = [u.id_column, *[c for c in (u.name_column, u.group_column, u.group_id_column,
                                         u.dissolve_by, u.dissolve_name_column) if c]]
    require_columns(gdf, wanted, source, "units")

    ids, padded = normalise_ids(gdf[u.id_column], u.id_width, source, u.id_column)
    if padded:
        notes.append(f"{padded} unit ids zero-padded to {u.id_width} digits")
    gdf = gdf.assign(unit_id=ids)
    if u.drop_ids:
        drop = gdf["unit_id"].isin(u.drop_ids)
        notes.append(f"dropped {int(drop.sum())} feature(s) by units.drop_ids: {u.drop_ids}")
        gdf = gdf[~drop]
    if u.merge_parts:
        gdf, note = merge_parts(gdf, [c for c in wanted if c != u.id_column], source)
        if note:
            notes.append(note)
    dup = gdf["unit_id"][gdf["unit_id"].duplicated(keep=False)]
    if len(dup):
        raise InputDataError(
            f"{source}: column {u.id_column!r} has duplicate ids: "
            f"{rows_preview(sorted(set(dup)))}; each unit needs a unique id. If these features "
            "are parts of one unit (a district stored as two polygons), set units.merge_parts = true"
        )
    if gdf["unit_id"].isna().any() or (gdf["unit_id"] == "").any():
        rows = np.flatnonzero(gdf["unit_id"].isna() | (gdf["unit_id"] == "")) + 1
        raise InputDataError(f"{source}: column {u.id_column!r} is empty in features {rows_preview(rows)}")

    if u.swap_axes:
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1]))
        notes.append("axes swapped (lat, lon → lon, lat) by units.swap_axes")

    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    collection = gdf.geometry.geom_type == "GeometryCollection"
    if collection.any():
        # keep the areas of a collection; one without any is as wrong as a point
        gdf = gdf.copy()
        gdf.loc[collection, gdf.geometry.name] = [_polygonal(g) for g in gdf.geometry[collection]]
    kinds = gdf.geometry.geom_type.where(~(collection & gdf.geometry.is_empty), "GeometryCollection "
                                         "ohne Fläche")
    not_area = ~empty & ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_area.any():
        found = ", ".join(f"{k} ×{n}" for k, n in kinds[not_area].value_counts().items())
        raise InputDataError(
            f"{source}: units must be areas (polygons), but {int(not_area.sum())} feature(s) are "
            f"{found}: {rows_preview(gdf.loc[not_area, 'unit_id'])}. Neighbours, areas and "
            "residents need the boundaries: use the polygon layer of the units (units.layer)")
    if empty.any():
        raise InputDataError(
            f"{source}: {int(empty.sum())} unit(s) have no geometry: "
            f"{rows_preview(gdf.loc[empty, 'unit_id'])}; fix or drop them (units.drop_ids)"
        )
    gdf, repaired = repair_geometries(gdf)
    if repaired:
        notes.append(f"{repaired} invalid geometries repaired (polygonal parts kept)")
    lost = gdf.geometry.is_empty
    if lost.any():
        raise InputDataError(
            f"{source}: unit(s) {rows_preview(gdf.loc[lost, 'unit_id'])} have no polygonal area "
            "after repair; fix them in the source file"
        )
    check_bounds(gdf, cfg.city.crs, source)
    check_distances_preserved(cfg.city.crs, tuple(gdf.to_crs(4326).total_bounds),
                              cfg.city.max_scale_error_pct, "city.crs")
    gdf = gdf.to_crs(cfg.city.crs)

    names = gdf[u.name_column] if u.name_column else gdf["unit_id"]
    out = {"unit_id": gdf["unit_id"], "unit_name": names.astype("string")}
    if u.group_column:
        out["unit_group"] = gdf[u.group_column].astype("string")
    if u.group_id_column:
        out["unit_group_id"] = normalise_ids(gdf[u.group_id_column], u.group_id_width, source,
                                             u.group_id_column)[0]
    if u.dissolve_by:
        out["dissolve_id"] = normalise_ids(gdf[u.dissolve_by], None, source, u.dissolve_by)[0]
        out["dissolve_name"] = gdf[u.dissolve_name_column or u.dissolve_by].astype("string")
    result = gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=gdf.crs)
    return result.reset_index(drop=True), notes


# -------------------------------------------------------------------------------------- tables


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


def table_format(path: Path, t: TableConfig) -> str:
    """The configured format, or for ``auto`` the one the file's suffix says."""
    if t.format != "auto":
        return t.format
    suffix = "".join(path.suffixes[-1:]).lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".json" and t.json_year:
        return "json"
    if suffix in (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".zip"):
        return "vector"
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".xls":
        raise InputDataError(f"{path}: old .xls workbooks are not read; save it as .xlsx")
    return "csv"


def read_raw_table(path: Path, t: TableConfig, keys: list[str]) -> RawTable:
    """The table's cells as text, whatever the file's format and header layout."""
    used = [*keys, *([t.note_column] if t.note_column else [])]
    if t.layout == "wide":
        used += list(t.columns)
    else:
        used += [*variable_columns(t), *([t.year_column] if t.year_column else [])]
        used += [t.value_column] if t.layout == "long" else []
    header = Header(row=t.header_row, rows=t.header_rows, skip_after=t.skip_after_header,
                    skiprows=t.skiprows, absent=t.no_header)
    fmt = table_format(path, t)
    if fmt == "csv":
        return read_csv_text(path, t.sep, t.encoding, used, keys, header)
    if fmt == "parquet":
        return read_parquet_table(path, f"tables {t.name!r} path")
    if fmt == "xlsx":
        return read_xlsx(path, t.sheet, t.decimal, used, keys, header)
    if fmt == "vector":
        return read_attributes(path, f"tables {t.name!r} path", None, t.encoding, t.decimal, used)
    return read_json_records(path, str(t.json_year), keys[0], list(t.columns))


#: Header of a year or date column in a wide-by-year table: 2020, "Jahr 2020", 31.12.2020,
#: 2020-12-31, "Stand 31.12.2020".
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


_YEAR_VALUE = re.compile(r"^((?:19|20)[0-9]{2})(?:\.0)?$|^[0-9]{1,2}\.[0-9]{1,2}\.((?:19|20)[0-9]{2})$|"
                         r"^((?:19|20)[0-9]{2})-[0-9]{2}-[0-9]{2}$")


#: Joins the columns that together name a long table's variable ("Arbeitslose | insgesamt").
VARIABLE_JOIN = " | "


def join_columns(df: pd.DataFrame, columns: list[str], sep: str = "") -> pd.Series:
    """The text of several columns joined per row (vectorised; missing cells as '')."""
    parts = [df[c].astype("string").fillna("") for c in columns]
    return parts[0].str.cat(parts[1:], sep=sep) if len(parts) > 1 else parts[0]


def variable_columns(t: TableConfig) -> list[str]:
    """The column(s) naming the variable of a long or wide-by-year table."""
    v = t.variable_column
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def year_value(cell: object) -> str | None:
    """The year of a cell of a year column: 2023, 2023.0 (a spreadsheet number), 31.12.2023 or
    2023-12-31; anything else (2020/21, 2020.7) is None."""
    m = _YEAR_VALUE.match(str(cell).strip())
    return next((g for g in m.groups() if g), None) if m else None


def year_of(header: str) -> str | None:
    """The year a column header names ('31.12.2020' → '2020'), or None."""
    found = _YEAR.findall(str(header))
    return found[-1] if len(set(found)) == 1 else None


def filter_year(df: pd.DataFrame, line: pd.Series, t: TableConfig, source: str
                ) -> tuple[pd.DataFrame, pd.Series, str]:
    """The rows of ``t.year`` in a table with a year column (one row per area and year)."""
    require_columns(df, [t.year_column], source, "year_column")
    years = df[t.year_column].map(lambda v: year_value(v) or v)
    available = sorted(set(years) - {""})
    if t.year is None:
        raise InputDataError(f"{source}: a table with a year column needs year (the year to "
                             f"read); the table has {rows_preview(available)}")
    keep = years == str(t.year)
    if not keep.any():
        raise InputDataError(f"{source}: no rows for year {t.year!r} in {t.year_column!r}; "
                             f"years: {rows_preview(available)}")
    return df[keep], line[keep], f"year {t.year} read ({int(keep.sum())} of {len(df)} rows)"


def reshape(df: pd.DataFrame, line: pd.Series, t: TableConfig, keys: list[str], source: str
            ) -> tuple[pd.DataFrame, pd.Series, dict[str, pd.Series], list[str]]:
    """A long or wide-by-year table as one row per key with a column per variable.

    Returns the wide cells, the line of each row, the line of each cell per variable (for
    messages about a value), and notes. A key that holds two values for the same variable and
    year is an error naming the lines.
    """
    notes = []
    if t.layout == "wide_years":
        if t.year is None:
            found = sorted({y for c in df.columns if (y := year_of(c))})
            raise InputDataError(f"{source}: layout = 'wide_years' needs year (the year to read); "
                                 f"the header has the years {', '.join(found) or 'none'}")
        matches = [c for c in df.columns if c == t.year or year_of(c) == str(t.year)[-4:]]
        if len(matches) != 1:
            raise InputDataError(f"{source}: {'no' if not matches else 'more than one'} column "
                                 f"for year {t.year!r} ({', '.join(matches) or 'none'}); "
                                 f"columns: {', '.join(df.columns)}")
        value_col = matches[0]
        notes.append(f"wide-by-year table: column {value_col!r} read")
        sel = df
    else:
        value_col = t.value_column
        require_columns(df, [value_col], source, "value_column")
        sel = df
    if t.variable_column:
        names = variable_columns(t)
        require_columns(sel, names, source, "variable_column")
        variable = join_columns(sel, names, VARIABLE_JOIN)
    else:
        if list(t.columns) != [value_col] and list(t.columns) != ["value"]:
            raise InputDataError(f"{source}: without variable_column the table holds one variable: "
                                 f"name it in [tables.columns] as 'value'")
        variable = pd.Series("value", index=sel.index)
    wanted = variable.isin(list(t.columns))
    found = set(variable[wanted])
    missing = [c for c in t.columns if c not in found]
    if missing:
        raise InputDataError(f"{source}: variable(s) {', '.join(map(repr, missing))} not found in "
                             f"{t.variable_column!r}; it holds {rows_preview(sorted(set(variable)), 12)}")
    sel, variable = sel[wanted], variable[wanted]
    key = join_columns(sel, keys) if len(keys) > 1 else sel[keys[0]]
    dup = pd.DataFrame({"k": key, "v": variable}).duplicated(keep=False)
    if dup.any():
        raise InputDataError(f"{source}: {'+'.join(keys)!r} and variable occur twice in lines "
                             f"{rows_preview(line[sel.index[dup]])}; each area may have one value "
                             "per variable (and year)")
    cells = pd.DataFrame({"k": key, "v": variable, "x": sel[value_col], "line": line[sel.index]})
    wide = cells.pivot(index="k", columns="v", values="x").fillna("")
    lines = cells.pivot(index="k", columns="v", values="line")
    first = cells.groupby("k", sort=False)["line"].min()
    order = first.sort_values().index
    wide, lines = wide.loc[order], lines.loc[order]
    extra = [c for c in [t.note_column, *keys[1:]] if c]
    out = pd.DataFrame({keys[0]: order}, index=range(len(order)))
    for c in extra:
        out[c] = sel.groupby(key.to_numpy())[c].first().reindex(order).to_numpy()
    if len(keys) > 1:
        out[keys[0]] = order
        for c in keys[1:]:
            out[c] = ""
    for c in t.columns:
        out[c] = wide[c].to_numpy()
    cell_line = {c: pd.Series(lines[c].to_numpy(), index=out.index) for c in t.columns}
    return (out.astype("string"), pd.Series(first.loc[order].to_numpy(), index=out.index),
            cell_line, notes)


def value_source(columns: list[str], t: TableConfig, column: str) -> str:
    """The file's column that holds the values of ``column``: itself in a wide table, the value
    column of a long one, the column of the year in a wide-by-year one."""
    if t.layout == "long":
        return t.value_column or column
    if t.layout == "wide_years":
        return next((c for c in columns if c == t.year or year_of(c) == str(t.year)[-4:]), column)
    return column


def check_shares(values: pd.Series, shown_percent: pd.Series, spec: ColumnSpec, source: str,
                 column: str, line: pd.Series, notes: list[str]) -> None:
    """Fractions read as percent are refused: a '%' column whose cells a workbook shows as
    percent (it stores 5,5 % as 0.055) needs scale = 100, one that mixes such cells with plain
    numbers is ambiguous, and one whose values all lie in 0–1 (any format) needs scale = 100 or,
    for shares that really are all below 1 %, max = 1 to confirm."""
    share = spec.unit.strip() == "%"
    given = values.notna()
    if shown_percent.any():
        plain = given & ~shown_percent
        at = f"lines {rows_preview(line[shown_percent])}"
        if share and plain.any():
            raise InputDataError(
                f"{source}: column {column!r} mixes cells formatted as percent ({at}; the workbook "
                f"stores 5,5 % as 0.055) with plain numbers (lines {rows_preview(line[plain])}): "
                "which scale is meant cannot be known. Format the column uniformly in the "
                "workbook (all as numbers, or all as percent and scale = 100)")
        if share and spec.scale == 1:
            raise InputDataError(
                f"{source}: column {column!r} is a share in % (unit '%'), but its cells are "
                f"formatted as percent ({at}): the workbook stores 5,5 % as 0.055 (here e.g. "
                f"{values[shown_percent].iloc[0]:g}). Set scale = 100 for this column")
        if not share and spec.scale == 1:
            notes.append(f"{column}: {int(shown_percent.sum())} cell(s) formatted as percent, read "
                         "as the stored fraction (5,5 % → 0.055); for percent set unit = '%' and "
                         "scale = 100")
        return
    if share and spec.scale == 1 and spec.max is None:
        v = values[given]
        if len(v) and v.between(0, 1).all() and v.max() > 0:
            raise InputDataError(
                f"{source}: column {column!r} is a share in % (unit '%'), but all its values lie "
                f"in 0–1 (e.g. {v.iloc[0]:g}, lines {rows_preview(line[given])}): fractions "
                "(0.055 for 5,5 %) would be read as 0.055 %. Set scale = 100 for this column if "
                "the values are fractions, or max = 1 if the shares really are all below 1 %")


def check_range(values: pd.Series, spec: ColumnSpec | str, name: str, source: str, column: str,
                line: pd.Series) -> None:
    """Values outside the column's valid range are an error: a share (unit '%') outside 0–100,
    or the configured min/max. ``spec`` is the column's spec, or just its unit."""
    unit = spec if isinstance(spec, str) else spec.unit
    lo, hi = (ColumnSpec(name="x", unit=unit) if isinstance(spec, str) else spec).valid_range()
    out = (values < lo) | (values > hi)
    if out.any():
        what = "a share in % (unit '%')" if unit.strip() == "%" else name
        raise InputDataError(
            f"{source}: column {column!r} is {what} and must lie in {lo:g}…{hi:g}, but lines "
            f"{rows_preview(line[out])} hold {rows_preview(values[out].unique(), 4)}. Fix the file, "
            "or set min/max (or the unit) of this column in the config if the values are right")


def drop_file_rows(df: pd.DataFrame, line: pd.Series, t: TableConfig, source: str,
                   report: TableReport) -> pd.Series:
    """Rows dropped by their place in the file: ``drop_rows`` (line numbers as messages show
    them) and ``drop_where`` (a level column). Applied before a long table is reshaped."""
    drop = pd.Series(False, index=df.index)
    rules: list[tuple[str, pd.Series]] = []
    if t.drop_rows:
        unknown = sorted(set(t.drop_rows) - set(line))
        if unknown:
            raise InputDataError(f"{source}: drop_rows names lines {rows_preview(unknown)}, which "
                                 f"are not data rows of the table (data rows: lines "
                                 f"{line.min()}–{line.max()})")
        rules.append(("drop_rows", line.isin(t.drop_rows)))
    for column, values in t.drop_where.items():
        require_columns(df, [column], source, "drop_where")
        rules.append((f"drop_where {column!r}", df[column].isin(values)))
    for rule, hit in rules:
        if hit.any():
            report.notes.append(f"{int(hit.sum())} row(s) dropped by {rule}: lines "
                                f"{rows_preview(line[hit])}")
        drop |= hit
    return drop


def drop_keys(key: pd.Series, join_key: pd.Series, line: pd.Series, t: TableConfig,
              report: TableReport) -> pd.Series:
    """Rows dropped by their key: ``drop_keys`` (totals whose key no unit has; the keys are kept
    in ``report.dropped_keys`` so that :func:`join_table` refuses to drop a unit's row) and
    ``drop_pattern``."""
    drop = pd.Series(False, index=key.index)
    rules: list[tuple[str, pd.Series]] = []
    if t.drop_keys:
        wanted = set(t.drop_keys) if t.join == "id" else {normalise_name(k) for k in t.drop_keys}
        hit = join_key.isin(wanted)
        report.dropped_keys = {k: line[join_key == k].tolist() for k in set(join_key[hit])}
        rules.append(("drop_keys", hit))
    if t.drop_pattern:
        rules.append((f"drop_pattern {t.drop_pattern!r}",
                      key.str.contains(t.drop_pattern, regex=True).fillna(False)))
    for rule, hit in rules:
        if hit.any():
            rows = [f"{k} (line {n})" for k, n in zip(key[hit], line[hit], strict=True)]
            report.notes.append(f"{int(hit.sum())} row(s) dropped by {rule}: {rows_preview(rows)}")
        drop |= hit
    return drop


def footnote_rows(df: pd.DataFrame, key: pd.Series, line: pd.Series, t: TableConfig,
                  report: TableReport) -> pd.Series:
    """Footnotes, sources and blank lines under a table: an empty key, or a text key where keys
    are numbers (said in the report; a keyless row holding numbers is named as data)."""
    blank_values = df[list(t.columns)].astype("string").fillna("").apply(
        lambda c: c.str.strip().eq("")).all(axis=1)
    if t.join == "id":
        texty = ~key.str.fullmatch(_NUMERIC_KEY.pattern).fillna(False)
    else:
        texty = key.str.match(_FOOTNOTE.pattern, case=False).fillna(False)
    # a merged footnote spans the row: every value cell repeats the key's text
    spanning = df[list(t.columns)].astype("string").fillna("").eq(key, axis=0).all(axis=1) & texty
    numbers = df[list(t.columns)].astype("string").fillna("").apply(
        lambda c: c.str.fullmatch(number_pattern(t.decimal, t.thousands).pattern)).any(axis=1)
    # a legend split over the cells by the separator ("¹) vorläufig; ° geschätzt; …"): text only
    footnote = key.eq("") | (blank_values & texty) | spanning | (texty & ~numbers)
    if footnote.any():
        report.dropped_rows += [f"line {n}: {v[:40]!r}" for n, v in
                                zip(line[footnote], df.loc[footnote].iloc[:, 0], strict=True)]
        # a row without a key but with numbers is data that cannot be joined, not a footnote
        keyless = footnote & key.eq("") & numbers
        plain = footnote & ~keyless
        if plain.any():
            report.notes.append(f"{int(plain.sum())} footnote/blank row(s) skipped (lines "
                                f"{rows_preview(line[plain])})")
        if keyless.any():
            report.notes.append(f"{int(keyless.sum())} row(s) with values but without a key "
                                f"skipped — check them: lines {rows_preview(line[keyless])}")
    return footnote


def footnote_keys(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Rows whose key is empty or reads like a footnote ("Quelle: …", "* …")."""
    if not all(k in df.columns for k in keys):
        return pd.Series(False, index=df.index)
    key = df[keys].astype("string").fillna("").agg("".join, axis=1).str.strip()
    return key.eq("") | key.str.match(_FOOTNOTE.pattern, case=False).fillna(False)


def read_table(cfg: QuartierConfig, t: TableConfig) -> tuple[pd.DataFrame, TableReport]:
    """Read one indicator table: a ``key`` column (normalised) plus the configured columns."""
    path = cfg.resolve(t.path)
    source = str(path)
    report = TableReport(name=t.name, path=source)
    check_file(path, f"tables {t.name!r} path")
    keys = [t.key] if isinstance(t.key, str) else list(t.key)
    raw = read_raw_table(path, t, keys)
    df, line = raw.df, raw.line
    percent, raw_columns = raw.percent, raw.df.columns
    report.notes += raw.notes
    if df.empty:
        raise InputDataError(f"{source}: the table has a header but no data rows")
    drop = drop_file_rows(df, line, t, source, report)
    df, line = df[~drop], line[~drop]
    if t.year_column:
        df, line, note = filter_year(df, line, t, source)
        report.notes.append(note)
    check_field_counts(replace(raw, df=df, line=line), source, footnote_keys(df, keys))
    if t.layout != "wide":
        df, line, cell_line, notes = reshape(df, line, t, keys, source)
        report.notes += notes
    else:
        cell_line = {}

    # every missing column at once: a wrong key and a wrong indicator are one message
    missing = {what: [c for c in cols if c not in df.columns] for what, cols in (
        ("key", keys), ("indicator", list(t.columns)),
        ("note", [t.note_column] if t.note_column else []))}
    if any(missing.values()):
        raise InputDataError(
            f"{source}: " + " and ".join(f"{what} column(s) {', '.join(map(repr, cols))}"
                                         for what, cols in missing.items() if cols)
            + f" not found. Available columns: {', '.join(map(str, df.columns))}")
    if t.join == "grid":
        from quartier.grid import table_cell_keys

        # cells are keyed by numbers or ids that must all parse: no footnote rows to skip
        key = table_cell_keys(df, line, keys, cfg, source, t.decimal)
    else:
        key = df[keys[0]].astype("string").fillna("").str.strip()
        for part in keys[1:]:
            key = key + df[part].astype("string").fillna("").str.strip()
        footnote = footnote_rows(df, key, line, t, report)
        if footnote.all():
            raise InputDataError(
                f"{source}: no row of table {t.name!r} matches a unit: every row was skipped as "
                f"a footnote or blank row — key {'+'.join(keys)!r} is empty (or footnote text) in "
                f"lines {rows_preview(line)}. Check key (the column that holds the units' ids or "
                "names) and header_row")
        df, key, line = df[~footnote], key[~footnote], line[~footnote]

    if t.join == "id":
        key, padded = normalise_ids(key, t.id_width, source, "+".join(keys))
        if padded:
            report.notes.append(f"{padded} ids had lost leading zeros: zero-padded to {t.id_width}")
    join_key = key.map(normalise_name) if t.join == "name" else key
    drop = drop_keys(key, join_key, line, t, report)
    df, key, join_key, line = df[~drop], key[~drop], join_key[~drop], line[~drop]

    na_codes = set(DEFAULT_NA_CODES) | set(t.na_values)
    if t.join == "grid":
        # a census grid's codes (-1 no data, -9 suppressed) hold for its attribute files too
        na_codes |= set(cfg.units.grid.na_values)
    out = pd.DataFrame({"key": join_key.to_numpy(), "key_text": key.to_numpy(),
                        "line": line.to_numpy()})
    code_columns: dict[str, list[str]] = {}
    na_codes -= set(t.zero_values)
    for column, spec in t.columns.items():
        raw = df[column]
        if not pd.api.types.is_numeric_dtype(raw):
            raw = raw.astype("string").str.strip()
            if t.footnote_marks:
                raw = strip_marks(raw, t.footnote_marks, column, report)
        zero = (raw.astype("string").isin(t.zero_values) if t.zero_values
                else pd.Series(False, index=raw.index))
        if zero.any():
            report.notes.append(f"{column}: {int(zero.sum())} × {sorted(set(raw[zero]))} read as 0 "
                                "(zero_values)")
        where = cell_line[column].loc[df.index] if column in cell_line else line
        values, codes = parse_numbers(raw.mask(zero, "0") if zero.any() else raw, t.decimal,
                                      t.thousands, na_codes, source, column, where)
        shown = where.isin(percent.get(value_source(list(raw_columns), t, column), ()))
        check_shares(values, shown & values.notna(), spec, source, column, where, report.notes)
        if spec.scale != 1:
            values = values * spec.scale
            report.notes.append(f"{column}: values × {spec.scale:g} (scale)")
        check_range(values, spec, spec.name, source, column, where)
        out[spec.name] = values.to_numpy()
        for code, n in codes.items():
            code_columns.setdefault(f"{code!r} ×{n}", []).append(column)
    for code, columns in code_columns.items():
        report.notes.append(f"missing code {code} in {', '.join(columns)}")
    if t.note_column:
        out[f"{t.name}_note"] = df[t.note_column].astype("string").to_numpy()
    if t.unit_names:
        require_columns(df, [t.unit_names], source, "unit_names")
        out[UNIT_NAMES] = df[t.unit_names].astype("string").str.strip().to_numpy()
    if t.aliases:
        out = apply_aliases(out, t, report)

    dup = out["key"].duplicated(keep=False)
    if dup.any():
        raise InputDataError(
            f"{source}: key {'+'.join(keys)!r} is duplicated in lines "
            f"{rows_preview(out.loc[dup, 'line'])} ({rows_preview(sorted(set(out.loc[dup, 'key_text'])), 5)}); "
            "each unit may appear once. If some of these rows are totals (a district named like "
            "one of its quarters), drop them by line (drop_rows), by a level column (drop_where) "
            "or by a pattern (drop_pattern)"
        )
    report.rows = len(out)
    return out, report


def strip_marks(raw: pd.Series, marks: list[str], column: str, report: TableReport) -> pd.Series:
    """Footnote marks after a number ('3,4¹', '857°') removed, the number kept (said per
    column); a mark alone ('*' for a suppressed cell) is left for the missing-value codes."""
    pattern = "(?<=[0-9%])(?:" + "|".join(re.escape(m) for m in marks) + ")+$"
    stripped = raw.str.replace(pattern, "", regex=True)
    changed = stripped.ne(raw).fillna(False)
    if changed.any():
        report.notes.append(f"{column}: footnote marks removed from {int(changed.sum())} value(s) "
                            f"({rows_preview(raw[changed].unique(), 3)}), the numbers kept")
    return stripped


def apply_aliases(table: pd.DataFrame, t: TableConfig, report: TableReport) -> pd.DataFrame:
    """Rename table keys to unit keys (``aliases``); a row whose alias is a list covers several
    units and is given to each of them (said in the report)."""
    norm = (lambda k: str(k).strip()) if t.join == "id" else normalise_name
    targets = {norm(alias): (alias, [units] if isinstance(units, str) else list(units))
               for alias, units in t.aliases.items()}
    present = set(table["key"])
    unused = [alias for k, (alias, _) in targets.items() if k not in present]
    if unused:
        report.notes.append(f"aliases without a row in the table: {rows_preview(unused)}")
    counts = [spec.name for spec in t.columns.values() if default_aggregate(spec.unit) == "sum"
              and spec.name in table]
    for _, row in table[table["key"].isin(targets)].iterrows():
        _, units = targets[row["key"]]
        if len(units) > 1:
            report.notes.append(
                f"row {row['key_text']!r} (line {row['line']}) covers {len(units)} units "
                f"({', '.join(units)}): each gets the row's values — right for shares and rates; "
                "a count is the total of all of them")
            extra = {c: row[c] * (len(units) - 1) for c in counts if pd.notna(row[c]) and row[c]}
            if extra:
                report.warnings.append(
                    f"{report.name}: row {row['key_text']!r} (line {row['line']}) is given to "
                    f"{len(units)} units, so its counts are counted {len(units)} times: "
                    + ", ".join(f"{c} +{v:,.0f}" for c, v in extra.items())
                    + " in the city total. Split the row's counts by hand, or take them from "
                    "a table of the single units")
        else:
            report.notes.append(f"alias: {row['key_text']!r} (line {row['line']}) joined as "
                                f"{units[0]!r}")
    keys = [[norm(u) for u in targets[k][1]] if k in targets else [k] for k in table["key"]]
    return table.assign(key=keys).explode("key").reset_index(drop=True)


def unit_keys(units: gpd.GeoDataFrame, t: TableConfig, source: str) -> tuple[pd.Series, pd.Series]:
    """The units' join key for table ``t`` (normalised) and the text shown for it in reports:
    the unit's id or name, or with ``level = "group"`` its coarser area's id or name."""
    if t.level == "group":
        column = "unit_group_id" if t.join == "id" else "unit_group"
        if column not in units:
            need = "units.group_id_column" if t.join == "id" else "units.group_column"
            raise InputDataError(f"{source}: table {t.name!r} has level = 'group', but the config "
                                 f"names no {need} (the coarser area of each unit)")
        text = units[column]
    else:
        text = units["unit_name"] if t.join == "name" else units["unit_id"]
    return (text.map(normalise_name) if t.join == "name" else text), text


def member(values: pd.Series, pool: pd.Series) -> pd.Series:
    """``values.isin(pool)`` by Arrow's hash kernel: pandas' isin on arrow strings walks the pool
    in Python (1.6 s for the 361,478 cells of a census grid table, here 0.07 s)."""
    hit = pc.is_in(pa.array(values, type=pa.string()), value_set=pa.array(pool, type=pa.string()))
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=values.index)


def units_are_cells(units: pd.DataFrame) -> bool:
    """The units were built from a census grid (their ids are INSPIRE ids)."""
    return bool(len(units)) and str(units["unit_id"].iloc[0]).startswith("CRS")


def join_table(units: gpd.GeoDataFrame, table: pd.DataFrame, report: TableReport,
               t: TableConfig) -> gpd.GeoDataFrame:
    """Left-join a table read by :func:`read_table` to the units; fill in the report (matched,
    unmatched with the closest names, names matched only after normalising their spelling)."""
    unit_key, unit_text = unit_keys(units, t, report.path)
    if t.join == "name" and t.level == "unit":
        dup = unit_key[unit_key.duplicated(keep=False)]
        if len(dup):
            raise InputDataError(
                f"units: names {rows_preview(sorted(set(units.loc[dup.index, 'unit_name'])))} occur "
                f"more than once; table {report.name!r} cannot be joined on names, use ids"
            )
    dropped = pd.Series(list(report.dropped_keys), dtype="string")
    lost = {k: report.dropped_keys[k] for k in dropped[member(dropped, unit_key)]}
    if lost:
        units_hit = units.loc[member(unit_key, dropped), "unit_name"].tolist()
        raise InputDataError(
            f"{report.path}: drop_keys removes rows (lines "
            f"{rows_preview(n for lines in lost.values() for n in lines)}) whose key "
            f"{rows_preview(sorted(lost))} is also a unit's ({rows_preview(units_hit)}): that unit "
            "would lose its data. Drop only the total rows: by line (drop_rows = [..]), by a level "
            "column (drop_where = { column = [\"value\"] }) or by a pattern (drop_pattern)")
    got_row = member(unit_key, table["key"])
    report.matched = int(got_row.sum())
    report.only_in_units = sorted(units.loc[~got_row, "unit_id"])
    in_units = member(table["key"], unit_key)
    unmatched = table[~in_units]
    report.only_in_table = unmatched["key_text"].tolist()
    candidates = ({} if t.join == "grid" else
                  dict(zip(unit_key, unit_text.astype(str), strict=True)))
    if t.join == "grid":
        report.cells = True
        if len(unmatched):
            report.notes.append(f"{len(unmatched):,} cells of the table are not units (outside "
                                "units.grid bbox/clip, or not populated): counted here, not "
                                "listed in join_unmatched")
        if report.matched == 0:
            swapped = table["key"].str.replace(r"N(\d+)E(\d+)$", r"N\2E\1", regex=True)
            hint = ("x and y look swapped: key = [x, y] names the easting first"
                    if member(swapped, unit_key).any() else
                    "check the cell size (units.grid.cell_m) and that key names the cell centres "
                    "or INSPIRE ids of the same grid")
            raise InputDataError(
                f"{report.path}: no cell of the table is a unit (table e.g. "
                f"{unmatched['key_text'].iloc[0] if len(unmatched) else '–'}, units e.g. "
                f"{units['unit_id'].iloc[0]}): {hint}")
    elif report.matched == 0 and not len(table):
        raise InputDataError(
            f"{report.path}: no row of table {report.name!r} matches a unit: every row was "
            f"dropped ({'; '.join(report.notes[-3:]) or 'drop rules'}); check drop_keys, "
            "drop_pattern, drop_rows and drop_where")
    elif report.matched == 0:
        grid = " The units are census cells: set join = 'grid'." if units_are_cells(
            units) else ""
        raise InputDataError(
            f"{report.path}: no row of table {report.name!r} matches a unit (0 of {len(units)} "
            f"units; table keys e.g. {rows_preview(unmatched['key_text'].head(3).tolist(), 3)}, "
            f"unit {'ids' if t.join == 'id' else 'names'} e.g. "
            f"{rows_preview(unit_text.head(3).astype(str).tolist(), 3)}). Check key, join "
            f"('id' or 'name'), id_width and level.{grid}")
    else:
        # difflib compares each unmatched key with every unit: bounded for large tables
        for text, key in list(zip(unmatched["key_text"], unmatched["key"], strict=True))[
                :MAX_SUGGESTED]:
            close = difflib.get_close_matches(str(key), list(candidates), n=3, cutoff=0.6)
            report.suggestions[text] = [candidates[c] for c in close]
        if len(unmatched) > MAX_SUGGESTED:
            report.notes.append(f"closest names shown for the first {MAX_SUGGESTED} of "
                                f"{len(unmatched):,} unmatched keys")
    if t.join == "name":
        spelled = table[in_units]
        exact = set(unit_text.astype(str))
        differ = [f"{a!r} = {candidates[k]!r}" for a, k in zip(spelled["key_text"], spelled["key"],
                                                               strict=True) if a not in exact]
        if differ:
            report.notes.append(f"{len(differ)} name(s) matched only after normalising case, "
                                f"umlauts, ß, 'Sankt'/'St.' and punctuation: {rows_preview(differ, 6)}")
    if t.level == "group":
        report.notes.append(f"level = group: {int(in_units.sum())} areas matched; each of "
                            f"{report.matched} units gets the values of its area")
    values = table.drop(columns=["key_text", "line"]).set_index("key")
    joined = values.reindex(unit_key.to_numpy())
    joined.index = units.index
    if UNIT_NAMES in joined:
        named = joined.pop(UNIT_NAMES).replace("", pd.NA)
        units = units.assign(unit_name=named.fillna(units["unit_name"]).astype("string"))
        values = values.drop(columns=UNIT_NAMES)
        report.notes.append(f"unit names from column {t.unit_names!r} ({int(named.notna().sum())} "
                            f"of {len(units)} units; the others keep their id)")
    note_columns = [c for c in values.columns if c.endswith("_note")]
    any_missing = pd.Series(False, index=units.index)
    for column in values.columns.difference(note_columns):
        miss = joined[column].isna() & got_row
        if miss.any():
            report.rows_with_missing[column] = units.loc[miss, "unit_id"].tolist()
            any_missing |= miss
    value_columns = [c for c in values.columns.difference(note_columns)
                     if pd.api.types.is_numeric_dtype(joined[c])]
    if t.level == "unit" and t.join != "grid":
        groups = repeated_values(joined.loc[got_row, value_columns], units.loc[got_row, "unit_id"],
                                 units.geometry[got_row])
        if groups:
            report.warnings.append(f"{report.name}: " + repeated_note(groups, int(got_row.sum()),
                                                                       value_columns))
    for note in note_columns:
        for text, ids in units.loc[any_missing, "unit_id"].groupby(joined.loc[any_missing, note]):
            report.notes.append(f"{len(ids)} row(s) with missing values marked {text!r} in "
                                f"the note column: {rows_preview(ids)}")
    return units.join(joined)


def dissolve(units: gpd.GeoDataFrame, cfg: QuartierConfig, report: JoinReport) -> gpd.GeoDataFrame:
    """Merge the units by ``units.dissolve_by`` into the analysis units, aggregating the joined
    columns upward (counts summed, shares and rates weighted by population; see
    :func:`quartier.indicators.aggregate`). The merged units get the dissolve value as id."""
    from quartier.indicators import aggregate, default_aggregate

    u = cfg.units
    specs = {spec.name: (spec, t) for t in cfg.tables if t.level != "merged"
             for spec in t.columns.values()}
    how, unknown = {}, []
    for name, (spec, t) in specs.items():
        method = spec.aggregate or default_aggregate(spec.unit)
        if method is None:
            unknown.append(f"{name} (unit {spec.unit!r})")
        elif method == "sum" and t.level == "group":
            raise InputDataError(f"column {name!r} of table {t.name!r} (level = 'group') would be "
                                 "summed over units that all carry their area's total; set its "
                                 "aggregate to 'mean' or join the table at level 'merged'")
        how[name] = method
    if unknown:
        raise InputDataError(
            f"units.dissolve_by: quartier cannot tell how to merge {', '.join(unknown)}: set "
            "aggregate = 'sum' (counts) or 'weighted_mean' (shares, rates) for each in "
            "[tables.columns]")
    weights = None
    if "weighted_mean" in how.values():
        pop = cfg.population_column
        if not pop or pop not in units or specs.get(pop, (None, None))[1] is None:
            raise InputDataError(
                "units.dissolve_by: shares and rates are merged weighted by population, but "
                "population_column names no column of the units before merging; join a "
                "population table at level 'unit' or set aggregate = 'mean' deliberately")
        weights = units[pop].astype("float64")
    groups = units["dissolve_id"]
    values = aggregate(units[list(how)], groups, how, weights)
    geom = units.dissolve(by="dissolve_id").geometry
    first = units.groupby("dissolve_id", sort=True)
    merged = gpd.GeoDataFrame({
        "unit_id": geom.index.astype("string"),
        "unit_name": first["dissolve_name"].first().reindex(geom.index).to_numpy(),
        **({"unit_group": first["unit_group"].agg(lambda g: g.iloc[0] if g.nunique() == 1
                                                  else pd.NA).reindex(geom.index).to_numpy()}
           if "unit_group" in units else {}),
    }, geometry=geom.to_numpy(), crs=units.crs)
    merged = merged.join(values.reindex(geom.index).reset_index(drop=True))
    incomplete = [c for c in how if values[c].isna().any() and not units[c].isna().all()]
    no_weight = []
    if weights is not None and weights.isna().any():
        # a member without its population leaves its merged unit's weighted means empty
        lacking = units.loc[weights.isna(), ["dissolve_id", "unit_id"]]
        members = lacking.groupby("dissolve_id", sort=True)["unit_id"].agg(", ".join)
        shares = [c for c, m in how.items() if m == "weighted_mean"
                  and units.loc[weights.isna(), c].notna().any()]
        if shares:
            no_weight.append(
                f"population-weighted means ({', '.join(shares)}) stay empty for "
                + rows_preview([f"{g} (member {m} without {cfg.population_column})"
                                for g, m in members.items()], 10))
    by_method = {m: [c for c, v in how.items() if v == m] for m in set(how.values())}
    report.unit_notes.append(
        f"{len(units)} units merged into {len(merged)} by {u.dissolve_by} (units.dissolve_by); "
        + "; ".join(f"{m.replace('weighted_mean', 'population-weighted mean')}: "
                    f"{', '.join(cols)}" for m, cols in sorted(by_method.items()))
        + (f"; a merged unit with a missing member value stays empty ({', '.join(incomplete)})"
           if incomplete else "")
        + "".join(f"; {n}" for n in no_weight))
    report.n_units = len(merged)
    return merged.reset_index(drop=True)


def load_city(
    cfg: QuartierConfig, progress: Callable[[str], None] | None = None,
    problems: list[str] | None = None,
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Read the units and join every configured table.

    Parameters
    ----------
    cfg : QuartierConfig
        The validated city config.
    progress : callable, optional
        Called with a short message before each step (the CLI shows it).
    problems : list, optional
        Collect instead of raise (``quartier check``): a table that cannot be read or joined
        adds its error here and is left out; the other tables are still read.

    Returns
    -------
    units : GeoDataFrame
        One row per unit in ``cfg.city.crs`` (metres).
    report : JoinReport
    """
    from quartier.errors import QuartierError

    say = progress or (lambda _msg: None)
    if cfg.decide:
        raise ConfigError(
            f"{len(cfg.decide)} decision(s) `quartier init` left to you (key 'decide' at the top "
            "of the config):\n" + "\n".join(f"  - {d}" for d in cfg.decide)
            + "\nMake each in the config, then delete its line from 'decide'.")
    if cfg.units is None:
        raise InputDataError("the config has no [units] section: this job needs spatial units")
    say(f"reading units {cfg.units.path or cfg.units.grid.path}")
    units, notes = read_units(cfg)
    if cfg.population is not None:
        from quartier.population import add_population

        say("residents from the population source")
        units, more = add_population(units, cfg)
        notes += more
    report = JoinReport(n_units=len(units), unit_notes=notes)
    for level in ("unit", "group", "merged"):
        if level == "merged" and cfg.units.dissolve_by:
            say(f"merging units by {cfg.units.dissolve_by}")
            try:
                units = dissolve(units, cfg, report)
            except QuartierError as exc:
                if problems is None:
                    raise
                problems.append(str(exc))
                break
        for t in cfg.tables:
            if t.level != level:
                continue
            say(f"reading table {t.name} ({t.path})")
            try:
                table, table_report = read_table(cfg, t)
                units = join_table(units, table, table_report, t)
            except QuartierError as exc:
                if problems is None:
                    raise
                problems.append(str(exc))
                continue
            report.tables.append(table_report)
    if cfg.derive:
        say("computing the derived columns ([[derive]])")
        units, derived = derive_columns(units, cfg.derive)
        for spec, n, notes in derived:
            report.tables.append(TableReport(
                name=spec.name, path="[[derive]]", rows=len(units), matched=n,
                notes=[f"{spec.kind}: {formula(spec)}", *notes]))
    if cfg.population_column and cfg.population_column in units.columns and \
            not units_are_cells(units):
        bad = density_outliers(units[cfg.population_column], units.geometry.area,
                               units["unit_name"])
        if bad:
            report.unit_notes.append(
                f"population_column {cfg.population_column!r}: implausible density in "
                f"{rows_preview(bad, 4)} — a data error in the file? Areas, sites and the "
                "minimum-population rule use these residents")
    if cfg.population_column and cfg.population_column not in units.columns:
        missing = InputDataError(
            f"population_column {cfg.population_column!r} is not a column of any table; "
            f"available: {', '.join(c for c in units.columns if c != 'geometry')}"
        )
        if problems is None:   # `check` names it among the columns no table provides
            raise missing
    return units, report

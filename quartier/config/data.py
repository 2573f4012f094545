"""Config sections of the data: the city, its units (boundaries or census cells), the tables and
their columns, derived columns, residents, monitoring series."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from quartier.config.base import (
    _NAME,
    FileUse,
    _check_crs,
    _check_number_format,
    _require_crs,
    _require_metric_crs,
    _Strict,
)


class CityConfig(_Strict):
    name: str
    crs: str = Field("EPSG:25833", description="metric CRS for every distance and area")
    language: Literal["de", "en"] = "de"
    sources: list[str] = Field(default_factory=list, description="attribution lines for reports")
    max_scale_error_pct: float = Field(
        0.5, gt=0, le=10, description="largest distance distortion of crs at the city (%); "
        "ETRS89/UTM and Gauß-Krüger stay below 0.5 % anywhere in Germany, Web Mercator is ~60 %")

    @field_validator("crs")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _require_metric_crs(value)


class GridUnitsConfig(_Strict):
    """Census grid cells as the units (Zensus 2011/2022 1 km or 100 m, INSPIRE grid): one row
    per cell, given by its centre (``x``/``y``) or its INSPIRE id. Each cell becomes a square
    unit whose id is the INSPIRE id (``CRS3035RES1000mN2684000E4334000``); tables join on it
    with ``join = "grid"``."""

    path: Path = Field(description="cells: parquet or CSV with centre columns or an id column")
    crs: str = Field("EPSG:3035", description="CRS of the centres (Zensus: ETRS89-LAEA)")
    cell_m: float | None = Field(None, gt=0, description="cell size (default: from the ids or "
                                 "the spacing of the centres)")
    x: str | None = Field(None, description="cell-centre x column (default: x_mp_1km/x_mp_100m/x)")
    y: str | None = Field(None, description="cell-centre y column")
    id_column: str | None = Field(None, description="INSPIRE id column instead of x/y "
                                  "(CRS3035RES1000mN…E…, 1kmN2684E4334 or 100mN26840E43340)")
    populated: str | None = Field(None, description="keep only cells where this column is a "
                                  "number above 0 (e.g. Einwohner; -1/-9 are missing)")
    na_values: list[str] = Field(["-1", "-9"], description="Zensus: -1 no data/unpopulated, "
                                 "-9 suppressed (Geheimhaltung)")
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="keep cells whose centre lies in [xmin, ymin, xmax, ymax] (grid CRS, m)")
    clip: Path | None = Field(None, description="keep cells whose centre lies in these polygons "
                              "(any vector file, e.g. a city or region boundary)")
    clip_crs: str | None = Field(None, description="CRS of the clip file when it declares none")
    sep: str | None = Field(None, description="CSV separator (default: detected)")
    decimal: str = "."

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        return _require_crs(value)

    @field_validator("clip_crs")
    @classmethod
    def _known_clip_crs(cls, value: str | None) -> str | None:
        return _check_crs(value)

    @field_validator("bbox")
    @classmethod
    def _ordered(cls, value: tuple[float, float, float, float] | None
                 ) -> tuple[float, float, float, float] | None:
        if value is not None and not (value[0] < value[2] and value[1] < value[3]):
            raise ValueError(f"bbox {list(value)} must be [xmin, ymin, xmax, ymax] with "
                             "xmin < xmax and ymin < ymax")
        return value


class UnitsConfig(_Strict):
    """The spatial units (Planungsräume, statistische Bezirke, Ortsteile), or census grid cells."""

    path: Path | None = Field(None, description="boundary file (not with grid)")
    grid: GridUnitsConfig | None = Field(None, description="census grid cells as the units")
    layer: str | None = None
    encoding: str = Field("auto", description="text encoding of the file's attributes; 'auto': "
                          "UTF-8 or a shapefile's .cpg, else cp1252")
    id_column: str | None = Field(None, description="unit id column (not with grid)")
    id_width: int | None = Field(None, ge=1, description="zero-pad ids to this many digits")
    name_column: str | None = Field(None, description="unit name column (not with grid); "
                                    "without it the names come from a table's unit_names "
                                    "column, else the ids are the names")
    group_column: str | None = Field(None, description="name of the coarser area each unit "
                                     "belongs to (Bezirk, Stadtteil): reports, group-level tables")
    group_id_column: str | None = Field(None, description="id of that coarser area, for tables "
                                        "with level = 'group' and join = 'id'")
    group_id_width: int | None = Field(None, ge=1, description="zero-pad group ids")
    dissolve_by: str | None = Field(None, description="merge units by this column into the "
                                    "analysis units (tables are joined first, then aggregated)")
    dissolve_name_column: str | None = Field(None, description="name of a merged unit (default: "
                                             "the dissolve_by value)")
    crs: str | None = Field(None, description="CRS of the file when it declares none or a wrong one")
    swap_axes: bool = Field(False, description="the file stores (lat, lon) instead of (lon, lat)")
    drop_ids: list[str] = Field(default_factory=list, description="features to drop (city total)")
    merge_parts: bool = Field(False, description="features sharing an id are parts of one unit "
                              "(a district stored as two polygons): merge them into one")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return _check_crs(value)

    @model_validator(mode="after")
    def _boundaries_or_grid(self) -> UnitsConfig:
        if self.grid is not None:
            given = [k for k in ("path", "id_column", "name_column", "layer", "group_column",
                                 "group_id_column", "group_id_width", "dissolve_by",
                                 "dissolve_name_column", "id_width", "crs", "swap_axes",
                                 "drop_ids", "merge_parts") if getattr(self, k)]
            if given:
                raise ValueError(f"units.grid builds the units from census cells; {given} belong "
                                 "to a boundary file: remove them (the grid's CRS is "
                                 "units.grid.crs) or remove grid")
        else:
            missing = [k for k in ("path", "id_column") if not getattr(self, k)]
            if missing:
                raise ValueError(f"[units] needs {missing} (a boundary file with an id column), "
                                 "or grid = { path = … } for census grid cells")
        return self


class ColumnSpec(_Strict):
    name: str = Field(description="column name in quartier, with unit, e.g. share_sgb2_pct")
    label: str | None = Field(None, description="human label used in reasons and maps")
    unit: str = Field("", description="'%' means a share: values must lie in 0–100")
    min: float | None = Field(None, description="smallest valid value (default 0 for unit '%')")
    max: float | None = Field(None, description="largest valid value (default 100 for unit '%')")
    scale: float = Field(1.0, gt=0, description="multiply the values: 100 for an xlsx column "
                         "formatted as percent (5,5 % is stored as 0.055)")
    aggregate: Literal["sum", "weighted_mean", "mean"] | None = Field(
        None, description="how units.dissolve_by merges values: counts 'sum', shares and rates "
        "'weighted_mean' (by population); default by unit: '%', 'Prozentpunkte', '€/m²' and "
        "'je …' are weighted means, 'Personen', 'Anzahl', 'Wohnungen' sums")

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a usable column name: start with a letter, then "
                             "letters, digits or '_' (e.g. share_sgb2_pct)")
        return value

    def valid_range(self) -> tuple[float, float]:
        """(min, max) of valid values; a share (unit '%') lies in 0–100 unless set otherwise."""
        share = self.unit.strip() == "%"
        lo = self.min if self.min is not None else (0.0 if share else -np.inf)
        hi = self.max if self.max is not None else (100.0 if share else np.inf)
        return lo, hi


class TableConfig(_Strict):
    """An indicator table joined to the units."""

    name: str
    path: Path
    format: Literal["auto", "csv", "xlsx", "json", "vector", "parquet"] = Field(
        "auto", description="auto: by the file's suffix (.csv/.txt, .xlsx, .parquet, .json with "
        "json_year, .geojson/.gpkg/.shp: the attributes of a vector file)")
    sheet: str | int = Field(0, description="xlsx: sheet name or number (0 = first)")
    skiprows: int = Field(0, ge=0, description="rows before the header (title rows)")
    header_row: int | None = Field(None, ge=1, description="row (1-based) of the header; default: "
                                   "after skiprows, or in xlsx the first row holding the key")
    header_rows: Literal[1, 2] = Field(1, description="2: a two-row header, joined 'top sub'")
    no_header: bool = Field(False, description="the file has no header row (a table copied from "
                            "a PDF): its columns are named 'Spalte 1', 'Spalte 2', …")
    skip_after_header: int = Field(0, ge=0, description="rows between header and data "
                                   "(a units/description row)")
    layout: Literal["wide", "long", "wide_years"] = Field(
        "wide", description="wide: a column per indicator; long: rows of key, (year,) variable, "
        "value; wide_years: a column per year or date, one row per key (and variable)")
    variable_column: str | list[str] | None = Field(
        None, description="long/wide_years: the column naming the indicator; [tables.columns] "
        "are its values. A list: the indicator is named by several columns (Indikator and "
        "Ausprägung), joined with ' | ' ('Arbeitslose | insgesamt')")
    value_column: str = Field("value", description="long: the column with the values")
    year_column: str | None = Field(None, description="a column with the year (one row per area "
                                    "and year, or per area, year and variable)")
    year: str | None = Field(None, description="the year to read (with year_column, or the "
                             "column of a wide_years table: '2023' or '31.12.2023')")
    level: Literal["unit", "group", "merged"] = Field(
        "unit", description="unit: rows are the units of the boundary file; group: the coarser "
        "areas (units.group_column / group_id_column), every unit gets its area's value; merged: "
        "the units after units.dissolve_by")
    aliases: dict[str, str | list[str]] = Field(
        default_factory=dict, description="table key → unit key (name or id) where they differ "
        "('Sankt Pauli' = 'St. Pauli'); a list: the row covers several units")
    sep: str = ","
    decimal: str = "."
    thousands: str | None = None
    encoding: str = Field("auto", description="'auto' tries UTF-8 (with BOM), then cp1252")
    key: str | list[str] = Field(description="join column; a list is concatenated (split ids)")
    join: Literal["id", "name", "grid"] = Field(
        "id", description="grid: key is a census cell (centre columns [x, y] or an INSPIRE id), "
        "joined to units.grid cells")
    id_width: int | None = Field(None, ge=1)
    na_values: list[str] = Field(default_factory=list, description="extra missing-value codes")
    zero_values: list[str] = Field(default_factory=list, description="codes that mean 0, e.g. '–' "
                                   "in tables where the dash means 'nothing' (German convention)")
    footnote_marks: list[str] = Field(default_factory=list, description="marks after a number "
                                      "that refer to a footnote ('¹', '°', '*'): removed, the "
                                      "number kept ('3,4¹' is 3.4)")
    drop_keys: list[str] = Field(default_factory=list, description="rows to drop by key: totals "
                                 "whose key no unit has (a key that is also a unit's is refused)")
    drop_rows: list[int] = Field(default_factory=list, description="rows to drop by their line "
                                 "(CSV) or row (xlsx) number in the file, as messages show them")
    drop_pattern: str | None = Field(None, description="rows whose key matches this regular "
                                     "expression are dropped, e.g. '^Bezirk '")
    drop_where: dict[str, list[str]] = Field(default_factory=dict, description="column → values: "
                                             "rows with such a value are dropped (a level column)")
    note_column: str | None = Field(None, description="a validity/comment column kept as text")
    unit_names: str | None = Field(None, description="a column of this table holding the units' "
                                   "names, where the boundary file has none (units.name_column "
                                   "not set)")
    json_year: str | None = Field(None, description="json: year under data.<year>.<indicator>")
    columns: dict[str, ColumnSpec]

    @model_validator(mode="after")
    def _json_needs_year(self) -> TableConfig:
        if self.format == "json" and not self.json_year:
            raise ValueError("format 'json' needs json_year (the year to read, e.g. '2023')")
        return self


    @model_validator(mode="after")
    def _number_format(self) -> TableConfig:
        _check_number_format(self.sep, self.decimal, self.thousands)
        return self

    @field_validator("drop_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class DeriveSpec(_Strict):
    """A column computed from loaded columns, declaratively (no code is evaluated):

    - ``ratio``: ``columns[0] / columns[1] · factor`` (default factor 100: a share in %, e.g.
      persons in SGB II per 100 residents); missing where the denominator is 0 or missing;
    - ``product``: ``columns[0] · columns[1] · factor`` (a density per hectare × area in ha);
    - ``difference``: ``columns[0] − columns[1]``;
    - ``sum``: ``Σ columns``; missing where any is missing;
    - ``area_ha``: the unit's area from its geometry in hectares (no columns).
    """

    name: str = Field(description="name of the new column, with its unit (sgb2_anteil_pct)")
    kind: Literal["ratio", "product", "difference", "sum", "area_ha"]
    columns: list[str] = Field(default_factory=list, description="the loaded (or earlier "
                               "derived) columns it is computed from")
    factor: float | None = Field(None, description="ratio: 100 by default (percent); product: 1")
    label: str | None = Field(None, description="human label for reasons, maps and reports")
    unit: str = Field("", description="'%' for a share; shown in labels and reports")

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a usable column name: start with a letter, then "
                             "letters, digits or '_' (e.g. sgb2_anteil_pct)")
        return value

    @model_validator(mode="after")
    def _arity(self) -> DeriveSpec:
        need = {"ratio": (2, 2), "product": (2, 2), "difference": (2, 2), "sum": (2, 50),
                "area_ha": (0, 0)}[self.kind]
        if not need[0] <= len(self.columns) <= need[1]:
            what = ("no columns" if need[1] == 0 else f"{need[0]} columns" if need[0] == need[1]
                    else f"at least {need[0]} columns")
            raise ValueError(f"kind = {self.kind!r} takes {what}, got {self.columns}")
        return self


class PoiLayer(_Strict):
    """One source of points of interest mapped to one category."""

    category: str = Field(description="e.g. kita, grundschule, supermarkt, arzt, apotheke, oepnv")

    @field_validator("category")
    @classmethod
    def _category_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"category {value!r}: use letters, digits and '_' (e.g. kita)")
        return value

    path: Path
    layer: str | None = None
    format: Literal["vector", "csv", "overpass", "osm", "raster"] = "vector"
    x: str | None = Field(None, description="csv: x or lon column")
    y: str | None = Field(None, description="csv: y or lat column")
    crs: str | None = Field(None, description="CRS of the coordinates (csv: default EPSG:4326)")
    name_column: str | None = None
    filter_column: str | None = None
    filter_values: list[str] = Field(default_factory=list)
    osm_tags: dict[str, list[str]] = Field(default_factory=dict,
                                           description="osm/overpass: tag → accepted values")
    source: str = Field("", description="label shown in tables and popups, e.g. 'amtlich', 'OSM'")
    rank: int = Field(1, description="deduplication: a lower rank wins within dedup_m")
    weight: float = Field(1.0, gt=0, le=1, description="service weight, e.g. per transit mode")
    merge_within: bool = Field(False, description="merge points of this layer within dedup_m "
                               "(platforms of one station)")
    raster_min_value: float | None = Field(None, description="raster: cells at or above this")
    raster_min_area_m2: float = Field(0.0, ge=0, description="raster: smallest connected patch")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return _check_crs(value)

    @model_validator(mode="after")
    def _csv_needs_xy(self) -> PoiLayer:
        if self.format == "csv" and not (self.x and self.y):
            raise ValueError("format 'csv' needs x and y (the coordinate columns)")
        return self

    def files(self, key: str) -> list[FileUse]:
        """The file of this layer and how it is read."""
        kind = {"vector": "vector", "raster": "raster", "csv": "csv"}.get(self.format, "file")
        cols = (self.name_column, self.filter_column) if kind == "vector" else (
            (self.x, self.y, self.name_column, self.filter_column) if kind == "csv" else ())
        return [FileUse(f"{key} ({self.category})", self.path, kind, self.layer,
                        tuple(c for c in cols if c))]


class SeriesConfig(_Strict):
    """One indicator over several years: a long table with a year column, one file per year,
    or Leipzig-style JSON (data.<year>.<indicator>)."""

    indicator: str = Field(description="name in monitoring.csv, with unit, e.g. miete_eur_m2")
    label: str = Field("", description="how the pages name it, e.g. Angebotsmiete (Median)")
    unit: str = ""
    source: str = ""
    path: Path | None = None
    files: dict[str, Path] = Field(default_factory=dict, description="year → file")
    format: Literal["csv", "xlsx", "json"] = "csv"
    sheet: str | int = 0
    header_row: int | None = Field(None, ge=1, description="row (1-based) of the header")
    skip_after_header: int = Field(0, ge=0, description="rows between header and data")
    layout: Literal["long", "wide_years"] = Field("long", description="long: a year column and a "
                                                  "value column; wide_years: a column per year")
    variable_column: str | None = Field(None, description="the column naming the indicator, in "
                                        "a table holding several")
    variable: str | None = Field(None, description="the value of variable_column to read")
    sep: str | None = Field(None, description="CSV separator (default: detected)")
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "auto"
    key: str | list[str] = "PLR_ID"
    join: Literal["id", "name", "grid"] = Field(
        "id", description="grid: key is a census cell (centre columns [x, y] or an INSPIRE id), "
        "joined to units.grid cells")
    id_width: int | None = None
    year_column: str | None = None
    value_column: str = Field("value", description="csv: value column; json: the indicator name")
    count_column: str | None = Field(None, description="e.g. n_listings: values below min_count "
                                     "are reported, not used")
    min_count: float = 0
    na_values: list[str] = Field(default_factory=list)
    boundary: Literal["current", "old"] = Field("current", description="'old': on the previous "
                                                "unit version, carried over by interpolation")
    kind: Literal["extensive", "intensive"] = Field("intensive", description="counts are summed, "
                                                    "rates averaged (weighted) over pieces")
    positive: bool = Field(False, description="values ≤ 0 are invalid (rents)")

    @model_validator(mode="after")
    def _one_source(self) -> SeriesConfig:
        _check_number_format(self.sep, self.decimal, self.thousands)
        bad_years = [y for y in self.files if not re.fullmatch(r"(19|20)\d{2}", str(y))]
        if bad_years:
            raise ValueError(f"files: the keys must be years (e.g. 2023 = \"file.csv\"): {bad_years}")
        if (self.variable_column is None) != (self.variable is None):
            raise ValueError("variable_column and variable go together")
        if (self.path is None) == (not self.files):
            raise ValueError("give either path (with year_column or json) or files = {year = path}")
        if self.format == "json" and self.path is None:
            raise ValueError("format 'json' reads one file with every year: give path "
                             "(files = {year = path} is for csv and xlsx)")
        return self


class OldUnitsConfig(_Strict):
    path: Path
    layer: str | None = None
    id_column: str
    id_width: int | None = None


class MonitorTarget(_Strict):
    """A target per indicator: ``measure`` of each unit and year against ``target``. Changes are
    per year (a gap 2018 → 2020 is annualised); a relative change of a value ≤ 0 stays empty."""

    indicator: str
    measure: Literal["level", "change_pct", "change_abs"] = "level"
    target: float
    better: Literal["lower", "higher"] = "lower"
    label: str = ""


class MonitorConfig(_Strict):
    series: list[SeriesConfig]
    old_units: OldUnitsConfig | None = None
    weight_raster: Path | None = Field(None, description="population raster: weights of the "
                                       "areal interpolation between unit versions")
    rent_indicator: str | None = None
    milieuschutz: Path | None = Field(None, description="polygons; share of each unit's area")
    zensus_grid: Path | None = Field(None, description="CSV x,y (EPSG:3035 centres), Einwohner, "
                                     "Leerstandsquote: vacancy per unit")
    targets: list[MonitorTarget] = Field(default_factory=list)

    def files(self) -> list[FileUse]:
        """Rasters, old units, Milieuschutz areas and the census grid of the monitoring (the
        series are checked by reading them)."""
        out = []
        if self.weight_raster:
            out.append(FileUse("monitor.weight_raster", self.weight_raster, "raster"))
        if self.old_units:
            out.append(FileUse("monitor.old_units", self.old_units.path, "vector",
                               self.old_units.layer, (self.old_units.id_column,)))
        if self.milieuschutz:
            out.append(FileUse("monitor.milieuschutz", self.milieuschutz, "vector"))
        if self.zensus_grid:
            out.append(FileUse("monitor.zensus_grid", self.zensus_grid, "csv", None,
                               ("x", "y", "Einwohner", "Leerstandsquote")))
        return out


class GridConfig(_Strict):
    """A census grid (Zensus 2011/2022 1 km or 100 m, as downloaded): one row per cell."""

    path: Path = Field(description="CSV (any separator) or parquet")
    value: str = Field("Einwohner", description="column with the residents of a cell")
    x: str | None = Field(None, description="cell-centre x column (default: x_mp_1km/x_mp_100m/x)")
    y: str | None = Field(None, description="cell-centre y column")
    id_column: str | None = Field(None, description="INSPIRE id column instead of x/y "
                                  "(CRS3035RES1000mN2684000E4334000; default: Gitter_ID_*)")
    cell_m: float | None = Field(None, gt=0, description="cell size (default: from the ids or "
                                 "the spacing of the centres)")
    crs: str = Field("EPSG:3035", description="CRS of the centres (Zensus: ETRS89-LAEA)")
    sep: str | None = Field(None, description="CSV separator (default: detected)")
    decimal: str = "."
    na_values: list[str] = Field(["-1", "-9"], description="Zensus: -1 no data/unpopulated, "
                                 "-9 suppressed (Geheimhaltung)")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        return _require_crs(value)


class PopulationConfig(_Strict):
    """Residents where the tables have no population count: from a raster or a census grid.
    Used for the minimum-population rule and as the residents whose access is measured."""

    raster: Path | None = Field(None, description="residents per cell")
    raster_values: Literal["count", "relative"] = Field(
        "count", description="relative: a density surface of unknown unit, scaled to total")
    total: float | None = Field(None, gt=0, description="residents of all units together "
                                "(needed for raster_values = 'relative')")
    grid: GridConfig | None = None
    column: str = Field("einwohner_geschaetzt", description="name of the estimated column")

    @model_validator(mode="after")
    def _one_source(self) -> PopulationConfig:
        if (self.raster is None) == (self.grid is None):
            raise ValueError("give either raster or grid")
        if self.raster is not None and self.raster_values == "relative" and self.total is None:
            raise ValueError("raster_values = 'relative' needs total (the residents of the city)")
        return self

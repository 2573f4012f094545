"""City configuration: one TOML file describes a city, validated with pydantic.

Paths in the file are relative to the file's folder. Every validation error is reported with its
key path (``tables[1].columns.S1.name``) and a hint, never as a traceback.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pyproj
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from quartier.errors import ConfigError
from quartier.vocab import change_label, series_change_label

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
        return _check_metric_crs(value)


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
        return _check_crs(value)

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


class IndicatorRef(_Strict):
    """An index indicator: a column, the change of a column against a base column (dynamics from
    two tables), or the change of a monitoring series between two years."""

    column: str | None = None
    base: str | None = Field(None, description="dynamics: the value is column − base "
                             "(percentage points when both are shares)")
    series: str | None = Field(None, description="dynamics from [[monitor.series]]: indicator "
                               "name; the value is series[year] − series[base_year]")
    year: int | None = None
    base_year: int | None = None
    weight: float = 1.0
    sign: Literal[1, -1] = 1

    @model_validator(mode="after")
    def _one_source(self) -> IndicatorRef:
        if (self.column is None) == (self.series is None):
            raise ValueError("give column (optionally with base) or series (with year and base_year)")
        if self.series is not None and (self.year is None or self.base_year is None):
            raise ValueError("series needs year and base_year")
        return self

    @property
    def name(self) -> str:
        """The column the index uses (a derived change gets its own name)."""
        if self.series is not None:
            return f"{self.series}_{self.base_year}_{self.year}_diff"
        return f"{self.column}_minus_{self.base}" if self.base else self.column


class ExcludeRule(_Strict):
    id: str
    reason: str


class IndexConfig(_Strict):
    """Composite index in the manner of Berlin's Monitoring Soziale Stadtentwicklung."""

    name: str = Field("Status-Index", description="what the city calls its index (maps, reports)")
    dynamics_name: str = Field("Dynamik-Index", description="name of the dynamics index")
    status: list[IndicatorRef]
    dynamics: list[IndicatorRef] = Field(default_factory=list)
    min_population: float = Field(300, ge=0)
    ddof: Literal[0, 1] = Field(0, description="0: population SD (MSS), 1: sample SD")
    status_thresholds: list[float] = [-1.0, 1.0, 1.5]
    status_labels: list[str] = ["hoch", "mittel", "niedrig", "sehr niedrig"]
    dynamics_thresholds: list[float] = [-1.0, 1.0]
    dynamics_labels: list[str] = ["positiv", "stabil", "negativ"]
    exclude: list[ExcludeRule] = Field(default_factory=list)
    outlier_max_abs_z: float | None = Field(None, gt=0)
    dynamics_method: Literal["pp", "residual"] = Field(
        "pp", description="pp: the change in percentage points (MSS, the default); residual: the "
        "change beyond what the base level predicts (robust line of change on base level), free "
        "of regression to the mean")
    dynamics_fit: Literal["theil_sen", "huber"] = Field(
        "theil_sen", description="the robust line of the residual dynamics")
    dynamics_levels: dict[str, str] = Field(
        default_factory=dict, description="dynamics indicator → column with the level at the end "
        "of the period (base level = level − change), for the residual dynamics; indicators "
        "given with base or series know their base level")

    @model_validator(mode="after")
    def _dynamics_levels_known(self) -> IndexConfig:
        names = [r.name for r in self.dynamics]
        unknown = sorted(set(self.dynamics_levels) - set(names))
        if unknown:
            raise ValueError(f"dynamics_levels names {unknown}, which are not dynamics indicators "
                             f"({', '.join(names) or 'none'})")
        if self.dynamics_method == "residual" and not self.dynamics:
            raise ValueError("dynamics_method = 'residual' needs dynamics indicators")
        return self

    @model_validator(mode="after")
    def _labels_fit(self) -> IndexConfig:
        for kind in ("status", "dynamics"):
            thr, lab = getattr(self, f"{kind}_thresholds"), getattr(self, f"{kind}_labels")
            if len(set(lab)) != len(lab):
                raise ValueError(f"{kind}_labels must differ from each other: {lab}")
            if len(lab) != len(thr) + 1:
                raise ValueError(f"{kind}_labels needs {len(thr) + 1} labels for {len(thr)} thresholds")
            if list(thr) != sorted(thr):
                raise ValueError(f"{kind}_thresholds must be ascending")
        return self


class ThresholdRule(_Strict):
    """A Grenzwert: absolute (value >= 25) or relative (mean + k*SD, top decile)."""

    column: str
    kind: Literal["absolute", "sd", "quantile"] = "absolute"
    value: float
    direction: Literal["above", "below"] = "above"


class Target(_Strict):
    column: str
    target: float
    tolerance: float = 0.0
    better: Literal["lower", "higher"] = "lower"


class FlagConfig(_Strict):
    thresholds: list[ThresholdRule] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    cluster_columns: list[str] = Field(default_factory=list)
    cluster_k: list[int] = [3, 4, 5, 6, 7, 8]
    permutations: int = Field(999, ge=99)
    hotspot_p: Literal["auto", "permutation", "analytic"] = Field(
        "auto", description="p-values of the hot-spot labels: pseudo p-values of the permutations, "
        "or analytic (normal approximation); auto: analytic above 10,000 tested units, where "
        "999 permutations are too coarse for the FDR cut")
    fdr: float = Field(0.05, gt=0, lt=1)
    seed: int = 42
    single_facility_max_population: float = Field(
        1000, description="units below this many inhabitants are screened for single facilities"
    )
    single_facility_min_abs_z: float = Field(2.5, description="|z| at or above this is extreme")


class PriorityConfig(_Strict):
    """``priority_score = w_status · status_index + w_dynamics · dynamics_index
    + w_hotspot · [Gi* Hot Spot] + w_rule · (threshold rules hit)``, and which units are
    *flagged*: a unit is flagged when any of the configured criteria holds."""

    status_weight: float = Field(1.0, ge=0)
    dynamics_weight: float = Field(0.5, ge=0)
    hotspot_weight: float = Field(0.5, ge=0)
    rule_weight: float = Field(0.25, ge=0)
    flag_classes: list[str] | None = Field(
        None, description="status classes that flag a unit (default: the two lowest of "
        "index.status_labels, e.g. niedrig and sehr niedrig)")
    flag_min_rules: int | None = Field(None, ge=1, description="flag units with at least this "
                                       "many threshold rules hit")
    flag_top_pct: float | None = Field(None, gt=0, le=100, description="flag this share (%) of the "
                                       "scored units with the highest priority_score")
    flag_attention: bool = Field(False, description="also flag MSS's Gebiete mit besonderem "
                                 "Aufmerksamkeitsbedarf: status in the two lowest classes, or the "
                                 "third-lowest (mittel) with the worst dynamics class (negativ)")
    # uncertainty and sensitivity analysis (quartier robustness, run); ranges default to
    # half to one and a half times the weight
    status_weight_range: tuple[float, float] | None = Field(
        None, description="range of the status weight in the robustness draws")
    dynamics_weight_range: tuple[float, float] | None = None
    hotspot_weight_range: tuple[float, float] | None = None
    rule_weight_range: tuple[float, float] | None = None
    robustness_draws: int = Field(1000, ge=1, le=100_000, description="variants drawn")
    robustness_seed: int = 42
    robustness_vary: list[Literal["weights", "leave_out", "normalisation", "dynamics", "hotspot",
                                  "dynamics_measure"]] = Field(
        ["weights", "leave_out", "normalisation", "dynamics", "hotspot", "dynamics_measure"],
        description="the choices varied: weights within their ranges, each index indicator left "
        "out once, z-scores/ranks/min-max, dynamics on/off, hot-spot bonus on/off, dynamics in "
        "pp or residual")

    @model_validator(mode="after")
    def _ranges(self) -> PriorityConfig:
        for name in ("status", "dynamics", "hotspot", "rule"):
            r = getattr(self, f"{name}_weight_range")
            if r is not None and not 0 <= r[0] <= r[1]:
                raise ValueError(f"{name}_weight_range = {list(r)}: needs 0 ≤ low ≤ high")
        return self

    def weight_range(self, name: str) -> tuple[float, float]:
        """The range of a weight in the robustness draws (default: 0.5× to 1.5× the weight)."""
        given = getattr(self, f"{name}_weight_range")
        w = getattr(self, f"{name}_weight")
        return (float(given[0]), float(given[1])) if given is not None else (0.5 * w, 1.5 * w)


class AreasConfig(_Strict):
    """Action areas: contiguous groups of flagged units (region growing over Queen contiguity)."""

    min_residents: float = Field(5000, ge=0, description="an area holds at least this many")
    max_residents: float = Field(40000, gt=0, description="… and at most this many residents")
    max_areas: int | None = Field(None, ge=1, description="keep the areas of highest mean priority")
    max_gap_share: float = Field(0.2, ge=0, lt=1, description="share of members that may be "
                                 "unflagged units closing a gap")
    gap_min_flagged_share: float = Field(0.5, gt=0, le=1, description="an unflagged unit closes a "
                                         "gap when at least this share of its neighbours are "
                                         "flagged (and it touches two or more)")
    seed: int = 42

    @model_validator(mode="after")
    def _bounds(self) -> AreasConfig:
        if self.max_residents < self.min_residents:
            raise ValueError("max_residents must be at least min_residents")
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


class AccessCategory(_Strict):
    """Distance decay of one category: full score up to good_m, none beyond limit_m (metres)."""

    label: str
    good_m: float = Field(gt=0)
    limit_m: float = Field(gt=0)
    weight: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> AccessCategory:
        if self.limit_m < self.good_m:
            raise ValueError("limit_m must be at least good_m")
        return self


class AccessConfig(_Strict):
    categories: dict[str, AccessCategory]

    @field_validator("categories")
    @classmethod
    def _category_names(cls, value: dict[str, AccessCategory]) -> dict[str, AccessCategory]:
        bad = [k for k in value if not _NAME.match(k)]
        if bad:
            raise ValueError(f"category names {bad} become column names (dist_<category>_m): "
                             "use letters, digits and '_' (e.g. kita, grundschule)")
        return value

    population_raster: Path | None = Field(None, description="residents per cell (any unit)")
    dedup_m: float = Field(50.0, ge=0, description="same facility from two sources within this")
    count_radii_m: list[float] = [300.0, 500.0, 1000.0]
    detour_factor: float = Field(1.3, ge=1.0, description="network/straight line, where no network")
    network_path: Path | None = Field(None, description="streets (OSM XML/PBF or lines) to calibrate "
                                      "the detour factor on")
    network_layer: str | None = None
    network_highway_column: str = Field("highway", description="lines files: the highway class")


class GapsConfig(_Strict):
    """Building-gap detection (Baulückenkataster). Limits in metres and square metres."""

    threads: int | None = Field(None, ge=1, description="threads for cutting the street blocks "
                                "(default: the machine's cores, at most 4; the result is the "
                                "same on any number)")
    osm: Path | None = Field(None, description="one OSM file with buildings, streets, land use")
    buildings: Path | None = None
    buildings_layer: str | None = None
    streets: Path | None = None
    streets_layer: str | None = None
    street_class_column: str = "highway"
    barriers: list[Path] = Field(default_factory=list, description="rail/water lines or areas "
                                 "that also bound blocks")
    landuse: Path | None = None
    landuse_class_column: str = "landuse"
    area: Path | None = Field(None, description="study area polygon; default: buildings' hull")
    parcels: Path | None = Field(None, description="ALKIS Flurstücke, where a city has them")
    parcels_id_column: str | None = None
    green_raster: Path | None = Field(None, description="share of green per cell (0–1)")
    block_street_classes: list[str] = ["motorway", "trunk", "primary", "secondary", "tertiary",
                                       "unclassified", "residential", "living_street", "pedestrian",
                                       "primary_link", "secondary_link", "tertiary_link"]
    exclude_classes: list[str] = ["park", "forest", "cemetery", "allotments", "recreation_ground",
                                  "pitch", "stadium", "sports_centre", "playground", "garden",
                                  "water", "railway", "wood", "grave_yard", "parking",
                                  "marketplace"]
    min_building_m2: float = Field(30.0, ge=0, description="smaller footprints are sheds")
    building_buffer_m: float = Field(3.0, ge=0, description="kept free around every building")
    street_buffer_m: float = Field(7.0, ge=0, description="half the street space from the axis")
    street_buffers_m: dict[str, float] = Field(
        default_factory=lambda: {"motorway": 20.0, "trunk": 18.0, "primary": 15.0,
                                 "secondary": 12.0, "tertiary": 10.0},
        description="half street width by class; other classes use street_buffer_m")
    min_depth_m: float = Field(12.0, ge=0, description="area / frontage: strips along the street "
                               "(front gardens, verges) are shallower")
    min_compactness: float = Field(0.2, ge=0, le=1, description="4πA/P²: long strips along rail "
                                   "lines, canals and edges are below")
    max_yard_share: float = Field(0.5, ge=0, le=1, description="Brachfläche: at most this share of "
                                  "the edge may border buildings (else it is a courtyard)")
    max_yard_share_gap: float = Field(0.8, ge=0, le=1, description="the same for a Baulücke, "
                                      "whose sides border its neighbours")
    barrier_buffer_m: float = Field(10.0, ge=0)
    min_width_m: float = Field(8.0, gt=0, description="narrower strips are not buildable")
    min_area_m2: float = Field(150.0, gt=0)
    max_gap_area_m2: float = Field(2500.0, gt=0, description="larger open pieces are Brachflächen")
    max_area_m2: float = Field(30000.0, gt=0, description="larger open pieces are landscape, "
                               "not a brownfield")
    min_frontage_m: float = Field(8.0, ge=0, description="street frontage a Baulücke needs")
    neighbour_m: float = Field(25.0, gt=0, description="built neighbours along the frontage")
    min_neighbours: int = Field(2, ge=0)
    max_green_share: float = Field(0.9, ge=0, le=1, description="greener pieces are dropped")
    parcel_min_cover: float = Field(0.05, ge=0, le=1, description="parcel counts as vacant below")
    parcel_shrink_m: float = Field(1.0, ge=0, description="negative buffer against misalignment")
    underuse_ratio: float = Field(0.3, gt=0, lt=1, description="cover below ratio × neighbours")
    crs: str | None = Field(None, description="metric CRS for this job; default city.crs")

    @field_validator("crs")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        return _check_metric_crs(value)


class SitesConfig(_Strict):
    """Siting housing for refugees: candidates, score and the decentralised selection."""

    file: Path | None = Field(None, description="user sites (CSV or vector) with capacity")
    x: str | None = None
    y: str | None = None
    crs: str | None = Field(None, description="CRS of the site file's coordinates")
    id_column: str = "site_id"
    name_column: str | None = "name"
    capacity_column: str = "capacity"
    decimal: str = Field(".", description="decimal mark of coordinates and capacities (CSV)")
    thousands: str | None = None
    illustrative: bool = Field(False, description="the site file is example input, not real plots")
    people: int = Field(1000, ge=1, description="people to house in `quartier run`/demo")
    from_gaps: bool = True
    gap_statuses: list[str] = ["bestätigt", "mobilisierbar", "offen"]
    floor_area_ratio: float = Field(1.2, gt=0, description="GFZ assumed on a gap")
    m2_per_place: float = Field(25.0, gt=0, description="gross floor area per place")
    max_places_per_site: int = Field(300, ge=1, description="Hamburg: at most 300 per site")
    min_places: int = Field(20, ge=1, description="a selected site houses at least this many")
    max_share_of_residents_pct: float = Field(1.0, gt=0, description="places per quarter ≤ this "
                                              "share of its residents")
    max_share_of_district_pct: float | None = Field(0.5, gt=0)
    min_distance_m: float = Field(500.0, ge=0, description="between selected sites")
    status_penalty: dict[str, float] = Field(
        default_factory=lambda: {"sehr niedrig": 30.0, "niedrig": 15.0},
        description="score points taken off in quarters of these status classes")
    shelters: Path | None = Field(None, description="existing shelters (points)")
    shelter_radius_m: float = 1000.0
    shelter_penalty: float = 20.0
    exclude_layers: list[Path] = Field(default_factory=list, description="industrial land, "
                                       "noise, flood zones: sites inside are excluded")
    exclude_column: str | None = None
    exclude_values: list[str] = Field(default_factory=list)

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return _check_crs(value)


class SeriesConfig(_Strict):
    """One indicator over several years: a long table with a year column, one file per year,
    or Leipzig-style JSON (data.<year>.<indicator>)."""

    indicator: str = Field(description="name in monitoring.csv, with unit, e.g. miete_eur_m2")
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
        return _check_crs(value)


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


class MapConfig(_Strict):
    indicator: str = Field(description="column shown as choropleth by `quartier run`")

    @field_validator("indicator")
    @classmethod
    def _column_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a column name (letters, digits, '_')")
        return value
    scheme: str = "NaturalBreaks"
    k: int = Field(5, ge=2, le=9)


class QuartierConfig(_Strict):
    city: CityConfig
    units: UnitsConfig | None = None
    population_column: str | None = None
    population: PopulationConfig | None = None
    tables: list[TableConfig] = Field(default_factory=list)
    derive: list[DeriveSpec] = Field(default_factory=list, description="columns computed from "
                                     "loaded ones: shares from counts, density × area, area_ha")
    decide: list[str] = Field(default_factory=list, description="decisions `quartier init` left "
                              "to you: `check` fails until each is made and its line removed")
    index: IndexConfig | None = None
    flag: FlagConfig = FlagConfig()
    priority: PriorityConfig = PriorityConfig()
    areas: AreasConfig | None = None
    map: MapConfig | None = None
    pois: list[PoiLayer] = Field(default_factory=list)
    access: AccessConfig | None = None
    gaps: GapsConfig | None = None
    sites: SitesConfig | None = None
    monitor: MonitorConfig | None = None
    base_dir: Annotated[Path, Field(exclude=True)] = Path(".")

    @model_validator(mode="before")
    @classmethod
    def _population_column_default(cls, data: object) -> object:
        # residents estimated by [population] are the population column unless one is named
        if isinstance(data, dict) and data.get("population") and not data.get("population_column"):
            pop = data["population"]
            column = pop.get("column", "einwohner_geschaetzt") if isinstance(pop, dict) else None
            if column:
                data = {**data, "population_column": column}
        return data

    @model_validator(mode="after")
    def _merged_needs_dissolve(self) -> QuartierConfig:
        merged = [t.name for t in self.tables if t.level == "merged"]
        if merged and (self.units is None or self.units.dissolve_by is None):
            raise ValueError(f"tables {merged} have level = 'merged', but units.dissolve_by is not set")
        return self

    @model_validator(mode="after")
    def _areas_need_index_and_population(self) -> QuartierConfig:
        if self.areas is not None and (self.index is None or not self.population_column):
            raise ValueError("[areas] needs [index] (which units are flagged) and population_column "
                             "(the residents per area)")
        return self

    @model_validator(mode="after")
    def _attention_needs_dynamics(self) -> QuartierConfig:
        if self.priority.flag_attention and (self.index is None or not self.index.dynamics
                                             or len(self.index.status_labels) < 3):
            raise ValueError("priority.flag_attention (status mittel with negative dynamics) "
                             "needs [index] with dynamics and at least 3 status classes")
        return self

    @model_validator(mode="after")
    def _sites_need_index_and_access(self) -> QuartierConfig:
        if self.sites is not None and (self.index is None or self.access is None):
            raise ValueError("[sites] needs the [index] (status per quarter) and [access] "
                             "(integration score) sections")
        if self.sites is not None and not self.population_column:
            raise ValueError("[sites] caps the places by the residents of each quarter: set "
                             "population_column (or [population])")
        return self

    @model_validator(mode="after")
    def _flag_classes_known(self) -> QuartierConfig:
        labels = self.index.status_labels if self.index is not None else None
        problem = flag_class_problem(self.priority.flag_classes, labels)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> QuartierConfig:
        seen: dict[str, str] = {}
        named = [(spec.name, f"table {table.name!r}") for table in self.tables
                 for spec in table.columns.values()]
        for name, where in [*named, *((d.name, "[[derive]]") for d in self.derive)]:
            if name in seen:
                raise ValueError(f"column name {name!r} is used by {seen[name]} and {where}; "
                                 "give each a unique name")
            seen[name] = where
        return self

    def resolve(self, path: Path) -> Path:
        """Absolute path of a file named in the config (relative to the config's folder)."""
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def labels(self) -> dict[str, str]:
        """Column name → human label, for reasons, tooltips and legends."""
        out = {}
        for table in self.tables:
            for spec in table.columns.values():
                out[spec.name] = spec.label or spec.name
        for d in self.derive:
            out[d.name] = d.label or d.name
        units = self.units_of()
        for ref in [*(self.index.status if self.index else []),
                    *(self.index.dynamics if self.index else [])]:
            if ref.base is not None:
                points = units.get(ref.column, "").strip() == "%" and \
                    units.get(ref.base, "").strip() == "%"
                out[ref.name] = change_label(out.get(ref.column, ref.column),
                                             out.get(ref.base, ref.base), points=points)
            elif ref.series is not None:
                out[ref.name] = series_change_label(ref.series, ref.base_year, ref.year)
        return out

    def units_of(self) -> dict[str, str]:
        """Column name → unit ('%', 'Personen', …) of every loaded and derived column."""
        out = {spec.name: spec.unit for t in self.tables for spec in t.columns.values()}
        out.update({d.name: d.unit for d in self.derive})
        return out


def flag_class_problem(classes: list[str] | None, labels: list[str] | None) -> str | None:
    """What is wrong with ``priority.flag_classes``: a name that is no status class (a case slip
    would silently flag fewer units), with the closest class name."""
    if not classes:
        return None
    if labels is None:
        return "priority.flag_classes needs the [index] section (its status_labels)"
    unknown = [c for c in classes if c not in labels]
    if not unknown:
        return None
    folded = {lab.casefold(): lab for lab in labels}
    hints = []
    for c in unknown:
        close = difflib.get_close_matches(c.casefold(), list(folded), n=1, cutoff=0.6)
        hints.append(f"{c!r}" + (f" (did you mean {folded[close[0]]!r}?)" if close else ""))
    return (f"priority.flag_classes: {', '.join(hints)} is no status class; the classes are "
            f"index.status_labels: {', '.join(labels)}")


def _section_model(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model of the section that holds the key at ``loc`` (list indices and dict
    keys followed through)."""
    model: object = QuartierConfig
    dict_key = False
    for part in loc[:-1]:
        if isinstance(part, int) or dict_key:
            dict_key = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = field.annotation
        # unwrap Optional[...] / list[...] / dict[str, ...] down to a model
        while not (isinstance(model, type) and issubclass(model, BaseModel)):
            args = [a for a in getattr(model, "__args__", ()) if a is not type(None)]
            if not args:
                return None
            dict_key = dict_key or getattr(model, "__origin__", None) is dict
            model = args[-1]
    return model


def _unknown_key_hint(loc: tuple) -> str:
    model = _section_model(loc)
    if model is None:
        return "unknown key (typo?); see `quartier init` for the template"
    valid = [k for k in model.model_fields if k != "base_dir"]
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
    return ("unknown key" + (f" — did you mean {close[0]!r}?" if close else ".")
            + f" Valid keys here: {', '.join(valid)}")


def _format_errors(exc: ValidationError, source: Path) -> str:
    lines = [f"{source}: the config has {exc.error_count()} problem(s):"]
    for err in exc.errors():
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        hint = err["msg"]
        if err["type"] == "missing":
            hint = "required key is missing"
        elif err["type"] == "extra_forbidden":
            hint = _unknown_key_hint(err["loc"])
        lines.append(f"  - {loc or '(top level)'}: {hint}")
    return "\n".join(lines)


def parse_config(data: dict, base_dir: Path, source: Path | None = None) -> QuartierConfig:
    """Validate a config given as a dict (already parsed TOML)."""
    try:
        return QuartierConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source or base_dir)) from None


def load_config(path: str | Path) -> QuartierConfig:
    """Read and validate a city config (TOML).

    Parameters
    ----------
    path : str or Path
        The TOML file; relative paths inside it are resolved against its folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; name the config file itself (e.g. "
                          f"{path / 'quartier.toml'})")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found; `quartier init {path}` writes a template")
    try:
        # utf-8-sig: editors on Windows save a byte-order mark
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 (byte {exc.start}); save the config as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path.parent.resolve(), path)

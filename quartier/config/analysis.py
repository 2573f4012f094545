"""Config sections of the analysis: index, flags, priority, action areas, access, building gaps,
sites, the map."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from quartier.config.base import _NAME, FileUse, _check_crs, _check_metric_crs, _Strict


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
        if self.series is not None and self.base is not None:
            raise ValueError("base belongs to column (column − base); a series' change is "
                             "between base_year and year")
        return self

    @property
    def name(self) -> str:
        """The column the index uses (a derived change gets its own name)."""
        if self.series is not None:
            return f"{self.series}_{self.base_year}_{self.year}_diff"
        if self.column is None:  # excluded by _one_source
            raise ValueError("indicator has neither column nor series")
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

    def files(self) -> list[FileUse]:
        """The population raster and the street network of the access measures."""
        out = []
        if self.population_raster:
            out.append(FileUse("access.population_raster", self.population_raster, "raster"))
        if self.network_path:
            osm = any(str(self.network_path).endswith(e) for e in (".osm", ".osm.gz", ".pbf"))
            out.append(FileUse("access.network_path", self.network_path, "file" if osm else "vector",
                               self.network_layer, () if osm else (self.network_highway_column,)))
        return out


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
    street_name_column: str | None = Field("name", description="street names, for the nearest "
                                           "street of a candidate in the review app")
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

    def files(self) -> list[FileUse]:
        """Every input of the gap detection and how it is read."""
        out = [FileUse("gaps.osm", self.osm, "file")] if self.osm else []
        for key, path, layer, cols in (("gaps.buildings", self.buildings, self.buildings_layer, ()),
                                       ("gaps.streets", self.streets, self.streets_layer,
                                        (self.street_class_column,)),
                                       ("gaps.landuse", self.landuse, None,
                                        (self.landuse_class_column,)),
                                       ("gaps.area", self.area, None, ()),
                                       ("gaps.parcels", self.parcels, None,
                                        (self.parcels_id_column,) if self.parcels_id_column else ())):
            if path is not None:
                out.append(FileUse(key, path, "vector", layer, cols))
        out += [FileUse(f"gaps.barriers[{i}]", p, "vector") for i, p in enumerate(self.barriers)]
        if self.green_raster:
            out.append(FileUse("gaps.green_raster", self.green_raster, "raster"))
        return out


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

    def files(self) -> list[FileUse]:
        """Exclusion layers and existing shelters (the site file is checked by reading it)."""
        out = [FileUse(f"sites.exclude_layers[{i}]", p, "vector", None,
                       (self.exclude_column,) if self.exclude_column else ())
               for i, p in enumerate(self.exclude_layers)]
        if self.shelters:
            out.append(FileUse("sites.shelters", self.shelters, "vector"))
        return out


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

"""City configuration: one TOML file describes a city, validated with pydantic.

Paths in the file are relative to the file's folder. Every validation error is reported with its
key path (``tables[1].columns.S1.name``) and a hint, never as a traceback.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from quartier.config.analysis import (
    AccessConfig,
    AreasConfig,
    FlagConfig,
    GapsConfig,
    IndexConfig,
    MapConfig,
    PriorityConfig,
    SitesConfig,
    flag_class_problem,
)
from quartier.config.base import FileUse, _Strict
from quartier.config.data import (
    CityConfig,
    DeriveSpec,
    MonitorConfig,
    PoiLayer,
    PopulationConfig,
    TableConfig,
    UnitsConfig,
)
from quartier.config.report import ReportConfig
from quartier.errors import ConfigError
from quartier.vocab import change_label, series_change_label

SectionT = TypeVar("SectionT", bound=BaseModel)


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
    report: ReportConfig = ReportConfig()
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
    def _key_figure_category(self) -> QuartierConfig:
        key = self.report.key_access
        if key is not None and self.access is not None and key.category not in self.access.categories:
            known = ", ".join(self.access.categories)
            raise ValueError(f"report.key_access.category {key.category!r} is not an "
                             f"[access.categories] key (the config has: {known})")
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
        """Absolute path of a file named in the config (paths are made absolute when the config
        is parsed; a path set later in code is taken relative to the config's folder)."""
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
            if ref.column is not None and ref.base is not None:
                points = units.get(ref.column, "").strip() == "%" and \
                    units.get(ref.base, "").strip() == "%"
                out[ref.name] = change_label(out.get(ref.column, ref.column),
                                             out.get(ref.base, ref.base), points=points)
            elif ref.series is not None and ref.base_year is not None and ref.year is not None:
                out[ref.name] = series_change_label(ref.series, ref.base_year, ref.year)
        return out

    def units_of(self) -> dict[str, str]:
        """Column name → unit ('%', 'Personen', …) of every loaded and derived column."""
        out = {spec.name: spec.unit for t in self.tables for spec in t.columns.values()}
        out.update({d.name: d.unit for d in self.derive})
        return out

    def files(self) -> list[FileUse]:
        """Every further file the config names (POIs, rasters, network, gap inputs, site
        layers, monitoring files) and how it will be read; units and tables are checked by
        loading them."""
        out = [f for i, layer in enumerate(self.pois) for f in layer.files(f"pois[{i}]")]
        for section in (self.access, self.gaps, self.sites, self.monitor):
            if section is not None:
                out += section.files()
        return out


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
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unknown_key_hint(loc: tuple) -> str:
    model = _section_model(loc)
    if model is None:
        return "unknown key (typo?); see `quartier init` for the template"
    valid = [k for k in model.model_fields if k != "base_dir"]
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
    return ("unknown key" + (f" — did you mean {close[0]!r}?" if close else ".")
            + f" Valid keys here: {', '.join(valid)}")


def _format_errors(exc: ValidationError, source: Path | str) -> str:
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
    """Validate a config given as a dict (already parsed TOML). Every file path in it is made
    absolute against ``base_dir`` (the config's folder) here, once: a section handed to a
    reader opens the right file whatever the working directory."""
    try:
        cfg = QuartierConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source or base_dir)) from None
    return _with_absolute_paths(cfg, Path(base_dir).resolve())


def required(section: SectionT | None, name: str, job: str = "this job") -> SectionT:
    """The config section ``[name]``, or a :class:`ConfigError` saying that ``job`` needs it.

    >>> from quartier.config import GapsConfig
    >>> required(None, "gaps", "`quartier gaps`")
    Traceback (most recent call last):
    ...
    quartier.errors.ConfigError: the config has no [gaps] section: `quartier gaps` needs it
    """
    if section is None:
        raise ConfigError(f"the config has no [{name}] section: {job} needs it")
    return section


def as_section(value: SectionT | Mapping[str, Any], model: type[SectionT], where: str) -> SectionT:
    """A config section for the functions a notebook calls.

    Parameters
    ----------
    value : section model or mapping
        The section model itself (returned unchanged), or a mapping with the keys the TOML
        section has (validated; relative paths resolved against the working directory).
    model : type
        The section's pydantic model, e.g. :class:`~quartier.config.AccessConfig`.
    where : str
        The caller, named in the error.

    Returns
    -------
    section model
        An instance of ``model``.

    Raises
    ------
    ConfigError
        If the mapping has an unknown, missing or invalid key (each named).

    Examples
    --------
    >>> from quartier.config import GapsConfig
    >>> as_section({"min_frontage_m": 8}, GapsConfig, "example").min_frontage_m
    8.0
    """
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        try:
            section = model.model_validate(dict(value))
        except ValidationError as exc:
            raise ConfigError(_format_errors(exc, where)) from None
        return _with_absolute_paths(section, Path.cwd())
    raise TypeError(f"{where}: expected {model.__name__} or a dict of its keys, "
                    f"got {type(value).__name__}")


def _absolute(value: object, base: Path) -> object:
    if isinstance(value, Path):
        return value if value.is_absolute() else (base / value).resolve()
    if isinstance(value, BaseModel):
        return _with_absolute_paths(value, base)
    if isinstance(value, list):
        return [_absolute(v, base) for v in value]
    if isinstance(value, dict):
        return {k: _absolute(v, base) for k, v in value.items()}
    return value


def _with_absolute_paths(model: SectionT, base: Path) -> SectionT:
    """The model with every Path field (in sections, lists and dicts) absolute; validators are
    not run again (the values are the validated ones)."""
    update = {name: _absolute(getattr(model, name), base) for name in type(model).model_fields
              if name != "base_dir"}
    return model.model_copy(update=update)


def load_config(path: str | Path) -> QuartierConfig:
    """Read and validate a city config (TOML).

    Parameters
    ----------
    path : str or Path
        The TOML file; relative paths inside it are resolved against its folder.

    Returns
    -------
    QuartierConfig
        The validated config, every file path absolute.

    Raises
    ------
    ConfigError
        If the file is missing, not UTF-8, not TOML, or a key is unknown, missing or invalid
        (every problem named with its key path).

    Examples
    --------
    >>> from quartier.paths import BERLIN_CONFIG
    >>> cfg = load_config(BERLIN_CONFIG)
    >>> cfg.city.name, cfg.city.crs, len(cfg.index.status)
    ('Berlin', 'EPSG:25833', 3)
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

"""A city is one TOML file: the config models (pydantic), validated with every key path named.

``from quartier.config import load_config, QuartierConfig``: the sections live in
:mod:`~quartier.config.data` (what the files are) and :mod:`~quartier.config.analysis` (what is
computed), the whole in :mod:`~quartier.config.model`.
"""

from quartier.config.analysis import (
    AccessCategory,
    AccessConfig,
    AreasConfig,
    ExcludeRule,
    FlagConfig,
    GapsConfig,
    IndexConfig,
    IndicatorRef,
    MapConfig,
    PriorityConfig,
    SitesConfig,
    Target,
    ThresholdRule,
    flag_class_problem,
)
from quartier.config.base import DEFAULT_NA_CODES
from quartier.config.data import (
    CityConfig,
    ColumnSpec,
    DeriveSpec,
    GridConfig,
    GridUnitsConfig,
    MonitorConfig,
    MonitorTarget,
    OldUnitsConfig,
    PoiLayer,
    PopulationConfig,
    SeriesConfig,
    TableConfig,
    UnitsConfig,
)
from quartier.config.model import (
    QuartierConfig,
    as_section,
    load_config,
    parse_config,
    required,
)
from quartier.config.report import KeyFigureConfig, PlaceNamesConfig, ReportConfig

__all__ = [
    "DEFAULT_NA_CODES", "AccessCategory", "AccessConfig", "AreasConfig", "CityConfig", "ColumnSpec",
    "DeriveSpec", "ExcludeRule", "FlagConfig", "GapsConfig", "GridConfig", "GridUnitsConfig",
    "IndexConfig", "IndicatorRef", "KeyFigureConfig", "MapConfig", "MonitorConfig", "MonitorTarget",
    "OldUnitsConfig", "PlaceNamesConfig", "PoiLayer", "PopulationConfig", "PriorityConfig",
    "QuartierConfig", "ReportConfig", "SeriesConfig",
    "SitesConfig", "TableConfig", "Target", "ThresholdRule", "UnitsConfig", "as_section", "required",
    "flag_class_problem",
    "load_config", "parse_config",
]

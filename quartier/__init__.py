"""quartier: small-area housing and social monitoring for German municipalities.

The functions a notebook needs, each taking GeoDataFrames in a metric CRS and keyword
arguments (a config section can be given as its model or as a dict of its TOML keys)::

    import quartier

    cfg = quartier.load_config("data/berlin/quartier.toml")
    units, report = quartier.load_city(cfg)
    flags = quartier.flag_units(units, cfg)          # index, hot spots, priority

The modules behind them are layered: ``quartier.io`` (reading), ``quartier.analysis``
(computing), ``quartier.outputs`` (maps, report, profiles), ``quartier.review`` (the
cadastre's decisions), ``quartier.pipeline`` (config → analysis → files), ``quartier.cli``.
The names below are imported when first used, so that ``import quartier`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → module that defines it
_API = {
    "load_config": "quartier.config",
    "as_section": "quartier.config",
    "load_city": "quartier.pipeline.load",
    "place_names": "quartier.io.places",
    "flag_units": "quartier.pipeline.flag",
    "compute_index": "quartier.analysis.indicators",
    "hot_spots": "quartier.analysis.hotspots",
    "point_access": "quartier.analysis.access",
    "access_units": "quartier.analysis.access",
    "build_areas": "quartier.analysis.areas",
    "detect_gaps": "quartier.analysis.gaps",
    "score_sites": "quartier.analysis.sites",
    "select_sites": "quartier.analysis.sites",
    "build_monitoring": "quartier.analysis.monitor",
    "rank_robustness": "quartier.analysis.robustness",
    "robustness_of_table": "quartier.analysis.robustness_table",
    "choropleth": "quartier.outputs.maps",
    "combined_map": "quartier.outputs.maps",
    "GapInputs": "quartier.io.gapdata",
    "QuartierError": "quartier.errors",
    "ConfigError": "quartier.errors",
    "InputDataError": "quartier.errors",
}

__all__ = [
    "__version__", "load_config", "as_section", "load_city", "place_names", "flag_units",
    "compute_index",
    "hot_spots", "point_access", "access_units", "build_areas", "detect_gaps", "score_sites",
    "select_sites", "build_monitoring", "rank_robustness", "robustness_of_table", "choropleth",
    "combined_map", "GapInputs", "QuartierError", "ConfigError", "InputDataError",
]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time see __getattr__
    from quartier.analysis.access import access_units, point_access
    from quartier.analysis.areas import build_areas
    from quartier.analysis.gaps import detect_gaps
    from quartier.analysis.hotspots import hot_spots
    from quartier.analysis.indicators import compute_index
    from quartier.analysis.monitor import build_monitoring
    from quartier.analysis.robustness import rank_robustness
    from quartier.analysis.robustness_table import robustness_of_table
    from quartier.analysis.sites import score_sites, select_sites
    from quartier.config import as_section, load_config
    from quartier.errors import ConfigError, InputDataError, QuartierError
    from quartier.io.gapdata import GapInputs
    from quartier.outputs.maps import choropleth, combined_map
    from quartier.pipeline.flag import flag_units
    from quartier.pipeline.load import load_city


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'quartier' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

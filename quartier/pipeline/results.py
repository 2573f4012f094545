"""What a command produces: the results the CLI prints and a notebook inspects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from quartier.analysis import robustness as robustness_mod
from quartier.analysis.sites import SitesResult
from quartier.io.joinreport import JoinReport
from quartier.io.pois import PoiReport
from quartier.pipeline.flag import FlagResult
from quartier.review import store as review


@dataclass
class AccessResult:
    table: pd.DataFrame
    pois: gpd.GeoDataFrame
    report: PoiReport
    detour: pd.DataFrame | None
    #: share (%) of residents within walking distance of ``[report] key_access`` (None without)
    key_share_pct: float | None
    notes: list[str] = field(default_factory=list)
    #: the key figure's category label and walking distance (m)
    key_label: str | None = None
    key_within_m: float | None = None


@dataclass
class RunResult:
    units: gpd.GeoDataFrame
    report: JoinReport
    flags: FlagResult | None = None
    access: AccessResult | None = None
    files: list[Path] = field(default_factory=list)
    sites: SitesResult | None = None
    gaps: GapsResult | None = None
    monitor: MonitorResult | None = None
    robustness: robustness_mod.RobustnessResult | None = None


@dataclass
class GapsResult:
    candidates: gpd.GeoDataFrame
    sync: review.SyncReport
    store: Path
    files: list[Path]


@dataclass
class MonitorResult:
    long: pd.DataFrame
    targets: pd.DataFrame
    signals: pd.DataFrame | None
    notes: list[str]
    city_rent: pd.Series | None

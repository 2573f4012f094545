"""`quartier check`: open every file the config names and validate every column it will use.

A run must never fail late on something a check could have seen: a missing POI file, a raster
without CRS, a series without its year column, a threshold on a column no table provides. The
check collects *all* problems of a config and reports them together, each naming the config key,
the file and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pyogrio
import rasterio

from quartier.config import QuartierConfig
from quartier.config.base import FileUse
from quartier.errors import QuartierError
from quartier.io.joinreport import JoinReport
from quartier.io.readers import check_file, read_csv_text
from quartier.io.series import read_series
from quartier.io.sitefile import read_site_file
from quartier.io.tables import read_table
from quartier.pipeline.load import load_city


class CheckFailed(QuartierError):
    """The config names files or columns that a run could not use."""


def column_problems(cfg: QuartierConfig, columns: set[str]) -> list[str]:
    """Every column the config refers to (index, flag, map, population) must be loaded."""
    problems = []

    def need(column: str | None, key: str) -> None:
        if column and column not in columns:
            problems.append(f"{key}: column {column!r} is not loaded (loaded: "
                            f"{', '.join(sorted(c for c in columns if c != 'geometry'))})")

    need(cfg.population_column, "population_column")
    if cfg.index is not None:
        for kind in ("status", "dynamics"):
            for i, ref in enumerate(getattr(cfg.index, kind)):
                need(ref.column, f"index.{kind}[{i}].column")
                need(ref.base, f"index.{kind}[{i}].base")
                if ref.series is not None and (cfg.monitor is None or ref.series not in
                                               {s.indicator for s in cfg.monitor.series}):
                    problems.append(f"index.{kind}[{i}].series: {ref.series!r} is not a "
                                    "[[monitor.series]] indicator")
    for i, rule in enumerate(cfg.flag.thresholds):
        need(rule.column, f"flag.thresholds[{i}]")
    for i, target in enumerate(cfg.flag.targets):
        need(target.column, f"flag.targets[{i}]")
    for column in cfg.flag.cluster_columns:
        need(column, "flag.cluster_columns")
    if cfg.map is not None:
        need(cfg.map.indicator, "map.indicator")
    return problems


def _vector_columns(path: Path, key: str, layer: str | None, columns: list[str | None]) -> list[str]:
    """A vector file opens and has the columns (read from its header only)."""
    try:
        check_file(path, key)
        info = pyogrio.read_info(path, layer=layer)
    except QuartierError as exc:
        return [str(exc)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        return [f"{path}: cannot be read as vector data ({key}): {str(exc).splitlines()[0]}"]
    fields = set(info["fields"])
    return [f"{path}: column {c!r} not found ({key}); available: {', '.join(sorted(fields))}"
            for c in columns if c and c not in fields]


def _raster(path: Path, key: str) -> list[str]:
    try:
        check_file(path, key)
        with rasterio.open(path) as src:
            if src.crs is None:
                return [f"{path}: the raster has no CRS ({key})"]
    except QuartierError as exc:
        return [str(exc)]
    except rasterio.errors.RasterioIOError as exc:
        return [f"{path}: cannot be read as a raster ({key}): {exc}"]
    return []


def _attempt(problems: list[str], action: Callable[..., object], *args: object,
             **kwargs: object) -> None:
    try:
        action(*args, **kwargs)
    except QuartierError as exc:
        problems.append(str(exc))


def file_problems(cfg: QuartierConfig) -> list[str]:
    """Open every further file of the config (each section declares its files: POIs, rasters,
    network, gaps inputs, site layers, monitoring files) and check the columns each will be
    read by; read the site file and the monitoring series whole."""
    problems: list[str] = []
    for use in cfg.files():
        problems += _file_problem(use)
    if cfg.access is not None:
        missing = [c for c in cfg.access.categories if c not in {p.category for p in cfg.pois}]
        if missing:
            problems.append(f"access.categories {missing} have no [[pois]] layer")
    if cfg.sites is not None and cfg.sites.file is not None:
        _attempt(problems, read_site_file, cfg.sites, crs=cfg.city.crs)
    for series in cfg.monitor.series if cfg.monitor is not None else []:
        _attempt(problems, read_series, series)
    return problems


def _file_problem(use: FileUse) -> list[str]:
    """The problems a file has for the way it will be read."""
    if use.kind == "vector":
        return _vector_columns(use.path, use.key, use.layer, list(use.columns))
    if use.kind == "raster":
        return _raster(use.path, use.key)
    problems: list[str] = []
    if use.kind == "csv":
        _attempt(problems, lambda: _csv_columns(use.path, list(use.columns), use.key))
    else:
        _attempt(problems, lambda: check_file(use.path, use.key))
    return problems


def _csv_columns(path: Path, used: list[str], key: str) -> None:
    check_file(path, key)
    header = read_csv_text(path, None, "auto", used).df.columns
    missing = [c for c in used if c not in header]
    if missing:
        raise CheckFailed(f"{path}: column(s) {missing} not found ({key}); available: "
                          f"{', '.join(header)}")


def _source_of(cfg: QuartierConfig, column: str) -> str:
    """"table 't', column 'EW' of file.csv" for a loaded column, or "" when no table names it."""
    for t in cfg.tables:
        for file_column, spec in t.columns.items():
            if spec.name == column:
                return f" (table {t.name!r}, column {file_column!r} of {cfg.resolve(t.path)})"
    return ""


def empty_column_problems(cfg: QuartierConfig, units: gpd.GeoDataFrame) -> list[str]:
    """The population column and the index columns hold a value for at least one unit: a column
    empty everywhere (wrong column, every value a missing-value code) would leave every unit
    unscored or fail the run late."""
    wanted = []
    if cfg.population_column:
        wanted.append((cfg.population_column, f"population_column {cfg.population_column!r}",
                       "the minimum-population rule, action areas and sites need the residents"))
    if cfg.index is not None:
        for kind in ("status", "dynamics"):
            for i, ref in enumerate(getattr(cfg.index, kind)):
                for key, column in (("column", ref.column), ("base", ref.base)):
                    if column:
                        wanted.append((column, f"index.{kind}[{i}].{key} {column!r}",
                                       "no unit could be scored"))
    problems = []
    for column, what, why in dict.fromkeys(wanted):
        if column in units.columns and len(units) and units[column].isna().all():
            problems.append(f"{what}{_source_of(cfg, column)} is empty for every unit: {why}. "
                            "Check the column, its missing-value codes (na_values) and the "
                            "join (key, id_width)")
    return problems


def require_loaded_columns(cfg: QuartierConfig, units: gpd.GeoDataFrame) -> None:
    """Right after loading, before any long computation: every referenced column exists and
    the population and index columns are not empty everywhere."""
    problems = column_problems(cfg, set(units.columns)) + empty_column_problems(cfg, units)
    if problems:
        raise CheckFailed(f"the config refers to {len(problems)} column(s) no table provides:\n"
                          + "\n".join(f"  - {p}" for p in problems))


def check(cfg: QuartierConfig, progress: Callable[[str], None] | None = None
          ) -> tuple[gpd.GeoDataFrame | None, JoinReport]:
    """Load the units and tables (the join report), then open every other file and validate
    every column reference. Raises :class:`CheckFailed` listing all problems at once."""
    say = progress or (lambda _msg: None)
    problems: list[str] = []
    units, report = None, JoinReport(language=cfg.city.language)
    if cfg.units is not None:
        try:
            units, report = load_city(cfg, progress=say, problems=problems)
        except QuartierError as exc:
            # the units cannot be read: the tables can still be read on their own
            problems.append(str(exc))
            for t in cfg.tables:
                _attempt(problems, read_table, t, grid=cfg.units.grid)
        # a table that failed is one problem: its columns are not reported again as missing
        joined = {t.name for t in report.tables}
        promised = {spec.name for t in cfg.tables if t.name not in joined
                    for spec in t.columns.values()}
        if units is not None:
            problems += column_problems(cfg, set(units.columns) | promised)
            problems += empty_column_problems(cfg, units)
    say("checking every further file and column of the config")
    problems += file_problems(cfg)
    if problems:
        raise CheckFailed(f"the config has {len(problems)} problem(s) a run would hit:\n"
                          + "\n".join(f"  - {p}" for p in problems))
    return units, report

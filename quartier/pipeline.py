"""The whole job for one city: the functions the CLI and the notebooks call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from quartier import maps
from quartier.config import QuartierConfig
from quartier.errors import ConfigError
from quartier.flag import FlagResult, flag_units
from quartier.load import JoinReport, load_city

#: Folder of the embedded data: ``data/`` in a checkout, ``quartier/_data`` in a wheel.
_HERE = Path(__file__).resolve().parent
DATA_DIR = next(
    (p for p in (_HERE / "_data", _HERE.parent / "data") if (p / "berlin").is_dir()),
    _HERE.parent / "data",
)
BERLIN_CONFIG = DATA_DIR / "berlin" / "quartier.toml"


@dataclass
class RunResult:
    units: gpd.GeoDataFrame
    report: JoinReport
    flags: FlagResult | None = None
    files: list[Path] = field(default_factory=list)


def write_table(df: pd.DataFrame, path: Path) -> list[Path]:
    """CSV (UTF-8 with BOM, so Excel shows umlauts) and, beside it, xlsx for office use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
    plain.to_csv(path, index=False, encoding="utf-8-sig")
    xlsx = path.with_suffix(".xlsx")
    plain.to_excel(xlsx, index=False)
    return [path, xlsx]


def write_flags(result: FlagResult, out: Path) -> list[Path]:
    """priority.csv/.xlsx/.gpkg (contract columns first), clusters and targets tables."""
    table = result.table
    files = write_table(table, out / "priority.csv")
    gpkg = out / "priority.gpkg"
    gpkg.unlink(missing_ok=True)
    table.to_file(gpkg, layer="priority", driver="GPKG", engine="pyogrio")
    files.append(gpkg)
    if result.clusters is not None:
        prof = result.clusters.profiles.rename_axis("cluster").reset_index()
        prof.insert(1, "cluster_name", prof["cluster"].map(result.clusters.names))
        files += write_table(prof, out / "cluster_profiles.csv")
        metrics = pd.DataFrame([result.clusters.metrics])
        files += write_table(metrics, out / "cluster_metrics.csv")
    if not result.targets.empty:
        files += write_table(result.targets, out / "targets.csv")
    return files


def flag(cfg: QuartierConfig, out_dir: str | Path, progress: Callable[[str], None] | None = None
         ) -> RunResult:
    """Load, compute the index, flag and rank the units; write priority.csv and friends."""
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    units, report = load_city(cfg, progress=say)
    say("index, thresholds, clusters, hot spots (999 permutations)")
    result = flag_units(units, cfg)
    files = write_flags(result, out)
    return RunResult(units=units, report=report, flags=result, files=files)


def run(
    cfg: QuartierConfig, out_dir: str | Path, progress: Callable[[str], None] | None = None
) -> RunResult:
    """The whole pipeline: load and join, flag (if the config has an index), tables and map."""
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    units, report = load_city(cfg, progress=say)
    files = write_table(units, out / "units.csv")
    files += write_table(report.to_frame(), out / "join_report.csv")
    flags = None
    if cfg.index is not None:
        say("index, thresholds, clusters, hot spots")
        flags = flag_units(units, cfg)
        files += write_flags(flags, out)
    if cfg.map is not None:
        say(f"drawing map of {cfg.map.indicator}")
        if cfg.map.indicator not in units.columns:
            raise ConfigError(f"map.indicator {cfg.map.indicator!r} is not a loaded column")
        label = cfg.labels().get(cfg.map.indicator, cfg.map.indicator)
        fmap = maps.choropleth(units, cfg.map.indicator, label, cfg.map.scheme, cfg.map.k)
        files.append(maps.save(fmap, out / f"map_{cfg.map.indicator}.html"))
    return RunResult(units=units, report=report, flags=flags, files=files)

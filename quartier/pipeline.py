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
    files: list[Path] = field(default_factory=list)


def write_table(df: pd.DataFrame, path: Path) -> list[Path]:
    """CSV (UTF-8 with BOM, so Excel shows umlauts) and, beside it, xlsx for office use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
    plain.to_csv(path, index=False, encoding="utf-8-sig")
    xlsx = path.with_suffix(".xlsx")
    plain.to_excel(xlsx, index=False)
    return [path, xlsx]


def run(
    cfg: QuartierConfig, out_dir: str | Path, progress: Callable[[str], None] | None = None
) -> RunResult:
    """Load and join a city's data, write the joined table, the join report and a choropleth."""
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    units, report = load_city(cfg, progress=say)
    files = write_table(units, out / "units.csv")
    files += write_table(report.to_frame(), out / "join_report.csv")
    if cfg.map is not None:
        say(f"drawing map of {cfg.map.indicator}")
        if cfg.map.indicator not in units.columns:
            raise ConfigError(f"map.indicator {cfg.map.indicator!r} is not a loaded column")
        label = cfg.labels().get(cfg.map.indicator, cfg.map.indicator)
        fmap = maps.choropleth(units, cfg.map.indicator, label, cfg.map.scheme, cfg.map.k)
        files.append(maps.save(fmap, out / f"map_{cfg.map.indicator}.html"))
    return RunResult(units=units, report=report, files=files)

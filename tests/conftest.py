"""Shared fixtures: the real Berlin data, and a tiny hand-made city for bad-input tests."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from quartier.config import load_config, parse_config
from quartier.paths import BERLIN_CONFIG, DATA_DIR
from quartier.pipeline.load import load_city

LEIPZIG_CONFIG = DATA_DIR / "leipzig" / "quartier.toml"


@pytest.fixture(scope="session")
def berlin_cfg():
    return load_config(BERLIN_CONFIG)


@pytest.fixture(scope="session")
def berlin(berlin_cfg):
    """(units, join report) of the embedded Berlin data."""
    return load_city(berlin_cfg)


def tiny_units(n: int = 4, size: float = 1000.0) -> gpd.GeoDataFrame:
    """Generated test city: n squares of `size` m in a row near Berlin, ids 001…, EPSG:25833."""
    x0, y0 = 390_000.0, 5_820_000.0
    return gpd.GeoDataFrame(
        {"ID": [f"{i + 1:03d}" for i in range(n)], "NAME": [f"Quartier {i + 1}" for i in range(n)]},
        geometry=[box(x0 + i * size, y0, x0 + (i + 1) * size, y0 + size) for i in range(n)],
        crs="EPSG:25833",
    )


def tiny_config(tmp_path: Path, units: gpd.GeoDataFrame | None = None, csv: str | bytes | None = None,
                table: dict | None = None, units_extra: dict | None = None,
                language: str | None = None, **top):
    """Write units (GeoPackage) and one CSV into tmp_path and return the validated config
    (``language``: the city's, German by default)."""
    units = tiny_units() if units is None else units
    units.to_file(tmp_path / "units.gpkg", driver="GPKG")
    if csv is None:
        csv = "ID;EW;SGB2\n001;1000;10,5\n002;2000;20,0\n003;500;5,25\n004;800;12,0\n"
    data = csv.encode("utf-8") if isinstance(csv, str) else csv
    (tmp_path / "table.csv").write_bytes(data)
    tbl = {"name": "t", "path": "table.csv", "sep": ";", "decimal": ",", "key": "ID",
           "id_width": 3,
           "columns": {"EW": {"name": "ew"}, "SGB2": {"name": "share_sgb2_pct", "label": "SGB II"}}}
    tbl.update(table or {})
    raw = {
        "city": {"name": "Test (generated)", "crs": "EPSG:25833",
                 **({"language": language} if language else {})},
        "units": {"path": "units.gpkg", "id_column": "ID", "id_width": 3, "name_column": "NAME",
                  **(units_extra or {})},
        "tables": [tbl],
        "population_column": "ew",
        **top,
    }
    return parse_config(raw, tmp_path)


@pytest.fixture
def tiny(tmp_path):
    def make(**kwargs):
        cfg = tiny_config(tmp_path, **kwargs)
        return cfg, load_city(cfg)
    return make


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`quartier demo` run once for the whole session: (output folder, printed text)."""
    from typer.testing import CliRunner

    from quartier.cli import app

    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, res.output

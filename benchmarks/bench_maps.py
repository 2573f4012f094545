"""Benchmark: a map of Germany's 214,633 populated 1 km cells (Zensus 2011, vacancy rate) as
quartier draws it above ``mapbase.MAX_VECTOR_UNITS`` units (one PNG overlay per layer), against the
plain folium way (one GeoJSON feature with a tooltip per cell), timed on a 20,000-cell subset
and extrapolated linearly to all cells.

Cells: the real grid from ``../shared/data/germany_zensus2011_1km`` when it is there, else
214,633 GENERATED cells (seeded values) over Germany's extent. The combined map adds GENERATED
status classes, hot spots and flags (a smoothed random field; the top 15 % flagged).
Run: python benchmarks/bench_maps.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter
from shapely import box

from _common import report
from quartier.outputs import mapbase, maps

ZENSUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "germany_zensus2011_1km"
N_CELLS = 214_633
SUBSET = 20_000


def zensus_cells() -> tuple[gpd.GeoDataFrame, str]:
    """The populated 1 km cells with their vacancy rate (%; -1/-9, no data or suppressed, as
    missing), or GENERATED cells when the data is not there."""
    if (ZENSUS / "continuous_Einwohner.parquet").exists():
        pop = pd.read_parquet(ZENSUS / "continuous_Einwohner.parquet")
        vac = pd.read_parquet(ZENSUS / "continuous_Leerstandsquote.parquet")
        cells = pop[pop["Einwohner"] > 0].merge(vac, on=["x", "y"], how="left")
        value = cells["Leerstandsquote"].where(cells["Leerstandsquote"] >= 0)
        what = "Zensus 2011 grid"
    else:
        rng = np.random.default_rng(0)
        side = int(np.ceil(np.sqrt(N_CELLS)))
        i = np.arange(N_CELLS)
        cells = pd.DataFrame({"x": 4_030_500 + (i % side) * 1000, "y": 2_680_500 + (i // side) * 1000})
        value = pd.Series(rng.gamma(2.0, 2.0, N_CELLS)).where(rng.random(N_CELLS) > 0.15)
        what = "GENERATED grid"
    x, y = cells["x"].to_numpy(float), cells["y"].to_numpy(float)
    units = gpd.GeoDataFrame(
        {"unit_id": [f"1kmN{int(b)}E{int(a)}" for a, b in zip(x - 500, y - 500, strict=True)],
         "unit_name": "Gitterzelle", "vacancy_pct": value.to_numpy()},
        geometry=box(x - 500, y - 500, x + 500, y + 500), crs="EPSG:3035")
    return units, what


def generated_flags(units: gpd.GeoDataFrame) -> pd.DataFrame:
    """GENERATED flags over the cells: a smoothed random field on the 1 km grid, its top 15 %
    flagged, four status classes by quartile, hot spots above the 95th percentile."""
    b = units.geometry.bounds
    col = ((b["minx"] - b["minx"].min()) // 1000).astype(int).to_numpy()
    row = ((b["miny"] - b["miny"].min()) // 1000).astype(int).to_numpy()
    field = gaussian_filter(np.random.default_rng(1).standard_normal((row.max() + 1, col.max() + 1)), 6)
    score = field[row, col]
    status = pd.qcut(score, 4, labels=["hoch", "mittel", "niedrig", "sehr niedrig"]).astype(object)
    return pd.DataFrame({
        "status_class": status, "dynamics_class": "+", "priority_rank": np.arange(1, len(units) + 1),
        "reasons": "generiert", "flagged": score >= np.quantile(score, 0.85), "flag_reason": "Status",
        "hotspot": np.where(score >= np.quantile(score, 0.95), "Hot Spot", None), "lisa": None},
        index=units.index)


def plain_map(units: gpd.GeoDataFrame, path: Path) -> Path:
    """The plain way: quantile colours, one GeoJSON feature with a tooltip per cell."""
    web = units[["unit_id", "vacancy_pct", "geometry"]].to_crs(4326)
    cls = pd.qcut(web["vacancy_pct"], 5, labels=False, duplicates="drop")
    web["fill"] = [mapbase.YLORRD[2 * int(c)] if pd.notna(c) else mapbase.NO_DATA_COLOUR for c in cls]
    fmap = folium.Map(prefer_canvas=True)
    folium.GeoJson(web, style_function=lambda f: {"fillColor": f["properties"]["fill"],
                                                  "weight": 0.4, "fillOpacity": 0.7},
                   tooltip=folium.GeoJsonTooltip(["unit_id", "vacancy_pct"])).add_to(fmap)
    fmap.save(path)
    return path


def timed(fn) -> tuple[float, Path]:
    t0 = time.perf_counter()
    path = fn()
    return time.perf_counter() - t0, path


if __name__ == "__main__":
    units, what = zensus_cells()
    n = len(units)
    out = Path(tempfile.mkdtemp(prefix="bench_maps_"))
    scale = n / SUBSET
    plain_s, plain_path = timed(lambda: plain_map(units.iloc[:SUBSET], out / "plain.html"))
    plain_mb = plain_path.stat().st_size / 1e6

    ours_s, ours_path = timed(lambda: mapbase.save(
        maps.choropleth(units, "vacancy_pct", "Leerstandsquote (%)", values_in="units.csv"),
        out / "choropleth.html"))
    ours_mb = ours_path.stat().st_size / 1e6
    report(f"map {n:,} cells, 1 layer ({what})", ours_s, plain_s * scale,
           f"GeoJSON, {SUBSET:,} cells x{scale:.1f}")
    print(f"{'':<48} size quartier {ours_mb:6.1f} MB | plain {plain_mb * scale:6.1f} MB "
          f"({plain_mb:.1f} MB x{scale:.1f}) | ratio {plain_mb * scale / ours_mb:5.0f}")

    flags = generated_flags(units)
    all_s, all_path = timed(lambda: mapbase.save(
        maps.combined_map(units, flags, indicator=("vacancy_pct", "Leerstandsquote (%)")),
        out / "combined.html"))
    all_mb = all_path.stat().st_size / 1e6
    # the plain way: status, hot spots and indicator for all cells, outlines for the flagged ones
    layers = 3 + flags["flagged"].mean()
    report(f"combined map {n:,} cells ({int(flags['flagged'].sum()):,} flagged)", all_s,
           layers * plain_s * scale, f"{layers:.2f} GeoJSON layers, extrapolated")
    print(f"{'':<48} size quartier {all_mb:6.1f} MB | plain {layers * plain_mb * scale:6.1f} MB")
    assert ours_mb < 5 and all_mb < 20, (ours_mb, all_mb)

"""Gap detection for a whole federal state on a Dask distributed cluster.

The buildings become a dask-geopandas frame whose partitions are contiguous runs along a
Hilbert curve (spatially shuffled), so that each partition covers a compact area. The state is
cut into square core tiles; each tile is one task that reads the partitions overlapping the
tile plus a ``halo_m`` margin, the streets and excluded areas of that margin (broadcast once to
every worker), runs the single-machine detection, and keeps the candidates whose interior point
lies in its core. Core tiles are disjoint and cover the plane, so every candidate is reported
exactly once; with a halo wider than a street block, the result equals the single-machine
result (tested on Kaiserslautern).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

try:
    import dask
    import dask_geopandas
except ModuleNotFoundError as exc:  # an optional extra
    raise ModuleNotFoundError(f"{exc.name} is missing: gap detection on a Dask cluster needs "
                              "pip install 'quartier[dask]'", name=exc.name) from exc

from quartier.analysis.gaps import GAP_COLUMNS, detect_gaps
from quartier.config import GapsConfig
from quartier.io.gapdata import GapInputs


def core_tiles(bounds: tuple[float, float, float, float], tile_m: float) -> np.ndarray:
    """Square tiles of ``tile_m`` metres covering ``bounds`` (half-open: no point in two)."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(np.floor(x0 / tile_m) * tile_m, x1, tile_m)
    ys = np.arange(np.floor(y0 / tile_m) * tile_m, y1, tile_m)
    gx, gy = np.meshgrid(xs, ys)
    return shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + tile_m, gy.ravel() + tile_m)


def _in_core(points: np.ndarray, core: BaseGeometry) -> np.ndarray:
    x, y = shapely.get_coordinates(points).T
    minx, miny, maxx, maxy = core.bounds
    return (x >= minx) & (x < maxx) & (y >= miny) & (y < maxy)


def _extent(frame: gpd.GeoDataFrame) -> BaseGeometry:
    return shapely.box(*frame.total_bounds) if len(frame) else shapely.Polygon()


def _detect_tile(core: BaseGeometry, halo_m: float, buildings: list[gpd.GeoDataFrame],
                 shared: dict, g: GapsConfig) -> gpd.GeoDataFrame:
    window = core.buffer(halo_m, join_style="mitre")
    frame = pd.concat(buildings, ignore_index=True) if buildings else None
    empty = gpd.GeoDataFrame(columns=GAP_COLUMNS, geometry=[], crs=shared["crs"])
    if frame is None or frame.empty:
        return empty
    frame = gpd.GeoDataFrame(frame, crs=shared["crs"])
    frame = frame.iloc[frame.sindex.query(window, predicate="intersects")]
    if frame.empty:
        return empty

    def near(layer: gpd.GeoDataFrame | gpd.GeoSeries):
        return layer.iloc[layer.sindex.query(window, predicate="intersects")] if len(layer) else layer

    area = shapely.intersection(shared["area"], window)
    inp = GapInputs(buildings=frame.reset_index(drop=True), streets=near(shared["streets"]),
                    barriers=near(shared["barriers"]), excluded=near(shared["excluded"]),
                    area=area, green_raster=shared["green_raster"])
    found = detect_gaps(inp, g, threads=1)  # a worker process per core already
    return found[_in_core(shapely.point_on_surface(found.geometry.values), core)]


def detect_gaps_distributed(inp: GapInputs, g: GapsConfig, client, tile_m: float = 2000.0,
                            halo_m: float = 600.0, npartitions: int | None = None
                            ) -> gpd.GeoDataFrame:
    """The blocks method of :func:`quartier.gaps.detect_gaps` on a Dask cluster (see module
    docstring). ``client`` is a ``distributed.Client`` (a ``LocalCluster`` in tests)."""
    if inp.parcels is not None:
        raise NotImplementedError("distributed detection covers the blocks method; parcels: "
                                  "run detect_gaps per Gemeinde")
    crs = inp.buildings.crs
    # small partitions: a tile then pulls little beyond its window
    nparts = npartitions or max(2, len(inp.buildings) // 10_000)
    # spatially shuffled partitions: contiguous runs along the Hilbert curve (the ordering of
    # dask-geopandas' spatial_shuffle, computed here once instead of by a cluster-wide shuffle)
    order = np.argsort(inp.buildings.geometry.hilbert_distance(total_bounds=inp.area.bounds),
                       kind="stable")
    ordered = inp.buildings.iloc[order][["geometry"]].reset_index(drop=True)
    dgdf = client.persist(dask_geopandas.from_geopandas(ordered, npartitions=nparts, sort=False))
    # delayed handles on the persisted partitions: tasks reuse them, nothing is recomputed
    partitions = dgdf.to_delayed(optimize_graph=False)
    extents = client.gather(client.compute([dask.delayed(_extent)(p) for p in partitions]))
    shared = client.scatter({"crs": crs, "streets": inp.streets, "barriers": inp.barriers,
                             "excluded": inp.excluded, "area": inp.area,
                             "green_raster": inp.green_raster}, broadcast=True)
    tasks = []
    tree = shapely.STRtree(np.array(extents, dtype=object))
    for core in core_tiles(inp.area.bounds, tile_m):
        if not core.intersects(inp.area):
            continue
        parts = tree.query(core.buffer(halo_m, join_style="mitre"), predicate="intersects")
        if not len(parts):
            continue
        frames = [partitions[int(i)] for i in parts]
        tasks.append(dask.delayed(_detect_tile)(core, halo_m, frames, shared, g))
    results = client.gather(client.compute(tasks))
    found = [r for r in results if len(r)]
    if not found:
        return gpd.GeoDataFrame(columns=GAP_COLUMNS, geometry=[], crs=crs)
    out = gpd.GeoDataFrame(pd.concat(found, ignore_index=True), crs=crs)
    return out.drop_duplicates("gap_id").sort_values("gap_id").reset_index(drop=True)

"""Building gaps (Baulücken), under-used lots and brownfields from the data cities have.

Two methods, both vectorised with shapely and STRtree:

**Parcels + footprints** (ALKIS Flurstücke): footprints under ``min_building_m2`` are ignored;
a parcel's cover is the share of its area, shrunk by ``parcel_shrink_m`` (footprints and parcels
never line up exactly), covered by main buildings.

* P1 Baulücke: cover < ``parcel_min_cover``, area within limits, ≥ ``min_neighbours`` built
  neighbouring parcels (a gap in a built-up context);
* P2 untergenutzt: cover < ``underuse_ratio`` × the median cover of the neighbours;
* P3 Brachfläche: vacant and larger than ``max_gap_area_m2``.

**Blocks without parcels**: street blocks are polygonised from the street network (plus rails,
water and the study-area edge); the open space is the block minus the street space
(``street_buffer_m`` from the axis), minus buildings buffered by ``building_buffer_m``, minus
parks, water, rail, sports grounds, cemeteries (``exclude_classes``); strips narrower than
``min_width_m`` are removed by a morphological opening.

* B1 Baulücke: a piece with ≥ ``min_frontage_m`` of street frontage, a depth (area / frontage)
  of ≥ ``min_depth_m``, compactness ≥ ``min_compactness``, at most ``max_yard_share_gap`` of its
  edge along buildings, and ≥ ``min_neighbours`` main buildings *of the same block* within
  ``neighbour_m`` of that frontage — front gardens, verges, rail edges, traffic islands and
  forecourts fail one of these;
* B2 Brachfläche: a piece larger than ``max_gap_area_m2`` (up to ``max_area_m2``; beyond that
  it is open landscape) with street frontage and built neighbours.

``confidence`` (0–1) is the mean of: frontage (full at 20 m), built neighbours (full at 4),
compactness (``4πA/P²``, full at 0.6) and, with a green raster, ``1 − green share``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.windows import from_bounds
from shapely.geometry.base import BaseGeometry

from quartier import vocab
from quartier.config import GapsConfig, as_section
from quartier.errors import InputDataError, require_columns
from quartier.io.gapdata import GapInputs

GAP_COLUMNS = ["gap_id", "gap_type", "area_m2", "frontage_m", "rule", "confidence"]


def stable_id(geoms: np.ndarray, prefix: str = "G") -> np.ndarray:
    """Ids from the geometry itself: centroid rounded to 1 m and area to 1 m². The same lot gets
    the same id on every run, whatever the order of detection or the tiling, while vertex-level
    noise of unions done in another order (1e-4 m²) does not change it."""
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    area = shapely.area(geoms)
    keys = [f"{x:.0f}|{y:.0f}|{a:.0f}" for (x, y), a in zip(xy, area, strict=True)]
    return np.array([prefix + hashlib.sha1(k.encode()).hexdigest()[:10] for k in keys])


def main_buildings(buildings: gpd.GeoDataFrame, min_m2: float) -> gpd.GeoSeries:
    """Footprints of at least ``min_m2`` (sheds and garages below are ignored)."""
    return buildings.geometry[buildings.area >= min_m2]


def green_share(pieces: gpd.GeoSeries, raster: Path) -> np.ndarray:
    """Mean raster value (0–1) over each piece (cells touched); NaN outside the raster."""
    with rasterio.open(raster) as src:
        rcrs = pyproj.CRS.from_wkt(src.crs.to_wkt())
        local = pieces.to_crs(rcrs)
        window = from_bounds(*local.total_bounds, transform=src.transform).round_offsets().round_lengths()
        band = src.read(1, window=window, boundless=True, masked=True)
        transform = src.window_transform(window)
    ids = rasterize(((g, i + 1) for i, g in enumerate(local.values)), out_shape=band.shape,
                    transform=transform, fill=0, all_touched=True, dtype="int32")
    values = np.ma.filled(band.astype("float64"), np.nan)
    ok = (ids > 0) & np.isfinite(values) & (values >= 0) & (values <= 1)
    total = np.bincount(ids[ok], weights=values[ok], minlength=len(pieces) + 1)[1:]
    count = np.bincount(ids[ok], minlength=len(pieces) + 1)[1:]
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _confidence(frontage: np.ndarray, neighbours: np.ndarray, geoms: np.ndarray,
                green: np.ndarray | None) -> np.ndarray:
    compact = 4 * np.pi * shapely.area(geoms) / np.maximum(shapely.length(geoms) ** 2, 1e-9)
    parts = [np.clip(np.nan_to_num(frontage) / 20, 0, 1), np.clip(neighbours / 4, 0, 1),
             np.clip(compact / 0.6, 0, 1)]
    if green is not None:
        parts.append(1 - np.nan_to_num(green, nan=0.5))
    return np.asarray(np.round(np.mean(parts, axis=0), 3))


def _frontage(geoms: np.ndarray, street_parts: np.ndarray, band_m: float = 1.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Length (m) of each piece's edge along the street space, and that edge as lines.

    Measured as the area of the piece inside a ``band_m`` wide band around the street space,
    divided by ``band_m``: edges running away from the street add nothing, and a misalignment
    of up to ``band_m`` between piece and street is tolerated. Only the street parts near each
    piece are used (STRtree), never the city-wide street union.
    """
    local = local_union(shapely.buffer(geoms, band_m), street_parts)
    wide = shapely.buffer(local, band_m)
    length = (shapely.area(shapely.intersection(geoms, wide))
              - shapely.area(shapely.intersection(geoms, local))) / band_m
    return length, shapely.intersection(shapely.boundary(geoms), wide)


def _edge_share(pieces: np.ndarray, building_parts: np.ndarray, band_m: float = 1.0) -> np.ndarray:
    """Share of each piece's perimeter within ``band_m`` of the (buffered) buildings, i.e. inside
    the union of the building parts grown by ``band_m``: courtyards are high.

    Only the building parts within ``band_m`` of some piece are grown, and each piece's edge is
    cut with the union of the grown parts that reach it: the parts beyond add nothing to it.
    """
    edges = shapely.boundary(pieces)
    near = np.unique(shapely.STRtree(building_parts).query(edges, predicate="dwithin",
                                                           distance=band_m)[1])
    zone = local_union(edges, shapely.buffer(building_parts[near], band_m))
    along = shapely.length(shapely.intersection(edges, zone))
    return along / np.maximum(shapely.length(pieces), 1e-9)


def _block_of(points: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """Index of the block containing each point (-1 outside every block)."""
    out = np.full(len(points), -1)
    pi, bi = shapely.STRtree(blocks).query(points, predicate="within")
    out[pi] = bi
    return out


def _neighbours(probes: np.ndarray, buildings: np.ndarray, within_m: float,
                probe_block: np.ndarray | None = None, building_block: np.ndarray | None = None
                ) -> np.ndarray:
    """Buildings within ``within_m`` of each probe; with blocks, only those of the same block
    (a building across the street does not make a traffic island a Baulücke)."""
    hit, b = shapely.STRtree(buildings).query(probes, predicate="dwithin", distance=within_m)
    if probe_block is not None:
        if building_block is None:
            raise ValueError("_neighbours: probe_block needs building_block")
        same = probe_block[hit] == building_block[b]
        hit = hit[same]
    return np.bincount(hit, minlength=len(probes))


def street_blocks(streets: gpd.GeoDataFrame, barriers: gpd.GeoSeries, area: BaseGeometry,
                  classes: list[str]) -> np.ndarray:
    """Blocks: faces of the noded street (+ rail, water, study-area edge) network inside the area."""
    lines = list(streets.geometry[streets["cls"].isin(classes)].values)
    lines += list(shapely.boundary(barriers.values)) if len(barriers) else []
    lines.append(shapely.boundary(area))
    noded = shapely.union_all(shapely.get_parts(np.array(lines, dtype=object)))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.contains_xy(area, *shapely.get_coordinates(
        shapely.point_on_surface(faces)).T)]
    return faces


def _group_by_block(pairs: np.ndarray, n: int) -> list[np.ndarray]:
    """``(block, item)`` pairs of an STRtree query as one array of items per block."""
    bi, pi = pairs
    order = np.argsort(bi, kind="stable")
    return np.split(pi[order], np.searchsorted(bi[order], np.arange(1, n)))


def local_union(targets: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """For every target, the union of the ``parts`` that intersect it (STRtree), so that no
    operation ever touches a city-wide union: those cost minutes, local ones milliseconds."""
    groups = _group_by_block(shapely.STRtree(parts).query(targets, predicate="intersects"),
                             len(targets))
    return np.array([shapely.union_all(parts[g]) if len(g) else shapely.Polygon() for g in groups],
                    dtype=object)


def subtract_local(blocks: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """``block − ∪ pieces`` for every block, using only the pieces that touch it."""
    return shapely.difference(blocks, local_union(blocks, pieces))


def _stopwatch(timings: dict[str, float] | None) -> Callable[[str], None]:
    """``lap(step)`` adds the seconds since the previous lap to ``timings[step]``; does nothing
    without ``timings``."""
    if timings is None:
        return lambda step: None
    last = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        timings[step] = timings.get(step, 0.0) + now - last[0]
        last[0] = now

    return lap


def _per_block(cut: Callable[[np.ndarray], np.ndarray], n: int, threads: int) -> np.ndarray:
    """``cut(idx)``, one geometry for each of the blocks ``idx``, for all ``n`` blocks, on
    ``threads`` threads that take every ``threads``-th block (neighbouring blocks are alike in
    cost). GEOS releases the GIL, and every block is cut exactly as on one thread, so the result
    does not depend on ``threads``."""
    if threads <= 1:
        return cut(np.arange(n))
    chunks = [np.arange(k, n, threads) for k in range(threads)]
    out = np.empty(n, dtype=object)
    with ThreadPoolExecutor(threads) as pool:
        for idx, done in zip(chunks, pool.map(cut, chunks), strict=True):
            out[idx] = done
    return out


def detect_blocks(inp: GapInputs, g: GapsConfig, timings: dict[str, float] | None = None,
                  threads: int = 1) -> gpd.GeoDataFrame:
    """B1/B2 candidates from blocks minus street space, buildings and excluded land use.

    Frontage, built neighbours and yard share are measured only for the pieces that passed the
    tests before them, and blocks with fewer main buildings than ``min_neighbours`` are not cut
    at all (unless a green raster is given, see below): only candidates are reported, so the
    result is that of measuring every piece. ``timings``, if given, receives the seconds per
    step. Most of them go to GEOS overlays of the arcs of the buffered buildings: the open space
    (a union and a difference per block) and the opening (two mitre buffers, their repair and
    the intersection with the open space); these two steps run on ``threads`` threads, with the
    same result on any number.
    """
    lap = _stopwatch(timings)
    crs = inp.buildings.crs
    sel = inp.streets[inp.streets["cls"].isin(g.block_street_classes)]
    half_width = sel["cls"].map(g.street_buffers_m).fillna(g.street_buffer_m).to_numpy(dtype=float)
    street_parts = shapely.buffer(sel.geometry.values, half_width)
    mains = main_buildings(inp.buildings, g.min_building_m2).values
    building_parts = shapely.buffer(mains, g.building_buffer_m)
    blocking = [street_parts]
    if len(inp.excluded):
        blocking.append(shapely.make_valid(inp.excluded.values))
    if len(inp.barriers):
        lines = inp.barriers[~inp.barriers.geom_type.isin(["Polygon", "MultiPolygon"])]
        blocking.append(shapely.buffer(lines.values, g.barrier_buffer_m))
    blocked = np.concatenate(blocking)
    blocks = street_blocks(inp.streets, inp.barriers, inp.area, g.block_street_classes)
    building_block = _block_of(shapely.point_on_surface(mains), blocks)
    # a piece counts the main buildings of its own block: a block with fewer than
    # min_neighbours holds no candidate. With a green raster every piece is cut all the same:
    # green_share gives a raster cell touched by two pieces to the later one.
    busy = np.arange(len(blocks))
    if inp.green_raster is None:
        n_main = np.bincount(building_block[building_block >= 0], minlength=len(blocks))
        busy = np.flatnonzero(n_main >= g.min_neighbours)
    lap("buffers and blocks")
    # ∪ buffer(b) = buffer(∪ b): the footprints near a block are merged first and buffered once
    # (shared walls of terraced houses leave no arcs to overlay); the same open space within
    # 0.03 m² on Kaiserslautern, 20 % faster
    near = _group_by_block(shapely.STRtree(mains).query(
        blocks[busy], predicate="dwithin", distance=g.building_buffer_m), len(busy))

    def cut(k: np.ndarray) -> np.ndarray:
        around = shapely.buffer(np.array([shapely.union_all(mains[near[i]]) for i in k],
                                         dtype=object), g.building_buffer_m)
        return shapely.difference(subtract_local(blocks[busy[k]], blocked), around)

    space = _per_block(cut, len(busy), threads)
    lap("open space")
    half = g.min_width_m / 2

    def opening(k: np.ndarray) -> np.ndarray:
        opened = shapely.buffer(shapely.buffer(space[k], -half, join_style="mitre"), half,
                                join_style="mitre")
        # GEOS mitre buffers are not robust: near-collinear vertex noise left by the overlays
        # (e.g. footprints reprojected to another UTM zone) can give a self-intersecting result
        # (libgeos/geos#856) that the intersection below rejects. "structure" repairs it as the
        # union of its rings, which is what a buffer means; valid results keep their area. It is
        # applied to all: it also reorders the parts of valid ones, and the order of the pieces
        # decides which piece gets a raster cell they share in green_share.
        return shapely.intersection(shapely.make_valid(opened, method="structure"), space[k])

    pieces, at = shapely.get_parts(_per_block(opening, len(busy), threads), return_index=True)
    ok = (shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) >= g.min_area_m2)
    pieces, piece_block = pieces[ok], busy[at[ok]]
    lap("opening")
    if not len(pieces):
        return gpd.GeoDataFrame(columns=GAP_COLUMNS, geometry=[], crs=crs)
    area = shapely.area(pieces)
    compact = 4 * np.pi * area / np.maximum(shapely.length(pieces) ** 2, 1e-9)
    green = None
    if inp.green_raster:
        # over all pieces, in the order cut: a raster cell touched by two counts for the later one
        green = green_share(gpd.GeoSeries(pieces, crs=crs), inp.green_raster)
        lap("green share")
    run = (compact >= g.min_compactness) & (area <= max(g.max_gap_area_m2, g.max_area_m2))
    if green is not None:
        run &= ~(np.nan_to_num(green) > g.max_green_share)
    i = np.flatnonzero(run)
    frontage, front_lines = _frontage(pieces[i], street_parts)
    depth = area[i] / np.maximum(frontage, 1e-9)
    front = (frontage >= g.min_frontage_m) & (depth >= g.min_depth_m)
    i, frontage, front_lines, depth = i[front], frontage[front], front_lines[front], depth[front]
    lap("frontage")
    probe = np.where(frontage > 0, front_lines, pieces[i])
    n_nb = _neighbours(probe, mains, g.neighbour_m, piece_block[i], building_block)
    built = n_nb >= g.min_neighbours
    i, frontage, depth, n_nb = i[built], frontage[built], depth[built], n_nb[built]
    lap("neighbours")
    yard = _edge_share(pieces[i], building_parts)
    lap("yard")
    area = area[i]
    gap = (area <= g.max_gap_area_m2) & (yard <= g.max_yard_share_gap)
    brown = (area > g.max_gap_area_m2) & (area <= g.max_area_m2) & (yard <= g.max_yard_share)
    keep = gap | brown
    i, area, frontage, depth, n_nb, yard, gap = (x[keep] for x in (i, area, frontage, depth,
                                                                    n_nb, yard, gap))
    gr = green[i] if green is not None else None
    rule = np.where(gap, "B1", "B2")
    text = [vocab.note("gaps.block", rule=str(r), area=vocab.count(a), frontage=vocab.count(f),
                       depth=vocab.count(d), n=str(n), neighbour=vocab.num(g.neighbour_m, 0),
                       edge=vocab.num(100 * y, 0, unit="%"))
            + (vocab.note("gaps.green", share=vocab.num(100 * gs, 0, unit="%"))
               if gr is not None and np.isfinite(gs) else "")
            for r, a, f, d, n, y, gs in zip(rule, area, frontage, depth, n_nb, yard,
                                             gr if gr is not None else np.zeros(len(area)),
                                             strict=True)]
    out = gpd.GeoDataFrame({"gap_type": np.where(gap, "Baulücke", "Brachfläche"),
                            "area_m2": np.round(area, 1), "frontage_m": np.round(frontage, 1),
                            "rule": np.array(text, dtype=object),
                            "confidence": _confidence(frontage, n_nb, pieces[i], gr),
                            "n_neighbours": n_nb, "depth_m": np.round(depth, 1),
                            "yard_share": np.round(yard, 2),
                            "green_share": gr if gr is not None else np.nan},
                           geometry=pieces[i], crs=crs)
    out = _finish(out)
    lap("output")
    return out


def detect_parcels(inp: GapInputs, g: GapsConfig) -> gpd.GeoDataFrame:
    """P1/P2/P3 candidates from parcels and building footprints (see module docstring)."""
    if inp.parcels is None:
        raise InputDataError("gaps: parcel detection needs gaps.parcels")
    parcels = inp.parcels.reset_index(drop=True)
    crs = parcels.crs
    geoms = parcels.geometry.values
    area = shapely.area(geoms)
    core = shapely.buffer(geoms, -g.parcel_shrink_m)
    mains = main_buildings(inp.buildings, g.min_building_m2).values
    tree = shapely.STRtree(mains)
    pi, bi = tree.query(core, predicate="intersects")
    covered = np.bincount(pi, weights=shapely.area(shapely.intersection(core[pi], mains[bi])),
                          minlength=len(parcels))
    cover = covered / np.maximum(shapely.area(core), 1e-9)
    built = cover >= g.parcel_min_cover
    ptree = shapely.STRtree(geoms)
    a, b = ptree.query(geoms, predicate="dwithin", distance=1.0)
    pairs = pd.DataFrame({"a": a, "b": b})[a != b]
    pairs["b_built"] = built[pairs["b"]]
    pairs["b_cover"] = cover[pairs["b"]]
    n_built_nb = pairs.groupby("a")["b_built"].sum().reindex(range(len(parcels)), fill_value=0)
    nb_cover = pairs.groupby("a")["b_cover"].median().reindex(range(len(parcels))).to_numpy()
    n_built_nb = n_built_nb.to_numpy().astype(int)
    excluded = np.zeros(len(parcels), dtype=bool)
    if len(inp.excluded):
        ex = shapely.union_all(shapely.make_valid(inp.excluded.values))
        excluded = shapely.area(shapely.intersection(geoms, ex)) >= 0.5 * area
    if len(inp.streets):
        half = inp.streets["cls"].map(g.street_buffers_m).fillna(g.street_buffer_m).to_numpy(float)
        frontage, _ = _frontage(geoms, shapely.buffer(inp.streets.geometry.values, half))
    else:
        frontage = np.full(len(parcels), np.nan)
    ok_size = (area >= g.min_area_m2) & ~excluded
    p1 = ~built & ok_size & (area <= g.max_gap_area_m2) & (n_built_nb >= g.min_neighbours)
    p3 = ~built & ok_size & (area > g.max_gap_area_m2) & (area <= g.max_area_m2)
    p2 = built & ok_size & (nb_cover >= 0.25) & (cover < g.underuse_ratio * np.nan_to_num(nb_cover))
    gtype = np.select([p1, p2, p3], ["Baulücke", "untergenutzt", "Brachfläche"], "")
    rule = np.select([p1, p2, p3], ["P1", "P2", "P3"], "")
    text = [vocab.note("gaps.parcel", rule=str(r), area=vocab.count(a),
                       cover=vocab.num(100 * c, 0, unit="%"),
                       neighbours=vocab.num(100 * nc, 0, unit="%"), n=str(n))
            for r, a, c, nc, n in
            zip(rule, area, cover, np.nan_to_num(nb_cover), n_built_nb, strict=True)]
    green = green_share(parcels.geometry, inp.green_raster) if inp.green_raster else None
    conf = _confidence(frontage, n_built_nb, geoms, green)
    keep = gtype != ""
    out = gpd.GeoDataFrame({"gap_type": gtype, "area_m2": np.round(area, 1),
                            "frontage_m": np.round(frontage, 1), "rule": np.array(text, dtype=object),
                            "confidence": conf, "n_neighbours": n_built_nb,
                            "cover_pct": np.round(100 * cover, 1)}, geometry=geoms, crs=crs)
    if g.parcels_id_column and g.parcels_id_column in parcels:
        out["parcel_id"] = parcels[g.parcels_id_column].astype("string")
    return _finish(out[keep])


def _check_gap_inputs(inp: GapInputs) -> None:
    require_columns(inp.streets, ["cls"], "detect_gaps: streets",
                    "street class (e.g. OSM highway, renamed to 'cls')")
    layers = {"buildings": inp.buildings, "streets": inp.streets}
    if inp.parcels is not None:
        layers["parcels"] = inp.parcels
    crs = {name: layer.crs for name, layer in layers.items()}
    if len({str(c) for c in crs.values()}) > 1:
        raise InputDataError(f"detect_gaps: the layers are in different CRSs ({crs}); "
                             "reproject them to the city's metric CRS first")
    first = next(iter(crs.values()))
    if first is None or not first.is_projected:
        raise InputDataError(f"detect_gaps: the layers are in {first}, not a metric CRS; "
                             "reproject them (e.g. EPSG:25832 or 25833) first")


def _finish(out: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = out.copy()
    out.insert(0, "gap_id", stable_id(out.geometry.values))
    out = out.drop_duplicates("gap_id")
    return out.sort_values("gap_id").reset_index(drop=True)


def detect_gaps(inputs: GapInputs, gaps: GapsConfig | Mapping[str, Any], *,
                timings: dict[str, float] | None = None, threads: int | None = None
                ) -> gpd.GeoDataFrame:
    """Gap candidates from parcels where given, else from street blocks (see the module
    docstring for the rules P1–P3 and B1–B2 and the confidence formula).

    Parameters
    ----------
    inputs : GapInputs
        Buildings (polygons), streets (lines with ``cls``, the street class such as OSM's
        ``highway``), barriers, excluded land, the study area and optionally parcels and a
        green raster, all in one metric CRS (:func:`quartier.io.gapdata.read_gap_inputs` reads
        them from the ``[gaps]`` files).
    gaps : GapsConfig or dict
        The ``[gaps]`` section: the thresholds of the rules (m, m²).
    timings : dict, optional
        Filled with the seconds each step of the blocks method took.
    threads : int, optional
        Threads for cutting the street blocks; default ``gaps.threads``, else the machine's
        cores, at most 4.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate, sorted by ``gap_id`` (a stable hash of the geometry):
        ``gap_type`` (Baulücke, untergenutzt, Brachfläche), ``area_m2``, ``frontage_m``,
        ``rule`` (which rule and measures), ``confidence`` (0–1) and the measures.

    Raises
    ------
    InputDataError
        If ``streets`` lacks ``cls``, the layers' CRSs differ or are not metric.

    Examples
    --------
    Nine blocks, each with one 20 m gap between its third and fourth house:

    >>> from quartier.testing import tiny_blocks
    >>> found = detect_gaps(tiny_blocks(), {})
    >>> found["gap_type"].value_counts().to_dict(), round(float(found["area_m2"].iloc[0]), 1)
    ({'Baulücke': 9}, 324.5)
    """
    g = as_section(gaps, GapsConfig, "detect_gaps")
    inp = inputs
    _check_gap_inputs(inp)
    if inp.parcels is not None:
        return detect_parcels(inp, g)
    threads = threads or g.threads or min(os.cpu_count() or 1, 4)
    return detect_blocks(inp, g, timings, threads)

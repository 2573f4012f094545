"""Points of interest from the config: vector files, CSV, Overpass JSON, OSM XML.

Every layer is mapped to one category and brought into the city's metric CRS. Problems are
warnings with counts, never silent: missing coordinates, swapped lat/lon, points far outside the
city, empty categories. The same facility found in two sources is counted once
(:func:`deduplicate`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from rasterio.features import rasterize
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from quartier import vocab
from quartier.config import PoiLayer
from quartier.errors import ConfigError, InputDataError, require_columns, rows_preview
from quartier.io.readers import read_csv_text
from quartier.io.vector import match_tags, read_osm_layer, read_vector

#: POIs further than this outside the city are dropped; closer ones still serve border residents.
BORDER_M = 2000.0


@dataclass
class PoiReport:
    """Counts per layer: read, without coordinates, swapped, outside, duplicates dropped."""

    rows: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def _raster_patches(path, layer: PoiLayer, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cell centres of connected raster patches (8-neighbourhood) with value ≥ raster_min_value
    and area ≥ raster_min_area_m2, e.g. green spaces from a green-share raster.

    Cells further than :data:`BORDER_M` from the units are left out on the grid itself (a
    Euclidean distance transform), which is far cheaper than testing each cell against polygons.
    """
    if layer.raster_min_value is None:
        raise InputDataError(f"{path}: a raster POI layer needs raster_min_value")
    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
        t, crs = src.transform, pyproj.CRS.from_wkt(src.crs.to_wkt())
    in_city = rasterize(units.to_crs(crs).geometry.values, out_shape=band.shape, transform=t,
                        fill=0, default_value=1, all_touched=True, dtype="uint8")
    near_city = ndimage.distance_transform_edt(in_city == 0, sampling=(abs(t.e), abs(t.a))) <= BORDER_M
    hit = np.ma.filled(band >= layer.raster_min_value, False) & near_city
    patches, n = ndimage.label(hit, structure=np.ones((3, 3)))
    cell_m2 = abs(t.a * t.e)
    sizes = np.bincount(patches.ravel(), minlength=n + 1) * cell_m2
    big = sizes >= layer.raster_min_area_m2
    big[0] = False
    rows, cols = np.nonzero(big[patches])
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    return gpd.GeoDataFrame({"patch": patches[rows, cols], "_inside": in_city[rows, cols] == 1},
                            geometry=gpd.points_from_xy(x, y), crs=crs)


def _read_overpass(path: Path, layer: PoiLayer) -> pd.DataFrame | None:
    """The elements of an Overpass JSON answer as rows (tags as columns, ways and relations at
    their centre), filtered by the layer's tags; None for a valid answer without elements."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        elements = doc["elements"] if isinstance(doc, dict) else doc
        if not isinstance(elements, list):
            raise TypeError("elements is not a list")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, KeyError, TypeError) as exc:
        raise InputDataError(f"{path}: not Overpass JSON with 'elements' ({type(exc).__name__}: "
                             f"{str(exc)[:200]})") from None
    bad = [i for i, el in enumerate(elements) if not _overpass_element(el)]
    if bad:
        raise InputDataError(
            f"{path}: not Overpass JSON: elements {rows_preview(bad)} (0-based) are not "
            "objects with numeric lat/lon (or center) and a tags object (e.g. "
            f"{json.dumps(elements[bad[0]])[:80]}); export again with `[out:json]` and "
            "`out center;`")
    if not elements:
        # a valid answer without a match: the category stays empty (read_poi_layer says so)
        return None
    df = pd.json_normalize(elements)
    df.columns = [c.removeprefix("tags.") for c in df.columns]
    # ways and relations come with `out center`: their point is the centre
    for axis in ("lat", "lon"):
        if f"center.{axis}" in df:
            df[axis] = df.get(axis, pd.Series(np.nan, index=df.index)).fillna(df[f"center.{axis}"])
    if layer.osm_tags:
        df = df[match_tags(df, layer.osm_tags)]
    return df


def _read_raw(layer: PoiLayer, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    path = layer.path
    if not path.exists():
        raise InputDataError(f"{path}: POI file not found (pois category {layer.category!r})")
    what = f"pois category {layer.category!r}"
    if layer.format == "vector":
        return read_vector(path, what, layer.layer, crs=layer.crs, crs_key="crs of this POI layer")[0]
    if layer.format == "raster":
        return _raster_patches(path, layer, units)
    if layer.format == "osm":
        parts = []
        for lyr in ("points", "multipolygons"):
            df = read_osm_layer(path, lyr, what)
            parts.append(df[match_tags(df, layer.osm_tags)])
        gdf = pd.concat(parts, ignore_index=True)
        return gpd.GeoDataFrame(gdf, geometry="geometry", crs=4326)
    if layer.format == "overpass":
        df = _read_overpass(path, layer)
        if df is None:  # a valid answer without a match: the category stays empty
            return gpd.GeoDataFrame({"lon": [], "lat": []}, geometry=[], crs=layer.crs or 4326)
        x, y = layer.x or "lon", layer.y or "lat"
    else:
        if layer.x is None or layer.y is None:   # excluded by PoiLayer._csv_needs_xy
            raise ConfigError(f"POI layer {layer.category!r}: format 'csv' needs x and y")
        x, y = layer.x, layer.y
        used = [x, y, *([layer.name_column] if layer.name_column else []),
                *([layer.filter_column] if layer.filter_column else [])]
        df = read_csv_text(path, None, "auto", used).df
    require_columns(df, [x, y], str(path), "coordinate")
    xs = pd.to_numeric(df[x].astype("string").str.replace(",", ".", regex=False), errors="coerce")
    ys = pd.to_numeric(df[y].astype("string").str.replace(",", ".", regex=False), errors="coerce")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs=layer.crs or 4326)


def _overpass_element(el: object) -> bool:
    """An Overpass element: an object whose tags (if any) are an object and whose coordinates
    (lat/lon, or a way's or relation's center) are numbers."""
    if not isinstance(el, dict) or not isinstance(el.get("tags", {}), dict):
        return False
    center = el.get("center", {})
    if not isinstance(center, dict):
        return False
    coords = [el.get("lat"), el.get("lon"), center.get("lat"), center.get("lon")]
    return all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
               for v in coords)


def distance_to_city(points: gpd.GeoSeries, city: shapely.STRtree) -> pd.Series:
    """Distance (m) of each point to the nearest unit: 0 inside, ``inf`` beyond ``BORDER_M``
    (STRtree over the units; the search is cut at the border zone, which keeps it fast)."""
    dist = np.zeros(len(points))
    if not len(points):
        return pd.Series(dist, index=points.index)
    inside = np.zeros(len(points), dtype=bool)
    inside[city.query(points.values, predicate="intersects")[0]] = True
    outside = np.flatnonzero(~inside)
    if len(outside):
        dist[outside] = np.inf
        (i, _), d = city.query_nearest(points.values[outside], max_distance=BORDER_M,
                                       return_distance=True, all_matches=False)
        dist[outside[i]] = d
    return pd.Series(dist, index=points.index)


def read_poi_layer(
    layer: PoiLayer, units: gpd.GeoDataFrame, city: shapely.STRtree, report: PoiReport, *,
    dedup_m: float = 50.0, labels: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """One layer as points in the units' CRS (the city's) with ``category``, ``name``,
    ``source``, ``rank``, ``weight``; points of one facility within ``dedup_m`` metres merged
    where the layer says so; problems go to ``report``."""
    raw = _read_raw(layer, units)
    crs = units.crs
    label = f"{vocab.category(layer.category, labels or {})} ({layer.path.name})"
    if not len(raw):
        report.warnings.append(vocab.note("pois.empty", label=label))
    row = {"category": layer.category, "file": layer.path.name, "source": layer.source,
           "read": len(raw)}
    if layer.filter_column:
        require_columns(raw, [layer.filter_column], str(layer.path), "filter")
        raw = raw[raw[layer.filter_column].isin(layer.filter_values)]
        row["after_filter"] = len(raw)
    geom = raw.geometry
    no_coords = geom.isna() | geom.is_empty | ~np.isfinite(geom.bounds.to_numpy()).all(axis=1)
    row["no_coordinates"] = int(no_coords.sum())
    if no_coords.any():
        report.warnings.append(vocab.note("pois.no_coordinates", label=label,
                                          n=int(no_coords.sum())))
    raw = raw[~no_coords]
    # areas (OSM polygons) and multipoints become one point each
    pts = raw.geometry.where(raw.geom_type == "Point", raw.geometry.representative_point())
    raw = raw.set_geometry(pts)

    swapped = 0
    if raw.crs is not None and raw.crs.is_geographic and len(raw):
        xy = shapely.get_coordinates(raw.geometry.values)
        flipped = gpd.GeoSeries(gpd.points_from_xy(xy[:, 1], xy[:, 0]), crs=raw.crs)
        outside = distance_to_city(raw.geometry.to_crs(crs), city) > BORDER_M
        inside_flipped = distance_to_city(flipped.to_crs(crs), city) <= BORDER_M
        fix = outside.to_numpy() & inside_flipped.to_numpy()
        swapped = int(fix.sum())
        if swapped:
            raw = raw.set_geometry(np.where(fix, flipped.values, raw.geometry.values))
            report.warnings.append(vocab.note("pois.swapped", label=label, n=swapped))
    row["swapped_fixed"] = swapped

    pts = raw.geometry.to_crs(crs)
    # raster cells are already limited to the border zone; only their inside flag is needed
    dist = (pd.Series(np.where(raw["_inside"], 0.0, 1.0), index=raw.index) if "_inside" in raw
            else distance_to_city(pts, city))
    far = dist > BORDER_M
    outside = (dist > 0) & ~far
    row["outside_kept"] = int(outside.sum())
    row["outside_dropped"] = int(far.sum())
    if far.any():
        report.warnings.append(vocab.note("pois.far", label=label, n=int(far.sum()),
                                          d=int(BORDER_M)))
    keep = ~far
    name = (raw[layer.name_column].astype("string") if layer.name_column and layer.name_column in raw
            else pd.Series(pd.NA, index=raw.index, dtype="string"))
    out = gpd.GeoDataFrame({"category": layer.category, "name": name[keep].to_numpy(),
                            "source": layer.source or layer.path.name, "rank": layer.rank,
                            "weight": layer.weight}, geometry=pts[keep].to_numpy(), crs=crs)
    if layer.merge_within and len(out):
        before = len(out)
        out = merge_close(out, dedup_m)
        row["merged"] = before - len(out)
    row["kept"] = len(out)
    report.rows.append(row)
    return out


def merge_close(points: gpd.GeoDataFrame, within_m: float) -> gpd.GeoDataFrame:
    """One point per group of points chained within ``within_m`` metres (the platforms and poles
    of one station): connected components of the neighbour graph, first point kept."""
    xy = shapely.get_coordinates(points.geometry.values)
    pairs = cKDTree(xy).query_pairs(within_m, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy), len(xy)))
    _, component = connected_components(graph, directed=False)
    first = ~pd.Series(component).duplicated().to_numpy()
    return points[first].reset_index(drop=True)


def deduplicate(pois: gpd.GeoDataFrame, within_m: float) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Count a facility found in several sources once.

    Within a category, a point of a higher ``rank`` (worse source) is dropped when a point of a
    lower rank lies within ``within_m`` metres. Points of the same rank are all kept (two Kitas in
    one building are two Kitas). Returns the kept points and the number dropped per category.
    """
    keep = np.ones(len(pois), dtype=bool)
    xy = shapely.get_coordinates(pois.geometry.values)
    cat = pois["category"].to_numpy()
    rank = pois["rank"].to_numpy()
    for c in np.unique(cat):
        in_cat = np.flatnonzero(cat == c)
        for r in np.unique(rank[in_cat])[1:]:
            better = in_cat[(rank[in_cat] < r) & keep[in_cat]]
            worse = in_cat[rank[in_cat] == r]
            if not len(better):
                continue
            d, _ = cKDTree(xy[better]).query(xy[worse], distance_upper_bound=within_m)
            keep[worse[np.isfinite(d)]] = False
    dropped = pd.Series(cat[~keep]).value_counts()
    return pois[keep].reset_index(drop=True), dropped


def load_pois(layers: list[PoiLayer], units: gpd.GeoDataFrame, *, dedup_m: float = 50.0,
              categories: list[str] | None = None, labels: Mapping[str, str] | None = None
              ) -> tuple[gpd.GeoDataFrame, PoiReport]:
    """All POI layers, deduplicated, in the units' CRS (the city's).

    Parameters
    ----------
    layers : list of PoiLayer
        The ``[[pois]]`` layers (files, formats, categories, OSM tags).
    units : GeoDataFrame
        The units in the city's metric CRS: points more than 2 km outside them are dropped.
    dedup_m : float
        The same facility from two sources within this distance (m) is counted once.
    categories : list of str, optional
        The categories the access measures: one without any POI is said in the report.
    labels : mapping of str to str, optional
        Category → label for the report's notes (default: the vocabulary's).
    """
    report = PoiReport()
    if not layers:
        raise InputDataError("the config has no [[pois]] layers")
    city = shapely.STRtree(units.geometry.values)
    labels = dict(labels or {})
    read = [read_poi_layer(layer, units, city, report, dedup_m=dedup_m, labels=labels)
            for layer in layers]
    pois = gpd.GeoDataFrame(pd.concat(read, ignore_index=True), crs=units.crs)
    pois, dropped = deduplicate(pois, dedup_m)
    for c, n in dropped.items():
        report.warnings.append(vocab.note("pois.dedup", label=vocab.category(c, labels), n=int(n),
                                          d=int(dedup_m) if float(dedup_m).is_integer()
                                          else float(dedup_m)))
    wanted = set(categories or [])
    for c in sorted(wanted - set(pois["category"])):
        report.warnings.append(vocab.note("pois.no_pois", label=vocab.category(c, labels)))
    return pois, report

"""The inputs of building-gap detection as files give them: buildings, streets, barriers, land use,
the study area, parcels and a green raster, in one metric CRS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from quartier.config import GapsConfig
from quartier.errors import InputDataError
from quartier.io.crs import check_distances_preserved
from quartier.io.vector import osm_tag, read_osm_layer, read_vector


@dataclass
class GapInputs:
    """Everything detection reads, in one metric CRS."""

    buildings: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    barriers: gpd.GeoSeries
    excluded: gpd.GeoSeries
    area: BaseGeometry
    parcels: gpd.GeoDataFrame | None = None
    green_raster: Path | None = None


def _read(path: Path, layer: str | None, crs: str) -> gpd.GeoDataFrame:
    return read_vector(path, "gaps section of the config", layer, on_invalid="fix")[0].to_crs(crs)


def _osm(path: Path, layer: str) -> gpd.GeoDataFrame:
    return read_osm_layer(path, layer, "gaps.osm")


def read_gap_inputs(g: GapsConfig, *, crs: str, max_scale_error_pct: float = 0.5) -> GapInputs:
    """Read buildings, streets, barriers, excluded land use and the study area for detection."""
    if g is None:
        raise InputDataError("the config has no [gaps] section")
    crs = g.crs or crs
    if g.osm is not None:
        path = g.osm
        if not path.exists():
            raise InputDataError(f"{path}: OSM file not found (gaps.osm)")

        mp = _osm(path, "multipolygons").to_crs(crs)
        buildings = mp[mp["building"].notna()][["building", "geometry"]]
        lines = _osm(path, "lines").to_crs(crs)
        streets = lines[lines["highway"].notna()].rename(columns={"highway": "cls"})
        rail = osm_tag(lines, "railway").isin(["rail", "light_rail", "tram", "subway"])
        water_lines = lines["waterway"].isin(["river", "canal"]) if "waterway" in lines else False
        barriers = lines.geometry[rail.fillna(False) | water_lines]
        classes = pd.concat([mp.get("landuse"), mp.get("leisure"), osm_tag(mp, "natural"),
                             osm_tag(mp, "amenity")], axis=1)
        # squares and pedestrian areas are mapped as highway areas
        square = mp["highway"].notna() if "highway" in mp else osm_tag(mp, "highway").notna()
        excluded = mp.geometry[(classes.isin(g.exclude_classes).any(axis=1) | square)
                               & mp["building"].isna()]
    else:
        if g.buildings is None or g.streets is None:
            raise InputDataError("gaps needs either osm = … or both buildings and streets")
        buildings = _read(g.buildings, g.buildings_layer, crs)
        streets = _read(g.streets, g.streets_layer, crs)
        if g.street_class_column not in streets:
            raise InputDataError(f"{g.streets}: column {g.street_class_column!r} not found; "
                                 f"available: {', '.join(streets.columns)}")
        streets = streets.rename(columns={g.street_class_column: "cls"})
        barriers = gpd.GeoSeries(pd.concat([_read(p, None, crs).geometry
                                            for p in g.barriers]) if g.barriers else [], crs=crs)
        excluded = gpd.GeoSeries([], crs=crs)
        if g.landuse is not None:
            lu = _read(g.landuse, None, crs)
            excluded = lu.geometry[lu[g.landuse_class_column].isin(g.exclude_classes)]
        # water/rail areas among the barriers are excluded as a whole, not only their edges
        areas = barriers[barriers.geom_type.isin(["Polygon", "MultiPolygon"])]
        excluded = gpd.GeoSeries(pd.concat([excluded, areas]), crs=crs)
    buildings = buildings[buildings.geometry.notna() & ~buildings.geometry.is_empty]
    not_area = ~buildings.geom_type.isin(["Polygon", "MultiPolygon"])
    if not_area.all() and len(buildings):
        kinds = ", ".join(sorted(set(buildings.geom_type)))
        raise InputDataError(f"gaps: the buildings are {kinds}, not footprints (polygons): a gap "
                             "is found between footprints; give the building polygons (ALKIS, OSM)")
    buildings = buildings[~not_area]
    if buildings.empty:
        raise InputDataError("gaps: no building footprints found")
    # gaps.crs may differ from city.crs: it must preserve distances where the buildings are
    check_distances_preserved(crs, tuple(buildings.to_crs(4326).total_bounds),
                              max_scale_error_pct, "gaps.crs" if g.crs else "city.crs")
    invalid = ~buildings.geometry.is_valid
    if invalid.any():
        buildings = buildings.copy()
        buildings.loc[invalid, "geometry"] = shapely.make_valid(buildings.geometry[invalid].values)
        buildings = buildings[buildings.geom_type.isin(["Polygon", "MultiPolygon"])]
    if g.area is not None:
        area = _read(g.area, None, crs).geometry.union_all()
        if area is None or area.is_empty or area.area == 0:
            raise InputDataError(f"{g.area}: the study area (gaps.area) holds no polygon")
    else:
        area = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(
            buildings.geometry.values)))
    parcels = _read(g.parcels, None, crs) if g.parcels else None
    green = g.green_raster if g.green_raster else None
    return GapInputs(buildings=buildings.reset_index(drop=True), streets=streets, barriers=barriers,
                     excluded=excluded, area=area, parcels=parcels, green_raster=green)

"""Coordinate reference systems: is a layer where its CRS says, and does a CRS keep distances
at the city?"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj

from quartier.errors import InputDataError

#: Geographic margin (degrees) around the target CRS's area of use accepted by the bounds check.
BOUNDS_MARGIN_DEG = 3.0


def check_bounds(gdf: gpd.GeoDataFrame, target_crs: str, source: str,
                 hint: str = " Check the file's CRS (units.crs) or the city's crs.") -> None:
    """Fail when the units do not lie where the target CRS is meant to be used; ``hint`` says
    which config keys to check."""
    aou = pyproj.CRS.from_user_input(target_crs).area_of_use
    if aou is None:
        return
    to_lonlat = pyproj.Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
    minx, miny, maxx, maxy = to_lonlat.transform_bounds(*gdf.total_bounds)
    west, south = aou.west - BOUNDS_MARGIN_DEG, aou.south - BOUNDS_MARGIN_DEG
    east, north = aou.east + BOUNDS_MARGIN_DEG, aou.north + BOUNDS_MARGIN_DEG

    def inside(x0: float, y0: float, x1: float, y1: float) -> bool:
        return west <= x0 and x1 <= east and south <= y0 and y1 <= north

    if inside(minx, miny, maxx, maxy):
        return
    msg = (
        f"{source}: the units lie at lon {minx:.3f}…{maxx:.3f}, lat {miny:.3f}…{maxy:.3f}, "
        f"outside the area of use of {target_crs} ({aou.name})."
    )
    if inside(miny, minx, maxy, maxx):
        msg += " The coordinates look swapped (lat, lon): set units.swap_axes = true."
    else:
        msg += hint
    raise InputDataError(msg)


def scale_error_pct(crs: str | pyproj.CRS, lonlat_bounds: tuple[float, float, float, float]) -> float:
    """Largest distance distortion (%) of a projected CRS over an area: ``|k − 1|`` of the
    meridional and parallel scale factors ``k`` at the corners and centre of the bounds."""
    proj = pyproj.Proj(pyproj.CRS.from_user_input(crs))
    west, south, east, north = lonlat_bounds
    lon = np.array([west, east, west, east, (west + east) / 2])
    lat = np.array([south, south, north, north, (south + north) / 2])
    f = proj.get_factors(lon, lat)
    err = np.maximum(np.abs(np.asarray(f.meridional_scale) - 1), np.abs(np.asarray(f.parallel_scale) - 1))
    return float(np.nanmax(err) * 100) if np.isfinite(err).any() else float("inf")


def check_distances_preserved(crs: str, lonlat_bounds: tuple[float, float, float, float],
                              limit_pct: float, what: str) -> None:
    """Refuse a CRS that distorts distances at the city by more than ``limit_pct`` percent."""
    err = scale_error_pct(crs, lonlat_bounds)
    if err > limit_pct:
        raise InputDataError(
            f"{what} = {crs!r} stretches distances and areas by up to {err:.1f} % at the city "
            f"(quartier accepts {limit_pct:g} %): every distance in metres would be wrong. Use "
            "ETRS89/UTM (EPSG:25832 west of 12° E, EPSG:25833 east) or Gauß-Krüger; to accept "
            "the distortion deliberately, raise city.max_scale_error_pct")

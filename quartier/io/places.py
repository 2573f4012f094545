"""Place names for units that have none (census grid cells): the polygon (Gemeinde) that holds
each unit's centre and the larger area above it (Kreis), from a boundary file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.errors import ConfigError, InputDataError
from quartier.io.units import repair_geometries
from quartier.io.vector import GEOPARQUET_SUFFIXES, layer_names, read_vector

#: The columns :func:`place_names` adds to the units (and the priority table carries).
PLACE_COLUMNS = ("place_name", "place_group")

#: A centre outside every polygon (a coastal cell over the sea, a gap left by simplified
#: boundaries) is named by the nearest polygon up to this distance (m): one 1-km cell.
NEAREST_PLACE_M = 1000.0


def place_names(units: gpd.GeoDataFrame, path: Path, name_column: str, *,
                group_column: str | None = None, layer: str | None = None,
                crs: str | None = None, max_distance_m: float = NEAREST_PLACE_M,
                what: str = "report.place_names") -> tuple[pd.DataFrame, list[str]]:
    """The place holding each unit's centre, and its larger area.

    A unit's representative point (inside the unit) is joined to the polygons of ``path``
    (``within``); a point outside all polygons takes the nearest polygon up to
    ``max_distance_m`` metres; beyond, the unit has no place name (missing, and said).

    Parameters
    ----------
    units : GeoDataFrame
        The units, in a metric CRS.
    path : Path
        Polygons with names (GeoPackage, Shapefile, GeoJSON, GeoParquet), e.g. the Gemeinden
        of the BKG's VG250.
    name_column, group_column : str
        The place's name (``GEN``) and, optionally, its larger area's (the Kreis).
    layer, crs : str, optional
        The file's layer; its CRS where it declares none.
    max_distance_m : float
        How far (m) a centre outside every polygon may be from the one that names it.
    what : str
        The config key named in errors.

    Returns
    -------
    names : DataFrame
        Indexed like ``units``: ``place_name`` and ``place_group`` (string, missing where no
        place holds the unit).
    notes : list of str
        What was named by the nearest polygon and what stayed unnamed.

    Examples
    --------
    Two places split the generated tiny city (3 × 3 km) at x = 391,500 m:

    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from quartier.testing import tiny_city
    >>> city = tiny_city()
    >>> places = gpd.GeoDataFrame({"GEN": ["Westdorf", "Oststadt"], "KREIS": ["Kreis A", "Kreis A"]},
    ...                           geometry=[box(390_000, 5_815_000, 391_500, 5_818_000),
    ...                                     box(391_500, 5_815_000, 393_000, 5_818_000)],
    ...                           crs=city.crs)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "places.gpkg"
    >>> places.to_file(path)
    >>> names, notes = place_names(city, path, "GEN", group_column="KREIS")
    >>> names["place_name"].value_counts().sort_index().to_dict()
    {'Oststadt': 18, 'Westdorf': 18}
    >>> notes
    []
    """
    places, notes = _read_places(path, what, name_column, group_column, layer, crs)
    wanted = [c for c in places.columns if c != places.geometry.name]
    places = places.to_crs(units.crs)
    centres = gpd.GeoDataFrame(geometry=units.geometry.representative_point().values,
                               crs=units.crs)
    hit = gpd.sjoin(centres, places, predicate="within", how="left")
    overlapping = int(hit.index.duplicated().sum())
    if overlapping:   # overlapping polygons: the first in the file names the unit
        notes.append(vocab.note("places.overlap", n=overlapping))
    hit = hit[~hit.index.duplicated()]
    outside = hit["index_right"].isna().to_numpy()
    if outside.any():
        near = gpd.sjoin_nearest(centres[outside], places, how="left",
                                 max_distance=max_distance_m)
        near = near[~near.index.duplicated()]
        for c in [*wanted, "index_right"]:
            hit.loc[near.index, c] = near[c]
        named = int(near["index_right"].notna().sum())
        if named:
            notes.append(vocab.note("places.nearest", n=named, d=int(max_distance_m)))
    out = pd.DataFrame({
        "place_name": hit[name_column].astype("string").to_numpy(),
        "place_group": (hit[group_column].astype("string").to_numpy() if group_column
                        else pd.array([pd.NA] * len(hit), dtype="string"))}, index=units.index)
    placed = hit["index_right"].notna().to_numpy()
    if not placed.any() and len(out):
        # not one unit near any place: the wrong file or a wrong CRS, never a result
        raise InputDataError(
            f"{what}: no unit lies within {max_distance_m:,.0f} m of a place in {path} (the "
            f"places span {_extent(places)}, the units {_extent(units)} in "
            f"{units.crs.to_string()}): a file of another region, or a wrong CRS — a file "
            f"without one needs crs = \"EPSG:…\" in {what}")
    blank_name = int((placed & out["place_name"].isna().to_numpy()).sum())
    if blank_name:
        notes.append(vocab.note("places.blank", n=blank_name, column=name_column))
    if group_column:
        blank_group = int((placed & out["place_group"].isna().to_numpy()).sum())
        if blank_group:
            notes.append(vocab.note("places.blank", n=blank_group, column=group_column))
    if not placed.all():
        notes.append(vocab.note("places.none", n=int((~placed).sum()), d=int(max_distance_m)))
    return out, [f"{what} ({path.name}): {n}" for n in notes]


def _read_places(path: Path, what: str, name_column: str, group_column: str | None,
                 layer: str | None, crs: str | None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The place polygons with their name columns, repaired; a file or column that cannot
    name anything is an error naming the key and the fix."""
    if path.suffix.lower() in GEOPARQUET_SUFFIXES:
        if layer is not None:
            raise ConfigError(f"{what}: layer {layer!r} does not apply to GeoParquet "
                              f"({path.name} has one table); remove layer")
    elif layer is None:
        layers = layer_names(path)
        if len(layers) > 1:   # GDAL would take the first, perhaps not the places
            raise ConfigError(f"{what}: {path} has {len(layers)} layers "
                              f"({', '.join(map(repr, layers))}); add layer = \"…\" to {what}")
    places, notes = read_vector(path, what, layer=layer, crs=crs)
    wanted = list(dict.fromkeys(c for c in (name_column, group_column) if c))
    if places.geometry.name in wanted:
        raise ConfigError(f"{what}: {places.geometry.name!r} is the geometry, not a name; "
                          f"name_column and group_column name text columns of {path.name}")
    missing = [c for c in wanted if c not in places]
    if missing:
        raise ConfigError(f"{what}: {path} has no column {missing[0]!r} "
                          f"(it has: {', '.join(map(str, places.columns[:20]))})")
    places = _polygons(places[[*wanted, places.geometry.name]], path, what, notes)
    places, repaired = repair_geometries(places)
    if repaired:
        notes.append(vocab.note("places.repaired", n=repaired))
    return places, notes


def _extent(gdf: gpd.GeoDataFrame) -> str:
    x0, y0, x1, y1 = gdf.total_bounds
    if not np.isfinite([x0, y0, x1, y1]).all():
        return "coordinates outside the CRS's area of use"
    return f"x {x0:,.0f}–{x1:,.0f}, y {y0:,.0f}–{y1:,.0f}"


def _polygons(places: gpd.GeoDataFrame, path: Path, what: str,
              notes: list[str]) -> gpd.GeoDataFrame:
    """The polygonal places; points or lines name nothing (a centre lies within no point)."""
    geom = places.geometry
    kind = geom.geom_type.fillna("")
    polygonal = kind.isin(["Polygon", "MultiPolygon"]) & ~geom.is_empty.fillna(True)
    if not polygonal.any():
        kinds = ", ".join(sorted(set(kind[kind != ""]))) or "none"
        raise InputDataError(f"{what}: {path} holds no polygons (geometries: {kinds}); "
                             "give the places' areas, e.g. the Gemeinden of the BKG's VG250")
    if not polygonal.all():
        notes.append(vocab.note("places.not_polygons", n=int((~polygonal).sum())))
    return places[polygonal]

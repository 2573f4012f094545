"""The spatial units from a boundary file: ids, names, coarser areas, repaired polygons in the
city's metric CRS."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from quartier import vocab
from quartier.config import UnitsConfig
from quartier.errors import ConfigError, InputDataError, require_columns, rows_preview
from quartier.io.crs import check_bounds, check_distances_preserved
from quartier.io.grid import grid_units
from quartier.io.names import normalise_ids
from quartier.io.vector import read_vector


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal parts of a repaired geometry (repairs can yield collections)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def repair_geometries(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Make invalid geometries valid, keeping polygonal parts only. Returns the count repaired."""
    invalid = ~gdf.geometry.is_valid
    if not invalid.any():
        return gdf, 0
    fixed = shapely.make_valid(gdf.geometry[invalid].values)
    gdf = gdf.copy()
    gdf.loc[invalid, gdf.geometry.name] = [_polygonal(g) for g in fixed]
    return gdf, int(invalid.sum())


def merge_parts(gdf: gpd.GeoDataFrame, attributes: list[str], source: str
                ) -> tuple[gpd.GeoDataFrame, str | None]:
    """Merge the features that share a ``unit_id`` (parts of one unit stored as separate
    polygons) into one (multi)polygon each. The parts must agree in ``attributes`` (name,
    group): parts that disagree are not parts of one unit, and that is an error."""
    dup = gdf["unit_id"].duplicated(keep=False)
    if not dup.any():
        return gdf, None
    parts = gdf[dup]
    differ = [c for c in attributes
              if (parts.groupby("unit_id")[c].nunique(dropna=False) > 1).any()]
    if differ:
        ids = parts.groupby("unit_id")[differ[0]].nunique(dropna=False)
        raise InputDataError(
            f"{source}: features sharing an id differ in {', '.join(map(repr, differ))} (ids "
            f"{rows_preview(ids[ids > 1].index.tolist())}): they are not parts of one unit; "
            "units.merge_parts cannot merge them — fix the ids in the file")
    geom = gdf.geometry.name
    # repaired first: a union of invalid rings raises a GEOS TopologyException
    parts = parts.set_geometry(shapely.make_valid(parts.geometry.values))
    merged = parts.dissolve(by="unit_id", sort=False, as_index=False)[list(gdf.columns)]
    first = ~gdf["unit_id"].duplicated()
    out = pd.concat([gdf[~dup], merged], ignore_index=True)
    order = pd.Series(np.flatnonzero(first), index=gdf.loc[first, "unit_id"].to_numpy())
    out = out.iloc[np.argsort(order.loc[out["unit_id"]].to_numpy(), kind="stable")]
    n_ids = int(parts["unit_id"].nunique())
    return gpd.GeoDataFrame(out, geometry=geom, crs=gdf.crs).reset_index(drop=True), vocab.note(
        "units.merged_parts", n=len(parts), units=n_ids,
        ids=vocab.preview(sorted(set(parts["unit_id"]))))


def read_units(u: UnitsConfig, *, crs: str, max_scale_error_pct: float = 0.5
               ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read the spatial units in the city's metric CRS.

    Parameters
    ----------
    u : UnitsConfig
        The ``[units]`` section: the boundary file and its columns, or census grid cells.
    crs : str
        The city's metric CRS (``city.crs``, e.g. "EPSG:25833").
    max_scale_error_pct : float
        The largest distance distortion (%) of ``crs`` accepted at the units.

    Returns
    -------
    units : GeoDataFrame
        ``unit_id``, ``unit_name``, optionally ``unit_group``/``unit_group_id``, the geometry.
    notes : list of str
        Repairs, padded ids, dropped or merged features.
    """
    if u.grid is not None:
        return grid_units(u.grid, crs=crs, max_scale_error_pct=max_scale_error_pct)
    path, id_column = u.path, u.id_column
    if path is None or id_column is None:   # excluded by UnitsConfig._boundaries_or_grid
        raise ConfigError("[units] needs path and id_column (a boundary file with an id column), "
                          "or grid = { path = … } for census grid cells")
    source = str(path)
    gdf, notes = read_vector(path, "units.path", u.layer, u.encoding, crs=u.crs, crs_key="units.crs",
                             on_invalid="fix")
    if gdf.empty:
        raise InputDataError(f"{source}: the units file has no features")
    wanted = [id_column, *[c for c in (u.name_column, u.group_column, u.group_id_column,
                                         u.dissolve_by, u.dissolve_name_column) if c]]
    require_columns(gdf, wanted, source, "units")

    gdf = _unit_ids(gdf, u, id_column, wanted, source, notes)
    gdf = _areas_only(gdf, u, source, notes)
    gdf, repaired = repair_geometries(gdf)
    if repaired:
        notes.append(vocab.note("units.repaired", n=repaired))
    lost = gdf.geometry.is_empty
    if lost.any():
        raise InputDataError(
            f"{source}: unit(s) {rows_preview(gdf.loc[lost, 'unit_id'])} have no polygonal area "
            "after repair; fix them in the source file"
        )
    check_bounds(gdf, crs, source)
    check_distances_preserved(crs, tuple(gdf.to_crs(4326).total_bounds), max_scale_error_pct,
                              "city.crs")
    gdf = gdf.to_crs(crs)

    names = gdf[u.name_column] if u.name_column else gdf["unit_id"]
    out = {"unit_id": gdf["unit_id"], "unit_name": names.astype("string")}
    if u.group_column:
        out["unit_group"] = gdf[u.group_column].astype("string")
    if u.group_id_column:
        out["unit_group_id"] = normalise_ids(gdf[u.group_id_column], u.group_id_width, source,
                                             u.group_id_column)[0]
    if u.dissolve_by:
        out["dissolve_id"] = normalise_ids(gdf[u.dissolve_by], None, source, u.dissolve_by)[0]
        out["dissolve_name"] = gdf[u.dissolve_name_column or u.dissolve_by].astype("string")
    result = gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=gdf.crs)
    return result.reset_index(drop=True), notes


def _unit_ids(gdf: gpd.GeoDataFrame, u: UnitsConfig, id_column: str, wanted: list[str],
              source: str, notes: list[str]) -> gpd.GeoDataFrame:
    """``unit_id`` from the id column (``id_column``): zero-padded, features dropped or merged
    as configured, unique and never empty."""
    ids, padded = normalise_ids(gdf[id_column], u.id_width, source, id_column)
    if padded:
        notes.append(vocab.note("units.zero_padded", n=padded, width=u.id_width))
    gdf = gdf.assign(unit_id=ids)
    if u.drop_ids:
        drop = gdf["unit_id"].isin(u.drop_ids)
        notes.append(vocab.note("units.dropped", n=int(drop.sum()), ids=vocab.preview(u.drop_ids)))
        gdf = gdf[~drop]
    if u.merge_parts:
        gdf, note = merge_parts(gdf, [c for c in wanted if c != id_column], source)
        if note:
            notes.append(note)
    dup = gdf["unit_id"][gdf["unit_id"].duplicated(keep=False)]
    if len(dup):
        raise InputDataError(
            f"{source}: column {id_column!r} has duplicate ids: "
            f"{rows_preview(sorted(set(dup)))}; each unit needs a unique id. If these features "
            "are parts of one unit (a district stored as two polygons), set units.merge_parts = true"
        )
    if gdf["unit_id"].isna().any() or (gdf["unit_id"] == "").any():
        rows = np.flatnonzero(gdf["unit_id"].isna() | (gdf["unit_id"] == "")) + 1
        raise InputDataError(f"{source}: column {id_column!r} is empty in features {rows_preview(rows)}")

    return gdf


def _areas_only(gdf: gpd.GeoDataFrame, u: UnitsConfig, source: str, notes: list[str]
                ) -> gpd.GeoDataFrame:
    """The units' geometries as areas (axes swapped where configured; polygons of a collection
    kept): a point, a line or an empty geometry is an error naming the units."""
    if u.swap_axes:
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1]))
        notes.append(vocab.note("units.swapped"))

    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    collection = gdf.geometry.geom_type == "GeometryCollection"
    if collection.any():
        # keep the areas of a collection; one without any is as wrong as a point
        gdf = gdf.copy()
        gdf.loc[collection, gdf.geometry.name] = [_polygonal(g) for g in gdf.geometry[collection]]
    kinds = gdf.geometry.geom_type.where(~(collection & gdf.geometry.is_empty), "GeometryCollection "
                                         "ohne Fläche")
    not_area = ~empty & ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_area.any():
        found = ", ".join(f"{k} ×{n}" for k, n in kinds[not_area].value_counts().items())
        raise InputDataError(
            f"{source}: units must be areas (polygons), but {int(not_area.sum())} feature(s) are "
            f"{found}: {rows_preview(gdf.loc[not_area, 'unit_id'])}. Neighbours, areas and "
            "residents need the boundaries: use the polygon layer of the units (units.layer)")
    if empty.any():
        raise InputDataError(
            f"{source}: {int(empty.sum())} unit(s) have no geometry: "
            f"{rows_preview(gdf.loc[empty, 'unit_id'])}; fix or drop them (units.drop_ids)"
        )
    return gdf

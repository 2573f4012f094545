"""Residents where a city has no population counts per unit: from a raster or a census grid.

Residents are represented as weighted points (*origins*): the centres of populated raster cells,
or the pieces of census grid cells cut by the units. The same origins give

* a unit's population, ``Σ pop`` of its origins (for the minimum-population rule and as weights),
* the residents from whom walking access is measured (:mod:`quartier.access`).

**Raster** (``[population] raster``): a cell belongs to the unit that contains its centre.
``raster_values = "count"`` takes the cell values as residents; ``"relative"`` (a density
surface of unknown unit) scales them so that all units together hold ``total`` residents.

**Census grid** (``[population] grid``, e.g. Zensus 2011/2022, EPSG:3035, 1 km or 100 m): a cell's
residents are split over the units it overlaps in proportion to area, ``pop_piece = pop_cell ·
area(cell ∩ unit) / area(cell)``. ``-1`` (no data, unpopulated) and ``-9`` (suppressed) are
missing values, never residents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from rasterio.features import rasterize

from quartier import vocab
from quartier.config import DEFAULT_NA_CODES, GridConfig, PopulationConfig
from quartier.errors import InputDataError
from quartier.io.grid import cell_centres, read_cells
from quartier.io.numbers import parse_numbers
from quartier.io.readers import check_file
from quartier.vocab import Origin


@dataclass
class Residents:
    """Residents as weighted points in the units' CRS, and what was done to get them."""

    origins: pd.DataFrame
    source: str
    notes: list[str]

    def per_unit(self, n_units: int) -> np.ndarray:
        """Residents per unit (row position); 0 where the source shows nobody living there."""
        o = self.origins[self.origins["origin"] != Origin.POINT]
        return np.bincount(o["unit"], weights=o["pop"], minlength=n_units)


def raster_origins(raster_path: str | Path, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Residents as points: every populated raster cell centre, with its unit.

    Units are rasterised onto the raster's grid (cell centre inside the unit). A unit without a
    populated cell (a park, a station) gets its representative point with weight 1 so that every
    unit has an origin; ``origin`` says which.

    Returns columns ``x``, ``y`` (units' CRS, m), ``pop`` (cell value), ``unit`` (row position in
    ``units``), ``origin`` ("Rasterzelle" or "Repräsentativpunkt").
    """
    path = Path(raster_path)
    check_file(path, "population raster")
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            transform, shape, rcrs = src.transform, src.shape, src.crs
    except rasterio.errors.RasterioIOError as exc:
        raise InputDataError(f"{path}: cannot be read as a raster ({exc})") from None
    if rcrs is None:
        raise InputDataError(f"{path}: the raster has no CRS")
    rcrs = pyproj.CRS.from_wkt(rcrs.to_wkt())
    local = units.to_crs(rcrs)
    unit_of_cell = rasterize(((g, i) for i, g in enumerate(local.geometry.values)), out_shape=shape,
                             transform=transform, fill=-1, dtype="int32")
    values = np.ma.filled(band.astype("float64"), 0.0)
    values[~np.isfinite(values)] = 0.0
    rows, cols = np.nonzero((values > 0) & (unit_of_cell >= 0))
    x = transform.c + (cols + 0.5) * transform.a + (rows + 0.5) * transform.b
    y = transform.f + (cols + 0.5) * transform.d + (rows + 0.5) * transform.e
    if not rcrs.equals(units.crs):
        pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=rcrs).to_crs(units.crs)
        x, y = pts.x.to_numpy(), pts.y.to_numpy()
    cells = pd.DataFrame({"x": x, "y": y, "pop": values[rows, cols], "unit": unit_of_cell[rows, cols],
                          "origin": Origin.RASTER_CELL.value})
    return with_representative_points(cells, units)


def with_representative_points(origins: pd.DataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Add each unit's representative point (weight 1) where the unit has no origin, so that
    access can be measured everywhere; ``origin`` marks them (their residents are unknown)."""
    empty = np.setdiff1d(np.arange(len(units)), origins["unit"].unique())
    if not len(empty):
        return origins.reset_index(drop=True)
    rep = units.geometry.iloc[empty].representative_point()
    extra = pd.DataFrame({"x": rep.x.to_numpy(), "y": rep.y.to_numpy(), "pop": 1.0, "unit": empty,
                          "origin": Origin.POINT.value})
    return pd.concat([origins, extra], ignore_index=True)


def read_grid(grid: GridConfig, path: Path) -> pd.DataFrame:
    """Cells of a census grid: ``x``, ``y`` (centres, in ``grid.crs``), ``pop``, ``cell_m``.

    Columns: ``grid.x``/``grid.y`` (centres) or ``grid.id_column`` (INSPIRE ids); when none is
    given, ``x_mp_*``/``y_mp_*``, ``x``/``y`` or a ``Gitter_ID_*`` column are used (see
    :func:`quartier.io.grid.cell_centres`). Missing-value codes (``-1``, ``-9``, "–") and cells
    without residents are left out.
    """

    raw = read_cells(path, "population.grid.path", grid.sep,
                     [c for c in (grid.value, grid.x, grid.y, grid.id_column) if c])
    df, line = raw.df, raw.line
    if grid.value not in df:
        raise InputDataError(f"{path}: no column {grid.value!r} (population.grid.value); "
                             f"columns: {', '.join(map(str, df.columns))}")
    na = set(DEFAULT_NA_CODES) | set(grid.na_values)
    pop, _ = parse_numbers(df[grid.value], grid.decimal, None, na, str(path), grid.value, line)
    cx, cy, cell = cell_centres(df, line, str(path), grid.x, grid.y, grid.id_column, grid.cell_m,
                                grid.decimal, "population.grid")
    keep = (pop.notna() & (pop > 0)).to_numpy()
    return pd.DataFrame({"x": cx[keep], "y": cy[keep], "pop": pop.to_numpy()[keep],
                         "cell_m": cell})


def grid_origins(cells: pd.DataFrame, crs: str, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Residents of census cells split over the units by the area each unit takes of a cell;
    one origin per piece (its point on surface), in the units' CRS."""
    half = cells["cell_m"].to_numpy() / 2
    boxes = gpd.GeoSeries(shapely.box(cells["x"] - half, cells["y"] - half, cells["x"] + half,
                                      cells["y"] + half), crs=crs).to_crs(units.crs).to_numpy()
    ui, ci = shapely.STRtree(units.geometry.values).query(boxes, predicate="intersects")[::-1]
    pieces = shapely.intersection(units.geometry.values[ui], boxes[ci])
    share = shapely.area(pieces) / shapely.area(boxes[ci])
    keep = share > 0
    pts = shapely.point_on_surface(pieces[keep])
    origins = pd.DataFrame({"x": shapely.get_x(pts), "y": shapely.get_y(pts),
                            "pop": cells["pop"].to_numpy()[ci[keep]] * share[keep],
                            "unit": ui[keep], "origin": Origin.GRID_CELL.value})
    return with_representative_points(origins, units)


def residents(p: PopulationConfig | None, units: gpd.GeoDataFrame, *,
              raster: Path | None = None) -> Residents:
    """The residents of ``[population]`` as origins on ``units``; without it, those of a
    population raster (``access.population_raster``)."""
    if p is None or (p.raster is None and p.grid is None):
        if raster is None:
            raise InputDataError("no population source: set [population] raster or grid")
        return Residents(raster_origins(raster, units), "Bevölkerungsraster", [])
    notes = []
    if p.grid is not None:
        path = p.grid.path
        cells = read_grid(p.grid, path)
        origins = grid_origins(cells, p.grid.crs, units)
        size = f"{cells['cell_m'].iloc[0]:g} m" if len(cells) else "?"
        source = f"Zensus-Gitter ({path.name}, {size}, flächenanteilig)"
        inside = origins.loc[origins["origin"] == Origin.GRID_CELL, "pop"].sum()
        notes.append(vocab.note("population.grid", file=path.name, n=len(cells), size=size,
                                inside=int(round(inside))))
        return Residents(origins, source, notes)
    raster_file = p.raster
    if raster_file is None:   # excluded above: no grid, so a raster
        raise InputDataError("no population source: set [population] raster or grid")
    origins = raster_origins(raster_file, units)
    if p.raster_values == "relative":
        if p.total is None:   # excluded by PopulationConfig._one_source
            raise InputDataError("population.raster_values = 'relative' needs population.total")
        cells = origins["origin"] == Origin.RASTER_CELL
        factor = p.total / origins.loc[cells, "pop"].sum()
        origins.loc[cells, "pop"] *= factor
        notes.append(vocab.note("population.relative", file=raster_file.name,
                                total=int(round(p.total)), factor=f"{factor:.4f}"))
    return Residents(origins, f"Bevölkerungsraster ({raster_file.name})", notes)


def add_population(units: gpd.GeoDataFrame, p: PopulationConfig
                   ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The units with the estimated residents of ``[population]`` in its ``column``, and notes
    for the join report (units where the source shows nobody are listed)."""
    res = residents(p, units)
    column = p.column
    units = units.assign(**{column: res.per_unit(len(units)).round(1)})
    empty = units.loc[units[column] == 0, "unit_id"]
    notes = [*res.notes, vocab.note("population.column", column=column, source=res.source)]
    if len(empty):
        notes.append(vocab.note("population.empty", n=len(empty), column=column,
                                ids=vocab.preview(empty)))
    return units, notes

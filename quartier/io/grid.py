"""Census grid cells (Zensus 2011/2022, INSPIRE grid in EPSG:3035) as units and as join keys.

A cell is given by its centre (``x_mp_1km``/``y_mp_1km``, or ``x``/``y``) or by its INSPIRE id.
Three spellings of the id are read and all become the canonical one:

* ``CRS3035RES1000mN2684000E4334000`` (Zensus 2022; lower-left corner in metres),
* ``1kmN2684E4334`` (Zensus 2011 ``Gitter_ID_1km``; corner in km),
* ``100mN26840E43340`` (Zensus 2011 ``Gitter_ID_100m``; corner in units of 100 m).

Units built from a grid (``[units] grid``) carry the canonical id as ``unit_id``; tables with
``join = "grid"`` are keyed by the same id, whether they give centres or ids.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from quartier import vocab
from quartier.config import DEFAULT_NA_CODES, GridUnitsConfig
from quartier.errors import InputDataError, rows_preview
from quartier.io.crs import check_bounds, check_distances_preserved
from quartier.io.numbers import parse_numbers
from quartier.io.readers import RawTable, check_file, read_csv_text, read_parquet_table
from quartier.io.vector import read_vector

#: INSPIRE grid ids: CRS3035RES1000mN2684000E4334000, 1kmN2684E4334, 100mN26840E43340.
INSPIRE_ID = re.compile(r"^(?:CRS(\d+)RES(\d+)m|(\d+)(km|m))N(\d+)E(\d+)$")


def parse_cell_ids(ids: pd.Series, source: str, column: str, line: pd.Series,
                   epsg: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Cell centres (m) and the cell size (m) from INSPIRE ids in any of the three spellings.

    The corner in an id is in metres (``CRS…RES…m``), km (``1km…``) or cell units (``100m…``);
    the centre is the corner plus half a cell. All ids must name cells of one size, and a
    ``CRS…`` id must name ``epsg`` where given."""
    parts = ids.astype("string").str.strip().str.extract(INSPIRE_ID.pattern)
    bad = parts[4].isna()
    if bad.any():
        raise InputDataError(
            f"{source}: column {column!r} lines {rows_preview(line[bad])} "
            f"({rows_preview(ids[bad].astype(str).unique(), 3)}): not an INSPIRE grid id like "
            "CRS3035RES1000mN2684000E4334000, 1kmN2684E4334 or 100mN26840E43340")
    num = {i: parts[i].astype("float64").to_numpy(na_value=np.nan) for i in (1, 2, 4, 5)}
    long_form = parts[1].notna().to_numpy(dtype=bool)
    if epsg is not None and long_form.any():
        other = long_form & (parts[0].astype("float64").to_numpy(na_value=np.nan) != epsg)
        if other.any():
            raise InputDataError(
                f"{source}: column {column!r} lines {rows_preview(line[other])}: the ids name "
                f"{rows_preview(sorted(set(parts[0][other].astype(str))), 3)} as their CRS, but "
                f"the grid is EPSG:{epsg} (units.grid.crs)")
    km = parts[3].eq("km").fillna(False).to_numpy(dtype=bool)
    size = np.where(long_form, num[1], num[2] * np.where(km, 1000.0, 1.0))
    factor = np.where(long_form, 1.0, size)   # short ids count the corner in cells
    if len(np.unique(size)) > 1:
        raise InputDataError(f"{source}: column {column!r} mixes cell sizes "
                             f"{sorted(set(size.tolist()))} m; one grid per file")
    cx = num[5] * factor + size / 2
    cy = num[4] * factor + size / 2
    return cx, cy, float(size[0]) if len(size) else float("nan")


def cell_ids(cx: np.ndarray, cy: np.ndarray, cell_m: float, epsg: int = 3035) -> np.ndarray:
    """Canonical INSPIRE ids ``CRS3035RES1000mN<y corner>E<x corner>`` of cells by their centres."""
    half = cell_m / 2
    north = pd.Series(np.rint(np.asarray(cy) - half).astype("int64")).astype(str)
    east = pd.Series(np.rint(np.asarray(cx) - half).astype("int64")).astype(str)
    return (f"CRS{epsg}RES{cell_m:g}m" + "N" + north + "E" + east).to_numpy()


def _spacing(values: np.ndarray) -> float | None:
    steps = np.diff(np.unique(values[np.isfinite(values)]))
    steps = steps[steps > 0]
    return float(steps.min()) if len(steps) else None


def cell_centres(df: pd.DataFrame, line: pd.Series, source: str, x: str | None, y: str | None,
                 id_column: str | None, cell_m: float | None, decimal: str = ".",
                 key: str = "grid", epsg: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """Centres (m, grid CRS) and cell size (m) of the rows of a grid file.

    From ``x``/``y`` or ``id_column``; when none is named, ``x_mp_*``/``y_mp_*``, ``x``/``y`` or
    a ``Gitter_ID_*`` column. The cell size is ``cell_m``, else the ids', else the smallest
    spacing of the centres. ``key`` names the config section in messages."""
    cols = {c.casefold(): c for c in df.columns}
    if not id_column and not (x and y):
        x = x or next((cols[c] for c in cols if c.startswith("x_mp") or c == "x"), None)
        y = y or next((cols[c] for c in cols if c.startswith("y_mp") or c == "y"), None)
        if not (x and y):
            id_column = next((cols[c] for c in cols if c.startswith("gitter_id")), None)
    if id_column:
        if id_column not in df:
            raise InputDataError(f"{source}: no column {id_column!r} ({key}.id_column); "
                                 f"columns: {', '.join(map(str, df.columns))}")
        cx, cy, size = parse_cell_ids(df[id_column], source, id_column, line, epsg)
        if cell_m and len(cx) and size != cell_m:
            raise InputDataError(f"{source}: column {id_column!r} names cells of {size:g} m, but "
                                 f"units.grid.cell_m = {cell_m:g}; cells of two sizes cannot be "
                                 "joined (aggregate the finer grid first)")
        return cx, cy, size
    if not (x and y and x in df and y in df):
        raise InputDataError(
            f"{source}: no cell-centre columns (x_mp_1km/y_mp_1km, x/y) and no Gitter_ID column "
            f"({key}: set x and y, or id_column); columns: {', '.join(map(str, df.columns))}")
    # millimetres: float noise (4520500.0000001) must not make a cell size of 1e-7 m
    cx = parse_numbers(df[x], decimal, None, set(), source, x, line)[0].to_numpy().round(3)
    cy = parse_numbers(df[y], decimal, None, set(), source, y, line)[0].to_numpy().round(3)
    missing = np.isnan(cx) | np.isnan(cy)
    if missing.any():
        raise InputDataError(f"{source}: columns {x!r}/{y!r} are empty in lines "
                             f"{rows_preview(line[missing])}; every cell needs its centre")
    spacings = [v for v in (_spacing(cx), _spacing(cy)) if v is not None]
    step = cell_m or (min(spacings) if spacings else None)
    if step is None:
        raise InputDataError(f"{source}: the cell size cannot be derived from the centres (one "
                             f"cell, or all in one place); set {key}.cell_m")
    return _on_centres(cx, step, source, x, line), _on_centres(cy, step, source, y, line), step


def _on_centres(values: np.ndarray, size: float, source: str, column: str, line: pd.Series
                ) -> np.ndarray:
    """Centres of ``size`` m cells lie at ``k · size + size / 2``: anything else (corners, the
    wrong cell size, another grid) is an error, not a silent shift; within 1 cm they are snapped."""
    steps = (values - size / 2) / size
    off = np.abs(steps - np.rint(steps)) * size > 0.01
    if off.any():
        corners = np.abs(values / size - np.rint(values / size)) * size <= 0.01
        what = (f"they look like lower-left corners (multiples of {size:g}): quartier needs cell "
                f"centres (x_mp/y_mp, corner + {size / 2:g}) or the INSPIRE id column"
                if corners[off].all() else
                f"they are not centres of {size:g} m cells (k · {size:g} + {size / 2:g}): check "
                "the cell size (cell_m) and that all rows belong to one grid")
        raise InputDataError(f"{source}: column {column!r} lines {rows_preview(line[off])} "
                             f"({rows_preview(values[off], 3)}): {what}")
    return np.rint(steps) * size + size / 2


def read_cells(path: Path, what: str, sep: str | None = None,
               used: list[str] | None = None) -> RawTable:
    """A grid file (parquet or CSV) with native number columns for parquet, text for CSV."""
    check_file(path, what)
    if path.suffix.lower() == ".parquet":
        return read_parquet_table(path, what)
    return read_csv_text(path, sep, "auto", used or [])


def epsg_of(crs: str) -> int:
    """The EPSG code of the grid's CRS (part of every INSPIRE id)."""
    code = pyproj.CRS.from_user_input(crs).to_epsg()
    if code is None:
        raise InputDataError(f"grid CRS {crs!r} has no EPSG code; INSPIRE ids need one "
                             "(Zensus: EPSG:3035)")
    return code


def grid_units(g: GridUnitsConfig, *, crs: str, max_scale_error_pct: float = 0.5
               ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Square cells of ``[units] grid`` as units, in the city's CRS.

    Cells are kept where ``populated`` is a number above 0 (missing codes ``-1``/``-9`` are
    not), their centre lies in ``bbox`` and in ``clip``. ``unit_id`` is the canonical INSPIRE
    id, ``unit_name`` e.g. ``1-km-Zelle N2684 E4334`` (corner in km, or in 100 m for 100 m
    cells). ``crs`` is the city's metric CRS; ``max_scale_error_pct`` the distortion it may
    have at the cells. Returns the units and notes saying how many cells each filter left out."""
    path = g.path
    source = str(path)
    raw = read_cells(path, "units.grid.path", g.sep,
                     [c for c in (g.x, g.y, g.id_column, g.populated) if c])
    df, line = raw.df, raw.line
    if df.empty:
        raise InputDataError(f"{source}: the grid file has no cells")
    epsg = epsg_of(g.crs)
    cx, cy, cell = cell_centres(df, line, source, g.x, g.y, g.id_column, g.cell_m, g.decimal,
                                "units.grid", epsg)
    twice = pd.DataFrame({"x": cx, "y": cy}).duplicated(keep=False).to_numpy()
    if twice.any():
        raise InputDataError(f"{source}: cells given twice, lines {rows_preview(line[twice])}; "
                             "each cell may appear once")
    keep = np.ones(len(df), dtype=bool)
    notes = [vocab.note("grid.read", n=len(df), size=vocab.decimal(cell), file=path.name)]
    if g.populated:
        if g.populated not in df:
            raise InputDataError(f"{source}: no column {g.populated!r} (units.grid.populated); "
                                 f"columns: {', '.join(map(str, df.columns))}")
        na = set(DEFAULT_NA_CODES) | set(g.na_values)
        value, _ = parse_numbers(df[g.populated], g.decimal, None, na, source, g.populated, line)
        populated = (value > 0).fillna(False).to_numpy(dtype=bool)
        notes.append(vocab.note("grid.unpopulated", n=int((~populated).sum()),
                                column=g.populated))
        keep &= populated
    if g.bbox is not None:
        x0, y0, x1, y1 = g.bbox
        inside = (cx >= x0) & (cx < x1) & (cy >= y0) & (cy < y1)
        notes.append(vocab.note("grid.outside_bbox", n=int((keep & ~inside).sum()),
                                bbox=str(list(g.bbox))))
        keep &= inside
    if g.clip is not None:
        shapes, _ = read_vector(g.clip, "units.grid.clip", crs=g.clip_crs,
                                crs_key="units.grid.clip_crs")
        area = shapely.union_all(shapes.to_crs(g.crs).geometry.values)
        inside = shapely.contains_xy(area, cx, cy)
        notes.append(vocab.note("grid.outside_clip", n=int((keep & ~inside).sum()),
                                file=Path(g.clip).name))
        keep &= inside
    if not keep.any():
        raise InputDataError(f"{source}: no cell is left after the filters ({'; '.join(notes)}); "
                             "check units.grid.populated, bbox (in the grid's CRS, metres) and clip")
    cx, cy = cx[keep], cy[keep]
    half = cell / 2
    ids = cell_ids(cx, cy, cell, epsg)
    step = 1000.0 if cell >= 1000 else cell
    label = f"{cell / 1000:g}-km-Zelle" if cell >= 1000 else f"{cell:g}-m-Zelle"
    names = (f"{label} N" + pd.Series(np.rint((cy - half) / step).astype("int64")).astype(str)
             + " E" + pd.Series(np.rint((cx - half) / step).astype("int64")).astype(str))
    units = gpd.GeoDataFrame({"unit_id": pd.array(ids, dtype="string"),
                              "unit_name": pd.array(names.to_numpy(), dtype="string")},
                             geometry=shapely.box(cx - half, cy - half, cx + half, cy + half),
                             crs=g.crs)
    check_bounds(units, g.crs, source, f" The centres are not in units.grid.crs ({g.crs}): "
                 "check that key, and that x/y are metres of that CRS (not km or degrees)")
    check_distances_preserved(crs, tuple(units.to_crs(4326).total_bounds), max_scale_error_pct,
                              "city.crs")
    notes.append(vocab.note("grid.units", n=len(units), example=ids[0]))
    return units.to_crs(crs), notes


def table_cell_keys(df: pd.DataFrame, line: pd.Series, keys: list[str],
                    g: GridUnitsConfig | None, source: str, decimal: str) -> pd.Series:
    """The canonical cell ids of a grid-keyed table's rows: ``key = ["x", "y"]`` (centres) or
    ``key = "Gitter_ID_1km"`` (an INSPIRE id in any spelling); ``g`` is ``[units.grid]``."""
    if g is None:
        raise InputDataError(f"{source}: join = 'grid' needs census cells as units "
                             "([units] grid = { path = … })")
    if len(keys) not in (1, 2):
        raise InputDataError(f"{source}: join = 'grid' takes key = ['x', 'y'] (cell centres) or "
                             "one INSPIRE id column")
    x, y, id_column = (keys[0], keys[1], None) if len(keys) == 2 else (None, None, keys[0])
    epsg = epsg_of(g.crs)
    cx, cy, cell = cell_centres(df, line, source, x, y, id_column, g.cell_m, decimal, "tables",
                                epsg)
    return pd.Series(cell_ids(cx, cy, cell, epsg), index=df.index, dtype="string")

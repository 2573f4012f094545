"""A planning office's site list (CSV or vector) as candidate sites with their capacity."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.config import SitesConfig
from quartier.errors import ConfigError, InputDataError, rows_preview
from quartier.io.numbers import parse_numbers
from quartier.io.readers import check_file, read_csv_text
from quartier.io.vector import read_vector
from quartier.io.xlsx import cell_text


def read_site_file(s: SitesConfig, *, crs: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """User sites with ``site_id``, ``name``, ``capacity`` in the city's CRS; checks duplicates,
    capacity 0 and missing coordinates (dropped with a warning)."""
    path = s.file
    if path is None:
        raise ConfigError("sites.file is not set: name the site list (CSV or vector)")
    check_file(path, "sites.file")
    warnings = []
    if path.suffix.lower() == ".csv":
        x_col, y_col = s.x, s.y
        if x_col is None or y_col is None:
            raise InputDataError(f"{path}: a CSV site list needs sites.x and sites.y (the names of "
                                 "its coordinate columns)")
        used = [c for c in (x_col, y_col, s.id_column, s.capacity_column) if c]
        raw = read_csv_text(path, None, "auto", used)
        df, line = raw.df, raw.line
        for col in (x_col, y_col, s.id_column, s.capacity_column):
            if col not in df:
                raise InputDataError(f"{path}: column {col!r} not found; available: "
                                     f"{', '.join(df.columns)} (sites.x/y/id_column/capacity_column)")
        xs, _ = parse_numbers(df[x_col], s.decimal, None, {""}, str(path), x_col, line)
        ys, _ = parse_numbers(df[y_col], s.decimal, None, {""}, str(path), y_col, line)
        gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs=s.crs or 4326)
    else:
        gdf, _ = read_vector(path, "sites.file", crs=s.crs, crs_key="sites.crs")
        line = pd.Series(np.arange(len(gdf)) + 1, index=gdf.index)
    missing = ~np.isfinite(gdf.geometry.bounds.to_numpy()).all(axis=1)
    if missing.any():
        warnings.append(vocab.note("sites.no_coordinates", file=path.name, n=int(missing.sum()),
                                   ids=vocab.preview(gdf.loc[missing, s.id_column])))
        gdf = gdf[~missing]
    dup = gdf[s.id_column][gdf[s.id_column].duplicated(keep=False)]
    if len(dup):
        raise InputDataError(f"{path}: duplicate site ids {rows_preview(sorted(set(dup)))} in "
                             f"column {s.id_column!r}; each site needs its own id")
    text = gdf[s.capacity_column].map(lambda v: cell_text(v, s.decimal), na_action="ignore")
    cap, _ = parse_numbers(text, s.decimal, s.thousands, set(), str(path), s.capacity_column,
                           line[gdf.index])
    bad = cap.isna() | (cap < 0) | (cap != cap.round())
    if bad.any():
        raise InputDataError(f"{path}: column {s.capacity_column!r}: the capacity is a whole number "
                             f"of places ≥ 0; sites {rows_preview(gdf.loc[bad, s.id_column])} hold "
                             f"{rows_preview(gdf.loc[bad, s.capacity_column], 4)}")
    zero = cap == 0
    if zero.any():
        warnings.append(vocab.note("sites.zero_capacity", file=path.name, n=int(zero.sum()),
                                   ids=vocab.preview(gdf.loc[zero, s.id_column])))
    out = gpd.GeoDataFrame({
        "site_id": gdf[s.id_column].astype(str).to_numpy(),
        "name": (gdf[s.name_column].astype(str) if s.name_column and s.name_column in gdf
                 else gdf[s.id_column].astype(str)).to_numpy(),
        "capacity": np.minimum(cap, s.max_places_per_site).astype(int).to_numpy(),
        "source": "illustrativ (Beispiel)" if s.illustrative else path.name,
    }, geometry=gdf.geometry.to_crs(crs).to_numpy(), crs=crs)
    return out, warnings

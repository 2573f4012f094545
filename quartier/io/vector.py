"""Vector files (GeoPackage, Shapefile, GeoJSON, OpenStreetMap): features, their attribute tables,
encodings and CRS, with an error naming the file and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from quartier import vocab
from quartier.errors import InputDataError
from quartier.io.readers import RawTable, check_file, header_names
from quartier.io.xlsx import cell_text


def read_attributes(path: Path, what: str, layer: str | None, encoding: str, decimal: str,
                    used: list[str]) -> RawTable:
    """The attribute table of a vector file (indicators stored with the boundaries) as text
    cells; ``line`` is the feature number (1-based)."""
    df, notes = read_vector(path, what, layer, encoding, read_geometry=False)
    names, more = header_names(list(df.columns), str(path), used)
    df = pd.DataFrame({n: df[c].map(lambda v: cell_text(v, decimal), na_action="ignore")
                       for n, c in zip(names, df.columns, strict=True)}, index=df.index)
    df = df.apply(lambda c: c.astype("string").str.strip().fillna(""))
    return RawTable(df=df.reset_index(drop=True), line=pd.Series(np.arange(len(df)) + 1),
                    notes=notes + more)


def read_vector(path: Path, what: str, layer: str | None = None, encoding: str = "auto",
                crs: str | None = None, crs_key: str = "crs", **kwargs
                ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A vector file (GeoPackage, Shapefile, GeoJSON, … anything GDAL reads; GeoParquet) and notes.

    ``encoding="auto"`` lets GDAL decide (UTF-8, a shapefile's ``.cpg``) and falls back to cp1252,
    then latin-1, when the text is not valid UTF-8 (a note says so). ``crs`` is set when the
    file declares none (or overrides a wrong one); a file without CRS and no ``crs`` is an
    error. An unknown layer lists the file's layers. ``what`` and ``crs_key`` name the config
    keys in messages.
    """
    check_file(path, what)
    notes: list[str] = []
    if path.suffix.lower() in GEOPARQUET_SUFFIXES:
        gdf, enc = _read_geoparquet(path, what, kwargs.get("read_geometry")), None
    else:
        gdf, enc = _read_gdal(path, what, layer, encoding, **kwargs)
    if kwargs.get("read_geometry") is False:
        return gdf, ([vocab.note("read.encoding", encoding=enc)]
                     if enc is not None and encoding == "auto" else [])
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise InputDataError(f"{path}: has no geometry ({what}): a table, not boundaries/points; "
                             "give a GeoPackage, Shapefile or GeoJSON (or a table as [[tables]])")
    if enc is not None and encoding == "auto":
        notes.append(vocab.note("read.encoding", encoding=enc))
    if crs:
        if gdf.crs is not None and not gdf.crs.equals(pyproj.CRS.from_user_input(crs)):
            notes.append(vocab.note("read.crs_override", file_crs=gdf.crs.to_string(), crs=crs))
        gdf = gdf.set_crs(crs, allow_override=True)
    elif gdf.crs is None:
        raise InputDataError(f"{path}: the file declares no CRS ({what}); set {crs_key} in the "
                             "config (e.g. 'EPSG:25832', or 'EPSG:4326' for lon/lat)")
    return gdf, notes


def _read_gdal(path: Path, what: str, layer: str | None, encoding: str, **kwargs
               ) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read with GDAL, trying UTF-8, then cp1252 and latin-1 (``encoding="auto"``)."""
    tries = [None, "cp1252", "latin-1"] if encoding == "auto" else [encoding]
    for i, enc in enumerate(tries):
        try:
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=enc, **kwargs)
            # C1 control characters in text come from reading cp1252 as latin-1 (a shapefile
            # without .cpg): "€" would become U+0080; read it as cp1252 instead
            if encoding == "auto" and enc is None and _has_c1(gdf):
                continue
            break
        except UnicodeDecodeError as exc:
            if i + 1 == len(tries):
                raise InputDataError(
                    f"{path}: text is not {enc or 'UTF-8'} (byte {exc.start}) ({what}); set the "
                    "file's encoding in the config (e.g. encoding = 'cp1252')") from None
        except LookupError:
            raise InputDataError(f"{path}: unknown encoding {enc!r} ({what})") from None
        except pyogrio.errors.DataLayerError as exc:
            layers = ", ".join(repr(str(n)) for n, _ in _layers(path))
            raise InputDataError(f"{path}: cannot read layer {layer!r} ({exc}) ({what}); the "
                                 f"file's layers: {layers or 'none'}") from None
        except (pyogrio.errors.DataSourceError, pyogrio.errors.GeometryError,
                pyogrio.errors.FieldError, pyogrio.errors.CRSError, ValueError) as exc:
            raise InputDataError(f"{path}: cannot be read as vector data ({what}): "
                                 f"{str(exc).splitlines()[0][:300]}") from None
    return gdf, enc


#: GeoParquet is read by geopandas (pyarrow): GDAL builds often lack its driver.
GEOPARQUET_SUFFIXES = (".parquet", ".geoparquet")


def _read_geoparquet(path: Path, what: str, read_geometry: bool | None) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" in str(exc).lower():
            raise InputDataError(f"{path}: has no geometry ({what}): a parquet table without "
                                 "GeoParquet metadata; give boundaries as GeoParquet, "
                                 "GeoPackage, Shapefile or GeoJSON") from None
        raise InputDataError(f"{path}: cannot be read as GeoParquet ({what}): "
                             f"{str(exc).splitlines()[0][:300]}") from None
    except (OSError, ImportError) as exc:
        raise InputDataError(f"{path}: cannot be read as GeoParquet ({what}): "
                             f"{str(exc).splitlines()[0][:300]}") from None
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)) if read_geometry is False else gdf


def _has_c1(df: pd.DataFrame) -> bool:
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            if df[c].astype("string").str.contains("[\x80-\x9f]", regex=True).fillna(False).any():
                return True
    return False


def layer_names(path: Path) -> list[str]:
    """The layers of a vector file (none for a file GDAL cannot open)."""
    return [str(n) for n, _ in _layers(path)]


def _layers(path: Path) -> list:
    try:
        return list(pyogrio.list_layers(path))
    except (pyogrio.errors.DataSourceError, ValueError):
        return []


def read_osm_layer(path: Path, layer: str, what: str, **kwargs) -> gpd.GeoDataFrame:
    """One layer (points, lines, multipolygons) of an OSM XML/PBF file, gzip allowed."""
    check_file(path, what)
    name = f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)
    try:
        # GDAL's default node index only takes positive ids; editors (JOSM, iD) write new
        # objects with negative ids, which the SQLite index handles at no cost for a city
        return pyogrio.read_dataframe(name, layer=layer, on_invalid="ignore",
                                      USE_CUSTOM_INDEXING="NO", **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot be read as OpenStreetMap data ({what}): "
                             f"{str(exc).splitlines()[0][:300]}") from None


def osm_tag(df: pd.DataFrame, key: str) -> pd.Series:
    """A tag's value from its own column or from GDAL's ``other_tags`` hstore text."""
    if key in df.columns:
        return df[key].astype("string")
    if "other_tags" not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    pattern = rf'"{re.escape(key)}"=>"([^"]*)"'
    return df["other_tags"].astype("string").str.extract(pattern, expand=False)


def match_tags(df: pd.DataFrame, tags: dict[str, list[str]]) -> pd.Series:
    hit = pd.Series(False, index=df.index)
    for key, values in tags.items():
        hit |= osm_tag(df, key).isin(values).fillna(False)
    return hit

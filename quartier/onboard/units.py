"""What `init` learns from a boundary file: CRS, encoding, candidate id, name and group columns,
units stored as several features, numeric attributes, and each unit's area.

Nothing here decides the id column alone: the id is the column the tables' keys match (see
:mod:`quartier.onboard.keys`); this module lists the columns that could be it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from quartier import vocab
from quartier.errors import InputDataError
from quartier.io.readers import check_file
from quartier.io.vector import read_vector
from quartier.onboard.document import Line

#: Column-name hints (lower case, umlauts written out).
ID_HINT = re.compile(r"(^|[^a-z])(id|nr|nummer|schl|schluessel|key|code|kennz|gkz|ags|plr|bzr|"
                     r"sb|bez)([^a-z]|$)")
NAME_HINT = re.compile(r"name|bezeichnung|titel|label|ortsteil|stadtteil|quartier|bezirk|raum")
GROUP_HINT = re.compile(r"bezirk|stadtbezirk|stadtteil|district|gemeinde|kreis|bez_|region|parent")
#: Attributes that describe the geometry or the record, not the population.
NOT_INDICATOR = re.compile(r"flaeche|area|shape_|length|laenge|umfang|perimeter|objectid|^fid$|"
                           r"gml_id|^id$|_id$|^bez$|schluessel|^ags|^gkz|^ars|^x$|^y$|^lon|^lat|"
                           r"rechtswert|hochwert|^gid$|lifecycle|level|class")
#: Columns numbering the records of a file, not the units.
RECORD_NUMBERS = {"fid", "ogc_fid", "objectid", "gid", "index", "feature_id", "rowid"}
#: Text longer than this (on average) is a description or an encoded geometry, never a key.
MAX_KEY_LENGTH = 60


def slug(text: object) -> str:
    """A column name quartier can use: ascii, lower case, '_' between words."""
    import unicodedata

    t = str(text).casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("%", " pct "),
                 ("‰", " promille "), ("²", "2")):
        t = t.replace(a, b)
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    t = re.sub(r"[^a-z0-9]+", "_", t).strip("_")
    return ("x_" + t if t[:1].isdigit() else t)[:60].rstrip("_") or "spalte"


def text_of(series: pd.Series) -> pd.Series:
    """Values as stripped text; whole floats without '.0', missing as ''."""
    def one(v: object) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    return series.astype(object).map(one).astype("string")


def has_letters(t: pd.Series, share: float = 0.9) -> bool:
    t = t[t != ""]
    return bool(len(t)) and t.str.contains(r"[^\W\d_]", regex=True).mean() >= share


@dataclass
class KeyOption:
    """A column that could be the units' id: its value per unit (after merging parts)."""

    column: str
    ids: pd.Series
    merge_parts: bool
    hint: float
    width: int | None = None
    #: the file stored the ids as numbers; ``width`` comes from the tables
    lost_zeros: bool = False


@dataclass
class UnitsInfo:
    path: Path
    layer: str | None
    lines: list[Line]
    city_crs: str
    city_evidence: str
    features: pd.DataFrame
    keys: list[KeyOption]
    names: dict[str, pd.Series]
    groups: dict[str, pd.Series]
    numeric: list[str]
    area_m2: pd.Series
    lonlat: tuple[float, float, float, float]
    notes: list[str] = field(default_factory=list)

    def option(self, column: str) -> KeyOption:
        return next(k for k in self.keys if k.column == column)

    def per_unit(self, option: KeyOption, column: str) -> pd.Series:
        """A feature attribute as one value per unit of ``option`` (parts agree)."""
        values = text_of(self.features[column])
        return values.groupby(option_key(self, option).to_numpy(), sort=False).first().reindex(
            option.ids.to_numpy()).reset_index(drop=True).astype("string")

    def area_of(self, option: KeyOption) -> pd.Series:
        return self.area_m2.groupby(option_key(self, option).to_numpy(), sort=False).sum() \
            .reindex(option.ids.to_numpy()).reset_index(drop=True)


def option_key(info: UnitsInfo, option: KeyOption) -> pd.Series:
    key = text_of(info.features[option.column])
    if option.width:
        key = key.where(~key.str.fullmatch(r"\d+").fillna(False), key.str.zfill(option.width))
    return key


def guess_crs(bounds: np.ndarray) -> tuple[str, bool, str]:
    """(crs, swap_axes, evidence) for coordinates without a declared CRS."""
    x0, y0, x1, y1 = bounds
    if -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90:
        if 45 <= x0 and x1 <= 56 and 5 <= y0 and y1 <= 16:
            return "EPSG:4326", True, ("no CRS in the file; x lies in 45…56 and y in 5…16: "
                                       "latitude and longitude are swapped (lat, lon)")
        return "EPSG:4326", False, "no CRS in the file; the coordinates look like lon/lat degrees"
    if 3e7 < x0 < 3.4e7:
        zone = int(x0 // 1e6)
        code = {32: "EPSG:4647", 33: "EPSG:5650"}.get(zone, "EPSG:4647")
        return code, False, f"no CRS in the file; x starts with the UTM zone {zone} (zE-N)"
    if 2.4e6 < x0 < 5.9e6 and 5.2e6 < y0 < 6.2e6:
        zone = int(x0 // 1e6)
        return (f"EPSG:{31464 + zone}", False,
                f"no CRS in the file; x {x0:,.0f}… looks like Gauß-Krüger zone {zone}")
    if 1e5 < x0 < 9e5 and 5.2e6 < y0 < 6.2e6:
        code = "EPSG:25833" if x0 < 5e5 and x1 < 5e5 and y0 > 5.6e6 else "EPSG:25832"
        return code, False, (f"no CRS in the file; x {x0:,.0f}…, y {y0:,.0f}… look like "
                             f"ETRS89/UTM: {code} assumed — check it against a known place")
    raise InputDataError(f"the boundary file declares no CRS and its coordinates ({x0:.0f}, "
                         f"{y0:.0f}) fit no CRS quartier knows: set units.crs by hand")


#: Columns of a census grid file: cell centres or INSPIRE ids.
GRID_COLUMNS = re.compile(r"^(x_mp|y_mp|gitter_id)", re.IGNORECASE)


def _table_columns(path: Path) -> list[str]:
    """The header of a table file (parquet schema, first CSV line), for the message only."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return [str(n) for n in pq.read_schema(path).names]
        except (OSError, ValueError):
            return []
    if path.suffix.lower() == ".xlsx":
        return []
    first = path.read_bytes()[:4096].decode("utf-8", "replace").splitlines()[:1]
    return [c.strip().strip('"') for c in re.split(r"[;,\t|]", first[0])] if first else []


def _read(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, list[Line]]:
    """The features with a CRS (declared, or guessed from the coordinates) and the lines that
    say how the file was read."""
    lines: list[Line] = []
    try:
        gdf, notes = read_vector(path, "--units", layer, on_invalid="fix")
        declared = True
    except InputDataError as exc:
        if "declares no CRS" not in str(exc):
            raise
        gdf = pyogrio.read_dataframe(path, layer=layer, on_invalid="fix")
        notes, declared = [], False
    if gdf.empty:
        raise InputDataError(f"{path}: the boundary file has no features")
    enc = next((e for e in ("cp1252", "latin-1") if vocab.note("read.encoding", encoding=e) in notes),
               None)
    if enc is not None:
        lines.append(Line("encoding", enc, f"the names are not UTF-8: they read correctly as {enc}"))
    geom = gdf.geometry
    ok = ~(geom.isna() | geom.is_empty)
    if not ok.any():
        raise InputDataError(f"{path}: no feature has a geometry")
    bounds = np.asarray(shapely.total_bounds(geom[ok].values))
    if not np.isfinite(bounds).all():
        raise InputDataError(f"{path}: the coordinates are not finite numbers")
    swap = False
    if declared and gdf.crs.is_geographic and not (
            -180 <= bounds[0] and bounds[2] <= 180 and -90 <= bounds[1] and bounds[3] <= 90):
        # GeoJSON without a "crs" member is WGS84 by definition, yet offices export metres
        declared = False
        gdf = gdf.set_crs(None, allow_override=True)
    if not declared:
        crs, swap, why = guess_crs(bounds)
        lines.append(Line("crs", crs, why, "likely"))
        gdf = gdf.set_crs(crs, allow_override=True)
    else:
        lon0, lat0, lon1, lat1 = pyproj.Transformer.from_crs(
            gdf.crs, 4326, always_xy=True).transform_bounds(*bounds)
        swap = 45 <= lon0 and lon1 <= 56 and 5 <= lat0 and lat1 <= 16
        if swap:
            why = "in lon/lat the units lie at lon 45…56, lat 5…16: the file stores (lat, lon)"
    if swap:
        lines.append(Line("swap_axes", True, why if declared else "the file stores (lat, lon)"))
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1]))
    return gdf, lines


def _city_crs(gdf: gpd.GeoDataFrame) -> tuple[str, str, tuple[float, float, float, float]]:
    """ETRS89/UTM zone of the city's centre (no union of possibly invalid rings: the bounds)."""
    ok = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    lonlat = pyproj.Transformer.from_crs(gdf.crs, 4326, always_xy=True).transform_bounds(
        *shapely.total_bounds(gdf.geometry[ok].values))
    lon = (lonlat[0] + lonlat[2]) / 2
    code = "EPSG:25832" if lon < 12 else "EPSG:25833"
    return code, f"centre at {lon:.2f}° E: {'west' if lon < 12 else 'east'} of 12° E", lonlat


def _key_options(features: pd.DataFrame, texts: dict[str, pd.Series]) -> list[KeyOption]:
    """Columns that identify the units: non-empty, short, and unique — or repeated only by
    features that agree in every other attribute (parts of one unit)."""
    n = len(features)
    per_feature = [c for c, t in texts.items() if t.nunique() == n]
    options = []
    for c, t in texts.items():
        if t.eq("").any() or t.str.len().mean() > MAX_KEY_LENGTH or t.nunique() < 2:
            continue
        if pd.api.types.is_float_dtype(features[c]) and \
                t.str.fullmatch(r"-?\d+\.\d*[1-9]\d*").fillna(False).any():
            continue   # a measure with decimals is never a key (a text code "1.01" may be)
        hint = 2.0 * bool(ID_HINT.search(slug(c))) + 1.0 * bool(t.str.fullmatch(r"\d+").all())
        if has_letters(t) and t.str.len().mean() > 8:
            hint -= 2.0   # a unique name is still a name: the id is the office's number
        digits = t.str.fullmatch(r"\d+").all()
        width = None
        if digits and t.str.len().nunique() == 1 and t.str.startswith("0").any():
            width = int(t.str.len().iloc[0])
        if digits and not width and (set(t.astype(int)) == set(range(n))
                                     or slug(c) in RECORD_NUMBERS):
            hint -= 3.0   # a running number (feature ids 0…n-1) is no office's key
        if t.nunique() == n:
            options.append(KeyOption(c, t.reset_index(drop=True), False, hint, width))
            continue
        if t.nunique() < 0.75 * n:
            continue   # parts of units are a few features, not most of them (a district column)
        others = [o for o in texts if o != c and o not in per_feature]
        if not others or (pd.DataFrame({o: texts[o] for o in others}).groupby(
                t.to_numpy(), sort=False).nunique(dropna=False) <= 1).all().all():
            ids = pd.Series(pd.unique(t), dtype="string")
            options.append(KeyOption(c, ids, True, hint - 0.5, width))
    return options


def inspect_units(path: Path, layer: str | None = None) -> UnitsInfo:
    """Read a boundary file as `init` needs it (nothing is decided here but CRS and encoding)."""
    check_file(path, "--units")
    if path.suffix.lower() in (".parquet", ".csv", ".txt", ".xlsx"):
        columns = _table_columns(path)
        grid = [c for c in columns if GRID_COLUMNS.match(c) or c in ("x", "y")]
        raise InputDataError(
            f"{path}: a table, not boundaries" + (
                f" — it looks like a census grid ({', '.join(grid)}). Grid cells as units are "
                "configured by hand: [units.grid] path, x/y or id_column, populated; tables join "
                "= 'grid' (see data/germany_1km/quartier.toml)" if grid else
                ": give the boundary file (GeoPackage, Shapefile, GeoJSON) as --units and this "
                "file as --table"))
    gdf, lines = _read(path, layer)
    kinds = gdf.geometry.geom_type.dropna()
    if len(kinds) and not kinds.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).any():
        raise InputDataError(f"{path}: the features are {', '.join(sorted(set(kinds)))}, not "
                             "areas: units need boundaries (polygons)")
    city_crs, city_evidence, lonlat = _city_crs(gdf)
    features = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    texts = {c: text_of(features[c]) for c in features.columns}
    keys = _key_options(features, texts)
    if not keys:
        raise InputDataError(
            f"{path}: no column holds a non-empty id for every feature (unique, or repeated "
            f"only by parts of one unit); columns: {', '.join(map(str, features.columns))}")
    valid = shapely.make_valid(gdf.geometry.values)
    metric = gpd.GeoSeries(valid, crs=gdf.crs).to_crs(city_crs)
    area = pd.Series(np.asarray(metric.area), index=features.index).where(lambda a: a > 0)
    names = {c: t.reset_index(drop=True) for c, t in texts.items()
             if has_letters(t) and t.str.len().mean() <= 80 and t.nunique() >= 0.5 * len(t)}
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])
               and not pd.api.types.is_bool_dtype(features[c]) and features[c].notna().any()
               and not NOT_INDICATOR.search(slug(c))]
    return UnitsInfo(path, layer, lines, city_crs, city_evidence, features, keys, names, {},
                     numeric, area, lonlat)


def group_options(info: UnitsInfo, option: KeyOption, exclude: set[str]) -> dict[str, pd.Series]:
    """Columns naming a coarser area of each unit (Bezirk, Stadtteil): 2 … n/2 distinct values,
    the same for the parts of a unit."""
    n = len(option.ids)
    out = {}
    for c in info.features.columns:
        if c in exclude or c == option.column:
            continue
        values = info.per_unit(option, c)
        k = values.nunique()
        if values.eq("").any() or not 2 <= k <= max(2, n // 2) or values.str.len().mean() > 80:
            continue
        out[c] = values
    return out

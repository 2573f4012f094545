"""Interactive maps (WGS84 only here; all analysis stays in the metric CRS).

A map is a folium page with quartier's own script (``static/map.js``, ``static/map.css``): one
payload of escaped values draws the layers, the popups and the search and keeps the legend in
step with what is shown. What a planner gets:

* a **title** with the reference date and the date it was made, the **sources**, and a print
  layout (A4 landscape, title, legend and sources on the page);
* **one popup per unit** — its key figures, the reasons it is flagged, links to its profile and
  its action area — from every theme; flagged units and action areas are outlines on top that do
  not catch the click;
* a **search** by name or number (``/``);
* a **layer panel**: one theme at a time (status, indicator, access, rent, clusters, hot spots),
  outlines, facilities (one symbol and colour per category), gaps and sites; collapsed on a
  phone;
* a **legend** of the visible layers only (collapsible), every colour ramp saying which end is
  good; good never in the red of "sehr niedrig".

Safety: every value from the data is escaped by :func:`quartier.io.escape.html_text` before it
reaches the payload (the script writes only those strings as HTML), and folium's second Jinja2
pass finds no template syntax in it. Leaflet, Leaflet.markercluster and the script are inlined
from ``quartier/static`` (BSD-2 / MIT): a map opens without a CDN; only the background tiles
need a network.

A polygon layer of more than :data:`MAX_VECTOR_UNITS` units (the 214 633 cells of the Zensus
1 km grid) would be hundreds of MB of GeoJSON: it is drawn as one PNG image instead
(:func:`raster_overlay`), flagged outlines as one dissolved line (:func:`dissolved_outline`), off
when the map opens above :data:`FLAGGED_SHOWN_MAX`; the legend says so; the values stay in the
CSV tables.
"""

from __future__ import annotations

import base64
import html
import json
import re
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import cast

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pyproj
import rasterio.features
import rasterio.transform
import shapely
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

from quartier import vocab
from quartier.io.escape import html_text as _fmt
from quartier.io.outputs import write_text
from quartier.vocab import HotSpot

STATIC = Path(__file__).parent.parent / "static"   # shared with the review app
#: ColorBrewer YlOrRd (9 classes): a ramp whose high end is bad (dark red).
YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c",
          "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
#: ColorBrewer YlGn: a ramp whose high end is good (dark green), never red.
YLGN = ["#ffffe5", "#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443",
        "#006837", "#004529"]
#: ColorBrewer Purples: a ramp without a valuation.
PURPLES = ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3",
           "#54278f", "#3f007d"]
NO_DATA_COLOUR = vocab.NO_DATA_COLOUR
#: Berlin's status classes (the default labels) in their colours; others by :func:`vocab.class_colours`.
STATUS_COLOURS = vocab.class_colours(["hoch", "mittel", "niedrig", "sehr niedrig"])
HOTSPOT_COLOURS = {str(k): v for k, v in vocab.HOTSPOT_COLOURS.items()}
REVIEW_COLOURS = {str(k): v for k, v in vocab.REVIEW_COLOURS.items()}
CLUSTER_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                   "#666666", "#1f78b4"]
#: One colour per facility category (Okabe–Ito and Tableau, none of them the status red).
POI_COLOURS = ["#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c564b", "#7f7f7f",
               "#bcbd22", "#17becf", "#9467bd", "#393b79", "#637939"]
AREA_COLOUR = vocab.AREA_COLOUR
#: Simplification tolerance (m) before reprojecting to WGS84; invisible at city zoom levels.
SIMPLIFY_M = 5.0
#: Most units a polygon layer draws as vector shapes. Above it the layer is a PNG image: 20 000
#: simplified polygons are ~10 MB of HTML and still pan smoothly on a canvas, the 214 633 cells
#: of Germany's 1 km grid would be ~100 MB and freeze the browser.
MAX_VECTOR_UNITS = 20_000
#: Most flagged units whose outlines the map shows when it opens (more: the layer starts off,
#: the legend says so — 13 110 outlines make Germany a black blob).
FLAGGED_SHOWN_MAX = 2_000
#: Most units of a large (raster) map the search knows (the highest priority first).
MAX_SEARCH_UNITS = 5_000
#: Longest side (pixels) of a raster layer: ≤ 4096 × 4096 px, a few MB of PNG at most.
MAX_RASTER_PX = 4096
#: Pixels along the side of a median unit: with 2, every cell of a grid that Web Mercator turns
#: by a few degrees keeps at least one pixel (with 1, some would vanish between their neighbours).
PX_PER_UNIT = 2
#: Most values mapclassify classifies directly; the breaks of more come from a sample this large,
#: as its FisherJenksSampled does: NaturalBreaks' k-means takes seconds per 100 000 values (tens of
#: seconds on a busy machine), and breaks from 10 000 of them differ from the full ones by ~1 %.
CLASSIFY_SAMPLE = 10_000
#: Categories that are not drawn as facilities (green spaces are areas, not points).
POI_SKIP = ("gruenflaeche",)


def _palette(k: int, ramp: list[str] = YLORRD) -> list[str]:
    idx = np.linspace(0, len(ramp) - 1, k).round().astype(int)
    return [ramp[i] for i in idx]


def _t(key: str, **values: object) -> str:
    """A vocabulary text, escaped for the page (values are formatted by the caller)."""
    return _fmt(vocab.text(key, None, **values))


# ---------------------------------------------------------------------------------- geometry


def web_geometry(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with its geometries simplified by :data:`SIMPLIFY_M` in the metric CRS and
    reprojected to WGS84: done once for all layers of a map (geometries already in a
    geographic CRS are taken as they are)."""
    if gdf.crs is None or gdf.crs.is_geographic:
        return gdf
    simple = gdf.set_geometry(gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True))
    return simple.to_crs(4326)


def _geojson(geoms: gpd.GeoSeries, properties: list[dict] | None = None) -> dict:
    """A FeatureCollection (coordinates rounded to ~0.1 m) with the given properties."""
    rounded = shapely.set_precision(geoms.values, 1e-6, mode="pointwise")
    feats = []
    for k, g in enumerate(rounded):
        if g is None or g.is_empty:
            continue
        feats.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
                      "properties": properties[k] if properties is not None else {"_i": k}})
    return {"type": "FeatureCollection", "features": feats}


def _bbox(geoms: gpd.GeoSeries) -> list[list[float] | None]:
    b = geoms.bounds.to_numpy()
    return [[round(float(v), 5) for v in row] if np.isfinite(row).all() else None for row in b]


# ------------------------------------------------------------------------------ classification


def classify(values: np.ndarray, scheme: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper class bounds and each value's class (0-based) by a mapclassify scheme.

    Of more than :data:`CLASSIFY_SAMPLE` values the breaks come from a seeded random sample
    (the same on every run) that holds the minimum and maximum; every value is then classed by
    them with mapclassify's rule (class i: bounds[i-1] < value ≤ bounds[i]).
    """
    sample = values
    if len(values) > CLASSIFY_SAMPLE:
        picked = np.random.default_rng(0).choice(values, CLASSIFY_SAMPLE - 2, replace=False)
        sample = np.concatenate([picked, [values.min(), values.max()]])
    # one thread: NaturalBreaks' k-means on 1-D values gains nothing from OpenMP, and its spinning
    # threads on a busy machine turned 0.3 s into 25 s
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")   # "not enough unique values": fewer classes, said below
        classifier = mapclassify.classify(sample, scheme=scheme, k=k)
    if sample is values:
        return classifier.bins, classifier.yb
    return classifier.bins, np.searchsorted(classifier.bins, values, side="left")


def large_note(n: int, language: str = "de", values_in: str | None = None,
               outline: bool = False) -> str:
    """The legend's note on a layer of ``n`` units drawn without one shape per unit, e.g.
    "214.633 Einheiten: als Rasterbild gezeichnet (über 20.000), keine Tooltips — Werte in
    priority.csv" (``values_in``: the output table that holds the values)."""
    with vocab.use_language(language):
        text = vocab.text("map.outline" if outline else "map.raster", n=vocab.count(n),
                          limit=vocab.count(MAX_VECTOR_UNITS))
        where = (vocab.text("map.values_in", file=values_in) if values_in
                 else vocab.text("map.values_in_run"))
    return f"{text} — {where}"


# ---------------------------------------------------------------------------------- rasters


def _rgba(colour: str, opacity: float) -> tuple[int, int, int, int]:
    """``#rrggbb`` and an opacity in [0, 1] as 8-bit RGBA."""
    code = colour.lstrip("#")
    return (int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16), round(255 * opacity))


def _png(codes: np.ndarray, palette: list[tuple[int, int, int, int]]) -> bytes:
    """A paletted PNG (one byte per pixel, alpha in the palette): half the size of RGBA."""
    height, width = codes.shape
    with warnings.catch_warnings(), MemoryFile() as mem:
        # a PNG for a web page carries no georeference: its bounds are the overlay's
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with mem.open(driver="PNG", width=width, height=height, count=1, dtype="uint8",
                      zlevel=6) as png:
            png.write(codes, 1)
            png.write_colormap(1, dict(enumerate(palette)))
        return mem.read()


@dataclass(frozen=True)
class UnitRaster:
    """Units burnt into one image in EPSG:3857, shared by every layer drawn from them.

    Attributes
    ----------
    index : ndarray of int32, shape (rows, cols)
        Position (1-based) of the unit covering each pixel; 0 where none does.
    bounds : list of list of float
        The image's WGS84 bounds ``[[south, west], [north, east]]`` (degrees).
    n_units : int
        Number of units burnt in.
    """

    index: np.ndarray
    bounds: list[list[float]]
    n_units: int


def unit_raster(gdf: gpd.GeoDataFrame) -> UnitRaster:
    """All units burnt at once (``rasterio.features.rasterize``) into a grid in EPSG:3857, the
    projection Leaflet displays, so the image needs no warping in the browser (the grid is for
    display only: no distance is computed in it).

    Pixel size: the side of the median unit / :data:`PX_PER_UNIT` (m in EPSG:3857), coarser
    where the image would exceed :data:`MAX_RASTER_PX` on its longest side. Where units overlap,
    the later one covers the pixel.
    """
    merc = gdf.geometry.to_crs(3857)
    minx, miny, maxx, maxy = merc.total_bounds
    px = max(float(np.sqrt(merc.area.median())) / PX_PER_UNIT,
             max(maxx - minx, maxy - miny) / MAX_RASTER_PX)
    width = max(1, int(np.ceil((maxx - minx) / px)))
    height = max(1, int(np.ceil((maxy - miny) / px)))
    drawn = ~(merc.is_empty | merc.isna()).to_numpy()
    index = rasterio.features.rasterize(
        zip(merc.to_numpy()[drawn], (np.flatnonzero(drawn) + 1).tolist(), strict=True),
        out_shape=(height, width), fill=0, dtype="int32",
        transform=rasterio.transform.Affine(px, 0.0, minx, 0.0, -px, maxy))
    to_wgs84 = pyproj.Transformer.from_crs(3857, 4326, always_xy=True)
    # Mercator is separable: the image's corners are its WGS84 bounds
    west, south = to_wgs84.transform(minx, maxy - height * px)
    east, north = to_wgs84.transform(minx + width * px, maxy)
    return UnitRaster(index, [[south, west], [north, east]], len(gdf))


def raster_overlay(raster: UnitRaster, colours: Sequence[str | None],
                   opacity: float | Sequence[float], name: str, show: bool = True
                   ) -> folium.raster_layers.ImageOverlay:
    """The units of ``raster`` as one PNG image overlay, each filled with its colour.

    Parameters
    ----------
    raster : UnitRaster
        The units burnt by :func:`unit_raster`.
    colours : sequence of str or None
        ``#rrggbb`` per unit, in the units' order; None (a missing value) leaves it transparent.
    opacity : float or sequence of float
        Fill opacity in [0, 1], one for all units or one per unit.
    name : str
        Layer name (escaped here).

    Returns
    -------
    folium.raster_layers.ImageOverlay
        A self-contained overlay (the PNG as a data URL) with the image's WGS84 bounds.
    """
    if len(colours) != raster.n_units:
        raise ValueError(f"{len(colours)} colours for a raster of {raster.n_units} units")
    fills = pd.DataFrame({"colour": list(colours),
                          "alpha": np.broadcast_to(np.asarray(opacity, dtype="float64"),
                                                   (raster.n_units,))})
    fills = fills[fills["colour"].notna() & (fills["alpha"] > 0)]
    # a few colours for many units: one palette entry per distinct colour and opacity
    combos = fills.drop_duplicates().reset_index(drop=True)
    if len(combos) > 255:
        raise ValueError(f"{len(combos)} colours: a raster layer holds at most 255")
    palette = [(0, 0, 0, 0), *(_rgba(c, a) for c, a in combos.itertuples(index=False))]
    code = fills.merge(combos.assign(code=np.arange(1, len(combos) + 1)), how="left",
                       on=["colour", "alpha"])["code"].to_numpy()
    per_unit = np.zeros(raster.n_units + 1, dtype="uint8")   # position 0: no unit
    per_unit[fills.index.to_numpy() + 1] = code
    png = _png(per_unit[raster.index], palette)
    return folium.raster_layers.ImageOverlay(
        "data:image/png;base64," + base64.b64encode(png).decode("ascii"), bounds=raster.bounds,
        name=_fmt(name), show=show, pixelated=True, control=False)


def dissolved_outline(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The outline of all units as one (multi)polygon in WGS84, shared edges dissolved and
    simplified by :data:`SIMPLIFY_M` (m in EPSG:3857): a block of flagged cells is one ring."""
    union = gpd.GeoSeries([gdf.geometry.union_all()], crs=gdf.crs).to_crs(3857)
    return gpd.GeoDataFrame(geometry=union.simplify(SIMPLIFY_M), crs=3857).to_crs(4326)


def core_bounds(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """WGS84 bounds of the units without far-off ones (an island 50 km out at sea would leave
    the city small in a corner): units whose centre lies beyond 3 interquartile ranges of the
    centres' quartiles are left out of the view (they stay on the map)."""
    web = gdf.to_crs(4326)
    centres = shapely.get_coordinates(web.geometry.representative_point().values)
    if len(centres) < 8:
        return web.total_bounds
    q1, q3 = np.percentile(centres, 25, axis=0), np.percentile(centres, 75, axis=0)
    span = np.maximum(q3 - q1, 1e-3)
    core = ((centres >= q1 - 3 * span) & (centres <= q3 + 3 * span)).all(axis=1)
    return web[core].total_bounds if core.any() else web.total_bounds


# -------------------------------------------------------------------------------- the payload


@dataclass
class MapWords:
    """What the map says around the numbers (from the config's ``[city]`` and ``[report]``)."""

    title: str = "quartier"
    city: str = ""
    data_date: str | None = None
    units: str | None = None            # "Planungsräume"; default vocab "Quartiere"
    unit: str | None = None
    group: str | None = None            # "Bezirk"
    sources: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)   # report, profiles
    index_name: str | None = None
    status_labels: list[str] | None = None
    illustrative_sites: bool = False
    made: date = field(default_factory=date.today)


@dataclass
class _Layer:
    key: str
    name: str
    group: str                     # theme, outline, pois, gaps, base
    show: bool
    legend: dict | None = None
    spec: dict = field(default_factory=dict)    # what the script needs to draw it
    folium_layer: MacroElement | None = None    # drawn by folium (rasters, large outlines)


class MapData:
    """Everything the script of one map draws: units, layers, words (escaped strings only)."""

    def __init__(self, units: gpd.GeoDataFrame, words: MapWords, language: str) -> None:
        self.units = units              # WGS84, simplified
        self.words = words
        self.language = language
        self.large = len(units) > MAX_VECTOR_UNITS
        self.layers: list[_Layer] = []
        self.unit_info: dict | None = None
        self.raster: UnitRaster | None = None
        self.finished: str | None = None   # the name of the script element, once added
        #: column → label, for raw names in the analysis' reasons
        self.labels: Mapping[str, str] = {}

    def add(self, layer: _Layer) -> _Layer:
        if any(x.key == layer.key for x in self.layers):
            layer.key = f"{layer.key}_{len(self.layers)}"
        self.layers.append(layer)
        return layer

    def payload(self) -> dict:
        w = self.words
        with vocab.use_language(self.language):
            subtitle = [vocab.text("map.data_date", date=w.data_date)] if w.data_date else []
            subtitle.append(vocab.text("map.created", date=vocab.long_date(w.made)))
            texts = vocab.texts("map.")
        units = None
        if self.unit_info is not None:
            units = self.unit_info
        return {
            "lang": self.language,
            # quartier's own texts: HTML-escaped, their {placeholders} kept for the script
            "t": {k: html.escape(v) for k, v in texts.items()},
            "title": _fmt(w.title), "subtitle": _fmt(" · ".join(subtitle)),
            "sources": [_fmt(s) for s in w.sources],
            "links": {k: v for k, v in w.links.items() if _SAFE_LINK.match(v)},
            "units": units,
            "layers": [{"key": x.key, "name": _fmt(x.name), "group": x.group, "show": x.show,
                        "legend": x.legend, "folium": x.folium_layer is not None, **x.spec}
                       for x in self.layers],
            "colours": {"no_data": NO_DATA_COLOUR, "area": AREA_COLOUR},
        }


_SAFE_LINK = re.compile(r"^[\w./-]+\.html$")



#: The quartier data of each map (units, layers, words), kept beside folium's object.
_MAPS: weakref.WeakKeyDictionary[folium.Map, MapData] = weakref.WeakKeyDictionary()

def _data(fmap: folium.Map) -> MapData:
    data = _MAPS.get(fmap)
    if data is None:
        raise ValueError("not a quartier map: make it with new_map(), combined_map() or "
                         "choropleth()")
    return data


def new_map(gdf: gpd.GeoDataFrame, words: MapWords | None = None, language: str = "de"
            ) -> folium.Map:
    """An empty map framed on the units (``gdf`` in WGS84 or a metric CRS)."""
    minx, miny, maxx, maxy = core_bounds(gdf)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11,
                      tiles="OpenStreetMap", prefer_canvas=True, control_scale=False,
                      zoom_control=False, zoom_snap=0.25)  # a phone frames the city closer
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    _MAPS[fmap] = MapData(web_geometry(gdf), words or MapWords(), language)
    return fmap


# ------------------------------------------------------------------------------------ legends


def legend(title: str, rows: list[tuple[str, str]], *, shape: str = "fill", note: str | None = None,
           ends: tuple[str, str] | None = None) -> dict:
    """A legend section: title, (colour, label) rows, how the swatch looks (fill, line, dot),
    an optional note and the words at the two ends of a ramp (first row, last row). Every text
    escaped here."""
    out = {"title": _fmt(title), "rows": [[c, _fmt(lab)] for c, lab in rows], "shape": shape}
    if note:
        out["note"] = _fmt(note)
    if ends:
        out["ends"] = [_fmt(ends[0]), _fmt(ends[1])]
    return out


def _ramp_words(better: str | None) -> tuple[tuple[str, str] | None, str | None]:
    """The words at the ends of a ramp whose ``better`` end is "low" or "high" (None: no
    valuation, said in a note)."""
    if better == "low":
        return (vocab.text("map.better"), vocab.text("map.worse")), None
    if better == "high":
        return (vocab.text("map.worse"), vocab.text("map.better")), None
    return None, vocab.text("map.no_valuation")


def ramp_for(better: str | None) -> list[str]:
    """The colour ramp of a numeric layer: red at the bad end only (better low → YlOrRd,
    better high → YlGn, no valuation → Purples)."""
    return {"low": YLORRD, "high": YLGN}.get(better or "", PURPLES)


# ------------------------------------------------------------------------------------- themes


def _theme(data: MapData, key: str, name: str, colours: list[str | None], values: list[str],
           legend_spec: dict, show: bool, opacity: float = 0.7, values_in: str | None = None,
           fmap: folium.Map | None = None) -> _Layer:
    """A theme layer: one fill colour per unit (None: no data). Vector units carry the colour
    index and the shown value per unit to the script; a large map gets one image."""
    layer = _Layer(key, name, "theme", show, legend_spec)
    if data.large:
        if fmap is None:
            raise ValueError("a large map draws its themes as images: pass the map (fmap)")
        data.raster = data.raster or unit_raster(data.units)
        overlay = raster_overlay(data.raster, colours, opacity, name, show)
        overlay.add_to(fmap)
        layer.folium_layer = overlay
        legend_spec["note"] = _fmt(large_note(len(data.units), data.language, values_in))
    else:
        palette = list(dict.fromkeys(c for c in colours if c is not None))
        index = {c: i for i, c in enumerate(palette)}
        layer.spec = {"palette": palette, "op": opacity,
                      "cls": [index[c] if c is not None else -1 for c in colours],
                      "val": values}
    return data.add(layer)


def choropleth(units: gpd.GeoDataFrame, column: str, label: str | None = None,
               scheme: str = "NaturalBreaks", k: int = 5, tooltip: dict[str, str] | None = None,
               fmap: folium.Map | None = None, show: bool = True, language: str = "de",
               values_in: str | None = None, raster: UnitRaster | None = None,
               better: str | None = None, key: str | None = None,
               digits: int | None = None, unit: str | None = None) -> folium.Map:
    """A theme of one numeric column in mapclassify classes, with its legend; above
    :data:`MAX_VECTOR_UNITS` units a PNG overlay (see :func:`raster_overlay`), missing values
    transparent, the legend saying so.

    Parameters
    ----------
    units : GeoDataFrame
        Units in a metric CRS with ``unit_id`` and ``unit_name`` (the rows of ``fmap``'s units
        when given).
    column : str
        Numeric column; NaN is drawn grey (left transparent in a raster layer).
    scheme : str
        Any mapclassify classifier name (NaturalBreaks, Quantiles, EqualInterval, …).
    better : "low", "high" or None
        Which end is good: the ramp (:func:`ramp_for`) and the legend's words follow it; None:
        a ramp without valuation.
    language : str
        Language of the legend (``de`` or ``en``).
    values_in : str, optional
        The output table named in a raster layer's note as holding the values.
    raster : UnitRaster, optional
        The units already burnt by :func:`unit_raster` (same rows, same order).
    tooltip : dict, optional
        Unused (the popup shows every figure of the unit); kept for callers of the old API.
    """
    del tooltip
    label = label or column
    own = fmap is None
    if fmap is None:
        fmap = new_map(units, language=language)
        _unit_info(_data(fmap), units, None, {}, None)
    data = _data(fmap)
    if raster is not None:
        data.raster = raster
    values = units[column].astype("float64")
    present = values.dropna()
    k = max(2, min(k, present.nunique()))
    upper, classes = classify(present.to_numpy(), scheme, k)
    # with ties mapclassify may keep k but return fewer bins: the bins are the classes
    colours = _palette(len(upper), ramp_for(better))
    cls = pd.Series(-1, index=units.index)
    cls[present.index] = classes
    digits = digits if digits is not None else max(auto_digits_of(present), 0)
    with vocab.use_language(language):
        lower = [present.min(), *upper[:-1]]
        rows = [(c, f"{vocab.num(lo, digits)} – {vocab.num(hi, digits)}")
                for c, lo, hi in zip(colours, lower, upper, strict=True)]
        if values.isna().any():
            rows.append(("transparent" if data.large else NO_DATA_COLOUR,
                         vocab.text("label.no_data")))
        ends, note = _ramp_words(better)
        shown = [_fmt(vocab.num(v, digits, unit=unit)) for v in values]
    fill = [colours[c] if c >= 0 else None for c in cls]
    if not data.large:
        fill = [f if f is not None else NO_DATA_COLOUR for f in fill]
    spec = legend(label, rows, note=note, ends=ends)
    _theme(data, key or f"ch_{column}", label, fill, shown, spec, show, values_in=values_in,
           fmap=fmap)
    if own:
        finish(fmap)
    return fmap


def attach_units(fmap: folium.Map, units: gpd.GeoDataFrame, extra: pd.DataFrame | None = None
                 ) -> None:
    """Give a map made by :func:`new_map` its units' popups and search (name, district,
    residents, profile of ``extra``)."""
    data = _data(fmap)
    with vocab.use_language(data.language):
        figs = _figures(None, None, None, extra, data.words, 0)
        _unit_info(data, data.units, None, figs, extra)


def auto_digits_of(values: pd.Series) -> int:
    """Digits for the class bounds of a column: 0 for large or whole values, 1 from 1, else 2."""
    if values.empty:
        return 0
    span = float(values.abs().median())
    if (values.round(0) == values).all() or span >= 100:
        return 0
    return 1 if span >= 1 else 2


def categorical(gdf: gpd.GeoDataFrame, column: str, colours: dict[str, str], name: str,
                fmap: folium.Map, show: bool = True, legend_rows: bool = True,
                opacity: float = 0.7, no_data: str | None = None, language: str = "de",
                values_in: str | None = None, key: str | None = None,
                labels: Mapping[str, str] | None = None, note: str | None = None,
                extra_rows: list[tuple[str, str]] | None = None) -> None:
    """A theme of a category per unit; units without one of ``colours`` grey (or transparent
    in a raster layer). ``labels``: how a category reads in the legend and the popup."""
    data = _data(fmap)
    raw = gdf[column].astype(object).where(gdf[column].notna(), None)
    labels = labels or {}
    with vocab.use_language(language):
        no_data = no_data or vocab.text("map.no_data")
        shown = [labels.get(v, vocab.state(v)) if v is not None else "–" for v in raw]
    shown = [_fmt(s) for s in shown]
    fill = [colours.get(v) for v in raw]
    if not data.large:
        fill = [f if f is not None else NO_DATA_COLOUR for f in fill]
    rows: list[tuple[str, str]] = []
    if legend_rows:
        rows = [(colours[k], labels.get(k, vocab.state(k, language))) for k in colours
                if (raw == k).any()]
        rows += extra_rows or []
        if (~raw.isin(list(colours))).any():
            rows.append(("transparent" if data.large else NO_DATA_COLOUR, no_data))
    spec = legend(name, rows, note=note)
    _theme(data, key or f"cat_{column}", name, fill, shown, spec, show, opacity, values_in, fmap)


# ------------------------------------------------------------------------------- unit popups


def _unit_info(data: MapData, units: gpd.GeoDataFrame, flags: pd.DataFrame | None,
               facts: Mapping[str, pd.Series], extra: pd.DataFrame | None) -> None:
    """Per unit what its popup and the search show: id, name, district, bounds, figures,
    reasons, flag, action area and profile (escaped strings; numbers formatted)."""
    web = data.units
    n = len(web)
    keep = np.arange(n)
    if data.large:
        # the search of a large map knows the units of the priority list (no popup shapes)
        if flags is not None and "priority_rank" in flags:
            rank = flags["priority_rank"].to_numpy(dtype="float64", na_value=np.inf)
            keep = np.argsort(rank, kind="stable")[:MAX_SEARCH_UNITS]
            keep = keep[np.isfinite(rank[keep])]
        else:
            keep = keep[:0]
    extra = extra if extra is not None else pd.DataFrame(index=web.index)
    names = extra["name"] if "name" in extra else web["unit_name"]
    groups = extra["group"] if "group" in extra else pd.Series(None, index=web.index)
    profiles = extra["profile"] if "profile" in extra else pd.Series(None, index=web.index)
    fig_labels = list(facts)
    rows = []
    for pos in keep:
        rows.append([_fmt(web["unit_id"].iloc[pos]), _fmt(names.iloc[pos]),
                     _fmt(groups.iloc[pos]) if pd.notna(groups.iloc[pos]) else "",
                     [facts[k].iloc[pos] for k in fig_labels]])
    info = {"pos": [int(p) for p in keep], "rows": rows,
            "fig": [_fmt(k) for k in fig_labels], "bbox": [_bbox(web.geometry.iloc[keep])][0]}
    if flags is not None:
        reasons = flags["reasons"] if "reasons" in flags else pd.Series("", index=flags.index)
        flag = flags.get("flagged", pd.Series(False, index=flags.index)).fillna(False)
        why = flags.get("flag_reason", pd.Series("", index=flags.index))
        area = flags.get("area_id", pd.Series(None, index=flags.index))
        info["reasons"] = [[_fmt(vocab.relabel(r, data.labels))
                            for r in str(reasons.iloc[p]).split("; ") if r]
                           if pd.notna(reasons.iloc[p]) else [] for p in keep]
        info["flag"] = [_fmt(why.iloc[p]) if bool(flag.iloc[p]) and pd.notna(why.iloc[p])
                        else ("" if not bool(flag.iloc[p]) else "✓") for p in keep]
        info["area"] = [_fmt(area.iloc[p]) if pd.notna(area.iloc[p]) else "" for p in keep]
    info["profile"] = [p if isinstance(p, str) and _SAFE_LINK.match(p) else ""
                       for p in profiles.iloc[keep]]
    if not data.large:
        info["geo"] = _geojson(web.geometry)
    data.unit_info = info


def _figures(flags: pd.DataFrame | None, access: pd.DataFrame | None,
             housing: pd.DataFrame | None, extra: pd.DataFrame | None, words: MapWords,
             n_index: int) -> dict[str, pd.Series]:
    """The key figures of every unit's popup: label → formatted value per unit (row order)."""
    out: dict[str, pd.Series] = {}

    def put(label: str, values: pd.Series) -> None:
        out[label] = values.astype(object).where(values.notna(), "–").map(
            lambda v: v if isinstance(v, str) else _fmt(v))

    index_name = words.index_name or vocab.text("map.status")
    if flags is not None:
        n_scored = int(flags["priority_rank"].notna().sum()) if "priority_rank" in flags else 0
        missing = pd.Series(np.nan, index=flags.index)
        if "status_class" in flags:
            put(index_name, pd.Series([
                "–" if pd.isna(c) else f"{c} ({vocab.num(v, 2)})"
                for c, v in zip(flags["status_class"], flags.get("status_index", missing),
                                strict=True)], index=flags.index))
        if "dynamics_class" in flags and flags["dynamics_class"].notna().any():
            put(vocab.text("map.dynamics"), pd.Series([
                "–" if pd.isna(c) else f"{c} ({vocab.num(v, 2)})"
                for c, v in zip(flags["dynamics_class"], flags.get("dynamics_index", missing),
                                strict=True)], index=flags.index))
        if "priority_rank" in flags:
            put(vocab.text("map.priority"), flags["priority_rank"].map(
                lambda r: vocab.text("map.rank", rank=vocab.count(r), n=vocab.count(n_scored))
                if pd.notna(r) else vocab.text("label.not_scored")))
        if "hotspot" in flags:
            put(vocab.column("hotspot"), flags["hotspot"].map(lambda v: vocab.state(v)))
    if extra is not None and "residents" in extra:
        put(vocab.text("map.residents"), extra["residents"].map(vocab.persons))
    if access is not None and "access_score" in access:
        put(vocab.column("access_score"), access["access_score"].map(lambda v: vocab.num(v, 0)))
    if housing is not None and "rent_eur_m2" in housing:
        put(vocab.text("map.rent_level"), pd.Series([
            "–" if pd.isna(r) else vocab.euro_m2(r) + (
                f" ({vocab.pct(c, 1, sign=True)} / 3 J.)" if pd.notna(c) and vocab.language() == "de"
                else f" ({vocab.pct(c, 1, sign=True)} / 3 y)" if pd.notna(c) else "")
            for r, c in zip(housing["rent_eur_m2"], housing.get("rent_change_3y_pct", np.nan),
                            strict=True)], index=housing.index))
    return out


# ------------------------------------------------------------------------------ other layers


def _outline_flagged(data: MapData, fmap: folium.Map, marked: gpd.GeoDataFrame, words: MapWords,
                     language: str) -> None:
    units_word = words.units or vocab.text("label.units")
    name = f"{vocab.text('map.flagged', units=units_word)} ({vocab.count(len(marked))})"
    show = len(marked) <= FLAGGED_SHOWN_MAX
    note = None if show else vocab.text("map.flagged_off", n=vocab.count(len(marked)),
                                        limit=vocab.count(FLAGGED_SHOWN_MAX))
    layer = _Layer("flagged", name, "outline", show)
    if len(marked) > MAX_VECTOR_UNITS or data.large:
        # one line around each block of flagged units: a fraction of their vertices
        outline = folium.GeoJson(dissolved_outline(marked), name=_fmt(name), show=show,
                                 control=False,
                                 style=folium.utilities.JsCode("quartier.flaggedStyle"),
                                 interactive=False)
        outline.add_to(fmap)
        layer.folium_layer = outline
        extra_note = large_note(len(marked), language, "priority.csv", outline=True)
        note = f"{note} — {extra_note}" if note else extra_note
    else:
        layer.spec = {"units": [int(i) for i in np.flatnonzero(
            data.units.index.isin(marked.index))]}
    layer.legend = legend(name, [(vocab.FLAG_OUTLINE_COLOUR, vocab.text("map.flagged_row"))],
                          shape="line", note=note)
    data.add(layer)


def _areas_layer(data: MapData, areas: gpd.GeoDataFrame, extra_links: Mapping[str, str],
                 group: str | None = None) -> None:
    """Action areas as outlines (their boundaries: a click inside reaches the unit below);
    name, residents, members and reasons in the popup of the line."""
    web = web_geometry(areas)
    props = []
    for _, a in web.iterrows():
        props.append({
            "id": _fmt(a["area_id"]), "name": _fmt(a["area_name"]),
            "fig": [[_fmt(group or vocab.column("district")), _fmt(a.get("district"))],
                    [_fmt(vocab.text("map.residents")), _fmt(vocab.persons(a["residents"]))],
                    [_fmt(vocab.column("n_members")),
                     _fmt(vocab.text("map.members", n=vocab.count(a["n_members"]),
                                     gap=vocab.count(a["n_gap_closers"])))],
                    [_fmt(vocab.column("mean_status_index")),
                     _fmt(vocab.num(a["mean_status_index"], 2))]],
            "reasons": _fmt(a["dominant_reasons"]),
            "profile": extra_links.get(str(a["area_id"]), "")})
    geo = _geojson(web.geometry.boundary, props)
    name = vocab.text("map.areas")
    data.add(_Layer("areas", f"{name} ({vocab.count(len(areas))})", "outline", True, legend(
        name, [(AREA_COLOUR, vocab.text("map.areas_row", n=vocab.count(len(areas))))],
        shape="line"), {"geo": geo}))


def _gaps_layer(data: MapData, cadastre: gpd.GeoDataFrame) -> None:
    web = cadastre.to_crs(4326)
    props = []
    for _, c in web.iterrows():
        props.append({"c": REVIEW_COLOURS.get(str(c["status"]), NO_DATA_COLOUR),
                      "id": _fmt(c["gap_id"]),
                      "fig": [[_fmt(vocab.column("gap_type")), _fmt(c.get("gap_type"))],
                              [_fmt(vocab.column("area_m2")), _fmt(vocab.area_m2(c.get("area_m2")))],
                              [_fmt(vocab.column("status")), _fmt(vocab.state(c.get("status")))],
                              [_fmt(vocab.column("state")), _fmt(vocab.state(c.get("state")))]],
                      "rule": _fmt(c.get("rule"))})
    geo = _geojson(web.geometry, props)
    name = vocab.text("map.gaps")
    present = set(web["status"].astype(str))
    rows = [(col, vocab.state(s)) for s, col in REVIEW_COLOURS.items() if s in present]
    data.add(_Layer("gaps", f"{name} ({vocab.count(len(web))})", "gaps", False,
                    legend(name, rows), {"geo": geo}))


def _sites_layer(data: MapData, sites: gpd.GeoDataFrame, words: MapWords) -> None:
    web = sites.to_crs(4326)
    pts = []
    for _, s in web.iterrows():
        sel = bool(s.get("selected", False))
        places = float(s.get("places", 0) or 0)
        pts.append([round(s.geometry.y, 6), round(s.geometry.x, 6), int(sel),
                    round(4 + 10 * np.sqrt(places / 300), 1) if sel else 3,
                    _fmt(s.get("name")), _fmt(vocab.count(places) if sel else "–"),
                    _fmt(s.get("reasons"))])
    name = vocab.text("map.sites_illustrative" if words.illustrative_sites else "map.sites")
    note = vocab.text("map.sites_note") if words.illustrative_sites else None
    data.add(_Layer("sites", name, "gaps", False, legend(
        name, [(vocab.SITE_COLOUR, vocab.text("map.selected")),
               ("#bbbbbb", vocab.text("map.not_selected"))], shape="dot", note=note),
        {"pts": pts, "colour": vocab.SITE_COLOUR, "places": _t("map.selected")}))


def _glyphs(labels: list[str]) -> list[str]:
    """A short, distinct symbol per category label: its first letter, or its first two."""
    out, seen = [], set()
    for lab in labels:
        word = re.sub(r"[^\w]", "", lab) or "?"
        glyph = word[0].upper()
        if glyph in seen:
            glyph = (word[0].upper() + word[1:2].lower()) if len(word) > 1 else glyph
        k = 2
        while glyph in seen:
            glyph = f"{word[0].upper()}{k}"
            k += 1
        seen.add(glyph)
        out.append(glyph)
    return out


def _poi_layers(data: MapData, pois: gpd.GeoDataFrame, labels: Mapping[str, str]) -> None:
    """One layer per facility category (off when the map opens): a symbol in the category's
    colour, clustered in bubbles of the same colour (never a traffic-light rating)."""
    web = pois[~pois["category"].isin(POI_SKIP)].to_crs(4326)
    cats = sorted(web["category"].unique(), key=lambda c: vocab.category(c, labels).lower())
    glyphs = _glyphs([vocab.category(c, labels) for c in cats])
    for i, (cat, glyph) in enumerate(zip(cats, glyphs, strict=True)):
        grp = web[web["category"] == cat]
        label = vocab.category(cat, labels)
        colour = POI_COLOURS[i % len(POI_COLOURS)]
        name = vocab.text("map.poi_count", label=label, n=vocab.count(len(grp)))
        pts = [[round(y, 6), round(x, 6), f"{_fmt(n)} ({_fmt(src)})"]
               for x, y, n, src in zip(grp.geometry.x, grp.geometry.y, grp["name"], grp["source"],
                                       strict=True)]
        data.add(_Layer(f"poi_{i}", name, "pois", False,
                        legend(name, [(colour, label)], shape="symbol"),
                        {"pts": pts, "colour": colour, "glyph": glyph, "label": _fmt(label)}))


def poi_layers(pois: gpd.GeoDataFrame, labels: dict[str, str], fmap: folium.Map,
               skip: tuple[str, ...] = POI_SKIP) -> None:
    """One layer per facility category (hidden at start; names escaped)."""
    del skip
    _poi_layers(_data(fmap), pois, labels)


# ------------------------------------------------------------------------------ combined map


def combined_map(units: gpd.GeoDataFrame, flags: pd.DataFrame | None = None,
                 access: pd.DataFrame | None = None, pois: gpd.GeoDataFrame | None = None,
                 cadastre: gpd.GeoDataFrame | None = None, sites: gpd.GeoDataFrame | None = None,
                 indicator: tuple[str, str] | None = None, labels: dict[str, str] | None = None,
                 language: str = "de", housing: pd.DataFrame | None = None,
                 index_name: str | None = None, areas: gpd.GeoDataFrame | None = None,
                 *, words: MapWords | None = None, extra: pd.DataFrame | None = None,
                 indicator_better: str | None = None,
                 area_profiles: Mapping[str, str] | None = None) -> folium.Map:
    """One map of a run: themes (status, indicator, clusters, hot spots, access, rent), the
    flagged units and the action areas as outlines, facilities, gap candidates by review status
    and sites, with the popup of every unit, the search, the panel and the legend.

    Parameters
    ----------
    units : GeoDataFrame
        The units (metric CRS) with ``unit_id`` and ``unit_name``.
    flags : DataFrame, optional
        The priority table in the units' row order.
    words : MapWords, optional
        Title, date, the units' name, sources and links (default: a plain title).
    extra : DataFrame, optional
        Per unit (same index): ``name`` (a better name, e.g. the Gemeinde of a grid cell),
        ``group`` (district), ``residents``, ``profile`` (the profile page, relative to the map).
    indicator_better : "low", "high" or None
        Which end of the indicator is good (its ramp and legend).
    area_profiles : mapping, optional
        Action area id → its profile page.

    A layer of more than :data:`MAX_VECTOR_UNITS` units is an image (flagged units: one dissolved
    outline), its legend naming the output table that holds the values.
    """
    words = words or MapWords(index_name=index_name)
    if index_name and not words.index_name:
        words.index_name = index_name
    labels = labels or {}
    with vocab.use_language(language):
        fmap = new_map(units, words, language)
        data = _data(fmap)
        data.labels = labels
        web = data.units
        figs = _figures(flags, access, housing, extra, words, 0)
        _unit_info(data, web, flags, figs, extra)
        if flags is not None:
            _flag_themes(data, fmap, web, flags, words, language)
        if indicator is not None:
            # without an index the indicator is what the map opens with (never an empty map)
            choropleth(web, indicator[0], indicator[1], fmap=fmap, show=flags is None,
                       language=language, values_in="units.csv", better=indicator_better,
                       key="indicator")
        if access is not None and "access_score" in access:
            a = web[["unit_id"]].join(access[["access_score"]])
            choropleth(a, "access_score", vocab.text("map.access"), scheme="Quantiles", k=5,
                       fmap=fmap, show=False, language=language, values_in="access_units.csv",
                       better="high", key="access", digits=0)
            access_legend = data.layers[-1].legend
            if access_legend is not None:
                access_legend["ends"] = [_t("map.poor_access"), _t("map.good_access")]
        if housing is not None and housing["rent_change_3y_pct"].notna().any():
            h = web[["unit_id"]].join(housing[["rent_change_3y_pct"]])
            choropleth(h, "rent_change_3y_pct", vocab.text("map.rent"), scheme="Quantiles", k=5,
                       fmap=fmap, show=False, language=language, values_in="housing_signals.csv",
                       better="low", key="rent", digits=1, unit="%")
        if flags is None and indicator is None:
            categorical(web.assign(_u="–"), "_u", {}, vocab.text("map.units"), fmap,
                        legend_rows=False, opacity=0.05, key="units")
        if flags is not None:
            marked = web[flags["flagged"].fillna(False).astype(bool).to_numpy()] \
                if "flagged" in flags else web.iloc[:0]
            if len(marked):
                _outline_flagged(data, fmap, marked, words, language)
        if areas is not None and len(areas):
            _areas_layer(data, areas, area_profiles or {}, words.group)
        if pois is not None and len(pois):
            _poi_layers(data, pois, labels)
        if sites is not None and len(sites):
            _sites_layer(data, sites, words)
        if cadastre is not None and len(cadastre):
            _gaps_layer(data, cadastre)
    finish(fmap)
    return fmap


def _flag_themes(data: MapData, fmap: folium.Map, web: gpd.GeoDataFrame, flags: pd.DataFrame,
                 words: MapWords, language: str) -> None:
    """Status (on), clusters and hot spots (off) from the priority table."""
    f = flags.reindex(web.index)
    present = [c for c in (words.status_labels or []) if (f["status_class"] == c).any()]
    labels = words.status_labels or sorted(set(f["status_class"].dropna()),
                                           key=lambda c: list(STATUS_COLOURS).index(c)
                                           if c in STATUS_COLOURS else 99)
    colours = vocab.class_colours(list(labels))
    del present
    name = words.index_name or vocab.text("map.status")
    categorical(f, "status_class", colours, name, fmap, language=language,
                values_in="priority.csv", key="status",
                note=f"{vocab.text('map.better')}: {labels[0]} · {vocab.text('map.worse')}: "
                     f"{labels[-1]}" if len(labels) > 1 else None)
    if "cluster_name" in f and "cluster" in f:
        codes = f["cluster"].astype("float64")
        valid = sorted({int(c) for c in codes.dropna() if c >= 0})
        colours_c = {str(c): CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i, c in enumerate(valid)}
        names = {str(c): f"{c}: {str(f.loc[codes == c, 'cluster_name'].iloc[0])[:60]}"
                 for c in valid}
        cl = f.assign(_c=[str(int(c)) if pd.notna(c) and c >= 0 else None for c in codes])
        categorical(cl, "_c", colours_c, vocab.text("map.clusters"), fmap, show=False,
                    language=language, values_in="priority.csv", key="clusters", labels=names)
    if "hotspot" in f:
        hs = {HotSpot.HOT.value: HOTSPOT_COLOURS[HotSpot.HOT],
              HotSpot.COLD.value: HOTSPOT_COLOURS[HotSpot.COLD]}
        categorical(f, "hotspot", hs, vocab.text("map.hotspots"), fmap, show=False,
                    language=language, values_in="priority.csv", key="hotspots",
                    no_data=vocab.state(HotSpot.NONE))


# ------------------------------------------------------------------------------------ output


class _Shell(JSCSSMixin, MacroElement):
    """quartier's script and style in the page's head, the call that draws everything at the
    end. The payload is JSON of escaped strings: folium's second Jinja2 pass finds nothing."""

    default_js = [("leaflet.markercluster.js", "https://cdn.jsdelivr.net/npm/leaflet.markercluster"
                   "@1.1.0/dist/leaflet.markercluster.js")]
    default_css = [("MarkerCluster.css", "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.1.0"
                    "/dist/MarkerCluster.css")]
    _template = Template("""
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>
<script>{{ this.js }}</script>{% endmacro %}
        {% macro script(this, kwargs) %}
    quartier.init({{ this._parent.get_name() }}, {{ this.registry }}, {{ this.payload }});
        {% endmacro %}""")

    def __init__(self, registry: str, payload: str) -> None:
        super().__init__()
        self._name = "QuartierShell"
        self.css = (STATIC / "map.css").read_text(encoding="utf-8")
        self.js = (STATIC / "map.js").read_text(encoding="utf-8")
        self.registry = registry
        self.payload = payload


def _json(value: object) -> str:
    """JSON for a script: no "<" (no closing tag), no template syntax (every string is escaped
    text, and JSON's own braces never open a Jinja2 block)."""
    return (json.dumps(value, ensure_ascii=False, allow_nan=False)
            .replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def finish(fmap: folium.Map) -> folium.Map:
    """Add quartier's script with the payload; again after a change (:func:`save` sets the
    title): the previous one is replaced."""
    data = _data(fmap)
    if data.finished:
        fmap._children.pop(data.finished, None)
    registry = "{" + ", ".join(f'"{x.key}": {x.folium_layer.get_name()}' for x in data.layers
                               if x.folium_layer is not None) + "}"
    shell = _Shell(registry, _json(data.payload()))
    shell.add_to(fmap)
    data.finished = shell.get_name()
    return fmap


def _inline(html_text: str) -> str:
    """Replace CDN links of Leaflet and markercluster by the vendored files; drop unused ones."""
    assets = {
        "leaflet.js": ("script", "leaflet.js"), "leaflet.css": ("style", "leaflet.css"),
        "leaflet.markercluster.js": ("script", "leaflet.markercluster.js"),
        "MarkerCluster.css": ("style", "MarkerCluster.css"),
        "MarkerCluster.Default.css": ("style", "MarkerCluster.Default.css"),
    }
    out = []
    for line in html_text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("<script src=", "<link rel=\"stylesheet\" href=")):
            found = re.search(r'(?:src|href)="([^"]+)"', stripped)
            name = found.group(1).rsplit("/", 1)[-1] if found else ""
            if name in assets:
                kind, file = assets[name]
                body = (STATIC / file).read_text(encoding="utf-8")
                out.append(f"<{kind}>{body}</{kind}>" if kind == "script" else f"<style>{body}</style>")
            # jquery, bootstrap, awesome-markers, fonts: not used by quartier's maps
            continue
        out.append(line)
    return "\n".join(out)


def save(fmap: folium.Map, path: str | Path, title: str = "quartier") -> Path:
    """Finish the map, inline the JS/CSS, write one self-contained HTML page."""
    data = _MAPS.get(fmap)
    if data is not None:
        if data.words.title == "quartier" and title != "quartier":
            data.words.title = title
        finish(fmap)
    cast(Figure, fmap.get_root()).header.add_child(folium.Element(f"<title>{_fmt(title)}</title>"))
    page = fmap.get_root().render()
    lang = data.language if data is not None else "de"
    page = page.replace("<html>", f'<html lang="{lang}">', 1)
    return write_text(_inline(page), path)

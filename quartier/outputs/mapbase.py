"""The machinery of quartier's maps (WGS84 only here): web geometry, classification, unit
rasters for large maps, the payload a map carries (:class:`MapData`, :class:`MapWords`), legends,
and the self-contained page :func:`save` writes. The layers themselves are drawn by
:mod:`quartier.outputs.maps`.

Safety: every value from the data is escaped by :func:`quartier.io.escape.html_text` before it
reaches the payload (the script writes only those strings as HTML), and folium's second Jinja2
pass finds no template syntax in it. Leaflet, Leaflet.markercluster and the script are inlined
from ``quartier/static`` (BSD-2 / MIT): a map opens without a CDN; only the background tiles
need a network.
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


def palette(k: int, ramp: list[str] = YLORRD) -> list[str]:
    idx = np.linspace(0, len(ramp) - 1, k).round().astype(int)
    return [ramp[i] for i in idx]


def page_text(key: str, **values: object) -> str:
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


def geojson(geoms: gpd.GeoSeries, properties: list[dict] | None = None) -> dict:
    """A FeatureCollection (coordinates rounded to ~0.1 m) with the given properties."""
    rounded = shapely.set_precision(geoms.values, 1e-6, mode="pointwise")
    feats = []
    for k, g in enumerate(rounded):
        if g is None or g.is_empty:
            continue
        feats.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
                      "properties": properties[k] if properties is not None else {"_i": k}})
    return {"type": "FeatureCollection", "features": feats}


def bbox(geoms: gpd.GeoSeries) -> list[list[float] | None]:
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
class Layer:
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
        self.layers: list[Layer] = []
        self.unit_info: dict | None = None
        self.raster: UnitRaster | None = None
        self.finished: str | None = None   # the name of the script element, once added
        #: column → label, for raw names in the analysis' reasons
        self.labels: Mapping[str, str] = {}

    def add(self, layer: Layer) -> Layer:
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
            if w.unit:   # "Planungsraum suchen", "Gitterzelle suchen"
                texts["search"] = vocab.text("map.search_unit", unit=w.unit)
        units = None
        if self.unit_info is not None:
            units = self.unit_info
        return {
            "lang": self.language,
            # quartier's own texts: HTML-escaped, their {placeholders} kept for the script
            "t": {k: html.escape(v) for k, v in texts.items()},
            "title": _fmt(w.title), "subtitle": _fmt(" · ".join(subtitle)),
            "sources": [_fmt(s) for s in w.sources],
            "links": {k: v for k, v in w.links.items() if SAFE_LINK.match(v)},
            "units": units,
            "layers": [{"key": x.key, "name": _fmt(x.name), "group": x.group, "show": x.show,
                        "legend": x.legend, "folium": x.folium_layer is not None, **x.spec}
                       for x in self.layers],
            "colours": {"no_data": NO_DATA_COLOUR, "area": AREA_COLOUR},
        }


SAFE_LINK = re.compile(r"^[\w./-]+\.html$")



#: The quartier data of each map (units, layers, words), kept beside folium's object.
_MAPS: weakref.WeakKeyDictionary[folium.Map, MapData] = weakref.WeakKeyDictionary()

def map_data(fmap: folium.Map) -> MapData:
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


def ramp_words(better: str | None) -> tuple[tuple[str, str] | None, str | None]:
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


def payload_json(value: object) -> str:
    """JSON for a script: no "<" (no closing tag), no template syntax (every string is escaped
    text, and JSON's own braces never open a Jinja2 block)."""
    return (json.dumps(value, ensure_ascii=False, allow_nan=False)
            .replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def finish(fmap: folium.Map) -> folium.Map:
    """Add quartier's script with the payload; again after a change (:func:`save` sets the
    title): the previous one is replaced."""
    data = map_data(fmap)
    if data.finished:
        fmap._children.pop(data.finished, None)
    registry = "{" + ", ".join(f'"{x.key}": {x.folium_layer.get_name()}' for x in data.layers
                               if x.folium_layer is not None) + "}"
    shell = _Shell(registry, payload_json(data.payload()))
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

"""Interactive Folium maps (WGS84 only here; all analysis stays in the metric CRS).

* Every value taken from the data is HTML-escaped before it reaches the page, so a unit named
  ``<script>…</script>`` shows as text in tooltips, popups and legends.
* Leaflet, Leaflet.markercluster and jQuery are inlined from ``quartier/static`` (BSD-2 / MIT),
  so a map opens without a CDN; only the background tiles need a network.
* Geometries are simplified by :data:`SIMPLIFY_M` and drawn on a canvas (``prefer_canvas``);
  POIs go through ``FastMarkerCluster`` (one data array, not one JS object per marker).
* A polygon layer of more than :data:`MAX_VECTOR_UNITS` units (the 214 633 cells of the
  Zensus 1 km grid) would be hundreds of MB of GeoJSON: it is drawn as one PNG image instead
  (:func:`raster_overlay`), flagged outlines as one dissolved line (:func:`dissolved_outline`),
  and the legend says so; the values stay in the CSV tables.
"""

from __future__ import annotations

import base64
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pyproj
import rasterio.features
import rasterio.transform
import shapely
from branca.element import MacroElement
from folium.plugins import FastMarkerCluster
from jinja2 import Template
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

from quartier.io.escape import html_text as _fmt
from quartier.io.outputs import write_text

STATIC = Path(__file__).parent.parent / "static"   # shared with the review app
#: ColorBrewer YlOrRd (9 classes); subsampled for fewer classes.
YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c",
          "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
NO_DATA_COLOUR = "#bdbdbd"
STATUS_COLOURS = {"hoch": "#1a9850", "mittel": "#fee08b", "niedrig": "#fc8d59",
                  "sehr niedrig": "#d73027"}
HOTSPOT_COLOURS = {"Hot Spot": "#b2182b", "Cold Spot": "#2166ac"}
REVIEW_COLOURS = {"offen": "#ff7f00", "bestätigt": "#33a02c", "verworfen": "#444444",
                  "mobilisierbar": "#1f78b4", "in Planung": "#6a3d9a"}
CLUSTER_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                   "#666666", "#1f78b4"]
#: Simplification tolerance (m) before reprojecting to WGS84; invisible at city zoom levels.
SIMPLIFY_M = 5.0
#: Most units a polygon layer draws as GeoJSON (one feature with a tooltip per unit). Above it the
#: layer is a PNG image: 20 000 simplified polygons are ~10 MB of HTML and still pan smoothly on
#: a canvas, the 214 633 cells of Germany's 1 km grid would be ~100 MB and freeze the browser.
MAX_VECTOR_UNITS = 20_000
#: Longest side (pixels) of a raster layer: ≤ 4096 × 4096 px, a few MB of PNG at most.
MAX_RASTER_PX = 4096
#: Pixels along the side of a median unit: with 2, every cell of a grid that Web Mercator turns
#: by a few degrees keeps at least one pixel (with 1, some would vanish between their neighbours).
PX_PER_UNIT = 2
#: Most values mapclassify classifies directly; the breaks of more come from a sample this large,
#: as its FisherJenksSampled does: NaturalBreaks' k-means takes seconds per 100 000 values (tens of
#: seconds on a busy machine), and breaks from 10 000 of them differ from the full ones by ~1 %.
CLASSIFY_SAMPLE = 10_000

TEXT = {
    "de": {"status": "Status-Index", "priority": "Gekennzeichnete Quartiere",
           "clusters": "Cluster (explorativ)", "hotspots": "Hot Spots (Gi*)",
           "access": "Erreichbarkeit (0–100)", "gaps": "Baulücken nach Prüfstatus",
           "sites": "Standorte Unterbringung", "no_data": "keine Daten / nicht bewertet",
           "reasons": "Gründe", "flag": "gekennzeichnet wegen", "name": "Name", "id": "Nr.",
           "rank": "Priorität", "selected": "ausgewählt", "not_selected": "nicht ausgewählt",
           "poi": "Einrichtungen", "rent": "Angebotsmiete: Änderung 3 Jahre (%)",
           "areas": "Aktionsräume", "units": "Raumeinheiten",
           "raster": "{n} Einheiten: als Rasterbild gezeichnet (über {limit}), keine Tooltips",
           "outline": "{n} Einheiten: als gemeinsame Umrisslinie gezeichnet (über {limit}), "
                      "keine Tooltips",
           "values_in": "Werte in {file}", "values_in_run": "Werte in den CSV-Tabellen des Laufs",
           "outline_row": "Umriss"},
    "en": {"status": "Status index", "priority": "Flagged quarters",
           "clusters": "Clusters (exploratory)", "hotspots": "Hot spots (Gi*)",
           "access": "Accessibility (0–100)", "gaps": "Building gaps by review status",
           "sites": "Housing sites", "no_data": "no data / not scored", "reasons": "Reasons",
           "flag": "flagged for", "name": "Name", "id": "No.", "rank": "Priority",
           "selected": "selected", "not_selected": "not selected", "poi": "Facilities",
           "rent": "Offer rent: 3-year change (%)", "areas": "Action areas", "units": "Units",
           "raster": "{n} units: drawn as a raster image (over {limit}), no tooltips",
           "outline": "{n} units: drawn as one dissolved outline (over {limit}), no tooltips",
           "values_in": "values in {file}", "values_in_run": "values in the run's CSV tables",
           "outline_row": "outline"},
}


def _palette(k: int) -> list[str]:
    idx = np.linspace(0, len(YLORRD) - 1, k).round().astype(int)
    return [YLORRD[i] for i in idx]


def web_geometry(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with its geometries simplified by :data:`SIMPLIFY_M` in the metric CRS and
    reprojected to WGS84: done once for all layers of a map (geometries already in a
    geographic CRS are taken as they are)."""
    if gdf.crs is None or gdf.crs.is_geographic:
        return gdf
    simple = gdf.set_geometry(gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True))
    return simple.to_crs(4326)


def to_web(gdf: gpd.GeoDataFrame, columns: list[str], simplify: bool = True) -> gpd.GeoDataFrame:
    """Simplified WGS84 copy with the given columns, every value escaped text."""
    web = gdf[[*dict.fromkeys(columns), gdf.geometry.name]].copy()
    web = web_geometry(web) if simplify else web.to_crs(4326)
    for col in dict.fromkeys(columns):
        web[col] = [_fmt(v) for v in web[col]]
    return web


def legend_html(title: str, bins: list[str], colours: list[str], note: str | None = None) -> str:
    """One legend section: the title, a swatch per class and an optional note (all escaped)."""
    rows = "".join(
        f'<div><span style="background:{c};width:14px;height:14px;display:inline-block;'
        f'margin-right:6px;border:1px solid #999;vertical-align:middle"></span>{_fmt(b)}</div>'
        for b, c in zip(bins, colours, strict=True))
    if note:
        rows += f'<div class="quartier-legend-note" style="font-style:italic">{_fmt(note)}</div>'
    return f'<div class="quartier-legend-section"><b>{_fmt(title)}</b>{rows}</div>'


def large_note(n: int, language: str = "de", values_in: str | None = None,
               outline: bool = False) -> str:
    """The legend's note on a layer of ``n`` units drawn without one feature per unit, e.g.
    "214 633 Einheiten: als Rasterbild gezeichnet (über 20 000), keine Tooltips — Werte in
    priority.csv" (``values_in``: the output table that holds the values)."""
    t = TEXT[language]
    text = t["outline" if outline else "raster"].format(n=_fmt(float(n)),
                                                        limit=_fmt(float(MAX_VECTOR_UNITS)))
    where = t["values_in"].format(file=values_in) if values_in else t["values_in_run"]
    return f"{text} — {where}"


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
        Layer name in the layer control (escaped here).

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
        name=_fmt(name), show=show, pixelated=True)


def dissolved_outline(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The outline of all units as one (multi)polygon in WGS84, shared edges dissolved and
    simplified by :data:`SIMPLIFY_M` (m in EPSG:3857): a block of flagged cells is one ring."""
    union = gpd.GeoSeries([gdf.geometry.union_all()], crs=gdf.crs).to_crs(3857)
    return gpd.GeoDataFrame(geometry=union.simplify(SIMPLIFY_M), crs=3857).to_crs(4326)


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's shows miles as well)."""

    _template = Template("""{% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
    {% endmacro %}""")


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


def new_map(gdf: gpd.GeoDataFrame) -> folium.Map:
    minx, miny, maxx, maxy = core_bounds(gdf)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11,
                      tiles="OpenStreetMap", prefer_canvas=True, control_scale=False)
    MetricScale().add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    fmap._quartier_legends = []
    return fmap


def _add_legend(fmap: folium.Map, section: str) -> None:
    if not hasattr(fmap, "_quartier_legends"):
        fmap._quartier_legends = []
    fmap._quartier_legends.append(section)


def _popup_fields(tooltip: dict[str, str]) -> folium.GeoJsonTooltip:
    # Leaflet renders aliases and layer names as HTML: escape them like the values
    return folium.GeoJsonTooltip(fields=list(tooltip),
                                 aliases=[_fmt(a) for a in tooltip.values()], sticky=True)


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


def choropleth(units: gpd.GeoDataFrame, column: str, label: str | None = None,
               scheme: str = "NaturalBreaks", k: int = 5, tooltip: dict[str, str] | None = None,
               fmap: folium.Map | None = None, show: bool = True, language: str = "de",
               values_in: str | None = None, raster: UnitRaster | None = None) -> folium.Map:
    """A choropleth of one numeric column with mapclassify classes, a legend and tooltips;
    above :data:`MAX_VECTOR_UNITS` units a PNG overlay without tooltips (see
    :func:`raster_overlay`), missing values transparent, the legend saying so.

    Parameters
    ----------
    units : GeoDataFrame
        Units in a metric CRS with ``unit_id`` and ``unit_name``.
    column : str
        Numeric column; NaN is drawn grey (left transparent in a raster layer).
    scheme : str
        Any mapclassify classifier name (NaturalBreaks, Quantiles, EqualInterval, …).
    language : str
        Language of the legend's note on a raster layer (``de`` or ``en``).
    values_in : str, optional
        The output table named in that note as holding the values (e.g. ``units.csv``).
    raster : UnitRaster, optional
        The units already burnt by :func:`unit_raster` (same rows, same order): one burn shared
        by the layers of a map.
    """
    label = label or column
    values = units[column].astype("float64")
    present = values.dropna()
    k = max(2, min(k, present.nunique()))
    upper, classes = classify(present.to_numpy(), scheme, k)
    # with ties mapclassify may keep k but return fewer bins: the bins are the classes
    colours = _palette(len(upper))
    cls = pd.Series(-1, index=units.index)
    cls[present.index] = classes
    fmap = fmap or new_map(units)
    large = len(units) > MAX_VECTOR_UNITS
    if large:
        raster_overlay(raster or unit_raster(units), [colours[c] if c >= 0 else None for c in cls],
                       0.7, label, show).add_to(fmap)
    else:
        tooltip = tooltip or {"unit_id": "Nr.", "unit_name": "Name", column: label}
        web = to_web(units, list(tooltip))
        web["_fill"] = [colours[c] if c >= 0 else NO_DATA_COLOUR for c in cls]
        folium.GeoJson(web, name=_fmt(label), show=show,
                       style_function=lambda f: {"fillColor": f["properties"]["_fill"],
                                                 "color": "#555", "weight": 0.4, "fillOpacity": 0.7},
                       highlight_function=lambda f: {"weight": 2, "color": "#000"},
                       tooltip=_popup_fields(tooltip)).add_to(fmap)
    lower = [present.min(), *upper[:-1]]
    bins = [f"{_fmt(lo)} – {_fmt(hi)}" for lo, hi in zip(lower, upper, strict=True)]
    if values.isna().any():
        # in the image a missing value is no colour at all, not a grey one
        bins, colours = [*bins, "keine Daten"], [*colours, "transparent" if large else NO_DATA_COLOUR]
    _add_legend(fmap, legend_html(label, bins, colours,
                                  large_note(len(units), language, values_in) if large else None))
    return fmap


def categorical(gdf: gpd.GeoDataFrame, column: str, colours: dict[str, str], name: str,
                tooltip: dict[str, str], popup: str | None, fmap: folium.Map, show: bool = True,
                legend: bool = True, opacity: float = 0.7, no_data: str = "keine Daten",
                language: str = "de", values_in: str | None = None,
                raster: UnitRaster | None = None) -> None:
    """Polygons coloured by a category; missing/other categories grey (or transparent).

    Above :data:`MAX_VECTOR_UNITS` units one PNG overlay without tooltips or popups (see
    :func:`raster_overlay`), units without a coloured category transparent and the legend
    saying so (``language``, ``values_in``, ``raster``: as in :func:`choropleth`).
    """
    raw = gdf[column].astype(object).where(gdf[column].notna(), None)
    large = len(gdf) > MAX_VECTOR_UNITS
    if large:
        raster_overlay(raster or unit_raster(gdf), [colours.get(v) for v in raw], opacity, name,
                       show).add_to(fmap)
    else:
        web = to_web(gdf, [*tooltip, *([popup] if popup else [])])
        web["_fill"] = [colours.get(v, NO_DATA_COLOUR) for v in raw]
        web["_op"] = [opacity if v in colours else (0.15 if legend else 0.0) for v in raw]
        layer = folium.GeoJson(
            web, name=_fmt(name), show=show,
            style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#555",
                                      "weight": 0.4, "fillOpacity": f["properties"]["_op"]},
            highlight_function=lambda f: {"weight": 2, "color": "#000"},
            tooltip=_popup_fields(tooltip),
            popup=folium.GeoJsonPopup(fields=[popup], aliases=[""], max_width=420) if popup else None)
        layer.add_to(fmap)
    if legend:
        keys = [k for k in colours if (raw == k).any()]
        _add_legend(fmap, legend_html(name, [*keys, no_data], [colours[k] for k in keys]
                                      + ["transparent" if large else NO_DATA_COLOUR],
                                      large_note(len(gdf), language, values_in) if large else None))


def poi_layers(pois: gpd.GeoDataFrame, labels: dict[str, str], fmap: folium.Map,
               skip: tuple[str, ...] = ("gruenflaeche",)) -> None:
    """One marker-cluster layer per category (hidden at start; names escaped)."""
    web = pois[~pois["category"].isin(skip)].to_crs(4326)
    callback = ("function (row) { var m = L.circleMarker(new L.LatLng(row[0], row[1]), "
                "{radius: 5, color: '#08519c', fillOpacity: 0.8}); "
                "m.bindTooltip(row[2]); return m; }")
    for cat, grp in web.groupby("category"):
        name = _fmt(f"{labels.get(cat, cat)} ({len(grp):,})")
        text = [f"{_fmt(labels.get(cat, cat))}: {_fmt(n)} ({_fmt(src)})"
                for n, src in zip(grp["name"], grp["source"], strict=True)]
        data = [[y, x, t] for x, y, t in zip(grp.geometry.x.round(6), grp.geometry.y.round(6), text,
                                             strict=True)]
        layer = folium.FeatureGroup(name=name, show=False)
        FastMarkerCluster(data, callback=callback).add_to(layer)
        layer.add_to(fmap)


AREA_COLOUR = "#6a3d9a"


def area_layer(areas: gpd.GeoDataFrame, fmap: folium.Map, t: dict[str, str]) -> None:
    """Action areas as thick outlines; name, residents, members and reasons in the popup."""
    web = to_web(areas.assign(residents=areas["residents"].round(0)),
                 ["area_id", "area_name", "residents", "n_members", "n_gap_closers",
                  "dominant_reasons"])
    web["popup"] = [f"<b>{a} {n}</b><br>{r} Einwohner, {m} Einheiten ({g} Lückenschluss)<br>{d}"
                    for a, n, r, m, g, d in zip(web["area_id"], web["area_name"], web["residents"],
                                                web["n_members"], web["n_gap_closers"],
                                                web["dominant_reasons"], strict=True)]
    folium.GeoJson(web, name=_fmt(f"{t['areas']} ({len(areas)})"),
                   style_function=lambda _f: {"fill": True, "fillColor": AREA_COLOUR,
                                              "fillOpacity": 0.08, "color": AREA_COLOUR,
                                              "weight": 3.5},
                   tooltip=_popup_fields({"area_id": "Nr.", "area_name": t["name"]}),
                   popup=folium.GeoJsonPopup(fields=["popup"], aliases=[""], max_width=420),
                   ).add_to(fmap)
    _add_legend(fmap, legend_html(t["areas"], [f"{len(areas)} Aktionsräume"], [AREA_COLOUR]))


def site_layer(sites: gpd.GeoDataFrame, fmap: folium.Map, t: dict[str, str]) -> None:
    """Selected sites as circles sized by places, the others small and grey; reasons in popups."""
    web = to_web(sites, ["site_id", "name", "places", "score", "reasons"], simplify=False)
    group = folium.FeatureGroup(name=_fmt(t["sites"]), show=True)
    for row, sel, places in zip(web.itertuples(), sites["selected"], sites["places"], strict=True):
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=4 + 10 * np.sqrt(places / 300) if sel else 3,
            color="#000" if sel else "#777", weight=1.5 if sel else 0.5,
            fill=True, fill_color="#e7298a" if sel else "#bbbbbb", fill_opacity=0.9,
            tooltip=f"{row.name} ({t['selected'] if sel else t['not_selected']}, {row.places})",
            popup=folium.Popup(f"<b>{row.name}</b><br>{row.reasons}", max_width=420),
        ).add_to(group)
    group.add_to(fmap)
    _add_legend(fmap, legend_html(t["sites"], [t["selected"], t["not_selected"]],
                                  ["#e7298a", "#bbbbbb"]))


def combined_map(units: gpd.GeoDataFrame, flags: pd.DataFrame | None = None,
                 access: pd.DataFrame | None = None, pois: gpd.GeoDataFrame | None = None,
                 cadastre: gpd.GeoDataFrame | None = None, sites: gpd.GeoDataFrame | None = None,
                 indicator: tuple[str, str] | None = None, labels: dict[str, str] | None = None,
                 language: str = "de", housing: pd.DataFrame | None = None,
                 index_name: str | None = None, areas: gpd.GeoDataFrame | None = None
                 ) -> folium.Map:
    """One map with a layer control: index, indicator, priority outlines, clusters, hot spots,
    accessibility, POIs, gap candidates by review status and selected sites.

    A layer of more than :data:`MAX_VECTOR_UNITS` units is an image (flagged units: one dissolved
    outline), its legend naming the output table that holds the values."""
    t = TEXT[language]
    labels = labels or {}
    units = web_geometry(units)   # every layer of the units shares one simplified WGS84 geometry
    fmap = new_map(units)
    base = units[["unit_id", "unit_name", "geometry"]]
    # the units' layers share one burn; each layer's rows are the units' rows, in order
    grid = unit_raster(units) if len(units) > MAX_VECTOR_UNITS else None
    if flags is not None:
        f = base.join(flags.drop(columns=["unit_id", "unit_name", "geometry"], errors="ignore"))
        tip = {"unit_id": t["id"], "unit_name": t["name"], "status_class": "Status",
               "dynamics_class": "Dynamik", "priority_rank": t["rank"]}
        categorical(f, "status_class", STATUS_COLOURS, index_name or t["status"], tip, "reasons", fmap,
                    no_data=t["no_data"], language=language, values_in="priority.csv",
                    raster=grid)
        marked = f[f["flagged"].fillna(False).astype(bool)] if "flagged" in f else f.iloc[:0]
        if len(marked) > MAX_VECTOR_UNITS:
            # one line around each block of flagged units: a fraction of their vertices
            folium.GeoJson(dissolved_outline(marked), name=_fmt(f"{t['priority']} ({len(marked)})"),
                           style_function=lambda _f: {"fill": False, "color": "#000", "weight": 2.5},
                           ).add_to(fmap)
            _add_legend(fmap, legend_html(t["priority"], [t["outline_row"]], ["transparent"],
                                          large_note(len(marked), language, "priority.csv",
                                                     outline=True)))
        elif len(marked):
            folium.GeoJson(to_web(marked, ["unit_id", "unit_name", "priority_rank", "flag_reason"]),
                           name=_fmt(f"{t['priority']} ({len(marked)})"),
                           style_function=lambda _f: {"fill": False, "color": "#000", "weight": 2.5},
                           tooltip=_popup_fields({"priority_rank": t["rank"], "unit_name": t["name"],
                                                  "flag_reason": t["flag"]}),
                           ).add_to(fmap)
        if "cluster_name" in f:
            names = f["cluster"].astype(int)
            colours = {int(c): CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)]
                       for i, c in enumerate(sorted(set(names) - {-1}))}
            cl = f.assign(_c=names.map(lambda c: c if c >= 0 else None))
            categorical(cl, "_c", colours, t["clusters"],
                        {"unit_name": t["name"], "cluster_name": "Profil"}, None, fmap, show=False,
                        legend=False, raster=grid)
            _add_legend(fmap, legend_html(t["clusters"], [
                f"{c}: {f.loc[names == c, 'cluster_name'].iloc[0][:60]}" for c in colours],
                list(colours.values()),
                large_note(len(cl), language, "priority.csv") if len(cl) > MAX_VECTOR_UNITS else None))
        categorical(f, "hotspot", HOTSPOT_COLOURS, t["hotspots"],
                    {"unit_name": t["name"], "hotspot": "Gi*", "lisa": "LISA"}, None, fmap,
                    show=False, no_data="nicht signifikant", language=language,
                    values_in="priority.csv", raster=grid)
    if areas is not None and len(areas):
        area_layer(areas, fmap, t)
    if indicator is not None:
        # without an index the indicator is what the map opens with (never an empty map)
        choropleth(units, indicator[0], indicator[1], fmap=fmap, show=flags is None,
                   language=language, values_in="units.csv", raster=grid)
    elif flags is None:
        folium.GeoJson(to_web(base, ["unit_id", "unit_name"]), name=_fmt(t["units"]),
                       style_function=lambda _f: {"fillOpacity": 0.05, "color": "#555",
                                                  "weight": 1},
                       tooltip=_popup_fields({"unit_id": t["id"], "unit_name": t["name"]}),
                       ).add_to(fmap)
    if access is not None:
        a = base.join(access.drop(columns=["unit_id"], errors="ignore"))
        choropleth(a, "access_score", t["access"], scheme="Quantiles", k=5, fmap=fmap, show=False,
                   tooltip={"unit_name": t["name"], "access_score": t["access"]},
                   language=language, values_in="access_units.csv", raster=grid)
    if housing is not None and housing["rent_change_3y_pct"].notna().any():
        h = base.join(housing.drop(columns=["unit_id"], errors="ignore"))
        choropleth(h, "rent_change_3y_pct", t["rent"], scheme="Quantiles", k=5, fmap=fmap,
                   show=False, tooltip={"unit_name": t["name"], "rent_eur_m2": "€/m²",
                                        "rent_change_3y_pct": t["rent"], "market": "Markt",
                                        "displacement_pressure": "Verdrängungsdruck"},
                   language=language, values_in="housing_signals.csv", raster=grid)
    if pois is not None:
        poi_layers(pois, labels, fmap)
    if cadastre is not None and len(cadastre):
        categorical(cadastre, "status", REVIEW_COLOURS, t["gaps"],
                    {"gap_id": "ID", "gap_type": "Typ", "area_m2": "m²", "status": "Status",
                     "state": "Lauf"}, "rule", fmap, opacity=0.85, language=language,
                    values_in="gaps.gpkg, review.sqlite")
    if sites is not None and len(sites):
        site_layer(sites, fmap, t)
    return fmap


def _inline(html_text: str) -> str:
    """Replace CDN links of Leaflet and markercluster by the vendored files; drop unused ones."""
    assets = {
        "leaflet.js": ("script", "leaflet.js"), "leaflet.css": ("style", "leaflet.css"),
        "leaflet.markercluster.js": ("script", "leaflet.markercluster.js"),
        "MarkerCluster.css": ("style", "MarkerCluster.css"),
        "MarkerCluster.Default.css": ("style", "MarkerCluster.Default.css"),
        "jquery-3.7.1.min.js": ("script", "jquery.min.js"),  # folium's popups build with $()
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
    """Add the legend and a layer control, inline the JS/CSS, write one self-contained HTML."""
    folium.LayerControl(collapsed=False).add_to(fmap)
    sections = "".join(getattr(fmap, "_quartier_legends", []))
    if sections:
        fmap.get_root().html.add_child(folium.Element(
            '<div class="quartier-legend" style="position:fixed;bottom:24px;left:12px;'
            'z-index:9999;background:white;padding:8px 10px;border:1px solid #888;'
            'border-radius:4px;font:12px sans-serif;max-height:60vh;overflow:auto;max-width:320px">'
            f'{sections}</div>'))
    fmap.get_root().header.add_child(folium.Element(f"<title>{_fmt(title)}</title>"))
    return write_text(_inline(fmap.get_root().render()), path)

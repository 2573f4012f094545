"""Interactive Folium maps (WGS84 only here; all analysis stays in the metric CRS).

* Every value taken from the data is HTML-escaped before it reaches the page, so a unit named
  ``<script>…</script>`` shows as text in tooltips, popups and legends.
* Leaflet, Leaflet.markercluster and jQuery are inlined from ``quartier/static`` (BSD-2 / MIT),
  so a map opens without a CDN; only the background tiles need a network.
* Geometries are simplified by :data:`SIMPLIFY_M` and drawn on a canvas (``prefer_canvas``);
  POIs go through ``FastMarkerCluster`` (one data array, not one JS object per marker).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.plugins import FastMarkerCluster
from jinja2 import Template

from quartier.escape import html_text as _fmt
from quartier.output import write_text

STATIC = Path(__file__).with_name("static")
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

TEXT = {
    "de": {"status": "Status-Index", "priority": "Gekennzeichnete Quartiere",
           "clusters": "Cluster (explorativ)", "hotspots": "Hot Spots (Gi*)",
           "access": "Erreichbarkeit (0–100)", "gaps": "Baulücken nach Prüfstatus",
           "sites": "Standorte Unterbringung", "no_data": "keine Daten / nicht bewertet",
           "reasons": "Gründe", "flag": "gekennzeichnet wegen", "name": "Name", "id": "Nr.",
           "rank": "Priorität", "selected": "ausgewählt", "not_selected": "nicht ausgewählt",
           "poi": "Einrichtungen", "rent": "Angebotsmiete: Änderung 3 Jahre (%)",
           "areas": "Aktionsräume"},
    "en": {"status": "Status index", "priority": "Flagged quarters",
           "clusters": "Clusters (exploratory)", "hotspots": "Hot spots (Gi*)",
           "access": "Accessibility (0–100)", "gaps": "Building gaps by review status",
           "sites": "Housing sites", "no_data": "no data / not scored", "reasons": "Reasons",
           "flag": "flagged for", "name": "Name", "id": "No.", "rank": "Priority",
           "selected": "selected", "not_selected": "not selected", "poi": "Facilities",
           "rent": "Offer rent: 3-year change (%)", "areas": "Action areas"},
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


def legend_html(title: str, bins: list[str], colours: list[str]) -> str:
    rows = "".join(
        f'<div><span style="background:{c};width:14px;height:14px;display:inline-block;'
        f'margin-right:6px;border:1px solid #999;vertical-align:middle"></span>{_fmt(b)}</div>'
        for b, c in zip(bins, colours, strict=True))
    return f'<div class="quartier-legend-section"><b>{_fmt(title)}</b>{rows}</div>'


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's shows miles as well)."""

    _template = Template("""{% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
    {% endmacro %}""")


def new_map(gdf: gpd.GeoDataFrame) -> folium.Map:
    minx, miny, maxx, maxy = gdf.to_crs(4326).total_bounds
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


def choropleth(units: gpd.GeoDataFrame, column: str, label: str | None = None,
               scheme: str = "NaturalBreaks", k: int = 5, tooltip: dict[str, str] | None = None,
               fmap: folium.Map | None = None, show: bool = True) -> folium.Map:
    """A choropleth of one numeric column with mapclassify classes, a legend and tooltips.

    Parameters
    ----------
    units : GeoDataFrame
        Units in a metric CRS with ``unit_id`` and ``unit_name``.
    column : str
        Numeric column; NaN is drawn grey.
    scheme : str
        Any mapclassify classifier name (NaturalBreaks, Quantiles, EqualInterval, …).
    """
    label = label or column
    values = units[column].astype("float64")
    present = values.dropna()
    k = max(2, min(k, present.nunique()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "not enough unique values": fewer classes, said below
        classifier = mapclassify.classify(present.to_numpy(), scheme=scheme, k=k)
    # with ties mapclassify may keep k but return fewer bins: the bins are the classes
    colours = _palette(len(classifier.bins))
    cls = pd.Series(-1, index=units.index)
    cls[present.index] = classifier.yb
    tooltip = tooltip or {"unit_id": "Nr.", "unit_name": "Name", column: label}
    web = to_web(units, list(tooltip))
    web["_fill"] = [colours[c] if c >= 0 else NO_DATA_COLOUR for c in cls]
    fmap = fmap or new_map(units)
    folium.GeoJson(web, name=_fmt(label), show=show,
                   style_function=lambda f: {"fillColor": f["properties"]["_fill"],
                                             "color": "#555", "weight": 0.4, "fillOpacity": 0.7},
                   highlight_function=lambda f: {"weight": 2, "color": "#000"},
                   tooltip=_popup_fields(tooltip)).add_to(fmap)
    lower = [present.min(), *classifier.bins[:-1]]
    bins = [f"{_fmt(lo)} – {_fmt(hi)}" for lo, hi in zip(lower, classifier.bins, strict=True)]
    if values.isna().any():
        bins, colours = [*bins, "keine Daten"], [*colours, NO_DATA_COLOUR]
    _add_legend(fmap, legend_html(label, bins, colours))
    return fmap


def categorical(gdf: gpd.GeoDataFrame, column: str, colours: dict[str, str], name: str,
                tooltip: dict[str, str], popup: str | None, fmap: folium.Map, show: bool = True,
                legend: bool = True, opacity: float = 0.7, no_data: str = "keine Daten") -> None:
    """Polygons coloured by a category; missing/other categories grey (or transparent)."""
    web = to_web(gdf, [*tooltip, *([popup] if popup else [])])
    raw = gdf[column].astype(object).where(gdf[column].notna(), None)
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
                                      + [NO_DATA_COLOUR]))


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
    accessibility, POIs, gap candidates by review status and selected sites."""
    t = TEXT[language]
    labels = labels or {}
    units = web_geometry(units)   # every layer of the units shares one simplified WGS84 geometry
    fmap = new_map(units)
    base = units[["unit_id", "unit_name", "geometry"]]
    if flags is not None:
        f = base.join(flags.drop(columns=["unit_id", "unit_name", "geometry"], errors="ignore"))
        tip = {"unit_id": t["id"], "unit_name": t["name"], "status_class": "Status",
               "dynamics_class": "Dynamik", "priority_rank": t["rank"]}
        categorical(f, "status_class", STATUS_COLOURS, index_name or t["status"], tip, "reasons", fmap,
                    no_data=t["no_data"])
        marked = f[f["flagged"].fillna(False).astype(bool)] if "flagged" in f else f.iloc[:0]
        if len(marked):
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
                        legend=False)
            _add_legend(fmap, legend_html(t["clusters"], [
                f"{c}: {f.loc[names == c, 'cluster_name'].iloc[0][:60]}" for c in colours],
                list(colours.values())))
        categorical(f, "hotspot", HOTSPOT_COLOURS, t["hotspots"],
                    {"unit_name": t["name"], "hotspot": "Gi*", "lisa": "LISA"}, None, fmap,
                    show=False, no_data="nicht signifikant")
    if areas is not None and len(areas):
        area_layer(areas, fmap, t)
    if indicator is not None:
        choropleth(units, indicator[0], indicator[1], fmap=fmap, show=False)
    if access is not None:
        a = base.join(access.drop(columns=["unit_id"], errors="ignore"))
        choropleth(a, "access_score", t["access"], scheme="Quantiles", k=5, fmap=fmap, show=False,
                   tooltip={"unit_name": t["name"], "access_score": t["access"]})
    if housing is not None and housing["rent_change_3y_pct"].notna().any():
        h = base.join(housing.drop(columns=["unit_id"], errors="ignore"))
        choropleth(h, "rent_change_3y_pct", t["rent"], scheme="Quantiles", k=5, fmap=fmap,
                   show=False, tooltip={"unit_name": t["name"], "rent_eur_m2": "€/m²",
                                        "rent_change_3y_pct": t["rent"], "market": "Markt",
                                        "displacement_pressure": "Verdrängungsdruck"})
    if pois is not None:
        poi_layers(pois, labels, fmap)
    if cadastre is not None and len(cadastre):
        categorical(cadastre, "status", REVIEW_COLOURS, t["gaps"],
                    {"gap_id": "ID", "gap_type": "Typ", "area_m2": "m²", "status": "Status",
                     "state": "Lauf"}, "rule", fmap, opacity=0.85)
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

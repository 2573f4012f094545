"""Interactive Folium maps (WGS84 only here; all analysis stays in the metric CRS).

Every value taken from the data is HTML-escaped before it reaches the page, so a unit named
``<script>…</script>`` shows as text.
"""

from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd

#: ColorBrewer YlOrRd (9 classes); subsampled for fewer classes.
YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c",
          "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
NO_DATA_COLOUR = "#bdbdbd"
#: Simplification tolerance (m) before reprojecting to WGS84; invisible at city zoom levels.
SIMPLIFY_M = 5.0


def _palette(k: int) -> list[str]:
    idx = np.linspace(0, len(YLORRD) - 1, k).round().astype(int)
    return [YLORRD[i] for i in idx]


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return html.escape(str(value))


def to_web(units: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """Simplified WGS84 copy with the given columns, every text value HTML-escaped."""
    web = units[[*columns, units.geometry.name]].copy()
    web = web.set_geometry(web.geometry.simplify(SIMPLIFY_M, preserve_topology=True))
    web = web.to_crs(4326)
    for col in columns:
        web[col] = [_fmt(v) for v in web[col]]
    return web


def legend_html(title: str, bins: list[str], colours: list[str]) -> str:
    rows = "".join(
        f'<div><span style="background:{c};width:14px;height:14px;display:inline-block;'
        f'margin-right:6px;border:1px solid #999"></span>{html.escape(b)}</div>'
        for b, c in zip(bins, colours, strict=True)
    )
    return (
        '<div class="quartier-legend" style="position:fixed;bottom:24px;left:12px;z-index:9999;'
        'background:white;padding:8px 10px;border:1px solid #888;border-radius:4px;'
        f'font:12px sans-serif"><b>{html.escape(title)}</b>{rows}</div>'
    )


def choropleth(
    units: gpd.GeoDataFrame,
    column: str,
    label: str | None = None,
    scheme: str = "NaturalBreaks",
    k: int = 5,
    tooltip: dict[str, str] | None = None,
    fmap: folium.Map | None = None,
) -> folium.Map:
    """A choropleth of one indicator with mapclassify classes, a legend and tooltips.

    Parameters
    ----------
    units : GeoDataFrame
        Units in a metric CRS with ``unit_id`` and ``unit_name``.
    column : str
        Numeric column to map; NaN is drawn grey ("keine Daten").
    label : str, optional
        Legend title.
    scheme : str
        Any mapclassify classifier name (NaturalBreaks, Quantiles, EqualInterval, …).
    tooltip : dict, optional
        Column → label shown in the tooltip; defaults to id, name and the mapped value.
    """
    label = label or column
    values = units[column].astype("float64")
    present = values.dropna()
    k = max(2, min(k, present.nunique()))
    classifier = mapclassify.classify(present.to_numpy(), scheme=scheme, k=k)
    colours = _palette(classifier.k)
    cls = pd.Series(-1, index=units.index)
    cls[present.index] = classifier.yb
    tooltip = tooltip or {"unit_id": "Nr.", "unit_name": "Name", column: label}
    web = to_web(units, list(dict.fromkeys(tooltip)))
    web["_fill"] = [colours[c] if c >= 0 else NO_DATA_COLOUR for c in cls]

    if fmap is None:
        minx, miny, maxx, maxy = web.total_bounds
        fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11,
                          tiles="OpenStreetMap", prefer_canvas=True)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    layer = folium.GeoJson(
        web,
        name=label,
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#555",
                                  "weight": 0.4, "fillOpacity": 0.75},
        highlight_function=lambda f: {"weight": 2, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip), aliases=list(tooltip.values()),
                                      sticky=True),
    )
    layer.add_to(fmap)
    lower = [present.min(), *classifier.bins[:-1]]
    bins = [f"{_fmt(lo)} – {_fmt(hi)}" for lo, hi in zip(lower, classifier.bins, strict=True)]
    if values.isna().any():
        bins, colours = [*bins, "keine Daten"], [*colours, NO_DATA_COLOUR]
    fmap.get_root().html.add_child(folium.Element(legend_html(label, bins, colours)))
    return fmap


def save(fmap: folium.Map, path: str | Path) -> Path:
    """Add a layer control and write the map as a self-contained HTML file."""
    folium.LayerControl(collapsed=False).add_to(fmap)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmap.save(str(path))
    return path

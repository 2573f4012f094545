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

import re
from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.io.escape import html_text as _fmt
from quartier.outputs.mapbase import (
    AREA_COLOUR,
    CLUSTER_COLOURS,
    FLAGGED_SHOWN_MAX,
    HOTSPOT_COLOURS,
    MAX_SEARCH_UNITS,
    MAX_VECTOR_UNITS,
    NO_DATA_COLOUR,
    POI_COLOURS,
    POI_SKIP,
    REVIEW_COLOURS,
    SAFE_LINK,
    STATUS_COLOURS,
    Layer,
    MapData,
    MapWords,
    UnitRaster,
    bbox,
    classify,
    dissolved_outline,
    finish,
    geojson,
    large_note,
    legend,
    map_data,
    new_map,
    page_text,
    palette,
    ramp_for,
    ramp_words,
    raster_overlay,
    unit_raster,
    web_geometry,
)
from quartier.vocab import HotSpot

# ------------------------------------------------------------------------------------- themes


def _theme(data: MapData, key: str, name: str, colours: list[str | None], values: list[str],
           legend_spec: dict, show: bool, opacity: float = 0.7, values_in: str | None = None,
           fmap: folium.Map | None = None) -> Layer:
    """A theme layer: one fill colour per unit (None: no data). Vector units carry the colour
    index and the shown value per unit to the script; a large map gets one image."""
    layer = Layer(key, name, "theme", show, legend_spec)
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
        _unit_info(map_data(fmap), units, None, {}, None)
    data = map_data(fmap)
    if raster is not None:
        data.raster = raster
    values = units[column].astype("float64")
    present = values.dropna()
    k = max(2, min(k, present.nunique()))
    upper, classes = classify(present.to_numpy(), scheme, k)
    # with ties mapclassify may keep k but return fewer bins: the bins are the classes
    colours = palette(len(upper), ramp_for(better))
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
        ends, note = ramp_words(better)
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
    data = map_data(fmap)
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
    data = map_data(fmap)
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
            "fig": [_fmt(k) for k in fig_labels], "bbox": [bbox(web.geometry.iloc[keep])][0]}
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
    info["profile"] = [p if isinstance(p, str) and SAFE_LINK.match(p) else ""
                       for p in profiles.iloc[keep]]
    if not data.large:
        info["geo"] = geojson(web.geometry)
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
    layer = Layer("flagged", name, "outline", show)
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
    geo = geojson(web.geometry.boundary, props)
    name = vocab.text("map.areas")
    data.add(Layer("areas", f"{name} ({vocab.count(len(areas))})", "outline", True, legend(
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
    geo = geojson(web.geometry, props)
    name = vocab.text("map.gaps")
    present = set(web["status"].astype(str))
    rows = [(col, vocab.state(s)) for s, col in REVIEW_COLOURS.items() if s in present]
    data.add(Layer("gaps", f"{name} ({vocab.count(len(web))})", "gaps", False,
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
    data.add(Layer("sites", name, "gaps", False, legend(
        name, [(vocab.SITE_COLOUR, vocab.text("map.selected")),
               ("#bbbbbb", vocab.text("map.not_selected"))], shape="dot", note=note),
        {"pts": pts, "colour": vocab.SITE_COLOUR, "places": page_text("map.selected")}))


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
        data.add(Layer(f"poi_{i}", name, "pois", False,
                        legend(name, [(colour, label)], shape="symbol"),
                        {"pts": pts, "colour": colour, "glyph": glyph, "label": _fmt(label)}))


def poi_layers(pois: gpd.GeoDataFrame, labels: dict[str, str], fmap: folium.Map,
               skip: tuple[str, ...] = POI_SKIP) -> None:
    """One layer per facility category (hidden at start; names escaped)."""
    del skip
    _poi_layers(map_data(fmap), pois, labels)


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
        data = map_data(fmap)
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
                access_legend["ends"] = [page_text("map.poor_access"), page_text("map.good_access")]
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

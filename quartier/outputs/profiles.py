"""Quarter profiles (*Quartiersprofile*): one printable page per unit and per action area.

Each page is self-contained HTML in the config's language, without JavaScript and without any
file or tile from the network, one A4 page in print: name and district, key figures, the flag
and its action area, the reasons, every index indicator against the city (value, z, percentile
bar), the history where the monitoring has several years, walking distances per category,
building-gap candidates and proposed sites inside, and a small map of the unit among its
neighbours in the status colours (drawn as SVG from the geometries, with a scale bar). Every page
links the unit's action area, its neighbours, the map and the report; ``index.html`` lists all
pages with a filter. :func:`print_pdf` turns pages into PDF with headless Chromium where it is
installed.

Every value from the data goes through :func:`quartier.io.escape.html_text`. A page takes a
few milliseconds: the neighbours, percentiles and spatial indexes are computed once per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier import vocab
from quartier.analysis.robustness_table import sentence as robustness_sentence
from quartier.io.escape import html_text
from quartier.io.outputs import prepare_out_dir, write_text
from quartier.outputs.charts import CHART_CSS, line_chart
from quartier.outputs.common import DOC_CSS, PageWords, head, kpis, profile_file, table

#: Kept for callers of the old name.
file_name = profile_file

PROFILE_CSS = DOC_CSS + CHART_CSS + """
.top{display:flex;flex-wrap:wrap;gap:.2em 1.2em;font-size:.9em;margin-bottom:.4em}
.grid{display:grid;grid-template-columns:minmax(0,340px) minmax(0,1fr);gap:1.2em;align-items:start}
.map figcaption{font-size:.82em;color:#555}.reasons{margin:.2em 0;padding-left:1.2em}
.reasons li{margin:.1em 0}.bar{white-space:nowrap}.history{display:flex;flex-wrap:wrap;gap:.8em}
.history svg{width:330px}.kpis{grid-template-columns:repeat(auto-fill,minmax(150px,1fr))}
.idx-filter{width:100%;max-width:420px;padding:.5em;font-size:1em;margin:.5em 0}


@media (max-width:700px){.grid{grid-template-columns:1fr}.history svg{width:100%}}
@media print{body{font-size:8.4pt;line-height:1.28}h1{font-size:15pt;margin:0}.sub{margin:.1em 0}
h2{font-size:9.6pt;margin:.55em 0 .2em;border-bottom-width:1px}.nav{display:none}
.kpis{grid-template-columns:repeat(5,1fr);gap:.3em;margin:.35em 0}.kpi{padding:.2em .45em}
.kpi b{font-size:10.5pt}.kpi span{font-size:7pt}table{font-size:7.4pt;margin:.15em 0 .35em}
th,td{padding:.5px 4px}.grid{grid-template-columns:58mm 1fr;gap:4mm}.map svg{width:58mm;
height:58mm}.map figcaption{font-size:6.8pt}.history{display:grid;grid-template-columns:
repeat(3,1fr);gap:3mm}.history svg{width:100%;height:auto}.chart figcaption{font-size:7.4pt}
.keys{font-size:6.6pt}.sources{font-size:6.2pt;margin:.1em 0}ul.sources{columns:2;padding-left:
1em}.flag{padding:.15em .5em;margin:.3em 0}.reasons{font-size:7.8pt}.reasons li{margin:0}
.chip,.kpi,.flag,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
svg.bar{width:110px}}


@page{size:A4;margin:10mm 11mm}"""

#: Lengths a scale bar may have (m): the one closest to a quarter of the map's width.
SCALE_STEPS = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)


@dataclass
class ProfileContext:
    """Everything a page draws on: the units with their priority table and access, the labels,
    and optional layers; ``words``, ``extra`` and the links from the run (see
    :func:`quartier.pipeline.present.draw_profiles`)."""

    units: gpd.GeoDataFrame
    table: pd.DataFrame
    labels: dict[str, str]
    city: str
    index_name: str
    index_columns: list[str]
    sources: list[str] = field(default_factory=list)
    access: pd.DataFrame | None = None
    access_labels: dict[str, str] = field(default_factory=dict)
    cadastre: gpd.GeoDataFrame | None = None
    sites: gpd.GeoDataFrame | None = None
    series: pd.DataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    words: PageWords | None = None
    #: per unit: name, group, residents (same index as ``units``)
    extra: pd.DataFrame | None = None
    #: pages of the run, relative to the profiles folder
    links: dict[str, str] = field(default_factory=dict)
    #: series indicator → (label, unit)
    series_labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: per indicator of ``series``: the unit × year table and the city median per year
    series_wide: dict[str, tuple[pd.DataFrame, pd.Series]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.series is None:
            return
        for ind, sel in self.series.groupby("indicator", sort=False):
            wide = sel.pivot_table(index="unit_id", columns="year", values="value", aggfunc="mean")
            if wide.shape[1] >= 2:
                self.series_wide[str(ind)] = (wide, wide.median())


class _Prepared:
    """What every page of a run shares, computed once: neighbours, percentiles, colours, pages."""

    def __init__(self, ctx: ProfileContext, positions: list[int]) -> None:
        self.ctx = ctx
        units = ctx.units
        self.words = ctx.words or PageWords(city=ctx.city, index_name=ctx.index_name,
                                            sources=ctx.sources, labels=ctx.labels)
        geoms = units.geometry.values
        self.tree = shapely.STRtree(geoms)
        left, right = self.tree.query(geoms, predicate="intersects")
        keep = left != right
        self.neighbours = pd.Series(right[keep]).groupby(left[keep]).agg(list).reindex(
            range(len(units))).apply(lambda v: v if isinstance(v, list) else [])
        self.paged = set(positions)
        self.ids = units["unit_id"].astype(str).to_numpy()
        extra = ctx.extra if ctx.extra is not None else pd.DataFrame(index=units.index)
        self.names = (extra["name"] if "name" in extra else units["unit_name"]).astype(object).to_numpy()
        group = extra["group"] if "group" in extra else units.get("unit_group")
        self.groups = (group.astype(object).to_numpy() if group is not None
                       else np.full(len(units), None, dtype=object))
        self.residents = (extra["residents"].to_numpy(dtype="float64")
                          if "residents" in extra else ctx.table.get("_residents", pd.Series(
                              np.nan, index=units.index)).to_numpy(dtype="float64"))
        t = ctx.table
        labels = self.words.status_labels or sorted(t["status_class"].dropna().unique()) \
            if "status_class" in t else []
        self.status_colours = vocab.class_colours(list(labels)) if labels else {}
        self.status = t["status_class"].astype(object).to_numpy() if "status_class" in t else None
        cols = [c for c in ctx.index_columns if c in t]
        self.values = {c: t[c].to_numpy(dtype="float64", na_value=np.nan) for c in cols}
        self.zs = {c: (t[f"z_{c}"].to_numpy(dtype="float64", na_value=np.nan) if f"z_{c}" in t
                       else np.full(len(t), np.nan)) for c in cols}
        self.sorted_values = {c: np.sort(v[np.isfinite(v)]) for c, v in self.values.items()}
        self.city_mean = {c: float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
                          for c, v in self.values.items()}
        # the units' outlines simplified once (2 m: finer than a pixel of any profile map)
        self.simple = shapely.simplify(geoms, 2.0)
        self.row_of = {u: k for k, u in enumerate(self.ids)}
        self.history = {}
        for ind, (wide, city) in ctx.series_wide.items():
            rows = np.array([self.row_of.get(str(u), -1) for u in wide.index])
            self.history[ind] = (wide.columns.to_numpy(), wide.to_numpy(dtype="float64"),
                                 {str(u): k for k, u in enumerate(wide.index)}, city.to_numpy())
            del rows
        self.access = None
        if ctx.access is not None:
            a = ctx.access
            cats = [c[5:-2] for c in a.columns if c.startswith("dist_")]
            self.access = [(c, a[f"dist_{c}_m"].to_numpy(dtype="float64", na_value=np.nan),
                            a[f"share_within_{c}_pct"].to_numpy(dtype="float64", na_value=np.nan)
                            if f"share_within_{c}_pct" in a else np.full(len(a), np.nan),
                            float(a[f"dist_{c}_m"].median())) for c in cats]
        self.n_scored = int(t["priority_rank"].notna().sum()) if "priority_rank" in t else 0
        self.area_pages: dict[str, str] = {}
        self.area_names: dict[str, str] = {}
        if ctx.areas is not None:
            for k, (aid, name) in enumerate(zip(ctx.areas["area_id"], ctx.areas["area_name"],
                                                strict=True)):
                self.area_pages[str(aid)] = profile_file("aktionsraum", aid, k)
                self.area_names[str(aid)] = str(name)
        self.gap_tree = (shapely.STRtree(ctx.cadastre.geometry.values)
                         if ctx.cadastre is not None and len(ctx.cadastre) else None)
        self.site_tree = (shapely.STRtree(ctx.sites.geometry.values)
                          if ctx.sites is not None and len(ctx.sites) else None)

    def page_of(self, pos: int) -> str | None:
        return profile_file("einheit", self.ids[pos], pos) if pos in self.paged else None

    def unit_link(self, pos: int) -> str:
        text = f"{html_text(self.names[pos])} ({html_text(self.ids[pos])})"
        page = self.page_of(pos)
        return f'<a href="{html_text(page)}">{text}</a>' if page else text


def percentile_bar(pct: float, width: int = 160, height: int = 14) -> str:
    """Where a value lies among the units (0 = lowest, 100 = highest), as a small SVG bar."""
    if not np.isfinite(pct):
        return "–"
    x = 2 + (width - 4) * pct / 100
    title = vocab.text("profile.percentile", p=vocab.num(pct, 0))
    return (f'<svg class="bar" width="{width}" height="{height}" viewBox="-4 0 {width + 8} '
            f'{height}" role="img" aria-label="{html_text(title)}"><title>{html_text(title)}</title>'
            f'<rect x="0" y="4" width="{width}" height="6" fill="#e5e5e5"/>'
            f'<line x1="{width / 2}" y1="2" x2="{width / 2}" y2="{height - 2}" stroke="#999"/>'
            f'<circle cx="{x:.1f}" cy="7" r="5" fill="#a50f15"/></svg>')


def _path(geom: shapely.Geometry, tx) -> str:
    parts = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = tx(np.asarray(ring.coords))
            parts.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in xy) + "Z")
    return "".join(parts)


def scale_length(span_m: float) -> int:
    """A round scale bar length (m): the step closest to a quarter of ``span_m``."""
    return min(SCALE_STEPS, key=lambda s: abs(s - span_m / 4))


def map_svg(focus: shapely.Geometry, units: gpd.GeoDataFrame,
            extra: Sequence[tuple[gpd.GeoSeries, str]] = (), size: int = 340,
            colours: list[str | None] | None = None, tree: shapely.STRtree | None = None,
            simple: np.ndarray | None = None) -> str:
    """The focus polygon among its neighbours, drawn from the geometries (no tiles), the
    neighbours in ``colours`` (per unit, e.g. the status colours; light grey without), with a
    round scale bar of about a quarter of the width. ``extra``: (geometries, colour) drawn on top
    (gaps, sites)."""
    x0, y0, x1, y1 = shapely.buffer(focus, max(float(shapely.length(focus)) * 0.06, 120)).bounds
    side = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, y0 = cx - side / 2, cy - side / 2
    scale = (size - 20) / side

    def tx(xy: np.ndarray) -> np.ndarray:
        return np.c_[10 + (xy[:, 0] - x0) * scale, size - 10 - (xy[:, 1] - y0) * scale]

    window = shapely.box(x0, y0, x0 + side, y0 + side)
    rows = (tree.query(window, predicate="intersects") if tree is not None
            else np.flatnonzero(units.intersects(window).to_numpy()))
    tol = 1.0 / scale
    shapes = []
    for r in np.sort(rows):
        geom = simple[r] if simple is not None else shapely.simplify(units.geometry.values[r], tol)
        fill = (colours[r] if colours is not None and colours[r] else "#f2f2f2")
        shapes.append(f'<path d="{_path(geom, tx)}" fill="{fill}" fill-opacity="0.55" '
                      'stroke="#777" stroke-width="0.7" fill-rule="evenodd"/>')
    shapes.append(f'<path d="{_path(shapely.simplify(focus, tol), tx)}" fill="none" '
                  'stroke="#000" stroke-width="3" fill-rule="evenodd"/>')
    for geoms, colour in extra:
        for g in geoms.values:
            if g is None or g.is_empty:
                continue
            if g.geom_type == "Point":
                px, py = tx(np.array([[g.x, g.y]]))[0]
                shapes.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}" '
                              'stroke="#000" stroke-width="0.6"/>')
            else:
                shapes.append(f'<path d="{_path(g, tx)}" fill="{colour}" fill-opacity="0.9" '
                              'stroke="#000" stroke-width="0.5"/>')
    bar_m = scale_length(side)
    bar = bar_m * scale
    label = vocab.metres(bar_m) if bar_m < 1000 else vocab.num(bar_m / 1000, 0, unit="km")
    shapes.append(f'<rect x="8" y="{size - 30}" width="{bar + 8:.1f}" height="22" fill="#fff" '
                  f'fill-opacity="0.8"/><line x1="12" y1="{size - 13}" x2="{12 + bar:.1f}" '
                  f'y2="{size - 13}" stroke="#000" stroke-width="3"/><text x="12" y="{size - 18}" '
                  f'font-size="11">{html_text(label)}</text>')
    title = vocab.text("profile.map_title")
    return (f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" '
            f'aria-label="{html_text(title)}"><title>{html_text(title)}</title>'
            f'<rect width="{size}" height="{size}" fill="#fff" stroke="#ccc"/>'
            f'{"".join(shapes)}</svg>')


def _indicators(prep: _Prepared, rows: list[int]) -> str:
    """Each index indicator for the unit(s) against the city: value, z, percentile bar."""
    ctx = prep.ctx
    out = []
    for col, values in prep.values.items():
        own = values[rows]
        value = float(np.nanmean(own)) if np.isfinite(own).any() else np.nan
        zs = prep.zs[col][rows]
        z = float(np.nanmean(zs)) if np.isfinite(zs).any() else np.nan
        ranked = prep.sorted_values[col]
        pct = (100 * np.searchsorted(ranked, value, side="left") / len(ranked)
               if len(ranked) and np.isfinite(value) else np.nan)
        label = prep.words.labels.get(col) or ctx.labels.get(col) or vocab.column(col)
        out.append(f"<tr><td>{html_text(label)}</td><td class='num'>{html_text(vocab.smart(value))}"
                   f"</td><td class='num'>{html_text(vocab.smart(prep.city_mean[col]))}</td>"
                   f"<td class='num'>{html_text(vocab.num(z, 1, sign=True))}</td>"
                   f"<td>{percentile_bar(pct)}</td></tr>")
    units = prep.words.units or vocab.text("label.units")
    heads = [vocab.text(k, units=units) for k in ("profile.indicator", "profile.value",
                                                  "profile.city_mean", "profile.z",
                                                  "profile.position")]
    return ("<table><thead><tr>" + "".join(
        f"<th{' class=num' if i in (1, 2, 3) else ''}>{html_text(h)}</th>"
        for i, h in enumerate(heads)) + "</tr></thead><tbody>" + "".join(out) + "</tbody></table>")


def _history(prep: _Prepared, unit_ids: list[str]) -> str:
    ctx = prep.ctx
    if ctx.series is None or ctx.series.empty:
        return f"<p class='note'>{html_text(vocab.text('profile.no_series'))}</p>"
    charts = []
    own_label = vocab.text("profile.this_unit" if len(unit_ids) == 1 else "profile.these_units")
    for ind, (years, wide, row_of, city) in prep.history.items():
        rows = [row_of[u] for u in unit_ids if u in row_of]
        if not rows:
            continue
        block = wide[rows]
        counted = np.isfinite(block).sum(axis=0)
        own = np.where(counted > 0, np.nansum(block, axis=0) / np.maximum(counted, 1), np.nan)
        if np.isfinite(own).sum() < 2:
            continue
        label, unit = ctx.series_labels.get(ind, (prep.words.labels.get(ind) or vocab.column(ind), ""))
        frame = pd.DataFrame({own_label: own, vocab.text("profile.city_median"): city},
                             index=years)
        charts.append(line_chart(frame, label, unit or None, width=330, height=150))
    return ("<div class='history'>" + "".join(charts) + "</div>") if charts else \
        f"<p class='note'>{html_text(vocab.text('profile.one_year'))}</p>"


def _access(prep: _Prepared, rows: list[int]) -> str:
    ctx = prep.ctx
    if prep.access is None:
        return f"<p class='note'>{html_text(vocab.text('profile.no_access'))}</p>"

    def mean(v: np.ndarray) -> float:
        own = v[rows]
        return float(np.nanmean(own)) if np.isfinite(own).any() else np.nan

    lines = []
    for c, dist, share, city in prep.access:
        lines.append(
            f"<tr><td>{html_text(vocab.category(c, ctx.access_labels))}</td>"
            f"<td class='num'>{html_text(vocab.metres(mean(dist)))}</td>"
            f"<td class='num'>{html_text(vocab.pct(mean(share), 0))}</td>"
            f"<td class='num'>{html_text(vocab.metres(city))}</td></tr>")
    heads = [vocab.text(k) for k in ("profile.category", "profile.walk", "profile.share_walk",
                                     "profile.city_walk")]
    return ("<table><thead><tr>" + "".join(
        f"<th{' class=num' if i else ''}>{html_text(h)}</th>" for i, h in enumerate(heads))
        + "</tr></thead><tbody>" + "".join(lines) + "</tbody></table>")


def _inside(prep: _Prepared, geom: shapely.Geometry) -> tuple[str, list]:
    """Gap candidates and proposed sites inside the geometry: tables and map layers."""
    ctx = prep.ctx
    if prep.gap_tree is None and prep.site_tree is None:
        return f"<p class='note'>{html_text(vocab.text('profile.no_gaps'))}</p>", []
    parts, layers = [], []
    gap_hits = (np.sort(prep.gap_tree.query(geom, predicate="intersects"))
                if prep.gap_tree is not None else np.array([], dtype=int))
    site_hits = (np.sort(prep.site_tree.query(geom, predicate="contains"))
                 if prep.site_tree is not None else np.array([], dtype=int))
    if len(gap_hits) and ctx.cadastre is not None:
        gaps = ctx.cadastre.iloc[gap_hits]
        for g, status in zip(gaps.geometry, gaps["status"], strict=True):
            layers.append((gpd.GeoSeries([g]), vocab.REVIEW_COLOURS.get(status, vocab.NO_DATA_COLOUR)))
        parts.append(f"<p>{html_text(vocab.text('profile.gaps', n=vocab.count(len(gaps))))}</p>")
        parts.append(table(gaps[["gap_id", "gap_type", "area_m2", "status", "rule"]],
                           prep.words, 12, formats={"area_m2": vocab.area_m2}))
    if len(site_hits) and ctx.sites is not None:
        sites = ctx.sites.iloc[site_hits]
        chosen = sites[sites["selected"]] if "selected" in sites else sites
        if len(chosen):
            layers.append((chosen.geometry, vocab.SITE_COLOUR))
            note = vocab.text("profile.sites_illustrative") if prep.words.illustrative_sites else ""
            parts.append(f"<p>{html_text(vocab.text('profile.sites', n=vocab.count(len(chosen))))} "
                         f"<span class='note'>{html_text(note)}</span></p>")
            parts.append(table(chosen[["site_id", "name", "places", "score"]], prep.words, 8,
                               formats={"score": lambda v: vocab.num(v, 0)}))
    if not parts:
        parts.append(f"<p class='note'>{html_text(vocab.text('profile.none_inside'))}</p>")
    return "".join(parts), layers


def _page(prep: _Prepared, title: str, body: str, nav: str = "") -> str:
    w = prep.words
    src = "".join(f"<li>{html_text(s)}</li>" for s in w.sources)
    links = prep.ctx.links
    top = [f"<a href='index.html'>{html_text(vocab.text('profile.all'))}</a>"]
    for key in ("map", "report"):
        if links.get(key):
            top.append(f"<a href='{html_text(links[key])}'>{html_text(vocab.text('profile.' + key))}</a>")
    made = vocab.text("profile.made", date=vocab.long_date(w.made))
    if w.data_date:
        made = vocab.text("map.data_date", date=w.data_date) + " · " + made
    return (head(title, w.language, PROFILE_CSS) + f"<nav class='top noprint'>{''.join(top)}</nav>"
            + nav + body + f"<h2>{html_text(vocab.text('profile.sources'))}</h2>"
            f"<ul class='note sources'>{src}</ul><p class='note sources'>{html_text(made)}. "
            f"{html_text(vocab.text('profile.map_note'))}</p></body></html>")


def _flag_box(prep: _Prepared, r: pd.Series) -> str:
    if not bool(r.get("flagged", False)):
        return ""
    area = r.get("area_id")
    text = f"<b>{html_text(vocab.text('profile.flagged'))}</b>: {html_text(r.get('flag_reason', ''))}"
    if pd.notna(area) and str(area) in prep.area_pages:
        text += (f" — <a href='{html_text(prep.area_pages[str(area)])}'>"
                 f"{html_text(vocab.text('profile.area', id=area, name=prep.area_names[str(area)]))}"
                 "</a>")
    return f"<p class='flag'>{text}</p>"


def unit_page(ctx: ProfileContext, pos: int, prep: _Prepared | None = None) -> str:
    """The profile of one unit (row position ``pos`` of ``ctx.units``)."""
    prep = prep or _Prepared(ctx, [pos])
    u, r = ctx.units.iloc[pos], ctx.table.iloc[pos]
    w = prep.words
    indicators_head = vocab.text("profile.indicators", index=w.index_name or ctx.index_name,
                                 units=w.units or vocab.text("label.units"))
    name, group = prep.names[pos], prep.groups[pos]
    rank = r.get("priority_rank")
    figures = [(vocab.text("map.residents"), vocab.persons(prep.residents[pos]))]
    if "status_class" in r:
        figures.append((w.index_name or vocab.text("map.status"),
                        f"{vocab.state(r.get('status_class'))} ({vocab.num(r.get('status_index'), 2)})"
                        if pd.notna(r.get("status_class")) else vocab.text("label.not_scored")))
    if pd.notna(r.get("dynamics_class")):
        figures.append((w.dynamics_name or vocab.text("map.dynamics"),
                        f"{r.get('dynamics_class')} ({vocab.num(r.get('dynamics_index'), 2)})"))
    figures.append((vocab.text("map.priority"),
                    vocab.text("map.rank", rank=vocab.count(rank), n=vocab.count(prep.n_scored))
                    if pd.notna(rank) else vocab.text("label.not_scored")))
    if ctx.access is not None:
        figures.append((vocab.column("access_score"),
                        vocab.num(ctx.access["access_score"].iloc[pos], 0)))
    reasons = [vocab.relabel(x, w.labels) for x in str(r.get("reasons", "") or "").split("; ")
               if x]
    robust = robustness_sentence(rank, r.get("rank_p05"), r.get("rank_p95"),
                                 r.get("flagged_share_pct"))
    inside, layers = _inside(prep, u.geometry)
    colours = ([prep.status_colours.get(s) for s in prep.status] if prep.status is not None
               else None)
    legend = "".join(f"<span class='chip' style='background:{c}'></span>{html_text(lab)} "
                     for lab, c in prep.status_colours.items())
    nbrs = sorted(prep.neighbours.iloc[pos], key=lambda k: str(prep.names[k]))
    nav = []
    area = r.get("area_id")
    if pd.notna(area) and str(area) in prep.area_pages:
        nav.append(f"<span>{html_text(vocab.text('profile.in_area'))} <a href='"
                   f"{html_text(prep.area_pages[str(area)])}'>{html_text(area)} "
                   f"{html_text(prep.area_names[str(area)])}</a></span>")
    if nbrs:
        nav.append(f"<span>{html_text(vocab.text('profile.neighbours'))}: "
                   + ", ".join(prep.unit_link(k) for k in nbrs) + "</span>")
    sub = [f"{vocab.column('unit_id')} {u['unit_id']}"]
    if group is not None and pd.notna(group) and str(group):
        sub.append(str(group))
    sub.append(ctx.city)
    body = (f"<h1>{html_text(name)}</h1><p class='sub'>{html_text(' · '.join(sub))}</p>"
            + f"<div class='nav'>{''.join(nav)}</div>" + _flag_box(prep, r) + kpis(figures)
            + f"<div class='grid'><figure class='map'>"
            f"{map_svg(u.geometry, ctx.units, layers, colours=colours, tree=prep.tree, simple=prep.simple)}"
            f"<figcaption>{legend}</figcaption></figure><div>"
            + f"<h2>{html_text(vocab.text('map.reasons'))}</h2>"
            + ("<ul class='reasons'>" + "".join(f"<li>{html_text(x)}</li>" for x in reasons)
               + "</ul>" if reasons else f"<p class='note'>{html_text(vocab.text('profile.no_reasons'))}</p>")
            + (f"<p class='note'>{html_text(vocab.text('profile.robustness'))}: "
               f"{html_text(robust)}.</p>" if robust else "")
            + (f"<p class='note'>{html_text(r['notes'])}</p>" if r.get("notes") else "")
            + "</div></div>"
            + f"<h2>{html_text(indicators_head)}</h2>"
            + _indicators(prep, [pos])
            + f"<h2>{html_text(vocab.text('profile.history'))}</h2>" + _history(prep, [str(u['unit_id'])])
            + f"<h2>{html_text(vocab.text('profile.access'))}</h2>" + _access(prep, [pos])
            + f"<h2>{html_text(vocab.text('profile.gaps_sites'))}</h2>" + inside)
    return _page(prep, vocab.text("profile.title", name=name), body)


def area_page(ctx: ProfileContext, area: pd.Series, prep: _Prepared | None = None) -> str:
    """The profile of one action area: its members (linked), figures over all of them."""
    prep = prep or _Prepared(ctx, [])
    w = prep.words
    ids = str(area["member_ids"]).split(", ")
    rows = [int(i) for i in np.flatnonzero(ctx.units["unit_id"].astype(str).isin(ids))]
    members = ctx.table.iloc[rows]
    role = members.get("area_role", pd.Series("", index=members.index))
    member_rows = "".join(
        f"<tr><td>{prep.unit_link(p)}</td><td>{html_text(vocab.state(s))}</td>"
        f"<td class='num'>{html_text(vocab.count(k) if pd.notna(k) else '–')}</td>"
        f"<td>{html_text(x)}</td></tr>"
        for p, s, k, x in zip(rows, members["status_class"], members.get(
            "priority_rank", pd.Series(np.nan, index=members.index)), role, strict=True))
    heads = [w.unit or vocab.text("label.unit"), vocab.column("status_class"),
             vocab.column("priority_rank"), vocab.column("area_role")]
    member_table = ("<table><thead><tr>" + "".join(f"<th>{html_text(h)}</th>" for h in heads)
                    + f"</tr></thead><tbody>{member_rows}</tbody></table>")
    figures = [(vocab.text("map.residents"), vocab.persons(area["residents"])),
               (w.units or vocab.text("label.units"), vocab.count(area["n_members"])),
               (vocab.column("n_gap_closers"), vocab.count(area["n_gap_closers"])),
               (vocab.text("profile.mean_index", index=w.index_name or ctx.index_name),
                vocab.num(area["mean_status_index"], 2)),
               (vocab.column("compactness"), vocab.num(area["compactness"], 2))]
    inside, layers = _inside(prep, area.geometry)
    colours = ([prep.status_colours.get(s) for s in prep.status] if prep.status is not None
               else None)
    body = (f"<h1>{html_text(vocab.text('profile.area', id=area['area_id'], name=area['area_name']))}</h1>"
            f"<p class='sub'>{html_text(area['district'])} · {html_text(ctx.city)}</p>"
            + kpis(figures)
            + f"<div class='grid'><figure class='map'>"
            f"{map_svg(area.geometry, ctx.units, layers, colours=colours, tree=prep.tree, simple=prep.simple)}"
            "</figure><div>"
            + f"<h2>{html_text(vocab.text('profile.dominant'))}</h2>"
            f"<p>{html_text(area['dominant_reasons'])}</p>"
            + f"<h2>{html_text(w.units or '')}</h2>" + member_table + "</div></div>"
            + "<h2>" + html_text(vocab.text("profile.indicators_mean",
                                            index=w.index_name or ctx.index_name)) + "</h2>"
            + _indicators(prep, rows)
            + f"<h2>{html_text(vocab.text('profile.history'))}</h2>" + _history(prep, ids)
            + f"<h2>{html_text(vocab.text('profile.access'))}</h2>" + _access(prep, rows)
            + f"<h2>{html_text(vocab.text('profile.gaps_sites'))}</h2>" + inside)
    return _page(prep, vocab.text("profile.area_title", id=area["area_id"]), body)


_FILTER_JS = """document.getElementById('q-filter').addEventListener('input', function (e) {
var q = e.target.value.toLowerCase(); var rows = document.querySelectorAll('#q-index tbody tr');
for (var i = 0; i < rows.length; i++) rows[i].hidden = q && rows[i].textContent.toLowerCase()
.indexOf(q) < 0; });"""


def index_page(prep: _Prepared, entries: list[tuple]) -> str:
    """All profiles in one table (areas first), with a filter field (a few lines of script;
    without script the whole table stays)."""
    w = prep.words
    heads = [vocab.text("profile.kind"), vocab.column("unit_id"), vocab.column("unit_name"),
             w.group or "", vocab.column("status_class"), vocab.column("priority_rank"),
             vocab.column("area_id")]
    rows = "".join(
        f"<tr><td>{html_text(kind)}</td><td><a href='{html_text(page)}'>{html_text(key)}</a></td>"
        f"<td>{html_text(label)}</td><td>{html_text(group)}</td><td>{html_text(vocab.state(cls))}</td>"
        f"<td class='num'>{html_text(vocab.count(rank) if rank is not None and pd.notna(rank) else '–')}</td>"
        f"<td>{html_text(area)}</td></tr>"
        for kind, page, key, label, group, cls, rank, area in entries)
    title = vocab.text("profile.index_title", city=w.city)
    count = vocab.text("profile.count", n=vocab.count(len(entries)))
    body = (f"<h1>{html_text(title)}</h1><p>{html_text(count)}</p>"
            f"<label class='noprint'>{html_text(vocab.text('profile.filter'))}<br><input id='q-filter' "
            f"class='idx-filter' type='search' autocomplete='off' placeholder='"
            f"{html_text(vocab.text('profile.filter_placeholder'))}'></label>"
            "<div class='tablewrap'><table id='q-index'><thead><tr>"
            + "".join(f"<th>{html_text(h)}</th>" for h in heads)
            + f"</tr></thead><tbody>{rows}</tbody></table></div><script>{_FILTER_JS}</script>")
    page = _page(prep, title, body)
    return page.replace(f"<a href='index.html'>{html_text(vocab.text('profile.all'))}</a>", "", 1)


def write_profiles(ctx: ProfileContext, positions: list[int], out_dir: str | Path,
                   with_areas: bool = True) -> list[Path]:
    """One page per unit position (and per action area), and ``index.html``; returns the files."""
    out = prepare_out_dir(out_dir)
    prep = _Prepared(ctx, positions)
    entries, files = [], []
    rank = (ctx.table["priority_rank"].to_numpy(dtype="float64", na_value=np.inf)
            if "priority_rank" in ctx.table else np.full(len(ctx.units), np.inf))
    positions = sorted(positions, key=lambda p: (rank[p], str(prep.names[p])))
    status = prep.status if prep.status is not None else np.full(len(ctx.units), None)
    area_of = ctx.table.get("area_id", pd.Series(None, index=ctx.table.index)).to_numpy(dtype=object)
    unit_kind = prep.words.unit or vocab.text("label.unit")
    for pos in positions:
        name = prep.page_of(pos)
        if name is None:   # positions are the paged units
            continue
        files.append(write_text(unit_page(ctx, pos, prep), out / name))
        entries.append((unit_kind, name, prep.ids[pos], prep.names[pos],
                        prep.groups[pos] if prep.groups[pos] is not None else "", status[pos],
                        rank[pos] if np.isfinite(rank[pos]) else None,
                        area_of[pos] if pd.notna(area_of[pos]) else ""))
    if with_areas and ctx.areas is not None:
        area_entries = []
        for _, area in ctx.areas.iterrows():
            name = prep.area_pages[str(area["area_id"])]
            files.append(write_text(area_page(ctx, area, prep), out / name))
            area_entries.append((vocab.column("area_id"), name, area["area_id"], area["area_name"],
                                 area["district"], None, None, ""))
        entries = area_entries + entries   # what a council decides on comes first
    files.insert(0, write_text(index_page(prep, entries), out / "index.html"))
    return files


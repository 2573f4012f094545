"""Quarter profiles (*Quartiersprofile*): one printable page per unit or action area.

Each page is self-contained HTML in German, without JavaScript and without any file or tile from
the network: name and district, key figures, every index indicator against the city (value, z,
percentile bar), status and dynamics class with their history where the monitoring has several
years, the reasons, walking distances per category, building-gap candidates and proposed sites
inside, a small map of the unit among its neighbours drawn as SVG from the geometries, and the
sources. ``index.html`` links all pages. :func:`print_pdf` turns pages into PDF with headless
Chromium where it is installed.

Every value from the data goes through :func:`quartier.escape.html_text`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier.analysis.robustness import sentence as robustness_sentence
from quartier.io.escape import html_text
from quartier.io.outputs import prepare_out_dir, write_text
from quartier.outputs.report import line_svg, table_html

CSS = """body{font:13px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:900px;color:#222}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .4em;border-bottom:1px solid #ccc}
.sub{color:#555}.kpis{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}
.kpi{background:#f4f4f4;border-radius:5px;padding:.4em .8em}.kpi b{display:block;font-size:1.25em}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{border:1px solid #ddd;
padding:2px 5px;text-align:left;vertical-align:top}th{background:#f2f2f2}
.flag{background:#fde0dd;border-left:4px solid #c51b8a;padding:.4em .8em}.grid{display:grid;
grid-template-columns:380px 1fr;gap:1em;align-items:start}.note{color:#666;font-size:11px}
a{color:#08519c}@media print{body{margin:0;max-width:none;font-size:11px}a{color:#222;
text-decoration:none}.noprint{display:none}h2{break-after:avoid}table,svg{break-inside:avoid}}
@page{size:A4;margin:14mm}"""


@dataclass
class ProfileContext:
    """Everything a page draws on: the units with their priority table and access, the labels,
    and optional layers."""

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
    #: per indicator of ``series``: the unit × year table and the city median per year
    series_wide: dict[str, tuple[pd.DataFrame, pd.Series]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.series is None:
            return
        for ind, sel in self.series.groupby("indicator", sort=False):
            table = sel.pivot_table(index="unit_id", columns="year", values="value", aggfunc="mean")
            if table.shape[1] >= 2:
                self.series_wide[str(ind)] = (table, table.median())


def file_name(kind: str, key: str, position: int) -> str:
    """A page's file name: the id when it is a plain word, else the position."""
    return (f"{kind}_{key}.html" if re.fullmatch(r"[\w-]{1,64}", str(key), re.ASCII)
            else f"{kind}_{position:05d}.html")


def percentile_bar(pct: float, width: int = 160, height: int = 14) -> str:
    """Where a value lies among the units (0 = lowest, 100 = highest), as a small SVG bar."""
    if not np.isfinite(pct):
        return "–"
    x = 2 + (width - 4) * pct / 100
    return (f'<svg width="{width}" height="{height}" role="img"><title>{pct:.0f}. Perzentil</title>'
            f'<rect x="0" y="4" width="{width}" height="6" fill="#e5e5e5"/>'
            f'<line x1="{width / 2}" y1="2" x2="{width / 2}" y2="{height - 2}" stroke="#999"/>'
            f'<circle cx="{x:.1f}" cy="7" r="5" fill="#c51b8a"/></svg>')


def _path(geom: shapely.Geometry, tx) -> str:
    parts = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = tx(np.asarray(ring.coords))
            parts.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in xy) + "Z")
    return "".join(parts)


def map_svg(focus: shapely.Geometry, units: gpd.GeoDataFrame, extra: list[tuple[gpd.GeoSeries, str]]
            = (), size: int = 360) -> str:
    """The focus polygon among its neighbours, drawn from the geometries (no tiles), with a
    100 m / 1 km scale bar. ``extra``: (geometries, colour) drawn on top (gaps, sites)."""
    x0, y0, x1, y1 = shapely.buffer(focus, max(focus.length * 0.08, 150)).bounds
    scale = (size - 20) / max(x1 - x0, y1 - y0)

    def tx(xy: np.ndarray) -> np.ndarray:
        return np.c_[10 + (xy[:, 0] - x0) * scale, size - 10 - (xy[:, 1] - y0) * scale]

    window = shapely.box(x0, y0, x1, y1)
    near = units[units.intersects(window)]
    tol = 1.0 / scale
    shapes = []
    for geom in shapely.simplify(near.geometry.values, tol):
        shapes.append(f'<path d="{_path(geom, tx)}" fill="#f4f4f4" stroke="#999" '
                      'stroke-width="0.8" fill-rule="evenodd"/>')
    shapes.append(f'<path d="{_path(shapely.simplify(focus, tol), tx)}" fill="#fcbba1" '
                  'stroke="#a50f15" stroke-width="2" fill-rule="evenodd"/>')
    for geoms, colour in extra:
        for g in geoms.values:
            if g is None or g.is_empty:
                continue
            if g.geom_type == "Point":
                cx, cy = tx(np.array([[g.x, g.y]]))[0]
                shapes.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}" '
                              'stroke="#000" stroke-width="0.5"/>')
            else:
                shapes.append(f'<path d="{_path(g, tx)}" fill="{colour}" fill-opacity="0.8" '
                              'stroke="#000" stroke-width="0.5"/>')
    span = (x1 - x0)
    bar_m = 1000 if span > 3000 else 100
    bar = bar_m * scale
    shapes.append(f'<line x1="12" y1="{size - 14}" x2="{12 + bar:.1f}" y2="{size - 14}" '
                  f'stroke="#000" stroke-width="2"/><text x="12" y="{size - 18}" font-size="10">'
                  f'{"1 km" if bar_m == 1000 else "100 m"}</text>')
    return (f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img">'
            f'<title>Lage und Nachbarschaft</title><rect width="{size}" height="{size}" '
            f'fill="#fff" stroke="#ccc"/>{"".join(shapes)}</svg>')


def _kpis(figures: dict[str, object]) -> str:
    return '<div class="kpis">' + "".join(f'<div class="kpi">{html_text(k)}<b>{html_text(v)}</b></div>'
                                          for k, v in figures.items()) + "</div>"


def _indicators(ctx: ProfileContext, rows: list[int]) -> str:
    """Each index indicator for the unit(s) against the city: value, z, percentile bar."""
    t = ctx.table
    out = []
    for col in ctx.index_columns:
        if col not in t:
            continue
        values = t[col].astype("float64")
        own = values.iloc[rows]
        value = float(own.mean())
        z = t[f"z_{col}"].iloc[rows].mean() if f"z_{col}" in t else np.nan
        pct = float(100 * (values.dropna() < value).mean()) if values.notna().any() else np.nan
        out.append(f"<tr><td>{html_text(ctx.labels.get(col, col))}</td><td>{html_text(value)}</td>"
                   f"<td>{html_text(float(values.mean()))}</td><td>{html_text(float(z))}</td>"
                   f"<td>{percentile_bar(pct)}</td></tr>")
    return ("<table><thead><tr><th>Indikator</th><th>Wert</th><th>Stadt (Mittel)</th><th>z</th>"
            "<th>Lage in der Stadt (Punkt; Strich = Mitte)</th></tr></thead><tbody>"
            + "".join(out) + "</tbody></table>")


def _history(ctx: ProfileContext, unit_ids: list[str]) -> str:
    if ctx.series is None or ctx.series.empty:
        return "<p class='note'>Verlauf: keine Zeitreihen konfiguriert ([monitor]).</p>"
    charts = []
    for ind, (table, city) in ctx.series_wide.items():
        own = table.reindex(unit_ids).mean()
        if own.notna().sum() < 2:
            continue
        frame = pd.DataFrame({"Einheit" if len(unit_ids) == 1 else "Einheiten (Mittel)": own,
                              "Stadt (Median)": city})
        charts.append(line_svg(frame, ind, width=420, height=170))
    return ("<div>" + "".join(charts) + "</div>") if charts else \
        "<p class='note'>Verlauf: für diese Einheit liegt nur ein Jahr vor.</p>"


def _access(ctx: ProfileContext, rows: list[int]) -> str:
    if ctx.access is None:
        return "<p class='note'>Erreichbarkeit: nicht konfiguriert ([access]).</p>"
    a = ctx.access.iloc[rows]
    cats = [c[5:-2] for c in a.columns if c.startswith("dist_")]
    frame = pd.DataFrame({
        "Kategorie": [ctx.access_labels.get(c, c) for c in cats],
        "Fußweg (m, geschätzt)": [float(a[f"dist_{c}_m"].mean()) for c in cats],
        "Anteil Einwohner im Fußweg (%)": [float(a[f"share_within_{c}_pct"].mean())
                                           if f"share_within_{c}_pct" in a else np.nan for c in cats],
        "Stadt (Median, m)": [float(ctx.access[f"dist_{c}_m"].median()) for c in cats]})
    return table_html(frame.round(0))


def _inside(ctx: ProfileContext, geom: shapely.Geometry) -> tuple[str, list]:
    """Gap candidates and proposed sites inside the geometry: a table and map layers."""
    parts, layers = [], []
    if ctx.cadastre is not None and len(ctx.cadastre):
        gaps = ctx.cadastre[ctx.cadastre.intersects(geom)]
        layers.append((gaps.geometry, "#ff7f00"))
        parts.append(f"<p>{len(gaps)} Kandidat(en) des Baulückenkatasters.</p>" + (
            table_html(gaps[["gap_id", "gap_type", "area_m2", "status", "rule"]].round(0), 30)
            if len(gaps) else ""))
    if ctx.sites is not None and len(ctx.sites):
        sites = ctx.sites[ctx.sites.within(geom)]
        chosen = sites[sites["selected"]] if "selected" in sites else sites
        layers.append((chosen.geometry, "#e7298a"))
        parts.append(f"<p>{len(chosen)} vorgeschlagene(r) Standort(e) für Unterbringung.</p>" + (
            table_html(chosen[["site_id", "name", "places", "score", "reasons"]], 20)
            if len(chosen) else ""))
    if not parts:
        parts.append("<p class='note'>Keine Baulücken- oder Standortdaten konfiguriert.</p>")
    return "".join(parts), layers


def _page(title: str, body: str, ctx: ProfileContext) -> str:
    src = "".join(f"<li>{html_text(s)}</li>" for s in ctx.sources)
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{html_text(title)}'
            f"</title><style>{CSS}</style></head><body><p class='noprint'><a href='index.html'>"
            f"← alle Profile</a></p>{body}<h2>Quellen</h2><ul class='note'>{src}</ul>"
            "<p class='note'>Erstellt mit quartier aus den Daten der Konfiguration; die Karte ist "
            "aus den Geometrien gezeichnet (ohne Kartenhintergrund).</p></body></html>")


def unit_page(ctx: ProfileContext, pos: int) -> str:
    """The profile of one unit (row position ``pos`` of ``ctx.units``)."""
    u = ctx.units.iloc[pos]
    r = ctx.table.iloc[pos]
    district = u.get("unit_group", "")
    flagged = bool(r.get("flagged", False))
    n_scored = int(ctx.table["priority_rank"].notna().sum()) if "priority_rank" in ctx.table else 0
    figures = {"Einwohner": r.get("_residents", np.nan),
               ctx.index_name: r.get("status_index", np.nan),
               "Statusklasse": r.get("status_class", "–"),
               "Dynamikklasse": r.get("dynamics_class", "–"),
               "Priorität": (f"{r['priority_rank']} von {n_scored}" if pd.notna(r.get("priority_rank"))
                             else "nicht bewertet")}
    if ctx.access is not None:
        figures["Erreichbarkeit (0–100)"] = float(ctx.access["access_score"].iloc[pos])
    flag = (f"<p class='flag'><b>gekennzeichnet</b>: {html_text(r.get('flag_reason', ''))}"
            + (f" — Aktionsraum {html_text(r['area_id'])}" if pd.notna(r.get("area_id")) else "")
            + "</p>") if flagged else ""
    inside, layers = _inside(ctx, u.geometry)
    robust = robustness_sentence(r.get("priority_rank"), r.get("rank_p05"), r.get("rank_p95"),
                                 r.get("flagged_share_pct"))
    body = (f"<h1>{html_text(u['unit_name'])}</h1><p class='sub'>Nr. {html_text(u['unit_id'])}"
            + (f" · {html_text(district)}" if district else "") + f" · {html_text(ctx.city)}</p>"
            + flag + _kpis(figures)
            + (f"<p>Robustheit der Rangfolge: {html_text(robust)}.</p>" if robust else "")
            + f"<div class='grid'><div>{map_svg(u.geometry, ctx.units, layers)}</div><div>"
            + f"<h2>Gründe</h2><p>{html_text(r.get('reasons', ''))}</p>"
            + (f"<p class='note'>{html_text(r['notes'])}</p>" if r.get("notes") else "")
            + "</div></div>"
            + f"<h2>Indikatoren des {html_text(ctx.index_name)} im Vergleich zur Stadt</h2>"
            + _indicators(ctx, [pos])
            + "<h2>Verlauf</h2>" + _history(ctx, [str(u["unit_id"])])
            + "<h2>Erreichbarkeit</h2>" + _access(ctx, [pos])
            + "<h2>Baulücken und Standorte</h2>" + inside)
    return _page(f"{u['unit_name']} – Quartiersprofil", body, ctx)


def area_page(ctx: ProfileContext, area: pd.Series) -> str:
    """The profile of one action area: its members, figures over all of them."""
    ids = area["member_ids"].split(", ")
    rows = [int(i) for i in np.flatnonzero(ctx.units["unit_id"].isin(ids))]
    members = ctx.table.iloc[rows]
    member_rows = pd.DataFrame({"Nr.": ctx.units["unit_id"].iloc[rows].to_numpy(),
                                "Name": ctx.units["unit_name"].iloc[rows].to_numpy(),
                                "Status": members["status_class"].astype(object).to_numpy(),
                                "Rolle": members.get("area_role", pd.Series("", index=members.index)
                                                     ).to_numpy()})
    figures = {"Einwohner": area["residents"], "Einheiten": area["n_members"],
               "davon Lückenschluss": area["n_gap_closers"],
               f"{ctx.index_name} (Mittel)": area["mean_status_index"],
               "Kompaktheit": area["compactness"]}
    inside, layers = _inside(ctx, area.geometry)
    body = (f"<h1>Aktionsraum {html_text(area['area_id'])}: {html_text(area['area_name'])}</h1>"
            f"<p class='sub'>{html_text(area['district'])} · {html_text(ctx.city)}</p>"
            + _kpis(figures)
            + f"<div class='grid'><div>{map_svg(area.geometry, ctx.units, layers)}</div><div>"
            + f"<h2>Was überwiegt</h2><p>{html_text(area['dominant_reasons'])}</p>"
            + "<h2>Einheiten</h2>" + table_html(member_rows, 100) + "</div></div>"
            + f"<h2>Indikatoren des {html_text(ctx.index_name)} (Mittel der Einheiten)</h2>"
            + _indicators(ctx, rows)
            + "<h2>Verlauf</h2>" + _history(ctx, ids)
            + "<h2>Erreichbarkeit</h2>" + _access(ctx, rows)
            + "<h2>Baulücken und Standorte</h2>" + inside)
    return _page(f"Aktionsraum {area['area_id']} – Profil", body, ctx)


def write_profiles(ctx: ProfileContext, positions: list[int], out_dir: str | Path,
                   with_areas: bool = True) -> list[Path]:
    """One page per unit position (and per action area), and ``index.html``; returns the files."""
    out = prepare_out_dir(out_dir)
    entries, files = [], []
    if "priority_rank" in ctx.table:   # the index lists the most urgent first
        positions = sorted(positions, key=lambda p: (pd.isna(ctx.table["priority_rank"].iloc[p]),
                                                     ctx.table["priority_rank"].iloc[p]
                                                     if pd.notna(ctx.table["priority_rank"].iloc[p])
                                                     else 0))
    for pos in positions:
        u = ctx.units.iloc[pos]
        name = file_name("einheit", u["unit_id"], pos)
        files.append(write_text(unit_page(ctx, pos), out / name))
        r = ctx.table.iloc[pos]
        entries.append(("Einheit", name, u["unit_id"], u["unit_name"], r.get("status_class"),
                        r.get("priority_rank")))
    if with_areas and ctx.areas is not None:
        area_entries = []
        for k, (_, area) in enumerate(ctx.areas.iterrows()):
            name = file_name("aktionsraum", area["area_id"], k)
            files.append(write_text(area_page(ctx, area), out / name))
            area_entries.append(("Aktionsraum", name, area["area_id"], area["area_name"], "", ""))
        entries = area_entries + entries   # what a council decides on comes first
    rows = "".join(f"<tr><td>{html_text(kind)}</td><td><a href='{name}'>{html_text(key)}</a></td>"
                   f"<td>{html_text(label)}</td><td>{html_text(cls)}</td><td>{html_text(rank)}</td></tr>"
                   for kind, name, key, label, cls, rank in entries)
    index = _page(f"Quartiersprofile – {ctx.city}",
                  f"<h1>Quartiersprofile – {html_text(ctx.city)}</h1><p>{len(entries)} Profile.</p>"
                  "<table><thead><tr><th>Art</th><th>Nr.</th><th>Name</th><th>Status</th>"
                  f"<th>Priorität</th></tr></thead><tbody>{rows}</tbody></table>", ctx)
    index = index.replace("<p class='noprint'><a href='index.html'>← alle Profile</a></p>", "")
    files.insert(0, write_text(index, out / "index.html"))
    return files


#: Seconds headless Chromium may take for one page.
PDF_TIMEOUT_S = 120


def _stderr_tail(data: bytes | str | None, lines: int = 5) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")
    tail = [ln.strip() for ln in text.strip().splitlines() if ln.strip()][-lines:]
    return " | ".join(tail)[-800:] or "nothing on stderr"


def print_pdf(pages: list[Path]) -> list[Path]:
    """PDF of each page through headless Chromium's print-to-PDF (where Chromium is installed;
    otherwise nothing). The PDF is written atomically beside the page. A Chromium that fails,
    hangs or writes no PDF is an :class:`~quartier.output.OutputError` naming the browser and
    the end of what it said (the HTML pages stay)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return []
    from quartier.io.outputs import OutputError, write_bytes_with

    done = []
    for page in pages:
        target = page.with_suffix(".pdf")

        def render(tmp: Path, page: Path = page) -> None:
            fail = (f"{exe} (headless Chromium) could not print {page} to PDF")
            hint = ("the HTML profiles are written; repair or reinstall Chromium "
                    "(apt-get install chromium), or run without --pdf")
            with tempfile.TemporaryDirectory() as profile:
                try:
                    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                                    "--no-first-run", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync",
                                    f"--user-data-dir={profile}", "--no-pdf-header-footer",
                                    f"--print-to-pdf={tmp}", page.resolve().as_uri()],
                                   capture_output=True, timeout=PDF_TIMEOUT_S, check=True)
                except subprocess.CalledProcessError as exc:
                    raise OutputError(f"{fail} (exit code {exc.returncode}): "
                                      f"{_stderr_tail(exc.stderr)}; {hint}") from None
                except subprocess.TimeoutExpired as exc:
                    raise OutputError(f"{fail}: no answer within {PDF_TIMEOUT_S} s "
                                      f"({_stderr_tail(exc.stderr)}); {hint}") from None
                except OSError as exc:
                    raise OutputError(f"{fail}: it cannot be started ({exc.strerror}); "
                                      f"{hint}") from None
            if not tmp.exists() or tmp.stat().st_size == 0:
                raise OutputError(f"{fail}: it ended without error but wrote no PDF; {hint}")

        done.append(write_bytes_with(target, render))
    return done

"""A self-contained HTML report of one run: key figures, the top-20 priority quarters with their
reasons, distributions of the index indicators (inline SVG), the join report, data sources.

No JavaScript and no external file: it can be mailed to a committee as it is. Every value from
the data is HTML-escaped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from quartier.io.escape import html_text
from quartier.io.outputs import write_text

CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}table{border-collapse:collapse;
width:100%;font-size:12.5px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;
vertical-align:top}th{background:#f2f2f2}.kpi{display:inline-block;margin:0 1.2em 1em 0;padding:
.6em 1em;background:#f6f6f6;border-radius:6px}.kpi b{display:block;font-size:1.4em}
.charts{display:flex;flex-wrap:wrap;gap:1em}.note{color:#666;font-size:12px}"""


def table_html(df: pd.DataFrame, max_rows: int = 50) -> str:
    head = "".join(f"<th>{html_text(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html_text(v)}</td>" for v in row) + "</tr>"
                   for row in df.head(max_rows).itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def histogram_svg(values: pd.Series, title: str, bins: int = 20, width: int = 340,
                  height: int = 170) -> str:
    """A histogram as inline SVG (no plotting library, no script)."""
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return ""
    counts, edges = np.histogram(v, bins=bins)
    top = max(counts.max(), 1)
    pad, w = 30, (width - 40) / bins
    bars = "".join(
        f'<rect x="{pad + i * w:.1f}" y="{height - 25 - (c / top) * (height - 50):.1f}" '
        f'width="{w - 1:.1f}" height="{(c / top) * (height - 50):.1f}" fill="#4a78b5">'
        f"<title>{html_text(edges[i])} – {html_text(edges[i + 1])}: {c}</title></rect>"
        for i, c in enumerate(counts))
    axis = (f'<text x="{pad}" y="{height - 8}" font-size="10">{html_text(edges[0])}</text>'
            f'<text x="{width - 10}" y="{height - 8}" font-size="10" text-anchor="end">'
            f"{html_text(edges[-1])}</text>")
    return (f'<svg width="{width}" height="{height}" role="img"><title>{html_text(title)}</title>'
            f'<text x="{pad}" y="14" font-size="12" font-weight="bold">{html_text(title)}</text>'
            f"{bars}{axis}</svg>")


def line_svg(series: pd.DataFrame, title: str, width: int = 520, height: int = 200) -> str:
    """Lines of a small table (index = year, one column per line) as inline SVG."""
    df = series.dropna(how="all")
    if df.empty:
        return ""
    x = df.index.to_numpy(dtype=float)
    lo, hi = np.nanmin(df.to_numpy()), np.nanmax(df.to_numpy())
    hi = hi if hi > lo else lo + 1
    pad = 40

    def px(v):
        return pad + (v - x.min()) / max(x.max() - x.min(), 1) * (width - pad - 10)

    def py(v):
        return height - 25 - (v - lo) / (hi - lo) * (height - 50)

    colours = ["#4a78b5", "#d95f02", "#1b9e77", "#e7298a", "#66a61e", "#7570b3"]
    lines, keys = [], []
    for i, col in enumerate(df.columns[:6]):
        pts = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x, df[col], strict=True)
                       if np.isfinite(b))
        lines.append(f'<polyline fill="none" stroke="{colours[i]}" stroke-width="2" points="{pts}"/>')
        keys.append(f'<text x="{width - 10}" y="{30 + 13 * i}" font-size="10" text-anchor="end" '
                    f'fill="{colours[i]}">{html_text(col)}</text>')
    axis = (f'<text x="{pad}" y="{height - 8}" font-size="10">{int(x.min())}</text>'
            f'<text x="{width - 10}" y="{height - 8}" font-size="10" text-anchor="end">'
            f'{int(x.max())}</text><text x="2" y="{py(hi) + 4:.0f}" font-size="10">{html_text(hi)}</text>'
            f'<text x="2" y="{py(lo):.0f}" font-size="10">{html_text(lo)}</text>')
    return (f'<svg width="{width}" height="{height}" role="img"><title>{html_text(title)}</title>'
            f'<text x="{pad}" y="14" font-size="12" font-weight="bold">{html_text(title)}</text>'
            f'{"".join(lines)}{"".join(keys)}{axis}</svg>')


def write_report(path: str | Path, city: str, figures: dict[str, object], sections: list[tuple[str, str]],
                 sources: list[str]) -> Path:
    """Assemble and write the report. ``sections`` are (title, already-escaped HTML)."""
    kpis = "".join(f'<div class="kpi">{html_text(k)}<b>{html_text(v)}</b></div>' for k, v in figures.items())
    body = "".join(f"<h2>{html_text(t)}</h2>{h}" for t, h in sections)
    src = "".join(f"<li>{html_text(s)}</li>" for s in sources)
    doc = (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>quartier – '
           f"{html_text(city)}</title><style>{CSS}</style></head><body><h1>quartier – {html_text(city)}</h1>"
           f"{kpis}{body}<h2>Datenquellen und Lizenzen</h2><ul>{src}</ul>"
           '<p class="note">Erstellt mit quartier. Index: z-standardisierte Indikatoren, summiert '
           "und erneut standardisiert (Methode des Berliner Monitorings Soziale "
           "Stadtentwicklung). Cluster sind explorativ, der Index ist die amtliche Kennzeichnung."
           "</p></body></html>")
    return write_text(doc, path)

"""Charts as inline SVG (no plotting library, no script) for the report and the profiles.

Honest axes: a value axis starts at zero unless the values cross it (a change can be negative);
gridlines carry their numbers in the language's format; the names of the lines stand in a legend
below the plot, never on the lines; the title is the figure's caption (HTML, escaped).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from quartier import vocab
from quartier.io.escape import html_text

LINE_COLOURS = ["#0b5394", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 × 10^k)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    stop = math.ceil(hi / step) * step
    count = int(round((stop - start) / step)) + 1
    return [start + i * step for i in range(count)]


def _digits(ticks: list[float]) -> int:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    if step >= 1 or step == 0:
        return 0
    return min(3, max(1, -math.floor(math.log10(step))))


def _figure(title: str, svg: str, legend: str = "", note: str | None = None) -> str:
    foot = f'<div class="note">{html_text(note)}</div>' if note else ""
    return (f'<figure class="chart"><figcaption><b>{html_text(title)}</b></figcaption>{svg}'
            f"{legend}{foot}</figure>")


def line_chart(series: pd.DataFrame, title: str, unit: str | None = None, width: int = 560,
               height: int = 230, note: str | None = None) -> str:
    """Lines of a small table (index = year, one column per line, at most six), y from zero
    (or from below zero where a value is negative), the names in a legend below."""
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    rows = np.isfinite(values).any(axis=1)
    cols = np.flatnonzero(np.isfinite(values).any(axis=0))[:6]
    if not rows.any() or not len(cols):
        return ""
    values = values[rows][:, cols]
    names = [series.columns[c] for c in cols]
    x = series.index.to_numpy(dtype="float64")[rows]
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    ticks = nice_ticks(min(lo, 0.0), max(hi, 0.0) if hi > 0 else 0.0, 5)
    digits = _digits(ticks)
    labels = [vocab.num(t, digits) for t in ticks]
    pad_l, pad_r, pad_t, pad_b = 14 + 7 * max(len(x) for x in labels), 14, 12, 26
    x0, x1 = float(x.min()), float(x.max())
    span = max(x1 - x0, 1.0)

    def px(v: float) -> float:
        return pad_l + (v - x0) / span * (width - pad_l - pad_r)

    def py(v: float) -> float:
        return pad_t + (ticks[-1] - v) / (ticks[-1] - ticks[0]) * (height - pad_t - pad_b)

    grid = "".join(
        f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
        f'stroke="{"#888" if t == 0 else "#e3e3e3"}"/><text x="{pad_l - 6}" y="{py(t) + 4:.1f}" '
        f'font-size="11" text-anchor="end">{html_text(lab)}</text>'
        for t, lab in zip(ticks, labels, strict=True))
    years = sorted(set(int(v) for v in x))
    step = max(1, math.ceil(len(years) / 8))
    xticks = "".join(f'<text x="{px(y):.1f}" y="{height - 8}" font-size="11" '
                     f'text-anchor="middle">{y}</text>' for y in years[::step])
    lines, keys = [], []
    for i, col in enumerate(names):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        pts = [(px(a), py(b)) for a, b in zip(x, values[:, i], strict=True) if np.isfinite(b)]
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
                     + "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.4" fill="{colour}"/>'
                               for a, b in pts))
        keys.append(f'<span class="key"><span class="chip" style="background:{colour}"></span>'
                    f"{html_text(col)}</span>")
    unit_text = (f'<text x="{pad_l}" y="{pad_t - 1}" font-size="10" fill="#555">'
                 f"{html_text(unit)}</text>") if unit else ""
    svg = (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{html_text(title)}">{grid}{xticks}{unit_text}{"".join(lines)}</svg>')
    legend = f'<div class="keys">{" ".join(keys)}</div>' if len(keys) > 1 else ""
    return _figure(title, svg, legend, note)


def histogram(values: pd.Series, title: str, bins: int = 20, width: int = 340,
              height: int = 170, marks: dict[str, float] | None = None) -> str:
    """A histogram: the number of units per value range, counts from zero, the value axis
    labelled at round numbers; ``marks``: vertical lines (e.g. class thresholds) with names."""
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return ""
    counts, edges = np.histogram(v, bins=bins)
    pad_l, pad_r, pad_t, pad_b = 34, 10, 8, 24
    cticks = nice_ticks(0, float(max(counts.max(), 1)), 4)
    xt = nice_ticks(float(edges[0]), float(edges[-1]), 5)
    xt = [t for t in xt if edges[0] <= t <= edges[-1]]
    digits = _digits(xt) if len(xt) > 1 else 1

    def px(val: float) -> float:
        return pad_l + (val - edges[0]) / (edges[-1] - edges[0] or 1) * (width - pad_l - pad_r)

    def py(c: float) -> float:
        return pad_t + (cticks[-1] - c) / cticks[-1] * (height - pad_t - pad_b)

    grid = "".join(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
                   f'stroke="#e3e3e3"/><text x="{pad_l - 4}" y="{py(t) + 4:.1f}" font-size="10" '
                   f'text-anchor="end">{html_text(vocab.count(t))}</text>' for t in cticks)
    bars = "".join(
        f'<rect x="{px(edges[i]) + 0.5:.1f}" y="{py(c):.1f}" '
        f'width="{max(px(edges[i + 1]) - px(edges[i]) - 1, 0.5):.1f}" height="{py(0) - py(c):.1f}" '
        f'fill="#4a78b5"><title>{html_text(vocab.smart(edges[i]))} – '
        f"{html_text(vocab.smart(edges[i + 1]))}: {html_text(vocab.count(c))}</title></rect>"
        for i, c in enumerate(counts))
    axis = "".join(f'<text x="{px(t):.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
                   f"{html_text(vocab.num(t, digits))}</text>" for t in xt)
    lines = "".join(f'<line x1="{px(m):.1f}" x2="{px(m):.1f}" y1="{pad_t}" y2="{py(0):.1f}" '
                    f'stroke="#a50f15" stroke-dasharray="3 2"><title>{html_text(k)}</title></line>'
                    for k, m in (marks or {}).items() if edges[0] <= m <= edges[-1])
    svg = (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{html_text(title)}">{grid}{bars}{lines}{axis}</svg>')
    return _figure(title, svg)


CHART_CSS = (".chart figcaption{font-size:.92em;margin-bottom:.2em}.keys{font-size:.85em;"
             "display:flex;flex-wrap:wrap;gap:.2em 1em}.key{white-space:nowrap}")

"""How robust each rank is, in pictures: the rank-interval chart and the report section (inline
SVG, every value from the data escaped, every word from :mod:`quartier.vocab`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quartier import vocab
from quartier.analysis.robustness import ROBUST_PCT, RobustnessResult
from quartier.analysis.robustness_table import pct_words, robust_groups
from quartier.io.escape import html_text
from quartier.outputs.common import table


def interval_chart_svg(units: pd.DataFrame, names: pd.Series, *, top_n: int, max_units: int = 120,
                       width: int = 1040, height: int = 360) -> str:
    """Rank intervals as inline SVG: the ``max_units`` units with the best median rank, sorted by
    it (x), each a bar from the 5th to the 95th percentile of its ranks (y, rank 1 at the top),
    a dot at the median and a tick at the default rank; dark when flagged in ≥ 95 % of the
    variants, orange in 5–95 %, grey below; a dashed line at the list length ``top_n``."""
    t = units.assign(chart_label=names).dropna(subset=["rank_median"])
    t = t.sort_values(["rank_median", "rank_default"]).head(max_units)
    if t.empty:
        return ""
    pad_l, pad_r, pad_t, pad_b = 46, 12, 34, 40
    lo = 1
    hi = max(int(t["rank_p95"].max()), top_n + 1, 2)
    step = (width - pad_l - pad_r) / len(t)

    def y(rank: float) -> float:
        return pad_t + (rank - lo) / (hi - lo) * (height - pad_t - pad_b)

    shapes = []
    for i, r in enumerate(t.itertuples()):
        x = pad_l + (i + 0.5) * step
        share = float(r.flagged_share_pct)
        colour = "#a50f15" if share >= ROBUST_PCT else ("#f16913" if share > 100 - ROBUST_PCT
                                                        else "#969696")
        tip = html_text(vocab.text("robustness.tip", name=r.chart_label, id=r.Index,
                                   rank=int(r.rank_default), median=int(r.rank_median),
                                   lo=int(r.rank_p05), hi=int(r.rank_p95), share=pct_words(share)))
        bar_w = max(step * 0.6, 1.0)
        shapes.append(
            f'<g><title>{tip}</title><rect x="{x - bar_w / 2:.1f}" y="{y(r.rank_p05):.1f}" '
            f'width="{bar_w:.1f}" height="{max(y(r.rank_p95) - y(r.rank_p05), 1.0):.1f}" '
            f'fill="{colour}" fill-opacity="0.55"/><circle cx="{x:.1f}" cy="{y(r.rank_median):.1f}" '
            f'r="{min(max(step * 0.35, 1.2), 3):.1f}" fill="{colour}"/><line x1="{x - bar_w:.1f}" '
            f'x2="{x + bar_w:.1f}" y1="{y(r.rank_default):.1f}" y2="{y(r.rank_default):.1f}" '
            'stroke="#000" stroke-width="1"/></g>')
    ticks = sorted({1, *[int(v) for v in np.linspace(lo, hi, 6)]})
    axis = "".join(f'<text x="{pad_l - 6}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end">'
                   f'{html_text(vocab.count(v))}</text><line x1="{pad_l}" x2="{width - pad_r}" '
                   f'y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>' for v in ticks)
    list_line = (f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(top_n + 0.5):.1f}" '
                 f'y2="{y(top_n + 0.5):.1f}" stroke="#444" stroke-dasharray="4 3"/>'
                 f'<text x="{width - pad_r}" y="{y(top_n + 0.5) - 4:.1f}" font-size="10" '
                 f'text-anchor="end">{html_text(vocab.text("robustness.list", n=top_n))}</text>'
                 ) if 0 < top_n < hi else ""
    title = vocab.text("robustness.chart_title", n=len(t))
    legend = (f'<text x="{pad_l}" y="{height - 20}" font-size="10">'
              f'{html_text(vocab.text("robustness.legend1"))}</text><text x="{pad_l}" '
              f'y="{height - 7}" font-size="10">{html_text(vocab.text("robustness.legend2"))}</text>')
    return (f'<svg width="{width}" height="{height}" role="img" viewBox="0 0 {width} {height}">'
            f"<title>{html_text(title)}</title>"
            f'<text x="{pad_l}" y="16" font-size="12" font-weight="bold">{html_text(title)}</text>'
            f'<text x="12" y="{pad_t - 8}" font-size="10">{html_text(vocab.text("robustness.rank"))}'
            f'</text>{axis}{list_line}{"".join(shapes)}{legend}</svg>')


def report_html(frame: pd.DataFrame, rob: RobustnessResult, *, max_units: int = 120) -> str:
    """The report section: what was varied, which flagged units are robust, the rank-interval
    chart and the one-at-a-time effect of every choice (already escaped HTML)."""
    scored = frame[frame["priority_rank"].notna()]
    groups = robust_groups(scored["flagged"], scored["flagged_share_pct"])
    ids = scored["unit_id"].astype(str)
    n_flag = int(scored["flagged"].fillna(False).astype(bool).sum())
    fragile = ", ".join(ids.loc[groups["fragile"]].tolist())
    pct = f"{ROBUST_PCT:.0f}"
    lead = (vocab.text("robustness.lead", n=vocab.count(rob.n_draws), seed=rob.seed,
                       flagged=vocab.count(n_flag), robust=vocab.count(len(groups["robust"])),
                       pct=pct)
            + (vocab.text("robustness.fragile", n=len(groups["fragile"]), ids=fragile)
               if len(groups["fragile"]) else "")
            + (vocab.text("robustness.unflagged", n=len(groups["unflagged_robust"]), pct=pct)
               if len(groups["unflagged_robust"]) else "") + ".")
    units = rob.units.join(frame[["unit_id", "unit_name"]])
    chart = interval_chart_svg(units.set_index("unit_id"), units.set_index("unit_id")["unit_name"],
                               top_n=rob.top_n, max_units=max_units)
    choices = rob.choices.copy()
    for c in ("first_order_rank_pct", "first_order_flag_pct"):
        choices[c] = choices[c].round(1)
    headers = {"list_changed": vocab.text("robustness.list_changed", n=rob.top_n)}
    return (f"<p>{html_text(lead)}</p><div class='tablewrap'>{chart}</div><p class='note'>"
            f"{html_text(vocab.text('robustness.choices_note'))}</p>"
            + table(choices, max_rows=200, headers=headers))

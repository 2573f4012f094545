"""The report of a run (``report.html``): a document for a council committee.

A title page (title, reference date, date made, purpose, key figures, links to the map and the
profiles, contents), then the sections in words, tables and charts, then an appendix for the
data staff (join report, unmatched keys, exploratory tables) and the sources. No JavaScript and
no external file: it can be mailed as it is and prints on A4 (the title page on its own sheet,
the appendix starting a new one). Every value from the data is HTML-escaped; every header and
word comes from :mod:`quartier.vocab`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from quartier import vocab
from quartier.io.escape import html_text
from quartier.io.outputs import write_text
from quartier.outputs.charts import CHART_CSS, histogram, line_chart
from quartier.outputs.common import DOC_CSS, PageWords, head, kpis, table

REPORT_CSS = DOC_CSS + CHART_CSS + """
.titlepage{border-bottom:3px solid #0b5394;padding-bottom:1em;margin-bottom:1em}
.titlepage .meta{color:#444;margin:.2em 0}.links{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}
.links a{display:inline-block;padding:.45em .9em;border:1px solid #0b5394;border-radius:5px;
text-decoration:none;font-weight:600}.appendix{border-top:3px solid #999;margin-top:3em}
td.reasons{font-size:.92em;min-width:22em}.ok{color:#2b8a3e}.bad{color:#a50f15}


@media print{.titlepage{break-after:page;border:0}.links{display:none}.appendix{break-before:page;
border:0;margin-top:0}td.reasons{min-width:0}}"""


@dataclass
class Section:
    """One section: its anchor, title and escaped HTML; appendix sections follow the main ones."""

    key: str
    title: str
    html: str
    appendix: bool = False


def table_html(df: pd.DataFrame, max_rows: int = 50) -> str:
    """A table with headers from the vocabulary (the report's and the profiles' tables)."""
    return table(df, max_rows=max_rows)


def histogram_svg(values: pd.Series, title: str, bins: int = 20, width: int = 340,
                  height: int = 170) -> str:
    """A histogram as inline SVG (see :func:`quartier.outputs.charts.histogram`)."""
    return histogram(values, title, bins, width, height)


def line_svg(series: pd.DataFrame, title: str, width: int = 520, height: int = 200) -> str:
    """Lines of a small table as inline SVG (see :func:`quartier.outputs.charts.line_chart`)."""
    return line_chart(series, title, width=width, height=height)


def _title_page(words: PageWords, figures: Sequence[tuple[str, str]], sections: list[Section],
                links: Mapping[str, str]) -> str:
    meta = [vocab.text("report.made", date=vocab.long_date(words.made))]
    if words.data_date:
        meta.insert(0, vocab.text("map.data_date", date=words.data_date))
    if words.author:
        meta.append(words.author)
    link_html = "".join(f"<a href='{html_text(href)}'>{html_text(vocab.text('report.link_' + k))}</a>"
                        for k, href in links.items())
    toc = "".join(f"<li><a href='#{s.key}'>{html_text(s.title)}</a></li>" for s in sections)
    purpose = (f"<p class='lead'>{html_text(words.purpose)}</p>" if words.purpose else "")
    return (f"<header class='titlepage'><p class='sub'>{html_text(vocab.text('report.kind'))}</p>"
            f"<h1>{html_text(words.title)}</h1><p class='meta'>{html_text(' · '.join(meta))}</p>"
            f"{purpose}<div class='links'>{link_html}</div>"
            f"<h2>{html_text(vocab.text('report.key_figures'))}</h2>{kpis(figures)}"
            f"<h2>{html_text(vocab.text('report.contents'))}</h2><ol class='toc'>{toc}</ol></header>")


def write_report(path: str | Path, city: str, figures: Mapping[str, object] | Sequence[tuple],
                 sections: Sequence[tuple[str, str] | Section], sources: list[str],
                 words: PageWords | None = None, links: Mapping[str, str] | None = None) -> Path:
    """Assemble and write the report. ``sections``: (title, escaped HTML) or :class:`Section`
    (appendix sections last); ``figures``: the key figures (label, value) of the title page."""
    words = words or PageWords(city=city, sources=sources)
    items = [s if isinstance(s, Section) else Section(f"s{i + 1}", s[0], s[1])
             for i, s in enumerate(sections)]
    main = [s for s in items if not s.appendix]
    extra = [s for s in items if s.appendix]
    shown = [(str(k), v if isinstance(v, str) else vocab.smart(v))
             for k, v in (figures.items() if isinstance(figures, Mapping) else figures)]
    body = "".join(f"<section id='{s.key}'><h2>{html_text(s.title)}</h2>{s.html}</section>"
                   for s in main)
    if extra:
        body += (f"<div class='appendix' id='anhang'><h1>{html_text(vocab.text('report.appendix'))}</h1>"
                 f"<p class='note'>{html_text(vocab.text('report.appendix_lead'))}</p>"
                 + "".join(f"<section id='{s.key}'><h2>{html_text(s.title)}</h2>{s.html}</section>"
                           for s in extra) + "</div>")
    src = "".join(f"<li>{html_text(s)}</li>" for s in sources)
    sources_section = Section("quellen", vocab.text("report.sources"), f"<ul>{src}</ul>")
    toc = [*main, *([Section("anhang", vocab.text("report.appendix"), "")] if extra else []),
           sources_section]
    doc = (head(f"{words.title} – {vocab.text('report.kind')}", words.language, REPORT_CSS)
           + _title_page(words, shown, toc, links or {}) + body
           + f"<section id='quellen'><h2>{html_text(sources_section.title)}</h2>"
           f"{sources_section.html}<p class='note'>{html_text(vocab.text('report.footer'))}</p>"
           "</section></body></html>")
    return write_text(doc, path)

"""What the pages of a run share: the words around the numbers (title, date, the units' name, the
sources), the style of the HTML documents, tables with headers from the vocabulary, and the name
of every page (so that the map, the report and the profiles link to each other)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from quartier import vocab
from quartier.io.escape import html_text


@dataclass
class PageWords:
    """The words of a run's pages, from the config (``[city]``, ``[report]``, ``[index]``)."""

    city: str
    language: str = "de"
    title: str | None = None
    purpose: str | None = None
    author: str | None = None
    data_date: str | None = None
    unit: str | None = None
    units: str | None = None
    units_short: str | None = None
    group: str | None = None
    sources: list[str] = field(default_factory=list)
    index_name: str | None = None
    dynamics_name: str | None = None
    status_labels: list[str] | None = None
    dynamics_labels: list[str] | None = None
    #: column name → label (config labels and access categories)
    labels: dict[str, str] = field(default_factory=dict)
    #: access category → label
    categories: dict[str, str] = field(default_factory=dict)
    illustrative_sites: bool = False
    made: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        with vocab.use_language(self.language):
            self.title = self.title or vocab.text("map.title_default", city=self.city)
            self.units = self.units or vocab.text("label.units")
            self.unit = self.unit or vocab.text("label.unit")
            self.group = self.group or vocab.text("label.group")

    def column(self, name: str) -> str:
        """The header of a column (the group column as the config calls it)."""
        if name in ("district", "unit_group", "group"):
            return self.group or vocab.column(name)
        return vocab.column(name, self.labels)


#: File names of the pages of a run, relative to the output folder.
MAP_FILE = "quartier_map.html"
REPORT_FILE = "report.html"
PROFILES_DIR = "profiles"


def profile_file(kind: str, key: object, position: int) -> str:
    """A profile page's file name: the id when it is a plain word, else the position."""
    return (f"{kind}_{key}.html" if re.fullmatch(r"[\w-]{1,64}", str(key), re.ASCII)
            else f"{kind}_{position:05d}.html")


#: The HTML documents' style: screen, phone and print (A4 portrait).
DOC_CSS = """*{box-sizing:border-box}body{font:15px/1.5 system-ui,"Segoe UI",Arial,sans-serif;
margin:0 auto;max-width:1080px;padding:1.2em 1.4em 3em;color:#222}h1{font-size:1.7em;
line-height:1.2;margin:.2em 0 .3em}h2{font-size:1.25em;margin:1.8em 0 .5em;padding-bottom:.15em;
border-bottom:2px solid #ddd}h3{font-size:1.05em;margin:1.2em 0 .3em}a{color:#0b5394}
table{border-collapse:collapse;width:100%;font-size:13px;margin:.4em 0 1em}th,td{border-bottom:1px
solid #e2e2e2;padding:4px 7px;text-align:left;vertical-align:top}th{background:#f3f3f3;
font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tablewrap{overflow-x:auto}.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,
1fr));gap:.6em;margin:1em 0}.kpi{background:#f4f6f8;border-radius:6px;padding:.55em .8em}
.kpi b{display:block;font-size:1.35em;font-variant-numeric:tabular-nums}.kpi span{color:#555;
font-size:.88em}.note{color:#555;font-size:.88em}.lead{font-size:1.08em}.charts{display:flex;
flex-wrap:wrap;gap:1.2em}.charts figure{margin:0;max-width:100%}svg{max-width:100%;height:auto}
.chip{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.3em;
vertical-align:-1px;border:1px solid #888}.flag{background:#fde0dd;border-left:4px solid #a50f15;
padding:.4em .8em}.nav{display:flex;flex-wrap:wrap;gap:.3em 1.2em;font-size:.92em;margin:.2em 0 .8em}
.toc{columns:2;font-size:.95em}.toc li{break-inside:avoid}.sub{color:#555}


@media (max-width:700px){body{padding:.8em .8em 2em;font-size:14px}h1{font-size:1.35em}
.toc{columns:1}table{font-size:12px}th,td{padding:3px 4px}
table{display:block;overflow-x:auto}}


@media print{body{max-width:none;padding:0;font-size:10.5pt}a{color:#222;text-decoration:none}
.noprint{display:none!important}h2{break-after:avoid}tr,figure,.kpi{break-inside:avoid}
.tablewrap{overflow:visible}table{font-size:8.5pt}.pagebreak{break-before:page}
.chip,.kpi,.flag,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}


@page{size:A4;margin:14mm 12mm}"""


def head(title: str, language: str, css: str = DOC_CSS) -> str:
    """The start of an HTML document: language, viewport for phones, title, style."""
    return (f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html_text(title)}</title><style>{css}</style></head><body>")


def kpis(figures: Sequence[tuple[str, str]]) -> str:
    """Key figures as tiles: (label, value already formatted)."""
    return '<div class="kpis">' + "".join(
        f'<div class="kpi"><b>{html_text(v)}</b><span>{html_text(k)}</span></div>'
        for k, v in figures) + "</div>"


def cell(value: object, fmt: object = None) -> tuple[str, bool]:
    """A table cell's text and whether it is a number (right-aligned)."""
    if callable(fmt):
        return html_text(fmt(value)), True
    if isinstance(value, bool | np.bool_):
        return html_text(vocab.text("label.yes") if value else vocab.text("label.no")), False
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return html_text(vocab.count(value)), True
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "–", True
        return html_text(vocab.smart(value)), True
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–", False
    return html_text(vocab.state(value)), False


def table(df: pd.DataFrame, words: PageWords | None = None, max_rows: int = 50,
          formats: Mapping[str, object] | None = None, links: Mapping[str, Sequence[str | None]]
          | None = None, headers: Mapping[str, str] | None = None) -> str:
    """A table with headers from the vocabulary (never a raw column name), numbers formatted
    for the language and right-aligned, states by their labels; ``formats``: a function per
    column; ``links``: per column the page each cell links to (None: no link)."""
    formats = formats or {}
    links = links or {}
    headers = headers or {}
    shown = df.head(max_rows)
    names = [headers.get(c) or (words.column(c) if words else vocab.column(c)) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in df.columns]
    head_row = "".join(f'<th class="num">{html_text(n)}</th>' if num else f"<th>{html_text(n)}</th>"
                       for n, num in zip(names, numeric, strict=True))
    body = []
    for i, row in enumerate(shown.itertuples(index=False)):
        cells = []
        for c, v in zip(df.columns, row, strict=True):
            text, is_num = cell(v, formats.get(c))
            target = links.get(c)
            href = target[i] if target is not None else None
            if href:
                text = f'<a href="{html_text(href)}">{text}</a>'
            cells.append(f'<td class="num">{text}</td>' if is_num else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(df) > len(shown):
        more = html_text(vocab.text("report.more_rows", n=vocab.count(len(df)),
                                    shown=vocab.count(len(shown))))
        more = f'<p class="note">{more}</p>'

    return (f'<div class="tablewrap"><table><thead><tr>{head_row}</tr></thead><tbody>'
            + "".join(body) + f"</tbody></table></div>{more}")

"""The config `quartier init` writes: guesses with their evidence and confidence, as TOML.

The text is built with tomlkit, never by pasting strings: a value read from a file (a name with
a line break, a footnote with quotes, ``]]`` or ``=``) is always a TOML string, and evidence
becomes a one-line comment whose control characters are replaced — no value can leave its
string or comment and become a config line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

import tomlkit
from tomlkit import TOMLDocument
from tomlkit.items import Item, Table

#: How sure `init` is of a guess; written before its evidence.
Confidence = Literal["sure", "likely", "unsure"]

#: Longest evidence comment (characters); longer evidence is cut with "…".
MAX_COMMENT = 220
#: Column of the evidence comments (values longer than this push it to the right).
COMMENT_COLUMN = 44


def comment_text(text: object, limit: int = MAX_COMMENT) -> str:
    """One line of plain text: control, format and separator characters (line breaks, U+2028,
    bidi overrides) become spaces, runs of spaces one, and the text is cut at ``limit``."""
    chars = [" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
             for ch in str(text)]
    line = re.sub(r"\s+", " ", "".join(chars)).strip()
    return line if len(line) <= limit else line[:limit - 1] + "…"


def plain(value: object) -> object:
    """A value tomlkit can write: numpy scalars as Python numbers, tuples as lists."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@dataclass
class Line:
    """One config line: key, value, the evidence for it and how sure `init` is; an inactive
    line is written as a comment (an alternative or a suggestion)."""

    key: str
    value: object
    evidence: str = ""
    confidence: Confidence = "sure"
    active: bool = True

    def comment(self) -> str:
        tag = {"sure": "", "likely": "likely: ", "unsure": "UNSURE: "}[self.confidence]
        return comment_text(tag + self.evidence) if self.evidence or tag else ""


@dataclass
class Section:
    """A config section: ``[name]``, ``[[name]]`` (array item) or the top level (``name=""``),
    with its lines and sub-tables (``[tables.columns]``)."""

    name: str
    lines: list[Line] = field(default_factory=list)
    comment: str = ""
    array: bool = False
    subtables: dict[str, Section] = field(default_factory=dict)
    #: written commented out (a section the user may enable)
    active: bool = True

    def add(self, key: str, value: object, evidence: str = "", confidence: Confidence = "sure",
            active: bool = True) -> Line:
        line = Line(key, value, evidence, confidence, active)
        self.lines.append(line)
        return line

    def get(self, key: str, default: object = None) -> object:
        return next((ln.value for ln in self.lines if ln.key == key and ln.active), default)

    def text(self, key: str) -> str | None:
        """The value of ``key`` as text, None when it is not set."""
        value = self.get(key)
        return None if value is None else str(value)

    def set(self, key: str, value: object, evidence: str = "", confidence: Confidence = "sure"
            ) -> None:
        """Replace the value of ``key`` (or add it)."""
        for ln in self.lines:
            if ln.key == key:
                ln.value, ln.evidence, ln.confidence, ln.active = value, evidence, confidence, True
                return
        self.add(key, value, evidence, confidence)

    def remove(self, key: str) -> None:
        self.lines = [ln for ln in self.lines if ln.key != key]


def toml_value(value: object) -> str:
    """A TOML literal on one line (inline tables and arrays), for commented-out lines."""
    if isinstance(value, dict):
        inner = ", ".join(f"{tomlkit.key(str(k)).as_string()} = {toml_value(v)}"
                          for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return tomlkit.item(value).as_string()


def _fill(table: Table | TOMLDocument, section: Section) -> None:
    for line in section.lines:
        if not line.active:
            text = f"{line.key} = {toml_value(plain(line.value))}"
            note = line.comment()
            table.add(tomlkit.comment(comment_text(text + (f"   # {note}" if note else ""),
                                                   limit=400)))
            continue
        value = plain(line.value)
        if isinstance(value, dict | list):
            value = tomlkit.value(toml_value(value))   # inline, "{ a = 1 }" as the README shows
        table.add(line.key, value)
        note = line.comment()
        if note:
            item = table.item(line.key)
            if isinstance(item, Item):   # a value just added; never a table spread out of order
                width = len(tomlkit.dumps({line.key: value}).strip())
                item.comment(note)
                item.trivia.comment_ws = " " * max(2, COMMENT_COLUMN - width)
    for name, sub in section.subtables.items():
        child = tomlkit.table()
        if sub.comment:
            child.add(tomlkit.comment(comment_text(sub.comment)))
        _fill(child, sub)
        table.add(name, child)


def render(sections: list[Section], header: list[str]) -> str:
    """The TOML text of the sections; ``header`` lines are comments at the top."""
    doc = tomlkit.document()
    for text in header:
        doc.add(tomlkit.comment(comment_text(text, limit=400)))
    arrays: dict[str, tomlkit.items.AoT] = {}
    for sec in sections:
        if not sec.name:
            _fill(doc, sec)
            doc.add(tomlkit.nl())
            continue
        if not sec.active:
            doc.add(tomlkit.nl())
            if sec.comment:
                doc.add(tomlkit.comment(comment_text(sec.comment)))
            doc.add(tomlkit.comment(f"[{sec.name}]"))
            for line in sec.lines:
                text = f"{line.key} = {toml_value(plain(line.value))}"
                doc.add(tomlkit.comment(comment_text(text, limit=400)))
            continue
        table = tomlkit.table()
        if sec.comment:
            table.comment(comment_text(sec.comment))
        _fill(table, sec)
        table.add(tomlkit.nl())
        if sec.array:
            if sec.name not in arrays:
                arrays[sec.name] = tomlkit.aot()
                doc.add(sec.name, arrays[sec.name])
            arrays[sec.name].append(table)
        else:
            doc.add(sec.name, table)
    # TOML allows these in strings, but editors and splitlines() break lines at them
    return tomlkit.dumps(doc).translate(LINE_BREAKS)


#: Characters some readers take as line breaks, written as escapes (tomlkit writes only basic
#: strings, where \uXXXX is valid; comments never hold them).
LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029", 0x0B: "\\u000b",
               0x0C: "\\u000c", 0x1C: "\\u001c", 0x1D: "\\u001d", 0x1E: "\\u001e"}

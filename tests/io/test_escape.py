"""Neutralising text from data for each sink: HTML, templates, spreadsheets, the console.
"""

from __future__ import annotations

from quartier.io.escape import console_text, html_text, spreadsheet_text


def test_spreadsheet_text_rules():
    assert spreadsheet_text("=1+1") == "'=1+1"
    assert spreadsheet_text("@x") == "'@x" and spreadsheet_text("\tx") == "'\tx"
    assert spreadsheet_text("-3,5") == "-3,5" and spreadsheet_text("+49") == "+49"
    assert spreadsheet_text("-x") == "'-x" and spreadsheet_text("a=b") == "a=b"
    assert spreadsheet_text(-3.5) == -3.5
    assert spreadsheet_text("a\x00b") == "a␀b"


def test_html_text_neutralises_templates():
    assert html_text("{{7*7}}") == "&#123;&#123;7*7&#125;&#125;"
    assert html_text("${x}`") == "&#36;&#123;x&#125;&#96;"
    assert html_text("<b>") == "&lt;b&gt;"


def test_backslash_escapes_are_neutralised():
    assert html_text(r"\x3cimg\x3e C:\users") == "&#92;x3cimg&#92;x3e C:&#92;users"


def test_c1_controls_are_made_visible():
    assert spreadsheet_text("X\u009b31mROT") == "X\ufffd31mROT"
    assert "\u009b" not in console_text("X\u009b31m") and "\u009b" not in html_text("X\u009b")


def test_bidi_overrides_cannot_reverse_what_follows_a_name():
    """U+202E (right-to-left override) in a place name would show the rest of the line
    reversed in a table, a page or the console; the marks LRM/RLM only order and stay."""
    name = "Moabit\u202eredoM \u2066x\u2069 \u200eok"
    for sink in (html_text, spreadsheet_text, console_text):
        shown = sink(name)
        assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
        assert "Moabit\ufffdredoM \ufffdx\ufffd" in shown and "\u200eok" in shown

"""One vocabulary (issue 21 item 4): states as constants, labels and numbers per language, notes
in the config's language, Berlin specifics in the config."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from quartier import vocab
from quartier.config import parse_config
from quartier.errors import ConfigError
from quartier.vocab import HotSpot, ReviewStatus, TargetState

QUARTIER = Path(__file__).resolve().parents[1] / "quartier"


def test_numbers_for_the_language():
    assert vocab.num(1234.5, 1) == "1.234,5" and vocab.num(1234.5, 1, "en") == "1,234.5"
    assert vocab.count(95813) == "95.813" and vocab.count(95813, "en") == "95,813"
    assert vocab.pct(52.44) == "52,4\u00a0%" and vocab.pct(52.44, lang="en") == "52.4%"
    assert vocab.euro_m2(15) == "15,00\u00a0€/m²"
    assert vocab.area_m2(1363.2) == "1.363\u00a0m²"
    assert vocab.metres(276.95) == "280\u00a0m" and vocab.metres(1558) == "1,6\u00a0km"
    assert vocab.num(-3.25, 1) == "−3,2" or vocab.num(-3.25, 1) == "−3,3"
    assert vocab.num(float("nan")) == "–" and vocab.num(None) == "–"
    assert vocab.points(1.5) == "+1,5\u00a0Pp."
    with vocab.use_language("en"):
        assert vocab.num(1558) == "1,558"
    assert vocab.language() == "de"


def test_states_are_constants_with_labels_per_language():
    # the values are the tables' contract values; labels differ by language
    assert HotSpot.HOT == "Hot Spot" and pd.Series(["Hot Spot"]).eq(HotSpot.HOT).all()
    assert vocab.state(TargetState.ABOVE) == "über dem Ziel"
    assert vocab.state(TargetState.ABOVE, "en") == "above the target"
    assert vocab.state(ReviewStatus.OPEN, "en") == "open" and vocab.state("sehr niedrig") == "sehr niedrig"
    assert [s.value for s in ReviewStatus] == ["offen", "bestätigt", "verworfen", "mobilisierbar",
                                               "in Planung"]


def test_no_module_branches_on_a_german_state_literal():
    """Code compares with the constants, never with the display text of a state."""
    states = [s.value for cls in (HotSpot, ReviewStatus, vocab.GapState, vocab.Origin,
                                  vocab.PBasis, vocab.Market, TargetState) for s in cls
              if len(s.value) > 2]
    alternatives = "|".join(map(re.escape, states))
    compare = re.compile(r"""(==|!=|\.eq\(|\.isin\(\[|\bin \()\s*["']("""
                         + alternatives + r""")["']""")
    found = [f"{p.relative_to(QUARTIER)}:{n}" for p in QUARTIER.rglob("*.py")
             if "vocab" not in p.parts
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if compare.search(line) and not line.lstrip().startswith(">>>")]  # doctests show values
    assert found == []


def test_column_labels_never_raw():
    assert vocab.column("priority_rank") == "Rang" and vocab.column("priority_rank", lang="en") == "Rank"
    assert vocab.column("dist_kita_m") == "Fußweg zu Kita (m)"
    assert vocab.column("share_within_oepnv_pct", {"oepnv": "ÖPNV"}) == \
        "Anteil Einwohner im Fußweg zu ÖPNV (%)"
    assert vocab.column("z_s1_x", {"s1_x": "S1 Arbeitslosigkeit"}) == "z-Wert S1 Arbeitslosigkeit"
    assert "_" not in vocab.column("some_unknown_column")
    assert vocab.category("weiterfuehrende_schule") == "Weiterführende Schule"
    assert vocab.category("kita", {"kita": "Kindertagesstätte"}) == "Kindertagesstätte"


def test_every_text_has_both_languages_and_no_template_syntax():
    for table in (vocab.tables.TEXTS, vocab.tables.COLUMNS, vocab.tables.NOTES):
        for key, pair in table.items():
            assert len(pair) == 2 and all(pair), key
            for text in pair:
                assert "{{" not in text and "{%" not in text and "{#" not in text, key
    for key, (de, en) in vocab.NOTES.items():
        assert set(re.findall(r"\{(\w+)\}", de)) == set(re.findall(r"\{(\w+)\}", en)), key


def test_notes_in_the_language_with_numbers_formatted():
    assert vocab.note("pois.far", label="Kita (x.csv)", n=14, d=2000) == \
        "Kita (x.csv): 14 Punkt(e) mehr als 2.000 m außerhalb der Stadt nicht verwendet"
    with vocab.use_language("en"):
        assert vocab.note("pois.far", label="Day care (x.csv)", n=1400, d=2000) == \
            "Day care (x.csv): 1,400 point(s) more than 2,000 m outside the city dropped"
    assert "m outside the city dropped" in vocab.note_fragments("en")


def test_load_notes_in_both_languages_and_data_never_a_template():
    # the notes of reading and joining tables are in the catalogue, so the page tests' check
    # for English words in a German page covers them
    fragments = vocab.note_fragments("en")
    assert any(f.startswith("cells of the table are not units") for f in fragments)
    assert "ids had lost leading zeros: zero-padded to" in fragments
    assert vocab.note("join.group", areas=12, n=1542) == \
        'level = "group": 12 Gebiet(e) zugeordnet; 1.542 Einheit(en) erhalten die Werte ihres Gebiets'
    assert vocab.note("join.group", "en", areas=12, n=1542) == \
        "level = group: 12 areas matched; each of 1,542 units gets the values of its area"
    # no German note repeats an English one's words (a German page would look English)
    english = vocab.note_fragments("en")
    assert [k for k, (de, _) in vocab.NOTES.items() if any(f in de for f in english)] == []
    # values from the data are substituted once: braces in them are text, not placeholders
    assert vocab.note("join.marked_missing", n=2, mark="{x} {0}", ids="a{b}, {}") == \
        "2 Zeile(n) mit fehlenden Werten, in der Hinweisspalte als „{x} {0}“ gekennzeichnet: a{b}, {}"
    assert vocab.preview(range(10), 3) == "0, 1, 2 … (+7 weitere)"
    assert vocab.preview(range(1200), 3, "en") == "0, 1, 2 … (+1,197 more)"
    assert vocab.preview(["a", "b"]) == "a, b"
    assert vocab.quoted("Mitte") == "„Mitte“" and vocab.quoted("Mitte", "en") == "'Mitte'"


def test_analysis_notes_in_both_languages():
    # the analysis layer's notes are one catalogue with the load's (no key in both parts)
    from quartier.vocab.notes_analysis import NOTES_ANALYSIS

    assert set(NOTES_ANALYSIS) <= set(vocab.NOTES)
    assert "units > {cap} (Ward with contiguity takes quadratic time); region = -1" in \
        vocab.NOTES["clusters.regions_skipped"][1]
    # clusters' regions text for a census grid of 25,000 units
    assert vocab.note("clusters.regions_skipped", n=25_000, cap=20_000) == \
        "nicht berechnet: 25.000 Einheiten > 20.000 (Ward mit Nachbarschaft braucht " \
        "quadratische Zeit); region = -1"
    with vocab.use_language("en"):
        assert vocab.note("clusters.regions_skipped", n=25_000, cap=20_000) == \
            "not computed: 25,000 units > 20,000 (Ward with contiguity takes quadratic time); " \
            "region = -1"
        assert vocab.note("flag.analytic_p", n=1234, permutations="999") == \
            "hot spots and LISA by analytic p-values (normal approximation, 1,234 units " \
            "tested): 999 permutations are too coarse for the FDR cut (columns *_p_sim: " \
            "permutation p-values)"
    assert vocab.note("flag.analytic_p", n=1234, permutations="999") == \
        "Hot Spots und LISA nach analytischen p-Werten (Normalapproximation, 1.234 getestete " \
        "Einheiten): 999 Permutationen sind für den FDR-Schnitt zu grob (Spalten *_p_sim: " \
        "Permutations-p-Werte)"


def test_class_colours_by_position_not_by_name():
    berlin = vocab.class_colours(["hoch", "mittel", "niedrig", "sehr niedrig"])
    shrink = vocab.class_colours(["gering", "mittel", "hoch", "sehr hoch"])
    # "hoch" is the best class in Berlin (green) and a bad one in a shrinking index
    assert berlin["hoch"] == shrink["gering"] == "#1a9850"
    assert shrink["sehr hoch"] == berlin["sehr niedrig"] == "#d73027"
    assert len(set(vocab.class_colours([str(i) for i in range(7)]).values())) == 7


def test_key_figure_category_comes_from_the_config(tmp_path):
    from .conftest import tiny_config

    cfg = tiny_config(tmp_path)
    assert cfg.report.key_access is None and cfg.report.top_n == 20
    with pytest.raises(ConfigError, match="report.key_access.category 'supermarkt'"):
        parse_config({"city": {"name": "X"}, "access": {"categories": {"kita": {
                          "label": "Kita", "good_m": 300, "limit_m": 800}}},
                      "report": {"key_access": {"category": "supermarkt"}}}, tmp_path)
    # without [access] the key figure is simply not shown (a config cut down to [index])
    parse_config({"city": {"name": "X"}, "report": {"key_access": {"category": "supermarkt"}}},
                 tmp_path)


def test_berlin_specifics_live_in_the_config(berlin_cfg):
    r = berlin_cfg.report
    assert r.units_short == "PLR" and r.key_access.category == "supermarkt"
    assert any(s.label == "Angebotsmiete (Median)" for s in berlin_cfg.monitor.series)
    code = "\n".join(p.read_text(encoding="utf-8") for p in QUARTIER.rglob("*.py")
                     if "vocab" not in p.parts and "onboard" not in p.parts
                     and p.name != "testing.py")   # the generated test city has a supermarket
    for literal in ('"supermarkt"', "n ≥ 21", "Median der PLR", "IBB"):
        assert literal not in code, literal

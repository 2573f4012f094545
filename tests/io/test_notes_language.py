"""The notes written while reading and joining a city's tables are in the city's language
(``city.language``): a German report shows no English sentence from the join."""

from __future__ import annotations

from quartier import vocab
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config

#: GENERATED: unit 001 written as "1" (lost its zeros), a footnote under the table, a key of no
#: unit (009) and a row with values but no key.
CSV = ("ID;EW;SGB2\n1;1000;10,5\n002;2000;20,0\n003;500;5,25\n004;800;12,0\n009;5;5\n;7;7\n"
       "Quelle: Amt für Statistik;;\n")


def _load(tmp_path, language=None):
    cfg = tiny_config(tmp_path, csv=CSV, units_extra={"drop_ids": ["004"]}, language=language)
    units, report = load_city(cfg)
    assert vocab.language() == "de"          # the city's language does not leak out of the load
    return units, report


def test_join_notes_in_german_for_a_german_city(tmp_path):
    units, report = _load(tmp_path)
    t = report.tables[0]
    assert units["ew"].tolist() == [1000, 2000, 500]
    assert report.unit_notes == ["1 Objekt(e) durch units.drop_ids entfernt: 004"]
    assert t.notes == [
        "1 Fußnoten- oder Leerzeile(n) übersprungen (Zeilen 8)",
        "1 Zeile(n) mit Werten, aber ohne Schlüssel übersprungen – bitte prüfen: Zeilen 7",
        "1 Kennung(en) hatten ihre führenden Nullen verloren: auf 3 Stellen aufgefüllt"]
    details = report.to_frame()["details"].iloc[0]
    assert details.endswith("; nur in der Tabelle: 004 (→ 003, 002, 001?), 009 (→ 003, 002, 001?)")
    assert not any(f in details for f in vocab.note_fragments("en"))


def test_join_notes_in_english_for_an_english_city(tmp_path):
    units, report = _load(tmp_path, "en")
    t = report.tables[0]
    assert units["ew"].tolist() == [1000, 2000, 500]
    assert report.unit_notes == ["dropped 1 feature(s) by units.drop_ids: 004"]
    assert t.notes == [
        "1 footnote/blank row(s) skipped (lines 8)",
        "1 row(s) with values but without a key skipped — check them: lines 7",
        "1 ids had lost leading zeros: zero-padded to 3"]
    # the join report is written in the city's language wherever it is turned into a table
    details = report.to_frame()["details"].iloc[0]
    assert details.endswith("; only in the table: 004 (→ 003, 002, 001?), 009 (→ 003, 002, 001?)")
    assert not any(f in details for f in vocab.note_fragments("de"))


def test_names_from_the_data_are_values_not_templates(tmp_path):
    """A name holding braces ("{x}") is shown as it is, in the language's quotes."""
    csv = "Name;EW;SGB2\nquartier 1;1000;10\nQuartier {x};2000;20\nQuartier 3;500;5\n"
    cfg = tiny_config(tmp_path, csv=csv, table={"key": "Name", "join": "name", "id_width": None})
    _, report = load_city(cfg)
    notes = report.tables[0].notes
    assert "1 Name(n) erst nach Angleichen von Groß- und Kleinschreibung, Umlauten, ß, " \
           "„Sankt“/„St.“ und Satzzeichen zugeordnet: „quartier 1“ = „Quartier 1“" in notes
    assert report.tables[0].only_in_table == ["Quartier {x}"]
    assert "nur in der Tabelle: Quartier {x}" in report.to_frame()["details"].iloc[0]


def test_a_job_writes_every_note_in_the_citys_language(tmp_path):
    """Leipzig's real config (no population source: access measured from each Ortsteil's
    representative point) through `access`: the notes after loading follow city.language too."""
    from quartier.config import load_config
    from quartier.paths import DATA_DIR
    from quartier.pipeline import commands

    cfg = load_config(DATA_DIR / "leipzig" / "quartier.toml")
    notes = {}
    for lang in ("de", "en"):
        city = cfg.model_copy(update={"city": cfg.city.model_copy(update={"language": lang})})
        _, acc = commands.access(city, tmp_path / lang)
        notes[lang] = acc.notes
        assert acc.table["access_notes"].iloc[0] == acc.notes[0].split(": ", 1)[1]
    assert notes["de"][0] == ("63 Einheit(en): keine Bevölkerungsquelle (access.population_raster, "
                              "[population]): gemessen vom Repräsentativpunkt der Einheit, "
                              "Anteil der Einwohner unbekannt")
    assert notes["en"][0] == ("63 unit(s): no population source (access.population_raster, "
                              "[population]): measured from the unit's representative point, "
                              "share of residents unknown")
    assert vocab.language() == "de"

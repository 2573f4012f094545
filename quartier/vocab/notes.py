"""The notes of :mod:`quartier.vocab` as (de, en) pairs: what quartier writes into tables, the
report and the console when it falls back, drops or fixes something."""

from __future__ import annotations

from quartier.vocab.notes_analysis import NOTES_ANALYSIS

#: Notes written into tables, the report and the console → (de, en).
NOTES: dict[str, tuple[str, str]] = {
    # POIs (io/pois.py)
    "pois.empty": ("{label}: die Datei enthält keine Einrichtungen; die Ebene fügt keine hinzu",
                   "{label}: no elements in the file (an empty answer): the layer adds no POIs"),
    "pois.no_coordinates": ("{label}: {n} Zeile(n) ohne verwendbare Koordinaten (leer oder keine "
                            "Zahl wie „13.380.000“) nicht verwendet",
                            "{label}: {n} row(s) without usable coordinates (empty, or not a "
                            "number such as '13.380.000') dropped"),
    "pois.swapped": ("{label}: bei {n} Punkt(en) waren Breite und Länge vertauscht; korrigiert",
                     "{label}: {n} point(s) had lat/lon swapped; corrected"),
    "pois.far": ("{label}: {n} Punkt(e) mehr als {d} m außerhalb der Stadt nicht verwendet",
                 "{label}: {n} point(s) more than {d} m outside the city dropped"),
    "pois.dedup": ("{label}: {n} Einrichtung(en) in zwei Quellen (Abstand bis {d} m) einmal "
                   "gezählt",
                   "{label}: {n} point(s) found in two sources (within {d} m) counted once"),
    "pois.no_pois": ("Kategorie {label}: keine Einrichtungen; ihre Entfernungen bleiben leer",
                     "category {label} has no POIs: its distances stay empty"),
    # place names of grid cells (io/places.py)
    "places.nearest": ("{n} Einheit(en) mit dem Mittelpunkt außerhalb aller Flächen (Grenze, "
                       "Küste, Gewässer – oder die Datei deckt das Gebiet nicht ganz ab): nach "
                       "der nächsten Fläche (bis {d} m) benannt",
                       "{n} unit(s) with their centre outside every place polygon (border, coast, "
                       "water – or the file does not cover the whole area): named by the "
                       "nearest place (up to {d} m)"),
    "places.overlap": ("{n} Einheit(en) liegen in mehreren, sich überlappenden Flächen: die "
                       "erste in der Datei benennt sie",
                       "{n} unit(s) lie in several overlapping polygons: the first in the file "
                       "names them"),
    "places.blank": ("{n} Einheit(en) liegen in einer Fläche ohne Wert in Spalte „{column}“: "
                     "bleiben ohne Namen",
                     "{n} unit(s) lie in a polygon without a value in column '{column}': left "
                     "without a name"),
    "places.repaired": ("{n} ungültige Fläche(n) repariert (Flächenteile behalten)",
                        "{n} invalid polygon(s) repaired (polygonal parts kept)"),
    "places.not_polygons": ("{n} Objekt(e) der Ortsdatei ohne Fläche (leer, Punkt oder Linie) "
                            "nicht verwendet",
                            "{n} feature(s) of the place file without an area (empty, point or "
                            "line) not used"),
    "places.none": ("{n} Einheit(en) ohne Ortsnamen: mehr als {d} m von jeder Fläche "
                    "entfernt",
                    "{n} unit(s) without a place name: more than {d} m from every place polygon"),
    # access per unit (analysis/access.py)
    "access.score_without": ("access_score ohne {categories} (keine Einrichtungen in den Daten)",
                             "access_score without {categories} (no facilities in the data)"),
    "access.no_population_source": ("keine Bevölkerungsquelle (access.population_raster, "
                                    "[population])",
                                    "no population source (access.population_raster, "
                                    "[population])"),
    "access.no_residents": ("keine Einwohner in der Bevölkerungsquelle",
                            "no residents in the population source"),
    "access.from_point": ("{why}: gemessen vom Repräsentativpunkt der Einheit, Anteil der "
                          "Einwohner unbekannt",
                          "{why}: measured from the unit's representative point, share of "
                          "residents unknown"),
    # access (pipeline/steps.py)
    "access.units_note": ("{n} Einheit(en): {text}", "{n} unit(s): {text}"),
    # action areas (analysis/areas.py)
    "areas.no_population": ("{n} Einheit(en) ohne Einwohnerzahl: mit 0 Einwohnern gezählt",
                            "{n} unit(s) without a population count: counted with 0 residents "
                            "in the area bounds"),
    "areas.small": ("{n} Gruppe(n) gekennzeichneter Einheiten unter {min} Einwohnern bilden "
                    "keinen Aktionsraum: {ids}",
                    "{n} group(s) of flagged units under {min} residents are no area: {ids}"),
    "areas.beyond_max": ("{n} weitere Aktionsräume über max_areas = {max} hinaus nicht "
                         "aufgenommen (niedrigere mittlere Priorität)",
                         "{n} further area(s) beyond max_areas = {max} left out (lower mean "
                         "priority)"),
    # monitoring (analysis/monitor.py)
    "monitor.orphan": ("{indicator}: {n} Schlüssel nur in der Tabelle, nicht in den alten "
                       "Einheiten: {ids} (nicht verwendet, gemeldet)",
                       "{indicator}: {n} id(s) exist only in the table, not in the old units: "
                       "{ids} (kept out, reported)"),
    "monitor.unknown": ("{indicator}: {n} Schlüssel gehören zu keiner Einheit: {ids} (gemeldet, "
                        "nicht verwendet)",
                        "{indicator}: {n} key(s) not among the units: {ids} (reported, not used)"),
    "monitor.absent": ("{indicator}: {n} Einheit-Jahre ohne Zeile (leer gelassen)",
                       "{indicator}: {n} unit-year(s) without a row (kept empty)"),
    "monitor.too_few": ("{indicator}: Einheiten mit zu wenigen Fällen (n < {min}) je Jahr, "
                        "Werte leer gelassen: {years}",
                        "{indicator}: units with too few cases (n < {min}) per year, values left "
                        "empty: {years}"),
    # sites (analysis/sites.py, pipeline/steps.py)
    "sites.no_coordinates": ("{file}: {n} Standort(e) ohne Koordinaten nicht verwendet: {ids}",
                             "{file}: {n} site(s) without coordinates dropped: {ids}"),
    "sites.zero_capacity": ("{file}: {n} Standort(e) mit Kapazität 0 kommen nicht in Frage: "
                            "{ids}",
                            "{file}: {n} site(s) with capacity 0 are not eligible: {ids}"),
    "sites.outside": ("{n} Standort(e) außerhalb der Stadt kommen nicht in Frage: {ids}",
                      "{n} site(s) outside the city are not eligible: {ids}"),
    "sites.no_gaps": ("sites.from_gaps = true, aber die Konfiguration hat kein [gaps]: nur die "
                      "Standortdatei wird verwendet",
                      "sites.from_gaps = true, but the config has no [gaps] section: only the "
                      "site file is used"),
    "sites.shortfall": ("{people} Personen lassen sich unter den Obergrenzen nicht unterbringen: "
                        "der beste Plan bringt {housed} unter, es fehlen {short}. Standorte "
                        "ergänzen oder Obergrenzen lockern",
                        "{people} people cannot be housed under the caps: the best plan houses "
                        "{housed}, shortfall {short}. Add sites or relax the caps"),
    "sites.nearest": ("{label} {dist} Fußweg", "{label} {dist} walk"),
    "sites.nearest_list": ("nächste Einrichtungen: {list}", "nearest facilities: {list}"),
    "sites.score": ("Score {score} (Erreichbarkeit {access}", "score {score} (access {access}"),
    "sites.penalty_status": (", −{p} Status {cls}", ", −{p} status {cls}"),
    "sites.penalty_shelter": (", −{p} Unterkunft in der Nähe", ", −{p} shelter nearby"),
    "sites.selected": ("ausgewählt: {places} Plätze von {capacity}",
                       "selected: {places} places of {capacity}"),
    "sites.not_eligible_outside": ("nicht wählbar: außerhalb der Stadt",
                                   "not eligible: outside the city"),
    "sites.not_eligible_excluded": ("nicht wählbar: in einer Ausschlussfläche",
                                    "not eligible: in an excluded area"),
    "sites.not_eligible_population": ("nicht wählbar: Einwohnerzahl des Quartiers fehlt, die "
                                      "Quartierskappe ist nicht prüfbar",
                                      "not eligible: the quarter's residents are unknown, its "
                                      "cap cannot be checked"),
    "sites.not_eligible_small": ("nicht wählbar: Kapazität {capacity} < {min}",
                                 "not eligible: capacity {capacity} < {min}"),
    "sites.not_selected": ("nicht ausgewählt", "not selected"),
    "sites.min_distance": (": Mindestabstand {min} m zu {other} ({d} m)",
                           ": minimum distance {min} m to {other} ({d} m)"),
    "sites.others_better": (": andere Standorte mit höherem Score oder Quartiers-/Bezirkskappe",
                            ": other sites score higher, or the quarter or district cap"),
    # residents (io/population.py)
    "population.grid": ("Einwohner aus dem Zensus-Gitter {file} ({n} bewohnte Zellen zu {size}): "
                        "{inside} in den Einheiten, nach Flächenanteil verteilt",
                        "residents from the census grid {file} ({n} populated {size} cells): "
                        "{inside} inside the units, split by area share"),
    "population.relative": ("Raster {file} ist eine relative Oberfläche: auf population.total = "
                            "{total} Einwohner skaliert (× {factor})",
                            "raster {file} is a relative surface: scaled to population.total = "
                            "{total} residents (× {factor})"),
    "population.column": ("{column}: Einwohner je Einheit aus {source}",
                          "{column}: residents per unit from {source}"),
    "population.empty": ("{n} Einheit(en) ohne Einwohner in der Bevölkerungsquelle ({column} = 0): "
                         "{ids}",
                         "{n} unit(s) without residents in the population source ({column} = 0): "
                         "{ids}"),
    # a list cut short (vocab.preview)
    "preview.more": (" … (+{n} weitere)", " … (+{n} more)"),
    # reading files (io/readers.py, io/vector.py)
    "read.bom": ("UTF-8-Byte-Order-Mark (BOM) am Anfang der Datei entfernt",
                 "UTF-8 byte-order mark (BOM) at the start of the file removed"),
    "read.cp1252": ("nicht UTF-8: als cp1252 (Windows) gelesen",
                    "not UTF-8: read as cp1252 (Windows)"),
    "read.latin1": ("weder UTF-8 noch cp1252: als latin-1 gelesen",
                    "not UTF-8 nor cp1252: read as latin-1"),
    "read.header_twice": ("Spaltenüberschrift „{name}“ steht in den Spalten {positions}: die "
                          "späteren in „{name} (2)“, … umbenannt",
                          "header '{name}' occurs in columns {positions}: later copies renamed "
                          "'{name} (2)', …"),
    "read.no_header": ("keine Kopfzeile: Spalten „Spalte 1“, „Spalte 2“, … benannt",
                       "no header row: columns named 'Spalte 1', 'Spalte 2', …"),
    "read.skip_after": ("{n} Zeile(n) nach der Kopfzeile übersprungen: {rows}",
                        "{n} row(s) after the header skipped: {rows}"),
    "read.encoding": ("nicht UTF-8: Text als {encoding} gelesen",
                      "not UTF-8: text read as {encoding}"),
    "read.crs_override": ("Koordinatenbezugssystem der Datei {file_crs} durch das der "
                          "Konfiguration ({crs}) ersetzt",
                          "file CRS {file_crs} overridden by the config's crs {crs}"),
    # workbooks (io/xlsx.py)
    "xlsx.merged": ("{n} verbundene(r) Zellbereich(e) mit ihrem Wert gefüllt",
                    "{n} merged cell range(s) filled with their value"),
    "xlsx.formula_missing": ("Spalte „{column}“: {n} Formelzelle(n) als fehlend gelesen ({why}), "
                             "Zeilen {lines}; die Arbeitsmappe in einer Tabellenkalkulation "
                             "öffnen, berechnen lassen und speichern oder die Werte eintragen",
                             "column '{column}': {n} formula cell(s) read as missing ({why}), "
                             "lines {lines}; open the workbook in a spreadsheet, let it calculate "
                             "and save it, or enter the values"),
    "xlsx.no_result": ("kein Ergebnis gespeichert", "no result is stored"),
    "xlsx.recalc": ("die Arbeitsmappe wurde von einem Programm geschrieben und verlangt eine "
                    "Berechnung beim Öffnen: ihre gespeicherten Ergebnisse sind Platzhalter",
                    "the workbook was written by a program and asks to be calculated on "
                    "opening: its stored results are placeholders"),
    "xlsx.formula_stored": ("Spalte „{column}“: {n} Formelzelle(n): das bei der letzten "
                            "Berechnung gespeicherte Ergebnis verwendet (Zeilen {lines})",
                            "column '{column}': {n} formula cell(s): the result the spreadsheet "
                            "stored at its last calculation was used (lines {lines})"),
    # census grid cells as units (io/grid.py)
    "grid.read": ("Einheiten: {n} Zelle(n) zu {size} m aus {file} gelesen",
                  "units: {n} cells of {size} m read from {file}"),
    "grid.unpopulated": ("{n} Zelle(n) ohne Einwohner nicht verwendet ({column} 0, -1 keine "
                         "Angabe oder -9 geheim gehalten)",
                         "{n} cells without residents left out ({column} 0, -1 no data or -9 "
                         "suppressed)"),
    "grid.outside_bbox": ("{n} Zelle(n) außerhalb von units.grid.bbox {bbox} nicht verwendet",
                          "{n} cells outside units.grid.bbox {bbox} left out"),
    "grid.outside_clip": ("{n} Zelle(n) außerhalb von units.grid.clip ({file}) nicht verwendet",
                          "{n} cells outside units.grid.clip ({file}) left out"),
    "grid.units": ("{n} Zelle(n) sind die Einheiten (Kennung: INSPIRE {example})",
                   "{n} cells are the units (id: INSPIRE {example})"),
    # spatial units (io/units.py)
    "units.repaired": ("{n} ungültige Geometrie(n) repariert (Flächenteile behalten)",
                       "{n} invalid geometries repaired (polygonal parts kept)"),
    "units.zero_padded": ("{n} Kennung(en) der Einheiten mit führenden Nullen auf {width} "
                          "Stellen aufgefüllt",
                          "{n} unit ids zero-padded to {width} digits"),
    "units.dropped": ("{n} Objekt(e) durch units.drop_ids entfernt: {ids}",
                      "dropped {n} feature(s) by units.drop_ids: {ids}"),
    "units.merged_parts": ("{n} Objekte durch units.merge_parts zu {units} Einheit(en) "
                           "zusammengefasst (Teile einer Einheit: {ids})",
                           "{n} features merged into {units} unit(s) by units.merge_parts (parts "
                           "of one unit: {ids})"),
    "units.swapped": ("Achsen durch units.swap_axes getauscht (Breite, Länge → Länge, Breite)",
                      "axes swapped (lat, lon → lon, lat) by units.swap_axes"),
    # indicator tables (io/tables.py)
    "tables.year": ("Jahr {year} gelesen ({n} von {total} Zeilen)",
                    "year {year} read ({n} of {total} rows)"),
    "tables.wide_by_year": ("Tabelle mit einer Spalte je Jahr: Spalte „{column}“ gelesen",
                            "wide-by-year table: column '{column}' read"),
    "tables.percent_cells": ("{column}: {n} als Prozent formatierte Zelle(n) als gespeicherter "
                             "Anteil gelesen (5,5 % → 0,055); für Prozent unit = '%' und "
                             "scale = 100 setzen",
                             "{column}: {n} cell(s) formatted as percent, read as the stored "
                             "fraction (5,5 % → 0.055); for percent set unit = '%' and "
                             "scale = 100"),
    "tables.dropped_lines": ("{n} Zeile(n) durch {rule} entfernt: Zeilen {lines}",
                             "{n} row(s) dropped by {rule}: lines {lines}"),
    "tables.dropped_keys": ("{n} Zeile(n) durch {rule} entfernt: {rows}",
                            "{n} row(s) dropped by {rule}: {rows}"),
    "tables.key_line": ("{row} (Zeile {line})", "{row} (line {line})"),
    "tables.dropped_row": ("Zeile {line}: „{text}“", "line {line}: '{text}'"),
    "tables.footnotes": ("{n} Fußnoten- oder Leerzeile(n) übersprungen (Zeilen {lines})",
                         "{n} footnote/blank row(s) skipped (lines {lines})"),
    "tables.keyless": ("{n} Zeile(n) mit Werten, aber ohne Schlüssel übersprungen – bitte "
                       "prüfen: Zeilen {lines}",
                       "{n} row(s) with values but without a key skipped — check them: lines "
                       "{lines}"),
    "tables.ids_padded": ("{n} Kennung(en) hatten ihre führenden Nullen verloren: auf {width} "
                          "Stellen aufgefüllt",
                          "{n} ids had lost leading zeros: zero-padded to {width}"),
    "tables.scaled": ("{column}: Werte × {scale} (scale)", "{column}: values × {scale} (scale)"),
    "tables.missing_code": ("Fehlwert-Code {code} ×{n} in {columns}",
                            "missing code {code} ×{n} in {columns}"),
    "tables.zero_values": ("{column}: {n} × {values} als 0 gelesen (zero_values)",
                           "{column}: {n} × {values} read as 0 (zero_values)"),
    "tables.marks": ("{column}: Fußnotenzeichen an {n} Wert(en) entfernt ({values}), die Zahlen "
                     "behalten",
                     "{column}: footnote marks removed from {n} value(s) ({values}), the numbers "
                     "kept"),
    "tables.aliases_unused": ("Aliasse (aliases) ohne Zeile in der Tabelle: {aliases}",
                              "aliases without a row in the table: {aliases}"),
    "tables.alias_covers": ("Schlüssel „{row}“ (Zeile {line}) steht für {n} Einheiten ({units}): "
                            "jede erhält die Werte der Zeile – richtig für Anteile und Quoten; "
                            "eine Anzahl ist die Summe aller",
                            "row '{row}' (line {line}) covers {n} units ({units}): each gets the "
                            "row's values — right for shares and rates; a count is the total of "
                            "all of them"),
    "tables.alias_counts": ("{table}: Schlüssel „{row}“ (Zeile {line}) wird {n} Einheiten "
                            "zugeordnet, seine Anzahlen zählen daher {n}-mal in der Summe der "
                            "Stadt: {counts}. Die Anzahlen der Zeile von Hand aufteilen oder "
                            "aus einer Tabelle der einzelnen Einheiten nehmen",
                            "{table}: row '{row}' (line {line}) is given to {n} units, so its "
                            "counts are counted {n} times: {counts} in the city total. Split the "
                            "row's counts by hand, or take them from a table of the single units"),
    "tables.alias": ("Alias: „{row}“ (Zeile {line}) als „{unit}“ zugeordnet",
                     "alias: '{row}' (line {line}) joined as '{unit}'"),
    # joining tables to the units (io/join.py, io/joinreport.py)
    "join.not_units": ("{n} Zelle(n) der Tabelle gehören zu keiner Einheit (außerhalb von "
                       "units.grid bbox/clip oder unbewohnt): hier gezählt, nicht in "
                       "join_unmatched aufgeführt",
                       "{n} cells of the table are not units (outside units.grid bbox/clip, or "
                       "not populated): counted here, not listed in join_unmatched"),
    "join.normalised": ("{n} Name(n) erst nach Angleichen von Groß- und Kleinschreibung, "
                        "Umlauten, ß, „Sankt“/„St.“ und Satzzeichen zugeordnet: {pairs}",
                        "{n} name(s) matched only after normalising case, umlauts, ß, "
                        "'Sankt'/'St.' and punctuation: {pairs}"),
    "join.group": ("level = \"group\": {areas} Gebiet(e) zugeordnet; {n} Einheit(en) erhalten die "
                   "Werte ihres Gebiets",
                   "level = group: {areas} areas matched; each of {n} units gets the values of "
                   "its area"),
    "join.unit_names": ("Namen der Einheiten aus Spalte „{column}“ ({n} von {total} Einheiten; "
                        "die übrigen behalten ihre Kennung)",
                        "unit names from column '{column}' ({n} of {total} units; the others "
                        "keep their id)"),
    "join.suggested": ("ähnlichste Namen für die ersten {shown} von {n} nicht zugeordneten "
                       "Schlüsseln gezeigt",
                       "closest names shown for the first {shown} of {n} unmatched keys"),
    "join.marked_missing": ("{n} Zeile(n) mit fehlenden Werten, in der Hinweisspalte als "
                            "„{mark}“ gekennzeichnet: {ids}",
                            "{n} row(s) with missing values marked '{mark}' in the note column: "
                            "{ids}"),
    "join.only_in_table": ("nur in der Tabelle: {keys}", "only in the table: {keys}"),
    "join.units_without_row": ("Einheiten ohne Zeile: {ids}", "units without a row: {ids}"),
    "join.missing_values": ("fehlende Werte: {ids}", "missing values: {ids}"),
    # plausibility of loaded values (io/quality.py)
    "quality.repeated": ("{n} von {total} Einheiten haben genau dieselben Werte von {columns} "
                         "wie eine andere Einheit ({groups}): Werte eines größeren Gebiets? "
                         "Wiederholte Werte machen Nachbarn einander ähnlich und verstärken Hot "
                         "Spots und Cluster",
                         "{n} of {total} units carry exactly the same values of {columns} as "
                         "another unit ({groups}): values published for a coarser area? "
                         "Repeated values make neighbours alike and inflate hot spots and "
                         "clusters"),
    "quality.density": ("{name}: {population} Einwohner auf {area} km² ({density} Einwohner je km²)",
                        "{name}: {population} residents on {area} km² ({density} per km²)"),
    # loading the city (pipeline/load.py, analysis/derive.py)
    "load.dissolved": ("{n} Einheiten nach {column} zu {merged} zusammengefasst "
                       "(units.dissolve_by); {methods}",
                       "{n} units merged into {merged} by {column} (units.dissolve_by); "
                       "{methods}"),
    "load.method": ("{method}: {columns}", "{method}: {columns}"),
    "load.method_sum": ("Summe", "sum"),
    "load.method_mean": ("Mittelwert", "mean"),
    "load.method_weighted_mean": ("mit der Einwohnerzahl gewichteter Mittelwert",
                                  "population-weighted mean"),
    "load.dissolve_incomplete": ("eine zusammengefasste Einheit, in der ein Wert eines Teils "
                                 "fehlt, bleibt leer ({columns})",
                                 "a merged unit with a missing member value stays empty "
                                 "({columns})"),
    "load.no_weight": ("mit der Einwohnerzahl gewichtete Mittelwerte ({columns}) bleiben leer "
                       "für {units}",
                       "population-weighted means ({columns}) stay empty for {units}"),
    "load.no_weight_member": ("{unit} (Teil {member} ohne {column})",
                              "{unit} (member {member} without {column})"),
    "load.density": ("population_column „{column}“: unplausible Einwohnerdichte in {units} – "
                     "ein Fehler in der Datei? Aktionsräume, Standorte und die Regel zur "
                     "Mindesteinwohnerzahl verwenden diese Einwohnerzahlen",
                     "population_column '{column}': implausible density in {units} — a data "
                     "error in the file? Areas, sites and the minimum-population rule use these "
                     "residents"),
    "derive.formula": ("{kind}: {formula}", "{kind}: {formula}"),
    "derive.area_ha": ("Fläche der Geometrie in ha", "area of the geometry in ha"),
    "derive.not_positive": ("{column}: {n} Einheit(en) mit {divisor} ≤ 0 bleiben leer: {ids}",
                            "{column}: {n} unit(s) with {divisor} ≤ 0 stay empty: {ids}"),
    "derive.input_missing": ("{column}: {n} Einheit(en) leer, weil ein Eingangswert fehlt: {ids}",
                             "{column}: {n} unit(s) empty because an input is missing: {ids}"),
    # shelters near candidate sites (pipeline/steps.py)
    "sites.shelters": ("{n} bestehende Unterkunft/Unterkünfte aus {file}: Standorte im Umkreis "
                       "von {radius} m verlieren {penalty} Punkte",
                       "{n} existing shelter(s) from {file}: sites within {radius} m lose "
                       "{penalty} points"),
}

#: the analysis layer's notes (flagging, clusters, hot spots, robustness …) in one catalogue
NOTES.update(NOTES_ANALYSIS)

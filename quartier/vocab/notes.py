"""The notes of :mod:`quartier.vocab` as (de, en) pairs: what quartier writes into tables, the
report and the console when it falls back, drops or fixes something."""

from __future__ import annotations

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
    "places.nearest": ("{n} Einheit(en) mit dem Mittelpunkt außerhalb aller Gemeindeflächen "
                       "(Grenze, Küste, Gewässer): nach der nächsten Gemeinde (bis {d} m) benannt",
                       "{n} unit(s) with their centre outside every place polygon (border, coast, "
                       "water): named by the nearest place (up to {d} m)"),
    "places.none": ("{n} Einheit(en) ohne Ortsnamen: mehr als {d} m von jeder Gemeindefläche "
                    "entfernt",
                    "{n} unit(s) without a place name: more than {d} m from every place polygon"),
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
}

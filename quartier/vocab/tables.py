"""The label pairs (de, en) of :mod:`quartier.vocab`: columns, notes and texts.

One place for every word a page, a table's note or the console shows; a new text gets its two
languages here, side by side.
"""

from __future__ import annotations

#: Columns of quartier's output tables → (de, en) header on a page. Data columns take their
#: config label; derived ones (``dist_<cat>_m`` …) a pattern of :func:`quartier.vocab.column`.
COLUMNS: dict[str, tuple[str, str]] = {
    # units and priority.csv
    "unit_id": ("Nr.", "No."),
    "unit_name": ("Name", "Name"),
    "unit_group": ("Bezirk", "District"),
    "district": ("Bezirk", "District"),
    "status_index": ("Status-Index", "Status index"),
    "status_class": ("Statusklasse", "Status class"),
    "status_class_n": ("Statusklasse (Nr.)", "Status class (no.)"),
    "status_sum": ("Summe der z-Werte (Status)", "Sum of z-values (status)"),
    "dynamics_index": ("Dynamik-Index", "Dynamics index"),
    "dynamics_class": ("Dynamikklasse", "Dynamics class"),
    "dynamics_sum": ("Summe der z-Werte (Dynamik)", "Sum of z-values (dynamics)"),
    "dynamics_sum_adjusted": ("Summe der bereinigten z-Werte (Dynamik)",
                              "Sum of adjusted z-values (dynamics)"),
    "dynamics_index_adjusted": ("Dynamik-Index bereinigt", "Adjusted dynamics index"),
    "dynamics_class_adjusted": ("Dynamikklasse bereinigt", "Adjusted dynamics class"),
    "dynamics_sign_flip": ("Vorzeichen der Dynamik kehrt sich um", "Sign of the dynamics flips"),
    "status_dynamics": ("Status/Dynamik", "Status/dynamics"),
    "rule_flags": ("Grenzwerte überschritten", "Thresholds passed"),
    "rule_count": ("Grenzwerte (Anzahl)", "Thresholds (number)"),
    "cluster": ("Cluster", "Cluster"),
    "cluster_name": ("Clusterprofil", "Cluster profile"),
    "cluster_ward": ("Cluster (Ward)", "Cluster (Ward)"),
    "cluster_gmm": ("Cluster (GMM)", "Cluster (GMM)"),
    "region": ("Region", "Region"),
    "hotspot": ("Hot Spot (Gi*)", "Hot spot (Gi*)"),
    "lisa": ("LISA-Quadrant", "LISA quadrant"),
    "gi_z": ("Gi* z-Wert", "Gi* z-value"),
    "gi_p": ("Gi* p-Wert", "Gi* p-value"),
    "gi_p_sim": ("Gi* p-Wert (Permutation)", "Gi* p-value (permutation)"),
    "gi_p_norm": ("Gi* p-Wert (Normalapproximation)", "Gi* p-value (normal approximation)"),
    "lisa_i": ("LISA I", "LISA I"),
    "lisa_p": ("LISA p-Wert", "LISA p-value"),
    "lisa_p_sim": ("LISA p-Wert (Permutation)", "LISA p-value (permutation)"),
    "lisa_p_norm": ("LISA p-Wert (Normalapproximation)", "LISA p-value (normal approximation)"),
    "n_neighbours": ("Nachbarn", "Neighbours"),
    "p_basis": ("p-Werte aus", "p-values from"),
    "screening": ("Screening", "Screening"),
    "priority_score": ("Prioritätswert", "Priority score"),
    "priority_rank": ("Rang", "Rank"),
    "reasons": ("Gründe", "Reasons"),
    "flagged": ("gekennzeichnet", "flagged"),
    "flag_reason": ("gekennzeichnet wegen", "flagged for"),
    "valid": ("bewertet", "scored"),
    "invalid_reason": ("nicht bewertet, weil", "not scored because"),
    "notes": ("Hinweise", "Notes"),
    "area_id": ("Aktionsraum", "Action area"),
    "area_role": ("Rolle im Aktionsraum", "Role in the action area"),
    "access_score": ("Erreichbarkeit (0–100)", "Access (0–100)"),
    "rank_median": ("Rang (Median der Varianten)", "Rank (median of the variants)"),
    "rank_p05": ("Rang (5. Perzentil)", "Rank (5th percentile)"),
    "rank_p95": ("Rang (95. Perzentil)", "Rank (95th percentile)"),
    "rank_default": ("Rang (Standardwahl)", "Rank (default choice)"),
    "rank_interval_width": ("Breite des Rangintervalls", "Width of the rank interval"),
    "flagged_share_pct": ("in % der Varianten gekennzeichnet", "flagged in % of the variants"),
    "top_share_pct": ("in % der Varianten auf der Liste", "on the list in % of the variants"),
    "rank_main_choice": ("Wahl mit dem größten Einfluss auf den Rang",
                         "Choice that moves the rank most"),
    "flag_main_choice": ("Wahl mit dem größten Einfluss auf die Kennzeichnung",
                         "Choice that moves the flag most"),
    "robustness": ("Robustheit", "Robustness"),
    "residents": ("Einwohner", "Residents"),
    # action areas
    "area_name": ("Aktionsraum", "Action area"),
    "member_ids": ("Einheiten (Nr.)", "Units (no.)"),
    "n_members": ("Einheiten", "Units"),
    "n_flagged": ("davon gekennzeichnet", "of which flagged"),
    "n_gap_closers": ("Lückenschluss-Einheiten", "Gap-closing units"),
    "mean_status_index": ("Status-Index (Mittel)", "Status index (mean)"),
    "max_status_index": ("Status-Index (höchster)", "Status index (highest)"),
    "share_flagged_pct": ("Anteil gekennzeichnet (%)", "Share flagged (%)"),
    "dominant_reasons": ("Überwiegende Gründe", "Main reasons"),
    "compactness": ("Kompaktheit (0–1)", "Compactness (0–1)"),
    "contiguous": ("zusammenhängend", "contiguous"),
    "n_units": ("Einheiten", "Units"),
    # access
    "n_origins": ("Startpunkte", "Starting points"),
    "origin": ("Startpunkte aus", "Starting points from"),
    "access_notes": ("Hinweise", "Notes"),
    "category": ("Kategorie", "Category"),
    # sites
    "site_id": ("Nr.", "No."),
    "name": ("Name", "Name"),
    "selected": ("ausgewählt", "selected"),
    "capacity": ("Kapazität", "Capacity"),
    "places": ("Plätze", "Places"),
    "score": ("Punkte (0–100)", "Score (0–100)"),
    "score_access": ("Erreichbarkeit (0–100)", "Access (0–100)"),
    "penalty_status": ("Abzug für den Status", "Deduction for the status"),
    "penalty_shelter": ("Abzug für nahe Unterkünfte", "Deduction for nearby shelters"),
    "source": ("Quelle", "Source"),
    # gap candidates and the review store
    "gap_id": ("Kennung", "Id"),
    "gap_type": ("Art", "Type"),
    "area_m2": ("Fläche (m²)", "Area (m²)"),
    "frontage_m": ("Straßenfront (m)", "Street frontage (m)"),
    "depth_m": ("Tiefe (m)", "Depth (m)"),
    "rule": ("Regel", "Rule"),
    "confidence": ("Konfidenz", "Confidence"),
    "status": ("Prüfstatus", "Review status"),
    "state": ("Erkennung", "Detection"),
    "previous_id": ("Vorgänger", "Predecessor"),
    "reviewer": ("Prüfer/in", "Reviewer"),
    "note": ("Notiz", "Note"),
    "decision_id": ("Entscheidung Nr.", "Decision no."),
    "timestamp": ("Zeit", "Time"),
    "street": ("Straße", "Street"),
    "first_run": ("erster Lauf", "first run"),
    "last_run": ("letzter Lauf", "last run"),
    # monitoring and targets
    "label": ("Ziel", "Target"),
    "year": ("Jahr", "Year"),
    "indicator": ("Indikator", "Indicator"),
    "value": ("Wert", "Value"),
    "unit": ("Maßeinheit", "Unit"),
    "quality_flag": ("Qualität", "Quality"),
    "measure": ("Messwert", "Measured"),
    "target": ("Zielwert", "Target value"),
    "rent_eur_m2": ("Angebotsmiete (€/m²)", "Offer rent (€/m²)"),
    "rent_change_1y_pct": ("Angebotsmiete: Änderung 1 Jahr (%)", "Offer rent: change 1 year (%)"),
    "rent_change_3y_pct": ("Angebotsmiete: Änderung 3 Jahre (%)",
                           "Offer rent: change 3 years (%)"),
    "rent_change_10y_pct": ("Angebotsmiete: Änderung 10 Jahre (%)",
                            "Offer rent: change 10 years (%)"),
    "market": ("Mietmarkt", "Rental market"),
    "displacement_pressure": ("Verdrängungsdruck", "Displacement pressure"),
    "signal_rule": ("Regel", "Rule"),
    "milieuschutz_share_pct": ("Anteil Milieuschutzgebiet (%)", "Share in conservation areas (%)"),
    "leerstand_zensus2011_pct": ("Leerstand Zensus 2011 (%)", "Vacancy census 2011 (%)"),
    # join report
    "table": ("Tabelle", "Table"),
    "file": ("Datei", "File"),
    "rows": ("Zeilen", "Rows"),
    "matched": ("zugeordnet", "matched"),
    "only_in_units": ("nur in den Einheiten", "only in the units"),
    "only_in_table": ("nur in der Tabelle", "only in the table"),
    "rows_with_missing": ("Zeilen mit fehlenden Werten", "Rows with missing values"),
    "details": ("Einzelheiten", "Details"),
    "side": ("Seite", "Side"),
    "key": ("Schlüssel", "Key"),
    "suggestions": ("ähnliche Namen", "Similar names"),
    # robustness choices
    "choice": ("Wahl", "Choice"),
    "variant": ("Variante", "Variant"),
    "flag_added": ("neu gekennzeichnet", "newly flagged"),
    "flag_removed": ("nicht mehr gekennzeichnet", "no longer flagged"),
    "list_changed": ("neu auf der Liste", "new on the list"),
    "rank_change_median": ("Rangänderung (Median)", "Rank change (median)"),
    "rank_change_max": ("Rangänderung (höchste)", "Rank change (largest)"),
    "first_order_rank_pct": ("Anteil an der Rangvarianz (%)", "Share of the rank variance (%)"),
    "first_order_flag_pct": ("Anteil an der Kennzeichnungsvarianz (%)",
                             "Share of the flag variance (%)"),
    # areas against the baseline
    "method": ("Verfahren", "Method"),
    "areas": ("Aktionsräume", "Action areas"),
}

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

#: Every other text → (de, en). Keys by page: ``map.``, ``report.``, ``profile.``, ``review.``,
#: ``cli.``; ``label.`` and ``unit.`` are shared.
TEXTS: dict[str, tuple[str, str]] = {
    # shared labels
    "unit.points_paren": (" (Prozentpunkte)", " (percentage points)"),
    "label.change_years": ("Veränderung {stem} {base}–{year}", "Change {stem} {base}–{year}"),
    "label.change_against": ("Veränderung {label} gegenüber {base}",
                             "Change {label} against {base}"),
    "label.no_data": ("keine Daten", "no data"),
    "label.not_scored": ("nicht bewertet", "not scored"),
    "label.yes": ("ja", "yes"),
    "label.no": ("nein", "no"),
    "label.units": ("Quartiere", "quarters"),
    "label.unit": ("Quartier", "quarter"),
    "label.group": ("Bezirk", "District"),
    "label.city": ("Stadt", "City"),
    "label.of": ("von", "of"),
    # the map (quartier_map.html)
    "map.title_default": ("Sozialmonitoring {city}", "Social monitoring {city}"),
    "map.layers": ("Kartenebenen", "Map layers"),
    "map.legend": ("Legende", "Legend"),
    "map.search": ("Quartier suchen", "Find a quarter"),
    "map.search_placeholder": ("Name oder Nummer", "Name or number"),
    "map.search_none": ("kein Treffer", "nothing found"),
    "map.group_theme": ("Thema (eines zugleich)", "Theme (one at a time)"),
    "map.group_outline": ("Umrisse", "Outlines"),
    "map.group_pois": ("Einrichtungen", "Facilities"),
    "map.group_gaps": ("Baulücken und Standorte", "Building gaps and sites"),
    "map.group_base": ("Hintergrund", "Background"),
    "map.theme_none": ("kein Thema", "no theme"),
    "map.basemap": ("OpenStreetMap (braucht Internet)", "OpenStreetMap (needs internet)"),
    "map.status": ("Status-Index", "Status index"),
    "map.flagged": ("Gekennzeichnete {units}", "Flagged {units}"),
    "map.flagged_row": ("gekennzeichnet (schwarzer Umriss)", "flagged (black outline)"),
    "map.areas": ("Aktionsräume", "Action areas"),
    "map.areas_row": ("{n} Aktionsräume (violette Linie)", "{n} action areas (purple line)"),
    "map.clusters": ("Cluster (explorativ)", "Clusters (exploratory)"),
    "map.hotspots": ("Hot Spots (Gi*)", "Hot spots (Gi*)"),
    "map.access": ("Erreichbarkeit (0–100)", "Access (0–100)"),
    "map.rent": ("Angebotsmiete: Änderung in 3 Jahren (%)", "Offer rent: change over 3 years (%)"),
    "map.gaps": ("Baulücken nach Prüfstatus", "Building gaps by review status"),
    "map.sites": ("Standorte für Unterbringung", "Housing sites"),
    "map.sites_illustrative": ("Standorte für Unterbringung (illustrativ)",
                               "Housing sites (illustrative)"),
    "map.sites_note": ("Beispielstandorte sind illustrativ, keine realen Grundstücke",
                       "Example sites are illustrative, not real plots"),
    "map.selected": ("ausgewählt (Größe: Plätze)", "selected (size: places)"),
    "map.not_selected": ("nicht ausgewählt", "not selected"),
    "map.units": ("Raumeinheiten", "Units"),
    "map.no_data": ("keine Daten / nicht bewertet", "no data / not scored"),
    "map.better": ("günstig", "favourable"),
    "map.worse": ("ungünstig", "unfavourable"),
    "map.good_access": ("gut erreichbar", "good access"),
    "map.poor_access": ("schlecht erreichbar", "poor access"),
    "map.no_valuation": ("ohne Wertung: hell = niedrig, dunkel = hoch",
                         "no valuation: light = low, dark = high"),
    "map.raster": ("{n} Einheiten: als Rasterbild gezeichnet (über {limit}), keine Tooltips",
                   "{n} units: drawn as a raster image (over {limit}), no tooltips"),
    "map.outline": ("{n} Einheiten: als gemeinsame Umrisslinie gezeichnet (über {limit}), "
                    "keine Tooltips",
                    "{n} units: drawn as one dissolved outline (over {limit}), no tooltips"),
    "map.flagged_off": ("beim Öffnen ausgeblendet: {n} Umrisse (mehr als {limit})",
                        "hidden when the map opens: {n} outlines (more than {limit})"),
    "map.values_in": ("Werte in {file}", "values in {file}"),
    "map.values_in_run": ("Werte in den CSV-Tabellen des Laufs", "values in the run's CSV tables"),
    "map.outline_row": ("Umriss", "outline"),
    "map.profile": ("Quartiersprofil öffnen", "Open the quarter profile"),
    "map.area_profile": ("Profil des Aktionsraums", "Profile of the action area"),
    "map.report": ("Bericht", "Report"),
    "map.profiles": ("Alle Profile", "All profiles"),
    "map.sources": ("Quellen", "Sources"),
    "map.created": ("erstellt am {date}", "made on {date}"),
    "map.data_date": ("Datenstand {date}", "data as of {date}"),
    "map.rank": ("Rang {rank} von {n}", "rank {rank} of {n}"),
    "map.flag": ("gekennzeichnet: {reason}", "flagged: {reason}"),
    "map.not_flagged": ("nicht gekennzeichnet", "not flagged"),
    "map.area_member": ("im Aktionsraum {id} {name}", "in action area {id} {name}"),
    "map.reasons": ("Gründe", "Reasons"),
    "map.residents": ("Einwohner", "Residents"),
    "map.dynamics": ("Dynamik", "Dynamics"),
    "map.rent_level": ("Angebotsmiete", "Offer rent"),
    "map.priority": ("Priorität", "Priority"),
    "map.value": ("Wert", "Value"),
    "map.poi_count": ("{label} ({n})", "{label} ({n})"),
    "map.close": ("schließen", "close"),
    "map.open": ("öffnen", "open"),
    "map.members": ("{n} Einheiten, davon {gap} zum Lückenschluss",
                    "{n} units, {gap} of them closing gaps"),
    "map.gap_rule": ("Regel", "Rule"),
    "map.print_hint": ("Drucken: Strg+P (A4 quer)", "Print: Ctrl+P (A4 landscape)"),
    "map.keys": ("Suche: / · Ebenen: L", "Search: / · Layers: L"),
    "map.print_sources": ("Quellen und Lizenzen", "Sources and licences"),
    # quarter profiles
    "profile.title": ("{name} – Quartiersprofil", "{name} – quarter profile"),
    "profile.area_title": ("Aktionsraum {id} – Profil", "Action area {id} – profile"),
    "profile.index_title": ("Quartiersprofile – {city}", "Quarter profiles – {city}"),
    "profile.count": ("{n} Profile: zuerst die Aktionsräume, dann die Einheiten nach Rang.",
                      "{n} profiles: the action areas first, then the units by rank."),
    "profile.filter": ("Filtern nach Name, Nummer, Bezirk oder Status",
                       "Filter by name, number, district or status"),
    "profile.filter_placeholder": ("z. B. Moabit oder 0120", "e.g. Moabit or 0120"),
    "profile.kind": ("Art", "Kind"),
    "profile.all": ("← alle Profile", "← all profiles"),
    "profile.map": ("Karte", "Map"),
    "profile.report": ("Bericht", "Report"),
    "profile.made": ("erstellt am {date}", "made on {date}"),
    "profile.sources": ("Quellen", "Sources"),
    "profile.map_note": ("Die Karte ist aus den Geometrien gezeichnet (ohne Kartenhintergrund), "
                         "die Flächen in den Farben der Statusklassen",
                         "The map is drawn from the geometries (no background), the areas in "
                         "the colours of the status classes"),
    "profile.map_title": ("Lage und Nachbarschaft", "Location and neighbours"),
    "profile.percentile": ("{p}. Perzentil", "percentile {p}"),
    "profile.flagged": ("gekennzeichnet", "flagged"),
    "profile.area": ("Aktionsraum {id}: {name}", "Action area {id}: {name}"),
    "profile.in_area": ("Teil des Aktionsraums", "Part of action area"),
    "profile.neighbours": ("Nachbarn", "Neighbours"),
    "profile.no_reasons": ("keine Auffälligkeit", "nothing conspicuous"),
    "profile.robustness": ("Robustheit der Rangfolge", "Robustness of the ranking"),
    "profile.indicators": ("Indikatoren des {index} im Vergleich zur Stadt",
                           "Indicators of the {index} against the city"),
    "profile.indicators_mean": ("Indikatoren des {index} (Mittel der Einheiten)",
                                "Indicators of the {index} (mean of the units)"),
    "profile.indicator": ("Indikator", "Indicator"),
    "profile.value": ("Wert", "Value"),
    "profile.city_mean": ("Stadt (Mittel)", "City (mean)"),
    "profile.z": ("z-Wert", "z-value"),
    "profile.position": ("Lage in der Stadt (Punkt; Strich = Mitte)",
                         "Position in the city (dot; line = middle)"),
    "profile.history": ("Verlauf", "History"),
    "profile.no_series": ("Verlauf: keine Zeitreihen konfiguriert ([monitor]).",
                          "History: no time series configured ([monitor])."),
    "profile.one_year": ("Verlauf: für diese Einheit liegt nur ein Jahr vor.",
                         "History: only one year for this unit."),
    "profile.this_unit": ("diese Einheit", "this unit"),
    "profile.these_units": ("diese Einheiten (Mittel)", "these units (mean)"),
    "profile.city_median": ("Stadt (Median)", "City (median)"),
    "profile.access": ("Erreichbarkeit", "Access"),
    "profile.no_access": ("Erreichbarkeit: nicht konfiguriert ([access]).",
                          "Access: not configured ([access])."),
    "profile.category": ("Einrichtung", "Facility"),
    "profile.walk": ("Fußweg (geschätzt)", "Walk (estimated)"),
    "profile.share_walk": ("Einwohner im Fußweg", "Residents within walking distance"),
    "profile.city_walk": ("Stadt (Median)", "City (median)"),
    "profile.gaps_sites": ("Baulücken und Standorte", "Building gaps and sites"),
    "profile.gaps": ("{n} Kandidat(en) des Baulückenkatasters.", "{n} candidate(s) of the gap cadastre."),
    "profile.sites": ("{n} vorgeschlagene(r) Standort(e) für Unterbringung.",
                      "{n} proposed housing site(s)."),
    "profile.sites_illustrative": ("(Beispielstandorte: illustrativ)", "(example sites: illustrative)"),
    "profile.no_gaps": ("Keine Baulücken- oder Standortdaten konfiguriert.",
                        "No building gap or site data configured."),
    "profile.none_inside": ("Keine Baulücken-Kandidaten und keine vorgeschlagenen Standorte hier.",
                            "No building gap candidates and no proposed sites here."),
    "profile.mean_index": ("{index} (Mittel)", "{index} (mean)"),
    "profile.dominant": ("Was überwiegt", "What dominates"),
    # robustness (analysis/robustness.py sentence, outputs/robustness.py section)
    "robustness.sentence": ("Rang {rank}, {where}; in {share} % der Varianten gekennzeichnet",
                            "rank {rank}, {where}; flagged in {share} % of the variants"),
    "robustness.between": ("in 90 % der Varianten zwischen {lo} und {hi}",
                           "between {lo} and {hi} in 90 % of the variants"),
    "robustness.unchanged": ("in 90 % der Varianten unverändert", "unchanged in 90 % of the variants"),
    "robustness.below_1": ("unter 1", "below 1"),
    "robustness.above_99": ("über 99", "above 99"),
    "robustness.lead": ("Jede Einheit wurde unter {n} Varianten der Priorität neu eingeordnet "
                        "(seed {seed}): Gewichte, ein Indikator weggelassen, Normierung, Dynamik "
                        "und Hot-Spot-Bonus an/aus. Von den {flagged} gekennzeichneten Einheiten "
                        "sind {robust} in mindestens {pct} % der Varianten gekennzeichnet",
                        "Every unit was ranked again under {n} variants of the priority (seed "
                        "{seed}): weights, one indicator left out, normalisation, dynamics and "
                        "hot-spot bonus on/off. Of the {flagged} flagged units, {robust} are "
                        "flagged in at least {pct} % of the variants"),
    "robustness.fragile": ("; nicht so sicher: {n} ({ids})", "; less certain: {n} ({ids})"),
    "robustness.unflagged": ("; {n} nicht gekennzeichnete Einheiten wären es in mindestens {pct} %",
                             "; {n} unflagged units would be flagged in at least {pct} %"),
    "robustness.chart_title": ("Rangintervalle (5.–95. Perzentil) der {n} Einheiten mit dem besten "
                               "Medianrang",
                               "Rank intervals (5th–95th percentile) of the {n} units with the "
                               "best median rank"),
    "robustness.rank": ("Rang", "Rank"),
    "robustness.list": ("Listenlänge {n}", "list length {n}"),
    "robustness.legend1": ("Einheiten nach Medianrang; Balken = 5.–95. Perzentil der Ränge, "
                           "Punkt = Median, Strich = Rang der Standardwahl.",
                           "Units by median rank; bar = 5th–95th percentile of the ranks, dot = "
                           "median, tick = rank of the default choice."),
    "robustness.legend2": ("Farbe: dunkelrot in ≥ 95 % der Varianten gekennzeichnet, orange in "
                           "5–95 %, grau in weniger als 5 %.",
                           "Colour: dark red flagged in ≥ 95 % of the variants, orange in 5–95 %, "
                           "grey in fewer than 5 %."),
    "robustness.tip": ("{name} ({id}): Rang {rank}, Median {median}, 5–95 %: {lo}–{hi}, "
                       "gekennzeichnet in {share} % der Varianten",
                       "{name} ({id}): rank {rank}, median {median}, 5–95 %: {lo}–{hi}, flagged "
                       "in {share} % of the variants"),
    "robustness.choices_note": ("Je Wahl: eine Alternative, alle anderen Wahlen wie eingestellt; "
                                "Anteile erster Ordnung (Sobol) aus allen Varianten, der Rest ist "
                                "Wechselwirkung.",
                                "Per choice: one alternative, all other choices as set; "
                                "first-order shares (Sobol) from all variants, the rest is "
                                "interaction."),
    "robustness.list_changed": ("neu unter den ersten {n}", "new among the first {n}"),
    # the report (report.html)
    "report.kind": ("Bericht für den Ausschuss", "Report for the committee"),
    "report.made": ("erstellt am {date}", "made on {date}"),
    "report.key_figures": ("Auf einen Blick", "At a glance"),
    "report.contents": ("Inhalt", "Contents"),
    "report.appendix": ("Anhang: Datengrundlage", "Appendix: the data"),
    "report.appendix_lead": ("Für die Datenpflege: wie die Tabellen zugeordnet wurden, was fehlt, "
                             "und die explorativen Zusatzauswertungen. Einzelheiten in "
                             "join_report.csv und join_unmatched.csv.",
                             "For the data staff: how the tables were joined, what is missing, and "
                             "the exploratory extras. Details in join_report.csv and "
                             "join_unmatched.csv."),
    "report.sources": ("Datenquellen und Lizenzen", "Data sources and licences"),
    "report.footer": ("Erstellt mit quartier. Der Index folgt der Methode des Berliner Monitorings "
                      "Soziale Stadtentwicklung; Cluster sind explorativ, die Kennzeichnung folgt "
                      "dem Index.",
                      "Made with quartier. The index follows the method of Berlin's Monitoring "
                      "Soziale Stadtentwicklung; clusters are exploratory, flags follow the index."),
    "report.link_map": ("Interaktive Karte öffnen", "Open the interactive map"),
    "report.link_profiles": ("Alle Quartiersprofile", "All quarter profiles"),
    "report.units": ("{units}", "{units}"),
    "report.scored": ("bewertet", "scored"),
    "report.flagged": ("gekennzeichnet", "flagged"),
    "report.flagged_share": ("gekennzeichnet ({share} der bewerteten)", "flagged ({share} of those scored)"),
    "report.areas": ("Aktionsräume ({residents} Einwohner)", "action areas ({residents} residents)"),
    "report.hotspots": ("Hot Spots (Gi*)", "hot spots (Gi*)"),
    "report.gaps": ("Baulücken-Kandidaten", "building gap candidates"),
    "report.housed": ("untergebracht (Beispielstandorte)", "housed (example sites)"),
    "report.housed_real": ("untergebracht", "housed"),
    "report.rent": ("Angebotsmiete {year} (Median)", "offer rent {year} (median)"),
    "report.summary": ("Ergebnis in Worten", "The result in words"),
    "report.summary_flagged": ("{flagged} der {scored} bewerteten {units} sind gekennzeichnet "
                               "({classes}); dort leben {residents} Menschen.",
                               "{flagged} of the {scored} scored {units} are flagged ({classes}); "
                               "{residents} people live there."),
    "report.summary_groups": ("Die meisten liegen in {groups}.", "Most of them are in {groups}."),
    "report.summary_areas": ("Benachbarte gekennzeichnete {units} sind zu {n} Aktionsräumen mit "
                             "zusammen {residents} Einwohnern gefasst.",
                             "Neighbouring flagged {units} form {n} action areas with "
                             "{residents} residents together."),
    "report.summary_robust": ("{robust} der {flagged} gekennzeichneten {units} bleiben es in "
                              "mindestens 95 % der geprüften Methodenvarianten.",
                              "{robust} of the {flagged} flagged {units} stay flagged in at least "
                              "95 % of the method variants tested."),
    "report.summary_top": ("An erster Stelle steht {name} ({group}): {reason}.",
                           "First comes {name} ({group}): {reason}."),
    "report.method": ("So wurde vorgegangen", "How it was done"),
    "report.method_units": ("Grundlage sind die {n} {units} ({city}) mit den Indikatoren {ind}.",
                            "The basis are the {n} {units} ({city}) with the indicators {ind}."),
    "report.method_index": ("Jeder Indikator wird über die bewerteten {units} standardisiert "
                            "(Mittel 0, Standardabweichung 1); die Summe der z-Werte, erneut "
                            "standardisiert, ist der {index}. Je höher der Wert, desto ungünstiger "
                            "die Lage.",
                            "Each indicator is standardised over the scored {units} (mean 0, "
                            "standard deviation 1); the sum of the z-values, standardised again, "
                            "is the {index}. The higher the value, the less favourable."),
    "report.method_classes": ("Klassen des {index}: {classes}.", "Classes of the {index}: {classes}."),
    "report.method_class_upto": ("{label} bis {value}", "{label} up to {value}"),
    "report.method_class_above": ("{label} über {value}", "{label} above {value}"),
    "report.method_dynamics": ("Der {name} misst die Veränderung ({ind}) in derselben Weise; "
                               "Klassen: {classes}.",
                               "The {name} measures the change ({ind}) the same way; classes: "
                               "{classes}."),
    "report.method_min": ("{units} mit weniger als {n} Einwohnern werden nicht bewertet ({count} "
                          "{units}).",
                          "{units} with fewer than {n} residents are not scored ({count} {units})."),
    "report.method_flag": ("Gekennzeichnet ist, wer in der Statusklasse {classes} liegt.",
                           "A unit is flagged when its status class is {classes}."),
    "report.method_priority": ("Die Rangfolge ergibt sich aus einem Prioritätswert: {ws} × "
                               "Status-Index + {wd} × Dynamik-Index + {wh} für einen Hot Spot + "
                               "{wr} je überschrittenem Grenzwert.",
                               "The ranking follows a priority score: {ws} × status index + {wd} "
                               "× dynamics index + {wh} for a hot spot + {wr} per threshold "
                               "passed."),
    "report.method_rules": ("Grenzwerte: {rules}.", "Thresholds: {rules}."),
    "report.rule_absolute_above": ("ab {v}", "from {v}"),
    "report.rule_absolute_below": ("bis {v}", "up to {v}"),
    "report.rule_sd_above": ("ab Mittel + {v} Standardabweichungen",
                             "from mean + {v} standard deviations"),
    "report.rule_sd_below": ("bis Mittel − {v} Standardabweichungen",
                             "up to mean − {v} standard deviations"),
    "report.rule_quantile_above": ("ab dem {v}-%-Quantil", "from the {v} % quantile"),
    "report.rule_quantile_below": ("bis zum {v}-%-Quantil", "up to the {v} % quantile"),
    "report.method_hotspots": ("Hot Spots: Häufung ungünstiger Werte bei den Nachbarn (Getis-Ord "
                               "Gi*, {perm} Permutationen, Falscherkennungsrate {fdr}).",
                               "Hot spots: unfavourable values clustered with the neighbours "
                               "(Getis-Ord Gi*, {perm} permutations, false discovery rate {fdr})."),
    "report.method_areas": ("Aktionsräume: zusammenhängende Gruppen gekennzeichneter {units} mit "
                            "{min} bis {max} Einwohnern; eine nicht gekennzeichnete Einheit darf "
                            "eine Lücke schließen.",
                            "Action areas: contiguous groups of flagged {units} with {min} to {max} "
                            "residents; an unflagged unit may close a gap."),
    "report.method_access": ("Erreichbarkeit: Fußweg vom Wohnort der Einwohner zur nächsten "
                             "Einrichtung, geschätzt als Luftlinie × {detour} (Umwegfaktor).",
                             "Access: walk from where residents live to the nearest facility, "
                             "estimated as the straight line × {detour} (detour factor)."),
    "report.method_robust": ("Wie sicher die Rangfolge ist, zeigt Abschnitt „{title}“.",
                             "How certain the ranking is: section “{title}”."),
    "report.top": ("Die {n} {units} mit der höchsten Priorität", "The {n} {units} of highest priority"),
    "report.top_lead": ("Gründe in Worten; der Name führt zum Quartiersprofil.",
                        "Reasons in words; the name leads to the quarter profile."),
    "report.by_group": ("Gekennzeichnete {units} nach {group}", "Flagged {units} by {group}"),
    "report.by_group_n": ("gekennzeichnet", "flagged"),
    "report.by_group_top": ("davon unter den ersten {n}", "of them among the first {n}"),
    "report.by_group_residents": ("Einwohner dort", "residents there"),
    "report.by_group_areas": ("Aktionsräume", "action areas"),
    "report.robustness": ("Wie belastbar ist die Rangfolge?", "How robust is the ranking?"),
    "report.areas_title": ("Aktionsräume", "Action areas"),
    "report.areas_lead": ("Zusammenhängende Gruppen gekennzeichneter {units}; der Name führt zum "
                          "Profil des Aktionsraums.",
                          "Contiguous groups of flagged {units}; the name leads to the profile of "
                          "the action area."),
    "report.distributions": ("Verteilung der Indikatoren", "Distribution of the indicators"),
    "report.distributions_lead": ("Anzahl der {units} je Wertebereich; rote Linien: Klassengrenzen "
                                  "des Index.",
                                  "Number of {units} per range of values; red lines: class limits "
                                  "of the index."),
    "report.access": ("Erreichbarkeit", "Access"),
    "report.access_lead": ("Median über die {units}: geschätzter Fußweg zur nächsten Einrichtung und "
                           "Anteil der Einwohner, die sie in gutem Fußweg erreichen.",
                           "Median over the {units}: estimated walk to the nearest facility and "
                           "share of the residents within a good walk."),
    "report.access_cat": ("Einrichtung", "Facility"),
    "report.access_walk": ("Fußweg (Median)", "Walk (median)"),
    "report.access_good": ("guter Fußweg bis", "good walk up to"),
    "report.access_share": ("Einwohner im guten Fußweg (Median)", "Residents within a good walk (median)"),
    "report.gaps_title": ("Baulückenkataster", "Building gap cadastre"),
    "report.gaps_lead": ("Kandidaten aus Gebäuden, Straßen und Landnutzung, zur Prüfung im "
                         "Baulückenkataster (quartier gaps serve).",
                         "Candidates from buildings, streets and land use, to be reviewed in the "
                         "gap cadastre (quartier gaps serve)."),
    "report.gaps_n": ("Anzahl", "Number"),
    "report.gaps_area": ("Fläche zusammen", "Total area"),
    "report.sites_title": ("Vorgeschlagene Standorte für Unterbringung", "Proposed housing sites"),
    "report.sites_illustrative": ("Die Beispielstandorte sind illustrativ, keine realen "
                                  "Grundstücke: die Auswahl zeigt das Verfahren, keine Empfehlung.",
                                  "The example sites are illustrative, not real plots: the "
                                  "selection shows the method, not a recommendation."),
    "report.sites_lead": ("{housed} von {people} Personen an {n} Standorten untergebracht.",
                          "{housed} of {people} people housed at {n} sites."),
    "report.series": ("Entwicklung über die Zeit", "Development over time"),
    "report.series_city": ("Stadt (Median der {units})", "City (median of the {units})"),
    "report.series_total": ("Stadt (Summe)", "City (total)"),
    "report.series_source": ("Quelle: {source}", "Source: {source}"),
    "report.series_min": ("nur {units} mit mindestens {n} Fällen", "only {units} with at least {n} cases"),
    "report.targets": ("Zielerreichung (Stadt)", "Targets (city)"),
    "report.targets_lead": ("Je Jahr: erreicht (✓) oder verfehlt (✗), mit dem gemessenen Wert.",
                            "Per year: met (✓) or missed (✗), with the measured value."),
    "report.target_met": ("✓ erreicht", "✓ met"),
    "report.target_missed": ("✗ verfehlt", "✗ missed"),
    "report.target_rule_change_pct": ("Ziel: Änderung {op} {target} % je Jahr",
                                      "target: change {op} {target} % a year"),
    "report.target_rule_change_abs": ("Ziel: Änderung {op} {target} je Jahr",
                                      "target: change {op} {target} a year"),
    "report.target_rule_level": ("Ziel: Wert {op} {target}", "target: value {op} {target}"),
    "report.notes": ("Hinweise zu Daten und Methode", "Notes on the data and the method"),
    "report.notes_lead": ("Rückfallregeln und Warnungen dieses Laufs.",
                          "Fallbacks and warnings of this run."),
    "report.join": ("Zuordnung der Tabellen", "How the tables were joined"),
    "report.unmatched": ("Nicht zugeordnete Schlüssel (mit ähnlichen Namen)",
                         "Unmatched keys (with similar names)"),
    "report.clusters": ("Cluster (explorativ)", "Clusters (exploratory)"),
    "report.clusters_lead": ("KMeans k = {k} (Silhouette {sil}, Bootstrap-ARI {ari}); {n} Einheiten "
                             "ohne vollständige Kontextindikatoren. Explorativ: die Kennzeichnung "
                             "folgt dem Index.",
                             "KMeans k = {k} (silhouette {sil}, bootstrap ARI {ari}); {n} units "
                             "without complete context indicators. Exploratory: flags follow the "
                             "index."),
    "report.validation": ("Aktionsräume gegen die einfache Zusammenfassung",
                          "Action areas against the simple grouping"),
    "report.validation_cls": ("{units} „{cls}“ enthalten", "{units} '{cls}' inside"),
    "report.validation_median": ("Einwohner je Raum (Median)", "residents per area (median)"),
    "report.validation_max": ("Einwohner je Raum (höchstens)", "residents per area (largest)"),
    "report.validation_comp": ("Kompaktheit (Median)", "compactness (median)"),
    "report.validation_quartier": ("Aktionsräume (quartier)", "action areas (quartier)"),
    "report.validation_baseline": ("Baseline: benachbarte gekennzeichnete Einheiten",
                                   "baseline: neighbouring flagged units"),
    "report.side_units": ("nur in den Einheiten", "only in the units"),
    "report.side_table": ("nur in der Tabelle", "only in the table"),
    "report.more_rows": ("{shown} von {n} Zeilen gezeigt", "{shown} of {n} rows shown"),
    "figure.key_access": ("Einwohner bis {dist} Fußweg zu {category}",
                          "Residents within {dist} walk of {category}"),
}

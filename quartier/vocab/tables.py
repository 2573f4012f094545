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
    "sites.nearest": ("{label} {dist} Fußweg", "{label} {dist} walk"),
    # residents (io/population.py)
    "population.grid": ("Einwohner aus dem Zensus-Gitter {file} ({n} bewohnte Zellen, je Zelle "
                        "ihr Mittelpunkt)",
                        "residents from the census grid {file} ({n} populated cells, each at "
                        "its centre)"),
    "population.relative": ("Raster {file} ist eine relative Oberfläche: auf {total} Einwohner "
                            "skaliert",
                            "raster {file} is a relative surface: scaled to {total} residents"),
    "population.column": ("{column}: Einwohner je Einheit aus {source}",
                          "{column}: residents per unit from {source}"),
    "population.empty": ("{n} Einheit(en) ohne Einwohner in der Bevölkerungsquelle: {ids}",
                         "{n} unit(s) without residents in the population source: {ids}"),
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
}

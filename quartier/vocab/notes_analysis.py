"""The notes of the analysis and flag layers as (de, en) pairs (merged into
:data:`quartier.vocab.notes.NOTES`): what flagging, clustering, hot spots, robustness and the
site plan say when they fall back or skip something."""

from __future__ import annotations

#: Notes of the analysis layer → (de, en).
NOTES_ANALYSIS: dict[str, tuple[str, str]] = {
    # flagging (pipeline/flag.py)
    "flag.dynamics_not_adjusted": ("bereinigte Dynamik nicht berechnet: {why}",
                                   "adjusted dynamics not computed: {why}"),
    "flag.sign_flip_pp": ("Dynamik in Prozentpunkten (amtlich); bereinigt um die vom "
                          "Ausgangsniveau erwartete Veränderung ({fit}, Steigung in "
                          "Prozentpunkten je Prozentpunkt Ausgangsniveau: {slopes}): bei {share} % "
                          "der bewerteten Einheiten kehrt sich das Vorzeichen des Dynamik-Index um",
                          "dynamics in percentage points (official); adjusted for the change "
                          "expected from the starting level ({fit}, slope in percentage points per "
                          "percentage point of starting level: {slopes}): the sign of the dynamics "
                          "index flips for {share} % of the scored units"),
    "flag.sign_flip_residual": ("Dynamik bereinigt um die vom Ausgangsniveau erwartete "
                                "Veränderung ({fit}, Steigung in Prozentpunkten je Prozentpunkt "
                                "Ausgangsniveau: {slopes}): bei {share} % der bewerteten Einheiten "
                                "kehrt sich das Vorzeichen des Dynamik-Index um; die bereinigte "
                                "Dynamik ist der Dynamik-Index (die Prozentpunkte in "
                                "dynamics_index_pp)",
                                "dynamics adjusted for the change expected from the starting level "
                                "({fit}, slope in percentage points per percentage point of "
                                "starting level: {slopes}): the sign of the dynamics index flips "
                                "for {share} % of the scored units; the adjusted dynamics are the "
                                "dynamics index (the percentage points in dynamics_index_pp)"),
    "flag.analytic_p": ("Hot Spots und LISA nach analytischen p-Werten (Normalapproximation, {n} "
                        "getestete Einheiten): {permutations} Permutationen sind für den "
                        "FDR-Schnitt zu grob (Spalten *_p_sim: Permutations-p-Werte)",
                        "hot spots and LISA by analytic p-values (normal approximation, {n} units "
                        "tested): {permutations} permutations are too coarse for the FDR cut "
                        "(columns *_p_sim: permutation p-values)"),
    "flag.untestable": ("kein Hot-Spot-Test möglich für {n} Einheiten ({reasons}): sie sind weder "
                        "Hot noch Cold Spot",
                        "no hot-spot test possible for {n} units ({reasons}): they are neither a "
                        "hot nor a cold spot"),
    "flag.regions": ("Regionen {regions}", "regions {regions}"),
    "flag.no_screening": ("Screening auf Einzeleinrichtungen nicht möglich: keine Einwohnerspalte "
                          "(population_column)",
                          "no screening for single facilities: the config names no population "
                          "column (population_column)"),
    # clusters (analysis/clusters.py)
    "clusters.regions_ward": ("Ward mit Nachbarschaft (zusammenhängend)",
                              "Ward with contiguity (connected regions)"),
    "clusters.regions_skipped": ("nicht berechnet: {n} Einheiten > {cap} (Ward mit Nachbarschaft "
                                 "braucht quadratische Zeit); region = -1",
                                 "not computed: {n} units > {cap} (Ward with contiguity takes "
                                 "quadratic time); region = -1"),
    "clusters.sample": ("k gewählt auf einer Stichprobe von {n} Einheiten (seed {seed})",
                        "k chosen on a sample of {n} units (seed {seed})"),
    "clusters.all_units": ("alle Einheiten", "all units"),
    # hot spots (analysis/hotspots.py): why a unit is not tested
    "hotspots.few_units": ("nur {n} Einheiten mit Nachbarn (mindestens {min})",
                           "only {n} units with neighbours (at least {min})"),
    "hotspots.few_sets": ("nur {sets} mögliche Nachbarmengen bei {permutations} Permutationen",
                          "only {sets} possible sets of neighbours for {permutations} "
                          "permutations"),
    # the index (analysis/indicators.py, analysis/priority.py)
    "index.population_unchecked": ("Mindesteinwohnerzahl {min} nicht geprüft: die Konfiguration "
                                   "nennt keine Einwohnerspalte (population_column)",
                                   "minimum population {min} not checked: the config names no "
                                   "population column (population_column)"),
    "index.count_indicator": ("Index-Indikator {name} ist eine Anzahl, kein Anteil: er misst die "
                              "Größe eines Quartiers, nicht seinen Bedarf — besser ein Anteil "
                              "([[derive]] ratio mit der Einwohnerzahl)",
                              "index indicator {name} is a count, not a share: it measures the "
                              "size of a quarter, not its need — better use a share ([[derive]] "
                              "ratio to the population)"),
    "index.repeated": ("{n} Einheiten tragen dieselben Werte aller Index-Indikatoren wie ein "
                       "Nachbar ({groups}): Werte einer gröberen Ebene? Wiederholte Werte machen "
                       "Nachbarn gleich und blähen Hot Spots und Cluster auf",
                       "{n} units carry the same values of all index indicators as a neighbour "
                       "({groups}): values of a coarser level? Repeated values make neighbours "
                       "alike and inflate hot spots and clusters"),
    # the site plan (analysis/sites.py)
    "sites.capacity_full": ("Standortkapazität voll bei {n} Standort(en)",
                            "site capacity used up at {n} site(s)"),
    # robustness of the ranking (analysis/robustness.py)
    "robustness.varied": ("Robustheit der Rangfolge: {n} Varianten (seed {seed}); variiert: "
                          "{varied}; Rangintervall = 5.–95. Perzentil; Liste = die ersten {top} "
                          "Ränge",
                          "robustness of the ranking: {n} variants (seed {seed}); varied: "
                          "{varied}; rank interval = 5th–95th percentile; list = the first {top} "
                          "ranks"),
    "robustness.nothing_varied": ("nichts (alle Wahlen fest)", "nothing (every choice fixed)"),
    "robustness.fixed": ("Robustheit: {choice} {why}", "robustness: {choice} {why}"),
    "robustness.skipped": ("Robustheit: {choice} übersprungen ({why})",
                           "robustness: {choice} skipped ({why})"),
    "robustness.no_rank_change": ("Robustheit: die Ränge ändern sich in keiner Variante; Anteile "
                                  "an der Rangvarianz nicht definiert (leer)",
                                  "robustness: no variant changes a rank; the shares of the rank "
                                  "variance are undefined (empty)"),
    # quality of monitoring values (analysis/monitor.py, column quality_flag)
    "monitor.missing_in_source": ("fehlt in der Quelle", "missing in the source"),
    "monitor.few_cases": ("zu wenige Fälle (n={n} < {min}; Wert {value})",
                          "too few cases (n={n} < {min}; value {value})"),
    "monitor.no_cases": ("keine Fälle", "no cases"),
    "monitor.invalid": ("ungültig (≤ 0): {value}", "invalid (≤ 0): {value}"),
    "monitor.interpolated": ("interpoliert aus {n} alten Einheiten (bevölkerungsgewichtet)",
                             "interpolated from {n} old units (population-weighted)"),
    "monitor.year_absent": ("Jahr fehlt für diese Einheit", "year missing for this unit"),
    # gap candidates, the rule in words (analysis/gaps.py, column rule)
    "gaps.block": ("{rule}: offene Blockfläche ({area} m²), {frontage} m Straßenfront, Tiefe "
                   "{depth} m, {n} Hauptgebäude ≤ {neighbour} m, Rand zu Gebäuden {edge}",
                   "{rule}: open block area ({area} m²), {frontage} m of street frontage, depth "
                   "{depth} m, {n} main buildings ≤ {neighbour} m, edge on buildings {edge}"),
    "gaps.green": (", Grünanteil {share}", ", green share {share}"),
    "gaps.parcel": ("{rule}: Flurstück {area} m², Überbauung {cover} (Nachbarn {neighbours}), {n} "
                    "bebaute Nachbarflurstücke",
                    "{rule}: parcel {area} m², built-up {cover} (neighbours {neighbours}), {n} "
                    "built-up neighbouring parcels"),
}

"""The files a committee reads: tables, maps, the report and the quarter profiles of a run."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from quartier.analysis import areas as areas_mod
from quartier.analysis import monitor as monitor_mod
from quartier.analysis import robustness as robustness_mod
from quartier.analysis.sites import SitesResult
from quartier.config import QuartierConfig
from quartier.errors import ConfigError
from quartier.io.escape import html_text, safe_filename
from quartier.io.joinreport import JoinReport
from quartier.io.outputs import (
    write_csv,
    write_gpkg,
    write_table,
)
from quartier.outputs import maps
from quartier.outputs import report as report_mod
from quartier.outputs import robustness as robustness_out
from quartier.pipeline.flag import FlagResult
from quartier.pipeline.results import AccessResult, GapsResult, MonitorResult
from quartier.pipeline.steps import read_cadastre


def write_flags(result: FlagResult, out: Path) -> list[Path]:
    """priority.csv/.xlsx/.gpkg (contract columns first, by rank), clusters and targets tables."""
    table = result.table.sort_values("priority_rank", na_position="last", kind="stable")
    files = write_table(table, out / "priority.csv")
    files.append(write_gpkg(table, out / "priority.gpkg", "priority"))
    if result.clusters is not None:
        prof = result.clusters.profiles.rename_axis("cluster").reset_index()
        prof.insert(1, "cluster_name", prof["cluster"].map(result.clusters.names))
        files += write_table(prof, out / "cluster_profiles.csv")
        metrics = pd.DataFrame([result.clusters.metrics])
        files += write_table(metrics, out / "cluster_metrics.csv")
    if not result.targets.empty:
        files += write_table(result.targets, out / "targets_snapshot.csv")
    return files


def write_access(result: AccessResult, units: gpd.GeoDataFrame, out: Path) -> list[Path]:
    files = write_table(result.table, out / "access_units.csv")
    files += write_table(result.report.to_frame(), out / "poi_report.csv")
    if result.detour is not None:
        files += write_table(result.detour, out / "detour_factor.csv")
    files.append(write_gpkg(
        gpd.GeoDataFrame(result.table, geometry=units.geometry, crs=units.crs),
        out / "access.gpkg", "access_units"))
    return files


def write_areas(result: areas_mod.AreasResult, flags: FlagResult, units: gpd.GeoDataFrame,
                cfg: QuartierConfig, out: Path) -> list[Path]:
    """areas.csv/.xlsx/.gpkg and areas_validation.csv (areas against the simple baseline)."""
    files = write_table(result.areas, out / "areas.csv")
    files.append(write_gpkg(result.areas, out / "areas.gpkg", "areas"))
    lowest = cfg.index.status_labels[-1]
    files += write_table(areas_mod.validation(result, flags.table, units, lowest),
                         out / "areas_validation.csv")
    return files


def write_robustness(rob: robustness_mod.RobustnessResult, flags: FlagResult, out: Path
                     ) -> list[Path]:
    """robustness.csv (per unit, with the sentence of the profiles), robustness_choices.csv
    (per choice) and robustness_draws.csv (the choices of every draw), each with its xlsx."""
    per_unit = robustness_mod.unit_table(flags.table, rob)
    return (write_table(per_unit, out / "robustness.csv")
            + write_table(rob.choices, out / "robustness_choices.csv")
            + write_table(rob.draws, out / "robustness_draws.csv"))


def draw_maps(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult | None,
              acc: AccessResult | None, gap_result: GapsResult | None,
              site_result: SitesResult | None, out: Path, mon: MonitorResult | None = None
              ) -> list[Path]:
    """quartier_map.html (all layers) and, if configured, the indicator map."""
    labels = cfg.labels()
    if cfg.access is not None:
        labels.update({k: v.label for k, v in cfg.access.categories.items()})
    indicator = None
    if cfg.map is not None:
        if cfg.map.indicator not in units.columns:
            raise ConfigError(f"map.indicator {cfg.map.indicator!r} is not a loaded column")
        indicator = (cfg.map.indicator, labels.get(cfg.map.indicator, cfg.map.indicator))
    cadastre = read_cadastre(gap_result.store) if gap_result is not None else None
    fmap = maps.combined_map(units, flags.table if flags else None,
                             acc.table if acc else None, acc.pois if acc else None, cadastre,
                             site_result.table if site_result else None, indicator, labels,
                             cfg.city.language,
                             mon.signals if mon is not None and mon.signals is not None else None,
                             index_name=cfg.index.name if cfg.index is not None else None,
                             areas=flags.areas.areas if flags is not None and flags.areas else None)
    files = [maps.save(fmap, out / "quartier_map.html", f"quartier – {cfg.city.name}")]
    if indicator is not None:
        single = maps.choropleth(units, indicator[0], indicator[1], cfg.map.scheme, cfg.map.k)
        name = safe_filename(f"map_{indicator[0]}.html", "map.indicator")
        files.append(maps.save(single, out / name, indicator[1]))
    return files


def draw_report(cfg: QuartierConfig, units: gpd.GeoDataFrame, join: JoinReport,
                flags: FlagResult | None, acc: AccessResult | None, gap_result: GapsResult | None,
                site_result: SitesResult | None, out: Path, mon: MonitorResult | None = None,
                rob: robustness_mod.RobustnessResult | None = None) -> Path:
    """report.html: key figures, top 20 with reasons, rank robustness, distributions, join
    report, sources."""
    labels = cfg.labels()
    figures: dict[str, object] = {"Raumeinheiten": len(units)}
    sections: list[tuple[str, str]] = []
    if flags is not None:
        t = flags.table
        figures["bewertet"] = int(t["valid"].sum())
        for cls, n in t["status_class"].value_counts().items():
            figures[f"Status {cls}"] = int(n)
        figures["Hot Spots"] = int((t["hotspot"] == "Hot Spot").sum())
        figures["gekennzeichnet"] = int(t["flagged"].sum())
        top = t[t["priority_rank"].le(20).fillna(False)].sort_values("priority_rank")
        sections.append(("Die 20 Quartiere mit der höchsten Priorität", report_mod.table_html(
            top[["priority_rank", "unit_id", "unit_name", "status_class", "dynamics_class",
                 "hotspot", "reasons"]], 20)))
        if rob is not None:
            sections.append(("Wie belastbar ist die Rangfolge?",
                             robustness_out.report_html(flags.table, rob)))
        charts = [report_mod.histogram_svg(flags.table[r.name], labels.get(r.name, r.name))
                  for r in [*cfg.index.status, *cfg.index.dynamics] if r.name in flags.table]
        charts.append(report_mod.histogram_svg(t["status_index"], "Status-Index"))
        sections.append(("Verteilungen der Index-Indikatoren",
                         f'<div class="charts">{"".join(charts)}</div>'))
        if flags.clusters is not None:
            m = flags.clusters.metrics
            prof = flags.clusters.profiles.round(2).rename_axis("cluster").reset_index()
            prof.insert(1, "Profil", prof["cluster"].map(flags.clusters.names))
            sections.append(("Cluster (explorativ)", (
                f"<p>KMeans k={m['k_kmeans']} (Silhouette {m['silhouette_kmeans']:.2f}, "
                f"Bootstrap-ARI {m['stability_ari_mean']:.2f}); {m['n_not_clustered']} Einheiten "
                f"ohne vollständige Kontextindikatoren; {m['sample']}; Regionen: "
                f"{m['regions']}.</p>")
                + report_mod.table_html(prof[["cluster", "Profil", "n_units"]])))
    if flags is not None and flags.areas is not None:
        a = flags.areas
        figures["Aktionsräume"] = len(a.areas)
        cols = ["area_id", "area_name", "district", "n_members", "n_gap_closers", "residents",
                "mean_status_index", "share_flagged_pct", "dominant_reasons", "compactness"]
        sections.append(("Aktionsräume", report_mod.table_html(a.areas[cols], 100)
                         + "".join(f"<p class='note'>{html_text(n)}</p>" for n in a.notes)))
        sections.append(("Aktionsräume gegen die einfache Zusammenfassung", report_mod.table_html(
            areas_mod.validation(a, flags.table, units, cfg.index.status_labels[-1]))))
    if acc is not None:
        if acc.city_share_supermarkt_500m_pct is not None:
            figures["Einwohner ≤ 500 m Fußweg zum Supermarkt"] = (
                f"{acc.city_share_supermarkt_500m_pct:.1f} %")
        cats = [c[5:-2] for c in acc.table.columns if c.startswith("dist_")]
        summary = pd.DataFrame({"Kategorie": cats,
                                "Median Entfernung (m)": [acc.table[f"dist_{c}_m"].median()
                                                          for c in cats],
                                "Median Anteil im Fußweg (%)": [
                                    acc.table[f"share_within_{c}_pct"].median() for c in cats]})
        sections.append(("Erreichbarkeit", report_mod.table_html(summary)))
    if gap_result is not None:
        c = gap_result.candidates
        figures["Baulücken-Kandidaten"] = len(c)
        sections.append(("Baulückenkataster", report_mod.table_html(
            c.groupby("gap_type").agg(Anzahl=("gap_id", "size"), Fläche_m2=("area_m2", "sum"))
            .reset_index())))
    if site_result is not None:
        figures["untergebracht"] = f"{site_result.housed} / {site_result.people}"
        chosen = site_result.table[site_result.table["selected"]]
        sections.append(("Ausgewählte Standorte", report_mod.table_html(
            chosen[["site_id", "name", "places", "score", "unit_id", "reasons"]], 60)))
    if mon is not None:
        charts = []
        if mon.city_rent is not None:
            figures[f"Angebotsmiete {int(mon.city_rent.index.max())} (Median)"] = (
                f"{mon.city_rent.iloc[-1]:.2f} €/m²")
            series = pd.DataFrame({"Stadt (Median der PLR)": mon.city_rent})
            if flags is not None:
                top = flags.table.sort_values("priority_rank").head(4)
                rents = monitor_mod.wide(mon.long, cfg.monitor.rent_indicator)
                for uid, name in zip(top["unit_id"], top["unit_name"], strict=True):
                    if uid in rents.index:
                        series[str(name)] = rents.loc[uid]
            charts.append(report_mod.line_svg(series, "Angebotsmiete €/m² (IBB, n ≥ 21)"))
        for ind in mon.long["indicator"].unique():
            w = monitor_mod.wide(mon.long, ind)
            if w.shape[1] >= 3 and ind != (cfg.monitor.rent_indicator or ""):
                agg = w.sum() if (w.min().min() >= 0 and w.median().median() > 100) else w.median()
                charts.append(report_mod.line_svg(pd.DataFrame({ind: agg}), ind))
        sections.append(("Zeitreihen", f'<div class="charts">{"".join(charts)}</div>'
                         + "".join(f"<p class='note'>{html_text(n)}</p>" for n in mon.notes)))
        if not mon.targets.empty:
            matrix = (mon.targets[mon.targets["unit_id"] == "Stadt"]
                      .pivot_table(index="label", columns="year", values="status", aggfunc="first")
                      .reset_index())
            sections.append(("Zielerreichung (Stadt)", report_mod.table_html(matrix)))
    notes = join.warnings()
    if flags is not None:
        notes += flags.notes
    if acc is not None:
        notes += [*acc.notes, *acc.report.warnings]
    if site_result is not None:
        notes += site_result.warnings
    if notes:
        sections.insert(0, ("Hinweise: Rückfallregeln und Warnungen", "<ul>" + "".join(
            f"<li>{html_text(n)}</li>" for n in notes) + "</ul>"))
    sections.append(("Join-Bericht", report_mod.table_html(join.to_frame())))
    unmatched = join.unmatched_frame(units)
    if len(unmatched):
        sections.append(("Nicht zugeordnete Schlüssel (mit ähnlichen Namen)",
                         report_mod.table_html(unmatched, 500)))
    return report_mod.write_report(out / "report.html", cfg.city.name, figures, sections,
                                   cfg.city.sources)


def write_monitor(result: MonitorResult, out: Path) -> list[Path]:
    files = [write_csv(result.long, out / "monitoring.csv")]
    if not result.targets.empty:
        files += write_table(result.targets, out / "targets.csv")
    if result.signals is not None:
        files += write_table(result.signals, out / "housing_signals.csv")
    return files

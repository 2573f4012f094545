"""The whole job for one city: the functions the CLI and the notebooks call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier.analysis import access as access_mod
from quartier.analysis import areas as areas_mod
from quartier.analysis import monitor as monitor_mod
from quartier.analysis import network as network_mod
from quartier.analysis import robustness as robustness_mod
from quartier.analysis.gaps import GAP_COLUMNS, detect_gaps, read_gap_inputs
from quartier.analysis.sites import SitesResult, read_site_file, score_sites, select_sites, sites_from_gaps
from quartier.config import QuartierConfig
from quartier.errors import ConfigError
from quartier.io import population as population_mod
from quartier.io.escape import html_text, safe_filename
from quartier.io.joinreport import JoinReport
from quartier.io.outputs import (
    atomic_write,
    prepare_out_dir,
    write_csv,
    write_gpkg,
    write_gpkg_file,
    write_table,
)
from quartier.io.pois import PoiReport, load_pois
from quartier.io.readers import read_vector
from quartier.outputs import maps
from quartier.outputs import profiles as profiles_mod
from quartier.outputs import report as report_mod
from quartier.pipeline.check import require_loaded_columns
from quartier.pipeline.flag import FlagResult, flag_units
from quartier.pipeline.load import load_city
from quartier.review import store as review

#: Folder of the embedded data: ``data/`` in a checkout, ``quartier/_data`` in a wheel.
_HERE = Path(__file__).resolve().parents[1]   # the package folder (data/ beside it in a checkout)
DATA_DIR = next(
    (p for p in (_HERE / "_data", _HERE.parent / "data") if (p / "berlin").is_dir()),
    _HERE.parent / "data",
)
BERLIN_CONFIG = DATA_DIR / "berlin" / "quartier.toml"


@dataclass
class AccessResult:
    table: pd.DataFrame
    pois: gpd.GeoDataFrame
    report: PoiReport
    detour: pd.DataFrame | None
    city_share_supermarkt_500m_pct: float | None
    notes: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    units: gpd.GeoDataFrame
    report: JoinReport
    flags: FlagResult | None = None
    access: AccessResult | None = None
    files: list[Path] = field(default_factory=list)
    sites: SitesResult | None = None
    gaps: GapsResult | None = None
    monitor: MonitorResult | None = None
    robustness: robustness_mod.RobustnessResult | None = None


def write_flags(result: FlagResult, out: Path) -> list[Path]:
    """priority.csv/.xlsx/.gpkg (contract columns first), clusters and targets tables."""
    table = result.table
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


def compute_access(cfg: QuartierConfig, units: gpd.GeoDataFrame,
                   say: Callable[[str], None] | None = None) -> AccessResult:
    """POIs, residents' access per unit and, where a street network is configured, the measured
    detour factor (network vs straight line) for the residents inside the network's area."""
    say = say or (lambda _msg: None)
    if cfg.access is None:
        raise ConfigError("the config has no [access] section")
    say("reading POI layers")
    pois, poi_report = load_pois(cfg, units)
    origins = None
    if cfg.access.population_raster is not None:
        say("residents from the population raster")
        origins = population_mod.raster_origins(cfg.resolve(cfg.access.population_raster), units)
    elif cfg.population is not None:
        say("residents from the population source")
        origins = population_mod.residents(cfg, units).origins
    say("nearest distances per category")
    table = access_mod.access_units(units, pois, cfg.access, origins)
    detour = None
    if cfg.access.network_path is not None:
        say("walking network: calibrating the detour factor")
        streets = network_mod.read_osm_streets(cfg.resolve(cfg.access.network_path), cfg.city.crs,
                                               cfg.access.network_layer,
                                               cfg.access.network_highway_column)
        graph = network_mod.build_graph(streets)
        area = streets.geometry.union_all().convex_hull.buffer(-200)
        if origins is not None:
            pool = origins
        else:
            rep = units.representative_point()
            pool = pd.DataFrame({"x": rep.x, "y": rep.y})
        inside = shapely.contains_xy(area, pool["x"].to_numpy(), pool["y"].to_numpy())
        near = pois[shapely.contains_xy(area.buffer(1000), *shapely.get_coordinates(
            pois.geometry.values).T)]
        detour = network_mod.compare_with_straight_line(
            graph, pool.loc[inside, ["x", "y"]].to_numpy(), near)
    share = None
    if origins is not None and "supermarkt" in cfg.access.categories:
        share = access_mod.city_share_within(origins, pois, "supermarkt", 500.0,
                                             cfg.access.detour_factor)
    per_unit = table["access_notes"].str.split("; ").explode()
    notes = [f"{n} Einheit(en): {text}" for text, n in per_unit[per_unit != ""].value_counts().items()]
    return AccessResult(table=table, pois=pois, report=poi_report, detour=detour,
                        city_share_supermarkt_500m_pct=share, notes=notes)


def write_access(result: AccessResult, units: gpd.GeoDataFrame, out: Path) -> list[Path]:
    files = write_table(result.table, out / "access_units.csv")
    files += write_table(result.report.to_frame(), out / "poi_report.csv")
    if result.detour is not None:
        files += write_table(result.detour, out / "detour_factor.csv")
    files.append(write_gpkg(
        gpd.GeoDataFrame(result.table, geometry=units.geometry, crs=units.crs),
        out / "access.gpkg", "access_units"))
    return files


def access(cfg: QuartierConfig, out_dir: str | Path, progress: Callable[[str], None] | None = None
           ) -> tuple[RunResult, AccessResult]:
    """Load the units, compute walking access per unit; write access_units.csv and friends."""
    say = progress or (lambda _msg: None)
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    result = compute_access(cfg, units, say)
    files = write_access(result, units, out)
    return RunResult(units=units, report=report, files=files), result


ACCESS_PREFIXES = ("dist_", "share_within_", "access_score")


def compute_flags(cfg: QuartierConfig, units: gpd.GeoDataFrame, say: Callable[[str], None]
                  ) -> FlagResult:
    """Index, flag and priority (with the monitoring series where the dynamics use them), and
    the action areas where the config has [areas] (their ids join the priority table)."""
    series = None
    if any(r.series for r in [*cfg.index.status, *cfg.index.dynamics]):
        if cfg.monitor is None:
            raise ConfigError("an index indicator uses a series, but the config has no [monitor]")
        say("time series for the dynamics")
        series, _ = monitor_mod.build_monitoring(cfg, units)
    say(f"index, thresholds, clusters, hot spots ({cfg.flag.permutations} permutations)")
    flags = flag_units(units, cfg, series)
    if cfg.areas is not None:
        say("action areas (region growing over the contiguity graph)")
        flags.areas = areas_mod.build_areas(units, flags.table.sort_index(),
                                            units[cfg.population_column], cfg.areas, cfg.labels())
        flags.table = flags.table.join(flags.areas.membership[["area_id", "area_role"]])
    return flags


def write_areas(result: areas_mod.AreasResult, flags: FlagResult, units: gpd.GeoDataFrame,
                cfg: QuartierConfig, out: Path) -> list[Path]:
    """areas.csv/.xlsx/.gpkg and areas_validation.csv (areas against the simple baseline)."""
    files = write_table(result.areas, out / "areas.csv")
    files.append(write_gpkg(result.areas, out / "areas.gpkg", "areas"))
    lowest = cfg.index.status_labels[-1]
    files += write_table(areas_mod.validation(result, flags.table, units, lowest),
                         out / "areas_validation.csv")
    return files


def areas(cfg: QuartierConfig, out_dir: str | Path, progress: Callable[[str], None] | None = None
          ) -> RunResult:
    """Load, flag and propose the action areas: DIR/areas.csv (+ .xlsx, .gpkg) and
    areas_validation.csv."""
    say = progress or (lambda _msg: None)
    if cfg.areas is None or cfg.index is None:
        raise ConfigError("`quartier areas` needs the [index] and [areas] sections")
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    flags = compute_flags(cfg, units, say)
    files = write_flags(flags, out) + write_areas(flags.areas, flags, units, cfg, out)
    return RunResult(units=units, report=report, flags=flags, files=files)


def compute_robustness(cfg: QuartierConfig, flags: FlagResult, say: Callable[[str], None]
                       ) -> robustness_mod.RobustnessResult:
    """How robust each rank is (:mod:`quartier.robustness`): the per-unit columns join the
    priority table (``rank_median``, ``rank_p05``, ``rank_p95``, ``flagged_share_pct``, …), the
    notes the flag notes."""
    ix, p = cfg.index, cfg.priority
    say(f"robustness of the ranking ({p.robustness_draws:,} variants, seed {p.robustness_seed})")
    rob = robustness_mod.robustness_of_table(
        flags.table, status=[(r.name, r.weight * r.sign) for r in ix.status],
        status_thresholds=ix.status_thresholds, status_labels=ix.status_labels,
        flag_classes=p.flag_classes if p.flag_classes is not None else ix.status_labels[-2:],
        weights={w: getattr(p, f"{w}_weight") for w in robustness_mod.WEIGHTS},
        ranges={w: p.weight_range(w) for w in robustness_mod.WEIGHTS},
        dynamics=[(r.name, r.weight * r.sign) for r in ix.dynamics],
        dynamics_thresholds=ix.dynamics_thresholds, dynamics_measure=ix.dynamics_method,
        flag_attention=p.flag_attention, flag_min_rules=p.flag_min_rules,
        flag_top_pct=p.flag_top_pct, labels=cfg.labels(), vary=p.robustness_vary,
        draws=p.robustness_draws, seed=p.robustness_seed, ddof=ix.ddof)
    flags.table = flags.table.join(rob.units[robustness_mod.UNIT_COLUMNS])
    flags.notes += rob.notes
    return rob


def write_robustness(rob: robustness_mod.RobustnessResult, flags: FlagResult, out: Path
                     ) -> list[Path]:
    """robustness.csv (per unit, with the sentence of the profiles), robustness_choices.csv
    (per choice) and robustness_draws.csv (the choices of every draw), each with its xlsx."""
    per_unit = robustness_mod.unit_table(flags.table, rob)
    return (write_table(per_unit, out / "robustness.csv")
            + write_table(rob.choices, out / "robustness_choices.csv")
            + write_table(rob.draws, out / "robustness_draws.csv"))


def robustness(cfg: QuartierConfig, out_dir: str | Path,
               progress: Callable[[str], None] | None = None) -> RunResult:
    """Load, flag, re-rank under the variants of ``[priority]``: priority.csv with the rank
    intervals, robustness.csv, robustness_choices.csv, robustness_draws.csv."""
    say = progress or (lambda _msg: None)
    if cfg.index is None:
        raise ConfigError("`quartier robustness` needs the [index] section")
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    flags, acc = flag_with_access(cfg, units, say)
    rob = compute_robustness(cfg, flags, say)
    files = write_flags(flags, out) + write_robustness(rob, flags, out)
    if acc is not None:
        files += write_access(acc, units, out)
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files,
                     robustness=rob)


def flag_with_access(cfg: QuartierConfig, units: gpd.GeoDataFrame, say: Callable[[str], None]
                     ) -> tuple[FlagResult, AccessResult | None]:
    """Flag the units; where the config has [access], the priority list gains the access columns."""
    acc = compute_access(cfg, units, say) if cfg.access is not None else None
    flags = compute_flags(cfg, units, say)
    if acc is not None:
        cols = [c for c in acc.table.columns if c.startswith(ACCESS_PREFIXES)]
        flags.table = flags.table.join(acc.table[cols])
    return flags, acc


def flag(cfg: QuartierConfig, out_dir: str | Path, progress: Callable[[str], None] | None = None
         ) -> RunResult:
    """Load, compute the index, flag and rank the units; write priority.csv and friends."""
    say = progress or (lambda _msg: None)
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    flags, acc = flag_with_access(cfg, units, say)
    files = write_flags(flags, out)
    if acc is not None:
        files += write_access(acc, units, out)
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files)


def run(
    cfg: QuartierConfig, out_dir: str | Path, progress: Callable[[str], None] | None = None,
    people: int | None = None,
) -> RunResult:
    """Everything the config describes: join, access, flag, gaps, sites, maps and the report."""
    say = progress or (lambda _msg: None)
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    files = write_table(units, out / "units.csv")
    files += write_table(report.to_frame(), out / "join_report.csv")
    files += write_table(report.unmatched_frame(units), out / "join_unmatched.csv")
    flags, acc, site_result, gap_result, rob = None, None, None, None, None
    if cfg.index is not None:
        flags, acc = flag_with_access(cfg, units, say)
        rob = compute_robustness(cfg, flags, say)
        files += write_flags(flags, out) + write_robustness(rob, flags, out)
        if flags.areas is not None:
            files += write_areas(flags.areas, flags, units, cfg, out)
    elif cfg.access is not None:
        acc = compute_access(cfg, units, say)
    if acc is not None:
        files += write_access(acc, units, out)
    if cfg.gaps is not None:
        gap_result = gaps(cfg, out, None, progress=say)
        files += gap_result.files
    if cfg.sites is not None:
        site_result, more = select_sites_for(cfg, units, flags, acc, people or cfg.sites.people,
                                             out, gap_result, say)
        files += more
    mon = None
    if cfg.monitor is not None:
        status = flags.table.sort_index()["status_class"] if flags is not None else None
        mon = compute_monitor(cfg, units, status, say)
        files += write_monitor(mon, out)
    say("drawing the maps")
    files += draw_maps(cfg, units, flags, acc, gap_result, site_result, out, mon)
    if flags is not None:
        ctx = profile_context(cfg, units, flags, acc,
                              read_cadastre(gap_result.store) if gap_result else None,
                              site_result.table if site_result else None,
                              mon.long if mon is not None else None)
        chosen = select_profiles(units, ctx.table, None, False)
        if len(chosen) > MAX_RUN_PROFILES:
            # a census grid flags thousands of cells: a page each would take most of the run
            rank = ctx.table["priority_rank"].to_numpy(dtype="float64", na_value=np.inf)
            chosen = sorted(chosen, key=lambda i: rank[i])[:MAX_RUN_PROFILES]
            say(f"quarter profiles of the {MAX_RUN_PROFILES} highest-priority of "
                f"{int(ctx.table['flagged'].sum()):,} flagged units (all: quartier profile CONFIG "
                "--flagged) and the action areas")
        else:
            say("quarter profiles of the flagged units and the action areas")
        files += profiles_mod.write_profiles(ctx, chosen, out / "profiles")
    files.append(draw_report(cfg, units, report, flags, acc, gap_result, site_result, out, mon,
                             rob))
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files,
                     sites=site_result, gaps=gap_result, monitor=mon, robustness=rob)


def profile_context(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult,
                    acc: AccessResult | None = None, cadastre: gpd.GeoDataFrame | None = None,
                    sites: gpd.GeoDataFrame | None = None, series: pd.DataFrame | None = None
                    ) -> profiles_mod.ProfileContext:
    """What the quarter profiles draw on, from the results of a run."""
    table = flags.table.sort_index()
    if cfg.population_column:
        table = table.assign(_residents=units[cfg.population_column])
    labels = cfg.labels()
    access_labels = {k: v.label for k, v in cfg.access.categories.items()} if cfg.access else {}
    return profiles_mod.ProfileContext(
        units=units, table=table, labels=labels, city=cfg.city.name, index_name=cfg.index.name,
        index_columns=list(dict.fromkeys(r.name for r in [*cfg.index.status, *cfg.index.dynamics])),
        sources=cfg.city.sources, access=acc.table if acc is not None else None,
        access_labels=access_labels, cadastre=cadastre, sites=sites, series=series,
        areas=flags.areas.areas if flags.areas is not None else None)


def profiles(cfg: QuartierConfig, out_dir: str | Path, unit_ids: list[str] | None = None,
             every: bool = False, store: str | Path | None = None, pdf: bool = False,
             progress: Callable[[str], None] | None = None) -> RunResult:
    """Quarter profiles: DIR/profiles/index.html and one page per unit (the given ids, all, or
    by default the flagged units) and per action area; PDFs with ``pdf`` where Chromium is
    installed. ``store``: a review store whose gap candidates the pages show."""
    say = progress or (lambda _msg: None)
    if cfg.index is None:
        raise ConfigError("profiles need the [index] section")
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    flags, acc = flag_with_access(cfg, units, say)
    compute_robustness(cfg, flags, say)   # the rank interval of every page
    series = None
    if cfg.monitor is not None:
        say("time series for the history")
        series, _ = monitor_mod.build_monitoring(cfg, units)
    cadastre = read_cadastre(store) if store else None
    ctx = profile_context(cfg, units, flags, acc, cadastre, None, series)
    positions = select_profiles(units, ctx.table, unit_ids, every)
    say(f"writing {len(positions)} unit profiles")
    files = profiles_mod.write_profiles(ctx, positions, out / "profiles", with_areas=not unit_ids)
    if pdf:
        say("printing the profiles to PDF (headless Chromium)")
        files += profiles_mod.print_pdf(files)
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files)


#: `run` writes profiles of at most this many flagged units (the highest priority first).
MAX_RUN_PROFILES = 500


def select_profiles(units: gpd.GeoDataFrame, table: pd.DataFrame, unit_ids: list[str] | None,
                    every: bool) -> list[int]:
    """Row positions of the units to profile: the ids given, every unit, or the flagged ones."""
    if unit_ids:
        unknown = sorted(set(unit_ids) - set(units["unit_id"]))
        if unknown:
            raise ConfigError(f"unit ids {unknown[:10]} are not among the units")
        return [int(i) for i in np.flatnonzero(units["unit_id"].isin(unit_ids))]
    if every:
        return list(range(len(units)))
    return [int(i) for i in np.flatnonzero(table["flagged"].fillna(False).to_numpy(dtype=bool))]


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
    fmap = maps.combined_map(units, flags.table.sort_index() if flags else None,
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
                             robustness_mod.report_html(flags.table, rob)))
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


@dataclass
class GapsResult:
    candidates: gpd.GeoDataFrame
    sync: review.SyncReport
    store: Path
    files: list[Path]


def gaps(cfg: QuartierConfig, out_dir: str | Path, store: str | Path | None = None,
         progress: Callable[[str], None] | None = None) -> GapsResult:
    """Detect gap candidates, write DIR/gaps.gpkg (layer ``candidates``) and record the run in
    the review store (default DIR/review.sqlite), keeping every decision."""
    say = progress or (lambda _msg: None)
    out = prepare_out_dir(out_dir)
    say("reading buildings, streets and land use")
    inputs = read_gap_inputs(cfg)
    say(f"detecting gaps among {len(inputs.buildings):,} buildings")
    candidates = detect_gaps(inputs, cfg.gaps)
    store_path = Path(store) if store else out / "review.sqlite"
    # gaps.gpkg and the store change together or not at all: the GeoPackage is written to a
    # temporary file first and takes its place only after the store's transaction committed
    with atomic_write(out / "gaps.gpkg") as tmp:
        write_gpkg_file(candidates, tmp, "candidates")
        say(f"updating the review store {store_path}")
        con = review.open_store(store_path)
        try:
            sync = review.sync_candidates(con, candidates[[*GAP_COLUMNS, "geometry"]],
                                          city=cfg.city.name, on_wait=say)
        finally:
            con.close()
    return GapsResult(candidates=candidates, sync=sync, store=store_path,
                      files=[out / "gaps.gpkg"])


def read_cadastre(store: str | Path) -> gpd.GeoDataFrame:
    """The candidates with their current decisions, read without changing the store."""
    con = review.open_store(store, readonly=True)
    try:
        return review.cadastre(con)
    finally:
        con.close()


def _exclusion(cfg: QuartierConfig) -> shapely.Geometry | None:
    s = cfg.sites
    parts = []
    for path in s.exclude_layers:
        layer = read_vector(cfg.resolve(path), "sites.exclude_layers")[0].to_crs(cfg.city.crs)
        if s.exclude_column:
            layer = layer[layer[s.exclude_column].isin(s.exclude_values)]
        parts.append(layer.geometry.union_all())
    return shapely.union_all(parts) if parts else None


def select_sites_for(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult,
                     acc: AccessResult, people: int, out: Path, gap_result: GapsResult | None,
                     say: Callable[[str], None]) -> tuple[SitesResult, list[Path]]:
    """Candidates (gap cadastre of ``gap_result`` + user file), score, selection; writes
    sites.csv/.xlsx/.gpkg."""
    frames, warnings, files = [], [], []
    if cfg.sites.from_gaps:
        if gap_result is None:
            warnings.append("sites.from_gaps = true, but the config has no [gaps] section: only "
                            "the site file is used")
        else:
            frames.append(sites_from_gaps(read_cadastre(gap_result.store), cfg.sites))
    if cfg.sites.file is not None:
        user, w = read_site_file(cfg)
        frames.append(user)
        warnings += w
    if not frames:
        raise ConfigError("no candidate sites: set sites.file or sites.from_gaps with [gaps]")
    candidates = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=cfg.city.crs)
    dup = candidates["site_id"][candidates["site_id"].duplicated()]
    if len(dup):
        raise ConfigError(f"site ids occur twice across the sources: {sorted(set(dup))[:8]}")
    say(f"scoring {len(candidates)} candidate sites")
    status = flags.table.sort_index()["status_class"].astype(object)
    scored, w = score_sites(candidates, units, status, acc.pois, cfg.access, cfg.sites, None,
                            _exclusion(cfg))
    warnings += w
    say(f"selecting sites for {people} people (HiGHS)")
    pop = units.set_index("unit_id")[cfg.population_column]
    result = select_sites(scored, units, pop, people, cfg.sites)
    result.warnings = warnings + result.warnings
    table = result.table.sort_values(["selected", "score"], ascending=[False, False])
    cols = [c for c in ("site_id", "name", "selected", "capacity", "places", "score",
                        "score_access", "penalty_status", "penalty_shelter", "unit_id",
                        "status_class", "source", "reasons") if c in table]
    result.table = gpd.GeoDataFrame(table[cols], geometry=table.geometry, crs=table.crs)
    files += write_table(result.table, out / "sites.csv")
    files.append(write_gpkg(result.table, out / "sites.gpkg", "sites"))
    return result, files


def sites(cfg: QuartierConfig, people: int, out_dir: str | Path, store: str | Path | None = None,
          progress: Callable[[str], None] | None = None) -> tuple[RunResult, SitesResult]:
    """Candidate sites (gap cadastre + user file), integration score, decentralised selection;
    writes DIR/sites.csv (+ .xlsx, .gpkg). Reuses the review store's decisions."""
    say = progress or (lambda _msg: None)
    if cfg.sites is None:
        raise ConfigError("the config has no [sites] section")
    if cfg.access is None or cfg.index is None:
        raise ConfigError("siting needs the [access] and [index] sections")
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    flags, acc = flag_with_access(cfg, units, say)
    files = write_flags(flags, out) + write_access(acc, units, out)
    gap_result = None
    if cfg.sites.from_gaps and cfg.gaps is not None:
        gap_result = gaps(cfg, out, store, progress=say)
        files += gap_result.files
    result, more = select_sites_for(cfg, units, flags, acc, people, out, gap_result, say)
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files + more,
                     sites=result, gaps=gap_result), result


@dataclass
class MonitorResult:
    long: pd.DataFrame
    targets: pd.DataFrame
    signals: pd.DataFrame | None
    notes: list[str]
    city_rent: pd.Series | None


def compute_monitor(cfg: QuartierConfig, units: gpd.GeoDataFrame, status: pd.Series | None,
                    say: Callable[[str], None]) -> MonitorResult:
    """Series on the current units, targets, and the housing signals where rents are given."""
    m = cfg.monitor
    if m is None:
        raise ConfigError("the config has no [monitor] section")
    say("time series (boundary changes interpolated)")
    long, notes = monitor_mod.build_monitoring(cfg, units)
    targets = monitor_mod.evaluate(long, m.targets)
    signals, city_rent = None, None
    if m.rent_indicator:
        signals = monitor_mod.housing_signals(units, long, m.rent_indicator, status)
        city_rent = monitor_mod.city_median_by_year(long, m.rent_indicator)
        if m.milieuschutz:
            ms = read_vector(cfg.resolve(m.milieuschutz), "monitor.milieuschutz")[0]
            signals["milieuschutz_share_pct"] = monitor_mod.area_share(units, ms).round(1)
        if m.zensus_grid:
            signals["leerstand_zensus2011_pct"] = monitor_mod.zensus_vacancy(
                units, cfg.resolve(m.zensus_grid)).round(2)
    return MonitorResult(long=long, targets=targets, signals=signals, notes=notes,
                         city_rent=city_rent)


def write_monitor(result: MonitorResult, out: Path) -> list[Path]:
    files = [write_csv(result.long, out / "monitoring.csv")]
    if not result.targets.empty:
        files += write_table(result.targets, out / "targets.csv")
    if result.signals is not None:
        files += write_table(result.signals, out / "housing_signals.csv")
    return files


def monitor(cfg: QuartierConfig, out_dir: str | Path,
            progress: Callable[[str], None] | None = None) -> tuple[RunResult, MonitorResult]:
    """Load the units, build the series and evaluate the targets: DIR/monitoring.csv, targets.csv."""
    say = progress or (lambda _msg: None)
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    status = None
    if cfg.index is not None:
        from quartier.analysis.indicators import compute_index

        status = compute_index(units, cfg.index, cfg.population_column)["status_class"]
    result = compute_monitor(cfg, units, status, say)
    files = write_monitor(result, out)
    return RunResult(units=units, report=report, files=files), result

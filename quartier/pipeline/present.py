"""The files a committee reads: tables, maps, the report and the quarter profiles of a run."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.analysis import areas as areas_mod
from quartier.analysis import robustness as robustness_mod
from quartier.analysis import robustness_table
from quartier.analysis.sites import SitesResult
from quartier.config import QuartierConfig, required
from quartier.errors import ConfigError
from quartier.io.escape import safe_filename
from quartier.io.outputs import (
    write_csv,
    write_gpkg,
    write_table,
)
from quartier.outputs import mapbase, maps
from quartier.outputs import profiles as profiles_mod
from quartier.outputs.common import (
    MAP_FILE,
    PROFILES_DIR,
    REPORT_FILE,
    PageWords,
    profile_file,
)
from quartier.pipeline.flag import FlagResult
from quartier.pipeline.results import AccessResult, GapsResult, MonitorResult
from quartier.pipeline.steps import MAX_RUN_PROFILES, profile_context, read_cadastre


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
    lowest = required(cfg.index, "index", "the action areas").status_labels[-1]
    files += write_table(areas_mod.validation(result, flags.table, units, lowest),
                         out / "areas_validation.csv")
    return files


def write_robustness(rob: robustness_mod.RobustnessResult, flags: FlagResult, out: Path
                     ) -> list[Path]:
    """robustness.csv (per unit, with the sentence of the profiles), robustness_choices.csv
    (per choice) and robustness_draws.csv (the choices of every draw), each with its xlsx."""
    per_unit = robustness_table.unit_table(flags.table, rob)
    return (write_table(per_unit, out / "robustness.csv")
            + write_table(rob.choices, out / "robustness_choices.csv")
            + write_table(rob.draws, out / "robustness_draws.csv"))


def page_words(cfg: QuartierConfig) -> PageWords:
    """The words of the run's pages, from the config."""
    r, ix = cfg.report, cfg.index
    categories = ({k: v.label for k, v in cfg.access.categories.items()} if cfg.access else {})
    labels = {**cfg.labels(), **categories}
    return PageWords(
        city=cfg.city.name, language=cfg.city.language, title=r.title, purpose=r.purpose,
        author=r.author, data_date=r.data_date, unit=r.unit_name, units=r.units_name,
        units_short=r.units_short, group=r.group_name, sources=list(cfg.city.sources),
        index_name=ix.name if ix is not None else None,
        dynamics_name=getattr(ix, "dynamics_name", None) if ix is not None else None,
        status_labels=list(ix.status_labels) if ix is not None else None,
        dynamics_labels=list(ix.dynamics_labels) if ix is not None else None,
        labels=labels, categories=categories,
        illustrative_sites=bool(cfg.sites is not None and cfg.sites.illustrative))


#: A run writes a profile for every unit up to this many units; above, for the flagged ones
#: with the highest priority (at most :data:`MAX_RUN_PROFILES`).
MAX_ALL_PROFILES = 2_000


def profile_positions(units: gpd.GeoDataFrame, table: pd.DataFrame | None) -> list[int]:
    """Row positions of the units a run writes profiles for: all of them in a city, the
    flagged ones of the highest priority in a large grid."""
    if len(units) <= MAX_ALL_PROFILES or table is None:
        return list(range(len(units))) if len(units) <= MAX_ALL_PROFILES else []
    flagged = np.flatnonzero(table["flagged"].fillna(False).to_numpy(dtype=bool))
    rank = table["priority_rank"].to_numpy(dtype="float64", na_value=np.inf)
    return sorted(flagged.tolist(), key=lambda i: rank[i])[:MAX_RUN_PROFILES]


def unit_extra(cfg: QuartierConfig, units: gpd.GeoDataFrame, profiled: list[int] | None,
               prefix: str = f"{PROFILES_DIR}/") -> pd.DataFrame:
    """Per unit what pages show beside the analysis: name (a place name for grid cells),
    group (district), residents, and the profile page (``prefix`` + file; empty without)."""
    extra = pd.DataFrame(index=units.index)
    if "place_name" in units:
        # a grid cell is named by its Gemeinde, its id kept to tell the cells apart
        extra["name"] = [f"{n} ({u})" if pd.notna(n) else str(u)
                         for n, u in zip(units["place_name"], units["unit_name"], strict=True)]
        extra["group"] = units["place_group"]
    elif "unit_group" in units:
        extra["group"] = units["unit_group"]
    if cfg.population_column and cfg.population_column in units:
        extra["residents"] = units[cfg.population_column]
    pages: list[str | None] = [None] * len(units)
    for pos in profiled or []:
        pages[pos] = prefix + profile_file("einheit", units["unit_id"].iloc[pos], pos)
    extra["profile"] = pages
    return extra


def _indicator_better(cfg: QuartierConfig, column: str) -> str | None:
    """Which end of a mapped indicator is good: an index indicator's sign says it (the index
    rises with deprivation), a target's ``better`` too; else no valuation."""
    if cfg.index is not None:
        for ref in cfg.index.status:
            if ref.name == column:
                return "low" if ref.sign > 0 else "high"
    for t in cfg.flag.targets:
        if t.column == column:
            return t.better.replace("lower", "low").replace("higher", "high")
    return None


def draw_maps(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult | None,
              acc: AccessResult | None, gap_result: GapsResult | None,
              site_result: SitesResult | None, out: Path, mon: MonitorResult | None = None
              ) -> list[Path]:
    """quartier_map.html (all layers) and, if configured, the indicator map."""
    with vocab.use_language(cfg.city.language):
        return _draw_maps(cfg, units, flags, acc, gap_result, site_result, out, mon)


def _draw_maps(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult | None,
               acc: AccessResult | None, gap_result: GapsResult | None,
               site_result: SitesResult | None, out: Path, mon: MonitorResult | None
               ) -> list[Path]:
    words = page_words(cfg)
    title = words.title or cfg.city.name
    indicator = None
    if cfg.map is not None:
        if cfg.map.indicator not in units.columns:
            raise ConfigError(f"map.indicator {cfg.map.indicator!r} is not a loaded column")
        indicator = (cfg.map.indicator, words.labels.get(cfg.map.indicator, cfg.map.indicator))
    table = flags.table if flags else None
    profiled = profile_positions(units, table) if flags else []
    extra = unit_extra(cfg, units, profiled)
    areas = flags.areas.areas if flags is not None and flags.areas else None
    area_pages = ({str(a): f"{PROFILES_DIR}/" + profile_file("aktionsraum", a, k)
                   for k, a in enumerate(areas["area_id"])} if areas is not None else {})
    map_words = mapbase.MapWords(
        title=title, city=cfg.city.name, data_date=words.data_date, units=words.units,
        unit=words.unit, group=words.group, sources=words.sources,
        links={"report": REPORT_FILE, **({"profiles": f"{PROFILES_DIR}/index.html"}
                                         if profiled or areas is not None else {})},
        index_name=words.index_name, status_labels=words.status_labels,
        illustrative_sites=words.illustrative_sites, made=words.made)
    cadastre = read_cadastre(gap_result.store) if gap_result is not None else None
    better = _indicator_better(cfg, indicator[0]) if indicator else None
    fmap = maps.combined_map(units, table, acc.table if acc else None, acc.pois if acc else None,
                             cadastre, site_result.table if site_result else None, indicator,
                             words.labels, cfg.city.language,
                             mon.signals if mon is not None and mon.signals is not None else None,
                             areas=areas, words=map_words, extra=extra, indicator_better=better,
                             area_profiles=area_pages)
    files = [mapbase.save(fmap, out / MAP_FILE, title)]
    if indicator is not None and cfg.map is not None:
        single = mapbase.new_map(units, mapbase.MapWords(
            title=f"{title}: {indicator[1]}", city=cfg.city.name, data_date=words.data_date,
            sources=words.sources, links={"report": REPORT_FILE}), cfg.city.language)
        maps.attach_units(single, units, extra.assign(profile=[
            None if p is None else p for p in extra["profile"]]))
        maps.choropleth(units, indicator[0], indicator[1], cfg.map.scheme, cfg.map.k, fmap=single,
                        language=cfg.city.language, values_in="units.csv", better=better,
                        key="indicator")
        name = safe_filename(f"map_{indicator[0]}.html", "map.indicator")
        files.append(mapbase.save(single, out / name, f"{words.title}: {indicator[1]}"))
    return files


def complete_profile_context(cfg: QuartierConfig, units: gpd.GeoDataFrame,
                             ctx: profiles_mod.ProfileContext, positions: list[int],
                             links: dict[str, str] | None = None) -> profiles_mod.ProfileContext:
    """The words, names, districts, residents, series labels and links of the profile pages."""
    words = page_words(cfg)
    ctx.words = words
    ctx.extra = unit_extra(cfg, units, positions, prefix="")
    ctx.links = dict(links or {})
    if cfg.monitor is not None:
        ctx.series_labels = {s.indicator: (s.label or words.labels.get(s.indicator)
                                           or vocab.column(s.indicator), s.unit)
                             for s in cfg.monitor.series}
    return ctx


def draw_profiles(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult,
                  acc: AccessResult | None, gap_result: GapsResult | None,
                  site_result: SitesResult | None, out: Path, mon: MonitorResult | None = None,
                  say=None) -> list[Path]:
    """profiles/: a page per unit (a large grid: the flagged units of the highest priority) and
    per action area, and the index; linked to the map and the report of the run."""
    say = say or (lambda _msg: None)
    with vocab.use_language(cfg.city.language):
        ctx = profile_context(cfg, units, flags, acc,
                              read_cadastre(gap_result.store) if gap_result else None,
                              site_result.table if site_result else None,
                              mon.long if mon is not None else None)
        positions = profile_positions(units, ctx.table)
        complete_profile_context(cfg, units, ctx, positions,
                                 {"map": f"../{MAP_FILE}", "report": f"../{REPORT_FILE}"})
        if len(positions) < len(units):
            say(f"quarter profiles of the {len(positions):,} highest-priority flagged units (all: "
                "quartier profile CONFIG --all) and the action areas")
        else:
            say(f"quarter profiles of all {len(positions):,} units and the action areas")
        return profiles_mod.write_profiles(ctx, positions, out / PROFILES_DIR)


def write_monitor(result: MonitorResult, out: Path) -> list[Path]:
    files = [write_csv(result.long, out / "monitoring.csv")]
    if not result.targets.empty:
        files += write_table(result.targets, out / "targets.csv")
    if result.signals is not None:
        files += write_table(result.signals, out / "housing_signals.csv")
    return files

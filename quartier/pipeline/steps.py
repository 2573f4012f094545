"""The steps of a run: where the config meets the analysis (config sections become keyword
arguments of plain functions on GeoDataFrames)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from quartier import vocab
from quartier.analysis import access as access_mod
from quartier.analysis import areas as areas_mod
from quartier.analysis import monitor as monitor_mod
from quartier.analysis import network as network_mod
from quartier.analysis import robustness as robustness_mod
from quartier.analysis import robustness_table
from quartier.analysis.sites import SitesResult, score_sites, select_sites, sites_from_gaps
from quartier.config import MonitorConfig, QuartierConfig, SitesConfig, required
from quartier.errors import ConfigError, InputDataError
from quartier.io import population as population_mod
from quartier.io.outputs import (
    write_gpkg,
    write_table,
)
from quartier.io.pois import load_pois
from quartier.io.series import read_monitor_series
from quartier.io.sitefile import read_site_file
from quartier.io.vector import read_vector
from quartier.outputs import profiles as profiles_mod
from quartier.pipeline.flag import FlagResult, flag_units
from quartier.pipeline.results import AccessResult, GapsResult, MonitorResult
from quartier.review import store as review


def compute_access(cfg: QuartierConfig, units: gpd.GeoDataFrame,
                   say: Callable[[str], None] | None = None) -> AccessResult:
    """POIs, residents' access per unit and, where a street network is configured, the measured
    detour factor (network vs straight line) for the residents inside the network's area."""
    say = say or (lambda _msg: None)
    access = required(cfg.access, "access", "the access measures")
    say("reading POI layers")
    pois, poi_report = load_pois(cfg.pois, units, dedup_m=access.dedup_m,
                                 categories=list(access.categories),
                                 labels={k: v.label for k, v in access.categories.items()})
    origins = None
    if access.population_raster is not None:
        say("residents from the population raster")
        origins = population_mod.raster_origins(cfg.resolve(access.population_raster), units)
    elif cfg.population is not None:
        say("residents from the population source")
        origins = population_mod.residents(cfg.population, units).origins
    say("nearest distances per category")
    table = access_mod.access_units(units, pois, access, origins=origins)
    detour = None
    if access.network_path is not None:
        say("walking network: calibrating the detour factor")
        streets = network_mod.read_osm_streets(cfg.resolve(access.network_path), cfg.city.crs,
                                               access.network_layer,
                                               access.network_highway_column)
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
    share, key, within = None, cfg.report.key_access, None
    if origins is not None and key is not None:
        within = key.within_m or access.categories[key.category].good_m
        share = access_mod.city_share_within(origins, pois, key.category, within,
                                             access.detour_factor)
    per_unit = table["access_notes"].str.split("; ").explode()
    notes = [vocab.note("access.units_note", n=int(n), text=text)
             for text, n in per_unit[per_unit != ""].value_counts().items()]
    return AccessResult(table=table, pois=pois, report=poi_report, detour=detour,
                        key_share_pct=share, notes=notes,
                        key_label=vocab.category(key.category, {
                            k: v.label for k, v in access.categories.items()})
                        if key is not None else None, key_within_m=within)

ACCESS_PREFIXES = ("dist_", "share_within_", "access_score")


def monitoring_series(m: MonitorConfig, units: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The series of ``[monitor]`` read and carried onto the current units (long form, notes)."""
    series, old_units = read_monitor_series(m, crs=units.crs)
    return monitor_mod.build_monitoring(units, series, old_units=old_units,
                                        weight_raster=m.weight_raster)


def compute_flags(cfg: QuartierConfig, units: gpd.GeoDataFrame, say: Callable[[str], None]
                  ) -> FlagResult:
    """Index, flag and priority (with the monitoring series where the dynamics use them), and
    the action areas where the config has [areas] (their ids join the priority table)."""
    ix = required(cfg.index, "index", "flagging")
    series = None
    if any(r.series for r in [*ix.status, *ix.dynamics]):
        if cfg.monitor is None:
            raise ConfigError("an index indicator uses a series, but the config has no [monitor]")
        say("time series for the dynamics")
        series, _ = monitoring_series(cfg.monitor, units)
    say(f"index, thresholds, clusters, hot spots ({cfg.flag.permutations} permutations)")
    flags = flag_units(units, cfg, series)
    if cfg.areas is not None:
        say("action areas (region growing over the contiguity graph)")
        flags.areas = areas_mod.build_areas(units, flags.table,
                                            units[cfg.population_column], cfg.areas, cfg.labels())
        flags.table = flags.table.join(flags.areas.membership[["area_id", "area_role"]])
    return flags


def compute_robustness(cfg: QuartierConfig, flags: FlagResult, say: Callable[[str], None]
                       ) -> robustness_mod.RobustnessResult:
    """How robust each rank is (:mod:`quartier.robustness`): the per-unit columns join the
    priority table (``rank_median``, ``rank_p05``, ``rank_p95``, ``flagged_share_pct``, …), the
    notes the flag notes."""
    ix, p = required(cfg.index, "index", "the robustness of the ranking"), cfg.priority
    say(f"robustness of the ranking ({p.robustness_draws:,} variants, seed {p.robustness_seed})")
    rob = robustness_table.robustness_of_table(
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


def flag_with_access(cfg: QuartierConfig, units: gpd.GeoDataFrame, say: Callable[[str], None]
                     ) -> tuple[FlagResult, AccessResult | None]:
    """Flag the units; where the config has [access], the priority list gains the access columns."""
    acc = compute_access(cfg, units, say) if cfg.access is not None else None
    flags = compute_flags(cfg, units, say)
    if acc is not None:
        cols = [c for c in acc.table.columns if c.startswith(ACCESS_PREFIXES)]
        flags.table = flags.table.join(acc.table[cols])
    return flags, acc


def profile_context(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult,
                    acc: AccessResult | None = None, cadastre: gpd.GeoDataFrame | None = None,
                    sites: gpd.GeoDataFrame | None = None, series: pd.DataFrame | None = None
                    ) -> profiles_mod.ProfileContext:
    """What the quarter profiles draw on, from the results of a run."""
    table = flags.table
    if cfg.population_column:
        table = table.assign(_residents=units[cfg.population_column])
    labels = cfg.labels()
    access_labels = {k: v.label for k, v in cfg.access.categories.items()} if cfg.access else {}
    ix = required(cfg.index, "index", "the profiles")
    return profiles_mod.ProfileContext(
        units=units, table=table, labels=labels, city=cfg.city.name, index_name=ix.name,
        index_columns=list(dict.fromkeys(r.name for r in [*ix.status, *ix.dynamics])),
        sources=cfg.city.sources, access=acc.table if acc is not None else None,
        access_labels=access_labels, cadastre=cadastre, sites=sites, series=series,
        areas=flags.areas.areas if flags.areas is not None else None)

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


def read_cadastre(store: str | Path) -> gpd.GeoDataFrame:
    """The candidates with their current decisions, read without changing the store."""
    con = review.open_store(store, readonly=True)
    try:
        return review.cadastre(con)
    finally:
        con.close()


def _exclusion(s: SitesConfig, crs: str) -> BaseGeometry | None:
    parts = []
    for path in s.exclude_layers:
        layer = read_vector(path, "sites.exclude_layers")[0].to_crs(crs)
        if s.exclude_column:
            layer = layer[layer[s.exclude_column].isin(s.exclude_values)]
        parts.append(layer.geometry.union_all())
    return shapely.union_all(parts) if parts else None


def _shelters(s: SitesConfig, crs: str) -> gpd.GeoDataFrame | None:
    """Existing shelters (``sites.shelters``) as points in the city's CRS: sites near them are
    penalised, so that new places are not piled up where people are housed already."""
    if s.shelters is None:
        return None
    layer = read_vector(s.shelters, "sites.shelters")[0].to_crs(crs)
    layer = layer[~(layer.geometry.isna() | layer.geometry.is_empty)]
    if layer.empty:
        raise InputDataError(f"{s.shelters}: the shelter file holds no geometry "
                             "(sites.shelters)")
    return layer.set_geometry(layer.geometry.representative_point())


def select_sites_for(cfg: QuartierConfig, units: gpd.GeoDataFrame, flags: FlagResult | None,
                     acc: AccessResult | None, people: int, out: Path,
                     gap_result: GapsResult | None, say: Callable[[str], None]
                     ) -> tuple[SitesResult, list[Path]]:
    """Candidates (gap cadastre of ``gap_result`` + user file), score, selection; writes
    sites.csv/.xlsx/.gpkg. Needs the flags (status of each unit) and the access results."""
    if flags is None or acc is None:
        raise ConfigError("siting needs the [index] and [access] sections (the status of each "
                          "quarter and the access of each site)")
    s = required(cfg.sites, "sites", "siting")
    access = required(cfg.access, "access", "siting (the access of each site)")
    frames, warnings, files = [], [], []
    if s.from_gaps:
        if gap_result is None:
            warnings.append(vocab.note("sites.no_gaps"))
        else:
            frames.append(sites_from_gaps(read_cadastre(gap_result.store), s))
    if s.file is not None:
        user, w = read_site_file(s, crs=cfg.city.crs)
        frames.append(user)
        warnings += w
    if not frames:
        raise ConfigError("no candidate sites: set sites.file or sites.from_gaps with [gaps]")
    candidates = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=cfg.city.crs)
    dup = candidates["site_id"][candidates["site_id"].duplicated()]
    if len(dup):
        raise ConfigError(f"site ids occur twice across the sources: {sorted(set(dup))[:8]}")
    say(f"scoring {len(candidates)} candidate sites")
    status = flags.table["status_class"].astype(object)
    shelters = _shelters(s, cfg.city.crs)
    if shelters is not None and s.shelters is not None:
        warnings.append(vocab.note("sites.shelters", n=len(shelters), file=s.shelters.name,
                                   radius=vocab.decimal(s.shelter_radius_m),
                                   penalty=vocab.decimal(s.shelter_penalty)))
    scored, w = score_sites(candidates, units, status, acc.pois, access, s, shelters=shelters,
                            exclude=_exclusion(s, cfg.city.crs))
    warnings += w
    say(f"selecting sites for {people} people (HiGHS)")
    pop = units.set_index("unit_id")[cfg.population_column]
    result = select_sites(scored, units, pop, people, s)
    result.warnings = warnings + result.warnings
    table = result.table.sort_values(["selected", "score"], ascending=[False, False])
    cols = [c for c in ("site_id", "name", "selected", "capacity", "places", "score",
                        "score_access", "penalty_status", "penalty_shelter", "unit_id",
                        "status_class", "source", "reasons") if c in table]
    result.table = gpd.GeoDataFrame(table[cols], geometry=table.geometry, crs=table.crs)
    files += write_table(result.table, out / "sites.csv")
    files.append(write_gpkg(result.table, out / "sites.gpkg", "sites"))
    return result, files


def compute_monitor(cfg: QuartierConfig, units: gpd.GeoDataFrame, status: pd.Series | None,
                    say: Callable[[str], None]) -> MonitorResult:
    """Series on the current units, targets, and the housing signals where rents are given."""
    m = required(cfg.monitor, "monitor", "the monitoring")
    say("time series (boundary changes interpolated)")
    long, notes = monitoring_series(m, units)
    targets = monitor_mod.evaluate(long, m.targets)
    signals, city_rent = None, None
    if m.rent_indicator:
        low = (cfg.priority.flag_classes or cfg.index.status_labels[-2:]) if cfg.index else []
        signals = monitor_mod.housing_signals(units, long, m.rent_indicator, status, low)
        city_rent = monitor_mod.city_median_by_year(long, m.rent_indicator)
        if m.milieuschutz:
            ms = read_vector(cfg.resolve(m.milieuschutz), "monitor.milieuschutz")[0]
            signals["milieuschutz_share_pct"] = monitor_mod.area_share(units, ms).round(1)
        if m.zensus_grid:
            signals["leerstand_zensus2011_pct"] = monitor_mod.zensus_vacancy(
                units, cfg.resolve(m.zensus_grid)).round(2)
    return MonitorResult(long=long, targets=targets, signals=signals, notes=notes,
                         city_rent=city_rent)

"""The whole job for one city: the functions the CLI and the notebooks call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from quartier import vocab
from quartier.analysis.gaps import GAP_COLUMNS, detect_gaps
from quartier.analysis.indicators import compute_index
from quartier.analysis.sites import SitesResult
from quartier.config import QuartierConfig, required
from quartier.errors import ConfigError
from quartier.io.gapdata import read_gap_inputs
from quartier.io.outputs import (
    atomic_write,
    prepare_out_dir,
    write_gpkg_file,
    write_table,
)
from quartier.outputs import profiles as profiles_mod
from quartier.outputs.pdf import print_pdf
from quartier.pipeline.check import require_loaded_columns
from quartier.pipeline.load import load_city
from quartier.pipeline.present import (
    complete_profile_context,
    draw_maps,
    draw_profiles,
    write_access,
    write_areas,
    write_flags,
    write_monitor,
    write_robustness,
)
from quartier.pipeline.report import draw_report
from quartier.pipeline.results import AccessResult, GapsResult, MonitorResult, RunResult
from quartier.pipeline.steps import (
    compute_access,
    compute_flags,
    compute_monitor,
    compute_robustness,
    flag_with_access,
    monitoring_series,
    profile_context,
    read_cadastre,
    select_profiles,
    select_sites_for,
)
from quartier.review import store as review

P = ParamSpec("P")
R = TypeVar("R")


def _in_city_language(job: Callable[Concatenate[QuartierConfig, P], R]
                      ) -> Callable[Concatenate[QuartierConfig, P], R]:
    """Run a job in the city's language: every note it writes (tables, report, console) reads
    as its pages do."""
    @functools.wraps(job)
    def run_job(cfg: QuartierConfig, *args: P.args, **kwargs: P.kwargs) -> R:
        with vocab.use_language(cfg.city.language):
            return job(cfg, *args, **kwargs)
    return run_job


@_in_city_language
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


@_in_city_language
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
    if flags.areas is None:  # compute_flags builds them wherever [areas] is given
        raise ConfigError("`quartier areas` needs the [areas] section")
    files = write_flags(flags, out) + write_areas(flags.areas, flags, units, cfg, out)
    return RunResult(units=units, report=report, flags=flags, files=files)


@_in_city_language
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


@_in_city_language
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


@_in_city_language
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
        status = flags.table["status_class"] if flags is not None else None
        mon = compute_monitor(cfg, units, status, say)
        files += write_monitor(mon, out)
    say("drawing the maps")
    files += draw_maps(cfg, units, flags, acc, gap_result, site_result, out, mon)
    if flags is not None:
        files += draw_profiles(cfg, units, flags, acc, gap_result, site_result, out, mon, say)
    files.append(draw_report(cfg, units, report, flags, acc, gap_result, site_result, out, mon,
                             rob))
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files,
                     sites=site_result, gaps=gap_result, monitor=mon, robustness=rob)


@_in_city_language
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
        series, _ = monitoring_series(cfg.monitor, units)
    cadastre = read_cadastre(store) if store else None
    ctx = profile_context(cfg, units, flags, acc, cadastre, None, series)
    positions = select_profiles(units, ctx.table, unit_ids, every)
    complete_profile_context(cfg, units, ctx, positions, {
        key: f"../{name}" for key, name in (("map", "quartier_map.html"), ("report", "report.html"))
        if (out / name).exists()})
    say(f"writing {len(positions)} unit profiles")
    files = profiles_mod.write_profiles(ctx, positions, out / "profiles", with_areas=not unit_ids)
    if pdf:
        say("printing the profiles to PDF (headless Chromium)")
        files += print_pdf(files)
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files)


@_in_city_language
def gaps(cfg: QuartierConfig, out_dir: str | Path, store: str | Path | None = None,
         progress: Callable[[str], None] | None = None) -> GapsResult:
    """Detect gap candidates, write DIR/gaps.gpkg (layer ``candidates``) and record the run in
    the review store (default DIR/review.sqlite), keeping every decision."""
    say = progress or (lambda _msg: None)
    out = prepare_out_dir(out_dir)
    g = required(cfg.gaps, "gaps", "`quartier gaps`")
    say("reading buildings, streets and land use")
    inputs = read_gap_inputs(g, crs=cfg.city.crs, max_scale_error_pct=cfg.city.max_scale_error_pct)
    say(f"detecting gaps among {len(inputs.buildings):,} buildings")
    candidates = detect_gaps(inputs, g)
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


@_in_city_language
def sites(cfg: QuartierConfig, people: int, out_dir: str | Path, store: str | Path | None = None,
          progress: Callable[[str], None] | None = None) -> tuple[RunResult, SitesResult]:
    """Candidate sites (gap cadastre + user file), integration score, decentralised selection;
    writes DIR/sites.csv (+ .xlsx, .gpkg). Reuses the review store's decisions."""
    say = progress or (lambda _msg: None)
    sites_cfg = required(cfg.sites, "sites", "siting")
    if cfg.access is None or cfg.index is None:
        raise ConfigError("siting needs the [access] and [index] sections")
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    flags, acc = flag_with_access(cfg, units, say)
    files = write_flags(flags, out) + (write_access(acc, units, out) if acc is not None else [])
    gap_result = None
    if sites_cfg.from_gaps and cfg.gaps is not None:
        gap_result = gaps(cfg, out, store, progress=say)
        files += gap_result.files
    result, more = select_sites_for(cfg, units, flags, acc, people, out, gap_result, say)
    return RunResult(units=units, report=report, flags=flags, access=acc, files=files + more,
                     sites=result, gaps=gap_result), result


@_in_city_language
def monitor(cfg: QuartierConfig, out_dir: str | Path,
            progress: Callable[[str], None] | None = None) -> tuple[RunResult, MonitorResult]:
    """Load the units, build the series and evaluate the targets: DIR/monitoring.csv, targets.csv."""
    say = progress or (lambda _msg: None)
    out = prepare_out_dir(out_dir)
    units, report = load_city(cfg, progress=say)
    require_loaded_columns(cfg, units)
    status = None
    if cfg.index is not None:

        status = compute_index(units, cfg.index, population_column=cfg.population_column)["status_class"]
    result = compute_monitor(cfg, units, status, say)
    files = write_monitor(result, out)
    return RunResult(units=units, report=report, files=files), result

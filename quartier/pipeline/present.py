"""The files a committee reads: tables, maps, the report and the quarter profiles of a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.analysis import areas as areas_mod
from quartier.analysis import monitor as monitor_mod
from quartier.analysis import robustness as robustness_mod
from quartier.analysis import robustness_table
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
from quartier.io.vector import read_vector
from quartier.outputs import maps
from quartier.outputs import profiles as profiles_mod
from quartier.outputs import report as report_mod
from quartier.outputs import robustness as robustness_out
from quartier.outputs.charts import histogram, line_chart
from quartier.outputs.common import (
    MAP_FILE,
    PROFILES_DIR,
    REPORT_FILE,
    PageWords,
    profile_file,
    table,
)
from quartier.pipeline.flag import FlagResult
from quartier.pipeline.results import AccessResult, GapsResult, MonitorResult
from quartier.pipeline.steps import MAX_RUN_PROFILES, profile_context, read_cadastre
from quartier.vocab import HotSpot, TargetState


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


def place_names(cfg: QuartierConfig, units: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """Names for units from ``[report.place_names]`` (the Gemeinde and Kreis holding each grid
    cell's centre): columns ``name`` ("Gemeinde (Zelle …)") and ``group``; None without."""
    spec = cfg.report.place_names
    if spec is None:
        return None
    places, _ = read_vector(cfg.resolve(spec.path), "report.place_names", crs=spec.crs,
                            layer=spec.layer)
    missing = [c for c in (spec.name_column, spec.group_column) if c and c not in places]
    if missing:
        raise ConfigError(f"report.place_names: {spec.path} has no column {missing[0]!r} "
                          f"(it has: {', '.join(map(str, places.columns[:20]))})")
    places = places.to_crs(units.crs)
    centres = gpd.GeoDataFrame(geometry=units.geometry.representative_point(), crs=units.crs)
    hit = gpd.sjoin(centres, places[[c for c in (spec.name_column, spec.group_column) if c]
                                    + ["geometry"]], predicate="within", how="left")
    hit = hit[~hit.index.duplicated()]
    name = hit[spec.name_column].astype("string")
    out = pd.DataFrame(index=units.index)
    out["name"] = [f"{n} ({u})" if pd.notna(n) else str(u)
                   for n, u in zip(name, units["unit_name"], strict=True)]
    out["group"] = (hit[spec.group_column].astype("string") if spec.group_column
                    else pd.Series(pd.NA, index=units.index, dtype="string"))
    return out


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
    named = place_names(cfg, units)
    if named is not None:
        extra["name"] = named["name"]
        extra["group"] = named["group"]
    elif "unit_group" in units:
        extra["group"] = units["unit_group"]
    if cfg.population_column and cfg.population_column in units:
        extra["residents"] = units[cfg.population_column]
    pages = [None] * len(units)
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
    map_words = maps.MapWords(
        title=words.title, city=cfg.city.name, data_date=words.data_date, units=words.units,
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
    files = [maps.save(fmap, out / MAP_FILE, words.title)]
    if indicator is not None:
        single = maps.new_map(units, maps.MapWords(
            title=f"{words.title}: {indicator[1]}", city=cfg.city.name, data_date=words.data_date,
            sources=words.sources, links={"report": REPORT_FILE}), cfg.city.language)
        maps.attach_units(single, units, extra.assign(profile=[
            None if p is None else p for p in extra["profile"]]))
        maps.choropleth(units, indicator[0], indicator[1], cfg.map.scheme, cfg.map.k, fmap=single,
                        language=cfg.city.language, values_in="units.csv", better=better,
                        key="indicator")
        name = safe_filename(f"map_{indicator[0]}.html", "map.indicator")
        files.append(maps.save(single, out / name, f"{words.title}: {indicator[1]}"))
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


@dataclass
class _Run:
    """What the report's sections draw on."""

    cfg: QuartierConfig
    words: PageWords
    units: gpd.GeoDataFrame
    join: JoinReport
    flags: FlagResult | None
    acc: AccessResult | None
    gaps: GapsResult | None
    sites: SitesResult | None
    mon: MonitorResult | None
    rob: robustness_mod.RobustnessResult | None
    extra: pd.DataFrame
    #: unit position → its profile page (relative to the report)
    pages: dict[int, str]
    #: area id → its profile page
    area_pages: dict[str, str]

    @property
    def table(self) -> pd.DataFrame:
        return self.flags.table

    def name_of(self, pos: int) -> str:
        return str(self.extra["name"].iloc[pos]) if "name" in self.extra else \
            str(self.units["unit_name"].iloc[pos])


def draw_report(cfg: QuartierConfig, units: gpd.GeoDataFrame, join: JoinReport,
                flags: FlagResult | None, acc: AccessResult | None, gap_result: GapsResult | None,
                site_result: SitesResult | None, out: Path, mon: MonitorResult | None = None,
                rob: robustness_mod.RobustnessResult | None = None) -> Path:
    """report.html, a committee document: title page with key figures and links, the result in
    words, the method, the priority list by district, action areas, robustness, distributions,
    access, gaps, sites, time series and targets, notes; the join tables in an appendix."""
    with vocab.use_language(cfg.city.language):
        table = flags.table if flags is not None else None
        profiled = profile_positions(units, table) if flags is not None else []
        extra = unit_extra(cfg, units, profiled)
        areas = flags.areas.areas if flags is not None and flags.areas is not None else None
        run = _Run(cfg, page_words(cfg), units, join, flags, acc, gap_result, site_result, mon, rob,
                   extra, {p: extra["profile"].iloc[p] for p in profiled},
                   {str(a): f"{PROFILES_DIR}/" + profile_file("aktionsraum", a, k)
                    for k, a in enumerate(areas["area_id"])} if areas is not None else {})
        builders = [_summary, _method, _notes, _top, _by_group, _areas, _robustness,
                    _distributions, _access, _gaps, _sites, _series, _targets, _join, _unmatched,
                    _clusters, _validation]
        sections = [s for build in builders for s in [build(run)] if s is not None]
        links = {"map": MAP_FILE, **({"profiles": f"{PROFILES_DIR}/index.html"}
                                     if profiled or areas is not None else {})}
        return report_mod.write_report(out / REPORT_FILE, cfg.city.name, _key_figures(run),
                                       sections, cfg.city.sources, run.words, links)


def _key_figures(run: _Run) -> list[tuple[str, str]]:
    w = run.words
    figures = [(w.units or "", vocab.count(len(run.units)))]
    if run.flags is not None:
        t = run.table
        scored, flagged = int(t["valid"].sum()), int(t["flagged"].fillna(False).sum())
        figures += [(vocab.text("report.scored"), vocab.count(scored)),
                    (vocab.text("report.flagged_share", share=vocab.pct(
                        100 * flagged / max(scored, 1), 0)), vocab.count(flagged)),
                    (vocab.text("report.hotspots"), vocab.count(int(t["hotspot"].eq(HotSpot.HOT).sum())))]
        if run.flags.areas is not None:
            a = run.flags.areas.areas
            figures.append((vocab.text("report.areas", residents=vocab.persons(a["residents"].sum())),
                            vocab.count(len(a))))
    if run.acc is not None and run.acc.key_share_pct is not None:
        figures.append((vocab.text("figure.key_access", dist=vocab.metres(run.acc.key_within_m),
                                   category=run.acc.key_label), vocab.pct(run.acc.key_share_pct)))
    if run.gaps is not None:
        figures.append((vocab.text("report.gaps"), vocab.count(len(run.gaps.candidates))))
    if run.sites is not None:
        figures.append((vocab.text("report.housed" if run.words.illustrative_sites
                                   else "report.housed_real"),
                        f"{vocab.count(run.sites.housed)} / {vocab.count(run.sites.people)}"))
    if run.mon is not None and run.mon.city_rent is not None:
        figures.append((vocab.text("report.rent", year=int(run.mon.city_rent.index.max())),
                        vocab.euro_m2(run.mon.city_rent.iloc[-1])))
    return figures


def _p(text: str, cls: str | None = None) -> str:
    return f"<p class='{cls}'>{html_text(text)}</p>" if cls else f"<p>{html_text(text)}</p>"


def _summary(run: _Run) -> report_mod.Section | None:
    if run.flags is None:
        return None
    t, w = run.table, run.words
    flagged = t["flagged"].fillna(False).astype(bool)
    classes = run.cfg.priority.flag_classes or (w.status_labels or [])[-2:]
    residents = run.extra["residents"][flagged].sum() if "residents" in run.extra else np.nan
    parts = [vocab.text("report.summary_flagged", flagged=vocab.count(int(flagged.sum())),
                        scored=vocab.count(int(t["valid"].sum())), units=w.units,
                        classes=" / ".join(classes), residents=vocab.persons(residents))]
    if "group" in run.extra and run.extra["group"].notna().any():
        top = run.extra["group"][flagged].value_counts().head(3)
        if len(top):
            parts.append(vocab.text("report.summary_groups", groups=", ".join(
                f"{g} ({vocab.count(n)})" for g, n in top.items())))
    if run.flags.areas is not None:
        a = run.flags.areas.areas
        parts.append(vocab.text("report.summary_areas", units=w.units, n=vocab.count(len(a)),
                                residents=vocab.persons(a["residents"].sum())))
    if run.rob is not None and "flagged_share_pct" in t:
        robust = int((flagged & t["flagged_share_pct"].astype("float64").ge(95)).sum())
        parts.append(vocab.text("report.summary_robust", robust=vocab.count(robust),
                                flagged=vocab.count(int(flagged.sum())), units=w.units))
    first = t["priority_rank"].eq(1).fillna(False).to_numpy(dtype=bool)
    if first.any():
        pos = int(np.flatnonzero(first)[0])
        group = run.extra["group"].iloc[pos] if "group" in run.extra else ""
        parts.append(vocab.text("report.summary_top", name=run.name_of(pos), group=group,
                                reason=str(t["flag_reason"].iloc[pos] or "")))
    return report_mod.Section("ergebnis", vocab.text("report.summary"),
                              "".join(_p(x, "lead" if i == 0 else None) for i, x in enumerate(parts)))


def _classes_text(labels: list[str], thresholds: list[float]) -> str:
    parts = [vocab.text("report.method_class_upto", label=lab, value=vocab.num(t, 1))
             for lab, t in zip(labels, thresholds, strict=False)]
    parts.append(vocab.text("report.method_class_above", label=labels[-1],
                            value=vocab.num(thresholds[-1], 1)))
    return "; ".join(parts)


def _method(run: _Run) -> report_mod.Section | None:
    cfg, w = run.cfg, run.words
    ix = cfg.index
    if ix is None or run.flags is None:
        return None
    label = w.labels.get
    items = [vocab.text("report.method_units", n=vocab.count(len(run.units)), units=w.units,
                        city=cfg.city.name, ind=", ".join(label(r.name, r.name) for r in ix.status)),
             vocab.text("report.method_index", units=w.units, index=ix.name),
             vocab.text("report.method_classes", index=ix.name,
                        classes=_classes_text(list(ix.status_labels), list(ix.status_thresholds)))]
    if ix.dynamics:
        items.append(vocab.text("report.method_dynamics", name=ix.dynamics_name,
                                ind=", ".join(label(r.name, r.name) for r in ix.dynamics),
                                classes=_classes_text(list(ix.dynamics_labels),
                                                      list(ix.dynamics_thresholds))))
    invalid = int((~run.table["valid"].astype(bool)).sum())
    items.append(vocab.text("report.method_min", units=w.units, n=vocab.count(ix.min_population),
                            count=vocab.count(invalid)))
    p = cfg.priority
    items.append(vocab.text("report.method_flag", classes=" / ".join(
        p.flag_classes or list(ix.status_labels[-2:]))))
    items.append(vocab.text("report.method_priority", ws=vocab.decimal(p.status_weight),
                            wd=vocab.decimal(p.dynamics_weight), wh=vocab.decimal(p.hotspot_weight),
                            wr=vocab.decimal(p.rule_weight)))
    if cfg.flag.thresholds:
        items.append(vocab.text("report.method_rules", rules="; ".join(
            f"{label(r.column, r.column)} " + vocab.text(
                f"report.rule_{r.kind}_{r.direction}",
                v=vocab.decimal(100 * r.value if r.kind == "quantile" else r.value))
            for r in cfg.flag.thresholds)))
    items.append(vocab.text("report.method_hotspots", perm=vocab.count(cfg.flag.permutations),
                            fdr=vocab.decimal(cfg.flag.fdr)))
    if cfg.areas is not None:
        items.append(vocab.text("report.method_areas", units=w.units,
                                min=vocab.persons(cfg.areas.min_residents),
                                max=vocab.persons(cfg.areas.max_residents)))
    if cfg.access is not None:
        items.append(vocab.text("report.method_access",
                                detour=vocab.decimal(cfg.access.detour_factor)))
    if run.rob is not None:
        items.append(vocab.text("report.method_robust", title=vocab.text("report.robustness")))
    return report_mod.Section("methode", vocab.text("report.method"),
                              "<ol>" + "".join(f"<li>{html_text(x)}</li>" for x in items) + "</ol>")


def _notes(run: _Run) -> report_mod.Section | None:
    notes = run.join.warnings()
    if run.flags is not None:
        notes += run.flags.notes
        if run.flags.areas is not None:
            notes += run.flags.areas.notes
    if run.acc is not None:
        notes += [*run.acc.notes, *run.acc.report.warnings]
    if run.sites is not None:
        notes += run.sites.warnings
    if run.mon is not None:
        notes += run.mon.notes
    if not notes:
        return None
    return report_mod.Section("hinweise", vocab.text("report.notes"),
                              _p(vocab.text("report.notes_lead"), "note") + "<ul>"
                              + "".join(f"<li>{html_text(vocab.relabel(n, run.words.labels))}</li>"
                                      for n in notes) + "</ul>")


def _top(run: _Run) -> report_mod.Section | None:
    if run.flags is None:
        return None
    t, w = run.table, run.words
    n = run.cfg.report.top_n
    order = t["priority_rank"].to_numpy(dtype="float64", na_value=np.inf)
    picks = [int(i) for i in np.argsort(order, kind="stable")[:n] if np.isfinite(order[i])]
    heads = [vocab.column("priority_rank"), w.unit, w.group, vocab.column("status_class"),
             vocab.column("dynamics_class"), vocab.column("hotspot"), vocab.column("area_id"),
             vocab.column("reasons")]
    rows = []
    for pos in picks:
        r = t.iloc[pos]
        page = run.pages.get(pos)
        name = html_text(run.name_of(pos)) + f" <span class='sub'>{html_text(r['unit_id'])}</span>"
        if page:
            name = f"<a href='{html_text(page)}'>{name}</a>"
        area = r.get("area_id")
        area_cell = (f"<a href='{html_text(run.area_pages[str(area)])}'>{html_text(area)}</a>"
                     if pd.notna(area) and str(area) in run.area_pages else "–")
        group = run.extra["group"].iloc[pos] if "group" in run.extra else None
        cells = [f"<td class='num'>{html_text(vocab.count(r['priority_rank']))}</td>",
                 f"<td>{name}</td>", f"<td>{html_text(group)}</td>",
                 f"<td>{html_text(r['status_class'])}</td>",
                 f"<td>{html_text(r.get('dynamics_class'))}</td>",
                 f"<td>{html_text(vocab.state(r.get('hotspot')))}</td>", f"<td>{area_cell}</td>",
                 f"<td class='reasons'>{html_text(r.get('reasons'))}</td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head_html = "".join(f"<th>{html_text(h)}</th>" for h in heads)
    return report_mod.Section(
        "prioritaet", vocab.text("report.top", n=len(picks), units=w.units),
        _p(vocab.text("report.top_lead"), "note") + "<div class='tablewrap'><table><thead><tr>"
        + head_html + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


def _by_group(run: _Run) -> report_mod.Section | None:
    if run.flags is None or "group" not in run.extra or run.extra["group"].isna().all():
        return None
    t, w = run.table, run.words
    flagged = t["flagged"].fillna(False).astype(bool).to_numpy()
    top_n = run.cfg.report.top_n
    groups = run.extra["group"].astype("string")
    rows = []
    for group in sorted(groups[flagged].dropna().unique()):
        members = np.flatnonzero(flagged & (groups == group).fillna(False).to_numpy())
        names = ", ".join(
            (f"<a href='{html_text(run.pages[p])}'>{html_text(run.name_of(p))}</a>"
             if p in run.pages else html_text(run.name_of(p)))
            for p in sorted(members, key=lambda p: t["priority_rank"].iloc[p]))
        top = int((t["priority_rank"].iloc[members] <= top_n).sum())
        residents = (run.extra["residents"].iloc[members].sum() if "residents" in run.extra
                     else np.nan)
        areas = t["area_id"].iloc[members].dropna().nunique() if "area_id" in t else 0
        rows.append((len(members), f"<tr><td>{html_text(group)}</td><td class='num'>"
                     f"{html_text(vocab.count(len(members)))}</td><td class='num'>"
                     f"{html_text(vocab.count(top))}</td><td class='num'>"
                     f"{html_text(vocab.persons(residents))}</td><td class='num'>"
                     f"{html_text(vocab.count(areas))}</td><td>{names}</td></tr>"))
    rows.sort(key=lambda r: -r[0])
    heads = [(w.group, ""), (vocab.text("report.by_group_n"), "num"),
             (vocab.text("report.by_group_top", n=top_n), "num"),
             (vocab.text("report.by_group_residents"), "num"),
             (vocab.text("report.by_group_areas"), "num"), (w.units, "")]
    head_html = "".join(f"<th class='{c}'>{html_text(h)}</th>" for h, c in heads)
    return report_mod.Section(
        "bezirke", vocab.text("report.by_group", units=w.units, group=w.group),
        "<div class='tablewrap'><table><thead><tr>" + head_html + "</tr></thead><tbody>"
        + "".join(r for _, r in rows) + "</tbody></table></div>")


def _areas(run: _Run) -> report_mod.Section | None:
    if run.flags is None or run.flags.areas is None:
        return None
    a = run.flags.areas.areas
    cols = ["area_id", "area_name", "district", "n_members", "residents", "mean_status_index",
            "dominant_reasons"]
    links = {"area_name": [run.area_pages.get(str(x)) for x in a["area_id"]]}
    return report_mod.Section(
        "aktionsraeume", vocab.text("report.areas_title"),
        _p(vocab.text("report.areas_lead", units=run.words.units), "note")
        + table(a[cols], run.words, 200, links=links,
                formats={"residents": vocab.persons,
                         "mean_status_index": lambda v: vocab.num(v, 2)}))


def _robustness(run: _Run) -> report_mod.Section | None:
    if run.rob is None or run.flags is None:
        return None
    return report_mod.Section("robustheit", vocab.text("report.robustness"),
                              robustness_out.report_html(run.flags.table, run.rob))


def _distributions(run: _Run) -> report_mod.Section | None:
    if run.flags is None:
        return None
    t, ix = run.table, run.cfg.index
    charts = [histogram(t[r.name], run.words.labels.get(r.name, vocab.column(r.name)))
              for r in [*ix.status, *ix.dynamics] if r.name in t]
    marks = {vocab.text("report.method_class_upto", label=lab, value=vocab.num(v, 1)): v
             for lab, v in zip(ix.status_labels, ix.status_thresholds, strict=False)}
    charts.insert(0, histogram(t["status_index"], ix.name, marks=marks))
    return report_mod.Section(
        "verteilungen", vocab.text("report.distributions"),
        _p(vocab.text("report.distributions_lead", units=run.words.units), "note")
        + f"<div class='charts'>{''.join(charts)}</div>")


def _access(run: _Run) -> report_mod.Section | None:
    if run.acc is None or run.cfg.access is None:
        return None
    t = run.acc.table
    cats = [c[5:-2] for c in t.columns if c.startswith("dist_")]
    specs = run.cfg.access.categories
    rows = "".join(
        f"<tr><td>{html_text(vocab.category(c, run.words.categories))}</td><td class='num'>"
        f"{html_text(vocab.metres(t[f'dist_{c}_m'].median()))}</td><td class='num'>"
        f"{html_text(vocab.metres(specs[c].good_m) if c in specs else '–')}</td><td class='num'>"
        f"{html_text(vocab.pct(t[f'share_within_{c}_pct'].median(), 0))}</td></tr>" for c in cats)
    heads = [(vocab.text("report.access_cat"), ""), (vocab.text("report.access_walk"), "num"),
             (vocab.text("report.access_good"), "num"), (vocab.text("report.access_share"), "num")]
    return report_mod.Section(
        "erreichbarkeit", vocab.text("report.access"),
        _p(vocab.text("report.access_lead", units=run.words.units), "note")
        + "<div class='tablewrap'><table><thead><tr>"
        + "".join(f"<th class='{c}'>{html_text(h)}</th>" for h, c in heads)
        + f"</tr></thead><tbody>{rows}</tbody></table></div>")


def _gaps(run: _Run) -> report_mod.Section | None:
    if run.gaps is None:
        return None
    c = run.gaps.candidates
    summary = (c.groupby("gap_type").agg(n=("gap_id", "size"), area=("area_m2", "sum"))
               .reset_index())
    return report_mod.Section(
        "bauluecken", vocab.text("report.gaps_title"),
        _p(vocab.text("report.gaps_lead"), "note")
        + table(summary, run.words, headers={"n": vocab.text("report.gaps_n"),
                                             "area": vocab.text("report.gaps_area")},
                formats={"area": vocab.area_m2, "n": vocab.count}))


def _sites(run: _Run) -> report_mod.Section | None:
    if run.sites is None:
        return None
    s = run.sites
    chosen = s.table[s.table["selected"]]
    lead = vocab.text("report.sites_lead", housed=vocab.count(s.housed),
                      people=vocab.count(s.people), n=vocab.count(len(chosen)))
    note = (f"<p class='flag'>{html_text(vocab.text('report.sites_illustrative'))}</p>"
            if run.words.illustrative_sites else "")
    return report_mod.Section(
        "standorte", vocab.text("report.sites_title"),
        note + _p(lead) + table(chosen[["site_id", "name", "places", "score", "unit_id",
                                        "reasons"]], run.words, 60,
                                formats={"score": lambda v: vocab.num(v, 0)}))


def _series(run: _Run) -> report_mod.Section | None:
    mon, cfg = run.mon, run.cfg
    if mon is None or cfg.monitor is None:
        return None
    w = run.words
    charts = []
    specs = {s.indicator: s for s in cfg.monitor.series}
    if mon.city_rent is not None and cfg.monitor.rent_indicator in specs:
        spec = specs[cfg.monitor.rent_indicator]
        series = pd.DataFrame({vocab.text("report.series_city", units=w.units_short or w.units):
                               mon.city_rent})
        if run.flags is not None:
            rents = monitor_mod.wide(mon.long, spec.indicator)
            for pos in np.argsort(run.table["priority_rank"].to_numpy(dtype="float64",
                                                                      na_value=np.inf))[:4]:
                uid = run.units["unit_id"].iloc[pos]
                if uid in rents.index:
                    series[run.name_of(pos)] = rents.loc[uid]
        note = vocab.text("report.series_source", source=spec.source) + (
            "; " + vocab.text("report.series_min", units=w.units, n=vocab.count(spec.min_count))
            if spec.min_count else "")
        charts.append(line_chart(series, spec.label or vocab.column(spec.indicator), spec.unit,
                                 note=note))
    for ind in mon.long["indicator"].unique():
        wide = monitor_mod.wide(mon.long, ind)
        spec = specs.get(ind)
        if wide.shape[1] < 3 or ind == (cfg.monitor.rent_indicator or "") or spec is None:
            continue
        total = spec.kind == "extensive"
        agg = wide.sum() if total else wide.median()
        name = vocab.text("report.series_total" if total else "report.series_city",
                          units=w.units_short or w.units)
        charts.append(line_chart(pd.DataFrame({name: agg}), spec.label or vocab.column(ind),
                                 spec.unit, note=vocab.text("report.series_source",
                                                            source=spec.source)))
    if not charts:
        return None
    return report_mod.Section("zeitreihen", vocab.text("report.series"),
                              f"<div class='charts'>{''.join(charts)}</div>")


def _target_rule(t) -> str:
    op = "≤" if t.better == "lower" else "≥"
    return vocab.text(f"report.target_rule_{t.measure}", op=op, target=vocab.smart(t.target))


def _targets(run: _Run) -> report_mod.Section | None:
    mon, cfg = run.mon, run.cfg
    if mon is None or mon.targets.empty or cfg.monitor is None:
        return None
    city = mon.targets[mon.targets["unit_id"] == "Stadt"]
    rules = {t.label or t.indicator: t for t in cfg.monitor.targets}
    labels = list(dict.fromkeys(city["label"]))
    years = sorted(city["year"].unique())
    heads = [vocab.column("year")] + [f"{lab} ({_target_rule(rules[lab])})" if lab in rules else lab
                                      for lab in labels]
    rows = []
    for year in years:
        cells = [f"<td>{int(year)}</td>"]
        for lab in labels:
            hit = city[(city["year"] == year) & (city["label"] == lab)]
            if hit.empty or hit["status"].iloc[0] == TargetState.NO_DATA:
                cells.append("<td>–</td>")
                continue
            rule = rules.get(lab)
            met = hit["status"].iloc[0] == TargetState.MET
            unit = "%" if rule is not None and rule.measure == "change_pct" else None
            value = (vocab.pct(hit["measure"].iloc[0], 1, sign=True) if unit
                     else vocab.num(hit["measure"].iloc[0], 2, sign=True))
            word = vocab.text("report.target_met" if met else "report.target_missed")
            cells.append(f"<td class='{'ok' if met else 'bad'}'>{html_text(word)} "
                         f"({html_text(value)})</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return report_mod.Section(
        "ziele", vocab.text("report.targets"),
        _p(vocab.text("report.targets_lead"), "note") + "<div class='tablewrap'><table><thead><tr>"
        + "".join(f"<th>{html_text(h)}</th>" for h in heads) + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></div>")


def _join(run: _Run) -> report_mod.Section | None:
    frame = run.join.to_frame()
    if frame.empty:
        return None
    return report_mod.Section("zuordnung", vocab.text("report.join"),
                              table(frame.drop(columns=["details"], errors="ignore"), run.words),
                              appendix=True)


def _unmatched(run: _Run) -> report_mod.Section | None:
    unmatched = run.join.unmatched_frame(run.units)
    if not len(unmatched):
        return None
    return report_mod.Section("schluessel", vocab.text("report.unmatched"),
                              table(unmatched, run.words, 200), appendix=True)


def _clusters(run: _Run) -> report_mod.Section | None:
    if run.flags is None or run.flags.clusters is None:
        return None
    c = run.flags.clusters
    m = c.metrics
    prof = c.profiles.rename_axis("cluster").reset_index()
    prof.insert(1, "cluster_name", prof["cluster"].map(c.names))
    lead = vocab.text("report.clusters_lead", k=m["k_kmeans"], sil=vocab.num(m["silhouette_kmeans"], 2),
                      ari=vocab.num(m["stability_ari_mean"], 2),
                      n=vocab.count(int(m["n_not_clustered"])))
    return report_mod.Section("cluster", vocab.text("report.clusters"),
                              _p(lead, "note") + table(prof[["cluster", "cluster_name", "n_units"]],
                                                       run.words), appendix=True)


def _validation(run: _Run) -> report_mod.Section | None:
    if run.flags is None or run.flags.areas is None:
        return None
    lowest = run.cfg.index.status_labels[-1]
    v = areas_mod.validation(run.flags.areas, run.flags.table, run.units, lowest)
    v = v.set_axis(["method", "areas", "inside", "residents", "median", "max", "compactness"],
                   axis=1)
    v["method"] = [vocab.text("report.validation_quartier"), vocab.text("report.validation_baseline")]
    headers = {"inside": vocab.text("report.validation_cls", units=run.words.units, cls=lowest),
               "median": vocab.text("report.validation_median"),
               "max": vocab.text("report.validation_max"),
               "compactness": vocab.text("report.validation_comp")}
    return report_mod.Section("validierung", vocab.text("report.validation"),
                              table(v, run.words, headers=headers,
                                    formats={"residents": vocab.persons, "median": vocab.persons,
                                             "max": vocab.persons,
                                             "compactness": lambda x: vocab.num(x, 2)}),
                              appendix=True)



def write_monitor(result: MonitorResult, out: Path) -> list[Path]:
    files = [write_csv(result.long, out / "monitoring.csv")]
    if not result.targets.empty:
        files += write_table(result.targets, out / "targets.csv")
    if result.signals is not None:
        files += write_table(result.signals, out / "housing_signals.csv")
    return files

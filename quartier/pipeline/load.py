"""Load a city's spatial units and indicator tables, with German data quirks handled.

The result of :func:`load_city` is one GeoDataFrame in the city's metric CRS, with the columns
``unit_id`` (zero-padded string), ``unit_name``, ``unit_group`` (if configured), the indicator
columns named in the config, and a :class:`JoinReport` that says what matched and what did not.
Unmatched rows are reported, never silently dropped; missing values stay NaN, never 0.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from quartier import vocab
from quartier.analysis.derive import derive_columns, formula
from quartier.analysis.indicators import aggregate
from quartier.config import QuartierConfig, required
from quartier.errors import ConfigError, InputDataError, QuartierError
from quartier.io.join import join_table, units_are_cells
from quartier.io.joinreport import JoinReport, TableReport
from quartier.io.numbers import default_aggregate
from quartier.io.places import place_names
from quartier.io.population import add_population
from quartier.io.quality import density_outliers
from quartier.io.tables import read_table
from quartier.io.units import read_units


def dissolve(units: gpd.GeoDataFrame, cfg: QuartierConfig, report: JoinReport) -> gpd.GeoDataFrame:
    """Merge the units by ``units.dissolve_by`` into the analysis units, aggregating the joined
    columns upward (counts summed, shares and rates weighted by population; see
    :func:`quartier.analysis.indicators.aggregate`). The merged units get the dissolve value as id."""
    u = required(cfg.units, "units")
    specs = {spec.name: (spec, t) for t in cfg.tables if t.level != "merged"
             for spec in t.columns.values()}
    how: dict[str, str] = {}
    unknown: list[str] = []
    for name, (spec, t) in specs.items():
        method = spec.aggregate or default_aggregate(spec.unit)
        if method is None:
            unknown.append(f"{name} (unit {spec.unit!r})")
            continue
        if method == "sum" and t.level == "group":
            raise InputDataError(f"column {name!r} of table {t.name!r} (level = 'group') would be "
                                 "summed over units that all carry their area's total; set its "
                                 "aggregate to 'mean' or join the table at level 'merged'")
        how[name] = method
    if unknown:
        raise InputDataError(
            f"units.dissolve_by: quartier cannot tell how to merge {', '.join(unknown)}: set "
            "aggregate = 'sum' (counts) or 'weighted_mean' (shares, rates) for each in "
            "[tables.columns]")
    weights = None
    if "weighted_mean" in how.values():
        pop = cfg.population_column
        if not pop or pop not in units or specs.get(pop, (None, None))[1] is None:
            raise InputDataError(
                "units.dissolve_by: shares and rates are merged weighted by population, but "
                "population_column names no column of the units before merging; join a "
                "population table at level 'unit' or set aggregate = 'mean' deliberately")
        weights = units[pop].astype("float64")
    groups = units["dissolve_id"]
    values = aggregate(units[list(how)], groups, how, weights)
    geom = units.dissolve(by="dissolve_id").geometry
    first = units.groupby("dissolve_id", sort=True)
    merged = gpd.GeoDataFrame({
        "unit_id": geom.index.astype("string"),
        "unit_name": first["dissolve_name"].first().reindex(geom.index).to_numpy(),
        **({"unit_group": first["unit_group"].agg(lambda g: g.iloc[0] if g.nunique() == 1
                                                  else pd.NA).reindex(geom.index).to_numpy()}
           if "unit_group" in units else {}),
    }, geometry=geom.to_numpy(), crs=units.crs)
    merged = merged.join(values.reindex(geom.index).reset_index(drop=True))
    incomplete = [c for c in how if values[c].isna().any() and not units[c].isna().all()]
    no_weight = []
    if weights is not None and weights.isna().any():
        # a member without its population leaves its merged unit's weighted means empty
        lacking = units.loc[weights.isna(), ["dissolve_id", "unit_id"]]
        members = lacking.groupby("dissolve_id", sort=True)["unit_id"].agg(", ".join)
        shares = [c for c, m in how.items() if m == "weighted_mean"
                  and units.loc[weights.isna(), c].notna().any()]
        if shares:
            no_weight.append(vocab.note("load.no_weight", columns=", ".join(shares),
                                        units=vocab.preview([vocab.note(
                                            "load.no_weight_member", unit=g, member=m,
                                            column=cfg.population_column)
                                            for g, m in members.items()], 10)))
    by_method = {m: [c for c, v in how.items() if v == m] for m in set(how.values())}
    methods = [vocab.note("load.method", method=vocab.note(f"load.method_{m}"),
                          columns=", ".join(cols)) for m, cols in sorted(by_method.items())]
    if incomplete:
        methods.append(vocab.note("load.dissolve_incomplete", columns=", ".join(incomplete)))
    report.unit_notes.append(vocab.note("load.dissolved", n=len(units), merged=len(merged),
                                        column=u.dissolve_by,
                                        methods="; ".join([*methods, *no_weight])))
    report.n_units = len(merged)
    return merged.reset_index(drop=True)


def load_city(
    cfg: QuartierConfig, progress: Callable[[str], None] | None = None,
    problems: list[str] | None = None,
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Read the units and join every configured table.

    Parameters
    ----------
    cfg : QuartierConfig
        The validated city config.
    progress : callable, optional
        Called with a short message before each step (the CLI shows it).
    problems : list, optional
        Collect instead of raise (``quartier check``): a table that cannot be read or joined
        adds its error here and is left out; the other tables are still read.

    Returns
    -------
    units : GeoDataFrame
        One row per unit in ``cfg.city.crs`` (metres).
    report : JoinReport
        What matched and what did not; its notes in the city's language (``city.language``).
    """
    with vocab.use_language(cfg.city.language):
        return _load_city(cfg, progress, problems)


def _load_city(cfg: QuartierConfig, progress: Callable[[str], None] | None,
               problems: list[str] | None) -> tuple[gpd.GeoDataFrame, JoinReport]:
    say = progress or (lambda _msg: None)
    if cfg.decide:
        raise ConfigError(
            f"{len(cfg.decide)} decision(s) `quartier init` left to you (key 'decide' at the top "
            "of the config):\n" + "\n".join(f"  - {d}" for d in cfg.decide)
            + "\nMake each in the config, then delete its line from 'decide'.")
    u = required(cfg.units, "units", "this job (spatial units)")
    say(f"reading units {u.path or (u.grid.path if u.grid is not None else '')}")
    units, notes = read_units(u, crs=cfg.city.crs,
                              max_scale_error_pct=cfg.city.max_scale_error_pct)
    if cfg.population is not None:
        say("residents from the population source")
        units, more = add_population(units, cfg.population)
        notes += more
    report = JoinReport(n_units=len(units), unit_notes=notes, language=cfg.city.language)
    units = _join_tables(units, cfg, report, say, problems)
    if cfg.derive:
        say("computing the derived columns ([[derive]])")
        units, derived = derive_columns(units, cfg.derive)
        for spec, n, derive_notes in derived:
            report.tables.append(TableReport(
                name=spec.name, path="[[derive]]", rows=len(units), matched=n,
                notes=[vocab.note("derive.formula", kind=spec.kind, formula=formula(spec)),
                       *derive_notes]))
    places = cfg.report.place_names
    if places is not None:
        say(f"naming the units by the places in {places.path}")
        try:
            names, more = place_names(units, cfg.resolve(places.path), places.name_column,
                                      group_column=places.group_column, layer=places.layer,
                                      crs=places.crs)
        except QuartierError as exc:
            _collect(exc, problems)
        else:
            units = units.assign(place_name=names["place_name"],
                                 place_group=names["place_group"])
            report.unit_notes += more
    _check_population(units, cfg.population_column, report, problems)
    return units, report


def _join_tables(units: gpd.GeoDataFrame, cfg: QuartierConfig, report: JoinReport,
                 say: Callable[[str], None], problems: list[str] | None) -> gpd.GeoDataFrame:
    """Every table at its level: the units', their coarser areas', then (after merging the
    units by ``dissolve_by``) the merged units'. With ``problems`` a failing table is collected
    and left out."""
    u = required(cfg.units, "units")
    for level in ("unit", "group", "merged"):
        if level == "merged" and u.dissolve_by:
            say(f"merging units by {u.dissolve_by}")
            try:
                units = dissolve(units, cfg, report)
            except QuartierError as exc:
                _collect(exc, problems)
                break
        for t in (t for t in cfg.tables if t.level == level):
            say(f"reading table {t.name} ({t.path})")
            try:
                table, table_report = read_table(t, grid=u.grid)
                units = join_table(units, table, table_report, t)
            except QuartierError as exc:
                _collect(exc, problems)
                continue
            report.tables.append(table_report)
    return units


def _collect(exc: QuartierError, problems: list[str] | None) -> None:
    """``check`` collects every problem; a run stops at the first."""
    if problems is None:
        raise exc
    problems.append(str(exc))


def _check_population(units: gpd.GeoDataFrame, column: str | None, report: JoinReport,
                      problems: list[str] | None) -> None:
    """The population column exists (``check`` names it among the columns no table provides)
    and no unit has residents no quarter can have."""
    if not column:
        return
    if column not in units.columns:
        if problems is None:
            raise InputDataError(
                f"population_column {column!r} is not a column of any table; "
                f"available: {', '.join(c for c in units.columns if c != 'geometry')}")
        return
    if units_are_cells(units):
        return
    bad = density_outliers(units[column], units.geometry.area, units["unit_name"])
    if bad:
        report.unit_notes.append(vocab.note("load.density", column=column,
                                            units=vocab.preview(bad, 4)))

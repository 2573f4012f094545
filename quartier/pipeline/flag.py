"""Flag conspicuous quarters: thresholds, targets, clusters, hot spots, screening, priority.

The official flag is the index (:mod:`quartier.indicators`); everything here adds context. Every
function takes the units (a GeoDataFrame in a metric CRS with ``unit_id``) and returns columns
that can be joined to them, each with its reason in words.

Priority score (higher = more urgent), for the units the index scores, with the weights of
``[priority]`` (defaults in brackets)::

    priority_score = w_status [1] · status_index + w_dynamics [0.5] · dynamics_index
                     + w_hotspot [0.5] · [Gi* hot spot] + w_rule [0.25] · (threshold rules hit)

``priority_rank`` 1 is the highest score; ranks are unique (ties: higher status index first, then
the unit id). ``flagged`` marks the units a council should look at: status class among
``flag_classes`` (default the two lowest), or ``flag_min_rules`` rules hit, or among the
``flag_top_pct`` % highest scores; ``flag_reason`` says which. Unscored units (too few
inhabitants, missing values) get no rank and say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.analysis import dynamics as dynamics_mod
from quartier.analysis.areas import AreasResult
from quartier.analysis.clusters import REGIONS_CAP, ClusterResult, explore_clusters
from quartier.analysis.graph import queen_adjacency
from quartier.analysis.hotspots import NOT_TESTABLE, hot_spots
from quartier.analysis.indicators import DYNAMICS_SIGNS, add_changes, compute_index
from quartier.analysis.priority import (
    PRIORITY_COLUMNS,
    index_warnings,
    priority,
    screen_single_facilities,
)
from quartier.analysis.rules import apply_thresholds, evaluate_targets
from quartier.config import (
    IndexConfig,
    QuartierConfig,
)
from quartier.errors import InputDataError
from quartier.io.places import PLACE_COLUMNS


@dataclass
class FlagResult:
    """Everything `quartier flag` produces."""

    #: one row per unit, in the units' order (the rank is the column ``priority_rank``)
    table: gpd.GeoDataFrame
    clusters: ClusterResult | None
    targets: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    areas: AreasResult | None = None   # where the config has [areas]


def base_levels(units: pd.DataFrame, cfg: IndexConfig, series: pd.DataFrame | None
                ) -> pd.DataFrame | None:
    """The level at the start of the period of every dynamics indicator (one column per
    indicator name): the ``base`` column, the series at ``base_year``, or ``level − change`` with
    the level column of ``dynamics_levels``. None when one is unknown."""
    out = pd.DataFrame(index=units.index)
    for ref in cfg.dynamics:
        if ref.base is not None:
            out[ref.name] = units[ref.base].astype("float64")
        elif ref.series is not None and series is not None:
            sel = series[(series["indicator"] == ref.series) & (series["year"] == ref.base_year)]
            out[ref.name] = units["unit_id"].map(sel.set_index("unit_id")["value"]).astype("float64")
        elif ref.name in cfg.dynamics_levels:
            level = cfg.dynamics_levels[ref.name]
            if level not in units:
                raise InputDataError(f"index.dynamics_levels: {level!r} is not a loaded column")
            out[ref.name] = (units[level].astype("float64") - units[ref.name].astype("float64"))
        else:
            return None
    return out


def adjust_dynamics(units: pd.DataFrame, idx: pd.DataFrame, cfg: IndexConfig,
                    series: pd.DataFrame | None, labels: dict[str, str] | None = None
                    ) -> tuple[pd.DataFrame, list[str]]:
    """The residual dynamics next to the percentage points (:mod:`quartier.dynamics`), where the
    base level of every dynamics indicator is known: ``dynamics_index_adjusted``,
    ``dynamics_class_adjusted``, ``dynamics_sign_flip``; with ``dynamics_method = "residual"``
    they become the dynamics index (the pp reading stays in ``dynamics_index_pp``,
    ``dynamics_class_pp``). Returns the index table and notes."""
    if not cfg.dynamics:
        return idx, []
    bases = base_levels(units, cfg, series)
    if bases is None:
        if cfg.dynamics_method == "residual":
            missing = [r.name for r in cfg.dynamics if r.base is None and r.series is None
                       and r.name not in cfg.dynamics_levels]
            raise InputDataError(f"index.dynamics_method = 'residual' needs the base level of "
                                 f"{missing}: name their level columns in index.dynamics_levels")
        return idx, []
    names = [r.name for r in cfg.dynamics]
    try:
        adj = dynamics_mod.adjusted_dynamics(
            units[names], bases, idx["valid"], weights=[r.weight * r.sign for r in cfg.dynamics],
            thresholds=cfg.dynamics_thresholds, labels=cfg.dynamics_labels, ddof=cfg.ddof,
            method=cfg.dynamics_fit)
    except InputDataError as exc:
        if cfg.dynamics_method == "residual":
            raise
        # asked for pp: the residual reading is an extra, and why it is absent is said
        return idx, [vocab.note("flag.dynamics_not_adjusted", why=str(exc))]
    idx = idx.join(adj.table)
    flip = np.sign(idx["dynamics_index"]) != np.sign(idx["dynamics_index_adjusted"])
    idx["dynamics_sign_flip"] = flip.where(idx["valid"]).astype("boolean")
    share = dynamics_mod.sign_flip_share(idx["dynamics_index"], idx["dynamics_index_adjusted"])
    slopes = ", ".join(f"{(labels or {}).get(r.indicator, r.indicator)} "
                       + vocab.num(r.slope, 3, sign=True) for r in adj.fits.itertuples())
    official = cfg.dynamics_method == "pp"
    notes = [vocab.note("flag.sign_flip_pp" if official else "flag.sign_flip_residual",
                        fit=dynamics_mod.FIT_NAMES[adj.method], slopes=slopes,
                        share=vocab.num(100 * share, 1))]
    if not official:
        idx["dynamics_index_pp"] = idx["dynamics_index"]
        idx["dynamics_class_pp"] = idx["dynamics_class"]
        idx["dynamics_index"] = idx["dynamics_index_adjusted"]
        idx["dynamics_class"] = idx["dynamics_class_adjusted"]
        idx["dynamics_sum"] = idx["dynamics_sum_adjusted"]
        for name in names:
            idx[f"z_{name}"] = idx[f"zresid_{name}"]
        dyn_n = idx["dynamics_class"].map({lab: i for i, lab in enumerate(cfg.dynamics_labels)})
        signs = {i: DYNAMICS_SIGNS.get(i, str(i + 1)) for i in range(len(cfg.dynamics_labels))}
        idx["status_dynamics"] = (idx["status_class_n"].astype("string")
                                  + dyn_n.map(signs).astype("string")).where(idx["valid"])
    return idx, notes


def flag_units(units: gpd.GeoDataFrame, cfg: QuartierConfig, series: pd.DataFrame | None = None
               ) -> FlagResult:
    """Index, thresholds, clusters, hot spots, screening and priority for every unit: the
    steps of ``quartier flag``, without writing a file.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The units with their indicator columns, as :func:`~quartier.pipeline.load.load_city`
        returns them.
    cfg : QuartierConfig
        The city's config (its ``[index]``, ``[flag]``, ``[priority]``, ``[clusters]`` and
        ``[areas]`` sections are used).
    series : pandas.DataFrame, optional
        The long monitoring table (``unit_id``, ``indicator``, ``year``, ``value``), needed
        when an index indicator is the change of a series between two years.

    Returns
    -------
    FlagResult
        ``table``: one row per unit in the units' order, the contract columns of
        ``priority.csv`` first (:data:`PRIORITY_COLUMNS`: rank, index, classes, flag and its
        reasons), then the details (indicator values, z-values, cluster names, Gi*, LISA,
        screening); ``clusters``, ``targets``, ``notes`` (every fallback in words) and
        ``areas``.

    Raises
    ------
    InputDataError
        If the config has no ``[index]`` or a column it names is missing.
    """
    if cfg.index is None:
        raise InputDataError("the config has no [index] section: nothing to flag")
    units, labels = add_changes(units, cfg.index, cfg.labels(), series)
    idx = compute_index(units, cfg.index, population_column=cfg.population_column)
    idx, dynamics_notes = adjust_dynamics(units, idx, cfg.index, series, labels)
    if "dynamics_index" not in idx:
        idx["dynamics_index"] = np.nan
        idx["dynamics_class"] = pd.Series(pd.NA, index=idx.index, dtype="string")
    rules = apply_thresholds(units, cfg.flag.thresholds, labels)
    notes = [n for n in idx["notes"].unique() if n] + dynamics_notes
    notes += index_warnings(units, [r.name for r in cfg.index.status], cfg.units_of(), labels,
                            cfg.population_column)
    # one contiguity graph for hot spots and contiguous regions
    adjacency = queen_adjacency(units.geometry.values)
    spots = hot_spots(units.assign(status_index=idx["status_index"]), "status_index",
                      valid=idx["valid"], permutations=cfg.flag.permutations, fdr=cfg.flag.fdr,
                      seed=cfg.flag.seed, adjacency=adjacency, p_mode=cfg.flag.hotspot_p)
    tested = spots["p_basis"].str.startswith("analytisch").fillna(False)
    if tested.any():
        notes.append(vocab.note("flag.analytic_p", n=int(tested.sum()),
                                permutations=str(cfg.flag.permutations)))
    untested = spots["hotspot"].eq(NOT_TESTABLE)
    untested_note = ""
    if untested.any():
        reasons = spots.loc[untested, "p_basis"].str.removeprefix(f"{NOT_TESTABLE}: ")
        untested_note = vocab.note("flag.untestable", n=int(untested.sum()),
                                   reasons="; ".join(reasons.value_counts().index[:3]))
        notes.append(untested_note)
    clusters = None
    if cfg.flag.cluster_columns:
        clusters = explore_clusters(units, cfg.flag, labels, adjacency=adjacency)
        cl = clusters.labels
        if int(clusters.metrics["n_clustered"]) > REGIONS_CAP:   # regions not computed
            notes.append(vocab.note("flag.regions", regions=clusters.metrics["regions"]))
        cl["cluster_name"] = cl["cluster"].map(clusters.names).fillna("nicht geclustert")
    else:
        cl = pd.DataFrame({"cluster": -1, "cluster_name": "nicht geclustert"}, index=units.index)
    screening = screen_single_facilities(units, idx, cfg.population_column, cfg.flag, labels)
    values = list(dict.fromkeys(r.name for r in [*cfg.index.status, *cfg.index.dynamics]))
    places = [c for c in PLACE_COLUMNS if c in units]
    table = pd.concat([units[["unit_id", "unit_name", *places, *values]], idx, rules, spots, cl,
                       screening.rename("screening")], axis=1)
    if untested_note:
        table["notes"] = table["notes"].astype("string").mask(
            untested, table["notes"].astype("string").where(table["notes"].eq(""), table["notes"]
                                                            + "; ") + untested_note)
    status_labels = list(cfg.index.status_labels)
    table = table.join(priority(table, labels, cfg.priority, status_labels,
                                list(cfg.index.dynamics_labels)))
    extra = [c for c in table.columns if c not in PRIORITY_COLUMNS and c not in places]
    ordered = table[PRIORITY_COLUMNS[:2] + places + PRIORITY_COLUMNS[2:] + extra]
    gdf = gpd.GeoDataFrame(ordered, geometry=units.geometry, crs=units.crs)
    targets = evaluate_targets(units, cfg.flag.targets, labels)
    if cfg.population_column is None:
        notes.append(vocab.note("flag.no_screening"))
    return FlagResult(table=gdf, clusters=clusters, targets=targets, notes=notes)

"""Action areas (*Aktionsräume*): contiguous groups of flagged units that a council can fund.

Region growing over the rook contiguity graph (units whose boundaries share a line,
:func:`quartier.analysis.graph.queen_adjacency` with ``rook=True``; units touching only at a corner would
dissolve into two polygons):

1. **Candidates** are the flagged units plus *gap closers*: unflagged units (unscored ones
   included: a park, a station) that touch at least two flagged units, with at least
   ``gap_min_flagged_share`` of their neighbours flagged.
2. **Components** of the candidate graph are the natural areas (this alone is the *baseline*:
   dissolving adjacent flagged units).
3. A component with more than ``max_residents`` is **split by region growing**: the unassigned
   member with the highest priority seeds a region, which takes the adjacent member of highest
   priority as long as the residents stay within the bound; then the next seed. A piece under
   ``min_residents`` joins an adjacent region that can hold it, else it is left out.
4. Gap closers beyond ``max_gap_share`` of an area's members are removed (fewest flagged
   neighbours first), as is a gap closer that no longer touches two members of its area; an area
   that falls apart without them is split into its connected parts.
5. Areas under ``min_residents`` are left out (listed), and with ``max_areas`` the areas of
   highest mean priority are kept.

Everything is deterministic: ties in priority are broken by a permutation drawn from ``seed``.
Each area carries its members, residents, mean and maximum status index, the share of flagged
members, the indicators that dominate (mean z of the members), its compactness
(Polsby-Popper ``4πA/P²``) and ``contiguous``: the dissolved members form one polygon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from quartier import vocab
from quartier.analysis.graph import queen_adjacency
from quartier.config import AreasConfig, as_section
from quartier.errors import InputDataError

AREA_COLUMNS = ["area_id", "area_name", "district", "member_ids", "n_members", "n_flagged",
                "n_gap_closers", "residents", "mean_status_index", "max_status_index",
                "share_flagged_pct", "dominant_reasons", "compactness", "contiguous"]


@dataclass
class AreasResult:
    """The areas (one row each, with geometry), each unit's area and role, and notes."""

    areas: gpd.GeoDataFrame
    membership: pd.DataFrame
    baseline: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)


def gap_closers(adj: csr_matrix, flagged: np.ndarray, min_share: float) -> np.ndarray:
    """Unflagged units touching ≥ 2 flagged units, with ≥ ``min_share`` of neighbours flagged."""
    n_flagged_nb = adj @ flagged.astype(float)
    degree = np.asarray(adj.sum(axis=1)).ravel()
    share = np.divide(n_flagged_nb, degree, out=np.zeros_like(n_flagged_nb), where=degree > 0)
    return ~flagged & (n_flagged_nb >= 2) & (share >= min_share)


def _grow(members: np.ndarray, adj: csr_matrix, pop: np.ndarray, order: np.ndarray,
          max_res: float) -> list[list[int]]:
    """Split one component into contiguous regions of at most ``max_res`` residents: seeds and
    growth by priority (``order``: rank position of each unit, lower = more urgent)."""
    left = set(members.tolist())
    regions = []
    while left:
        seed = min(left, key=lambda u: order[u])
        region, total = [seed], pop[seed]
        left.discard(seed)
        frontier = {int(v) for v in adj.indices[adj.indptr[seed]:adj.indptr[seed + 1]]} & left
        while frontier:
            best = min(frontier, key=lambda u: order[u])
            frontier.discard(best)
            if total + pop[best] > max_res:
                continue
            region.append(best)
            total += pop[best]
            left.discard(best)
            frontier |= {int(v) for v in adj.indices[adj.indptr[best]:adj.indptr[best + 1]]} & left
        regions.append(region)
    return regions


def _merge_small(regions: list[list[int]], adj: csr_matrix, pop: np.ndarray, min_res: float,
                 max_res: float) -> list[list[int]]:
    """Pieces under ``min_res`` join an adjacent region that can hold them."""
    regions = list(regions)
    changed = True
    while changed:
        changed = False
        totals = [pop[r].sum() for r in regions]
        for i, r in enumerate(regions):
            if totals[i] >= min_res or not r:
                continue
            touching = set(adj[r].indices)
            options = [j for j, other in enumerate(regions) if j != i and other
                       and touching & set(other) and totals[j] + totals[i] <= max_res]
            if options:
                j = min(options, key=lambda k: totals[k])
                regions[j] = regions[j] + r
                regions[i] = []
                changed = True
                break
    return [r for r in regions if r]


def _limit_gap_closers(region: list[int], is_gap: np.ndarray, flagged: np.ndarray,
                       adj: csr_matrix, flagged_nb: np.ndarray, max_share: float
                       ) -> list[list[int]]:
    """Drop the gap closers that close no gap in this area (fewer than two neighbours in it)
    and those beyond ``max_share`` of the members (fewest flagged neighbours first); an area
    that falls apart without them is split into its connected parts (those with a flagged
    member remain)."""
    pending, done = [list(region)], []
    while pending:
        part = pending.pop()
        members = set(part)
        for u in sorted((u for u in part if is_gap[u]), key=lambda u: flagged_nb[u]):
            inside = set(adj.indices[adj.indptr[u]:adj.indptr[u + 1]].tolist()) & members
            n_gap = sum(is_gap[v] for v in members)
            if len(inside) < 2 or n_gap > max_share * len(members):
                members.discard(u)
        part = sorted(members)
        if not part:
            continue
        n, label = connected_components(adj[part][:, part], directed=False)
        pieces = [[part[k] for k in np.flatnonzero(label == c)] for c in range(n)]
        if n == 1 and len(part) == len(members):
            if flagged[part].any():
                done.append(part)
            continue
        pending += [p for p in pieces if flagged[p].any()]
    return done


def dominant_reasons(z: pd.DataFrame, labels: dict[str, str], top: int = 3) -> str:
    """The indicators whose mean z over the members deviates most (|mean z| ≥ 0.5)."""
    mean = z.mean()
    strong = mean[mean.abs() >= 0.5].sort_values(key=lambda s: -s.abs()).head(top)
    return "; ".join(f"{labels.get(c[2:], c[2:])} {v:+.1f} SD".replace(".", ",")
                     for c, v in strong.items())


def polsby_popper(geoms: np.ndarray) -> np.ndarray:
    """Compactness ``4πA/P²``: 1 for a circle, small for elongated or ragged shapes."""
    return 4 * np.pi * shapely.area(geoms) / np.maximum(shapely.length(geoms) ** 2, 1e-9)


def build_areas(units: gpd.GeoDataFrame, flags: pd.DataFrame, population: pd.Series,
                areas: AreasConfig | Mapping[str, Any], labels: dict[str, str] | None = None
                ) -> AreasResult:
    """Propose action areas by region growing over the rook contiguity graph (steps 1–5 of
    the module docstring).

    Parameters
    ----------
    units : GeoDataFrame
        Units in a metric CRS with ``unit_id``, ``unit_name`` (and ``unit_group``).
    flags : DataFrame
        The priority table (same index as ``units``): ``flagged``, ``priority_score``,
        ``status_index`` and optionally the indicators' z-values ``z_*`` (the dominant reasons).
    population : Series
        Residents per unit (same index); a missing count counts as 0 residents and is noted.
    areas : AreasConfig or dict
        The ``[areas]`` section: ``min_residents``, ``max_residents`` (persons),
        ``max_areas``, ``max_gap_share``, ``gap_min_flagged_share`` (0–1) and ``seed``.
    labels : dict, optional
        Display names of indicator columns, for the dominant reasons.

    Returns
    -------
    AreasResult
        ``areas``: one row per area (:data:`AREA_COLUMNS`, polygon of its members);
        ``membership``: ``unit_id``, ``area_id``, ``area_role`` per unit (index of ``units``);
        ``baseline``: adjacent flagged units simply dissolved, for comparison; ``notes``.

    Examples
    --------
    The tiny city's seven units with an SGB II share above 22 % lie in its north-east corner;
    with the default bounds they and one gap closer (T28, surrounded by them) form one area:

    >>> import pandas as pd
    >>> from quartier.testing import tiny_city
    >>> city = tiny_city()
    >>> z = (city["share_sgb2_pct"] - city["share_sgb2_pct"].mean()) / city["share_sgb2_pct"].std()
    >>> flags = pd.DataFrame({"flagged": city["share_sgb2_pct"] > 22, "priority_score": z,
    ...                       "status_index": z})
    >>> result = build_areas(city, flags, city["residents"], {})
    >>> result.areas[["area_id", "member_ids", "residents", "n_gap_closers"]]
      area_id                              member_ids  residents  n_gap_closers
    0    AR01  T36, T35, T30, T24, T29, T34, T18, T28    20920.0              1

    At most 12,000 residents per area: the region grown from the highest priority holds four
    units; the three left are not adjacent, each under ``min_residents``, and are said:

    >>> small = build_areas(city, flags, city["residents"],
    ...                     {"min_residents": 5000, "max_residents": 12000})
    >>> small.areas["member_ids"].tolist()
    ['T36, T35, T30, T24']
    >>> print(small.notes[0])
    3 Gruppe(n) gekennzeichneter Einheiten unter 5.000 Einwohnern bilden keinen Aktionsraum: ...
    """
    cfg = as_section(areas, AreasConfig, "build_areas")
    labels = labels or {}
    n = len(units)
    flags = flags.reindex(units.index)
    if "flagged" not in flags:
        raise InputDataError("areas need the priority table with its flagged column (quartier flag)")
    flagged = flags["flagged"].fillna(False).to_numpy(dtype=bool)
    pop_series = population.reindex(units.index).astype("float64")
    notes = []
    if pop_series.isna().any():
        notes.append(vocab.note("areas.no_population", n=int(pop_series.isna().sum())))
    pop = pop_series.fillna(0).to_numpy()
    adj = queen_adjacency(units.geometry.values, rook=True)
    is_gap = gap_closers(adj, flagged, cfg.gap_min_flagged_share)
    flagged_nb = adj @ flagged.astype(float)
    # priority order: score (unscored gap closers last), ties by a seeded permutation
    rng = np.random.default_rng(cfg.seed)
    score = flags["priority_score"].to_numpy(dtype="float64")
    tiebreak = rng.permutation(n)
    order = np.empty(n, dtype=int)
    order[np.lexsort((tiebreak, -np.nan_to_num(score, nan=-np.inf)))] = np.arange(n)
    candidate = flagged | is_gap
    cand_idx = np.flatnonzero(candidate)
    sub = adj[cand_idx][:, cand_idx]
    n_comp, comp = connected_components(sub, directed=False)
    regions: list[list[int]] = []
    for c in range(n_comp):
        members = cand_idx[comp == c]
        if not flagged[members].any():
            continue
        if pop[members].sum() <= cfg.max_residents:
            pieces = [members.tolist()]
        else:
            pieces = _merge_small(_grow(members, adj, pop, order, cfg.max_residents), adj, pop,
                                  cfg.min_residents, cfg.max_residents)
        for piece in pieces:
            for part in _limit_gap_closers(piece, is_gap, flagged, adj, flagged_nb,
                                           cfg.max_gap_share):
                regions.append(sorted(part, key=lambda u: order[u]))
    small = [r for r in regions if pop[r].sum() < cfg.min_residents]
    regions = [r for r in regions if pop[r].sum() >= cfg.min_residents]
    if small:
        left = sorted(units["unit_id"].iloc[u] for r in small for u in r if flagged[u])
        notes.append(vocab.note("areas.small", n=len(small), min=int(cfg.min_residents),
                                ids=", ".join(left[:20])
                                + (f" … (+{len(left) - 20})" if len(left) > 20 else "")))
    regions.sort(key=lambda r: np.nanmean(np.where(np.isfinite(score[r]), score[r], np.nan)),
                 reverse=True)
    if cfg.max_areas is not None and len(regions) > cfg.max_areas:
        notes.append(vocab.note("areas.beyond_max", n=len(regions) - cfg.max_areas,
                                max=cfg.max_areas))
        regions = regions[:cfg.max_areas]
    found = _describe(units, flags, regions, flagged, is_gap, pop, labels)
    membership = pd.DataFrame({"unit_id": units["unit_id"].to_numpy(), "area_id": pd.NA,
                               "area_role": ""}, index=units.index).astype({"area_id": "string"})
    for area_id, r in zip(found["area_id"], regions, strict=True):
        rows = units.index[r]
        membership.loc[rows, "area_id"] = area_id
        membership.loc[rows, "area_role"] = np.where(flagged[r], "gekennzeichnet", "Lückenschluss")
    flag_idx = np.flatnonzero(flagged)
    _, flag_comp = connected_components(adj[flag_idx][:, flag_idx], directed=False)
    baseline = _baseline(units, [flag_idx[flag_comp == c] for c in np.unique(flag_comp)], pop)
    return AreasResult(areas=found, membership=membership, baseline=baseline, notes=notes)


def _describe(units: gpd.GeoDataFrame, flags: pd.DataFrame, regions: list[list[int]],
              flagged: np.ndarray, is_gap: np.ndarray, pop: np.ndarray,
              labels: dict[str, str]) -> gpd.GeoDataFrame:
    zcols = [c for c in flags.columns if c.startswith("z_")]
    rows, geoms = [], []
    for k, r in enumerate(regions, start=1):
        members = units.iloc[r]
        geom = shapely.union_all(members.geometry.values)
        biggest = members["unit_name"].iloc[int(np.argmax(pop[r]))]
        district = (members["unit_group"].mode().iloc[0] if "unit_group" in members
                    and members["unit_group"].notna().any() else "")
        status = flags["status_index"].iloc[r]
        rows.append({
            "area_id": f"AR{k:02d}",
            "area_name": biggest + (f" u. a. ({len(r)} Einheiten)" if len(r) > 1 else ""),
            "district": district,
            "member_ids": ", ".join(members["unit_id"]),
            "n_members": len(r), "n_flagged": int(flagged[r].sum()),
            "n_gap_closers": int(is_gap[r].sum()),
            "residents": float(pop[r].sum()),
            "mean_status_index": float(status.mean()), "max_status_index": float(status.max()),
            "share_flagged_pct": float(100 * flagged[r].mean()),
            "dominant_reasons": dominant_reasons(flags[zcols].iloc[r], labels),
            "compactness": float(polsby_popper(np.array([geom]))[0]),
            "contiguous": geom.geom_type == "Polygon",
        })
        geoms.append(geom)
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=AREA_COLUMNS), geometry=geoms,
                            crs=units.crs)


def _baseline(units: gpd.GeoDataFrame, groups: list[np.ndarray], pop: np.ndarray) -> gpd.GeoDataFrame:
    """The simple way: adjacent flagged units dissolved, no bounds, no gap closers."""
    geoms = [shapely.union_all(units.geometry.values[g]) for g in groups]
    return gpd.GeoDataFrame({"members": [len(g) for g in groups],
                             "residents": [float(pop[g].sum()) for g in groups],
                             "member_ids": [", ".join(units["unit_id"].iloc[g]) for g in groups]},
                            geometry=geoms, crs=units.crs)


def validation(result: AreasResult, flags: pd.DataFrame, units: gpd.GeoDataFrame,
               cls: str = "sehr niedrig") -> pd.DataFrame:
    """Areas against the baseline: how many units of status class ``cls`` they hold, residents,
    compactness, size."""
    target = set(units.loc[flags.reindex(units.index)["status_class"].astype("string") == cls,
                           "unit_id"])
    rows = []
    for name, frame in (("Aktionsräume (quartier)", result.areas),
                        ("Baseline: benachbarte gekennzeichnete Einheiten", result.baseline)):
        ids = {i for m in frame["member_ids"] for i in m.split(", ")}
        res = frame["residents"]
        comp = polsby_popper(frame.geometry.values) if len(frame) else np.array([])
        rows.append({"method": name, "areas": len(frame),
                     f"units '{cls}' inside": f"{len(ids & target)} / {len(target)}",
                     "residents": float(res.sum()),
                     "residents per area (median)": float(res.median()) if len(res) else np.nan,
                     "residents per area (max)": float(res.max()) if len(res) else np.nan,
                     "compactness (median)": float(np.median(comp)) if len(comp) else np.nan})
    return pd.DataFrame(rows)

"""Siting housing for refugees in integrated locations: score and decentralised selection.

Score of a site (0–100), each component a column::

    score = access_score − status_penalty − shelter_penalty     (clipped to 0…100)

``access_score`` is the walking access of the site (:func:`quartier.access.point_access`);
``status_penalty`` takes points off in quarters of the lowest status classes (avoid piling up);
``shelter_penalty`` takes points off within ``shelter_radius_m`` of an existing shelter. Sites in
an excluded layer (industrial land, noise, flood zones) are not eligible.

Selection is an integer program solved with HiGHS (``scipy.optimize.milp``)::

    maximise   Σ score_i · p_i
    subject to Σ p_i = N                                   (house everyone)
               min_places · y_i ≤ p_i ≤ cap_i · y_i        (p places, y open; cap ≤ 300)
               Σ_{i ∈ quarter q} p_i ≤ share_q · residents_q
               Σ_{i ∈ district d} p_i ≤ share_d · residents_d
               y_i + y_j ≤ 1  for sites closer than min_distance_m
               y binary, p integer

When N exceeds what the caps allow, the shortfall is reported and the best partial plan (most
people housed, then best score) is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, vstack
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from quartier import vocab
from quartier.analysis.access import point_access
from quartier.config import AccessConfig, SitesConfig
from quartier.errors import InputDataError, rows_preview
from quartier.vocab import GONE_STATES


@dataclass
class SitesResult:
    table: gpd.GeoDataFrame
    people: int
    housed: int
    objective: float
    status: str
    binding: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def shortfall(self) -> int:
        return self.people - self.housed


def capacity_from_area(area_m2: np.ndarray, s: SitesConfig) -> np.ndarray:
    """Places on a gap: ``area · GFZ / m² per place``, capped at ``max_places_per_site``."""
    return np.minimum(np.floor(area_m2 * s.floor_area_ratio / s.m2_per_place),
                      s.max_places_per_site).astype(int)


def sites_from_gaps(cadastre: gpd.GeoDataFrame, s: SitesConfig) -> gpd.GeoDataFrame:
    """Gap candidates as sites (reviewed ones first in the reasons), capacity from their area."""
    # an orphaned candidate is gone; a replaced one lives on in its successor (one plot, one site)
    sel = cadastre[cadastre["status"].isin(s.gap_statuses)
                   & ~cadastre.get("state", pd.Series("", index=cadastre.index)).isin(
                       list(GONE_STATES))]
    return gpd.GeoDataFrame({
        "site_id": sel["gap_id"].to_numpy(),
        "name": (sel["gap_type"] + " " + sel["gap_id"]).to_numpy(),
        "capacity": capacity_from_area(sel["area_m2"].to_numpy(), s),
        "source": ("Baulückenkataster (" + sel["status"] + ")").to_numpy(),
    }, geometry=sel.geometry.representative_point().to_numpy(), crs=cadastre.crs)


def score_sites(sites: gpd.GeoDataFrame, units: gpd.GeoDataFrame, status: pd.Series | None,
                pois: gpd.GeoDataFrame, access_cfg: AccessConfig, s: SitesConfig,
                shelters: gpd.GeoDataFrame | None, exclude: BaseGeometry | None
                ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Score components per site; sites outside the city or excluded get ``eligible = False``."""
    warnings = []
    out = sites.copy()
    tree = shapely.STRtree(units.geometry.values)
    pi, ui = tree.query(out.geometry.values, predicate="within")
    unit_pos = np.full(len(out), -1)
    unit_pos[pi] = ui
    out["unit_id"] = np.where(unit_pos >= 0, units["unit_id"].to_numpy()[np.maximum(unit_pos, 0)],
                              None)
    outside = unit_pos < 0
    if outside.any():
        warnings.append(vocab.note("sites.outside", n=int(outside.sum()),
                                   ids=rows_preview(out.loc[outside, "site_id"])))
    acc = point_access(out, pois, access_cfg, counts=False)
    out["score_access"] = acc["access_score"].round(1).to_numpy()
    cats = [c for c in acc.columns if c.startswith("dist_")]
    labels = {k: v.label for k, v in access_cfg.categories.items()}
    out["nearest_pois"] = acc[cats].apply(
        lambda r: ", ".join(vocab.note("sites.nearest", label=vocab.category(c[5:-2], labels),
                                       dist=vocab.metres(v))
                            for c, v in r.items() if np.isfinite(v)), axis=1)
    cls = pd.Series(None, index=out.index, dtype=object)
    if status is not None:
        cls = pd.Series(np.where(unit_pos >= 0, status.to_numpy()[np.maximum(unit_pos, 0)], None),
                        index=out.index)
    out["status_class"] = cls
    out["penalty_status"] = cls.map(s.status_penalty).fillna(0.0).astype(float)
    out["penalty_shelter"] = 0.0
    if shelters is not None and len(shelters):
        d, _ = cKDTree(shapely.get_coordinates(shelters.geometry.values)).query(
            shapely.get_coordinates(out.geometry.values))
        out["dist_shelter_m"] = d.round(0)
        out.loc[d < s.shelter_radius_m, "penalty_shelter"] = s.shelter_penalty
    excluded = np.zeros(len(out), dtype=bool)
    if exclude is not None:
        shapely.prepare(exclude)
        excluded = shapely.intersects(exclude, out.geometry.values)
    out["excluded"] = excluded
    out["score"] = np.clip(out["score_access"] - out["penalty_status"] - out["penalty_shelter"],
                           0, 100).round(1)
    out["eligible"] = ~outside & ~excluded & (out["capacity"] >= s.min_places)
    return out, warnings


def _caps(sites: gpd.GeoDataFrame, units: gpd.GeoDataFrame, population: pd.Series, key: str,
          share_pct: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (group per site), group ids and the cap in places per group."""
    groups = units.set_index("unit_id")[key] if key != "unit_id" else units.set_index("unit_id").index
    by_unit = pd.Series(np.asarray(groups), index=units["unit_id"])
    g = sites["unit_id"].map(by_unit)
    pop_group = population.groupby(np.asarray(groups)).sum()
    codes, uniques = pd.factorize(g)
    cap = np.floor(pop_group.reindex(uniques).fillna(0).to_numpy() * share_pct / 100)
    return codes, np.asarray(uniques), cap


def select_sites(sites: gpd.GeoDataFrame, units: gpd.GeoDataFrame, population: pd.Series,
                 people: int, s: SitesConfig) -> SitesResult:
    """Decentralised selection (see module docstring) among the eligible sites."""
    if people <= 0:
        raise InputDataError("the number of people to house must be positive")
    table = sites.copy()
    table["selected"] = False
    table["places"] = 0
    # a quarter without a population count has no cap: its sites cannot be placed honestly
    known = population.reindex(units["unit_id"])
    table["population_unknown"] = table["unit_id"].map(known.isna()).fillna(False).astype(bool)
    table["eligible"] = table["eligible"] & ~table["population_unknown"]
    el = np.flatnonzero(table["eligible"].to_numpy())
    warnings: list[str] = []
    if not len(el):
        raise InputDataError("no eligible site (all outside the city, excluded or too small)")
    cand = table.iloc[el]
    n = len(cand)
    cap = cand["capacity"].to_numpy(dtype=float)
    score = cand["score"].to_numpy(dtype=float)
    rows, lo, hi, names = [], [], [], []

    def add(matrix, lower, upper, label):
        rows.append(coo_matrix(matrix))
        lo.extend(np.atleast_1d(lower))
        hi.extend(np.atleast_1d(upper))
        names.extend(label if isinstance(label, list) else [label] * np.atleast_1d(lower).size)

    eye = np.arange(n)
    # p_i − cap_i·y_i ≤ 0 and p_i − min·y_i ≥ 0
    add(coo_matrix((np.r_[np.ones(n), -cap], (np.r_[eye, eye], np.r_[eye, eye + n])),
                   shape=(n, 2 * n)), -np.inf * np.ones(n), np.zeros(n),
        [f"Kapazität {sid}" for sid in cand["site_id"]])
    add(coo_matrix((np.r_[np.ones(n), -s.min_places * np.ones(n)], (np.r_[eye, eye],
                                                                     np.r_[eye, eye + n])),
                   shape=(n, 2 * n)), np.zeros(n), np.inf * np.ones(n), "Mindestbelegung")
    pop = population.reindex(units["unit_id"]).fillna(0)
    pop.index = units["unit_id"]
    for key, share, label in (("unit_id", s.max_share_of_residents_pct, "Quartier"),
                              ("unit_group", s.max_share_of_district_pct, "Bezirk")):
        if share is None or (key != "unit_id" and key not in units):
            continue
        codes, uniq, gcap = _caps(cand, units, pop, key, share)
        m = coo_matrix((np.ones(n), (codes, eye)), shape=(len(uniq), 2 * n))
        add(m, -np.inf * np.ones(len(uniq)), gcap, [f"{label} {u}" for u in uniq])
    if s.min_distance_m > 0 and n > 1:
        pairs = cKDTree(shapely.get_coordinates(cand.geometry.values)).query_pairs(
            s.min_distance_m, output_type="ndarray")
        if len(pairs):
            k = len(pairs)
            m = coo_matrix((np.ones(2 * k), (np.r_[np.arange(k), np.arange(k)],
                                             n + np.r_[pairs[:, 0], pairs[:, 1]])),
                           shape=(k, 2 * n))
            add(m, -np.inf * np.ones(k), np.ones(k), "Mindestabstand")
    a = vstack(rows).tocsr()
    row_lo, row_hi = np.array(lo), np.array(hi)
    integrality = np.ones(2 * n)
    bounds = Bounds(np.zeros(2 * n), np.r_[cap, np.ones(n)])
    total = coo_matrix((np.ones(n), (np.zeros(n, int), eye)), shape=(1, 2 * n))
    # stage 1: the most people that can be housed (at most N)
    res = milp(-np.r_[np.ones(n), np.zeros(n)], integrality=integrality, bounds=bounds,
               constraints=[LinearConstraint(a, row_lo, row_hi), LinearConstraint(total, 0, people)])
    if res.x is None:
        raise InputDataError(f"the solver found no plan: {res.message}")
    housed = int(round(-res.fun))
    status = "optimal"
    if housed < people:
        status = "Teilplan"
        warnings.append(vocab.note("sites.shortfall", people=int(people), housed=int(housed),
                                   short=int(people - housed)))
    # stage 2: best score for that many people; a tiny cost per opened site breaks ties
    res = milp(-np.r_[score, np.zeros(n)] + np.r_[np.zeros(n), 1e-3 * np.ones(n)],
               integrality=integrality, bounds=bounds,
               constraints=[LinearConstraint(a, row_lo, row_hi), LinearConstraint(total, housed, housed)])
    x = np.round(res.x).astype(int)
    places, open_ = x[:n], x[n:].astype(bool)
    table.loc[table.index[el], "places"] = places
    table.loc[table.index[el], "selected"] = open_
    activity = a @ x
    binding = sorted({nm for nm, act, h in zip(names, activity, row_hi, strict=True)
                      if np.isfinite(h) and act >= h - 1e-6 and not nm.startswith("Kapazität")
                      and nm != "Mindestabstand"})
    full = int((open_ & (places >= cap)).sum())
    if full:
        binding.append(f"Standortkapazität voll bei {full} Standort(en)")
    table = _reasons(table, s, cand, open_)
    return SitesResult(table=table, people=people, housed=housed,
                       objective=float(score @ places), status=status, binding=binding,
                       warnings=warnings)


def _reasons(table: gpd.GeoDataFrame, s: SitesConfig, cand: gpd.GeoDataFrame, open_: np.ndarray
             ) -> gpd.GeoDataFrame:
    """Words for every site: why selected, why not."""
    chosen = cand[open_]
    tree = cKDTree(shapely.get_coordinates(chosen.geometry.values)) if len(chosen) else None
    texts = []
    for row in table.itertuples():
        parts = [vocab.note("sites.score", score=f"{row.score:.0f}",
                            access=f"{row.score_access:.0f}")
                 + (vocab.note("sites.penalty_status", p=f"{row.penalty_status:.0f}",
                               cls=row.status_class) if row.penalty_status else "")
                 + (vocab.note("sites.penalty_shelter", p=f"{row.penalty_shelter:.0f}")
                    if row.penalty_shelter else "") + ")"]
        if row.selected:
            parts.insert(0, vocab.note("sites.selected", places=f"{row.places}",
                                       capacity=f"{row.capacity}"))
            parts.append(vocab.note("sites.nearest_list", list=row.nearest_pois))
        elif row.unit_id is None:
            parts.insert(0, vocab.note("sites.not_eligible_outside"))
        elif row.excluded:
            parts.insert(0, vocab.note("sites.not_eligible_excluded"))
        elif row.population_unknown:
            parts.insert(0, vocab.note("sites.not_eligible_population"))
        elif row.capacity < s.min_places:
            parts.insert(0, vocab.note("sites.not_eligible_small", capacity=f"{row.capacity}",
                                       min=f"{s.min_places}"))
        else:
            why = vocab.note("sites.not_selected")
            if tree is not None:
                d, i = tree.query(shapely.get_coordinates(row.geometry)[0])
                if d < s.min_distance_m:
                    why += vocab.note("sites.min_distance", min=f"{s.min_distance_m:.0f}",
                                      other=chosen["site_id"].iloc[i], d=f"{d:.0f}")
                else:
                    why += vocab.note("sites.others_better")
            parts.insert(0, why)
        texts.append("; ".join(parts))
    table["reasons"] = texts
    return table

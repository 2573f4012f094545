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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
from quartier.config import AccessConfig, SitesConfig, as_section
from quartier.errors import InputDataError, require_columns
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
                pois: gpd.GeoDataFrame, access: AccessConfig | Mapping[str, Any],
                siting: SitesConfig | Mapping[str, Any], *,
                shelters: gpd.GeoDataFrame | None = None, exclude: BaseGeometry | None = None
                ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The integration score of each candidate site and its components (formula in the module
    docstring).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Candidate points with ``site_id`` and ``capacity`` (places), in the units' metric CRS.
    units : geopandas.GeoDataFrame
        The quarters (``unit_id``): each site takes the status of the quarter it lies in.
    status : pandas.Series, optional
        Status class per unit (index of ``units``), e.g. ``flag_units(...).table["status_class"]``;
        None: no status penalty.
    pois : geopandas.GeoDataFrame
        Points with ``category`` (and ``weight``), see :func:`~quartier.analysis.access.point_access`.
    access : AccessConfig or dict
        The ``[access]`` section (categories, walking limits in m).
    siting : SitesConfig or dict
        The ``[sites]`` section: ``status_penalty`` (points per status class),
        ``shelter_radius_m``, ``shelter_penalty`` (points).
    shelters : geopandas.GeoDataFrame, optional
        Existing shelters (points): sites within ``shelter_radius_m`` lose ``shelter_penalty``.
    exclude : shapely geometry, optional
        Land where no site may be (industry, noise, flood zones).

    Returns
    -------
    (geopandas.GeoDataFrame, list of str)
        The sites with ``unit_id``, ``score_access`` (0–100), ``nearest_pois`` (words),
        ``status_class``, ``penalty_status``, ``penalty_shelter`` (points), ``excluded``,
        ``score`` (0–100) and ``eligible`` (inside the city and not excluded); and warnings.

    Examples
    --------
    Six sites on the tiny city's diagonal; the last lies in a quarter of status "sehr niedrig"
    and loses 30 points:

    >>> import pandas as pd
    >>> from quartier.testing import tiny_city, tiny_pois, tiny_sites
    >>> city = tiny_city()
    >>> status = pd.Series(["hoch"] * 30 + ["sehr niedrig"] * 6, index=city.index)
    >>> access = {"categories": {"kita": {"label": "Kita", "good_m": 300, "limit_m": 1000}}}
    >>> scored, _ = score_sites(tiny_sites(), city, status, tiny_pois(), access, {})
    >>> scored[["site_id", "unit_id", "score_access", "penalty_status", "score"]]
      site_id unit_id  score_access  penalty_status  score
    0      S1     T01          90.3             0.0   90.3
    1      S2     T08          75.9             0.0   75.9
    2      S3     T15          90.3             0.0   90.3
    3      S4     T22          75.9             0.0   75.9
    4      S5     T29          90.3             0.0   90.3
    5      S6     T36          75.9            30.0   45.9
    """
    access_cfg = as_section(access, AccessConfig, "score_sites")
    s = as_section(siting, SitesConfig, "score_sites")
    require_columns(sites, ["site_id"], "score_sites: sites", "site id")
    require_columns(units, ["unit_id"], "score_sites: units", "unit id")
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
                                   ids=vocab.preview(out.loc[outside, "site_id"])))
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
                 people: int, siting: SitesConfig | Mapping[str, Any]) -> SitesResult:
    """Decentralised selection among the eligible sites: the integer program of the module
    docstring, solved with HiGHS.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Scored sites (:func:`score_sites`): ``site_id``, ``capacity``, ``unit_id``, ``score``,
        ``eligible``.
    units : geopandas.GeoDataFrame
        The quarters (``unit_id``; ``unit_group`` for the district caps).
    population : pandas.Series
        Residents per ``unit_id``: a quarter may take at most ``max_share_of_residents_pct`` %
        of them; a site in a quarter without a count is not placed (said).
    people : int
        People to house.
    siting : SitesConfig or dict
        The ``[sites]`` section: ``min_places``, ``max_places``, ``min_distance_m``,
        ``max_share_of_residents_pct``, ``max_share_of_district_pct``.

    Returns
    -------
    SitesResult
        ``table`` (the sites with ``selected``, ``places`` and ``reasons``), ``housed``,
        ``status`` (optimal or partial plan), ``binding`` (the caps that bind) and ``warnings``
        (e.g. the shortfall when the caps cannot house everyone).

    Examples
    --------
    Sixty people among the six sites of :func:`score_sites`'s example. Each quarter takes at
    most 1 % of its residents and a site at least 20 places: S1 (120 residents) and S3 (1,680)
    cannot open, S5's quarter could take 25, and the plan spreads 20 over each of three sites:

    >>> import pandas as pd
    >>> from quartier.testing import tiny_city, tiny_pois, tiny_sites
    >>> city = tiny_city()
    >>> access = {"categories": {"kita": {"label": "Kita", "good_m": 300, "limit_m": 1000}}}
    >>> scored, _ = score_sites(tiny_sites(), city, None, tiny_pois(), access, {})
    >>> result = select_sites(scored, city, city.set_index("unit_id")["residents"], 60, {})
    >>> result.housed
    60
    >>> result.table.loc[result.table["selected"], ["site_id", "unit_id", "places"]]
      site_id unit_id  places
    3      S4     T22      20
    4      S5     T29      20
    5      S6     T36      20
    """
    s = as_section(siting, SitesConfig, "select_sites")
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
        binding.append(vocab.note("sites.capacity_full", n=full))
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

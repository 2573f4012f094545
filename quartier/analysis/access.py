"""Walking access to everyday infrastructure, for residents, quarters and candidate sites.

Distances are straight-line distances in metres from a KD-tree (scipy ``cKDTree``), fully
vectorised. Walking distance is estimated as ``straight-line × detour_factor``, with the factor
calibrated on a real street network (:mod:`quartier.network`); where a network exists, network
distances can be used directly.

Distance decay of a category with limits ``good_m`` < ``limit_m`` (walking metres)::

    score(d) = 1                                   if d ≤ good_m
             = (limit_m − d) / (limit_m − good_m)  if good_m < d < limit_m
             = 0                                   if d ≥ limit_m

A category with several service weights (transit: S-/U-Bahn 1.0, tram 0.8, bus 0.6) scores
``max_g w_g · score(d_g)`` over its weight groups. The access score of an origin is
``100 · Σ_c W_c · score_c / Σ_c W_c`` with the category weights ``W_c``; a quarter's score is the
population-weighted mean over its residents (20 m population raster cells).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from quartier import vocab
from quartier.config import AccessCategory, AccessConfig, as_section
from quartier.errors import InputDataError, require_columns
from quartier.io.population import raster_origins
from quartier.vocab import Origin, OriginSource


def decay(walk_m: np.ndarray, good_m: float, limit_m: float) -> np.ndarray:
    """Linear distance decay: 1 up to ``good_m``, 0 from ``limit_m`` on (metres)."""
    if limit_m == good_m:
        return (walk_m <= good_m).astype(float)
    return np.clip((limit_m - walk_m) / (limit_m - good_m), 0.0, 1.0)


def nearest_distance(origins_xy: np.ndarray, pois_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance (m) from every origin to its nearest POI, and that POI's position.

    An empty POI set gives ``inf`` and index -1.
    """
    if len(pois_xy) == 0:
        return np.full(len(origins_xy), np.inf), np.full(len(origins_xy), -1)
    dist, idx = cKDTree(pois_xy).query(origins_xy, k=1, workers=-1)
    return dist, idx


def count_within(origins_xy: np.ndarray, pois_xy: np.ndarray, radius_m: float) -> np.ndarray:
    """Number of POIs within ``radius_m`` metres (straight line) of every origin."""
    if len(pois_xy) == 0:
        return np.zeros(len(origins_xy), dtype=int)
    return cKDTree(pois_xy).query_ball_point(origins_xy, radius_m, return_length=True, workers=-1)


def category_access(
    origins_xy: np.ndarray, pois: gpd.GeoDataFrame, category: str, spec: AccessCategory,
    detour_factor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest straight-line distance (m) and the weighted decay score (0–1) for one category."""
    sel = pois[pois["category"] == category]
    dist = np.full(len(origins_xy), np.inf)
    score = np.zeros(len(origins_xy))
    for weight, group in sel.groupby("weight"):
        d, _ = nearest_distance(origins_xy, shapely.get_coordinates(group.geometry.values))
        dist = np.minimum(dist, d)
        score = np.maximum(score, float(weight) * decay(d * detour_factor, spec.good_m, spec.limit_m))
    return dist, score


def checked_pois(pois: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    """The POIs with the columns the measures read: ``category`` is required (an
    :class:`InputDataError` names it), ``weight`` (service weight 0–1) defaults to 1."""
    require_columns(pois, ["category"], where, "POI")
    if "weight" in pois.columns:
        weight = pd.to_numeric(pois["weight"], errors="coerce")
        if weight.isna().any() or not weight.between(0, 1).all():
            bad = pois.index[weight.isna() | ~weight.between(0, 1)][:5].tolist()
            raise InputDataError(f"{where}: POI column 'weight' must be a number from 0 to 1 "
                                 f"(service weight); rows {bad} are not")
        return pois
    return pois.assign(weight=1.0)


def point_access(
    origins: gpd.GeoDataFrame, pois: gpd.GeoDataFrame,
    access: AccessConfig | Mapping[str, Any], *, counts: bool = True,
) -> pd.DataFrame:
    """Access of arbitrary origins (candidate sites, building centroids) to each category.

    For every origin and category c: the straight-line distance ``d`` (m) to the nearest POI of
    c from a KD-tree, the estimated walk ``d · detour_factor`` and the decay score of the module
    docstring; ``access_score = 100 · Σ_c W_c · score_c / Σ_c W_c``.

    Parameters
    ----------
    origins : geopandas.GeoDataFrame
        Points or polygons (their representative point is used), in the POIs' metric CRS.
    pois : geopandas.GeoDataFrame
        Points with ``category`` (the ``[access.categories]`` names) and optionally ``weight``
        (service weight 0–1, default 1).
    access : AccessConfig or dict
        The ``[access]`` section: ``categories`` with ``good_m``, ``limit_m`` (walking m) and
        ``weight``; ``detour_factor``; ``count_radii_m``.
    counts : bool, default True
        Also count the POIs within each of ``count_radii_m`` (straight line).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``origins``: per category ``dist_<c>_m`` (estimated walk, m: the distance
        the score uses), ``luftlinie_<c>_m`` (straight line, m), ``score_<c>`` (0–100),
        ``n_<c>_<r>m`` (counts, if ``counts``); ``access_score`` (0–100) and
        ``access_notes`` (categories without any POI, left out of the score).

    Raises
    ------
    InputDataError
        If the CRSs differ or ``pois`` lacks ``category`` or has an invalid ``weight``.

    Examples
    --------
    >>> from quartier.testing import tiny_pois, tiny_sites
    >>> access = {"categories": {"kita": {"label": "Kita", "good_m": 300, "limit_m": 1000}},
    ...           "detour_factor": 1.3}
    >>> out = point_access(tiny_sites(), tiny_pois(), access, counts=False)
    >>> out[["dist_kita_m", "score_kita", "access_score"]].round(1).head(3)
       dist_kita_m  score_kita  access_score
    0        367.7        90.3          90.3
    1        468.7        75.9          75.9
    2        367.7        90.3          90.3

    The first site lies 200 m east and 200 m north of a Kita: 282.8 m straight, 367.7 m walk,
    score (1000 − 367.7) / (1000 − 300) = 0.903.
    """
    cfg = as_section(access, AccessConfig, "point_access")
    pois = checked_pois(pois, "point_access")
    if origins.crs != pois.crs:
        raise InputDataError(f"origins are in {origins.crs}, POIs in {pois.crs}: reproject first")
    xy = shapely.get_coordinates(origins.geometry.representative_point().values)
    out: dict[str, np.ndarray | str] = {}   # a column each; the note is the same for every row
    total, weights = np.zeros(len(xy)), 0.0
    empty = empty_categories(pois, cfg)
    for c, spec in cfg.categories.items():
        if c in empty:
            out[f"dist_{c}_m"] = out[f"luftlinie_{c}_m"] = np.full(len(xy), np.nan)
            out[f"score_{c}"] = np.full(len(xy), np.nan)
            continue
        d, s = category_access(xy, pois, c, spec, cfg.detour_factor)
        d = np.where(np.isfinite(d), d, np.nan)
        out[f"dist_{c}_m"] = d * cfg.detour_factor   # the walk the score is computed from
        out[f"luftlinie_{c}_m"] = d
        out[f"score_{c}"] = 100 * s
        total += spec.weight * s
        weights += spec.weight
        if counts:
            pxy = shapely.get_coordinates(pois.geometry[pois["category"] == c].values)
            for r in cfg.count_radii_m:
                out[f"n_{c}_{r:g}m"] = count_within(xy, pxy, r)
    out["access_score"] = 100 * total / weights if weights else np.full(len(xy), np.nan)
    out["access_notes"] = access_score_note(empty)
    return pd.DataFrame(out, index=origins.index)


def empty_categories(pois: gpd.GeoDataFrame, cfg: AccessConfig) -> list[str]:
    """Configured categories without a single POI: their distances and scores stay missing and
    ``access_score`` is computed without them (not with a score of 0)."""
    present = set(pois["category"])
    return [c for c in cfg.categories if c not in present]


def access_score_note(empty: list[str]) -> str:
    return vocab.note("access.score_without", categories=", ".join(empty)) if empty else ""


def access_units(
    units: gpd.GeoDataFrame, pois: gpd.GeoDataFrame, access: AccessConfig | Mapping[str, Any],
    *, origins: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Access of each unit's residents: the measures of :func:`point_access` at every resident
    origin, averaged with the residents as weights, ``m_u = Σ_o pop_o · m_o / Σ_o pop_o``.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Polygons with ``unit_id``, in the POIs' metric CRS.
    pois : geopandas.GeoDataFrame
        Points with ``category`` and optionally ``weight`` (see :func:`point_access`).
    access : AccessConfig or dict
        The ``[access]`` section (see :func:`point_access`); ``population_raster`` gives the
        origins when ``origins`` is not given.
    origins : pandas.DataFrame, optional
        Resident origins with ``x``, ``y`` (m), ``pop`` (residents), ``unit`` (position of the
        unit in ``units``) and ``origin`` (kind), as :mod:`quartier.io.population` builds them.
        Without origins and raster each unit's representative point is its only origin (said
        in ``origin`` and ``access_notes``; the shares stay missing).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``units``: ``unit_id``; per category ``dist_<c>_m`` (mean estimated walk,
        m), ``luftlinie_<c>_m`` (straight line, m), ``share_within_<c>_pct`` (residents whose
        walk is at most ``good_m``, %), ``score_<c>`` (0–100); ``access_score`` (0–100),
        ``n_origins``, ``origin`` and ``access_notes``.

    Examples
    --------
    >>> from quartier.testing import tiny_city, tiny_pois
    >>> city = tiny_city()
    >>> access = {"categories": {"kita": {"label": "Kita", "good_m": 300, "limit_m": 1000}}}
    >>> out = access_units(city, tiny_pois(), access)
    >>> out[["unit_id", "dist_kita_m", "access_score", "origin"]].round(1).head(3)
      unit_id  dist_kita_m  access_score              origin
    0     T01          0.0         100.0  Repräsentativpunkt
    1     T02        650.0          50.0  Repräsentativpunkt
    2     T03          0.0         100.0  Repräsentativpunkt
    """
    cfg = as_section(access, AccessConfig, "access_units")
    pois = checked_pois(pois, "access_units")
    require_columns(units, ["unit_id"], "access_units", "unit id")
    if origins is None:
        if cfg.population_raster is None:
            rep = units.geometry.representative_point()
            origins = pd.DataFrame({"x": rep.x.to_numpy(), "y": rep.y.to_numpy(), "pop": 1.0,
                                    "unit": np.arange(len(units)), "origin": Origin.POINT.value})
        else:
            origins = raster_origins(cfg.population_raster, units)
    xy = origins[["x", "y"]].to_numpy()
    unit = origins["unit"].to_numpy()
    pop = origins["pop"].to_numpy()
    n = len(units)
    pop_unit = np.bincount(unit, weights=pop, minlength=n)

    def wmean(values: np.ndarray) -> np.ndarray:
        return np.bincount(unit, weights=pop * values, minlength=n) / pop_unit

    # a unit measured from its representative point has no known residents: shares stay missing
    from_point = np.isin(np.arange(n), unit[origins["origin"].to_numpy() == Origin.POINT])
    out = {"unit_id": units["unit_id"].to_numpy()}
    total, weights = np.zeros(len(xy)), 0.0
    empty = empty_categories(pois, cfg)
    for c, spec in cfg.categories.items():
        if c in empty:
            out[f"dist_{c}_m"] = out[f"luftlinie_{c}_m"] = np.full(n, np.nan)
            out[f"share_within_{c}_pct"] = out[f"score_{c}"] = np.full(n, np.nan)
            continue
        d, s = category_access(xy, pois, c, spec, cfg.detour_factor)
        out[f"dist_{c}_m"] = wmean(d) * cfg.detour_factor
        out[f"luftlinie_{c}_m"] = wmean(d)
        out[f"share_within_{c}_pct"] = np.where(
            from_point, np.nan, 100 * wmean(d * cfg.detour_factor <= spec.good_m))
        out[f"score_{c}"] = 100 * wmean(s)
        total += spec.weight * s
        weights += spec.weight
    out["access_score"] = 100 * wmean(total / weights) if weights else np.full(n, np.nan)
    out["n_origins"] = np.bincount(unit, minlength=n)
    source: dict[str, OriginSource] = {Origin.RASTER_CELL: OriginSource.RASTER,
                                       Origin.GRID_CELL: OriginSource.GRID}
    kinds = set(origins["origin"]) - {Origin.POINT}
    out["origin"] = np.where(from_point, OriginSource.POINT.value,
                             source.get(next(iter(kinds), ""), OriginSource.RASTER).value)
    why = vocab.note("access.no_population_source" if (origins["origin"] == Origin.POINT).all()
                     else "access.no_residents")
    point_note = np.where(from_point, vocab.note("access.from_point", why=why), "")
    score_note = access_score_note(empty)
    out["access_notes"] = ["; ".join(p for p in (a, score_note) if p) for a in point_note]
    return pd.DataFrame(out, index=units.index)


def city_share_within(origins: pd.DataFrame, pois: gpd.GeoDataFrame, category: str,
                      walk_m: float, detour_factor: float) -> float:
    """Share (%) of all residents whose estimated walk to the nearest POI is at most ``walk_m``."""
    sel = shapely.get_coordinates(pois.geometry[pois["category"] == category].values)
    d, _ = nearest_distance(origins[["x", "y"]].to_numpy(), sel)
    pop = origins["pop"].to_numpy()
    return float(100 * pop[d * detour_factor <= walk_m].sum() / pop.sum())

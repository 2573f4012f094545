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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from quartier.config import AccessCategory, AccessConfig
from quartier.errors import InputDataError
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


def point_access(
    origins: gpd.GeoDataFrame, pois: gpd.GeoDataFrame, cfg: AccessConfig, counts: bool = True
) -> pd.DataFrame:
    """Access of arbitrary origins (sites, building centroids): per category ``dist_<c>_m``
    (estimated walk, straight line × detour factor, m: the distance the score is computed from),
    ``luftlinie_<c>_m`` (straight line, m), ``score_<c>`` (0–100), optionally ``n_<c>_<r>m``
    counts, and ``access_score`` (0–100)."""
    if origins.crs != pois.crs:
        raise InputDataError(f"origins are in {origins.crs}, POIs in {pois.crs}: reproject first")
    xy = shapely.get_coordinates(origins.geometry.representative_point().values)
    out = {}
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
    return (f"access_score ohne {', '.join(empty)} (keine Einrichtungen in den Daten)"
            if empty else "")


def access_units(
    units: gpd.GeoDataFrame, pois: gpd.GeoDataFrame, cfg: AccessConfig,
    origins: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per unit: ``dist_<c>_m`` (population-weighted mean estimated walk to the nearest POI,
    straight line × detour factor, m — the distance the scores use), ``luftlinie_<c>_m`` (the
    same in straight line, m), ``share_within_<c>_pct`` (residents whose walk is ≤ good_m),
    ``score_<c>`` and
    ``access_score`` (0–100, population-weighted), ``n_origins`` and ``origin``.

    ``origins`` (see :mod:`quartier.population`) defaults to the cells of
    ``cfg.population_raster``; without a raster, each unit's representative point is its only
    origin.
    """
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
    source = {Origin.RASTER_CELL: OriginSource.RASTER, Origin.GRID_CELL: OriginSource.GRID}
    kinds = set(origins["origin"]) - {Origin.POINT}
    out["origin"] = np.where(from_point, OriginSource.POINT.value,
                             source.get(next(iter(kinds), ""), OriginSource.RASTER).value)
    why = ("keine Bevölkerungsquelle (access.population_raster, [population])"
           if (origins["origin"] == Origin.POINT).all() else
           "keine Einwohner in der Bevölkerungsquelle")
    point_note = np.where(from_point, f"{why}: gemessen vom Repräsentativpunkt der Einheit, "
                          "Anteil der Einwohner unbekannt", "")
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

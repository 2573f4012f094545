"""The review app's map data: candidates, their context layers and decisions as GeoJSON.

The candidates of the store with their facts (unit, nearest named street, depth) and outlines
simplified for drawing, re-read after every detection run (:class:`Candidates`); the unit
boundaries, buildings and streets of the config around them (:func:`read_context`), the buildings
and streets answered by view (:class:`Layers`); everything sent to the page in WGS84.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier.config import QuartierConfig
from quartier.review import store as review

#: Simplification of candidate outlines for drawing (metres, metric CRS); the facts use the exact
#: geometry.
SIMPLIFY_M = 0.5
#: Most context features (buildings, streets) sent for one view.
LAYER_LIMIT = 6000


@dataclass
class Context:
    """What the page draws around the candidates, in the store's metric CRS."""

    units: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoSeries | None = None
    streets: gpd.GeoSeries | None = None
    #: the streets' names (``gaps.street_name_column``), aligned with ``streets``
    street_names: pd.Series | None = None
    notes: list[str] = field(default_factory=list)


def read_context(cfg: QuartierConfig | None, crs: str) -> Context:
    """Unit boundaries, buildings and streets of the config (each only where the config has it)."""
    ctx = Context()
    if cfg is None:
        ctx.notes.append("ohne --config: keine Gebäude, Straßen und Einheiten auf der Karte")
        return ctx
    if cfg.units is not None:
        from quartier.io.units import read_units

        units, _ = read_units(cfg.units, crs=cfg.city.crs,
                              max_scale_error_pct=cfg.city.max_scale_error_pct)
        ctx.units = units[["unit_id", "unit_name", "geometry"]].to_crs(crs)
    else:
        ctx.notes.append("die Konfiguration hat keine [units]: Kandidaten ohne Einheit")
    if cfg.gaps is not None:
        from quartier.io.gapdata import read_gap_inputs

        inputs = read_gap_inputs(cfg.gaps, crs=cfg.city.crs,
                    max_scale_error_pct=cfg.city.max_scale_error_pct)
        ctx.buildings = inputs.buildings.geometry.to_crs(crs).reset_index(drop=True)
        ctx.streets = inputs.streets.geometry.to_crs(crs).reset_index(drop=True)
        column = cfg.gaps.street_name_column
        if column and column in inputs.streets:
            ctx.street_names = (inputs.streets[column].astype("string").str.strip()
                                .replace("", pd.NA).reset_index(drop=True))
    else:
        ctx.notes.append("die Konfiguration hat kein [gaps]: keine Gebäude und Straßen")
    return ctx


#: A street further from a candidate than this (m) is not named as its street.
STREET_MAX_M = 150.0


def nearest_street(geoms: gpd.GeoSeries, streets: gpd.GeoSeries | None,
                   names: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """The name of the nearest named street of every candidate (within :data:`STREET_MAX_M`)
    and its distance in metres; missing where none is near or the streets have no names."""
    name = pd.Series(pd.NA, index=geoms.index, dtype="string")
    dist = pd.Series(np.nan, index=geoms.index, dtype="float64")
    if streets is None or names is None or not len(geoms):
        return name, dist
    named = names.notna().to_numpy()
    if not named.any():
        return name, dist
    lines = gpd.GeoSeries(streets.values[named], crs=streets.crs).to_crs(geoms.crs)
    line_names = names[named].to_numpy()
    (left, right), d = lines.sindex.nearest(geoms.values, max_distance=STREET_MAX_M,
                                            return_distance=True, return_all=False)
    name.iloc[left] = line_names[right]
    dist.iloc[left] = np.round(d, 0)
    return name, dist


def geojson_geometries(geoms: gpd.GeoSeries, simplify_m: float) -> np.ndarray:
    """GeoJSON geometry strings in WGS84, simplified in metres and rounded to ~0.1 m."""
    simple = shapely.simplify(geoms.values, simplify_m, preserve_topology=True)
    wgs = gpd.GeoSeries(simple, crs=geoms.crs).to_crs(4326).values
    return shapely.to_geojson(shapely.set_precision(wgs, 1e-6, mode="pointwise"))


def feature_collection(geometries: np.ndarray, properties: list[dict]) -> str:
    """A GeoJSON FeatureCollection from geometry strings and property dicts."""
    parts = [f'{{"type":"Feature","geometry":{g},"properties":{json.dumps(p, allow_nan=False)}}}'
             for g, p in zip(geometries, properties, strict=True)]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def json_value(value: object) -> object:
    """JSON-ready: NaN/None → null, numpy scalars → Python."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return json_value(value.item())
    return value


class Candidates:
    """The store's candidates, their drawing geometry and unit, re-read after each detection run."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.lock = threading.Lock()
        self.run_id: int | None = None
        self.facts = pd.DataFrame()
        self.geojson = np.array([], dtype=object)
        self.bounds: list[float] | None = None
        self.crs: str | None = None

    def refresh(self, con: sqlite3.Connection) -> None:
        run = con.execute("SELECT MAX(run_id) FROM runs").fetchone()[0]
        with self.lock:
            if run == self.run_id:
                return
            cad = review.cadastre(con)
            facts = pd.DataFrame({
                "gap_id": cad["gap_id"], "gap_type": cad["gap_type"],
                "area_m2": cad["area_m2"].round(1), "frontage_m": cad["frontage_m"].round(1),
                # mean depth behind the street frontage: area / frontage
                "depth_m": (cad["area_m2"] / cad["frontage_m"].where(cad["frontage_m"] > 0)).round(1),
                "confidence": cad["confidence"].round(2), "state": cad["state"],
                "rule": cad["rule"], "previous_id": cad["previous_id"],
                "unit_id": pd.Series(pd.NA, index=cad.index, dtype="string"),
                "unit_name": pd.Series(pd.NA, index=cad.index, dtype="string")})
            street, street_m = nearest_street(cad.geometry, self.ctx.streets, self.ctx.street_names)
            facts["street"], facts["street_m"] = street, street_m
            units = self.ctx.units
            if units is not None and len(cad):
                points = gpd.GeoDataFrame(geometry=cad.geometry.representative_point(), crs=cad.crs)
                hit = gpd.sjoin(points, units.to_crs(cad.crs), predicate="within", how="left")
                hit = hit[~hit.index.duplicated()]
                facts["unit_id"] = hit["unit_id"].astype("string")
                facts["unit_name"] = hit["unit_name"].astype("string")
            self.facts = facts.set_index("gap_id", drop=False)
            self.geojson = (geojson_geometries(cad.geometry, SIMPLIFY_M) if len(cad)
                            else np.array([], dtype=object))
            self.bounds = (list(cad.to_crs(4326).total_bounds) if len(cad) else None)
            self.crs = cad.crs.to_string() if cad.crs is not None else None
            self.run_id = run


def current_decisions(con: sqlite3.Connection) -> pd.DataFrame:
    """Current status, version and reviewer of every candidate."""
    return pd.read_sql_query(
        """SELECT c.gap_id, COALESCE(d.status, 'offen') AS status,
                  COALESCE(d.decision_id, 0) AS version, d.reviewer
           FROM candidates c LEFT JOIN decisions d ON d.decision_id =
                (SELECT MAX(decision_id) FROM decisions WHERE gap_id = c.gap_id)""",
        con).set_index("gap_id")



class Layers:
    """The context layers of the page: unit boundaries whole, buildings and streets by view."""

    def __init__(self, ctx: Context) -> None:
        self.units = ctx.units
        given = {"buildings": ctx.buildings, "streets": ctx.streets}
        #: the layers the config has, in the store's metric CRS
        self.metric: dict[str, gpd.GeoSeries] = {k: v for k, v in given.items() if v is not None}
        self.trees = {k: shapely.STRtree(v.values) for k, v in self.metric.items()}
        self.wgs = {k: v.to_crs(4326) for k, v in self.metric.items()}

    def names(self) -> list[str]:
        """The layers on the map: ``units`` first, then buildings and streets where given."""
        return (["units"] if self.units is not None else []) + list(self.metric)

    def units_body(self) -> str | None:
        """The unit boundaries as a FeatureCollection (simplified by 5 m); None without units."""
        if self.units is None:
            return None
        props = [{"unit_id": str(u), "unit_name": json_value(n)}
                 for u, n in zip(self.units["unit_id"], self.units["unit_name"], strict=True)]
        return feature_collection(geojson_geometries(self.units.geometry, 5.0), props)

    def in_view(self, name: str, bbox: tuple[float, float, float, float]) -> tuple[str, bool]:
        """The features of layer ``name`` meeting ``bbox`` (W, S, E, N in degrees), at most
        :data:`LAYER_LIMIT`, as a FeatureCollection; and whether some were left out."""
        box = gpd.GeoSeries([shapely.box(*bbox)], crs=4326).to_crs(self.metric[name].crs).iloc[0]
        hits = np.sort(self.trees[name].query(box, predicate="intersects"))
        truncated = len(hits) > LAYER_LIMIT
        hits = hits[:LAYER_LIMIT]
        geoms = self.wgs[name].iloc[hits]
        body = feature_collection(shapely.to_geojson(shapely.set_precision(
            geoms.values, 1e-6, mode="pointwise")), [{}] * len(hits))
        return body, truncated

"""Walking network distances from OSM streets, and the detour factor.

The network is an undirected graph whose nodes are the street vertices (coordinates rounded to
1 cm, so ways meeting at an OSM node share it) and whose edges are the segments, weighted by
their length in metres. Distances from many origins to the nearest of many POIs come from one
Dijkstra run (scipy ``csgraph``) from a virtual source joined to every POI's snap node.

Detour factor = network distance / straight-line distance to the nearest POI, for origins at
least :data:`MIN_STRAIGHT_M` away (very short trips make the ratio meaningless).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from quartier.errors import InputDataError
from quartier.io.vector import match_tags, read_osm_layer, read_vector

#: OSM highway values a pedestrian cannot use.
NOT_WALKABLE = {"motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed",
                "raceway", "bus_guideway", "abandoned", "platform"}
#: Shorter straight-line trips are left out of the detour factor.
MIN_STRAIGHT_M = 100.0


@dataclass
class WalkGraph:
    """Nodes (x, y in metres) and a symmetric sparse matrix of segment lengths (m)."""

    xy: np.ndarray
    matrix: csr_matrix

    @property
    def n_nodes(self) -> int:
        return len(self.xy)


def read_osm_streets(path: str | Path, crs: str, layer: str | None = None,
                     highway_column: str = "highway") -> gpd.GeoDataFrame:
    """Walkable ways (``highway`` not in :data:`NOT_WALKABLE`) from OSM XML/PBF (may be .gz),
    or from any lines file with a highway-class column (e.g. Geofabrik's ``fclass``)."""
    path = Path(path)
    is_osm = any(str(path).endswith(e) for e in (".osm", ".osm.gz", ".pbf"))
    if is_osm:
        lines = read_osm_layer(path, "lines", "access.network_path", columns=[highway_column])
    else:
        lines, _ = read_vector(path, "access.network_path", layer, on_invalid="ignore")
        if highway_column not in lines:
            raise InputDataError(f"{path}: column {highway_column!r} not found (access."
                                 f"network_highway_column); available: {', '.join(lines.columns)}")
    lines = lines.rename(columns={highway_column: "highway"})
    walk = lines[lines["highway"].notna() & ~lines["highway"].isin(NOT_WALKABLE)]
    if walk.empty:
        raise InputDataError(f"{path}: no walkable ways (highway=*) found")
    return walk.to_crs(crs)


def build_graph(lines: gpd.GeoDataFrame) -> WalkGraph:
    """Graph of the street lines (metric CRS); vertices shared by ways become one node."""
    if lines.crs is None or not lines.crs.is_projected:
        raise InputDataError("street lines must be in a metric CRS")
    geoms = shapely.get_parts(lines.geometry.values)
    geoms = geoms[shapely.get_type_id(geoms) == 1]  # LineString
    xy, part = shapely.get_coordinates(geoms, return_index=True)
    keys = np.round(xy, 2)
    nodes_xy, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.ravel()
    same = part[1:] == part[:-1]
    a, b = node[:-1][same], node[1:][same]
    length = np.hypot(*(xy[1:][same] - xy[:-1][same]).T)
    keep = a != b
    a, b, length = a[keep], b[keep], length[keep]
    n = len(nodes_xy)
    m = coo_matrix((np.r_[length, length], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    return WalkGraph(xy=nodes_xy, matrix=m)


def largest_component(graph: WalkGraph) -> np.ndarray:
    """Boolean mask of the nodes in the largest connected component."""
    _, label = connected_components(graph.matrix, directed=False)
    return label == np.bincount(label).argmax()


def network_distance(graph: WalkGraph, origins_xy: np.ndarray, pois_xy: np.ndarray
                     ) -> np.ndarray:
    """Walking distance (m) from each origin to its nearest POI along the network.

    Origins and POIs are snapped to the nearest node of the largest component; the snap
    distances are added at both ends. One Dijkstra run from a virtual source that reaches each
    POI's node at that POI's snap distance (``min_only``), so the cost does not grow with the
    number of POIs.
    """
    if len(pois_xy) == 0:
        return np.full(len(origins_xy), np.inf)
    main = np.flatnonzero(largest_component(graph))
    tree = cKDTree(graph.xy[main])
    poi_snap, poi_node = tree.query(pois_xy)
    org_snap, org_node = tree.query(origins_xy, workers=-1)
    sub = graph.matrix[main][:, main]
    n = len(main)
    # virtual source n → each POI node, weighted with the POI's snap distance (min per node)
    best = pd.Series(poi_snap).groupby(poi_node).min()
    coo = sub.tocoo()
    # csgraph reads a 0 weight as "no edge": a POI exactly on a node gets 1 nm instead
    full = csr_matrix((np.r_[coo.data, best.to_numpy() + 1e-9],
                       (np.r_[coo.row, np.full(len(best), n)], np.r_[coo.col, best.index])),
                      shape=(n + 1, n + 1))
    dist = dijkstra(full, directed=True, indices=n)
    return org_snap + dist[org_node]


def detour_factor(network_m: np.ndarray, straight_m: np.ndarray) -> pd.Series:
    """Describe network/straight ratios (median, quartiles, n) for trips ≥ MIN_STRAIGHT_M."""
    ok = np.isfinite(network_m) & (straight_m >= MIN_STRAIGHT_M)
    ratio = pd.Series(network_m[ok] / straight_m[ok])
    return pd.Series({"median": ratio.median(), "q25": ratio.quantile(0.25),
                      "q75": ratio.quantile(0.75), "n": int(ok.sum())})


def read_osm_buildings(path: str | Path, crs: str, min_area_m2: float = 0.0) -> gpd.GeoDataFrame:
    """Building footprints (``building=*`` areas) from OSM XML/PBF, in ``crs``."""
    mp = read_osm_layer(Path(path), "multipolygons", "buildings",
                        columns=["osm_id", "osm_way_id", "building"])
    b = mp[mp["building"].notna() & mp.geometry.notna()].to_crs(crs)
    b = b[b.area >= min_area_m2]
    return b.reset_index(drop=True)


def read_osm_pois(path: str | Path, crs: str, tags: dict[str, dict[str, list[str]]]
                  ) -> gpd.GeoDataFrame:
    """POIs by category from OSM points and areas: ``{category: {key: [values]}}``."""

    frames = []
    for layer in ("points", "multipolygons"):
        df = read_osm_layer(Path(path), layer, "pois")
        df = df[df.geometry.notna()]
        for category, wanted in tags.items():
            sel = df[match_tags(df, wanted)]
            frames.append(gpd.GeoDataFrame({"category": category, "name": sel["name"]},
                                           geometry=sel.geometry.representative_point(),
                                           crs=4326))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326).to_crs(crs)


def compare_with_straight_line(graph: WalkGraph, origins_xy: np.ndarray, pois: gpd.GeoDataFrame
                               ) -> pd.DataFrame:
    """Per category: POIs, network and straight-line median distance (m), detour quartiles."""
    rows = []
    for category, sel in pois.groupby("category"):
        pxy = shapely.get_coordinates(sel.geometry.values)
        net = network_distance(graph, origins_xy, pxy)
        straight, _ = cKDTree(pxy).query(origins_xy)
        d = detour_factor(net, straight)
        rows.append({"category": category, "n_pois": len(sel),
                     "network_median_m": float(np.median(net[np.isfinite(net)])),
                     "straight_median_m": float(np.median(straight)),
                     "detour_median": d["median"], "detour_q25": d["q25"], "detour_q75": d["q75"],
                     "n_origins": int(d["n"])})
    return pd.DataFrame(rows)

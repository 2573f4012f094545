"""Walking access: known answers on hand-built geometry, the real Berlin data, bad POI input."""

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point

from quartier.analysis.access import (
    access_units,
    count_within,
    decay,
    nearest_distance,
    point_access,
)
from quartier.analysis.network import build_graph, detour_factor, network_distance, read_osm_streets
from quartier.config import AccessConfig
from quartier.io.population import raster_origins
from quartier.paths import DATA_DIR
from quartier.pipeline.steps import compute_access
from tests.conftest import tiny_config, tiny_units

# the module's Berlin fixture is computed once: keep its tests on one worker
pytestmark = pytest.mark.xdist_group("berlin_access")

CRS = "EPSG:25833"


def test_nearest_distance_exact_to_the_millimetre():
    origins = np.array([[0.0, 0.0], [10.0, 0.0], [3.0, 4.0]])
    pois = np.array([[3.0, 4.0], [100.0, 0.0]])
    d, i = nearest_distance(origins, pois)
    assert d == pytest.approx([5.0, np.hypot(7, 4), 0.0], abs=1e-3)
    assert i.tolist() == [0, 0, 0]
    assert count_within(origins, pois, 5.0).tolist() == [1, 0, 1]  # the boundary counts
    assert count_within(origins, pois, 4.999).tolist() == [0, 0, 1]


def test_decay_known_values():
    assert decay(np.array([0, 500, 750, 1000, 2000.0]), 500, 1000).tolist() == [1, 1, 0.5, 0, 0]


def test_point_access_weights_and_modes():
    pois = gpd.GeoDataFrame({"category": ["oepnv", "oepnv", "kita"], "weight": [1.0, 0.6, 1.0]},
                            geometry=[Point(400, 0), Point(100, 0), Point(0, 300)], crs=CRS)
    cfg = AccessConfig(categories={
        "oepnv": {"label": "ÖPNV", "good_m": 300, "limit_m": 500},
        "kita": {"label": "Kita", "good_m": 500, "limit_m": 800, "weight": 3}},
        detour_factor=1.0, count_radii_m=[500])
    origins = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=CRS)
    out = point_access(origins, pois, cfg).iloc[0]
    assert out["dist_oepnv_m"] == pytest.approx(100.0)  # nearest stop regardless of mode
    # bus at 100 m: 0.6·1; S-Bahn at 400 m: 1·0.5 → max 0.6
    assert out["score_oepnv"] == pytest.approx(60.0)
    assert out["score_kita"] == pytest.approx(100.0)
    assert out["access_score"] == pytest.approx(100 * (0.6 + 3 * 1.0) / 4)
    assert out["n_oepnv_500m"] == 2


def test_population_origins_and_unit_aggregation(tmp_path):
    units = tiny_units(2, size=100.0).rename(columns={"ID": "unit_id"})
    x0, y0 = units.total_bounds[0], units.total_bounds[3]
    data = np.zeros((5, 10), dtype="float32")
    data[0, 0] = 10  # left unit, cell centre (x0+10, y0-10)
    data[0, 9] = 30  # right unit, cell centre (x0+190, y0-10)
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=5, count=1, dtype="float32",
                       crs=CRS, transform=from_origin(x0, y0, 20, 20)) as dst:
        dst.write(data, 1)
    origins = raster_origins(path, units)
    assert sorted(origins["pop"]) == [10, 30]
    pois = gpd.GeoDataFrame({"category": ["kita"], "weight": [1.0]},
                            geometry=[Point(x0 + 10, y0 - 110)], crs=CRS)
    cfg = AccessConfig(categories={"kita": {"label": "Kita", "good_m": 150, "limit_m": 300}},
                       detour_factor=1.0)
    out = access_units(units, pois, cfg, origins=origins)
    assert out["dist_kita_m"].iloc[0] == pytest.approx(100.0)
    assert out["dist_kita_m"].iloc[1] == pytest.approx(np.hypot(180, 100))
    assert out["share_within_kita_pct"].tolist() == [100.0, 0.0]


def test_network_distance_matches_networkx_and_detour():
    # an L-shaped street: (0,0)-(100,0)-(100,100); origin near (0,0), POI near (100,100)
    lines = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)]),
                                       LineString([(100, 0), (100, 100)])], crs=CRS)
    g = build_graph(lines)
    d = network_distance(g, np.array([[0.0, -5.0]]), np.array([[103.0, 100.0]]))
    assert d[0] == pytest.approx(5 + 200 + 3, abs=1e-6)
    assert detour_factor(d, np.array([np.hypot(103, 105)]))["median"] == pytest.approx(
        208 / np.hypot(103, 105))


@pytest.fixture(scope="module")
def kaiserslautern():
    streets = read_osm_streets(DATA_DIR / "kaiserslautern" / "kaiserslautern.osm.gz", "EPSG:25832")
    return build_graph(streets)


def test_network_against_networkx_on_kaiserslautern(kaiserslautern):
    g = kaiserslautern
    assert g.n_nodes > 10_000
    rng = np.random.default_rng(0)
    pois_xy = g.xy[rng.choice(g.n_nodes, 20, replace=False)]
    origins_xy = g.xy[rng.choice(g.n_nodes, 30, replace=False)]
    ours = network_distance(g, origins_xy, pois_xy)
    coo = g.matrix.tocoo()
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(),
                                      strict=True))
    key = {tuple(xy): i for i, xy in enumerate(g.xy)}
    sources = {key[tuple(p)] for p in pois_xy}
    ref = nx.multi_source_dijkstra_path_length(graph, sources)
    for o, d in zip(origins_xy, ours, strict=True):
        expected = ref.get(key[tuple(o)], np.inf)
        if np.isfinite(d):
            assert d == pytest.approx(expected, abs=1e-3)


@pytest.fixture(scope="module")
def berlin_access(berlin, berlin_cfg):
    units, _ = berlin
    return compute_access(berlin_cfg, units)


def test_berlin_every_unit_gets_every_category(berlin_access):
    t = berlin_access.table
    assert len(t) == 542
    dist = t.filter(like="dist_")
    assert dist.shape[1] == 9 and dist.notna().all().all()
    assert ((t["access_score"] >= 0) & (t["access_score"] <= 100)).all()
    assert 40 < berlin_access.key_share_pct < 70   # README: 52.4 %


def test_berlin_sources_deduplicated_and_warned(berlin_access):
    rep = berlin_access.report
    pois = berlin_access.pois
    assert (pois["category"] == "grundschule").sum() == 486
    assert any("Kita:" in w and "einmal gezählt" in w for w in rep.warnings)
    assert any("Apotheke:" in w and "einmal gezählt" in w for w in rep.warnings)
    assert 732 <= (pois["category"] == "apotheke").sum() < 732 + 746
    d = berlin_access.detour
    assert d is not None and 1.2 < d["detour_median"].median() < 1.9


def _poi_cfg(tmp_path, csv: str, **layer):
    (tmp_path / "pois.csv").write_text(csv, encoding="utf-8")
    return tiny_config(tmp_path, pois=[{"category": "kita", "path": "pois.csv", "format": "csv",
                                        "x": "lon", "y": "lat", **layer}],
                       access={"categories": {"kita": {"label": "Kita", "good_m": 500,
                                                       "limit_m": 800},
                                              "arzt": {"label": "Arzt", "good_m": 500,
                                                       "limit_m": 800}}})


def test_bad_poi_input_warns_with_counts(tmp_path):
    from quartier.io.pois import load_pois
    from quartier.pipeline.load import load_city

    units = tiny_units()
    lonlat = units.to_crs(4326).geometry.representative_point()
    lon, lat = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    csv = "lon;lat\n" + f"{lon[0]};{lat[0]}\n" + f"{lat[1]};{lon[1]}\n" + ";\n" + "9.0;48.0\n"
    cfg = _poi_cfg(tmp_path, csv)
    loaded, _ = load_city(cfg)
    pois, rep = load_pois(cfg.pois, loaded, dedup_m=cfg.access.dedup_m,
                          categories=list(cfg.access.categories),
                          labels={k: v.label for k, v in cfg.access.categories.items()})
    assert len(pois) == 2
    row = rep.to_frame().iloc[0]
    assert row["no_coordinates"] == 1 and row["swapped_fixed"] == 1 and row["outside_dropped"] == 1
    text = " ".join(rep.warnings)
    assert "1 Zeile(n) ohne verwendbare Koordinaten" in text and "vertauscht" in text
    assert "mehr als 2.000 m außerhalb" in text and "Entfernungen bleiben leer" in text
    swapped = shapely.get_coordinates(pois.geometry.values)[1]
    assert swapped == pytest.approx(shapely.get_coordinates(units.to_crs(CRS).geometry
                                    .representative_point().values)[1], abs=0.1)


def test_empty_category_gives_nan_not_zero(tmp_path):
    units = tiny_units().rename(columns={"ID": "unit_id"})
    pois = gpd.GeoDataFrame({"category": ["kita"], "weight": [1.0]},
                            geometry=[Point(390_500, 5_820_500)], crs=CRS)
    cfg = AccessConfig(categories={"kita": {"label": "Kita", "good_m": 500, "limit_m": 800},
                                   "arzt": {"label": "Arzt", "good_m": 500, "limit_m": 800}})
    out = access_units(units, pois, cfg)
    assert out["dist_arzt_m"].isna().all()
    assert out["dist_kita_m"].notna().all()
    assert pd.api.types.is_float_dtype(out["access_score"])


def test_leipzig_overpass_pois():
    from quartier.config import load_config
    from quartier.pipeline.load import load_city
    from tests.conftest import LEIPZIG_CONFIG

    cfg = load_config(LEIPZIG_CONFIG)
    units, _ = load_city(cfg)
    res = compute_access(cfg, units)
    counts = res.pois["category"].value_counts()
    assert counts["supermarkt"] >= 100 and counts["kita"] >= 250 and counts["oepnv"] > 500
    assert res.table.filter(like="dist_").notna().all().all() and len(res.table) == 63

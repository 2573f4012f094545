"""Siting: known optima, caps never violated, bad input, and the Berlin demo run."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from quartier.analysis.sites import capacity_from_area, score_sites, select_sites
from quartier.config import AccessConfig, SitesConfig, parse_config
from quartier.errors import InputDataError
from quartier.pipeline.steps import _shelters

# the Berlin demo run is shared by these modules: keep them on one test worker
pytestmark = pytest.mark.xdist_group("berlin_demo")

CRS = "EPSG:25833"


def units_grid(n=3, size=2000.0, pop=100_000):
    cells = [box(i * size, 0, (i + 1) * size, size) for i in range(n)]
    return gpd.GeoDataFrame({"unit_id": [f"{i:02d}" for i in range(n)],
                             "unit_group": ["A"] * n}, geometry=cells, crs=CRS), \
        pd.Series(pop, index=[f"{i:02d}" for i in range(n)], dtype=float)


def site_table(specs):
    """specs: (site_id, x, y, capacity, score, unit_id)"""
    return gpd.GeoDataFrame({
        "site_id": [s[0] for s in specs], "capacity": [s[3] for s in specs],
        "score": [float(s[4]) for s in specs], "unit_id": [s[5] for s in specs],
        "eligible": True, "score_access": [float(s[4]) for s in specs], "penalty_status": 0.0,
        "penalty_shelter": 0.0, "status_class": None, "excluded": False, "nearest_pois": ""},
        geometry=[Point(s[1], s[2]) for s in specs], crs=CRS)


def cfg(**kw):
    base = dict(min_places=10, max_share_of_residents_pct=100, max_share_of_district_pct=None,
                min_distance_m=0)
    base.update(kw)
    return SitesConfig(**base)


def test_known_optimum_fills_best_sites_first():
    units, pop = units_grid()
    sites = site_table([("a", 100, 100, 100, 90, "00"), ("b", 2100, 100, 100, 80, "01"),
                        ("c", 4100, 100, 100, 70, "02")])
    res = select_sites(sites, units, pop, 150, cfg())
    placed = dict(zip(res.table["site_id"], res.table["places"], strict=True))
    assert placed == {"a": 100, "b": 50, "c": 0}
    assert res.objective == 100 * 90 + 50 * 80
    assert res.housed == 150 and res.status == "optimal"


def test_min_distance_forces_the_second_best_elsewhere():
    units, pop = units_grid()
    sites = site_table([("a", 100, 100, 100, 90, "00"), ("a2", 300, 100, 100, 89, "00"),
                        ("c", 4100, 100, 100, 50, "02")])
    res = select_sites(sites, units, pop, 150, cfg(min_distance_m=500))
    placed = dict(zip(res.table["site_id"], res.table["places"], strict=True))
    assert placed == {"a": 100, "a2": 0, "c": 50}
    reason = res.table.set_index("site_id").loc["a2", "reasons"]
    assert "Mindestabstand 500 m zu a (200 m)" in reason


def test_quarter_cap_binds_and_is_reported():
    units, pop = units_grid(pop=1000)  # 1 % → 10 places per quarter
    sites = site_table([("a", 100, 100, 300, 90, "00"), ("b", 2100, 100, 300, 80, "01")])
    res = select_sites(sites, units, pop, 20, cfg(max_share_of_residents_pct=1.0, min_places=5))
    assert res.table["places"].tolist() == [10, 10]
    assert "Quartier 00" in res.binding and "Quartier 01" in res.binding


def test_more_people_than_capacity_gives_shortfall_and_best_partial_plan():
    units, pop = units_grid()
    sites = site_table([("a", 100, 100, 100, 90, "00"), ("b", 2100, 100, 60, 80, "01")])
    res = select_sites(sites, units, pop, 500, cfg())
    assert res.housed == 160 and res.shortfall == 340 and res.status == "Teilplan"
    assert any("es fehlen 340" in w for w in res.warnings)


@pytest.mark.parametrize("seed", range(8))
def test_caps_never_violated_random_instances(seed):
    rng = np.random.default_rng(seed)
    units, _ = units_grid(n=5, size=1000)
    pop = pd.Series(rng.integers(2000, 20000, 5).astype(float), index=units["unit_id"])
    n = 40
    xs, ys = rng.uniform(0, 5000, n), rng.uniform(0, 1000, n)
    specs = [(f"s{i}", x, y, int(rng.integers(0, 300)), float(rng.uniform(0, 100)),
              f"{int(x // 1000):02d}") for i, (x, y) in enumerate(zip(xs, ys, strict=True))]
    sites = site_table(specs)
    sites["eligible"] = sites["capacity"] >= 20
    s = cfg(min_places=20, max_share_of_residents_pct=1.5, min_distance_m=300,
            max_places_per_site=300)
    res = select_sites(sites, units, pop, 400, s)
    t = res.table
    chosen = t[t["selected"]]
    assert (t["places"] <= t["capacity"]).all() and (t["places"] <= 300).all()
    assert (chosen["places"] >= 20).all() and (t.loc[~t["selected"], "places"] == 0).all()
    per_unit = t.groupby("unit_id")["places"].sum()
    assert (per_unit <= np.floor(pop.reindex(per_unit.index) * 0.015) + 1e-9).all()
    xy = np.c_[chosen.geometry.x, chosen.geometry.y]
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert (d[np.triu_indices(len(xy), 1)] >= 300).all()
    assert res.housed == t["places"].sum() <= 400


def test_capacity_from_area_capped():
    s = SitesConfig()
    assert capacity_from_area(np.array([100.0, 1000.0, 50_000.0]), s).tolist() == [4, 48, 300]


def test_no_eligible_site_is_a_clear_error():
    units, pop = units_grid()
    sites = site_table([("a", 100, 100, 100, 90, "00")]).assign(eligible=False)
    with pytest.raises(InputDataError, match="no eligible site"):
        select_sites(sites, units, pop, 10, cfg())


def test_site_file_bad_input(tmp_path):
    from quartier.io.sitefile import read_site_file
    from tests.conftest import tiny_config

    (tmp_path / "s.csv").write_text("site_id,lat,lon,capacity\nA,52.52,13.40,100\nA,52.5,13.4,50\n",
                                    encoding="utf-8")
    c = tiny_config(tmp_path, sites={"file": "s.csv", "x": "lon", "y": "lat"},
                    index={"status": [{"column": "share_sgb2_pct"}]},
                    access={"categories": {"kita": {"label": "Kita", "good_m": 300, "limit_m": 600}}})
    with pytest.raises(InputDataError, match="duplicate site ids A"):
        read_site_file(c.sites, crs=c.city.crs)
    (tmp_path / "s.csv").write_text("site_id,lat,lon,capacity\nA,52.52,13.40,0\nB,,,50\n"
                                    "C,52.5,13.4,80\n", encoding="utf-8")
    sites, warnings = read_site_file(c.sites, crs=c.city.crs)
    assert sites["site_id"].tolist() == ["A", "C"]
    assert any("ohne Koordinaten nicht verwendet: B" in w for w in warnings)
    assert any("Kapazität 0 kommen nicht in Frage: A" in w for w in warnings)


def test_berlin_demo_sites(demo_run):
    out, output = demo_run
    t = gpd.read_file(out / "sites.gpkg")
    assert "2000 of 2000 people housed" in output
    chosen = t[t["selected"]]
    assert chosen["places"].sum() == 2000
    assert len(chosen) >= 7  # 2000 people at ≤ 300 per site
    assert (chosen["places"] <= 300).all()
    assert t["reasons"].str.len().gt(0).all()
    assert chosen["reasons"].str.startswith("ausgewählt").all()
    assert "illustrativ (Beispiel)" in set(t["source"])
    df = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    for col in ["site_id", "selected", "capacity", "places", "score", "score_access",
                "penalty_status", "unit_id", "reasons"]:
        assert col in df.columns
    # sites in the lowest-status quarters carry the penalty
    low = t[t["status_class"] == "sehr niedrig"]
    assert (low["penalty_status"] == 30).all()


def test_existing_shelters_penalise_sites_nearby(tmp_path):
    """GENERATED: two sites with equal access, one 300 m from an existing shelter: it loses
    ``shelter_penalty`` points and says why; the pipeline reads ``sites.shelters`` (issue 21:
    the key was validated but never used)."""
    units, _ = units_grid(n=2)
    sites = gpd.GeoDataFrame({"site_id": ["near", "far"], "capacity": [50, 50],
                              "name": ["A", "B"]},
                             geometry=[Point(1000, 1000), Point(3000, 1000)], crs=CRS)
    pois = gpd.GeoDataFrame({"category": ["kita", "kita"], "weight": [1.0, 1.0]},
                            geometry=[Point(1000, 1100), Point(3000, 1100)], crs=CRS)
    access = AccessConfig(categories={"kita": {"label": "Kita", "good_m": 300, "limit_m": 800}})
    shelters = gpd.GeoDataFrame(geometry=[Point(1000, 1300)], crs=CRS)
    scored, _ = score_sites(sites, units, None, pois, access, cfg(), shelters=shelters)
    by_id = scored.set_index("site_id")
    assert by_id.loc["near", "penalty_shelter"] == cfg().shelter_penalty == 20
    assert by_id.loc["far", "penalty_shelter"] == 0
    assert by_id.loc["near", "score"] == by_id.loc["far", "score"] - 20
    # through the pipeline: the config's shelter file reaches the scoring
    shelters.to_file(tmp_path / "unterkuenfte.gpkg")
    c = parse_config({"city": {"name": "x (generated)", "crs": CRS},
                      "units": {"path": "u.gpkg", "id_column": "unit_id"},
                      "population_column": "ew",
                      "index": {"status": [{"column": "ew"}]},
                      "access": {"categories": {"kita": {"label": "Kita", "good_m": 300,
                                                         "limit_m": 800}}},
                      "sites": {"shelters": "unterkuenfte.gpkg"}}, tmp_path)
    got = _shelters(c.sites, c.city.crs)
    assert len(got) == 1 and got.crs.to_epsg() == 25833

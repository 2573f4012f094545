"""Gap detection on awkward inputs: CRSs, buildings as points, JOSM files, another UTM zone.
"""

from __future__ import annotations

import geopandas as gpd
import pyproj
import pytest

from quartier import pipeline
from quartier.analysis.gaps import detect_gaps
from quartier.config import load_config
from quartier.errors import ConfigError, InputDataError
from quartier.io.gapdata import read_gap_inputs
from quartier.paths import BERLIN_CONFIG
from tests.conftest import tiny_config
from tests.hostile import hostile_config, write_city

CRS = "EPSG:25833"


def josm_file(path) -> None:
    """GENERATED OSM XML as JOSM saves new objects (all ids negative): a block of 100 × 60 m
    between four residential streets, a park on its south half, five houses along its north side
    with a 20 m gap at x = 44…64, and four houses outside its corners."""
    to_ll = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    x0, y0 = 392_000.0, 5_820_000.0  # Berlin-Mitte, about 13.41° E 52.52° N
    nodes, ways = [], []

    def way(xy, tags):
        refs = []
        for x, y in xy:
            lon, lat = to_ll.transform(x0 + x, y0 + y)
            refs.append(-(len(nodes) + 1))
            nodes.append(f'<node id="{refs[-1]}" action="modify" lat="{lat:.9f}" lon="{lon:.9f}"/>')
        if tags.get("building") or tags.get("leisure"):
            refs.append(refs[0])
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        ways.append(f'<way id="{-(len(ways) + 1)}" action="modify">{nd}{tg}</way>')

    def rect(x, y, w, h, tags):
        way([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], tags)

    corners = [(0, 0), (100, 0), (100, 60), (0, 60), (0, 0)]
    for a, b in zip(corners, corners[1:], strict=False):
        way([a, b], {"highway": "residential"})
    rect(0, 0, 100, 30, {"leisure": "park"})
    for x in (8, 20, 32, 64, 76):
        rect(x, 35, 12, 17, {"building": "yes"})
    for x, y in ((-25, -25), (110, -25), (110, 70), (-25, 70)):
        rect(x, y, 15, 15, {"building": "yes"})
    path.write_text("<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' generator='JOSM'>\n"
                    + "\n".join(nodes + ways) + "\n</osm>\n", encoding="utf-8")


def test_gaps_crs_must_be_metric(tmp_path):
    with pytest.raises(ConfigError, match="not a metric projected CRS"):
        tiny_config(tmp_path, gaps={"osm": "x.osm", "crs": "EPSG:4326"})


def test_gaps_crs_must_preserve_distances(tmp_path):
    cfg = hostile_config(tmp_path / "c", gaps={**write_city(tmp_path / "x")["gaps"],
                                               "crs": "EPSG:3857"})
    with pytest.raises(InputDataError, match="gaps.crs = 'EPSG:3857' stretches distances"):
        pipeline.gaps(cfg, tmp_path / "out")


def test_buildings_as_points_and_an_empty_area(tmp_path):
    cfg = hostile_config(tmp_path / "c")
    pts = gpd.read_file(tmp_path / "c" / "buildings.gpkg")
    pts.set_geometry(pts.centroid).to_file(tmp_path / "c" / "buildings.gpkg")
    with pytest.raises(InputDataError, match="the buildings are Point, not footprints"):
        pipeline.gaps(cfg, tmp_path / "out")
    cfg = hostile_config(tmp_path / "d")
    gpd.GeoDataFrame(geometry=[], crs="EPSG:25833").to_file(tmp_path / "d" / "area.gpkg")
    with pytest.raises(InputDataError, match="the study area .* holds no polygon"):
        pipeline.gaps(cfg, tmp_path / "out2")


def test_osm_file_with_negative_ids(tmp_path):
    josm_file(tmp_path / "x.osm")
    cfg = tiny_config(tmp_path, gaps={"osm": "x.osm", "street_buffer_m": 6, "building_buffer_m": 1,
                                      "min_area_m2": 100, "min_depth_m": 10})
    inp = read_gap_inputs(cfg.gaps, crs=cfg.city.crs,
                    max_scale_error_pct=cfg.city.max_scale_error_pct)
    assert (len(inp.buildings), len(inp.streets), len(inp.excluded)) == (9, 4, 1)
    gaps = detect_gaps(inp, cfg.gaps)
    assert len(gaps) == 1
    gap = gaps.iloc[0]
    assert gap["gap_type"] == "Baulücke" and gap["rule"].startswith("B1")
    c = gap.geometry.centroid
    assert 392_046 < c.x < 392_062 and c.y > 5_820_035
    # 20 m between the houses minus 2 × 1 m building buffer
    assert gap["frontage_m"] == pytest.approx(18, abs=0.5)


@pytest.mark.slow
def test_moabit_gaps_in_utm_zone_32():
    cfg = load_config(BERLIN_CONFIG)
    result = {}
    for crs in ("EPSG:25833", "EPSG:25832"):
        c = cfg.model_copy(update={"gaps": cfg.gaps.model_copy(update={"crs": crs})})
        result[crs] = detect_gaps(read_gap_inputs(c.gaps, crs=c.city.crs,
                    max_scale_error_pct=c.city.max_scale_error_pct), c.gaps)
    z33, z32 = result["EPSG:25833"], result["EPSG:25832"]
    assert z32.crs.to_epsg() == 25832 and z32.is_valid.all()
    assert len(z32) == pytest.approx(len(z33), rel=0.10)
    assert z32["area_m2"].sum() == pytest.approx(z33["area_m2"].sum(), rel=0.05)

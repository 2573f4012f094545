"""Trust in the review store and in gap detection: foreign and incomplete stores, read-only
access, candidates that come back, empty exports, OSM files from editors, another UTM zone."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import geopandas as gpd
import pyproj
import pytest
from shapely.geometry import box

from quartier.analysis.gaps import GAP_COLUMNS, detect_gaps, stable_id
from quartier.config import load_config
from quartier.io.gapdata import read_gap_inputs
from quartier.paths import BERLIN_CONFIG
from quartier.review import store as review

from .conftest import tiny_config

CRS = "EPSG:25833"
A, B, C = (0, 0, 20, 20), (100, 0, 120, 20), (200, 0, 220, 20)


def cands(boxes, dx: float = 0.0) -> gpd.GeoDataFrame:
    geoms = [box(x0 + dx, y0, x1 + dx, y1) for x0, y0, x1, y1 in boxes]
    return gpd.GeoDataFrame({"gap_id": stable_id(geoms), "gap_type": "Baulücke",
                             "area_m2": [g.area for g in geoms], "frontage_m": 10.0,
                             "rule": "B1", "confidence": 0.8}, geometry=geoms, crs=CRS)[
        [*GAP_COLUMNS, "geometry"]]


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dump(con: sqlite3.Connection) -> str:
    return "\n".join(con.iterdump())


def closed_store(path, boxes=(A, B)):
    """A store with one run, closed (WAL checkpointed into the main file)."""
    con = review.open_store(path)
    review.sync_candidates(con, cands(boxes))
    con.close()
    return path


# ------------------------------------------------------------------ 1. a store of another city


def test_store_of_another_city_refused(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    review.sync_candidates(con, cands([A, B]), city="Berlin")
    before = dump(con)
    with pytest.raises(review.ReviewStoreError,
                       match=r"r\.sqlite: this review store belongs to 'Berlin', the new run is "
                             r"for 'Leipzig'; nothing was written\. Use another --store"):
        review.sync_candidates(con, cands([A, B]), city="Leipzig")
    assert dump(con) == before
    assert con.execute("SELECT value FROM meta WHERE key = 'city'").fetchone() == ("Berlin",)


def test_candidates_far_from_stored_ones_refused(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    review.sync_candidates(con, cands([A, B]))
    before = dump(con)
    with pytest.raises(review.ReviewStoreError, match=r"these candidates lie nowhere near the "
                       r"stored ones \(another city or another CRS\?\); nothing was written"):
        review.sync_candidates(con, cands([A, B], dx=50_000))
    assert dump(con) == before
    # a run that overlaps the stored extent in part is the same city
    assert review.sync_candidates(con, cands([B, C], dx=10)).orphaned == 2


def test_store_without_city_accepted_and_city_recorded(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    review.sync_candidates(con, cands([A, B]))  # as written before stores knew their city
    assert con.execute("SELECT value FROM meta WHERE key = 'city'").fetchone() is None
    rep = review.sync_candidates(con, cands([A, B]), city="Berlin")
    assert (rep.unchanged, rep.new) == (2, 0)
    assert con.execute("SELECT value FROM meta WHERE key = 'city'").fetchone() == ("Berlin",)
    with pytest.raises(review.ReviewStoreError, match="belongs to 'Berlin'"):
        review.sync_candidates(con, cands([A, B]), city="Kaiserslautern")


# ------------------------------------------------------------------ 2. incomplete store, read-only


@pytest.mark.parametrize("table", ["runs", "meta"])
def test_store_missing_a_table_refused_unchanged(tmp_path, table):
    path = closed_store(tmp_path / "r.sqlite")
    con = sqlite3.connect(path)
    con.execute(f"DROP TABLE {table}")
    con.commit()
    con.close()
    before = sha(path)
    message = rf"r\.sqlite: an incomplete review store \(no table {table}\); it was not changed"
    with pytest.raises(review.ReviewStoreError, match=message):
        review.open_store(path)
    assert sha(path) == before
    with pytest.raises(review.ReviewStoreError, match=message):
        review.open_store(path, readonly=True)
    assert sha(path) == before


def test_readonly_missing_store_is_an_error_and_not_created(tmp_path):
    path = tmp_path / "none.sqlite"
    with pytest.raises(review.ReviewStoreError, match=r"none\.sqlite: no review store here; run "
                       "`quartier gaps detect` first"):
        review.open_store(path, readonly=True)
    assert not path.exists()


def test_readonly_open_does_not_change_the_store(tmp_path):
    path = closed_store(tmp_path / "r.sqlite")
    before = sha(path)
    con = review.open_store(path, readonly=True)
    cad = review.cadastre(con)
    assert len(cad) == 2 and set(cad["status"]) == {"offen"}
    assert review.history(con, cad["gap_id"].iloc[0]).empty
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        con.execute("INSERT INTO meta VALUES ('x', 'y')")
    con.close()
    assert sha(path) == before


def test_readonly_sees_changes_still_in_the_wal(tmp_path):
    path = closed_store(tmp_path / "r.sqlite")
    before = sha(path)
    writer = review.open_store(path)
    gid = cands([A])["gap_id"].iloc[0]
    review.decide(writer, gid, "bestätigt", "Ana")  # in the -wal file, not yet in the main file
    reader = review.open_store(path, readonly=True)
    assert review.cadastre(reader).set_index("gap_id").loc[gid, "status"] == "bestätigt"
    assert review.history(reader, gid)["reviewer"].tolist() == ["Ana"]
    reader.close()
    assert sha(path) == before
    writer.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_readonly_store_in_readonly_folder(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    path = closed_store(folder / "r.sqlite")
    before = sha(path)
    folder.chmod(0o555)
    try:
        con = review.open_store(path, readonly=True)
        assert len(review.cadastre(con)) == 2
        con.close()
    finally:
        folder.chmod(0o755)
    assert sha(path) == before


# ------------------------------------------------------------------ 3. candidates that come back


def test_orphan_that_reappears_is_revived_with_its_decisions(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    ida, idb = cands([A, B])["gap_id"]
    review.sync_candidates(con, cands([A, B]))
    d_a = review.decide(con, ida, "bestätigt", "Ana", "Ortstermin")
    d_b = review.decide(con, idb, "verworfen", "Ben")
    r2 = review.sync_candidates(con, cands([B]))  # A's lot was built on in the data …
    assert r2.orphaned == 1
    r3 = review.sync_candidates(con, cands([A, B]))  # … and the edit was reverted
    assert (r3.revived, r3.new, r3.unchanged, r3.orphaned, r3.changed) == (1, 0, 1, 0, 0)
    cad = review.cadastre(con).set_index("gap_id")
    assert len(cad) == 2
    assert cad.loc[ida, ["state", "status", "decision_id", "note"]].tolist() == [
        "wieder erkannt", "bestätigt", d_a, "Ortstermin"]
    assert (cad.loc[ida, "first_run"], cad.loc[ida, "last_run"]) == (1, 3)
    assert cad.loc[idb, "decision_id"] == d_b
    assert review.history(con, ida)["decision_id"].tolist() == [d_a]
    r4 = review.sync_candidates(con, cands([A, B]))
    assert (r4.run_id, r4.unchanged, r4.revived) == (4, 2, 0)
    assert review.cadastre(con).set_index("gap_id").loc[ida, "state"] == "unverändert"


def test_replaced_candidate_that_reappears_is_revived(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    idb = cands([B])["gap_id"].iloc[0]
    review.sync_candidates(con, cands([B]))
    d_b = review.decide(con, idb, "mobilisierbar", "Ana")
    grown = cands([(100, 0, 122, 20)])
    assert review.sync_candidates(con, grown).changed == 1  # B is 'ersetzt'
    r3 = review.sync_candidates(con, cands([B]))
    assert (r3.revived, r3.orphaned, r3.new) == (1, 1, 0)
    cad = review.cadastre(con).set_index("gap_id")
    assert cad.loc[idb, ["state", "status", "decision_id"]].tolist() == [
        "wieder erkannt", "mobilisierbar", d_b]
    assert cad.loc[grown["gap_id"].iloc[0], "state"] == "verwaist"


# ------------------------------------------------------------------ 4. export of an empty store


def test_export_of_empty_store_refused_and_writes_nothing(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    out = tmp_path / "out"
    with pytest.raises(review.ReviewStoreError, match=r"r\.sqlite: the review store holds no "
                       r"candidates yet: run `quartier gaps detect` first; nothing was exported"):
        review.export(con, out)
    assert not out.exists()


# ------------------------------------------------------------------ 5. OSM file with negative ids


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


# ------------------------------------------------------------------ 6. Moabit in another UTM zone


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

"""Trust in the review store: foreign and incomplete stores, read-only access, candidates that
come back, empty exports, unknown filters.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3

import geopandas as gpd
import pytest
from shapely.geometry import box
from typer.testing import CliRunner

from quartier.analysis.gaps import GAP_COLUMNS, stable_id
from quartier.cli import app
from quartier.review import store as review

runner = CliRunner()


CRS = "EPSG:25833"
A, B, C = (0, 0, 20, 20), (100, 0, 120, 20), (200, 0, 220, 20)


def cands(boxes, dx: float = 0.0) -> gpd.GeoDataFrame:
    geoms = [box(x0 + dx, y0, x1 + dx, y1) for x0, y0, x1, y1 in boxes]
    return gpd.GeoDataFrame({"gap_id": stable_id(geoms), "gap_type": "Baulücke",
                             "area_m2": [g.area for g in geoms], "frontage_m": 10.0,
                             "rule": "B1", "confidence": 0.8}, geometry=geoms, crs=CRS)[
        [*GAP_COLUMNS, "geometry"]]


def dump(con: sqlite3.Connection) -> str:
    return "\n".join(con.iterdump())


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def closed_store(path, boxes=(A, B)):
    """A store with one run, closed (WAL checkpointed into the main file)."""
    con = review.open_store(path)
    review.sync_candidates(con, cands(boxes))
    con.close()
    return path


def test_foreign_sqlite_with_the_table_names_is_refused_unchanged(tmp_path):
    path = tmp_path / "f.sqlite"
    con = sqlite3.connect(path)
    con.executescript("create table meta(k); create table runs(a); create table candidates(x); "
                      "create table decisions(y);")
    con.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(review.ReviewStoreError, match="lacks the columns"):
        review.open_store(path)
    res = runner.invoke(app, ["gaps", "review", str(path), "--set", "x", "--status", "offen",
                              "--reviewer", "me"])
    assert res.exit_code == 2 and "lacks the columns" in res.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_store_of_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    review.open_store(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    con.commit()
    con.close()
    with pytest.raises(review.ReviewStoreError, match="schema '99'"):
        review.open_store(path)


def test_store_path_that_is_a_folder(tmp_path):
    res = runner.invoke(app, ["gaps", "review", str(tmp_path)])
    assert res.exit_code == 2 and "is a folder" in res.output


def test_unknown_status_filter_is_said(tmp_path):
    path = tmp_path / "s.sqlite"
    review.open_store(path).close()
    res = runner.invoke(app, ["gaps", "review", str(path), "--status", "bogus"])
    assert res.exit_code == 2 and "unknown; use one of" in res.output


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


def test_export_of_empty_store_refused_and_writes_nothing(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    out = tmp_path / "out"
    with pytest.raises(review.ReviewStoreError, match=r"r\.sqlite: the review store holds no "
                       r"candidates yet: run `quartier gaps detect` first; nothing was exported"):
        review.export(con, out)
    assert not out.exists()

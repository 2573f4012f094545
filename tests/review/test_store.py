"""The review store keeps every decision: re-runs, orphans, crashes, concurrency, damage."""

import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import time

import geopandas as gpd
import pytest
from shapely.geometry import box

from quartier.analysis.gaps import GAP_COLUMNS, stable_id
from quartier.review import store as review

CRS = "EPSG:25833"


def cands(boxes):
    geoms = [box(*b) for b in boxes]
    return gpd.GeoDataFrame({"gap_id": stable_id(geoms), "gap_type": "Baulücke",
                             "area_m2": [g.area for g in geoms], "frontage_m": 10.0,
                             "rule": "B1", "confidence": 0.8}, geometry=geoms, crs=CRS)[
        [*GAP_COLUMNS, "geometry"]]


A, B, C = (0, 0, 20, 20), (100, 0, 120, 20), (200, 0, 220, 20)


def test_rerun_keeps_decisions_changed_and_orphans(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    first = cands([A, B, C])
    r1 = review.sync_candidates(con, first)
    assert (r1.new, r1.unchanged) == (3, 0)
    ida, idb, idc = first["gap_id"]
    review.decide(con, ida, "bestätigt", "Ana", "Ortstermin")
    review.decide(con, idb, "verworfen", "Ben", "Garagenhof")
    review.decide(con, idc, "mobilisierbar", "Ana")
    # data changed: A unchanged, B grew a little, C vanished
    second = cands([A, (100, 0, 122, 20)])
    r2 = review.sync_candidates(con, second)
    assert (r2.unchanged, r2.changed, r2.orphaned, r2.new) == (1, 1, 1, 0)
    cad = review.cadastre(con).set_index("gap_id")
    assert cad.loc[ida, "status"] == "bestätigt" and cad.loc[ida, "state"] == "unverändert"
    new_b = second["gap_id"].iloc[1]
    assert cad.loc[new_b, "state"] == "geändert" and cad.loc[new_b, "previous_id"] == idb
    assert cad.loc[new_b, "status"] == "verworfen"
    assert "übernommen von" in cad.loc[new_b, "note"]
    assert cad.loc[idc, "state"] == "verwaist" and cad.loc[idc, "status"] == "mobilisierbar"
    assert len(review.history(con, idb)) == 1  # the old history stays where it was
    assert len(cad) == 4  # nothing deleted


def test_conflicting_reviewers_do_not_overwrite(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    review.sync_candidates(con, cands([A]))
    gid = cands([A])["gap_id"].iloc[0]
    first = review.decide(con, gid, "bestätigt", "Ana", expected=0)
    with pytest.raises(review.ConflictError, match="decided by someone else"):
        review.decide(con, gid, "verworfen", "Ben", expected=0)
    assert review.history(con, gid)["decision_id"].tolist() == [first]


def test_bad_decisions_refused(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    review.sync_candidates(con, cands([A]))
    with pytest.raises(review.ReviewStoreError, match="status 'ok' unknown"):
        review.decide(con, cands([A])["gap_id"].iloc[0], "ok", "Ana")
    with pytest.raises(review.ReviewStoreError, match="no candidate 'X'"):
        review.decide(con, "X", "bestätigt", "Ana")


def _writer(path, gid, name, n):
    con = review.open_store(path)
    for i in range(n):
        review.decide(con, gid, "bestätigt", name, f"{i}")
    con.close()


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "r.sqlite"
    con = review.open_store(path)
    review.sync_candidates(con, cands([A]))
    gid = cands([A])["gap_id"].iloc[0]
    con.close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, gid, name, 40)) for name in ("Ana", "Ben")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    hist = review.history(review.open_store(path), gid)
    assert len(hist) == 80 and hist["reviewer"].value_counts().to_dict() == {"Ana": 40, "Ben": 40}


def test_process_killed_mid_write_loses_nothing(tmp_path):
    path = tmp_path / "r.sqlite"
    con = review.open_store(path)
    review.sync_candidates(con, cands([A, B]))
    gid = cands([A])["gap_id"].iloc[0]
    review.decide(con, gid, "bestätigt", "Ana")
    con.close()
    # a writer that opens a transaction, writes, and is killed before COMMIT
    code = (f"import sqlite3, time\ncon = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "con.execute('BEGIN IMMEDIATE')\n"
            "con.execute(\"DELETE FROM decisions\")\n"
            f"con.execute(\"INSERT INTO decisions (gap_id, status, reviewer, timestamp) VALUES "
            f"('{gid}', 'verworfen', 'crash', 'x')\")\n"
            "print('ready', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    con = review.open_store(path)
    hist = review.history(con, gid)
    assert hist["reviewer"].tolist() == ["Ana"]
    assert review.cadastre(con).set_index("gap_id").loc[gid, "status"] == "bestätigt"
    review.decide(con, gid, "in Planung", "Ben")  # and it is writable again
    time.sleep(0)


def test_damaged_store_is_refused_and_not_overwritten(tmp_path):
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"this is not a database, it is somebody's notes\n" * 50)
    before = path.read_bytes()
    with pytest.raises(review.ReviewStoreError, match="not a quartier review store"):
        review.open_store(path)
    assert path.read_bytes() == before
    # a truncated real store
    good = tmp_path / "g.sqlite"
    con = review.open_store(good)
    review.sync_candidates(con, cands([A, B, C]))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = good.read_bytes()
    broken = tmp_path / "b.sqlite"
    broken.write_bytes(data[:100] + b"\x00" * 200 + data[300:len(data) // 2])
    before = broken.read_bytes()
    with pytest.raises(review.ReviewStoreError, match="damaged|not a quartier"):
        review.open_store(broken)
    assert broken.read_bytes() == before


def test_foreign_sqlite_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE x (a)").connection.commit()
    with pytest.raises(review.ReviewStoreError, match="not a quartier review store"):
        review.open_store(path)


def test_export_all_formats(tmp_path):
    con = review.open_store(tmp_path / "r.sqlite")
    review.sync_candidates(con, cands([A, B]))
    files = review.export(con, tmp_path / "out")
    assert [f.name for f in files] == ["baulueckenkataster.gpkg", "baulueckenkataster.csv",
                                       "baulueckenkataster.xlsx"]
    back = gpd.read_file(files[0])
    assert len(back) == 2 and set(back["status"]) == {"offen"}


# ------------------------------------------------------------------ issue 20: trust, second round


class held_lock:
    """Another program's write transaction on the store (a second connection, as a database
    browser with unsaved changes holds it)."""

    def __init__(self, path):
        self.con = sqlite3.connect(path, isolation_level=None)

    def __enter__(self):
        self.con.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.con.execute("ROLLBACK")
        self.con.close()


def test_review_set_on_a_locked_store_waits_then_fails_cleanly(tmp_path, monkeypatch):
    """Issue 20.9: `gaps review --set` while another program held a write transaction > 30 s:
    sqlite3.OperationalError traceback."""
    from typer.testing import CliRunner

    from quartier.cli import app

    monkeypatch.setattr(review, "LOCK_WAIT_S", 1.0)
    path = tmp_path / "r.sqlite"
    con = review.open_store(path)
    review.sync_candidates(con, cands([A]))
    con.close()
    gid = cands([A])["gap_id"].iloc[0]
    start = time.monotonic()
    with held_lock(path):
        res = CliRunner().invoke(app, ["gaps", "review", str(path), "--set", gid, "--status",
                                       "bestätigt", "--reviewer", "Ana"])
    assert 1.0 <= time.monotonic() - start < 10
    assert res.exit_code == 2, res.output
    assert "waiting up to 1 s" in res.output and "write lock for more than 1 s" in res.output
    assert "nothing was written" in res.output and "Traceback" not in res.output
    con = review.open_store(path, readonly=True)
    assert review.history(con, gid).empty
    con.close()
    # once the other program is done, the same command works
    res = CliRunner().invoke(app, ["gaps", "review", str(path), "--set", gid, "--status",
                                   "bestätigt", "--reviewer", "Ana"])
    assert res.exit_code == 0, res.output


def test_detect_on_a_locked_store_changes_neither_gpkg_nor_store(tmp_path, monkeypatch):
    """Issue 20.9: after `gaps detect --store` failed on a locked store, gaps.gpkg was already
    replaced while the store was not updated."""
    from quartier.pipeline import commands as pipeline
    from tests.analysis.test_gaps_inputs import josm_file
    from tests.conftest import tiny_config

    josm_file(tmp_path / "x.osm")
    cfg = tiny_config(tmp_path, gaps={"osm": "x.osm", "street_buffer_m": 6,
                                      "building_buffer_m": 1, "min_area_m2": 100,
                                      "min_depth_m": 10})
    out = tmp_path / "out"
    first = pipeline.gaps(cfg, out)
    before = os.stat(out / "gaps.gpkg")
    monkeypatch.setattr(review, "LOCK_WAIT_S", 1.0)
    told = []
    with held_lock(first.store), pytest.raises(review.StoreLockedError, match="nothing was written"):
        pipeline.gaps(cfg, out, progress=told.append)
    assert any("waiting up to 1 s" in m for m in told)
    after = os.stat(out / "gaps.gpkg")
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("review.sqlite")) == [
        "gaps.gpkg"]
    con = review.open_store(first.store, readonly=True)
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    con.close()
    second = pipeline.gaps(cfg, out)
    assert second.sync.run_id == 2 and os.stat(out / "gaps.gpkg").st_ino != before.st_ino

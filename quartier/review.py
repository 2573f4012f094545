"""Review store of the Baulückenkataster: every decision kept, with its full history.

One SQLite file (stdlib ``sqlite3``, WAL journal). Decisions are append-only rows; a candidate's
current status is its latest decision ("offen" when none). Every write is one transaction
(``BEGIN IMMEDIATE``), so a crash mid-write leaves the store as it was, and concurrent writers
queue instead of overwriting each other. A reviewer may pass the decision id they saw
(``expected``); if someone decided in between, the write is refused (:class:`ConflictError`).

Re-running detection (:func:`sync_candidates`) keeps every decision:

* a candidate with the same ``gap_id`` (same geometry) is *unverändert*;
* a new candidate overlapping a vanished one (IoU ≥ :data:`CHANGED_IOU`) is *geändert*: it links
  to its predecessor and inherits the predecessor's current decision, flagged for review;
* a vanished candidate without successor is *verwaist* (orphaned) — kept, never deleted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier.errors import QuartierError
from quartier.output import prepare_out_dir, write_gpkg, write_table

STATUSES = ("offen", "bestätigt", "verworfen", "mobilisierbar", "in Planung")
CHANGED_IOU = 0.5
SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, crs TEXT NOT NULL,
    n_new INTEGER, n_unchanged INTEGER, n_changed INTEGER, n_orphaned INTEGER);
CREATE TABLE IF NOT EXISTS candidates (
    gap_id TEXT PRIMARY KEY, gap_type TEXT, area_m2 REAL, frontage_m REAL, rule TEXT,
    confidence REAL, geom BLOB NOT NULL, state TEXT NOT NULL, previous_id TEXT,
    first_run INTEGER NOT NULL, last_run INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
    gap_id TEXT NOT NULL REFERENCES candidates(gap_id),
    status TEXT NOT NULL, reviewer TEXT NOT NULL, note TEXT, timestamp TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_gap ON decisions(gap_id, decision_id);
"""


class ReviewStoreError(QuartierError):
    """The store cannot be used (damaged, foreign, wrong input)."""


class ConflictError(ReviewStoreError):
    """Someone else decided on this candidate since the reviewer looked at it."""


@dataclass
class SyncReport:
    run_id: int
    new: int
    unchanged: int
    changed: int
    orphaned: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_store(path: str | Path) -> sqlite3.Connection:
    """Open (or create) a review store. A damaged or foreign file is refused and left untouched."""
    path = Path(path)
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise ReviewStoreError(
                    f"{path}: not a quartier review store (not SQLite); it was not changed. "
                    "Restore it from a backup or choose another --store path")
    try:
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        con.execute("PRAGMA busy_timeout = 30000")
        if exists:
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
            if ok != "ok":
                con.close()
                raise ReviewStoreError(f"{path}: the review store is damaged ({ok}); it was not "
                                       "changed. Restore it from a backup")
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "decisions" not in tables or "candidates" not in tables:
                con.close()
                raise ReviewStoreError(f"{path}: an SQLite file, but not a quartier review "
                                       "store; it was not changed")
        con.execute("PRAGMA journal_mode = WAL")
        con.executescript(_SCHEMA)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    except sqlite3.DatabaseError as exc:
        raise ReviewStoreError(f"{path}: the review store is damaged ({exc}); it was not "
                               "changed. Restore it from a backup") from None
    return con


def _current(con: sqlite3.Connection) -> pd.DataFrame:
    return pd.read_sql_query(
        """SELECT c.gap_id, c.gap_type, c.area_m2, c.frontage_m, c.rule, c.confidence, c.state,
                  c.previous_id, c.first_run, c.last_run,
                  COALESCE(d.status, 'offen') AS status, d.reviewer, d.note,
                  d.timestamp AS decided_at, d.decision_id, c.geom
           FROM candidates c LEFT JOIN decisions d ON d.decision_id =
                (SELECT MAX(decision_id) FROM decisions WHERE gap_id = c.gap_id)
           ORDER BY c.gap_id""", con)


def sync_candidates(con: sqlite3.Connection, gaps: gpd.GeoDataFrame) -> SyncReport:
    """Record a detection run; keep every decision (see module docstring). One transaction."""
    if gaps.crs is None:
        raise ReviewStoreError("candidates have no CRS")
    crs = gaps.crs.to_string()
    con.execute("BEGIN IMMEDIATE")
    try:
        stored = {r[0] for r in con.execute("SELECT crs FROM runs")}
        if stored and crs not in stored:
            raise ReviewStoreError(f"this store holds candidates in {stored.pop()}, the new run is "
                                   f"in {crs}: use another store")
        run_id = con.execute("INSERT INTO runs (timestamp, crs) VALUES (?, ?)",
                             (_now(), crs)).lastrowid
        old = pd.read_sql_query("SELECT gap_id, geom, state FROM candidates "
                                "WHERE state != 'verwaist' AND state != 'ersetzt'", con)
        new_ids = set(gaps["gap_id"])
        unchanged = old["gap_id"].isin(new_ids)
        vanished = old[~unchanged]
        fresh = gaps[~gaps["gap_id"].isin(set(old["gap_id"]))]
        predecessor: dict[str, str] = {}
        if len(vanished) and len(fresh):
            vgeom = shapely.from_wkb(vanished["geom"].to_numpy())
            fi, vi = shapely.STRtree(vgeom).query(fresh.geometry.values, predicate="intersects")
            inter = shapely.area(shapely.intersection(fresh.geometry.values[fi], vgeom[vi]))
            union = shapely.area(shapely.union(fresh.geometry.values[fi], vgeom[vi]))
            iou = inter / np.maximum(union, 1e-9)
            best = pd.DataFrame({"f": fi, "v": vi, "iou": iou})
            best = best[best["iou"] >= CHANGED_IOU].sort_values("iou", ascending=False)
            best = best.drop_duplicates("f").drop_duplicates("v")
            for f, v in zip(best["f"], best["v"], strict=True):
                predecessor[fresh["gap_id"].iloc[f]] = vanished["gap_id"].iloc[v]
        rows = []
        for rec in fresh.itertuples(index=False):
            prev = predecessor.get(rec.gap_id)
            rows.append((rec.gap_id, rec.gap_type, float(rec.area_m2), float(rec.frontage_m),
                         rec.rule, float(rec.confidence), shapely.to_wkb(rec.geometry),
                         "geändert" if prev else "neu", prev, run_id, run_id))
        con.executemany("INSERT INTO candidates VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        con.executemany("UPDATE candidates SET state = 'unverändert', last_run = ? WHERE gap_id = ?",
                        [(run_id, g) for g in old.loc[unchanged, "gap_id"]])
        for new_id, old_id in predecessor.items():
            con.execute("UPDATE candidates SET state = 'ersetzt' WHERE gap_id = ?", (old_id,))
            last = con.execute("SELECT status, reviewer, note FROM decisions WHERE gap_id = ? "
                               "ORDER BY decision_id DESC LIMIT 1", (old_id,)).fetchone()
            if last:
                con.execute("INSERT INTO decisions (gap_id, status, reviewer, note, timestamp) "
                            "VALUES (?,?,?,?,?)",
                            (new_id, last[0], last[1], f"übernommen von {old_id} (Kandidat "
                             f"geändert, bitte prüfen); {last[2] or ''}".strip("; "), _now()))
        orphans = [g for g in vanished["gap_id"] if g not in set(predecessor.values())]
        con.executemany("UPDATE candidates SET state = 'verwaist' WHERE gap_id = ?",
                        [(g,) for g in orphans])
        report = SyncReport(run_id, len(fresh) - len(predecessor), int(unchanged.sum()),
                            len(predecessor), len(orphans))
        con.execute("UPDATE runs SET n_new=?, n_unchanged=?, n_changed=?, n_orphaned=? "
                    "WHERE run_id=?", (report.new, report.unchanged, report.changed,
                                       report.orphaned, run_id))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report


def decide(con: sqlite3.Connection, gap_id: str, status: str, reviewer: str, note: str = "",
           expected: int | None = None) -> int:
    """Record a decision; returns its id. ``expected`` = the decision id the reviewer saw (0 for
    none): if the current one differs, :class:`ConflictError` and nothing is written."""
    if status not in STATUSES:
        raise ReviewStoreError(f"status {status!r} unknown; use one of: {', '.join(STATUSES)}")
    if not reviewer.strip():
        raise ReviewStoreError("a decision needs a reviewer name")
    con.execute("BEGIN IMMEDIATE")
    try:
        if con.execute("SELECT 1 FROM candidates WHERE gap_id = ?", (gap_id,)).fetchone() is None:
            raise ReviewStoreError(f"no candidate {gap_id!r} in this store")
        cur = con.execute("SELECT MAX(decision_id) FROM decisions WHERE gap_id = ?",
                          (gap_id,)).fetchone()[0] or 0
        if expected is not None and cur != expected:
            raise ConflictError(f"{gap_id}: decided by someone else meanwhile (decision {cur}, you "
                                f"saw {expected}); nothing written — look again and repeat")
        did = con.execute("INSERT INTO decisions (gap_id, status, reviewer, note, timestamp) "
                          "VALUES (?,?,?,?,?)", (gap_id, status, reviewer, note, _now())).lastrowid
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return did


def history(con: sqlite3.Connection, gap_id: str) -> pd.DataFrame:
    """Every decision on a candidate, oldest first."""
    return pd.read_sql_query("SELECT * FROM decisions WHERE gap_id = ? ORDER BY decision_id", con,
                             params=(gap_id,))


def cadastre(con: sqlite3.Connection) -> gpd.GeoDataFrame:
    """All candidates (orphans included) with their current status, as a GeoDataFrame."""
    cur = _current(con)
    cur["decision_id"] = cur["decision_id"].astype("Int64")
    crs = con.execute("SELECT crs FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
    geoms = shapely.from_wkb(cur.pop("geom").to_numpy()) if len(cur) else []
    return gpd.GeoDataFrame(cur, geometry=geoms, crs=crs[0] if crs else None)


def export(con: sqlite3.Connection, out_dir: str | Path) -> list[Path]:
    """The cadastre as GeoPackage, CSV and xlsx (atomic, formula-safe writes)."""
    out = prepare_out_dir(out_dir)
    cad = cadastre(con)
    if cad.empty:
        raise ReviewStoreError("the review store holds no candidates yet: run `quartier gaps "
                               "detect` first; nothing was exported")
    return [write_gpkg(cad, out / "baulueckenkataster.gpkg", "kataster"),
            *write_table(cad, out / "baulueckenkataster.csv")]

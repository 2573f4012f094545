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
* a vanished candidate without successor is *verwaist* (orphaned) — kept, never deleted;
* an orphaned or replacement (*ersetzt*) candidate detected again (e.g. its buildings were
  reverted in the data) is *wieder erkannt*: the same row, its decisions kept as they were.

A store belongs to one city: its name is recorded at the first run that passes ``city``, and a run
of another city — or with candidates nowhere near the stored ones — is refused.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier.errors import QuartierError
from quartier.io.outputs import prepare_out_dir, write_gpkg, write_table
from quartier.vocab import GONE_STATES, GapState, ReviewStatus

STATUSES = tuple(s.value for s in ReviewStatus)
#: How long a write waits for another program's write transaction to end (seconds).
LOCK_WAIT_S = 30.0
CHANGED_IOU = 0.5
#: The states of candidates the latest run no longer finds, as SQL parameters.
GONE = tuple(s.value for s in GONE_STATES)
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


class StoreLockedError(ReviewStoreError):
    """Another program held the store's write lock longer than :data:`LOCK_WAIT_S`; nothing was
    written."""


class ConflictError(ReviewStoreError):
    """Someone else decided on a candidate since the reviewer looked at it.

    ``conflicts`` maps each such gap_id to the decision now in force (see :func:`latest_decision`).
    """

    def __init__(self, message: str, conflicts: dict[str, dict] | None = None) -> None:
        super().__init__(message)
        self.conflicts = conflicts or {}


@dataclass
class SyncReport:
    """Candidates of one detection run by what happened to them (see the module docstring)."""

    run_id: int
    new: int
    unchanged: int
    changed: int
    orphaned: int
    revived: int = 0


def _busy(exc: sqlite3.OperationalError) -> bool:
    return ((exc.sqlite_errorcode or 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def begin_write(con: sqlite3.Connection, on_wait: Callable[[str], None] | None = None) -> None:
    """``BEGIN IMMEDIATE``: the store's write lock, waiting up to :data:`LOCK_WAIT_S` for
    another writer (``on_wait`` is told once that we wait). Raises :class:`StoreLockedError`
    when the lock is still held then; nothing is written."""
    store = _store_name(con)
    deadline = time.monotonic() + LOCK_WAIT_S
    told = False
    con.execute("PRAGMA busy_timeout = 500")
    try:
        while True:
            try:
                con.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"{store}: another program has held the review store's write lock for "
                        f"more than {LOCK_WAIT_S:g} s; nothing was written. Let it finish (or "
                        "close it: a database browser with unsaved changes, a second quartier "
                        "run) and try again") from None
                if not told and on_wait is not None:
                    on_wait(f"{store}: another program is writing to the review store; waiting "
                            f"up to {LOCK_WAIT_S:g} s …")
                    told = True
    finally:
        con.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_S * 1000)}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _inserted_id(cur: sqlite3.Cursor) -> int:
    """The row id of the row an INSERT just added (sqlite always gives one)."""
    if cur.lastrowid is None:
        raise sqlite3.DatabaseError("the INSERT returned no row id")
    return cur.lastrowid


def _connect_readonly(path: Path) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    try:
        con.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # opens the WAL, if any
    except sqlite3.OperationalError as exc:
        con.close()
        wal = path.with_name(path.name + "-wal")
        if ((exc.sqlite_errorcode or 0) & 0xFF) != sqlite3.SQLITE_CANTOPEN or wal.exists():
            raise
        # a WAL store needs a -shm file beside it, which a read-only folder cannot take; without
        # a -wal file every change is in the main file, so reading it as immutable misses nothing
        con = sqlite3.connect(f"{uri}&immutable=1", uri=True, timeout=30, isolation_level=None)
    return con


def open_store(path: str | Path, readonly: bool = False, create: bool = True) -> sqlite3.Connection:
    """Open a review store, or create it where no file (or an empty one) is.

    Parameters
    ----------
    path
        The SQLite file.
    readonly
        Open an existing store without writing anything (for listing and exporting); a missing
        store is then an error instead of being created.
    create
        Create the store where none is (default); False: a missing store is an error (a server
        whose store was deleted must not start a new, empty one).

    Returns
    -------
    sqlite3.Connection
        In autocommit mode; the functions of this module open their own transactions.

    Raises
    ------
    ReviewStoreError
        The file is missing (``readonly``), not SQLite, not a review store, incomplete or damaged.
        An existing file is never changed by a refusal.
    """
    path = Path(path)
    if path.is_dir():
        raise ReviewStoreError(f"{path}: is a folder; the review store is a file, e.g. "
                               f"{path / 'review.sqlite'}")
    exists = path.exists() and path.stat().st_size > 0
    if readonly and not exists:
        raise ReviewStoreError(f"{path}: no review store here; run `quartier gaps detect` first or "
                               "check the --store path")
    if not create and not exists:
        raise ReviewStoreError(f"{path}: the review store is gone (deleted or moved); nothing was "
                               "written. Restore it and restart")
    # never open the file other than through SQLite: closing any other handle on it would drop
    # this process's SQLite locks (POSIX), and a second writer could then discard our WAL
    con = None
    try:
        if readonly:
            con = _connect_readonly(path)
        elif create:
            con = sqlite3.connect(path, timeout=30, isolation_level=None)
        else:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30,
                                  isolation_level=None)
        con.execute("PRAGMA busy_timeout = 30000")
        if exists:
            _check_store(con, path)
        if not readonly:
            # readers go on while one writes; a no-op for every store quartier created
            con.execute("PRAGMA journal_mode = WAL")
        if not exists:
            # one transaction: a crash while creating leaves no half store that would be refused
            con.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} INSERT OR IGNORE INTO meta VALUES "
                              f"('schema', '{SCHEMA_VERSION}'); COMMIT;")
    except BaseException as exc:
        if con is not None:
            con.close()
        if isinstance(exc, sqlite3.DatabaseError):
            raise _open_error(path, exists, exc) from None
        raise
    return con


def _check_store(con: sqlite3.Connection, path: Path) -> None:
    """Refuse (read only) an existing file that is not a complete, sound review store."""
    ok = con.execute("PRAGMA quick_check").fetchone()[0]
    if ok != "ok":
        raise ReviewStoreError(f"{path}: the review store is damaged ({ok}); it was not changed. "
                               "Restore it from a backup")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "decisions" not in tables or "candidates" not in tables:
        raise ReviewStoreError(f"{path}: an SQLite file, but not a quartier review store; it was "
                               "not changed. Choose another --store path")
    missing = sorted({"meta", "runs"} - tables)
    if missing:
        raise ReviewStoreError(f"{path}: an incomplete review store (no table {', '.join(missing)}); "
                               "it was not changed. Restore it from a backup or choose another "
                               "--store path")
    for table, wanted in _expected_columns().items():
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        if not wanted <= have:
            raise ReviewStoreError(
                f"{path}: table {table!r} lacks the columns {sorted(wanted - have)}: an SQLite file, "
                "but not a quartier review store; it was not changed. Choose another --store path")
    version = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if version is None or version[0] != SCHEMA_VERSION:
        raise ReviewStoreError(
            f"{path}: review store schema {version[0] if version else 'unknown'!r}, this quartier "
            f"reads schema {SCHEMA_VERSION!r}; it was not changed. Use the quartier version that "
            "wrote it")


def _expected_columns() -> dict[str, set[str]]:
    """The columns of every table of the schema (from the schema text itself)."""
    mem = sqlite3.connect(":memory:")
    try:
        mem.executescript(_SCHEMA)
        return {t: {r[1] for r in mem.execute(f"PRAGMA table_info({t})")}
                for t in ("meta", "runs", "candidates", "decisions")}
    finally:
        mem.close()


def _open_error(path: Path, exists: bool, exc: sqlite3.DatabaseError) -> ReviewStoreError:
    if exists and ((exc.sqlite_errorcode or 0) & 0xFF) == sqlite3.SQLITE_NOTADB:
        return ReviewStoreError(f"{path}: not a quartier review store (not SQLite); it was not "
                                "changed. Restore it from a backup or choose another --store path")
    if isinstance(exc, sqlite3.OperationalError) and _busy(exc):
        return StoreLockedError(f"{path}: another program holds the review store's lock ({exc}); "
                                "nothing was written. Let it finish and try again")
    if not exists:
        return ReviewStoreError(f"{path}: cannot create a review store there ({exc}); choose "
                                "another --store path")
    if ((exc.sqlite_errorcode or 0) & 0xFF) in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY,
                                                sqlite3.SQLITE_PERM):
        return ReviewStoreError(f"{path}: cannot open the review store ({exc}); it was not "
                                "changed. Check the permissions of the file and its folder (the "
                                "store needs to write files beside it)")
    return ReviewStoreError(f"{path}: the review store is damaged or unreadable ({exc}); it was "
                            "not changed. Restore it from a backup")


def _current(con: sqlite3.Connection) -> pd.DataFrame:
    return pd.read_sql_query(
        """SELECT c.gap_id, c.gap_type, c.area_m2, c.frontage_m, c.rule, c.confidence, c.state,
                  c.previous_id, c.first_run, c.last_run,
                  COALESCE(d.status, ?) AS status, d.reviewer, d.note,
                  d.timestamp AS decided_at, d.decision_id, c.geom
           FROM candidates c LEFT JOIN decisions d ON d.decision_id =
                (SELECT MAX(decision_id) FROM decisions WHERE gap_id = c.gap_id)
           ORDER BY c.gap_id""", con, params=(ReviewStatus.OPEN.value,))


def _store_name(con: sqlite3.Connection) -> str:
    return con.execute("PRAGMA database_list").fetchone()[2] or "the review store"


def _check_same_city(con: sqlite3.Connection, gaps: gpd.GeoDataFrame, city: str | None,
                     old_geom: pd.Series) -> None:
    """Refuse a run of another city: by the recorded name, else by the candidates' extent."""
    store = _store_name(con)
    row = con.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()
    if city is not None and row is not None and row[0] != city:
        raise ReviewStoreError(f"{store}: this review store belongs to {row[0]!r}, the new run is "
                               f"for {city!r}; nothing was written. Use another --store for "
                               f"{city!r}")
    if len(old_geom) and len(gaps):
        x0, y0, x1, y1 = shapely.total_bounds(shapely.from_wkb(old_geom.to_numpy()))
        b = shapely.bounds(gaps.geometry.values)
        if not ((b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)).any():
            raise ReviewStoreError(f"{store}: these candidates lie nowhere near the stored ones "
                                   "(another city or another CRS?); nothing was written. Use "
                                   "another --store, or check the CRS of the input data")


def sync_candidates(con: sqlite3.Connection, gaps: gpd.GeoDataFrame,
                    city: str | None = None,
                    on_wait: Callable[[str], None] | None = None) -> SyncReport:
    """Record a detection run; keep every decision (see module docstring). One transaction.

    Parameters
    ----------
    con
        An open store (:func:`open_store`).
    gaps
        The candidates: :data:`quartier.gaps.GAP_COLUMNS` and a geometry, with a CRS.
    city
        The city's name. Recorded at the first run that gives it; a later run of another city
        is refused.
    on_wait
        Told once when another program holds the store's write lock (see :func:`begin_write`).

    Raises
    ------
    ReviewStoreError
        Another CRS or city than the store's, or candidates nowhere near the stored ones, or the
        store locked by another program (:class:`StoreLockedError`); nothing is written then.
    """
    if gaps.crs is None:
        raise ReviewStoreError("candidates have no CRS")
    crs = gaps.crs.to_string()
    begin_write(con, on_wait)
    try:
        stored = {r[0] for r in con.execute("SELECT crs FROM runs")}
        if stored and crs not in stored:
            raise ReviewStoreError(f"{_store_name(con)}: this store holds candidates in "
                                   f"{stored.pop()}, the new run is in {crs}: use another store")
        old = pd.read_sql_query("SELECT gap_id, geom, state FROM candidates "
                                "WHERE state != ? AND state != ?", con, params=GONE)
        _check_same_city(con, gaps, city, old["geom"])
        if city is not None:
            con.execute("INSERT OR IGNORE INTO meta VALUES ('city', ?)", (city,))
        run_id = _inserted_id(con.execute("INSERT INTO runs (timestamp, crs) VALUES (?, ?)",
                                          (_now(), crs)))
        new_ids = set(gaps["gap_id"])
        unchanged = old["gap_id"].isin(new_ids)
        vanished = old[~unchanged]
        fresh = gaps[~gaps["gap_id"].isin(set(old["gap_id"]))]
        # orphaned or replaced candidates detected again keep their row and their decisions
        inactive = {r[0] for r in con.execute("SELECT gap_id FROM candidates "
                                              "WHERE state = ? OR state = ?", GONE)}
        again = fresh["gap_id"].isin(inactive)
        revived, fresh = fresh.loc[again, "gap_id"].tolist(), fresh[~again]
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
                         GapState.CHANGED.value if prev else GapState.NEW.value, prev, run_id,
                         run_id))
        con.executemany("INSERT INTO candidates VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        con.executemany("UPDATE candidates SET state = ?, last_run = ? WHERE gap_id = ?",
                        [(GapState.UNCHANGED.value, run_id, g)
                         for g in old.loc[unchanged, "gap_id"]])
        con.executemany("UPDATE candidates SET state = ?, last_run = ? WHERE gap_id = ?",
                        [(GapState.REVIVED.value, run_id, g) for g in revived])
        for new_id, old_id in predecessor.items():
            con.execute("UPDATE candidates SET state = ? WHERE gap_id = ?",
                        (GapState.REPLACED.value, old_id))
            last = con.execute("SELECT status, reviewer, note FROM decisions WHERE gap_id = ? "
                               "ORDER BY decision_id DESC LIMIT 1", (old_id,)).fetchone()
            if last:
                con.execute("INSERT INTO decisions (gap_id, status, reviewer, note, timestamp) "
                            "VALUES (?,?,?,?,?)",
                            (new_id, last[0], last[1], f"übernommen von {old_id} (Kandidat "
                             f"geändert, bitte prüfen); {last[2] or ''}".strip("; "), _now()))
        orphans = [g for g in vanished["gap_id"] if g not in set(predecessor.values())]
        con.executemany("UPDATE candidates SET state = ? WHERE gap_id = ?",
                        [(GapState.ORPHANED.value, g) for g in orphans])
        report = SyncReport(run_id, len(fresh) - len(predecessor), int(unchanged.sum()),
                            len(predecessor), len(orphans), len(revived))
        con.execute("UPDATE runs SET n_new=?, n_unchanged=?, n_changed=?, n_orphaned=? "
                    "WHERE run_id=?", (report.new, report.unchanged, report.changed,
                                       report.orphaned, run_id))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report


def latest_decision(con: sqlite3.Connection, gap_id: str) -> dict | None:
    """The current decision on a candidate (``decision_id``, ``status``, ``reviewer``, ``note``,
    ``timestamp``), or None while it is undecided (status "offen", version 0)."""
    row = con.execute("SELECT decision_id, status, reviewer, note, timestamp FROM decisions "
                      "WHERE gap_id = ? ORDER BY decision_id DESC LIMIT 1", (gap_id,)).fetchone()
    if row is None:
        return None
    return dict(zip(("decision_id", "status", "reviewer", "note", "timestamp"), row, strict=True))


def decide_many(con: sqlite3.Connection, expected: dict[str, int | None], status: str,
                reviewer: str, note: str = "",
                on_wait: Callable[[str], None] | None = None) -> list[int]:
    """Record one decision on several candidates, all or none (one transaction).

    Parameters
    ----------
    expected
        gap_id → the decision id (the *version*) the reviewer saw, 0 for an undecided candidate,
        None to decide without a check.
    status, reviewer, note
        The decision; ``status`` one of :data:`STATUSES`.

    Returns
    -------
    list of int
        The new decision ids, in the order of ``expected``.

    Raises
    ------
    ConflictError
        Someone decided on one of them since (``exc.conflicts``: gap_id → that decision); nothing
        is written.
    ReviewStoreError
        Unknown status or candidate, or no reviewer, or the store locked by another program for
        more than :data:`LOCK_WAIT_S` (:class:`StoreLockedError`); nothing is written.
    """
    if status not in STATUSES:
        raise ReviewStoreError(f"status {status!r} unknown; use one of: {', '.join(STATUSES)}")
    if not reviewer.strip():
        raise ReviewStoreError("a decision needs a reviewer name")
    if not expected:
        raise ReviewStoreError("no candidate given")
    begin_write(con, on_wait)
    try:
        conflicts = {}
        for gap_id, seen in expected.items():
            row = con.execute("SELECT state FROM candidates WHERE gap_id = ?", (gap_id,)).fetchone()
            if row is None:
                raise ReviewStoreError(f"no candidate {gap_id!r} in this store")
            if row[0] == GapState.REPLACED:
                successor = con.execute("SELECT gap_id FROM candidates WHERE previous_id = ? "
                                        "ORDER BY last_run DESC LIMIT 1", (gap_id,)).fetchone()
                raise ReviewStoreError(
                    f"{gap_id} was replaced by {successor[0] if successor else 'a new candidate'} "
                    "in a later detection run (which carries its decision); decide on that one")
            latest = latest_decision(con, gap_id)
            latest = latest or {"decision_id": 0, "status": ReviewStatus.OPEN.value, "reviewer": None,
                                "note": None, "timestamp": None}
            if seen is not None and latest["decision_id"] != seen:
                conflicts[gap_id] = latest
        if conflicts:
            raise ConflictError(
                "; ".join(f"{g}: decided by someone else meanwhile ({d['status']!r} by "
                          f"{d['reviewer']!r}, decision {d['decision_id']}, you saw "
                          f"{expected[g]})" for g, d in conflicts.items())
                + " — nothing written; look again and repeat", conflicts)
        now = _now()
        ids = [_inserted_id(con.execute("INSERT INTO decisions (gap_id, status, reviewer, note, "
                                        "timestamp) VALUES (?,?,?,?,?)",
                                        (g, status, reviewer, note, now)))
               for g in expected]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ids


def decide(con: sqlite3.Connection, gap_id: str, status: str, reviewer: str, note: str = "",
           expected: int | None = None, on_wait: Callable[[str], None] | None = None) -> int:
    """Record a decision; returns its id. ``expected`` = the decision id the reviewer saw (0 for
    none): if the current one differs, :class:`ConflictError` and nothing is written."""
    return decide_many(con, {gap_id: expected}, status, reviewer, note, on_wait)[0]


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
    """The cadastre as GeoPackage, CSV and xlsx (atomic, formula-safe writes).

    Raises :class:`ReviewStoreError`, before creating anything, when the store is empty.
    """
    cad = cadastre(con)
    if cad.empty:
        raise ReviewStoreError(f"{_store_name(con)}: the review store holds no candidates yet: run "
                               "`quartier gaps detect` first; nothing was exported")
    out = prepare_out_dir(out_dir)
    return [write_gpkg(cad, out / "baulueckenkataster.gpkg", "kataster"),
            *write_table(cad, out / "baulueckenkataster.csv")]

"""Review the Baulückenkataster in the browser: a local web app on the review store.

``quartier gaps serve STORE`` starts it (Starlette on uvicorn). The page (``static/review.*``,
Leaflet inlined from ``static``, nothing from the network) draws the candidates coloured by status
over the buildings, streets and unit boundaries of the config, lists them with filters, shows a
candidate's facts and history, and records decisions through the JSON API below. Every decision
carries the version (the id of the decision in force) it was based on; a decision based on an older
version is refused with HTTP 409 and the decision now in force, never overwritten
(:func:`quartier.review.decide_many`, one SQLite transaction).

API (JSON; coordinates WGS84)

* ``GET /api/meta`` — city, statuses and their colours, counts, layers, bounds, CSRF token.
* ``GET /api/candidates`` — GeoJSON FeatureCollection: ``gap_id``, ``gap_type``, ``area_m2``,
  ``frontage_m``, ``depth_m``, ``confidence``, ``state``, ``unit_id``, ``unit_name``, ``status``,
  ``version``, ``reviewer``. Geometries simplified to
  :data:`~quartier.review.mapdata.SIMPLIFY_M` for drawing.
* ``GET /api/candidates/{gap_id}`` — one candidate with ``rule`` and ``history`` (oldest first).
* ``POST /api/candidates/{gap_id}/decision`` — ``{"status", "reviewer", "note",
  "expected_version"}``: 200 with the new ``version``; 409 (``conflict``: the decision in force);
  422 on bad input (``field``); 404 for an unknown candidate.
* ``POST /api/decisions`` — bulk: ``{"items": [{"gap_id", "expected_version"}, …], "status",
  "reviewer", "note"}``, all or none; 409 lists every conflict.
* ``GET /api/layers/{buildings|streets}?bbox=W,S,E,N`` — context features in view (at most
  :data:`~quartier.review.mapdata.LAYER_LIMIT`); ``GET /api/layers/units`` — the unit boundaries.
* ``GET /api/export/{gpkg|csv|xlsx}`` — the cadastre with current decisions (formula-safe).

Security: binds to loopback by default; any other host needs a token on every request (printed at
start; header ``X-Quartier-Token``, or the cookie the page gets from ``/?token=…``). On loopback
the other accounts of the machine can connect too: a token (``--token``) guards there as well. A
token has at least :data:`~quartier.review.guard.MIN_TOKEN_CHARS` characters and is no repetition
of a few (:func:`~quartier.review.guard.check_token`). Only the host names the server was started
for are answered (no DNS rebinding). Writes need the JSON content type, the header ``X-CSRF-Token``
and no cross-site origin; a body is counted while it streams in and cut at :data:`MAX_BODY`. Every
response forbids inline script (CSP); the page writes data only as text (``textContent``). The
store path comes from the command line, never from a request; it must exist, and it is checked to
be the same file (device, inode) before every use: a store deleted or replaced while serving gets
503.
"""


from __future__ import annotations

import json
import secrets
import socket
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from quartier import vocab
from quartier.config import QuartierConfig
from quartier.errors import QuartierError
from quartier.io.escape import spreadsheet_frame
from quartier.review import store as review
from quartier.review.guard import (
    LOOPBACK,
    MAX_BODY,
    Guard,
    check_token,
    is_loopback,
    too_large,
)
from quartier.review.guard import (
    generate_token as generate_token,  # for the command line (``quartier gaps serve``)
)
from quartier.review.mapdata import (
    Candidates,
    Layers,
    current_decisions,
    feature_collection,
    json_value,
    read_context,
)

STATIC = Path(__file__).parents[1] / "static"   # Leaflet and the page, shared with the maps

#: Colours of the statuses on the map and in the list.
#: The status colours of the folium map (one place: :data:`quartier.vocab.REVIEW_COLOURS`).
STATUS_COLOURS = {str(k): v for k, v in vocab.REVIEW_COLOURS.items()}
MAX_NOTE = 4000
MAX_REVIEWER = 200


class Decision(BaseModel):
    """A reviewer's decision on one candidate, as posted by the page."""

    model_config = ConfigDict(extra="forbid")
    status: str
    reviewer: str = Field(min_length=1, max_length=MAX_REVIEWER)
    note: str = Field("", max_length=MAX_NOTE)
    expected_version: int = Field(ge=0)


class BulkItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gap_id: str = Field(min_length=1, max_length=100)
    expected_version: int = Field(ge=0)


class BulkDecision(BaseModel):
    """One decision for several candidates, all or none."""

    model_config = ConfigDict(extra="forbid")
    items: list[BulkItem] = Field(min_length=1, max_length=20000)
    status: str
    reviewer: str = Field(min_length=1, max_length=MAX_REVIEWER)
    note: str = Field("", max_length=MAX_NOTE)


#: the body of a decision request: one candidate or several
Posted = TypeVar("Posted", Decision, BulkDecision)


def _invalid(exc: ValidationError) -> JSONResponse:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return JSONResponse({"error": f"{where}: {err['msg']}", "field": where}, status_code=422)


@dataclass
class Served:
    """What the request handlers share (``app.state.review``): the store, its candidates, the
    context layers and the cached listing."""

    store: Path
    #: (device, inode) of the store when the server started
    identity: tuple[int, int] | None
    city: str
    notes: list[str]
    candidates: Candidates
    layers: Layers
    csrf: str
    local: threading.local = field(default_factory=threading.local)
    #: the body of ``GET /api/candidates`` by (run, last decision, number of decisions)
    listing: dict[tuple, str] = field(default_factory=dict)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the store the server started with, still there: a
        deleted or replaced store would take decisions into an unlinked file, lost when the
        server stops."""
        now = _identity(self.store)
        if now is None:
            raise review.ReviewStoreError(f"{self.store}: the review store is gone (deleted or "
                                          "moved); nothing was written. Restore it and restart "
                                          "quartier gaps serve")
        if now != self.identity:
            raise review.ReviewStoreError(f"{self.store}: the review store was replaced by "
                                          "another file; nothing was written. Restart quartier "
                                          "gaps serve to review the new one")
        # sqlite3 connections belong to one thread; the request threads keep their own
        if getattr(self.local, "con", None) is None:
            self.local.con = review.open_store(self.store, create=False)
        return self.local.con

    def current(self) -> sqlite3.Connection:
        """The connection, with the candidates re-read if a detection run came in."""
        con = self.connection()
        self.candidates.refresh(con)
        return con

    def listing_key(self, con: sqlite3.Connection) -> tuple:
        """The listing changes only with a detection run or a decision."""
        return (self.candidates.run_id,
                *con.execute("SELECT MAX(decision_id), COUNT(*) FROM decisions").fetchone())


def _served(request: Request) -> Served:
    served: Served = request.app.state.review
    return served


def page(request: Request) -> Response:
    return FileResponse(STATIC / "review.html", media_type="text/html; charset=utf-8")


def meta(request: Request) -> Response:
    s = _served(request)
    con = s.current()
    facts = s.candidates.facts
    counts = current_decisions(con)["status"].value_counts()
    return JSONResponse({
        "city": s.city, "statuses": list(review.STATUSES), "colours": STATUS_COLOURS,
        "counts": {st: int(counts.get(st, 0)) for st in review.STATUSES},
        "n_candidates": len(facts), "bounds": s.candidates.bounds,
        "layers": s.layers.names(), "layer_min_zoom": 15, "notes": s.notes, "csrf": s.csrf,
        "gap_types": sorted(facts["gap_type"].dropna().unique().tolist()),
        "units": [[u, n] for u, n in facts[["unit_id", "unit_name"]]
                  .dropna().drop_duplicates().sort_values("unit_id").itertuples(index=False)]})


def list_candidates(request: Request) -> Response:
    s = _served(request)
    con = s.current()
    # the body changes only with a detection run or a decision: serve it from a cache till then
    key = s.listing_key(con)
    body = s.listing.get(key)
    if body is None:
        body = listing_body(s, con)
        s.listing.clear()
        s.listing[key] = body
    return Response(body, media_type="application/geo+json")


def listing_body(s: Served, con: sqlite3.Connection) -> str:
    """All candidates with their current decision as a FeatureCollection."""
    dec = current_decisions(con).reindex(s.candidates.facts.index)
    facts = s.candidates.facts.drop(columns=["rule", "previous_id"])
    props = facts.assign(status=dec["status"].fillna("offen"),
                         version=dec["version"].fillna(0).astype(int),
                         reviewer=dec["reviewer"])
    records = [{k: json_value(v) for k, v in r.items()} for r in props.to_dict("records")]
    return feature_collection(s.candidates.geojson, records)


def detail_of(s: Served, con: sqlite3.Connection, gap_id: str) -> dict | None:
    """One candidate's facts, decision in force and history; None for an unknown one."""
    if gap_id not in s.candidates.facts.index:
        return None
    facts = {k: json_value(v) for k, v in s.candidates.facts.loc[gap_id].to_dict().items()}
    latest = review.latest_decision(con, gap_id)
    hist = review.history(con, gap_id)
    return {**facts, "status": latest["status"] if latest else "offen",
            "version": latest["decision_id"] if latest else 0,
            "reviewer": latest["reviewer"] if latest else None,
            "note": latest["note"] if latest else None,
            "decided_at": latest["timestamp"] if latest else None,
            "history": [{k: json_value(v) for k, v in r.items()}
                        for r in hist.drop(columns="gap_id").to_dict("records")]}


def _detail_now(s: Served, gap_id: str) -> dict | None:
    return detail_of(s, s.current(), gap_id)


def detail(request: Request) -> Response:
    gap_id = request.path_params["gap_id"]
    found = _detail_now(_served(request), gap_id)
    if found is None:
        return JSONResponse({"error": f"no candidate {gap_id!r} in this store"}, status_code=404)
    return JSONResponse(found)


async def _read_body(request: Request) -> bytes | Response:
    """The body, counted while streaming: a chunked body has no Content-Length to refuse it by."""
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            response = too_large()
            response.headers["connection"] = "close"
            return response
        parts.append(chunk)
    return b"".join(parts)


def _check_decision(status: str, reviewer: str) -> Response | None:
    """A known status and a reviewer who is more than blanks."""
    if status not in review.STATUSES:
        return JSONResponse({"error": f"status {status!r} unknown; use one of: "
                             f"{', '.join(review.STATUSES)}", "field": "status"}, status_code=422)
    if not reviewer.strip():
        return JSONResponse({"error": "a decision needs a reviewer name", "field": "reviewer"},
                            status_code=422)
    return None


def parse_decision(raw: bytes, model: type[Posted]) -> Posted | Response:
    """The posted decision, or the answer why it is refused (422, naming the field)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, absurd numbers or nesting
        return JSONResponse({"error": "the body is not JSON", "field": "body"}, status_code=422)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        return _invalid(exc)
    refusal = _check_decision(parsed.status, parsed.reviewer)
    return parsed if refusal is None else refusal


async def body_of(request: Request, model: type[Posted]) -> Posted | Response:
    raw = await _read_body(request)
    if isinstance(raw, Response):
        return raw
    return parse_decision(raw, model)


def record(s: Served, expected: dict[str, int | None], d: Decision | BulkDecision) -> Response:
    """Record one decision on the candidates of ``expected`` (id → version it is based on)."""
    try:
        con = s.current()
    except review.ReviewStoreError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    unknown = [g for g in expected if g not in s.candidates.facts.index]
    if unknown:
        return JSONResponse({"error": f"no candidate {unknown[0]!r} in this store"},
                            status_code=404)
    try:
        ids = review.decide_many(con, expected, d.status, d.reviewer.strip(), d.note)
    except review.ConflictError as exc:
        return JSONResponse({"error": str(exc), "conflicts": exc.conflicts}, status_code=409)
    except review.StoreLockedError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    except review.ReviewStoreError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    return JSONResponse({"decisions": [{"gap_id": g, "version": i, "status": d.status}
                                       for g, i in zip(expected, ids, strict=True)]})


async def decide(request: Request) -> Response:
    parsed = await body_of(request, Decision)
    if isinstance(parsed, Response):
        return parsed
    s = _served(request)
    gap_id = request.path_params["gap_id"]
    expected: dict[str, int | None] = {gap_id: parsed.expected_version}
    result = await run_in_threadpool(record, s, expected, parsed)
    if result.status_code == 409:
        conflict = json.loads(bytes(result.body))
        return JSONResponse({"error": conflict["error"],
                             "conflict": conflict["conflicts"].get(gap_id)}, status_code=409)
    if result.status_code == 200:
        return JSONResponse(await run_in_threadpool(_detail_now, s, gap_id))
    return result


async def decide_bulk(request: Request) -> Response:
    parsed = await body_of(request, BulkDecision)
    if isinstance(parsed, Response):
        return parsed
    expected: dict[str, int | None] = {i.gap_id: i.expected_version for i in parsed.items}
    if len(expected) != len(parsed.items):
        return JSONResponse({"error": "a candidate appears twice in items", "field": "items"},
                            status_code=422)
    return await run_in_threadpool(record, _served(request), expected, parsed)


def _bbox(request: Request) -> tuple[float, float, float, float] | None:
    """``?bbox=W,S,E,N`` (degrees); None when missing or not four numbers."""
    try:
        w, s, e, n = (float(v) for v in request.query_params["bbox"].split(","))
    except (KeyError, ValueError):
        return None
    return w, s, e, n


def layer(request: Request) -> Response:
    layers = _served(request).layers
    name = request.path_params["name"]
    if name == "units":
        body = layers.units_body()
        if body is None:
            return JSONResponse({"error": "no units in the config"}, status_code=404)
        return Response(body, media_type="application/geo+json")
    if name not in layers.trees:
        return JSONResponse({"error": f"no layer {name!r} (this config has: "
                             f"{', '.join(layers.trees) or 'none'})"}, status_code=404)
    bbox = _bbox(request)
    if bbox is None:
        return JSONResponse({"error": "bbox=W,S,E,N (degrees) required", "field": "bbox"},
                            status_code=422)
    body, truncated = layers.in_view(name, bbox)
    return Response(body, media_type="application/geo+json",
                    headers={"x-truncated": "1" if truncated else "0"})


_EXPORT_MEDIA = {"gpkg": "application/geopackage+sqlite3", "csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("gpkg", "csv", "csv-de", "xlsx"):
        return JSONResponse({"error": "export as gpkg, csv, csv-de or xlsx"}, status_code=404)
    con = _served(request).current()
    if fmt == "csv-de":  # German Excel: semicolons, decimal commas, UTF-8 with BOM
        plain = spreadsheet_frame(pd.DataFrame(review.cadastre(con)
                                               .drop(columns="geometry", errors="ignore")))
        data = plain.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n"
                            ).encode("utf-8-sig")
        return Response(data, media_type="text/csv; charset=utf-8", headers={
            "content-disposition": 'attachment; filename="baulueckenkataster_excel.csv"'})
    with tempfile.TemporaryDirectory() as tmp:
        review.export(con, tmp)
        data = (Path(tmp) / f"baulueckenkataster.{fmt}").read_bytes()
    return Response(data, media_type=_EXPORT_MEDIA[fmt], headers={
        "content-disposition": f'attachment; filename="baulueckenkataster.{fmt}"'})


def _routes() -> list[BaseRoute]:
    return [Route("/", page), Route("/api/meta", meta),
            Route("/api/candidates", list_candidates),
            Route("/api/candidates/{gap_id}", detail),
            Route("/api/candidates/{gap_id}/decision", decide, methods=["POST"]),
            Route("/api/decisions", decide_bulk, methods=["POST"]),
            Route("/api/layers/{name}", layer),
            Route("/api/export/{fmt}", export),
            Mount("/static", StaticFiles(directory=STATIC))]


def _check_access(host: str, token: str | None) -> None:
    """A non-loopback host needs a token; a token must be hard to guess."""
    if not is_loopback(host) and not token:
        raise QuartierError(f"--host {host}: reachable from other machines; a token is required")
    if token is not None:
        check_token(token)


def _open_checked(store: Path) -> tuple[tuple[int, int] | None, str, tuple | None]:
    """The store's identity, the CRS of its last run and its ``city`` row; refused when the
    store is missing or holds no candidates."""
    if not store.exists():
        # never create a store here: a typo in the path would leave an empty one behind
        raise QuartierError(f"{store}: no review store here; create one with `quartier gaps "
                            "detect CONFIG --out DIR` (it writes DIR/review.sqlite, or --store "
                            "PATH) or check the path")
    con = review.open_store(store, create=False)
    identity = _identity(store)
    try:
        n = con.execute("SELECT COUNT(*) FROM candidates").fetchone()[0]
        crs_row = con.execute("SELECT crs FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        city_row = con.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()
    finally:
        con.close()
    if n == 0 or crs_row is None:
        raise QuartierError(f"{store}: the review store holds no candidates yet; run "
                            "`quartier gaps detect CONFIG --store …` first")
    return identity, crs_row[0], city_row


def _warm(s: Served) -> None:
    """Read and serialise the candidates now: the first page load should not wait for it."""
    warm = review.open_store(s.store, readonly=True)
    try:
        s.candidates.refresh(warm)
        s.listing[s.listing_key(warm)] = listing_body(s, warm)
    finally:
        warm.close()


def create_app(store: str | Path, cfg: QuartierConfig | None = None, host: str = "127.0.0.1",
               token: str | None = None) -> Starlette:
    """The review web app on one store.

    Parameters
    ----------
    store
        The review store (SQLite) of ``quartier gaps detect``; it must hold candidates.
    cfg
        The city config: unit boundaries, buildings and streets for the map (optional).
    host
        The address the server binds to; a non-loopback host requires ``token``.
    token
        Required on every request when given.

    Raises
    ------
    QuartierError
        The store cannot be opened or holds no candidates; a non-loopback host without token.
    """
    store = Path(store)
    _check_access(host, token)
    identity, crs, city_row = _open_checked(store)
    ctx = read_context(cfg, crs)
    served = Served(store=store, identity=identity,
                    city=city_row[0] if city_row else (cfg.city.name if cfg else store.stem),
                    notes=ctx.notes, candidates=Candidates(ctx), layers=Layers(ctx),
                    csrf=secrets.token_urlsafe(24))
    _warm(served)
    hosts = {h.lower() for h in (*LOOPBACK, host.strip("[]"))} if is_loopback(host) else None
    app = Starlette(routes=_routes(), exception_handlers={
        sqlite3.Error: _store_failure, QuartierError: _store_failure},
        middleware=[Middleware(Guard, hosts=hosts, token=token, csrf=served.csrf)])
    app.state.review = served
    return app


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the store file, None when it is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


async def _store_failure(request: Request, exc: Exception) -> Response:
    """The store went away or is locked too long: a clear answer, never a traceback."""
    return JSONResponse({"error": f"the review store cannot be used now ({exc}); nothing was "
                         "written. Try again; if it persists, restart quartier gaps serve"},
                        status_code=503)


def _lan_address() -> str:
    """This machine's address on its network (no packet is sent), else its host name."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            return s.getsockname()[0]
    except OSError:
        return socket.gethostname()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one), so the printed address is the real one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise QuartierError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another "
                            "--port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def address(host: str, sock: socket.socket, token: str | None) -> str:
    """The URL to open (with the token where one is needed)."""
    port = sock.getsockname()[1]
    shown = _lan_address() if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def run_server(app: Starlette, sock: socket.socket) -> None:
    """Serve until Ctrl-C (uvicorn, one process; SQLite serialises the writes)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])

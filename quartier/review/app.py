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
  ``version``, ``reviewer``. Geometries simplified to :data:`SIMPLIFY_M` for drawing.
* ``GET /api/candidates/{gap_id}`` — one candidate with ``rule`` and ``history`` (oldest first).
* ``POST /api/candidates/{gap_id}/decision`` — ``{"status", "reviewer", "note",
  "expected_version"}``: 200 with the new ``version``; 409 (``conflict``: the decision in force);
  422 on bad input (``field``); 404 for an unknown candidate.
* ``POST /api/decisions`` — bulk: ``{"items": [{"gap_id", "expected_version"}, …], "status",
  "reviewer", "note"}``, all or none; 409 lists every conflict.
* ``GET /api/layers/{buildings|streets}?bbox=W,S,E,N`` — context features in view (at most
  :data:`LAYER_LIMIT`); ``GET /api/layers/units`` — the unit boundaries.
* ``GET /api/export/{gpkg|csv|xlsx}`` — the cadastre with current decisions (formula-safe).

Security: binds to loopback by default; any other host needs a token on every request (printed at
start; header ``X-Quartier-Token``, or the cookie the page gets from ``/?token=…``). On loopback
the other accounts of the machine can connect too: a token (``--token``) guards there as well.
A token has at least :data:`MIN_TOKEN_CHARS` characters and is no repetition of a few
(:func:`check_token`). Only the host names the server was started for are answered (no DNS
rebinding). Writes need the JSON content type, the header ``X-CSRF-Token`` and no cross-site
origin; a body is counted while it streams in and cut at :data:`MAX_BODY`. Every response
forbids inline script (CSP); the page writes data only as text (``textContent``). The store path
comes from the command line, never from a request; it must exist, and it is checked to be the
same file (device, inode) before every use: a store deleted or replaced while serving gets 503.
"""

from __future__ import annotations

import ipaddress
import json
import math
import secrets
import socket
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from quartier import vocab
from quartier.config import QuartierConfig
from quartier.errors import QuartierError
from quartier.io.escape import spreadsheet_frame
from quartier.review import store as review

STATIC = Path(__file__).parents[1] / "static"   # Leaflet and the page, shared with the maps

#: Simplification of candidate outlines for drawing (metres, metric CRS); the facts use the exact
#: geometry.
SIMPLIFY_M = 0.5
#: Most context features (buildings, streets) sent for one view.
LAYER_LIMIT = 6000
#: Colours of the statuses on the map and in the list.
#: The status colours of the folium map (one place: :data:`quartier.vocab.REVIEW_COLOURS`).
STATUS_COLOURS = {str(k): v for k, v in vocab.REVIEW_COLOURS.items()}
MAX_NOTE = 4000
#: Largest request body (bytes): a bulk decision on 20,000 candidates fits.
MAX_BODY = 2_000_000
MAX_REVIEWER = 200
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'")


#: Shortest token accepted (``--token``); a generated one has 24 characters.
MIN_TOKEN_CHARS = 16
#: Least information a token must carry: its characters' empirical entropy × its length (bits).
MIN_TOKEN_BITS = 48.0


def check_token(token: str) -> None:
    """Refuse a token that is guessed quickly: shorter than :data:`MIN_TOKEN_CHARS` or a
    repetition of a few characters ("aaaa…", "abab…", "passwordpassword")."""
    counts = np.unique(np.array(list(token)), return_counts=True)[1] if token else np.array([1])
    p = counts / counts.sum()
    bits = float(-(p * np.log2(p)).sum() * len(token))
    if len(token) < MIN_TOKEN_CHARS or bits < MIN_TOKEN_BITS:
        raise QuartierError(
            f"--token: a token needs at least {MIN_TOKEN_CHARS} characters and must not repeat a "
            "few characters (anyone who can reach the server could guess it); leave --token out "
            "to get a random one, or use e.g. `python -c \"import secrets; "
            "print(secrets.token_urlsafe(18))\"`")


def generate_token() -> str:
    """A random token for the address (24 URL-safe characters, 144 bits)."""
    return secrets.token_urlsafe(18)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Context:
    """What the page draws around the candidates, in the store's metric CRS."""

    units: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoSeries | None = None
    streets: gpd.GeoSeries | None = None
    #: the streets' names (``gaps.street_name_column``), aligned with ``streets``
    street_names: pd.Series | None = None
    notes: list[str] = field(default_factory=list)


def read_context(cfg: QuartierConfig | None, crs: str) -> Context:
    """Unit boundaries, buildings and streets of the config (each only where the config has it)."""
    ctx = Context()
    if cfg is None:
        ctx.notes.append("ohne --config: keine Gebäude, Straßen und Einheiten auf der Karte")
        return ctx
    if cfg.units is not None:
        from quartier.io.units import read_units

        units, _ = read_units(cfg.units, crs=cfg.city.crs,
                              max_scale_error_pct=cfg.city.max_scale_error_pct)
        ctx.units = units[["unit_id", "unit_name", "geometry"]].to_crs(crs)
    else:
        ctx.notes.append("die Konfiguration hat keine [units]: Kandidaten ohne Einheit")
    if cfg.gaps is not None:
        from quartier.io.gapdata import read_gap_inputs

        inputs = read_gap_inputs(cfg.gaps, crs=cfg.city.crs,
                    max_scale_error_pct=cfg.city.max_scale_error_pct)
        ctx.buildings = inputs.buildings.geometry.to_crs(crs).reset_index(drop=True)
        ctx.streets = inputs.streets.geometry.to_crs(crs).reset_index(drop=True)
        column = cfg.gaps.street_name_column
        if column and column in inputs.streets:
            ctx.street_names = (inputs.streets[column].astype("string").str.strip()
                                .replace("", pd.NA).reset_index(drop=True))
    else:
        ctx.notes.append("die Konfiguration hat kein [gaps]: keine Gebäude und Straßen")
    return ctx


#: A street further from a candidate than this (m) is not named as its street.
STREET_MAX_M = 150.0


def nearest_street(geoms: gpd.GeoSeries, streets: gpd.GeoSeries | None,
                   names: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """The name of the nearest named street of every candidate (within :data:`STREET_MAX_M`)
    and its distance in metres; missing where none is near or the streets have no names."""
    name = pd.Series(pd.NA, index=geoms.index, dtype="string")
    dist = pd.Series(np.nan, index=geoms.index, dtype="float64")
    if streets is None or names is None or not len(geoms):
        return name, dist
    named = names.notna().to_numpy()
    if not named.any():
        return name, dist
    lines = gpd.GeoSeries(streets.values[named], crs=streets.crs).to_crs(geoms.crs)
    line_names = names[named].to_numpy()
    (left, right), d = lines.sindex.nearest(geoms.values, max_distance=STREET_MAX_M,
                                            return_distance=True, return_all=False)
    name.iloc[left] = line_names[right]
    dist.iloc[left] = np.round(d, 0)
    return name, dist


def _geojson_geometries(geoms: gpd.GeoSeries, simplify_m: float) -> np.ndarray:
    """GeoJSON geometry strings in WGS84, simplified in metres and rounded to ~0.1 m."""
    simple = shapely.simplify(geoms.values, simplify_m, preserve_topology=True)
    wgs = gpd.GeoSeries(simple, crs=geoms.crs).to_crs(4326).values
    return shapely.to_geojson(shapely.set_precision(wgs, 1e-6, mode="pointwise"))


def feature_collection(geometries: np.ndarray, properties: list[dict]) -> str:
    """A GeoJSON FeatureCollection from geometry strings and property dicts."""
    parts = [f'{{"type":"Feature","geometry":{g},"properties":{json.dumps(p, allow_nan=False)}}}'
             for g, p in zip(geometries, properties, strict=True)]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def _clean(value: object) -> object:
    """JSON-ready: NaN/None → null, numpy scalars → Python."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


class Candidates:
    """The store's candidates, their drawing geometry and unit, re-read after each detection run."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.lock = threading.Lock()
        self.run_id: int | None = None
        self.facts = pd.DataFrame()
        self.geojson = np.array([], dtype=object)
        self.bounds: list[float] | None = None
        self.crs: str | None = None

    def refresh(self, con: sqlite3.Connection) -> None:
        run = con.execute("SELECT MAX(run_id) FROM runs").fetchone()[0]
        with self.lock:
            if run == self.run_id:
                return
            cad = review.cadastre(con)
            facts = pd.DataFrame({
                "gap_id": cad["gap_id"], "gap_type": cad["gap_type"],
                "area_m2": cad["area_m2"].round(1), "frontage_m": cad["frontage_m"].round(1),
                # mean depth behind the street frontage: area / frontage
                "depth_m": (cad["area_m2"] / cad["frontage_m"].where(cad["frontage_m"] > 0)).round(1),
                "confidence": cad["confidence"].round(2), "state": cad["state"],
                "rule": cad["rule"], "previous_id": cad["previous_id"],
                "unit_id": pd.Series(pd.NA, index=cad.index, dtype="string"),
                "unit_name": pd.Series(pd.NA, index=cad.index, dtype="string")})
            street, street_m = nearest_street(cad.geometry, self.ctx.streets, self.ctx.street_names)
            facts["street"], facts["street_m"] = street, street_m
            units = self.ctx.units
            if units is not None and len(cad):
                points = gpd.GeoDataFrame(geometry=cad.geometry.representative_point(), crs=cad.crs)
                hit = gpd.sjoin(points, units.to_crs(cad.crs), predicate="within", how="left")
                hit = hit[~hit.index.duplicated()]
                facts["unit_id"] = hit["unit_id"].astype("string")
                facts["unit_name"] = hit["unit_name"].astype("string")
            self.facts = facts.set_index("gap_id", drop=False)
            self.geojson = (_geojson_geometries(cad.geometry, SIMPLIFY_M) if len(cad)
                            else np.array([], dtype=object))
            self.bounds = (list(cad.to_crs(4326).total_bounds) if len(cad) else None)
            self.crs = cad.crs.to_string() if cad.crs is not None else None
            self.run_id = run


def _decisions(con: sqlite3.Connection) -> pd.DataFrame:
    """Current status, version and reviewer of every candidate."""
    return pd.read_sql_query(
        """SELECT c.gap_id, COALESCE(d.status, 'offen') AS status,
                  COALESCE(d.decision_id, 0) AS version, d.reviewer
           FROM candidates c LEFT JOIN decisions d ON d.decision_id =
                (SELECT MAX(decision_id) FROM decisions WHERE gap_id = c.gap_id)""",
        con).set_index("gap_id")


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


def _invalid(exc: ValidationError) -> JSONResponse:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return JSONResponse({"error": f"{where}: {err['msg']}", "field": where}, status_code=422)


class Guard:
    """Host check, token, CSRF and security headers around the whole app (pure ASGI)."""

    def __init__(self, app: ASGIApp, hosts: set[str] | None, token: str | None, csrf: str) -> None:
        self.app, self.hosts, self.token, self.csrf = app, hosts, token, csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self.refuse(request)
        if refusal is not None:
            await self.secure(refusal)(scope, receive, send)
            return
        set_cookie = (self.token is not None and request.query_params.get("token") == self.token
                      and request.cookies.get("quartier_token") != self.token)

        async def send_secured(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                for name, value in self.headers(request.url.path.startswith("/api/")).items():
                    headers.append((name.encode(), value.encode()))
                if set_cookie:
                    headers.append((b"set-cookie", f"quartier_token={self.token}; HttpOnly; "
                                    "SameSite=Strict; Path=/".encode()))
            await send(message)

        await self.app(scope, receive, send_secured)

    def refuse(self, request: Request) -> Response | None:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
        # on loopback: only our own names (no DNS rebinding); elsewhere the token guards
        if self.hosts is not None and host not in self.hosts:
            return PlainTextResponse("unknown host name", status_code=400)
        if self.token is not None:
            # a token in the address wins over an older cookie (a restarted server has a new one)
            given = (request.headers.get("x-quartier-token") or request.query_params.get("token")
                     or request.cookies.get("quartier_token") or "")
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return PlainTextResponse("token required: open the address quartier printed at "
                                         "start (with ?token=…)", status_code=401)
        if (request.url.path.startswith("/api/")
                and request.headers.get("sec-fetch-site") == "cross-site"):
            return JSONResponse({"error": "cross-site request refused"}, status_code=403)
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            origin_host = (origin or "").split("://", 1)[-1].rsplit(":", 1)[0].strip("[]").lower()
            if origin is not None and origin_host != host:
                return JSONResponse({"error": "cross-site request refused"}, status_code=403)
            if int(request.headers.get("content-length") or 0) > MAX_BODY:
                return JSONResponse({"error": f"request too large (at most {MAX_BODY:,} bytes)"},
                                    status_code=413)
            if not secrets.compare_digest((request.headers.get("x-csrf-token") or "").encode(),
                                          self.csrf.encode()):
                return JSONResponse({"error": "missing or wrong X-CSRF-Token (reload the page)"},
                                    status_code=403)
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return JSONResponse({"error": "send JSON (Content-Type: application/json)"},
                                    status_code=415)
        return None

    @staticmethod
    def headers(api: bool) -> dict[str, str]:
        h = {"content-security-policy": _CSP, "x-content-type-options": "nosniff",
             "x-frame-options": "DENY", "referrer-policy": "no-referrer",
             "cross-origin-opener-policy": "same-origin", "cross-origin-resource-policy": "same-origin"}
        if api:
            h["cache-control"] = "no-store"
        return h

    def secure(self, response: Response) -> Response:
        response.headers.update(self.headers(True))
        return response


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
    if not is_loopback(host) and not token:
        raise QuartierError(f"--host {host}: reachable from other machines; a token is required")
    if token is not None:
        check_token(token)
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
    ctx = read_context(cfg, crs_row[0])
    candidates = Candidates(ctx)
    city = city_row[0] if city_row else (cfg.city.name if cfg else store.stem)
    csrf = secrets.token_urlsafe(24)
    local = threading.local()
    layers = {"buildings": ctx.buildings, "streets": ctx.streets}
    layer_trees = {k: shapely.STRtree(v.values) for k, v in layers.items() if v is not None}
    layer_wgs = {k: v.to_crs(4326) for k, v in layers.items() if v is not None}

    def connection() -> sqlite3.Connection:
        # the file the server started with, still there: a deleted or replaced store would
        # take decisions into an unlinked file, lost when the server stops
        now = _identity(store)
        if now is None:
            raise review.ReviewStoreError(f"{store}: the review store is gone (deleted or "
                                          "moved); nothing was written. Restore it and restart "
                                          "quartier gaps serve")
        if now != identity:
            raise review.ReviewStoreError(f"{store}: the review store was replaced by another "
                                          "file; nothing was written. Restart quartier gaps "
                                          "serve to review the new one")
        # sqlite3 connections belong to one thread; the request threads keep their own
        if getattr(local, "con", None) is None:
            local.con = review.open_store(store, create=False)
        return local.con

    def current() -> sqlite3.Connection:
        con = connection()
        candidates.refresh(con)
        return con

    def page(request: Request) -> Response:
        return FileResponse(STATIC / "review.html", media_type="text/html; charset=utf-8")

    def meta(request: Request) -> Response:
        con = current()
        counts = _decisions(con)["status"].value_counts()
        return JSONResponse({
            "city": city, "statuses": list(review.STATUSES), "colours": STATUS_COLOURS,
            "counts": {s: int(counts.get(s, 0)) for s in review.STATUSES},
            "n_candidates": len(candidates.facts), "bounds": candidates.bounds,
            "layers": [k for k in ("units", *layers) if (ctx.units if k == "units" else
                                                         layers[k]) is not None],
            "layer_min_zoom": 15, "notes": ctx.notes, "csrf": csrf,
            "gap_types": sorted(candidates.facts["gap_type"].dropna().unique().tolist()),
            "units": [[u, n] for u, n in candidates.facts[["unit_id", "unit_name"]]
                      .dropna().drop_duplicates().sort_values("unit_id").itertuples(index=False)]})

    listing: dict[tuple, str] = {}

    def list_candidates(request: Request) -> Response:
        con = current()
        # the body changes only with a detection run or a decision: serve it from a cache till then
        key = (candidates.run_id, *con.execute("SELECT MAX(decision_id), COUNT(*) FROM decisions")
               .fetchone())
        body = listing.get(key)
        if body is None:
            body = listing_body(con)
            listing.clear()
            listing[key] = body
        return Response(body, media_type="application/geo+json")

    def listing_body(con: sqlite3.Connection) -> str:
        dec = _decisions(con).reindex(candidates.facts.index)
        facts = candidates.facts.drop(columns=["rule", "previous_id"])
        props = facts.assign(status=dec["status"].fillna("offen"),
                             version=dec["version"].fillna(0).astype(int),
                             reviewer=dec["reviewer"])
        records = [{k: _clean(v) for k, v in r.items()} for r in props.to_dict("records")]
        return feature_collection(candidates.geojson, records)

    def detail_of(con: sqlite3.Connection, gap_id: str) -> dict | None:
        if gap_id not in candidates.facts.index:
            return None
        facts = {k: _clean(v) for k, v in candidates.facts.loc[gap_id].to_dict().items()}
        latest = review.latest_decision(con, gap_id)
        hist = review.history(con, gap_id)
        return {**facts, "status": latest["status"] if latest else "offen",
                "version": latest["decision_id"] if latest else 0,
                "reviewer": latest["reviewer"] if latest else None,
                "note": latest["note"] if latest else None,
                "decided_at": latest["timestamp"] if latest else None,
                "history": [{k: _clean(v) for k, v in r.items()}
                            for r in hist.drop(columns="gap_id").to_dict("records")]}

    def detail(request: Request) -> Response:
        gap_id = request.path_params["gap_id"]
        found = detail_of(current(), gap_id)
        if found is None:
            return JSONResponse({"error": f"no candidate {gap_id!r} in this store"}, status_code=404)
        return JSONResponse(found)

    async def body_of(request: Request, model: type[BaseModel]) -> BaseModel | Response:
        # count while streaming: a chunked body has no Content-Length to refuse it by
        parts, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return JSONResponse({"error": f"request too large (at most {MAX_BODY:,} bytes)"},
                                    status_code=413, headers={"connection": "close"})
            parts.append(chunk)
        raw = b"".join(parts)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, absurd numbers or nesting
            return JSONResponse({"error": "the body is not JSON", "field": "body"}, status_code=422)
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            return _invalid(exc)
        if parsed.status not in review.STATUSES:
            return JSONResponse({"error": f"status {parsed.status!r} unknown; use one of: "
                                 f"{', '.join(review.STATUSES)}", "field": "status"}, status_code=422)
        if not parsed.reviewer.strip():
            return JSONResponse({"error": "a decision needs a reviewer name", "field": "reviewer"},
                                status_code=422)
        return parsed

    def record(expected: dict[str, int], d: BaseModel) -> Response:
        try:
            con = current()
        except review.ReviewStoreError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        unknown = [g for g in expected if g not in candidates.facts.index]
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
        gap_id = request.path_params["gap_id"]
        result = await _in_thread(record, {gap_id: parsed.expected_version}, parsed)
        if result.status_code == 409:
            conflict = json.loads(result.body)
            return JSONResponse({"error": conflict["error"],
                                 "conflict": conflict["conflicts"].get(gap_id)}, status_code=409)
        if result.status_code == 200:
            return JSONResponse(await _in_thread(lambda: detail_of(current(), gap_id)))
        return result

    async def decide_bulk(request: Request) -> Response:
        parsed = await body_of(request, BulkDecision)
        if isinstance(parsed, Response):
            return parsed
        expected = {i.gap_id: i.expected_version for i in parsed.items}
        if len(expected) != len(parsed.items):
            return JSONResponse({"error": "a candidate appears twice in items", "field": "items"},
                                status_code=422)
        return await _in_thread(record, expected, parsed)

    def layer(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "units":
            if ctx.units is None:
                return JSONResponse({"error": "no units in the config"}, status_code=404)
            props = [{"unit_id": str(u), "unit_name": _clean(n)}
                     for u, n in zip(ctx.units["unit_id"], ctx.units["unit_name"], strict=True)]
            return Response(feature_collection(_geojson_geometries(ctx.units.geometry, 5.0), props),
                            media_type="application/geo+json")
        if name not in layer_trees:
            return JSONResponse({"error": f"no layer {name!r} (this config has: "
                                 f"{', '.join(layer_trees) or 'none'})"}, status_code=404)
        try:
            w, s, e, n = (float(v) for v in request.query_params["bbox"].split(","))
        except (KeyError, ValueError):
            return JSONResponse({"error": "bbox=W,S,E,N (degrees) required", "field": "bbox"},
                                status_code=422)
        box = gpd.GeoSeries([shapely.box(w, s, e, n)], crs=4326).to_crs(layers[name].crs).iloc[0]
        hits = np.sort(layer_trees[name].query(box, predicate="intersects"))
        truncated = len(hits) > LAYER_LIMIT
        hits = hits[:LAYER_LIMIT]
        geoms = layer_wgs[name].iloc[hits]
        body = feature_collection(shapely.to_geojson(shapely.set_precision(
            geoms.values, 1e-6, mode="pointwise")), [{}] * len(hits))
        return Response(body, media_type="application/geo+json",
                        headers={"x-truncated": "1" if truncated else "0"})

    def export(request: Request) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in ("gpkg", "csv", "csv-de", "xlsx"):
            return JSONResponse({"error": "export as gpkg, csv, csv-de or xlsx"}, status_code=404)
        if fmt == "csv-de":  # German Excel: semicolons, decimal commas, UTF-8 with BOM
            plain = spreadsheet_frame(pd.DataFrame(review.cadastre(current())
                                                   .drop(columns="geometry", errors="ignore")))
            data = plain.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n"
                                ).encode("utf-8-sig")
            return Response(data, media_type="text/csv; charset=utf-8", headers={
                "content-disposition": 'attachment; filename="baulueckenkataster_excel.csv"'})
        with tempfile.TemporaryDirectory() as tmp:
            review.export(current(), tmp)
            data = (Path(tmp) / f"baulueckenkataster.{fmt}").read_bytes()
        media = {"gpkg": "application/geopackage+sqlite3", "csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        return Response(data, media_type=media[fmt], headers={
            "content-disposition": f'attachment; filename="baulueckenkataster.{fmt}"'})

    warm = review.open_store(store, readonly=True)
    try:  # the first page load should not wait for the candidates to be read and serialised
        candidates.refresh(warm)
        listing[(candidates.run_id, *warm.execute("SELECT MAX(decision_id), COUNT(*) FROM "
                                                  "decisions").fetchone())] = listing_body(warm)
    finally:
        warm.close()
    hosts = {h.lower() for h in (*LOOPBACK, host.strip("[]"))} if is_loopback(host) else None
    routes = [Route("/", page), Route("/api/meta", meta),
              Route("/api/candidates", list_candidates),
              Route("/api/candidates/{gap_id}", detail),
              Route("/api/candidates/{gap_id}/decision", decide, methods=["POST"]),
              Route("/api/decisions", decide_bulk, methods=["POST"]),
              Route("/api/layers/{name}", layer),
              Route("/api/export/{fmt}", export),
              Mount("/static", StaticFiles(directory=STATIC))]
    return Starlette(routes=routes, exception_handlers={
        sqlite3.Error: _store_failure, QuartierError: _store_failure},
        middleware=[Middleware(Guard, hosts=hosts, token=token, csrf=csrf)])


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


async def _in_thread(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


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

"""The review web app: API contract, conflicts, security, concurrent clients, kill -9 of the server.

Candidates here are GENERATED squares near Berlin (EPSG:25833), labelled as such; the browser tests
on the real Moabit candidates are in test_serve_browser.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
from shapely.geometry import box
from starlette.testclient import TestClient

from quartier.analysis.gaps import GAP_COLUMNS, stable_id
from quartier.errors import QuartierError
from quartier.review import app as serve
from quartier.review import store as review

CRS = "EPSG:25833"
HOSTILE_NOTE = "=1+1 <script>alert(1)</script> {{7*7}}"


def generated_candidates(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """n GENERATED candidate lots (15-40 m squares on a 60 m grid near Berlin-Mitte)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 386_000 + (i % side) * 60.0
    y0 = 5_815_000 + (i // side) * 60.0
    size = rng.uniform(15, 40, n)
    geoms = [box(x, y, x + s, y + s) for x, y, s in zip(x0, y0, size, strict=True)]
    kinds = np.where(rng.random(n) < 0.8, "Baulücke", "Brachfläche")
    return gpd.GeoDataFrame({"gap_id": stable_id(np.array(geoms, dtype=object)), "gap_type": kinds,
                             "area_m2": size ** 2, "frontage_m": size,
                             "rule": "B1 (generated test lot)",
                             "confidence": rng.uniform(0.5, 1.0, n).round(2)},
                            geometry=geoms, crs=CRS)[[*GAP_COLUMNS, "geometry"]]


def make_store(path: Path, n: int) -> list[str]:
    con = review.open_store(path)
    cands = generated_candidates(n)
    review.sync_candidates(con, cands, city="Generiert (Testkandidaten)")
    con.close()
    return cands["gap_id"].tolist()


@pytest.fixture
def app_store(tmp_path):
    path = tmp_path / "review.sqlite"
    ids = make_store(path, 5)
    app = serve.create_app(path)
    client = TestClient(app, base_url="http://127.0.0.1:8765")
    csrf = client.get("/api/meta").json()["csrf"]
    client.headers.update({"X-CSRF-Token": csrf})
    return client, ids, path


def post(client, url, body):
    return client.post(url, content=json.dumps(body), headers={"Content-Type": "application/json"})


def test_candidates_are_geojson_with_status_and_version(app_store):
    client, ids, _ = app_store
    r = client.get("/api/candidates")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 5
    props = fc["features"][0]["properties"]
    assert {"gap_id", "gap_type", "area_m2", "status", "version"} <= set(props)
    assert {f["properties"]["status"] for f in fc["features"]} == {"offen"}
    assert {f["properties"]["version"] for f in fc["features"]} == {0}
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    assert 13.0 < lon < 13.6 and 52.3 < lat < 52.7  # WGS84 for the web map
    # depth = area / frontage: the generated squares are as deep as they are wide
    assert props["depth_m"] == pytest.approx(props["frontage_m"], abs=0.15)


def test_decision_then_conflict_then_history(app_store):
    client, ids, _ = app_store
    gid = ids[0]
    ok = post(client, f"/api/candidates/{gid}/decision",
              {"status": "bestätigt", "reviewer": "Ana", "note": "Ortstermin", "expected_version": 0})
    assert ok.status_code == 200 and ok.json()["status"] == "bestätigt"
    version = ok.json()["version"]
    # Ben saw the candidate before Ana decided: refused, shown Ana's decision, nothing written
    late = post(client, f"/api/candidates/{gid}/decision",
                {"status": "verworfen", "reviewer": "Ben", "note": "", "expected_version": 0})
    assert late.status_code == 409
    conflict = late.json()["conflict"]
    assert conflict["reviewer"] == "Ana" and conflict["status"] == "bestätigt"
    assert conflict["decision_id"] == version
    detail = client.get(f"/api/candidates/{gid}").json()
    assert detail["status"] == "bestätigt" and detail["version"] == version
    assert [h["reviewer"] for h in detail["history"]] == ["Ana"]
    # with the version he now sees, Ben's decision goes through and both stay in the history
    again = post(client, f"/api/candidates/{gid}/decision",
                 {"status": "verworfen", "reviewer": "Ben", "note": "", "expected_version": version})
    assert again.status_code == 200
    hist = client.get(f"/api/candidates/{gid}").json()["history"]
    assert [(h["reviewer"], h["status"]) for h in hist] == [("Ana", "bestätigt"), ("Ben", "verworfen")]
    features = client.get("/api/candidates").json()["features"]
    listed = {f["properties"]["gap_id"]: f["properties"] for f in features}
    assert listed[gid]["status"] == "verworfen" and listed[gid]["version"] == again.json()["version"]


@pytest.mark.parametrize("body, field", [
    ({"status": "genehmigt", "reviewer": "Ana", "expected_version": 0}, "status"),
    ({"status": "bestätigt", "reviewer": "", "expected_version": 0}, "reviewer"),
    ({"status": "bestätigt", "reviewer": "   ", "expected_version": 0}, "reviewer"),
    ({"status": "bestätigt", "reviewer": "Ana"}, "expected_version"),
    ({"status": "bestätigt", "reviewer": "Ana", "expected_version": -1}, "expected_version"),
    ({"status": "bestätigt", "reviewer": "Ana", "expected_version": 0, "note": "x" * 5000}, "note"),
    ({"status": "bestätigt", "reviewer": "Ana", "expected_version": 0, "store": "/etc/x"}, "store"),
])
def test_bad_decisions_get_422_naming_the_field(app_store, body, field):
    client, ids, path = app_store
    r = post(client, f"/api/candidates/{ids[0]}/decision", body)
    assert r.status_code == 422 and r.json()["field"] == field, r.json()
    assert review.history(review.open_store(path, readonly=True), ids[0]).empty


def test_not_json_unknown_candidate_and_bad_export(app_store):
    client, ids, _ = app_store
    r = client.post(f"/api/candidates/{ids[0]}/decision", content=b"\xff{",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = post(client, "/api/candidates/G000/decision",
             {"status": "bestätigt", "reviewer": "Ana", "expected_version": 0})
    assert r.status_code == 404 and "G000" in r.json()["error"]
    assert client.get("/api/candidates/G000").status_code == 404
    assert client.get("/api/export/shp").status_code == 404
    assert client.get("/api/layers/buildings?bbox=13,52,14,53").status_code == 404  # no config


def test_bulk_is_all_or_none(app_store):
    client, ids, path = app_store
    post(client, f"/api/candidates/{ids[1]}/decision",
         {"status": "verworfen", "reviewer": "Ana", "expected_version": 0})
    items = [{"gap_id": g, "expected_version": 0} for g in ids[:3]]
    r = post(client, "/api/decisions", {"items": items, "status": "mobilisierbar", "reviewer": "Ben"})
    assert r.status_code == 409 and list(r.json()["conflicts"]) == [ids[1]]
    con = review.open_store(path, readonly=True)
    assert review.history(con, ids[0]).empty and review.history(con, ids[2]).empty
    items = [{"gap_id": g, "expected_version": 0} for g in (ids[0], ids[2], ids[3])]
    r = post(client, "/api/decisions", {"items": items, "status": "mobilisierbar", "reviewer": "Ben"})
    assert r.status_code == 200 and len(r.json()["decisions"]) == 3
    cad = review.cadastre(con).set_index("gap_id")
    assert cad.loc[[ids[0], ids[2], ids[3]], "status"].eq("mobilisierbar").all()
    twice = post(client, "/api/decisions", {"items": [items[0], items[0]], "status": "offen",
                                           "reviewer": "Ben"})
    assert twice.status_code == 422


def test_exports_neutralise_formulas_and_keep_markup_literal(app_store, tmp_path):
    client, ids, _ = app_store
    who = "@SUM(A1) {{7*7}}"
    assert post(client, f"/api/candidates/{ids[0]}/decision",
                {"status": "bestätigt", "reviewer": who, "note": HOSTILE_NOTE,
                 "expected_version": 0}).status_code == 200
    text = client.get("/api/export/csv").content.decode("utf-8-sig")
    rows = {r["gap_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[ids[0]]["note"] == "'" + HOSTILE_NOTE and rows[ids[0]]["reviewer"] == "'" + who
    xlsx = client.get("/api/export/xlsx")
    assert xlsx.headers["content-disposition"] == 'attachment; filename="baulueckenkataster.xlsx"'
    (tmp_path / "k.xlsx").write_bytes(xlsx.content)
    ws = openpyxl.load_workbook(tmp_path / "k.xlsx").active
    header = [c.value for c in ws[1]]
    cells = [r[header.index("note")] for r in ws.iter_rows(min_row=2) if r[0].value == ids[0]]
    assert cells[0].data_type == "s" and cells[0].value == "'" + HOSTILE_NOTE
    gpkg = client.get("/api/export/gpkg")
    (tmp_path / "k.gpkg").write_bytes(gpkg.content)
    assert len(gpd.read_file(tmp_path / "k.gpkg")) == 5
    # the JSON the page reads carries the note as data; the page writes it with textContent
    hist = client.get(f"/api/candidates/{ids[0]}").json()["history"]
    assert hist[0]["note"] == HOSTILE_NOTE


def test_writes_need_csrf_json_and_same_site(app_store):
    client, ids, path = app_store
    body = json.dumps({"status": "bestätigt", "reviewer": "Eve", "expected_version": 0})
    url = f"/api/candidates/{ids[0]}/decision"
    no_token = client.post(url, content=body, headers={"Content-Type": "application/json",
                                                        "X-CSRF-Token": ""})
    assert no_token.status_code == 403
    # a form post from another site: no custom header, form content type
    form = client.post(url, content=body, headers={"Content-Type": "text/plain"})
    assert form.status_code == 415
    cross = client.post(url, content=body, headers={"Content-Type": "application/json",
                                                    "Origin": "http://evil.example"})
    assert cross.status_code == 403
    fetch_meta = client.post(url, content=body, headers={"Content-Type": "application/json",
                                                         "Sec-Fetch-Site": "cross-site"})
    assert fetch_meta.status_code == 403
    assert review.history(review.open_store(path, readonly=True), ids[0]).empty
    # DNS rebinding: a request for another host name is not answered
    assert client.get("/api/candidates", headers={"Host": "evil.example"}).status_code == 400
    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text.replace('<script src="/static/', "")  # no inline script


def test_other_host_needs_the_token(tmp_path):
    path = tmp_path / "review.sqlite"
    make_store(path, 3)
    with pytest.raises(QuartierError, match="token"):
        serve.create_app(path, host="0.0.0.0")
    app = serve.create_app(path, host="192.0.2.10", token="s3cret-token-Xy7Qp")
    client = TestClient(app, base_url="http://192.0.2.10:8765")
    assert client.get("/api/candidates").status_code == 401
    assert client.get("/api/candidates", headers={"X-Quartier-Token": "wrong"}).status_code == 401
    assert client.get("/api/candidates", headers={"X-Quartier-Token": "s3cret-token-Xy7Qp"}).status_code == 200
    first = client.get("/?token=s3cret-token-Xy7Qp")
    assert first.status_code == 200 and "HttpOnly" in first.headers["set-cookie"]
    assert client.get("/api/meta").status_code == 200  # the cookie now carries the token


def test_empty_or_foreign_store_refused(tmp_path):
    empty = tmp_path / "empty.sqlite"
    review.open_store(empty).close()
    with pytest.raises(QuartierError, match="no candidates"):
        serve.create_app(empty)
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database")
    with pytest.raises(QuartierError, match="not SQLite"):
        serve.create_app(bad)


# ---------------------------------------------------------------- a real server in a subprocess
def start_server(store: Path, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "quartier", "gaps", "serve", str(store),
                             "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "COLUMNS": "200"})
    deadline = time.time() + 120
    seen = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(r"(http://\S+)", line)
        if m:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
            return proc, m.group(1)
    proc.kill()
    raise AssertionError("server did not start: " + "".join(seen))


def call(url: str, body: dict | None = None, csrf: str = "") -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET",
                                 headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def clients_deciding(url: str, csrf: str, ids: list[str], n_clients: int, per_client: int,
                     acked: list, stop: threading.Event | None = None) -> list[threading.Thread]:
    """n_clients threads, each deciding per_client times on its own candidates; every decision
    the server acknowledged goes into ``acked`` as (gap_id, version, status, reviewer, note)."""
    statuses = review.STATUSES[1:]

    def work(k: int) -> None:
        mine = ids[k::n_clients]
        versions = dict.fromkeys(mine, 0)
        for j in range(per_client):
            if stop is not None and stop.is_set():
                return
            gid = mine[j % len(mine)]
            body = {"status": statuses[j % len(statuses)], "reviewer": f"Client {k}",
                    "note": f"Entscheidung {j}", "expected_version": versions[gid]}
            try:
                code, res = call(f"{url}api/candidates/{gid}/decision", body, csrf)
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the server is gone
            assert code == 200, res
            versions[gid] = res["version"]
            acked.append((gid, res["version"], body["status"], body["reviewer"], body["note"]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_clients)]
    for t in threads:
        t.start()
    return threads


def test_four_clients_fifty_decisions_each(tmp_path):
    store = tmp_path / "review.sqlite"
    ids = make_store(store, 40)
    proc, url = start_server(store)
    try:
        csrf = call(url + "api/meta")[1]["csrf"]
        acked: list = []
        for t in clients_deciding(url, csrf, ids, 4, 50, acked):
            t.join(120)
        assert len(acked) == 200
        histories = [call(f"{url}api/candidates/{g}")[1]["history"] for g in ids]
    finally:
        proc.terminate()
        proc.wait(30)
    assert sum(len(h) for h in histories) == 200
    con = review.open_store(store, readonly=True)
    assert con.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 200


def test_kill_9_of_the_server_loses_no_acknowledged_decision(tmp_path):
    store = tmp_path / "review.sqlite"
    ids = make_store(store, 40)
    proc, url = start_server(store)
    csrf = call(url + "api/meta")[1]["csrf"]
    acked: list = []
    stop = threading.Event()
    threads = clients_deciding(url, csrf, ids, 4, 10_000, acked, stop)
    while len(acked) < 60:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join(60)
    con = review.open_store(store)
    stored = {r[0]: r[1:] for r in con.execute(
        "SELECT decision_id, gap_id, status, reviewer, note FROM decisions")}
    assert len(acked) >= 60
    for gid, version, status, who, note in acked:
        assert stored[version] == (gid, status, who, note)
    # and the store is sound and writable after the kill
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    review.decide(con, ids[0], "offen", "after the kill")


# ---------------------------------------------------------------- findings of the hostile review
def test_cli_decision_while_serving_loses_nothing(tmp_path):
    """A second writer (the CLI) while the server runs: every decision of both is kept."""
    store = tmp_path / "review.sqlite"
    ids = make_store(store, 6)
    proc, url = start_server(store)
    try:
        csrf = call(url + "api/meta")[1]["csrf"]
        for n, gid in enumerate(ids[:3]):  # several threads open their connections
            code, _ = call(f"{url}api/candidates/{gid}/decision",
                           {"status": "bestätigt", "reviewer": "Web", "note": str(n),
                            "expected_version": 0}, csrf)
            assert code == 200
        cli = subprocess.run([sys.executable, "-m", "quartier", "gaps", "review", str(store),
                              "--set", ids[4], "--status", "verworfen", "--reviewer", "CLI"],
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stdout + cli.stderr
        code, _ = call(f"{url}api/candidates/{ids[5]}/decision",
                       {"status": "mobilisierbar", "reviewer": "Web", "expected_version": 0}, csrf)
        assert code == 200
        # the other process sees the server's decisions while it runs
        con = review.open_store(store, readonly=True)
        assert con.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 5
        con.close()
    finally:
        proc.terminate()
        proc.wait(30)
    con = review.open_store(store, readonly=True)
    rows = con.execute("SELECT gap_id, reviewer FROM decisions ORDER BY decision_id").fetchall()
    assert rows == [(ids[0], "Web"), (ids[1], "Web"), (ids[2], "Web"), (ids[4], "CLI"),
                    (ids[5], "Web")]


def test_replaced_candidate_is_not_decided(tmp_path):
    store = tmp_path / "review.sqlite"
    con = review.open_store(store)
    first = generated_candidates(2)
    review.sync_candidates(con, first)
    moved = first.copy()
    moved.loc[0, "geometry"] = moved.geometry.iloc[0].buffer(1, join_style="mitre")
    moved.loc[0, "gap_id"] = stable_id(np.array([moved.geometry.iloc[0]], dtype=object))[0]
    review.sync_candidates(con, moved)
    con.close()
    client = TestClient(serve.create_app(store), base_url="http://127.0.0.1:8765")
    client.headers["X-CSRF-Token"] = client.get("/api/meta").json()["csrf"]
    r = post(client, f"/api/candidates/{first['gap_id'].iloc[0]}/decision",
             {"status": "verworfen", "reviewer": "Ana", "expected_version": 0})
    assert r.status_code == 422 and moved["gap_id"].iloc[0] in r.json()["error"]


def test_store_deleted_while_serving_is_an_error_not_a_new_store(app_store):
    client, ids, path = app_store
    path.unlink()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    r = client.get(f"/api/candidates/{ids[0]}")
    # threads that already hold a connection still read the unlinked file; a new one must not
    # create an empty store
    assert r.status_code in (200, 503)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.get("/api/meta").status_code, range(32)))
    assert set(codes) <= {200, 503}
    assert not path.exists()


def test_oversized_absurd_and_cross_site_requests(app_store):
    client, ids, _ = app_store
    url = f"/api/candidates/{ids[0]}/decision"
    big = client.post(url, content=b"{" + b" " * 3_000_000 + b"}",
                      headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    deep = client.post(url, content=b"[" * 100_000 + b"]" * 100_000,
                       headers={"Content-Type": "application/json"})
    assert deep.status_code == 422
    huge = client.post(url, content=b'{"status": "offen", "reviewer": "A", "expected_version": 1'
                       + b"0" * 5000 + b"}", headers={"Content-Type": "application/json"})
    assert huge.status_code == 422
    assert client.get("/api/export/csv", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403


# ------------------------------------------------------------------ issue 20: trust, second round


def asgi_post(app, path: str, chunks, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST ``chunks`` (an iterator of bytes) to the ASGI app exactly as a server streams a
    chunked body (no Content-Length); returns the status and how many body bytes the app read."""
    import anyio

    read = 0
    status = 0

    async def receive():
        nonlocal read
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "server": ("127.0.0.1", 8765), "client": ("127.0.0.1", 50000),
             "headers": [(b"host", b"127.0.0.1:8765"), (b"transfer-encoding", b"chunked"),
                         *headers]}
    # in a thread of its own: a browser test of this worker may have left an event loop running
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, app, scope, receive, send).result()
    return status, read


def test_chunked_body_is_cut_at_the_limit_while_streaming(tmp_path):
    """Issue 20.13: a chunked body (no Content-Length) was buffered whole before the 413
    (1 GB body → server at 2.3 GB)."""
    path = tmp_path / "review.sqlite"
    ids = make_store(path, 2)
    app = serve.create_app(path)
    csrf = TestClient(app, base_url="http://127.0.0.1:8765").get("/api/meta").json()["csrf"]
    chunk = b" " * 65_536
    endless = (chunk for _ in range(40_000_000 // len(chunk)))   # 40 MB, more than enough
    status, read = asgi_post(app, f"/api/candidates/{ids[0]}/decision", endless,
                             [(b"content-type", b"application/json"),
                              (b"x-csrf-token", csrf.encode())])
    assert status == 413
    assert read <= serve.MAX_BODY + len(chunk)
    # a chunked body within the limit is read as before
    body = json.dumps({"status": "bestätigt", "reviewer": "Ana", "expected_version": 0}).encode()
    status, _ = asgi_post(app, f"/api/candidates/{ids[0]}/decision", iter([body[:10], body[10:]]),
                          [(b"content-type", b"application/json"),
                           (b"x-csrf-token", csrf.encode())])
    assert status == 200


@pytest.mark.parametrize("token", ["a", "short-token", "a" * 32, "abababababababababab",
                                   "passwordpassword"])
def test_weak_tokens_are_refused(tmp_path, token):
    """Issue 20.14: `--token a` was accepted for a network-reachable server."""
    path = tmp_path / "review.sqlite"
    make_store(path, 2)
    with pytest.raises(QuartierError, match="at least 16 characters"):
        serve.create_app(path, host="0.0.0.0", token=token)
    with pytest.raises(QuartierError, match="at least 16 characters"):
        serve.create_app(path, host="127.0.0.1", token=token)


def test_a_strong_token_on_loopback_guards_every_request(tmp_path):
    """Issue 20.15: on loopback any account of the machine could read the CSRF token; with
    --token (on loopback too) every request needs it."""
    path = tmp_path / "review.sqlite"
    make_store(path, 2)
    token = "Zq3-vR8xK1pLm9Tw"
    client = TestClient(serve.create_app(path, host="127.0.0.1", token=token),
                        base_url="http://127.0.0.1:8765")
    assert client.get("/api/meta").status_code == 401
    assert client.get("/api/meta", headers={"X-Quartier-Token": token}).status_code == 200


def test_serve_start_up_says_what_loopback_protects_and_prints_the_token(tmp_path):
    """Issue 20.15 and 20.14: the start-up text; a generated token is long and random."""
    store = tmp_path / "review.sqlite"
    make_store(store, 2)
    proc = subprocess.Popen([sys.executable, "-m", "quartier", "gaps", "serve", str(store),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "COLUMNS": "300"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")),
                              daemon=True)
    reader.start()
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not any("http://" in ln for ln in lines):
            time.sleep(0.2)
        time.sleep(2)   # the lines printed after the address
        text = " ".join(" ".join(lines).split())
        assert "127.0.0.1" in text and "shared machine" in text and "--token" in text, text
    finally:
        proc.kill()
        proc.wait(30)
    proc, url = start_server(store, "--token", "Zq3-vR8xK1pLm9Tw")
    try:
        assert url.endswith("?token=Zq3-vR8xK1pLm9Tw") and "127.0.0.1" in url
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url.split("?")[0] + "api/meta", timeout=30)
        assert err.value.code == 401
        assert call(url.split("?")[0] + "api/meta?token=Zq3-vR8xK1pLm9Tw")[0] == 200
    finally:
        proc.terminate()
        proc.wait(30)
    weak = subprocess.run([sys.executable, "-m", "quartier", "gaps", "serve", str(store),
                           "--port", "0", "--host", "0.0.0.0", "--token", "a"],
                          capture_output=True, text=True, timeout=120)
    assert weak.returncode == 2 and "at least 16 characters" in weak.stdout + weak.stderr


def test_store_deleted_or_replaced_while_serving_refuses_writes(app_store):
    """Issue 20.16: the store deleted while serving: 200 for every decision, all of them written
    to an unlinked file and lost on stop."""
    client, ids, path = app_store
    body = {"status": "bestätigt", "reviewer": "Ana", "expected_version": 0}
    assert post(client, f"/api/candidates/{ids[0]}/decision", body).status_code == 200
    path.unlink()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    r = post(client, f"/api/candidates/{ids[1]}/decision", body)
    assert r.status_code == 503 and "gone" in r.json()["error"]
    assert client.get("/api/meta").status_code == 503
    # another file put in its place (a restored backup): refused too, nothing written to it
    make_store(path, 2)
    r = post(client, f"/api/candidates/{ids[1]}/decision", body)
    assert r.status_code == 503 and "replaced" in r.json()["error"]
    con = review.open_store(path, readonly=True)
    assert con.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    con.close()


def test_serve_of_a_missing_store_creates_nothing(tmp_path):
    """Issue 20.19: `gaps serve typo.sqlite` left an empty 36 KB store behind."""
    from typer.testing import CliRunner

    from quartier.cli import app

    typo = tmp_path / "typo.sqlite"
    with pytest.raises(QuartierError, match="quartier gaps detect"):
        serve.create_app(typo)
    res = CliRunner().invoke(app, ["gaps", "serve", str(typo), "--port", "0"])
    assert res.exit_code == 2 and "no review store" in res.output
    assert "gaps detect" in res.output and "--out" in res.output
    assert list(tmp_path.iterdir()) == []

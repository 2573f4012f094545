"""Issue 22 acceptance: what a planner shows a committee, at a desk (1400×900) and on a phone
(390×844), in headless Chromium: map, report, a profile and the review app open without a
console error; the default-view click on the rank-1 quarter opens its popup with a link to its
profile; the access legend's good end is not red; a German page shows no raw column name and no
English note; ↓ after a status click moves to the next candidate instead of changing the
status."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest

from quartier import vocab
from quartier.config import load_config
from quartier.paths import BERLIN_CONFIG
from quartier.pipeline.commands import gaps
from quartier.vocab import tables
from tests.browser import NETWORK, shared_browser, watch
from tests.review.test_app import start_server

# the Berlin demo run is shared by the demo modules: keep them on one test worker
pytestmark = pytest.mark.xdist_group("berlin_demo")

SIZES = {"desk": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def demo(demo_run):
    out, _ = demo_run
    return out


@pytest.fixture(scope="module")
def rank1(demo):
    """The rank-1 unit: id and a point inside it (WGS84)."""
    table = pd.read_csv(demo / "priority.csv", dtype={"unit_id": str}, encoding="utf-8-sig")
    uid = table.loc[table["priority_rank"] == 1, "unit_id"].iloc[0]
    units = gpd.read_file(demo / "priority.gpkg", layer="priority")
    point = units.loc[units["unit_id"].astype(str) == uid].geometry.representative_point()
    point = point.to_crs(4326).iloc[0]
    return uid, point.y, point.x


def real(problems: list[str]) -> list[str]:
    """The page's console errors, without the background tiles that cannot load offline."""
    return [e for e in problems if not any(n in e for n in NETWORK)]


def open_page(url: str, size: str):
    context = shared_browser().new_context(viewport=SIZES[size])
    page = context.new_page()
    problems = watch(page)
    page.goto(url, wait_until="load", timeout=120_000)
    return context, page, problems


def settle(page) -> None:
    """Wait until the map's view stops moving (the opening fit and zoom snap), so that a point
    computed now is where the click lands."""
    page.wait_for_function("""() => new Promise((done) => {
        const m = window.quartier.map, view = () => m.getCenter().toString() + m.getZoom();
        const before = view();
        setTimeout(() => done(!m._animatingZoom && view() === before), 250); })""",
                           timeout=10_000)


#: raw column names: every key of the column table with an underscore (priority_rank, …)
RAW_COLUMNS = sorted(k for k in tables.COLUMNS if "_" in k)
#: the English note sentences: the fixed words before the first placeholder of every note
ENGLISH_NOTES = sorted({re.split(r"\{", en)[0].strip() for _de, en in tables.NOTES.values()
                        if len(re.split(r"\{", en)[0].strip()) >= 12})


def german_problems(text: str) -> list[str]:
    """Raw column names and English note sentences found in a page's visible text."""
    words = set(re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", text))
    found = [c for c in RAW_COLUMNS if c in words]
    found += [n for n in ENGLISH_NOTES if n in text]
    return found


@pytest.mark.parametrize("size", list(SIZES))
def test_map_rank1_popup_links_its_profile(demo, rank1, size):
    uid, lat, lon = rank1
    context, page, problems = open_page((demo / "quartier_map.html").as_uri(), size)
    try:
        page.wait_for_selector("body[data-quartier-ready='1']", timeout=60_000)
        settle(page)
        x, y = page.evaluate("""([lat, lon]) => {
            const m = window.quartier.map, p = m.latLngToContainerPoint([lat, lon]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""", [lat, lon])
        # nothing of the page's controls lies over the quarter in the default view
        hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest("
                            "'.leaflet-control') === null", [x, y])
        assert hit, f"a control covers the rank-1 quarter at {x:.0f}, {y:.0f}"
        page.mouse.click(x, y)
        page.wait_for_selector(".leaflet-popup-content", timeout=10_000)
        popup = page.inner_html(".leaflet-popup-content")
        assert f"einheit_{uid}.html" in popup
        assert german_problems(page.inner_text(".leaflet-popup-content")) == []
        # the pointer still rests on the quarter: its hover tooltip does not sit under the popup
        page.mouse.move(x + 1, y + 1)
        assert page.evaluate("[...document.querySelectorAll('.leaflet-tooltip')]"
                             ".filter((t) => getComputedStyle(t).display !== 'none').length") == 0
        # the access theme: its legend says which end is good, and that end is not red
        page.evaluate("window.quartier.show('access', true)")
        good = vocab.text("map.good_access")
        colour = page.evaluate("""(word) => {
            for (const row of document.querySelectorAll('.q-legend-row')) {
                const end = row.querySelector('.q-end');
                if (end && end.textContent.includes(word))
                    return getComputedStyle(row.querySelector('.q-sw, .q-poi')).backgroundColor;
            }
            return null; }""", good)
        assert colour is not None, "the access legend names no good end"
        r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
        assert not (r > 150 and g < 110 and b < 110), f"the good end is red: {colour}"
        assert german_problems(page.inner_text("body")) == []
        assert real(problems) == []
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_report_and_profile_are_german_and_clean(demo, rank1, size):
    uid, _, _ = rank1
    for path in (demo / "report.html", demo / "profiles" / f"einheit_{uid}.html",
                 demo / "profiles" / "index.html"):
        context, page, problems = open_page(path.as_uri(), size)
        try:
            assert real(problems) == [], path.name
            assert page.evaluate("document.querySelector('meta[name=viewport]') !== null")
            assert german_problems(page.inner_text("body")) == [], path.name
            # nothing wider than the screen on a phone (a table may scroll inside its box)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= SIZES[size]["width"] + 2, (path.name, width)
        finally:
            context.close()


@pytest.fixture(scope="module")
def review_app(tmp_path_factory):
    out = tmp_path_factory.mktemp("committee_review")
    result = gaps(load_config(BERLIN_CONFIG), out)
    proc, url = start_server(result.store, "--config", str(BERLIN_CONFIG))
    yield url
    proc.terminate()
    proc.wait(30)


def answer(page, yes: bool) -> None:
    """The page's next confirm() answered with ``yes``; its question kept in ``__asked``."""
    page.evaluate("yes => { window.confirm = (q) => { window.__asked = q; return yes; }; }", yes)


@pytest.mark.parametrize("size", list(SIZES))
def test_review_app_arrow_after_status_click_keeps_the_status(review_app, size):
    context, page, problems = open_page(review_app, size)
    try:
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        first = page.locator("#list tbody tr >> nth=0").get_attribute("data-id")
        second = page.locator("#list tbody tr >> nth=1").get_attribute("data-id")
        page.click("#list tbody tr >> nth=0")
        page.wait_for_function("id => document.getElementById('d-id').textContent === id",
                               arg=first)
        assert page.is_visible("#status-buttons")   # on a phone the details tab is shown
        page.click("#status-buttons label:has(input[value='bestätigt'])")
        # ↓: the unsaved choice is asked about (the page's confirm, answered here); "stay"
        # keeps candidate and choice
        answer(page, False)
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(300)
        assert "nicht gespeichert" in page.evaluate("window.__asked")
        assert page.inner_text("#d-id") == first
        assert page.is_checked("#status-buttons input[value='bestätigt']")
        # "discard": the next candidate, and the first one's stored status is unchanged
        answer(page, True)
        page.keyboard.press("ArrowDown")
        page.wait_for_function("id => document.getElementById('d-id').textContent === id",
                               arg=second)
        stored = page.request.get(review_app + f"api/candidates/{first}").json()
        assert stored["status"] == "offen" and stored["history"] == []
        # times in local time, not ISO UTC; the street named
        assert "T" not in page.inner_text("#facts").split("Entschieden")[-1]
        assert real(problems) == []
    finally:
        context.close()


def test_review_app_bulk_asks_and_needs_a_note(review_app):
    context, page, problems = open_page(review_app, "desk")
    try:
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        page.fill("#reviewer", "Ana")
        ids = [page.locator(f"#list tbody tr >> nth={k}").get_attribute("data-id") for k in (2, 3)]
        for k in (2, 3):
            page.check(f"#list tbody tr >> nth={k} >> input[type=checkbox]")
        page.select_option("#bulk-status", "verworfen")
        page.click("#bulk-apply")                       # no note: refused
        assert "Notiz" in page.inner_text("#message")
        page.fill("#bulk-note", "Garagenhöfe")
        answer(page, False)                             # asked: cancel
        page.click("#bulk-apply")
        page.wait_for_timeout(300)
        assert "2 Kandidaten" in page.evaluate("window.__asked")
        assert page.request.get(review_app + f"api/candidates/{ids[0]}").json()["status"] == "offen"
        answer(page, True)
        page.click("#bulk-apply")
        page.wait_for_selector("#message.ok")
        for gap_id in ids:
            d = page.request.get(review_app + f"api/candidates/{gap_id}").json()
            assert d["status"] == "verworfen" and d["history"][-1]["note"] == "Garagenhöfe"
        assert real(problems) == []
    finally:
        context.close()

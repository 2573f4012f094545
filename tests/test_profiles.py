"""Quarter profiles: Berlin pages in headless Chromium, content, hostile names, PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quartier import pipeline
from quartier.profiles import file_name, map_svg, percentile_bar, print_pdf
from tests.browser import open_page
from tests.hostile import hostile_config

# the Berlin demo run is shared with the other demo modules: keep them on one test worker
pytestmark = pytest.mark.xdist_group("berlin_demo")

SCREENSHOTS = Path(__file__).resolve().parents[1] / "maps" / "screenshots"


@pytest.fixture(scope="module")
def berlin_profiles(demo_run):
    out, _ = demo_run
    return out / "profiles"


def test_demo_writes_profiles_of_the_flagged_units_and_areas(berlin_profiles):
    pages = sorted(p.name for p in berlin_profiles.glob("*.html"))
    units = [p for p in pages if p.startswith("einheit_")]
    areas = [p for p in pages if p.startswith("aktionsraum_")]
    assert len(units) == 95 and len(areas) == 38 and "index.html" in pages
    index = (berlin_profiles / "index.html").read_text(encoding="utf-8")
    assert index.index("aktionsraum_AR01.html") < index.index("einheit_")   # areas first
    assert "<script" not in index and "http" not in index.split("<h2>Quellen")[0]


@pytest.mark.parametrize("page", ["index.html", "einheit_08100521.html", "einheit_01200517.html",
                                  "aktionsraum_AR01.html"])
def test_profiles_open_in_chromium(berlin_profiles, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors, dom = open_page(berlin_profiles / page, SCREENSHOTS / page.replace(".html", ".png"))
    assert errors == []
    assert (SCREENSHOTS / page.replace(".html", ".png")).stat().st_size > 10_000
    if page.startswith("einheit_08100521"):
        assert "Schulenburgpark" in dom and "Nr. 08100521" in dom and "gekennzeichnet" in dom
        assert "S4 Kinderarmut" in dom and "Lage und Nachbarschaft" in dom
        assert "Erreichbarkeit" in dom and "Kita" in dom and "Verlauf" in dom
    if page.startswith("aktionsraum"):
        assert "Aktionsraum AR01" in dom and "Was überwiegt" in dom


def test_unit_page_shows_gaps_and_sites_inside(demo_run):
    """The Moabit gap candidates appear on the profiles of flagged Moabit units (Huttenkiez)."""
    out, _ = demo_run
    page = (out / "profiles" / "einheit_01200517.html").read_text(encoding="utf-8")
    import re

    found = re.search(r"<p>(\d+) Kandidat\(en\) des Baulückenkatasters", page)
    assert found and int(found.group(1)) > 0
    assert "vorgeschlagene(r) Standort(e)" in page


def test_hostile_names_in_profiles(tmp_path):
    cfg = hostile_config(tmp_path / "city")
    result = pipeline.profiles(cfg, tmp_path / "out", every=True)
    pages = [p for p in result.files if p.suffix == ".html"]
    assert len(pages) == 17
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert "{{7*7}}" not in text and "<script>" not in text and "${" not in text
    errors, dom = open_page(pages[1], tmp_path / "h.png")
    assert errors == [] and 'class="666"' not in dom


def test_file_names_never_come_from_hostile_ids():
    assert file_name("einheit", "01100101", 0) == "einheit_01100101.html"
    assert file_name("einheit", "../../x", 7) == "einheit_00007.html"
    assert file_name("einheit", "a b", 3) == "einheit_00003.html"


def test_percentile_bar_and_map_are_plain_svg():
    import geopandas as gpd
    from shapely.geometry import box

    assert 'cx="80.0"' in percentile_bar(50.0)
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 500, 500), box(500, 0, 1000, 500)],
                             crs="EPSG:25833")
    svg = map_svg(units.geometry.iloc[0], units)
    assert svg.startswith("<svg") and svg.count("<path") == 3 and "100 m" in svg


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium prints the PDF")
def test_profile_as_pdf(berlin_profiles, tmp_path):
    page = tmp_path / "p.html"
    shutil.copy(berlin_profiles / "einheit_08100521.html", page)
    pdf = print_pdf([page])
    assert pdf and pdf[0].read_bytes()[:4] == b"%PDF" and pdf[0].stat().st_size > 10_000

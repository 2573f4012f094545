"""Quarter profiles: Berlin pages in headless Chromium, content, hostile names, PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quartier import pipeline
from quartier.outputs.pdf import print_pdf
from quartier.outputs.profiles import file_name, map_svg, percentile_bar
from tests.browser import SCREENSHOTS, open_page
from tests.hostile import hostile_config

# the Berlin demo run is shared with the other demo modules: keep them on one test worker
pytestmark = pytest.mark.xdist_group("berlin_demo")



@pytest.fixture(scope="module")
def berlin_profiles(demo_run):
    out, _ = demo_run
    return out / "profiles"


def test_demo_writes_profiles_of_every_unit_and_area(berlin_profiles):
    pages = sorted(p.name for p in berlin_profiles.glob("*.html"))
    units = [p for p in pages if p.startswith("einheit_")]
    areas = [p for p in pages if p.startswith("aktionsraum_")]
    assert len(units) == 542 and len(areas) == 38 and "index.html" in pages
    index = (berlin_profiles / "index.html").read_text(encoding="utf-8")
    assert index.index("aktionsraum_AR01.html") < index.index("einheit_")   # areas first
    # one script of its own: the search field filters the index
    assert index.count("<script") == 1 and "http" not in index.split("<h2>Quellen")[0]


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
        assert "{{7*7}}" not in text and "<script>alert" not in text and "${" not in text
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
    assert svg.startswith("<svg") and svg.count("<path") == 3 and "\xa0m</text>" in svg


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium prints the PDF")
def test_profile_as_pdf(berlin_profiles, tmp_path):
    page = tmp_path / "p.html"
    shutil.copy(berlin_profiles / "einheit_08100521.html", page)
    pdf = print_pdf([page])
    assert pdf and pdf[0].read_bytes()[:4] == b"%PDF" and pdf[0].stat().st_size > 10_000


def fake_chromium(folder: Path, script: str) -> None:
    """A `chromium` first on PATH (GENERATED shell script)."""
    folder.mkdir()
    exe = folder / "chromium"
    exe.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    exe.chmod(0o755)


def test_pdf_with_a_chromium_that_fails_is_a_message(tmp_path, monkeypatch):
    """Issue 20.11: `profile --pdf` with a Chromium that exits 1: CalledProcessError traceback."""
    from quartier.errors import QuartierError

    fake_chromium(tmp_path / "bin", "echo 'starting' >&2\n"
                  "echo '[0101/ERROR:gpu_init.cc(1)] Passthrough is not supported' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(QuartierError) as err:
        print_pdf([page])
    msg = str(err.value)
    assert str(tmp_path / "bin" / "chromium") in msg and "exit code 1" in msg
    assert "Passthrough is not supported" in msg and "p.html" in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "p.html"]   # no PDF, no temp


def test_pdf_with_a_chromium_that_writes_nothing_is_a_message(tmp_path, monkeypatch):
    from quartier.errors import QuartierError

    fake_chromium(tmp_path / "bin", "exit 0\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(QuartierError, match="wrote no PDF"):
        print_pdf([page])


def test_profile_cli_with_a_failing_chromium_exits_2(tmp_path, monkeypatch):
    import tomli_w
    from typer.testing import CliRunner

    from quartier.cli import app
    from tests.conftest import tiny_units

    fake_chromium(tmp_path / "bin", "echo 'crashed: no display' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    tiny_units().to_file(tmp_path / "units.gpkg", driver="GPKG")
    (tmp_path / "t.csv").write_text("ID;EW;SGB2;ALG\n001;1000;10,5;3\n002;2000;20,0;4\n"
                                    "003;500;5,25;5\n004;800;12,0;7\n", encoding="utf-8")
    cfg = {"city": {"name": "Test (generated)", "crs": "EPSG:25833"},
           "units": {"path": "units.gpkg", "id_column": "ID", "id_width": 3, "name_column": "NAME"},
           "tables": [{"name": "t", "path": "t.csv", "sep": ";", "decimal": ",", "key": "ID",
                       "id_width": 3, "columns": {"EW": {"name": "ew"}, "SGB2": {"name": "sgb2"},
                                                  "ALG": {"name": "alg"}}}],
           "population_column": "ew",
           "index": {"status": [{"column": "sgb2"}, {"column": "alg"}], "min_population": 0}}
    (tmp_path / "c.toml").write_bytes(tomli_w.dumps(cfg).encode())
    res = CliRunner().invoke(app, ["profile", str(tmp_path / "c.toml"), "--all", "--pdf",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert "chromium" in res.output and "crashed: no display" in res.output
    assert "Traceback" not in res.output

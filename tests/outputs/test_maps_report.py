"""Maps and report: opened in a real browser, legend and layer control present, no JS errors,
names from the data escaped everywhere."""

from pathlib import Path

import geopandas as gpd
import pytest

from quartier import vocab
from quartier.outputs import mapbase, maps
from quartier.pipeline.load import load_city
from tests.browser import SCREENSHOTS, open_page
from tests.conftest import tiny_config, tiny_units

# the Berlin demo run is shared by these modules: keep them on one test worker
pytestmark = pytest.mark.xdist_group("berlin_demo")

EVIL = "<script>alert(1)</script><img src=x onerror=\"document.title='XSS'\">"


@pytest.fixture(scope="module")
def demo_out(demo_run):
    return demo_run


@pytest.mark.parametrize("name", ["quartier_map.html", "map_s4_kinderarmut_pct.html"])
def test_map_opens_in_chromium_without_errors(demo_out, name):
    out, _ = demo_out
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / name.replace(".html", ".png")
    errors, dom = open_page(out / name, shot)
    assert errors == []
    assert "quartier-legend-section" in dom   # the legend of the visible layers
    assert "q-panel" in dom
    assert "leaflet-interactive" in dom  # polygons were drawn
    assert shot.stat().st_size > 20_000


def test_broken_map_is_caught(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction()</script></body></html>")
    errors, _ = open_page(page, tmp_path / "b.png")
    assert any("undefinedFunction" in e for e in errors)


def test_demo_outputs_and_report(demo_out):
    out, _ = demo_out
    assert (out / "report.html").exists() and (out / "priority.csv").exists()
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Die 20 Planungsräume mit der höchsten Priorität" in text
    assert "<script" not in text  # self-contained, no JavaScript
    assert "Datenquellen und Lizenzen" in text and "OpenStreetMap" in text
    assert text.count("<svg") >= 6
    html_map = (out / "quartier_map.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in html_map and "code.jquery" not in html_map
    assert vocab.text("map.gaps") in html_map and vocab.text("map.sites_illustrative") in html_map
    assert (out / "quartier_map.html").stat().st_size < 20e6


def test_script_names_are_text_everywhere(tmp_path):
    units = tiny_units()
    units.loc[0, "NAME"] = EVIL
    cfg = tiny_config(tmp_path, units=units,
                      index={"status": [{"column": "share_sgb2_pct"}], "min_population": 0},
                      flag={"cluster_columns": [], "permutations": 99})
    loaded, report = load_city(cfg)
    from quartier.pipeline.flag import flag_units
    flags = flag_units(loaded, cfg)
    fmap = maps.combined_map(loaded, flags.table.sort_index(), indicator=("share_sgb2_pct", EVIL))
    path = mapbase.save(fmap, tmp_path / "m.html")
    html_text = path.read_text(encoding="utf-8")
    assert EVIL not in html_text and "<img src=x" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    from quartier.outputs.report import table_html, write_report
    rep = write_report(tmp_path / "r.html", EVIL, {"x": EVIL},
                       [("t", table_html(flags.table[["unit_name", "reasons"]]))], [EVIL])
    rep_text = rep.read_text(encoding="utf-8")
    assert EVIL not in rep_text and "&lt;script&gt;" in rep_text
    for page in (path, rep):
        errors, dom = open_page(page, tmp_path / "x.png")
        assert errors == []
        assert "<title>XSS</title>" not in dom
        assert "alert(1)" in dom  # shown as text


def test_map_for_many_units_stays_small(tmp_path):
    """10,000 GENERATED units: simplified, canvas, one GeoJSON per layer."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from _common import generated_grid_units

    units = generated_grid_units(10_000).rename(columns={"ID": "unit_id", "NAME": "unit_name"})
    path = mapbase.save(maps.choropleth(gpd.GeoDataFrame(units), "pop", "Einwohner"), tmp_path / "g.html")
    size = path.stat().st_size / 1e6
    assert size < 20
    assert path.read_text(encoding="utf-8").count('"type": "FeatureCollection"') <= 2

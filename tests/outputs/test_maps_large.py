"""Maps of more than ``mapbase.MAX_VECTOR_UNITS`` units: one PNG overlay per layer, not one GeoJSON
feature per unit; the legend says so. All units here are GENERATED: square 100 m cells of an
EPSG:3035 grid over Berlin with seeded random values."""

import base64
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from shapely import box

from quartier.outputs import mapbase, maps

EVIL = "<script>alert(1)</script>{{ 7*7 }}"
CELL_M = 100.0
OVERLAY = re.compile(r'L\.imageOverlay\(\s*"data:image/png;base64,([A-Za-z0-9+/=]+)",\s*'
                     r"\[\[([-\d.e]+), ([-\d.e]+)\], \[([-\d.e]+), ([-\d.e]+)\]\]")
#: ColorBrewer YlOrRd ends and STATUS_COLOURS["hoch"], written out: the known answers
# a ramp without valuation is Purples (red only at a bad end); status "hoch" is RdYlGn green
LOWEST, HIGHEST, HOCH = (0xfc, 0xfb, 0xfd), (0x3f, 0x00, 0x7d), (0x1a, 0x98, 0x50)


def generated_cells(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """GENERATED: ``n`` square 100 m cells of an EPSG:3035 grid over Berlin, row by row, with a
    seeded normal ``value``."""
    cols = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 4_548_000 + (i % cols) * CELL_M
    y0 = 3_264_000 + (i // cols) * CELL_M
    return gpd.GeoDataFrame(
        {"unit_id": [f"G{k:06d}" for k in i], "unit_name": [f"generiert {k}" for k in i],
         "value": np.random.default_rng(seed).normal(50, 10, n)},
        geometry=box(x0, y0, x0 + CELL_M, y0 + CELL_M), crs="EPSG:3035")


def overlays(html: str) -> list[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """Every image overlay of a map page: its pixels as RGBA (rows, cols, 4) and its WGS84
    bounds (south, west, north, east)."""
    out = []
    for data, *bounds in OVERLAY.findall(html):
        with warnings.catch_warnings(), MemoryFile(base64.b64decode(data)) as mem:
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with mem.open() as png:
                codes, colormap = png.read(1), png.colormap(1)
        lut = np.zeros((256, 4), dtype="uint8")
        for code, rgba in colormap.items():
            lut[code] = rgba
        out.append((lut[codes], tuple(float(b) for b in bounds)))
    return out


def pixel_at(image: np.ndarray, bounds: tuple[float, float, float, float], x: float,
             y: float) -> tuple[int, ...]:
    """The RGBA pixel under the EPSG:3035 point (x, y): the overlay spans its bounds linearly in
    Web Mercator, as Leaflet draws it."""
    to_merc = Transformer.from_crs(3035, 3857, always_xy=True)
    deg_merc = Transformer.from_crs(4326, 3857, always_xy=True)
    south, west, north, east = bounds
    (left, right), (bottom, top) = deg_merc.transform([west, east], [south, north])
    mx, my = to_merc.transform(x, y)
    rows, cols = image.shape[:2]
    return tuple(int(v) for v in image[int((top - my) / (top - bottom) * rows),
                                       int((mx - left) / (right - left) * cols)])


def centre(cells: gpd.GeoDataFrame, k: int) -> tuple[float, float]:
    point = cells.geometry.iloc[k].centroid
    return point.x, point.y


@pytest.fixture(scope="module")
def large():
    """25 000 GENERATED cells: cell 0 the highest value, 1 the lowest, 2 and 3 missing."""
    cells = generated_cells(25_000)
    cells.loc[0, "value"], cells.loc[1, "value"] = 1_000.0, -1_000.0
    cells.loc[[2, 3], "value"] = np.nan
    return cells


@pytest.fixture(scope="module")
def large_choropleth(large, tmp_path_factory):
    path = mapbase.save(maps.choropleth(large, "value", EVIL, values_in="units.csv"),
                     tmp_path_factory.mktemp("large") / "large.html")
    return path, path.read_text(encoding="utf-8")


def test_large_choropleth_is_one_small_image_with_a_legend_note(large_choropleth):
    path, html = large_choropleth
    assert path.stat().st_size < 5e6
    assert html.count("L.imageOverlay(") == 1
    assert '"type": "Feature"' not in html   # no GeoJSON feature per unit
    assert ("25.000 Einheiten: als Rasterbild gezeichnet (über 20.000), keine Tooltips — "
            "Werte in units.csv") in html
    assert "keine Daten" in html   # missing values still have their legend row
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;&#123;&#123;" in html


def test_large_map_opens_in_chromium(large_choropleth, tmp_path):
    from tests.browser import open_page

    errors, dom = open_page(large_choropleth[0], tmp_path / "large.png")
    assert errors == []
    assert "leaflet-image-layer" in dom and 'class="quartier-legend-note"' in dom


def test_pixels_carry_each_cells_class_colour(large, large_choropleth):
    """Known answer: the highest cell is in the top class (#3f007d), the lowest in the first
    (#fcfbfd), both at fill opacity 0.7 (alpha 178); missing cells are transparent."""
    [(image, bounds)] = overlays(large_choropleth[1])
    assert image.shape[0] * image.shape[1] <= mapbase.MAX_RASTER_PX ** 2
    assert pixel_at(image, bounds, *centre(large, 0)) == (*HIGHEST, 178)
    assert pixel_at(image, bounds, *centre(large, 1)) == (*LOWEST, 178)
    for k in (2, 3):
        assert pixel_at(image, bounds, *centre(large, k))[3] == 0
    # the image covers the grid: about PX_PER_UNIT pixels per cell side
    cols = int(np.ceil(np.sqrt(len(large))))
    assert max(image.shape) >= mapbase.PX_PER_UNIT * cols * 0.9


def test_every_cell_keeps_a_pixel(large):
    raster = mapbase.unit_raster(large)
    per_cell = np.bincount(raster.index.ravel(), minlength=len(large) + 1)[1:]
    assert per_cell.min() >= 1 and np.median(per_cell) == mapbase.PX_PER_UNIT ** 2


def test_large_combined_map_status_hotspots_and_dissolved_outline(large, tmp_path):
    """Status and hot spots as images sharing one burn; 22 000 flagged cells (all but the top
    rows) as one dissolved outline; every legend with its note, missing status transparent."""
    n = len(large)
    status = np.where(np.arange(n) % 2 == 0, "hoch", "niedrig").astype(object)
    status[[2, 3]] = None
    flags = pd.DataFrame({
        "status_class": status, "dynamics_class": "+", "priority_rank": np.arange(1, n + 1),
        "reasons": EVIL, "flagged": np.arange(n) < 22_000, "flag_reason": "Status",
        "hotspot": np.where(np.arange(n) < 100, "Hot Spot", None), "lisa": None},
        index=large.index)
    path = mapbase.save(maps.combined_map(large, flags, index_name=EVIL), tmp_path / "all.html")
    html = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 5e6
    assert html.count("L.imageOverlay(") == 2
    assert len(re.findall(r"\d Einheiten: als Rasterbild gezeichnet", html)) == 2
    assert "Werte in priority.csv" in html
    assert "22.000 Einheiten: als gemeinsame Umrisslinie gezeichnet (über 20.000)" in html
    assert html.count('"type": "Feature"') == 1   # the outline, one feature
    assert EVIL not in html
    (status_img, bounds), (hot_img, hot_bounds) = overlays(html)
    assert pixel_at(status_img, bounds, *centre(large, 0)) == (*HOCH, 178)
    assert pixel_at(status_img, bounds, *centre(large, 2))[3] == 0
    assert pixel_at(hot_img, hot_bounds, *centre(large, 5))[3] == 178
    assert pixel_at(hot_img, hot_bounds, *centre(large, 20_000))[3] == 0


def test_at_the_threshold_the_layer_stays_vector(monkeypatch, tmp_path):
    """MAX_VECTOR_UNITS units: GeoJSON with tooltips; one more: the image (threshold lowered
    to 400 GENERATED cells so the test stays fast)."""
    monkeypatch.setattr(maps, "MAX_VECTOR_UNITS", 400)
    monkeypatch.setattr(mapbase, "MAX_VECTOR_UNITS", 400)
    at = mapbase.save(maps.choropleth(generated_cells(400), "value", "Wert"), tmp_path / "v.html")
    html = at.read_text(encoding="utf-8")
    assert html.count('"type": "Feature"') == 400 and "L.imageOverlay(" not in html
    assert not re.search(r"\d Einheiten: als Rasterbild", html)   # no legend note
    over = mapbase.save(maps.choropleth(generated_cells(401), "value", "Wert", language="en"),
                     tmp_path / "r.html").read_text(encoding="utf-8")
    assert "L.imageOverlay(" in over and '"type": "Feature"' not in over
    assert "401 units: drawn as a raster image (over 400), no tooltips — values in" in over


@pytest.mark.slow
def test_just_below_the_real_threshold_draws_geojson(tmp_path):
    """20 000 GENERATED cells, exactly MAX_VECTOR_UNITS: still one feature per cell."""
    cells = generated_cells(mapbase.MAX_VECTOR_UNITS)
    html = mapbase.save(maps.choropleth(cells, "value", "Wert", scheme="Quantiles"),
                     tmp_path / "g.html").read_text(encoding="utf-8")
    assert html.count('"type": "Feature"') == mapbase.MAX_VECTOR_UNITS
    assert "L.imageOverlay(" not in html


def test_sampled_breaks_class_every_value():
    """More than CLASSIFY_SAMPLE values: breaks from a seeded sample, the same on every call,
    spanning all values, each value in the class whose bounds hold it."""
    values = np.random.default_rng(1).lognormal(0, 1, mapbase.CLASSIFY_SAMPLE * 3)
    upper, classes = mapbase.classify(values, "Quantiles", 5)
    assert upper[-1] == values.max()
    assert np.array_equal(upper, mapbase.classify(values, "Quantiles", 5)[0])
    lower = np.r_[-np.inf, upper[:-1]]
    assert ((values > lower[classes]) & (values <= upper[classes])).all()
    # quantiles of a sample: each class holds about a fifth of all values
    assert np.allclose(np.bincount(classes) / len(values), 0.2, atol=0.02)


def test_a_click_on_a_large_map_opens_the_listed_unit_under_it(large, tmp_path):
    """An image has no shapes to click: the map finds the unit of the priority list (the first
    MAX_SEARCH_UNITS ranks) under the click and opens its popup, named as the search names it
    (a grid cell by its Gemeinde); a cell beyond the list opens nothing."""
    from tests.browser import shared_browser, watch

    n = len(large)
    flags = pd.DataFrame({"status_class": "hoch", "status_index": 1.5,
                          "priority_rank": np.arange(1, n + 1), "reasons": "Status hoch",
                          "flagged": np.arange(n) < 10, "flag_reason": "Status"},
                         index=large.index)
    extra = pd.DataFrame({"name": [f"Adorf ({u})" for u in large["unit_name"]],
                          "group": "Kreis A", "profile": None}, index=large.index)
    words = mapbase.MapWords(title="Gitter (generiert)", unit="Gitterzelle")
    path = mapbase.save(maps.combined_map(large, flags, words=words, extra=extra),
                        tmp_path / "click.html")
    to_wgs = Transformer.from_crs(3035, 4326, always_xy=True)
    context = shared_browser().new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        problems = watch(page)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector("body[data-quartier-ready='1']")
        assert page.get_attribute("#q-search", "placeholder").startswith("Gitterzelle suchen")
        popups = []
        for k in (0, n - 1):
            lon, lat = to_wgs.transform(*centre(large, k))
            page.evaluate("([lat, lon]) => { window.quartier.map.closePopup();"
                          " window.quartier.map.setView([lat, lon], 16, {animate: false}); }",
                          [lat, lon])
            x, y = page.evaluate("""([lat, lon]) => {
                const m = window.quartier.map, p = m.latLngToContainerPoint([lat, lon]);
                const r = m.getContainer().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y]; }""", [lat, lon])
            page.mouse.click(x, y)
            page.wait_for_timeout(300)
            popups.append(page.locator(".leaflet-popup-content").all_inner_texts())
        assert len(popups[0]) == 1 and "Adorf (generiert 0)" in popups[0][0]
        assert "Nr. G000000 · Kreis A" in popups[0][0]
        assert popups[1] == []                    # rank 25,000: not in the list
        assert [e for e in problems if "net::" not in e and "Failed to load" not in e] == []
    finally:
        context.close()

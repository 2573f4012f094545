"""`quartier run` on the shipped census-grid config, clipped to the real Zensus 2011 cells of a
60 km square around Berlin: cells named by their Gemeinde and Kreis in the table, the CLI, the
report, the profiles and the map. The map's limits are lowered so that these 2,451 cells take the
path of Germany's 214,633 (an image, flagged outlines off, a click finds the cell); the whole
grid is run by hand (README, about 5 min)."""

from __future__ import annotations

import tomllib

import geopandas as gpd
import pandas as pd
import pytest
import tomli_w
from typer.testing import CliRunner

from quartier.cli import app
from quartier.outputs import mapbase, maps
from quartier.paths import DATA_DIR

GERMANY = DATA_DIR / "germany_1km"
#: 60 km around Berlin (EPSG:3035 m)
REGION = [4_520_000, 3_240_000, 4_580_000, 3_300_000]
#: the map limits for the region: an image above 1,000 units, flagged outlines off above 50
LIMITS = {"MAX_VECTOR_UNITS": 1_000, "FLAGGED_SHOWN_MAX": 50}


# a whole run on the real grid (~20 s): with the scale tests in make test-slow
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    raw = tomllib.loads((GERMANY / "quartier.toml").read_text(encoding="utf-8"))
    raw["units"]["grid"]["bbox"] = REGION
    raw["units"]["grid"]["path"] = str(GERMANY / raw["units"]["grid"]["path"])
    raw["report"]["place_names"]["path"] = str(GERMANY / raw["report"]["place_names"]["path"])
    for t in raw["tables"]:
        t["path"] = str(GERMANY / t["path"])
    out = tmp_path_factory.mktemp("grid_run")
    cfg = out / "region.toml"
    cfg.write_bytes(tomli_w.dumps(raw).encode("utf-8"))
    with pytest.MonkeyPatch.context() as patch:
        for module in (mapbase, maps):
            for name, value in LIMITS.items():
                patch.setattr(module, name, value)
        res = CliRunner().invoke(app, ["run", str(cfg), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, res.output


def test_region_cells_carry_their_gemeinde_everywhere(grid_run):
    out, printed = grid_run
    table = pd.read_csv(out / "priority.csv", dtype={"unit_id": str}, encoding="utf-8-sig",
                        low_memory=False)
    assert len(table) == 2_451
    assert list(table.columns[:4]) == ["unit_id", "unit_name", "place_name", "place_group"]
    assert table["place_name"].notna().all()
    assert {"Berlin", "Potsdam", "Havelland", "Oberhavel"} <= set(table["place_group"])
    top = table.loc[table["priority_rank"] == 1].iloc[0]
    assert "naming the units by the places in" in printed
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"{top['place_name']} (" in report and "<th>Kreis</th>" in report
    assert "© GeoBasis-DE / BKG 2016" in report                # the names' attribution
    profile = next((out / "profiles").glob(f"einheit_{top['unit_id']}.html"))
    page = profile.read_text(encoding="utf-8")
    assert f"{top['place_name']} (" in page and "Mittel aller Gitterzellen" in page


def test_region_map_click_opens_the_rank1_cell_with_its_gemeinde(grid_run):
    from tests.browser import shared_browser, watch

    out, _ = grid_run
    table = pd.read_csv(out / "priority.csv", dtype={"unit_id": str}, encoding="utf-8-sig",
                        low_memory=False)
    top = table.loc[table["priority_rank"] == 1].iloc[0]
    cell = gpd.read_file(out / "priority.gpkg", layer="priority",
                         where=f"unit_id = '{top['unit_id']}'")
    point = cell.geometry.representative_point().to_crs(4326).iloc[0]
    context = shared_browser().new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        problems = watch(page)
        page.goto((out / "quartier_map.html").as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_selector("body[data-quartier-ready='1']", timeout=120_000)
        # more flagged cells than the map outlines when it opens: that layer starts off
        flagged = int(table["flagged"].fillna(False).astype(bool).sum())
        assert flagged > LIMITS["FLAGGED_SHOWN_MAX"]
        assert "L.imageOverlay(" in (out / "quartier_map.html").read_text(encoding="utf-8")
        assert page.evaluate("window.quartier.layers.get('flagged').spec.show") is False
        assert page.get_attribute("#q-search", "placeholder").startswith("Gitterzelle suchen")
        page.evaluate("([lat, lon]) => window.quartier.map.setView([lat, lon], 13, "
                      "{animate: false})", [point.y, point.x])
        x, y = page.evaluate("""([lat, lon]) => {
            const m = window.quartier.map, p = m.latLngToContainerPoint([lat, lon]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""", [point.y, point.x])
        page.mouse.click(x, y)
        page.wait_for_selector(".leaflet-popup-content", timeout=10_000)
        popup = page.inner_text(".leaflet-popup-content")
        assert popup.startswith(f"{top['place_name']} (") and top["place_group"] in popup
        assert f"einheit_{top['unit_id']}.html" in page.inner_html(".leaflet-popup-content")
        assert [e for e in problems if "net::" not in e and "Failed to load" not in e] == []
    finally:
        context.close()

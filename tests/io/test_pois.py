"""POI layers: what a file may do wrong, and what an empty answer means. GENERATED data."""

from __future__ import annotations

import json

import pytest

from quartier.errors import InputDataError
from quartier.io.pois import load_pois
from quartier.pipeline.load import load_city
from quartier.pipeline.steps import compute_access
from tests.conftest import tiny_config

ACCESS = {"categories": {"kita": {"label": "Kita", "good_m": 500, "limit_m": 800},
                         "arzt": {"label": "Arzt", "good_m": 500, "limit_m": 800}}}
# a point inside unit 001 (tiny city near Berlin, EPSG:25833 390000/5820000 → lon/lat)
KITA = {"type": "node", "id": 1, "lat": 52.5196, "lon": 13.3924, "tags": {"amenity": "kindergarten"}}


def city(tmp_path, kita: object, arzt: object):
    for name, doc in (("kita", kita), ("arzt", arzt)):
        (tmp_path / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
    pois = [{"category": c, "path": f"{c}.json", "format": "overpass"} for c in ("kita", "arzt")]
    cfg = tiny_config(tmp_path, pois=pois, access=ACCESS)
    return cfg, load_city(cfg)[0]


@pytest.mark.parametrize("elements", [[1, 2, "x"], [KITA, None], [KITA, ["a"]], "x", [{"tags": 5}]])
def test_overpass_elements_that_are_not_objects_are_named(tmp_path, elements):
    """Issue 20.8: {"elements": [1, 2, "x"]} ended in a TypeError traceback."""
    cfg, units = city(tmp_path, {"elements": [KITA]}, {"elements": elements})
    with pytest.raises(InputDataError) as err:
        load_pois(cfg.pois, units, categories=list(cfg.access.categories) if cfg.access else None)
    msg = str(err.value)
    assert "arzt.json" in msg and "Overpass" in msg


def test_an_empty_overpass_answer_leaves_its_category_empty_and_says_so(tmp_path):
    """Issue 20.8: a valid empty answer was refused instead of skipped as the README promises."""
    empty = {"version": 0.6, "generator": "Overpass API", "elements": []}
    cfg, units = city(tmp_path, {"elements": [KITA]}, empty)
    pois, report = load_pois(cfg.pois, units, dedup_m=cfg.access.dedup_m if cfg.access else 50.0,
                             categories=list(cfg.access.categories) if cfg.access else None)
    assert pois["category"].tolist() == ["kita"]
    assert any("Kategorie Arzt" in w and "Entfernungen bleiben leer" in w
               for w in report.warnings)
    assert any("arzt.json" in w and "keine Einrichtungen" in w for w in report.warnings)
    res = compute_access(cfg, units)
    assert res.table["dist_arzt_m"].isna().all() and res.table["dist_kita_m"].notna().all()

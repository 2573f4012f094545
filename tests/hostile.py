"""A GENERATED hostile test city: every text that comes from data carries a payload.

16 units of 250 m in a 4 × 4 grid near Berlin (EPSG:25833), one indicator table, POIs (CSV,
WGS84) in two categories plus one configured category without any POI, the street block of
``tests/test_gaps.py`` with its one known building gap, two candidate sites. Unit names, POI
names, column labels, category labels, the city name and site names hold template syntax,
formulas, HTML, console markup and control characters; so do the names of the four places
(``[report.place_names]``) that name the units.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import tomli_w
from shapely.geometry import LineString, Point, box

from quartier.config import load_config

CRS = "EPSG:25833"
X0, Y0, SIZE = 390_000.0, 5_820_000.0, 250.0

#: Executes with folium's second Jinja2 pass unless neutralised: creates a folder "PROOF" in the
#: working directory (no quotes, no <>&: HTML escaping does not touch it).
RCE = "{{ lipsum.__globals__.os.mkdir(dict(PROOF=1)|first) }}"
#: The issue's payload, with quotes (HTML-escaped quotes used to break the template: traceback).
RCE_QUOTES = '{{ self.__init__.__globals__.__builtins__.__import__(dict(os=1)|first).system("touch PROOF") }}'
TEMPLATE = "{{7*7}}"
PAYLOADS = [
    TEMPLATE, RCE, RCE_QUOTES, "{% if true %}IF{% endif %}", "${7*7}`", "=1+1", "+49 30 1",
    "-2+3", "@SUM(A1)", "\tTab", "\rCR", "[/]", "[bold red]x[/]", "<script>alert(1)</script>",
    "Glocke\x07\x1b[31mrot", "Straße {#c#} C:\\users\\temp \\x3cb\\x3e",
]
#: Escape sequences a JS template literal would decode: an XSS through folium's tooltips and
#: popups unless the backslash is neutralised; "C:\users" breaks the whole script.
BACKSLASH = r"\x3cimg src=x onerror=document.body.className=666\x3e C:\users\temp"


def unit_names() -> list[str]:
    return [*PAYLOADS[:16], *[f"Quartier {i}" for i in range(16 - len(PAYLOADS[:16]))]]


def write_city(folder: Path, **overrides) -> dict:
    """Write the files into ``folder`` and return the raw config dict (see module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    cells = [(i, j) for j in range(4) for i in range(4)]
    units = gpd.GeoDataFrame(
        {"ID": [f"{k + 1:03d}" for k in range(16)], "NAME": unit_names()},
        geometry=[box(X0 + i * SIZE, Y0 + j * SIZE, X0 + (i + 1) * SIZE, Y0 + (j + 1) * SIZE)
                  for i, j in cells], crs=CRS)
    units.to_file(folder / "units.gpkg", driver="GPKG")
    rng = np.random.default_rng(7)
    # deprivation rises towards the north-east corner: a real hot spot there
    grad = np.array([i + j for i, j in cells], dtype=float)
    table = pd.DataFrame({"ID": units["ID"], "EW": (800 + 100 * rng.random(16)).round(0),
                          "SGB2": (5 + 4 * grad + rng.random(16)).round(2),
                          "ALQ": (3 + 2 * grad + rng.random(16)).round(2),
                          "KOMMENTAR": PAYLOADS[:16]})
    table.to_csv(folder / "table.csv", sep=";", decimal=",", index=False, lineterminator="\r\n")
    pts = gpd.GeoSeries([Point(X0 + 100 + 230 * k % 1000, Y0 + 80 + 170 * k % 1000)
                         for k in range(12)], crs=CRS).to_crs(4326)
    pois = pd.DataFrame({"lon": pts.x.round(7), "lat": pts.y.round(7),
                         "name": [PAYLOADS[k % len(PAYLOADS)] for k in range(12)],
                         "kind": ["kita", "supermarkt"] * 6})
    pois.to_csv(folder / "pois.csv", index=False, lineterminator="\r\n")
    # a block of 100 × 60 m with houses along the north street and a 20 m gap
    bx, by = X0 + 300, Y0 + 300
    streets = gpd.GeoDataFrame({"highway": ["residential"] * 4}, geometry=[
        LineString([(bx, by), (bx + 100, by)]), LineString([(bx + 100, by), (bx + 100, by + 60)]),
        LineString([(bx + 100, by + 60), (bx, by + 60)]), LineString([(bx, by + 60), (bx, by)])],
        crs=CRS)
    streets.to_file(folder / "streets.gpkg", driver="GPKG")
    houses = [box(bx + x, by + 35, bx + x + 12, by + 52) for x in (8, 20, 32, 64, 76)]
    gpd.GeoDataFrame(geometry=houses, crs=CRS).to_file(folder / "buildings.gpkg", driver="GPKG")
    gpd.GeoDataFrame({"landuse": ["park"]}, geometry=[box(bx, by, bx + 100, by + 30)],
                     crs=CRS).to_file(folder / "landuse.gpkg", driver="GPKG")
    gpd.GeoDataFrame(geometry=[box(bx - 20, by - 20, bx + 120, by + 80)], crs=CRS).to_file(
        folder / "area.gpkg", driver="GPKG")
    # four places (the quadrants of the city) name the units as Gemeinden name grid cells
    half = 2 * SIZE
    gpd.GeoDataFrame(
        {"GEN": [RCE_QUOTES, "=1+1 Gemeinde", "<script>alert(2)</script>", "[bold]Ort[/]"],
         "KREIS": [TEMPLATE, "@SUM(A1)", BACKSLASH, "Kreis\x07\x1b[31mrot"]},
        geometry=[box(X0 + i * half, Y0 + j * half, X0 + (i + 1) * half, Y0 + (j + 1) * half)
                  for j in range(2) for i in range(2)], crs=CRS).to_file(folder / "places.gpkg")
    sites = pd.DataFrame({"site_id": ["S1", "S2"], "name": [RCE, BACKSLASH],
                          "x": [X0 + 125, X0 + 875], "y": [Y0 + 125, Y0 + 875],
                          "capacity": [60, 60]})
    sites.to_csv(folder / "sites.csv", index=False)
    raw = {
        "city": {"name": f"Hostile {TEMPLATE} {RCE} [/]", "crs": CRS,
                 "sources": [f"Quelle {TEMPLATE} =1+1"]},
        "population_column": "ew",
        "units": {"path": "units.gpkg", "id_column": "ID", "id_width": 3, "name_column": "NAME"},
        "tables": [{"name": "t", "path": "table.csv", "sep": ";", "decimal": ",", "key": "ID",
                    "id_width": 3, "note_column": "KOMMENTAR", "columns": {
                        "EW": {"name": "ew", "label": f"Einwohner {TEMPLATE}"},
                        "SGB2": {"name": "share_sgb2_pct", "label": f"SGB II {RCE}", "unit": "%"},
                        "ALQ": {"name": "share_alq_pct", "label": "ALQ =1+1 [/]", "unit": "%"}}}],
        "index": {"status": [{"column": "share_sgb2_pct"}, {"column": "share_alq_pct"}],
                  "min_population": 0},
        "flag": {"permutations": 99, "thresholds": [{"column": "share_sgb2_pct", "value": 10}]},
        "pois": [{"category": "kita", "path": "pois.csv", "format": "csv", "x": "lon", "y": "lat",
                  "name_column": "name", "filter_column": "kind", "filter_values": ["kita"],
                  "source": f"OSM {TEMPLATE}"},
                 {"category": "supermarkt", "path": "pois.csv", "format": "csv", "x": "lon",
                  "y": "lat", "name_column": "name", "filter_column": "kind",
                  "filter_values": ["supermarkt"], "source": "=cmd|' /C calc'!A0"}],
        "access": {"categories": {
            "kita": {"label": f"Kita {TEMPLATE} {RCE}", "good_m": 300, "limit_m": 600},
            "supermarkt": {"label": "Markt [/] =1+1", "good_m": 300, "limit_m": 600},
            "arzt": {"label": "Arzt", "good_m": 500, "limit_m": 1000}}},
        "gaps": {"buildings": "buildings.gpkg", "streets": "streets.gpkg", "area": "area.gpkg",
                 "landuse": "landuse.gpkg",
                 "street_buffer_m": 6, "building_buffer_m": 1, "min_width_m": 8,
                 "min_area_m2": 100, "min_depth_m": 10},
        "sites": {"file": "sites.csv", "x": "x", "y": "y", "crs": CRS, "people": 40,
                  "from_gaps": False, "min_places": 20, "max_share_of_residents_pct": 50.0,
                  "min_distance_m": 0},
        "map": {"indicator": "share_sgb2_pct"},
        "report": {"place_names": {"path": "places.gpkg", "name_column": "GEN",
                                   "group_column": "KREIS"}},
    }
    raw.update(overrides)
    return raw


def hostile_config(folder: Path, **overrides):
    """Write the city and its ``cfg.toml`` (for the CLI); return the validated config."""
    raw = write_city(folder, **overrides)
    (folder / "cfg.toml").write_bytes(tomli_w.dumps(raw).encode("utf-8"))
    return load_config(folder / "cfg.toml")

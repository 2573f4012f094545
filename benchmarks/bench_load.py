"""Benchmark: load + join for Berlin (542 units) and for 54,200 GENERATED units (100×).

"plain" is what an analyst would write by hand with geopandas + pandas: read_file, read_csv with
the right options, merge — without the checks, the repairs and the join report that quartier adds.
Run: python benchmarks/bench_load.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from _common import best_of, generated_grid_units, report
from quartier.config import load_config, parse_config
from quartier.paths import BERLIN_CONFIG
from quartier.pipeline.load import load_city


def plain_berlin() -> gpd.GeoDataFrame:
    base = BERLIN_CONFIG.parent
    units = gpd.read_file(base / "lor/lor_planungsraeume_2021.gpkg", engine="pyogrio")
    mss = pd.read_csv(base / "mss/mss_2021_index_indikatoren_plr.csv", dtype={"PLR_ID": str},
                      na_values=["-9999"])
    ctx = pd.read_csv(base / "mss/mss_2021_kontext_indikatoren_anteile_plr_table4-1.csv", sep=";",
                      encoding="utf-8-sig", dtype={"PLR-ID": str})
    ew = pd.read_csv(base / "population/ewr_plr_2024-02_t2.csv", dtype=str)
    ew["PLR_ID"] = ew.iloc[:, :4].agg("".join, axis=1)
    out = units.merge(mss, on="PLR_ID", how="left").merge(ctx, left_on="PLR_ID", right_on="PLR-ID",
                                                           how="left")
    return out.merge(ew[["PLR_ID", "inhabitants"]], on="PLR_ID", how="left")


def main() -> None:
    cfg = load_config(BERLIN_CONFIG)
    ours = best_of(lambda: load_city(cfg), 5)
    plain = best_of(plain_berlin, 5)
    report("load+join Berlin (542 PLR, 3 tables)", ours, plain, "read_file+read_csv+merge")

    n = 54_200
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        units = generated_grid_units(n)
        units[["ID", "NAME", "geometry"]].to_file(tmp / "units.gpkg", engine="pyogrio")
        rng = np.random.default_rng(1)
        share = rng.uniform(0, 60, n).round(2)
        table = pd.DataFrame({"ID": units["ID"].str.lstrip("0"),  # lost leading zeros
                              "EW": [f"{v:,}".replace(",", " ") for v in units["pop"]],
                              "SGB2": [f"{v:.2f}".replace(".", ",") for v in share]})
        table.to_csv(tmp / "table.csv", sep=";", index=False, encoding="cp1252")
        gcfg = parse_config({
            "city": {"name": "generated", "crs": "EPSG:25833"},
            "units": {"path": "units.gpkg", "id_column": "ID", "id_width": 8, "name_column": "NAME"},
            "tables": [{"name": "t", "path": "table.csv", "sep": ";", "decimal": ",", "key": "ID",
                        "id_width": 8, "columns": {"EW": {"name": "ew"}, "SGB2": {"name": "sgb2"}}}],
        }, tmp)
        ours = best_of(lambda: load_city(gcfg), 3)

        def plain_gen():
            u = gpd.read_file(tmp / "units.gpkg", engine="pyogrio")
            t = pd.read_csv(tmp / "table.csv", sep=";", decimal=",", thousands=" ", encoding="cp1252",
                            dtype={"ID": str})
            t["ID"] = t["ID"].str.zfill(8)
            return u.merge(t, on="ID", how="left")

        plain = best_of(plain_gen, 3)
        report(f"load+join GENERATED ({n:,} units, 1 table)", ours, plain, "read_file+read_csv+merge")


if __name__ == "__main__":
    main()

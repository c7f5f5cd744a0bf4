"""Build the offline geocoding data shipped in ``data/geocoding`` from the GeoNames postal-code
export of the Netherlands in ``../shared/data-sources/geonames-nl-postcodes/NL.txt`` (4,334
rows, 4,086 PC4 codes; Postal code data © GeoNames (geonames.org), CC BY 4.0):

* ``pc4.csv``: one row per (PC4, place name) as GeoNames gives it — ``pc4``, ``place``,
  ``gm`` (the CBS municipality code the point lies in), ``lat``, ``lon`` (WGS84, 4 decimals,
  about 10 m);
* ``municipalities.csv``: ``gm`` and ``name`` of the 2025 municipalities (CBS, from the
  shipped ``data/boundaries/municipalities_2025.geojson``).

The municipality of a point is the 2025 CBS municipality polygon that holds it (the nearest
one for the few coastal points just outside every simplified polygon), not GeoNames' own code,
which predates some mergers. Run from the repository root:

    .venv/bin/python scripts/make_geocoding.py [path/to/NL.txt]
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data-sources" / "geonames-nl-postcodes" / "NL.txt"


def main(source: Path = SOURCE) -> None:
    raw = pd.read_csv(source, sep="\t", header=None, dtype={1: str, 6: str},
                      keep_default_na=False)
    points = pd.DataFrame({"pc4": raw[1].str.strip(), "place": raw[2].str.strip(),
                           "lat": raw[9].astype(float), "lon": raw[10].astype(float)})
    assert points.pc4.str.fullmatch(r"\d{4}").all()
    towns = gpd.read_file(ROOT / "data" / "boundaries" / "municipalities_2025.geojson")
    gdf = gpd.GeoDataFrame(points, geometry=gpd.points_from_xy(points.lon, points.lat),
                           crs="EPSG:4326")
    inside = gpd.sjoin(gdf, towns[["statcode", "geometry"]], how="left", predicate="within")
    inside = inside[~inside.index.duplicated()]
    missing = inside.statcode.isna()
    if missing.any():  # just outside the simplified coast: the nearest municipality
        metric = towns.to_crs("EPSG:28992")
        near = gpd.sjoin_nearest(gdf[missing].to_crs("EPSG:28992"),
                                 metric[["statcode", "geometry"]], how="left")
        near = near[~near.index.duplicated()]
        inside.loc[missing, "statcode"] = near.statcode
    points["gm"] = inside.statcode.to_numpy()
    points["lat"], points["lon"] = points.lat.round(4), points.lon.round(4)
    points = points.drop_duplicates(["pc4", "place"]).sort_values(["pc4", "place"])
    out = ROOT / "data" / "geocoding"
    out.mkdir(parents=True, exist_ok=True)
    points[["pc4", "place", "gm", "lat", "lon"]].to_csv(out / "pc4.csv", index=False)
    towns[["statcode", "statnaam"]].rename(columns={"statcode": "gm", "statnaam": "name"}) \
        .sort_values("gm").to_csv(out / "municipalities.csv", index=False)
    print(f"{out}: {len(points)} rows, {points.pc4.nunique()} PC4 codes, "
          f"{points.gm.nunique()} municipalities ({int(missing.sum())} points placed in the "
          f"nearest one)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)

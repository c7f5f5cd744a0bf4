"""Build the map background shipped in ``data/boundaries`` from the CBS copies in
``../shared/data-sources`` (CBS Gebiedsindelingen 2025, generalised, via PDOK; CC BY 4.0):
the 12 provinces and 342 municipalities, code and name only, geometries made valid and
simplified to 0.001° (provinces) and 0.0005° (municipalities), about 70–110 m and 35–55 m,
far below what a national or regional map shows,
coordinates written to 0.0001°. Run from the repository root:

    .venv/bin/python scripts/make_boundaries.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT.parent / "shared" / "data-sources"
INPUTS = {"provinces_2025": SOURCES / "cbs-provincies-2025-generalised" / "provinces.geojson",
          "municipalities_2025": SOURCES / "cbs-gemeenten-2025-generalised"
          / "gemeente_2025.geojson"}
GRID_DEG = 0.0001
TOLERANCE_DEG = {"provinces_2025": 0.001, "municipalities_2025": 0.0005}


def main() -> None:
    out = ROOT / "data" / "boundaries"
    out.mkdir(parents=True, exist_ok=True)
    for name, src in INPUTS.items():
        gdf = gpd.read_file(src)[["statcode", "statnaam", "geometry"]].to_crs("EPSG:4326")
        gdf["geometry"] = gdf.geometry.make_valid().simplify(TOLERANCE_DEG[name]).make_valid()
        # polygons only (making valid can leave slivers as lines), one feature per area
        parts = gdf.explode(index_parts=False)
        parts = parts[parts.geom_type.isin(["Polygon", "MultiPolygon"])]
        gdf = parts.dissolve("statcode", as_index=False, aggfunc="first")[
            ["statcode", "statnaam", "geometry"]].sort_values("statcode").reset_index(drop=True)
        gdf["geometry"] = shapely.set_precision(gdf.geometry.values, GRID_DEG)  # stays valid
        path = out / f"{name}.geojson"
        gdf.to_file(path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=4)
        assert gpd.read_file(path).geometry.is_valid.all(), path
        print(f"{path.relative_to(ROOT)}: {len(gdf)} features, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()

"""Map layers (GeoDataFrames in the scenario CRS), the GeoPackage and truck movements per
municipality (or any polygons).

Legs are drawn as straight lines between their nodes: the routes themselves are not known
(distances are straight line × circuity, a network shortest path or a matrix). A multi-stop
tour is one line through its stops in order (``tours``, ``baseline_tours``)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from clusteropt.report import tables
from clusteropt.tours import solution_tours

GEOMETRY_TYPES = {"sites": "Point", "hubs": "Point", "activities": "Point",
                  "legs": "LineString", "baseline_legs": "LineString",
                  "tours": "LineString", "baseline_tours": "LineString",
                  "municipalities": "MultiPolygon"}


def _points(df: pd.DataFrame, ids, xy, crs: str) -> gpd.GeoDataFrame:
    geom = [Point(xy[n]) if xy.get(n) else None for n in ids]
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=geom, crs=crs)


def site_layer(out) -> gpd.GeoDataFrame:
    df = tables.site_table(out)
    xy = tables.node_xy(out.scenario)
    return _points(df, df.site if len(df) else [], xy, out.scenario.crs)


def hub_layer(out) -> gpd.GeoDataFrame:
    df = tables.hub_table(out)
    xy = tables.node_xy(out.scenario)
    return _points(df, df.hub if len(df) else [], xy, out.scenario.crs)


def activity_layer(out) -> gpd.GeoDataFrame:
    """One point per activity at its chosen node; today's node and coordinates as
    attributes."""
    df = tables.activity_table(out)
    xy = tables.node_xy(out.scenario)
    return _points(df, df.chosen if len(df) else [], xy, out.scenario.crs)


def leg_layer(sc, legs: pd.DataFrame) -> gpd.GeoDataFrame:
    """One straight LineString per used leg and vehicle type (``tables.leg_table``)."""
    df = tables.leg_table(legs)
    xy = tables.node_xy(sc)
    geom = [LineString([xy[a], xy[b]]) if xy.get(a) and xy.get(b) else None
            for a, b in zip(df["from"], df["to"])]
    return gpd.GeoDataFrame(df, geometry=geom, crs=sc.crs)


def tour_layer(sc, sol) -> gpd.GeoDataFrame:
    """One LineString per tour and period, depot → stops in order → depot
    (``tables.tour_table``)."""
    df = tables.tour_table(sc, sol)  # its rows in the order of sol.tours
    xy = tables.node_xy(sc)
    paths = [path for *_, path in solution_tours(sc, sol).values()] if sol is not None else []
    geom = [LineString([xy[n] for n in path]) if all(xy.get(n) for n in path) else None
            for path in paths]
    return gpd.GeoDataFrame(df, geometry=geom, crs=sc.crs)


def read_boundaries(boundaries, crs: str) -> gpd.GeoDataFrame:
    """Polygons from a file (GeoJSON, GeoPackage, ...) or a GeoDataFrame, in ``crs``. A file
    without a CRS is taken as WGS84 lon/lat."""
    if isinstance(boundaries, gpd.GeoDataFrame):
        poly = boundaries.copy()
    else:
        poly = gpd.read_file(Path(boundaries), engine="pyogrio")
    if poly.crs is None:
        poly = poly.set_crs("EPSG:4326")
    poly = poly[poly.geometry.notna() & poly.geom_type.isin(["Polygon", "MultiPolygon"])]
    # a GeoPackage keeps its own feature id: keep the source's as source_fid
    poly = poly.rename(columns={c: f"source_{c.lower()}" for c in poly.columns
                                if isinstance(c, str) and c.lower() == "fid"})
    return poly.to_crs(crs).reset_index(drop=True)


OUTLINES = {"municipality": "municipalities_2025.geojson", "province": "provinces_2025.geojson"}
OUTLINES_CREDIT = "Boundaries: CBS, Gebiedsindelingen 2025 (via PDOK), CC BY 4.0"


def shipped_outlines(crs: str) -> gpd.GeoDataFrame:
    """The Dutch municipality and province outlines shipped in ``data/boundaries`` (CBS
    Gebiedsindelingen 2025, CC BY 4.0; ``OUTLINES_CREDIT``) in ``crs``, municipalities first;
    column ``_kind`` is "municipality" or "province", ``statnaam`` the name."""
    from clusteropt import defaults

    parts = []
    for kind, name in OUTLINES.items():
        part = read_boundaries(defaults.DATA_DIR / "boundaries" / name, crs)
        part["_kind"] = kind
        parts.append(part)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def municipality_layer(legs: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame,
                       baseline: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Annual truck movements per polygon: road legs (straight lines between nodes) that cross
    or start/end in it. ``trips`` = loaded + empty trips on those legs, ``trips_from_or_to``
    those with an end inside, ``trips_through`` the rest; ``truck_km`` = the legs' vehicle-km
    allocated by the share of the straight line inside the polygon, and the trucks' ``nox_kg``
    and ``pm10_kg`` likewise (where they are emitted matters for nitrogen deposition). With
    ``baseline`` (B0 legs) also B0's trips, truck-km and NOx and the saving (B0 − now, positive
    = fewer). Only polygons with trips (now or in B0)."""
    poly = polygons.reset_index(drop=True)
    res = _per_polygon(legs, poly)
    cols = ["trips", "trips_from_or_to", "trips_through", "truck_km", "nox_kg", "pm10_kg"]
    out = poly.copy()
    for c in cols:
        out[c] = res[c]
    keep = out.trips > 1e-9
    if baseline is not None:
        b = _per_polygon(baseline, poly)
        out["baseline_trips"] = b["trips"]
        out["baseline_truck_km"] = b["truck_km"]
        out["baseline_nox_kg"] = b["nox_kg"]
        out["saving_trips"] = out.baseline_trips - out.trips
        out["saving_truck_km"] = out.baseline_truck_km - out.truck_km
        out["saving_nox_kg"] = out.baseline_nox_kg - out.nox_kg
        keep |= out.baseline_trips > 1e-9
    out = out[keep].sort_values("trips", ascending=False).reset_index(drop=True)
    other = [c for c in out.columns if c != "geometry"]
    return gpd.GeoDataFrame(out[other], geometry=out.geometry, crs=poly.crs)


def _per_polygon(legs: gpd.GeoDataFrame, poly: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    n = len(poly)
    res = {c: np.zeros(n) for c in ("trips", "trips_from_or_to", "trips_through", "truck_km",
                                    "nox_kg", "pm10_kg")}
    road = legs[(legs["mode"] == "road") & legs.geometry.notna() & (legs.trips_total > 0)]
    if not len(road) or not n:
        return res
    lines = road.geometry.to_crs(poly.crs).values
    trips = road.trips_total.to_numpy(float)
    vkm = road.vehicle_km.to_numpy(float)
    nox = road.nox_kg.to_numpy(float) if "nox_kg" in road.columns else np.zeros(len(road))
    pm10 = road.pm10_kg.to_numpy(float) if "pm10_kg" in road.columns else np.zeros(len(road))
    tree = poly.sindex
    li, pi = tree.query(lines, predicate="intersects")
    if len(li):
        polys = poly.geometry.values
        inside = shapely.length(shapely.intersection(lines[li], polys[pi]))
        total = shapely.length(lines[li])
        share = np.where(total > 0, inside / np.where(total > 0, total, 1.0), 1.0)
        np.add.at(res["trips"], pi, trips[li])
        np.add.at(res["truck_km"], pi, vkm[li] * share)
        np.add.at(res["nox_kg"], pi, nox[li] * share)
        np.add.at(res["pm10_kg"], pi, pm10[li] * share)
        ends = shapely.union(shapely.get_point(lines[li], 0), shapely.get_point(lines[li], -1))
        touches = shapely.intersects(polys[pi], ends)
        np.add.at(res["trips_from_or_to"], pi[touches], trips[li][touches])
    res["trips_through"] = res["trips"] - res["trips_from_or_to"]
    return res


def outcome_layers(out, boundaries=None) -> tuple[dict[str, gpd.GeoDataFrame], list[str]]:
    """Every layer of one outcome and notes on what is missing. ``boundaries``: a polygon file
    or GeoDataFrame for the ``municipalities`` layer."""
    sc = out.scenario
    notes: list[str] = []
    legs = leg_layer(sc, out.results.legs)
    b = tables.baseline_of(out)
    if b is not None:
        base = leg_layer(sc, b[1].legs)
    else:
        base = leg_layer(sc, None)
        notes.append("baseline_legs is empty: " + (
            "the baseline (B0) solution is not kept on the Outcome, only its KPIs"
            if out.savings is not None else "no baseline (B0) was evaluated for this run"))
    layers = {"sites": site_layer(out), "activities": activity_layer(out), "legs": legs,
              "baseline_legs": base, "hubs": hub_layer(out),
              "tours": tour_layer(sc, out.solution),
              "baseline_tours": tour_layer(sc, b[0] if b is not None else None)}
    if legs.geometry.isna().any():
        notes.append("some legs have no geometry: their nodes have no coordinates")
    if boundaries is not None:
        poly = read_boundaries(boundaries, sc.crs)
        layers["municipalities"] = municipality_layer(legs, poly,
                                                      base if b is not None else None)
    return layers, notes


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    """All layers into one GeoPackage (replaced if it exists); empty layers are kept with
    their columns."""
    if path.exists():
        path.unlink()
    for name, gdf in layers.items():
        gdf = gdf.copy()
        for c in gdf.columns:
            if c != gdf.geometry.name and gdf[c].dtype == object:
                gdf[c] = _plain(gdf[c])
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                    geometry_type=GEOMETRY_TYPES.get(name),
                    promote_to_multi=True if name == "municipalities" else None)
    return path


def _plain(col: pd.Series) -> pd.Series:
    """An object column as numbers (all values numeric or missing) or text."""
    values = [v for v in col if v is not None and v == v]
    if values and all(isinstance(v, bool | np.bool_) for v in values):
        return col.map(lambda v: None if v is None or v != v else bool(v))
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool)
           for v in values):
        return pd.to_numeric(col, errors="coerce").astype(float)
    return col.map(lambda v: None if v is None or v != v else str(v))

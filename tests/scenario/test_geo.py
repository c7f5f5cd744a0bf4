"""Tests for clusteropt.geo: projection, straight-line distances and the road network."""

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString, Point

from clusteropt.geo import (
    GeoError,
    RoadNetwork,
    project_points,
    road_km_straight,
    straight_line_km,
    travel_time_h,
)

# --------------------------------------------------------------------------- projection

PLACES = {  # name: (lon, lat)
    "Naaldwijk": (4.2097, 51.9942),
    "Aalsmeer": (4.7597, 52.2592),
    "Venlo": (6.17, 51.37),
    "Groningen": (6.57, 53.22),
}


@pytest.mark.parametrize(
    "a, b",
    [("Naaldwijk", "Aalsmeer"), ("Naaldwijk", "Venlo"), ("Venlo", "Groningen"),
     ("Aalsmeer", "Groningen")],
)
def test_straight_line_matches_geodesic(a, b):
    lon = np.array([PLACES[a][0], PLACES[b][0]])
    lat = np.array([PLACES[a][1], PLACES[b][1]])
    x, y = project_points(lon=lon, lat=lat, source_crs=None)
    d = straight_line_km(x, y)
    geodesic_km = Geod(ellps="WGS84").inv(lon[0], lat[0], lon[1], lat[1])[2] / 1000
    assert d.shape == (2, 2)
    assert d[0, 0] == 0 and d[0, 1] == d[1, 0]
    assert d[0, 1] == pytest.approx(geodesic_km, rel=0.005)


def test_straight_line_rectangular_and_units():
    # 3-4-5 triangle in metres -> 5 m = 0.005 km
    d = straight_line_km([0.0, 3.0], [0.0, 4.0], [3.0, 0.0, 6.0], [4.0, 0.0, 8.0])
    np.testing.assert_allclose(d, [[0.005, 0.0, 0.010], [0.0, 0.005, 0.005]])


def test_circuity_multiplies_exactly():
    rng = np.random.default_rng(1)
    ax, ay, bx, by = rng.uniform(0, 300_000, (4, 7))
    straight = straight_line_km(ax, ay, bx, by)
    assert np.array_equal(road_km_straight(ax, ay, bx, by, circuity=1.3), straight * 1.3)
    assert np.array_equal(road_km_straight(ax, ay, bx, by, circuity=1.55), straight * 1.55)
    assert np.array_equal(road_km_straight(ax, ay), straight_line_km(ax, ay) * 1.3)


def test_travel_time():
    np.testing.assert_allclose(travel_time_h(np.array([80.0, np.inf]), 80.0), [1.0, np.inf])
    with pytest.raises(ValueError):
        travel_time_h(np.array([1.0]), 0.0)


def test_project_xy_in_other_crs_matches_lonlat():
    lon, lat = np.array([4.2097, 6.57]), np.array([51.9942, 53.22])
    x_ref, y_ref = project_points(lon=lon, lat=lat, source_crs="EPSG:4326")
    gs = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(3857)
    x, y = project_points(x=gs.x.to_numpy(), y=gs.y.to_numpy(), source_crs="EPSG:3857")
    np.testing.assert_allclose(x, x_ref, atol=1e-3)
    np.testing.assert_allclose(y, y_ref, atol=1e-3)


def test_point_outside_area_of_use_names_index():
    with pytest.raises(GeoError, match=r"indices \[2\].*EPSG:28992"):
        project_points(lon=[4.2, 5.0, 20.0], lat=[52.0, 52.1, 40.0], source_crs=None)


def test_many_points_outside_lists_first_ten():
    lon = np.full(15, 20.0)
    lat = np.full(15, 40.0)
    with pytest.raises(GeoError, match=r"\[0, 1, 2, 3, 4, 5, 6, 7, 8, 9\] \(and 5 more\)"):
        project_points(lon=lon, lat=lat, source_crs=None)


def test_swapped_lonlat_is_rejected():
    with pytest.raises(GeoError, match="outside"):
        project_points(lon=[51.9942], lat=[4.2097], source_crs=None)


def test_target_crs_must_be_projected_metres():
    with pytest.raises(GeoError, match="not a projected CRS in metres"):
        project_points(lon=[5.0], lat=[52.0], source_crs=None, target_crs="EPSG:4326")
    with pytest.raises(GeoError, match="not a projected CRS in metres"):
        project_points(lon=[5.0], lat=[52.0], source_crs=None, target_crs="EPSG:2229")  # feet


def test_bad_input_combinations():
    with pytest.raises(GeoError, match="source_crs is required"):
        project_points(x=[1.0], y=[2.0], source_crs=None)
    with pytest.raises(GeoError, match="not both"):
        project_points(lon=[5.0], lat=[52.0], x=[1.0], y=[2.0], source_crs=None)
    with pytest.raises(GeoError, match="non-finite"):
        project_points(lon=[5.0, np.nan], lat=[52.0, 52.0], source_crs=None)
    with pytest.raises(GeoError, match="Unknown"):
        project_points(lon=[5.0], lat=[52.0], source_crs=None, target_crs="EPSG:999999")


# --------------------------------------------------------------------------- road network
#
# Hand-made network in EPSG:28992, relative to (X0, Y0) in metres:
#
#   (0,1000) ---------top---------- (1000,1000)
#      |                         /       |
#    left (MultiLineString,   diagonal   right
#      2 parts via (0,500))    /         |
#      |                 /               |
#   (0.3,0.2)~(0,0) -----bottom------ (1000,0)
#
# The left side starts at (0.3, 0.2), 0.36 m from (0, 0): within the 1 m merge tolerance, so
# it is connected at the corner. Separate component: (5000,5000) -- (6000,5000).

X0, Y0 = 100_000.0, 450_000.0
SQRT2 = math.sqrt(2)


def _lines():
    rel = [
        LineString([(0, 0), (1000, 0)]),  # bottom
        LineString([(1000, 0), (1000, 1000)]),  # right (shares (1000,0) exactly)
        LineString([(0, 0), (1000, 1000)]),  # diagonal shortcut
        MultiLineString([[(0.3, 0.2), (0, 500)], [(0, 500), (0, 1000)]]),  # left
        LineString([(0, 1000), (1000, 1000)]),  # top
        LineString([(5000, 5000), (6000, 5000)]),  # disconnected
    ]
    return [shapely.affinity.translate(g, X0, Y0) for g in rel]


# Query points (relative m) and where they snap:
PTS = np.array(
    [
        (300, -40),  # 0: bottom at (300,0), snap 40
        (700, 25),  # 1: bottom at (700,0), snap 25
        (1030, 600),  # 2: right at (1000,600), snap 30
        (500, 500),  # 3: on the diagonal, snap 0
        (-50, 200),  # 4: left at ~(0,200), snap ~50
        (5500, 5010),  # 5: disconnected line at (5500,5000), snap 10
        (5800, 4990),  # 6: disconnected line at (5800,5000), snap 10
    ],
    dtype=float,
)


@pytest.fixture(scope="module")
def net():
    return RoadNetwork.from_lines(_lines(), crs="EPSG:28992")


def _dist(network, i, j):
    d = network.distance_km(PTS[[i], 0] + X0, PTS[[i], 1] + Y0, PTS[[j], 0] + X0, PTS[[j], 1] + Y0)
    assert d.shape == (1, 1)
    return d[0, 0] * 1000  # metres


def test_snap_distances(net):
    snap_m = net.snap_distance_km(PTS[:, 0] + X0, PTS[:, 1] + Y0) * 1000
    # point 4: the left segment runs (0.3,0.2)->(0,500), not exactly vertical -> ~50.18 m
    np.testing.assert_allclose(snap_m, [40, 25, 30, 0, 50, 10, 10], atol=0.5)
    np.testing.assert_allclose(snap_m[[0, 1, 2, 3, 5, 6]], [40, 25, 30, 0, 10, 10], atol=1e-6)


def test_same_segment_uses_along_distance(net):
    # both on the bottom segment: 40 + |700 - 300| + 25 = 465
    # (via the graph it would be 40 + 300 + 700 + 25 = 1065)
    assert _dist(net, 0, 1) == pytest.approx(465.0)


def test_path_through_corner_and_snap_at_both_ends(net):
    # 0 -> 2: 40 + (1000 - 300) along bottom + 600 up the right side + 30 = 1370
    assert _dist(net, 0, 2) == pytest.approx(1370.0)
    # 3 -> 0: diagonal down to (0,0) = 500*sqrt(2), then 300 along bottom, + 40 snap = 1047.107
    assert _dist(net, 3, 0) == pytest.approx(500 * SQRT2 + 300 + 40)
    # 3 -> 2: diagonal up to (1000,1000) = 500*sqrt(2), down 400, + 30 snap
    assert _dist(net, 3, 2) == pytest.approx(500 * SQRT2 + 400 + 30)


def test_merge_tolerance_connects_near_endpoints(net):
    # 4 -> 0 through the merged corner: 50 + 200 (down the left side) + 300 + 40 = 590.
    # The left segment starts at (0.3,0.2), so allow the 1 m merge tolerance.
    # Without merging the path would detour via the top: > 800 + 1000 + ...
    assert _dist(net, 4, 0) == pytest.approx(590.0, abs=1.0)


def test_no_merge_with_zero_tolerance():
    strict = RoadNetwork.from_lines(_lines(), crs="EPSG:28992", merge_tolerance_m=0.0)
    # The left side now dangles at (0.3,0.2). 4 -> 0 must go up the left side (800), along
    # the top (1000), down the right side (1000) and along the bottom to x=300 (700),
    # + snaps 50 + 40 = 3590; the diagonal route is longer: 800 + 1000 + 1000*sqrt(2) + 300.
    expected = 50 + 800 + 1000 + 1000 + 700 + 40
    assert _dist(strict, 4, 0) == pytest.approx(expected, abs=1.0)


def test_disconnected_is_inf(net):
    assert _dist(net, 0, 5) == np.inf
    assert _dist(net, 6, 3) == np.inf
    # both on the separate line: 10 + 300 + 10
    assert _dist(net, 5, 6) == pytest.approx(320.0)


def test_full_matrix_consistent(net):
    x, y = PTS[:, 0] + X0, PTS[:, 1] + Y0
    full = net.distance_km(x, y)
    assert full.shape == (7, 7)
    np.testing.assert_allclose(full, full.T)
    # a point to itself = access + egress = 2 x snap distance
    np.testing.assert_allclose(np.diag(full), 2 * net.snap_distance_km(x, y))
    # rectangular call, both orientations of the internal Dijkstra source choice
    np.testing.assert_allclose(net.distance_km(x[:2], y[:2], x, y), full[:2])
    np.testing.assert_allclose(net.distance_km(x, y, x[:2], y[:2]), full[:, :2])
    # network distance is never shorter than the straight line
    finite = np.isfinite(full)
    assert np.all(full[finite] >= straight_line_km(x, y)[finite] - 1e-9)


def test_parallel_duplicate_segments_take_shortest():
    # the same edge twice (once reversed) must not be summed by the sparse matrix
    lines = [LineString([(X0, Y0), (X0 + 1000, Y0)]), LineString([(X0 + 1000, Y0), (X0, Y0)]),
             LineString([(X0 + 1000, Y0), (X0 + 1000, Y0 + 500)])]
    net = RoadNetwork.from_lines(lines, crs="EPSG:28992")
    # (0,0) to (1000,500): 1000 + 500
    d = net.distance_km([X0], [Y0], [X0 + 1000], [Y0 + 500])
    assert d[0, 0] == pytest.approx(1.5)


def test_from_lines_crs_mismatch_and_bad_geometry():
    gs = gpd.GeoSeries(_lines(), crs=3857)
    with pytest.raises(GeoError, match="CRS mismatch"):
        RoadNetwork.from_lines(gs, crs="EPSG:28992")
    with pytest.raises(GeoError, match="Point"):
        RoadNetwork.from_lines([Point(X0, Y0), *_lines()], crs="EPSG:28992")


# --------------------------------------------------------------------------- files


def test_from_file_round_trip(net, tmp_path):
    x, y = PTS[:, 0] + X0, PTS[:, 1] + Y0
    expected = net.distance_km(x, y)
    gdf = gpd.GeoDataFrame({"name": list("brdltx")}, geometry=_lines(), crs="EPSG:28992")

    gpkg = tmp_path / "roads.gpkg"
    gdf.to_file(gpkg, layer="roads", driver="GPKG")
    from_gpkg = RoadNetwork.from_file(gpkg, layer="roads")
    np.testing.assert_allclose(from_gpkg.distance_km(x, y), expected, rtol=1e-6)

    geojson = tmp_path / "roads.geojson"
    gdf.to_crs(4326).to_file(geojson, driver="GeoJSON")
    from_geojson = RoadNetwork.from_file(geojson, target_crs="EPSG:28992")
    # GeoJSON stores degrees with limited decimals (~cm), hence the small atol for point 3,
    # which lies exactly on the network (expected 0 on the diagonal).
    np.testing.assert_allclose(from_geojson.distance_km(x, y), expected, rtol=1e-3, atol=1e-5)


def test_missing_file(tmp_path):
    with pytest.raises(GeoError, match="not found"):
        RoadNetwork.from_file(tmp_path / "nope.gpkg")


def test_file_with_points(tmp_path):
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[Point(5.0, 52.0), Point(5.1, 52.1)], crs=4326).to_file(path)
    with pytest.raises(GeoError, match=r"only LineString/MultiLineString.*2 Point"):
        RoadNetwork.from_file(path)


def test_unreadable_file(tmp_path):
    path = tmp_path / "garbage.gpkg"
    path.write_text("this is not a geopackage")
    with pytest.raises(GeoError, match="Could not read road network file"):
        RoadNetwork.from_file(path)

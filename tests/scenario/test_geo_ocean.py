"""Ocean-scale distances: great circle (pyproj Geod), sea lanes (searoute), the per-mode rule of
the lanes, and the refusal of a projected CRS that cannot measure the case.

Published sea distances used (nautical miles, 1 nm = 1.852 km), from the log of a Holland
America Line captain (Captain Albert, captainalbert.com, retrieved via the project's search):
Willemstad (Curaçao) → Oranjestad (Aruba) 89 nm ("17 April 2013; Oranjestad, Aruba": the
distance the ship uses, with a loop south of Willemstad), Aruba → Panama (Colón) 677 nm (captain's
log, page 9). No published Rotterdam → Willemstad figure could be retrieved offline; that leg is
bounded by the geodesic below and above (the sea path round Brittany and across the Atlantic is
longer than the geodesic by a few per cent, not by more than 10 %)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod

from clusteropt import geo
from clusteropt.errors import ScenarioError
from clusteropt.lanes import build_lanes
from clusteropt.scenario import scenario_from_dict

NM = 1.852  # km per nautical mile

# lon, lat (degrees) of container terminals and airports
ROTTERDAM = (4.05, 51.95)  # Maasvlakte
WILLEMSTAD = (-68.93, 12.11)
ORANJESTAD = (-70.04, 12.52)
COLON = (-79.88, 9.36)
AIRPORTS = {  # IATA: lon, lat (airport reference points, rounded to 0.01 degree)
    "AMS": (4.76, 52.31), "MIA": (-80.29, 25.79), "JFK": (-73.78, 40.64),
    "CUR": (-68.96, 12.19), "GRU": (-46.47, -23.44), "NRT": (140.39, 35.77),
    "LAX": (-118.41, 33.94), "AKL": (174.79, -37.01),
}


def haversine_km(a, b, r_km: float = 6371.0088) -> float:
    """Great circle on a sphere of the IUGG mean radius (an independent formula)."""
    (lo1, la1), (lo2, la2) = (np.radians(a), np.radians(b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        (lo2 - lo1) / 2) ** 2
    return 2 * r_km * math.asin(math.sqrt(h))


@pytest.mark.parametrize("a,b", [("AMS", "MIA"), ("AMS", "JFK"), ("AMS", "CUR"), ("AMS", "GRU"),
                                 ("NRT", "LAX"), ("AKL", "LAX")])
def test_great_circle_matches_pyproj_and_the_sphere(a, b):
    """The matrix holds pyproj's WGS84 geodesic for every pair (to a metre), across the
    antimeridian too (NRT–LAX, AKL–LAX); a spherical haversine agrees within 0.5 %."""
    ids = list(AIRPORTS)
    lon = [AIRPORTS[i][0] for i in ids]
    lat = [AIRPORTS[i][1] for i in ids]
    km = geo.great_circle_km(lon, lat)
    i, j = ids.index(a), ids.index(b)
    _, _, metres = Geod(ellps="WGS84").inv(*AIRPORTS[a], *AIRPORTS[b])
    assert km[i, j] == pytest.approx(metres / 1000.0, abs=1e-3)
    assert km[j, i] == pytest.approx(km[i, j], abs=1e-6)
    assert km[i, j] == pytest.approx(haversine_km(AIRPORTS[a], AIRPORTS[b]), rel=5e-3)
    assert km[i, i] == 0.0


def test_great_circle_refuses_a_bad_point():
    with pytest.raises(geo.GeoError, match="no valid lon/lat"):
        geo.great_circle_km([4.0, 200.0], [52.0, 10.0])


@pytest.fixture(scope="module")
def caribbean_km():
    pts = [ROTTERDAM, WILLEMSTAD, ORANJESTAD, COLON]
    return geo.sea_route_km([p[0] for p in pts], [p[1] for p in pts])


def test_sea_routes_match_published_caribbean_distances(caribbean_km):
    """Aruba → Colón, 677 nm published (module docstring): the sea-lane distance is within 5 %
    (661 nm with searoute 1.6). A short leg carries the absolute error of the two straight
    access legs from each port to its nearest network vertex (up to 10 nm each here):
    Willemstad → Oranjestad, 89 nm published, within 20 nm (102 nm with searoute 1.6)."""
    km = caribbean_km
    assert km[2, 3] == pytest.approx(677 * NM, rel=0.05), km[2, 3] / NM
    assert abs(km[1, 2] / NM - 89) <= 20, km[1, 2] / NM


def test_sea_route_rotterdam_willemstad_is_the_atlantic_crossing(caribbean_km):
    """Rotterdam → Willemstad: longer than the geodesic (7,791 km) and at most 10 % longer;
    symmetric; and shorter than Rotterdam → Colón, which lies further west."""
    km = caribbean_km
    gc = geo.great_circle_km(*zip(ROTTERDAM, WILLEMSTAD))[0, 1]
    assert gc < km[0, 1] <= 1.10 * gc
    assert km[1, 0] == km[0, 1]
    assert km[0, 1] < km[0, 3]
    assert np.all(np.diag(km) == 0.0)


def _doc(nodes, vehicles, distance=None, crs="EPSG:3857"):
    return {"name": "ocean", "crs": crs,
            "distance": distance or {"method": "great_circle", "circuity": 1.0},
            "tables": {
                "nodes": nodes,
                "activities": [{"id": "a", "node": nodes[0]["id"]},
                               {"id": "b", "node": nodes[-1]["id"]}],
                "commodities": [{"id": "goods", "load_class": "dry"}],
                "demands": [{"id": "d", "origin": "a", "destination": "b",
                             "commodity": "goods", "tonnes_per_period": 1}],
                "vehicles": vehicles}}


SHIP = {"id": "ship", "mode": "sea", "pricing": "tariff", "tariff_eur_per_tkm": 0.01,
        "speed_kmh": 30, "load_classes": "*"}
PLANE = {"id": "plane", "mode": "air", "pricing": "tariff", "tariff_eur_per_tkm": 0.2,
         "speed_kmh": 800, "load_classes": "*"}


def test_each_mode_measures_by_its_own_rule(tmp_path):
    """A port–airport city pair: the ship's leg is the sea-lane distance, the plane's the great
    circle, the scenario's own (great circle × 1.2) for road; a mode runs only between nodes
    that list it (inf elsewhere) and times follow the mode's distance."""
    nodes = [{"id": "rtm", "lat": ROTTERDAM[1], "lon": ROTTERDAM[0], "modes": "sea;air"},
             {"id": "cur", "lat": WILLEMSTAD[1], "lon": WILLEMSTAD[0], "modes": "sea;air"},
             {"id": "inland", "lat": 52.09, "lon": 5.12}]  # Utrecht: road only
    sc = scenario_from_dict(_doc(nodes, [SHIP, PLANE], {"method": "great_circle",
                                                        "circuity": 1.2}), base_dir=tmp_path)
    lanes = build_lanes(sc)
    gc = geo.great_circle_km(*zip(ROTTERDAM, WILLEMSTAD))[0, 1]
    sea = geo.sea_route_km(*zip(ROTTERDAM, WILLEMSTAD))[0, 1]
    assert lanes.distance("rtm", "cur", "air") == pytest.approx(gc)
    assert lanes.distance("rtm", "cur", "sea") == pytest.approx(sea)
    assert lanes.distance("rtm", "cur") == pytest.approx(1.2 * gc)
    assert lanes.distance("rtm", "cur", "road") == pytest.approx(1.2 * gc)
    assert lanes.time("rtm", "cur", 30.0, "sea") == pytest.approx(sea / 30.0)
    assert math.isinf(lanes.distance("rtm", "inland", "sea"))
    assert math.isinf(lanes.distance("inland", "cur", "air"))
    table = lanes.table().set_index(["from", "to"])
    assert table.loc[("rtm", "cur"), "distance_km_sea"] == pytest.approx(sea)


def test_a_mode_node_without_coordinates_is_an_error_at_its_row(tmp_path):
    """Sea distances need lat/lon: a matrix scenario's port without them is named."""
    (tmp_path / "m.csv").write_text("from,to,distance_km\nrtm,cur,8000\ncur,rtm,8000\n")
    nodes = [{"id": "rtm", "modes": "sea"}, {"id": "cur", "modes": "sea"}]
    sc = scenario_from_dict(_doc(nodes, [SHIP], {"method": "matrix", "file": "m.csv"}),
                            base_dir=tmp_path)
    with pytest.raises(ScenarioError, match="node 'rtm'.*needs its lat and lon"):
        build_lanes(sc)


def test_a_crs_that_distorts_the_case_is_refused(tmp_path):
    """Straight lines in Web Mercator between Rotterdam and Willemstad are far off the geodesic:
    the lanes stop with an error on crs that names the pair and the way out."""
    nodes = [{"id": "rtm", "lat": ROTTERDAM[1], "lon": ROTTERDAM[0]},
             {"id": "cur", "lat": WILLEMSTAD[1], "lon": WILLEMSTAD[0]}]
    truck = {"id": "truck", "mode": "road", "pricing": "tariff", "tariff_eur_per_tkm": 0.1,
             "load_classes": "*"}
    sc = scenario_from_dict(_doc(nodes, [truck], {"method": "straight_line"}),
                            base_dir=tmp_path)
    with pytest.raises(ScenarioError) as err:
        build_lanes(sc)
    text = str(err.value)
    assert "crs" in text and "'rtm' → 'cur'" in text and "great_circle" in text


def test_the_distortion_of_a_national_grid_at_home_is_small():
    """RD New over the Netherlands: straight lines within 0.1 % of the geodesic."""
    lon = np.array([3.6, 4.3, 5.1, 6.9, 5.7])
    lat = np.array([51.4, 52.1, 53.3, 53.2, 50.8])
    x, y = geo.project_points(lon=lon, lat=lat)
    err, _, _ = geo.projection_distortion(lon, lat, x, y)
    assert err < 1e-3


def test_cli_refuses_the_distorting_crs_with_exit_2(tmp_path):
    """From the command line: exit status 2, one problem naming the file and key, no
    traceback, nothing written."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    nodes = [{"id": "rtm", "lat": ROTTERDAM[1], "lon": ROTTERDAM[0]},
             {"id": "cur", "lat": WILLEMSTAD[1], "lon": WILLEMSTAD[0]}]
    doc = _doc(nodes, [{"id": "truck", "mode": "road", "pricing": "tariff",
                        "tariff_eur_per_tkm": 0.1, "load_classes": "*"}],
               {"method": "straight_line"})
    (tmp_path / "ocean.yaml").write_text(yaml.safe_dump(doc))
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run([str(Path(sys.executable).parent / "clusteropt"), "run",
                          str(tmp_path / "ocean.yaml"), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert res.returncode == 2, res.stderr
    assert "ocean.yaml, key 'crs'" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()

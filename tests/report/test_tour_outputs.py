"""Tours in the outputs (issue 21): the GeoPackage has a line per tour through its stops in
order, results.xlsx a tours sheet (stops in order, load per stop, runs, km, hours), the map a
polyline per tour, and the KPIs count a tour run as one trip over its whole km."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from clusteropt.report import write_outcome_report
from clusteropt.report.webmap import webmap_data
from clusteropt.run import run_scenario
from clusteropt.scenario import scenario_from_dict

# four growers around Naaldwijk and the auction (lon, lat); 2 t a week each, 20 t truck
POINTS = {"auction": (4.2075, 51.9850), "g1": (4.1500, 52.0100), "g2": (4.1550, 52.0150),
          "g3": (4.2600, 52.0300), "g4": (4.2650, 52.0350)}


def _scenario(tmp: Path):
    nodes = [{"id": n, "kind": "location", "lon": lon, "lat": lat}
             for n, (lon, lat) in POINTS.items()]
    acts = [{"id": f"f_{n}", "node": n} for n in POINTS]
    dems = [{"id": f"d_{n}", "origin": f"f_{n}", "destination": "f_auction",
             "commodity": "flowers", "tonnes_per_period": 2.0} for n in POINTS if n != "auction"]
    doc = {"name": "tour-outputs", "crs": "EPSG:28992", "periods": [{"id": "wk", "weight": 52}],
           "distance": {"method": "straight_line", "circuity": 1.3},
           "options": {"gap_rel": 0.0, "time_limit_s": None, "empty_share": 0.3},
           "tables": {"nodes": nodes, "activities": acts,
                      "commodities": [{"id": "flowers", "load_class": "plants",
                                       "tour": "collect"}],
                      "demands": dems,
                      "vehicles": [{"id": "truck", "payload_t": 20, "cost_eur_per_km": 1.0,
                                    "cost_eur_per_h": 0.0, "speed_kmh": 50}]}}
    return scenario_from_dict(doc, base_dir=tmp, path=tmp / "scenario.yaml")


@pytest.fixture(scope="module")
def toured(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tours")
    out = run_scenario(_scenario(tmp))
    folder = tmp / "report"
    write_outcome_report(out, folder)
    return out, folder


def test_one_tour_serves_all_four(toured):
    out, _ = toured
    assert out.check.passed, out.check.violations
    tours = out.solution.tours
    assert len(tours) == 1 and sorted(tours.stops.iloc[0].split(";")) == ["g1", "g2", "g3",
                                                                         "g4"]
    assert out.solution.trips.empty
    k = out.results.kpis
    assert k["vehicle_trips"] == pytest.approx(52.0)  # one run a week
    assert k["truck_km"] == pytest.approx(52.0 * tours.km.iloc[0])
    assert k["load_factor"] > 0.0


def test_geopackage_line_through_the_stops(toured):
    out, folder = toured
    layer = gpd.read_file(folder / "results.gpkg", layer="tours")
    assert len(layer) == 1
    line = layer.geometry.iloc[0]
    stops = out.solution.tours.stops.iloc[0].split(";")
    assert len(line.coords) == len(stops) + 2  # depot, stops in order, depot
    assert line.coords[0] == line.coords[-1]
    assert layer.stops.iloc[0] == " → ".join(stops)
    assert layer.runs.iloc[0] == pytest.approx(52.0)
    base = gpd.read_file(folder / "results.gpkg", layer="baseline_tours")
    assert len(base) == 1  # today (B0) is toured by the same rules


def test_workbook_tours_sheet(toured):
    out, folder = toured
    sheets = pd.read_excel(folder / "results.xlsx", sheet_name=None)
    sheet = sheets["tours"]
    assert len(sheet) == 1
    per_stop = sheet["load_per_stop_t [t per run]"].iloc[0]
    assert per_stop.count(": 2.00") == 4
    assert sheet["hours_per_run [h]"].iloc[0] == pytest.approx(out.solution.tours.hours.iloc[0])


def test_map_draws_the_tour(toured):
    out, _ = toured
    data = webmap_data(out)
    optimum = [lay for lay in data["layers"] if lay["id"] == "optimum"][0]
    assert len(optimum["tours"]) == 1
    assert len(optimum["tours"][0]["coords"]) == 6
    assert "g1" in optimum["tours"][0]["popup"]

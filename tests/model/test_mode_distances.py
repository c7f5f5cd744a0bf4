"""Distances per mode (issue 24, item 4): a barge or rail lane uses its own km (matrix
columns distance_km_barge / distance_km_rail, or straight line × the mode's circuity) in cost,
CO2 and time; a missing mode distance falls back to the road km × circuity_mode / circuity."""

from __future__ import annotations

import pytest
from factories import optimise

from clusteropt.check import check_solution
from clusteropt.lanes import build_lanes
from clusteropt.results import flow_lead_times
from clusteropt.scenario import scenario_from_dict

BARGE = {"id": "barge", "mode": "barge", "pricing": "tariff", "tariff_eur_per_tkm": 0.02,
         "co2_ttw_kg_per_tkm": 0.03, "wtw_ttw_ratio": 1.2, "speed_kmh": 10,
         "load_classes": "bulk"}
# a → b: road 100 km, waterway 150 km (given); a → c: road 60 km, no waterway km given
MATRIX = ("from,to,distance_km,time_h,distance_km_barge\n"
          "a,b,100,1.5,150\nb,a,100,1.5,150\na,c,60,0.9,\nc,a,60,0.9,\n")


def _doc(distance, tables_extra=None, vehicles=(BARGE,)):
    return {"name": "modes", "interest_rate": 0.0, "lifetime_years": 10,
            "options": {"gap_rel": 0.0, "time_limit_s": None},
            "distance": distance,
            "tables": {"nodes": [{"id": "a", "modes": "road;barge"},
                                 {"id": "b", "modes": "road;barge"},
                                 {"id": "c", "modes": "road;barge"}],
                       "activities": [{"id": "quarry", "node": "a"}, {"id": "plant", "node": "b"},
                                      {"id": "yard", "node": "c"}],
                       "commodities": [{"id": "sand", "load_class": "bulk"}],
                       "demands": [{"id": "ab", "origin": "quarry", "destination": "plant",
                                    "commodity": "sand", "tonnes_per_period": 100},
                                   {"id": "ac", "origin": "quarry", "destination": "yard",
                                    "commodity": "sand", "tonnes_per_period": 100}],
                       "vehicles": list(vehicles), **(tables_extra or {})}}


def _matrix_case(tmp_path, **distance):
    (tmp_path / "lanes.csv").write_text(MATRIX)
    doc = _doc({"method": "matrix", "file": "lanes.csv", **distance})
    sc = scenario_from_dict(doc, base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    return sc, build_lanes(sc)


def test_barge_lane_uses_its_own_distance_in_cost_co2_and_time(tmp_path):
    # a → b by barge over 150 km (not the 100 road km): 100 t × 150 km = 15,000 tkm/wk;
    # cost 0.02 × 15,000 = 300 €/wk; CO2 TTW 0.03 × 15,000 = 450 kg, WTW × 1.2 = 540 kg;
    # time 150 km / 10 km/h = 15 h (the matrix's time_h 1.5 h is the road's).
    # a → c has no waterway km: 60 road km × 1.3 / 1.3 = 60 km; 6,000 tkm, 120 €/wk, 180 kg;
    # it has no barge km of its own, so the lane's time_h (0.9 h) still applies.
    sc, lanes = _matrix_case(tmp_path)
    assert lanes.distance("a", "b", "barge") == 150 and lanes.distance("a", "b") == 100
    assert lanes.distance("a", "c", "barge") == 60
    report, sol, res = optimise(sc, lanes)
    assert res.kpis["tonne_km"] == pytest.approx(21_000 * 52)
    assert res.kpis["transport_cost_eur"] == pytest.approx(420 * 52)
    assert report.objective == pytest.approx(420 * 52)
    assert res.kpis["co2_ttw_t"] == pytest.approx(0.63 * 52)
    assert res.kpis["co2_wtw_t"] == pytest.approx(0.756 * 52)
    lead = flow_lead_times(sc, lanes, sol).set_index("demand").lead_time_h
    assert lead["ab"] == pytest.approx(15.0) and lead["ac"] == pytest.approx(0.9)
    legs = res.legs.set_index(["from", "to"]).distance_km
    assert legs["a", "b"] == 150
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations
    assert chk.kpis["tonne_km"] == pytest.approx(res.kpis["tonne_km"])
    assert chk.kpis["transport_cost_eur"] == pytest.approx(420 * 52)


def test_missing_mode_distance_falls_back_to_the_documented_circuity(tmp_path):
    # circuity 1.3 (road), circuity_barge 1.5: a → c 60 road km → 60 × 1.5 / 1.3 = 69.23 km
    sc, lanes = _matrix_case(tmp_path, circuity_barge=1.5)
    assert lanes.distance("a", "c", "barge") == pytest.approx(60 * 1.5 / 1.3)
    assert lanes.distance("a", "b", "barge") == 150  # given: no circuity


def test_straight_line_scenarios_use_each_modes_circuity(tmp_path):
    # a (0, 0) and b (30 km, 40 km) in RD New: 50 km straight; road × 1.3 = 65,
    # barge × 1.5 = 75, rail × its default 1.3 = 65.
    rail = {"id": "rail", "mode": "rail", "pricing": "tariff", "tariff_eur_per_tkm": 0.03,
            "load_classes": "bulk"}
    doc = _doc({"method": "straight_line", "circuity": 1.3, "circuity_barge": 1.5},
               vehicles=(BARGE, rail))
    pts = {"a": (0, 0), "b": (30_000, 40_000), "c": (0, 10_000)}
    for node in doc["tables"]["nodes"]:
        node["x"], node["y"] = (pts[node["id"]][0] + 100_000, pts[node["id"]][1] + 400_000)
        node["modes"] = "road;barge;rail"
    sc = scenario_from_dict(doc, base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    lanes = build_lanes(sc)
    assert lanes.distance("a", "b") == pytest.approx(65)
    assert lanes.distance("a", "b", "barge") == pytest.approx(75)
    assert lanes.distance("a", "b", "rail") == pytest.approx(65)
    report, sol, res = optimise(sc, lanes)
    # barge 0.02 × 75 = 1.5 €/t beats rail 0.03 × 65 = 1.95 €/t on a → b
    assert res.legs.set_index(["from", "to"]).loc[("a", "b"), "vehicle"] == "barge"
    assert check_solution(sc, lanes, sol).passed

"""Small cases solved by hand: the optimum and the KPIs must equal the arithmetic in comments.

Distances come from an explicit matrix built from made-up planar points (so the triangle
inequality holds); one truck type with round numbers: payload 10 t, 1 €/km, no hourly cost,
CO2 0.5 kg/km empty and 1.0 kg/km full (TTW), WTW/TTW 1.2; one week × 52."""

from __future__ import annotations

import math

import pytest
from factories import growers_case, hand_scenario, optimise

from clusteropt.model import Switches, build
from clusteropt.solve import solve


def test_gateway_trips_bring_share_empties(tmp_path):
    # 25 t/week to a port 100 km away: ceil(25/10) = 3 trips; e = 0.2 → ρ = 0.25 empty per trip.
    sc, lanes = hand_scenario(
        tmp_path, {"farm": (0, 0), "port": (100, 0)},
        nodes=[{"id": "farm"}, {"id": "port", "kind": "gateway"}],
        activities=[{"id": "grower", "node": "farm"}, {"id": "export", "node": "port"}],
        commodities=[{"id": "veg", "load_class": "food"}],
        demands=[{"id": "d", "origin": "grower", "destination": "export", "commodity": "veg",
                  "tonnes_per_period": 25}])
    report, sol, res = optimise(sc, lanes)
    # cost/week = 3 × (100 + 0.25 × 100) = 375 → × 52 = 19,500
    assert report.objective == pytest.approx(19_500)
    k = res.kpis
    assert k["vehicle_trips"] == pytest.approx(3 * 52)
    assert k["truck_km_loaded"] == pytest.approx(300 * 52)
    assert k["truck_km_empty"] == pytest.approx(75 * 52)
    # CO2/week = 3 × 1.25 × 0.5 × 100 + (1.0 − 0.5) × 100 × 25 / 10 = 187.5 + 125 = 312.5 kg
    assert k["co2_ttw_t"] == pytest.approx(312.5 * 52 / 1000)
    assert k["co2_wtw_t"] == pytest.approx(312.5 * 52 * 1.2 / 1000)
    assert k["tonne_km"] == pytest.approx(25 * 100 * 52)


@pytest.mark.parametrize("manure_t, week_cost, empties", [(20, 200, 0), (30, 262.5, 0.25)])
def test_feed_out_manure_back_share_trucks(tmp_path, manure_t, week_cost, empties):
    # Feed 20 t mill → farm, manure back farm → mill, 50 km; one truck type carries both
    # (one load class per trip). 20/20: 2 + 2 loaded trips, balanced: 4 × 50 = 200 €/week.
    # 30 t manure: 3 trips out, 2 back loaded; the third is closed by the market for
    # ρ = 0.25 empty trips (12.5 km), cheaper than its own empty return (50 km):
    # 5 × 50 + 12.5 = 262.5 €/week.
    sc, lanes = hand_scenario(
        tmp_path, {"farm": (0, 0), "mill": (50, 0)},
        nodes=[{"id": "farm"}, {"id": "mill"}],
        activities=[{"id": "pigs", "node": "farm"}, {"id": "feedmill", "node": "mill"}],
        commodities=[{"id": "feed", "load_class": "feed"},
                     {"id": "manure", "load_class": "manure"}],
        demands=[{"id": "f", "origin": "feedmill", "destination": "pigs", "commodity": "feed",
                  "tonnes_per_period": 20},
                 {"id": "m", "origin": "pigs", "destination": "feedmill",
                  "commodity": "manure", "tonnes_per_period": manure_t}])
    report, sol, res = optimise(sc, lanes)
    assert report.objective == pytest.approx(week_cost * 52)
    assert res.kpis["truck_km_empty"] == pytest.approx(empties * 50 * 52)
    # manure never shares a trip with feed: each trips row carries one load class
    assert set(sol.trips.load_class) == {"feed", "manure"}
    # the same placement without sharing, every trip returning empty, costs twice the km
    _, _, unshared = optimise(sc, lanes, Switches(bundling=False, empty_rule="dedicated"))
    loaded = 2 + math.ceil(manure_t / 10)
    assert unshared.kpis["transport_cost_eur"] == pytest.approx(2 * loaded * 50 * 52)
    assert unshared.kpis["transport_cost_eur"] >= res.kpis["transport_cost_eur"]


def test_colocated_exchange_has_no_road_km(tmp_path):
    # Two firms on one park exchange 40 t/week of pulp; internal cost 2 €/t → 80 €/week.
    sc, lanes = hand_scenario(
        tmp_path, {"park": (0, 0), "elsewhere": (30, 0)},
        nodes=[{"id": "park"}, {"id": "elsewhere"}],
        activities=[{"id": "starch", "node": "park"}, {"id": "feedco", "node": "park"}],
        commodities=[{"id": "pulp", "load_class": "bulk", "internal_cost_eur_per_t": 2.0}],
        demands=[{"id": "x", "origin": "starch", "destination": "feedco", "commodity": "pulp",
                  "tonnes_per_period": 40}])
    report, sol, res = optimise(sc, lanes)
    assert report.objective == pytest.approx(80 * 52)
    assert res.kpis["truck_km"] == 0
    assert res.kpis["internal_cost_eur"] == pytest.approx(80 * 52)
    assert res.kpis["co2_wtw_t"] == 0


@pytest.mark.parametrize("cap_s2, expected, at_s1, at_s2", [
    # all three at S2: 3 × (2,080 + 1,000) + 2,000 = 11,240
    (30, 11_240, 0, 3),
    # S2 takes two: best is two at S1 and one at S2: 2 × 2,040 + 3,080 + 7,000 = 14,160
    (20, 14_160, 2, 1),
])
def test_two_sites_three_growers(tmp_path, cap_s2, expected, at_s1, at_s2):
    sc, lanes = growers_case(tmp_path, cap_s2)
    report, sol, res = optimise(sc, lanes)
    assert report.objective == pytest.approx(expected)
    placed = list(sol.placement.values())
    assert placed.count("s1") == at_s1 and placed.count("s2") == at_s2
    assert res.kpis["total_cost_eur"] == pytest.approx(expected)


@pytest.mark.parametrize("factor, expected, moved", [
    # relocation 1,000 f €/yr per grower; cap_s2 = 30 ha takes all three.
    # f = 0: all three at S2 for free: 3 × 2,080 + 2,000 = 8,240 (S1 for two and S2 for one:
    #        2 × 1,040 + 5,000 + 2,080 + 2,000 = 11,160 is dearer)
    (0.0, 8_240, 3),
    # f = 9: at S2 a grower pays 2,080 + 9,000 = 11,080 > 10,400 at home: nobody moves,
    #        3 × 10,400 = 31,200
    (9.0, 31_200, 0),
])
def test_relocation_cost_factor_scales_every_move(tmp_path, factor, expected, moved):
    sc, lanes = growers_case(tmp_path, 30, options={"relocation_cost_factor": factor})
    assert sc.activities["g1"].reloc_cost_eur == {"h1": 0.0, "s1": 10_000 * factor,
                                                  "s2": 10_000 * factor}
    report, sol, res = optimise(sc, lanes)
    assert report.objective == pytest.approx(expected)
    assert sum(sol.placement[g] != f"h{g[1]}" for g in ("g1", "g2", "g3")) == moved
    assert res.kpis["total_cost_eur"] == pytest.approx(expected)


def test_site_count_limit(tmp_path):
    # With at most one site and S2 capped at 20 ha: S2 with two growers saves
    # 2 × 7,320 − 2,000 = 12,640 and beats S1 with two (2 × 8,360 − 5,000 = 11,720):
    # total = 31,200 − 12,640 = 18,560.
    sc, lanes = growers_case(tmp_path, 20, site_rules={"max_open": 1})
    report, sol, _ = optimise(sc, lanes)
    assert report.objective == pytest.approx(18_560)
    assert sum(sol.open_sites.values()) == 1
    # no site at all: everyone stays, 3 × 10,400
    sc, lanes = growers_case(tmp_path, 20, site_rules={"max_open": 0})
    report, sol, _ = optimise(sc, lanes)
    assert report.objective == pytest.approx(31_200)
    assert sorted(sol.placement[g] for g in ("g1", "g2", "g3")) == ["h1", "h2", "h3"]


def test_thread_count_may_change_between_solves(tmp_path):
    # HiGHS keeps one thread scheduler per process; a later solve with another thread count
    # used to stop with no status. The same model solves under 2, 1 and default threads.
    sc, lanes = growers_case(tmp_path, 30)
    for threads in (2, 1, None):
        model = build(sc, lanes)
        report = solve(model, gap_rel=0.0, time_limit_s=None, threads=threads)
        assert report.status == "optimal"
        assert report.objective == pytest.approx(11_240)

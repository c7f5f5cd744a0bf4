"""Results per firm: the allocation of shared transport to the firms sums to the scenario's
totals and splits a shared trip by tonne-km; the break-even relocation cost is where the
firm's own decision flips (the others' fixed)."""

from __future__ import annotations

import pytest
from factories import SCENARIOS, growers_case, hand_scenario

from clusteropt.allocation import firm_results
from clusteropt.breakeven import break_even
from clusteropt.model import Switches
from clusteropt.run import run_scenario
from clusteropt.scenario import load_scenario

TOTALS = ("transport_cost_eur", "truck_km", "vehicle_trips", "co2_ttw_t", "co2_wtw_t",
          "tonne_km", "handling_cost_eur", "internal_cost_eur", "disposal_cost_eur",
          "carbon_cost_eur")


@pytest.mark.parametrize("name", ["westland-mini", "kuijpers-kip", "europark-coevorden",
                                  "verkassen-agriport-a7",
                                  pytest.param("verkassen", marks=pytest.mark.slow),
                                  pytest.param("zuid-groningen", marks=pytest.mark.slow),
                                  pytest.param("a1-eiwitcorridor", marks=pytest.mark.slow)])
def test_the_firms_sum_to_the_totals(name):
    sc = load_scenario(SCENARIOS / f"{name}.yaml")
    out = run_scenario(sc)
    for sol, kpis in ((out.solution, out.results.kpis),
                      (out.baseline_solution, out.baseline_results.kpis)):
        firms = firm_results(sc, out.lanes, sol)
        for key in TOTALS:
            assert firms[key].sum() == pytest.approx(kpis[key], rel=1e-9, abs=1e-6), key
    # the outcome carries today, the option and the saving per firm
    f = out.firms.set_index("activity")
    assert (f.saving_logistics_cost_eur == f.today_logistics_cost_eur
            - f.logistics_cost_eur).all()


def test_a_shared_trip_is_split_by_tonne_km(tmp_path):
    # Growers A (3 t/week) and B (7 t/week) at one farm 50 km from the auction share one 10 t
    # truck trip: 50 €, closed by the market for ρ = 0.25 empty trips (12.5 €): 62.5 €/week.
    # A pays 30 %, B 70 %: 18.75 and 43.75 €/week; truck-km 62.5 km/week alike.
    sc, lanes = hand_scenario(
        tmp_path, {"farm": (0, 0), "x": (50, 0)}, [{"id": "farm"}, {"id": "x"}],
        [{"id": "A", "node": "farm"}, {"id": "B", "node": "farm"}, {"id": "auction", "node": "x"}],
        [{"id": "veg", "load_class": "food"}],
        [{"id": "a", "origin": "A", "destination": "auction", "commodity": "veg",
          "tonnes_per_period": 3},
         {"id": "b", "origin": "B", "destination": "auction", "commodity": "veg",
          "tonnes_per_period": 7}])
    out = run_scenario(sc, lanes, gap_rel=0.0, baseline=False)
    f = firm_results(sc, lanes, out.solution).set_index("activity")
    assert out.results.kpis["transport_cost_eur"] == pytest.approx(62.5 * 52)
    assert f.transport_cost_eur["A"] == pytest.approx(18.75 * 52)
    assert f.transport_cost_eur["B"] == pytest.approx(43.75 * 52)
    assert f.truck_km["A"] == pytest.approx(0.3 * 62.5 * 52)
    assert f.transport_cost_eur["auction"] == 0


def test_break_even_flips_the_decision(tmp_path):
    """growers_case (S2 holds all three): each grower moves to S2. Its break-even relocation
    cost, just below: it still moves; just above: it stays — the others fixed where they are."""
    sc, lanes = growers_case(tmp_path, 30)
    out = run_scenario(sc, lanes, gap_rel=0.0, baseline=False)
    placement = out.solution.placement
    assert {placement[g] for g in ("g1", "g2", "g3")} == {"s2"}
    be = break_even(sc, lanes, placement).set_index("activity")
    c = be.break_even_relocation_eur["g1"]
    # by hand: g1 at S2 saves 10,400 − 2,080 = 8,320 €/yr of transport; S2 stays open for the
    # other two; at 0 % over 10 years the annuity factor is 0.1: 83,200 €
    assert c == pytest.approx(83_200, rel=1e-6)
    assert be.break_even_relocation_eur_per_ha["g1"] == pytest.approx(8_320, rel=1e-6)
    others = {f: n for f, n in placement.items() if f != "g1"}
    sc.activities["g1"].reloc_cost_eur["s1"] = 1e9  # the choice is S2 or staying
    for factor, where in ((0.999, "s2"), (1.001, "h1")):
        sc.activities["g1"].reloc_cost_eur["s2"] = c * factor
        r = run_scenario(sc, lanes, Switches(placement=others), gap_rel=0.0, baseline=False)
        assert r.solution.placement["g1"] == where, (factor, r.solution.placement)


def test_a_firm_that_stays_gets_its_best_site(tmp_path):
    # with S1 and S2 dear to open, everyone stays; the break-even is then the most a grower
    # could pay to move to its best site and still gain (none: 0 with a note)
    sc, lanes = growers_case(tmp_path, 30)
    for s in ("s1", "s2"):
        sc.nodes[s].opex_eur_per_yr = 1e6
    out = run_scenario(sc, lanes, gap_rel=0.0, baseline=False)
    be = break_even(sc, lanes, out.solution.placement).set_index("activity")
    assert not be.moved.any()
    assert (be.break_even_relocation_eur == 0).all()
    assert be.note.str.contains("does not pay").all()

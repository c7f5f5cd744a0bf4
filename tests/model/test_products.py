"""Processors' products (schema: ``process_input``, ``yield_<product>``, ``gate_fee_<k>``,
``intake_periods``; family ``product_balance``; checker rule ``product``), hand-checked.

The case, on a line (km): farm f at 0, processor site p at 10, concentrate user u at 50. The
farm offers 20 t/period of slurry (disposal 100 €/t, so it goes to p). p (no cost) turns each
tonne into 0.5 t concentrate and 0.25 t thick fraction. u accepts concentrate and pays 1 €/t
for it (gate fee −1); concentrate nobody takes costs 50 €/t, thick fraction 3 €/t (no
acceptor). One 10 t truck, 1 €/km, CO2 0.5 / 1.0 kg/km empty / full, WTW = 1.2 × TTW;
``dedicated`` empty running.
"""

from __future__ import annotations

import pytest

from clusteropt.check import check_solution
from tests.factories import hand_scenario, optimise

PTS = {"f": (0, 0), "p": (10, 0), "u": (50, 0)}


def case(tmp_path, periods=None, user_periods=None):
    nodes = [{"id": "f"}, {"id": "u"},
             {"id": "p", "kind": "site", "accept_slurry": 100, "process_input": "slurry",
              "yield_conc": 0.5, "yield_thick": 0.25}]
    acts = [{"id": "farm", "node": "f"},
            {"id": "user", "node": "u", "accept_conc": 1000, "gate_fee_conc": -1.0,
             **({"intake_periods": user_periods} if user_periods else {})}]
    coms = [{"id": "slurry", "load_class": "manure", "disposal_cost_eur_per_t": 100},
            {"id": "conc", "load_class": "manure", "disposal_cost_eur_per_t": 50},
            {"id": "thick", "load_class": "manure", "disposal_cost_eur_per_t": 3}]
    dem = [{"id": "slurry", "kind": "pooled_supply", "origin": "farm", "commodity": "slurry",
            "tonnes_per_period": 20}]
    return hand_scenario(tmp_path, PTS, nodes, acts, coms, dem,
                         options={"empty_running": "dedicated"},
                         periods=periods or [{"id": "week", "weight": 1}])


def test_products_are_hauled_priced_and_balanced(tmp_path):
    sc, lanes = case(tmp_path)
    _report, sol, res = optimise(sc, lanes)
    k = res.kpis
    # slurry f→p: 2 trips × 10 km; concentrate p→u: 10 t = 1 trip × 40 km; each loaded trip
    # returns empty (dedicated; the balance finds no cheaper closure: o→f 50 + p→f 10 = 60 km
    # as well): truck-km 20 + 40 + 20 + 40 = 120 → 120 €
    assert k["truck_km"] == pytest.approx(120.0)
    assert k["transport_cost_eur"] == pytest.approx(120.0)
    # disposal term: thick 5 t × 3 € = 15, concentrate gate fee 10 t × −1 € = −10
    assert k["disposal_cost_eur"] == pytest.approx(5.0)
    assert sol.objective_eur == pytest.approx(125.0)
    # CO2 TTW: f→p 2 × (10 × 0.5 + 0.5 × 10 × 10/10) = 20; p→u 40 × 0.5 + 0.5 × 40 × 1 = 40;
    # 60 empty km × 0.5 = 30 → 90 kg TTW, 108 kg WTW
    assert k["co2_ttw_t"] == pytest.approx(0.090)
    assert k["co2_wtw_t"] == pytest.approx(0.108)
    fl = sol.flows.set_index("demand")
    assert fl.loc["@p>conc", "tonnes"] == pytest.approx(10.0)  # 0.5 × 20
    assert fl.loc["@p>conc", "partner"] == "user"
    un = sol.unserved.set_index("demand")
    assert un.loc["@p>thick", "tonnes"] == pytest.approx(5.0)  # 0.25 × 20, disposed
    assert check_solution(sc, lanes, sol).passed


def test_checker_flags_product_tonnes_off(tmp_path):
    sc, lanes = case(tmp_path)
    _report, sol, _res = optimise(sc, lanes)
    bad = sol.flows.copy()
    bad.loc[bad.demand == "@p>conc", "tonnes"] += 1.0  # 11 t out of 10 made
    sol.flows = bad
    res = check_solution(sc, lanes, sol)
    assert not res.passed
    assert any(v.rule == "product" for v in res.by_check["products"])
    rest = optimise(*case(tmp_path))[1]
    rest.unserved = rest.unserved[rest.unserved.demand != "@p>thick"]  # 5 t thick vanish
    assert any(v.rule == "product" for v in check_solution(sc, lanes, rest).violations)


def test_closed_season_sends_nothing_to_a_seasonal_outlet(tmp_path):
    sc, lanes = case(tmp_path, periods=[{"id": "spring", "weight": 1},
                                        {"id": "winter", "weight": 1}],
                     user_periods="spring")
    _report, sol, res = optimise(sc, lanes)
    fl = sol.flows
    assert fl[(fl.partner == "user") & (fl.period == "winter")].empty
    spring = fl[(fl.partner == "user") & (fl.period == "spring")]
    assert spring.tonnes.sum() == pytest.approx(10.0)
    un = sol.unserved[(sol.unserved.demand == "@p>conc")]
    assert un.set_index("period").loc["winter", "tonnes"] == pytest.approx(10.0)
    # spring as above, 125 €; winter: slurry 2 trips + 2 empty returns = 40 €, thick 15 €,
    # concentrate 10 t × 50 € = 500 € → 555 €; total 680 €
    assert sol.objective_eur == pytest.approx(680.0)
    assert check_solution(sc, lanes, sol).passed


def test_processor_needs_its_input_and_products_their_price(tmp_path):
    from clusteropt.errors import ScenarioError
    nodes = [{"id": "f"}, {"id": "u"},
             {"id": "p", "kind": "site", "accept_slurry": 100, "yield_conc": 0.5}]
    coms = [{"id": "slurry", "load_class": "manure", "disposal_cost_eur_per_t": 100},
            {"id": "conc", "load_class": "manure"}]
    with pytest.raises(ScenarioError) as err:
        hand_scenario(tmp_path, PTS, nodes, [{"id": "farm", "node": "f"}], coms,
                      [{"id": "s", "kind": "pooled_supply", "origin": "farm",
                        "commodity": "slurry", "tonnes_per_period": 20}])
    text = str(err.value)
    assert "process_input" in text and "disposal_cost_eur_per_t" in text


def test_firms_carry_their_products_and_gate_fees(tmp_path):
    # the processor is a node, not a firm: its products' haul, fees and disposal go to the
    # farm that sent the slurry, so the one farm carries everything (125 € in all)
    from clusteropt.allocation import firm_results
    sc, lanes = case(tmp_path)
    _report, sol, res = optimise(sc, lanes)
    firms = firm_results(sc, lanes, sol).set_index("activity")
    assert firms.transport_cost_eur["farm"] == pytest.approx(120.0)
    assert firms.disposal_cost_eur["farm"] == pytest.approx(5.0)  # 15 − 10
    assert firms.transport_cost_eur["user"] == pytest.approx(0.0)
    for key in ("transport_cost_eur", "disposal_cost_eur", "truck_km", "co2_wtw_t"):
        assert firms[key].sum() == pytest.approx(res.kpis[key], abs=1e-9)


def test_validation_counts_an_outlet_only_in_its_intake_periods(tmp_path):
    # slurry has no disposal price and one acceptor open in spring only: the winter tonnes
    # have nowhere to go, which validation says before any solve
    from clusteropt.errors import ScenarioError
    nodes = [{"id": "f"}, {"id": "u"}, {"id": "p"}]
    acts = [{"id": "farm", "node": "f"},
            {"id": "land", "node": "u", "accept_slurry": 1000, "intake_periods": "spring"}]
    with pytest.raises(ScenarioError, match="period 'winter'"):
        hand_scenario(tmp_path, PTS, nodes, acts, [{"id": "slurry", "load_class": "manure"}],
                      [{"id": "s", "kind": "pooled_supply", "origin": "farm",
                        "commodity": "slurry", "tonnes_per_period": 20}],
                      periods=[{"id": "spring", "weight": 1}, {"id": "winter", "weight": 1}])

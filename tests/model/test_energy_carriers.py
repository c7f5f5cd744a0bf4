"""Energy carriers as data (issue 24, item 1): TTW and WTW follow from a carrier's factors
per unit and the vehicle's consumption; given CO2 columns keep their meaning."""

from __future__ import annotations

import pytest
from factories import TRUCK, hand_scenario, optimise

from clusteropt import defaults, emissions
from clusteropt.check import check_solution
from clusteropt.errors import ScenarioError

DIESEL = defaults.carriers().loc["diesel_b7"]
GRID = defaults.carriers().loc["electricity_nl"]


def _nodes(*ids, modes=None):
    return [{"id": n, **({"modes": modes} if modes else {})} for n in ids]


def _one_flow(tmp_path, vehicle, tonnes, modes=None, **extra):
    return hand_scenario(tmp_path, {"a": (0, 0), "b": (100, 0)}, _nodes("a", "b", modes=modes),
                         [{"id": "mill", "node": "a"}, {"id": "farm", "node": "b"}],
                         [{"id": "feed", "load_class": "feed"}],
                         [{"id": "ab", "origin": "mill", "destination": "farm",
                           "commodity": "feed", "tonnes_per_period": tonnes}],
                         vehicles=[vehicle], **extra)


def test_diesel_truck_wtw_is_ttw_plus_wtt_of_the_fuel(tmp_path):
    # 10 t/wk over 100 km in one full trip of a 10 t truck; under 'dedicated' the truck comes
    # back empty (100 km). Fuel: loaded 0.25 l/km × 100 + (0.45 − 0.25) × 100 × 10/10 = 45 l,
    # empty return 0.25 × 100 = 25 l: 70 l/wk. TTW = 70 × 2.62 = 183.4 kg; WTT = 70 × 0.636 =
    # 44.52 kg; WTW = 227.92 kg = 70 × 3.256 (the list's WTW of diesel B7).
    truck = {**{k: v for k, v in TRUCK.items() if not k.startswith(("co2", "wtw"))},
             "carrier": "diesel_b7", "energy_empty_per_km": 0.25, "energy_full_per_km": 0.45}
    sc, lanes = _one_flow(tmp_path, truck, 10, options={"empty_running": "dedicated"})
    report, sol, res = optimise(sc, lanes)
    litres = 70 * 52
    assert DIESEL.ttw_kg_co2e_per_unit == 2.62 and DIESEL.wtt_kg_co2e_per_unit == 0.636
    assert res.kpis["co2_ttw_t"] == pytest.approx(litres * 2.62 / 1000)
    assert res.kpis["co2_wtw_t"] == pytest.approx(litres * (2.62 + 0.636) / 1000)
    assert res.kpis["co2_wtw_t"] == pytest.approx(litres * 3.256 / 1000)
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations
    assert chk.kpis["co2_ttw_t"] == pytest.approx(res.kpis["co2_ttw_t"])
    assert chk.kpis["co2_wtw_t"] == pytest.approx(res.kpis["co2_wtw_t"])


def test_electric_rail_leg_has_ttw_zero_and_wtw_energy_times_grid_factor(tmp_path):
    # 500 t/wk by electric rail over 100 km = 50,000 tkm/wk; 0.025 kWh/tkm → 1,250 kWh/wk.
    # TTW 0; WTW = 1,250 × 0.374 = 467.5 kg/wk. Tariff 0.02 €/tkm → 1,000 €/wk.
    rail = {"id": "e-rail", "mode": "rail", "pricing": "tariff", "tariff_eur_per_tkm": 0.02,
            "carrier": "electricity_nl", "energy_per_tkm": 0.025, "speed_kmh": 50,
            "load_classes": "feed"}
    sc, lanes = _one_flow(tmp_path, rail, 500, modes="road;rail",
                          options={"co2_price_eur_per_t": 100})
    report, sol, res = optimise(sc, lanes)
    assert GRID.ttw_kg_co2e_per_unit == 0 and GRID.wtt_kg_co2e_per_unit == 0.374
    assert res.kpis["co2_ttw_t"] == 0.0
    assert res.kpis["co2_wtw_t"] == pytest.approx(1_250 * 0.374 * 52 / 1000)
    # carbon at 100 €/t on the default WTW basis: 0.4675 t × 100 = 46.75 €/wk
    assert res.kpis["carbon_cost_eur"] == pytest.approx(46.75 * 52)
    assert report.objective == pytest.approx((1_000 + 46.75) * 52)
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations
    assert chk.kpis["co2_ttw_t"] == 0.0
    assert chk.kpis["co2_wtw_t"] == pytest.approx(res.kpis["co2_wtw_t"])


def test_the_checker_catches_a_wrong_wtw_term(tmp_path):
    rail = {"id": "e-rail", "mode": "rail", "pricing": "tariff", "tariff_eur_per_tkm": 0.02,
            "carrier": "electricity_nl", "energy_per_tkm": 0.025, "load_classes": "feed"}
    sc, lanes = _one_flow(tmp_path, rail, 500, modes="road;rail")
    _, sol, _ = optimise(sc, lanes)
    sol.terms["co2_wtw_kg"] *= 1.01
    chk = check_solution(sc, lanes, sol)
    assert not chk.passed
    assert [v.index for v in chk.violations if v.rule == "term"] == [("co2_wtw_kg",)]


def test_given_co2_takes_precedence_and_keeps_its_ratio(tmp_path):
    # Given co2 columns with a ratio: WTW = TTW × ratio, whatever the carrier (older rows).
    # Given co2 without a ratio but with a carrier: ratio = (2.62 + 0.636) / 2.62.
    base = {k: v for k, v in TRUCK.items() if k != "wtw_ttw_ratio"}
    rows = [{**TRUCK, "id": "old"},
            {**base, "id": "with-carrier", "carrier": "diesel_b7",
             "energy_empty_per_km": 9.0},
            {**base, "id": "bare"}]
    sc, _ = hand_scenario(tmp_path, {"a": (0, 0), "b": (100, 0)}, _nodes("a", "b"),
                          [{"id": "mill", "node": "a"}, {"id": "farm", "node": "b"}],
                          [{"id": "feed", "load_class": "feed"}],
                          [{"id": "ab", "origin": "mill", "destination": "farm",
                            "commodity": "feed", "tonnes_per_period": 10}], vehicles=rows)
    f = {v: emissions.factors(vt) for v, vt in sc.vehicles.items()}
    assert f["old"].empty["co2_ttw_kg"] == 0.5
    assert f["old"].empty["co2_wtw_kg"] == pytest.approx(0.6)
    assert f["with-carrier"].full["co2_ttw_kg"] == 1.0  # the given 1.0, not 9 l × 2.62
    assert f["with-carrier"].full["co2_wtw_kg"] == pytest.approx(3.256 / 2.62)
    assert (f["bare"].full["co2_ttw_kg"], f["bare"].full["co2_wtw_kg"]) == (1.0, 1.0)


@pytest.mark.parametrize("row, column, words", [
    ({"carrier": "kerosene"}, "carrier", "unknown energy carrier 'kerosene'"),
    ({"energy_empty_per_km": 0.3}, "energy_empty_per_km", "needs a carrier"),
])
def test_bad_carrier_rows_are_located(tmp_path, row, column, words):
    with pytest.raises(ScenarioError) as err:
        _one_flow(tmp_path, {**TRUCK, **row}, 10)
    issues = err.value.issues
    assert [i.column for i in issues] == [column]
    assert words in issues[0].message and issues[0].row is not None


def test_the_catalogue_types_load_with_their_stated_factors(tmp_path):
    # data/vehicle_types_more.csv rows as a scenario's vehicles: an electric truck and train
    # have TTW 0 and WTW = kWh × 0.374; the HVO truck TTW = l × 0.038, WTW = l × 0.347.
    import pandas as pd

    more = pd.read_csv(defaults.DATA_DIR / "vehicle_types_more.csv", dtype=str,
                       keep_default_na=False)
    rows = [{k: v for k, v in r.items() if v != "" and k != "source"}
            for r in more.to_dict("records")]
    for r in rows:
        r["load_classes"] = "*"
    sc, _ = hand_scenario(tmp_path, {"a": (0, 0), "b": (100, 0)},
                          _nodes("a", "b", modes="road;rail"),
                          [{"id": "mill", "node": "a"}, {"id": "farm", "node": "b"}],
                          [{"id": "feed", "load_class": "feed"}],
                          [{"id": "ab", "origin": "mill", "destination": "farm",
                            "commodity": "feed", "tonnes_per_period": 10}], vehicles=rows)
    f = {v: emissions.factors(vt) for v, vt in sc.vehicles.items()}
    bev = f["bev-tractor-semitrailer"]
    assert (bev.empty["co2_ttw_kg"], bev.full["co2_ttw_kg"]) == (0.0, 0.0)
    assert bev.empty["co2_wtw_kg"] == pytest.approx(0.92 * 0.374)
    assert bev.full["co2_wtw_kg"] == pytest.approx(1.50 * 0.374)
    assert bev.empty["nox_kg"] == 0.0
    hvo = f["hvo-tractor-semitrailer"]
    assert hvo.empty["co2_ttw_kg"] == pytest.approx(0.2694 * 0.038)
    assert hvo.empty["co2_wtw_kg"] == pytest.approx(0.2694 * 0.347)
    rail = f["rail-electric-container"]
    assert rail.per_tkm["co2_ttw_kg"] == 0.0
    assert rail.per_tkm["co2_wtw_kg"] == pytest.approx(0.027 * 0.374)

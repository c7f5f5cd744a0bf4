"""Load units and scheduled services of tariff types (issue 24, Europark item): a tariff type
that names its load unit (``unit_payload_t``, ``unit_volume_m3``, ``unit_pallets``) is counted
in whole units per leg and load class and charged per unit; one with a schedule
(``departures_per_period`` × ``units_per_departure``) never carries more units on a leg.

Hand cases on one 200 km lane a → b (b a gateway), one week × 52, gap 0. The unit: 26 t,
85 m³, 33 pallet places, 50 € per unit per leg + 0.5 € per unit-km, so one unit over 200 km
costs 50 + 0.5 · 200 = 150 €."""

from __future__ import annotations

import pandas as pd
import pytest
from factories import TRUCK, hand_scenario, optimise

from clusteropt.check import check_solution
from clusteropt.scenario import ScenarioError
from clusteropt.solution import UNIT_COLS

W = 52
RAIL = {"id": "rail", "mode": "rail", "pricing": "tariff", "unit_payload_t": 26,
        "unit_volume_m3": 85, "unit_pallets": 33, "tariff_eur_per_unit": 50,
        "tariff_eur_per_unit_km": 0.5, "co2_ttw_kg_per_tkm": 0.01, "load_classes": "*"}
VEG = {"id": "veg", "load_class": "chilled", "density_t_per_m3": 0.35, "pallets_per_t": 2.2}
STARCH = {"id": "starch", "load_class": "bulk"}


def case(tmp_path, commodity: dict, tonnes: float, vehicles: list[dict]):
    pts = {"a": (0, 0), "b": (200, 0)}
    nodes = [{"id": "a", "modes": "road;rail"}, {"id": "b", "kind": "gateway",
                                                 "modes": "road;rail"}]
    acts = [{"id": "shipper", "node": "a"}, {"id": "customer", "node": "b"}]
    dem = [{"id": "d", "origin": "shipper", "destination": "customer",
            "commodity": commodity["id"], "tonnes_per_period": tonnes}]
    return hand_scenario(tmp_path, pts, nodes, acts, [commodity], dem, vehicles=vehicles)


def test_pallet_bound_load_pays_per_unit(tmp_path):
    """100 t of vegetables: by mass 100/26 = 3.85 units, by volume 100/0.35 = 285.7 m³ / 85 =
    3.36, by pallets 100 · 2.2 = 220 / 33 = 6.67 → 7 units (≈ 15 t each, pallet-bound).
    7 · 150 = 1,050 € a week, 54,600 €/yr — not the 3.85 units' worth a per-tonne price
    would charge."""
    sc, lanes = case(tmp_path, VEG, 100, [RAIL])
    _, sol, res = optimise(sc, lanes)
    assert sol.units.units.tolist() == [7.0]
    assert sol.objective_eur == pytest.approx(W * 7 * 150)
    assert res.kpis["transport_cost_eur"] == pytest.approx(54_600)
    leg = res.legs[res.legs.vehicle == "rail"].iloc[0]
    assert leg.units == pytest.approx(7 * W) and leg.cost_eur == pytest.approx(54_600)
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations
    assert chk.kpis["transport_cost_eur"] == pytest.approx(54_600)


def test_dense_load_fills_units_by_mass(tmp_path):
    """100 t of starch (no density, no pallets): ⌈100 / 26⌉ = 4 units, 4 · 150 = 600 € a
    week."""
    sc, lanes = case(tmp_path, STARCH, 100, [RAIL])
    _, sol, _ = optimise(sc, lanes)
    assert sol.units.units.tolist() == [4.0]
    assert sol.objective_eur == pytest.approx(W * 600)


def scheduled_case(tmp_path):
    """Rail runs 2 departures a week of 3 units: at most 6 units = 6 · 33 / 2.2 = 90 t of
    vegetables; the 100 t need 7 units. Truck (10 t, 1 €/km) for the rest: a trip a → b
    costs 200 € + ρ = 0.25 gateway empties · 200 = 250 €. Optimum: 6 units by rail (900 €)
    + 10 t in 1 truck (250 €) = 1,150 € a week (all by truck: 10 trips = 2,500 €)."""
    sched = {**RAIL, "departures_per_period": 2, "units_per_departure": 3}
    return case(tmp_path, VEG, 100, [sched, {**TRUCK, "co2_empty_kg_per_km": 0.5}])


def test_schedule_caps_the_units_on_a_leg(tmp_path):
    sc, lanes = scheduled_case(tmp_path)
    _, sol, res = optimise(sc, lanes)
    assert sol.units.units.sum() == 6.0  # never more than 2 departures × 3 units
    rail_t = sol.loads[sol.loads.vehicle == "rail"].tonnes.sum()
    assert rail_t <= 90 + 1e-6
    assert sol.objective_eur == pytest.approx(W * 1150)
    leg = res.legs[res.legs.vehicle == "rail"].iloc[0]
    assert leg.departures_used == pytest.approx(2 * W)  # 6 units / 3 per departure
    assert leg.departures_scheduled == pytest.approx(2 * W)
    chk = check_solution(sc, lanes, sol)
    assert chk.passed, chk.violations


def _all_by_rail(tmp_path):
    """The scheduled case solved, then tampered: all 100 t on the rail load (the truck's
    load moved to rail), no trips, no solver terms."""
    sc, lanes = scheduled_case(tmp_path)
    _, sol, _ = optimise(sc, lanes)
    loads = sol.loads.copy()
    loads.loc[loads.vehicle == "rail", "tonnes"] = 100.0
    sol.loads = loads[loads.vehicle == "rail"].reset_index(drop=True)
    sol.trips, sol.terms = sol.trips.iloc[0:0], {}  # the solver's terms no longer apply
    return sc, lanes, sol


def test_checker_flags_a_schedule_exceeded(tmp_path):
    """All 100 t by rail in 7 units (the truck's load moved to rail): 7 > 2 · 3."""
    sc, lanes, sol = _all_by_rail(tmp_path)
    sol.units = pd.DataFrame([("week", "a", "b", "rail", "chilled", "", 7.0)],
                             columns=UNIT_COLS)
    sol.objective_eur = check_solution(sc, lanes, sol).objective_recomputed
    res = check_solution(sc, lanes, sol)
    assert {v.rule for v in res.violations} == {"departures"}
    assert res.by_check["departures"][0].lhs == 7.0


def test_checker_recomputes_the_units_needed(tmp_path):
    """The same 100 t by rail written with only 6 units: the checker finds 7 needed (pallets)
    and the schedule exceeded by the units needed, not by those written."""
    sc, lanes, sol = _all_by_rail(tmp_path)
    sol.objective_eur = check_solution(sc, lanes, sol).objective_recomputed
    res = check_solution(sc, lanes, sol)
    assert {v.rule for v in res.violations} == {"unit capacity (pallets)", "departures"}
    assert res.by_check["units"][0].rhs == pytest.approx(220 / 33)


@pytest.mark.parametrize("row, column", [
    ({**TRUCK, "unit_payload_t": 26}, "unit_payload_t"),
    ({**RAIL, "unit_payload_t": None, "unit_volume_m3": None, "unit_pallets": None},
     "tariff_eur_per_unit"),
    ({**RAIL, "departures_per_period": 4}, "units_per_departure"),
])
def test_load_unit_columns_are_validated(tmp_path, row, column):
    with pytest.raises(ScenarioError) as e:
        case(tmp_path, VEG, 100, [{k: v for k, v in row.items() if v is not None}])
    assert column in str(e.value)


def test_units_round_trip_through_files(tmp_path):
    """units.csv is written with the solution and read back; the checker passes on the copy. A
    solution folder written before load units (no units.csv) reads with no units."""
    from clusteropt.solution import Solution

    sc, lanes = case(tmp_path, VEG, 100, [RAIL])
    _, sol, _ = optimise(sc, lanes)
    sol.to_dir(tmp_path / "sol")
    back = Solution.from_dir(tmp_path / "sol")
    assert back.units.units.tolist() == [7.0]
    assert check_solution(sc, lanes, back).passed
    (tmp_path / "sol" / "units.csv").unlink()
    old = Solution.from_dir(tmp_path / "sol")
    assert list(old.units.columns) == UNIT_COLS and old.units.empty
    assert {v.rule for v in check_solution(sc, lanes, old).violations} >= {
        "unit capacity (pallets)"}

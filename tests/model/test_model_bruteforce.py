"""Brute force: on tiny random instances the MILP optimum (gap 0) equals the minimum over every
feasible placement of a cost computed independently of the builder (``tests/tiny.py``).

Per placement the reference adds development (annuity + opex of every site in use), relocation
annuities and internal cost of co-located flows, and the optimal transport + carbon cost:

* shared trips (default switches): its own MILP over integer loaded trips per leg / vehicle /
  load class, vehicle choice per leg, *integer* empty trips between any two balance nodes
  (the builder allows them with ``empty_k_nearest`` ≥ #nodes), gateway trips outside the
  balance with ρ = e/(1−e) empties each, and integer market trips (model.md §4 market
  closure: out of the balance, ρ_rule empty trips of their own leg each);
* trips per demand (``Switches(bundling=False)``, rule ``dedicated``): per demand, every
  trip count per vehicle type, cheapest capacity first, each trip with one empty return
  (ρ_gate on gateway legs).

Instances: 2–3 movable growers (stay node + 1–2 of two development sites with capacity,
development cost and opex; some with ``max_open``), a supplier sending inputs to every grower,
1–2 destinations (one may be a gateway, or the supplier is), sometimes a residual between two
growers with an internal cost, 1–2 trip-priced vehicle types (the second restricted to some
load classes, sometimes a volume limit) and sometimes a tariff type, a CO2 price and explicit
lane times. Distances are integer Manhattan distances (triangle inequality holds).
"""

from __future__ import annotations

import math

import pytest
from tiny import (
    Tiny,
    brute_force,
    close,
    commodity,
    fixed_cost,
    hand_tiny,
    location,
    placements,
    random_tiny,
    run,
    transport_balanced,
    transport_dedicated,
    vehicle,
)

from clusteropt.lanes import build_lanes
from clusteropt.model import Switches, build
from clusteropt.scenario import scenario_from_dict

SEEDS = range(20)
DEDICATED = {"bundling": False}  # with Tiny.rule = "dedicated"
_COSTS: dict[tuple, float] = {}


def reference_costs(seed: int) -> dict[tuple, float]:
    """Reference cost (shared trips) of every feasible placement of random_tiny(seed), keyed by
    the sorted placement items; cached, the two tests below share it."""
    t = random_tiny(seed)
    out = {}
    for pl in placements(t):
        key = (seed, *sorted(pl.items()))
        if key not in _COSTS:
            _COSTS[key] = fixed_cost(t, pl) + transport_balanced(t, pl)
        out[tuple(sorted(pl.items()))] = _COSTS[key]
    return out


# ---- the oracle itself, on numbers worked out by hand ----------------------------------------


def _two_nodes(gateway: bool) -> Tiny:
    """Mill A (0,0) and farm B (50,0): 20 t feed A → B, 30 t manure B → A, truck 10 t,
    1 €/km, nothing else; one week × 52."""
    return Tiny(nodes={"a": location(x=0, y=0),
                       "b": location(kind="gateway" if gateway else "location", x=50, y=0)},
                growers={}, fixed={"mill": "a", "farm": "b"},
                commodities={"feed": commodity("feed"), "manure": commodity("manure")},
                demands=[("f", "mill", "farm", "feed", 20.0),
                         ("m", "farm", "mill", "manure", 30.0)],
                vehicles={"v": vehicle()}, empty_share=0.2)


def test_oracle_on_hand_numbers():
    # shared, closed balance: 2 + 3 loaded trips, one empty back to B: 6 × 50 km × 52
    assert transport_balanced(_two_nodes(False), {}, market=False) == pytest.approx(6 * 50 * 52)
    # with market closure (ρ = 0.2/0.8 = 0.25): 2 feed trips pair with 2 manure trips (own
    # backhaul, no empty km); the third manure trip is closed by the market for 0.25 × 50 km,
    # cheaper than its empty return (50 km): (5 × 50 + 0.25 × 50) × 52
    assert transport_balanced(_two_nodes(False), {}) == pytest.approx(262.5 * 52)
    # under 'dedicated' (ρ = 1) the market and the own empty return cost the same: 6 × 50
    ded = _two_nodes(False).copy(rule="dedicated")
    assert transport_balanced(ded, {}) == pytest.approx(6 * 50 * 52)
    # per demand, each trip returns empty: 5 × 2 × 50 km × 52
    assert transport_dedicated(ded, {}) == pytest.approx(10 * 50 * 52)
    # per demand under 'share': each trip brings 0.25 empty trips: 5 × 1.25 × 50 × 52
    assert transport_dedicated(_two_nodes(False), {}) == pytest.approx(5 * 1.25 * 50 * 52)
    # B a gateway: no balance, each loaded trip brings ρ = 0.2/0.8 = 0.25 empties
    assert transport_balanced(_two_nodes(True), {}) == pytest.approx(5 * 1.25 * 50 * 52)
    # ... also per demand under 'dedicated' (gateways keep their ρ)
    assert transport_dedicated(_two_nodes(True).copy(rule="dedicated"), {}) == \
        pytest.approx(5 * 1.25 * 50 * 52)
    # the hand case of _tiny, both growers at site1: loaded km 2×40 (sup→site1) + 3×20
    # (site1→dst0) + 2×40×1.25 (site1→dst1, a gateway) = 240. Closed balance: empties
    # dst0→sup_n 2×20 and dst0→site1 20 (= 300). Market closure: each sup→site1 trip for
    # 0.25 × 40 = 10 and each site1→dst0 trip for 0.25 × 20 = 5, together 35 — cheaper than
    # any empty chain (dst0→sup_n alone is 20 km for one pair, whose market closure is 15)
    t = hand_tiny()
    both = {"g0": "site1", "g1": "site1"}
    assert transport_balanced(t, both, market=False) == pytest.approx(300 * 52)
    assert transport_balanced(t, both) == pytest.approx(275 * 52)
    # dev 10 000/10 + 1 000; reloc (10 000 + 5 000)/10; internal 10 t × 1.5 €/t × 52
    assert fixed_cost(t, both) == pytest.approx(2_000 + 1_500 + 780)


# ---- shared trips with the vehicle balance ---------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_optimum_equals_brute_force(seed, tmp_path):
    t = random_tiny(seed)
    costs = reference_costs(seed)
    ref_pl = min(costs, key=costs.get)
    ref = costs[ref_pl]
    r = run(t, tmp_path)
    assert close(r.objective, ref), (seed, r.objective, ref, ref_pl, r.solution.placement)
    # the builder's own terms add up to the solver's objective, and its placement is optimal
    # for the reference as well
    assert close(r.model.objective_value(), r.objective)
    pl = tuple(sorted((g, r.solution.placement[g]) for g in t.growers))
    assert close(costs[pl], ref), (seed, pl, ref_pl)
    # results.evaluate recomputes the same total from the solution tables
    assert close(r.kpis["total_cost_eur"], r.objective)


def test_hand_case_equals_brute_force(tmp_path):
    t = hand_tiny()
    ref, ref_pl = brute_force(t)
    r = run(t, tmp_path)
    assert ref_pl == {"g0": "site1", "g1": "site1"}
    # 275 × 52 transport (test_oracle_on_hand_numbers) + 4 280 fixed
    assert r.objective == pytest.approx(18_580.0, rel=1e-9)
    assert close(r.objective, ref)
    assert {g: r.solution.placement[g] for g in t.growers} == ref_pl


@pytest.mark.parametrize("seed", range(8))
def test_every_fixed_placement_costs_the_reference(seed, tmp_path):
    """Not only the minimum: each placement, fixed through ``Switches.placement``, costs what
    the reference says (catches errors that cancel out at the optimum)."""
    t = random_tiny(seed)
    for n, (pl, ref) in enumerate(reference_costs(seed).items()):
        r = run(t, tmp_path / str(n), Switches(placement=dict(pl)))
        assert close(r.objective, ref), (seed, pl, r.objective, ref)


# ---- trips per demand, dedicated empty returns -----------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_dedicated_optimum_equals_brute_force(seed, tmp_path):
    t = random_tiny(seed).copy(rule="dedicated")
    ref, ref_pl = brute_force(t, balanced=False)
    r = run(t, tmp_path, Switches(**DEDICATED))
    assert close(r.objective, ref), (seed, r.objective, ref, ref_pl, r.solution.placement)
    assert r.solution.empties.empty  # no balance: empties only as implicit returns
    trips = r.solution.trips
    gate = trips["from"].map(t.gateway) | trips.to.map(t.gateway)
    assert set(trips.implicit_empty_per_trip[~gate]) <= {1.0}
    assert (trips.market_trips == trips.trips).all()  # every trip closed by the market


@pytest.mark.parametrize("seed", range(10))
def test_unbundled_share_optimum_equals_brute_force(seed, tmp_path):
    t = random_tiny(seed)
    ref, _ = brute_force(t, balanced=False)
    r = run(t, tmp_path, Switches(bundling=False))
    assert close(r.objective, ref), (seed, r.objective, ref)


# seeds 6 and 7 take 5 s and 14 s (the default suite stays under 10 minutes): slow
@pytest.mark.parametrize("seed", [*range(6), *(pytest.param(s, marks=pytest.mark.slow)
                                           for s in range(6, 20))])
def test_market_closure_never_raises_the_optimum(seed, tmp_path):
    """Brute force with and without market closure: the closed balance is the market-closure
    model with every market trip at zero, so its optimum is never lower; with ρ prohibitive
    (e = 0.999: ρ = 999) the market is never used and the two are equal."""
    t = random_tiny(seed)
    closed, _ = brute_force(t, market=False)
    market, _ = brute_force(t)
    assert market <= closed + 1e-6 * max(1.0, closed)
    r = run(t, tmp_path / "m")
    assert close(r.objective, market)
    dear = t.copy(empty_share=0.999)
    if any(t.gateway(n) for n in t.nodes):  # a gateway's ρ would change too: compare the
        dear = dear.copy(nodes={n: {**nd, "kind": "location"} for n, nd in t.nodes.items()})
    r = run(dear, tmp_path / "d")
    assert close(r.objective, brute_force(dear, market=False)[0])
    assert close(r.objective, brute_force(dear)[0])
    assert r.solution.trips.market_trips.sum() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_dedicated_single_truck_closed_form(seed, tmp_path):
    """One truck type, no tariff, no CO2 price: per placement the cost is
    Σ_demands ceil(q / payload) × (loaded trip + empty return) × weight, written out here."""
    t = random_tiny(seed, n_trip_vehicles=1, tariff=False, co2=False, volume=False).copy(
        rule="dedicated")
    v = t.vehicles["v0"]
    rho_gate = t.empty_share / (1 - t.empty_share)

    def trip_pair(a, b):
        d = t.km(a, b)
        h = d / (t.time_speed or v["speed"])
        loaded = (v["ckm"] + v["toll"]) * d + v["ch"] * (h + v["hand"])
        empty = (v["ckm"] + v["toll"]) * d + v["ch"] * h
        return loaded + (rho_gate if t.gateway(a) or t.gateway(b) else 1.0) * empty

    best = math.inf
    for pl in placements(t):
        at = {**t.fixed, **pl}
        transport = sum(t.weight * math.ceil(q / v["payload"]) * trip_pair(at[o], at[d])
                        for _, o, d, _, q in t.demands if at[o] != at[d])
        best = min(best, fixed_cost(t, pl) + transport)
    r = run(t, tmp_path, Switches(**DEDICATED))
    assert close(r.objective, best), (seed, r.objective, best)


# ---- a bug found by the brute force (fixed since: a regression test now) --------------------


def test_per_candidate_relocation_cost_with_capital_node_id(tmp_path):
    """io lower-cases column names: reloc_cost_eur_S1 arrives as reloc_cost_eur_s1 and must
    still be the relocation cost to node S1 (it used to fall back silently to 0)."""
    (tmp_path / "lanes.csv").write_text("from,to,distance_km\nStay,S1,10\nS1,Stay,10\n")
    doc = {"name": "reloc", "interest_rate": 0.0, "lifetime_years": 10,
           "distance": {"method": "matrix", "file": "lanes.csv"},
           "fix": {"placement": {"g": "S1"}},
           "tables": {"nodes": [{"id": "Stay"}, {"id": "S1", "kind": "site"}],
                      "activities": [{"id": "g", "node": "Stay", "movable": True,
                                      "candidates": "S1", "reloc_cost_eur_S1": 50_000},
                                     {"id": "g2", "node": "Stay"}],
                      "commodities": [{"id": "c", "load_class": "food"}],
                      "demands": [{"id": "d", "origin": "g", "destination": "g2",
                                   "commodity": "c", "tonnes_per_period": 0}],
                      "vehicles": [{"id": "t", "payload_t": 10}]}}
    sc = scenario_from_dict(doc, base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    model = build(sc, build_lanes(sc))
    # 50 000 € over 10 years at 0 %: 5 000 €/yr
    assert model.terms["relocation"].value() == pytest.approx(5_000.0)


# ---- the default solve path (warm start from the stay placement) -----------------------------


def test_default_warm_start_reaches_the_cold_optimum(tmp_path):
    bad = []
    cases = [(random_tiny(s), None) for s in SEEDS]
    cases += [(random_tiny(s, n_trip_vehicles=1, tariff=False, co2=False, volume=False).copy(
        rule="dedicated"), Switches(**DEDICATED)) for s in range(6)]
    cases += [(random_tiny(s).copy(rule="dedicated"), Switches(**DEDICATED)) for s in SEEDS]
    for n, (t, sw) in enumerate(cases):
        warm = run(t, tmp_path / f"w{n}", sw, warm_start=None)
        cold = run(t, tmp_path / f"c{n}", sw)
        if not close(warm.objective, cold.objective):
            bad.append((t.seed, sw is not None, warm.objective, cold.objective))
    assert not bad, bad

"""Invariants of the model, each under its stated conditions, on a handful of tiny random
instances (``tests/tiny.py``) and on the hand case ``hand_tiny()``; every solve at gap 0.

Common conditions: integer Manhattan distances (triangle inequality), one period, every empty
leg between balance nodes allowed (``empty_k_nearest`` = 20 ≥ number of nodes, i.e. no
pruning), empty share e ≤ 0.4 (so a gateway trip's ρ = e/(1−e) ≤ 1), one empty-running rule
for every evaluation (model.md §4 market closure: a loaded trip may be closed by the market for
ρ empty trips of its own leg, ρ = e/(1−e) under ``share``, 1 under ``dedicated``).
"""

from __future__ import annotations

import random

import pytest
from tiny import (
    Tiny,
    brute_force,
    close,
    fixed_cost,
    hand_tiny,
    location,
    placements,
    random_tiny,
    run,
    transport_balanced,
)

from clusteropt.lanes import build_lanes
from clusteropt.model import Switches, build
from clusteropt.scenario import scenario_from_dict
from clusteropt.solve import solve

SEEDS = range(6)
PER_DEMAND = {"bundling": False}  # trips per demand, the scenario's rule


def cases(**kw) -> list[Tiny]:
    """The random instances (features forced by ``kw``) plus the hand case."""
    return [random_tiny(s, **kw) for s in SEEDS] + [hand_tiny()]


def tid(t: Tiny) -> str:
    return "hand" if t.seed == -1 else f"seed{t.seed}"


def some_placements(t: Tiny, k: int = 2) -> list[dict[str, str]]:
    """Up to k feasible placements, always including 'every grower stays'."""
    pls = list(placements(t))
    rnd = random.Random(t.seed)
    return [pls[0]] + rnd.sample(pls[1:], min(k - 1, len(pls) - 1))


# ---- 1. a candidate site more never raises the optimum ---------------------------------------


def with_site3(t: Tiny, cap: float, dev: float, opex: float, x: int, y: int,
               reloc: float) -> Tiny:
    t = t.copy()
    t.nodes["site3"] = location(kind="site", x=x, y=y, cap=cap, dev=dev, opex=opex)
    for g in t.growers.values():
        g["cands"] = [*g["cands"], "site3"]
        g["reloc"]["site3"] = reloc
    return t


@pytest.mark.parametrize("t", cases(), ids=tid)
def test_adding_a_candidate_site_never_raises_the_optimum(t, tmp_path):
    """Conditions: the new site only widens the choice (no exact_open, the same max_open), and
    no pruning of empty legs (a new node must not push an old one out of the k nearest)."""
    r = random.Random(1000 + (t.seed or 0))
    base = run(t, tmp_path / "base")
    for n in range(2):
        more = with_site3(t, cap=float(r.randint(6, 30)), dev=float(r.choice([0, 40_000])),
                          opex=float(r.choice([0, 1_000])), x=r.randint(10, 50),
                          y=r.randint(10, 50), reloc=float(r.choice([0, 20_000])))
        wider = run(more, tmp_path / f"more{n}")
        assert wider.objective <= base.objective * (1 + 1e-9) + 1e-6, \
            (t.seed, base.objective, wider.objective)


def test_hand_case_a_better_site_lowers_the_optimum(tmp_path):
    # site3 at (20,10), between the supplier, site1 and dst0, free: strictly better than 18 580
    t = hand_tiny()
    more = with_site3(t, cap=100.0, dev=0.0, opex=0.0, x=20, y=10, reloc=0.0)
    base, wider = run(t, tmp_path / "a"), run(more, tmp_path / "b")
    assert base.objective == pytest.approx(18_580.0)
    assert wider.objective < base.objective - 1.0
    assert close(wider.objective, brute_force(more)[0])


# ---- 2. shared trips never cost more than trips per demand -----------------------------------


@pytest.mark.parametrize("rule", ["share", "dedicated"])
@pytest.mark.parametrize("t", cases(), ids=tid)
def test_shared_trips_never_cost_more_than_per_demand_trips(t, rule, tmp_path):
    """Same placement, same vehicle types, the same empty-running rule. Per demand every trip
    is closed by the market (ρ empties each; ρ_gate on gateway legs); shared trips can
    reproduce that — trips summed per leg and class (Σ⌈q/P⌉ ≥ ⌈Σq/P⌉), every one closed by
    the market — so they never cost more (model.md §8: B2 ≤ B1)."""
    t = t.copy(rule=rule)
    for n, pl in enumerate(some_placements(t)):
        shared = run(t, tmp_path / f"s{n}", Switches(placement=pl))
        alone = run(t, tmp_path / f"d{n}", Switches(placement=pl, **PER_DEMAND))
        assert shared.objective <= alone.objective * (1 + 1e-9) + 1e-6, \
            (t.seed, pl, shared.objective, alone.objective)
        for term in ("development", "relocation", "internal"):
            assert close(shared.solution.terms[term], alone.solution.terms[term])


def test_hand_case_sharing_is_strictly_cheaper(tmp_path):
    t = hand_tiny()
    pl = {"g0": "site1", "g1": "site1"}
    shared = run(t, tmp_path / "s", Switches(placement=pl))
    alone = run(t, tmp_path / "d", Switches(placement=pl, **PER_DEMAND))
    # shared: 275 km/week (see test_oracle_on_hand_numbers). Per demand: in0 12 t → 2 trips
    # and in1 8 t → 1 trip × 40 km (shared: 20 t in 2 trips), out0 25 t → 3 × 20 km, out1
    # 18 t → 2 × 40 km to the gateway; each trip brings ρ = 0.25 empty trips (e = 0.2):
    # 1.25 × (120 + 60 + 80) = 325 km/week
    assert shared.kpis["transport_cost_eur"] == pytest.approx(275 * 52)
    assert alone.kpis["transport_cost_eur"] == pytest.approx(325 * 52)
    # under 'dedicated' (ρ = 1 off the gateway): shared 300 (an own empty return costs what
    # the market does), per demand 2 × (120 + 60) + 1.25 × 80 = 460 km/week
    ded = t.copy(rule="dedicated")
    shared = run(ded, tmp_path / "s2", Switches(placement=pl))
    alone = run(ded, tmp_path / "d2", Switches(placement=pl, **PER_DEMAND))
    assert shared.kpis["transport_cost_eur"] == pytest.approx(300 * 52)
    assert alone.kpis["transport_cost_eur"] == pytest.approx(460 * 52)


# ---- 3. with cost ∝ vehicle-km, sharing never adds truck-km ----------------------------------


def per_km(t: Tiny) -> Tiny:
    """One truck type, cost only per km: no hourly cost, handling, toll or CO2 price."""
    t = t.copy(co2_price=0.0)
    for v in t.vehicles.values():
        v.update(ch=0.0, hand=0.0, toll=0.0)
    return t


@pytest.mark.parametrize("t", [per_km(x) for x in cases(n_trip_vehicles=1, tariff=False)],
                         ids=tid)
def test_sharing_never_adds_truck_km_when_cost_is_per_km(t, tmp_path):
    """Conditions: one vehicle type (trip-priced), cost_eur_per_h = 0, handling 0, no toll, no
    CO2 price: transport cost = c_km × truck-km, so the cheaper shared plan (test 2) has no
    more truck-km. Same placement for both; truck-km from results.evaluate."""
    (v,) = t.vehicles.values()
    for n, pl in enumerate(some_placements(t)):
        shared = run(t, tmp_path / f"s{n}", Switches(placement=pl))
        alone = run(t, tmp_path / f"d{n}", Switches(placement=pl, **PER_DEMAND))
        for r in (shared, alone):
            assert close(r.kpis["transport_cost_eur"], v["ckm"] * r.kpis["truck_km"])
        assert shared.kpis["truck_km"] <= alone.kpis["truck_km"] * (1 + 1e-9) + 1e-6, \
            (t.seed, pl, shared.kpis["truck_km"], alone.kpis["truck_km"])


# ---- 4. a co-located exchange has no road km -------------------------------------------------


def colocated(t: Tiny) -> tuple[Tiny, dict[str, str]]:
    """g0 and g1 both at a site they may both use (capacity raised so both fit)."""
    common = [s for s in t.growers["g0"]["cands"] if s in t.growers["g1"]["cands"]]
    t = t.copy()
    t.nodes[common[0]]["cap"] = 100.0
    return t, {"g0": common[0], "g1": common[0]}


def residual_cases() -> list[Tiny]:
    out = []
    for s in range(40):
        t = random_tiny(s, residual=True)
        if set(t.growers["g0"]["cands"]) & set(t.growers["g1"]["cands"]):
            out.append(t)
        if len(out) == len(SEEDS):
            break
    return out + [hand_tiny()]


@pytest.mark.parametrize("t", residual_cases(), ids=tid)
def test_colocated_exchange_has_no_road_km(t, tmp_path):
    """Two activities at one node exchanging a residual: the flow stays on the node (no load,
    no trip, no km, no CO2) and costs internal_cost_eur_per_t × tonnes × weight; removing the
    exchange changes nothing else."""
    t, pl = colocated(t)
    (q,) = [q for c, _, _, _, q in t.demands if c == "res"]
    ic = t.commodities["res"]["ic"]
    with_x = run(t, tmp_path / "x", Switches(placement=pl))
    without = run(t.copy(demands=[d for d in t.demands if d[0] != "res"]), tmp_path / "y",
                  Switches(placement=pl))
    sol = with_x.solution
    flows = sol.flows[sol.flows.demand == "res"]
    assert len(flows) and (flows.origin_node == flows.dest_node).all()
    assert flows.tonnes.sum() == pytest.approx(q)
    assert "res" not in set(sol.loads.commodity)
    assert sol.terms["internal"] == pytest.approx(ic * q * t.weight)
    assert with_x.kpis["internal_cost_eur"] == pytest.approx(ic * q * t.weight)
    for k in ("truck_km", "tonne_km", "co2_wtw_t", "transport_cost_eur", "carbon_cost_eur"):
        assert close(with_x.kpis[k], without.kpis[k]), k
    assert close(with_x.objective - without.objective, ic * q * t.weight)


def test_hand_case_colocated_exchange(tmp_path):
    # both growers at site1: 10 t/week × 1.5 €/t × 52 = 780 €/yr, no road km for it
    t = hand_tiny()
    r = run(t, tmp_path, Switches(placement={"g0": "site1", "g1": "site1"}))
    assert r.solution.terms["internal"] == pytest.approx(780.0)
    # the other flows only: 220 loaded km + 20 gateway empties + 35 by the market closure
    assert r.kpis["truck_km"] == pytest.approx(275 * 52)


# ---- 5. doubling every distance doubles truck-km and CO2 -------------------------------------


def linear(t: Tiny) -> Tiny:
    """One truck type, no handling time, times from speed (no explicit time_h), no tariff:
    every trip and empty costs α·d and emits β·d, so all transport terms scale with d."""
    t = t.copy(time_speed=None)
    for v in t.vehicles.values():
        v["hand"] = 0.0
    return t


@pytest.mark.parametrize("t", [linear(x) for x in cases(n_trip_vehicles=1, tariff=False)],
                         ids=tid)
def test_doubling_distances_doubles_truck_km_and_co2(t, tmp_path):
    """Conditions: as in ``linear`` (cost_eur_per_h may be > 0: without handling, time is
    d/speed), fixed placement. Then the objective is a constant + α × truck-km + a fixed
    load-dependent part, so the optimal trips are the same and ties share truck-km. The split
    loaded/empty may differ between ties (a loaded trip costs what an empty one does)."""
    pl = some_placements(t)[-1]
    one = run(t, tmp_path / "one", Switches(placement=pl))
    two = run(t.copy(scale=2.0), tmp_path / "two", Switches(placement=pl))
    for k in ("truck_km", "co2_ttw_t", "co2_wtw_t", "tonne_km", "transport_cost_eur",
              "carbon_cost_eur"):
        assert two.kpis[k] == pytest.approx(2 * one.kpis[k], rel=1e-9, abs=1e-9), k
    for k in ("internal_cost_eur", "development_cost_eur", "relocation_cost_eur"):
        assert two.kpis[k] == pytest.approx(one.kpis[k], rel=1e-9, abs=1e-9), k


# ---- 6. a fixed placement is respected -------------------------------------------------------


@pytest.mark.parametrize("t", cases(), ids=tid)
def test_fix_placement_is_respected(t, tmp_path):
    """``fix.placement`` of every grower: the solution has that placement and costs what the
    reference says; of one grower only: the optimum is the brute force over the others."""
    rnd = random.Random(t.seed)
    pl = rnd.choice(list(placements(t)))
    r = run(t.copy(fix_placement=pl), tmp_path / "all")
    assert {g: r.solution.placement[g] for g in t.growers} == pl
    assert close(r.objective, fixed_cost(t, pl) + transport_balanced(t, pl))
    for s, o in r.solution.open_sites.items():
        assert o == (1 if s in pl.values() else 0), (s, pl)
    g = rnd.choice(list(t.growers))
    one = t.copy(fix_placement={g: pl[g]})
    r = run(one, tmp_path / "one")
    assert r.solution.placement[g] == pl[g]
    assert close(r.objective, brute_force(one)[0])


@pytest.mark.parametrize("how", ["fix.placement", "Switches.placement", "new, one candidate"])
def test_activity_fixed_at_a_site_opens_it(how, tmp_path):
    # grower g → site S (1 000 €/yr opex), 5 t/week to X: S → X 10 km out, closed by the
    # market: ρ = 0.309/0.691 empty trips (the default CBS empty share) of 10 km
    (tmp_path / "lanes.csv").write_text(
        "from,to,distance_km\nstay,s,10\ns,stay,10\nstay,x,20\nx,stay,20\ns,x,10\nx,s,10\n")
    grower = {"id": "g", "node": "stay", "movable": True, "candidates": "s"}
    if how == "new, one candidate":
        grower.update(node=None, new=True)
    doc = {"name": "fixed-at-site", "interest_rate": 0.0, "lifetime_years": 10,
           "periods": [{"id": "wk", "weight": 52}],
           "distance": {"method": "matrix", "file": "lanes.csv"},
           "tables": {"nodes": [{"id": "stay"}, {"id": "x"},
                                {"id": "s", "kind": "site", "opex_eur_per_yr": 1_000.0}],
                      "activities": [grower, {"id": "buyer", "node": "x"}],
                      "commodities": [{"id": "veg", "load_class": "food"}],
                      "demands": [{"id": "d", "origin": "g", "destination": "buyer",
                                   "commodity": "veg", "tonnes_per_period": 5}],
                      "vehicles": [{"id": "t", "payload_t": 10, "cost_eur_per_km": 1.0}]}}
    if how == "fix.placement":
        doc["fix"] = {"placement": {"g": "s"}}
    sc = scenario_from_dict(doc, base_dir=tmp_path, path=tmp_path / "scenario.yaml")
    sw = Switches(placement={"g": "s"}) if how == "Switches.placement" else None
    model = build(sc, build_lanes(sc), sw)
    report = solve(model, gap_rel=0.0, time_limit_s=None, warm_start=False)
    # 1 000 opex + (10 + ρ · 10) km × 1 €/km × 52
    assert report.objective == pytest.approx(1_000 + (10 + 10 * 0.309 / 0.691) * 52)
    assert model.terms["development"].value() == pytest.approx(1_000)


# ---- 7. max_open = 0 keeps everyone at home --------------------------------------------------


@pytest.mark.parametrize("t", cases(), ids=tid)
def test_max_open_zero_keeps_every_grower_at_its_stay_node(t, tmp_path):
    t = t.copy(max_open=0)
    r = run(t, tmp_path)
    stay = {g: gr["stay"] for g, gr in t.growers.items()}
    assert {g: r.solution.placement[g] for g in t.growers} == stay
    assert not any(r.solution.open_sites.values())
    assert r.solution.terms["development"] == 0 and r.solution.terms["relocation"] == 0
    assert close(r.objective, fixed_cost(t, stay) + transport_balanced(t, stay))


def test_hand_case_max_open(tmp_path):
    # free: both growers to site1 (18 580); max_open 0: both stay, all transport: loaded km
    # 2×40 + 80 + 3×60 + 2×40 (gateway) + 40 (residual) = 460, gateway empties 20; two
    # sup→stay0→dst0 chains closed by empties dst0→sup_n (2 × 20 km, cheaper than the market's
    # 2 × (10 + 15)); the market closes sup→stay1 (0.25 × 80), one stay0→dst0 (0.25 × 60)
    # and the residual (0.25 × 40): 45. (460 + 20 + 40 + 45) × 52 = 29 380
    t = hand_tiny()
    assert run(t.copy(max_open=0), tmp_path / "a").objective == pytest.approx(29_380.0)
    one = t.copy(max_open=1)
    assert close(run(one, tmp_path / "b").objective, brute_force(one)[0])

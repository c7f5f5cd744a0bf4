"""The ``trip_floor`` and ``trip_cost_floor`` valid inequalities (``families``): whole trips,
and the cheapest whole carriage, for the load a placement brings to a leg.

* exact: on random tiny instances the MILP optimum at gap 0 is the same with and without them
  (and the brute-force tests compare the model, with them, to an independent reference);
* stronger: the LP relaxation with them is never below the one without and never above the
  MILP optimum, and on some instances strictly above;
* hand cases: one grower ships 2 t a period on its own leg with a 10 t truck (without the
  rows the LP pays a fifth of a trip, with them a whole one); 12 t with a 24 t and a 10 t
  truck (the LP mixes fractions of both); 2 t where the groupage tariff is cheaper than a
  whole truck.
"""

from __future__ import annotations

import pytest
from tiny import Tiny, close, commodity, location, random_tiny, run, vehicle

import clusteropt.model.families as fam
from clusteropt.highs import FastHiGHS
from clusteropt.lanes import build_lanes
from clusteropt.model import build

SEEDS = range(12)


FAMILIES = ("define_trip_floor", "define_trip_cost_floor")


def _without(m, families=FAMILIES) -> None:
    for name in families:
        m.setattr(fam, name, lambda *a: None)


def _lp_value(t: Tiny, tmp, floors, monkeypatch) -> float:
    """The LP relaxation's objective (every integer relaxed); ``floors``: True (both
    families), False (neither) or the one family to keep."""
    with monkeypatch.context() as m:
        if floors is not True:
            _without(m, [f for f in FAMILIES if f != floors])
        sc = t.scenario(tmp)
        model = build(sc, build_lanes(sc))
    model.prob.solve(FastHiGHS(msg=False, mip=False))
    return model.prob.objective.value()


@pytest.mark.parametrize("seed", SEEDS)
def test_same_optimum_with_and_without_floors(seed, tmp_path, monkeypatch):
    t = random_tiny(seed)
    with_floors = run(t, tmp_path / "a")
    with monkeypatch.context() as m:
        _without(m)
        without = run(t, tmp_path / "b")
        assert without.model.row_count("trip_floor", "trip_cost_floor") == 0
    assert close(with_floors.objective, without.objective), (seed, with_floors.objective,
                                                              without.objective)


def test_lp_bound_rises_and_stays_below_the_optimum(tmp_path, monkeypatch):
    rose = 0
    for seed in SEEDS:
        t = random_tiny(seed)
        lp_with = _lp_value(t, tmp_path / f"w{seed}", True, monkeypatch)
        lp_without = _lp_value(t, tmp_path / f"o{seed}", False, monkeypatch)
        opt = run(t, tmp_path / f"m{seed}").objective
        assert lp_with >= lp_without - 1e-6 * max(1.0, abs(lp_without)), seed
        assert lp_with <= opt + 1e-6 * max(1.0, abs(opt)), (seed, lp_with, opt)
        rose += lp_with > lp_without + 1e-6 * max(1.0, abs(lp_without))
    assert rose >= 3, rose


def _one_grower() -> Tiny:
    """g0 stays at stay0 (0,0) or moves to site1 (30,0) (relocation 1 M€: it stays); it ships
    2 t/period of veg to dst0 (0,40) with a 10 t truck at 1 €/km, 52 periods a year.

    Leg stay0 → dst0 is 40 km; a trip pays 40 €, and its return is closed by the market with
    ρ = e/(1−e) = 0.25 empty trips (empty share e = 0.2): 50 € a trip, 2,600 €/yr.
    LP without the floor: trips = 2/10 · place[g0,stay0] = 0.2 → 520 €/yr.
    LP with it: trips ≥ ⌈2/10⌉ · place = 1 → 2,600 €/yr, the integer optimum itself."""
    nodes = {"stay0": location(x=0, y=0), "dst0": location(x=0, y=40),
             "site1": location(kind="site", x=30, y=0, cap=50.0)}
    growers = {"g0": {"stay": "stay0", "cands": ["site1"], "size": 5.0,
                      "reloc": {"site1": 1_000_000.0}}}
    return Tiny(nodes=nodes, growers=growers, fixed={"d0": "dst0"},
                commodities={"veg": commodity("food")},
                demands=[("out0", "g0", "d0", "veg", 2.0)],
                vehicles={"v0": vehicle(payload=10.0, ckm=1.0)}, weight=52.0,
                interest=0.0, lifetime=10.0, empty_share=0.2, seed=-2)


def test_hand_case_lp_pays_a_whole_trip(tmp_path, monkeypatch):
    t = _one_grower()
    assert close(run(t, tmp_path / "m").objective, 2_600.0)
    assert close(_lp_value(t, tmp_path / "w", True, monkeypatch), 2_600.0)
    lp_without = _lp_value(t, tmp_path / "o", False, monkeypatch)
    assert close(lp_without, 520.0), lp_without


def test_no_floor_where_a_tariff_type_may_carry_the_load(tmp_path):
    """A groupage tariff on the leg may carry the 2 t with no trip at all: no floor there.
    With the truck alone: one floor per node the grower may ship from (stay0 → dst0 with
    place[g0,stay0], site1 → dst0 with place[g0,site1])."""
    t = _one_grower()
    t.vehicles["tar"] = vehicle(pricing="tariff", payload=None, ckm=0.0, ttkm=0.5)
    sc = t.scenario(tmp_path)
    assert build(sc, build_lanes(sc)).row_count("trip_floor") == 0
    t2 = _one_grower()
    sc2 = t2.scenario(tmp_path / "b")
    assert build(sc2, build_lanes(sc2)).row_count("trip_floor") == 2


def test_hand_case_two_trucks_lp_pays_the_cheapest_whole_truck(tmp_path, monkeypatch):
    """12 t a period on the 40 km leg; big truck 24 t at 2 €/km (80 € a trip), small 10 t
    at 1.2 €/km (48 €); every trip pays ρ = 0.25 of an empty return: × 1.25, × 52 a year.

    Integer: one big trip, 80 · 1.25 · 52 = 5,200 €/yr (two small ones: 96).
    LP, no rows: half a big trip, 2,600. trip_floor only (Σ trips ≥ 1 with 24 · big + 10 ·
    small ≥ 12): the vertex big = 1/7, small = 6/7, (80 + 6 · 48) / 7 · 1.25 · 52 = 3,417.14.
    With trip_cost_floor (80 · big + 48 · small ≥ C(12) = 80): 5,200, the optimum."""
    t = _one_grower()
    t.demands = [("out0", "g0", "d0", "veg", 12.0)]
    t.vehicles = {"big": vehicle(payload=24.0, ckm=2.0), "small": vehicle(payload=10.0,
                                                                         ckm=1.2)}
    assert close(run(t, tmp_path / "m").objective, 5_200.0)
    assert close(_lp_value(t, tmp_path / "o", False, monkeypatch), 2_600.0)
    assert close(_lp_value(t, tmp_path / "f", "define_trip_floor", monkeypatch),
                 (80 + 6 * 48) / 7 * 1.25 * 52)
    assert close(_lp_value(t, tmp_path / "w", True, monkeypatch), 5_200.0)


def test_hand_case_groupage_cheaper_than_a_whole_truck(tmp_path, monkeypatch):
    """2 t a period on the 40 km leg: the 10 t truck pays 40 € + ρ = 0.25 of an empty return
    (50 €); the groupage tariff 0.25 €/tkm + 5 €/t pays 2 · (10 + 5) = 30 €. Integer: the
    tariff, 30 · 52 = 1,560 €/yr. LP without the rows: a fifth of a truck, 10 · 52 = 520.
    With trip_cost_floor (40 · trips + 15 · y_tariff ≥ C(2) = min(40, 30) = 30): 1,560."""
    t = _one_grower()
    t.vehicles["tar"] = vehicle(pricing="tariff", payload=None, ckm=0.0, ttkm=0.25, tt=5.0)
    assert close(run(t, tmp_path / "m").objective, 1_560.0)
    assert close(_lp_value(t, tmp_path / "o", False, monkeypatch), 520.0)
    assert close(_lp_value(t, tmp_path / "w", True, monkeypatch), 1_560.0)


@pytest.mark.parametrize("seed", range(6))
def test_cheapest_carriage_matches_brute_force(seed):
    """``_cheapest_carriage`` (batched: loads that need the same counts share one
    enumeration) against the definition, every count of each type up to the whole load:
    C(L) = min Σ c_v n_v + t · max(0, L − Σ P_v n_v) with a tariff, else min Σ c_v n_v
    over the n that carry L on every side."""
    import itertools

    import numpy as np

    rng = np.random.default_rng(seed)
    types, sides = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    caps = rng.uniform(2, 25, (types, sides)).round(1)
    c = rng.uniform(50, 400, types).round(0)
    tariff = float(rng.uniform(5, 40)) if seed % 2 else None
    if tariff is not None:
        sides, caps = 1, caps[:, :1]
    loads = np.vstack([np.zeros(sides), rng.uniform(0, 60, (12, sides)).round(1)])
    got = fam._cheapest_carriage(c, caps, tariff, loads)
    for load, value in zip(loads, got, strict=True):
        best = np.inf
        most = [range(int(np.ceil(60 / cap.min())) + 1) for cap in caps]
        for n in itertools.product(*most):
            carried = np.array(n) @ caps
            if tariff is not None:
                best = min(best, float(np.array(n) @ c) + tariff * max(0.0, load[0] - carried[0]))
            elif (carried >= load - 1e-9).all():
                best = min(best, float(np.array(n) @ c))
        assert value == pytest.approx(best, rel=1e-12, abs=1e-9)

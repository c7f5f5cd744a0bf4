"""The finite bounds on empty running (``families.bound_empty_running``): a trip key's market
closure is at most R, the most trips its rows can ask for, and every empty leg of a vehicle
type and period at most S, the sum of R over the balance's trip keys. They must keep an
optimal solution:

* exact: on random tiny instances the optimum at gap 0 is the same with and without it (and
  the brute-force tests compare the model, with it, to an independent reference);
* a hand count of R and S, and a case where the optimum's empties reach S;
* no bound where a cost is negative (the cycle argument needs costs ≥ 0).
"""

from __future__ import annotations

import math

import pytest
from tiny import Tiny, brute_force, close, commodity, location, random_tiny, run, vehicle

import clusteropt.model.families as fam
from clusteropt.lanes import build_lanes
from clusteropt.model import build

SEEDS = range(12)


def _model(t: Tiny, tmp):
    sc = t.scenario(tmp)
    return build(sc, build_lanes(sc))


def _no_bound(x) -> bool:
    return x.upBound is None or math.isinf(x.upBound)


def _bounds(model) -> list[float]:
    return [math.inf if _no_bound(e) else e.upBound for e in model.empty.values()]


@pytest.mark.parametrize("seed", SEEDS)
def test_same_optimum_with_and_without_the_bound(seed, tmp_path, monkeypatch):
    t = random_tiny(seed)
    bounded = run(t, tmp_path / "a")
    with monkeypatch.context() as m:
        m.setattr(fam, "bound_empty_running", lambda *a: None)
        free = run(t, tmp_path / "b")
        assert all(math.isinf(u) for u in _bounds(free.model))
        assert all(_no_bound(mk) for mk in free.model.market.values())
    if bounded.model.empty:  # the bound was there to cut: every empty leg has one
        assert all(math.isfinite(u) for u in _bounds(bounded.model)), seed
        assert not any(_no_bound(mk) for mk in bounded.model.market.values()), seed
    assert close(bounded.objective, free.objective), (seed, bounded.objective,
                                                      free.objective)


def _one_way(fixed: bool, empty_share: float = 0.2) -> Tiny:
    """g0 at stay0 (0,0), or at site1 (30,0) unless ``fixed``; 25 t of veg a period to dst0
    (0,40) and 4 t in from sup_n (40,40), one 10 t truck at 1 €/km, 52 periods a year.

    Trip keys (class food, truck, the period): stay0 → dst0 and site1 → dst0 ask for at most
    ⌈25/10⌉ = 3 trips, sup_n → stay0 and sup_n → site1 for ⌈4/10⌉ = 1: S = 3 + 3 + 1 + 1 = 8
    with the site, 3 + 1 = 4 with g0 fixed at stay0."""
    nodes = {"stay0": location(x=0, y=0), "dst0": location(x=0, y=40),
             "sup_n": location(x=40, y=40),
             "site1": location(kind="site", x=30, y=0, cap=50.0)}
    t = Tiny(nodes=nodes, growers={"g0": {"stay": "stay0", "cands": ["site1"], "size": 5.0,
                                          "reloc": {"site1": 1_000_000.0}}},
             fixed={"d0": "dst0", "sup": "sup_n"}, commodities={"veg": commodity("food")},
             demands=[("out0", "g0", "d0", "veg", 25.0), ("in0", "sup", "g0", "veg", 4.0)],
             vehicles={"v0": vehicle(payload=10.0, ckm=1.0)}, weight=52.0, interest=0.0,
             lifetime=10.0, empty_share=empty_share, seed=-3)
    if fixed:
        t.fix_placement = {"g0": "stay0"}
    return t


def test_hand_count_of_the_bound(tmp_path):
    assert set(_bounds(_model(_one_way(False), tmp_path / "a"))) == {8.0}
    fixed = _model(_one_way(True), tmp_path / "b")
    assert set(_bounds(fixed)) == {4.0}
    assert {(i, j): mk.upBound for (i, j, *_), mk in fixed.market.items()} == {
        ("stay0", "dst0"): 3.0, ("sup_n", "stay0"): 1.0}


def test_the_optimum_empties_can_reach_the_bound(tmp_path):
    """Without the 4 t in, g0 fixed at stay0: S = 3. With an empty share of 0.9 a trip
    closed by the market pays ρ = 0.9/0.1 = 9 empty trips, so each of the 3 trucks returns
    empty instead: 3 empty trips dst0 → stay0, at the bound; 52 · (3 · 40 + 3 · 40) =
    12,480 €/yr, the brute-force optimum."""
    t = _one_way(True, empty_share=0.9)
    t.demands = t.demands[:1]
    r = run(t, tmp_path / "m")
    assert set(_bounds(r.model)) == {3.0}
    back = [e.varValue for (i, j, _v, _p), e in r.model.empty.items()
            if (i, j) == ("dst0", "stay0")]
    assert back and close(back[0], 3.0), back
    assert close(r.objective, 12_480.0), r.objective
    assert close(r.objective, brute_force(t)[0])


def test_no_bound_where_a_cost_is_negative(tmp_path, monkeypatch):
    """The argument cancels cycles of empties and trips, which needs every such cost ≥ 0."""
    t = _one_way(False)
    sc = t.scenario(tmp_path)
    real = fam.bound_empty_running

    def negative(b, cost):
        v = next(iter(b.empty.values()))
        real(b, {**cost, v: -1.0})
    monkeypatch.setattr(fam, "bound_empty_running", negative)
    model = build(sc, build_lanes(sc))
    assert all(math.isinf(u) for u in _bounds(model))
    assert all(_no_bound(mk) for mk in model.market.values())


def test_a_shipment_frequency_asks_for_whole_trips(tmp_path, monkeypatch):
    """25 t shipped 4.5 times a period needs ⌈4.5⌉ = 5 trips, not ⌈25/10⌉ = 3: R = 5 on
    stay0 → dst0, so S = 5 + 1 = 6; the optimum (5 trips) is the same without the bounds."""
    from clusteropt.solve import solve

    def solved(tmp):
        sc = _one_way(True).scenario(tmp)
        sc.demands["out0"].shipments_per_period = 4.5
        model = build(sc, build_lanes(sc))
        report = solve(model, gap_rel=0.0, time_limit_s=None, warm_start=False)
        return model, report.objective

    model, bounded = solved(tmp_path / "a")
    assert set(_bounds(model)) == {6.0}
    assert {(i, j): mk.upBound for (i, j, *_), mk in model.market.items()} == {
        ("stay0", "dst0"): 5.0, ("sup_n", "stay0"): 1.0}
    trips = [t.varValue for (i, j, *_), t in model.trips.items() if (i, j) == ("stay0", "dst0")]
    assert close(sum(trips), 5.0), trips
    with monkeypatch.context() as m:
        m.setattr(fam, "bound_empty_running", lambda *a: None)
        _, free = solved(tmp_path / "b")
    assert close(bounded, free), (bounded, free)

"""Tours by PyVRP (clusteropt/tours.py) against brute force on tiny instances.

Brute force: every partition of the stops into tours whose load fits the payload, each tour in
its cheapest order (every permutation), each tour within the duration limit; the cheapest
total is the exact optimum. PyVRP's tours must cost exactly that (to the integer rounding of
metres, seconds and micro-euros), serve every stop's tonnes once, and respect capacity and
duration.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from clusteropt.lanes import Lanes
from clusteropt.scenario import VehicleType
from clusteropt.tours import plan_tours, tour_measures

STOP_H = 0.25


def truck(payload: float = 10.0) -> VehicleType:
    # 1.0 €/km + 0.1 toll, 40 €/h, 60 km/h, 0.5 h unloading at the depot
    return VehicleType(id="truck", name="truck", mode="road", pricing="trip",
                       payload_t=payload, volume_m3=None, pallets=None, cost_eur_per_km=1.0,
                       cost_eur_per_h=40.0, toll_eur_per_km=0.1, toll_rate_eur_per_km=0.0,
                       speed_kmh=60.0,
                       handling_h_per_trip=0.5, co2_empty_kg_per_km=0.6,
                       co2_full_kg_per_km=0.9, wtw_ttw_ratio=1.2, tariff_eur_per_tkm=0.0,
                       tariff_eur_per_t=0.0, co2_ttw_kg_per_tkm=0.0, load_classes=None,
                       baseline=True)


def random_lanes(seed: int, n: int) -> tuple[Lanes, dict[str, float]]:
    """A depot and n stops on a 60 × 60 km square; km = Euclidean × 1.3, symmetric."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 60, (n + 1, 2))
    km = 1.3 * np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    ids = ["depot", *(f"s{i}" for i in range(n))]
    tonnes = {f"s{i}": float(rng.choice([1.0, 2.0, 3.0, 4.0, 6.0])) for i in range(n)}
    return Lanes(ids, km), tonnes


def partitions(items: list[str]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for i in range(len(part)):
            yield [*part[:i], [first, *part[i]], *part[i + 1:]]
        yield [[first], *part]


def brute_force(lanes: Lanes, tonnes: dict[str, float], vt: VehicleType,
                max_hours: float | None) -> float:
    best_group: dict[tuple[str, ...], float] = {}

    def group_cost(group: tuple[str, ...]) -> float:
        if group not in best_group:
            if sum(tonnes[s] for s in group) > vt.payload_t + 1e-9:
                best_group[group] = math.inf
            else:
                costs = [tour_measures("depot", p, vt, lanes, STOP_H)
                         for p in itertools.permutations(group)]
                ok = [c for _, h, c in costs if max_hours is None or h <= max_hours + 1e-9]
                best_group[group] = min(ok, default=math.inf)
        return best_group[group]

    return min(sum(group_cost(tuple(sorted(g))) for g in part)
               for part in partitions(sorted(tonnes)))


@pytest.mark.parametrize("seed", range(6))
def test_tours_equal_the_brute_force_optimum(seed):
    n = 4 + seed % 3  # 4, 5 or 6 stops
    lanes, tonnes = random_lanes(seed, n)
    vt = truck(payload=10.0)
    max_hours = 4.0 if seed % 2 else None
    exact = brute_force(lanes, tonnes, vt, max_hours)
    tours = plan_tours("depot", tonnes, vt, lanes, stop_h=STOP_H, max_hours=max_hours,
                       seconds=0.5, seed=seed)
    total = sum(t.cost_eur for t in tours)
    assert total == pytest.approx(exact, rel=1e-6, abs=1e-3)
    # every stop served once, in full; capacity and duration kept
    served: dict[str, float] = {}
    for t in tours:
        assert t.path[0] == t.path[-1] == "depot"
        assert sum(t.tonnes) <= vt.payload_t + 1e-9
        assert max_hours is None or t.hours <= max_hours + 1e-9
        for s, q in zip(t.stops, t.tonnes, strict=True):
            assert s not in served
            served[s] = q
    assert served == pytest.approx(tonnes)


def test_large_stops_get_full_shuttles_first():
    """25 t at one stop with a 10 t truck: two full shuttles and 5 t toured with the others."""
    lanes, _ = random_lanes(1, 3)
    tonnes = {"s0": 25.0, "s1": 2.0, "s2": 2.0}
    tours = plan_tours("depot", tonnes, truck(10.0), lanes, seconds=0.3)
    shuttles = [t for t in tours if t.tonnes == (10.0,)]
    assert len(shuttles) == 2 and all(t.stops == ("s0",) for t in shuttles)
    per_stop: dict[str, float] = {}
    for t in tours:
        for s, q in zip(t.stops, t.tonnes, strict=True):
            per_stop[s] = per_stop.get(s, 0.0) + q
    assert per_stop == pytest.approx(tonnes)
    # the 9 t left fit one truck: one tour through all three stops is the cheapest
    # (its km never exceed three separate round trips, triangle inequality)
    assert len(tours) == 3


def test_tour_cost_by_hand():
    """Depot at 0, stops on a line at 30 and 60 km: 0 → 30 → 60 → 0 is 120 km, 2 h driving,
    2 stops × 0.25 h + 0.5 h at the depot = 3 h; cost 1.1 · 120 + 40 · 3 = 252 €."""
    km = np.array([[0, 30, 60], [30, 0, 30], [60, 30, 0]], float)
    lanes = Lanes(["depot", "a", "b"], km)
    (tour,) = plan_tours("depot", {"a": 3.0, "b": 4.0}, truck(10.0), lanes, seconds=0.2)
    assert tour.km == pytest.approx(120.0)
    assert tour.hours == pytest.approx(3.0)
    assert tour.cost_eur == pytest.approx(252.0)
    assert set(tour.stops) == {"a", "b"}


def test_a_stop_out_of_reach_is_an_error():
    km = np.array([[0, 200], [200, 0]], float)
    lanes = Lanes(["depot", "far"], km)
    with pytest.raises(ValueError, match="more than max_hours"):
        plan_tours("depot", {"far": 1.0}, truck(), lanes, max_hours=4.0, seconds=0.1)


def test_tours_stopped_by_iterations_are_the_same_on_every_run():
    """With ``iterations`` PyVRP stops at that count, not at a time: two runs give the same
    tours, and more iterations from the same seed never cost more (the first 20 iterations
    of the longer run are the shorter run)."""
    lanes, _ = random_lanes(11, 60)
    rng = np.random.default_rng(11)
    tonnes = {f"s{i}": float(rng.uniform(0.5, 4.0)) for i in range(60)}
    vt = truck(10.0)

    def plan(iterations):
        tours = plan_tours("depot", tonnes, vt, lanes, stop_h=STOP_H, max_hours=8.0,
                           seconds=0.001, seed=3, iterations=iterations)
        return sorted(t.stops for t in tours), sum(t.cost_eur for t in tours)

    first, cost_first = plan(300)
    again, cost_again = plan(300)
    assert first == again and cost_first == cost_again
    _, cost_short = plan(20)
    assert cost_first <= cost_short + 1e-9

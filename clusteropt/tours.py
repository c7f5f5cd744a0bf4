"""Multi-stop tours (milk runs) from and to one depot, built by PyVRP.

``plan_tours`` takes a depot node (an auction, trader, feed mill, manure processor), the tonnes
to collect at (or deliver to) each stop node in one period, a trip-priced vehicle type and the
lanes, and returns the tours that serve every stop exactly once in tonnes:

* a stop with more than a vehicle's payload first gets ⌊t / payload⌋ full shuttle tours
  (depot → stop → depot); the rest of its tonnes is toured;
* the rest is a capacitated VRP with a duration limit, solved by PyVRP's iterated local search
  (hybrid genetic search lineage; Wouda, Lan & Kool 2024, INFORMS J. on Computing) on the
  lanes' own km and hours. A tour is closed: it starts and ends at the depot, so its km count
  the empty leg out (collection) or back (delivery) — no empty-running factor applies to it.

Cost of a tour, € (the rules of a trip-priced vehicle, ``shared/design/model.md`` §4):
cost_eur_per_km · km + toll (toll_eur_per_km · km + toll_rate_eur_per_km · the lane's tolled
km) + cost_eur_per_h · (driving h + stop_h per stop + handling_h_per_trip at the depot).
Duration: driving h + stop and depot handling h ≤ max_hours.
PyVRP works in integers: kg, seconds and, as each edge's "distance", its cost in euro cents
(km and driving time priced; the stop times cost the same in every solution and the depot
handling is a fixed cost per tour), so the tours are optimal to within a cent per edge;
``Tour.km``, ``hours`` and ``cost_eur`` are recomputed from the lanes.

PyVRP (MIT) was chosen over VROOM (``pyvroom``, BSD) and OR-Tools routing (Apache-2.0): it
takes an explicit asymmetric distance and duration matrix, a distance and a duration price, a
shift limit and several load dimensions in one model, is the current state of the art on the
CVRPLIB X set, and installs as one wheel (see ``docs/benchmarks.md``, "Tours").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

from clusteropt import rates
from clusteropt.lanes import Lanes
from clusteropt.scenario import Scenario, VehicleType

KG = 1000.0  # PyVRP loads in kg
S = 3600.0  # PyVRP durations in seconds
CENT = 100.0  # PyVRP edge costs in euro cents
NO_IMPROVEMENT = 2_000  # PyVRP stops after this many iterations without a better solution


@dataclass(frozen=True)
class Tour:
    """One vehicle tour: from ``depot`` through ``stops`` (in order) back to ``depot``.
    ``tonnes[i]`` is collected at (``collect``) or delivered to (``deliver``) ``stops[i]``;
    km, hours (driving + stops + depot handling) and cost (€) are per run of the tour."""

    depot: str
    vehicle: str
    direction: str
    stops: tuple[str, ...]
    tonnes: tuple[float, ...]
    km: float
    hours: float
    cost_eur: float

    @property
    def path(self) -> tuple[str, ...]:
        return (self.depot, *self.stops, self.depot)


def tour_measures(depot: str, stops: tuple[str, ...], vt: VehicleType, lanes: Lanes,
                  stop_h: float) -> tuple[float, float, float]:
    """(km, hours, cost €) of the closed tour depot → stops → depot, by the lanes; the cost
    includes the toll (``tour_toll``)."""
    path = (depot, *stops, depot)
    legs = list(zip(path, path[1:], strict=False))
    km = sum(lanes.distance(a, b, vt.mode) for a, b in legs)
    drive = sum(lanes.time(a, b, vt.speed_kmh, vt.mode) for a, b in legs)
    hours = drive + stop_h * len(stops) + vt.handling_h_per_trip
    return km, hours, vt.cost_eur_per_km * km + tour_toll(path, vt, lanes) \
        + vt.cost_eur_per_h * hours


def tour_toll(path, vt: VehicleType, lanes: Lanes) -> float:
    """Toll of one run along ``path``, €: the trip rule (``rates.trip_toll``) on every leg."""
    return sum(rates.trip_toll(vt, lanes.distance(a, b, vt.mode), lanes.toll_share(a, b))
               for a, b in zip(path, path[1:], strict=False))


def ride(path, stop: str, direction: str) -> list[str]:
    """The part of the closed tour ``path`` (depot, stops…, depot) a stop's tonnes ride: from
    the stop to the depot (collect) or from the depot to the stop (deliver)."""
    path = list(path)
    n = path.index(stop, 1)
    return path[n:] if direction == "collect" else path[:n + 1]


def ride_km(path, stop: str, direction: str, vt: VehicleType, lanes: Lanes) -> float:
    """km a stop's tonnes ride on the closed tour ``path`` (``ride``)."""
    on = ride(path, stop, direction)
    return sum(lanes.distance(a, b, vt.mode) for a, b in zip(on, on[1:], strict=False))


def solution_tours(sc: Scenario, sol) -> dict[tuple[str, str], tuple[Any, VehicleType, list]]:
    """(period, tour) → (its ``Solution.tours`` row, vehicle type, path depot → stops →
    depot), for the readers of a solution (results, per-firm allocation, lead times)."""
    return {(r.period, r.tour): (r, sc.vehicles[r.vehicle],
                                 [r.depot, *str(r.stops).split(";"), r.depot])
            for r in sol.tours.itertuples(index=False)}


def plan_tours(depot: str, tonnes: Mapping[str, float], vt: VehicleType, lanes: Lanes,
               direction: str = "collect", stop_h: float = 0.25,
               max_hours: float | None = None, seconds: float = 1.0,
               seed: int = 0, iterations: int | None = None) -> list[Tour]:
    """Tours serving every stop of ``tonnes`` (node → t in the period) from ``depot``.
    PyVRP stops after ``NO_IMPROVEMENT`` iterations without improvement, or after
    ``seconds``, or, when ``iterations`` is given, after that many iterations instead of
    ``seconds`` (the same tours on every run: PyVRP is seeded).

    Raises ValueError when a stop cannot be served within ``max_hours`` by a shuttle of its
    own, or when the vehicle type has no payload."""
    if direction not in ("collect", "deliver"):
        raise ValueError(f"direction must be 'collect' or 'deliver', not {direction!r}")
    if not vt.payload_t or vt.payload_t <= 0:
        raise ValueError(f"vehicle type '{vt.id}' has no payload")
    cap = vt.payload_t
    tours: list[Tour] = []
    rest: dict[str, float] = {}
    for node, t in tonnes.items():
        if t <= 1e-9:
            continue
        if node == depot:
            raise ValueError(f"stop '{node}' is the depot itself")
        full = math.floor(t / cap + 1e-9)
        left = t - full * cap
        for _ in range(full):
            tours.append(_tour(depot, (node,), (cap,), vt, lanes, direction, stop_h))
        if left > 1e-9:
            rest[node] = left
    for tour in tours:
        _check_duration(tour, max_hours)
    if rest:
        tours += _vrp(depot, rest, vt, lanes, direction, stop_h, max_hours, seconds, seed,
                      iterations)
    return tours


def _tour(depot, stops, tonnes, vt, lanes, direction, stop_h) -> Tour:
    km, hours, cost = tour_measures(depot, stops, vt, lanes, stop_h)
    return Tour(depot, vt.id, direction, tuple(stops), tuple(tonnes), km, hours, cost)


def _check_duration(tour: Tour, max_hours: float | None) -> None:
    if max_hours is not None and tour.hours > max_hours + 1e-9:
        raise ValueError(f"stop '{tour.stops[0]}' takes {tour.hours:.2f} h from depot "
                         f"'{tour.depot}' and back, more than max_hours {max_hours:g}")


def _is_client(activity) -> bool:
    flag = activity.is_client
    return bool(flag() if callable(flag) else flag)


def _vrp(depot, rest, vt, lanes, direction, stop_h, max_hours, seconds, seed,
         iterations=None) -> list[Tour]:
    """The remainders (each below the payload) as a CVRP with a duration limit."""
    nodes = [depot, *rest]
    for n in rest:  # a stop that cannot be reached alone within the limit is an input error
        _check_duration(_tour(depot, (n,), (rest[n],), vt, lanes, direction, stop_h), max_hours)
    m = pyvrp.Model()
    locs = [m.add_location(0.0, 0.0, name=n) for n in nodes]
    dep = m.add_depot(locs[0], service_duration=round(vt.handling_h_per_trip * S), name=depot)
    load = [round(rest[n] * KG) for n in nodes[1:]]
    for loc, q, n in zip(locs[1:], load, nodes[1:], strict=True):
        kw = {"pickup": [q]} if direction == "collect" else {"delivery": [q]}
        m.add_client(loc, service_duration=round(stop_h * S), name=n, **kw)
    shift = round(max_hours * S) if max_hours is not None else 2**62
    m.add_vehicle_type(num_available=len(rest), capacity=[round(vt.payload_t * KG)],
                       start_depot=dep, end_depot=dep, shift_duration=shift,
                       fixed_cost=round(vt.cost_eur_per_h * vt.handling_h_per_trip * CENT),
                       unit_distance_cost=1, unit_duration_cost=0)
    # every edge at once (numpy, not the lanes' cache): its "distance" is its cost in cents
    # (km, toll and driving time), its duration the driving time in seconds
    km = lanes.distance_block(nodes, vt.mode)
    hours = lanes.time_block(nodes, vt.speed_kmh, vt.mode)
    toll = (vt.toll_eur_per_km + lanes.toll_share_block(nodes) * vt.toll_rate_eur_per_km) * km
    cents = np.rint((vt.cost_eur_per_km * km + toll + vt.cost_eur_per_h * hours) * CENT)
    data = m.data().replace(distance_matrices=[cents.astype(np.int64)],
                            duration_matrices=[np.rint(hours * S).astype(np.int64)])
    limit = MaxRuntime(seconds) if iterations is None else MaxIterations(iterations)
    stop = MultipleCriteria([NoImprovement(NO_IMPROVEMENT), limit])
    res = pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=False)
    if not res.best.is_feasible():
        raise ValueError(f"PyVRP found no feasible tours from '{depot}' (capacity "
                         f"{vt.payload_t:g} t, max_hours {max_hours})")
    out = []
    for route in res.best.routes():
        stops = tuple(nodes[1 + a.idx] for a in route if _is_client(a))
        out.append(_tour(depot, stops, tuple(rest[s] for s in stops), vt, lanes, direction,
                         stop_h))
    return out

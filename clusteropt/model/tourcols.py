"""Tour columns (model.md §4 tours): the multi-stop tours the model may run beside direct trips.

A commodity with ``tour: collect`` may be collected from several origin nodes into one
destination node (the depot: an auction, trader, processor) in one vehicle run; ``deliver``
the reverse. A column is one such tour — depot, vehicle type, load class and the stops in
order — built by PyVRP (``clusteropt.tours.plan_tours``) for the consignments of one placement:

* per period, depot, load class and trip-priced vehicle type, each stop's consignment is the
  tonnes it sends to (or gets from) the depot divided by its shipments per period (the
  demand's or the commodity's ``shipments_per_period``, else 1: the period's tonnes at once);
* PyVRP serves the consignments within what a run can take (the payload, or less where the
  volume or pallet places of the least dense commodity bind) and ``max_tour_h``; every tour
  of two or
  more stops becomes a column (one-stop tours are direct trips, which the model already has);
* columns are kept for every period (a tour is a route, not a load).

Columns come from today's placement and from the candidate nodes movable activities may move
to (``today_columns``, cached on the scenario) and, in a run,
from the optimum's flows (``columns_from_flows``), after which the model is solved again with
the larger set (``clusteropt.run``) until no new tour appears or ``options.tour_rounds`` is
spent. The model is exact for the columns it holds: it chooses how often each tour runs and
what it carries, and direct trips remain for the rest; it is not a full branch-and-price.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from clusteropt.lanes import Lanes
from clusteropt.scenario import Scenario, VehicleType
from clusteropt.tours import plan_tours, ride_km, tour_measures


@dataclass(frozen=True)
class TourColumn:
    """A tour from ``depot`` through ``stops`` (in order) back to ``depot`` by one vehicle
    type, for one load class; ``stop_h`` is the time per stop (h)."""

    depot: str
    vehicle: str
    direction: str  # 'collect' (stops → depot) or 'deliver' (depot → stops)
    load_class: str
    stops: tuple[str, ...]
    stop_h: float

    @property
    def path(self) -> tuple[str, ...]:
        return (self.depot, *self.stops, self.depot)

    def stop_leg(self, stop: str) -> tuple[str, str]:
        """The direct leg a stop's load would otherwise take: stop → depot (collect) or
        depot → stop (deliver)."""
        return (stop, self.depot) if self.direction == "collect" else (self.depot, stop)

    def measures(self, vt: VehicleType, lanes: Lanes) -> tuple[float, float, float]:
        """(km, hours, cost €) per run, toll included (``tours.tour_measures``)."""
        return tour_measures(self.depot, self.stops, vt, lanes, self.stop_h)

    def onboard_km(self, stop: str, vt: VehicleType, lanes: Lanes) -> float:
        """km a stop's tonnes ride on the tour (``tours.ride_km``)."""
        return ride_km(self.path, stop, self.direction, vt, lanes)


Legs = dict[tuple[str, str, str, str], list[float]]  # (period, i, j, commodity) → [t, t/shipment]


def _shipments(sc: Scenario, demand: str) -> float:
    dm = sc.demands[demand]
    return dm.shipments_per_period or sc.commodities[dm.commodity].shipments_per_period or 1.0


def placement_legs(sc: Scenario, placement: dict[str, str]) -> Legs:
    """Toured legs of a placement (activity → node; fixed activities at their node):
    directed demands, and pooled ones to their baseline partner."""
    legs: Legs = defaultdict(lambda: [0.0, 0.0])

    def node(f: str | None) -> str | None:
        if f is None:
            return None
        if f.startswith("@"):
            return f[1:]
        a = sc.activities.get(f)
        return None if a is None else placement.get(f, a.node if not a.movable else None)

    for c, dm in sc.demands.items():
        if sc.commodities[dm.commodity].tour == "none":
            continue
        if dm.kind == "directed":
            i, j = node(dm.origin), node(dm.destination)
        elif dm.kind == "pooled_supply":
            i, j = node(dm.origin), node(dm.baseline_partner)
        else:
            i, j = node(dm.baseline_partner), node(dm.destination)
        if i is None or j is None or i == j:
            continue
        m = _shipments(sc, c)
        for p, t in dm.tonnes.items():
            if t > 0:
                leg = legs[p, i, j, dm.commodity]
                leg[0] += t
                leg[1] += t / m
    return legs


def candidate_legs(sc: Scenario) -> Legs:
    """Toured legs from the candidate nodes a movable activity may move to (its stay node
    aside), the other end where it is today; a node's consignment is the largest one activity
    there would send (a tour between candidate sites close together is what clustering
    can offer; today's placement does not show it)."""
    legs: Legs = defaultdict(lambda: [0.0, 0.0])
    for c, dm in sc.demands.items():
        if sc.commodities[dm.commodity].tour == "none" or dm.kind != "directed":
            continue
        ends = [sc.activities[dm.origin], sc.activities[dm.destination]]
        m = _shipments(sc, c)
        for side, act in enumerate(ends):
            other = ends[1 - side]
            there = other.node if not other.movable else other.stay_node()
            if not act.movable or there is None:
                continue
            for n in act.candidates:
                if n == act.stay_node() or n == there:
                    continue
                i, j = (n, there) if side == 0 else (there, n)
                for p, t in dm.tonnes.items():
                    if t > 0:
                        leg = legs[p, i, j, dm.commodity]
                        leg[0] = max(leg[0], t)
                        leg[1] = max(leg[1], t / m)
    return legs


def flow_legs(sc: Scenario, flows) -> Legs:
    """Toured legs of a solution's direct flows (``Solution.flows``)."""
    legs: Legs = defaultdict(lambda: [0.0, 0.0])
    for r in flows.itertuples(index=False):
        path = str(r.path).split(";")
        com = sc.commodities.get(r.commodity)
        if com is None or com.tour == "none" or len(path) != 2 or path[0] == path[1]:
            continue
        m = _shipments(sc, r.demand) if r.demand in sc.demands else \
            (com.shipments_per_period or 1.0)
        leg = legs[r.period, path[0], path[1], r.commodity]
        leg[0] += r.tonnes
        leg[1] += r.tonnes / m
    return legs


def generate(sc: Scenario, lanes: Lanes, legs: Legs) -> list[TourColumn]:
    """Tour columns for the consignments of ``legs`` (see the module docstring), sorted."""
    groups: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    stop_h: dict[tuple, float] = defaultdict(float)
    coms: dict[tuple, set[str]] = defaultdict(set)
    for (p, i, j, k), (_t, per_run) in legs.items():
        com = sc.commodities[k]
        depot, stop = (j, i) if com.tour == "collect" else (i, j)
        key = (com.tour, depot, com.load_class)
        groups[(*key, p)][stop] += per_run
        stop_h[key] = max(stop_h[key], com.tour_stop_h)
        coms[key].add(k)
    cols: set[TourColumn] = set()
    for (direction, depot, g, _p), stops in sorted(groups.items()):
        if len(stops) < 2:
            continue
        h = stop_h[direction, depot, g]
        for vt in sc.vehicles.values():
            if vt.pricing != "trip" or not vt.carries(g) or vt.legs != "any" \
                    or vt.mode not in sc.nodes[depot].modes:
                continue
            reach = {s: t for s, t in sorted(stops.items()) if vt.mode in sc.nodes[s].modes
                     and tour_measures(depot, (s,), vt, lanes, h)[1] <= vt.max_tour_h + 1e-9}
            if len(reach) < 2:
                continue
            room = replace(vt, payload_t=_tonnes_per_run(sc, vt, coms[direction, depot, g]))
            for tour in plan_tours(depot, reach, room, lanes, direction, h, vt.max_tour_h,
                                   seconds=sc.options.tour_seconds,
                                   iterations=sc.options.tour_iterations):
                if len(tour.stops) >= 2:
                    cols.add(TourColumn(depot, vt.id, direction, g, tour.stops, h))
    return sorted(cols, key=_order)


def _tonnes_per_run(sc: Scenario, vt: VehicleType, commodities: set[str]) -> float:
    """Tonnes one run can take of the least dense of ``commodities``: the payload, or what
    the volume (m³ × density) or the pallet places (pallets ÷ pallets per t) allow."""
    room = vt.payload_t
    for k in commodities:
        com = sc.commodities[k]
        if vt.volume_m3 and com.density_t_per_m3:
            room = min(room, vt.volume_m3 * com.density_t_per_m3)
        if vt.pallets and com.pallets_per_t:
            room = min(room, vt.pallets / com.pallets_per_t)
    return room


def _order(c: TourColumn) -> tuple:
    return (c.depot, c.vehicle, c.load_class, c.direction, c.stops)


def today_columns(sc: Scenario, lanes: Lanes) -> tuple[TourColumn, ...]:
    """Columns around today's placement (every activity at its stay node), cached on the
    scenario object for the lanes it was built with."""
    cache = sc.__dict__.setdefault("_today_tour_columns", {})
    if id(lanes) not in cache:
        today = {f: a.stay_node() for f, a in sc.activities.items()
                 if a.stay_node() is not None}
        cache.clear()
        cols = set(generate(sc, lanes, placement_legs(sc, today)))
        cols.update(generate(sc, lanes, candidate_legs(sc)))
        cache[id(lanes)] = tuple(sorted(cols, key=_order))
    return cache[id(lanes)]


def touring(sc: Scenario) -> bool:
    """Some commodity may ride tours."""
    return any(c.tour != "none" for c in sc.commodities.values())


def limitation(sc: Scenario) -> str:
    """What the run's bundling covers, for the reports' assumptions."""
    toured = sorted(k for k, c in sc.commodities.items() if c.tour != "none")
    if not toured:
        return ("bundling on shared legs and hubs only; multi-stop tours are not routed (no "
                "commodity has `tour` set)")
    return ("bundling on shared legs and hubs; multi-stop tours (PyVRP columns around today's "
            "and the optimum's placement, candidate sites included) for "
            + ", ".join(toured) + "; the other commodities are not toured")

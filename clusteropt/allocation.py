"""Results per firm (activity): each flow's share of the transport it uses, summed per firm.

Allocation (ISO 14083's allocation of a shared vehicle's operation to the consignments on it,
by tonne-km):

* a trip row (leg, vehicle type, load class, period) — its cost, vehicle-km, trips and the
  empty trips of its market closure — is shared by the loads of its class on that leg in
  proportion to their tonnes (one leg: tonnes ∝ tonne-km); so is the cost of a tariff type's
  load units;
* an empty repositioning leg — and a trip row with no load, which a solution within its gap
  may have — is shared by every loaded trip row of the same vehicle type and period, in
  proportion to their tonne-km;
* a load (commodity, role on the route) is shared by the flows on that leg with that
  commodity, role and owner, in proportion to their tonnes; tariff costs, the load-dependent
  CO2 and the vehicles behind a tariff go with the load;
* hub handling, internal (co-located) and disposal costs (gate fees included) belong to their
  flow; carbon follows the CO2;
* the products of a processor that is a node (not a firm) belong to the firms that sent it
  its input, in proportion to their tonnes of it over the year.

A flow belongs to its **movable end** — the firm whose place is decided — and where both or
neither end may move, to its origin (the shipper; for pooled supply the supplier, for pooled
demand the receiver). So every cost, km and kg is counted once and the firms sum to the
scenario's totals.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from clusteropt import rates
from clusteropt.lanes import Lanes
from clusteropt.scenario import Scenario, flow_commodity, gate_fee_of
from clusteropt.solution import Solution
from clusteropt.tours import ride_km, solution_tours, tour_toll

FIGURES = ("transport_cost_eur", "toll_cost_eur", "handling_cost_eur", "internal_cost_eur",
           "disposal_cost_eur", "carbon_cost_eur", "truck_km", "vehicle_trips", "tonne_km",
           "tonnes", "co2_ttw_t", "co2_wtw_t", "nox_kg", "pm10_kg", "air_pollution_cost_eur")
FIRM_UNITS = {"transport_cost_eur": "EUR/yr", "toll_cost_eur": "EUR/yr",
              "handling_cost_eur": "EUR/yr",
              "internal_cost_eur": "EUR/yr", "disposal_cost_eur": "EUR/yr",
              "carbon_cost_eur": "EUR/yr", "logistics_cost_eur": "EUR/yr",
              "truck_km": "km/yr", "vehicle_trips": "trips/yr", "tonne_km": "tkm/yr",
              "tonnes": "t/yr", "co2_ttw_t": "t CO2e/yr (TTW)", "co2_wtw_t": "t CO2e/yr (WTW)",
              "nox_kg": "kg NOx/yr", "pm10_kg": "kg PM10/yr",
              "air_pollution_cost_eur": "EUR/yr"}


def owner_of(sc: Scenario, demand: str) -> str:
    """The firm a flow belongs to (see the module docstring)."""
    d = sc.demands.get(demand)
    if d is None:  # a processor's product: the processor ('@node' for a node)
        return demand.rpartition(">")[0]
    ends = [e for e in (d.origin, d.destination) if e is not None]
    movable = [e for e in ends if sc.activities[e].movable]
    return movable[0] if len(movable) == 1 else ends[0]


def _legs(path: list[str]) -> list[tuple[str, str, str]]:
    roles = {2: ("direct",), 3: ("collection", "distribution"),
             4: ("collection", "transfer", "distribution")}[len(path)]
    return [(path[n], path[n + 1], r) for n, r in enumerate(roles) if path[n] != path[n + 1]]


def firm_results(sc: Scenario, lanes: Lanes, sol: Solution) -> pd.DataFrame:
    """One row per activity in play: its share of every figure in ``FIGURES`` (annual), and
    ``logistics_cost_eur`` (transport + toll + handling + internal + disposal + carbon)."""
    w = {p.id: p.weight for p in sc.periods}
    bundled = bool((sol.switches or {}).get("bundling", sc.options.bundling))
    role_factor = rates.role_factors(sc.hubs)
    lc = {k: c.load_class for k, c in sc.commodities.items()}

    # flows per (period, leg, commodity, owner, role) → {demand: tonnes/period}
    on_leg: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    direct: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # firm costs
    for r in sol.flows.itertuples(index=False):
        path = str(r.path).split(";") if isinstance(r.path, str) and r.path else \
            [r.origin_node, r.dest_node]
        firm = owner_of(sc, r.demand)
        t = r.tonnes * w[r.period]
        direct[firm]["tonnes"] += t
        direct[firm]["disposal_cost_eur"] += t * gate_fee_of(
            sc, r.demand, r.partner if isinstance(r.partner, str) else "", r.commodity)
        for h in path[1:-1]:
            direct[firm]["handling_cost_eur"] += t * sc.nodes[h].handling_eur_per_t
        if len(path) == 2 and path[0] == path[1]:
            direct[firm]["internal_cost_eur"] += t * sc.commodities[
                r.commodity].internal_cost_eur_per_t
            continue
        owner = "" if bundled else r.demand
        for a, b, role in _legs(path):
            on_leg[r.period, a, b, r.commodity, owner, role][r.demand] += r.tonnes
    for r in sol.unserved.itertuples(index=False):
        com = sc.commodities[flow_commodity(sc, r.demand)]
        per_t = (com.disposal_cost_eur_per_t if r.kind == "disposal"
                 else com.shortage_cost_eur_per_t) or 0.0
        direct[owner_of(sc, r.demand)]["disposal_cost_eur"] += r.tonnes * w[r.period] * per_t

    def to_flows(key: tuple, amounts: dict[str, float]) -> None:
        """Split annual ``amounts`` of a load over its flows by tonnes."""
        flows = on_leg.get(key, {})
        total = sum(flows.values())
        for d, t in flows.items():
            firm = owner_of(sc, d)
            for name, v in amounts.items():
                direct[firm][name] += v * t / total if total else 0.0

    def co2(per_unit: dict[str, float], units: float) -> dict[str, float]:
        """Firm figures of ``units`` × kg per unit: t CO2e (TTW, WTW) and the priced terms."""
        kg = {q: v * units for q, v in per_unit.items()}
        out = {"co2_ttw_t": kg["co2_ttw_kg"] / 1000.0, "co2_wtw_t": kg["co2_wtw_kg"] / 1000.0,
               "nox_kg": kg["nox_kg"], "pm10_kg": kg["pm10_kg"]}
        out.update({f"{t}_cost_eur": eur for t, eur in rates.priced_emissions(sc, kg).items()})
        return out

    # the tonnes tours take of each direct leg's load: they ride no direct trip
    toured: dict[tuple, float] = defaultdict(float)
    tours = solution_tours(sc, sol)
    for r in sol.tour_loads.itertuples(index=False):
        toured[r.period, r._3, r.to, r.commodity, tours[r.period, r.tour][0].vehicle,
               r.owner or ""] += r.tonnes
    # loads by trip row (for the trips) and the tariff and load-dependent parts
    by_trip_row: dict[tuple, list[tuple[tuple, float]]] = defaultdict(list)
    for r in sol.loads.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        km = lanes.distance(r._1, r.to, vt.mode)
        t = r.tonnes * w[r.period]
        key = (r.period, r._1, r.to, r.commodity, r.owner or "", r.role)
        on_trips = r.tonnes - (toured.get((r.period, r._1, r.to, r.commodity, r.vehicle,
                                           r.owner or ""), 0.0) if r.role == "direct" else 0.0)
        part = {"tonne_km": t * km}
        if vt.has_units:  # its load units are shared like a trip row, below
            by_trip_row[r.period, r._1, r.to, r.vehicle, lc[r.commodity], r.owner or ""].append(
                (key, r.tonnes))
        if vt.pricing == "tariff":
            part["transport_cost_eur"] = t * role_factor[r.role] * rates.tariff_cost_per_t(
                vt, km, lanes.lane_cost(r._1, r.to))
            part.update(co2(rates.tariff_emissions_per_t(vt, km), t))
            if vt.load_t_per_vkm and vt.mode == "road":
                vkm = t * km / vt.load_t_per_vkm
                part["truck_km"] = vkm
                part["vehicle_trips"] = vkm * (1 - vt.empty_share) / km if km else 0.0
        else:
            part.update(co2(rates.load_emissions_per_t(vt, km), t))
            if on_trips > 1e-9:
                by_trip_row[r.period, r._1, r.to, r.vehicle, lc[r.commodity],
                            r.owner or ""].append((key, on_trips))
        to_flows(key, part)

    # trip rows, then the repositioning legs shared by the rows of their vehicle and period
    row_tkm: dict[tuple, dict[tuple, float]] = defaultdict(dict)
    unloaded: list[tuple[str, str, dict[str, float]]] = []
    for r in sol.trips.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        km, h = lanes.distance(r._1, r.to, vt.mode), lanes.time(r._1, r.to, vt.speed_kmh,
                                                                  vt.mode)
        n = r.trips * w[r.period]
        implied = r.market_trips * w[r.period] * r.implicit_empty_per_trip
        amounts = {"transport_cost_eur": n * rates.trip_cost(vt, km, h)
                   + implied * rates.empty_cost(vt, km, h),
                   "toll_cost_eur": (n + implied) * rates.trip_toll(
                       vt, km, lanes.toll_share(r._1, r.to)),
                   **co2(rates.trip_emissions(vt, km), n + implied),
                   "vehicle_trips": n}
        if vt.mode == "road":
            amounts["truck_km"] = (n + implied) * km
        row = (r.period, r._1, r.to, r.vehicle, r.load_class, r.owner or "")
        loads = by_trip_row.get(row, [])
        total = sum(t for _, t in loads)
        if not total:  # a trip with no load (possible within the gap): a repositioning leg
            unloaded.append((r.vehicle, r.period, amounts))
        for key, t in loads:
            to_flows(key, {k: v * t / total for k, v in amounts.items()} if total else {})
        for key, t in loads:
            row_tkm[r.vehicle, r.period][key] = row_tkm[r.vehicle, r.period].get(key, 0.0) \
                + t * w[r.period] * km
    for r in sol.units.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        cost = r.units * w[r.period] * rates.unit_cost(vt, lanes.distance(r._1, r.to, vt.mode))
        loads = by_trip_row.get((r.period, r._1, r.to, r.vehicle, r.load_class, r.owner or ""),
                                [])
        total = sum(t for _, t in loads)
        if not total:  # units with no load (possible within the gap): as a repositioning leg
            unloaded.append((r.vehicle, r.period, {"transport_cost_eur": cost}))
        for key, t in loads:
            to_flows(key, {"transport_cost_eur": cost * t / total})
    _tours_to_flows(sc, lanes, sol, w, co2, to_flows, row_tkm, unloaded)
    for vid, p, amounts in unloaded:
        shares = row_tkm.get((vid, p), {})
        total = sum(shares.values())
        for key, tkm in shares.items():
            to_flows(key, {k: v * tkm / total for k, v in amounts.items()})
    for r in sol.empties.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        km, h = lanes.distance(r._1, r.to, vt.mode), lanes.time(r._1, r.to, vt.speed_kmh,
                                                                  vt.mode)
        n = r.trips * w[r.period]
        amounts = {"transport_cost_eur": n * rates.empty_cost(vt, km, h),
                   "toll_cost_eur": n * rates.trip_toll(vt, km, lanes.toll_share(r._1, r.to)),
                   **co2(rates.trip_emissions(vt, km), n)}
        if vt.mode == "road":
            amounts["truck_km"] = n * km
        shares = row_tkm.get((r.vehicle, r.period), {})
        total = sum(shares.values())
        for key, tkm in shares.items():
            to_flows(key, {k: v * tkm / total for k, v in amounts.items()})

    _products_to_suppliers(sc, sol, w, direct)
    rows = []
    for f, a in sc.activities.items():
        if f not in sol.placement:
            continue
        figs = {name: float(direct[f].get(name, 0.0)) for name in FIGURES}
        figs["logistics_cost_eur"] = sum(figs[k] for k in (
            "transport_cost_eur", "toll_cost_eur", "handling_cost_eur", "internal_cost_eur",
            "disposal_cost_eur", "carbon_cost_eur", "air_pollution_cost_eur"))
        figs["relocation_cost_eur"] = sc.annuity(a.reloc_cost_eur.get(sol.placement[f], 0.0))
        rows.append({"activity": f, "name": a.name, "movable": a.movable,
                     "today": a.stay_node() or "", "chosen": sol.placement[f], **figs})
    return pd.DataFrame(rows)


def _tours_to_flows(sc, lanes, sol, w, co2, to_flows, row_tkm, unloaded) -> None:
    """A tour's run — its cost, toll, km, the empty-rate emissions and the one loaded trip it
    counts — is shared by the tonnes it takes in proportion to the tonne-km they ride on it;
    each tonne also gets the tonne-km and load-dependent emissions it rides beyond its direct
    leg (``results``). A run that takes nothing (possible within the gap) is shared like a
    repositioning leg."""
    rides: dict[tuple, list[tuple[tuple, float, float]]] = defaultdict(list)
    paths = solution_tours(sc, sol)
    for r in sol.tour_loads.itertuples(index=False):
        tour, vt, path = paths[r.period, r.tour]
        on = ride_km(path, r.stop, tour.direction, vt, lanes)
        direct = lanes.distance(r._3, r.to, vt.mode)
        key = (r.period, r._3, r.to, r.commodity, r.owner or "", "direct")
        t = r.tonnes * w[r.period]
        kg_on, kg_direct = (rates.load_emissions_per_t(vt, d) for d in (on, direct))
        to_flows(key, {"tonne_km": t * (on - direct),
                       **co2({q: kg_on[q] - kg_direct[q] for q in kg_on}, t)})
        rides[r.period, r.tour].append((key, t * on, t * direct))
    for (p, tid), (r, vt, path) in paths.items():
        n = r.runs * w[p]
        km = sum(lanes.distance(a, b, vt.mode) for a, b in zip(path, path[1:]))
        amounts = {"transport_cost_eur": n * (vt.cost_eur_per_km * km + vt.cost_eur_per_h
                                              * r.hours),
                   "toll_cost_eur": n * tour_toll(path, vt, lanes),
                   **co2(rates.trip_emissions(vt, km), n), "vehicle_trips": n}
        if vt.mode == "road":
            amounts["truck_km"] = n * km
        taken = rides.get((p, tid), [])
        total = sum(tkm for _, tkm, _ in taken)
        if not total:
            unloaded.append((r.vehicle, p, amounts))
            continue
        for key, tkm, direct_tkm in taken:
            to_flows(key, {k: v * tkm / total for k, v in amounts.items()})
            row_tkm[r.vehicle, p][key] = row_tkm[r.vehicle, p].get(key, 0.0) + direct_tkm


def _products_to_suppliers(sc: Scenario, sol: Solution, w: dict[str, float],
                           direct: dict[str, dict[str, float]]) -> None:
    """Move the figures of each node processor ('@node', not a firm) to the firms that sent
    it its ``process_input``, in proportion to their annual tonnes of it."""
    for proc in [k for k in direct if k.startswith("@")]:
        k_in = sc.nodes[proc[1:]].process_input
        sent: dict[str, float] = defaultdict(float)
        for r in sol.flows.itertuples(index=False):
            if r.partner == proc and r.commodity == k_in:
                sent[owner_of(sc, r.demand)] += r.tonnes * w[r.period]
        total = sum(sent.values())
        figs = direct.pop(proc)
        for firm, t in sent.items():
            for name, v in figs.items():
                direct[firm][name] += v * t / total


def firm_comparison(today: pd.DataFrame | None, option: pd.DataFrame) -> pd.DataFrame:
    """The option's per-firm figures beside today's and the saving (today − option, positive =
    less) of logistics cost, truck-km and CO2 (WTW); a firm new in the option has no today."""
    out = option.copy()
    keys = ("logistics_cost_eur", "transport_cost_eur", "truck_km", "co2_wtw_t")
    base = today.set_index("activity") if today is not None and len(today) else None
    for k in keys:
        then = out.activity.map(base[k]) if base is not None else pd.Series(float("nan"),
                                                                            index=out.index)
        out[f"today_{k}"] = then
        out[f"saving_{k}"] = then - out[k]
    return out

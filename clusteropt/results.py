"""KPIs and result tables from a Solution and the scenario data (annual figures).

* cost (euro/yr): development, relocation, transport, internal, carbon, and their total;
  logistics (transport, handling, internal, disposal, carbon) and investment (development,
  relocation, facilities annuities);
* truck-km loaded and empty (road vehicles), vehicle-km by mode, vehicle trips, tonne-km.
  Tariff modes report the vehicles behind them: with ``load_t_per_vkm`` L (mean load per
  vehicle-km, empty running included) and ``empty_share`` e, a tonne carried d km adds d/L
  vehicle-km, e·d/L of them empty, and (1 − e)/L loaded trips — groupage in truck-km and
  trips, barge and rail in their own vehicle-km. A tariff type without L adds none;
* mean mass load factor (tonne-km by trip-priced vehicles ÷ loaded vehicle-km × payload);
  empty share of road vehicle-km; CO2 TTW and WTW (t/yr, see ``rates`` and model.md §7);
* lead time (h, door to door, tonne-weighted): per leg the driving time of the vehicle types
  carrying it + their ``handling_h_per_trip`` (loading and unloading) + ``transit_h`` (a
  tariff carrier's consolidation or schedule time), plus ``handling_h`` of every hub passed;
  co-located flows take 0. ``mean_lead_time_h`` over all flows, ``lead_time_h`` into one
  activity;
* tables per leg and vehicle type, per commodity (CO2 allocated by tonne-km), per site; a
  tariff type with a load unit adds ``units`` (per year) to its legs, and one with a schedule
  ``departures_used`` (units ÷ units per departure) and ``departures_scheduled`` (per year).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from clusteropt import emissions, rates
from clusteropt.kpis import INVESTMENT, KPI_UNITS, LOGISTICS
from clusteropt.lanes import Lanes
from clusteropt.scenario import Scenario, flow_commodity, gate_fee_of
from clusteropt.solution import Solution
from clusteropt.tours import ride, ride_km, solution_tours

__all__ = ["KPI_UNITS", "Results", "evaluate", "flow_lead_times", "lead_time_h"]


@dataclass
class Results:
    kpis: dict[str, float]
    legs: pd.DataFrame
    commodities: pd.DataFrame
    sites: pd.DataFrame
    activities: pd.DataFrame


def evaluate(sc: Scenario, lanes: Lanes, sol: Solution) -> Results:
    """Compute every KPI and table from the solution's tables and the scenario data."""
    w = {p.id: p.weight for p in sc.periods}
    legs = []
    # loaded trips (trip-priced) with their implicit empties and load-independent CO2
    for r in sol.trips.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        km = lanes.distance(r.__getattribute__("_1"), r.to, vt.mode)  # "from" is field _1
        h = lanes.time(r._1, r.to, vt.speed_kmh, vt.mode)
        n = r.trips * w[r.period]
        implied = r.market_trips * w[r.period] * r.implicit_empty_per_trip  # market closure
        kg = _emitted(sc, rates.trip_emissions(vt, km), n + implied)
        legs.append(dict(period=r.period, **{"from": r._1}, to=r.to, vehicle=r.vehicle,
                         mode=vt.mode, load_class=r.load_class, owner=r.owner,
                         distance_km=km, trips=n, empty_trips=implied,
                         vehicle_km_loaded=n * km, vehicle_km_empty=implied * km,
                         cost_eur=n * rates.trip_cost(vt, km, h)
                         + implied * rates.empty_cost(vt, km, h),
                         toll_eur=(n + implied) * rates.trip_toll(vt, km, lanes.toll_share(
                             r._1, r.to)),
                         **kg, tonnes=0.0, tonne_km=0.0, capacity_tkm=n * km * vt.payload_t))
    for r in sol.empties.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        km = lanes.distance(r._1, r.to, vt.mode)
        h = lanes.time(r._1, r.to, vt.speed_kmh, vt.mode)
        n = r.trips * w[r.period]
        kg = _emitted(sc, rates.trip_emissions(vt, km), n)
        legs.append(dict(period=r.period, **{"from": r._1}, to=r.to, vehicle=r.vehicle,
                         mode=vt.mode, load_class="(empty)", owner="", distance_km=km,
                         trips=0.0, empty_trips=n, vehicle_km_loaded=0.0, vehicle_km_empty=n * km,
                         cost_eur=n * rates.empty_cost(vt, km, h), **kg,
                         toll_eur=n * rates.trip_toll(vt, km, lanes.toll_share(r._1, r.to)),
                         tonnes=0.0, tonne_km=0.0, capacity_tkm=0.0))
    # load units of tariff types (containers, wagons): their cost per unit; a scheduled
    # service shows the departures' worth of units used (units ÷ units per departure) and the
    # departures it offers in the period (the same figure on every load class of the leg)
    for r in sol.units.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        km = lanes.distance(r._1, r.to, vt.mode)
        n = r.units * w[r.period]
        sched = vt.departures_per_period is not None
        legs.append(dict(period=r.period, **{"from": r._1}, to=r.to, vehicle=r.vehicle,
                         mode=vt.mode, load_class=r.load_class, owner=r.owner,
                         distance_km=km, trips=0.0, empty_trips=0.0, vehicle_km_loaded=0.0,
                         vehicle_km_empty=0.0, cost_eur=n * rates.unit_cost(vt, km),
                         toll_eur=0.0, **_emitted(sc, NO_EMISSIONS, 0.0), tonnes=0.0,
                         tonne_km=0.0, capacity_tkm=0.0, units=n,
                         departures_used=n / vt.units_per_departure if sched else 0.0,
                         departures_scheduled=w[r.period] * vt.departures_per_period
                         if sched else 0.0))
    legs += _tour_rows(sc, lanes, sol, w)
    # tonnes: load-dependent CO2 and tariff costs (× the leg's role factor on hub routes)
    role_factor = rates.role_factors(sc.hubs)
    per_com = []
    for r in sol.loads.itertuples(index=False):
        vt = sc.vehicles[r.vehicle]
        km = lanes.distance(r._1, r.to, vt.mode)
        t = r.tonnes * w[r.period]
        lc = sc.commodities[r.commodity].load_class
        vkm_loaded = vkm_empty = trips = 0.0
        if vt.pricing == "tariff":
            cost = t * role_factor[r.role] * rates.tariff_cost_per_t(
                vt, km, lanes.lane_cost(r._1, r.to))
            kg = _emitted(sc, rates.tariff_emissions_per_t(vt, km), t)
            if vt.load_t_per_vkm:  # the vehicles behind the tariff
                vkm = t * km / vt.load_t_per_vkm
                vkm_empty = vkm * vt.empty_share
                vkm_loaded = vkm - vkm_empty
                trips = vkm_loaded / km if km else 0.0
        else:
            cost = 0.0
            kg = _emitted(sc, rates.load_emissions_per_t(vt, km), t)
        legs.append(dict(period=r.period, **{"from": r._1}, to=r.to, vehicle=r.vehicle,
                         mode=vt.mode, load_class=lc, owner=r.owner, distance_km=km,
                         trips=trips, empty_trips=trips * vt.empty_share / (1 - vt.empty_share)
                         if trips else 0.0, vehicle_km_loaded=vkm_loaded,
                         vehicle_km_empty=vkm_empty,
                         cost_eur=cost, toll_eur=0.0, **kg, tonnes=t, tonne_km=t * km,
                         capacity_tkm=0.0))
        per_com.append(dict(commodity=r.commodity, leg=(r._1, r.to, r.vehicle, r.period),
                            tonnes=t, tonne_km=t * km))
    cols = ["period", "from", "to", "vehicle", "mode", "load_class", "owner", "distance_km",
            "trips", "empty_trips", "vehicle_km_loaded", "vehicle_km_empty", "tonnes",
            "tonne_km", "capacity_tkm", "cost_eur", "toll_eur", *emissions.QUANTITIES, *PRICED,
            "units", "departures_used", "departures_scheduled"]
    raw = pd.DataFrame(legs, columns=cols)
    raw[["units", "departures_used", "departures_scheduled"]] = raw[
        ["units", "departures_used", "departures_scheduled"]].fillna(0.0)
    keys = ["from", "to", "vehicle", "mode", "load_class"]
    leg_table = (raw[raw.load_class != "(empty)"].groupby(keys, as_index=False)
                 .agg(distance_km=("distance_km", "first"), tonnes=("tonnes", "sum"),
                      trips=("trips", "sum"), empty_trips=("empty_trips", "sum"),
                      vehicle_km_loaded=("vehicle_km_loaded", "sum"),
                      vehicle_km_empty=("vehicle_km_empty", "sum"),
                      tonne_km=("tonne_km", "sum"), capacity_tkm=("capacity_tkm", "sum"),
                      cost_eur=("cost_eur", "sum"), toll_eur=("toll_eur", "sum"),
                      co2_wtw_kg=("co2_wtw_kg", "sum"), nox_kg=("nox_kg", "sum"),
                      pm10_kg=("pm10_kg", "sum"), units=("units", "sum"),
                      departures_used=("departures_used", "sum"),
                      departures_scheduled=("departures_scheduled", "max")))
    empties = raw[raw.load_class == "(empty)"].groupby(keys, as_index=False).agg(
        distance_km=("distance_km", "first"), empty_trips=("empty_trips", "sum"),
        vehicle_km_empty=("vehicle_km_empty", "sum"), cost_eur=("cost_eur", "sum"),
        toll_eur=("toll_eur", "sum"), co2_wtw_kg=("co2_wtw_kg", "sum"),
        nox_kg=("nox_kg", "sum"), pm10_kg=("pm10_kg", "sum"))
    leg_table = pd.concat([leg_table, empties], ignore_index=True).fillna(0.0)
    leg_table["load_factor"] = (leg_table.tonne_km / leg_table.capacity_tkm).where(
        leg_table.capacity_tkm > 0)

    road = raw[raw["mode"] == "road"]
    trip_priced = raw[raw.vehicle.isin([v for v, vt in sc.vehicles.items()
                                        if vt.pricing == "trip"])]
    counted = raw[(raw["mode"] == "road") | raw.vehicle.isin(trip_priced.vehicle)]
    internal = _internal_cost(sc, sol, w)
    handling, hub_t = _hub_handling(sc, sol, w)
    un = sol.unserved
    un_t = un.tonnes * un.period.map(w) if len(un) else pd.Series(dtype=float)
    disposal_cost = float(sum(
        t * ((sc.commodities[flow_commodity(sc, d)].disposal_cost_eur_per_t or 0.0)
             if kind == "disposal" else
             (sc.commodities[flow_commodity(sc, d)].shortage_cost_eur_per_t or 0.0))
        for d, kind, t in zip(un.demand, un.kind, un_t)))
    disposal_cost += float(sum(  # gate fees at pooled acceptors (negative: revenue)
        r.tonnes * w[r.period] * gate_fee_of(sc, r.demand, str(r.partner or ""), r.commodity)
        for r in sol.flows.itertuples(index=False)))
    k = {
        "development_cost_eur": sol.terms.get("development", 0.0),
        "relocation_cost_eur": sol.terms.get("relocation", 0.0),
        "transport_cost_eur": float(raw.cost_eur.sum()),
        "toll_cost_eur": float(raw.toll_eur.sum()),
        "internal_cost_eur": internal,
        "handling_cost_eur": handling,
        "facilities_cost_eur": _facility_cost(sc, sol),
        "disposal_cost_eur": disposal_cost,
        "disposal_t": float(un_t[un.kind == "disposal"].sum()) if len(un) else 0.0,
        "shortage_t": float(un_t[un.kind == "shortage"].sum()) if len(un) else 0.0,
        "hub_throughput_t": hub_t,
        "carbon_cost_eur": float(raw.carbon_eur.sum()),
        "truck_km_loaded": float(road.vehicle_km_loaded.sum()),
        "truck_km_empty": float(road.vehicle_km_empty.sum()),
        "vehicle_km_barge": float(raw[raw["mode"] == "barge"][["vehicle_km_loaded",
                                                               "vehicle_km_empty"]].sum().sum()),
        "vehicle_km_rail": float(raw[raw["mode"] == "rail"][["vehicle_km_loaded",
                                                             "vehicle_km_empty"]].sum().sum()),
        "vehicle_trips": float(counted.trips.sum()),
        "tonnes": float(sum(sol.flows.tonnes * sol.flows.period.map(w))) if len(sol.flows)
        else 0.0,
        "tonne_km": float(raw.tonne_km.sum()),
        "co2_ttw_t": float(raw.co2_ttw_kg.sum()) / 1000.0,
        "co2_wtw_t": float(raw.co2_wtw_kg.sum()) / 1000.0,
        "nox_kg": float(raw.nox_kg.sum()),
        "pm10_kg": float(raw.pm10_kg.sum()),
        "air_pollution_cost_eur": float(raw.air_pollution_eur.sum()),
    }
    k["development_cost_eur"], k["relocation_cost_eur"] = _site_costs(sc, sol)
    k["truck_km"] = k["truck_km_loaded"] + k["truck_km_empty"]
    cap = float(trip_priced.capacity_tkm.sum())
    k["load_factor"] = float(trip_priced.tonne_km.sum()) / cap if cap else 0.0
    k["empty_share"] = k["truck_km_empty"] / k["truck_km"] if k["truck_km"] else 0.0
    com = pd.DataFrame(per_com, columns=["commodity", "leg", "tonnes", "tonne_km"])
    lead = flow_lead_times(sc, lanes, sol)
    k["mean_lead_time_h"] = (float((lead.tonnes * lead.period.map(w) * lead.lead_time_h).sum())
                             / k["tonnes"]) if k["tonnes"] else 0.0
    k["logistics_cost_eur"] = sum(k[c] for c in LOGISTICS)
    k["investment_cost_eur"] = sum(k[c] for c in INVESTMENT)
    k["total_cost_eur"] = k["logistics_cost_eur"] + k["investment_cost_eur"]
    return Results(kpis=k, legs=leg_table, commodities=_commodity_table(sc, sol, raw, com, w),
                   sites=_site_table(sc, sol), activities=_activity_table(sc, sol))


def _tour_rows(sc: Scenario, lanes: Lanes, sol: Solution, w: dict[str, float]) -> list[dict]:
    """Leg rows of the tours: each leg of a run depot → stops → depot is driven ``runs`` times;
    the leg out to the first stop (collect) or back from the last (deliver) runs empty. A run
    is one loaded trip, counted on its leg into (collect) or out of (deliver) the depot, which
    also pays the stop and depot handling hours. A tonne toured rides from its stop to the
    depot along the tour: its tonne-km and load-dependent emissions beyond (or short of) its
    direct leg, which the ``loads`` rows count, are added on that leg."""
    rows: list[dict] = []
    tours = solution_tours(sc, sol)
    for r, vt, path in tours.values():
        stops = path[1:-1]
        n = r.runs * w[r.period]
        last = len(path) - 2
        empty_leg = 0 if r.direction == "collect" else last
        depot_leg = last if r.direction == "collect" else 0
        for m, (a, b) in enumerate(zip(path, path[1:])):
            km = lanes.distance(a, b, vt.mode)
            h = lanes.time(a, b, vt.speed_kmh, vt.mode)
            if m == depot_leg:
                h += r.stop_h * len(stops) + vt.handling_h_per_trip
            empty = m == empty_leg
            rows.append(dict(period=r.period, **{"from": a}, to=b, vehicle=r.vehicle,
                             mode=vt.mode, load_class="(empty)" if empty else r.load_class,
                             owner="", distance_km=km, trips=n if m == depot_leg else 0.0,
                             empty_trips=n if empty else 0.0,
                             vehicle_km_loaded=0.0 if empty else n * km,
                             vehicle_km_empty=n * km if empty else 0.0,
                             cost_eur=n * (vt.cost_eur_per_km * km + vt.cost_eur_per_h * h),
                             toll_eur=n * rates.trip_toll(vt, km, lanes.toll_share(a, b)),
                             **_emitted(sc, rates.trip_emissions(vt, km), n), tonnes=0.0,
                             tonne_km=0.0, capacity_tkm=0.0 if empty else n * km * vt.payload_t))
    for r in sol.tour_loads.itertuples(index=False):
        tour, vt, path = tours[r.period, r.tour]
        t = r.tonnes * w[r.period]
        on = ride_km(path, r.stop, tour.direction, vt, lanes)
        direct = lanes.distance(r._3, r.to, vt.mode)  # "from" is field _3
        kg_on = rates.load_emissions_per_t(vt, on)
        kg_direct = rates.load_emissions_per_t(vt, direct)
        rows.append(dict(period=r.period, **{"from": r._3}, to=r.to, vehicle=tour.vehicle,
                         mode=vt.mode, load_class=tour.load_class, owner=r.owner,
                         distance_km=direct, trips=0.0, empty_trips=0.0, vehicle_km_loaded=0.0,
                         vehicle_km_empty=0.0, cost_eur=0.0, toll_eur=0.0,
                         **_emitted(sc, {q: kg_on[q] - kg_direct[q] for q in kg_on}, t),
                         tonnes=0.0, tonne_km=t * (on - direct), capacity_tkm=0.0))
    return rows


PRICED = ("carbon_eur", "air_pollution_eur")  # leg columns of the priced terms (term + "_eur")
NO_EMISSIONS = dict.fromkeys(emissions.QUANTITIES, 0.0)  # a load unit's own (its tonnes emit)


def _emitted(sc: Scenario, per_unit: dict[str, float], units: float) -> dict[str, float]:
    """Leg columns of ``units`` × the kg per unit of every quantity, and their prices."""
    kg = {q: v * units for q, v in per_unit.items()}
    return {**kg, **{f"{t}_eur": eur for t, eur in rates.priced_emissions(sc, kg).items()}}


def _site_costs(sc: Scenario, sol: Solution) -> tuple[float, float]:
    dev = sum(rates.annual_site_cost(sc, s) for s, o in sol.open_sites.items() if o)
    reloc = sum(sc.annuity(sc.activities[f].reloc_cost_eur.get(n, 0.0))
                for f, n in sol.placement.items())
    return dev, reloc


def _internal_cost(sc: Scenario, sol: Solution, w: dict[str, float]) -> float:
    f = sol.flows
    if not len(f):
        return 0.0
    same = f[f.origin_node == f.dest_node]
    return float(sum(r.tonnes * w[r.period] * sc.commodities[r.commodity].internal_cost_eur_per_t
                     for r in same.itertuples(index=False)))


def _facility_cost(sc: Scenario, sol: Solution) -> float:
    """Shared facilities built (annualised cost + opex per module), connections, and own
    facilities of the activities that need one and are not connected."""
    cost = 0.0
    connected: set[tuple[str, str]] = set()
    for r in sol.facilities.itertuples(index=False):
        fac = sc.facilities[r.facility]
        cost += r.modules * rates.annual_facility_cost(sc, fac)
        users = [f for f in str(r.connected).split(";") if f]
        cost += len(users) * fac.connect_eur_per_yr
        connected |= {(f, r.facility) for f in users}
    for f in sol.placement:
        for u, own in sc.activities[f].own_eur_per_yr.items():
            if sc.activities[f].use.get(u, 0.0) > 0 and (f, u) not in connected:
                cost += own
    return cost


def _hub_handling(sc: Scenario, sol: Solution, w: dict[str, float]) -> tuple[float, float]:
    """Annual hub handling cost (€) and throughput (t, counted once per hub passed)."""
    cost = tonnes = 0.0
    f = sol.flows
    if not len(f) or "path" not in f.columns:
        return 0.0, 0.0
    for path, t, p in zip(f.path, f.tonnes, f.period):
        hubs = str(path).split(";")[1:-1]
        for h in hubs:
            cost += t * w[p] * sc.nodes[h].handling_eur_per_t
            tonnes += t * w[p]
    return cost, tonnes


def _commodity_table(sc, sol, raw, com, w) -> pd.DataFrame:
    """Tonnes, tonne-km and CO2 (WTW, allocated to commodities by tonne-km per leg)."""
    if not len(com):
        return pd.DataFrame(columns=["commodity", "tonnes", "tonne_km", "co2_wtw_t"])
    leg_co2 = raw.groupby(["from", "to", "vehicle", "period"]).co2_wtw_kg.sum()
    leg_tkm = com.groupby("leg").tonne_km.sum()
    com = com.assign(co2_wtw_t=[
        leg_co2.get(leg, 0.0) * tkm / leg_tkm[leg] / 1000.0 if leg_tkm[leg] else 0.0
        for leg, tkm in zip(com.leg, com.tonne_km)])
    out = com.groupby("commodity", as_index=False).agg(tonne_km=("tonne_km", "sum"),
                                                       co2_wtw_t=("co2_wtw_t", "sum"))
    tonnes = sol.flows.assign(t=sol.flows.tonnes * sol.flows.period.map(w)).groupby(
        "commodity").t.sum()
    out.insert(1, "tonnes", out.commodity.map(tonnes).fillna(0.0))
    return out


def _site_table(sc: Scenario, sol: Solution) -> pd.DataFrame:
    rows = []
    for n, node in sc.nodes.items():
        placed = [f for f, m in sol.placement.items() if m == n and sc.activities[f].movable]
        if node.kind != "site" and not placed:
            continue
        row = {"site": n, "kind": node.kind, "open": sol.open_sites.get(n, 1 if placed else 0),
               "activities": ";".join(sorted(placed))}
        for d, cap in node.capacity.items():
            used = sum(sc.activities[f].size.get(d, 0.0) for f in placed)
            row[f"used_{d}"] = used
            row[f"utilisation_{d}"] = used / cap if cap else None
        rows.append(row)
    return pd.DataFrame(rows)


def _activity_table(sc: Scenario, sol: Solution) -> pd.DataFrame:
    rows = [{"activity": f, "movable": a.movable, "today": a.stay_node() or "",
             "chosen": sol.placement.get(f, ""),
             "moved": bool(a.movable and sol.placement.get(f) not in (None, a.stay_node()))}
            for f, a in sc.activities.items()]
    return pd.DataFrame(rows)


def leg_hours(sc: Scenario, lanes: Lanes, vehicle: str, i: str, j: str) -> float:
    """Door-to-door hours of one leg by one vehicle type: driving + loading and unloading
    (``handling_h_per_trip``) + a carrier's ``transit_h``."""
    vt = sc.vehicles[vehicle]
    return lanes.time(i, j, vt.speed_kmh, vt.mode) + vt.handling_h_per_trip + vt.transit_h


def flow_lead_times(sc: Scenario, lanes: Lanes, sol: Solution) -> pd.DataFrame:
    """The flows table with ``lead_time_h`` per row: Σ over the path's legs of the
    tonne-weighted ``leg_hours`` of the vehicle types loaded on the leg (for the flow's
    commodity, owner and role; a toured tonne takes the hours it rides on its tour instead),
    + Σ ``handling_h`` of the hubs passed; co-located: 0."""
    flows = sol.flows
    if not len(flows):
        return flows.assign(lead_time_h=pd.Series(dtype=float))
    per_leg: dict[tuple, list[float]] = {}
    for r in sol.loads.itertuples(index=False):
        key = (r.period, r._1, r.to, r.commodity, r.owner or "", r.role)
        acc = per_leg.setdefault(key, [0.0, 0.0])
        acc[0] += r.tonnes
        acc[1] += r.tonnes * leg_hours(sc, lanes, r.vehicle, r._1, r.to)
    for (key, t), hours in _tour_rides(sc, lanes, sol):  # toured tonnes ride the tour
        acc = per_leg.setdefault(key, [0.0, 0.0])
        acc[1] += t * hours
    bundled = bool((sol.switches or {}).get("bundling", sc.options.bundling))
    out = []
    for r in flows.itertuples(index=False):
        path = str(r.path).split(";") if isinstance(r.path, str) and r.path else \
            [r.origin_node, r.dest_node]
        hours = sum(sc.nodes[h].handling_h for h in path[1:-1])
        for a, b, role in _path_legs(path):
            acc = per_leg.get((r.period, a, b, r.commodity, "" if bundled else r.demand, role))
            if acc and acc[0] > 0:
                hours += acc[1] / acc[0]
        out.append(hours)
    return flows.assign(lead_time_h=out)


def _tour_rides(sc: Scenario, lanes: Lanes, sol: Solution):
    """((loads key, tonnes), hours) per tour load: the hours its tonnes ride on the tour
    (driving from the stop to the depot, or from the depot to the stop, + stop_h of every
    stop on that ride + the depot handling) minus its direct leg's ``leg_hours``, which the
    loads rows counted."""
    tours = solution_tours(sc, sol)
    for r in sol.tour_loads.itertuples(index=False):
        tour, vt, path = tours[r.period, r.tour]
        on = ride(path, r.stop, tour.direction)
        stops = len(on) - 1  # the stops on the ride (the depot is its other end)
        hours = sum(lanes.time(a, b, vt.speed_kmh, vt.mode) for a, b in zip(on, on[1:])) \
            + tour.stop_h * stops + vt.handling_h_per_trip
        yield ((r.period, r._3, r.to, r.commodity, r.owner or "", "direct"), r.tonnes), \
            hours - leg_hours(sc, lanes, tour.vehicle, r._3, r.to)


def _path_legs(path: list[str]) -> list[tuple[str, str, str]]:
    roles = {2: ("direct",), 3: ("collection", "distribution"),
             4: ("collection", "transfer", "distribution")}[len(path)]
    return [(path[n], path[n + 1], role) for n, role in enumerate(roles)
            if path[n] != path[n + 1]]


def lead_time_h(sc: Scenario, lanes: Lanes, sol: Solution, destination: str) -> float | None:
    """Tonne-weighted door-to-door lead time (h, see ``flow_lead_times``) of the flows into
    activity ``destination`` (directed to it, or pooled with it as the acceptor); None if no
    flow goes there."""
    flows = flow_lead_times(sc, lanes, sol)
    into = flows.demand.map(lambda d: d in sc.demands
                            and sc.demands[d].destination == destination) | (
        flows.partner.astype(str) == destination)
    flows = flows[into]
    w = {p.id: p.weight for p in sc.periods}
    t = flows.tonnes * flows.period.map(w)
    if not len(flows) or not t.sum():
        return None
    return float((t * flows.lead_time_h).sum() / t.sum())

"""Read a solved model into a :class:`~clusteropt.solution.Solution`."""

from __future__ import annotations

from dataclasses import fields

import pandas as pd

from clusteropt.model.build import COST_TERMS, KPI_TERMS, BuiltModel
from clusteropt.model.hubarcs import decompose
from clusteropt.solution import (
    EMPTY_COLS,
    EPS,
    FACILITY_COLS,
    FLOW_COLS,
    LOAD_COLS,
    TOUR_COLS,
    TOUR_LOAD_COLS,
    TRIP_COLS,
    UNIT_COLS,
    UNSERVED_COLS,
    Solution,
)


def extract(model: BuiltModel) -> Solution:
    """Values of a solved model as a Solution (integer trips rounded)."""
    sc = model.scenario
    open_sites = {s: int(round(o if isinstance(o, float) else (o.varValue or 0.0)))
                  for s, o in model.open.items()}
    placement = dict(model.at_fixed)
    for (f, n), v in model.place.items():
        if (v.varValue or 0.0) > 0.5:
            placement[f] = n
    flows = []
    for c, routes in model.shares.items():
        dm = sc.demands[c]
        for r in routes:
            val = r.share.value()
            if val <= EPS:
                continue
            for p, q in dm.tonnes.items():
                if q * val > EPS:
                    flows.append((c, p, r.s, r.t, dm.commodity, q * val, ";".join(r.path),
                                  r.partner or ""))
    for g in model.arcs:
        for c, path, tonnes in decompose(g):
            flows.append((c, g.period, path[0], path[-1], g.commodity, tonnes, ";".join(path),
                          ""))
    for (pid, n, g, t, p), x in model.products.items():
        val = x.varValue or 0.0
        if val > EPS:
            flows.append((pid, p, n, t, pid.rsplit(">", 1)[1], val, f"{n};{t}", g))
    unserved = []
    for (pid, n, p), x in model.product_rest.items():
        val = x.varValue or 0.0
        if val > EPS:
            unserved.append((pid, p, "disposal", n, val))
    for c, rest in model.unserved.items():
        dm = sc.demands[c]
        for kind, node, share in rest:
            val = share.value()
            for p, q in dm.tonnes.items():
                if q * val > EPS:
                    unserved.append((c, p, kind, node, q * val))
    loads = []
    for (i, j, k, v, p, owner, role), load in model.y.items():
        val = load.value()
        if val > EPS:
            loads.append((p, i, j, k, v, owner or "", val, role))
    trips = []
    for key, tr in model.trips.items():
        i, j, v, g, p, owner = key
        val = round(tr.varValue or 0.0)
        if val > 0:
            m = model.market.get(key)
            closed = val if m is None else min(float(val), max(0.0, m.varValue or 0.0))
            trips.append((p, i, j, v, g, owner or "", float(val),
                          closed if closed > EPS else 0.0, model.implicit_empty[key]))
    units = []
    for (i, j, v, g, p, owner), u in model.units.items():
        val = round(u.varValue or 0.0)
        if val > 0:
            units.append((p, i, j, v, g, owner or "", float(val)))
    empties = []
    for (i, j, v, p), e in model.empty.items():
        val = e.varValue or 0.0
        if val > EPS:
            empties.append((p, i, j, v, val))
    facilities = []
    for (u, s), sv in model.shared.items():
        n = round(sv.varValue or 0.0)
        if n > 0:
            users = sorted(f for (f, s2, u2), c in model.connect.items()
                           if s2 == s and u2 == u and (c.varValue or 0.0) > 0.5)
            facilities.append((u, s, float(n), ";".join(users)))
    tours, tour_loads = [], []
    for (n, p), (run, take) in model.tours.items():
        val = round(run.varValue or 0.0)
        if val <= 0:
            continue
        col = model.tour_columns[n]
        km, hours, _cost = col.measures(sc.vehicles[col.vehicle], model.lanes)
        tid = f"T{n}"
        tours.append((p, tid, col.depot, col.vehicle, col.direction, col.load_class,
                      ";".join(col.stops), float(val), km, hours, col.stop_h))
        for (i, j, k, _v, _p, owner, _role), tl in take.items():
            t = tl.varValue or 0.0
            if t > EPS:
                tour_loads.append((p, tid, i if col.direction == "collect" else j, i, j, k,
                                   owner or "", t))
    terms = {t: model.terms[t].value() for t in (*COST_TERMS, *KPI_TERMS)}
    return Solution(
        objective_eur=sum(terms[t] for t in COST_TERMS), open_sites=open_sites,
        placement=placement, flows=pd.DataFrame(flows, columns=FLOW_COLS),
        loads=pd.DataFrame(loads, columns=LOAD_COLS), trips=pd.DataFrame(trips, columns=TRIP_COLS),
        empties=pd.DataFrame(empties, columns=EMPTY_COLS),
        unserved=pd.DataFrame(unserved, columns=UNSERVED_COLS),
        facilities=pd.DataFrame(facilities, columns=FACILITY_COLS), terms=terms,
        units=pd.DataFrame(units, columns=UNIT_COLS),
        tours=pd.DataFrame(tours, columns=TOUR_COLS),
        tour_loads=pd.DataFrame(tour_loads, columns=TOUR_LOAD_COLS),
        switches={f.name: _plain(getattr(model.switches, f.name))
                  for f in fields(model.switches)
                  if f.name not in ("empty_legs", "tour_columns")})  # candidate sets


def _plain(v):
    """A switch's value as plain data (sets sorted, dicts copied)."""
    return sorted(v) if isinstance(v, set) else dict(v) if isinstance(v, dict) else v

"""The independent checker: re-verify a solution from its values and the scenario data alone.

``check_solution(sc, lanes, sol)`` recomputes every cost term and KPI and checks every
constraint of the formulation (``shared/design/model.md`` §1–§7, with the conventions of the
builder's docstring), then compares the recomputed objective with the solver's. It is a second
implementation written from the formulation: it imports neither the model builder
(``clusteropt.model``, ``clusteropt.solve``) nor ``clusteropt.rates`` nor ``clusteropt.results``,
only the scenario records, the lanes and the solution tables.

What is verified (each violation names its constraint and index):

* ``table``       the solution tables have their columns; ids, periods and nodes are known.
* ``open_sites``  only sites/hubs, binary; ``fix.sites`` and the ``open_sites`` switch respected;
  ``site count`` (max_open / exact_open over kind ``site``) and ``budget``.
* ``placement``   every activity in play at exactly one of its candidates (or the fixed node of
  the ``placement`` switch / ``fix.placement``); nothing else placed; a site used is open.
* ``capacity``    Σ size over the activities at a node ≤ capacity (× open for sites).
* ``flow`` / ``demand``  directed demand flows leave the origin's node and reach the
  destination's node with the demand's commodity, and sum to the demand in every period.
* ``load``        per leg, period, commodity (and owner when unbundled) the vehicle loads sum
  to the flows; each vehicle may carry the class, is allowed, and both nodes have its mode.
* ``trip capacity (mass|volume|pallets)``  integer trips cover the loads of their class.
* ``integrality``, ``implicit_empty`` (ρ per trip row), ``empties`` (none when unbundled),
  ``balance`` (trip-priced vehicles at non-gateway nodes when bundling).
* ``objective`` (relative tolerance) and, where the solution reports them, each ``term``.

Tolerances: ``tol · max(1, |rhs|)`` on rows, ``tol · max(1, |reported|)`` on the objective,
1e-6 absolute on the integrality of trips.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from clusteropt.lanes import Lanes
from clusteropt.scenario import Scenario, VehicleType
from clusteropt.solution import Solution

INT_TOL = 1e-6
COST_KEYS = ("development_cost_eur", "relocation_cost_eur", "transport_cost_eur",
             "internal_cost_eur", "carbon_cost_eur")
KPI_KEYS = (*COST_KEYS, "total_cost_eur", "truck_km_loaded", "truck_km_empty", "truck_km",
            "vehicle_trips", "tonne_km", "tonnes", "co2_ttw_t", "co2_wtw_t")
# solver term name → recomputed KPI key and factor (terms in euro or kg)
TERM_KEYS = {"development": ("development_cost_eur", 1.0),
             "relocation": ("relocation_cost_eur", 1.0),
             "transport": ("transport_cost_eur", 1.0),
             "internal": ("internal_cost_eur", 1.0),
             "carbon": ("carbon_cost_eur", 1.0),
             "co2_ttw_kg": ("co2_ttw_t", 1000.0),
             "co2_wtw_kg": ("co2_wtw_t", 1000.0)}
TABLE_COLS = {
    "flows": ("demand", "period", "origin_node", "dest_node", "commodity", "tonnes"),
    "loads": ("period", "from", "to", "commodity", "vehicle", "owner", "tonnes"),
    "trips": ("period", "from", "to", "vehicle", "load_class", "owner", "trips",
              "implicit_empty_per_trip"),
    "empties": ("period", "from", "to", "vehicle", "trips"),
}


@dataclass
class CheckResult:
    """Outcome of a check: ``passed`` when there is no violation. ``notes`` lists what the
    checker could not verify for this scenario (it never makes ``passed`` false)."""

    passed: bool
    violations: list[str]
    kpis: dict[str, float]
    objective_recomputed: float
    objective_reported: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def check_solution(sc: Scenario, lanes: Lanes, sol: Solution,
                   tolerance: float = 1e-5) -> CheckResult:
    """Recompute the KPIs and objective of ``sol`` and verify every constraint."""
    return _Checker(sc, lanes, sol, tolerance).run()


# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _owner(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


class _Checker:
    def __init__(self, sc: Scenario, lanes: Lanes, sol: Solution, tol: float) -> None:
        self.sc, self.lanes, self.sol, self.tol = sc, lanes, sol, tol
        self.v: list[str] = []
        self.notes: list[str] = []
        self.w = {p.id: p.weight for p in sc.periods}
        sw = sol.switches or {}
        self.bundling = bool(sw.get("bundling", sc.options.bundling))
        self.empty_rule = sw.get("empty_rule") or sc.options.baseline_empty_running
        veh = sw.get("vehicles")
        self.allowed = None if veh is None else {str(x) for x in veh}
        self.exclude_new = bool(sw.get("exclude_new", False))
        e = float(sc.options.empty_share if sc.options.empty_share is not None else 0.0)
        self.rho_gateway = e / (1.0 - e)
        if self.empty_rule == "dedicated":
            self.rho_rule = 1.0
        elif self.empty_rule == "share":
            self.rho_rule = self.rho_gateway
        else:
            self.v.append(f"switches: unknown empty_rule '{self.empty_rule}' "
                          f"(expected 'share' or 'dedicated')")
            self.rho_rule = self.rho_gateway
        self.fixed_place: dict[str, str] = dict(sc.fix.placement)
        self.fixed_place.update({str(a): str(n) for a, n in (sw.get("placement") or {}).items()})
        self.fixed_open: dict[str, int] = {s: int(st == "open") for s, st in sc.fix.sites.items()}
        sw_open = sw.get("open_sites")
        if isinstance(sw_open, dict):
            self.fixed_open.update({str(s): int(bool(o)) for s, o in sw_open.items()})
        elif sw_open:  # a list of open sites: every other site closed
            listed = {str(s) for s in sw_open}
            self.fixed_open.update({s: int(s in listed) for s, n in sc.nodes.items()
                                    if n.kind in ("site", "hub")})
        self.gateways = {n for n, node in sc.nodes.items() if node.kind == "gateway"}
        self.k: dict[str, float] = {key: 0.0 for key in KPI_KEYS}
        self.co2_ttw = 0.0
        self.co2_wtw = 0.0

    # ---- helpers -------------------------------------------------------------------------

    def bad(self, msg: str) -> None:
        self.v.append(msg)

    def slack(self, rhs: float) -> float:
        return self.tol * max(1.0, abs(rhs))

    def table(self, name: str) -> list[dict]:
        df = getattr(self.sol, name, None)
        if df is None:
            df = pd.DataFrame(columns=TABLE_COLS[name])
        missing = [c for c in TABLE_COLS[name] if c not in df.columns]
        if missing:
            self.bad(f"table: {name} lacks columns {missing}")
            return []
        return df.to_dict("records")

    def known_leg(self, what: str, r: dict, i: int) -> bool:
        """Period, nodes and lane of a leg row are known, and the leg is a real leg."""
        ok = True
        if str(r["period"]) not in self.w:
            self.bad(f"table: {what} row {i} has unknown period '{r['period']}'")
            ok = False
        for col in ("from", "to"):
            if str(r[col]) not in self.sc.nodes:
                self.bad(f"table: {what} row {i} has unknown node '{r[col]}' in '{col}'")
                ok = False
        if not ok:
            return False
        a, b = str(r["from"]), str(r["to"])
        if a == b:
            self.bad(f"{what}: row {i} on leg '{a}'→'{b}' has the same node at both ends "
                     f"(co-location has no leg)")
            return False
        if not math.isfinite(self.lanes.distance(a, b)):
            self.bad(f"lane: {what} row {i} uses '{a}'→'{b}', which has no lane")
            return False
        return True

    def vehicle_ok(self, what: str, i: int, vid: str, a: str, b: str,
                   load_class: str | None, trip_priced: bool | None) -> VehicleType | None:
        vt = self.sc.vehicles.get(vid)
        if vt is None:
            self.bad(f"table: {what} row {i} has unknown vehicle '{vid}'")
            return None
        if trip_priced is True and vt.pricing != "trip":
            self.bad(f"{what}: row {i} vehicle '{vid}' is tariff-priced and has no trips")
        if vt.mode == "internal":
            self.bad(f"vehicle: {what} row {i} vehicle '{vid}' is internal (no road leg)")
        if self.allowed is not None and vid not in self.allowed:
            self.bad(f"vehicle: {what} row {i} vehicle '{vid}' is not among the allowed "
                     f"vehicles {sorted(self.allowed)}")
        for n in (a, b):
            if vt.mode not in self.sc.nodes[n].modes:
                self.bad(f"vehicle: {what} row {i} vehicle '{vid}' (mode {vt.mode}) cannot "
                         f"use node '{n}' (modes {self.sc.nodes[n].modes})")
        if load_class is not None and not vt.carries(load_class):
            self.bad(f"vehicle: {what} row {i} vehicle '{vid}' may not carry load class "
                     f"'{load_class}'")
        return vt

    def owner_ok(self, what: str, i: int, owner: str) -> bool:
        if self.bundling and owner != "":
            self.bad(f"owner: {what} row {i} has owner '{owner}' but trips are shared "
                     f"(bundling on: owner must be empty)")
            return False
        if not self.bundling and owner not in self.sc.demands:
            self.bad(f"owner: {what} row {i} has owner '{owner}' but trips are per demand "
                     f"(bundling off: owner must be a demand id)")
            return False
        return True

    # ---- the checks ----------------------------------------------------------------------

    def run(self) -> CheckResult:
        self.check_sites()
        self.check_placement()
        self.check_capacity()
        legflow = self.check_flows()
        class_load = self.check_loads(legflow)
        bal = self.check_trips(class_load)
        self.check_empties(bal)
        if self.bundling:
            self.check_balance(bal)
        return self.finish()

    def is_open(self, s: str) -> int:
        return 1 if _num(self.sol.open_sites.get(s, 0)) > 0.5 else 0

    def check_sites(self) -> None:
        sc = self.sc
        for s, o in self.sol.open_sites.items():
            if s not in sc.nodes:
                self.bad(f"open_sites: unknown node '{s}'")
                continue
            if sc.nodes[s].kind not in ("site", "hub"):
                self.bad(f"open_sites: '{s}' is a {sc.nodes[s].kind}, not a site or hub")
            x = _num(o)
            if not (abs(x) <= INT_TOL or abs(x - 1) <= INT_TOL):
                self.bad(f"open_sites: '{s}' has value {o}, expected 0 or 1")
        for s, want in self.fixed_open.items():
            if self.is_open(s) != want:
                self.bad(f"fix.sites: site '{s}' must be {'open' if want else 'closed'} but is "
                         f"{'open' if self.is_open(s) else 'closed'}")
        sites = [s for s, n in sc.nodes.items() if n.kind == "site"]
        n_open = sum(self.is_open(s) for s in sites)
        rules = sc.site_rules
        if rules.max_open is not None and n_open > rules.max_open:
            self.bad(f"site count: {n_open} sites open > max_open {rules.max_open}")
        if rules.exact_open is not None and n_open != rules.exact_open:
            self.bad(f"site count: {n_open} sites open ≠ exact_open {rules.exact_open}")
        if rules.budget_eur_per_yr is not None:
            spend = sum(self._site_cost(s) for s in sites if self.is_open(s))
            if spend > rules.budget_eur_per_yr + self.slack(rules.budget_eur_per_yr):
                self.bad(f"budget: open sites cost {_fmt(spend)} €/yr > budget "
                         f"{_fmt(rules.budget_eur_per_yr)}")

    def _site_cost(self, s: str) -> float:
        n = self.sc.nodes[s]
        return self.sc.annuity(n.dev_cost_eur) + n.opex_eur_per_yr + n.fixed_cost_eur_per_yr

    def check_placement(self) -> None:
        sc = self.sc
        self.in_play = {a for a, act in sc.activities.items()
                        if not (self.exclude_new and act.new)}
        self.place: dict[str, str] = {}
        for a, n in self.sol.placement.items():
            if a not in sc.activities:
                self.bad(f"placement: unknown activity '{a}'")
            elif a not in self.in_play:
                self.bad(f"placement: activity '{a}' is new and left out (exclude_new) but "
                         f"is placed at '{n}'")
        for a in sorted(self.in_play):
            act = sc.activities[a]
            n = self.sol.placement.get(a)
            if n is None:
                self.bad(f"placement: activity '{a}' is not placed")
                continue
            n = str(n)
            if n not in act.candidates:
                self.bad(f"placement: activity '{a}' at '{n}', not among its candidates "
                         f"{act.candidates}")
                continue
            if a in self.fixed_place and self.fixed_place[a] != n:
                self.bad(f"placement: activity '{a}' at '{n}' but fixed at "
                         f"'{self.fixed_place[a]}'")
            if sc.nodes[n].kind == "site" and not self.is_open(n):
                self.bad(f"placement: activity '{a}' at site '{n}', which is closed")
            self.place[a] = n
            self.k["relocation_cost_eur"] += sc.annuity(act.reloc_cost_eur.get(n, 0.0))

    def check_capacity(self) -> None:
        use: dict[tuple[str, str], float] = defaultdict(float)
        for a, n in self.place.items():
            for d, s in self.sc.activities[a].size.items():
                use[n, d] += s
        for (n, d), u in sorted(use.items()):
            node = self.sc.nodes[n]
            if d not in node.capacity:
                continue
            cap = node.capacity[d] * (self.is_open(n) if node.kind == "site" else 1)
            if u > cap + self.slack(cap):
                self.bad(f"capacity: {node.kind} '{n}' dim '{d}' uses {_fmt(u)} > {_fmt(cap)}")

    def check_flows(self) -> dict[tuple, float]:
        sc = self.sc
        directed = {c: dem for c, dem in sc.demands.items() if dem.kind == "directed"}
        pooled = [c for c, dem in sc.demands.items() if dem.kind != "directed"]
        if pooled:
            self.notes.append(f"pooled demands {pooled} are checked only for their fixed end "
                              f"and total; acceptor/supplier capacities and disposal/shortage "
                              f"costs are not verified")
        if any(dem.shipments_per_period for dem in sc.demands.values()) or any(
                c.shipments_per_period for c in sc.commodities.values()):
            self.notes.append("shipments per period (minimum trip frequency) are not verified")
        if any(c.max_transit_h is not None for c in sc.commodities.values()):
            self.notes.append("maximum transit times are not verified")
        in_play = {c for c, dem in sc.demands.items()
                   if all(x is None or x in self.in_play for x in (dem.origin, dem.destination))}
        total: dict[tuple[str, str], float] = defaultdict(float)
        legflow: dict[tuple, float] = defaultdict(float)
        for i, r in enumerate(self.table("flows")):
            c, p = str(r["demand"]), str(r["period"])
            t = _num(r["tonnes"])
            dem = sc.demands.get(c)
            if dem is None:
                self.bad(f"table: flows row {i} has unknown demand '{c}'")
                continue
            if c not in in_play:
                if abs(t) > INT_TOL:
                    self.bad(f"flow: demand '{c}' is out of play (new activity left out) but "
                             f"carries {_fmt(t)} t")
                continue
            if p not in self.w:
                self.bad(f"table: flows row {i} has unknown period '{p}'")
                continue
            o, d = str(r["origin_node"]), str(r["dest_node"])
            if o not in sc.nodes or d not in sc.nodes:
                self.bad(f"table: flows row {i} ({c}) has unknown node '{o}' or '{d}'")
                continue
            if not math.isfinite(t) or t < -self.slack(0):
                self.bad(f"flow: demand '{c}' period '{p}' {o}→{d} has tonnes {t}")
                continue
            if str(r["commodity"]) != dem.commodity:
                self.bad(f"flow: demand '{c}' row {i} carries '{r['commodity']}', expected "
                         f"'{dem.commodity}'")
            if dem.origin is not None and dem.origin in self.place and \
                    o != self.place[dem.origin]:
                self.bad(f"flow: demand '{c}' period '{p}' leaves '{o}' but its origin "
                         f"'{dem.origin}' is at '{self.place[dem.origin]}'")
            if dem.destination is not None and dem.destination in self.place and \
                    d != self.place[dem.destination]:
                self.bad(f"flow: demand '{c}' period '{p}' arrives at '{d}' but its "
                         f"destination '{dem.destination}' is at "
                         f"'{self.place[dem.destination]}'")
            total[c, p] += t
            w = self.w[p]
            self.k["tonnes"] += w * t
            if o == d:
                self.k["internal_cost_eur"] += (
                    w * t * sc.commodities[dem.commodity].internal_cost_eur_per_t)
            else:
                owner = "" if self.bundling else c
                legflow[p, o, d, dem.commodity, owner] += t
        for c in sorted(in_play):
            dem = sc.demands[c]
            for p in self.w:
                q, got = dem.tonnes[p], total.get((c, p), 0.0)
                if c in directed:
                    if abs(got - q) > self.slack(q):
                        self.bad(f"demand: '{c}' period '{p}' flows sum to {_fmt(got)} t, "
                                 f"expected {_fmt(q)}")
                elif got > q + self.slack(q):
                    self.bad(f"demand: pooled '{c}' period '{p}' flows sum to {_fmt(got)} t "
                             f"> {_fmt(q)}")
        return legflow

    def check_loads(self, legflow: dict[tuple, float]) -> dict[tuple, list[float]]:
        sc, lanes = self.sc, self.lanes
        loadsum: dict[tuple, float] = defaultdict(float)
        class_load: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for i, r in enumerate(self.table("loads")):
            if not self.known_leg("load", r, i):
                continue
            p, a, b = str(r["period"]), str(r["from"]), str(r["to"])
            k, vid, owner = str(r["commodity"]), str(r["vehicle"]), _owner(r["owner"])
            t = _num(r["tonnes"])
            com = sc.commodities.get(k)
            if com is None:
                self.bad(f"table: loads row {i} has unknown commodity '{k}'")
                continue
            if not math.isfinite(t) or t < -self.slack(0):
                self.bad(f"load: period '{p}' {a}→{b} '{k}' by '{vid}' has tonnes {t}")
                continue
            self.owner_ok("loads", i, owner)
            vt = self.vehicle_ok("loads", i, vid, a, b, com.load_class, None)
            loadsum[p, a, b, k, owner] += t
            if vt is None:
                continue
            w, km = self.w[p], lanes.distance(a, b)
            self.k["tonne_km"] += w * t * km
            if vt.pricing == "trip":
                cl = class_load[p, a, b, vid, com.load_class, owner]
                cl[0] += t
                if com.density_t_per_m3 and vt.volume_m3:
                    cl[1] += t / com.density_t_per_m3
                if com.pallets_per_t and vt.pallets:
                    cl[2] += t * com.pallets_per_t
                self.co2_add(vt, w * (vt.co2_full_kg_per_km - vt.co2_empty_kg_per_km)
                             * km * t / vt.payload_t)
            else:
                lane = lanes.lane_cost(a, b)
                per_t = lane if lane is not None else (vt.tariff_eur_per_tkm * km
                                                       + vt.tariff_eur_per_t)
                self.k["transport_cost_eur"] += w * t * per_t
                self.co2_add(vt, w * vt.co2_ttw_kg_per_tkm * km * t)
        for key in sorted(set(loadsum) | set(legflow)):
            got, want = loadsum.get(key, 0.0), legflow.get(key, 0.0)
            if abs(got - want) > self.slack(want):
                p, a, b, k, owner = key
                who = f" owner '{owner}'" if owner else ""
                self.bad(f"load: period '{p}' leg '{a}'→'{b}' commodity '{k}'{who}: vehicle "
                         f"loads sum to {_fmt(got)} t, flows to {_fmt(want)}")
        return class_load

    def co2_add(self, vt: VehicleType, kg_ttw: float) -> None:
        self.co2_ttw += kg_ttw
        self.co2_wtw += kg_ttw * vt.wtw_ttw_ratio

    def leg_rates(self, vt: VehicleType, a: str, b: str) -> tuple[float, float, float]:
        """(km, cost of a loaded trip, cost of an empty trip) on leg a→b."""
        km = self.lanes.distance(a, b)
        h = self.lanes.time(a, b, vt.speed_kmh)
        per_km = vt.cost_eur_per_km + vt.toll_eur_per_km
        empty = per_km * km + vt.cost_eur_per_h * h
        return km, empty + vt.cost_eur_per_h * vt.handling_h_per_trip, empty

    def check_trips(self, class_load: dict[tuple, list[float]]) -> dict[tuple, list[float]]:
        sc = self.sc
        tripsum: dict[tuple, float] = defaultdict(float)
        bal: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])  # (v, p, node) → out, in
        for i, r in enumerate(self.table("trips")):
            if not self.known_leg("trips", r, i):
                continue
            p, a, b = str(r["period"]), str(r["from"]), str(r["to"])
            vid, g, owner = str(r["vehicle"]), str(r["load_class"]), _owner(r["owner"])
            n, rho = _num(r["trips"]), _num(r["implicit_empty_per_trip"])
            self.owner_ok("trips", i, owner)
            vt = self.vehicle_ok("trips", i, vid, a, b, g, True)
            if not math.isfinite(n) or n < -INT_TOL:
                self.bad(f"trips: period '{p}' {a}→{b} '{vid}' class '{g}' has trips {n}")
                continue
            if abs(n - round(n)) > INT_TOL:
                self.bad(f"integrality: trips period '{p}' {a}→{b} '{vid}' class '{g}' = "
                         f"{n!r} is not an integer")
            if vt is None or vt.pricing != "trip":
                continue
            touches_gw = a in self.gateways or b in self.gateways
            if self.bundling:
                want_rho = self.rho_gateway if touches_gw else 0.0
            else:
                want_rho = self.rho_rule
            if not (abs(rho - want_rho) <= INT_TOL * max(1.0, want_rho)):
                self.bad(f"implicit_empty: trips period '{p}' {a}→{b} '{vid}' class '{g}' has "
                         f"ρ = {rho}, expected {_fmt(want_rho)}")
            tripsum[p, a, b, vid, g, owner] += n
            w = self.w[p]
            km, c_loaded, c_empty = self.leg_rates(vt, a, b)
            self.k["transport_cost_eur"] += w * n * (c_loaded + want_rho * c_empty)
            self.co2_add(vt, w * vt.co2_empty_kg_per_km * km * n * (1.0 + want_rho))
            self.k["vehicle_trips"] += w * n
            if vt.mode == "road":
                self.k["truck_km_loaded"] += w * n * km
                self.k["truck_km_empty"] += w * want_rho * n * km
            if not touches_gw:
                bal[vid, p, a][0] += n
                bal[vid, p, b][1] += n
        for key, (mass, vol, pal) in sorted(class_load.items()):
            p, a, b, vid, g, owner = key
            vt = sc.vehicles[vid]
            have = tripsum.get(key, 0.0)
            need = {"mass": mass / vt.payload_t}
            if vt.volume_m3:
                need["volume"] = vol / vt.volume_m3
            if vt.pallets:
                need["pallets"] = pal / vt.pallets
            for kind, q in need.items():
                if have < q - self.slack(q):
                    who = f" owner '{owner}'" if owner else ""
                    self.bad(f"trip capacity ({kind}): period '{p}' leg '{a}'→'{b}' vehicle "
                             f"'{vid}' class '{g}'{who}: {_fmt(have)} trips < {_fmt(q)} needed")
        return bal

    def check_empties(self, bal: dict[tuple, list[float]]) -> None:
        for i, r in enumerate(self.table("empties")):
            n = _num(r["trips"])
            if not self.bundling:
                if not (abs(n) <= INT_TOL):
                    self.bad(f"empties: row {i} has {n} empty trips but bundling is off "
                             f"(empty running follows the '{self.empty_rule}' rule)")
                continue
            if not self.known_leg("empties", r, i):
                continue
            p, a, b, vid = str(r["period"]), str(r["from"]), str(r["to"]), str(r["vehicle"])
            vt = self.vehicle_ok("empties", i, vid, a, b, None, True)
            if not math.isfinite(n) or n < -self.slack(0):
                self.bad(f"empties: period '{p}' {a}→{b} '{vid}' has trips {n}")
                continue
            if vt is None or vt.pricing != "trip":
                continue
            w = self.w[p]
            km, _, c_empty = self.leg_rates(vt, a, b)
            self.k["transport_cost_eur"] += w * n * c_empty
            self.co2_add(vt, w * vt.co2_empty_kg_per_km * km * n)
            if vt.mode == "road":
                self.k["truck_km_empty"] += w * n * km
            if a not in self.gateways and b not in self.gateways:
                bal[vid, p, a][0] += n
                bal[vid, p, b][1] += n

    def check_balance(self, bal: dict[tuple, list[float]]) -> None:
        for (vid, p, node), (out, into) in sorted(bal.items()):
            if abs(out - into) > self.slack(into):
                self.bad(f"balance: vehicle '{vid}' period '{p}' node '{node}': "
                         f"{_fmt(out)} trips out (loaded + empty) ≠ {_fmt(into)} in")

    def finish(self) -> CheckResult:
        sc, k = self.sc, self.k
        k["development_cost_eur"] = sum(self._site_cost(s) for s in self.sol.open_sites
                                        if s in sc.nodes and self.is_open(s))
        k["co2_ttw_t"] = self.co2_ttw / 1000.0
        k["co2_wtw_t"] = self.co2_wtw / 1000.0
        basis = self.co2_wtw if sc.options.co2_basis == "wtw" else self.co2_ttw
        k["carbon_cost_eur"] = sc.options.co2_price_eur_per_t * basis / 1000.0
        k["truck_km"] = k["truck_km_loaded"] + k["truck_km_empty"]
        k["total_cost_eur"] = sum(k[c] for c in COST_KEYS)
        obj, rep = k["total_cost_eur"], _num(self.sol.objective_eur)
        if not (abs(obj - rep) <= self.tol * max(1.0, abs(rep))):
            self.bad(f"objective: reported {_fmt(rep)} €/yr, recomputed {_fmt(obj)} "
                     f"(difference {_fmt(rep - obj)})")
        for term, (key, factor) in TERM_KEYS.items():
            val = (self.sol.terms or {}).get(term)
            if val is None:
                continue
            mine = k[key] * factor
            if not (abs(_num(val) - mine) <= self.tol * max(1.0, abs(mine))):
                self.bad(f"term: '{term}' reported {_fmt(_num(val))}, recomputed {_fmt(mine)}")
        return CheckResult(passed=not self.v, violations=list(self.v),
                           kpis={key: float(k[key]) for key in KPI_KEYS},
                           objective_recomputed=float(obj), objective_reported=float(rep),
                           notes=self.notes)

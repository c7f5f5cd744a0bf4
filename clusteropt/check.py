"""The independent checker: re-verify a solution from its values and the scenario data alone.

``check_solution(sc, lanes, sol)`` recomputes every cost term and KPI and checks every
constraint of the formulation (``shared/design/model.md`` §2–§7, with the conventions of the
builder's docstring), then compares the recomputed objective with the solver's. It is a second
implementation written from the formulation: it imports neither the model builder
(``clusteropt.model``, ``clusteropt.solve``) nor ``clusteropt.rates`` nor ``clusteropt.results``,
only the scenario records, the lanes and the solution tables.

What is verified (each violation names its constraint and index):

* ``table``       the solution tables have their columns; ids, periods and nodes are known.
* ``open_sites``  only sites/hubs, binary; ``fix.sites`` and the ``open_sites`` switch respected
  (a site or hub missing from ``open_sites`` is open only when fixed open); ``site count``
  (max_open / exact_open over kind ``site``), ``hub count`` (``hubs.max_open`` / ``exact_open``
  over kind ``hub``) and ``budget`` (sites).
* ``placement``   every activity in play at exactly one of its candidates (or the fixed node of
  the ``placement`` switch / ``fix.placement``); nothing else placed; a site used is open.
* ``capacity``    Σ size over the activities at a node ≤ capacity (× open for sites).
* ``facility``    shared facilities: at one of their sites, whole modules (≤ 1 unless modular,
  ≤ max_modules), connected activities use it and are placed there, Σ use ≤ capacity · modules.
* ``flow``        each flow leaves the node of its origin (or of its pooled supplier) and
  reaches the node of its destination (or pooled acceptor) with the demand's commodity.
* ``route``       the path runs origin node → 0–2 hubs → destination node; every hub is an open
  node of kind ``hub`` (each hub at most once); at most ``hubs.max_per_route`` hubs; no direct
  leg (2 nodes, s ≠ t) when ``hubs.direct`` is false and a hub is available. A hub outside the
  ``hubs.k_nearest`` of the route's ends (a pruning rule of the route form) is only noted.
* ``partner``     directed flows have none; a pooled flow's partner accepts (supplies) the
  commodity, sits at the flow's destination (origin), is open when it is a site/hub node, is the
  demand's ``baseline_partner`` under the ``baseline_partners`` switch; ``partner capacity``:
  Σ tonnes per partner, node, commodity and period ≤ its ``accept``/``supply``.
* ``unserved``    disposal only for pooled supply, shortage only for pooled demand, only when
  the commodity prices it, at the node of the fixed end.
* ``demand``      directed: flows sum to the demand; pooled: flows + unserved sum to it.
* ``load``        per period, leg, commodity, owner and role (legs are the path's node pairs
  with i ≠ j: direct; collection, distribution; collection, transfer, distribution) the
  vehicle loads sum to the flows; each vehicle may carry the class, is allowed, has its mode at
  both nodes, and (``legs: transfer``) runs only on transfer legs, (``legs: hub``) only on
  legs of hub routes.
* ``trip capacity (mass|volume|pallets)``  integer trips (shared across roles) cover the loads
  of their class.
* ``frequency``   a used direct leg of a directed demand with ``shipments_per_period`` m, where
  every vehicle type that may carry it is trip-priced: Σ trips of its load class (all vehicle
  types, its owner) ≥ m in every period the leg carries the demand.
* ``transit``     every used path of a commodity with ``max_transit_h``: Σ leg times at the
  fastest eligible vehicle type + Σ hub ``handling_h`` ≤ the limit. (When the vehicle types
  actually loaded on the legs are slower and exceed it, that is only noted.)
* ``integrality``, ``implicit_empty`` (ρ per trip row: ρ_gate = e/(1−e) on gateway legs,
  else the empty-running rule's ρ — e/(1−e) for ``share``, 1 for ``dedicated`` — in every
  evaluation), ``market`` (0 ≤ market_trips ≤ trips; all trips when unbundled or at a
  gateway), ``empties`` (none when unbundled), ``balance`` (trip-priced vehicles at
  non-gateway nodes when bundling, over the trips not closed by the market plus empties).
  Each market-closed trip pays ρ empty trips of its own leg (cost, km, CO2).
* ``objective`` (relative tolerance) and, where the solution reports them, each ``term``.

Vehicles behind a road tariff (groupage) with ``load_t_per_vkm`` L and ``empty_share`` e: a
tonne over d km adds d/L truck-km, e·d/L of them empty, and (1 − e)/L loaded trips.

Costs: tariff cost per tonne × the role's factor (``hubs.collection_factor`` χ,
``transfer_factor`` α, ``distribution_factor`` δ; direct 1); hub handling Σ w_p · t ×
``handling_eur_per_t`` per hub passed; ``disposal`` Σ w_p · t × ``disposal_cost_eur_per_t``
(disposal) or ``shortage_cost_eur_per_t`` (shortage) — the solver keeps both in its one
``disposal`` term; development includes open hubs (annuity + opex + fixed); facilities:
modules · (annuity(cost) + opex) + connect cost per connected activity + the own cost of every
user in play that is not connected.

Tolerances: ``tol · max(1, |rhs|)`` on rows, ``tol · max(1, |reported|)`` on the objective,
1e-6 absolute on the integrality of trips. A flow counts as *used* (for the implications
hub open, partner open, frequency, transit) above ``tol · max(1, q)``, q the demand's tonnes.
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
COST_KEYS = ("development_cost_eur", "relocation_cost_eur", "facilities_cost_eur",
             "transport_cost_eur", "internal_cost_eur", "handling_cost_eur",
             "disposal_cost_eur", "carbon_cost_eur")
KPI_KEYS = (*COST_KEYS, "total_cost_eur", "truck_km_loaded", "truck_km_empty", "truck_km",
            "vehicle_trips", "tonne_km", "tonnes", "co2_ttw_t", "co2_wtw_t", "disposal_t",
            "shortage_t", "hub_throughput_t")
# solver term name → recomputed KPI key and factor (terms in euro or kg)
TERM_KEYS = {"development": ("development_cost_eur", 1.0),
             "relocation": ("relocation_cost_eur", 1.0),
             "facilities": ("facilities_cost_eur", 1.0),
             "transport": ("transport_cost_eur", 1.0),
             "internal": ("internal_cost_eur", 1.0),
             "handling": ("handling_cost_eur", 1.0),
             "disposal": ("disposal_cost_eur", 1.0),
             "carbon": ("carbon_cost_eur", 1.0),
             "co2_ttw_kg": ("co2_ttw_t", 1000.0),
             "co2_wtw_kg": ("co2_wtw_t", 1000.0)}
TABLE_COLS = {
    "flows": ("demand", "period", "origin_node", "dest_node", "commodity", "tonnes", "path",
              "partner"),
    "loads": ("period", "from", "to", "commodity", "vehicle", "owner", "tonnes", "role"),
    "trips": ("period", "from", "to", "vehicle", "load_class", "owner", "trips",
              "market_trips", "implicit_empty_per_trip"),
    "empties": ("period", "from", "to", "vehicle", "trips"),
    "unserved": ("demand", "period", "kind", "node", "tonnes"),
    "facilities": ("facility", "site", "modules", "connected"),
}
ROLES = ("direct", "collection", "transfer", "distribution")
# role of each leg of a path with 2, 3 or 4 nodes
PATH_ROLES = {2: ("direct",), 3: ("collection", "distribution"),
              4: ("collection", "transfer", "distribution")}
# pooled demand kind → (partner capacity attribute, unserved kind, commodity penalty attribute)
POOLED = {"pooled_supply": ("accept", "disposal", "disposal_cost_eur_per_t"),
          "pooled_demand": ("supply", "shortage", "shortage_cost_eur_per_t")}


class Violation(str):
    """A broken rule, typed: ``rule`` (the constraint family or check, e.g. ``balance``),
    ``message``, the ``index`` it was found at and, for a broken row, its two sides
    ``lhs`` and ``rhs``. It is also the text ``"rule: message"`` (printed as is)."""

    rule: str
    message: str
    index: tuple
    lhs: float | None
    rhs: float | None

    def __new__(cls, rule: str, message: str, index: tuple = (), lhs: float | None = None,
                rhs: float | None = None) -> Violation:
        obj = super().__new__(cls, f"{rule}: {message}")
        obj.rule, obj.message, obj.index, obj.lhs, obj.rhs = rule, message, index, lhs, rhs
        return obj

    def __reduce__(self):
        return (Violation, (self.rule, self.message, self.index, self.lhs, self.rhs))

    def to_dict(self) -> dict:
        return {"rule": self.rule, "message": self.message, "index": list(self.index),
                "lhs": self.lhs, "rhs": self.rhs}


@dataclass
class CheckResult:
    """Outcome of a check: ``passed`` when there is no violation. ``notes`` lists what the
    checker could not verify for this scenario, or observations that are not violations (it
    never makes ``passed`` false)."""

    passed: bool
    violations: list[Violation]
    kpis: dict[str, float]
    objective_recomputed: float
    objective_reported: float
    notes: list[str] = field(default_factory=list)
    by_check: dict[str, list[Violation]] = field(default_factory=dict)  # pass → violations

    def to_dict(self) -> dict:
        d = asdict(self)
        d["violations"] = [v.to_dict() if isinstance(v, Violation) else str(v)
                           for v in self.violations]
        d["by_check"] = {k: len(v) for k, v in self.by_check.items()}
        return d


def check_solution(sc: Scenario, lanes: Lanes, sol: Solution,
                   tolerance: float = 1e-5) -> CheckResult:
    """Recompute the KPIs and objective of ``sol`` and verify every constraint."""
    return _Checker(sc, lanes, sol, tolerance).run()


# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _owner(v: Any) -> str:
    """An optional id cell (owner, partner): '' for empty/NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _leg_allowed(legs: str, role: str) -> bool:
    """Vehicle rule: 'any' leg; 'hub': legs of hub routes only (not direct); 'transfer':
    hub-to-hub legs only."""
    return legs == "any" or (legs == "hub" and role != "direct") or role == "transfer"


def path_legs(path: list[str]) -> list[tuple[str, str, str]]:
    """(i, j, role) of the legs of a path (its consecutive node pairs with i ≠ j)."""
    roles = PATH_ROLES[len(path)]
    return [(path[n], path[n + 1], role) for n, role in enumerate(roles)
            if path[n] != path[n + 1]]


@dataclass
class _Used:
    """A used route in one period: what the frequency and transit checks need."""

    demand: str
    period: str
    path: list[str]
    commodity: str
    owner: str


class _Checker:
    def __init__(self, sc: Scenario, lanes: Lanes, sol: Solution, tol: float) -> None:
        self.sc, self.lanes, self.sol, self.tol = sc, lanes, sol, tol
        self.v: list[Violation] = []
        self.notes: list[str] = []
        self.w = {p.id: p.weight for p in sc.periods}
        sw = sol.switches or {}
        self.bundling = bool(sw.get("bundling", sc.options.bundling))
        self.empty_rule = sw.get("empty_rule") or sc.options.empty_running
        veh = sw.get("vehicles")
        self.allowed = None if veh is None else {str(x) for x in veh}
        self.exclude_new = bool(sw.get("exclude_new", False))
        self.baseline_partners = bool(sw.get("baseline_partners", False))
        e = float(sc.options.empty_share if sc.options.empty_share is not None else 0.0)
        self.rho_gateway = e / (1.0 - e)
        if self.empty_rule == "dedicated":
            self.rho_rule = 1.0
        elif self.empty_rule == "share":
            self.rho_rule = self.rho_gateway
        else:
            self.bad("switches", f"unknown empty_rule '{self.empty_rule}' "
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
        self.hubs = [n for n, node in sc.nodes.items() if node.kind == "hub"]
        if sw.get("hubs") is False:  # an evaluation without hubs: every hub closed
            self.fixed_open.update({h: 0 for h in self.hubs})
        # hubs a route may use in this evaluation: those not fixed closed
        self.hubs_available = [h for h in self.hubs if self.fixed_open.get(h, 1) != 0]
        self.role_factor = {"direct": 1.0, "collection": sc.hubs.collection_factor,
                            "transfer": sc.hubs.transfer_factor,
                            "distribution": sc.hubs.distribution_factor}
        self.k: dict[str, float] = {key: 0.0 for key in KPI_KEYS}
        self.co2_ttw = 0.0
        self.co2_wtw = 0.0
        self.used: list[_Used] = []
        self.tripsum: dict[tuple, float] = {}
        self.leg_vehicles: dict[tuple, set[str]] = defaultdict(set)
        self._near: dict[str, set[str]] = {}

    # ---- helpers -------------------------------------------------------------------------

    def bad(self, rule: str, message: str, index: tuple = (), lhs: float | None = None,
            rhs: float | None = None) -> None:
        self.v.append(Violation(rule, message, index, lhs, rhs))

    def slack(self, rhs: float) -> float:
        return self.tol * max(1.0, abs(rhs))

    def table(self, name: str) -> list[dict]:
        df = getattr(self.sol, name, None)
        if df is None:
            df = pd.DataFrame(columns=TABLE_COLS[name])
        missing = [c for c in TABLE_COLS[name] if c not in df.columns]
        if missing:
            self.bad("table", f"{name} lacks columns {missing}")
            return []
        return df.to_dict("records")

    def known_leg(self, what: str, r: dict, i: int) -> bool:
        """Period, nodes and lane of a leg row are known, and the leg is a real leg."""
        ok = True
        if str(r["period"]) not in self.w:
            self.bad("table", f"{what} row {i} has unknown period '{r['period']}'")
            ok = False
        for col in ("from", "to"):
            if str(r[col]) not in self.sc.nodes:
                self.bad("table", f"{what} row {i} has unknown node '{r[col]}' in '{col}'")
                ok = False
        if not ok:
            return False
        a, b = str(r["from"]), str(r["to"])
        if a == b:
            self.bad(f"{what}", f"row {i} on leg '{a}'→'{b}' has the same node at both ends "
                     f"(co-location has no leg)")
            return False
        if not math.isfinite(self.lanes.distance(a, b)):
            self.bad("lane", f"{what} row {i} uses '{a}'→'{b}', which has no lane")
            return False
        return True

    def vehicle_ok(self, what: str, i: int, vid: str, a: str, b: str,
                   load_class: str | None, trip_priced: bool | None) -> VehicleType | None:
        vt = self.sc.vehicles.get(vid)
        if vt is None:
            self.bad("table", f"{what} row {i} has unknown vehicle '{vid}'")
            return None
        if trip_priced is True and vt.pricing != "trip":
            self.bad(f"{what}", f"row {i} vehicle '{vid}' is tariff-priced and has no trips")
        if vt.mode == "internal":
            self.bad("vehicle", f"{what} row {i} vehicle '{vid}' is internal (no road leg)")
        if self.allowed is not None and vid not in self.allowed:
            self.bad("vehicle", f"{what} row {i} vehicle '{vid}' is not among the allowed "
                     f"vehicles {sorted(self.allowed)}")
        for n in (a, b):
            if vt.mode not in self.sc.nodes[n].modes:
                self.bad("vehicle", f"{what} row {i} vehicle '{vid}' (mode {vt.mode}) cannot "
                         f"use node '{n}' (modes {self.sc.nodes[n].modes})")
        if load_class is not None and not vt.carries(load_class):
            self.bad("vehicle", f"{what} row {i} vehicle '{vid}' may not carry load class "
                     f"'{load_class}'")
        return vt

    def eligible(self, k: str, a: str, b: str, role: str) -> list[VehicleType]:
        """Vehicle types that may carry commodity k on leg a→b in this role."""
        lc = self.sc.commodities[k].load_class
        na, nb = self.sc.nodes[a], self.sc.nodes[b]
        return [vt for v, vt in self.sc.vehicles.items()
                if (self.allowed is None or v in self.allowed) and vt.mode != "internal"
                and vt.carries(lc) and _leg_allowed(vt.legs, role)
                and vt.mode in na.modes and vt.mode in nb.modes]

    def owner_ok(self, what: str, i: int, owner: str) -> bool:
        if self.bundling and owner != "":
            self.bad("owner", f"{what} row {i} has owner '{owner}' but trips are shared "
                     f"(bundling on: owner must be empty)")
            return False
        if not self.bundling and owner not in self.sc.demands:
            self.bad("owner", f"{what} row {i} has owner '{owner}' but trips are per demand "
                     f"(bundling off: owner must be a demand id)")
            return False
        return True

    # ---- the checks ----------------------------------------------------------------------

    # the checks in the order they run: (rule group, method, facts it reads, facts it makes).
    # A pass reads only the solution, the scenario and the facts of earlier passes.
    PASSES = (("sites", "check_sites", (), ()),
              ("placement", "check_placement", (), ("place",)),
              ("capacity", "check_capacity", ("place",), ()),
              ("facility", "check_facilities", ("place",), ()),
              ("flows, routes, partners, demand", "check_flows", ("place",), ("legflow",)),
              ("loads", "check_loads", ("legflow",), ("class_load",)),
              ("trips, market, trip capacity", "check_trips", ("class_load",), ("bal",)),
              ("frequency", "check_frequency", ("used",), ()),
              ("transit", "check_transit", ("used",), ()),
              ("empties", "check_empties", ("bal",), ()),
              ("balance", "check_balance", ("bal",), ()))

    def run(self) -> CheckResult:
        facts: dict[str, Any] = {}
        by_check: dict[str, list[Violation]] = {}
        for group, method, reads, makes in self.PASSES:
            if method == "check_balance" and not self.bundling:
                continue
            before = len(self.v)
            out = getattr(self, method)(*(facts[r] for r in reads if r in facts
                                          and r not in ("place", "used")))
            if makes and makes[0] not in ("place",):
                facts[makes[0]] = out
            by_check[group] = self.v[before:]
        before = len(self.v)
        result = self.finish()
        by_check["objective and terms"] = self.v[before:]
        result.by_check = by_check
        return result

    def is_open(self, s: str) -> int:
        """1 if site/hub s is open: its value in ``open_sites``, else whether it is fixed open."""
        if s in self.sol.open_sites:
            return 1 if _num(self.sol.open_sites[s]) > 0.5 else 0
        return self.fixed_open.get(s, 0)

    def check_sites(self) -> None:
        sc = self.sc
        for s, o in self.sol.open_sites.items():
            if s not in sc.nodes:
                self.bad("open_sites", f"unknown node '{s}'")
                continue
            if sc.nodes[s].kind not in ("site", "hub"):
                self.bad("open_sites", f"'{s}' is a {sc.nodes[s].kind}, not a site or hub")
            x = _num(o)
            if not (abs(x) <= INT_TOL or abs(x - 1) <= INT_TOL):
                self.bad("open_sites", f"'{s}' has value {o}, expected 0 or 1")
        for s, want in self.fixed_open.items():
            if s in sc.nodes and self.is_open(s) != want:
                self.bad("fix.sites", f"{sc.nodes[s].kind} '{s}' must be "
                         f"{'open' if want else 'closed'} but is "
                         f"{'open' if self.is_open(s) else 'closed'}")
        sites = [s for s, n in sc.nodes.items() if n.kind == "site"]
        for what, kind, rules in (("site", sites, sc.site_rules),
                                  ("hub", self.hubs, sc.hubs)):
            n_open = sum(self.is_open(s) for s in kind)
            if rules.max_open is not None and n_open > rules.max_open:
                self.bad(f"{what} count", f"{n_open} {what}s open > max_open {rules.max_open}")
            if rules.exact_open is not None and n_open != rules.exact_open:
                self.bad(f"{what} count", f"{n_open} {what}s open ≠ exact_open "
                         f"{rules.exact_open}")
        rules = sc.site_rules
        if rules.budget_eur_per_yr is not None:
            spend = sum(self._site_cost(s) for s in sites if self.is_open(s))
            if spend > rules.budget_eur_per_yr + self.slack(rules.budget_eur_per_yr):
                self.bad("budget", f"open sites cost {_fmt(spend)} €/yr > budget "
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
                self.bad("placement", f"unknown activity '{a}'")
            elif a not in self.in_play:
                self.bad("placement", f"activity '{a}' is new and left out (exclude_new) but "
                         f"is placed at '{n}'")
        for a in sorted(self.in_play):
            act = sc.activities[a]
            n = self.sol.placement.get(a)
            if n is None:
                self.bad("placement", f"activity '{a}' is not placed")
                continue
            n = str(n)
            if n not in act.candidates:
                self.bad("placement", f"activity '{a}' at '{n}', not among its candidates "
                         f"{act.candidates}")
                continue
            if a in self.fixed_place and self.fixed_place[a] != n:
                self.bad("placement", f"activity '{a}' at '{n}' but fixed at "
                         f"'{self.fixed_place[a]}'")
            if sc.nodes[n].kind == "site" and not self.is_open(n):
                self.bad("placement", f"activity '{a}' at site '{n}', which is closed")
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
                self.bad("capacity", f"{node.kind} '{n}' dim '{d}' uses {_fmt(u)} > {_fmt(cap)}",
                         (n, d), u, cap)

    def check_facilities(self) -> None:
        """Shared facilities (model.md §5): modules integer (0/1 unless modular, ≤ max_modules),
        connected activities need the facility and sit at its site, Σ use ≤ capacity · modules;
        cost: modules · (annuity + opex) + connections + own facilities of the users not
        connected."""
        sc = self.sc
        connected: dict[tuple[str, str], str] = {}  # (activity, facility) → site
        mods: dict[tuple[str, str], float] = defaultdict(float)
        users_at: dict[tuple[str, str], list[str]] = defaultdict(list)
        for i, r in enumerate(self.table("facilities")):
            u, s, n = str(r["facility"]), str(r["site"]), _num(r["modules"])
            fac = sc.facilities.get(u)
            if fac is None:
                self.bad("table", f"facilities row {i} has unknown facility '{u}'")
                continue
            if s not in fac.sites:
                self.bad("facility", f"'{u}' built at '{s}', not among its sites {fac.sites}")
                continue
            if not math.isfinite(n) or n < -INT_TOL or abs(n - round(n)) > INT_TOL:
                self.bad("facility", f"'{u}' at '{s}' has {r['modules']} modules, expected a "
                         f"whole number ≥ 0")
                continue
            mods[u, s] += n
            for f in [x.strip() for x in _owner(r["connected"]).split(";") if x.strip()]:
                users_at[u, s].append(f)
        for (u, s), n in sorted(mods.items()):
            fac = sc.facilities[u]
            top = fac.max_modules if fac.modular else 1
            if n > top + INT_TOL:
                self.bad("facility", f"'{u}' at '{s}' has {_fmt(n)} modules > {top}"
                         f"{'' if fac.modular else ' (not modular)'}")
            self.k["facilities_cost_eur"] += n * (sc.annuity(fac.cost_eur) + fac.opex_eur_per_yr)
            use = 0.0
            for f in users_at.get((u, s), []):
                act = sc.activities.get(f)
                if act is None or f not in self.place:
                    self.bad("facility", f"'{u}' at '{s}' connects '{f}', which is not a placed "
                             f"activity")
                    continue
                if act.use.get(u, 0.0) <= 0:
                    self.bad("facility", f"'{u}' at '{s}' connects '{f}', which does not use it")
                if self.place[f] != s:
                    self.bad("facility", f"'{u}' at '{s}' connects '{f}', which is at "
                             f"'{self.place[f]}'")
                if (f, u) in connected:
                    self.bad("facility", f"'{f}' is connected to '{u}' more than once")
                connected[f, u] = s
                use += act.use.get(u, 0.0)
                self.k["facilities_cost_eur"] += fac.connect_eur_per_yr
            cap = fac.capacity * n
            if use > cap + self.slack(cap):
                self.bad("facility", f"'{u}' at '{s}' serves use {_fmt(use)} > capacity "
                         f"{_fmt(cap)} ({_fmt(n)} modules × {_fmt(fac.capacity)})")
        for f in sorted(self.place):
            act = sc.activities[f]
            for u, q in act.use.items():
                if q > 0 and (f, u) not in connected:
                    self.k["facilities_cost_eur"] += act.own_eur_per_yr.get(u, 0.0)

    # ---- flows, routes, partners, unserved -----------------------------------------------

    def check_flows(self) -> dict[tuple, float]:
        sc = self.sc
        in_play = {c for c, dem in sc.demands.items()
                   if all(x is None or x in self.in_play for x in (dem.origin, dem.destination))}
        total: dict[tuple[str, str], float] = defaultdict(float)
        legflow: dict[tuple, float] = defaultdict(float)
        intake: dict[tuple, float] = defaultdict(float)  # (partner, node, k, p, side)
        for i, r in enumerate(self.table("flows")):
            c, p = str(r["demand"]), str(r["period"])
            t = _num(r["tonnes"])
            dem = sc.demands.get(c)
            if dem is None:
                self.bad("table", f"flows row {i} has unknown demand '{c}'")
                continue
            if c not in in_play:
                if abs(t) > INT_TOL:
                    self.bad("flow", f"demand '{c}' is out of play (new activity left out) but "
                             f"carries {_fmt(t)} t")
                continue
            if p not in self.w:
                self.bad("table", f"flows row {i} has unknown period '{p}'")
                continue
            o, d = str(r["origin_node"]), str(r["dest_node"])
            if o not in sc.nodes or d not in sc.nodes:
                self.bad("table", f"flows row {i} ({c}) has unknown node '{o}' or '{d}'")
                continue
            if not math.isfinite(t) or t < -self.slack(0):
                self.bad("flow", f"demand '{c}' period '{p}' {o}→{d} has tonnes {t}")
                continue
            k = dem.commodity
            if str(r["commodity"]) != k:
                self.bad("flow", f"demand '{c}' row {i} carries '{r['commodity']}', expected "
                         f"'{k}'")
            noise = t <= self.slack(dem.tonnes[p])  # solver round-off, not a real flow
            if dem.origin is not None and dem.origin in self.place and not noise and \
                    o != self.place[dem.origin]:
                self.bad("flow", f"demand '{c}' period '{p}' leaves '{o}' but its origin "
                         f"'{dem.origin}' is at '{self.place[dem.origin]}'")
            if dem.destination is not None and dem.destination in self.place and not noise \
                    and d != self.place[dem.destination]:
                self.bad("flow", f"demand '{c}' period '{p}' arrives at '{d}' but its "
                         f"destination '{dem.destination}' is at "
                         f"'{self.place[dem.destination]}'")
            used = t > self.slack(dem.tonnes[p])
            path = self.check_path(i, c, p, o, d, k, _owner(r["path"]), used)
            partner = _owner(r["partner"])
            if dem.kind == "directed":
                if partner:
                    self.bad("partner", f"directed demand '{c}' row {i} names partner "
                             f"'{partner}' (directed flows have none)")
            elif self.check_partner(i, c, p, dem, partner, o, d, used):
                end = d if dem.kind == "pooled_supply" else o
                intake[partner, end, k, p, POOLED[dem.kind][0]] += t
            total[c, p] += t
            w = self.w[p]
            self.k["tonnes"] += w * t
            if path is None:
                continue
            for h in path[1:-1]:
                if h in sc.nodes:
                    self.k["handling_cost_eur"] += w * t * sc.nodes[h].handling_eur_per_t
                    self.k["hub_throughput_t"] += w * t
            if len(path) == 2 and path[0] == path[1]:
                self.k["internal_cost_eur"] += w * t * sc.commodities[k].internal_cost_eur_per_t
                continue
            owner = "" if self.bundling else c
            for a, b, role in path_legs(path):
                legflow[p, a, b, k, owner, role] += t
            if used:
                self.used.append(_Used(c, p, path, k, owner))
        self.check_intake(intake)
        self.check_unserved(in_play, total)
        for c in sorted(in_play):
            dem = sc.demands[c]
            for p in self.w:
                q, got = dem.tonnes[p], total.get((c, p), 0.0)
                if abs(got - q) > self.slack(q):
                    if dem.kind == "directed":
                        self.bad("demand", f"'{c}' period '{p}' flows sum to {_fmt(got)} t, "
                                 f"expected {_fmt(q)}", (c, p), got, q)
                    else:
                        self.bad("demand", f"pooled '{c}' period '{p}' flows + "
                                 f"{POOLED[dem.kind][1]} sum to {_fmt(got)} t, "
                                 f"expected {_fmt(q)}", (c, p), got, q)
        return legflow

    def check_path(self, i: int, c: str, p: str, o: str, d: str, k: str, text: str,
                   used: bool) -> list[str] | None:
        """The path of flow row i: its nodes, or None when it cannot be read."""
        sc = self.sc
        path = [x.strip() for x in text.split(";")] if text else []
        where = f"demand '{c}' period '{p}' path '{text}'"
        if not 2 <= len(path) <= 4:
            self.bad("route", f"{where} must list 2–4 nodes (origin, 0–2 hubs, destination)")
            return None
        unknown = [n for n in path if n not in sc.nodes]
        if unknown:
            self.bad("table", f"flows row {i} ({c}) path has unknown nodes {unknown}")
            return None
        if path[0] != o or path[-1] != d:
            self.bad("route", f"{where} does not run from '{o}' to '{d}'")
        hubs = path[1:-1]
        if len(hubs) > self.sc.hubs.max_per_route:
            self.bad("route", f"{where} passes {len(hubs)} hubs > max_per_route "
                     f"{sc.hubs.max_per_route}")
        if len(hubs) == 2 and hubs[0] == hubs[1]:
            self.bad("route", f"{where} passes hub '{hubs[0]}' twice")
        for h in hubs:
            if sc.nodes[h].kind != "hub":
                self.bad("route", f"{where} passes '{h}', a {sc.nodes[h].kind}, not a hub")
            elif used and not self.is_open(h):
                self.bad("route", f"{where} passes hub '{h}', which is closed")
        if len(path) == 2 and path[0] != path[1] and not sc.hubs.direct \
                and self.hubs_available and used:
            self.bad("route", f"{where} is direct but hubs.direct is false")
        kn = sc.hubs.k_nearest
        if kn is not None and hubs and used:
            near_o, near_d = self.nearest(path[0], kn), self.nearest(path[-1], kn)
            ok = (hubs[0] in near_o | near_d if len(hubs) == 1
                  else hubs[0] in near_o and hubs[1] in near_d)
            if not ok:  # a pruning rule of the route form, not a constraint: noted
                self.notes.append(f"route: {where} uses a hub outside the k_nearest = {kn} "
                                  f"hubs of its ends (a pruning rule, not verified as a "
                                  f"constraint)")
        for a, b, _ in path_legs(path):
            if not math.isfinite(self.lanes.distance(a, b)):
                self.bad("lane", f"{where} uses '{a}'→'{b}', which has no lane")
        return path

    def nearest(self, n: str, kn: int) -> set[str]:
        """Hubs among the k nearest to node n (ties: every hub with fewer than k hubs
        strictly nearer)."""
        if n not in self._near:
            dist = sorted(self.lanes.distance(n, h) for h in self.hubs_available)
            cut = dist[kn - 1] if 0 < kn <= len(dist) else (math.inf if kn > 0 else -math.inf)
            self._near[n] = {h for h in self.hubs_available
                             if self.lanes.distance(n, h) <= cut + 1e-9}
        return self._near[n]

    def check_partner(self, i: int, c: str, p: str, dem, partner: str, o: str, d: str,
                      used: bool) -> bool:
        """A pooled flow's partner; True when its capacity can be counted."""
        sc = self.sc
        side, _, _ = POOLED[dem.kind]
        k = dem.commodity
        end, end_what = (d, "destination") if dem.kind == "pooled_supply" else (o, "origin")
        verb = "accept" if side == "accept" else "supply"
        where = f"pooled demand '{c}' period '{p}' row {i}"
        if not partner:
            self.bad("partner", f"{where} names no partner")
            return False
        if self.baseline_partners and partner != dem.baseline_partner:
            self.bad("partner", f"{where} uses '{partner}' but the baseline_partners switch "
                     f"allows only its baseline partner '{dem.baseline_partner}'")
        if partner.startswith("@"):
            n = partner[1:]
            node = sc.nodes.get(n)
            if node is None:
                self.bad("partner", f"{where} names unknown node '{n}'")
                return False
            if getattr(node, side).get(k, 0.0) <= 0:
                self.bad("partner", f"{where}: node '{n}' does not {verb} '{k}'")
                return False
            if end != n:
                self.bad("partner", f"{where}: partner node '{n}' is not the flow's "
                         f"{end_what} '{end}'")
            if node.kind in ("site", "hub") and used and not self.is_open(n):
                self.bad("partner", f"{where}: partner {node.kind} '{n}' is closed")
            return True
        act = sc.activities.get(partner)
        if act is None:
            self.bad("partner", f"{where} names unknown activity '{partner}'")
            return False
        if getattr(act, side).get(k, 0.0) <= 0:
            self.bad("partner", f"{where}: activity '{partner}' does not {verb} '{k}'")
            return False
        if partner not in self.place:
            self.bad("partner", f"{where}: activity '{partner}' is not placed (out of play)")
            return False
        if self.place[partner] != end:
            self.bad("partner", f"{where}: partner '{partner}' is at '{self.place[partner]}', "
                     f"not at the flow's {end_what} '{end}'")
        return True

    def check_intake(self, intake: dict[tuple, float]) -> None:
        """Σ tonnes per pooled partner, node, commodity, period and side ≤ its capacity."""
        sc = self.sc
        for (partner, n, k, p, side), t in sorted(intake.items()):
            rec = sc.nodes[partner[1:]] if partner.startswith("@") else sc.activities[partner]
            cap = getattr(rec, side).get(k, 0.0)
            if t > cap + self.slack(cap):
                self.bad("partner capacity", f"'{partner}' at '{n}' period '{p}' "
                         f"{'takes in' if side == 'accept' else 'delivers'} {_fmt(t)} t of "
                         f"'{k}' > {side}_{k} {_fmt(cap)}")

    def check_unserved(self, in_play: set[str], total: dict[tuple[str, str], float]) -> None:
        sc = self.sc
        for i, r in enumerate(self.table("unserved")):
            c, p, kind, n = str(r["demand"]), str(r["period"]), str(r["kind"]), str(r["node"])
            t = _num(r["tonnes"])
            dem = sc.demands.get(c)
            if dem is None:
                self.bad("table", f"unserved row {i} has unknown demand '{c}'")
                continue
            if c not in in_play:
                if abs(t) > INT_TOL:
                    self.bad("unserved", f"demand '{c}' is out of play but has {_fmt(t)} t "
                             f"{kind}")
                continue
            if p not in self.w:
                self.bad("table", f"unserved row {i} has unknown period '{p}'")
                continue
            if not math.isfinite(t) or t < -self.slack(0):
                self.bad("unserved", f"demand '{c}' period '{p}' has tonnes {t}")
                continue
            if dem.kind == "directed":
                self.bad("unserved", f"directed demand '{c}' period '{p}' has {_fmt(t)} t "
                         f"{kind} (only pooled demands may)")
                continue
            _, want_kind, penalty_attr = POOLED[dem.kind]
            if kind != want_kind:
                self.bad("unserved", f"{dem.kind} '{c}' period '{p}' has kind '{kind}', "
                         f"expected '{want_kind}'")
                continue
            penalty = getattr(sc.commodities[dem.commodity], penalty_attr)
            if penalty is None and t > self.slack(0):
                self.bad("unserved", f"'{c}' period '{p}' sends {_fmt(t)} t to {kind} but "
                         f"commodity '{dem.commodity}' has no {penalty_attr}")
            end = dem.origin if dem.kind == "pooled_supply" else dem.destination
            if end in self.place and n != self.place[end]:
                self.bad("unserved", f"'{c}' period '{p}' {kind} at '{n}' but '{end}' is at "
                         f"'{self.place[end]}'")
            total[c, p] += t
            w = self.w[p]
            self.k["disposal_cost_eur"] += w * t * (penalty or 0.0)
            self.k["disposal_t" if kind == "disposal" else "shortage_t"] += w * t

    # ---- legs, vehicles, trips -----------------------------------------------------------

    def check_loads(self, legflow: dict[tuple, float]) -> dict[tuple, list[float]]:
        sc, lanes = self.sc, self.lanes
        loadsum: dict[tuple, float] = defaultdict(float)
        class_load: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for i, r in enumerate(self.table("loads")):
            if not self.known_leg("load", r, i):
                continue
            p, a, b = str(r["period"]), str(r["from"]), str(r["to"])
            k, vid, owner = str(r["commodity"]), str(r["vehicle"]), _owner(r["owner"])
            role = _owner(r["role"])
            t = _num(r["tonnes"])
            com = sc.commodities.get(k)
            if com is None:
                self.bad("table", f"loads row {i} has unknown commodity '{k}'")
                continue
            if role not in ROLES:
                self.bad("table", f"loads row {i} has role '{role}', expected one of {ROLES}")
                continue
            if not math.isfinite(t) or t < -self.slack(0):
                self.bad("load", f"period '{p}' {a}→{b} '{k}' by '{vid}' has tonnes {t}")
                continue
            self.owner_ok("loads", i, owner)
            vt = self.vehicle_ok("loads", i, vid, a, b, com.load_class, None)
            loadsum[p, a, b, k, owner, role] += t
            if vt is None:
                continue
            if not _leg_allowed(vt.legs, role):
                self.bad("vehicle", f"loads row {i} vehicle '{vid}' runs only on {vt.legs} legs "
                         f"but carries on a {role} leg '{a}'→'{b}'")
            if t > self.slack(0):
                self.leg_vehicles[p, a, b, k, owner, role].add(vid)
            w, km = self.w[p], lanes.distance(a, b, vt.mode)
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
                self.k["transport_cost_eur"] += w * t * per_t * self.role_factor[role]
                self.co2_add(vt, w * vt.co2_ttw_kg_per_tkm * km * t)
                if vt.load_t_per_vkm and vt.mode == "road":  # the trucks behind the tariff
                    vkm = w * t * km / vt.load_t_per_vkm
                    self.k["truck_km_loaded"] += vkm * (1.0 - vt.empty_share)
                    self.k["truck_km_empty"] += vkm * vt.empty_share
                    self.k["vehicle_trips"] += vkm * (1.0 - vt.empty_share) / km if km else 0.0
        for key in sorted(set(loadsum) | set(legflow)):
            got, want = loadsum.get(key, 0.0), legflow.get(key, 0.0)
            if abs(got - want) > self.slack(want):
                p, a, b, k, owner, role = key
                who = f" owner '{owner}'" if owner else ""
                self.bad("load", f"period '{p}' {role} leg '{a}'→'{b}' commodity '{k}'{who}: "
                         f"vehicle loads sum to {_fmt(got)} t, flows to {_fmt(want)}", key, got,
                         want)
        return class_load

    def co2_add(self, vt: VehicleType, kg_ttw: float) -> None:
        self.co2_ttw += kg_ttw
        self.co2_wtw += kg_ttw * vt.wtw_ttw_ratio

    def leg_rates(self, vt: VehicleType, a: str, b: str) -> tuple[float, float, float]:
        """(km, cost of a loaded trip, cost of an empty trip) on leg a→b."""
        km = self.lanes.distance(a, b, vt.mode)
        h = self.lanes.time(a, b, vt.speed_kmh, vt.mode)
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
            mkt = _num(r["market_trips"])
            self.owner_ok("trips", i, owner)
            vt = self.vehicle_ok("trips", i, vid, a, b, g, True)
            if not math.isfinite(n) or n < -INT_TOL:
                self.bad("trips", f"period '{p}' {a}→{b} '{vid}' class '{g}' has trips {n}")
                continue
            if abs(n - round(n)) > INT_TOL:
                self.bad("integrality", f"trips period '{p}' {a}→{b} '{vid}' class '{g}' = "
                         f"{n!r} is not an integer")
            if vt is None or vt.pricing != "trip":
                continue
            touches_gw = a in self.gateways or b in self.gateways
            want_rho = self.rho_gateway if touches_gw else self.rho_rule
            if not (abs(rho - want_rho) <= INT_TOL * max(1.0, want_rho)):
                self.bad("implicit_empty", f"trips period '{p}' {a}→{b} '{vid}' class '{g}' has "
                         f"ρ = {rho}, expected {_fmt(want_rho)}")
            all_market = touches_gw or not self.bundling
            if not math.isfinite(mkt) or mkt < -self.slack(0) or mkt > n + self.slack(n) or (
                    all_market and abs(mkt - n) > self.slack(n)):
                why = ("all of them (trips per demand)" if not self.bundling else
                       "all of them (a gateway leg)" if touches_gw else "between 0 and trips")
                self.bad("market", f"trips period '{p}' {a}→{b} '{vid}' class '{g}' has "
                         f"{r['market_trips']} of {_fmt(n)} trips closed by the market, "
                         f"expected {why}")
                mkt = n if all_market else min(max(mkt, 0.0), n) if math.isfinite(mkt) else 0.0
            tripsum[p, a, b, vid, g, owner] += n
            w = self.w[p]
            km, c_loaded, c_empty = self.leg_rates(vt, a, b)
            implied = want_rho * mkt  # empty trips of the market closure
            self.k["transport_cost_eur"] += w * (n * c_loaded + implied * c_empty)
            self.co2_add(vt, w * vt.co2_empty_kg_per_km * km * (n + implied))
            self.k["vehicle_trips"] += w * n
            if vt.mode == "road":
                self.k["truck_km_loaded"] += w * n * km
                self.k["truck_km_empty"] += w * implied * km
            if not touches_gw:
                bal[vid, p, a][0] += n - mkt
                bal[vid, p, b][1] += n - mkt
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
                    self.bad(f"trip capacity ({kind})", f"period '{p}' leg '{a}'→'{b}' vehicle "
                             f"'{vid}' class '{g}'{who}: {_fmt(have)} trips < {_fmt(q)} needed",
                             key, have, q)
        self.tripsum = dict(tripsum)
        return bal

    def check_frequency(self) -> None:
        """Used direct legs of directed demands with a shipment frequency m: ≥ m trips of the
        load class on the leg, in the period, for the owner (all vehicle types together)."""
        sc = self.sc
        by_leg: dict[tuple, float] = defaultdict(float)
        for (p, a, b, _vid, g, owner), n in self.tripsum.items():
            by_leg[p, a, b, g, owner] += n
        seen = set()
        for u in self.used:
            dem = sc.demands[u.demand]
            if dem.kind != "directed" or len(u.path) != 2:
                continue
            m = dem.shipments_per_period or sc.commodities[u.commodity].shipments_per_period
            if not m:
                continue
            a, b = u.path
            key = (u.demand, u.period, a, b)
            if key in seen:
                continue
            seen.add(key)
            el = self.eligible(u.commodity, a, b, "direct")
            if not el or any(vt.pricing != "trip" for vt in el):
                continue  # a tariff carrier ships as often as asked
            g = sc.commodities[u.commodity].load_class
            have = by_leg.get((u.period, a, b, g, u.owner), 0.0)
            if have < m - self.slack(m):
                who = f" owner '{u.owner}'" if u.owner else ""
                self.bad("frequency", f"demand '{u.demand}' period '{u.period}' leg '{a}'→'{b}' "
                         f"class '{g}'{who}: {_fmt(have)} trips < {_fmt(m)} shipments per "
                         f"period")

    def check_transit(self) -> None:
        """Used paths of commodities with a maximum transit time: legs at the fastest eligible
        vehicle type plus hub handling time within the limit."""
        sc = self.sc
        seen = set()
        slow_noted = set()
        for u in self.used:
            limit = sc.commodities[u.commodity].max_transit_h
            key = (u.demand, u.period, tuple(u.path))
            if limit is None or key in seen:
                continue
            seen.add(key)
            hours = sum(sc.nodes[h].handling_h for h in u.path[1:-1])
            actual = hours
            for a, b, role in path_legs(u.path):
                el = self.eligible(u.commodity, a, b, role)
                if not el:
                    self.bad("route", f"demand '{u.demand}' path '{';'.join(u.path)}': no "
                             f"vehicle type may carry '{u.commodity}' on {role} leg "
                             f"'{a}'→'{b}'")
                    hours = math.nan
                    break
                hours += min(self.lanes.time(a, b, vt.speed_kmh, vt.mode) for vt in el)
                vids = self.leg_vehicles.get((u.period, a, b, u.commodity, u.owner, role), ())
                actual += max((self.lanes.time(a, b, sc.vehicles[v].speed_kmh,
                                               sc.vehicles[v].mode) for v in vids),
                              default=0.0)
            if not math.isfinite(hours):
                continue
            route = f"demand '{u.demand}' period '{u.period}' path '{';'.join(u.path)}'"
            if hours > limit + self.slack(limit):
                self.bad("transit", f"{route} takes {_fmt(hours)} h at the fastest eligible "
                         f"vehicles > max_transit_h {_fmt(limit)} of '{u.commodity}'")
            elif actual > limit + self.slack(limit) and key[:1] + key[2:] not in slow_noted:
                slow_noted.add(key[:1] + key[2:])
                self.notes.append(f"transit: {route} fits max_transit_h {_fmt(limit)} at the "
                                  f"fastest eligible vehicles, but the slowest vehicle types "
                                  f"loaded on its legs take {_fmt(actual)} h")

    def check_empties(self, bal: dict[tuple, list[float]]) -> None:
        for i, r in enumerate(self.table("empties")):
            n = _num(r["trips"])
            if not self.bundling:
                if not (abs(n) <= INT_TOL):
                    self.bad("empties", f"row {i} has {n} empty trips but bundling is off "
                             f"(empty running follows the '{self.empty_rule}' rule)")
                continue
            if not self.known_leg("empties", r, i):
                continue
            p, a, b, vid = str(r["period"]), str(r["from"]), str(r["to"]), str(r["vehicle"])
            vt = self.vehicle_ok("empties", i, vid, a, b, None, True)
            if not math.isfinite(n) or n < -self.slack(0):
                self.bad("empties", f"period '{p}' {a}→{b} '{vid}' has trips {n}")
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
                self.bad("balance", f"vehicle '{vid}' period '{p}' node '{node}': "
                         f"{_fmt(out)} trips out (loaded + empty) ≠ {_fmt(into)} in",
                         (vid, p, node), out, into)

    def finish(self) -> CheckResult:
        sc, k = self.sc, self.k
        k["development_cost_eur"] = sum(self._site_cost(s) for s, n in sc.nodes.items()
                                        if n.kind in ("site", "hub") and self.is_open(s))
        k["co2_ttw_t"] = self.co2_ttw / 1000.0
        k["co2_wtw_t"] = self.co2_wtw / 1000.0
        basis = self.co2_wtw if sc.options.co2_basis == "wtw" else self.co2_ttw
        k["carbon_cost_eur"] = sc.options.co2_price_eur_per_t * basis / 1000.0
        k["truck_km"] = k["truck_km_loaded"] + k["truck_km_empty"]
        k["total_cost_eur"] = sum(k[c] for c in COST_KEYS)
        obj, rep = k["total_cost_eur"], _num(self.sol.objective_eur)
        if not (abs(obj - rep) <= self.tol * max(1.0, abs(rep))):
            self.bad("objective", f"reported {_fmt(rep)} €/yr, recomputed {_fmt(obj)} "
                     f"(difference {_fmt(rep - obj)})", (), rep, obj)
        for term, (key, factor) in TERM_KEYS.items():
            val = (self.sol.terms or {}).get(term)
            if val is None:
                continue
            mine = k[key] * factor
            if not (abs(_num(val) - mine) <= self.tol * max(1.0, abs(mine))):
                self.bad("term", f"'{term}' reported {_fmt(_num(val))}, recomputed {_fmt(mine)}")
        return CheckResult(passed=not self.v, violations=list(self.v),
                           kpis={key: float(k[key]) for key in KPI_KEYS},
                           objective_recomputed=float(obj), objective_reported=float(rep),
                           notes=self.notes)

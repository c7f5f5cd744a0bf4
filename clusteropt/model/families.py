r"""The constraint families of ``shared/design/model.md``, one ``define_*`` each, in the order
``build`` calls them; then the cost terms (``price_*``). Every row is added under its family's
name (``BuiltModel.rows``); the formulation of each family is in its docstring.

Notation: ``at[f,n]`` is ``place[f,n]`` for an activity with a choice, else the constant 1/0;
``open[s]`` is a variable or, where a switch or lock fixes it, a constant — both are
``LinearTerm``\ s, so a fixed decision is a constant in the same row, not another branch.
Flows are tonnes per period ``p`` (weight ``w_p`` per year).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp

from clusteropt import emissions, rates
from clusteropt.lanes import Lanes
from clusteropt.model import tourcols
from clusteropt.model.core import (
    Elastic,
    LinearTerm,
    ModelInputError,
    Rows,
    Terms,
    Vars,
    lin_sum,
)
from clusteropt.model.hubarcs import ArcGroup, arc_loads, build_arcs, hub_inflow
from clusteropt.scenario import Scenario, VehicleType
from clusteropt.tours import tour_toll

COST_TERMS = ("development", "relocation", "facilities", "transport", "toll", "internal",
              "handling", "disposal", "carbon", "air_pollution")
KPI_TERMS = emissions.QUANTITIES  # kg per year of each emitted quantity
ONE = LinearTerm.constant(1.0)
ZERO = LinearTerm.constant(0.0)


@dataclass
class Route:
    """A route of a demand from node ``s`` to node ``t`` along ``path`` (s, [hub, [hub]], t;
    ``(s, s)`` is co-location), with its pooled partner (acceptor/supplier) if any, and its
    share of the demand's tonnes."""

    s: str
    t: str
    partner: str | None
    path: tuple[str, ...]
    share: LinearTerm


@dataclass
class Parts:
    """Everything ``build`` makes, family by family (index sets, variables, rows, terms)."""

    sc: Scenario
    lanes: Lanes
    sw: Any  # Switches
    prob: pulp.LpProblem
    var: Vars
    rows: Rows
    terms: dict[str, LinearTerm]
    elastic: Elastic
    periods: list[str]
    weight: dict[str, float]
    candidates: dict[str, list[str]] = field(default_factory=dict)
    pruned_sites: int = 0
    site_ids: list[str] = field(default_factory=list)
    open_at: dict[str, LinearTerm] = field(default_factory=dict)  # sites and hubs
    open_var: dict[str, Any] = field(default_factory=dict)
    hub_ids: list[str] = field(default_factory=list)
    hub_open: dict[str, Any] = field(default_factory=dict)
    place: dict[tuple[str, str], Any] = field(default_factory=dict)
    at_fixed: dict[str, str] = field(default_factory=dict)
    shared: dict[tuple[str, str], Any] = field(default_factory=dict)
    connect: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    vehicles: dict[str, VehicleType] = field(default_factory=dict)
    shares: dict[str, list[Route]] = field(default_factory=dict)
    unserved: dict[str, list[tuple[str, str, LinearTerm]]] = field(default_factory=dict)
    freq: list[tuple[str, str, str, str | None, float, LinearTerm]] = field(
        default_factory=list)
    arcs: list[ArcGroup] = field(default_factory=list)
    pruned_routes: int = 0
    intake: dict[tuple, LinearTerm] = field(default_factory=dict)
    products: dict[tuple, Any] = field(default_factory=dict)  # (pid, n, partner, t, p) → t
    product_rest: dict[tuple, Any] = field(default_factory=dict)  # (pid, n, p) → t disposed
    loads: dict[tuple, dict[str, LinearTerm]] = field(default_factory=dict)
    y: dict[tuple, LinearTerm] = field(default_factory=dict)
    class_load: dict[tuple, list[tuple[LinearTerm, VehicleType, str]]] = field(
        default_factory=lambda: defaultdict(list))
    trips: dict[tuple, Any] = field(default_factory=dict)
    unit_load: dict[tuple, list[tuple[LinearTerm, VehicleType, str]]] = field(
        default_factory=lambda: defaultdict(list))
    units: dict[tuple, Any] = field(default_factory=dict)
    market: dict[tuple, Any] = field(default_factory=dict)
    implicit_empty: dict[tuple, float] = field(default_factory=dict)
    empty: dict[tuple, Any] = field(default_factory=dict)
    gateway: set[str] = field(default_factory=set)
    trip_groups: dict | None = None  # _trip_groups, memoised
    tour_columns: tuple = ()  # TourColumn offered to this model (define_tours)
    tours: dict[tuple, tuple] = field(default_factory=dict)  # (col, p) → (runs var, {y key: tl})
    toured: dict[tuple, list] = field(default_factory=lambda: defaultdict(list))  # y key → tl
    tour_visits: dict[tuple, list] = field(default_factory=lambda: defaultdict(list))
    _eligible: dict[tuple, list[VehicleType]] = field(default_factory=dict)

    def at(self, f: str, n: str) -> LinearTerm:
        """``at[f,n]``: the placement variable, or 1/0 for an activity with one node."""
        if f in self.at_fixed:
            return ONE if self.at_fixed[f] == n else ZERO
        return LinearTerm.of(self.place[f, n])

    def eligible(self, k: str, i: str, j: str, role: str = "direct") -> list[VehicleType]:
        """Vehicle types that may carry k from i to j in this role (memoised by load class,
        role and the two nodes' modes)."""
        sc = self.sc
        lc = sc.commodities[k].load_class
        key = (lc, role, tuple(sc.nodes[i].modes), tuple(sc.nodes[j].modes))
        if key not in self._eligible:
            self._eligible[key] = [
                vt for vt in self.vehicles.values() if vt.carries(lc)
                and (vt.legs == "any" or (vt.legs == "hub" and role != "direct")
                     or role == "transfer")
                and vt.mode in sc.nodes[i].modes and vt.mode in sc.nodes[j].modes]
        return self._eligible[key]

    def open_here(self, n: str) -> LinearTerm:
        return self.open_at.get(n, ONE)


def _open(sc: Scenario, sw, n: str) -> bool:
    """A site or hub not closed by a switch or a lock."""
    return sw.open_sites.get(n, True) and sc.fix.sites.get(n, "open") == "open"


# ---- 1. placement candidates ---------------------------------------------------------------


def placement_candidates(b: Parts) -> None:
    """``N_f``: the nodes each activity in play may take — its fixed node (switch or lock), or
    its candidates among the open ones and its stay node; with ``site_rules.k_nearest``, the
    stay node and the k nearest others (by distance from the stay node)."""
    sc, sw = b.sc, b.sw
    for f, a in sc.activities.items():
        if sw.exclude_new and a.new:
            continue
        fixed = sw.placement.get(f) or sc.fix.placement.get(f)
        cands = [fixed] if fixed else list(a.candidates)
        stay = a.stay_node()
        cands = [n for n in cands if _open(sc, sw, n) or n == stay]
        k_sites = sc.site_rules.k_nearest
        if k_sites is not None and not fixed and stay is not None:
            others = sorted((n for n in cands if n != stay),
                            key=lambda n: b.lanes.distance(stay, n))
            b.pruned_sites += max(0, len(others) - k_sites)
            cands = [stay] + others[:k_sites]
        if not cands:
            raise ModelInputError(f"activity '{f}' has no admissible node left")
        b.candidates[f] = cands


# ---- 2. sites --------------------------------------------------------------------------------


def define_sites(b: Parts) -> None:
    """``open[s]`` binary for each development site someone may use (a candidate, a pooled
    partner, or fixed open); fixed ones are constants.

    * ``site_count_max``: Σ_s open[s] ≤ max_open (+ penalised slack when elastic);
    * ``site_count_exact``: Σ_s open[s] = exact_open;
    * ``budget``: Σ_s (annuity(dev_s) + opex_s + fixed_s) · open[s] ≤ budget."""
    sc, sw = b.sc, b.sw
    pooled = {d.commodity for d in sc.demands.values() if d.kind != "directed"}
    pooled |= {o for x in (*sc.nodes.values(), *sc.activities.values()) for o in x.yields}
    b.site_ids = [n for n, node in sc.nodes.items() if node.kind == "site"
                  and (any(n in c for c in b.candidates.values())
                       or any(k in pooled for k in (*node.accept, *node.supply))
                       or sw.open_sites.get(n) is True or sc.fix.sites.get(n) == "open")]
    free = [s for s in b.site_ids if s not in sw.open_sites and s not in sc.fix.sites]
    b.open_var = b.var.make("open", free, cat="Binary")
    for s in b.site_ids:
        if s in b.open_var:
            b.open_at[s] = LinearTerm.of(b.open_var[s])
        else:
            fixed = sw.open_sites[s] if s in sw.open_sites else sc.fix.sites[s] == "open"
            b.open_at[s] = ONE if fixed else ZERO
    total = lin_sum(*((b.open_at[s], 1.0) for s in b.site_ids))
    rules = sc.site_rules
    if rules.max_open is not None:
        slack = b.elastic.slack("more development sites must open than site_rules.max_open "
                                "allows", "sites", 100.0, family="site_count_max")
        b.rows.add("site_count_max", (), total.terms + slack, "<=",
                   rules.max_open - total.const)
    if rules.exact_open is not None:
        b.rows.add_lin("site_count_exact", (), total, "==", rules.exact_open)
    if rules.budget_eur_per_yr is not None:
        spend = lin_sum(*((b.open_at[s], rates.annual_site_cost(sc, s)) for s in b.site_ids))
        slack = b.elastic.slack("the sites that must open cost more than "
                                "site_rules.budget_eur_per_yr", "EUR/yr", 1e-3, family="budget")
        b.rows.add("budget", (), spend.terms + slack, "<=",
                   rules.budget_eur_per_yr - spend.const)


# ---- 3. placement ----------------------------------------------------------------------------


def define_placement(b: Parts) -> None:
    """``place[f,n]`` binary for each activity with more than one candidate.

    * ``one_node``: Σ_n place[f,n] = 1;
    * ``site_link``: place[f,s] ≤ open[s] where open is a variable (kept although the
      capacity row implies it for sized activities: it tightens the LP bound);
    * ``site_opened``: open[s] ≥ 1 for an activity fixed at a development site (not its stay);
    * ``capacity``: Σ_f size[f,d] · at[f,n] ≤ cap[n,d] · open[n] (· 1 for other nodes)."""
    sc, rows = b.sc, b.rows
    keys = [(f, n) for f, c in b.candidates.items() if len(c) > 1 for n in c]
    b.place = b.var.make("place", keys, cat="Binary")
    b.at_fixed = {f: c[0] for f, c in b.candidates.items() if len(c) == 1}
    for f, c in b.candidates.items():
        if len(c) > 1:
            rows.add("one_node", f, [(b.place[f, n], 1.0) for n in c], "==", 1.0)
    by_node: dict[str, list[str]] = defaultdict(list)
    for f, c in b.candidates.items():
        for n in c:
            by_node[n].append(f)
    for n, fs in by_node.items():
        node = sc.nodes[n]
        is_site = node.kind == "site"
        o = b.open_here(n)
        for f in fs:
            if is_site and f not in b.at_fixed and not o.is_constant:
                rows.add_lin("site_link", (f, n), lin_sum((b.at(f, n), 1.0), (o, -1.0)), "<=")
            elif is_site and b.at_fixed.get(f) == n and n != sc.activities[f].stay_node():
                rows.add_lin("site_opened", (f, n), o, ">=", 1.0,
                             infeasible=f"activity '{f}' is fixed at site '{n}', which is "
                                        f"closed")
        for d, cap in node.capacity.items():
            use = lin_sum(*((b.at(f, n), sc.activities[f].size.get(d, 0.0)) for f in fs
                            if sc.activities[f].size.get(d, 0.0) != 0.0))
            if use.is_constant and use.const == 0.0:
                continue
            room = o.scaled(cap) if is_site else LinearTerm.constant(cap)
            slack = b.elastic.slack(f"node '{n}' needs more capacity '{d}'", d,
                                    family="capacity")
            lhs = lin_sum((use, 1.0), (room, -1.0))
            rows.add("capacity", (n, d), lhs.terms + slack, "<=", -lhs.const,
                     infeasible=f"the activities fixed at node '{n}' need {use.const:g} {d} "
                                f"but it has {room.const:g} (cap_{d}) in this evaluation")


# ---- 4. shared facilities --------------------------------------------------------------------


def define_facilities(b: Parts) -> None:
    """Shared facility u at site s (model.md §5): ``shared[u,s]`` binary (integer modules when
    modular), ``connect[f,s,u]`` binary.

    * ``facility_connect``: connect[f,s,u] ≤ at[f,s];
    * ``facility_link``: connect[f,s,u] ≤ shared[u,s] (binary facilities);
    * ``facility_capacity``: Σ_f use[f,u] · connect[f,s,u] ≤ cap_u · shared[u,s]."""
    sc, rows = b.sc, b.rows
    for u, fac in sc.facilities.items():
        users = [f for f in b.candidates if sc.activities[f].use.get(u, 0.0) > 0]
        for s in fac.sites:
            here = [f for f in users if s in b.candidates[f]]
            if not here:
                continue
            cat = "Integer" if fac.modular else "Binary"
            sv = b.var.make("shared", [(u, s)], cat=cat,
                            ub=float(fac.max_modules) if fac.modular else 1.0)[u, s]
            b.shared[u, s] = sv
            cv = b.var.make("connect", [(f, s, u) for f in here], cat="Binary")
            b.connect.update(cv)
            for f in here:
                c = LinearTerm.of(cv[f, s, u])
                rows.add_lin("facility_connect", (f, s, u), lin_sum((c, 1.0), (b.at(f, s), -1.0)),
                             "<=")
                if not fac.modular:
                    rows.add("facility_link", (f, s, u), [(cv[f, s, u], 1.0), (sv, -1.0)], "<=",
                             0.0)
            rows.add("facility_capacity", (u, s),
                     [(cv[f, s, u], sc.activities[f].use[u]) for f in here]
                     + [(sv, -fac.capacity)], "<=", 0.0)


# ---- 5. hubs ---------------------------------------------------------------------------------


def define_hubs(b: Parts) -> None:
    """``open[h]`` binary for each hub not closed (none when the switch leaves hubs out).

    * ``hub_count_max`` / ``hub_count_exact``: Σ_h open[h] ≤ / = hubs.max_open / exact_open."""
    sc, sw = b.sc, b.sw
    b.hub_ids = [n for n, node in sc.nodes.items() if node.kind == "hub" and sw.hubs
                 and _open(sc, sw, n)]
    b.hub_open = b.var.make("hub", [h for h in b.hub_ids if h not in sw.open_sites
                                    and h not in sc.fix.sites], cat="Binary")
    for h in b.hub_ids:
        b.open_at[h] = LinearTerm.of(b.hub_open[h]) if h in b.hub_open else ONE
    total = lin_sum(*((b.open_at[h], 1.0) for h in b.hub_ids))
    if sc.hubs.max_open is not None:
        b.rows.add_lin("hub_count_max", (), total, "<=", sc.hubs.max_open)
    if sc.hubs.exact_open is not None:
        b.rows.add_lin("hub_count_exact", (), total, "==", sc.hubs.exact_open)


# ---- 6. routes and their linking ---------------------------------------------------------------


def define_routes(b: Parts) -> None:
    """Route shares of every demand (model.md §3), through ``RouteMaker``.

    A directed demand c = f → g gets a share ``z[c,s,t,path]`` ∈ [0,1] per route; where one
    end has a single node and each pair a single path, the share *is* ``at`` of the other end
    (no variable, §9). Rows:

    * ``route_link``: Σ_{routes from s} z = at[f,s] and Σ_{routes into t} z = at[g,t] (the
      transportation linearisation of place[f,s]·place[g,t]);
    * ``pooled_link``: Σ_{routes from s} z + disposal = at[f,s] (pooled supply; the mirror for
      pooled demand with shortage);
    * ``strong_link``: z ≤ at[partner, t] (or ≤ open[t] for a site partner) on every pooled
      route (the x ≤ y of facility location);
    * ``hub_link``: Σ_{routes of c through h} z ≤ open[h], one row per (demand, hub) — valid
      since a demand's shares sum to at most 1, and far tighter than one per route.

    Directed demands with both ends fixed go to the per-origin hub-arc form when the scenario
    asks for ``hubs.form: arc`` (``hubarcs``; families ``arc_*``)."""
    sc, sw, rules = b.sc, b.sw, b.sc.hubs
    routes_of = RouteMaker(sc, b.lanes, b.hub_ids, b.eligible)
    partner_memo: dict[tuple, list[tuple[str, str]]] = {}

    def partners_of(k: str, side: str, dm) -> list[tuple[str, str]]:
        key = (k, side, dm.baseline_partner if sw.baseline_partners else None)
        if key not in partner_memo:
            partner_memo[key] = _partners(b, k, side, dm)
        return partner_memo[key]

    arc_groups: dict[tuple, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for c, dm in sc.demands.items():
        k = dm.commodity
        if dm.kind == "directed":
            if dm.origin not in b.candidates or dm.destination not in b.candidates:
                continue
            if _arc_form(b, dm):
                o, t = b.candidates[dm.origin][0], b.candidates[dm.destination][0]
                for per in b.periods:
                    if dm.tonnes[per] > 0:
                        arc_groups[o, k, None if sw.bundling else c, per][t][c] = \
                            dm.tonnes[per]
                continue
            ends = [(s, None, t) for s in b.candidates[dm.origin]
                    for t in b.candidates[dm.destination]]
            side_a = {s: b.at(dm.origin, s) for s in b.candidates[dm.origin]}
            side_b = {t: b.at(dm.destination, t) for t in b.candidates[dm.destination]}
        elif dm.kind == "pooled_supply":
            if dm.origin not in b.candidates:
                continue
            ends = [(s, p, t) for s in b.candidates[dm.origin]
                    for p, t in partners_of(k, "accept", dm)]
            side_a, side_b = {s: b.at(dm.origin, s) for s in b.candidates[dm.origin]}, None
        else:
            if dm.destination not in b.candidates:
                continue
            ends = [(s, p, t) for p, s in partners_of(k, "supply", dm)
                    for t in b.candidates[dm.destination]]
            side_a, side_b = None, {t: b.at(dm.destination, t)
                                    for t in b.candidates[dm.destination]}
        paths = {(s, p, t): routes_of(s, t, k) for s, p, t in ends}
        routes = [(s, p, t, path) for (s, p, t), ps in paths.items() for path in ps]
        if not routes and dm.kind == "directed" and not sw.elastic:
            raise ModelInputError(
                f"demand '{c}' ({k}) has no usable route from {b.candidates[dm.origin]} to "
                f"{b.candidates[dm.destination]}: check the lane distances, the vehicles that "
                f"may carry '{k}' and its maximum transit time")
        substitutable = dm.kind == "directed" and all(len(ps) == 1 for ps in paths.values()) \
            and (len(side_a) == 1 or len(side_b) == 1)
        if substitutable:
            b.shares[c] = [Route(s, t, p, path, side_b[t] if len(side_a) == 1 else side_a[s])
                           for s, p, t, path in routes]
        else:
            z = b.var.make("z", routes, ub=1.0)
            b.shares[c] = [Route(s, t, p, path, LinearTerm.of(z[r]))
                           for r, (s, p, t, path) in zip(routes, routes)]
            _link_shares(b, dm, c, z, side_a, side_b)
        through: dict[str, LinearTerm] = {}
        for r in b.shares[c]:
            for h in r.path[1:-1]:
                through.setdefault(h, LinearTerm()).add_term(r.share)
        for h, load in through.items():
            if not b.open_at[h].is_constant:
                b.rows.add_lin("hub_link", (c, h), lin_sum((load, 1.0), (b.open_at[h], -1.0)),
                               "<=")
        m = dm.shipments_per_period or sc.commodities[k].shipments_per_period
        if m and dm.kind == "directed":
            for r in b.shares[c]:
                if len(r.path) == 2 and r.s != r.t:
                    b.freq.append((c, r.s, r.t, None if sw.bundling else c, m, r.share))
    b.arcs = build_arcs(arc_groups, b.hub_ids, rules.direct, b.open_at, b.var, b.rows)
    b.pruned_routes = routes_of.pruned


def _arc_form(b: Parts, dm) -> bool:
    """The arc form takes directed demands with both ends fixed and no per-route rule (at most
    one hub per route, a transit-time limit, a shipment frequency stay in the route form)."""
    sc = b.sc
    k = dm.commodity
    return (sc.hubs.form == "arc" and bool(b.hub_ids) and len(b.candidates[dm.origin]) == 1
            and len(b.candidates[dm.destination]) == 1 and sc.hubs.max_per_route == 2
            and sc.commodities[k].max_transit_h is None
            and not (dm.shipments_per_period or sc.commodities[k].shipments_per_period))


def _link_shares(b: Parts, dm, c: str, z: dict, side_a, side_b) -> None:
    """The ``route_link`` / ``pooled_link`` / ``strong_link`` rows of one demand's shares (see
    ``define_routes``); adds the disposal/shortage shares of pooled flows with such a cost."""
    sc, rows, elastic = b.sc, b.rows, b.elastic
    by_s: dict[str, Terms] = defaultdict(list)
    by_t: dict[str, Terms] = defaultdict(list)
    by_partner: dict[tuple[str, str], list[tuple[tuple, Any]]] = defaultdict(list)
    for key, zv in z.items():
        s, p, t, _path = key
        by_s[s].append((zv, 1.0))
        by_t[t].append((zv, 1.0))
        if p is not None:
            by_partner[p, s if dm.kind == "pooled_demand" else t].append((key, zv))
    com = sc.commodities[dm.commodity]
    q = max(max(dm.tonnes.values()), 1e-9)
    if dm.kind == "directed":

        def gap() -> Terms:
            return [(v, -cf / q) for v, cf in elastic.slack(
                f"directed demand '{c}' ({dm.commodity}) has no route within the commodity's "
                f"maximum transit time or vehicle access", "t/period", family="route_link")]

        origin_rows = len(side_a) > 1 or len(side_b) == 1
        if origin_rows:
            for s, at in side_a.items():
                rows.add("route_link", (c, "from", s), by_s[s] + gap()
                         + [(v, -cf) for v, cf in at.terms], "==", at.const)
        if len(side_b) > 1:
            for t, at in side_b.items():
                rows.add("route_link", (c, "to", t), by_t[t] + ([] if origin_rows else gap())
                         + [(v, -cf) for v, cf in at.terms], "==", at.const)
        return
    side = side_a if dm.kind == "pooled_supply" else side_b
    by_end = by_s if dm.kind == "pooled_supply" else by_t
    kind = "disposal" if dm.kind == "pooled_supply" else "shortage"
    penalty = com.disposal_cost_eur_per_t if kind == "disposal" else com.shortage_cost_eur_per_t
    rest = []
    for n, at in side.items():
        if penalty is not None:
            d = b.var.make(kind[:4], [(c, n)], ub=1.0)[c, n]
            extra: Terms = [(d, 1.0)]
            rest.append((kind, n, LinearTerm.of(d)))
        else:
            what = "no acceptor" if kind == "disposal" else "no supplier"
            extra = [(v, -cf / q) for v, cf in elastic.slack(
                f"{dm.kind.replace('_', ' ')} '{c}' ({dm.commodity}) finds {what} in reach "
                f"(within capacity and max transit time)", "t/period", family="pooled_link")]
            if not by_end[n] and not extra and (at.terms or at.const):
                raise ModelInputError(
                    f"{dm.kind.replace('_', ' ')} '{c}' ({dm.commodity}) finds {what} it can "
                    f"reach at node '{n}' (open partners with "
                    f"{'accept' if kind == 'disposal' else 'supply'}_{dm.commodity} capacity, "
                    f"lanes, vehicles, max transit time) and has no {kind}_cost_eur_per_t to "
                    f"fall back on")
        rows.add("pooled_link", (c, n), by_end[n] + extra + [(v, -cf) for v, cf in at.terms],
                 "==", at.const)
    for (p, n), zs in by_partner.items():
        there = _partner_at(b, p, n)
        if there.terms:
            for key, zv in zs:
                rows.add("strong_link", (c, *key), [(zv, 1.0)]
                         + [(v, -cf) for v, cf in there.terms], "<=", 0.0)
        elif there.const == 0.0:
            for _key, zv in zs:
                zv.upBound = 0.0
    b.unserved[c] = rest


def _partners(b: Parts, k: str, side: str, dm) -> list[tuple[str, str]]:
    """Pooled partners (partner id, node) that accept or supply commodity k: activities with
    ``accept_k``/``supply_k`` at each of their candidate nodes, and nodes with it themselves
    (partner id '@node'). In the baseline (``baseline_partners``) only the demand's baseline
    partner."""
    sc, sw = b.sc, b.sw
    out = []
    for a, cands in b.candidates.items():
        if getattr(sc.activities[a], side).get(k, 0.0) > 0:
            out += [(a, n) for n in cands]
    for n, node in sc.nodes.items():
        if getattr(node, side).get(k, 0.0) > 0 and _open(sc, sw, n):
            out.append((f"@{n}", n))
    if sw.baseline_partners and dm is not None:
        out = [(p, n) for p, n in out if p == dm.baseline_partner]
    return out


def _partner_at(b: Parts, p: str, n: str) -> LinearTerm:
    """Presence of pooled partner p at node n: ``at`` of an activity, ``open`` of a site."""
    return b.open_here(n) if p.startswith("@") else b.at(p, n)


class RouteMaker:
    """Paths from s to t for a commodity: direct (if allowed), via one hub, via two hubs;
    only through the k nearest hubs to either end when asked; only within the commodity's
    maximum transit time (legs at the fastest eligible vehicle, plus hub handling)."""

    def __init__(self, sc: Scenario, lanes: Lanes, hubs: list[str], eligible):
        self.sc, self.lanes, self.hubs, self.eligible = sc, lanes, hubs, eligible
        self.pruned = 0
        self._near: dict[str, list[str]] = {}

    def near(self, n: str) -> list[str]:
        k = self.sc.hubs.k_nearest
        if k is None or k >= len(self.hubs):
            return self.hubs
        if n not in self._near:
            self._near[n] = sorted(self.hubs, key=lambda h: self.lanes.distance(n, h))[:k]
        return self._near[n]

    def leg_ok(self, i: str, j: str, k: str, role: str) -> float | None:
        """Fastest time on the leg (h), or None if no vehicle may carry k there."""
        if i == j:
            return 0.0
        el = [v for v in self.eligible(k, i, j, role)
              if math.isfinite(self.lanes.distance(i, j, v.mode))]
        if not el:
            return None
        return min(self.lanes.time(i, j, v.speed_kmh, v.mode) for v in el)

    def __call__(self, s: str, t: str, k: str) -> list[tuple[str, ...]]:
        rules = self.sc.hubs
        cands: list[tuple[str, ...]] = []
        if rules.direct or not self.hubs:
            cands.append((s, t))
        if self.hubs:
            near = list(dict.fromkeys(self.near(s) + self.near(t)))
            cands += [(s, h, t) for h in near]
            if rules.max_per_route == 2:
                cands += [(s, h, h2, t) for h in self.near(s) for h2 in self.near(t) if h != h2]
        limit = self.sc.commodities[k].max_transit_h
        out = []
        for path in cands:
            legs = path_legs(path) if not (len(path) == 2 and s == t) else []
            times = [self.leg_ok(i, j, k, role) for i, j, role in legs]
            if any(tm is None for tm in times):
                continue
            total = sum(times) + sum(self.sc.nodes[h].handling_h for h in path[1:-1])
            if limit is not None and total > limit + 1e-9:
                self.pruned += 1
                continue
            out.append(path)
        return out


def path_legs(path: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(i, j, role) of the road/water/rail legs of a path; zero-length legs are skipped."""
    if len(path) == 2:
        out = [(path[0], path[1], "direct")]
    elif len(path) == 3:
        out = [(path[0], path[1], "collection"), (path[1], path[2], "distribution")]
    else:
        out = [(path[0], path[1], "collection"), (path[1], path[2], "transfer"),
               (path[2], path[3], "distribution")]
    return [(i, j, role) for i, j, role in out if i != j]


# ---- 7. pooled partners' capacity and cover rows -------------------------------------------


def define_intake(b: Parts) -> None:
    """``intake[partner, n, k, p, side]``: Σ q_p · z over the pooled routes into (out of) a
    partner at node n, t/period — a linear term in the route shares."""
    sc = b.sc
    for c, routes in b.shares.items():
        dm = sc.demands[c]
        if dm.kind == "directed":
            continue
        side = "accept" if dm.kind == "pooled_supply" else "supply"
        for r in routes:
            n = r.t if side == "accept" else r.s
            for per in b.periods:
                b.intake.setdefault((r.partner, n, dm.commodity, per, side),
                                    LinearTerm()).add_term(r.share, dm.tonnes[per])


def partner_record(sc: Scenario, partner: str):
    """The node ('@node') or activity record of a pooled partner."""
    return sc.nodes[partner[1:]] if partner.startswith("@") else sc.activities[partner]


def partner_cap(sc: Scenario, partner: str, side: str, k: str, per: str) -> float:
    """accept_k (supply_k) of a pooled partner in period per, t/period: 0 outside its
    ``intake_periods`` (acceptors only)."""
    owner = partner_record(sc, partner)
    if side == "accept" and owner.intake_periods is not None \
            and per not in owner.intake_periods:
        return 0.0
    return getattr(owner, side).get(k, 0.0)


def define_products(b: Parts) -> None:
    """Processor products (§7): a node or activity with ``process_input`` k and ``yield_o`` y
    turns each tonne of k it takes in into y t of product o, pooled supply at its node. For
    product pid = 'processor>o' at processor node n in period p: tonnes ``prod[pid,n,g,t,p]``
    ≥ 0 to each acceptor g of o at node t (direct, within o's ``max_transit_h``; t = n is
    co-location) and ``prod_rest[pid,n,p]`` ≥ 0 to o's disposal outlet:

    * ``product_balance``: Σ_{g,t} prod + prod_rest = y · intake[processor, n, k, p]
      (t/period; the intake is linear in the input's route shares, so is the row).

    The product tonnes join the acceptors' intake (``partner_capacity``), the leg loads
    (``define_loads``) and are priced at o's ``disposal_cost_eur_per_t`` and the acceptors'
    gate fees (``price_flows``). Products have no baseline partner: today's situation and
    every option send them by the same rules. Chains (a product that is processed again) are
    refused by the scenario."""
    sc, lanes = b.sc, b.lanes
    routes_of = RouteMaker(sc, lanes, [], b.eligible)
    procs = [(f"@{n}", node) for n, node in sc.nodes.items() if node.yields] \
        + [(a, act) for a, act in sc.activities.items() if act.yields and a in b.candidates]
    keys, rest_keys, rhs = [], [], {}
    for proc, rec in procs:
        k_in = rec.process_input
        for o, y in rec.yields.items():
            pid = f"{proc}>{o}"
            limit = sc.commodities[o].max_transit_h
            outlets = [(g, t) for g, t in _partners(b, o, "accept", None)
                       if not (_partner_at(b, g, t).is_constant
                               and _partner_at(b, g, t).const == 0.0)]
            for per in b.periods:
                for n in ([proc[1:]] if proc.startswith("@") else b.candidates[proc]):
                    intake = b.intake.get((proc, n, k_in, per, "accept"))
                    if intake is None or (intake.is_constant and intake.const == 0.0):
                        continue
                    rhs[pid, n, per] = intake.scaled(y)
                    rest_keys.append((pid, n, per))
                    for g, t in outlets:
                        tm = routes_of.leg_ok(n, t, o, "direct")
                        if tm is None or (limit is not None and tm > limit + 1e-9):
                            continue
                        if partner_cap(sc, g, "accept", o, per) > 0:
                            keys.append((pid, n, g, t, per))
    b.products = b.var.make("prod", keys)
    b.product_rest = b.var.make("prod_rest", rest_keys)
    out: dict[tuple, Terms] = defaultdict(list)
    for key, x in b.products.items():
        pid, n, g, t, per = key
        out[pid, n, per].append((x, 1.0))
        o = pid.rsplit(">", 1)[1]
        b.intake.setdefault((g, t, o, per, "accept"), LinearTerm()).add([(x, 1.0)])
    for key, rest in b.product_rest.items():
        made = rhs[key]
        b.rows.add("product_balance", key, out[key] + [(rest, 1.0)]
                   + [(v, -cf) for v, cf in made.terms], "==", made.const)


def define_partner_capacity(b: Parts) -> None:
    """``partner_capacity``: intake of a partner at a node (``define_intake``, plus the
    products it takes, ``define_products``) ≤ its accept_k (supply_k; 0 outside its
    ``intake_periods``) · at[partner, n] (or · open[n]), per period; then the cover rows
    (``define_cover``)."""
    sc = b.sc
    for (partner, n, k, per, side), load in b.intake.items():
        cap = partner_cap(sc, partner, side, k, per)
        slack = b.elastic.slack(f"'{partner.lstrip('@')}' at '{n}' needs more {side} capacity "
                                f"for '{k}' in period '{per}'", "t/period",
                                family="partner_capacity")
        lhs = lin_sum((load, 1.0), (_partner_at(b, partner, n), -cap))
        b.rows.add("partner_capacity", (partner, n, k, per), lhs.terms + slack, "<=",
                   -lhs.const)
    if not b.elastic.enabled:
        define_cover(b)


def define_cover(b: Parts) -> None:
    """Valid inequalities implied by pooled demand and capacity (cutting planes added up
    front). For a commodity k, side and period whose pooled demands have no shortage or
    disposal outlet, the partners' capacities must cover the total q:

    * ``cover``: Σ_sites cap_n · open[n] ≥ q − F (F: capacity of partners always there);
    * ``cover_count``: Σ_sites open[n] ≥ k_min (fewest sites whose largest caps cover it).

    The LP relaxation meets the first with fractional sites; the second, its integer rounding,
    is what closes the bound on capacitated location (OR-Library capa: the LP gap falls from
    2.1 % to 0.06 %)."""
    sc = b.sc
    need: dict[tuple[str, str, str], float] = defaultdict(float)
    blocked: set[tuple[str, str]] = set()
    for c in b.shares:
        dm = sc.demands[c]
        if dm.kind == "directed":
            continue
        side = "accept" if dm.kind == "pooled_supply" else "supply"
        if b.unserved.get(c):
            blocked.add((dm.commodity, side))
        for per in b.periods:
            need[dm.commodity, side, per] += dm.tonnes[per]
    caps: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    fixed: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for partner, n, k, per, side in b.intake:
        cap = partner_cap(sc, partner, side, k, per)
        o = b.open_here(n) if partner.startswith("@") else ONE
        if o.is_constant:  # present whatever the placement (an activity counts once)
            fixed[k, side, per][partner if not partner.startswith("@") else n] = cap * o.const
        else:
            caps[k, side, per][n] = cap
    for key, q in need.items():
        if key[:2] in blocked or not caps.get(key):
            continue
        rest = q - sum(fixed[key].values())
        sizes = sorted(caps[key].values(), reverse=True)
        if rest <= 1e-9 or sum(sizes) < rest:
            continue
        k_min = int(np.searchsorted(np.cumsum(sizes), rest * (1 - 1e-9))) + 1
        opens = [(b.open_var[n], cap) for n, cap in caps[key].items()]
        b.rows.add("cover", key, opens, ">=", rest)
        if k_min > 1:
            b.rows.add("cover_count", key, [(o, 1.0) for o, _ in opens], ">=", float(k_min))


# ---- 8. loads on legs and the vehicle choice -------------------------------------------------


def define_loads(b: Parts) -> None:
    """``load[i,j,k,owner,role]`` per period: the tonnes of the routes (and hub arcs) on each
    leg; ``owner`` is the demand when trips are per demand (unbundled), else None.

    Vehicle choice (§4): ``y[i,j,k,v]`` ≥ 0 for each eligible vehicle type where there is a
    choice, with ``mode_split``: Σ_v y = load; where one type is eligible, y *is* the load."""
    sc, sw = b.sc, b.sw
    for g in b.arcs:
        for i, j, role, v in arc_loads(g):
            per_p = b.loads.setdefault((i, j, g.commodity, g.owner, role),
                                       {per: LinearTerm() for per in b.periods})
            per_p[g.period].add([(v, 1.0)])
    for c, routes in b.shares.items():
        dm = sc.demands[c]
        owner = None if sw.bundling else c
        for r in routes:
            if r.share.is_constant and r.share.const == 0.0:
                continue
            if len(r.path) == 2 and r.s == r.t:
                continue  # co-located: no leg (internal cost, price_flows)
            for i, j, role in path_legs(r.path):
                per_p = b.loads.setdefault((i, j, dm.commodity, owner, role),
                                           {per: LinearTerm() for per in b.periods})
                for per in b.periods:
                    per_p[per].add_term(r.share, dm.tonnes[per])
    for (pid, n, _g, t, per), x in b.products.items():
        if n != t:
            per_p = b.loads.setdefault((n, t, pid.rsplit(">", 1)[1],
                                        None if sw.bundling else pid, "direct"),
                                       {p: LinearTerm() for p in b.periods})
            per_p[per].add([(x, 1.0)])
    choice: dict[tuple, list[VehicleType]] = {}
    keys = []
    for i, j, k, owner, role in b.loads:
        el = b.eligible(k, i, j, role)
        if not el:
            raise ModelInputError(f"no vehicle type may carry commodity '{k}' on {i} → {j}")
        choice[i, j, k, owner, role] = el
        if len(el) > 1:
            keys += [(i, j, k, v.id, p, owner, role) for v in el for p in b.periods]
    yvar = b.var.make("y", keys)
    for (i, j, k, owner, role), per_p in b.loads.items():
        el = choice[i, j, k, owner, role]
        for p in b.periods:
            if len(el) == 1:
                b.y[i, j, k, el[0].id, p, owner, role] = per_p[p]
                continue
            ks = [(i, j, k, v.id, p, owner, role) for v in el]
            for key in ks:
                b.y[key] = LinearTerm.of(yvar[key])
            b.rows.add("mode_split", (i, j, k, p, owner, role),
                       [(yvar[key], 1.0) for key in ks]
                       + [(x, -c) for x, c in per_p[p].terms], "==", per_p[p].const)


def define_tours(b: Parts) -> None:
    """Tours (§4 tours; ``tourcols``): for each tour column τ (depot, trip-priced vehicle
    type v, load class g, stops in order; ``Switches.tour_columns``, else today's) and period
    p whose stops have a toured load on their direct leg to (collect) or from (deliver) the
    depot: integer ``tour[τ,p]`` ≥ 0 runs per period and ``tload[τ,p,y]`` ≥ 0, the tonnes it
    takes of each such leg's load y[i,j,k,v,p,owner,direct]:

    * ``tour_take``: Σ_τ tload[τ,p,y] ≤ y — the rest rides direct trips (``trip_mass`` sees
      y − Σ tload);
    * ``tour_mass``/``_volume``/``_pallets``: Σ_y tload / payload ≤ tour (and m³, pallets);
    * a run visits every stop, so it counts as a shipment of each stop's leg (``frequency``).

    A tour is closed (depot → stops → depot): it pays its km and hours once per run, stop and
    depot handling times included, and is in no vehicle balance and no market closure."""
    sc = b.sc
    if not tourcols.touring(sc):
        return
    b.tour_columns = tuple(b.sw.tour_columns if b.sw.tour_columns is not None
                           else tourcols.today_columns(sc, b.lanes))
    lc_of = {k: c.load_class for k, c in sc.commodities.items()}
    by_leg: dict[tuple, list[tuple]] = defaultdict(list)
    for key in b.y:
        i, j, k, v, p, _owner, role = key
        direction = sc.commodities[k].tour
        if direction != "none" and role == "direct" and sc.vehicles[v].pricing == "trip":
            by_leg[i, j, v, lc_of[k], p, direction].append(key)
    offered = []
    for n, col in enumerate(b.tour_columns):
        if col.vehicle not in b.vehicles:
            continue
        for p in b.periods:
            ykeys = [key for s in col.stops for key in
                     by_leg.get((*col.stop_leg(s), col.vehicle, col.load_class, p,
                                 col.direction), [])]
            if ykeys:
                offered.append(((n, p), ykeys))
    runs = b.var.make("tour", [key for key, _ in offered], cat="Integer")
    loads = b.var.make("tload", [(*key, y) for key, ykeys in offered for y in ykeys])
    for (n, p), ykeys in offered:
        col, run = b.tour_columns[n], runs[n, p]
        take = {y: loads[n, p, y] for y in ykeys}
        b.tours[n, p] = (run, take)
        for y, tl in take.items():
            b.toured[y].append(tl)
        vt = sc.vehicles[col.vehicle]
        for s in col.stops:
            b.tour_visits[(*col.stop_leg(s), col.load_class, p)].append((vt, run))
        _capacity_rows(b, "tour", (n, p), [(LinearTerm.of(tl), vt, y[2])
                                           for y, tl in take.items()], run)
    for y, tls in b.toured.items():
        load = b.y[y]
        b.rows.add("tour_take", y, [(tl, 1.0) for tl in tls]
                   + [(x, -c) for x, c in load.terms], "<=", load.const)


# ---- 9. trips --------------------------------------------------------------------------------


def define_trips(b: Parts) -> None:
    """Integer ``trips[i,j,v,g,p,owner]`` per leg, trip-priced vehicle type and load class g
    (owner: the demand when unbundled), and the market closure ``mkt`` (§4):

    * ``trip_mass``: Σ_{k∈g} y / payload_t ≤ trips;
    * ``trip_volume``: Σ_{k∈g} y / (density_k · volume_m3) ≤ trips (where both are given);
    * ``trip_pallets``: Σ_{k∈g} y · pallets_per_t / pallets ≤ trips (likewise);
    * ``market_link``: mkt ≤ trips, on bundled legs between non-gateway nodes. Elsewhere every
      trip is closed by the market. A trip closed by the market brings ρ empty trips of its
      own leg (ρ_gate = e/(1−e) at a gateway, else the empty-running rule's ρ: e/(1−e) under
      ``share``, 1 under ``dedicated``; ``rates.empty_factor``)."""
    sc, sw = b.sc, b.sw
    lc_of = {k: c.load_class for k, c in sc.commodities.items()}
    for key, load in b.y.items():
        i, j, k, v, p, owner, _role = key
        if sc.vehicles[v].pricing == "trip":
            if key in b.toured:  # what tours take of the leg's load rides no direct trip
                load = lin_sum((load, 1.0), (LinearTerm([(tl, 1.0) for tl in b.toured[key]]),
                                             -1.0))
            b.class_load[i, j, v, lc_of[k], p, owner].append((load, sc.vehicles[v], k))
    keys = list(b.class_load)
    b.trips = b.var.make("trips", keys, cat="Integer")
    b.market = b.var.make("mkt", [key for key in keys if sw.bundling
                                  and key[0] not in b.gateway and key[1] not in b.gateway])
    rho_gate = rates.empty_factor("share", sc.options.empty_share)
    rho_rule = rates.empty_factor(sw.empty_rule or sc.options.empty_running,
                                  sc.options.empty_share)
    for key, loads_k in b.class_load.items():
        i, j, v, _g, _p, _o = key
        tr = b.trips[key]
        _capacity_rows(b, "trip", key, loads_k, tr)
        if key in b.market:
            b.rows.add("market_link", key, [(b.market[key], 1.0), (tr, -1.0)], "<=", 0.0)
        b.implicit_empty[key] = rho_gate if (i in b.gateway or j in b.gateway) else rho_rule


def define_trip_floor(b: Parts) -> None:
    """``trip_floor`` (valid inequalities, added up front): on a leg, load class g, period
    and owner whose every eligible vehicle type is trip-priced, the trips of all types
    together carry the leg's load L = c + Σ a_x · x + (other non-negative terms). For each
    binary x in L (a placement, with a_x > 0):

        Σ_v trips[i,j,v,g,p,owner] ≥ F0 + (F1 − F0) · x,

    F0 = ⌈c / cap⌉ and F1 = ⌈(c + a_x) / cap⌉, the largest over the mass, volume and pallet
    sides of the fewest vehicles of the roomiest type that carry the load (a side counts only
    where every type has a figure). Runs of tours visiting the leg's stop count as trips
    (each carries at most its payload of the leg's load, ``define_tours``), their types among
    the roomiest. It holds at x = 0 (L ≥ c) and x = 1 (L ≥ c + a_x), the
    trips being integer, so no integer point is cut off; the LP relaxation, which pays a
    fraction a_x / cap of a trip for a small consignment, pays at least one. On a leg that
    only one activity's placement can load (a grower's own node to its trader) this is the
    integer rounding that branch-and-bound otherwise has to find."""
    for key, grp in _trip_groups(b).items():
        if grp.tariff or not grp.coef:
            continue
        room = grp.room()
        f0 = _fewest(grp.const, room)
        trs = [(tr, 1.0) for _, tr in grp.trips + grp.tour_runs]
        for x, a in grp.coef.items():
            step = _fewest(grp.const + a, room) - f0
            if step > 0:
                b.rows.add("trip_floor", (*key, x.name), trs + [(x, -float(step))], ">=",
                           float(f0))


@dataclass
class _TripGroup:
    """The loads of one leg, load class, period and owner (``_trip_groups``): its trips by
    vehicle type, the tariff loads beside them, the load's constant part and, per binary
    placement in it, the tonnes it brings — each as (t, m³, pallet places)."""

    trips: list = field(default_factory=list)  # (vehicle type, trips variable)
    tariff: list = field(default_factory=list)  # tariff-type y variables
    const: np.ndarray = field(default_factory=lambda: np.zeros(3))
    coef: dict = field(default_factory=dict)  # binary → np.ndarray(3)
    valid: bool = True
    tour_runs: list = field(default_factory=list)  # (vehicle type, runs) of tours visiting

    def room(self) -> list:
        """Per side the roomiest type's figure (of the trips and the tours visiting), None
        where a type has none."""
        caps = list(zip(*(vt.unit_capacity() for vt, _ in self.trips + self.tour_runs),
                        strict=True))
        return [max(c) if all(x is not None for x in c) else None for c in caps]


def _trip_groups(b: Parts) -> dict[tuple, _TripGroup]:
    """``_TripGroup`` per (i, j, g, p, owner) with trips, leaving out groups a load-unit type
    serves and groups whose load is not a non-negative sum (then no floor is valid); memoised
    on ``b``."""
    if b.trip_groups is not None:
        return b.trip_groups
    groups: dict[tuple, _TripGroup] = defaultdict(_TripGroup)
    for (i, j, v, g, p, owner), tr in b.trips.items():
        groups[i, j, g, p, owner].trips.append((b.sc.vehicles[v], tr))
    lc_of = {k: c.load_class for k, c in b.sc.commodities.items()}
    for (i, j, k, owner, role), per_p in b.loads.items():
        for p, load in per_p.items():
            key = (i, j, lc_of[k], p, owner)
            if key not in groups:
                continue
            grp = groups[key]
            eligible = b.eligible(k, i, j, role)
            for vt in eligible:
                if vt.has_units or (vt.pricing != "trip" and len(eligible) == 1):
                    grp.valid = False  # (with one type, y is the load itself)
                elif vt.pricing != "trip":
                    y = b.y[i, j, k, vt.id, p, owner, role]
                    grp.tariff += [x for x, _ in y.terms]
            f = _side_factors(b.sc.commodities[k])
            grp.const = grp.const + load.const * f
            for x, a in load.terms:
                if a < 0 or x.lowBound is None or x.lowBound < 0:
                    grp.valid = False
                elif x.isBinary() and a > 0:
                    grp.coef[x] = grp.coef.get(x, np.zeros(3)) + a * f
    for key, grp in groups.items():  # tours visiting the leg's stop may carry its load
        grp.tour_runs = b.tour_visits.get(key[:4], [])
    b.trip_groups = {key: grp for key, grp in groups.items() if grp.valid}
    return b.trip_groups


def define_trip_cost_floor(b: Parts, cost: dict) -> None:
    """``trip_cost_floor`` (valid inequalities, after the costs): the cheapest way to carry a
    leg's load L in whole trips of its trip-priced types (trip cost c_v, payload P_v), the
    rest by its cheapest tariff (t €/t, where one is eligible):

        C(L) = min { Σ_v c_v · n_v + t · max(0, L − Σ_v P_v · n_v) : n_v ≥ 0 integer }

    (mass only; with no tariff also the volume and pallet sides, as ``trip_floor``). Then
    Σ_v c_v · trips_v + Σ t_y · y_tariff ≥ C(c) + (C(c + a_x) − C(c)) · x for each binary x
    in L (and ≥ C(c) where L is a constant c): it holds at x = 0 and x = 1, so no integer
    point is cut off. ``trip_floor`` counts trips; this prices them, so the LP can no
    longer carry a small load in a fraction of the roomiest truck when a whole smaller
    truck or the groupage tariff is what it would pay. ``cost``: objective coefficient per
    variable (c_v, t_y: €/yr per trip, per t)."""
    for key, grp in _trip_groups(b).items():
        if grp.tour_runs:
            continue  # a tour's cost is shared by its stops: no floor per leg
        if not grp.coef and (grp.const[0] <= 0 or len(grp.trips) == 1 and not grp.tariff):
            continue  # nothing to bound, or HiGHS's own rounding of one integer does it
        c = np.array([cost.get(tr, 0.0) for _, tr in grp.trips])
        t = min((cost.get(y, 0.0) for y in grp.tariff), default=None)
        caps = np.array([[x or 0.0 for x in vt.unit_capacity()] for vt, _ in grp.trips])
        room = grp.room()
        sides = [0] if t is not None else [s for s in range(3) if room[s]]
        if not sides or (c <= 0).any() or (t is not None and t <= 0):
            continue
        lhs = [(tr, cv) for (_, tr), cv in zip(grp.trips, c, strict=True)]
        lhs += [(y, cost[y]) for y in grp.tariff]
        xs = list(grp.coef)  # C(c) and each C(c + a_x), in one batch per leg
        loads = grp.const[sides] + np.array([np.zeros(3)] + [grp.coef[x] for x in xs])[:, sides]
        c0, *c1s = _cheapest_carriage(c, caps[:, sides], t, loads).tolist()
        if np.isnan(c0):
            continue
        if not xs:
            if c0 > 0:
                b.rows.add("trip_cost_floor", key, lhs, ">=", c0)
            continue
        for x, c1 in zip(xs, c1s, strict=True):
            if c1 > c0 * (1 + 1e-9) + 1e-9:  # (False for NaN: no row)
                b.rows.add("trip_cost_floor", (*key, x.name), lhs + [(x, -(c1 - c0))], ">=",
                           c0)


CARRIAGE_GRID = 20_000  # most combinations of trip counts _cheapest_carriage enumerates


@functools.lru_cache(maxsize=4096)
def _count_grid(upper: tuple) -> np.ndarray:
    """Every vector of trip counts n with 0 ≤ n ≤ upper (one column per type), as rows."""
    axes = np.meshgrid(*(np.arange(u + 1) for u in upper), indexing="ij")
    n = np.stack([a.ravel() for a in axes], axis=1) if axes else np.zeros((1, 0))
    n.flags.writeable = False
    return n


def _cheapest_carriage(c: np.ndarray, caps: np.ndarray, t: float | None,
                       loads: np.ndarray) -> np.ndarray:
    """C(L) (``define_trip_cost_floor``) for each row L of loads (m × sides), with trip
    costs c (per type), type capacities caps (types × sides) and tariff t (€/t, or None):
    trip counts enumerated up to the most of one type L can use (without a tariff the last
    type takes what is left); NaN where that would exceed ``CARRIAGE_GRID`` counts (no row
    then). Loads that need the same counts share one enumeration."""
    out = np.full(len(loads), np.nan)
    zero = (loads <= 1e-9).all(axis=1)
    out[zero] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(caps > 0, np.ceil(loads[:, None, :]
                                          / np.where(caps > 0, caps, 1) - 1e-9), 0)
    upper = need.max(axis=2).astype(int)  # more than this of one type never pays
    todo = ~zero & (np.prod(upper + 1, axis=1, dtype=float) <= CARRIAGE_GRID)
    enumerated = upper[:, :-1] if t is None else upper
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i in np.flatnonzero(todo).tolist():
        groups[tuple(enumerated[i].tolist())].append(i)
    for u, members in groups.items():
        n = _count_grid(u)
        step = max(1, 2_000_000 // len(n))  # at most ~2 M cells at a time
        for lo in range(0, len(members), step):
            rows = members[lo:lo + step]
            if t is None:
                left = np.maximum(loads[rows][:, None, :] - (n @ caps[:-1])[None], 0.0)
                last = np.ceil(left / caps[-1] - 1e-9).max(axis=2)
                out[rows] = ((n @ c[:-1])[None] + last * c[-1]).min(axis=1)
            else:
                rest = np.maximum(loads[rows][:, :1] - (n @ caps[:, 0])[None], 0.0)
                out[rows] = ((n @ c)[None] + t * rest).min(axis=1)
    return out


def _fewest(load: np.ndarray, room: list) -> int:
    """Fewest vehicles of the roomiest type for a load of (t, m³, pallet places): the
    largest ⌈load / room⌉ over the sides that have a room."""
    return max((math.ceil(load[s] / room[s] - 1e-9) for s in range(3) if room[s]), default=0)


def _side_factors(com) -> np.ndarray:
    """Mass, volume and pallet places per tonne of a commodity (0 where it has no figure)."""
    return np.array([1.0, 1.0 / com.density_t_per_m3 if com.density_t_per_m3 else 0.0,
                     com.pallets_per_t or 0.0])


def _capacity_rows(b: Parts, prefix: str, key: tuple, loads_k: list, count: Any) -> None:
    """``<prefix>_mass``, ``_volume``, ``_pallets``: the loads of one class on a leg fill at
    most ``count`` vehicles (trips) or load units of their type — Σ y / t ≤ count, Σ y /
    (density · m³) ≤ count, Σ y · pallets_per_t / pallets ≤ count, with (t, m³, pallets) the
    type's ``unit_capacity`` (a side left out where the type or commodity has no figure)."""
    vt = loads_k[0][1]
    for s, (side, cap) in enumerate(zip(("mass", "volume", "pallets"), vt.unit_capacity())):
        if cap is None:
            continue
        terms: Terms = []
        const = 0.0
        for load, _, k in loads_k:
            factor = float(_side_factors(b.sc.commodities[k])[s])
            if not factor:
                continue
            terms += [(x, c * factor / cap) for x, c in load.terms]
            const += load.const * factor / cap
        if terms or const:
            b.rows.add(f"{prefix}_{side}", key, terms + [(count, -1.0)], "<=", -const)


def define_units(b: Parts) -> None:
    """Load units of tariff types that name one (``unit_payload_t``, ``unit_volume_m3``,
    ``unit_pallets``: a container or wagon), per leg, type, load class g, period and owner:
    integer ``units[i,j,v,g,p,owner]`` with ``unit_mass``: Σ_{k∈g} y / unit_payload_t ≤ units,
    ``unit_volume``: Σ y / (density_k · unit_volume_m3) ≤ units, ``unit_pallets``: Σ y ·
    pallets_per_t / unit_pallets ≤ units; priced per unit (``tariff_eur_per_unit`` +
    ``tariff_eur_per_unit_km`` · d, ``price_transport``), so a pallet-bound load pays for the
    unit it fills, not for its tonnes. One load class per unit, as per trip.

    Units are **integer** per period: a unit is loaded and paid whole, and the departure
    limit (``define_departures``) counts whole units; rounding up costs at most one unit per
    leg, class and period, so a continuous count would under-charge small flows and let a
    schedule carry fractions of units. There are few such variables (tariff legs × classes ×
    periods, far fewer than trips), so the integers cost little."""
    lc_of = {k: c.load_class for k, c in b.sc.commodities.items()}
    for (i, j, k, v, p, owner, _role), load in b.y.items():
        vt = b.sc.vehicles[v]
        if vt.has_units:
            b.unit_load[i, j, v, lc_of[k], p, owner].append((load, vt, k))
    b.units = b.var.make("units", list(b.unit_load), cat="Integer")
    for key, loads_k in b.unit_load.items():
        _capacity_rows(b, "unit", key, loads_k, b.units[key])


def define_departures(b: Parts) -> None:
    """Scheduled services (``departures_per_period`` D, ``units_per_departure`` U of a tariff
    type): ``departures``: Σ_{g, owner} units[i,j,v,g,p,owner] ≤ D · U on every leg (i, j)
    and period p the type runs — a train or barge leaving D times a period never carries more
    than D · U units there. Per direction: a shuttle's return run is its own leg."""
    per_leg: dict[tuple, Terms] = defaultdict(list)
    for (i, j, v, _g, p, _o), u in b.units.items():
        if b.sc.vehicles[v].departures_per_period is not None:
            per_leg[i, j, v, p].append((u, 1.0))
    for (i, j, v, p), us in per_leg.items():
        vt = b.sc.vehicles[v]
        b.rows.add("departures", (i, j, v, p), us, "<=",
                   vt.departures_per_period * vt.units_per_departure)


def define_frequency(b: Parts) -> None:
    """Shipment frequency (§4): a directed demand shipped m times per period needs, on its
    used direct leg, ``frequency``: Σ_v trips[s,t,v,g] ≥ m · u with ``frequency_use``:
    share ≤ u, u binary — only where the route is a choice (u is the share itself when that
    is a binary placement, or 1 when the route is certain). A leg that a tariff carrier may
    serve has no such row (a carrier ships as often as asked)."""
    sc = b.sc
    lc_of = {k: c.load_class for k, c in sc.commodities.items()}
    trips_by_leg: dict[tuple, list] = defaultdict(list)
    for (i, j, _v, g, p, owner), tr in b.trips.items():
        trips_by_leg[i, j, g, p, owner].append(tr)
    for c, i, j, owner, m, share in b.freq:
        k = sc.demands[c].commodity
        if any(vt.pricing == "tariff" for vt in b.eligible(k, i, j)):
            continue
        if share.is_constant and share.const > 0:
            used, used_const = [], 1.0
        elif len(share.terms) == 1 and share.const == 0 and share.terms[0][1] == 1.0 \
                and share.terms[0][0].cat == "Integer":
            used, used_const = list(share.terms), 0.0
        else:
            u = b.var.make("u", [(c, i, j)], cat="Binary")[c, i, j]
            b.rows.add("frequency_use", (c, i, j), share.terms + [(u, -1.0)], "<=",
                       -share.const)
            used, used_const = [(u, 1.0)], 0.0
        for p in b.periods:
            trs = trips_by_leg.get((i, j, lc_of[k], p, owner), []) \
                + [run for _, run in b.tour_visits.get((i, j, lc_of[k], p), [])]
            b.rows.add("frequency", (c, i, j, p), [(tr, 1.0) for tr in trs]
                       + [(x, -m * cf) for x, cf in used], ">=", m * used_const)


def define_balance(b: Parts) -> None:
    """Vehicle balance (§4, bundled evaluations) per non-gateway node, trip-priced vehicle
    type and period, over the trips not closed by the market:

    * ``balance``: Σ_j (trips − mkt)[i,j] + Σ_j empty[i,j] = Σ_j (trips − mkt)[j,i]
      + Σ_j empty[j,i].

    Empty legs ``empty[i,j,v,p]`` ≥ 0 (continuous: with integer trips fixed, (mkt, empty) is
    a min-cost flow with integral vertices) opposite each loaded leg and from each balance
    node to its ``empty_k_nearest`` nearest balance nodes — or, with ``Switches.empty_legs``,
    only another model's (B2 takes the optimum's: with B2's loaded legs a subset of B3's, its
    empty legs are then a subset too, so B2's solution is a point of B3)."""
    if not (b.sw.bundling and b.trips):
        return
    sc, lanes, allowed = b.sc, b.lanes, b.sw.empty_legs
    loaded: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)  # (v,p) → legs
    for i, j, v, _g, p, _o in b.trips:
        if i not in b.gateway and j not in b.gateway:
            loaded[v, p].add((i, j))
    keys = []
    k_near = sc.options.empty_k_nearest
    for (v, p), legs in loaded.items():
        nodes = sorted({n for leg in legs for n in leg})
        if allowed is not None:  # another model's empty legs, where both ends are here
            here = set(nodes)
            keys += sorted(k for k in allowed if k[2] == v and k[3] == p
                           and k[0] in here and k[1] in here)
            continue
        cand = {(j, i) for i, j in legs}
        if k_near > 0 and len(nodes) > 1:
            cand.update(lanes.nearest(nodes, k_near))
        keys += [(i, j, v, p) for i, j in sorted(cand)]
    b.empty = b.var.make("empty", keys)
    flow: dict[tuple[str, str, str], Terms] = defaultdict(list)  # (node, v, p) → out − in
    for key, tr in b.trips.items():
        i, j, v, _g, p, _o = key
        if i in b.gateway or j in b.gateway:
            continue
        flow[i, v, p].append((tr, 1.0))
        flow[j, v, p].append((tr, -1.0))
        if key in b.market:
            flow[i, v, p].append((b.market[key], -1.0))
            flow[j, v, p].append((b.market[key], 1.0))
    for (i, j, v, p), e in b.empty.items():
        flow[i, v, p].append((e, 1.0))
        flow[j, v, p].append((e, -1.0))
    for key, fl in flow.items():
        b.rows.add("balance", key, fl, "==", 0.0)


def bound_empty_running(b: Parts, cost: dict) -> None:
    """Finite upper bounds on the empty legs and the market closure that keep at least one
    optimal solution (they change no optimum): ``mkt_k`` ≤ R_k and ``empty[i,j,v,p]`` ≤
    S_vp = Σ R_k over the trip keys k of type v and period p in the vehicle balance, where
    R_k is the most trips k's rows can ask for:
    the largest of ⌈L_k / cap⌉ over the mass, volume and pallet sides (L_k the largest load
    k can get, every placement and share at its upper bound) and the frequency m of any
    shipment on the leg.

    Why (trip, mkt and empty costs ≥ 0, no elastic slack): from any optimum, (1) make the
    empties integral (with the trips fixed they are a min-cost flow); (2) let r ≤ trips be a
    minimal trip vector that still meets every row asking for trips (capacity, floors,
    frequency: each ≥ and rising in the trips), so r_k ≤ R_k; a market-closed trip above
    r_k is dropped with its mkt (balance unchanged, cost not up), so mkt ≤ r; (3) the
    trips above r and the empties are an integral flow that rebalances the vehicles r − mkt
    leave; with costs ≥ 0 its cycles can be cancelled, and what is left is paths that carry
    at most the total imbalance, ≤ S_vp, on any leg. No step raises the cost.

    Why: HiGHS's objective propagation re-derives a bound for every unbounded column with a
    cost at each fixing of its rounding heuristics. On the whole Westland its central
    rounding took 70 s (2 threads), 22 s with the empty legs bounded and 16 s with mkt too;
    everyone staying was proven optimal in 24 s instead of not within 90 s. The trips keep
    no such bound (R_k + S_vp would do): the block start's re-priced blocks, where a trip
    may cost 0, filled it, and the start stayed 1.2 % above the optimum."""
    if b.elastic.enabled or not b.empty:
        return
    checked = [*b.trips.values(), *b.market.values(), *b.empty.values()]
    if any(cost.get(v, 0.0) < 0 for v in checked):
        return
    var_max: dict = {}  # a vehicle type's share of a leg's load: at most the whole load
    whole: dict[tuple, float] = {}
    for (i, j, k, _v, p, owner, role), load in b.y.items():
        if len(load.terms) == 1 and not load.const and _no_bound(load.terms[0][0]):
            if (i, j, k, owner, role, p) not in whole:
                whole[i, j, k, owner, role, p] = _largest(b.loads[i, j, k, owner, role][p], {})
            var_max[load.terms[0][0]] = whole[i, j, k, owner, role, p]
    lc_of = {k: c.load_class for k, c in b.sc.commodities.items()}
    freq: dict[tuple, float] = defaultdict(float)
    for c, i, j, owner, m, _share in b.freq:
        key = (i, j, lc_of[b.sc.demands[c].commodity], owner)
        freq[key] = max(freq[key], math.ceil(m - 1e-9))  # m shipments: ⌈m⌉ trips
    spread: dict[tuple, float] = defaultdict(float)  # S_vp
    for key, loads_k in b.class_load.items():
        i, j, v, g, p, owner = key
        if i in b.gateway or j in b.gateway:
            continue
        largest = [_largest(load, var_max) for load, _, _ in loads_k]
        most = math.inf
        if all(math.isfinite(x) for x in largest):
            need = sum(x * _side_factors(b.sc.commodities[k])
                       for x, (_, _, k) in zip(largest, loads_k, strict=True))
            most = max([freq.get((i, j, g, owner), 0.0)]
                       + [math.ceil(need[s] / cap - 1e-9)
                          for s, cap in enumerate(loads_k[0][1].unit_capacity()) if cap])
        spread[v, p] += most
        if key in b.market and math.isfinite(most):
            b.market[key].upBound = most
    for (_i, _j, v, p), e in b.empty.items():
        if math.isfinite(spread[v, p]):
            e.upBound = spread[v, p]


def _largest(term: LinearTerm, var_max: dict) -> float:
    """The largest value of ``term`` over its variables' bounds (lower bounds ≥ 0):
    const + Σ_{c > 0} c · ub; inf where a variable with c > 0 has none."""
    total = term.const
    for x, c in term.terms:
        if c > 0:
            ub = var_max.get(x, x.upBound)
            if ub is None or not math.isfinite(ub):
                return math.inf
            total += c * ub
    return total


def _no_bound(x) -> bool:
    return x.upBound is None or not math.isfinite(x.upBound)


# ---- 10. cost terms (model.md §6) and CO2 (§7) -----------------------------------------------


def price_sites(b: Parts) -> None:
    """development: Σ annual_cost(s) · open[s] over sites and hubs; relocation:
    Σ annuity(reloc[f,n]) · at[f,n]."""
    sc, terms = b.sc, b.terms
    for n in [*b.site_ids, *b.hub_ids]:
        terms["development"].add_term(b.open_at[n], rates.annual_site_cost(sc, n))
    for f, c in b.candidates.items():
        for n in c:
            r = sc.annuity(sc.activities[f].reloc_cost_eur.get(n, 0.0))
            if r:
                terms["relocation"].add_term(b.at(f, n), r)


def price_facilities(b: Parts) -> None:
    """facilities: Σ (annuity(cost_u) + opex_u) · shared[u,s] + Σ connect_u · connect
    + own_f,u · (1 − Σ_s connect[f,s,u]) for every user in play."""
    sc, term = b.sc, b.terms["facilities"]
    for u in sc.facilities:
        for f in b.candidates:
            if sc.activities[f].use.get(u, 0.0) > 0:
                term.add([], const=sc.activities[f].own_eur_per_yr.get(u, 0.0))
    for (u, _s), sv in b.shared.items():
        fac = sc.facilities[u]
        term.add([(sv, rates.annual_facility_cost(sc, fac))])
    for (f, _s, u), cv in b.connect.items():
        fac = sc.facilities[u]
        term.add([(cv, fac.connect_eur_per_yr - sc.activities[f].own_eur_per_yr.get(u, 0.0))])


def price_flows(b: Parts) -> None:
    """disposal: Σ_p w_p · q · cost · (disposal or shortage share) + Σ_p w_p · prod_rest ·
    the product's disposal cost + Σ_p w_p · gate_fee[partner, k] · intake (every pooled
    acceptor's intake, products included; a negative fee is revenue); handling: Σ_p w_p · q ·
    handling_eur_per_t of every hub a route (or hub arc) passes; internal: Σ_p w_p · q ·
    internal_cost_eur_per_t of co-located routes (and co-located product tonnes)."""
    sc, terms, weight = b.sc, b.terms, b.weight
    for (partner, _n, k, per, side), load in b.intake.items():
        fee = partner_record(sc, partner).gate_fee.get(k, 0.0) if side == "accept" else 0.0
        if fee:
            terms["disposal"].add(load.terms, weight[per] * fee, load.const)
    for (pid, _n, per), rest in b.product_rest.items():
        cost = sc.commodities[pid.rsplit(">", 1)[1]].disposal_cost_eur_per_t or 0.0
        terms["disposal"].add([(rest, weight[per] * cost)])
    for (pid, n, _g, t, per), x in b.products.items():
        ic = sc.commodities[pid.rsplit(">", 1)[1]].internal_cost_eur_per_t
        if n == t and ic:
            terms["internal"].add([(x, weight[per] * ic)])
    for c, rest in b.unserved.items():
        dm = sc.demands[c]
        com = sc.commodities[dm.commodity]
        for kind, _node, share in rest:
            cost = (com.disposal_cost_eur_per_t if kind == "disposal"
                    else com.shortage_cost_eur_per_t) or 0.0
            for per in b.periods:
                terms["disposal"].add(share.terms, weight[per] * dm.tonnes[per] * cost)
    for g in b.arcs:
        for h, vs in hub_inflow(g).items():
            hc = sc.nodes[h].handling_eur_per_t
            if hc:
                terms["handling"].add([(v, weight[g.period] * hc) for v in vs])
    for c, routes in b.shares.items():
        dm = sc.demands[c]
        for r in routes:
            if r.share.is_constant and r.share.const == 0.0:
                continue
            for h in r.path[1:-1]:
                hc = sc.nodes[h].handling_eur_per_t
                if hc:
                    for per in b.periods:
                        terms["handling"].add_term(r.share, weight[per] * dm.tonnes[per] * hc)
            if len(r.path) == 2 and r.s == r.t:
                ic = sc.commodities[dm.commodity].internal_cost_eur_per_t
                for per in b.periods:
                    terms["internal"].add_term(r.share, weight[per] * dm.tonnes[per] * ic)


def price_transport(b: Parts) -> None:
    """transport and CO2 (``rates``), per period weight w_p:

    * tariff loads: w · y · cost per t (× the role's factor χ, α, δ on hub legs); CO2 per t;
      load units: w · (€/unit + €/unit-km · d) · units (no role factor: a unit is shared by
      the roles of its leg, like a trip);
    * trip-priced loads: the load-dependent CO2 (ef_full − ef_empty) · d · y / payload;
    * trips: w · trip cost · trips, CO2 ef_empty · d per trip; toll: w · toll per trip · trips
      (and per empty trip, below);
    * market closure: w · ρ · empty cost · mkt (or · trips where every trip is closed by the
      market), CO2 likewise;
    * empty legs: w · empty cost · empty, CO2 ef_empty · d per empty trip.
    Every emitted quantity (CO2 TTW and WTW, NOx, PM10; ``clusteropt.emissions``) goes to its
    own term like CO2; carbon: CO2 × the scenario's price on its basis (WTW or TTW);
    air_pollution: NOx and PM10 × their prices. Distances and times are the vehicle's mode's."""
    sc, lanes, weight = b.sc, b.lanes, b.weight
    factor = rates.role_factors(sc.hubs)
    co2 = _Emissions(sc, b.terms)
    for (i, j, _k, v, p, _owner, role), load in b.y.items():
        vt = sc.vehicles[v]
        km = lanes.distance(i, j, vt.mode)
        w = weight[p]
        if vt.pricing == "tariff":
            cost_t = factor[role] * rates.tariff_cost_per_t(vt, km, lanes.lane_cost(i, j))
            b.terms["transport"].add(load.terms, w * cost_t, load.const)
            co2.add(load, _times(w, rates.tariff_emissions_per_t(vt, km, co2.factors(vt))))
        else:
            co2.add(load, _times(w, rates.load_emissions_per_t(vt, km, co2.factors(vt))))
    for (i, j, v, _g, p, _o), u in b.units.items():
        vt = sc.vehicles[v]
        b.terms["transport"].add([(u, weight[p] * rates.unit_cost(
            vt, lanes.distance(i, j, vt.mode)))])
    for key, tr in b.trips.items():
        i, j, v, _g, p, _o = key
        vt = sc.vehicles[v]
        km, w = lanes.distance(i, j, vt.mode), weight[p]
        h = lanes.time(i, j, vt.speed_kmh, vt.mode)
        toll = rates.trip_toll(vt, km, lanes.toll_share(i, j))
        b.terms["transport"].add([(tr, w * rates.trip_cost(vt, km, h))])
        if toll:
            b.terms["toll"].add([(tr, w * toll)])
        co2.add(LinearTerm.of(tr), _times(w, rates.trip_emissions(vt, km, co2.factors(vt))))
        rho = b.implicit_empty[key]
        if rho:
            by_market = LinearTerm.of(b.market.get(key, tr))
            b.terms["transport"].add(by_market.terms, w * rho * rates.empty_cost(vt, km, h))
            if toll:
                b.terms["toll"].add(by_market.terms, w * rho * toll)
            co2.add(by_market, _times(w * rho, rates.trip_emissions(vt, km, co2.factors(vt))))
    for (i, j, v, p), e in b.empty.items():
        vt = sc.vehicles[v]
        km, w = lanes.distance(i, j, vt.mode), weight[p]
        h = lanes.time(i, j, vt.speed_kmh, vt.mode)
        b.terms["transport"].add([(e, w * rates.empty_cost(vt, km, h))])
        toll = rates.trip_toll(vt, km, lanes.toll_share(i, j))
        if toll:
            b.terms["toll"].add([(e, w * toll)])
        co2.add(LinearTerm.of(e), _times(w, rates.trip_emissions(vt, km, co2.factors(vt))))


def price_tours(b: Parts) -> None:
    """transport and toll of tours: w · (cost per run − toll) · tour and w · toll · tour, the
    run's km and hours by the lanes (``TourColumn.measures``); CO2 and every emitted quantity:
    the empty rate over the run's km per run, and per tonne taken the load-dependent rate
    over the km it rides on the tour minus that over its direct leg (``price_transport``
    already counts the direct leg for every tonne of y)."""
    sc, lanes, weight = b.sc, b.lanes, b.weight
    co2 = _Emissions(sc, b.terms)
    for (n, p), (run, take) in b.tours.items():
        col = b.tour_columns[n]
        vt = sc.vehicles[col.vehicle]
        w = weight[p]
        km, _h, cost = col.measures(vt, lanes)
        toll = tour_toll(col.path, vt, lanes)
        b.terms["transport"].add([(run, w * (cost - toll))])
        if toll:
            b.terms["toll"].add([(run, w * toll)])
        f = co2.factors(vt)
        co2.add(LinearTerm.of(run), _times(w, rates.trip_emissions(vt, km, f)))
        for y, tl in take.items():
            i, j = y[0], y[1]
            stop = i if col.direction == "collect" else j
            on = rates.load_emissions_per_t(vt, col.onboard_km(stop, vt, lanes), f)
            direct = rates.load_emissions_per_t(vt, lanes.distance(i, j, vt.mode), f)
            co2.add(LinearTerm.of(tl), _times(w, {q: on[q] - direct[q] for q in on}))


def _times(scale: float, kg: dict[str, float]) -> dict[str, float]:
    return {q: scale * v for q, v in kg.items()}


class _Emissions:
    """Adds kg of every quantity × an amount to the quantity's term (``co2_ttw_kg`` …) and
    their price to the cost terms (``rates.priced_emissions``)."""

    def __init__(self, sc: Scenario, terms: dict[str, LinearTerm]):
        self.sc, self.terms = sc, terms
        self._factors: dict[str, emissions.Factors] = {}

    def factors(self, vt: VehicleType) -> emissions.Factors:
        """``emissions.factors`` of a vehicle type, computed once per type."""
        f = self._factors.get(vt.id)
        if f is None:
            f = self._factors[vt.id] = emissions.factors(vt)
        return f

    def add(self, amount: LinearTerm, kg: dict[str, float]) -> None:
        for q, v in kg.items():
            if v:
                self.terms[q].add(amount.terms, v, amount.const)
        for term, eur in rates.priced_emissions(self.sc, kg).items():
            if eur:
                self.terms[term].add(amount.terms, eur, amount.const)

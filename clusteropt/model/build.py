r"""The MILP builder (``docs``: ``shared/design/model.md`` §1–§7): one function, ``build``, that
every scenario, variant, baseline evaluation and benchmark goes through.

Decisions (all per scenario, flows per representative period ``p`` with weight ``w_p``):

* ``open[s]``: development site s opens (binary).
* ``place[f,n]``: movable activity f goes to candidate n (binary); its stay node is an ordinary
  candidate that never counts towards the site rules. ``at[f,n]`` is ``place`` or a constant.
* route shares: a directed demand c = f → g travels from s ∈ N_f to t ∈ N_g with share
  ``z[c,s,t]`` ∈ [0, 1] and flow ``q_{c,p} · z``. Linking (the transportation linearisation of
  ``place[f,s]·place[g,t]``, exact and without relaying through other nodes):
  ``Σ_t z[c,s,t] = at[f,s]``, ``Σ_s z[c,s,t] = at[g,t]``. When one end has a single node the
  share *is* ``at`` of the other end (no variable, §9). ``s = t`` is co-location: no road leg,
  an internal cost per tonne.
* ``y[i,j,k,v,p]``: tonnes of commodity k on leg (i, j) by vehicle type v (only where there is a
  choice of vehicle types; else ``y = load``).
* ``trips[i,j,v,g,p]``: integer loaded trips per leg, vehicle type and load class g:
  ``Σ_{k∈g} y / payload ≤ trips`` (and volume and pallets where given).
* ``empty[i,j,v,p]``: empty trips. Balance at each non-gateway node for each trip-priced vehicle
  type: (trips − mkt) out + empties out = (trips − mkt) in + empties in. Empty legs run only
  opposite a loaded leg or to the ``k`` nearest nodes. Trips into or out of a gateway bring
  ρ_gate = e/(1−e) empty trips each (see ``rates``) and stay out of the balance.
* ``mkt[i,j,v,g,p]`` ∈ [0, trips]: **market closure** (model.md §4). A loaded trip whose vehicle
  comes from and returns to the wider market, as a carrier's truck does: it leaves the balance
  at both ends and pays ρ_rule empty trips of its own leg (cost and CO2), ρ_rule = e/(1−e)
  under the ``share`` rule, 1 under ``dedicated`` — the rule that prices today (B0, B1). The
  balance then finds the scenario's own backhaul only where it beats the market. ``mkt`` and
  the empties are continuous: with integer trips fixed, (mkt, empty) is a min-cost flow (mkt is
  a reverse arc j→i of capacity trips[i,j]), whose optimal vertices are integral.

  Consequence (at gap 0): the unbundled evaluation B1 (trips per demand, every trip closed by
  the market) is a feasible point of the bundled B2 (Σ_c ⌈q_c/cap⌉ ≥ ⌈Σ_c q_c/cap⌉, mkt =
  trips), so B2 ≤ B1; B2 is a feasible point of B3 when B3 allows direct routes and the
  baseline vehicle types, so B3 ≤ B2; and B3 ≤ B0 when no activity is ``new`` and today's
  placement and vehicles are admissible in B3. With a time limit these hold up to the gap.
* Capacities ``Σ_f size[f,d]·place[f,s] ≤ cap[s,d]·open[s]``; ``place[f,s] ≤ open[s]``; site count
  and budget.

Objective (annual euro): development + relocation (annualised) + Σ_p w_p (transport + internal)
+ CO2 price · CO2. Every term is kept separately in ``BuiltModel.terms``.

Switches for the baseline evaluations (model.md §8): a fixed placement, trips per demand
instead of shared (with an empty-running rule in place of the balance), and a restricted set
of vehicle types.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp
from pulp import LpAffineExpression, lpSum_vars_coefs

from clusteropt import rates
from clusteropt.lanes import Lanes
from clusteropt.model.hubarcs import ArcGroup, arc_loads, build_arcs, hub_inflow
from clusteropt.scenario import Scenario, VehicleType

Terms = list[tuple[Any, float]]  # [(pulp variable, coefficient)]


@dataclass
class Switches:
    """How to evaluate: ``placement`` fixes every listed activity's node; ``open_sites`` fixes
    sites open (True) or closed (False); ``bundling`` False gives trips per demand, each
    closed by the market, instead of the vehicle balance; ``empty_rule`` ('share' or
    'dedicated', default the scenario's ``options.empty_running``) prices market closure in
    every evaluation, bundled or not; ``vehicles``
    restricts the vehicle types; ``exclude_new`` leaves out activities marked new;
    ``baseline_partners`` sends pooled flows only to their baseline partner (or disposal);
    ``elastic`` adds penalised slack to capacities, site counts and pooled outlets, to explain
    an infeasible scenario; ``hubs`` False leaves every hub out (direct routes only);
    ``empty_legs`` limits the empty legs to those of another model (B2 uses the optimum's)."""

    placement: dict[str, str] = field(default_factory=dict)
    open_sites: dict[str, bool] = field(default_factory=dict)
    bundling: bool = True
    empty_rule: str | None = None  # None: the scenario's options.empty_running
    vehicles: set[str] | None = None
    exclude_new: bool = False
    baseline_partners: bool = False
    elastic: bool = False
    hubs: bool = True
    # the empty legs (i, j, vehicle, period) a restricted evaluation may use: B2 takes the
    # optimum's, so that its empty legs are a subset of B3's (B3 ≤ B2 needs it)
    empty_legs: frozenset | None = None


@dataclass
class LinearTerm:
    """A linear expression kept as (variable, coefficient) pairs plus a constant, so that its
    value after the solve is a dot product."""

    terms: Terms = field(default_factory=list)
    const: float = 0.0

    def add(self, terms: Terms, scale: float = 1.0, const: float = 0.0) -> None:
        if scale != 0.0:
            self.terms.extend((v, c * scale) for v, c in terms)
        self.const += const * scale

    def expr(self) -> LpAffineExpression:
        e = lpSum_vars_coefs(self.terms) if self.terms else LpAffineExpression.empty()
        return e + self.const if self.const else e

    def value(self) -> float:
        return self.const + sum(c * (v.varValue or 0.0) for v, c in self.terms)


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
class BuiltModel:
    """The PuLP problem with its variables by index and its objective terms by name."""

    prob: pulp.LpProblem
    scenario: Scenario
    lanes: Lanes
    switches: Switches
    open: dict[str, Any]
    place: dict[tuple[str, str], Any]
    at_fixed: dict[str, str]  # activity → its only node
    shares: dict[str, list[Route]]  # demand → its routes with their shares
    unserved: dict[str, list[tuple[str, str, LinearTerm]]]  # demand → (kind, node, share)
    y: dict[tuple, LinearTerm]  # (i, j, k, v, p, owner, role) → tonnes
    trips: dict[tuple, Any]  # (i, j, v, g, p, demand or None) → integer var
    empty: dict[tuple, Any]  # (i, j, v, p) → continuous var
    implicit_empty: dict[tuple, float]  # trips key → ρ empty trips per market-closed trip
    market: dict[tuple, Any]  # trips key → mkt var (bundled, non-gateway legs; else all trips)
    terms: dict[str, LinearTerm]  # objective terms (annual euro) and KPI expressions
    size: dict[str, int]
    build_s: float = 0.0
    pruned: int = 0  # routes left out for exceeding the commodity's maximum transit time
    pruned_sites: int = 0  # candidate sites left out by site_rules.k_nearest
    arcs: list[ArcGroup] = field(default_factory=list)  # hub-arc form groups
    slacks: dict[Any, tuple[str, str]] = field(default_factory=dict)  # elastic: var → meaning
    shared: dict[tuple[str, str], Any] = field(default_factory=dict)  # (facility, site) → var
    connect: dict[tuple[str, str, str], Any] = field(default_factory=dict)  # (f, site, fac)

    def objective_value(self) -> float:
        return sum(self.terms[t].value() for t in COST_TERMS)


COST_TERMS = ("development", "relocation", "facilities", "transport", "internal", "handling",
              "disposal", "carbon")


class _Vars:
    """Creates variables in batches with short unique names (ids can hold any character)."""

    def __init__(self, prob: pulp.LpProblem):
        self.prob = prob
        self.counts: dict[str, int] = defaultdict(int)

    def make(self, prefix: str, keys: list, cat: str = "Continuous", lb: float = 0.0,
             ub: float | None = None) -> dict:
        if not keys:
            return {}
        start = self.counts[prefix]
        self.counts[prefix] += len(keys)
        made = self.prob.add_variable_dict(prefix, list(range(start, start + len(keys))),
                                           lowBound=lb, upBound=ub, cat=cat)
        return {k: made[start + n] for n, k in enumerate(keys)}


class _Elastic:
    """Penalised slack for an elastic copy of the model: ``slack(what, unit)`` returns the
    terms to add to a ≤ row's left side (−slack), or nothing when the model is not elastic."""

    PENALTY = 1e7  # euro per unit of slack: far above any real cost

    def __init__(self, var: _Vars, terms: dict, enabled: bool):
        self.var, self.terms, self.enabled = var, terms, enabled
        self.slacks: dict[Any, tuple[str, str]] = {}

    def slack(self, what: str, unit: str, weight: float = 1.0) -> Terms:
        """``weight`` ranks what gives first: structural rules (site counts) weigh more than
        capacities and outlets, so the explanation names the capacity that is short."""
        if not self.enabled:
            return []
        v = self.var.make("slack", [len(self.slacks)])[len(self.slacks)]
        self.slacks[v] = (what, unit)
        self.terms["penalty"].add([(v, self.PENALTY * weight)])
        return [(v, -1.0)]


class _Rows:
    """Adds constraints and counts rows and non-zeros."""

    def __init__(self, prob: pulp.LpProblem):
        self.prob = prob
        self.rows = 0
        self.nonzeros = 0

    def add(self, terms: Terms, sense: str, rhs: float) -> None:
        terms = [(v, c) for v, c in terms if c != 0.0]
        if not terms:
            if (sense == "<=" and rhs < -1e-9) or (sense == ">=" and rhs > 1e-9) or (
                    sense == "==" and abs(rhs) > 1e-9):
                raise ValueError(f"constant constraint 0 {sense} {rhs} cannot hold")
            return
        e = lpSum_vars_coefs(terms)
        if sense == "<=":
            self.prob.addConstraint(e <= rhs)
        elif sense == ">=":
            self.prob.addConstraint(e >= rhs)
        else:
            self.prob.addConstraint(e == rhs)
        self.rows += 1
        self.nonzeros += len(terms)


def build(sc: Scenario, lanes: Lanes, switches: Switches | None = None) -> BuiltModel:
    """Build the MILP for a scenario (see the module docstring for the formulation)."""
    t0 = time.perf_counter()
    sw = switches or Switches()
    prob = pulp.LpProblem(sc.name.replace(" ", "_")[:40] or "clusteropt", pulp.LpMinimize)
    var = _Vars(prob)
    rows = _Rows(prob)
    periods = [p.id for p in sc.periods]
    weight = {p.id: p.weight for p in sc.periods}
    terms = {name: LinearTerm() for name in (*COST_TERMS, "co2_ttw_kg", "co2_wtw_kg",
                                             "penalty")}
    elastic = _Elastic(var, terms, sw.elastic)

    # ---- activities in play and their candidate nodes -------------------------------------
    candidates: dict[str, list[str]] = {}
    pruned_sites = 0
    for f, a in sc.activities.items():
        if sw.exclude_new and a.new:
            continue
        fixed = sw.placement.get(f) or sc.fix.placement.get(f)
        cands = [fixed] if fixed else list(a.candidates)
        cands = [n for n in cands if sw.open_sites.get(n, True)
                 and sc.fix.sites.get(n, "open") == "open" or n == a.stay_node()]
        k_sites = sc.site_rules.k_nearest
        stay = a.stay_node()
        if k_sites is not None and not fixed and stay is not None:
            others = sorted((n for n in cands if n != stay), key=lambda n: lanes.distance(stay, n))
            pruned_sites += max(0, len(others) - k_sites)
            cands = [stay] + others[:k_sites]
        candidates[f] = cands

    # ---- sites and placement -------------------------------------------------------------
    pooled = {d.commodity for d in sc.demands.values() if d.kind != "directed"}
    site_ids = [n for n, node in sc.nodes.items() if node.kind == "site"
                and (any(n in c for c in candidates.values())
                     or any(k in pooled for k in (*node.accept, *node.supply))
                     or sw.open_sites.get(n) is True or sc.fix.sites.get(n) == "open")]
    open_keys = [s for s in site_ids if s not in sw.open_sites and s not in sc.fix.sites]
    open_var = var.make("open", open_keys, cat="Binary")
    open_at: dict[str, Any] = {}  # site → variable or constant 0/1
    for s in site_ids:
        if s in open_var:
            open_at[s] = open_var[s]
        elif s in sw.open_sites:
            open_at[s] = 1.0 if sw.open_sites[s] else 0.0
        else:
            open_at[s] = 1.0 if sc.fix.sites[s] == "open" else 0.0

    place_keys = [(f, n) for f, c in candidates.items() if len(c) > 1 for n in c]
    place = var.make("place", place_keys, cat="Binary")
    at_fixed = {f: c[0] for f, c in candidates.items() if len(c) == 1}

    def at_terms(f: str, n: str) -> tuple[Terms, float]:
        """``at[f,n]`` as (terms, constant)."""
        if f in at_fixed:
            return [], 1.0 if at_fixed[f] == n else 0.0
        return [(place[f, n], 1.0)], 0.0

    for f, c in candidates.items():
        if not c:
            raise ValueError(f"activity '{f}' has no admissible node left")
        if len(c) > 1:
            rows.add([(place[f, n], 1.0) for n in c], "==", 1.0)

    # placement needs an open site; capacities per dimension
    by_node: dict[str, list[str]] = defaultdict(list)
    for f, c in candidates.items():
        for n in c:
            by_node[n].append(f)
    for n, fs in by_node.items():
        node = sc.nodes[n]
        is_site = node.kind == "site"
        o = open_at.get(n, 1.0)
        for f in fs:
            if is_site and f not in at_fixed and not isinstance(o, float):
                rows.add([(place[f, n], 1.0), (o, -1.0)], "<=", 0.0)
            elif is_site and f in at_fixed and at_fixed[f] == n \
                    and n != sc.activities[f].stay_node():
                if isinstance(o, float) and o == 0.0:
                    raise ValueError(f"activity '{f}' is fixed at site '{n}', which is closed")
                if not isinstance(o, float):
                    rows.add([(o, 1.0)], ">=", 1.0)  # an activity placed there opens it
        for d, cap in node.capacity.items():
            coef: Terms = []
            const = 0.0
            for f in fs:
                size = sc.activities[f].size.get(d, 0.0)
                if size == 0.0:
                    continue
                t, c0 = at_terms(f, n)
                coef += [(v, size * c) for v, c in t]
                const += size * c0
            if not coef and const == 0.0:
                continue
            if not coef and const > cap * (1.0 if not is_site or not isinstance(o, float)
                                           else o) + 1e-9 and not sw.elastic:
                raise ValueError(f"the activities fixed at node '{n}' need {const:g} {d} but "
                                 f"it has {cap:g} (cap_{d}) in this evaluation")
            slack = elastic.slack(f"node '{n}' needs more capacity '{d}'", d)
            if is_site and not isinstance(o, float):
                rows.add(coef + [(o, -cap)] + slack, "<=", -const)
            else:
                rows.add(coef + slack, "<=", cap * (o if is_site else 1.0) - const)
    site_vars = [(open_at[s], 1.0) for s in site_ids if not isinstance(open_at[s], float)]
    fixed_open = [s for s in site_ids if isinstance(open_at[s], float) and open_at[s] == 1.0]
    n_fixed_open = len(fixed_open)
    if sc.site_rules.max_open is not None:
        rows.add(site_vars + elastic.slack("more development sites must open than "
                                           "site_rules.max_open allows", "sites", 100.0),
                 "<=", sc.site_rules.max_open - n_fixed_open)
    if sc.site_rules.exact_open is not None:
        rows.add(site_vars, "==", sc.site_rules.exact_open - n_fixed_open)
    annual_site = {s: sc.annuity(sc.nodes[s].dev_cost_eur) + sc.nodes[s].opex_eur_per_yr
                   + sc.nodes[s].fixed_cost_eur_per_yr for s in site_ids}
    if sc.site_rules.budget_eur_per_yr is not None:
        fixed_spend = sum(annual_site[s] for s in fixed_open)
        rows.add([(open_at[s], annual_site[s]) for s in site_ids
                  if not isinstance(open_at[s], float)], "<=",
                 sc.site_rules.budget_eur_per_yr - fixed_spend)
    for s in site_ids:
        o = open_at[s]
        if isinstance(o, float):
            terms["development"].add([], const=annual_site[s] * o)
        else:
            terms["development"].add([(o, annual_site[s])])
    for f, c in candidates.items():
        a = sc.activities[f]
        for n in c:
            r = sc.annuity(a.reloc_cost_eur.get(n, 0.0))
            if r:
                t, c0 = at_terms(f, n)
                terms["relocation"].add(t, r, c0)

    # ---- shared facilities (§5) -------------------------------------------------------------
    shared, connect = _facilities(sc, candidates, at_terms, var, rows, terms)

    # ---- hubs ------------------------------------------------------------------------------
    hub_rules = sc.hubs
    hub_ids = [n for n, node in sc.nodes.items() if node.kind == "hub" and sw.hubs
               and sw.open_sites.get(n, True) and sc.fix.sites.get(n, "open") == "open"]
    hub_open = var.make("hub", [h for h in hub_ids if h not in sw.open_sites
                                and h not in sc.fix.sites], cat="Binary")
    for h in hub_ids:
        open_at[h] = hub_open.get(h, 1.0)
        annual = (sc.annuity(sc.nodes[h].dev_cost_eur) + sc.nodes[h].opex_eur_per_yr
                  + sc.nodes[h].fixed_cost_eur_per_yr)
        if h in hub_open:
            terms["development"].add([(hub_open[h], annual)])
        else:
            terms["development"].add([], const=annual)
    hub_vars = [(v, 1.0) for v in hub_open.values()]
    fixed_hubs = len(hub_ids) - len(hub_open)
    if hub_rules.max_open is not None:
        rows.add(hub_vars, "<=", hub_rules.max_open - fixed_hubs)
    if hub_rules.exact_open is not None:
        rows.add(hub_vars, "==", hub_rules.exact_open - fixed_hubs)

    vehicles = {v: vt for v, vt in sc.vehicles.items()
                if (sw.vehicles is None or v in sw.vehicles) and vt.mode != "internal"}

    eligible_memo: dict[tuple, list[VehicleType]] = {}

    def eligible(k: str, i: str, j: str, role: str = "direct") -> list[VehicleType]:
        """Vehicle types that may carry k from i to j in this role (memoised by load class,
        role and the two nodes' modes)."""
        lc = sc.commodities[k].load_class
        key = (lc, role, tuple(sc.nodes[i].modes), tuple(sc.nodes[j].modes))
        if key not in eligible_memo:
            eligible_memo[key] = [
                vt for vt in vehicles.values() if vt.carries(lc)
                and (vt.legs == "any" or (vt.legs == "hub" and role != "direct")
                     or role == "transfer")
                and vt.mode in sc.nodes[i].modes and vt.mode in sc.nodes[j].modes]
        return eligible_memo[key]

    routes_of = _RouteMaker(sc, lanes, hub_ids, eligible)
    partner_memo: dict[tuple[str, str, str | None], list[tuple[str, str]]] = {}

    def partners_of(k: str, side: str, dm) -> list[tuple[str, str]]:
        key = (k, side, dm.baseline_partner if sw.baseline_partners else None)
        if key not in partner_memo:
            partner_memo[key] = _partners(sc, candidates, k, side, sw, dm)
        return partner_memo[key]

    # ---- route shares of every demand ------------------------------------------------------
    shares: dict[str, list[Route]] = {}
    unserved: dict[str, list[tuple[str, str, LinearTerm]]] = {}  # demand → (kind, node, share)
    freq: list[tuple[str, str, str, str | None, float, LinearTerm]] = []
    arc_groups: dict[tuple, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for c, dm in sc.demands.items():
        k = dm.commodity
        if dm.kind == "directed":
            if dm.origin not in candidates or dm.destination not in candidates:
                continue
            # the arc form has no per-route rules: routes with one hub at most, a transit-time
            # limit or a shipment frequency stay in the route form
            if hub_rules.form == "arc" and hub_ids and len(candidates[dm.origin]) == 1 \
                    and len(candidates[dm.destination]) == 1 and hub_rules.max_per_route == 2 \
                    and sc.commodities[k].max_transit_h is None \
                    and not (dm.shipments_per_period or sc.commodities[k].shipments_per_period):
                o, t = candidates[dm.origin][0], candidates[dm.destination][0]
                for per in periods:
                    if dm.tonnes[per] > 0:
                        arc_groups[o, k, None if sw.bundling else c, per][t][c] = \
                            dm.tonnes[per]
                continue
            ends = [(s, None, t) for s in candidates[dm.origin]
                    for t in candidates[dm.destination]]
            side_a = {s: at_terms(dm.origin, s) for s in candidates[dm.origin]}
            side_b = {t: at_terms(dm.destination, t) for t in candidates[dm.destination]}
        elif dm.kind == "pooled_supply":
            if dm.origin not in candidates:
                continue
            partners = partners_of(k, "accept", dm)
            ends = [(s, p, t) for s in candidates[dm.origin] for p, t in partners]
            side_a = {s: at_terms(dm.origin, s) for s in candidates[dm.origin]}
            side_b = None
        else:
            if dm.destination not in candidates:
                continue
            partners = partners_of(k, "supply", dm)
            ends = [(s, p, t) for p, s in partners for t in candidates[dm.destination]]
            side_a = None
            side_b = {t: at_terms(dm.destination, t) for t in candidates[dm.destination]}
        paths = {(s, p, t): routes_of(s, t, k) for s, p, t in ends}
        routes = [(s, p, t, path) for (s, p, t), ps in paths.items() for path in ps]
        if not routes and dm.kind == "directed" and not sw.elastic:
            raise ValueError(f"demand '{c}' ({k}) has no usable route from "
                             f"{candidates[dm.origin]} to {candidates[dm.destination]}: check "
                             f"the lane distances, the vehicles that may carry '{k}' and its "
                             f"maximum transit time")
        substitutable = dm.kind == "directed" and all(len(ps) == 1 for ps in paths.values()) \
            and (len(side_a) == 1 or len(side_b) == 1)
        if substitutable:
            shares[c] = []
            for s, p, t, path in routes:
                tt, c0 = side_b[t] if len(side_a) == 1 else side_a[s]
                shares[c].append(Route(s, t, p, path, LinearTerm(list(tt), c0)))
        else:
            z = var.make("z", routes, ub=1.0)
            shares[c] = [Route(s, t, p, path, LinearTerm([(z[r], 1.0)]))
                         for r, (s, p, t, path) in zip(routes, routes)]
            rest = _link_shares(sc, dm, c, z, side_a, side_b, var, rows, at_terms,
                                open_at, unserved, elastic)
            for kind, _node, share in rest:
                cost = (sc.commodities[k].disposal_cost_eur_per_t if kind == "disposal"
                        else sc.commodities[k].shortage_cost_eur_per_t) or 0.0
                for per in periods:
                    terms["disposal"].add(share.terms, weight[per] * dm.tonnes[per] * cost)
        # hubs on a route must be open: Σ_{routes r of c through h} share_r ≤ open[h]. A
        # demand's shares sum to at most 1, so this one row per (demand, hub) is valid, implies
        # the per-route link x_r ≤ q · open[h], and gives a much tighter LP bound.
        through: dict[str, LinearTerm] = {}
        for r in shares[c]:
            for h in r.path[1:-1]:
                through.setdefault(h, LinearTerm()).add(r.share.terms, 1.0, r.share.const)
        for h, load in through.items():
            o = open_at[h]
            if not isinstance(o, float):
                rows.add(load.terms + [(o, -1.0)], "<=", -load.const)
        m = dm.shipments_per_period or sc.commodities[k].shipments_per_period
        if m and dm.kind == "directed":
            for r in shares[c]:
                if len(r.path) == 2 and r.s != r.t:
                    freq.append((c, r.s, r.t, None if sw.bundling else c, m, r.share))
    arcs = build_arcs(arc_groups, hub_ids, hub_rules.direct, open_at, var, rows)
    # pooled partners' capacity per period: Σ q · share ≤ cap · at (or · open)
    intake: dict[tuple[str, str, str, str, str], LinearTerm] = {}
    for c, routes in shares.items():
        dm = sc.demands[c]
        if dm.kind == "directed":
            continue
        side = "accept" if dm.kind == "pooled_supply" else "supply"
        for r in routes:
            n = r.t if side == "accept" else r.s
            for per in periods:
                intake.setdefault((r.partner, n, dm.commodity, per, side),
                                  LinearTerm()).add(r.share.terms, dm.tonnes[per],
                                                    r.share.const)
    for (partner, n, k, per, side), load in intake.items():
        owner = sc.nodes[n] if partner.startswith("@") else sc.activities[partner]
        cap = getattr(owner, side)[k]
        tt, c0 = _partner_at(partner, n, at_terms, open_at)
        slack = elastic.slack(f"'{partner.lstrip('@')}' at '{n}' needs more {side} capacity "
                              f"for '{k}' in period '{per}'", "t/period")
        rows.add(load.terms + [(v, -cap * cf) for v, cf in tt] + slack, "<=",
                 cap * c0 - load.const)
    if not elastic.enabled:
        _cover_rows(sc, shares, unserved, intake, open_at, periods, rows)

    # ---- legs: loads per commodity, role and period ---------------------------------------
    factor = {"direct": 1.0, "collection": hub_rules.collection_factor,
              "transfer": hub_rules.transfer_factor,
              "distribution": hub_rules.distribution_factor}
    loads: dict[tuple, dict[str, LinearTerm]] = {}
    for g in arcs:
        for i, j, role, v in arc_loads(g):
            per_p = loads.setdefault((i, j, g.commodity, g.owner, role),
                                     {per: LinearTerm() for per in periods})
            per_p[g.period].add([(v, 1.0)])
        for h, vs in hub_inflow(g).items():
            hc = sc.nodes[h].handling_eur_per_t
            if hc:
                terms["handling"].add([(v, weight[g.period] * hc) for v in vs])
    for c, routes in shares.items():
        dm = sc.demands[c]
        k = dm.commodity
        owner = None if sw.bundling else c
        for r in routes:
            share = r.share
            if not share.terms and share.const == 0.0:
                continue
            for h in r.path[1:-1]:
                hc = sc.nodes[h].handling_eur_per_t
                if hc:
                    for per in periods:
                        terms["handling"].add(share.terms, weight[per] * dm.tonnes[per] * hc,
                                              share.const)
            if len(r.path) == 2 and r.s == r.t:
                ic = sc.commodities[k].internal_cost_eur_per_t
                for per in periods:
                    terms["internal"].add(share.terms, weight[per] * dm.tonnes[per] * ic,
                                          share.const)
                continue
            for i, j, role in _legs(r.path):
                per_p = loads.setdefault((i, j, k, owner, role),
                                         {per: LinearTerm() for per in periods})
                for per in periods:
                    per_p[per].add(share.terms, dm.tonnes[per], share.const)

    gateway = {n for n, node in sc.nodes.items() if node.kind == "gateway"}
    rho_gate = rates.empty_factor("share", sc.options.empty_share)
    rho_rule = rates.empty_factor(sw.empty_rule or sc.options.empty_running,
                                  sc.options.empty_share)
    basis = sc.options.co2_basis
    price_kg = sc.options.co2_price_eur_per_t / 1000.0

    y: dict[tuple, LinearTerm] = {}
    class_load: dict[tuple, list[tuple[LinearTerm, VehicleType, str]]] = defaultdict(list)
    yvar_keys = []
    choice: dict[tuple, list[VehicleType]] = {}
    for i, j, k, owner, role in loads:
        el = eligible(k, i, j, role)
        if not el:
            raise ValueError(f"no vehicle type may carry commodity '{k}' on {i} → {j}")
        choice[i, j, k, owner, role] = el
        if len(el) > 1:
            yvar_keys += [(i, j, k, v.id, p, owner, role) for v in el for p in periods]
    yvar = var.make("y", yvar_keys)
    for (i, j, k, owner, role), per_p in loads.items():
        el = choice[i, j, k, owner, role]
        for p in periods:
            if len(el) == 1:
                y[i, j, k, el[0].id, p, owner, role] = per_p[p]
            else:
                keys = [(i, j, k, v.id, p, owner, role) for v in el]
                for key in keys:
                    y[key] = LinearTerm([(yvar[key], 1.0)])
                rows.add([(yvar[key], 1.0) for key in keys]
                         + [(x, -c) for x, c in per_p[p].terms], "==", per_p[p].const)

    # ---- trips, tariffs, costs and CO2 per leg ------------------------------------------------
    lc_of = {k: c.load_class for k, c in sc.commodities.items()}
    for (i, j, k, v, p, owner, role), load in y.items():
        vt = sc.vehicles[v]
        km = lanes.distance(i, j)
        w = weight[p]
        if vt.pricing == "tariff":
            cost_t = factor[role] * rates.tariff_cost_per_t(vt, km, lanes.lane_cost(i, j))
            co2_t = rates.tariff_co2_per_t(vt, km)
            terms["transport"].add(load.terms, w * cost_t, load.const)
            _add_co2(terms, load, w * co2_t, vt, basis, price_kg)
        else:
            class_load[i, j, v, lc_of[k], p, owner].append((load, vt, k))
            # load-dependent CO2 of trip-priced vehicles
            _add_co2(terms, load, w * rates.load_co2_per_t(vt, km), vt, basis, price_kg)

    trip_keys = list(class_load)
    trips = var.make("trips", trip_keys, cat="Integer")
    # market closure: a variable where the balance may close the trip instead (bundled,
    # non-gateway legs); elsewhere every trip is closed by the market (ρ per trip)
    market = var.make("mkt", [key for key in trip_keys if sw.bundling
                              and key[0] not in gateway and key[1] not in gateway])
    implicit_empty: dict[tuple, float] = {}
    for key, loads_k in class_load.items():
        i, j, v, g, p, owner = key
        vt = sc.vehicles[v]
        tr = trips[key]
        mass = [(x, c / vt.payload_t) for load, _, _ in loads_k for x, c in load.terms]
        const = sum(load.const / vt.payload_t for load, _, _ in loads_k)
        rows.add(mass + [(tr, -1.0)], "<=", -const)
        for cap_attr, per_t in (("volume_m3", "density"), ("pallets", "pallets")):
            cap = getattr(vt, cap_attr)
            if cap is None:
                continue
            vol: Terms = []
            vconst = 0.0
            for load, _, k in loads_k:
                com = sc.commodities[k]
                factor = (1.0 / com.density_t_per_m3 if per_t == "density"
                          and com.density_t_per_m3 else com.pallets_per_t
                          if per_t == "pallets" else None)
                if not factor:
                    continue
                vol += [(x, c * factor / cap) for x, c in load.terms]
                vconst += load.const * factor / cap
            if vol or vconst:
                rows.add(vol + [(tr, -1.0)], "<=", -vconst)
        km = lanes.distance(i, j)
        h = lanes.time(i, j, vt.speed_kmh)
        rho = rho_gate if (i in gateway or j in gateway) else rho_rule
        implicit_empty[key] = rho
        w = weight[p]
        closed = market.get(key)  # None: every trip is closed by the market
        terms["transport"].add([(tr, w * rates.trip_cost(vt, km, h))])
        _add_co2(terms, LinearTerm([(tr, 1.0)]), w * rates.trip_co2(vt, km), vt, basis, price_kg)
        by_market = LinearTerm([(tr if closed is None else closed, 1.0)])
        if closed is not None:
            rows.add([(closed, 1.0), (tr, -1.0)], "<=", 0.0)
        if rho:
            terms["transport"].add(by_market.terms, w * rho * rates.empty_cost(vt, km, h))
            _add_co2(terms, by_market, w * rho * rates.trip_co2(vt, km), vt, basis, price_kg)

    # ---- shipment frequency: a used direct leg gets at least m trips per period --------------
    trips_by_leg: dict[tuple, list] = defaultdict(list)
    for (i, j, _v, g, p, owner), tr in trips.items():
        trips_by_leg[i, j, g, p, owner].append(tr)
    for c, i, j, owner, m, share in freq:
        k = sc.demands[c].commodity
        if any(vt.pricing == "tariff" for vt in eligible(k, i, j)):
            continue  # a tariff carrier ships as often as asked
        if share.const > 0 and not share.terms:
            used: Terms = []
            used_const = 1.0
        elif len(share.terms) == 1 and share.const == 0 and share.terms[0][1] == 1.0 \
                and share.terms[0][0].cat == "Integer":
            used, used_const = list(share.terms), 0.0
        else:
            u = var.make("u", [(c, i, j)], cat="Binary")[c, i, j]
            rows.add(share.terms + [(u, -1.0)], "<=", -share.const)
            used, used_const = [(u, 1.0)], 0.0
        for p in periods:
            trs = trips_by_leg.get((i, j, lc_of[k], p, owner), [])
            rows.add([(tr, 1.0) for tr in trs] + [(x, -m * cf) for x, cf in used], ">=",
                     m * used_const)

    # ---- vehicle balance with empty legs (bundled evaluation) --------------------------------
    empty: dict[tuple, Any] = {}
    if sw.bundling and trips:
        empty = _balance(sc, lanes, trips, market, gateway, periods, var, rows, terms, weight,
                         basis, price_kg, sw.empty_legs)

    # ---- objective -----------------------------------------------------------------------
    prob.setObjective(lpSum_vars_coefs([tc for name in (*COST_TERMS, "penalty")
                                        for tc in terms[name].terms])
                      + sum(terms[name].const for name in COST_TERMS))
    n_int = sum(1 for _ in open_var) + len(place) + len(trips) + len(shared) + len(connect) \
        + len(hub_open) + var.counts.get("u", 0)
    size = {"variables": sum(var.counts.values()), "integers": n_int,
            "constraints": rows.rows, "nonzeros": rows.nonzeros}
    return BuiltModel(prob, sc, lanes, sw, open_at, place, at_fixed, shares, unserved, y, trips,
                      empty, implicit_empty, market, terms, size,
                      build_s=time.perf_counter() - t0,
                      pruned=routes_of.pruned, pruned_sites=pruned_sites, arcs=arcs,
                      slacks=elastic.slacks, shared=shared, connect=connect)


def _facilities(sc: Scenario, candidates, at_terms, var: _Vars, rows: _Rows,
                terms: dict[str, LinearTerm]) -> tuple[dict, dict]:
    """Shared facilities: ``shared[u,s]`` (binary, or integer modules),
    ``connect[f,s,u] ≤ at[f,s]``, ``connect ≤ shared`` (binary case),
    ``Σ_f use[f,u]·connect ≤ cap_u·shared``; an activity that needs u and is not connected
    pays its own: own cost · (1 − Σ_s connect)."""
    shared: dict[tuple[str, str], Any] = {}
    connect: dict[tuple[str, str, str], Any] = {}
    for u, fac in sc.facilities.items():
        users = [f for f in candidates if sc.activities[f].use.get(u, 0.0) > 0]
        for f in users:
            own = sc.activities[f].own_eur_per_yr.get(u, 0.0)
            terms["facilities"].add([], const=own)
        for s in fac.sites:
            here = [f for f in users if s in candidates[f]]
            if not here:
                continue
            cat = "Integer" if fac.modular else "Binary"
            sv = var.make("shared", [(u, s)], cat=cat,
                          ub=float(fac.max_modules) if fac.modular else 1.0)[u, s]
            shared[u, s] = sv
            annual = sc.annuity(fac.cost_eur) + fac.opex_eur_per_yr
            terms["facilities"].add([(sv, annual)])
            cv = var.make("connect", [(f, s, u) for f in here], cat="Binary")
            connect.update(cv)
            for f in here:
                c = cv[f, s, u]
                tt, c0 = at_terms(f, s)
                rows.add([(c, 1.0)] + [(v, -cf) for v, cf in tt], "<=", c0)
                if not fac.modular:
                    rows.add([(c, 1.0), (sv, -1.0)], "<=", 0.0)
                own = sc.activities[f].own_eur_per_yr.get(u, 0.0)
                terms["facilities"].add([(c, fac.connect_eur_per_yr - own)])
            rows.add([(cv[f, s, u], sc.activities[f].use[u]) for f in here]
                     + [(sv, -fac.capacity)], "<=", 0.0)
    return shared, connect


def _legs(path: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(i, j, role) of the road/water/rail legs of a path; zero-length legs are skipped."""
    if len(path) == 2:
        out = [(path[0], path[1], "direct")]
    elif len(path) == 3:
        out = [(path[0], path[1], "collection"), (path[1], path[2], "distribution")]
    else:
        out = [(path[0], path[1], "collection"), (path[1], path[2], "transfer"),
               (path[2], path[3], "distribution")]
    return [(i, j, role) for i, j, role in out if i != j]


class _RouteMaker:
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
        km = self.lanes.distance(i, j)
        if not math.isfinite(km):
            return None
        el = self.eligible(k, i, j, role)
        if not el:
            return None
        return min(self.lanes.time(i, j, v.speed_kmh) for v in el)

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
            legs = _legs(path) if not (len(path) == 2 and s == t) else []
            times = [self.leg_ok(i, j, k, role) for i, j, role in legs]
            if any(tm is None for tm in times):
                continue
            total = sum(times) + sum(self.sc.nodes[h].handling_h for h in path[1:-1])
            if limit is not None and total > limit + 1e-9:
                self.pruned += 1
                continue
            out.append(path)
        return out


def _partners(sc: Scenario, candidates: dict[str, list[str]], k: str, side: str,
              sw: Switches, dm) -> list[tuple[str, str]]:
    """Pooled partners (partner id, node) that accept or supply commodity k: activities with
    ``accept_k``/``supply_k`` at each of their candidate nodes, and nodes with it themselves
    (partner id '@node'). In the baseline (``sw.baseline_partners``) only the demand's
    baseline partner."""
    out = []
    for a, cands in candidates.items():
        if getattr(sc.activities[a], side).get(k, 0.0) > 0:
            out += [(a, n) for n in cands]
    for n, node in sc.nodes.items():
        if getattr(node, side).get(k, 0.0) > 0 and sw.open_sites.get(n, True) \
                and sc.fix.sites.get(n, "open") == "open":
            out.append((f"@{n}", n))
    if sw.baseline_partners:
        out = [(p, n) for p, n in out if p == dm.baseline_partner]
    return out


def _link_shares(sc, dm, c, z, side_a, side_b, var, rows, at_terms, open_at, unserved,
                 elastic):
    """Linking rows of a demand's route shares (model.md §3); returns the disposal/shortage
    shares it adds (pooled flows with a disposal or shortage cost)."""
    by_s: dict[str, Terms] = defaultdict(list)
    by_t: dict[str, Terms] = defaultdict(list)
    by_partner: dict[tuple[str, str], Terms] = defaultdict(list)
    for key, zv in z.items():
        s, p, t, _path = key
        by_s[s].append((zv, 1.0))
        by_t[t].append((zv, 1.0))
        if p is not None:
            by_partner[p, s if dm.kind == "pooled_demand" else t].append((zv, 1.0))
    rest = []
    com = sc.commodities[dm.commodity]
    if dm.kind == "directed":
        q = max(max(dm.tonnes.values()), 1e-9)

        def gap() -> Terms:
            return [(v, -cf / q) for v, cf in elastic.slack(
                f"directed demand '{c}' ({dm.commodity}) has no route within the commodity's "
                f"maximum transit time or vehicle access", "t/period")]

        origin_rows = len(side_a) > 1 or len(side_b) == 1
        if origin_rows:
            for s, (tt, c0) in side_a.items():
                rows.add(by_s[s] + gap() + [(v, -cf) for v, cf in tt], "==", c0)
        if len(side_b) > 1:
            for t, (tt, c0) in side_b.items():
                rows.add(by_t[t] + ([] if origin_rows else gap())
                         + [(v, -cf) for v, cf in tt], "==", c0)
        return rest
    side = side_a if dm.kind == "pooled_supply" else side_b
    by_end = by_s if dm.kind == "pooled_supply" else by_t
    kind = "disposal" if dm.kind == "pooled_supply" else "shortage"
    penalty = com.disposal_cost_eur_per_t if kind == "disposal" else com.shortage_cost_eur_per_t
    for n, (tt, c0) in side.items():
        extra: Terms = []
        if penalty is not None:
            d = var.make(kind[:4], [(c, n)], ub=1.0)[c, n]
            extra = [(d, 1.0)]
            rest.append((kind, n, LinearTerm([(d, 1.0)])))
        else:
            what = ("no acceptor" if kind == "disposal" else "no supplier")
            q = max(max(dm.tonnes.values()), 1e-9)
            extra = [(v, -cf / q) for v, cf in elastic.slack(
                f"{dm.kind.replace('_', ' ')} '{c}' ({dm.commodity}) finds {what} in reach "
                f"(within capacity and max transit time)", "t/period")]
            if not by_end[n] and not extra and (tt or c0):
                raise ValueError(f"{dm.kind.replace('_', ' ')} '{c}' ({dm.commodity}) finds "
                                 f"{what} it can reach at node '{n}' (open partners with "
                                 f"{'accept' if kind == 'disposal' else 'supply'}_"
                                 f"{dm.commodity} capacity, lanes, vehicles, max transit "
                                 f"time) and has no {kind}_cost_eur_per_t to fall back on")
        rows.add(by_end[n] + extra + [(v, -cf) for v, cf in tt], "==", c0)
    # the strong link: no flow to or from a partner that is not there (x ≤ q · at / open)
    for (p, n), zs in by_partner.items():
        tt, c0 = _partner_at(p, n, at_terms, open_at)
        if tt:
            for zv, _ in zs:
                rows.add([(zv, 1.0)] + [(v, -cf) for v, cf in tt], "<=", 0.0)
        elif c0 == 0.0:
            for zv, _ in zs:
                zv.upBound = 0.0
    unserved[c] = rest
    return rest


def _cover_rows(sc, shares, unserved, intake, open_at, periods, rows) -> None:
    """Valid inequalities implied by the pooled demand and capacity rows (cutting planes
    added up front). For a commodity k, side and period whose pooled demands have no
    shortage or disposal outlet, the partners' capacities must cover the total q:

        Σ_sites cap_n · open[n] ≥ q − F        (F: capacity of partners that are always there)
        Σ_sites open[n] ≥ k_min                (k_min: fewest sites whose largest caps cover it)

    The LP relaxation meets the first with fractional sites; the second, its integer rounding,
    is what closes the bound on capacitated location (OR-Library capa: the LP gap falls from
    2.1 % to 0.06 %)."""
    need: dict[tuple[str, str, str], float] = defaultdict(float)
    blocked: set[tuple[str, str]] = set()
    for c in shares:
        dm = sc.demands[c]
        if dm.kind == "directed":
            continue
        side = "accept" if dm.kind == "pooled_supply" else "supply"
        if unserved.get(c):
            blocked.add((dm.commodity, side))
        for per in periods:
            need[dm.commodity, side, per] += dm.tonnes[per]
    caps: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    fixed: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for partner, n, k, per, side in intake:
        owner = sc.nodes[n] if partner.startswith("@") else sc.activities[partner]
        cap = getattr(owner, side)[k]
        o = open_at.get(n, 1.0) if partner.startswith("@") else 1.0
        if isinstance(o, float):  # present whatever the placement (an activity counts once)
            fixed[k, side, per][partner if not partner.startswith("@") else n] = cap * o
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
        opens = [(open_at[n], cap) for n, cap in caps[key].items()]
        rows.add(opens, ">=", rest)
        if k_min > 1:
            rows.add([(o, 1.0) for o, _ in opens], ">=", float(k_min))


def _partner_at(p: str, n: str, at_terms, open_at) -> tuple[Terms, float]:
    """Presence of pooled partner p at node n: ``at`` of an activity, ``open`` of a site."""
    if p.startswith("@"):
        o = open_at.get(n, 1.0)
        return ([], o) if isinstance(o, float) else ([(o, 1.0)], 0.0)
    return at_terms(p, n)


def _add_co2(terms: dict[str, LinearTerm], amount: LinearTerm, kg_ttw: float, vt: VehicleType,
             basis: str, price_kg: float) -> None:
    """Add ``kg_ttw`` × amount to the TTW and WTW CO2 terms and its price to the carbon cost."""
    if kg_ttw == 0.0:
        return
    terms["co2_ttw_kg"].add(amount.terms, kg_ttw, amount.const)
    terms["co2_wtw_kg"].add(amount.terms, kg_ttw * vt.wtw_ttw_ratio, amount.const)
    if price_kg:
        terms["carbon"].add(amount.terms, kg_ttw * rates.co2_weight(vt, basis) * price_kg,
                            amount.const)


def _balance(sc: Scenario, lanes: Lanes, trips: dict, market: dict, gateway: set[str],
             periods: list[str], var: _Vars, rows: _Rows, terms: dict[str, LinearTerm],
             weight: dict[str, float], basis: str, price_kg: float,
             allowed: frozenset | None = None) -> dict[tuple, Any]:
    """Vehicle balance per non-gateway node, trip-priced vehicle type and period over the
    trips not closed by the market (trips − mkt), with empty legs opposite each loaded leg and
    to the k nearest balance nodes — or, with ``allowed``, only those of another model (B2
    takes the optimum's: with B2's loaded legs a subset of B3's, its empty legs are then a
    subset too, so B2's solution is a point of B3)."""
    loaded: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)  # (v,p) → legs
    for i, j, v, _g, p, _o in trips:
        if i not in gateway and j not in gateway:
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
            idx = [lanes.index[n] for n in nodes]
            sub = lanes.km[np.ix_(idx, idx)].copy()
            np.fill_diagonal(sub, np.inf)
            nearest = np.argsort(sub, axis=1)[:, :k_near]
            for a, row in enumerate(nearest):
                for b in row:
                    if np.isfinite(sub[a, b]):
                        cand.add((nodes[a], nodes[b]))
        keys += [(i, j, v, p) for i, j in sorted(cand)]
    empty = var.make("empty", keys)
    flow: dict[tuple[str, str, str], Terms] = defaultdict(list)  # (node, v, p) → out − in
    for key, tr in trips.items():
        i, j, v, _g, p, _o = key
        if i in gateway or j in gateway:
            continue
        flow[i, v, p].append((tr, 1.0))
        flow[j, v, p].append((tr, -1.0))
        if key in market:
            flow[i, v, p].append((market[key], -1.0))
            flow[j, v, p].append((market[key], 1.0))
    for (i, j, v, p), e in empty.items():
        flow[i, v, p].append((e, 1.0))
        flow[j, v, p].append((e, -1.0))
        vt = sc.vehicles[v]
        km = lanes.distance(i, j)
        h = lanes.time(i, j, vt.speed_kmh)
        terms["transport"].add([(e, weight[p] * rates.empty_cost(vt, km, h))])
        _add_co2(terms, LinearTerm([(e, 1.0)]), weight[p] * rates.trip_co2(vt, km), vt, basis,
                 price_kg)
    for fl in flow.values():
        rows.add(fl, "==", 0.0)
    return empty

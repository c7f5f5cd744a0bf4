r"""The MILP builder (``shared/design/model.md`` §1–§7): ``build`` is the one function every
scenario, variant, baseline evaluation and benchmark goes through. It reads as the model's
table of contents — index sets, then one ``define_*`` per constraint family, then the cost
terms — each in ``clusteropt.model.families`` with its formulation in its docstring:

==========================  ===================================================================
family (``BuiltModel.rows``)  model.md
==========================  ===================================================================
site_count_max/_exact,      §5 Σ_s open[s] ≤ / = p; Σ_s annual_s · open[s] ≤ budget
budget
one_node, site_link,        §5 Σ_n place[f,n] = 1; place[f,s] ≤ open[s]; an activity fixed at a
site_opened, capacity       site opens it; Σ_f size[f,d] · at[f,n] ≤ cap[n,d] · open[n]
facility_connect/_link/     §5 connect ≤ at, connect ≤ shared, Σ use · connect ≤ cap ·
_capacity                   shared
hub_count_max/_exact        §1 Σ_h open[h] ≤ / = hubs.max_open / exact_open
route_link, pooled_link,    §3 Σ_{r from s} x = q · at[f,s] (and into t); pooled with disposal
strong_link, hub_link       or shortage; x ≤ q · at[partner] (open[site]); Σ_{r via h} x ≤ q ·
                            open[h]
arc_origin/_conservation/   §3 the per-origin hub-arc form (``hubarcs``)
_destination/_hub_link
product_balance             §7 Σ product tonnes out + disposed = yield · intake of the input
partner_capacity, cover,    §3 pooled intake ≤ cap · at (open); capacity covers pooled demand
cover_count
mode_split                  §4 Σ_v y[i,j,k,v] = load[i,j,k]
trip_mass/_volume/_pallets  §4 Σ_{k∈g} y / payload ≤ trips (and volume, pallets)
market_link                 §4 market closure: mkt ≤ trips
trip_floor                  §4 valid inequalities: Σ_v trips ≥ F0 + (F1 − F0) · place
trip_cost_floor             §4 Σ_v c_v trips + Σ t y_tariff ≥ C(c) + (C(c + a) − C(c)) · place
unit_mass/_volume/_pallets  §4 tariff load units: Σ_{k∈g} y / unit_t ≤ units (and m³, pallets)
departures                  §4 scheduled service: Σ_g units ≤ departures · units per departure
tour_take, tour_mass/       §4 tours: Σ_τ tload ≤ y; Σ tload / payload ≤ tour (and m³,
_volume/_pallets            pallets); a run counts as a shipment of each stop
frequency_use, frequency    §4 x ≤ q · u, trips (+ tour runs visiting) ≥ m · u
balance                     §4 (trips − mkt) out + empty out = (trips − mkt) in + empty in
==========================  ===================================================================

Decisions: ``open[s]``, ``place[f,n]``, route shares ``z`` (flow = q · z), ``y[i,j,k,v,p]``
(tonnes by vehicle type), integer ``trips[i,j,v,g,p]``, integer ``tour[τ,p]`` runs of tour
columns with ``tload`` (their tonnes per stop leg; ``clusteropt.model.tourcols``), integer
``units[i,j,v,g,p]`` (load units
of tariff types that name one), ``mkt`` (trips closed by the market),
``empty[i,j,v,p]``, ``shared``/``connect`` (facilities), ``u`` (frequency). A decision fixed by a
switch or a lock is a constant (``LinearTerm``), so the same row serves both.

Market closure (§4): a loaded trip may be closed by the market, as today's trucks are: it leaves
the vehicle balance and pays ρ empty trips of its own leg, ρ = e/(1−e) under ``share``, 1 under
``dedicated``, e/(1−e) at gateways always. Consequence (at gap 0): the unbundled evaluation B1
(trips per demand, every trip closed by the market) is a feasible point of the bundled B2
(Σ_c ⌈q_c/cap⌉ ≥ ⌈Σ_c q_c/cap⌉, mkt = trips), so B2 ≤ B1; B2 is a point of B3 when B3 allows
direct routes and the baseline vehicle types (B2 takes B3's empty legs), so B3 ≤ B2; and
B3 ≤ B0 when no activity is ``new`` and today's placement and vehicles are admissible in B3.
With a time limit these hold up to the gap.

Objective (annual euro, §6): development + relocation + facilities + Σ_p w_p (transport +
internal + handling + disposal) + CO2 price · CO2; every term is kept in ``BuiltModel.terms``.

Switches for the baseline evaluations (model.md §8): a fixed placement, trips per demand
instead of shared, a restricted set of vehicle types, no hubs, the optimum's empty legs.
"""

from __future__ import annotations

import functools
import gc
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pulp

from clusteropt.lanes import Lanes
from clusteropt.model import families as fam
from clusteropt.model.core import Elastic, LinearTerm, ModelInputError, Rows, Vars
from clusteropt.model.families import COST_TERMS, KPI_TERMS, Route
from clusteropt.model.hubarcs import ArcGroup
from clusteropt.scenario import Scenario

__all__ = ["COST_TERMS", "KPI_TERMS", "BuiltModel", "LinearTerm", "ModelInputError", "Route",
           "Switches", "build"]


@dataclass
class Switches:
    """How to evaluate: ``placement`` fixes every listed activity's node; ``open_sites`` fixes
    sites open (True) or closed (False); ``bundling`` False gives trips per demand, each
    closed by the market, instead of the vehicle balance; ``empty_rule`` ('share' or
    'dedicated', default the scenario's ``options.empty_running``) prices market closure in
    every evaluation, bundled or not; ``vehicles`` restricts the vehicle types;
    ``exclude_new`` leaves out activities marked new; ``baseline_partners`` sends pooled flows
    only to their baseline partner (or disposal); ``elastic`` adds penalised slack to
    capacities, site counts and pooled outlets, to explain an infeasible scenario; ``hubs``
    False leaves every hub out (direct routes only); ``empty_legs`` limits the empty legs to
    those of another model (B2 uses the optimum's); ``tour_columns`` the tours offered
    (None: those around today's placement, ``tourcols.today_columns``)."""

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
    tour_columns: tuple | None = None  # TourColumn offered (None: today's)


@dataclass
class BuiltModel:
    """The PuLP problem with its variables by index, its rows by family and its objective
    terms by name. ``open`` holds a variable or a constant 0/1 per site and hub; ``rows`` the
    row numbers of each family (in the order the solver gets them), ``row_keys`` their
    indices."""

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
    slack_family: dict[Any, str] = field(default_factory=dict)  # elastic: var → row family
    shared: dict[tuple[str, str], Any] = field(default_factory=dict)  # (facility, site) → var
    connect: dict[tuple[str, str, str], Any] = field(default_factory=dict)  # (f, site, fac)
    products: dict[tuple, Any] = field(default_factory=dict)  # (pid, n, partner, t, p) → t
    product_rest: dict[tuple, Any] = field(default_factory=dict)  # (pid, n, p) → t disposed
    rows: dict[str, list[int]] = field(default_factory=dict)  # family → row numbers
    row_keys: dict[str, list[Any]] = field(default_factory=dict)  # family → row indices
    units: dict[tuple, Any] = field(default_factory=dict)  # (i, j, v, g, p, owner) → integer
    tour_columns: tuple = ()  # TourColumn offered
    tours: dict[tuple, tuple] = field(default_factory=dict)  # (column, p) → (runs, {y: tload})

    def objective_value(self) -> float:
        return sum(self.terms[t].value() for t in COST_TERMS)

    def row_count(self, *families: str) -> int:
        return sum(len(self.rows.get(f, ())) for f in families)


def _gc_paused(fn):
    """Run ``fn`` with the cyclic garbage collector paused (if it was on): a build makes
    millions of small tuples and lists and no reference cycles, and the collector's passes over
    them took a quarter to a third of the build time."""

    @functools.wraps(fn)
    def paused(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused


@_gc_paused
def build(sc: Scenario, lanes: Lanes, switches: Switches | None = None,
          row_names: bool = False) -> BuiltModel:
    """Build the MILP for a scenario (the module docstring lists the families). Raises
    ModelInputError for a scenario that cannot be a model; ``row_names`` also names every row
    ``family:key`` in PuLP (slower; for an LP file)."""
    t0 = time.perf_counter()
    sw = switches or Switches()
    prob = pulp.LpProblem(sc.name.replace(" ", "_")[:40] or "clusteropt", pulp.LpMinimize)
    var = Vars(prob)
    terms = {name: LinearTerm() for name in (*COST_TERMS, *KPI_TERMS, "penalty")}
    b = fam.Parts(sc=sc, lanes=lanes, sw=sw, prob=prob, var=var, rows=Rows(prob, row_names),
                  terms=terms, elastic=Elastic(var, terms["penalty"], sw.elastic),
                  periods=[p.id for p in sc.periods],
                  weight={p.id: p.weight for p in sc.periods},
                  gateway={n for n, node in sc.nodes.items() if node.kind == "gateway"})
    b.vehicles = {v: vt for v, vt in sc.vehicles.items()
                  if (sw.vehicles is None or v in sw.vehicles) and vt.mode != "internal"}

    fam.placement_candidates(b)    # N_f
    fam.define_sites(b)            # open[s]; site counts, budget
    fam.define_placement(b)        # place[f,n]; one node, site link, capacity
    fam.define_facilities(b)       # shared, connect
    fam.define_hubs(b)             # open[h]; hub counts
    fam.define_routes(b)           # route shares; route/pooled/strong/hub links; hub arcs
    fam.define_intake(b)           # pooled intake per partner, node, commodity, period
    fam.define_products(b)         # processor products: product balance
    fam.define_partner_capacity(b)  # partner capacity; cover rows
    fam.define_loads(b)            # leg loads; vehicle choice
    fam.define_tours(b)            # tour columns: runs, what they take of each stop's leg
    fam.define_trips(b)            # integer trips by mass/volume/pallets; market closure
    fam.define_trip_floor(b)       # valid inequalities: whole trips for a placement's load
    fam.define_units(b)            # integer load units of tariff types
    fam.define_departures(b)       # scheduled services: units ≤ departures × units each
    fam.define_frequency(b)        # shipment frequency
    fam.define_balance(b)          # empty legs; vehicle balance
    fam.price_sites(b)             # development, relocation
    fam.price_facilities(b)        # facilities
    fam.price_flows(b)             # disposal, hub handling, internal
    fam.price_transport(b)         # transport, CO2, carbon
    fam.price_tours(b)             # tours: transport, toll, CO2
    cost: dict = defaultdict(float)  # objective coefficient per variable
    for name in COST_TERMS:
        for v, a in terms[name].terms:
            cost[v] += a
    fam.define_trip_cost_floor(b, cost)  # valid inequalities: the cheapest whole carriage
    fam.bound_empty_running(b, cost)  # finite bounds on empty legs and market closure

    prob.setObjective(pulp.lpSum_vars_coefs([tc for name in (*COST_TERMS, "penalty")
                                             for tc in terms[name].terms])
                      + sum(terms[name].const for name in COST_TERMS))
    n_int = len(b.open_var) + len(b.place) + len(b.trips) + len(b.units) + len(b.shared) \
        + len(b.tours) \
        + len(b.connect) + len(b.hub_open) + var.counts.get("u", 0)
    size = {"variables": sum(var.counts.values()), "integers": n_int,
            "constraints": b.rows.rows, "nonzeros": b.rows.nonzeros}
    opened = {n: (t.const if t.is_constant else t.terms[0][0]) for n, t in b.open_at.items()}
    return BuiltModel(prob, sc, lanes, sw, opened, b.place, b.at_fixed, b.shares, b.unserved,
                      b.y, b.trips, b.empty, b.implicit_empty, b.market, terms, size,
                      build_s=time.perf_counter() - t0, pruned=b.pruned_routes,
                      pruned_sites=b.pruned_sites, arcs=b.arcs, slacks=b.elastic.slacks,
                      slack_family=b.elastic.family,
                      shared=b.shared, connect=b.connect, products=b.products,
                      product_rest=b.product_rest, rows=dict(b.rows.family),
                      row_keys=dict(b.rows.keys), units=b.units,
                      tour_columns=b.tour_columns, tours=b.tours)

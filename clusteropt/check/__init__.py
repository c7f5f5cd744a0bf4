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
* ``units``, ``unit capacity (mass|volume|pallets)``  load units only of tariff types that
  name a load unit, whole numbers, covering the loads of their class: units ≥ t / unit_payload_t,
  m³ / unit_volume_m3, pallets / unit_pallets, recomputed from the loads.
* ``departures``  a scheduled tariff type carries on each leg and period at most
  departures_per_period × units_per_departure units — the larger of the units written and those
  the loads need (Σ over classes of the units rounded up).
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
* ``product``     processors' products (flows and disposal under the id ``processor>product``):
  per processor node and period Σ product flows + disposal = yield × the tonnes of its
  ``process_input`` taken in; each product flow leaves the processor's node for an acceptor
  of the product at its destination (open, when a site). Product tonnes count in the
  acceptors' ``partner capacity`` and the leg loads; ``partner capacity`` is 0 outside
  an acceptor's ``intake_periods``.
* ``tours``       multi-stop tours: whole runs from the depot through distinct stops back to
  it, by an allowed trip-priced type carrying the load class; km and hours per run from the
  lanes (driving + stop_h per stop + handling), stop_h ≥ the commodities' ``tour_stop_h``,
  hours ≤ ``max_tour_h``; each tonne taken at a stop of the tour from that stop's direct leg
  (stop → depot to collect, depot → stop to deliver), of a commodity that may ride it; Σ taken
  per leg ≤ its direct load by that type (direct trips carry the rest, ``trip capacity``);
  Σ taken per tour ≤ runs × payload (m³, pallets). A run counts as a shipment of each stop's
  leg (``frequency``); tours cost their lanes' km and hours, toll, and emit at the empty rate
  per km plus the load-dependent rate over the km each tonne rides.
* ``objective`` (relative tolerance) and, where the solution reports them, each ``term``.

Vehicles behind a road tariff (groupage) with ``load_t_per_vkm`` L and ``empty_share`` e: a
tonne over d km adds d/L truck-km, e·d/L of them empty, and (1 − e)/L loaded trips.

Costs: load units · (€ per unit + € per unit-km · km), no role factor; tariff cost per tonne
× the role's factor (``hubs.collection_factor`` χ, ``transfer_factor`` α,
``distribution_factor`` δ; direct 1); hub handling Σ w_p · t ×
``handling_eur_per_t`` per hub passed; ``disposal`` Σ w_p · t × ``disposal_cost_eur_per_t``
(disposal, products' included) or ``shortage_cost_eur_per_t`` (shortage) + Σ w_p · intake ×
the acceptor's ``gate_fee_<commodity>`` — the solver keeps them in its one ``disposal`` term;
development includes open hubs (annuity + opex + fixed); facilities:
modules · (annuity(cost) + opex) + connect cost per connected activity + the own cost of every
user in play that is not connected.

Tolerances: ``tol · max(1, |rhs|)`` on rows, ``tol · max(1, |reported|)`` on the objective,
1e-6 absolute on the integrality of trips. A flow counts as *used* (for the implications
hub open, partner open, frequency, transit) above ``tol · max(1, q)``, q the demand's tonnes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from clusteropt.check.facts import Facts, Note, Violation, fmt, num, path_legs, read
from clusteropt.check.recompute import COST_KEYS, KPI_KEYS, kpis
from clusteropt.check.rules import RULES

# solver term name → recomputed KPI key and factor (terms in euro or kg)
TERM_KEYS = {"development": ("development_cost_eur", 1.0),
             "relocation": ("relocation_cost_eur", 1.0),
             "facilities": ("facilities_cost_eur", 1.0),
             "transport": ("transport_cost_eur", 1.0),
             "toll": ("toll_cost_eur", 1.0),
             "internal": ("internal_cost_eur", 1.0),
             "handling": ("handling_cost_eur", 1.0),
             "disposal": ("disposal_cost_eur", 1.0),
             "carbon": ("carbon_cost_eur", 1.0),
             "air_pollution": ("air_pollution_cost_eur", 1.0),
             "co2_ttw_kg": ("co2_ttw_t", 1000.0),
             "co2_wtw_kg": ("co2_wtw_t", 1000.0),
             "nox_kg": ("nox_kg", 1.0),
             "pm10_kg": ("pm10_kg", 1.0)}


@dataclass
class CheckResult:
    """Outcome of a check: ``passed`` when there is no violation. ``notes`` lists what the
    checker could not verify for this scenario, or observations that are not violations (it
    never makes ``passed`` false). ``by_check``: each rule's violations, by rule function
    (``check_balance`` → ``"balance"``)."""

    passed: bool
    violations: list[Violation]
    kpis: dict[str, float]
    objective_recomputed: float
    objective_reported: float
    notes: list[str] = field(default_factory=list)
    by_check: dict[str, list[Violation]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["violations"] = [v.to_dict() if isinstance(v, Violation) else str(v)
                           for v in self.violations]
        d["by_check"] = {k: len(v) for k, v in self.by_check.items()}
        return d


def check_objective(f: Facts, k: dict[str, float]) -> list[Violation]:
    """``objective``: the reported objective equals the recomputed total within
    tol · max(1, |reported|); ``term``: so does each cost and CO2 term the solution reports."""
    out = []
    obj, rep = k["total_cost_eur"], num(f.sol.objective_eur)
    if not (abs(obj - rep) <= f.tol * max(1.0, abs(rep))):
        out.append(Violation("objective", f"reported {fmt(rep)} €/yr, recomputed {fmt(obj)} "
                             f"(difference {fmt(rep - obj)})", (), rep, obj))
    for term, (key, factor) in TERM_KEYS.items():
        val = (f.sol.terms or {}).get(term)
        if val is None:
            continue
        mine = k[key] * factor
        if not (abs(num(val) - mine) <= f.tol * max(1.0, abs(mine))):
            out.append(Violation("term", f"'{term}' reported {fmt(num(val))}, recomputed "
                                 f"{fmt(mine)}", (term,), num(val), mine))
    return out


def check_solution(sc, lanes, sol, tolerance: float = 1e-5, rules=RULES) -> CheckResult:
    """Read ``sol``, run every rule of ``rules`` on the same facts, recompute the KPIs and
    compare the objective. The rules are independent: their order changes only the order of
    the violations."""
    f = read(sc, lanes, sol, tolerance)
    violations: list[Violation] = []
    notes: list[str] = []
    by_check: dict[str, list[Violation]] = {}
    for rule in rules:
        found = rule(f)
        mine = [x for x in found if isinstance(x, Violation)]
        notes += [str(x) for x in found if isinstance(x, Note)]
        by_check[rule.__name__.removeprefix("check_")] = mine
        violations += mine
    k = kpis(f)
    by_check["objective"] = check_objective(f, k)
    violations += by_check["objective"]
    return CheckResult(passed=not violations, violations=violations, kpis=k,
                       objective_recomputed=k["total_cost_eur"],
                       objective_reported=num(sol.objective_eur), notes=notes,
                       by_check=by_check)


__all__ = ["COST_KEYS", "KPI_KEYS", "RULES", "CheckResult", "Note", "Violation",
           "check_solution", "path_legs"]

"""The checker's rules: one function per rule of the formulation, each ``(Facts) → findings``.

A rule reads only the :class:`~clusteropt.check.facts.Facts` (never another rule's output) and
returns its violations (:class:`Violation`: rule, message, index, lhs, rhs) and notes
(:class:`Note`), so the rules run in any order; ``RULES`` lists them. A rule first returns the
problems :func:`~clusteropt.check.facts.read` filed under its name (rows it could not read),
then what it finds among the records. Row tolerance: tol · max(1, |rhs|).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

from clusteropt.check.facts import (
    INT_TOL,
    POOLED,
    ROLES,
    Facts,
    LegRow,
    Note,
    Violation,
    accept_cap,
    fmt,
    leg_allowed,
    load_unit,
    num,
    partner_of,
    path_legs,
    processor_of,
)

Finding = Violation | Note


def check_tables(f: Facts) -> list[Finding]:
    """``table``: the solution tables have their columns; ids, periods and nodes are known."""
    return list(f.problems["table"])


def check_switches(f: Facts) -> list[Finding]:
    """``switches``: the evaluation's switches are known (empty_rule share | dedicated)."""
    return list(f.problems["switches"])


def check_sites(f: Facts) -> list[Finding]:
    """``open_sites`` binary and only sites/hubs; ``fix.sites`` (and the open_sites switch)
    respected; ``site count`` / ``hub count`` (max_open, exact_open); ``budget``
    Σ_{open sites} annuity(dev) + opex + fixed ≤ budget_eur_per_yr."""
    sc, out = f.sc, []
    for s, o in f.sol.open_sites.items():
        if s not in sc.nodes:
            out.append(Violation("open_sites", f"unknown node '{s}'"))
            continue
        if sc.nodes[s].kind not in ("site", "hub"):
            out.append(Violation("open_sites", f"'{s}' is a {sc.nodes[s].kind}, not a site or "
                                 f"hub"))
        x = num(o)
        if not (abs(x) <= INT_TOL or abs(x - 1) <= INT_TOL):
            out.append(Violation("open_sites", f"'{s}' has value {o}, expected 0 or 1"))
    for s, want in f.fixed_open.items():
        if s in sc.nodes and f.is_open(s) != want:
            out.append(Violation("fix.sites", f"{sc.nodes[s].kind} '{s}' must be "
                                 f"{'open' if want else 'closed'} but is "
                                 f"{'open' if f.is_open(s) else 'closed'}"))
    sites = [s for s, n in sc.nodes.items() if n.kind == "site"]
    for what, kind, rules in (("site", sites, sc.site_rules), ("hub", f.hubs, sc.hubs)):
        n_open = sum(f.is_open(s) for s in kind)
        if rules.max_open is not None and n_open > rules.max_open:
            out.append(Violation(f"{what} count", f"{n_open} {what}s open > max_open "
                                 f"{rules.max_open}", (), n_open, rules.max_open))
        if rules.exact_open is not None and n_open != rules.exact_open:
            out.append(Violation(f"{what} count", f"{n_open} {what}s open ≠ exact_open "
                                 f"{rules.exact_open}", (), n_open, rules.exact_open))
    budget = sc.site_rules.budget_eur_per_yr
    if budget is not None:
        spend = sum(f.site_cost(s) for s in sites if f.is_open(s))
        if spend > budget + f.slack(budget):
            out.append(Violation("budget", f"open sites cost {fmt(spend)} €/yr > budget "
                                 f"{fmt(budget)}", (), spend, budget))
    return out


def check_placement(f: Facts) -> list[Finding]:
    """``placement``: Σ_n place[a, n] = 1 over a's candidates for every activity in play (the
    fixed node where fixed); nothing else placed; a site used is open."""
    sc, out = f.sc, []
    for a, n in f.sol.placement.items():
        if a not in sc.activities:
            out.append(Violation("placement", f"unknown activity '{a}'"))
        elif a not in f.in_play:
            out.append(Violation("placement", f"activity '{a}' is new and left out "
                                 f"(exclude_new) but is placed at '{n}'"))
    for a in sorted(f.in_play):
        act = sc.activities[a]
        n = f.sol.placement.get(a)
        if n is None:
            out.append(Violation("placement", f"activity '{a}' is not placed"))
            continue
        n = str(n)
        if n not in act.candidates:
            out.append(Violation("placement", f"activity '{a}' at '{n}', not among its "
                                 f"candidates {act.candidates}"))
            continue
        if a in f.fixed_place and f.fixed_place[a] != n:
            out.append(Violation("placement", f"activity '{a}' at '{n}' but fixed at "
                                 f"'{f.fixed_place[a]}'"))
        if sc.nodes[n].kind == "site" and not f.is_open(n):
            out.append(Violation("placement", f"activity '{a}' at site '{n}', which is closed"))
    return out


def check_capacity(f: Facts) -> list[Finding]:
    """``capacity``: Σ_a size[a, d] · place[a, n] ≤ cap[n, d] (× open[n] for sites)."""
    use: dict[tuple[str, str], float] = defaultdict(float)
    for a, n in f.place.items():
        for d, s in f.sc.activities[a].size.items():
            use[n, d] += s
    out = []
    for (n, d), u in sorted(use.items()):
        node = f.sc.nodes[n]
        if d not in node.capacity:
            continue
        cap = node.capacity[d] * (f.is_open(n) if node.kind == "site" else 1)
        if u > cap + f.slack(cap):
            out.append(Violation("capacity", f"{node.kind} '{n}' dim '{d}' uses {fmt(u)} > "
                                 f"{fmt(cap)}", (n, d), u, cap))
    return out


def facility_users(f: Facts) -> list[tuple[str, str, str]]:
    """(facility, site, activity) of every connection to a placed activity, as written."""
    return [(r.facility, r.site, a) for r in f.facilities for a in r.connected
            if a in f.sc.activities and a in f.place]


def check_facilities(f: Facts) -> list[Finding]:
    """``facility`` (model.md §5): modules whole, ≤ 1 unless modular, ≤ max_modules; connected
    activities use the facility and sit at its site, once each; Σ use ≤ capacity · modules."""
    sc, out = f.sc, list(f.problems["facility"])
    mods: dict[tuple[str, str], float] = defaultdict(float)
    users_at: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in f.facilities:
        mods[r.facility, r.site] += r.modules
        users_at[r.facility, r.site] += r.connected
    seen: set[tuple[str, str]] = set()
    for (u, s), n in sorted(mods.items()):
        fac = sc.facilities[u]
        top = fac.max_modules if fac.modular else 1
        if n > top + INT_TOL:
            out.append(Violation("facility", f"'{u}' at '{s}' has {fmt(n)} modules > {top}"
                                 f"{'' if fac.modular else ' (not modular)'}", (u, s), n, top))
        use = 0.0
        for a in users_at.get((u, s), []):
            act = sc.activities.get(a)
            if act is None or a not in f.place:
                out.append(Violation("facility", f"'{u}' at '{s}' connects '{a}', which is not "
                                     f"a placed activity"))
                continue
            if act.use.get(u, 0.0) <= 0:
                out.append(Violation("facility", f"'{u}' at '{s}' connects '{a}', which does "
                                     f"not use it"))
            if f.place[a] != s:
                out.append(Violation("facility", f"'{u}' at '{s}' connects '{a}', which is at "
                                     f"'{f.place[a]}'"))
            if (a, u) in seen:
                out.append(Violation("facility", f"'{a}' is connected to '{u}' more than once"))
            seen.add((a, u))
            use += act.use.get(u, 0.0)
        cap = fac.capacity * n
        if use > cap + f.slack(cap):
            out.append(Violation("facility", f"'{u}' at '{s}' serves use {fmt(use)} > capacity "
                                 f"{fmt(cap)} ({fmt(n)} modules × {fmt(fac.capacity)})",
                                 (u, s), use, cap))
    return out


def check_flows(f: Facts) -> list[Finding]:
    """``flow``: each flow carries its demand's commodity, leaves the node of its origin and
    reaches the node of its destination (pooled ends: see ``partner``)."""
    sc, out = f.sc, list(f.problems["flow"])
    for r in f.flows:
        dem = sc.demands[r.demand]
        if r.commodity != dem.commodity:
            out.append(Violation("flow", f"demand '{r.demand}' row {r.i} carries "
                                 f"'{r.commodity}', expected '{dem.commodity}'"))
        if r.noise:  # solver round-off, not a real flow
            continue
        for end, node, verb in ((dem.origin, r.origin, "leaves"),
                                (dem.destination, r.dest, "arrives at")):
            if end is not None and end in f.place and node != f.place[end]:
                what = "origin" if verb == "leaves" else "destination"
                out.append(Violation("flow", f"demand '{r.demand}' period '{r.period}' {verb} "
                                     f"'{node}' but its {what} '{end}' is at "
                                     f"'{f.place[end]}'"))
    return out


def check_routes(f: Facts) -> list[Finding]:
    """``route``: origin node → 0–2 hubs → destination node; every hub a hub, open where used,
    at most once; ≤ hubs.max_per_route; no direct leg when hubs.direct is false and a hub is
    available. A hub outside the k_nearest of the route's ends is only noted (pruning)."""
    sc, out = f.sc, list(f.problems["route"])
    for r in f.flows:
        path = r.path
        if path is None:
            continue
        where = f"demand '{r.demand}' period '{r.period}' path '{r.path_text}'"
        if path[0] != r.origin or path[-1] != r.dest:
            out.append(Violation("route", f"{where} does not run from '{r.origin}' to "
                                 f"'{r.dest}'"))
        hubs = path[1:-1]
        if len(hubs) > sc.hubs.max_per_route:
            out.append(Violation("route", f"{where} passes {len(hubs)} hubs > max_per_route "
                                 f"{sc.hubs.max_per_route}"))
        if len(hubs) == 2 and hubs[0] == hubs[1]:
            out.append(Violation("route", f"{where} passes hub '{hubs[0]}' twice"))
        for h in hubs:
            if sc.nodes[h].kind != "hub":
                out.append(Violation("route", f"{where} passes '{h}', a {sc.nodes[h].kind}, "
                                     f"not a hub"))
            elif r.used and not f.is_open(h):
                out.append(Violation("route", f"{where} passes hub '{h}', which is closed"))
        if len(path) == 2 and path[0] != path[1] and not sc.hubs.direct \
                and f.hubs_available and r.used:
            out.append(Violation("route", f"{where} is direct but hubs.direct is false"))
        kn = sc.hubs.k_nearest
        if kn is not None and hubs and r.used:
            near_o, near_d = f.nearest(path[0], kn), f.nearest(path[-1], kn)
            ok = (hubs[0] in near_o | near_d if len(hubs) == 1
                  else hubs[0] in near_o and hubs[1] in near_d)
            if not ok:
                out.append(Note(f"route: {where} uses a hub outside the k_nearest = {kn} hubs "
                                f"of its ends (a pruning rule, not verified as a constraint)"))
    for u in f.used:  # a used route needs a vehicle type for each leg
        for a, b, role in path_legs(u.path):
            if not f.eligible(u.commodity, a, b, role):
                out.append(Violation("route", f"demand '{u.demand}' path '{';'.join(u.path)}': "
                                     f"no vehicle type may carry '{u.commodity}' on {role} leg "
                                     f"'{a}'→'{b}'"))
                break
    return out


def check_lanes(f: Facts) -> list[Finding]:
    """``lane``: every leg of a path, load, trip and empty trip has a lane (finite km)."""
    out = list(f.problems["lane"])
    for r in f.flows:
        if r.path is None:
            continue
        where = f"demand '{r.demand}' period '{r.period}' path '{r.path_text}'"
        for a, b, _ in path_legs(r.path):
            if not math.isfinite(f.lanes.distance(a, b)):
                out.append(Violation("lane", f"{where} uses '{a}'→'{b}', which has no lane"))
    return out


def check_partners(f: Facts) -> list[Finding]:
    """``partner``: directed flows have none; a pooled flow's partner accepts (supplies) the
    commodity, sits at the flow's destination (origin), is open when it is a site/hub node,
    and is the baseline partner under the baseline_partners switch."""
    out: list[Finding] = []
    for r in f.flows:
        dem = f.sc.demands[r.demand]
        if dem.kind == "directed":
            if r.partner:
                out.append(Violation("partner", f"directed demand '{r.demand}' row {r.i} names "
                                     f"partner '{r.partner}' (directed flows have none)"))
        else:
            out += partner_of(f, r)[0]
    return out


def check_partner_capacity(f: Facts) -> list[Finding]:
    """``partner capacity``: Σ tonnes per pooled partner, node, commodity, period and side ≤
    its accept_k (supply_k)."""
    out: list[Finding] = []
    for (partner, n, k, p, side), t in sorted(f.intake.items()):
        rec = f.sc.nodes[partner[1:]] if partner.startswith("@") else f.sc.activities[partner]
        cap = accept_cap(rec, k, p) if side == "accept" else rec.supply.get(k, 0.0)
        if t > cap + f.slack(cap):
            out.append(Violation("partner capacity", f"'{partner}' at '{n}' period '{p}' "
                                 f"{'takes in' if side == 'accept' else 'delivers'} {fmt(t)} t "
                                 f"of '{k}' > {side}_{k} {fmt(cap)}", (partner, n, k, p), t,
                                 cap))
    return out


def check_unserved(f: Facts) -> list[Finding]:
    """``unserved``: disposal only for pooled supply, shortage only for pooled demand, only
    when the commodity prices it, at the node of the fixed end."""
    sc, out = f.sc, list(f.problems["unserved"])
    for r in f.unserved:
        dem = sc.demands[r.demand]
        where = f"'{r.demand}' period '{r.period}'"
        if dem.kind == "directed":
            out.append(Violation("unserved", f"directed demand {where} has {fmt(r.tonnes)} t "
                                 f"{r.kind} (only pooled demands may)"))
            continue
        _, want_kind, penalty_attr = POOLED[dem.kind]
        if not r.valid:
            out.append(Violation("unserved", f"{dem.kind} {where} has kind '{r.kind}', "
                                 f"expected '{want_kind}'"))
            continue
        if getattr(sc.commodities[dem.commodity], penalty_attr) is None and \
                r.tonnes > f.slack(0):
            out.append(Violation("unserved", f"{where} sends {fmt(r.tonnes)} t to {r.kind} but "
                                 f"commodity '{dem.commodity}' has no {penalty_attr}"))
        end = dem.origin if dem.kind == "pooled_supply" else dem.destination
        if end in f.place and r.node != f.place[end]:
            out.append(Violation("unserved", f"{where} {r.kind} at '{r.node}' but '{end}' is at "
                                 f"'{f.place[end]}'"))
    return out


def check_demand(f: Facts) -> list[Finding]:
    """``demand``: directed Σ flows = q[c, p]; pooled Σ flows + unserved = q[c, p]."""
    out: list[Finding] = []
    for c in sorted(f.demands_in_play):
        dem = f.sc.demands[c]
        for p in f.w:
            q, got = dem.tonnes[p], f.total.get((c, p), 0.0)
            if abs(got - q) > f.slack(q):
                what = (f"'{c}' period '{p}' flows" if dem.kind == "directed" else
                        f"pooled '{c}' period '{p}' flows + {POOLED[dem.kind][1]}")
                out.append(Violation("demand", f"{what} sum to {fmt(got)} t, expected {fmt(q)}",
                                     (c, p), got, q))
    return out


def check_loads(f: Facts) -> list[Finding]:
    """``load``: Σ_v load[p, i, j, k, owner, role, v] = the flows over that leg and role."""
    out = list(f.problems["load"])
    for key in sorted(set(f.loadsum) | set(f.legflow)):
        got, want = f.loadsum.get(key, 0.0), f.legflow.get(key, 0.0)
        if abs(got - want) > f.slack(want):
            p, a, b, k, owner, role = key
            who = f" owner '{owner}'" if owner else ""
            out.append(Violation("load", f"period '{p}' {role} leg '{a}'→'{b}' commodity "
                                 f"'{k}'{who}: vehicle loads sum to {fmt(got)} t, flows to "
                                 f"{fmt(want)}", key, got, want))
    return out


def check_owners(f: Facts) -> list[Finding]:
    """``owner``: shared trips (bundling on) have no owner; per-demand trips name their
    demand."""
    out: list[Finding] = []
    for r in (*f.loads, *f.trips):
        if f.bundling and r.owner != "":
            out.append(Violation("owner", f"{r.table} row {r.i} has owner '{r.owner}' but trips "
                                 f"are shared (bundling on: owner must be empty)"))
        elif not f.bundling and r.owner not in f.sc.demands \
                and processor_of(f.sc, r.owner) is None:
            out.append(Violation("owner", f"{r.table} row {r.i} has owner '{r.owner}' but trips "
                                 f"are per demand (bundling off: owner must be a demand id)"))
    return out


def _vehicle_findings(f: Facts, r: LegRow, load_class: str | None) -> list[Violation]:
    vt, what, i, vid = r.vt, r.table, r.i, r.vid
    out = []
    if vt.mode == "internal":
        out.append(Violation("vehicle", f"{what} row {i} vehicle '{vid}' is internal (no road "
                             f"leg)"))
    if f.allowed is not None and vid not in f.allowed:
        out.append(Violation("vehicle", f"{what} row {i} vehicle '{vid}' is not among the "
                             f"allowed vehicles {sorted(f.allowed)}"))
    for n in (r.a, r.b):
        if vt.mode not in f.sc.nodes[n].modes:
            out.append(Violation("vehicle", f"{what} row {i} vehicle '{vid}' (mode {vt.mode}) "
                                 f"cannot use node '{n}' (modes {f.sc.nodes[n].modes})"))
    if load_class is not None and not vt.carries(load_class):
        out.append(Violation("vehicle", f"{what} row {i} vehicle '{vid}' may not carry load "
                             f"class '{load_class}'"))
    return out


def check_vehicles(f: Facts) -> list[Finding]:
    """``vehicle``: each vehicle of a load, trip or empty trip is allowed, not internal, has
    its mode at both nodes, may carry the load class, and runs only on the legs its ``legs``
    rule allows (hub: legs of hub routes; transfer: hub-to-hub legs)."""
    out: list[Finding] = []
    for r in f.loads:
        if r.vt is None:
            continue
        out += _vehicle_findings(f, r, f.sc.commodities[r.commodity].load_class)
        if not leg_allowed(r.vt.legs, r.role):
            out.append(Violation("vehicle", f"loads row {r.i} vehicle '{r.vid}' runs only on "
                                 f"{r.vt.legs} legs but carries on a {r.role} leg "
                                 f"'{r.a}'→'{r.b}'"))
    for r in f.trips:
        if r.vt is not None:
            out += _vehicle_findings(f, r, r.load_class)
    for r in f.empties:
        if r.vt is not None:
            out += _vehicle_findings(f, r, None)
    return out


def check_trips(f: Facts) -> list[Finding]:
    """``trips``: trips are finite and ≥ 0, only for trip-priced vehicle types."""
    out = list(f.problems["trips"])
    for r in f.trips:
        if r.vt is not None and r.vt.pricing != "trip":
            out.append(Violation("trips", f"row {r.i} vehicle '{r.vid}' is tariff-priced and "
                                 f"has no trips"))
    return out


def check_integrality(f: Facts) -> list[Finding]:
    """``integrality``: trips whole numbers (1e-6 absolute)."""
    return [Violation("integrality", f"trips period '{r.period}' {r.a}→{r.b} '{r.vid}' class "
                      f"'{r.load_class}' = {r.trips!r} is not an integer",
                      (r.period, r.a, r.b, r.vid, r.load_class), r.trips, round(r.trips))
            for r in f.trips if abs(r.trips - round(r.trips)) > INT_TOL]


def _trip_priced(f: Facts) -> list[LegRow]:
    return [r for r in f.trips if r.vt is not None and r.vt.pricing == "trip"]


def rho_of(f: Facts, r: LegRow) -> float:
    """ρ of a trip row: ρ_gate = e/(1−e) on gateway legs, else the empty-running rule's ρ."""
    return f.rho_gateway if r.a in f.gateways or r.b in f.gateways else f.rho_rule


def check_implicit_empty(f: Facts) -> list[Finding]:
    """``implicit_empty``: each trip row carries the ρ of its leg (see :func:`rho_of`)."""
    out: list[Finding] = []
    for r in _trip_priced(f):
        want = rho_of(f, r)
        if not (abs(r.rho - want) <= INT_TOL * max(1.0, want)):
            out.append(Violation("implicit_empty", f"trips period '{r.period}' {r.a}→{r.b} "
                                 f"'{r.vid}' class '{r.load_class}' has ρ = {r.rho}, expected "
                                 f"{fmt(want)}", (r.period, r.a, r.b, r.vid), r.rho, want))
    return out


def check_market(f: Facts) -> list[Finding]:
    """``market``: 0 ≤ market_trips ≤ trips; all trips when unbundled or at a gateway."""
    out: list[Finding] = []
    for r in _trip_priced(f):
        if r.market_bad:
            why = ("all of them (trips per demand)" if not f.bundling else
                   "all of them (a gateway leg)" if r.all_market else "between 0 and trips")
            out.append(Violation("market", f"trips period '{r.period}' {r.a}→{r.b} '{r.vid}' "
                                 f"class '{r.load_class}' has {r.market_text} of "
                                 f"{fmt(r.trips)} trips closed by the market, expected {why}"))
    return out


def check_trip_capacity(f: Facts) -> list[Finding]:
    """``trip capacity (mass|volume|pallets)``: trips[key] ≥ tonnes / payload, m³ / volume,
    pallets / pallet places of the loads of that trip key."""
    return _capacity(f, "trip capacity", "trips", f.class_load, f.tripsum,
                     lambda vt: (vt.payload_t, vt.volume_m3, vt.pallets))


def _capacity(f: Facts, rule: str, counted: str, loads: dict, counts: dict,
              caps) -> list[Finding]:
    """``<rule> (mass|volume|pallets)``: for every key of ``loads`` (tonnes, m³,
    pallets) the ``counts`` (trips or units) ≥ each amount ÷ the vehicle's capacity in that
    dimension, ``caps(vt)`` = (t, m³, pallets), a missing capacity not binding."""
    out: list[Finding] = []
    for key, amounts in sorted(loads.items()):
        p, a, b, vid, g, owner = key
        have = counts.get(key, 0.0)
        for kind, amount, cap in zip(("mass", "volume", "pallets"), amounts,
                                     caps(f.sc.vehicles[vid])):
            if not cap:
                continue
            q = amount / cap
            if have < q - f.slack(q):
                who = f" owner '{owner}'" if owner else ""
                out.append(Violation(f"{rule} ({kind})", f"period '{p}' leg "
                                     f"'{a}'→'{b}' vehicle '{vid}' class '{g}'{who}: "
                                     f"{fmt(have)} {counted} < {fmt(q)} needed", key, have, q))
    return out


def check_units(f: Facts) -> list[Finding]:
    """``units`` and ``unit capacity (mass|volume|pallets)``: load units only of tariff types
    that name a load unit, whole numbers, and per leg, type, load class, period and owner
    units ≥ tonnes / unit_payload_t, ≥ m³ / unit_volume_m3 (m³ = t / density), ≥ pallets /
    unit_pallets (pallets = t · pallets_per_t), recomputed from the loads."""
    out = list(f.problems["units"])
    for r in f.units:
        if r.vt is not None and load_unit(r.vt) is None:
            out.append(Violation("units", f"row {r.i} vehicle '{r.vid}' names no load unit "
                                 f"and has no units"))
        if abs(r.trips - round(r.trips)) > INT_TOL:
            out.append(Violation("units", f"units period '{r.period}' {r.a}→{r.b} '{r.vid}' "
                                 f"class '{r.load_class}' = {r.trips!r} is not an integer",
                                 (r.period, r.a, r.b, r.vid, r.load_class), r.trips,
                                 round(r.trips)))
    return out + _capacity(f, "unit capacity", "units", f.unit_load, f.unitsum, load_unit)


def check_departures(f: Facts) -> list[Finding]:
    """``departures``: a scheduled tariff type (``departures_per_period`` D,
    ``units_per_departure`` U) carries on each leg and period at most D · U load units. The
    units counted are the larger of those written and those its loads need, recomputed: Σ
    over load classes of ⌈max(t / unit_t, m³ / unit_m³, pallets / unit_pallets)⌉, so a
    solution cannot pass by writing too few units."""
    written: dict[tuple, float] = defaultdict(float)
    needed: dict[tuple, float] = defaultdict(float)
    for (p, a, b, vid, _g, _o), n in f.unitsum.items():
        written[p, a, b, vid] += n
    for (p, a, b, vid, _g, _o), amounts in f.unit_load.items():
        q = max((x / c for x, c in zip(amounts, load_unit(f.sc.vehicles[vid])) if c),
                default=0.0)
        needed[p, a, b, vid] += math.ceil(q - f.slack(q))
    out: list[Finding] = []
    for key in sorted(set(written) | set(needed)):
        p, a, b, vid = key
        vt = f.sc.vehicles[vid]
        if vt.departures_per_period is None or vt.units_per_departure is None:
            continue
        limit = vt.departures_per_period * vt.units_per_departure
        n = max(written.get(key, 0.0), needed.get(key, 0.0))
        if n > limit + f.slack(limit):
            out.append(Violation("departures", f"period '{p}' leg '{a}'→'{b}' vehicle "
                                 f"'{vid}': {fmt(n)} load units > "
                                 f"{fmt(vt.departures_per_period)} departures × "
                                 f"{fmt(vt.units_per_departure)} units = {fmt(limit)}",
                                 key, n, limit))
    return out


def check_frequency(f: Facts) -> list[Finding]:
    """``frequency``: a used direct leg of a directed demand with m shipments per period,
    where every vehicle type that may carry it is trip-priced: Σ trips of its load class
    (all vehicle types, its owner) + the runs of tours visiting the leg's stop ≥ m in that
    period."""
    sc, out = f.sc, []
    by_leg: dict[tuple, float] = defaultdict(float)
    for (p, a, b, _vid, g, owner), n in f.tripsum.items():
        by_leg[p, a, b, g, owner] += n
    visits = f.tour_visits  # a tour run visits its stop: a shipment of the stop's leg
    seen = set()
    for u in f.used:
        dem = sc.demands[u.demand]
        if dem.kind != "directed" or len(u.path) != 2:
            continue
        m = dem.shipments_per_period or sc.commodities[u.commodity].shipments_per_period
        a, b = u.path
        key = (u.demand, u.period, a, b)
        if not m or key in seen:
            continue
        seen.add(key)
        el = f.eligible(u.commodity, a, b, "direct")
        if not el or any(vt.pricing != "trip" for vt in el):
            continue  # a tariff carrier ships as often as asked
        g = sc.commodities[u.commodity].load_class
        have = by_leg.get((u.period, a, b, g, u.owner), 0.0) + visits.get((u.period, a, b, g),
                                                                           0.0)
        if have < m - f.slack(m):
            who = f" owner '{u.owner}'" if u.owner else ""
            out.append(Violation("frequency", f"demand '{u.demand}' period '{u.period}' leg "
                                 f"'{a}'→'{b}' class '{g}'{who}: {fmt(have)} trips < {fmt(m)} "
                                 f"shipments per period", key, have, m))
    return out


def check_transit(f: Facts) -> list[Finding]:
    """``transit``: a used path of a commodity with max_transit_h takes Σ legs at the fastest
    eligible vehicle type + Σ hub handling_h ≤ the limit; when the vehicle types actually
    loaded are slower and exceed it, that is noted."""
    sc, out = f.sc, []
    seen, slow_noted = set(), set()
    for u in f.used:
        limit = sc.commodities[u.commodity].max_transit_h
        key = (u.demand, u.period, tuple(u.path))
        if limit is None or key in seen:
            continue
        seen.add(key)
        hours = actual = sum(sc.nodes[h].handling_h for h in u.path[1:-1])
        for a, b, role in path_legs(u.path):
            el = f.eligible(u.commodity, a, b, role)
            if not el:  # the route rule reports it
                hours = math.nan
                break
            hours += min(f.lanes.time(a, b, vt.speed_kmh, vt.mode) for vt in el)
            vids = f.leg_vehicles.get((u.period, a, b, u.commodity, u.owner, role), ())
            actual += max((f.lanes.time(a, b, sc.vehicles[v].speed_kmh, sc.vehicles[v].mode)
                           for v in vids), default=0.0)
        if not math.isfinite(hours):
            continue
        route = f"demand '{u.demand}' period '{u.period}' path '{';'.join(u.path)}'"
        if hours > limit + f.slack(limit):
            out.append(Violation("transit", f"{route} takes {fmt(hours)} h at the fastest "
                                 f"eligible vehicles > max_transit_h {fmt(limit)} of "
                                 f"'{u.commodity}'", key, hours, limit))
        elif actual > limit + f.slack(limit) and key[:1] + key[2:] not in slow_noted:
            slow_noted.add(key[:1] + key[2:])
            out.append(Note(f"transit: {route} fits max_transit_h {fmt(limit)} at the fastest "
                            f"eligible vehicles, but the slowest vehicle types loaded on its "
                            f"legs take {fmt(actual)} h"))
    return out


def check_empties(f: Facts) -> list[Finding]:
    """``empties``: explicit empty trips ≥ 0, none when unbundled, only of trip-priced
    vehicle types."""
    out = list(f.problems["empties"])
    for r in f.empties:
        if r.vt is not None and r.vt.pricing != "trip":
            out.append(Violation("empties", f"row {r.i} vehicle '{r.vid}' is tariff-priced and "
                                 f"has no trips"))
    return out


def check_balance(f: Facts) -> list[Finding]:
    """``balance`` (bundling on): per trip-priced vehicle type, period and non-gateway node,
    Σ out (trips − market_trips + empties) = Σ in."""
    if not f.bundling:
        return []
    out: list[Finding] = []
    for (vid, p, node), (o, i) in sorted(f.balance.items()):
        if abs(o - i) > f.slack(i):
            out.append(Violation("balance", f"vehicle '{vid}' period '{p}' node '{node}': "
                                 f"{fmt(o)} trips out (loaded + empty) ≠ {fmt(i)} in",
                                 (vid, p, node), o, i))
    return out


def check_products(f: Facts) -> list[Finding]:
    """``product``: a processor (node or activity with ``process_input`` k and ``yield_o`` y)
    at node n puts out, per period p, Σ product flows + product disposal = y · Σ the tonnes
    of k it takes in at n (the pooled flows into it); every product flow leaves the
    processor's node for an acceptor of the product at the flow's destination (open, when it
    is a site), and product disposal has kind 'disposal'."""
    sc, out = f.sc, list(f.problems["product"])
    made: dict[tuple, float] = defaultdict(float)
    for (partner, n, k, p, side), t in f.intake.items():
        rec = sc.nodes.get(partner[1:]) if partner.startswith("@") else \
            sc.activities.get(partner)
        if side == "accept" and rec is not None and rec.process_input == k:
            for o, y in rec.yields.items():
                made[f"{partner}>{o}", n, p] += y * t
    for key in sorted(set(made) | set(f.product_out)):
        want, got = made.get(key, 0.0), f.product_out.get(key, 0.0)
        if abs(got - want) > f.slack(want):
            pid, n, p = key
            out.append(Violation("product", f"'{pid}' at '{n}' period '{p}': product flows + "
                                 f"disposal {fmt(got)} t ≠ yield × intake {fmt(want)} t", key,
                                 got, want))
    for r in f.products:
        proc, rec, o = processor_of(sc, r.demand)
        here = proc[1:] if proc.startswith("@") else f.place.get(proc)
        where = f"product '{r.demand}' period '{r.period}' row {r.i}"
        if r.origin != here:
            out.append(Violation("product", f"{where} leaves '{r.origin}', not the "
                                 f"processor's node '{here}'"))
        acc = sc.nodes.get(r.partner[1:]) if r.partner.startswith("@") else \
            sc.activities.get(r.partner)
        at = r.partner[1:] if r.partner.startswith("@") else f.place.get(r.partner)
        if acc is None or acc.accept.get(o, 0.0) <= 0:
            out.append(Violation("product", f"{where}: '{r.partner}' does not accept '{o}'"))
        elif at != r.dest:
            out.append(Violation("product", f"{where}: acceptor '{r.partner}' is at '{at}', not "
                                 f"at the flow's destination '{r.dest}'"))
        elif r.partner.startswith("@") and sc.nodes[at].kind in ("site", "hub") and r.used \
                and not f.is_open(at):
            out.append(Violation("product", f"{where}: acceptor {sc.nodes[at].kind} '{at}' is "
                                 f"closed"))
    for r in f.product_rest:
        if not r.valid:
            out.append(Violation("product", f"product '{r.demand}' period '{r.period}' has "
                                 f"kind '{r.kind}', expected 'disposal'"))
    return out


# the rules, each run on the same facts; their order is only the order of the report
def check_tours(f: Facts) -> list[Finding]:
    """``tours``: each tour runs a whole number of times from its depot through distinct
    stops (none the depot, every node with the vehicle's mode) back to the depot, by a
    trip-priced vehicle type allowed in the evaluation that carries its load class; its km
    and hours per run are those of the lanes (driving + stop_h per stop + the vehicle's
    handling), stop_h is at least every toured commodity's ``tour_stop_h``, and hours ≤
    ``max_tour_h``. Each tour_loads row takes, at a stop of its tour, a commodity of the
    tour's load class and direction from that stop's direct leg (stop → depot to collect,
    depot → stop to deliver); Σ over tours ≤ the leg's direct load by that vehicle type (the
    rest is for its trips, ``trip capacity``); per tour Σ taken ≤ runs × payload (m³, pallet
    places likewise)."""
    sc, out = f.sc, list(f.problems["tours"])
    for r in f.tours.values():
        where = f"tour '{r.tour}' period '{r.period}'"
        vt = r.vt
        if vt is None:
            continue
        if abs(r.runs - round(r.runs)) > INT_TOL:
            out.append(Violation("tours", f"{where}: runs {r.runs!r} is not an integer",
                                 (r.period, r.tour), r.runs, round(r.runs)))
        if r.direction not in ("collect", "deliver"):
            out.append(Violation("tours", f"{where}: direction '{r.direction}'"))
            continue
        if vt.pricing != "trip" or not vt.carries(r.load_class) or (
                f.allowed is not None and r.vid not in f.allowed):
            out.append(Violation("tours", f"{where}: vehicle '{r.vid}' may not run it (trip "
                                 f"pricing, load class '{r.load_class}', allowed types)"))
        if len(set(r.stops)) != len(r.stops) or r.depot in r.stops or not r.stops:
            out.append(Violation("tours", f"{where}: stops {r.stops} must be distinct and "
                                 f"not the depot '{r.depot}'"))
            continue
        if any(vt.mode not in sc.nodes[n].modes for n in r.path):
            out.append(Violation("tours", f"{where}: a node lacks mode '{vt.mode}'"))
            continue
        legs = list(zip(r.path, r.path[1:]))
        km = sum(f.lanes.distance(a, b, vt.mode) for a, b in legs)
        hours = sum(f.lanes.time(a, b, vt.speed_kmh, vt.mode) for a, b in legs) \
            + r.stop_h * len(r.stops) + vt.handling_h_per_trip
        for what, mine, theirs in (("km", km, r.km), ("hours", hours, r.hours)):
            if not (abs(mine - theirs) <= f.slack(mine)):
                out.append(Violation("tours", f"{where}: {what} per run {fmt(theirs)}, the "
                                     f"lanes give {fmt(mine)}", (r.period, r.tour), theirs,
                                     mine))
        if hours > vt.max_tour_h + f.slack(vt.max_tour_h):
            out.append(Violation("tours", f"{where}: {fmt(hours)} h > max_tour_h "
                                 f"{fmt(vt.max_tour_h)}", (r.period, r.tour), hours,
                                 vt.max_tour_h))
        for n, (amount, cap) in enumerate(zip(r.taken, (vt.payload_t, vt.volume_m3,
                                                          vt.pallets))):
            if cap and amount > r.runs * cap + f.slack(r.runs * cap):
                side = ("mass", "volume", "pallets")[n]
                out.append(Violation("tours", f"{where}: takes {fmt(amount)} ({side}) > "
                                     f"{fmt(r.runs)} runs × {fmt(cap)}", (r.period, r.tour),
                                     amount, r.runs * cap))
    for t in f.tour_loads:
        r = f.tours[t.period, t.tour]
        com = sc.commodities[t.commodity]
        where = f"tour_loads row {t.i} (tour '{t.tour}' period '{t.period}')"
        leg = (t.stop, r.depot) if r.direction == "collect" else (r.depot, t.stop)
        if t.stop not in r.stops or (t.a, t.b) != leg:
            out.append(Violation("tours", f"{where}: stop '{t.stop}' leg {t.a}→{t.b} is not "
                                 f"a stop of the tour on its direct leg"))
        if com.load_class != r.load_class or com.tour != r.direction:
            out.append(Violation("tours", f"{where}: commodity '{t.commodity}' (class "
                                 f"'{com.load_class}', tour '{com.tour}') may not ride it"))
        if r.stop_h < com.tour_stop_h - f.slack(com.tour_stop_h):
            out.append(Violation("tours", f"{where}: stop_h {fmt(r.stop_h)} < the "
                                 f"commodity's tour_stop_h {fmt(com.tour_stop_h)}"))
    direct: dict[tuple, float] = defaultdict(float)
    for r in f.loads:
        if r.role == "direct":
            direct[r.period, r.a, r.b, r.commodity, r.vid, r.owner] += r.tonnes
    for key, t in sorted(f.toured.items()):
        have = direct.get(key, 0.0)
        if t > have + f.slack(have):
            p, a, b, k, vid, owner = key
            out.append(Violation("tours", f"period '{p}' leg '{a}'→'{b}' '{k}' by '{vid}'"
                                 f"{' owner ' + repr(owner) if owner else ''}: tours take "
                                 f"{fmt(t)} t of a direct load of {fmt(have)} t", key, t, have))
    return out


RULES: tuple[Callable[[Facts], list[Finding]], ...] = (
    check_tables, check_switches, check_sites, check_placement, check_capacity,
    check_facilities, check_flows, check_routes, check_lanes, check_partners,
    check_partner_capacity, check_unserved, check_demand, check_loads, check_owners,
    check_vehicles, check_trips, check_integrality, check_implicit_empty, check_market,
    check_trip_capacity, check_units, check_departures, check_frequency, check_transit,
    check_empties, check_balance, check_products, check_tours)

__all__ = ["RULES", "ROLES", "facility_users", "rho_of"]

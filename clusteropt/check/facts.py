"""What the checker reads: the evaluation's context and the solution tables as clean records.

``read(sc, lanes, sol, tol)`` returns :class:`Facts`, built once and never changed afterwards,
so that every rule in :mod:`clusteropt.check.rules` reads the same facts and the rules can run
in any order. A row that cannot be read (an unknown id, period or node, a missing column, a
negative or non-finite amount) is not a record: the problem is filed under the rule it breaks
(``table``, ``flow``, ``load`` …) in ``Facts.problems``, and that rule reports it.

Aggregates several rules need are computed here from the records, by one definition each:
``legflow`` (tonnes per period, leg, commodity, owner and role, from the flows' paths),
``loadsum`` (the same key, from the vehicle loads), ``class_load`` (tonnes, m³ and pallets per
trip key of trip-priced vehicles), ``tripsum`` (trips per trip key), ``unit_load`` and
``unitsum`` (the same for the load units of tariff types that name one), ``balance`` (loaded trips
not closed by the market plus empties, out and in, per vehicle, period and node), ``total``
(flows + unserved per demand and period), ``intake`` (pooled tonnes per partner, node,
commodity, period and side) and ``used`` (routes used in a period).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clusteropt.lanes import Lanes
from clusteropt.scenario import Scenario, VehicleType
from clusteropt.solution import Solution

INT_TOL = 1e-6
TABLE_COLS = {
    "flows": ("demand", "period", "origin_node", "dest_node", "commodity", "tonnes", "path",
              "partner"),
    "loads": ("period", "from", "to", "commodity", "vehicle", "owner", "tonnes", "role"),
    "trips": ("period", "from", "to", "vehicle", "load_class", "owner", "trips",
              "market_trips", "implicit_empty_per_trip"),
    "empties": ("period", "from", "to", "vehicle", "trips"),
    "unserved": ("demand", "period", "kind", "node", "tonnes"),
    "facilities": ("facility", "site", "modules", "connected"),
    "units": ("period", "from", "to", "vehicle", "load_class", "owner", "units"),
    "tours": ("period", "tour", "depot", "vehicle", "direction", "load_class", "stops", "runs",
              "km", "hours", "stop_h"),
    "tour_loads": ("period", "tour", "stop", "from", "to", "commodity", "owner", "tonnes"),
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


class Note(str):
    """An observation a rule makes that is not a violation (e.g. a pruning rule not met)."""


def fmt(x: float) -> str:
    return f"{x:.6g}"


def text(v: Any) -> str:
    """An optional id cell (owner, partner, path): '' for empty/NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def leg_allowed(legs: str, role: str) -> bool:
    """Vehicle rule: 'any' leg; 'hub': legs of hub routes only (not direct); 'transfer':
    hub-to-hub legs only."""
    return legs == "any" or (legs == "hub" and role != "direct") or role == "transfer"


def path_legs(path: list[str]) -> list[tuple[str, str, str]]:
    """(i, j, role) of the legs of a path (its consecutive node pairs with i ≠ j)."""
    roles = PATH_ROLES[len(path)]
    return [(path[n], path[n + 1], role) for n, role in enumerate(roles)
            if path[n] != path[n + 1]]


# ---- records ---------------------------------------------------------------------------------

@dataclass
class FlowRow:
    """A readable flows row: demand c, period p, nodes o → d, tonnes t ≥ 0. ``path`` is None
    when it cannot be read (not 2–4 nodes, or unknown nodes); ``used``: t above the noise
    threshold tol · max(1, q)."""

    i: int
    demand: str
    period: str
    origin: str
    dest: str
    commodity: str
    tonnes: float
    path_text: str
    path: list[str] | None
    partner: str
    used: bool
    noise: bool


@dataclass
class UnservedRow:
    """A readable unserved row; ``valid`` when its demand is pooled and the kind is the
    demand's (disposal for pooled supply, shortage for pooled demand)."""

    i: int
    demand: str
    period: str
    kind: str
    node: str
    tonnes: float
    valid: bool


@dataclass
class LegRow:
    """A readable loads, trips or empties row on a real leg a → b (a ≠ b, with a lane).
    ``vt`` is None for an unknown vehicle. Loads: ``commodity``, ``role``, ``tonnes``. Trips:
    ``load_class``, ``trips``, ``market`` (as written), ``market_used`` (clamped to [0, trips],
    all trips where the market closes them all), ``rho``. Empties: ``trips``."""

    table: str
    i: int
    period: str
    a: str
    b: str
    vid: str
    vt: VehicleType | None
    owner: str = ""
    commodity: str = ""
    role: str = ""
    tonnes: float = 0.0
    load_class: str = ""
    trips: float = 0.0
    market: float = 0.0
    market_used: float = 0.0
    rho: float = 0.0
    market_text: str = ""
    market_bad: bool = False
    all_market: bool = False


@dataclass
class TourRow:
    """A readable tours row: ``path`` is depot, stops…, depot; ``runs`` per period; ``km``
    and ``hours`` per run as written; ``taken`` the tonnes (and m³, pallet places) of its
    tour_loads rows."""

    i: int
    period: str
    tour: str
    depot: str
    vid: str
    vt: VehicleType | None
    direction: str
    load_class: str
    stops: list[str]
    runs: float
    km: float
    hours: float
    stop_h: float
    taken: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    @property
    def path(self) -> list[str]:
        return [self.depot, *self.stops, self.depot]


@dataclass
class TourLoadRow:
    i: int
    period: str
    tour: str
    stop: str
    a: str
    b: str
    commodity: str
    owner: str
    tonnes: float


@dataclass
class FacilityRow:
    i: int
    facility: str
    site: str
    modules: float
    connected: list[str]


@dataclass
class Used:
    """A used route in one period: what the frequency and transit checks need."""

    demand: str
    period: str
    path: list[str]
    commodity: str
    owner: str


# ---- the facts -------------------------------------------------------------------------------

@dataclass
class Facts:
    """The evaluation (switches resolved against the scenario) and the solution as records."""

    sc: Scenario
    lanes: Lanes
    sol: Solution
    tol: float
    w: dict[str, float]
    bundling: bool
    empty_rule: str
    rho_gateway: float
    rho_rule: float
    allowed: set[str] | None
    exclude_new: bool
    baseline_partners: bool
    fixed_place: dict[str, str]
    fixed_open: dict[str, int]
    gateways: set[str]
    hubs: list[str]
    hubs_available: list[str]
    role_factor: dict[str, float]
    in_play: set[str]
    demands_in_play: set[str]
    place: dict[str, str] = field(default_factory=dict)
    flows: list[FlowRow] = field(default_factory=list)
    unserved: list[UnservedRow] = field(default_factory=list)
    loads: list[LegRow] = field(default_factory=list)
    trips: list[LegRow] = field(default_factory=list)
    empties: list[LegRow] = field(default_factory=list)
    units: list[LegRow] = field(default_factory=list)  # trips holds the units
    facilities: list[FacilityRow] = field(default_factory=list)
    problems: dict[str, list[Violation]] = field(default_factory=lambda: defaultdict(list))
    legflow: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    loadsum: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    class_load: dict[tuple, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
    leg_vehicles: dict[tuple, set[str]] = field(default_factory=lambda: defaultdict(set))
    tripsum: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    unit_load: dict[tuple, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
    unitsum: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    balance: dict[tuple, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))
    total: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    intake: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    products: list[FlowRow] = field(default_factory=list)  # flows of processors' products
    product_rest: list[UnservedRow] = field(default_factory=list)  # products disposed
    product_out: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    used: list[Used] = field(default_factory=list)
    tours: dict[tuple[str, str], TourRow] = field(default_factory=dict)  # (period, tour) →
    tour_loads: list[TourLoadRow] = field(default_factory=list)
    toured: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    tour_visits: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    _near: dict[str, set[str]] = field(default_factory=dict)

    def problem(self, rule: str, message: str) -> None:
        self.problems[rule].append(Violation(rule, message))

    def slack(self, rhs: float) -> float:
        """The tolerance of a row: tol · max(1, |rhs|)."""
        return self.tol * max(1.0, abs(rhs))

    def is_open(self, s: str) -> int:
        """1 if site/hub s is open: its value in ``open_sites``, else whether it is fixed
        open."""
        if s in self.sol.open_sites:
            return 1 if num(self.sol.open_sites[s]) > 0.5 else 0
        return self.fixed_open.get(s, 0)

    def site_cost(self, s: str) -> float:
        """Annual cost of an open site or hub: annuity(dev_cost) + opex + fixed, €/yr."""
        n = self.sc.nodes[s]
        return self.sc.annuity(n.dev_cost_eur) + n.opex_eur_per_yr + n.fixed_cost_eur_per_yr

    def eligible(self, k: str, a: str, b: str, role: str) -> list[VehicleType]:
        """Vehicle types that may carry commodity k on leg a→b in this role."""
        lc = self.sc.commodities[k].load_class
        na, nb = self.sc.nodes[a], self.sc.nodes[b]
        return [vt for v, vt in self.sc.vehicles.items()
                if (self.allowed is None or v in self.allowed) and vt.mode != "internal"
                and vt.carries(lc) and leg_allowed(vt.legs, role)
                and vt.mode in na.modes and vt.mode in nb.modes]

    def nearest(self, n: str, kn: int) -> set[str]:
        """Hubs among the k nearest to node n (ties: every hub with fewer than k hubs
        strictly nearer)."""
        if n not in self._near:
            dist = sorted(self.lanes.distance(n, h) for h in self.hubs_available)
            cut = dist[kn - 1] if 0 < kn <= len(dist) else (math.inf if kn > 0 else -math.inf)
            self._near[n] = {h for h in self.hubs_available
                             if self.lanes.distance(n, h) <= cut + 1e-9}
        return self._near[n]

    def leg_rates(self, vt: VehicleType, a: str, b: str) -> tuple[float, float, float]:
        """(km, cost of a loaded trip, cost of an empty trip, toll of either) on leg a→b, € per
        trip; the toll: ``toll_eur_per_km`` on every km + ``toll_rate_eur_per_km`` on the
        lane's tolled share of them."""
        km = self.lanes.distance(a, b, vt.mode)
        h = self.lanes.time(a, b, vt.speed_kmh, vt.mode)
        empty = vt.cost_eur_per_km * km + vt.cost_eur_per_h * h
        toll = km * vt.toll_eur_per_km + km * self.lanes.toll_share(a, b) * \
            vt.toll_rate_eur_per_km
        return km, empty + vt.cost_eur_per_h * vt.handling_h_per_trip, empty, toll


def processor_of(sc: Scenario, pid: str) -> tuple[str, Any, str] | None:
    """(processor partner id, its record, product) of a product id 'processor>product'
    ('@node' for a node), or None when pid names no processor's product."""
    proc, _, o = pid.rpartition(">")
    rec = (sc.nodes.get(proc[1:]) if proc.startswith("@") else sc.activities.get(proc)) \
        if proc else None
    if rec is None or o not in rec.yields:
        return None
    return proc, rec, o


def accept_cap(rec, k: str, p: str) -> float:
    """accept_k of a pooled acceptor (node or activity) in period p: 0 outside its
    ``intake_periods``."""
    if rec.intake_periods is not None and p not in rec.intake_periods:
        return 0.0
    return rec.accept.get(k, 0.0)


def partner_of(f: Facts, r: FlowRow) -> tuple[list[Violation], bool]:
    """The problems with a pooled flow's partner, and whether its tonnes count against the
    partner's capacity (a known partner that accepts/supplies the commodity and is placed)."""
    sc, dem = f.sc, f.sc.demands[r.demand]
    side = POOLED[dem.kind][0]
    k, partner = dem.commodity, r.partner
    end, end_what = (r.dest, "destination") if dem.kind == "pooled_supply" else \
        (r.origin, "origin")
    verb = "accept" if side == "accept" else "supply"
    where = f"pooled demand '{r.demand}' period '{r.period}' row {r.i}"
    out: list[Violation] = []
    if not partner:
        return [Violation("partner", f"{where} names no partner")], False
    if f.baseline_partners and partner != dem.baseline_partner:
        out.append(Violation("partner", f"{where} uses '{partner}' but the baseline_partners "
                             f"switch allows only its baseline partner "
                             f"'{dem.baseline_partner}'"))
    if partner.startswith("@"):
        n = partner[1:]
        node = sc.nodes.get(n)
        if node is None:
            return [*out, Violation("partner", f"{where} names unknown node '{n}'")], False
        if getattr(node, side).get(k, 0.0) <= 0:
            return [*out, Violation("partner", f"{where}: node '{n}' does not {verb} '{k}'")], \
                False
        if end != n:
            out.append(Violation("partner", f"{where}: partner node '{n}' is not the flow's "
                                 f"{end_what} '{end}'"))
        if node.kind in ("site", "hub") and r.used and not f.is_open(n):
            out.append(Violation("partner", f"{where}: partner {node.kind} '{n}' is closed"))
        return out, True
    act = sc.activities.get(partner)
    if act is None:
        return [*out, Violation("partner", f"{where} names unknown activity '{partner}'")], False
    if getattr(act, side).get(k, 0.0) <= 0:
        return [*out, Violation("partner", f"{where}: activity '{partner}' does not {verb} "
                                f"'{k}'")], False
    if partner not in f.place:
        return [*out, Violation("partner", f"{where}: activity '{partner}' is not placed (out "
                                f"of play)")], False
    if f.place[partner] != end:
        out.append(Violation("partner", f"{where}: partner '{partner}' is at "
                             f"'{f.place[partner]}', not at the flow's {end_what} '{end}'"))
    return out, True


# ---- reading ---------------------------------------------------------------------------------

def read(sc: Scenario, lanes: Lanes, sol: Solution, tol: float) -> Facts:
    """The context of the evaluation (its switches) and the solution's tables as records."""
    f = _context(sc, lanes, sol, tol)
    _read_placement(f)
    _read_facilities(f)
    _read_flows(f)
    _read_unserved(f)
    _read_loads(f)
    _read_trips(f)
    _read_empties(f)
    _read_units(f)
    _read_tours(f)
    return f


def load_unit(vt: VehicleType) -> tuple[float | None, float | None, float | None] | None:
    """(t, m³, pallet places) of a tariff type's load unit, or None when it names none."""
    unit = (vt.unit_payload_t, vt.unit_volume_m3, vt.unit_pallets)
    return unit if vt.pricing == "tariff" and any(x is not None for x in unit) else None


def _context(sc: Scenario, lanes: Lanes, sol: Solution, tol: float) -> Facts:
    sw = sol.switches or {}
    bundling = bool(sw.get("bundling", sc.options.bundling))
    empty_rule = sw.get("empty_rule") or sc.options.empty_running
    veh = sw.get("vehicles")
    e = float(sc.options.empty_share if sc.options.empty_share is not None else 0.0)
    rho_gateway = e / (1.0 - e)
    rho_rule = 1.0 if empty_rule == "dedicated" else rho_gateway
    fixed_place = dict(sc.fix.placement)
    fixed_place.update({str(a): str(n) for a, n in (sw.get("placement") or {}).items()})
    fixed_open = {s: int(st == "open") for s, st in sc.fix.sites.items()}
    sw_open = sw.get("open_sites")
    if isinstance(sw_open, dict):
        fixed_open.update({str(s): int(bool(o)) for s, o in sw_open.items()})
    elif sw_open:  # a list of open sites: every other site closed
        listed = {str(s) for s in sw_open}
        fixed_open.update({s: int(s in listed) for s, n in sc.nodes.items()
                           if n.kind in ("site", "hub")})
    hubs = [n for n, node in sc.nodes.items() if node.kind == "hub"]
    if sw.get("hubs") is False:  # an evaluation without hubs: every hub closed
        fixed_open.update({h: 0 for h in hubs})
    exclude_new = bool(sw.get("exclude_new", False))
    in_play = {a for a, act in sc.activities.items() if not (exclude_new and act.new)}
    f = Facts(
        sc=sc, lanes=lanes, sol=sol, tol=tol, w={p.id: p.weight for p in sc.periods},
        bundling=bundling, empty_rule=empty_rule, rho_gateway=rho_gateway, rho_rule=rho_rule,
        allowed=None if veh is None else {str(x) for x in veh}, exclude_new=exclude_new,
        baseline_partners=bool(sw.get("baseline_partners", False)), fixed_place=fixed_place,
        fixed_open=fixed_open,
        gateways={n for n, node in sc.nodes.items() if node.kind == "gateway"}, hubs=hubs,
        hubs_available=[h for h in hubs if fixed_open.get(h, 1) != 0],
        role_factor={"direct": 1.0, "collection": sc.hubs.collection_factor,
                     "transfer": sc.hubs.transfer_factor,
                     "distribution": sc.hubs.distribution_factor},
        in_play=in_play,
        demands_in_play={c for c, dem in sc.demands.items()
                         if all(x is None or x in in_play for x in (dem.origin, dem.destination))})
    if empty_rule not in ("share", "dedicated"):
        f.problem("switches", f"unknown empty_rule '{empty_rule}' (expected 'share' or "
                  f"'dedicated')")
    return f


def _table(f: Facts, name: str) -> list[dict]:
    df = getattr(f.sol, name, None)
    if df is None:
        df = pd.DataFrame(columns=TABLE_COLS[name])
    missing = [c for c in TABLE_COLS[name] if c not in df.columns]
    if missing:
        f.problem("table", f"{name} lacks columns {missing}")
        return []
    return df.to_dict("records")


def _read_placement(f: Facts) -> None:
    """``place``: each activity in play placed at one of its candidates (the placement rule
    reports the others)."""
    for a in sorted(f.in_play):
        n = f.sol.placement.get(a)
        if n is not None and str(n) in f.sc.activities[a].candidates:
            f.place[a] = str(n)


def _read_facilities(f: Facts) -> None:
    for i, r in enumerate(_table(f, "facilities")):
        u, s, n = str(r["facility"]), str(r["site"]), num(r["modules"])
        fac = f.sc.facilities.get(u)
        if fac is None:
            f.problem("table", f"facilities row {i} has unknown facility '{u}'")
        elif s not in fac.sites:
            f.problem("facility", f"'{u}' built at '{s}', not among its sites {fac.sites}")
        elif not math.isfinite(n) or n < -INT_TOL or abs(n - round(n)) > INT_TOL:
            f.problem("facility", f"'{u}' at '{s}' has {r['modules']} modules, expected a "
                      f"whole number ≥ 0")
        else:
            users = [x.strip() for x in text(r["connected"]).split(";") if x.strip()]
            f.facilities.append(FacilityRow(i, u, s, n, users))


def _read_path(f: Facts, i: int, c: str, p: str, path_text: str) -> list[str] | None:
    path = [x.strip() for x in path_text.split(";")] if path_text else []
    if not 2 <= len(path) <= 4:
        f.problem("route", f"demand '{c}' period '{p}' path '{path_text}' must list 2–4 nodes "
                  f"(origin, 0–2 hubs, destination)")
        return None
    unknown = [n for n in path if n not in f.sc.nodes]
    if unknown:
        f.problem("table", f"flows row {i} ({c}) path has unknown nodes {unknown}")
        return None
    return path


def _read_flows(f: Facts) -> None:
    sc = f.sc
    for i, r in enumerate(_table(f, "flows")):
        c, p = str(r["demand"]), str(r["period"])
        t = num(r["tonnes"])
        dem = sc.demands.get(c)
        if dem is None and processor_of(sc, c) is not None:
            _read_product(f, i, r)
            continue
        if dem is None:
            f.problem("table", f"flows row {i} has unknown demand '{c}'")
            continue
        if c not in f.demands_in_play:
            if abs(t) > INT_TOL:
                f.problem("flow", f"demand '{c}' is out of play (new activity left out) but "
                          f"carries {fmt(t)} t")
            continue
        if p not in f.w:
            f.problem("table", f"flows row {i} has unknown period '{p}'")
            continue
        o, d = str(r["origin_node"]), str(r["dest_node"])
        if o not in sc.nodes or d not in sc.nodes:
            f.problem("table", f"flows row {i} ({c}) has unknown node '{o}' or '{d}'")
            continue
        if not math.isfinite(t) or t < -f.slack(0):
            f.problem("flow", f"demand '{c}' period '{p}' {o}→{d} has tonnes {t}")
            continue
        q = dem.tonnes[p]
        path_text = text(r["path"])
        row = FlowRow(i, c, p, o, d, str(r["commodity"]), t, path_text,
                      _read_path(f, i, c, p, path_text), text(r["partner"]),
                      used=t > f.slack(q), noise=t <= f.slack(q))
        f.flows.append(row)
        f.total[c, p] += t
        if dem.kind != "directed" and partner_of(f, row)[1]:
            end = d if dem.kind == "pooled_supply" else o
            f.intake[row.partner, end, dem.commodity, p, POOLED[dem.kind][0]] += t
        path = row.path
        if path is None or (len(path) == 2 and path[0] == path[1]):
            continue
        owner = "" if f.bundling else c
        for a, b, role in path_legs(path):
            f.legflow[p, a, b, dem.commodity, owner, role] += t
        if row.used:
            f.used.append(Used(c, p, path, dem.commodity, owner))


def _read_product(f: Facts, i: int, r: dict) -> None:
    """A flows row of a processor's product (demand 'processor>product'): it counts in the
    acceptor's intake, the leg flows and the product's output at its node (``product``)."""
    c, p, t = str(r["demand"]), str(r["period"]), num(r["tonnes"])
    o_node, d_node, partner = str(r["origin_node"]), str(r["dest_node"]), text(r["partner"])
    _, _, o = processor_of(f.sc, c)
    if p not in f.w or o_node not in f.sc.nodes or d_node not in f.sc.nodes:
        f.problem("table", f"flows row {i} (product '{c}') has an unknown period or node")
        return
    if not math.isfinite(t) or t < -f.slack(0):
        f.problem("product", f"product '{c}' period '{p}' {o_node}→{d_node} has tonnes {t}")
        return
    row = FlowRow(i, c, p, o_node, d_node, str(r["commodity"]), t, text(r["path"]),
                  [o_node, d_node], partner, used=t > f.slack(0), noise=t <= f.slack(0))
    f.products.append(row)
    f.product_out[c, o_node, p] += t
    rec = f.sc.nodes.get(partner[1:]) if partner.startswith("@") else \
        f.sc.activities.get(partner)
    if rec is not None and rec.accept.get(o, 0.0) > 0:
        f.intake[partner, d_node, o, p, "accept"] += t
    if o_node != d_node:
        f.legflow[p, o_node, d_node, o, "" if f.bundling else c, "direct"] += t


def _read_unserved(f: Facts) -> None:
    sc = f.sc
    for i, r in enumerate(_table(f, "unserved")):
        c, p, kind, n = str(r["demand"]), str(r["period"]), str(r["kind"]), str(r["node"])
        t = num(r["tonnes"])
        dem = sc.demands.get(c)
        if dem is None and processor_of(sc, c) is not None and p in f.w \
                and math.isfinite(t) and t >= -f.slack(0):
            f.product_rest.append(UnservedRow(i, c, p, kind, n, t, kind == "disposal"))
            f.product_out[c, n, p] += t
            continue
        if dem is None:
            f.problem("table", f"unserved row {i} has unknown demand '{c}'")
            continue
        if c not in f.demands_in_play:
            if abs(t) > INT_TOL:
                f.problem("unserved", f"demand '{c}' is out of play but has {fmt(t)} t {kind}")
            continue
        if p not in f.w:
            f.problem("table", f"unserved row {i} has unknown period '{p}'")
            continue
        if not math.isfinite(t) or t < -f.slack(0):
            f.problem("unserved", f"demand '{c}' period '{p}' has tonnes {t}")
            continue
        valid = dem.kind != "directed" and kind == POOLED[dem.kind][1]
        f.unserved.append(UnservedRow(i, c, p, kind, n, t, valid))
        if valid:
            f.total[c, p] += t


def _leg(f: Facts, what: str, r: dict, i: int) -> tuple[str, str, str] | None:
    """(period, from, to) of a leg row when its period, nodes and lane are known and it is a
    real leg; otherwise None, with the problem filed."""
    ok = True
    if str(r["period"]) not in f.w:
        f.problem("table", f"{what} row {i} has unknown period '{r['period']}'")
        ok = False
    for col in ("from", "to"):
        if str(r[col]) not in f.sc.nodes:
            f.problem("table", f"{what} row {i} has unknown node '{r[col]}' in '{col}'")
            ok = False
    if not ok:
        return None
    a, b = str(r["from"]), str(r["to"])
    if a == b:
        f.problem(what, f"row {i} on leg '{a}'→'{b}' has the same node at both ends "
                  f"(co-location has no leg)")
        return None
    if not math.isfinite(f.lanes.distance(a, b)):
        f.problem("lane", f"{what} row {i} uses '{a}'→'{b}', which has no lane")
        return None
    return str(r["period"]), a, b


def _vehicle(f: Facts, what: str, i: int, vid: str) -> VehicleType | None:
    vt = f.sc.vehicles.get(vid)
    if vt is None:
        f.problem("table", f"{what} row {i} has unknown vehicle '{vid}'")
    return vt


def _read_loads(f: Facts) -> None:
    sc = f.sc
    for i, r in enumerate(_table(f, "loads")):
        leg = _leg(f, "load", r, i)
        if leg is None:
            continue
        p, a, b = leg
        k, vid, owner, role = str(r["commodity"]), str(r["vehicle"]), text(r["owner"]), \
            text(r["role"])
        t = num(r["tonnes"])
        com = sc.commodities.get(k)
        if com is None:
            f.problem("table", f"loads row {i} has unknown commodity '{k}'")
            continue
        if role not in ROLES:
            f.problem("table", f"loads row {i} has role '{role}', expected one of {ROLES}")
            continue
        if not math.isfinite(t) or t < -f.slack(0):
            f.problem("load", f"period '{p}' {a}→{b} '{k}' by '{vid}' has tonnes {t}")
            continue
        vt = _vehicle(f, "loads", i, vid)
        f.loads.append(LegRow("loads", i, p, a, b, vid, vt, owner=owner, commodity=k,
                              role=role, tonnes=t))
        f.loadsum[p, a, b, k, owner, role] += t
        if vt is None:
            continue
        if t > f.slack(0):
            f.leg_vehicles[p, a, b, k, owner, role].add(vid)
        unit = load_unit(vt)
        if vt.pricing == "trip" or unit:
            cl = (f.class_load if unit is None else f.unit_load)[
                p, a, b, vid, com.load_class, owner]
            _, vol, pal = unit or (None, vt.volume_m3, vt.pallets)
            cl[0] += t
            if com.density_t_per_m3 and vol:
                cl[1] += t / com.density_t_per_m3
            if com.pallets_per_t and pal:
                cl[2] += t * com.pallets_per_t


def _read_trips(f: Facts) -> None:
    for i, r in enumerate(_table(f, "trips")):
        leg = _leg(f, "trips", r, i)
        if leg is None:
            continue
        p, a, b = leg
        vid, g, owner = str(r["vehicle"]), str(r["load_class"]), text(r["owner"])
        n, rho, mkt = num(r["trips"]), num(r["implicit_empty_per_trip"]), num(r["market_trips"])
        vt = _vehicle(f, "trips", i, vid)
        if not math.isfinite(n) or n < -INT_TOL:
            f.problem("trips", f"period '{p}' {a}→{b} '{vid}' class '{g}' has trips {n}")
            continue
        all_market = a in f.gateways or b in f.gateways or not f.bundling
        market_bad = (not math.isfinite(mkt) or mkt < -f.slack(0) or mkt > n + f.slack(n)
                      or (all_market and abs(mkt - n) > f.slack(n)))
        used = mkt
        if market_bad:  # priced as the nearest reading the rule allows
            used = n if all_market else min(max(mkt, 0.0), n) if math.isfinite(mkt) else 0.0
        row = LegRow("trips", i, p, a, b, vid, vt, owner=owner, load_class=g, trips=n,
                     market=mkt, market_used=used, rho=rho, market_text=str(r["market_trips"]),
                     market_bad=market_bad, all_market=all_market)
        f.trips.append(row)
        if vt is None or vt.pricing != "trip":
            continue
        f.tripsum[p, a, b, vid, g, owner] += n
        if a not in f.gateways and b not in f.gateways:
            f.balance[vid, p, a][0] += n - row.market_used
            f.balance[vid, p, b][1] += n - row.market_used


def _read_empties(f: Facts) -> None:
    for i, r in enumerate(_table(f, "empties")):
        n = num(r["trips"])
        if not f.bundling:
            if not (abs(n) <= INT_TOL):
                f.problem("empties", f"row {i} has {n} empty trips but bundling is off (empty "
                          f"running follows the '{f.empty_rule}' rule)")
            continue
        leg = _leg(f, "empties", r, i)
        if leg is None:
            continue
        p, a, b = leg
        vid = str(r["vehicle"])
        vt = _vehicle(f, "empties", i, vid)
        if not math.isfinite(n) or n < -f.slack(0):
            f.problem("empties", f"period '{p}' {a}→{b} '{vid}' has trips {n}")
            continue
        f.empties.append(LegRow("empties", i, p, a, b, vid, vt, trips=n))
        if vt is None or vt.pricing != "trip":
            continue
        if a not in f.gateways and b not in f.gateways:
            f.balance[vid, p, a][0] += n
            f.balance[vid, p, b][1] += n


def _read_units(f: Facts) -> None:
    """``units``: load units per leg, tariff type, load class, period and owner."""
    for i, r in enumerate(_table(f, "units")):
        leg = _leg(f, "units", r, i)
        if leg is None:
            continue
        p, a, b = leg
        vid, g, owner = str(r["vehicle"]), str(r["load_class"]), text(r["owner"])
        n = num(r["units"])
        vt = _vehicle(f, "units", i, vid)
        if not math.isfinite(n) or n < -INT_TOL:
            f.problem("units", f"period '{p}' {a}→{b} '{vid}' class '{g}' has units {n}")
            continue
        f.units.append(LegRow("units", i, p, a, b, vid, vt, owner=owner, load_class=g,
                              trips=n))
        f.unitsum[p, a, b, vid, g, owner] += n


def _read_tours(f: Facts) -> None:
    """``tours`` and ``tour_loads``: each tour's runs visit every stop (``tour_visits`` per
    stop leg, load class and period, for the frequency rule); the tonnes a tour takes of a
    direct leg's load (``toured``, per period, leg, commodity, vehicle and owner) leave that
    leg's trip load (``class_load``): direct trips carry only the rest."""
    sc = f.sc
    for i, r in enumerate(_table(f, "tours")):
        p, tid, depot, vid = str(r["period"]), str(r["tour"]), str(r["depot"]), \
            str(r["vehicle"])
        stops = [s for s in str(r["stops"]).split(";") if s]
        if p not in f.w or depot not in sc.nodes or any(s not in sc.nodes for s in stops):
            f.problem("table", f"tours row {i} has an unknown period or node")
            continue
        n = num(r["runs"])
        if not math.isfinite(n) or n < -INT_TOL:
            f.problem("tours", f"tour '{tid}' period '{p}' has runs {n}")
            continue
        vt = _vehicle(f, "tours", i, vid)
        row = TourRow(i, p, tid, depot, vid, vt, str(r["direction"]), str(r["load_class"]),
                      stops, n, num(r["km"]), num(r["hours"]), num(r["stop_h"]))
        if (p, tid) in f.tours:
            f.problem("tours", f"tour '{tid}' period '{p}' is listed twice")
            continue
        f.tours[p, tid] = row
        for s in stops:
            a, b = (s, depot) if row.direction == "collect" else (depot, s)
            f.tour_visits[p, a, b, row.load_class] += n
    for i, r in enumerate(_table(f, "tour_loads")):
        p, tid = str(r["period"]), str(r["tour"])
        row = TourLoadRow(i, p, tid, str(r["stop"]), str(r["from"]), str(r["to"]),
                          str(r["commodity"]), text(r["owner"]), num(r["tonnes"]))
        tour = f.tours.get((p, tid))
        com = sc.commodities.get(row.commodity)
        if tour is None or com is None:
            f.problem("tours", f"tour_loads row {i}: unknown tour '{tid}' in period '{p}' "
                      f"or commodity '{row.commodity}'")
            continue
        if not math.isfinite(row.tonnes) or row.tonnes < -f.slack(0):
            f.problem("tours", f"tour_loads row {i} has tonnes {row.tonnes}")
            continue
        f.tour_loads.append(row)
        t = row.tonnes
        amounts = (t, t / com.density_t_per_m3 if com.density_t_per_m3 else 0.0,
                   t * com.pallets_per_t if com.pallets_per_t else 0.0)
        for n, x in enumerate(amounts):
            tour.taken[n] += x
        f.toured[p, row.a, row.b, row.commodity, tour.vid, row.owner] += t
        key = (p, row.a, row.b, tour.vid, com.load_class, row.owner)
        if key in f.class_load and tour.vt is not None:
            cl = f.class_load[key]
            cl[0] -= amounts[0]
            if tour.vt.volume_m3:
                cl[1] -= amounts[1]
            if tour.vt.pallets:
                cl[2] -= amounts[2]

"""Tiny random scenarios and an independent reference for them (used by the brute-force and
invariant tests).

A :class:`Tiny` holds the instance as plain data: a supplier sending inputs to 2–3 movable
growers (stay node + 1–2 development sites each), the growers sending produce to 1–2 fixed
destinations (one may be a gateway), optionally a residual exchanged between two growers (so
co-location can happen), 1–2 trip-priced vehicle types and optionally a tariff type, one
period. ``Tiny.scenario(tmp)`` turns it into a clusteropt Scenario (inline tables, explicit
``matrix`` distances written to ``tmp``).

The reference functions below never call clusteropt: they read the Tiny data and write the
arithmetic out themselves:

* :func:`placements` enumerates every feasible placement (site capacities, ``max_open``);
* :func:`fixed_cost` = development (annuity + opex of the sites in use: a site is open iff
  something is placed there — opening an empty site only costs) + relocation annuities +
  internal cost of co-located flows;
* :func:`transport_balanced` = the optimal transport + carbon cost of a placement with shared
  trips and the vehicle balance: a small MILP of its own (scipy.optimize.milp) with integer
  loaded trips per leg / vehicle / load class, *integer* empty trips between every ordered pair
  of non-gateway nodes, gateway trips outside the balance with ρ_gate = e/(1−e) implicit
  empties, and (``market``, the default) the market closure of model.md §4: *integer* market
  trips ≤ the loaded trips of their leg, out of the balance, each paying ρ_rule empty trips of
  its own leg (ρ_rule = e/(1−e) under ``share``, 1 under ``dedicated``);
* :func:`transport_dedicated` = trips per demand, each closed by the market (no balance): one
  empty return under ``dedicated`` (ρ_gate on gateway legs), by enumerating the trip counts
  per vehicle type and filling them greedily.

Distances are Manhattan distances between integer grid points (times a scale), so they are
integers and obey the triangle inequality: an empty trip never gains by a detour through
another node, so "empties between any two balance nodes" (the builder's rule with
``empty_k_nearest`` ≥ number of nodes) is the same as "empties between any two non-gateway
nodes" used here.
"""

from __future__ import annotations

import copy
import itertools
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from clusteropt.scenario import Scenario, scenario_from_dict


@dataclass
class Tiny:
    """One tiny instance as plain data (see the module docstring)."""

    nodes: dict[str, dict]  # id → kind, x, y, cap (area, or None), dev, opex
    growers: dict[str, dict]  # id → stay, cands (sites), size, reloc {node: eur}
    fixed: dict[str, str]  # fixed activity → node
    commodities: dict[str, dict]  # id → cls, ic (internal €/t), density (t/m³ or None)
    demands: list[tuple[str, str, str, str, float]]  # (id, origin, destination, commodity, t)
    vehicles: dict[str, dict]  # id → pricing, payload, volume, ckm, ch, toll, speed, hand,
    #                             efe, eff, wtw, classes (None = any), ttkm, tt, co2tkm
    weight: float = 52.0
    interest: float = 0.05
    lifetime: float = 20.0
    empty_share: float = 0.3
    rule: str = "share"  # options.empty_running
    co2_price: float = 0.0
    basis: str = "wtw"
    max_open: int | None = None
    scale: float = 1.0  # multiplies every distance
    time_speed: float | None = None  # explicit time_h = km / time_speed in the matrix
    fix_placement: dict[str, str] = field(default_factory=dict)
    seed: int | None = None

    # ---- geometry ---------------------------------------------------------------------------
    def km(self, a: str, b: str) -> float:
        na, nb = self.nodes[a], self.nodes[b]
        return self.scale * (abs(na["x"] - nb["x"]) + abs(na["y"] - nb["y"]))

    def hours(self, a: str, b: str, v: str) -> float:
        speed = self.time_speed or self.vehicles[v]["speed"]
        return self.km(a, b) / speed

    def gateway(self, n: str) -> bool:
        return self.nodes[n]["kind"] == "gateway"

    def copy(self, **changes) -> Tiny:
        t = copy.deepcopy(self)
        for k, v in changes.items():
            setattr(t, k, v)
        return t

    # ---- the clusteropt scenario ------------------------------------------------------------
    def scenario(self, tmp: Path, **options) -> Scenario:
        """The scenario (matrix distances in ``tmp``/lanes.csv); ``options`` override
        ``options`` keys, e.g. ``empty_k_nearest=1``."""
        tmp.mkdir(parents=True, exist_ok=True)
        ids = list(self.nodes)
        lines = ["from,to,distance_km" + (",time_h" if self.time_speed else "")]
        for a in ids:
            for b in ids:
                if a != b:
                    d = self.km(a, b)
                    row = f"{a},{b},{d!r}"
                    if self.time_speed:
                        row += f",{d / self.time_speed!r}"
                    lines.append(row)
        (tmp / "lanes.csv").write_text("\n".join(lines) + "\n")
        nodes = []
        for n, nd in self.nodes.items():
            row = {"id": n, "kind": nd["kind"]}
            if nd["kind"] == "site":
                row.update(dev_cost_eur=nd["dev"], opex_eur_per_yr=nd["opex"])
                if nd["cap"] is not None:
                    row["cap_area"] = nd["cap"]
            nodes.append(row)
        acts = []
        for g, gr in self.growers.items():
            row = {"id": g, "node": gr["stay"], "movable": True,
                   "candidates": ";".join(gr["cands"])}
            if gr["size"] is not None:
                row["size_area"] = gr["size"]
            for n, eur in gr["reloc"].items():
                row[f"reloc_cost_eur_{n}"] = eur
            acts.append(row)
        acts += [{"id": f, "node": n} for f, n in self.fixed.items()]
        coms = []
        for k, c in self.commodities.items():
            row = {"id": k, "load_class": c["cls"], "internal_cost_eur_per_t": c["ic"]}
            if c["density"] is not None:
                row["density_t_per_m3"] = c["density"]
            coms.append(row)
        dems = [{"id": c, "origin": o, "destination": d, "commodity": k, "tonnes_per_period": q}
                for c, o, d, k, q in self.demands]
        vehs = []
        for v, vt in self.vehicles.items():
            row = {"id": v, "mode": "road", "pricing": vt["pricing"],
                   "load_classes": "*" if vt["classes"] is None else ";".join(vt["classes"]),
                   "wtw_ttw_ratio": vt["wtw"]}
            if vt["pricing"] == "trip":
                row.update(payload_t=vt["payload"], cost_eur_per_km=vt["ckm"],
                           cost_eur_per_h=vt["ch"], toll_eur_per_km=vt["toll"],
                           speed_kmh=vt["speed"], handling_h_per_trip=vt["hand"],
                           co2_empty_kg_per_km=vt["efe"], co2_full_kg_per_km=vt["eff"])
                if vt["volume"] is not None:
                    row["volume_m3"] = vt["volume"]
            else:
                row.update(tariff_eur_per_tkm=vt["ttkm"], tariff_eur_per_t=vt["tt"],
                           co2_ttw_kg_per_tkm=vt["co2tkm"])
            vehs.append(row)
        opts = {"gap_rel": 0.0, "time_limit_s": None, "empty_k_nearest": 20,
                "empty_share": self.empty_share, "empty_running": self.rule,
                "co2_price_eur_per_t": self.co2_price,
                "co2_basis": self.basis}
        opts.update(options)
        doc = {"name": f"tiny-{self.seed}", "interest_rate": self.interest,
               "lifetime_years": self.lifetime, "periods": [{"id": "wk", "weight": self.weight}],
               "distance": {"method": "matrix", "file": "lanes.csv"}, "options": opts,
               "tables": {"nodes": nodes, "activities": acts, "commodities": coms,
                          "demands": dems, "vehicles": vehs}}
        if self.max_open is not None:
            doc["site_rules"] = {"max_open": self.max_open}
        if self.fix_placement:
            doc["fix"] = {"placement": dict(self.fix_placement)}
        return scenario_from_dict(doc, base_dir=tmp, path=tmp / "scenario.yaml")


# ---- building blocks -------------------------------------------------------------------------


def location(kind: str = "location", x: int = 0, y: int = 0, cap: float | None = None,
             dev: float = 0.0, opex: float = 0.0) -> dict:
    """A node record (``cap``, ``dev``, ``opex`` matter for sites only)."""
    return {"kind": kind, "x": x, "y": y, "cap": cap, "dev": dev, "opex": opex}


def commodity(cls: str, ic: float = 0.0, density: float | None = None) -> dict:
    return {"cls": cls, "ic": ic, "density": density}


def vehicle(**kw) -> dict:
    """A vehicle record; defaults: a trip-priced 10 t truck at 1 €/km, 50 km/h, nothing else."""
    return {"pricing": "trip", "payload": 10.0, "volume": None, "ckm": 1.0, "ch": 0.0,
            "toll": 0.0, "speed": 50.0, "hand": 0.0, "efe": 0.0, "eff": 0.0, "wtw": 1.0,
            "classes": None, "ttkm": 0.0, "tt": 0.0, "co2tkm": 0.0, **kw}


# ---- random instances ------------------------------------------------------------------------


def random_tiny(seed: int, *, n_growers: int | None = None, gateway: bool | None = None,
                tariff: bool | None = None, n_trip_vehicles: int | None = None,
                co2: bool | None = None, residual: bool | None = None,
                volume: bool | None = None, time_h: bool | None = None,
                max_open: bool | None = None) -> Tiny:
    """A random tiny instance; every keyword forces a feature on/off (None: random)."""
    r = random.Random(seed)

    def pick(flag, p=0.5):
        return (r.random() < p) if flag is None else flag

    ng = n_growers or r.choice([2, 3])
    nodes: dict[str, dict] = {}

    def node(nid, kind="location", lo=0, hi=60):
        nodes[nid] = location(kind=kind, x=r.randint(lo, hi), y=r.randint(lo, hi))

    use_gateway = pick(gateway)
    gate_role = r.choice(["dest", "supplier"]) if use_gateway else None
    node("sup_n", "gateway" if gate_role == "supplier" else "location")
    for i in range(ng):
        node(f"stay{i}")
    for s in ("site1", "site2"):
        node(s, "site", 15, 45)  # sites lie central, stay nodes anywhere
        nodes[s]["cap"] = float(r.randint(6, 20))
        nodes[s]["dev"] = float(r.choice([0, 20_000, 60_000, 120_000]))
        nodes[s]["opex"] = float(r.choice([0, 500, 2_000]))
    n_dest = r.choice([1, 2])
    for i in range(n_dest):
        node(f"dst{i}", "gateway" if gate_role == "dest" and i == n_dest - 1 else "location")
    growers = {}
    for i in range(ng):
        cands = r.choice([["site1"], ["site2"], ["site1", "site2"], ["site1", "site2"]])
        base = float(r.choice([0, 0, 10_000, 40_000]))
        reloc = {s: base for s in cands}
        if r.random() < 0.3:
            reloc[cands[-1]] = float(r.choice([0, 15_000, 60_000]))
        growers[f"g{i}"] = {"stay": f"stay{i}", "cands": cands,
                            "size": float(r.randint(3, 10)), "reloc": reloc}
    fixed = {"sup": "sup_n", **{f"d{i}": f"dst{i}" for i in range(n_dest)}}
    use_vol = pick(volume, 0.3)
    commodities = {
        "veg": commodity("food", density=round(r.uniform(0.3, 0.8), 2) if use_vol else None),
        "fert": commodity("bulk"),
    }
    demands = []
    for i in range(ng):
        demands.append((f"in{i}", "sup", f"g{i}", "fert", float(r.randint(2, 30))))
        demands.append((f"out{i}", f"g{i}", f"d{r.randrange(n_dest)}", "veg",
                        float(r.randint(2, 40))))
    if pick(residual, 0.4):
        commodities["res"] = commodity(r.choice(["bulk", "waste"]),
                                       ic=round(r.uniform(0.5, 4), 2))
        demands.append(("res", "g0", "g1", "res", float(r.randint(3, 25))))
    vehicles = {}
    nv = n_trip_vehicles or r.choice([1, 2])
    for i in range(nv):
        classes = None if i == 0 else r.choice([None, ["food"], ["food", "bulk"]])
        vehicles[f"v{i}"] = vehicle(
            payload=float(r.choice([10, 14, 20, 26] if i == 0 else [5, 8, 12])),
            volume=float(r.choice([40, 60])) if use_vol and i == 0 else None,
            ckm=round(r.uniform(0.6, 1.6), 2), ch=float(r.choice([0, 25, 40])),
            toll=float(r.choice([0, 0, 0.15])), speed=float(r.choice([50, 60, 75])),
            hand=float(r.choice([0, 0.5, 1.0])), efe=round(r.uniform(0.4, 0.8), 2),
            eff=round(r.uniform(0.9, 1.3), 2), wtw=r.choice([1.0, 1.24]), classes=classes)
    if pick(tariff, 0.3):
        vehicles["tar"] = vehicle(pricing="tariff", payload=None, ckm=0.0, wtw=1.2,
                                  classes=r.choice([None, ["food"]]),
                                  ttkm=round(r.uniform(0.04, 0.12), 3),
                                  tt=float(r.choice([0, 1.5])),
                                  co2tkm=round(r.uniform(0.03, 0.08), 3))
    # every load class has a vehicle: v0 carries any
    return Tiny(nodes=nodes, growers=growers, fixed=fixed, commodities=commodities,
                demands=demands, vehicles=vehicles, weight=float(r.choice([52, 52, 12])),
                interest=r.choice([0.0, 0.03, 0.06]), lifetime=float(r.choice([10, 20])),
                empty_share=r.choice([0.2, 0.309, 0.4]),
                co2_price=float(r.choice([0, 100])) if pick(co2) else 0.0,
                basis=r.choice(["wtw", "ttw"]),
                max_open=(r.choice([0, 1, 1]) if pick(max_open, 0.3) else None),
                time_speed=(55.0 if pick(time_h, 0.2) else None), seed=seed)


def hand_tiny() -> Tiny:
    """A fixed small case: supplier, two growers (stay node or sites), a domestic destination
    and an export gateway, a residual g0 → g1 (co-located when both use site1), one truck.

        sup_n (0,0)   stay0 (0,40)   stay1 (40,40)   site1 (20,20) cap 20, dev 10 k, opex 1 k
        site2 (40,0) cap 8, opex 3 k   dst0 (20,0)   dst1 (60,20) gateway
    """
    nodes = {"sup_n": location(x=0, y=0), "stay0": location(x=0, y=40),
             "stay1": location(x=40, y=40),
             "site1": location(kind="site", x=20, y=20, cap=20.0, dev=10_000.0, opex=1_000.0),
             "site2": location(kind="site", x=40, y=0, cap=8.0, opex=3_000.0),
             "dst0": location(x=20, y=0), "dst1": location(kind="gateway", x=60, y=20)}
    growers = {"g0": {"stay": "stay0", "cands": ["site1", "site2"], "size": 6.0,
                      "reloc": {"site1": 10_000.0, "site2": 10_000.0}},
               "g1": {"stay": "stay1", "cands": ["site1"], "size": 8.0,
                      "reloc": {"site1": 5_000.0}}}
    commodities = {"veg": commodity("food"), "fert": commodity("bulk"),
                   "res": commodity("bulk", ic=1.5)}
    demands = [("in0", "sup", "g0", "fert", 12.0), ("out0", "g0", "d0", "veg", 25.0),
               ("in1", "sup", "g1", "fert", 8.0), ("out1", "g1", "d1", "veg", 18.0),
               ("res", "g0", "g1", "res", 10.0)]
    truck = vehicle(efe=0.5, eff=1.0, wtw=1.2)
    return Tiny(nodes=nodes, growers=growers, fixed={"sup": "sup_n", "d0": "dst0", "d1": "dst1"},
                commodities=commodities, demands=demands, vehicles={"v0": truck}, weight=52.0,
                interest=0.0, lifetime=10.0, empty_share=0.2, seed=-1)


# ---- the reference ---------------------------------------------------------------------------


def annuity(c: float, i: float, n: float) -> float:
    if c == 0:
        return 0.0
    return c / n if i == 0 else c * i / (1 - (1 + i) ** -n)


def placements(t: Tiny):
    """Every feasible placement {grower: node} (fixed placements respected)."""
    gs = list(t.growers)
    options = [[t.fix_placement[g]] if g in t.fix_placement
               else [t.growers[g]["stay"], *t.growers[g]["cands"]] for g in gs]
    for combo in itertools.product(*options):
        pl = dict(zip(gs, combo))
        used = {n for n in combo if t.nodes[n]["kind"] == "site"}
        if t.max_open is not None and len(used) > t.max_open:
            continue
        ok = True
        for s in used:
            cap = t.nodes[s]["cap"]
            need = sum(t.growers[g]["size"] or 0.0 for g in gs if pl[g] == s)
            if cap is not None and need > cap + 1e-9:
                ok = False
        if ok:
            yield pl


def where(t: Tiny, pl: dict[str, str]) -> dict[str, str]:
    return {**t.fixed, **pl}


def fixed_cost(t: Tiny, pl: dict[str, str]) -> float:
    """Development + relocation (annual) + internal cost of co-located flows."""
    used = {n for n in pl.values() if t.nodes[n]["kind"] == "site"}
    dev = sum(annuity(t.nodes[s]["dev"], t.interest, t.lifetime) + t.nodes[s]["opex"]
              for s in used)
    reloc = sum(annuity(t.growers[g]["reloc"].get(n, 0.0), t.interest, t.lifetime)
                for g, n in pl.items() if n != t.growers[g]["stay"])
    at = where(t, pl)
    internal = sum(t.weight * q * t.commodities[k]["ic"] for _, o, d, k, q in t.demands
                   if at[o] == at[d])
    return dev + reloc + internal


def _carbon_per_kg(t: Tiny, v: str) -> float:
    """Euro per kg TTW CO2 of vehicle v."""
    return t.co2_price / 1000.0 * (t.vehicles[v]["wtw"] if t.basis == "wtw" else 1.0)


def _trip_eur(t: Tiny, v: str, a: str, b: str, empty: bool = False) -> float:
    """Euro (incl. carbon) of one trip of v from a to b, loaded or empty."""
    vt = t.vehicles[v]
    d, h = t.km(a, b), t.hours(a, b, v)
    eur = (vt["ckm"] + vt["toll"]) * d + vt["ch"] * (h + (0.0 if empty else vt["hand"]))
    return eur + _carbon_per_kg(t, v) * vt["efe"] * d


def _tonne_eur(t: Tiny, v: str, a: str, b: str) -> float:
    """Euro (incl. carbon) per tonne carried by v from a to b, beyond the trips."""
    vt = t.vehicles[v]
    d = t.km(a, b)
    if vt["pricing"] == "tariff":
        return vt["ttkm"] * d + vt["tt"] + _carbon_per_kg(t, v) * vt["co2tkm"] * d
    return _carbon_per_kg(t, v) * (vt["eff"] - vt["efe"]) * d / vt["payload"]


def _carries(t: Tiny, v: str, k: str) -> bool:
    cls = t.vehicles[v]["classes"]
    return cls is None or t.commodities[k]["cls"] in cls


def _per_trip_t(t: Tiny, v: str, k: str) -> float:
    """Tonnes of k one trip of v can take (payload, and volume × density where given)."""
    vt = t.vehicles[v]
    cap = vt["payload"]
    dens = t.commodities[k]["density"]
    if vt["volume"] is not None and dens is not None:
        cap = min(cap, vt["volume"] * dens)
    return cap


def leg_loads(t: Tiny, pl: dict[str, str]) -> dict[tuple[str, str, str], float]:
    """Tonnes per period on each road leg (i, j, commodity), co-located flows left out."""
    at = where(t, pl)
    loads: dict[tuple[str, str, str], float] = {}
    for _, o, d, k, q in t.demands:
        if at[o] != at[d]:
            loads[at[o], at[d], k] = loads.get((at[o], at[d], k), 0.0) + q
    return loads


def rho_gate(t: Tiny) -> float:
    return t.empty_share / (1.0 - t.empty_share)


def rho_rule(t: Tiny) -> float:
    return 1.0 if t.rule == "dedicated" else rho_gate(t)


def transport_balanced(t: Tiny, pl: dict[str, str], market: bool = True,
                       all_market: bool = False) -> float:
    """Optimal annual transport + carbon cost of a placement with shared trips and the vehicle
    balance (own MILP, see the module docstring); ``market`` False: the closed balance;
    ``all_market``: every loaded trip closed by the market (market trips = loaded trips, no
    empty trips), the block start of ``clusteropt.blocks``."""
    loads = leg_loads(t, pl)
    if not loads:
        return 0.0
    rho = rho_gate(t)
    cols: list[tuple] = []  # ("y", i, j, k, v) | ("trip", i, j, v, g) | ("empty", i, j, v)
    cost: list[float] = []
    for (i, j, k) in loads:
        for v in t.vehicles:
            if _carries(t, v, k):
                cols.append(("y", i, j, k, v))
                cost.append(t.weight * _tonne_eur(t, v, i, j))
    trip_keys = sorted({(i, j, v, t.commodities[k]["cls"]) for (_, i, j, k, v) in cols
                        if t.vehicles[v]["pricing"] == "trip"})
    for i, j, v, g in trip_keys:
        r = rho if (t.gateway(i) or t.gateway(j)) else 0.0
        cols.append(("trip", i, j, v, g))
        cost.append(t.weight * (_trip_eur(t, v, i, j) + r * _trip_eur(t, v, i, j, empty=True)))
        if market and not (t.gateway(i) or t.gateway(j)):
            cols.append(("mkt", i, j, v, g))
            cost.append(t.weight * rho_rule(t) * _trip_eur(t, v, i, j, empty=True))
    trip_vehicles = sorted({v for _, _, v, _ in trip_keys})
    # balance nodes of v: the non-gateway ends of legs v may run loaded (other nodes would
    # only offer detours, never shorter under the triangle inequality)
    inner = {v: sorted({n for (i, j, _v, _g) in trip_keys if _v == v for n in (i, j)
                        if not (t.gateway(i) or t.gateway(j))}) for v in trip_vehicles}
    for v in trip_vehicles:
        for i in inner[v]:
            for j in inner[v]:
                if i != j and not all_market:
                    cols.append(("empty", i, j, v))
                    cost.append(t.weight * _trip_eur(t, v, i, j, empty=True))
    idx = {c: n for n, c in enumerate(cols)}
    rows, lo, hi = [], [], []

    def row(coefs: dict[int, float], lb: float, ub: float) -> None:
        a = np.zeros(len(cols))
        for n, c in coefs.items():
            a[n] += c
        rows.append(a)
        lo.append(lb)
        hi.append(ub)

    for (i, j, k), q in loads.items():  # every tonne carried by some vehicle
        row({idx["y", i, j, k, v]: 1.0 for v in t.vehicles if _carries(t, v, k)}, q, q)
    for i, j, v, g in trip_keys:  # mass and volume per trip
        ks = [k for (a, b, k) in loads if (a, b) == (i, j) and t.commodities[k]["cls"] == g
              and _carries(t, v, k)]
        vt = t.vehicles[v]
        row({**{idx["y", i, j, k, v]: 1.0 / vt["payload"] for k in ks},
             idx["trip", i, j, v, g]: -1.0}, -np.inf, 0.0)
        vol = {idx["y", i, j, k, v]: 1.0 / (t.commodities[k]["density"] * vt["volume"])
               for k in ks if vt["volume"] is not None and t.commodities[k]["density"]}
        if vol:
            row({**vol, idx["trip", i, j, v, g]: -1.0}, -np.inf, 0.0)
        if ("mkt", i, j, v, g) in idx:  # market trips ≤ loaded trips (= under all_market)
            row({idx["mkt", i, j, v, g]: 1.0, idx["trip", i, j, v, g]: -1.0},
                0.0 if all_market else -np.inf, 0.0)
    for v in trip_vehicles:  # balance at every non-gateway node
        for n in inner[v]:
            coefs: dict[int, float] = {}
            for c, m in idx.items():
                if c[0] in ("trip", "mkt") and c[3] == v \
                        and not (t.gateway(c[1]) or t.gateway(c[2])) \
                        or c[0] == "empty" and c[3] == v:
                    sign = (1.0 if c[1] == n else 0.0) - (1.0 if c[2] == n else 0.0)
                    if c[0] == "mkt":  # a market trip leaves the balance
                        sign = -sign
                    if sign:
                        coefs[m] = coefs.get(m, 0.0) + sign
            if coefs:
                row(coefs, 0.0, 0.0)
    integrality = np.array([0 if c[0] == "y" else 1 for c in cols])
    res = milp(np.array(cost), constraints=LinearConstraint(np.array(rows), lo, hi),
               integrality=integrality, bounds=Bounds(0, np.inf),
               options={"mip_rel_gap": 0.0, "disp": False})
    assert res.success, f"reference MILP failed: {res.message}"
    return float(res.fun)


def transport_dedicated(t: Tiny, pl: dict[str, str]) -> float:
    """Annual transport + carbon cost with trips per demand, each closed by the market: ρ_rule
    empty returns on its own leg (ρ_gate on a gateway leg), no balance: per demand, try every
    trip count per trip-priced vehicle type, fill the cheapest capacity first (tariff:
    unlimited)."""
    at = where(t, pl)
    total = 0.0
    for _, o, d, k, q in t.demands:
        i, j = at[o], at[d]
        if i == j:
            continue
        vs = [v for v in t.vehicles if _carries(t, v, k)]
        trip_vs = [v for v in vs if t.vehicles[v]["pricing"] == "trip"]
        tariff_vs = [v for v in vs if t.vehicles[v]["pricing"] == "tariff"]
        best = math.inf
        ranges = [range(math.ceil(q / _per_trip_t(t, v, k) - 1e-9) + 1) for v in trip_vs]
        for counts in itertools.product(*ranges):
            r = rho_gate(t) if (t.gateway(i) or t.gateway(j)) else rho_rule(t)
            eur = sum(n * (_trip_eur(t, v, i, j) + r * _trip_eur(t, v, i, j, empty=True))
                      for v, n in zip(trip_vs, counts))
            caps = [(_tonne_eur(t, v, i, j), n * _per_trip_t(t, v, k))
                    for v, n in zip(trip_vs, counts)]
            caps += [(_tonne_eur(t, v, i, j), math.inf) for v in tariff_vs]
            left = q
            for per_t, cap in sorted(caps):
                take = min(left, cap)
                eur += take * per_t
                left -= take
            if left <= 1e-9:
                best = min(best, eur)
        total += t.weight * best
    return total


def brute_force(t: Tiny, balanced: bool = True,
                market: bool = True) -> tuple[float, dict[str, str]]:
    """(min annual cost, an optimal placement) over every feasible placement."""
    best = (math.inf, {})
    for pl in placements(t):
        c = fixed_cost(t, pl) + (transport_balanced(t, pl, market) if balanced
                                 else transport_dedicated(t, pl))
        if c < best[0]:
            best = (c, pl)
    return best


# ---- running clusteropt on a Tiny ------------------------------------------------------------


@dataclass
class Run:
    objective: float
    model: object
    solution: object
    kpis: dict


def run(t: Tiny, tmp: Path, switches=None, warm_start: bool = False, **options) -> Run:
    """Build, solve at gap 0, extract and evaluate (the only place clusteropt runs).

    Cold solve by default (``warm_start=False``): these tests check the formulation; the warm
    start from the stay placement is tested on its own (HiGHS 1.16 may stop at the start)."""
    from clusteropt.lanes import build_lanes
    from clusteropt.model import build, extract
    from clusteropt.results import evaluate
    from clusteropt.solve import solve

    sc = t.scenario(tmp, **options)
    lanes = build_lanes(sc)
    model = build(sc, lanes, switches)
    report = solve(model, gap_rel=0.0, time_limit_s=None, warm_start=warm_start)
    assert report.status == "optimal", (t.seed, report)
    sol = extract(model)
    return Run(report.objective, model, sol, evaluate(sc, lanes, sol).kpis)


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))

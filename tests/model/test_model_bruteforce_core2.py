"""Brute force for core II: pooled flows through one optional hub on tiny random instances.

Each instance has 3–4 farms (fixed activities), two candidate processor sites (kind ``site``,
``fixed_cost_eur_per_yr``) and one hub (kind ``hub``, fixed cost, handling €/t), one tariff
vehicle (€/tkm and €/t, no CO2) and one period of weight 1, so that for a fixed choice of open
sites and hub the cheapest flows are a linear program (a capacitated transportation problem).
Variants (by seed):

* ``supply``: each farm offers ``q_f`` t of residual ``res`` (pooled supply) to any acceptor —
  an open site (``accept_res``) or sometimes a fixed acceptor activity — or disposes of it at
  ``disposal_cost_eur_per_t``;
* ``demand``: each farm needs ``q_f`` t of input ``inp`` (pooled demand) from any supplier — an
  open site (``supply_inp``) or sometimes a fixed supplier activity — with or without a
  shortage cost;
* ``both``: the two at once, the sites accepting ``res`` and supplying ``inp``.

The reference never calls clusteropt: it enumerates every admissible (open sites, hub open)
configuration (2² × 2, within the site and hub rules) and, for each, solves its own LP with
``scipy.optimize.linprog``: one flow variable per (demand, partner, path) — direct (if allowed)
and via the hub if it is open — plus one disposal/shortage variable per demand where a cost is
given; ``Σ flows + rest = q`` per demand and ``Σ flows ≤ capacity`` per partner. Cost per tonne
of a path: per leg ``factor × (tariff_eur_per_tkm × km + tariff_eur_per_t)`` with factor 1 on a
direct leg, χ (collection) on origin → hub and δ (distribution) on hub → destination, a
zero-length leg (farm or partner at the hub node) skipped, plus the hub's handling €/t.
Configuration cost = LP + fixed costs of what is open; the brute-force optimum is the minimum.

Distances: Euclidean between integer grid points, written to an explicit matrix file.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from clusteropt.errors import ScenarioError
from clusteropt.lanes import build_lanes
from clusteropt.model import Switches
from clusteropt.run import InfeasibleError, run_scenario
from clusteropt.scenario import scenario_from_dict

SITES = ("p1", "p2")
HUB = "hub"
RES, INP = "res", "inp"


@dataclass
class Inst:
    """One tiny instance as plain data."""

    seed: int
    variant: str  # supply | demand | both
    pts: dict[str, tuple[int, int]]  # node → grid point (km)
    farms: dict[str, tuple[str, float, float]]  # farm activity → (node, q_res, q_inp)
    site_fixed: dict[str, float]  # site → €/yr when open
    accept: dict[str, float]  # site → accept_res (t/period)
    supply: dict[str, float]  # site → supply_inp (t/period)
    partner_act: dict[str, tuple[str, str, float]]  # activity → (node, 'accept'|'supply', cap)
    disposal: float | None  # €/t of res
    shortage: float | None  # €/t of inp
    hub_fixed: float
    hub_handling: float
    chi: float  # collection factor
    alpha: float  # transfer factor (unused with one hub: no hub-to-hub leg)
    delta: float  # distribution factor
    direct: bool
    max_per_route: int
    tkm: float
    per_t: float
    site_rules: dict = field(default_factory=dict)
    hub_rules: dict = field(default_factory=dict)

    def km(self, a: str, b: str) -> float:
        (xa, ya), (xb, yb) = self.pts[a], self.pts[b]
        return math.hypot(xa - xb, ya - yb)

    # ---- the clusteropt scenario (inline tables, matrix distances) ----------------------
    def scenario(self, tmp: Path):
        tmp.mkdir(parents=True, exist_ok=True)
        lines = ["from,to,distance_km"]
        for a in self.pts:
            for b in self.pts:
                if a != b:
                    lines.append(f"{a},{b},{self.km(a, b)!r}")
        (tmp / "lanes.csv").write_text("\n".join(lines) + "\n")
        nodes = []
        for n in self.pts:
            if n in SITES:
                row = {"id": n, "kind": "site", "fixed_cost_eur_per_yr": self.site_fixed[n]}
                if n in self.accept:
                    row[f"accept_{RES}"] = self.accept[n]
                if n in self.supply:
                    row[f"supply_{INP}"] = self.supply[n]
            elif n == HUB:
                row = {"id": n, "kind": "hub", "fixed_cost_eur_per_yr": self.hub_fixed,
                       "handling_eur_per_t": self.hub_handling}
            else:
                row = {"id": n}
            nodes.append(row)
        acts = [{"id": f, "node": n} for f, (n, _, _) in self.farms.items()]
        for a, (n, side, cap) in self.partner_act.items():
            acts.append({"id": a, "node": n,
                         (f"accept_{RES}" if side == "accept" else f"supply_{INP}"): cap})
        coms, dems = [], []
        if self.variant in ("supply", "both"):
            row = {"id": RES, "load_class": "bulk"}
            if self.disposal is not None:
                row["disposal_cost_eur_per_t"] = self.disposal
            coms.append(row)
            dems += [{"id": f"r-{f}", "kind": "pooled_supply", "origin": f, "commodity": RES,
                      "tonnes_per_period": q} for f, (_, q, _) in self.farms.items()]
        if self.variant in ("demand", "both"):
            row = {"id": INP, "load_class": "bulk"}
            if self.shortage is not None:
                row["shortage_cost_eur_per_t"] = self.shortage
            coms.append(row)
            dems += [{"id": f"i-{f}", "kind": "pooled_demand", "destination": f,
                      "commodity": INP, "tonnes_per_period": q}
                     for f, (_, _, q) in self.farms.items()]
        veh = {"id": "carrier", "mode": "road", "pricing": "tariff", "load_classes": "*",
               "tariff_eur_per_tkm": self.tkm, "tariff_eur_per_t": self.per_t,
               "co2_ttw_kg_per_tkm": 0.0}
        doc = {"name": f"core2-bf-{self.seed}", "interest_rate": 0.05, "lifetime_years": 10,
               "periods": [{"id": "p", "weight": 1}],
               "distance": {"method": "matrix", "file": "lanes.csv"},
               "options": {"gap_rel": 0.0, "time_limit_s": None},
               "hubs": {"collection_factor": self.chi, "transfer_factor": self.alpha,
                        "distribution_factor": self.delta, "direct": self.direct,
                        "max_per_route": self.max_per_route, **self.hub_rules},
               "tables": {"nodes": nodes, "activities": acts, "commodities": coms,
                          "demands": dems, "vehicles": [veh]}}
        if self.site_rules:
            doc["site_rules"] = dict(self.site_rules)
        sc = scenario_from_dict(doc, base_dir=tmp, path=tmp / "scenario.yaml")
        return sc, build_lanes(sc)


# ---- random instances ------------------------------------------------------------------------

VARIANTS = {**{s: "supply" for s in range(8)}, **{s: "demand" for s in range(8, 12)},
            **{s: "both" for s in range(12, 15)}}
SEEDS = sorted(VARIANTS)


def random_inst(seed: int) -> Inst:
    r = random.Random(1000 + seed)
    variant = VARIANTS[seed]
    pts: dict[str, tuple[int, int]] = {}

    def point(n: str, lo: int = 0, hi: int = 40) -> None:
        while True:  # distinct grid points: every lane has a positive length
            p = (r.randint(lo, hi), r.randint(lo, hi))
            if p not in pts.values():
                pts[n] = p
                return

    nf = r.choice([3, 4])
    for i in range(nf):
        point(f"farm{i}")
    for s in SITES:
        point(s, 5, 35)
    point(HUB, 12, 28)  # the hub lies central
    farm_node = {f"f{i}": f"farm{i}" for i in range(nf)}
    partner_node = None
    if r.random() < 0.45:
        point("pa")
        partner_node = "pa"
    # sometimes a farm, or the fixed partner, sits at the hub node: zero-length legs
    at_hub = r.random()
    if partner_node and at_hub < 0.35:
        del pts["pa"]
        partner_node = HUB
    elif 0.35 <= at_hub < 0.6:
        del pts["farm0"]
        farm_node["f0"] = HUB
    sup = variant in ("supply", "both")
    dem = variant in ("demand", "both")
    farms = {f: (n, float(r.randint(3, 20)) if sup else 0.0,
                 float(r.randint(3, 20)) if dem else 0.0) for f, n in farm_node.items()}
    need_inp = sum(q for _, _, q in farms.values())
    shortage = round(r.uniform(5, 20), 2) if dem and r.random() < 0.5 else None
    accept = {s: float(r.randint(8, 35)) for s in SITES} if sup else {}
    supply = {s: float(r.randint(8, 35)) for s in SITES} if dem else {}
    partner_act = {}
    if partner_node:
        side = "supply" if variant == "demand" else "accept"
        partner_act["partner"] = (partner_node, side, float(r.randint(4, 15)))
    if dem and shortage is None:  # every farm must be served: enough supply when all open
        have = sum(supply.values()) + sum(c for _, s_, c in partner_act.values()
                                          if s_ == "supply")
        if have < need_inp:
            supply["p1"] += need_inp - have
    site_rules: dict = {}
    if not (dem and shortage is None):
        site_rules = r.choice([{}, {}, {"max_open": 1}, {"exact_open": 1}])
    hub_rules = r.choice([{}, {}, {"max_open": 1}, {"exact_open": 1}])
    direct = r.random() < 0.8 or (dem and shortage is None and "exact_open" not in hub_rules)
    if dem and shortage is None and not direct:
        hub_rules = {"exact_open": 1}
    return Inst(
        seed=seed, variant=variant, pts=pts, farms=farms,
        site_fixed={s: float(r.choice([0, 50, 150, 300, 600])) for s in SITES},
        accept=accept, supply=supply, partner_act=partner_act,
        disposal=round(r.uniform(5, 20), 2) if sup else None, shortage=shortage,
        hub_fixed=float(r.choice([0, 20, 60, 150])), hub_handling=r.choice([0.0, 0.25, 0.5]),
        chi=round(r.uniform(0.8, 1.3), 2), alpha=round(r.uniform(0.3, 0.9), 2),
        delta=round(r.uniform(0.15, 0.5), 2), direct=direct,
        max_per_route=r.choice([1, 2]), tkm=round(r.uniform(0.05, 0.25), 3),
        per_t=r.choice([0.0, 0.5, 1.5]), site_rules=site_rules, hub_rules=hub_rules)


# ---- the reference: enumeration × an LP of its own ---------------------------------------------


def configurations(t: Inst):
    """Every (open sites, hub open) the site and hub rules admit."""
    for bits in itertools.product((0, 1), repeat=len(SITES)):
        n_open = sum(bits)
        if "max_open" in t.site_rules and n_open > t.site_rules["max_open"]:
            continue
        if "exact_open" in t.site_rules and n_open != t.site_rules["exact_open"]:
            continue
        for hub in (0, 1):
            if "max_open" in t.hub_rules and hub > t.hub_rules["max_open"]:
                continue
            if "exact_open" in t.hub_rules and hub != t.hub_rules["exact_open"]:
                continue
            yield dict(zip(SITES, bits)), hub


def leg_cost(t: Inst, a: str, b: str, factor: float) -> float:
    """€/t of one leg; a zero-length leg (a == b) costs nothing."""
    return 0.0 if a == b else factor * (t.tkm * t.km(a, b) + t.per_t)


def path_costs(t: Inst, a: str, b: str, hub_open: bool, no_hub: bool = False) -> list[float]:
    """€/t of each admissible path from node a to node b (a ≠ b). ``no_hub``: the hub is
    fixed closed (not merely left closed by the optimiser): then no hub is available and the
    direct path is allowed even under ``direct: false`` (the builder's and checker's rule)."""
    out = [leg_cost(t, a, b, 1.0)] if t.direct or no_hub else []
    if hub_open:
        out.append(leg_cost(t, a, HUB, t.chi) + leg_cost(t, HUB, b, t.delta) + t.hub_handling)
    return out


def config_cost(t: Inst, sites: dict[str, int], hub: int, fixed_hub: bool = False) -> float:
    """Fixed costs + the optimal flow cost (LP) of one configuration; inf if infeasible.
    ``fixed_hub``: the hub's state is fixed beforehand (``Switches.open_sites``), see
    :func:`path_costs`."""
    fixed = sum(t.site_fixed[s] for s in SITES if sites[s]) + (t.hub_fixed if hub else 0.0)
    cost: list[float] = []
    eq: list[dict[int, float]] = []
    eq_rhs: list[float] = []
    ub: dict[str, dict[int, float]] = {}  # partner → its intake/delivery columns
    cap: dict[str, float] = {}

    def column(c: float) -> int:
        cost.append(c)
        return len(cost) - 1

    for side, kinds in (("accept", ("supply", "both")), ("supply", ("demand", "both"))):
        if t.variant not in kinds:
            continue
        partners = [(s, s, (t.accept if side == "accept" else t.supply)[s])
                    for s in SITES if sites[s]]
        partners += [(a, n, c) for a, (n, sd, c) in t.partner_act.items() if sd == side]
        penalty = t.disposal if side == "accept" else t.shortage
        for fn, q_res, q_inp in t.farms.values():
            q = q_res if side == "accept" else q_inp
            row: dict[int, float] = {}
            for p, pn, c in partners:
                key = f"{side}:{p}"
                cap[key] = c
                a, b = (fn, pn) if side == "accept" else (pn, fn)
                for pc in path_costs(t, a, b, bool(hub), fixed_hub and not hub):
                    j = column(pc)
                    row[j] = 1.0
                    ub.setdefault(key, {})[j] = 1.0
            if penalty is not None:
                row[column(penalty)] = 1.0
            eq.append(row)
            eq_rhs.append(q)
    n = len(cost)
    if any(not row and rhs > 0 for row, rhs in zip(eq, eq_rhs)):
        return math.inf  # a demand with neither a path nor a penalty
    a_eq = np.zeros((len(eq), n))
    for i, row in enumerate(eq):
        for j, v in row.items():
            a_eq[i, j] = v
    keys = sorted(ub)
    a_ub = np.zeros((len(keys), n))
    for i, k in enumerate(keys):
        for j, v in ub[k].items():
            a_ub[i, j] = v
    res = linprog(np.array(cost), A_ub=a_ub if keys else None,
                  b_ub=np.array([cap[k] for k in keys]) if keys else None,
                  A_eq=a_eq, b_eq=np.array(eq_rhs), bounds=(0, None), method="highs")
    if res.status == 2:
        return math.inf
    assert res.status == 0, res.message
    return fixed + res.fun


_REF: dict[int, dict[tuple, float]] = {}


def reference(seed: int) -> dict[tuple, float]:
    """Cost of every admissible configuration, keyed by (open p1, open p2, hub open)."""
    if seed not in _REF:
        t = random_inst(seed)
        _REF[seed] = {(*(s[k] for k in SITES), h): config_cost(t, s, h)
                      for s, h in configurations(t)}
    return _REF[seed]


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def solved(t: Inst, tmp: Path, switches: Switches | None = None):
    sc, lanes = t.scenario(tmp)
    out = run_scenario(sc, lanes, switches, gap_rel=0.0, baseline=False)
    assert out.report.status == "optimal", (t.seed, out.report)
    assert out.check.passed, (t.seed, out.check.violations)
    return out


# ---- the reference on hand numbers ------------------------------------------------------------


def test_reference_on_hand_numbers():
    # One farm F (0,0) with 10 t; P1 at (30,0) accepts 20 t, 100 €/yr; P2 at (0,40) accepts
    # 20 t, 0 €/yr; hub H at (20,0), 50 €/yr, 1 €/t; tariff 0.1 €/tkm + 0.5 €/t; χ = 1,
    # δ = 0.5; disposal 20 €/t.
    t = Inst(seed=-1, variant="supply",
             pts={"farm0": (0, 0), "p1": (30, 0), "p2": (0, 40), HUB: (20, 0)},
             farms={"f0": ("farm0", 10.0, 0.0)}, site_fixed={"p1": 100.0, "p2": 0.0},
             accept={"p1": 20.0, "p2": 20.0}, supply={}, partner_act={}, disposal=20.0,
             shortage=None, hub_fixed=50.0, hub_handling=1.0, chi=1.0, alpha=0.5, delta=0.5,
             direct=True, max_per_route=1, tkm=0.1, per_t=0.5)
    # F → P1 direct: 3 + 0.5 = 3.5 €/t; via H: (2 + 0.5) + 0.5 × (1 + 0.5) + 1 = 4.25 €/t
    assert path_costs(t, "farm0", "p1", True) == pytest.approx([3.5, 4.25])
    # F → P2 direct: 4.5 €/t → 45 € (P2 free); P1: 35 + 100; nothing open: 200 disposal
    assert config_cost(t, {"p1": 0, "p2": 1}, 0) == pytest.approx(45.0)
    assert config_cost(t, {"p1": 1, "p2": 0}, 0) == pytest.approx(135.0)
    assert config_cost(t, {"p1": 0, "p2": 0}, 1) == pytest.approx(250.0)
    # the farm at the hub node: the collection leg is skipped, F → P1 via H = 0.5 × 1.5 + 1
    t.pts = {"p1": (30, 0), "p2": (0, 40), HUB: (20, 0)}
    t.farms = {"f0": (HUB, 10.0, 0.0)}
    assert path_costs(t, HUB, "p1", True) == pytest.approx([1.5, 1.75])


def test_instances_cover_the_features():
    """The random instances are not degenerate: the hub, the disposal/shortage outlet, each
    site and the fixed partner are all part of some brute-force optimum."""
    seen = set()
    for seed in SEEDS:
        t = random_inst(seed)
        costs = reference(seed)
        best = min(costs, key=costs.get)
        p1, p2, hub = best
        seen |= {f"p1={p1}", f"p2={p2}", f"hub={hub}", t.variant}
        if t.partner_act:
            seen.add("partner")
        if any(n == HUB for n, _, _ in t.farms.values()):
            seen.add("farm at hub")
        if any(n == HUB for n, _, _ in t.partner_act.values()):
            seen.add("partner at hub")
        if not t.direct:
            seen.add("no direct")
    assert seen >= {"p1=0", "p1=1", "p2=0", "p2=1", "hub=0", "hub=1", "supply", "demand",
                    "both", "partner", "farm at hub", "partner at hub",
                    "no direct"}, seen


# ---- the MILP against the brute force -----------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_optimum_equals_brute_force(seed, tmp_path):
    t = random_inst(seed)
    costs = reference(seed)
    ref_cfg = min(costs, key=costs.get)
    ref = costs[ref_cfg]
    assert math.isfinite(ref)
    out = solved(t, tmp_path)
    got = out.report.objective
    assert close(got, ref), (seed, t.variant, got, ref, ref_cfg, out.solution.open_sites)
    # the chosen configuration is an admissible one whose reference cost is the optimum
    o = out.solution.open_sites
    cfg = (*(o.get(s, 0) for s in SITES), o.get(HUB, 0))
    assert cfg in costs, (seed, cfg)
    assert close(costs[cfg], ref), (seed, cfg, costs[cfg], ref_cfg, ref)
    # the builder's terms add up to the solver's objective; so do the evaluated KPIs
    assert close(out.model.objective_value(), got)
    assert close(out.results.kpis["total_cost_eur"], got)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_configuration_costs_the_reference(seed, tmp_path):
    """Not only the minimum: each admissible configuration, fixed through
    ``Switches.open_sites`` (sites and hub), costs what the reference LP says — or has no
    solution when the reference LP has none."""
    t = random_inst(seed)
    bad = []
    for n, (sites, hub) in enumerate(configurations(t)):
        ref = config_cost(t, sites, hub, fixed_hub=True)
        fixed = {**{s: bool(o) for s, o in sites.items()}, HUB: bool(hub)}
        cfg = (*sites.values(), hub)
        if not math.isfinite(ref):
            # no supplier left and no shortage cost: the builder may already see it (a demand
            # row with no route at all is a constant row: ScenarioError) or the solver does
            with pytest.raises((InfeasibleError, ScenarioError)):
                run_scenario(*t.scenario(tmp_path / str(n)), Switches(open_sites=fixed),
                             gap_rel=0.0, baseline=False)
            continue
        out = solved(t, tmp_path / str(n), Switches(open_sites=fixed))
        if not close(out.report.objective, ref):
            bad.append((cfg, out.report.objective, ref))
    assert not bad, (seed, t.variant, bad)


# ---- a bug found by the brute force -------------------------------------------------------------


def test_evaluated_cost_applies_leg_factors(tmp_path):
    # Farm F (0,0) offers 10 t; processor P (100,0) accepts 20 t, free; hub H (10,0), free, no
    # handling; tariff 0.1 €/tkm; χ = 1, δ = 0.5; disposal 50 €/t. Direct: 10 €/t; via H:
    # 1 + 0.5 × 9 = 5.5 €/t → 55 €/yr (weight 1). Unfactored, the same flows cost 100 €.
    t = Inst(seed=-2, variant="supply", pts={"farm0": (0, 0), "p1": (100, 0),
                                              "p2": (0, 100), HUB: (10, 0)},
             farms={"f0": ("farm0", 10.0, 0.0)}, site_fixed={"p1": 0.0, "p2": 1000.0},
             accept={"p1": 20.0, "p2": 20.0}, supply={}, partner_act={}, disposal=50.0,
             shortage=None, hub_fixed=0.0, hub_handling=0.0, chi=1.0, alpha=1.0, delta=0.5,
             direct=True, max_per_route=1, tkm=0.1, per_t=0.0)
    out = solved(t, tmp_path)
    assert out.report.objective == pytest.approx(55.0)
    assert out.results.kpis["hub_throughput_t"] == pytest.approx(10.0)
    assert out.results.kpis["transport_cost_eur"] == pytest.approx(55.0)  # got 100.0
    assert out.results.kpis["total_cost_eur"] == pytest.approx(out.report.objective)

"""OR-Library capacitated warehouse location (Beasley 1988; files ``cap41`` … ``capc``) as a
clusteropt scenario (model.md §10).

File format (a stream of blank-separated tokens; line breaks carry no meaning)::

    m n                           warehouses, customers
    s_i f_i          (m times)    capacity (a number, or the word 'capacity') and fixed cost
    d_j c_1j … c_mj  (n times)    demand, then the cost of serving ALL of d_j from each warehouse

Problem (``cflp``, split demand allowed)::

    min Σ_i f_i y_i + Σ_ij c_ij x_ij   s.t.  Σ_i x_ij = 1,  Σ_j d_j x_ij ≤ s_i y_i,  x ≥ 0, y binary

Mapping onto the model, through the ordinary builder:

* warehouse i → node ``w<i>`` of kind ``site`` with ``supply_goods`` = s_i (t/period) and
  ``fixed_cost_eur_per_yr`` = f_i (an annual cost: no annuity, the interest rate is irrelevant);
* customer j → node ``c<j>`` with a fixed activity ``c<j>`` and a ``pooled_demand`` of d_j t of
  commodity ``goods`` (no shortage cost: the demand must be met; shares may split);
* one tariff vehicle; the lane w<i> → c<j> costs c_ij / d_j per tonne through the distance
  matrix's ``cost_eur_per_t`` column, so the flow x_ij · d_j costs c_ij · x_ij exactly. The
  ``distance_km`` column is 0 (it only feeds tonne-km and CO2 KPIs; the CO2 factor is 0);
* one period of weight 1; the builder's strong link ``x ≤ d_j · open[i]`` is the facility
  location ``x ≤ y``.

Zero-demand customers: c_ij / d_j is undefined. In Beasley's formulation such a customer still
pays min over open i of c_ij; a zero-tonne flow cannot carry a cost in this model, so they are
**dropped** and listed in ``Scenario.warnings``. None of the distributed files has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clusteropt.errors import Issue, ScenarioError
from clusteropt.scenario import Scenario, scenario_from_dict

COMMODITY = "goods"


@dataclass
class CapInstance:
    """One OR-Library ``cap*`` file. ``capacity[i]`` is None where the file has the word
    ``capacity`` (capa/b/c: the value is a parameter of the run). ``cost[j, i]`` is the cost of
    serving all of customer j's demand from warehouse i."""

    name: str
    capacity: list[float | None]
    fixed_cost: np.ndarray  # (m,)
    demand: np.ndarray  # (n,)
    cost: np.ndarray  # (n, m)
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def m(self) -> int:
        return len(self.capacity)

    @property
    def n(self) -> int:
        return len(self.demand)

    @property
    def needs_capacity(self) -> bool:
        """The file holds the word 'capacity': the capacity value must be given."""
        return any(c is None for c in self.capacity)

    def capacities(self, capacity: float | None = None) -> np.ndarray:
        """Capacity per warehouse: ``capacity`` for all when given, else the file's."""
        if capacity is not None:
            return np.full(self.m, float(capacity))
        if self.needs_capacity:
            raise ScenarioError([Issue(str(self.path or self.name), None, None,
                                       f"{self.name} has the word 'capacity' in place of the "
                                       f"warehouse capacities: give the value (e.g. "
                                       f"--capacity 8000)")])
        return np.array(self.capacity, dtype=float)

    def objective(self, open_: np.ndarray, x: np.ndarray) -> float:
        """Beasley's objective for open flags (m,) and shares x (n, m)."""
        return float(self.fixed_cost @ open_ + (self.cost * x).sum())


def read_cap(path: str | Path) -> CapInstance:
    """Read an OR-Library ``cap*`` file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError([Issue(str(path), None, None, "file not found")])
    tokens = path.read_text(encoding="ascii", errors="replace").split()
    name = path.name.split(".")[0]

    def fail(msg: str) -> ScenarioError:
        return ScenarioError([Issue(str(path), None, None, f"not an OR-Library cap file: {msg}")])

    def num(k: int, what: str) -> float:
        if k >= len(tokens):
            raise fail(f"the file ends early (expected {what})")
        try:
            return float(tokens[k])
        except ValueError:
            raise fail(f"token {k + 1} '{tokens[k]}' is not a number ({what})") from None

    m, n = int(num(0, "m")), int(num(1, "n"))
    if m <= 0 or n <= 0:
        raise fail(f"m = {m}, n = {n}: both must be positive")
    need = 2 + 2 * m + n * (1 + m)
    if len(tokens) != need:
        raise fail(f"{len(tokens)} numbers, expected {need} for m = {m}, n = {n}")
    capacity: list[float | None] = []
    fixed = np.empty(m)
    k = 2
    for i in range(m):
        capacity.append(None if tokens[k].lower() == "capacity"
                        else num(k, f"capacity of warehouse {i + 1}"))
        fixed[i] = num(k + 1, f"fixed cost of warehouse {i + 1}")
        k += 2
    body = tokens[k:]
    try:
        arr = np.array(body, dtype=float).reshape(n, 1 + m)
    except ValueError:
        raise fail("the customer block holds a token that is not a number") from None
    return CapInstance(name=name, capacity=capacity, fixed_cost=fixed, demand=arr[:, 0].copy(),
                       cost=arr[:, 1:].copy(), path=path)


def cap_scenario(inst: CapInstance, capacity: float | None = None,
                 workdir: str | Path = ".", time_limit_s: float | None = None,
                 gap_rel: float = 0.0, threads: int | None = None,
                 method: str = "auto") -> Scenario:
    """The scenario of ``inst`` with ``capacity`` (required for capa/b/c; overrides the file's
    capacities when given). Writes the lane matrix ``<name>-lanes.csv`` into ``workdir``."""
    caps = inst.capacities(capacity)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    keep = [j for j in range(inst.n) if inst.demand[j] > 0]
    warnings = []
    if len(keep) < inst.n:
        warnings.append(f"{inst.n - len(keep)} customers with zero demand dropped "
                        f"(their c_ij / d_j is undefined)")

    nodes = [{"id": f"w{i + 1}", "kind": "site", f"supply_{COMMODITY}": float(caps[i]),
              "fixed_cost_eur_per_yr": float(inst.fixed_cost[i])} for i in range(inst.m)]
    nodes += [{"id": f"c{j + 1}", "kind": "location"} for j in keep]
    activities = [{"id": f"c{j + 1}", "node": f"c{j + 1}"} for j in keep]
    demands = [{"id": f"d{j + 1}", "kind": "pooled_demand", "destination": f"c{j + 1}",
                "commodity": COMMODITY, "tonnes_per_period": float(inst.demand[j])}
               for j in keep]

    lane_file = workdir / f"{inst.name}-lanes.csv"
    with lane_file.open("w", encoding="utf-8") as fh:
        fh.write("from,to,distance_km,cost_eur_per_t\n")
        for j in keep:
            d = float(inst.demand[j])
            for i in range(inst.m):
                fh.write(f"w{i + 1},c{j + 1},0,{float(inst.cost[j, i]) / d!r}\n")

    options: dict = {"gap_rel": gap_rel, "time_limit_s": time_limit_s, "co2_price_eur_per_t": 0,
                     "method": method}
    if threads is not None:
        options["threads"] = threads
    doc = {
        "name": inst.name,
        "description": f"OR-Library capacitated warehouse location {inst.name} "
                       f"(Beasley 1988), m = {inst.m}, n = {inst.n}",
        "periods": [{"id": "year", "weight": 1}],
        "interest_rate": 0.0,
        "distance": {"method": "matrix", "file": lane_file.name},
        "options": options,
        "tables": {
            "nodes": nodes,
            "activities": activities,
            "commodities": [{"id": COMMODITY, "load_class": COMMODITY}],
            "demands": demands,
            "vehicles": [{"id": "carrier", "pricing": "tariff", "tariff_eur_per_tkm": 0,
                          "tariff_eur_per_t": 0, "co2_ttw_kg_per_tkm": 0,
                          "load_classes": COMMODITY}],
        },
    }
    sc = scenario_from_dict(doc, base_dir=workdir, label=f"{inst.name} (OR-Library)")
    sc.variant = None if capacity is None else f"capacity={capacity:g}"
    sc.warnings.extend(warnings)
    return sc

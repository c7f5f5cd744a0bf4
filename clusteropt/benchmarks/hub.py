"""Uncapacitated multiple-allocation p-hub median (UMApHMP) instances as clusteropt scenarios
(model.md §10): Australia Post (AP; Ernst & Krishnamoorthy 1996, 1998) and CAB (O'Kelly 1987).

Problem: choose exactly p hubs among the n cities; every flow w_ij (i = j included) goes
i → k → m → j through open hubs k, m (k = m allowed) at cost
``w_ij · (χ·d_ik + α·d_km + δ·d_mj)``; no direct routes. Given the hubs, each pair takes its
cheapest hub pair, so single-hub paths are the case k = m.

Data (see ``shared/benchmarks/hub-ap/SOURCES.md`` and ``hub-cab/SOURCES.md``):

* AP node files ``<n>.<p>``: n; n lines x y; the n×n flows (not normalised); p; χ; α; δ
  (3, 0.75, 2 in every file). Distances are Euclidean between the coordinates, not rounded.
  Published objective = Σ w_ij · path cost / 1000 (``scale`` = 0.001).
* CAB: ``CAB25.txt`` (25, the 25×25 flows W, then the 25×25 distances C), the n-city instances
  being the leading n×n sub-matrices; χ = δ = 1, α a parameter; objective = Σ w_ij · path cost
  (raw flows, ``scale`` = 1). The values in ``hub-cab/optima.csv`` were computed with the C of
  ``CAB25.txt``, which is therefore preferred; ``okelly.txt`` (same W, C to 1.2e-4) and the
  AP-format ``<n>.3.4`` files (Euclidean C to 7e-4) are fallbacks.

Mapping onto the model, through the ordinary builder:

* city i → node ``h<i>`` of kind ``hub`` at zero cost, hosting two fixed activities: the sender
  ``c<i>`` and the receiver ``c<i>-in`` (so that the flow i → i is a demand between two
  activities on one node and must pass a hub: i → k → i, free when i itself is a hub);
* a directed demand ``w<i>-<j>`` of w_ij t from ``c<i>`` to ``c<j>-in`` for every i, j with
  w_ij > 0 (i = j included);
* ``hubs: {exact_open: p, direct: false, max_per_route: 2, collection_factor: χ,
  transfer_factor: α, distribution_factor: δ, form: route|arc}``;
* one tariff vehicle at 1 per unit flow and unit distance (``tariff_eur_per_tkm`` = 1), the
  distance matrix from the data (``distance_km`` = d_ij); one period of weight 1.

The model's objective is then Σ w_ij · path cost; the published value is that × ``scale``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clusteropt.errors import Issue, ScenarioError
from clusteropt.scenario import Scenario, scenario_from_dict

COMMODITY = "flow"


@dataclass
class HubInstance:
    """Flows ``w`` (n×n), distances ``d`` (n×n), the file's default p and factors, and the
    scale from the model's objective to the published one."""

    name: str  # AP20, CAB10 (the instance names of optima.csv)
    w: np.ndarray
    d: np.ndarray
    p: int | None
    chi: float
    alpha: float | None
    delta: float
    scale: float
    source: Path | None = None

    @property
    def n(self) -> int:
        return len(self.w)

    def objective(self, hubs: list[int], alpha: float | None = None) -> float:
        """Published objective of an open hub set (0-based indices): every pair takes its
        cheapest hub pair — the exact UMApHMP value for those hubs (used by tests)."""
        a = self.alpha if alpha is None else alpha
        h = list(hubs)
        best = np.full((self.n, self.n), np.inf)
        for k in h:
            for m in h:
                c = (self.chi * self.d[:, k][:, None] + a * self.d[k, m]
                     + self.delta * self.d[m, :][None, :])
                best = np.minimum(best, c)
        return float((self.w * best).sum() * self.scale)


def _fail(path: Path, msg: str) -> ScenarioError:
    return ScenarioError([Issue(str(path), None, None, msg)])


def _numbers(path: Path) -> list[float]:
    if not path.is_file():
        raise _fail(path, "file not found")
    try:
        return [float(t) for t in path.read_text(encoding="ascii", errors="replace").split()]
    except ValueError as err:
        raise _fail(path, f"expected numbers only: {err}") from None


def _euclid(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff ** 2).sum(axis=-1))


def read_node_file(path: str | Path, name: str | None = None, scale: float = 1.0
                   ) -> HubInstance:
    """An AP-format node file: n, coordinates, n×n flows, then p, χ, α, δ."""
    path = Path(path)
    t = _numbers(path)
    if not t:
        raise _fail(path, "empty file")
    n = int(t[0])
    need = 1 + 2 * n + n * n + 4
    if n <= 0 or len(t) < need:
        raise _fail(path, f"{len(t)} numbers, expected {need} for n = {n} (n, coordinates, "
                          f"flows, p, collection, transfer, distribution)")
    xy = np.array(t[1:1 + 2 * n]).reshape(n, 2)
    w = np.array(t[1 + 2 * n:1 + 2 * n + n * n]).reshape(n, n)
    p, chi, alpha, delta = t[1 + 2 * n + n * n:need]
    return HubInstance(name=name or f"AP{n}", w=w, d=_euclid(xy), p=int(p), chi=chi,
                       alpha=alpha, delta=delta, scale=scale, source=path)


def read_ap(data_dir: str | Path, n: int) -> HubInstance:
    """The AP instance with n nodes from ``data_dir`` (a node file ``<n>.<p>``; files for the
    same n differ only in their p line). Published objective = total / 1000."""
    data_dir = Path(data_dir)
    pat = re.compile(rf"^{n}\.(\d+)$")
    files = sorted(f for f in data_dir.glob(f"{n}.*") if pat.match(f.name))
    if not files:
        raise _fail(data_dir, f"no AP node file for n = {n} (expected a file named "
                              f"'{n}.<p>', e.g. '{n}.3')")
    return read_node_file(files[0], name=f"AP{n}", scale=1e-3)


def read_cab(data_dir: str | Path, n: int) -> HubInstance:
    """The CAB instance with the first n of the 25 cities from ``data_dir`` (``CAB25.txt``,
    else ``okelly.txt``, else the node file ``<n>.3.4``); χ = δ = 1, α left to the run."""
    data_dir = Path(data_dir)
    if not 1 <= n <= 25:
        raise _fail(data_dir, f"CAB has 25 cities; n = {n} is not between 1 and 25")
    cab25, okelly = data_dir / "CAB25.txt", data_dir / "okelly.txt"
    if cab25.is_file():
        t = _numbers(cab25)
        if len(t) != 1 + 2 * 625 or int(t[0]) != 25:
            raise _fail(cab25, "expected 25, then the 25×25 flows and the 25×25 distances")
        w = np.array(t[1:626]).reshape(25, 25)
        d = np.array(t[626:]).reshape(25, 25)
        src = cab25
    elif okelly.is_file():
        w, d = np.zeros((25, 25)), np.zeros((25, 25))
        seen = 0
        lines = okelly.read_text(encoding="ascii", errors="replace").splitlines()
        start = next((k for k, ln in enumerate(lines) if ln.startswith("param:")), None)
        if start is None:
            raise _fail(okelly, "no 'param:' line before the data")
        for ln in lines[start + 1:]:
            parts = ln.replace(";", " ").split()
            if len(parts) < 4:
                continue
            i, j = int(parts[0]) - 1, int(parts[1]) - 1
            w[i, j], d[i, j] = float(parts[2]), float(parts[3])
            seen += 1
        if seen != 625:
            raise _fail(okelly, f"{seen} data lines, expected 625")
        src = okelly
    else:
        pat = re.compile(rf"^{n}\.\d+\.\d+$")
        files = sorted(f for f in data_dir.glob(f"{n}.*") if pat.match(f.name))
        if not files:
            raise _fail(data_dir, f"no CAB data: expected CAB25.txt, okelly.txt or "
                                  f"'{n}.3.4'")
        inst = read_node_file(files[0], name=f"CAB{n}")
        inst.alpha, inst.chi, inst.delta, inst.p = None, 1.0, 1.0, None
        return inst
    return HubInstance(name=f"CAB{n}", w=w[:n, :n].copy(), d=d[:n, :n].copy(), p=None,
                       chi=1.0, alpha=None, delta=1.0, scale=1.0, source=src)


def hub_scenario(inst: HubInstance, p: int, alpha: float | None = None,
                 form: str = "route", workdir: str | Path = ".",
                 time_limit_s: float | None = None, gap_rel: float = 0.0,
                 threads: int | None = None) -> Scenario:
    """The p-hub median scenario of ``inst`` (see the module docstring); ``alpha`` overrides
    the instance's transfer factor (required for CAB). Writes ``<name>-lanes.csv`` into
    ``workdir``."""
    a = inst.alpha if alpha is None else float(alpha)
    if a is None:
        raise _fail(inst.source or Path(inst.name),
                    f"{inst.name}: give the inter-hub factor alpha (e.g. --alpha 0.4)")
    if not 1 <= p <= inst.n:
        raise _fail(inst.source or Path(inst.name),
                    f"{inst.name}: p = {p} hubs, expected 1 … {inst.n}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    n = inst.n
    lane_file = workdir / f"{inst.name}-lanes.csv"
    with lane_file.open("w", encoding="utf-8") as fh:
        fh.write("from,to,distance_km\n")
        for i in range(n):
            for j in range(n):
                if i != j:
                    fh.write(f"h{i + 1},h{j + 1},{float(inst.d[i, j])!r}\n")
    nodes = [{"id": f"h{i + 1}", "kind": "hub"} for i in range(n)]
    activities = [{"id": f"c{i + 1}{suffix}", "node": f"h{i + 1}"}
                  for i in range(n) for suffix in ("", "-in")]
    demands = [{"id": f"w{i + 1}-{j + 1}", "kind": "directed", "origin": f"c{i + 1}",
                "destination": f"c{j + 1}-in", "commodity": COMMODITY,
                "tonnes_per_period": float(inst.w[i, j])}
               for i in range(n) for j in range(n) if inst.w[i, j] > 0]
    options: dict = {"gap_rel": gap_rel, "time_limit_s": time_limit_s, "co2_price_eur_per_t": 0}
    if threads is not None:
        options["threads"] = threads
    doc = {
        "name": inst.name,
        "description": f"p-hub median {inst.name} (multiple allocation), p = {p}, "
                       f"chi = {inst.chi:g}, alpha = {a:g}, delta = {inst.delta:g}",
        "periods": [{"id": "period", "weight": 1}],
        "interest_rate": 0.0,
        "distance": {"method": "matrix", "file": lane_file.name},
        "hubs": {"exact_open": int(p), "direct": False, "max_per_route": 2,
                 "collection_factor": inst.chi, "transfer_factor": a,
                 "distribution_factor": inst.delta, "form": form},
        "options": options,
        "tables": {
            "nodes": nodes,
            "activities": activities,
            "commodities": [{"id": COMMODITY, "load_class": COMMODITY}],
            "demands": demands,
            "vehicles": [{"id": "carrier", "pricing": "tariff", "tariff_eur_per_tkm": 1,
                          "tariff_eur_per_t": 0, "co2_ttw_kg_per_tkm": 0,
                          "load_classes": COMMODITY}],
        },
    }
    sc = scenario_from_dict(doc, base_dir=workdir, label=f"{inst.name} (p-hub median)")
    sc.variant = f"p={p};alpha={a:g}"
    return sc

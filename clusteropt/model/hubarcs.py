r"""The per-origin hub-arc form of hub routing (Ernst & Krishnamoorthy 1998), for directed
demands whose ends are both fixed, when the scenario asks for ``hubs.form: arc``.

For each origin node ``o``, commodity ``k`` and period ``p`` (tonnes):

* ``col[o,h]``  collection o → hub h,  ``tr[o,h,l]`` transfer h → l (h ≠ l),
  ``dist[o,l,t]`` distribution l → t, ``dir[o,t]`` direct (when allowed);
* ``Σ_h col + Σ_t dir = O_o`` (all that leaves o);
* conservation at each hub h: ``col[o,h] + Σ_l tr[o,l,h] = Σ_l tr[o,h,l] + Σ_t dist[o,h,t]``;
* ``Σ_l dist[o,l,t] + dir[o,t] = W_{o,t}`` (each destination gets its tonnes);
* only through open hubs: ``col ≤ O·open[h]``, ``tr ≤ O·open[h]``, ``tr ≤ O·open[l]``,
  ``dist ≤ W·open[l]``.

Row families: ``arc_origin``, ``arc_conservation``, ``arc_destination``, ``arc_hub_link``.

Variables grow as O(n³) instead of the route form's O(n⁴). It gives the route form's optimum
when the transfer factor α ≤ min(χ, δ) and distances obey the triangle inequality (then no
optimal flow passes more than two hubs). After the solve, ``decompose`` splits the arc flows
into routes (origin, hub[, hub], destination) for the solution tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArcGroup:
    """The arc variables of one origin node, commodity, owner and period."""

    origin: str
    commodity: str
    owner: str | None
    period: str
    demand_tonnes: dict[str, dict[str, float]]  # destination → demand id → tonnes
    col: dict[str, Any] = field(default_factory=dict)
    tr: dict[tuple[str, str], Any] = field(default_factory=dict)
    dist: dict[tuple[str, str], Any] = field(default_factory=dict)
    direct: dict[str, Any] = field(default_factory=dict)


def build_arcs(groups: dict[tuple, dict[str, dict[str, float]]], hubs: list[str],
               allow_direct: bool, open_at: dict, var, rows) -> list[ArcGroup]:
    """Create the arc variables and rows; ``groups`` maps (origin, k, owner, period) to
    {destination: {demand: tonnes}}; ``open_at`` maps a hub to its ``LinearTerm``."""
    out = []
    for (o, k, owner, p), dest in groups.items():
        g = ArcGroup(o, k, owner, p, dest)
        total = sum(sum(d.values()) for d in dest.values())
        if total <= 0:
            continue
        w = {t: sum(d.values()) for t, d in dest.items()}
        g.col = var.make("col", [(o, k, p, h) for h in hubs])
        g.col = {h: g.col[o, k, p, h] for h in hubs}
        trk = var.make("tr", [(o, k, p, h, m) for h in hubs for m in hubs if h != m])
        g.tr = {(h, m): trk[o, k, p, h, m] for h in hubs for m in hubs if h != m}
        dk = var.make("dist", [(o, k, p, m, t) for m in hubs for t in dest])
        g.dist = {(m, t): dk[o, k, p, m, t] for m in hubs for t in dest}
        if allow_direct:
            dd = var.make("dir", [(o, k, p, t) for t in dest])
            g.direct = {t: dd[o, k, p, t] for t in dest}
        key = (o, k, owner, p)
        rows.add("arc_origin", key, [(v, 1.0) for v in g.col.values()]
                 + [(v, 1.0) for v in g.direct.values()], "==", total)
        for h in hubs:
            inflow = [(g.col[h], 1.0)] + [(g.tr[m, h], 1.0) for m in hubs if m != h]
            outflow = [(g.tr[h, m], -1.0) for m in hubs if m != h] + [
                (g.dist[h, t], -1.0) for t in dest]
            rows.add("arc_conservation", (*key, h), inflow + outflow, "==", 0.0)
        for t in dest:
            rows.add("arc_destination", (*key, t), [(g.dist[m, t], 1.0) for m in hubs]
                     + ([(g.direct[t], 1.0)] if t in g.direct else []), "==", w[t])
        for h in hubs:
            o_h = open_at[h]
            if o_h.is_constant:  # a hub fixed open needs no link; one fixed closed, none
                if o_h.const == 0.0:
                    for v in (g.col[h], *[g.tr[h, m] for m in hubs if m != h],
                              *[g.tr[m, h] for m in hubs if m != h],
                              *[g.dist[h, t] for t in dest]):
                        v.upBound = 0.0
                continue
            (y, _), = o_h.terms
            rows.add("arc_hub_link", (*key, "col", h), [(g.col[h], 1.0), (y, -total)], "<=",
                     0.0)
            for m in hubs:
                if m != h:
                    rows.add("arc_hub_link", (*key, "out", h, m),
                             [(g.tr[h, m], 1.0), (y, -total)], "<=", 0.0)
                    rows.add("arc_hub_link", (*key, "in", m, h),
                             [(g.tr[m, h], 1.0), (y, -total)], "<=", 0.0)
            for t in dest:
                rows.add("arc_hub_link", (*key, "dist", h, t),
                         [(g.dist[h, t], 1.0), (y, -w[t])], "<=", 0.0)
        out.append(g)
    return out


def arc_loads(g: ArcGroup) -> list[tuple[str, str, str, Any]]:
    """(i, j, role, variable) of every arc with a real leg (i ≠ j)."""
    legs = [(g.origin, h, "collection", v) for h, v in g.col.items()]
    legs += [(h, m, "transfer", v) for (h, m), v in g.tr.items()]
    legs += [(m, t, "distribution", v) for (m, t), v in g.dist.items()]
    legs += [(g.origin, t, "direct", v) for t, v in g.direct.items()]
    return [(i, j, role, v) for i, j, role, v in legs if i != j]


def hub_inflow(g: ArcGroup) -> dict[str, list[Any]]:
    """Variables whose sum is the tonnes handled at each hub (collection + transfers in)."""
    out: dict[str, list[Any]] = defaultdict(list)
    for h, v in g.col.items():
        out[h].append(v)
    for (_h, m), v in g.tr.items():
        out[m].append(v)
    return out


def decompose(g: ArcGroup, eps: float = 1e-9) -> list[tuple[str, tuple[str, ...], float]]:
    """Split a solved group's arc flows into (demand, path, tonnes). Flow into each
    destination is traced back hub by hub in proportion to the hubs' inflows."""
    val = {k: (v.varValue or 0.0) for k, v in g.col.items()}
    trv = {k: (v.varValue or 0.0) for k, v in g.tr.items()}
    out = []
    for t, demands in g.demand_tonnes.items():
        total_t = sum(demands.values())
        if total_t <= eps:
            continue
        paths: dict[tuple[str, ...], float] = defaultdict(float)
        if t in g.direct:
            paths[(g.origin, t)] += g.direct[t].varValue or 0.0
        for (m, t2), v in g.dist.items():
            if t2 != t or (v.varValue or 0.0) <= eps:
                continue
            amount = v.varValue
            inflow = {"col": val.get(m, 0.0)}
            inflow.update({h: f for (h, m2), f in trv.items() if m2 == m and f > eps})
            total_in = sum(inflow.values())
            for src, f in inflow.items():
                share = amount * f / total_in if total_in > eps else 0.0
                if share <= eps:
                    continue
                path = (g.origin, m, t) if src == "col" else (g.origin, src, m, t)
                paths[path] += share
        for path, amount in paths.items():
            if amount <= eps:
                continue
            for d, q in demands.items():
                out.append((d, path, amount * q / total_t))
    return out

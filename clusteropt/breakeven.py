"""Break-even relocation cost of every movable activity (firm).

For a firm f at its chosen node n* (the optimum), with every other firm's placement fixed
and the sites free to open or close:

* if f moved (n* ≠ its stay node s): its saving is S = T_stay − (T_opt − annuity(R_f,n*)),
  T_stay the optimum with f held at s and T_opt the optimum; moving keeps paying while its
  one-off relocation cost R stays below S / a, a = annuity(1) (the annuity factor);
* if f stays: for each candidate n, S_n = T_opt − T_n, T_n the optimum with f held at n
  without its relocation cost; the best site is the largest S_n, and moving there would pay
  for a relocation cost below S_n / a (none, when S_n ≤ 0).

Each T is a solve of the scenario's own model with those placements fixed, at gap 0 (so the
break-even is exact up to the solver's tolerance: the same firm at a relocation cost just
below / above it decides the other way, others fixed). ``per_ha``: the break-even per hectare
of the firm's ``size_ha``.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from clusteropt.lanes import Lanes
from clusteropt.model import Switches, build
from clusteropt.model.core import ModelInputError
from clusteropt.scenario import Scenario
from clusteropt.solve import solve

AUTO_MAX_SOLVES = 40  # 'auto' computes it when it takes no more solves than this


def solves_needed(sc: Scenario, placement: dict[str, str]) -> int:
    """How many fixed solves the break-even of every movable firm takes."""
    n = 0
    for f, a in sc.activities.items():
        if a.movable and f in placement and a.stay_node() is not None:
            n += 1 if placement[f] != a.stay_node() else sum(
                1 for c in a.candidates if c != a.stay_node() and sc.fix.sites.get(c) != "closed")
    return n


def _total(sc: Scenario, lanes: Lanes, placement: dict[str, str], time_limit_s: float | None,
           without_reloc: str | None = None, tour_columns: tuple | None = None) -> float | None:
    """The optimum with every activity fixed at ``placement`` (sites free), in euro/yr;
    ``without_reloc``: that firm's relocation annuity left out; ``tour_columns``: the tours
    offered (the optimum's; None: today's)."""
    if without_reloc is not None:
        sc = replace(sc, activities={**sc.activities, without_reloc: replace(
            sc.activities[without_reloc], reloc_cost_eur={
                n: 0.0 for n in sc.activities[without_reloc].reloc_cost_eur})})
    try:
        model = build(sc, lanes, Switches(placement=dict(placement), tour_columns=tour_columns))
    except ModelInputError:  # that node is not admissible (closed, too small)
        return None
    report = solve(model, gap_rel=0.0, time_limit_s=time_limit_s, warm_start=False)
    return report.objective if report.status == "optimal" else None


def break_even(sc: Scenario, lanes: Lanes, placement: dict[str, str],
               time_limit_s: float | None = 60.0, tour_columns: tuple | None = None
               ) -> pd.DataFrame:
    """One row per movable firm that exists today: chosen, best site, annual saving (EUR/yr)
    of being there rather than at the alternative, break-even one-off relocation cost (EUR)
    and per ha; ``note`` where a solve did not finish. Every solve is offered the same tours
    (``tour_columns``, the optimum's), so a firm elsewhere gets no tours built around it."""
    a_factor = sc.annuity(1.0)
    t_opt = _total(sc, lanes, placement, time_limit_s, tour_columns=tour_columns)
    rows = []
    for f, act in sc.activities.items():
        stay = act.stay_node()
        if not act.movable or stay is None or f not in placement:
            continue
        chosen = placement[f]
        size = act.size.get("ha")
        if chosen != stay:
            t_stay = _total(sc, lanes, {**placement, f: stay}, time_limit_s,
                            tour_columns=tour_columns)
            t_move = _total(sc, lanes, placement, time_limit_s, without_reloc=f,
                            tour_columns=tour_columns)
            site, saving = chosen, (None if None in (t_stay, t_move) else t_stay - t_move)
        else:
            best = None
            for n in act.candidates:
                if n == stay or sc.fix.sites.get(n) == "closed":
                    continue
                t_n = _total(sc, lanes, {**placement, f: n}, time_limit_s, without_reloc=f,
                             tour_columns=tour_columns)
                if t_n is not None and t_opt is not None and (
                        best is None or t_opt - t_n > best[1]):
                    best = (n, t_opt - t_n)
            site, saving = (best if best is not None else (None, 0.0))
        be = saving / a_factor if saving is not None and saving > 0 else 0.0 \
            if saving is not None else None
        rows.append({"activity": f, "today": stay, "chosen": chosen, "moved": chosen != stay,
                     "site_compared": site, "annual_saving_of_the_move_eur": saving,
                     "break_even_relocation_eur": be,
                     "break_even_relocation_eur_per_ha": (be / size if be is not None and size
                                                          else None),
                     "note": "a solve did not finish" if saving is None else
                     "moving does not pay even at no relocation cost" if saving <= 0 else ""})
    return pd.DataFrame(rows)

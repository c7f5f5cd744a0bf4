"""Infeasibility explained: re-solve an elastic copy of the model — penalised slack on
capacities, site counts, pooled outlets and route availability — and say what must give and by
how much ("node 'site-a' needs more capacity 'ha': by 12 ha (rule capacity)"), the rule
named by its constraint family."""

from __future__ import annotations

from dataclasses import replace

from clusteropt.lanes import Lanes
from clusteropt.model import Switches, build
from clusteropt.model.core import ModelInputError
from clusteropt.scenario import Scenario
from clusteropt.solve import solve


def explain_infeasible(sc: Scenario, lanes: Lanes, switches: Switches | None = None,
                       time_limit_s: float | None = None) -> list[str]:
    """What must give for the scenario to become feasible, largest first. An empty list means
    the elastic copy found nothing to relax (the cause lies elsewhere, e.g. a time limit)."""
    sw = replace(switches or Switches(), elastic=True)
    try:
        model = build(sc, lanes, sw)
    except ModelInputError as err:
        return [str(err)]
    report = solve(model, time_limit_s=time_limit_s, warm_start=False)
    if not report.has_solution:
        return []
    found = []
    for v, (what, unit) in model.slacks.items():
        amount = v.varValue or 0.0
        if amount > 1e-6:
            family = model.slack_family.get(v, "")
            found.append((amount, f"{what}: by {amount:,.4g} {unit}"
                          + (f" (rule {family})" if family else "")))
    return [msg for _, msg in sorted(found, reverse=True)]

"""Solving: solver choice and options, and the solve report (status, objective, best bound, gap,
times, model size). HiGHS through PuLP 4 by default; any other PuLP solver by name.

A time-limited run that found a solution returns it with status ``feasible`` (not proven
optimal) and its gap."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from importlib.metadata import version

import pulp

from clusteropt.model import BuiltModel


@dataclass
class SolveReport:
    """What one solve did. ``status``: optimal | feasible (stopped with a solution, not proven
    optimal) | infeasible | unbounded | error."""

    status: str
    solver_status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    build_s: float
    solve_s: float
    variables: int
    integers: int
    constraints: int
    nonzeros: int

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict:
        return asdict(self)


def make_solver(name: str = "HiGHS", time_limit_s: float | None = None, gap_rel: float = 0.0,
                threads: int | None = None, log_file: str | None = None, msg: bool = False):
    """A PuLP solver by name (``HiGHS`` by default) with the common options."""
    if name.upper() == "HIGHS":
        return pulp.HiGHS(msg=msg, timeLimit=time_limit_s, gapRel=gap_rel, threads=threads,
                          logPath=log_file)
    available = pulp.listSolvers(onlyAvailable=True)
    match = [s for s in available if s.upper() == name.upper()]
    if not match:
        raise ValueError(f"solver '{name}' is not available; available: {', '.join(available)}")
    return pulp.getSolver(match[0], msg=msg, timeLimit=time_limit_s, gapRel=gap_rel,
                          threads=threads, logPath=log_file)


def solve(model: BuiltModel, solver=None, time_limit_s: float | None = None,
          gap_rel: float | None = None, threads: int | None = None,
          log_file: str | None = None) -> SolveReport:
    """Solve a built model; options default to the scenario's."""
    opt = model.scenario.options
    if solver is None:
        solver = make_solver(opt.solver,
                             time_limit_s if time_limit_s is not None else opt.time_limit_s,
                             gap_rel if gap_rel is not None else opt.gap_rel,
                             threads if threads is not None else opt.threads, log_file)
    t0 = time.perf_counter()
    stats = model.prob.solve(solver)
    solve_s = time.perf_counter() - t0
    S = pulp.LpSolveStatus
    if stats.status == S.Optimal:
        status = "optimal"
    elif stats.has_solution:
        status = "feasible"
    elif stats.status == S.Infeasible:
        status = "infeasible"
    elif stats.status == S.Unbounded:
        status = "unbounded"
    else:
        status = "error"
    objective = stats.objective if stats.has_solution else None
    bound = stats.best_bound
    if status == "optimal" and bound is None:
        bound = objective
    gap = None
    if objective is not None and bound is not None:
        gap = abs(objective - bound) / max(abs(objective), 1e-9) if objective else 0.0
    return SolveReport(status=status, solver_status=stats.status_str, objective=objective,
                       best_bound=bound, gap=gap, build_s=model.build_s, solve_s=solve_s,
                       **model.size)


def versions() -> dict[str, str]:
    """Versions of clusteropt, PuLP and HiGHS for the run record."""
    out = {}
    for pkg in ("clusteropt", "pulp", "highspy"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - a missing package is reported as unknown
            out[pkg] = "unknown"
    return out

"""Solving: solver choice and options, and the solve report (status, objective, best bound, gap,
times, model size). HiGHS through PuLP 4 by default; any other PuLP solver by name.

A time-limited run that found a solution returns it with status ``feasible`` (not proven
optimal) and its gap."""

from __future__ import annotations

import math
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from importlib.metadata import version

import pulp

from clusteropt import interrupt
from clusteropt.highs import FastHiGHS
from clusteropt.model import BuiltModel
from clusteropt.model.core import LinearTerm
from clusteropt.start import MarketClosure


class StopReason(StrEnum):
    """Why the solver stopped."""

    OPTIMAL = "optimal"  # proven optimal (gap 0 within tolerance)
    GAP_REACHED = "gap reached"  # within the relative gap asked for
    TIME_LIMIT = "time limit"
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    OTHER_LIMIT = "other limit"  # iteration, node, solution or memory limit
    ERROR = "error"  # the solver failed or gave no status


@dataclass
class SolveReport:
    """What one solve did. ``status``: optimal (within the gap asked for) | feasible (stopped
    with a solution, not proven optimal) | infeasible | unbounded | error; ``reason``: why it
    stopped (``StopReason``)."""

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
    method: str = "direct"  # what ran: direct | fixing (see Options.method)
    fixing: dict | None = None  # what the fixing steps did (clusteropt.fixing.FixingReport)
    time_limit_s: float | None = None  # the limit this solve was given
    gap_rel: float | None = None  # the relative gap it was asked to stop at
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM (clusteropt.interrupt)
    reason: StopReason = StopReason.ERROR
    # the block start (clusteropt.blocks.BlocksReport as a dict: blocks, columns, solves,
    # seconds, objective), when one was made
    start: dict | None = None
    # the Lagrangian bound (clusteropt.bound.BoundReport as a dict: bound, lp_bound, relaxed,
    # blocks, solves, lp_s, seconds), when one was made
    lagrangian: dict | None = None

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict:
        return asdict(self)


class _HiGHSWithProgress(FastHiGHS):
    """The HiGHS interface that reports progress (elapsed s, incumbent, bound, gap) to a
    callable through HiGHS callbacks, at most every ``every_s`` seconds."""

    def __init__(self, progress, every_s: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self._progress = progress
        self._every = every_s
        self._last = -1e9

    def createAndConfigureSolver(self, lp):
        super().createAndConfigureSolver(lp)

        def handler(event) -> None:
            d = event.data_out
            now = time.perf_counter()
            if now - self._last >= self._every:
                self._last = now
                elapsed = d.running_time + self.start_s
                best, gap = d.mip_primal_bound, d.mip_gap
                if self.phase == "start":  # the restricted solve's bound bounds nothing here
                    if self.incumbent is not None:
                        best = min(best, self.incumbent[1])
                    self._progress(elapsed, best, math.inf, math.inf)
                    return
                bound = max(d.mip_dual_bound, self._lagrangian_bound())
                if self.incumbent is not None and self.incumbent[1] < best:
                    best = self.incumbent[1]  # the block start, better than HiGHS's own
                if best != d.mip_primal_bound or bound != d.mip_dual_bound:
                    gap = ((best - bound) / max(abs(best), 1e-9)
                           if math.isfinite(bound) and math.isfinite(best) else math.inf)
                self._progress(elapsed, best, bound, gap)

        lp.solverModel.cbMipImprovingSolution.subscribe(handler)
        lp.solverModel.cbMipInterrupt.subscribe(handler)

    def _while_silent(self, elapsed: float) -> None:
        """The background start's incumbent while HiGHS calls no MIP callback (its root LP),
        with the last bound HiGHS gave."""
        now = time.perf_counter()
        if now - self._last >= self._every:
            self._last = now
            best = self.incumbent[1] if self.incumbent is not None else math.inf
            bound = self._last_bound
            gap = ((best - bound) / max(abs(best), 1e-9)
                   if math.isfinite(best) and math.isfinite(bound) else math.inf)
            self._progress(elapsed + self.start_s, best, bound, gap)


_highs_threads: list[int | None] = []  # the thread count HiGHS's scheduler was started with


def _match_highs_threads(threads: int | None) -> None:
    """HiGHS keeps one global thread scheduler per process and refuses a run that asks for
    another thread count (it stops with no status). Reset it when the count changes."""
    if _highs_threads and _highs_threads[0] != threads:
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
    _highs_threads[:] = [threads]


# the row families of the x ≤ u · open kind, whose number picks the solve method under 'auto'
LINK_FAMILIES = ("strong_link", "hub_link", "arc_hub_link", "frequency_use")


def auto_links(model: BuiltModel) -> int:
    """The site-link rows that pick ``fixing`` under ``method: auto``; none in a model with
    integer trips, whose hard part is the trips, not the sites (the whole Westland at 60 s:
    ``fixing``'s LP bound 12.25 M€, 12 % below the incumbent, where ``direct`` gets HiGHS's
    presolved root, 13.65 M€; fixing fixed no site)."""
    return 0 if model.trips else model.row_count(*LINK_FAMILIES)


def make_solver(name: str = "HiGHS", time_limit_s: float | None = None, gap_rel: float = 0.0,
                threads: int | None = None, log_file: str | None = None, msg: bool = False,
                warm_start: bool = False, progress=None, method: str = "direct",
                links: int | None = None):
    """A PuLP solver by name (``HiGHS`` by default) with the common options; ``progress`` is
    called as ``progress(elapsed_s, incumbent, bound, gap)`` while HiGHS works; ``method``
    (HiGHS only): direct | fixing | auto (see ``FastHiGHS``)."""
    if name.upper() == "HIGHS":
        _match_highs_threads(threads)
        if progress is not None:
            return _HiGHSWithProgress(progress, msg=msg, timeLimit=time_limit_s,
                                      gapRel=gap_rel, threads=threads, logPath=log_file,
                                      warmStart=warm_start, method=method, links=links)
        return FastHiGHS(msg=msg, timeLimit=time_limit_s, gapRel=gap_rel, threads=threads,
                         logPath=log_file, warmStart=warm_start, method=method, links=links)
    available = pulp.listSolvers(onlyAvailable=True)
    match = [s for s in available if s.upper() == name.upper()]
    if not match:
        raise ValueError(f"solver '{name}' is not available; available: {', '.join(available)}")
    return pulp.getSolver(match[0], msg=msg, timeLimit=time_limit_s, gapRel=gap_rel,
                          threads=threads, logPath=log_file)


def solve(model: BuiltModel, solver=None, time_limit_s: float | None = None,
          gap_rel: float | None = None, threads: int | None = None,
          log_file: str | None = None, warm_start: bool | None = None,
          progress=None, start: tuple[dict, dict] | None = None) -> SolveReport:
    """Solve a built model; options default to the scenario's.

    Warm start (HiGHS, default on when every movable activity may stay): a partial MIP start
    with every activity at its stay node and no site open, completed into a first incumbent
    (``FastHiGHS._complete_start``: the block start of ``clusteropt.blocks`` — also for a
    model whose placement is fixed — then the model at that placement). A warm-started
    'optimal' that lies outside its own gap is not trusted: the model is solved again from
    scratch. ``start`` = (placement, open sites) of an earlier solution
    starts from that placement instead (a model solved again with more tour columns)."""
    opt = model.scenario.options
    limit = time_limit_s if time_limit_s is not None else opt.time_limit_s
    gap = gap_rel if gap_rel is not None else opt.gap_rel
    asked_gap = gap
    nthreads = threads if threads is not None else opt.threads
    t0 = time.perf_counter()
    if solver is None:
        if warm_start is None:
            warm_start = opt.solver.upper() == "HIGHS" and (start is not None
                                                            or _can_stay(model))
        # the block start (clusteropt.blocks) also serves a model with its placement fixed
        # (the savings split's bundled step B2)
        blocks_start = bool(warm_start and model.market and opt.solver.upper() == "HIGHS")
        # a bundled model with sites to open but nothing to place (the A1 farms: fixed farms,
        # candidate processors) starts from no site open too: every flow to today's partners
        opens = any(not isinstance(o, (int, float)) for o in model.open.values())
        warm_start = bool(warm_start and (model.place or (blocks_start and opens)))
        if warm_start and start is not None:
            _placement_start(model, *start)
        elif warm_start:
            _stay_start(model)
        solver = make_solver(opt.solver, limit, gap, nthreads, log_file,
                             warm_start=bool(warm_start), progress=progress, method=opt.method,
                             links=auto_links(model))
        if blocks_start and isinstance(solver, FastHiGHS):
            solver.market_closure = market_closure(model)
    with quiet_stdout(), interrupt.solving():
        stats = model.prob.solve(solver)
    retry = warm_start and interrupt.requested() is None and (
        (stats.has_solution and not _consistent(stats, gap))
        or (not stats.has_solution and stats.status not in (pulp.LpSolveStatus.Infeasible,
                                                            pulp.LpSolveStatus.Unbounded,
                                                            pulp.LpSolveStatus.TimeLimit)))
    if retry:
        # HiGHS 1.16 can return a MIP start with a wrong objective and bound after presolve
        # ("feasible in the reduced space"), and has been seen to stop with no status at all
        # after a MIP start: do not trust either; solve again from scratch.
        remaining = None if limit is None else max(1.0, limit - (time.perf_counter() - t0))
        solver = make_solver(opt.solver, remaining, gap, nthreads, log_file, progress=progress,
                             method=opt.method, links=auto_links(model))
        with quiet_stdout(), interrupt.solving():
            stats = model.prob.solve(solver)
    solve_s = time.perf_counter() - t0
    stopped = interrupt.requested() is not None
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
    reason = stop_reason(stats.status, stopped, gap)
    return SolveReport(status=status, solver_status=stats.status_str, objective=objective,
                       best_bound=bound, gap=gap, build_s=model.build_s, solve_s=solve_s,
                       method=getattr(solver, "used", "direct"),
                       fixing=_as_dict(getattr(solver, "fixing_report", None)),
                       time_limit_s=limit, gap_rel=asked_gap, interrupted=stopped,
                       reason=reason, start=_as_dict(getattr(solver, "blocks_report",
                                                                 None)),
                       lagrangian=_as_dict(getattr(solver, "lagrangian", None)), **model.size)


def stop_reason(status, interrupted: bool, gap: float | None) -> StopReason:
    """The StopReason of a PuLP ``LpSolveStatus`` (and our interrupt flag)."""
    S = pulp.LpSolveStatus
    if interrupted or status == S.Interrupted:
        return StopReason.INTERRUPTED
    if status == S.Optimal:
        return StopReason.OPTIMAL if gap is None or gap <= 1e-9 else StopReason.GAP_REACHED
    return {S.GapLimit: StopReason.GAP_REACHED, S.TimeLimit: StopReason.TIME_LIMIT,
            S.Infeasible: StopReason.INFEASIBLE, S.Unbounded: StopReason.UNBOUNDED,
            S.IterationLimit: StopReason.OTHER_LIMIT, S.NodeLimit: StopReason.OTHER_LIMIT,
            S.SolutionLimit: StopReason.OTHER_LIMIT,
            S.MemoryLimit: StopReason.OTHER_LIMIT}.get(status, StopReason.ERROR)


def _as_dict(report) -> dict | None:
    return None if report is None else asdict(report)


@contextmanager
def quiet_stdout():
    """Send the process's stdout (file descriptor 1) to /dev/null: HiGHS prints its banner from
    C++ on every new instance, which would corrupt ``--format json`` output."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _consistent(stats, gap: float) -> bool:
    """A solve that says 'optimal' must hold a solution within the gap of its own bound.
    (The objective is PuLP's recomputation from the returned values.)"""
    if stats.status != pulp.LpSolveStatus.Optimal or stats.best_bound is None:
        return True
    obj = stats.objective
    return obj - stats.best_bound <= (gap + 1e-6) * max(1.0, abs(obj))


def market_closure(model: BuiltModel) -> MarketClosure:
    """The model's market closure for the block completion of a start
    (``clusteropt.start``), in PuLP variables: the (mkt, trips) pairs, the
    empty-leg variables, the balance row numbers, (share, value) pairs sending every pooled flow to
    its baseline partner (``_partner_start``), the candidate sites' open variables, and the
    owners (each activity's placement variables one, each site's open variable one)."""
    pairs = [(mk, model.trips[key]) for key, mk in model.market.items()
             if key in model.trips and not isinstance(mk, (int, float, LinearTerm))]
    opens = [o for o in model.open.values() if not isinstance(o, (int, float, LinearTerm))]
    activities = {f: n for n, f in enumerate(dict.fromkeys(f for f, _ in model.place))}
    owners = [(v, activities[f]) for (f, _), v in model.place.items()
              if not isinstance(v, (int, float, LinearTerm))]
    owners += [(o, len(activities) + n) for n, o in enumerate(opens)]
    return MarketClosure(pairs, list(model.empty.values()), list(model.rows.get("balance", ())),
                         _partner_start(model), opens, owners)


def _single(term: LinearTerm):
    """The variable of a term that is exactly one variable, else None."""
    if term.const == 0.0 and len(term.terms) == 1 and term.terms[0][1] == 1.0:
        return term.terms[0][0]
    return None


def _partner_start(model: BuiltModel) -> list[tuple]:
    """(share variable, value): each pooled flow with a baseline partner and one direct route
    to it sends everything there (1), nothing elsewhere (0), nothing disposed — today's
    partners, the B0 rule: the block start's second try, for models where the pooled flows'
    free choice of outlet joins every supplier into one block (the A1 farms' manure)."""
    out = []
    for c, routes in model.shares.items():
        dm = model.scenario.demands[c]
        if dm.kind == "directed" or dm.baseline_partner is None:
            continue
        base = [r for r in routes if r.partner == dm.baseline_partner and len(r.path) == 2]
        zs = [_single(r.share) for r in routes]
        rest = [_single(t) for _, _, t in model.unserved.get(c, [])]
        if len(base) != 1 or any(z is None for z in zs + rest):
            continue
        out += [(z, 1.0 if r is base[0] else 0.0) for r, z in zip(routes, zs, strict=True)]
        out += [(d, 0.0) for d in rest]
    return out


def _can_stay(model: BuiltModel) -> bool:
    """Every activity with a placement choice has a stay node among its choices."""
    acts = model.scenario.activities
    return all((f, acts[f].stay_node()) in model.place for f, _ in model.place)


def _stay_start(model: BuiltModel) -> None:
    """A partial MIP start: every activity at its stay node, no site open; HiGHS completes the
    rest (trips, empties) itself. Values of the other variables are cleared."""
    acts = model.scenario.activities
    _placement_start(model, {f: acts[f].stay_node() for f, _ in model.place}, {})


def _placement_start(model: BuiltModel, placement: dict[str, str],
                     open_sites: dict[str, int]) -> None:
    """A partial MIP start at a given placement and set of open sites (completed like the
    stay start)."""
    for v in model.prob.variables():
        v.varValue = None
    for (f, n), v in model.place.items():
        v.varValue = 1.0 if placement.get(f) == n else 0.0
    for s, o in model.open.items():
        if not isinstance(o, float):
            o.varValue = float(open_sites.get(s, 0))


def versions() -> dict[str, str]:
    """Versions of clusteropt, PuLP and HiGHS for the run record."""
    out = {}
    for pkg in ("clusteropt", "pulp", "highspy"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - a missing package is reported as unknown
            out[pkg] = "unknown"
    return out

"""One evaluation end to end: lanes → build → solve → solution → KPIs → independent check.

``run_scenario(sc)`` is what ``clusteropt run`` does for one scenario/variant; notebook users can
call each stage themselves (``build_lanes``, ``build``, ``solve``, ``extract``, ``evaluate``,
``check_solution``)."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clusteropt import interrupt, rates
from clusteropt.check import CheckResult, Violation, check_solution
from clusteropt.errors import Issue, ScenarioError
from clusteropt.lanes import Lanes, build_lanes
from clusteropt.model import BuiltModel, Switches, build, extract, tourcols
from clusteropt.model.core import ModelInputError
from clusteropt.results import KPI_UNITS, Results, evaluate
from clusteropt.savings import (
    PER_TONNE_UNITS,
    Savings,
    demanded_tonnes,
    no_today,
    per_tonne,
    savings_split,
)
from clusteropt.scenario import Scenario
from clusteropt.solution import Solution
from clusteropt.solve import SolveReport, StopReason, solve, versions


class InfeasibleError(Exception):
    """The scenario has no feasible solution (or the solver found none in its time)."""

    def __init__(self, report: SolveReport, message: str, reasons: list[str] | None = None):
        self.report = report
        self.reasons = reasons or []
        text = message
        if self.reasons:
            text += "; what must give:\n" + "\n".join(f"  - {r}" for r in self.reasons)
        super().__init__(text)


@dataclass
class Outcome:
    scenario: Scenario
    lanes: Lanes
    model: BuiltModel
    report: SolveReport
    solution: Solution
    results: Results
    check: CheckResult
    savings: Savings | None = None
    baseline_solution: Solution | None = None  # B0 (today), for maps and reports
    baseline_results: Results | None = None
    baseline_unavailable: str | None = None  # why there is no savings split, if asked for one
    limits: dict = field(default_factory=dict)  # the time limits used (s), see run_scenario
    interrupted: str | None = None  # the signal that stopped the run (its incumbent kept)
    firms: Any = None  # per firm: the option, today, the saving, the break-even (DataFrame)
    break_even_note: str | None = None  # why there is no break-even, where there is none
    lead_to: tuple[str, ...] = ()  # activities whose lead time the reports show (compare)
    today_demanded_tonnes: float | None = None  # today's volumes of the compared scenario
    tours_note: str | None = None  # what the tour rounds did (model.md §4 tours), if any

    def to_dict(self) -> dict:
        """The JSON document of ``clusteropt run --format json``."""
        sc = self.scenario
        opt = sc.options
        return {
            "scenario": sc.name,
            "variant": sc.variant,
            "status": self.report.status,
            "stop_reason": self.report.reason.value,
            "interrupted": self.interrupted,
            "gap": self.report.gap,
            "objective_eur": self.report.objective,
            "best_bound_eur": self.report.best_bound,
            "kpis": self.results.kpis,
            "units": {**KPI_UNITS, **PER_TONNE_UNITS},
            "per_tonne": per_tonne(self.results.kpis, demanded_tonnes(sc)),
            "check": self.check.to_dict(),
            "baseline": self.savings.steps["B0"] if self.savings else None,
            "savings": self.savings.to_dict() if self.savings else None,
            "baseline_unavailable": self.baseline_unavailable,
            "model": {**{k: getattr(self.report, k) for k in ("variables", "integers",
                                                              "constraints", "nonzeros",
                                                              "build_s", "solve_s")},
                      "pruned_routes": self.model.pruned,
                      "pruned_candidate_sites": self.model.pruned_sites,
                      "method": self.report.method, "fixing": self.report.fixing,
                      # the Lagrangian bound (clusteropt.bound), made on large models
                      "lagrangian": self.report.lagrangian,
                      "tour_columns": len(self.model.tour_columns),
                      "tour_rounds": self.tours_note},
            "firms": _records(self.firms),
            "firms_rule": ("a flow belongs to its movable end (else its origin); shared trips "
                           "are split over their flows by tonne-km; saving = today − option"),
            "break_even_note": self.break_even_note,
            "placement": self.solution.placement,
            "open_sites": self.solution.open_sites,
            "assumptions": {
                "co2_basis": opt.co2_basis,
                "co2_price_eur_per_t": opt.co2_price_eur_per_t,
                "empty_running": opt.empty_running,
                "empty_share": opt.empty_share,
                "market_empty_trips_per_loaded_trip": rates.empty_factor(opt.empty_running,
                                                                         opt.empty_share),
                "gateway_empty_trips_per_loaded_trip": rates.empty_factor("share",
                                                                          opt.empty_share),
                "co2_basis_of_kpis": "co2_ttw_t: tank-to-wheel; co2_wtw_t: well-to-wheel",
                "distance_method": sc.distance.method,
                "circuity": sc.distance.circuity if sc.distance.method == "straight_line"
                else None,
                "limitation": tourcols.limitation(sc),
            },
            "run": {**versions(), "scenario_hash": sc.content_hash,
                    "solver": opt.solver, "time_limit_s": self.limits.get("run_s"),
                    "time_limits_s": self.limits, "gap_rel": self.report.gap_rel,
                    "threads": opt.threads},
        }


OPTIMUM_SHARE = 0.7  # of a run's time limit, for the optimum when a baseline follows
MIN_ROUND_S = 1.0  # a tour round needs at least this much of the optimum's time left


class BaselineUnavailable(Exception):
    """A baseline evaluation (B0–B2) found no solution; the optimum stands without a split."""


def run_scenario(sc: Scenario, lanes: Lanes | None = None, switches: Switches | None = None,
                 time_limit_s: float | None = None, gap_rel: float | None = None,
                 threads: int | None = None, log_file: str | None = None,
                 on_built=None, baseline: bool = True, progress=None,
                 keep_interrupted: bool = False) -> Outcome:
    """Build, solve, evaluate and check one scenario, then (``baseline``) the savings split
    against today. Raises InfeasibleError without a solution.

    Time: ``time_limit_s`` (default ``options.time_limit_s``) is the limit of the whole run,
    building included. With a baseline, the optimum may use up to ``OPTIMUM_SHARE`` (70 %) of
    it; then B0, B1 and B2 share what is left, each taking the time remaining divided by the
    steps still to run (B0 and B1 are quick, so B2 gets most of it). A step with no time left,
    or without a solution in its time, leaves the optimum standing: ``savings`` is None and
    ``baseline_unavailable`` says why. ``limits`` records what each part was given.

    Ctrl-C / SIGTERM (clusteropt.interrupt): the solve stops and :class:`Interrupted` is
    raised; with ``keep_interrupted`` it carries the Outcome of the incumbent (no baseline)."""
    t0 = time.perf_counter()
    lanes = lanes if lanes is not None else build_lanes(sc)
    if switches is None and not sc.options.bundling:
        switches = Switches(bundling=False, empty_rule=sc.options.empty_running)
    limit = time_limit_s if time_limit_s is not None else sc.options.time_limit_s
    with_baseline = baseline and (switches is None or switches == Switches()) \
        and sc.options.bundling
    try:
        model = build(sc, lanes, switches)
    except ModelInputError as err:  # a scenario the builder cannot turn into a model
        raise ScenarioError([Issue(sc.path.name if sc.path else sc.name, None, None,
                                   str(err))]) from None
    if on_built is not None:
        on_built(model)
    solve_limit = None
    rounds = sc.options.tour_rounds if tourcols.touring(sc) and (
        switches is None or switches.tour_columns is None) else 0
    if limit is not None:
        share = OPTIMUM_SHARE if with_baseline else 1.0
        solve_limit = max(share * limit - (time.perf_counter() - t0), 0.1 * limit)
    opt_deadline = None if solve_limit is None else time.perf_counter() + solve_limit
    report = solve(model, time_limit_s=solve_limit,
                   gap_rel=gap_rel, threads=threads, log_file=log_file, progress=progress)
    limits = {"run_s": limit, "optimum_s": solve_limit}
    tour_note = None
    if rounds and report.has_solution and not report.interrupted:
        model, report, tour_note = _tour_rounds(sc, lanes, switches, model, report, rounds,
                                                opt_deadline, gap_rel, threads, log_file,
                                                progress)
    if report.interrupted:
        signum = interrupt.requested()
        if keep_interrupted and report.has_solution:
            out = _evaluated(sc, lanes, model, report, limits)
            out.interrupted = signal.Signals(signum).name
            raise interrupt.Interrupted(signum, out)
        raise interrupt.Interrupted(signum)
    if not report.has_solution:
        reasons = []
        if report.status == "infeasible":
            from clusteropt.explain import explain_infeasible

            reasons = explain_infeasible(sc, lanes, switches, time_limit_s)
        why = (f"no solution within the time limit of {report.time_limit_s:g} s (a longer "
               f"--time-limit may find one)" if report.reason == StopReason.TIME_LIMIT
               else f"no solution ({report.status}, solver: {report.solver_status})")
        raise InfeasibleError(report, f"{sc.name}"
                              f"{' / ' + sc.variant if sc.variant else ''}: {why}", reasons)
    out = _evaluated(sc, lanes, model, report, limits)
    out.tours_note = tour_note
    deadline = None if limit is None else t0 + limit
    if with_baseline:
        steps_left = [3]

        def evaluate_fixed(sw: Switches) -> tuple[dict[str, float], str]:
            step = "B0 (today)" if sw.exclude_new else "B2" if sw.bundling else "B1"
            if tourcols.touring(sc):  # the optimum's tours (today's among them) in every step
                sw = replace(sw, tour_columns=model.tour_columns)
            key = step.split()[0]
            step_limit = None
            if deadline is not None:
                left = deadline - time.perf_counter()
                if left <= 0.5:
                    raise BaselineUnavailable(f"{step}: no time left of the run's limit of "
                                              f"{limit:g} s")
                step_limit = left / steps_left[0]
            steps_left[0] -= 1
            limits[f"{key}_s"] = step_limit
            if hasattr(progress, "phase"):  # the CLI's progress line names the step
                progress.phase = f"baseline {step}"
            try:
                fixed = run_scenario(sc, lanes, sw, step_limit, gap_rel, threads,
                                     baseline=False, progress=progress)
            except ScenarioError as err:  # today's situation cannot be modelled: no split
                raise BaselineUnavailable(f"{step}: today's situation cannot be evaluated: "
                                          + "; ".join(i.message for i in err.issues)) from None
            except InfeasibleError as err:
                within = f" within {step_limit:.1f} s" if step_limit is not None else ""
                reasons = ("; " + "; ".join(err.reasons)) if err.reasons else ""
                raise BaselineUnavailable(f"{step}: no solution{within} "
                                          f"({err.report.status}){reasons}") from None
            if sw.exclude_new:  # B0, today's situation (savings.py)
                out.baseline_solution, out.baseline_results = fixed.solution, fixed.results
            if not fixed.check.passed:
                out.check.passed = False
                out.check.violations += [
                    Violation(v.rule, f"(in the baseline evaluation {step}) {v.message}",
                              v.index, v.lhs, v.rhs) for v in fixed.check.violations]
            return fixed.results.kpis, fixed.report.status

        try:
            try:
                reason = no_today(sc)
                if reason:
                    raise BaselineUnavailable(reason)
                out.savings = savings_split(sc, lanes, out.results.kpis,
                                            out.solution.placement, evaluate_fixed,
                                            frozenset(model.empty),
                                            out.solution.open_sites)
            except BaselineUnavailable as err:
                out.baseline_unavailable = str(err)
            _firms(out, deadline)
        except interrupt.Interrupted as stop:  # during the baseline: the optimum stands
            if not keep_interrupted:
                raise
            name = signal.Signals(stop.signum).name
            out.savings = out.firms = out.baseline_solution = out.baseline_results = None
            out.baseline_unavailable = f"interrupted ({name}) during the baseline"
            out.interrupted = name
            raise interrupt.Interrupted(stop.signum, out) from None
    return out


def _tour_rounds(sc: Scenario, lanes: Lanes, switches: Switches | None, model: BuiltModel,
                 report: SolveReport, rounds: int, deadline: float | None, gap_rel, threads,
                 log_file, progress) -> tuple[BuiltModel, SolveReport, str]:
    """Tours around the optimum (docs/scenarios.md §8.1): build the tours of the solution's
    flows (``tourcols.flow_legs``), and while some are new and ``rounds`` last, solve the
    model again with them added, starting from the solution's placement, in the optimum's
    time that the solves before left (at least ``MIN_ROUND_S``). A model with more columns
    holds every solution of the one before, so a round keeps the better of the two (a round's
    solution may be worse only within its gap or time limit). Returns the model and report
    kept and what the rounds did."""
    done = 0
    why = f"stopped after {rounds} round(s) (options.tour_rounds)"
    for n in range(rounds):
        sol = extract(model)
        offered = set(model.tour_columns)
        fresh = [c for c in tourcols.generate(sc, lanes, tourcols.flow_legs(sc, sol.flows))
                 if c not in offered]
        left = None if deadline is None else deadline - time.perf_counter()
        if not fresh:
            why = "no new tour around the optimum"
            break
        if left is not None and left < MIN_ROUND_S:
            why = f"{len(fresh)} new tour(s) around the optimum not tried: no time left"
            break
        sw = replace(switches or Switches(), tour_columns=model.tour_columns + tuple(fresh))
        again = build(sc, lanes, sw)
        if hasattr(progress, "phase"):
            progress.phase = f"tours, round {n + 1}"
        rep = solve(again, time_limit_s=None if left is None else left / (rounds - n),
                    gap_rel=gap_rel, threads=threads, log_file=log_file, progress=progress,
                    start=(sol.placement, sol.open_sites))
        done += 1
        if rep.interrupted or not rep.has_solution:
            why = "a round found no solution in its time; the earlier one stands"
            break
        rep.build_s += report.build_s
        rep.solve_s += report.solve_s
        if rep.objective > report.objective:  # keep the earlier solution and its columns
            report.solve_s, report.build_s = rep.solve_s, rep.build_s
            why = "a round found no better solution; the earlier one stands"
            break
        model, report = again, rep
    if hasattr(progress, "phase"):
        progress.phase = None
    return model, report, f"{done} round(s), {len(model.tour_columns)} tour columns: {why}"


def _records(frame) -> list[dict] | None:
    """A DataFrame as JSON-ready records (NaN → None)."""
    if frame is None:
        return None
    import math

    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


def _firms(out: Outcome, deadline: float | None) -> None:
    """Per-firm results today and in the option (allocation), and the break-even relocation
    cost of every movable firm (``options.break_even``; clusteropt.breakeven)."""
    from clusteropt.allocation import firm_comparison, firm_results
    from clusteropt.breakeven import AUTO_MAX_SOLVES, break_even, solves_needed

    sc = out.scenario
    today = (firm_results(sc, out.lanes, out.baseline_solution)
             if out.baseline_solution is not None else None)
    firms = firm_comparison(today, firm_results(sc, out.lanes, out.solution))
    mode = sc.options.break_even
    need = solves_needed(sc, out.solution.placement)
    left = None if deadline is None else deadline - time.perf_counter()
    if mode == "off":
        out.break_even_note = "break-even not asked for (options.break_even: off)"
    elif mode == "auto" and need > AUTO_MAX_SOLVES:
        out.break_even_note = (f"break-even not computed: it takes {need} solves (more than "
                               f"{AUTO_MAX_SOLVES}); set options.break_even: on")
    elif left is not None and left <= 1.0:
        out.break_even_note = "break-even not computed: no time left of the run's limit"
    elif need:
        be = break_even(sc, out.lanes, out.solution.placement,
                        time_limit_s=None if left is None else max(1.0, left / (need + 1)),
                        tour_columns=out.model.tour_columns or None)
        firms = firms.merge(be.drop(columns=["today", "chosen"]), on="activity", how="left")
    out.firms = firms


def _evaluated(sc: Scenario, lanes: Lanes, model: BuiltModel, report: SolveReport,
               limits: dict) -> Outcome:
    """The solution of a solved model with its KPIs and the independent check."""
    sol = extract(model)
    sol.objective_eur = report.objective if report.objective is not None else sol.objective_eur
    res = evaluate(sc, lanes, sol)
    chk = check_solution(sc, lanes, sol, tolerance=sc.options.check_tolerance)
    return Outcome(sc, lanes, model, report, sol, res, chk, limits=limits)


def write_outputs(out: Outcome, folder: Path) -> None:
    """summary.json plus CSV tables (legs, commodities, sites, activities) and the solution."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(out.to_dict(), indent=2, default=str))
    for name in ("legs", "commodities", "sites", "activities"):
        getattr(out.results, name).to_csv(folder / f"{name}.csv", index=False)
    out.solution.to_dir(folder / "solution")

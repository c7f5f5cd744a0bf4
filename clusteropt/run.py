"""One evaluation end to end: lanes → build → solve → solution → KPIs → independent check.

``run_scenario(sc)`` is what ``clusteropt run`` does for one scenario/variant; notebook users can
call each stage themselves (``build_lanes``, ``build``, ``solve``, ``extract``, ``evaluate``,
``check_solution``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clusteropt import rates
from clusteropt.check import CheckResult, check_solution
from clusteropt.errors import Issue, ScenarioError
from clusteropt.lanes import Lanes, build_lanes
from clusteropt.model import BuiltModel, Switches, build, extract
from clusteropt.results import KPI_UNITS, Results, evaluate
from clusteropt.savings import PER_TONNE_UNITS, Savings, per_tonne, savings_split
from clusteropt.scenario import Scenario
from clusteropt.solution import Solution
from clusteropt.solve import SolveReport, solve, versions


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

    def to_dict(self) -> dict:
        """The JSON document of ``clusteropt run --format json``."""
        sc = self.scenario
        opt = sc.options
        return {
            "scenario": sc.name,
            "variant": sc.variant,
            "status": self.report.status,
            "gap": self.report.gap,
            "objective_eur": self.report.objective,
            "best_bound_eur": self.report.best_bound,
            "kpis": self.results.kpis,
            "units": {**KPI_UNITS, **PER_TONNE_UNITS},
            "per_tonne": per_tonne(self.results.kpis),
            "check": self.check.to_dict(),
            "baseline": self.savings.steps["B0"] if self.savings else None,
            "savings": self.savings.to_dict() if self.savings else None,
            "model": {**{k: getattr(self.report, k) for k in ("variables", "integers",
                                                              "constraints", "nonzeros",
                                                              "build_s", "solve_s")},
                      "pruned_routes": self.model.pruned,
                      "pruned_candidate_sites": self.model.pruned_sites,
                      "method": self.report.method, "fixing": self.report.fixing},
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
                "limitation": "bundling on shared legs only; multi-stop tours are not routed",
            },
            "run": {**versions(), "scenario_hash": sc.content_hash,
                    "solver": opt.solver, "time_limit_s": opt.time_limit_s,
                    "gap_rel": opt.gap_rel, "threads": opt.threads},
        }


def run_scenario(sc: Scenario, lanes: Lanes | None = None, switches: Switches | None = None,
                 time_limit_s: float | None = None, gap_rel: float | None = None,
                 threads: int | None = None, log_file: str | None = None,
                 on_built=None, baseline: bool = True, progress=None) -> Outcome:
    """Build, solve, evaluate and check one scenario, then (``baseline``) the savings split
    against today. Raises InfeasibleError without a solution."""
    lanes = lanes if lanes is not None else build_lanes(sc)
    if switches is None and not sc.options.bundling:
        switches = Switches(bundling=False, empty_rule=sc.options.empty_running)
    try:
        model = build(sc, lanes, switches)
    except ValueError as err:  # a scenario the builder cannot turn into a model
        raise ScenarioError([Issue(sc.path.name if sc.path else sc.name, None, None,
                                   str(err))]) from None
    if on_built is not None:
        on_built(model)
    report = solve(model, time_limit_s=time_limit_s, gap_rel=gap_rel, threads=threads,
                   log_file=log_file, progress=progress)
    if not report.has_solution:
        reasons = []
        if report.status == "infeasible":
            from clusteropt.explain import explain_infeasible

            reasons = explain_infeasible(sc, lanes, switches, time_limit_s)
        raise InfeasibleError(report, f"{sc.name}"
                              f"{' / ' + sc.variant if sc.variant else ''}: no solution "
                              f"({report.status}, solver: {report.solver_status})", reasons)
    sol = extract(model)
    sol.objective_eur = report.objective if report.objective is not None else sol.objective_eur
    res = evaluate(sc, lanes, sol)
    chk = check_solution(sc, lanes, sol, tolerance=sc.options.check_tolerance)
    out = Outcome(sc, lanes, model, report, sol, res, chk)
    if baseline and (switches is None or switches == Switches()) and sc.options.bundling:

        def evaluate_fixed(sw: Switches) -> tuple[dict[str, float], str]:
            step = "B0 (today)" if sw.exclude_new else "B2" if sw.bundling else "B1"
            try:
                fixed = run_scenario(sc, lanes, sw, time_limit_s, gap_rel, threads,
                                     baseline=False)
            except ScenarioError as err:
                raise ScenarioError([Issue(i.file, i.row, i.column,
                                           f"in the baseline evaluation {step}: {i.message}")
                                     for i in err.issues]) from None
            except InfeasibleError as err:
                raise ScenarioError([Issue(sc.name, None, None,
                                           f"the baseline evaluation {step} has no solution "
                                           f"({err.report.status}); "
                                           + "; ".join(err.reasons))]) from None
            if sw.exclude_new:  # B0, today's situation (savings.py)
                out.baseline_solution, out.baseline_results = fixed.solution, fixed.results
            if not fixed.check.passed:
                out.check.passed = False
                out.check.violations += [f"baseline evaluation: {v}"
                                         for v in fixed.check.violations]
            return fixed.results.kpis, fixed.report.status

        out.savings = savings_split(sc, lanes, res.kpis, sol.placement, evaluate_fixed,
                                    frozenset(model.empty))
    return out


def write_outputs(out: Outcome, folder: Path) -> None:
    """summary.json plus CSV tables (legs, commodities, sites, activities) and the solution."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(out.to_dict(), indent=2, default=str))
    for name in ("legs", "commodities", "sites", "activities"):
        getattr(out.results, name).to_csv(folder / f"{name}.csv", index=False)
    out.solution.to_dir(folder / "solution")

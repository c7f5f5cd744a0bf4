"""``clusteropt benchmark``: solve published reference instances through the ordinary builder,
solver and independent checker, and compare with their published optimal values.

    clusteropt benchmark orlib-cap FILE… [--capacity V]… [--optima CSV] [--time-limit S]
                                         [--gap G] [--format table|json]
    clusteropt benchmark hub (ap|cab) --data DIR --n N --p P [--alpha A] [--optima CSV]
                                      [--form route|arc] [--time-limit S] [--gap G]
                                      [--format table|json]

Benchmarks solve with a relative gap of 0 unless ``--gap`` says otherwise, and without a time
limit unless ``--time-limit`` gives one. Each run reports instance, variant, objective (in the
published convention), optimum, relative difference, status, gap, build and solve seconds and
whether the independent check passed. ``--format json`` prints a list of objects with the keys
``instance, variant, objective, optimum, rel_diff, match, status, gap, build_s, solve_s, check,
violations, open``.

Exit status: 0 when every run has a solution that passes the check and (where an optimum is
known and the run is proven optimal) matches it to 1e-6 relative; 1 otherwise; 2 bad input.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click

from clusteropt.benchmarks import optima as opt
from clusteropt.benchmarks.hub import hub_scenario, read_ap, read_cab
from clusteropt.benchmarks.orlib import CapInstance, cap_scenario, read_cap
from clusteropt.errors import Issue, ScenarioError
from clusteropt.scenario import Scenario

MATCH_REL = 1e-6  # an objective matches a published optimum within this relative difference
KEYS = ("instance", "variant", "objective", "optimum", "rel_diff", "match", "status", "gap",
        "build_s", "solve_s", "check", "violations", "open")


def run_benchmark(instance: str, variant: str, make: Callable[[Path], Scenario],
                  scale: float = 1.0, optimum: float | None = None,
                  time_limit_s: float | None = None, gap_rel: float = 0.0) -> dict:
    """Build the scenario with ``make(workdir)``, solve it (with the checker, no baseline) and
    return one result record (keys ``KEYS``). ``scale`` turns the model's objective into the
    published convention. ``build_s`` covers scenario, lanes and model; ``solve_s`` the
    solver."""
    from clusteropt.run import InfeasibleError, run_scenario

    t0 = time.perf_counter()
    built_at: list[float] = []
    rec: dict = dict.fromkeys(KEYS)
    rec.update(instance=instance, variant=variant, optimum=optimum, check=False,
               violations=[], open=[])
    with tempfile.TemporaryDirectory(prefix="clusteropt-bench-") as tmp:
        sc = make(Path(tmp))
        try:
            out = run_scenario(sc, gap_rel=gap_rel, time_limit_s=time_limit_s, baseline=False,
                               on_built=lambda _m: built_at.append(time.perf_counter()))
        except InfeasibleError as err:
            rep = err.report
            rec.update(status=rep.status, gap=rep.gap, solve_s=rep.solve_s,
                       build_s=(built_at[0] - t0) if built_at else None, match=False)
            return rec
    rep = out.report
    objective = None if rep.objective is None else rep.objective * scale
    diff = opt.rel_diff(objective, optimum)
    rec.update(objective=objective, rel_diff=diff, status=rep.status, gap=rep.gap,
               build_s=built_at[0] - t0, solve_s=rep.solve_s, check=bool(out.check.passed),
               violations=list(out.check.violations[:5]),
               open=sorted((s for s, o in out.solution.open_sites.items() if o),
                           key=_natural))
    rec["match"] = None if diff is None else abs(diff) <= MATCH_REL
    return rec


def _natural(s: str) -> tuple:
    digits = "".join(ch for ch in s if ch.isdigit())
    return (s.rstrip("0123456789"), int(digits) if digits else 0, s)


def failed(rec: dict) -> bool:
    """A run that should make the command exit 1."""
    if rec["status"] not in ("optimal", "feasible") or not rec["check"]:
        return True
    return rec["status"] == "optimal" and rec["match"] is False


# ---------------------------------------------------------------------------------------------
# output


def _num(v: float | None, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:,.{digits}f}"


COLUMNS = (("instance", 8, lambda r: r["instance"]),
           ("variant", 22, lambda r: r["variant"] or "-"),
           ("objective", 18, lambda r: _num(r["objective"], 4)),
           ("optimum", 18, lambda r: _num(r["optimum"], 4)),
           ("rel diff", 9, lambda r: "-" if r["rel_diff"] is None else f"{r['rel_diff']:.1e}"),
           ("status", 10, lambda r: r["status"] or "-"),
           ("gap", 8, lambda r: "-" if r["gap"] is None else f"{r['gap']:.1e}"),
           ("build s", 8, lambda r: _num(r["build_s"])),
           ("solve s", 8, lambda r: _num(r["solve_s"])),
           ("check", 6, lambda r: "ok" if r["check"] else "FAIL"),
           ("open", 0, lambda r: " ".join(r["open"]) if len(r["open"]) <= 12
            else f"{len(r['open'])} open"))


def _line(cells: list[str]) -> str:
    out = []
    for (_, width, _), cell in zip(COLUMNS, cells):
        right = width and cell[:1] in "-0123456789" and cell not in ("-",)
        out.append(cell.rjust(width) if right else cell.ljust(width))
    return "  ".join(out).rstrip()


def _run_all(jobs: list[tuple[str, str, Callable[[Path], Scenario], float, float | None]],
             fmt: str, time_limit_s: float | None, gap_rel: float) -> None:
    """Run every job, printing table rows as they finish (or one JSON list at the end)."""
    if fmt == "table":
        click.echo(_line([c[0] for c in COLUMNS]))
    results: list[dict] = []
    for instance, variant, make, scale, optimum in jobs:
        rec = run_benchmark(instance, variant, make, scale, optimum, time_limit_s, gap_rel)
        results.append(rec)
        if fmt == "table":
            click.echo(_line([f(rec) for _, _, f in COLUMNS]))
            for v in rec["violations"]:
                click.echo(f"    check: {v}")
    if fmt == "json":
        click.echo(json.dumps(results, indent=2))
    elif fmt == "csv":
        import pandas as pd

        flat = [{k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()}
                for r in results]
        click.echo(pd.DataFrame(flat, columns=list(KEYS)).to_csv(index=False), nl=False)
    else:
        n_opt = sum(1 for r in results if r["optimum"] is not None)
        n_match = sum(1 for r in results if r["match"])
        click.echo(f"{len(results)} run(s); {n_match} of {n_opt} with a published optimum "
                   f"match it within {MATCH_REL:g} relative")
    if any(failed(r) for r in results):
        sys.exit(1)


# ---------------------------------------------------------------------------------------------
# the click group


class _BenchGroup(click.Group):
    """Input errors (ScenarioError) become a message and exit status 2, also when the group
    runs on its own (tests); under ``clusteropt`` the main group does the same."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ScenarioError as err:
            click.echo(f"error: {len(err.issues)} problem(s) in the input", err=True)
            for issue in err.issues:
                click.echo(f"  {issue}", err=True)
            ctx.exit(2)


@click.group("benchmark", cls=_BenchGroup,
             short_help="Solve published reference instances (OR-Library, AP/CAB hubs) and "
                        "compare with their optimal values.",
             context_settings={"help_option_names": ["-h", "--help"]})
def benchmark() -> None:
    """Solve published reference instances and compare with their optimal values.

    \b
    Examples:
      clusteropt benchmark orlib-cap cap71.txt --optima optima.csv
      clusteropt benchmark hub ap --data AP --n 10 --p 3 --format json
    """


_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]),
                       default="table", show_default=True,
                       help="table: a row per run as it finishes; json or csv at the end.")
_OPTIMA = click.option("--optima", type=click.Path(path_type=Path),
                       help="optima.csv with the published values to compare with.")
_LIMIT = click.option("--time-limit", "time_limit", type=float, default=None,
                      help="Seconds per solve (default: none).")
_GAP = click.option("--gap", type=float, default=0.0, show_default=True,
                    help="Relative MIP gap at which the solver stops.")


def _cap_variant(inst: CapInstance, capacity: float | None) -> str:
    if capacity is not None:
        return f"capacity={capacity:g}"
    caps = set(inst.capacity)
    return f"capacity={caps.pop():g}" if len(caps) == 1 else "capacity=file"


def _cap_optimum(rows: list[opt.OptimumRow], inst: CapInstance,
                 capacity: float | None) -> float | None:
    """The multi-source (``cflp``) optimum for this instance and capacity, if listed."""
    if capacity is None or inst.needs_capacity:
        found = opt.find(rows, inst.name, "cflp", capacity=capacity)
    elif all(c is not None and opt.same(c, capacity) for c in inst.capacity):
        found = (opt.find(rows, inst.name, "cflp", capacity=None)
                 or opt.find(rows, inst.name, "cflp", capacity=capacity))
    else:
        found = []  # capacities replaced: not the published problem
    return found[0].value if found else None


@benchmark.command("orlib-cap")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--capacity", "capacities", type=float, multiple=True,
              help="Capacity of every warehouse (repeatable: one run each). Required for "
                   "capa/b/c unless --optima lists their variants.")
@click.option("--method", type=click.Choice(["auto", "direct", "fixing"]), default="auto",
              show_default=True, help="Solve method (scenario option 'method').")
@_OPTIMA
@_LIMIT
@_GAP
@_FORMAT
def orlib_cap(files: tuple[Path, ...], capacities: tuple[float, ...], method: str,
              optima: Path | None, time_limit: float | None, gap: float, fmt: str) -> None:
    """OR-Library capacitated warehouse location (Beasley 1988, split demand allowed).

    \b
    Examples:
      clusteropt benchmark orlib-cap cap71.txt cap72.txt --optima optima.csv
      clusteropt benchmark orlib-cap capa.txt --capacity 8000 --format json
    """
    rows = opt.read_optima(optima) if optima else []
    jobs = []
    for path in files:
        inst = read_cap(path)
        if capacities:
            caps: list[float | None] = list(capacities)
        elif inst.needs_capacity:
            if optima is None:
                raise ScenarioError([Issue(str(path), None, None,
                                           f"{inst.name} holds the word 'capacity' instead of "
                                           f"the warehouse capacities: give --capacity V "
                                           f"(repeatable), or --optima CSV to run the "
                                           f"variants listed there")])
            caps = sorted({r.number("capacity") for r in rows
                           if r.instance.lower() == inst.name.lower()
                           and r.problem.lower() == "cflp"
                           and r.number("capacity") is not None})
            if not caps:
                raise ScenarioError([Issue(str(optima), None, "variant",
                                           f"no 'cflp;capacity=…' rows for {inst.name}: give "
                                           f"--capacity V")])
        else:
            caps = [None]
        for cap in caps:
            jobs.append((inst.name, _cap_variant(inst, cap),
                         lambda wd, inst=inst, cap=cap: cap_scenario(
                             inst, cap, wd, time_limit_s=time_limit, gap_rel=gap,
                             method=method),
                         1.0, _cap_optimum(rows, inst, cap)))
    _run_all(jobs, fmt, time_limit, gap)


@benchmark.command("hub")
@click.argument("dataset", type=click.Choice(["ap", "cab"], case_sensitive=False))
@click.option("--data", "data", type=click.Path(path_type=Path), required=True,
              help="Folder with the data (hub-ap: '<n>.<p>' node files; hub-cab: CAB25.txt).")
@click.option("--n", "n", type=int, required=True, help="Number of cities.")
@click.option("--p", "p", type=int, required=True, help="Number of hubs to open.")
@click.option("--alpha", type=float, default=None,
              help="Inter-hub factor (AP: the file's 0.75; CAB: required unless --optima "
                   "lists the alphas for n and p).")
@_OPTIMA
@click.option("--form", type=click.Choice(["route", "arc"]), default="arc", show_default=True,
              help="Hub formulation: one variable per route, or per-origin hub arcs.")
@_LIMIT
@_GAP
@_FORMAT
def hub(dataset: str, data: Path, n: int, p: int, alpha: float | None, optima: Path | None,
        form: str, time_limit: float | None, gap: float, fmt: str) -> None:
    """Uncapacitated multiple-allocation p-hub median (AP or CAB data).

    \b
    Examples:
      clusteropt benchmark hub ap --data AP --n 10 --p 3
      clusteropt benchmark hub cab --data CAB --n 15 --p 2 --alpha 0.4 --format csv
    """
    dataset = dataset.lower()
    inst = read_ap(data, n) if dataset == "ap" else read_cab(data, n)
    rows = opt.read_optima(optima) if optima else []
    if alpha is not None:
        alphas = [alpha]
    elif inst.alpha is not None:
        alphas = [inst.alpha]
    else:
        alphas = sorted({r.number("alpha") for r in _hub_rows(rows, inst.name, p, inst)
                         if r.number("alpha") is not None})
        if not alphas:
            raise ScenarioError([Issue(str(optima or data), None, None,
                                       f"{inst.name}: give --alpha A (the inter-hub factor)"
                                       + (f"; no UMApHMP rows for p = {p} in the optima file"
                                          if optima else ", or --optima CSV to run the "
                                                         "alphas listed there"))])
    jobs = []
    for a in alphas:
        found = [r for r in _hub_rows(rows, inst.name, p, inst) if opt.same(r.number("alpha"), a)]
        jobs.append((inst.name, f"p={p};alpha={a:g}",
                     lambda wd, a=a: hub_scenario(inst, p, a, form, wd, time_limit_s=time_limit,
                                                  gap_rel=gap),
                     inst.scale, found[0].value if found else None))
    _run_all(jobs, fmt, time_limit, gap)


def _hub_rows(rows: list[opt.OptimumRow], name: str, p: int, inst) -> list[opt.OptimumRow]:
    """Multiple-allocation (UMApHMP) rows of this instance and p whose collection and
    distribution factors (where the row gives them) are the instance's."""
    out = []
    for r in opt.find(rows, name, "UMApHMP", p=p):
        if all(r.number(k) is None or opt.same(r.number(k), v)
               for k, v in (("chi", inst.chi), ("delta", inst.delta))):
            out.append(r)
    return out

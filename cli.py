"""The ``clusteropt`` command line: parse, call the library, print.

Exit status: 0 success; 1 the independent check failed or no solution was found;
2 bad input (the message names file, row and column)."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table as RichTable

from clusteropt.errors import ScenarioError

console = Console()
err_console = Console(stderr=True)


def _fail_input(err: ScenarioError) -> None:
    err_console.print(f"[bold red]error:[/] {len(err.issues)} problem(s) in the input",
                      highlight=False)
    for issue in err.issues:
        err_console.print(f"  {issue}", highlight=False, soft_wrap=True)
    sys.exit(2)


class _Group(click.Group):
    """Turns input errors into a clear message and exit status 2 — never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ScenarioError as err:
            _fail_input(err)
        except (FileExistsError, FileNotFoundError) as err:
            err_console.print(f"[bold red]error:[/] {err}", highlight=False)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(version("clusteropt"), prog_name="clusteropt")
def main() -> None:
    """clusteropt — agrologistics cluster location and flow bundling (PuLP + HiGHS)."""


# ---------------------------------------------------------------------------------------------
@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, help="Also validate this variant.")
def validate(scenarios: tuple[Path, ...], variants: tuple[str, ...]) -> None:
    """Check scenario files and print a short summary of each (exit 2 on errors)."""
    from clusteropt.lanes import build_lanes
    from clusteropt.scenario import load_scenario

    problems: list = []
    for path in scenarios:
        try:
            sc = load_scenario(path)
            build_lanes(sc)
            for name in variants or sc.variants:
                load_scenario(path, name)
        except ScenarioError as err:
            problems.extend(err.issues)
            continue
        _print_summary(path, sc)
    if problems:
        _fail_input(ScenarioError(problems))


def _print_summary(path: Path, sc) -> None:
    kinds = {}
    for n in sc.nodes.values():
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    movable = sum(a.movable for a in sc.activities.values())
    tonnes = sum(d.tonnes[p.id] * p.weight for d in sc.demands.values() for p in sc.periods)
    t = RichTable(title=f"{path}: {sc.name}", show_header=False, title_justify="left")
    t.add_row("nodes", ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
    t.add_row("activities", f"{len(sc.activities)} ({movable} movable)")
    t.add_row("commodities", str(len(sc.commodities)))
    t.add_row("demands", f"{len(sc.demands)}; {tonnes:,.0f} t/yr")
    t.add_row("periods", ", ".join(f"{p.id} × {p.weight:g}" for p in sc.periods))
    t.add_row("vehicle types", ", ".join(sc.vehicles))
    method = sc.distance.method
    if method == "straight_line":
        method += f" × circuity {sc.distance.circuity:g}"
    t.add_row("distances", method)
    t.add_row("variants", ", ".join(sc.variants) or "none")
    t.add_row("warnings", "; ".join(sc.warnings) or "none")
    console.print(t)
    console.print("[green]valid[/]")


# ---------------------------------------------------------------------------------------------
@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="CSV file for the lane table.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def lanes(scenario: Path, output: Path, force: bool) -> None:
    """Write the distance/time table between all nodes (km; hours per vehicle type)."""
    from clusteropt.io import write_atomic
    from clusteropt.lanes import build_lanes
    from clusteropt.scenario import load_scenario

    sc = load_scenario(scenario)
    ln = build_lanes(sc)
    table = ln.table()
    for v in sc.vehicles.values():
        if v.pricing == "trip" and "time_h" not in table.columns:
            table[f"time_h_{v.id}"] = table.distance_km / v.speed_kmh
    write_atomic(output, lambda p: table.to_csv(p, index=False), force=force)
    console.print(f"wrote {len(table)} lanes to {output}")


# ---------------------------------------------------------------------------------------------
@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Write into an existing folder.")
def init(folder: Path, force: bool) -> None:
    """Write a small, valid, commented starting scenario a planner can fill in."""
    from clusteropt.template import write_template

    write_template(folder, force=force)
    console.print(f"wrote a starting scenario to {folder}/scenario.yaml — check it with "
                  f"'clusteropt validate {folder}/scenario.yaml'")


# ---------------------------------------------------------------------------------------------
@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, help="Run this variant (repeatable); "
              "'base' is the scenario without a variant.")
@click.option("--time-limit", type=float, help="Solver time limit per run (s).")
@click.option("--gap", type=float, help="Relative MIP gap to stop at (e.g. 0.001).")
@click.option("--threads", type=int, help="Solver threads.")
@click.option("--log", "log_file", type=click.Path(path_type=Path), help="Solver log file.")
@click.option("--out", type=click.Path(path_type=Path), help="Write summary.json and CSV "
              "tables to this folder.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out folder.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--quiet", is_flag=True, help="Print only the result.")
def run(scenario: Path, variants: tuple[str, ...], time_limit, gap, threads, log_file, out,
        force, fmt, quiet) -> None:
    """Optimise a scenario (and variants): placement, sites, routes and shared trips."""
    from clusteropt.run import InfeasibleError, run_scenario, write_outputs
    from clusteropt.scenario import load_scenario

    if out is not None and out.exists() and not force:
        raise FileExistsError(f"{out} exists; use --force to overwrite it")
    names = [None if v == "base" else v for v in variants] or [None]
    scenarios = [load_scenario(scenario, v) for v in names]  # validate all before solving
    outcomes = []
    failed = False
    for sc in scenarios:
        label = sc.name + (f" / {sc.variant}" if sc.variant else "")

        def announce(model, label=label):
            if not quiet and fmt == "table":
                s = model.size
                err_console.print(f"[dim]{label}: {s['variables']:,} variables "
                                  f"({s['integers']:,} integer), {s['constraints']:,} "
                                  f"constraints, {s['nonzeros']:,} non-zeros; built in "
                                  f"{model.build_s:.2f} s[/]", highlight=False)
        try:
            o = run_scenario(sc, time_limit_s=time_limit, gap_rel=gap, threads=threads,
                             log_file=str(log_file) if log_file else None, on_built=announce)
        except InfeasibleError as err:
            err_console.print(f"[bold red]{err}[/]", highlight=False)
            failed = True
            continue
        outcomes.append(o)
        if not o.check.passed:
            failed = True
    if out is not None and outcomes:
        _write_folder(out, outcomes, write_outputs, force)
    docs = [o.to_dict() for o in outcomes]
    if fmt == "json":
        click.echo(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, default=str))
    elif fmt == "csv":
        import pandas as pd

        rows = [{"scenario": d["scenario"], "variant": d["variant"] or "", "status": d["status"],
                 "gap": d["gap"], "check": d["check"]["passed"], **d["kpis"]} for d in docs]
        click.echo(pd.DataFrame(rows).to_csv(index=False), nl=False)
    else:
        for o in outcomes:
            _print_outcome(o, quiet)
    for o in outcomes:
        if not o.check.passed:
            err_console.print(f"[bold red]independent check FAILED[/] for {o.scenario.name}"
                              f"{' / ' + o.scenario.variant if o.scenario.variant else ''}:",
                              highlight=False)
            for v in o.check.violations[:20]:
                err_console.print(f"  {v}", highlight=False)
    sys.exit(1 if failed else 0)


def _write_folder(out: Path, outcomes, write_outputs, force: bool) -> None:
    """Write into a temporary folder beside ``out`` and move it into place (whole or not)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for o in outcomes:
            sub = tmp if len(outcomes) == 1 else tmp / (o.scenario.variant or "base")
            write_outputs(o, sub)
        if out.exists() and force:
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _print_outcome(o, quiet: bool) -> None:
    k = o.results.kpis
    r = o.report
    title = o.scenario.name + (f" / {o.scenario.variant}" if o.scenario.variant else "")
    status = r.status if r.status != "feasible" else "feasible — NOT proven optimal"
    gap = f"{r.gap:.3%}" if r.gap is not None else "n/a"
    console.print(f"[bold]{title}[/]: {status}, gap {gap}, solved in {r.solve_s:.1f} s",
                  highlight=False)
    t = RichTable(show_header=True, header_style="bold")
    t.add_column("KPI")
    t.add_column("value", justify="right")
    t.add_column("unit")
    from clusteropt.results import KPI_UNITS

    for key in ("total_cost_eur", "development_cost_eur", "relocation_cost_eur",
                "transport_cost_eur", "internal_cost_eur", "carbon_cost_eur", "truck_km",
                "truck_km_loaded", "truck_km_empty", "vehicle_trips", "tonne_km",
                "load_factor", "empty_share", "co2_ttw_t", "co2_wtw_t", "mean_transit_h"):
        v = k[key]
        t.add_row(key, f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}", KPI_UNITS[key])
    console.print(t)
    if not quiet:
        moved = o.results.activities
        moved = moved[moved.moved]
        if len(moved):
            console.print("moves: " + ", ".join(f"{a} {b}→{c}" for a, b, c in
                                                 zip(moved.activity, moved.today, moved.chosen)),
                          highlight=False)
        opened = [s for s, v in o.solution.open_sites.items() if v]
        console.print(f"open sites: {', '.join(opened) or 'none'}", highlight=False)
    check = "[green]passed[/]" if o.check.passed else "[red]FAILED[/]"
    console.print(f"independent check: {check}")


if __name__ == "__main__":
    main()

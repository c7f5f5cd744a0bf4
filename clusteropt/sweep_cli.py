"""``clusteropt sweep``: a scenario at many parameter points, solved on a Dask cluster.

Registered in ``cli.py`` with ``main.add_command(sweep)``. Exit status: 0 the sweep finished
(points without a solution are results, recorded with their error); 1 some points were lost by
the cluster (not stored: run the same command again to finish them); 2 bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable

from clusteropt.console import console, err_console, fail_input
from clusteropt.errors import ScenarioError

PARAM_HELP = ("NAME=SPEC (repeatable). NAME: circuity, co2_price_eur_per_t, empty_share, "
              "interest_rate, volume_scale, relocation_scale, vehicle:<id>.<field>, "
              "site:<id>.<field>. SPEC: "
              "values 0,50,100; range start:stop:count (1.2:1.4:5); or a distribution "
              "normal(mean,sd), triangular(low,mode,high), uniform(low,high) sampled with "
              "--samples.")


@click.command(short_help="Sweep parameters of a scenario and its variants (grids, "
                          "distributions, one at a time) on a Dask cluster; resumable.",
               context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, help="Sweep this variant (repeatable; "
              "'base' = no variant); default: the base and every variant.")
@click.option("--param", "params", multiple=True, required=True, metavar="NAME=SPEC",
              help=PARAM_HELP)
@click.option("--samples", type=click.IntRange(min=1), help="Points to draw from the "
              "distributions (combined with every grid point).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draws.")
@click.option("--one-at-a-time", is_flag=True, help="Vary each parameter alone around the "
              "base (the others as in the scenario), for the tornado chart.")
@click.option("--workers", type=click.IntRange(min=1), help="Local worker processes (one "
              "thread each); default: the CPU count.")
@click.option("--scheduler", metavar="ADDRESS", help="Use an existing Dask cluster, e.g. "
              "tcp://host:8786.")
@click.option("--scheduler-file", type=click.Path(path_type=Path),
              help="Use an existing Dask cluster by its scheduler file.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Sweep folder: "
              "points/, results.parquet/.csv, analysis; re-running resumes it.")
@click.option("--gap", type=float, help="Relative MIP gap per solve (default: the "
              "scenario's).")
@click.option("--time-limit", type=float, help="Solver time limit per solve in s (0 = none; "
              "default: the scenario's).")
@click.option("--no-baseline", is_flag=True, help="Skip the baseline and savings split "
              "(about 3× faster; no saving columns, the tornado shows total cost).")
@click.option("--retry-failed", is_flag=True, help="Solve again the stored points that had "
              "no solution.")
@click.option("--quiet", is_flag=True, help="No progress bar; the summary only.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table: the summary per variant; json or csv: the same "
              "on stdout (no progress).")
@click.option("--wide", is_flag=True, help="Print every column of the summary, however wide.")
def sweep(scenario: Path, variants, params, samples, seed, one_at_a_time, workers, scheduler,
          scheduler_file, out, gap, time_limit, no_baseline, retry_failed, quiet,
          fmt, wide) -> None:
    """Sweep parameters of a scenario (and variants) on a Dask cluster; resumable.

    \b
    Examples:
      clusteropt sweep scenario.yaml --param circuity=1.2:1.4:5 --out sweep
      clusteropt sweep scenario.yaml --param co2_price_eur_per_t=0,100,200 --out s2
      clusteropt sweep scenario.yaml --param 'circuity=triangular(1.2,1.3,1.4)' --samples 20
          --out s3 --format json
    """
    quiet = quiet or fmt != "table"
    from clusteropt.sweep import plan_sweep, run_sweep

    if sum(x is not None for x in (workers, scheduler, scheduler_file)) > 1:
        raise click.UsageError("give at most one of --workers, --scheduler, --scheduler-file")
    if gap is not None and gap < 0:
        raise click.BadParameter("expected a relative gap ≥ 0", param_hint="--gap")
    try:
        plan = plan_sweep(scenario, list(params), variants=list(variants), samples=samples,
                          seed=seed, one_at_a_time=one_at_a_time, gap_rel=gap,
                          time_limit_s=time_limit, baseline=not no_baseline)
    except ScenarioError as err:
        fail_input(err)
    for w in plan.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(str(w))}", highlight=False)

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                        disable=quiet, transient=False)
    state = {"task": None}

    def on_start(todo: int, total: int) -> None:
        done = total - todo
        if not quiet:
            err_console.print(f"{plan.name}: {len(plan.design.points)} points × "
                              f"{len(plan.variants)} variants = {total} solves; {done} already "
                              f"in {out}/points, {todo} to solve", highlight=False)
        if todo:
            progress.start()
            state["task"] = progress.add_task("solving", total=todo, failed=0)

    failed = 0

    def on_result(row: dict) -> None:
        nonlocal failed
        if row.get("status") not in ("optimal", "feasible"):
            failed += 1
        progress.update(state["task"], advance=1, failed=failed)

    try:
        res = run_sweep(plan, out, workers=workers, scheduler=scheduler,
                        scheduler_file=scheduler_file, retry_failed=retry_failed,
                        on_start=on_start, on_result=on_result)
    except OSError as err:  # no scheduler at that address, or a folder problem
        progress.stop()
        err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        progress.stop()
        err_console.print(f"[yellow]interrupted[/]: the finished points are in {out}/points; "
                          f"run the same command again to go on", highlight=False)
        sys.exit(130)
    finally:
        progress.stop()
    if fmt == "table":
        _print_result(plan, res, out, wide)
    else:
        _emit_result(plan, res, out, fmt)
    sys.exit(1 if res.lost else 0)


def _summary_frame(plan, res):
    """One row per variant: solved points, total cost p5/median/p95, truck-km and CO2
    medians, times best and mean regret (what the table shows)."""
    import pandas as pd

    from clusteropt.sweep import SOLVED, distribution, ranking

    table = res.table
    dist = distribution(table, plan.variants)
    rank = ranking(table, plan.variants).set_index("variant")

    def q(v, kpi, col):
        row = dist[(dist["variant"] == v) & (dist["kpi"] == kpi)]
        return float(row[col].iloc[0]) if len(row) else None

    rows = []
    for v in plan.variants:
        sub = table[table["variant"] == v]
        r = rank.loc[v] if v in rank.index else None
        rows.append({"variant": v, "points": len(sub),
                     "solved": int(sub["status"].isin(SOLVED).sum()),
                     "total_cost_eur_p05": q(v, "total_cost_eur", "p05"),
                     "total_cost_eur_p50": q(v, "total_cost_eur", "p50"),
                     "total_cost_eur_p95": q(v, "total_cost_eur", "p95"),
                     "truck_km_p50": q(v, "truck_km", "p50"),
                     "co2_wtw_t_p50": q(v, "co2_wtw_t", "p50"),
                     "times_best": None if r is None else int(r["times_best"]),
                     "mean_regret_eur": None if r is None else float(r["mean_regret_eur"])})
    return pd.DataFrame(rows)


def _emit_result(plan, res, out: Path, fmt: str) -> None:
    """The sweep summary as JSON or CSV on stdout."""
    import json

    frame = _summary_frame(plan, res)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
        return
    click.echo(json.dumps({"scenario": plan.name, "points": len(plan.design.points),
                           "solved": res.solved, "reused": res.reused, "failed": res.failed,
                           "lost": res.lost, "elapsed_s": res.elapsed_s, "out": str(out),
                           "files": sorted(res.files),
                           "variants": json.loads(frame.to_json(orient="records"))},
                          indent=2, default=str))


def _print_result(plan, res, out: Path, wide: bool = False) -> None:
    from clusteropt.console import fitting, print_fitted
    from clusteropt.sweep import SOLVED

    table = res.table
    frame = _summary_frame(plan, res)
    heads = ["variant", "solved", "cost €/yr\np5", "cost €/yr\nmedian", "cost €/yr\np95",
             "truck-km\nmedian", "CO2 t\nmedian", "best at\n(points)", "mean regret\n€/yr"]

    def num(x):
        return "" if x is None or x != x else f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"

    rows = [[str(r.variant), f"{r.solved}/{r.points}", num(r.total_cost_eur_p05),
             num(r.total_cost_eur_p50), num(r.total_cost_eur_p95), num(r.truck_km_p50),
             num(r.co2_wtw_t_p50), "" if r.times_best is None or r.times_best != r.times_best
             else f"{int(r.times_best)}", num(r.mean_regret_eur)]
            for r in frame.itertuples(index=False)]
    cols = fitting(heads, rows, console.width, wide, keep=2)
    t = RichTable(title=f"{plan.name}: {len(plan.design.points)} points", header_style="bold",
                  title_justify="left")
    for i in cols:
        t.add_column(heads[i], justify="left" if i == 0 else "right", no_wrap=i > 0)
    for r in rows:
        t.add_row(*(escape(r[i]) for i in cols))
    print_fitted(t, heads, rows, cols, wide)
    console.print(f"solved {res.solved}, reused {res.reused} stored, {res.failed} without a "
                  f"solution, {res.lost} lost; {res.elapsed_s:.1f} s"
                  + (f" on {res.cluster}" if res.cluster else ""), highlight=False)
    if res.failed:
        bad = table[~table["status"].isin(SOLVED) & (table["status"] != "lost")]
        for r in bad.head(5).itertuples(index=False):
            first = str(getattr(r, "error", "") or "").splitlines()[:1]
            console.print(f"  [yellow]{escape(str(r.variant))} point {r.point}: {r.status}[/] "
                          f"{first[0] if first else ''}", highlight=False)
    if res.lost:
        err_console.print(f"[bold red]{res.lost} point(s) lost by the cluster[/]: run the same "
                          f"command again to solve them", highlight=False)
    console.print(f"wrote {', '.join(sorted(res.files))} to {out}", highlight=False)


if __name__ == "__main__":
    sweep()

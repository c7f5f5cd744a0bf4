"""The ``clusteropt`` command line: parse, call the library, print.

Exit status: 0 success; 1 the independent check failed or no solution was found;
2 bad input (the message names file, row and column)."""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table as RichTable

from clusteropt import interrupt
from clusteropt.console import console, err_console, fail_input, print_warnings
from clusteropt.errors import ScenarioError
from clusteropt.outputs import check_out, scenario_inputs, write_folder


class _LiveProgress:
    """Solver progress on stderr: a rich status line on a terminal, a plain line every few
    seconds elsewhere (logs, CI); nothing when disabled (--quiet, json/csv output)."""

    def __init__(self, label: str, enabled: bool, step: str = ""):
        self.label, self.enabled, self.step = label, enabled, step
        self.tty = err_console.is_terminal
        self.status = None
        self.last_print = -1e9

    def __enter__(self):
        if self.enabled and self.tty:
            self.status = err_console.status(
                f"{self.step}{escape(self.label)}: building the model …")
            self.status.__enter__()
        return self

    def __exit__(self, *exc):
        if self.status is not None:
            self.status.__exit__(*exc)

    def __call__(self, elapsed: float, incumbent: float, bound: float, gap: float) -> None:
        if not self.enabled:
            return
        inc = f"{incumbent:,.0f}" if abs(incumbent) < 1e29 else "none yet"
        bnd = f"{bound:,.0f}" if abs(bound) < 1e29 else "-"
        gp = f"{gap:.2%}" if gap < 1e29 else "-"
        text = (f"{self.step}{self.label}: solving {elapsed:6.1f} s, incumbent {inc}, "
                f"bound {bnd}, gap {gp}")
        if self.status is not None:
            self.status.update(escape(text))
        elif elapsed - self.last_print >= 5.0:
            self.last_print = elapsed
            err_console.print(f"[dim]{escape(text)}[/]", highlight=False)


def _checked(table: str, column: str):
    """A click callback that checks a number against the schema's range of
    ``table.column`` (finite, in range), as the scenario file's value would be."""

    def check(ctx, param, value):
        if value is None:
            return None
        from clusteropt import schema

        why = schema.field(table, column).check(value)
        if why:
            raise click.BadParameter(why)
        return value

    return check


class _Group(click.Group):
    """Turns input errors into a clear message and exit status 2 — never a traceback."""

    def invoke(self, ctx):
        try:
            with interrupt.handling():
                return super().invoke(ctx)
        except ScenarioError as err:
            fail_input(err)
        except OSError as err:  # an output that exists, a folder that cannot be written …
            err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
            sys.exit(2)
        except interrupt.Interrupted as stop:
            kept = getattr(stop, "kept", None) or "nothing was written"
            err_console.print(f"[bold red]interrupted[/] ({stop}): {escape(kept)}",
                              highlight=False)
            sys.exit(stop.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Abort,
                click.exceptions.Exit):
            raise
        except Exception as err:  # noqa: BLE001 - a fault of ours, never "bad input"
            log = _internal_error_log(err)
            err_console.print(f"[bold red]internal error[/] (a fault in clusteropt, not in "
                              f"your input): {escape(type(err).__name__)}: {escape(str(err))}"
                              f"\n  the traceback is in {escape(str(log))}; please report it "
                              f"with the scenario", highlight=False)
            sys.exit(1)


def _internal_error_log(err: BaseException) -> Path:
    """Write the traceback, the command line and the versions to a log file in the system's
    temporary folder; returns its path."""
    import datetime
    import os
    import tempfile
    import traceback

    from clusteropt.solve import versions

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(tempfile.gettempdir()) / f"clusteropt-error-{stamp}-{os.getpid()}.log"
    path.write_text(f"command: {' '.join(sys.argv)}\nversions: {versions()}\n\n"
                    + "".join(traceback.format_exception(err)), encoding="utf-8")
    return path


@click.group(cls=_Group)
@click.version_option(version("clusteropt"), prog_name="clusteropt")
def main() -> None:
    """clusteropt — agrologistics cluster location and flow bundling (PuLP + HiGHS)."""


# ---------------------------------------------------------------------------------------------
@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, help="Also validate this variant.")
def validate(scenarios: tuple[Path, ...], variants: tuple[str, ...]) -> None:
    """Check scenario files and print a short summary of each (exit 2 on errors).

    Every check ``run`` makes before solving is made here too: the scenario and each variant
    are loaded, their lanes computed and their model built (not solved)."""
    from clusteropt.errors import Issue
    from clusteropt.lanes import build_lanes
    from clusteropt.model import build
    from clusteropt.model.core import ModelInputError
    from clusteropt.scenario import load_scenario

    problems: list = []
    for path in scenarios:
        try:
            sc = load_scenario(path)
            lanes = build_lanes(sc)
            for name in [None, *(variants or sc.variants)]:
                one = sc if name is None else load_scenario(path, name)
                try:
                    build(one, lanes if name is None else build_lanes(one))
                except ModelInputError as err:
                    problems.append(Issue(str(path), None, f"variants.{name}" if name else None,
                                          str(err)))
        except ScenarioError as err:
            problems.extend(err.issues)
            continue
        _print_summary(path, sc)
    if problems:
        fail_input(ScenarioError(problems))


def _print_summary(path: Path, sc) -> None:
    kinds = {}
    for n in sc.nodes.values():
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    movable = sum(a.movable for a in sc.activities.values())
    tonnes = sum(d.tonnes[p.id] * p.weight for d in sc.demands.values() for p in sc.periods)
    t = RichTable(title=escape(f"{path}: {sc.name}"), show_header=False, title_justify="left")
    t.add_row("nodes", ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
    t.add_row("activities", f"{len(sc.activities)} ({movable} movable)")
    t.add_row("commodities", str(len(sc.commodities)))
    t.add_row("demands", f"{len(sc.demands)}; {tonnes:,.0f} t/yr")
    t.add_row("periods", escape(", ".join(f"{p.id} × {p.weight:g}" for p in sc.periods)))
    t.add_row("vehicle types", escape(", ".join(sc.vehicles)))
    method = sc.distance.method
    if method == "straight_line":
        method += f" × circuity {sc.distance.circuity:g}"
    t.add_row("distances", method)
    t.add_row("variants", escape(", ".join(sc.variants) or "none"))
    console.print(t)
    print_warnings(sc.warnings)
    console.print("[green]valid[/]" + (f" ({len(sc.warnings)} warning(s) above)"
                                       if sc.warnings else ""))


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
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, lambda p: table.to_csv(p, index=False), force=force)
    console.print(f"wrote {len(table)} lanes to {escape(str(output))}")


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
@click.option("--time-limit", type=float, callback=_checked("options", "time_limit_s"),
              help="Time limit of the whole run (s): the optimum and its baseline.")
@click.option("--gap", type=float, callback=_checked("options", "gap_rel"),
              help="Relative MIP gap to stop at (e.g. 0.001).")
@click.option("--threads", type=int, callback=_checked("options", "threads"),
              help="Solver threads.")
@click.option("--log", "log_file", type=click.Path(path_type=Path), help="Solver log file.")
@click.option("--out", type=click.Path(path_type=Path), help="Write summary.json and CSV "
              "tables to this folder.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out folder.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--quiet", is_flag=True, help="Print only the result.")
@click.option("--fix", "fixes", multiple=True, metavar="ACTIVITY=NODE",
              help="Lock an activity at a node (repeatable); the rest is optimised.")
@click.option("--open", "opens", multiple=True, metavar="SITE", help="Lock a site open.")
@click.option("--close", "closes", multiple=True, metavar="SITE", help="Lock a site closed.")
@click.option("--no-baseline", is_flag=True, help="Skip the baseline and savings split.")
@click.option("--boundaries", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Polygons (e.g. CBS municipalities) for truck movements per area in --out.")
@click.option("--basemap", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Polygons (GeoJSON/GPKG) overlaid on the interactive map.html in --out.")
@click.option("--keep-incumbent", is_flag=True, help="On Ctrl-C or SIGTERM, write the best "
              "solution found so far to --out, marked as interrupted (no baseline).")
def run(scenario: Path, variants: tuple[str, ...], time_limit, gap, threads, log_file, out,
        force, fmt, quiet, fixes, opens, closes, no_baseline, boundaries, basemap,
        keep_incumbent) -> None:
    """Optimise a scenario (and variants): placement, sites, routes and shared trips."""
    from clusteropt.run import InfeasibleError, run_scenario, write_outputs
    from clusteropt.scenario import load_scenario

    if out is not None:
        check_out(out, [*scenario_inputs(scenario), *filter(None, (boundaries, basemap))],
                  force)
    names = [None if v == "base" else v for v in variants] or [None]
    locks = _locks(fixes, opens, closes)
    scenarios = [load_scenario(scenario, v, locks=locks) for v in names]  # validate all first
    outcomes = []
    failed = infeasible = False
    for sc in scenarios:
        label = sc.name + (f" / {sc.variant}" if sc.variant else "")

        def announce(model, label=label):
            if not quiet and fmt == "table":
                s = model.size
                err_console.print(f"[dim]{escape(label)}: {s['variables']:,} variables "
                                  f"({s['integers']:,} integer), {s['constraints']:,} "
                                  f"constraints, {s['nonzeros']:,} non-zeros; built in "
                                  f"{model.build_s:.2f} s; pruned {model.pruned:,} routes "
                                  f"(transit time), {model.pruned_sites:,} candidate sites "
                                  f"(k nearest)[/]", highlight=False)
        step = f"[{len(outcomes) + 1}/{len(scenarios)}] " if len(scenarios) > 1 else ""
        try:
            with _LiveProgress(label, not quiet and fmt == "table", step) as live:
                o = run_scenario(sc, time_limit_s=time_limit, gap_rel=gap, threads=threads,
                                 log_file=str(log_file) if log_file else None,
                                 on_built=announce, baseline=not no_baseline, progress=live,
                                 keep_interrupted=keep_incumbent and out is not None)
        except interrupt.Interrupted as stop:
            if stop.outcome is not None and out is not None:
                _write_folder(out, [*outcomes, stop.outcome], write_outputs, force,
                              boundaries=boundaries, basemap=basemap)
                r = stop.outcome.report
                gap_txt = f"gap {r.gap:.3%}" if r.gap is not None else "no bound"
                stop.kept = (f"the best solution of {label} found so far ({gap_txt}, not "
                             f"proven optimal, no baseline) was written to {out}, marked "
                             f"interrupted")
            raise
        except InfeasibleError as err:
            err_console.print(f"[bold red]{escape(str(err))}[/]", highlight=False)
            failed = True
            infeasible = infeasible or err.report.status == "infeasible"
            continue
        outcomes.append(o)
        if not o.check.passed:
            failed = True
    if out is not None and outcomes:
        _write_folder(out, outcomes, write_outputs, force, boundaries=boundaries,
                      basemap=basemap)
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
            err_console.print(f"[bold red]independent check FAILED[/] for {escape(o.scenario.name)}"
                              f"{' / ' + o.scenario.variant if o.scenario.variant else ''}:",
                              highlight=False)
            for v in o.check.violations[:20]:
                err_console.print(f"  {escape(str(v))}", highlight=False)
    # an infeasible scenario is an input problem (exit 2); a failed check is ours (exit 1)
    sys.exit(2 if infeasible and not outcomes else 1 if failed else 0)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, help="Compare these variants ('base' = "
              "no variant); default: the base and every variant of each scenario.")
@click.option("--by", "by", default="total_cost_eur", show_default=True,
              help="KPI to rank by (lowest first).")
@click.option("--lead-time-to", "lead_to", multiple=True,
              help="Activity id: report the mean lead time of flows into it (repeatable).")
@click.option("--time-limit", type=float, callback=_checked("options", "time_limit_s"),
              help="Time limit of the whole run (s): the optimum and its baseline.")
@click.option("--gap", type=float, callback=_checked("options", "gap_rel"),
              help="Relative MIP gap per run.")
@click.option("--threads", type=int, callback=_checked("options", "threads"))
@click.option("--out", type=click.Path(path_type=Path), help="Write compare.csv, "
              "compare.json and a folder per run.")
@click.option("--force", is_flag=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--fix", "fixes", multiple=True, metavar="ACTIVITY=NODE",
              help="Lock an activity at a node in every run (repeatable).")
@click.option("--open", "opens", multiple=True, metavar="SITE", help="Lock a site open.")
@click.option("--close", "closes", multiple=True, metavar="SITE", help="Lock a site closed.")
@click.option("--boundaries", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Polygons (e.g. CBS municipalities) for truck movements per area in --out.")
@click.option("--basemap", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Polygons (GeoJSON/GPKG) overlaid on the interactive map.html in --out.")
@click.option("--wide", is_flag=True, help="Print every column (the savings split too).")
def compare(scenarios, variants, by, lead_to, time_limit, gap, threads, out, force, fmt, fixes,
            opens, closes, boundaries, basemap, wide):
    """Scenarios and variants side by side, ranked by a KPI, with the savings split."""
    import pandas as pd

    from clusteropt.report.conclusion import conclusion, ranked
    from clusteropt.report.tables import comparison_row, comparison_units
    from clusteropt.results import KPI_UNITS
    from clusteropt.run import InfeasibleError, run_scenario, write_outputs
    from clusteropt.savings import demanded_tonnes
    from clusteropt.scenario import load_scenario, read_yaml

    if by not in KPI_UNITS:
        raise click.BadParameter(f"unknown KPI '{by}'; choose from {', '.join(KPI_UNITS)}",
                                 param_hint="--by")
    if out is not None:
        check_out(out, [*(f for p in scenarios for f in scenario_inputs(p)),
                        *filter(None, (boundaries, basemap))], force)
    jobs = []
    for path in scenarios:
        names = list(variants) or ["base", *(read_yaml(path).get("variants") or {})]
        jobs += [load_scenario(path, None if v == "base" else v,
                               locks=_locks(fixes, opens, closes)) for v in names]
    # today's volumes of each scenario file (its base, new activities left out): a run that
    # asks for other tonnes is not comparable with today in absolute terms
    today_t = {str(path): demanded_tonnes(load_scenario(path, None), today=True)
               for path in scenarios}
    rows, outcomes = [], []
    for sc in jobs:
        label = sc.variant or "base"
        step = f"[{len(rows) + 1}/{len(jobs)}] "
        try:
            with _LiveProgress(f"{sc.name} / {label}", fmt == "table", step) as live:
                o = run_scenario(sc, time_limit_s=time_limit, gap_rel=gap, threads=threads,
                                 progress=live)
        except InfeasibleError as err:
            rows.append({"scenario": sc.name, "variant": label, "status": err.report.status})
            err_console.print(f"[bold red]{escape(str(err))}[/]", highlight=False)
            continue
        except ScenarioError as err:  # one broken variant does not stop the comparison
            rows.append({"scenario": sc.name, "variant": label, "status": "input error"})
            err_console.print(f"[bold red]{escape(sc.name)} / {escape(label)}:[/] "
                              f"{escape(str(err))}", highlight=False)
            continue
        o.lead_to = tuple(lead_to)
        o.today_demanded_tonnes = today_t[str(sc.path)]
        outcomes.append(o)
        row = comparison_row(o)
        rows.append(row)
    table = ranked(pd.DataFrame(rows), by)
    said = conclusion(table, by)
    doc = {"conclusion": said,
           "sign": "saving_* = today (the run's own baseline B0) − the run; positive = less "
                   "cost, km, trips or CO2", "ranked_by": by,
           "units": comparison_units(table.columns),
           "runs": json.loads(table.to_json(orient="records"))}
    if out is not None:
        _write_folder(out, outcomes, write_outputs, force, boundaries=boundaries,
                      basemap=basemap, extra={
            "compare.csv": lambda p: table.to_csv(p, index=False),
            "compare.json": lambda p: p.write_text(json.dumps(doc, indent=2))})
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    else:
        console.print(escape(said), highlight=False)
        console.print()
        _print_compare(table, by, lead_to, wide)
    failed = any(not o.check.passed for o in outcomes) or len(outcomes) < len(jobs)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--variant", default=None, help="Variant to use ('base' = none).")
@click.option("--points", type=int, default=5, show_default=True,
              help="ε points between the two end points (min cost, min CO2).")
@click.option("--time-limit", type=float, callback=_checked("options", "time_limit_s"),
              help="Solver time limit per solve (s).")
@click.option("--gap", type=float, default=0.0, show_default=True,
              callback=_checked("options", "gap_rel"), help="Relative MIP gap.")
@click.option("--threads", type=int, callback=_checked("options", "threads"))
@click.option("--out", type=click.Path(path_type=Path), help="Write pareto.csv and pareto.png.")
@click.option("--force", is_flag=True)
def pareto(scenario, variant, points, time_limit, gap, threads, out, force):
    """The cost–CO2 frontier (ε-constraint): each point a solved model, the knee marked."""
    from clusteropt.lanes import build_lanes
    from clusteropt.pareto import ParetoError, plot_pareto
    from clusteropt.pareto import pareto as frontier
    from clusteropt.scenario import load_scenario

    if out is not None:
        check_out(out, scenario_inputs(scenario), force)
    sc = load_scenario(scenario, None if variant in (None, "base") else variant)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                   transient=True)
    try:
        with bar:
            task = bar.add_task("frontier points", total=points + 2)
            df = frontier(sc, build_lanes(sc), points, time_limit_s=time_limit, gap_rel=gap,
                          threads=threads,
                          on_point=lambda done, total: bar.update(task, completed=done))
    except ParetoError as err:
        err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        sys.exit(2)
    basis = sc.options.co2_basis.upper()
    t = RichTable(title=f"cost–CO2 frontier of {escape(sc.name)} (cost without the CO2 "
                        f"price; CO2 {basis}; saving = today − point, positive = less)",
                  header_style="bold", title_justify="left")
    heads = ("point", "cost\nEUR/yr", f"CO2 {basis}\nt/yr", "saving\nEUR/yr",
             "CO2 avoided\nt/yr", "EUR per t\nfrom previous", "EUR per t\nfrom today",
             "status", "knee")
    for col in heads:
        t.add_column(col, justify="left" if col in ("point", "status") else "right")

    def num(v, fmt=",.0f"):
        return "" if v is None or v != v else format(v, fmt)

    for _, r in df.iterrows():
        t.add_row(str(r.point), num(r.cost_eur), num(r.co2_t, ",.2f"), num(r.saving_cost_eur),
                  num(r.co2_avoided_t, ",.2f"), num(r.abatement_eur_per_t),
                  num(r.abatement_from_today_eur_per_t), str(r.status),
                  "◀ knee" if r.knee else "")
    console.print(t)
    console.print(escape(df.attrs["knee_note"]), highlight=False)
    if df.attrs.get("comparable_with_today") is False:
        console.print("This variant carries other tonnes than today: the saving and the cost "
                      "per tonne avoided against today are left empty.", highlight=False)
    if out is not None:
        _write_folder(out, [], None, force, extra={
            "pareto.csv": lambda p: df.to_csv(p, index=False),
            "pareto.png": lambda p: plot_pareto(df, p)})


def _print_compare(table, by: str, lead_to, wide: bool = False) -> None:
    """The ranked comparison: fits a 100-column terminal (headers wrapped, units below the
    names); ``wide`` adds the savings split and the logistics/investment columns."""
    from rich import box

    t = RichTable(title=f"ranked by {escape(by)}, lowest first (equal ranks: a tie within the "
                        f"solver gap); per year, CO2 well-to-wheel",
                  header_style="bold", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    cols = [("rank", "#"), ("variant", "option"), ("status", "status"),
            ("tonnes", "tonnes\nt/yr"), ("total_cost_eur", "cost\n€/yr"),
            ("transport_cost_eur", "transport\n€/yr"),
            ("saving_total_cost_eur", "saving\n€/yr"),
            ("saving_total_truck_km", "saving\ntruck-km"),
            ("saving_total_co2_wtw_t", "saving\nt CO2")]
    if wide:
        cols += [("gap", "gap"), ("saving_total_logistics_cost_eur", "logistics\n€/yr"),
                 ("saving_total_investment_cost_eur", "investment\n€/yr"),
                 ("saving_relocation_cost_eur", "relocation\n€/yr"),
                 ("saving_bundling_cost_eur", "bundling\n€/yr"),
                 ("saving_hub_modal_cost_eur", "hub/modal\n€/yr"),
                 ("co2_wtw_t", "CO2 WTW\nt/yr"), ("truck_km", "truck-km\n/yr")]
    if table.get("scenario") is not None and table.scenario.nunique() > 1:
        cols.insert(1, ("scenario", "scenario"))
    cols += [(f"lead_time_h_{d}", f"lead h\n→ {d}") for d in lead_to]
    cols = [(c, h) for c, h in cols if c in table.columns]
    for c, h in cols:
        t.add_column(escape(h), justify="left" if c in ("scenario", "variant", "status")
                     else "right", overflow="fold")
    flagged = False
    for _, r in table.iterrows():
        cells = []
        for c, _ in cols:
            v = r.get(c)
            if c == "gap" and isinstance(v, float):
                cells.append("" if v != v else f"{v:.2%}")
            elif isinstance(v, float):
                v = 0.0 if abs(v) < 0.005 else v
                cells.append("" if v != v else (f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"))
            else:
                cells.append(escape(str(v)))
        if r.get("comparable_with_today") is False:
            cells[[c for c, _ in cols].index("variant")] += " ¹"
            flagged = True
        t.add_row(*cells)
    console.print(t)
    console.print("[dim]saving = today (each option's own baseline B0) − the option, positive "
                  "= less" + ("" if wide else "; --wide adds the split into relocation, "
                              "bundling and hub/modal, logistics and investment") + "[/]")
    if flagged:
        console.print("[dim]¹ other tonnes than today (new activities): absolute savings "
                      "compare different volumes; see the per-tonne columns in compare.csv "
                      "(saving_total_cost_eur_per_t, …)[/]")


def _locks(fixes, opens, closes) -> dict | None:
    """--fix/--open/--close as a ``fix`` patch (applied like a variant's ``fix``)."""
    placement = {}
    for item in fixes:
        if "=" not in item:
            raise click.BadParameter(f"expected ACTIVITY=NODE, got '{item}'", param_hint="--fix")
        a, n = item.split("=", 1)
        placement[a.strip()] = n.strip()
    both = sorted(set(opens) & set(closes))
    if both:
        raise click.BadParameter(f"{', '.join(both)} cannot be both open and closed",
                                 param_hint="--open/--close")
    sites = {s: "open" for s in opens} | {s: "closed" for s in closes}
    if not placement and not sites:
        return None
    return {"placement": placement, "sites": sites}


def _write_folder(out: Path, outcomes, write_outputs, force: bool, extra=None,
                  boundaries: Path | None = None, basemap: Path | None = None) -> None:
    """Write the folder whole or not at all (clusteropt.outputs): summary.json and CSV tables
    per run, the reports (GeoPackage, workbook, charts, report.html), and ``extra`` files.
    ``check_out`` has cleared ``out`` (with ``force``) before the run."""

    def fill(tmp: Path) -> None:
        for o in outcomes:
            sub = tmp if len(outcomes) == 1 and not extra else tmp / (
                f"{o.scenario.name}-{o.scenario.variant or 'base'}")
            write_outputs(o, sub)
        if outcomes:
            from clusteropt.report import write_reports

            write_reports(outcomes, tmp, boundaries,
                          subfolders=len(outcomes) > 1 or bool(extra), basemap=basemap)
        for name, writer in (extra or {}).items():
            writer(tmp / name)

    write_folder(out, fill)


def _print_outcome(o, quiet: bool) -> None:
    k = o.results.kpis
    r = o.report
    title = o.scenario.name + (f" / {o.scenario.variant}" if o.scenario.variant else "")
    status = (f"{r.status} ({r.reason.value})" if r.status != "feasible"
              else f"feasible — NOT proven optimal ({r.reason.value})")
    gap = f"{r.gap:.3%}" if r.gap is not None else "n/a"
    console.print(f"[bold]{escape(title)}[/]: {status}, gap {gap}, solved in {r.solve_s:.1f} s",
                  highlight=False)
    t = RichTable(show_header=True, header_style="bold")
    t.add_column("KPI")
    t.add_column("value", justify="right")
    t.add_column("unit")
    from clusteropt.kpis import KPI_UNITS, SUMMARY

    for key in SUMMARY:
        v = k[key]
        t.add_row(key, f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}", KPI_UNITS[key])
    console.print(t)
    if o.savings is not None:
        sv = o.savings.saving["total"]
        pct = o.savings.pct_of_b0["total"]

        def said(key: str, unit: str) -> str:
            v, p = sv[key], pct[key]
            return (f"{'saves' if v >= 0 else 'adds'} {abs(v):,.{0 if abs(v) >= 100 else 1}f} "
                    f"{unit}"
                    + (f" ({abs(p):.1f} %)" if p is not None else ""))

        console.print(f"against today (B0): {said('cost_eur', '€/yr')} — logistics "
                      f"{sv['logistics_cost_eur']:+,.0f}, investment "
                      f"{sv['investment_cost_eur']:+,.0f} (saving, positive = less); "
                      f"{said('truck_km', 'truck-km/yr')}; {said('co2_wtw_t', 't CO2 WTW/yr')}",
                      highlight=False)
        if not o.savings.comparable:
            pt = o.savings.saving_per_t or {}
            console.print(f"[yellow]other tonnes than today (new activities):[/] per tonne it "
                          f"saves {pt.get('cost_eur_per_t') or 0:,.2f} €/t and "
                          f"{pt.get('co2_wtw_kg_per_t') or 0:,.2f} kg CO2 WTW/t",
                          highlight=False)
    if not quiet:
        moved = o.results.activities
        moved = moved[moved.moved]
        if len(moved):
            console.print("moves: " + ", ".join(escape(f"{a} {b}→{c}") for a, b, c in
                                                 zip(moved.activity, moved.today, moved.chosen)),
                          highlight=False)
        opened = [s for s, v in o.solution.open_sites.items() if v]
        console.print(f"open sites: {escape(', '.join(opened) or 'none')}", highlight=False)
    if o.baseline_unavailable:
        console.print(f"[yellow]no savings split:[/] {escape(o.baseline_unavailable)}",
                      highlight=False)
    check = "[green]passed[/]" if o.check.passed else "[red]FAILED[/]"
    console.print(f"independent check: {check}")


def _register_subcommands() -> None:
    from clusteropt.benchmarks.command import benchmark
    from clusteropt.sweep_cli import sweep

    main.add_command(benchmark)
    main.add_command(sweep)


_register_subcommands()

if __name__ == "__main__":
    main()

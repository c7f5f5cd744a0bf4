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
        self._phase = ""

    @property
    def phase(self) -> str:
        """The step being solved after the optimum (``baseline B0 (today)`` …), shown."""
        return self._phase

    @phase.setter
    def phase(self, text: str) -> None:
        self._phase, self.last_print = text, -1e9
        if self.enabled and text:
            line = f"{self.step}{self.label}: {text} …"
            if self.status is not None:
                self.status.update(escape(line))
            else:
                err_console.print(f"[dim]{escape(line)}[/]", highlight=False)

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
        what = f"{self._phase}, solving" if self._phase else "solving"
        text = (f"{self.step}{self.label}: {what} {elapsed:6.1f} s, incumbent {inc}, "
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


CONTEXT = {"help_option_names": ["-h", "--help"]}
FORMATS = click.Choice(["table", "json", "csv"])
OUT_FILES = ("summary.json (every figure), report.html, map.html, map.png, results.xlsx, "
             "results.gpkg, the CSV tables (activities, commodities, legs, sites, firms …), "
             "the charts and solution/ (docs/results.md lists every file)")


def _options(*decorators):
    """Several click options as one decorator (the option set run and compare share)."""
    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f
    return apply


# The options of every command that solves and reports: run and compare have the same set
# (tests/run/test_cli_conventions.py checks it); compare adds --by and --lead-time-to.
SOLVE_OPTIONS = _options(
    click.option("--time-limit", type=float, callback=_checked("options", "time_limit_s"),
                 help="Time limit of each run in s, the optimum and its baseline together "
                      "(default: the scenario's options.time_limit_s)."),
    click.option("--gap", type=float, callback=_checked("options", "gap_rel"),
                 help="Relative MIP gap to stop at, e.g. 0.001 (default: the scenario's "
                      "options.gap_rel)."),
    click.option("--threads", type=int, callback=_checked("options", "threads"),
                 help="Solver threads (default: the scenario's options.threads, else the "
                      "solver's choice)."),
    click.option("--log", "log_file", type=click.Path(path_type=Path),
                 help="Write the solver log to this file (with several runs, one file each: "
                      "the variant is added to the name)."),
    click.option("--out", type=click.Path(path_type=Path),
                 help=f"Write the results to this folder: {OUT_FILES}; with several runs a "
                      f"folder per run."),
    click.option("--force", is_flag=True, help="Replace an existing --out folder."),
    click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
                 help="table: readable text; json or csv: machine-readable on stdout (no "
                      "progress)."),
    click.option("--quiet", is_flag=True, help="No progress lines: only the answer (status, "
                 "KPIs, saving, moves, open sites, check)."),
    click.option("--wide", is_flag=True, help="Print every column (every KPI, the savings "
                 "split), however wide."),
    click.option("--fix", "fixes", multiple=True, metavar="ACTIVITY=NODE",
                 help="Lock an activity at a node (repeatable); the rest is optimised."),
    click.option("--open", "opens", multiple=True, metavar="SITE",
                 help="Lock a site open (repeatable)."),
    click.option("--close", "closes", multiple=True, metavar="SITE",
                 help="Lock a site closed (repeatable)."),
    click.option("--no-baseline", is_flag=True, help="Skip today's situation and the "
                 "savings split (faster; no saving figures)."),
    click.option("--boundaries", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Polygons (e.g. CBS municipalities) for truck movements per area in "
                      "--out."),
    click.option("--basemap", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Polygons (GeoJSON/GPKG) overlaid on the interactive map.html in --out."),
    click.option("--keep-incumbent", is_flag=True, help="On Ctrl-C or SIGTERM, write the best "
                 "solution found so far to --out, marked as interrupted (no baseline)."),
)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(version("clusteropt"), "-V", "--version", prog_name="clusteropt")
def main() -> None:
    """clusteropt — agrologistics cluster location and flow bundling (PuLP + HiGHS).

    Exit status: 0 success; 1 the independent check failed or no solution was found; 2 bad
    input (the message names file, sheet, row and column).

    \b
    Examples:
      clusteropt init my-study --xlsx        a workbook to fill in
      clusteropt validate my-study/scenario.yaml
      clusteropt run my-study/scenario.yaml --out results
      clusteropt compare my-study/scenario.yaml --out compared
    """


# ---------------------------------------------------------------------------------------------
@main.command(short_help="Check scenario files: every problem at once with its place, "
                         "plausibility warnings, a summary (exit 2 on errors).")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True,
              help="Validate only this variant (repeatable); default: every variant.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help="table: a summary per scenario; json or csv: the same on stdout.")
def validate(scenarios: tuple[Path, ...], variants: tuple[str, ...], fmt: str) -> None:
    """Check scenario files and print a short summary of each (exit 2 on errors).

    Every check ``run`` makes before solving is made here too: the scenario and each variant
    are loaded, their lanes computed and their model built (not solved). Warnings (implausible
    yields, trucks a day, load factors) are printed on lines of their own.

    \b
    Examples:
      clusteropt validate scenario.yaml
      clusteropt validate scenario.yaml --variant growth --format json
    """
    from clusteropt.errors import Issue
    from clusteropt.lanes import build_lanes
    from clusteropt.model import build
    from clusteropt.model.core import ModelInputError
    from clusteropt.scenario import load_scenario

    problems: list = []
    summaries: list[dict] = []
    for path in scenarios:
        before = len(problems)
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
            summaries.append({"scenario": str(path), "valid": False,
                              "problems": [str(i) for i in err.issues]})
            continue
        summary = _summary(path, sc)
        summary["valid"] = len(problems) == before
        summary["problems"] = [str(i) for i in problems[before:]]
        summaries.append(summary)
        if fmt == "table":
            _print_summary(path, sc, summary)
    if fmt == "json":
        click.echo(json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=2))
    elif fmt == "csv":
        import pandas as pd

        flat = [{k: "; ".join(v) if isinstance(v, list) else v for k, v in d.items()}
                for d in summaries]
        click.echo(pd.DataFrame(flat).to_csv(index=False), nl=False)
    if problems:
        fail_input(ScenarioError(problems))


def _summary(path: Path, sc) -> dict:
    """What validate prints about a valid scenario, as a JSON-ready mapping."""
    kinds: dict[str, int] = {}
    for n in sc.nodes.values():
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    method = sc.distance.method
    if method == "straight_line":
        method += f" × circuity {sc.distance.circuity:g}"
    return {"scenario": str(path), "name": sc.name, "nodes": dict(sorted(kinds.items())),
            "activities": len(sc.activities),
            "movable": sum(a.movable for a in sc.activities.values()),
            "commodities": len(sc.commodities), "demands": len(sc.demands),
            "tonnes_per_yr": sum(d.tonnes[p.id] * p.weight for d in sc.demands.values()
                                 for p in sc.periods),
            "periods": {p.id: p.weight for p in sc.periods},
            "vehicle_types": list(sc.vehicles), "distances": method,
            "variants": list(sc.variants), "warnings": list(sc.warnings)}


def _print_summary(path: Path, sc, s: dict) -> None:
    t = RichTable(title=escape(f"{path}: {sc.name}"), show_header=False, title_justify="left")
    t.add_column(no_wrap=True)
    t.add_column(overflow="fold")
    t.add_row("nodes", ", ".join(f"{v} {k}" for k, v in s["nodes"].items()))
    t.add_row("activities", f"{s['activities']} ({s['movable']} movable)")
    t.add_row("commodities", str(s["commodities"]))
    t.add_row("demands", f"{s['demands']}; {s['tonnes_per_yr']:,.0f} t/yr")
    t.add_row("periods", escape(", ".join(f"{k} × {v:g}" for k, v in s["periods"].items())))
    t.add_row("vehicle types", escape(", ".join(s["vehicle_types"])))
    t.add_row("distances", s["distances"])
    t.add_row("variants", escape(", ".join(s["variants"]) or "none"))
    console.print(t)
    print_warnings(sc.warnings)
    if s["valid"]:
        console.print("[green]valid[/]" + (f" ({len(sc.warnings)} warning(s) above)"
                                           if sc.warnings else ""))


# ---------------------------------------------------------------------------------------------
@main.command(short_help="The distance and time table between all nodes (km; hours per "
                         "vehicle type), printed or written to a CSV file.")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", "-o", "--output", "out", type=click.Path(path_type=Path),
              help="Write the lane table to this CSV file (-o and --output are aliases).")
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help="How to print the lanes when there is no --out: table, json or csv.")
def lanes(scenario: Path, out: Path | None, force: bool, fmt: str) -> None:
    """Write or print the distance/time table between all nodes (km; hours per vehicle type).

    \b
    Examples:
      clusteropt lanes scenario.yaml --out lanes.csv
      clusteropt lanes scenario.yaml --format json
    """
    from clusteropt.io import write_atomic
    from clusteropt.lanes import build_lanes
    from clusteropt.scenario import load_scenario

    sc = load_scenario(scenario)
    print_warnings(sc.warnings)
    ln = build_lanes(sc)
    table = ln.table()
    for v in sc.vehicles.values():
        if v.pricing == "trip" and "time_h" not in table.columns:
            table[f"time_h_{v.id}"] = table.distance_km / v.speed_kmh
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, lambda p: table.to_csv(p, index=False), force=force)
        console.print(f"wrote {len(table)} lanes to {escape(str(out))}")
    elif fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
    elif fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    else:
        from clusteropt.console import frame_table

        console.print(frame_table(table, f"{len(table)} lanes of {sc.name}",
                                  console.width), highlight=False)


# ---------------------------------------------------------------------------------------------
@main.command(short_help="Write a small, valid, commented starting scenario to fill in: "
                         "CSV files, or one Excel workbook with --xlsx.")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--xlsx", is_flag=True, help="One workbook (a sheet per table, units, "
              "descriptions and drop-down lists) instead of CSV files.")
@click.option("--force", is_flag=True, help="Write into an existing folder.")
def init(folder: Path, xlsx: bool, force: bool) -> None:
    """Write a small, valid, commented starting scenario a planner can fill in.

    \b
    Examples:
      clusteropt init my-study
      clusteropt init my-study --xlsx      one workbook, a sheet per table
    """
    if xlsx:
        from clusteropt.workbook import write_workbook_template

        write_workbook_template(folder, force=force)
        console.print(f"wrote {folder}/scenario.yaml and {folder}/scenario.xlsx (a sheet per "
                      f"table) — fill in the workbook, then 'clusteropt validate "
                      f"{folder}/scenario.yaml'")
        return
    from clusteropt.template import write_template

    write_template(folder, force=force)
    console.print(f"wrote a starting scenario to {folder}/scenario.yaml — check it with "
                  f"'clusteropt validate {folder}/scenario.yaml'")


# ---------------------------------------------------------------------------------------------
@main.command(short_help="Optimise a scenario and its variants: placement, sites, routes and "
                         "shared trips, with the saving against today.")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, help="Run this variant (repeatable); "
              "'base' is the scenario without a variant.")
@SOLVE_OPTIONS
def run(scenario: Path, variants: tuple[str, ...], time_limit, gap, threads, log_file, out,
        force, fmt, quiet, wide, fixes, opens, closes, no_baseline, boundaries, basemap,
        keep_incumbent) -> None:
    """Optimise a scenario (and variants): placement, sites, routes and shared trips.

    Prints the status, the KPIs, the saving against today (today − option, positive = less),
    the moves and the open sites, and whether the independent check passed. A scenario with
    no today's situation (every demand has a new activity, e.g. a p-median study) is solved
    without a baseline and says why.

    \b
    Examples:
      clusteropt run scenario.yaml
      clusteropt run scenario.yaml --variant growth --out results --force
      clusteropt run scenario.yaml --fix grower-1=site-a --close site-b --quiet
      clusteropt run scenario.yaml --format json --no-baseline
    """
    from clusteropt.run import InfeasibleError, write_outputs
    from clusteropt.scenario import load_scenario

    if out is not None:
        check_out(out, [*scenario_inputs(scenario), *filter(None, (boundaries, basemap))],
                  force)
    names = [None if v == "base" else v for v in variants] or [None]
    locks = _locks(fixes, opens, closes)
    scenarios = [load_scenario(scenario, v, locks=locks) for v in names]  # validate all first
    print_warnings(scenarios[0].warnings)
    outcomes = []
    failed = infeasible = False
    for i, sc in enumerate(scenarios):
        step = f"[{i + 1}/{len(scenarios)}] " if len(scenarios) > 1 else ""
        try:
            o = _solve_one(sc, step, time_limit=time_limit, gap=gap, threads=threads,
                           log_file=_log_for(log_file, sc, len(scenarios)),
                           show=not quiet and fmt == "table", baseline=not no_baseline,
                           keep=keep_incumbent and out is not None)
        except interrupt.Interrupted as stop:
            _keep_interrupted(stop, out, outcomes, write_outputs, force, boundaries, basemap)
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
            _print_outcome(o, quiet, wide)
    _report_failed_checks(outcomes)
    # an infeasible scenario is an input problem (exit 2); a failed check is ours (exit 1)
    sys.exit(2 if infeasible and not outcomes else 1 if failed else 0)


def _log_for(log_file: Path | None, sc, runs: int) -> str | None:
    """The solver log of one run: ``log_file`` itself, or with several runs the name with the
    scenario and variant added (solver.log → solver-NAME-VARIANT.log)."""
    if log_file is None:
        return None
    if runs == 1:
        return str(log_file)
    tag = f"{sc.name}-{sc.variant or 'base'}"
    return str(log_file.with_name(f"{log_file.stem}-{tag}{log_file.suffix}"))


def _solve_one(sc, step: str, *, time_limit, gap, threads, log_file, show: bool,
               baseline: bool, keep: bool):
    """``run_scenario`` with the model size and the solver's progress on stderr (``show``)."""
    from clusteropt.run import run_scenario

    label = sc.name + (f" / {sc.variant}" if sc.variant else "")

    def announce(model):
        if show:
            s = model.size
            err_console.print(f"[dim]{escape(step + label)}: {s['variables']:,} variables "
                              f"({s['integers']:,} integer), {s['constraints']:,} "
                              f"constraints, {s['nonzeros']:,} non-zeros; built in "
                              f"{model.build_s:.2f} s; pruned {model.pruned:,} routes "
                              f"(transit time), {model.pruned_sites:,} candidate sites "
                              f"(k nearest)[/]", highlight=False)

    with _LiveProgress(label, show, step) as live:  # no callbacks when nothing is shown
        return run_scenario(sc, time_limit_s=time_limit, gap_rel=gap, threads=threads,
                            log_file=log_file, on_built=announce, baseline=baseline,
                            progress=live if show else None, keep_interrupted=keep)


def _keep_interrupted(stop, out, outcomes, write_outputs, force, boundaries, basemap,
                      extra=None) -> None:
    """On Ctrl-C with --keep-incumbent: write the finished runs and the stopped one's best
    solution to --out, and say so in the message."""
    if stop.outcome is None or out is None:
        return
    _write_folder(out, [*outcomes, stop.outcome], write_outputs, force,
                  boundaries=boundaries, basemap=basemap, extra=extra)
    r, sc = stop.outcome.report, stop.outcome.scenario
    label = sc.name + (f" / {sc.variant}" if sc.variant else "")
    gap_txt = f"gap {r.gap:.3%}" if r.gap is not None else "no bound"
    if r.status == "optimal":  # stopped during the baseline
        stop.kept = (f"the optimum of {label} ({gap_txt}; stopped during the baseline, so no "
                     f"savings split) was written to {out}, marked interrupted")
    else:
        stop.kept = (f"the best solution of {label} found so far ({gap_txt}, not proven "
                     f"optimal, no baseline) was written to {out}, marked interrupted")


def _report_failed_checks(outcomes) -> None:
    for o in outcomes:
        if not o.check.passed:
            err_console.print(f"[bold red]independent check FAILED[/] for {escape(o.scenario.name)}"
                              f"{' / ' + o.scenario.variant if o.scenario.variant else ''}:",
                              highlight=False)
            for v in o.check.violations[:20]:
                err_console.print(f"  {escape(str(v))}", highlight=False)


@main.command(short_help="Scenarios and variants side by side, ranked by a KPI, with the "
                         "savings split and a conclusion in words.")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, help="Compare these variants ('base' = "
              "no variant); default: the base and every variant of each scenario.")
@click.option("--by", "by", default="total_cost_eur", show_default=True,
              help="KPI to rank by (lowest first).")
@click.option("--lead-time-to", "lead_to", multiple=True,
              help="Activity id: report the mean lead time of flows into it (repeatable).")
@SOLVE_OPTIONS
def compare(scenarios, variants, by, lead_to, time_limit, gap, threads, log_file, out, force,
            fmt, quiet, wide, fixes, opens, closes, no_baseline, boundaries, basemap,
            keep_incumbent):
    """Scenarios and variants side by side, ranked by a KPI, with the savings split.

    Each run is solved as ``run`` solves it (the same options); the table ranks them, the
    first line says which option is best and by how much (ties within the solver gap kept
    together).

    \b
    Examples:
      clusteropt compare scenario.yaml
      clusteropt compare scenario.yaml --variant base --variant growth --by co2_wtw_t
      clusteropt compare a.yaml b.yaml --out compared --format json
    """
    import pandas as pd

    from clusteropt.report.conclusion import conclusion, ranked
    from clusteropt.report.tables import comparison_row, comparison_units
    from clusteropt.results import KPI_UNITS
    from clusteropt.run import InfeasibleError, write_outputs
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
    for sc in jobs:
        if sc.variant is None:
            print_warnings(sc.warnings)
    # today's volumes of each scenario file (its base, new activities left out): a run that
    # asks for other tonnes is not comparable with today in absolute terms
    today_t = {str(path): demanded_tonnes(load_scenario(path, None), today=True)
               for path in scenarios}
    rows, outcomes = [], []
    for sc in jobs:
        label = sc.variant or "base"
        step = f"[{len(rows) + 1}/{len(jobs)}] "
        try:
            o = _solve_one(sc, step, time_limit=time_limit, gap=gap, threads=threads,
                           log_file=_log_for(log_file, sc, len(jobs)),
                           show=not quiet and fmt == "table", baseline=not no_baseline,
                           keep=keep_incumbent and out is not None)
        except interrupt.Interrupted as stop:
            _keep_interrupted(stop, out, outcomes, write_outputs, force, boundaries, basemap)
            raise
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
    _report_failed_checks(outcomes)
    failed = any(not o.check.passed for o in outcomes) or len(outcomes) < len(jobs)
    sys.exit(1 if failed else 0)


@main.command(short_help="The cost–CO2 frontier (ε-constraint) against today: each point a "
                         "solved model, the knee marked.")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--variant", default=None, help="Variant to use ('base' = none).")
@click.option("--points", type=click.IntRange(min=0), default=5, show_default=True,
              help="ε points between the two end points (min cost, min CO2).")
@click.option("--time-limit", type=float, callback=_checked("options", "time_limit_s"),
              help="Solver time limit per solve in s (default: the scenario's "
                   "options.time_limit_s).")
@click.option("--gap", type=float, callback=_checked("options", "gap_rel"),
              help="Relative MIP gap per solve (default: the scenario's options.gap_rel).")
@click.option("--threads", type=int, callback=_checked("options", "threads"),
              help="Solver threads (default: the scenario's options.threads).")
@click.option("--out", type=click.Path(path_type=Path), help="Write pareto.csv and pareto.png "
              "to this folder.")
@click.option("--force", is_flag=True, help="Replace an existing --out folder.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help="table: readable text; json or csv: the frontier on stdout.")
@click.option("--quiet", is_flag=True, help="No progress; the frontier only.")
@click.option("--wide", is_flag=True, help="Print every column, however wide.")
def pareto(scenario, variant, points, time_limit, gap, threads, out, force, fmt, quiet, wide):
    """The cost–CO2 frontier (ε-constraint): each point a solved model, the knee marked.

    Today's situation (B0) comes first, priced by the frontier's rules; saving and CO2 avoided
    are today − point (positive = less).

    \b
    Examples:
      clusteropt pareto scenario.yaml
      clusteropt pareto scenario.yaml --points 3 --out frontier --format csv
    """
    import time

    from clusteropt.lanes import build_lanes
    from clusteropt.pareto import ParetoError, plot_pareto
    from clusteropt.pareto import pareto as frontier
    from clusteropt.scenario import load_scenario

    if out is not None:
        check_out(out, scenario_inputs(scenario), force)
    sc = load_scenario(scenario, None if variant in (None, "base") else variant)
    print_warnings(sc.warnings)
    gap = sc.options.gap_rel if gap is None else gap
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    show = not quiet and fmt == "table"
    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                   transient=True, disable=not (show and err_console.is_terminal))
    t0 = time.perf_counter()

    def on_point(done: int, total: int) -> None:
        bar.update(task, completed=done)
        if show and not err_console.is_terminal:  # logs and CI: a line per point
            err_console.print(f"[dim]{escape(sc.name)}: frontier point {done}/{total} solved "
                              f"({time.perf_counter() - t0:.1f} s)[/]", highlight=False)

    try:
        with bar:
            task = bar.add_task(f"{sc.name}: frontier points (gap {gap:g})", total=points + 2)
            if show and not err_console.is_terminal:
                err_console.print(f"[dim]{escape(sc.name)}: solving {points + 2} frontier "
                                  f"points and today (gap {gap:g}) …[/]", highlight=False)
            df = frontier(sc, build_lanes(sc), points, time_limit_s=time_limit, gap_rel=gap,
                          threads=threads, on_point=on_point)
    except ParetoError as err:
        err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        sys.exit(2)
    if out is not None:
        _write_folder(out, [], None, force, extra={
            "pareto.csv": lambda p: df.to_csv(p, index=False),
            "pareto.png": lambda p: plot_pareto(df, p)})
    if fmt == "json":
        click.echo(json.dumps({"scenario": sc.name, "variant": sc.variant,
                               "co2_basis": sc.options.co2_basis, "gap_rel": gap,
                               "knee_note": df.attrs.get("knee_note"),
                               "no_today": df.attrs.get("no_today"),
                               "points": json.loads(df.to_json(orient="records"))}, indent=2))
        return
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
        return
    _print_pareto(sc, df, wide)


def _print_pareto(sc, df, wide: bool) -> None:
    """The frontier as a table that fits the terminal (``wide``: every column)."""
    from clusteropt.console import fitting, print_fitted

    basis = sc.options.co2_basis.upper()

    def num(v, fmt=",.0f"):
        return "" if v is None or v != v else format(v, fmt)

    heads = ["point", "cost\nEUR/yr", f"CO2 {basis}\nt/yr", "saving\nEUR/yr",
             "CO2 avoided\nt/yr", "knee", "EUR per t\nfrom today", "EUR per t\nfrom previous",
             "status"]
    rows = [[str(r.point), num(r.cost_eur), num(r.co2_t, ",.2f"), num(r.saving_cost_eur),
             num(r.co2_avoided_t, ",.2f"), "◀ knee" if r.knee else "",
             num(r.abatement_from_today_eur_per_t), num(r.abatement_eur_per_t), str(r.status)]
            for _, r in df.iterrows()]
    cols = fitting(heads, rows, console.width, wide, keep=3)
    t = RichTable(title=f"cost–CO2 frontier of {escape(sc.name)} (cost without the CO2 "
                        f"price; CO2 {basis}; saving = today − point, positive = less)",
                  header_style="bold", title_justify="left")
    for i in cols:
        t.add_column(heads[i], justify="left" if heads[i] in ("point", "status", "knee")
                     else "right", no_wrap=True)
    for r in rows:
        t.add_row(*(escape(r[i]) for i in cols))
    print_fitted(t, heads, rows, cols, wide)
    console.print(escape(df.attrs["knee_note"]), highlight=False)
    if df.attrs.get("no_today"):
        console.print(f"[yellow]no today's row:[/] {escape(df.attrs['no_today'])}",
                      highlight=False)
    if df.attrs.get("comparable_with_today") is False:
        console.print("This variant carries other tonnes than today: the saving and the cost "
                      "per tonne avoided against today are left empty.", highlight=False)


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


def _print_outcome(o, quiet: bool, wide: bool = False) -> None:
    """One run: the status line; the KPI table (``wide``: every KPI); the saving against
    today; the moves and open sites; the check — with ``quiet`` too (it drops progress)."""
    k = o.results.kpis
    r = o.report
    title = o.scenario.name + (f" / {o.scenario.variant}" if o.scenario.variant else "")
    status = (f"{r.status} ({r.reason.value})" if r.status != "feasible"
              else f"feasible — NOT proven optimal ({r.reason.value})")
    gap = f"{r.gap:.3%}" if r.gap is not None else "n/a"
    console.print(f"[bold]{escape(title)}[/]: {status}, gap {gap}, solved in {r.solve_s:.1f} s",
                  highlight=False)
    from clusteropt.kpis import KPI_UNITS, SUMMARY

    t = RichTable(show_header=True, header_style="bold")
    t.add_column("KPI")
    t.add_column("value", justify="right", no_wrap=True)
    t.add_column("unit")
    for key in (k if wide else SUMMARY):
        v = k[key]
        if not isinstance(v, int | float):
            continue
        t.add_row(key, f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}", KPI_UNITS.get(key, ""))
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
    moved = o.results.activities
    moved = moved[moved.moved]
    if len(moved):
        console.print("moves: " + ", ".join(
            escape(f"{a} {b if isinstance(b, str) and b else '(new)'} → {c}")
            for a, b, c in zip(moved.activity, moved.today, moved.chosen)), highlight=False)
    else:
        console.print("moves: none (every activity stays)", highlight=False)
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

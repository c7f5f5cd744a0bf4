"""The command line by convention (issue 23 item 5): -h and --help on every command, an
example in every help text, whole descriptions in the top-level help, the same options on
``run`` and ``compare``, ``--format json`` that parses on every command that prints results,
``--quiet`` that still prints the answer, a pure location study without a today."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from factories import ROOT

from cli import main

BENCH = Path(os.environ.get("CLUSTEROPT_BENCHMARKS", ROOT.parent / "shared" / "benchmarks"))


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    """Every command under ``group`` as (path, command), sub-groups included."""
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


COMMANDS = list(_commands(main))


def _cli(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert "internal error" not in res.output and "Traceback" not in res.output, res.output
    return res


def test_the_command_list_is_complete():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"validate", "run", "compare", "pareto", "sweep", "lanes", "init", "benchmark",
            "benchmark orlib-cap", "benchmark hub"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_help_has_an_example_and_answers_to_h(path):
    long = _cli(*path, "--help")
    short = _cli(*path, "-h")
    assert long.exit_code == 0 and short.exit_code == 0, short.output
    assert long.output == short.output
    assert "Example" in long.output, long.output
    # the example lines name the command itself
    assert f"clusteropt {' '.join(path)}" in long.output


def test_the_top_level_help_gives_whole_descriptions():
    out = _cli("--help").output
    listing = out.split("Commands:", 1)[1]
    assert "..." not in listing and "…" not in listing, listing
    for path, cmd in COMMANDS:
        if len(path) == 1:
            assert cmd.short_help, path  # written out, not cut from the docstring
            first = " ".join(listing.split(path[0], 1)[1].split("\n\n")[0].split())
            assert cmd.short_help.split()[0] in first


def _option_names(cmd: click.Command) -> dict[str, str]:
    return {max(p.opts, key=len): p.help or "" for p in cmd.params
            if isinstance(p, click.Option) and not p.hidden}


def test_run_and_compare_have_the_same_options():
    run, compare = (_option_names(main.commands[n]) for n in ("run", "compare"))
    # ranking and lead time are about several runs side by side: compare's own
    assert set(compare) - set(run) == {"--by", "--lead-time-to"}
    assert set(run) == set(compare) - {"--by", "--lead-time-to"}
    for name in ("--no-baseline", "--force", "--threads", "--quiet", "--wide", "--log",
                 "--keep-incumbent", "--format"):
        assert name in run
        assert run[name] and run[name] == compare[name], name  # documented, alike


def test_every_results_command_offers_the_three_formats():
    for path, cmd in COMMANDS:
        if path in (("init",), ("benchmark",)):
            continue  # init writes files and prints where; benchmark is a group
        fmt = next((p for p in cmd.params if p.name == "fmt"), None)
        assert fmt is not None, path
        assert list(fmt.type.choices) == ["table", "json", "csv"], path


def test_lanes_takes_out_and_keeps_o(tmp_path, write_scenario, mini_doc):
    path = write_scenario(mini_doc)
    for flag in ("--out", "-o", "--output"):
        target = tmp_path / f"lanes{flag.strip('-')}.csv"
        assert _cli("lanes", path, flag, target).exit_code == 0
        assert target.read_text().startswith("from,to,")


@pytest.fixture
def tiny(write_scenario, mini_doc) -> Path:
    mini_doc["variants"] = {"stay": {"fix": {"placement": {"grower": "farm-1"}}}}
    return write_scenario(mini_doc)


@pytest.mark.parametrize("args", [
    ("validate", "{s}"), ("lanes", "{s}"), ("run", "{s}", "--no-baseline"),
    ("compare", "{s}", "--no-baseline"), ("pareto", "{s}", "--points", "1"),
], ids=lambda a: a[0])
def test_format_json_parses(tiny, args):
    res = CliRunner().invoke(main, [a.format(s=tiny) for a in args]
                                             + ["--format", "json"])
    assert res.exit_code == 0, res.output + res.stderr
    doc = json.loads(res.stdout)
    assert doc  # a document with content, not an empty answer
    if args[0] == "compare":
        assert [r["variant"] for r in doc["runs"]] and doc["conclusion"]
    if args[0] == "pareto":
        assert doc["points"][0]["point"] == "today" and doc["gap_rel"] == 0.01  # scenario's


def test_sweep_format_json_parses_and_the_table_fits(tiny, tmp_path, monkeypatch):
    args = ["sweep", str(tiny), "--variant", "base", "--param", "circuity=1.2,1.4",
            "--workers", "1", "--out", str(tmp_path / "sw")]
    res = CliRunner().invoke(main, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output + res.stderr
    doc = json.loads(res.stdout)
    assert doc["points"] == 2 and doc["variants"][0]["solved"] == 2
    from clusteropt import console as con

    monkeypatch.setattr(con.console, "_width", 60)
    res = CliRunner().invoke(main, [*args, "--quiet"])  # resumed: the stored points
    assert res.exit_code == 0, res.output
    table = res.stdout.split("solved 0, reused 2")[0]
    assert all(len(line) <= 60 for line in table.splitlines()), table
    assert "2/2" in table and "not shown for the terminal width" in table


@pytest.mark.skipif(not (BENCH / "orlib-cap" / "cap41.txt").is_file(),
                    reason="benchmark data absent (../shared/benchmarks)")
def test_benchmark_format_csv_and_json(tmp_path):
    import io

    import pandas as pd

    args = ["benchmark", "orlib-cap", str(BENCH / "orlib-cap" / "cap41.txt")]
    doc = json.loads(_cli(*args, "--format", "json").output)
    table = pd.read_csv(io.StringIO(_cli(*args, "--format", "csv").output))
    assert table.instance.tolist() == [doc[0]["instance"]] == ["cap41"]


def test_quiet_still_prints_the_answer(tiny):
    res = _cli("run", tiny, "--quiet")
    assert res.exit_code == 0, res.output
    assert "moves:" in res.output and "open sites:" in res.output
    assert "total_cost_eur" in res.output and "saves" in res.output
    assert "solving" not in res.output  # progress is what --quiet drops
    wide = _cli("run", tiny, "--wide", "--no-baseline").output
    assert "truck_km_loaded" in wide and "open sites:" in wide


def test_a_location_study_without_today_skips_the_baseline(write_scenario, mini_doc):
    # the grower is new: nothing of today carries a demand (a pure location study)
    mini_doc["tables"]["activities"][0].update(new=True, node=None)
    mini_doc["site_rules"] = {"exact_open": 1}
    res = _cli("run", write_scenario(mini_doc))
    assert res.exit_code == 0, res.output
    assert "no savings split: no today's situation: every demand has a new activity" in \
        " ".join(res.output.split())
    assert "grower (new) → site-" in res.output


def test_pareto_fits_a_narrow_terminal(tiny, monkeypatch):
    from clusteropt import console as con

    monkeypatch.setattr(con.console, "_width", 80)
    res = _cli("pareto", tiny, "--points", "1")
    assert res.exit_code == 0, res.output
    table = res.stdout
    assert all(len(line) <= 80 for line in table.splitlines()), table
    assert "…" not in table.split("not shown")[0]  # no number cut
    assert "not shown for the terminal width" in table
    wide = _cli("pareto", tiny, "--points", "1", "--wide").stdout
    assert "from previous" in wide and "not shown" not in wide

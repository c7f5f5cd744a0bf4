"""The conclusion of a comparison (clusteropt.report.conclusion) on tables made by hand: it
names the option the ranking puts first, says by how much against today and the runner-up,
and calls two totals a tie (equal ranks) exactly when they differ by no more than the gap.
End to end: `compare` prints the conclusion first and writes it to compare.json, naming the
option ranked 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from factories import ROOT

from clusteropt.report.conclusion import conclusion, ranked, tie

CLI = Path(sys.executable).parent / "clusteropt"  # the venv running the tests


def _table(rows):
    base = {"scenario": "s", "status": "optimal", "gap": 0.0}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_names_the_first_ranked_option_and_the_runner_up():
    t = ranked(_table([
        {"variant": "late", "total_cost_eur": 300.0, "saving_total_cost_eur": -50.0},
        {"variant": "best", "total_cost_eur": 100.0, "saving_total_cost_eur": 150.0,
         "saving_pct_total_cost_eur": 60.0, "saving_relocation_cost_eur": -20.0,
         "saving_bundling_cost_eur": 170.0, "saving_hub_modal_cost_eur": 0.0},
        {"variant": "mid", "total_cost_eur": 180.0, "saving_total_cost_eur": 70.0}]),
        "total_cost_eur")
    assert list(t.variant) == ["best", "mid", "late"] and list(t["rank"]) == [1, 2, 3]
    said = conclusion(t, "total_cost_eur")
    assert said.startswith("The best option by annual cost is 'best'")
    assert "saves 150 EUR/yr (60.0 %)" in said and "mostly by bundling of trips" in said
    assert "The runner-up, 'mid', is 80.00 EUR/yr worse (80.0 %)" in said
    assert "The last, 'late', is 200 EUR/yr worse" in said
    assert "tie" not in said


@pytest.mark.parametrize("gap, tied", [(0.0, False), (1e-4, False), (1e-3, True)])
def test_a_tie_exactly_when_the_totals_differ_within_the_gap(gap, tied):
    """100,000 and 100,050 differ by 0.05 % of the larger: a tie at gap 0.1 %, not at
    0.01 % or 0."""
    assert tie(100_000.0, 100_050.0, gap, 0.0) is tied
    t = ranked(_table([{"variant": "b", "total_cost_eur": 100_050.0, "gap": gap},
                       {"variant": "a", "total_cost_eur": 100_000.0},
                       {"variant": "c", "total_cost_eur": 120_000.0}]), "total_cost_eur")
    assert list(t.variant) == ["a", "b", "c"]
    assert list(t["rank"]) == ([1, 1, 3] if tied else [1, 2, 3])
    said = conclusion(t, "total_cost_eur")
    assert said.startswith("The best option by annual cost is 'a'")
    assert ("It ties with 'b'" in said) is tied
    assert ("The runner-up, 'c'" if tied else "The runner-up, 'b'") in said


def test_an_option_without_savings_says_why():
    """A run whose baseline evaluations found no time left has no savings columns; the
    conclusion names it and the reason instead of leaving the columns silently empty."""
    t = ranked(_table([
        {"variant": "a", "total_cost_eur": 100.0, "saving_total_cost_eur": 10.0},
        {"variant": "b", "total_cost_eur": 120.0,
         "no_savings_because": "B0 (today): no time left of the run's limit of 60 s"}]),
        "total_cost_eur")
    said = conclusion(t, "total_cost_eur")
    assert "'b' has no comparison with today (B0 (today): no time left" in said
    assert "'a' has no comparison" not in said


def test_unsolved_options_rank_last_and_nothing_solved_is_said():
    t = ranked(_table([{"variant": "x", "status": "error", "total_cost_eur": float("nan")},
                       {"variant": "y", "total_cost_eur": 5.0}]), "total_cost_eur")
    assert list(t.variant) == ["y", "x"]
    assert conclusion(t, "total_cost_eur").startswith("The best option by annual cost is 'y'")
    none = _table([{"variant": "x", "status": "error", "total_cost_eur": float("nan")}])
    assert conclusion(ranked(none, "total_cost_eur"), "total_cost_eur").startswith(
        "No option was solved")


def test_compare_prints_the_conclusion_first_and_writes_it(tmp_path):
    scen = ROOT / "scenarios" / "westland-mini.yaml"
    out = tmp_path / "cmp"
    env = {"COLUMNS": "100", "NO_COLOR": "1", "PATH": str(CLI.parent),
           "PYTHONPATH": os.environ.get("PYTHONPATH", "")}  # a worktree's code first
    cmp = subprocess.run([str(CLI), "compare", str(scen), "--variant", "base", "--variant",
                          "growth", "--gap", "0", "--out", str(out)],
                         capture_output=True, text=True, env=env)
    assert cmp.returncode == 0, cmp.stderr
    doc = json.loads((out / "compare.json").read_text())
    first = next(r for r in doc["runs"] if r["rank"] == 1)
    assert doc["conclusion"].startswith(
        f"The best option by annual cost is '{first['variant']}'")
    lines = [ln for ln in cmp.stdout.splitlines() if ln.strip()]
    assert lines[0].startswith("The best option by")
    assert max(len(ln) for ln in cmp.stdout.splitlines()) <= 100

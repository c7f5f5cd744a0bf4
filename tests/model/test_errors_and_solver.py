"""Errors by kind and the solver layer: a fault in clusteropt exits 1 with a log file (never
2, "bad input"); an input problem the builder finds exits 2; the solve says why it stopped;
the HiGHS hand-over refuses a PuLP it does not support, naming what is missing."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from clusteropt.highs import UnsupportedPulp, check_pulp_internals
from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.scenario import load_scenario
from clusteropt.solve import StopReason, solve

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "scenarios" / "westland-mini.yaml"


def test_a_broken_builder_is_an_internal_error_with_a_log(monkeypatch, tmp_path):
    from clusteropt.model import families

    def broken(b):
        raise KeyError("a bug in define_trips")

    monkeypatch.setattr(families, "define_trips", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    res = CliRunner().invoke(main, ["run", str(MINI), "--no-baseline"])
    assert res.exit_code == 1, res.output
    assert "internal error" in res.output and "not in your input" in res.output
    logs = list(tmp_path.glob("clusteropt-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in res.output.replace("\n", "")
    text = logs[0].read_text()
    assert "Traceback" in text and "a bug in define_trips" in text and "versions" in text
    assert "problem(s) in the input" not in res.output


def test_an_input_problem_of_the_builder_is_exit_2(tmp_path):
    # fix the tomato grower at a site that the same command closes
    res = CliRunner().invoke(main, ["run", str(MINI), "--no-baseline", "--fix",
                                    "grower-tomato=agriport-a7", "--close", "agriport-a7"])
    assert res.exit_code == 2, res.output
    assert "internal error" not in res.output


def test_stop_reasons(tmp_path):
    mini = load_scenario(MINI)
    lanes = build_lanes(mini)
    assert solve(build(mini, lanes), gap_rel=0.0).reason == StopReason.OPTIMAL
    r = solve(build(mini, lanes), gap_rel=0.5)
    assert r.status == "optimal" and r.reason in (StopReason.GAP_REACHED, StopReason.OPTIMAL)
    sc = load_scenario(ROOT / "scenarios" / "verkassen.yaml")
    lanes = build_lanes(sc)
    r = solve(build(sc, lanes), gap_rel=0.0, time_limit_s=0.3)
    assert r.reason == StopReason.TIME_LIMIT and r.status in ("feasible", "error")
    sc2 = load_scenario(MINI)
    sc2.site_rules.exact_open = 5  # only two sites exist
    r = solve(build(sc2, build_lanes(sc2)), gap_rel=0.0)
    assert r.reason == StopReason.INFEASIBLE and r.status == "infeasible"


def test_pulp_internals_are_checked():
    check_pulp_internals()  # the installed PuLP is supported
    import pulp

    old = types.SimpleNamespace(__version__="3.3.0", LpProblem=pulp.LpProblem,
                                _rustcore=pulp._rustcore)
    with pytest.raises(UnsupportedPulp, match="supports PuLP 4.2"):
        check_pulp_internals(old)

    class Bare:
        def __init__(self, name):
            self._model = object()

    bare = types.SimpleNamespace(__version__="4.3.0", LpProblem=Bare, _rustcore=None)
    with pytest.raises(UnsupportedPulp, match="lacks used_variable_ids"):
        check_pulp_internals(bare)

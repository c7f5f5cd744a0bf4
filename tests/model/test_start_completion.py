"""Completing the partial "everyone stays" MIP start (``FastHiGHS._complete_start``): the
model is solved with the placement fixed, and that solution is handed to the full solve as a
complete start, instead of HiGHS completing it by a sub-MIP outside its time limit.

* the full solve reaches the cold optimum, never above the completed start's objective;
* while the start is completed, the progress display gets no bound (that restricted solve's
  bound bounds nothing of the full model), and the clock runs on across the two solves.
"""

from __future__ import annotations

import math

import pytest
from tiny import close, random_tiny, run

from clusteropt.lanes import build_lanes
from clusteropt.model import Switches, build
from clusteropt.solve import _HiGHSWithProgress, _stay_start, solve


def _stay_cost(t, tmp) -> float:
    """The optimum with every grower at its stay node (an independent evaluation)."""
    sc = t.scenario(tmp)
    stays = {g: d["stay"] for g, d in t.growers.items()}
    model = build(sc, build_lanes(sc), Switches(placement=stays))
    return solve(model, gap_rel=0.0, time_limit_s=None, warm_start=False).objective


@pytest.mark.parametrize("seed", range(6))
def test_completed_start_reaches_the_cold_optimum(seed, tmp_path):
    t = random_tiny(seed, max_open=False)
    sc = t.scenario(tmp_path / "w")
    model = build(sc, build_lanes(sc))
    _stay_start(model)
    solver = _HiGHSWithProgress(lambda *a: None, msg=False, gapRel=0.0, warmStart=True)
    model.prob.solve(solver)
    assert solver.start_s > 0.0  # the start was completed by the restricted solve
    warm = model.prob.objective.value()
    cold = run(t, tmp_path / "c").objective
    assert close(warm, cold), (seed, warm, cold)
    assert warm <= _stay_cost(t, tmp_path / "s") * (1 + 1e-9) + 1e-6


def test_progress_has_no_bound_while_the_start_is_completed(tmp_path):
    calls = []
    t = random_tiny(3, n_growers=3, max_open=False)
    sc = t.scenario(tmp_path)
    model = build(sc, build_lanes(sc))
    _stay_start(model)
    solver = None

    def progress(elapsed, incumbent, bound, gap):
        calls.append((solver.phase, elapsed, incumbent, bound, gap))

    solver = _HiGHSWithProgress(progress, every_s=0.0, msg=False, gapRel=0.0, warmStart=True)
    model.prob.solve(solver)
    start = [c for c in calls if c[0] == "start"]
    full = [c for c in calls if c[0] is None]
    assert start and full
    assert all(math.isinf(c[3]) and math.isinf(c[4]) for c in start)
    assert any(math.isfinite(c[3]) for c in full)
    assert all(c[1] >= solver.start_s - 1e-9 for c in full)  # the clock runs on
    objective = model.prob.objective.value()
    assert all(c[3] <= objective + 1e-6 * abs(objective) for c in full if math.isfinite(c[3]))


@pytest.mark.parametrize("seed", range(4))
def test_fixing_method_keeps_the_completed_start(seed, tmp_path):
    """Under ``method: fixing`` the completed start is the incumbent the Lagrangian fixing
    starts from: the fixing's incumbent is never above the stay optimum, and the answer is
    the cold optimum (fixing is exact)."""
    t = random_tiny(seed, max_open=False)
    sc = t.scenario(tmp_path / "w")
    model = build(sc, build_lanes(sc))
    _stay_start(model)
    solver = _HiGHSWithProgress(lambda *a: None, msg=False, gapRel=0.0, warmStart=True,
                                method="fixing")
    model.prob.solve(solver)
    assert solver.used == "fixing" and solver.start_s > 0.0
    stay = _stay_cost(t, tmp_path / "s")
    assert solver.fixing_report.incumbent <= stay * (1 + 1e-9) + 1e-6
    assert close(model.prob.objective.value(), run(t, tmp_path / "c").objective)

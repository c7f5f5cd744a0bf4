"""The block start (``clusteropt.blocks``, ``clusteropt.start``) and the full
solve that stops once its bound proves the start within the gap.

Independent truths:

* ``solve_blocks`` on random block MILPs (small knapsack-cover blocks, a coupling row left
  out, tied columns) equals brute force over every integer point;
* on random tiny scenarios the block start at the stay placement equals the reference
  MILP of ``tests/tiny.py`` with every trip closed by the market (scipy, no clusteropt), the
  full solve from it reaches the brute-force optimum at gap 0, and its bound never exceeds
  that optimum;
* stopped early (a wide gap), the answer is the block start, marked within the gap of a
  bound that is below the brute-force optimum;
* on small synthetic Verkassen-type instances (``bench/bench_core.synthetic``, several
  seeds) the ordinary solve path with the block start and a cold direct solve reach the same
  optimum at gap 0;
* a hand case where no site open has no feasible point: the try with every candidate site
  open and the pooled flows at their partners gives the hand-computed start and polish;
* a hand case of three candidate sites: the greedy drop (``start.drop_sites``) closes the
  sites one at a time, best improvement first, to the hand-computed point, which the MILP
  solved whole (HiGHS, gap 0) confirms as the optimum; a site the scenario fixes open
  stays open; ``blocks.touched`` names exactly the blocks a site's rows reach.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from tiny import brute_force, close, fixed_cost, random_tiny, transport_balanced

from clusteropt import blocks
from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.scenario import scenario_from_dict
from clusteropt.solve import _HiGHSWithProgress, _stay_start, market_closure, solve

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_core import synthetic  # noqa: E402


def _lp(cost, A, rl, ru, lo, up, ints) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cost), A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lo, up
    lp.row_lower_, lp.row_upper_ = rl, ru
    csc = sp.csc_matrix(A)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = (
        csc.indptr, csc.indices, csc.data)
    kinds = [highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger]
    lp.integrality_ = [kinds[int(i)] for i in ints]
    return lp


@pytest.mark.parametrize("seed", range(8))
def test_blocks_equal_brute_force(seed):
    """Three blocks, each: integer trips n_v ∈ 0..4 of two types carrying a load L (Σ cap_v
    n_v ≥ L) at cost c_v; a coupling row Σ n ≤ 1 (which would make the blocks one) is left
    out; the first type's trips of blocks 0 and 1 are tied; one column is fixed."""
    r = np.random.default_rng(seed)
    nb, nv = 3, 2
    cost = r.uniform(1, 10, nb * nv)
    caps = r.uniform(2, 9, (nb, nv))
    loads = r.uniform(3, 20, nb)
    A = np.zeros((nb + 1, nb * nv))
    for b in range(nb):
        A[b, b * nv:(b + 1) * nv] = caps[b]
    A[nb, :] = 1.0  # the coupling row, dropped
    rl = np.r_[loads, -np.inf]
    ru = np.r_[np.full(nb, np.inf), 1.0]
    lo, up = np.zeros(nb * nv), np.full(nb * nv, 4.0)
    lp = _lp(cost, A, rl, ru, lo, up, np.ones(nb * nv))
    fixed_col, fixed_val = nb * nv - 1, float(r.integers(0, 3))
    x, rep = blocks.solve_blocks(lp, {fixed_col: fixed_val}, drop_rows=[nb], ties=[(0, nv)])
    best = math.inf
    for n in itertools.product(range(5), repeat=nb * nv):
        n = np.array(n, float)
        if n[fixed_col] != fixed_val or n[0] != n[nv]:
            continue
        if (A[:nb] @ n >= loads - 1e-9).all():
            best = min(best, cost @ n)
    if math.isinf(best):
        assert x is None
        return
    assert x is not None and rep.objective == pytest.approx(best, rel=1e-9)
    assert rep.blocks == 2  # blocks 0 and 1 are one through the tie; the fixed column's left
    assert x[0] == x[nv] and x[fixed_col] == fixed_val


def test_a_stopped_part_adds_its_dual_bound_only_for_a_bound(monkeypatch):
    """``part_limit``: a packed solve stopped by its limit (a stand-in that reports the time
    limit and a dual bound 1 below its optimum) still adds that dual bound, and no values
    are returned; every solve gets at most the part limit. Without ``part_limit`` the same
    stop means no solution and no bound."""
    A = np.array([[3.0, 5.0, 0.0, 0.0], [0.0, 0.0, 2.0, 7.0]])
    lp = _lp(np.array([4.0, 6.0, 3.0, 9.0]), A, np.array([7.0, 9.0]),
             np.full(2, np.inf), np.zeros(4), np.full(4, 4.0), np.ones(4))
    _, whole = blocks.solve_blocks(lp, {})
    assert whole.blocks == 2
    monkeypatch.setattr(blocks, "BATCH_COLS", 1)  # one solve per block
    real, limits = blocks._solve_part, []

    class Stopped:
        def __init__(self, h):
            self.h = h

        def getModelStatus(self):
            return highspy.HighsModelStatus.kTimeLimit

        def getInfo(self):
            info = self.h.getInfo()
            return SimpleNamespace(mip_dual_bound=info.mip_dual_bound - 1.0,
                                   objective_function_value=info.objective_function_value)

    def first_stops(*a):
        limits.append(a[7])
        h = real(*a)
        return Stopped(h) if len(limits) == 1 else h

    monkeypatch.setattr(blocks, "_solve_part", first_stops)
    x, rep = blocks.solve_blocks(lp, {}, part_limit=5.0)
    assert x is None and rep.objective is None and rep.solves == 2
    assert rep.bound == pytest.approx(whole.bound - 1.0, rel=1e-9)
    assert limits == [5.0, 5.0]
    limits.clear()
    x, rep = blocks.solve_blocks(lp, {})
    assert x is None and rep.bound is None and rep.solves == 1


def test_blocks_infeasible_restriction_returns_none():
    """A row of fixed columns only that the fixed values violate: no solution, no solve."""
    A = np.array([[1.0, 1.0], [0.0, 1.0]])
    lp = _lp(np.ones(2), A, np.array([3.0, 0.0]), np.array([np.inf, np.inf]),
             np.zeros(2), np.full(2, 5.0), np.ones(2))
    x, rep = blocks.solve_blocks(lp, {0: 1.0, 1: 1.0})
    assert x is None and rep.solves == 0


def _solve_from_block_start(t, tmp, gap=0.0):
    sc = t.scenario(tmp)
    model = build(sc, build_lanes(sc))
    _stay_start(model)
    solver = _HiGHSWithProgress(lambda *a: None, msg=False, gapRel=gap, warmStart=True)
    solver.market_closure = market_closure(model)
    stats = model.prob.solve(solver)
    return model, solver, stats


@pytest.mark.parametrize("seed", range(8))
def test_block_start_is_the_all_market_reference_and_the_solve_the_optimum(seed, tmp_path):
    t = random_tiny(seed, max_open=False)
    stays = {g: d["stay"] for g, d in t.growers.items()}
    model, solver, stats = _solve_from_block_start(t, tmp_path)
    assert solver.blocks_report is not None and solver.blocks_report.objective is not None
    reference = fixed_cost(t, stays) + transport_balanced(t, stays, all_market=True)
    assert close(solver.blocks_report.objective, reference), (seed, solver.blocks_report,
                                                              reference)
    optimum, _ = brute_force(t)
    assert close(stats.objective, optimum), (seed, stats.objective, optimum)
    assert stats.objective <= solver.blocks_report.objective * (1 + 1e-9) + 1e-6
    assert stats.best_bound <= optimum * (1 + 1e-9) + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_stopped_early_the_block_start_is_marked_within_a_valid_gap(seed, tmp_path):
    """With a 50 % gap the full solve stops at its first bound: the answer is the block start
    (or better), 'optimal within the gap', and the bound lies below the true optimum."""
    t = random_tiny(seed, max_open=False)
    model, solver, stats = _solve_from_block_start(t, tmp_path, gap=0.5)
    optimum, _ = brute_force(t)
    assert stats.has_solution
    assert stats.objective <= solver.blocks_report.objective * (1 + 1e-9) + 1e-6
    assert stats.objective >= optimum * (1 - 1e-9) - 1e-6
    assert stats.best_bound <= optimum * (1 + 1e-9) + 1e-6
    assert stats.objective - stats.best_bound <= 0.5 * stats.objective + 1e-6


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_block_path_equals_the_direct_optimum(seed):
    """20 growers × 4 areas × 6 destinations (``bench_core.synthetic``, areas placed near
    the growers so that moving can pay): the ordinary solve path (stay start completed by
    blocks) and a cold direct solve, both at gap 0, give the same optimum; each reported
    bound is at most that optimum; most growers move."""
    doc = synthetic(20, 4, 6, 4, seed=seed)
    for n in doc["tables"]["nodes"]:
        if n.get("kind") == "site":  # bring the areas next to the growers, cheap to build
            n["lat"], n["lon"] = 52.0 + (n["lat"] - 52.2) / 20, 4.25 + (n["lon"] - 5.4) / 20
            n["dev_cost_eur"] = 1e5
    for a in doc["tables"]["activities"]:
        if a.get("movable"):
            a["reloc_cost_eur"] = 2e4
    results = []
    for warm in (True, False):
        sc = scenario_from_dict(doc, base_dir=Path("."))
        model = build(sc, build_lanes(sc))
        rep = solve(model, gap_rel=0.0, time_limit_s=None, warm_start=warm)
        assert rep.status == "optimal", rep
        results.append(rep)
        moved = sum(v.value() > 0.5 for (f, n), v in model.place.items()
                    if n != sc.activities[f].stay_node())
        assert moved > 0  # the optimum is not the start's placement
    warm, cold = results
    assert close(warm.objective, cold.objective), (warm.objective, cold.objective)
    for rep in results:
        assert rep.best_bound <= cold.objective * (1 + 1e-9) + 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_fixed_placement_model_gets_the_block_start(seed, tmp_path):
    """A bundled model whose placement is fixed (the savings split's B2: here every grower
    where the brute force puts it) is started by blocks too: the report names the start, its
    objective is the all-market reference, and the answer is the reference optimum of that
    placement at gap 0."""
    from clusteropt.model import Switches

    t = random_tiny(seed, max_open=False)
    optimum, placement = brute_force(t)
    sc = t.scenario(tmp_path)
    model = build(sc, build_lanes(sc), Switches(placement=placement))
    rep = solve(model, gap_rel=0.0, time_limit_s=None)
    assert rep.status == "optimal"
    if not model.market:  # every leg touches a gateway: nothing to close by the market
        assert rep.start is None
        return
    assert rep.start is not None
    reference = fixed_cost(t, placement) + transport_balanced(t, placement, all_market=True)
    assert close(rep.start["objective"], reference), (seed, rep.start, reference)
    assert close(rep.objective, optimum), (seed, rep.objective, optimum)


def test_auto_never_picks_fixing_for_a_model_with_trips(tmp_path):
    """``method: auto`` counts site links only in models without integer trips (there the
    hard part is the trips, and ``fixing`` fixed no site on the whole Westland)."""
    from clusteropt.solve import LINK_FAMILIES, auto_links

    t = random_tiny(1)
    sc = t.scenario(tmp_path)
    model = build(sc, build_lanes(sc))
    assert model.trips and auto_links(model) == 0
    model.trips = {}
    assert auto_links(model) == model.row_count(*LINK_FAMILIES)


def test_partner_start_sends_every_pooled_flow_to_its_baseline_partner():
    """The second block start (``solve._partner_start``) on the A1 corridor: each pooled
    flow with a baseline partner and one direct route to it sends all there and nothing
    elsewhere (the B0 rule)."""
    from clusteropt.scenario import load_scenario
    from clusteropt.solve import _partner_start

    root = Path(__file__).resolve().parents[2]
    sc = load_scenario(root / "scenarios" / "a1-eiwitcorridor.yaml")
    model = build(sc, build_lanes(sc))
    start = dict(_partner_start(model))
    assert start
    checked = 0
    for c, routes in model.shares.items():
        dm = sc.demands[c]
        if dm.kind == "directed" or dm.baseline_partner is None:
            continue
        values = [start.get(r.share.terms[0][0]) for r in routes if r.share.terms]
        if not any(v is not None for v in values):
            continue  # not one direct route to the partner: left free
        ones = [r for r, v in zip(routes, values, strict=True) if v == 1.0]
        assert len(ones) == 1 and ones[0].partner == dm.baseline_partner, c
        assert sum(v or 0.0 for v in values) == 1.0
        checked += 1
    assert checked > 0


def _site_only_model():
    """Hand case for the every-site-open try: flow A can only go to the candidate site (its
    partner's route is gone, as beyond a transit time), flow B goes to its baseline partner
    (10 €) or the site (3 €); the site costs 100 € open and takes both (cap 2 · open).
    Columns: open, zA_site, zB_base, zB_site. No site open has no feasible point; with it
    open and B at its partner the blocks give 100 + 5 + 10 = 115, polished (B free, the
    integer kept) 108, which is the optimum."""
    cost = np.array([100.0, 5.0, 10.0, 3.0])
    A = np.array([[0, 1, 0, 0], [0, 0, 1, 1], [-2, 1, 0, 1]], float)
    return _lp(cost, A, np.array([1.0, 1.0, -np.inf]), np.array([1.0, 1.0, 0.0]),
               np.zeros(4), np.ones(4), [True, False, False, False])


def _site_only_solver(with_opens: bool):
    """HiGHS holding ``_site_only_model`` and a FastHiGHS with its closure (B's shares at the
    partner; the site's open column when ``with_opens``) and a start with no site open."""
    from clusteropt.highs import FastHiGHS
    from clusteropt.start import MarketClosure

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(_site_only_model())
    h.setOptionValue("time_limit", 30.0)
    solver = FastHiGHS(msg=False, timeLimit=30, gapRel=0.0)
    solver._closure_idx = MarketClosure([], [], [], {2: 1.0, 3: 0.0}, [0] if with_opens else [])
    solver._partial_start = (np.array([0], dtype=np.int32), np.array([0.0]))  # no site open
    return h, solver


@pytest.mark.parametrize("with_opens", [True, False])
def test_every_site_open_try_when_no_site_open_has_no_point(with_opens):
    h, solver = _site_only_solver(with_opens)
    x = solver._complete_start(h)
    assert x is not None and blocks.feasible(h.getLp(), x)
    assert solver.incumbent[1] == pytest.approx(108.0) and x[0] == 1.0 and x[3] == 1.0
    report = solver.blocks_report
    if with_opens:  # the third try: site open, B at its partner, only zA left to the blocks
        assert report.columns == 1 and report.objective == pytest.approx(115.0)
    else:  # without it the last try (nothing fixed) is the one that finds a point
        assert report.columns == 4 and report.objective == pytest.approx(108.0)
    assert report.polished == pytest.approx(108.0)


def _wait(background, seconds: float = 60.0) -> None:
    t0 = time.perf_counter()
    while not background.done and time.perf_counter() - t0 < seconds:
        time.sleep(0.05)


@pytest.mark.parametrize("seed", range(3))
def test_background_start_sends_the_points_of_the_in_process_start(seed, tmp_path):
    """``start.Background`` (``python -m clusteropt.start``, the LP sent as arrays) yields the
    same points, in the same order, as ``start.block_start`` run here, on random tiny
    scenarios at the stay placement."""
    from clusteropt import start
    from clusteropt.highs import FastHiGHS

    t = random_tiny(seed, max_open=False)
    sc = t.scenario(tmp_path)
    model = build(sc, build_lanes(sc))
    _stay_start(model)
    solver = FastHiGHS(msg=False, gapRel=0.0, warmStart=True)
    solver.market_closure = market_closure(model)
    lp_ = model.prob
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp_.solverModel = h
    solver.buildSolverModel(lp_)
    lp, (idx, val) = h.getLp(), solver._partial_start
    here = [(x.copy(), obj) for x, obj, _ in start.block_start(
        lp, solver._closure_idx, idx, val, 0.0, None, None, False) if x is not None]
    background = start.Background(lp, solver._closure_idx, idx, val, 0.0, None, False)
    _wait(background)
    there = [(x, obj) for x, obj, _ in background.take() if x is not None]
    background.stop()
    assert background.error is None
    assert here and len(there) == len(here)
    for (x1, o1), (x2, o2) in zip(here, there, strict=True):
        assert o1 == pytest.approx(o2, rel=1e-9) and np.allclose(x1, x2)


def test_large_model_takes_the_start_made_beside_the_full_solve(monkeypatch):
    """On a model counted as large (``HAND_OVER_COLS`` lowered to 0) the start goes to a
    process of its own and ``_complete_start`` returns at once; what it sends is kept as the
    incumbent and as the objective the full solve stops at (the hand case: 108, the
    optimum), and the process is ended."""
    import clusteropt.highs as highs_mod

    monkeypatch.setattr(highs_mod, "HAND_OVER_COLS", 0)
    h, solver = _site_only_solver(with_opens=True)
    assert solver._complete_start(h) is None and solver._background is not None
    background = solver._background
    _wait(background)
    solver._end_background(h)
    assert solver._background is None and solver.background_error is None
    assert background._proc.returncode is not None  # the process has ended
    assert solver.incumbent[1] == pytest.approx(108.0)
    assert solver._gap_target == pytest.approx(108.0)
    assert solver.blocks_report.polished == pytest.approx(108.0)


@pytest.mark.parametrize("seed", range(4))
def test_large_model_path_reaches_the_optimum(seed, tmp_path, monkeypatch):
    """The same full solve with the start made beside it (``HAND_OVER_COLS`` lowered to 0):
    whether or not the start arrives before HiGHS ends, the answer is the brute-force
    optimum at gap 0 and the bound is never above it."""
    import clusteropt.highs as highs_mod

    monkeypatch.setattr(highs_mod, "HAND_OVER_COLS", 0)
    t = random_tiny(seed, max_open=False)
    model, solver, stats = _solve_from_block_start(t, tmp_path)
    optimum, _ = brute_force(t)
    assert solver._background is None  # ended with the solve
    assert close(stats.objective, optimum), (seed, stats.objective, optimum)
    assert stats.best_bound <= optimum * (1 + 1e-9) + 1e-6


def test_large_model_makes_the_start_itself_when_no_process_can_be_started(monkeypatch):
    """If the start's process cannot be launched (here ``subprocess.Popen`` raises), the
    start is made in the solver's own process, first, as on a small model: the hand case's
    optimum 108, and the reason kept in ``background_error``."""
    import subprocess

    import clusteropt.highs as highs_mod

    def cannot(*args, **kwargs):
        raise OSError("no process for you")

    monkeypatch.setattr(highs_mod, "HAND_OVER_COLS", 0)
    monkeypatch.setattr(subprocess, "Popen", cannot)
    h, solver = _site_only_solver(with_opens=True)
    x = solver._complete_start(h)
    assert solver._background is None and "no process for you" in solver.background_error
    assert x is not None and blocks.feasible(h.getLp(), x)
    assert solver.incumbent[1] == pytest.approx(108.0)


def test_large_model_waits_for_the_start_when_the_solve_found_nothing(monkeypatch):
    """A short limit on a large model: the full solve ends with no solution before the start
    has sent anything. The solver then waits for the start's first point (as it would have
    had, made first), so the answer is the hand case's block start (115) or its polish
    (108), not nothing."""
    import clusteropt.highs as highs_mod

    monkeypatch.setattr(highs_mod, "HAND_OVER_COLS", 0)
    h, solver = _site_only_solver(with_opens=True)
    assert solver._complete_start(h) is None
    solver._end_background(h)  # at once: h has not run, so it has no solution
    assert solver.incumbent is not None
    assert solver.incumbent[1] in (pytest.approx(115.0), pytest.approx(108.0))
    assert blocks.feasible(h.getLp(), solver.incumbent[0])


def test_the_start_is_collected_and_shown_while_highs_is_silent():
    """During HiGHS's root LP no MIP callback comes (minutes on the A1 farms): the ticker
    (``_tick_while_root``) still collects the background start's points and reports them
    to the progress display, with the Lagrangian bound the process sent (40; HiGHS has given
    none yet)."""
    from clusteropt.bound import BoundReport

    class OnePoint:  # stands in for start.Background: one point and a bound, then nothing
        def __init__(self):
            self.points = [(np.array([1.0, 0.0]), 42.0, None)]
            self.bound = BoundReport(40.0, 30.0, 0, 0, 0, 0.0, 0.0)

        def take(self):
            out, self.points = self.points, []
            return out

    seen = []
    solver = _HiGHSWithProgress(lambda *a: seen.append(a), every_s=0.0, msg=False)
    solver._background = OnePoint()
    stop = solver._tick_while_root()
    time.sleep(0.6)
    stop()
    assert solver.incumbent is not None and solver.incumbent[1] == 42.0
    assert solver._gap_target == 42.0  # the full solve stops once its bound proves it
    assert solver.lagrangian is not None and solver.lagrangian.bound == 40.0
    assert seen and seen[-1][1] == 42.0 and seen[-1][2] == 40.0
    assert seen[-1][3] == pytest.approx(2 / 42)


def _three_sites_model(first_fixed_open: bool = False) -> highspy.HighsLp:
    """Hand case for the greedy drop. Sites 1, 2, 3 cost 105, 60 and 30 € open and take 2, 1
    and 1 units; flows A and B (1 unit each) have no route but to a site (A: 5, 20, 10 €;
    B: 5, 10, 25 €); flow D goes to its baseline partner (2 €, its own block).
    Columns: y1 y2 y3, zA1 zA2 zA3, zB1 zB2 zB3, zD.
    Every site open: A, B to site 1, 195 + 10 + 2 = 207. Closing site 1 gives sites 2 and 3
    (A to 3, B to 2): 90 + 20 + 2 = 112; closing 2 gives 147, closing 3 gives 177. From sites
    2 and 3 neither can close (each takes one unit). So the drop ends at 112, the optimum
    (site 1 alone: 117). With site 1 fixed open: 147 (sites 1, 3), then 117 (site 1 alone)."""
    cost = np.array([105.0, 60.0, 30.0, 5.0, 20.0, 10.0, 5.0, 10.0, 25.0, 2.0])
    A = np.zeros((6, 10))
    A[0, 3:6] = 1  # Σ zA = 1
    A[1, 6:9] = 1  # Σ zB = 1
    A[5, 9] = 1  # zD = 1
    for site, cap in enumerate([2.0, 1.0, 1.0]):  # zA_s + zB_s − cap · y_s ≤ 0
        A[2 + site, [3 + site, 6 + site]] = 1
        A[2 + site, site] = -cap
    lo = np.zeros(10)
    lo[0] = 1.0 if first_fixed_open else 0.0
    return _lp(cost, A, np.array([1, 1, -np.inf, -np.inf, -np.inf, 1.0]),
               np.array([1, 1, 0, 0, 0, 1.0]), lo, np.ones(10), [True] * 3 + [False] * 7)


def _whole_optimum(lp: highspy.HighsLp) -> float:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.passModel(lp)
    h.run()
    return h.getInfo().objective_function_value


@pytest.mark.parametrize(("first_fixed_open", "steps", "opens"), [
    (False, [207.0, 112.0], [0, 1, 1]),
    (True, [207.0, 147.0, 117.0], [1, 0, 0]),
])
def test_drop_closes_the_sites_the_every_site_open_try_opened(first_fixed_open, steps, opens):
    from clusteropt.start import MarketClosure, block_start

    lp = _three_sites_model(first_fixed_open)
    closure = MarketClosure([], [], [], {9: 1.0}, [0, 1, 2])
    nobody = (np.array([0, 1, 2], dtype=np.int32), np.array([0.0, 0.0, 0.0]))  # no site open
    points = [(x, objective) for x, objective, _ in block_start(
        lp, closure, *nobody, gap_rel=0.0, threads=None, share=None, large=False)
        if x is not None]
    assert [objective for _, objective in points] == pytest.approx(steps)
    assert all(blocks.feasible(lp, x) for x, _ in points)
    assert list(points[-1][0][:3]) == opens
    assert points[-1][1] == pytest.approx(_whole_optimum(lp))


def test_touched_names_the_blocks_a_site_reaches():
    lp = _three_sites_model()
    every_open = {0: 1.0, 1: 1.0, 2: 1.0}
    # A and B share the sites' rows: one block of six columns; D is a block of its own
    assert list(blocks.touched(lp, every_open, (), (), [1])[0]) == [3, 4, 5, 6, 7, 8]
    # with B's shares fixed, site 3's row reaches A's block only
    fix = every_open | {6: 1.0, 7: 0.0, 8: 0.0}
    assert list(blocks.touched(lp, fix, (), (), [2])[0]) == [3, 4, 5]

"""The Lagrangian bound (``clusteropt.bound``): LP duals on the relaxed rows (the vehicle
balance and the rows that join two owners), the integer blocks of the rest.

* valid and at least the LP bound: on random tiny instances, LP bound ≤ bound ≤ the
  brute-force optimum (``tiny.brute_force``, which never calls clusteropt), and above the LP
  bound on some;
* weak duality by hand: with every row relaxed, the bound is the LP's dual objective;
* hand case: one grower's 2 t on its own 40 km leg, a 10 t truck, the floors left out: the LP
  pays a fifth of a trip (520 €/yr), the bound a whole one and its market return (2,600, the
  optimum);
* the row choice: no kept row joins two owners, and the balance rows are always relaxed;
* on the solve path (a model counted as large): the background process sends the bound, the
  solve reports it when higher than HiGHS's own, and never above the optimum.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from tiny import brute_force, close, random_tiny

import clusteropt.model.families as fam
from clusteropt import blocks, bound
from clusteropt.highs import FastHiGHS
from clusteropt.lanes import build_lanes
from clusteropt.model import build
from clusteropt.solve import _stay_start, market_closure, solve

SEEDS = range(10)


def _lp_and_closure(model):
    """The model's HiGHS LP and its closure in columns (as ``FastHiGHS`` makes them)."""
    solver = FastHiGHS(msg=False, gapRel=0.0)
    solver.market_closure = market_closure(model)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    model.prob.solverModel = h
    solver.buildSolverModel(model.prob)
    return h.getLp(), solver._closure_idx


def _bound_of(t, tmp):
    sc = t.scenario(tmp)
    model = build(sc, build_lanes(sc))
    lp, closure = _lp_and_closure(model)
    return bound.lagrangian_bound(lp, closure.balance, closure.owners), lp, closure


@pytest.mark.parametrize("seed", SEEDS)
def test_bound_between_the_lp_bound_and_the_optimum(seed, tmp_path):
    t = random_tiny(seed)
    report, _, _ = _bound_of(t, tmp_path)
    optimum, _ = brute_force(t)
    assert report.lp_bound <= report.bound + 1e-9 * max(1.0, abs(report.bound))
    assert report.bound <= optimum * (1 + 1e-7) + 1e-6, (seed, report.bound, optimum)


def test_bound_rises_above_the_lp_bound(tmp_path, monkeypatch):
    """Without the floors (which already give the LP whole trips on one activity's legs)
    the integer blocks add to the LP bound on most instances."""
    for name in ("define_trip_floor", "define_trip_cost_floor"):
        monkeypatch.setattr(fam, name, lambda *a: None)
    rose = 0
    for seed in SEEDS:
        t = random_tiny(seed)
        report, _, _ = _bound_of(t, tmp_path / str(seed))
        optimum, _ = brute_force(t)
        assert report.bound <= optimum * (1 + 1e-7) + 1e-6, (seed, report.bound, optimum)
        rose += report.bound > report.lp_bound * (1 + 1e-6) + 1e-6
    assert rose >= 5, rose


@pytest.mark.parametrize("seed", range(4))
def test_every_row_relaxed_gives_the_lp_dual_objective(seed, tmp_path):
    t = random_tiny(seed)
    sc = t.scenario(tmp_path)
    lp, closure = _lp_and_closure(build(sc, build_lanes(sc)))
    report = bound.lagrangian_bound(lp, range(lp.num_row_), closure.owners)
    assert report.relaxed == lp.num_row_
    assert report.bound == pytest.approx(report.lp_bound, rel=1e-7, abs=1e-6)


def test_hand_case_the_bound_pays_a_whole_trip(tmp_path, monkeypatch):
    """``test_trip_floor._one_grower``: g0 stays (relocation 1 M€), 2 t a period on its own
    40 km leg, a 10 t truck at 1 €/km, a market return of ρ = 0.25: 50 € a period, 2,600 €/yr.
    Without the floors the LP pays 0.2 of a trip (520); the grower's block holds its legs
    whole, so the bound is 2,600."""
    from test_trip_floor import _one_grower

    for name in ("define_trip_floor", "define_trip_cost_floor"):
        monkeypatch.setattr(fam, name, lambda *a: None)
    report, _, _ = _bound_of(_one_grower(), tmp_path)
    assert report.lp_bound == pytest.approx(520.0, rel=1e-6)
    assert report.bound == pytest.approx(2_600.0, rel=1e-6)


@pytest.mark.parametrize("seed, large", [(s, s % 2 == 1) for s in range(6)])
def test_bound_by_interior_point_duals_is_valid(seed, large, tmp_path, monkeypatch):
    """When the simplex method does not finish (a stand-in that gives up), or the model has
    ``INTERIOR_FROM_COLS`` columns (here: any), the LP goes to interior point (no crossover):
    its optimum is the simplex's, and the bound at its duals stays between the LP bound and
    the brute-force optimum."""
    t = random_tiny(seed)
    simplex, _, _ = _bound_of(t, tmp_path / "simplex")
    calls = []
    relaxation = blocks.relaxation

    def gives_up(*a, interior=False, **k):
        calls.append(interior)
        return relaxation(*a, interior=interior, **k) if interior else None

    monkeypatch.setattr(blocks, "relaxation", gives_up)
    if large:
        monkeypatch.setattr(bound, "INTERIOR_FROM_COLS", 0)
    report, _, _ = _bound_of(t, tmp_path / "interior")
    assert calls == ([True] if large else [False, True])
    optimum, _ = brute_force(t)
    assert report.lp_bound == pytest.approx(simplex.lp_bound, rel=1e-6, abs=1e-4)
    assert report.lp_bound <= report.bound + 1e-9 * max(1.0, abs(report.bound))
    assert report.bound <= optimum * (1 + 1e-7) + 1e-6, (seed, report.bound, optimum)


def test_split_large_relaxes_the_shared_capacity(monkeypatch):
    """Six suppliers, each with its own two-column block (a link row), all in one capacity
    row: one block of 12 columns. With blocks of at most 4 columns the capacity row (6
    columns, the densest) is relaxed and the six blocks come apart; nothing else is."""
    monkeypatch.setattr(blocks, "MAX_BLOCK_COLS", 4)
    links = [[1.0 if j in (2 * k, 2 * k + 1) else 0.0 for j in range(12)] for k in range(6)]
    capacity = [1.0 if j % 2 == 0 else 0.0 for j in range(12)]
    A = sp.csr_matrix(np.array(links + [capacity]))
    relax = bound.split_large(A, np.zeros(7, bool))
    assert relax.tolist() == [False] * 6 + [True]
    assert bound.split_large(A, np.zeros(7, bool)).sum() == 1
    monkeypatch.setattr(blocks, "MAX_BLOCK_COLS", 12)
    assert not bound.split_large(A, np.zeros(7, bool)).any()


@pytest.mark.parametrize("seed", range(4))
def test_split_large_keeps_the_bound_valid(seed, tmp_path, monkeypatch):
    """With blocks capped at a quarter of the model's columns more rows are relaxed; the
    bound stays at most the brute-force optimum (and at least the LP bound)."""
    t = random_tiny(seed)
    whole, lp, _ = _bound_of(t, tmp_path / "whole")
    monkeypatch.setattr(blocks, "MAX_BLOCK_COLS", max(lp.num_col_ // 4, 3))
    split, _, _ = _bound_of(t, tmp_path / "split")
    optimum, _ = brute_force(t)
    assert split.relaxed > whole.relaxed  # the cap splits some block
    assert split.lp_bound <= split.bound + 1e-9 * max(1.0, abs(split.bound))
    assert split.bound <= optimum * (1 + 1e-7) + 1e-6, (seed, split.bound, optimum)


@pytest.mark.parametrize("seed", range(4))
def test_no_kept_row_joins_two_owners(seed, tmp_path):
    t = random_tiny(seed)
    sc = t.scenario(tmp_path)
    lp, closure = _lp_and_closure(build(sc, build_lanes(sc)))
    A = blocks.constraint_matrix(lp)
    relax = bound.relaxed_rows(A, closure.owners, closure.balance)
    assert relax[closure.balance].all()
    kept = A[~relax]
    graph = sp.bmat([[None, kept], [kept.T, None]], format="csr")
    _, label = sp.csgraph.connected_components(graph, directed=False)
    col_block = label[kept.shape[0]:]
    owned = np.flatnonzero(closure.owners >= 0)
    for b in np.unique(col_block[owned]):
        assert len(set(closure.owners[owned[col_block[owned] == b]].tolist())) == 1


@pytest.mark.parametrize("seed", range(3))
def test_large_model_path_reports_the_bound(seed, tmp_path, monkeypatch):
    """A model counted as large (``HAND_OVER_COLS`` lowered to 0): the background process
    sends the bound after the start; the solve's bound is at least it (HiGHS's or it) and
    never above the brute-force optimum, which the solve reaches."""
    import clusteropt.highs as highs_mod

    monkeypatch.setattr(highs_mod, "HAND_OVER_COLS", 0)
    end = highs_mod.FastHiGHS._end_background

    def wait_then_end(self, h):  # the process done first, so that its bound has been sent
        t0 = time.perf_counter()
        while self._background is not None and not self._background.done \
                and time.perf_counter() - t0 < 60:
            time.sleep(0.05)
        end(self, h)

    monkeypatch.setattr(highs_mod.FastHiGHS, "_end_background", wait_then_end)
    t = random_tiny(seed, max_open=False)
    sc = t.scenario(tmp_path)
    model = build(sc, build_lanes(sc))
    _stay_start(model)
    report = solve(model, gap_rel=0.0)
    optimum, _ = brute_force(t)
    assert report.lagrangian is not None, seed
    assert report.best_bound >= report.lagrangian["bound"] - 1e-9
    assert report.lagrangian["bound"] <= optimum * (1 + 1e-7) + 1e-6
    assert close(report.objective, optimum), (seed, report.objective, optimum)

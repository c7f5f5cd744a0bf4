"""An incumbent for facility location in blocks by local search over the open sites (step 2
of ``clusteropt.fixing`` where the model has knapsack blocks).

With the site binaries y fixed, the model is an LP: the open sites' flows (each x ≤ u from its
link) with every row that is not a link, the site binaries as fixed columns. ``search`` starts
from a set of open sites and, while some neighbour is cheaper, moves to the cheapest of them
(best improvement). A neighbour closes one open site, opens one site of the pool, or swaps one
for another. Each neighbour's value is that LP (about 20 ms on OR-Library ``capa``: 9 open
sites × 1,000 customers, warm-started), not a MILP, so the search is exact about every set it
visits and a local optimum at worst.

Measured on ``capa``'s costs at ten capacities (5,000–14,000), from the site problem's choice
at the subgradient multipliers with the subgradient support as the pool: the optimum at all
ten, in 0.2–18 s (the MIP restricted to the same pool took up to 46 s to find it at 5,750).
First improvement (neighbours ordered by their priced site values) needs fewer LPs but stops
at 5,750 at a local optimum 0.42 % above the optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from clusteropt import interrupt
from clusteropt.subgradient import KnapsackBlocks

MAX_LPS = 5000  # the search stops after this many LPs even with time left (capa: 108-509 to
# the end of the search, about 20 ms each); a model solved without a time limit would
# otherwise search for as long as its rounds find something


@dataclass
class Found:
    """The best set the search visited: its objective, every column's value, the open
    blocks (numbers into ``KnapsackBlocks.ys``) and the LPs solved."""

    objective: float
    values: np.ndarray
    sites: np.ndarray
    evaluations: int


class OpenSitesLP:
    """The LP left when the site binaries are fixed: min c·x over the non-link rows, with the
    open sites' flows at 0 ≤ x ≤ u, the closed sites' flows at 0, the binaries fixed, and
    every other column within its bounds. One HiGHS LP holds the flows of the sites in
    ``pool`` (the only ones ``value`` may open); each set changes their bounds and re-solves
    from the last basis (on ``capa`` about 20 ms a set against 35 ms for a new LP)."""

    def __init__(self, lp: highspy.HighsLp, A: sparse.csr_matrix, kb: KnapsackBlocks,
                 link_rows: np.ndarray, pool, threads: int | None = None):
        pool = np.array(sorted(set(int(b) for b in pool)), dtype=np.int64)
        flows = kb.cols[pool].ravel()
        cap = kb.upper[pool].ravel()
        real = cap > 0
        self.flow_site = np.repeat(pool, kb.cols.shape[1])[real]
        flows = flows[real]
        col_lower = np.asarray(lp.col_lower_, float)
        col_upper = np.asarray(lp.col_upper_, float)
        self.flow_upper = np.minimum(col_upper[flows], cap[real])
        self.cols = np.concatenate([kb.free, kb.ys, flows])
        self.n, self.sites, self.offset = lp.num_col_, len(kb.ys), lp.offset_
        keep = np.ones(lp.num_row_, bool)
        keep[link_rows] = False
        M = A[keep].tocsc()[:, self.cols]
        h = highspy.Highs()  # (HiGHS's infinity is float inf, as in the HighsLp's arrays)
        h.setOptionValue("output_flag", False)
        if threads is not None:  # HiGHS's scheduler is set once per process
            h.setOptionValue("threads", threads)
        h.addRows(M.shape[0], np.asarray(lp.row_lower_, float)[keep],
                  np.asarray(lp.row_upper_, float)[keep], 0, np.zeros(0, np.int32),
                  np.zeros(0, np.int32), np.zeros(0))
        lower = np.concatenate([col_lower[kb.free], np.zeros(self.sites), np.zeros(len(flows))])
        upper = np.concatenate([col_upper[kb.free], np.zeros(self.sites), self.flow_upper])
        h.addCols(len(self.cols), np.asarray(lp.col_cost_, float)[self.cols], lower, upper,
                  M.nnz, M.indptr[:-1].astype(np.int32), M.indices.astype(np.int32),
                  M.data.astype(np.float64))
        self.h = h
        # the binaries and the flows: the columns whose bounds each set changes
        self.moving = np.arange(len(kb.free), len(self.cols), dtype=np.int32)

    def value(self, open_sites) -> float:
        """The objective with the blocks ``open_sites`` (all in the pool) open and the
        others closed; inf when that LP is infeasible or not solved (``values`` then reads
        its solution)."""
        y = np.zeros(self.sites)
        y[list(open_sites)] = 1.0
        flow_upper = np.where(y[self.flow_site] > 0, self.flow_upper, 0.0)
        h = self.h
        h.changeColsBounds(len(self.moving), self.moving,
                           np.concatenate([y, np.zeros(len(flow_upper))]),
                           np.concatenate([y, flow_upper]))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            h.clearSolver()  # a warm start gone wrong is solved again from scratch
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return np.inf
        return h.getInfo().objective_function_value + self.offset

    def values(self) -> np.ndarray:
        """Every column's value at the last set ``value`` solved (read only for the sets the
        search keeps: most neighbours need their objective alone)."""
        values = np.zeros(self.n)
        values[self.cols] = self.h.getSolution().col_value
        return values


def search(evaluator: OpenSitesLP, start, pool, deadline: float,
           max_lps: int = MAX_LPS) -> Found | None:
    """Best-improvement local search from the blocks ``start`` (open), moving sites of
    ``pool`` in and out of the open set (module docstring), until no neighbour is cheaper, or
    ``deadline`` (perf_counter s), or ``max_lps`` LPs, or a stop is requested. None when
    ``start`` is infeasible. ``pool`` and ``start`` must lie in ``evaluator``'s pool."""
    current = frozenset(int(b) for b in start)
    pool = sorted(set(int(b) for b in pool) | current)
    seen: dict[frozenset, float] = {}

    def over() -> bool:
        return (time.perf_counter() >= deadline or len(seen) >= max_lps
                or interrupt.requested() is not None)

    z = seen[current] = evaluator.value(current)
    if not np.isfinite(z):
        return None
    best_values = evaluator.values()
    while not over():
        closed = [b for b in pool if b not in current]
        neighbours = [current - {i} for i in current] + [current | {j} for j in closed]
        neighbours += [current - {i} | {j} for i in current for j in closed]
        move = None
        for nb in neighbours:
            if over():
                break
            if nb in seen or not nb:
                continue
            value = seen[nb] = evaluator.value(nb)
            if value < z - 1e-9 * max(1.0, abs(z)):
                z, move, best_values = value, nb, evaluator.values()
        if move is None:
            break
        current = move
    return Found(z, best_values, np.array(sorted(current)), len(seen))

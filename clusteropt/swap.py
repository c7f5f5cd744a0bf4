"""An incumbent for facility location in blocks by local search over the open sites (step 2
of ``clusteropt.fixing`` where the model has knapsack blocks).

With the site binaries y fixed, the model is an LP: the open sites' flows (each x ≤ u from its
link) with every row that is not a link, the site binaries as fixed columns. ``search`` starts
from a set of open sites and, while some neighbour is cheaper, moves to the cheapest of them
(best improvement). A neighbour closes one open site, opens one site of the pool, or swaps one
for another. Each neighbour's value is that LP (about 30 ms on OR-Library ``capa``: 9 open
sites × 1,000 customers), not a MILP, so the search is exact about every set it visits and a
local optimum at worst.

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
# the end of the search, about 30 ms each); a model solved without a time limit would
# otherwise search for as long as its rounds find something


@dataclass
class Found:
    """The best set the search visited: its objective, every column's value, the open
    blocks (numbers into ``KnapsackBlocks.ys``), LPs solved and seconds."""

    objective: float
    values: np.ndarray
    sites: np.ndarray
    evaluations: int
    seconds: float


class OpenSitesLP:
    """The LP left when the site binaries are fixed: min c·x over the non-link rows, with the
    open sites' flows at 0 ≤ x ≤ u, the closed sites' flows at 0 (left out), the binaries
    fixed, and every other column within its bounds."""

    def __init__(self, lp: highspy.HighsLp, A: sparse.csr_matrix, kb: KnapsackBlocks,
                 link_rows: np.ndarray, threads: int | None = None):
        keep = np.ones(lp.num_row_, bool)
        keep[link_rows] = False
        self.N = A[keep].tocsc()
        inf = highspy.kHighsInf
        rl = np.asarray(lp.row_lower_, float)[keep]
        ru = np.asarray(lp.row_upper_, float)[keep]
        self.row_lower = np.where(np.isfinite(rl), rl, -inf)
        self.row_upper = np.where(np.isfinite(ru), ru, inf)
        self.cost = np.asarray(lp.col_cost_, float)
        self.lower = np.asarray(lp.col_lower_, float)
        self.upper = np.asarray(lp.col_upper_, float)
        self.offset = lp.offset_
        self.kb, self.threads = kb, threads
        self.n = lp.num_col_

    def value(self, open_sites) -> tuple[float, np.ndarray | None]:
        """(objective, every column's value) with the blocks ``open_sites`` open and the
        others closed; (inf, None) when that LP is infeasible or not solved."""
        kb = self.kb
        y = np.zeros(len(kb.ys))
        y[list(open_sites)] = 1.0
        opened = np.flatnonzero(y)
        flows = kb.cols[opened].ravel()
        cap = kb.upper[opened].ravel()
        real = cap > 0
        flows, cap = flows[real], cap[real]
        cols = np.concatenate([kb.free, kb.ys, flows])
        lower = np.concatenate([self.lower[kb.free], y, np.zeros(len(flows))])
        upper = np.concatenate([self.upper[kb.free], y, np.minimum(self.upper[flows], cap)])
        inf = highspy.kHighsInf
        M = self.N[:, cols]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        if self.threads is not None:  # HiGHS's scheduler is set once per process
            h.setOptionValue("threads", self.threads)
        h.addRows(M.shape[0], self.row_lower, self.row_upper, 0, np.zeros(0, np.int32),
                  np.zeros(0, np.int32), np.zeros(0))
        h.addCols(len(cols), self.cost[cols], np.where(np.isfinite(lower), lower, -inf),
                  np.where(np.isfinite(upper), upper, inf), M.nnz,
                  M.indptr[:-1].astype(np.int32), M.indices.astype(np.int32),
                  M.data.astype(np.float64))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return np.inf, None
        values = np.zeros(self.n)
        values[cols] = h.getSolution().col_value
        return h.getInfo().objective_function_value + self.offset, values


def search(evaluator: OpenSitesLP, start, pool, deadline: float,
           max_lps: int = MAX_LPS) -> Found | None:
    """Best-improvement local search from the blocks ``start`` (open), moving sites of
    ``pool`` in and out of the open set (module docstring), until no neighbour is cheaper, or
    ``deadline`` (perf_counter s), or ``max_lps`` LPs, or a stop is requested. None when
    ``start`` is infeasible."""
    t0 = time.perf_counter()
    current = frozenset(int(b) for b in start)
    pool = sorted(set(int(b) for b in pool) | current)
    seen: dict[frozenset, float] = {}

    def over() -> bool:
        return (time.perf_counter() >= deadline or len(seen) >= max_lps
                or interrupt.requested() is not None)

    z, values = evaluator.value(current)
    seen[current] = z
    if values is None:
        return None
    best_values = values
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
            value, vals = evaluator.value(nb)
            seen[nb] = value
            if value < z - 1e-9 * max(1.0, abs(z)):
                z, move, best_values = value, nb, vals
        if move is None:
            break
        current = move
    return Found(z, best_values, np.array(sorted(current)), len(seen),
                 time.perf_counter() - t0)

"""A Lagrangian lower bound of a bundled MILP from its LP duals and its integer blocks (exact:
every bound it returns is a valid lower bound of the MILP, up to the solvers' tolerances).

For a MILP  min c·x  s.t.  l ≤ A x ≤ u, bounds, integrality, and any multipliers π of a set R
of its rows (π_r ≥ 0 where u_r = ∞, π_r ≤ 0 where l_r = −∞):

    L(π) = Σ_{r∈R} π_r · (l_r if π_r > 0 else u_r)
           + min { (c − A_Rᵀ π)·x : the rows not in R, bounds, integrality }

is a lower bound of the MILP (weak duality), and the minimum falls apart into the blocks of
the rows kept (``blocks.solve_blocks``), each a small MILP. With π the LP relaxation's row duals,
each block's LP optimum is the LP's share, so L(π) is at least the LP bound, and more by
what integrality adds inside the blocks.

The rows relaxed (``relaxed_rows``): the vehicle balance (it links every leg at a node) and
every row that would join two owners — the placements of two activities, or two candidate
sites — into one block. What stays together is one activity's placement with the legs only
it loads (a grower's own node to its trader, with whole trips and market closure), and one
site's opening. On the whole Westland this is the gap the LP leaves: a small consignment pays
a whole truck and that truck's return, where the LP pays a fraction of both (the LP bound is
12 % below the optimum, HiGHS's presolved root 2 %, this bound 0.28 % at the LP duals). A
block still larger than ``blocks.MAX_BLOCK_COLS`` loses its densest rows too
(``split_large``: the A1 farms' partner capacities, each shared by some 2,500 farms). The
LP is solved by the simplex method, or by interior point where that is faster (``lp_duals``):
any multipliers give a valid bound, so an interior optimum's duals will do."""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from clusteropt import blocks

PART_LIMIT_S = 10.0  # a packed block solve stops here and adds its dual bound (the A1 farms at
#   the LP duals: 64 solves in 98 s; at gap 1e-6 without a limit some ran for minutes)
BLOCK_GAP = 1e-6  # the block solves' relative gap (each adds its dual bound: valid at any gap)
SIMPLEX_FIRST_S = 30.0  # the LP by the simplex method for this long, then by interior point
#   (1 thread: the whole Westland's LP 5.7 s by simplex, 42 s by interior point; 3,000 x 10 x
#   100 unfinished at 300 s by simplex, 110 s by interior point; the A1 farms 307 s by interior
#   point, unfinished at 400 s by simplex)
INTERIOR_FROM_COLS = 150_000  # ... and from this many columns by interior point at once: the
#   30 s of simplex went to waste on both LPs above 150,000 columns measured (179,386 and
#   459,903), and the whole Westland's (107,799) needs the simplex
DUAL_TOL = 1e-7  # a reduced cost this slightly negative on an unbounded column counts as 0


@dataclass
class BoundReport:
    """What ``lagrangian_bound`` did: the bound (at least the LP bound), the LP bound,
    rows relaxed, blocks, packed solves, seconds (the LP's and in all)."""

    bound: float
    lp_bound: float
    relaxed: int
    blocks: int
    solves: int
    lp_s: float
    seconds: float


def owner_array(n: int, pairs) -> np.ndarray:
    """Owner numbers per column (−1: none) from (column, owner) pairs."""
    owner = np.full(n, -1, dtype=np.int64)
    for j, k in pairs:
        owner[j] = k
    return owner


def relaxed_rows(A, owner: np.ndarray, always) -> np.ndarray:
    """A mask of the rows to relax: the rows ``always`` and each row that would put columns
    of two owners (``owner[j]`` ≥ 0; −1: none) into one block. Rows with an owner's column
    are joined first (an activity's placement takes its own legs), then the others
    (union-find over the columns)."""
    A = A.tocsr()
    m = A.shape[0]
    parent = list(range(A.shape[1]))
    own = owner.astype(int).tolist()

    def find(j: int) -> int:
        root = j
        while parent[root] != root:
            root = parent[root]
        while parent[j] != root:
            parent[j], j = root, parent[j]
        return root

    relax = np.zeros(m, bool)
    relax[list(always)] = True
    nonempty = np.diff(A.indptr) > 0
    has_owner = np.zeros(m, bool)
    if A.nnz:
        owned = (owner[A.indices] >= 0).astype(int)
        has_owner[nonempty] = np.add.reduceat(owned, A.indptr[:-1][nonempty]) > 0
    order = np.r_[np.flatnonzero(has_owner & ~relax), np.flatnonzero(~has_owner & ~relax)]
    indptr, indices = A.indptr.tolist(), A.indices.tolist()
    for r in order.tolist():
        roots = {find(j) for j in indices[indptr[r]:indptr[r + 1]]}
        owners = {own[x] for x in roots if own[x] >= 0}
        if len(owners) > 1:
            relax[r] = True
            continue
        if not roots:
            continue
        top = roots.pop()
        for x in roots:
            parent[x] = top
        if owners:
            own[top] = owners.pop()
    return relax


def lp_duals(lp: highspy.HighsLp, threads: int | None, time_limit: float | None
             ) -> tuple[float, np.ndarray] | None:
    """The LP relaxation's optimum and row duals (HiGHS: reduced costs c − Aᵀ π), or None
    when it does not reach an optimum within ``time_limit`` s: by the simplex method for up
    to ``SIMPLEX_FIRST_S`` s, then by interior point (``blocks.relaxation``); from
    ``INTERIOR_FROM_COLS`` columns on by interior point at once."""
    t0 = time.perf_counter()
    h = None
    if lp.num_col_ < INTERIOR_FROM_COLS:
        first = SIMPLEX_FIRST_S if time_limit is None else min(SIMPLEX_FIRST_S, time_limit)
        h = blocks.relaxation(lp, threads, first)
    if h is None:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            return None
        h = blocks.relaxation(lp, threads, left, interior=True)
    if h is None:
        return None
    return h.getInfo().objective_function_value, np.asarray(h.getSolution().row_dual)


def split_large(A, relax: np.ndarray) -> np.ndarray:
    """``relax`` with more rows relaxed until no block of the rows kept has more than
    ``blocks.MAX_BLOCK_COLS`` columns: in each larger block, the rows with at least half as
    many columns as its densest row (a capacity shared by every supplier, as the A1 farms'
    partner capacities of 2,618 farms each, where the next rows have 8)."""
    A = A.tocsr()
    relax = relax.copy()
    nnz = np.diff(A.indptr)
    while True:
        kept = np.flatnonzero(~relax)
        nblocks, row_block, col_block = blocks.components(A[kept])
        sizes = np.bincount(col_block, minlength=nblocks)
        large = sizes > blocks.MAX_BLOCK_COLS
        in_large = large[row_block]
        rows, block_of = kept[in_large], row_block[in_large]
        if not len(rows):
            return relax
        top = np.zeros(nblocks)  # each block's densest row (columns)
        np.maximum.at(top, block_of, nnz[rows])
        dense = rows[nnz[rows] * 2 >= top[block_of]]
        if (nnz[dense] <= 2).all():  # no denser rows to relax: give up (the blocks fail)
            return relax
        relax[dense] = True


def priced(lp: highspy.HighsLp, A, relax: np.ndarray, pi: np.ndarray
           ) -> tuple[float, np.ndarray]:
    """The Lagrangian of ``lp`` over the rows ``relax`` (a mask) at row multipliers ``pi``
    (one per row; a sign that no finite side of its row allows counts as 0): the constant
    Σ_R π_r · (l_r if π_r > 0 else u_r) and the priced costs c − A_Rᵀ π."""
    rl, ru = np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float)
    p, side = signed(np.where(relax, np.asarray(pi, float), 0.0), rl, ru)
    return float(p @ side), np.asarray(lp.col_cost_, float) - A.T @ p


def signed(pi: np.ndarray, rl: np.ndarray, ru: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers of rows with sides [rl, ru], a sign that no finite side allows set to 0,
    and the side each multiplies (rl where π > 0, ru where π < 0, 0 where π = 0)."""
    p = np.array(pi, float)
    p[(p > 0) & ~np.isfinite(rl)] = 0.0
    p[(p < 0) & ~np.isfinite(ru)] = 0.0
    return p, np.where(p > 0, rl, np.where(p < 0, ru, 0.0))


def lagrangian_bound(lp: highspy.HighsLp, always, owner: np.ndarray,
                     threads: int | None = None, time_limit: float | None = None
                     ) -> BoundReport | None:
    """L(π) (module docstring) with π the LP relaxation's row duals on the rows
    ``relaxed_rows(A, owner, always)``, its minimum solved block by block
    (``blocks.solve_blocks``, the priced costs, the relaxed rows left out; a reduced cost
    within ``DUAL_TOL`` below 0 on an unbounded column counts as 0). The LP bound when
    that is higher or the blocks cannot be solved (a block too large, unbounded, or a solve
    not finished within ``time_limit`` s). None when the LP relaxation is not solved in
    that time."""
    t0 = time.perf_counter()
    duals = lp_duals(lp, threads, time_limit)
    if duals is None:
        return None
    lp_bound, pi = duals
    lp_s = time.perf_counter() - t0
    A = blocks.constraint_matrix(lp)
    relax = split_large(A, relaxed_rows(A, owner, always))
    constant, cost = priced(lp, A, relax, pi)
    own = np.asarray(lp.col_cost_, float)
    near_zero = (cost < 0) & (cost > -DUAL_TOL * (1.0 + np.abs(own)))
    cost[near_zero & ~np.isfinite(np.asarray(lp.col_upper_, float))] = 0.0
    left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    _, report = blocks.solve_blocks(lp, {}, np.flatnonzero(relax), (), left, threads,
                                    cost=cost, gap=BLOCK_GAP, matrix=A,
                                    part_limit=PART_LIMIT_S)
    value = -np.inf if report.bound is None else constant + report.bound
    return BoundReport(max(lp_bound, value), lp_bound, int(relax.sum()), report.blocks,
                       report.solves, lp_s, time.perf_counter() - t0)

"""Solve a MILP whose coupling rows are set aside by its independent blocks (exact).

A MILP  min c·x  s.t.  l ≤ A x ≤ u,  x_lo ≤ x ≤ x_up,  x_j integer (j ∈ I)  whose columns are
partly fixed falls apart into blocks: the connected components of the bipartite graph of the
free columns and the rows they share. The blocks share no row, so the optimum is the sum of
the blocks' optima; each block is solved by HiGHS (to gap 0, or to a relative gap the caller
names), several packed into one solve (they stay independent inside it) so that thousands of
tiny blocks do not each pay a solver's set-up.

``clusteropt.start`` uses it for the first incumbent (the block start):
at a fixed placement, with every loaded trip closed by the market (mkt = trips, no empty leg),
the vehicle balance holds whatever the trips, so its rows drop out and the model falls apart
into one block per leg and load class: the cheapest whole carriage of each leg's load, priced
like today's trucks (model.md §4, market closure). That point is feasible in the full model
(it is how the unbundled baseline is priced), so it is an upper bound; ``polish`` then lets
the vehicle balance take over where it beats the market (the integers kept, an LP), and the
full solve only has to improve it and prove its bound."""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

BATCH_COLS = 4_000  # columns per packed HiGHS solve (measured: 600 growers, 8k legs, ≈1 s)
MAX_BLOCK_COLS = 100_000  # a larger block is no decomposition: give up at once (the A1
#   farms with free manure outlets: one block of 300k columns, 135 s, none; the whole Westland's
#   largest holds over 50k of its 82k free columns and its five packed solves take 1.2 s)
FEAS_TOL = 1e-6  # row and bound tolerance of the assembled solution (relative to 1 + |rhs|)


@dataclass
class BlocksReport:
    """What ``solve_blocks`` did: blocks and columns solved, packed solves, seconds,
    objective (of the whole model, fixed columns included) or None when it did not finish;
    the objective after polishing, where that was done."""

    blocks: int
    columns: int
    solves: int
    seconds: float
    objective: float | None
    polished: float | None = None  # the best objective after ``polish`` (set by its caller)
    rounds: int = 0  # re-priced rounds (set by its caller)
    # a lower bound of the restriction's optimum under the cost it was solved with (fixed
    # columns, the LP's offset and each packed solve's dual bound), None unless all finished
    bound: float | None = None


def constraint_matrix(lp: highspy.HighsLp) -> sp.csr_matrix:
    """A HiGHS LP's constraint matrix as CSR (rows × columns)."""
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    data = (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_))
    if a.format_ == highspy.MatrixFormat.kRowwise:
        return sp.csr_matrix(data, shape=shape)
    return sp.csc_matrix(data, shape=shape).tocsr()


def integers(lp: highspy.HighsLp) -> np.ndarray:
    """A mask of the LP's integer columns."""
    if not len(lp.integrality_):
        return np.zeros(lp.num_col_, bool)
    return np.array([int(v) for v in lp.integrality_]) == 1


def row_activity(lp: highspy.HighsLp, x: np.ndarray) -> np.ndarray:
    """A x: each row's value at column values x."""
    return constraint_matrix(lp) @ x


def feasible(lp: highspy.HighsLp, x: np.ndarray, tol: float = FEAS_TOL) -> bool:
    """``x`` within bounds, integral where asked, and within every row's bounds."""
    lo, up = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    if ((x < lo - tol * (1 + abs(lo))) | (x > up + tol * (1 + abs(up)))).any():
        return False
    ints = integers(lp)
    if (abs(x[ints] - np.round(x[ints])) > tol).any():
        return False
    act = constraint_matrix(lp) @ x
    rl, ru = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    return not ((act < rl - tol * (1 + abs(rl))) | (act > ru + tol * (1 + abs(ru)))).any()


def solve_blocks(lp: highspy.HighsLp, fix: dict[int, float], drop_rows=(), ties=(),
                 time_limit: float | None = None, threads: int | None = None,
                 cost: np.ndarray | None = None, gap: float = 0.0,
                 matrix: sp.csr_matrix | None = None, part_limit: float | None = None,
                 ) -> tuple[np.ndarray | None, BlocksReport]:
    """The optimum of ``lp`` (a HiGHS MILP) restricted by: column j fixed at ``fix[j]``, the
    rows ``drop_rows`` left out, and x_a = x_b for each (a, b) in ``ties`` — solved block by
    block, each to gap 0 (or within relative ``gap`` of each packed solve's optimum).
    Returns (column values, report); values None when the restricted model is infeasible, a
    block has more than ``MAX_BLOCK_COLS`` columns, or a packed solve did not finish within
    ``time_limit`` seconds.
    ``threads``: HiGHS's thread count (it must match the process's other HiGHS runs);
    ``cost``: objective coefficients instead of the LP's (the report's objective is always
    the LP's own, at the values found; its ``bound`` is under ``cost``); ``matrix``: the
    LP's constraint matrix as CSR, when the caller has it already; ``part_limit``: each
    packed solve stops after this many seconds and still adds its dual bound (for a bound
    only: the values are then None, the report's ``bound`` set)."""
    t0 = time.perf_counter()
    A, rl, ru, lo, up = _restriction(lp, fix, drop_rows, ties, matrix)
    fixed = lo == up
    x = np.where(fixed, lo, 0.0)
    shift = A @ x
    rl, ru = rl - shift, ru - shift
    free = np.flatnonzero(~fixed)
    Af = A[:, free].tocsr()
    used = np.diff(Af.indptr) > 0
    unmet = ~used & ((rl > FEAS_TOL * (1 + abs(rl))) | (ru < -FEAS_TOL * (1 + abs(ru))))
    own_cost = np.asarray(lp.col_cost_, float)
    cost = own_cost if cost is None else np.asarray(cost, float)

    def report(objective, blocks=0, solves=0):
        return BlocksReport(blocks, len(free), solves, time.perf_counter() - t0, objective)

    if unmet.any():  # a row of fixed columns only, violated: the restriction is infeasible
        return None, report(None)
    Af, rl, ru = Af[used], rl[used], ru[used]
    nblocks, batches = packed(Af)
    if batches is None:
        return None, report(None, nblocks)
    ints = integers(lp)
    Acsc = Af.tocsc()
    solves, partial = 0, False
    bound = float(cost @ x + lp.offset_)  # the fixed columns, then each solve's dual bound
    for cols, rows in batches:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            return None, report(None, nblocks, solves)
        limits = [t for t in (left, part_limit) if t is not None]
        h = _solve_part(Acsc[:, cols][rows], cost[free[cols]], lo[free[cols]],
                        up[free[cols]], rl[rows], ru[rows], ints[free[cols]],
                        min(limits, default=None), threads, gap)
        solves += 1
        status = h.getModelStatus()
        stopped = (part_limit is not None and status == highspy.HighsModelStatus.kTimeLimit
                   and ints[free[cols]].any())  # a MILP's dual bound holds at any time
        if status != highspy.HighsModelStatus.kOptimal and not stopped:
            return None, report(None, nblocks, solves)
        partial = partial or stopped
        if not stopped:
            x[free[cols]] = np.asarray(h.getSolution().col_value)
        info = h.getInfo()
        bound += info.mip_dual_bound if ints[free[cols]].any() \
            else info.objective_function_value
    done = report(None if partial else float(own_cost @ x + lp.offset_), nblocks, solves)
    done.bound = bound
    return (None if partial else x), done


def _restriction(lp: highspy.HighsLp, fix: dict[int, float], drop_rows, ties,
                 matrix: sp.csr_matrix | None = None) -> tuple:
    """The restriction of ``solve_blocks``: (A, row lower, row upper, column lower, column
    upper) with the rows ``drop_rows`` left out, one row x_a − x_b = 0 per tie added, and
    the columns of ``fix`` fixed."""
    A = constraint_matrix(lp) if matrix is None else matrix
    rl, ru = np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float)
    keep_rows = np.ones(lp.num_row_, bool)
    keep_rows[list(drop_rows)] = False
    A, rl, ru = A[keep_rows], rl[keep_rows], ru[keep_rows]
    if ties:
        a, b = np.asarray(ties, dtype=np.int64).T
        k = len(a)
        tie = sp.csr_matrix((np.tile([1.0, -1.0], k), np.c_[a, b].ravel(),
                             np.arange(0, 2 * k + 1, 2)), shape=(k, lp.num_col_))
        A = sp.vstack([A, tie]).tocsr()
        rl, ru = np.r_[rl, np.zeros(k)], np.r_[ru, np.zeros(k)]
    lo, up = np.array(lp.col_lower_, float), np.array(lp.col_upper_, float)
    for j, v in fix.items():
        lo[j] = up[j] = v
    return A, rl, ru, lo, up


def touched(lp: highspy.HighsLp, fix: dict[int, float], drop_rows, ties, columns,
            matrix: sp.csr_matrix | None = None) -> list[np.ndarray]:
    """For each of ``columns`` (fixed ones), the free columns of ``solve_blocks``'
    restriction in the blocks that share a row with it: all that a new value of that column
    can change; the other blocks' optima stay as they are. The blocks are found once."""
    A, _, _, lo, up = _restriction(lp, fix, drop_rows, ties, matrix)
    free = np.flatnonzero(lo != up)
    Af = A[:, free].tocsr()
    _, _, col_block = components(Af)
    Acsc = A.tocsc()
    out = []
    for j in columns:
        rows = Acsc.indices[Acsc.indptr[j]:Acsc.indptr[j + 1]]
        near = np.unique(Af[rows].indices)
        out.append(free[np.isin(col_block, col_block[near])])
    return out


def new_highs(threads: int | None = None, time_limit: float | None = None) -> highspy.Highs:
    """A quiet HiGHS with ``threads`` (it must match the process's other HiGHS runs) and a
    ``time_limit`` in s, where given."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads:
        h.setOptionValue("threads", int(threads))
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    return h


def relaxation(lp: highspy.HighsLp, threads: int | None = None,
               time_limit: float | None = None, lower: np.ndarray | None = None,
               upper: np.ndarray | None = None, interior: bool = False,
               h: highspy.Highs | None = None) -> highspy.Highs | None:
    """``lp`` with every integer relaxed (and column bounds ``lower``, ``upper`` where given),
    solved: its HiGHS at the optimum, or None when it reached none. ``interior``: by interior
    point without crossover (no basis; the duals of an interior optimum). ``h``: a HiGHS with
    the caller's own options (log, presolve, limit) instead of ``new_highs``."""
    h = new_highs(threads, time_limit) if h is None else h
    if interior:
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    h.passModel(lp)
    every = np.arange(lp.num_col_, dtype=np.int32)
    if lower is not None:
        h.changeColsBounds(len(every), every, lower, upper)
    h.changeColsIntegrality(len(every), every, np.zeros(len(every), dtype=np.uint8))
    h.run()
    return h if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else None


def components(A: sp.csr_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """The blocks of A: connected components of its columns and the rows they share, as
    (number of blocks, block of each row, block of each column)."""
    graph = sp.bmat([[None, A], [A.T, None]], format="csr")
    nblocks, label = connected_components(graph, directed=False)
    return nblocks, label[:A.shape[0]], label[A.shape[0]:]


def packed(A: sp.csr_matrix) -> tuple[int, list[tuple[np.ndarray, np.ndarray]] | None]:
    """The blocks of A (connected components of its columns and the rows they share) packed
    whole into solves of about ``BATCH_COLS`` columns: (number of blocks, [(columns, rows)]
    per solve); None instead of the list when a block has more than ``MAX_BLOCK_COLS``
    columns (no decomposition)."""
    nblocks, row_block, col_block = components(A)
    sizes = np.bincount(col_block, minlength=nblocks)
    if len(col_block) and sizes.max() > MAX_BLOCK_COLS:
        return nblocks, None
    batch_of = np.cumsum(sizes) // BATCH_COLS
    col_batch, row_batch = batch_of[col_block], batch_of[row_block]
    col_order, row_order = np.argsort(col_batch, kind="stable"), np.argsort(row_batch,
                                                                           kind="stable")
    batches = np.unique(col_batch)
    if not len(batches):
        return nblocks, []
    col_cut = np.searchsorted(col_batch[col_order], batches, side="right")
    row_cut = np.searchsorted(row_batch[row_order], batches, side="right")
    return nblocks, list(zip(np.split(col_order, col_cut[:-1]),
                             np.split(row_order, row_cut[:-1]), strict=True))


def _solve_part(A: sp.csc_matrix, cost, lo, up, rl, ru, ints, time_limit, threads, gap=0.0
                ) -> highspy.Highs:
    """One packed solve (to relative ``gap``), run: its HiGHS (status, solution, and the
    dual bound in its info)."""
    part = highspy.HighsLp()
    part.num_col_, part.num_row_ = A.shape[1], A.shape[0]
    part.col_cost_, part.col_lower_, part.col_upper_ = cost, lo, up
    part.row_lower_, part.row_upper_ = rl, ru
    part.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    part.a_matrix_.start_ = A.indptr
    part.a_matrix_.index_ = A.indices
    part.a_matrix_.value_ = A.data
    if ints.any():
        kinds = [highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger]
        part.integrality_ = [kinds[int(i)] for i in ints]
    h = new_highs(threads, time_limit)
    h.setOptionValue("mip_rel_gap", float(gap))
    h.passModel(part)
    h.run()
    return h


def polish(lp: highspy.HighsLp, x: np.ndarray, time_limit: float | None = None,
           threads: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The best point of ``lp`` with every integer column kept at its value in ``x`` (a
    feasible point): an LP over the continuous columns — for the block start, the trips
    stay and the vehicle balance may replace market closure by empty legs and backhauls
    where that is cheaper. Its column values (never worse than ``x``) and row duals, or
    None."""
    ints = np.flatnonzero(integers(lp))
    if not len(ints):
        return None
    lo, up = np.array(lp.col_lower_, float), np.array(lp.col_upper_, float)
    lo[ints] = up[ints] = np.round(x[ints])
    h = relaxation(lp, threads, time_limit, lo, up)
    if h is None:
        return None
    sol = h.getSolution()
    y = np.asarray(sol.col_value)
    y[ints] = lo[ints]
    return y, np.asarray(sol.row_dual)


def priced_cost(lp: highspy.HighsLp, rows, duals: np.ndarray) -> np.ndarray:
    """c − A_Rᵀ π_R: the objective with the rows R priced at their duals π (the Lagrangian
    of rows R; for the balance rows, π is the value of a vehicle at a node)."""
    rows = np.asarray(list(rows), dtype=np.int64)
    A = constraint_matrix(lp)[rows]
    return np.asarray(lp.col_cost_, float) - A.T @ duals[rows]


"""Large placement MILPs: Lagrangian multipliers, an incumbent (a local search or a
restricted MIP), Lagrangian fixing of sites, then the exact MILP.

The strong facility-location link ``x ≤ u · y`` (one row per flow and site) makes the LP
relaxation of a large placement model slow: on OR-Library ``capa`` (100 sites × 1,000
customers) HiGHS spends 36 s in the root LP alone, its heuristics then hold a poor incumbent,
and the tree branches over 100 sites. The method works on any minimising MILP (a
``highspy.HighsLp``) and is exact:

1. **Multipliers.** Where the model is facility location in blocks (each site's flows with
   their links and capacity row, ``subgradient.knapsack_blocks``): subgradient steps on the
   block Lagrangian (``clusteropt.subgradient``; on ``capa`` 10 s instead of the LP's 30 s).
   Otherwise the LP relaxation by interior point without crossover or presolve: its row
   duals π and the support of its integer columns.
2. **Incumbent**, with at most half of the time left (``INCUMBENT_SHARE``): a value z_UB.
   Where the model has site blocks, a local search over the open sites (``clusteropt.swap``:
   one LP per set of open sites), from the site problem's choice at the multipliers and
   within their support. Otherwise the MIP restricted to the sites in the LP's support (the
   others closed), solved by HiGHS.
3. **Lagrangian fixing** (:func:`block_penalties`, ``subgradient.site_penalties``).
   Relaxing every row outside the sites' own blocks with π gives a bound L(π), valid for
   any π with the right signs, and for each binary site the bound with it forced open or
   closed. A site whose forced bound exceeds z_UB is fixed the other way. The incumbent is
   never cut off (it has value z_UB).
4. **Exact MILP.** The full model with those bounds, warm-started from the incumbent (and,
   when z_UB is within ``PROOF_GAP`` of L(π), without the sub-MIP heuristics that search for
   a better one). Its dual bound is a bound for the original problem (the fixings remove only
   solutions worse than z_UB); so is L(π), which the solve report uses when it is higher.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse

from clusteropt import blocks, interrupt, subgradient, swap
from clusteropt.bound import priced

FIX_TOL = 1e-9  # relative: a forced bound must exceed the incumbent by this to fix
DUAL_SHARE = 0.25  # of the time left, at most, for each round of subgradient steps
FIRST_STEPS = 600  # subgradient steps before the incumbent (step 2)
RESTRICTED_GAP = 1e-3  # the restricted MIP's gap at least: it is for an incumbent, not a
# proof (on capa 8,000 it had the optimum after 8 s and spent 7 s more proving it within
# 1e-4, 21 s more at gap 0)
MORE_STEPS = 2000  # and after it, towards the incumbent's objective
INCUMBENT_SHARE = 0.5  # of the time left, at most, for the incumbent (step 2): without a
# good incumbent nothing is fixed and the final MILP cannot finish either. capa's costs, runs
# limited to 60 s: at capacity 5,750 the gap was 26.2 % with a quarter (the restricted MIP
# stopped at 13 s with 28.6 M; its sub-MIPs find 21.25 M at 18 s), 0.52 % with half; 6,500:
# 18.6 % -> 0.047 %; 6,000 proven either way
PROOF_GAP = 5e-3  # relative: an incumbent this close to L(π) leaves the final MILP a proof,
# so it runs without HiGHS's RINS and RENS sub-MIPs, which search for better incumbents (on
# capa at capacity 6,000, 0.08 % from L(π), they took 19 of the final MILP's 40 s; 8,000:
# 5 of 13 s; the other capacities within 1.4 s either way)


@dataclass
class FixingReport:
    """What each step did: LP rounds and rows added, bounds and times (s)."""

    lp_bound: float | None = None  # the Lagrangian bound L(π) at the LP duals or the best
    # subgradient multipliers (valid for any π)
    links: int = 0
    method: str = "lp"  # where π came from: "lp" (the LP relaxation) or "subgradient"
    lp_s: float = 0.0  # seconds for π (the LP or the subgradient steps)
    dual_steps: int = 0  # subgradient steps
    incumbent: float | None = None
    incumbent_s: float = 0.0
    swap_lps: int = 0  # LPs the local search over the open sites solved (``swap``)
    fixed: int = 0
    lagrangian_s: float = 0.0
    free_integers: int = 0
    proof_only: bool = False  # the final MILP ran without RINS and RENS (PROOF_GAP)
    notes: list[str] = field(default_factory=list)


def link_rows(lp: highspy.HighsLp, A: sparse.csr_matrix | None = None) -> np.ndarray:
    """Indices of the rows ``a·x − b·y ≤ 0`` with x continuous, y integer, a, b > 0."""
    A = blocks.constraint_matrix(lp) if A is None else A
    integer = blocks.integers(lp)
    two = np.flatnonzero((np.diff(A.indptr) == 2) & (np.asarray(lp.row_upper_) == 0)
                         & ~np.isfinite(np.asarray(lp.row_lower_)))
    if not len(two):
        return two
    first = A.indptr[two]
    cols = A.indices[np.stack([first, first + 1])]
    vals = A.data[np.stack([first, first + 1])]
    ok = np.zeros(len(two), bool)
    for a, b in ((0, 1), (1, 0)):  # continuous in position a, integer in position b
        ok |= (~integer[cols[a]] & integer[cols[b]] & (vals[a] > 0) & (vals[b] < 0))
    return two[ok]


def _new_highs(threads: int | None, log_file: str | None) -> highspy.Highs:
    h = highspy.Highs()
    interrupt.watch(h)
    h.setOptionValue("output_flag", log_file is not None)
    h.setOptionValue("log_to_console", False)
    if log_file:
        h.setOptionValue("log_file", log_file)
    if threads is not None:
        h.setOptionValue("threads", threads)
    return h


def _lp_relaxation(lp: highspy.HighsLp, threads, log_file, deadline):
    """The LP relaxation by interior point without crossover (on capa about twice as fast as
    the simplex method; only its duals and the support of its integer columns are used, so an
    interior solution will do). Returns (column values, row duals) or None."""
    h = _new_highs(threads, log_file)
    # without presolve: on capa, presolve's one-row reduction leaves IPX a near-singular
    # basis and 4 times the time (85 s against 23 s)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.1))
    if blocks.relaxation(lp, interior=True, h=h) is None:
        return None
    sol = h.getSolution()
    return np.asarray(sol.col_value), np.asarray(sol.row_dual)


def _solve_mip(lp, lower, upper, start, threads, log_file, time_limit, gap_rel,
               h: highspy.Highs | None = None, search: bool = True) -> highspy.Highs:
    """The MILP ``lp`` with column bounds (lower, upper), from ``start`` when given;
    ``search`` False: without the RINS and RENS sub-MIPs (a proof of ``start``)."""
    if h is None:
        h = _new_highs(threads, log_file)
        h.passModel(lp)
    h.setOptionValue("mip_heuristic_run_rins", search)
    h.setOptionValue("mip_heuristic_run_rens", search)
    h.changeColsBounds(lp.num_col_, np.arange(lp.num_col_, dtype=np.int32), lower, upper)
    h.setOptionValue("mip_rel_gap", gap_rel)
    h.setOptionValue("time_limit", max(time_limit, 0.1))
    if start is None:
        h.run()
    else:
        h.setSolution(_solution(start))
        run_trusted(h, np.asarray(lp.col_cost_, float), lp.offset_, time_limit)
    return h


def run_trusted(h: highspy.Highs, cost: np.ndarray, offset: float,
                time_limit: float | None = None) -> bool:
    """``h.run()`` for a MILP handed a start; when HiGHS's objective is not its own
    solution's c·x + offset, clear the start and run again (within what is left of
    ``time_limit`` s). HiGHS 1.16 with a user start on OR-Library cap71 reported "optimal"
    at 631,874 and returned the start itself (1,248,143; the optimum is 932,616); without
    the start, or without presolve, it finds the optimum. Returns True when it ran again."""
    t0 = time.perf_counter()
    h.run()
    if not _has_solution(h):
        return False
    reported = h.getInfo().objective_function_value
    own = float(cost @ np.asarray(h.getSolution().col_value) + offset)
    if abs(reported - own) <= 1e-7 * max(1.0, abs(own)):
        return False
    h.clearSolver()
    if time_limit is not None:
        h.setOptionValue("time_limit", max(time_limit - (time.perf_counter() - t0), 0.1))
    h.run()
    return True


def _solution(values: np.ndarray) -> highspy.HighsSolution:
    s = highspy.HighsSolution()
    s.col_value = list(map(float, values))
    s.value_valid = True
    return s


def solve(h: highspy.Highs, time_limit: float | None, gap_rel: float, threads: int | None,
          log_file: str | None = None, incumbent_share: float = INCUMBENT_SHARE,
          lp: highspy.HighsLp | None = None, start: np.ndarray | None = None,
          dual: str = "auto") -> FixingReport:
    """Solve the MILP held by ``h`` (minimising) by the steps above; ``h`` ends holding the
    final MILP's solution, status and bound (as after ``h.run()``). ``lp``: ``h.getLp()`` when
    the caller already holds it; ``start``: a feasible solution (column values) known
    beforehand, kept as the incumbent (and the fixing's upper bound) where the restricted
    MIP finds none better.

    ``dual``: "auto" takes the Lagrangian bound and its multipliers from subgradient steps
    where the model is facility location in blocks (``subgradient.knapsack_blocks``; on
    ``capa`` seconds instead of the LP's half minute), else from the LP relaxation; "lp"
    always from the LP."""
    t0 = time.perf_counter()
    deadline = t0 + (1e9 if time_limit is None else float(time_limit))
    lp = h.getLp() if lp is None else lp
    A = blocks.constraint_matrix(lp)
    report = FixingReport()
    integer = blocks.integers(lp)
    links = link_rows(lp, A)
    report.links = len(links)
    lower, upper = np.array(lp.col_lower_, float), np.array(lp.col_upper_, float)
    z_ub = None if start is None else float(np.dot(lp.col_cost_, start) + lp.offset_)
    sites = subgradient.knapsack_blocks(lp, A, integer, links) if dual == "auto" else None
    if sites is not None:
        found = _by_subgradient(lp, A, sites, links, z_ub, start, threads, log_file,
                                deadline, incumbent_share, gap_rel, report)
    else:
        found = _by_lp(lp, A, integer, z_ub, start, threads, log_file, deadline,
                       incumbent_share, gap_rel, report)
    if found is not None:
        z_ub, start, forced = found
        report.incumbent = z_ub
        if forced is not None:
            closed, opened, cols = forced
            tol = FIX_TOL * max(1.0, abs(z_ub))
            close = opened > z_ub + tol
            keep = ~close & (closed > z_ub + tol)
            upper[cols[close]] = 0.0
            lower[cols[keep]] = 1.0
            report.fixed = int(close.sum() + keep.sum())
    report.free_integers = int((integer & (lower < upper)).sum())
    report.proof_only = (found is not None and report.lp_bound is not None
                         and z_ub - report.lp_bound <= PROOF_GAP * max(1.0, abs(z_ub)))
    _solve_mip(lp, lower, upper, start, threads, log_file, deadline - time.perf_counter(),
               gap_rel, h=h, search=not report.proof_only)
    return report


def _restricted(lp, shut: np.ndarray, z_ub: float | None, start: np.ndarray | None,
                threads, log_file, time_limit: float, gap_rel: float, report):
    """The MIP with the columns ``shut`` at their lower bounds (step 2): (objective, values)
    of its solution when better than ``z_ub``, else (``z_ub``, ``start``)."""
    t0 = time.perf_counter()
    upper = np.array(lp.col_upper_, float)
    lower = np.asarray(lp.col_lower_, float)
    upper[shut] = lower[shut]
    sub = _solve_mip(lp, lower, upper, None, threads, log_file, time_limit, gap_rel)
    report.incumbent_s += time.perf_counter() - t0
    if _has_solution(sub) and (z_ub is None
                               or sub.getInfo().objective_function_value < z_ub):
        return sub.getInfo().objective_function_value, np.asarray(sub.getSolution().col_value)
    return z_ub, start


def _by_lp(lp, A, integer, z_ub, start, threads, log_file, deadline, incumbent_share,
           gap_rel, report):
    """Steps 1-3 by the LP relaxation: (incumbent objective, its values, (bound with each
    binary closed, opened, the binaries) or None), or None without an incumbent."""
    t0 = time.perf_counter()
    lower0, upper0 = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    relaxed = _lp_relaxation(lp, threads, log_file, deadline)
    report.lp_s = time.perf_counter() - t0
    if relaxed is None:
        report.notes.append("the LP relaxation did not finish: the MILP is solved as it is")
        return None
    x_lp, row_dual = relaxed
    # a restricted MIP for an incumbent: integers (near) 0 in the LP stay at 0
    zero = integer & (x_lp <= lower0 + 1e-4 * np.maximum(1.0, upper0 - lower0))
    z_ub, start = _restricted(lp, np.flatnonzero(zero), z_ub, start, threads, log_file,
                              incumbent_share * max(deadline - time.perf_counter(), 0.0),
                              gap_rel, report)
    t2 = time.perf_counter()
    lagr = block_penalties(lp, row_dual, integer, A)
    report.lagrangian_s = time.perf_counter() - t2
    if lagr is not None:
        report.lp_bound = lagr[0]
    if z_ub is None:
        return None
    if lagr is None:
        return z_ub, start, None
    bound, w0, w1, cols = lagr
    base = bound - np.minimum(w0, w1)
    return z_ub, start, (base + w0, base + w1, cols)


def _by_subgradient(lp, A, sites, links, z_ub, start, threads, log_file, deadline,
                    incumbent_share, gap_rel, report):
    """Steps 1-3 by subgradient steps on the site blocks (``subgradient``): the same
    result as ``_by_lp``. A first round of steps gives multipliers; a local search over the
    open sites (``swap``), from the site problem's choice there and within their support
    (``subgradient.support``), an incumbent (the restricted MIP over that support when the
    choice is infeasible); a second round towards its objective the bound and each site's
    forced bounds."""
    lag = subgradient.Lagrangian(lp, A, sites, threads)
    report.method = "subgradient"
    t1 = time.perf_counter()
    first = subgradient.dual_ascent(lag, z_ub, min(deadline, t1 + DUAL_SHARE
                                                   * max(deadline - t1, 0.0)),
                                    max_steps=FIRST_STEPS)
    report.dual_steps = first.steps
    report.lp_s = time.perf_counter() - t1
    pool = subgradient.support(lag, first)  # (it holds the site problem's choice)
    t2 = time.perf_counter()
    found = swap.search(swap.OpenSitesLP(lp, A, sites, links, pool, threads),
                        np.flatnonzero(first.sites > 0.5), pool,
                        t2 + incumbent_share * max(deadline - t2, 0.0))
    report.incumbent_s += time.perf_counter() - t2
    if found is not None:
        report.swap_lps = found.evaluations
        if z_ub is None or found.objective < z_ub:
            z_ub, start = found.objective, found.values
    else:
        report.notes.append("the site problem's choice is infeasible: the incumbent is "
                            "the restricted MIP's")
        shut = np.setdiff1d(np.arange(len(sites.ys)), pool)
        z_ub, start = _restricted(lp, sites.ys[shut], z_ub, start, threads, log_file,
                                  incumbent_share * max(deadline - time.perf_counter(), 0.0),
                                  max(gap_rel, RESTRICTED_GAP), report)
    best = first
    if z_ub is not None:
        t3 = time.perf_counter()
        more = subgradient.dual_ascent(
            lag, z_ub, min(deadline, t3 + DUAL_SHARE * max(deadline - t3, 0.0)),
            pi=first.pi, max_steps=MORE_STEPS,
            proven=z_ub - gap_rel * max(1.0, abs(z_ub)))
        report.dual_steps += more.steps
        report.lp_s += time.perf_counter() - t3
        if more.bound > best.bound:
            best = more
    report.lp_bound = best.bound if np.isfinite(best.bound) else None
    if z_ub is None:
        return None
    if not np.isfinite(best.bound):
        return z_ub, start, None
    t4 = time.perf_counter()
    _, closed, opened = subgradient.site_penalties(lag, best.pi)
    report.lagrangian_s = time.perf_counter() - t4
    return z_ub, start, (closed, opened, sites.ys)


def _has_solution(h: highspy.Highs) -> bool:
    status = h.getModelStatus()
    return status == highspy.HighsModelStatus.kOptimal or (
        np.isfinite(h.getInfo().objective_function_value)
        and h.getInfo().primal_solution_status == 2)


def block_penalties(lp: highspy.HighsLp, row_dual: np.ndarray, integer: np.ndarray,
                    A: sparse.csr_matrix | None = None):
    """Lagrangian penalties for opening or closing each binary with a block of its own.

    A *block* of binary y: the rows whose only integer column is y, with right-hand side 0
    (``a·x − b·y ≤ 0`` links, ``Σ d·x − s·y ≤ 0`` capacities), and the continuous columns in
    them, which belong to no other block. Every other row is relaxed with the LP duals π
    (valid signs: ≤ 0 on ≤ rows, ≥ 0 on ≥ rows), giving costs c̃ = c − Aᵀπ. Then

        L(π) = π·b + Σ_blocks min(w0, w1) + Σ_other columns min over bounds of c̃ · value

    is a lower bound on every solution, where w_v is the block's LP value with y = v. Forcing
    y = 1 gives L − min(w0, w1) + w1 (and y = 0 likewise), so y is fixed at 0 when that
    exceeds the incumbent. With rows homogeneous in the block, w is linear in y on [0, 1], so
    L(π) equals the LP bound at the LP duals, and the penalties are at least the LP reduced
    costs (each block gets its own best link and capacity duals).

    Returns (L, w0, w1, binary columns) or None when the structure has no blocks or L is not
    finite."""
    A = blocks.constraint_matrix(lp) if A is None else A
    n = lp.num_col_
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    row_lower, row_upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    binary = integer & (lower == 0) & (upper == 1)
    nint = np.add.reduceat(integer[A.indices].astype(int), A.indptr[:-1]) \
        if A.nnz else np.zeros(lp.num_row_, int)
    nint[np.diff(A.indptr) == 0] = 0
    row_of = np.repeat(np.arange(lp.num_row_), np.diff(A.indptr))
    # the integer column of each one-integer row
    int_entry = integer[A.indices]
    owner_row = np.full(lp.num_row_, -1)
    owner_row[row_of[int_entry]] = A.indices[int_entry]
    homogeneous = ((row_upper == 0) | ~np.isfinite(row_upper)) & \
                  ((row_lower == 0) | ~np.isfinite(row_lower))
    block = (nint == 1) & homogeneous & (owner_row >= 0)
    block &= binary[np.maximum(owner_row, 0)]
    # a continuous column may belong to one block only
    entry_block = block[row_of] & ~int_entry
    col_owner = np.full(n, -1)
    clash = np.zeros(n, bool)
    owners = owner_row[row_of[entry_block]]
    cols = A.indices[entry_block]
    col_owner[cols] = owners
    clash[cols[col_owner[cols] != owners]] = True
    if clash.any():
        bad_rows = np.unique(row_of[entry_block & clash[A.indices]])
        block[bad_rows] = False
        entry_block = block[row_of] & ~int_entry
        col_owner[:] = -1
        col_owner[A.indices[entry_block]] = owner_row[row_of[entry_block]]
    ys = np.unique(owner_row[block])
    if not len(ys):
        return None

    constant, cost = priced(lp, A, ~block, row_dual)
    bound = constant + lp.offset_
    in_block = col_owner >= 0
    in_block[ys] = True
    free = ~in_block
    with np.errstate(invalid="ignore"):
        low_val = np.where(cost[free] >= 0, cost[free] * lower[free], cost[free] * upper[free])
    if not np.all(np.isfinite(low_val)):
        return None
    bound += float(low_val.sum())

    w0, w1 = np.zeros(len(ys)), np.zeros(len(ys))
    block_rows = np.flatnonzero(block)
    rows_by_y = {y: [] for y in ys}
    for r in block_rows:
        rows_by_y[owner_row[r]].append(r)
    cols_by_y = {y: [] for y in ys}
    for c in np.flatnonzero(col_owner >= 0):
        cols_by_y[col_owner[c]].append(c)
    for k, y in enumerate(ys):
        for v, w in ((0.0, w0), (1.0, w1)):
            w[k] = cost[y] * v + _block_value(A, rows_by_y[y], np.array(cols_by_y[y], int), y,
                                              v, cost, lower, upper, row_lower, row_upper)
    if not (np.all(np.isfinite(w0)) and np.all(np.isfinite(w1))):
        return None
    bound += float(np.minimum(w0, w1).sum())
    return bound, w0, w1, ys


def _block_value(A, rows, cols, y, v, cost, lower, upper, row_lower, row_upper) -> float:
    """min c̃·x over the block's continuous columns with the binary y = v (an LP; +inf if
    infeasible)."""
    if not len(cols):
        return 0.0
    sub = A[rows]
    yv = sub[:, [y]].toarray().ravel() * v
    M = sub[:, cols].tocsr()
    lo, up = lower[cols].copy(), upper[cols].copy()
    # two-entry rows a·x + b·y ≤/≥ 0 are bounds on x once y is fixed
    single = np.diff(M.indptr) == 1
    keep = ~single
    if single.any():
        r = np.flatnonzero(single)
        j = M.indices[M.indptr[r]]
        a = M.data[M.indptr[r]]
        hi_r = np.asarray(row_upper)[np.asarray(rows)[r]] - yv[r]
        lo_r = np.asarray(row_lower)[np.asarray(rows)[r]] - yv[r]
        with np.errstate(invalid="ignore", divide="ignore"):
            ub = np.where(a > 0, hi_r / a, lo_r / a)
            lb = np.where(a > 0, lo_r / a, hi_r / a)
        np.minimum.at(up, j, np.where(np.isnan(ub), np.inf, ub))
        np.maximum.at(lo, j, np.where(np.isnan(lb), -np.inf, lb))
    if np.any(lo > up + 1e-9):
        return np.inf
    c = cost[cols]
    if not keep.any():
        with np.errstate(invalid="ignore"):
            val = np.where(c >= 0, c * lo, c * up)
        return float(val.sum()) if np.all(np.isfinite(val)) else -np.inf
    K = M[np.flatnonzero(keep)]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    h.addCols(len(cols), c, np.where(np.isfinite(lo), lo, -inf), np.where(np.isfinite(up), up, inf),
              0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    rl = np.asarray(row_lower)[np.asarray(rows)[keep]] - yv[keep]
    ru = np.asarray(row_upper)[np.asarray(rows)[keep]] - yv[keep]
    h.addRows(K.shape[0], np.where(np.isfinite(rl), rl, -inf), np.where(np.isfinite(ru), ru, inf),
              K.nnz, K.indptr[:-1].astype(np.int32), K.indices.astype(np.int32),
              K.data.astype(np.float64))
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return np.inf
    if status != highspy.HighsModelStatus.kOptimal:
        return -np.inf
    return h.getInfo().objective_function_value

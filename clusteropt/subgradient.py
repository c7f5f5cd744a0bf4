"""The Lagrangian dual of a facility-location MILP by subgradient steps over its site blocks,
without its LP relaxation (exact: every bound it returns is a valid lower bound).

A *knapsack block* is one binary site column y with its flows x: the links ``a·x − b·y ≤ 0``
(x ≤ u·y, u = b/a) and at most one capacity row ``Σ w·x − s·y ≤ 0`` (w > 0), every x in one
block only, x ≥ 0. The rows on site columns alone (the capacity covers Σ s·y ≥ D and
Σ y ≥ k_min) are kept; every other row r (each customer's Σ_i x_ij = 1) is relaxed with a
multiplier π_r of the sign its sides allow (``bound.priced``). For any such π

    L(π) = Σ_r π_r · side_r + min { Σ_b v_b(π) · y_b : the site rows, y binary }
           + Σ_free min over bounds of c̃_j x_j,

    v_b(π) = c̃_y + min { c̃·x : 0 ≤ x ≤ u, Σ w·x ≤ s }     (c̃ = c − A_Rᵀ π),

is a lower bound of the MILP; the inner minimum is a continuous knapsack (cheapest c̃/w
first), the site problem a small MILP whose dual bound is used. Forcing y_b open or closed
gives the bound of every solution with that choice, so a site can be fixed when its forced
bound exceeds an incumbent (``fixing``). Because the site rows are kept with y integer, the
maximum of L over π is at least the LP bound with the covers; the steps come close (on
OR-Library ``capa`` 8,000: 19,226,619 after 2,029 steps against the LP's 19,229,829 and an
optimum of 19,240,822), in seconds instead of the LP's 30 s.

Steps: π ← π + t·D·g with g the subgradient (each relaxed row's side minus its activity at
the minimiser), D = 1/‖A_r‖² (rows of very different scale would otherwise stall), and
Polyak's t = λ (target − L)/gᵀDg; λ halves after ``STALL`` steps without a better bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from clusteropt.bound import signed

STALL = 30  # steps without a better bound before the step factor λ halves
MIN_LAMBDA = 1e-4  # the steps end when λ falls below this
SUPPORT_WITHIN = 1e-3  # sites whose value with the site rows priced is below this share of
# |L| count as the support (the restricted MIP's sites; on capa 12,000: 13 sites, whose MIP
# holds the optimum; at 1e-4 7 sites, 2.3 % dearer)


@dataclass
class KnapsackBlocks:
    """The site blocks of a MILP (module docstring), padded to K columns per block."""

    ys: np.ndarray  # (B,) the binary site columns
    cols: np.ndarray  # (B, K) their flow columns (padding: column 0 with upper 0)
    upper: np.ndarray  # (B, K) u of x ≤ u·y (0 on padding)
    weight: np.ndarray  # (B, K) w of the capacity row (1 where none or padding)
    capacity: np.ndarray  # (B,) s (inf: no capacity row)
    relaxed: np.ndarray  # mask of the rows relaxed
    site_rows: np.ndarray  # indices of the rows on site columns alone (kept)
    free: np.ndarray  # indices of the columns in no block (minimised over their bounds)


@dataclass
class DualReport:
    """What ``dual_ascent`` did: the best bound, its multipliers, the site problem's
    solution there, steps and seconds."""

    bound: float
    pi: np.ndarray
    sites: np.ndarray  # the site problem's solution at the best bound (0/1 per site)
    steps: int
    seconds: float


def knapsack_blocks(lp: highspy.HighsLp, A: sparse.csr_matrix, integer: np.ndarray,
                    link_rows: np.ndarray) -> KnapsackBlocks | None:
    """The site blocks of ``lp`` (minimising), or None when its structure is not that of
    facility location (an integer column outside the sites, a flow in two blocks or with a
    nonzero lower bound, a capacity row missing some of its block's flows, a column in no
    block without finite bounds)."""
    m, n = A.shape
    lower, upper = np.asarray(lp.col_lower_, float), np.asarray(lp.col_upper_, float)
    rl, ru = np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float)
    if not len(link_rows):
        return None
    first = A.indptr[link_rows]
    cols = A.indices[np.stack([first, first + 1])]
    vals = A.data[np.stack([first, first + 1])]
    x_first = ~integer[cols[0]]
    x = np.where(x_first, cols[0], cols[1])
    y = np.where(x_first, cols[1], cols[0])
    u = -np.where(x_first, vals[1], vals[0]) / np.where(x_first, vals[0], vals[1])
    ys = np.unique(y)
    if np.any(integer & ~np.isin(np.arange(n), ys)):
        return None
    if np.any((lower[ys] != 0) | (upper[ys] != 1)):
        return None
    if len(np.unique(x)) != len(x) or np.any(lower[x] != 0):
        return None
    u = np.minimum(u, upper[x])
    site_of = np.full(n, -1)
    site_of[ys] = np.arange(len(ys))
    block_of = np.full(n, -1)
    block_of[x] = site_of[y]
    block_of[ys] = site_of[ys]
    # the capacity rows: one site column, coefficient < 0, rhs 0, every other entry > 0 on
    # that site's flows
    is_link = np.zeros(m, bool)
    is_link[link_rows] = True
    row_of = np.repeat(np.arange(m), np.diff(A.indptr))
    nsite = np.bincount(row_of[site_of[A.indices] >= 0], minlength=m)
    candidates = np.flatnonzero(~is_link & (nsite == 1) & (ru == 0) & ~np.isfinite(rl))
    capacity = np.full(len(ys), np.inf)
    weight_of = np.ones(n)
    capacity_rows = []
    for r in candidates:
        idx = A.indices[A.indptr[r]:A.indptr[r + 1]]
        val = A.data[A.indptr[r]:A.indptr[r + 1]]
        at_site = site_of[idx] >= 0
        b = site_of[idx[at_site]][0]
        flows = idx[~at_site]
        if val[at_site][0] >= 0 or np.any(val[~at_site] <= 0) \
                or np.any(block_of[flows] != b) or np.isfinite(capacity[b]):
            continue
        capacity[b] = -val[at_site][0]
        weight_of[flows] = val[~at_site]
        capacity_rows.append(r)
    # rows on sites alone are kept; every other row except links and capacities is relaxed
    nnz = np.diff(A.indptr)
    site_rows = np.flatnonzero(~is_link & (nsite == nnz) & (nnz > 0))
    relaxed = ~is_link
    relaxed[capacity_rows] = False
    relaxed[site_rows] = False
    relaxed[nnz == 0] = False
    order = np.lexsort((x, block_of[x]))
    x, u = x[order], u[order]
    blk = block_of[x]
    counts = np.bincount(blk, minlength=len(ys))
    K = int(counts.max())
    slot = np.arange(len(x)) - np.repeat(np.cumsum(counts) - counts, counts)
    C = np.zeros((len(ys), K), dtype=np.int64)
    U = np.zeros((len(ys), K))
    W = np.ones((len(ys), K))
    C[blk, slot] = x
    U[blk, slot] = u
    W[blk, slot] = weight_of[x]
    # a capacity row that misses some of its block's flows: those flows are not limited by
    # it, which the knapsack would assume; give up rather than guess
    in_cap = np.zeros(n, bool)
    for r in capacity_rows:
        in_cap[A.indices[A.indptr[r]:A.indptr[r + 1]]] = True
    if np.any(np.isfinite(capacity[blk]) & ~in_cap[x]):
        return None
    free = np.flatnonzero(block_of < 0)
    if np.any(~np.isfinite(lower[free]) | ~np.isfinite(upper[free])):
        return None  # a free column unbounded on a side makes L(π) −∞ for most π: use the LP
    return KnapsackBlocks(ys, C, U, W, capacity, relaxed, site_rows, free)


class SiteProblem:
    """min Σ v·y over the kept site rows, y binary (a HiGHS MILP reused across steps); with
    no site rows, y = [v < 0] directly."""

    def __init__(self, lp: highspy.HighsLp, A: sparse.csr_matrix, kb: KnapsackBlocks,
                 threads: int | None = None):
        self.n = len(kb.ys)
        self.h = None
        if not len(kb.site_rows):
            return
        inf = highspy.kHighsInf
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        if threads is not None:  # HiGHS's scheduler is set once per process: the caller's
            h.setOptionValue("threads", threads)
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.addVars(self.n, np.zeros(self.n), np.ones(self.n))
        every = np.arange(self.n, dtype=np.int32)
        h.changeColsIntegrality(self.n, every, np.full(self.n, highspy.HighsVarType.kInteger))
        S = A[kb.site_rows][:, kb.ys].tocsr()
        rl = np.asarray(lp.row_lower_, float)[kb.site_rows]
        ru = np.asarray(lp.row_upper_, float)[kb.site_rows]
        h.addRows(len(rl), np.where(np.isfinite(rl), rl, -inf), np.where(np.isfinite(ru), ru, inf),
                  S.nnz, S.indptr[:-1].astype(np.int32), S.indices.astype(np.int32),
                  S.data.astype(np.float64))
        self.h, self.S, self.rl, self.ru = h, S, rl, ru
        self.every = every

    def relaxed(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        """The site rows priced by their duals μ in the LP relaxation of the site problem
        (signs as ``bound.priced``): (v − Sᵀμ, Σ μ·side)."""
        h = self.h
        h.changeColsCost(self.n, self.every, v)
        h.changeColsIntegrality(self.n, self.every,
                                np.full(self.n, highspy.HighsVarType.kContinuous))
        h.run()
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        mu = np.asarray(h.getSolution().row_dual) if ok else np.zeros(h.getNumRow())
        h.changeColsIntegrality(self.n, self.every,
                                np.full(self.n, highspy.HighsVarType.kInteger))
        mu, side = signed(mu, self.rl, self.ru)
        return v - self.S.T @ mu, float(mu @ side)

    def solve(self, v: np.ndarray, fix: tuple[int, float] | None = None
              ) -> tuple[float, np.ndarray]:
        """(a lower bound of the minimum, a minimiser y) for costs v; ``fix`` = (site, 0/1)
        forces one site. The bound is +inf when the forced problem is infeasible."""
        if self.h is None:
            y = (v < 0).astype(float)
            if fix is not None:
                y[fix[0]] = fix[1]
            return float(v @ y), y
        h = self.h
        h.changeColsCost(self.n, self.every, v)
        if fix is not None:
            h.changeColBounds(fix[0], fix[1], fix[1])
        h.run()
        # read before the bound is restored (a change of the model clears them)
        status = h.getModelStatus()
        y = np.array(h.getSolution().col_value)
        bound = h.getInfo().mip_dual_bound
        if fix is not None:
            h.changeColBounds(fix[0], 0.0, 1.0)
        if status == highspy.HighsModelStatus.kInfeasible:
            return np.inf, np.zeros(self.n)
        if status != highspy.HighsModelStatus.kOptimal or not np.isfinite(bound):
            return -np.inf, y
        return float(bound), np.round(y)


class Lagrangian:
    """L(π) of the module docstring, its minimiser and the site values v_b(π)."""

    def __init__(self, lp: highspy.HighsLp, A: sparse.csr_matrix, kb: KnapsackBlocks,
                 threads: int | None = None):
        self.lp, self.A, self.kb = lp, A, kb
        self.R = np.flatnonzero(kb.relaxed)
        self.AR = A[self.R].tocsr()
        self.ART = self.AR.T.tocsr()
        self.cost = np.asarray(lp.col_cost_, float)
        self.rl = np.asarray(lp.row_lower_, float)[self.R]
        self.ru = np.asarray(lp.row_upper_, float)[self.R]
        self.sites = SiteProblem(lp, A, kb, threads)
        self.lower = np.asarray(lp.col_lower_, float)
        self.upper = np.asarray(lp.col_upper_, float)

    def evaluate(self, pi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
        """(L(π), the minimiser x, the site values v, the constant part of L) for multipliers
        ``pi`` on the relaxed rows (signs not allowed by a row's sides count as 0)."""
        kb, n = self.kb, self.A.shape[1]
        constant, cost = self.priced(pi)
        constant += self.lp.offset_
        x = np.zeros(n)
        # free columns at their cheaper bound
        f = kb.free
        if len(f):
            with np.errstate(invalid="ignore"):
                at = np.where(cost[f] >= 0, self.lower[f], self.upper[f])
                part = cost[f] * at
            part[cost[f] == 0] = 0.0
            if not np.all(np.isfinite(part)):
                return -np.inf, x, np.zeros(len(kb.ys)), constant
            x[f] = np.where(cost[f] == 0, np.clip(0.0, self.lower[f], self.upper[f]), at)
            constant += float(part.sum())
        # continuous knapsacks: cheapest c̃/w first while capacity lasts; only the items
        # with c̃ < 0 (a few per cent) are sorted, by block and then by c̃/w
        B, K = kb.cols.shape
        cx = cost[kb.cols]
        item = np.flatnonzero(((cx < 0) & (kb.upper > 0)).ravel())
        blk = item // K
        c_i = cx.ravel()[item]
        w_i, u_i = kb.weight.ravel()[item], kb.upper.ravel()[item]
        order = np.lexsort((c_i / w_i, blk))
        item, blk, c_i, w_i, u_i = item[order], blk[order], c_i[order], w_i[order], u_i[order]
        load = w_i * u_i
        total = np.cumsum(load)
        first = np.searchsorted(blk, blk)  # each item's block's first item
        before = total - load - (total[first] - load[first])
        room = kb.capacity[blk] - before
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(np.isinf(room), 1.0, np.clip(room / load, 0.0, 1.0))
        value = np.bincount(blk, weights=c_i * u_i * share, minlength=B)
        v = cost[kb.ys] + value
        bound, y = self.sites.solve(v)
        x[kb.cols.ravel()[item]] = u_i * share * y[blk]
        x[kb.ys] = y
        return constant + bound, x, v, constant

    def first_multipliers(self) -> np.ndarray:
        """A start for π: on a relaxed row with a lower side and positive coefficients only
        (each customer's Σ_i x_ij = 1), the cheapest cost per unit of the row among its
        columns; 0 elsewhere. From π = 0 a model whose fixed costs are small starts at a
        bound near 0, and the steps towards 1 % above it crawl (OR-Library cap71: 20 after
        400 steps, against an optimum of 932,616)."""
        A = self.AR
        row = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        positive = np.ones(A.shape[0], bool)
        np.logical_and.at(positive, row, A.data > 0)
        ratio = np.where(A.data > 0, self.cost[A.indices] / np.where(A.data > 0, A.data, 1.0),
                         np.inf)
        cheapest = np.full(A.shape[0], np.inf)
        np.minimum.at(cheapest, row, ratio)
        use = positive & np.isfinite(self.rl) & np.isfinite(cheapest) & (np.diff(A.indptr) > 0)
        return self.project(np.where(use, cheapest, 0.0))

    def priced(self, pi: np.ndarray) -> tuple[float, np.ndarray]:
        """``bound.priced`` over the relaxed rows, from arrays kept across steps: the
        constant Σ π·side and the priced costs c − A_Rᵀ π."""
        p, side = signed(pi, self.rl, self.ru)
        return float(p @ side), self.cost - self.ART @ p

    def subgradient(self, x: np.ndarray, pi: np.ndarray) -> np.ndarray:
        """Each relaxed row's side minus its activity at x (the side π's sign selects)."""
        act = self.AR @ x
        side = np.where(act < self.rl, self.rl, np.where(act > self.ru, self.ru, act))
        side = np.where((pi > 0) & np.isfinite(self.rl), self.rl, side)
        side = np.where((pi < 0) & np.isfinite(self.ru), self.ru, side)
        return side - act

    def project(self, pi: np.ndarray) -> np.ndarray:
        """π with the signs the relaxed rows' sides allow (``bound.signed``)."""
        return signed(pi, self.rl, self.ru)[0]


def dual_ascent(lag: Lagrangian, target: float | None, deadline: float,
                pi: np.ndarray | None = None, max_steps: int = 3000,
                proven: float | None = None) -> DualReport:
    """Subgradient steps from ``pi`` (0 when None) until λ < ``MIN_LAMBDA``, ``max_steps``,
    ``deadline`` (perf_counter s), or the bound reaches ``proven``. ``target``: the Polyak
    target (an incumbent's objective); None: 1 % above the best bound so far, halved on
    each stall. Returns the best bound and its multipliers."""
    t0 = time.perf_counter()
    pi = lag.first_multipliers() if pi is None else lag.project(pi.copy())
    norms = np.asarray(lag.AR.multiply(lag.AR).sum(axis=1)).ravel()
    D = 1.0 / np.maximum(norms, 1e-12)
    best, best_pi, lam, stall, steps = -np.inf, pi.copy(), 1.0, 0, 0
    best_y = np.zeros(len(lag.kb.ys))
    margin = 0.01
    while steps < max_steps and lam >= MIN_LAMBDA and time.perf_counter() < deadline:
        L, x, _, _ = lag.evaluate(pi)
        steps += 1
        if not np.isfinite(L):
            break
        if L > best:
            best, best_pi, best_y, stall = L, pi.copy(), x[lag.kb.ys].copy(), 0
        else:
            stall += 1
            if stall >= STALL:
                lam, stall, margin = lam / 2, 0, margin / 2
        if proven is not None and best >= proven:
            break
        goal = target if target is not None else best + margin * max(1.0, abs(best))
        g = lag.subgradient(x, pi)
        gDg = float(g @ (D * g))
        if gDg <= 0:
            break  # x satisfies every relaxed row: L(π) is the optimum of the MILP
        pi = lag.project(pi + lam * max(goal - L, 0.0) / gDg * D * g)
    return DualReport(best, best_pi, best_y, steps,
                      time.perf_counter() - t0)


def support(lag: Lagrangian, found: DualReport) -> np.ndarray:
    """The sites (block numbers) the incumbent may open (``swap``, or a restricted MIP):
    those open at the best bound and those whose value with the site rows priced by their
    LP duals is below ``SUPPORT_WITHIN`` · |L| (what the LP relaxation's support is at its
    duals)."""
    _, _, v, _ = lag.evaluate(found.pi)
    value = v if lag.sites.h is None else lag.sites.relaxed(v)[0]
    return np.flatnonzero((value <= SUPPORT_WITHIN * max(1.0, abs(found.bound)))
                          | (found.sites > 0.5))


def site_penalties(lag: Lagrangian, pi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(L(π), the bound with each site forced closed, forced open): each a valid lower bound
    of every solution with that choice, the better of two:

    * the site problem solved with the site forced (it may swap another site in or out);
    * the site rows relaxed too, with μ their duals in the site problem's LP relaxation:
      constant + μ·side + Σ_b min(0, v_b − μ·S_b) is a bound, and forcing site b changes
      only its own term (as the LP's reduced costs do; this is what fixes most sites)."""
    L, _, v, constant = lag.evaluate(pi)
    free_value = np.minimum(v, 0.0)
    if lag.sites.h is None:
        base = L - free_value
        return L, base, base + v
    shifted, side_value = lag.sites.relaxed(v)
    low = np.minimum(shifted, 0.0)
    base = constant + side_value + float(low.sum()) - low
    closed, opened = base.copy(), base + shifted
    for b in range(len(v)):
        closed[b] = max(closed[b], constant + lag.sites.solve(v, (b, 0.0))[0])
        opened[b] = max(opened[b], constant + lag.sites.solve(v, (b, 1.0))[0])
    return L, closed, opened

"""Hand a PuLP model to HiGHS as arrays, and its solution back in bulk.

PuLP's own HiGHS interface wraps every term of every row in a Python ``LpVariable`` before it
builds the column-index arrays; on the OR-Library ``capa`` model (100k columns, 400k non-zeros)
that takes about 1 s, five times what reading the rows straight from PuLP's Rust core takes.
This interface reads the Rust handles directly and hands HiGHS one ``addCols`` and one
``addRows`` call; values, reduced costs, duals and slacks go back through the core's bulk
setters. Everything else (options, status, best bound) is PuLP's.

This is the one module that reads PuLP's internals (``pulp._rustcore``, ``LpProblem._model``
and the core's bulk methods); ``check_pulp_internals`` says so loudly — naming what is missing
— on a PuLP release that does not have them (supported: ``SUPPORTED_PULP``)."""

from __future__ import annotations

import math
import threading
import time
from math import isfinite

import highspy
import numpy as np
import pulp
from pulp import _rustcore

from clusteropt import bound as lagrangian
from clusteropt import interrupt
from clusteropt import start as blockstart
from clusteropt.start import MarketClosure

_LE, _GE = _rustcore.Sense.LessEqual, _rustcore.Sense.GreaterEqual
SUPPORTED_PULP = ((4, 2), (5, 0))  # from 4.2 up to, not including, 5.0
CORE_METHODS = ("used_variable_ids", "list_variables_by_ids", "get_objective",
                "list_constraints", "set_variable_values", "set_variable_djs",
                "set_constraint_slacks", "set_constraint_pis")


class UnsupportedPulp(RuntimeError):
    """The installed PuLP lacks an internal the HiGHS hand-over reads."""


def check_pulp_internals(module=pulp) -> None:
    """Raise UnsupportedPulp unless ``module`` (PuLP) is a supported release whose core has
    every method this hand-over uses."""
    try:
        ver = tuple(int(x) for x in module.__version__.split(".")[:2])
    except (AttributeError, ValueError):
        ver = (0, 0)
    lo, hi = SUPPORTED_PULP
    missing = [m for m in CORE_METHODS
               if not hasattr(getattr(module.LpProblem("check"), "_model", None), m)]
    rust = getattr(module, "_rustcore", None)
    if rust is None or not hasattr(getattr(rust, "Sense", None), "LessEqual"):
        missing.append("_rustcore.Sense")
    if not (lo <= ver < hi) or missing:
        raise UnsupportedPulp(
            f"clusteropt's HiGHS hand-over (clusteropt/highs.py) supports PuLP "
            f"{lo[0]}.{lo[1]} up to {hi[0]}.{hi[1]} (not included); the installed PuLP "
            f"{getattr(module, '__version__', '?')} "
            + (f"lacks {', '.join(missing)}" if missing else "is outside that range")
            + "; install a supported PuLP (pip install 'pulp>=4.2,<5')")


check_pulp_internals()


AUTO_FIXING_LINKS = 20_000  # 'auto' solves by fixing from this many site-link rows on
# below this many columns the block start is also handed to HiGHS as its start: on small
# models its cutoff prunes the tree (the test suite's gap-0 solves ran 2x longer without);
# on large ones HiGHS then spends its root in heuristics and a restart (see _watch_gap)
HAND_OVER_COLS = 20_000  # and from this many on the start is made beside the full solve
START_SHARE = 0.4  # of the time limit, for completing a partial MIP start (_complete_start)
FULL_SHARE = 0.5  # of the time limit, at least, for the full solve after it
TAKE_EVERY_S = 0.2  # how often the full solve's callback collects the background start
SILENT_S = 1.0  # HiGHS silent this long (no MIP callback): _tick_while_root reports


class FastHiGHS(pulp.HiGHS):
    """``pulp.HiGHS`` with an array hand-over (same options and results).

    ``method``: 'direct' runs HiGHS on the model; 'fixing' runs :func:`clusteropt.fixing.solve`
    (exact; for placement models with many ``x ≤ u · open`` links); 'auto' picks 'fixing' from
    ``AUTO_FIXING_LINKS`` such rows on (``links``: their number, counted by family in the
    built model; else recognised in the matrix). After a solve, ``used`` names the method
    that ran and ``fixing_report`` holds what the fixing steps did."""

    def __init__(self, *args, method: str = "direct", links: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method
        self.links = links  # the model's x ≤ u · open rows (its families), when known
        self.used = "direct"
        self.fixing_report = None
        self.phase = None  # "start" while a partial MIP start is completed
        self.start_s = 0.0  # seconds the completion took (the full solve's clock starts after)
        # the market closure of the model (set by clusteropt.solve): ((mkt, trips) variable
        # pairs, empty-leg variables, balance row numbers); with it a partial start is
        # completed block by block (_complete_by_blocks)
        self.market_closure = None
        self.blocks_report = None  # what the block completion did (clusteropt.blocks)
        # (column values, objective) of the block start: the full solve runs without it and
        # is stopped as soon as its bound proves it within the gap (_watch_gap)
        self.incumbent = None
        self.proven = False  # the incumbent was proven within the gap by HiGHS's bound
        self._gap_target = None  # the objective _watch_gap stops a solve at, when proven
        self._background = None  # the block start beside the full solve (start.Background)
        self.background_error = None  # what went wrong there, if anything
        self._last_take = 0.0  # when _collect last took its points
        self._taking = threading.Lock()
        self._last_mip = -math.inf  # when HiGHS last called _watch_gap's callback
        self._last_bound = -math.inf  # and the bound it had then (or the Lagrangian's)
        # the Lagrangian bound (clusteropt.bound.BoundReport) the background start sent
        self.lagrangian = None

    def callSolver(self, lp):
        h = lp.solverModel
        interrupt.watch(h)  # Ctrl-C and SIGTERM stop the solver (clusteropt.interrupt)
        method, hl = self.method, None
        if method in ("auto", "fixing"):
            from clusteropt import fixing

            hl = h.getLp()
            if hl.sense_ == highspy.ObjSense.kMaximize or not self.mip:
                method = "direct"
            elif method == "auto":
                links = self.links if self.links is not None else len(fixing.link_rows(hl))
                method = "fixing" if links >= AUTO_FIXING_LINKS else "direct"
        self.used = method
        start = None
        if getattr(self, "_partial_start", None) is not None:
            start = self._complete_start(h)
        if method == "direct":
            ticker = self._tick_while_root() if self._background is not None else None
            try:
                if getattr(self, "_handed", False) and self.mip:
                    from clusteropt import fixing

                    hl = h.getLp() if hl is None else hl
                    fixing.run_trusted(h, np.asarray(hl.col_cost_, float), hl.offset_,
                                       _time_limit(h))
                else:
                    h.run()
            finally:
                if ticker is not None:
                    ticker()
                self._end_background(h)
            return
        self._gap_target = None  # fixing's own solves bound sub-models, not this model
        limit = None if self.timeLimit is None else max(self.timeLimit - self.start_s, 0.1)
        self.fixing_report = fixing.solve(h, limit, self.gapRel or 0.0, self.threads,
                                          log_file=self.optionsDict.get("logPath"), lp=hl,
                                          start=start)

    def _complete_start(self, h: highspy.Highs) -> np.ndarray | None:
        """Complete a partial MIP start (the values of some columns, e.g. every activity at
        its stay node) into a first incumbent of the full solve.

        With the model's market closure known, by the block start (``clusteropt.start``):
        every loaded trip closed by the market, the model falls apart into one block per leg,
        solved exactly in seconds, then re-priced by the vehicle balance. That start is kept
        outside HiGHS, and the full solve is stopped once its bound proves it (or a better
        solution of its own) within the gap (``_watch_gap``). On a model of
        ``HAND_OVER_COLS`` columns or more (under ``direct``) it is made in a process of its
        own while the full solve runs (``start.Background``), and returns None here.

        Without one (no closure, an infeasible restriction, out of time), the model is
        solved with the start's columns fixed (vehicle balance and all) within
        ``START_SHARE`` of the time limit, and its solution handed to the full solve as its
        start: HiGHS would complete a partial start itself, by a sub-MIP that its time limit
        does not cover (seen: a 250 s limit ran 385 s on the whole-Westland case).

        The full solve gets the rest of the limit, at least ``FULL_SHARE`` of it: HiGHS
        checks its limit between cut rounds, so the restricted solve can overrun. The full
        solve's bound is the only one reported (``phase`` tells the progress display).
        Returns the incumbent's column values (None if none was found in the share)."""
        idx, val = self._partial_start
        self._partial_start = None
        lp = h.getLp()
        limit = _time_limit(h)
        share = START_SHARE * limit if isfinite(limit) else None
        large = lp.num_col_ >= HAND_OVER_COLS
        t0 = time.perf_counter()
        self._watch_gap(h)
        if self._closure_idx is not None and large and self.used == "direct" \
                and blockstart.BACKGROUND:
            try:
                self._background = blockstart.Background(lp, self._closure_idx, idx, val,
                                                         self.gapRel or 0.0, share, large)
                return None
            except OSError as e:  # no process to be had: the start is made here, first
                self.background_error = f"{type(e).__name__}: {e}"
        self.phase = "start"
        try:
            if self._closure_idx is not None:
                self._take(blockstart.block_start(lp, self._closure_idx, idx, val,
                                                  self.gapRel or 0.0, self.threads, share,
                                                  large))
            # without a block start (or with nothing fixed, when the full solve is that
            # model) the model with the start's columns fixed
            values = (self._restricted_solve(h, lp, idx, val, limit, t0)
                      if self.incumbent is None and len(idx) else None)
        finally:
            self.start_s = time.perf_counter() - t0
            self.phase = None
            self._gap_target = None
        if isfinite(limit):  # HiGHS may have overrun the share; the full solve still
            # gets FULL_SHARE of the limit, so that it can reach a bound
            h.setOptionValue("time_limit", max(limit - self.start_s, FULL_SHARE * limit))
        if values is not None:
            objective = float(np.asarray(lp.col_cost_) @ values + lp.offset_)
            if self.incumbent is None:
                n = len(values)
                h.setSolution(n, np.arange(n, dtype=np.int32), values)
                self._handed = True
                return values
            if objective < self.incumbent[1] - 1e-9:
                self.incumbent = (values, objective)
            h.clearSolver()  # the full solve starts cold (see _watch_gap)
        if self.incumbent is not None:
            self._gap_target = self.incumbent[1]  # the full solve stops once it proves it
            if not large:  # a small model: HiGHS prunes by it (gap 0)
                n = lp.num_col_
                h.setSolution(n, np.arange(n, dtype=np.int32), self.incumbent[0])
                self._handed = True
            return self.incumbent[0]
        return None

    def _take(self, points) -> None:
        """Keep the best of the block start's (values, objective, report) as ``incumbent``;
        while the full solve runs (``phase`` None) it becomes the objective that solve stops
        at once proven."""
        for values, objective, report in points:  # (a generator: the start made here)
            with self._taking:  # (HiGHS's callbacks and _tick_while_root may both take)
                self.blocks_report = report
                if values is not None and (self.incumbent is None
                                           or objective < self.incumbent[1] - 1e-9):
                    self.incumbent = (values, objective)
                    if self.phase is None:
                        self._gap_target = objective

    def _tick_while_root(self):
        """While the full solve runs, every ``TAKE_EVERY_S``: collect the background start's
        points, and call ``_while_silent`` when HiGHS has called no MIP callback for
        ``SILENT_S`` (it calls none during its root LP: minutes on the A1 farms). HiGHS
        releases the GIL while it runs. Returns the function that stops it."""
        done = threading.Event()
        t0 = time.perf_counter()

        def run() -> None:
            while not done.wait(TAKE_EVERY_S):
                self._collect()
                if time.perf_counter() - self._last_mip >= SILENT_S:
                    self._while_silent(time.perf_counter() - t0)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def stop() -> None:
            done.set()
            thread.join()

        return stop

    def _while_silent(self, elapsed: float) -> None:
        """Called by ``_tick_while_root`` (elapsed s of the full solve) while HiGHS calls no
        MIP callback; the progress display shows the start there (with ``_last_bound``)."""

    def _end_background(self, h: highspy.Highs) -> None:
        """After the full solve: collect what the background start sent, and end it. When
        neither has a solution yet (a short limit on a large model), wait for the start's
        first point as the start would have had it run first (its share of the limit, at
        least ``blockstart.BLOCKS_MIN_S``), unless the run was stopped by a signal."""
        if self._background is not None:
            self._collect(force=True)
            if self.incumbent is None and interrupt.requested() is None \
                    and h.getInfo().primal_solution_status != 2:  # kSolutionStatusFeasible
                self._take(self._background.first(self._background.share_s
                                                  + 2 * blockstart.BLOCKS_MIN_S))
            self._background.stop()
            self.background_error = self._background.error
            self._background = None
            self._proven_by_lagrangian(h)

    def _proven_by_lagrangian(self, h: highspy.Highs) -> None:
        """Mark the solve proven when the Lagrangian bound proves the best solution (the
        start's or HiGHS's) within the gap."""
        best = [self.incumbent[1]] if self.incumbent is not None else []
        if h.getInfo().primal_solution_status == 2:
            best.append(h.getObjectiveValue())
        if best and self.lagrangian is not None:
            objective = min(best)
            if objective - self.lagrangian.bound <= (self.gapRel or 0.0) * max(1.0,
                                                                                abs(objective)):
                self.proven = True

    def _restricted_solve(self, h, lp, idx, val, limit, t0) -> np.ndarray | None:
        """The model with columns ``idx`` fixed at ``val``, within ``START_SHARE`` of the
        limit (counted from ``t0``); its solution, or None."""
        lower = np.asarray(lp.col_lower_)[idx]
        upper = np.asarray(lp.col_upper_)[idx]
        if self.incumbent is not None:
            self._gap_target = self.incumbent[1]
        try:
            h.changeColsBounds(len(idx), idx, val, val)
            if isfinite(limit):
                h.setOptionValue("time_limit", max(START_SHARE * limit
                                                   - (time.perf_counter() - t0), 0.1))
            h.run()
            feasible = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
            return np.asarray(h.getSolution().col_value) if feasible else None
        finally:
            h.changeColsBounds(len(idx), idx, lower, upper)
            self.proven = False  # a proof of the restricted model proves nothing here

    def _watch_gap(self, h: highspy.Highs) -> None:
        """Stop a solve once its bound proves ``_gap_target`` (an incumbent's objective, held
        outside HiGHS) within the gap; no-op while the target is None. Also collects the
        background start's points (every ``TAKE_EVERY_S``).

        The block start is not handed to HiGHS: with it as the incumbent, HiGHS 1.16 spent the
        rest of a 60 s limit in its root heuristics and restart instead of separating cuts (the
        600-grower synthetic instance: bound at 60 s 20,488,046 with the start, 20,510,968
        without). Its bound is a bound of the same model either way."""
        self._gap_target = None
        gap = self.gapRel or 0.0

        def check(event) -> None:
            self._collect()
            target = self._gap_target
            bound = max(event.data_out.mip_dual_bound, self._lagrangian_bound())
            self._last_mip, self._last_bound = time.perf_counter(), bound
            if target is not None and isfinite(bound) \
                    and target - bound <= gap * max(1.0, abs(target)):
                self.proven = True
                event.interrupt()
            elif interrupt.requested() is None:
                # HiGHS keeps the flag across runs: the restricted solve's stop would
                # otherwise stop the full solve at its first callback
                event.data_in.user_interrupt = False

        h.cbMipInterrupt.subscribe(check)

    def _collect(self, force: bool = False) -> None:
        """Take the background start's points and its Lagrangian bound, at most every
        ``TAKE_EVERY_S`` (or now, ``force``)."""
        now = time.perf_counter()
        background = self._background
        if background is not None and (force or now - self._last_take >= TAKE_EVERY_S):
            self._last_take = now
            self._take(background.take())
            sent = background.bound
            if sent is not None and sent.bound > self._lagrangian_bound():
                self.lagrangian = sent
                self._last_bound = max(self._last_bound, sent.bound)

    def _lagrangian_bound(self) -> float:
        """The Lagrangian bound (−inf until there is one)."""
        return -math.inf if self.lagrangian is None else self.lagrangian.bound

    def findBestBound(self, lp):
        """HiGHS's bound, or the fixing method's LP bound or the Lagrangian bound
        (``clusteropt.bound``) when higher (a MILP stopped before its root LP finished
        reports none)."""
        bound = super().findBestBound(lp)
        for other in (getattr(self.fixing_report, "lp_bound", None),
                      None if self.lagrangian is None else self.lagrangian.bound):
            if other is not None and (bound is None or other > bound):
                bound = other
        return bound

    def buildSolverModel(self, lp):
        h = lp.solverModel
        inf = highspy.kHighsInf
        core = lp._model
        ids = core.used_variable_ids()
        cols = core.list_variables_by_ids(ids)
        col_of = {vid: j for j, vid in enumerate(ids)}
        lp._fast_ids = ids

        n = len(cols)
        cost = np.zeros(n)
        objective = core.get_objective()
        if objective is not None:
            for var, a in objective.items():
                cost[col_of[var.id()]] += a
        lower = np.fromiter((v.lb for v in cols), float, n)
        upper = np.fromiter((v.ub for v in cols), float, n)
        lower[np.isneginf(lower)] = -inf
        upper[np.isposinf(upper)] = inf
        empty = np.zeros(0, dtype=np.int32)
        h.addCols(n, cost, lower, upper, 0, empty, empty, np.zeros(0))
        if self.mip:
            integer = np.fromiter((j for j, v in enumerate(cols) if v.is_integer()), np.int32)
            if len(integer):
                h.changeColsIntegrality(len(integer), integer,
                                        np.full(len(integer), highspy.HighsVarType.kInteger))
        if lp.sense == pulp.LpMaximize:
            h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        if objective is not None:
            h.changeObjectiveOffset(objective.constant)

        rows = core.list_constraints()
        starts = np.empty(len(rows), dtype=np.int32)
        row_lower = np.full(len(rows), -inf)
        row_upper = np.full(len(rows), inf)
        index: list[int] = []
        value: list[float] = []
        for r, c in enumerate(rows):
            starts[r] = len(index)
            terms = c.items()
            index.extend(col_of[v.id()] for v, _ in terms)
            value.extend(a for _, a in terms)
            sense = c.sense
            if sense != _LE:
                row_lower[r] = c.rhs
            if sense != _GE:
                row_upper[r] = c.rhs
        lp._fast_rows = (row_lower, row_upper)
        h.addRows(len(rows), row_lower, row_upper, len(index), starts,
                  np.asarray(index, dtype=np.int32), np.asarray(value, dtype=np.float64))

        self._partial_start = None
        self._closure_idx = None
        self._handed = False  # a start was handed to HiGHS (setSolution)
        if self.market_closure is not None:
            mc = self.market_closure
            self._closure_idx = MarketClosure(
                [(col_of[m.id], col_of[t.id]) for m, t in mc.ties
                 if m.id in col_of and t.id in col_of],
                [col_of[e.id] for e in mc.empties if e.id in col_of],
                list(mc.balance),
                {col_of[z.id]: v for z, v in mc.partners if z.id in col_of},
                [col_of[o.id] for o in mc.opens if o.id in col_of],
                lagrangian.owner_array(n, [(col_of[v.id], k) for v, k in mc.owners
                                           if v.id in col_of]))
        start = []
        if self.optionsDict.get("warmStart", False):
            start = [(j, v.value) for j, v in enumerate(cols) if v.value is not None]
            if start:
                idx, val = zip(*start, strict=True)
                idx = np.asarray(idx, dtype=np.int32)
                val = np.asarray(val, dtype=np.float64)
                if self.mip and len(idx) < n:
                    self._partial_start = (idx, val)  # completed by _complete_start
                else:
                    h.setSolution(len(idx), idx, val)
                    self._handed = True
        if not start and self._closure_idx is not None and self.mip:
            self._partial_start = (np.zeros(0, dtype=np.int32), np.zeros(0))  # nothing fixed

    def findSolutionValues(self, lp):
        h = lp.solverModel
        status = h.getModelStatus()
        solution = h.getSolution()
        core = lp._model
        ids = lp._fast_ids
        M = highspy.HighsModelStatus
        values = solution.col_value
        found = status == M.kOptimal or isfinite(h.getObjectiveValue())
        if self.incumbent is not None and (not found or self.incumbent[1]
                                           < h.getObjectiveValue() - 1e-9):
            values = self.incumbent[0]  # the block start is the better solution
            found = True
        if self.proven:  # HiGHS's bound proved the start, or its own better one, within the gap
            status = M.kOptimal
        core.set_variable_values(list(zip(ids, values, strict=True)))
        core.set_variable_djs(list(zip(ids, solution.col_dual, strict=True)))
        row_value = np.asarray(solution.row_value)
        if values is not solution.col_value and len(row_value):
            from clusteropt.blocks import row_activity

            row_value = row_activity(h.getLp(), np.asarray(values))
        if len(row_value):
            row_lower, row_upper = lp._fast_rows
            rhs = np.where(np.isfinite(row_lower), row_lower, row_upper)
            # PuLP's slack convention: rhs − activity on ≤ rows, activity − rhs otherwise
            slack = np.where(np.isfinite(row_lower), row_value - rhs, rhs - row_value)
            rows = range(len(row_value))
            core.set_constraint_slacks(list(zip(rows, slack.tolist(), strict=True)))
            core.set_constraint_pis(list(zip(rows, solution.row_dual, strict=True)))
        S = pulp.LpSolveStatus
        status_map = {M.kOptimal: S.Optimal, M.kInfeasible: S.Infeasible,
                      M.kUnbounded: S.Unbounded, M.kObjectiveBound: S.GapLimit,
                      M.kObjectiveTarget: S.GapLimit, M.kInterrupt: S.Interrupted,
                      M.kTimeLimit: S.TimeLimit, M.kIterationLimit: S.IterationLimit,
                      M.kSolutionLimit: S.SolutionLimit, M.kMemoryLimit: S.MemoryLimit,
                      M.kNotset: S.NotSolved, M.kModelEmpty: S.NotSolved}
        stopped_early = (M.kObjectiveBound, M.kObjectiveTarget, M.kInterrupt, M.kTimeLimit,
                         M.kIterationLimit, M.kSolutionLimit, M.kMemoryLimit)
        has_solution = status == M.kOptimal or (status in stopped_early and found)
        return status_map.get(status, S.Undefined), has_solution


def _time_limit(h: highspy.Highs) -> float:
    """HiGHS's time_limit option in s (highspy returns (status, value) or the value)."""
    limit = h.getOptionValue("time_limit")
    return limit[1] if isinstance(limit, tuple) else limit

"""The block start: a first incumbent of a bundled model from its own structure
(``clusteropt.blocks``), made beside the full solve or before it.

At a fixed placement (``idx``, ``val``: column numbers and values, e.g. everyone at its stay
node) every loaded trip is closed by the market (mkt = trips, no empty leg): the vehicle
balance then holds whatever the trips, its rows drop out and the model falls apart into one
block per leg (``blocks.solve_blocks``). That point is feasible in the full model. It is then
polished (the integers kept, the balance free: an LP) and re-priced by the polish's balance
duals (``block_start``). Every point it yields has been checked against the whole model.

On large models (``FastHiGHS``, ``HAND_OVER_COLS`` columns on) the start is made in a process
of its own (``Background``) while HiGHS presolves and solves the root LP: on the 1,200-grower
synthetic instance the start takes 25 s and the root LP 50 s, one after the other before.
That process then computes the Lagrangian bound of the model (``clusteropt.bound``), which
the full solve reports when it is higher than HiGHS's own."""

from __future__ import annotations

import math
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import highspy
import numpy as np

from clusteropt import blocks
from clusteropt import bound as lagrangian

BLOCKS_MIN_S = 5.0  # the block start's time at least, whatever the limit's share
PRICE_ROUNDS = 8  # block starts re-priced by the balance duals
# the block solves stop within this share of the solve's own gap: a start need not be closer
# than that (A1 per-subregion, gap 0.1 %: its two block solves took 4.9 s and 16.7 s to gap 0,
# and had 0.04 % after 1.4 s and 1.8 s)
START_GAP_SHARE = 0.5
START_GAP_MAX = 0.0005  # and within 0.05 % at most (the whole Westland, gap 1 %: its start is
#                         then 0.008 % above the best known, as close as at gap 0)
# on large models the first block solve stops within this gap: the re-priced rounds then work
# to START_GAP_SHARE (the A1 farms with every processor open: 33,000 blocks, 71 packed solves,
# 3 of them in 96 s at 0.05 %)
LARGE_START_GAP = 0.01
NICE = 5  # the background start's process runs this much below the full solve
BACKGROUND = os.name == "posix"  # Background passes a pipe by fd and renices: POSIX only


class MarketClosure(NamedTuple):
    """What the block start needs of a model (``clusteropt.solve.market_closure`` gives it in
    PuLP variables, ``FastHiGHS`` in column numbers): the (mkt, trips) pairs tied equal, the
    empty-leg columns, the vehicle-balance row numbers, the shares that send every pooled
    flow to its baseline partner with their values ((variable, value) pairs in PuLP, a
    {column: value} dict in columns), the candidate sites' open columns, and the owners of
    the placement and open columns for the Lagrangian bound (``clusteropt.bound``):
    (variable, owner number) pairs in PuLP, an array of owner numbers per column (−1: none)
    in columns."""

    ties: list
    empties: list
    balance: list
    partners: dict
    opens: list
    owners: Any = ()


def tries(closure: MarketClosure, idx: np.ndarray, val: np.ndarray
          ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (columns, values) fixed by each block start, tried in turn until one gives a
    point: the start itself; with every pooled flow at its baseline partner (where free
    outlets join all suppliers into one block); the same with every candidate site open
    (a flow whose only routes lead to candidate sites: the A1 farms' poultry manure beyond
    the transit time to Moerdijk); nothing fixed (a fixed placement may need a site the
    start closes: the savings split's B2)."""
    partners, opens = closure.partners, closure.opens
    out = [(idx, val)]
    if partners:
        keep = ~np.isin(idx, list(partners))
        fixed = np.r_[idx[keep], list(partners)].astype(np.int32)
        values = np.r_[val[keep], list(partners.values())]
        out.append((fixed, values))
        if opens:
            out.append((fixed, np.where(np.isin(fixed, opens), 1.0, values)))
    if len(idx):
        out.append((idx[:0], val[:0]))
    return out


def block_start(lp: highspy.HighsLp, closure: MarketClosure, idx: np.ndarray,
                val: np.ndarray, gap_rel: float, threads: int | None, share: float | None,
                large: bool, stop: Callable[[], bool] = lambda: False
                ) -> Iterator[tuple[np.ndarray, float, blocks.BlocksReport]]:
    """Yield (column values, objective, report) each time the start improves, within
    ``share`` seconds (None: no limit) over all ``tries``; ``large``: the first block solve
    stops within ``LARGE_START_GAP``. Per try, until one gives a point:

    1. the try's columns fixed, every trip closed by the market (mkt = trips, empty legs 0,
       balance rows left out): solved block by block (``blocks.solve_blocks``);
    2. where the try opened every candidate site, the sites closed one at a time while that
       pays (``drop_sites``);
    3. polished: the integers kept, the balance free (an LP, ``blocks.polish``);
    4. up to ``PRICE_ROUNDS`` times, while it improves: the blocks again with market closure
       free and each column priced by the polish's balance duals (c − A_Bᵀ π, π the value of
       a vehicle at a node; a Lagrangian heuristic), then polished: trips of the types and
       counts that fit backhauls. On the whole Westland this took the start from 0.56 % to
       0.011 % above the optimum.

    Every point yielded is feasible in ``lp`` (``blocks.feasible``); a try that gives none
    yields (None, None, its report). ``stop()`` is asked between steps."""
    t0 = time.perf_counter()
    gap = min(START_GAP_SHARE * gap_rel, START_GAP_MAX)
    first_gap = max(gap, LARGE_START_GAP) if large else gap
    cost = np.asarray(lp.col_cost_)
    integer = blocks.integers(lp)
    best = math.inf

    def left() -> float | None:
        return None if share is None else share - (time.perf_counter() - t0)

    def better(x) -> float | None:  # its objective if it beats the best and is feasible
        objective = float(cost @ x + lp.offset_)
        return objective if objective < best - 1e-9 and blocks.feasible(lp, x) else None

    for fixed, values in tries(closure, idx, val):
        if best < math.inf or (left() is not None and left() <= 0) or stop():
            return
        fix = dict(zip(fixed.tolist(), values.tolist(), strict=True))
        fix.update((j, 0.0) for j in closure.empties)
        x, report = blocks.solve_blocks(  # a first solution even under a short limit
            lp, fix, closure.balance, closure.ties, threads=threads,
            time_limit=None if share is None else max(left(), BLOCKS_MIN_S), gap=first_gap)
        if x is None:
            yield None, None, report
            continue
        if (objective := better(x)) is not None:
            best = report.polished = objective
            yield x, objective, report
        for y in drop_sites(lp, closure, fix, x, first_gap, threads, left, stop):
            if (objective := better(y)) is not None:
                x, best = y, objective
                report.polished = objective
                yield x, objective, report
        polished = blocks.polish(lp, x, left(), threads)
        for n in range(PRICE_ROUNDS + 1):
            if polished is None or (objective := better(polished[0])) is None:
                break
            before, best = best, objective
            report.polished = objective
            yield polished[0], objective, report
            if before - best <= 1e-6 * abs(before):
                break  # the balance gave nothing (more): re-pricing would not either
            if n == PRICE_ROUNDS or stop() or (left() is not None and left() <= 0):
                break
            # the blocks again, each trip priced with the value of a vehicle at its ends
            # (the polish's balance duals) and market closure free: trips that fit backhauls
            priced = blocks.priced_cost(lp, closure.balance, polished[1])
            priced[integer] = np.maximum(priced[integer], 0.0)  # (a trip never pays itself)
            again, _ = blocks.solve_blocks(lp, fix, closure.balance, (), left(), threads,
                                           cost=priced, gap=gap)
            if again is None:
                break
            polished = blocks.polish(lp, again, left(), threads)
            report.rounds += 1
        if best == math.inf:
            yield None, None, report


def drop_sites(lp: highspy.HighsLp, closure: MarketClosure, fix: dict[int, float],
               x: np.ndarray, gap: float, threads: int | None,
               left: Callable[[], float | None], stop: Callable[[], bool]
               ) -> Iterator[np.ndarray]:
    """Close the candidate sites that a try opened (``tries``: every site open, where a flow
    has no route but to them), one at a time while that pays: the greedy drop heuristic of
    facility location, best improvement first. Each trial fixes one more site closed and
    solves again only the blocks that touch it (``blocks.touched``), the rest kept at ``x``.
    ``fix`` is updated in place (the closed sites at 0); yields the column values of
    each better point. On the A1 farms: from all four processors open, 281.96 M€/yr, to the
    Gelderse Vallei one alone, 217.36 M€/yr, in 4 + 3 + 2 + 1 trials of 1–15 s (the block of
    poultry manure with no route but to a processor, 5,076 columns)."""
    cost = np.asarray(lp.col_cost_)
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    # (a site the scenario fixes open stays open)
    open_now = [j for j in closure.opens if fix.get(j) == 1.0 and lower[j] < 0.5]
    if not open_now:
        return
    A = blocks.constraint_matrix(lp)
    movable = np.flatnonzero(lower < upper)
    objective = float(cost @ x)
    while open_now and not stop() and (left() is None or left() > 0):
        trials = []
        nears = blocks.touched(lp, fix, closure.balance, closure.ties, open_now, A)
        for j, near in zip(open_now, nears, strict=True):
            kept = np.setdiff1d(movable, near)  # the other blocks stay as they are
            trial = dict(zip(kept.tolist(), x[kept].tolist()))
            trial.update(fix)
            trial[j] = 0.0
            y, _ = blocks.solve_blocks(lp, trial, closure.balance, closure.ties, left(),
                                       threads, gap=gap, matrix=A)
            if y is not None:
                trials.append((float(cost @ y), j, y))
            if stop() or (left() is not None and left() <= 0):
                break
        if not trials:
            return
        value, j, y = min(trials, key=lambda t: t[0])
        if value >= objective - 1e-9:
            return
        objective, x = value, y
        fix[j] = 0.0
        open_now.remove(j)
        yield x


def lp_arrays(lp: highspy.HighsLp) -> dict:
    """A HiGHS LP as plain arrays (to send to another process)."""
    a = lp.a_matrix_
    return {"num_col": lp.num_col_, "num_row": lp.num_row_, "offset": lp.offset_,
            "col_cost": np.asarray(lp.col_cost_), "col_lower": np.asarray(lp.col_lower_),
            "col_upper": np.asarray(lp.col_upper_), "row_lower": np.asarray(lp.row_lower_),
            "row_upper": np.asarray(lp.row_upper_),
            "rowwise": a.format_ == highspy.MatrixFormat.kRowwise,
            "start": np.asarray(a.start_), "index": np.asarray(a.index_),
            "value": np.asarray(a.value_), "integer": blocks.integers(lp)}


def lp_from_arrays(d: dict) -> highspy.HighsLp:
    """The HiGHS LP of ``lp_arrays``."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_, lp.offset_ = d["num_col"], d["num_row"], d["offset"]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = d["col_cost"], d["col_lower"], d["col_upper"]
    lp.row_lower_, lp.row_upper_ = d["row_lower"], d["row_upper"]
    lp.a_matrix_.format_ = (highspy.MatrixFormat.kRowwise if d["rowwise"]
                            else highspy.MatrixFormat.kColwise)
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = (
        d["start"], d["index"], d["value"])
    if d["integer"].any():
        kinds = [highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger]
        lp.integrality_ = [kinds[int(i)] for i in d["integer"]]
    return lp


class Background:
    """``block_start`` in a process of its own (``python -m clusteropt.start``), beside the
    full solve, then the Lagrangian bound (``clusteropt.bound``; in ``bound`` once sent). The
    LP and the start's arguments go to it on its stdin; each improved point comes back on a
    pipe and waits in a queue until ``take`` collects it. One HiGHS thread
    there, at a lower priority (``NICE``): the full solve's HiGHS comes first. Its errors are
    kept in ``error`` (the start is optional: the full solve goes on without it)."""

    def __init__(self, lp: highspy.HighsLp, closure: MarketClosure, idx: np.ndarray,
                 val: np.ndarray, gap_rel: float, share: float | None, large: bool):
        payload = {"lp": lp_arrays(lp), "closure": tuple(closure), "idx": idx, "val": val,
                   "gap_rel": gap_rel, "share": share, "large": large, "parent": os.getpid()}
        read, write = os.pipe()
        self.started = time.perf_counter()
        self.share_s = share or 0.0  # the start's share of the limit (0: none given)
        self.error: str | None = None
        self.done = False
        self.bound = None  # the Lagrangian bound's report (clusteropt.bound), once sent
        self._points: queue.Queue = queue.Queue()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "clusteropt.start", str(write)], pass_fds=(write,),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:  # (the caller makes the start in its own process instead)
            os.close(read)
            raise
        finally:
            os.close(write)
        self._reader = threading.Thread(target=self._talk, args=(payload, read), daemon=True)
        self._reader.start()

    def _talk(self, payload: dict, read: int) -> None:
        try:
            with self._proc.stdin as stdin:
                pickle.dump(payload, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(read, "rb") as pipe:
                while True:
                    kind, *rest = pickle.load(pipe)
                    if kind == "point":
                        self._points.put(rest)
                    elif kind == "bound":
                        self.bound = rest[0]
                    elif kind == "error":
                        self.error = rest[0]
        except (EOFError, OSError, pickle.UnpicklingError):
            pass  # the process ended (or was stopped)
        finally:
            self.done = True

    def take(self) -> list:
        """The (values, objective, report) that arrived since the last call."""
        out = []
        while True:
            try:
                out.append(self._points.get_nowait())
            except queue.Empty:
                return out

    def first(self, within_s: float) -> list:
        """Wait until a point has arrived or the process has ended, at most until
        ``within_s`` after it was started; what arrived (as ``take``)."""
        out = []
        while True:
            out += self.take()
            if any(x is not None for x, _, _ in out):
                return out
            left = self.started + within_s - time.perf_counter()
            if left <= 0 or self.done:
                return out + self.take()
            time.sleep(min(left, 0.1))

    def stop(self) -> None:
        """End the process (it may still be working) and collect nothing more."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._reader.join(timeout=5)


def _worker(out_fd: int) -> None:
    """The process of ``Background``: read the payload from stdin, send each point."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the solve and this
    # below the full solve: HiGHS's root LP is what the proof waits for (the whole Westland on
    # 2 cores, 2 HiGHS threads: its root LP 34.7 s beside this process, 25.8 s with it niced;
    # 600 x 10 x 40 is proven as fast either way, 16 s)
    os.nice(NICE)
    payload = pickle.load(sys.stdin.buffer)
    with os.fdopen(out_fd, "wb") as out:
        def send(*msg) -> None:
            pickle.dump(msg, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()

        try:
            lp = lp_from_arrays(payload["lp"])
            parent = payload["parent"]
            closure = MarketClosure(*payload["closure"])
            for x, objective, report in block_start(
                    lp, closure, payload["idx"], payload["val"],
                    payload["gap_rel"], 1, payload["share"], payload["large"],
                    stop=lambda: os.getppid() != parent):
                send("point", x, objective, report)
            if len(closure.owners) == lp.num_col_ and os.getppid() == parent:
                bound = lagrangian.lagrangian_bound(lp, closure.balance, closure.owners, 1)
                if bound is not None:
                    send("bound", bound)
        except BrokenPipeError:
            return
        except Exception as e:  # noqa: BLE001 - reported to the parent, which goes on
            send("error", f"{type(e).__name__}: {e}")


if __name__ == "__main__":
    _worker(int(sys.argv[1]))

"""Running a sweep: the task each worker solves, the Dask cluster, gathering the points into
the results table."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusteropt.errors import ScenarioError
from clusteropt.scenario import (
    Scenario,
)
from clusteropt.sweep.analysis import write_results
from clusteropt.sweep.design import Plan, Task
from clusteropt.sweep.params import EFFECTS, PARAM_PREFIX, SOLVED, apply_params
from clusteropt.sweep.store import Store, SweepResult

# ---------------------------------------------------------------------------------------------
# The task that runs on a worker
# ---------------------------------------------------------------------------------------------


def unpack(blob: bytes) -> tuple[Scenario, Any]:
    """The scenario (and lanes) a worker solves from: the pickled content, no file access."""
    return pickle.loads(blob)


def solve_point(base: tuple[Scenario, Any], params: dict[str, float],
                settings: dict[str, Any]) -> dict[str, Any]:
    """Solve one point (on a worker): apply the values to a copy of the scenario and run it with
    one solver thread. Never raises: a failure is returned as a row with its status and
    error."""
    from clusteropt.run import InfeasibleError, run_scenario

    t0 = time.perf_counter()
    row: dict[str, Any] = {"status": None, "error": None}
    try:
        sc0, lanes = base
        sc = apply_params(sc0, params)
        limit = settings.get("time_limit_s")
        if limit is not None and limit <= 0:
            sc.options.time_limit_s = None
            limit = None
        if "circuity" in params:
            lanes = None
        out = run_scenario(sc, lanes=lanes, gap_rel=settings.get("gap_rel"),
                           time_limit_s=limit, threads=settings.get("threads", 1),
                           baseline=settings.get("baseline", True))
        row.update(outcome_row(out.to_dict()))
    except InfeasibleError as err:
        row.update(status=err.report.status, gap=err.report.gap, error=str(err))
    except ScenarioError as err:
        row.update(status="invalid", error=str(err))
    except Exception as err:  # noqa: BLE001 - a failing point is a result, not a crash
        tb = traceback.format_exception(type(err), err, err.__traceback__)
        row.update(status="failed", error=f"{type(err).__name__}: {err}\n{''.join(tb[-3:])}")
    row["elapsed_s"] = time.perf_counter() - t0
    row["worker"] = _worker_name()
    return row


def outcome_row(d: dict) -> dict[str, Any]:
    """One flat row from ``Outcome.to_dict()``: status, gap, objective, check, every KPI, the
    savings split (``saving_<effect>_<kpi>``, today − option, positive = less, as
    ``compare`` shows it) and
    the baseline's KPIs (``baseline_<kpi>``)."""
    row: dict[str, Any] = {"status": d["status"], "gap": d["gap"],
                           "objective_eur": d["objective_eur"],
                           "best_bound_eur": d["best_bound_eur"],
                           "check": bool(d["check"]["passed"])}
    row.update({k: float(v) for k, v in d["kpis"].items()})
    sav = d.get("savings")
    if sav:
        for eff in EFFECTS:
            for key, v in sav["saving"][eff].items():
                row[f"saving_{eff}_{key}"] = float(v)
        for key, v in (d.get("baseline") or {}).items():
            row[f"baseline_{key}"] = float(v)
    row["open_sites"] = ";".join(s for s, v in (d.get("open_sites") or {}).items() if v)
    row["build_s"] = d["model"]["build_s"]
    row["solve_s"] = d["model"]["solve_s"]
    return row


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


# ---------------------------------------------------------------------------------------------
# Running: the cluster, the store, gathering
# ---------------------------------------------------------------------------------------------


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None,
                scheduler_file: str | Path | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: to an existing scheduler (address or scheduler file), or to a
    ``LocalCluster`` of ``workers`` processes with one thread each (default: CPU count). The
    dashboard is off."""
    from distributed import Client, LocalCluster

    if scheduler or scheduler_file:
        client = Client(scheduler, scheduler_file=str(scheduler_file) if scheduler_file
                        else None, timeout="20s")
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def describe_client(client) -> str:
    try:
        info = client.scheduler_info()
        workers = info.get("workers", {})
        threads = sum(w.get("nthreads", 0) for w in workers.values())
        return f"{client.scheduler.address} ({len(workers)} workers, {threads} threads)"
    except Exception:  # noqa: BLE001 - only for the record
        return str(getattr(client.scheduler, "address", "?"))


def run_sweep(plan: Plan, out: str | Path, client=None, workers: int | None = None,
              scheduler: str | None = None, scheduler_file: str | Path | None = None,
              retry_failed: bool = False, on_start: Callable[[int, int], None] | None = None,
              on_result: Callable[[dict], None] | None = None,
              analyse_results: bool = True) -> SweepResult:
    """Solve the plan's points that the store does not hold yet, on ``client`` (or a cluster
    made from ``workers`` / ``scheduler`` / ``scheduler_file``; none is started when nothing is
    left to solve), gathering results as they arrive; then write the table and the analysis.
    ``on_start(todo, total)`` and ``on_result(row)`` report progress."""
    t0 = time.perf_counter()
    out = Path(out)
    _check_out(out)
    store = Store(out)
    rows: dict[str, dict] = {}
    todo: list[Task] = []
    for t in plan.tasks:
        doc = store.get(t.key)
        if doc is not None and "row" in doc and not (
                retry_failed and doc["row"].get("status") not in SOLVED):
            rows[t.key] = doc["row"]
        else:
            todo.append(t)
    todo = list({t.key: t for t in todo}.values())
    reused = len(rows)
    if on_start is not None:
        on_start(len(todo), len(plan.tasks))
    cluster_text = None
    lost = 0
    if todo:
        if client is not None:
            cluster_text = describe_client(client)
            lost = _gather(plan, client, todo, store, rows, on_result)
        else:
            with dask_client(workers, scheduler, scheduler_file) as c:
                cluster_text = describe_client(c)
                lost = _gather(plan, c, todo, store, rows, on_result)
    table = build_table(plan, rows)
    solved = len(todo) - lost
    failed = int((~table["status"].isin(SOLVED)).sum()) - lost if len(table) else 0
    res = SweepResult(table, solved, reused, failed, lost, time.perf_counter() - t0,
                      cluster_text)
    res.files = write_results(plan, res, out, analyse_results)
    return res


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "points").is_dir() \
            and not (out / "sweep.json").is_file():
        raise FileExistsError(f"{out} is a non-empty folder that holds no sweep; choose a new "
                              f"or empty folder (a sweep folder is resumed)")
    (out / "points").mkdir(parents=True, exist_ok=True)


def _gather(plan: Plan, client, todo: list[Task], store: Store, rows: dict[str, dict],
            on_result) -> int:
    """Submit the tasks and collect them as they finish; returns how many were lost."""
    from distributed import as_completed

    bases = {}
    for v in {t.variant for t in todo}:
        blob = pickle.dumps((plan.scenarios[v], plan.lanes[v]), protocol=pickle.HIGHEST_PROTOCOL)
        # a task (not scattered data): the scheduler can recompute it when its worker dies
        bases[v] = client.submit(unpack, blob, pure=False,
                                 key=f"clusteropt-scenario-{hashlib.sha256(blob).hexdigest()[:20]}")
    futures = {}
    for t in todo:
        f = client.submit(solve_point, bases[t.variant], t.params, plan.settings,
                          key=f"clusteropt-point-{t.key}", pure=False)
        futures[f] = t
    lost = 0
    try:
        for fut in as_completed(list(futures)):
            t = futures.pop(fut)
            try:
                row = fut.result()
            except Exception as err:  # noqa: BLE001 - the cluster lost it (e.g. KilledWorker)
                row = {"status": "lost", "error": f"{type(err).__name__}: {err}",
                       "elapsed_s": None, "worker": None}
                lost += 1
            else:
                store.put(t.key, {"key": t.key, "scenario": plan.name, "variant": t.variant,
                                  "params": t.params, "settings": plan.settings,
                                  "scenario_hash": plan.scenarios[t.variant].content_hash,
                                  "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "row": row})
            rows[t.key] = row
            fut.release()
            if on_result is not None:
                on_result({"variant": t.variant, "point": t.point, **row})
    finally:
        for f in futures:  # interrupted: nothing left running for us
            f.cancel()
        for f in bases.values():
            f.release()
    return lost


def build_table(plan: Plan, rows: dict[str, dict]) -> pd.DataFrame:
    """One row per (variant × point) of the plan, in plan order, with the parameter values
    (``param:<name>``; the scenario's own value where a one-at-a-time point leaves it) and
    the regret against the best variant at each point."""
    recs = []
    for t in plan.tasks:
        r = rows.get(t.key, {"status": "missing"})
        rec: dict[str, Any] = {"scenario": plan.name, "variant": t.variant, "point": t.point}
        if plan.design.one_at_a_time:
            rec["varied"] = plan.design.varied[t.point] or "base"
        for name in plan.design.names:
            v = t.params.get(name)
            rec[PARAM_PREFIX + name] = v if v is not None else plan.base_value(t.variant, name)
        rec["key"] = t.key
        rec.update(r)
        recs.append(rec)
    table = pd.DataFrame(recs)
    if "total_cost_eur" in table.columns:
        ok = table["status"].isin(SOLVED)
        best = table[ok].groupby("point")["total_cost_eur"].transform("min")
        table["regret_eur"] = np.nan
        table.loc[ok, "regret_eur"] = table.loc[ok, "total_cost_eur"] - best
    return table



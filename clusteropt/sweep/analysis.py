"""Analysing a sweep: the results table written out, the distribution of each KPI per
variant, how often each variant is best (and its regret), the one-at-a-time tornado; the
pictures and the page come from ``clusteropt.report.sweep``."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from clusteropt.report.sweep import boxplots, response_chart, summary_html, tornado_chart
from clusteropt.sweep.design import Plan
from clusteropt.sweep.params import HEADLINE, PARAM_PREFIX, SAVING, SOLVED
from clusteropt.sweep.store import SweepResult, _write_text

# ---------------------------------------------------------------------------------------------
# Outputs and analysis
# ---------------------------------------------------------------------------------------------


def write_results(plan: Plan, res: SweepResult, out: Path, analyse: bool = True) -> dict:
    files: dict[str, Path] = {}
    table = res.table
    files["results.csv"] = out / "results.csv"
    _write_text(files["results.csv"], table.to_csv(index=False))
    try:
        import pyarrow  # noqa: F401

        tmp = out / f".results.parquet.{os.getpid()}.tmp"
        pq = table.copy()
        for c in pq.columns:  # mixed None/str columns as strings for Arrow
            if pq[c].dtype == object:
                pq[c] = pq[c].map(lambda v: None if v is None or (isinstance(v, float)
                                                                  and math.isnan(v)) else str(v)
                                  if not isinstance(v, bool) else v)
        pq.to_parquet(tmp, index=False)
        os.replace(tmp, out / "results.parquet")
        files["results.parquet"] = out / "results.parquet"
    except ImportError:
        pass
    if analyse:
        files.update(analyse_sweep(plan, table, out))
    manifest = {
        "scenario": plan.scenario, "name": plan.name, "variants": plan.variants,
        "scenario_hashes": {v: sc.content_hash for v, sc in plan.scenarios.items()},
        "params": {n: s.text for n, s in plan.specs.items()}, "samples": plan.samples,
        "seed": plan.seed, "one_at_a_time": plan.design.one_at_a_time,
        "settings": plan.settings, "points": len(plan.design.points), "tasks": len(plan.tasks),
        "solved": res.solved, "reused": res.reused, "failed": res.failed, "lost": res.lost,
        "elapsed_s": round(res.elapsed_s, 3), "cluster": res.cluster,
        "warnings": plan.warnings, "files": sorted(files),
    }
    _write_text(out / "sweep.json", json.dumps(manifest, indent=2, default=str))
    files["sweep.json"] = out / "sweep.json"
    return files


def distribution(table: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """Per variant and headline KPI: count, mean, sd, min, 5/25/50/75/95 %, max."""
    ok = table[table["status"].isin(SOLVED)]
    recs = []
    for v in variants:
        sub = ok[ok["variant"] == v]
        for kpi in HEADLINE:
            if kpi not in sub.columns:
                continue
            s = sub[kpi].astype(float)
            q = s.quantile([0.05, 0.25, 0.5, 0.75, 0.95]) if len(s) else pd.Series(
                [np.nan] * 5, index=[0.05, 0.25, 0.5, 0.75, 0.95])
            recs.append({"variant": v, "kpi": kpi, "count": int(s.count()), "mean": s.mean(),
                         "std": s.std(), "min": s.min(), "p05": q[0.05], "p25": q[0.25],
                         "p50": q[0.5], "p75": q[0.75], "p95": q[0.95], "max": s.max()})
    return pd.DataFrame(recs)


def ranking(table: pd.DataFrame, variants: list[str], rel_tol: float = 1e-9) -> pd.DataFrame:
    """How often each variant is the cheapest at a point (ties count for each) and its regret
    (its cost minus the cheapest variant's at the same point, EUR/yr)."""
    ok = table[table["status"].isin(SOLVED)]
    cols = ["variant", "points_solved", "times_best", "share_best", "mean_regret_eur",
            "p95_regret_eur", "max_regret_eur", "mean_total_cost_eur"]
    if "total_cost_eur" not in ok.columns or not len(ok):
        return pd.DataFrame(columns=cols)
    wide = ok.pivot_table(index="point", columns="variant", values="total_cost_eur",
                          aggfunc="first")
    best = wide.min(axis=1)
    recs = []
    for v in variants:
        if v not in wide.columns:
            recs.append({"variant": v, "points_solved": 0, "times_best": 0})
            continue
        col = wide[v].dropna()
        regret = col - best[col.index]
        is_best = regret <= rel_tol * best[col.index].abs().clip(lower=1.0)
        recs.append({"variant": v, "points_solved": int(len(col)),
                     "times_best": int(is_best.sum()),
                     "share_best": float(is_best.mean()) if len(col) else np.nan,
                     "mean_regret_eur": float(regret.mean()),
                     "p95_regret_eur": float(regret.quantile(0.95)),
                     "max_regret_eur": float(regret.max()),
                     "mean_total_cost_eur": float(col.mean())})
    out = pd.DataFrame(recs, columns=cols)
    return out.sort_values(["times_best", "mean_regret_eur"], ascending=[False, True],
                           na_position="last").reset_index(drop=True)


def tornado(plan: Plan, table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """One-at-a-time sweeps: per variant and parameter, the headline saving (``saving_total_
    cost_eur``, positive = saved; the total cost when the sweep ran without the baseline) at
    the parameter's lowest and highest value against the base point. Returns (table, metric)."""
    metric = SAVING if SAVING in table.columns and table[SAVING].notna().any() \
        else "total_cost_eur"
    recs = []
    if not plan.design.one_at_a_time or metric not in table.columns:
        return pd.DataFrame(), metric
    ok = table[table["status"].isin(SOLVED)]
    for v in plan.variants:
        sub = ok[ok["variant"] == v]
        base = sub[sub["varied"] == "base"]
        if not len(base):
            continue
        b = float(base[metric].iloc[0])
        for name in plan.design.names:
            rows = sub[sub["varied"] == name].sort_values(PARAM_PREFIX + name)
            if not len(rows):
                continue
            col = PARAM_PREFIX + name
            lo, hi = rows.iloc[0], rows.iloc[-1]
            vals = rows[metric].astype(float)
            recs.append({"variant": v, "parameter": name, "base_value": plan.base_value(v, name),
                         "low_value": float(lo[col]), "high_value": float(hi[col]),
                         "metric": metric, "base": b, "at_low": float(lo[metric]),
                         "at_high": float(hi[metric]), "min": float(vals.min()),
                         "max": float(vals.max()),
                         "swing": float(vals.max() - vals.min())})
    frame = pd.DataFrame(recs)
    if len(frame):
        frame = frame.sort_values(["variant", "swing"], ascending=[True, False],
                                  key=lambda s: s.map(plan.variants.index)
                                  if s.name == "variant" else s).reset_index(drop=True)
    return frame, metric


def response(plan: Plan, table: pd.DataFrame, metric: str = "total_cost_eur"
             ) -> pd.DataFrame:
    """Each option's ``metric`` against each parameter swept alone (the only parameter of a
    grid or sampled sweep, or each parameter of a one-at-a-time sweep with its base point):
    one row per parameter, value and variant with ``value``, ``metric``, ``gap`` and
    ``open_sites``; solved points only, sorted by parameter and value. Empty when no
    parameter is swept alone (a grid of several parameters: hold the others to read one)."""
    cols = ["parameter", "value", "variant", "metric", "gap", "open_sites"]
    ok = table[table["status"].isin(SOLVED)]
    if metric not in ok.columns:
        return pd.DataFrame(columns=cols)
    if plan.design.one_at_a_time:
        alone = {n: ok[ok["varied"].isin([n, "base"])] for n in plan.design.names}
    elif len(plan.design.names) == 1:
        alone = {plan.design.names[0]: ok}
    else:
        return pd.DataFrame(columns=cols)
    recs = []
    for name, rows in alone.items():
        for r in rows.to_dict("records"):
            recs.append({"parameter": name, "value": float(r[PARAM_PREFIX + name]),
                         "variant": r["variant"], "metric": float(r[metric]),
                         "gap": r.get("gap"), "open_sites": r.get("open_sites") or ""})
    out = pd.DataFrame(recs, columns=cols)
    out = out.drop_duplicates(["parameter", "value", "variant"])
    return out.sort_values(["parameter", "value", "variant"]).reset_index(drop=True)


def best_at(at: pd.DataFrame) -> str:
    """The best variant(s) at one value: the lowest metric and every variant tied with it
    within the solver gap, joined by " = "."""
    from clusteropt.report.conclusion import tie

    low = at.loc[at["metric"].idxmin()]
    tied = [r.variant for r in at.itertuples()
            if tie(low["metric"], r.metric, low["gap"], r.gap)]
    return " = ".join(sorted(tied))


def switch_points(resp: pd.DataFrame) -> pd.DataFrame:
    """Where the answer changes along each parameter: the best option (lowest metric, ties
    within the gap kept together) and, per option, its design (the sites it opens). Each
    switch lies between two swept values ``from_value`` and ``to_value``; ``estimate`` is where
    the two options' lines cross when interpolated linearly between them (for the best
    option; the design's switch has no estimate: only a finer sweep can place it)."""
    cols = ["parameter", "kind", "from_value", "to_value", "estimate", "before", "after"]
    recs = []
    for name, sub in resp.groupby("parameter", sort=False):
        values = sorted(sub["value"].unique())
        best = {v: best_at(sub[sub["value"] == v]) for v in values}
        for v0, v1 in zip(values, values[1:]):
            if best[v0] == best[v1]:
                continue
            a, b = best[v0].split(" = ")[0], best[v1].split(" = ")[0]
            recs.append({"parameter": name, "kind": "best option", "from_value": v0,
                         "to_value": v1, "estimate": _crossing(sub, a, b, v0, v1),
                         "before": best[v0], "after": best[v1]})
        for var, rows in sub.groupby("variant", sort=False):
            rows = rows.sort_values("value")
            prev = None
            for r in rows.itertuples():
                if prev is not None and r.open_sites != prev.open_sites:
                    recs.append({"parameter": name, "kind": f"design of {var}",
                                 "from_value": prev.value, "to_value": r.value,
                                 "estimate": math.nan,
                                 "before": prev.open_sites or "no site open",
                                 "after": r.open_sites or "no site open"})
                prev = r
    return pd.DataFrame(recs, columns=cols)


def _crossing(sub: pd.DataFrame, a: str, b: str, v0: float, v1: float) -> float:
    """Where a's and b's metric cross between v0 and v1, both taken linear in between."""
    def at(var, v):
        m = sub[(sub["variant"] == var) & (sub["value"] == v)]["metric"]
        return float(m.iloc[0]) if len(m) else math.nan

    d0, d1 = at(a, v0) - at(b, v0), at(a, v1) - at(b, v1)
    if not (math.isfinite(d0) and math.isfinite(d1)) or d1 == d0:
        return math.nan
    return v0 + (v1 - v0) * (-d0) / (d1 - d0)


def analyse_sweep(plan: Plan, table: pd.DataFrame, out: Path) -> dict[str, Path]:
    """distribution.csv, ranking.csv, tornado.csv (one-at-a-time), response.csv and
    switch_points.csv (a parameter swept alone), PNG charts (when matplotlib is installed)
    and summary.html."""
    files: dict[str, Path] = {}
    dist = distribution(table, plan.variants)
    _write_text(out / "distribution.csv", dist.to_csv(index=False))
    files["distribution.csv"] = out / "distribution.csv"
    rank = ranking(table, plan.variants)
    _write_text(out / "ranking.csv", rank.to_csv(index=False))
    files["ranking.csv"] = out / "ranking.csv"
    charts = {}
    p = boxplots(table, plan.variants, out / "boxplots.png")
    if p:
        files["boxplots.png"] = charts["Distribution per variant"] = p
    torn, metric = tornado(plan, table)
    if plan.design.one_at_a_time:
        _write_text(out / "tornado.csv", torn.to_csv(index=False))
        files["tornado.csv"] = out / "tornado.csv"
        p = tornado_chart(torn, metric, plan.variants, out / "tornado.png")
        if p:
            files["tornado.png"] = charts[f"Tornado: {metric}"] = p
    resp = response(plan, table)
    switches = switch_points(resp)
    if len(resp):
        _write_text(out / "response.csv", resp.to_csv(index=False))
        _write_text(out / "switch_points.csv", switches.to_csv(index=False))
        files["response.csv"] = out / "response.csv"
        files["switch_points.csv"] = out / "switch_points.csv"
        p = response_chart(resp, switches, plan.variants, out / "response.png")
        if p:
            files["response.png"] = charts["Annual cost against each parameter"] = p
    page = summary_html(plan, table, dist, rank, torn, metric, charts, resp, switches)
    _write_text(out / "summary.html", page)
    files["summary.html"] = out / "summary.html"
    return files



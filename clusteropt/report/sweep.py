"""The pictures and the page of a sweep (matplotlib, HTML): box plots per variant, the
tornado chart and ``summary.html``."""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clusteropt.sweep.params import HEADLINE, SOLVED

if TYPE_CHECKING:
    from clusteropt.sweep.design import Plan
    from clusteropt.sweep.store import SweepResult


def _mpl():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None

    def figure(w: float, h: float):
        fig = Figure(figsize=(w, h), dpi=110)
        FigureCanvasAgg(fig)
        return fig

    return figure


def boxplots(table: pd.DataFrame, variants: list[str], path: Path) -> Path | None:
    """Cost, truck-km and CO2 per variant (one box each) as a PNG; None without matplotlib."""
    figure = _mpl()
    ok = table[table["status"].isin(SOLVED)]
    kpis = [k for k in HEADLINE if k in ok.columns]
    if figure is None or not len(ok) or not kpis:
        return None
    fig = figure(max(9.0, 1.2 * len(variants) * len(kpis)), 4.2)
    for i, kpi in enumerate(kpis, start=1):
        ax = fig.add_subplot(1, len(kpis), i)
        data = [ok.loc[ok["variant"] == v, kpi].astype(float).to_numpy() for v in variants]
        keep = [(v, d) for v, d in zip(variants, data) if len(d)]
        ax.boxplot([d for _, d in keep], showmeans=True)
        ax.set_xticks(range(1, len(keep) + 1), [v for v, _ in keep], rotation=30, ha="right")
        ax.set_title(HEADLINE[kpi], fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    fig.suptitle(f"Distribution over {ok['point'].nunique()} points", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, format="png", bbox_inches="tight", facecolor="white")
    return path


def tornado_chart(frame: pd.DataFrame, metric: str, variants: list[str],
                  path: Path) -> Path | None:
    """Horizontal bars from the base to the metric at each parameter's low and high value,
    largest swing on top, one panel per variant; None without matplotlib or data."""
    figure = _mpl()
    if figure is None or not len(frame):
        return None
    shown = [v for v in variants if v in set(frame["variant"])]
    n_par = frame.groupby("variant").size().max()
    fig = figure(9.0, max(2.5, (0.45 * n_par + 1.2) * len(shown)))
    for i, v in enumerate(shown, start=1):
        ax = fig.add_subplot(len(shown), 1, i)
        sub = frame[frame["variant"] == v].iloc[::-1]
        base = float(sub["base"].iloc[0])
        y = np.arange(len(sub))
        ax.barh(y, sub["at_low"] - base, left=base, color="#4e79a7", label="lowest value")
        ax.barh(y, sub["at_high"] - base, left=base, color="#f28e2b", label="highest value",
                alpha=0.85)
        labels = [f"{p}\n{lo:g} … {hi:g}" for p, lo, hi in
                  zip(sub["parameter"], sub["low_value"], sub["high_value"])]
        ax.set_yticks(y, labels, fontsize=8)
        ax.axvline(base, color="black", lw=0.8)
        ax.set_title(f"{v}: {metric} (base {base:,.0f})", fontsize=10)
        ax.ticklabel_format(axis="x", style="plain", useOffset=False)
        ax.grid(axis="x", alpha=0.3)
        if i == 1:
            ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, format="png", bbox_inches="tight", facecolor="white")
    return path


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:,.2f}"
        return f"{v:.3g}"
    return str(v)


def _html_table(df: pd.DataFrame, max_rows: int = 200) -> str:
    if df is None or not len(df):
        return "<p class='note'>(none)</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in df.head(max_rows).itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_html(plan: Plan, table: pd.DataFrame, dist: pd.DataFrame, rank: pd.DataFrame,
                 torn: pd.DataFrame, metric: str, charts: dict[str, Path],
                 res: SweepResult | None) -> str:
    css = ("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;"
           "color:#222}table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1em}"
           "th,td{border:1px solid #ddd;padding:3px 7px}th{background:#f3f3f3}"
           "td{text-align:right}td:first-child{text-align:left}.note{color:#555}"
           "img{max-width:100%;border:1px solid #eee}")
    ok = table["status"].isin(SOLVED)
    params = "".join(f"<li><code>{html.escape(n)}</code> = <code>{html.escape(s.text)}"
                     f"</code></li>" for n, s in plan.specs.items())
    if plan.design.one_at_a_time:
        design = "one at a time around the base"
    elif plan.samples:
        design = f"full grid × {plan.samples} samples (seed {plan.seed})"
    else:
        design = "full grid"
    counts = (f"{len(plan.design.points)} points × {len(plan.variants)} variants = "
              f"{len(plan.tasks)} solves; {int(ok.sum())} solved, "
              f"{int((~ok).sum())} without a solution")
    if res is not None:
        counts += (f"; this run solved {res.solved}, reused {res.reused} stored, "
                   f"{res.lost} lost, in {res.elapsed_s:.1f} s on {html.escape(str(res.cluster))}")
    parts = [f"<h1>Sweep: {html.escape(plan.name)}</h1>",
             f"<p>{html.escape(plan.scenario)} — variants {html.escape(', '.join(plan.variants))}"
             f"; design: {html.escape(design)}.</p><ul>{params}</ul>",
             f"<p>{counts}. Solver settings: {html.escape(json.dumps(plan.settings))}.</p>",
             "<h2>Distribution per variant</h2>", _html_table(dist)]
    for title, p in charts.items():
        data = base64.b64encode(Path(p).read_bytes()).decode("ascii")
        img = f"<img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"
        if title.startswith("Distribution"):
            parts.append(img)
    parts += ["<h2>Ranking</h2><p class='note'>How often each variant is the cheapest at a "
              "point, and its regret: its annual cost minus the cheapest variant's at the same "
              "point.</p>", _html_table(rank)]
    if plan.design.one_at_a_time:
        parts += [f"<h2>Tornado: {html.escape(metric)}</h2><p class='note'>Each parameter "
                  "alone at its lowest and highest value, the others as in the scenario. "
                  "Savings are today's situation minus the optimum: positive = saved.</p>",
                  _html_table(torn)]
        parts += [f"<img alt='tornado' src='data:image/png;base64,"
                  f"{base64.b64encode(Path(p).read_bytes()).decode('ascii')}'>"
                  for t, p in charts.items() if t.startswith("Tornado")]
    bad = table[~ok]
    if len(bad):
        cols = [c for c in ("variant", "point", "status", "error") if c in bad.columns]
        shown = bad[cols].copy()
        if "error" in shown.columns:
            shown["error"] = shown["error"].astype(str).str.slice(0, 300)
        parts += ["<h2>Points without a solution</h2>", _html_table(shown, 50)]
    if plan.warnings:
        parts.append("<p class='note'>" + html.escape("; ".join(plan.warnings)) + "</p>")
    if not charts:
        parts.append("<p class='note'>Charts need matplotlib (not installed).</p>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Sweep "
            f"{html.escape(plan.name)}</title><style>{css}</style></head><body>"
            + "".join(parts) + "</body></html>")

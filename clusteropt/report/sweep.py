"""The pictures and the page of a sweep (matplotlib, HTML): box plots per variant, the
tornado chart, each option's cost against a parameter with the switch points, and
``summary.html`` (the answer first; how the sweep was run stays in ``sweep.json``)."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clusteropt.sweep.params import HEADLINE, SOLVED

if TYPE_CHECKING:
    from clusteropt.sweep.design import Plan


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


def response_chart(resp: pd.DataFrame, switches: pd.DataFrame, variants: list[str],
                   path: Path) -> Path | None:
    """One panel per parameter swept alone: each option's annual cost against the parameter
    (a line through the swept values), the switch points of the best option as dashed
    vertical lines at their estimate, labelled with the option that becomes best."""
    figure = _mpl()
    names = list(dict.fromkeys(resp["parameter"])) if len(resp) else []
    if figure is None or not names:
        return None
    fig = figure(min(14.0, 6.5 * len(names)), 4.6)
    colours = {v: f"C{i % 10}" for i, v in enumerate(variants)}
    for i, name in enumerate(names, start=1):
        ax = fig.add_subplot(1, len(names), i)
        sub = resp[resp["parameter"] == name]
        for v in variants:
            line = sub[sub["variant"] == v].sort_values("value")
            if len(line):
                ax.plot(line["value"], line["metric"], "-o", ms=3.5, color=colours[v], label=v)
        sw = switches[(switches["parameter"] == name) & (switches["kind"] == "best option")]
        for r in sw.itertuples():
            x = r.estimate if math.isfinite(r.estimate) else (r.from_value + r.to_value) / 2
            ax.axvline(x, color="#555555", ls="--", lw=0.9)
            ax.annotate(f"→ {r.after}", (x, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize=8,
                        color="#333333")
        ax.set_xlabel(name)
        ax.set_ylabel("annual cost (EUR/yr)")
        ax.yaxis.set_major_formatter(_thousands_formatter())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    fig.suptitle("Annual cost of each option against the swept parameter (dashed: the best "
                 "option changes)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png", bbox_inches="tight", facecolor="white")
    return path


def _thousands_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def sweep_conclusion(rank: pd.DataFrame, switches: pd.DataFrame, resp: pd.DataFrame) -> str:
    """The answer in words: the option best at most points, and along each parameter swept
    alone which option is best where and where that changes (and where an option's design
    changes)."""
    text = []
    if len(rank) and rank["points_solved"].fillna(0).sum():
        top = rank.iloc[0]
        text.append(f"By annual cost, '{top.variant}' is the best option at "
                    f"{int(top.times_best)} of {int(top.points_solved)} points solved.")
    for name, sub in resp.groupby("parameter", sort=False):
        lo, hi = sub["value"].min(), sub["value"].max()
        sw = switches[(switches["parameter"] == name) & (switches["kind"] == "best option")]
        if not len(sw):
            from clusteropt.sweep.analysis import best_at

            best = best_at(sub[sub["value"] == lo])
            text.append(f"Along {name} ({_fmt(lo)} to {_fmt(hi)}) the best option does not "
                        f"change: '{best}'.")
        else:
            steps = [f"'{sw.iloc[0].before}' up to {_fmt(sw.iloc[0].from_value)}"]
            for r in sw.itertuples():
                where = (f"≈ {_fmt(r.estimate)} " if math.isfinite(r.estimate) else "")
                steps.append(f"'{r.after}' from {where}(between {_fmt(r.from_value)} and "
                             f"{_fmt(r.to_value)})")
            text.append(f"Along {name} the best option changes: " + ", then ".join(steps)
                        + ".")
        design = switches[(switches["parameter"] == name) & (switches["kind"] != "best option")]
        for r in design.itertuples():
            text.append(f"{r.kind.replace('design of ', '')!r} changes its design between "
                        f"{name} {_fmt(r.from_value)} and {_fmt(r.to_value)}: {r.before} → "
                        f"{r.after}.")
    if not len(resp):
        text.append("No parameter was swept alone, so there are no switch points: sweep one "
                    "parameter (or use --one-at-a-time) to see where the answer changes.")
    return " ".join(text)


RANK_WORDS = {"variant": "option", "points_solved": "points solved",
              "times_best": "times best", "share_best": "share best",
              "mean_regret_eur": "mean regret (EUR/yr)", "p95_regret_eur": "95 % regret (EUR/yr)",
              "max_regret_eur": "max regret (EUR/yr)",
              "mean_total_cost_eur": "mean annual cost (EUR/yr)"}
SWITCH_WORDS = {"parameter": "parameter", "kind": "what changes", "from_value": "from",
                "to_value": "to", "estimate": "crossing (linear)", "before": "before",
                "after": "after"}


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
                 resp: pd.DataFrame | None = None,
                 switches: pd.DataFrame | None = None) -> str:
    """The sweep's page: the answer first (which option is best, where it changes), each
    option's cost against the parameter, the ranking, the distributions, the tornado. Solver
    settings, timings and the cluster are in sweep.json, not here."""
    css = ("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;"
           "color:#222}table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1em}"
           "th,td{border:1px solid #ddd;padding:3px 7px}th{background:#f3f3f3}"
           "td{text-align:right}td:first-child{text-align:left}.note{color:#555}"
           ".lead{font-size:1.1em;line-height:1.45}.scroll{overflow-x:auto}"
           "img{max-width:100%;border:1px solid #eee}")
    resp = resp if resp is not None else pd.DataFrame(columns=["parameter", "value"])
    switches = switches if switches is not None else pd.DataFrame(
        columns=list(SWITCH_WORDS))
    ok = table["status"].isin(SOLVED)
    params = "".join(f"<li><code>{html.escape(n)}</code> = <code>{html.escape(s.text)}"
                     f"</code></li>" for n, s in plan.specs.items())
    if plan.design.one_at_a_time:
        design = "one at a time around the base"
    elif plan.samples:
        design = f"full grid × {plan.samples} samples (seed {plan.seed})"
    else:
        design = "full grid"
    counts = (f"{len(plan.design.points)} points × {len(plan.variants)} options = "
              f"{len(plan.tasks)} runs; {int(ok.sum())} solved, "
              f"{int((~ok).sum())} without a solution")

    def img(title: str, p: Path) -> str:
        data = base64.b64encode(Path(p).read_bytes()).decode("ascii")
        return f"<img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"

    def table_of(df: pd.DataFrame, words: dict | None = None, rows: int = 200) -> str:
        shown = df.rename(columns=words) if words and df is not None else df
        return f"<div class='scroll'>{_html_table(shown, rows)}</div>"

    parts = [f"<h1>Sweep: {html.escape(plan.name)}</h1>",
             f"<p class='lead'>{html.escape(sweep_conclusion(rank, switches, resp))}</p>",
             f"<p class='note'>{html.escape(plan.scenario)} — options "
             f"{html.escape(', '.join(plan.variants))}; design: {html.escape(design)}; "
             f"{counts}. Savings are today's situation minus the option: positive = saved. "
             f"How the sweep was run (solver settings, times): sweep.json.</p>"
             f"<ul>{params}</ul>"]
    for title, p in charts.items():
        if title.startswith("Annual cost against"):
            parts += [f"<h2>{html.escape(title)}</h2>", img(title, p)]
    if len(switches):
        parts += ["<h2>Switch points</h2><p class='note'>Where the best option (or an "
                  "option's design) changes between two swept values; the crossing "
                  "interpolates the two options' costs linearly between them.</p>",
                  table_of(switches, SWITCH_WORDS)]
    parts += ["<h2>Ranking</h2><p class='note'>How often each option is the cheapest at a "
              "point, and its regret: its annual cost minus the cheapest option's at the same "
              "point.</p>", table_of(rank, RANK_WORDS)]
    shown_dist = dist.copy()
    if "kpi" in shown_dist:
        shown_dist["kpi"] = shown_dist["kpi"].map(lambda k: HEADLINE.get(k, k))
    parts += ["<h2>Distribution per option</h2>", table_of(shown_dist, {"variant": "option"})]
    parts += [img(t, p) for t, p in charts.items() if t.startswith("Distribution")]
    if plan.design.one_at_a_time:
        parts += [f"<h2>Tornado: {html.escape(metric)}</h2><p class='note'>Each parameter "
                  "alone at its lowest and highest value, the others as in the scenario. "
                  "Savings are today's situation minus the optimum: positive = saved.</p>",
                  table_of(torn)]
        parts += [img(t, p) for t, p in charts.items() if t.startswith("Tornado")]
    bad = table[~ok]
    if len(bad):
        cols = [c for c in ("variant", "point", "status", "error") if c in bad.columns]
        shown = bad[cols].copy()
        if "error" in shown.columns:
            shown["error"] = shown["error"].astype(str).str.slice(0, 300)
        parts += ["<h2>Points without a solution</h2>", table_of(shown, {"variant": "option"},
                                                                   50)]
    if plan.warnings:
        parts.append("<p class='note'>" + html.escape("; ".join(plan.warnings)) + "</p>")
    if not charts:
        parts.append("<p class='note'>Charts need matplotlib (not installed).</p>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Sweep "
            f"{html.escape(plan.name)}</title><style>{css}</style></head><body>"
            + "".join(parts) + "</body></html>")

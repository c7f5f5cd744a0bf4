"""Scenario sweeps and sensitivity analysis on Dask distributed.

A sweep solves one scenario (and its variants) at many *points*: each point sets a few
scenario values by name, for example ``circuity=1.25`` and ``co2_price_eur_per_t=150``.

Parameters (``Param``) address values of the validated :class:`~clusteropt.scenario.Scenario`:

* ``circuity`` — ``distance.circuity`` (straight-line distances only; 1–3);
* ``co2_price_eur_per_t`` — ``options.co2_price_eur_per_t`` (≥ 0);
* ``empty_share`` — ``options.empty_share`` (0 ≤ e < 1);
* ``interest_rate`` — the rate that annualises one-off costs (0–1);
* ``volume_scale`` — multiplies every demand's tonnes (≥ 0; the base is 1);
* ``vehicle:<id>.<field>`` — a numeric field of a vehicle type, e.g.
  ``vehicle:tractor-semitrailer.cost_eur_per_km``;
* ``site:<id>.<field>`` — a numeric field of a development site or hub
  (``dev_cost_eur``, ``opex_eur_per_yr``, ``fixed_cost_eur_per_yr``, ``handling_eur_per_t``,
  ``handling_h``) or a capacity ``cap_<dim>``, e.g. ``site:agriport-a7.dev_cost_eur``.

Specs (``Spec``): a list ``0,50,100`` or a range ``1.2:1.4:5`` (start:stop:count, both ends
included) give values; all value specs together form a full grid. A distribution
``normal(mean,sd)``, ``triangular(low,mode,high)`` or ``uniform(low,high)`` is sampled
``samples`` times, reproducibly from ``seed`` (one numpy Generator per parameter, seeded by
the seed and the parameter's name, so the first N samples stay the same when N grows). Grid and
samples combine: every grid point with every sample. ``one_at_a_time`` instead varies each
parameter alone (the others at the scenario's own value) around a base point, for a tornado
chart; a distribution then gives its 5 %, 50 % and 95 % quantiles (or ``samples`` draws).

Each (variant × point) is one independent solve (HiGHS, one thread), submitted to a Dask
cluster. Workers receive the validated scenario itself (pickled: every table's content, and the
lane table where it came from a file), never a file path, so a worker on another machine needs
only clusteropt installed. Each point's result is stored as ``DIR/points/<key>.json`` with
``key`` = hash(scenario content hash, variant, parameter values, solve settings): a re-run
skips stored points and an extended sweep solves only the new ones.

Outputs in DIR: ``results.parquet`` and ``results.csv`` (one row per variant × point:
parameters, status, gap, every KPI, the savings split, regret), ``distribution.csv`` and
``boxplots.png`` (cost, truck-km, CO2 per variant), ``ranking.csv`` (how often each variant is
best and its regret), ``tornado.csv``/``tornado.png`` (one-at-a-time sweeps), ``summary.html``
and ``sweep.json`` (what was run).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import html
import itertools
import json
import logging
import math
import os
import pickle
import re
import socket
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusteropt import schema
from clusteropt.errors import Issue, ScenarioError
from clusteropt.scenario import (
    Node,
    Scenario,
    VehicleType,
    load_scenario,
    read_yaml,
)

# the global parameters: name → the schema field it sets (volume_scale is a sweep's own)
_GLOBAL_FIELDS = {"circuity": ("distance", "circuity"),
                  "co2_price_eur_per_t": ("options", "co2_price_eur_per_t"),
                  "empty_share": ("options", "empty_share"),
                  "interest_rate": ("scenario", "interest_rate")}


def _describe(table: str, column: str) -> str:
    f = schema.field(table, column)
    where = column if table == "scenario" else f"{table}.{column}"
    return f"{where}: {f.description} ({f.range_text(docs=True)})"


GLOBAL_PARAMS = {**{name: _describe(*tc) for name, tc in _GLOBAL_FIELDS.items()},
                 "volume_scale": "multiplies every demand's tonnes (≥ 0, base 1)"}
# the numeric fields of vehicle types and sites (the schema's, as the records carry them)
_CARRIED_V = {f.name for f in dataclasses.fields(VehicleType)}
_CARRIED_N = {f.name for f in dataclasses.fields(Node)}
VEHICLE_FIELDS = tuple(f.column for f in schema.plain("vehicles")
                       if f.numeric and f.column in _CARRIED_V)
SITE_FIELDS = tuple(f.column for f in schema.plain("nodes") if f.numeric
                    and f.column in _CARRIED_N and f.column not in ("lat", "lon", "x", "y"))
SITE_KINDS = ("site", "hub")
DISTRIBUTIONS = {"normal": ("mean", "sd"), "triangular": ("low", "mode", "high"),
                 "uniform": ("low", "high")}
OAT_QUANTILES = (0.05, 0.5, 0.95)
SOLVED = ("optimal", "feasible")
HEADLINE = {"total_cost_eur": "annual cost (EUR/yr)", "truck_km": "truck-km (km/yr)",
            "co2_wtw_t": "CO2 WTW (t/yr)"}
SAVING = "saving_total_cost_eur"
EFFECTS = ("relocation", "bundling", "hub_modal", "total")
PARAM_PREFIX = "param:"


def valid_forms(sc: Scenario | None = None) -> str:
    """The parameter names a sweep accepts (with the scenario's ids when given)."""
    lines = [f"  {k} — {v}" for k, v in GLOBAL_PARAMS.items()]
    vids = f" (ids: {', '.join(sc.vehicles)})" if sc is not None else ""
    sids = ""
    if sc is not None:
        sites = [n for n, node in sc.nodes.items() if node.kind in SITE_KINDS]
        sids = f" (ids: {', '.join(sites) or 'none'})"
    lines.append(f"  vehicle:<id>.<field>{vids}; fields: {', '.join(VEHICLE_FIELDS)}")
    lines.append(f"  site:<id>.<field>{sids}; fields: {', '.join(SITE_FIELDS)}, cap_<dim>")
    return "valid parameters:\n" + "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A scenario value addressed by name (see the module docstring for the forms)."""

    name: str
    kind: str  # a GLOBAL_PARAMS key, or "vehicle" / "site"
    target: str | None = None
    field: str | None = None

    @classmethod
    def parse(cls, name: str) -> Param:
        """The parameter a name stands for; ValueError for an unknown form."""
        name = name.strip()
        if name in GLOBAL_PARAMS:
            return cls(name, name)
        m = re.fullmatch(r"(vehicle|site):(.+)\.([A-Za-z_][A-Za-z0-9_]*)", name)
        if m is None:
            raise ValueError(f"unknown parameter '{name}'")
        kind, target, fld = m.groups()
        if kind == "vehicle" and fld not in VEHICLE_FIELDS:
            raise ValueError(f"'{name}': vehicle types have no numeric field '{fld}'")
        if kind == "site" and fld not in SITE_FIELDS and not fld.startswith("cap_"):
            raise ValueError(f"'{name}': sites have no numeric field '{fld}'")
        return cls(name, kind, target, fld)

    def problem(self, sc: Scenario) -> str | None:
        """Why this parameter does not exist in ``sc`` (None when it does)."""
        label = sc.variant or "base"
        if self.kind == "circuity" and sc.distance.method != "straight_line":
            return (f"'{self.name}': circuity applies to straight-line distances only; the "
                    f"scenario ({label}) uses distance method '{sc.distance.method}'")
        if self.kind == "vehicle" and self.target not in sc.vehicles:
            return (f"'{self.name}': no vehicle type '{self.target}' in {label}; vehicle types: "
                    f"{', '.join(sc.vehicles)}")
        if self.kind == "site":
            node = sc.nodes.get(self.target or "")
            sites = [n for n, v in sc.nodes.items() if v.kind in SITE_KINDS]
            if node is None or node.kind not in SITE_KINDS:
                return (f"'{self.name}': no site or hub '{self.target}' in {label}; sites: "
                        f"{', '.join(sites) or 'none'}")
            if self.field.startswith("cap_") and self.field[4:] not in node.capacity:
                return (f"'{self.name}': site '{self.target}' has no capacity "
                        f"'{self.field[4:]}'; it has: {', '.join(node.capacity) or 'none'}")
        return None

    def check(self, value: float) -> str | None:
        """Why ``value`` is not allowed for this parameter (None when it is): the schema's
        range of the field it sets (volume_scale: ≥ 0)."""
        if not math.isfinite(value):
            return f"{self.name} = {value}: expected a finite number"
        f = self.schema_field()
        why = f.check(value) if f is not None else (
            None if value >= 0 else "expected a number ≥ 0")
        return f"{self.name} = {value:g}: {why}" if why else None

    def schema_field(self) -> schema.Field | None:
        """The schema field this parameter sets (None for volume_scale)."""
        table, column = _GLOBAL_FIELDS.get(
            self.kind, ("vehicles" if self.kind == "vehicle" else "nodes", self.field))
        return schema.field(table, column) if column else None

    def get(self, sc: Scenario) -> float | None:
        """The scenario's own value (volume_scale: 1)."""
        if self.kind == "circuity":
            return sc.distance.circuity
        if self.kind in ("co2_price_eur_per_t", "empty_share"):
            return getattr(sc.options, self.kind)
        if self.kind == "interest_rate":
            return sc.interest_rate
        if self.kind == "volume_scale":
            return 1.0
        if self.kind == "vehicle":
            return getattr(sc.vehicles[self.target], self.field)
        node = sc.nodes[self.target]
        if self.field.startswith("cap_"):
            return node.capacity[self.field[4:]]
        return getattr(node, self.field)

    def set(self, sc: Scenario, value: float) -> None:
        """Set the value on ``sc`` in place (use :func:`apply_params` for a checked copy)."""
        value = float(value)
        if self.kind == "circuity":
            sc.distance.circuity = value
        elif self.kind in ("co2_price_eur_per_t", "empty_share"):
            setattr(sc.options, self.kind, value)
        elif self.kind == "interest_rate":
            sc.interest_rate = value
        elif self.kind == "volume_scale":
            for d in sc.demands.values():
                d.tonnes = {p: t * value for p, t in d.tonnes.items()}
        elif self.kind == "vehicle":
            setattr(sc.vehicles[self.target], self.field, value)
        elif self.field.startswith("cap_"):
            sc.nodes[self.target].capacity[self.field[4:]] = value
        else:
            setattr(sc.nodes[self.target], self.field, value)


def resolve_params(names: list[str], scenarios: list[Scenario]) -> dict[str, Param]:
    """Parse the names and check each exists in every scenario; ScenarioError listing every
    problem and the valid forms otherwise."""
    issues, out = [], {}
    for name in names:
        try:
            p = Param.parse(name)
        except ValueError as err:
            issues.append(str(err))
            continue
        for sc in scenarios:
            why = p.problem(sc)
            if why:
                issues.append(why)
                break
        else:
            out[p.name] = p
    if issues:
        issues[-1] += "\n" + valid_forms(scenarios[0] if scenarios else None)
        raise ScenarioError([Issue("--param", None, None, m) for m in issues])
    return out


def apply_params(sc: Scenario, params: dict[str, float]) -> Scenario:
    """A deep copy of ``sc`` with the parameter values set; ScenarioError for an unknown
    parameter or a value out of its range."""
    out = copy.deepcopy(sc)
    issues = []
    for name, value in params.items():
        try:
            p = Param.parse(name)
        except ValueError as err:
            issues.append(Issue("--param", None, None, str(err)))
            continue
        why = p.problem(out) or p.check(float(value))
        if why:
            issues.append(Issue("--param", None, None, why))
            continue
        p.set(out, value)
    if issues:
        raise ScenarioError(issues)
    return out


# ---------------------------------------------------------------------------------------------
# Specs and the design
# ---------------------------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _num(text: str, what: str) -> float:
    text = text.strip()
    if not re.fullmatch(_NUMBER, text):
        raise ValueError(f"expected a number for {what}, got '{text}'")
    return float(text)


@dataclass(frozen=True)
class Spec:
    """Values (list or range) or a distribution for one parameter."""

    text: str
    values: tuple[float, ...] | None = None
    dist: str | None = None
    args: tuple[float, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Spec:
        """``0,50,100``, ``1.2:1.4:5``, ``normal(1,0.1)``, ``triangular(0.8,1,1.3)`` or
        ``uniform(a,b)``; ValueError with what is expected otherwise."""
        t = text.strip().replace(" ", "")
        m = re.fullmatch(r"([a-z_]+)\((.*)\)", t)
        if m:
            dist, inner = m.groups()
            if dist not in DISTRIBUTIONS:
                forms = ", ".join(f"{k}({','.join(v)})" for k, v in DISTRIBUTIONS.items())
                raise ValueError(f"unknown distribution '{dist}'; expected {forms}")
            names = DISTRIBUTIONS[dist]
            parts = inner.split(",") if inner else []
            if len(parts) != len(names):
                raise ValueError(f"{dist} takes {len(names)} numbers ({', '.join(names)}), "
                                 f"got '{text}'")
            args = tuple(_num(p, f"{dist} {n}") for p, n in zip(parts, names))
            if dist == "normal" and not args[1] > 0:
                raise ValueError(f"normal: sd must be > 0, got {args[1]:g}")
            if dist == "triangular" and not (args[0] <= args[1] <= args[2] and args[0] < args[2]):
                raise ValueError("triangular(low,mode,high) needs low ≤ mode ≤ high, low < high")
            if dist == "uniform" and not args[0] < args[1]:
                raise ValueError("uniform(low,high) needs low < high")
            return cls(text, dist=dist, args=args)
        if t.count(":") == 2:
            a, b, n = t.split(":")
            start, stop = _num(a, "a range start"), _num(b, "a range stop")
            if not re.fullmatch(r"\d+", n) or int(n) < 1:
                raise ValueError(f"a range is start:stop:count with a whole count ≥ 1, got '{n}'")
            count = int(n)
            if count == 1 and start != stop:
                raise ValueError("a range with count 1 needs start = stop; use count ≥ 2")
            vals = np.linspace(start, stop, count) if count > 1 else np.array([start])
            # 12 significant digits: 1.3, not 1.2999999999999998, in tables and keys
            return cls(text, values=tuple(float(f"{v:.12g}") for v in vals))
        if not t:
            raise ValueError("empty spec; expected values (0,50,100), a range (1.2:1.4:5) or "
                             "a distribution (normal(1,0.1))")
        vals = tuple(_num(p, "a list value") for p in t.split(","))
        return cls(text, values=tuple(dict.fromkeys(vals)))

    def sample(self, name: str, n: int, seed: int) -> list[float]:
        """``n`` draws; the same (name, seed) gives the same draws, and the first ``n`` of a
        longer run are these."""
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode())])
        draw = getattr(rng, self.dist)(*self.args, size=n)
        return [float(v) for v in draw]

    def quantiles(self, qs=OAT_QUANTILES) -> list[float]:
        from scipy import stats

        if self.dist == "normal":
            d = stats.norm(self.args[0], self.args[1])
        elif self.dist == "uniform":
            d = stats.uniform(self.args[0], self.args[1] - self.args[0])
        else:
            lo, mode, hi = self.args
            d = stats.triang((mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
        return [float(v) for v in d.ppf(qs)]


@dataclass
class Design:
    """The points of a sweep: each a mapping parameter → value. One-at-a-time designs have a
    base point (empty: every value as in the scenario) and ``varied`` names the parameter each
    point moves (None for the base point)."""

    names: list[str]
    points: list[dict[str, float]]
    varied: list[str | None]
    one_at_a_time: bool = False


def make_design(specs: dict[str, Spec], samples: int | None = None, seed: int = 0,
                one_at_a_time: bool = False) -> tuple[Design, list[str]]:
    """The design and any warnings; ValueError for a design that cannot be made."""
    warnings: list[str] = []
    dists = [n for n, s in specs.items() if s.dist]
    if samples is not None and not dists:
        warnings.append("--samples is ignored: no parameter has a distribution")
    if one_at_a_time:
        points: list[dict[str, float]] = [{}]
        varied: list[str | None] = [None]
        for name, spec in specs.items():
            if spec.values is not None:
                vals = list(spec.values)
            elif samples:
                vals = spec.sample(name, samples, seed)
            else:
                vals = spec.quantiles()
            for v in dict.fromkeys(vals):
                points.append({name: v})
                varied.append(name)
        return Design(list(specs), points, varied, True), warnings
    if dists and not samples:
        raise ValueError(f"{', '.join(dists)}: a distribution needs --samples N (how many "
                         f"points to draw)")
    grid_names = [n for n, s in specs.items() if s.values is not None]
    grid = [dict(zip(grid_names, combo))
            for combo in itertools.product(*(specs[n].values for n in grid_names))]
    draws = {n: specs[n].sample(n, samples, seed) for n in dists} if dists else {}
    sampled = [{n: draws[n][i] for n in dists} for i in range(samples)] if dists else [{}]
    points = []
    for s in sampled:  # sample-major: extending --samples appends points
        for g in grid:
            points.append({n: (g | s)[n] for n in specs})
    return Design(list(specs), points, [None] * len(points), False), warnings


def parse_param_options(items: list[str] | dict[str, str]) -> dict[str, Spec]:
    """``NAME=SPEC`` strings (or a mapping) as specs; ScenarioError for bad ones."""
    pairs = list(items.items()) if isinstance(items, dict) else []
    issues = []
    if not isinstance(items, dict):
        for item in items:
            if "=" not in item:
                issues.append(Issue("--param", None, None, f"expected NAME=SPEC, got '{item}'"))
                continue
            name, spec = item.split("=", 1)
            pairs.append((name.strip(), spec))
    specs: dict[str, Spec] = {}
    for name, text in pairs:
        if name in specs:
            issues.append(Issue("--param", None, name, "given twice"))
            continue
        try:
            specs[name] = Spec.parse(str(text))
        except ValueError as err:
            issues.append(Issue("--param", None, name, str(err)))
    if issues:
        raise ScenarioError(issues)
    return specs


# ---------------------------------------------------------------------------------------------
# The plan: scenarios, points, keys
# ---------------------------------------------------------------------------------------------


@dataclass
class Task:
    key: str
    variant: str  # 'base' for the scenario without a variant
    point: int
    params: dict[str, float]


@dataclass
class Plan:
    """Everything a sweep needs: the validated scenario per variant (and its lanes when they
    come from a file), the design, the solve settings and one task per (variant × point)."""

    scenario: str
    name: str
    variants: list[str]
    scenarios: dict[str, Scenario]
    lanes: dict[str, Any]
    specs: dict[str, Spec]
    params: dict[str, Param]
    design: Design
    settings: dict[str, Any]
    samples: int | None
    seed: int
    tasks: list[Task]
    warnings: list[str] = field(default_factory=list)

    def base_value(self, variant: str, name: str) -> float | None:
        return self.params[name].get(self.scenarios[variant])


def point_key(content_hash: str, variant: str, params: dict[str, float],
              settings: dict[str, Any], lanes_hash: str | None = None) -> str:
    """The store key of one point: hash of the scenario's content hash, the variant, the
    parameter values (exact floats) and the solve settings."""
    doc = {"scenario": content_hash, "lanes": lanes_hash, "variant": variant,
           "params": {k: float(v) for k, v in params.items()}, "settings": settings}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:24]


def plan_sweep(scenario: str | Path, params: list[str] | dict[str, str],
               variants: list[str] | tuple[str, ...] = (), samples: int | None = None,
               seed: int = 0, one_at_a_time: bool = False, gap_rel: float | None = None,
               time_limit_s: float | None = None, baseline: bool = True) -> Plan:
    """Load and validate the scenario (each variant), the parameters and specs, and make the
    design and tasks. ``variants``: names, 'base' for none; default base and every variant.
    ``time_limit_s`` 0 = no limit, None = the scenario's. Raises ScenarioError on bad input."""
    path = Path(scenario)
    names = list(variants) or ["base", *(read_yaml(path).get("variants") or {})]
    names = list(dict.fromkeys(names))
    scenarios = {v: load_scenario(path, None if v == "base" else v) for v in names}
    specs = parse_param_options(params)
    if not specs:
        raise ScenarioError([Issue("--param", None, None, "give at least one NAME=SPEC\n"
                                   + valid_forms(next(iter(scenarios.values()))))])
    resolved = resolve_params(list(specs), list(scenarios.values()))
    try:
        design, warnings = make_design(specs, samples, seed, one_at_a_time)
    except ValueError as err:
        raise ScenarioError([Issue("--samples", None, None, str(err))]) from None
    issues = []
    for name, spec in specs.items():  # listed values must be valid (samples may fall outside)
        for v in spec.values or ():
            why = resolved[name].check(v)
            if why:
                issues.append(Issue("--param", None, name, why))
    if issues:
        raise ScenarioError(issues)
    settings = {"gap_rel": gap_rel, "time_limit_s": time_limit_s, "baseline": bool(baseline),
                "threads": 1}
    lanes, lanes_hash = {}, {}
    for v, sc in scenarios.items():
        lanes[v] = None
        lanes_hash[v] = None
        if sc.distance.method != "straight_line":  # from a file: the workers get the table
            from clusteropt.lanes import build_lanes

            ln = build_lanes(copy.deepcopy(sc))
            lanes[v] = ln
            h = hashlib.sha256()
            for arr in (ln.km, ln.time_h, ln.cost_eur_per_t):
                h.update(b"-" if arr is None else np.ascontiguousarray(arr).tobytes())
            h.update(json.dumps(ln.node_ids).encode())
            lanes_hash[v] = h.hexdigest()[:16]
    tasks = [Task(point_key(sc.content_hash, v, pt, settings, lanes_hash[v]), v, i, pt)
             for v, sc in scenarios.items() for i, pt in enumerate(design.points)]
    first = next(iter(scenarios.values()))
    return Plan(str(path), first.name, names, scenarios, lanes, specs, resolved, design,
                settings, samples, seed, tasks, warnings)


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


class Store:
    """``DIR/points/<key>.json``: one finished point each, written atomically."""

    def __init__(self, out: Path):
        self.dir = Path(out) / "points"

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def get(self, key: str) -> dict | None:
        p = self.path(key)
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text())
        except (OSError, ValueError):
            return None  # a torn or foreign file: solve the point again

    def put(self, key: str, doc: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_text(self.path(key), json.dumps(doc, default=_json_default))


def _json_default(v):
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class SweepResult:
    table: pd.DataFrame
    solved: int  # points solved in this run
    reused: int  # points found in the store
    failed: int  # points without a solution (stored; solver or input failure)
    lost: int  # points whose task the cluster could not finish (not stored; re-run them)
    elapsed_s: float
    cluster: str | None
    files: dict[str, Path] = field(default_factory=dict)


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
        files.update(analyse_sweep(plan, table, out, res))
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


def analyse_sweep(plan: Plan, table: pd.DataFrame, out: Path, res: SweepResult | None = None
                  ) -> dict[str, Path]:
    """distribution.csv, ranking.csv, tornado.csv (one-at-a-time), PNG charts (when matplotlib
    is installed) and summary.html."""
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
    page = summary_html(plan, table, dist, rank, torn, metric, charts, res)
    _write_text(out / "summary.html", page)
    files["summary.html"] = out / "summary.html"
    return files


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

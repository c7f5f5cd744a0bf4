"""The design of a sweep: value specs (lists, ranges, distributions), the grid or samples or
one-at-a-time points, and the plan (scenario variants × points, each with its stable key)."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clusteropt.errors import Issue, ScenarioError
from clusteropt.scenario import (
    Scenario,
    load_scenario,
    read_yaml,
)
from clusteropt.sweep.params import (
    DISTRIBUTIONS,
    OAT_QUANTILES,
    Param,
    resolve_params,
    valid_forms,
)

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
            lanes_hash[v] = ln.fingerprint()
    tasks = [Task(point_key(sc.content_hash, v, pt, settings, lanes_hash[v]), v, i, pt)
             for v, sc in scenarios.items() for i, pt in enumerate(design.points)]
    first = next(iter(scenarios.values()))
    return Plan(str(path), first.name, names, scenarios, lanes, specs, resolved, design,
                settings, samples, seed, tasks, warnings)



"""Property-based tests (hypothesis) of the model's invariants on tiny random instances
(``tests/tiny.py``), each under its stated conditions, at gap 0:

* the optimum equals the brute force over every placement (independent reference);
* market closure never raises the optimum of the closed balance (it only adds a choice);
* trips shared on legs never cost more than trips per demand, under the same empty-running
  rule and the same placement (model.md §8: B2 ≤ B1);
* a candidate site more never raises the optimum (no pruning: every empty leg allowed).

Hypothesis draws the instance seeds (and shrinks to the smallest failing one); a few examples
run in the default suite, many more with ``-m slow``.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny import brute_force, close, location, placements, random_tiny, run

from clusteropt.model import Switches

seeds = st.integers(min_value=0, max_value=10**6)
rules = st.sampled_from(["share", "dedicated"])
FAST = settings(max_examples=6, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
LONG = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _optimum_is_the_brute_force(seed: int, rule: str) -> None:
    t = random_tiny(seed).copy(rule=rule)
    with tempfile.TemporaryDirectory() as tmp:
        r = run(t, Path(tmp))
    ref, _ = brute_force(t)
    assert close(r.objective, ref), (seed, rule, r.objective, ref)
    closed, _ = brute_force(t, market=False)
    assert ref <= closed + 1e-6 * max(1.0, closed), (seed, ref, closed)


def _sharing_never_costs(seed: int, rule: str) -> None:
    t = random_tiny(seed).copy(rule=rule)
    pl = random.Random(seed).choice(list(placements(t)))
    with tempfile.TemporaryDirectory() as tmp:
        shared = run(t, Path(tmp) / "s", Switches(placement=pl))
        alone = run(t, Path(tmp) / "a", Switches(placement=pl, bundling=False))
    assert shared.objective <= alone.objective * (1 + 1e-9) + 1e-6, (seed, rule, pl)


def _a_site_more_never_raises(seed: int) -> None:
    t = random_tiny(seed)
    more = t.copy()
    more.nodes["site3"] = location(kind="site", x=30, y=30, cap=50.0, dev=0.0, opex=0.0)
    for g in more.growers.values():
        g["cands"] = [*g["cands"], "site3"]
        g["reloc"]["site3"] = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        base = run(t, Path(tmp) / "b")
        wider = run(more, Path(tmp) / "w")
    assert wider.objective <= base.objective * (1 + 1e-9) + 1e-6, seed


@FAST
@given(seed=seeds, rule=rules)
def test_optimum_is_the_brute_force(seed, rule):
    _optimum_is_the_brute_force(seed, rule)


@FAST
@given(seed=seeds, rule=rules)
def test_sharing_never_costs_more_than_per_demand(seed, rule):
    _sharing_never_costs(seed, rule)


@FAST
@given(seed=seeds)
def test_a_candidate_site_more_never_raises_the_optimum(seed):
    _a_site_more_never_raises(seed)


@pytest.mark.slow
@LONG
@given(seed=seeds, rule=rules)
def test_many_instances(seed, rule):
    _optimum_is_the_brute_force(seed, rule)
    _sharing_never_costs(seed, rule)
    _a_site_more_never_raises(seed)

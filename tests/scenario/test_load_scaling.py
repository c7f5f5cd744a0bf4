"""Loading grows linearly with the number of firms (issue 20): counted, not timed.

The whole-Westland case (scenarios/large/, 587 firms) once took 12 minutes to load because
the plausibility check visited every demand for every activity and looked each commodity's
crop up by iterating over data/yields.csv. These tests count work deterministically: the
Python function calls ``load_scenario`` makes (cProfile's call count, the same on every run
for the same input) on cuts of that case with n and 4n growers (bench/bench_load.py writes
them). Linear work gives a ratio of at most 4 (less: the fixed part); quadratic work 16.
"""

from __future__ import annotations

import cProfile
import importlib.util
import pstats

from clusteropt import defaults
from clusteropt.scenario import load_scenario
from tests.factories import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "bench_load.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _calls(path) -> int:
    prof = cProfile.Profile()
    prof.enable()
    load_scenario(path)
    prof.disable()
    return pstats.Stats(prof).total_calls


def test_load_work_is_linear_in_firms(tmp_path):
    bench = _bench()
    small, large = (bench.write_case(tmp_path / str(n), n) for n in (30, 120))
    load_scenario(small)  # fill the caches (schema, shipped tables) before counting
    ratio = _calls(large) / _calls(small)
    assert ratio < 5, f"4 x the firms costs {ratio:.1f} x the function calls (linear: <= 4)"


def test_replicated_case_has_the_copies(tmp_path):
    """Past 587 firms the benchmark replicates growers under new ids, demands included."""
    bench = _bench()
    sc = load_scenario(bench.write_case(tmp_path, 600))
    growers = [a for a in sc.activities if a.startswith("grower-")]
    assert len(growers) == 600 and "grower-013-2" in growers and "grower-014-2" not in growers
    assert sc.activities["grower-013-2"].node == "farm-013-2"
    assert {d.origin for d in sc.demands.values() if d.id.startswith("grower-013-2-")} >= {
        "grower-013-2"}


def test_crop_of_names_every_crop_and_alias():
    """Each id and alias of data/yields.csv names the first crop (in file order) listing it."""
    table = defaults.yields()
    names = {c: [c, *str(a).split(";")] for c, a in table["aliases"].items()}
    for crop, own in names.items():
        assert defaults.crop_of(f" {crop.upper()} ") == crop
        for name in own:
            assert defaults.crop_of(name) == next(c for c in table.index if name in names[c])


def test_crop_of_unknown_is_none():
    assert defaults.crop_of("green-waste") is None
    assert defaults.crop_of("substrate") is None

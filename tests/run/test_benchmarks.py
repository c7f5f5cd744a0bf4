"""Published reference problems through the ordinary builder, solver and checker
(model.md §10): OR-Library capacitated warehouse location and the multiple-allocation p-hub
median on AP and CAB data must reproduce their published optima to 1e-6 relative.

The data live outside the repository in ``../shared/benchmarks`` (next to the repo root); the
tests are skipped when it is absent. The fast instances run by default: every cap4x…cap12x file
present, AP n = 10, CAB n = 10, one CAB15 case per p, one AP20 and one CAB20 case with p = 2
and two route-form cases (about a minute on 2 cores). The other CAB15, AP n = 20 and 25, CAB
n = 20 and 25 cases, capa (minutes per capacity) and the other route-form cases are marked
``slow`` (``pytest -m slow``).
AP n = 40 and 50 are left to ``bench/bench_published.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from clusteropt.benchmarks import optima as opt
from clusteropt.benchmarks.command import benchmark, run_benchmark
from clusteropt.benchmarks.hub import hub_scenario, read_ap, read_cab
from clusteropt.benchmarks.orlib import cap_scenario, read_cap

DATA = Path(__file__).resolve().parents[3] / "shared" / "benchmarks"
REL = 1e-6

pytestmark = pytest.mark.skipif(not DATA.is_dir(),
                                reason=f"benchmark data not found at {DATA} "
                                       f"(shared/benchmarks next to the repository)")


def _rows(folder: str) -> list[opt.OptimumRow]:
    path = DATA / folder / "optima.csv"
    return opt.read_optima(path) if path.is_file() else []


def _assert_matches(rec: dict, proven: bool = True) -> None:
    assert rec["status"] in (("optimal",) if proven else ("optimal", "feasible")), rec
    assert rec["check"], rec["violations"]
    assert abs(rec["rel_diff"]) <= REL, (f"{rec['instance']} {rec['variant']}: got "
                                         f"{rec['objective']!r}, expected {rec['optimum']!r}")


# ---------------------------------------------------------------------------------------------
# OR-Library cap


def _cap_cases() -> list:
    out = []
    for r in _rows("orlib-cap"):
        path = DATA / "orlib-cap" / f"{r.instance}.txt"
        if r.problem != "cflp" or not path.is_file():
            continue
        cap = r.number("capacity")
        marks = [pytest.mark.slow] if r.instance == "capa" else []
        out.append(pytest.param(r.instance, cap, r.value, marks=marks,
                                id=f"{r.instance}" + (f"-{cap:g}" if cap else "")))
    return out


@pytest.mark.parametrize("name, capacity, optimum", _cap_cases())
def test_orlib_cap_matches_published_optimum(name, capacity, optimum):
    inst = read_cap(DATA / "orlib-cap" / f"{name}.txt")
    rec = run_benchmark(name, "", lambda wd: cap_scenario(inst, capacity, wd), optimum=optimum,
                        time_limit_s=1800)
    # capa (100 × 1000): HiGHS finds the optimum within minutes but on 2 cores did not close
    # the last 2 % of gap in 30 min; a feasible, checked solution must still equal the optimum
    _assert_matches(rec, proven=name != "capa")


def test_read_cap_layout():
    inst = read_cap(DATA / "orlib-cap" / "cap41.txt")
    assert (inst.m, inst.n) == (16, 50)
    assert inst.capacity == [5000.0] * 16
    assert inst.demand.sum() == pytest.approx(58268.0)
    assert sorted(set(inst.fixed_cost)) == [0.0, 7500.0]
    capa = read_cap(DATA / "orlib-cap" / "capa.txt")
    assert (capa.m, capa.n) == (100, 1000) and capa.needs_capacity
    assert capa.capacities(8000.0).tolist() == [8000.0] * 100


def test_cap_scenario_shape(tmp_path):
    inst = read_cap(DATA / "orlib-cap" / "cap41.txt")
    sc = cap_scenario(inst, None, tmp_path)
    sites = [n for n in sc.nodes.values() if n.kind == "site"]
    assert len(sites) == 16 and all(n.supply == {"goods": 5000.0} for n in sites)
    assert {d.kind for d in sc.demands.values()} == {"pooled_demand"}
    assert len(sc.demands) == 50 and [p.weight for p in sc.periods] == [1.0]


def test_zero_demand_customer_is_dropped(tmp_path):
    inst = read_cap(DATA / "orlib-cap" / "cap41.txt")
    inst.demand = inst.demand.copy()
    inst.demand[0] = 0.0
    sc = cap_scenario(inst, None, tmp_path)
    assert len(sc.demands) == 49 and "c1" not in sc.nodes
    assert any("zero demand" in w for w in sc.warnings)


# ---------------------------------------------------------------------------------------------
# p-hub median (AP, CAB): multiple allocation (UMApHMP) rows only


# one larger instance each that still solves in seconds runs by default too (the others of
# AP20-25 and CAB20-25 take 10-50 s each and run with -m slow, to keep the default suite
# under 10 minutes on 2 cores); of CAB15's 20 cases (1-7 s each, 35 s in all) one per p
FAST_EXTRA = {("AP20", 2, 0.75), ("CAB20", 2, 0.4), ("CAB15", 1, 1.0), ("CAB15", 2, 0.8),
              ("CAB15", 3, 0.2), ("CAB15", 4, 0.6)}


def _hub_cases(dataset: str, fast_n: int, form: str) -> list:
    folder = "hub-ap" if dataset == "ap" else "hub-cab"
    out = []
    for r in _rows(folder):
        if r.problem != "UMApHMP":
            continue
        n = int(r.instance.lstrip("APCB"))
        if n > 25:
            continue
        p, a = int(r.number("p")), r.number("alpha")
        fast = n <= fast_n or (r.instance, p, a) in FAST_EXTRA
        out.append(pytest.param(dataset, n, p, a, r.value, form,
                                marks=[] if fast else [pytest.mark.slow],
                                id=f"{r.instance}-p{p}-a{a:g}-{form}"))
    return out


def _hub_instance(dataset: str, n: int):
    return read_ap(DATA / "hub-ap", n) if dataset == "ap" else read_cab(DATA / "hub-cab", n)


@pytest.mark.parametrize("dataset, n, p, alpha, optimum, form",
                         _hub_cases("ap", 10, "arc") + _hub_cases("cab", 10, "arc"))
def test_hub_arc_form_matches_published_optimum(dataset, n, p, alpha, optimum, form):
    inst = _hub_instance(dataset, n)
    rec = run_benchmark(inst.name, f"p={p}", lambda wd: hub_scenario(inst, p, alpha, form, wd),
                        inst.scale, optimum, time_limit_s=1800)
    _assert_matches(rec)


# The route form (one variable per route, O(n^4) variables and a weaker LP bound) on the
# smallest instances: the same optimum. Two run by default (about 10 s each), two are slow.
_ROUTE_FAST = {("ap", 3), ("cab", 2)}
_ROUTE = [pytest.param(*c.values, marks=[] if (c.values[0], c.values[2]) in _ROUTE_FAST
                       else [pytest.mark.slow], id=c.id)
          for c in _hub_cases("ap", 10, "route") + _hub_cases("cab", 10, "route")
          if c.values[1] == 10 and c.values[2] in (2, 3) and c.values[3] in (0.4, 0.75)]


@pytest.mark.parametrize("dataset, n, p, alpha, optimum, form", _ROUTE)
def test_hub_route_form_matches_published_optimum(dataset, n, p, alpha, optimum, form):
    test_hub_arc_form_matches_published_optimum(dataset, n, p, alpha, optimum, form)


def test_read_hub_data():
    ap = read_ap(DATA / "hub-ap", 10)
    assert (ap.n, ap.p, ap.chi, ap.alpha, ap.delta, ap.scale) == (10, 2, 3.0, 0.75, 2.0, 1e-3)
    assert np.all(np.diag(ap.w) > 0)  # AP has intra-district flow: i → k → i
    # the published hubs (1-based 8, 7, 3 for n = 10, p = 3) give the published value
    assert ap.objective([7, 6, 2]) == pytest.approx(131581.79, abs=0.006)
    cab = read_cab(DATA / "hub-cab", 15)
    assert cab.n == 15 and cab.alpha is None and (cab.chi, cab.delta) == (1.0, 1.0)
    assert np.allclose(cab.w, cab.w.T) and np.all(np.diag(cab.w) == 0)


def test_hub_scenario_shape(tmp_path):
    inst = read_ap(DATA / "hub-ap", 10)
    sc = hub_scenario(inst, 3, None, "arc", tmp_path)
    assert sc.variant == "p=3;alpha=0.75"
    assert sum(n.kind == "hub" for n in sc.nodes.values()) == 10
    assert len(sc.activities) == 20 and len(sc.demands) == int((inst.w > 0).sum())
    h = sc.hubs
    assert (h.exact_open, h.direct, h.max_per_route, h.form) == (3, False, 2, "arc")
    assert (h.collection_factor, h.transfer_factor, h.distribution_factor) == (3.0, 0.75, 2.0)


def test_optima_rows_are_matched_by_fields():
    rows = [opt.OptimumRow("CAB10", "UMApHMP", {"p": "2", "alpha": "0.40", "chi": "1"}, 5.0),
            opt.OptimumRow("CAB10", "USApHMP", {"p": "2", "alpha": "0.4"}, 6.0)]
    assert [r.value for r in opt.find(rows, "cab10", "umaphmp", p=2, alpha=0.4)] == [5.0]
    assert opt.find(rows, "CAB10", "UMApHMP", p=3) == []
    assert opt.parse_variant("cflp;capacity=8000") == ("cflp", {"capacity": "8000"})


# ---------------------------------------------------------------------------------------------
# the command


def test_cli_json_keys_and_exit_codes():
    runner = CliRunner()
    res = runner.invoke(benchmark, ["orlib-cap", str(DATA / "orlib-cap" / "cap41.txt"),
                                    "--optima", str(DATA / "orlib-cap" / "optima.csv"),
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out) == 1
    rec = out[0]
    for key in ("instance", "variant", "objective", "optimum", "status", "gap", "build_s",
                "solve_s", "check"):
        assert key in rec
    assert rec["instance"] == "cap41" and rec["variant"] == "capacity=5000"
    assert rec["check"] is True and rec["status"] == "optimal"
    assert rec["objective"] == pytest.approx(1040444.375, rel=REL)
    assert rec["optimum"] == pytest.approx(1040444.375)


def test_cli_capa_needs_capacity():
    res = CliRunner().invoke(benchmark, ["orlib-cap", str(DATA / "orlib-cap" / "capa.txt")])
    assert res.exit_code == 2
    assert "--capacity" in res.output


def test_cli_hub_json_and_cab_alpha_rule():
    runner = CliRunner()
    res = runner.invoke(benchmark, ["hub", "cab", "--data", str(DATA / "hub-cab"), "--n", "10",
                                    "--p", "3", "--alpha", "0.4", "--optima",
                                    str(DATA / "hub-cab" / "optima.csv"), "--format", "json"])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.output)
    assert (rec["instance"], rec["variant"]) == ("CAB10", "p=3;alpha=0.4")
    assert rec["objective"] == pytest.approx(543199067.4748, rel=REL)
    assert rec["optimum"] == pytest.approx(543199067.4748)
    assert rec["open"] == ["h4", "h6", "h7"]
    # CAB has no alpha of its own: without --alpha and --optima it is an input error
    res = runner.invoke(benchmark, ["hub", "cab", "--data", str(DATA / "hub-cab"), "--n", "10",
                                    "--p", "3"])
    assert res.exit_code == 2 and "--alpha" in res.output


def test_cli_table_output():
    res = CliRunner().invoke(benchmark, ["hub", "ap", "--data", str(DATA / "hub-ap"), "--n",
                                         "10", "--p", "2", "--optima",
                                         str(DATA / "hub-ap" / "optima.csv")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split()[:3] == ["instance", "variant", "objective"]
    assert "AP10" in lines[1] and "p=2;alpha=0.75" in lines[1] and "optimal" in lines[1]
    assert "1 of 1" in lines[-1]

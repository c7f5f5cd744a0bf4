"""Sweeps on Dask distributed: parameters and specs, the design, results equal to one-by-one
runs, resuming and extending, a cluster of separate processes that loses a worker."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from clusteropt.errors import ScenarioError
from clusteropt.run import run_scenario
from clusteropt.scenario import load_scenario
from clusteropt.sweep import (
    Param,
    Spec,
    apply_params,
    dask_client,
    make_design,
    plan_sweep,
    run_sweep,
)
from clusteropt.sweep_cli import sweep

ROOT = Path(__file__).resolve().parents[2]
WESTLAND = ROOT / "scenarios" / "westland-mini.yaml"
DASK = Path(sys.executable).parent / "dask"
SOLVED = ("optimal", "feasible")


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes, one thread each, shared by this module."""
    with dask_client(2) as c:
        yield c


# ---------------------------------------------------------------------------------------------
# Parameters, specs, design (no cluster)
# ---------------------------------------------------------------------------------------------


def test_specs_lists_ranges_distributions():
    assert Spec.parse("0,50,100").values == (0.0, 50.0, 100.0)
    assert Spec.parse("1.2:1.4:5").values == pytest.approx((1.2, 1.25, 1.3, 1.35, 1.4))
    assert Spec.parse("7").values == (7.0,)
    s = Spec.parse("triangular(0.8, 1, 1.3)")
    assert (s.dist, s.args) == ("triangular", (0.8, 1.0, 1.3))
    assert Spec.parse("normal(1,0.1)").dist == "normal"
    assert Spec.parse("uniform(2,3)").args == (2.0, 3.0)
    for bad in ("", "a,b", "1:2", "1:2:x", "normal(1)", "gamma(1,2)", "uniform(3,2)",
                "triangular(1,0.5,2)", "normal(1,-1)"):
        with pytest.raises(ValueError):
            Spec.parse(bad)


def test_samples_reproducible_and_prefix_stable():
    spec = Spec.parse("normal(1,0.1)")
    a = spec.sample("circuity", 5, seed=7)
    assert a == spec.sample("circuity", 5, seed=7)
    assert spec.sample("circuity", 9, seed=7)[:5] == a  # more samples extend, never reshuffle
    assert spec.sample("circuity", 5, seed=8) != a
    assert spec.sample("volume_scale", 5, seed=7) != a  # one stream per parameter
    specs = {"circuity": Spec.parse("uniform(1.2,1.4)"), "co2_price_eur_per_t": Spec.parse("0,100")}
    d3, _ = make_design(specs, samples=3, seed=1)
    d5, _ = make_design(specs, samples=5, seed=1)
    assert len(d3.points) == 6 and len(d5.points) == 10
    assert d5.points[:6] == d3.points  # extending appends points
    with pytest.raises(ValueError, match="--samples"):
        make_design(specs, samples=None)


def test_grid_and_one_at_a_time_designs():
    specs = {"circuity": Spec.parse("1.2:1.4:3"), "co2_price_eur_per_t": Spec.parse("0,100")}
    grid, _ = make_design(specs)
    assert len(grid.points) == 6
    assert {(p["circuity"], p["co2_price_eur_per_t"]) for p in grid.points} == {
        (c, x) for c in (1.2, 1.3, 1.4) for x in (0.0, 100.0)}
    oat, _ = make_design(specs | {"volume_scale": Spec.parse("normal(1,0.1)")},
                         one_at_a_time=True)
    assert oat.points[0] == {} and oat.varied[0] is None
    assert all(len(p) == 1 for p in oat.points[1:])
    assert oat.varied.count("circuity") == 3 and oat.varied.count("volume_scale") == 3
    q = [p["volume_scale"] for p in oat.points if "volume_scale" in p]
    assert q == pytest.approx([1 - 0.1644854, 1.0, 1 + 0.1644854], rel=1e-5)


def test_apply_params_on_a_copy():
    sc = load_scenario(WESTLAND)
    tonnes = {d: dict(x.tonnes) for d, x in sc.demands.items()}
    reloc = {a: dict(x.reloc_cost_eur) for a, x in sc.activities.items()}
    assert any(c > 0 for r in reloc.values() for c in r.values())
    out = apply_params(sc, {"circuity": 1.5, "co2_price_eur_per_t": 250, "volume_scale": 2,
                            "relocation_scale": 0.5,
                            "vehicle:tractor-semitrailer.cost_eur_per_km": 1.7,
                            "site:agriport-a7.dev_cost_eur": 1e6, "empty_share": 0.2,
                            "interest_rate": 0.07, "site:agriport-a7.cap_ha": 5})
    assert out.distance.circuity == 1.5 and out.options.co2_price_eur_per_t == 250
    assert out.vehicles["tractor-semitrailer"].cost_eur_per_km == 1.7
    assert out.nodes["agriport-a7"].dev_cost_eur == 1e6
    assert out.nodes["agriport-a7"].capacity["ha"] == 5
    assert out.options.empty_share == 0.2 and out.interest_rate == 0.07
    for d, x in out.demands.items():
        assert x.tonnes == {p: 2 * t for p, t in tonnes[d].items()}
    for a, x in out.activities.items():
        assert x.reloc_cost_eur == {n: 0.5 * c for n, c in reloc[a].items()}
    # the original is untouched
    assert sc.distance.circuity != 1.5 and sc.options.co2_price_eur_per_t == 100
    assert {d: x.tonnes for d, x in sc.demands.items()} == tonnes
    for bad in ({"circuity": 0.5}, {"empty_share": 1.0}, {"volume_scale": -1},
                {"relocation_scale": -0.1},
                {"vehicle:rigid.speed_kmh": 0}, {"vehicle:nope.cost_eur_per_km": 1}):
        with pytest.raises(ScenarioError):
            apply_params(sc, bad)
    assert Param.parse("vehicle:a.b.cost_eur_per_km").target == "a.b"


def test_unknown_parameter_is_input_error(tmp_path):
    with pytest.raises(ScenarioError) as err:
        plan_sweep(WESTLAND, ["cirkuity=1,2", "vehicle:bike.cost_eur_per_km=1",
                              "site:barendrecht.dev_cost_eur=1"])
    text = str(err.value)
    assert "unknown parameter 'cirkuity'" in text
    assert "no vehicle type 'bike'" in text and "no site or hub 'barendrecht'" in text
    assert "vehicle:<id>.<field>" in text and "site:<id>.<field>" in text
    res = CliRunner().invoke(sweep, [str(WESTLAND), "--param", "wind=1,2", "--out",
                                     str(tmp_path / "s")])
    assert res.exit_code == 2
    assert "unknown parameter 'wind'" in res.output and "volume_scale" in res.output
    res = CliRunner().invoke(sweep, [str(WESTLAND), "--param", "circuity=0.5,1.3", "--out",
                                     str(tmp_path / "s")])
    assert res.exit_code == 2 and "between 1 and 3" in res.output
    res = CliRunner().invoke(sweep, [str(WESTLAND), "--param", "circuity=normal(1.3,0.1)",
                                     "--out", str(tmp_path / "s")])
    assert res.exit_code == 2 and "--samples" in res.output
    assert not (tmp_path / "s").exists()


# ---------------------------------------------------------------------------------------------
# On a 2-worker LocalCluster
# ---------------------------------------------------------------------------------------------


def test_sweep_equals_one_by_one(client, tmp_path):
    """One thread per solve, gap 0, no time limit: the sweep gives exactly the results of the
    same points run one by one through run_scenario (baseline and savings split included)."""
    plan = plan_sweep(WESTLAND, ["circuity=1.25,1.4", "volume_scale=uniform(0.8,1.2)"],
                      variants=["base", "growth"], samples=2, seed=3, gap_rel=0.0,
                      time_limit_s=0)
    res = run_sweep(plan, tmp_path / "s", client=client)
    table = res.table
    assert len(table) == 8 and res.solved == 8 and res.lost == 0
    assert table["status"].eq("optimal").all()
    assert table["worker"].nunique() == 2  # both workers took part
    for t, got in zip(plan.tasks, table.to_dict("records")):
        sc = apply_params(load_scenario(WESTLAND, None if t.variant == "base" else t.variant),
                          t.params)
        sc.options.time_limit_s = None
        ref = run_scenario(sc, gap_rel=0.0, threads=1).to_dict()
        assert got["objective_eur"] == ref["objective_eur"]
        for k, v in ref["kpis"].items():
            assert got[k] == v, k
        for eff in ("relocation", "bundling", "hub_modal", "total"):
            for k, v in ref["savings"]["saving"][eff].items():
                assert got[f"saving_{eff}_{k}"] == v
        assert got["param:circuity"] == t.params["circuity"]


def test_outputs_resume_and_extend(client, tmp_path):
    out = tmp_path / "s"
    params = ["circuity=uniform(1.2,1.45)", "co2_price_eur_per_t=0,150"]
    plan = plan_sweep(WESTLAND, params, variants=["base", "everyone-stays"], samples=2,
                      seed=5, baseline=False)
    res = run_sweep(plan, out, client=client)
    assert (res.solved, res.reused, res.lost) == (8, 0, 0)
    for name in ("results.parquet", "results.csv", "distribution.csv", "ranking.csv",
                 "summary.html", "sweep.json", "boxplots.png"):
        assert (out / name).is_file(), name
    assert len(list((out / "points").glob("*.json"))) == 8
    pq = pd.read_parquet(out / "results.parquet")
    assert len(pq) == 8 and {"param:circuity", "param:co2_price_eur_per_t", "status", "gap",
                             "total_cost_eur", "truck_km", "co2_wtw_t", "regret_eur"} <= set(pq)
    rank = pd.read_csv(out / "ranking.csv")
    assert set(rank["variant"]) == {"base", "everyone-stays"}
    assert rank["times_best"].max() == 4  # every point has a best variant
    assert (pq["regret_eur"] >= 0).all()

    # re-running a finished sweep solves nothing and starts no cluster (a dead address)
    again = plan_sweep(WESTLAND, params, variants=["base", "everyone-stays"], samples=2,
                       seed=5, baseline=False)
    res2 = run_sweep(again, out, scheduler="tcp://127.0.0.1:9")
    assert (res2.solved, res2.reused) == (0, 8)
    cols = ["variant", "point", "key", "total_cost_eur"]
    pd.testing.assert_frame_equal(res2.table[cols], res.table[cols])

    # more samples: only the new points are solved; the old keep their keys
    more = plan_sweep(WESTLAND, params, variants=["base", "everyone-stays"], samples=3,
                      seed=5, baseline=False)
    assert [t.key for t in more.tasks if t.point < 4] == [t.key for t in plan.tasks]
    res3 = run_sweep(more, out, client=client)
    assert (res3.solved, res3.reused) == (4, 8)
    assert len(res3.table) == 12
    # different solve settings are different points
    exact = plan_sweep(WESTLAND, params, variants=["base"], samples=2, seed=5, baseline=False,
                       gap_rel=0.0)
    assert not {t.key for t in exact.tasks} & {t.key for t in more.tasks}


def test_failing_point_is_recorded_not_fatal(client, tmp_path):
    spec = Spec.parse("uniform(0.9,1.3)")
    seed = next(s for s in range(100) if {v < 1 for v in spec.sample("circuity", 3, s)}
                == {True, False})
    plan = plan_sweep(WESTLAND, ["circuity=uniform(0.9,1.3)"], variants=["base"], samples=3,
                      seed=seed, baseline=False)
    res = run_sweep(plan, tmp_path / "s", client=client)
    t = res.table
    bad = t["param:circuity"] < 1
    assert (t.loc[bad, "status"] == "invalid").all()
    assert t.loc[bad, "error"].str.contains("between 1 and 3").all()
    assert t.loc[~bad, "status"].eq("optimal").all()
    assert res.failed == int(bad.sum()) and res.lost == 0
    assert len(list((tmp_path / "s" / "points").glob("*.json"))) == 3  # failures are stored
    res2 = run_sweep(plan, tmp_path / "s", client=client)
    assert res2.solved == 0
    res3 = run_sweep(plan, tmp_path / "s", client=client, retry_failed=True)
    assert res3.solved == int(bad.sum())
    assert "Points without a solution" in (tmp_path / "s" / "summary.html").read_text()


def test_cli_one_at_a_time_tornado(client, tmp_path):
    out = tmp_path / "s"
    args = [str(WESTLAND), "--variant", "base", "--param", "co2_price_eur_per_t=0,300",
            "--param", "vehicle:tractor-semitrailer.cost_eur_per_km=triangular(0.9,1.1,1.4)",
            "--one-at-a-time", "--scheduler", client.scheduler.address, "--out", str(out),
            "--gap", "0", "--quiet"]
    res = CliRunner().invoke(sweep, args)
    assert res.exit_code == 0, res.output
    assert "solved 6, reused 0" in res.output
    torn = pd.read_csv(out / "tornado.csv")
    assert list(torn["parameter"]) == sorted(
        torn["parameter"], key=lambda p: -torn.set_index("parameter").loc[p, "swing"])
    assert set(torn["parameter"]) == {"co2_price_eur_per_t",
                                      "vehicle:tractor-semitrailer.cost_eur_per_km"}
    assert (torn["metric"] == "saving_total_cost_eur").all()
    assert (out / "tornado.png").is_file()
    table = pd.read_csv(out / "results.csv")
    base = table[table["varied"] == "base"]
    assert len(base) == 1 and base["param:co2_price_eur_per_t"].iloc[0] == 100  # scenario's
    assert "saving_total_cost_eur" in table
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["one_at_a_time"] and manifest["tasks"] == 6
    res = CliRunner().invoke(sweep, args)  # resumed: nothing to solve
    assert res.exit_code == 0 and "solved 0, reused 6" in res.output


def test_lanes_from_a_file_travel_with_the_task(client, tmp_path, mini_doc, write_scenario):
    """A matrix scenario: the lane table is read here once and sent with the scenario; the
    workers never open the file (it is gone before the sweep)."""
    from clusteropt.lanes import build_lanes

    straight = write_scenario(mini_doc, csv=(), name="straight.yaml")
    build_lanes(load_scenario(straight)).table().to_csv(tmp_path / "matrix.csv", index=False)
    mini_doc["distance"] = {"method": "matrix", "file": "matrix.csv"}
    path = write_scenario(mini_doc, csv=())
    with pytest.raises(ScenarioError, match="straight-line distances only"):
        plan_sweep(path, ["circuity=1.2,1.3"])
    plan = plan_sweep(path, ["volume_scale=0.5,1,2", "site:site-a.dev_cost_eur=0,5e6"],
                      baseline=False)
    (tmp_path / "matrix.csv").unlink()
    res = run_sweep(plan, tmp_path / "s", client=client)
    assert len(res.table) == 6 and res.table["status"].eq("optimal").all()
    assert res.table.groupby("param:volume_scale")["tonne_km"].first().is_monotonic_increasing


# ---------------------------------------------------------------------------------------------
# A scheduler and two workers as separate processes; one is killed mid-sweep
# ---------------------------------------------------------------------------------------------


def _start(cmd: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=cwd, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


def test_separate_processes_and_a_killed_worker(tmp_path):
    from distributed import Client

    # the scenario is loaded here, then its files are removed: workers never read them
    (tmp_path / "scen").mkdir()
    shutil.copy(WESTLAND, tmp_path / "scen" / "westland-mini.yaml")
    shutil.copytree(ROOT / "data" / "westland-mini", tmp_path / "data" / "westland-mini")
    plan = plan_sweep(tmp_path / "scen" / "westland-mini.yaml",
                      ["circuity=uniform(1.2,1.45)", "co2_price_eur_per_t=0,200"],
                      variants=["base"], samples=8, seed=2, baseline=False)
    shutil.rmtree(tmp_path / "scen")
    shutil.rmtree(tmp_path / "data")
    work = tmp_path / "cluster"
    work.mkdir()
    sched_file = work / "scheduler.json"
    procs = [_start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(sched_file)], work,
                    work / "scheduler.log")]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sched_file.is_file(), (work / "scheduler.log").read_text()
        for name in ("w1", "w2"):
            procs.append(_start([str(DASK), "worker", "--scheduler-file", str(sched_file),
                                 "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                 "--name", name, "--death-timeout", "60",
                                 "--local-directory", str(work)], work,
                                work / f"{name}.log"))
        with Client(scheduler_file=str(sched_file), timeout="30s") as c:
            c.wait_for_workers(2, timeout=90)
            by_address = {_address(c, n): proc for n, proc in (("w1", procs[1]),
                                                               ("w2", procs[2]))}
            victim = {"done": 0, "killed": None, "held": [], "after": 0}

            def on_result(row):
                victim["done"] += 1
                if victim["killed"] is None and victim["done"] >= 3:
                    busy = c.processing()  # worker → the points it is working on
                    for addr in sorted(by_address, key=lambda a: a != row["worker"]):
                        if busy.get(addr):
                            os.killpg(by_address[addr].pid, signal.SIGKILL)
                            by_address[addr].wait(timeout=10)
                            victim["killed"], victim["held"] = addr, busy[addr]
                            break
                elif victim["killed"] is not None:
                    victim["after"] += 1

            res = run_sweep(plan, tmp_path / "s", client=c, on_result=on_result)
        # killed mid-sweep, holding at least one point
        assert victim["killed"] and victim["held"] and victim["after"] > 0
        t = res.table
        assert len(t) == 16 and victim["done"] == 16  # each point reported once
        assert t["key"].is_unique and t["status"].eq("optimal").all(), t[["status", "error"]]
        assert res.lost == 0 and res.solved == 16
        assert len(list((tmp_path / "s" / "points").glob("*.json"))) == 16

        # the surviving worker extends the sweep through the command line
        run = CliRunner().invoke(sweep, [
            str(ROOT / "scenarios" / "westland-mini.yaml"), "--variant", "base",
            "--param", "circuity=uniform(1.2,1.45)", "--param", "co2_price_eur_per_t=0,200",
            "--samples", "9", "--seed", "2", "--no-baseline", "--quiet",
            "--scheduler-file", str(sched_file), "--out", str(tmp_path / "s")])
        assert run.exit_code == 0, run.output
        assert "solved 2, reused 16" in run.output  # same content, another path: same keys
    finally:
        for p in reversed(procs):
            _stop(p)


def _address(client, name: str) -> str | None:
    for addr, w in client.scheduler_info()["workers"].items():
        if w.get("name") == name:
            return addr
    return None


def _two_sites_yaml(tmp_path: Path) -> Path:
    """The three growers of tests/factories.growers_case (S1 cap 20 ha, opex 5,000; S2 cap
    30 ha) with two options: 's1-only' (S2 closed: two growers at S1, one stays) costs
    5,000 + 2 × 2,040 + 10,400 = 19,480 EUR/yr whatever S2 costs; 's2-only' (S1 closed: all
    three at S2) costs opex_S2 + 3 × 3,080 = opex_S2 + 9,240. The best option switches
    where opex_S2 = 10,240."""
    import yaml
    from factories import TRUCK

    pts = {"x": (0, 0), "s1": (10, 0), "s2": (0, 20), "h1": (100, 0), "h2": (0, 100),
           "h3": (-100, 0)}
    rows = ["from,to,distance_km"] + [
        f"{a},{b},{((xa - xb) ** 2 + (ya - yb) ** 2) ** 0.5!r}"
        for a, (xa, ya) in pts.items() for b, (xb, yb) in pts.items() if a != b]
    (tmp_path / "lanes.csv").write_text("\n".join(rows) + "\n")
    doc = {"name": "two-sites", "interest_rate": 0.0, "lifetime_years": 10,
           "options": {"gap_rel": 0.0, "time_limit_s": None, "empty_share": 0.2,
                       "empty_running": "dedicated"},
           "distance": {"method": "matrix", "file": "lanes.csv"},
           "tables": {
               "nodes": [{"id": "x"}, {"id": "h1"}, {"id": "h2"}, {"id": "h3"},
                         {"id": "s1", "kind": "site", "cap_ha": 20, "opex_eur_per_yr": 5000},
                         {"id": "s2", "kind": "site", "cap_ha": 30, "opex_eur_per_yr": 2000}],
               "activities": [{"id": "auction", "node": "x"}] + [
                   {"id": f"g{i}", "node": f"h{i}", "movable": True, "candidates": "s1;s2",
                    "size_ha": 10, "reloc_cost_eur": 10000} for i in (1, 2, 3)],
               "commodities": [{"id": "veg", "load_class": "food"}],
               "demands": [{"id": f"d{i}", "origin": f"g{i}", "destination": "auction",
                            "commodity": "veg", "tonnes_per_period": 10} for i in (1, 2, 3)],
               "vehicles": [TRUCK]},
           "variants": {"s1-only": {"fix": {"sites": {"s2": "closed"}}},
                        "s2-only": {"fix": {"sites": {"s1": "closed"}}}}}
    path = tmp_path / "two-sites.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_sweep_summary_finds_the_switch_point(client, tmp_path):
    """One parameter swept alone: each option's cost against it (response.csv, the chart),
    the switch point between the two swept values around the hand-solved 10,240 EUR/yr with
    the crossing there (both lines are straight), and the summary page answers in words
    without solver internals."""
    path = _two_sites_yaml(tmp_path)
    plan = plan_sweep(path, ["site:s2.opex_eur_per_yr=0:20000:5"],
                      variants=["s1-only", "s2-only"], gap_rel=0.0, time_limit_s=0,
                      baseline=False)
    out = tmp_path / "s"
    run_sweep(plan, out, client=client)  # writes the results and the analysis
    resp = pd.read_csv(out / "response.csv")
    s1 = resp[resp.variant == "s1-only"]
    s2 = resp[resp.variant == "s2-only"].sort_values("value")
    assert s1.metric.tolist() == pytest.approx([19_480.0] * 5)
    assert s2.metric.tolist() == pytest.approx([v + 9_240.0 for v in s2.value])
    sw = pd.read_csv(out / "switch_points.csv")
    best = sw[sw.kind == "best option"]
    assert len(best) == 1
    r = best.iloc[0]
    assert (r.from_value, r.to_value) == (10_000, 15_000)
    assert (r.before, r.after) == ("s2-only", "s1-only")
    assert r.estimate == pytest.approx(10_240.0)
    assert (out / "response.png").is_file()
    page = (out / "summary.html").read_text(encoding="utf-8")
    lead = page.split("<p class='lead'>")[1].split("</p>")[0]
    assert "the best option changes: &#x27;s2-only&#x27; up to 10,000" in lead
    assert "≈ 10,240" in lead
    for internal in ("mip_rel_gap", "threads", "Solver settings", "tcp://", "build_s",
                     "best_bound"):
        assert internal not in page, internal

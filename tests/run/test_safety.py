"""Never lose a user's files or a solution (issue: safe outputs, time limits that keep the
answer, Ctrl-C that stops). Each test is the exact reproduction of a reported failure:

* ``run d2/scenario.yaml --out d2 --force`` deleted the scenario and its tables;
* ``cd d3; run scenario.yaml --out . --force`` deleted everything in d3;
* ``--force`` replaced a folder holding a user's own file;
* ``run verkassen.yaml --time-limit 5`` threw the optimum away when a baseline step had no
  time left, and summary.json recorded 60 s;
* one Ctrl-C during the Verkassen solve was ignored; SIGTERM while writing left a hidden
  ``.out.XXXX`` folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clusteropt import interrupt
from clusteropt.outputs import MANIFEST, OutputError, check_out, write_folder

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "clusteropt"
MINI = ROOT / "scenarios" / "westland-mini.yaml"
VERKASSEN = ROOT / "scenarios" / "verkassen.yaml"
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "PATH": str(CLI.parent),
       "PYTHONPATH": os.environ.get("PYTHONPATH", "")}  # a worktree's code first


def _copy_mini(folder: Path) -> Path:
    """westland-mini as a user's study: scenario.yaml and data/ in ``folder``."""
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "westland-mini", folder / "data")
    text = MINI.read_text().replace("../data/westland-mini/", "data/")
    (folder / "scenario.yaml").write_text(text)
    return folder / "scenario.yaml"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _cli(*args, cwd: Path | None = None, timeout: float = 300):
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=timeout)


def test_out_into_the_scenario_folder_is_refused(tmp_path):
    scen = _copy_mini(tmp_path / "d2")
    before = _tree(tmp_path / "d2")
    res = _cli("run", scen, "--out", tmp_path / "d2", "--force", "--no-baseline")
    assert res.returncode == 2, res.stderr
    assert "holds the input" in res.stderr and "Traceback" not in res.stderr
    assert _tree(tmp_path / "d2") == before


def test_out_dot_is_refused(tmp_path):
    scen = _copy_mini(tmp_path / "d3")
    before = _tree(tmp_path / "d3")
    res = _cli("run", "scenario.yaml", "--out", ".", "--force", "--no-baseline",
               cwd=tmp_path / "d3")
    assert res.returncode == 2
    assert "working directory" in res.stderr
    assert _tree(tmp_path / "d3") == before and scen.is_file()
    # a folder above the working directory neither
    res = _cli("run", "scenario.yaml", "--out", "..", "--force", "--no-baseline",
               cwd=tmp_path / "d3")
    assert res.returncode == 2 and _tree(tmp_path / "d3") == before


def test_force_keeps_a_users_file_and_replaces_only_its_own(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.docx").write_bytes(b"my notes")
    res = _cli("run", MINI, "--out", out, "--force", "--no-baseline")
    assert res.returncode == 2
    assert "notes.docx" in res.stderr and "did not write" in res.stderr
    assert (out / "notes.docx").read_bytes() == b"my notes"
    assert sorted(p.name for p in out.iterdir()) == ["notes.docx"]
    # a folder clusteropt wrote is replaced with --force, and refused without it
    mine = tmp_path / "mine"
    assert _cli("run", MINI, "--out", mine, "--no-baseline").returncode == 0
    assert (mine / MANIFEST).is_file() and (mine / "summary.json").is_file()
    res = _cli("run", MINI, "--out", mine, "--no-baseline")
    assert res.returncode == 2 and "--force" in res.stderr
    first = json.loads((mine / "summary.json").read_text())
    assert _cli("run", MINI, "--out", mine, "--force", "--gap", "0").returncode == 0
    again = json.loads((mine / "summary.json").read_text())
    assert first["savings"] is None and again["savings"] is not None
    # ... unless a user has put a file of their own in it since
    (mine / "sub").mkdir()
    (mine / "sub" / "mine.txt").write_text("keep me")
    res = _cli("run", MINI, "--out", mine, "--force", "--no-baseline")
    assert res.returncode == 2 and "sub/mine.txt" in res.stderr
    assert (mine / "sub" / "mine.txt").read_text() == "keep me"
    assert not list(tmp_path.glob(".*"))  # no temporary folder left anywhere


def test_check_out_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scen = _copy_mini(tmp_path / "study")
    for bad in (tmp_path, tmp_path.parent, tmp_path / "study", tmp_path / "study" / "data"):
        with pytest.raises(OutputError):
            check_out(bad, [scen, tmp_path / "study" / "data" / "nodes.csv"], force=True)
    check_out(tmp_path / "study" / "results", [scen], force=False)  # a new folder is fine
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_out(tmp_path / "a-file", [scen], force=True)


def test_an_interrupted_write_leaves_nothing(tmp_path):
    out = tmp_path / "out"

    def writer(tmp: Path) -> None:
        (tmp / "summary.json").write_text("{}")
        raise interrupt.Interrupted(signal.SIGTERM)

    with pytest.raises(interrupt.Interrupted):
        write_folder(out, writer)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_time_limit_keeps_the_answer(tmp_path):
    """--time-limit 10 is the limit of the whole run: the optimum is written with its status
    and gap; a baseline step that has no time left is reported as unavailable, with why.
    (At 5 s, loading and building took nearly all of the optimum's 3.5 s on a loaded machine,
    and HiGHS had no time for the root LP that gives the bound.)"""
    out = tmp_path / "vk"
    t0 = time.perf_counter()
    res = _cli("run", VERKASSEN, "--time-limit", "10", "--gap", "0", "--out", out,
               "--format", "json")
    elapsed = time.perf_counter() - t0
    assert res.returncode == 0, res.stderr
    doc = json.loads((out / "summary.json").read_text())
    assert doc["status"] in ("feasible", "optimal")
    assert doc["gap"] is not None
    assert doc["run"]["time_limit_s"] == 10.0
    limits = doc["run"]["time_limits_s"]
    assert limits["optimum_s"] <= 0.7 * 10 + 1e-9
    if doc["savings"] is None:
        assert "no time left" in doc["baseline_unavailable"] \
            or "no solution" in doc["baseline_unavailable"]
    assert elapsed < 40  # it used to run 40 s and write nothing


def test_ctrl_c_stops_the_solve(tmp_path):
    """SIGINT 2 s into the Verkassen solve: exit 130 within a few seconds, nothing written,
    no temporary folder left."""
    out = tmp_path / "vk"
    p = subprocess.Popen([str(CLI), "run", str(VERKASSEN), "--gap", "0", "--time-limit", "300",
                          "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=ENV)
    time.sleep(4.0)  # imports, loading and building take about 2 s
    p.send_signal(signal.SIGINT)
    t0 = time.perf_counter()
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert time.perf_counter() - t0 < 15
    assert "interrupted (SIGINT)" in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_sigterm_with_keep_incumbent_writes_it_marked(tmp_path):
    out = tmp_path / "vk"
    p = subprocess.Popen([str(CLI), "run", str(VERKASSEN), "--gap", "0", "--time-limit", "300",
                          "--out", str(out), "--keep-incumbent"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=ENV)
    time.sleep(6.0)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=90)
    assert p.returncode == 143, err
    if "was written to" in err:  # an incumbent was found before the signal
        doc = json.loads((out / "summary.json").read_text())
        assert doc["interrupted"] == "SIGTERM" and doc["savings"] is None
        assert "Interrupted (SIGTERM)" in (out / "report.html").read_text()
    else:
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] in ([], ["vk"])


def test_a_stop_during_the_baseline_keeps_the_optimum(monkeypatch, tmp_path, mini_doc):
    """--keep-incumbent: a signal while today's situation is solved keeps the optimum (proven),
    marked interrupted and without savings; without it the stop is passed on."""
    import clusteropt.run as run_module
    from clusteropt.scenario import scenario_from_dict

    def stopped(*args, **kwargs):
        raise interrupt.Interrupted(signal.SIGTERM)

    monkeypatch.setattr(run_module, "savings_split", stopped)
    sc = scenario_from_dict(mini_doc, base_dir=tmp_path)
    with pytest.raises(interrupt.Interrupted) as kept:
        run_module.run_scenario(sc, keep_interrupted=True)
    out = kept.value.outcome
    assert out is not None and out.report.status == "optimal"
    assert out.interrupted == "SIGTERM" and out.savings is None
    assert "interrupted (SIGTERM) during the baseline" in out.baseline_unavailable
    with pytest.raises(interrupt.Interrupted) as passed_on:
        run_module.run_scenario(sc)
    assert passed_on.value.outcome is None

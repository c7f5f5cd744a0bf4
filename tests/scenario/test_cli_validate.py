"""The installed ``clusteropt`` command: ``validate`` and ``lanes``.

Bad input exits with status 2 and a file/row/column message on stderr, never a traceback."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main

CLI = Path(sys.executable).parent / "clusteropt"
EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "westland-mini.yaml"


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *map(str, args)], check=False, capture_output=True,
                          text=True, cwd=cwd, timeout=120,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


def assert_input_error(res: subprocess.CompletedProcess) -> None:
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "Traceback" not in out, out
    assert "error:" in res.stderr


def test_cli_is_installed():
    assert CLI.is_file(), f"{CLI} missing: pip install -e . in the venv"


def test_validate_example_exits_0_and_prints_counts():
    res = run("validate", EXAMPLE)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "westland-mini" in out
    assert "1 gateway, 6 location, 2 site" in out
    assert "7 (3 movable)" in out
    assert "14,508 t/yr" in out  # 8 demands, 279 t/week × 52
    for name in ("everyone-stays", "agriport-only", "prinsenland-only", "growth"):
        assert name in out
    assert "valid" in out
    assert "Traceback" not in res.stderr


def test_validate_broken_scenario_exits_2_with_locations(mini_doc, write_scenario):
    mini_doc["tables"]["nodes"][0]["kind"] = "factory"
    mini_doc["tables"]["demands"][1]["tonnes_per_period"] = -5
    path = write_scenario(mini_doc)
    res = run("validate", path, cwd=path.parent)
    assert_input_error(res)
    assert "nodes.csv, row 2, column 'kind': expected 'location'" in res.stderr
    assert "got 'factory'" in res.stderr
    assert "demands.csv, row 3, column 'tonnes_per_period': expected a number ≥ 0" in res.stderr
    assert "problem(s) in the input" in res.stderr
    assert "valid" not in res.stdout


def test_validate_bad_yaml_and_missing_file_exit_2_together(tmp_path):
    """Every scenario given is checked; bad YAML names its line, a missing file says so."""
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ntables: [nodes: a.csv\n", encoding="utf-8")
    res = run("validate", path, tmp_path / "nope.yaml")
    assert_input_error(res)
    assert "2 problem(s)" in res.stderr
    assert "broken.yaml, line " in res.stderr and "not valid YAML" in res.stderr
    assert "line 2" in res.stderr
    assert "nope.yaml: scenario file not found" in res.stderr


def test_validate_point_outside_crs_area_exits_2(mini_doc, write_scenario):
    mini_doc["tables"]["nodes"][1].update(lat=4.25, lon=51.98)  # lat and lon swapped
    res = run("validate", write_scenario(mini_doc))
    assert_input_error(res)
    assert "area of use of EPSG:28992" in res.stderr
    assert "column 'lat'" in res.stderr


def test_validate_checks_every_variant(mini_doc, write_scenario):
    mini_doc["variants"] = {"ok": {"interest_rate": 0.06},
                            "bad": {"tables": {"demands": [{"id": "ghost", "drop": True}]}}}
    res = run("validate", write_scenario(mini_doc))
    assert_input_error(res)
    assert "scenario.yaml:variants.bad:tables.demands, row 1, column 'id'" in res.stderr


def test_validate_malformed_variant_fix_has_no_traceback(mini_doc, write_scenario):
    mini_doc["variants"] = {"odd": {"fix": {"sites": ["site-b"]}}}
    assert_input_error(run("validate", write_scenario(mini_doc)))


def test_lanes_writes_csv_and_refuses_to_overwrite(mini_doc, write_scenario, tmp_path):
    scenario = write_scenario(mini_doc)
    out = tmp_path / "lanes.csv"
    res = CliRunner().invoke(main, ["lanes", str(scenario), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["from", "to", "distance_km"]
    n = len(mini_doc["tables"]["nodes"])
    assert len(table) == n * (n - 1)
    assert (table["from"] != table["to"]).all()
    assert (table.distance_km > 0).all()
    km = table.set_index(["from", "to"]).distance_km
    assert km["farm-1", "market"] == pytest.approx(km["market", "farm-1"])

    out.write_text("keep me\n")
    res = run("lanes", scenario, "-o", out)  # installed command: exit 2, no traceback
    assert_input_error(res)
    assert "--force" in res.stderr
    assert out.read_text() == "keep me\n"

    res = CliRunner().invoke(main, ["lanes", str(scenario), "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out).equals(table)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_lanes_on_broken_scenario_exits_2_and_writes_nothing(mini_doc, write_scenario, tmp_path):
    broken = copy.deepcopy(mini_doc)
    broken["tables"]["activities"][1]["node"] = "nowhere"
    out = tmp_path / "lanes.csv"
    res = run("lanes", write_scenario(broken), "-o", out)
    assert_input_error(res)
    assert "activities.csv, row 3, column 'node': unknown node 'nowhere'" in res.stderr
    assert not out.exists()

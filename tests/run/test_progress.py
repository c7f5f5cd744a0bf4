"""Live progress: a run that takes a few seconds reports incumbent, bound and gap on stderr
while HiGHS works; --quiet prints only the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_core import synthetic  # noqa: E402

CLI = str(Path(sys.executable).parent / "clusteropt")


def _scenario(tmp_path: Path) -> Path:
    doc = synthetic(60, 10, 10, 3, seed=4)
    doc["options"] = {"time_limit_s": 3, "gap_rel": 0.0}
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(doc, default=float))))
    return path


def test_progress_shown_and_quiet_hides_it(tmp_path):
    path = _scenario(tmp_path)
    shown = subprocess.run([CLI, "run", str(path), "--no-baseline"], capture_output=True,
                           text=True, timeout=300)
    assert shown.returncode in (0, 1), shown.stderr
    lines = [ln for ln in shown.stderr.splitlines() if "solving" in ln]
    assert lines, shown.stderr
    assert "incumbent" in lines[0] and "gap" in lines[0]
    quiet = subprocess.run([CLI, "run", str(path), "--no-baseline", "--quiet"],
                           capture_output=True, text=True, timeout=300)
    assert "solving" not in quiet.stderr
    assert "total_cost_eur" in quiet.stdout

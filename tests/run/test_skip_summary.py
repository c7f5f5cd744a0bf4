"""The test run ends with what it skipped and why (issue 23 item 6): a small suite run with the
plugin of tests/skipsummary.py names its skipped groups with their reasons and counts the
deselected slow tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_the_run_names_skipped_groups_and_why(tmp_path):
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n"
        "from skipsummary import pytest_terminal_summary  # noqa: F401\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: long\n")
    group = tmp_path / "tests" / "bench"
    group.mkdir(parents=True)
    (group / "test_data.py").write_text(
        "import pytest\n"
        "pytestmark = pytest.mark.skipif(True, reason='benchmark data absent (../shared)')\n"
        "def test_a(): pass\n"
        "def test_b(): pass\n")
    (tmp_path / "tests" / "test_other.py").write_text(
        "import pytest\n"
        "def test_runs(): assert 1 + 1 == 2\n"
        "@pytest.mark.slow\n"
        "def test_long(): pass\n"
        "def test_browser(): pytest.skip('no headless Chromium')\n")
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-m", "not slow", "tests"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "what was not run, and why" in out
    assert "skipped 2 in bench/test_data.py: benchmark data absent (../shared)" in out
    assert "skipped 1 in test_other.py: no headless Chromium" in out
    assert "not run: 1 deselected by -m 'not slow' (make test-slow runs the slow ones)" in out

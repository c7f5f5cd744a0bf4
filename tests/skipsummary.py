"""A pytest plugin (registered in conftest.py): the run ends with what it did not run and why —
each group of skipped tests (tests/<group>/<file>) with its reason, and the tests that the
marker expression deselected (``-m 'not slow'`` by default; ``make test-slow`` runs them)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest


def _group(nodeid: str) -> str:
    """'tests/run/test_benchmarks.py::test_x[a]' → 'run/test_benchmarks.py'."""
    path = Path(nodeid.split("::", 1)[0])
    parts = path.parts[1:] if path.parts and path.parts[0] == "tests" else path.parts
    return "/".join(parts)


def _reason(report) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ").strip()


def summary_lines(stats: dict, markexpr: str, keyword: str = "") -> list[str]:
    """The lines of the summary: one per (group, reason) of skipped tests, then the
    deselected tests counted; empty when everything ran."""
    skipped = Counter((_group(r.nodeid), _reason(r)) for r in stats.get("skipped", [])
                      if getattr(r, "when", "") in ("setup", "call"))
    lines = [f"skipped {n} in {group}: {reason}" for (group, reason), n in sorted(skipped.items())]
    deselected = sum(len(getattr(r, "items", [r])) for r in stats.get("deselected", []))
    if deselected:
        how = " and ".join(x for x in (f"-m '{markexpr}'" if markexpr else "",
                                       f"-k '{keyword}'" if keyword else "") if x)
        how = f" by {how}" if how else ""
        lines.append(f"not run: {deselected} deselected{how}"
                     + (" (make test-slow runs the slow ones)" if "slow" in markexpr else ""))
    return lines


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = summary_lines(terminalreporter.stats, config.getoption("markexpr", "") or "",
                          config.getoption("keyword", "") or "")
    if not lines:
        return
    terminalreporter.section("what was not run, and why", sep="-")
    for line in lines:
        terminalreporter.write_line(line)

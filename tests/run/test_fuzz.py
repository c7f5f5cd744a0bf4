"""The fuzzer as a test suite (hypothesis): malformed variants of a small study, each through
``clusteropt validate`` and, where it validates, ``clusteropt run --out``, as a careless or
unlucky user would make them. For every one:

* the exit status is 0 or 2 — never a traceback (exit 1 from the internal-error path), never
  1 on bad input;
* every problem reported names a file of the study (and a row and column for a table, a key
  for the YAML), and a cell whose value breaks the schema is reported at that file, row and
  column;
* nothing outside ``--out`` is touched, and ``--out`` holds a whole result or nothing.

Mutations: a table cell set to NaN, ±inf, a negative, zero, 1e300, 1e-300, text, markup,
empty or a list; a column removed; an id duplicated; a table emptied (header only) or saved
in another encoding; a YAML key set to a bad value, given twice, or left out; a variant that
fixes an activity at a site it closes. A few examples run by default, hundreds with
``-m slow``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from clusteropt import schema

STUDY = ROOT / "data" / "westland-mini"
TABLES = ("nodes", "activities", "commodities", "demands")
BAD_VALUES = ["nan", "inf", "-inf", "-1", "0", "1e300", "1e-300", "abc", "[/bold]x", "",
              "a;b", "[red]x", "99999999999999999999"]
YAML_KEYS = ["name", "crs", "interest_rate", "lifetime_years", "options.time_limit_s",
             "options.gap_rel", "options.co2_price_eur_per_t", "options.empty_share",
             "options.solver", "options.check_tolerance", "site_rules.max_open",
             "site_rules.budget_eur_per_yr", "hubs.transfer_factor", "distance.circuity",
             "options.empty_running", "periods"]
YAML_VALUES = [".nan", ".inf", "-5", "0", "1e300", "[a, b]", "{x: 1}", "'text'", "null",
               "NOSUCH", "EPSG:99999"]
LOCATION = re.compile(r"^  (?P<file>[^,:]+(?:\.csv|\.yaml))(?::[^,]*)?"
                      r"(?:, (?:row|line) (?P<row>\d+)|, \d+ rows \([^)]*\))?"
                      r"(?:, (?:column|key) '(?P<col>[^']+)')?: ")


def _study(tmp: Path) -> Path:
    shutil.copytree(STUDY, tmp / "data")
    text = (ROOT / "scenarios" / "westland-mini.yaml").read_text(encoding="utf-8")
    (tmp / "scenario.yaml").write_text(text.replace("../data/westland-mini/", "data/"),
                                       encoding="utf-8")
    return tmp / "scenario.yaml"


def _tree(folder: Path, skip: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and skip not in p.parents}


def _mutate(tmp: Path, kind: str, table: str, row: int, col: int, value: str,
            key: str, yvalue: str) -> tuple[str, int, str, str] | None:
    """Apply one mutation; returns (file, row, column, value) of a mutated cell, else None."""
    path = tmp / "data" / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    scen = tmp / "scenario.yaml"
    if kind == "cell":
        r, c = row % len(frame), frame.columns[col % len(frame.columns)]
        frame.loc[r, c] = value
        frame.to_csv(path, index=False)
        return f"data/{table}.csv", r + 2, c, value
    if kind == "drop_column":
        frame.drop(columns=frame.columns[col % len(frame.columns)]).to_csv(path, index=False)
    elif kind == "duplicate_id":
        pd.concat([frame, frame.iloc[[row % len(frame)]]]).to_csv(path, index=False)
    elif kind == "empty_table":
        frame.iloc[0:0].to_csv(path, index=False)
    elif kind == "encoding":
        frame.loc[row % len(frame), frame.columns[1]] = "Zoë café"
        path.write_bytes(frame.to_csv(index=False).encode("cp1252"))
    elif kind in ("yaml_value", "yaml_twice", "yaml_missing"):
        text = scen.read_text(encoding="utf-8")
        head, _, sub = key.partition(".")
        if kind == "yaml_missing":
            text = re.sub(rf"(?m)^{head}:.*\n(?:  .*\n)*", "", text, count=1)
        elif not sub:
            text = re.sub(rf"(?m)^{head}:.*$", f"{head}: {yvalue}", text, count=1) \
                if re.search(rf"(?m)^{head}:", text) else f"{head}: {yvalue}\n" + text
            if kind == "yaml_twice":
                text = f"{head}: {yvalue}\n" + text
        else:
            block = f"{head}:\n  {sub}: {yvalue}\n" + (f"  {sub}: 1\n" if kind == "yaml_twice"
                                                        else "")
            if re.search(rf"(?m)^{head}:", text):
                text = re.sub(rf"(?m)^{head}:.*$", block.rstrip("\n"), text, count=1)
            else:
                text = block + text
        scen.write_text(text, encoding="utf-8")
    elif kind == "conflicting_fix":
        text = scen.read_text(encoding="utf-8").replace(
            "variants:\n", "variants:\n  conflict:\n    fix:\n      placement: "
                           "{grower-tomato: agriport-a7}\n      sites: {agriport-a7: closed}\n")
        scen.write_text(text, encoding="utf-8")
    return None


def _check_one(kind, table, row, col, value, key, yvalue) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        scen = _study(tmp)
        cell = _mutate(tmp, kind, table, row, col, value, key, yvalue)
        before = _tree(tmp, tmp / "out")
        runner = CliRunner()
        res = runner.invoke(main, ["validate", str(scen), "--variant", "everyone-stays"])
        assert res.exit_code in (0, 2), (kind, table, value, key, yvalue, res.output)
        assert "internal error" not in res.output and "Traceback" not in res.output
        if res.exit_code == 2:
            lines = [ln for ln in res.output.splitlines() if ln.startswith("  ")
                     and not ln.startswith("   ")]
            located = [LOCATION.match(ln.replace(str(tmp) + "/", "")) for ln in lines]
            assert lines and all(located), (kind, table, value, key, yvalue, res.output)
            if cell is not None:
                file, r, c, v = cell
                f = schema.field(table, c)
                if f is not None and f.numeric and v not in ("",) and f.check(v):
                    assert any(m["file"] == file and m["row"] == str(r) and m["col"] == c
                               for m in located if m), (cell, res.output)
        else:
            res = runner.invoke(main, ["run", str(scen), "--out", str(tmp / "out"),
                                       "--time-limit", "20", "--no-baseline", "--format",
                                       "json"])
            assert res.exit_code in (0, 2), (kind, table, value, key, yvalue, res.output)
            assert "internal error" not in res.output, res.output
            out = tmp / "out"
            if res.exit_code == 0:
                assert (out / "summary.json").is_file() and (out / "report.html").is_file()
            else:
                assert not out.exists()
        assert _tree(tmp, tmp / "out") == before  # nothing outside --out touched
        assert not [p for p in tmp.iterdir() if p.name.startswith(".")]  # no temp folder


mutations = st.tuples(
    st.sampled_from(["cell"] * 6 + ["drop_column", "duplicate_id", "empty_table", "encoding",
                                    "yaml_value", "yaml_value", "yaml_twice", "yaml_missing",
                                    "conflicting_fix"]),
    st.sampled_from(TABLES), st.integers(0, 20), st.integers(0, 20), st.sampled_from(BAD_VALUES),
    st.sampled_from(YAML_KEYS), st.sampled_from(YAML_VALUES))


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(m=mutations)
def test_malformed_studies_exit_0_or_2_and_name_the_place(m):
    _check_one(*m)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=mutations)
def test_many_malformed_studies(m):
    _check_one(*m)


@pytest.mark.parametrize("m", [
    ("cell", "nodes", 0, 0, "[/bold]x", "name", "x"),  # markup as a node id
    ("cell", "activities", 0, 0, "[red]grower", "name", "x"),
    ("encoding", "nodes", 1, 1, "x", "name", "x"),  # a CSV that is not UTF-8
    ("yaml_value", "nodes", 0, 0, "x", "options.solver", "NOSUCH"),
    ("yaml_value", "nodes", 0, 0, "x", "site_rules.budget_eur_per_yr", ".nan"),
    ("yaml_value", "nodes", 0, 0, "x", "options.co2_price_eur_per_t", ".inf"),
    ("yaml_value", "nodes", 0, 0, "x", "options.time_limit_s", ".nan"),
    ("yaml_value", "nodes", 0, 0, "x", "hubs.transfer_factor", ".nan"),
    ("yaml_value", "nodes", 0, 0, "x", "name", "[a, b]"),
    ("yaml_value", "nodes", 0, 0, "x", "crs", "28992"),
    ("yaml_value", "nodes", 0, 0, "x", "crs", "EPSG:99999"),
    ("yaml_twice", "nodes", 0, 0, "x", "name", "'twice'"),
    ("cell", "demands", 0, 5, "1e300", "name", "x"),  # 1e300 tonnes
    ("cell", "nodes", 2, 6, "1e300", "name", "x"),  # 1e300 ha capacity
    ("empty_table", "commodities", 0, 0, "x", "name", "x"),
    ("conflicting_fix", "nodes", 0, 0, "x", "name", "x"),
], ids=lambda m: f"{m[0]}-{m[1] if m[0] != 'yaml_value' else m[5]}-"
                 f"{m[4] if m[0] == 'cell' else m[6]}")
def test_the_reported_cases(m):
    """The reproductions of the fuzzing campaign that crashed or passed: now exit 2 with the
    place named, or (markup in an id) exit 0 with the id shown as written."""
    _check_one(*m)

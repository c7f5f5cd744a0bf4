"""Every example scenario and variant through ``clusteropt run --format json``: objective,
status, gap and model size, written to a JSON snapshot or compared with one.

    .venv/bin/python bench/examples_regression.py --write bench/examples_snapshot.json
    .venv/bin/python bench/examples_regression.py --compare bench/examples_snapshot.json

A refactoring keeps behaviour when every objective agrees within the two runs' own gaps
(|a − b| ≤ max(gap_a, gap_b) · max(|a|, |b|) + 1e-6 · max(1, |a|)) and no model grows (variables,
integers, constraints, non-zeros). Prints one line per run; exit 1 when something differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "clusteropt"
SIZE = ("variables", "integers", "constraints", "nonzeros")


def runs() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [(path.name, v) for v in ["base", *(doc.get("variants") or {})]]
    return out


def run_one(scenario: str, variant: str) -> dict:
    res = subprocess.run([str(CLI), "run", str(ROOT / "scenarios" / scenario), "--variant",
                          variant, "--format", "json", "--no-baseline"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1:], "rc": res.returncode}
    d = json.loads(res.stdout)
    return {"objective_eur": d["objective_eur"], "status": d["status"], "gap": d["gap"],
            **{k: d["model"][k] for k in SIZE}, "solve_s": d["model"]["solve_s"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", type=Path)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args()
    ref = json.loads(args.compare.read_text()) if args.compare else {}
    now: dict[str, dict] = {}
    bad = 0
    for scenario, variant in runs():
        key = f"{scenario}:{variant}"
        r = now[key] = run_one(scenario, variant)
        line = f"{key:48s} {r.get('status', 'ERROR'):9s} {r.get('objective_eur') or 0:>16,.2f}"
        if key in ref and "error" not in r:
            a, b = ref[key]["objective_eur"], r["objective_eur"]
            tol = max(ref[key]["gap"] or 0.0, r["gap"] or 0.0) * max(abs(a), abs(b)) \
                + 1e-6 * max(1.0, abs(a))
            grew = [k for k in SIZE if r[k] > ref[key][k]]
            ok = abs(a - b) <= tol and not grew
            bad += not ok
            line += f"  was {a:>16,.2f}  {'ok' if ok else 'DIFFERS'}"
            line += f"  size {'grew: ' + ', '.join(grew) if grew else 'kept or shrank'}"
        print(line, flush=True)
    if args.write:
        args.write.write_text(json.dumps(now, indent=1))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

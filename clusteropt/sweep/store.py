"""The sweep store: one JSON file per solved point under ``DIR/points``, so that a re-run
skips what is done and an extended sweep solves only the new points."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


class Store:
    """``DIR/points/<key>.json``: one finished point each, written atomically."""

    def __init__(self, out: Path):
        self.dir = Path(out) / "points"

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def get(self, key: str) -> dict | None:
        p = self.path(key)
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text())
        except (OSError, ValueError):
            return None  # a torn or foreign file: solve the point again

    def put(self, key: str, doc: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_text(self.path(key), json.dumps(doc, default=_json_default))


def _json_default(v):
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class SweepResult:
    table: pd.DataFrame
    solved: int  # points solved in this run
    reused: int  # points found in the store
    failed: int  # points without a solution (stored; solver or input failure)
    lost: int  # points whose task the cluster could not finish (not stored; re-run them)
    elapsed_s: float
    cluster: str | None
    files: dict[str, Path] = field(default_factory=dict)

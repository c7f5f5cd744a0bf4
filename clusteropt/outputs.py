"""Output folders written whole or not at all, and never over a user's files.

* ``check_out(out, inputs, force)`` before any work: ``--out`` may not be the working
  directory or a folder above it, nor hold one of the run's inputs (the scenario, its tables,
  distance files, boundaries); an existing folder is replaced only with ``force`` and only when
  everything in it was written by clusteropt — listed in its manifest ``MANIFEST`` —
  otherwise the error names what would be deleted.
* ``write_folder(out, writer)`` writes into a hidden temporary folder beside ``out``, adds the
  manifest, and moves it into place; on any error or interruption the temporary folder is
  removed and ``out`` is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from clusteropt.scenario import read_yaml

MANIFEST = ".clusteropt-manifest.json"


class OutputError(OSError):
    """An output folder that may not be used or replaced (exit status 2)."""


def scenario_inputs(path: Path) -> list[Path]:
    """The files a scenario reads: the YAML and every table or distance file it (or one of its
    variants) names, resolved against the YAML's folder. Unreadable YAML gives the YAML only
    (loading reports the error)."""
    path = Path(path)
    out = [path]
    try:
        doc = read_yaml(path)
    except Exception:  # noqa: BLE001 - the loader reports a broken scenario itself
        return out
    specs: list[str] = []

    def tables_of(d: dict) -> None:
        for spec in (d.get("tables") or {}).values():
            if isinstance(spec, str):
                specs.append(spec)
        dist = d.get("distance") or {}
        if isinstance(dist, dict) and isinstance(dist.get("file"), str):
            specs.append(dist["file"])

    tables_of(doc)
    for var in (doc.get("variants") or {}).values():
        if isinstance(var, dict):
            tables_of(var)
    for spec in specs:
        file = spec.rpartition("#")[0] if "#" in spec and not Path(spec).exists() else spec
        out.append(path.parent / file)
    return out


def check_out(out: Path, inputs: Iterable[Path], force: bool) -> None:
    """Refuse an output folder that would hide, replace or delete what clusteropt did not
    write (see the module docstring)."""
    target = out.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise OutputError(f"--out {out}: the working directory or a folder above it cannot be "
                          f"an output folder; name a new folder, e.g. --out results")
    for f in inputs:
        f = Path(f).resolve()
        if target == f or target in f.parents:
            raise OutputError(f"--out {out} holds the input {f}: write the results to a "
                              f"folder of their own, e.g. --out {out / 'results'}")
    if not out.exists() and not out.is_symlink():
        return
    if not force:
        raise OutputError(f"{out} exists; use --force to replace it (only a folder that "
                          f"clusteropt wrote can be replaced)")
    if not out.is_dir() or out.is_symlink():
        raise OutputError(f"--out {out} is a file, not a folder clusteropt wrote; it is not "
                          f"replaced")
    foreign = _not_ours(out)
    if foreign:
        shown = ", ".join(foreign[:8]) + (f" and {len(foreign) - 8} more" if len(foreign) > 8
                                          else "")
        raise OutputError(f"--force would delete files clusteropt did not write in {out}: "
                          f"{shown}; choose another --out or move them")


def _not_ours(folder: Path) -> list[str]:
    """Files and folders in ``folder`` that its manifest does not list (all, without one)."""
    present = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                     if p.name != MANIFEST or p.parent != folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return present
    try:
        listed = set(json.loads(manifest.read_text(encoding="utf-8")).get("files", []))
    except (ValueError, OSError, AttributeError):
        return present
    dirs = {str(Path(f).parent) for f in listed} | {
        str(p) for f in listed for p in Path(f).parents}
    return [p for p in present if p not in listed and p not in dirs]


def write_folder(out: Path, writer: Callable[[Path], None]) -> None:
    """``writer(tmp)`` fills a temporary folder beside ``out``; then the manifest is added and
    the folder moved into place (replacing ``out``, which ``check_out`` cleared)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        writer(tmp)
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        (tmp / MANIFEST).write_text(json.dumps({"written_by": "clusteropt", "files": files},
                                               indent=1), encoding="utf-8")
        if out.exists():
            if _not_ours(out):  # something appeared since check_out: keep it
                raise OutputError(f"{out} changed while the run was writing; the results "
                                  f"were not moved there")
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

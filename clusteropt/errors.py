"""User-facing errors: each names the file (and sheet), the row (1-based, as a spreadsheet user
counts) and the column — or the YAML key — and says what a valid value looks like. The CLI prints
them and exits with status 2. The same problem in many rows is one line with the rows counted
(:func:`grouped`)."""

from __future__ import annotations

from dataclasses import dataclass

# the same message in at least this many rows of one column is printed as one line
GROUP_FROM = 3


def _is_yaml(file: str) -> bool:
    """Whether ``file`` names a YAML file or a section of one (``scenario.yaml:variants.v``)."""
    head = file.split(":", 1)[0] if ".yaml:" in file or ".yml:" in file else file
    return head.lower().endswith((".yaml", ".yml"))


@dataclass(frozen=True)
class Issue:
    """One problem found in a scenario: where it is and what is expected. ``rows`` (set by
    :func:`grouped`) lists every row with the same problem."""

    file: str
    row: int | None
    column: str | None
    message: str
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = [self.file]
        if self.rows:
            shown = ", ".join(map(str, self.rows[:5])) + (" …" if len(self.rows) > 5 else "")
            where.append(f"{len(self.rows)} rows ({shown})")
        elif self.row is not None:
            # a whole YAML file: the line; inline rows (scenario.yaml:tables.nodes): the row
            line = self.file.lower().endswith((".yaml", ".yml"))
            where.append(f"{'line' if line else 'row'} {self.row}")
        if self.column:
            # a key of the YAML file (no table row, a .yaml file or one of its sections)
            yaml_key = self.row is None and not self.rows and _is_yaml(self.file)
            where.append(f"{'key' if yaml_key else 'column'} '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


def grouped(issues: list[Issue]) -> list[Issue]:
    """One issue per distinct problem: the same file, column and message in ``GROUP_FROM`` or
    more rows become one issue listing the rows, at the place of the first."""
    rows: dict[tuple, list[int]] = {}
    for i in issues:
        if i.row is not None and isinstance(i.row, int):
            rows.setdefault((i.file, i.column, i.message), []).append(i.row)
    out, done = [], set()
    for i in issues:
        key = (i.file, i.column, i.message)
        many = rows.get(key, [])
        if i.row is None or len(many) < GROUP_FROM:
            out.append(i)
        elif key not in done:
            done.add(key)
            out.append(Issue(i.file, None, i.column, i.message, tuple(sorted(set(many)))))
    return out


class ScenarioError(Exception):
    """One or more problems in a scenario; ``issues`` lists them all."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in grouped(self.issues)))

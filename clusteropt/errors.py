"""User-facing errors: each names the file, the row (1-based, as a spreadsheet user counts) and
the column, and says what a valid value looks like. The CLI prints them and exits with status 2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem found in a scenario: where it is and what is expected."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            # a key of the YAML file (no table row, a .yaml file or one of its sections)
            yaml_key = self.row is None and (self.file.endswith((".yaml", ".yml"))
                                             or ":" in self.file and ".yaml" in self.file)
            where.append(f"{'key' if yaml_key else 'column'} '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class ScenarioError(Exception):
    """One or more problems in a scenario; ``issues`` lists them all."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

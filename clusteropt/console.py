"""The terminal consoles of the command line (rich), shared by every command, and the one way
input errors are printed: each problem on its own line, then exit status 2."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markup import escape

from clusteropt.errors import ScenarioError, grouped


# Wide tables stay readable when output goes to a file or a CI log (no terminal width there).
def _width(stream) -> int | None:
    """The terminal's width; elsewhere (logs, CI) COLUMNS if set, else 200."""
    if stream.isatty():
        return None
    try:
        return int(os.environ.get("COLUMNS", "200"))
    except ValueError:
        return 200


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, width=_width(sys.stderr))


def fail_input(err: ScenarioError) -> None:
    """Print every distinct problem of an input error on stderr (the same problem in many rows
    once, with the rows counted) and exit with status 2."""
    issues = grouped(err.issues)
    err_console.print(f"[bold red]error:[/] {len(issues)} problem(s) in the input",
                      highlight=False)
    for issue in issues:
        err_console.print(f"  {escape(str(issue))}", highlight=False, soft_wrap=True)
    sys.exit(2)


def print_warnings(warnings: list[str]) -> None:
    """The scenario's warnings (plausibility, unused columns …) on stderr, one per line, each
    marked — never inside a table, where they would be overlooked."""
    for w in dict.fromkeys(warnings):
        err_console.print(f"[bold yellow]warning:[/] {escape(w)}", highlight=False,
                          soft_wrap=True)

"""The terminal consoles of the command line (rich), shared by every command, and the one way
input errors are printed: each problem on its own line, then exit status 2."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markup import escape

from clusteropt.errors import ScenarioError


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
    """Print every issue of an input error on stderr and exit with status 2."""
    err_console.print(f"[bold red]error:[/] {len(err.issues)} problem(s) in the input",
                      highlight=False)
    for issue in err.issues:
        err_console.print(f"  {escape(str(issue))}", highlight=False, soft_wrap=True)
    sys.exit(2)

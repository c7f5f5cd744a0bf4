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


def cell_text(v) -> str:
    """A table cell: numbers with thousands separators (2 decimals below 100), NaN empty."""
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def fitting(headers: list[str], rows: list[list[str]], width: int,
            wide: bool = False, keep: int = 1) -> list[int]:
    """The columns (indices) of a table that fit ``width`` characters: all with ``wide``,
    else from the left while they fit (at least the first ``keep``). A column needs its
    widest header line or cell plus 3 characters of padding and border."""
    need = [max([len(x) for x in h.split("\n")] + [len(r[i]) for r in rows]) + 3
            for i, h in enumerate(headers)]
    if wide:
        return list(range(len(headers)))
    out, used = [], 1
    for i, n in enumerate(need):
        if i < keep or used + n <= width:
            out.append(i)
            used += n
    return out


def print_fitted(table, heads: list[str], rows: list[list[str]], cols: list[int],
                 wide: bool) -> None:
    """Print a table whose columns ``cols`` were chosen by :func:`fitting`; with ``wide`` on a
    console wide enough for every column, however wide the terminal, so nothing is cut; then
    a note naming the columns left out."""
    need = 1 + sum(max([len(x) for x in heads[i].split("\n")] + [len(r[i]) for r in rows]) + 3
                   for i in cols)
    if wide and need > console.width:
        kept, console.width = console._width, need
        try:
            console.print(table)
        finally:
            console._width = kept
    else:
        console.print(table)
    left = [heads[i].replace("\n", " ") for i in range(len(heads)) if i not in cols]
    if left:
        console.print(f"[dim]not shown for the terminal width: {escape(', '.join(left))} "
                      f"(--wide shows every column; --format csv gives them all)[/]")


def frame_table(frame, title: str, width: int, wide: bool = False):
    """A DataFrame as a rich table that fits ``width`` (columns chosen by :func:`fitting`,
    a note naming those left out; ``wide``: every column)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    headers = [str(c) for c in frame.columns]
    rows = [[cell_text(v) for v in r] for r in frame.itertuples(index=False)]
    cols = fitting(headers, rows, width, wide)
    t = Table(title=escape(title), title_justify="left", header_style="bold")
    for i in cols:
        numeric = frame.dtypes.iloc[i].kind in "fiu"
        t.add_column(escape(headers[i]), justify="right" if numeric else "left",
                     no_wrap=numeric)
    for r in rows:
        t.add_row(*(escape(r[i]) for i in cols))
    left_out = [headers[i] for i in range(len(headers)) if i not in cols]
    if not left_out:
        return t
    return Group(t, Text(f"not shown for the terminal width: {', '.join(left_out)} "
                         f"(--wide shows every column; --format csv gives them all)",
                         style="dim"))

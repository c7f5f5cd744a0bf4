"""Stopping on Ctrl-C (SIGINT) and SIGTERM.

The command line installs ``handling()``: the first signal sets a flag. While HiGHS solves
(``solving()``), the flag is read by HiGHS's interrupt callbacks (``watch``), which stop the
solver at its next check; the solve then returns what it has, and ``check()`` raises
:class:`Interrupted`. Outside a solve the signal raises :class:`Interrupted` at once, so that
half-written output folders are removed by the code that writes them. A second signal ends
the process immediately (exit 128 + signal number).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager

_state: dict = {"signum": None, "solving": 0}


class Interrupted(BaseException):  # noqa: N818 - a stop request, like KeyboardInterrupt
    """The run was stopped by a signal; ``outcome`` holds what was found, if it is kept."""

    def __init__(self, signum: int, outcome=None):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.outcome = outcome
        self.kept: str | None = None  # what was written, for the closing line

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def requested() -> int | None:
    """The signal number received, or None."""
    return _state["signum"]


def reset() -> None:
    _state["signum"] = None


def check() -> None:
    """Raise :class:`Interrupted` if a stop was requested."""
    if _state["signum"] is not None:
        raise Interrupted(_state["signum"])


def _handler(signum, frame) -> None:
    if _state["signum"] is not None:  # a second signal: stop now
        sys.stderr.write(f"\n{signal.Signals(signum).name} again: stopping at once\n")
        sys.stderr.flush()
        os._exit(128 + signum)
    _state["signum"] = signum
    if not _state["solving"]:
        raise Interrupted(signum)


@contextmanager
def handling():
    """Install the handlers for SIGINT and SIGTERM (main thread only) and restore them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    reset()
    for s in old:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextmanager
def solving():
    """Inside: a signal only sets the flag (the solver is stopped through ``watch``)."""
    _state["solving"] += 1
    try:
        yield
    finally:
        _state["solving"] -= 1


def watch(h) -> None:
    """Subscribe HiGHS's simplex, IPM and MIP interrupt callbacks of ``h`` (a
    ``highspy.Highs``) to the stop flag."""

    def stop_if_asked(event) -> None:
        if _state["signum"] is not None:
            event.interrupt()

    for cb in (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt):
        cb.subscribe(stop_if_asked)

"""Progress on stderr for long work: a tqdm bar on a terminal, plain lines otherwise, nothing when quiet.

Every command that can run longer than a few seconds reports through :func:`progress`
(a counted loop) or :func:`say` (one line, e.g. a finished step).  The output always goes to
stderr, so ``--json`` on stdout stays clean.  On a terminal it is a :mod:`tqdm` bar with
tqdm's estimate of the remaining time; when stderr is not a terminal (a log file, CI) the same
meter (``tqdm.format_meter``) is written as plain lines, at most one every
:data:`LINE_INTERVAL` seconds plus the last (a meter that finishes within the first interval
writes nothing, so short loops stay silent); with ``--quiet`` (or :func:`quiet`, or
``THEORY_QUIET=1``) nothing is written.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["LINE_INTERVAL", "Progress", "heartbeat", "is_quiet", "progress", "quiet", "say"]

T = TypeVar("T")

LINE_INTERVAL = 5.0  #: seconds between two plain progress lines
_QUIET: ContextVar[bool | None] = ContextVar("theory_progress_quiet", default=None)
_LAST = [0.0]  #: monotonic time of the last progress output (a line, or a bar update)


def is_quiet() -> bool:
    """Whether progress output is switched off."""
    flag = _QUIET.get()
    if flag is None:
        return os.environ.get("THEORY_QUIET", "") not in ("", "0")
    return flag


@contextlib.contextmanager
def quiet(flag: bool = True) -> Iterator[None]:
    """Switch progress output off (or on) for a block."""
    token = _QUIET.set(flag)
    try:
        yield
    finally:
        _QUIET.reset(token)


def say(line: str) -> None:
    """One progress line on stderr (nothing when quiet)."""
    if is_quiet():
        return
    sys.stderr.write(line.rstrip("\n") + "\n")
    sys.stderr.flush()
    _LAST[0] = time.monotonic()


class Progress:
    """A counted meter: ``update(n)``, ``set(text)``, ``close()``; also a context manager.

    A thin wrapper so a caller never needs to know whether it is a tqdm bar, plain lines
    or nothing.
    """

    def __init__(self, total: int | None, desc: str, unit: str = "it") -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.n = 0
        self._bar: Any = None
        self._plain = False
        self._start = time.monotonic()
        self._last = self._start
        self._postfix = ""
        self._printed = False
        if is_quiet():
            return
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is a runtime dependency
            self._plain = True
            return
        if sys.stderr.isatty():
            self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=True, dynamic_ncols=True)
        else:
            self._plain = True

    def update(self, n: int = 1) -> None:
        """Advance by ``n``."""
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
            _LAST[0] = time.monotonic()
        elif self._plain:
            now = time.monotonic()
            finished = self.total is not None and self.n >= self.total
            if now - self._last >= LINE_INTERVAL or (finished and self._printed):
                self._last = now
                self._line()

    def set(self, text: str) -> None:
        """Show ``text`` after the meter (what is being done now)."""
        self._postfix = text
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def _line(self) -> None:
        from tqdm import tqdm

        meter = tqdm.format_meter(
            self.n, self.total, time.monotonic() - self._start, prefix=self.desc, unit=self.unit, ncols=0
        )
        extra = f" {self._postfix}" if self._postfix else ""
        self._printed = True
        _LAST[0] = time.monotonic()
        sys.stderr.write(" ".join(meter.split()) + extra + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        """Finish the meter."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._plain and self._printed and (self.total is None or self.n < self.total):
            self._line()
        self._plain = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate ``iterable`` with a progress meter on stderr (see the module docstring)."""
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    meter = Progress(total, desc, unit)
    try:
        for item in iterable:
            yield item
            meter.update()
    finally:
        meter.close()


@contextlib.contextmanager
def heartbeat(desc: str, *, first: float = 15.0, every: float = 30.0) -> Iterator[None]:
    """A line on stderr after ``first`` seconds and then every ``every`` seconds of a block.

    The CLI runs every command under it, so no command is ever silent for long, even where no
    counted meter can be given (one long SymPy call, a figure's computation) or where many short
    meters each finish before their first line (a sweep of short training runs); it stays silent
    while other progress output is recent, and when quiet.
    """
    if is_quiet():
        yield
        return
    stop = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        wait = first
        while not stop.wait(wait):
            wait = every
            if time.monotonic() - _LAST[0] >= every:
                elapsed = time.monotonic() - start
                shown = f"{elapsed:.0f} s" if elapsed < 120 else f"{elapsed / 60:.1f} min"
                sys.stderr.write(f"{desc}: still running, {shown} elapsed\n")
                sys.stderr.flush()

    thread = threading.Thread(target=beat, name="theory-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1.0)

"""Resource budgets: refuse work that would not fit, before it starts.

A command estimates the memory (bytes) and time (seconds) of what it was asked to do from
*all* its sizes together (a product such as ``tokens * hidden * samples * 8`` bytes, never
each size on its own) and calls :func:`check` before allocating anything.  Beyond the budget
it raises :class:`~theory.errors.BudgetExceeded` with the estimate and the option that raises
the limit.  Work whose length cannot be estimated (a SymPy simplification) runs under
:func:`time_limit`, which stops it with :class:`~theory.errors.TimeBudgetExceeded`.

The limits are, in order of precedence: the CLI options ``--max-memory`` / ``--max-seconds``
(or :func:`limits_set` from Python), the environment variables ``THEORY_MAX_MEMORY`` /
``THEORY_MAX_SECONDS``, and the defaults (4 GiB; 1 hour).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from .errors import BudgetExceeded, InvalidArgument, TimeBudgetExceeded

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_SECONDS",
    "Limits",
    "check",
    "current",
    "format_bytes",
    "format_seconds",
    "handed_over",
    "limits_set",
    "parse_bytes",
    "parse_seconds",
    "quiet_expiry_reports",
    "reserve",
    "time_limit",
]

DEFAULT_MAX_MEMORY = 4 * 2**30  #: bytes; a laptop's free memory, with room for the interpreter
DEFAULT_MAX_SECONDS = 3600.0  #: one hour; every catalogue command at its defaults takes minutes
#: Throughput assumed for estimates: elementwise float64 operations per second of vectorised NumPy
#: on one core (a conservative 2e8; measured 4e8-1e9 on the development machine).
FLOPS = 2e8

_UNITS = {
    "": 1,
    "B": 1,
    "K": 2**10,
    "KB": 2**10,
    "KIB": 2**10,
    "M": 2**20,
    "MB": 2**20,
    "MIB": 2**20,
    "G": 2**30,
    "GB": 2**30,
    "GIB": 2**30,
    "T": 2**40,
    "TB": 2**40,
    "TIB": 2**40,
}


@dataclass(frozen=True)
class Limits:
    """The active budget: ``max_memory`` in bytes and ``max_seconds``."""

    max_memory: float
    max_seconds: float


def parse_bytes(text: str) -> int:
    """``"4G"``, ``"512MiB"``, ``"1e9"`` -> bytes (an ``argparse`` type)."""
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([A-Za-z]*)\s*", str(text))
    unit = m.group(2).upper() if m else ""
    try:
        value = float(m.group(1)) * _UNITS[unit] if m else math.nan
    except (KeyError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgument(f"expected a memory size such as 4G or 512M, got {text!r}")
    return int(value)


def parse_seconds(text: str) -> float:
    """``"90"``, ``"1.5h"``, ``"10m"`` -> seconds (an ``argparse`` type)."""
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([smhd]?)\s*", str(text))
    try:
        value = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)] if m else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgument(f"expected a duration such as 90, 10m or 2h, got {text!r}")
    return value


def _from_env() -> Limits:
    mem, sec = os.environ.get("THEORY_MAX_MEMORY"), os.environ.get("THEORY_MAX_SECONDS")
    return Limits(parse_bytes(mem) if mem else DEFAULT_MAX_MEMORY, parse_seconds(sec) if sec else DEFAULT_MAX_SECONDS)


_REFIRE = 0.25  #: seconds after which an expired limit fires again, until its block has exited
_UNBOUNDED = 1e8  #: seconds (over 3 years): a longer budget means no time limit at all

_LIMITS: ContextVar[Limits | None] = ContextVar("theory_budget_limits", default=None)


def current() -> Limits:
    """The active limits."""
    return _LIMITS.get() or _from_env()


@contextlib.contextmanager
def limits_set(max_memory: float | None = None, max_seconds: float | None = None) -> Iterator[Limits]:
    """Run a block under other limits (``None`` keeps the current one)."""
    base = current()
    new = Limits(max_memory or base.max_memory, max_seconds or base.max_seconds)
    token = _LIMITS.set(new)
    try:
        yield new
    finally:
        _LIMITS.reset(token)


def format_bytes(n: float) -> str:
    """``3.2 GiB`` style."""
    if not math.isfinite(n):
        return "an unbounded amount"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}" if n < 1e6 * size else f"{n / size:.2e} {unit}"
    return f"{n:.0f} B"


def format_seconds(s: float) -> str:
    """``2.5 h`` style."""
    if not math.isfinite(s):
        return "forever"
    for unit, size in (("years", 3.15e7), ("days", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.3g} {unit}" if s < 1e6 * size else f"{s / size:.2e} {unit}"
    return f"{s:.2g} s"


def check(what: str, *, memory: float = 0.0, seconds: float = 0.0, detail: str = "", reduce: str = "") -> None:
    """Refuse ``what`` before it starts if its estimate exceeds the budget.

    Parameters
    ----------
    what : str
        The work, e.g. ``"simulate joma-softmax"``.
    memory, seconds : float
        Estimated peak bytes and wall time, computed from every size together.
    detail : str
        How the estimate was made, e.g. ``"tokens*hidden*samples*8 B"``.
    reduce : str
        Which inputs to lower, e.g. ``"--tokens or --samples"``.

    Raises
    ------
    BudgetExceeded
        With the estimate, the limit and the option that raises it.
    """
    lim = current()
    how = f" ({detail})" if detail else ""
    lower = f"lower {reduce} or " if reduce else ""
    if not (memory <= lim.max_memory):  # also catches NaN
        raise BudgetExceeded(
            f"{what} would need about {format_bytes(memory)} of memory{how}, over the "
            f"{format_bytes(lim.max_memory)} budget; {lower}raise the limit with --max-memory (env THEORY_MAX_MEMORY)"
        )
    if not (seconds <= lim.max_seconds):
        raise BudgetExceeded(
            f"{what} would take about {format_seconds(seconds)}{how}, over the {format_seconds(lim.max_seconds)} "
            f"budget; {lower}raise the limit with --max-seconds (env THEORY_MAX_SECONDS)"
        )


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Stop the block with :class:`TimeBudgetExceeded` after ``seconds`` (default: the budget).

    Uses ``SIGALRM`` (the interrupt is delivered between Python bytecodes, so a long SymPy
    call is stopped; a single long C call is stopped when it returns).  Outside the main
    thread, or where ``SIGALRM`` does not exist, the block runs unbounded.  A limit nested in
    another gets at most the time the outer one has left; the outer one resumes afterwards
    with what remains of it.
    """
    limit = current().max_seconds if seconds is None else seconds
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable or not limit < _UNBOUNDED:  # beyond the timer's range (or NaN): no limit
        yield
        return
    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    effective = min(limit, outer_left) if outer_left else limit
    start = time.monotonic()

    def _expire(signum: int, frame: object) -> None:
        # re-armed first: an exception raised where Python only reports it ("Exception ignored in"
        # a finaliser or a gc callback) would otherwise leave the work running unbounded
        signal.setitimer(signal.ITIMER_REAL, _REFIRE)
        raise TimeBudgetExceeded(
            f"{what} ran past its {format_seconds(limit)} time budget and was stopped; "
            "raise it with --max-seconds (env THEORY_MAX_SECONDS)"
        )

    old = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, max(effective, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - start), 1e-3))


@contextlib.contextmanager
def handed_over() -> Iterator[float]:
    """Pause an enclosing :func:`time_limit` and yield the seconds it had left.

    For a loop that budgets its items itself (``prove --all``: an item past the time left becomes
    a ``timeout`` row and the loop still reports the others); the loop should keep
    :func:`reserve` of it for reporting.  The enclosing limit resumes afterwards with what remains.
    """
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    left = signal.getitimer(signal.ITIMER_REAL)[0] if usable else 0.0
    if not left:
        yield current().max_seconds
        return
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield left
    finally:
        signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - start), 1e-3))


def reserve(left: float) -> float:
    """Seconds of ``left`` a loop under :func:`handed_over` keeps for reporting its rows (1 s, or 20 %)."""
    return min(1.0, 0.2 * left)


@contextlib.contextmanager
def quiet_expiry_reports() -> Iterator[None]:
    """Drop Python's reports of a :class:`TimeBudgetExceeded` raised where it cannot propagate.

    An expiry that lands in a gc callback or a finaliser is printed as "Exception ignored in ..."
    with a traceback; the limit fires again anyway (see :func:`time_limit`), so the report is
    noise.  Every other unraisable exception goes to the hook that was installed before.  The
    CLI runs every command under this.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(getattr(unraisable, "exc_value", None), TimeBudgetExceeded):
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous

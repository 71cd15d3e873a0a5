"""Exceptions of the toolkit, named for what went wrong.

Every error a user can trigger subclasses :class:`TheoryError` and a builtin, so callers
may catch ``ValueError`` / ``RuntimeError`` as usual.  The CLI turns any
:class:`TheoryError` into one line on stderr and exit code 2.  Messages follow the
pattern *what is wrong* + *how to fix it*, e.g.
``unknown model 'jomaa'; expected one of: joma-exp, joma-linear (see `theory show`)``.
"""

from __future__ import annotations

__all__ = [
    "BlowUpError",
    "BudgetExceeded",
    "ExpressionError",
    "InvalidArgument",
    "ModelError",
    "NotConservedError",
    "OptionalDependencyError",
    "SolverError",
    "TheoryError",
    "TimeBudgetExceeded",
    "UnknownNameError",
]


class TheoryError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class InvalidArgument(TheoryError, ValueError):
    """An argument has the wrong type, shape, sign or range: ``expected X, got name=value``."""


class UnknownNameError(InvalidArgument):
    """A name (theorem, model, method, law, ...) is not in the catalogue it was looked up in."""


class ExpressionError(InvalidArgument):
    """A user-supplied expression is malformed, unsafe, or uses symbols the model lacks."""


class ModelError(InvalidArgument):
    """A model specification is inconsistent (sizes, parameter groups, assumptions)."""


class BudgetExceeded(InvalidArgument):
    """The work asked for would exceed the memory or time budget; the message gives the estimate
    and the option (``--max-memory`` / ``--max-seconds``) that raises the limit."""


class TimeBudgetExceeded(TheoryError):
    """A computation ran past its time budget and was stopped (status ``timeout``).

    Deliberately not a ``ValueError``/``OSError``/``RuntimeError``: numeric code that catches
    those to report a status must not mistake a stopped computation for a result."""


class NotConservedError(TheoryError, AssertionError):
    """A quantity claimed to be conserved has a non-zero time derivative."""


class SolverError(TheoryError, RuntimeError):
    """A numerical solver failed; the message says which and what to change."""


class BlowUpError(SolverError):
    """A trajectory left every bounded set in finite time (finite-time blow-up)."""


class OptionalDependencyError(TheoryError, ImportError):
    """An optional extra (matplotlib, torch, dask, ...) is needed but not installed."""


def require(module: str, extra: str):
    """Import an optional dependency lazily, or raise with an install hint.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"matplotlib.pyplot"``.
    extra : str
        The ``theory`` extra that provides it, e.g. ``"plot"``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OptionalDependencyError(
            f"{module} is not installed; install it with: pip install 'theory[{extra}]'"
        ) from exc

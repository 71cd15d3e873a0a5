"""The checks layer: numerical verification of theorems (the oracle) and of user models (``check``).

The user-model names are imported on first use, so that the catalogue oracle
(``theory check``) can run without loading SymPy when its compile plans are cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .generic import CheckConfig, CheckReport, check

__all__ = ["CheckConfig", "CheckReport", "check"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import generic

        return getattr(generic, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

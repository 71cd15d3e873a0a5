"""A verdict as a readable derivation (placeholder: filled in by the LaTeX work of issue 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .derivation import Derivation

if TYPE_CHECKING:
    from .prove import Verdict

__all__ = ["verdict_derivation"]


def verdict_derivation(verdict: Verdict) -> Derivation:
    """The derivation behind ``verdict`` (flow, substitution, cancellation, conclusion)."""
    raise NotImplementedError("verdict_derivation is not written yet")

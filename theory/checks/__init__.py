"""Numerical checks of conserved quantities against gradient descent (``check`` for any model)."""

from .generic import CheckConfig, CheckReport, check

__all__ = ["CheckConfig", "CheckReport", "check"]

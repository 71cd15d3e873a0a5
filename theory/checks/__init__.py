"""The checks layer: numerical verification of theorems (the oracle) and of user models (``check``)."""

from .generic import CheckConfig, CheckReport, check

__all__ = ["CheckConfig", "CheckReport", "check"]

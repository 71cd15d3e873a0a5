"""The checks layer: numerical verification of theorems (the oracle) and of user models."""

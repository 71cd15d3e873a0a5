"""Names the CLI needs at start-up, kept free of heavy imports (SciPy loads in ~0.5 s)."""

__all__ = ["METHODS", "SIM_MODELS"]

#: ODE methods accepted by :func:`theory.numeric.ode.solve_flow` (SciPy's solve_ivp names).
METHODS = ("DOP853", "RK45", "RK23", "Radau", "BDF", "LSODA")
#: Models accepted by :func:`theory.numeric.simulate.simulate`.
SIM_MODELS = ("joma-linear", "joma-exp", "joma-softmax")

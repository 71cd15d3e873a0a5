"""JoMA dynamics: reduced ODEs, closed forms, attention entropy, full-model confirmation.

Tian et al., "JoMA", ICLR 2024 (arXiv 2310.00535).  Modules, one concept each:

* :mod:`.reduced` -- attention integrated out through the catalogue's proved invariant;
* :mod:`.closed_forms` -- linear-activation closed form and blow-up time, first integral G_mu;
* :mod:`.entropy` -- softmax, entropy, the shape of an entropy curve, uniform causal entropy;
* :mod:`.linear_case`, :mod:`.sparse_dense` -- the two reduced experiments;
* :mod:`.data`, :mod:`.invariant_check`, :mod:`.full_model` -- the referee-based experiments;
* :mod:`.real_text` -- the optional torch experiment on SST;
* :mod:`.figure_registry`, :mod:`.figures` -- ``theory figure NAME``.
"""

from .closed_forms import PoleCrossingError, blowup_time, first_integral, linear_closed_form
from .entropy import EntropyShape, entropy, entropy_shape, softmax, uniform_causal_mean_entropy
from .figure_registry import Figure, register_figure, render
from .full_model import Setup, confirm
from .linear_case import linear_check
from .reduced import ReducedJoMA, logit_law
from .sparse_dense import code_mu, run_code_iteration, run_ode

__all__ = [
    "EntropyShape",
    "Figure",
    "PoleCrossingError",
    "ReducedJoMA",
    "Setup",
    "blowup_time",
    "code_mu",
    "confirm",
    "entropy",
    "entropy_shape",
    "first_integral",
    "linear_check",
    "linear_closed_form",
    "logit_law",
    "register_figure",
    "render",
    "run_code_iteration",
    "run_ode",
    "softmax",
    "uniform_causal_mean_entropy",
]

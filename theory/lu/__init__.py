"""Lu, Mao & Nayak (2021): the score / embedding-norm identity on synthetic topics and SST.

Role: the experiment package for section 2 of the reference.  Data flows one way:

``data`` / ``sst`` (corpora) -> ``model`` + ``classifiers`` (loss, analytic gradients) ->
``train`` (full-batch gradient descent, ablations) -> ``identity`` (the core-derived
identity compiled and measured), ``synthetic`` / ``sst_experiment`` (reports),
``purity`` (which words attention picks) -> ``plots`` (optional matplotlib).

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021
(arXiv:2011.10036).
"""

from typing import TYPE_CHECKING, Any

from .data import BagCorpus, SyntheticTopics, make_synthetic
from .model import Batch, InitConfig, forward, init_params, loss_and_grad
from .train import History, TrainConfig, accuracy, train_classifier

if TYPE_CHECKING:
    from .identity import CoreIdentity, CoreIdentityUnavailable, core_identity, identity_residuals
    from .report import Report, SyntheticConfig, sst_report, synthetic_report
    from .sst_experiment import SSTConfig, run_sst

#: Names imported on first use: the identity (and the reports using it) compile with SymPy,
#: which the NumPy model alone (e.g. the Lu referee of a warm ``theory check``) must not load.
_LAZY = {
    "CoreIdentity": "identity",
    "CoreIdentityUnavailable": "identity",
    "core_identity": "identity",
    "identity_residuals": "identity",
    "Report": "report",
    "SyntheticConfig": "report",
    "sst_report": "report",
    "synthetic_report": "report",
    "SSTConfig": "sst_experiment",
    "run_sst": "sst_experiment",
}


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where == "identity":
        from . import identity as module
    elif where == "report":
        from . import report as module  # type: ignore[no-redef]
    elif where == "sst_experiment":
        from . import sst_experiment as module  # type: ignore[no-redef]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)


__all__ = [
    "BagCorpus",
    "Batch",
    "CoreIdentity",
    "CoreIdentityUnavailable",
    "History",
    "InitConfig",
    "Report",
    "SSTConfig",
    "SyntheticConfig",
    "SyntheticTopics",
    "TrainConfig",
    "accuracy",
    "core_identity",
    "forward",
    "identity_residuals",
    "init_params",
    "loss_and_grad",
    "make_synthetic",
    "run_sst",
    "sst_report",
    "synthetic_report",
    "train_classifier",
]

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

from .data import BagCorpus, SyntheticTopics, make_synthetic
from .identity import CoreIdentity, CoreIdentityUnavailable, core_identity, identity_residuals
from .model import Batch, InitConfig, forward, init_params, loss_and_grad
from .report import Report, SyntheticConfig, sst_report, synthetic_report
from .sst_experiment import SSTConfig, run_sst
from .train import History, TrainConfig, accuracy, train_classifier

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

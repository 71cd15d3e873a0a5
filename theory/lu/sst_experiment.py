"""The SST experiment of Lu, Mao & Nayak (2021): accuracy, identity curve, purity shift.

Role: train FC or TC on SST2 / SST5 with full-batch gradient descent and report

* train / dev / test accuracy;
* the identity curve for the ``top`` highest-score words: the measured
  :math:`\\|q\\|\\,\\|w_u\\|` against the core's closed form :math:`F(s_u, m_u)`, with
  :math:`m_u` the average (unpadded) length of the training sentences containing :math:`u`
  minus one.  On real data the side conditions fail (every word is trained, no word
  decides the class alone), so this is the paper's *approximate* comparison: we report the
  relative residuals, not a pass/fail;
* the purity :math:`|P(\\text{pos}|u) - P(\\text{neg}|u)|` of the most-attended words early
  in training vs at the end (:mod:`theory.lu.purity`).

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021,
section 6, Figs. 4-5.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .._config import configure
from ..errors import InvalidArgument
from .identity import CoreIdentity
from .model import Batch, InitConfig, init_params
from .purity import top_attended, word_purity
from .sst import SSTData
from .train import TrainConfig, accuracy, train_classifier

__all__ = ["SSTConfig", "average_m", "identity_top_words", "run_sst"]


def average_m(data: SSTData) -> np.ndarray:
    """:math:`m_u` = mean unpadded length of training sentences containing u, minus one (V,)."""
    c = data.train
    lens = data.lengths["train"].astype(float)
    tot = np.bincount(c.words, weights=lens[c.rows], minlength=c.vocab_size)
    df = np.bincount(c.words, minlength=c.vocab_size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tot / df - 1.0


def identity_top_words(p: dict[str, np.ndarray], data: SSTData, ident: CoreIdentity, *, top: int = 100) -> dict:
    """Measured :math:`\\|q\\|\\|w_u\\|` vs the core's curve for the ``top`` highest-score words."""
    s = p["K"] @ p["q"]
    m_u = average_m(data)
    ok = np.isfinite(m_u) & (m_u > 0)
    ok[:2] = False  # <pad>, <unk>
    cand = np.flatnonzero(ok)
    ids = cand[np.argsort(-s[cand], kind="stable")[:top]]
    qw = np.sqrt(float(p["q"] @ p["q"])) * np.linalg.norm(p["W"][ids], axis=1)
    with np.errstate(invalid="ignore"):
        curve = np.asarray(ident.curve(s[ids], m_u[ids]), dtype=float)
    rel = np.abs(qw - curve) / np.abs(curve)
    return {
        "words": [data.vocab[i] for i in ids[:20]],
        "scores": s[ids].tolist(),
        "qw": qw.tolist(),
        "curve": curve.tolist(),
        "m": m_u[ids].tolist(),
        "median_rel_residual": float(np.nanmedian(rel)),
        "max_rel_residual": float(np.nanmax(rel)),
        "fraction_within_25pct": float(np.mean(rel <= 0.25)),
        "qw_over_curve_median": float(np.nanmedian(qw / curve)),
    }


@dataclass(frozen=True)
class SSTConfig:
    """Settings of the SST experiment (:func:`run_sst`, :func:`theory.lu.report.sst_report`).

    Attributes
    ----------
    task : {"sst2", "sst5"}
        Which data set :func:`~theory.lu.report.sst_report` loads (:func:`run_sst` is given its data).
    classifier : {"FC", "TC", "TL"}
    epochs : int
        Full-batch gradient steps.
    lr : float, optional
        Learning rate; ``None`` picks the measured stable default (:meth:`learning_rate`).
    d : int
        Embedding and key dimension (:math:`d_e = d_k`).
    seed : int
        Initialisation seed.
    pad_to : int, "max" or None
        Padding of the sentences when loading (see :func:`theory.lu.sst.load_sst`).
    max_train : int, optional
        Keep only the first this many training sentences when loading.
    top : int
        Words in the identity curve and the purity comparison.
    early_epoch : int, optional
        The "early" snapshot of the purity shift (default: ``max(1, epochs // 20)``).
    fc_init : {"code", "scaled"}
        The fixed classifier's start (:class:`theory.lu.model.InitConfig`; default: the published code's).
    """

    task: str = "sst2"
    classifier: str = "TC"
    epochs: int = 1000
    lr: float | None = None
    d: int = 10
    seed: int = 0
    pad_to: int | str | None = "max"
    max_train: int | None = None
    top: int = 100
    early_epoch: int | None = None
    fc_init: str = "code"

    def __post_init__(self) -> None:
        if self.classifier.upper() not in ("FC", "TC", "TL"):
            raise InvalidArgument(f"unknown classifier {self.classifier!r}; expected FC, TC or TL")
        object.__setattr__(self, "classifier", self.classifier.upper())

    def learning_rate(self) -> float:
        """``lr``, or the measured stable default: 50 for FC, 10 for TC/TL.

        Full-batch gradient descent on a mean loss over ~7000 sentences needs a large step; TC
        diverges at 50.
        """
        if self.lr is not None:
            return float(self.lr)
        return 50.0 if self.classifier == "FC" else 10.0

    @classmethod
    def from_namespace(cls, ns: object) -> SSTConfig:
        """The fields present as attributes of ``ns`` (e.g. parsed CLI arguments); defaults for the rest."""
        return cls(**{f.name: getattr(ns, f.name) for f in fields(cls) if hasattr(ns, f.name)})


def run_sst(
    data: SSTData, ident: CoreIdentity | None, config: SSTConfig | None = None, **changes: Any
) -> tuple[dict, dict]:
    """Train on SST and report accuracy, identity residuals of the top words, purity shift.

    Parameters
    ----------
    data : SSTData
        The loaded splits (``config.task``, ``pad_to`` and ``max_train`` are not read here).
    ident : CoreIdentity, optional
        The core's identity curve; ``None`` skips the identity comparison.
    config : SSTConfig, optional
        Classifier, epochs, learning rate, dimension, seed, ``top`` and the early epoch.
    **changes
        Fields of :class:`SSTConfig` to override.

    Returns
    -------
    report : dict
    arrays : dict
        Final parameters and histories for plotting.
    """
    cfg = configure(SSTConfig, config, changes)
    classifier, epochs, lr, d, seed, top = cfg.classifier, cfg.epochs, cfg.learning_rate(), cfg.d, cfg.seed, cfg.top
    early_epoch = cfg.early_epoch
    batch = Batch(data.train)
    sizes = InitConfig(d_e=d, d_k=d, fc_init=cfg.fc_init)
    p0 = init_params(classifier, sizes, vocab_size=batch.v, n_classes=data.n_classes, seed=seed)
    early = max(1, epochs // 20) if early_epoch is None else int(early_epoch)
    if not 0 <= early <= epochs:
        raise InvalidArgument(f"expected 0 <= early_epoch <= epochs, got {early}")
    train_cfg = TrainConfig(classifier=classifier, epochs=epochs, lr=lr, record_every=max(1, epochs // 50))
    p, hist = train_classifier(p0, batch, train_cfg, snapshot_epochs=(early, epochs))
    purity, df = word_purity(data.train)
    by_freq = np.argsort(-np.where(np.arange(batch.v) < 2, -1, df), kind="stable")[:top]
    early_top = top_attended(data.train, hist.snapshots[early]["attention"], k=top)
    late_top = top_attended(data.train, hist.snapshots[epochs]["attention"], k=top)
    report = {
        "task": data.task,
        "classifier": train_cfg.classifier,
        "epochs": epochs,
        "lr": lr,
        "d": d,
        "pad_to": data.pad_to,
        "n_train": data.train.n_sentences,
        "vocab": batch.v,
        "seconds": hist.seconds,
        "loss": [float(hist.loss[0]), float(hist.loss[-1])],
        "accuracy": {
            "train": accuracy(classifier, p, batch),
            "dev": accuracy(classifier, p, Batch(data.dev)),
            "test": accuracy(classifier, p, Batch(data.test)),
        },
        "purity": {
            "early_epoch": early,
            "early": early_top,
            "late": late_top,
            "shift": late_top["mean_purity"] - early_top["mean_purity"],
            "most_frequent_mean_purity": float(np.nanmean(purity[by_freq])),
        },
    }
    if ident is not None:
        report["identity"] = identity_top_words(p, data, ident, top=top)
    arrays = {"params": p, "history": hist, "data": data}
    return report, arrays

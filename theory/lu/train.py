"""Full-batch gradient descent for the Lu et al. attention classifier, with ablations.

Role: the simulation stage of :mod:`theory.lu`.  :func:`train_classifier` applies

.. math::

    \\theta \\leftarrow \\theta - \\eta\\, \\nabla_\\theta L(\\theta)

to the trainable parameter groups (embeddings, keys, query, classifier), with per-word
freezing (the identity's side condition "non-topic words stay put") and group switches
(the paper's ablations: keys frozen, embeddings frozen; query trained as the negative
control), and records the tracked words' scores :math:`s_t = q^\\top k_t` and squared
embedding norms :math:`\\|w_t\\|^2` at every recorded epoch.

The project's one ``descend`` (:func:`theory.numeric.descent.descend`) is the generic Euler step
on a flattened vector field; this loop works on the classifier's parameter dictionary, with
per-word masks, group switches and records, so it has its own name.

References
----------
H. Lu, Y. Mao, A. Nayak, "On the Dynamics of Training Attention Models", ICLR 2021,
sections 4-5 (full-batch gradient descent, learning rate 0.1; the ablations of Fig. 3).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._progress import progress
from ..errors import BlowUpError, InvalidArgument
from .classifiers import check_classifier
from .model import Batch, Forward, forward, loss_and_grad

__all__ = ["History", "TrainConfig", "accuracy", "train_classifier"]

# Gradient descent on cross-entropy that climbs to this many times its initial loss (+1) has
# left the stable step-size range: it is reported as a blow-up, not returned as a result.
_BLOWUP_FACTOR = 50.0


@dataclass(frozen=True)
class TrainConfig:
    """What to train and for how long.

    Attributes
    ----------
    classifier : {"FC", "TC", "TL"}
    epochs : int
        Number of full-batch gradient steps.
    lr : float
        Learning rate :math:`\\eta` (paper: 0.1).
    train_embeddings, train_keys : bool
        Ablation switches (paper: both trained).
    train_query : bool
        Train :math:`q` too (the negative control; paper: fixed).
    frozen_words : tuple of int
        Word ids whose embedding and key are never updated.
    record_every : int
        Record the tracked quantities every this many epochs (and at the last one).
    """

    classifier: str = "FC"
    epochs: int = 5000
    lr: float = 0.1
    train_embeddings: bool = True
    train_keys: bool = True
    train_query: bool = False
    frozen_words: tuple[int, ...] = field(default=())
    record_every: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "classifier", check_classifier(self.classifier))
        if int(self.epochs) < 0:
            raise InvalidArgument(f"expected epochs >= 0, got epochs={self.epochs}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise InvalidArgument(f"expected a positive finite learning rate, got lr={self.lr}")
        if int(self.record_every) < 1:
            raise InvalidArgument(f"expected record_every >= 1, got record_every={self.record_every}")


@dataclass(frozen=True)
class History:
    """Recorded trajectory (R records; T tracked words).

    Attributes
    ----------
    epochs : ndarray (R,)
    loss : ndarray (R,)
        Mean training cross-entropy.
    scores, w2 : ndarray (R, T)
        :math:`s_t` and :math:`\\|w_t\\|^2` of the tracked words.
    q2 : ndarray (R,)
        :math:`\\|q\\|^2` (constant unless the query is trained).
    focus_attention : ndarray (R,)
        Mean over sentences of the attention on the ``focus`` entries (the topic words).
    other_score_absmax, other_w_max : ndarray (R,)
        Largest :math:`|s_j|` and :math:`\\|w_j\\|` over the untracked words: how far the
        identity's side condition (:math:`s_j = s_0 = 0`, :math:`w_j = 0`) is violated.
    seconds : float
        Wall time of the descent.
    snapshots : dict
        ``epoch -> {"scores": (V,), "attention": (nnz,)}`` at the requested epochs.
    """

    epochs: np.ndarray
    loss: np.ndarray
    scores: np.ndarray
    w2: np.ndarray
    q2: np.ndarray
    focus_attention: np.ndarray
    other_score_absmax: np.ndarray
    other_w_max: np.ndarray
    seconds: float
    snapshots: dict = field(default_factory=dict)


def accuracy(classifier: str, p: dict[str, np.ndarray], batch: Batch) -> float:
    """Fraction of sentences whose arg-max logit is the label."""
    z = forward(check_classifier(classifier), p, batch).logits
    return float(np.mean(np.argmax(z, axis=1) == batch.labels))


def train_classifier(
    params: dict[str, np.ndarray],
    batch: Batch,
    config: TrainConfig,
    *,
    track: Sequence[int] | np.ndarray = (),
    focus: np.ndarray | None = None,
    snapshot_epochs: Sequence[int] = (),
) -> tuple[dict[str, np.ndarray], History]:
    """Run full-batch gradient descent from ``params`` (not modified) and record it.

    Parameters
    ----------
    params : dict
        Initial parameters from :func:`~theory.lu.model.init_params`.
    batch : Batch
        Training data.
    config : TrainConfig
    track : sequence of int or ndarray of int
        Word ids whose score and squared norm are recorded.
    focus : ndarray of bool (nnz,), optional
        Entries whose attention mass is recorded (default: entries of tracked words).
    snapshot_epochs : sequence of int
        Epochs at which all scores and the attention are stored.

    Returns
    -------
    params : dict
        Final parameters.
    history : History

    Raises
    ------
    BlowUpError
        If the loss or a parameter becomes non-finite (lower the learning rate).
    """
    cfg = config
    clf = cfg.classifier
    p = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    tracked = np.asarray(track, dtype=np.int64)
    if tracked.size and (tracked.min() < 0 or tracked.max() >= batch.v):
        raise InvalidArgument(f"tracked word ids must lie in [0, {batch.v}), got {tracked.tolist()}")
    if focus is None:
        focus = np.isin(batch.words, tracked)
    others = np.ones(batch.v, dtype=bool)
    others[tracked] = False
    word_mask = np.ones((batch.v, 1))
    frozen = np.asarray(cfg.frozen_words, dtype=np.int64)
    if frozen.size:
        if frozen.min() < 0 or frozen.max() >= batch.v:
            raise InvalidArgument(f"frozen word ids must lie in [0, {batch.v})")
        word_mask[frozen] = 0.0
    trained = [k for k in p if not (clf == "FC" and k == "U")]
    trained = [
        k
        for k in trained
        if not (k == "W" and not cfg.train_embeddings)
        and not (k == "K" and not cfg.train_keys)
        and not (k == "q" and not cfg.train_query)
    ]
    rec_epochs = sorted(set(range(0, cfg.epochs, cfg.record_every)) | {cfg.epochs})
    rec_set = set(rec_epochs)
    snaps = set(int(e) for e in snapshot_epochs)
    out: dict[str, list] = {k: [] for k in ("ep", "loss", "s", "w2", "q2", "fa", "os", "ow")}
    snapshots: dict[int, dict] = {}

    def record(epoch: int, loss: float, fwd: Forward) -> None:
        s = fwd.scores
        out["ep"].append(epoch)
        out["loss"].append(loss)
        out["s"].append(s[tracked])
        out["w2"].append(np.einsum("ij,ij->i", p["W"][tracked], p["W"][tracked]))
        out["q2"].append(float(p["q"] @ p["q"]))
        out["fa"].append(float(fwd.attention[focus].sum() / batch.n))
        out["os"].append(float(np.max(np.abs(s[others]), initial=0.0)))
        out["ow"].append(float(np.sqrt(np.max(np.sum(p["W"][others] ** 2, axis=1), initial=0.0))))
        if epoch in snaps:
            snapshots[epoch] = {"scores": s.copy(), "attention": fwd.attention.copy()}

    t0 = time.perf_counter()
    loss_cap = np.inf
    for epoch in progress(range(cfg.epochs), desc=f"train {clf}", unit="epoch"):  # stderr, long runs only
        loss, grads, fwd = loss_and_grad(clf, p, batch)
        if epoch == 0:
            loss_cap = _BLOWUP_FACTOR * (loss + 1.0)
        if not (np.isfinite(loss) and loss <= loss_cap):
            raise BlowUpError(
                f"training diverged at epoch {epoch} (loss={loss:.3g}); lower the learning rate (lr={cfg.lr})"
            )
        if epoch in rec_set or epoch in snaps:
            record(epoch, loss, fwd)
        for k in trained:
            g = grads[k]
            if frozen.size and k in ("W", "K"):
                g = g * word_mask
            p[k] -= cfg.lr * g
    fwd = forward(clf, p, batch)
    if not (np.isfinite(fwd.loss) and (cfg.epochs == 0 or fwd.loss <= loss_cap)):
        raise BlowUpError(f"training diverged at the last epoch; lower the learning rate (lr={cfg.lr})")
    record(cfg.epochs, fwd.loss, fwd)
    seconds = time.perf_counter() - t0
    ep = np.asarray(out["ep"])
    in_rec = np.isin(ep, rec_epochs)  # snapshot-only epochs are not part of the record
    hist = History(
        epochs=ep[in_rec],
        loss=np.asarray(out["loss"])[in_rec],
        scores=np.asarray(out["s"]).reshape(ep.size, tracked.size)[in_rec],
        w2=np.asarray(out["w2"]).reshape(ep.size, tracked.size)[in_rec],
        q2=np.asarray(out["q2"])[in_rec],
        focus_attention=np.asarray(out["fa"])[in_rec],
        other_score_absmax=np.asarray(out["os"])[in_rec],
        other_w_max=np.asarray(out["ow"])[in_rec],
        seconds=seconds,
        snapshots=snapshots,
    )
    return p, hist

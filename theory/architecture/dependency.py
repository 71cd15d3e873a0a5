"""How far back in a document information about the next token reaches (the data's range).

Role: the receptive-field question from the data side (issue 15 item 2).  For a distance
``d`` the mutual information between the tokens at positions ``t`` and ``t + d`` of the
same document, pooled over positions and documents,

.. math::

    I(d) = H(X_t) + H(X_{t+d}) - H(X_t, X_{t+d}),

is estimated from counts with the Miller-Madow correction of every entropy,
:math:`\\hat H_{MM} = \\hat H_{plug-in} + (m - 1) / (2N)` with ``m`` occupied bins and
``N`` pairs (Miller 1955; Paninski 2003, section 4).  Tokens are mapped to their frequency
rank and ranks ``>= bins - 1`` share one class, so the joint table has at most
``bins^2`` cells (bounded memory; the classes are exact when the vocabulary is smaller).

Shuffled-document baseline.  The same estimator on pairs whose second token is taken at
position ``t + d`` of *another* document (a random derangement of the documents): the
documents are independent, so this measures what the estimator returns without
dependence, with the same positional effects (e.g. sentence openings) and nearly the same
bias.  The excess :math:`\\Delta(d) = I(d) - I_0(d)` is the signal.

Interval.  A bootstrap over documents (Efron 1979; multinomial document weights, ``B``
replicates, a fresh derangement each): standard error ``se(d)`` and percentile interval of
:math:`\\Delta(d)`, the replicates centred on the point estimate (repeated documents in a
resample repeat pairs, which shifts both Miller-Madow estimates).  A distance is
*distinguishable* from the baseline when
:math:`\\Delta(d) - z\\, se(d) > 0` with :math:`z = \\Phi^{-1}(1 - \\alpha / G)`, one-sided
with a Bonferroni correction over the ``G`` distances measured.  The dependency range is
the largest distinguishable distance (0 when none is); its interval is the
:math:`(\\alpha/2, 1-\\alpha/2)` percentile range of the same rule applied to every
bootstrap replicate.  Distances with fewer than ``min_pairs`` pairs are not measured
(``measured_up_to``); a range equal to it is a lower bound (``at_least``).

Written with NumPy (``bincount`` on weighted pair codes) rather than a library estimator:
SciPy and scikit-learn offer plug-in MI only, without the document bootstrap or the
baseline.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument, require

__all__ = ["DependencyConfig", "DependencyReport", "dependency_range", "distance_grid", "mutual_information_mm"]


@dataclass(frozen=True)
class DependencyConfig:
    """Settings of :func:`dependency_range` (see the module docstring)."""

    max_distance: int = 512
    distances: tuple[int, ...] | None = None
    bins: int = 256
    bootstrap: int = 100
    alpha: float = 0.05
    min_pairs: int = 1000
    seed: int = 0
    progress: bool = True


@dataclass(frozen=True)
class DependencyReport:
    """Mutual information by distance against the shuffled-document baseline."""

    distances: list[int]
    pairs: list[int]
    mi: list[float]
    baseline: list[float]
    excess: list[float]
    excess_lo: list[float]
    excess_hi: list[float]
    significant: list[bool]
    range: int
    range_interval: tuple[int, int]
    measured_up_to: int
    at_least: bool
    z: float
    config: DependencyConfig

    def to_dict(self) -> dict:
        """JSON-able report (every number finite)."""
        return {
            "range": self.range,
            "range_interval": list(self.range_interval),
            "at_least": self.at_least,
            "measured_up_to": self.measured_up_to,
            "method": "Miller-Madow mutual information between tokens d apart, minus a shuffled-document "
            f"baseline; bootstrap over documents (B={self.config.bootstrap}); distinguishable when "
            f"excess - z se > 0, z = {self.z:.3f} (one-sided, Bonferroni over {len(self.distances)} distances, "
            f"alpha = {self.config.alpha}); tokens in {self.config.bins} frequency classes",
            "by_distance": [
                {"d": d, "pairs": p, "mi": m, "baseline": b, "excess": e, "excess_lo": lo, "excess_hi": hi,
                 "distinguishable": s}
                for d, p, m, b, e, lo, hi, s in zip(
                    self.distances, self.pairs, self.mi, self.baseline, self.excess, self.excess_lo,
                    self.excess_hi, self.significant, strict=True,
                )
            ],
        }  # fmt: skip

    def summary(self) -> str:
        """One sentence for reports."""
        if self.measured_up_to == 0:
            return "dependency range: not measurable (too few token pairs at distance 1)"
        lo, hi = self.range_interval
        if self.range == 0:
            return (
                f"dependency range: no distance in 1..{self.measured_up_to} is distinguishable from the "
                "shuffled-document baseline"
            )
        bound = "at least " if self.at_least else ""
        return (
            f"dependency range: {bound}{self.range} tokens (95% interval {lo}-{hi}); beyond it the mutual "
            f"information is indistinguishable from the shuffled-document baseline (measured up to d = "
            f"{self.measured_up_to})"
        )


def distance_grid(max_distance: int) -> list[int]:
    """Every distance up to 32, then steps of about 25% (``ceil(1.25 d)``) up to ``max_distance``."""
    out = list(range(1, min(32, max_distance) + 1))
    d = 32
    while True:
        d = math.ceil(1.25 * d)
        if d > max_distance:
            return out
        out.append(d)


def _entropy_mm(counts: np.ndarray) -> float:
    c = counts[counts > 0]
    n = c.sum()
    p = c / n
    return float(-(p * np.log(p)).sum() + (c.size - 1) / (2.0 * n))


def mutual_information_mm(joint: np.ndarray) -> float:
    """Miller-Madow corrected mutual information (nats) of a 2-D table of (weighted) counts."""
    j = np.asarray(joint, dtype=float)
    if j.ndim != 2 or j.sum() <= 0:
        raise InvalidArgument("mutual information needs a 2-D table with positive total count")
    return _entropy_mm(j.sum(1)) + _entropy_mm(j.sum(0)) - _entropy_mm(j.ravel())


def _classes(docs: list[np.ndarray], bins: int) -> np.ndarray:
    allids = np.concatenate(docs).astype(np.int64)
    counts = np.bincount(allids)
    rank = np.empty(counts.size, dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(counts.size)
    return np.minimum(rank, bins - 1)[allids]


def _derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random cyclic permutation of ``0..n-1`` (no fixed point for n >= 2)."""
    order = rng.permutation(n)
    sigma = np.empty(n, dtype=np.int64)
    sigma[order] = np.roll(order, -1)
    return sigma


def dependency_range(
    docs: list[np.ndarray], config: DependencyConfig | None = None, **changes: object
) -> DependencyReport:
    """Mutual information by distance, its shuffled-document baseline, and the dependency range.

    Parameters
    ----------
    docs : list of 1-D integer arrays
        Token ids of each document (at least 2 documents).
    config : DependencyConfig, optional
        Settings; keywords naming a field override it.
    """
    from scipy.stats import norm

    from .._config import configure

    cfg = configure(DependencyConfig, config, changes)
    docs = [np.asarray(d).ravel() for d in docs if len(d) > 0]
    if len(docs) < 2:
        raise InvalidArgument("the dependency range needs at least 2 non-empty documents (shuffled baseline)")
    if cfg.bins < 2 or cfg.bootstrap < 10 or not 0 < cfg.alpha < 1 or cfg.min_pairs < 10:
        raise InvalidArgument("need bins >= 2, bootstrap >= 10, 0 < alpha < 1 and min_pairs >= 10")
    grid = list(cfg.distances) if cfg.distances else distance_grid(cfg.max_distance)
    if any(d < 1 for d in grid):
        raise InvalidArgument(f"distances must be positive integers, got {grid}")
    grid = sorted(set(grid))
    tok = _classes(docs, cfg.bins)
    k = int(tok.max()) + 1  # classes in use (fewer than bins for a small vocabulary)
    lens = np.array([len(d) for d in docs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    n = len(docs)
    doc_of = np.repeat(np.arange(n), lens)
    pos = np.arange(tok.size) - starts[doc_of]
    rng = np.random.default_rng(cfg.seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=cfg.bootstrap).astype(np.int32)  # B x documents
    sigmas = [_derangement(n, rng) for _ in range(cfg.bootstrap)]
    point_sigmas = [_derangement(n, rng) for _ in range(4)]

    def pairs(sigma: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Codes of real and baseline pairs on one index set (same first tokens, same N), owners."""
        j = sigma[doc_of]
        ib = np.flatnonzero((pos + d < lens[j]) & (pos + d < lens[doc_of]))
        x = tok[ib] * k
        return x + tok[ib + d], x + tok[starts[j[ib]] + pos[ib] + d], doc_of[ib]

    def mi(codes: np.ndarray, w: np.ndarray | None) -> float:
        return mutual_information_mm(np.bincount(codes, weights=w, minlength=k * k).reshape(k, k))

    tqdm = require("tqdm", "corpus").tqdm
    rows: list[tuple] = []
    boot: list[np.ndarray] = []
    for d in tqdm(grid, desc="dependency range", unit="d", file=sys.stderr, disable=None if cfg.progress else True):
        point = [pairs(s, d) for s in point_sigmas]
        n_pairs = min(p[0].size for p in point)
        if n_pairs < cfg.min_pairs:
            break
        i_real = float(np.mean([mi(p[0], None) for p in point]))
        i_base = float(np.mean([mi(p[1], None) for p in point]))
        deltas = np.empty(cfg.bootstrap)
        for b in range(cfg.bootstrap):
            real, base, owner = pairs(sigmas[b], d)
            w = weights[b][owner]
            deltas[b] = mi(real, w) - mi(base, w)
        rows.append((d, int(n_pairs), i_real, i_base))
        boot.append(deltas)
    if not rows:
        return DependencyReport([], [], [], [], [], [], [], [], 0, (0, 0), 0, False, 0.0, cfg)
    dist = np.array([r[0] for r in rows])
    excess = np.array([r[2] - r[3] for r in rows])
    bmat = np.array(boot)  # (G, B)
    # bias-centred replicates: resampled documents repeat pairs, which shifts the MM estimates
    bmat = bmat - bmat.mean(axis=1, keepdims=True) + excess[:, None]
    se = bmat.std(axis=1, ddof=1)
    z = float(norm.ppf(1.0 - cfg.alpha / len(rows)))
    sig = excess - z * se > 0
    rng_point = int(dist[sig].max()) if sig.any() else 0
    per_rep = [int(dist[m].max()) if m.any() else 0 for m in (bmat - z * se[:, None] > 0).T]
    lo, hi = np.quantile(per_rep, [cfg.alpha / 2, 1 - cfg.alpha / 2], method="inverted_cdf")
    qlo, qhi = np.quantile(bmat, [cfg.alpha / 2, 1 - cfg.alpha / 2], axis=1)
    return DependencyReport(
        distances=[int(x) for x in dist],
        pairs=[r[1] for r in rows],
        mi=[float(r[2]) for r in rows],
        baseline=[float(r[3]) for r in rows],
        excess=[float(x) for x in excess],
        excess_lo=[float(x) for x in qlo],
        excess_hi=[float(x) for x in qhi],
        significant=[bool(x) for x in sig],
        range=rng_point,
        range_interval=(int(lo), int(hi)),
        measured_up_to=int(dist[-1]),
        at_least=bool(rng_point and rng_point == int(dist[-1])),
        z=z,
        config=cfg,
    )

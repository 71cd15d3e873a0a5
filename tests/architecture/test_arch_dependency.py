"""theory.architecture.dependency: the data's dependency range (issue 15 item 2).

Planted corpora: i.i.d. uniform tokens, with the first ``D`` tokens of every document copied
(each with probability ``p``) ``D`` positions later; the only dependence is at distance ``D``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from theory.architecture.corpus import load_corpus
from theory.architecture.dependency import dependency_range, distance_grid, mutual_information_mm
from theory.errors import InvalidArgument

FAST = {"bootstrap": 20, "progress": False}


def planted(distance: int, p: float, *, n: int = 200, length: int = 120, vocab: int = 64, seed: int = 1):
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        x = rng.integers(0, vocab, length)
        if distance:
            copy = rng.random(distance) < p
            x[distance : 2 * distance][copy] = x[:distance][copy]
        docs.append(x)
    return docs


@pytest.mark.parametrize("distance", [20, 40])
def test_recovers_the_planted_distance(distance: int) -> None:
    rep = dependency_range(planted(distance, 0.5), max_distance=60, **FAST)
    assert distance in rep.distances  # the grid holds it (1..32 dense, then ~25% steps: 40)
    assert rep.range == distance
    lo, hi = rep.range_interval
    assert lo <= distance <= hi
    assert [d for d, s in zip(rep.distances, rep.significant, strict=True) if s] == [distance]
    assert not rep.at_least and rep.measured_up_to == 50


def test_negative_control_no_dependence() -> None:
    rep = dependency_range(planted(0, 0.0), max_distance=60, **FAST)
    assert rep.range == 0 and not any(rep.significant)
    assert "no distance" in rep.summary()


def test_negative_control_planted_then_shuffled_across_the_corpus() -> None:
    docs = planted(40, 0.5)
    flat = np.random.default_rng(2).permutation(np.concatenate(docs))
    shuffled = np.split(flat, np.cumsum([len(d) for d in docs])[:-1])
    assert dependency_range(shuffled, max_distance=60, **FAST).range == 0


def test_sst_sentences_as_a_corpus(sst_dir: Path) -> None:
    stats = load_corpus(sst_dir / "stsa.binary.dev", lines=True, strip_label=True, progress=False)
    rep = dependency_range(stats.sample, max_distance=60, **FAST)
    # adjacent words in a sentence are dependent; sentences are short (median ~33 tokens), so
    # the range must be positive and well below the longest measured distance
    assert rep.significant[0] and 1 <= rep.range < rep.measured_up_to
    assert rep.range_interval[0] <= rep.range <= rep.range_interval[1]
    assert rep.excess[0] > 0.1  # nats: adjacent-token dependence is large
    # negative control: the same tokens shuffled across the corpus have no range
    docs = stats.sample
    flat = np.random.default_rng(0).permutation(np.concatenate(docs))
    shuffled = np.split(flat, np.cumsum([len(d) for d in docs])[:-1])
    assert dependency_range(shuffled, max_distance=60, **FAST).range == 0


def test_miller_madow_reduces_the_bias() -> None:
    # independent uniform variables on 16 x 16 cells, N = 2000: true MI = 0; the plug-in bias
    # is about (16 - 1)^2 / (2 N) = 0.056 nats (Paninski 2003); Miller-Madow must be closer to 0.
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 16, 2000), rng.integers(0, 16, 2000)
    joint = np.zeros((16, 16))
    np.add.at(joint, (x, y), 1)
    p = joint / joint.sum()
    px, py = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    nz = p > 0
    plugin = float((p[nz] * np.log(p[nz] / (px @ py)[nz])).sum())
    assert plugin == pytest.approx(225 / 4000, rel=0.3)
    assert abs(mutual_information_mm(joint)) < plugin / 3
    # a perfect copy of a uniform 4-symbol variable, N = 400: plug-in ln 4, and the MM terms
    # (m - 1)/(2N) with m = 4, 4, 4 for H(X), H(Y), H(X,Y) leave + 3/800
    assert mutual_information_mm(np.eye(4) * 100) == pytest.approx(math.log(4) + 3 / 800, abs=1e-12)


def test_grid_and_bad_input() -> None:
    g = distance_grid(100)
    assert g[:32] == list(range(1, 33)) and g[32:] == [40, 50, 63, 79, 99]
    with pytest.raises(InvalidArgument, match="2 non-empty documents"):
        dependency_range([np.arange(10)], progress=False)
    with pytest.raises(InvalidArgument, match="bootstrap"):
        dependency_range(planted(0, 0, n=3), bootstrap=2, progress=False)


def test_too_short_documents_are_not_measured() -> None:
    docs = [np.arange(3)] * 50  # 100 pairs at d = 1 < min_pairs
    rep = dependency_range(docs, **FAST)
    assert rep.measured_up_to == 0 and rep.range == 0 and "not measurable" in rep.summary()

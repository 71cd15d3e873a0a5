"""The JoMA code's own hierarchical data: deterministic, overlapping random combinations.

Role: the data set-up of Table 1 of Tian et al., "JoMA", ICLR 2024 (arXiv 2310.00535),
re-implemented from the description of its published code (``decoder_only_hier.py`` in the
JoMA repository) so that :mod:`theory.hierarchy.transformer` can be run on it beside the
HBLT of :mod:`theory.hierarchy.tree`.  It is *not* a tree and *not* random given the label:

* level 0 has ``sizes[0]`` latents, each a distinct random set of ``fan_in[0]`` tokens out of
  ``n_tokens``; level :math:`l` has ``sizes[l]`` latents, each a distinct random set of
  ``fan_in[l]`` latents of level :math:`l-1` (sets may overlap: a node can have several
  parents); the top level is the label (``sizes[-1]`` classes);
* a sequence draws its label uniformly and switches on, top down, every latent reachable
  from it and finally every token reachable; nothing else is random.

So every latent is a function of the label (the label is a function of the token set when
the classes' token sets differ), and a token that belongs to a single level-0 latent is an
exact indicator of it.  The paper's table groups runs over ``fan_in`` in {(2,2,2), (3,3,3)}
and ``sizes[:2]`` in {(10, 20), (20, 30)} with a vocabulary of 100 ids (99 tokens and a pad).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument

__all__ = ["MAX_SIZE", "CombinationHierarchy", "build_combination"]

#: largest vocabulary and number of latents per level (a draw stores one byte per node)
MAX_SIZE = 10_000


@dataclass(frozen=True, eq=False)
class CombinationHierarchy:
    """Random-combination hierarchy (module doc); build it with :func:`build_combination`.

    Attributes
    ----------
    n_tokens : int
        Token vocabulary (without the pad).
    sizes : tuple of int
        Latents per level, bottom up; the last entry is the number of classes.
    fan_in : tuple of int
        Size of each node's combination of the level below, per level.
    incidence : tuple of numpy.ndarray
        ``incidence[l][i, j] = 1`` iff node ``i`` of level ``l`` contains node ``j`` of level
        ``l - 1`` (tokens for ``l = 0``); shapes ``(sizes[l], sizes[l-1])``.
    rho : float
        Emission probability: an active node switches on each of its members independently
        with probability ``rho`` (a member with several active parents gets one chance per
        parent).  ``1`` is the paper's deterministic data; below 1 it is this module's
        ablation knob, a noisy channel like the HBLT's gated edge law.
    """

    n_tokens: int
    sizes: tuple[int, ...]
    fan_in: tuple[int, ...]
    incidence: tuple[np.ndarray, ...]
    rho: float = 1.0

    @property
    def classes(self) -> int:
        """Number of label values (the top level)."""
        return self.sizes[-1]

    def summary(self) -> dict:
        """JSON-able description."""
        return {
            "kind": "combination",
            "n_tokens": self.n_tokens,
            "sizes": list(self.sizes),
            "fan_in": list(self.fan_in),
            "classes": self.classes,
            "rho": self.rho,
        }

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """``n`` sequences: token indicators ``(n, n_tokens)``, labels, and the levels bottom up.

        ``levels[l]`` is ``(n, sizes[l])`` bool; the last one is the one-hot label.
        """
        labels = rng.integers(0, self.classes, size=n)
        active = np.eye(self.classes, dtype=bool)[labels]
        levels = [active]
        for inc in reversed(self.incidence):
            if self.rho >= 1.0:
                active = (active.astype(np.int64) @ inc) > 0
            else:  # one Bernoulli(rho) chance per (active parent, member) edge
                edges = active[:, :, None] & (inc[None] > 0) & (rng.random((n, *inc.shape)) < self.rho)
                active = edges.any(axis=1)
            levels.append(active)
        tokens = levels.pop()
        return tokens, labels, levels[::-1]


def build_combination(
    n_tokens: int = 99,
    sizes: tuple[int, ...] = (10, 20, 10),
    fan_in: tuple[int, ...] = (3, 3, 3),
    *,
    rho: float = 1.0,
    seed: int = 0,
) -> CombinationHierarchy:
    """Draw the combinations of a :class:`CombinationHierarchy` (distinct sets per level).

    Parameters
    ----------
    n_tokens : int
        Tokens (the paper: 99 plus a pad).
    sizes : tuple of int
        Latents per level bottom up, the last one the classes (the paper: 10 or 20, then
        20 or 30, then the classes).
    fan_in : tuple of int
        Combination size per level, same length as ``sizes``.
    rho : float
        Emission probability in ``(0, 1]`` (1: the paper's deterministic data).
    seed : int
        Seed of the combinations (the structure; the draws have their own seed).

    Raises
    ------
    InvalidArgument
        Mismatched lengths, sizes below 1, ``rho`` outside ``(0, 1]``, or more distinct
        combinations asked for than exist.
    """
    if not (isinstance(rho, int | float) and 0.0 < float(rho) <= 1.0):
        raise InvalidArgument(f"expected an emission probability rho in (0, 1], got rho={rho!r}")
    sizes, fan_in = tuple(int(s) for s in sizes), tuple(int(k) for k in fan_in)
    if len(sizes) != len(fan_in) or len(sizes) < 2:
        raise InvalidArgument(f"expected sizes and fan_in of the same length >= 2, got {sizes} and {fan_in}")
    if n_tokens < 1 or min(sizes) < 1 or min(fan_in) < 1 or sizes[-1] < 2:
        raise InvalidArgument(f"expected positive sizes (>= 2 classes) and fan_in, got {sizes}, {fan_in}")
    if n_tokens > MAX_SIZE or max(sizes) > MAX_SIZE:
        raise InvalidArgument(f"expected at most {MAX_SIZE} tokens and latents per level, got {n_tokens}, {sizes}")
    rng = np.random.default_rng(seed)
    below, incidence = n_tokens, []
    for level, (size, k) in enumerate(zip(sizes, fan_in, strict=True)):
        if k > below or math.comb(below, k) < size:
            raise InvalidArgument(
                f"level {level}: {size} distinct sets of {k} out of {below} do not exist; lower sizes or fan_in"
            )
        inc = np.zeros((size, below), dtype=np.int64)
        if math.comb(below, k) <= 20_000:  # few sets: pick among all of them
            pool = list(itertools.combinations(range(below), k))
            chosen = [pool[i] for i in rng.choice(len(pool), size=size, replace=False)]
        else:  # rejection, as the paper's code (fast: at most half of the sets are taken)
            seen: set[tuple[int, ...]] = set()
            chosen = []
            while len(chosen) < size:
                combo = tuple(sorted(rng.choice(below, size=k, replace=False).tolist()))
                if combo not in seen:
                    seen.add(combo)
                    chosen.append(combo)
        for row, combo in enumerate(chosen):
            inc[row, list(combo)] = 1
        incidence.append(inc)
        below = size
    return CombinationHierarchy(
        n_tokens=int(n_tokens), sizes=sizes, fan_in=fan_in, incidence=tuple(incidence), rho=float(rho)
    )

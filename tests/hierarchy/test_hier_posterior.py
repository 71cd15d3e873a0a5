"""Exact latent posteriors (belief propagation) against brute-force enumeration, and the ceiling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _hier_strategies import edge_law
from _hier_tol import EXACT_ATOL

from theory.hierarchy.combination import build_combination
from theory.hierarchy.posterior import alignment_ceiling, posteriors
from theory.hierarchy.sampling import sample
from theory.hierarchy.toy import normalised_correlation
from theory.hierarchy.transformer import latent_levels
from theory.hierarchy.tree import build_tree

TREES = [(2, 2, "symmetric", 0.8, 2), (2, 3, "gated", 0.7, 3), (3, 2, "symmetric", 0.6, 3), (3, 2, "gated", 0.9, 2)]


def brute_force_posteriors(tree, xs, rho=None):
    """P(y_alpha = 1 | x) and P(y_0 = k | x) by summing the joint over every assignment."""
    T = edge_law(tree.channel, tree.rho if rho is None else rho)
    others = [n for n in tree.nodes if n != tree.root]
    col = {n: i for i, n in enumerate(others)}
    bits = np.array(list(itertools.product((0, 1), repeat=len(others))), dtype=int)
    root_children = list(tree.graph.successors(tree.root))
    probs = []
    for k in range(tree.classes):
        prob = np.full(len(bits), 1.0 / tree.classes)
        for node in others:
            parent = tree.parent[node]
            if parent == tree.root:
                pb = np.full(len(bits), tree.root_code[root_children.index(node), k])
            else:
                pb = bits[:, col[parent]]
            prob *= T[pb, bits[:, col[node]]]
        probs.append(prob)
    probs = np.array(probs)
    leaves = [col[leaf] for leaf in tree.leaves]
    latent = {n: np.full(len(xs), np.nan) for n in tree.latents}
    label = np.full((len(xs), tree.classes), np.nan)
    for i, x in enumerate(xs):
        match = (bits[:, leaves] == x).all(axis=1)
        per_label = probs[:, match].sum(axis=1)
        if per_label.sum() == 0:
            continue  # impossible token pattern (gated): no posterior
        label[i] = per_label / per_label.sum()
        for n in tree.latents:
            latent[n][i] = (probs[:, match] * bits[match, col[n]]).sum() / per_label.sum()
    return latent, label


@pytest.mark.parametrize(("depth", "branching", "channel", "rho", "classes"), TREES)
def test_belief_propagation_matches_enumeration(depth, branching, channel, rho, classes):
    tree = build_tree(depth, branching, rho=rho, channel=channel, classes=classes)
    xs = np.array(list(itertools.product((0, 1), repeat=len(tree.leaves))), dtype=bool)
    latent, label = posteriors(tree, xs)
    ref_latent, ref_label = brute_force_posteriors(tree, xs.astype(int))
    ok = np.isfinite(ref_label[:, 0])
    assert ok.sum() >= 16
    np.testing.assert_allclose(label[ok], ref_label[ok], rtol=0, atol=EXACT_ATOL)
    for n in tree.latents:
        np.testing.assert_allclose(latent[n][ok], ref_latent[n][ok], rtol=0, atol=EXACT_ATOL)
    # negative control: the posterior of a tree with another rho is not the brute force's
    wrong_latent, _ = brute_force_posteriors(tree, xs.astype(int), rho=rho - 0.2)
    assert max(np.nanmax(np.abs(latent[n][ok] - wrong_latent[n][ok])) for n in tree.latents) > 1e-3


def test_ceiling_bounds_every_single_token_and_is_reached_by_the_posterior():
    tree = build_tree(3, 2, rho=0.8, channel="symmetric", classes=2)
    draws = sample(tree, 20_000, seed=0)
    _, levels = latent_levels(tree, draws)
    ceiling = alignment_ceiling(tree, draws.tokens, levels)
    # a token indicator is one function of the tokens: it cannot beat the posterior (up to
    # sampling noise of a correlation on 20000 draws, ~1/sqrt(n) ~ 0.007)
    single = normalised_correlation(draws.tokens.astype(float), levels[0]).max(axis=0).mean()
    assert single <= ceiling[0] + 0.02
    # negative control: the noisy tree's ceiling is below 1, and lower one level up
    assert ceiling[0] < 0.99 and ceiling[1] < ceiling[0]


def test_ceiling_of_the_papers_data_counts_classes_with_equal_token_sets():
    data = build_combination(20, (4, 5, 4), (2, 2, 2), seed=0)
    tokens, labels, levels = data.draw(4000, np.random.default_rng(0))
    ceiling = alignment_ceiling(data, tokens, levels)
    sets = {tuple(row) for row in tokens[np.unique(labels, return_index=True)[1]]}
    assert (ceiling[-1] > 0.999) == (len(sets) == data.classes)
    assert alignment_ceiling(build_combination(20, (4, 5, 4), (2, 2, 2), rho=0.8), tokens, levels) == [None] * 3

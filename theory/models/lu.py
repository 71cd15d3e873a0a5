"""The attention classifier of Lu, Mao & Nayak, "On the Dynamics of Training Attention Models", ICLR 2021.

Every word :math:`i` has an embedding :math:`w_i\\in\\mathbb R^{d_e}` and a key
:math:`k_i\\in\\mathbb R^{d_k}`; one global query :math:`q`.  Score :math:`s_i = q^\\top k_i`,
attention :math:`a_i = e^{s_i}/\\sum_{j\\in S} e^{s_j}` over the sentence :math:`S`, context
:math:`c = \\sum_i a_i w_i`, then a classifier and a loss of :math:`c`.

The symbolic model holds ``N`` sentences that all contain the topic word :math:`t`, each with
``m`` non-topic words of its own.  Side conditions of the paper's identity (``frozen_nontopic``):
non-topic embeddings are 0 and their scores all equal :math:`s_0` (keys
:math:`k_j = s_0\\,q/\\|q\\|^2`), and they are not trained.

Arbitrary classifier and loss: with :math:`G_n = \\partial\\ell_n/\\partial c_n` (free symbols
``G{n}_{i}``), the surrogate :math:`\\tfrac1N\\sum_n G_n^\\top c_n` has the loss's gradient.
"""

from __future__ import annotations

import sympy as sp

from ..errors import InvalidArgument, UnknownNameError
from .joma import _check_size
from .spec import ModelSpec, ParamGroup

__all__ = ["CLASSIFIERS", "lu_classifier"]

CLASSIFIERS = ("FC", "TC", "TL")


def lu_classifier(
    N: int = 1,
    m: int | None = 2,
    d_e: int = 2,
    d_k: int = 2,
    *,
    classifier: str | None = None,
    classes: int = 2,
    trainable_query: bool = False,
    frozen_nontopic: bool = True,
) -> ModelSpec:
    r"""Build the Lu et al. model on ``N`` sentences containing topic word ``t``.

    Parameters
    ----------
    N : int
        Sentences (all with the topic word ``t``).
    m : int or None
        Non-topic words per sentence.  ``None`` makes :math:`m` a positive symbol: under the side
        conditions the :math:`m` frozen words are identical, so the sentence's attention
        normaliser is exactly :math:`e^{s_t} + m\,e^{s_0}` and the proof covers every :math:`m`.
    d_e, d_k : int
        Embedding and key dimensions.
    classifier : {None, "FC", "TC", "TL"}
        ``None``: arbitrary classifier and loss (``G{n}_{i}`` free).  ``"FC"``: fixed linear
        readout ``P{c}_{i}`` + cross-entropy; ``"TC"``: the readout is trained; ``"TL"``: a
        trained two-layer ReLU network (hidden width ``d_e``) + cross-entropy.  The label of
        every sentence is class 1 (the topic word decides the class).
    classes : int
        Number of classes for the concrete classifiers.
    trainable_query : bool
        Train :math:`q` too (the negative control: the identity breaks).
    frozen_nontopic : bool
        Impose the side conditions (non-topic words fixed at :math:`w=0`, score :math:`s_0`).
        ``False`` makes their embeddings ``u{n}_{j}_{i}`` and keys ``c{n}_{j}_{i}`` trainable.

    Returns
    -------
    ModelSpec
        Groups ``k`` (keys), ``w`` (embeddings), optionally ``q``, ``P``/``H``; symbols ``q{i}``,
        ``kt{i}``, ``wt{i}``, ``s_0``, ``eta`` (and ``m`` when ``m`` is ``None``); aliases
        ``s_t`` (the topic score :math:`q^\top k_t`), ``qnorm2`` (:math:`\|q\|^2`), ``wnorm2``
        (:math:`\|w_t\|^2`) and, for a concrete ``m``, ``m``.  ``extra`` also holds ``"q2"``
        and ``"w2"`` (the same two norms) for Python callers; they are not quantity names.
    """
    N = _check_size("N", N, 1, 16)
    if m is not None:
        m = _check_size("m", m, 1, 64)
    elif not frozen_nontopic:
        raise InvalidArgument("a symbolic m (m=None) needs frozen_nontopic=True: trainable words must be listed")
    d_e = _check_size("d_e", d_e, 1, 16)
    d_k = _check_size("d_k", d_k, 1, 16)
    classes = _check_size("classes", classes, 2, 16)
    if classifier not in (None, *CLASSIFIERS):
        raise UnknownNameError(
            f"unknown classifier {classifier!r}; expected one of: {', '.join(CLASSIFIERS)} (or none)"
        )
    if trainable_query and not frozen_nontopic:
        raise InvalidArgument("choose one negative control: trainable_query or frozen_nontopic=False")

    eta = sp.Symbol("eta", positive=True)
    s_0 = sp.Symbol("s_0", real=True)
    m_sym = sp.Symbol("m", positive=True, integer=True)
    q = [sp.Symbol(f"q{i}", real=True) for i in range(1, d_k + 1)]
    kt = [sp.Symbol(f"kt{i}", real=True) for i in range(1, d_k + 1)]
    wt = [sp.Symbol(f"wt{i}", real=True) for i in range(1, d_e + 1)]
    q2 = sum(qi**2 for qi in q)
    score_t = sum(qi * ki for qi, ki in zip(q, kt, strict=True))

    key_params: list[sp.Symbol] = list(kt)
    emb_params: list[sp.Symbol] = list(wt)
    contexts = []
    for n in range(1, N + 1):
        scores = [score_t]
        embs = [wt]
        mult = [sp.Integer(1)]
        if m is None:
            scores.append(s_0)  # m identical frozen words: embedding 0, score s_0
            embs.append([sp.Integer(0)] * d_e)
            mult.append(m_sym)
        for j in range(1, (m or 0) + 1):
            mult.append(sp.Integer(1))
            if frozen_nontopic:
                scores.append(s_0)  # key s_0 q/|q|^2, frozen: its score stays s_0
                embs.append([sp.Integer(0)] * d_e)
            else:
                kj = [sp.Symbol(f"c{n}_{j}_{i}", real=True) for i in range(1, d_k + 1)]
                wj = [sp.Symbol(f"u{n}_{j}_{i}", real=True) for i in range(1, d_e + 1)]
                key_params += kj
                emb_params += wj
                scores.append(sum(qi * ki for qi, ki in zip(q, kj, strict=True)))
                embs.append(wj)
        weights = [c * sp.exp(s) for c, s in zip(mult, scores, strict=True)]
        total = sum(weights)
        att = [wgt / total for wgt in weights]
        contexts.append([sum(att[i] * embs[i][d] for i in range(len(embs))) for d in range(d_e)])

    data: list[sp.Symbol] = []
    extra_groups: list[ParamGroup] = []
    if classifier is None:
        G = [[sp.Symbol(f"G{n}_{i}", real=True) for i in range(1, d_e + 1)] for n in range(1, N + 1)]
        data += [s for row in G for s in row]
        loss = sum(G[n][i] * contexts[n][i] for n in range(N) for i in range(d_e)) / N
    else:
        P = [[sp.Symbol(f"P{c}_{i}", real=True) for i in range(1, d_e + 1)] for c in range(1, classes + 1)]
        if classifier == "TL":
            H = [[sp.Symbol(f"H{h}_{i}", real=True) for i in range(1, d_e + 1)] for h in range(1, d_e + 1)]
            feats = [[sp.Max(0, sum(H[h][i] * c[i] for i in range(d_e))) for h in range(d_e)] for c in contexts]
            extra_groups.append(ParamGroup("H", tuple(s for row in H for s in row), eta))
        else:
            feats = contexts
        logits = [[sum(P[c][i] * f[i] for i in range(d_e)) for c in range(classes)] for f in feats]
        loss = sum(sp.log(sum(sp.exp(lc) for lc in lg)) - lg[0] for lg in logits) / N
        p_syms = tuple(s for row in P for s in row)
        if classifier in ("TC", "TL"):
            extra_groups.append(ParamGroup("P", p_syms, eta))
        else:
            data += list(p_syms)

    groups = [
        ParamGroup("k", tuple(key_params), eta),
        ParamGroup("w", tuple(emb_params), eta),
        *extra_groups,
    ]
    if trainable_query:
        groups.append(ParamGroup("q", tuple(q), eta))
        consts: tuple[sp.Symbol, ...] = (eta, s_0)
    else:
        consts = (eta, s_0, *q)
    if m is None:
        consts = (*consts, m_sym)
    # Alias names contain "norm", which no generated symbol name (q{i}, kt{i}, wt{i}, G{n}_{i},
    # P{c}_{i}, H{h}_{i}, c{n}_{j}_{i}, u{n}_{j}_{i}) does, at any size.  A symbolic m is already
    # the constant "m", so the alias "m" exists only for a concrete m.
    aliases: dict[str, sp.Expr] = {"s_t": score_t, "qnorm2": q2, "wnorm2": sum(w**2 for w in wt)}
    if m is not None:
        aliases["m"] = sp.Integer(m)
    assumptions = [
        "one learning rate eta for keys and embeddings",
        "every sentence contains the topic word t and exactly m non-topic words",
    ]
    if frozen_nontopic:
        assumptions.append("non-topic words frozen: embeddings 0, scores s_0 (the identity's side conditions)")
    else:
        assumptions.append("non-topic words trainable (the identity is then only approximate)")
    assumptions.append("query q trained (negative control)" if trainable_query else "query q fixed")
    return ModelSpec(
        name="lu"
        + ("-trained-query" if trainable_query else "")
        + ("-trainable-nontopic" if not frozen_nontopic else ""),
        loss=loss,
        params=tuple(groups),
        data=tuple(data),
        constants=consts,
        sizes={"N": N, "m": m if m is not None else "any", "d_e": d_e, "d_k": d_k},
        assumptions=tuple(assumptions),
        description=f"Lu et al. attention classifier ({classifier or 'arbitrary classifier'}), {N} sentences, m={m}",
        extra={
            "score_t": score_t,
            "q2": q2,
            "w2": sum(w**2 for w in wt),
            "m": m if m is not None else m_sym,
            "s_0": s_0,
            "aliases": aliases,
        },
    )

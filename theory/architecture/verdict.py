"""The compare-arch verdict in prose (issue 15 item 6).

Role: turn the rows of :func:`~.compare.compare_architectures` into sentences that a
practitioner can act on, with no Python reprs: which model has the lower predicted loss
under which laws (only laws whose prediction is valid - below the uniform-guess entropy
``ln V`` - and, for repeated data, only laws that model repetition), which model covers
the context and which does not, what width was assumed, that at fixed width heads change
neither reach nor parameter count, the data's dependency range beside each reach, and
the overfitting risk with its reasons (:mod:`.overfit`).
"""

from __future__ import annotations

from .overfit import CHINCHILLA_TOKENS_PER_PARAM, sig
from .scaling import get_law

__all__ = ["TIE_NATS", "write_verdict"]

#: Predicted losses closer than this (nats/token) count as a tie in the verdict.
TIE_NATS = 0.005


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _loss_sentences(rows: list[dict], laws: list[str], epochs: float) -> list[str]:
    out: list[str] = []
    repeated = epochs > 1.0 + 1e-9
    blind = [law for law in laws if repeated and not rows[0]["losses"][law]["models_repetition"]]
    invalid = {law for law in laws for r in rows if not r["losses"][law]["valid"]}
    usable = [law for law in laws if law not in blind and law not in invalid]
    for law in sorted(invalid, key=laws.index):
        bad = [
            f"{r['losses'][law]['loss']:.2f} nats/token for {r['name']}" for r in rows if not r["losses"][law]["valid"]
        ]
        out.append(
            f"{law} predicts {_join(bad)}, above ln {rows[0]['spec']['vocab']} = "
            f"{rows[0]['uniform_guess_loss']:.2f}, the loss of guessing uniformly: outside the law's validity "
            "(far from the models and data it was fitted on); not used to rank the models."
        )
    if blind:
        out.append(
            f"{_join(blind)} {'does' if len(blind) == 1 else 'do'} not model repeated data: at {sig(epochs)} epochs "
            f"{'its' if len(blind) == 1 else 'their'} losses treat the repeated tokens as fresh and are optimistic; "
            "not used to rank the models"
            + ("" if "muennighoff2023" in laws else " (add --law muennighoff2023, which does)")
            + "."
        )
    if len(rows) == 1:
        return [f"Predicted loss of {rows[0]['name']}: see the table.", *out]
    if not usable:
        return ["No usable law ranks the models (see below): the predicted losses are no evidence here.", *out]
    best: dict[str, str] = {}
    spread: dict[str, float] = {}
    for law in usable:
        losses = sorted((r["losses"][law]["loss"], r["name"]) for r in rows)
        spread[law] = losses[-1][0] - losses[0][0]
        best[law] = "tie" if losses[1][0] - losses[0][0] < TIE_NATS else losses[0][1]
    winners = {w for w in best.values() if w != "tie"}
    ties = [law for law in usable if best[law] == "tie"]
    scope = (
        "every law"
        if len(usable) == len(laws)
        else f"{_join(usable)}, the only {'law' if len(usable) == 1 else 'laws'} here both valid and applicable"
    )
    if len(winners) == 1 and not ties:
        w = next(iter(winners))
        head = (
            f"Lower predicted loss: {w} under {scope}; the gap is "
            f"{min(spread.values()):.2f}-{max(spread.values()):.2f} nats/token."
        )
    elif not winners:
        head = f"Predicted losses tie (< {TIE_NATS} nats/token apart) under {_join(ties)}" + (
            ": with this much repetition extra parameters are worth almost nothing." if repeated else "."
        )
    elif len(winners) == 1:
        w = next(iter(winners))
        head = (
            f"Lower predicted loss: {w} under {_join([k for k in usable if best[k] == w])}; a tie "
            f"(< {TIE_NATS} nats/token apart) under {_join(ties)}."
        )
    else:
        parts = [f"{law}: {best[law]}" for law in usable]
        head = f"The laws disagree on the better model ({'; '.join(parts)})."
    return [head, *out]


def _reach_sentences(rows: list[dict], context: int, data: dict | None) -> list[str]:
    out: list[str] = []
    if all(r["covers_context"] and (r["layers_to_cover_context"] or 0) <= 1 for r in rows):
        out.append(
            f"Receptive field: every model covers the {context:,}-token context from its first layer: with full "
            "(or causal) attention one layer already sees the whole context, so depth does not buy reach; "
            "unlike a CNN, the receptive field is set by the mask, not by depth."
        )
    else:
        parts = []
        for r in rows:
            need = r["layers_to_cover_context"]
            need_txt = f"{need} layers needed" if need is not None else "no depth suffices"
            mask = r["spec"]["mask"]
            if r["covers_context"]:
                parts.append(f"{r['name']} ({r['spec']['layers']} layers of {mask}) covers it ({need_txt})")
            else:
                parts.append(
                    f"{r['name']} ({r['spec']['layers']} layers of {mask}) does NOT cover it: its last position "
                    f"reaches {r['theoretical_rf_last_position']:,} tokens ({need_txt})"
                )
        out.append(f"Receptive field for the {context:,}-token context: " + "; ".join(parts) + ".")
    m = (data or {}).get("measured_rf")
    if m:
        same = [r["name"] for r in rows if r.get("measured_rf")]
        out.append(
            f"Measured effective receptive field (attention rollout of the maps in {m['source']}, {m['layers']} "
            f"layers, {m['n']} tokens): half of the last position's attribution lies within {m['q50']:.0f} tokens, "
            f"90% within {m['q90']:.0f}; "
            + (f"it applies to {_join(same)} (same depth)." if same else "no compared model has that depth.")
        )
    dep = (data or {}).get("dependency")
    if dep and dep.get("measured_up_to"):
        rng, (lo, hi) = dep["range"], dep["range_interval"]
        if rng == 0:
            out.append(
                f"Data: no distance up to {dep['measured_up_to']} tokens carries information about the next token "
                "beyond the shuffled-document baseline, so reach is no differentiator."
            )
        else:
            short = [r["name"] for r in rows if r["theoretical_rf_last_position"] < hi]
            bound = "at least " if dep.get("at_least") else ""
            out.append(
                f"Data: information about the next token reaches {bound}{rng} tokens back (95% interval {lo}-{hi}; "
                "beyond it the mutual information is indistinguishable from a shuffled-document baseline); "
                + (f"the reach of {_join(short)} falls short of it." if short else "every model's reach covers it.")
            )
    return out


def _width_sentences(rows: list[dict]) -> list[str]:
    out = [f"{r['name']}: {r['spec']['assumed']}." for r in rows if r["spec"]["assumed"]]
    differs = ""
    if len(rows) >= 2:
        what = [k for k in ("layers", "d_model") if len({r["spec"][k] for r in rows}) > 1]
        names = {"layers": "depth", "d_model": "width"}
        differs = (
            f"; what differs between these models is {_join([names[k] for k in what])}"
            if what
            else "; these models differ only in their heads, so their reach and parameter count are equal"
        )
    out.append(
        "At fixed width (d_model) the number of heads changes neither the reach (set by the masks and the number "
        "of layers) nor the parameter count (attention holds 4 d_model (heads x d_head) weights, and heads x "
        f"d_head = d_model){differs}."
    )
    return out


def _risk_sentences(rows: list[dict], epochs: float) -> list[str]:
    out = []
    for r in rows:
        ref = "besiroglu2024" if "besiroglu2024" in r["losses"] else next(iter(r["losses"]))
        opt = r["losses"][ref]
        out.append(
            f"{r['name']}: {sig(r['params_total'] / 1e6)}M parameters; {sig(r['tokens_per_param'])} tokens per "
            f"parameter (compute-optimal ~{CHINCHILLA_TOKENS_PER_PARAM:.0f}, Hoffmann et al. 2022; "
            f"~{sig(opt['compute_optimal_tokens_per_param'])} at its compute under {ref}), "
            f"{sig(r['unique_tokens_per_param'])} unique tokens per parameter, {sig(epochs)} epochs; reaching "
            f"~{CHINCHILLA_TOKENS_PER_PARAM:.0f} tokens per parameter on this data would take "
            f"{sig(r['epochs_for_chinchilla_ratio'])} epochs. Overfitting risk {r['overfitting_risk'].upper()}: "
            + "; ".join(r["overfitting_reasons"])
            + "."
        )
    return out


def write_verdict(
    rows: list[dict], laws: list[str], *, context: int, tokens: float, unique: float | None, data: dict | None
) -> list[str]:
    """Sentences of the verdict (module docstring); ``data`` as in :func:`~.compare.compare_architectures`."""
    epochs = rows[0]["epochs"]
    out = _loss_sentences(rows, laws, epochs)
    out.extend(_reach_sentences(rows, context, data))
    out.extend(_width_sentences(rows))
    out.extend(_risk_sentences(rows, epochs))
    if len(rows) >= 2:
        cheap = min(rows, key=lambda r: r["training_flops"])
        dear = max(rows, key=lambda r: r["training_flops"])
        if cheap is not dear:
            out.append(
                f"Cost: {dear['name']} needs {dear['training_flops'] / cheap['training_flops']:.1f}x the training "
                f"compute of {cheap['name']} on the same tokens."
            )
    if unique is not None and unique < tokens:
        law = get_law("muennighoff2023")
        out.append(
            f"Repeated data: Muennighoff et al. (2023) discount repeated tokens (R*_D = {law.r_star_d:.1f}) and "
            f"parameters beyond the compute-optimal size for the unique data (R*_N = {law.r_star_n:.1f}); the "
            "larger R_N, the more of the model is capacity the data cannot use."
        )
    elif epochs <= 1.0 + 1e-9:
        out.append(
            "Overfitting: with every token seen once, neither model can memorise its training set in the "
            "classical sense; overfitting appears when data are repeated (give --unique-tokens, or --corpus "
            "with --epochs)."
        )
    return out

"""Side-by-side comparison of transformer architectures, with a plain-language verdict.

Role: answer the practitioner's question of issue 6 ("15 layers / 3 heads or 30 layers /
5 heads for 2048-token documents: which is better and less prone to overfitting? Is there
a receptive field?") from the pieces of this package:

* parameters (:mod:`.params`; the laws use the ``total`` count, as Hoffmann et al. did);
* theoretical receptive field of the mask stack at the context (:mod:`.reach`);
* effective receptive field: rollout (:mod:`.rollout`) of *synthetic* distance-decaying
  attention within the mask (an assumption, stated in the output: real maps differ);
* predicted loss under every law with its uncertainty (:mod:`.scaling`), flagged invalid
  above the uniform-guess entropy ``ln V``;
* tokens per parameter and the overfitting risk (:mod:`.overfit`);
* the verdict in prose (:mod:`.verdict`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument
from .attention import load_attention_npz, synthetic_attention
from .corpus import MAX_CONTEXT
from .coverage import receptive_field
from .mask_spec import parse_mask
from .overfit import overfitting_risk, sig
from .params import ArchSpec, count_parameters, parse_arch
from .rollout import distance_quantiles, repeated_rollout_row, rollout
from .scaling import LAWS, compute_optimal, get_law, predict_loss
from .verdict import write_verdict

__all__ = ["Comparison", "compare_architectures", "measured_effective_rf", "render_comparison"]

#: Largest sequence length used for the synthetic rollout (dense n x n products).
EFFECTIVE_N_MAX = 2048


@dataclass(frozen=True)
class Comparison:
    """Rows (one dict per architecture), the verdict, and the stated assumptions."""

    rows: list[dict]
    verdict: list[str]
    assumptions: list[str]
    warnings: list[str]

    def to_dict(self) -> dict:
        """JSON-able dictionary."""
        return {
            "architectures": self.rows,
            "verdict": self.verdict,
            "assumptions": self.assumptions,
            "warnings": self.warnings,
        }


def _range_notes(arch: ArchSpec, n_total: float, tokens: float, laws: list[str]) -> list[str]:
    """One line per quantity outside the fit ranges, naming the laws concerned."""
    out = []
    for what, value, attr in (("N", n_total, "n_range"), ("D", tokens, "d_range")):
        outside = [law for law in laws if not _inside(value, getattr(get_law(law), attr))]
        if outside:
            rng = {tuple(getattr(get_law(law), attr)) for law in outside}
            spans = ", ".join(f"[{lo:.2g}, {hi:.2g}]" for lo, hi in sorted(rng))
            out.append(
                f"{arch.label()}: {what}={value:.3g} is outside the fit range {spans} of "
                f"{', '.join(outside)}: extrapolation"
            )
    return out


def _inside(value: float, rng: tuple[float, float]) -> bool:
    return rng[0] <= value <= rng[1]


def _row(arch: ArchSpec, tokens: float, unique: float | None, tau: float, laws: list[str]) -> dict:
    counts = count_parameters(arch)
    n_total = counts["total"]
    mask = parse_mask(arch.mask)
    rf = receptive_field(mask, arch.layers, arch.context)
    n_eff = min(arch.context, EFFECTIVE_N_MAX)
    one = synthetic_attention(mask, n_eff, 1, kind="decay", tau=tau).attn[0]  # same every layer
    row = n_eff - 1 if mask.causal else n_eff // 2  # a position with the most context
    vec = repeated_rollout_row(one, arch.layers, row)  # stops at its fixed point: layers=1e15 is cheap
    attribution = np.zeros((n_eff, n_eff))
    attribution[row] = vec
    eff = distance_quantiles(attribution, rows=[row])
    compute = 6.0 * n_total * tokens
    uniform = math.log(arch.vocab)
    preds: dict = {}
    notes = _range_notes(arch, n_total, tokens, laws)
    for name in laws:
        p = predict_loss(name, n_total, tokens, unique_tokens=unique, warn=False)
        opt = compute_optimal(name, compute)
        preds[name] = {
            "loss": p["loss"],
            "stderr": p["stderr"],
            "valid": p["loss"] <= uniform,
            "models_repetition": get_law(name).r_star_d is not None,
            "compute_optimal_params": opt["params"],
            "compute_optimal_tokens_per_param": opt["tokens_per_param"],
        }
    penalty = None
    if unique is not None:
        fresh = predict_loss("muennighoff2023", n_total, tokens, warn=False)["loss"]
        penalty = predict_loss("muennighoff2023", n_total, tokens, unique_tokens=unique, warn=False)["loss"] - fresh
    risk = overfitting_risk(n_total, tokens, unique)
    return {
        "name": arch.label(),
        "spec": arch.to_dict(),
        "params_total": n_total,
        "params_non_embedding": counts["non_embedding"],
        "params_embedding": counts["embedding"] + counts["unembedding"],
        "training_flops": compute,
        "theoretical_rf_last_position": rf.last_count,
        "covers_context": rf.last_count >= arch.context,
        "layers_to_cover_context": rf.layers_to_cover,
        "effective_rf": {"source": "synthetic decay (assumed, not measured)", "n": n_eff, "tau": tau, **eff},
        "uniform_guess_loss": uniform,
        "losses": preds,
        "tokens_per_param": risk["tokens_per_param"],
        "unique_tokens_per_param": risk["unique_tokens_per_param"],
        "epochs": risk["epochs"],
        "epochs_for_chinchilla_ratio": risk["epochs_for_chinchilla_ratio"],
        "repeat_penalty_loss": penalty,
        "overfitting_risk": risk["level"],
        "overfitting_reasons": risk["reasons"],
        "repetitions_RD": risk["R_D"],
        "excess_params_RN": risk["R_N"],
        "compute_optimal_params_for_unique_data": risk["compute_optimal_params_for_unique_data"],
        "notes": notes,
    }


def compare_architectures(
    specs: list[str],
    *,
    context: int = 2048,
    tokens: float = 2e9,
    unique_tokens: float | None = None,
    tau: float = 16.0,
    laws: list[str] | None = None,
    vocab: int | None = None,
    data: dict | None = None,
    attention: str | None = None,
) -> Comparison:
    """Compare architectures given as spec strings (see :func:`~.params.parse_arch`).

    ``vocab`` fills the specs that give none (e.g. the corpus tokenizer's vocabulary);
    ``data`` describes the corpus (``documents``, ``tokens``, ``unique_tokens``, ``source``
    and optionally ``dependency`` with ``range``, ``range_interval``, ``at_least``), shown
    beside the reach in the verdict.  ``attention`` is an ``.npz`` of measured maps
    (:func:`~.attention.load_attention_npz`): its rollout gives the measured effective
    receptive field of the architectures with the same number of layers.
    """
    if len(specs) < 1:
        raise InvalidArgument("give at least one architecture spec, e.g. layers=15,heads=3,d_head=64")
    if not 1 <= context <= MAX_CONTEXT:
        raise InvalidArgument(f"context must lie in 1..{MAX_CONTEXT:.0e} tokens, got {context:g}")
    for name, v in (("tokens", tokens), ("unique_tokens", unique_tokens)):
        if v is not None and not (math.isfinite(v) and 0 < v <= 1e16):
            raise InvalidArgument(f"{name} must lie in (0, 1e16], got {name}={v:g}")
    laws = list(LAWS) if laws is None else laws
    archs = [parse_arch(s, context=context, vocab=vocab) for s in specs]
    rows = [_row(a, tokens, unique_tokens, tau, laws) for a in archs]
    measured = None if attention is None else measured_effective_rf(attention)
    for r in rows:
        r["measured_rf"] = measured if measured and measured["layers"] == r["spec"]["layers"] else None
    if measured:
        data = {**(data or {}), "measured_rf": measured}
    warnings = [w for r in rows for w in r["notes"]]
    text = write_verdict(rows, laws, context=context, tokens=tokens, unique=unique_tokens, data=data)
    assumptions = [
        "Loss from Chinchilla-type fits L = E + A/N^alpha + B/D^beta on total parameters "
        "(embeddings included) for dense decoder LMs trained on web text; other data, "
        "objectives (e.g. classification fine-tuning) or tokenizers shift the constants.",
        f"Training on {sig(tokens)} tokens"
        + (f" drawn from {sig(unique_tokens)} unique tokens" if unique_tokens else " (all unique)")
        + "; compute C = 6 N D.",
        "Theoretical receptive field (reach) = positions with a path through the layer masks; "
        "heads add paths but never widen a fixed mask's reach.",
        f"The 'synthetic-decay RF' row is NOT measured: attention rollout (0.5 A + 0.5 I) of "
        f"synthetic attention decaying as exp(-|i-j|/{tau:g}) within the mask, the same in every layer "
        f"and head, for the last position of {rows[0]['effective_rf']['n']} tokens (the middle "
        "one for bidirectional masks). It grows with depth because an assumed decay spreads like a "
        "random walk, not because depth buys reach; pass measured maps with --attention NPZ.",
        "Standard errors only where published (besiroglu2024), parameters taken independent.",
    ]
    assumptions.extend(sorted({f"{a.label()}: {a.assumed}" for a in archs if a.assumed}))
    return Comparison(rows, text, assumptions, warnings)


def measured_effective_rf(path: str, *, residual: float = 0.5) -> dict:
    """Rollout (residual ``0.5``) of measured maps in an ``.npz``: distance quantiles of the last position."""
    stack = load_attention_npz(path)
    r = rollout(stack.attn, residual=residual)
    q = distance_quantiles(r, rows=[stack.n - 1])
    return {"source": str(path), "layers": stack.layers, "n": stack.n, **q}


def render_comparison(cmp: Comparison) -> str:
    """Plain-text side-by-side table followed by verdict, assumptions and warnings."""
    rows = cmp.rows
    names = [r["name"] for r in rows]
    laws = list(rows[0]["losses"])

    def fmt_loss(r: dict, law: str) -> str:
        p = r["losses"][law]
        text = f"{p['loss']:.3f}" + (f" ± {p['stderr']:.3f}" if p["stderr"] else "")
        return text + ("" if p["valid"] else " (> ln V: invalid)")

    context = rows[0]["spec"]["context"]
    lines_spec: list[tuple[str, list[str]]] = [
        ("parameters (total)", [f"{r['params_total']:,}" for r in rows]),
        ("parameters (non-embedding)", [f"{r['params_non_embedding']:,}" for r in rows]),
        ("width d_model (heads x d_head)", [
            f"{r['spec']['d_model']} ({r['spec']['heads']} x {r['spec']['d_head']})"
            + (" assumed" if r["spec"]["assumed"] else "") for r in rows
        ]),
        ("training FLOPs (6ND)", [f"{r['training_flops']:.3g}" for r in rows]),
        ("reach of last position", [f"{r['theoretical_rf_last_position']:,}" for r in rows]),
        (f"covers context {context:,}", ["yes" if r["covers_context"] else "NO" for r in rows]),
        ("layers to cover context", [str(r["layers_to_cover_context"]) for r in rows]),
        ("synthetic-decay RF q50/q90", [
            f"{r['effective_rf']['q50']:.0f} / {r['effective_rf']['q90']:.0f}" for r in rows
        ]),
        *([("measured RF q50/q90 (rollout)", [
            f"{r['measured_rf']['q50']:.0f} / {r['measured_rf']['q90']:.0f}" if r.get("measured_rf") else "-"
            for r in rows
        ])] if any(r.get("measured_rf") for r in rows) else []),
        *[(f"loss {law}", [fmt_loss(r, law) for r in rows]) for law in laws],
        ("uniform guess ln V", [f"{r['uniform_guess_loss']:.3f}" for r in rows]),
        ("tokens per parameter", [sig(r["tokens_per_param"]) for r in rows]),
        ("unique tokens per parameter", [sig(r["unique_tokens_per_param"]) for r in rows]),
        ("epochs over unique data", [sig(r["epochs"]) for r in rows]),
        ("epochs for 20 tokens/param", [sig(r["epochs_for_chinchilla_ratio"]) for r in rows]),
        ("R_D / R_N (Muennighoff)", [f"{sig(r['repetitions_RD'])} / {sig(r['excess_params_RN'])}" for r in rows]),
        ("overfitting risk", [r["overfitting_risk"] for r in rows]),
    ]  # fmt: skip
    w0 = max(len(k) for k, _ in lines_spec)
    widths = [max(len(n), *(len(v[c]) for _, v in lines_spec)) for c, n in enumerate(names)]
    out = [(" " * w0 + "  " + "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))).rstrip()]
    for key, vals in lines_spec:
        cells = "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True))
        out.append((key.ljust(w0) + "  " + cells).rstrip())
    out.append("")
    out.append("Verdict:")
    out.extend(f"  - {v}" for v in cmp.verdict)
    out.append("Assumptions:")
    out.extend(f"  - {a}" for a in cmp.assumptions)
    if cmp.warnings:
        out.append("Warnings:")
        out.extend(f"  - {w}" for w in cmp.warnings)
    return "\n".join(out)

"""CLI: ``receptive-field``, ``compare-arch``, ``attention-flow``, ``scaling`` (issue 6).

No logic here: parse, call :mod:`theory.architecture`, render.
"""

from __future__ import annotations

import argparse
import math

from ..errors import InvalidArgument
from ._output import Result, add_json_flag

__all__ = ["register"]


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return v


def _positive_int(text: str) -> int:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if not v.is_integer() or v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(v)


def _nonneg_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return v


def _nonneg_int(text: str) -> int:
    if text.strip() == "0":
        return 0
    return _positive_int(text)


def register(sub: argparse._SubParsersAction) -> None:
    """Register the architecture sub-commands."""
    p = sub.add_parser(
        "receptive-field",
        help="exact reach of stacked attention masks (layers to cover a context)",
        description="Exact theoretical receptive field of L layers of attention masks. "
        "Mask specs: full, causal, window:W, window:W,causal=false, dilated:window=W,d=D, "
        "global:k, sink:k, block:B, chunked:B, prefix:P, mix:A|B (per-head union). "
        "Repeat --mask to cycle masks over layers.",
    )
    p.add_argument("--layers", type=_nonneg_int, required=True, help="number of layers L")
    p.add_argument("--mask", action="append", default=None, help="mask spec, repeatable (default: causal)")
    p.add_argument("--context", type=_positive_int, default=131072, help="sequence length n (default: %(default)s)")
    p.add_argument(
        "--method",
        choices=("auto", "interval", "sparse"),
        default="auto",
        help="interval arithmetic or sparse reachability; auto picks (default: %(default)s)",
    )
    add_json_flag(p)
    p.set_defaults(run=_run_receptive_field)

    p = sub.add_parser(
        "compare-arch",
        help="compare transformer shapes: parameters, reach, predicted loss, overfitting risk",
        description='Compare architectures given as "layers=15,heads=3,d_model=192" '
        "(optional: d_head, ffn, vocab, tied, gated, bias, positional, mask, name; without d_model or "
        "d_head a head size of 64 is assumed and said). With --corpus the tokens, unique tokens and "
        "vocabulary come from your documents (see `theory corpus --help`).",
    )
    p.add_argument("specs", nargs="+", help="architecture spec strings")
    p.add_argument("--context", type=_positive_int, default=2048, help="sequence length n (default: %(default)s)")
    p.add_argument(
        "--tokens",
        type=_positive_float,
        default=None,
        help="training tokens D (default: 2e9, or --epochs x the corpus's unique tokens with --corpus)",
    )
    p.add_argument(
        "--unique-tokens",
        type=_positive_float,
        default=None,
        help="unique tokens, for repeated data (default: = --tokens, or counted with --corpus)",
    )
    p.add_argument(
        "--tau", type=_positive_float, default=16.0, help="synthetic attention decay length (default: %(default)s)"
    )
    p.add_argument(
        "--law",
        action="append",
        default=None,
        help="scaling law, repeatable (see `theory scaling --help`; default: all)",
    )
    p.add_argument("--corpus", default=None, help="folder of .txt files, .jsonl or text file to count (default: none)")
    p.add_argument(
        "--attention",
        default=None,
        metavar="NPZ",
        help="measured attention maps (.npz, array 'attn') for a measured effective-RF row (default: none)",
    )
    p.add_argument(
        "--epochs",
        type=_positive_float,
        default=1.0,
        help="passes over the corpus when --tokens is not given (default: %(default)s)",
    )
    from .corpus import add_corpus_options

    add_corpus_options(p)
    p.add_argument(
        "--probe",
        action="store_true",
        help="train both shapes at reduced width on the corpus and measure the train/validation gap "
        "(torch extra; default: off)",
    )
    p.add_argument(
        "--probe-seconds",
        type=_positive_float,
        default=60.0,
        help="training time per model for --probe (default: %(default)s)",
    )
    p.add_argument(
        "--probe-width", type=_positive_int, default=64, help="d_model of the reduced models (default: %(default)s)"
    )
    p.add_argument(
        "--probe-context",
        type=_positive_int,
        default=128,
        help="sequence length of the probe's training windows (default: %(default)s)",
    )
    p.add_argument("--probe-plot", default=None, help="write the probe's learning curves to this .png (default: none)")
    add_json_flag(p)
    p.set_defaults(run=_run_compare)

    p = sub.add_parser(
        "attention-flow",
        help="attention rollout / flow on saved (.npz), synthetic or real model attention maps",
        description="Effective receptive field by attention rollout and attention flow "
        "(Abnar & Zuidema 2020). Input: an .npz with array 'attn' of shape (L, H, n, n) "
        "or (L, n, n), rows summing to 1; or --synthetic MASK; or --minilm K (SST sentences); "
        "or --model minilm|FOLDER with --text-file FILE (your text through the packaged MiniLM or "
        "a local Hugging Face model, offline). --export-maps writes the maps to an .npz this "
        "command reads back.",
    )
    p.add_argument("path", nargs="?", default=None, help=".npz with array 'attn'")
    p.add_argument(
        "--method",
        choices=("rollout", "flow", "both"),
        default="both",
        help="which measure to compute (default: %(default)s)",
    )
    p.add_argument(
        "--flow-method",
        choices=("fast", "networkx", "reference"),
        default="fast",
        help="max-flow solver (default: %(default)s)",
    )
    p.add_argument("--residual", type=float, default=0.5, help="attention weight vs identity (default: %(default)s)")
    p.add_argument("--synthetic", default=None, metavar="MASK", help="mask spec for synthetic maps")
    p.add_argument(
        "--kind",
        choices=("uniform", "decay", "peaked", "random"),
        default="decay",
        help="synthetic attention pattern within the mask (default: %(default)s)",
    )
    p.add_argument("--n", type=_positive_int, default=32, help="synthetic sequence length (default: %(default)s)")
    p.add_argument("--layers", type=_positive_int, default=6, help="synthetic layers (default: %(default)s)")
    p.add_argument("--heads", type=_positive_int, default=1, help="synthetic heads (default: %(default)s)")
    p.add_argument("--tau", type=_positive_float, default=8.0, help="synthetic decay length (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed for synthetic maps (default: %(default)s)")
    p.add_argument(
        "--minilm",
        type=_positive_int,
        default=None,
        metavar="K",
        help="use all-MiniLM-L6-v2 on the first K SST dev sentences (extra: minilm)",
    )
    p.add_argument("--sst-dir", default=None, help="SST directory (default ../shared/data/sst)")
    p.add_argument(
        "--model",
        default=None,
        metavar="NAME_OR_DIR",
        help="'minilm' (the packaged all-MiniLM-L6-v2) or a local Hugging Face model folder; "
        "needs --text-file or --text (extra: minilm; default: none)",
    )
    p.add_argument("--text-file", default=None, help="UTF-8 text run through --model as one sequence (default: none)")
    p.add_argument("--text", default=None, help="text given inline instead of --text-file (default: none)")
    p.add_argument(
        "--max-tokens",
        type=_positive_int,
        default=None,
        help="truncate the text to this many tokens; by default a text beyond the model's "
        "position limit is refused (default: no truncation)",
    )
    p.add_argument(
        "--export-maps",
        default=None,
        metavar="NPZ",
        help="write the attention maps (attn, tokens) to this .npz, readable as the path argument (default: none)",
    )
    p.add_argument(
        "--tol",
        type=_nonneg_float,
        default=1e-6,
        help="relative certified gap of the fast flow: a pair is refined until its certified error "
        "is at most tol * value, else recomputed in floating point (default: %(default)s)",
    )
    p.add_argument(
        "--workers", type=_positive_int, default=1, help="processes for attention flow (default: %(default)s)"
    )
    p.add_argument(
        "--outputs",
        default="all",
        help="flow outputs: all (default), first, last, or comma-separated positions",
    )
    p.add_argument("--save", default=None, help="write rollout/flow matrices to this .npz")
    add_json_flag(p)
    p.set_defaults(run=_run_attention_flow)

    p = sub.add_parser(
        "scaling",
        help="predicted loss L(N, D) and compute-optimal N*, D* under cited scaling laws",
        description="Laws: hoffmann2022, hoffmann2022-precise, besiroglu2024, muennighoff2023. "
        "Give --params and --tokens (or --arch) for a prediction, --budget for the optimum.",
    )
    p.add_argument("--params", type=_positive_float, default=None, help="parameters N (total)")
    p.add_argument("--arch", default=None, help="architecture spec to count N from")
    p.add_argument("--tokens", type=_positive_float, default=None, help="training tokens D")
    p.add_argument(
        "--unique-tokens",
        type=_positive_float,
        default=None,
        help="unique tokens, for repeated data (default: = --tokens)",
    )
    p.add_argument("--budget", type=_positive_float, default=None, help="compute budget C (FLOPs)")
    p.add_argument("--law", default="hoffmann2022", help="scaling law, one of those above (default: %(default)s)")
    add_json_flag(p)
    p.set_defaults(run=_run_scaling)


# ----------------------------------------------------------------------------- handlers
def _run_receptive_field(args: argparse.Namespace) -> Result:
    from ..architecture import parse_mask, receptive_field

    masks = [parse_mask(s) for s in (args.mask or ["causal"])]
    rep = receptive_field(masks, args.layers, args.context, method=args.method)
    d = rep.to_dict()
    lines = [
        f"masks: {', '.join(rep.masks)} (cycled over {rep.layers} layers), context n={rep.n}",
        f"reach of the last position: {rep.last_count} tokens (span {rep.last_span})",
        f"reach over positions: min {rep.min_count}, mean {rep.mean_count:.1f}",
        f"closed form span: {rep.closed_form_span if rep.closed_form_span else 'n/a'}",
        "layers to cover the context: "
        + (str(rep.layers_to_cover) if rep.layers_to_cover is not None else rep.cover_status),
        f"method: {rep.method} ({rep.seconds * 1e3:.1f} ms)",
    ]
    return Result(data=d, text="\n".join(lines))


def _run_compare(args: argparse.Namespace) -> Result:
    from ..architecture import compare_architectures, get_law, render_comparison
    from .corpus import read_corpus, render_corpus, render_dependency

    laws = args.law
    if laws:
        for name in laws:
            get_law(name)
    tokens, unique, vocab, data = args.tokens, args.unique_tokens, None, None
    extra: list[str] = []
    stats = None
    if args.probe and args.corpus is None:
        raise InvalidArgument("--probe trains on your documents: give --corpus PATH")
    if args.corpus is not None:
        if unique is not None:
            raise InvalidArgument("give --corpus or --unique-tokens, not both (the corpus counts its unique tokens)")
        stats, dep = read_corpus(args.corpus, args, args.context)
        data = stats.to_dict()
        unique, vocab = float(stats.unique_tokens), stats.vocab_size
        tokens = tokens if tokens is not None else args.epochs * unique
        extra.extend(render_corpus(data))
        if dep is not None:
            data["dependency"] = dep.to_dict()
            data["dependency"]["summary"] = dep.summary()
            extra.extend(render_dependency(data["dependency"], dep.summary(), []))
        extra.append("")
    cmp = compare_architectures(
        args.specs,
        context=args.context,
        tokens=2e9 if tokens is None else tokens,
        unique_tokens=unique,
        tau=args.tau,
        laws=laws,
        vocab=vocab,
        data=data,
        attention=args.attention,
    )
    out = cmp.to_dict()
    text = "\n".join(extra) + render_comparison(cmp)
    if data is not None:
        out["corpus"] = data
    if args.probe and stats is not None:
        from ..architecture.probe import ProbeConfig, render_probe, run_probe

        probe = run_probe(
            args.specs, stats.sample, stats.vocab_size,
            ProbeConfig(seconds=args.probe_seconds, width=args.probe_width, context=args.probe_context,
                        seed=args.seed),
            plot=args.probe_plot,
        )  # fmt: skip
        out["probe"] = probe
        text += "\n\n" + render_probe(probe)
    return Result(data=out, text=text)


def _summary(stack, args: argparse.Namespace) -> tuple[dict, dict]:
    import numpy as np

    from ..architecture import (
        attention_entropy,
        attention_flow,
        distance_quantiles,
        rollout,
    )

    out: dict = {
        "layers": stack.layers,
        "heads": int(stack.attn.shape[1]),
        "n": stack.n,
        "entropy_per_layer": attention_entropy(stack.attn).tolist(),
    }
    arrays: dict = {}
    if stack.tokens is not None:
        out["tokens"] = list(stack.tokens)
    if args.method in ("rollout", "both"):
        r = rollout(stack.attn, residual=args.residual)
        out["rollout"] = distance_quantiles(r, rows=_outputs(args.outputs, stack.n))
        arrays["rollout"] = r
    if args.method in ("flow", "both"):
        outs = _outputs(args.outputs, stack.n)
        f = attention_flow(
            stack.attn,
            residual=args.residual,
            method=args.flow_method,
            workers=args.workers,
            outputs=outs,
            tol=args.tol,
        )
        out["flow"] = {
            "method": f.method,
            "seconds": f.seconds,
            "tol": args.tol,
            "max_certified_gap": f.max_gap,
            "exact_fallbacks": f.fallbacks,
        }
        out["flow"]["outputs"] = list(f.outputs)
        full = np.zeros((stack.n, stack.n))
        full[list(f.outputs)] = f.values
        out["flow"].update(distance_quantiles(full, rows=list(f.outputs)))
        arrays["flow"] = f.values
        arrays["flow_gap"] = f.gaps
    return out, arrays


def _outputs(text: str, n: int) -> list[int] | None:
    """Parse --outputs: all, first, last or comma-separated positions in 0..n-1."""
    t = text.strip().lower()
    if t == "all":
        return None
    if t == "first":
        return [0]
    if t == "last":
        return [n - 1]
    try:
        pos = [int(x) for x in t.split(",")]
    except ValueError:
        raise InvalidArgument(f"--outputs must be all, first, last or comma-separated integers, got {text!r}") from None
    if any(not 0 <= p < n for p in pos):
        raise InvalidArgument(f"--outputs positions must lie in 0..{n - 1}, got {text!r}")
    return pos


def _render_summary(s: dict, title: str) -> list[str]:
    lines = [f"{title}: {s['layers']} layers, {s['heads']} heads, n={s['n']}"]
    ent = ", ".join(f"{e:.2f}" for e in s["entropy_per_layer"])
    lines.append(f"  attention entropy per layer (nats): {ent}")
    if "rollout" in s:
        r = s["rollout"]
        lines.append(f"  rollout: distance q50 {r['q50']:.1f}, q90 {r['q90']:.1f}, mean {r['mean_distance']:.2f}")
    if "flow" in s:
        f = s["flow"]
        lines.append(
            f"  flow ({f['method']}, {f['seconds']:.2f} s, certified gap <= {f['max_certified_gap']:.1e}, "
            f"{f['exact_fallbacks']} exact fallbacks): distance q50 {f['q50']:.1f}, "
            f"q90 {f['q90']:.1f}, mean {f['mean_distance']:.2f}"
        )
    return lines


def _run_attention_flow(args: argparse.Namespace) -> Result:
    import numpy as np

    from .. import _io
    from ..architecture import (
        load_attention_npz,
        load_sst_sentences,
        minilm_attention,
        model_attention,
        parse_mask,
        read_text_file,
        save_attention_npz,
        synthetic_attention,
    )

    if (args.text_file is not None or args.text is not None) and args.model is None:
        raise InvalidArgument("--text-file / --text need --model (minilm or a local Hugging Face model folder)")
    sources = [x is not None for x in (args.path, args.synthetic, args.minilm, args.model)]
    if sum(sources) != 1:
        raise InvalidArgument(
            "give exactly one input: an .npz path, --synthetic MASK, --minilm K or --model NAME_OR_DIR"
        )
    if args.model is not None and (args.text_file is None) == (args.text is None):
        raise InvalidArgument("--model needs exactly one of --text-file FILE or --text TEXT")
    if not 0.0 <= args.residual <= 1.0:
        raise InvalidArgument(f"--residual must lie in [0, 1], got {args.residual}")
    if args.path is not None:
        stacks = [("file " + args.path, load_attention_npz(args.path))]
    elif args.synthetic is not None:
        if args.method in ("flow", "both"):  # refuse before the dense maps are built
            from ..architecture._budgets import flow_budget

            n_out = len(_outputs(args.outputs, args.n) or range(args.n))
            flow_budget(args.layers, args.n, n_out, args.n)
        st = synthetic_attention(
            parse_mask(args.synthetic), args.n, args.layers, kind=args.kind,
            heads=args.heads, tau=args.tau, seed=args.seed,
        )  # fmt: skip
        stacks = [(f"synthetic {args.kind} within {args.synthetic}", st)]
    elif args.model is not None:
        text = read_text_file(args.text_file) if args.text_file is not None else args.text
        (st,) = model_attention(args.model, text, max_tokens=args.max_tokens)
        where = args.text_file if args.text_file is not None else "--text"
        stacks = [(f"model {args.model} on {where} ({st.n} tokens)", st)]
    else:
        from pathlib import Path

        sst = args.sst_dir or str(Path(__file__).resolve().parents[2] / ".." / "shared/data/sst")
        sentences = load_sst_sentences(sst, args.minilm)
        stacks = [(f"MiniLM on {s!r}", st) for s, st in zip(sentences, minilm_attention(sentences), strict=True)]
    export = None
    if args.export_maps is not None:
        if len(stacks) != 1:
            raise InvalidArgument(f"--export-maps writes one input's maps; got {len(stacks)} inputs (use --minilm 1)")
        save_attention_npz(args.export_maps, stacks[0][1])
        export = f"saved attention maps {stacks[0][1].attn.shape} to {args.export_maps}"
    results, text, arrays = [], [], {}
    for k, (title, st) in enumerate(stacks):
        s, arr = _summary(st, args)
        s["source"] = title
        results.append(s)
        text.extend(_render_summary(s, title))
        arrays.update({f"{name}_{k}": v for name, v in arr.items()})
    if args.save:
        _io.atomic_savez(args.save, {k: np.asarray(v) for k, v in arrays.items()})
        text.append(f"saved {', '.join(sorted(arrays))} to {args.save}")
    if export is not None:
        text.append(export)
        for r in results:
            r["exported_maps"] = args.export_maps
    data = results[0] if len(results) == 1 else {"inputs": results}
    return Result(data=data, text="\n".join(text))


def _run_scaling(args: argparse.Namespace) -> Result:
    from ..architecture import (
        compute_optimal,
        compute_optimal_numeric,
        count_parameters,
        get_law,
        parse_arch,
        predict_loss,
    )

    law = get_law(args.law)
    n_params = args.params
    data: dict = {"law": law.to_dict()}
    lines = [f"law {law.name}: L = {law.E:.4g} + {law.A:.4g}/N^{law.alpha:.4g} + {law.B:.4g}/D^{law.beta:.4g}"]
    lines.append(f"  source: {law.citation}")
    if args.arch is not None:
        if n_params is not None:
            raise InvalidArgument("give --params or --arch, not both")
        counts = count_parameters(parse_arch(args.arch))
        n_params = counts["total"]
        data["parameter_counts"] = counts
        lines.append(f"  parameters from --arch: total {counts['total']:,} (non-embedding {counts['non_embedding']:,})")
    notes: list[str] = []
    if n_params is None and args.tokens is None and args.budget is None:
        raise InvalidArgument("give --params/--arch and --tokens for a prediction, or --budget")
    if (n_params is None) != (args.tokens is None):
        raise InvalidArgument("a loss prediction needs both --params (or --arch) and --tokens")
    if n_params is not None:
        pred = predict_loss(law, n_params, args.tokens, unique_tokens=args.unique_tokens, warn=False)
        data["prediction"] = pred
        se = f" ± {pred['stderr']:.3f} (1 s.e.)" if pred["stderr"] else ""
        lines.append(f"  N={n_params:.3g}, D={args.tokens:.3g}: predicted loss {pred['loss']:.4f}{se}")
        if args.unique_tokens is not None:
            lines.append(
                f"  unique tokens {args.unique_tokens:.3g}: {pred['epochs']:.2f} epochs, "
                f"effective D' = {pred['effective_tokens']:.4g}, effective N' = "
                f"{pred['effective_params']:.4g}"
            )
        notes.extend(pred["warnings"])
    if args.budget is not None:
        closed = compute_optimal(law, args.budget)
        numeric = compute_optimal_numeric(law, args.budget, unique_tokens=args.unique_tokens)
        data["compute_optimal"] = closed
        data["compute_optimal_numeric"] = numeric
        lines.append(
            f"  budget C={args.budget:.3g} FLOPs: N*={closed['params']:.4g}, D*={closed['tokens']:.4g} "
            f"({closed['tokens_per_param']:.1f} tokens/param), loss {closed['loss']:.4f} [closed form]"
        )
        tag = "data-constrained, " if args.unique_tokens is not None else ""
        lines.append(
            f"  numeric check ({tag}scipy bounded search): N*={numeric['params']:.4g}, "
            f"D*={numeric['tokens']:.4g}, loss {numeric['loss']:.4f}"
        )
        notes.extend(closed["warnings"])
    data["warnings"] = notes
    lines.extend(f"  warning: {w}" for w in notes)
    return Result(data=data, text="\n".join(lines))

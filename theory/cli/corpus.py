"""CLI: ``corpus`` - tokens, documents, length distribution and dependency range of the user's documents.

No logic here: parse, call :mod:`theory.architecture.corpus` and :mod:`theory.architecture.dependency`,
render.  :func:`add_corpus_options` and :func:`read_corpus` are shared with ``compare-arch --corpus``.
"""

from __future__ import annotations

import argparse

from ._output import Result, add_json_flag

__all__ = ["add_corpus_options", "read_corpus", "register", "render_corpus"]


def _int_in(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer in {lo}..{hi:g}, got {text!r}") from None
        if not v.is_integer() or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer in {lo}..{hi:g}, got {text!r}")
        return int(v)

    return parse


def add_corpus_options(p: argparse.ArgumentParser) -> None:
    """Options that say how to read, tokenize and analyse a corpus."""
    p.add_argument("--text-field", default="text", help="text field of .jsonl records (default: %(default)s)")
    p.add_argument("--lines", action="store_true", help="each line of a text file is a document (default: one file)")
    p.add_argument(
        "--strip-label", action="store_true", help="drop the first word of every line, e.g. SST labels (default: off)"
    )
    p.add_argument("--glob", default="*.txt", help="files to read in a folder (default: %(default)s)")
    p.add_argument(
        "--vocab-size",
        type=_int_in(260, 1_000_000),
        default=None,
        help="BPE vocabulary size (default: auto, a quarter of the word types, clipped to 512..32000)",
    )
    p.add_argument(
        "--sample-tokens",
        type=_int_in(100, 10**9),
        default=300_000,
        help="tokens (whole documents) sampled for the dependency range (default: %(default)s)",
    )
    p.add_argument(
        "--max-distance",
        type=_int_in(1, 10**8),
        default=None,
        help="largest distance d measured (default: the context, at most 1024)",
    )
    p.add_argument(
        "--bootstrap",
        type=_int_in(10, 100_000),
        default=100,
        help="bootstrap replicates over documents (default: %(default)s)",
    )
    p.add_argument(
        "--bins",
        type=_int_in(2, 4096),
        default=256,
        help="frequency classes of tokens for the mutual information (default: %(default)s)",
    )
    p.add_argument("--no-dependency", action="store_true", help="skip the dependency range (default: measure it)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample and bootstrap (default: %(default)s)")


def read_corpus(path: str, args: argparse.Namespace, context: int):
    """Corpus statistics and (unless ``--no-dependency``) the dependency report."""
    from ..architecture.corpus import MAX_CONTEXT, load_corpus
    from ..architecture.dependency import dependency_range
    from ..errors import InvalidArgument

    if not 1 <= context <= MAX_CONTEXT:
        raise InvalidArgument(f"--context must lie in 1..{MAX_CONTEXT:.0e}, got {context:g}")
    stats = load_corpus(
        path, text_field=args.text_field, lines=args.lines, strip_label=args.strip_label, pattern=args.glob,
        vocab_size=args.vocab_size, context=context, sample_tokens=args.sample_tokens, seed=args.seed,
    )  # fmt: skip
    dep = None
    if not args.no_dependency:
        max_d = args.max_distance or min(context, 1024)
        dep = dependency_range(
            stats.sample, max_distance=max_d, bootstrap=args.bootstrap, bins=args.bins, seed=args.seed
        )
    return stats, dep


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``theory corpus``."""
    p = sub.add_parser(
        "corpus",
        help="tokens, documents, lengths against the context and dependency range of your documents",
        description="Read a folder of .txt files, a .jsonl file (one JSON object a line) or one text file; "
        "train a byte-level BPE on it (Hugging Face tokenizers, offline); report tokens, unique tokens, "
        "documents, the length distribution against --context, and how far back in a document information "
        "about the next token reaches (mutual information against a shuffled-document baseline).",
    )
    p.add_argument("path", help="folder of .txt files, .jsonl file, or one text file")
    p.add_argument("--context", type=_int_in(1, 10**8), default=2048, help="context length n (default: %(default)s)")
    add_corpus_options(p)
    p.add_argument(
        "--arch",
        action="append",
        default=None,
        help="architecture spec to set its exact reach beside the range, repeatable (default: none)",
    )
    add_json_flag(p)
    p.set_defaults(run=_run_corpus)


def _reaches(specs: list[str], context: int) -> list[dict]:
    from ..architecture import parse_arch, parse_mask, receptive_field

    out = []
    for s in specs:
        a = parse_arch(s, context=context)
        rf = receptive_field(parse_mask(a.mask), a.layers, context)
        out.append({"name": a.label(), "mask": a.mask, "layers": a.layers, "reach": rf.last_count})
    return out


def render_corpus(d: dict) -> list[str]:
    """Human-readable lines for a corpus report dictionary."""
    L = d["lengths"]
    tk = d["tokenizer"]
    lines = [
        f"corpus {d['source']}: {d['documents']:,} documents ({d['unique_documents']:,} distinct)",
        f"tokenizer: {tk['kind']}, vocabulary {tk['vocab_size']:,} ({tk['vocab_rule']})",
        f"tokens: {d['tokens']:,}; unique tokens (distinct documents): {d['unique_tokens']:,}; "
        f"token types used: {d['token_types']:,}",
        f"document length in tokens: mean {L['mean']:.1f}, median {L['median']:.0f}, q90 {L['q90']:.0f}, "
        f"q99 {L['q99']:.0f}, max {L['max']:,}",
        f"against the context {d['context']:,}: {L['longer_than_context']:,} documents longer "
        f"({100 * L['fraction_longer_than_context']:.3g}%), {100 * L['fraction_of_tokens_beyond_context']:.3g}% "
        f"of tokens beyond it; {L['context_windows']:,} context windows",
        "length histogram (tokens: documents):",
    ]
    top = max(b["documents"] for b in L["histogram"]) or 1
    for b in L["histogram"]:
        span = f"{b['from']}-{b['to']}" if b["to"] is not None else f"> {b['from'] - 1}"
        lines.append(f"  {span:>13}  {b['documents']:>9,}  {'#' * round(30 * b['documents'] / top)}".rstrip())
    return lines


def render_dependency(dep: dict, summary: str, reaches: list[dict]) -> list[str]:
    """Table of the mutual information by distance, the range, and the reaches beside it."""
    lines = [summary[0].upper() + summary[1:] + "."]
    lines.append(f"  {'d':>5}  {'pairs':>9}  {'MI (nats)':>9}  {'baseline':>9}  {'excess [95% interval]':>27}")
    for r in dep["by_distance"]:
        mark = "  *" if r["distinguishable"] else ""
        lines.append(
            f"  {r['d']:>5}  {r['pairs']:>9,}  {r['mi']:>9.4f}  {r['baseline']:>9.4f}  "
            f"{r['excess']:>+8.4f} [{r['excess_lo']:+.4f}, {r['excess_hi']:+.4f}]{mark}"
        )
    lines.append("  (* distinguishable from the baseline; " + dep["method"] + ")")
    rng = dep["range"]
    for a in reaches:
        verdict = "covers it" if a["reach"] >= rng else "does NOT cover it"
        layers = f"{a['layers']} layer{'s' if a['layers'] > 1 else ''}"
        lines.append(f"  {a['name']} ({layers}, mask {a['mask']}): exact reach {a['reach']:,} tokens, {verdict}")
    return lines


def _run_corpus(args: argparse.Namespace) -> Result:
    stats, dep = read_corpus(args.path, args, args.context)
    data = stats.to_dict()
    lines = render_corpus(data)
    reaches = _reaches(args.arch or [], args.context)
    if dep is not None:
        data["dependency"] = dep.to_dict()
        data["dependency"]["summary"] = dep.summary()
        lines.extend(render_dependency(data["dependency"], dep.summary(), reaches))
    if reaches:
        data["architectures"] = reaches
    return Result(data=data, text="\n".join(lines))

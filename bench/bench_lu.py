"""Benchmark: the Lu et al. synthetic experiment and the SST2 run on this CPU.

Run:  python bench/bench_lu.py [--epochs 5000] [--sst DIR] [--json]

Measures full-batch gradient descent on the paper's synthetic set (5000 sentences, 80/1/19
split -> 4000 training sentences, 4 topics x 2 topic words, 5000 non-topic words, m = 20,
d_e = d_k = 10, FC, lr 0.1, all words trainable) for ``--epochs`` epochs: wall time, CPU time
and epochs per second, and the same per-epoch cost for two baselines measured in the same
run on a few epochs:

* ``exact-shift path`` - the model's own per-sentence exponent shift (per-entry work and a
  sparse matrix rebuilt every call) instead of the constant count-matrix products;
* ``per-sentence loop`` - a plain Python loop over sentences (forward and backward per
  sentence with NumPy on the few words of each), the code one writes first.

Then the SST2 run of ``theory lu sst`` (TC, 1000 epochs, lr 10) end to end.  On a shared
machine the CPU time is the stabler figure; both are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import theory.lu.model as lu_model  # noqa: E402
from theory.lu.data import make_synthetic  # noqa: E402
from theory.lu.model import Batch, init_params, loss_and_grad  # noqa: E402
from theory.lu.train import TrainConfig, train_classifier  # noqa: E402


def _loop_step(p: dict, corpus) -> float:
    """Per-sentence loop (FC): loss and the W/K gradients, one sentence at a time."""
    gw, gk = np.zeros_like(p["W"]), np.zeros_like(p["K"])
    s_all = p["K"] @ p["q"]
    loss = 0.0
    n = corpus.n_sentences
    for i in range(n):
        sl = slice(corpus.indptr[i], corpus.indptr[i + 1])
        words, cnt = corpus.words[sl], corpus.counts[sl]
        s = s_all[words]
        e = cnt * np.exp(s - s.max())
        a = e / e.sum()
        c = a @ p["W"][words]
        z = p["U"] @ c
        pr = np.exp(z - z.max())
        pr /= pr.sum()
        loss -= np.log(pr[corpus.labels[i]]) / n
        pr[corpus.labels[i]] -= 1.0
        g = p["U"].T @ pr / n
        gw[words] += a[:, None] * g
        gs = a * ((p["W"][words] - c) @ g)
        gk[words] += np.outer(gs, p["q"])
    return loss


def _per_epoch(fn, reps: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - w0) / reps, (time.process_time() - c0) / reps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5000)
    ap.add_argument("--sst", default=str(ROOT / ".." / "shared" / "data" / "sst"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    data = make_synthetic()
    batch = Batch(data.train)
    p0 = init_params("FC", vocab_size=batch.v, n_classes=4, seed=0)
    cfg = TrainConfig("FC", epochs=args.epochs, lr=0.1, record_every=10)
    w0, c0 = time.perf_counter(), time.process_time()
    _, hist = train_classifier(p0, batch, cfg, track=data.topic_words)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    fast_w, fast_c = _per_epoch(lambda: loss_and_grad("FC", p0, batch), 50)
    spread = lu_model._SPREAD
    lu_model._SPREAD = -1.0
    try:
        exact_w, exact_c = _per_epoch(lambda: loss_and_grad("FC", p0, batch), 20)
    finally:
        lu_model._SPREAD = spread
    loop_w, loop_c = _per_epoch(lambda: _loop_step(p0, data.train), 2)
    out = {
        "synthetic": {
            "train_sentences": batch.n,
            "vocab": batch.v,
            "epochs": args.epochs,
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "epochs_per_second_wall": args.epochs / wall,
            "epochs_per_second_cpu": args.epochs / cpu,
            "final_loss": float(hist.loss[-1]),
        },
        "per_epoch_ms": {
            "vectorised": {"wall": 1e3 * fast_w, "cpu": 1e3 * fast_c},
            "exact_shift_path": {"wall": 1e3 * exact_w, "cpu": 1e3 * exact_c},
            "per_sentence_loop": {"wall": 1e3 * loop_w, "cpu": 1e3 * loop_c},
        },
        "speedup_cpu": {
            "vs_exact_shift_path": exact_c / fast_c,
            "vs_per_sentence_loop": loop_c / fast_c,
        },
    }
    sst = Path(args.sst)
    if sst.is_dir():
        from theory.lu.report import sst_report

        w0, c0 = time.perf_counter(), time.process_time()
        rep = sst_report(sst, task="sst2", classifier="TC", epochs=1000)
        out["sst2_tc_1000_epochs"] = {
            "wall_seconds": time.perf_counter() - w0,
            "cpu_seconds": time.process_time() - c0,
            "train_seconds": rep.data["seconds"],
            "test_accuracy": rep.data["accuracy"]["test"],
        }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    s, pe, sp = out["synthetic"], out["per_epoch_ms"], out["speedup_cpu"]
    print(
        f"synthetic FC, {s['train_sentences']} sentences x {s['epochs']} epochs: "
        f"{s['wall_seconds']:.1f} s wall ({s['epochs_per_second_wall']:.0f} epochs/s), "
        f"{s['cpu_seconds']:.1f} s CPU ({s['epochs_per_second_cpu']:.0f} epochs/s)"
    )
    for k, v in pe.items():
        print(f"  per epoch {k:18s} {v['cpu']:8.2f} ms CPU  {v['wall']:8.2f} ms wall")
    print(
        f"  speed-up (CPU): {sp['vs_exact_shift_path']:.1f}x vs exact-shift path, "
        f"{sp['vs_per_sentence_loop']:.0f}x vs per-sentence loop"
    )
    if "sst2_tc_1000_epochs" in out:
        r = out["sst2_tc_1000_epochs"]
        print(
            f"SST2 TC 1000 epochs end to end: {r['wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s "
            f"CPU (training {r['train_seconds']:.1f} s), test accuracy {r['test_accuracy']:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

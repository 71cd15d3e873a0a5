"""CLI sub-commands of issue 6: --json output, text output, one-line errors with exit 2."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from theory.architecture.attention import save_attention_npz, synthetic_attention
from theory.architecture.mask_spec import parse_mask
from theory.cli import arch
from theory.cli._output import emit
from theory.errors import TheoryError


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """Parse with only this module's sub-commands, run, print like the driver does."""
    parser = argparse.ArgumentParser(prog="theory")
    arch.register(parser.add_subparsers(dest="command"))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0), *capsys.readouterr()
    try:
        result = args.run(args)
    except TheoryError as exc:
        return 2, "", str(exc)
    emit(result, as_json=args.json)
    out, err = capsys.readouterr()
    return (0 if result.ok else 1), out, err


def test_receptive_field_json(capsys) -> None:
    code, out, _ = run(["receptive-field", "--layers", "32", "--mask", "window:4096", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["last_position_reach"] == 131041 and d["closed_form_span"] == 131041
    assert d["layers_to_cover_context"] == 33


def test_receptive_field_cycled_masks_text(capsys) -> None:
    code, out, _ = run(
        ["receptive-field", "--layers", "4", "--mask", "window:8", "--mask", "causal", "--context", "100"],
        capsys,
    )
    assert code == 0 and "reach of the last position: 100" in out


def test_compare_arch_json(capsys) -> None:
    code, out, _ = run(
        ["compare-arch", "layers=15,heads=3,d_head=64", "layers=30,heads=5,d_head=64",
         "--context", "2048", "--tokens", "2e9", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert len(d["architectures"]) == 2 and d["verdict"] and d["assumptions"]


def test_attention_flow_on_npz(tmp_path, capsys) -> None:
    st = synthetic_attention(parse_mask("causal"), 8, 3, heads=2, kind="random", seed=5)
    path = tmp_path / "attn.npz"
    save_attention_npz(path, st)
    out_path = tmp_path / "out.npz"
    code, out, _ = run(["attention-flow", str(path), "--json", "--save", str(out_path)], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["layers"] == 3 and d["heads"] == 2 and d["flow"]["exact_fallbacks"] == 0
    saved = np.load(out_path)
    np.testing.assert_allclose(saved["rollout_0"].sum(axis=1), 1.0, atol=1e-12)
    assert saved["flow_0"].shape == (8, 8)


def test_scaling_commands(capsys) -> None:
    code, out, _ = run(
        ["scaling", "--params", "1e9", "--tokens", "1e11", "--unique-tokens", "2.5e10",
         "--law", "muennighoff2023", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert d["prediction"]["epochs"] == pytest.approx(4.0)
    code, out, _ = run(["scaling", "--budget", "1e21", "--law", "besiroglu2024"], capsys)
    assert code == 0 and "N*=" in out and "numeric check" in out
    code, out, _ = run(["scaling", "--arch", "layers=2,heads=2,d_head=8", "--tokens", "1e6"], capsys)
    assert code == 0 and "outside the fit range" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["receptive-field", "--layers", "2", "--mask", "dilated:window=4"], "'d'"),
        (["receptive-field", "--layers", "2", "--mask", "window:abc"], "'window'"),
        (["compare-arch", "layers=15"], "'heads'"),
        (["compare-arch", "layers=15,heads=3", "--context", "1e15"], "context"),
        (["compare-arch", "layers=15,heads=3,d_head=64", "--law", "foo"], "foo"),
        (["attention-flow"], "exactly one input"),
        (["attention-flow", "missing.npz"], "not found"),
        (["attention-flow", "--synthetic", "causal", "--residual", "2"], "residual"),
        (["scaling", "--law", "hoffmann2022"], "--budget"),
        (["scaling", "--params", "1e9"], "--tokens"),
        (["scaling", "--params", "1e9", "--arch", "layers=1,heads=1,d_head=8", "--tokens", "1"], "not both"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle, capsys) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert needle in err and "\n" not in err.strip()


def test_usage_errors_exit_2(capsys) -> None:
    code, _, _ = run(["receptive-field", "--layers", "-3"], capsys)
    assert code == 2
    code, _, _ = run(["scaling", "--budget", "-1"], capsys)
    assert code == 2


def test_through_the_real_driver(capsys) -> None:
    main = pytest.importorskip("theory.cli").main
    try:
        code = main(["receptive-field", "--layers", "2", "--mask", "bogus"])
    except ImportError as exc:  # another sub-command module failed to import
        pytest.skip(f"CLI registry does not build: {exc}")
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "bogus" in err


def test_attention_flow_selected_outputs(capsys) -> None:
    code, out, _ = run(["attention-flow", "--synthetic", "causal", "--n", "12", "--layers", "2",
                        "--outputs", "last", "--json"], capsys)  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert d["flow"]["outputs"] == [11]
    # the last causal position has the most context: its mass sits further away than average
    code, out_all, _ = run(["attention-flow", "--synthetic", "causal", "--n", "12", "--layers", "2",
                            "--json"], capsys)  # fmt: skip
    assert d["rollout"]["mean_distance"] > json.loads(out_all)["rollout"]["mean_distance"]
    code, _, err = run(["attention-flow", "--synthetic", "causal", "--outputs", "x"], capsys)
    assert code == 2 and "--outputs" in err

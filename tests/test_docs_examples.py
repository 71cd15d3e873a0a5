"""Every ```python block of the tutorial and the how-tos runs (the docs' examples are tests).

A block is excluded only by a marker on the line immediately before its fence, with the reason:
``<!-- no-test: needs the minilm extra -->``.  Each block runs on its own, in a fresh namespace,
from a temporary working directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = [DOCS / "tutorial.md", *sorted((DOCS / "howto").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
NO_TEST = re.compile(r"<!--\s*no-test:\s*(\S.*?)\s*-->\s*$")


def _blocks(page: Path) -> list[tuple[str, int, str, str | None]]:
    text = page.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = NO_TEST.search(before)
        out.append((f"{page.relative_to(DOCS)}:{line}", line, m.group(1), skip.group(1) if skip else None))
    return out


ALL_BLOCKS = [b for page in PAGES for b in _blocks(page)]
BLOCKS = [b for b in ALL_BLOCKS if b[3] is None]  # marked blocks are not collected (not skipped)


def test_the_pages_have_examples() -> None:
    """Negative control for the extraction: the pages exist and hold runnable blocks."""
    assert all(p.exists() for p in PAGES) and len(PAGES) >= 5
    assert len(BLOCKS) >= 6 and len(ALL_BLOCKS) > len(BLOCKS)


def test_a_marker_needs_a_reason() -> None:
    assert NO_TEST.search("<!-- no-test: needs torch -->")
    assert not NO_TEST.search("<!-- no-test: -->")


@pytest.mark.parametrize(("where", "line", "code", "skip"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_example_runs(where: str, line: int, code: str, skip: str | None, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile("\n" * (line) + code, where, "exec"), {"__name__": "__docs_example__"})

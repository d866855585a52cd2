"""Chapter prose holds no typed measurement: every figure reaches the text through glue."""

from __future__ import annotations

import re

import pytest
from conftest import BOOK_CHAPTERS

# What is not prose: fenced blocks, directive fences' options, roles (glue, doc, ref...),
# inline code and math.
_FENCED = re.compile(r"^(`{3,}|:{3,}).*?^\1\s*$", re.DOTALL | re.MULTILINE)
_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")
_CODE = re.compile(r"`[^`]*`")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)
_NUMBER = r"(?<![\w.])\d[\d,]*(?:\.\d+)?"
#: A number followed by a unit of time, a rate, a speedup or a percent sign.
TYPED_FIGURE = re.compile(
    _NUMBER
    + r"\s*(?:"
    + r"(?:s|ms|µs|us|ns|seconds?|milliseconds?|microseconds?)\b"
    + r"|(?:[kMGTP]i?B/s|[kMGTP]FLOP/s|[GT]FLOPS)"
    + r"|[x×](?![\w\d]|\s*\d)"
    + r"|%"
    + r")"
)


def prose_text(markdown: str) -> str:
    """A markdown cell with code, math and roles removed (directive lines kept as text)."""
    text = _ROLE.sub(" ", markdown)
    text = _CODE.sub(" ", text)
    return _MATH.sub(" ", text)


def typed_figures(markdown: str) -> list[str]:
    blocks = []
    # Fenced code blocks in markdown hold code, not prose; directive fences hold prose.
    for match in _FENCED.finditer(markdown):
        if match.group(0).startswith("```") and "{" not in match.group(0).splitlines()[0]:
            blocks.append(match.group(0))
    for block in blocks:
        markdown = markdown.replace(block, " ")
    return [m.group(0) for m in TYPED_FIGURE.finditer(prose_text(markdown))]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("The fused call took 1.71 ms.", ["1.71 ms"]),
        ("a 3.3x speedup, or 3×", ["3.3x", "3×"]),
        ("it reached 95% of 2.93 TB/s", ["95%", "2.93 TB/s"]),
        ("A is 10,000,000 × 10 and B is 8×4096², 16 GB of memory, x86-64", []),
        ("took {glue:text}`ch1_t:.2f` ms, `0.5 s` in code, $2^{26}$ points", []),
        ("```python\nt = 1.5  # 3 ms\n```\nok", []),
    ],
)
def test_typed_figure_detector(text, found):
    assert typed_figures(text) == found


@pytest.mark.parametrize("chapter", BOOK_CHAPTERS, ids=lambda c: c.name)
def test_chapter_prose_has_no_typed_figures(chapter):
    nb = chapter.read_source()
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            problems += [f"markdown cell {i}: {hit!r}" for hit in typed_figures(cell.source)]
    assert not problems, (
        f"{chapter.md}: measured figures must come from the run through glue "
        "(docs/about/authoring.md):\n" + "\n".join(problems)
    )


#: The widest code line a chapter may show: the column fits about this much without a
#: sideways scroll, and it is the formatter's line length (ruff, black).
CODE_COLUMNS = 88


@pytest.mark.parametrize("chapter", BOOK_CHAPTERS, ids=lambda c: c.name)
def test_chapter_code_fits_the_column(chapter):
    nb = chapter.read_source()
    wide = [
        f"code cell {i}: {len(line)} columns: {line.strip()[:40]}..."
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > CODE_COLUMNS
    ]
    assert not wide, f"{chapter.md}: code lines wider than {CODE_COLUMNS} columns:\n" + "\n".join(wide)

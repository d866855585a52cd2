"""Find the book's chapters and read their two files.

A chapter is a MyST text notebook ``docs/chapters/NN-slug.md`` (the file people
edit) next to ``NN-slug.ipynb`` (the same cells with the outputs of the last GPU
run, written by ``nvbook execute``): a jupytext pair, kept in sync by ``jupytext --sync``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import jupytext
import nbformat

#: Where chapters live, relative to the book's source folder.
CHAPTER_GLOB = "chapters/[0-9][0-9]-*.md"


class ChapterNotFound(LookupError):
    """A chapter named on the command line does not exist."""


class DamagedNotebook(ValueError):
    """A stored notebook cannot be read as a notebook; the message names it and the fix."""


@dataclasses.dataclass(frozen=True)
class Chapter:
    """One chapter: its MyST source and its executed notebook."""

    md: Path

    @property
    def name(self) -> str:
        return self.md.stem

    @property
    def ipynb(self) -> Path:
        return self.md.with_suffix(".ipynb")

    @property
    def docname(self) -> str:
        """The Sphinx document name of the executed notebook (``chapters/01-x``)."""
        return f"{self.md.parent.name}/{self.md.stem}"

    def read_source(self) -> nbformat.NotebookNode:
        """The chapter as a notebook without outputs, read from its ``.md``."""
        text = self.md.read_text(encoding="utf-8")
        unclosed = unclosed_fence(text)
        if unclosed is not None:
            line, fence = unclosed
            raise DamagedNotebook(
                f"{self.md.as_posix()}, line {line}: the fence {fence!r} opened there is never closed; "
                f"close it with a line holding only {fence[0] * 3}"
            )
        nb: nbformat.NotebookNode = jupytext.reads(text, fmt="md:myst")
        return nb

    def read_executed(self) -> nbformat.NotebookNode | None:
        """The stored executed notebook, or None if the chapter never ran."""
        if not self.ipynb.exists():
            return None
        try:
            text = self.ipynb.read_text(encoding="utf-8")
            if not text.strip():
                raise ValueError("an empty file")
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not JSON: {exc}") from None
            if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
                raise TypeError(f"a JSON {type(data).__name__} without a list of cells")
            nb: nbformat.NotebookNode = nbformat.reads(text, as_version=4)
        except Exception as exc:  # noqa: BLE001 (NotJSONError, a truncated file, a JSON list...)
            first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            raise DamagedNotebook(
                f"{self.ipynb.as_posix()} is not a readable notebook ({first}). Restore it with "
                f"`git checkout -- {self.ipynb.as_posix()}`, or execute the chapter again on a GPU "
                f"machine: nox -s execute -- {self.name}"
            ) from None
        return nb

    def code_cell_lines(self) -> list[int]:
        """The line of each ```{code-cell} fence in the ``.md``, in order."""
        lines = self.md.read_text(encoding="utf-8").splitlines()
        return [i + 1 for i, line in enumerate(lines) if line.startswith("```{code-cell}")]

    def requires_gpu(self, source: nbformat.NotebookNode | None = None) -> bool:
        """Chapters need a GPU unless their front matter says ``nvbook: {requires_gpu: false}``."""
        nb = source if source is not None else self.read_source()
        return bool(nb.metadata.get("nvbook", {}).get("requires_gpu", True))


_FENCE = re.compile(r"^\s{0,3}(`{3,}|:{3,})(.*)$")


def unclosed_fence(text: str) -> tuple[int, str] | None:
    """(line, fence) of the first code or directive fence a MyST text never closes, else None."""
    stack: list[tuple[int, str]] = []
    literal = False  # the innermost fence is a plain code block: only its closing fence counts
    for number, line in enumerate(text.splitlines(), 1):
        match = _FENCE.match(line)
        if match is None:
            continue
        fence, rest = match.groups()
        closes = bool(stack) and fence[0] == stack[-1][1][0] and len(fence) >= len(stack[-1][1]) and not rest.strip()
        if literal and not closes:
            continue  # CommonMark: a code block's shorter or other fences are its content
        if stack and stack[-1][1][0] == "`" and fence[0] != "`":
            continue  # colons inside a code block are code
        if closes:
            stack.pop()
            literal = False
        elif rest.strip() or fence[0] == "`":
            stack.append((number, fence))
            literal = fence[0] == "`" and not rest.strip().startswith("{")
    return stack[0] if stack else None


def find_chapters(docs_dir: Path) -> list[Chapter]:
    """All chapters under ``docs_dir``, in book order."""
    return [Chapter(p) for p in sorted(Path(docs_dir).glob(CHAPTER_GLOB))]


def select(docs_dir: Path, names: list[str] | None) -> list[Chapter]:
    """Chapters matching ``names`` (``01``, ``01-kernel-fusion``, ``kernel-fusion`` or a path).

    No names means every chapter. Raises ChapterNotFound when a name matches no chapter or
    the folder holds none.
    """
    chapters = find_chapters(docs_dir)
    if not chapters:
        raise ChapterNotFound(f"no chapters under {docs_dir} (looked for {Path(docs_dir, CHAPTER_GLOB).as_posix()})")
    if not names:
        return chapters
    chosen: list[Chapter] = []
    for name in names:
        stem = Path(name).stem
        hits = [c for c in chapters if stem in (c.name, c.name[:2], c.name[3:])]
        if len(hits) != 1:
            known = ", ".join(c.name for c in chapters) or "none"
            raise ChapterNotFound(f"no chapter matches {name!r}; the chapters are: {known}")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def dumps(nb: nbformat.NotebookNode) -> str:
    """The executed notebook as jupytext writes the .ipynb of a pair, with stable cell ids."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    nb.metadata.get("jupytext", {}).pop("text_representation", None)  # jupytext keeps it in the .md only
    nb.nbformat, nb.nbformat_minor = 4, 5
    return str(jupytext.writes(nb, fmt="ipynb")) + "\n"

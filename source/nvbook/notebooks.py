"""The notebooks readers download: executed, exercises (solutions removed), solutions.

Solutions are marked in the chapter source with sphinx-exercise's gated directives,
```{solution-start} ...``` ... ```{solution-end}```, which may enclose code cells
(tagged ``solution``). The exercise notebook drops everything between the gates and
leaves an empty code cell where the solution was, so nothing of the solution remains
in its cells or metadata.
"""

from __future__ import annotations

import copy
import re

import nbformat

_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}")
_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}")
PLACEHOLDER = "# Your solution here\n"


def _fence_end(lines: list[str], i: int, fence: str) -> int:
    """Index of the line closing the directive that opens at lines[i]."""
    for j in range(i + 1, len(lines)):
        if lines[j].strip() == fence:
            return j
    return len(lines) - 1


def _strip_outputs(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("nvbook", None)


def _plain_metadata(nb: nbformat.NotebookNode) -> None:
    """Keep what Jupyter needs (kernel, language); drop the build's own records."""
    keep = {"kernelspec", "language_info"}
    for key in list(nb.metadata):
        if key not in keep:
            del nb.metadata[key]


def exercise_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The chapter without its solutions or outputs: a notebook to work through."""
    out = copy.deepcopy(nb)
    cells, in_solution, placeholder_due = [], False, False
    for cell in out.cells:
        if cell.cell_type == "code":
            tagged = "solution" in cell.metadata.get("tags", [])
            if in_solution or tagged:
                placeholder_due = True
                continue
            cells.append(cell)
            continue
        kept, lines, i = [], cell.source.splitlines(keepends=True), 0
        while i < len(lines):
            line = lines[i]
            start, end = _START.match(line), _END.match(line)
            if start:
                in_solution, placeholder_due = True, True
                i = _fence_end(lines, i, start.group(1)) + 1
                continue
            if end:
                in_solution = False
                i = _fence_end(lines, i, end.group(1)) + 1
                continue
            if not in_solution:
                kept.append(line)
            i += 1
        text = "".join(kept)
        if placeholder_due and not in_solution:
            cells.append(nbformat.v4.new_code_cell(PLACEHOLDER))
            placeholder_due = False
        if text.strip():
            cell.source = text
            cells.append(cell)
    if placeholder_due:
        cells.append(nbformat.v4.new_code_cell(PLACEHOLDER))
    out.cells = cells
    _strip_outputs(out)
    _plain_metadata(out)
    for i, cell in enumerate(out.cells):
        cell["id"] = f"cell-{i:03d}"
    return out


def solution_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Every cell, solutions included, without outputs: the reference to run yourself."""
    out = copy.deepcopy(nb)
    _strip_outputs(out)
    _plain_metadata(out)
    return out


def solution_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The code of the solution cells (for tests that check none of it leaks)."""
    return [c.source for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]

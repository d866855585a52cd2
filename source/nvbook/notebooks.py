"""The notebooks readers download: executed, exercises (solutions removed), solutions.

Chapters are written in MyST, which Jupyter and Colab do not read: they would show
``{exercise-start}``, ``:::{admonition}`` or ``{doc}`` as literal text. Every download is
therefore converted to plain Jupyter Markdown (:func:`plain_markdown`): exercise and solution
blocks become headed sections, admonitions block quotes, cross-references links, and glued
values (``{glue:text}`key:fmt```) the figures this chapter's run stored. Each download starts
with a cell that installs the book's packages where they are missing and asks Colab for a GPU.

Solutions are marked in the chapter source with sphinx-exercise's gated directives,
```{solution-start} ...``` ... ```{solution-end}```, which may enclose code cells
(tagged ``solution``). The exercise notebook drops everything between the gates and
leaves an empty code cell where the solution was, so nothing of the solution remains
in its cells or metadata.
"""

from __future__ import annotations

import copy
import dataclasses
import posixpath
import re
from ast import literal_eval
from pathlib import Path
from typing import Any

import nbformat

_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}")
_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}")
PLACEHOLDER = "# Your solution here\n"

#: Where glued values live in a notebook's outputs (myst-nb's glue, scrapbook's format).
GLUE_PREFIX = "application/papermill.record/"

#: The README's install lines, one per CUDA major version of the driver (tests check they
#: stay equal to the README's).
INSTALL = {
    13: (
        '"nvmath-python[cu13-dx,cpu]==1.0.0" nvidia-cudss-cu13==0.8.0.10 cupy-cuda13x==14.2.0 '
        '"numba-cuda[cu13]==0.30.4" "numpy<2.5" scipy matplotlib nvidia-ml-py cupti-python==13.4.0 '
        "myst-nb==1.4.0 pypardiso==0.4.7 threadpoolctl ipykernel nbclient jupytext"
    ),
    12: (
        '"nvmath-python[cu12-dx,cpu]==1.0.0" nvidia-cudss-cu12==0.8.0.10 cupy-cuda12x==14.2.0 '
        '"numba-cuda[cu12]==0.30.4" "numpy<2.5" scipy matplotlib nvidia-ml-py '
        "myst-nb==1.4.0 pypardiso==0.4.7 threadpoolctl ipykernel nbclient jupytext"
    ),
}
#: Installed after the CUDA 12 line with --no-deps: cupti-python's only CUDA 12 release
#: declares cuda-bindings 12.8, which the others refuse; it runs with their 12.9
#: (requirements/gpu-cu12.overrides gives the reason; the README has the same line).
INSTALL_NO_DEPS = {12: "cupti-python==12.8.0 nvidia-cuda-cupti-cu12==12.9.79"}
#: Modules the chapters import; the install cell installs only when one is missing.
REQUIRED_MODULES = ("nvmath", "cupy", "numba.cuda", "scipy", "matplotlib", "pynvml", "cupti", "myst_nb")

INSTALL_CELL = f"""\
# Installs the book's packages where they are missing (Colab, a fresh environment) and does
# nothing where they are present. Needs an NVIDIA GPU (in Colab: Runtime > Change runtime
# type > a GPU); the CUDA 13 set for drivers 580 or newer, else the CUDA 12 set.
import importlib.util
import re
import subprocess

try:
    if not all(importlib.util.find_spec(m) for m in {REQUIRED_MODULES!r}):
        raise ImportError("a package of the book is missing")
except ImportError:
    smi = subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout
    found = re.search(r"CUDA Version: (\\d+)", smi)
    if found is None:
        raise RuntimeError("no NVIDIA GPU found: these chapters need one") from None
    if int(found.group(1)) >= 13:
        %pip install -q {INSTALL[13]}
    else:
        %pip install -q {INSTALL[12]}
        %pip install -q --no-deps {INSTALL_NO_DEPS[12]}
"""

#: Colab opens these notebooks on a GPU runtime.
COLAB_METADATA = {"accelerator": "GPU", "colab": {"provenance": [], "gpuType": "T4"}}

_ADMONITIONS = {
    "admonition", "note", "tip", "hint", "important", "warning", "caution", "attention",
    "danger", "error", "seealso", "todo",
}  # fmt: skip
_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|:{3,})\{([\w:-]+)\}\s*(.*?)\s*$")
_CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_TARGET = re.compile(r"^\(([\w.:-]+)\)=\s*$")
_ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s")


@dataclasses.dataclass
class Context:
    """What a chapter's links need to know: where it lives and what the other pages are called.

    docname: the chapter's Sphinx name (``chapters/01-kernel-fusion``); titles: page titles by
    docname, for ``{doc}`` links without text; site_url: the published site, if any, for
    links to pages that are not chapters (without it they point at the Markdown files in the
    repository, relative to the chapter); first_exercise: the book-wide number of the
    chapter's first exercise (sphinx-exercise numbers them across the book).
    """

    docname: str = "chapters/chapter"
    titles: dict[str, str] = dataclasses.field(default_factory=dict)
    docs: Path | None = None  # the book's source folder, to look up titles not given
    site_url: str | None = None
    first_exercise: int = 1

    def title(self, docname: str) -> str:
        """A page's title: given, else its first heading in the book's sources, else its name."""
        if docname not in self.titles and self.docs is not None:
            path = self.docs / f"{docname}.md"
            found = re.search(r"^#\s+(.+)$", path.read_text(encoding="utf-8"), re.MULTILINE) if path.is_file() else None
            if found:
                self.titles[docname] = found.group(1).strip()
        return self.titles.get(docname) or posixpath.basename(docname)


def glue_values(nb: nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    """Every value the notebook glued: name -> its MIME bundle (without the glue prefix)."""
    found: dict[str, dict[str, Any]] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = {k[len(GLUE_PREFIX) :]: v for k, v in output.get("data", {}).items() if k.startswith(GLUE_PREFIX)}
            if name and data:
                found[name] = data
    return found


def format_glued(text: str, spec: str) -> str:
    """A glued text/plain value under a format spec, as myst-nb's ``glue:text`` formats it."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


def _resolve(target: str, context: Context) -> tuple[str, str]:
    """(docname, url) of a {doc} target as seen from the chapter's notebook."""
    here = posixpath.dirname(context.docname)
    docname = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(here, target))
    if context.site_url:
        return docname, f"{context.site_url.rstrip('/')}/{docname}.html"
    if posixpath.dirname(docname) == here and re.match(r"\d\d-", posixpath.basename(docname)):
        return docname, posixpath.basename(docname) + ".ipynb"  # chapter notebooks sit side by side
    return docname, posixpath.relpath(docname + ".md", here or ".")


class _Converter:
    """MyST to plain Markdown for one notebook (exercise numbers and labels run across cells)."""

    def __init__(self, nb: nbformat.NotebookNode, context: Context) -> None:
        self.context = context
        self.glue = glue_values(nb)
        self.exercises: dict[str, int] = {}
        self.level = 2
        self.labels: set[str] = set()
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                self.labels.update(m.group(1) for line in cell.source.splitlines() if (m := _TARGET.match(line)))

    # -- inline roles ----------------------------------------------------------------
    def role(self, match: re.Match[str]) -> str:
        name, content = match.group(1), match.group(2)
        explicit = _EXPLICIT.match(content)
        text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
        if name.startswith("glue"):
            key, _, spec = content.rpartition(":") if name == "glue:text" and ":" in content else (content, "", "")
            data = self.glue.get(key)
            if data is None:
                raise KeyError(f"glued value {key!r} not found in the notebook's outputs")
            if name == "glue:md" and "text/markdown" in data:
                return str(data["text/markdown"])
            return format_glued(data.get("text/plain", ""), spec)
        if name == "doc":
            docname, url = _resolve(target, self.context)
            label = text or self.context.title(docname)
            return f"[{label}]({url})"
        if name in ("ref", "numref"):
            label = text or target
            return f"[{label}](#{target})" if target in self.labels or target in self.exercises else label
        if name in ("math", "eq"):
            return f"${target}$"
        if name in ("kbd",):
            return f"<kbd>{target}</kbd>"
        if name in ("code", "literal", "file", "command", "samp"):
            return f"`{target}`"
        return text or target  # abbr, term and other roles: their text

    def inline(self, text: str) -> str:
        return _ROLE.sub(self.role, text)

    # -- blocks ----------------------------------------------------------------------
    def heading(self, title: str) -> str:
        return "#" * min(self.level + 1, 6) + " " + title

    def convert(self, source: str) -> str:
        lines = source.splitlines()
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            code = _CODE_FENCE.match(line)
            if code and not _FENCE_OPEN.match(line):  # a plain code block: copy it as is
                end = self._close(lines, i, code.group(1), plain=True)
                out.extend(lines[i : end + 1])
                i = end + 1
                continue
            if heading := _HEADING.match(line):
                self.level = len(heading.group(1))
            if target := _TARGET.match(line):
                out.append(f'<a id="{target.group(1)}"></a>')
                i += 1
                continue
            fence = _FENCE_OPEN.match(line)
            if fence is None:
                out.append(self.inline(line))
                i += 1
                continue
            indent, marks, name, argument = fence.groups()
            end = self._close(lines, i, marks)
            body, options = self._body(lines[i + 1 : end])
            block = [indent + x if x else x for x in self.directive(name, argument, body, options)]
            if block:  # blank lines around it, or a quote would swallow the next paragraph
                if out and out[-1].strip():
                    out.append("")
                out.extend(block)
                if end + 1 < len(lines) and lines[end + 1].strip():
                    out.append("")
            i = end + 1
        return "\n".join(out).strip("\n") + ("\n" if source.endswith("\n") else "")

    @staticmethod
    def _close(lines: list[str], i: int, marks: str, plain: bool = False) -> int:
        """Index of the line that closes the fence opened at lines[i] (nested fences skipped).

        A fence never closed runs to the end of the cell: the index is then ``len(lines)``,
        one past the last line, which belongs to the block's body.
        """
        depth = 0
        for j in range(i + 1, len(lines)):
            stripped = lines[j].strip()
            if stripped.startswith(marks[0] * 3):
                run = len(stripped) - len(stripped.lstrip(marks[0]))
                rest = stripped[run:]
                if rest and not plain and run >= len(marks):
                    depth += 1  # a nested fence with an info string opens
                elif not rest and run >= len(marks):
                    if depth == 0:
                        return j
                    depth -= 1
        return len(lines)

    @staticmethod
    def _body(lines: list[str]) -> tuple[list[str], dict[str, str]]:
        options: dict[str, str] = {}
        i = 0
        if i < len(lines) and lines[i].strip() == "---":  # YAML options block
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "---"), i)
            for opt in lines[i + 1 : end]:
                key, _, value = opt.partition(":")
                options[key.strip()] = value.strip()
            i = end + 1
        while i < len(lines) and _OPTION.match(lines[i]):
            key, _, value = lines[i].strip()[1:].partition(":")
            options[key] = value.strip()
            i += 1
        return lines[i:], options

    def directive(self, name: str, argument: str, body: list[str], options: dict[str, str]) -> list[str]:
        inner = self.convert("\n".join(body)).splitlines() if body else []
        while inner and not inner[0].strip():
            inner.pop(0)
        if name in {"exercise-start", "exercise"}:
            label = options.get("label", "")
            number = self.context.first_exercise + len(self.exercises)
            if label:
                self.exercises[label] = number
            title = f"Exercise {number}" + (f": {self.inline(argument)}" if argument else "")
            anchor = [f'<a id="{label}"></a>', ""] if label else []  # a block of its own
            return [*anchor, self.heading(title), *([""] if inner else []), *inner]
        if name in ("solution-start", "solution"):
            solved = self.exercises.get(argument.strip())
            title = f"Solution to exercise {solved}" if solved else "Solution"
            return [self.heading(title), *([""] if inner else []), *inner]
        if name in ("exercise-end", "solution-end"):
            return []
        if name in _ADMONITIONS:
            title = self.inline(argument) if name == "admonition" else (argument or name.capitalize())
            return [f"> **{title}**", ">"] + [f"> {x}" if x else ">" for x in inner]
        if name in ("math",):
            return ["$$", *body, "$$"]
        if name in ("code-block", "code", "sourcecode", "code-cell"):
            return [f"```{argument}", *body, "```"]
        if name in ("figure", "image"):
            alt = options.get("alt") or " ".join(inner).strip() or "figure"
            return [f"![{alt}]({argument})", "", *inner] if name == "figure" else [f"![{alt}]({argument})"]
        if name in ("toctree", "glue", "glue:figure", "glue:any", "glue:math"):
            return []  # navigation and figures that only the site shows
        return inner  # other directives: their content


def plain_markdown(text: str, nb: nbformat.NotebookNode, context: Context | None = None) -> str:
    """One Markdown cell's MyST as plain Jupyter Markdown (glued values taken from ``nb``)."""
    converter = _Converter(nb, context or Context())
    converter.labels.update(m.group(1) for line in text.splitlines() if (m := _TARGET.match(line)))
    return converter.convert(text)


def _plain_cells(nb: nbformat.NotebookNode, glue_source: nbformat.NotebookNode, context: Context | None) -> None:
    converter = _Converter(glue_source, context or Context())
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = converter.convert(cell.source)


def _add_install_cell(nb: nbformat.NotebookNode) -> None:
    cell = nbformat.v4.new_code_cell(INSTALL_CELL)
    cell.metadata["tags"] = ["install"]
    cell.pop("id", None)
    nb.cells.insert(0, cell)
    nb.metadata.update(copy.deepcopy(COLAB_METADATA))


def _fence_end(lines: list[str], i: int, fence: str) -> int:
    """Index of the line closing the directive that opens at lines[i]; ``len(lines)`` if none."""
    for j in range(i + 1, len(lines)):
        if lines[j].strip() == fence:
            return j
    return len(lines)


def _strip_outputs(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("nvbook", None)


def _drop_glue_records(nb: nbformat.NotebookNode) -> None:
    """Glue records carry figures into the prose (filled in above); Jupyter cannot show them."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.get("data") and all(k.startswith(GLUE_PREFIX) for k in o["data"]))
            ]


def _plain_metadata(nb: nbformat.NotebookNode) -> None:
    """Keep what Jupyter needs (kernel, language); drop the build's own records."""
    keep = {"kernelspec", "language_info"}
    for key in list(nb.metadata):
        if key not in keep:
            del nb.metadata[key]


def _number_cells(nb: nbformat.NotebookNode) -> None:
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"


def executed_notebook(nb: nbformat.NotebookNode, context: Context | None = None) -> nbformat.NotebookNode:
    """The chapter with its outputs, in plain Markdown, ready to open in Jupyter or Colab."""
    out = copy.deepcopy(nb)
    _plain_cells(out, nb, context)
    _drop_glue_records(out)
    for cell in out.cells:
        if cell.cell_type == "code" and "hide-input" in cell.metadata.get("tags", []):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True  # JupyterLab folds it
    _add_install_cell(out)
    _number_cells(out)
    return out


def exercise_notebook(nb: nbformat.NotebookNode, context: Context | None = None) -> nbformat.NotebookNode:
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
        kept: list[str] = []
        lines, i = cell.source.splitlines(keepends=True), 0
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
                if placeholder_due and "".join(kept).strip():  # it began in this cell, after text
                    before = copy.deepcopy(cell)
                    before.source = "".join(kept)
                    cells.extend([before, nbformat.v4.new_code_cell(PLACEHOLDER)])
                    kept.clear()
                    placeholder_due = False
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
    _plain_cells(out, nb, context)
    _strip_outputs(out)
    _plain_metadata(out)
    _add_install_cell(out)
    _number_cells(out)
    return out


def solution_notebook(nb: nbformat.NotebookNode, context: Context | None = None) -> nbformat.NotebookNode:
    """Every cell, solutions included, without outputs: the reference to run yourself."""
    out = copy.deepcopy(nb)
    _plain_cells(out, nb, context)
    _strip_outputs(out)
    _plain_metadata(out)
    _add_install_cell(out)
    _number_cells(out)
    return out


def solution_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The code of the solution cells (for tests that check none of it leaks)."""
    return [c.source for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]

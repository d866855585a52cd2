"""Decide whether a chapter's stored outputs still belong to its code, and whether its pair agrees.

The outputs of a chapter depend on its code cells, its kernel and the files its code reads,
not on its prose. ``code_hash`` digests the code and kernel; ``nvbook execute`` stores it with
the digests of the files the code names (``inputs``). The checks recompute them from the
``.md`` and the ``.ipynb`` and refuse a mismatch. Prose reaches the ``.ipynb`` through
jupytext (``jupytext --sync``); a pair whose cells differ is reported with that fix.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import hashlib
import os
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from .chapters import Chapter, DamagedNotebook

#: Bump when the digest's definition changes, so old digests read as stale.
HASH_SCHEME = "nvbook-code-v1"
#: Where the provenance record lives in an executed notebook's metadata (jupytext keeps it
#: out of the .md: only ``nvbook``, ``kernelspec`` and ``jupytext`` pass its filter).
PROVENANCE_KEY = "nvbook_provenance"


def execute_command(chapter: Chapter) -> str:
    """The command that brings a chapter's outputs up to date (on a GPU machine)."""
    return f"nox -s execute -- {chapter.name}"


def _normalise(source: str) -> str:
    # Trailing spaces and blank lines never change what a cell computes.
    return "\n".join(line.rstrip() for line in source.strip("\n").splitlines())


def code_hash(nb: NotebookNode) -> str:
    """Digest of the kernel name and every code cell's source, in order."""
    h = hashlib.sha256(HASH_SCHEME.encode())
    h.update(b"\0kernel\0" + nb.metadata.get("kernelspec", {}).get("name", "python3").encode())
    for cell in nb.cells:
        if cell.cell_type == "code":
            h.update(b"\0cell\0" + _normalise(cell.source).encode())
    return h.hexdigest()


def _is_chapter_file(name: str) -> bool:
    """A relative path: absolute ones (/proc/cpuinfo, read for the CPU's name) describe the machine."""
    return not Path(name).is_absolute()


def input_digests(chapter: Chapter, nb: NotebookNode) -> dict[str, str]:
    """{path: sha256} of every file, relative to the chapter's folder, that a code cell names."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue  # IPython syntax: the kernel runs it, the file names in it are not followed
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 200:
                path = chapter.md.parent / node.value
                if "\n" not in node.value and _is_chapter_file(node.value) and path.is_file():
                    found[node.value] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def stored_provenance(nb: NotebookNode | None) -> dict[str, Any]:
    """The provenance record of an executed notebook ({} when it has none)."""
    return {} if nb is None else dict(nb.metadata.get(PROVENANCE_KEY, {}))


def _cells(nb: NotebookNode) -> list[tuple[str, str, dict[str, Any]]]:
    # Blank lines that end a cell are not kept alike by jupytext's two readers.
    return [
        (c.cell_type, c.source.rstrip(), {k: v for k, v in c.metadata.items() if k != "execution"}) for c in nb.cells
    ]


def pair_difference(source: NotebookNode, executed: NotebookNode) -> str | None:
    """Where the ``.md`` and the ``.ipynb`` of a pair first differ, or None when they agree."""
    a, b = _cells(source), _cells(executed)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            what = "cell type" if x[0] != y[0] else "source" if x[1] != y[1] else "metadata"
            return f"cell {i + 1} ({x[0]}) differs in its {what}"
    if len(a) != len(b):
        return f"the .md has {len(a)} cells, the .ipynb {len(b)}"
    if source.metadata.get("nvbook") != executed.metadata.get("nvbook"):
        return "the front matter's nvbook settings differ"
    return None


def _first_code_change(chapter: Chapter, source: NotebookNode, executed: NotebookNode) -> str:
    """Where the .md's code first differs from the code that made the outputs, as a hint."""
    mine = [c.source.rstrip() for c in source.cells if c.cell_type == "code"]
    ran = [c.source.rstrip() for c in executed.cells if c.cell_type == "code"]
    fences = chapter.code_cell_lines()
    for i, (a, b) in enumerate(zip(mine, ran, strict=False)):
        if a != b:
            line = f", line {fences[i]}" if i < len(fences) else ""
            break
    else:
        i, line = min(len(mine), len(ran)), ""
    hint = f" (first at code cell {i + 1}{line})"
    if len(mine) != len(ran):
        hint += (
            f"; the .md has {len(mine)} code cells, the outputs were made from {len(ran)}: if no code "
            "was meant to change, look for a stray or unclosed ``` fence in the prose before it"
        )
    return hint


class State(enum.Enum):
    """What a check found for one chapter."""

    FRESH = "fresh"
    STALE = "stale"
    UNSYNCED = "not synced"
    UNEXECUTED = "never executed"
    UNRECORDED = "no provenance"
    DAMAGED = "damaged"


@dataclasses.dataclass(frozen=True)
class Status:
    """The state of one chapter, with what the message needs and the executed notebook read."""

    chapter: Chapter
    state: State
    detail: str = ""
    executed: NotebookNode | None = dataclasses.field(default=None, repr=False)

    @property
    def fresh(self) -> bool:
        return self.state is State.FRESH

    def message(self) -> str:
        """One paragraph naming the chapter, what is wrong and the command that fixes it."""
        name, ipynb = self.chapter.name, self.chapter.ipynb.as_posix()
        fix = f"Execute it again on a GPU machine: {execute_command(self.chapter)}"
        if self.state is State.UNEXECUTED:
            return f"Chapter {name} has no executed notebook ({self.chapter.ipynb.name}). {fix}"
        if self.state is State.UNRECORDED:
            return (
                f"Chapter {name}: {ipynb} holds no provenance record, so it was not written by "
                f"`nvbook execute` (or its metadata was stripped). Restore the committed one with "
                f"`git checkout -- {ipynb}`, or execute it again on a GPU machine: {execute_command(self.chapter)}"
            )
        if self.state is State.STALE:
            return f"Chapter {name} is stale: {self.detail}. {fix}"
        if self.state is State.UNSYNCED:
            return (
                f"Chapter {name}: {self.chapter.md.as_posix()} and {ipynb} are not in sync ({self.detail}). "
                f"Run `jupytext --sync {self.chapter.md.as_posix()}` (the pre-commit hook does it)."
            )
        return f"Chapter {name}: {self.detail}" if self.detail else f"Chapter {name} is up to date."


def status(chapter: Chapter) -> Status:
    """Check one chapter: damaged, never executed, unrecorded, stale, out of sync, or fresh."""
    try:
        source = chapter.read_source()
        executed = chapter.read_executed()
    except DamagedNotebook as exc:
        return Status(chapter, State.DAMAGED, str(exc))
    if executed is None:
        return Status(chapter, State.UNEXECUTED)
    prov = stored_provenance(executed)
    stored = prov.get("code_hash")
    if not stored:
        return Status(chapter, State.UNRECORDED, executed=executed)
    when = f" on {prov['date']}" if prov.get("date") else ""
    for where, nb in ((chapter.md, source), (chapter.ipynb, executed)):
        if code_hash(nb) != stored:
            detail = f"the code cells of {where.as_posix()} changed after its outputs were produced{when}"
            if where == chapter.md:
                detail += _first_code_change(chapter, source, executed)
            return Status(chapter, State.STALE, detail, executed)
    recorded = prov.get("inputs")  # absent in records made before inputs were digested
    if recorded is not None:
        recorded = {path: digest for path, digest in recorded.items() if _is_chapter_file(path)}
        changed = sorted(set(recorded.items()) ^ set(input_digests(chapter, source).items()))
        if changed:
            files = ", ".join(sorted({path for path, _ in changed}))
            return Status(chapter, State.STALE, f"files its code reads changed since it ran{when}: {files}", executed)
    difference = pair_difference(source, executed)
    if difference:
        return Status(chapter, State.UNSYNCED, difference, executed)
    return Status(chapter, State.FRESH, executed=executed)


class StaleChapterError(RuntimeError):
    """Stored outputs do not belong to a chapter's current code, or a pair disagrees."""


def require_fresh(chapters: list[Chapter]) -> list[Status]:
    """Every chapter's status; raise StaleChapterError naming each one that is not fresh."""
    found = [status(c) for c in chapters]
    problems = [s.message() for s in found if not s.fresh]
    if problems:
        raise StaleChapterError("\n".join(problems))
    return found


class WriteFailed(OSError):
    """A file could not be written; the old one is untouched and no temporary file is left."""


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: a reader sees the old or the new file.

    On any failure (a full disk, say) the temporary file is removed and ``path`` keeps
    its old content.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteFailed(
                f"could not write {path}: {exc.strerror or exc}; it was left as it was. "
                "Free some space (or fix the permissions) and run again."
            ) from exc
        raise

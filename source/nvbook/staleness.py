"""Decide whether a chapter's stored outputs still belong to its code.

The outputs of a chapter depend on its code cells and on the kernel that ran
them, not on its prose. ``code_hash`` digests exactly those; ``nvbook execute``
stores the digest with the outputs, and the site build and the tests recompute
it from the ``.md`` and refuse a mismatch. Prose edits keep the digest, and
``merge`` carries them into the executed notebook without a GPU.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import hashlib
import os
from pathlib import Path

import nbformat

from .chapters import Chapter, DamagedNotebook

#: Bump when the digest's definition changes, so old digests read as stale.
HASH_SCHEME = "nvbook-code-v1"


def execute_command(chapter: Chapter) -> str:
    """The command that brings a chapter's outputs up to date (on a GPU machine)."""
    return f"nox -s execute -- {chapter.name}"


def _normalise(source: str) -> str:
    # Trailing spaces and blank lines never change what a cell computes.
    lines = [line.rstrip() for line in source.strip("\n").splitlines()]
    return "\n".join(lines)


def code_sources(nb: nbformat.NotebookNode) -> list[str]:
    return [_normalise(c.source) for c in nb.cells if c.cell_type == "code"]


def code_hash(nb: nbformat.NotebookNode) -> str:
    """Digest of the kernel name and every code cell's source, in order."""
    h = hashlib.sha256(HASH_SCHEME.encode())
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    h.update(b"\0kernel\0" + kernel.encode())
    for source in code_sources(nb):
        h.update(b"\0cell\0" + source.encode())
    return h.hexdigest()


def stored_provenance(nb: nbformat.NotebookNode | None) -> dict:
    if nb is None:
        return {}
    return dict(nb.metadata.get("nvbook", {}).get("provenance", {}))


class State(enum.Enum):
    FRESH = "fresh"
    STALE = "stale"
    UNEXECUTED = "never executed"
    UNRECORDED = "no provenance"
    DAMAGED = "damaged"


@dataclasses.dataclass(frozen=True)
class Status:
    chapter: Chapter
    state: State
    current_hash: str
    stored_hash: str | None
    executed_on: str | None
    problem: str = ""

    @property
    def fresh(self) -> bool:
        return self.state is State.FRESH

    def message(self) -> str:
        """One paragraph naming the chapter, what is wrong and the command that fixes it."""
        fix = f"Execute it again on a GPU machine: {execute_command(self.chapter)}"
        md = self.chapter.md.as_posix()
        if self.state is State.UNEXECUTED:
            return f"Chapter {self.chapter.name} has no executed notebook ({self.chapter.ipynb.name}). {fix}"
        if self.state is State.DAMAGED:
            return f"Chapter {self.chapter.name}: {self.problem}"
        if self.state is State.UNRECORDED:
            return (
                f"Chapter {self.chapter.name}: {self.chapter.ipynb.as_posix()} holds no provenance record, so it "
                f"was not written by `nvbook execute` (or its metadata was stripped). {fix}"
            )
        if self.state is State.STALE:
            when = f" on {self.executed_on}" if self.executed_on else ""
            return (
                f"Chapter {self.chapter.name} is stale: the code cells of {md} changed after its "
                f"outputs were produced{when} (code hash now {self.current_hash[:12]}, "
                f"outputs made from {str(self.stored_hash)[:12]}). {fix}"
            )
        return f"Chapter {self.chapter.name} is up to date (code hash {self.current_hash[:12]})."


def status(chapter: Chapter) -> Status:
    try:
        current = code_hash(chapter.read_source())
        executed = chapter.read_executed()
    except DamagedNotebook as exc:
        return Status(chapter, State.DAMAGED, "", None, None, str(exc))
    prov = stored_provenance(executed)
    stored = prov.get("code_hash")
    if executed is None:
        state = State.UNEXECUTED
    elif not stored:
        state = State.UNRECORDED
    elif stored == current and code_hash(executed) == current:
        state = State.FRESH
    else:
        state = State.STALE
    return Status(chapter, state, current, stored, prov.get("date"))


class StaleChapterError(RuntimeError):
    """Stored outputs do not belong to a chapter's current code."""


def require_fresh(chapters: list[Chapter]) -> None:
    """Raise StaleChapterError naming every chapter whose outputs are stale or missing."""
    problems = [s.message() for s in map(status, chapters) if not s.fresh]
    if problems:
        raise StaleChapterError("\n".join(problems))


def merge(source: nbformat.NotebookNode, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook with the prose (and cell metadata) of the current source.

    Code cells pair up one to one; call only when both have the same code hash.
    """
    if code_sources(source) != code_sources(executed):
        raise StaleChapterError("merge needs notebooks with identical code cells")
    executed_code = iter(c for c in executed.cells if c.cell_type == "code")
    cells = []
    for cell in source.cells:
        new = copy.deepcopy(cell)
        if cell.cell_type == "code":
            ran = next(executed_code)
            new.outputs = copy.deepcopy(ran.outputs)
            new.execution_count = ran.get("execution_count")
            if "nvbook" in ran.metadata:
                new.metadata["nvbook"] = copy.deepcopy(ran.metadata["nvbook"])
        new["id"] = f"cell-{len(cells):03d}"
        cells.append(new)
    merged = copy.deepcopy(executed)
    merged.cells = cells
    for key, value in source.metadata.items():
        if key != "nvbook":
            merged.metadata[key] = copy.deepcopy(value)
    nvbook_meta = dict(source.metadata.get("nvbook", {}))
    nvbook_meta["provenance"] = stored_provenance(executed)
    merged.metadata["nvbook"] = nvbook_meta
    return merged


def dumps(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook the same way every time (stable ids, trailing newline)."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nbformat.writes(nb) + "\n"


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


def sync(chapter: Chapter) -> bool:
    """Carry prose edits from the ``.md`` into the ``.ipynb``. True if the file changed.

    A stale or unexecuted chapter is left alone (its outputs need a GPU run).
    """
    st = status(chapter)
    if not st.fresh:
        return False
    merged = dumps(merge(chapter.read_source(), chapter.read_executed()))
    if merged == chapter.ipynb.read_text(encoding="utf-8"):
        return False
    write_atomically(chapter.ipynb, merged)
    return True

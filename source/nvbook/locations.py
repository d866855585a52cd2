"""Point Sphinx's warnings about a chapter at the line of the ``.md`` that people edit.

Sphinx reads the executed ``NN-slug.ipynb``, and myst-nb numbers its lines per cell
(``(cell + 1) * 10000 + line``), so a bad role in chapter 5 is reported as
``05-device-api.ipynb:450052``. This filter rewrites such locations to ``05-device-api.md:LINE``.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

import nbformat

#: myst-nb's line numbers: (cell index + 1) * CELL_STRIDE + the line within the cell + OFFSET.
CELL_STRIDE = 10000
OFFSET = 2
_LOCATION = re.compile(r"^(?P<path>.*\.ipynb):(?P<line>\d+)$")


@cache
def cell_starts(ipynb: Path, mtime: float) -> tuple[int, ...]:  # noqa: ARG001 (mtime: the cache key)
    """The 1-based line of the ``.md`` where each cell of the pair's ``.ipynb`` begins.

    Cells appear in the ``.md`` in order, each source verbatim after its fence or marker,
    so one forward scan finds them. ``mtime`` keys the cache to the file's version.
    """
    nb = nbformat.read(ipynb, as_version=4)
    lines = ipynb.with_suffix(".md").read_text(encoding="utf-8").splitlines()
    starts, pos = [], 0
    for cell in nb.cells:
        source = cell.source.splitlines()
        skip = next((k for k, line in enumerate(source) if line.strip()), None)
        at = pos
        if skip is not None:
            at = next((i for i in range(pos, len(lines)) if lines[i] == source[skip]), pos + skip) - skip
        starts.append(at + 1)
        pos = at + len(source)
    return tuple(starts)


def md_location(location: str) -> str:
    """``path/NN.ipynb:LINE`` as ``path/NN.md:LINE`` where the pair's ``.md`` exists; else unchanged."""
    match = _LOCATION.match(location)
    if match is None:
        return location
    ipynb, line = Path(match["path"]), int(match["line"])
    cell, within = divmod(line, CELL_STRIDE)
    md = ipynb.with_suffix(".md")
    if cell < 1 or not md.is_file():
        return location
    try:
        starts = cell_starts(ipynb, ipynb.stat().st_mtime + md.stat().st_mtime)
    except (OSError, ValueError):
        return location
    if cell > len(starts):
        return location
    return f"{md}:{starts[cell - 1] + max(within - OFFSET, 0)}"


class MdLocations(logging.Filter):
    """Rewrite the location of each warning record (set by Sphinx's own translator)."""

    def filter(self, record: logging.LogRecord) -> bool:
        location = getattr(record, "location", None)
        if isinstance(location, str):
            record.location = md_location(location)
        return True


def install() -> None:
    """Add the filter to Sphinx's warning handlers, after Sphinx's own location translator."""
    for handler in logging.getLogger("sphinx").handlers:
        if handler.level >= logging.WARNING:
            handler.addFilter(MdLocations())

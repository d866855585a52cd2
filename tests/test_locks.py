"""The GPU stack's lock files install every module the chapters and the executor import.

`nox -s execute` builds its environment from `requirements/gpu-cu12.txt` or `gpu-cu13.txt`
alone (`--require-hashes --no-deps`), so a module that a chapter imports and the lock lacks
fails only on a GPU machine, after gigabytes of installs. These tests catch it here, from the
chapters' own import statements, with no install at all.
"""

from __future__ import annotations

import re
import sys

import pytest
from conftest import BOOK_CHAPTERS, ROOT
from nvbook import execute, provenance

PROVIDERS = execute.PROVIDERS
EXECUTOR = {"nbclient", "nbformat", "jupytext", "ipykernel", "traitlets"}
# What a flavour cannot have, and why (none at present; gpu-cu12.overrides shows how a
# dependency's over-tight pin is lifted instead).
KNOWN_GAPS: dict[int, set[str]] = {12: set(), 13: set()}


def _lock_pins(cuda: int) -> dict[str, str]:
    """name -> version of every package the lock pins (names as pip compares them)."""
    return provenance.pins((ROOT / "requirements" / f"gpu-cu{cuda}.txt").read_text().splitlines())


def _needed() -> set[str]:
    modules = set(EXECUTOR)
    for chapter in BOOK_CHAPTERS:
        modules |= execute.imported_modules(chapter.read_source())
    return modules - set(sys.stdlib_module_names)


def _provider(module: str, cuda: int) -> str:
    dist = PROVIDERS[module]
    return dist[cuda] if isinstance(dist, dict) else dist


def test_every_imported_module_has_a_known_provider():
    unknown = sorted(_needed() - set(PROVIDERS))
    assert not unknown, f"add these chapter imports to PROVIDERS in {execute.__file__}: {unknown}"


@pytest.mark.parametrize("cuda", [12, 13])
def test_lock_installs_every_module_the_chapters_import(cuda):
    locked = set(_lock_pins(cuda))
    missing = {m for m in _needed() & set(PROVIDERS) if _provider(m, cuda) not in locked}
    assert missing == KNOWN_GAPS[cuda], (
        f"requirements/gpu-cu{cuda}.txt lacks {sorted(missing - KNOWN_GAPS[cuda])}: add them to "
        f"gpu-cu{cuda}.in and run `nox -s lock`"
        if missing - KNOWN_GAPS[cuda]
        else f"gpu-cu{cuda} now provides {sorted(KNOWN_GAPS[cuda] - missing)}: drop them from KNOWN_GAPS"
    )


@pytest.mark.parametrize("cuda", [12, 13])
def test_the_install_lines_pin_what_the_lock_pins(cuda):
    """The README's and the downloads' install lines (one source: notebooks.INSTALL) agree with the lock."""
    from nvbook import notebooks

    line = notebooks.INSTALL[cuda] + " " + notebooks.INSTALL_NO_DEPS.get(cuda, "")
    pins = dict(re.findall(r'"?([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s"]+)"?', line))
    locked = _lock_pins(cuda)
    assert pins, line
    wrong = {
        name: (version, locked.get(name.lower()))
        for name, version in pins.items()
        if locked.get(name.lower()) != version
    }
    assert not wrong, f"install line pin vs requirements/gpu-cu{cuda}.txt: {wrong}"

"""Shared fixtures: a tiny CPU-only book executed once in a real kernel, and the real site built once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source"
FIXTURE_BOOK = Path(__file__).parent / "fixtures" / "book"

# The tests import the tooling from source/ and the Sphinx subprocesses load its
# extension from there too, whether or not the package is installed.
sys.path.insert(0, str(SOURCE))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))

from nvbook import execute, staleness
from nvbook.chapters import find_chapters

#: The real book's chapters, for tests parametrized over them.
BOOK_CHAPTERS = find_chapters(ROOT / "docs")


def sphinx_build(srcdir: Path, outdir: Path, *options: str) -> subprocess.CompletedProcess:
    """Build a site with the book's own configuration, warnings as errors."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-n",
            "-W",
            "--keep-going",
            "-q",
            *options,
            "-c",
            str(ROOT / "conf"),
            str(srcdir),
            str(outdir),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="session")
def executed_fixture_book(tmp_path_factory) -> Path:
    """The fixture book with its one chapter executed (once per session, in a real kernel)."""
    book = tmp_path_factory.mktemp("executed") / "book"
    shutil.copytree(FIXTURE_BOOK, book)
    rc = execute.main(["--docs", str(book)])
    assert rc == 0, "the fixture chapter must execute on any machine"
    return book


@pytest.fixture
def book(executed_fixture_book, tmp_path) -> Path:
    """A private copy of the executed fixture book that a test may edit."""
    copy = tmp_path / "book"
    shutil.copytree(executed_fixture_book, copy)
    return copy


@pytest.fixture
def chapter(book):
    (only,) = find_chapters(book)
    return only


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Path:
    """The real book built from the committed outputs, as `nox -s docs` builds it."""
    try:  # a stale chapter: one short message for the whole run, not one per site test
        staleness.require_fresh(BOOK_CHAPTERS)
    except staleness.StaleChapterError as exc:
        pytest.exit(f"the real site cannot be built, so the site tests cannot run:\n{exc}", returncode=1)
    out = tmp_path_factory.mktemp("site") / "html"
    result = sphinx_build(ROOT / "docs", out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

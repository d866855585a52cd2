"""A chapter's stored outputs belong to its code: code edits make it stale, prose edits don't."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import ROOT, edit, sphinx_build
from nvbook import staleness
from nvbook.__main__ import main as nvbook_main
from nvbook.chapters import find_chapters


def test_executed_chapter_is_fresh(chapter):
    assert staleness.status(chapter).state is staleness.State.FRESH


def test_code_edit_makes_chapter_stale(chapter, capsys):
    edit(chapter.md, "total * 2", "total * 3")
    st = staleness.status(chapter)
    assert st.state is staleness.State.STALE
    assert "01-arithmetic" in st.message()
    assert "nox -s execute -- 01-arithmetic" in st.message()

    assert nvbook_main(["check", "--docs", str(chapter.md.parents[1])]) == 1
    err = capsys.readouterr().err
    assert "01-arithmetic is stale" in err
    assert "nox -s execute -- 01-arithmetic" in err


def test_stale_chapter_stops_the_site_build_naming_it(book, chapter, tmp_path):
    edit(chapter.md, "total = sum(range(10))", "total = sum(range(11))")
    result = sphinx_build(book, tmp_path / "html")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Chapter 01-arithmetic is stale" in output
    assert "nox -s execute -- 01-arithmetic" in output


def test_prose_edit_keeps_chapter_fresh_and_reaches_the_page(book, chapter, tmp_path):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "Some prose between the cells.", "Freshly edited prose between the cells.")
    assert staleness.status(chapter).fresh

    result = sphinx_build(book, tmp_path / "html")
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "html" / "chapters" / "01-arithmetic.html").read_text()
    assert "Freshly edited prose" in page
    assert "total 45" in page  # the stored output is still there
    assert chapter.ipynb.read_bytes() == stored  # building never writes the notebook


def test_whitespace_after_code_keeps_chapter_fresh(chapter):
    edit(chapter.md, 'print("total", total)', 'print("total", total)   \n\n')
    assert staleness.status(chapter).fresh


def test_changing_the_kernel_makes_chapter_stale(chapter):
    edit(chapter.md, "  name: python3", "  name: python3-other")
    assert staleness.status(chapter).state is staleness.State.STALE


def test_unexecuted_chapter_is_reported_with_the_fix(chapter):
    chapter.ipynb.unlink()
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNEXECUTED
    assert "nox -s execute -- 01-arithmetic" in st.message()


def test_sync_carries_prose_into_the_notebook_and_keeps_outputs(chapter):
    edit(chapter.md, "Some prose between the cells.", "Synced prose.")
    assert staleness.sync(chapter) is True
    nb = json.loads(chapter.ipynb.read_text())
    text = json.dumps(nb)
    assert "Synced prose." in text
    assert "total 45" in text
    assert nb["metadata"]["nvbook"]["provenance"]["code_hash"] == staleness.code_hash(chapter.read_source())
    assert staleness.sync(chapter) is False  # idempotent


def test_sync_leaves_a_stale_chapter_alone(chapter):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "total * 2", "total * 4")
    assert staleness.sync(chapter) is False
    assert chapter.ipynb.read_bytes() == stored


def test_every_book_chapter_is_fresh():
    """The committed outputs of every chapter belong to its current code."""
    chapters = find_chapters(ROOT / "docs")
    assert chapters, "the book has no chapters"
    problems = [s.message() for s in map(staleness.status, chapters) if not s.fresh]
    assert not problems, "\n".join(problems)


def test_code_edit_inside_the_notebook_makes_chapter_stale(chapter):
    nb = json.loads(chapter.ipynb.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = "total = 44\nprint('total', total)"
    chapter.ipynb.write_text(json.dumps(nb))
    assert staleness.status(chapter).state is staleness.State.STALE


@pytest.mark.parametrize("content", ["", '{"cells": [', "{}", "[]", "null"])
def test_damaged_notebook_is_named_with_the_fix_and_others_are_still_checked(book, chapter, capsys, content):
    other = chapter.md.with_name("02-copy.md")
    shutil.copy(chapter.md, other)
    shutil.copy(chapter.ipynb, other.with_suffix(".ipynb"))
    chapter.ipynb.write_text(content)
    assert nvbook_main(["check", "--docs", str(book)]) == 1
    err = capsys.readouterr().err
    assert "01-arithmetic.ipynb is not a readable notebook" in err
    assert "git checkout -- " in err
    assert "Traceback" not in err
    assert "fresh  02-copy" in err  # the next chapter was checked too


def test_notebook_without_provenance_says_so(chapter):
    nb = json.loads(chapter.ipynb.read_text())
    del nb["metadata"]["nvbook"]
    chapter.ipynb.write_text(json.dumps(nb))
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNRECORDED
    assert "holds no provenance record" in st.message()
    assert "None" not in st.message()


def test_unclosed_fence_is_reported_as_such_not_as_stale(chapter, capsys):
    edit(chapter.md, "total * 2\n```", "total * 2\n")
    assert nvbook_main(["check", "--docs", str(chapter.md.parents[1])]) == 1
    err = capsys.readouterr().err
    assert "is never closed" in err and "01-arithmetic.md, line" in err
    assert "stale" not in err


def test_check_of_a_folder_without_chapters_fails(tmp_path, capsys):
    assert nvbook_main(["check", "--docs", str(tmp_path / "nowhere")]) == 2
    assert "no chapters under" in capsys.readouterr().err

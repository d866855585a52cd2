"""A chapter's stored outputs belong to its code; its .md and .ipynb are one jupytext pair."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import BOOK_CHAPTERS, edit, sphinx_build
from nvbook import staleness
from nvbook.__main__ import main as nvbook_main


def jupytext_sync(chapter) -> None:
    """What the pre-commit hook runs."""
    subprocess.run([sys.executable, "-m", "jupytext", "--sync", "-q", str(chapter.md)], check=True)


def _edit_ipynb(chapter, change) -> None:
    nb = json.loads(chapter.ipynb.read_text())
    change(nb)
    chapter.ipynb.write_text(json.dumps(nb, indent=1) + "\n")


def test_executed_chapter_is_fresh(chapter):
    assert staleness.status(chapter).state is staleness.State.FRESH


def test_executed_pair_is_what_jupytext_writes(chapter):
    md, ipynb = chapter.md.read_bytes(), chapter.ipynb.read_bytes()
    jupytext_sync(chapter)
    assert (chapter.md.read_bytes(), chapter.ipynb.read_bytes()) == (md, ipynb)


def test_provenance_stays_out_of_the_md(chapter):
    jupytext_sync(chapter)
    assert "code_hash" not in chapter.md.read_text()
    assert staleness.stored_provenance(chapter.read_executed())["code_hash"]


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


def test_stale_message_points_at_the_first_changed_code_cell_in_the_md(chapter):
    edit(chapter.md, "total * 2", "total * 3")
    message = staleness.status(chapter).message()
    assert "first at code cell 2, line 27" in message
    assert "stray" not in message  # the same number of code cells


def test_stray_fence_in_the_prose_is_named_as_a_possible_cause(chapter):
    edit(chapter.md, "Some prose between the cells.", "Some prose between the cells.\n\n```python\nx = 1")
    message = staleness.status(chapter).message()
    assert "the .md has 1 code cells, the outputs were made from 2" in message
    assert "stray or unclosed ``` fence" in message


def test_stale_chapter_stops_the_site_build_naming_it_briefly(book, chapter, tmp_path):
    edit(chapter.md, "total = sum(range(10))", "total = sum(range(11))")
    result = sphinx_build(book, tmp_path / "html")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Chapter 01-arithmetic is stale" in output
    assert "nox -s execute -- 01-arithmetic" in output
    assert "Traceback" not in output
    assert len(output.splitlines()) < 10


def test_prose_edit_keeps_chapter_fresh_once_synced_and_reaches_the_page(book, chapter, tmp_path):
    edit(chapter.md, "Some prose between the cells.", "Freshly edited prose between the cells.")
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNSYNCED
    assert f"jupytext --sync {chapter.md.as_posix()}" in st.message()
    assert sphinx_build(book, tmp_path / "refused").returncode != 0

    jupytext_sync(chapter)
    assert staleness.status(chapter).fresh
    result = sphinx_build(book, tmp_path / "html")
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "html" / "chapters" / "01-arithmetic.html").read_text()
    assert "Freshly edited prose" in page
    assert "total 45" in page  # jupytext kept the stored output


def test_markdown_or_tag_edit_inside_the_notebook_is_caught(chapter):
    _edit_ipynb(chapter, lambda nb: nb["cells"][0]["source"].append("\nEdited in Jupyter."))
    assert staleness.status(chapter).state is staleness.State.UNSYNCED


def test_tag_edit_in_the_md_is_caught(chapter):
    edit(chapter.md, "```{code-cell} ipython3\nassert", "```{code-cell} ipython3\n:tags: [hide-input]\n\nassert")
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNSYNCED
    assert "metadata" in st.message()


def test_whitespace_after_code_keeps_chapter_fresh_once_synced(chapter):
    edit(chapter.md, 'print("total", total)', 'print("total", total)   \n\n')
    jupytext_sync(chapter)
    assert staleness.status(chapter).fresh


def test_changing_the_kernel_makes_chapter_stale(chapter):
    edit(chapter.md, "  name: python3", "  name: python3-other")
    assert staleness.status(chapter).state is staleness.State.STALE


def test_unexecuted_chapter_is_reported_with_the_fix(chapter):
    chapter.ipynb.unlink()
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNEXECUTED
    assert "nox -s execute -- 01-arithmetic" in st.message()


def test_code_edit_inside_the_notebook_makes_chapter_stale(chapter):
    def change(nb):
        next(c for c in nb["cells"] if c["cell_type"] == "code")["source"] = "total = 44\nprint('total', total)"

    _edit_ipynb(chapter, change)
    st = staleness.status(chapter)
    assert st.state is staleness.State.STALE
    assert "01-arithmetic.ipynb changed" in st.message()


def test_changed_input_file_makes_chapter_stale(book, chapter):
    data = chapter.md.parent / "data.txt"
    data.write_text("1 2 3\n")
    edit(chapter.md, "total = sum(range(10))", 'open("data.txt").read()\ntotal = sum(range(10))')
    from nvbook import execute

    assert execute.main(["--docs", str(book)]) == 0
    assert staleness.stored_provenance(chapter.read_executed())["inputs"] == {
        "data.txt": staleness.input_digests(chapter, chapter.read_source())["data.txt"]
    }
    assert staleness.status(chapter).fresh
    data.write_text("1 2 4\n")
    st = staleness.status(chapter)
    assert st.state is staleness.State.STALE
    assert "files its code reads changed" in st.message()
    assert "data.txt" in st.message()


def test_a_machine_file_the_code_reads_is_not_an_input(book, chapter, tmp_path):
    """/proc/cpuinfo differs between machines: reading it must not make a chapter stale anywhere else."""
    machine_file = tmp_path / "cpuinfo"
    machine_file.write_text("model name: A\n")
    edit(chapter.md, "total = sum(range(10))", f'open("{machine_file}").read()\ntotal = sum(range(10))')
    from nvbook import execute

    assert execute.main(["--docs", str(book)]) == 0
    assert staleness.stored_provenance(chapter.read_executed())["inputs"] == {}
    machine_file.write_text("model name: B\n")
    assert staleness.status(chapter).fresh


def test_a_record_that_holds_a_machine_file_stays_fresh(book, chapter):
    """Records written before that rule list /proc/cpuinfo; its digest here is not compared."""
    from nvbook import execute

    assert execute.main(["--docs", str(book)]) == 0

    def add(nb):
        nb["metadata"][staleness.PROVENANCE_KEY]["inputs"] = {"/proc/cpuinfo": "0" * 64}

    _edit_ipynb(chapter, add)
    assert staleness.status(chapter).fresh


@pytest.mark.parametrize("chapter", BOOK_CHAPTERS, ids=lambda c: c.name)
def test_every_book_chapter_is_fresh_and_its_pair_in_sync(chapter):
    """The committed outputs belong to the current code; the .md and .ipynb agree cell by cell."""
    st = staleness.status(chapter)
    assert st.fresh, st.message()


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
    assert "object has no attribute" not in err  # a JSON list or null is named as such
    assert "Traceback" not in err
    assert "fresh  02-copy" in err  # the next chapter was checked too


def test_notebook_without_provenance_says_so(chapter):
    _edit_ipynb(chapter, lambda nb: nb["metadata"].pop(staleness.PROVENANCE_KEY))
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNRECORDED
    assert "holds no provenance record" in st.message()
    assert f"git checkout -- {chapter.ipynb.as_posix()}" in st.message()
    assert "None" not in st.message()


@pytest.mark.parametrize(
    ("old", "new"),
    [("total * 2\n```", "total * 2\n"), (":::{note}\nA note.\n:::", ":::{note}\nA note.\n")],
    ids=["code", "colon"],
)
def test_unclosed_fence_is_reported_as_such_not_as_stale(chapter, capsys, old, new):
    text = chapter.md.read_text()
    if ":::" in old:  # the fixture has no ::: block: add a closed one, then open it
        chapter.md.write_text(text.replace("Some prose between the cells.", old))
    edit(chapter.md, old, new)
    assert nvbook_main(["check", "--docs", str(chapter.md.parents[1])]) == 1
    err = capsys.readouterr().err
    assert "is never closed" in err
    assert "01-arithmetic.md, line" in err
    assert "stale" not in err


def test_check_of_a_folder_without_chapters_fails(tmp_path, capsys):
    assert nvbook_main(["check", "--docs", str(tmp_path / "nowhere")]) == 2
    assert "no chapters under" in capsys.readouterr().err

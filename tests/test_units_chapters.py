"""Chapters, staleness and provenance without a kernel: the checks `nvbook check` and the build run.

The "executed" notebooks here are the chapter's own cells with a provenance record, as
`nvbook execute` stores them, written without running anything.
"""

from __future__ import annotations

import hashlib
import shutil

import nbformat
import pytest
from conftest import FIXTURE_BOOK, edit
from nvbook import chapters, provenance, staleness
from nvbook.chapters import Chapter, ChapterNotFound, DamagedNotebook


def _executed(chapter: Chapter, **prov) -> None:
    """Store the chapter's .ipynb as `nvbook execute` would, with ``prov`` in its record."""
    nb = chapter.read_source()
    record = {"code_hash": staleness.code_hash(nb), "inputs": staleness.input_digests(chapter, nb), **prov}
    nb.metadata[staleness.PROVENANCE_KEY] = record
    chapter.ipynb.write_text(chapters.dumps(nb), encoding="utf-8")


@pytest.fixture
def book(tmp_path):
    copy = tmp_path / "book"
    shutil.copytree(FIXTURE_BOOK, copy)
    return copy


@pytest.fixture
def chapter(book):
    (only,) = chapters.find_chapters(book)
    _executed(only, date="2026-12-01")
    return only


def _hash(code: str, kernel: str | None = "python3") -> str:
    nb = nbformat.v4.new_notebook()
    if kernel:
        nb.metadata["kernelspec"] = {"name": kernel}
    nb.cells = [nbformat.v4.new_markdown_cell("prose"), nbformat.v4.new_code_cell(code)]
    return staleness.code_hash(nb)


# -- code hash --------------------------------------------------------------------------


def test_code_hash_ignores_trailing_spaces_and_blank_lines_around_a_cell():
    assert _hash("x = 1\ny = 2") == _hash("\n\nx = 1   \ny = 2  \n\n")


def test_code_hash_sees_indentation_code_and_kernel_changes():
    assert _hash("  x = 1") != _hash("x = 1")  # an indented first line is an IndentationError
    assert _hash("total = X") != _hash("total = ")  # only blank lines and trailing spaces are trimmed
    base = _hash("if a:\n    x = 1")
    assert base != _hash("if a:\n  x = 1")
    assert base != _hash("if a:\n    x = 2")
    assert base != _hash("if a:\n    x = 1", kernel="python3-other")
    assert base == _hash("if a:\n    x = 1", kernel=None)  # no kernelspec: python3


def test_code_hash_is_the_documented_digest():
    """Stored digests stay valid only while the definition holds (HASH_SCHEME names it)."""
    h = hashlib.sha256(b"nvbook-code-v1")
    h.update(b"\0kernel\0python3")
    h.update(b"\0cell\0x = 1")
    assert _hash("x = 1\n") == h.hexdigest()


def test_code_hash_sees_cell_order_and_prose_does_not_count():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("a"), nbformat.v4.new_code_cell("b")]
    before = staleness.code_hash(nb)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("prose"))
    assert staleness.code_hash(nb) == before
    nb.cells = [nbformat.v4.new_code_cell("b"), nbformat.v4.new_code_cell("a")]
    assert staleness.code_hash(nb) != before


# -- input files ------------------------------------------------------------------------


def test_input_digests_are_the_files_that_code_names_next_to_the_chapter(chapter):
    folder = chapter.md.parent
    (folder / "data.txt").write_bytes(b"1 2 3\n")
    (folder / "sub").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%time open('other.txt')"),  # IPython syntax: not followed, the rest is
        nbformat.v4.new_code_cell('open("data.txt"); open("missing.txt"); open("sub"); x = "data.txt\\n"'),
        nbformat.v4.new_markdown_cell('"data.txt" in prose does not count'),
        nbformat.v4.new_code_cell(f"name = {'a' * 250!r}"),
    ]
    (folder / "other.txt").write_text("x")
    assert staleness.input_digests(chapter, nb) == {"data.txt": hashlib.sha256(b"1 2 3\n").hexdigest()}
    nb.cells[1].source = ""
    assert staleness.input_digests(chapter, nb) == {}


def test_input_digests_follow_names_a_character_short_of_the_limit(chapter):
    name = "d" * 199
    (chapter.md.parent / name).write_bytes(b"x")
    (chapter.md.parent / "d").write_bytes(b"y")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"open({name!r}); open('d')")]
    assert set(staleness.input_digests(chapter, nb)) == {name, "d"}


def test_stored_provenance_is_a_copy_or_empty():
    nb = nbformat.v4.new_notebook()
    assert staleness.stored_provenance(None) == {}
    assert staleness.stored_provenance(nb) == {}
    nb.metadata[staleness.PROVENANCE_KEY] = {"code_hash": "x"}
    staleness.stored_provenance(nb)["code_hash"] = "changed"
    assert staleness.stored_provenance(nb) == {"code_hash": "x"}


# -- pair differences -------------------------------------------------------------------


def _pair():
    a = nbformat.v4.new_notebook()
    a.cells = [nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("x = 1")]
    a.metadata["nvbook"] = {"requires_gpu": False}
    b = nbformat.from_dict(nbformat.from_dict(a))
    b.cells = [nbformat.from_dict(dict(c)) for c in a.cells]
    return a, b


def test_pair_difference_names_the_first_differing_cell_and_what_differs():
    a, b = _pair()
    b.cells[1].metadata["execution"] = {"t": 1}  # nbclient's timings are not a difference
    b.cells[1].source = "x = 1\n\n"  # nor are blank lines at the end
    assert staleness.pair_difference(a, b) is None
    b.cells[1].source = "x = 2"
    assert staleness.pair_difference(a, b) == "cell 2 (code) differs in its source"
    a, b = _pair()
    b.cells[1].metadata["tags"] = ["hide-input"]
    assert staleness.pair_difference(a, b) == "cell 2 (code) differs in its metadata"
    a, b = _pair()
    b.cells[0] = nbformat.v4.new_code_cell("# T")
    assert staleness.pair_difference(a, b) == "cell 1 (markdown) differs in its cell type"


def test_pair_difference_counts_cells_and_compares_the_front_matter():
    a, b = _pair()
    b.cells.append(nbformat.v4.new_markdown_cell("more"))
    assert staleness.pair_difference(a, b) == "the .md has 2 cells, the .ipynb 3"
    assert staleness.pair_difference(b, a) == "the .md has 3 cells, the .ipynb 2"
    a, b = _pair()
    b.metadata["nvbook"] = {"requires_gpu": True}
    assert staleness.pair_difference(a, b) == "the front matter's nvbook settings differ"
    b.metadata["other"] = 1
    b.metadata["nvbook"] = {"requires_gpu": False}
    assert staleness.pair_difference(a, b) is None


# -- status and messages ----------------------------------------------------------------


def test_a_stored_pair_is_fresh_and_says_so(chapter):
    st = staleness.status(chapter)
    assert st.state is staleness.State.FRESH and st.fresh
    assert st.executed is not None and st.executed.cells == chapter.read_executed().cells
    assert st.message() == "Chapter 01-arithmetic is up to date."
    assert staleness.require_fresh([chapter, chapter]) == [st, st]


def test_stale_message_names_the_file_the_date_and_the_command(chapter):
    edit(chapter.md, "total * 2", "total * 3")
    st = staleness.status(chapter)
    assert st.state is staleness.State.STALE and not st.fresh
    md = chapter.md.as_posix()
    assert st.message() == (
        f"Chapter 01-arithmetic is stale: the code cells of {md} changed after its outputs were produced "
        "on 2026-12-01 (first at code cell 2, line 27). Execute it again on a GPU machine: "
        "nox -s execute -- 01-arithmetic"
    )
    assert st.executed is not None


def test_a_record_without_a_date_leaves_the_date_out(book):
    (chapter,) = chapters.find_chapters(book)
    _executed(chapter)
    edit(chapter.md, "total * 2", "total * 3")
    assert "were produced (first at code cell 2, line 27). Execute" in staleness.status(chapter).message()


def test_stale_code_in_the_notebook_names_the_notebook(chapter):
    nb = chapter.read_executed()
    nb.cells[-1].source = "total * 3"
    chapter.ipynb.write_text(chapters.dumps(nb))
    assert f"the code cells of {chapter.ipynb.as_posix()} changed" in staleness.status(chapter).detail


def test_changed_and_new_input_files_are_named_in_order(book):
    (chapter,) = chapters.find_chapters(book)
    folder = chapter.md.parent
    (folder / "b.txt").write_text("1")
    (folder / "a.txt").write_text("1")
    edit(chapter.md, "total = sum(range(10))", 'open("a.txt"); open("b.txt"); open("c.txt")\ntotal = sum(range(10))')
    _executed(chapter, date="2026-12-01")
    assert staleness.status(chapter).fresh
    (folder / "b.txt").write_text("2")
    (folder / "c.txt").write_text("new")
    st = staleness.status(chapter)
    assert st.state is staleness.State.STALE
    assert st.detail == "files its code reads changed since it ran on 2026-12-01: b.txt, c.txt"
    assert st.chapter == chapter and st.executed is not None


def test_records_made_before_inputs_were_digested_are_not_stale_for_it(chapter):
    nb = chapter.read_executed()
    del nb.metadata[staleness.PROVENANCE_KEY]["inputs"]
    chapter.ipynb.write_text(chapters.dumps(nb))
    (chapter.md.parent / "x.txt").write_text("any")
    assert staleness.status(chapter).fresh


def test_unsynced_message_gives_the_jupytext_command(chapter):
    edit(chapter.md, "Some prose between the cells.", "Other prose.")
    st = staleness.status(chapter)
    md, ipynb = chapter.md.as_posix(), chapter.ipynb.as_posix()
    assert st.state is staleness.State.UNSYNCED and st.executed is not None
    assert st.message() == (
        f"Chapter 01-arithmetic: {md} and {ipynb} are not in sync (cell 3 (markdown) differs in its source). "
        f"Run `jupytext --sync {md}` (the pre-commit hook does it)."
    )
    with pytest.raises(staleness.StaleChapterError) as raised:
        staleness.require_fresh([chapter])
    assert str(raised.value) == st.message()


def test_unexecuted_and_unrecorded_messages(chapter):
    nb = chapter.read_executed()
    nb.metadata[staleness.PROVENANCE_KEY] = {"code_hash": ""}
    chapter.ipynb.write_text(chapters.dumps(nb))
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNRECORDED and st.executed is not None
    assert st.message() == (
        f"Chapter 01-arithmetic: {chapter.ipynb.as_posix()} holds no provenance record, so it was not written by "
        "`nvbook execute` (or its metadata was stripped). Restore the committed one with "
        f"`git checkout -- {chapter.ipynb.as_posix()}`, or execute it again on a GPU machine: "
        "nox -s execute -- 01-arithmetic"
    )
    chapter.ipynb.unlink()
    st = staleness.status(chapter)
    assert st.state is staleness.State.UNEXECUTED
    assert st.message() == (
        "Chapter 01-arithmetic has no executed notebook (01-arithmetic.ipynb). "
        "Execute it again on a GPU machine: nox -s execute -- 01-arithmetic"
    )


def test_every_problem_is_named_at_once(book, chapter):
    other = Chapter(chapter.md.with_name("02-b.md"))
    shutil.copy(chapter.md, other.md)
    chapter.ipynb.write_text("{")
    with pytest.raises(staleness.StaleChapterError) as raised:
        staleness.require_fresh([chapter, other])
    first, second = str(raised.value).split("\n")
    assert first.startswith(f"Chapter 01-arithmetic: {chapter.ipynb.as_posix()} is not a readable notebook")
    assert second.startswith("Chapter 02-b has no executed notebook")
    assert staleness.status(chapter).state is staleness.State.DAMAGED


def test_state_values_are_what_nvbook_check_prints():
    assert [s.value for s in staleness.State] == [
        "fresh", "stale", "not synced", "never executed", "no provenance", "damaged"
    ]  # fmt: skip


# -- writing ----------------------------------------------------------------------------


def test_a_failed_write_says_what_to_do_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.ipynb"
    target.write_text("old")

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staleness.os, "fsync", no_space)
    with pytest.raises(staleness.WriteFailed) as raised:
        staleness.write_atomically(target, "new")
    assert str(raised.value) == (
        f"could not write {target}: No space left on device; it was left as it was. "
        "Free some space (or fix the permissions) and run again."
    )
    assert isinstance(raised.value.__cause__, OSError)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.ipynb"]


def test_an_interrupted_write_removes_its_temporary_file_and_goes_on_interrupting(tmp_path, monkeypatch):
    target = tmp_path / "a.ipynb"

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(staleness.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        staleness.write_atomically(target, "new")
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_without_a_reason_shows_the_error(tmp_path, monkeypatch):
    def bare(fd):
        raise OSError("disk gone")

    monkeypatch.setattr(staleness.os, "fsync", bare)
    with pytest.raises(staleness.WriteFailed, match=r"could not write .*: disk gone; it was left"):
        staleness.write_atomically(tmp_path / "a", "new")


def test_writing_into_a_missing_folder_fails_as_a_write(tmp_path):
    with pytest.raises(staleness.WriteFailed, match="could not write"):
        staleness.write_atomically(tmp_path / "missing" / "a.ipynb", "new")


def test_written_text_is_utf8(tmp_path):
    staleness.write_atomically(tmp_path / "a", "× µs")
    assert (tmp_path / "a").read_bytes() == "× µs".encode()


# -- chapters ---------------------------------------------------------------------------


def test_chapter_names_and_files(tmp_path):
    c = Chapter(tmp_path / "chapters" / "01-kernel-fusion.md")
    assert c.name == "01-kernel-fusion"
    assert c.ipynb == tmp_path / "chapters" / "01-kernel-fusion.ipynb"
    assert c.docname == "chapters/01-kernel-fusion"


def _book_of(tmp_path, *names):
    (tmp_path / "chapters").mkdir()
    for name in names:
        (tmp_path / "chapters" / f"{name}.md").write_text("# x\n")
    return tmp_path


def test_chapters_are_found_in_book_order_and_only_numbered_ones(tmp_path):
    book = _book_of(tmp_path, "02-b", "01-a", "index", "1-short", "ab-x")
    (tmp_path / "chapters" / "03-c.ipynb").write_text("{}")
    assert [c.name for c in chapters.find_chapters(book)] == ["01-a", "02-b"]
    assert chapters.find_chapters(str(book)) == chapters.find_chapters(book)


@pytest.mark.parametrize("name", ["01", "01-a-b", "a-b", "chapters/01-a-b.md", "01-a-b.ipynb"])
def test_a_chapter_is_selected_by_number_slug_name_or_path(tmp_path, name):
    book = _book_of(tmp_path, "01-a-b", "02-c")
    assert [c.name for c in chapters.select(book, [name])] == ["01-a-b"]


def test_selection_keeps_the_given_order_once_each_and_all_by_default(tmp_path):
    book = _book_of(tmp_path, "01-a", "02-b")
    assert [c.name for c in chapters.select(book, ["02", "01-a", "b"])] == ["02-b", "01-a"]
    assert [c.name for c in chapters.select(book, [])] == ["01-a", "02-b"]
    assert [c.name for c in chapters.select(book, None)] == ["01-a", "02-b"]


def test_unknown_or_ambiguous_names_are_refused_with_the_list(tmp_path):
    book = _book_of(tmp_path, "01-a", "02-a")
    with pytest.raises(ChapterNotFound) as raised:
        chapters.select(book, ["a"])
    assert str(raised.value) == "no chapter matches 'a'; the chapters are: 01-a, 02-a"
    with pytest.raises(ChapterNotFound, match="no chapter matches '9'"):
        chapters.select(book, ["9"])
    with pytest.raises(ChapterNotFound) as raised:
        chapters.select(tmp_path / "nowhere", None)
    assert str(raised.value) == (
        f"no chapters under {tmp_path / 'nowhere'} (looked for {(tmp_path / 'nowhere').as_posix()}/chapters/[0-9][0-9]-*.md)"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("```{code-cell}\nx\n```\n", None),
        ("```{code-cell}\nx\n", (1, "```")),
        ("````\nx\n```\n", (1, "````")),
        (":::{note}\nx\n:::\n", None),
        ("b\n:::{note}\nx\n", (2, ":::")),
        ("```python\n:::{note}\n```\n", None),  # colons inside code are code
        (":::{note}\n```{code-cell}\nx\n```\n", (1, ":::")),
        (":::\n", None),  # a bare colon fence opens nothing
        ("    ```\n", None),  # indented four: code, not a fence
        ("   ```\n", (1, "```")),
        ("```{a}\n```{b}\n", (1, "```")),
        ("```\nx\n``` not a close\n", (1, "```")),
        ("```\nx\n```   \n", None),
        ("::::{a}\n:::{b}\n:::\n::::\n", None),
    ],
)
def test_unclosed_fences_are_found_with_their_line(text, found):
    assert chapters.unclosed_fence(text) == found


def test_a_code_block_closes_only_with_a_fence_as_long_as_its_opener():
    assert chapters.unclosed_fence("````\n```\nx\n````\n") is None  # the inner line is code
    assert chapters.unclosed_fence("````md\n```python\nx\n```\n````\n") is None
    assert chapters.unclosed_fence("```\n```python\n```\n") is None  # a fence with text closes nothing
    assert chapters.unclosed_fence("a\n````\n```\n") == (2, "````")
    assert chapters.unclosed_fence("````{note}\n```python\nx\n```\n````\n") is None  # directives nest
    assert chapters.unclosed_fence("````{note}\n```python\nx\n````\n") == (1, "````")  # a longer fence closes


def test_an_unclosed_fence_is_named_with_the_line_and_the_fix(chapter):
    edit(chapter.md, "total * 2\n```", "total * 2\n")
    with pytest.raises(DamagedNotebook) as raised:
        chapter.read_source()
    assert str(raised.value) == (
        f"{chapter.md.as_posix()}, line 27: the fence '```' opened there is never closed; "
        "close it with a line holding only ```"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "(an empty file)"),
        ("[]", "(a JSON list without a list of cells)"),
        ('{"cells": [', "(not JSON: Expecting value: line 1 column 12 (char 11))"),
        ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {}}', "(a JSON dict without a list of cells)"),
    ],
)
def test_a_damaged_notebook_is_named_with_the_reason_and_the_fix(chapter, content, reason):
    chapter.ipynb.write_text(content)
    with pytest.raises(DamagedNotebook) as raised:
        chapter.read_executed()
    ipynb = chapter.ipynb.as_posix()
    assert str(raised.value).startswith(f"{ipynb} is not a readable notebook (")
    assert reason in str(raised.value)
    assert str(raised.value).endswith(
        f"). Restore it with `git checkout -- {ipynb}`, or execute the chapter again on a GPU "
        "machine: nox -s execute -- 01-arithmetic"
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_long_reason_is_cut_to_its_first_line(chapter):
    chapter.ipynb.write_text("{" + '"x": 1,' * 100)
    with pytest.raises(DamagedNotebook) as raised:
        chapter.read_executed()
    reason = str(raised.value).split(" is not a readable notebook (")[1].split("). Restore")[0]
    assert 0 < len(reason) <= 120 and "\n" not in reason


def test_gpu_is_required_unless_the_front_matter_says_otherwise(chapter):
    assert chapter.requires_gpu() is False
    nb = chapter.read_source()
    nb.metadata["nvbook"] = {}
    assert chapter.requires_gpu(nb) is True
    del nb.metadata["nvbook"]
    assert chapter.requires_gpu(nb) is True
    nb.metadata["nvbook"] = {"requires_gpu": 0}
    assert chapter.requires_gpu(nb) is False


def test_dumps_writes_a_stable_nbformat_4_5_notebook(chapter):
    nb = chapter.read_source()
    nb.metadata.setdefault("jupytext", {})["text_representation"] = {"extension": ".md"}
    text = chapters.dumps(nb)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    back = nbformat.reads(text, as_version=4)
    assert [c["id"] for c in back.cells] == [f"cell-{i:03d}" for i in range(len(back.cells))]
    assert (back.nbformat, back.nbformat_minor) == (4, 5)
    assert "text_representation" not in back.metadata["jupytext"]
    assert chapters.dumps(chapter.read_source()) == chapters.dumps(nbformat.reads(text, as_version=4))
    nb = chapter.read_source()
    del nb.metadata["jupytext"]
    assert "jupytext" not in nbformat.reads(chapters.dumps(nb), as_version=4).metadata


# -- provenance -------------------------------------------------------------------------

_GPU = {
    "name": "NVIDIA H100 80GB HBM3", "memory_gib": 79.6, "driver": "580.1", "compute_capability": "9.0",
    "sm_max_mhz": 1980, "mem_max_mhz": 2619, "power_limit_w": 700,
    "sm_mhz": 1755, "mem_mhz": 2619, "temperature_c": 40, "throttle": [], "serial": "secret",
}  # fmt: skip


def test_a_record_is_made_from_the_probes_at_start_and_end():
    start = {"timestamp_utc": "2026-12-06T10:00:00Z", "gpus": [_GPU], "python": "old"}
    end = {
        "timestamp_utc": "2026-12-06T11:00:00Z",
        "gpus": [{**_GPU, "sm_mhz": 1500, "temperature_c": 70}, {"name": "NVIDIA B"}],
        "cuda_driver_api": "13.0", "cuda_runtime": "13.2", "cpu": {"model": "x"}, "python": "3.12.3",
        "platform": "Linux", "environment": ["numpy==2.4.6", "Cupy_Cuda13x==14.2.0", "nvidia-cudss-cu12==0.8"],
    }  # fmt: skip
    record = provenance.from_probes(start, end)
    assert record == {
        "date": "2026-12-06",
        "timestamp_utc": "2026-12-06T10:00:00Z",
        "gpu": {
            "name": "NVIDIA H100 80GB HBM3", "memory_gib": 79.6, "driver": "580.1", "compute_capability": "9.0",
            "sm_max_mhz": 1980, "mem_max_mhz": 2619, "power_limit_w": 700,
        },
        "gpu_count": 2,
        "gpus": ["NVIDIA H100 80GB HBM3", "NVIDIA B"],
        "gpu_state": {
            "start": {"sm_mhz": 1755, "mem_mhz": 2619, "temperature_c": 40, "throttle": []},
            "end": {"sm_mhz": 1500, "mem_mhz": 2619, "temperature_c": 70, "throttle": []},
        },
        "cuda_driver_api": "13.0",
        "cuda_runtime": "13.2",
        "cpu": {"model": "x"},
        "python": "3.12.3",
        "platform": "Linux",
        "packages": {
            "nvmath-python": None, "CuPy": "14.2.0", "numba-cuda": None, "NumPy": "2.4.6", "SciPy": None,
            "matplotlib": None, "PyTorch": None, "cuDSS": "0.8", "libmathdx": None, "cupti-python": None,
            "pypardiso": None,
        },
        "environment": end["environment"],
    }  # fmt: skip


def test_a_record_without_a_gpu_or_end_probe_facts():
    record = provenance.from_probes({}, {})
    assert record["gpu"] is None and record["gpu_count"] == 0 and record["gpus"] == []
    assert record["date"] == "" and record["timestamp_utc"] == ""
    assert record["gpu_state"] == {
        "start": {"sm_mhz": None, "mem_mhz": None, "temperature_c": None, "throttle": None},
        "end": {"sm_mhz": None, "mem_mhz": None, "temperature_c": None, "throttle": None},
    }
    assert record["environment"] == [] and set(record["packages"].values()) == {None}
    only_start = provenance.from_probes({"gpus": [_GPU]}, {"gpus": []})
    assert only_start["gpu"]["name"] == _GPU["name"] and only_start["gpu_count"] == 1
    assert only_start["gpu_state"]["end"]["sm_mhz"] is None


def test_the_first_installed_distribution_of_a_package_wins():
    env = ["cupy==1", "cupy-cuda12x==2", "cupy-cuda13x==3"]
    assert provenance.from_probes({}, {"environment": env})["packages"]["CuPy"] == "3"
    assert provenance.from_probes({}, {"environment": env[:2]})["packages"]["CuPy"] == "2"


def test_summary_lists_everything_recorded_in_book_order():
    prov = {
        "gpu": {"name": "NVIDIA H100", "memory_gib": 79.6, "driver": "580.1", "compute_capability": "9.0"},
        "cuda_runtime": "13.2",
        "cuda_driver_api": "13.0",
        "python": "3.12.3",
        "packages": {"zeta": "1", "NumPy": "2.4.6", "alpha": "2", "nvmath-python": "1.0.0", "SciPy": None},
        "date": "2026-12-06",
        "wall_s": 59.6,
        "code_hash": "0123456789abcdef",
    }
    assert provenance.summary(prov) == [
        ("GPU", "NVIDIA H100 (79.6 GiB, compute capability 9.0)"),
        ("Driver", "580.1"),
        ("CUDA", "runtime 13.2, driver API 13.0"),
        ("Python", "3.12.3"),
        ("nvmath-python", "1.0.0"),
        ("NumPy", "2.4.6"),
        ("alpha", "2"),
        ("zeta", "1"),
        ("Executed", "2026-12-06"),
        ("Run time", "1 min 00 s"),
        ("Code hash", "0123456789ab"),
    ]


def test_summary_of_a_cpu_record_says_so_and_leaves_out_what_is_missing():
    assert provenance.summary({}) == [("GPU", "none (CPU only)"), ("Python", "?")]
    assert provenance.summary({"cuda_runtime": "13", "wall_s": 0}) == [
        ("GPU", "none (CPU only)"),
        ("CUDA", "runtime 13, driver API ?"),
        ("Python", "?"),
        ("Run time", "0 s"),
    ]


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0 s"), (59.4, "59 s"), (60, "1 min 00 s"), (125, "2 min 05 s")])
def test_run_times_read_in_minutes_and_seconds(seconds, text):
    assert provenance.summary({"wall_s": seconds})[-1] == ("Run time", text)


def test_the_probe_source_is_the_probe_script():
    assert provenance.probe_source() == provenance.PROBE.read_text(encoding="utf-8")
    assert provenance.PROBE.name == "probe.py" and provenance.PROBE.is_file()

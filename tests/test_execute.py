"""Executing chapters: outputs are written only after a whole chapter succeeded."""

from __future__ import annotations

import json

from conftest import edit
from nvbook import execute, staleness


def _run(book, *args, gpu_check=execute.find_gpu):
    return execute.main(["--docs", str(book), *args], gpu_check=gpu_check)


def test_execution_stores_outputs_provenance_and_cell_times(chapter):
    nb = json.loads(chapter.ipynb.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["outputs"][0]["text"] == ["total 45\n"]
    prov = nb["metadata"][staleness.PROVENANCE_KEY]
    for key in ("date", "python", "packages", "environment", "code_hash", "inputs", "wall_s", "gpu", "cpu"):
        assert key in prov
    assert len(prov["cell_wall_s"]) == len(code)
    assert all(t >= 0 for t in prov["cell_wall_s"])
    assert all(c["metadata"] == {} for c in code)  # nothing in the cells that jupytext would carry to the .md


def test_failing_cell_leaves_stored_outputs_untouched_and_exits_nonzero(book, chapter, capsys):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "assert total == 45, total", "assert total == 46, total")
    assert _run(book) != 0
    assert chapter.ipynb.read_bytes() == stored
    err = capsys.readouterr().err
    assert "[01-arithmetic] FAILED in code cell 2 of 2" in err
    assert "01-arithmetic.md, line" in err
    assert "AssertionError" in err
    assert "left as they were" in err
    assert not list(chapter.md.parent.glob(".*.tmp"))


def test_timed_out_cell_stops_the_run_and_writes_nothing(book, chapter, capsys):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "assert total == 45, total", "import time\ntime.sleep(30)")
    assert _run(book, "--timeout", "2") != 0
    assert chapter.ipynb.read_bytes() == stored
    assert "timed out after 2 s" in capsys.readouterr().err


def test_missing_package_names_the_fix_before_any_gpu_work(book, chapter, capsys):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "total = sum(range(10))", "import a_package_nobody_installed\ntotal = 45")
    assert _run(book, gpu_check=lambda: None) != 0
    err = capsys.readouterr().err
    assert "lacks: a_package_nobody_installed" in err
    assert "Install the packages the README lists" in err
    assert "executing" not in err  # no kernel was started
    assert chapter.ipynb.read_bytes() == stored


def test_optional_imports_are_not_required(book, chapter):
    edit(
        chapter.md,
        "total = sum(range(10))",
        "try:\n    import a_package_nobody_installed\nexcept ImportError:\n    pass\ntotal = sum(range(10))",
    )
    assert _run(book) == 0


def test_gpu_chapter_without_gpu_stops_at_once(book, chapter, capsys):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "  requires_gpu: false", "  requires_gpu: true")
    assert _run(book, gpu_check=lambda: None) != 0
    err = capsys.readouterr().err
    assert "needs an NVIDIA GPU and this machine has none" in err
    assert "nox -s docs" in err
    assert "executing" not in err  # no kernel was started
    assert chapter.ipynb.read_bytes() == stored


def test_unknown_chapter_is_refused_with_the_list(book, capsys):
    assert _run(book, "99-nonexistent") == 2
    assert "01-arithmetic" in capsys.readouterr().err


def test_error_outputs_are_never_stored(book, chapter, capsys):
    """Even a cell tagged to allow exceptions fails the run: the book stores no tracebacks."""
    stored = chapter.ipynb.read_bytes()
    edit(
        chapter.md,
        "```{code-cell} ipython3\nassert total",
        "```{code-cell} ipython3\n:tags: [raises-exception]\n\nraise ValueError('shown')\n```\n\n```{code-cell} ipython3\nassert total",
    )
    assert _run(book) != 0
    assert "stored an error output" in capsys.readouterr().err
    assert chapter.ipynb.read_bytes() == stored


def test_dead_kernel_is_a_failure_and_writes_nothing(book, chapter, capsys):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "assert total == 45, total", "import os\nos._exit(1)")
    assert _run(book) != 0
    assert chapter.ipynb.read_bytes() == stored
    err = capsys.readouterr().err
    assert "the kernel died" in err
    assert "FAILED in code cell 2 of 2" in err
    assert not list(chapter.md.parent.glob(".*.tmp"))


def test_write_replaces_the_file_in_one_step(tmp_path, monkeypatch):
    """A reader never sees a half-written notebook: the text goes to a temporary file first."""
    target = tmp_path / "a.ipynb"
    target.write_text("old")
    seen = []
    real_fsync = staleness.os.fsync

    def spy(fd):
        seen.append(target.read_text())  # while the new text is being written
        real_fsync(fd)

    monkeypatch.setattr(staleness.os, "fsync", spy)
    staleness.write_atomically(target, "new")
    assert seen == ["old"]
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.ipynb"]


def test_interrupt_ends_the_whole_run_and_writes_nothing(book, chapter, capsys, monkeypatch):
    stored = chapter.ipynb.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(execute, "run_chapter", interrupted)
    assert _run(book, "--keep-going") == 130
    err = capsys.readouterr().err
    assert "interrupted during 01-arithmetic; nothing written" in err
    assert "Traceback" not in err
    assert chapter.ipynb.read_bytes() == stored


def test_full_disk_keeps_the_old_notebook_and_leaves_no_temporary_file(book, chapter, capsys, monkeypatch):
    stored = chapter.ipynb.read_bytes()
    edit(chapter.md, "total * 2", "total * 3")  # new outputs that cannot be written

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staleness.os, "fsync", no_space)
    assert _run(book) != 0
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert "01-arithmetic.ipynb" in err
    assert "Traceback" not in err
    assert chapter.ipynb.read_bytes() == stored  # a non-atomic write would have truncated it
    assert not list(chapter.md.parent.glob(".*.tmp"))


def test_memory_limit_caps_cupys_pool_in_the_kernel_and_is_recorded(book, chapter, monkeypatch):
    monkeypatch.setenv(execute.MEMORY_LIMIT_VARIABLE, "")  # restored after the test
    edit(
        chapter.md,
        'print("total", total)',
        'print("total", total)\nimport os\nprint(os.environ["CUPY_GPU_MEMORY_LIMIT"])',
    )
    assert _run(book, "--memory-limit", "1.5") == 0
    nb = chapter.read_executed()
    prov = staleness.stored_provenance(nb)
    assert prov["memory_limit_gib"] == 1.5
    assert str(int(1.5 * 2**30)) in nb.cells[1].outputs[0]["text"]  # the kernel saw the limit
    assert "gpu_memory_peak_gib" in prov  # None here: no GPU to watch


def test_memory_watch_without_a_gpu_reports_no_peak(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pynvml", None)  # as if nvidia-ml-py were missing
    with execute._MemoryWatch() as watch:
        pass
    assert watch.peak_gib is None


def test_memory_watch_keeps_the_largest_use_it_sampled(monkeypatch):
    import sys
    import time
    from types import SimpleNamespace

    used = iter([2 * 2**30, 7 * 2**30, 3 * 2**30])
    last = [0]

    def info(_handle):
        last[0] = next(used, last[0])
        return SimpleNamespace(used=last[0])

    fake = SimpleNamespace(nvmlInit=lambda: None, nvmlDeviceGetHandleByIndex=lambda i: i, nvmlDeviceGetMemoryInfo=info)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    with execute._MemoryWatch(every_s=0.001) as watch:
        time.sleep(0.05)
    assert watch.peak_gib == 7.0

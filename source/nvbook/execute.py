"""Execute chapters top to bottom in a fresh Jupyter kernel and store the results.

For each chapter: read the ``.md``, run every code cell in a new kernel whose
working directory is the chapter's folder, show progress, and on success write
``NN-slug.ipynb`` in one atomic step with its provenance in the notebook
metadata. On any failure (an exception, a timeout, a dead kernel, an error
output) nothing is written and the run exits non-zero, naming the chapter, the
cell and the traceback.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import ctypes
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat

from . import provenance, runs, staleness
from .chapters import Chapter, ChapterNotFound, dumps, select

#: Per-cell limit unless a chapter's front matter sets ``nvbook: {timeout: N}``.
DEFAULT_CELL_TIMEOUT_S = 600
#: How often a long-running cell reports that it is still running.
HEARTBEAT_S = 30

#: CuPy's memory-pool limit in bytes, read by CuPy when the chapter's kernel imports it.
MEMORY_LIMIT_VARIABLE = "CUPY_GPU_MEMORY_LIMIT"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


#: Says which GPU this machine has, or None.
GpuCheck = Callable[[], "str | None"]


class ExecutionFailed(RuntimeError):
    """A chapter could not be executed; the message says where and how to fix it."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_gpu() -> str | None:
    """How many CUDA devices the driver sees, or None when there is none (or no driver)."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None
    count = ctypes.c_int(0)
    if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value < 1:
        return None
    return f"{count.value} CUDA device(s)"


class _Progress:
    """Prints 'chapter: cell i/n' as cells start and finish, plus a heartbeat for long cells."""

    def __init__(self, chapter: Chapter, nb: nbformat.NotebookNode):
        self.chapter = chapter
        self.code_index: dict[int, int] = {}  # notebook cell index -> 1-based code cell number
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                self.code_index[i] = len(self.code_index) + 1
        self.n = len(self.code_index)
        self.t0 = time.perf_counter()
        self.current: int | None = None  # the code cell running now (for the heartbeat)
        self.last: int | None = None  # the last code cell started (where a failure happened)
        self.cell_t0 = self.t0
        self.cell_times: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, daemon=True)

    def __enter__(self) -> _Progress:  # noqa: PYI034 (typing.Self needs Python 3.11)
        _say(f"[{self.chapter.name}] executing {self.n} code cells in a fresh kernel")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            if self.current is not None and time.perf_counter() - self.cell_t0 >= HEARTBEAT_S / 2:
                _say(
                    f"[{self.chapter.name}] cell {self.code_index[self.current]}/{self.n} still running "
                    f"({time.perf_counter() - self.cell_t0:.0f} s in cell, {self.elapsed:.0f} s total)"
                )

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def on_cell_start(self, cell_index: int, **_: object) -> None:
        if cell_index in self.code_index:
            self.current = self.last = cell_index
            self.cell_t0 = time.perf_counter()

    def on_cell_executed(self, cell_index: int, **_: object) -> None:
        if cell_index in self.code_index:
            took = time.perf_counter() - self.cell_t0
            self.cell_times[cell_index] = took
            _say(
                f"[{self.chapter.name}] cell {self.code_index[cell_index]}/{self.n} done in {took:.1f} s "
                f"({self.elapsed:.0f} s elapsed)"
            )
            self.current = None


class _MemoryWatch:
    """The most GPU memory in use (device 0, all processes) while a chapter runs, from NVML.

    Sampled every ``every_s`` seconds in a thread; ``peak_gib`` is None without NVML or a GPU.
    """

    def __init__(self, every_s: float = 0.02):
        self.every_s = every_s
        self.peak: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _MemoryWatch:  # noqa: PYI034
        try:
            import pynvml

            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception:  # noqa: BLE001 (no nvidia-ml-py, no driver or no GPU: nothing to watch)
            return self

        def sample() -> None:
            while True:
                used = int(pynvml.nvmlDeviceGetMemoryInfo(handle).used)
                self.peak = max(self.peak or 0, used)
                if self._stop.wait(self.every_s):
                    return

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_gib(self) -> float | None:
        return None if self.peak is None else round(self.peak / 2**30, 2)


def _failure(chapter: Chapter, progress: _Progress, what: str, detail: str) -> ExecutionFailed:
    where = ""
    if progress.last is not None:
        number = progress.code_index[progress.last]
        lines = chapter.code_cell_lines()
        line = f", line {lines[number - 1]}" if number <= len(lines) else ""
        where = f" in code cell {number} of {progress.n} ({chapter.md.as_posix()}{line})"
    hint = ""
    if "ModuleNotFoundError" in detail or "No module named" in detail:
        hint = (
            "\nA package is missing from the kernel's environment: install the packages the README "
            "lists, or let `nox -s execute` create an environment that has them."
        )
    detail = _ANSI.sub("", detail).strip()
    return ExecutionFailed(
        f"[{chapter.name}] FAILED{where}: {what}\n{detail}{hint}\n"
        f"The stored outputs ({chapter.ipynb.as_posix()}) were left as they were."
    )


@contextlib.contextmanager
def _removed(folder: str) -> Iterator[None]:
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _probe(client: Any) -> dict[str, Any]:
    """Run the provenance probe in the chapter's kernel; its record, read from stdout."""
    cell = nbformat.v4.new_code_cell(provenance.probe_source())
    nb = client.nb
    nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
    finally:
        nb.cells.pop()
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    record: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return record


def run_chapter(
    chapter: Chapter, *, timeout: int | None = None, kernel_name: str | None = None
) -> nbformat.NotebookNode:
    """Execute one chapter and return the executed notebook with its provenance."""
    try:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        from traitlets.config import Config
    except ImportError as exc:
        raise ExecutionFailed(
            f"nvbook execute needs nbclient and ipykernel ({exc}); "
            "install them with `pip install nbclient ipykernel`, or use `nox -s execute`."
        ) from exc

    nb = chapter.read_source()
    sockets = tempfile.mkdtemp(prefix="nvbook-kernel-")  # the kernel's IPC sockets, removed after the run
    settings = nb.metadata.get("nvbook", {})
    timeout = timeout or int(settings.get("timeout", DEFAULT_CELL_TIMEOUT_S))
    kernel_name = kernel_name or nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(
        nb,
        # Local IPC sockets: no TCP ports, and no "running over TCP without encryption" warning.
        config=Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}}),
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": str(chapter.md.parent.resolve())}},
    )
    progress = _Progress(chapter, nb)
    client.on_cell_start = progress.on_cell_start
    client.on_cell_executed = progress.on_cell_executed
    watch = _MemoryWatch()
    with progress, watch, _removed(sockets):
        try:
            with client.setup_kernel():
                start = _probe(client)
                info: Any = client.wait_for_reply(client.kc.kernel_info())  # type: ignore[union-attr]
                nb.metadata["language_info"] = info["content"]["language_info"]
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                end = _probe(client)
        except CellTimeoutError:
            # nbclient's message carries a kernel-side traceback of the interrupt: noise here.
            detail = f"The cell ran longer than {timeout} s; raise the limit with --timeout or nvbook: {{timeout: N}}."
            raise _failure(chapter, progress, f"timed out after {timeout} s", detail) from None
        except CellExecutionError as exc:
            raise _failure(chapter, progress, "the cell raised an exception", str(exc)) from None
        except DeadKernelError as exc:
            raise _failure(chapter, progress, "the kernel died", str(exc)) from None
        except Exception as exc:  # noqa: BLE001 (e.g. no such kernel: report it like the rest)
            raise _failure(chapter, progress, type(exc).__name__, str(exc)) from None
    wall = progress.elapsed

    walls = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            progress.last = i
            tb = "\n".join(errors[0].get("traceback", []))
            raise _failure(chapter, progress, "the cell stored an error output", tb)
        walls.append(round(progress.cell_times.get(i, 0.0), 3))
        cell.metadata.pop("execution", None)  # nbclient's timestamps: noise in diffs

    prov = provenance.from_probes(start, end)
    prov.update(
        code_hash=staleness.code_hash(nb),
        inputs=staleness.input_digests(chapter, nb),
        wall_s=round(wall, 1),
        cell_wall_s=walls,
        code_cells=progress.n,
        kernel=kernel_name,
        cell_timeout_s=timeout,
        gpu_memory_peak_gib=watch.peak_gib,
    )
    limit = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if limit:
        prov["memory_limit_gib"] = round(int(limit) / 2**30, 2)
    nb.metadata[staleness.PROVENANCE_KEY] = prov
    return nb


#: Top-level module -> the distribution that provides it, per CUDA flavour where they differ:
#: every module the chapters and the executor import (tests/test_locks.py keeps it complete).
PROVIDERS: dict[str, str | dict[int, str]] = {
    "IPython": "ipython",
    "cuda": "cuda-bindings",
    "cupti": "cupti-python",
    "cupy": {12: "cupy-cuda12x", 13: "cupy-cuda13x"},
    "cupyx": {12: "cupy-cuda12x", 13: "cupy-cuda13x"},
    "matplotlib": "matplotlib",
    "matplotlib_inline": "matplotlib-inline",
    "myst_nb": "myst-nb",
    "numba": "numba-cuda",
    "numpy": "numpy",
    "nvmath": "nvmath-python",
    "pynvml": "nvidia-ml-py",
    "pypardiso": "pypardiso",
    "scipy": "scipy",
    "threadpoolctl": "threadpoolctl",
    # the executor (this module) and the kernel it starts
    "nbclient": "nbclient",
    "nbformat": "nbformat",
    "jupytext": "jupytext",
    "ipykernel": "ipykernel",
    "traitlets": "traitlets",
}


def package_of(module: str) -> str:
    """The package a reader installs for ``module``, without the CUDA flavour (``cupy``)."""
    dist = PROVIDERS.get(module, module)
    return dist if isinstance(dist, str) else "cupy"


def _guarded(node: ast.Try) -> bool:
    """A try block whose handlers catch ImportError: its imports are optional."""
    names = {"ImportError", "ModuleNotFoundError", "Exception"}
    for handler in node.handlers:
        caught = handler.type
        kinds = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if caught is None or any(isinstance(k, ast.Name) and k.id in names for k in kinds):
            return True
    return False


def imported_modules(nb: nbformat.NotebookNode) -> set[str]:
    """Top-level modules a notebook's code cells import, leaving out optional imports."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Try) and _guarded(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                visit(ast.parse(cell.source))
            except SyntaxError:
                continue  # the kernel reports it, with the cell and line
    return found


def _require_packages(chapter: Chapter) -> None:
    """Stop before any GPU work when a module the chapter imports is not installed."""
    missing = sorted(m for m in imported_modules(chapter.read_source()) if importlib.util.find_spec(m) is None)
    if missing:
        raise ExecutionFailed(
            f"[{chapter.name}] imports modules this environment lacks: {', '.join(missing)}. "
            "Install the packages the README lists (requirements/gpu-cu13.txt or gpu-cu12.txt), or let "
            "`nox -s execute` build an environment from the lock. Nothing was executed or written."
        )


def _require_gpu(chapter: Chapter, gpu_check: GpuCheck) -> None:
    _require_packages(chapter)
    if chapter.requires_gpu():
        gpu = gpu_check()
        if gpu is None:
            raise ExecutionFailed(
                f"[{chapter.name}] needs an NVIDIA GPU and this machine has none "
                "(nvidia-smi found no GPU and libcuda could not be loaded). "
                "Run `nox -s execute` on a GPU machine; to build the site from the stored outputs "
                "instead, run `nox -s docs`. Nothing was executed or written."
            )
        _say(f"[{chapter.name}] GPU: {gpu}")


def execute(
    chapter: Chapter, *, timeout: int | None = None, gpu_check: GpuCheck = find_gpu, run: str | None = None
) -> Path:
    """Execute a chapter and, only if everything succeeded, replace its stored notebook.

    The chapter's result rows and provenance are also recorded as run ``run`` under
    ``docs/runs/`` (default name: date and GPU).
    """
    _require_gpu(chapter, gpu_check)
    nb = run_chapter(chapter, timeout=timeout)
    staleness.write_atomically(chapter.ipynb, dumps(nb))
    wall = staleness.stored_provenance(nb)["wall_s"]
    _say(f"[{chapter.name}] OK in {wall:.0f} s: wrote {chapter.ipynb.as_posix()}")
    docs = chapter.md.parent.parent
    stored = runs.record(docs, run or runs.default_name(staleness.stored_provenance(nb)), chapter.name, nb)
    _say(f"[{chapter.name}] recorded its rows in {stored.as_posix()}")
    return chapter.ipynb


def reproduce(
    chapter: Chapter, *, timeout: int | None = None, gpu_check: GpuCheck = find_gpu, record: str | None = None
) -> None:
    """Run a chapter without touching its stored outputs; print its comparisons next to the book's."""
    _require_gpu(chapter, gpu_check)
    book = chapter.read_executed()
    nb = run_chapter(chapter, timeout=timeout)
    mine = runs.rows_of(nb)
    if book is not None:
        lines = runs.reproduce_table(
            runs.rows_of(book), staleness.stored_provenance(book), mine, staleness.stored_provenance(nb)
        )
        print(f"[{chapter.name}]\n" + "\n".join(lines) + "\n", flush=True)
    if record:
        stored = runs.record(chapter.md.parent.parent, record, chapter.name, nb)
        _say(f"[{chapter.name}] recorded this run in {stored.as_posix()}")


def main(argv: list[str] | None = None, *, gpu_check: GpuCheck = find_gpu) -> int:
    parser = argparse.ArgumentParser(
        prog="nvbook execute", description="Execute chapters on this machine's GPU and store their outputs."
    )
    parser.add_argument("chapters", nargs="*", help="chapter names (01, 01-kernel-fusion, kernel-fusion); default all")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the book's source folder")
    parser.add_argument("--timeout", type=int, help=f"per-cell limit in s (default {DEFAULT_CELL_TIMEOUT_S})")
    parser.add_argument("--keep-going", action="store_true", help="after a failing chapter, run the others")
    parser.add_argument("--run", help="name of the run recorded under docs/runs/ (default: date and GPU)")
    parser.add_argument(
        "--reproduce",
        action="store_true",
        help="leave the stored outputs alone; print each comparison next to the book's",
    )
    parser.add_argument("--record", help="with --reproduce: record this run under docs/runs/RECORD")
    parser.add_argument(
        "--memory-limit",
        type=float,
        metavar="GIB",
        help="cap CuPy's memory pool (which nvmath-python allocates from) at GIB GiB, as on a smaller card",
    )
    args = parser.parse_args(argv)
    if args.memory_limit:
        os.environ[MEMORY_LIMIT_VARIABLE] = str(int(args.memory_limit * 2**30))
    try:
        chapters = select(args.docs, args.chapters)
    except ChapterNotFound as exc:
        _say(f"nvbook execute: {exc}")
        return 2
    failed, done = [], []
    for chapter in chapters:
        try:
            if args.reproduce:
                reproduce(chapter, timeout=args.timeout, gpu_check=gpu_check, record=args.record)
            else:
                execute(chapter, timeout=args.timeout, gpu_check=gpu_check, run=args.run)
            done.append(chapter.name)
        except KeyboardInterrupt:
            finished = f" (finished before: {', '.join(done)})" if done else ""
            _say(f"nvbook execute: interrupted during {chapter.name}; nothing written for it{finished}")
            return 130
        except (ExecutionFailed, staleness.WriteFailed) as exc:
            _say(f"[{chapter.name}] {exc}" if isinstance(exc, staleness.WriteFailed) else str(exc))
            failed.append(chapter.name)
            if not args.keep_going:
                break
    if failed:
        _say(f"nvbook execute: failed: {', '.join(failed)}")
        return 1
    return 0

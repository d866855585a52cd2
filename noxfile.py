#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
"""Sessions for *nvmath-python by example*: build, test, execute, preview, lint.

nox -s docs                 build build/html from the stored outputs (no GPU)
nox -s tests                the test suite (no GPU)
nox -s execute -- 01        execute chapters on this machine's GPU (from the lock)
nox -s lock                 re-resolve the GPU stacks' lock files (needs network)
nox -s stage -- DIR         download a locked wheelhouse for a machine without network
nox -s serve                live preview while editing
nox -s lint                 ruff, mypy --strict, and the chapters' freshness (-- --pre-commit: all hooks)
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

if sys.version_info < (3, 10):  # noqa: UP036 (this line is for the Pythons that lack it)
    sys.exit(
        f"nvmath-python by example needs Python 3.10 or newer; this is {sys.version.split()[0]}. "
        "Remove the .venv made with it (rm -rf .venv) and make it again with a newer python3."
    )

import filelock  # nox depends on virtualenv, which depends on filelock
import nox

nox.needs_version = ">=2025.2.9"  # dependency groups from pyproject.toml
nox.options.default_venv_backend = "uv|virtualenv"  # uv when present: much faster installs
nox.options.reuse_existing_virtualenvs = True  # the docs build must stay under a minute

ROOT = Path(__file__).parent
# One nox run per clone at a time: two at once would build the same environments and write
# the same build/html. The lock is taken when nox loads this file, before any environment is
# made, and held until nox exits; a second run waits and says so.
(ROOT / ".nox").mkdir(exist_ok=True)
# (Not .nox/lock: that is where nox puts the `lock` session's environment.)
_LOCK = filelock.FileLock(ROOT / ".nox" / "one-run-at-a-time.lock")
try:
    _LOCK.acquire(timeout=0)
except filelock.Timeout:
    print(
        "nox: another nox run is using this clone (.nox/one-run-at-a-time.lock); waiting for it to finish",
        file=sys.stderr,
    )
    _LOCK.acquire()

PYPROJECT = nox.project.load_toml("pyproject.toml")
# Sphinx config lives apart from the sources (as pip does): conf/ holds conf.py.
SPHINX_ARGS = ["-c", "conf", "docs", "build/html"]
# The GPU stack per CUDA major version: what the chapters need (.in, with the reasons for
# each pin) and its lock (.txt: every package pinned with hashes, made by `nox -s lock`).
GPU_REQUIREMENTS = {12: "requirements/gpu-cu12.txt", 13: "requirements/gpu-cu13.txt"}
# The GPU machines run CPython 3.12 on x86-64 Linux; locks and wheelhouses are made for it.
TARGET_PYTHON = "3.12"
TARGET_TAGS = [f"manylinux_2_{n}_x86_64" for n in (39, 35, 34, 31, 28, 27, 25, 24, 17)]
TARGET_TAGS += ["manylinux2014_x86_64"]


# ---------------------------------------------------------------- sessions


@nox.session(default=True)
def docs(session: nox.Session) -> None:
    """Build the static site into build/html from the committed outputs."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    session.install("--no-deps", "-e", ".")
    # A clear, short message for stale or unsynced chapters before Sphinx starts.
    session.run("python", "-m", "nvbook", "check")
    # An interrupted build is detected and redone from scratch by the extension (sphinxext.py).
    session.run(
        "sphinx-build",
        "-n",  # every reference must resolve
        "-W",  # warnings are errors
        "--keep-going",  # ...but report all of them
        "-q",
        *SPHINX_ARGS,
        *session.posargs,
    )
    session.log(f"open {ROOT / 'build/html/index.html'}")


@nox.session(default=True)
def tests(session: nox.Session) -> None:
    """Run the test suite; it needs no GPU."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("--no-deps", "-e", ".")
    session.run("pytest", *session.posargs)


@nox.session(default=False, venv_backend="none")
def execute(session: nox.Session) -> None:
    """Execute chapters on this machine's GPU in an environment built from the lock."""
    parser = argparse.ArgumentParser(prog="nox -s execute --")
    parser.add_argument("chapters", nargs="*", help="01, 01-kernel-fusion or kernel-fusion; default all")
    parser.add_argument("--cuda", type=int, choices=sorted(GPU_REQUIREMENTS), help="default: from the driver")
    parser.add_argument("--wheelhouse", type=Path, help="install offline from this folder (see `nox -s stage`)")
    parser.add_argument("--keep-going", action="store_true", help="after a failing chapter, run the others")
    parser.add_argument("--timeout", type=int, help="per-cell limit in seconds")
    parser.add_argument("--run", help="name of the run recorded under docs/runs/")
    parser.add_argument("--reproduce", action="store_true", help="leave stored outputs alone; compare with them")
    parser.add_argument("--record", help="with --reproduce: record the run under docs/runs/RECORD")
    parser.add_argument(
        "--memory-limit", type=float, metavar="GIB", help="cap CuPy's memory pool, as on a smaller card"
    )
    args = parser.parse_args(session.posargs)

    cuda = args.cuda or _driver_cuda_major(session)
    env = ROOT / ".nox" / f"execute-cu{cuda}"
    python = str(env / "bin" / "python")
    if not env.exists():  # virtualenv (nox's own dependency) needs neither network nor ensurepip
        session.run(sys.executable, "-m", "virtualenv", "-q", str(env))
    where = ["--no-index", "--find-links", str(args.wheelhouse)] if args.wheelhouse else []
    session.log(f"installing the CUDA {cuda} stack from {GPU_REQUIREMENTS[cuda]} into {env}")
    # PYTHONPATH emptied: a package visible through it (nox installed with --target, say) would
    # count as installed, and pip would leave it out of the environment.
    session.run(
        python, "-m", "pip", "install", "-q", "--require-hashes", "--no-deps", *where, "-r", GPU_REQUIREMENTS[cuda],
        env={"PYTHONPATH": ""},
    )  # fmt: skip
    command = [python, "-m", "nvbook", "reproduce" if args.reproduce else "execute", *args.chapters]
    for flag, value in (
        ("--keep-going", args.keep_going),
        ("--timeout", args.timeout),
        ("--run", args.run),
        ("--record", args.record),
        ("--memory-limit", args.memory_limit),
    ):
        if value is True:
            command.append(flag)
        elif value:
            command += [flag, str(value)]
    # The tooling runs from the working tree, not installed (installing it would need a build
    # backend offline); its needs (nbformat, jupytext, nbclient, ipykernel) are in the lock,
    # which tests/test_locks.py checks.
    session.run(*command, env={"PYTHONPATH": str(ROOT / "source")})


@nox.session(default=False)
def lock(session: nox.Session) -> None:
    """Resolve requirements/gpu-cu*.in into lock files with hashes (needs network)."""
    session.install("uv")
    for cuda, lock_file in GPU_REQUIREMENTS.items():
        # A flavour's .overrides file replaces what a dependency declares (and says why).
        overrides = Path(lock_file.replace(".txt", ".overrides"))
        session.run(
            "uv", "pip", "compile", lock_file.replace(".txt", ".in"), "-o", lock_file,
            "--python-version", TARGET_PYTHON, "--python-platform", "x86_64-manylinux_2_28",
            "--generate-hashes", "--no-header", "-q",
            *(["--override", str(overrides)] if overrides.exists() else []), *session.posargs,
        )  # fmt: skip
        session.log(f"CUDA {cuda}: {lock_file}")


@nox.session(default=False, venv_backend="none")
def stage(session: nox.Session) -> None:
    """Download a locked wheelhouse for an offline GPU machine, split into parts with checksums."""
    parser = argparse.ArgumentParser(prog="nox -s stage --")
    parser.add_argument("folder", type=Path, help="where the wheelhouse and its parts go")
    parser.add_argument("--cuda", type=int, choices=sorted(GPU_REQUIREMENTS), default=13)
    parser.add_argument("--part-mb", type=int, default=0, help="also split into parts of this size (MB)")
    args = parser.parse_args(session.posargs)
    wheels = args.folder / f"wheels-cu{args.cuda}"
    platforms = [arg for tag in TARGET_TAGS for arg in ("--platform", tag)]
    session.run(
        sys.executable, "-m", "pip", "download", "-q", "--require-hashes", "--no-deps", "--only-binary=:all:",
        "--python-version", TARGET_PYTHON, *platforms, "-d", str(wheels), "-r", GPU_REQUIREMENTS[args.cuda],
    )  # fmt: skip
    # nox and its needs, so that the offline machine can run `nox -s execute -- --wheelhouse`.
    session.run(
        sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--python-version", TARGET_PYTHON,
        *platforms, "-d", str(args.folder / "nox"), "nox>=2025.2.9", "setuptools>=69", "filelock",
    )  # fmt: skip
    size = sum(f.stat().st_size for f in wheels.iterdir())
    session.log(f"{len(list(wheels.iterdir()))} wheels, {size / 1e9:.2f} GB in {wheels}")
    if args.part_mb:
        _split(session, args.folder, args.part_mb)


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Preview the site at http://127.0.0.1:8000, rebuilding as files change."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "serve"))
    session.install("--no-deps", "-e", ".")
    session.run(
        "sphinx-autobuild",
        *SPHINX_ARGS,
        "--watch",
        "conf",
        "--watch",
        "source",
        *session.posargs,
    )


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """Lint, format-check and type-check the code; check that every chapter is fresh and in sync.

    Pass --pre-commit to run all pre-commit hooks instead (they are fetched from GitHub).
    """
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    if "--pre-commit" in session.posargs:
        args = [a for a in session.posargs if a != "--pre-commit"]
        session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", *args)
        return
    session.install("-e", ".")  # with its dependencies (nbformat, jupytext) for `nvbook check`
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")  # strict, over source/ (pyproject.toml)
    session.run("python", "-m", "nvbook", "check")


# ---------------------------------------------------------------- helpers


def _split(session: nox.Session, folder: Path, part_mb: int) -> None:
    """Pack the folder into one tar and cut it into parts/part-NNN, with SHA256SUMS."""
    import hashlib
    import tarfile

    parts = folder / "parts"
    parts.mkdir(exist_ok=True)
    archive = parts / "wheelhouse.tar"
    with tarfile.open(archive, "w") as tar:
        for item in sorted(folder.iterdir()):
            if item != parts:
                tar.add(item, arcname=item.name)
    sums, size = [], part_mb * 1_000_000
    with archive.open("rb") as src:
        for i, chunk in enumerate(iter(lambda: src.read(size), b"")):
            part = parts / f"part-{i:03d}"
            part.write_bytes(chunk)
            sums.append(f"{hashlib.sha256(chunk).hexdigest()}  {part.name}")
    whole = hashlib.sha256(archive.read_bytes()).hexdigest()
    archive.unlink()
    sums.append(f"{whole}  wheelhouse.tar")
    (parts / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    session.log(
        f"{len(sums) - 1} parts in {parts}; on the target: cat part-* > wheelhouse.tar && "
        "sha256sum -c SHA256SUMS --ignore-missing && tar xf wheelhouse.tar"
    )


def _driver_cuda_major(session: nox.Session) -> int:
    """The CUDA major version the installed driver supports (from nvidia-smi)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        session.error(
            "nox -s execute needs an NVIDIA GPU and this machine has none (no nvidia-smi). "
            "To build the site from the stored outputs, run `nox -s docs`"
        )
    out = subprocess.run([exe], capture_output=True, text=True, check=False).stdout
    match = re.search(r"CUDA Version:\s*(\d+)", out)
    if match is None:
        session.error(f"could not read the CUDA version from nvidia-smi; pass --cuda 12 or --cuda 13\n{out}")
    return 13 if int(match.group(1)) >= 13 else 12


if __name__ == "__main__":
    nox.main()

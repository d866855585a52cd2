#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
"""Sessions for *nvmath-python by example*: build, test, execute, preview, lint.

nox -s docs                 build build/html from the stored outputs (no GPU)
nox -s tests                the test suite (no GPU)
nox -s execute -- 01        execute chapters on this machine's GPU
nox -s serve                live preview while editing
nox -s lint                 ruff, and the chapters' freshness (-- --pre-commit: all hooks)
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"  # dependency groups from pyproject.toml
nox.options.default_venv_backend = "uv|virtualenv"  # uv when present: much faster installs
nox.options.reuse_existing_virtualenvs = True  # the docs build must stay under a minute

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
# Sphinx config lives apart from the sources (as pip does): conf/ holds conf.py.
SPHINX_ARGS = ["-c", "conf", "docs", "build/html"]
# The GPU stack per CUDA major version; pins and their reasons live in the files.
GPU_REQUIREMENTS = {12: "requirements/gpu-cu12.txt", 13: "requirements/gpu-cu13.txt"}


# ---------------------------------------------------------------- sessions


@nox.session(default=True)
def docs(session: nox.Session) -> None:
    """Build the static site into build/html from the committed outputs."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    session.install("--no-deps", "-e", ".")
    # A clear, short message for stale chapters before Sphinx starts.
    session.run("python", "-m", "nvbook", "check")
    session.run(
        "sphinx-build",
        "-W",  # warnings are errors
        "--keep-going",  # ...but report all of them
        "-q",
        *SPHINX_ARGS,
        *session.posargs,
    )
    session.run("python", "-m", "nvbook", "sitecheck", "build/html")
    session.log(f"open {ROOT / 'build/html/index.html'}")


@nox.session(default=True)
def tests(session: nox.Session) -> None:
    """Run the test suite; it needs no GPU."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("--no-deps", "-e", ".")
    session.run("pytest", *session.posargs)


@nox.session(default=False)
def execute(session: nox.Session) -> None:
    """Execute chapters on this machine's GPU and store their outputs."""
    parser = argparse.ArgumentParser(prog="nox -s execute --")
    parser.add_argument("chapters", nargs="*", help="01, 01-kernel-fusion or kernel-fusion; default all")
    parser.add_argument("--cuda", type=int, choices=sorted(GPU_REQUIREMENTS), help="default: from the driver")
    parser.add_argument("--keep-going", action="store_true", help="after a failing chapter, run the others")
    parser.add_argument("--timeout", type=int, help="per-cell limit in seconds")
    args = parser.parse_args(session.posargs)

    cuda = args.cuda or _driver_cuda_major(session)
    session.log(f"installing the CUDA {cuda} flavour of the GPU stack")
    session.install("-r", GPU_REQUIREMENTS[cuda])
    session.install("--no-deps", "-e", ".")
    command = ["python", "-m", "nvbook", "execute", *args.chapters]
    if args.keep_going:
        command.append("--keep-going")
    if args.timeout:
        command += ["--timeout", str(args.timeout)]
    session.run(*command)


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
    """Lint and format-check the code, and check that every chapter's outputs are fresh.

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
    session.run("python", "-m", "nvbook", "check")


# ---------------------------------------------------------------- helpers


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

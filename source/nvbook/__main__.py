"""Command line: ``python -m nvbook {execute,reproduce,compare,check,probe} [--debug]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

USAGE = """\
nvbook execute [CHAPTER ...] [--keep-going] [--timeout S] [--run NAME]
                                                run chapters on this GPU, store outputs
                                                and record their rows in docs/runs/NAME
nvbook reproduce [CHAPTER ...] [--record NAME]  run chapters here without touching the
                                                stored outputs; print book vs yours
nvbook compare RUN_A RUN_B                      two recorded runs side by side
nvbook check [CHAPTER ...]                      are the stored outputs up to date, the pairs in sync?
nvbook probe                                    print this machine's provenance record
Add --debug to any command to see a Python traceback on failure.
"""


def check(argv: list[str]) -> int:
    """Print each chapter's state; 1 when any is not fresh, 2 when there is no chapter."""
    from . import staleness
    from .chapters import select

    parser = argparse.ArgumentParser(prog="nvbook check")
    parser.add_argument("chapters", nargs="*")
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    chapters = select(args.docs, args.chapters)
    bad = 0
    for st in map(staleness.status, chapters):
        print(f"{st.state.value:>15}  {st.chapter.name}", file=sys.stderr)
        if not st.fresh:
            print(f"                 {st.message()}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def compare(argv: list[str]) -> int:
    """Two recorded runs side by side."""
    from . import runs

    parser = argparse.ArgumentParser(prog="nvbook compare", description="Two recorded runs side by side.")
    parser.add_argument("run_a")
    parser.add_argument("run_b")
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    lines, _ = runs.compare_table(args.docs, args.run_a, args.run_b)
    print("\n".join(lines))
    return 0


def _run(command: str, rest: list[str]) -> int:
    from . import execute, provenance

    if command in ("execute", "reproduce"):
        return execute.main(rest if command == "execute" else ["--reproduce", *rest])
    if command == "compare":
        return compare(rest)
    if command == "check":
        return check(rest)
    if command == "probe":
        json.dump(provenance.probe(), sys.stdout, indent=1)
        print()
        return 0
    print(f"nvbook: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run one command; known failures print one message and return non-zero, no traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command = argv[0]
    try:
        return _run(command, argv[1:])
    except ModuleNotFoundError as exc:
        if debug:
            raise
        print(
            f"nvbook {command}: this Python lacks the package {exc.name!r} that the tooling needs. "
            "Install it with `pip install -e .` from the repository (or use `nox -s docs` / `nox -s execute`).",
            file=sys.stderr,
        )
        return 2
    except (LookupError, OSError, ValueError) as exc:  # ChapterNotFound, a missing run, a damaged file
        if debug:
            raise
        print(f"nvbook {command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m nvbook {execute,check,sync,sitecheck,probe}``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import execute, provenance, runs, sitecheck, staleness
from .chapters import ChapterNotFound, select

USAGE = """\
nvbook execute [CHAPTER ...] [--keep-going] [--timeout S] [--run NAME]
                                                            run chapters on this GPU, store outputs
                                                            and record their rows in docs/runs/NAME
nvbook reproduce [CHAPTER ...] [--record NAME]              run chapters here without touching the
                                                            stored outputs; print book vs yours
nvbook compare RUN_A RUN_B                                  two recorded runs side by side
nvbook check [CHAPTER ...]                                  are the stored outputs up to date?
nvbook sync [CHAPTER ...]                                   carry prose edits into the .ipynb files
nvbook sitecheck [BUILD_DIR]                                check a built site (default build/html)
nvbook probe                                                print this machine's provenance record
"""


def _chapters(argv: list[str]):
    parser = argparse.ArgumentParser(prog="nvbook")
    parser.add_argument("chapters", nargs="*")
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    chapters = select(args.docs, args.chapters)
    if not chapters:
        raise ChapterNotFound(f"no chapters under {args.docs} (looked for {args.docs}/chapters/NN-slug.md)")
    return chapters


def check(argv: list[str]) -> int:
    bad = 0
    for st in map(staleness.status, _chapters(argv)):
        print(f"{st.state.value:>15}  {st.chapter.name}", file=sys.stderr)
        if not st.fresh:
            print(f"                 {st.message()}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def sync(argv: list[str]) -> int:
    for chapter in _chapters(argv):
        if staleness.sync(chapter):
            print(f"synced prose into {chapter.ipynb.as_posix()}", file=sys.stderr)
    return 0


def compare(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nvbook compare", description="Two recorded runs side by side.")
    parser.add_argument("run_a")
    parser.add_argument("run_b")
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    try:
        lines, _ = runs.compare_table(args.docs, args.run_a, args.run_b)
    except FileNotFoundError as exc:
        print(f"nvbook compare: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "execute":
            return execute.main(rest)
        if command == "reproduce":
            return execute.main(["--reproduce", *rest])
        if command == "compare":
            return compare(rest)
        if command == "check":
            return check(rest)
        if command == "sync":
            return sync(rest)
        if command == "sitecheck":
            return sitecheck.main(rest)
        if command == "probe":
            json.dump(provenance.probe(), sys.stdout, indent=1)
            print()
            return 0
    except ChapterNotFound as exc:
        print(f"nvbook {command}: {exc}", file=sys.stderr)
        return 2
    print(f"nvbook: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Run mutmut 3 on this repository: ``python tests/mutmut_cli.py run`` (then ``results``).

Two adjustments to mutmut 3.8, both for this layout, then mutmut's own command line:

- mutmut names a mutant after its file's path and strips only a leading ``src.``, so the
  mutants of ``source/nvbook/x.py`` would be keyed ``source.nvbook.x`` while the code under
  test runs as ``nvbook.x``: every mutant would survive untested. ``source.`` is stripped too.
- mutmut first checks that a forced failure fails the tests. Here the failure comes at once,
  in ``conftest.py`` (it lists the book's chapters on import), which pytest reports as a
  usage error (exit code 4) that mutmut would take for a bad command: it counts as failed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mutmut.__main__ as mutmut_main
from mutmut.mutation import file_mutation
from mutmut.runners import harness
from mutmut.utils import format_utils

_get_mutant_name = format_utils.get_mutant_name


def get_mutant_name(relative_source_path: Path, mutant_method_name: str) -> str:
    return _get_mutant_name(relative_source_path, mutant_method_name).removeprefix("source.")


for module in (format_utils, file_mutation, mutmut_main):
    module.get_mutant_name = get_mutant_name  # type: ignore[attr-defined]

_run_forced_fail = harness.PytestRunner.run_forced_fail


def run_forced_fail(self: harness.PytestRunner) -> int:
    try:
        return _run_forced_fail(self)
    except harness.BadTestExecutionCommandsException:
        return 1


harness.PytestRunner.run_forced_fail = run_forced_fail  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(mutmut_main.cli())

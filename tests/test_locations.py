"""Sphinx's warnings about a chapter point at the line of the .md that people edit."""

from __future__ import annotations

import subprocess
import sys

import jupytext
from nvbook import locations


def _pair(tmp_path, markdown: str):
    md = tmp_path / "01-demo.md"
    md.write_text(markdown, encoding="utf-8")
    nb = jupytext.read(md)
    jupytext.write(nb, tmp_path / "01-demo.ipynb")
    return md, tmp_path / "01-demo.ipynb"


DEMO = """\
---
jupytext:
  formats: ipynb,md:myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Demo

Intro line.

```{code-cell} ipython3
x = 1
```

Second text cell.

A {badrole}`oops` here.
"""


def test_ipynb_location_becomes_the_md_line(tmp_path):
    md, ipynb = _pair(tmp_path, DEMO)
    bad_line = DEMO.splitlines().index("A {badrole}`oops` here.") + 1
    # myst-nb reports (cell + 1) * 10000 + the paragraph's line within the cell + 2; the
    # text cell is cell 2, and the paragraph is its third line
    reported = f"{ipynb}:{3 * locations.CELL_STRIDE + 2 + locations.OFFSET}"
    assert locations.md_location(reported) == f"{md}:{bad_line}"


def test_other_locations_are_left_alone(tmp_path):
    assert locations.md_location("docs/index.md:12") == "docs/index.md:12"
    assert locations.md_location(f"{tmp_path}/missing.ipynb:10005") == f"{tmp_path}/missing.ipynb:10005"


def test_a_sphinx_build_reports_the_md_line(tmp_path):
    docs = tmp_path / "docs"
    (docs / "chapters").mkdir(parents=True)
    _pair(docs / "chapters", DEMO)
    (docs / "index.md").write_text("# Book\n\n```{toctree}\nchapters/01-demo\n```\n", encoding="utf-8")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "conf.py").write_text(
        "extensions = ['myst_nb']\nexclude_patterns = ['chapters/*.md']\n"
        "nb_execution_mode = 'off'\n"
        "def setup(app):\n    from nvbook import locations\n    locations.install()\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-c", str(conf), str(docs), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        check=False,
    )
    bad_line = DEMO.splitlines().index("A {badrole}`oops` here.") + 1
    assert f"01-demo.md:{bad_line}: WARNING" in run.stderr, run.stderr

"""The notebooks readers download open clean in Jupyter and Colab.

Each of a chapter's three downloads is valid nbformat, renders with nbconvert, holds plain
Jupyter Markdown (no MyST markup, glued values filled in), starts with an install cell that
does nothing where the packages are present, and asks Colab for a GPU runtime.
"""

from __future__ import annotations

import json
import re
import types

import nbformat
import pytest
from conftest import BOOK_CHAPTERS, ROOT
from nvbook import notebooks

VARIANTS = ("", "-exercises", "-solutions")
# What Jupyter would show as literal text: roles, directive fences, targets, options.
MYST = re.compile(
    r"\{[a-z][\w:-]*\}`"  # {doc}`...`, {glue:text}`...`
    r"|^\s*(`{3,}|:{3,})\{[\w:-]+\}"  # ```{directive} and :::{directive}
    r"|^\([\w.:-]+\)=\s*$"  # (label)=
    r"|^\s*:(label|class|name|tags):",  # directive options
    re.M,
)


def _downloads(site, chapter):
    folder = site / "_downloads" / "notebooks"
    return {variant: folder / f"{chapter.name}{variant}.ipynb" for variant in VARIANTS}


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("chapter", BOOK_CHAPTERS, ids=lambda c: c.name)
def test_downloads_are_plain_jupyter_notebooks(real_site, chapter):
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="classic")
    for variant, path in _downloads(real_site, chapter).items():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        leftover = [m.group(0) for m in MYST.finditer(_markdown(nb))]
        assert leftover == [], f"{path.name}: MyST markup left: {leftover[:5]}"
        first = nb.cells[0]
        assert first.cell_type == "code" and "%pip install" in first.source, path.name
        assert nb.metadata.get("accelerator") == "GPU", path.name
        assert nb.metadata.get("colab", {}).get("gpuType"), path.name
        body, _ = exporter.from_notebook_node(nb)
        assert "{glue" not in body and "{doc}" not in body, path.name
        if variant == "":  # the executed notebook keeps its outputs
            assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name


@pytest.mark.parametrize("chapter", BOOK_CHAPTERS, ids=lambda c: c.name)
def test_downloads_fill_in_glued_values_and_head_exercises(chapter):
    executed = chapter.read_executed()
    glued = notebooks.glue_values(executed)
    context = notebooks.Context(docname=chapter.docname, docs=ROOT / "docs")
    for make in (notebooks.executed_notebook, notebooks.exercise_notebook, notebooks.solution_notebook):
        text = _markdown(make(executed, context))
        assert MYST.search(text) is None, make.__name__
        assert re.search(r"^#{2,6} Exercise \d", text, re.M), make.__name__
    solved = _markdown(notebooks.solution_notebook(executed, context))
    assert re.search(r"^#{2,6} Solution to exercise \d", solved, re.M)
    source = _markdown(executed)
    uses = re.findall(r"\{glue:text\}`([\w]+):?([^`]*)`", source)
    assert uses, "chapters put their figures in the prose with glue"
    for key, spec in uses[:10]:
        assert notebooks.format_glued(glued[key]["text/plain"], spec) in solved


def test_myst_converts_to_plain_markdown():
    nb = nbformat.v4.new_notebook()
    glue = nbformat.v4.new_output(
        "display_data",
        data={"application/papermill.record/text/plain": "0.41263"},
        metadata={"scrapbook": {"name": "t_ms", "mime_prefix": "application/papermill.record/"}},
    )
    nb.cells = [nbformat.v4.new_code_cell("glue('t_ms', t)", outputs=[glue])]
    context = notebooks.Context(docname="chapters/01-a", titles={"chapters/02-b": "Chapter two"})
    text = "\n".join([
        "## Part",
        ":::{admonition} In this chapter",
        ":class: tip",
        "",
        "**You will learn** to fuse.",
        ":::",
        "(part-x)=",
        "It took {glue:text}`t_ms:.2f` ms; see {doc}`02-b`, {doc}`the rules <../about/rules>`",
        "and {ref}`this part <part-x>`.",
        "```{exercise-start}",
        ":label: ex-a",
        "```",
        "Do it.",
        "```{exercise-end}",
        "```",
        "```{solution-start} ex-a",
        ":class: dropdown",
        "```",
        "Done.",
        "```{solution-end}",
        "```",
    ])  # fmt: skip
    out = notebooks.plain_markdown(text, nb, context)
    assert "> **In this chapter**\n>\n> **You will learn** to fuse." in out
    assert "It took 0.41 ms" in out
    assert "[Chapter two](02-b.ipynb)" in out
    assert "[the rules](../about/rules.md)" in out
    assert '<a id="part-x"></a>' in out and "[this part](#part-x)" in out
    assert "### Exercise 1" in out and "### Solution to exercise 1" in out
    assert MYST.search(out) is None, out
    site = notebooks.Context(docname="chapters/01-a", site_url="https://example.org/book/")
    assert "(https://example.org/book/chapters/02-b.html)" in notebooks.plain_markdown("{doc}`02-b`", nb, site)


def _run_install_cell(present: bool, cuda: int = 13) -> list[tuple[str, str]]:
    """Run the install cell as IPython would, recording the magics it calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    calls: list[tuple[str, str]] = []
    code = TransformerManager().transform_cell(notebooks.INSTALL_CELL)
    fake_ipython = types.SimpleNamespace(run_line_magic=lambda name, line: calls.append((name, line)))
    fake_util = types.SimpleNamespace(find_spec=lambda name: object() if present else None)
    smi = f"| NVIDIA-SMI 580.65   Driver Version: 580.65   CUDA Version: {cuda}.0 |"
    fake_subprocess = types.SimpleNamespace(run=lambda *a, **k: types.SimpleNamespace(stdout=smi))
    real_import = __import__

    def fake_import(name, *args, **kwargs):
        if name == "importlib.util":
            return types.SimpleNamespace(util=fake_util)
        if name == "subprocess":
            return fake_subprocess
        return real_import(name, *args, **kwargs)

    builtins = dict(__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__))
    builtins["__import__"] = fake_import
    exec(code, {"__builtins__": builtins, "get_ipython": lambda: fake_ipython})
    return calls


def test_install_cell_does_nothing_where_the_packages_are_present():
    assert _run_install_cell(present=True) == []
    ((magic, line),) = _run_install_cell(present=False, cuda=13)
    assert magic == "pip" and "cupy-cuda13x" in line
    (magic, line), (_, no_deps) = _run_install_cell(present=False, cuda=12)
    assert "cupy-cuda12x" in line
    assert no_deps.startswith("install -q --no-deps cupti-python==12.8.0")


def test_install_cell_installs_what_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for cuda, packages in notebooks.INSTALL.items():
        lines = re.search(rf"# CUDA {cuda} drivers.*?\n(pip install .*?)\n(?!  )", readme, re.S)
        assert lines, f"the README's CUDA {cuda} install line"
        readme_packages = " ".join(lines.group(1).replace("\\\n", " ").split()[2:])
        assert readme_packages == packages
    assert f"pip install --no-deps {notebooks.INSTALL_NO_DEPS[12]}\n" in readme


def test_downloads_carry_colab_gpu_metadata(real_site):
    chapter = BOOK_CHAPTERS[0]
    nb = json.loads(_downloads(real_site, chapter)["-exercises"].read_text())
    assert nb["metadata"]["accelerator"] == "GPU"
    assert nb["metadata"]["colab"] == {"provenance": [], "gpuType": "T4"}

"""The downloads' conversion from MyST to plain Jupyter Markdown, piece by piece (no Sphinx).

What a reader gets in Jupyter or Colab: roles and directives turned into Markdown that
shows the same thing, glued figures filled in, and an exercise notebook with nothing of
its solutions.
"""

from __future__ import annotations

import nbformat
import pytest
from nvbook import notebooks
from nvbook.notebooks import Context

GLUE = notebooks.GLUE_PREFIX


def _glued(name, plain, markdown=None):
    data = {f"{GLUE}text/plain": plain}
    if markdown is not None:
        data[f"{GLUE}text/markdown"] = markdown
    return nbformat.v4.new_output("display_data", data=data, metadata={"scrapbook": {"name": name}})


def _nb(*outputs):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("glue(...)", outputs=list(outputs))]
    return nb


def md(text, nb=None, context=None):
    return notebooks.plain_markdown(text, nb or _nb(), context)


# -- glued values -----------------------------------------------------------------------


def test_glue_values_are_read_by_name_without_the_prefix():
    plain = nbformat.v4.new_output("display_data", data={"text/plain": "1"}, metadata={"scrapbook": {"name": "x"}})
    unnamed = nbformat.v4.new_output("display_data", data={f"{GLUE}text/plain": "2"})
    stream = nbformat.v4.new_output("stream", name="stdout", text="hi")
    nb = _nb(_glued("t", "0.5", "**0.5**"), plain, unnamed, stream)
    nb.cells.append(nbformat.v4.new_markdown_cell("no outputs"))
    assert notebooks.glue_values(nb) == {"t": {"text/plain": "0.5", "text/markdown": "**0.5**"}}


@pytest.mark.parametrize(
    ("text", "spec", "out"),
    [
        ("0.41263", ".2f", "0.41"),
        ("0.41263", "", "0.41263"),
        ("'name'", "", "name"),
        ("'name'", "s", "name"),
        ("12.7", "d", "12"),
        ("255", "x", "ff"),
        ("3", ".1e", "3.0e+00"),
        ("0.256", ".0%", "26%"),
        ("1234567", ",", "1,234,567"),
        ("not python", "", "not python"),
        ("a b", ">5s", "  a b"),
        ("2", "g", "2"),
    ],
)
def test_glued_values_format_as_myst_nb_formats_them(text, spec, out):
    assert notebooks.format_glued(text, spec) == out


def test_glue_roles_take_the_notebooks_values():
    nb = _nb(_glued("t_ms", "0.41263"), _glued("table", "'x'", "| a |"), _glued("n", "'n'"))
    assert md("took {glue:text}`t_ms:.2f` ms", nb) == "took 0.41 ms"
    assert md("took {glue:text}`t_ms` ms", nb) == "took 0.41263 ms"
    assert md("{glue:md}`table`", nb) == "| a |"
    assert md("{glue:md}`n`", nb) == "n"
    assert md("{glue}`t_ms`", nb) == "0.41263"
    assert md("{glue:}`t_ms`", nb) == "0.41263"
    with pytest.raises(KeyError, match="glued value 'missing' not found"):
        md("{glue:text}`missing:.2f`", nb)


# -- roles ------------------------------------------------------------------------------


def test_roles_become_markdown():
    assert md("{math}`a^2` and {eq}`e1`") == "$a^2$ and $e1$"
    assert md("{kbd}`Ctrl`") == "<kbd>Ctrl</kbd>"
    for role in ("code", "literal", "file", "command", "samp"):
        assert md(f"{{{role}}}`x = 1`") == "`x = 1`"
    assert md("{abbr}`GPU` {term}`kernel`") == "GPU kernel"
    assert md("{term}`the kernel <kernel>`") == "the kernel"


def test_references_link_to_labels_of_this_notebook_only():
    text = "(here)=\n# H\nSee {ref}`here`, {ref}`that <here>`, {numref}`there` and {ref}`that one <there>`."
    assert md(text) == ('<a id="here"></a>\n# H\nSee [here](#here), [that](#here), there and that one.')


def test_doc_links_point_at_notebooks_markdown_files_or_the_site():
    ctx = Context(docname="chapters/01-a", titles={"chapters/02-b": "Two"})
    assert md("{doc}`02-b`", context=ctx) == "[Two](02-b.ipynb)"
    assert md("{doc}`/chapters/02-b`", context=ctx) == "[Two](02-b.ipynb)"
    assert md("{doc}`index`", context=ctx) == "[index](index.md)"  # not a chapter
    assert md("{doc}`../about/rules`", context=ctx) == "[rules](../about/rules.md)"
    assert md("{doc}`Rules </about/rules>`", context=ctx) == "[Rules](../about/rules.md)"
    top = Context(docname="index")
    assert md("{doc}`chapters/01-a`", context=top) == "[01-a](chapters/01-a.md)"
    site = Context(docname="chapters/01-a", site_url="https://x.org/book")
    assert md("{doc}`02-b`", context=site) == "[02-b](https://x.org/book/chapters/02-b.html)"
    assert md("{doc}`/index`", context=site) == "[index](https://x.org/book/index.html)"


def test_titles_come_from_the_books_sources_when_not_given(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "02-b.md").write_text("---\nx: 1\n---\n\n#  Chapter two  \n\n## Sub\n")
    (tmp_path / "chapters" / "03-c.md").write_text("no heading\n")
    ctx = Context(docname="chapters/01-a", docs=tmp_path)
    assert ctx.title("chapters/02-b") == "Chapter two"
    assert ctx.titles == {"chapters/02-b": "Chapter two"}
    assert ctx.title("chapters/03-c") == "03-c"
    assert ctx.title("chapters/04-missing") == "04-missing"
    assert Context(titles={"a/b": ""}).title("a/b") == "b"


# -- blocks -----------------------------------------------------------------------------


def test_admonitions_become_block_quotes_with_their_title():
    assert md(":::{note}\nA note.\n\nTwo.\n:::") == "> **Note**\n>\n> A note.\n>\n> Two."
    assert md(":::{tip} Be quick\nGo.\n:::") == "> **Be quick**\n>\n> Go."
    assert md(":::{admonition} Uses {math}`x`\n:class: tip\nGo.\n:::") == "> **Uses $x$**\n>\n> Go."
    for name in ("warning", "seealso", "todo", "danger", "hint", "important", "caution", "attention", "error"):
        assert md(f"```{{{name}}}\nx\n```").startswith(f"> **{name.capitalize()}**\n")


def test_blocks_are_set_apart_by_blank_lines():
    assert md("Before.\n:::{note}\nx\n:::\nAfter.\n") == "Before.\n\n> **Note**\n>\n> x\n\nAfter.\n"
    assert md("Before.\n\n:::{note}\nx\n:::\n\nAfter.") == "Before.\n\n> **Note**\n>\n> x\n\nAfter."


def test_nested_directives_are_converted_inside_their_parent():
    text = "::::{note}\n:::{tip} Inner\nx\n:::\n::::"
    assert md(text) == "> **Note**\n>\n> > **Inner**\n> >\n> > x"
    text = "````{note}\n```{code-block} python\nx = 1\n```\n````"
    assert md(text) == "> **Note**\n>\n> ```python\n> x = 1\n> ```"


def test_indented_directives_keep_their_indent():
    out = md("1. Item\n\n   :::{note}\n   x\n   :::").splitlines()
    assert out[:4] == ["1. Item", "", "   > **Note**", "   >"]
    assert out[4].startswith("   > ") and out[4].endswith("x")


def test_plain_code_blocks_are_copied_as_they_are():
    text = "```python\n{doc}`x` (a)=\n:::{note}\n```\n~~~\n{math}`y`\n~~~"
    assert md(text) == text


def test_math_code_figures_and_site_only_directives():
    assert md("```{math}\na = b\n```") == "$$\na = b\n$$"
    assert md("```{code-block} python\n:linenos:\nx = {math}`y`\n```") == "```python\nx = {math}`y`\n```"
    for name in ("code", "sourcecode", "code-cell"):
        assert md(f"```{{{name}}} c\nx\n```") == "```c\nx\n```"
    assert md("```{figure} images/a.png\n:alt: A plot\nThe caption.\n```") == "![A plot](images/a.png)\n\nThe caption."
    assert md("```{figure} a.png\nThe caption.\n```") == "![The caption.](a.png)\n\nThe caption."
    assert md("```{image} a.png\n```") == "![figure](a.png)"
    assert md("```{image} a.png\n:alt: Alt\n```") == "![Alt](a.png)"
    for name in ("toctree", "glue", "glue:figure", "glue:any", "glue:math"):
        assert md(f"a\n```{{{name}}} x\n:maxdepth: 1\nb\n```\nc") == "a\nc"
    assert md("```{dropdown} Title\nInside.\n```") == "Inside."


def test_yaml_options_are_read_and_left_out():
    text = "```{figure} a.png\n---\nalt: The alt\nname: fig-a\n---\nCaption.\n```"
    assert md(text) == "![The alt](a.png)\n\nCaption."
    assert md("```{note}\n---\nclass: x\n---\n```") == "> **Note**\n>"


def test_exercises_and_solutions_become_numbered_headings():
    ctx = Context(first_exercise=3)
    text = "\n".join([
        "## Part",
        "```{exercise-start} Fuse {math}`x`",
        ":label: ex-a",
        "```",
        "Do it.",
        "```{exercise-end}",
        "```",
        "```{exercise} Second",
        "Again.",
        "```",
        "```{solution-start} ex-a",
        "```",
        "Done, see {ref}`ex-a`.",
        "```{solution-end}",
        "```",
        "```{solution} unknown",
        "```",
    ])  # fmt: skip
    assert md(text, context=ctx) == "\n".join([
        "## Part",
        "",
        '<a id="ex-a"></a>',
        "",
        "### Exercise 3: Fuse $x$",
        "",
        "Do it.",
        "",
        "### Exercise 4: Second",
        "",
        "Again.",
        "",
        "### Solution to exercise 3",
        "",
        "Done, see [ex-a](#ex-a).",
        "",
        "### Solution",
    ])  # fmt: skip


def test_headings_under_deep_sections_stop_at_level_six():
    assert md("##### Deep\n```{exercise}\n```") == "##### Deep\n\n###### Exercise 1"
    assert md("###### Deeper\n```{exercise}\n```") == "###### Deeper\n\n###### Exercise 1"
    assert md("```{exercise}\n```") == "### Exercise 1"  # under no heading: under a chapter's ##


def test_a_trailing_newline_is_kept_and_outer_blank_lines_dropped():
    assert md("\n\ntext\n\n") == "text\n"
    assert md("text") == "text"


# -- the three downloads ----------------------------------------------------------------


def _chapter():
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({
        "kernelspec": {"name": "python3", "display_name": "Python 3"}, "language_info": {"name": "python"},
        "nvbook_provenance": {"code_hash": "x"}, "jupytext": {}, "nvbook": {},
    })  # fmt: skip
    hidden = nbformat.v4.new_code_cell("setup()", metadata={"tags": ["hide-input"]})
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ready\n")]
    glue_cell = nbformat.v4.new_code_cell("glue('t', 1.5)")
    glue_cell.outputs = [_glued("t", "1.5"), nbformat.v4.new_output("stream", name="stdout", text="1.5\n")]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nIt took {glue:text}`t:.1f` s."),
        hidden,
        glue_cell,
        nbformat.v4.new_markdown_cell(
            "```{exercise-start}\n:label: ex\n```\nTry it.\n```{exercise-end}\n```\n"
            "```{solution-start} ex\n```\nThe answer:"
        ),
        nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell("Why it works.\n```{solution-end}\n```\nAfter the solution."),
        nbformat.v4.new_code_cell("print(answer)", execution_count=3),
    ]
    nb.cells[-1].metadata["nvbook"] = {"x": 1}
    return nb


def test_executed_download_keeps_outputs_but_not_glue_records_and_folds_hidden_input():
    nb = _chapter()
    out = notebooks.executed_notebook(nb)
    assert out.cells[0].source == notebooks.INSTALL_CELL and out.cells[0].metadata["tags"] == ["install"]
    assert out.cells[1].source == "# Title\n\nIt took 1.5 s."
    assert out.cells[2].metadata["jupyter"] == {"source_hidden": True}
    assert out.cells[2].outputs == nb.cells[1].outputs
    assert "jupyter" not in out.cells[3].metadata
    assert [o.get("text") for o in out.cells[3].outputs] == ["1.5\n"]
    assert [c.id for c in out.cells] == [f"cell-{i:03d}" for i in range(len(out.cells))]
    assert out.metadata["accelerator"] == "GPU" and out.metadata["colab"]["gpuType"] == "T4"
    assert "nvbook_provenance" in out.metadata  # the executed download keeps the record
    assert nb.cells[0].source.startswith("# Title\n\nIt took {glue")  # the chapter itself is untouched
    nbformat.validate(out)


def test_exercise_download_drops_the_solution_and_leaves_a_cell_for_it():
    nb = _chapter()
    out = notebooks.exercise_notebook(nb)
    sources = [c.source for c in out.cells]
    assert sources == [
        notebooks.INSTALL_CELL,
        "# Title\n\nIt took 1.5 s.",
        "setup()",
        "glue('t', 1.5)",
        '<a id="ex"></a>\n\n## Exercise 1\n\nTry it.\n',  # under the chapter's # title
        notebooks.PLACEHOLDER,
        "After the solution.",
        "print(answer)",
    ]
    assert all(c.outputs == [] and c.execution_count is None for c in out.cells if c.cell_type == "code")
    assert "nvbook" not in out.cells[-1].metadata
    assert set(out.metadata) == {"kernelspec", "language_info", "accelerator", "colab"}
    assert "42" not in str(out) and "answer =" not in str(out)
    nbformat.validate(out)


def test_a_solution_running_to_the_end_still_leaves_a_cell_for_it():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("Intro.\n```{solution-start} ex\n```\nSecret."),
        nbformat.v4.new_code_cell("secret = 1"),
    ]
    out = notebooks.exercise_notebook(nb)
    assert [c.source for c in out.cells[1:]] == ["Intro.\n", notebooks.PLACEHOLDER]
    tagged = nbformat.v4.new_notebook()
    tagged.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["solution"]})]
    assert [c.source for c in notebooks.exercise_notebook(tagged).cells[1:]] == [notebooks.PLACEHOLDER]


def test_solution_download_keeps_every_cell_without_outputs():
    nb = _chapter()
    out = notebooks.solution_notebook(nb)
    assert [c.source for c in out.cells][4:7] == [
        '<a id="ex"></a>\n\n## Exercise 1\n\nTry it.\n\n## Solution to exercise 1\n\nThe answer:',
        "answer = 42",
        "Why it works.\nAfter the solution.",
    ]
    assert all(c.outputs == [] for c in out.cells if c.cell_type == "code")
    assert set(out.metadata) == {"kernelspec", "language_info", "accelerator", "colab"}
    assert notebooks.solution_sources(nb) == ["answer = 42"]
    assert notebooks.solution_sources(out) == ["answer = 42"]


def test_the_install_cell_installs_only_what_is_missing_for_the_drivers_cuda():
    cell = notebooks.INSTALL_CELL
    assert f"for m in {notebooks.REQUIRED_MODULES!r}" in cell
    assert (
        f"%pip install -q {notebooks.INSTALL[13]}\n    else:\n        %pip install -q {notebooks.INSTALL[12]}\n"
        f"        %pip install -q --no-deps {notebooks.INSTALL_NO_DEPS[12]}\n" in cell
    )
    assert notebooks.COLAB_METADATA == {"accelerator": "GPU", "colab": {"provenance": [], "gpuType": "T4"}}


@pytest.mark.parametrize(
    ("text", "spec", "out"),
    [
        ("5", "s", "5"),  # a number shown as text
        ("255.0", "X", "FF"),  # integer formats take the whole part
        ("'2.5'", ".1F", "2.5"),  # float formats read a quoted number
        ("'2.5'", ".1f", "2.5"),
        ("'2.5'", ".1e", "2.5e+00"),
    ],
)
def test_glued_values_are_converted_to_what_the_format_needs(text, spec, out):
    assert notebooks.format_glued(text, spec) == out


def test_a_glued_value_without_a_plain_form_shows_as_nothing():
    nb = _nb(
        nbformat.v4.new_output("display_data", data={f"{GLUE}text/html": "<b>"}, metadata={"scrapbook": {"name": "h"}})
    )
    assert md("[{glue:text}`h`]", nb) == "[]"


def test_numbered_references_link_like_references():
    assert md("(fig-a)=\nSee {numref}`fig-a`.") == '<a id="fig-a"></a>\nSee [fig-a](#fig-a).'


def test_labels_anywhere_in_the_notebooks_prose_can_be_linked_from_any_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("See {ref}`later` and {ref}`code`."),
        nbformat.v4.new_code_cell("(code)=\nx = 1"),
        nbformat.v4.new_markdown_cell("(later)=\n## Later"),
    ]
    out = notebooks.solution_notebook(nb)
    assert out.cells[1].source == "See [later](#later) and code."


def test_a_plain_code_block_ends_at_its_first_bare_fence():
    text = "```\n```python\n```\n{math}`x`"
    assert md(text) == "```\n```python\n```\n$x$"


def test_a_directive_left_open_at_the_end_of_a_cell_keeps_its_last_line():
    assert md(":::{note}\nOne.\nTwo.") == "> **Note**\n>\n> One.\n> Two."
    assert md("```{note}\n```{tip}\nx\n```\ny") == "> **Note**\n>\n> > **Tip**\n> >\n> > x\n>\n> y"
    assert md("```\nx\ny") == "```\nx\ny"  # a plain code block too


def test_a_nested_directive_with_the_same_fence_is_kept_inside():
    assert md("```{note}\n```{tip}\nx\n```\ny\n```\nz") == "> **Note**\n>\n> > **Tip**\n> >\n> > x\n>\n> y\n\nz"
    text = "```{note}\n```{tip}\n```{hint}\nx\n```\n```\ny\n```\nz"
    assert md(text).splitlines()[-3:] == ["> y", "", "z"]


def test_indented_blocks_leave_blank_lines_blank():
    assert md("1. Item\n\n   ```{exercise}\n   Do.\n   ```").splitlines()[2:] == ["   ### Exercise 1", "", "      Do."]


def test_leading_indentation_of_a_cell_is_kept():
    assert md("    indented code\n") == "    indented code\n"
    assert md("X-rays\nare light.X") == "X-rays\nare light.X"  # only blank lines are trimmed


def test_option_blocks_open_or_empty_and_values_with_colons():
    assert md("```{note}\n---\nx\n```") == "> **Note**\n>\n> x"  # an unclosed YAML block is content
    assert md("```{note}\n---\n---\nx\n```") == "> **Note**\n>\n> x"
    assert md("```{figure} a.png\n---\nalt: A: B\n---\n```") == "![A: B](a.png)"
    assert md("```{figure} a.png\n:alt: A: B\n:name: fig\nCap\n```") == "![A: B](a.png)\n\nCap"


def test_a_whitespace_line_opening_a_block_is_dropped():
    assert md(":::{note}\n   \nx\n:::") == "> **Note**\n>\n> x"


def test_solutions_with_content_and_figures_without_alt():
    assert md("```{solution} ex\nBody.\n```") == "### Solution\n\nBody."
    assert md("```{figure} a.png\nLine one\nline two.\n```") == "![Line one line two.](a.png)\n\nLine one\nline two."
    assert md("```{image} a.png\nignored caption\n```") == "![ignored caption](a.png)"


def test_downloads_do_not_share_their_colab_metadata():
    first = notebooks.executed_notebook(_chapter())
    first.metadata["colab"]["provenance"].append("changed")
    assert notebooks.executed_notebook(_chapter()).metadata["colab"]["provenance"] == []
    assert notebooks.COLAB_METADATA["colab"]["provenance"] == []


def test_every_download_links_with_the_chapters_context():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("See {doc}`02-b`.")]
    ctx = Context(docname="chapters/01-a", titles={"chapters/02-b": "Two"})
    for make in (notebooks.executed_notebook, notebooks.exercise_notebook, notebooks.solution_notebook):
        assert make(nb, ctx).cells[1].source == "See [Two](02-b.ipynb).", make.__name__


def test_a_solution_within_one_cell_leaves_its_empty_code_cell_where_the_solution_was():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("Before.\n```{solution-start} ex\n```\nSecret.\n```{solution-end}\n```\nAfter."),
        nbformat.v4.new_markdown_cell("Next.\n```{solution-start} ex\n```\nSecret.\n```{solution-end}\n```"),
        nbformat.v4.new_markdown_cell("Last."),
    ]
    out = notebooks.exercise_notebook(nb)
    placeholder = notebooks.PLACEHOLDER
    assert [c.source for c in out.cells[1:]] == ["Before.\n", placeholder, "After.", "Next.\n", placeholder, "Last."]
    assert [c.cell_type for c in out.cells[1:]] == ["markdown", "code", "markdown", "markdown", "code", "markdown"]
    assert "Secret" not in str(out)
    nbformat.validate(out)

"""Write each chapter's downloads: the executed notebook, its exercises and its solutions.

The notebooks come from :mod:`.notebooks`; this module only names them and writes them into
the built site when the build finished.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

from . import notebooks, staleness
from .chapters import Chapter, dumps

#: Where the downloads go inside the built site.
FOLDER = "_downloads/notebooks"


def names(chapter: Chapter) -> list[tuple[str, str]]:
    """(label, file name) of each download of a chapter, in the banner's order."""
    return [
        ("executed notebook", f"{chapter.name}.ipynb"),
        ("exercises", f"{chapter.name}-exercises.ipynb"),
        ("solutions", f"{chapter.name}-solutions.ipynb"),
    ]


def write(app: Sphinx, loaded: dict[str, staleness.Status]) -> None:
    """Write every chapter's three notebooks under ``FOLDER`` in the output folder."""
    target = Path(app.outdir) / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    titles = {name: title.astext() for name, title in app.env.titles.items()}
    for docname, st in loaded.items():
        if st.executed is None:  # the build loads only fresh chapters, which all ran
            continue
        context = notebooks.Context(docname=docname, titles=titles, docs=Path(app.srcdir))
        made = (notebooks.executed_notebook, notebooks.exercise_notebook, notebooks.solution_notebook)
        for (_, file), make in zip(names(st.chapter), made, strict=True):
            (target / file).write_text(dumps(make(st.executed, context)), encoding="utf-8")


def setup(app: Sphinx, loaded: dict[str, staleness.Status]) -> None:
    """Write the downloads once an HTML build succeeded."""

    def finished(app: Sphinx, exception: Exception | None) -> None:
        if exception is None and app.builder.format == "html":
            write(app, loaded)

    app.connect("build-finished", finished)

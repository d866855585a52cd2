"""Write each chapter's downloads: the executed notebook, its exercises, its solutions, the
package list of the kernel environment that ran it, and the lock file it was installed from.

The notebooks come from :mod:`.notebooks`; this module only names them and writes them into
the built site when the build finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from . import notebooks, provenance, staleness
from .chapters import Chapter, dumps

#: Where the downloads go inside the built site.
FOLDER = "_downloads/notebooks"


def names(chapter: Chapter) -> list[tuple[str, str]]:
    """(label, file name) of each download of a chapter, in the banner's order."""
    return [
        ("executed notebook", f"{chapter.name}.ipynb"),
        ("exercises", f"{chapter.name}-exercises.ipynb"),
        ("solutions", f"{chapter.name}-solutions.ipynb"),
        ("packages of the run", f"{chapter.name}-packages.txt"),
    ]


def package_list(chapter: Chapter, prov: dict[str, Any], lock: Path | None = None) -> str:
    """The kernel environment's packages (name==version), as ``pip install -r`` reads them."""
    gpu = (prov.get("gpu") or {}).get("name", "no GPU")
    head = (
        f"# The Python packages of the Jupyter kernel that executed {chapter.name}\n"
        f"# on {prov.get('date', '?')} ({gpu}; Python {prov.get('python', '?')}), as the chapter's\n"
        "# provenance recorded them. "
    )
    if lock is not None:
        head += (
            f"They were installed from the lock file {lock.name} (offered beside this\n"
            f"# file): `pip install --require-hashes --no-deps -r {lock.name}` makes the same environment.\n"
        )
    else:
        head += (
            "Some came with that machine's image and may not exist on\n"
            "# a package index; README.md gives the install lines for the chapters' own needs.\n"
        )
    return head + "".join(f"{item}\n" for item in prov.get("environment", []))


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
        *notebook_files, (_, packages) = names(st.chapter)
        for (_, file), make in zip(notebook_files, made, strict=True):
            (target / file).write_text(dumps(make(st.executed, context)), encoding="utf-8")
        prov = staleness.stored_provenance(st.executed)
        lock = provenance.lock_of(prov, Path(app.srcdir).parent)
        (target / packages).write_text(package_list(st.chapter, prov, lock), encoding="utf-8")
        if lock is not None:  # the banner links it
            (target / lock.name).write_text(lock.read_text(encoding="utf-8"), encoding="utf-8")


def setup(app: Sphinx, loaded: dict[str, staleness.Status]) -> None:
    """Write the downloads once an HTML build succeeded."""

    def finished(app: Sphinx, exception: Exception | None) -> None:
        if exception is None and app.builder.format == "html":
            write(app, loaded)

    app.connect("build-finished", finished)

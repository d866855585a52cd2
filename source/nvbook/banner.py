"""The provenance banner under each chapter's title, with the chapter's download links.

A placeholder node goes into the doctree when a chapter is read; the HTML writer renders
``templates/nvbook/banner.html`` in its place, with ``pathto`` bound to the page being written
so that every link is made by Sphinx, relative to that page.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.osutil import relative_uri
from sphinx.writers.html5 import HTML5Translator

from . import downloads, execute, provenance, runs, staleness


class provenance_banner(nodes.General, nodes.Element):  # type: ignore[misc]  # docutils: untyped
    """Where the banner goes; holds the chapter's docname."""


def insert(app: Sphinx, doctree: nodes.document, loaded: dict[str, staleness.Status]) -> None:
    """Put the banner placeholder right under a chapter's title."""
    section = doctree.next_node(nodes.section)
    if app.env.docname in loaded and section is not None:
        section.insert(1, provenance_banner(docname=app.env.docname))


def colab_url(config: Any, name: str) -> str | None:
    """The executed notebook in the repository, opened in Colab (GitHub repositories only)."""
    repo = str(config.nvbook_repository_url or "").rstrip("/")
    prefix = "https://github.com/"
    if not repo.startswith(prefix) or repo.count("/") != 4:
        return None
    return (
        f"https://colab.research.google.com/github/{repo[len(prefix) :]}/blob/"
        f"{config.nvbook_repository_branch}/docs/chapters/{name}.ipynb"
    )


def needs(docs: Path, st: staleness.Status) -> list[tuple[str, str]]:
    """What a chapter needs, from its runs and its imports: (label, text) badges."""
    if st.executed is None:
        return []
    prov = staleness.stored_provenance(st.executed)
    badges = []
    memory = runs.memory_needs(docs, st.chapter.name, prov)
    parts = [f"peak {memory['peak_gib']:.1f} GiB in this run"] if memory["peak_gib"] else []
    if memory["cap_gib"]:
        seen = f", peak {memory['cap_peak_gib']:.1f} GiB" if memory["cap_peak_gib"] else ""
        parts.append(f"passed under a {memory['cap_gib']:g} GiB cap{seen}")
    if parts:
        badges.append(("GPU memory", "; ".join(parts)))
    cc = (prov.get("gpu") or {}).get("compute_capability")
    if cc:
        badges.append(("Compute capability", f"ran on {cc}; CUDA 13 supports 7.5 and newer"))
    modules = execute.imported_modules(st.executed) - set(sys.stdlib_module_names)
    badges.append(("Packages", ", ".join(sorted({execute.package_of(m) for m in modules}, key=str.lower))))
    return badges


def setup(app: Sphinx, loaded: dict[str, staleness.Status]) -> None:
    """Register the node and the hook that places it."""

    def visit(self: HTML5Translator, node: provenance_banner) -> None:
        st = loaded[node["docname"]]
        prov = staleness.stored_provenance(st.executed)
        here = self.builder.get_target_uri(node["docname"])
        lock = provenance.lock_of(prov, Path(self.builder.env.srcdir).parent)
        context = {
            "lock": (f"requirements/{lock.name}", f"{downloads.FOLDER}/{lock.name}") if lock else None,
            "gpu": (prov.get("gpu") or {}).get("name"),
            "date": prov.get("date", "?"),
            "summary": provenance.summary(prov),
            "needs": needs(Path(self.builder.env.srcdir), st),
            "downloads": [(label, f"{downloads.FOLDER}/{file}") for label, file in downloads.names(st.chapter)],
            "colab": colab_url(self.builder.config, st.chapter.name),
            "pathto": lambda target, resource=0: (
                relative_uri(here, target) if resource else self.builder.get_relative_uri(node["docname"], target)
            ),
        }
        self.body.append(self.builder.templates.render("nvbook/banner.html", context))
        raise nodes.SkipNode

    app.add_node(provenance_banner, html=(visit, None))
    app.connect("doctree-read", lambda app, doctree: insert(app, doctree, loaded))

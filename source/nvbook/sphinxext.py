"""Sphinx extension: build chapter pages from stored outputs, never from a kernel.

- Before reading anything, refuse to build when a chapter's code changed after
  its outputs were produced (naming the chapter and the command that fixes it).
- Read each chapter's executed ``.ipynb`` with the prose of its current ``.md``
  (prose edits need no GPU run and no sync step to reach the page).
- Put a short provenance banner under each chapter's title.
- ``{nvbook-status}`` renders the execution table of all chapters.
"""

from __future__ import annotations

import html
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.errors import SphinxError

from . import __version__, provenance, staleness
from .chapters import Chapter, find_chapters


class StaleOutputsError(SphinxError):
    category = "Stale chapter outputs"


def _chapters(app: Sphinx) -> dict[str, Chapter]:
    return {c.docname: c for c in find_chapters(Path(app.srcdir))}


def check_fresh(app: Sphinx) -> None:
    try:
        staleness.require_fresh(list(_chapters(app).values()))
    except staleness.StaleChapterError as exc:
        raise StaleOutputsError(str(exc)) from None


def merge_current_prose(app: Sphinx, docname: str, source: list[str]) -> None:
    chapter = _chapters(app).get(docname)
    if chapter is None:
        return
    app.env.note_dependency(str(chapter.md))
    merged = staleness.merge(chapter.read_source(), chapter.read_executed())
    source[0] = staleness.dumps(merged)


def _banner_html(chapter: Chapter, prov: dict) -> str:
    gpu = prov.get("gpu")
    where = f"an <strong>{html.escape(gpu['name'])}</strong>" if gpu else "a machine with <strong>no GPU</strong>"
    lead = (
        f"Outputs on this page come from one run on {where} on {html.escape(prov.get('date', '?'))}, "
        "recorded with the code they belong to."
    )
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in provenance.summary(prov))
    return (
        '<aside class="nvbook-provenance" aria-label="Provenance of the outputs">'
        f'<p class="nvbook-provenance-lead">{lead}</p>'
        f'<details><summary>Run details</summary><dl class="nvbook-provenance-list">{rows}</dl></details>'
        "</aside>"
    )


def insert_banner(app: Sphinx, doctree: nodes.document) -> None:
    chapter = _chapters(app).get(app.env.docname)
    if chapter is None:
        return
    prov = staleness.stored_provenance(chapter.read_executed())
    section = doctree.next_node(nodes.section)
    if section is None or not prov:
        return
    banner = nodes.raw("", _banner_html(chapter, prov), format="html")
    section.insert(1, banner)


class StatusTable(Directive):
    """The execution status of every chapter: when, where, how long, and whether it is fresh."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(__file__)
        head = ["Chapter", "Executed", "GPU", "Run time", "Code hash", "State"]
        body = []
        for chapter in find_chapters(Path(env.srcdir)):
            env.note_dependency(str(chapter.ipynb))
            st = staleness.status(chapter)
            prov = staleness.stored_provenance(chapter.read_executed())
            gpu = (prov.get("gpu") or {}).get("name", "none")
            wall = prov.get("wall_s")
            body.append(
                [
                    chapter.name,
                    prov.get("date", "never"),
                    gpu,
                    f"{wall:.0f} s" if wall is not None else "",
                    str(prov.get("code_hash", ""))[:12],
                    st.state.value,
                ]
            )
        table = nodes.table(classes=["nvbook-status"])
        group = nodes.tgroup(cols=len(head))
        table += group
        group.extend(nodes.colspec(colwidth=1) for _ in head)
        thead, tbody = nodes.thead(), nodes.tbody()
        group += thead
        group += tbody
        for target, rows in ((thead, [head]), (tbody, body)):
            for values in rows:
                row = nodes.row()
                for value in values:
                    row += nodes.entry("", nodes.paragraph(text=value))
                target += row
        return [table]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", check_fresh)
    app.connect("source-read", merge_current_prose)
    app.connect("doctree-read", insert_banner)
    app.add_directive("nvbook-status", StatusTable)
    app.add_css_file("nvbook.css")
    app.connect("builder-inited", _add_static_path)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


def _add_static_path(app: Sphinx) -> None:
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))

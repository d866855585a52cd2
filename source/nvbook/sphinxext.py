"""Sphinx extension: build chapter pages from stored outputs, never from a kernel.

- Before reading anything, refuse to build when a chapter's code changed after
  its outputs were produced (naming the chapter and the command that fixes it).
- Read each chapter's executed ``.ipynb`` with the prose of its current ``.md``
  (prose edits need no GPU run and no sync step to reach the page).
- Put a short provenance banner under each chapter's title, with download links.
- Write each chapter's downloads: the executed notebook, an exercise notebook with the
  solutions removed, and a solution notebook.
- Give every page a description and Open Graph tags for sharing.
- ``{nvbook-status}`` renders the execution table of all chapters; ``{nvbook-results}``
  gathers every comparison the chapters measured.
"""

from __future__ import annotations

import html
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.errors import SphinxError

from . import __version__, notebooks, provenance, results, runs, staleness
from .chapters import Chapter, find_chapters

#: Where the downloads go inside the built site.
DOWNLOADS = "_downloads/notebooks"


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


def download_names(chapter: Chapter) -> dict[str, str]:
    return {
        "executed notebook": f"{chapter.name}.ipynb",
        "exercises": f"{chapter.name}-exercises.ipynb",
        "solutions": f"{chapter.name}-solutions.ipynb",
    }


def colab_url(config, chapter: Chapter) -> str | None:
    """The executed notebook in the repository, opened in Colab (GitHub repositories only)."""
    repo = (config.nvbook_repository_url or "").rstrip("/")
    prefix = "https://github.com/"
    if not repo.startswith(prefix):
        return None
    return (
        f"https://colab.research.google.com/github/{repo[len(prefix) :]}/blob/"
        f"{config.nvbook_repository_branch}/docs/chapters/{chapter.name}.ipynb"
    )


def _downloads_html(config, chapter: Chapter) -> str:
    links = [
        f'<a class="nvbook-download" href="../{DOWNLOADS}/{file}" download>{html.escape(label)}</a>'
        for label, file in download_names(chapter).items()
    ]
    colab = colab_url(config, chapter)
    if colab:
        links.append(f'<a class="nvbook-colab" href="{html.escape(colab)}" rel="noopener">Open in Colab</a>')
    return '<p class="nvbook-downloads">Download: ' + " · ".join(links) + "</p>"


def _banner_html(chapter: Chapter, prov: dict, downloads: str = "") -> str:
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
        f"{downloads}</aside>"
    )


def insert_banner(app: Sphinx, doctree: nodes.document) -> None:
    chapter = _chapters(app).get(app.env.docname)
    if chapter is None:
        return
    prov = staleness.stored_provenance(chapter.read_executed())
    section = doctree.next_node(nodes.section)
    if section is None or not prov:
        return
    banner = nodes.raw("", _banner_html(chapter, prov, _downloads_html(app.config, chapter)), format="html")
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
        return [_table(head, body, "nvbook-status")]


class ResultsTable(Directive):
    """Every comparison from every chapter's stored outputs: a chart, tables, the provenance."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(__file__)
        docs = Path(env.srcdir)
        chapters = find_chapters(docs)
        for chapter in chapters:
            env.note_dependency(str(chapter.ipynb))
        rows, prov = results.gather(chapters)
        repeated = results.repeats(docs, rows, prov)
        best = [r for r in rows if results.is_best(r)]
        naive = [r for r in rows if not results.is_best(r)]
        out = [nodes.raw("", results.speedup_svg(best), format="html")]
        head = [
            "Chapter",
            "Operation",
            "nvmath (ms)",
            "Best peer",
            "Peer (ms)",
            "Speedup",
            "Spread",
            "Verdict",
            "Measured ceiling",
            "nvmath / measured",
            "Nominal peak",
            "nvmath / nominal",
            "Repeat run",
        ]

        def cells(r: dict) -> list[str]:
            ratios = repeated.get(runs.row_key(r), [])
            again = ", ".join(f"{ratio:.2f}" for _, ratio in ratios) or "–"
            if results.is_variable(r, ratios):
                lo, hi = r.get("range") or (None, None)
                again += " variable" + (f" ({lo:.2f}–{hi:.2f}x within the run)" if lo else "")
            return [
                r["chapter"][:2],
                r["operation"],
                f"{r['nvmath_ms']:.3f}",
                r["peer"],
                f"{r['peer_ms']:.3f}",
                f"{r['speedup']:.2f}x",
                results.fmt_spread(r.get("spread")),
                r.get("verdict", "–"),
                r.get("ceiling", "–"),
                results.fmt_fraction(r.get("fraction", r.get("nvmath_fraction"))),
                r.get("nominal_ceiling") or "–",
                results.fmt_fraction(r.get("nominal_fraction")),
                again,
            ]

        out.append(_table(head, [cells(r) for r in best], "nvbook-results"))
        if naive:
            out.append(nodes.rubric(text="Naive baselines (teaching steps, not comparisons)"))
            out.append(_table(head, [cells(r) for r in naive], "nvbook-results-naive"))
        prov_head = ["Chapter", "GPU", "Driver", "CUDA runtime", "nvmath-python", "CuPy", "Executed"]
        prov_body = [
            [
                name,
                (p.get("gpu") or {}).get("name", "?"),
                (p.get("gpu") or {}).get("driver", "?"),
                p.get("cuda_runtime", "?"),
                p.get("packages", {}).get("nvmath-python") or "?",
                p.get("packages", {}).get("CuPy") or "?",
                p.get("date", "?"),
            ]
            for name, p in prov.items()
        ]
        out.append(_table(prov_head, prov_body, "nvbook-results-provenance"))
        return out


def _table(head: list[str], body: list[list[str]], cls: str) -> nodes.table:
    table = nodes.table(classes=[cls])
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
                row += nodes.entry("", nodes.paragraph(text=str(value)))
            target += row
    return table


def write_downloads(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / DOWNLOADS
    target.mkdir(parents=True, exist_ok=True)
    for chapter in _chapters(app).values():
        if chapter.read_executed() is None:
            continue
        executed = staleness.merge(chapter.read_source(), chapter.read_executed())
        names = download_names(chapter)
        variants = {
            names["executed notebook"]: executed,
            names["exercises"]: notebooks.exercise_notebook(executed),
            names["solutions"]: notebooks.solution_notebook(executed),
        }
        for file, nb in variants.items():
            (target / file).write_text(staleness.dumps(nb), encoding="utf-8")


def add_meta_tags(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """A description and Open Graph tags, so shared links show a title and a summary."""
    chapter = _chapters(app).get(pagename)
    description = ""
    if chapter is not None:
        description = chapter.read_source().metadata.get("nvbook", {}).get("description", "")
    if not description:
        description = app.config.nvbook_description
    title = context.get("title") or app.config.project
    project = app.config.project
    tags = [
        f'<meta property="og:title" content="{html.escape(str(title), quote=True)}" />',
        f'<meta property="og:site_name" content="{html.escape(project, quote=True)}" />',
        '<meta property="og:type" content="article" />',
        f'<meta property="og:description" content="{html.escape(description, quote=True)}" />',
    ]
    if 'name="description"' not in context.get("metatags", ""):
        tags.insert(0, f'<meta name="description" content="{html.escape(description, quote=True)}" />')
    context["metatags"] = context.get("metatags", "") + "\n".join(tags)


def setup(app: Sphinx) -> dict:
    app.add_config_value("nvbook_repository_url", "", "html")
    app.add_config_value("nvbook_repository_branch", "main", "html")
    app.add_config_value("nvbook_description", "", "html")
    app.add_directive("nvbook-results", ResultsTable)
    app.connect("build-finished", write_downloads)
    app.connect("html-page-context", add_meta_tags)
    app.connect("builder-inited", check_fresh)
    app.connect("source-read", merge_current_prose)
    app.connect("doctree-read", insert_banner)
    app.add_directive("nvbook-status", StatusTable)
    app.add_css_file("nvbook.css")
    app.connect("builder-inited", _add_static_path)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


def _add_static_path(app: Sphinx) -> None:
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))

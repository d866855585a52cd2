"""Sphinx extension: build chapter pages from their stored outputs, never from a kernel.

Sphinx reads each chapter's executed ``NN-slug.ipynb`` (conf excludes the ``.md`` of the
pair). Before reading anything this module checks every chapter once (fresh, in sync) and
refuses to build otherwise, naming the chapter and the fix; the chapters it loaded serve the
banner (:mod:`.banner`), the downloads (:mod:`.downloads`) and the tables (:mod:`.tables`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from docutils import nodes
from pygments.filter import Filter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Name, Punctuation, Text, Whitespace
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.images import get_image_size

from . import __version__, banner, downloads, locations, mathml, staleness, tables
from .chapters import find_chapters

HERE = Path(__file__).parent


#: The chapters of the build in progress, by docname, loaded once when the builder starts.
LOADED: dict[str, staleness.Status] = {}


def load_chapters(app: Sphinx) -> None:
    """Check and read every chapter once; stop the build when one is not fresh."""
    LOADED.clear()
    try:
        found = staleness.require_fresh(find_chapters(Path(app.srcdir)))
    except staleness.StaleChapterError as exc:
        # SystemExit, not a SphinxError: Sphinx would wrap the message in a crash report.
        raise SystemExit(f"nvbook: the site cannot be built from the stored outputs.\n{exc}") from None
    LOADED.update((s.chapter.docname, s) for s in found)


#: In the output folder while a build runs. Found when a build starts, it means the last one
#: was interrupted (Ctrl-C, a crash): its saved environment and search index are not to be
#: trusted (Sphinx would skip pages it believes written and keep a truncated index).
BUILDING = ".nvbook-building"


def recover(app: Sphinx, _config: Config) -> None:
    """After an interrupted build, drop the saved environment and search index: every page is built."""
    marker = Path(app.outdir, BUILDING)
    if marker.exists():
        # stderr, not Sphinx's log: `sphinx-build -q` (as nox runs it) would hide an info line
        sys.stderr.write(f"nvbook: the last build into {app.outdir} was interrupted; building every page afresh\n")
        Path(app.doctreedir, "environment.pickle").unlink(missing_ok=True)
        Path(app.outdir, "searchindex.js").unlink(missing_ok=True)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def finished(app: Sphinx, exception: BaseException | None) -> None:
    if exception is None:
        Path(app.outdir, BUILDING).unlink(missing_ok=True)


def add_paths(_app: Sphinx, config: Config) -> None:
    """Serve nvbook.css and find the templates under nvbook/ (both ship in the package)."""
    config.html_static_path.append(str(HERE / "static"))
    config.templates_path.append(str(HERE / "templates"))


def describe_chapter(app: Sphinx, pagename: str, _template: str, context: dict[str, Any], _doctree: Any) -> None:
    """Chapters give their front matter's description; sphinxext-opengraph does the other tags."""
    st = LOADED.get(pagename)
    description = st.executed.metadata.get("nvbook", {}).get("description") if st and st.executed else None
    if description:
        context["metatags"] += app.builder.templates.render("nvbook/description.html", {"description": description})


def size_images(app: Sphinx, doctree: nodes.document, _docname: str) -> None:
    """Give every image its width and height, so that the page does not shift as it arrives,
    and let the browser load it only as it nears the view (``loading="lazy"``).

    The HTML writer turns unitless sizes into ``width``/``height`` attributes; the class
    ``no-scaled-link`` keeps Sphinx from wrapping a sized image in a link to itself.
    """
    for node in doctree.findall(nodes.image):
        node.setdefault("loading", "lazy")
        if "width" in node or "height" in node or "scale" in node:
            continue
        size = get_image_size(Path(app.srcdir, node["uri"]))  # PNG, or SVG in pt or px; None if unknown
        if size is not None:
            node["width"], node["height"] = str(size[0]), str(size[1])
            node["classes"].append("no-scaled-link")


class PlainTokens(Filter):
    """Pygments' plain name, punctuation and whitespace tokens as text.

    pydata-sphinx-theme colours them as the code block's own text in both themes, so their
    spans change nothing but the size of the page (6,000 of a chapter's 14,000 elements);
    as ``Token.Text`` they are written without a span.
    """

    PLAIN = (Name, Punctuation, Whitespace)

    def filter(self, _lexer: Any, stream: Iterable[tuple[Any, str]]) -> Iterator[tuple[Any, str]]:
        for ttype, value in stream:
            yield (Text if ttype in self.PLAIN else ttype), value


def plain_lexer(name: str) -> type[Lexer]:
    """Pygments' lexer ``name`` with :class:`PlainTokens` added to it."""
    base = type(get_lexer_by_name(name))

    def init(self: Lexer, **options: Any) -> None:
        base.__init__(self, **options)
        self.add_filter(PlainTokens())

    return type(f"Plain{base.__name__}", (base,), {"__init__": init})


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the configuration values, the hooks and the directives."""
    # Launch links (Colab) appear only when this names a GitHub repository holding the book.
    app.add_config_value("nvbook_repository_url", "", "html", types=frozenset({str}))
    app.add_config_value("nvbook_repository_branch", "main", "html", types=frozenset({str}))
    app.connect("config-inited", add_paths)
    app.connect("config-inited", recover)
    app.connect("build-finished", finished)
    app.connect("builder-inited", load_chapters)
    app.connect("html-page-context", describe_chapter, priority=400)  # before sphinxext-opengraph (500)
    app.connect("doctree-resolved", size_images)
    for name in ("ipython3", "python"):  # the chapters' code cells, and code in the prose
        app.add_lexer(name, plain_lexer(name))
    app.add_css_file("nvbook.css")
    locations.install()  # warnings about a chapter name the .md line, not the .ipynb's
    banner.setup(app, LOADED)
    downloads.setup(app, LOADED)
    tables.setup(app, LOADED)
    mathml.setup(app)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}

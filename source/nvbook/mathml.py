"""Formulas as MathML, converted at build time (``html_math_renderer = "mathml"``).

Browsers draw MathML themselves (Chromium since 109, Firefox, Safari), so a page with
formulas loads no script for them: no 1.1 MB of MathJax on a phone's CPU, formulas that
show offline and at once, and that screen readers read as mathematics.
"""

from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)


def visit_math(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(convert(node.astext(), display="inline"))
    self.body.append("</span>")
    raise nodes.SkipNode


def visit_math_block(self: HTML5Translator, node: nodes.math_block) -> None:
    if node.get("number"):
        logger.warning("numbered equations are not supported by the MathML renderer", location=node)
    self.body.append(self.starttag(node, "div", CLASS="math"))
    self.body.append(convert(node.astext(), display="block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> None:
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))

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


def _mathml(self: HTML5Translator, node: nodes.Element, display: str) -> str:
    """The formula as MathML; one the converter cannot read is a warning at its source line
    (an error under ``-W``) and is shown as its TeX."""
    tex = node.astext()
    try:
        return str(convert(tex, display=display))
    except Exception as exc:  # noqa: BLE001 (any failure of the converter: name the formula)
        logger.warning("formula %r cannot be converted to MathML: %s", tex, exc, location=node)
        return str(self.encode(tex))


def visit_math(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(_mathml(self, node, "inline"))
    self.body.append("</span>")
    raise nodes.SkipNode


def visit_math_block(self: HTML5Translator, node: nodes.math_block) -> None:
    if node.get("number"):
        logger.warning("numbered equations are not supported by the MathML renderer", location=node)
    self.body.append(self.starttag(node, "div", CLASS="math"))
    self.body.append(_mathml(self, node, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> None:
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))

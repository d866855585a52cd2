"""The Sphinx extension's own hooks, without a build: image sizes, plain code tokens, and
recovery from an interrupted build."""

from __future__ import annotations

from types import SimpleNamespace

from docutils import nodes
from nvbook import sphinxext
from pygments.token import Name, Text


def _png(path, width, height):
    """A PNG's signature and whole header chunk (size, then depth, colour type..., CRC)."""
    size = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + size + bytes([8, 6, 0, 0, 0]) + bytes(4))


def test_plain_lexer_writes_names_punctuation_and_whitespace_as_text():
    lexer = sphinxext.plain_lexer("python")()
    tokens = list(lexer.get_tokens("x = len(y)  # count\n"))
    assert {t for t, _ in tokens} & {Name, Text.Whitespace} == set()
    assert (Text, "x") in tokens
    assert (Name.Builtin, "len") in tokens  # other kinds keep their colour
    assert "".join(v for _, v in tokens) == "x = len(y)  # count\n"
    assert type(lexer).__name__ == "PlainPythonLexer"


def test_images_get_their_size_and_no_link_to_themselves(tmp_path):
    _png(tmp_path / "a.png", 640, 480)
    (tmp_path / "b.svg").write_text('<svg xmlns="x" width="360pt" height="180pt"></svg>')
    doc = nodes.document(None, None)
    for uri in ("a.png", "b.svg", "missing.png"):
        doc += nodes.image(uri=uri)
    doc += nodes.image(uri="a.png", width="50%")  # a size the author gave is kept
    sphinxext.size_images(SimpleNamespace(srcdir=tmp_path), doc, "page")
    found = [(i.get("width"), i.get("height"), "no-scaled-link" in i["classes"]) for i in doc.findall(nodes.image)]
    assert found == [("640", "480", True), ("480", "240", True), (None, None, False), ("50%", None, False)]
    assert {i["loading"] for i in doc.findall(nodes.image)} == {"lazy"}


def test_an_interrupted_build_starts_afresh_and_a_finished_one_clears_the_mark(tmp_path, capsys):
    app = SimpleNamespace(outdir=tmp_path / "html", doctreedir=tmp_path / "doctrees")
    app.doctreedir.mkdir()
    sphinxext.recover(app, None)  # first build: nothing to recover, the mark is set
    marker = app.outdir / sphinxext.BUILDING
    assert marker.exists()
    (app.doctreedir / "environment.pickle").write_text("env")
    (app.outdir / "searchindex.js").write_text("Search.setIndex({")  # cut short
    assert capsys.readouterr().err == ""
    sphinxext.recover(app, None)  # the mark is still there: the last build was interrupted
    assert "the last build into" in capsys.readouterr().err  # said even under sphinx-build -q
    assert not (app.doctreedir / "environment.pickle").exists()
    assert not (app.outdir / "searchindex.js").exists()
    sphinxext.finished(app, RuntimeError("failed"))
    assert marker.exists()  # a failed build is not a finished one
    sphinxext.finished(app, None)
    assert not marker.exists()


def test_formulas_become_mathml_inline_and_as_blocks():
    import pytest
    from nvbook import mathml

    body: list[str] = []
    writer = SimpleNamespace(
        body=body, starttag=lambda node, tag, suffix="\n", **atts: f"<{tag} class={atts['CLASS']}>"
    )
    with pytest.raises(nodes.SkipNode):
        mathml.visit_math(writer, nodes.math(text=r"\alpha A B"))
    with pytest.raises(nodes.SkipNode):
        mathml.visit_math_block(writer, nodes.math_block(text=r"\sum_k x_k"))
    inline, block = "".join(body[:3]), "".join(body[3:])
    assert inline.startswith("<span class=math><math") and 'display="inline"' in inline and "&#x003B1;" in inline
    assert block.startswith("<div class=math><math") and 'display="block"' in block and "<munder>" in block


def test_a_formula_the_converter_cannot_read_is_a_warning_and_shown_as_tex(monkeypatch):
    import pytest
    from nvbook import mathml

    warnings = []
    monkeypatch.setattr(mathml.logger, "warning", lambda *args, **kw: warnings.append(args[0] % args[1:]))
    monkeypatch.setattr(mathml, "convert", lambda *a, **k: (_ for _ in ()).throw(ValueError("no such macro")))
    body: list[str] = []
    writer = SimpleNamespace(body=body, starttag=lambda node, tag, suffix="\n", **atts: f"<{tag}>", encode=str)
    with pytest.raises(nodes.SkipNode):
        mathml.visit_math(writer, nodes.math(text=r"\nosuch x"))
    assert body == ["<span>", r"\nosuch x", "</span>"]
    assert warnings == [r"formula '\\nosuch x' cannot be converted to MathML: no such macro"]

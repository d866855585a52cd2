"""The site checker finds broken links, missing anchors and chapter pages without outputs."""

from __future__ import annotations

from nvbook import sitecheck


def _write(path, body):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><head><title>t</title></head><body>{body}</body></html>")


def test_broken_link_and_missing_anchor_are_reported(tmp_path):
    _write(
        tmp_path / "index.html", '<a href="a.html#there">ok</a><a href="a.html#nowhere">x</a><a href="gone.html">y</a>'
    )
    _write(tmp_path / "a.html", '<h1 id="there">A</h1><a href="https://example.org/">external</a>')
    problems = sitecheck.check_links(tmp_path)
    assert problems == [
        "index.html: link to a missing anchor: a.html#nowhere",
        "index.html: <a> points to a missing file: gone.html",
    ]


def test_chapter_page_without_outputs_is_reported(tmp_path):
    docs = tmp_path / "docs"
    (docs / "chapters").mkdir(parents=True)
    (docs / "chapters" / "01-x.md").write_text("# x\n")
    build = tmp_path / "html"
    _write(build / "index.html", "")
    _write(build / "chapters" / "01-x.html", '<div class="output error">boom</div>')
    assert sitecheck.check_chapters(build, docs) == [
        "01-x: no provenance banner",
        "01-x: the page shows no cell outputs",
        "01-x: the page shows an error output",
    ]

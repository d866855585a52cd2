"""Check a built site: chapter pages hold their outputs and provenance, links resolve.

Reads the HTML with the standard library only, so it runs anywhere the site
was built.
"""

from __future__ import annotations

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .chapters import find_chapters


class _Page(HTMLParser):
    """The facts about one HTML page that the checks need."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.classes: list[set[str]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        self.classes.append(set((a.get("class") or "").split()))
        if tag == "a" and a.get("href"):
            self.links.append((tag, a["href"]))
        elif tag in ("img", "script", "iframe", "source") and a.get("src"):
            self.links.append((tag, a["src"]))
        elif tag == "link" and a.get("href"):
            self.links.append((tag, a["href"]))
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def has_class(self, *names: str) -> bool:
        want = set(names)
        return any(want <= c for c in self.classes)

    def count_class(self, name: str) -> int:
        return sum(name in c for c in self.classes)


def read_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.scheme not in ("file",)) or url.startswith("//")


def check_links(build: Path) -> list[str]:
    """Every internal link, image, script and stylesheet resolves; every anchor exists."""
    problems = []
    # _static holds theme templates, not pages.
    pages = {p: read_page(p) for p in build.rglob("*.html") if "_static" not in p.relative_to(build).parts}
    for path, page in pages.items():
        for tag, url in page.links:
            if _is_external(url) or url.startswith(("mailto:", "data:", "javascript:")):
                continue
            parts = urlsplit(url)
            if not parts.path:
                target = path
            elif parts.path.startswith("/"):  # root-absolute (the 404 page): the site is served at the root
                target = (build / unquote(parts.path).lstrip("/")).resolve()
            else:
                target = (path.parent / unquote(parts.path)).resolve()
            rel = path.relative_to(build).as_posix()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{rel}: <{tag}> points to a missing file: {url}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else read_page(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{rel}: link to a missing anchor: {url}")
    return problems


def check_chapters(build: Path, docs: Path) -> list[str]:
    """Each chapter page exists with its outputs, its provenance banner and no error output."""
    problems = []
    for chapter in find_chapters(docs):
        html = build / f"{chapter.docname}.html"
        if not html.exists():
            problems.append(f"{chapter.name}: no page {html}")
            continue
        page = read_page(html)
        if not page.has_class("nvbook-provenance"):
            problems.append(f"{chapter.name}: no provenance banner")
        if page.count_class("cell_output") == 0:
            problems.append(f"{chapter.name}: the page shows no cell outputs")
        if page.has_class("output", "error") or page.has_class("output", "traceback"):
            problems.append(f"{chapter.name}: the page shows an error output")
    return problems


def check_site(build: Path, docs: Path) -> list[str]:
    if not (build / "index.html").exists():
        return [f"{build} holds no built site (no index.html); build it with `nox -s docs`"]
    return check_chapters(build, docs) + check_links(build)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nvbook sitecheck", description="Check a built site.")
    parser.add_argument("build", nargs="?", type=Path, default=Path("build/html"))
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    problems = check_site(args.build, args.docs)
    for line in problems:
        print(line, file=sys.stderr)
    print(f"sitecheck: {len(problems)} problem(s) in {args.build}", file=sys.stderr)
    return 1 if problems else 0

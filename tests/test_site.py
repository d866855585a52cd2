"""The real site, built from the committed outputs, shows them and links correctly."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import BOOK_CHAPTERS, sphinx_build
from nvbook import staleness

CHAPTERS = BOOK_CHAPTERS


def _glue_only(output) -> bool:
    data = output.get("data", {})
    return bool(data) and all(k.startswith("application/papermill.record") for k in data)


def _page(site, chapter):
    return BeautifulSoup((site / f"{chapter.docname}.html").read_text(), "html.parser")


def test_every_internal_link_and_anchor_resolves(real_site):
    problems = []
    pages = {
        p: BeautifulSoup(p.read_text(), "html.parser") for p in real_site.rglob("*.html") if "_static" not in p.parts
    }
    for path, page in pages.items():
        for el in page.select("[href], [src]"):
            url = urlsplit(el.get("href") or el.get("src"))
            if url.scheme or url.netloc or (el.name == "a" and not url.path and not url.fragment):
                continue
            root = real_site if url.path.startswith("/") else path.parent  # the 404 page links from the root
            target = (root / unquote(url.path).lstrip("/")).resolve() if url.path else path
            target = target / "index.html" if target.is_dir() else target
            if not target.exists():
                problems.append(f"{path.relative_to(real_site)}: {url.geturl()} is missing")
            elif url.fragment and target.suffix == ".html":
                ids = {
                    t.get("id")
                    for t in (pages.get(target) or BeautifulSoup(target.read_text(), "html.parser")).select("[id]")
                }
                if unquote(url.fragment) not in ids:
                    problems.append(f"{path.relative_to(real_site)}: no anchor for {url.geturl()}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_chapter_page_holds_outputs_and_banner(real_site, chapter):
    page = _page(real_site, chapter)
    banner = page.select_one(".nvbook-provenance")
    assert banner is not None
    gpu = staleness.stored_provenance(chapter.read_executed())["gpu"]["name"]
    assert gpu in banner.get_text()
    # every stored output of the notebook appears on the page (glue records with
    # display=False carry figures into the prose and render nothing where they stand)
    stored = sum(
        1 for c in chapter.read_executed().cells if c.cell_type == "code" and any(not _glue_only(o) for o in c.outputs)
    )
    assert len(page.select("div.cell_output")) == stored
    assert not page.select(".output.error, .output.traceback")


def test_kernel_fusion_page_shows_its_measurements(real_site):
    page = BeautifulSoup((real_site / "chapters/01-kernel-fusion.html").read_text(), "html.parser")
    text = page.get_text()
    assert "sm80_xmma_gemm" in text  # the profiler's kernel list
    assert page.select("div.cell_output img")  # the plot
    assert page.select("div.cell_output table")  # the results table
    assert page.select(".solution.dropdown")  # the exercise solution is hidden until opened


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_no_error_output_is_stored(chapter):
    for i, cell in enumerate(json.loads(chapter.ipynb.read_text())["cells"]):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{chapter.name} cell {i}"
            if output["output_type"] == "stream":
                assert "Traceback (most recent call last)" not in "".join(output["text"])


def test_status_page_lists_every_chapter(real_site):
    page = BeautifulSoup((real_site / "about/building.html").read_text(), "html.parser")
    table = page.select_one("table.nvbook-status")
    assert table is not None
    text = table.get_text()
    for chapter in CHAPTERS:
        assert chapter.name in text
        assert staleness.stored_provenance(chapter.read_executed())["code_hash"][:12] in text


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_exercise_download_keeps_nothing_of_the_solutions(real_site, chapter):
    downloads = real_site / "_downloads" / "notebooks"
    exercise = json.loads((downloads / f"{chapter.name}-exercises.ipynb").read_text())
    solutions = json.loads((downloads / f"{chapter.name}-solutions.ipynb").read_text())
    text = json.dumps(exercise)
    assert "solution-start" not in text
    assert "solution-end" not in text
    assert not {"nvbook", staleness.PROVENANCE_KEY} & set(exercise["metadata"])  # no provenance or settings
    for cell in exercise["cells"]:
        assert "solution" not in cell["metadata"].get("tags", [])
        assert not cell.get("outputs")
    solution_code = ["".join(c["source"]) for c in solutions["cells"] if "solution" in c["metadata"].get("tags", [])]
    assert solution_code, f"{chapter.name} has no solution cell"
    elsewhere = json.dumps([c for c in solutions["cells"] if "solution" not in c["metadata"].get("tags", [])])
    distinctive = [
        line.strip()
        for code in solution_code
        for line in code.splitlines()
        if len(line.strip()) > 25 and json.dumps(line.strip())[1:-1] not in elsewhere
    ]
    assert distinctive, f"{chapter.name}: the solution has no line of its own to look for"
    for line in distinctive:
        assert json.dumps(line)[1:-1] not in text, line
    assert "# Your solution here" in text


def test_chapter_pages_link_their_downloads_and_no_launch_link_by_default(real_site):
    for chapter in CHAPTERS:
        page = _page(real_site, chapter)
        hrefs = [a["href"] for a in page.select(".nvbook-downloads a")]
        assert hrefs == [
            *(f"../_downloads/notebooks/{chapter.name}{end}.ipynb" for end in ("", "-exercises", "-solutions")),
            f"../_downloads/notebooks/{chapter.name}-packages.txt",
        ]
        assert all((real_site / "chapters" / h).resolve().is_file() for h in hrefs)
        # the package list is the whole environment of the kernel that ran the chapter
        packages = (real_site / "chapters" / hrefs[-1]).resolve().read_text(encoding="utf-8").splitlines()
        environment = chapter.read_executed().metadata[staleness.PROVENANCE_KEY]["environment"]
        assert [line for line in packages if not line.startswith("#")] == environment
        assert not page.select(".nvbook-colab")  # conf names no repository


def test_launch_link_appears_when_a_repository_is_named(executed_fixture_book, tmp_path):
    url = "https://github.com/someone/a-book"
    result = sphinx_build(executed_fixture_book, tmp_path / "html", "-D", f"nvbook_repository_url={url}")
    assert result.returncode == 0, result.stdout + result.stderr
    page = BeautifulSoup((tmp_path / "html/chapters/01-arithmetic.html").read_text(), "html.parser")
    assert [a["href"] for a in page.select("a.nvbook-colab")] == [
        "https://colab.research.google.com/github/someone/a-book/blob/main/docs/chapters/01-arithmetic.ipynb"
    ]


def test_missing_url_gets_the_404_page_with_working_links(real_site):
    """Served as a web server serves it: any missing URL answers 404 with the site's 404 page."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(real_site), **kwargs)

        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            body = (real_site / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None

        def log_message(self, *args):
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/chapters/no/such/page.html")
        assert missing.value.code == 404
        page = BeautifulSoup(missing.value.read(), "html.parser")
        assert "not found" in page.get_text().lower()
        local = [
            u for u in (el.get("href") or el.get("src") for el in page.select("[href], [src]")) if u.startswith("/")
        ]
        assert local, "the 404 page links nothing on the site"
        for url in local:  # resolved from the missing URL's folder, as a browser does
            with urllib.request.urlopen(base + urlsplit(url).path) as response:
                assert response.status == 200, url
        server.shutdown()


def test_results_page_gathers_every_stored_comparison(real_site):
    from nvbook import results

    rows, provenance = results.gather({c.name: c.read_executed() for c in CHAPTERS})
    assert len(provenance) == len(CHAPTERS)
    page = BeautifulSoup((real_site / "results.html").read_text(), "html.parser")
    best = [r for r in rows if results.is_best(r)]
    table = page.select_one("table.nvbook-results")
    naive = page.select_one("table.nvbook-results-naive")
    # best-effort comparisons in the main table and the chart; naive ones apart
    assert len(table.select("tbody tr")) == len(best) > 10
    assert len(naive.select("tbody tr")) == len(rows) - len(best) > 0
    assert len(page.select("svg.nvbook-results-chart rect")) == len(best)
    first = rows[0]
    assert first["operation"] in table.get_text()


def test_pages_have_descriptions_for_sharing(real_site):
    for name in ["index.html", "results.html", *[f"{c.docname}.html" for c in CHAPTERS]]:
        page = BeautifulSoup((real_site / name).read_text(), "html.parser")
        description = page.select_one('meta[name="description"]')
        assert description is not None and len(description["content"]) > 40, name
        assert page.select_one('meta[property="og:title"]') is not None, name
        assert page.title.get_text().strip(), name


def test_no_page_loads_anything_from_another_host(real_site):
    for path in real_site.rglob("*.html"):
        page = BeautifulSoup(path.read_text(), "html.parser")
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for el in page.find_all(tag):
                url = el.get(attr) or ""
                rel = el.get("rel") or []
                if tag == "link" and not {"stylesheet", "icon", "preload"} & set(rel):
                    continue
                assert not url.startswith(("http://", "https://", "//")), f"{path.name}: {url}"

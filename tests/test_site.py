"""The real site, built from the committed outputs, shows them and links correctly."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from conftest import BOOK_CHAPTERS, ROOT
from nvbook import sitecheck

CHAPTERS = BOOK_CHAPTERS


def _glue_only(output) -> bool:
    data = output.get("data", {})
    return bool(data) and all(k.startswith("application/papermill.record") for k in data)


def _page(site, chapter):
    return BeautifulSoup((site / f"{chapter.docname}.html").read_text(), "html.parser")


def test_site_passes_sitecheck(real_site):
    assert sitecheck.check_site(real_site, ROOT / "docs") == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_chapter_page_holds_outputs_and_banner(real_site, chapter):
    page = _page(real_site, chapter)
    banner = page.select_one(".nvbook-provenance")
    assert banner is not None
    gpu = chapter.read_executed().metadata["nvbook"]["provenance"]["gpu"]["name"]
    assert gpu in banner.get_text()
    # every stored output of the notebook appears on the page (glue records with
    # display=False carry figures into the prose and render nothing where they stand)
    stored = sum(
        1
        for c in chapter.read_executed().cells
        if c.cell_type == "code" and any(not _glue_only(o) for o in c.outputs)
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
    assert "fresh" in text


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_exercise_download_keeps_nothing_of_the_solutions(real_site, chapter):
    downloads = real_site / "_downloads" / "notebooks"
    exercise = json.loads((downloads / f"{chapter.name}-exercises.ipynb").read_text())
    solutions = json.loads((downloads / f"{chapter.name}-solutions.ipynb").read_text())
    text = json.dumps(exercise)
    assert "solution-start" not in text and "solution-end" not in text
    assert set(exercise["metadata"]) <= {"kernelspec", "language_info"}
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


def test_chapter_pages_link_their_downloads_and_colab(real_site):
    for chapter in CHAPTERS:
        page = _page(real_site, chapter)
        hrefs = [a["href"] for a in page.select(".nvbook-downloads a")]
        assert f"../_downloads/notebooks/{chapter.name}-exercises.ipynb" in hrefs
        assert any(h.startswith("https://colab.research.google.com/github/") and chapter.name in h for h in hrefs)


def test_results_page_gathers_every_stored_comparison(real_site):
    from nvbook import results

    rows, provenance = results.gather(CHAPTERS)
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

"""The real site, built from the committed outputs, shows them and links correctly."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT
from nvbook import sitecheck
from nvbook.chapters import find_chapters

CHAPTERS = find_chapters(ROOT / "docs")


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
    # every stored output of the notebook appears on the page
    stored = sum(1 for c in chapter.read_executed().cells if c.cell_type == "code" and c.outputs)
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

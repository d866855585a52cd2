"""A real browser over the built site, served locally: what a reader's browser would do.

Uses Playwright with the distribution's Chromium (``/usr/bin/chromium``; CI installs it).
Without a browser these tests are skipped, unless NVBOOK_REQUIRE_BROWSER=1 (set by
.ci/run), in which case they fail.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import shutil
import threading
from urllib.parse import unquote, urlsplit

import pytest
from conftest import ROOT
from nvbook.chapters import find_chapters

CHROMIUM = os.environ.get("NVBOOK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site_url(real_site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(real_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("NVBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium found: install the distribution's chromium package (see .ci/run)")
        pytest.skip("no Chromium on this machine; .ci/run installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    yield pg
    context.close()


def _pages(real_site):
    names = [p.relative_to(real_site).as_posix() for p in real_site.rglob("*.html")]
    return sorted(n for n in names if not n.startswith("_"))


def test_every_page_loads_without_errors_or_requests_to_other_hosts(page, site_url, real_site):
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error on {page.url}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error on {page.url}: {e}"))

    def on_request(request):
        host = urlsplit(request.url).hostname
        if request.url.startswith(("http://", "https://")) and host != "127.0.0.1":
            problems.append(f"request to another host from {page.url}: {request.url}")

    page.on("request", on_request)
    pages = _pages(real_site)
    assert len(pages) >= 10, pages
    for name in pages:
        response = page.goto(f"{site_url}/{name}", wait_until="networkidle")
        assert response is not None and response.ok, name
    assert problems == []


def test_copy_button_copies_exactly_the_code(page, site_url):
    chapter = find_chapters(ROOT / "docs")[0]
    first_code = next(c.source for c in chapter.read_source().cells if c.cell_type == "code")
    first_output = next(c for c in chapter.read_executed().cells if c.cell_type == "code").outputs[0].text
    page.goto(f"{site_url}/{chapter.docname}.html", wait_until="networkidle")
    cell = page.locator("div.cell").first
    cell.hover()
    cell.locator("button.copybtn").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == first_code.strip()
    assert first_output.splitlines()[0] not in copied  # the cell's output is not copied


def test_theme_toggle_switches_between_light_and_dark(page, site_url):
    page.goto(f"{site_url}/index.html", wait_until="networkidle")
    for mode in ("dark", "light", "dark"):
        page.locator("button.theme-switch-button").first.click()
        page.locator(f'button.theme-change-button[data-mode="{mode}"]').first.click()
        assert page.evaluate("document.documentElement.dataset.theme") == mode


def test_plots_keep_a_light_background_in_the_dark_theme(page, site_url):
    page.goto(f"{site_url}/chapters/01-kernel-fusion.html", wait_until="networkidle")
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    background = page.locator("div.cell_output img").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 255, 255)"


def test_exercise_solution_is_hidden_until_opened(page, site_url):
    page.goto(f"{site_url}/chapters/01-kernel-fusion.html", wait_until="networkidle")
    solution = page.locator(".solution.dropdown").first
    body = solution.locator("section").first
    assert not body.is_visible()
    solution.locator(".admonition-title").first.click()
    body.wait_for(state="visible", timeout=5000)


def test_search_finds_a_chapter(page, site_url):
    page.goto(f"{site_url}/search.html?q=cuDSS", wait_until="networkidle")
    page.wait_for_selector("#search-results li a", timeout=10000)
    links = page.locator("#search-results li a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any("06-direct-sparse-solver" in href for href in links), links


def test_missing_page_gets_the_404_page(page, site_url):
    response = page.goto(f"{site_url}/404.html", wait_until="networkidle")
    assert response.ok
    assert "not found" in page.content().lower()


# ---- Readers on phones, with screen readers, on slow links (issue 12) ----------------------

PHONE = {"width": 360, "height": 800}
#: Everything a chapter page loads, gzipped, at most (images, scripts, fonts).
PAGE_BUDGET = 1_000_000
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    pg = context.new_page()
    yield pg
    context.close()


def _scroll_through(page) -> None:
    """Scroll a page to its end a screen at a time, then wait for what that loaded."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 700):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(20)
    page.wait_for_load_state("networkidle")


def test_formulas_are_mathml_the_browser_draws_with_no_script(phone, site_url):
    requests: list[str] = []

    def listener(request):
        requests.append(request.url)

    phone.on("request", listener)
    phone.goto(f"{site_url}/chapters/07-sparse-tensors.html", wait_until="networkidle")
    phone.remove_listener("request", listener)
    assert not [url for url in requests if "mathjax" in url.lower()]
    # every formula is MathML, and the browser gives it a size (it draws it)
    sizes = phone.evaluate(
        "Array.from(document.querySelectorAll('article .math')).map(e => {"
        "  const m = e.querySelector('math'); if (!m) return null;"
        "  const r = m.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert len(sizes) > 50
    assert None not in sizes
    shown = [s for s in sizes if s[1] > 0]  # formulas in closed solutions have no box
    assert shown and all(w > 0 for w, _ in shown)
    # the math font arrives after the page, from the site itself
    phone.wait_for_function(
        "[...document.fonts].some(f => f.family.includes('STIX Two Math') && f.status === 'loaded')", timeout=10_000
    )


def _gzipped_size(real_site, urls, site_url) -> int:
    total = 0
    for url in dict.fromkeys(urls):
        if url.startswith(site_url):
            path = real_site / unquote(urlsplit(url).path.lstrip("/"))
            if path.is_file():
                total += len(gzip.compress(path.read_bytes(), 6))
    return total


def test_no_page_is_wider_than_a_phone_and_chapters_stay_light(phone, site_url, real_site):
    wide, heavy = [], []
    for name in _pages(real_site):
        urls: list[str] = []

        def listener(request, urls=urls):
            urls.append(request.url)

        phone.on("request", listener)
        phone.goto(f"{site_url}/{name}", wait_until="networkidle")
        _scroll_through(phone)  # what loads on the way down counts too
        phone.remove_listener("request", listener)
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide.append(f"{name}: {width} px")
        # the "On this page" button and the menu stay on the screen
        for button in phone.locator("header button.sidebar-toggle").all():
            box = button.bounding_box()
            if box is not None and box["x"] + box["width"] > PHONE["width"]:
                wide.append(f"{name}: a header button at {box['x'] + box['width']:.0f} px")
        weight = _gzipped_size(real_site, urls, site_url)
        if weight > PAGE_BUDGET:
            heavy.append(f"{name}: {weight / 1e6:.2f} MB gzipped")
    assert wide == [], "pages wider than a 360 px screen"
    assert heavy == [], "pages over the weight budget"


def test_wide_tables_scroll_inside_their_box(phone, site_url):
    phone.goto(f"{site_url}/chapters/01-kernel-fusion.html", wait_until="networkidle")
    box = phone.locator("div.cell_output .pst-scrollable-table-container").first
    sizes = box.evaluate("e => [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX]")
    assert sizes[0] > sizes[1] and sizes[2] == "auto", sizes  # it scrolls, the page does not


def test_every_figure_has_alt_text_that_says_what_it_shows(real_site):
    from bs4 import BeautifulSoup

    missing = []
    for name in _pages(real_site):
        page = BeautifulSoup((real_site / name).read_text(encoding="utf-8"), "html.parser")
        for img in page.select("article img"):
            alt = (img.get("alt") or "").strip()
            if len(alt) < 15 or "_images/" in alt or alt.endswith((".png", ".svg")):
                missing.append(f"{name}: {img.get('src')} alt={alt!r}")
    assert missing == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation(browser, site_url, real_site, theme):
    """Every page in the light theme; in the dark one (colours only differ) a page of each kind."""
    script = AXE.read_text(encoding="utf-8")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme=theme)
    pg = context.new_page()
    found = []
    pages = _pages(real_site)
    if theme == "dark":
        pages = ["index.html", "results.html", "about/building.html", "chapters/01-kernel-fusion.html"]
    for name in pages:
        pg.goto(f"{site_url}/{name}", wait_until="networkidle")
        assert pg.evaluate("document.documentElement.dataset.theme") == theme
        pg.add_script_tag(content=script)
        violations = pg.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ' (' + v.nodes.length + ')')"
        )
        found += [f"{name}: {v}" for v in violations]
    context.close()
    assert found == []

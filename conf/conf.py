"""Sphinx configuration for *nvmath-python by example*.

Build with ``sphinx-build -c conf docs build/html`` (what ``nox -s docs`` runs).
Pages come from stored, executed notebooks: nothing runs a kernel here.
"""

# -- Project -----------------------------------------------------------------
project = "nvmath-python by example"
author = "The nvmath-python by example authors"
copyright = "2026, the nvmath-python by example authors"
# Launch links: set this to the GitHub repository that publishes the book (for example
# "https://github.com/OWNER/REPO") and each chapter's banner links its executed notebook on
# that branch, opened in Colab. Empty (the default): no launch links.
nvbook_repository_url = ""
nvbook_repository_branch = "main"

# -- General -----------------------------------------------------------------
extensions = [
    "myst_nb",  # MyST markdown and executed notebooks
    "sphinx_copybutton",  # copy buttons on code cells
    "sphinx_exercise",  # exercise and solution blocks
    "sphinx_togglebutton",  # solutions hidden until opened
    "sphinx_design",  # chapter cards on the landing page
    "notfound.extension",  # a 404 page whose links work from any missing URL
    "sphinxext.opengraph",  # description and Open Graph tags for shared links
    "nvbook.sphinxext",  # stale-output check, provenance banner, downloads, status and results tables
]
# Chapters are jupytext pairs: docs/chapters/NN-slug.md (edited) and NN-slug.ipynb (the same
# cells with the outputs of the GPU run). Sphinx reads the .ipynb; nvbook.sphinxext refuses
# to build when a pair is out of sync or its outputs are stale.
exclude_patterns = ["chapters/[0-9][0-9]-*.md", "**/.ipynb_checkpoints", "**/.*.tmp"]
suppress_warnings = [
    # myst-nb notes that it reads notebooks with text/plain fallbacks; harmless.
    "mystnb.unknown_mime_type",
]

# -- MyST --------------------------------------------------------------------
myst_enable_extensions = [
    "colon_fence",  # ::: fences for directives that hold markdown
    "dollarmath",  # $...$ and $$...$$ math
    "deflist",
    "smartquotes",
]
myst_heading_anchors = 3  # stable #anchors for section links

# -- MyST-NB -----------------------------------------------------------------
# Outputs come from the GPU run stored in the .ipynb; the build never executes
# (no GPU, no network, no kernel on the machines that build the site).
nb_execution_mode = "off"
nb_merge_streams = True  # one block per stdout/stderr run, as a reader expects
nb_render_markdown_format = "myst"  # markdown outputs (result tables) need GFM tables, not plain CommonMark
nb_render_image_options = {"align": "center"}

# -- HTML --------------------------------------------------------------------
# Formulas are converted to MathML when the site is built (source/nvbook/mathml.py): the
# browser draws them, and no page loads a script for them.
html_math_renderer = "mathml"
# _templates/layout.html: the theme's layout without the scripts no page needs (see there).
templates_path = ["_templates"]
html_theme = "pydata_sphinx_theme"
html_title = "nvmath-python by example"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_js_files = [("book.js", {"defer": "defer"})]  # accessible names for code toggles
html_last_updated_fmt = None
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
    "use_edit_page_button": False,
}
# The header bar holds the three sections (Chapters, Results, How this book is built); the
# left sidebar lists the chapters inside the Chapters section. Pages without siblings get
# no sidebar rather than an empty one.
html_sidebars = {"chapters/*": ["sidebar-nav-bs"], "index": [], "results": [], "about/*": []}
html_copy_source = False  # readers download notebooks, not Sphinx's .txt copies
html_favicon = "_static/favicon.png"  # without one, browsers request /favicon.ico and log a 404
# Start readers in the theme their system prefers; without a default the theme logs an
# error on a first visit ("invalid theme mode").
html_context = {"default_mode": "auto"}

# -- Open Graph ----------------------------------------------------------------
ogp_social_cards = {"enable": False}  # no generated preview images (they need matplotlib and a site URL)
ogp_type = "article"

# -- 404 page ----------------------------------------------------------------
# Links on the 404 page are absolute from this prefix: "/" when the site is served at the
# root of a host (as `nox -s serve` and the browser tests do). Set it for a sub-path.
notfound_urls_prefix = "/"

# -- Copy button -------------------------------------------------------------
# Copy code only: no prompts, no outputs (outputs are separate blocks anyway).
copybutton_exclude = ".linenos, .gp, .go"
copybutton_selector = "div.cell_input div.highlight pre, div.highlight pre"

# -- Warnings ----------------------------------------------------------------
nitpicky = True

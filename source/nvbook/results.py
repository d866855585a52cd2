"""Gather every comparison the chapters measured, from their stored outputs.

Each chapter's summary cell publishes its comparisons twice: as a Markdown table for the
page, and as JSON under the MIME type below for this module. Nothing here is typed in:
the rows come from the executed notebooks, with each chapter's provenance beside them.
"""

from __future__ import annotations

import html
import math

from . import staleness
from .chapters import Chapter

MIME = "application/vnd.nvbook.results+json"


def chapter_results(chapter: Chapter) -> list[dict]:
    nb = chapter.read_executed()
    if nb is None:
        return []
    rows = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME in data:
                rows.extend(dict(r) for r in data[MIME])
    return rows


def gather(chapters: list[Chapter]) -> tuple[list[dict], dict[str, dict]]:
    """All result rows in book order, and each chapter's provenance."""
    rows, provenance = [], {}
    for chapter in chapters:
        found = chapter_results(chapter)
        if found:
            rows.extend(found)
            provenance[chapter.name] = staleness.stored_provenance(chapter.read_executed())
    return rows, provenance


def fmt_fraction(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def _short(text: str, n: int) -> str:
    """At most n characters, cut in the middle: rows of one chapter share their beginnings."""
    if len(text) <= n:
        return text
    head = (n - 1) // 2
    return text[:head] + "…" + text[len(text) - (n - 1 - head) :]


def speedup_svg(rows: list[dict], width: int = 900) -> str:
    """A horizontal bar chart of speedups on a log scale, as inline SVG.

    Colours come from CSS classes (see nvbook.css), so the chart follows the light and the
    dark theme; text uses currentColor.
    """
    bar_h, gap, left, right = 16, 6, 470, 60
    height = len(rows) * (bar_h + gap) + 40
    lo, hi = 0.25, max(32.0, max((r["speedup"] for r in rows), default=1) * 1.2)
    span = math.log10(hi) - math.log10(lo)

    def x(v: float) -> float:
        return left + (math.log10(max(v, lo)) - math.log10(lo)) / span * (width - left - right)

    parts = [
        (
            f'<svg class="nvbook-results-chart" viewBox="0 0 {width} {height}" role="img" '
            'aria-label="Speedup of nvmath-python over its peer for every comparison in the book" '
            'xmlns="http://www.w3.org/2000/svg" font-size="11" fill="currentColor">'
        )
    ]
    for tick in (0.25, 0.5, 1, 2, 4, 8, 16, 32):
        if tick <= hi:
            cls = "axis-one" if tick == 1 else "axis"
            parts.append(f'<line class="{cls}" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="14" y2="{height - 18}"/>')
            parts.append(f'<text x="{x(tick):.1f}" y="{height - 4}" text-anchor="middle">{tick:g}x</text>')
    for i, r in enumerate(rows):
        y = 20 + i * (bar_h + gap)
        s = r["speedup"]
        cls = "win" if s >= 1 else "loss"
        x0, x1 = sorted((x(1), x(s)))
        label = html.escape(f"{r['chapter'][:2]} · {_short(r['operation'], 44)} vs {_short(r['peer'], 18)}")
        parts.append(f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end">{label}</text>')
        parts.append(
            f'<rect class="{cls}" x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar_h}">'
            f"<title>{html.escape(r['operation'])}: {s:.2f}x vs {html.escape(r['peer'])}</title></rect>"
        )
        parts.append(f'<text x="{max(x1, x(1)) + 4:.1f}" y="{y + bar_h - 4}">{s:.2f}x</text>')
    parts.append("</svg>")
    return "".join(parts)

"""Gather every comparison the chapters measured, from their stored outputs.

Each chapter's summary cell publishes its comparisons twice: as a Markdown table for the
page, and as JSON under the MIME type below for this module. Nothing here is typed in:
the rows come from the executed notebooks, with each chapter's provenance beside them.
"""

from __future__ import annotations

import html
import math

from pathlib import Path

from . import runs, staleness
from .chapters import Chapter

MIME = "application/vnd.nvbook.results+json"


def chapter_results(chapter: Chapter) -> list[dict]:
    nb = chapter.read_executed()
    return [] if nb is None else runs.rows_of(nb)


def gather(chapters: list[Chapter]) -> tuple[list[dict], dict[str, dict]]:
    """All result rows in book order, and each chapter's provenance."""
    rows, provenance = [], {}
    for chapter in chapters:
        found = chapter_results(chapter)
        if found:
            rows.extend(found)
            provenance[chapter.name] = staleness.stored_provenance(chapter.read_executed())
    return rows, provenance


def is_best(row: dict) -> bool:
    """Rows against a best-effort peer (rows from before peer kinds existed count as naive)."""
    return row.get("peer_kind") == "best"


def repeats(docs: Path, rows: list[dict], provenance: dict[str, dict]) -> dict[tuple, list[tuple[str, float]]]:
    """For each row, (run, speedup ratio) of every other recorded run on the same GPU model.

    The published run itself (same timestamp as the stored notebook) is left out.
    """
    found: dict[tuple, list[tuple[str, float]]] = {}
    for name, record in runs.all_runs(docs).items():
        for chapter, rec in record.items():
            published = provenance.get(chapter, {})
            prov = rec.get("provenance", {})
            same_gpu = (prov.get("gpu") or {}).get("name") == (published.get("gpu") or {}).get("name")
            if not same_gpu or prov.get("timestamp_utc") == published.get("timestamp_utc"):
                continue
            theirs = {runs.row_key(r): r for r in rec.get("rows", [])}
            for row in rows:
                other = theirs.get(runs.row_key(row))
                if row["chapter"] == chapter and other is not None:
                    found.setdefault(runs.row_key(row), []).append((name, runs.agreement(row, other)))
    return found


def is_variable(row: dict, ratios: list[tuple[str, float]]) -> bool:
    """Marked variable by the chapter, or a repeat run disagreed by more than 10%."""
    return bool(row.get("variable")) or any(abs(r - 1) > runs.AGREEMENT for _, r in ratios)


def fmt_fraction(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def fmt_spread(value) -> str:
    return "–" if value is None else f"{value:.1%}"


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
        label = html.escape(f"{r['chapter'][:2]} · {_short(r['operation'], 40)} vs {_short(r['peer'], 22)}")
        parts.append(f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end">{label}</text>')
        parts.append(
            f'<rect class="{cls}" x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar_h}">'
            f"<title>{html.escape(r['operation'])}: {s:.2f}x vs {html.escape(r['peer'])}</title></rect>"
        )
        parts.append(f'<text x="{max(x1, x(1)) + 4:.1f}" y="{y + bar_h - 4}">{s:.2f}x</text>')
    parts.append("</svg>")
    return "".join(parts)

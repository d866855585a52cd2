"""Gather every comparison the chapters measured, from their stored outputs.

Each chapter's summary cell publishes its comparisons twice: as a Markdown table for the
page, and as JSON under the MIME type below for this module. Nothing here is typed in:
the rows come from the executed notebooks, with each chapter's provenance beside them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from . import runs, staleness

MIME = "application/vnd.nvbook.results+json"


def gather(executed: dict[str, NotebookNode]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """All result rows of the executed notebooks {chapter name: notebook}, and their provenance."""
    rows: list[dict[str, Any]] = []
    provenance = {}
    for name, nb in executed.items():
        found = runs.rows_of(nb)
        if found:
            rows.extend(found)
            provenance[name] = staleness.stored_provenance(nb)
    return rows, provenance


def is_best(row: dict[str, Any]) -> bool:
    """Rows against a best-effort peer (rows from before peer kinds existed count as naive)."""
    return row.get("peer_kind") == "best"


def repeats(
    docs: Path, rows: list[dict[str, Any]], provenance: dict[str, dict[str, Any]]
) -> dict[tuple[str, str, str], list[tuple[str, float]]]:
    """For each row, (run, speedup ratio) of every repeat: another recorded run of the same
    code on the same GPU model and CUDA stack under no other limit (a run under a memory cap
    or on the other CUDA major version is not one).

    The published run itself (same timestamp as the stored notebook) is left out.
    """
    found: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    for chapter, published in provenance.items():
        for name, rec in runs.other_runs(docs, chapter, published):
            if not runs.is_repeat(published, rec.get("provenance", {})):
                continue
            theirs = {runs.row_key(r): r for r in rec.get("rows", [])}
            for row in rows:
                other = theirs.get(runs.row_key(row))
                if row["chapter"] == chapter and other is not None:
                    found.setdefault(runs.row_key(row), []).append((name, runs.agreement(row, other)))
    return found


def is_variable(row: dict[str, Any], ratios: list[tuple[str, float]]) -> bool:
    """Marked variable by the chapter, or a repeat run disagreed by more than 10%."""
    return bool(row.get("variable")) or any(abs(r - 1) > runs.AGREEMENT for _, r in ratios)


def fmt_fraction(value: float | None) -> str:
    """A percentage; below one percent with a decimal, so that a small fraction is not shown as 0%."""
    if value is None:
        return "–"
    return f"{value:.1%}" if 0 < value < 0.01 else f"{value:.0%}"


def fmt_spread(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def fmt_speedup(row: dict[str, Any]) -> str:
    """The speedup with two decimals, or three where two would show a verdict of faster or
    slower as 1.00x."""
    value = row["speedup"]
    near_parity = f"{value:.2f}" == "1.00" and row.get("verdict") in ("faster", "slower")
    return f"{value:.3f}x" if near_parity else f"{value:.2f}x"


def outcome(row: dict[str, Any]) -> str:
    """'win', 'loss' or 'tie' from the row's verdict: a difference counts only where the spread excludes parity."""
    return {"faster": "win", "slower": "loss"}.get(str(row.get("verdict")), "tie")


# Advance widths in em, rounded up from DejaVu Sans (the widest of the usual sans-serif faces),
# so that a wrapped label line measured here is never wider in the reader's font.
_NARROW = frozenset(" .,:;'\"!|()[]{}ijlrtf-/·³²")
_WIDER = frozenset("mwMW@%")
_WIDE = frozenset("×=+^&~<>")


def _text_width(text: str, size: float) -> float:
    """An upper estimate of the rendered width of ``text`` at font size ``size``."""
    return size * sum(
        0.42 if c in _NARROW else 1.0 if c in _WIDER else 0.84 if c in _WIDE else 0.78 if c.isupper() else 0.64
        for c in text
    )


def _wrap(text: str, room: float, size: float) -> list[str]:
    """``text`` in lines at most ``room`` wide, broken only between words (a longer word keeps a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", size) <= room:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def chart(rows: list[dict[str, Any]], width: int = 400) -> dict[str, Any]:
    """The geometry of a bar chart of speedups on a log scale (for results-chart.svg).

    Made for a phone's column: each row's label is whole words on lines of their own above a bar
    the width of the chart ("NN · operation", then "vs peer"), with the speedup after the bar.
    """
    size, line_h, bar_h, gap = 16, 20, 16, 18
    lo, hi = 0.25, max(20.0, max((r["speedup"] for r in rows), default=1) * 1.1)
    # Room for the first tick's label on the left, and for the widest speedup after its bar on the right.
    pad, left = 4, 26
    right = math.ceil(max(_text_width(f"{v:.2f}x", size) for v in [16.0, *(r["speedup"] for r in rows)])) + 8
    span = math.log10(hi) - math.log10(lo)

    def x(v: float) -> float:
        return round(left + (math.log10(min(max(v, lo), hi)) - math.log10(lo)) / span * (width - left - right), 1)

    top = 2 * size  # tick labels above the rows, and again below them
    y = top
    bars = []
    for r in rows:
        room = width - 2 * pad
        words = _wrap(f"{r['chapter'][:2]} · {r['operation']}", room, size) + _wrap(f"vs {r['peer']}", room, size)
        lines = [(y + size - 2 + i * line_h, line) for i, line in enumerate(words)]
        bar_y = y + len(lines) * line_h + 2
        x0, x1 = sorted((x(1), x(r["speedup"])))
        bars.append(
            {
                "y": bar_y,
                "x0": x0,
                "width": max(round(x1 - x0, 1), 1),
                "end": max(x1, x(1)) + 4,
                "text_y": bar_y + bar_h - 3,
                "outcome": outcome(r),
                "lines": lines,
                "title": f"{r['operation']}: {fmt_speedup(r)} vs {r['peer']}"
                + (f" ({r['verdict']})" if r.get("verdict") else ""),
                "speedup": fmt_speedup(r),
            }
        )
        y = bar_y + bar_h + gap
    ticks = [(x(t), f"{t:g}x", t == 1) for t in (lo * 4**k for k in range(8)) if t <= hi]
    return {
        "width": width,
        "height": y + size + 4,
        "size": size,
        "pad": pad,
        "top": top - size // 2,
        "bottom": y,
        "bar_h": bar_h,
        "ticks": ticks,
        "bars": bars,
    }

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
    """For each row, (run, speedup ratio) of every other recorded run on the same GPU model.

    Only runs of the same code (same code hash) count; the published run itself (same
    timestamp as the stored notebook) is left out.
    """
    found: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    for name, record in runs.all_runs(docs).items():
        for chapter, rec in record.items():
            published = provenance.get(chapter, {})
            prov = rec.get("provenance", {})
            same_gpu = (prov.get("gpu") or {}).get("name") == (published.get("gpu") or {}).get("name")
            if not same_gpu or not runs.same_code(prov, published) or runs.is_same_run(prov, published):
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


def _short(text: str, n: int) -> str:
    """At most n characters, cut in the middle: rows of one chapter share their beginnings."""
    if len(text) <= n:
        return text
    head = (n - 1) // 2
    return text[:head] + "…" + text[len(text) - (n - 1 - head) :]


def chart(rows: list[dict[str, Any]], width: int = 900) -> dict[str, Any]:
    """The geometry of a horizontal bar chart of speedups on a log scale (for results-chart.svg)."""
    bar_h, gap, left, right = 16, 6, 470, 60
    height = len(rows) * (bar_h + gap) + 40
    lo, hi = 0.25, max(32.0, max((r["speedup"] for r in rows), default=1) * 1.2)
    span = math.log10(hi) - math.log10(lo)

    def x(v: float) -> float:
        return round(left + (math.log10(max(v, lo)) - math.log10(lo)) / span * (width - left - right), 1)

    ticks = [(x(t), f"{t:g}x", t == 1) for t in (0.25, 0.5, 1, 2, 4, 8, 16, 32) if t <= hi]
    bars = []
    for i, r in enumerate(rows):
        x0, x1 = sorted((x(1), x(r["speedup"])))
        bars.append(
            {
                "y": 20 + i * (bar_h + gap),
                "x0": x0,
                "width": max(round(x1 - x0, 1), 1),
                "end": max(x1, x(1)) + 4,
                "win": r["speedup"] >= 1,
                "label": f"{r['chapter'][:2]} · {_short(r['operation'], 40)} vs {_short(r['peer'], 22)}",
                "title": f"{r['operation']}: {r['speedup']:.2f}x vs {r['peer']}",
                "speedup": f"{r['speedup']:.2f}x",
            }
        )
    return {"width": width, "height": height, "left": left, "bar_h": bar_h, "ticks": ticks, "bars": bars}

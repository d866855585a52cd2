"""Recorded runs: each chapter's comparison rows and provenance, one JSON file per chapter.

Layout: ``docs/runs/<run>/<chapter>.json``, each holding ``chapter``, ``provenance`` and
``rows`` (the rows a chapter's summary cell published). A run is one execution of one or
more chapters on one machine: the run whose outputs the pages show, an independent repeat
on the same GPU kind, a run on another GPU. ``compare`` sets two runs side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from . import staleness

#: Where runs live, relative to the book's source folder.
RUNS_DIR = "runs"
#: Two runs agree on a row when their speedups differ by at most this fraction.
AGREEMENT = 0.10


def rows_of(nb: NotebookNode) -> list[dict[str, Any]]:
    """The result rows a chapter's executed notebook published."""
    from .results import MIME

    rows: list[dict[str, Any]] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME in data:
                rows.extend(dict(r) for r in data[MIME])
    return rows


def default_name(prov: dict[str, Any]) -> str:
    """``YYYY-MM-DD-<gpu>``, e.g. ``2026-11-25-h100-80gb-hbm3``."""
    gpu = (prov.get("gpu") or {}).get("name", "cpu")
    slug = re.sub(r"[^a-z0-9]+", "-", gpu.lower().replace("nvidia", "")).strip("-")
    date = prov.get("date") or dt.date.today().isoformat()
    return f"{date}-{slug}"


def record(docs: Path, run: str, chapter_name: str, nb: NotebookNode) -> Path:
    """Store the rows and provenance of an executed chapter as run ``run``."""
    path = Path(docs) / RUNS_DIR / run / f"{chapter_name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "chapter": chapter_name,
        "provenance": staleness.stored_provenance(nb),
        "rows": rows_of(nb),
    }
    staleness.write_atomically(path, json.dumps(payload, indent=1, sort_keys=True) + "\n")
    return path


def load(docs: Path, run: str) -> dict[str, dict[str, Any]]:
    """{chapter: record} of one run; raises FileNotFoundError naming the run."""
    folder = Path(docs) / RUNS_DIR / run
    if not folder.is_dir():
        known = ", ".join(sorted(p.name for p in (Path(docs) / RUNS_DIR).glob("*") if p.is_dir()))
        raise FileNotFoundError(f"no run {run!r} under {folder.parent} (runs: {known or 'none'})")
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def all_runs(docs: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Every recorded run, by name."""
    root = Path(docs) / RUNS_DIR
    return {p.name: load(docs, p.name) for p in sorted(root.glob("*")) if p.is_dir()}


def same_code(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two provenance records of runs of the same code cells (same code hash)."""
    return bool(a.get("code_hash")) and a.get("code_hash") == b.get("code_hash")


def is_same_run(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two provenance records of one execution (the published run is recorded too)."""
    return a.get("timestamp_utc") == b.get("timestamp_utc")


def conditions(prov: dict[str, Any]) -> str:
    """The GPU a run used, its CUDA stack and any limit it ran under,
    e.g. 'NVIDIA H100 80GB HBM3, CUDA 13, 16 GiB cap'.

    The CUDA major version names the library stack (cuBLAS, cuFFT, ... of CUDA 12 or 13): a run
    on the other stack measures other libraries, so it is not a repeat.
    """
    text = (prov.get("gpu") or {}).get("name", "?")
    runtime = str(prov.get("cuda_runtime") or "")
    if runtime:
        text += f", CUDA {runtime.partition('.')[0]}"
    limit = prov.get("memory_limit_gib")
    return f"{text}, {limit:g} GiB cap" if limit else text


def is_repeat(published: dict[str, Any], other: dict[str, Any]) -> bool:
    """Another run under the published run's conditions (same GPU model and CUDA major, no limit)."""
    return conditions(published) == conditions(other)


def memory_needs(docs: Path, chapter: str, published: dict[str, Any]) -> dict[str, Any]:
    """The GPU memory a chapter's code was seen to use: the published run's peak, and the
    smallest memory cap a run of the same code passed under (with that run's peak)."""
    capped = [
        rec.get("provenance", {})
        for _, rec in other_runs(docs, chapter, published)
        if rec.get("provenance", {}).get("memory_limit_gib")
    ]
    smallest = min(capped, key=lambda p: p["memory_limit_gib"], default=None)
    return {
        "peak_gib": published.get("gpu_memory_peak_gib"),
        "cap_gib": smallest["memory_limit_gib"] if smallest else None,
        "cap_peak_gib": smallest.get("gpu_memory_peak_gib") if smallest else None,
    }


def other_runs(docs: Path, chapter: str, published: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(run name, record) of every recorded run of this chapter's code but the published one."""
    return [
        (name, record[chapter])
        for name, record in all_runs(docs).items()
        if chapter in record
        and same_code(record[chapter].get("provenance", {}), published)
        and not is_same_run(record[chapter].get("provenance", {}), published)
    ]


def row_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["chapter"], row["operation"], row["peer"])


def pair_rows(
    a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Rows of run a with the matching row of run b (same chapter, operation and peer)."""
    b_rows = {row_key(r): r for rec in b.values() for r in rec["rows"]}
    return [(r, b_rows.get(row_key(r))) for rec in a.values() for r in rec["rows"]]


def agreement(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Ratio of two rows' speedups (b over a)."""
    return float(b["speedup"]) / float(a["speedup"])


def compare_table(docs: Path, run_a: str, run_b: str) -> tuple[list[str], int]:
    """Lines of a side-by-side table of two runs, and how many rows disagree by > 10%."""
    a, b = load(docs, run_a), load(docs, run_b)
    gpu = {n: next(iter(r.values()), {}).get("provenance", {}).get("gpu") or {} for n, r in ((run_a, a), (run_b, b))}
    lines = [
        f"A = {run_a} ({gpu[run_a].get('name', '?')})",
        f"B = {run_b} ({gpu[run_b].get('name', '?')})",
        "",
        f"{'chapter':4} {'operation':44} {'peer':24} {'A ms':>9} {'B ms':>9} {'A x':>6} {'B x':>6} {'B/A':>6}",
    ]
    disagree = 0
    for ra, rb in pair_rows(a, b):
        op = ra["operation"][:44]
        peer = ra["peer"][:24]
        if rb is None:
            lines.append(f"{ra['chapter'][:2]:4} {op:44} {peer:24} {ra['nvmath_ms']:9.3f} {'-':>9} (not in B)")
            continue
        ratio = agreement(ra, rb)
        flag = ""
        if abs(ratio - 1) > AGREEMENT:
            disagree += 1
            flag = "  <- differs by more than 10%"
        lines.append(
            f"{ra['chapter'][:2]:4} {op:44} {peer:24} {ra['nvmath_ms']:9.3f} {rb['nvmath_ms']:9.3f} "
            f"{ra['speedup']:6.2f} {rb['speedup']:6.2f} {ratio:6.2f}{flag}"
        )
    lines.append("")
    lines.append(f"{disagree} row(s) differ by more than {AGREEMENT:.0%} in speedup")
    return lines, disagree


def _verdict(book: float, yours: float, spread: float) -> str:
    """How your time relates to the book's, given the larger of the two spreads."""
    change = yours / book - 1
    if abs(change) <= max(spread, AGREEMENT) and abs(change) <= AGREEMENT:
        return "same"
    if abs(change) <= spread:
        return "ambiguous"
    return "faster" if change < 0 else "slower"


def reproduce_table(
    book: list[dict[str, Any]], book_prov: dict[str, Any], yours: list[dict[str, Any]], your_prov: dict[str, Any]
) -> list[str]:
    """Each comparison as book vs yours: times, speedups, their ratio and a verdict."""
    book_gpu = (book_prov.get("gpu") or {}).get("name", "?")
    your_gpu = (your_prov.get("gpu") or {}).get("name", "?")
    lines = [
        f"book: {book_gpu}, {book_prov.get('date', '?')}    yours: {your_gpu}, {your_prov.get('date', '?')}",
        "",
        (
            f"{'operation':40} {'peer':22} {'book ms':>9} {'your ms':>9} {'book x':>7} {'your x':>7} "
            f"{'ratio':>6}  verdict"
        ),
    ]
    mine = {(r["operation"], r["peer"]): r for r in yours}
    for b in book:
        y = mine.get((b["operation"], b["peer"]))
        if y is None:
            lines.append(f"{b['operation'][:40]:40} {b['peer'][:22]:22} {b['nvmath_ms']:9.3f}  (not measured here)")
            continue
        spread = max(b.get("spread") or 0.0, y.get("spread") or 0.0)
        lines.append(
            f"{b['operation'][:40]:40} {b['peer'][:22]:22} {b['nvmath_ms']:9.3f} {y['nvmath_ms']:9.3f} "
            f"{b['speedup']:7.2f} {y['speedup']:7.2f} {y['speedup'] / b['speedup']:6.2f}  "
            f"{_verdict(b['nvmath_ms'], y['nvmath_ms'], spread)}"
        )
    return lines

"""``{nvbook-status}``: when and where each chapter ran; ``{nvbook-results}``: every comparison.

Both read the chapters the build loaded once (see :mod:`.sphinxext`); the chart is rendered
from ``templates/nvbook/results-chart.svg``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from . import results, runs, staleness

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, keep_trailing_newline=False
)
RESULTS_HEAD = [
    "Chapter", "Operation", "nvmath (ms)", "Best peer", "Peer (ms)", "Speedup", "Spread", "Verdict",
    "Measured ceiling", "nvmath / measured", "Nominal peak", "nvmath / nominal", "Repeat run",
]  # fmt: skip
PROVENANCE_HEAD = ["Chapter", "GPU", "Driver", "CUDA runtime", "nvmath-python", "CuPy", "Executed"]


def table(head: list[str], body: list[list[str]], cls: str) -> nodes.table:
    """A docutils table with a header row and the given CSS class."""
    group = nodes.tgroup("", *(nodes.colspec(colwidth=1) for _ in head), cols=len(head))
    for part, rows in ((nodes.thead(), [head]), (nodes.tbody(), body)):
        part.extend(nodes.row("", *(nodes.entry("", nodes.paragraph(text=str(v))) for v in r)) for r in rows)
        group += part
    return nodes.table("", group, classes=[cls])


def _result_cells(r: dict[str, Any], ratios: list[tuple[str, float]]) -> list[str]:
    again = ", ".join(f"{ratio:.2f}" for _, ratio in ratios) or "–"
    if results.is_variable(r, ratios):
        lo, hi = r.get("range") or (None, None)
        again += " variable" + (f" ({lo:.2f}–{hi:.2f}x within the run)" if lo else "")
    # A row that publishes the fastest of several nvmath-python recipes names the one that won.
    operation = r["operation"] + (f" (this run: {r['nvmath_recipe']})" if r.get("nvmath_recipe") else "")
    return [
        r["chapter"][:2], operation, f"{r['nvmath_ms']:.3f}", r["peer"], f"{r['peer_ms']:.3f}",
        results.fmt_speedup(r), results.fmt_spread(r.get("spread")), r.get("verdict", "–"), r.get("ceiling", "–"),
        results.fmt_fraction(r.get("fraction", r.get("nvmath_fraction"))), r.get("nominal_ceiling") or "–",
        results.fmt_fraction(r.get("nominal_fraction")), again,
    ]  # fmt: skip


def setup(app: Sphinx, loaded: dict[str, staleness.Status]) -> None:
    """Register both directives over the chapters the build loaded."""

    def provenances() -> list[tuple[str, dict[str, Any]]]:
        return [(st.chapter.name, staleness.stored_provenance(st.executed)) for st in loaded.values()]

    class StatusTable(SphinxDirective):
        """The execution record of every chapter (the build refuses chapters that are not fresh)."""

        def run(self) -> list[nodes.Node]:
            for st in loaded.values():
                self.env.note_dependency(str(st.chapter.ipynb))
            body = [
                [name, p.get("date", ""), (p.get("gpu") or {}).get("name", "none"), f"{p.get('wall_s', 0):.0f} s",
                 str(p.get("code_hash", ""))[:12]]
                for name, p in provenances()
            ]  # fmt: skip
            return [table(["Chapter", "Executed", "GPU", "Run time", "Code hash"], body, "nvbook-status")]

    class ResultsTable(SphinxDirective):
        """Every comparison from the stored outputs: a chart, tables and each chapter's provenance."""

        def run(self) -> list[nodes.Node]:
            for st in loaded.values():
                self.env.note_dependency(str(st.chapter.ipynb))
            rows, prov = results.gather({st.chapter.name: st.executed for st in loaded.values() if st.executed})
            repeated = results.repeats(Path(self.env.srcdir), rows, prov)
            best = [r for r in rows if results.is_best(r)]
            naive = [r for r in rows if not results.is_best(r)]
            svg = _TEMPLATES.get_template("nvbook/results-chart.svg").render(results.chart(best))
            out: list[nodes.Node] = [nodes.raw("", svg, format="html")]

            def cells(r: dict[str, Any]) -> list[str]:
                return _result_cells(r, repeated.get(runs.row_key(r), []))

            out.append(table(RESULTS_HEAD, [cells(r) for r in best], "nvbook-results"))
            if naive:
                out.append(nodes.rubric(text="Naive baselines (teaching steps, not comparisons)"))
                out.append(table(RESULTS_HEAD, [cells(r) for r in naive], "nvbook-results-naive"))
            prov_body = [
                [name, (p.get("gpu") or {}).get("name", "?"), (p.get("gpu") or {}).get("driver", "?"),
                 p.get("cuda_runtime", "?"), p.get("packages", {}).get("nvmath-python") or "?",
                 p.get("packages", {}).get("CuPy") or "?", p.get("date", "?")]
                for name, p in prov.items()
            ]  # fmt: skip
            out.append(table(PROVENANCE_HEAD, prov_body, "nvbook-results-provenance"))
            return out

    class RunsTable(SphinxDirective):
        """On a chapter page: each published comparison next to every other recorded run of
        the same code, repeats first (same GPU model and CUDA major, no limit: they decide "variable"), then
        runs under other conditions (another GPU, a memory cap), with their speedup ratios.
        Rows that only another run measured (a smaller problem on a capped run) follow."""

        def run(self) -> list[nodes.Node]:
            st = loaded.get(self.env.docname)
            if st is None or st.executed is None:
                raise self.error("nvbook-runs belongs on a chapter page")
            docs = Path(self.env.srcdir)
            for path in sorted((docs / runs.RUNS_DIR).glob(f"*/{st.chapter.name}.json")):
                self.env.note_dependency(str(path))
            published = staleness.stored_provenance(st.executed)
            others = runs.other_runs(docs, st.chapter.name, published)
            if not others:
                return [nodes.paragraph(text="No other run of this chapter's code is recorded yet.")]
            others.sort(key=lambda item: not runs.is_repeat(published, item[1].get("provenance", {})))

            def label(prov: dict[str, Any]) -> str:
                kind = "repeat" if runs.is_repeat(published, prov) else "other conditions"
                return f"{runs.conditions(prov)}, {prov.get('date', '?')}; {kind}"

            head = ["Operation", "Peer", f"Published run ({runs.conditions(published)}, {published.get('date', '?')})"]
            head += [f"{name} ({label(rec.get('provenance', {}))})" for name, rec in others]
            head.append("Agreement of the repeats")
            mine = runs.rows_of(st.executed)
            body = []
            for row in mine:
                cells = [row["operation"], f"{row['peer']} ({row.get('peer_kind', '?')})", results.fmt_speedup(row)]
                moved = []
                for _, rec in others:
                    theirs = {runs.row_key(r): r for r in rec.get("rows", [])}.get(runs.row_key(row))
                    if theirs is None:
                        cells.append("–")
                        continue
                    ratio = runs.agreement(row, theirs)
                    cells.append(f"{theirs['speedup']:.2f}x (ratio {ratio:.2f})")
                    if runs.is_repeat(published, rec.get("provenance", {})):
                        moved.append(abs(ratio - 1))
                if moved and max(moved) > runs.AGREEMENT:
                    cells.append(f"variable: moved up to {max(moved):.0%}")
                elif row.get("variable"):
                    lo, hi = row.get("range") or (None, None)
                    cells.append("variable within the run" + (f" ({lo:.2f}–{hi:.2f}x)" if lo else ""))
                else:
                    cells.append(f"within {runs.AGREEMENT:.0%}" if moved else "–")
                body.append(cells)
            published_keys = {runs.row_key(r) for r in mine}
            for i, (_, rec) in enumerate(others):
                for r in rec.get("rows", []):
                    if runs.row_key(r) in published_keys:
                        continue
                    cells = [r["operation"], f"{r['peer']} ({r.get('peer_kind', '?')})", "–"]
                    cells += ["–"] * i + [f"{r['speedup']:.2f}x (only this run)"] + ["–"] * (len(others) - i - 1)
                    body.append([*cells, "–"])
            return [table(head, body, "nvbook-runs")]

    app.add_directive("nvbook-runs", RunsTable)
    app.add_directive("nvbook-status", StatusTable)
    app.add_directive("nvbook-results", ResultsTable)

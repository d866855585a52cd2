"""Recorded runs and gathered results: what `nvbook compare`, `reproduce` and the results page show.

Fast: synthetic notebooks and run folders in a temporary directory, no kernel, no Sphinx.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

import nbformat
import pytest
from nvbook import results, runs


def _row(operation="matmul", peer="CuPy", nvmath_ms=1.0, speedup=2.0, chapter="01-a", **extra):
    return {
        "chapter": chapter,
        "operation": operation,
        "peer": peer,
        "nvmath_ms": nvmath_ms,
        "speedup": speedup,
        **extra,
    }


def _notebook(*rows, prov=None):
    """An executed notebook whose summary cell published ``rows`` (and a plain output beside them)."""
    nb = nbformat.v4.new_notebook()
    published = nbformat.v4.new_output("display_data", data={results.MIME: list(rows), "text/plain": "table"})
    printed = nbformat.v4.new_output("stream", name="stdout", text="hello\n")
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A"),
        nbformat.v4.new_code_cell("x = 1", outputs=[printed]),
        nbformat.v4.new_code_cell("summary()", outputs=[printed, published]),
    ]
    if prov is not None:
        nb.metadata["nvbook_provenance"] = prov
    return nb


def _prov(gpu="NVIDIA H100 80GB HBM3", code="c0de", stamp="2026-12-06T10:00:00", date="2026-12-06"):
    return {"gpu": {"name": gpu} if gpu else None, "code_hash": code, "timestamp_utc": stamp, "date": date}


def _store(docs, run, chapter, prov, rows):
    path = docs / "runs" / run / f"{chapter}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"chapter": chapter, "provenance": prov, "rows": rows}))


def test_rows_of_collects_every_published_row_in_order_and_nothing_else():
    nb = _notebook(_row("a"), _row("b"))
    nb.cells.append(nbformat.v4.new_code_cell("more()", outputs=[nb.cells[2].outputs[1]]))
    assert [r["operation"] for r in runs.rows_of(nb)] == ["a", "b", "a", "b"]
    assert runs.rows_of(_notebook()) == []


def test_rows_of_returns_copies_the_caller_may_change():
    nb = _notebook(_row("a"))
    runs.rows_of(nb)[0]["operation"] = "changed"
    assert runs.rows_of(nb)[0]["operation"] == "a"


@pytest.mark.parametrize(
    ("prov", "name"),
    [
        ({"gpu": {"name": "NVIDIA H100 80GB HBM3"}, "date": "2026-11-25"}, "2026-11-25-h100-80gb-hbm3"),
        ({"gpu": {"name": "NVIDIA GeForce RTX 4090"}, "date": "2026-01-02"}, "2026-01-02-geforce-rtx-4090"),
        ({"gpu": None, "date": "2026-01-02"}, "2026-01-02-cpu"),
        ({"date": "2026-01-02"}, "2026-01-02-cpu"),
    ],
)
def test_default_run_name_is_the_date_and_a_slug_of_the_gpu(prov, name):
    assert runs.default_name(prov) == name


def test_default_run_name_without_a_date_is_today():
    assert runs.default_name({}) == f"{dt.date.today().isoformat()}-cpu"


def test_record_stores_rows_and_provenance_that_load_reads_back(tmp_path):
    prov = _prov()
    path = runs.record(tmp_path, "r1", "01-a", _notebook(_row(), prov=prov))
    assert path == tmp_path / "runs" / "r1" / "01-a.json"
    text = path.read_text()
    assert text.endswith("}\n") and text.startswith('{\n "chapter": "01-a",\n')  # sorted keys, indent 1
    assert json.loads(text) == {"chapter": "01-a", "provenance": prov, "rows": [_row()]}
    assert runs.load(tmp_path, "r1") == {"01-a": json.loads(text)}
    assert runs.all_runs(tmp_path) == {"r1": {"01-a": json.loads(text)}}
    assert [p.name for p in path.parent.iterdir()] == ["01-a.json"]  # no temporary file left
    assert text.index('"code_hash"') < text.index('"date"') < text.index('"gpu"')  # nested keys sorted too
    runs.record(tmp_path, "r1", "02-b", _notebook(prov=prov))  # a second chapter of the same run
    assert list(runs.load(tmp_path, "r1")) == ["01-a", "02-b"]


def test_loading_a_missing_run_names_it_and_the_runs_there_are(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no run 'x' under .*runs \(runs: none\)"):
        runs.load(tmp_path, "x")
    _store(tmp_path, "b", "01-a", {}, [])
    _store(tmp_path, "a", "01-a", {}, [])
    (tmp_path / "runs" / "notes.txt").write_text("not a run")
    with pytest.raises(FileNotFoundError, match=r"\(runs: a, b\)"):
        runs.load(tmp_path, "x")


def test_all_runs_lists_run_folders_in_name_order_with_their_chapters(tmp_path):
    _store(tmp_path, "b", "02-b", {}, [])
    _store(tmp_path, "b", "01-a", {}, [])
    _store(tmp_path, "a", "01-a", {}, [])
    (tmp_path / "runs" / "notes.txt").write_text("not a run")
    found = runs.all_runs(tmp_path)
    assert list(found) == ["a", "b"]
    assert list(found["b"]) == ["01-a", "02-b"]
    assert runs.all_runs(tmp_path / "empty") == {}


def test_same_code_needs_an_equal_non_empty_code_hash():
    assert runs.same_code({"code_hash": "x"}, {"code_hash": "x"})
    assert not runs.same_code({"code_hash": "x"}, {"code_hash": "y"})
    assert not runs.same_code({"code_hash": ""}, {"code_hash": ""})
    assert not runs.same_code({}, {})


def test_same_run_is_told_by_the_timestamp():
    assert runs.is_same_run({"timestamp_utc": "t"}, {"timestamp_utc": "t"})
    assert not runs.is_same_run({"timestamp_utc": "t"}, {"timestamp_utc": "u"})


def test_other_runs_are_those_of_the_same_code_except_the_published_one(tmp_path):
    published = _prov(stamp="t0")
    _store(tmp_path, "published", "01-a", published, [_row()])
    _store(tmp_path, "repeat", "01-a", _prov(stamp="t1"), [_row(speedup=2.1)])
    _store(tmp_path, "old-code", "01-a", _prov(code="old", stamp="t2"), [_row()])
    _store(tmp_path, "other-chapter", "02-b", _prov(stamp="t3"), [_row()])
    path = tmp_path / "runs" / "unrecorded" / "01-a.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"chapter": "01-a", "rows": []}))  # no provenance: not of this code
    others = runs.other_runs(tmp_path, "01-a", published)
    assert [name for name, _ in others] == ["repeat"]
    assert others[0][1]["rows"] == [_row(speedup=2.1)]


def test_rows_pair_by_chapter_operation_and_peer():
    a = {"01-a": {"rows": [_row("x"), _row("y"), _row("x", peer="NumPy")]}}
    b = {"01-a": {"rows": [_row("x", peer="NumPy", speedup=3.0), _row("x", speedup=4.0)]}}
    pairs = runs.pair_rows(a, b)
    assert [(ra["operation"], ra["peer"], rb and rb["speedup"]) for ra, rb in pairs] == [
        ("x", "CuPy", 4.0),
        ("y", "CuPy", None),
        ("x", "NumPy", 3.0),
    ]
    assert runs.row_key(_row("x", chapter="02-b")) == ("02-b", "x", "CuPy")


def test_agreement_is_b_speedup_over_a_speedup():
    assert runs.agreement({"speedup": "2"}, {"speedup": 3}) == 1.5


def test_compare_table_flags_rows_that_differ_by_more_than_ten_percent(tmp_path):
    rows_a = [
        _row("fused matmul", "CuPy", 1.0, 2.0),
        _row("fft", "NumPy", 2.5, 4.0),
        _row("solve", "SciPy", 3.0, 1.0),
    ]
    rows_a.insert(1, _row("gone", "SciPy", 0.5, 1.0))
    rows_b = [
        _row("fused matmul", "CuPy", 1.05, 2.18),  # +9%: agrees
        _row("fft", "NumPy", 2.0, 4.5),  # +12.5%: differs
        _row("solve", "SciPy", 3.5, 0.8),  # -20%: differs
    ]
    _store(tmp_path, "a", "01-a", _prov("NVIDIA H100 80GB HBM3"), rows_a)
    _store(tmp_path, "b", "01-a", _prov("NVIDIA B200"), rows_b)
    lines, disagree = runs.compare_table(tmp_path, "a", "b")
    assert disagree == 2
    assert lines == [
        "A = a (NVIDIA H100 80GB HBM3)",
        "B = b (NVIDIA B200)",
        "",
        "chapter operation                                    peer                          A ms      B ms    A x    B x    B/A",
        "01   fused matmul                                 CuPy                         1.000     1.050   2.00   2.18   1.09",
        "01   gone                                         SciPy                        0.500         - (not in B)",
        "01   fft                                          NumPy                        2.500     2.000   4.00   4.50   1.12  <- differs by more than 10%",
        "01   solve                                        SciPy                        3.000     3.500   1.00   0.80   0.80  <- differs by more than 10%",
        "",
        "2 row(s) differ by more than 10% in speedup",
    ]


def test_compare_table_cuts_long_names_and_survives_runs_without_a_gpu(tmp_path):
    _store(tmp_path, "a", "01-a", _prov(gpu=None), [_row("o" * 50, "p" * 30)])
    _store(tmp_path, "b", "01-a", {}, [_row("o" * 50, "p" * 30)])
    lines, disagree = runs.compare_table(tmp_path, "a", "b")
    assert lines[:2] == ["A = a (?)", "B = b (?)"]
    assert lines[4].startswith(f"01   {'o' * 44} {'p' * 24}     1.000 ")
    assert disagree == 0
    (tmp_path / "runs" / "c").mkdir()
    assert runs.compare_table(tmp_path, "c", "c")[0][:2] == ["A = c (?)", "B = c (?)"]


@pytest.mark.parametrize(
    ("yours", "spread", "verdict"),
    [
        (1.0, 0.0, "same"),
        (1.09, 0.0, "same"),  # within 10%
        (0.91, 0.0, "same"),
        (1.11, 0.0, "slower"),
        (1.2, 0.0, "slower"),
        (0.8, 0.0, "faster"),
        (1.2, 0.25, "ambiguous"),  # beyond 10% but within the runs' spread
        (0.8, 0.25, "ambiguous"),
        (1.3, 0.25, "slower"),
        (1.05, 0.5, "same"),
        (1.25, 0.25, "ambiguous"),  # exactly the spread
    ],
)
def test_reproduce_verdict_weighs_the_change_against_ten_percent_and_the_spread(yours, spread, verdict):
    assert runs._verdict(1.0, yours, spread) == verdict


def test_reproduce_table_shows_book_and_yours_side_by_side():
    book = [
        _row("fused matmul", "CuPy", 1.0, 2.0, spread=0.02),
        _row("solve", "SciPy", 1.0, 1.0, spread=None),
        _row("fft", "NumPy", 2.0, 4.0),
        _row("wide", "NumPy", 1.0, 1.0, spread=0.5),
    ]
    yours = [
        _row("fused matmul", "CuPy", 1.3, 1.6, spread=0.4),
        _row("fft", "NumPy", 1.5, 5.0),
        _row("wide", "NumPy", 1.3, 1.0),
    ]
    lines = runs.reproduce_table(
        book, _prov("NVIDIA H100", date="2026-12-01"), yours, _prov("NVIDIA L4", date="2026-12-02")
    )
    assert lines == [
        "book: NVIDIA H100, 2026-12-01    yours: NVIDIA L4, 2026-12-02",
        "",
        "operation                                peer                     book ms   your ms  book x  your x  ratio  verdict",
        "fused matmul                             CuPy                       1.000     1.300    2.00    1.60   0.80  ambiguous",
        "solve                                    SciPy                      1.000  (not measured here)",
        "fft                                      NumPy                      2.000     1.500    4.00    5.00   1.25  faster",
        "wide                                     NumPy                      1.000     1.300    1.00    1.00   1.00  ambiguous",
    ]
    long = runs.reproduce_table([_row("o" * 50, "p" * 30)], {}, [_row("o" * 50, "p" * 30)], {})[-1]
    assert long == f"{'o' * 40} {'p' * 22}     1.000     1.000    2.00    2.00   1.00  same"
    missing = runs.reproduce_table([_row("o" * 50, "p" * 30)], {}, [], {})[-1]
    assert missing == f"{'o' * 40} {'p' * 22}     1.000  (not measured here)"
    assert runs.reproduce_table([], {}, [], {})[0] == "book: ?, ?    yours: ?, ?"


def test_gather_keeps_the_rows_and_provenance_of_chapters_that_published_rows():
    prov = _prov()
    rows, found = results.gather({"01-a": _notebook(_row(), prov=prov), "02-b": _notebook(prov=prov)})
    assert rows == [_row()]
    assert found == {"01-a": prov}


def test_best_rows_are_those_marked_best():
    assert results.is_best(_row(peer_kind="best"))
    assert not results.is_best(_row(peer_kind="naive"))
    assert not results.is_best(_row())


def test_repeats_are_other_runs_of_the_same_code_on_the_same_gpu_model(tmp_path):
    published = _prov(stamp="t0")
    rows = [_row("x", speedup=2.0), _row("y", speedup=2.0), _row("z", chapter="02-b")]
    _store(tmp_path, "published", "01-a", published, rows[:2])
    _store(tmp_path, "repeat", "01-a", _prov(stamp="t1"), [_row("x", speedup=2.5), _row("w")])
    _store(tmp_path, "b200", "01-a", _prov(gpu="NVIDIA B200", stamp="t2"), [_row("x", speedup=9.0)])
    _store(tmp_path, "old", "01-a", _prov(code="old", stamp="t3"), [_row("x", speedup=9.0)])
    _store(tmp_path, "cpu", "01-a", _prov(gpu=None, stamp="t5"), [_row("x", speedup=9.0)])
    _store(tmp_path, "unpublished", "03-c", _prov(stamp="t4"), [_row("x", chapter="03-c")])
    _store(tmp_path, "two", "00-first", _prov(stamp="t6"), [])  # skipped, then 01-a of the same run counts
    _store(tmp_path, "two", "01-a", _prov(stamp="t6"), [_row("x", speedup=1.0)])
    bare = tmp_path / "runs" / "bare" / "01-a.json"
    bare.parent.mkdir()
    bare.write_text("{}")  # neither provenance nor rows
    rowless = tmp_path / "runs" / "rowless" / "01-a.json"
    rowless.parent.mkdir()
    rowless.write_text(json.dumps({"provenance": _prov(stamp="t7")}))  # a run that published no rows
    found = results.repeats(tmp_path, rows, {"01-a": published})
    assert found == {("01-a", "x", "CuPy"): [("repeat", 1.25), ("two", 0.5)]}


def test_a_run_under_a_memory_cap_is_not_a_repeat(tmp_path):
    published = _prov(stamp="t0")
    rows = [_row("x", speedup=2.0)]
    _store(tmp_path, "published", "01-a", published, rows)
    _store(tmp_path, "repeat", "01-a", _prov(stamp="t1"), [_row("x", speedup=2.2)])
    _store(tmp_path, "capped", "01-a", {**_prov(stamp="t2"), "memory_limit_gib": 16.0}, [_row("x", speedup=4.0)])
    assert results.repeats(tmp_path, rows, {"01-a": published}) == {("01-a", "x", "CuPy"): [("repeat", 1.1)]}


def test_conditions_name_the_gpu_and_any_memory_cap():
    assert runs.conditions(_prov()) == "NVIDIA H100 80GB HBM3"
    assert runs.conditions({**_prov(), "memory_limit_gib": 16.0}) == "NVIDIA H100 80GB HBM3, 16 GiB cap"
    assert runs.conditions({**_prov(), "memory_limit_gib": 7.5}) == "NVIDIA H100 80GB HBM3, 7.5 GiB cap"
    assert runs.conditions(_prov(gpu=None)) == "?"
    assert runs.is_repeat(_prov(stamp="a"), _prov(stamp="b"))
    assert not runs.is_repeat(_prov(), _prov(gpu="NVIDIA H200"))
    assert not runs.is_repeat(_prov(), {**_prov(), "memory_limit_gib": 16.0})


def test_memory_needs_give_the_published_peak_and_the_smallest_cap_passed(tmp_path):
    published = {**_prov(stamp="t0"), "gpu_memory_peak_gib": 25.2}
    _store(tmp_path, "published", "01-a", published, [])
    _store(tmp_path, "repeat", "01-a", {**_prov(stamp="t1"), "gpu_memory_peak_gib": 30.0}, [])
    _store(tmp_path, "cap24", "01-a", {**_prov(stamp="t2"), "memory_limit_gib": 24.0, "gpu_memory_peak_gib": 20.0}, [])
    _store(tmp_path, "cap16", "01-a", {**_prov(stamp="t3"), "memory_limit_gib": 16.0, "gpu_memory_peak_gib": 15.1}, [])
    _store(tmp_path, "old", "01-a", {**_prov(code="old", stamp="t4"), "memory_limit_gib": 8.0}, [])
    assert runs.memory_needs(tmp_path, "01-a", published) == {"peak_gib": 25.2, "cap_gib": 16.0, "cap_peak_gib": 15.1}
    assert runs.memory_needs(tmp_path, "02-b", _prov(stamp="t9")) == {
        "peak_gib": None,
        "cap_gib": None,
        "cap_peak_gib": None,
    }


def test_a_row_is_variable_when_marked_or_a_repeat_moved_more_than_ten_percent():
    assert results.is_variable(_row(variable=True), [])
    assert not results.is_variable(_row(), [])
    assert not results.is_variable(_row(variable=False), [("r", 1.09), ("s", 0.91)])
    assert results.is_variable(_row(), [("r", 1.0), ("s", 1.11)])
    assert results.is_variable(_row(), [("s", 0.89)])


def test_fractions_and_spreads_format_as_percents_or_a_dash():
    assert results.fmt_fraction(0.456) == "46%"
    assert results.fmt_fraction(None) == "–"
    assert results.fmt_spread(0.0456) == "4.6%"
    assert results.fmt_spread(None) == "–"
    assert results.fmt_fraction(0) == "0%"
    assert results.fmt_fraction(0.004) == "0.4%"  # a small fraction is not shown as 0%
    assert results.fmt_fraction(0.01) == "1%"


# Labels as long as the book's: a chapter's rows share long beginnings, peers run to several clauses.
_LONG_ROWS = [
    _row("matmul 4096³ FP32, NumPy in and out: GPU (specialized API, with copies) vs the best CPU contender",
         "nvmath generic, CPU, 16 threads", speedup=2.26, chapter="02-b"),
    _row("64 × relu(A_i@B_i + b_i), (124,1512)@(1512,1024) FP32, one call per product: planned Matmul, "
         "reset_operands_unchecked + execute (host clock)",
         "CuPy loop: matmul(out=) + in-place ElementwiseKernel, per product", speedup=0.79, chapter="04-d"),
    _row("Gaussian blur 1×8192×8192 float32, fastest nvmath-python recipe",
         "CuPy rfft2, in-place *= h/N, irfft2(norm='forward', overwrite_x=True)", speedup=0.65, chapter="05-e"),
    _row("3-D Poisson, 262,144 unknowns, FP64: solution, one right-hand side", "MKL PARDISO, SPD, 16 threads",
         speedup=45.49, chapter="08-h"),
    _row("o" * 60, "p" * 30),  # a word wider than the chart keeps a line of its own, whole
]  # fmt: skip


def test_chart_labels_are_whole_words_on_lines_above_each_bar():
    chart = results.chart(_LONG_ROWS)
    room = chart["width"] - 2 * chart["pad"]
    below = 0
    for row, bar in zip(_LONG_ROWS, chart["bars"], strict=True):
        lines = [line for _, line in bar["lines"]]
        # every word of the chapter number, operation and peer, in order, none cut: "NN · operation", then "vs peer"
        assert " ".join(lines).split() == f"{row['chapter'][:2]} · {row['operation']} vs {row['peer']}".split()
        assert not any("…" in line for line in lines)
        assert f"{lines[0]} ".startswith(f"{row['chapter'][:2]} · ")
        assert sum(line.startswith("vs ") for line in lines) == 1
        # each line fits the chart's width, unless it is a single word too long for any line
        assert all(results._text_width(line, chart["size"]) <= room or " " not in line for line in lines)
        # lines go down the page, below the row before and above this row's bar
        ys = [y for y, _ in bar["lines"]]
        assert ys == sorted(ys) and ys[0] - chart["size"] >= below and ys[-1] < bar["y"]
        below = bar["y"] + chart["bar_h"]
        assert bar["title"] == f"{row['operation']}: {row['speedup']:.2f}x vs {row['peer']}"
    assert len(chart["bars"][1]["lines"]) > 3  # the longest label takes several lines, none dropped
    assert chart["bars"][-1]["lines"][1:3] == [(chart["bars"][-1]["lines"][1][0], "o" * 60),
                                              (chart["bars"][-1]["lines"][2][0], "vs " + "p" * 30)]  # fmt: skip
    assert below < chart["bottom"] < chart["height"]


def test_chart_bars_and_speedups_stay_inside_the_view_box():
    rows = [*_LONG_ROWS, _row(speedup=100.0), _row(speedup=0.01), _row(speedup=1.0)]
    chart = results.chart(rows)
    assert chart["width"] == 400 and chart["size"] == 16  # about 13 px in a 360 px phone's column
    for bar in chart["bars"]:
        assert chart["ticks"][0][0] <= bar["x0"] and bar["x0"] + bar["width"] <= chart["width"]
        assert bar["end"] + results._text_width(bar["speedup"], chart["size"]) <= chart["width"]
        assert chart["top"] < bar["y"] and bar["y"] + chart["bar_h"] <= chart["bottom"]
        assert bar["y"] < bar["text_y"] <= bar["y"] + chart["bar_h"]
    assert chart["bars"][-2]["x0"] == chart["ticks"][0][0]  # below 0.25x: clipped at the axis
    assert chart["bars"][-1]["width"] == 1  # 1x: a sliver, not nothing


def test_chart_places_bars_on_a_log_scale_from_one():
    rows = [
        _row("win", "CuPy", speedup=4.0, verdict="faster"),
        _row("loss", "NumPy", speedup=0.5, chapter="02-b", verdict="slower"),
    ]
    chart = results.chart(rows)
    # ticks at every fourfold from 0.25x, evenly spaced, with 1x marked
    assert [(label, one) for _, label, one in chart["ticks"]] == [
        ("0.25x", False),
        ("1x", True),
        ("4x", False),
        ("16x", False),
    ]
    xs = [x for x, _, _ in chart["ticks"]]
    assert chart["ticks"][0][0] == 26.0
    steps = [b - a for a, b in itertools.pairwise(xs)]
    assert max(steps) - min(steps) <= 0.2
    one, four = xs[1], xs[2]
    win, loss = chart["bars"]
    assert win["lines"] == [(46, "01 · win"), (66, "vs CuPy")]
    assert (win["x0"], win["outcome"], win["speedup"]) == (one, "win", "4.00x")
    assert abs(win["x0"] + win["width"] - four) <= 0.1 and win["end"] == four + 4
    assert win["title"] == "win: 4.00x vs CuPy (faster)"
    # a loss runs left from 1x, halfway to 0.25x, and its speedup is written right of the 1x line
    assert loss["lines"][0][1] == "02 · loss" and loss["outcome"] == "loss"
    assert abs(loss["x0"] - (xs[0] + one) / 2) <= 0.1 and abs(loss["x0"] + loss["width"] - one) <= 0.1
    assert loss["end"] == one + 4


@pytest.mark.parametrize(
    ("speedup", "verdict", "outcome", "shown"),
    [
        (0.97, "indistinguishable", "tie", "0.97x"),  # below 1 but within the spread: not a loss
        (1.2, "ambiguous", "tie", "1.20x"),
        (1.004, "faster", "win", "1.004x"),  # a verdict at parity shows its third decimal
        (0.996, "slower", "loss", "0.996x"),
        (1.004, "indistinguishable", "tie", "1.00x"),
        (1.0, None, "tie", "1.00x"),
    ],
)
def test_bars_follow_the_verdict_and_a_difference_at_parity_shows_three_decimals(speedup, verdict, outcome, shown):
    bar = results.chart([_row(speedup=speedup, verdict=verdict)])["bars"][0]
    assert (bar["outcome"], bar["speedup"]) == (outcome, shown)


def test_chart_scale_grows_past_16x_in_fourfold_ticks():
    assert results.chart([])["ticks"][-1][1] == "16x" and results.chart([])["bars"] == []
    chart = results.chart([_row(speedup=100.0)])
    assert [label for _, label, _ in chart["ticks"]] == ["0.25x", "1x", "4x", "16x", "64x"]
    assert chart["ticks"][-1][0] < chart["bars"][0]["x0"] + chart["bars"][0]["width"]
    assert [label for _, label, _ in results.chart([_row(speedup=300.0)])["ticks"]][-1] == "256x"


def test_chart_renders_one_rect_and_title_per_bar_with_labels_as_lines():
    from nvbook import tables

    chart = results.chart(_LONG_ROWS)
    svg = tables._TEMPLATES.get_template("nvbook/results-chart.svg").render(chart)
    assert svg.startswith('<svg class="nvbook-results-chart" viewBox="0 0 400 ')
    assert 'role="img"' in svg and 'aria-label="Speedup of nvmath-python' in svg
    assert svg.count("<rect ") == svg.count("<title>") == len(_LONG_ROWS)
    assert svg.count('class="tie"') == len(_LONG_ROWS)  # no verdicts: no difference is claimed
    verdicts = [{**r, "verdict": "faster" if r["speedup"] >= 1 else "slower"} for r in _LONG_ROWS]
    svg = tables._TEMPLATES.get_template("nvbook/results-chart.svg").render(results.chart(verdicts))
    assert svg.count('class="win"') == 3 and svg.count('class="loss"') == 2
    assert svg.count("<tspan ") == sum(len(b["lines"]) for b in chart["bars"])
    assert "irfft2(norm=&#39;forward&#39;, overwrite_x=True)" in svg  # escaped, whole

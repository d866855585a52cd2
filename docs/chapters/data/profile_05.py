"""Profile chapter 5's kernels with Nsight Compute and store a summary beside the chapter.

Run on the GPU machine from the repository root, before executing the chapter:

    python docs/chapters/data/profile_05.py

It converts docs/chapters/05-device-api.md to a script with jupytext, runs it under ncu
(profiling the first launch of each kernel whose name matches KERNELS: the nvmath-python
kernels gbm_normal4, gbm_normal4_fast, gbm_normal4_terminal and raw_only, the hand-written
register-Philox kernels gbm_philox and gbm_philox_fast, and the C++ cuRAND kernel
gbm_curand), and writes 05-ncu-summary.txt: the machine, the ncu version, the command, then
a few metrics per kernel in base units. The chapter reads that file. Requires ncu on PATH
and the chapter's packages.

The script runs with CUPTI's activity API replaced by a stub (the chapter's
kernels_launched() then lists nothing): ncu itself uses CUPTI, and a second CUPTI client in
the profiled process would compete with it.
"""

import csv
import datetime
import io
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHAPTER = HERE.parent / "05-device-api.md"
OUT = HERE / "05-ncu-summary.txt"
KERNELS = ["gbm_normal4", "raw_only", "gbm_philox", "gbm_curand"]  # regex alternatives
STALLS = ["long_scoreboard", "lg_throttle", "math_pipe_throttle", "wait", "short_scoreboard", "mio_throttle"]
METRICS = [
    "gpu__time_duration.sum",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed",
    "dram__bytes_read.sum",
    "dram__bytes_write.sum",
    "l1tex__t_bytes_pipe_lsu_mem_global_op_ld.sum",
    "l1tex__t_bytes_pipe_lsu_mem_global_op_st.sum",
    "sm__warps_active.avg.pct_of_peak_sustained_active",
    "launch__registers_per_thread",
    "smsp__inst_executed.sum",
] + [f"smsp__average_warps_issue_stalled_{s}_per_issue_active.ratio" for s in STALLS]


# Prepended to the chapter's script: a do-nothing stand-in for cupti-python.
CUPTI_STUB = """\
import sys as _sys
import types as _types


class _Anything:
    def __getattr__(self, name):
        return _Anything()

    def __call__(self, *args, **kwargs):
        return _Anything()


_sys.modules["cupti"] = _types.SimpleNamespace(cupti=_Anything())
"""


def main() -> int:
    script = Path("/tmp/05-device-api.py")
    subprocess.run([sys.executable, "-m", "jupytext", "--to", "py:percent", str(CHAPTER), "-o", str(script)], check=True)
    script.write_text(CUPTI_STUB + script.read_text())
    regex = "regex:(" + "|".join(KERNELS) + ")"
    # --kernel-id ::<name>:1 profiles the first launch of each kernel whose name matches.
    cmd = ["ncu", "--clock-control", "none", "--kernel-id", f"::{regex}:1", "--csv", "--page", "raw", "--print-units", "base",
           "--metrics", ",".join(METRICS), sys.executable, str(script)]
    run = subprocess.run(cmd, cwd=CHAPTER.parent, capture_output=True, text=True, check=False)
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith('"')]
    if run.returncode != 0 or not lines:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
        return 1
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    header, units, data = rows[0], rows[1], rows[2:]
    col = {name: i for i, name in enumerate(header)}
    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True, check=False).stdout.strip()
    version = subprocess.run(["ncu", "--version"], capture_output=True, text=True, check=False).stdout.strip().splitlines()[-1]
    out = ["Nsight Compute profile of chapter 5's kernels (first launch of each)",
           f"GPU, driver: {smi}; {version}; {datetime.date.today()}",
           f"command: ncu --clock-control none --kernel-id '::{regex}:1' --print-units base --metrics <below> python 05-device-api.py",
           ""]
    for row in data:
        name = row[col["Kernel Name"]]
        out.append(f"[{name}]")
        for metric in METRICS:
            if metric in col:
                value, unit = row[col[metric]], units[col[metric]]
                short = metric.replace("smsp__average_warps_issue_stalled_", "stall ").replace("_per_issue_active.ratio", "")
                out.append(f"  {short:58s} {value:>16s} {unit}")
        out.append("")
    OUT.write_text("\n".join(out))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

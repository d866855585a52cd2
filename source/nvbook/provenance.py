"""Record where and how a chapter's outputs were produced, and say it in one line.

``collect()`` runs ``python -m nvbook.provenance`` with the interpreter that runs
the chapter's kernel, so the versions it reports are the ones the chapter used.
It reads package versions from their metadata (nothing is imported that the
chapter did not import itself) and GPU facts from ``nvidia-smi`` and CuPy.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata

#: Distribution names to report, with the label shown on the page. The first
#: installed name of each tuple wins (CuPy ships as cupy-cuda13x, cupy-cuda12x...).
PACKAGES: dict[str, tuple[str, ...]] = {
    "nvmath-python": ("nvmath-python",),
    "CuPy": ("cupy-cuda13x", "cupy-cuda12x", "cupy"),
    "numba-cuda": ("numba-cuda",),
    "NumPy": ("numpy",),
    "SciPy": ("scipy",),
    "matplotlib": ("matplotlib",),
    "PyTorch": ("torch",),
    "cuDSS": ("nvidia-cudss-cu13", "nvidia-cudss-cu12"),
    "libmathdx": ("nvidia-libmathdx-cu13", "nvidia-libmathdx-cu12"),
}


def _version(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _nvidia_smi() -> list[dict]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    fields = "name,memory.total,driver_version,compute_cap"
    try:
        out = subprocess.run(
            [exe, f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        name, mem_mib, driver, cc = (part.strip() for part in line.split(","))
        gpus.append(
            {
                "name": name,
                "memory_gib": round(float(mem_mib) / 1024, 1),
                "driver": driver,
                "compute_capability": cc,
            }
        )
    return gpus


def _cuda_versions() -> dict:
    """CUDA versions as CuPy sees them (driver API and the runtime CuPy loaded)."""
    try:
        import cupy

        def fmt(v: int) -> str:
            return f"{v // 1000}.{(v % 1000) // 10}"

        return {
            "cuda_driver_api": fmt(cupy.cuda.runtime.driverGetVersion()),
            "cuda_runtime": fmt(cupy.cuda.runtime.runtimeGetVersion()),
        }
    except Exception:  # noqa: BLE001 (no CuPy, or no GPU: report what is known)
        return {}


def _cpu() -> dict:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"model": model, "logical_cores": os.cpu_count()}


def probe() -> dict:
    """Everything about this interpreter and machine that the outputs depend on."""
    gpus = _nvidia_smi()
    record = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "timestamp_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gpu": gpus[0] if gpus else None,
        "gpu_count": len(gpus),
        **_cuda_versions(),
        "cpu": _cpu(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": {label: _version(names) for label, names in PACKAGES.items()},
    }
    return record


def collect(python: str | None = None, timeout: float = 120) -> dict:
    """Run ``probe`` in the interpreter ``python`` (default: this one) and return its record."""
    out = subprocess.run(
        [python or sys.executable, "-m", "nvbook.provenance"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout
    return json.loads(out)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def summary(prov: dict) -> list[tuple[str, str]]:
    """The provenance as (label, value) pairs for the page banner, most important first."""
    items: list[tuple[str, str]] = []
    gpu = prov.get("gpu")
    if gpu:
        items.append(
            ("GPU", f"{gpu['name']} ({gpu['memory_gib']:g} GiB, compute capability {gpu['compute_capability']})")
        )
        items.append(("Driver", gpu["driver"]))
    else:
        items.append(("GPU", "none (CPU only)"))
    if prov.get("cuda_runtime"):
        items.append(("CUDA", f"runtime {prov['cuda_runtime']}, driver API {prov.get('cuda_driver_api', '?')}"))
    items.append(("Python", prov.get("python", "?")))
    packages = prov.get("packages", {})
    for label in [*PACKAGES, *sorted(set(packages) - set(PACKAGES))]:  # stored JSON sorts keys
        if packages.get(label):
            items.append((label, packages[label]))
    if prov.get("date"):
        items.append(("Executed", prov["date"]))
    if prov.get("wall_s") is not None:
        items.append(("Run time", _duration(prov["wall_s"])))
    if prov.get("code_hash"):
        items.append(("Code hash", prov["code_hash"][:12]))
    return items


if __name__ == "__main__":
    json.dump(probe(), sys.stdout, indent=1)

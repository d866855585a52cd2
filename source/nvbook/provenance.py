"""Record where and how a chapter's outputs were produced, and say it in one line.

The executor runs ``probe.py`` inside the chapter's own kernel, at its start and at its
end: the versions it reports are those of the environment that ran the chapter (its whole
package list is kept), and the GPU facts and clocks come from NVML. ``from_probes``
turns the two probes into the record stored in the notebook's metadata.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    "cupti-python": ("cupti-python",),
    "pypardiso": ("pypardiso",),
}


#: The probe that runs inside the chapter's kernel (see probe.py).
PROBE = Path(__file__).with_name("probe.py")


def probe_source() -> str:
    """Python code that prints the probe's JSON record, for a kernel to run."""
    return PROBE.read_text(encoding="utf-8")


def _versions(environment: list[str]) -> dict[str, str | None]:
    installed = pins(environment)
    return {label: next((installed[n] for n in names if n in installed), None) for label, names in PACKAGES.items()}


def pins(lines: list[str]) -> dict[str, str]:
    """name -> version of every ``name==version`` line, names normalised as pip compares them."""
    found = {}
    for line in lines:
        name, sep, version = line.split("#")[0].split(";")[0].strip().rstrip("\\").strip().partition("==")
        if sep and name:
            found[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return found


def lock_of(prov: dict[str, Any], root: Path) -> Path | None:
    """The lock file (``requirements/gpu-cu*.txt``) whose every pin the run's environment held.

    A run from ``nox -s execute`` installs its lock exactly, so its environment holds every
    pin; an environment assembled otherwise (a machine's image plus staged wheels) does not.
    """
    environment = pins(prov.get("environment", []))
    if not environment:
        return None
    for lock in sorted((root / "requirements").glob("gpu-cu*.txt")):
        pinned = pins(lock.read_text(encoding="utf-8").splitlines())
        if pinned and all(environment.get(name) == version for name, version in pinned.items()):
            return lock
    return None


def _state(gpu: dict[str, Any]) -> dict[str, Any]:
    keys = ("sm_mhz", "mem_mhz", "temperature_c", "throttle")
    return {k: gpu.get(k) for k in keys}


def from_probes(start: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
    """One provenance record from the probes taken at a chapter's start and end."""
    gpus = end.get("gpus") or start.get("gpus") or []
    first = gpus[0] if gpus else None
    gpu = None
    if first:
        gpu = {k: first.get(k) for k in ("name", "memory_gib", "driver", "compute_capability")}
        gpu.update({k: first.get(k) for k in ("sm_max_mhz", "mem_max_mhz", "power_limit_w")})
    timestamp = start.get("timestamp_utc", "")
    return {
        "date": timestamp[:10],
        "timestamp_utc": timestamp,
        "gpu": gpu,
        "gpu_count": len(gpus),
        "gpus": [g.get("name") for g in gpus],
        "gpu_state": {
            "start": _state((start.get("gpus") or [{}])[0]),
            "end": _state((end.get("gpus") or [{}])[0]),
        },
        "cuda_driver_api": end.get("cuda_driver_api"),
        "cuda_runtime": end.get("cuda_runtime"),
        "cpu": end.get("cpu"),
        "python": end.get("python"),
        "platform": end.get("platform"),
        "packages": _versions(end.get("environment", [])),
        "environment": end.get("environment", []),
    }


def probe(python: str | None = None, timeout: float = 120) -> dict[str, Any]:
    """This machine's provenance, probed in the interpreter ``python`` (default: this one)."""
    out = subprocess.run(
        [python or sys.executable, str(PROBE)], capture_output=True, text=True, timeout=timeout, check=True
    ).stdout
    record = json.loads(out)
    return from_probes(record, record)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def summary(prov: dict[str, Any]) -> list[tuple[str, str]]:
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

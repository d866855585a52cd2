"""Provenance probe, run inside the kernel that executes a chapter (at its start and end).

Self-contained on purpose: the executor sends this file's text to the kernel, so it may
import only the standard library, plus NVML (nvidia-ml-py) and CuPy where they are present.
It imports CuPy only if the chapter already did (chapters import nvmath-python first). It
prints one JSON object.
"""

import datetime as dt
import json
import os
import platform
import sys
from importlib import metadata
from typing import Any


def _nvml() -> dict[str, Any]:
    """GPU facts and state from NVML, or {} without a GPU or nvidia-ml-py."""
    try:
        import pynvml
    except ImportError:
        return {}
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return {}

    def get(fn: Any, *args: Any) -> Any:
        try:
            value = fn(*args)
        except pynvml.NVMLError:
            return None
        return value.decode() if isinstance(value, bytes) else value

    gpus = []
    for i in range(pynvml.nvmlDeviceGetCount()):
        h = pynvml.nvmlDeviceGetHandleByIndex(i)
        mem = get(pynvml.nvmlDeviceGetMemoryInfo, h)
        cc = get(pynvml.nvmlDeviceGetCudaComputeCapability, h)
        limit = get(pynvml.nvmlDeviceGetPowerManagementLimit, h)
        reasons = get(pynvml.nvmlDeviceGetCurrentClocksEventReasons, h)
        names = {
            "nvmlClocksEventReasonGpuIdle": "idle",
            "nvmlClocksEventReasonApplicationsClocksSetting": "application clocks",
            "nvmlClocksEventReasonSwPowerCap": "power cap",
            "nvmlClocksEventReasonHwSlowdown": "hardware slowdown",
            "nvmlClocksEventReasonSyncBoost": "sync boost",
            "nvmlClocksEventReasonSwThermalSlowdown": "software thermal",
            "nvmlClocksEventReasonHwThermalSlowdown": "hardware thermal",
            "nvmlClocksEventReasonHwPowerBrakeSlowdown": "power brake",
        }
        throttle = [label for attr, label in names.items() if reasons and reasons & getattr(pynvml, attr, 0)]
        gpus.append(
            {
                "name": get(pynvml.nvmlDeviceGetName, h),
                "memory_gib": round(mem.total / 2**30, 1) if mem else None,
                "compute_capability": f"{cc[0]}.{cc[1]}" if cc else None,
                "driver": get(pynvml.nvmlSystemGetDriverVersion),
                "sm_mhz": get(pynvml.nvmlDeviceGetClockInfo, h, pynvml.NVML_CLOCK_SM),
                "sm_max_mhz": get(pynvml.nvmlDeviceGetMaxClockInfo, h, pynvml.NVML_CLOCK_SM),
                "mem_mhz": get(pynvml.nvmlDeviceGetClockInfo, h, pynvml.NVML_CLOCK_MEM),
                "mem_max_mhz": get(pynvml.nvmlDeviceGetMaxClockInfo, h, pynvml.NVML_CLOCK_MEM),
                "power_limit_w": round(limit / 1000) if limit else None,
                "temperature_c": get(pynvml.nvmlDeviceGetTemperature, h, pynvml.NVML_TEMPERATURE_GPU),
                "throttle": throttle,
            }
        )
    cuda = get(pynvml.nvmlSystemGetCudaDriverVersion)
    return {"gpus": gpus, "cuda_driver_api": f"{cuda // 1000}.{(cuda % 1000) // 10}" if cuda else None}


def _cuda_runtime() -> str | None:
    cupy = sys.modules.get("cupy")
    if cupy is None:
        return None
    try:
        v = cupy.cuda.runtime.runtimeGetVersion()
    except Exception:  # noqa: BLE001 (no GPU: report what is known)
        return None
    return f"{v // 1000}.{(v % 1000) // 10}"


def _cpu() -> dict[str, Any]:
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


def probe() -> dict[str, Any]:
    now = dt.datetime.now(dt.timezone.utc)
    nvml = _nvml()
    packages = sorted(
        {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"]},
        key=str.lower,
    )
    return {
        "timestamp_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gpus": nvml.get("gpus", []),
        "cuda_driver_api": nvml.get("cuda_driver_api"),
        "cuda_runtime": _cuda_runtime(),
        "cpu": _cpu(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "platform": platform.platform(terse=True),
        "environment": packages,
    }


print(json.dumps(probe()))

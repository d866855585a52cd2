"""Every executed chapter records where and how its outputs were produced."""

from __future__ import annotations

import importlib.util
import platform
from importlib import metadata

import pytest
from conftest import BOOK_CHAPTERS
from nvbook import provenance, staleness

CHAPTERS = BOOK_CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_chapter_records_gpu_software_and_timings(chapter):
    nb = chapter.read_executed()
    assert nb is not None, f"{chapter.name} has never been executed"
    prov = staleness.stored_provenance(nb)
    gpu = prov["gpu"]
    assert gpu["name"].startswith("NVIDIA"), gpu
    assert gpu["memory_gib"] > 1
    assert gpu["driver"]
    assert gpu["compute_capability"]
    assert prov["cuda_runtime"]
    assert prov["cuda_driver_api"]
    assert prov["python"]
    for package in ("nvmath-python", "CuPy", "NumPy"):
        assert prov["packages"][package], package
    assert "numba-cuda" in prov["packages"]
    assert "SciPy" in prov["packages"]
    assert prov["date"]
    assert prov["wall_s"] > 0
    assert prov["code_hash"] == staleness.code_hash(chapter.read_source())
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(prov["cell_wall_s"]) == len(code)
    assert all(t >= 0 for t in prov["cell_wall_s"])


def test_probe_reports_this_interpreter_without_a_gpu():
    record = provenance.probe()
    assert record["python"] == platform.python_version()
    assert f"nbformat=={metadata.version('nbformat')}" in record["environment"]
    assert record["packages"]["NumPy"] == (metadata.version("numpy") if importlib.util.find_spec("numpy") else None)
    if record["gpu"] is None:  # the machines that run the tests have no GPU
        assert record["gpu_count"] == 0
        assert record["gpus"] == []


def test_summary_leads_with_the_gpu():
    prov = {
        "gpu": {"name": "NVIDIA Test GPU", "memory_gib": 80, "driver": "1.2", "compute_capability": "9.0"},
        "cuda_runtime": "13.0",
        "cuda_driver_api": "13.0",
        "python": "3.12.3",
        "packages": {"NumPy": "2.4.6", "nvmath-python": "1.0.0", "cuDSS": None},
        "date": "2026-11-24",
        "wall_s": 75,
        "code_hash": "abcdef0123456789",
    }
    items = provenance.summary(prov)
    labels = [k for k, _ in items]
    assert labels[0] == "GPU"
    assert labels.index("nvmath-python") < labels.index("NumPy")  # book order, not alphabetical
    assert "cuDSS" not in labels  # packages the chapter did not have are left out
    assert ("Run time", "1 min 15 s") in items


LOCK = """\
cupy-cuda13x==14.2.0 \\
    --hash=sha256:00
    # via -r requirements/gpu-cu13.in
markupsafe==3.0.3 \\
    --hash=sha256:11
    # via jinja2
nvidia-cuda-nvrtc==13.5.37 ; sys_platform == 'linux' \\
    --hash=sha256:22
"""


@pytest.fixture
def lock_root(tmp_path):
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "gpu-cu13.txt").write_text(LOCK)
    (tmp_path / "requirements" / "gpu-cu12.txt").write_text(LOCK.replace("cuda13x", "cuda12x"))
    return tmp_path


def test_a_run_that_holds_every_pin_names_its_lock(lock_root):
    environment = ["cupy-cuda13x==14.2.0", "MarkupSafe==3.0.3", "nvidia_cuda_nvrtc==13.5.37", "pip==25.0"]
    assert provenance.lock_of({"environment": environment}, lock_root) == lock_root / "requirements/gpu-cu13.txt"


@pytest.mark.parametrize(
    "environment",
    [
        ["cupy-cuda13x==14.2.0", "MarkupSafe==3.0.2", "nvidia-cuda-nvrtc==13.5.37"],  # another version
        ["cupy-cuda13x==14.2.0", "nvidia-cuda-nvrtc==13.5.37"],  # a pin missing
        [],
    ],
)
def test_a_run_assembled_otherwise_names_no_lock(lock_root, environment):
    assert provenance.lock_of({"environment": environment}, lock_root) is None


def test_a_record_without_a_package_list_names_no_lock(lock_root):
    assert provenance.lock_of({}, lock_root) is None

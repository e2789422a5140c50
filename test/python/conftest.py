"""Shared fixtures for the Python SDK tests (pytest, run by
scripts/run_tests.sh as `.venv/bin/python -m pytest -q test/python`).

Run from the repository root (as run_tests.sh does), the package is
imported from the checkout, over the library _lib.py finds: $IA_LIBRARY,
else build/. Run with a Python that has the package installed (pip install
.) from elsewhere, the installed package and its bundled library are tested.
"""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
try:
    import ipfs_accelerate_py as ia
except ModuleNotFoundError:
    sys.path.insert(0, str(REPO))
    import ipfs_accelerate_py as ia

#: The model every test uses: resolved by the core from the model cache.
MODEL = "all-MiniLM-L6-v2"
DIM = 384


@pytest.fixture(scope="session")
def model():
    """One fp32 CPU model shared by the read-only tests."""
    m = ia.Model(MODEL, ia.HardwareProfile(backend="cpu"))
    yield m
    m.close()


@pytest.fixture(scope="session")
def cli():
    """The ipfs-accelerate CLI built beside the loaded library, else the
    checkout's build/ one (an installed wheel ships no CLI)."""
    for path in (Path(ia.library_path).parent / "ipfs-accelerate", REPO / "build" / "ipfs-accelerate"):
        if path.is_file():
            return path
    pytest.skip(f"no ipfs-accelerate CLI beside {ia.library_path} or in {REPO / 'build'}")


@pytest.fixture(autouse=True)
def no_bench_db(monkeypatch, tmp_path):
    """Device choice reads measured results from $IA_BENCH_DB (default
    ./benchmark_db.duckdb): point it at a file that does not exist so every
    test sees the same, heuristic, choice."""
    monkeypatch.setenv("IA_BENCH_DB", str(tmp_path / "absent.duckdb"))


def report_backend(name):
    """The hardware report's entry for a backend (detection only)."""
    report = ia.HardwareDetector().detect_all(measure="none")
    return next(b for b in report["backends"] if b["name"] == name)


@pytest.fixture
def cuda_absent():
    """The core's reason cuda is absent; skips where cuda can run models."""
    entry = report_backend("cuda")
    if entry["available"]:
        pytest.skip("cuda is available here")
    assert entry["reason"]
    return entry["reason"]


def assert_cuda_refused(message, report_reason):
    """A model/endpoint open on cuda was refused for the reason the report
    gives. Without a GPU the core's message repeats the probe's reason (the
    report's); with a working GPU but no CUDA backend in this build the open
    path words it differently ("... has no backend for it yet")."""
    assert "cuda" in message
    assert report_reason in message or "no backend" in message, message

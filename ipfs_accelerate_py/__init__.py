"""ipfs_accelerate_py — the Python SDK of ipfs_accelerate, a thin layer over
the C core (libipfs_accelerate.so, include/ipfs_accelerate.h).

Everything that decides anything — model loading, tokenisation, kernels,
hardware detection, device choice, profile enforcement, benchmarking and
its DuckDB store, quantisation — happens in the C core; this package names
it the way the seed spec does (Worker, HardwareDetector, ModelManager,
HardwareProfile, BenchmarkRunner, QuantizationEngine, ModelOptimizer,
ModelRegistry) and converts arguments and results.

Why ctypes and not a compiled extension: installing the package needs no
compiler or Python headers beyond what builds the C core itself, one
library serves every Python version, and ctypes releases the GIL during
every foreign call, so threads that embed with separate models run in
parallel. Results are written by the core straight into numpy arrays this
package allocates.

    >>> from ipfs_accelerate_py import Worker
    >>> worker = Worker()
    >>> worker.init_worker(models=["all-MiniLM-L6-v2"])["all-MiniLM-L6-v2"]["cpu"]("hi").shape
    (384,)
"""
from __future__ import annotations

from . import _lib
from .errors import (
    FormatError,
    HardwareUnavailableError,
    IAError,
    InputOutputError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfMemoryError,
    UnsupportedError,
)
from .hardware import HardwareDetector, HardwareProfile, parse_memory_size, parse_precision
from .model import Model, Session, resolve_model
from .model_manager import ManagedModel, ModelManager
from .worker import DeviceChoice, EndpointHandler, Worker
from .benchmark import Benchmark, BenchmarkConfig, BenchmarkRun, BenchmarkRunner, DuckDBStorage
from .quantization import CalibrationDataset, QuantizationEngine, QuantizedModel
from .optimizer import ModelOptimizer
from .registry import DeploymentRecommendation, ModelInfo, ModelRegistry, RegisteredModel

#: Version of the loaded C library ("MAJOR.MINOR.PATCH").
__version__: str = _lib.version()

#: Path of the loaded C library.
library_path: str = str(_lib.library_path)

__all__ = [
    "__version__",
    "library_path",
    "Worker",
    "DeviceChoice",
    "EndpointHandler",
    "HardwareDetector",
    "HardwareProfile",
    "ModelManager",
    "ManagedModel",
    "Model",
    "Session",
    "resolve_model",
    "parse_memory_size",
    "parse_precision",
    "Benchmark",
    "BenchmarkConfig",
    "BenchmarkRun",
    "BenchmarkRunner",
    "DuckDBStorage",
    "CalibrationDataset",
    "QuantizationEngine",
    "QuantizedModel",
    "ModelOptimizer",
    "ModelRegistry",
    "RegisteredModel",
    "ModelInfo",
    "DeploymentRecommendation",
    "IAError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "InputOutputError",
    "FormatError",
    "NotFoundError",
    "UnsupportedError",
    "HardwareUnavailableError",
    "InternalError",
]

"""hardware.py — the seed's HardwareProfile and HardwareDetector.

Both are views of the C core: sizes and precision names are parsed by
``ia_parse_memory_size`` / ``ia_precision_parse``, the hardware report is
``ia_hw_report_json``, and whether a backend is present is what that report
says ("available" there means ipfs_accelerate can run models on it now, and
an absent backend comes with the core's reason).

A profile is a description: it may name hardware this machine lacks or a
precision a device cannot run. It is checked where it is used — opening a
model raises with the core's reason, a benchmark records a skipped row
with it — or on request with :meth:`HardwareProfile.check_available`.
"""
from __future__ import annotations

import ctypes
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _lib
from ._lib import HardwareProfileC, lib, new_struct
from ._native import encode, take_json
from .errors import HardwareUnavailableError

__all__ = [
    "HardwareProfile",
    "HardwareDetector",
    "parse_memory_size",
    "parse_precision",
    "precision_name",
    "OPTIMIZATION_LEVELS",
]

#: Names accepted for ``optimization_level`` besides the ints 0-3 of
#: ``ia_hardware_profile.optimization_level``: 0 portable kernels (the same
#: results on every CPU), 1 at most AVX2, 2 (default) and 3 the best kernels
#: this CPU runs. "high" and "performance" are the seed's names for the
#: highest level.
OPTIMIZATION_LEVELS: Mapping[str, int] = {"portable": 0, "avx2": 1, "default": 2, "high": 3, "performance": 3}

_MEASURE_LEVELS: Mapping[str, int] = {
    "none": _lib.IA_HW_NO_BENCH,
    "quick": _lib.IA_HW_QUICK_BENCH,
    "full": _lib.IA_HW_FULL_BENCH,
}


def parse_memory_size(size: Union[str, int]) -> int:
    """Bytes in a size such as ``"4GB"`` (powers of 1000), ``"512MiB"`` or
    ``"1.5G"`` (powers of 1024), or a plain byte count, as the core parses
    it (``ia_parse_memory_size``). Raises ValueError (InvalidArgumentError)
    with the core's message for anything else, negative counts included."""
    if isinstance(size, bool) or not isinstance(size, (str, int)):
        raise TypeError(f"memory size must be str or int, not {type(size).__name__}")
    out = ctypes.c_int64()
    lib.ia_parse_memory_size(encode(str(size), "memory size"), ctypes.byref(out))
    return out.value


def parse_precision(name: str) -> int:
    """The ``ia_precision`` code for "fp32", "fp16", "bf16", "int8", "int4"
    or "int2" (``ia_precision_parse``); ValueError with the core's message
    otherwise."""
    out = ctypes.c_int()
    lib.ia_precision_parse(encode(name, "precision"), ctypes.byref(out))
    return out.value


def precision_name(code: int) -> str:
    """The name of an ``ia_precision`` code (``ia_precision_name``)."""
    return _lib.optional_str(lib.ia_precision_name(code))


def _hw_report(level: int, threads: int) -> Dict[str, Any]:
    out = ctypes.c_void_p()
    lib.ia_hw_report_json(level, threads, ctypes.byref(out))
    report = take_json(out)
    assert isinstance(report, dict)
    return report


class HardwareProfile:
    """What a model should run on and within which limits (the seed's
    HardwareProfile, the core's ``ia_hardware_profile``).

    Args:
        backend: "auto" (default: the core picks), "cpu", "cuda", ... — any
            backend name of the hardware report.
        memory_limit: None or 0 for no limit, a byte count, or a size
            string such as "4GB" or "512MiB"; a model whose weights are
            larger is refused when it is opened.
        precision: "fp32" (default), "fp16", "bf16", "int8", "int4", "int2".
        optimization_level: 0-3 or one of :data:`OPTIMIZATION_LEVELS`.
        threads: CPU threads; 0 (default) = one per CPU.
        device_index: which device of a multi-device backend (0).
        check_available: when true, a backend other than "auto" that the
            hardware report lists as absent raises
            :class:`HardwareUnavailableError` here, with the core's reason.
            Default False: a profile describes hardware that may be absent
            (the seed's ``HardwareProfile(backend="cuda", precision="fp16")``
            on a machine without CUDA); opening a model with it raises,
            a benchmark records its rows as skipped with the reason.

    Raises:
        ValueError: a malformed memory size, precision or level (the
            core's message for sizes and precisions).
        HardwareUnavailableError: only with ``check_available=True``: the
            backend or device is absent.

    Profiles are immutable and compare equal field by field.
    """

    __slots__ = ("_backend", "_device_index", "_precision", "_memory_limit_bytes", "_threads",
                 "_optimization_level")

    def __init__(
        self,
        backend: str = "auto",
        memory_limit: Union[None, str, int] = None,
        precision: str = "fp32",
        optimization_level: Union[int, str] = 2,
        threads: int = 0,
        device_index: int = 0,
        *,
        check_available: bool = False,
    ) -> None:
        encode(backend, "backend")
        if not backend:
            raise ValueError("backend must not be empty (use \"auto\" to let the core choose)")
        for name, value in (("threads", threads), ("device_index", device_index)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, not {value!r}")
        if isinstance(optimization_level, str):
            if optimization_level not in OPTIMIZATION_LEVELS:
                raise ValueError(f"optimization_level {optimization_level!r} is not 0-3 or one of "
                                 + ", ".join(OPTIMIZATION_LEVELS))
            level = OPTIMIZATION_LEVELS[optimization_level]
        elif isinstance(optimization_level, int) and not isinstance(optimization_level, bool) \
                and 0 <= optimization_level <= 3:
            level = optimization_level
        else:
            raise ValueError(f"optimization_level must be 0-3 or one of {', '.join(OPTIMIZATION_LEVELS)}, "
                             f"not {optimization_level!r}")
        self._backend = backend
        self._device_index = device_index
        self._precision = parse_precision(precision)
        self._memory_limit_bytes = 0 if memory_limit is None else parse_memory_size(memory_limit)
        self._threads = threads
        self._optimization_level = level
        if check_available:
            self.check_available()

    # -- fields
    @property
    def backend(self) -> str:
        """Backend name ("auto", "cpu", "cuda", ...)."""
        return self._backend

    @property
    def device_index(self) -> int:
        """Device of a multi-device backend."""
        return self._device_index

    @property
    def precision(self) -> str:
        """Precision name ("fp32", "int8", ...)."""
        return precision_name(self._precision)

    @property
    def memory_limit_bytes(self) -> int:
        """Largest weights in bytes a model may have (0 = no limit)."""
        return self._memory_limit_bytes

    @property
    def threads(self) -> int:
        """CPU threads (0 = one per CPU)."""
        return self._threads

    @property
    def optimization_level(self) -> int:
        """Kernel level 0-3 (see :data:`OPTIMIZATION_LEVELS`)."""
        return self._optimization_level

    @property
    def device(self) -> str:
        """The device as the core names it: "cpu", "cuda", "cuda:1"
        (index 0 is written without ":0")."""
        return self._backend if self._device_index == 0 else f"{self._backend}:{self._device_index}"

    def replace(self, **changes: Any) -> "HardwareProfile":
        """A copy with some fields changed (same keywords as the
        constructor, ``check_available`` included)."""
        kwargs: Dict[str, Any] = dict(
            backend=self._backend, memory_limit=self._memory_limit_bytes, precision=self.precision,
            optimization_level=self._optimization_level, threads=self._threads,
            device_index=self._device_index)
        kwargs.update(changes)
        return HardwareProfile(**kwargs)

    def _key(self) -> tuple:
        return (self._backend, self._device_index, self._precision, self._memory_limit_bytes,
                self._threads, self._optimization_level)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HardwareProfile) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"HardwareProfile(backend={self._backend!r}, memory_limit={self._memory_limit_bytes}, "
                f"precision={self.precision!r}, optimization_level={self._optimization_level}, "
                f"threads={self._threads}, device_index={self._device_index})")

    # -- the core's view
    def check_available(self) -> None:
        """Raises :class:`HardwareUnavailableError` if the hardware report
        (detection only, no measurement) lists this profile's backend as
        absent — with the core's reason — or has no such backend or device.
        "auto" is always available (the core falls back to the CPU)."""
        if self._backend == "auto":
            return
        report = _hw_report(_lib.IA_HW_NO_BENCH, 0)
        backends: List[Dict[str, Any]] = report.get("backends", [])
        entry = next((b for b in backends if b.get("name") == self._backend), None)
        if entry is None:
            raise HardwareUnavailableError(
                f"backend '{self._backend}' is not available: the hardware report has no backend of that "
                f"name (it lists {', '.join(b.get('name', '?') for b in backends)})")
        if not entry.get("available"):
            raise HardwareUnavailableError(
                f"backend '{self._backend}' is not available: {entry.get('reason') or 'no reason given'}")
        n_devices = max(1, len(entry.get("devices") or []))
        if self._device_index >= n_devices:
            raise HardwareUnavailableError(
                f"device '{self.device}' is not available: the hardware report lists {n_devices} "
                f"{self._backend} device{'s' if n_devices > 1 else ''}")

    def to_c(self) -> HardwareProfileC:
        """The ``ia_hardware_profile`` struct, filled by the core's
        ``ia_hardware_profile_init`` and then with this profile's fields.
        Its ``backend`` points into a bytes object that the struct keeps
        alive (``_keep``); pass the struct itself, not a copy of its
        fields."""
        backend = encode(self._backend, "backend")
        c = new_struct(HardwareProfileC)
        c.backend = backend
        c.device_index = self._device_index
        c.precision = self._precision
        c.memory_limit_bytes = self._memory_limit_bytes
        c.threads = self._threads
        c.optimization_level = self._optimization_level
        c._keep = backend  # type: ignore[attr-defined]
        return c


class HardwareDetector:
    """Detects and measures the hardware (the seed's HardwareDetector) with
    the core's ``ia_hw_report_json``.

    Args:
        threads: threads for the CPU measurements (0 = all CPUs).
    """

    def __init__(self, threads: int = 0) -> None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ValueError(f"threads must be an int >= 0, not {threads!r}")
        self.threads = threads

    def detect_all(self, measure: str = "quick") -> Dict[str, Any]:
        """The hardware report as a dict: ``{"version", "cpu": {..., "flags":
        [...]}, "memory": {...}, "measurement": {...}, "backends": [{"name",
        "available", "reason", "devices", "gflops", "gbps"}, ...]}``. Every
        backend the seed lists appears, available or with the reason it is
        not.

        Args:
            measure: "quick" (default: measured CPU GFLOP/s and GB/s, under
                2 s), "none" (detection only, milliseconds; figures null)
                or "full" (longer, steadier measurements).
        """
        if measure not in _MEASURE_LEVELS:
            raise ValueError(f"measure must be one of {', '.join(_MEASURE_LEVELS)}, not {measure!r}")
        return _hw_report(_MEASURE_LEVELS[measure], self.threads)

    def available_backends(self) -> List[str]:
        """Names of the backends that can run models now (detection only)."""
        return [b["name"] for b in self.detect_all("none").get("backends", []) if b.get("available")]

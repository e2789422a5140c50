"""_lib.py — finds libipfs_accelerate.so, loads it with ctypes and declares
the C functions the package calls.

Where the library is looked for, first match wins:

1. ``$IA_LIBRARY`` — a path to the library file (when set, nothing else is
   tried, so a wrong path is an error rather than a silent fallback);
2. this package's directory — an installed wheel ships the library there;
3. ``<repository>/build/`` — a source checkout built with
   ``cmake -S . -B build -G Ninja && ninja -C build``.

The library is loaded with :class:`ctypes.CDLL`, which releases the GIL for
the duration of every foreign call, so two Python threads embedding with
two models run on two sets of cores at once.

Every function that returns ``ia_status`` gets an ``errcheck`` that turns a
failure into the :mod:`~ipfs_accelerate_py.errors` subclass for its code,
with ``ia_last_error()`` as the message. errcheck runs on the calling thread
right after the call, before any other call on that thread can overwrite
the thread-local message.

To declare another function, add a row to ``_SIGNATURES`` (name, restype,
argtypes); ``STATUS`` as restype means "returns ia_status, raise on
failure". Opaque handles get their own pointer types (``ModelP`` ...), so
ctypes refuses a worker where a model is expected.

Caller-filled structs mirror the header field for field and open with
``struct_size``; :func:`new_struct` fills one through the core's
``ia_*_init`` with ``ctypes.sizeof`` of the mirror, so the core reads
exactly the fields this mirror has (and its own defaults for the rest).
"""
from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_char_p,
    c_float,
    c_int,
    c_int32,
    c_int64,
    c_longlong,
    c_size_t,
    c_void_p,
)
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple

from .errors import error_for_status

__all__ = [
    "lib",
    "library_path",
    "HardwareProfileC",
    "ModelOptionsC",
    "SessionOptionsC",
    "SamplingOptionsC",
    "GenerateOptionsC",
    "GenerateResultC",
    "ChatMessageC",
    "TokenCallback",
    "new_struct",
    "ModelP",
    "SessionP",
    "ModelManagerP",
    "WorkerP",
    "EndpointP",
    "BenchmarkConfigC",
    "QuantConfigC",
    "QuantCompareConfigC",
    "RegistryP",
    "RegistryEntryC",
    "RegistryQueryC",
    "RegistryTargetC",
    "IA_REGISTRY_OPEN_EXISTING",
    "ProgressFn",
    "STATUS",
    "last_error",
    "IA_HW_NO_BENCH",
    "IA_HW_QUICK_BENCH",
    "IA_HW_FULL_BENCH",
]

_PKG_DIR = Path(__file__).resolve().parent
_LIB_FILE = {"darwin": "libipfs_accelerate.dylib", "win32": "ipfs_accelerate.dll"}.get(
    sys.platform, "libipfs_accelerate.so"
)

# ia_hw_report_json's measurement levels (IA_HW_* in the header).
IA_HW_NO_BENCH = 0
IA_HW_QUICK_BENCH = 1
IA_HW_FULL_BENCH = 2

# ia_registry_open's flag (IA_REGISTRY_OPEN_EXISTING in the header).
IA_REGISTRY_OPEN_EXISTING = 1


def _candidates() -> List[Path]:
    env = os.environ.get("IA_LIBRARY")
    if env:
        return [Path(env)]
    return [_PKG_DIR / _LIB_FILE, _PKG_DIR.parent / "build" / _LIB_FILE]


def _load() -> Tuple[ctypes.CDLL, Path]:
    tried = []
    for path in _candidates():
        if not path.is_file():
            tried.append(f"{path} (no such file)")
            continue
        try:
            return ctypes.CDLL(str(path)), path
        except OSError as e:  # e.g. libduckdb.so or libcjson.so.1 not found
            tried.append(f"{path} ({e})")
    raise ImportError(
        "ipfs_accelerate_py: cannot load the C library " + _LIB_FILE + "; tried: " + "; ".join(tried)
        + ". Build it (cmake -S . -B build -G Ninja && ninja -C build), install the package "
        "(pip install .), or set IA_LIBRARY to the library's path."
    )


lib, library_path = _load()


# ------------------------------------------------------------------ types

class _Opaque(ctypes.Structure):
    """Base of the opaque handle types: never dereferenced from Python."""


class _Model(_Opaque):
    pass


class _Session(_Opaque):
    pass


class _ModelManager(_Opaque):
    pass


class _Worker(_Opaque):
    pass


class _Endpoint(_Opaque):
    pass


class _Registry(_Opaque):
    pass


ModelP = POINTER(_Model)
SessionP = POINTER(_Session)
ModelManagerP = POINTER(_ModelManager)
WorkerP = POINTER(_Worker)
EndpointP = POINTER(_Endpoint)
RegistryP = POINTER(_Registry)


class _SizedStruct(ctypes.Structure):
    """A caller-filled struct of the header: ``struct_size`` first, filled
    by the core's ``ia_*_init`` (see :func:`new_struct`). Borrowed pointers
    in it (strings, arrays) are kept alive by whoever fills it, usually by
    storing the Python objects on the struct (``_keep``)."""


class HardwareProfileC(_SizedStruct):
    """``ia_hardware_profile`` (include/ipfs_accelerate.h), field for field.

    ``backend`` is a borrowed ``const char *``: whoever fills it keeps the
    bytes object alive for as long as the struct is used.
    """

    _fields_ = [
        ("struct_size", c_size_t),
        ("backend", c_char_p),
        ("device_index", c_int),
        ("precision", c_int),  # ia_precision: a C enum, int-sized on every ABI we build for
        ("memory_limit_bytes", c_int64),
        ("threads", c_int),
        ("optimization_level", c_int),
    ]


class ModelOptionsC(_SizedStruct):
    """``ia_model_options``."""

    _fields_ = [("struct_size", c_size_t), ("threads", c_int), ("device", c_char_p)]


class SessionOptionsC(_SizedStruct):
    """``ia_session_options``."""

    _fields_ = [("struct_size", c_size_t), ("n_ctx", c_int), ("threads", c_int), ("fallback", c_char_p)]


_c_char_pp_t = POINTER(c_char_p)


class SamplingOptionsC(_SizedStruct):
    """``ia_sampling_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("temperature", c_float),
        ("top_k", c_int),
        ("top_p", c_float),
        ("min_p", c_float),
        ("repeat_penalty", c_float),
        ("presence_penalty", c_float),
        ("frequency_penalty", c_float),
        ("penalty_last_n", c_int),
        ("seed", ctypes.c_uint64),
    ]


#: ``ia_token_callback``: piece, length, token, user data → nonzero to stop.
TokenCallback = ctypes.CFUNCTYPE(c_int, POINTER(ctypes.c_char), c_size_t, c_int32, c_void_p)


class GenerateOptionsC(_SizedStruct):
    """``ia_generate_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("max_tokens", c_int),
        ("stop", POINTER(c_char_p)),
        ("n_stop", c_size_t),
        ("ignore_eos", c_int),
        ("add_special", c_int),
        ("parse_special", c_int),
        ("sampling", POINTER(SamplingOptionsC)),
        ("on_token", TokenCallback),
        ("user_data", c_void_p),
    ]


class GenerateResultC(_SizedStruct):
    """``ia_generate_result``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("text", c_void_p),
        ("prompt_tokens", c_int),
        ("cached_tokens", c_int),
        ("generated_tokens", c_int),
        ("prompt_ms", ctypes.c_double),
        ("generate_ms", ctypes.c_double),
        ("first_token_ms", ctypes.c_double),
        ("finish_reason", ctypes.c_char * 16),
    ]


class ChatMessageC(ctypes.Structure):
    """``ia_chat_message``."""

    _fields_ = [("role", c_char_p), ("content", c_char_p)]


class BenchmarkConfigC(_SizedStruct):
    """``ia_benchmark_config``: the arrays are borrowed — whoever fills the
    struct keeps them (and the bytes they point to) alive during the call."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("models", _c_char_pp_t), ("n_models", c_size_t),
        ("backends", _c_char_pp_t), ("n_backends", c_size_t),
        ("batches", POINTER(c_int)), ("n_batches", c_size_t),
        ("seq_lens", POINTER(c_int)), ("n_seq_lens", c_size_t),
        ("iterations", c_int), ("warmup", c_int), ("threads", c_int),
        ("store_iterations", c_int),
        ("profiles", POINTER(HardwareProfileC)), ("n_profiles", c_size_t),
        ("prompt_tokens", c_int), ("gen_tokens", c_int),
        ("gen_iterations", c_int), ("gen_warmup", c_int),
    ]


class QuantConfigC(_SizedStruct):
    """``ia_quant_config`` (borrowed arrays, as for BenchmarkConfigC)."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("bits", c_int),
        ("asymmetric", c_int),
        ("group", c_int),
        ("mixed_precision", c_int),
        ("exclusions", _c_char_pp_t), ("n_exclusions", c_size_t),
        ("calibration", _c_char_pp_t), ("n_calibration", c_size_t),
        ("clip_search", c_int),
        ("threads", c_int),
        ("type", ctypes.c_char_p),
    ]


class QuantCompareConfigC(_SizedStruct):
    """``ia_quant_compare_config`` (borrowed strings and arrays)."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("reference", c_char_p),
        ("variants", _c_char_pp_t), ("n_variants", c_size_t),
        ("batch", c_int), ("seq_len", c_int),
        ("iterations", c_int), ("warmup", c_int), ("threads", c_int),
        ("stsb_csv", c_char_p),
    ]


class RegistryEntryC(_SizedStruct):
    """``ia_registry_entry`` (borrowed strings, kept alive by the caller)."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("model_path", c_char_p),
        ("model_id", c_char_p),
        ("task", c_char_p),
        ("family", c_char_p),
        ("licence", c_char_p),
        ("source", c_char_p),
        ("description", c_char_p),
        ("cid", c_char_p),
        ("metadata_json", c_char_p),
        ("hardware_json", c_char_p),
        ("parameters", c_int64),
        ("precision", c_char_p),
        ("replace", c_int),
    ]


class RegistryQueryC(_SizedStruct):
    """``ia_registry_query`` (borrowed arrays)."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("task", c_char_p),
        ("families", _c_char_pp_t), ("n_families", c_size_t),
        ("min_parameters", c_int64),
        ("max_parameters", c_int64),
        ("hardware", _c_char_pp_t), ("n_hardware", c_size_t),
        ("include_declared", c_int),
        ("min_performance_score", ctypes.c_double),
    ]


class RegistryTargetC(_SizedStruct):
    """``ia_registry_target`` (borrowed arrays)."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("max_latency_ms", ctypes.c_double),
        ("hardware", _c_char_pp_t), ("n_hardware", c_size_t),
        ("min_batch", c_int),
        ("max_batch", c_int),
    ]


#: ``ia_progress_fn``: void (*)(void *ctx, int done, int total, const char *what).
ProgressFn = CFUNCTYPE(None, c_void_p, c_int, c_int, c_char_p)


class _Status:
    """Marker restype: the function returns ia_status."""


STATUS = _Status()
_c_char_pp = POINTER(c_char_p)
_c_float_p = POINTER(c_float)


def last_error() -> str:
    """The core's message for the last failure on this thread ("" if none)."""
    msg = lib.ia_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def _check_status(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    if result != 0:
        raise error_for_status(result, last_error())
    return result


# name, restype, argtypes — the public functions this package calls.
_SIGNATURES: Sequence[Tuple[str, Any, List[Any]]] = [
    ("ia_status_str", c_char_p, [c_int]),
    ("ia_last_error", c_char_p, []),
    ("ia_version", c_char_p, []),
    ("ia_free", None, [c_void_p]),
    # models
    ("ia_model_resolve", STATUS, [c_char_p, c_char_p, c_size_t]),
    ("ia_model_options_init", None, [POINTER(ModelOptionsC), c_size_t]),
    ("ia_model_open", STATUS, [c_char_p, POINTER(ModelOptionsC), POINTER(ModelP)]),
    ("ia_model_open_profile", STATUS, [c_char_p, POINTER(HardwareProfileC), POINTER(ModelP)]),
    ("ia_model_free", None, [ModelP]),
    ("ia_model_dim", c_int, [ModelP]),
    ("ia_model_name", c_char_p, [ModelP]),
    ("ia_model_family", c_char_p, [ModelP]),
    ("ia_model_device", c_char_p, [ModelP]),
    ("ia_model_kernel", c_char_p, [ModelP]),
    ("ia_model_threads", c_int, [ModelP]),
    ("ia_model_max_tokens", c_int, [ModelP]),
    ("ia_model_count_tokens", STATUS, [ModelP, c_char_p, POINTER(c_size_t)]),
    ("ia_model_vocab_size", c_int, [ModelP]),
    ("ia_model_embed", STATUS, [ModelP, _c_char_pp, c_size_t, _c_float_p]),
    ("ia_model_weight_bytes", c_int64, [ModelP]),
    ("ia_model_precision", c_char_p, [ModelP]),
    ("ia_model_device_reason", c_char_p, [ModelP]),
    # sessions
    ("ia_session_options_init", None, [POINTER(SessionOptionsC), c_size_t]),
    ("ia_session_create", STATUS, [ModelP, POINTER(SessionOptionsC), POINTER(SessionP)]),
    ("ia_session_free", None, [SessionP]),
    ("ia_session_embed", STATUS, [SessionP, _c_char_pp, c_size_t, _c_float_p]),
    ("ia_session_decode", STATUS, [SessionP, POINTER(c_int32), c_size_t, _c_float_p]),
    ("ia_session_decode_batch", STATUS, [POINTER(SessionP), POINTER(c_int32), c_size_t, _c_float_p]),
    ("ia_session_position", c_int, [SessionP]),
    ("ia_session_reset", None, [SessionP]),
    ("ia_sampling_options_init", None, [POINTER(SamplingOptionsC), c_size_t]),
    ("ia_generate_options_init", None, [POINTER(GenerateOptionsC), c_size_t]),
    ("ia_generate_result_init", None, [POINTER(GenerateResultC), c_size_t]),
    ("ia_session_generate", STATUS, [SessionP, c_char_p, POINTER(GenerateOptionsC), POINTER(GenerateResultC)]),
    ("ia_session_cache_bytes", c_size_t, [SessionP]),
    ("ia_session_context", c_int, [SessionP]),
    ("ia_model_apply_chat_template", STATUS, [ModelP, POINTER(ChatMessageC), c_size_t, c_int, POINTER(c_void_p)]),
    # hardware and profiles
    ("ia_hw_report_json", STATUS, [c_int, c_int, POINTER(c_void_p)]),
    ("ia_hardware_profile_init", None, [POINTER(HardwareProfileC), c_size_t]),
    ("ia_precision_parse", STATUS, [c_char_p, POINTER(c_int)]),
    ("ia_precision_name", c_char_p, [c_int]),
    ("ia_parse_memory_size", STATUS, [c_char_p, POINTER(c_int64)]),
    ("ia_select_device", STATUS, [c_char_p, c_char_p, c_int, c_char_p, c_size_t, c_char_p, c_size_t]),
    # model manager
    ("ia_model_manager_create", STATUS, [POINTER(HardwareProfileC), POINTER(ModelManagerP)]),
    ("ia_model_manager_free", None, [ModelManagerP]),
    ("ia_model_manager_load", STATUS, [ModelManagerP, c_char_p, POINTER(ModelP)]),
    ("ia_model_manager_embed", STATUS, [ModelManagerP, c_char_p, _c_char_pp, c_size_t, _c_float_p]),
    ("ia_model_manager_switch", STATUS, [ModelManagerP, c_char_p, c_char_p]),
    # worker
    ("ia_worker_create", STATUS, [POINTER(WorkerP)]),
    ("ia_worker_free", None, [WorkerP]),
    ("ia_worker_init_hardware", STATUS, [WorkerP, POINTER(c_void_p)]),
    ("ia_worker_init", STATUS, [WorkerP, _c_char_pp, c_size_t, _c_char_pp, c_size_t]),
    ("ia_worker_endpoint", EndpointP, [WorkerP, c_char_p, c_char_p]),
    ("ia_endpoint_embed", STATUS, [EndpointP, _c_char_pp, c_size_t, _c_float_p]),
    ("ia_endpoint_model", ModelP, [EndpointP]),
    ("ia_endpoint_dim", c_int, [EndpointP]),
    ("ia_endpoint_device", c_char_p, [EndpointP]),
    ("ia_worker_optimal_hardware", STATUS,
     [WorkerP, c_char_p, c_char_p, c_int, c_char_p, c_size_t, c_char_p, c_size_t]),
    # benchmarks
    ("ia_benchmark_config_init", None, [POINTER(BenchmarkConfigC), c_size_t]),
    ("ia_benchmark_default_db", STATUS, [c_char_p, c_size_t]),
    ("ia_benchmark_run", STATUS,
     [POINTER(BenchmarkConfigC), c_char_p, ProgressFn, c_void_p, POINTER(c_int64), POINTER(c_void_p)]),
    ("ia_benchmark_query", STATUS,
     [c_char_p, _c_char_pp, c_size_t, _c_char_pp, c_size_t, _c_char_pp, c_size_t, c_char_p, POINTER(c_void_p)]),
    ("ia_benchmark_export", STATUS, [c_char_p, c_char_p, c_char_p]),
    ("ia_benchmark_report", STATUS, [c_char_p, POINTER(c_longlong), c_char_p]),
    # quantisation
    ("ia_quant_config_init", None, [POINTER(QuantConfigC), c_size_t, c_int]),
    ("ia_quantize_model", STATUS,
     [c_char_p, POINTER(QuantConfigC), c_char_p, ProgressFn, c_void_p, POINTER(c_void_p)]),
    ("ia_quant_compare_config_init", None, [POINTER(QuantCompareConfigC), c_size_t]),
    ("ia_quant_compare", STATUS,
     [POINTER(QuantCompareConfigC), c_char_p, ProgressFn, c_void_p, POINTER(c_int64), POINTER(c_void_p)]),
    # model registry
    ("ia_model_parameter_count", c_int64, [ModelP]),
    ("ia_registry_open", STATUS, [c_char_p, c_int, POINTER(RegistryP)]),
    ("ia_registry_close", None, [RegistryP]),
    ("ia_registry_entry_init", None, [POINTER(RegistryEntryC), c_size_t]),
    ("ia_registry_register", STATUS, [RegistryP, POINTER(RegistryEntryC), POINTER(c_void_p)]),
    ("ia_registry_remove", STATUS, [RegistryP, c_char_p]),
    ("ia_registry_query_init", None, [POINTER(RegistryQueryC), c_size_t]),
    ("ia_registry_search", STATUS, [RegistryP, POINTER(RegistryQueryC), POINTER(c_void_p)]),
    ("ia_registry_info", STATUS, [RegistryP, c_char_p, POINTER(c_void_p)]),
    ("ia_registry_target_init", None, [POINTER(RegistryTargetC), c_size_t]),
    ("ia_registry_recommend", STATUS, [RegistryP, c_char_p, POINTER(RegistryTargetC), POINTER(c_void_p)]),
]


#: The ``ia_*_init`` function of each caller-filled struct mirror.
_INITS = {
    "HardwareProfileC": "ia_hardware_profile_init",
    "ModelOptionsC": "ia_model_options_init",
    "SessionOptionsC": "ia_session_options_init",
    "SamplingOptionsC": "ia_sampling_options_init",
    "GenerateOptionsC": "ia_generate_options_init",
    "GenerateResultC": "ia_generate_result_init",
    "BenchmarkConfigC": "ia_benchmark_config_init",
    "QuantConfigC": "ia_quant_config_init",
    "QuantCompareConfigC": "ia_quant_compare_config_init",
    "RegistryEntryC": "ia_registry_entry_init",
    "RegistryQueryC": "ia_registry_query_init",
    "RegistryTargetC": "ia_registry_target_init",
}


def new_struct(cls: Any, *args: Any) -> Any:
    """A ``cls`` mirror filled with the core's defaults by its ``ia_*_init``
    (``args`` after the size: the bits of ``ia_quant_config_init``), its
    ``struct_size`` = ``ctypes.sizeof(cls)``."""
    s = cls()
    getattr(lib, _INITS[cls.__name__])(ctypes.byref(s), ctypes.sizeof(cls), *args)
    return s


def _declare() -> None:
    for name, restype, argtypes in _SIGNATURES:
        fn: Callable[..., Any] = getattr(lib, name)
        fn.argtypes = argtypes  # type: ignore[attr-defined]
        if restype is STATUS:
            fn.restype = c_int  # type: ignore[attr-defined]
            fn.errcheck = _check_status  # type: ignore[attr-defined]
        else:
            fn.restype = restype  # type: ignore[attr-defined]


_declare()


def version() -> str:
    """The C library's version, "MAJOR.MINOR.PATCH"."""
    return lib.ia_version().decode("ascii")


def status_name(status: int) -> str:
    """The core's short text for a status code (``ia_status_str``)."""
    return lib.ia_status_str(status).decode("utf-8", "replace")


def optional_str(raw: Optional[bytes]) -> str:
    """A borrowed ``const char *`` result as str ("" for NULL)."""
    return raw.decode("utf-8", "replace") if raw else ""

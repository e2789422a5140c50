"""model.py — one opened model (``ia_model``): open under a hardware
profile, embed texts into numpy arrays, read what the core chose.
"""
from __future__ import annotations

import ctypes
from typing import Any, Optional

import numpy as np

from . import _lib
from ._lib import ModelP, lib
from ._native import DEFAULT_BATCH_SIZE, NativeHandle, TextInput, embed_into, encode, text_list
from .hardware import HardwareProfile

__all__ = ["Model", "resolve_model", "model_info"]


def resolve_model(ref: str) -> str:
    """The model directory ``ref`` names, as the core resolves it: an
    existing directory as is, otherwise a cached name under
    ``$IA_MODEL_DIR`` (default ``~/.cache/ipfs_accelerate/models/<name>``).
    Raises NotFoundError with the core's message if there is none."""
    buf = ctypes.create_string_buffer(4096)
    lib.ia_model_resolve(encode(ref, "model"), buf, len(buf))
    return buf.value.decode("utf-8", "replace")


def model_info(ptr: Any) -> dict:
    """What the core says about an open ``ia_model *`` (borrowed strings
    copied): name, dim, device, device_reason, precision, kernel, threads,
    max_tokens, weight_bytes."""
    s = _lib.optional_str
    return {
        "name": s(lib.ia_model_name(ptr)),
        "dim": lib.ia_model_dim(ptr),
        "device": s(lib.ia_model_device(ptr)),
        "device_reason": s(lib.ia_model_device_reason(ptr)),
        "precision": s(lib.ia_model_precision(ptr)),
        "kernel": s(lib.ia_model_kernel(ptr)),
        "threads": lib.ia_model_threads(ptr),
        "max_tokens": lib.ia_model_max_tokens(ptr),
        "weight_bytes": lib.ia_model_weight_bytes(ptr),
    }


def _shape_result(out: np.ndarray, single: bool) -> np.ndarray:
    return out[0] if single else out


class Model(NativeHandle):
    """A sentence-embedding model opened by the core (weights memory-mapped,
    never copied).

    Args:
        ref: a model directory, or a cached name such as
            "all-MiniLM-L6-v2" (see :func:`resolve_model`).
        profile: where and how to run it (default: ``HardwareProfile()``,
            backend "auto"). The core enforces it: an absent backend raises
            HardwareUnavailableError, a precision the backend cannot run
            UnsupportedError, weights over the memory limit ValueError.

    One Model runs one call at a time (calls from several threads wait for
    each other); for parallel work open one Model per thread — their calls
    run concurrently, the GIL released.
    """

    def __init__(self, ref: str, profile: Optional[HardwareProfile] = None) -> None:
        super().__init__()
        if profile is None:
            profile = HardwareProfile()
        elif not isinstance(profile, HardwareProfile):
            raise TypeError(f"profile must be a HardwareProfile, not {type(profile).__name__}")
        self.profile = profile
        c_profile = profile.to_c()
        ptr = ModelP()
        lib.ia_model_open_profile(encode(ref, "model"), ctypes.byref(c_profile), ctypes.byref(ptr))
        self._adopt(ptr, lib.ia_model_free)
        self._dim = lib.ia_model_dim(ptr)

    def embed(self, texts: TextInput, batch_size: int = DEFAULT_BATCH_SIZE,
              out: Optional[np.ndarray] = None) -> np.ndarray:
        """Embeds texts (UTF-8) as the model's sentence-transformers config
        says (pooled, normalised).

        Args:
            texts: one str, or a sequence of str.
            batch_size: texts per call into the core.
            out: optional float32 C-contiguous array of shape (n, dim) to
                write into; it is returned itself.

        Returns:
            float32 array [n, dim] for a sequence, [dim] for a single str.
            The core writes the vectors straight into the array's memory.
        """
        encoded, single = text_list(texts)
        with self._using() as ptr:
            result = embed_into(lambda arr, n, dst: lib.ia_model_embed(ptr, arr, n, dst),
                                encoded, self._dim, batch_size, out)
        return _shape_result(result, single and out is None)

    def info(self) -> dict:
        """Everything the core reports about the model (see
        :func:`model_info`)."""
        with self._using() as ptr:
            return model_info(ptr)

    def _str(self, fn: Any) -> str:
        with self._using() as ptr:
            return _lib.optional_str(fn(ptr))

    @property
    def dim(self) -> int:
        """Embedding width (384 for all-MiniLM-L6-v2)."""
        return self._dim

    @property
    def name(self) -> str:
        """Model name (the directory's base name)."""
        return self._str(lib.ia_model_name)

    @property
    def device(self) -> str:
        """Device the model runs on ("cpu")."""
        return self._str(lib.ia_model_device)

    @property
    def device_reason(self) -> str:
        """How the device was chosen ("requested", or the core's sentence)."""
        return self._str(lib.ia_model_device_reason)

    @property
    def precision(self) -> str:
        """Widths the linear layers run at ("fp32", "int8", "int2+int4", ...)."""
        return self._str(lib.ia_model_precision)

    @property
    def kernel(self) -> str:
        """CPU kernel variant in use ("avx512", "avx2", "generic")."""
        return self._str(lib.ia_model_kernel)

    @property
    def max_tokens(self) -> int:
        """Tokens per text; longer texts are truncated."""
        with self._using() as ptr:
            return lib.ia_model_max_tokens(ptr)

    @property
    def weight_bytes(self) -> int:
        """Bytes of the weights as stored (what memory limits compare with)."""
        with self._using() as ptr:
            return lib.ia_model_weight_bytes(ptr)

    def __repr__(self) -> str:
        if self.closed:
            return "<Model closed>"
        return f"<Model {self.name!r} on {self.device} ({self.precision}, dim {self.dim})>"

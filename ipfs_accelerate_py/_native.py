"""_native.py — what every wrapper of a C handle shares: ownership of the
handle, the lock that keeps one handle on one thread at a time, UTF-8 text
arrays, embedding straight into numpy memory, and JSON the core hands out.

The C contract is "not thread-safe on one handle; one per thread". Python
users share objects between threads easily, so each wrapper serialises its
own calls with a lock; parallelism comes from separate handles (one Model
per thread), whose calls run concurrently because ctypes releases the GIL.
"""
from __future__ import annotations

import ctypes
import json
import threading
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._lib import ProgressFn, lib

__all__ = ["NativeHandle", "encode", "text_list", "embed_into", "take_json", "TextInput",
           "c_string_array", "Progress", "ProgressCallback", "call_with_progress"]

#: A Python progress callback: ``progress(done, total, what)``.
ProgressCallback = Callable[[int, int, str], Any]

TextInput = Union[str, Sequence[str]]

#: Texts per C call when embedding (the CLI's default --batch).
DEFAULT_BATCH_SIZE = 32


class NativeHandle:
    """Owns one C handle: frees it exactly once (close(), ``with``, or
    garbage collection) and serialises calls on it.

    Subclasses call ``_adopt(ptr, free_fn)`` once the handle exists and use
    ``with self._using() as ptr:`` around every C call on it.
    """

    _ptr: Any = None
    _free_fn: Optional[Callable[[Any], None]] = None

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def _adopt(self, ptr: Any, free_fn: Callable[[Any], None]) -> None:
        self._ptr = ptr
        self._free_fn = free_fn

    class _Using:
        __slots__ = ("owner",)

        def __init__(self, owner: "NativeHandle") -> None:
            self.owner = owner

        def __enter__(self) -> Any:
            self.owner._lock.acquire()
            if not self.owner._ptr:
                self.owner._lock.release()
                raise ValueError(f"{type(self.owner).__name__} is closed")
            return self.owner._ptr

        def __exit__(self, *exc: Any) -> None:
            self.owner._lock.release()

    def _using(self) -> "NativeHandle._Using":
        """Context manager: holds the lock and yields the live handle;
        ValueError if the object was closed."""
        return NativeHandle._Using(self)

    @property
    def closed(self) -> bool:
        """True once close() has freed the C handle."""
        return not self._ptr

    def close(self) -> None:
        """Frees the C handle; later calls raise ValueError. Idempotent."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ never ran
            return
        with lock:
            ptr, free_fn = self._ptr, self._free_fn
            self._ptr = None
            if ptr and free_fn is not None:
                free_fn(ptr)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass


def encode(text: str, what: str = "text") -> bytes:
    """``text`` as NUL-terminated-safe UTF-8 bytes for a ``const char *``.

    Raises TypeError for a non-str and ValueError for an embedded NUL (C
    would silently cut the string there) or a lone surrogate."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be str, not {type(text).__name__}")
    if "\0" in text:
        raise ValueError(f"{what} contains a NUL character, which C strings cannot hold")
    return text.encode("utf-8")


def text_list(texts: TextInput) -> Tuple[List[bytes], bool]:
    """UTF-8 encodes one text or a sequence of them; also says whether a
    single str was given (callers return a 1-D vector then)."""
    if isinstance(texts, str):
        return [encode(texts)], True
    if isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be str or a sequence of str, not {type(texts).__name__}")
    return [encode(t, f"texts[{i}]") for i, t in enumerate(texts)], False


def embed_into(
    call: Callable[[Any, int, Any], Any],
    encoded: List[bytes],
    dim: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    out: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Embeds ``encoded`` in batches, the C library writing each batch's
    rows straight into ``out`` (allocated here as float32 [n, dim] when
    None). ``call(char_pp, count, float_p)`` is one C embed call.

    ``out``, when given, must be a C-contiguous, writeable float32 array of
    shape (n, dim); it is filled in place and returned (no copy).
    """
    n = len(encoded)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
    if out is None:
        out = np.empty((n, dim), dtype=np.float32)
    else:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, not {type(out).__name__}")
        if out.dtype != np.float32 or out.shape != (n, dim):
            raise ValueError(f"out must be float32 of shape {(n, dim)}, not {out.dtype} {out.shape}")
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("out must be C-contiguous and writeable")
    if n == 0:
        return out
    base = out.ctypes.data
    row_bytes = dim * out.itemsize
    float_p = ctypes.POINTER(ctypes.c_float)
    for start in range(0, n, batch_size):
        chunk = encoded[start:start + batch_size]
        arr = (ctypes.c_char_p * len(chunk))(*chunk)  # borrows the bytes objects in chunk
        dst = ctypes.cast(ctypes.c_void_p(base + start * row_bytes), float_p)
        call(arr, len(chunk), dst)
    return out


def take_json(ptr: ctypes.c_void_p) -> Any:
    """Parses a JSON string the library handed out ("caller frees with
    ia_free()") and frees it."""
    if not ptr.value:
        return None
    try:
        return json.loads(ctypes.string_at(ptr.value).decode("utf-8"))
    finally:
        lib.ia_free(ptr)


def c_string_array(items: Sequence[bytes]) -> Any:
    """A ``const char *const *`` over ``items`` (None for an empty list).
    The array borrows the bytes objects: keep ``items`` alive during the
    call."""
    if not items:
        return None
    return (ctypes.c_char_p * len(items))(*items)


class Progress:
    """Adapts a Python ``progress(done, total, what)`` to ``ia_progress_fn``.

    An exception raised by the Python callback cannot cross the C frames
    (ctypes would print and swallow it), so the first one is stored, later
    progress calls are not forwarded, and :meth:`reraise` raises it after
    the C call returns. The core has no way to cancel a running call, so
    the C work itself runs to completion first.

    Use as: ``p = Progress(cb); c_call(..., p.c_fn, None, ...);
    p.reraise()`` — also when the C call raised (:meth:`reraise` is then
    called from a ``finally``, and the callback's exception, the cause,
    takes precedence).
    """

    def __init__(self, callback: Optional[ProgressCallback]) -> None:
        if callback is not None and not callable(callback):
            raise TypeError(f"progress must be callable, not {type(callback).__name__}")
        self.callback = callback
        self.error: Optional[BaseException] = None
        # NULL function pointer when there is no callback; the CFUNCTYPE
        # object must outlive the call, so it is kept on self.
        self.c_fn: Any = ProgressFn(self._trampoline) if callback is not None else ProgressFn()

    def _trampoline(self, ctx: Any, done: int, total: int, what: Optional[bytes]) -> None:
        if self.error is not None or self.callback is None:
            return
        try:
            self.callback(done, total, what.decode("utf-8", "replace") if what else "")
        except BaseException as e:  # noqa: BLE001 — stored, re-raised after the C call
            self.error = e

    def reraise(self) -> None:
        """Raises the callback's exception, if it raised one."""
        if self.error is not None:
            err, self.error = self.error, None
            raise err


def call_with_progress(progress: Optional[ProgressCallback], call: Callable[[Any], Any]) -> Any:
    """Runs ``call(c_progress_fn)`` and re-raises an exception the Python
    progress callback raised meanwhile (it takes precedence over an error
    of the C call, which it may have caused no more than reported)."""
    p = Progress(progress)
    try:
        result = call(p.c_fn)
    except BaseException:
        p.reraise()
        raise
    p.reraise()
    return result

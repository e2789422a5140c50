"""errors.py — the exceptions of ipfs_accelerate_py, one per ia_status code.

Every fallible C call returns an ``ia_status`` (the ``IA_STATUS_MAP`` X-macro
in include/ipfs_accelerate.h); a failure becomes the subclass of
:class:`IAError` for its code, with the core's own message from
``ia_last_error()``. Where a standard Python exception means the same thing
the subclass derives from it too, so ``except ValueError`` catches a bad
argument whether Python or the core noticed it.

The table below must follow the header's list, which is append-only;
test/python/test_errors.py checks it against the header. A code this table
does not know yet still raises :class:`IAError` with ``status`` set.
"""
from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
    "IAError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "InputOutputError",
    "FormatError",
    "NotFoundError",
    "UnsupportedError",
    "HardwareUnavailableError",
    "InternalError",
    "error_for_status",
]


class IAError(Exception):
    """A failure reported by the ipfs_accelerate C core.

    Attributes:
        status: the ``ia_status`` code (an int; ``None`` for errors the
            Python layer raises itself in place of the core).
        status_name: the code's name in the header (``"IA_ERR_UNAVAILABLE"``).
        message: the core's message (``ia_last_error()``), without the name.
    """

    status: Optional[int] = None
    status_name: str = "IA_ERR"

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(IAError, ValueError):
    """IA_ERR_INVALID_ARG: an argument the core refused (also a ValueError)."""

    status = 1
    status_name = "IA_ERR_INVALID_ARG"


class OutOfMemoryError(IAError, MemoryError):
    """IA_ERR_NOMEM: the core could not allocate (also a MemoryError)."""

    status = 2
    status_name = "IA_ERR_NOMEM"


class InputOutputError(IAError, OSError):
    """IA_ERR_IO: reading or writing a file failed (also an OSError)."""

    status = 3
    status_name = "IA_ERR_IO"


class FormatError(IAError, ValueError):
    """IA_ERR_FORMAT: a model, tokenizer or config file is malformed."""

    status = 4
    status_name = "IA_ERR_FORMAT"


class NotFoundError(IAError, LookupError):
    """IA_ERR_NOT_FOUND: a model, file or loaded name that does not exist."""

    status = 5
    status_name = "IA_ERR_NOT_FOUND"


class UnsupportedError(IAError):
    """IA_ERR_UNSUPPORTED: valid, but not something this build can do
    (a model family not implemented yet, fp16 on the CPU backend)."""

    status = 6
    status_name = "IA_ERR_UNSUPPORTED"


class HardwareUnavailableError(IAError):
    """IA_ERR_UNAVAILABLE: the hardware or backend asked for is absent.

    The message is the core's reason ("device 'cuda' is not available:
    libcuda.so.1 not found ..."): absence is reported, never faked.
    """

    status = 7
    status_name = "IA_ERR_UNAVAILABLE"


class InternalError(IAError):
    """IA_ERR_INTERNAL: a bug in the core; please report it."""

    status = 8
    status_name = "IA_ERR_INTERNAL"


_BY_STATUS: Dict[int, Type[IAError]] = {
    cls.status: cls  # type: ignore[misc]
    for cls in (
        InvalidArgumentError,
        OutOfMemoryError,
        InputOutputError,
        FormatError,
        NotFoundError,
        UnsupportedError,
        HardwareUnavailableError,
        InternalError,
    )
}


def error_for_status(status: int, message: str) -> IAError:
    """The exception for a failed call: the subclass for ``status`` (or
    :class:`IAError` for a code newer than this table) carrying ``message``."""
    cls = _BY_STATUS.get(status, IAError)
    err = cls(message or cls.status_name, status)
    return err

"""generation.py — text generation with decoder LLMs over the core's
``ia_session_generate``: options, the blocking call, streaming as an
iterator, and chat templates (``ia_model_apply_chat_template``).

Streaming runs the C call on a worker thread whose token callback puts each
piece into a queue that the iterator drains; closing the iterator early
(``break`` in a ``for`` loop) makes the next callback return "stop", so the
generation ends within one token and the session stays usable.
"""
from __future__ import annotations

import ctypes
import queue
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence

from ._lib import (
    ChatMessageC,
    GenerateOptionsC,
    GenerateResultC,
    SamplingOptionsC,
    TokenCallback,
    lib,
    new_struct,
)
from ._native import encode

__all__ = ["GenerationResult", "Message", "SEED_RANDOM"]

SEED_RANDOM = 2**64 - 1
_SENTINEL = object()


@dataclass
class GenerationResult:
    """What one generation did: the text and the core's counts and timings."""

    text: str
    prompt_tokens: int
    cached_tokens: int
    generated_tokens: int
    prompt_ms: float
    generate_ms: float
    first_token_ms: float
    finish_reason: str

    @property
    def prompt_tokens_per_s(self) -> float:
        fresh = self.prompt_tokens - self.cached_tokens
        return 1000.0 * fresh / self.prompt_ms if self.prompt_ms > 0 else 0.0

    @property
    def tokens_per_s(self) -> float:
        n = self.generated_tokens - 1
        return 1000.0 * n / self.generate_ms if n > 0 and self.generate_ms > 0 else 0.0


Message = Dict[str, str]


def _sampling(opts: Dict[str, Any]) -> Any:
    s = new_struct(SamplingOptionsC)
    for key in ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "presence_penalty",
                "frequency_penalty", "penalty_last_n"):
        if opts.get(key) is not None:
            setattr(s, key, opts[key])
    seed = opts.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an int in [0, 2**64), not {seed!r}")
        s.seed = seed
    return s


class _Options:
    """The C option structs of one call, kept alive while it runs."""

    def __init__(self, max_tokens: int, stop: Optional[Sequence[str]], ignore_eos: bool,
                 sampling: Dict[str, Any]) -> None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 0:
            raise ValueError(f"max_tokens must be an int >= 0, not {max_tokens!r}")
        if isinstance(stop, str):
            stop = [stop]
        self.stop_bytes = [encode(s, "stop string") for s in (stop or [])]
        if any(not s for s in self.stop_bytes):
            raise ValueError("stop strings must not be empty")
        self.sampling = _sampling(sampling)
        self.c = new_struct(GenerateOptionsC)
        self.c.max_tokens = max_tokens
        self.c.ignore_eos = int(bool(ignore_eos))
        self.stop_arr = (ctypes.c_char_p * max(1, len(self.stop_bytes)))(*self.stop_bytes)
        self.c.stop = ctypes.cast(self.stop_arr, ctypes.POINTER(ctypes.c_char_p))
        self.c.n_stop = len(self.stop_bytes)
        self.c.sampling = ctypes.pointer(self.sampling)


def _result(r: Any) -> GenerationResult:
    text = ctypes.string_at(r.text).decode("utf-8", "replace") if r.text else ""
    lib.ia_free(r.text)
    return GenerationResult(text, r.prompt_tokens, r.cached_tokens, r.generated_tokens, r.prompt_ms,
                            r.generate_ms, r.first_token_ms, r.finish_reason.decode())


def run(session_ptr: Any, prompt: str, opts: _Options, on_piece: Optional[Any] = None) -> GenerationResult:
    """Blocking ia_session_generate; on_piece(str) -> bool (True = stop)."""
    cb = None
    if on_piece is not None:
        def _cb(piece: Any, n: int, token: int, ud: Any) -> int:
            try:
                return 1 if on_piece(ctypes.string_at(piece, n).decode("utf-8", "replace")) else 0
            except BaseException:  # an exception in the callback stops the generation
                return 1
        cb = TokenCallback(_cb)
        opts.c.on_token = cb
    r = new_struct(GenerateResultC)
    lib.ia_session_generate(session_ptr, encode(prompt, "prompt"), ctypes.byref(opts.c), ctypes.byref(r))
    return _result(r)


def stream(using: Any, prompt: str, opts: _Options, done: Any) -> Iterator[str]:
    """Yields pieces as they come; ``using`` is the session's context
    manager; ``done(result)`` receives the GenerationResult at the end."""
    q: "queue.Queue[Any]" = queue.Queue()
    cancel = threading.Event()

    def on_piece(piece: str) -> bool:
        q.put(piece)
        return cancel.is_set()

    def work() -> None:
        try:
            with using() as s:
                done(run(s, prompt, opts, on_piece))
        except BaseException as e:  # delivered to the consumer
            q.put(e)
        finally:
            q.put(_SENTINEL)

    t = threading.Thread(target=work, name="ia-generate", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is _SENTINEL:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancel.set()
        t.join()


def chat_prompt(model_ptr: Any, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
    """The model's chat template applied to messages ([{"role", "content"}])."""
    if isinstance(messages, dict) or not isinstance(messages, (list, tuple)):
        raise TypeError("messages must be a list of {'role': ..., 'content': ...} dicts")
    enc: List[bytes] = []
    arr = (ChatMessageC * max(1, len(messages)))()
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise TypeError(f"message {i} must be a dict with str 'role' and 'content'")
        role, content = encode(m["role"], "role"), encode(m["content"], "content")
        enc += [role, content]
        arr[i].role, arr[i].content = role, content
    out = ctypes.c_void_p()
    lib.ia_model_apply_chat_template(model_ptr, arr, len(messages), int(bool(add_generation_prompt)),
                                     ctypes.byref(out))
    try:
        return ctypes.string_at(out).decode("utf-8")
    finally:
        lib.ia_free(out)

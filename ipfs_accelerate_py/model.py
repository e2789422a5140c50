"""model.py — one opened model (``ia_model``): open under a hardware
profile, embed texts into numpy arrays, read what the core chose; and
sessions (``ia_session``): what one request holds — a decoder's KV cache
and position — while the model's weights are shared.
"""
from __future__ import annotations

import contextlib
import ctypes
import weakref
from typing import Any, Iterator, Optional, Sequence, Union

import numpy as np

from . import _lib
from . import generation as _gen
from ._lib import ModelP, SessionOptionsC, SessionP, lib, new_struct
from ._native import DEFAULT_BATCH_SIZE, NativeHandle, TextInput, embed_into, encode, text_list
from .hardware import HardwareProfile

__all__ = ["Model", "Session", "resolve_model", "model_info"]


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
    copied): name, family, dim, vocab_size, device, device_reason,
    precision, kernel, threads, max_tokens, weight_bytes."""
    s = _lib.optional_str
    return {
        "name": s(lib.ia_model_name(ptr)),
        "family": s(lib.ia_model_family(ptr)),
        "dim": lib.ia_model_dim(ptr),
        "vocab_size": lib.ia_model_vocab_size(ptr),
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
    """A model opened by the core (weights memory-mapped, never copied): a
    sentence-embedding encoder (``embed``) or a decoder (``session()``).

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
        self._sessions: "weakref.WeakSet[Session]" = weakref.WeakSet()

    def session(self, n_ctx: int = 0, threads: int = 0) -> "Session":
        """A new :class:`Session` on this model (``ia_session_create``):
        its own KV cache of ``n_ctx`` tokens (0: the model's maximum, at
        most 4096) and ``threads`` (0: the model's). Sessions of one model
        run in parallel, one thread each; closing the model closes them."""
        return Session(self, n_ctx, threads)

    def _generation_session(self) -> "Session":
        """The session generate() and chat() use: its KV cache keeps the
        previous call's tokens, so a chat resending its history pays only
        for the new turn."""
        s = getattr(self, "_gen_session", None)
        if s is None or s.closed:
            s = self._gen_session = Session(self)
        return s

    def generate(self, prompt: str, *, stream: bool = False, max_tokens: int = 256,
                 stop: Optional[Sequence[str]] = None, ignore_eos: bool = False,
                 **sampling: Any) -> Union[str, Iterator[str]]:
        """Continues ``prompt`` with a decoder LLM (``ia_session_generate``).

        Returns the generated text, or with ``stream=True`` an iterator of
        text pieces as they are generated (whole UTF-8 characters, never
        part of a stop string; leaving the loop early stops generating).
        ``sampling``: temperature (0.8; 0 = greedy), top_k (40), top_p
        (0.95), min_p (0.05), repeat_penalty (1.0), presence_penalty,
        frequency_penalty (0), penalty_last_n (64), seed (random; the same
        seed gives the same text). ``max_tokens`` 0 means until EOS.
        The counts and timings of the last call are in
        ``last_generation``."""
        return self._generation_session().generate(prompt, stream=stream, max_tokens=max_tokens, stop=stop,
                                                   ignore_eos=ignore_eos, **sampling)

    def apply_chat_template(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str:
        """The model's chat template applied to ``messages`` (a list of
        {"role", "content"} dicts), as transformers' apply_chat_template
        with tokenize=False."""
        with self._using() as m:
            return _gen.chat_prompt(m, messages, add_generation_prompt)

    def chat(self, messages: Sequence[dict], *, stream: bool = False, **kwargs: Any) -> Union[str, Iterator[str]]:
        """The assistant's reply to ``messages`` (rendered with the
        model's chat template); same options as :meth:`generate`."""
        return self.generate(self.apply_chat_template(messages, True), stream=stream, **kwargs)

    @property
    def last_generation(self) -> Optional["_gen.GenerationResult"]:
        """Counts and timings of the last generate()/chat() (or None)."""
        s = getattr(self, "_gen_session", None)
        return s.last_generation if s is not None else None

    def close(self) -> None:
        """Frees the model, after closing its sessions. Idempotent."""
        for s in list(getattr(self, "_sessions", ())):
            s.close()
        super().close()

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
    def family(self) -> str:
        """The family that runs it ("bert", "llama")."""
        return self._str(lib.ia_model_family)

    @property
    def vocab_size(self) -> int:
        """Rows of a decoder's logits (the vocabulary)."""
        with self._using() as ptr:
            return lib.ia_model_vocab_size(ptr)

    @property
    def max_tokens(self) -> int:
        """Tokens per text; longer texts are truncated."""
        with self._using() as ptr:
            return lib.ia_model_max_tokens(ptr)

    def count_tokens(self, text: str) -> int:
        """Tokens the model's tokenizer makes of ``text``, special tokens
        included, before truncation to :attr:`max_tokens`
        (``ia_model_count_tokens``): what a server checks inputs against
        and reports as usage. UnsupportedError for a model without a
        tokenizer."""
        n = ctypes.c_size_t()
        raw = encode(text)
        with self._using() as ptr:
            lib.ia_model_count_tokens(ptr, raw, ctypes.byref(n))
        return n.value

    @property
    def weight_bytes(self) -> int:
        """Bytes of the weights as stored (what memory limits compare with)."""
        with self._using() as ptr:
            return lib.ia_model_weight_bytes(ptr)

    def __repr__(self) -> str:
        if self.closed:
            return "<Model closed>"
        return f"<Model {self.name!r} on {self.device} ({self.precision}, dim {self.dim})>"


TokenInput = Union[int, Sequence[int], np.ndarray]


class Session(NativeHandle):
    """One request's state on a :class:`Model` (``ia_session``): a decoder's
    KV cache and the tokens so far. Made by :meth:`Model.session`; keeps
    its model alive, and is closed when the model is.

    ``decode(tokens)`` appends tokens (a prompt in one call, then one token
    per step) and returns the logits that follow the last of them.
    """

    def __init__(self, model: Model, n_ctx: int = 0, threads: int = 0) -> None:
        super().__init__()
        if not isinstance(model, Model):
            raise TypeError(f"model must be a Model, not {type(model).__name__}")
        for name, value in (("n_ctx", n_ctx), ("threads", threads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, not {value!r}")
        opts = new_struct(SessionOptionsC)
        opts.n_ctx, opts.threads = n_ctx, threads
        ptr = SessionP()
        with model._using() as m:
            lib.ia_session_create(m, ctypes.byref(opts), ctypes.byref(ptr))
            self._vocab = lib.ia_model_vocab_size(m)
            self._dim = lib.ia_model_dim(m)
        self._adopt(ptr, lib.ia_session_free)
        self.model = model
        model._sessions.add(self)

    def decode(self, tokens: TokenInput, out: Optional[np.ndarray] = None) -> np.ndarray:
        """Appends ``tokens`` (one id, or a sequence / int array of them) to
        the session's sequence and returns the logits after the last one:
        float32 [vocab_size], written by the core straight into ``out`` (a
        C-contiguous writeable float32 array of that shape) when given.

        Raises InvalidArgumentError when the context would overflow (the
        session is then unchanged), ValueError for an empty token list."""
        ids = np.ascontiguousarray(np.atleast_1d(np.asarray(tokens)))
        if ids.ndim != 1 or ids.size == 0:
            raise ValueError(f"tokens must be one id or a non-empty 1-d sequence, not shape {ids.shape}")
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"tokens must be integers, not {ids.dtype}")
        if ids.min() < 0 or ids.max() >= self._vocab:
            raise ValueError(f"token ids must be in [0, {self._vocab}), got {int(ids.min())}..{int(ids.max())}")
        ids = ids.astype(np.int32, copy=False)
        if out is None:
            out = np.empty(self._vocab, dtype=np.float32)
        elif (not isinstance(out, np.ndarray) or out.dtype != np.float32 or out.shape != (self._vocab,)
              or not out.flags.c_contiguous or not out.flags.writeable):
            raise ValueError(f"out must be a writeable C-contiguous float32 array of shape ({self._vocab},)")
        with self._using() as s:
            lib.ia_session_decode(s, ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), ids.size,
                                  out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out

    @staticmethod
    def decode_batch(sessions: Sequence["Session"], tokens: Sequence[int]) -> np.ndarray:
        """One decoding step for several sequences at once
        (``ia_session_decode_batch``): ``sessions[i]`` appends ``tokens[i]``;
        returns float32 [len(sessions), vocab_size], row i the logits of
        sequence i. The sessions must be distinct and of the same model; the
        weights are read once for all of them, which is what makes serving
        several users faster than decoding them one by one. On an error no
        session changes."""
        sessions = list(sessions)
        ids = np.ascontiguousarray(np.asarray(tokens))
        if not sessions or any(not isinstance(x, Session) for x in sessions):
            raise TypeError("sessions must be a non-empty sequence of Session")
        if ids.ndim != 1 or ids.size != len(sessions) or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"tokens must be {len(sessions)} integer ids, one per session")
        ids = ids.astype(np.int32, copy=False)
        out = np.empty((len(sessions), sessions[0]._vocab), dtype=np.float32)
        arr = (SessionP * len(sessions))()
        with contextlib.ExitStack() as stack:
            # locks taken in one global order, so two batches over the same
            # sessions in another order cannot deadlock
            for i in sorted(range(len(sessions)), key=lambda j: id(sessions[j])):
                arr[i] = stack.enter_context(sessions[i]._using())
            lib.ia_session_decode_batch(arr, ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), ids.size,
                                        out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out

    last_generation: Optional["_gen.GenerationResult"] = None

    def generate(self, prompt: str, *, stream: bool = False, max_tokens: int = 256,
                 stop: Optional[Sequence[str]] = None, ignore_eos: bool = False,
                 **sampling: Any) -> Union[str, Iterator[str]]:
        """:meth:`Model.generate` on this session: the prompt continues
        from the session's cached tokens where they agree with it."""
        unknown = set(sampling) - {"temperature", "top_k", "top_p", "min_p", "repeat_penalty", "presence_penalty",
                                   "frequency_penalty", "penalty_last_n", "seed"}
        if unknown:
            raise TypeError(f"unknown generation option(s): {', '.join(sorted(unknown))}")
        opts = _gen._Options(max_tokens, stop, ignore_eos, sampling)
        encode(prompt, "prompt")  # type errors now, not on the worker thread

        def done(r: "_gen.GenerationResult") -> None:
            self.last_generation = r

        if stream:
            return _gen.stream(self._using, prompt, opts, done)
        with self._using() as s:
            r = _gen.run(s, prompt, opts)
        done(r)
        return r.text

    @property
    def cache_bytes(self) -> int:
        """Bytes of the session's KV cache (0 for encoders)."""
        with self._using() as s:
            return lib.ia_session_cache_bytes(s)

    @property
    def n_ctx(self) -> int:
        """The session's context length in tokens (0 for encoders)."""
        with self._using() as s:
            return lib.ia_session_context(s)

    def embed(self, texts: TextInput, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """:meth:`Model.embed` on this session (encoders)."""
        encoded, single = text_list(texts)
        with self._using() as s:
            result = embed_into(lambda arr, n, dst: lib.ia_session_embed(s, arr, n, dst), encoded, self._dim,
                                batch_size, None)
        return result[0] if single else result

    @property
    def position(self) -> int:
        """Tokens in the session's sequence so far."""
        with self._using() as s:
            return lib.ia_session_position(s)

    def reset(self) -> None:
        """Forgets the sequence (the KV cache is kept for reuse)."""
        with self._using() as s:
            lib.ia_session_reset(s)

    def __repr__(self) -> str:
        return "<Session closed>" if self.closed else f"<Session at position {self.position}>"

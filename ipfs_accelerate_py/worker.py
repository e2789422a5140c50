"""worker.py — the seed's Worker over ``ia_worker``: the hwtest map,
endpoint handlers per model x device, and get_optimal_hardware.

``worker.endpoint_handler[model][device](text)`` embeds with the endpoint
the core created for that model on that device. Devices are named as the
core names them: "cpu", "cuda" (= "cuda:0"), "cuda:1"; both spellings of
index 0 find the same endpoint.

A device may also be a remote embedding server, "http://host:port[/prefix]"
or "https://...": ``init_worker(models, devices=["http://..."])`` creates an
endpoint that embeds there (OpenAI's POST /v1/embeddings, else Text
Embeddings Inference's POST /embed); docs/remote_endpoints.md has the rest.
"""
from __future__ import annotations

import ctypes
from typing import Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from . import _lib
from ._lib import EndpointP, WorkerP, lib
from ._native import DEFAULT_BATCH_SIZE, NativeHandle, TextInput, embed_into, encode, take_json, text_list
from .errors import HardwareUnavailableError
from .model import model_info

__all__ = ["Worker", "DeviceChoice", "EndpointHandler", "ModelEndpoints"]


class DeviceChoice(NamedTuple):
    """The core's device choice: ``device`` ("cpu") and ``reason``, the
    sentence saying which rule decided ("measured: ..." or "heuristic ...").

    Unpacks as ``device, reason = ...``; it can also index
    ``endpoint_handler[model]`` directly, as in the seed's example.
    """

    device: str
    reason: str


def _c_strings(items: Sequence[bytes]) -> Any:
    return (ctypes.c_char_p * len(items))(*items)


def _is_url(device: str) -> bool:
    """A remote endpoint's device: "http://..." or "https://..."."""
    return device[:7].lower() == "http://" or device[:8].lower() == "https://"


class EndpointHandler:
    """Callable endpoint for one model on one device.

    ``handler("text")`` gives the embedding as float32 [dim];
    ``handler(["a", "b"])`` gives [n, dim]. Keeps its Worker alive; fails
    with ValueError once the Worker is closed.
    """

    def __init__(self, worker: "Worker", model: str, device: str, ptr: Any) -> None:
        self._worker = worker
        self._ptr = ptr
        self.model_name = model
        self.device = device
        with worker._using():
            # a remote endpoint has no local model: the width is the endpoint's
            self.dim: int = lib.ia_endpoint_dim(ptr)
            self.remote: bool = not lib.ia_endpoint_model(ptr)

    def __call__(self, texts: TextInput, batch_size: int = DEFAULT_BATCH_SIZE,
                 out: Optional[np.ndarray] = None) -> np.ndarray:
        """Embeds one text (-> [dim]) or a sequence (-> [n, dim]); see
        :meth:`ipfs_accelerate_py.model.Model.embed` for ``out``."""
        encoded, single = text_list(texts)
        ptr = self._ptr
        with self._worker._using():
            result = embed_into(lambda arr, n, dst: lib.ia_endpoint_embed(ptr, arr, n, dst),
                                encoded, self.dim, batch_size, out)
        return result[0] if single and out is None else result

    def info(self) -> dict:
        """What the core reports about the endpoint's model (name, device,
        precision, kernel, threads, ..., and ``"remote": False``); for a
        remote endpoint, which has no local model, ``{"name": model,
        "device": url, "remote": True, "dim": width}``."""
        with self._worker._using():
            if self.remote:
                return {"name": self.model_name, "device": _lib.optional_str(lib.ia_endpoint_device(self._ptr)),
                        "remote": True, "dim": lib.ia_endpoint_dim(self._ptr)}
            return {**model_info(lib.ia_endpoint_model(self._ptr)), "remote": False}

    @property
    def precision(self) -> Optional[str]:
        """Widths the endpoint's model runs at ("fp32", ...); None for a
        remote endpoint (the server's business)."""
        return self.info().get("precision")

    def __repr__(self) -> str:
        return f"<EndpointHandler {self.model_name!r} on {self.device}>"


class ModelEndpoints(Mapping[str, EndpointHandler]):
    """``endpoint_handler[model]``: device name -> :class:`EndpointHandler`.

    Looking up a device the hardware report lists as absent raises
    HardwareUnavailableError with the core's reason; a present device
    without an endpoint for this model raises KeyError.
    """

    def __init__(self, worker: "Worker", model: str) -> None:
        self._worker = worker
        self._model = model

    def _find(self, device: str) -> Optional[Any]:
        with self._worker._using() as w:
            ep = lib.ia_worker_endpoint(w, encode(self._model, "model"), encode(device, "device"))
        return ep if ep else None

    def __getitem__(self, device: Union[str, DeviceChoice]) -> EndpointHandler:
        if isinstance(device, DeviceChoice):
            device = device.device
        if not isinstance(device, str):
            raise KeyError(device)
        ep = self._find(device)
        if ep is not None:
            return EndpointHandler(self._worker, self._model, device, ep)
        if _is_url(device):
            raise KeyError(f"no endpoint for {self._model!r} on {device!r}: "
                           f"init_worker(models=[{self._model!r}], devices=[{device!r}]) creates it")
        self._worker._raise_if_absent(device)
        raise KeyError(f"no endpoint for {self._model!r} on {device!r}: "
                       f"init_worker(models=[{self._model!r}], local_endpoints={{{self._model!r}: [{device!r}]}}) "
                       "creates it")

    def __iter__(self) -> Iterator[str]:
        local = [d for d in self._worker._candidate_devices() if self._find(d) is not None]
        return iter(local + list(self._worker._remote.get(self._model, [])))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"<endpoints of {self._model!r}: {list(self)}>"


class _EndpointTable(Mapping[str, ModelEndpoints]):
    """``worker.endpoint_handler``: model name -> :class:`ModelEndpoints`."""

    def __init__(self, worker: "Worker") -> None:
        self._worker = worker

    def __getitem__(self, model: str) -> ModelEndpoints:
        if model not in self._worker._models:
            raise KeyError(f"model {model!r} has no endpoints; init_worker(models=[{model!r}]) creates them")
        return ModelEndpoints(self._worker, model)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._worker._models))

    def __len__(self) -> int:
        return len(self._worker._models)

    def __repr__(self) -> str:
        return repr({m: list(self[m]) for m in self})


class Worker(NativeHandle):
    """The seed's Worker (``ia_worker``).

    ``init_hardware()`` detects the hardware; ``init_worker(models=...)``
    creates one endpoint per model x device; ``endpoint_handler[model]
    [device](text)`` embeds; ``get_optimal_hardware(...)`` says which device
    the core would pick and why. Endpoints of one model share its weights
    mapping. Calls on one Worker are serialised; use one Worker per thread
    for parallel work.
    """

    def __init__(self) -> None:
        super().__init__()
        ptr = WorkerP()
        lib.ia_worker_create(ctypes.byref(ptr))
        self._adopt(ptr, lib.ia_worker_free)
        self._models: List[str] = []
        self._remote: Dict[str, List[str]] = {}  # model -> remote devices (canonical URLs)
        self.hwtest: Optional[Dict[str, Any]] = None
        self.endpoint_handler: Mapping[str, ModelEndpoints] = _EndpointTable(self)

    def init_hardware(self) -> Dict[str, Any]:
        """Detects the hardware (no measurement) and returns
        ``{"hwtest": {"<backend>": {"available": bool, "reason": str,
        "devices": [...]}, ...}}`` for every backend of the hardware report;
        the map is also kept as ``self.hwtest``."""
        out = ctypes.c_void_p()
        with self._using() as w:
            lib.ia_worker_init_hardware(w, ctypes.byref(out))
        self.hwtest = take_json(out)
        return {"hwtest": self.hwtest}

    def init_worker(
        self,
        models: Sequence[str],
        local_endpoints: Optional[Mapping[str, Sequence[str]]] = None,
        hwtest: Union[bool, Mapping[str, Any]] = False,
        devices: Optional[Sequence[str]] = None,
    ) -> Mapping[str, ModelEndpoints]:
        """Creates endpoint handlers for every model x device.

        Args:
            models: model names (cached) or directories; for a remote
                endpoint, the model name the server knows (sent as given).
            local_endpoints: ``{model: ["cpu", "cuda:0", ...]}`` — the
                devices for that model; a model missing here gets
                ``devices``, else (both None/empty) every available device,
                as the core decides.
            hwtest: True to run :meth:`init_hardware` first; a hwtest map
                (from ``init_hardware()["hwtest"]``) to use that one.
            devices: the devices of every model that ``local_endpoints``
                does not name: "cpu", "cuda:1", or a remote embedding server
                "http://host:port[/prefix]" / "https://..." (probed here: an
                unreachable one raises HardwareUnavailableError naming it).

        Returns:
            ``self.endpoint_handler``.

        Raises:
            HardwareUnavailableError: a device is absent (the core's reason);
                that model's endpoints are not created (all or nothing per
                model), models before it keep theirs.
        """
        if isinstance(models, str) or not isinstance(models, Sequence):
            raise TypeError("models must be a sequence of model names")
        if hwtest is True:
            self.init_hardware()
        elif isinstance(hwtest, Mapping):
            self.hwtest = dict(hwtest)
        local_endpoints = local_endpoints or {}
        if isinstance(devices, str):
            devices = [devices]
        for model in models:
            m = encode(model, "model")
            devs_of = local_endpoints.get(model) or devices or []
            if isinstance(devs_of, str):
                devs_of = [devs_of]
            devs = [encode(d, "device") for d in devs_of]
            with self._using() as w:
                lib.ia_worker_init(w, _c_strings([m]), 1, _c_strings(devs) if devs else None, len(devs))
                if model not in self._models:
                    self._models.append(model)
                for d in devs_of:
                    if _is_url(d):
                        url = _lib.optional_str(lib.ia_endpoint_device(lib.ia_worker_endpoint(w, m, encode(d, "device"))))
                        if url and url not in self._remote.setdefault(model, []):
                            self._remote[model].append(url)
        return self.endpoint_handler

    def get_optimal_hardware(self, model_name: str, task_type: str = "text-embedding",
                             batch_size: int = 1) -> DeviceChoice:
        """The device the core picks for this model, task and batch size:
        measured results first — rows of the benchmark database
        (``$IA_BENCH_DB``, else ``~/.cache/ipfs_accelerate/benchmark_db.duckdb``)
        that measured this model (by content) on this machine — else a
        heuristic over the devices here that weighs the model's weights and
        the batch; the reason names the rule that decided.

        Returns:
            :class:`DeviceChoice` ``(device, reason)``.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 0:
            raise ValueError(f"batch_size must be an int >= 0, not {batch_size!r}")
        device = ctypes.create_string_buffer(64)
        why = ctypes.create_string_buffer(4096)
        with self._using() as w:
            lib.ia_worker_optimal_hardware(w, encode(model_name, "model_name"), encode(task_type, "task_type"),
                                           batch_size, device, len(device), why, len(why))
        return DeviceChoice(device.value.decode("utf-8", "replace"), why.value.decode("utf-8", "replace"))

    # -- helpers for the endpoint maps
    def _hwtest(self) -> Dict[str, Any]:
        if self.hwtest is None:
            self.init_hardware()
        assert self.hwtest is not None
        return self.hwtest

    def _candidate_devices(self) -> List[str]:
        """Every device of every available backend, named as the core
        names them (index 0 without ":0")."""
        names = []
        for backend, entry in self._hwtest().items():
            if entry.get("available"):
                n = max(1, len(entry.get("devices") or []))
                names += [backend] + [f"{backend}:{i}" for i in range(1, n)]
        return names

    def _raise_if_absent(self, device: str) -> None:
        backend = device.split(":", 1)[0]
        entry = self._hwtest().get(backend)
        if entry is None:
            raise HardwareUnavailableError(
                f"device '{device}' is not available: the hardware report has no backend '{backend}' "
                f"(it lists {', '.join(self._hwtest())})")
        if not entry.get("available"):
            raise HardwareUnavailableError(
                f"device '{device}' is not available: {entry.get('reason') or 'no reason given'}")

    def __repr__(self) -> str:
        return "<Worker closed>" if self.closed else f"<Worker models={self._models}>"

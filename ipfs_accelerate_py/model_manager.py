"""model_manager.py — the seed's ModelManager over ``ia_model_manager``:
load models by name with automatic device choice, embed, and move a model
to another backend without losing it when the move fails.

The core's manager applies one hardware profile to every load. A
``load_model(..., hardware_profile=p)`` with a profile other than the
manager's default therefore goes to a second core manager created for
``p`` (models of different managers do not share a weights mapping).
"""
from __future__ import annotations

import ctypes
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from ._lib import ModelManagerP, ModelP, lib
from ._native import DEFAULT_BATCH_SIZE, NativeHandle, TextInput, embed_into, encode, text_list
from .hardware import HardwareProfile
from .model import model_info

__all__ = ["ModelManager", "ManagedModel"]


class ManagedModel:
    """A model loaded by a :class:`ModelManager` (what ``load_model``
    returns): ``get_embeddings(texts)``, ``switch_hardware(backend)`` and
    the core's view of it. It refers to the model by name, so it stays
    valid across switches; it keeps its manager alive."""

    def __init__(self, manager: "ModelManager", name: str) -> None:
        self._manager = manager
        self.name = name

    def get_embeddings(self, texts: TextInput, batch_size: int = DEFAULT_BATCH_SIZE,
                       out: Optional[np.ndarray] = None) -> np.ndarray:
        """See :meth:`ModelManager.get_embeddings`."""
        return self._manager.get_embeddings(self.name, texts, batch_size=batch_size, out=out)

    def switch_hardware(self, target: Union[str, HardwareProfile]) -> None:
        """See :meth:`ModelManager.switch_hardware`."""
        self._manager.switch_hardware(self.name, target)

    def info(self) -> dict:
        """What the core reports about the model now (device, precision, ...)."""
        return self._manager.model_info(self.name)

    @property
    def device(self) -> str:
        """Device the model runs on now ("cpu")."""
        return self.info()["device"]

    @property
    def precision(self) -> str:
        """Widths the model's linear layers run at ("fp32", ...)."""
        return self.info()["precision"]

    @property
    def dim(self) -> int:
        """Embedding width."""
        return self.info()["dim"]

    def __repr__(self) -> str:
        return f"<ManagedModel {self.name!r}>"


class ModelManager(NativeHandle):
    """Loads models by name and keeps them (the seed's ModelManager).

    Args:
        hardware_profile: defaults for every load (default
            ``HardwareProfile()``: backend "auto", the core picks).

    Calls on one ModelManager are serialised; use one per thread for
    parallel work.
    """

    def __init__(self, hardware_profile: Optional[HardwareProfile] = None) -> None:
        super().__init__()
        if hardware_profile is None:
            hardware_profile = HardwareProfile()
        elif not isinstance(hardware_profile, HardwareProfile):
            raise TypeError(f"hardware_profile must be a HardwareProfile, not {type(hardware_profile).__name__}")
        self.hardware_profile = hardware_profile
        self._managers: Dict[HardwareProfile, Any] = {}
        self._owner: Dict[str, HardwareProfile] = {}
        # The handle NativeHandle tracks is the default manager; the others
        # are freed with it in close().
        self._adopt(self._create(hardware_profile), self._free_all)

    def _create(self, profile: HardwareProfile) -> Any:
        c_profile = profile.to_c()
        ptr = ModelManagerP()
        lib.ia_model_manager_create(ctypes.byref(c_profile), ctypes.byref(ptr))
        self._managers[profile] = ptr
        return ptr

    def _free_all(self, _default: Any) -> None:
        for ptr in self._managers.values():
            lib.ia_model_manager_free(ptr)
        self._managers.clear()

    def _manager_of(self, name: str) -> Any:
        """The core manager holding ``name`` (the default one for a name
        not loaded: the core then loads it, or says it is not loaded)."""
        return self._managers[self._owner.get(name, self.hardware_profile)]

    def load_model(self, model_name: str, hardware_profile: Optional[HardwareProfile] = None) -> ManagedModel:
        """Loads ``model_name`` (a cached name or a directory) if it is not
        loaded yet, under ``hardware_profile`` (default: the manager's).

        Raises:
            NotFoundError: no such model (the core's message).
            HardwareUnavailableError, UnsupportedError, ValueError: the
                profile cannot be met (the core's message).
            ValueError: the name is already loaded under another profile
                (switch_hardware moves it between backends).
        """
        profile = hardware_profile if hardware_profile is not None else self.hardware_profile
        if not isinstance(profile, HardwareProfile):
            raise TypeError(f"hardware_profile must be a HardwareProfile, not {type(profile).__name__}")
        name = encode(model_name, "model_name")
        with self._using():
            owner = self._owner.get(model_name)
            if owner is not None and hardware_profile is not None and owner != profile:
                raise ValueError(f"model {model_name!r} is already loaded under {owner!r}")
            if owner is None:
                mgr = self._managers.get(profile) or self._create(profile)
                lib.ia_model_manager_load(mgr, name, None)
                self._owner[model_name] = profile
        return ManagedModel(self, model_name)

    def _model_ptr(self, model_name: str) -> Any:
        """The loaded model (borrowed from the core manager; valid until a
        switch or close, so used only under the lock)."""
        ptr = ModelP()
        lib.ia_model_manager_load(self._manager_of(model_name), encode(model_name, "model_name"),
                                  ctypes.byref(ptr))
        self._owner.setdefault(model_name, self.hardware_profile)
        return ptr

    def get_embeddings(self, model_name: str, texts: TextInput, batch_size: int = DEFAULT_BATCH_SIZE,
                       out: Optional[np.ndarray] = None) -> np.ndarray:
        """Embeds texts with ``model_name``, loading it first (with the
        manager's profile) if needed. Returns float32 [dim] for one str,
        [n, dim] for a sequence, written by the core straight into the
        array (``out``: see :meth:`ipfs_accelerate_py.model.Model.embed`)."""
        encoded, single = text_list(texts)
        name = encode(model_name, "model_name")
        with self._using():
            dim = lib.ia_model_dim(self._model_ptr(model_name))
            mgr = self._manager_of(model_name)
            result = embed_into(lambda arr, n, dst: lib.ia_model_manager_embed(mgr, name, arr, n, dst),
                                encoded, dim, batch_size, out)
        return result[0] if single and out is None else result

    def switch_hardware(self, model_name: str, target: Union[str, HardwareProfile]) -> None:
        """Reopens a loaded model on another backend ("cpu", "cuda",
        "auto", or a HardwareProfile's backend; the load's other settings
        are kept — the core switches backends only).

        Raises:
            HardwareUnavailableError: the backend is absent (the core's
                reason); the model stays where it was and keeps working.
            NotFoundError: the model is not loaded.
            ValueError: a profile that differs in more than the backend.
        """
        with self._using():
            if isinstance(target, HardwareProfile):
                current = self._owner.get(model_name, self.hardware_profile)
                if target.device_index != 0 or _without_backend(target) != _without_backend(current):
                    raise ValueError(
                        "switch_hardware changes the backend only (ia_model_manager_switch); the model was "
                        f"loaded under {current!r}, the target is {target!r}")
                backend = target.backend
            elif isinstance(target, str):
                backend = target
            else:
                raise TypeError(f"target must be a backend name or HardwareProfile, not {type(target).__name__}")
            lib.ia_model_manager_switch(self._manager_of(model_name), encode(model_name, "model_name"),
                                        encode(backend, "backend"))

    def model_info(self, model_name: str) -> dict:
        """What the core reports about a loaded (or now loaded) model."""
        with self._using():
            return model_info(self._model_ptr(model_name))

    @property
    def loaded(self) -> List[str]:
        """Names loaded through this manager, in load order."""
        return list(self._owner)

    def __repr__(self) -> str:
        return "<ModelManager closed>" if self.closed else f"<ModelManager loaded={self.loaded}>"


def _without_backend(p: HardwareProfile) -> Tuple[Any, ...]:
    return (p.precision, p.memory_limit_bytes, p.threads, p.optimization_level)

"""registry.py — the seed's unified model registry (``ModelRegistry``) over
the core's ``ia_registry_*`` API (src/registry/, docs/registry.md).

The registry lives in the benchmark's DuckDB database, beside the measured
rows, and every answer keeps three kinds of figures apart:

* **read from the model** when it was registered — family, parameters,
  precision, bytes, content fingerprint (``read_from_model`` names them);
* **declared** by whoever registered it — task, licence, metadata and the
  ``hardware_compatibility`` dict (``declared_hardware``): nobody measured
  those;
* **measured** — rows of ``ipfs-accelerate bench`` /
  :class:`~ipfs_accelerate_py.BenchmarkRunner` for the model, joined by its
  content fingerprint (``performance_metrics``).

Recommendations come from measured rows of the model on this machine; when
there are none the answer is a heuristic and says so (``basis``,
``is_guess``). Hardware that does not run here is listed with the reason
and never recommended.

Each call opens the database, does its work and closes it again: DuckDB
lets one process write a file at a time, and a registry object held open
would lock ``ipfs-accelerate bench`` out of the same database.
"""
from __future__ import annotations

import ctypes
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ._lib import (
    IA_REGISTRY_OPEN_EXISTING,
    RegistryEntryC,
    RegistryP,
    RegistryQueryC,
    RegistryTargetC,
    lib,
    new_struct,
)
from ._native import c_string_array, encode, take_json
from .errors import NotFoundError

__all__ = ["ModelRegistry", "RegisteredModel", "ModelInfo", "DeploymentRecommendation"]

PathLike = Union[str, Path]


def _opt(value: Optional[str], what: str) -> Optional[bytes]:
    return None if value is None else encode(value, what)


def _names(values: Optional[Iterable[str]], what: str) -> List[bytes]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [encode(v, what) for v in values]


class RegisteredModel:
    """One registry entry as the core returned it (:attr:`raw`), with the
    seed's names as attributes.

    ``compatible_hardware`` is the device kinds the model has *measured*
    rows on (rows that ran, on any machine); ``measured_here`` those it was
    measured on on this machine and that run here now;
    ``declared_hardware`` is the ``hardware_compatibility`` dict as it was
    declared (never measured); ``performance_metrics`` one dict per
    measured configuration (machine x device x kind x precision x batch x
    seq_len, with ``best_items_per_s``, ``latency_ms_p50`` of that row,
    ``this_machine``, ``usable_here``, ``matched_by``)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw: Dict[str, Any] = dict(raw)
        measured = self.raw.get("measured") or {}
        self.model_id: str = self.raw.get("model_id", "")
        self.cid: Optional[str] = self.raw.get("cid")
        self.family: Optional[str] = self.raw.get("family")
        self.task: Optional[str] = self.raw.get("task")
        self.parameters: Optional[int] = _int_or_none(self.raw.get("parameters"))
        self.precision: Optional[str] = self.raw.get("precision")
        self.licence: Optional[str] = self.raw.get("licence")
        self.source: Optional[str] = self.raw.get("source")
        self.description: Optional[str] = self.raw.get("description")
        self.registered_at: Optional[str] = self.raw.get("registered_at")
        self.bytes: Optional[int] = _int_or_none(self.raw.get("bytes"))
        self.metadata: Dict[str, Any] = self.raw.get("metadata") or {}
        self.model_fingerprint: Optional[str] = self.raw.get("model_fingerprint")
        self.read_from_model: List[str] = list(self.raw.get("read_from_model") or [])
        self.declared_hardware: Dict[str, Dict[str, Any]] = dict(self.raw.get("declared_hardware") or {})
        self.measured: Dict[str, Any] = dict(measured)
        self.compatible_hardware: List[str] = list(measured.get("hardware") or [])
        self.measured_here: List[str] = list(measured.get("measured_here") or [])
        self.performance_metrics: List[Dict[str, Any]] = list(measured.get("performance") or [])
        #: How the search filters held (``{"hardware": {"cpu": "measured"}}``); search results only.
        self.matched: Dict[str, Any] = dict(self.raw.get("matched") or {})

    @property
    def license(self) -> Optional[str]:
        """The licence (the seed's spelling)."""
        return self.licence

    @property
    def model_family(self) -> Optional[str]:
        return self.family

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.model_id!r}, family={self.family!r}, task={self.task!r}, "
                f"parameters={self.parameters!r}, measured_on={self.compatible_hardware!r})")


class DeploymentRecommendation:
    """How to deploy a model on this machine (``ia_registry_recommend``).

    ``basis`` is ``"measured"`` (from rows of this model on this machine:
    ``expected_items_per_s`` / ``expected_latency_ms`` are those rows'
    figures), ``"heuristic"`` (a guess: nothing measured here; no expected
    figures, ``precision_basis`` / ``batch_basis`` say whether they were
    declared or a rule of thumb) or ``"none"`` (no requested hardware runs
    here). ``unusable`` lists requested hardware that does not run here,
    with the reason; ``options`` every measured configuration considered,
    best first."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw: Dict[str, Any] = dict(raw)
        self.model_id: str = self.raw.get("model_id", "")
        self.basis: str = self.raw.get("basis", "none")
        self.device: Optional[str] = self.raw.get("device")
        self.precision: Optional[str] = self.raw.get("precision")
        self.precision_basis: Optional[str] = self.raw.get("precision_basis")
        self.batch_size: Optional[int] = _int_or_none(self.raw.get("batch"))
        self.batch_basis: Optional[str] = self.raw.get("batch_basis")
        self.kind: Optional[str] = self.raw.get("kind")
        self.expected_items_per_s: Optional[float] = self.raw.get("expected_items_per_s")
        self.expected_gen_tokens_per_s: Optional[float] = self.raw.get("expected_gen_tokens_per_s")
        self.expected_latency_ms: Optional[float] = self.raw.get("expected_latency_ms_p50")
        self.meets_latency_target: Optional[bool] = self.raw.get("meets_latency_target")
        self.why: str = self.raw.get("why", "")
        self.options: List[Dict[str, Any]] = list(self.raw.get("options") or [])
        self.unusable: List[Dict[str, str]] = list(self.raw.get("unusable") or [])
        self.hardware_considered: List[str] = list(self.raw.get("hardware_considered") or [])
        self.declared_hardware: Dict[str, Any] = dict(self.raw.get("declared_hardware") or {})
        self.machine_id: Optional[str] = self.raw.get("machine_id")

    @property
    def is_guess(self) -> bool:
        """True unless measured rows of this model on this machine decided."""
        return self.basis != "measured"

    @property
    def batch(self) -> Optional[int]:
        return self.batch_size

    def __repr__(self) -> str:
        return (f"DeploymentRecommendation(basis={self.basis!r}, device={self.device!r}, "
                f"precision={self.precision!r}, batch_size={self.batch_size!r}, "
                f"expected_items_per_s={self.expected_items_per_s!r}, expected_latency_ms={self.expected_latency_ms!r})")


class ModelInfo(RegisteredModel):
    """:meth:`ModelRegistry.get_model_info`'s answer: the entry plus this
    machine's deployment recommendation (:attr:`recommendation`);
    ``recommended_quantization`` is its precision — measured when rows of
    this model on this machine decided, else declared for the device or
    the model's own (``recommendation.basis`` / ``precision_basis`` say
    which)."""

    def __init__(self, raw: Mapping[str, Any], recommendation: Mapping[str, Any]) -> None:
        super().__init__(raw)
        self.recommendation = DeploymentRecommendation(recommendation)
        self.recommended_quantization: Optional[str] = self.recommendation.precision


def _int_or_none(v: Any) -> Optional[int]:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _count(v: Optional[Union[int, float]], what: str) -> int:
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise ValueError(f"{what} must be a non-negative number, not {v!r}")
    return int(v)


class ModelRegistry:
    """The seed's ``ModelRegistry`` in the benchmark database at ``db_path``
    (None: the core's default, ``$IA_BENCH_DB`` else
    ``~/.cache/ipfs_accelerate/benchmark_db.duckdb``, resolved at each
    call). Registering creates the database; reads of a database that does
    not exist find nothing."""

    def __init__(self, db_path: Optional[PathLike] = None) -> None:
        self._db = None if db_path is None else str(db_path)

    @property
    def db_path(self) -> str:
        """The database this registry reads and writes now."""
        if self._db is not None:
            return self._db
        from .benchmark import default_db_path  # the core's default, as the CLI's
        return default_db_path()

    @contextmanager
    def _open(self, existing: bool) -> Iterator[Any]:
        reg = RegistryP()
        db = None if self._db is None else encode(self._db, "db_path")
        try:
            lib.ia_registry_open(db, IA_REGISTRY_OPEN_EXISTING if existing else 0, ctypes.byref(reg))
            yield reg
        finally:
            lib.ia_registry_close(reg)

    # ------------------------------------------------------------ writing

    def register_model(
        self,
        model_path: Optional[PathLike] = None,
        model_id: Optional[str] = None,
        task: Optional[str] = None,
        model_family: Optional[str] = None,
        hardware_compatibility: Optional[Mapping[str, Mapping[str, Any]]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        *,
        licence: Optional[str] = None,
        source: Optional[str] = None,
        description: Optional[str] = None,
        cid: Optional[str] = None,
        parameters: Optional[int] = None,
        precision: Optional[str] = None,
        replace: bool = False,
    ) -> RegisteredModel:
        """Registers a model. With ``model_path`` (a directory, a GGUF file
        or a cached name) the core opens it and reads family, parameters,
        precision, bytes and its fingerprint; ``model_family`` must then
        agree with the model's. Without it (``model_id`` required) the entry
        is declared only, and ``parameters`` / ``precision`` may be given.
        ``hardware_compatibility`` is stored as declared (``supported``,
        ``performance_score`` in [0, 1], ``recommended_batch_size``,
        ``recommended_precision`` per hardware; other keys are refused).
        ``metadata`` is kept as given; its ``description`` and
        ``license``/``licence`` fill those fields. Returns the entry."""
        if model_path is None and model_id is None:
            raise ValueError("register_model needs model_path or model_id")
        keep: List[Any] = []

        def s(v: Optional[str], what: str) -> Optional[bytes]:
            b = _opt(v, what)
            keep.append(b)
            return b

        e = new_struct(RegistryEntryC)
        e.model_path = s(None if model_path is None else str(model_path), "model_path")
        e.model_id = s(model_id, "model_id")
        e.task = s(task, "task")
        e.family = s(model_family, "model_family")
        e.licence = s(licence, "licence")
        e.source = s(source, "source")
        e.description = s(description, "description")
        e.cid = s(cid, "cid")
        e.metadata_json = s(None if metadata is None else json.dumps(dict(metadata)), "metadata")
        e.hardware_json = s(None if hardware_compatibility is None else json.dumps(
            {str(k): dict(v) for k, v in dict(hardware_compatibility).items()}), "hardware_compatibility")
        e.parameters = _count(parameters, "parameters")
        e.precision = s(precision, "precision")
        e.replace = 1 if replace else 0
        out = ctypes.c_void_p()
        with self._open(existing=False) as reg:
            lib.ia_registry_register(reg, ctypes.byref(e), ctypes.byref(out))
        return RegisteredModel(take_json(out))

    def remove_model(self, model_id: str) -> None:
        """Removes an entry (its benchmark rows stay). NotFoundError when it
        is not registered."""
        with self._open(existing=True) as reg:
            lib.ia_registry_remove(reg, encode(model_id, "model_id"))

    # ------------------------------------------------------------ reading

    def search(
        self,
        task: Optional[str] = None,
        max_parameters: Optional[int] = None,
        compatible_hardware: Optional[Sequence[str]] = None,
        model_families: Optional[Sequence[str]] = None,
        min_performance_score: Optional[float] = None,
        *,
        min_parameters: Optional[int] = None,
        include_declared: bool = False,
    ) -> List[RegisteredModel]:
        """Registered models matching every filter given.

        ``compatible_hardware``: the model has *measured* rows that ran on
        any of these device kinds (on any machine); with
        ``include_declared=True`` a declared ``"supported": True`` entry
        counts too (``matched`` says which). ``min_performance_score``
        compares the *declared* ``performance_score`` (of a named hardware,
        or any) — the only place such a score exists. ``model_families``
        and ``task`` compare case-insensitively; parameter bounds exclude
        models whose count is unknown."""
        families = _names(model_families, "model_families")
        hardware = _names(compatible_hardware, "compatible_hardware")
        q = new_struct(RegistryQueryC)
        task_b = _opt(task, "task")
        q.task = task_b
        fam_arr, hw_arr = c_string_array(families), c_string_array(hardware)
        q.families, q.n_families = fam_arr, len(families)
        q.hardware, q.n_hardware = hw_arr, len(hardware)
        q.min_parameters = _count(min_parameters, "min_parameters")
        q.max_parameters = _count(max_parameters, "max_parameters")
        q.include_declared = 1 if include_declared else 0
        if min_performance_score is not None:
            if not 0 <= float(min_performance_score) <= 1:
                raise ValueError(f"min_performance_score must be in [0, 1], not {min_performance_score!r}")
            q.min_performance_score = float(min_performance_score)
        out = ctypes.c_void_p()
        try:
            with self._open(existing=True) as reg:
                lib.ia_registry_search(reg, ctypes.byref(q), ctypes.byref(out))
        except NotFoundError:
            return []  # no database yet: nothing registered
        return [RegisteredModel(m) for m in take_json(out) or []]

    def list_models(self) -> List[RegisteredModel]:
        """Every registered model."""
        return self.search()

    def get_model_info(self, model_id: str) -> ModelInfo:
        """One model: its registered fields, declared hardware, measured
        performance (``performance_metrics``) and this machine's deployment
        recommendation (``recommended_quantization``, ``recommendation``).
        NotFoundError when it is not registered."""
        mid = encode(model_id, "model_id")
        info, rec = ctypes.c_void_p(), ctypes.c_void_p()
        with self._open(existing=True) as reg:
            lib.ia_registry_info(reg, mid, ctypes.byref(info))
            try:
                lib.ia_registry_recommend(reg, mid, None, ctypes.byref(rec))
            except BaseException:
                take_json(info)
                raise
        return ModelInfo(take_json(info), take_json(rec))

    def get_deployment_recommendations(
        self,
        model_id: str,
        target_latency_ms: Optional[float] = None,
        target_hardware: Optional[Sequence[str]] = None,
        batch_size_range: Optional[Tuple[int, int]] = None,
    ) -> DeploymentRecommendation:
        """Deployment advice for this machine: from measured rows of this
        model on this machine when there are any (the most items/s within
        ``target_latency_ms`` p50 per call), else a labelled heuristic.
        ``target_hardware`` limits the device kinds (None: every one that
        runs here); those that do not run here come back in ``unusable``
        with the reason. ``batch_size_range`` is (min, max), inclusive."""
        t = new_struct(RegistryTargetC)
        if target_latency_ms is not None:
            if isinstance(target_latency_ms, bool) or not float(target_latency_ms) > 0:
                raise ValueError(f"target_latency_ms must be positive, not {target_latency_ms!r}")
            t.max_latency_ms = float(target_latency_ms)
        hardware = _names(target_hardware, "target_hardware")
        hw_arr = c_string_array(hardware)
        t.hardware, t.n_hardware = hw_arr, len(hardware)
        if batch_size_range is not None:
            lo, hi = batch_size_range
            for v in (lo, hi):
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise ValueError(f"batch_size_range must hold ints >= 1, not {batch_size_range!r}")
            if lo > hi:
                raise ValueError(f"batch_size_range {batch_size_range!r}: min above max")
            t.min_batch, t.max_batch = lo, hi
        out = ctypes.c_void_p()
        with self._open(existing=True) as reg:
            lib.ia_registry_recommend(reg, encode(model_id, "model_id"), ctypes.byref(t), ctypes.byref(out))
        return DeploymentRecommendation(take_json(out))

    #: The seed's name for :meth:`get_deployment_recommendations`.
    get_deployment_options = get_deployment_recommendations

    def __repr__(self) -> str:
        return f"ModelRegistry(db_path={self._db!r})"

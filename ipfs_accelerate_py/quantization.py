"""quantization.py — the seed's ultra-low-precision framework
(QuantizationEngine, CalibrationDataset) over the core's quantiser.

``QuantizationEngine.quantize`` is ``ia_quantize_model``: an fp32 model
directory in, a directory with ``model.gguf`` (8, 4 or 2-bit linear layers)
plus the config and tokenizer files out — it opens like any model
(:class:`~ipfs_accelerate_py.model.Model`, ``ipfs-accelerate embed --model
DIR``). ``benchmark_comparison`` is ``ia_quant_compare``: throughput,
latency and memory by the core's benchmark runner, accuracy on STS-B, the
quantised variants beside their fp32 reference.

The scale search, mixed precision, file format and measurements are the
core's; this module maps the seed's ``quantization_config`` keys onto
``ia_quant_config`` and refuses the ones the core does not implement
(knowledge distillation, per-tensor scales) instead of ignoring them.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from ._lib import QuantCompareConfigC, QuantConfigC, lib, new_struct
from ._native import ProgressCallback, c_string_array, call_with_progress, encode, take_json
from .errors import UnsupportedError
from .hardware import HardwareProfile
from .model import Model, resolve_model

__all__ = [
    "CalibrationDataset",
    "QuantizationEngine",
    "QuantizedModel",
    "QUANT_CONFIG_KEYS",
    "default_stsb_csv",
    "model_cache_dir",
]

#: The ``quantization_config`` keys :meth:`QuantizationEngine.quantize` understands.
QUANT_CONFIG_KEYS = ("bits", "scheme", "per_channel", "group", "mixed_precision", "layer_exclusions",
                     "use_kd", "clip_search", "threads", "type")

#: ``quantization_config["type"]``: ggml recipes for GGUF decoders, as llama-quantize makes them.
GGML_TYPES = ("q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k")

_SCHEMES = {"symmetric": 0, "sym": 0, "asymmetric": 1, "asym": 1}

#: ``benchmark_comparison`` metric names -> the fields of the core's rows they keep.
_COMPARE_METRICS: Mapping[str, Sequence[str]] = {
    "latency": ("latency_ms_p50", "speedup"),
    "throughput": ("items_per_s", "speedup"),
    "memory": ("model_bytes", "rss_delta_bytes"),
    "accuracy": ("stsb_spearman", "stsb_relative_loss", "cosine_to_reference_mean", "cosine_to_reference_min"),
}
_COMPARE_KEYS = ("model", "precision", "batch", "seq_len")

_REPO = Path(__file__).resolve().parent.parent


def model_cache_dir() -> Path:
    """The core's model cache (DESIGN.md's entry points): ``$IA_MODEL_DIR``,
    else ``~/.cache/ipfs_accelerate/models`` — where cached names resolve,
    and where :meth:`QuantizationEngine.quantize` writes when given no
    ``output_dir``."""
    env = os.environ.get("IA_MODEL_DIR")
    return Path(env) if env else Path.home() / ".cache" / "ipfs_accelerate" / "models"


def _cached_output(model_name: str, kind: str, config: Mapping[str, Any], texts: Sequence[str]) -> Path:
    """The model-cache directory of one quantisation: named after the
    source and the bits, with a digest of the source directory, the config
    and the calibration texts, so the same request writes the same place
    (replacing what it wrote before) instead of a new directory per call."""
    source = os.path.realpath(resolve_model(model_name))
    key = json.dumps({"source": source, "config": dict(config), "calibration": list(texts)}, sort_keys=True,
                     default=str)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return model_cache_dir() / f"{Path(source).name}-{kind}-{digest}"


def default_stsb_csv() -> Optional[str]:
    """The STS-B file ``benchmark_comparison`` uses when given none:
    ``$IA_STSB_CSV``, else ``<checkout>/../shared/data/stsb-en-dev.csv`` if
    that file exists (the CLI's ``compare`` default), else None."""
    env = os.environ.get("IA_STSB_CSV")
    if env:
        return env
    path = _REPO.parent / "shared" / "data" / "stsb-en-dev.csv"
    return str(path) if path.is_file() else None


class CalibrationDataset:
    """Calibration texts for the quantiser (``ia_quant_config.calibration``).

    Their input statistics weight the scale search, and with
    ``mixed_precision`` each layer's sensitivity is measured on them. A
    quantisation without calibration texts uses unweighted scales and, for
    mixed precision, the core's built-in texts.

    Args:
        examples: the texts (str each).
        model_name: the model they are meant for (informational: the
            core tokenises them with whichever model is quantised).
    """

    def __init__(self, examples: Iterable[str], model_name: Optional[str] = None) -> None:
        texts = [examples] if isinstance(examples, str) else list(examples)
        if not texts:
            raise ValueError("a calibration dataset needs at least one text")
        for i, t in enumerate(texts):
            encode(t, f"examples[{i}]")
        self.examples: List[str] = texts
        self.model_name = model_name

    @classmethod
    def from_examples(cls, examples: Iterable[str], model_name: Optional[str] = None) -> "CalibrationDataset":
        """The seed's constructor: ``from_examples(model_name=..., examples=[...])``."""
        return cls(examples, model_name)

    @classmethod
    def from_file(cls, path: Union[str, Path], model_name: Optional[str] = None) -> "CalibrationDataset":
        """One text per line (UTF-8), read as ``ipfs-accelerate quantize
        --calibration FILE`` reads it: line breaks (``\\n``, ``\\r\\n``)
        dropped, every line kept — blank ones too — so both give the same
        model."""
        with open(path, "r", encoding="utf-8", newline="") as f:
            lines = [line.rstrip("\r\n") for line in f]
        return cls(lines, model_name)

    def __len__(self) -> int:
        return len(self.examples)

    def __iter__(self) -> Iterator[str]:
        return iter(self.examples)

    def __repr__(self) -> str:
        return f"<CalibrationDataset of {len(self)} texts for {self.model_name!r}>"


class QuantizedModel:
    """A quantised model directory written by :meth:`QuantizationEngine.quantize`.

    Attributes:
        path: the directory (``model.gguf`` + config and tokenizer files);
            give it wherever a model is named (``Model(path)``,
            ``worker.init_worker(models=[path])``, ``BenchmarkConfig``).
        report: the core's report (dict): ``layers`` (each tensor's
            ``name, bits, group, format, rel_error, sensitivity``),
            ``embeddings``, ``linear_bits_per_weight``, ``file_bytes``, ...
        source: the model it was quantised from.
        config: the ``quantization_config`` it was made with.
        hardware_profile: the profile given to quantize (None if none);
            the default of :meth:`load`.
    """

    def __init__(self, path: str, report: Dict[str, Any], source: str, config: Mapping[str, Any],
                 hardware_profile: Optional[HardwareProfile] = None) -> None:
        self.path = path
        self.report = report
        self.source = source
        self.config = dict(config)
        self.hardware_profile = hardware_profile

    @property
    def bits(self) -> int:
        """The width asked for (mixed precision keeps some layers wider)."""
        return int(self.config.get("bits", 8))

    def load(self, profile: Optional[HardwareProfile] = None) -> Model:
        """Opens the quantised model (a :class:`~ipfs_accelerate_py.model.Model`)
        under ``profile`` (default: the quantize call's profile, else
        ``HardwareProfile()``). Its ``precision`` says the widths the core
        really runs ("int8", "int2+int4", ...)."""
        return Model(self.path, profile if profile is not None else self.hardware_profile)

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"<QuantizedModel {self.path!r} ({self.bits}-bit from {self.source!r})>"


def _bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    v = config.get(key, default)
    if not isinstance(v, bool):
        raise ValueError(f"quantization_config[{key!r}] must be True or False, not {v!r}")
    return v


def quant_config_to_c(config: Mapping[str, Any], calibration: Sequence[bytes], exclusions: Sequence[bytes],
                      threads: int) -> Any:
    """``ia_quant_config`` for a seed-style ``quantization_config`` (see
    :meth:`QuantizationEngine.quantize`); the arrays are borrowed from
    ``calibration`` / ``exclusions``, kept alive on the struct."""
    gtype = config.get("type")
    if gtype is not None:
        if gtype not in GGML_TYPES:
            raise ValueError(f"quantization_config['type'] must be one of {', '.join(GGML_TYPES)}, not {gtype!r}")
        other = sorted(set(config) - {"type", "threads"})
        if other:
            raise ValueError(f"quantization_config['type'] (a ggml recipe for a GGUF decoder) takes no {other}")
        c = new_struct(QuantConfigC, 0)
        c.type = gtype.encode()
        c.threads = threads
        return c
    bits = config.get("bits", 8)
    if isinstance(bits, bool) or bits not in (8, 4, 2):
        raise ValueError(f"quantization_config['bits'] must be 8, 4 or 2, not {bits!r}")
    c = new_struct(QuantConfigC, bits)  # the core's measured-best defaults for the width
    if "scheme" in config:
        scheme = config["scheme"]
        if scheme not in _SCHEMES:
            raise ValueError(f"quantization_config['scheme'] must be 'symmetric' or 'asymmetric', not {scheme!r}")
        c.asymmetric = _SCHEMES[scheme]
    group = config.get("group")
    if not _bool(config, "per_channel", True):
        raise UnsupportedError("quantization_config['per_channel']=False asks for one scale per tensor, which the "
                               "core does not implement: its scales are per output channel, in groups along the "
                               "row (group=N, default 128 at 8 bits, 32 below) or whole rows (group='channel')")
    if group is None:
        c.group = 0
    elif group == "channel":
        c.group = -1
    elif isinstance(group, int) and not isinstance(group, bool) and group > 0:
        c.group = group  # the core checks it is a multiple of 32
    else:
        raise ValueError(f"quantization_config['group'] must be None, 'channel' or a positive multiple of 32, "
                         f"not {group!r}")
    if "mixed_precision" in config:
        c.mixed_precision = 1 if _bool(config, "mixed_precision", False) else 0
    c.clip_search = 1 if _bool(config, "clip_search", True) else 0
    c.threads = threads
    c._keep = (c_string_array(exclusions), c_string_array(calibration), exclusions, calibration)
    c.exclusions, c.n_exclusions = c._keep[0], len(exclusions)
    if calibration:  # else the core's default: its built-in texts at 2 bits, none above
        c.calibration, c.n_calibration = c._keep[1], len(calibration)
    return c


class QuantizationEngine:
    """Quantises models and compares them with their fp32 originals.

    Args:
        worker: accepted for the seed's signature. The core quantises files,
            not endpoints; to serve a quantised model through a Worker, give
            its directory as a model: ``worker.init_worker(models=[q.path])``.
    """

    def __init__(self, worker: Any = None) -> None:
        self.worker = worker

    def quantize(
        self,
        model_name: str,
        hardware_profile: Optional[HardwareProfile] = None,
        quantization_config: Optional[Mapping[str, Any]] = None,
        calibration_dataset: Optional[Union[CalibrationDataset, Sequence[str]]] = None,
        output_dir: Optional[Union[str, Path]] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> QuantizedModel:
        """Quantises ``model_name`` (an fp32 directory or cached name) with
        ``ia_quantize_model``.

        ``quantization_config`` keys (all optional):

        - ``type``: a ggml recipe (``GGML_TYPES``: "q4_k_m", "q5_0", ...) for
          a llama / qwen2 GGUF decoder, written as llama-quantize writes it
          (the same type and bytes per tensor); then only ``threads`` may
          be given besides, and the result is ``<output_dir>/model.gguf``.
        - ``bits``: 8 (default), 4 or 2. The other keys default to the
          settings measured best at that width (``ipfs-accelerate quantize
          --help``): symmetric at 8 and 4; at 2 asymmetric, mixed precision
          and the core's built-in calibration texts (0.53 % STS-B loss
          against 3.67 % for plain symmetric 2-bit).
        - ``scheme``: "symmetric" or "asymmetric" (a minimum per group).
        - ``per_channel``: True (default). The core's scales always belong
          to one output channel; with no ``group`` they cover groups of the
          core's default size along the row (128 weights at 8 bits, 32 at 4
          and 2) — finer than one scale per channel. ``per_channel`` alone
          never changes the grouping: one scale per whole channel is
          ``group="channel"`` (the core's group -1). ``per_channel=False``
          (one scale per tensor) is not implemented by the core and raises
          UnsupportedError.
        - ``group``: None (default size), "channel", or a multiple of 32.
        - ``mixed_precision``: measure each layer's sensitivity (on the
          calibration texts) and keep the most sensitive a step wider,
          within bits + 1 bits per weight on average (default: True at 2
          bits only).
        - ``layer_exclusions``: tensor-name patterns (substring, or a glob
          with ``* ? [``) kept at full precision.
        - ``use_kd``: knowledge distillation is not implemented; True raises
          NotImplementedError (False is accepted).
        - ``clip_search``: True (default) searches each group's clipping
          range; False gives plain min/max scales.
        - ``threads``: worker threads (default: the profile's, else all CPUs).

        Unknown keys raise ValueError.

        Args:
            hardware_profile: where the quantised model is meant to run. The
                file itself is the same for every backend; the profile must
                be available here (HardwareUnavailableError with the core's
                reason otherwise — a model quantised "for cuda" on a machine
                without one would be a promise nobody checked), and it is
                the default of :meth:`QuantizedModel.load`.
            calibration_dataset: a :class:`CalibrationDataset` or a list of texts
                (None: the core's default, its built-in texts at 2 bits).
            output_dir: where to write (created if needed; an existing
                model.gguf is replaced only once the new one is complete).
                None: the model cache (:func:`model_cache_dir`), as
                ``<model>-int<bits>-<digest>`` of the source, config and
                calibration texts — the same request rewrites the same
                directory, and its path opens like any model.
            progress: optional ``progress(done, total, what)``.

        Returns:
            a :class:`QuantizedModel` (its ``report`` is the core's).
        """
        config = dict(quantization_config or {})
        unknown = sorted(set(config) - set(QUANT_CONFIG_KEYS))
        if unknown:
            raise ValueError(f"unknown quantization_config keys {unknown}; supported: {', '.join(QUANT_CONFIG_KEYS)}")
        if _bool(config, "use_kd", False):
            raise NotImplementedError("quantization_config['use_kd']: knowledge distillation is not implemented "
                                      "in ipfs_accelerate; the core quantises post-training only (calibrated scale "
                                      "search, mixed_precision for the sensitive layers). Drop use_kd to go on.")
        if hardware_profile is not None and not isinstance(hardware_profile, HardwareProfile):
            raise TypeError(f"hardware_profile must be a HardwareProfile, not {type(hardware_profile).__name__}")
        threads = config.get("threads")
        if threads is None:
            threads = hardware_profile.threads if hardware_profile is not None else 0
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ValueError(f"threads must be an int >= 0, not {threads!r}")
        if hardware_profile is not None:
            hardware_profile.check_available()
        if calibration_dataset is None:
            texts: List[str] = []
        elif isinstance(calibration_dataset, CalibrationDataset):
            texts = calibration_dataset.examples
        else:
            texts = CalibrationDataset(calibration_dataset).examples
        calibration = [encode(t, "calibration text") for t in texts]
        excl = config.get("layer_exclusions") or []
        if isinstance(excl, str):
            excl = [excl]
        exclusions = [encode(p, "layer_exclusions entry") for p in excl]
        c = quant_config_to_c(config, calibration, exclusions, threads)
        if output_dir is not None:
            out_dir = str(output_dir)
        else:
            out = _cached_output(model_name, config.get("type") or f"int{c.bits}", config, texts)
            out.mkdir(parents=True, exist_ok=True)
            out_dir = str(out)
        report = ctypes.c_void_p()
        call_with_progress(progress, lambda fn: lib.ia_quantize_model(
            encode(model_name, "model_name"), ctypes.byref(c), encode(out_dir, "output_dir"), fn, None,
            ctypes.byref(report)))
        return QuantizedModel(out_dir, take_json(report) or {}, model_name, config, hardware_profile)

    def benchmark_comparison(
        self,
        model_name: str,
        quantized_model: Union[QuantizedModel, str, Sequence[Union[QuantizedModel, str]]],
        hardware_profile: Optional[HardwareProfile] = None,
        metrics: Optional[Sequence[str]] = None,
        stsb_csv: Optional[Union[str, Path]] = None,
        batch_size: int = 32,
        seq_len: int = 128,
        iterations: int = 10,
        warmup: int = 2,
        threads: int = 0,
        db_path: Optional[Union[str, Path]] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> List[Dict[str, Any]]:
        """The fp32 model beside its quantised variants (``ia_quant_compare``).

        One row per model, the reference first: ``model, precision,
        model_bytes, rss_delta_bytes, batch, seq_len, items_per_s,
        latency_ms_p50, speedup`` (items/s over the reference's),
        ``stsb_spearman`` (x100), ``stsb_relative_loss`` and the mean and
        minimum ``cosine_to_reference_*`` of its STS-B embeddings to the
        reference's.

        Args:
            quantized_model: a QuantizedModel or directory, or a list of them.
            hardware_profile: the core measures on the CPU only; a profile of
                another backend raises (HardwareUnavailableError with the
                core's reason if absent, UnsupportedError if present). Its
                threads are used when ``threads`` is 0.
            metrics: keep only these groups of fields: "latency"
                (latency_ms_p50, speedup), "throughput" (items_per_s,
                speedup), "memory" (model_bytes, rss_delta_bytes),
                "accuracy" (stsb_*, cosine_to_reference_*). None: all.
                ``model, precision, batch, seq_len`` are always kept.
            stsb_csv: STS-B pairs (sentence1,sentence2,score, no header);
                default :func:`default_stsb_csv`, and ValueError if none.
            batch_size, seq_len, iterations, warmup, threads: timing
                settings of the benchmark runner (threads 0 = all CPUs;
                warmup >= 1, since 0 means "the default, 2" to the core).
            db_path: store the run (results + accuracy rows) in this
                database; None stores nothing.
        """
        variants = quantized_model if isinstance(quantized_model, (list, tuple)) else [quantized_model]
        if not variants:
            raise ValueError("quantized_model must name at least one quantised model")
        paths = [v.path if isinstance(v, QuantizedModel) else os.fspath(v) for v in variants]
        for name, value, lo in (("batch_size", batch_size, 1), ("seq_len", seq_len, 2),
                                ("iterations", iterations, 1), ("warmup", warmup, 1), ("threads", threads, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise ValueError(f"{name} must be an int >= {lo}, not {value!r}")
        if hardware_profile is not None:
            if not isinstance(hardware_profile, HardwareProfile):
                raise TypeError(f"hardware_profile must be a HardwareProfile, not {type(hardware_profile).__name__}")
            if hardware_profile.backend not in ("auto", "cpu"):
                hardware_profile.check_available()
                raise UnsupportedError(f"benchmark_comparison measures on the CPU only (ia_quant_compare has no "
                                       f"backend setting); {hardware_profile.device!r} is not supported")
            if threads == 0:
                threads = hardware_profile.threads
        keep: Optional[List[str]] = None
        if metrics is not None:
            keep = list(_COMPARE_KEYS)
            for m in ([metrics] if isinstance(metrics, str) else metrics):
                if m not in _COMPARE_METRICS:
                    raise ValueError(f"unknown metric {m!r}: one of {', '.join(_COMPARE_METRICS)}")
                keep += [k for k in _COMPARE_METRICS[m] if k not in keep]
        csv = os.fspath(stsb_csv) if stsb_csv is not None else default_stsb_csv()
        if csv is None:
            raise ValueError("benchmark_comparison needs STS-B pairs for accuracy: pass stsb_csv= or set "
                             "$IA_STSB_CSV (no ../shared/data/stsb-en-dev.csv beside this checkout)")
        ref = encode(model_name, "model_name")
        enc = [encode(p, "quantized_model") for p in paths]
        c_variants = c_string_array(enc)
        c_csv = encode(csv, "stsb_csv")
        cfg = new_struct(QuantCompareConfigC)
        cfg.reference, cfg.variants, cfg.n_variants = ref, c_variants, len(enc)
        cfg.batch, cfg.seq_len, cfg.iterations, cfg.warmup, cfg.threads = batch_size, seq_len, iterations, warmup, threads
        cfg.stsb_csv = c_csv
        run_id = ctypes.c_int64()
        out = ctypes.c_void_p()
        db = encode(os.fspath(db_path), "db_path") if db_path is not None else None
        call_with_progress(progress, lambda fn: lib.ia_quant_compare(ctypes.byref(cfg), db, fn, None,
                                                                     ctypes.byref(run_id), ctypes.byref(out)))
        rows: List[Dict[str, Any]] = take_json(out) or []
        self.last_run_id: Optional[int] = run_id.value if db is not None and run_id.value > 0 else None
        if keep is not None:
            rows = [{k: r[k] for k in keep if k in r} for r in rows]
        return rows

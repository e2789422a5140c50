"""benchmark.py — the seed's benchmarking system (BenchmarkConfig,
BenchmarkRunner, DuckDBStorage, Benchmark) over the core's benchmark API:
``ia_benchmark_run`` measures and stores, ``ia_benchmark_query`` /
``ia_benchmark_export`` read the DuckDB database back, and
``ia_benchmark_report`` writes the HTML report (inline SVG charts).

The runner, the statistics, the database schema and the report are the
core's; this module converts arguments (the seed's names included) and
parses the JSON the core returns. The one thing drawn in Python is
:meth:`DuckDBStorage.plot_comparison`, a matplotlib chart of rows the core
returned — matplotlib is optional and imported only there.

Absent hardware is a result, not an error: a backend the machine lacks
(``"cuda"`` here), a precision a device cannot run and a model that is not
here come back as rows with ``skipped_reason`` — the core's reason — and
no figures. Hardware profiles go to the core as they are
(``ia_benchmark_config.profiles``); an int8/int4/int2 profile has the core
quantise the model for its rows, and every row says the precision and the
device that really ran.
"""
from __future__ import annotations

import ctypes
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from ._lib import BenchmarkConfigC, HardwareProfileC, lib, new_struct
from ._native import ProgressCallback, c_string_array, call_with_progress, encode, take_json
from .hardware import HardwareProfile

__all__ = [
    "BenchmarkConfig",
    "BenchmarkRunner",
    "BenchmarkRun",
    "DuckDBStorage",
    "Benchmark",
    "METRICS",
    "METRIC_GROUPS",
    "default_db_path",
]

#: The metric columns the core stores per result (``ia_benchmark_query``'s allow-list).
METRICS: Tuple[str, ...] = (
    "latency_ms_mean", "latency_ms_stddev", "latency_ms_p50", "latency_ms_p90", "latency_ms_p99",
    "items_per_s", "tokens_per_s", "rss_delta_bytes", "model_bytes", "energy_j", "power_w",
    # text generation rows (``kind == "generate"``): medians over the repetitions, their stddev
    "prompt_tokens_per_s", "prompt_tokens_per_s_stddev", "gen_tokens_per_s", "gen_tokens_per_s_stddev",
    "ttft_ms", "ttft_ms_stddev", "kv_cache_bytes",
)

#: The seed's metric names and the core columns each stands for.
METRIC_GROUPS: Mapping[str, Tuple[str, ...]] = {
    "latency": ("latency_ms_mean", "latency_ms_stddev", "latency_ms_p50", "latency_ms_p90", "latency_ms_p99"),
    "throughput": ("items_per_s", "tokens_per_s"),
    "memory": ("rss_delta_bytes", "model_bytes"),
    "power": ("energy_j", "power_w"),
    "generation": ("prompt_tokens_per_s", "prompt_tokens_per_s_stddev", "gen_tokens_per_s",
                   "gen_tokens_per_s_stddev", "ttft_ms", "ttft_ms_stddev", "kv_cache_bytes"),
}

#: The seed's ``group_by`` names -> the core's ("model", "backend", "batch").
_GROUP_ALIASES: Mapping[str, str] = {
    "model": "model", "model_name": "model",
    "backend": "backend", "hardware_backend": "backend", "hardware": "backend",
    "batch": "batch", "batch_size": "batch",
    "kind": "kind",
}

#: The metric a chart of "latency" etc. draws, and its error-bar column.
_PLOT_METRICS: Mapping[str, Tuple[str, Optional[str], str]] = {
    "latency": ("latency_ms_mean", "latency_ms_stddev", "latency (ms, mean)"),
    "throughput": ("items_per_s", None, "throughput (items/s)"),
    "memory": ("model_bytes", None, "model weights (bytes)"),
    "power": ("power_w", None, "power (W)"),
    "generation": ("gen_tokens_per_s", "gen_tokens_per_s_stddev", "generated tokens/s (median)"),
}


def default_db_path() -> str:
    """The core's default benchmark database (``ia_benchmark_default_db``):
    ``$IA_BENCH_DB``, else ``~/.cache/ipfs_accelerate/benchmark_db.duckdb``
    (its directory is created) — the CLI's default and the database device
    choice (``get_optimal_hardware``) reads. Never the working directory."""
    buf = ctypes.create_string_buffer(4096)
    lib.ia_benchmark_default_db(buf, len(buf))
    return buf.value.decode("utf-8", "replace")


_OPTIONS = ("store_results", "verbose", "collect_metrics_per_iteration")

HardwareSpec = Union[str, HardwareProfile]


def _expand_metrics(metrics: Optional[Iterable[str]]) -> Optional[List[str]]:
    """The seed's names ("latency", ...) expanded to core columns; core
    column names pass through (the core checks them)."""
    if metrics is None:
        return None
    if isinstance(metrics, str):
        metrics = [metrics]
    out: List[str] = []
    for m in metrics:
        for col in METRIC_GROUPS.get(m, (m,)):
            if col not in out:
                out.append(col)
    return out


def _int_list(name: str, values: Any, minimum: int) -> List[int]:
    if isinstance(values, int) and not isinstance(values, bool):
        values = [values]
    out = list(values)
    if not out:
        raise ValueError(f"{name} must not be empty")
    for v in out:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise ValueError(f"{name} must hold ints >= {minimum}, not {v!r}")
    return out


def _names(name: str, values: Any) -> List[str]:
    if isinstance(values, str):
        values = [values]
    out = list(values)
    if not out:
        raise ValueError(f"{name} must not be empty")
    for i, v in enumerate(out):
        encode(v, f"{name}[{i}]")
    return out


def _profile_of(spec: HardwareSpec) -> HardwareProfile:
    """A hardware entry as a profile: a name ("cuda", "cuda:1") is that
    device's default profile. Nothing is checked here: the core checks each
    profile when its rows run (absent hardware and unsupported precisions
    are skipped rows with the reason)."""
    if isinstance(spec, HardwareProfile):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"hardware entries must be backend names or HardwareProfile, not {type(spec).__name__}")
    encode(spec, "hardware")
    if not spec:
        raise ValueError("a hardware backend name must not be empty")
    name, sep, index = spec.partition(":")
    if sep and not index.isdigit():
        raise ValueError(f"hardware {spec!r} is not NAME or NAME:INDEX")
    return HardwareProfile(backend=name, device_index=int(index) if sep else 0)


class BenchmarkConfig:
    """What to benchmark: every model x hardware x batch size x sequence
    length runs ``iterations`` timed passes after ``warmup`` untimed ones
    (``ia_benchmark_config``). A model that generates text (the llama
    family, e.g. "smollm2") is measured instead as llama-bench's pp/tg, one
    row of ``kind`` "generate" per hardware entry: ``gen_iterations``
    generations of ``gen_tokens`` tokens after a ``prompt_tokens``-token
    prompt, with the median and stddev of prompt tokens/s, generated
    tokens/s and time to first token, the context and the KV-cache bytes.

    Args:
        models: model directories or cached names (the seed's
            ``model_names`` is accepted too).
        hardware: device names ("cpu", "cuda", "cuda:1", ...) or
            :class:`~ipfs_accelerate_py.hardware.HardwareProfile` objects
            (the seed's ``hardware_profiles``), run in this order; None
            (default): every device that runs models here. Each reaches
            the core whole (``ia_benchmark_config.profiles``): its
            precision (int8/int4/int2 quantise the model for its rows),
            memory limit, kernel level and threads (0: the config's).
            Absent hardware and precisions a device cannot run are fine
            here: the core records those rows as skipped, with the reason.
        batch_sizes: texts per call (default 1, 8, 32 — the CLI's).
        sequence_lengths: tokens per synthetic text, [CLS]/[SEP] included
            (default 128; at least 2).
        iterations: timed passes per configuration (>= 1).
        warmup: untimed passes first (the seed's ``warmup_iterations``).
        threads: CPU threads (0 = one per CPU).
        store_iterations: keep every iteration's latency in the database
            (the seed's ``options["collect_metrics_per_iteration"]``).
        metrics: the seed's metric names ("latency", "throughput",
            "memory", "power") or core columns (:data:`METRICS`). The core
            measures all of them on every run; this list is only the
            default column selection of :meth:`BenchmarkRunner.query_results`.
        options: the seed's options dict: ``store_results`` (False: store
            nothing, even with a storage), ``verbose`` (print progress to
            stderr), ``collect_metrics_per_iteration``. Other keys raise.
        prompt_tokens, gen_tokens: text generation's prompt and generated
            tokens (default 512 and 128, llama-bench's pp512 / tg128).
        gen_iterations, gen_warmup: its timed and untimed repetitions
            (default 5 and 1).
    """

    def __init__(
        self,
        models: Optional[Sequence[str]] = None,
        hardware: Optional[Sequence[HardwareSpec]] = None,
        batch_sizes: Sequence[int] = (1, 8, 32),
        sequence_lengths: Sequence[int] = (128,),
        iterations: int = 10,
        warmup: int = 2,
        threads: int = 0,
        store_iterations: bool = False,
        metrics: Optional[Sequence[str]] = None,
        options: Optional[Mapping[str, Any]] = None,
        *,
        model_names: Optional[Sequence[str]] = None,
        hardware_profiles: Optional[Sequence[HardwareSpec]] = None,
        warmup_iterations: Optional[int] = None,
        prompt_tokens: int = 512,
        gen_tokens: int = 128,
        gen_iterations: int = 5,
        gen_warmup: int = 1,
    ) -> None:
        if model_names is not None:
            if models is not None:
                raise TypeError("give models or model_names, not both")
            models = model_names
        if models is None:
            raise TypeError("BenchmarkConfig needs models (model directories or cached names)")
        if hardware_profiles is not None:
            hardware = hardware_profiles
        if warmup_iterations is not None:
            warmup = warmup_iterations
        for name, value, lo in (("iterations", iterations, 1), ("warmup", warmup, 0), ("threads", threads, 0),
                                ("prompt_tokens", prompt_tokens, 1), ("gen_tokens", gen_tokens, 1),
                                ("gen_iterations", gen_iterations, 1), ("gen_warmup", gen_warmup, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise ValueError(f"{name} must be an int >= {lo}, not {value!r}")
        options = dict(options or {})
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"unknown options {unknown}; supported: {', '.join(_OPTIONS)}")
        self.models: List[str] = _names("models", models)
        self.hardware: List[HardwareSpec] = (
            [] if hardware is None else [hardware] if isinstance(hardware, (str, HardwareProfile)) else list(hardware))
        if hardware is not None and not self.hardware:
            raise ValueError("hardware must not be empty (None: every device that runs models here)")
        self.profiles: List[HardwareProfile] = [_profile_of(h) for h in self.hardware]
        self.batch_sizes: List[int] = _int_list("batch_sizes", batch_sizes, 1)
        self.sequence_lengths: List[int] = _int_list("sequence_lengths", sequence_lengths, 2)
        self.iterations = iterations
        self.warmup = warmup
        self.threads = threads
        self.prompt_tokens = prompt_tokens
        self.gen_tokens = gen_tokens
        self.gen_iterations = gen_iterations
        self.gen_warmup = gen_warmup
        self.store_iterations = bool(options.get("collect_metrics_per_iteration", store_iterations))
        self.store_results = bool(options.get("store_results", True))
        self.verbose = bool(options.get("verbose", False))
        # A single metric name is one metric, not a sequence of letters.
        self.metrics: Optional[List[str]] = (
            None if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics))
        #: The devices the entries name ("cpu", "cuda:1"); empty: every device here.
        self.backends: List[str] = [p.device for p in self.profiles]

    def __repr__(self) -> str:
        hw = self.profiles if self.profiles else "every device here"
        return (f"BenchmarkConfig(models={self.models}, hardware={hw}, batch_sizes={self.batch_sizes}, "
                f"sequence_lengths={self.sequence_lengths}, iterations={self.iterations}, warmup={self.warmup}, "
                f"threads={self.threads})")


class BenchmarkRun(NamedTuple):
    """What :meth:`BenchmarkRunner.run` returns — unpacks as the seed's
    ``benchmark_id, results = runner.run()``.

    ``run_id`` is the run's id in the database (None when nothing was
    stored); ``results`` one dict per configuration, in the core's order
    (model, hardware entry, batch, seq_len nested): ``run_id, model,
    backend`` (the device that ran), ``precision`` (what ran: "int8" for an
    int8 profile), ``batch, seq_len, iterations``, the :data:`METRICS`
    (None where not measured, e.g. power without RAPL), ``power_reason``
    where power was not measured, ``skipped_reason`` — the core's reason —
    for a configuration that could not run here, and ``model_fingerprint``
    / ``machine_id`` (which model, by content, on which machine), ``kind``
    ("embed", or "generate" for a text generation row, which also holds
    ``gen_tokens, n_ctx, threads_used`` and the "generation" metrics of
    :data:`METRIC_GROUPS`).
    """

    run_id: Optional[int]
    results: List[Dict[str, Any]]


def _run(config: BenchmarkConfig, db_path: Optional[str], progress: Optional[ProgressCallback]) -> BenchmarkRun:
    models = [encode(m, "model") for m in config.models]
    batches = (ctypes.c_int * len(config.batch_sizes))(*config.batch_sizes)
    seqs = (ctypes.c_int * len(config.sequence_lengths))(*config.sequence_lengths)
    c_models = c_string_array(models)
    profiles = [p.to_c() for p in config.profiles]  # each keeps its backend bytes alive
    c_profiles = (HardwareProfileC * len(profiles))(*profiles) if profiles else None
    cfg = new_struct(BenchmarkConfigC)
    cfg.models, cfg.n_models = c_models, len(models)
    cfg.batches, cfg.n_batches = batches, len(config.batch_sizes)
    cfg.seq_lens, cfg.n_seq_lens = seqs, len(config.sequence_lengths)
    cfg.iterations, cfg.warmup, cfg.threads = config.iterations, config.warmup, config.threads
    cfg.store_iterations = 1 if config.store_iterations else 0
    cfg.prompt_tokens, cfg.gen_tokens = config.prompt_tokens, config.gen_tokens
    cfg.gen_iterations, cfg.gen_warmup = config.gen_iterations, config.gen_warmup
    if c_profiles is not None:
        cfg.profiles = ctypes.cast(c_profiles, ctypes.POINTER(HardwareProfileC))
        cfg.n_profiles = len(profiles)
    if progress is None and config.verbose:
        def progress(done: int, total: int, what: str) -> None:
            print(f"benchmark {done}/{total}: {what}", file=sys.stderr, flush=True)
    run_id = ctypes.c_int64()
    out = ctypes.c_void_p()
    db = encode(db_path, "db_path") if db_path is not None else None
    call_with_progress(progress, lambda fn: lib.ia_benchmark_run(ctypes.byref(cfg), db, fn, None,
                                                                 ctypes.byref(run_id), ctypes.byref(out)))
    rows = take_json(out) or []
    return BenchmarkRun(run_id.value if db is not None and run_id.value > 0 else None, rows)


def _need_matplotlib() -> Any:
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plot_comparison needs matplotlib, which is not a dependency of ipfs_accelerate_py: "
                          "pip install matplotlib (the HTML report, generate_report(), needs nothing extra)") from e
    return plt


def _plot(rows: List[Mapping[str, Any]], metric: str, output_path: Union[str, Path], title: Optional[str],
          include_error_bars: bool) -> str:
    """The bar chart of :meth:`DuckDBStorage.plot_comparison` over ``rows``."""
    plt = _need_matplotlib()
    col, err_col, label = _PLOT_METRICS.get(metric, (metric, None, metric))
    if col not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: one of {', '.join(list(_PLOT_METRICS) + list(METRICS))}")
    if not rows:
        raise ValueError("no result rows to plot")
    names, values, errors = [], [], []
    for r in rows:
        if "model" in r and "backend" in r:
            name = f"{Path(str(r['model'])).name}\n{r['backend']}"
            if r.get("precision"):
                name += f" {r['precision']}"
            if "batch" in r:
                name += f" b{r['batch']}"
            if "seq_len" in r:
                name += f" s{r['seq_len']}"
        else:  # a grouped row: its key is the one of model/backend/batch present
            key = next((k for k in ("model", "backend", "batch") if k in r), None)
            name = f"{key}={r[key]}" if key else "?"
        names.append(name)
        v = r.get(col)
        values.append(float(v) if v is not None else 0.0)
        e = r.get(err_col) if (include_error_bars and err_col) else None
        errors.append(float(e) if e is not None else 0.0)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(rows)), 4.5))
    bars = ax.bar(range(len(rows)), values, yerr=errors if include_error_bars and err_col else None,
                  capsize=4, color="#4878a8")
    for i, r in enumerate(rows):
        if r.get(col) is None:
            bars[i].set_alpha(0.0)
            ax.annotate("not measured", (i, 0), ha="center", va="bottom", fontsize=8, rotation=90)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel(label)
    ax.set_title(title or f"{label} by configuration")
    fig.tight_layout()
    path = str(output_path)
    fig.savefig(path)
    plt.close(fig)
    return path


class DuckDBStorage:
    """The benchmark database (DuckDB), read and written by the core.

    Args:
        db_path: the database file (created by the first run that stores
            into it). Default: :func:`default_db_path` — ``$IA_BENCH_DB``,
            else ``~/.cache/ipfs_accelerate/benchmark_db.duckdb``, the
            database the core's device choice (``get_optimal_hardware``)
            reads measured results from (rows of the same model, by
            content, measured on this machine).
    """

    def __init__(self, db_path: Optional[Union[str, Path]] = None) -> None:
        if db_path is None:
            db_path = default_db_path()
        self.db_path = str(db_path)
        encode(self.db_path, "db_path")

    @property
    def path(self) -> str:
        """The database file."""
        return self.db_path

    def __repr__(self) -> str:
        return f"DuckDBStorage({self.db_path!r})"

    def query_results(
        self,
        models: Optional[Sequence[str]] = None,
        backends: Optional[Sequence[str]] = None,
        metrics: Optional[Sequence[str]] = None,
        group_by: Optional[str] = None,
        *,
        model_names: Optional[Sequence[str]] = None,
        hardware_backends: Optional[Sequence[str]] = None,
        run_id: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Result rows of the database (``ia_benchmark_query``), oldest first.

        Args:
            models / backends: keep rows of these only (the seed's
                ``model_names`` / ``hardware_backends`` too).
            metrics: columns to return — seed names ("latency",
                "throughput", "memory", "power", "generation") or :data:`METRICS`. With
                metrics, rows hold ``id, run_id, model, backend, precision,
                batch, seq_len`` and those columns; without, every column
                (``skipped_reason``, ``run_status``, ``started_at``, ...).
            group_by: "model", "backend", "batch" or "kind" (also "model_name",
                "hardware_backend", "batch_size"): one row per group, its
                ``count`` and the mean of each metric over measured rows.
            run_id: keep only that run's rows (filtered here: the core's
                query has no run filter; not combinable with group_by).

        Raises:
            InvalidArgumentError (ValueError): an unknown metric or group.
            InputOutputError / NotFoundError: no such database.
        """
        if model_names is not None:
            if models is not None:
                raise TypeError("give models or model_names, not both")
            models = model_names
        if hardware_backends is not None:
            if backends is not None:
                raise TypeError("give backends or hardware_backends, not both")
            backends = hardware_backends
        group = None
        if group_by is not None:
            if group_by not in _GROUP_ALIASES:
                raise ValueError(f"cannot group by {group_by!r}: one of {', '.join(_GROUP_ALIASES)}")
            group = _GROUP_ALIASES[group_by]
            if run_id is not None:
                raise ValueError("run_id cannot be combined with group_by (the core groups over every run)")
        m = [encode(x, "model") for x in _names("models", models)] if models is not None else []
        b = [encode(x, "backend") for x in _names("backends", backends)] if backends is not None else []
        cols = _expand_metrics(metrics)
        k = [encode(x, "metric") for x in cols] if cols else []
        out = ctypes.c_void_p()
        lib.ia_benchmark_query(encode(self.db_path, "db_path"), c_string_array(m), len(m), c_string_array(b),
                               len(b), c_string_array(k), len(k), group.encode() if group else None,
                               ctypes.byref(out))
        rows: List[Dict[str, Any]] = take_json(out) or []
        if run_id is not None:
            rows = [r for r in rows if r.get("run_id") == run_id]
        return rows

    def run_ids(self) -> List[int]:
        """Ids of the runs that stored results, oldest first."""
        seen: List[int] = []
        for r in self.query_results(metrics=["items_per_s"]):
            if r["run_id"] not in seen:
                seen.append(r["run_id"])
        return seen

    def export(self, path: Union[str, Path], format: Optional[str] = None) -> str:
        """Writes every result row to ``path`` as "csv" (with a header) or
        "json" (one object per line), by DuckDB's COPY
        (``ia_benchmark_export``). ``format`` defaults to the file's
        suffix. Returns the path."""
        path = str(path)
        if format is None:
            format = Path(path).suffix.lstrip(".").lower()
            if format not in ("csv", "json"):
                raise ValueError(f"cannot tell the format of {path!r}: pass format='csv' or 'json'")
        lib.ia_benchmark_export(encode(self.db_path, "db_path"), encode(path, "path"), encode(format, "format"))
        return path

    def generate_report(self, output_path: Union[str, Path] = "benchmark_report.html",
                        compare: Optional[Tuple[int, int]] = None) -> str:
        """Writes the core's self-contained HTML report (inline SVG charts,
        no network) of every result in the database
        (``ia_benchmark_report``); ``compare=(run_a, run_b)`` adds the two
        runs side by side. Returns the path."""
        c_compare = None
        if compare is not None:
            ids = list(compare)
            if len(ids) != 2 or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
                raise ValueError(f"compare must be two run ids, not {compare!r}")
            c_compare = (ctypes.c_longlong * 2)(*ids)
        path = str(output_path)
        lib.ia_benchmark_report(encode(self.db_path, "db_path"), c_compare, encode(path, "output_path"))
        return path

    def plot_comparison(
        self,
        results: Optional[Sequence[Mapping[str, Any]]] = None,
        metric: str = "latency",
        output_path: Union[str, Path] = "comparison.png",
        title: Optional[str] = None,
        include_error_bars: bool = False,
    ) -> str:
        """Bar chart of one metric over result rows, saved to
        ``output_path`` (any format matplotlib writes: .png, .svg, .pdf).

        Needs matplotlib (not a dependency: ImportError saying so
        otherwise). ``results`` are rows from :meth:`query_results` or a
        run (default: every row of the database); ``metric`` is "latency"
        (mean ms; error bars = stddev when ``include_error_bars`` and the
        rows have it), "throughput" (items/s), "memory" (weight bytes),
        "power" (W) or any :data:`METRICS` column. Rows without a value —
        skipped configurations, power without a meter — are drawn as
        empty bars labelled "not measured". Returns the path.
        """
        rows = list(results) if results is not None else self.query_results()
        return _plot(rows, metric, output_path, title, include_error_bars)


class BenchmarkRunner:
    """Runs a :class:`BenchmarkConfig` with the core's runner
    (``ia_benchmark_run``) and stores it in ``storage``.

    Args:
        config: what to run.
        storage: the database to store into (None: store nothing).
        worker: accepted for the seed's signature; the core's runner opens
            its own models, so a Worker's endpoints are not used.
        progress: optional ``progress(done, total, what)``, called after
            each configuration (``what`` = "model device precision batch=N
            seq=N").
            An exception it raises is re-raised once the run returns (the
            core cannot be interrupted mid-run; the run still completes
            and is stored).
    """

    def __init__(self, config: BenchmarkConfig, storage: Optional[DuckDBStorage] = None,
                 worker: Any = None, progress: Optional[ProgressCallback] = None) -> None:
        if not isinstance(config, BenchmarkConfig):
            raise TypeError(f"config must be a BenchmarkConfig, not {type(config).__name__}")
        if storage is not None and not isinstance(storage, DuckDBStorage):
            raise TypeError(f"storage must be a DuckDBStorage, not {type(storage).__name__}")
        self.config = config
        self.storage = storage
        self.worker = worker
        self.progress = progress
        self.last_run: Optional[BenchmarkRun] = None

    def run(self) -> BenchmarkRun:
        """Measures every configuration; returns ``(run_id, results)`` (see
        :class:`BenchmarkRun`). Stored in ``storage`` unless there is none
        or ``options["store_results"]`` is False (run_id None then)."""
        db = self.storage.db_path if self.storage is not None and self.config.store_results else None
        self.last_run = _run(self.config, db, self.progress)
        return self.last_run

    def _storage(self) -> DuckDBStorage:
        if self.storage is None:
            raise ValueError("this BenchmarkRunner has no storage: give it storage=DuckDBStorage(path)")
        return self.storage

    def generate_report(
        self,
        benchmark_id: Optional[int] = None,
        format: str = "html",
        output_path: Union[str, Path] = "benchmark_report.html",
        include_comparison: bool = False,
        compare: Optional[Tuple[int, int]] = None,
    ) -> str:
        """Writes the core's HTML report of the storage's database (every
        stored result — the core's report has no run filter). With
        ``include_comparison``, run ``benchmark_id`` (default: the last
        run) is set beside the run stored before it; ``compare=(a, b)``
        names two runs explicitly. If there is no earlier run, a warning
        says so and the report has no comparison. Only ``format="html"``
        exists. Returns the path."""
        if format != "html":
            raise ValueError(f"format {format!r}: the core writes HTML reports only")
        storage = self._storage()
        if compare is None and include_comparison:
            if benchmark_id is None:
                benchmark_id = self.last_run.run_id if self.last_run else None
            ids = storage.run_ids()
            if benchmark_id is None or benchmark_id not in ids:
                raise ValueError(f"run {benchmark_id} has no results in {storage.db_path}")
            earlier = [i for i in ids if i < benchmark_id]
            if earlier:
                compare = (earlier[-1], benchmark_id)
            else:
                warnings.warn(f"run {benchmark_id} is the first in {storage.db_path}: nothing to compare it with",
                              stacklevel=2)
        return storage.generate_report(output_path, compare)

    def query_results(self, *args: Any, **kwargs: Any) -> List[Dict[str, Any]]:
        """:meth:`DuckDBStorage.query_results` on the storage (metrics
        default to the config's ``metrics``)."""
        if "metrics" not in kwargs and len(args) < 3 and self.config.metrics is not None:
            kwargs["metrics"] = self.config.metrics
        return self._storage().query_results(*args, **kwargs)

    def plot_comparison(self, results: Optional[Sequence[Mapping[str, Any]]] = None, **kwargs: Any) -> str:
        """:meth:`DuckDBStorage.plot_comparison`; ``results`` default to the
        last run's rows (then the storage's)."""
        if results is None and self.last_run is not None:
            results = self.last_run.results
        if results is None:
            results = self._storage().query_results()
        kwargs.setdefault("metric", "latency")
        return _plot(list(results), kwargs.pop("metric"), kwargs.pop("output_path", "comparison.png"),
                     kwargs.pop("title", None), kwargs.pop("include_error_bars", False), **kwargs)


class Benchmark:
    """The seed's one-call benchmark (its section 1): models x hardware,
    measured by the core's runner.

    Args:
        model_ids: model directories or cached names.
        hardware_profiles: device names or HardwareProfiles (absent ones
            come back skipped, with the core's reason); None: every device
            that runs models here.
        metrics: default columns for :meth:`BenchmarkRunner.query_results`
            (the core measures all of them).
        worker: accepted for the seed's signature (unused by the core's runner).
        db_path: store into this database (default: store nothing).
        **kwargs: the rest of :class:`BenchmarkConfig` (batch_sizes,
            sequence_lengths, iterations, warmup, threads, ...).
    """

    def __init__(self, model_ids: Sequence[str], hardware_profiles: Optional[Sequence[HardwareSpec]] = None,
                 metrics: Optional[Sequence[str]] = None, worker: Any = None,
                 db_path: Optional[Union[str, Path]] = None, **kwargs: Any) -> None:
        self.config = BenchmarkConfig(models=model_ids, hardware=hardware_profiles, metrics=metrics, **kwargs)
        self.runner = BenchmarkRunner(self.config, DuckDBStorage(db_path) if db_path is not None else None, worker)

    def run(self) -> List[Dict[str, Any]]:
        """The result rows (see :class:`BenchmarkRun`); the run id is
        ``self.runner.last_run.run_id``."""
        return self.runner.run().results

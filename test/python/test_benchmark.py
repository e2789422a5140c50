"""Benchmark: the core's runner through BenchmarkConfig / BenchmarkRunner /
DuckDBStorage — rows stored in the DuckDB file, absent hardware recorded
as skipped with the core's reason, the HTML report, queries, export."""
import csv
import json

import pytest

import ipfs_accelerate_py as ia
from ipfs_accelerate_py.benchmark import BenchmarkConfig, BenchmarkRunner, DuckDBStorage
from conftest import MODEL

TINY = dict(batch_sizes=[4], sequence_lengths=[16], iterations=2, warmup=1, threads=2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One tiny run on cpu + cuda (cuda absent here: skipped), stored."""
    db = tmp_path_factory.mktemp("bench") / "bench.duckdb"
    config = BenchmarkConfig(models=[MODEL],
                             hardware=["cpu", ia.HardwareProfile(backend="cuda", check_available=False)], **TINY)
    seen = []
    runner = BenchmarkRunner(config, storage=DuckDBStorage(db), progress=lambda d, t, w: seen.append((d, t, w)))
    run_id, rows = runner.run()
    return runner, run_id, rows, seen


def test_run_measures_cpu_and_records_cuda_skipped(run, cuda_absent):
    runner, run_id, rows, seen = run
    assert isinstance(run_id, int) and run_id >= 1
    assert [(r["model"], r["backend"], r["batch"], r["seq_len"]) for r in rows] == [
        (MODEL, "cpu", 4, 16), (MODEL, "cuda", 4, 16)]
    cpu, cuda = rows
    assert cpu["items_per_s"] > 0 and cpu["latency_ms_p50"] > 0 and cpu["iterations"] == 2
    assert "skipped_reason" not in cpu
    assert cuda["items_per_s"] is None and cuda_absent in cuda["skipped_reason"]
    assert [(d, t) for d, t, _ in seen] == [(1, 2), (2, 2)] and "cuda" in seen[1][2]


def test_rows_are_in_the_duckdb_file(run):
    runner, run_id, rows, _ = run
    stored = runner.storage.query_results(models=[MODEL])
    assert [(r["run_id"], r["backend"], r["batch"], r["seq_len"]) for r in stored] == [
        (run_id, "cpu", 4, 16), (run_id, "cuda", 4, 16)]
    assert stored[0]["items_per_s"] == pytest.approx(rows[0]["items_per_s"])
    assert stored[1]["skipped_reason"] == rows[1]["skipped_reason"]
    # The seed's names: model_names / hardware_backends, metric groups, group_by aliases.
    lat = runner.storage.query_results(model_names=[MODEL], hardware_backends=["cpu"], metrics=["latency"])
    assert len(lat) == 1 and lat[0]["batch"] == 4
    assert {"latency_ms_mean", "latency_ms_p50", "latency_ms_p99"} <= set(lat[0]) and "items_per_s" not in lat[0]
    grouped = runner.storage.query_results(metrics=["throughput"], group_by="hardware_backend")
    assert [(g["backend"], g["count"]) for g in grouped] == [("cpu", 1), ("cuda", 1)]
    assert grouped[0]["items_per_s"] > 0 and grouped[1]["items_per_s"] is None
    assert runner.storage.query_results(run_id=run_id + 1000) == []


def test_bad_query_arguments_are_the_cores_errors(run):
    storage = run[0].storage
    with pytest.raises(ia.InvalidArgumentError, match="unknown metric"):
        storage.query_results(metrics=["speed"])
    with pytest.raises(ValueError, match="cannot group by"):
        storage.query_results(group_by="colour")


def test_report_is_html_with_svg(run, tmp_path):
    runner, run_id, _, _ = run
    path = runner.generate_report(benchmark_id=run_id, output_path=tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert path == str(tmp_path / "report.html")
    assert "<svg" in html and MODEL in html
    with pytest.raises(ValueError, match="HTML"):
        runner.generate_report(format="pdf", output_path=tmp_path / "r.pdf")


def test_export_csv_and_json(run, tmp_path):
    storage = run[0].storage
    storage.export(tmp_path / "rows.csv")
    with open(tmp_path / "rows.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["backend"] for r in rows] == ["cpu", "cuda"] and rows[0]["batch"] == "4"
    storage.export(tmp_path / "rows.json")
    lines = [json.loads(x) for x in (tmp_path / "rows.json").read_text().splitlines() if x.strip()]
    assert [r["backend"] for r in lines] == ["cpu", "cuda"]


def test_second_run_and_comparison_report(run, tmp_path):
    runner = run[0]
    first = run[1]
    second, rows = BenchmarkRunner(BenchmarkConfig(models=[MODEL], hardware=["cpu"], **TINY),
                                   storage=runner.storage).run()
    assert second > first and len(rows) == 1
    assert runner.storage.run_ids()[-2:] == [first, second]
    r2 = BenchmarkRunner(runner.config, storage=runner.storage)
    r2.generate_report(benchmark_id=second, output_path=tmp_path / "cmp.html", include_comparison=True)
    html = (tmp_path / "cmp.html").read_text()
    assert "<svg" in html


def test_no_storage_stores_nothing():
    run_id, rows = BenchmarkRunner(BenchmarkConfig(models=[MODEL], hardware="cpu", **TINY)).run()
    assert run_id is None and rows[0]["items_per_s"] > 0


def test_seed_names_and_benchmark_convenience(cuda_absent):
    rows = ia.Benchmark(model_ids=[MODEL], hardware_profiles=[ia.HardwareProfile(backend="cpu"), "qualcomm"],
                        metrics=["latency", "throughput", "memory"], **TINY).run()
    assert rows[0]["backend"] == "cpu" and rows[0]["items_per_s"] > 0
    assert rows[1]["backend"] == "qualcomm" and "not available" in rows[1]["skipped_reason"]


def test_profiles_reach_the_core_and_are_checked_when_their_rows_run(cuda_absent):
    """A profile is a description: int8 runs quantised (the row says so), an
    absent device or a precision the cpu cannot run is a skipped row with
    the core's reason, a memory limit below the weights is too."""
    rows = BenchmarkRunner(BenchmarkConfig(models=[MODEL], hardware=[
        ia.HardwareProfile(backend="cpu", precision="int8"),
        ia.HardwareProfile(backend="qualcomm", precision="int8"),
        ia.HardwareProfile(backend="cpu", precision="fp16"),
        "cpu",
    ], **TINY)).run().results
    assert [(r["backend"], r["precision"]) for r in rows] == [
        ("cpu", "int8"), ("qualcomm", "int8"), ("cpu", "fp16"), ("cpu", "fp32")]
    assert rows[0]["items_per_s"] > 0 and "skipped_reason" not in rows[0]
    assert "not available" in rows[1]["skipped_reason"] and rows[1]["items_per_s"] is None
    assert "fp16" in rows[2]["skipped_reason"]
    assert rows[3]["items_per_s"] > 0
    assert len({r["machine_id"] for r in rows}) == 1 and len(rows[0]["model_fingerprint"]) == 64


def test_missing_models_are_skipped_rows_and_bad_configs_raise():
    rows = BenchmarkRunner(BenchmarkConfig(models=["no-such-model", MODEL], hardware=["cpu"], **TINY)).run().results
    assert "no-such-model" in rows[0]["skipped_reason"] and rows[0]["model_fingerprint"] is None
    assert rows[1]["items_per_s"] > 0
    with pytest.raises(ValueError, match="unknown options"):
        BenchmarkConfig(models=[MODEL], options={"browser_info": True})
    with pytest.raises(ValueError):
        BenchmarkConfig(models=[MODEL], batch_sizes=[0])
    with pytest.raises(ValueError, match="NAME:INDEX"):
        BenchmarkConfig(models=[MODEL], hardware=["cuda:x"])


def test_default_hardware_is_every_device_here_and_default_db_is_the_user_cache(monkeypatch, tmp_path):
    rows = BenchmarkRunner(BenchmarkConfig(models=[MODEL], **TINY)).run().results
    # "gpu" is the report's alias of the first accelerator, not a device of its own
    assert [r["backend"] for r in rows] == [b for b in ia.HardwareDetector().available_backends() if b != "gpu"]
    monkeypatch.delenv("IA_BENCH_DB")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert DuckDBStorage().db_path == str(tmp_path / ".cache" / "ipfs_accelerate" / "benchmark_db.duckdb")
    assert (tmp_path / ".cache" / "ipfs_accelerate").is_dir()
    assert not (tmp_path / "benchmark_db.duckdb").exists()


def test_progress_exception_is_reraised_after_the_run(tmp_path):
    class Stop(Exception):
        pass

    calls = []

    def progress(done, total, what):
        calls.append(done)
        raise Stop(f"stop at {done}")

    db = tmp_path / "p.duckdb"
    runner = BenchmarkRunner(BenchmarkConfig(models=[MODEL], hardware=["cpu", "cuda"], **TINY),
                             storage=DuckDBStorage(db), progress=progress)
    with pytest.raises(Stop, match="stop at 1"):
        runner.run()
    assert calls == [1]  # later progress calls are not forwarded
    # The core cannot be interrupted: the run completed and was stored.
    assert len(DuckDBStorage(db).query_results()) == 2


def test_plot_comparison(run, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is optional (not installed by make test)")
    runner = run[0]
    rows = runner.storage.query_results(metrics=["latency"])
    out = runner.plot_comparison(results=rows, metric="latency", output_path=tmp_path / "lat.png",
                                 title="latency", include_error_bars=True)
    assert (tmp_path / "lat.png").stat().st_size > 1000 and out.endswith("lat.png")


def test_plot_without_matplotlib_names_it(run, tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_mpl(name, *a, **k):
        if name.split(".")[0] == "matplotlib":
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        run[0].storage.plot_comparison(metric="latency", output_path=tmp_path / "x.png")


def test_single_metric_name_is_one_metric():
    cfg = ia.BenchmarkConfig(models=["all-MiniLM-L6-v2"], metrics="latency")
    assert cfg.metrics == ["latency"]


def test_quantize_rejects_a_non_profile_clearly():
    with pytest.raises(TypeError, match="HardwareProfile"):
        ia.QuantizationEngine().quantize(model_name="all-MiniLM-L6-v2", hardware_profile="cpu",
                                         quantization_config={"bits": 8})


def test_llm_rows(tmp_path):
    """A model that generates text is measured as pp/tg (no flag: its
    family says so); the row comes back from the run, the query (the
    "generation" metrics, group_by="kind") and the export."""
    storage = DuckDBStorage(tmp_path / "llm.duckdb")
    config = BenchmarkConfig(models=["smollm2"], hardware=["cpu"], threads=2, prompt_tokens=16, gen_tokens=4,
                             gen_iterations=2, gen_warmup=0)
    run_id, rows = BenchmarkRunner(config, storage=storage).run()
    assert len(rows) == 1
    r = rows[0]
    assert r["kind"] == "generate" and r["seq_len"] == 16 and r["gen_tokens"] == 4 and r["n_ctx"] == 21
    assert r["prompt_tokens_per_s"] > 0 and r["gen_tokens_per_s"] > 0 and r["ttft_ms"] > 0
    assert r["kv_cache_bytes"] > 0 and r["threads_used"] == 2 and r["iterations"] == 2
    got = storage.query_results(models=["smollm2"], metrics="generation")
    assert len(got) == 1 and got[0]["kind"] == "generate" and got[0]["run_id"] == run_id
    assert got[0]["gen_tokens_per_s"] == pytest.approx(r["gen_tokens_per_s"])
    assert "latency_ms_p50" not in got[0]
    (group,) = storage.query_results(metrics=["ttft_ms"], group_by="kind")
    assert group["kind"] == "generate" and group["count"] == 1 and group["ttft_ms"] > 0
    with open(storage.export(tmp_path / "llm.csv")) as f:
        (row,) = list(csv.DictReader(f))
    assert row["kind"] == "generate" and float(row["prompt_tokens_per_s"]) > 0
    with pytest.raises(ValueError):
        BenchmarkConfig(models=["smollm2"], gen_tokens=0)

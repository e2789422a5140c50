"""Quantization: QuantizationEngine over ia_quantize_model (int8 close to
fp32, equal to the CLI's embeddings of the same directory), the seed's
config keys mapped or refused, benchmark_comparison over ia_quant_compare
on a 40-pair STS-B slice."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import ipfs_accelerate_py as ia
from ipfs_accelerate_py.quantization import CalibrationDataset, QuantizationEngine, QuantizedModel, default_stsb_csv
from conftest import DIM, MODEL

TEXTS = [
    "This is a test sentence",
    "Machine learning models benefit from proper quantization calibration.",
    "A man is playing a guitar on the stage.",
    "Café naïve — 東京で会いましょう 🚀",
]
CALIBRATION = [
    "This is a sample sentence for calibration.",
    "Machine learning models benefit from proper quantization calibration.",
    "Multiple examples ensure representative activation distributions.",
]
CPU2 = dict(backend="cpu", threads=2)


@pytest.fixture(scope="module")
def q8(tmp_path_factory):
    out = tmp_path_factory.mktemp("q") / "int8"
    engine = QuantizationEngine()
    cal = CalibrationDataset.from_examples(model_name=MODEL, examples=CALIBRATION)
    return engine.quantize(model_name=MODEL, hardware_profile=ia.HardwareProfile(**CPU2),
                           quantization_config={"bits": 8, "scheme": "symmetric", "per_channel": True},
                           calibration_dataset=cal, output_dir=out)


def test_int8_model_is_written_and_reported(q8):
    assert isinstance(q8, QuantizedModel)
    assert (Path(q8.path) / "model.gguf").is_file() and (Path(q8.path) / "tokenizer.json").is_file()
    r = q8.report
    assert r["bits"] == 8 and r["scheme"] == "symmetric" and r["calibration_texts"] == len(CALIBRATION)
    assert r["layers"] and all(layer["bits"] == 8 and layer["group"] == 128 for layer in r["layers"])
    assert r["file_bytes"] == (Path(q8.path) / "model.gguf").stat().st_size


def test_int8_embeddings_close_to_fp32(q8, model):
    with q8.load() as m:
        assert m.precision == "int8" and m.info()["threads"] == 2  # the quantize call's profile
        assert m.dim == DIM and m.weight_bytes < model.weight_bytes / 3
        got = m.embed(TEXTS)
    ref = model.embed(TEXTS)
    cos = np.sum(got * ref, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() > 0.99, cos


def test_int8_embeddings_equal_the_clis(q8, cli):
    out = subprocess.run([str(cli), "embed", "--json", "--device", "cpu", "--model", q8.path, *TEXTS],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    ref = np.asarray(json.loads(out)["embeddings"], dtype=np.float32)
    with q8.load(ia.HardwareProfile(backend="cpu")) as m:
        np.testing.assert_allclose(m.embed(TEXTS), ref, rtol=0, atol=1e-6)


def test_config_keys_reach_the_core(tmp_path):
    engine = QuantizationEngine()
    q = engine.quantize(model_name=MODEL, quantization_config={
        "bits": 4, "scheme": "asymmetric", "group": "channel", "layer_exclusions": ["attention.output"],
        "threads": 2}, output_dir=tmp_path / "q4")
    layers = {layer["name"]: layer for layer in q.report["layers"]}
    assert q.report["scheme"] == "asymmetric"
    kept = [layer for n, layer in layers.items() if "attention.output" in n]
    assert len(kept) == 6 and all(layer["bits"] == 32 and layer["why"] == "excluded" for layer in kept)
    quantized = [layer for n, layer in layers.items() if "attention.output" not in n]
    # group="channel": one scale per output channel = the whole row (384 or 1536 inputs).
    assert quantized and all(layer["bits"] == 4 and layer["scheme"] == "asymmetric"
                             and layer["group"] == layer["params"] // (layer["params"] // layer["group"])
                             and layer["group"] in (384, 1536) for layer in quantized)


def test_refusals_are_clear(tmp_path):
    engine = QuantizationEngine()
    with pytest.raises(NotImplementedError, match="knowledge distillation"):
        engine.quantize(model_name=MODEL, quantization_config={"bits": 2, "use_kd": True},
                        output_dir=tmp_path / "kd")
    assert not (tmp_path / "kd").exists()
    with pytest.raises(ia.UnsupportedError, match="per tensor"):
        engine.quantize(model_name=MODEL, quantization_config={"per_channel": False}, output_dir=tmp_path / "x")
    with pytest.raises(ValueError, match="unknown quantization_config keys"):
        engine.quantize(model_name=MODEL, quantization_config={"bitz": 4}, output_dir=tmp_path / "x")
    with pytest.raises(ValueError, match="8, 4 or 2"):
        engine.quantize(model_name=MODEL, quantization_config={"bits": 3}, output_dir=tmp_path / "x")
    with pytest.raises(ia.InvalidArgumentError):  # the core checks the group size
        engine.quantize(model_name=MODEL, quantization_config={"group": 48}, output_dir=tmp_path / "x")


def test_absent_target_hardware_is_refused(tmp_path, cuda_absent):
    with pytest.raises(ia.HardwareUnavailableError, match="cuda"):
        QuantizationEngine().quantize(model_name=MODEL,
                                      hardware_profile=ia.HardwareProfile(backend="cuda", check_available=False),
                                      output_dir=tmp_path / "x")


def test_calibration_from_file_matches_the_cli_reading(tmp_path):
    p = tmp_path / "cal.txt"
    p.write_bytes("first line\r\nsecond\n\nthird ünïcode\n".encode())
    ds = CalibrationDataset.from_file(p)
    assert ds.examples == ["first line", "second", "", "third ünïcode"] and len(ds) == 4
    with pytest.raises(ValueError):
        CalibrationDataset.from_examples(examples=[])


def test_progress_callback_errors_are_reraised(tmp_path):
    def boom(done, total, what):
        raise KeyError(what)

    with pytest.raises(KeyError):
        QuantizationEngine().quantize(model_name=MODEL, quantization_config={"bits": 8, "threads": 2},
                                      output_dir=tmp_path / "p", progress=boom)


@pytest.fixture(scope="module")
def stsb40(tmp_path_factory):
    src = default_stsb_csv()
    if src is None:
        pytest.skip("no STS-B csv ($IA_STSB_CSV or ../shared/data/stsb-en-dev.csv)")
    lines = Path(src).read_text(encoding="utf-8").splitlines(keepends=True)[:40]
    path = tmp_path_factory.mktemp("stsb") / "stsb40.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_benchmark_comparison(q8, stsb40, tmp_path):
    engine = QuantizationEngine()
    db = tmp_path / "cmp.duckdb"
    rows = engine.benchmark_comparison(model_name=MODEL, quantized_model=q8, stsb_csv=stsb40, batch_size=4,
                                       seq_len=16, iterations=2, warmup=1, threads=2, db_path=db)
    assert [r["precision"] for r in rows] == ["fp32", "int8"]
    ref, var = rows
    assert ref["model"] == MODEL and var["model"] == q8.path
    assert ref["speedup"] == 1 and var["speedup"] > 0 and var["items_per_s"] > 0
    assert ref["cosine_to_reference_mean"] == 1
    assert 0.99 < var["cosine_to_reference_mean"] <= 1 and var["cosine_to_reference_min"] > 0.98
    assert var["model_bytes"] < ref["model_bytes"] / 3
    assert abs(var["stsb_relative_loss"]) < 0.05 and ref["stsb_spearman"] > 50
    stored = ia.DuckDBStorage(db).query_results()
    assert [r["precision"] for r in stored] == ["fp32", "int8"] and stored[0]["batch"] == 4
    # The seed's metrics select fields.
    few = engine.benchmark_comparison(model_name=MODEL, quantized_model=q8.path, metrics=["accuracy"],
                                      stsb_csv=stsb40, batch_size=4, seq_len=16, iterations=2, warmup=1, threads=2)
    assert set(few[1]) == {"model", "precision", "batch", "seq_len", "stsb_spearman", "stsb_relative_loss",
                           "cosine_to_reference_mean", "cosine_to_reference_min"}


def test_benchmark_comparison_refusals(q8, stsb40, cuda_absent, monkeypatch, tmp_path):
    engine = QuantizationEngine()
    with pytest.raises(ia.HardwareUnavailableError, match="cuda"):
        engine.benchmark_comparison(model_name=MODEL, quantized_model=q8, stsb_csv=stsb40,
                                    hardware_profile=ia.HardwareProfile(backend="cuda", check_available=False))
    with pytest.raises(ValueError, match="unknown metric"):
        engine.benchmark_comparison(model_name=MODEL, quantized_model=q8, stsb_csv=stsb40, metrics=["power"])
    with pytest.raises(ia.NotFoundError, match="none.csv"):
        engine.benchmark_comparison(model_name=MODEL, quantized_model=q8, stsb_csv=tmp_path / "none.csv",
                                    batch_size=4, seq_len=16, iterations=1, threads=2)
    monkeypatch.setenv("IA_STSB_CSV", str(stsb40))
    assert default_stsb_csv() == str(stsb40)


def test_quantize_without_output_dir_writes_the_model_cache_not_tmp(tmp_path, monkeypatch):
    """No output_dir: the model cache (``$IA_MODEL_DIR``), one directory per
    request — not a new temporary directory per call that nobody removes."""
    import tempfile
    from ipfs_accelerate_py.quantization import _cached_output, model_cache_dir
    cache, tmp = tmp_path / "models", tmp_path / "tmp"
    cache.mkdir(), tmp.mkdir()
    (cache / MODEL).symlink_to(Path(ia.resolve_model(MODEL)))
    monkeypatch.setenv("IA_MODEL_DIR", str(cache))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    assert model_cache_dir() == cache
    config = {"bits": 8, "clip_search": False, "threads": 2}
    engine = QuantizationEngine()
    a = engine.quantize(MODEL, quantization_config=config)
    b = engine.quantize(MODEL, quantization_config=config)
    assert a.path == b.path and Path(a.path).parent == cache and Path(a.path).name.startswith(f"{MODEL}-int8-")
    assert sorted(p.name for p in cache.iterdir()) == sorted([MODEL, Path(a.path).name])
    assert list(tmp.iterdir()) == []
    # a cached name like any other
    with ia.Model(Path(a.path).name, ia.HardwareProfile(**CPU2)) as m:
        assert m.precision == "int8"
    # another request, another directory
    assert _cached_output(MODEL, 4, dict(config, bits=4), []) != Path(a.path)
    assert _cached_output(MODEL, 8, config, ["a calibration text"]) != Path(a.path)


def test_two_bit_defaults_are_the_measured_best():
    from ipfs_accelerate_py.quantization import quant_config_to_c
    c = quant_config_to_c({"bits": 2}, [], [], 0)
    assert c.asymmetric == 1 and c.mixed_precision == 1 and c.n_calibration == 64
    c = quant_config_to_c({"bits": 2, "scheme": "symmetric", "mixed_precision": False}, [b"one text"], [], 0)
    assert c.asymmetric == 0 and c.mixed_precision == 0 and c.n_calibration == 1
    c = quant_config_to_c({"bits": 4}, [], [], 0)
    assert c.asymmetric == 0 and c.mixed_precision == 0 and c.n_calibration == 0


def test_ggml_type_for_a_gguf_decoder(tmp_path):
    engine = QuantizationEngine()
    q = engine.quantize(model_name="smollm2", quantization_config={"type": "q5_0"}, output_dir=tmp_path)
    gguf = tmp_path / "model.gguf"
    assert gguf.is_file() and q.report["type"] == "q5_0" and len(q.report["tensors"]) == 272
    assert q.report["file_bytes"] == gguf.stat().st_size
    m = ia.Model(str(gguf), ia.HardwareProfile(backend="cpu"))
    try:
        assert m.generate("The capital of France is", max_tokens=4, temperature=0)
    finally:
        m.close()
    with pytest.raises(ValueError):
        engine.quantize(model_name="smollm2", quantization_config={"type": "q4_k_m", "bits": 4}, output_dir=tmp_path)
    with pytest.raises(ValueError):
        engine.quantize(model_name="smollm2", quantization_config={"type": "q7"}, output_dir=tmp_path)

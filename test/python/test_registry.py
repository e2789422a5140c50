"""ModelRegistry (ipfs_accelerate_py/registry.py) over the core's registry:
what registering reads from the model, declared figures kept apart from
measured ones, search filters, deployment advice from rows a real
`ipfs-accelerate bench` wrote (or a heuristic that says it is one), absent
hardware never reported usable, and the seed's API-backend module asking a
real `ipfs-accelerate serve` which models it serves."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import ipfs_accelerate_py as ia
from ipfs_accelerate_py.api_backends import api_models_registry
from conftest import MODEL, report_backend
from serve_process import ServeProcess

#: transformers' num_parameters() of all-MiniLM-L6-v2 (pooler included)
MINILM_PARAMS = 22_713_216

SEED_HARDWARE = {
    "cuda": {"supported": True, "performance_score": 0.95, "recommended_batch_size": 32,
             "recommended_precision": "fp16"},
    "cpu": {"supported": True, "performance_score": 0.7, "recommended_batch_size": 8,
            "recommended_precision": "int8"},
    "qualcomm": {"supported": True, "performance_score": 0.85, "recommended_batch_size": 16,
                 "recommended_precision": "int8"},
}


def model_copy(where: Path) -> Path:
    """A directory holding MiniLM's files (symlinks): the same content, so
    the same fingerprint, under another path."""
    src = Path(ia.resolve_model(MODEL))
    where.mkdir(parents=True)
    for f in src.iterdir():
        (where / f.name).symlink_to(f)
    return where


def bench(cli, db, *extra):
    subprocess.run([str(cli), "bench", "--db", str(db), "--batch", "1,2", "--seq", "8", "--iterations", "2",
                    "--warmup", "0", "--threads", "1", "--device", "cpu", *extra],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def measured_db(tmp_path_factory, cli):
    """MiniLM registered through the Python API, then measured by a real
    (tiny) `ipfs-accelerate bench` into the same file: the registry keeps no
    connection open between calls, so the CLI can write it."""
    db = tmp_path_factory.mktemp("registry") / "measured.duckdb"
    ia.ModelRegistry(db).register_model(model_path=MODEL, task="feature-extraction")
    bench(cli, db)
    return db


@pytest.fixture
def db(tmp_path, measured_db):
    """A private copy of the measured database (tests that write)."""
    path = tmp_path / "r.duckdb"
    shutil.copy(measured_db, path)
    return path


def test_register_reads_family_parameters_precision_from_the_model(tmp_path, cli):
    reg = ia.ModelRegistry(tmp_path / "r.duckdb")
    m = reg.register_model(model_path=MODEL, task="feature-extraction", licence="apache-2.0")
    assert isinstance(m, ia.RegisteredModel)
    assert (m.model_id, m.family, m.parameters, m.precision) == (MODEL, "bert", MINILM_PARAMS, "fp32")
    assert m.bytes == os.path.getsize(Path(ia.resolve_model(MODEL)) / "model.safetensors")
    assert m.source == ia.resolve_model(MODEL) and len(m.model_fingerprint) == 64
    assert set(m.read_from_model) == {"family", "parameters", "precision", "bytes", "model_fingerprint", "cid"}
    # the model's CID is what `ipfs add -r` (and our `add`) gives its files
    added = subprocess.run([str(cli), "add", "-Q", "--only-hash", ia.resolve_model(MODEL)], capture_output=True,
                           text=True, check=True).stdout.strip()
    assert m.cid == added and m.cid.startswith("Qm")
    assert (m.task, m.licence, m.license) == ("feature-extraction", "apache-2.0", "apache-2.0")
    assert m.compatible_hardware == [] and m.performance_metrics == []
    with pytest.raises(ia.InvalidArgumentError, match="already registered"):
        reg.register_model(model_path=MODEL)
    with pytest.raises(ia.InvalidArgumentError, match="'bert' family"):
        reg.register_model(model_path=MODEL, model_family="llama", replace=True)
    assert reg.register_model(model_path=MODEL, replace=True).task is None


def test_register_the_seeds_way_keeps_declared_figures_apart(tmp_path):
    reg = ia.ModelRegistry(tmp_path / "r.duckdb")
    path = model_copy(tmp_path / "my_optimized_bert")
    m = reg.register_model(
        model_path=str(path), model_id="my-org/optimized-bert", task="text-classification", model_family="bert",
        hardware_compatibility=SEED_HARDWARE,
        metadata={"description": "Optimized BERT", "license": "MIT", "optimization_techniques": ["quantization"]})
    assert m.model_id == "my-org/optimized-bert" and m.family == "bert" and m.parameters == MINILM_PARAMS
    assert m.description == "Optimized BERT" and m.licence == "MIT"
    assert m.metadata["optimization_techniques"] == ["quantization"]
    assert m.declared_hardware == SEED_HARDWARE  # as declared, and only there
    assert m.compatible_hardware == [] and m.measured["rows"] == 0  # nothing measured
    info = reg.get_model_info("my-org/optimized-bert")
    # nothing measured here: the advice is a guess, taking the declared cpu entry
    rec = info.recommendation
    assert rec.basis == "heuristic" and rec.is_guess and rec.device == "cpu"
    assert (rec.precision, rec.precision_basis, rec.batch_size, rec.batch_basis) == ("int8", "declared", 8, "declared")
    assert rec.expected_items_per_s is None and rec.expected_latency_ms is None
    assert info.recommended_quantization == "int8"


@pytest.mark.parametrize("hardware, message", [
    ({"cuda": {"speed": 1}}, "unknown field 'speed'"),
    ({"cuda": {"performance_score": 2}}, r"\[0, 1\]"),
    ({"cuda": {"recommended_precision": "fp8"}}, "fp32, fp16"),
    ({"cuda": {"supported": "yes"}}, "true or false"),
])
def test_malformed_declarations_are_refused(tmp_path, hardware, message):
    reg = ia.ModelRegistry(tmp_path / "r.duckdb")
    with pytest.raises(ia.InvalidArgumentError, match=message):
        reg.register_model(model_id="x", hardware_compatibility=hardware)
    assert reg.list_models() == []


def test_declared_only_entry_and_cid(tmp_path):
    reg = ia.ModelRegistry(tmp_path / "r.duckdb")
    m = reg.register_model(model_id="hub/bert-large", model_family="bert", task="fill-mask", parameters=335_000_000,
                           precision="fp16", cid="bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
                           source="hf:bert-large-uncased")
    assert (m.parameters, m.precision, m.read_from_model, m.model_fingerprint) == (335_000_000, "fp16", [], None)
    assert m.cid.startswith("bafy")
    with pytest.raises(ia.InvalidArgumentError, match="CID"):
        reg.register_model(model_id="y", cid="Qm-not-a-cid")
    with pytest.raises(ValueError, match="model_path or model_id"):
        reg.register_model()


def test_reads_of_a_missing_database(tmp_path):
    reg = ia.ModelRegistry(tmp_path / "none.duckdb")
    assert reg.search() == [] and reg.list_models() == []
    with pytest.raises(ia.NotFoundError, match="no registry database"):
        reg.get_model_info(MODEL)
    assert not (tmp_path / "none.duckdb").exists()


def test_default_database_is_ia_bench_db(tmp_path, monkeypatch):
    monkeypatch.setenv("IA_BENCH_DB", str(tmp_path / "env.duckdb"))
    reg = ia.ModelRegistry()
    assert reg.db_path == str(tmp_path / "env.duckdb")
    reg.register_model(model_id="x")
    assert (tmp_path / "env.duckdb").exists() and [m.model_id for m in reg.search()] == ["x"]


def test_info_has_the_measured_rows(measured_db):
    info = ia.ModelRegistry(measured_db).get_model_info(MODEL)
    assert isinstance(info, ia.ModelInfo)
    assert info.compatible_hardware == ["cpu"] and info.measured_here == ["cpu"]
    assert sorted(p["batch"] for p in info.performance_metrics) == [1, 2]
    for p in info.performance_metrics:
        assert p["device"] == "cpu" and p["matched_by"] == "fingerprint" and p["this_machine"] and p["usable_here"]
        assert p["best_items_per_s"] > 0 and p["latency_ms_p50"] > 0 and p["seq_len"] == 8
    assert info.recommendation.basis == "measured" and not info.recommendation.is_guess
    assert info.recommended_quantization == "fp32"


def test_a_copy_of_the_model_shares_its_rows_by_content(db, tmp_path):
    reg = ia.ModelRegistry(db)
    reg.register_model(model_path=str(model_copy(tmp_path / "elsewhere")), model_id="copy")
    assert reg.get_model_info("copy").compatible_hardware == ["cpu"]


def test_recommendation_from_measured_rows(measured_db):
    reg = ia.ModelRegistry(measured_db)
    rec = reg.get_deployment_recommendations(MODEL)
    assert rec.basis == "measured" and rec.device == "cpu" and rec.precision == "fp32"
    assert rec.expected_items_per_s == max(o["best_items_per_s"] for o in rec.options)
    assert rec.why.startswith("measured:")
    one = reg.get_deployment_options(MODEL, batch_size_range=(1, 1))
    assert one.batch_size == 1 and len(one.options) == 1
    tight = reg.get_deployment_options(MODEL, target_latency_ms=0.0001)
    assert tight.basis == "measured" and tight.meets_latency_target is False
    assert tight.expected_latency_ms == min(o["latency_ms_p50"] for o in tight.options)
    guess = reg.get_deployment_options(MODEL, batch_size_range=(16, 64))
    assert guess.basis == "heuristic" and guess.batch_size == 16 and guess.expected_items_per_s is None
    assert "a guess" in guess.why


def test_absent_hardware_is_never_reported_usable(measured_db):
    wanted = ["cuda", "openvino", "qualcomm"]
    rec = ia.ModelRegistry(measured_db).get_deployment_options(
        MODEL, target_latency_ms=10, target_hardware=wanted, batch_size_range=(1, 64))
    unusable = {u["hardware"]: u["reason"] for u in rec.unusable}
    for hw in wanted:
        if hw not in rec.hardware_considered:
            assert unusable.get(hw), (hw, rec.raw)
    # a device is recommended only if it runs here (the hardware report agrees)
    if rec.device is None:
        assert rec.basis == "none" and set(unusable) == set(wanted)
    else:
        assert rec.device.split(":")[0] in rec.hardware_considered
        assert report_backend(rec.device.split(":")[0])["available"]
    both = ia.ModelRegistry(measured_db).get_deployment_options(MODEL, target_hardware=["qualcomm", "cpu"])
    assert both.basis == "measured" and both.device == "cpu" and [u["hardware"] for u in both.unusable] == ["qualcomm"]


def test_search_filters(db):
    reg = ia.ModelRegistry(db)
    reg.register_model(model_id="my-org/declared", model_family="bert", task="text-classification",
                       parameters=110_000_000, hardware_compatibility=SEED_HARDWARE)
    ids = lambda ms: [m.model_id for m in ms]  # noqa: E731
    assert ids(reg.search()) == [MODEL, "my-org/declared"]
    assert ids(reg.search(task="feature-extraction")) == [MODEL]
    assert ids(reg.search(max_parameters=100_000_000, model_families=["bert", "roberta"])) == [MODEL]
    assert ids(reg.search(min_parameters=100_000_000)) == ["my-org/declared"]
    found = reg.search(compatible_hardware=["cpu"])
    assert ids(found) == [MODEL] and found[0].matched == {"hardware": {"cpu": "measured"}}
    # declared support is not measured support, unless asked for (and labelled)
    assert reg.search(compatible_hardware=["cuda", "qualcomm"]) == []
    found = reg.search(compatible_hardware=["cuda", "qualcomm"], include_declared=True, min_performance_score=0.9)
    assert ids(found) == ["my-org/declared"]
    assert found[0].matched["hardware"] == {"cuda": "declared", "qualcomm": "declared"}
    assert found[0].matched["performance_score"] == {"hardware": "cuda", "score": 0.95, "basis": "declared"}
    assert reg.search(compatible_hardware=["qualcomm"], include_declared=True, min_performance_score=0.9) == []
    with pytest.raises(ValueError):
        reg.search(min_performance_score=1.5)


def test_remove_model(db, cli):
    reg = ia.ModelRegistry(db)
    reg.remove_model(MODEL)
    with pytest.raises(ia.NotFoundError, match=f"no model '{MODEL}'"):
        reg.get_model_info(MODEL)
    with pytest.raises(ia.NotFoundError):
        reg.remove_model(MODEL)
    rows = subprocess.run([str(cli), "results", "--db", str(db), "--format", "json"], check=True,
                          capture_output=True, text=True).stdout
    assert rows.count('"model":') == 2  # the benchmark rows stay


def test_api_models_registry_asks_the_server(cli):
    with pytest.raises(ValueError):
        api_models_registry.list_models("ftp://example")
    srv = ServeProcess(cli, [MODEL])
    try:
        assert api_models_registry.list_models(srv.base) == [MODEL]
        assert api_models_registry.api_models().get_models(srv.base + "/") == [MODEL]
        assert set(api_models_registry.api_models.backends()) == {"openai", "hf_tei"}
    finally:
        srv.close()

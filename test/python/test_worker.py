"""Worker: hwtest map, endpoint handlers per model x device, optimal
hardware — the seed's section 1 flow."""
import numpy as np
import pytest

import ipfs_accelerate_py as ia
from conftest import DIM, MODEL, assert_cuda_refused


@pytest.fixture(scope="module")
def worker():
    w = ia.Worker()
    w.init_worker(models=[MODEL], local_endpoints={}, hwtest=True)
    yield w
    w.close()


def test_init_hardware_gives_the_hwtest_map(cuda_absent):
    with ia.Worker() as w:
        status = w.init_hardware()
        hw = status["hwtest"]
        assert hw is w.hwtest
        assert hw["cpu"]["available"] is True and hw["cpu"]["devices"]
        assert hw["cuda"]["available"] is False and hw["cuda"]["reason"] == cuda_absent


def test_endpoint_handler_embeds(worker, model):
    handler = worker.endpoint_handler[MODEL]["cpu"]
    v = handler("This is a test sentence")
    assert v.shape == (DIM,) and v.dtype == np.float32
    np.testing.assert_allclose(v, model.embed("This is a test sentence"), rtol=0, atol=1e-6)
    m = handler(["one", "two"])
    assert m.shape == (2, DIM)
    np.testing.assert_allclose(m, model.embed(["one", "two"]), rtol=0, atol=1e-6)
    assert handler.precision == "fp32" and handler.info()["device"] == "cpu"


def test_endpoint_keys_as_the_core_names_them(worker):
    assert list(worker.endpoint_handler) == [MODEL]
    assert list(worker.endpoint_handler[MODEL]) == ["cpu"]
    # "cpu:0" is the same device as "cpu".
    np.testing.assert_array_equal(worker.endpoint_handler[MODEL]["cpu:0"]("x"),
                                  worker.endpoint_handler[MODEL]["cpu"]("x"))


def test_absent_device_raises_with_the_core_reason(worker, cuda_absent):
    with pytest.raises(ia.HardwareUnavailableError) as e:
        worker.endpoint_handler[MODEL]["cuda:0"]
    assert "cuda:0" in str(e.value) and cuda_absent in str(e.value)
    with pytest.raises(KeyError):
        worker.endpoint_handler["some-other-model"]


def test_init_worker_on_absent_device_creates_nothing(cuda_absent):
    with ia.Worker() as w:
        with pytest.raises(ia.HardwareUnavailableError) as e:
            w.init_worker(models=[MODEL], local_endpoints={MODEL: ["cpu", "cuda:0"]})
        assert_cuda_refused(str(e.value), cuda_absent)
        assert list(w.endpoint_handler) == []  # all or nothing
        w.init_worker(models=[MODEL], local_endpoints={MODEL: ["cpu"]})
        assert w.endpoint_handler[MODEL]["cpu"]("x").shape == (DIM,)


def test_get_optimal_hardware(worker):
    choice = worker.get_optimal_hardware(model_name="bert-base-uncased", task_type="text-embedding", batch_size=16)
    device, reason = choice
    # No measured rows (conftest points $IA_BENCH_DB at nothing): the
    # heuristic, which names its rule, the batch and where it looked.
    assert device == "cpu" and reason.startswith("heuristic (rule: ") and "batch 16" in reason
    assert "no benchmark database at" in reason
    # The seed indexes endpoint_handler with the result directly.
    assert worker.endpoint_handler[MODEL][choice]("x").shape == (DIM,)
    # The model's size is part of the rule: the cached MiniLM weighs ~90 MB.
    assert "90.9 MB of weights" in worker.get_optimal_hardware(MODEL, batch_size=1).reason


def test_get_optimal_hardware_prefers_this_machines_rows(worker, tmp_path, monkeypatch):
    db = tmp_path / "b.duckdb"
    monkeypatch.setenv("IA_BENCH_DB", str(db))
    ia.BenchmarkRunner(ia.BenchmarkConfig(models=[MODEL], hardware=["cpu"], batch_sizes=[2], sequence_lengths=[16],
                                          iterations=1, warmup=0, threads=1),
                       storage=ia.DuckDBStorage(db)).run()
    device, reason = worker.get_optimal_hardware(MODEL, batch_size=2)
    assert device == "cpu" and reason.startswith("measured: cpu gave") and str(db) in reason


def test_handlers_fail_cleanly_after_close():
    w = ia.Worker()
    h = w.init_worker(models=[MODEL])[MODEL]["cpu"]
    w.close()
    with pytest.raises(ValueError, match="closed"):
        h("x")

"""ModelOptimizer: "quantization" runs the QuantizationEngine (int8 by
default), everything else the seed names is refused, constraints are the
core's memory-limit check, a Worker gets an endpoint for the result."""
import numpy as np
import pytest

import ipfs_accelerate_py as ia
from ipfs_accelerate_py.optimizer import SUPPORTED_TECHNIQUES
from conftest import MODEL

SEED_CONFIG = {
    "optimization_goal": "latency",
    "constraints": {"max_memory_usage": "4GB"},
    "techniques": ["quantization", "pruning", "knowledge_distillation"],
}


def test_seed_techniques_are_refused_naming_the_supported(tmp_path):
    opt = ia.ModelOptimizer()
    with pytest.raises(NotImplementedError) as e:
        opt.optimize(model_name=MODEL, optimization_config=SEED_CONFIG, output_dir=tmp_path / "o")
    msg = str(e.value)
    assert "'pruning'" in msg and "'knowledge_distillation'" in msg and "supported: quantization" in msg
    assert not (tmp_path / "o").exists()  # refused before anything was written
    with pytest.raises(NotImplementedError, match="pruning"):
        opt.optimize(model_name=MODEL, techniques=["pruning"], output_dir=tmp_path / "o")
    assert SUPPORTED_TECHNIQUES == ("quantization",)


def test_quantization_int8_through_a_worker(tmp_path, model):
    worker = ia.Worker()
    opt = ia.ModelOptimizer(worker=worker)
    config = dict(SEED_CONFIG, techniques=["quantization"])
    info = opt.optimize(model_name=MODEL, hardware_profile=ia.HardwareProfile(backend="cpu", threads=2),
                        optimization_config=config, output_dir=tmp_path / "o8")
    assert info["path"] == str(tmp_path / "o8") and info["techniques"] == ["quantization"]
    assert info["precision"] == "int8" and info["optimization_goal"] == "latency"
    assert info["weight_bytes"] < info["original_weight_bytes"] / 3
    assert info["quantization_report"]["bits"] == 8
    v = worker.endpoint_handler[info["path"]]["cpu"]("This is a test sentence")
    ref = model.embed("This is a test sentence")
    assert float(np.dot(v, ref)) > 0.99


def test_memory_constraint_is_the_cores_limit(tmp_path):
    with pytest.raises(ia.InvalidArgumentError, match="memory limit"):
        ia.ModelOptimizer().optimize(model_name=MODEL, quantization_config={"bits": 8, "threads": 2},
                                     optimization_config={"constraints": {"max_memory_usage": "10MB"}},
                                     output_dir=tmp_path / "o")
    with pytest.raises(ValueError, match="unknown constraints"):
        ia.ModelOptimizer().optimize(model_name=MODEL, optimization_config={"constraints": {"max_power": "5W"}})
    with pytest.raises(ValueError, match="optimization_goal"):
        ia.ModelOptimizer().optimize(model_name=MODEL, optimization_config={"optimization_goal": "vibes"})

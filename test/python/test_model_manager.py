"""ModelManager: load by name, embed, switch backends without losing the
model — the seed's higher-level example."""
import numpy as np
import pytest

import ipfs_accelerate_py as ia
from ipfs_accelerate_py.hardware import HardwareProfile
from conftest import DIM, MODEL, assert_cuda_refused


@pytest.fixture
def manager():
    with ia.ModelManager() as mm:
        yield mm


def test_load_and_embed(manager, model):
    m = manager.load_model(MODEL)
    v = m.get_embeddings("This is a test sentence")
    assert v.shape == (DIM,)
    np.testing.assert_allclose(v, model.embed("This is a test sentence"), rtol=0, atol=1e-6)
    both = manager.get_embeddings(MODEL, ["a", "b"])
    assert both.shape == (2, DIM)
    np.testing.assert_allclose(both, model.embed(["a", "b"]), rtol=0, atol=1e-6)
    assert m.device == "cpu" and m.dim == DIM and manager.loaded == [MODEL]


def test_switch_to_absent_backend_keeps_the_model(manager, cuda_absent):
    m = manager.load_model(MODEL)
    before = m.get_embeddings("keep working")
    with pytest.raises(ia.HardwareUnavailableError) as e:
        manager.switch_hardware(MODEL, "cuda")
    assert_cuda_refused(str(e.value), cuda_absent)
    with pytest.raises(ia.HardwareUnavailableError, match="cuda"):
        m.switch_hardware(HardwareProfile(backend="cuda", check_available=False))
    assert m.device == "cpu"
    np.testing.assert_array_equal(m.get_embeddings("keep working"), before)
    manager.switch_hardware(MODEL, "cpu")  # a real switch: reopened on cpu
    np.testing.assert_allclose(m.get_embeddings("keep working"), before, rtol=0, atol=1e-6)


def test_seed_openvino_switch_raises_clearly(manager):
    m = manager.load_model(MODEL)
    with pytest.raises(ia.HardwareUnavailableError, match="openvino"):
        m.switch_hardware("openvino")
    assert m.get_embeddings("still here").shape == (DIM,)


def test_switch_unloaded_model_is_not_found(manager):
    with pytest.raises(ia.NotFoundError, match="not loaded"):
        manager.switch_hardware("never-loaded", "cpu")


def test_switch_changes_the_backend_only(manager):
    manager.load_model(MODEL)
    with pytest.raises(ValueError, match="backend only"):
        manager.switch_hardware(MODEL, HardwareProfile(backend="cpu", precision="int8"))


def test_per_load_profile(manager, model):
    q = manager.load_model(MODEL, hardware_profile=HardwareProfile(backend="cpu", precision="int8", threads=1))
    assert q.precision == "int8" and q.info()["threads"] == 1
    assert float(q.get_embeddings("x") @ model.embed("x")) > 0.99
    with pytest.raises(ValueError, match="already loaded"):
        manager.load_model(MODEL, hardware_profile=HardwareProfile(backend="cpu"))
    assert manager.load_model(MODEL).precision == "int8"  # no profile: the loaded one


def test_missing_model_and_closed_manager():
    mm = ia.ModelManager(HardwareProfile(backend="cpu"))
    with pytest.raises(ia.NotFoundError):
        mm.load_model("no-such-model-for-the-python-tests")
    assert mm.loaded == []
    m = mm.load_model(MODEL)
    mm.close()
    with pytest.raises(ValueError, match="closed"):
        m.get_embeddings("x")

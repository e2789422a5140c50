"""HardwareProfile and HardwareDetector over the core's parsers and
hardware report; the C struct mirrors."""
import ctypes

import pytest

import ipfs_accelerate_py as ia
from ipfs_accelerate_py.hardware import HardwareProfile  # the seed's import path
from conftest import MODEL, assert_cuda_refused

SEED_BACKENDS = {"cpu", "cuda", "rocm", "openvino", "apple", "qualcomm", "webnn"}


def test_detect_all_without_measurement():
    report = ia.HardwareDetector().detect_all(measure="none")
    names = {b["name"] for b in report["backends"]}
    assert SEED_BACKENDS <= names
    cpu = next(b for b in report["backends"] if b["name"] == "cpu")
    assert cpu["available"] is True and cpu["devices"]
    assert report["cpu"]["threads"] >= 1 and report["memory"]["total_bytes"] > 0
    assert report["measurement"]["mode"] == "none" and cpu["gflops"] is None
    for b in report["backends"]:
        assert b["available"] or b["reason"], f"{b['name']} absent without a reason"
    assert "cpu" in ia.HardwareDetector().available_backends()
    assert "ref" not in names  # the oracle is no accelerator
    assert len(report["machine_id"]) == 16 and report["cpu"]["model"] in report["machine_id_basis"]


def test_detect_all_measures_by_default():
    report = ia.HardwareDetector().detect_all()
    cpu = next(b for b in report["backends"] if b["name"] == "cpu")
    assert report["measurement"]["mode"] == "quick"
    assert cpu["gflops"] > 0 and cpu["gbps"] > 0


def test_detect_all_rejects_unknown_mode():
    with pytest.raises(ValueError):
        ia.HardwareDetector().detect_all(measure="fast")


def test_profile_is_a_description_checked_when_used(cuda_absent):
    # The seed's profiles construct on any machine; absence shows where they are used.
    p = HardwareProfile(backend="cuda", memory_limit="4GB", precision="fp16", optimization_level="performance")
    assert (p.backend, p.precision, p.memory_limit_bytes, p.optimization_level) == ("cuda", "fp16", 4_000_000_000, 3)
    assert HardwareProfile(backend="cpu", optimization_level="high").optimization_level == 3
    with pytest.raises(ia.HardwareUnavailableError) as e:
        p.check_available()
    assert "cuda" in str(e.value) and cuda_absent in str(e.value)
    with pytest.raises(ia.HardwareUnavailableError, match="cuda"):
        HardwareProfile(backend="cuda", check_available=True)


def test_unknown_backend_and_device_index_are_reported_when_checked():
    HardwareProfile(backend="tpu"), HardwareProfile(backend="cpu", device_index=1)  # descriptions: fine
    with pytest.raises(ia.HardwareUnavailableError, match="tpu"):
        HardwareProfile(backend="tpu").check_available()
    with pytest.raises(ia.HardwareUnavailableError, match="cpu:1"):
        HardwareProfile(backend="cpu", device_index=1).check_available()
    with pytest.raises(ia.HardwareUnavailableError, match="tpu"):
        ia.Model(MODEL, HardwareProfile(backend="tpu"))


@pytest.mark.parametrize("bad", ["fp8", "", "int3", "FP32x"])
def test_bad_precision_is_valueerror_with_core_message(bad):
    with pytest.raises(ValueError, match="unknown precision") as e:
        HardwareProfile(precision=bad)
    assert isinstance(e.value, ia.InvalidArgumentError)


@pytest.mark.parametrize("bad", ["4 parsecs", "GB", "-1", "1e400", -5, "4GBB"])
def test_bad_memory_is_valueerror_with_core_message(bad):
    with pytest.raises(ValueError, match="is not a size such as"):
        HardwareProfile(memory_limit=bad)


def test_memory_sizes_as_the_core_parses_them():
    assert HardwareProfile(memory_limit="4GB").memory_limit_bytes == 4_000_000_000
    assert HardwareProfile(memory_limit="512MiB").memory_limit_bytes == 512 * 2**20
    assert HardwareProfile(memory_limit="1.5G").memory_limit_bytes == 3 * 2**29
    assert HardwareProfile(memory_limit=1000).memory_limit_bytes == 1000
    assert HardwareProfile().memory_limit_bytes == 0
    assert ia.parse_memory_size("2KB") == 2000


@pytest.mark.parametrize("kwargs", [dict(optimization_level=4), dict(optimization_level="fastest"),
                                    dict(threads=-1), dict(device_index=-1), dict(threads=True)])
def test_bad_fields_are_valueerror(kwargs):
    with pytest.raises(ValueError):
        HardwareProfile(**kwargs)


def test_c_struct_mirrors_are_filled_by_the_cores_init_functions():
    """Each mirror opens with struct_size and gets the core's defaults in
    the right fields (a field out of place would show a default elsewhere)."""
    from ipfs_accelerate_py import _lib
    p = _lib.new_struct(_lib.HardwareProfileC)
    assert p.struct_size == ctypes.sizeof(_lib.HardwareProfileC)
    assert (p.backend, p.device_index, p.precision, p.memory_limit_bytes, p.threads, p.optimization_level) == \
        (b"auto", 0, 0, 0, 0, 2)
    b = _lib.new_struct(_lib.BenchmarkConfigC)
    assert (b.struct_size, b.iterations, b.warmup, b.n_profiles) == (ctypes.sizeof(_lib.BenchmarkConfigC), 10, 2, 0)
    q = _lib.new_struct(_lib.QuantConfigC, 4)
    assert (q.struct_size, q.bits, q.clip_search) == (ctypes.sizeof(_lib.QuantConfigC), 4, 1)
    o = _lib.new_struct(_lib.ModelOptionsC)
    assert (o.struct_size, o.threads, o.device) == (ctypes.sizeof(_lib.ModelOptionsC), 0, b"cpu")
    s = _lib.new_struct(_lib.SessionOptionsC)
    assert (s.struct_size, s.n_ctx, s.threads, s.fallback) == (ctypes.sizeof(_lib.SessionOptionsC), 0, 0, None)
    c = _lib.new_struct(_lib.QuantCompareConfigC)
    assert c.struct_size == ctypes.sizeof(_lib.QuantCompareConfigC) and c.reference is None
    # ... and the core reads what Python wrote there.
    with ia.Model(MODEL, HardwareProfile(backend="cpu", threads=1, optimization_level=0)) as m:
        assert m.info()["threads"] == 1 and m.kernel == "generic"


def test_profile_fields_equality_and_c_struct():
    p = HardwareProfile(backend="cpu", memory_limit="1GiB", precision="int8", optimization_level="portable",
                        threads=2)
    assert (p.backend, p.precision, p.memory_limit_bytes, p.optimization_level, p.threads, p.device) == \
        ("cpu", "int8", 2**30, 0, 2, "cpu")
    assert p == HardwareProfile(backend="cpu", memory_limit=2**30, precision="INT8", optimization_level=0, threads=2)
    assert hash(p) == hash(p.replace()) and p != p.replace(threads=1)
    c = p.to_c()
    assert (c.backend, c.precision, c.memory_limit_bytes, c.threads, c.optimization_level) == \
        (b"cpu", ia.parse_precision("int8"), 2**30, 2, 0)
    assert "int8" in repr(p)


def test_unchecked_profile_fails_where_the_model_opens(cuda_absent):
    p = HardwareProfile(backend="cuda", check_available=False)
    with pytest.raises(ia.HardwareUnavailableError) as e:
        ia.Model(MODEL, p)
    assert "device 'cuda' is not available" in str(e.value)
    assert_cuda_refused(str(e.value), cuda_absent)


def test_profile_limits_enforced_by_the_core():
    with pytest.raises(ValueError, match="memory limit"):
        ia.Model(MODEL, HardwareProfile(backend="cpu", memory_limit="1MB"))
    with pytest.raises(ia.UnsupportedError, match="fp16"):
        ia.Model(MODEL, HardwareProfile(backend="cpu", precision="fp16"))

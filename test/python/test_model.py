"""Model: embeddings equal to the CLI's, written by the core into the
numpy array we pass, batching, lifetime."""
import json
import subprocess

import numpy as np
import pytest

import ipfs_accelerate_py as ia
from conftest import DIM, MODEL

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "A fast auburn fox leaps above a sleepy hound.",
    "Café naïve — 東京で会いましょう 🚀",  # UTF-8 beyond ASCII
    "Quantum chromodynamics describes the strong interaction.",
    "",
]


def cli_embed(cli, texts):
    out = subprocess.run([str(cli), "embed", "--json", "--device", "cpu", "--model", MODEL, *texts],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    doc = json.loads(out)
    assert doc["dim"] == DIM and doc["device"] == "cpu"
    return np.asarray(doc["embeddings"], dtype=np.float32)


def test_single_text_is_a_normalised_vector(model):
    v = model.embed("This is a test sentence")
    assert v.shape == (DIM,) and v.dtype == np.float32
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5


def test_equal_to_the_cli(model, cli):
    ref = cli_embed(cli, TEXTS)
    got = model.embed(TEXTS)
    assert got.shape == (len(TEXTS), DIM)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.embed(TEXTS[2]), ref[2], rtol=0, atol=1e-6)


def test_batches_give_the_same_rows(model):
    texts = [f"sentence number {i} about {'cats' if i % 2 else 'dogs'}" for i in range(37)]
    one = model.embed(texts, batch_size=64)
    np.testing.assert_allclose(model.embed(texts, batch_size=5), one, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.embed(texts), one, rtol=0, atol=1e-6)  # default 32: 32 + 5
    np.testing.assert_allclose(model.embed(texts[7]), one[7], rtol=0, atol=1e-6)


def test_core_writes_into_the_array_we_pass(model):
    buf = np.full((3, DIM), np.nan, dtype=np.float32)
    address = buf.ctypes.data
    res = model.embed(TEXTS[:3], out=buf, batch_size=2)
    assert res is buf and buf.ctypes.data == address  # filled in place, two batches
    assert np.isfinite(buf).all()
    np.testing.assert_allclose(buf, model.embed(TEXTS[:3]), rtol=0, atol=1e-6)
    # A row view of a larger array: the core writes exactly there.
    big = np.zeros((5, DIM), dtype=np.float32)
    model.embed(TEXTS[:2], out=big[1:3])
    assert not big[0].any() and not big[3:].any()
    np.testing.assert_allclose(big[1:3], buf[:2], rtol=0, atol=1e-6)


def test_default_result_is_our_own_allocation(model):
    res = model.embed(TEXTS[:2])
    # Owns its memory: not a view over a ctypes buffer the library filled.
    assert res.flags.owndata and res.base is None and res.flags.c_contiguous
    v = model.embed(TEXTS[0])
    assert v.base is not None and v.base.shape == (1, DIM)  # a row of the [1, dim] array, not a copy


@pytest.mark.parametrize("bad", [np.zeros((2, DIM), np.float64), np.zeros((3, DIM), np.float32),
                                 np.zeros((DIM, 2), np.float32).T, np.zeros((2, DIM), np.float32)[:, ::-1]])
def test_bad_out_arrays_are_refused(model, bad):
    with pytest.raises(ValueError):
        model.embed(TEXTS[:2], out=bad)


def test_empty_and_bad_inputs(model):
    assert model.embed([]).shape == (0, DIM)
    with pytest.raises(TypeError):
        model.embed(b"bytes are not text")
    with pytest.raises(TypeError):
        model.embed(["ok", 3])
    with pytest.raises(ValueError, match="NUL"):
        model.embed("a\0b")
    with pytest.raises(ValueError):
        model.embed("x", batch_size=0)


def test_properties(model):
    assert model.dim == DIM and model.name == MODEL and model.device == "cpu"
    assert model.precision == "fp32" and model.device_reason == "requested"
    assert model.kernel in ("avx512", "avx2", "generic", "neon") and model.max_tokens > 0
    assert model.weight_bytes > 10_000_000
    assert ia.resolve_model(MODEL).endswith("/" + MODEL)


def test_auto_device_says_why():
    with ia.Model(MODEL) as m:
        assert m.device == "cpu" and m.device_reason.startswith("heuristic")


def test_int8_profile_runs_quantised(model):
    with ia.Model(MODEL, ia.HardwareProfile(backend="cpu", precision="int8", threads=1)) as q:
        assert q.precision == "int8"
        cos = float(q.embed(TEXTS[0]) @ model.embed(TEXTS[0]))
        assert cos > 0.99


def test_close_and_context_manager():
    with ia.Model(MODEL, ia.HardwareProfile(backend="cpu", optimization_level=0, threads=1)) as m:
        assert m.kernel == "generic"
        m.embed("x")
    assert m.closed
    with pytest.raises(ValueError, match="closed"):
        m.embed("x")
    m.close()  # idempotent
    assert "closed" in repr(m)

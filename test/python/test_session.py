"""Sessions from Python (Model.session over ia_session_*): a tiny random
llama (scripts/make_tiny_llama.py, numpy) decoded greedily against
transformers' logits in test/fixtures/tiny_llama_reference.json, the
position and reset, the context limit, and closing with the model."""
import base64
import json
import subprocess
import sys

import numpy as np
import pytest

import ipfs_accelerate_py as ia
from conftest import REPO

VARIANT = "tiny-llama"
MAX_ABS = 1e-4  # as test/models/test_llama_reference.c


@pytest.fixture(scope="module")
def fixture():
    ref = json.loads((REPO / "test" / "fixtures" / "tiny_llama_reference.json").read_text())["models"][VARIANT]

    def matrix(m):
        return np.frombuffer(base64.b64decode(m["data"]), dtype="<f4").reshape(m["shape"])

    return ref["prompt_ids"], ref["generated_ids"], matrix(ref["prefill_logits"]), matrix(ref["decode_logits"])


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    out = tmp_path_factory.mktemp("llama")
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_tiny_llama.py"), "--out", str(out),
                    "--variant", VARIANT], check=True, stdout=subprocess.DEVNULL)
    m = ia.Model(str(out / VARIANT), ia.HardwareProfile(backend="cpu", threads=2))
    yield m
    m.close()


def test_greedy_decoding_matches_transformers(llama, fixture):
    prompt, generated, prefill, decode = fixture
    assert llama.family == "llama" and llama.vocab_size == prefill.shape[1]
    with llama.session() as s:
        logits = s.decode(prompt)
        assert logits.dtype == np.float32 and logits.shape == (llama.vocab_size,)
        assert np.abs(logits - prefill[-1]).max() <= MAX_ABS
        assert s.position == len(prompt)
        out = np.empty(llama.vocab_size, dtype=np.float32)
        for j, want in enumerate(generated):
            assert int(np.argmax(logits)) == want, f"greedy step {j}"
            logits = s.decode(want, out=out)  # one token per step, into the caller's array
            assert logits is out and np.abs(out - decode[j]).max() <= MAX_ABS, f"step {j}"
        assert s.position == len(prompt) + len(generated)
        s.reset()
        assert s.position == 0
        np.testing.assert_array_equal(s.decode(np.asarray(prompt, dtype=np.int64)), s_prompt_logits(llama, prompt))


def s_prompt_logits(model, prompt):
    with model.session() as s:
        return s.decode(prompt)


def test_sessions_are_independent_and_bounded(llama, fixture):
    prompt = fixture[0]
    with llama.session(n_ctx=len(prompt)) as a, llama.session() as b:
        a.decode(prompt)
        b.decode(prompt[:3])
        assert (a.position, b.position) == (len(prompt), 3)
        with pytest.raises(ia.InvalidArgumentError):
            a.decode(1)  # the context is full: refused, nothing changes
        assert a.position == len(prompt)
        with pytest.raises(ValueError, match="token ids"):
            b.decode([llama.vocab_size])
        with pytest.raises(ValueError, match="non-empty"):
            b.decode([])
        with pytest.raises(TypeError):
            b.decode([1.5])
        assert b.position == 3


def test_closing_the_model_closes_its_sessions(tmp_path, fixture):
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_tiny_llama.py"), "--out", str(tmp_path),
                    "--variant", VARIANT], check=True, stdout=subprocess.DEVNULL)
    m = ia.Model(str(tmp_path / VARIANT), ia.HardwareProfile(backend="cpu", threads=1))
    s = m.session()
    s.decode(fixture[0][:2])
    m.close()
    assert s.closed and m.closed
    with pytest.raises(ValueError, match="closed"):
        s.decode(1)

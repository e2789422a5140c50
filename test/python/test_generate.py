"""Text generation from Python: Model.generate (blocking and streaming),
chat over the model's template, seeds, early stop of a stream, errors."""
import pytest

import ipfs_accelerate_py as ia


@pytest.fixture(scope="module")
def llm():
    m = ia.Model("smollm2", ia.HardwareProfile(backend="cpu"))
    yield m
    m.close()


def test_generate_greedy_is_deterministic(llm):
    a = llm.generate("The capital of France is", max_tokens=12, temperature=0)
    b = llm.generate("The capital of France is", max_tokens=12, temperature=0)
    assert a == b and len(a) > 0
    r = llm.last_generation
    assert r.generated_tokens == 12 and r.finish_reason == "length"
    assert r.cached_tokens == r.prompt_tokens - 1  # the second call reused the cache


def test_stream_pieces_are_the_text(llm):
    text = llm.generate("List of prime numbers: 2, 3, 5,", max_tokens=20, temperature=0)
    pieces = list(llm.generate("List of prime numbers: 2, 3, 5,", max_tokens=20, temperature=0, stream=True))
    assert len(pieces) > 1 and "".join(pieces) == text


def test_leaving_a_stream_early_stops_it(llm):
    it = llm.generate("Once upon a time", max_tokens=200, temperature=0, stream=True)
    for i, _ in enumerate(it):
        if i == 2:
            break
    it.close()
    assert llm.last_generation.finish_reason == "cancelled"
    assert llm.last_generation.generated_tokens < 200
    # the session is usable afterwards
    assert llm.generate("Hello", max_tokens=3, temperature=0)


def test_seed_and_stop(llm):
    a = llm.generate("Once upon a time", max_tokens=10, temperature=1.0, seed=3)
    b = llm.generate("Once upon a time", max_tokens=10, temperature=1.0, seed=3)
    assert a == b
    full = llm.generate("List of prime numbers: 2, 3, 5,", max_tokens=20, temperature=0)
    cut = llm.generate("List of prime numbers: 2, 3, 5,", max_tokens=20, temperature=0, stop=[" 13"])
    assert " 13" in full and full.startswith(cut) and " 13" not in cut
    assert llm.last_generation.finish_reason == "stop"


def test_chat(llm):
    msgs = [{"role": "user", "content": "What is 2+2?"}]
    prompt = llm.apply_chat_template(msgs)
    assert prompt.endswith("<|im_start|>assistant\n") and "What is 2+2?" in prompt
    reply = llm.chat(msgs, max_tokens=16, temperature=0)
    assert reply == llm.generate(prompt, max_tokens=16, temperature=0)
    assert "".join(llm.chat(msgs, max_tokens=16, temperature=0, stream=True)) == reply


def test_errors(llm):
    with pytest.raises(TypeError):
        llm.generate("x", temprature=0.5)
    with pytest.raises(ValueError):
        llm.generate("x", max_tokens=-1)
    with pytest.raises(ia.InvalidArgumentError):
        llm.generate("x", top_p=0.0)
    with pytest.raises(TypeError):
        llm.chat({"role": "user", "content": "hi"})
    enc = ia.Model("all-MiniLM-L6-v2", ia.HardwareProfile(backend="cpu"))
    with pytest.raises(ia.UnsupportedError):
        enc.generate("hello")
    enc.close()


def test_decode_batch_equals_one_by_one(llm):
    import numpy as np
    prompts = [[504, 3458, 282, 4649, 314], [9556, 2036, 253, 655]]
    alone = [llm.session() for _ in prompts]
    batch = [llm.session() for _ in prompts]
    nxt = []
    for a, b, p in zip(alone, batch, prompts):
        a.decode(p)
        nxt.append(int(np.argmax(b.decode(p))))
    for _ in range(4):
        rows = ia.Session.decode_batch(batch, nxt)
        assert rows.shape == (2, llm.vocab_size)
        for i, a in enumerate(alone):
            ref = a.decode(nxt[i])
            assert np.abs(rows[i] - ref).max() < 2e-2
        nxt = [int(np.argmax(r)) for r in rows]
    with pytest.raises(ValueError):
        ia.Session.decode_batch(batch, [1])            # one token for two sessions
    with pytest.raises(ValueError):
        ia.Session.decode_batch([batch[0], batch[0]], [1, 2])  # the same session twice (core refuses)

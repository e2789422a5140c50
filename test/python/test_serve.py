"""test_serve.py — `ipfs-accelerate serve` through the official OpenAI
client and raw HTTP: the answers equal the CLI's (embed --json, generate
with the same seed), streaming gives the same text, 64 concurrent clients
get their own answers, hostile requests get the right status and leave the
server up, memory stays flat over 10 000 requests, SIGTERM lets a running
request finish and exits 0."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from serve_process import ServeProcess

openai = pytest.importorskip("openai", reason="scripts/setup_test.sh installs the openai client")

EMBED = "all-MiniLM-L6-v2"
LLM = "smollm2"
TEXTS = ["The quick brown fox jumps over the lazy dog.", "A fast auburn fox leaps above a sleepy hound.",
         "Quantum chromodynamics describes the strong interaction."]


@pytest.fixture(scope="module")
def server(cli):
    s = ServeProcess(cli, [EMBED, LLM], "--quiet")
    yield s
    assert s.stop() == 0, s.text()
    s.close()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.base + "/v1", api_key="unused", max_retries=0)


def cli_embed(cli, texts):
    out = subprocess.run([str(cli), "embed", "--json", "--model", EMBED, *texts], capture_output=True, text=True,
                         check=True).stdout
    return np.array(json.loads(out)["embeddings"], dtype=np.float32)


def cli_generate(cli, prompt, *args):
    out = subprocess.run([str(cli), "generate", "--quiet", "--model", LLM, *args, prompt], capture_output=True,
                         text=True, check=True).stdout
    return out[:-1] if out.endswith("\n") else out


def test_openai_embeddings_equal_cli(server, client, cli):
    want = cli_embed(cli, TEXTS)
    got_b64 = client.embeddings.create(model=EMBED, input=TEXTS)            # the client asks for base64
    got_float = client.embeddings.create(model=EMBED, input=TEXTS, encoding_format="float")
    for got in (got_b64, got_float):
        vecs = np.array([d.embedding for d in sorted(got.data, key=lambda d: d.index)], dtype=np.float32)
        assert vecs.shape == want.shape
        np.testing.assert_allclose(vecs, want, rtol=0, atol=2e-6)
        assert got.usage.prompt_tokens > len(TEXTS) * 2 and got.usage.total_tokens == got.usage.prompt_tokens
        assert got.model == EMBED


def test_tei_embed_route(server, cli):
    want = cli_embed(cli, TEXTS[:1])
    status, body, _ = server.request("POST", "/embed", {"inputs": TEXTS[0]})
    assert status == 200 and len(body) == 1
    np.testing.assert_allclose(np.array(body, dtype=np.float32), want, rtol=0, atol=2e-6)
    status, body, _ = server.request("POST", "/embed", {"inputs": TEXTS})
    assert status == 200 and len(body) == 3 and len(body[2]) == 384


def test_chat_with_seed_equals_generate(server, client, cli):
    q = "Name three colors."
    want = cli_generate(cli, q, "--chat", "--seed", "42", "--temp", "0.7", "-n", "24")
    got = client.chat.completions.create(model=LLM, messages=[{"role": "user", "content": q}], seed=42,
                                         temperature=0.7, max_tokens=24)
    assert got.choices[0].message.content == want
    assert got.choices[0].finish_reason in ("stop", "length")
    assert got.usage.completion_tokens <= 24 and got.usage.prompt_tokens > 5
    # streaming delivers the same text, piece by piece
    pieces = []
    stream = client.chat.completions.create(model=LLM, messages=[{"role": "user", "content": q}], seed=42,
                                            temperature=0.7, max_tokens=24, stream=True)
    finish = None
    for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
    assert "".join(pieces) == want and len(pieces) > 3
    assert finish == got.choices[0].finish_reason


def test_completion_equals_generate_and_stop(server, client, cli):
    p = "The capital of France is"
    want = cli_generate(cli, p, "--temp", "0", "-n", "12")
    got = client.completions.create(model=LLM, prompt=p, temperature=0, max_tokens=12)
    assert got.choices[0].text == want
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=LLM, prompt=p, temperature=0, max_tokens=12, stream=True) if c.choices)
    assert streamed == want
    cut = client.completions.create(model=LLM, prompt=p, temperature=0, max_tokens=12, stop=["."])
    assert "." not in cut.choices[0].text and want.startswith(cut.choices[0].text)
    assert cut.choices[0].finish_reason == "stop"


def test_models_info_metrics(server, client):
    assert sorted(m.id for m in client.models.list()) == sorted([EMBED, LLM])
    status, info, _ = server.request("GET", "/info")
    assert status == 200 and info["model_id"] == EMBED and info["max_client_batch_size"] == 32
    assert [m["model_type"].popitem()[0] for m in info["models"]] == ["embedding", "generation"]
    status, text, _ = server.request("GET", "/metrics")
    assert status == 200
    for name in ("te_request_count", "te_request_duration_bucket", "te_request_queue_duration_sum",
                 "te_request_inference_duration_count", "te_request_tokenization_duration_count",
                 "te_batch_next_size_bucket", "te_queue_size", "ia_generated_tokens_total"):
        assert name in text, name
    batches = [line for line in text.splitlines() if line.startswith('te_batch_next_size_bucket{le="+Inf"}')]
    assert int(batches[0].split()[-1]) >= 1


def test_64_concurrent_clients_get_their_own_answers(server, cli):
    texts = [f"Sentence number {i} is about topic {i * 7 % 13}." for i in range(64)]
    want = cli_embed(cli, texts)
    barrier = threading.Barrier(64)

    def one(i):
        barrier.wait()
        return server.request("POST", "/v1/embeddings", {"input": texts[i], "model": EMBED})

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(one, range(64)))
    for i, (status, body, _) in enumerate(results):
        assert status == 200, body
        np.testing.assert_allclose(np.array(body["data"][0]["embedding"], dtype=np.float32), want[i], rtol=0,
                                   atol=2e-6)
    # the requests were merged: some batch held more than one input
    _, text, _ = server.request("GET", "/metrics")
    le1 = next(line for line in text.splitlines() if line.startswith('te_batch_next_size_bucket{le="1"}'))
    total = next(line for line in text.splitlines() if line.startswith('te_batch_next_size_bucket{le="+Inf"}'))
    assert int(le1.split()[-1]) < int(total.split()[-1])


def test_concurrent_chats_are_decoded_together(server):
    prompts = [f"Count from {i} to {i + 5}:" for i in range(8)]

    def one(p):
        return server.request("POST", "/v1/completions", {"prompt": p, "max_tokens": 16, "temperature": 0})

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, prompts))
    for status, body, _ in results:
        assert status == 200, body
        assert body["usage"]["completion_tokens"] == 16 and body["choices"][0]["text"]
    _, text, _ = server.request("GET", "/metrics")
    steps = {line.split("{")[1].split("}")[0]: int(line.split()[-1]) for line in text.splitlines()
             if line.startswith("ia_generation_step_sequences_bucket")}
    assert steps['le="1"'] < steps['le="+Inf"'], steps   # some steps decoded several sequences


def test_hostile_requests(server):
    bad = [
        (b"{not json", "/v1/embeddings", 400),
        (b"[1, 2]", "/embed", 422),
        (json.dumps({"input": 5}).encode(), "/v1/embeddings", 422),
        (json.dumps({"input": [[1, 2, 3]]}).encode(), "/v1/embeddings", 422),
        (json.dumps({"inputs": []}).encode(), "/embed", 422),
        (json.dumps({"inputs": ["a"] * 100_000}).encode(), "/embed", 422),
        (json.dumps({"inputs": "word " * 400}).encode(), "/embed", 422),
        (json.dumps({"input": "x", "encoding_format": "hex"}).encode(), "/v1/embeddings", 422),
        (json.dumps({"input": "x", "model": "nope"}).encode(), "/v1/embeddings", 404),
        (json.dumps({"input": "x", "model": LLM}).encode(), "/v1/embeddings", 422),
        (json.dumps({"messages": "hi"}).encode(), "/v1/chat/completions", 422),
        (json.dumps({"prompt": "hi", "temperature": "hot"}).encode(), "/v1/completions", 422),
        (json.dumps({"prompt": "hi", "n": 3}).encode(), "/v1/completions", 422),
        (json.dumps({"prompt": "hi " * 3000}).encode(), "/v1/completions", 400),
        (b"x" * (10 << 20), "/v1/embeddings", 413),
    ]
    for raw, path, want in bad:
        status, body, _ = server.request("POST", path, raw=raw)
        assert status == want, (path, raw[:60], status, body)
        assert "error" in body, body
    long = server.request("POST", "/embed", {"inputs": "word " * 400})[1]
    assert "must have less than 257 tokens" in long["error"], long
    assert server.request("POST", "/embed", {"inputs": "word " * 400, "truncate": True})[0] == 200
    assert server.request("GET", "/nowhere")[0] == 404
    assert server.request("GET", "/embed")[0] == 405
    assert server.request("GET", "/health")[0] == 200


def test_slow_client_and_closing_mid_stream(cli):
    s = ServeProcess(cli, [EMBED, LLM], "--quiet", "--timeout-ms", "1500")
    try:
        slow = socket.create_connection(("127.0.0.1", s.port))
        slow.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n")
        t0 = time.time()
        for ch in b'{"inputs": "a':
            try:
                slow.sendall(bytes([ch]))
            except (BrokenPipeError, ConnectionResetError):
                break   # answered (408) and closed while it was still sending
            # the others are served meanwhile
            assert s.request("POST", "/embed", {"inputs": "fast"})[0] == 200
            time.sleep(0.25)
            if time.time() - t0 > 2.5:
                break
        # past the request timeout the connection is closed: libmicrohttpd
        # cannot answer while an upload is still coming
        slow.settimeout(10)
        try:
            assert slow.recv(4096) == b""
        except ConnectionResetError:
            pass
        assert time.time() - t0 < 5
        slow.close()
        # a stream whose client leaves after the first event is cancelled, and its slot freed
        for _ in range(3):
            c = socket.create_connection(("127.0.0.1", s.port))
            body = json.dumps({"prompt": "Tell a long story.", "max_tokens": 2000, "stream": True,
                               "ignore_eos": True}).encode()
            c.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            got = b""
            while b"data: " not in got:
                chunk = c.recv(4096)
                assert chunk, got
                got += chunk
            c.close()
        t0 = time.time()
        status, body, _ = s.request("POST", "/v1/completions", {"prompt": "Hi", "max_tokens": 4})
        assert status == 200 and time.time() - t0 < 20
        _, text, _ = s.request("GET", "/metrics")
        assert "te_queue_size 0" in text or "te_queue_size 1" in text
    finally:
        assert s.stop() == 0
        s.close()


def test_queue_full_is_429(cli):
    s = ServeProcess(cli, [EMBED], "--quiet", "--max-concurrent-requests", "2")
    try:
        body = {"inputs": ["word " * 200] * 32}

        def one(_):
            return s.request("POST", "/embed", body)[0]

        with ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(one, range(12)))
        assert set(codes) <= {200, 429} and codes.count(429) >= 1 and codes.count(200) >= 2, codes
    finally:
        assert s.stop() == 0
        s.close()


def test_failed_load_is_503_and_sigterm_drains(cli, tmp_path):
    bad = ServeProcess(cli, [str(tmp_path / "missing-model")], "--quiet", wait_ready=False)
    try:
        bad.wait_health(503)
        time.sleep(0.3)
        status, body, _ = bad.request("GET", "/health")
        assert status == 503 and "missing-model" in body["error"], body
        assert bad.request("POST", "/embed", {"inputs": "x"})[0] == 503
    finally:
        assert bad.stop() == 0
        bad.close()
    s = ServeProcess(cli, [LLM], "--quiet")
    try:
        result = {}

        def long_request():
            result["r"] = s.request("POST", "/v1/completions",
                                    {"prompt": "Once upon a time", "max_tokens": 48, "ignore_eos": True})

        t = threading.Thread(target=long_request)
        t.start()
        time.sleep(0.4)
        s.proc.terminate()
        t.join(60)
        status, body, _ = result["r"]
        assert status == 200 and body["usage"]["completion_tokens"] == 48, body
        assert s.proc.wait(30) == 0, s.text()
        assert "SIGTERM" in s.text()
        assert s.request("GET", "/health")[0] == 0          # nobody listens any more
    finally:
        s.close()


@pytest.mark.skipif(shutil.which("hey") is None, reason="hey (Debian) is installed by scripts/setup_test.sh")
def test_memory_stays_bounded_over_10000_requests(cli, tmp_path):
    s = ServeProcess(cli, [EMBED], "--quiet")
    try:
        body = tmp_path / "body.json"
        body.write_text(json.dumps({"inputs": "memory should not grow with the number of requests"}))

        def load(n):
            out = subprocess.run(["hey", "-n", str(n), "-c", "16", "-m", "POST", "-T", "application/json",
                                  "-D", str(body), s.base + "/embed"], capture_output=True, text=True, check=True)
            assert f"[200]\t{n} responses" in out.stdout, out.stdout

        load(2000)
        warm = s.rss_kib()
        load(10000)
        grown = s.rss_kib() - warm
        assert grown < 8 * 1024, f"RSS grew {grown} KiB over 10 000 requests"
    finally:
        assert s.stop() == 0
        s.close()

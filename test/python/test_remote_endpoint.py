"""Remote endpoints as Worker devices: `ipfs-accelerate serve` (and small
stand-in servers for what it never does: no /v1/embeddings, float arrays
out of order, 429 then 200, an error text) behind "http://127.0.0.1:PORT"
give the local model's vectors through the Worker and through
`embed --device URL`, and every failure names the endpoint."""
from __future__ import annotations

import base64
import json
import socket
import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

import ipfs_accelerate_py as ia
from conftest import DIM, MODEL
from serve_process import ServeProcess

TEXTS = ["The quick brown fox jumps over the lazy dog.", "A fast auburn fox leaps above a sleepy hound.",
         "Quantum chromodynamics describes the strong interaction."]


@pytest.fixture(scope="module")
def server(cli):
    s = ServeProcess(cli, [MODEL], "--quiet")
    yield s
    assert s.stop() == 0, s.text()
    s.close()


@pytest.fixture
def fast_retries(monkeypatch):
    """Read by the core when an endpoint is created: one retry, so a test
    that exhausts them takes 100 ms, not 1.5 s."""
    monkeypatch.setenv("IA_REMOTE_RETRIES", "1")


@contextmanager
def stand_in(answer):
    """A local HTTP server whose every POST is answered by
    answer(path, body, headers) -> (status, payload, extra_headers); yields
    (base_url, requests) with requests the (path, body, headers) it got."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append((self.path, body, dict(self.headers)))
            status, payload, extra = answer(self.path, body, self.headers)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def cli_json(cli, *args):
    out = subprocess.run([str(cli), "embed", "--json", "--model", MODEL, *args], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_worker_over_http_equals_local(server, model):
    with ia.Worker() as w:
        w.init_worker([MODEL], devices=[server.base + "/"])    # kept without the trailing slash
        handler = w.endpoint_handler[MODEL][server.base]
        assert handler.dim == DIM and handler.remote
        assert handler.info() == {"name": MODEL, "device": server.base, "remote": True, "dim": DIM}
        assert handler.precision is None
        assert list(w.endpoint_handler[MODEL]) == [server.base]
        np.testing.assert_allclose(handler(TEXTS), model.embed(TEXTS), rtol=0, atol=1e-6)
        v = handler(TEXTS[0])
        assert v.shape == (DIM,) and v.dtype == np.float32
        many = [f"sentence {i} of forty" for i in range(40)]          # two requests: 32 + 8
        np.testing.assert_allclose(handler(many), model.embed(many), rtol=0, atol=1e-6)


def test_cli_device_url_equals_local(server, cli):
    local = cli_json(cli, *TEXTS)
    remote = cli_json(cli, "--device", server.base, *TEXTS)
    assert remote["device"] == server.base and remote["model"] == MODEL and remote["dim"] == local["dim"] == DIM
    np.testing.assert_allclose(np.array(remote["embeddings"], dtype=np.float32),
                               np.array(local["embeddings"], dtype=np.float32), rtol=0, atol=1e-6)
    help_text = subprocess.run([str(cli), "embed", "--help"], capture_output=True, text=True, check=True).stdout
    assert "http://HOST:PORT" in help_text


def test_unreachable_endpoint_is_named(cli, fast_retries):
    with socket.socket() as s:    # bound, not listening: connecting is refused
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        with ia.Worker() as w, pytest.raises(ia.HardwareUnavailableError) as err:
            w.init_worker([MODEL], devices=[url])
        assert url in str(err.value) and MODEL in str(err.value) and "refused after 2 tries" in str(err.value)
        with ia.Worker() as w:
            w.init_worker([MODEL], local_endpoints={MODEL: ["cpu"]})
            with pytest.raises(KeyError, match="devices="):
                w.endpoint_handler[MODEL][url]
        r = subprocess.run([str(cli), "embed", "--device", url, "hi"], capture_output=True, text=True)
        assert r.returncode == 1 and url in r.stderr and "refused" in r.stderr


def test_unknown_model_is_not_sent_to_tei(server):
    # an OpenAI error object on 404 is about the model: no fallback to /embed
    with ia.Worker() as w, pytest.raises(ia.NotFoundError, match=f"{server.base}: HTTP 404: no model 'nope'"):
        w.init_worker(["nope"], devices=[server.base])


def test_tei_fallback_when_no_v1_embeddings(model):
    def answer(path, body, headers):
        if path.endswith("/v1/embeddings"):
            return 404, b"Not Found", {"Content-Type": "text/plain"}
        return 200, model.embed(body["inputs"]).tolist(), {}

    many = [f"text {i}" for i in range(40)]
    with stand_in(answer) as (url, requests), ia.Worker() as w:
        w.init_worker([MODEL], devices=[url + "/prefix"])
        handler = w.endpoint_handler[MODEL][url + "/prefix/"]
        np.testing.assert_allclose(handler(many), model.embed(many), rtol=0, atol=1e-6)
        paths = [p for p, _, _ in requests]
        assert paths == ["/prefix/v1/embeddings", "/prefix/embed", "/prefix/embed", "/prefix/embed"]
        assert [len(b["inputs"]) for _, b, _ in requests[1:]] == [1, 32, 8]
        assert "model" not in requests[2][1]


def test_openai_float_arrays_out_of_order_with_key(model, monkeypatch):
    monkeypatch.setenv("IA_REMOTE_API_KEY", "sk-test")

    def answer(path, body, headers):
        vecs = model.embed(body["input"])
        data = [{"object": "embedding", "index": i, "embedding": vecs[i].tolist()} for i in range(len(vecs))]
        return 200, {"object": "list", "data": data[::-1], "model": body["model"]}, {}

    with stand_in(answer) as (url, requests), ia.Worker() as w:
        w.init_worker([MODEL], devices=[url])
        np.testing.assert_allclose(w.endpoint_handler[MODEL][url](TEXTS), model.embed(TEXTS), rtol=0, atol=1e-6)
        path, body, headers = requests[-1]
        assert path == "/v1/embeddings" and body == {"model": MODEL, "input": TEXTS, "encoding_format": "base64"}
        assert headers["Authorization"] == "Bearer sk-test"


def test_429_is_tried_again_and_errors_carry_the_servers_words(model, fast_retries):
    state = {"n": 0}

    def answer(path, body, headers):
        state["n"] += 1
        if state["n"] == 2:
            return 429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}
        if body["input"] == ["refuse me"]:
            return 422, {"error": {"message": "input 0 is refused"}}, {}
        if body["input"] == ["always busy"]:
            return 503, {"error": "overloaded"}, {"Retry-After": "0"}
        vecs = model.embed(body["input"])
        b64 = [base64.b64encode(v.astype("<f4").tobytes()).decode() for v in vecs]
        return 200, {"data": [{"index": i, "embedding": e} for i, e in enumerate(b64)]}, {}

    with stand_in(answer) as (url, requests), ia.Worker() as w:
        w.init_worker([MODEL], devices=[url])
        handler = w.endpoint_handler[MODEL][url]
        np.testing.assert_allclose(handler(TEXTS), model.embed(TEXTS), rtol=0, atol=1e-6)   # 429, then 200
        assert len(requests) == 3
        with pytest.raises(ia.InvalidArgumentError, match=f"^{url}: HTTP 422: input 0 is refused$"):
            handler(["refuse me"])
        with pytest.raises(ia.HardwareUnavailableError, match=f"^{url}: HTTP 503: overloaded after 2 tries$"):
            handler(["always busy"])


def test_slow_answer_times_out_once(model, monkeypatch):
    monkeypatch.setenv("IA_REMOTE_TIMEOUT_MS", "300")
    monkeypatch.setenv("IA_REMOTE_RETRIES", "3")
    release = threading.Event()

    def answer(path, body, headers):
        release.wait(2)     # longer than the timeout: a slow answer is not tried again
        return 200, {"data": []}, {}

    with stand_in(answer) as (url, requests), ia.Worker() as w:
        with pytest.raises(ia.HardwareUnavailableError, match=f"^endpoint {MODEL} on {url}: .*timed out"):
            w.init_worker([MODEL], devices=[url])
        release.set()
        assert len(requests) == 1


def b64(v):
    return base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode()


@pytest.mark.parametrize("bad, why", [
    (lambda n: {"data": [{"index": i, "embedding": b64(np.ones(DIM))} for i in range(n - 1)]}, "2 vectors for 3 texts"),
    (lambda n: {"data": [{"index": i, "embedding": b64(np.ones(DIM - 1))} for i in range(n)]}, "want 384"),
    (lambda n: {"data": [{"index": i, "embedding": "!!not base64!!"} for i in range(n)]}, "base64"),
    (lambda n: {"data": [{"index": 0, "embedding": [1.0] * DIM} for _ in range(n)]}, "appears twice"),
    (lambda n: {"data": [{"index": i + 5, "embedding": [1.0] * DIM} for i in range(n)]}, "not an index"),
    (lambda n: {"data": [{"index": i, "embedding": ["x"] * DIM} for i in range(n)]}, "other than numbers"),
    (lambda n: b"<html>not json</html>", "not JSON"),
])
def test_malformed_answers_are_format_errors(bad, why):
    def answer(path, body, headers):
        if body["input"] == ["probe"]:
            return 200, {"data": [{"index": 0, "embedding": b64(np.ones(DIM))}]}, {}
        return 200, bad(len(body["input"])), {}

    with stand_in(answer) as (url, _), ia.Worker() as w:
        w.init_worker([MODEL], devices=[url])
        with pytest.raises(ia.FormatError, match=f"^{url}: POST /v1/embeddings: .*{why}"):
            w.endpoint_handler[MODEL][url](TEXTS)

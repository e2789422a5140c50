"""The Ray Serve deployment (ipfs_accelerate_py/ray_serve.py) on a local
Ray with 2 CPUs and 2 replicas, over real HTTP: vectors equal the SDK's,
the OpenAI and TEI shapes, token counts against HF `tokenizers`, both
replicas answering, and deploy/ray/serve_config.yaml against Ray's schema.
Skipped where ray is not installed (scripts/setup_test.sh installs it)."""
import base64
import concurrent.futures
import json
import os
import socket
import urllib.error
import urllib.request

import numpy as np
import pytest

from conftest import MODEL, REPO

ray = pytest.importorskip("ray", reason="ray is not installed (scripts/setup_test.sh installs ray[serve])")
serve = pytest.importorskip("ray.serve", reason="ray[serve] extras are not installed")
from ipfs_accelerate_py import ray_serve, resolve_model  # noqa: E402

TEXTS = ["The cat sits on the mat.", "A man is playing a guitar.", "", "東京は日本の首都です。",
         "word " * 400]  # over the model's 256 tokens: refused unless "truncate": true, then cut as the core does


def post(url, body):
    """(status, headers, parsed JSON) of a POST; HTTP errors included."""
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read())


@pytest.fixture(scope="module")
def server():
    """Serve on a free loopback port with 2 fixed replicas of 1 thread."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    # Replicas import the package from this checkout, over the same library.
    env = {"PYTHONPATH": str(REPO)}
    for k in ("IA_LIBRARY", "IA_MODEL_DIR"):
        if k in os.environ:
            env[k] = os.environ[k]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(ray_serve.app(MODEL, num_replicas=2, threads=1), route_prefix="/")
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()


def test_tei_embed_equals_sdk(server, model):
    status, headers, got = post(server + "/embed", {"inputs": TEXTS, "truncate": True})
    assert status == 200
    assert headers[ray_serve.REPLICA_HEADER]
    got = np.asarray(got, dtype=np.float32)
    want = model.embed(TEXTS)
    assert got.shape == want.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    # A lone string is a batch of one, as TEI answers it.
    status, _, one = post(server + "/embed", {"inputs": TEXTS[0]})
    assert status == 200 and len(one) == 1
    np.testing.assert_allclose(one[0], want[0], rtol=0, atol=1e-6)


def test_openai_embeddings(server, model):
    status, _, got = post(server + "/v1/embeddings", {"input": TEXTS, "model": MODEL, "truncate": True})
    assert status == 200
    assert got["object"] == "list" and got["model"] == MODEL
    assert [d["index"] for d in got["data"]] == list(range(len(TEXTS)))
    assert all(d["object"] == "embedding" for d in got["data"])
    vecs = np.asarray([d["embedding"] for d in got["data"]], dtype=np.float32)
    np.testing.assert_allclose(vecs, model.embed(TEXTS), rtol=0, atol=1e-6)
    # base64: OpenAI's float32 little-endian bytes, the same vectors.
    status, _, b64 = post(server + "/v1/embeddings", {"input": TEXTS[:2], "model": MODEL,
                                                       "encoding_format": "base64"})
    assert status == 200
    dec = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), "<f4") for d in b64["data"]])
    np.testing.assert_array_equal(dec, vecs[:2])


def test_openai_usage_counts_tokens_as_hf(server, model):
    """prompt_tokens = what HF tokenizers gives for the same tokenizer.json
    (an independent count, not the core's), each text cut at the model's
    max tokens since the request says truncate."""
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer.from_file(os.path.join(resolve_model(MODEL), "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    counts = [len(tok.encode(t).ids) for t in TEXTS]
    assert counts[-1] > model.max_tokens  # the long text really is over the limit
    want = sum(min(n, model.max_tokens) for n in counts)
    _, _, got = post(server + "/v1/embeddings", {"input": TEXTS, "model": MODEL, "truncate": True})
    assert got["usage"] == {"prompt_tokens": want, "total_tokens": want}


def test_refusals_as_ipfs_accelerate_serve(server):
    """Status codes and error bodies as the C server's (src/serve/)."""
    status, _, err = post(server + "/embed", {"inputs": TEXTS})  # the long text, without truncate
    assert status == 422 and err["error_type"] == "validation" and "Given: 402" in err["error"], err
    status, _, err = post(server + "/embed", {"text": "x"})
    assert status == 422 and err == {"error": "`inputs` is missing", "error_type": "validation"}
    status, _, err = post(server + "/v1/embeddings", {"input": [1, 2, 3]})
    assert status == 422 and "token ids" in err["error"]["message"] and err["error"]["code"] == 422
    status, _, err = post(server + "/v1/embeddings", {"input": [], "model": MODEL})
    assert status == 422 and err["error"]["type"] == "validation"
    status, _, err = post(server + "/v1/embeddings", {"input": "a", "dimensions": 16})
    assert status == 422 and "384" in err["error"]["message"]
    status, _, err = post(server + "/v1/embeddings", {"input": "a", "model": "other-model"})
    assert status == 404 and "other-model" in err["error"]["message"]
    status, _, err = post(server + "/embed", {"inputs": ["a"] * 33})
    assert status == 422 and "maximum allowed batch size 32" in err["error"]
    req = urllib.request.Request(server + "/embed", b"{not json", {"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 400
    status, _, _ = post(server + "/nowhere", {})
    assert status == 404
    with urllib.request.urlopen(server + "/health", timeout=10) as r:
        assert r.status == 200


def test_both_replicas_answer(server, model):
    """Concurrent requests reach both replicas; each gives the SDK's vectors.
    Bounded: at most 64 requests, 8 at a time."""
    want = model.embed(TEXTS[1])
    seen = set()

    def one(_):
        status, headers, got = post(server + "/embed", {"inputs": TEXTS[1]})
        assert status == 200
        np.testing.assert_allclose(got[0], want, rtol=0, atol=1e-6)
        return headers[ray_serve.REPLICA_HEADER]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            seen.update(pool.map(one, range(8)))
            if len(seen) == 2:
                break
    assert len(seen) == 2, seen


def test_serve_config_file_builds():
    """deploy/ray/serve_config.yaml passes Ray's config schema, and its
    import_path and args build an application (no cluster needed)."""
    yaml = pytest.importorskip("yaml")
    from ray.serve.schema import ServeDeploySchema

    cfg = ServeDeploySchema.model_validate(yaml.safe_load((REPO / "deploy/ray/serve_config.yaml").read_text()))
    (application,) = cfg.applications
    module, _, fn = application.import_path.partition(":")
    assert module == "ipfs_accelerate_py.ray_serve"
    built = getattr(ray_serve, fn)(application.args)
    assert type(built).__name__ == "Application"


def test_request_checks_without_a_cluster():
    r = ray_serve.EmbedRequest({"inputs": "a"}, False, MODEL, 384, 32)
    assert (r.texts, r.truncate, r.normalize, r.base64) == (["a"], False, True, False)
    r = ray_serve.EmbedRequest({"input": ["a", "b"], "encoding_format": "base64"}, True, MODEL, 384, 32)
    assert (r.texts, r.base64) == (["a", "b"], True)
    for bad in ({"inputs": 3}, {"inputs": ["a", 2]}, {"inputs": "a", "truncate": "yes"}, ["a"]):
        with pytest.raises(ray_serve.RequestError):
            ray_serve.EmbedRequest(bad, False, MODEL, 384, 32)
    with pytest.raises(ray_serve.RequestError):
        ray_serve.EmbedRequest({"input": "a", "encoding_format": "int8"}, True, MODEL, 384, 32)
    assert ray_serve.model_id("/models/smollm2/model.gguf") == "model"
    assert ray_serve.model_id("all-MiniLM-L6-v2/") == "all-MiniLM-L6-v2"

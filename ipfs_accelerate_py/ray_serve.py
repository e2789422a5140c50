"""ray_serve.py — embeddings from the Python SDK as a Ray Serve deployment,
so scaling out (replicas on one machine or a cluster, autoscaling on
ongoing requests, routing, health checks) is Ray's job, not ours.

Each replica opens one :class:`~ipfs_accelerate_py.Model` (the core maps
the weights once per process) and answers the embedding routes of
``ipfs-accelerate serve``, with the same shapes, status codes and error
bodies:

* ``POST /embed`` ``{"inputs": str | [str], "truncate", "normalize"}`` →
  ``[[float, ...], ...]`` (Text Embeddings Inference);
* ``POST /v1/embeddings`` ``{"input": str | [str], "model", "encoding_format",
  "dimensions"}`` → ``{"object": "list", "data": [...], "model": ...,
  "usage": {"prompt_tokens": n, "total_tokens": n}}`` (OpenAI), tokens
  counted by the model's own tokenizer;
* ``GET /health`` → 200 once the replica's model is loaded.

Every answer carries ``x-ia-replica``: the id Ray gave the replica that
answered. Ray is imported only by the functions that need it, so the
package works without it::

    python -m ipfs_accelerate_py.ray_serve --model all-MiniLM-L6-v2 --replicas 2 --port 8000

or, with Ray's own CLI, ``serve run deploy/ray/serve_config.yaml``
(docs/serving.md).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
from typing import Any, Dict, List, Optional, Tuple

DEFAULT_MODEL = "all-MiniLM-L6-v2"
REPLICA_HEADER = "x-ia-replica"


class RequestError(ValueError):
    """A request the deployment refuses, with its HTTP status and error
    type, worded and coded as ``ipfs-accelerate serve`` answers it."""

    def __init__(self, message: str, status: int = 422, kind: str = "validation") -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


def model_id(ref: str) -> str:
    """The name clients use for a model ref: its last path part without
    .gguf (as ``ipfs-accelerate serve`` names it)."""
    name = os.path.basename(ref.rstrip("/"))
    return name[: -len(".gguf")] if name.endswith(".gguf") else name


class EmbedRequest:
    """An embedding request, checked: texts, flags, output format."""

    def __init__(self, body: Any, openai: bool, served: str, dim: int, max_batch: int) -> None:
        if not isinstance(body, dict):
            raise RequestError("the body must be a JSON object")
        self.base64 = False
        if openai:
            model = body.get("model")
            if model is not None and not isinstance(model, str):
                raise RequestError("`model` must be a string")
            if model is not None and model != served:
                raise RequestError(f"no model '{model}' is served here", 404)
            fmt = body.get("encoding_format")
            if fmt not in (None, "float", "base64"):
                raise RequestError('`encoding_format` must be "float" or "base64"')
            self.base64 = fmt == "base64"
            if body.get("dimensions") not in (None, dim):
                raise RequestError(f"`dimensions`: {served} gives vectors of {dim}, not shortened ones")
        self.texts = _texts(body.get("input" if openai else "inputs"), "input" if openai else "inputs", max_batch)
        self.truncate = _flag(body, "truncate", False)
        self.normalize = _flag(body, "normalize", True)


def _texts(v: Any, field: str, max_batch: int) -> List[str]:
    if v is None:
        raise RequestError(f"`{field}` is missing")
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list):
        raise RequestError(f"`{field}` must be a string or an array of strings")
    if not v:
        raise RequestError(f"`{field}` cannot be empty")
    if len(v) > max_batch:
        raise RequestError(f"batch size {len(v)} > maximum allowed batch size {max_batch}")
    for i, t in enumerate(v):
        if not isinstance(t, str):
            # OpenAI also takes token ids; the core embeds text only.
            raise RequestError(f"`{field}`[{i}]: token ids as input are not supported; send text"
                               if isinstance(t, (int, float, list)) and not isinstance(t, bool)
                               else f"`{field}`[{i}] must be a string")
    return v


def _flag(body: Dict[str, Any], name: str, default: bool) -> bool:
    v = body.get(name, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise RequestError(f"`{name}` must be true or false")
    return v


def error_body(e: RequestError, openai: bool) -> Dict[str, Any]:
    """TEI's {"error", "error_type"} or OpenAI's {"error": {...}}."""
    if openai:
        return {"error": {"message": str(e), "type": e.kind, "param": None, "code": e.status}}
    return {"error": str(e), "error_type": e.kind}


def openai_response(vectors: Any, model: str, base64_out: bool, tokens: int) -> Dict[str, Any]:
    """OpenAI's embeddings response; base64 is the float32 little-endian
    bytes, as OpenAI encodes them."""
    data = []
    for i, v in enumerate(vectors):
        emb: Any = base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") if base64_out else v.tolist()
        data.append({"object": "embedding", "index": i, "embedding": emb})
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


class Embedder:
    """One replica: one Model, the HTTP routes above. Ray calls
    ``__call__`` with a Starlette request; counting and embedding run on a
    worker thread (ctypes releases the GIL) so the replica's event loop
    keeps answering Ray's health checks meanwhile."""

    def __init__(self, model: str = DEFAULT_MODEL, threads: int = 1, backend: str = "auto",
                 precision: str = "fp32", max_client_batch_size: int = 32) -> None:
        from ray import serve

        from . import HardwareProfile, Model

        self.id = model_id(model)
        self.model = Model(model, HardwareProfile(backend=backend, threads=threads, precision=precision))
        self.max_tokens = self.model.max_tokens
        self.max_batch = max_client_batch_size
        self.replica = serve.get_replica_context().replica_id.unique_id

    def _run(self, req: EmbedRequest) -> Tuple[Any, int]:
        """(vectors, prompt tokens): tokens counted by the model's own
        tokenizer (ia_model_count_tokens); an input over the model's
        max_tokens is refused unless the request says truncate, as TEI does."""
        import numpy as np

        tokens = 0
        for i, t in enumerate(req.texts):
            n = self.model.count_tokens(t)
            if n > self.max_tokens:
                if not req.truncate:
                    raise RequestError(f"`inputs` must have less than {self.max_tokens + 1} tokens. Given: {n} "
                                       f'(input {i}; set "truncate": true to cut it)')
                n = self.max_tokens
            tokens += n
        vectors = self.model.embed(req.texts)
        if req.normalize:  # unit length, whatever the model's own pipeline ends with
            norms = np.linalg.norm(vectors.astype(np.float64), axis=1, keepdims=True)
            vectors = (vectors / np.where(norms > 0, norms, 1)).astype(np.float32)
        return vectors, tokens

    def check_health(self) -> None:
        """Ray's periodic replica check: a closed model fails it, and Ray replaces the replica."""
        if self.model.closed:
            raise RuntimeError("model is closed")

    async def __call__(self, request: Any) -> Any:
        from starlette.responses import JSONResponse, Response

        headers = {REPLICA_HEADER: self.replica}
        # Under a route prefix other than "/" Ray puts the prefix in root_path.
        path = request.url.path[len(request.scope.get("root_path", "")):] or "/"
        if request.method == "GET" and path == "/health":
            return Response(status_code=200, headers=headers)  # as TEI: 200, empty body
        openai = path in ("/v1/embeddings", "/embeddings")
        if request.method != "POST" or not (openai or path == "/embed"):
            return JSONResponse({"error": f"no route {request.method} {path}", "error_type": "validation"}, 404,
                                headers=headers)
        try:
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise RequestError("the body is not valid JSON", 400) from None
            req = EmbedRequest(body, openai, self.id, self.model.dim, self.max_batch)
            loop = asyncio.get_running_loop()
            vectors, tokens = await loop.run_in_executor(None, self._run, req)
        except RequestError as e:
            return JSONResponse(error_body(e, openai), e.status, headers=headers)
        if openai:
            return JSONResponse(openai_response(vectors, self.id, req.base64, tokens), headers=headers)
        return JSONResponse(vectors.tolist(), headers=headers)


def app(model: str = DEFAULT_MODEL, *, num_replicas: Optional[int] = None, min_replicas: int = 1,
        max_replicas: int = 2, target_ongoing_requests: float = 2, max_ongoing_requests: int = 8,
        threads: int = 1, backend: str = "auto", precision: str = "fp32", max_client_batch_size: int = 32) -> Any:
    """The Ray Serve application (``serve.run(app(...))``).

    ``num_replicas`` fixes the replica count; without it Ray autoscales
    between ``min_replicas`` and ``max_replicas``, aiming at
    ``target_ongoing_requests`` requests in flight per replica. Each
    replica runs the model on ``threads`` CPU threads and reserves as many
    CPUs from Ray, so Ray never packs more replicas on a node than its
    cores carry. A replica embeds one request at a time (one Model), so
    ``max_ongoing_requests`` is how many wait inside it before Ray queues
    them at the proxy. ``max_client_batch_size``: most texts in one request
    (more: 422), as ``ipfs-accelerate serve --max-client-batch-size``.
    """
    from ray import serve

    options: Dict[str, Any] = {
        "ray_actor_options": {"num_cpus": threads},
        "max_ongoing_requests": max_ongoing_requests,
    }
    if num_replicas is not None:
        options["num_replicas"] = num_replicas
    else:
        options["autoscaling_config"] = {
            "min_replicas": min_replicas,
            "max_replicas": max_replicas,
            "target_ongoing_requests": target_ongoing_requests,
        }
    deployment = serve.deployment(Embedder, name="Embedder").options(**options)
    return deployment.bind(model=model, threads=threads, backend=backend, precision=precision,
                           max_client_batch_size=max_client_batch_size)


_INT_ARGS = ("num_replicas", "min_replicas", "max_replicas", "max_ongoing_requests", "threads",
             "max_client_batch_size")


def build_app(args: Dict[str, Any]) -> Any:
    """Application builder for ``serve run`` / ``serve deploy`` config
    files (``import_path: ipfs_accelerate_py.ray_serve:build_app``): the
    config's ``args`` are :func:`app`'s keyword arguments (numbers may come
    as strings from ``serve run ... key=value``)."""
    kw = dict(args)
    for k in _INT_ARGS:
        if kw.get(k) is not None:
            kw[k] = int(kw[k])
    if "target_ongoing_requests" in kw:
        kw["target_ongoing_requests"] = float(kw["target_ongoing_requests"])
    return app(**kw)


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ipfs_accelerate_py.ray_serve",
                                description="Serve embeddings with Ray Serve (TEI /embed, OpenAI /v1/embeddings).")
    p.add_argument("--model", default=DEFAULT_MODEL, help="model directory or cached name")
    p.add_argument("--replicas", type=int, help="fixed replica count (default: autoscale)")
    p.add_argument("--min-replicas", type=int, default=1)
    p.add_argument("--max-replicas", type=int, default=2)
    p.add_argument("--target-ongoing-requests", type=float, default=2)
    p.add_argument("--threads", type=int, default=1, help="CPU threads (and Ray CPUs) per replica")
    p.add_argument("--precision", default="fp32", help="fp32, int8, int4, int2 (quantised at load)")
    p.add_argument("--max-client-batch-size", type=int, default=32, help="most texts in one request")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--address", help="an existing Ray cluster (default: start one here)")
    a = p.parse_args(argv)

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # no usage report to Anyscale from our runs
    import ray
    from ray import serve

    # Replicas import this package: carry the checkout's path to Ray's
    # workers when the package is not installed.
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [pkg_parent, os.environ.get("PYTHONPATH")]))}
    ray.init(address=a.address, include_dashboard=False, runtime_env={"env_vars": env})
    serve.start(http_options={"host": a.host, "port": a.port})
    application = app(a.model, num_replicas=a.replicas, min_replicas=a.min_replicas,
                      max_replicas=a.max_replicas, target_ongoing_requests=a.target_ongoing_requests,
                      threads=a.threads, precision=a.precision, max_client_batch_size=a.max_client_batch_size)
    serve.run(application, route_prefix="/")
    print(f"serving {a.model} on http://{a.host}:{a.port} (POST /embed, POST /v1/embeddings); Ctrl-C stops",
          flush=True)
    # A container runtime stops us with SIGTERM: shut Serve down as for Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        serve.shutdown()
        ray.shutdown()


if __name__ == "__main__":
    main()

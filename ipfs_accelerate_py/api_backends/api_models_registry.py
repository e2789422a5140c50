"""api_models_registry — the HTTP inference APIs the core speaks as a
remote device (``Worker.init_worker(devices=["http://host:port"])``,
``ia_worker_init``; docs/remote_endpoints.md), and which models a server
serves, asked of the server itself.

Nothing here is a list kept from memory: which models an API serves changes
on the server, so :func:`list_models` asks it — OpenAI's ``GET /v1/models``
(``data[].id``), else Text Embeddings Inference's ``GET /info``
(``model_id``). ``ipfs-accelerate serve`` answers both.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any, Dict, List, Mapping, Optional

__all__ = ["API_BACKENDS", "list_models", "api_models"]

#: The APIs the core's remote endpoints speak (src/worker/remote_endpoint.c):
#: the route it embeds through and the route that names the served models.
API_BACKENDS: Mapping[str, Mapping[str, str]] = {
    "openai": {"embeddings": "/v1/embeddings", "models": "/v1/models"},
    "hf_tei": {"embeddings": "/embed", "models": "/info"},
}


def _get(url: str, timeout: float, api_key: Optional[str]) -> Any:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    if api_key:
        req.add_header("Authorization", f"Bearer {api_key}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode("utf-8"))


def list_models(url: str, timeout: float = 10.0, api_key: Optional[str] = None) -> List[str]:
    """The models the server at ``url`` (``http(s)://host:port[/prefix]``)
    serves: OpenAI's ``/v1/models``, else (on 404) TEI's ``/info``. The
    bearer key defaults to ``$IA_REMOTE_API_KEY``, else ``$OPENAI_API_KEY``,
    as the core's remote endpoints use. Raises ``urllib.error.URLError``
    when the server cannot be reached, ``ValueError`` when it answers
    neither route."""
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"{url!r} is not an http(s) URL")
    key = api_key if api_key is not None else os.environ.get("IA_REMOTE_API_KEY") or os.environ.get("OPENAI_API_KEY")
    try:
        body = _get(base + API_BACKENDS["openai"]["models"], timeout, key)
        return [m["id"] for m in body.get("data", []) if isinstance(m, dict) and isinstance(m.get("id"), str)]
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
    try:
        body = _get(base + API_BACKENDS["hf_tei"]["models"], timeout, key)
    except urllib.error.HTTPError as e:
        raise ValueError(f"{base} answers neither /v1/models nor /info (HTTP {e.code})") from e
    model = body.get("model_id") if isinstance(body, dict) else None
    if not isinstance(model, str):
        raise ValueError(f"{base}/info names no model_id")
    return [model]


class api_models:
    """The original package's class name: ``get_models(url)`` asks a server
    (see :func:`list_models`); ``backends()`` the APIs the core speaks."""

    def __init__(self, resources: Optional[Dict[str, Any]] = None, metadata: Optional[Dict[str, Any]] = None) -> None:
        self.resources = resources if resources is not None else {}
        self.metadata = metadata if metadata is not None else {}

    @staticmethod
    def backends() -> List[str]:
        return list(API_BACKENDS)

    def get_models(self, url: str, timeout: float = 10.0) -> List[str]:
        return list_models(url, timeout)

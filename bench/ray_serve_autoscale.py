#!/usr/bin/env python3
"""ray_serve_autoscale.py [SECONDS] — watches the Ray Serve deployment
(ipfs_accelerate_py/ray_serve.py) scale from 1 to 2 replicas under load:
a local Ray with 2 CPUs, min_replicas=1, max_replicas=2,
target_ongoing_requests=1, and 6 clients sending 16 texts of about 200
tokens in a loop for SECONDS (default 75). Prints every 5 s the replica
states, the requests answered and how many replicas answered them. Traffic
goes to 127.0.0.1 only. Run from the repository root:
    .venv/bin/python bench/ray_serve_autoscale.py
"""
import json
import os
import socket
import sys
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
import ray  # noqa: E402
from ray import serve  # noqa: E402

from ipfs_accelerate_py import ray_serve  # noqa: E402


def main(seconds: float) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": REPO}})
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(ray_serve.app(min_replicas=1, max_replicas=2, target_ongoing_requests=1), route_prefix="/")

    def replicas():
        return dict(serve.status().applications["default"].deployments["Embedder"].replica_states)

    print("start", replicas(), flush=True)
    stop = time.time() + seconds
    seen, done = set(), [0]
    body = json.dumps({"inputs": ["The quick brown fox jumps over the lazy dog. " * 20] * 16}).encode()

    def client():
        while time.time() < stop:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/embed", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as r:
                seen.add(r.headers[ray_serve.REPLICA_HEADER])
                r.read()
            done[0] += 1

    clients = [threading.Thread(target=client) for _ in range(6)]
    t0 = time.time()
    for c in clients:
        c.start()
    while time.time() < stop:
        time.sleep(5)
        print(f"{time.time() - t0:5.1f}s {replicas()} requests {done[0]} replicas answered {len(seen)}", flush=True)
    for c in clients:
        c.join()
    serve.shutdown()
    ray.shutdown()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 75)

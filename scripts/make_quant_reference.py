#!/usr/bin/env python3
"""make_quant_reference.py — expected bytes of ggml's q8_0 / q4_0 / q4_1 blocks
for random and adversarial rows, from gguf-py (the GGUF reference package of
llama.cpp, whose numpy quantisers match ggml's reference C ones), written to
test/fixtures/quant_blocks.json for test/quant/test_blocks.c.

    .venv/bin/pip install gguf && .venv/bin/python scripts/make_quant_reference.py
"""
import importlib.metadata
import json
import os

import gguf
import numpy as np
from gguf import quants

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.RandomState(20261126)
rows = {
    "normal": rng.randn(128),
    "uniform": rng.uniform(-3, 3, 128),
    "zeros": np.zeros(64),
    "all_equal": np.full(64, 0.4375),
    "all_equal_negative": np.full(64, -2.5),
    "outlier": np.concatenate([rng.randn(31) * 0.01, [40.0], rng.randn(32) * 0.01]),
    "negative_extreme": np.concatenate([rng.uniform(0, 1, 31), [-7.0], rng.uniform(-1, 0, 32)]),
    "tiny": rng.randn(64) * 1e-6,
    "huge": rng.randn(64) * 3e4,
    "weights_like": rng.randn(256) * 0.05,
}
out = {"generator": "scripts/make_quant_reference.py", "gguf": importlib.metadata.version("gguf"),
       "rows": []}
for name, x in rows.items():
    x = x.astype(np.float32)
    entry = {"name": name, "x": [float(v) for v in x]}
    for t in ("Q8_0", "Q4_0", "Q4_1"):
        q = quants.quantize(x.reshape(1, -1), getattr(gguf.GGMLQuantizationType, t))
        entry[t.lower()] = bytes(q.reshape(-1)).hex()
    out["rows"].append(entry)
with open(os.path.join(ROOT, "test", "fixtures", "quant_blocks.json"), "w") as f:
    json.dump(out, f, indent=0)
print("wrote test/fixtures/quant_blocks.json:", len(out["rows"]), "rows")

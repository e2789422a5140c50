#!/usr/bin/env python3
"""python_overhead.py — what the Python SDK costs over the C library.

Embeds the same texts (default 256 STS-B-like texts of ~128 tokens,
bench/embed_anchors.make_texts) with the same model, threads and batch
size two ways:

  C:      build/ia_bench_embed --file TEXTS --batch B --threads T
          (ia_model_embed in a loop; sentences/s of its median pass)
  Python: ipfs_accelerate_py.Model.embed(texts, batch_size=B) in this
          process (median of its passes, timed with perf_counter)

Rounds alternate C and Python (and which goes first) so machine noise
hits both alike; the overhead is the median over rounds of
1 - python / C (positive = Python slower). Each side runs one untimed
warm-up pass per round.

On a shared host that comparison swings by ±25 % between rounds, so a
second figure splits each Python pass itself: the time spent inside the C
call (ia_model_embed, timed around the ctypes call) against the whole
Model.embed time. Their difference is exactly what the Python layer adds
(encoding texts, building arrays, the ctypes call), measured in the same
pass, so host noise cancels.

    .venv/bin/python bench/python_overhead.py [--rounds 5] [--iters 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import ipfs_accelerate_py as ia  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--texts", type=int, default=256)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=5, help="alternating C / Python rounds")
    ap.add_argument("--iters", type=int, default=3, help="timed passes per round and side")
    ap.add_argument("--bench", default=str(REPO / "build" / "ia_bench_embed"))
    args = ap.parse_args()

    model_dir = ia.resolve_model(args.model)
    try:
        from embed_anchors import make_texts
        texts, lens = make_texts(model_dir, n_texts=args.texts, n_tokens=args.tokens)
        how = f"embed_anchors.make_texts ({statistics.mean(lens):.0f} tokens on average)"
    except Exception as e:  # tokenizers missing, no STS-B file: plain repeated text
        base = "The quick brown fox jumps over the lazy dog while the band plays on. "
        texts = [(f"{i} " + base * 12)[:600] for i in range(args.texts)]
        how = f"synthetic (make_texts unavailable: {e})"
    if any("\n" in t or "\r" in t for t in texts):
        raise SystemExit("texts must be single lines for ia_bench_embed --file")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.txt"
        path.write_text("\n".join(texts) + "\n", encoding="utf-8")
        model = ia.Model(args.model, ia.HardwareProfile(backend="cpu", threads=args.threads))
        print(f"model {model.name} ({model.kernel}, {model.info()['threads']} threads), {len(texts)} texts from "
              f"{how}, batch {args.batch}", flush=True)
        model.embed(texts, batch_size=args.batch)  # warm-up (page in the weights)

        # Time spent inside the C call, for the split measurement.
        from ipfs_accelerate_py._lib import lib as _clib
        c_embed = _clib.ia_model_embed
        in_c = [0.0]

        def timed_embed(*a):
            t = time.perf_counter()
            try:
                return c_embed(*a)
            finally:
                in_c[0] += time.perf_counter() - t

        _clib.ia_model_embed = timed_embed
        split = []
        for _ in range(args.iters * 2):
            in_c[0] = 0.0
            t0 = time.perf_counter()
            model.embed(texts, batch_size=args.batch)
            wall = time.perf_counter() - t0
            split.append((wall - in_c[0]) / in_c[0])
        _clib.ia_model_embed = c_embed
        split_pct = 100.0 * statistics.median(split)
        print(f"split: Python layer adds {split_pct:.3f} % to the time inside ia_model_embed "
              f"(median of {len(split)} passes)", flush=True)

        c_rates, py_rates, ratios = [], [], []
        def run_c() -> float:
            out = subprocess.run([args.bench, "--file", str(path), "--model", args.model,
                                  "--threads", str(args.threads), "--batch", str(args.batch),
                                  "--iters", str(args.iters), "--warmup", "1"],
                                 check=True, capture_output=True, text=True).stdout
            return float(json.loads(out.strip().splitlines()[-1])["sentences_per_s"])

        def run_py() -> float:
            model.embed(texts, batch_size=args.batch)  # warm-up pass, as ia_bench_embed --warmup 1
            times = []
            for _ in range(args.iters):
                t0 = time.perf_counter()
                model.embed(texts, batch_size=args.batch)
                times.append(time.perf_counter() - t0)
            return len(texts) / statistics.median(times)

        for r in range(args.rounds):
            # Alternate which side goes first, so drift in the machine's load hits both alike.
            if r % 2 == 0:
                c, py = run_c(), run_py()
            else:
                py, c = run_py(), run_c()
            c_rates.append(c)
            py_rates.append(py)
            ratios.append(py / c)
            print(f"round {r + 1}: C {c:8.2f} texts/s   Python {py:8.2f} texts/s   ({100 * (1 - py / c):+.2f} %)",
                  flush=True)
        model.close()

    c_med, py_med = statistics.median(c_rates), statistics.median(py_rates)
    overhead = 100.0 * (1.0 - statistics.median(ratios))
    print(f"median: C {c_med:.2f} texts/s, Python {py_med:.2f} texts/s; median per-round Python overhead "
          f"{overhead:+.2f} %")
    print(json.dumps({"c_texts_per_s": c_med, "python_texts_per_s": py_med, "overhead_pct": overhead,
                      "split_overhead_pct": split_pct,
                      "texts": len(texts), "batch": args.batch, "threads": args.threads, "rounds": args.rounds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""make_kquant_reference.py — references for ggml's k-quants (Q2_K .. Q6_K),
its 5-bit blocks of 32 (Q5_0, Q5_1) and BF16, written to
test/fixtures/kquant_reference.json for test/tensor/test_kquants.c.

    .venv/bin/python scripts/make_kquant_reference.py [LLAMA_CPP_SRC]

Three parts:

1. "dequant": random super-blocks of every type (bytes from a seeded numpy
   Generator; the fp16 d / dmin fields replaced by finite values, among
   them 0, ±65504, subnormals and negatives, so no NaN or inf reaches the
   expected floats), plus an all-zero block and an all-0xFF-codes block per
   type, dequantised by gguf-py's gguf.quants.dequantize (which mirrors
   ggml's dequantize_row_*). The C test dequantises the same bytes and must
   give the same bits.

2. "quant": float rows (random normal, uniform, all zero, constant,
   outliers, tiny 1e-20 values, a row where each 16 has one sign) quantised
   by llama.cpp's own reference quantisers (quantize_row_q*_K_ref and
   quantize_row_q5_0_ref / quantize_row_q5_1_ref from
   ggml/src/ggml-quants.c, compiled here into a small shared library with
   -ffp-contract=off, i.e. no fused multiply-adds, the contract our C file
   follows too), and those blocks dequantised by gguf-py. The C test
   quantises the same rows: its blocks must equal llama.cpp's byte for
   byte, and its dequantisation gguf-py's bit for bit. LLAMA_CPP_SRC is the
   llama.cpp source tree (default: build-anchors/llama.cpp-src, placed by
   scripts/fetch_llamacpp_src.sh).

3. "gguf": a small GGUF file written by gguf-py's GGUFWriter holding one
   tensor of every k-quant type (blocks from part 2's quantiser) and one
   BF16 tensor (gguf-py's own BF16 conversion), as base64, with each
   tensor's dequantised values. The C test loads it through
   src/formats/gguf.c and compares.

4. "bf16_quant": floats (normal over 60 decades, ±0, ±inf, NaNs, ties)
   converted to BF16 by gguf-py (ggml's ggml_compute_fp32_to_bf16); the C
   test converts them with ia_dtype_from_f32.

Floats are base64 of little-endian float32, blocks base64 of the raw bytes.
"""
import base64
import ctypes
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "kquant_reference.json")
SEED = 20261204
rng = np.random.default_rng(SEED)

# type -> (block bytes, offsets of fp16 fields inside the block)
TYPES = {
    "Q2_K": (T.Q2_K, 84, [80, 82]),
    "Q3_K": (T.Q3_K, 110, [108]),
    "Q4_K": (T.Q4_K, 144, [0, 2]),
    "Q5_K": (T.Q5_K, 176, [0, 2]),
    "Q6_K": (T.Q6_K, 210, [208]),
    # blocks of 32: fp16 d (and m), 4 bytes of fifth bits, 16 of nibbles
    "Q5_0": (T.Q5_0, 22, [0]),
    "Q5_1": (T.Q5_1, 24, [0, 2]),
}
BLOCK_ELEMS = {"Q5_0": 32, "Q5_1": 32}  # the rest: 256
EDGE_HALVES = [0.0, -0.0, 65504.0, -65504.0, 6.0e-8, -6.0e-8, 1.0, -1.0, 1e-3, 2.5, -7.75]


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()


def random_blocks(nbytes, halves, n):
    blocks = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    for i in range(n):
        for off in halves:
            if i < 2 * len(EDGE_HALVES):
                v = EDGE_HALVES[(i + off) % len(EDGE_HALVES)]
            else:
                v = float(rng.normal() * 10.0 ** rng.integers(-4, 3))
            blocks[i, off:off + 2] = np.frombuffer(np.float16(v).tobytes(), np.uint8)
    zero = np.zeros((1, nbytes), np.uint8)
    ones = np.full((1, nbytes), 0xFF, np.uint8)
    for off in halves:  # codes and scales all ones, finite scales
        ones[0, off:off + 2] = np.frombuffer(np.float16(0.5).tobytes(), np.uint8)
    return np.concatenate([blocks, zero, ones])


def build_ggml_quants(src):
    """llama.cpp's ggml-quants.c as a shared library (its reference
    quantisers only; the few ggml symbols it links against are stubbed)."""
    ggml = os.path.join(src, "ggml")
    tmp = tempfile.mkdtemp(prefix="ia_kq_")
    shim = os.path.join(tmp, "shim.c")
    with open(shim, "w") as f:
        f.write("#include <stdlib.h>\n#include <stddef.h>\n"
                "void ggml_abort(const char *f, int l, const char *fmt, ...) { abort(); }\n"
                "size_t ggml_row_size(int t, long long n) { abort(); }\n"
                "const char *ggml_type_name(int t) { return \"?\"; }\n"
                "size_t ggml_type_size(int t) { abort(); }\n")
    lib = os.path.join(tmp, "libggmlq.so")
    subprocess.run(["cc", "-O2", "-std=gnu11", "-ffp-contract=off", "-fPIC", "-shared",
                    "-I" + os.path.join(ggml, "include"), "-I" + os.path.join(ggml, "src"),
                    os.path.join(ggml, "src", "ggml-quants.c"), shim, "-o", lib, "-lm"], check=True)
    return ctypes.CDLL(lib)


def ggml_quantize(lib, name, x):
    _, nbytes, _ = TYPES[name]
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.zeros(x.size // BLOCK_ELEMS.get(name, 256) * nbytes, np.uint8)
    fn = getattr(lib, "quantize_row_%s_ref" % name.lower().replace("_k", "_K"))
    fn(x.ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(x.size))
    return out


def quant_rows():
    n = 256
    rows = {
        "normal": rng.normal(size=2 * n),
        "uniform": rng.uniform(-3, 5, size=n),
        "zero": np.zeros(n),
        "constant": np.full(n, 0.75),
        "positive": rng.uniform(0.5, 1.0, size=n),
        "outliers": np.where(rng.random(n) < 0.02, 40.0, 1.0) * rng.normal(size=n),
        "tiny": rng.normal(size=n) * 1e-20,
        "signs": np.repeat(rng.choice([-1.0, 1.0], size=n // 16), 16) * rng.uniform(0.1, 2, size=n),
        "weights": rng.normal(size=4 * n) * 0.02,
    }
    return {k: v.astype(np.float32) for k, v in rows.items()}


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-anchors", "llama.cpp-src")
    lib = build_ggml_quants(src)
    fixture = {
        "generator": "scripts/make_kquant_reference.py",
        "gguf_py": getattr(gguf, "__version__", "?"),
        "numpy": np.__version__,
        "seed": SEED,
        "dequant": [],
        "quant": [],
    }
    for name, (qt, nbytes, halves) in TYPES.items():
        blocks = random_blocks(nbytes, halves, 40)
        y = dequantize(blocks.reshape(-1), qt).astype(np.float32).reshape(-1)
        assert np.all(np.isfinite(y)), name
        fixture["dequant"].append({"type": name, "blocks": b64(blocks), "n": int(y.size), "f32": b64(y)})
    # BF16: every bit pattern class but NaN (gguf-py's dequantize is a shift)
    bf = rng.integers(0, 1 << 16, size=4096, dtype=np.uint16)
    bf = bf[(bf & 0x7F80) != 0x7F80]  # no inf/NaN exponents
    bf = np.concatenate([bf, np.array([0, 0x8000, 0x0001, 0x807F, 0x7F7F, 0xFF7F], np.uint16)])
    fixture["dequant"].append({"type": "BF16", "blocks": b64(bf), "n": int(bf.size),
                               "f32": b64(dequantize(bf.view(np.uint8), T.BF16).astype(np.float32).reshape(-1))})

    rows = quant_rows()
    for name in TYPES:
        qt = TYPES[name][0]
        for rname, x in rows.items():
            blocks = ggml_quantize(lib, name, x)
            y = dequantize(blocks, qt).astype(np.float32).reshape(-1)
            rmse = float(np.sqrt(np.mean((y.astype(np.float64) - x) ** 2)))
            fixture["quant"].append({"type": name, "row": rname, "x": b64(x), "blocks": b64(blocks),
                                     "f32": b64(y), "rmse": rmse})

    # a GGUF file from gguf-py's writer
    path = os.path.join(tempfile.mkdtemp(prefix="ia_kq_"), "kquants.gguf")
    w = gguf.GGUFWriter(path, "llama")
    tensors = []
    x = rng.normal(size=(3, 512)).astype(np.float32) * 0.05
    for name, (qt, nbytes, _) in TYPES.items():
        blocks = ggml_quantize(lib, name, x).reshape(3, -1)
        w.add_tensor("w." + name.lower(), blocks, raw_shape=blocks.shape, raw_dtype=qt)
        tensors.append({"name": "w." + name.lower(), "type": name, "shape": [3, 512],
                        "f32": b64(dequantize(blocks, qt).astype(np.float32).reshape(-1))})
    xb = quantize(x[:, :96], T.BF16)
    w.add_tensor("w.bf16", xb, raw_shape=xb.shape, raw_dtype=T.BF16)
    tensors.append({"name": "w.bf16", "type": "BF16", "shape": [3, 96],
                    "f32": b64(dequantize(xb, T.BF16).astype(np.float32).reshape(-1))})
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with open(path, "rb") as f:
        fixture["gguf"] = {"file": base64.b64encode(f.read()).decode(), "tensors": tensors}

    # 4. F32 -> BF16 as gguf-py (ggml's rounding: to nearest even, NaN quieted)
    r2 = np.random.default_rng(SEED + 1)
    x = np.concatenate([r2.normal(size=500) * 10.0 ** r2.integers(-30, 30, size=500),
                        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.4028235e38, 1e-45, -1e-40,
                                  1.00390625, 1.01171875, -1.00390625])]).astype(np.float32)
    x = np.concatenate([x, np.frombuffer(np.array([0x7f800001, 0xffc00001, 0x3f808000, 0x3f818000],
                                                  np.uint32).tobytes(), np.float32)])
    fixture["bf16_quant"] = {"x": b64(x), "bytes": b64(quantize(x, T.BF16))}

    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=0)
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()

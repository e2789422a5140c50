#!/usr/bin/env python3
"""make_ops_reference.py — expected outputs of every op of src/tensor/graph.h,
computed with numpy straight from the definitions in graph.h (and, for
LINEAR with quantised weights, tensor/qweights.h's arithmetic), written to
test/fixtures/ops_reference.json for test/backends/test_ops.c.

    .venv/bin/python scripts/make_ops_reference.py

This is a third implementation, independent of the C ones (the ref
executor, the oracle, and the CPU executor): it shares no code with them,
sums in float64, and reads only the contract. Inputs come from one seeded
numpy Generator in the order the cases are listed, so the file is the same
on every run of the same numpy version.

Fixture layout: {"generator", "command", "numpy", "seed", "notes", "cases"}.
Each case: {"name", "op" (ia_op_name), "iparam" [6], "fparam" [4],
"srcs" [4] (null or a tensor), "out" (a tensor: dtype of the node's output,
its shape, its values as float32)}. A tensor: {"dtype", "shape", "role"
("input": host data through ia_graph_input; "weight": a model weight,
IA_TENSOR_PARAM; "state": a session-owned target, for WRITE) and its data:
"f32" (base64 of little-endian float32), "i32" (a list of ints), or
"bytes" (base64 of the raw little-endian bytes of an F16 / BF16 / quantised
tensor; "group" for QA types)}, optionally "view": {"permute": perm} or
{"slice": [axis, start, len]}, applied to it before the op reads it. For
WRITE, src1 is the state target with its slice view, and "out" is the
whole target after the write (graph.h: WRITE's output is the root).
"""
import base64
import json
import math
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "ops_reference.json")
SEED = 20261204
rng = np.random.default_rng(SEED)
f32, f64 = np.float32, np.float64

ROPE_NORMAL, ROPE_NEOX = 0, 2
ACT_NONE, ACT_GELU, ACT_SILU = 0, 1, 2
CAUSAL = 1

# ---------------------------------------------------------------- encoding


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def t_f32(a, role="input", view=None):
    a = np.ascontiguousarray(a, dtype="<f4")
    t = {"dtype": "F32", "shape": list(a.shape), "role": role, "f32": b64(a.tobytes())}
    if view:
        t["view"] = view
    return t


def t_i32(a, role="input"):
    a = np.asarray(a, dtype=np.int64)
    assert a.min(initial=0) >= -(2**31) and a.max(initial=0) < 2**31
    return {"dtype": "I32", "shape": list(a.shape), "role": role, "i32": [int(v) for v in a.reshape(-1)]}


def t_bytes(dtype, shape, raw, role, group=None):
    t = {"dtype": dtype, "shape": list(shape), "role": role, "bytes": b64(raw)}
    if group is not None:
        t["group"] = group
    return t


def case(name, op, srcs, out, iparam=(), fparam=(), out_dtype="F32"):
    srcs = list(srcs) + [None] * (4 - len(srcs))
    out = np.asarray(out, dtype=f64)
    assert np.all(np.isfinite(out)), name
    return {
        "name": name,
        "op": op,
        "iparam": [int(v) for v in list(iparam) + [0] * (6 - len(iparam))],
        "fparam": [float(f32(v)) for v in list(fparam) + [0.0] * (4 - len(fparam))],
        "srcs": srcs,
        "out": {"dtype": out_dtype, "shape": list(out.shape), "f32": b64(out.astype("<f4").tobytes())},
    }


# ------------------------------------------------------- weight encodings
# Each returns (raw bytes, dequantised float32 values). Dequantisation
# follows dtype.h: ggml blocks w = d·s (q8_0), d·(q − 8) (q4_0), d·q + m
# (q4_1) with fp16 d, m; QA blocks w = d·q + m with float32 d, m, codes
# LSB-first — each a float32 product then a float32 sum, as in C.


def f16_table(a):
    h = a.astype("<f2")
    return h.tobytes(), h.astype(f32)


def bf16_table(a):
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    h = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")  # round to nearest even
    return h.tobytes(), (h.astype("<u4") << 16).view("<f4")


def rand_fp16_scales(shape, lo, hi):
    return rng.uniform(lo, hi, shape).astype("<f2")


def q8_0(n, k):
    """ggml q8_0 blocks with random int8 codes in [-127, 127]. Also the plain
    form of qweights.h: q = s + 128, m = -128 d."""
    nb = k // 32
    d = rand_fp16_scales((n, nb), 0.005, 0.03)
    s = rng.integers(-127, 128, (n, nb, 32)).astype(np.int8)
    blk = np.zeros((n, nb), dtype=np.dtype([("d", "<f2"), ("qs", "i1", 32)]))
    blk["d"], blk["qs"] = d, s
    df = d.astype(f32)
    w = (df[:, :, None] * s.astype(f32)).reshape(n, k)
    plain = dict(q=(s.astype(np.int64) + 128).reshape(n, k), d=df, m=f32(-128) * df, group=32)
    return blk.tobytes(), w, plain


def q4_0(n, k):
    nb = k // 32
    d = rand_fp16_scales((n, nb), 0.02, 0.2)
    q = rng.integers(0, 16, (n, nb, 32))
    blk = np.zeros((n, nb), dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    blk["d"], blk["qs"] = d, (q[:, :, :16] | (q[:, :, 16:] << 4)).astype(np.uint8)
    df = d.astype(f32)
    w = (df[:, :, None] * (q - 8).astype(f32)).reshape(n, k)
    plain = dict(q=q.reshape(n, k), d=df, m=f32(-8) * df, group=32)
    return blk.tobytes(), w, plain


def q4_1(n, k):
    nb = k // 32
    d = rand_fp16_scales((n, nb), 0.02, 0.2)
    m = rand_fp16_scales((n, nb), -1.5, 0.5)
    q = rng.integers(0, 16, (n, nb, 32))
    blk = np.zeros((n, nb), dtype=np.dtype([("d", "<f2"), ("m", "<f2"), ("qs", "u1", 16)]))
    blk["d"], blk["m"], blk["qs"] = d, m, (q[:, :, :16] | (q[:, :, 16:] << 4)).astype(np.uint8)
    df, mf = d.astype(f32), m.astype(f32)
    w = (df[:, :, None] * q.astype(f32) + mf[:, :, None]).reshape(n, k)
    plain = dict(q=q.reshape(n, k), d=df, m=mf, group=32)
    return blk.tobytes(), w, plain


def qa(bits, n, k, group):
    """Our affine groups: per block f32 d, f32 m, then group·bits/8 bytes of
    codes, code j at bit j·bits (LSB first)."""
    ng = k // group
    d = rng.uniform(0.01, 0.1, (n, ng)).astype(f32)
    m = (-d * f32(2 ** (bits - 1)) + rng.uniform(-0.05, 0.05, (n, ng))).astype(f32)
    q = rng.integers(0, 2**bits, (n, ng, group))
    per = 8 // bits
    codes = np.zeros((n, ng, group * bits // 8), dtype=np.uint8)
    for j in range(group):
        codes[:, :, j // per] |= (q[:, :, j] << ((j % per) * bits)).astype(np.uint8)
    raw = bytearray()
    for r in range(n):
        for g in range(ng):
            raw += np.array([d[r, g], m[r, g]], dtype="<f4").tobytes() + codes[r, g].tobytes()
    w = (d[:, :, None] * q.astype(f32) + m[:, :, None]).reshape(n, k)
    plain = dict(q=q.reshape(n, k), d=d, m=m, group=group)
    return bytes(raw), w, plain


QUANT = {
    "Q8_0": lambda n, k, g: q8_0(n, k),
    "Q4_0": lambda n, k, g: q4_0(n, k),
    "Q4_1": lambda n, k, g: q4_1(n, k),
    "QA8": lambda n, k, g: qa(8, n, k, g),
    "QA4": lambda n, k, g: qa(4, n, k, g),
    "QA2": lambda n, k, g: qa(2, n, k, g),
}

# ------------------------------------------------------ reference maths

_erf = np.vectorize(math.erf, otypes=[f64])


def gelu(x):
    x = np.asarray(x, f64)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def silu(x):
    x = np.asarray(x, f64)
    return x / (1.0 + np.exp(-x))


def act(kind, y):
    return gelu(y) if kind == ACT_GELU else silu(y) if kind == ACT_SILU else y


# Codes that differ between the two ways of writing the activation code:
# qweights.h's prose says round(x / sa), its inline functions compute
# rint(x · (127 / amax)). Counted over every quantised case (notes).
code_form_differences = [0, 0]


def qact(xg):
    """qweights.h: per group amax, (sa, inv) as ia_qact_scale (float32),
    code as ia_qact_code: rint(clamp(x · inv, ±127)), rint = half to even."""
    xg = np.asarray(xg, f32)
    amax = f32(np.max(np.abs(xg)))
    sa = f32(amax / f32(127.0))
    inv = f32(f32(127.0) / amax) if amax > 0 else f32(0.0)
    xq = np.rint(np.clip(xg * inv, f32(-127.0), f32(127.0))).astype(np.int64)
    if amax > 0:
        alt = np.rint(np.clip(xg / sa, -127.0, 127.0)).astype(np.int64)
        code_form_differences[0] += int(np.sum(alt != xq))
    code_form_differences[1] += xg.size
    return sa, xq


def qlinear(x, plain, bias):
    """y[r][n] = Σ_g sa[r][g] (d[n][g] Σ_k xq·q + m[n][g] S[r][g]) + bias[n]."""
    q, d, m, group = plain["q"], plain["d"], plain["m"], plain["group"]
    rows, k = x.shape
    n, ng = q.shape[0], k // group
    y = np.zeros((rows, n), f64)
    for r in range(rows):
        for g in range(ng):
            sa, xq = qact(x[r, g * group:(g + 1) * group])
            dot = q[:, g * group:(g + 1) * group].astype(np.int64) @ xq  # exact integers
            s = int(xq.sum())
            y[r] += f64(sa) * (d[:, g].astype(f64) * dot.astype(f64) + m[:, g].astype(f64) * s)
    if bias is not None:
        y += bias.astype(f64)
    return y


def norm(x, res, g, b, eps, rms):
    x = x.astype(f64) + (res.astype(f64) if res is not None else 0.0)
    if rms:
        y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + f64(f32(eps)))
    else:
        mu = x.mean(axis=-1, keepdims=True)
        y = (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + f64(f32(eps)))
    if g is not None:
        y = y * g.astype(f64)
    if b is not None:
        y = y + b.astype(f64)
    return y


def rope(x, pos, mode, nrot, D, base, scale):
    x = x.astype(f64)
    T, cols = x.shape
    y = x.copy()
    for t in range(T):
        for h in range(cols // D):
            v = y[t, h * D:(h + 1) * D]
            xv = x[t, h * D:(h + 1) * D]
            for i in range(nrot // 2):
                theta = pos[t] * f64(f32(scale)) * f64(f32(base)) ** (-2.0 * i / nrot)
                a, b = (i, i + nrot // 2) if mode == ROPE_NEOX else (2 * i, 2 * i + 1)
                v[a] = xv[a] * math.cos(theta) - xv[b] * math.sin(theta)
                v[b] = xv[a] * math.sin(theta) + xv[b] * math.cos(theta)
    return y


def attention(q, k, v, hq, hkv, scale, causal=False, offsets=None, mask=None):
    """graph.h ATTENTION: a query sees the keys of its sequence (offsets),
    j ≤ i + (Tk − Tq) when causal, scores scale·q·k + mask, softmax over
    what it sees; a query that sees no key (or only −inf) gives 0."""
    q, k, v = q.astype(f64), k.astype(f64), v.astype(f64)
    tq, tk = q.shape[0], k.shape[0]
    d, dv = q.shape[1] // hq, v.shape[1] // hkv
    out = np.zeros((tq, hq * dv), f64)
    for i in range(tq):
        if offsets is not None:
            s = next(j for j in range(len(offsets) - 1) if offsets[j] <= i < offsets[j + 1])
            lo, hi = offsets[s], offsets[s + 1]
            if causal:
                hi = min(hi, lo + (i - lo) + 1)  # within its sequence, Tq == Tk
        else:
            lo, hi = 0, tk
            if causal:
                hi = max(0, min(tk, i + (tk - tq) + 1))
        for h in range(hq):
            hk = h // (hq // hkv)
            if hi <= lo:
                continue
            sc = np.array([f64(f32(scale)) * np.dot(q[i, h * d:(h + 1) * d], k[j, hk * d:(hk + 1) * d])
                           for j in range(lo, hi)])
            if mask is not None:
                mrow = mask[h, i] if mask.ndim == 3 else mask[i]
                sc = sc + mrow[lo:hi].astype(f64)
            if np.all(np.isneginf(sc)):
                continue
            p = np.exp(sc - sc.max())
            p /= p.sum()
            out[i, h * dv:(h + 1) * dv] = p @ v[lo:hi, hk * dv:(hk + 1) * dv]
    return out


def conv(x, w, bias, stride, pad, dil):
    """Direct convolution over N, Cout, output positions (float64): x
    [N, Cin, *S], w [Cout, Cin, *K], zero padding on both sides."""
    x, w = x.astype(f64), w.astype(f64)
    nsp = w.ndim - 2
    N, cin = x.shape[:2]
    cout, ks = w.shape[0], w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    so = [(x.shape[2 + a] + 2 * pad[a] - dil[a] * (ks[a] - 1) - 1) // stride[a] + 1 for a in range(nsp)]
    y = np.zeros((N, cout) + tuple(so), f64)
    for idx in np.ndindex(*so):
        win = [slice(idx[a] * stride[a], idx[a] * stride[a] + dil[a] * (ks[a] - 1) + 1, dil[a]) for a in range(nsp)]
        patch = xp[(slice(None), slice(None)) + tuple(win)]  # [N, Cin, *K]
        y[(slice(None), slice(None)) + idx] = np.tensordot(patch, w, axes=(list(range(1, 2 + nsp)),
                                                                            list(range(1, 2 + nsp))))
    if bias is not None:
        y += bias.astype(f64).reshape((1, cout) + (1,) * nsp)
    return y


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(f32)


# ------------------------------------------------------------- the cases

cases = []
add = cases.append

# GET_ROWS: tables of every dtype; ids repeat and reach the last row.
ids = np.array([3, 0, 5, 3, 1], dtype=np.int64)
tab = randn(6, 40)
add(case("get_rows/f32", "get_rows", [t_f32(tab, "weight"), t_i32(ids)], tab[ids]))
raw, w = f16_table(randn(6, 40))
add(case("get_rows/f16", "get_rows", [t_bytes("F16", (6, 40), raw, "weight"), t_i32(ids)], w[ids]))
raw, w = bf16_table(randn(6, 40))
add(case("get_rows/bf16", "get_rows", [t_bytes("BF16", (6, 40), raw, "weight"), t_i32(ids)], w[ids]))
# a table that is a view: some columns of a wider one (rows strided)
add(case("get_rows/f32_column_view", "get_rows", [t_f32(tab, "weight", view={"slice": [1, 8, 24]}), t_i32([2, 0, 2])],
         tab[[2, 0, 2], 8:32]))
ids2 = np.array([[2, 2], [0, 4]], dtype=np.int64)  # ids of any shape: out [2, 2, cols]
for dt, k, g in (("Q8_0", 64, None), ("Q4_0", 64, None), ("Q4_1", 32, None), ("QA8", 48, 16), ("QA4", 64, 32),
                 ("QA2", 64, 64)):
    raw, w, _ = QUANT[dt](5, k, g)
    add(case("get_rows/" + dt.lower(), "get_rows", [t_bytes(dt, (5, k), raw, "weight", g), t_i32(ids2)], w[ids2]))
    if dt == "Q8_0":  # rows 1..3 of the table as a view
        add(case("get_rows/q8_0_row_view", "get_rows",
                 [dict(t_bytes(dt, (5, k), raw, "weight"), view={"slice": [0, 1, 3]}), t_i32([2, 0])], w[[3, 1]]))

# ADD / MUL: same shape, a row broadcast ([C] and [1, C]), general numpy
# broadcasting (a column [R, 1], a middle axis, a scalar-like [1]).
for op, fn in (("add", np.add), ("mul", np.multiply)):
    a = randn(6, 20)
    for nm, bsh in (("same", (6, 20)), ("row", (20,)), ("row_2d", (1, 20))):
        b = randn(*bsh)
        add(case(f"{op}/{nm}", op, [t_f32(a), t_f32(b)], fn(a, b)))
    a3 = randn(2, 3, 5)
    for nm, bsh in (("col", (3, 1)), ("mid", (2, 1, 5)), ("one", (1,)), ("rows3d", (3, 5))):
        b = randn(*bsh)
        add(case(f"{op}/bcast_{nm}", op, [t_f32(a3), t_f32(b)], fn(a3, b)))

# ADD_POSITIONS: three sequences (one empty), positions from offset 2.
x = randn(7, 16)
ptab = randn(12, 16)
offs = [0, 3, 3, 7]
exp = np.zeros_like(x, dtype=f64)
for s in range(3):
    for t in range(offs[s], offs[s + 1]):
        exp[t] = x[t].astype(f64) + ptab[t - offs[s] + 2]
add(case("add_positions/offset2", "add_positions", [t_f32(x), t_f32(ptab, "weight"), t_i32(offs)], exp,
         iparam=[2]))
exp0 = np.array([x[t].astype(f64) + ptab[t - offs[s]] for s in range(3) for t in range(offs[s], offs[s + 1])])
add(case("add_positions/offset0", "add_positions", [t_f32(x), t_f32(ptab, "weight"), t_i32(offs)], exp0))

# LINEAR, float weights: k = 40 (not a multiple of the SIMD width), bias or
# none, GELU / SiLU fused, a 3-d input, F16 and BF16 weights.
x = randn(5, 40)
W = randn(24, 40, scale=1 / math.sqrt(40))
bias = randn(24, scale=0.5)
ref_lin = x.astype(f64) @ W.astype(f64).T
add(case("linear/f32_bias", "linear", [t_f32(x), t_f32(W, "weight"), t_f32(bias, "weight")], ref_lin + bias))
add(case("linear/f32_nobias", "linear", [t_f32(x), t_f32(W, "weight")], ref_lin))
add(case("linear/f32_gelu", "linear", [t_f32(x), t_f32(W, "weight"), t_f32(bias, "weight")],
         gelu(ref_lin + bias), iparam=[ACT_GELU]))
add(case("linear/f32_silu", "linear", [t_f32(x), t_f32(W, "weight")], silu(ref_lin), iparam=[ACT_SILU]))
x3 = randn(2, 3, 40)
add(case("linear/f32_3d", "linear", [t_f32(x3), t_f32(W, "weight"), t_f32(bias, "weight")],
         x3.astype(f64) @ W.astype(f64).T + bias))
raw, Wh = f16_table(randn(24, 40, scale=1 / math.sqrt(40)))
raw_bias, bh = f16_table(bias)
add(case("linear/f16_weight_f16_bias", "linear",
         [t_f32(x), t_bytes("F16", (24, 40), raw, "weight"), t_bytes("F16", (24,), raw_bias, "weight")],
         x.astype(f64) @ Wh.astype(f64).T + bh))
raw, Wb = bf16_table(randn(24, 40, scale=1 / math.sqrt(40)))
add(case("linear/bf16_weight", "linear", [t_f32(x), t_bytes("BF16", (24, 40), raw, "weight")],
         x.astype(f64) @ Wb.astype(f64).T))

# LINEAR, quantised weights: qweights.h's arithmetic. The activations have
# a row of exact ties (each group's amax is 127/64, so inv = 127 / amax =
# 64 exactly and x · inv = h exactly for x = h/64 with h a half-integer:
# round half to even must give 2 for 2.5, −4 for −3.5, ...), a row with an
# all-zero group (sa = 0) and ordinary rows. n = 20 is not a multiple of
# the kernels' 16 channels.


def quant_activations(rows, k, group):
    xq = randn(rows, k, scale=1.5)
    halves = rng.integers(-126, 126, k) + 0.5
    halves[::group] = 127.0 * np.where(np.arange(0, k, group) // group % 2, -1, 1)
    xq[0] = halves / 64.0
    xq[1, :group] = 0.0
    return xq


for dt, k, g, act_kind, with_bias in (("Q8_0", 64, None, ACT_NONE, True), ("Q4_0", 64, None, ACT_GELU, False),
                                      ("Q4_1", 64, None, ACT_NONE, True), ("QA8", 64, 32, ACT_SILU, True),
                                      ("QA4", 64, 64, ACT_NONE, False), ("QA4", 96, 32, ACT_GELU, True),
                                      ("QA2", 64, 32, ACT_NONE, True), ("QA8", 48, 16, ACT_NONE, True)):
    raw, _, plain = QUANT[dt](20, k, g)
    group = plain["group"]
    xq = quant_activations(5, k, group)
    b = randn(20, scale=0.5) if with_bias else None
    y = act(act_kind, qlinear(xq, plain, b))
    nm = f"linear/{dt.lower()}_k{k}_g{group}" + ("_bias" if with_bias else "") + \
         {ACT_NONE: "", ACT_GELU: "_gelu", ACT_SILU: "_silu"}[act_kind]
    srcs = [t_f32(xq), t_bytes(dt, (20, k), raw, "weight", g)] + ([t_f32(b, "weight")] if with_bias else [])
    add(case(nm, "linear", srcs, y, iparam=[act_kind]))

# LAYER_NORM: scale and shift, a fused residual, neither (NULL, NULL); the
# rows have a large mean (3), which a one-pass variance would lose.
x = randn(6, 48) + f32(3.0)
res = randn(6, 48)
g, b = (1 + randn(48, scale=0.1)), randn(48, scale=0.1)
# a large eps (0.1, the variance is about 1), so one added in the wrong
# place shows
add(case("layer_norm/affine_eps", "layer_norm", [t_f32(x), t_f32(g, "weight"), t_f32(b, "weight")],
         norm(x, None, g, b, 0.1, False), fparam=[0.1]))
add(case("layer_norm/residual", "layer_norm", [t_f32(x), t_f32(g, "weight"), t_f32(b, "weight"), t_f32(res)],
         norm(x, res, g, b, 1e-12, False), fparam=[1e-12]))
add(case("layer_norm/plain", "layer_norm", [t_f32(x)], norm(x, None, None, None, 1e-5, False), fparam=[1e-5]))
add(case("layer_norm/scale_only", "layer_norm", [t_f32(x), t_f32(g, "weight")], norm(x, None, g, None, 1e-5, False),
         fparam=[1e-5]))
raw_g, gh = f16_table(1 + randn(48, scale=0.1))
raw_b, bh = f16_table(randn(48, scale=0.1))
add(case("layer_norm/f16_affine", "layer_norm",
         [t_f32(x), t_bytes("F16", (48,), raw_g, "weight"), t_bytes("F16", (48,), raw_b, "weight")],
         norm(x, None, gh, bh, 1e-5, False), fparam=[1e-5]))

# RMS_NORM: with a weight, without (and a large eps), with a residual.
x = randn(6, 48)
add(case("rms_norm/weight", "rms_norm", [t_f32(x), t_f32(g, "weight")], norm(x, None, g, None, 1e-6, True),
         fparam=[1e-6]))
add(case("rms_norm/no_weight_eps", "rms_norm", [t_f32(x)], norm(x, None, None, None, 0.25, True), fparam=[0.25]))
add(case("rms_norm/residual", "rms_norm", [t_f32(x), t_f32(g, "weight"), None, t_f32(res)],
         norm(x, res, g, None, 1e-5, True), fparam=[1e-5]))

# GELU, SiLU (with tails: ±9), SwiGLU, SCALE.
x = randn(6, 40, scale=3.0)
x[0, :4] = [-9.0, 9.0, -20.0, 0.0]
add(case("gelu/x", "gelu", [t_f32(x)], gelu(x)))
add(case("silu/x", "silu", [t_f32(x)], silu(x)))
up = randn(6, 40)
add(case("swiglu/x", "swiglu", [t_f32(x), t_f32(up)], silu(x) * up))
add(case("scale/x", "scale", [t_f32(x)], x.astype(f32) * f32(0.125) + f32(-0.5), fparam=[0.125, -0.5]))
x3 = randn(2, 3, 8)
add(case("scale/3d", "scale", [t_f32(x3)], x3 * f32(2.0) + f32(1.0), fparam=[2.0, 1.0]))

# ROPE: normal and neox, whole heads and partial rotation (n < D), a
# frequency scale (linear scaling), another base; positions out of order.
pos = np.array([3, 0, 7, 1, 20], dtype=np.int64)
x = randn(5, 32)  # H = 2 heads of D = 16
for mode_nm, mode in (("normal", ROPE_NORMAL), ("neox", ROPE_NEOX)):
    for nrot, base, scale, nm in ((16, 1e4, 1.0, "full"), (8, 1e4, 1.0, "partial"), (16, 1e4, 0.25, "freq_scale"),
                                  (12, 5e5, 0.5, "partial_scaled")):
        add(case(f"rope/{mode_nm}_{nm}", "rope", [t_f32(x), t_i32(pos)], rope(x, pos, mode, nrot, 16, base, scale),
                 iparam=[mode, nrot, 16], fparam=[base, scale]))

# ATTENTION.
D = 8
sc = 1 / math.sqrt(D)
T = 9
q, k, v = randn(T, 2 * D), randn(T, 2 * D), randn(T, 2 * D)
po = [0, 4, 4, 9]  # a packed batch with an empty sequence
add(case("attention/packed", "attention", [t_f32(q), t_f32(k), t_f32(v), t_i32(po)],
         attention(q, k, v, 2, 2, sc, offsets=po), iparam=[2, 2, 0], fparam=[sc]))
add(case("attention/packed_causal", "attention", [t_f32(q), t_f32(k), t_f32(v), t_i32(po)],
         attention(q, k, v, 2, 2, sc, causal=True, offsets=po), iparam=[2, 2, CAUSAL], fparam=[sc]))
add(case("attention/full", "attention", [t_f32(q), t_f32(k), t_f32(v)], attention(q, k, v, 2, 2, sc),
         iparam=[2, 2, 0], fparam=[sc]))
# a decoder step over a KV cache: 3 new queries, 8 keys
q3, k8, v8 = randn(3, 2 * D), randn(8, 2 * D), randn(8, 2 * D)
add(case("attention/causal_kv_cache", "attention", [t_f32(q3), t_f32(k8), t_f32(v8)],
         attention(q3, k8, v8, 2, 2, sc, causal=True), iparam=[2, 2, CAUSAL], fparam=[sc]))
# grouped-query: Hq = 4 over Hkv = 2 and Hkv = 1
q4 = randn(5, 4 * D)
for hkv in (2, 1):
    kk, vv = randn(5, hkv * D), randn(5, hkv * D)
    add(case(f"attention/gqa_hkv{hkv}_causal", "attention", [t_f32(q4), t_f32(kk), t_f32(vv)],
             attention(q4, kk, vv, 4, hkv, sc, causal=True), iparam=[4, hkv, CAUSAL], fparam=[sc]))
q2 = randn(2, 4 * D)
k6, v6 = randn(6, D), randn(6, D)
add(case("attention/gqa_hkv1_kv_cache", "attention", [t_f32(q2), t_f32(k6), t_f32(v6)],
         attention(q2, k6, v6, 4, 1, sc, causal=True), iparam=[4, 1, CAUSAL], fparam=[sc]))
# more queries than keys, causal: the first Tq − Tk queries see nothing → 0
q4b, k2, v2 = randn(4, 2 * D), randn(2, 2 * D), randn(2, 2 * D)
add(case("attention/causal_tk_lt_tq", "attention", [t_f32(q4b), t_f32(k2), t_f32(v2)],
         attention(q4b, k2, v2, 2, 2, sc, causal=True), iparam=[2, 2, CAUSAL], fparam=[sc]))
# additive F32 masks with −inf, [Tq, Tk] and [H, Tq, Tk]; a fully masked row
qm, km, vm = randn(4, 2 * D), randn(6, 2 * D), randn(6, 2 * D)
m2 = randn(4, 6, scale=0.5)
m2[0, [1, 4]] = -np.inf
m2[2, :] = -np.inf  # query 2 sees no key: zeros
add(case("attention/mask2d", "attention", [t_f32(qm), t_f32(km), t_f32(vm), t_f32(m2)],
         attention(qm, km, vm, 2, 2, sc, mask=m2), iparam=[2, 2, 0], fparam=[sc]))
m3 = randn(2, 4, 6, scale=0.5)
m3[0, 1, :3] = -np.inf
m3[1, 3, :] = -np.inf  # head 1, query 3: zeros; head 0 of that query is not
add(case("attention/mask3d", "attention", [t_f32(qm), t_f32(km), t_f32(vm), t_f32(m3)],
         attention(qm, km, vm, 2, 2, sc, mask=m3), iparam=[2, 2, 0], fparam=[sc]))
m2c = randn(4, 6, scale=0.5)
m2c[3, 5] = -np.inf
add(case("attention/mask2d_causal", "attention", [t_f32(qm), t_f32(km), t_f32(vm), t_f32(m2c)],
         attention(qm, km, vm, 2, 2, sc, causal=True, mask=m2c), iparam=[2, 2, CAUSAL], fparam=[sc]))
# Dv != D (and with grouped-query heads)
vd = randn(6, 2 * 5)
add(case("attention/dv_ne_d", "attention", [t_f32(qm), t_f32(km), t_f32(vd)],
         attention(qm, km, vd, 2, 2, sc), iparam=[2, 2, 0], fparam=[sc]))
qg, kg, vg = randn(5, 4 * D), randn(7, 2 * D), randn(7, 2 * 12)
add(case("attention/dv_gt_d_gqa_causal", "attention", [t_f32(qg), t_f32(kg), t_f32(vg)],
         attention(qg, kg, vg, 4, 2, 0.3, causal=True), iparam=[4, 2, CAUSAL], fparam=[0.3]))

# keys of length 0 (a cache not yet written): every query sees nothing
add(case("attention/no_keys", "attention", [t_f32(q3), t_f32(np.zeros((0, 2 * D))), t_f32(np.zeros((0, 2 * D)))],
         np.zeros((3, 2 * D)), iparam=[2, 2, 0], fparam=[sc]))

# MEAN_POOL / CLS_POOL: an empty sequence pools to zeros (mean only; CLS
# of an empty sequence is an error).
x = randn(7, 12)
po = [0, 3, 3, 7]
add(case("mean_pool/with_empty", "mean_pool", [t_f32(x), t_i32(po)],
         np.array([x[po[s]:po[s + 1]].astype(f64).mean(0) if po[s + 1] > po[s] else np.zeros(12)
                   for s in range(3)])))
po = [0, 1, 4, 7]
add(case("mean_pool/single_row", "mean_pool", [t_f32(x), t_i32(po)],
         np.array([x[po[s]:po[s + 1]].astype(f64).mean(0) for s in range(3)])))
add(case("mean_pool/no_rows", "mean_pool", [t_f32(np.zeros((0, 12))), t_i32([0, 0, 0])], np.zeros((2, 12))))
po = [0, 3, 5, 7]
add(case("cls_pool/x", "cls_pool", [t_f32(x), t_i32(po)], x[[0, 3, 5]]))

# L2_NORMALIZE: a zero row stays zero; a row of norm below 1e-12 is divided
# by 1e-12, not by its norm.
x = randn(5, 16)
x[1] = 0.0
x[3] = randn(16, scale=1e-14)
nrm = np.maximum(np.sqrt((x.astype(f64) ** 2).sum(-1, keepdims=True)), 1e-12)
add(case("l2_normalize/x", "l2_normalize", [t_f32(x)], x.astype(f64) / nrm))

# CONCAT on axis 0 and 1 (2-d and 3-d), and of F16 tensors.
a, b = randn(2, 5), randn(3, 5)
add(case("concat/axis0", "concat", [t_f32(a), t_f32(b)], np.concatenate([a, b], 0), iparam=[0]))
a, b = randn(3, 2), randn(3, 4)
add(case("concat/axis1", "concat", [t_f32(a), t_f32(b)], np.concatenate([a, b], 1), iparam=[1]))
a, b = randn(2, 3, 4), randn(2, 1, 4)
add(case("concat/3d_axis1", "concat", [t_f32(a), t_f32(b)], np.concatenate([a, b], 1), iparam=[1]))
ra, ha = f16_table(randn(2, 3))
rb, hb = f16_table(randn(2, 5))
wide = randn(3, 6)
b = randn(3, 2)
add(case("concat/column_view", "concat", [t_f32(wide, view={"slice": [1, 1, 3]}), t_f32(b)],
         np.concatenate([wide[:, 1:4], b], 1), iparam=[1]))
add(case("concat/f16_axis1", "concat", [t_bytes("F16", (2, 3), ra, "input"), t_bytes("F16", (2, 5), rb, "input")],
         np.concatenate([ha, hb], 1), iparam=[1], out_dtype="F16"))

# CONT: a permuted view (F32, and converted to F16), a rowwise input to
# F16, and F16 back to F32.
base = randn(2, 3, 4)
perm = [2, 0, 1]
add(case("cont/permuted", "cont", [t_f32(base, view={"permute": perm})], np.transpose(base, perm)))
add(case("cont/permuted_to_f16", "cont", [t_f32(base, view={"permute": perm})],
         np.transpose(base, perm).astype(np.float16), out_dtype="F16"))
x = randn(4, 6, scale=100.0)
x[0, 0] = 65504.0  # F16's largest finite value
x[0, 1] = 3e-6  # an F16 subnormal
add(case("cont/to_f16", "cont", [t_f32(x)], x.astype(np.float16), out_dtype="F16"))
rh, hh = f16_table(randn(3, 5))
add(case("cont/f16_to_f32", "cont", [t_bytes("F16", (3, 5), rh, "input")], hh))

# quantised: a row slice of Q8_0 blocks copied as they are (compared as
# dequantised values), and QA4 (a weight: graph inputs carry no group)
# dequantised to F32
raw, wq, _ = q8_0(4, 64)
add(case("cont/q8_0_rows", "cont", [dict(t_bytes("Q8_0", (4, 64), raw, "input"), view={"slice": [0, 1, 2]})],
         wq[1:3], out_dtype="Q8_0"))
raw, wq, _ = qa(4, 3, 64, 32)
add(case("cont/qa4_to_f32", "cont", [t_bytes("QA4", (3, 64), raw, "weight", 32)], wq))

# WRITE into a slice of a bigger target (a KV cache): rows 2..4 of [8, 6];
# converting F32 → F16; into a column slice (rows not contiguous).
tgt = randn(8, 6)
src = randn(3, 6)
exp = tgt.copy()
exp[2:5] = src
add(case("write/rows", "write", [t_f32(src), t_f32(tgt, "state", view={"slice": [0, 2, 3]})], exp))
rt, th = f16_table(randn(8, 6))
exp = th.copy()
exp[5:8] = src.astype(np.float16)
add(case("write/rows_to_f16", "write",
         [t_f32(src), dict(t_bytes("F16", (8, 6), rt, "state"), view={"slice": [0, 5, 3]})],
         exp, out_dtype="F16"))
tgt = randn(4, 10)
src = randn(4, 4)
exp = tgt.copy()
exp[:, 3:7] = src
add(case("write/columns", "write", [t_f32(src), t_f32(tgt, "state", view={"slice": [1, 3, 4]})], exp))

rt, th = f16_table(randn(4, 10))
src = randn(4, 4)
exp = th.copy()
exp[:, 6:10] = src.astype(np.float16)
add(case("write/columns_to_f16", "write",
         [t_f32(src), dict(t_bytes("F16", (4, 10), rt, "state"), view={"slice": [1, 6, 4]})], exp, out_dtype="F16"))
raw_src, src_h = f16_table(randn(2, 6))
tgt = randn(8, 6)
exp = tgt.copy()
exp[0:2] = src_h
add(case("write/f16_to_f32", "write",
         [t_bytes("F16", (2, 6), raw_src, "input"), t_f32(tgt, "state", view={"slice": [0, 0, 2]})],
         exp))

# CONV1D: stride, padding, dilation, bias; a batch without bias; plain.
x = randn(3, 11)
w = randn(4, 3, 3, scale=0.5)
bias = randn(4)
add(case("conv1d/s2_p1_d2_bias", "conv1d", [t_f32(x), t_f32(w, "weight"), t_f32(bias, "weight")],
         conv(x[None], w, bias, [2], [1], [2])[0], iparam=[2, 1, 2]))
xb = randn(2, 3, 11)
add(case("conv1d/batch_s1_p2", "conv1d", [t_f32(xb), t_f32(w, "weight")], conv(xb, w, None, [1], [2], [1]),
         iparam=[1, 2, 1]))
add(case("conv1d/plain_dil0", "conv1d", [t_f32(x), t_f32(w, "weight"), t_f32(bias, "weight")],
         conv(x[None], w, bias, [1], [0], [1])[0], iparam=[1, 0, 0]))  # dilation 0 is read as 1
# CONV2D: stride and padding per axis, bias; a batch; patches (stride = kernel).
x = randn(3, 7, 6)
w = randn(4, 3, 3, 2, scale=0.5)
add(case("conv2d/s21_p10_bias", "conv2d", [t_f32(x), t_f32(w, "weight"), t_f32(bias, "weight")],
         conv(x[None], w, bias, [2, 1], [1, 0], [1, 1])[0], iparam=[2, 1, 1, 0]))
xb = randn(2, 3, 5, 5)
w3 = randn(2, 3, 3, 3, scale=0.5)
add(case("conv2d/batch_p1", "conv2d", [t_f32(xb), t_f32(w3, "weight")], conv(xb, w3, None, [1, 1], [1, 1], [1, 1]),
         iparam=[1, 1, 1, 1]))
rw, wh = f16_table(randn(4, 3, 3, 2, scale=0.5))
rb, bh = f16_table(bias)
add(case("conv2d/f16_weight_bias", "conv2d", [t_f32(x), t_bytes("F16", (4, 3, 3, 2), rw, "weight"),
                                              t_bytes("F16", (4,), rb, "weight")],
         conv(x[None], wh, bh, [1, 2], [0, 1], [1, 1])[0], iparam=[1, 2, 0, 1]))
x = randn(3, 8, 8)
wp = randn(5, 3, 4, 4, scale=0.3)
bp = randn(5)
add(case("conv2d/patches", "conv2d", [t_f32(x), t_f32(wp, "weight"), t_f32(bp, "weight")],
         conv(x[None], wp, bp, [4, 4], [0, 0], [1, 1])[0], iparam=[4, 4, 0, 0]))

# --------------------------------------------------------------- write out

ops_all = ["get_rows", "add", "mul", "add_positions", "linear", "layer_norm", "rms_norm", "gelu", "silu", "swiglu",
           "scale", "rope", "attention", "mean_pool", "cls_pool", "l2_normalize", "concat", "cont", "write",
           "conv1d", "conv2d"]
missing = set(ops_all) - {c["op"] for c in cases}
assert not missing, missing
doc = {
    "generator": "scripts/make_ops_reference.py",
    "command": ".venv/bin/python scripts/make_ops_reference.py",
    "numpy": np.__version__,
    "seed": SEED,
    "notes": {
        "quantised_linear_codes": code_form_differences[1],
        "codes_differing_if_x_over_sa": code_form_differences[0],
    },
    "cases": cases,
}
text = json.dumps(doc, indent=1)
with open(OUT, "w") as f:
    f.write(text + "\n")
print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(cases)} cases, {len(text) // 1024} KiB; "
      f"activation codes: {code_form_differences[0]} of {code_form_differences[1]} would differ "
      f"with round(x / sa) instead of rint(x * (127 / amax))", file=sys.stderr)

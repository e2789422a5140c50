#!/usr/bin/env python3
"""check_gguf_interop.py — proves our GGUF reader and writer interoperate
with gguf-py (the reference Python implementation in llama.cpp's tree).

Both directions, on one deterministic model (F32, F16, Q8_0, Q4_0, Q4_1, I8,
I32 tensors; string, u32, i64, f32 and string-array metadata):

  1. gguf-py writes it (make_py_file);
  2. our reader reads that fresh file and checks every name, shape, type,
     byte and value against the expectations hard-coded in
     test/formats/test_gguf.c (`ia_tests gguf_pywritten` with IA_GGUF_INTEROP_IN);
  3. the same test rewrites it with our writer (IA_GGUF_INTEROP_OUT), and
     gguf-py reads our file back: same tensors (bytes, shapes, types, and
     the values gguf-py dequantizes from them) and the same metadata.

The quantized tensors hold values that Q8_0/Q4_0/Q4_1 represent exactly, so
any correct quantizer produces the same bytes and the fixture does not
depend on gguf-py's rounding details.

Usage:
  scripts/check_gguf_interop.py [--ia-tests build/ia_tests]
  scripts/check_gguf_interop.py --write-fixture   # test/fixtures/gguf_pywritten.hex
  scripts/check_gguf_interop.py --print-expected  # the C table test_gguf.c holds
Run with the project venv (.venv/bin/python: gguf, numpy). Exit 0 = pass.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "test" / "fixtures" / "gguf_pywritten.hex"  # hex text: no binary model files in git

# Metadata: key -> (gguf-py value type, value). general.architecture comes
# from GGUFWriter(arch=...).
METADATA = {
    "general.architecture": (V.STRING, "iatest"),
    "iatest.name": (V.STRING, "h\u00e9llo w\u00f6rld"),
    "iatest.count": (V.UINT32, 42),
    "iatest.offset": (V.INT64, -(2**40) - 3),
    "iatest.scale": (V.FLOAT32, 0.15625),
    "iatest.tokens": (V.ARRAY, ["[PAD]", "hello", "w\u00f6rld", "a b", ""]),
}


def source_tensors():
    """name -> (ggml type, float/int source array, outermost-first shape)."""
    # Q8_0: d = 0.5 per block, q in [-127, 127] with 127 in every block, so
    # amax / 127 = 0.5 and x * 2 = q exactly.
    q8 = ((np.arange(128) * 37) % 255 - 127).astype(np.float32)
    q8[::32] = 127
    # Q4_0: d = max / -8 = 0.25, where the largest |x| is -2.0 (q = 0).
    q40 = (np.arange(64) * 5 % 16).astype(np.float32)
    q40[::32] = 0
    # Q4_1: min -1, max 0.875, d = 1.875 / 15 = 0.125 exactly.
    q41 = (np.arange(64) * 7 % 16).astype(np.float32)
    q41[::32], q41[1::32] = 0, 15
    return {
        "tok_embd.weight": (T.F32, np.arange(24) * 0.5 - 1, (1, 2, 3, 4)),
        "blk.0.attn_norm.weight": (T.F16, np.arange(8) * 0.25 - 1, (2, 1, 4)),
        "blk.0.ffn_up.weight": (T.Q8_0, q8 * 0.5, (2, 64)),
        "blk.0.ffn_down.weight": (T.Q4_0, (q40 - 8) * 0.25, (1, 64)),
        "blk.0.attn_q.weight": (T.Q4_1, q41 * 0.125 - 1, (2, 32)),
        "blk.0.ids": (T.I8, np.arange(15) - 7, (3, 5)),
        "blk.0.pos": (T.I32, np.array([1, -2, 3, 2**31 - 1]), (2, 2)),
    }


def tensor_bytes(qtype, src, shape):
    """The bytes gguf-py stores for a tensor, as a uint8 or typed array."""
    src = np.asarray(src).reshape(shape)
    if qtype == T.F32:
        return src.astype(np.float32)
    if qtype == T.F16:
        return src.astype(np.float16)
    if qtype == T.I8:
        return src.astype(np.int8)
    if qtype == T.I32:
        return src.astype(np.int32)
    return gguf.quants.quantize(src.astype(np.float32), qtype)


def make_py_file(path):
    w = gguf.GGUFWriter(str(path), arch="iatest")
    for key, (vt, val) in METADATA.items():
        if key == "general.architecture":
            continue
        if vt == V.ARRAY:
            w.add_array(key, val)
        else:
            w.add_key_value(key, val, vt)
    for name, (qtype, src, shape) in source_tensors().items():
        data = tensor_bytes(qtype, src, shape)
        if data.dtype == np.uint8:
            w.add_tensor(name, data, raw_dtype=qtype)
        else:
            w.add_tensor(name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def fnv1a64(b):
    h = 0xCBF29CE484222325
    for x in b:
        h = ((h ^ x) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def field_value(f):
    vt = V(f.types[0])
    if vt == V.ARRAY:
        return vt, V(f.types[-1]), f.contents()
    return vt, None, f.contents()


def read(path):
    r = gguf.GGUFReader(str(path))
    fields = {k: field_value(f) for k, f in r.fields.items() if not k.startswith("GGUF.")}
    tensors = {t.name: t for t in r.tensors}
    return r, fields, tensors


def fail(msg):
    print(f"check_gguf_interop: FAIL: {msg}")
    sys.exit(1)


def check_ours(ours_path):
    """gguf-py reads the file our writer made; compares with the source."""
    _, fields, tensors = read(ours_path)
    want_keys = set(METADATA) | {"general.alignment"}
    if set(fields) != want_keys:
        fail(f"keys {sorted(fields)} != {sorted(want_keys)}")
    if fields["general.alignment"][:1] != (V.UINT32,) or fields["general.alignment"][2] != 32:
        fail(f"general.alignment is {fields['general.alignment']}")
    for key, (vt, val) in METADATA.items():
        got_vt, sub, got = fields[key]
        if got_vt != vt or (vt == V.ARRAY and sub != V.STRING) or got != val:
            fail(f"key {key}: gguf-py read {got_vt.name} {got!r}, want {vt.name} {val!r}")
    src = source_tensors()
    if list(tensors) != list(src):
        fail(f"tensor names {list(tensors)} != {list(src)}")
    for name, (qtype, values, shape) in src.items():
        t = tensors[name]
        want = tensor_bytes(qtype, values, shape).tobytes()
        got_shape = tuple(int(x) for x in reversed(t.shape))
        if T(t.tensor_type) != qtype or got_shape != shape:
            fail(f"{name}: {T(t.tensor_type).name} {got_shape}, want {qtype.name} {shape}")
        if t.data.tobytes() != want:
            fail(f"{name}: bytes differ")
        if t.data_offset % 32:
            fail(f"{name}: data offset {t.data_offset} not 32-aligned")
        if qtype in (T.Q8_0, T.Q4_0, T.Q4_1):
            deq = gguf.quants.dequantize(t.data, qtype).reshape(-1)
        else:  # plain types: gguf-py hands them out as typed arrays
            deq = np.asarray(t.data).reshape(-1)
        if not np.array_equal(deq.astype(np.float64), np.asarray(values, np.float64).reshape(-1)):
            fail(f"{name}: gguf-py dequantizes other values than the source")
    print(f"check_gguf_interop: gguf-py read our file: {len(tensors)} tensors, "
          f"{len(fields)} keys, bytes and dequantized values equal")


def print_expected(path):
    """The expectation table test_gguf.c hard-codes (PY_TENSORS)."""
    _, _, tensors = read(path)
    for name, t in tensors.items():
        shape = [int(x) for x in reversed(t.shape)]
        dims = ", ".join(str(d) for d in shape)
        print(f'    {{"{name}", IA_GGML_{T(t.tensor_type).name}, {len(shape)}, {{{dims}}}, '
              f"{t.n_bytes}, 0x{fnv1a64(t.data.tobytes()):016x}ull}},")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ia-tests", default=os.environ.get("IA_TESTS", str(ROOT / "build" / "ia_tests")))
    ap.add_argument("--write-fixture", action="store_true")
    ap.add_argument("--print-expected", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        py_path = Path(tmp) / "py.gguf"
        ours_path = Path(tmp) / "ours.gguf"
        make_py_file(py_path)
        print(f"check_gguf_interop: gguf-py {version('gguf')} wrote {py_path.stat().st_size} bytes")
        if args.write_fixture:
            h = py_path.read_bytes().hex()
            FIXTURE.write_text("".join(h[i:i + 64] + "\n" for i in range(0, len(h), 64)))
            print(f"check_gguf_interop: wrote {FIXTURE.relative_to(ROOT)}")
        if args.print_expected:
            print_expected(py_path)
            return
        same = FIXTURE.exists() and bytes.fromhex("".join(FIXTURE.read_text().split())) == py_path.read_bytes()
        print(f"check_gguf_interop: committed fixture is {'identical to' if same else 'NOT identical to'}"
              " this gguf-py's output" + ("" if same else " (fine if the C test still passes on both)"))

        if not Path(args.ia_tests).exists():
            fail(f"{args.ia_tests} not found (build first, or pass --ia-tests)")
        env = dict(os.environ, IA_GGUF_INTEROP_IN=str(py_path), IA_GGUF_INTEROP_OUT=str(ours_path))
        run = subprocess.run([args.ia_tests, "gguf_pywritten"], env=env, capture_output=True, text=True)
        out = run.stdout + run.stderr
        m = re.search(r"^(\d+) passed, (\d+) failed\s*$", out, re.M)
        if run.returncode != 0 or not m or int(m.group(1)) < 2 or int(m.group(2)) != 0:
            fail(f"ia_tests gguf_pywritten (our reader on gguf-py's file):\n{out}")
        print("check_gguf_interop: our reader read gguf-py's file: " + out.strip().splitlines()[-1])
        if not ours_path.exists():
            fail("ia_tests did not write IA_GGUF_INTEROP_OUT")
        check_ours(ours_path)
    print("check_gguf_interop: PASS")


if __name__ == "__main__":
    main()

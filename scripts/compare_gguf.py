#!/usr/bin/env python3
"""compare_gguf.py — are two GGUF files the same model? Compares the
metadata (every key, its type and value, in order) and the tensors (names
in order, types, shapes and bytes) with gguf-py's reader, and prints each
difference. The alignment padding and the data offsets are not compared.

  .venv/bin/python scripts/compare_gguf.py A.gguf B.gguf [--ignore-key KEY ...]

Exit 0 when they match, 1 when they differ. test/models/test_bert_gguf.c
uses it to check that scripts/make_bert_gguf.py writes what llama.cpp's
convert_hf_to_gguf.py writes.
"""
import argparse
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType


def fields(r, ignore):
    out = {}
    for name, f in r.fields.items():
        if name.startswith("GGUF.") or name in ignore:
            continue
        types = tuple(int(t) for t in f.types)
        if f.types and f.types[0] == GGUFValueType.ARRAY:
            value = [bytes(f.parts[i]) for i in f.data]
        else:
            value = bytes(np.concatenate([np.asarray(p).view(np.uint8).ravel() for p in f.parts[f.data[0]:]])) \
                if f.data else b""
        out[name] = (types, value)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--ignore-key", action="append", default=[])
    a = ap.parse_args()
    ra, rb = GGUFReader(a.a), GGUFReader(a.b)
    diffs = []
    fa, fb = fields(ra, set(a.ignore_key)), fields(rb, set(a.ignore_key))
    if list(fa) != list(fb):
        diffs.append(f"metadata keys differ: only in A {sorted(set(fa) - set(fb))}, only in B "
                     f"{sorted(set(fb) - set(fa))}" + ("" if set(fa) != set(fb) else " (order differs)"))
    for k in fa:
        if k in fb and fa[k] != fb[k]:
            diffs.append(f"metadata {k}: {ra.fields[k].contents()!r:.80} != {rb.fields[k].contents()!r:.80}")
    ta = [(t.name, int(t.tensor_type), tuple(int(x) for x in t.shape)) for t in ra.tensors]
    tb = [(t.name, int(t.tensor_type), tuple(int(x) for x in t.shape)) for t in rb.tensors]
    if ta != tb:
        diffs.append(f"tensor names/types/shapes differ: {sorted(set(ta) ^ set(tb))[:8]}")
    db = {t.name: t for t in rb.tensors}
    for t in ra.tensors:
        u = db.get(t.name)
        if u is not None and np.asarray(t.data).tobytes() != np.asarray(u.data).tobytes():
            diffs.append(f"tensor {t.name}: the bytes differ")
    for d in diffs:
        print(d)
    print(f"{len(fa)} metadata keys, {len(ta)} tensors: {'identical' if not diffs else f'{len(diffs)} differences'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())

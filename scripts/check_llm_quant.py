#!/usr/bin/env python3
"""check_llm_quant.py — what gguf-py reads in a GGUF that `ipfs-accelerate
quantize --type` wrote, for test/quant/test_llm_quant.c.

    .venv/bin/python scripts/check_llm_quant.py FILE.gguf

Prints one JSON object: "tensors" maps each tensor name to its type name,
its shape (outermost first) and the sha256 of its values dequantised by
gguf.quants.dequantize (ggml's dequantisers) as little-endian float32; the
C test hashes its own dequantisation (ia_dtype_row_to_f32) and compares.
"keys" lists the metadata keys, "file_type" general.file_type.
"""
import hashlib
import json
import sys

import numpy as np
import gguf
from gguf.quants import dequantize


def main():
    r = gguf.GGUFReader(sys.argv[1])
    out = {"tensors": {}, "keys": [f.name for f in r.fields.values()]}
    ft = r.fields.get("general.file_type")
    out["file_type"] = int(ft.parts[ft.data[0]][0]) if ft else None
    for t in r.tensors:
        shape = [int(d) for d in reversed(t.shape.tolist())]  # gguf-py: innermost first
        v = dequantize(t.data, t.tensor_type).astype("<f4").reshape(-1)
        out["tensors"][t.name] = {"type": t.tensor_type.name, "shape": shape,
                                  "sha256": hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""safetensors_np.py — reads and writes .safetensors files with numpy only.

The test machine has numpy but neither torch nor the `safetensors` package,
so the fixture generators (make_tiny_llama.py, make_minilm_variants.py) use
this instead. The format (https://github.com/huggingface/safetensors):

  8 bytes   little-endian u64 N = length of the JSON header
  N bytes   JSON: {"__metadata__": {str: str}, name: {"dtype": "F32",
            "shape": [..], "data_offsets": [begin, end]}, ...}, padded with
            spaces so that the data starts at an 8-byte boundary
  rest      the tensors' bytes, little-endian, row-major, offsets relative
            to the start of this section, contiguous and non-overlapping

BF16 and F16 tensors are handled as raw uint16 bit patterns (numpy has no
bfloat16): write_file takes (dtype_name, uint16 array) for them.
"""
import json
import struct

import numpy as np

_NP = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<u2"),
    "BF16": np.dtype("<u2"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"), "I8": np.dtype("i1"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("u1"),
}


def read_file(path):
    """Returns (tensors, metadata): tensors maps name -> (dtype_name, array);
    F16/BF16 arrays are uint16 bit patterns."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None) or {}
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        dt = _NP[info["dtype"]]
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype=dt).reshape(info["shape"])
        out[name] = (info["dtype"], arr.copy())
    return out, meta


def write_file(path, tensors, metadata=None):
    """tensors: dict name -> np.ndarray (float32/float64/int arrays) or
    (dtype_name, array) for F16/BF16 bit patterns. Tensors are laid out in
    name order, as the safetensors package does for tensors of one
    alignment."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    off = 0
    for name in sorted(tensors):
        v = tensors[name]
        if isinstance(v, tuple):
            dname, arr = v
            arr = np.ascontiguousarray(arr, dtype=_NP[dname])
        else:
            arr = np.ascontiguousarray(v)
            dname = {np.dtype("float32"): "F32", np.dtype("float64"): "F64",
                     np.dtype("int64"): "I64", np.dtype("int32"): "I32"}[arr.dtype]
            arr = arr.astype(_NP[dname], copy=False)
        raw = arr.tobytes()
        header[name] = {"dtype": dname, "shape": list(arr.shape),
                        "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - (8 + len(hj)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for c in chunks:
            f.write(c)


def f32_to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns, round to nearest even (as torch's
    .to(torch.bfloat16)); NaN stays a quiet NaN of the same sign."""
    u = np.ascontiguousarray(x, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    if nan.any():
        rounded[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def bf16_bits_to_f32(b):
    return (np.asarray(b, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def f32_to_f16_bits(x):
    """float32 -> IEEE half bit patterns, round to nearest even (numpy's
    cast, the same as torch's .half())."""
    return np.asarray(x, dtype=np.float32).astype("<f2").view("<u2")


def f16_bits_to_f32(b):
    return np.asarray(b, dtype=np.uint16).view("<f2").astype(np.float32)

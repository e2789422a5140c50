#!/usr/bin/env python3
"""export_transformersjs_model.py — lays out all-MiniLM-L6-v2 the way
transformers.js (npm @huggingface/transformers) loads a local model, for the
anchor of bench/js_vs_transformersjs:

  <out>/<name>/config.json, tokenizer.json, tokenizer_config.json,
               special_tokens_map.json (when the HF dir has it)
  <out>/<name>/onnx/model.onnx            fp32 (dtype 'fp32')
  <out>/<name>/onnx/model_quantized.onnx  8-bit (dtype 'q8')

model.onnx is bench/embed_anchors.py's export_onnx (torch.onnx TorchScript
export of last_hidden_state; inputs input_ids, attention_mask,
token_type_ids; opset 17), the same file bench/embed_vs_anchors uses
(~/.cache/ipfs_accelerate/onnx/<name>/model.onnx, exported when missing).

model_quantized.onnx is made as transformers.js's own conversion does it
(scripts/convert.py --quantize + scripts/quantize.py, mode q8):
onnxruntime.quantization dynamic quantization (QuantizationMode.IntegerOps,
activations QUInt8), op types = every key of IntegerOpsRegistry, weight type
QInt8 (q8 picks QUInt8 only when the graph has Conv, GroupQueryAttention or
MultiHeadAttention; this BERT graph has none), per_channel=True and
reduce_range=True (convert.py's default for every model_type outside its
NO_PER_CHANNEL_REDUCE_RANGE_MODELS list; 'bert' is not in it),
extra_options EnableSubgraph=True, MatMulConstBOnly=True.
Not reproduced: convert.py's optimum export and its onnxslim pass over the
fp32 graph (onnxslim is not installed; ONNX Runtime's own graph optimiser
runs at session creation either way).

Idempotent: does nothing when the files exist (--force to redo). Writes
<out>/<name>/export.json (what was done, versions).

  .venv/bin/python scripts/export_transformersjs_model.py [--out DIR] [--force]
"""
import argparse
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import embed_anchors as ea  # noqa: E402

DEFAULT_OUT = os.path.join(ea.CACHE, "onnx", "transformersjs")
COPY = ("config.json", "tokenizer.json", "tokenizer_config.json",
        "special_tokens_map.json")
QUINT8_OPS = ("Conv", "GroupQueryAttention", "MultiHeadAttention")


def log(msg):
    print(f"export_transformersjs_model: {msg}", file=sys.stderr, flush=True)


def link_or_copy(src, dst):
    tmp = dst + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def graph_ops(model):
    import onnx
    ops = set()

    def walk(g):
        for n in g.node:
            ops.add(n.op_type)
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
    walk(model.graph)
    return ops


def quantize_q8(fp32_path, out_path):
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    model = onnx.load_model(fp32_path)
    ops = graph_ops(model)
    weight_type = (QuantType.QUInt8 if any(o in QUINT8_OPS for o in ops)
                   else QuantType.QInt8)
    opts = {
        "op_types_to_quantize": sorted(IntegerOpsRegistry.keys()),
        "per_channel": True,
        "reduce_range": True,
        "weight_type": weight_type,
        "extra_options": {"EnableSubgraph": True, "MatMulConstBOnly": True},
    }
    tmp = out_path + ".tmp.onnx"
    quantize_dynamic(fp32_path, tmp, **opts)
    os.replace(tmp, out_path)
    desc = dict(opts)
    desc["weight_type"] = weight_type.name
    desc["mode"] = "IntegerOps (dynamic), activations QUInt8"
    return desc


def check(dir_):
    """Both files run in onnxruntime (CPU) on a small batch; returns the
    worst cosine of q8's mean-pooled vectors against fp32's."""
    import numpy as np
    import onnxruntime as ort
    ids = np.array([[101, 7592, 2088, 2003, 1037, 3231, 102, 0],
                    [101, 2023, 2003, 1037, 2936, 6251, 2055, 102]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    mask[0, 6] = 1
    feed = {"input_ids": ids, "attention_mask": mask,
            "token_type_ids": np.zeros_like(ids)}
    vecs = {}
    for name in ("model.onnx", "model_quantized.onnx"):
        s = ort.InferenceSession(os.path.join(dir_, "onnx", name),
                                 providers=["CPUExecutionProvider"])
        h = s.run(None, feed)[0]
        m = mask[:, :, None].astype(np.float32)
        v = (h * m).sum(1) / m.sum(1)
        vecs[name] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return float((vecs["model.onnx"] * vecs["model_quantized.onnx"]).sum(1).min())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=ea.DEFAULT_MODEL_DIR)
    ap.add_argument("--onnx", default=ea.DEFAULT_ONNX,
                    help="fp32 export shared with bench/embed_vs_anchors")
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="transformers.js localModelPath (default %(default)s)")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    if not os.path.isdir(args.model_dir):
        ap.error(f"no model at {args.model_dir} (run scripts/setup.sh)")
    name = os.path.basename(os.path.normpath(args.model_dir))
    dst = os.path.join(args.out, name)
    onnx_dir = os.path.join(dst, "onnx")
    fp32 = os.path.join(onnx_dir, "model.onnx")
    q8 = os.path.join(onnx_dir, "model_quantized.onnx")
    meta_path = os.path.join(dst, "export.json")
    want = [os.path.join(dst, f) for f in COPY
            if os.path.exists(os.path.join(args.model_dir, f))] + [fp32, q8, meta_path]
    if not args.force and all(os.path.exists(p) for p in want):
        log(f"up to date: {dst}")
        print(dst)
        return 0

    os.makedirs(onnx_dir, exist_ok=True)
    for f in COPY:
        src = os.path.join(args.model_dir, f)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(dst, f))
    log(f"fp32: {args.onnx}")
    ea.export_onnx(args.model_dir, args.onnx, force=args.force)
    link_or_copy(args.onnx, fp32)
    log("q8: quantize_dynamic as transformers.js scripts/quantize.py (q8) does")
    qdesc = quantize_q8(fp32, q8)
    cos = check(dst)
    log(f"q8 vs fp32 worst cosine on a smoke batch: {cos:.5f}")
    if cos < 0.97:  # q8 of this model sits near 0.985-0.99 against fp32
        raise SystemExit(f"export_transformersjs_model: q8 disagrees with fp32 (cos {cos})")
    meta = {
        "model_dir": args.model_dir, "name": name,
        "fp32": {"path": fp32, "from": args.onnx, "bytes": os.path.getsize(fp32),
                 "exporter": "bench/embed_anchors.py export_onnx (torch.onnx TorchScript, opset 17)"},
        "q8": {"path": q8, "bytes": os.path.getsize(q8),
               "recipe": "transformers.js scripts/convert.py --quantize, mode q8", **qdesc},
        "q8_vs_fp32_smoke_cos_min": cos,
        "versions": ea.versions(),
    }
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    print(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())

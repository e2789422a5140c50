#!/usr/bin/env python3
"""embed_anchors.py — helpers and the worker process of bench/embed_vs_anchors.

Subcommands (each run in its own process by the driver):

  export  --model-dir D --onnx P        export the HF AutoModel to ONNX once
  worker  --impl ort|torch --file T --batch B --threads N --iters I
          --warmup W [--out-embeddings X.npy]
                                         time the anchor; print one JSON line

A pass embeds every text of the file once, in batches of B. Each timed
iteration runs two passes, alternating:
  excl  tokenization done beforehand, outside the timed region
        (ORT: session.run + mean pooling + L2 norm in numpy;
         PyTorch: SentenceTransformer forward = Transformer/Pooling/Normalize)
  incl  tokenization inside the timed region, as ia_model_embed() does
        (ORT: HF fast tokenizer + the above;
         PyTorch: SentenceTransformer.encode(batch, batch_size=B))
sentences/s = texts / median pass time; batch latency p50/p90 over every
batch of every timed pass.
"""
import argparse
import csv
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_NAME = "all-MiniLM-L6-v2"
CACHE = os.path.expanduser("~/.cache/ipfs_accelerate")
DEFAULT_MODEL_DIR = os.path.join(
    os.environ.get("IA_MODEL_DIR", os.path.join(CACHE, "models")), MODEL_NAME)
DEFAULT_ONNX = os.path.join(CACHE, "onnx", MODEL_NAME, "model.onnx")
DEFAULT_STSB = "/work/shared/data/stsb-en-dev.csv"
MAX_SEQ = 256
ONNX_OPSET = 17


# ------------------------------------------------------------------ texts

def _stsb_sentences(path):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            for s in row[:2]:
                s = " ".join(s.split())  # one line each, no tabs/newlines
                if s:
                    out.append(s)
    if not out:
        raise SystemExit(f"embed_anchors: no sentences in {path}")
    return out


def make_texts(model_dir, n_texts=256, n_tokens=128, source=DEFAULT_STSB):
    """Deterministic texts of about n_tokens tokens each ([CLS]/[SEP]
    included): STS-B sentences in file order, concatenated; the last one is
    cut at a word boundary so the text never exceeds n_tokens."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    budget = n_tokens - 2

    def count(s):
        return len(tok.encode(s, add_special_tokens=False).ids)

    sents = _stsb_sentences(source)
    texts, k = [], 0
    for _ in range(n_texts):
        cur, used = "", 0
        while True:
            s = sents[k % len(sents)]
            k += 1
            cand = (cur + " " + s) if cur else s
            c = count(cand)
            if c <= budget:
                cur, used = cand, c
                if c == budget:
                    break
                continue
            for w in s.split():  # fill the remainder word by word
                cand = (cur + " " + w) if cur else w
                c = count(cand)
                if c > budget:
                    break
                cur, used = cand, c
            break
        texts.append(cur)
    lens = [count(t) + 2 for t in texts]
    return texts, lens


# ---------------------------------------------------------------- helpers

def pass_stats(n_texts, pass_s, batch_s):
    pass_s = sorted(pass_s)
    batch_s = sorted(batch_s)
    med = statistics.median(pass_s)

    def pct(p):
        if not batch_s:
            return 0.0
        pos = p / 100 * (len(batch_s) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(batch_s) - 1)
        return batch_s[lo] + (batch_s[hi] - batch_s[lo]) * (pos - lo)

    return {
        "sentences_per_s": n_texts / med,
        "sentences_per_s_best": n_texts / pass_s[0],
        "pass_s_median": med,
        "pass_s_all": pass_s,
        "batch_ms_p50": pct(50) * 1e3,
        "batch_ms_p90": pct(90) * 1e3,
    }


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [ln.rstrip("\n").rstrip("\r") for ln in f]


def versions():
    import importlib
    out = {}
    for mod in ("numpy", "torch", "onnxruntime", "onnx", "transformers",
                "sentence_transformers", "tokenizers"):
        try:
            out[mod] = importlib.import_module(mod).__version__
        except Exception:  # noqa: BLE001 - best effort
            out[mod] = None
    return out


# ----------------------------------------------------------------- export

def export_onnx(model_dir, onnx_path, force=False):
    """torch.onnx.export of the HF AutoModel (last_hidden_state), dynamic
    batch/seq axes, opset 17. Pooling/normalisation happen outside."""
    if os.path.exists(onnx_path) and not force:
        return onnx_path
    import warnings

    import torch
    from transformers import AutoModel

    warnings.filterwarnings("ignore")
    hf = AutoModel.from_pretrained(model_dir, attn_implementation="eager")

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    # eval() on the wrapper: the exporter restores the wrapper's own mode
    # afterwards, recursively.
    wrap = Wrap(hf).eval()
    ids = torch.tensor([[101, 7592, 2088, 102, 0]] * 2)
    mask = torch.ones_like(ids)
    mask[1, 4] = 0
    tt = torch.zeros_like(ids)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {k: {0: "batch", 1: "seq"} for k in names + ["last_hidden_state"]}
    os.makedirs(os.path.dirname(onnx_path), exist_ok=True)
    tmp = onnx_path + ".tmp"
    kw = {}
    try:  # torch >= 2.5 has the dynamo exporter; keep the TorchScript one
        import inspect
        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            kw["dynamo"] = False
    except (TypeError, ValueError):
        pass
    with torch.no_grad():
        torch.onnx.export(wrap, (ids, mask, tt), tmp, input_names=names,
                          output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=ONNX_OPSET, **kw)
        ref = wrap(ids, mask, tt).numpy()

    import numpy as np
    import onnxruntime as ort
    sess = ort.InferenceSession(tmp, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input_ids": ids.numpy(), "attention_mask":
                          mask.numpy(), "token_type_ids": tt.numpy()})[0]
    keep = mask.numpy().astype(bool)
    err = float(np.abs(got - ref)[keep].max())
    if err > 1e-4:
        os.unlink(tmp)
        raise SystemExit(f"embed_anchors: ONNX export differs from torch by {err}")
    os.replace(tmp, onnx_path)
    with open(onnx_path + ".json", "w") as f:
        json.dump({"model_dir": model_dir, "opset": ONNX_OPSET,
                   "exporter": "torch.onnx.export (TorchScript)",
                   "max_abs_err_vs_torch": err, "versions": versions()}, f,
                  indent=1)
    return onnx_path


# ----------------------------------------------------------------- worker

def _batches(seq, b):
    return [seq[i:i + b] for i in range(0, len(seq), b)]


def _pool_norm(np, hidden, mask):
    m = mask[:, :, None].astype(np.float32)
    summed = (hidden * m).sum(axis=1)
    counts = np.clip(m.sum(axis=1), 1e-9, None)
    v = summed / counts
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.clip(n, 1e-12, None)


def _make_ort(args, texts):
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if args.ort_no_spin:  # idle threads sleep instead of spinning
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(args.onnx, so,
                                providers=["CPUExecutionProvider"])
    tok = AutoTokenizer.from_pretrained(args.model_dir, use_fast=True)
    want = {i.name for i in sess.get_inputs()}

    def tokenize(batch):
        enc = tok(batch, padding=True, truncation=True, max_length=MAX_SEQ,
                  return_tensors="np")
        return {k: v.astype(np.int64) for k, v in enc.items() if k in want}

    def run(feed):
        hidden = sess.run(None, feed)[0]
        return _pool_norm(np, hidden, feed["attention_mask"])

    def excl(feed):
        return run(feed)

    def incl(batch):
        return run(tokenize(batch))

    return tokenize, excl, incl


def _make_torch(args, texts):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    model = SentenceTransformer(args.model_dir, device="cpu")
    model.eval()
    assert model.max_seq_length == MAX_SEQ, model.max_seq_length
    prep = getattr(model, "preprocess", None) or model.tokenize

    def tokenize(batch):
        return prep(batch)

    def excl(feats):
        with torch.inference_mode():
            return model(dict(feats))["sentence_embedding"].numpy()

    def incl(batch):
        with torch.inference_mode():
            return model.encode(batch, batch_size=len(batch),
                                convert_to_numpy=True,
                                show_progress_bar=False)

    return tokenize, excl, incl


def worker(args):
    import numpy as np

    texts = read_lines(args.file)
    batches = _batches(texts, args.batch)
    make = {"ort": _make_ort, "torch": _make_torch}[args.impl]
    t0 = time.perf_counter()
    tokenize, excl, incl = make(args, texts)
    setup_s = time.perf_counter() - t0
    feeds = [tokenize(b) for b in batches]  # outside any timed region

    times = {"excl": ([], []), "incl": ([], [])}
    first = None
    for it in range(args.warmup + args.iters):
        timed = it >= args.warmup
        for mode in ("excl", "incl"):
            outs = []
            p0 = time.perf_counter()
            for b, feed in zip(batches, feeds):
                b0 = time.perf_counter()
                v = excl(feed) if mode == "excl" else incl(b)
                dt = time.perf_counter() - b0
                if timed:
                    times[mode][1].append(dt)
                if first is None:
                    outs.append(v)
            dp = time.perf_counter() - p0
            if timed:
                times[mode][0].append(dp)
            if first is None:
                first = np.concatenate(outs, axis=0).astype(np.float32)
    if args.out_embeddings:
        np.save(args.out_embeddings, first)
    res = {
        "impl": args.impl, "batch": args.batch, "threads": args.threads,
        "texts": len(texts), "iters": args.iters, "warmup": args.warmup,
        "setup_s": setup_s,
        "ort_allow_spinning": (not args.ort_no_spin) if args.impl == "ort" else None,
        "excl": pass_stats(len(texts), *times["excl"]),
        "incl": pass_stats(len(texts), *times["incl"]),
        "versions": versions(),
    }
    print(json.dumps(res), flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    e.add_argument("--onnx", default=DEFAULT_ONNX)
    e.add_argument("--force", action="store_true")
    w = sub.add_parser("worker")
    w.add_argument("--impl", choices=["ort", "torch"], required=True)
    w.add_argument("--file", required=True)
    w.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    w.add_argument("--onnx", default=DEFAULT_ONNX)
    w.add_argument("--batch", type=int, default=1)
    w.add_argument("--threads", type=int, default=2)
    w.add_argument("--iters", type=int, default=5)
    w.add_argument("--warmup", type=int, default=1)
    w.add_argument("--out-embeddings")
    w.add_argument("--ort-no-spin", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "export":
        print(export_onnx(args.model_dir, args.onnx, args.force))
        return 0
    if args.batch < 1 or args.threads < 1 or args.iters < 1 or args.warmup < 0:
        ap.error("batch, threads, iters >= 1; warmup >= 0")
    return worker(args)


if __name__ == "__main__":
    sys.exit(main())

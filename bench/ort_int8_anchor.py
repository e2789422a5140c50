#!/usr/bin/env python3
"""ort_int8_anchor.py — ONNX Runtime's own int8 (dynamic quantisation) next
to ORT fp32 for all-MiniLM-L6-v2 on this machine: throughput and accuracy.

Models (all cached under ~/.cache/ipfs_accelerate/onnx/all-MiniLM-L6-v2/):
  fp32   embed_anchors.export_onnx (torch.onnx.export, opset 17, output
         last_hidden_state; no pooling in the graph)
  int8_* onnxruntime.quantization.quantize_dynamic(fp32) with default op
         types (MatMul/Gather/... as ORT picks), no pre-processing,
         reduce_range=False; weights int8 (QInt8) or uint8 (QUInt8),
         per-channel or per-tensor (see VARIANTS); activations are quantised
         to uint8 at run time (DynamicQuantizeLinear), as ORT always does.

Every model runs in its own worker process (this file, `worker`), with the
session of embed_anchors._make_ort: CPUExecutionProvider, intra-op threads =
--threads, inter-op 1, sequential, graph optimisation ALL; mean pooling +
L2 norm in numpy.

Throughput: embed_anchors.make_texts → --texts texts of about --tokens
tokens (STS-B dev sentences concatenated), batches of --batch, pre-tokenized
with the HF fast tokenizer outside the timed region (tokenization EXCLUDED;
session.run + pooling + norm timed). Per worker: --warmup passes, then
--iters timed passes. --rounds rounds, interleaved (fp32, int8..., fp32,
...), one fresh worker per model per round, so slow drifts of this shared
host hit every model alike. sentences/s = texts / median of all timed passes
of all rounds; ratio = int8 / fp32 of those; per-round ratios kept too.

Accuracy: STS-B dev (/work/shared/data/stsb-en-dev.csv: sentence1,
sentence2, score; no header) — all 3000 sentences embedded in batches of 32
(padding to the longest in the batch, attention mask, mean pooling, L2
norm). Spearman x100 of cos(s1, s2) vs score (scipy.stats.spearmanr);
relative loss = (fp32 - int8) / fp32. Agreement: per-sentence cosine of the
int8 embedding to the fp32 one, mean and min over the 3000 sentences.

Prints a table; writes bench/out/ort_int8_anchor.json (work files in
bench/out/ort_int8_anchor.work/).

  .venv/bin/python bench/ort_int8_anchor.py [--threads 2] [--iters 5]
      [--rounds 3] [--variants int8_s8_pc,int8_u8_pt,int8_s8_pt] [--force-quant]
"""
import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import embed_anchors as ea  # noqa: E402

OUT_JSON = os.path.join(HERE, "out", "ort_int8_anchor.json")
WORK = os.path.join(HERE, "out", "ort_int8_anchor.work")
# name -> quantize_dynamic options (ORT 1.32's defaults are QInt8 per-tensor)
VARIANTS = {
    "int8_s8_pc": {"weight_type": "QInt8", "per_channel": True},
    "int8_u8_pt": {"weight_type": "QUInt8", "per_channel": False},
    "int8_s8_pt": {"weight_type": "QInt8", "per_channel": False},
}


def log(msg):
    print(f"ort_int8_anchor: {msg}", file=sys.stderr, flush=True)


def read_stsb(path):
    """-> (sentence1 list, sentence2 list, score list)"""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return [r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows]


def quantize(fp32, out, opts, force=False):
    """quantize_dynamic once; cached next to the fp32 model."""
    if os.path.exists(out) and not force:
        return None
    from onnxruntime.quantization import QuantType, quantize_dynamic
    tmp = out[:-len(".onnx")] + ".tmp.onnx"
    t0 = time.perf_counter()
    quantize_dynamic(fp32, tmp, weight_type=getattr(QuantType, opts["weight_type"]),
                     per_channel=opts["per_channel"], reduce_range=False)
    os.replace(tmp, out)
    return time.perf_counter() - t0


def op_counts(path):
    import onnx
    m = onnx.load(path, load_external_data=False)
    return dict(sorted(Counter(n.op_type for n in m.graph.node).items()))


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    return platform.machine()


# ----------------------------------------------------------------- worker

def worker(a):
    import numpy as np
    ns = argparse.Namespace(onnx=a.onnx, model_dir=a.model_dir,
                            threads=a.threads, ort_no_spin=False)
    t0 = time.perf_counter()
    tokenize, excl, _ = ea._make_ort(ns, None)
    setup_s = time.perf_counter() - t0
    texts = ea.read_lines(a.file)
    batches = [texts[i:i + a.batch] for i in range(0, len(texts), a.batch)]
    feeds = [tokenize(b) for b in batches]  # outside the timed region
    pass_s, batch_s = [], []
    for it in range(a.warmup + a.iters):
        p0 = time.perf_counter()
        for feed in feeds:
            b0 = time.perf_counter()
            excl(feed)
            if it >= a.warmup:
                batch_s.append(time.perf_counter() - b0)
        if it >= a.warmup:
            pass_s.append(time.perf_counter() - p0)
    if a.out_npy:  # STS-B embeddings, after (outside) the timing
        s1, s2, _ = read_stsb(a.stsb)
        sents = s1 + s2
        np.save(a.out_npy, np.concatenate([excl(tokenize(sents[i:i + 32])) for i in
                                           range(0, len(sents), 32)]).astype(np.float32))
    print(json.dumps({"setup_s": setup_s, "texts": len(texts),
                      **ea.pass_stats(len(texts), pass_s, batch_s)}), flush=True)
    return 0


# ----------------------------------------------------------------- driver

def run_worker(a, name, onnx_path, texts_file, npy):
    cmd = [sys.executable, os.path.abspath(__file__), "worker", "--onnx", onnx_path,
           "--model-dir", a.model_dir, "--file", texts_file, "--batch", str(a.batch),
           "--threads", str(a.threads), "--iters", str(a.iters),
           "--warmup", str(a.warmup), "--stsb", a.stsb]
    cmd += ["--out-npy", npy] if npy else []
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"ort_int8_anchor: {name} worker failed:\n{p.stderr[-3000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    log(f"{name}: {res['sentences_per_s']:.1f} sentences/s")
    return res


def driver(a):
    import numpy as np
    from scipy.stats import spearmanr
    os.makedirs(WORK, exist_ok=True)
    load0 = os.getloadavg()
    fp32 = ea.export_onnx(a.model_dir, a.onnx)
    names = [v for v in a.variants.split(",") if v]
    if set(names) - set(VARIANTS):
        raise SystemExit(f"ort_int8_anchor: unknown variant in {names}")
    models = {"fp32": {"path": fp32, "options": None}}
    for v in names:
        path = fp32[:-len(".onnx")] + f".{v}.onnx"
        q_s = quantize(fp32, path, VARIANTS[v], a.force_quant)
        models[v] = {"path": path, "options": dict(VARIANTS[v], reduce_range=False,
                     op_types_to_quantize="default", pre_process=False),
                     "quantize_s": q_s}
    for m in models.values():
        m["size_mb"] = os.path.getsize(m["path"]) / 1e6
        m["ops"] = op_counts(m["path"])

    texts, lens = ea.make_texts(a.model_dir, a.texts, a.tokens)
    texts_file = os.path.join(WORK, "texts.txt")
    with open(texts_file, "w", encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")

    _, _, scores = read_stsb(a.stsb)
    n = len(scores)
    emb = {}
    for r in range(a.rounds):  # interleaved: fp32, int8..., fp32, int8...
        for name, m in models.items():
            npy = os.path.join(WORK, f"stsb_{name}.npy") if r == 0 else None
            log(f"round {r + 1}/{a.rounds} {name}: worker ...")
            m.setdefault("rounds", []).append(run_worker(a, name, m["path"], texts_file, npy))
            if npy:
                emb[name] = np.load(npy)
    for m in models.values():  # median over the passes of every round
        m["throughput"] = ea.pass_stats(len(texts), [x for rr in m["rounds"]
                                        for x in rr["pass_s_all"]], [])
        del m["throughput"]["batch_ms_p50"], m["throughput"]["batch_ms_p90"]
    ref = emb["fp32"]
    base_sps = models["fp32"]["throughput"]["sentences_per_s"]
    for name, m in models.items():
        m["round_ratios"] = [rr["sentences_per_s"] / r0["sentences_per_s"]
                             for rr, r0 in zip(m["rounds"], models["fp32"]["rounds"])]
        e = emb[name]
        cos = np.sum(e[:n] * e[n:], axis=1)  # embeddings are L2-normalised
        sp = float(spearmanr(cos, scores).statistic) * 100
        agree = np.sum(e * ref, axis=1)
        m["stsb_spearman_x100"] = sp
        m["cos_to_fp32_mean"] = float(agree.mean())
        m["cos_to_fp32_min"] = float(agree.min())
        m["int8_over_fp32"] = m["throughput"]["sentences_per_s"] / base_sps
    sp0 = models["fp32"]["stsb_spearman_x100"]
    for m in models.values():
        m["stsb_rel_loss_pct"] = (sp0 - m["stsb_spearman_x100"]) / sp0 * 100

    hdr = (f"{'model':<12}{'options':<20}{'MB':>5}{'sent/s':>8}{'x fp32':>7}{'rounds':>12}"
           f"{'best':>7}{'STS-B':>8}{'loss%':>7}{'cos mean':>10}{'cos min':>9}")
    print(f"\nall-MiniLM-L6-v2, ORT {ea.versions()['onnxruntime']}, {a.threads} threads, "
          f"batch {a.batch}, {len(texts)} texts x ~{a.tokens} tok (tokenization "
          f"excluded);\nsent/s = median of {a.rounds} rounds x {a.iters} passes (interleaved "
          f"worker per model per round); rounds = min-max of per-round ratio; best = "
          f"fastest pass; STS-B dev {n} pairs")
    print(hdr + "\n" + "-" * len(hdr))
    for name, m in models.items():
        o = m["options"]
        opt = (f"{o['weight_type']} {'per-chan' if o['per_channel'] else 'per-tensor'}"
               if o else "-")
        t, rr = m["throughput"], m["round_ratios"]
        rng = f"{min(rr):.2f}-{max(rr):.2f}"
        print(f"{name:<12}{opt:<20}{m['size_mb']:>5.1f}{t['sentences_per_s']:>8.1f}"
              f"{m['int8_over_fp32']:>7.2f}{rng:>12}{t['sentences_per_s_best']:>7.1f}"
              f"{m['stsb_spearman_x100']:>8.2f}{m['stsb_rel_loss_pct']:>7.2f}"
              f"{m['cos_to_fp32_mean']:>10.5f}{m['cos_to_fp32_min']:>9.5f}")

    out = {
        "bench": "ort_int8_anchor", "model": ea.MODEL_NAME,
        "config": {"threads": a.threads, "inter_op_threads": 1, "batch": a.batch,
                   "texts": len(texts), "tokens_target": a.tokens,
                   "tokens_mean": sum(lens) / len(lens), "iters": a.iters,
                   "warmup": a.warmup, "rounds": a.rounds,
                   "graph_optimization": "ORT_ENABLE_ALL",
                   "provider": "CPUExecutionProvider", "tokenization": "excluded",
                   "stsb": a.stsb, "stsb_pairs": n, "stsb_batch": 32},
        "machine": {"cpu": cpu_model(), "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "loadavg_start": load0, "loadavg_end": os.getloadavg()},
        "versions": ea.versions(),
        "models": models,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with open(OUT_JSON, "w") as f:
        json.dump(out, f, indent=1)
    log(f"wrote {OUT_JSON}")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    w = sub.add_parser("worker")
    for p in (ap, w):
        p.add_argument("--model-dir", default=ea.DEFAULT_MODEL_DIR)
        p.add_argument("--onnx", default=ea.DEFAULT_ONNX)
        p.add_argument("--batch", type=int, default=32)
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--iters", type=int, default=5)
        p.add_argument("--warmup", type=int, default=1)
        p.add_argument("--stsb", default=ea.DEFAULT_STSB)
    w.add_argument("--file", required=True)
    w.add_argument("--out-npy")
    ap.add_argument("--texts", type=int, default=256)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--force-quant", action="store_true")
    a = ap.parse_args(argv)
    if min(a.batch, a.threads, a.iters, getattr(a, "rounds", 1)) < 1 or a.warmup < 0:
        ap.error("batch, threads, iters, rounds >= 1; warmup >= 0")
    return worker(a) if a.cmd == "worker" else driver(a)


if __name__ == "__main__":
    sys.exit(main())

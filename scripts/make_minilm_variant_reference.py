#!/usr/bin/env python3
"""make_minilm_variant_reference.py — writes
test/fixtures/minilm_variants_reference.json, the sentence-transformers
embeddings of the all-MiniLM-L6-v2 variants made by
scripts/make_minilm_variants.py (checked by test/models/test_minilm_variants.c).

Usage (after scripts/setup.sh and scripts/setup_anchors.sh):
  .venv/bin/python scripts/make_minilm_variant_reference.py [--src DIR] [--out FILE]

It builds the variant directories into a temporary directory (running
make_minilm_variants.py as the C test does), loads each with
SentenceTransformer(dir, device="cpu", model_kwargs={"dtype": torch.float32})
and embeds TEXTS (8 texts of 1 to 120 words, one non-ASCII, one truncated at
the 256-token limit) one at a time and as one padded batch.

Why dtype float32: sentence-transformers 6.2 / transformers 5.24 load a
checkpoint in its own dtype by default, so without it minilm-bf16 would run
in bfloat16 (checked below and recorded as default_load_dtype). With it, the
BF16/F16 weights are upcast exactly to float32 at load (checked: every
parameter equals the file's 16-bit value widened to float32) and everything
is computed in float32, as the C core does: the rounding of the weights is
the only difference from the F32 model.

The script also checks (and fails loudly otherwise) that the fixture would
catch the three pooling/dtype bugs the C core once had:
  * mean pooling that divides by the batch's longest length instead of each
    text's own: for every text at most half as long as the longest, the
    batched mean-nonorm embedding differs from sum/longest by >= 40 % of
    its norm and by > 100x the test's max-abs bound;
  * CLS pooling that takes the last token: the [CLS] row differs from the
    last ([SEP]) row by > 100x the max-abs bound, for every text;
  * BF16 converted as if it were F16 is checked in the C test by bug
    injection (the values it gives are not a model sentence-transformers can
    load).

Fixture format (JSON; floats are decimal with 9 significant digits, which
round-trips float32):
  generator, command, versions, source_model, variants_generator
  max_seq_length 256, dim 384
  texts [8], token_counts [8] (with [CLS]/[SEP], after truncation)
  base_embeddings [8][384]  the unchanged model (mean pooling + Normalize,
                            F32 weights), batch 1: what every variant must
                            differ from (the test is not vacuous)
  variants: name -> {
    pipeline                e.g. ["Transformer", "Pooling(cls)"]
    weights_dtype           "F32" | "BF16" | "F16"
    embeddings [8][384]         encode(batch_size=1)
    embeddings_batched [8][384] encode(batch_size=8), one padded batch
    max_abs_single_vs_batched
    vs_base {min_cosine, max_abs}   distance from base_embeddings
    checks {...}            the bug-margin numbers above, per variant
    default_load_dtype      (bf16/f16 only) the parameter dtype of a plain
                            SentenceTransformer(dir) load, for the record
  }
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_minilm_variants  # noqa: E402
from safetensors_np import bf16_bits_to_f32, f16_bits_to_f32, read_file  # noqa: E402

DEFAULT_OUT = os.path.join(ROOT, "test", "fixtures", "minilm_variants_reference.json")
MAX_SEQ = 256
DIM = 384
TEST_MAX_ABS = 1e-4  # the C test's bound

_PARA = (
    "The river wound slowly through the valley, past farms and orchards, "
    "under old stone bridges and beside the quiet villages where people had "
    "lived for centuries, fishing in the mornings and working the fields in "
    "the long summer afternoons. In the autumn the leaves turned red and gold, "
    "and the first frost came early to the higher meadows. Travellers who "
    "crossed the pass in winter told stories of snow so deep that the roads "
    "vanished for weeks, of wolves heard at night, and of the warm kitchens "
    "of the inns where they waited for the thaw, drinking tea and trading news "
    "from distant cities about markets, weddings and wars. Even now, old maps "
    "show the river by its ancient name."
)  # 120 words
_LONG = " ".join([_PARA] * 4)  # 480 words: truncated at 256 tokens

TEXTS = [
    "Hello",                                                     # 1 word
    "Dogs are loyal.",                                           # 3 words
    "Die Straße in Zürich: crème brûlée, naïve café — 東京の天気は晴れです。",  # non-ASCII, 10
    "Sentence embeddings map text to dense vectors.",            # 7 words
    "A man is playing a guitar on the street corner while a small crowd of "
    "people stops to listen and a dog sleeps in the sun.",      # 26 words
    "Scientists have discovered a new species of frog in the rainforest of "
    "Ecuador; it is smaller than a fingernail, bright orange, and sings at "
    "night with a call that sounds like a tiny bell. The researchers say the "
    "area needs protection before logging reaches it.",         # 45 words
    _PARA,                                                       # 120 words
    _LONG,                                                       # truncated
]


def fail(msg):
    print(f"make_minilm_variant_reference: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def cos(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def fmt_row(vec):
    return "[" + ",".join(f"{float(v):.9g}" for v in np.asarray(vec, dtype=np.float32)) + "]"


def dump(path, head, base, variants):
    L = ["{"]
    for k, v in head.items():
        L.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
    L.append('  "base_embeddings": [')
    L.append(",\n".join("    " + fmt_row(r) for r in base))
    L.append("  ],")
    L.append('  "variants": {')
    vs = []
    for name, rec in variants.items():
        V = [f"    {json.dumps(name)}: {{"]
        for k, v in rec.items():
            if k in ("embeddings", "embeddings_batched"):
                continue
            V.append(f"      {json.dumps(k)}: {json.dumps(v)},")
        V.append('      "embeddings": [')
        V.append(",\n".join("        " + fmt_row(r) for r in rec["embeddings"]))
        V.append("      ],")
        V.append('      "embeddings_batched": [')
        V.append(",\n".join("        " + fmt_row(r) for r in rec["embeddings_batched"]))
        V.append("      ]")
        V.append("    }")
        vs.append("\n".join(V))
    L.append(",\n".join(vs))
    L.append("  }")
    L.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")


def token_states(model, texts):
    """Last hidden states of one padded batch and its attention mask."""
    import torch
    prep = getattr(model, "preprocess", None) or model.tokenize
    feats = prep(texts)
    with torch.inference_mode():
        out = model[0](dict(feats))
    return (out["token_embeddings"].float().numpy(),
            feats["attention_mask"].numpy().astype(np.int64))


def check_weights(model, vdir, dtype_name):
    """Every parameter is float32 and equals the file's value widened."""
    tensors, _ = read_file(os.path.join(vdir, "model.safetensors"))
    widen = {"BF16": bf16_bits_to_f32, "F16": f16_bits_to_f32, "F32": lambda a: a}[dtype_name]
    hf = model[0].auto_model
    n = 0
    for name, p in hf.named_parameters():
        dt, arr = tensors.get(name, tensors.get("model." + name, (None, None)))
        if arr is None:
            fail(f"parameter {name} not in {vdir}")
        if dt != dtype_name:
            fail(f"{name} is {dt} in the file, want {dtype_name}")
        got = p.detach().numpy()
        if got.dtype != np.float32 or not np.array_equal(got, widen(arr)):
            fail(f"{vdir}: {name} is not the file's {dtype_name} value widened to float32")
        n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=make_minilm_variants.default_src())
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    import torch
    import transformers
    import tokenizers
    import sentence_transformers
    from sentence_transformers import SentenceTransformer
    torch.manual_seed(0)

    texts = list(TEXTS)
    f32 = {"dtype": torch.float32}
    base = SentenceTransformer(args.src, device="cpu", model_kwargs=f32)
    assert base.max_seq_length == MAX_SEQ
    prep = getattr(base, "preprocess", None) or base.tokenize
    counts = [int(prep([t])["input_ids"].shape[1]) for t in texts]
    n_trunc = sum(1 for c in counts if c == MAX_SEQ)
    if n_trunc != 1 or min(counts) > 3 or not any(ord(ch) > 127 for t in texts for ch in t):
        fail(f"texts do not cover what they should: token counts {counts}")
    with torch.inference_mode():
        base_emb = base.encode(texts, batch_size=1, convert_to_numpy=True).astype(np.float32)

    spec = {
        "minilm-mean-nonorm": (["Transformer", "Pooling(mean)"], "F32"),
        "minilm-cls-nonorm": (["Transformer", "Pooling(cls)"], "F32"),
        "minilm-bf16": (["Transformer", "Pooling(mean)", "Normalize"], "BF16"),
        "minilm-f16": (["Transformer", "Pooling(mean)", "Normalize"], "F16"),
    }
    variants = {}
    default_load_dtype = {}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_minilm_variants.py"),
                        "--src", args.src, "--out", tmp], check=True, stdout=subprocess.DEVNULL)
        for name in make_minilm_variants.VARIANTS:
            vdir = os.path.join(tmp, name)
            pipeline, wdt = spec[name]
            model = SentenceTransformer(vdir, device="cpu", model_kwargs=f32)
            model.eval()
            kinds = [type(m).__name__ for m in model]
            if ("Normalize" in kinds) != ("Normalize" in pipeline):
                fail(f"{name}: modules {kinds}, want {pipeline}")
            n_params = check_weights(model, vdir, wdt)
            if wdt != "F32":
                # What a plain load does (recorded, not used).
                plain = SentenceTransformer(vdir, device="cpu")
                default_load_dtype[name] = str(next(plain.parameters()).dtype)
                del plain
            with torch.inference_mode():
                e1 = model.encode(texts, batch_size=1, convert_to_numpy=True).astype(np.float32)
                eb = model.encode(texts, batch_size=len(texts),
                                  convert_to_numpy=True).astype(np.float32)
            d_sb = float(np.max(np.abs(e1 - eb)))
            if d_sb > 1e-5:
                fail(f"{name}: batch 1 vs batched differ by {d_sb}")
            norms = np.linalg.norm(e1, axis=1)
            normalized = "Normalize" in pipeline
            if normalized != bool(np.allclose(norms, 1.0, atol=1e-5)):
                fail(f"{name}: norms {norms}")
            checks = {}
            h, mask = token_states(model, texts)
            lens = mask.sum(1)
            longest = int(lens.max())
            if name == "minilm-mean-nonorm":
                rel, absd = [], []
                for i in range(len(texts)):
                    s = (h[i] * mask[i][:, None]).sum(0)
                    own = s / lens[i]
                    if np.max(np.abs(own - eb[i])) > 1e-5:
                        fail(f"{name}: text {i}: embedding is not sum/own length")
                    wrong = s / longest
                    rel.append(float(np.linalg.norm(wrong - eb[i]) / np.linalg.norm(eb[i])))
                    absd.append(float(np.max(np.abs(wrong - eb[i]))))
                    if lens[i] * 2 <= longest and (rel[-1] < 0.4 or absd[-1] < 100 * TEST_MAX_ABS):
                        fail(f"{name}: text {i}: sum/longest is too close ({rel[-1]}, {absd[-1]})")
                checks = {"longest_tokens": longest,
                          "sum_over_longest_rel_diff": [round(x, 4) for x in rel],
                          "sum_over_longest_max_abs_diff": [round(x, 4) for x in absd]}
            if name == "minilm-cls-nonorm":
                absd, cs = [], []
                for i in range(len(texts)):
                    if np.max(np.abs(h[i, 0] - eb[i])) > 1e-5:
                        fail(f"{name}: text {i}: embedding is not the [CLS] row")
                    last = h[i, lens[i] - 1]
                    absd.append(float(np.max(np.abs(last - eb[i]))))
                    cs.append(cos(last, eb[i]))
                    if absd[-1] < 100 * TEST_MAX_ABS:
                        fail(f"{name}: text {i}: last token too close to [CLS]")
                checks = {"last_token_max_abs_diff": [round(x, 4) for x in absd],
                          "last_token_cosine": [round(x, 4) for x in cs]}
            vs_base = {"min_cosine": float(f"{min(cos(a, b) for a, b in zip(e1, base_emb)):.9f}"),
                       "max_abs": float(f"{float(np.max(np.abs(e1 - base_emb))):.3g}")}
            print(f"make_minilm_variant_reference: {name}: {n_params} params checked, "
                  f"norms {norms.min():.3f}..{norms.max():.3f}, |max| {np.abs(e1).max():.3f}, "
                  f"single vs batched {d_sb:.2e}, vs base {vs_base}, checks {checks}")
            variants[name] = {
                "pipeline": pipeline,
                "weights_dtype": wdt,
                "max_abs_single_vs_batched": float(f"{d_sb:.3g}"),
                "vs_base": vs_base,
                "checks": checks,
                "embeddings": e1,
                "embeddings_batched": eb,
            }
    for name, dt in default_load_dtype.items():
        variants[name]["default_load_dtype"] = dt

    head = {
        "generator": "scripts/make_minilm_variant_reference.py",
        "command": "python " + " ".join(["scripts/make_minilm_variant_reference.py"] + sys.argv[1:]),
        "variants_generator": "scripts/make_minilm_variants.py",
        "source_model": "all-MiniLM-L6-v2",
        "versions": {
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "load": 'SentenceTransformer(dir, device="cpu", model_kwargs={"dtype": torch.float32}): '
                "16-bit weights are widened to float32 at load and computed in float32",
        "max_seq_length": MAX_SEQ,
        "dim": DIM,
        "texts": texts,
        "token_counts": counts,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(args.out, head, base_emb, variants)
    print(f"make_minilm_variant_reference: wrote {args.out} ({os.path.getsize(args.out)} bytes), "
          f"token counts {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

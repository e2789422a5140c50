#!/usr/bin/env python3
"""make_llama_reference.py — writes test/fixtures/tiny_llama_reference.json,
the golden data for decoder (llama-family) models: greedy decoding with a KV
cache by transformers, on the tiny random models of scripts/make_tiny_llama.py.

Usage (after scripts/setup_anchors.sh; needs torch + transformers):
  .venv/bin/python scripts/make_llama_reference.py [--out FILE]

For each variant it builds the model directory with make_tiny_llama.py into a
temporary directory, loads it with transformers (AutoModelForCausalLM,
dtype float32, attn_implementation "eager", CPU), runs the prefill on the
8-token prompt and then 32 greedy steps, each feeding one token with the
KV cache (transformers 5's `cache=` argument, formerly past_key_values;
use_cache=True), and records the logits.

Fixture format (JSON object)
----------------------------
  generator, command          this script and the command line that wrote it
  model_generator             "scripts/make_tiny_llama.py"
  versions                    torch, transformers, numpy, python
  float_encoding              how a float array is stored (below)
  n_new_tokens                32
  min_gap_required            1e-3 (the generator's seeds were chosen so
                              that every greedy step clears it)
  models                      object: variant name -> record:
    architecture              "LlamaForCausalLM" | "Qwen2ForCausalLM"
    seed                      the seed make_tiny_llama.py used
    weight_scales             the scales it drew the weights with
    weights_sha256            sha256 of the model.safetensors it wrote: a
                              test should check it first, so that a change
                              in numpy's random stream (NumPy does not
                              promise Generator streams stable across
                              versions) reads as that, not as wrong logits
    config                    the config.json the generator wrote (verbatim)
    rope_parameters           RoPE as transformers parsed it (rope_type,
                              rope_theta, factor ...)
    prompt_ids                [8] int token ids (starts with bos id 1)
    generated_ids             [32] greedy tokens: generated_ids[0] =
                              argmax(prefill_logits[7]); generated_ids[j+1]
                              = argmax(decode_logits[j]) for j < 31
    prefill_logits            {"shape": [8, vocab], "data": b64}: logits at
                              every prompt position of the prefill pass
    decode_logits             {"shape": [32, vocab], "data": b64}: row j =
                              logits of the one new position after feeding
                              generated_ids[j] at position 8 + j with the KV
                              cache of positions 0 .. 7 + j. Row 31 (after
                              the last generated token, position 39) picks
                              no token of generated_ids; it is there so that
                              the cache is checked at all 40 positions.
    min_top2_gap              smallest top-1 minus top-2 logit over the
                              prefill's last row and all 32 decode rows
    eos_in_generated          false (checked: stopping at eos_token_id 2
                              would not change the 32 tokens)
    max_abs_cache_vs_full     max |diff| between these logits and one
                              forward pass over all 40 tokens without cache
    matches_generate          true: equal to model.generate(do_sample=False,
                              max_new_tokens=32)

float_encoding: base64 (standard alphabet, with padding) of the array's
bytes as little-endian IEEE float32, row-major (C order); "shape" gives the
dimensions. In C: decode base64, memcpy into float[] on a little-endian host.
In numpy: np.frombuffer(base64.b64decode(s), "<f4").reshape(shape).

The script fails (exit 1, message on stderr) if a greedy step's top-1/top-2
gap is <= 1e-3, if eos appears among the generated ids, if transformers
reports missing/unexpected weights or loads a parameter that differs from
the file, parses config.json to other values, applies other RoPE
frequencies than theta^(-2i/head_dim) / factor, or if cached and uncached
logits or the manual loop and generate() disagree.
"""
import argparse
import base64
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_tiny_llama  # noqa: E402
from safetensors_np import read_file  # noqa: E402

DEFAULT_OUT = os.path.join(ROOT, "test", "fixtures", "tiny_llama_reference.json")
PROMPT_IDS = [1, 72, 101, 108, 108, 111, 32, 119]  # bos, then the bytes of "Hello w"
N_NEW = 32
MIN_GAP = 1e-3


def fail(msg):
    print(f"make_llama_reference: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def b64(arr):
    a = np.ascontiguousarray(arr, dtype="<f4")
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def top2_gap(row):
    s = np.sort(np.asarray(row, dtype=np.float64))
    return float(s[-1] - s[-2])


def check_config(torch, transformers, name, d, cfg):
    """transformers parses config.json to the intended values; for the
    configs in transformers' own form, its save_pretrained() writes the
    same file byte for byte."""
    conf = transformers.AutoConfig.from_pretrained(d)
    for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
              "num_attention_heads", "num_key_value_heads", "rms_norm_eps",
              "max_position_embeddings", "tie_word_embeddings"):
        if getattr(conf, k) != cfg[k]:
            fail(f"{name}: transformers read {k} = {getattr(conf, k)}, file has {cfg[k]}")
    rp = dict(conf.rope_parameters)
    want = cfg.get("rope_parameters")
    if want is None:  # legacy keys
        want = dict(cfg["rope_scaling"])
        want["rope_theta"] = cfg["rope_theta"]
    if rp != want:
        fail(f"{name}: transformers parsed RoPE as {rp}, want {want}")
    if "rope_parameters" in cfg:
        with tempfile.TemporaryDirectory() as t:
            conf.save_pretrained(t)
            with open(os.path.join(t, "config.json")) as f:
                theirs = f.read()
        with open(os.path.join(d, "config.json")) as f:
            ours = f.read()
        if theirs != ours:
            fail(f"{name}: config.json differs from what transformers "
                 f"{transformers.__version__} writes:\n{theirs}\nvs\n{ours}")
    return rp


def run_variant(torch, transformers, name, d, seed):
    cfg = json.load(open(os.path.join(d, "config.json")))
    rope = check_config(torch, transformers, name, d, cfg)
    model, info = transformers.AutoModelForCausalLM.from_pretrained(
        d, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    if any(info.get(k) for k in ("missing_keys", "unexpected_keys", "mismatched_keys",
                                 "error_msgs")):
        fail(f"{name}: loading info {info}")
    model.eval()
    if type(model).__name__ != cfg["architectures"][0]:
        fail(f"{name}: loaded {type(model).__name__}")
    # Every parameter is exactly the file's (lm_head tied for qwen2).
    tensors, _ = read_file(os.path.join(d, "model.safetensors"))
    sd = model.state_dict()
    for k, (_, arr) in tensors.items():
        if not np.array_equal(sd[k].detach().numpy(), arr):
            fail(f"{name}: parameter {k} differs from the file")
    if cfg["tie_word_embeddings"]:
        if "lm_head.weight" in tensors:
            fail(f"{name}: tied model has lm_head.weight in the file")
        if not torch.equal(model.lm_head.weight, model.model.embed_tokens.weight):
            fail(f"{name}: lm_head is not tied to embed_tokens")

    # RoPE as applied: inv_freq = theta^(-2i/head_dim) / factor (linear).
    hd = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    want_inv = 1.0 / (rope["rope_theta"] ** (np.arange(0, hd, 2) / hd))
    if rope["rope_type"] == "linear":
        want_inv = want_inv / rope["factor"]
    elif rope["rope_type"] != "default":
        fail(f"{name}: rope_type {rope['rope_type']} not covered by this check")
    got_inv = model.model.rotary_emb.inv_freq.double().numpy()
    if not np.allclose(got_inv, want_inv, rtol=1e-6, atol=0):
        fail(f"{name}: transformers' inv_freq {got_inv} != {want_inv}")

    eos = cfg["eos_token_id"]
    with torch.inference_mode():
        ids = torch.tensor([PROMPT_IDS], dtype=torch.long)
        out = model(input_ids=ids, use_cache=True)
        prefill = out.logits[0].float().numpy().copy()          # [8, V]
        past = out.cache
        nxt = int(np.argmax(prefill[-1]))
        gen, dec = [], []
        for step in range(N_NEW):
            gen.append(nxt)
            out = model(input_ids=torch.tensor([[nxt]]), cache=past, use_cache=True)
            past = out.cache
            row = out.logits[0, -1].float().numpy().copy()
            dec.append(row)
            nxt = int(np.argmax(row))
        dec = np.stack(dec)                                        # [32, V]

        # Cross-check 1: one forward pass over all 40 tokens, no cache.
        full_ids = torch.tensor([PROMPT_IDS + gen])
        full = model(input_ids=full_ids, use_cache=False).logits[0].float().numpy()
        mine = np.concatenate([prefill, dec])
        max_full = float(np.max(np.abs(full - mine)))
        if max_full > 1e-4:
            fail(f"{name}: cached vs uncached logits differ by {max_full}")
        # Cross-check 2: transformers' own greedy generate().
        g = model.generate(ids, do_sample=False, max_new_tokens=N_NEW, num_beams=1,
                           temperature=None, top_p=None, top_k=None)
        g = g[0, len(PROMPT_IDS):].tolist()
        if g != gen:
            fail(f"{name}: generate() gives {g}, the manual loop {gen}")

    gaps = [top2_gap(prefill[-1])] + [top2_gap(r) for r in dec]
    min_gap = min(gaps)
    if min_gap <= MIN_GAP:
        worst = int(np.argmin(gaps))
        fail(f"{name}: top-1/top-2 gap {min_gap:.3g} <= {MIN_GAP} at greedy step {worst} "
             f"(seed {seed}): choose another seed in scripts/make_tiny_llama.py")
    if eos in gen:
        fail(f"{name}: eos {eos} among generated ids {gen} (seed {seed}): choose another seed")
    for j in range(N_NEW - 1):
        assert gen[j + 1] == int(np.argmax(dec[j]))
    print(f"make_llama_reference: {name}: seed {seed}, generated {gen}, "
          f"{len(set(gen))} distinct, min top-2 gap {min_gap:.4f}, "
          f"logit std {float(np.std(mine)):.2f}, cache vs full {max_full:.2e}")
    return {
        "architecture": cfg["architectures"][0],
        "seed": seed,
        "weight_scales": make_tiny_llama.scales_for(name),
        "weights_sha256": sha256_of(os.path.join(d, "model.safetensors")),
        "config": cfg,
        "rope_parameters": rope,
        "prompt_ids": list(PROMPT_IDS),
        "generated_ids": gen,
        "prefill_logits": b64(prefill),
        "decode_logits": b64(dec),
        "min_top2_gap": float(f"{min_gap:.6g}"),
        "eos_in_generated": False,
        "max_abs_cache_vs_full": float(f"{max_full:.3g}"),
        "matches_generate": True,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--variant", action="append", choices=sorted(make_tiny_llama.VARIANTS))
    ap.add_argument("--seed", type=int, default=None,
                    help="override the generator's seed (to search for one; "
                         "the fixture is then not reproducible by the default command)")
    args = ap.parse_args()

    import torch
    import transformers
    torch.manual_seed(0)
    torch.set_num_threads(1)

    models = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.variant or list(make_tiny_llama.VARIANTS):
            # The generator as a user runs it (a subprocess), so the fixture
            # checks the command line too.
            cmd = [sys.executable, os.path.join(ROOT, "scripts", "make_tiny_llama.py"),
                   "--out", tmp, "--variant", name]
            if args.seed is not None:
                cmd += ["--seed", str(args.seed)]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            seed = args.seed if args.seed is not None else make_tiny_llama.VARIANTS[name][1]
            models[name] = run_variant(torch, transformers, name, os.path.join(tmp, name), seed)

    doc = {
        "generator": "scripts/make_llama_reference.py",
        "command": "python " + " ".join(["scripts/make_llama_reference.py"] + sys.argv[1:]),
        "model_generator": "scripts/make_tiny_llama.py",
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "float_encoding": "base64 of little-endian float32, row-major; shape in 'shape'",
        "n_new_tokens": N_NEW,
        "min_gap_required": MIN_GAP,
        "note": "greedy decoding with the KV cache (transformers, float32, eager "
                "attention, CPU); see the docstring of scripts/make_llama_reference.py "
                "for every field",
        "models": models,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"make_llama_reference: wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

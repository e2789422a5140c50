#!/usr/bin/env python3
"""make_reference.py — writes test/fixtures/minilm_reference.json, the golden
data the C core is checked against for sentence-transformers/all-MiniLM-L6-v2.

It loads the model offline from the local model cache with
sentence-transformers (pipeline Transformer -> Pooling(mean) -> Normalize) and
records, for a fixed list of varied texts:

  ids                 token ids as sentence-transformers feeds them to the
                      model ([CLS] ... [SEP], truncated to max_seq_length=256;
                      NOT tokenizer.json's own truncation of 128), checked
                      against `tokenizers` Tokenizer.from_file(...) with
                      truncation 256 and no padding;
  embeddings          model.encode(texts, batch_size=1) — normalised vectors;
  embeddings_batched  model.encode(texts, batch_size=len(texts)) — the same
                      texts as one padded batch (checked to agree).

Usage (after scripts/setup.sh and scripts/setup_anchors.sh):
  .venv/bin/python scripts/make_reference.py [--model-dir DIR] [--out FILE]
"""
import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

MAX_SEQ = 256
DIM = 384
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL_DIR = os.path.join(
    os.environ.get("IA_MODEL_DIR",
                   os.path.expanduser("~/.cache/ipfs_accelerate/models")),
    "all-MiniLM-L6-v2")
DEFAULT_OUT = os.path.join(ROOT, "test", "fixtures", "minilm_reference.json")

# A long English paragraph (well over 256 word pieces once repeated).
_LONG_EN = (
    "The history of computing is a story of abstraction layered upon "
    "abstraction, from vacuum tubes and punched cards to transistors, "
    "integrated circuits, operating systems, compilers, and networks that "
    "span the globe. Each generation of engineers built tools that hid the "
    "complexity of the layer beneath, so that the next generation could "
    "think in larger units. "
)
# A long mixed-script text: English, accents, CJK, numbers and punctuation,
# so that truncation falls in the middle of something other than plain words.
_LONG_MIXED = (
    "Résumé № 42: naïve café-owners in Zürich (population ≈ 421,878) serve "
    "crème brûlée; 東京の天気は晴れです。北京欢迎你！서울은 아름다운 도시입니다. "
    "Prices: $3.50, €4.20, £2.99 — 50% off!!! email: test@example.com; "
)

TEXTS = [
    # --- edge cases --------------------------------------------------------
    "",                                                   # empty
    "hello",                                              # one word
    "Hello",                                              # case folding
    "café naïve Ångström résumé façade jalapeño",        # accents (NFC)
    "cafe\u0301 nai\u0308ve",                             # combining marks (NFD)
    "我爱自然语言处理。今天天气很好。",                    # Chinese
    "私は東京に住んでいます。カタカナとひらがな。",          # Japanese
    "안녕하세요, 만나서 반갑습니다.",                         # Korean (Hangul)
    "I love pizza 🍕🍕 and 🎉 parties 👍🏽 ❤️",              # emoji (+ ZWJ/VS)
    "3.14159 2,718 1e-9 -42 +7 0x1F 1/2 100% 2024-01-01",  # numbers
    "!!! ??? ... ,,, ;;; --- ((( ))) @#$%^&*",           # punctuation only
    "ThE qUiCk BrOwN fOx JuMpS oVeR tHe LaZy DoG",       # mixed case
    "tabs\tand\nnew\r\nlines\n\n\there",                  # tabs / newlines
    "control\x01chars\x07in\x1bthe\x7ftext\u200bzero\ufeffwidth\u00adsoft",
    "Visit https://www.example.com/path?query=1&lang=en#frag for more.",
    "def f(x):\n    return {'a': x ** 2, \"b\": [1, 2, 3]}  # code",
    "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",   # Greek
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",  # Cyrillic
    "مرحبا بالعالم، كيف حالك اليوم؟",                           # Arabic
    "Die Straße ist groß. İstanbul'da ılık bir gün, ŞEKER.",     # ß, Turkish İ/ı
    "pneumonoultramicroscopicsilicovolcanoconiosis",     # long single word
    "x" * 100,                                            # 100-char word (limit)
    "y" * 101,                                            # 101-char word -> [UNK]
    "   many     spaces    between   words   ",          # repeated whitespace
    "\u3000ideographic\u00a0no-break\u2003em\u2009thin spaces",  # unicode spaces
    " ".join(["a"] * 254),                                # exactly 256 ids
    " ".join(["a"] * 255),                                # 257 -> truncated by 1
    _LONG_EN * 6,                                         # long English, truncated
    _LONG_MIXED * 8,                                      # long mixed, truncated
    # --- ordinary English sentences of different lengths ------------------
    "A man is playing a guitar.",
    "The cat sat on the mat.",
    "Machine learning models can be compressed without losing much accuracy.",
    "She walked to the market early in the morning to buy fresh bread and "
    "vegetables for the family dinner.",
    "Is this the right way to the train station?",
    "The quarterly report shows that revenue grew by twelve percent, driven "
    "mostly by strong demand in the Asian markets, while costs remained flat "
    "thanks to careful management of the supply chain.",
    "Dogs are loyal.",
    "Scientists have discovered a new species of frog in the rainforest of "
    "Ecuador.",
    "Please remember to turn off the lights when you leave the office.",
    "The old lighthouse keeper watched the storm roll in over the dark, "
    "churning sea, wondering whether the supply boat would make it before "
    "nightfall, as it had every week for the last thirty years.",
    "Sentence embeddings map text to dense vectors.",
]


def fmt_row(vec):
    return "[" + ",".join(f"{float(v):.8g}" for v in vec) + "]"


def dump(obj_scalar, ids, embs, embs_b, path):
    """Writes JSON with one array row per line (small diffs, readable)."""
    lines = ["{"]
    for k, v in obj_scalar.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
    lines.append('  "ids": [')
    lines.append(",\n".join("    " + json.dumps(r, separators=(",", ":"))
                            for r in ids))
    lines.append("  ],")
    lines.append('  "embeddings": [')
    lines.append(",\n".join("    " + fmt_row(r) for r in embs))
    lines.append("  ],")
    lines.append('  "embeddings_batched": [')
    lines.append(",\n".join("    " + fmt_row(r) for r in embs_b))
    lines.append("  ]")
    lines.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    import torch
    import tokenizers
    import transformers
    import sentence_transformers
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    torch.manual_seed(0)
    model = SentenceTransformer(args.model_dir, device="cpu")
    model.eval()
    assert model.max_seq_length == MAX_SEQ, model.max_seq_length
    dim_fn = getattr(model, "get_embedding_dimension", None) or \
        model.get_sentence_embedding_dimension
    assert dim_fn() == DIM
    # sentence-transformers >= 6 renamed tokenize() to preprocess().
    prep = getattr(model, "preprocess", None) or model.tokenize

    texts = list(TEXTS)
    assert len(texts) >= 36, len(texts)
    for t in texts:
        assert "\x00" not in t  # the C API takes NUL-terminated strings

    # Token ids exactly as sentence-transformers feeds them (one text at a
    # time, so there is no padding to strip).
    ids = []
    for t in texts:
        feats = prep([t])
        row = feats["input_ids"][0].tolist()
        mask = feats["attention_mask"][0].tolist()
        assert all(m == 1 for m in mask), "unexpected padding"
        ids.append(row)

    # Cross-check against the raw `tokenizers` library with truncation 256.
    tok = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_SEQ)
    for t, row in zip(texts, ids):
        ref = tok.encode(t).ids
        assert ref == row, f"tokenizer mismatch for {t[:40]!r}: {ref} vs {row}"
        assert row[0] == 101 and row[-1] == 102 and len(row) <= MAX_SEQ

    with torch.inference_mode():
        embs = model.encode(texts, batch_size=1, convert_to_numpy=True)
        embs_b = model.encode(texts, batch_size=len(texts),
                              convert_to_numpy=True)
    embs = np.asarray(embs, dtype=np.float64)
    embs_b = np.asarray(embs_b, dtype=np.float64)
    assert embs.shape == (len(texts), DIM), embs.shape
    norms = np.linalg.norm(embs, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5), norms
    diff = float(np.max(np.abs(embs - embs_b)))
    assert diff < 1e-5, f"batched vs single differ by {diff}"

    # Empirical check of the pipeline: mean pooling over the attention mask
    # of the last hidden state, then L2 normalisation, gives the same vectors.
    hf = model[0].auto_model
    with torch.inference_mode():
        for i in (0, 5, len(texts) - 1):
            x = torch.tensor([ids[i]])
            h = hf(input_ids=x, attention_mask=torch.ones_like(x),
                   token_type_ids=torch.zeros_like(x)).last_hidden_state[0]
            v = h.mean(dim=0)
            v = (v / v.norm()).numpy()
            assert np.max(np.abs(v - embs[i])) < 1e-5

    n_trunc = sum(1 for t in texts if len(tok.encode(t).ids) == MAX_SEQ and
                  _untruncated_len(tok, t) > MAX_SEQ)
    meta = {
        "model": "all-MiniLM-L6-v2",
        "generator": "scripts/make_reference.py",
        "versions": {
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
        },
        "max_seq_length": MAX_SEQ,
        "dim": DIM,
        "pipeline": ["Transformer", "Pooling(mean)", "Normalize"],
        "note": "ids include [CLS]/[SEP], truncated to max_seq_length (256, "
                "from sentence_bert_config.json, not tokenizer.json's 128); "
                "embeddings: encode(batch_size=1); embeddings_batched: "
                "encode(batch_size=len(texts)); floats to 8 significant "
                "digits",
        "max_abs_diff_single_vs_batched": float(f"{diff:.3g}"),
        "texts": texts,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(meta, ids, embs, embs_b, args.out)
    size = os.path.getsize(args.out)
    lens = [len(r) for r in ids]
    print(f"make_reference: wrote {args.out} ({size} bytes): {len(texts)} "
          f"texts, token counts {min(lens)}..{max(lens)}, {n_trunc} truncated, "
          f"single-vs-batched max |diff| {diff:.2e}")
    print("make_reference: versions " + json.dumps(meta["versions"]))
    return 0


def _untruncated_len(tok, text):
    tok.no_truncation()
    n = len(tok.encode(text).ids)
    tok.enable_truncation(max_length=MAX_SEQ)
    return n


if __name__ == "__main__":
    sys.exit(main())

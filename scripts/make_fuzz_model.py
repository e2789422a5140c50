#!/usr/bin/env python3
"""make_fuzz_model.py MINILM_TOKENIZER OUT_TOKENIZER SEEDS_DIR

Writes what test/fuzz/fuzz_model_dir.c starts from (standard library only):

  OUT_TOKENIZER  a tiny tokenizer.json: all-MiniLM-L6-v2's pipeline
                 (BertNormalizer, BertPreTokenizer, WordPiece, the [CLS] ...
                 [SEP] template) over a 96-token vocabulary, so that opening
                 it costs microseconds, not the 30522-token original's
                 milliseconds, on every fuzz input;
  SEEDS_DIR/*    fuzz inputs, each a small valid BERT model directory in the
                 target's input format: parts joined by SEP, in the order
                 config.json, model.safetensors, text, modules.json,
                 1_Pooling/config.json, sentence_bert_config.json (trailing
                 parts may be absent: the file is then not written).

The models are real BERT encoders of random weights (fixed seed) small
enough to fuzz: hidden 16, 2 heads, 1-2 layers, intermediate 32, the tiny
vocabulary; weights in F32, F16 and BF16 (the loader converts the last two),
with and without the "bert." prefix, mean and CLS pooling, with and without
Normalize, texts that tokenize to [UNK]s, word pieces and truncation, and
two that embed must refuse or cut: token ids past a 40-row table, a text
longer than 4 positions.
"""
import json
import os
import random
import struct
import sys

SEP = b"\x00\xffIA\xff\x00"  # never in JSON text; 6 bytes, in the fuzz dictionary

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "quick", "brown", "fox", "hello", "world", "a", "is", "of", "and", "dog", "lazy", "over"]
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
PIECES = ["##" + c for c in LETTERS]
OTHER = list("0123456789.,!?'-") + ["日", "本", "中", "文", "##s", "##ing"]
VOCAB = SPECIAL + WORDS + LETTERS + PIECES + OTHER
VOCAB = VOCAB[:96]


def tiny_tokenizer(minilm_path):
    t = json.load(open(minilm_path))
    ids = {tok: i for i, tok in enumerate(VOCAB)}
    t["model"]["vocab"] = ids
    t["added_tokens"] = [dict(a, id=ids[a["content"]]) for a in t["added_tokens"] if a["content"] in ids]
    for name, spec in t["post_processor"]["special_tokens"].items():
        spec["ids"] = [ids[name]]
    t["truncation"] = {"max_length": 24, "strategy": "LongestFirst", "stride": 0}
    t["padding"] = None
    return t


def f16_bits(x):
    return struct.unpack("<H", struct.pack("<e", x))[0]


def pack(values, dtype):
    if dtype == "F32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "F16":
        return struct.pack("<%dH" % len(values), *[f16_bits(v) for v in values])
    if dtype == "BF16":  # the upper half of the F32 bits (truncation, as torch rounds close enough here)
        return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)
    if dtype == "I64":
        return struct.pack("<%dq" % len(values), *values)
    raise ValueError(dtype)


def safetensors(tensors):
    """tensors: list of (name, dtype, shape, values) -> file bytes."""
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, dtype, shape, values in sorted(tensors):
        raw = pack(values, dtype)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
        data += b"\0" * (-len(data) % 8)  # keep every tensor 8-aligned, as the writers do
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def bert(rng, hidden=16, heads=2, layers=2, inter=32, max_pos=32, types=2, dtypes=("F32",), prefix="",
         vocab=len(VOCAB)):
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
              "hidden_size": hidden, "num_attention_heads": heads, "num_hidden_layers": layers,
              "intermediate_size": inter, "max_position_embeddings": max_pos, "type_vocab_size": types,
              "vocab_size": vocab, "layer_norm_eps": 1e-12}
    tensors = []
    k = [0]

    def w(name, *shape, scale=0.2, const=None):
        n = 1
        for d in shape:
            n *= d
        vals = [const] * n if const is not None else [rng.uniform(-scale, scale) for _ in range(n)]
        dtype = dtypes[k[0] % len(dtypes)]
        k[0] += 1
        tensors.append((prefix + name, dtype, list(shape), vals))

    tensors.append((prefix + "embeddings.position_ids", "I64", [1, max_pos], list(range(max_pos))))
    w("embeddings.word_embeddings.weight", vocab, hidden)
    w("embeddings.position_embeddings.weight", max_pos, hidden)
    w("embeddings.token_type_embeddings.weight", types, hidden)
    w("embeddings.LayerNorm.weight", hidden, const=1.0)
    w("embeddings.LayerNorm.bias", hidden, scale=0.01)
    for layer in range(layers):
        p = "encoder.layer.%d." % layer
        for part in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense"):
            w(p + part + ".weight", hidden, hidden)
            w(p + part + ".bias", hidden, scale=0.01)
        w(p + "attention.output.LayerNorm.weight", hidden, const=1.0)
        w(p + "attention.output.LayerNorm.bias", hidden, scale=0.01)
        w(p + "intermediate.dense.weight", inter, hidden)
        w(p + "intermediate.dense.bias", inter, scale=0.01)
        w(p + "output.dense.weight", hidden, inter)
        w(p + "output.dense.bias", hidden, scale=0.01)
        w(p + "output.LayerNorm.weight", hidden, const=1.0)
        w(p + "output.LayerNorm.bias", hidden, scale=0.01)
    return json.dumps(config, indent=1).encode(), safetensors(tensors)


def modules(normalize=True):
    m = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
         {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        m.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    return json.dumps(m).encode()


def pooling(mode="mean", dim=16):
    return json.dumps({"word_embedding_dimension": dim, "pooling_mode_cls_token": mode == "cls",
                       "pooling_mode_mean_tokens": mode == "mean", "pooling_mode_max_tokens": False,
                       "pooling_mode_mean_sqrt_len_tokens": False}).encode()


def main():
    minilm, out_tok, seeds = sys.argv[1:4]
    os.makedirs(os.path.dirname(out_tok) or ".", exist_ok=True)
    os.makedirs(seeds, exist_ok=True)
    with open(out_tok, "w") as f:
        json.dump(tiny_tokenizer(minilm), f)
    rng = random.Random(20261204)
    sbert = json.dumps({"max_seq_length": 16, "do_lower_case": False}).encode()
    cases = {
        # name: (bert kwargs, text, modules.json, pooling config, sentence_bert_config.json)
        "st_mean_norm": ({}, "hello world", modules(), pooling(), sbert),
        "st_cls_f16": ({"dtypes": ("F16",)}, "the quick brown fox", modules(False), pooling("cls"), sbert),
        "st_mixed_dtypes": ({"dtypes": ("F32", "F16", "BF16")}, "lazy dogs jumping!", modules(), pooling(), None),
        "hf_plain_prefix": ({"layers": 1, "prefix": "bert."}, "a fox is of the world", None, None, None),
        "hf_bf16_truncated": ({"layers": 1, "dtypes": ("BF16",)},
                              "the quick brown fox jumps over the lazy dog " * 4, None, None, None),
        "st_cjk_unk": ({"layers": 1, "max_pos": 8}, "日本 中文 ÀÉÎ xyz 😀 42", modules(), pooling(), None),
        "st_empty_text": ({"layers": 1, "types": 1}, "", modules(), pooling(), sbert),
        # the tokenizer's ids reach past the model's 40-row table: embed must refuse
        "hf_small_vocab": ({"layers": 1, "vocab": 40}, "zebra ##z 日本 xyz", None, None, None),
        # 4 positions for a long text: truncated to 4 tokens
        "hf_four_positions": ({"layers": 1, "max_pos": 4}, "the quick brown fox " * 10, None, None, None),
    }
    for name, (kw, text, mods, pool, sb) in cases.items():
        config, weights = bert(rng, **kw)
        parts = [config, weights, text.encode()]
        if mods is not None:
            parts += [mods, pool or b"", sb or b""]
            if sb is None:
                parts.pop()
        with open(os.path.join(seeds, name), "wb") as f:
            f.write(SEP.join(parts))


if __name__ == "__main__":
    main()

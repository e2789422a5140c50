#!/usr/bin/env python3
"""make_bpe_tokenizer_json.py — writes Hugging Face tokenizer.json files of
BPE kinds, and the ids `tokenizers` gives for llama.cpp's test texts, for
test/tokenize/test_tokenizer_json_bpe.c (made at test time: the files are
megabytes, nothing is committed).

For each NAME: OUT/NAME/tokenizer.json is transformers' conversion of
build-anchors/llama.cpp-src/models/ggml-vocab-NAME.gguf
(AutoTokenizer.from_pretrained(dir, gguf_file=...)): gpt-2 (ByteLevel),
llama-bpe (Split with the llama3 regex + ByteLevel), qwen2 (Split with the
qwen2 regex), llama-spm (Metaspace, byte_fallback), phi-3 (Prepend/Replace
normalizer, byte_fallback). NAME "smollm2" converts the SmolLM2 GGUF (path as
the third argument) with SmolLM2's Digits + ByteLevel pre-tokenizer put back
(see make_bpe_reference.py).
OUT/NAME/expected.json: [{"text", "ids" (add_special_tokens=True),
"ids_plain" (False)}] for every text of ggml-vocab-NAME.gguf.inp (or, for
smollm2, of llama-bpe's).

Usage: .venv/bin/python scripts/make_bpe_tokenizer_json.py OUT NAME [GGUF]
"""
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
MODELS = os.path.join(ROOT, "build-anchors", "llama.cpp-src", "models")
SEP = "\n__ggml_vocab_test__\n"


def texts_of(name):
    with open(os.path.join(MODELS, "ggml-vocab-%s.gguf.inp" % name), encoding="utf-8") as f:
        raw = f.read()
    out = raw.split(SEP)
    if out and out[-1] == "":
        out.pop()
    return out


def main():
    from transformers import AutoTokenizer
    out_dir, name = sys.argv[1], sys.argv[2]
    if name == "smollm2":
        from tokenizers import pre_tokenizers
        path = sys.argv[3]
        tok = AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(path)),
                                            gguf_file=os.path.basename(path))
        tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ])
        texts = texts_of("llama-bpe")
    else:
        tok = AutoTokenizer.from_pretrained(MODELS, gguf_file="ggml-vocab-%s.gguf" % name)
        texts = texts_of(name)
    bt = tok.backend_tokenizer
    dst = os.path.join(out_dir, name)
    os.makedirs(dst, exist_ok=True)
    bt.save(os.path.join(dst, "tokenizer.json"))
    cases = [{"text": t, "ids": bt.encode(t, add_special_tokens=True).ids,
              "ids_plain": bt.encode(t, add_special_tokens=False).ids} for t in texts]
    with open(os.path.join(dst, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False)


if __name__ == "__main__":
    main()

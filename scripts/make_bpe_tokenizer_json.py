#!/usr/bin/env python3
"""make_bpe_tokenizer_json.py — writes Hugging Face tokenizer.json files of
BPE kinds, and the ids `tokenizers` gives for llama.cpp's test texts, for
test/tokenize/test_tokenizer_json_bpe.c (made at test time: the files are
megabytes, nothing is committed).

For each NAME: OUT/NAME/tokenizer.json is transformers' conversion of
build-anchors/llama.cpp-src/models/ggml-vocab-NAME.gguf: gpt-2 (ByteLevel),
llama-bpe (Split with the llama3 regex + ByteLevel), qwen2 (Split with the
qwen2 regex), llama-spm (Metaspace, byte_fallback), phi-3 (Prepend/Replace
normalizer, byte_fallback). NAME "smollm2" converts the SmolLM2 GGUF (path as
the third argument) with SmolLM2's Digits + ByteLevel pre-tokenizer put back
(see make_bpe_reference.py).
OUT/NAME/expected.json: [{"text", "ids" (add_special_tokens=True),
"ids_plain" (False)}] for every text of ggml-vocab-NAME.gguf.inp (or, for
smollm2, of llama-bpe's).

The conversion is what AutoTokenizer.from_pretrained(dir, gguf_file=...)
does — transformers' get_gguf_tokenizer + convert_gguf_tokenizer, wrapped in
TokenizersBackend with the file's tokenizer_config — except that the metadata
is read with gguf-py: transformers' own GGUF reader imports torch, which
`make test` does not install (only `make bench`'s anchors do). With torch
present, --check compares the two routes (all five names: identical ids,
2026-12-05).

Usage: .venv/bin/python scripts/make_bpe_tokenizer_json.py OUT NAME [GGUF]
       .venv/bin/python scripts/make_bpe_tokenizer_json.py --check [NAME...]
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


def gguf_tokenizer(path):
    """transformers' tokenizer for a GGUF file, as AutoTokenizer builds it,
    without torch (see the module comment)."""
    from gguf import GGUFReader
    from transformers.integrations.gguf.gguf_tokenizer_mapping import (
        GGUF_TOKENIZER_MAPPING, _SPECIAL_TOKENS, convert_gguf_tokenizer)
    from transformers.tokenization_utils_tokenizers import TokenizersBackend

    reader = GGUFReader(path)
    metadata = {k: f.contents() for k, f in reader.fields.items()
                if k.startswith("tokenizer.") or k == "general.architecture"}
    # From here on, get_gguf_tokenizer's own steps.
    grouped = {group: {name: metadata["tokenizer." + key] for key, name in renames.items()
                       if "tokenizer." + key in metadata}
               for group, renames in GGUF_TOKENIZER_MAPPING.items()}
    tokenizer, config = grouped["tokenizer"], grouped["tokenizer_config"]
    kind = tokenizer.get("tokenizer_type")
    if kind == "llama":
        config.setdefault("add_bos_token", True)
    elif kind == "gemma4":
        config["add_bos_token"] = False
    for name, key in _SPECIAL_TOKENS.items():
        token_id = metadata.get("tokenizer.ggml." + key)
        config[name] = tokenizer["tokens"][token_id] if token_id is not None else None
    fast, extra = convert_gguf_tokenizer(metadata["general.architecture"], tokenizer)
    config.update(extra)
    return TokenizersBackend(tokenizer_object=fast, **config)


def check(names):
    """Compares gguf_tokenizer with AutoTokenizer(gguf_file=) (needs torch)."""
    from transformers import AutoTokenizer
    bad = 0
    for name in names:
        a = AutoTokenizer.from_pretrained(MODELS, gguf_file="ggml-vocab-%s.gguf" % name)
        b = gguf_tokenizer(os.path.join(MODELS, "ggml-vocab-%s.gguf" % name))
        for t in texts_of(name):
            for special in (True, False):
                if a.backend_tokenizer.encode(t, add_special_tokens=special).ids != \
                        b.backend_tokenizer.encode(t, add_special_tokens=special).ids:
                    bad += 1
                    print("%s: differ on %r (special=%s)" % (name, t[:40], special))
        print("%s: %s" % (name, "same" if not bad else "DIFFERENT"))
    return 1 if bad else 0


def main():
    if sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2:] or ["gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3"]))
    out_dir, name = sys.argv[1], sys.argv[2]
    if name == "smollm2":
        from tokenizers import pre_tokenizers
        path = sys.argv[3]
        tok = gguf_tokenizer(path)
        tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ])
        texts = texts_of("llama-bpe")
    else:
        tok = gguf_tokenizer(os.path.join(MODELS, "ggml-vocab-%s.gguf" % name))
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

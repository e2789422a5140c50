#!/usr/bin/env python3
"""make_pretok_reference.py — writes test/fixtures/pretok_reference.json: how
llama.cpp's pre-tokenizer regexes split a set of texts, computed with the
regexes themselves (Python's `regex` module), as a reference for the
hand-written splitters of src/tokenize/pretok_llm.c.

Read from build-anchors/llama.cpp-src/src/llama-vocab.cpp (so nothing is
typed by hand): which `tokenizer.ggml.pre` names map to which pre type (the
if-chain of llama_vocab::impl::load) and each pre type's regex list (the
switch of llm_tokenizer_bpe). The lists are applied as llama.cpp's
unicode_regex_split does: each regex splits every piece of the previous one
into its matches and the text between.

As llama.cpp does before std::regex runs, every non-ASCII White_Space code
point is seen as U+000B while matching (so "\\s" matches it and no other
class does, e.g. U+3000 is outside deepseek's [\u0800-\u4e00]).

Two translations from std::regex (ECMAScript) to Python: "$" becomes "\\Z"
(Python's "$" also matches before a final newline), and the texts avoid
U+001C..U+001F and U+0085, where Python's \\s and llama.cpp's differ.
Pre types whose regexes Python cannot compile, or that llama.cpp splits
with a special-purpose routine matching no regex (\\p{Han}, \\p{AFMoE_digits},
...), are written with "pieces": null.

Usage: .venv/bin/python scripts/make_pretok_reference.py
"""
import json
import os
import re

import regex

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
SRC = os.path.join(ROOT, "build-anchors", "llama.cpp-src", "src", "llama-vocab.cpp")
INP = os.path.join(ROOT, "build-anchors", "llama.cpp-src", "models", "ggml-vocab-llama-bpe.gguf.inp")
OUT = os.path.join(ROOT, "test", "fixtures", "pretok_reference.json")

EXTRA = [
    "ab 1234 ½² 3.14 1,000,000 x12y 0x1F",
    "trailing spaces   \n\n  \n",
    "tabs\t\tand\r\nCRLF\r\n\r\nend",
    "nbsp\u00a0here and ideographic\u3000space \u2003em",
    "Caf\u00e9 na\u00efve \u00c5ngstr\u00f6m \u0394\u03b5\u03bb\u03c4\u03b1 \u041f\u0440\u0438\u0432\u0435\u0442",
    "\u65e5\u672c\u8a9e\u3068\u4e2d\u6587\uff0c\ud55c\uad6d\uc5b4\u3002\uff01\uff1f",
    "I'M you'RE it's DON'T we'Ll they'VE 'd",
    "def f(x):\n    return x**2 + 1  # comment\n\tpass",
    "emoji \U0001F999\U0001F468\u200d\U0001F469 and \u2211 \u2264 \u221e $5 +3 <a> ^ ~ | `q`",
    "e\u0301 n\u0303 \u0915\u093f \u0645\u0631\u062d\u0628\u0627",
    "   ",
    "a",
    "!!!...???",
    "  leading and trailing  ",
]


def cpp_literals(line):
    """The C++ string literals of a line, unescaped."""
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', line):
        s, i, r = m.group(1), 0, []
        while i < len(s):
            if s[i] == "\\" and i + 1 < len(s):
                c = s[i + 1]
                r.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}.get(c, "\\" + c))
                i += 2
            else:
                r.append(s[i])
                i += 1
        out.append("".join(r))
    return out


def parse(src):
    lines = src.split("\n")
    # regex lists by pre type (llm_tokenizer_bpe's switch)
    start = next(i for i, l in enumerate(lines) if "struct llm_tokenizer_bpe : llm_tokenizer" in l)
    lists, cases, i = {}, [], start
    while i < len(lines):
        l = lines[i].strip()
        m = re.match(r"case (LLAMA_VOCAB_PRE_TYPE_\w+):", l)
        if m:
            cases.append(m.group(1))
        elif l.startswith("default:"):
            cases.append("DEFAULT")
        elif l.startswith("regex_exprs = {"):
            exprs = []
            i += 1
            while not lines[i].strip().startswith("};"):
                t = lines[i].strip()
                if not t.startswith("//"):
                    exprs.extend(cpp_literals(t))
                i += 1
            for c in cases:
                lists[c] = exprs
            cases = []
            if "DEFAULT" in lists:
                break
        i += 1
    # names by pre type (llama_vocab::impl::load's if-chain)
    names, pending = {}, []
    for l in lines:
        pending += re.findall(r'tokenizer_pre == "([^"]+)"', l)
        m = re.search(r"pre_type = (LLAMA_VOCAB_PRE_TYPE_\w+);", l)
        if m and pending:
            for n in pending:
                names.setdefault(n, m.group(1))
            pending = []
    names["default"] = "DEFAULT"
    return lists, names


WHITE_SPACE = set(map(chr, [0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                             0x202F, 0x205F, 0x3000]))


def split(text, exprs):
    # lengths are what matters: match on the text as llama.cpp sees it
    text = "".join("\x0b" if c in WHITE_SPACE else c for c in text)
    pieces = [text]
    for e in exprs:
        e = e[:-1] + r"\Z" if e.endswith("$") else e
        rx = regex.compile(e)
        out = []
        for p in pieces:
            at = 0
            for m in rx.finditer(p):
                if m.end() == m.start():
                    continue
                if m.start() > at:
                    out.append(p[at:m.start()])
                out.append(m.group(0))
                at = m.end()
            if at < len(p):
                out.append(p[at:])
        pieces = out
    return [len(p) for p in pieces]


def main():
    with open(SRC, encoding="utf-8") as f:
        lists, names = parse(f.read())
    with open(INP, encoding="utf-8") as f:
        texts = [t for t in f.read().split("\n__ggml_vocab_test__\n") if t] + EXTRA
    for t in texts:
        assert not any(0x1C <= ord(c) <= 0x1F or ord(c) == 0x85 for c in t)
    by_type = {}
    for ty, exprs in sorted(lists.items()):
        try:
            by_type[ty] = {"regexes": exprs, "pieces": [split(t, exprs) for t in texts]}
        except Exception as ex:  # custom \p{...} classes Python lacks
            by_type[ty] = {"regexes": exprs, "pieces": None, "why": str(ex)[:80]}
    out = {"source": "llama.cpp src/llama-vocab.cpp regexes applied with Python regex %s"
                     % regex.__version__,
           "texts": texts,
           "names": dict(sorted(names.items())),
           "types": by_type}
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
        f.write("\n")
    print("wrote %s: %d names, %d pre types, %d texts" % (os.path.relpath(OUT, ROOT), len(names),
                                                          len(by_type), len(texts)))


if __name__ == "__main__":
    main()

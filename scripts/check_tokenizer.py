#!/usr/bin/env python3
"""check_tokenizer.py — compares the C tokenizer with Hugging Face
`tokenizers`, and writes the fixture the C test checks
(test/fixtures/tokenizer_cases.json).

The C side is the built shared library, called through ctypes with the
public API (ia_tokenizer_open / ia_tokenizer_encode). Besides the model's own
tokenizer.json it checks variants (cased, lowercase without accent
stripping, no normalizer, extra added tokens, BertProcessing with left
truncation...), made by replacing top-level keys of that tokenizer.json.

Usage (after scripts/setup.sh and a build in build/):
  .venv/bin/python scripts/check_tokenizer.py                 # compare
  .venv/bin/python scripts/check_tokenizer.py --random 200000 --sweep
  .venv/bin/python scripts/check_tokenizer.py --write-fixture test/fixtures/tokenizer_cases.json

--sweep also encodes every Unicode scalar value in a few contexts.
--charvocab also runs variants whose vocabulary holds every single code
point (and "##" + it), so that the ids spell out the normalized text char by
char: that checks the normalizer itself (NFD, canonical ordering of marks,
lowercase) on random mark-heavy texts, not just its effect on real ids.
Exit status 1 on any difference.
"""
import argparse
import ctypes
import json
import os
import random
import sys
import tempfile
import time
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TOKENIZER = os.path.join(
    os.environ.get("IA_MODEL_DIR", os.path.expanduser("~/.cache/ipfs_accelerate/models")),
    "all-MiniLM-L6-v2", "tokenizer.json")
MAX_LEN = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2

# ----------------------------------------------------------------- texts
CASES = [
    "", " ", "\t\n\r", "hello", "Hello World!", "hello world", "HELLO",
    "ThE qUiCk BrOwN fOx", "a", "I", "[CLS]", "[SEP] [PAD] [UNK] [MASK]",
    "hello[MASK]world", "x[CLS]y", "[cls]", "[[MASK]]", "[MASK", "MASK]",
    # accents and marks
    "café", "naïve", "Ångström", "résumé façade jalapeño", "Crème Brûlée",
    "cafe\u0301", "e\u0301\u0301\u0301", "\u0301leading mark", "a\u0308\u0323",
    "o\u0323\u0302", "\u1e69", "s\u0323\u0307", "\u0344", "\u0f73",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dalgo",
    "\U0001d16d\U0001d165", "\U0001d15e\U0001d165\U0001d16e", "x\u0345\u0301",
    # Turkish, German, Greek, Cyrillic, Arabic, Hebrew, Indic, Thai
    "İstanbul", "İ", "ı", "DİYARBAKIR", "ŞEKER ılık", "Straße", "ß", "STRASSE",
    "ΣΊΣΥΦΟΣ", "Οδυσσεύς", "ς σ Σ", "Съешь же ещё", "Ёлка",
    "مرحبا بالعالم، كيف حالك؟", "שָׁלוֹם עוֹלָם", "नमस्ते दुनिया", "สวัสดีครับ",
    "ǅungla ǈ ǋ", "Ǆ", "ﬁ ﬂ ﬀ", "Ⅻ ⅻ", "Ⓐⓑ", "µ", "Å K Ω",
    # CJK, kana, Hangul
    "中文字符", "我爱自然语言处理。", "東京タワー", "ひらがなカタカナ", "ｶﾀｶﾅ",
    "한국어 텍스트", "안녕하세요", "\u1100\u1161\u11a8", "豈更車", "\U00020000\U0002a6df",
    "\U0002b820\U0002b91f\U0002b920", "\u3400\u4dbf", "\U0002f800\U0002fa1d",
    # emoji, symbols, numbers
    "🍕🍕 🎉", "👍🏽", "❤️", "👨‍👩‍👧‍👦", "🇫🇷", "3.14159", "1,234,567.89", "1e-9",
    "-42 +7 0x1F", "100%", "$5 €4 £3 ¥2", "2024-01-01T12:00:00Z", "½ ¾ ²³",
    "①②③", "Ⅳ", "№ 42", "a+b=c", "x^2 ~y |z| `q`", "<html><body>hi</body></html>",
    "user@example.com", "https://www.example.com/path?q=1&lang=en#frag",
    # punctuation storms and odd spaces
    "!!!???...", "!@#$%^&*()_+-=[]{}|;':\",./<>?", "¿Qué? ¡Sí!", "«guillemets» „low“",
    "…", "—–-", "‘’“”", "、。「」『』", "\u00a0nbsp\u00a0", "\u3000ideo\u3000",
    "em\u2003space thin\u2009space", "zero\u200bwidth", "bom\ufeffmark", "soft\u00adhyphen",
    "line\u2028sep para\u2029sep", "nel\u0085next", "vt\u000bff\u000c", "fs\u001cgs\u001dus\u001f",
    "ctrl\u0001\u0007\u001b\u007f", "bidi\u202e\u202dmark", "\u061c\u200e\u200f",
    "tabs\tand\nnew\r\nlines", "   many     spaces   ", "\ufffdreplacement\ufffd",
    "private\ue000use\U000f0000", "unassigned\u0378\U000e0080", "\u0890\u08e2\U000110cd",
    "\u166d\U000111c9 \u2e43 \u061d", "\u1734 \u07fd \u0b55 \U00011938",
    "\u1c89 \ua7cb \ua7dc \U00010d50 \U00016ea0", "\u2e52\u2e5d", "\u180e mongolian",
    "fullwidth ＡＢＣ１２３！？", "ｈｅｌｌｏ", "ÀÉÎÕÜ àéîõü",
    # long words
    "pneumonoultramicroscopicsilicovolcanoconiosis", "x" * 100, "y" * 101, "é" * 100,
    "é" * 101, "ab" * 60, "supercalifragilisticexpialidocious" * 3,
    "unbelievably unaffordable antidisestablishmentarianism",
]


def long_texts():
    para = ("The history of computing is a story of abstraction layered upon "
            "abstraction, from vacuum tubes and punched cards to transistors. ")
    mixed = ("Résumé № 42: naïve café-owners in Zürich serve crème brûlée; "
             "東京の天気は晴れです。北京欢迎你！서울은 아름다운 도시입니다. ")
    # The encoder normalizes long pieces in chunks cut after spaces, ASCII
    # punctuation and CJK ideographs: put marks and long words around cuts.
    return [para * 20, mixed * 10, "a " * 300, "[MASK] " * 300, "中" * 400,
            "中\u0301" * 600, ".\u0301a" * 400, "x" * 600 + "中\u0301\u0323" + "y" * 600,
            "ab,cd" * 300 + "\u0301", ("word " * 110 + "\u0301\u0300 ") * 3]


POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
    " " * 8 + "\t\n\r", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿĀāĂăĄąĆćİıŁłŒœŠšŸŽžǅǈǋ",
    "\u0300\u0301\u0302\u0303\u0308\u0323\u0327\u0345\u05b0\u064b\u0e31\u093c\u1dc0\u20d0\u302a",
    "αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΣΩάέήίόύώ", "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЖ",
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
    "あいうえおかきくけこアイウエオカキクケコ", "가나다라마바사아자차카타파하한글", "ابتثجحخدذرزسشصضطظعغ",
    "\u00a0\u2000\u2003\u2009\u200b\u200d\u2028\u3000\ufeff\u00ad\u0085\u000b\u0001\u007f",
    "¡¿«»“”‘’—–…·•、。「」！？（）", "€£¥¢§¶©®™°±×÷½¼²³µ",
    "😀😂🍕🎉👍🏽❤️\u200d\ufe0f🇫🇷",
    "[]MASKCLSEPUNKPAD",
]


def random_text(rng, allow_long=True):
    kind = rng.random()
    if kind < 0.03 and allow_long:  # long: crosses the encoder's normalization chunks
        parts = []
        while sum(map(len, parts)) < 1500:
            parts.append(random_text(rng, False))
        return rng.choice([" ", "\n", "", "\t "]).join(parts)
    n = rng.randint(0, 40)
    if kind < 0.15:  # any scalar value
        return "".join(random_scalar(rng) for _ in range(n))
    if kind < 0.25:  # words with special tokens sprinkled in
        words = [rng.choice(["hello", "[MASK]", "[CLS]", "[SEP]", "[UNK]", "[PAD]",
                             "wor[MASK]ld", "[", "]", "MASK", "x"]) for _ in range(n)]
        return rng.choice(["", " ", "  "]).join(words)
    pools = rng.sample(POOLS, rng.randint(1, 4))
    return "".join(rng.choice(rng.choice(pools)) for _ in range(n))


def random_scalar(rng):
    while True:
        r = rng.random()
        if r < 0.5:
            c = rng.randrange(0x80, 0x3000)
        elif r < 0.8:
            c = rng.randrange(0x3000, 0x10000)
        else:
            c = rng.randrange(0x10000, 0x110000)
        if not 0xD800 <= c <= 0xDFFF and c != 0:
            return chr(c)


def random_bytes(rng):
    """Byte strings with invalid UTF-8 (no NUL: the public API is C strings)."""
    n = rng.randint(0, 30)
    out = bytearray()
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            out += rng.choice([b"a", b"b", b" ", b"!", b"\xc3\xa9", b"\xe4\xb8\xad"])
        elif r < 0.7:
            out.append(rng.randrange(0x80, 0x100))
        else:
            out += rng.choice([b"\xe0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                               b"\xf0\x9f\x98", b"\xc0\xaf", b"\xe2\x82", b"\xff\xfe"])
    return bytes(out)


# -------------------------------------------------------------- variants
def variants(base):
    """(name, patch, max_tokens) — patch replaces top-level keys."""
    norm = dict(base["normalizer"])

    def bert_norm(**kw):
        n = dict(norm)
        n.update(kw)
        return {"normalizer": n}
    added = list(base["added_tokens"]) + [
        {"id": 0, "content": "Café", "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": True, "special": False},
        {"id": 0, "content": "<ent>", "single_word": False, "lstrip": True,
         "rstrip": True, "normalized": False, "special": True},
        {"id": 0, "content": "hello", "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": True, "special": False},
        {"id": 0, "content": "[UNUSED0]x", "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": False},
    ]
    return [
        ("minilm", {}, MAX_LEN),
        ("cased", bert_norm(lowercase=False, strip_accents=None), MAX_LEN),
        ("lower_keep_accents", bert_norm(lowercase=True, strip_accents=False), MAX_LEN),
        ("strip_keep_case", bert_norm(lowercase=False, strip_accents=True), MAX_LEN),
        ("no_clean_no_cjk", bert_norm(clean_text=False, handle_chinese_chars=False), MAX_LEN),
        ("no_normalizer", {"normalizer": None}, MAX_LEN),
        ("no_pre_tokenizer", {"pre_tokenizer": None}, MAX_LEN),
        ("added_tokens", {"added_tokens": added}, MAX_LEN),
        ("bert_processing_left", {
            "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 102],
                               "cls": ["[CLS]", 101]},
            "truncation": {"direction": "Left", "max_length": 12, "strategy": "LongestFirst",
                           "stride": 0}}, 0),
        ("json_truncation", {}, 0),
        ("short_max", {}, 5),
        ("no_post_processor", {"post_processor": None}, 20),
    ]


def charvocab_variants(base):
    vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "[MASK]": 4}
    for cp in range(1, 0x110000):
        if not 0xD800 <= cp <= 0xDFFF:
            vocab[chr(cp)] = len(vocab)
            vocab["##" + chr(cp)] = len(vocab)
    model = dict(base["model"], vocab=vocab, max_input_chars_per_word=1000)
    post = {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]}
    norm = dict(base["normalizer"])
    out = []
    for name, kw in [("char_uncased", {}),
                     ("char_lower_keep_accents", {"strip_accents": False}),
                     ("char_strip_keep_case", {"strip_accents": True, "lowercase": False}),
                     ("char_cased", {"lowercase": False, "strip_accents": None}),
                     ("char_no_clean", {"clean_text": False, "handle_chinese_chars": False})]:
        n = dict(norm)
        n.update(kw)
        out.append((name, {"model": model, "normalizer": n, "post_processor": post,
                           "added_tokens": []}, 4096))
    return out


_MARKS = []


def mark_text(rng):
    """Random runs of combining marks of many classes around starters."""
    if not _MARKS:
        _MARKS.extend(c for c in range(0x300, 0x110000)
                      if not 0xD800 <= c <= 0xDFFF and unicodedata.combining(chr(c)))
        _MARKS.extend([0x1D165, 0x1D16D, 0x1D16E, 0x0345, 0x0F71, 0x0F72, 0x0F74, 0x05B0])
    marks = _MARKS
    starters = ("aeiouAEIOUİIıßΣςΩKÅǅ한각각ếởḉǖཱི̈́ᾂ"
                "ΩÅ豈क़𑂚𑤸᜴ x.!")
    out = []
    for _ in range(rng.randint(1, 25)):
        if rng.random() < 0.6:
            out.append(chr(rng.choice(marks)))
        else:
            out.append(rng.choice(starters))
    return "".join(out)


# ------------------------------------------------------------------ sides
class HF:
    def __init__(self, doc, max_tokens):
        from tokenizers import Tokenizer
        self.tok = Tokenizer.from_str(json.dumps(doc))
        self.tok.no_padding()
        if max_tokens:
            self.tok.enable_truncation(max_tokens)

    def encode(self, texts):
        return [e.ids for e in self.tok.encode_batch(texts)]


class C:
    def __init__(self, lib, path):
        self.lib = lib
        self.h = ctypes.c_void_p()
        st = lib.ia_tokenizer_open(path.encode(), ctypes.byref(self.h))
        if st != 0:
            raise RuntimeError("ia_tokenizer_open: %s" % lib.ia_last_error().decode())
        self.buf = (ctypes.c_int32 * 4096)()

    def encode(self, data, max_tokens):
        n = ctypes.c_size_t()
        st = self.lib.ia_tokenizer_encode(self.h, data, max_tokens, self.buf, 4096,
                                          ctypes.byref(n))
        if st != 0:
            return "error %d: %s" % (st, self.lib.ia_last_error().decode())
        if n.value > 4096:
            return "too long"
        return list(self.buf[:n.value])

    def close(self):
        self.lib.ia_tokenizer_free(self.h)


def load_lib(path):
    lib = ctypes.CDLL(path)
    lib.ia_tokenizer_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.ia_tokenizer_encode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                        ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t,
                                        ctypes.POINTER(ctypes.c_size_t)]
    lib.ia_tokenizer_free.argtypes = [ctypes.c_void_p]
    lib.ia_last_error.restype = ctypes.c_char_p
    return lib


def variant_doc(base, patch):
    doc = dict(base)
    doc.update(patch)
    return doc


# ------------------------------------------------------------------ modes
def compare(args, base):
    lib = load_lib(args.lib)
    rng = random.Random(args.seed)
    bad = total = 0
    t0 = time.time()
    todo = variants(base) + (charvocab_variants(base) if args.charvocab else [])
    for name, patch, max_tokens in todo:
        if args.only and name not in args.only.split(","):
            continue
        doc = variant_doc(base, patch)
        hf = HF(doc, max_tokens)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
        c = C(lib, f.name)
        os.unlink(f.name)
        n_random = args.random if name == "minilm" else args.random // 10
        texts = CASES + long_texts() + [random_text(rng) for _ in range(n_random)]
        if name.startswith("char_"):
            texts += [mark_text(rng) for _ in range(args.random)]
        datas = [t.encode("utf-8", "surrogatepass") for t in texts]
        raw = [random_bytes(rng) for _ in range(n_random // 4)]
        texts += [b.decode("utf-8", "replace") for b in raw]
        datas += raw
        if args.sweep and name in ("minilm", "cased", "lower_keep_accents",
                                   "char_uncased", "char_lower_keep_accents"):
            for cp in range(1, 0x110000):
                if 0xD800 <= cp <= 0xDFFF:
                    continue
                s = chr(cp)
                texts.append("a%sb %s e%s\u0301 %s%s" % (s, s, s, s, s))
                datas.append(texts[-1].encode())
        want = []
        for i in range(0, len(texts), 10000):
            want += hf.encode(texts[i:i + 10000])
        for text, data, w in zip(texts, datas, want):
            got = c.encode(data, max_tokens)
            total += 1
            if got != w:
                bad += 1
                if bad <= args.show:
                    print("[%s] %r\n   hf %s\n    c %s" % (name, text[:200], w, got))
        c.close()
        print("%-24s %7d texts checked, %d differ so far" % (name, len(texts), bad),
              flush=True)
    print("%d of %d differ (%.1f s)" % (bad, total, time.time() - t0))
    return 1 if bad else 0


def write_fixture(args, base):
    import tokenizers
    rng = random.Random(1234)
    out = {
        "generator": "scripts/check_tokenizer.py --write-fixture",
        "tokenizers_version": tokenizers.__version__,
        "note": "ids from Hugging Face tokenizers for tokenizer.json of "
                "all-MiniLM-L6-v2 with its top-level keys replaced by `patch`; "
                "max_tokens as passed to ia_tokenizer_encode (0: tokenizer.json's "
                "truncation); a case is {text} or {hex} (raw bytes, possibly "
                "invalid UTF-8, compared with their lossy decoding)",
        "configs": [],
    }
    for name, patch, max_tokens in variants(base):
        doc = variant_doc(base, patch)
        hf = HF(doc, max_tokens)
        if name == "minilm":
            texts = CASES + long_texts() + [random_text(rng, False) for _ in range(60)]
            raw = [random_bytes(rng) for _ in range(20)] + [b"\xff", b"a\xc3", b"\xed\xa0\x80x"]
            # NUL bytes: only reachable through ia_tokenizer_encode_bytes.
            raw += [b"a\x00b", b"\x00", b"hello\x00 world\x00\xff"]
        else:
            texts = rng.sample(CASES, 40) + [random_text(rng, False) for _ in range(20)]
            raw = []
            if name in ("added_tokens", "bert_processing_left", "json_truncation"):
                texts += ["Café cafe CAFÉ xhelloy <ent> a <ent>b   <ent>   c [UNUSED0]x",
                          "[unused0]x hello HELLO héllo", long_texts()[0][:600]]
        cases = []
        for t, ids in zip(texts, hf.encode(texts)):
            cases.append({"text": t, "ids": ids})
        for b, ids in zip(raw, hf.encode([b.decode("utf-8", "replace") for b in raw])):
            cases.append({"hex": b.hex(), "ids": ids})
        out["configs"].append({"name": name, "patch": patch, "max_tokens": max_tokens,
                               "cases": cases})
    with open(args.write_fixture, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print("wrote %s (%d configs)" % (args.write_fixture, len(out["configs"])))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--lib", default=os.path.join(ROOT, "build", "libipfs_accelerate.so"))
    ap.add_argument("--random", type=int, default=20000, help="random texts (minilm)")
    ap.add_argument("--sweep", action="store_true", help="every code point, in context")
    ap.add_argument("--charvocab", action="store_true", help="one-char vocabulary variants")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", type=int, default=20, help="differences to print")
    ap.add_argument("--only", help="comma-separated variant names")
    ap.add_argument("--write-fixture", metavar="PATH")
    args = ap.parse_args()
    with open(args.tokenizer, encoding="utf-8") as f:
        base = json.load(f)
    if args.write_fixture:
        return write_fixture(args, base)
    return compare(args, base)


if __name__ == "__main__":
    sys.exit(main())

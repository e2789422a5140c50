#!/usr/bin/env bash
# fuzz_tokenizer.sh — build and run the libFuzzer target for the tokenizer
# (test/fuzz/fuzz_tokenizer.c) under ASan + UBSan.
#
# Usage: scripts/fuzz_tokenizer.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30; corpus in build-fuzz/corpus_tokenizer (seeded from
#   the reference texts); crashes land in build-fuzz/artifacts/. Installs
#   clang with libFuzzer if missing (scripts/fuzz_common.sh); needs the cached
#   model (scripts/setup.sh); the LLM tokenizers use llama.cpp's vocab GGUFs
#   (scripts/fetch_llamacpp_src.sh) when present, plus a built-in byte-level one.
set -euo pipefail
. "$(dirname "$0")/fuzz_common.sh"
fuzz_init fuzz_tokenizer
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=$FUZZ_OUT
BIN=$OUT/fuzz_tokenizer
CORPUS=$OUT/corpus_tokenizer
mkdir -p "$CORPUS"
clang "${FUZZ_CFLAGS[@]}" src/util/error.c src/util/mapped_file.c src/formats/gguf.c src/formats/gguf_values.c src/tokenize/*.c \
    test/fuzz/fuzz_tokenizer.c \
    -lcjson -lm -o "$BIN"
# Seeds: each reference text as one file.
python3 - "$CORPUS" <<'PY'
import json, sys, os
d = json.load(open("test/fixtures/minilm_reference.json"))
for i, t in enumerate(d["texts"]):
    with open(os.path.join(sys.argv[1], "ref%02d" % i), "wb") as f:
        f.write(t.encode("utf-8"))
PY
exec "$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -artifact_prefix="$OUT/artifacts/" "$@" "$CORPUS"

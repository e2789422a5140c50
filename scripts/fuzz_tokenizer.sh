#!/usr/bin/env bash
# fuzz_tokenizer.sh — build and run the libFuzzer target for the tokenizer
# (test/fuzz/fuzz_tokenizer.c) under ASan + UBSan.
#
# Usage: scripts/fuzz_tokenizer.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30; corpus in build-fuzz/corpus_tokenizer (seeded from
#   the reference texts); crashes land in build-fuzz/artifacts/. Needs clang
#   with libFuzzer (scripts/fuzz_safetensors.sh installs it) and the cached
#   model (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=build-fuzz
BIN=$OUT/fuzz_tokenizer
CORPUS=$OUT/corpus_tokenizer
mkdir -p "$OUT/artifacts" "$CORPUS"
clang -std=c11 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Werror -Iinclude -Isrc -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
    -DIA_VERSION_STRING='"fuzz"' \
    src/util/error.c src/util/mapped_file.c src/tokenize/*.c test/fuzz/fuzz_tokenizer.c \
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

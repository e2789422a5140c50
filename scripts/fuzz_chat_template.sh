#!/usr/bin/env bash
# fuzz_chat_template.sh — build and run the libFuzzer target for the
# chat-template interpreter (test/fuzz/fuzz_chat_template.c) under ASan + UBSan.
#
# Usage: scripts/fuzz_chat_template.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30; corpus in build-fuzz/corpus_chat_template (seeded
#   with the templates and snippets of test/fixtures/chat_template_reference.json);
#   crashes land in build-fuzz/artifacts/. Installs clang with libFuzzer if
#   missing (scripts/fuzz_common.sh).
set -euo pipefail
. "$(dirname "$0")/fuzz_common.sh"
fuzz_init fuzz_chat_template
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=$FUZZ_OUT
BIN=$OUT/fuzz_chat_template
CORPUS=$OUT/corpus_chat_template
mkdir -p "$CORPUS"
clang "${FUZZ_CFLAGS[@]}" src/util/error.c src/tokenize/chat_template*.c src/tokenize/unicode.c \
    src/tokenize/unicode_tables.c src/tokenize/utf8.c src/tokenize/buffers.c test/fuzz/fuzz_chat_template.c \
    -lm -o "$BIN"
python3 - "$CORPUS" <<'PY'
import json, sys, os
d = json.load(open("test/fixtures/chat_template_reference.json"))
srcs = [t["source"] for t in d["templates"]] + [s["source"] for s in d["snippets"]]
for i, s in enumerate(srcs):
    with open(os.path.join(sys.argv[1], "seed%03d" % i), "wb") as f:
        f.write(s.encode("utf-8"))
PY
# -timeout: a render stops at 10^7 steps (about a second under ASan); longer is a hang
exec "$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=20 -artifact_prefix="$OUT/artifacts/" \
    "$@" "$CORPUS"

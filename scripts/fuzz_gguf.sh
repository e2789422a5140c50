#!/usr/bin/env bash
# fuzz_gguf.sh — build and run the libFuzzer target for the GGUF reader
# (test/fuzz/fuzz_gguf.c) under ASan + UBSan.
#
# Usage: scripts/fuzz_gguf.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30. The working corpus lives in build-fuzz/corpus_gguf
#   (grows across runs; seeded here from the gguf-py fixture and a few small
#   valid and hostile files); crashes land in build-fuzz/artifacts/.
#   Installs clang (and the compiler-rt fuzzer runtime) with apt-get if
#   missing (scripts/fuzz_common.sh); safe to rerun. Exit status: 0 if no
#   crash was found.
set -euo pipefail
. "$(dirname "$0")/fuzz_common.sh"
fuzz_init fuzz_gguf
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=$FUZZ_OUT
BIN=$OUT/fuzz_gguf
SEEDS=$OUT/seeds_gguf
CORPUS=$OUT/corpus_gguf

# --- build -------------------------------------------------------------------
# util/mapped_file.c is left out on purpose: the target supplies its own
# ia_mapped_file_open() that serves the fuzz input (see fuzz_gguf.c).
mkdir -p "$SEEDS" "$CORPUS"
clang "${FUZZ_CFLAGS[@]}" src/util/error.c src/formats/gguf.c src/formats/gguf_values.c test/fuzz/fuzz_gguf.c -o "$BIN"

# --- seed corpus -------------------------------------------------------------
# le N VALUE: VALUE as N little-endian bytes. str S: u64 length + bytes.
le() {
    local i
    for ((i = 0; i < $1; i++)); do printf "\\x$(printf %02x $(( ($2 >> (8 * i)) & 255 )))"; done
}
str() { le 8 ${#1}; printf '%s' "$1"; }
hdr() { printf GGUF; le 4 "$1"; le 8 "$2"; le 8 "$3"; }  # version, tensors, kvs
ti() { str "$1"; le 4 1; le 8 "$2"; le 4 "$3"; le 8 "$4"; }  # 1-dim: name, n, type, offset
pad_to() { local n=$(( ($2 - $1 % $2) % $2 )); head -c "$n" /dev/zero; }
bytes() { head -c "$1" /dev/zero | tr '\0' '\1'; }

# the gguf-py fixture (kept as hex text) as a seed
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' \
  test/fixtures/gguf_pywritten.hex >"$SEEDS/pywritten"
hdr 3 0 0 >"$SEEDS/empty"
{   # two keys (string, string array), F32 [8] and Q8_0 [32]: 90 + 8 bytes of infos
    hdr 3 2 2
    str general.name; le 4 8; str tiny
    str tok; le 4 9; le 4 8; le 8 2; str x; str yz
    ti a 8 0 0; ti b 32 8 32
} >"$SEEDS/two.head"
n=$(stat -c %s "$SEEDS/two.head")
{ cat "$SEEDS/two.head"; pad_to "$n" 32; bytes 66; } >"$SEEDS/two"
rm "$SEEDS/two.head"
{   # alignment 64, Q4_0 + Q4_1 + I8 + I32 + F16
    hdr 3 5 1
    str general.alignment; le 4 4; le 4 64
    ti q40 32 2 0; ti q41 64 3 64; ti i8 5 24 192; ti i32 3 26 256; ti f16 4 1 320
} >"$SEEDS/align.head"
n=$(stat -c %s "$SEEDS/align.head")
{ cat "$SEEDS/align.head"; pad_to "$n" 64; bytes 328; } >"$SEEDS/align64"
rm "$SEEDS/align.head"
{ hdr 3 0 1; str nest; le 4 9; le 4 9; le 8 1; le 4 0; le 8 1; le 1 5; } >"$SEEDS/nested"
{ hdr 3 1 0; ti big 4611686018427387904 26 0; bytes 64; } >"$SEEDS/huge_tensor"

cat >"$OUT/gguf.dict" <<'EOF2'
"GGUF"
"general.alignment"
"general.architecture"
"tokenizer.ggml.tokens"
"\x03\x00\x00\x00"
"\x02\x00\x00\x00"
"\x20\x00\x00\x00"
"\x40\x00\x00\x00"
"\x08\x00\x00\x00"
"\x09\x00\x00\x00"
"\x00\x00\x00\x00\x00\x00\x00\x80"
"\xff\xff\xff\xff\xff\xff\xff\xff"
"\x00\x00\x00\x00\x00\x00\x00\x10"
EOF2

# --- run ---------------------------------------------------------------------
echo "fuzz_gguf: running for ${SECONDS_TO_RUN}s"
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -dict="$OUT/gguf.dict" \
    -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 \
    "$@" "$CORPUS" "$SEEDS"

#!/usr/bin/env bash
# fuzz_safetensors.sh — build and run the libFuzzer target for the
# safetensors reader (test/fuzz/fuzz_safetensors.c) under ASan + UBSan.
#
# Usage: scripts/fuzz_safetensors.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30. The working corpus lives in
#   build-fuzz/corpus_safetensors (grows across runs; seeded here from a few
#   valid and hostile images); crashes land in build-fuzz/artifacts/.
#   Installs clang (and the compiler-rt fuzzer runtime) with apt-get if
#   missing (scripts/fuzz_common.sh); safe to rerun. Exit status: 0 if no
#   crash was found.
set -euo pipefail
. "$(dirname "$0")/fuzz_common.sh"
fuzz_init fuzz_safetensors
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=$FUZZ_OUT
BIN=$OUT/fuzz_safetensors
SEEDS=$OUT/seeds_safetensors
CORPUS=$OUT/corpus_safetensors

# --- build -------------------------------------------------------------------
mkdir -p "$SEEDS" "$CORPUS"
clang "${FUZZ_CFLAGS[@]}" \
    src/util/error.c src/util/mapped_file.c src/tensor/dtype.c \
    src/formats/safetensors.c test/fuzz/fuzz_safetensors.c \
    -lcjson -lm -o "$BIN"

# --- seed corpus -------------------------------------------------------------
# seed FILE JSON DATA_BYTES: 8-byte LE length, JSON padded with spaces to 8,
# then DATA_BYTES bytes of 0x01.
seed() {
    local json=$2 n i
    while [ $(( ${#json} % 8 )) -ne 0 ]; do json="$json "; done
    n=${#json}
    {
        for i in 0 1 2 3 4 5 6 7; do
            printf "\\x$(printf %02x $(( (n >> (8 * i)) & 255 )))"
        done
        printf '%s' "$json"
        head -c "$3" /dev/zero | tr '\0' '\1'
    } >"$SEEDS/$1"
}
seed empty '{}' 0
seed meta '{"__metadata__":{"format":"pt"}}' 0
seed one '{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}' 24
seed mixed '{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[1,4],"data_offsets":[0,32]},"b":{"dtype":"F16","shape":[3],"data_offsets":[32,38]},"c":{"dtype":"BF16","shape":[],"data_offsets":[38,40]},"d":{"dtype":"U8","shape":[0,5],"data_offsets":[40,40]},"e":{"dtype":"I8","shape":[2],"data_offsets":[40,42]},"f":{"dtype":"I32","shape":[1],"data_offsets":[44,48]}}' 48
seed overlap '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}' 16
seed dup '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}' 8
seed f64 '{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}' 8
seed bigshape '{"x":{"dtype":"F32","shape":[4,1048577,1099510579201],"data_offsets":[0,16]}}' 16

cat >"$OUT/safetensors.dict" <<'EOF'
"__metadata__"
"dtype"
"shape"
"data_offsets"
"F32"
"F16"
"BF16"
"I64"
"I32"
"I8"
"U8"
"F64"
"BOOL"
"\\u0000"
"9007199254740992"
"1e30"
"-1"
"1.5"
EOF

# --- run ---------------------------------------------------------------------
echo "fuzz_safetensors: running for ${SECONDS_TO_RUN}s"
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -dict="$OUT/safetensors.dict" \
    -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 \
    "$@" "$CORPUS" "$SEEDS"

#!/usr/bin/env bash
# fuzz_car.sh — build and run the libFuzzer target for the CAR v1 reader
# (test/fuzz/fuzz_car.c: the strict dag-cbor header, the streaming section
# reader, fed in reads of 1..64 bytes) under ASan + UBSan.
#
# Usage: scripts/fuzz_car.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30. The working corpus lives in build-fuzz/corpus_car
#   (grows across runs; seeded here with the hostile CARs of
#   test/cli/car_fixtures.py and a small valid one); crashes land in
#   build-fuzz/artifacts/. Installs clang (and the libFuzzer runtime) with
#   apt-get if missing (scripts/fuzz_common.sh). Exit status: 0 if no crash
#   was found.
set -euo pipefail
. "$(dirname "$0")/fuzz_common.sh"
fuzz_init fuzz_car
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=$FUZZ_OUT
BIN=$OUT/fuzz_car
SEEDS=$OUT/seeds_car
CORPUS=$OUT/corpus_car

mkdir -p "$SEEDS" "$CORPUS"
clang "${FUZZ_CFLAGS[@]}" \
    src/util/error.c src/util/sha256.c src/util/sha256_shani.c src/util/cpuid.c \
    src/formats/varint.c src/formats/multibase.c src/formats/cid.c src/formats/car.c \
    test/fuzz/fuzz_car.c -o "$BIN"

# Seeds: each CAR behind a first byte that sets the read size (1..64).
fx=$(mktemp -d)
python3 test/cli/car_fixtures.py "$fx" >/dev/null
for f in "$fx"/*.car; do
  size=$(stat -c %s "$f")
  [ "$size" -le 8192 ] || continue
  for step in '\x00' '\x07' '\x3f'; do
    { printf "$step"; cat "$f"; } >"$SEEDS/$(basename "$f" .car)-$(printf '%s' "$step" | tr -d '\\')"
  done
done
rm -rf "$fx"
printf '\x05\x0a\xa1\x67version\x02' >"$SEEDS/carv2"

cat >"$OUT/car.dict" <<'EOF2'
"\xa2\x65roots"
"\x67version\x01"
"\xd8\x2a"
"\x58\x25\x00"
"\x58\x23\x00"
"\x01\x70\x12\x20"
"\x01\x55\x12\x20"
"\x12\x20"
"\x81"
"\x80"
"\xff\xff\xff\xff\x0f"
EOF2

echo "fuzz_car: running for ${SECONDS_TO_RUN}s"
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 \
    -rss_limit_mb=2048 -dict="$OUT/car.dict" \
    -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 \
    "$@" "$CORPUS" "$SEEDS"

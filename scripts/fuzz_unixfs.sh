#!/usr/bin/env bash
# fuzz_unixfs.sh — build and run the libFuzzer target for the UnixFS block
# and CID decoders (test/fuzz/fuzz_unixfs.c: dag-pb, UnixFS Data, CIDs in
# bytes and text, multibase, varints) under ASan + UBSan.
#
# Usage: scripts/fuzz_unixfs.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30. The working corpus lives in
#   build-fuzz/corpus_unixfs (grows across runs; seeded here with blocks the
#   importer writes — leaves, file nodes, directories, a HAMT shard, a
#   symlink — and CIDs); crashes land in build-fuzz/artifacts/. Installs
#   clang (and the compiler-rt fuzzer runtime) with apt-get if missing
#   (scripts/fuzz_common.sh); safe to rerun. Exit status: 0 if no crash
#   was found.
set -euo pipefail
. "$(dirname "$0")/fuzz_common.sh"
fuzz_init fuzz_unixfs
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=$FUZZ_OUT
BIN=$OUT/fuzz_unixfs
SEEDS=$OUT/seeds_unixfs
CORPUS=$OUT/corpus_unixfs

# --- build -------------------------------------------------------------------
mkdir -p "$SEEDS" "$CORPUS"
clang "${FUZZ_CFLAGS[@]}" \
    src/util/error.c src/util/sha256.c src/util/sha256_shani.c src/util/cpuid.c \
    src/formats/varint.c src/formats/multibase.c src/formats/cid.c src/formats/protobuf.c \
    src/formats/dagpb.c src/formats/unixfs_pb.c test/fuzz/fuzz_unixfs.c -o "$BIN"

# --- seed corpus -------------------------------------------------------------
# Real blocks: a small tree added with a block sink that writes each block
# (ia_unixfs_add_path's on_block) — built against the normal library.
if [ ! -f "$SEEDS/.done" ] && [ -f build/libipfs_accelerate.a ]; then
    tree=$(mktemp -d)
    mkdir -p "$tree/t/d/e"
    printf 'hello world' >"$tree/t/a"
    head -c 3000 /dev/urandom >"$tree/t/d/big"
    ln -s a "$tree/t/l"
    for i in $(seq 1 40); do printf '%d' "$i" >"$tree/t/d/f$i"; done
    cat >"$tree/seed.c" <<'C'
#include <stdio.h>
#include "ipfs_accelerate.h"
static int n;
static const char *dir;
static ia_status put(void *ctx, const uint8_t *cid, size_t cl, const uint8_t *b, size_t bl) {
    char p[4096]; FILE *f;
    (void)ctx;
    snprintf(p, sizeof p, "%s/block%03d", dir, n);
    if ((f = fopen(p, "wb"))) { fwrite(b, 1, bl, f); fclose(f); }
    snprintf(p, sizeof p, "%s/cid%03d", dir, n++);
    if ((f = fopen(p, "wb"))) { fwrite(cid, 1, cl, f); fclose(f); }
    return IA_OK;
}
int main(int argc, char **argv) {
    ia_unixfs_options o; char cid[IA_CID_TEXT_MAX]; FILE *f; char p[4096];
    dir = argv[2];
    for (int v = 0; v < 2; v++) {
        IA_UNIXFS_OPTIONS_INIT(&o);
        o.cid_version = v; o.chunk_size = 1000; o.max_links = 2; o.hamt_threshold = 200;
        o.on_block = put;
        if (ia_unixfs_add_path(argv[1], &o, cid, sizeof cid) != IA_OK) return 1;
        snprintf(p, sizeof p, "%s/text%d", dir, v);
        if ((f = fopen(p, "w"))) { fputs(cid, f); fclose(f); }
    }
    return argc < 3;
}
C
    if cc -Iinclude "$tree/seed.c" build/libipfs_accelerate.a -lcjson -lmicrohttpd -lcurl \
          third_party/duckdb/lib/libduckdb.so -Wl,-rpath,"$PWD/third_party/duckdb/lib" -lpthread -lm \
          -o "$tree/seed" 2>/dev/null && "$tree/seed" "$tree/t" "$SEEDS"; then
        touch "$SEEDS/.done"
    else
        echo "fuzz_unixfs: could not write seed blocks (run make build first); starting from the small seeds only"
    fi
    rm -rf "$tree"
fi
printf '\x0a\x02\x08\x01' >"$SEEDS/empty_dir"
printf '\x0a\x04\x08\x02\x18\x00' >"$SEEDS/empty_file"
printf 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn' >"$SEEDS/cidv0_text"
printf 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354' >"$SEEDS/cidv1_text"
printf 'zStV1DL6CwTryKyV' >"$SEEDS/base58"

cat >"$OUT/unixfs.dict" <<'EOF2'
"\x0a"
"\x12"
"\x18"
"\x20"
"\x08\x02"
"\x08\x05"
"\x28\x22"
"\x30\x80\x02"
"\x12\x20"
"\x01\x70\x12\x20"
"\x01\x55\x12\x20"
"\x42"
"\x15"
"Qm"
"bafy"
"bafk"
"z"
EOF2

# --- run ---------------------------------------------------------------------
echo "fuzz_unixfs: running for ${SECONDS_TO_RUN}s"
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -dict="$OUT/unixfs.dict" \
    -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 \
    "$@" "$CORPUS" "$SEEDS"

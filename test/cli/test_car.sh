#!/usr/bin/env bash
# test_car.sh [CLI] — the block store on the command line: add (stores),
# get, cat, car export / car import, models by CID (embed and generate give
# what the model's files give), hostile CARs (test/cli/car_fixtures.py and
# cut/flipped copies of a good one) leaving nothing behind, and — when
# scripts/setup_kubo.sh has built .tools/bin/ipfs — kubo v0.43.1 as the
# oracle: the same CIDs, `ipfs dag export` byte for byte equal to our
# `car export`, kubo's `ipfs dag import` taking our CARs and ours taking
# kubo's. Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/../.."
cli=${1:-build/ipfs-accelerate}
case $cli in /*) ;; *) cli=$PWD/$cli ;; esac
kubo=$PWD/.tools/bin/ipfs
models=${IA_MODEL_DIR:-$HOME/.cache/ipfs_accelerate/models}
minilm=$models/all-MiniLM-L6-v2
smollm=$models/smollm2/model.gguf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# blocks in a store (files named *.data)
nblocks() { find "$1" -name '*.data' 2>/dev/null | wc -l; }
# a store's directory holds nothing but blocks and SHARDING (no stage, no temp file)
clean_store() { [ -z "$(find "$1" -type f ! -name '*.data' ! -name SHARDING 2>/dev/null)" ]; }

# --- help ----------------------------------------------------------------
for c in get cat car; do
  "$cli" $c --help >"$tmp/help" 2>&1
  check "$c --help exits 0" test $? -eq 0
  check "$c --help names --block-dir" grep -q -- --block-dir "$tmp/help"
  "$cli" --help | grep -q "^  $c "; check "ipfs-accelerate --help lists $c" test $? -eq 0
done
"$cli" car frob >/dev/null 2>&1; check "car frob: usage error (2)" test $? -eq 2
"$cli" get >/dev/null 2>&1; check "get without a CID: usage error (2)" test $? -eq 2

# --- a tree: add, get, cat, car export/import ---------------------------------
mkdir -p "$tmp/tree/b/e" "$tmp/tree/h"
printf 'alpha\n' >"$tmp/tree/a.txt"
head -c 600000 /dev/urandom >"$tmp/tree/b/big"
printf 'gamma\n' >"$tmp/tree/b/c.txt"
ln -s a.txt "$tmp/tree/l"
# 2100 names of 100 bytes: over kubo's 256 KiB estimate, a HAMT-sharded directory
python3 -c 'import sys
for i in range(2100): open("%s/%s-%05d" % (sys.argv[1], "n" * 93, i), "w").write(str(i))' "$tmp/tree/h"
# 2 MB of zeros: the same leaf linked 8 times (a block a CAR holds once)
head -c 2000000 /dev/zero >"$tmp/tree/zeros"
A=$tmp/A
for prof in unixfs-v0-2015 unixfs-v1-2025; do
  root=$("$cli" add -Q --profile $prof "$tmp/tree" --block-dir "$A")
  check "add --profile $prof stores and prints the root" test -n "$root"
  "$cli" get "$root" -o "$tmp/got-$prof" --block-dir "$A" >"$tmp/o"
  check "get [$prof]: the same tree (files, symlink, empty dir)" diff -r --no-dereference "$tmp/tree" "$tmp/got-$prof"
  check "... and says where" grep -q "saved $root to $tmp/got-$prof" "$tmp/o"
  "$cli" get "$root" -o "$tmp/got-$prof" --block-dir "$A" >/dev/null 2>"$tmp/e"
  check "get onto an existing path refuses (exit 1)" test $? -eq 1
  big=$("$cli" add -Q --profile $prof "$tmp/tree/b/big" --block-dir "$A")
  "$cli" cat "$big" --block-dir "$A" >"$tmp/cat"
  check "cat [$prof]: the file's bytes" cmp -s "$tmp/cat" "$tmp/tree/b/big"
  "$cli" cat "$root" --block-dir "$A" >/dev/null 2>"$tmp/e"
  check "cat of a directory refuses" test $? -eq 1
  "$cli" car export "$root" --block-dir "$A" >"$tmp/$prof.car"
  check "car export to stdout" test -s "$tmp/$prof.car"
  "$cli" car export "$root" -o "$tmp/$prof-o.car" --block-dir "$A"
  check "car export -o FILE: the same bytes" cmp -s "$tmp/$prof.car" "$tmp/$prof-o.car"
  B=$tmp/B-$prof
  "$cli" car import "$tmp/$prof.car" --block-dir "$B" >"$tmp/o"
  check "car import into an empty store: prints the root" grep -qx "root $root" "$tmp/o"
  check "... and the counts" grep -q "^imported [0-9]* blocks ([0-9]* new, [0-9]* bytes) from" "$tmp/o"
  check "... every block of the DAG, nothing else" test "$(nblocks "$B")" -eq "$(grep -o '[0-9]* new' "$tmp/o" | cut -d' ' -f1)"
  check "... and no stage left" clean_store "$B"
  IA_BLOCK_DIR=$B "$cli" get "$root" -o "$tmp/got2-$prof" >/dev/null
  check "get from the imported store (\$IA_BLOCK_DIR): the same tree" diff -r --no-dereference "$tmp/tree" "$tmp/got2-$prof"
  "$cli" car export "$root" --block-dir "$B" | cmp -s - "$tmp/$prof.car"
  check "car export of the imported store: the same CAR" test $? -eq 0
  "$cli" car import - --block-dir "$B" <"$tmp/$prof.car" >"$tmp/o"
  check "car import - (stdin), again: 0 new" grep -q "(0 new," "$tmp/o"
done

# --- missing blocks --------------------------------------------------------------
"$cli" get bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e -o "$tmp/none" --block-dir "$A" >/dev/null 2>"$tmp/e"
check "get of a CID not in the store: exit 1" test $? -eq 1
check "... naming it and how to get it" grep -q "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e.*car import" "$tmp/e"
check "... and writing nothing" test ! -e "$tmp/none"
P=$tmp/partial
"$cli" car import "$tmp/unixfs-v0-2015.car" --block-dir "$P" >/dev/null
root=$("$cli" add -nQ "$tmp/tree")
victim=$(find "$P" -name '*.data' -size +200k | head -n 1)
rm -f "$victim"
mkdir "$tmp/out"
"$cli" get "$root" -o "$tmp/out/tree" --block-dir "$P" >/dev/null 2>"$tmp/e"
check "get with one leaf missing: exit 1, naming a CID" grep -q "block Qm.* is not in the block store" "$tmp/e"
check "... and nothing half-written beside the target" test -z "$(ls -A "$tmp/out")"
"$cli" car export "$root" --block-dir "$P" -o "$tmp/out/x.car" 2>/dev/null
check "car export -o with a missing block: exit 1, no file left" test $? -eq 1 -a -z "$(ls -A "$tmp/out")"

# --- hostile CARs ------------------------------------------------------------------
python3 test/cli/car_fixtures.py "$tmp/fx" >"$tmp/fx.txt"
rootof() { awk -v n="$1" '$1 == n {print $2}' "$tmp/fx.txt"; }
H=$tmp/H
refuse() { # NAME FILE PATTERN: car import FILE refuses, message matching PATTERN, store left empty
  "$cli" car import "$2" --block-dir "$H" >/dev/null 2>"$tmp/e"
  local rc=$?
  if [ $rc -eq 1 ] && grep -qE -- "$3" "$tmp/e" && [ "$(nblocks "$H")" -eq 0 ] && clean_store "$H"; then ok "$1"
  else bad "$1 (exit $rc: $(cat "$tmp/e"); $(nblocks "$H") blocks kept)"; fi
}
good=$tmp/unixfs-v0-2015.car
size=$(stat -c %s "$good")
refuse "a block that does not hash to its CID: refused naming it, nothing kept" "$tmp/fx/wrongcid.car" \
  "section at byte 59: $(rootof wrongcid): the block's 5 bytes do not hash"
refuse "a dag-pb node linking to its own CID (a cycle): refused, nothing kept" "$tmp/fx/selfref.car" \
  "$(rootof selfref): the block's .* do not hash"
python3 - "$good" "$tmp/flipped.car" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-100] ^= 0x40; open(sys.argv[2], 'wb').write(b)
PY
refuse "one byte flipped in the last block: refused with CID and offset, nothing kept" "$tmp/flipped.car" \
  "the section at byte [0-9]+: (Qm|baf)[a-zA-Z0-9]+: the block's"
for cut in 50 $((size / 2)) $((size - 1)); do
  head -c $cut "$good" >"$tmp/cut.car"
  refuse "truncated at $cut of $size bytes: refused, nothing kept" "$tmp/cut.car" "truncated"
done
{ cat "$good"; printf '\x80\x00'; } >"$tmp/v.car"
refuse "a non-minimal section varint: refused, nothing kept" "$tmp/v.car" "not minimally encoded"
{ cat "$good"; printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01'; } >"$tmp/v.car"
refuse "a 10-byte varint: refused, nothing kept" "$tmp/v.car" "longer than 9 bytes"
{ cat "$good"; printf '\xff\xff\xff\xff\x0f'; } >"$tmp/v.car"
refuse "a 4 GiB section length: refused before reading it, nothing kept" "$tmp/v.car" "a section of 4294967295 bytes"
{ cat "$good"; printf '\x00'; } >"$tmp/v.car"
refuse "an empty section: refused" "$tmp/v.car" "empty section"
printf '\x0a\xa1\x67version\x02' >"$tmp/v2.car"
refuse "a CARv2 file: refused as CARv2" "$tmp/v2.car" "CARv2"
printf '\x05\xa1\x61\x61\x01\x01' >"$tmp/v.car"
refuse "a header that is not {roots, version}: refused" "$tmp/v.car" "CAR header"
refuse "an empty file: refused" /dev/null "empty input"

D=$tmp/D
"$cli" car import "$tmp/fx/dup.car" --block-dir "$D" >"$tmp/o"
check "a CAR holding one block twice: imported once" grep -q "imported 2 blocks (1 new" "$tmp/o"
mkdir "$tmp/gets"
for f in bomb dirbomb dupname dotdot; do
  "$cli" car import "$tmp/fx/$f.car" --block-dir "$D" >/dev/null
  "$cli" get "$(rootof $f)" -o "$tmp/gets/$f" --block-dir "$D" >/dev/null 2>"$tmp/e"
  rc=$?
  case $f in
    bomb) want="over the limit" ;; dirbomb) want="files, directories and symlinks" ;;
    dupname) want="twice" ;; dotdot) want="not one path component" ;;
  esac
  check "$f.car (valid hashes) imports, get refuses ($want), nothing written" \
    test $rc -eq 1 -a -z "$(ls -A "$tmp/gets")" -a -n "$(grep -- "$want" "$tmp/e")"
done
timeout 10 "$cli" cat "$(rootof bomb)" --max-bytes 1000000000 --block-dir "$D" >"$tmp/o" 2>"$tmp/e"
check "cat --max-bytes 1e9 of the 1 TB bomb: refused before a byte is written" test $? -eq 1 -a ! -s "$tmp/o"
"$cli" get "$(rootof bomb)" --max-bytes 1000 -o "$tmp/gets/x" --block-dir "$D" >/dev/null 2>"$tmp/e"
check "get --max-bytes: the limit named" grep -q "limit of 1000" "$tmp/e"

# --- models by CID -------------------------------------------------------------------
M=$tmp/models
S=$tmp/S
if [ -d "$minilm" ]; then
  root=$("$cli" add -Q "$minilm" --block-dir "$tmp/M1")
  check "add MiniLM: kubo's CID (docs/unixfs.md)" test "$root" = QmbMQipS4UP2ZZJFwH9LbvhTHGr8QxCvfxsbKkDTRjohmu
  "$cli" car export "$root" --block-dir "$tmp/M1" -o "$tmp/minilm.car"
  "$cli" car import "$tmp/minilm.car" --block-dir "$S" >/dev/null
  check "MiniLM: car export -> car import into an empty store" test "$(nblocks "$S")" -eq "$(nblocks "$tmp/M1")"
  texts=("A man is playing a guitar." "The new movie is awesome.")
  "$cli" embed --device cpu --json --model "$minilm" "${texts[@]}" 2>/dev/null >"$tmp/e1.json"
  IA_BLOCK_DIR=$S IA_MODEL_DIR=$M "$cli" embed --device cpu --json --model "$root" "${texts[@]}" 2>"$tmp/e" >"$tmp/e2.json"
  check "embed --model <CID>: runs" test $? -eq 0
  python3 -c 'import json,sys; a,b=(json.load(open(f))["embeddings"] for f in sys.argv[1:]); sys.exit(a!=b)' \
    "$tmp/e1.json" "$tmp/e2.json"
  check "... the same vectors as the model's directory" test $? -eq 0
  check "... materialised once under \$IA_MODEL_DIR/by-cid/<cidv1>/" \
    test -f "$M/by-cid/bafybeigblgy6hobnsskahh5rxjk53ybiafnxjtny7a4c64557kj6btl6dq/model.safetensors"
  IA_BLOCK_DIR=$S IA_MODEL_DIR=$M "$cli" embed --device cpu --json --model \
    bafybeigblgy6hobnsskahh5rxjk53ybiafnxjtny7a4c64557kj6btl6dq "${texts[@]}" 2>/dev/null >"$tmp/e3.json"
  check "... and the CIDv1 spelling opens the same copy" cmp -s "$tmp/e2.json" "$tmp/e3.json"
  IA_BLOCK_DIR=$tmp/empty IA_MODEL_DIR=$M "$cli" embed --model QmQWTRtDV9LWqTUFF7EuEQ3CPZGx7RtALpbkXK4eJ9rPPj x \
    >/dev/null 2>"$tmp/e"
  check "embed --model <CID not in the store>: exit 1, naming the CID and car import" \
    grep -q "QmQWTRtDV9LWqTUFF7EuEQ3CPZGx7RtALpbkXK4eJ9rPPj.*car import" "$tmp/e"
else
  echo "skipped: MiniLM by CID ($minilm absent: scripts/fetch_model.sh)"
fi
if [ -f "$smollm" ]; then
  groot=$("$cli" add -Q --profile unixfs-v1-2025 "$smollm" --block-dir "$tmp/G1")
  "$cli" car export "$groot" --block-dir "$tmp/G1" -o "$tmp/smollm.car"
  "$cli" car import "$tmp/smollm.car" --block-dir "$S" >/dev/null
  "$cli" generate --model "$smollm" --seed 7 -n 12 "The capital of France is" 2>/dev/null >"$tmp/g1"
  IA_BLOCK_DIR=$S IA_MODEL_DIR=$M "$cli" generate --model "$groot" --seed 7 -n 12 "The capital of France is" \
    2>"$tmp/e" >"$tmp/g2"
  check "generate --model <CID of a GGUF file>: runs" test $? -eq 0 -a -s "$tmp/g2"
  check "... the same text as the file" cmp -s "$tmp/g1" "$tmp/g2"
  check "... materialised as by-cid/<cidv1>.gguf" test -f "$M/by-cid/$groot.gguf"
else
  echo "skipped: GGUF by CID ($smollm absent: scripts/fetch_model.sh smollm2)"
fi

# --- kubo as the oracle --------------------------------------------------------------
if [ -x "$kubo" ]; then
  kinit() { IPFS_PATH=$1 "$kubo" init --profile "$2" >/dev/null 2>&1; }
  kinit "$tmp/k-v0" test
  kinit "$tmp/k-v1" test,unixfs-v1-2025
  items=("$tmp/tree")
  [ -d "$minilm" ] && items+=("$minilm")
  [ -f "$smollm" ] && items+=("$smollm")
  for prof in unixfs-v0-2015 unixfs-v1-2025; do
    repo=$tmp/k-v0
    [ $prof = unixfs-v1-2025 ] && repo=$tmp/k-v1
    for item in "${items[@]}"; do
      name=$(basename "$item")
      k=$(IPFS_PATH=$repo "$kubo" add -rQ "$item" 2>/dev/null)
      o=$("$cli" add -Q --profile $prof "$item" --block-dir "$tmp/KO")
      check "kubo [$prof] $name: the same root CID" test -n "$k" -a "$k" = "$o"
      IPFS_PATH=$repo "$kubo" dag export "$k" >"$tmp/k.car" 2>/dev/null
      "$cli" car export "$o" --block-dir "$tmp/KO" >"$tmp/o.car"
      check "kubo [$prof] $name: ipfs dag export = car export, byte for byte ($(stat -c %s "$tmp/o.car") bytes)" \
        cmp -s "$tmp/k.car" "$tmp/o.car"
      rm -rf "$tmp/k-imp" "$tmp/o-imp"
      kinit "$tmp/k-imp" test
      IPFS_PATH=$tmp/k-imp "$kubo" dag import "$tmp/o.car" >"$tmp/ki" 2>&1
      check "kubo [$prof] $name: ipfs dag import takes our CAR and pins its root" grep -q "Pinned root.*$o.*success" "$tmp/ki"
      "$cli" car import "$tmp/k.car" --block-dir "$tmp/o-imp" >/dev/null
      "$cli" get "$k" -o "$tmp/o-imp-out" --block-dir "$tmp/o-imp" >/dev/null
      check "kubo [$prof] $name: car import of kubo's CAR, get gives the files back" \
        diff -r --no-dereference "$item" "$tmp/o-imp-out" -x '.*'
      rm -rf "$tmp/o-imp-out"
    done
  done
else
  echo "skipped: every kubo comparison (.tools/bin/ipfs absent: scripts/setup_kubo.sh builds kubo v0.43.1)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

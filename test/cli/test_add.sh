#!/usr/bin/env bash
# test_add.sh CLI — `ipfs-accelerate add` as a user runs it: kubo's output
# lines (CIDs from kubo v0.43.1's `ipfs add`, see test/store/test_unixfs_add.c),
# -q/-Q, blocks stored without --only-hash (none with it), --help, usage errors.
# Prints "N passed, N failed" last.
set -uo pipefail
cli=${1:-build/ipfs-accelerate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

"$cli" add --help >"$tmp/help" 2>&1
check "add --help exits 0" test $? -eq 0
for opt in --only-hash --profile unixfs-v0-2015 unixfs-v1-2025 --cid-version --chunker --max-file-links \
           --hidden --quiet --quieter --recursive --block-dir "store nothing"; do
  check "add --help mentions $opt" grep -q -- "$opt" "$tmp/help"
done
"$cli" --help | grep -q "^  add "; check "ipfs-accelerate --help lists add" test $? -eq 0

printf 'hello world' >"$tmp/hw"
"$cli" add "$tmp/hw" --block-dir "$tmp/blocks" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "add without --only-hash stores (exit 0)" test $rc -eq 0
check "... printing kubo's line" test "$(cat "$tmp/o")" = "added Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD hw"
check "... and the block is in the store, named by its multihash" \
  test -f "$tmp/blocks/3M/CIQPQUWH7JRPS4MBP5KNRKANZVR7Z5YJRM6L32NOR3A64REQCPWF3MA.data"
check "... holding the file's dag-pb leaf" test "$(wc -c <"$tmp/blocks/3M/CIQPQUWH7JRPS4MBP5KNRKANZVR7Z5YJRM6L32NOR3A64REQCPWF3MA.data")" -eq 19
IA_BLOCK_DIR="$tmp/blocks" "$cli" cat Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD >"$tmp/o" 2>"$tmp/e"
check "cat of it from \$IA_BLOCK_DIR gives the bytes back" test "$(cat "$tmp/o")" = "hello world"
"$cli" add -n "$tmp/hw" --block-dir "$tmp/blocks-n" >/dev/null
check "--only-hash stores nothing" test ! -e "$tmp/blocks-n"

check "hello world: kubo's line" test "$("$cli" add --only-hash "$tmp/hw")" = "added Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD hw"
check "--cid-version 1" test "$("$cli" add -n --cid-version 1 "$tmp/hw")" = \
  "added bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e hw"
check "--profile unixfs-v1-2025 -Q" test "$("$cli" add -n -Q --profile unixfs-v1-2025 "$tmp/hw")" = \
  "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
"$cli" add -n "$tmp/hw" 2>"$tmp/e" >/dev/null
check "no progress on stderr when it is not a terminal" test ! -s "$tmp/e"

# tree/{a.txt, b/{c.txt, e/}, l -> a.txt, .hid}: `ipfs add -r tree`
mkdir -p "$tmp/tree/b/e"
printf 'alpha\n' >"$tmp/tree/a.txt"
printf 'gamma\n' >"$tmp/tree/b/c.txt"
printf 'x' >"$tmp/tree/.hid"
ln -s a.txt "$tmp/tree/l"
cat >"$tmp/want" <<'W'
added QmV4STRyo1dygxGhZcr877TQ1M9AZuXhfm6HrXjxW1TYNP tree/a.txt
added QmQdhrHbCWGfqod5SVjqPkW9vtknS7azYXEAH3FRzGstpU tree/b/c.txt
added QmS9U51FvTAqDDVLJ5okMzeLjsEeg8JEG1rPmSq2oPahF6 tree/l
added QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn tree/b/e
added QmYHK1AjLHRn3WBTaphSQEjJze3L5bigZiHfppEFF4cP1T tree/b
added Qmd6ViYv9HrvDvAD3Zmw9b1QRZSi3gVPE9BieCsrnhPKPy tree
W
"$cli" add -r --only-hash "$tmp/tree" >"$tmp/o"
check "a tree: kubo's lines in kubo's order" cmp -s "$tmp/o" "$tmp/want"
check "-rnQ (bundled, as kubo takes them): the root only" \
  test "$("$cli" add -rnQ "$tmp/tree")" = "Qmd6ViYv9HrvDvAD3Zmw9b1QRZSi3gVPE9BieCsrnhPKPy"
check "-q: the CIDs only" test "$("$cli" add -nq "$tmp/tree" | tail -n 1)" = "Qmd6ViYv9HrvDvAD3Zmw9b1QRZSi3gVPE9BieCsrnhPKPy"
check "--hidden" test "$("$cli" add -nQ --hidden "$tmp/tree")" = "QmT6uySQZWccK3LJVaeVTqRQ6CzTfqQE1K2GbTZYXvtho6"

# a name with a newline is escaped as kubo escapes it (Go's strconv.Quote)
mkdir "$tmp/esc"
printf 'x' >"$tmp/esc/a
b"
"$cli" add -n "$tmp/esc" | head -n 1 | grep -q ' esc/a\\nb$'
check "a newline in a name is printed as \\n" test $? -eq 0

"$cli" add -n "$tmp/no-such-file" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "a missing path fails (exit 1)" test $rc -eq 1
check "... naming it" grep -q "no-such-file" "$tmp/e"
for args in "--profile unixfs-v9" "--cid-version 2" "--chunker rabin" "--chunker size-0" "--max-file-links 1" \
            "--frobnicate" "--profile"; do
  # shellcheck disable=SC2086
  "$cli" add -n $args "$tmp/hw" >/dev/null 2>"$tmp/e"; rc=$?
  check "add $args is a usage error (2)" test $rc -eq 2
done
"$cli" add -n "$tmp/hw" "$tmp/hw" >/dev/null 2>&1; check "two paths: usage error" test $? -eq 2
"$cli" add -n >/dev/null 2>&1; check "no path: usage error" test $? -eq 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

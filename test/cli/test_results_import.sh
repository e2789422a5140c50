#!/usr/bin/env bash
# test_results_import.sh CLI — `ipfs-accelerate results --import` as a user
# runs it: what results --format csv|json printed comes back as the same
# rows (fresh ids), a second import appends new runs, a malformed file is
# refused naming its line and field and leaves the database as it was.
# Prints "N passed, N failed" last.
set -uo pipefail
cli=${1:-build/ipfs-accelerate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export IA_BENCH_DB="$tmp/no-such-db.duckdb"
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

"$cli" results --help >"$tmp/help" 2>&1
check "results --help mentions --import" grep -q -- "--import FILE" "$tmp/help"

# A real run: two measured rows and one skipped (absent device, its reason
# holds commas and quotes).
db="$tmp/a.duckdb"
"$cli" bench --db "$db" --batch 1,2 --seq 8 --iterations 2 --warmup 0 --threads 1 --device cpu,cuda \
  >/dev/null 2>"$tmp/e"
check "bench exits 0" test $? -eq 0
"$cli" results --db "$db" --format csv >"$tmp/a.csv"
"$cli" results --db "$db" --format json >"$tmp/a.json"

# export -> import into a new database -> export: the same bytes (a new
# database hands out the same ids in the same order).
"$cli" results --import "$tmp/a.csv" --db "$tmp/b.duckdb" >"$tmp/out" 2>&1
check "results --import FILE.csv exits 0" test $? -eq 0
check "... and says how many rows" grep -q "imported 4 result rows from $tmp/a.csv into $tmp/b.duckdb" "$tmp/out"
"$cli" results --db "$tmp/b.duckdb" --format csv >"$tmp/b.csv"
check "csv: export, import, export gives the same file" cmp -s "$tmp/a.csv" "$tmp/b.csv"
"$cli" results --import "$tmp/a.json" --db "$tmp/c.duckdb" >/dev/null 2>&1
check "results --import FILE.json exits 0" test $? -eq 0
"$cli" results --db "$tmp/c.duckdb" --format json >"$tmp/c.json"
check "json: export, import, export gives the same file" cmp -s "$tmp/a.json" "$tmp/c.json"

# Again into the same database: appended as run 2 with ids 5-8; the rows
# are the first four's, ids aside.
"$cli" results --import "$tmp/a.csv" --db "$tmp/b.duckdb" >/dev/null 2>&1
check "a second import exits 0" test $? -eq 0
"$cli" results --db "$tmp/b.duckdb" --format csv >"$tmp/b2.csv"
check "... appends 4 rows" test "$(wc -l <"$tmp/b2.csv")" -eq 9
check "... with fresh ids under a new run" test "$(tail -n 4 "$tmp/b2.csv" | cut -d, -f1,2 | tr '\n' ' ')" = "5,2 6,2 7,2 8,2 "
check "... and the same rows, ids aside" \
  test "$(tail -n 4 "$tmp/b2.csv" | cut -d, -f3-)" = "$(tail -n 4 "$tmp/a.csv" | cut -d, -f3-)"

# Malformed files: refused (exit 1), the line and field named, nothing written.
before=$(cat "$tmp/b2.csv")
awk -F, 'BEGIN{OFS=","} NR==3{$14="12.5ms"} {print}' "$tmp/a.csv" >"$tmp/bad_num.csv"
"$cli" results --import "$tmp/bad_num.csv" --db "$tmp/b.duckdb" >/dev/null 2>"$tmp/e"
check "a bad number exits 1" test $? -eq 1
check "... naming the line and the field" grep -q 'bad_num.csv: line 3, field latency_ms_mean: "12.5ms" is not a number' "$tmp/e"
check "... and writes nothing" test "$("$cli" results --db "$tmp/b.duckdb" --format csv)" = "$before"
printf '[{"model":"m","backend":"cpu",\n"precision":"fp32","kind":"train"}]\n' >"$tmp/bad_kind.json"
"$cli" results --import "$tmp/bad_kind.json" --db "$tmp/new.duckdb" >/dev/null 2>"$tmp/e"
check "a bad kind exits 1" test $? -eq 1
check "... naming the line and the field" grep -q 'bad_kind.json: line 1, field kind: "train" is not embed, generate or serve' "$tmp/e"
check "... and creates no database" test ! -e "$tmp/new.duckdb"
printf 'model,backend,precision,started_at\nm,cpu,fp32,2024-01-01 00:00:00\n"m,cpu,fp32,2024-01-01 00:00:00\n' \
  >"$tmp/bad_quote.csv"
"$cli" results --import "$tmp/bad_quote.csv" --db "$tmp/b.duckdb" >/dev/null 2>"$tmp/e"
check "an unterminated quote is refused at its line" grep -q 'bad_quote.csv: line 3, field model: a quoted field' "$tmp/e"
check "... and the first row is not written either" test "$("$cli" results --db "$tmp/b.duckdb" --format csv)" = "$before"
echo "model" >"$tmp/rows.txt"
"$cli" results --import "$tmp/rows.txt" --db "$tmp/b.duckdb" >/dev/null 2>"$tmp/e"
check "a file that is neither .csv nor .json exits 1" test $? -eq 1
"$cli" results --import "$tmp/a.csv" --format csv --db "$tmp/b.duckdb" >/dev/null 2>&1
check "--import with --format exits 2" test $? -eq 2

# Serving-load rows (kind "serve", as bench/serve_load writes them) keep
# their figures through import and export, and the report draws them apart
# from the embedding charts: a table row and a bar each, holding the rate.
cat >"$tmp/serve.json" <<'JSON'
[{"model":"all-MiniLM-L6-v2","backend":"ipfs-accelerate serve","precision":"f32","kind":"serve","batch":64,
  "seq_len":16,"iterations":2000,"items_per_s":812.5,"latency_ms_p50":70.25,"latency_ms_p99":101.5,"gen_tokens_per_s":null,
  "started_at":"2026-12-05 10:00:00"},
 {"model":"SmolLM2-135M","backend":"llama-server","precision":"q4_1","kind":"serve","batch":8,"seq_len":16,
  "iterations":24,"items_per_s":3.5,"latency_ms_p50":2100,"latency_ms_p99":2400,"gen_tokens_per_s":180.25,
  "started_at":"2026-12-05 10:00:00"}]
JSON
"$cli" results --import "$tmp/serve.json" --db "$tmp/s.duckdb" >/dev/null 2>"$tmp/e"
check "serve rows import" test $? -eq 0
"$cli" results --db "$tmp/s.duckdb" --format json >"$tmp/s.json"
check "... and export with their kind and generated tok/s" python3 -c "
import json, sys
rows = json.load(open('$tmp/s.json'))
sys.exit(0 if sorted(r['kind'] for r in rows) == ['serve', 'serve']
         and [r.get('gen_tokens_per_s') for r in rows if r['backend'] == 'llama-server'] == [180.25] else 1)"
"$cli" report --db "$tmp/s.duckdb" --out "$tmp/s.html" >/dev/null 2>"$tmp/e"
check "report on serve rows exits 0" test $? -eq 0
check "... a serving table row each" test "$(grep -o "class='serverow'" "$tmp/s.html" | wc -l)" -eq 2
check "... a bar each, holding its requests/s" grep -q "class='servebar' data-rps='812.500' data-concurrency='64'" "$tmp/s.html"
check "... and no embedding bar drawn from them" test "$(grep -c "class='bar'" "$tmp/s.html")" -eq 0

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

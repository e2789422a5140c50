#!/usr/bin/env bash
# test_registry.sh CLI — `ipfs-accelerate registry` as a user runs it: a
# model registered from the model cache (family, parameters, precision read
# from it), measured by a tiny real `bench` into the same database, then
# info / recommend from those rows; declared entries apart from measured
# ones in search; hardware that is absent never recommended; usage errors
# exit 2, a model that is not registered exits 1 with the message.
# Prints "N passed, N failed" last.
set -uo pipefail
cli=${1:-build/ipfs-accelerate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export IA_BENCH_DB="$tmp/default.duckdb"
db="$tmp/r.duckdb"
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# jq-like checks with python: j FILE EXPR (EXPR over `d`, the parsed JSON)
j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }

"$cli" registry --help >"$tmp/help" 2>&1
check "registry --help exits 0" test $? -eq 0
for word in "register [MODEL]" "list" "search" "info ID" "recommend ID" "remove ID" "--db PATH" "--json" \
            "--declared" "--latency MS"; do
  check "... and names $word" grep -qF -- "$word" "$tmp/help"
done
"$cli" --help | grep -q "registry" && ok "the command list names registry" || bad "the command list names registry"

# Nothing registered yet: list and search find nothing, nothing is created.
"$cli" registry list --db "$db" --json >"$tmp/out" 2>&1
check "list on a missing database exits 0" test $? -eq 0
check "... prints []" test "$(cat "$tmp/out")" = "[]"
check "... and creates no database" test ! -e "$db"
"$cli" registry info all-MiniLM-L6-v2 --db "$db" >/dev/null 2>"$tmp/e"
check "info on a missing database exits 1" test $? -eq 1
check "... saying there is no database" grep -q "no registry database at $db" "$tmp/e"

# Register from the model cache.
"$cli" registry register all-MiniLM-L6-v2 --task feature-extraction --licence apache-2.0 --db "$db" --json \
  >"$tmp/reg.json" 2>"$tmp/e"
check "register exits 0" test $? -eq 0
check "... family, parameters, precision read from the model" \
  j "$tmp/reg.json" "d['family']=='bert' and d['parameters']==22713216 and d['precision']=='fp32' and 'parameters' in d['read_from_model']"
check "... task and licence as declared" j "$tmp/reg.json" "d['task']=='feature-extraction' and d['licence']=='apache-2.0'"
check "... nothing measured yet" j "$tmp/reg.json" "d['measured']['rows']==0"
"$cli" registry register all-MiniLM-L6-v2 --db "$db" >/dev/null 2>"$tmp/e"
check "registering it again exits 1" test $? -eq 1
check "... saying it is already registered" grep -q "already registered" "$tmp/e"
"$cli" registry register all-MiniLM-L6-v2 --replace --task feature-extraction --db "$db" >/dev/null 2>&1
check "... unless --replace" test $? -eq 0

# Nothing measured: recommend is a labelled guess with no expected figures.
"$cli" registry recommend all-MiniLM-L6-v2 --db "$db" --json >"$tmp/rec0.json"
check "recommend without rows is a heuristic" \
  j "$tmp/rec0.json" "d['basis']=='heuristic' and d['expected_items_per_s'] is None and 'a guess' in d['why']"
"$cli" registry recommend all-MiniLM-L6-v2 --db "$db" >"$tmp/rec0.txt"
check "... and the table says so" grep -q "a guess" "$tmp/rec0.txt"

# A real, tiny benchmark into the same database.
"$cli" bench --db "$db" --batch 1,2 --seq 8 --iterations 2 --warmup 0 --threads 1 --device cpu >/dev/null 2>"$tmp/e"
check "bench into the registry's database exits 0" test $? -eq 0
"$cli" registry info all-MiniLM-L6-v2 --db "$db" --json >"$tmp/info.json"
check "info joins the measured rows by fingerprint" \
  j "$tmp/info.json" "d['measured']['rows']==2 and all(g['matched_by']=='fingerprint' and g['usable_here'] and g['best_items_per_s']>0 for g in d['measured']['performance'])"
check "... on cpu, measured here" j "$tmp/info.json" "d['measured']['hardware']==['cpu'] and d['measured']['measured_here']==['cpu']"
"$cli" registry info all-MiniLM-L6-v2 --db "$db" >"$tmp/info.txt"
check "info's table shows both batches" test "$(grep -c '^  cpu  *embed' "$tmp/info.txt")" -eq 2
"$cli" registry recommend all-MiniLM-L6-v2 --db "$db" --json >"$tmp/rec.json"
check "recommend is measured now" \
  j "$tmp/rec.json" "d['basis']=='measured' and d['device']=='cpu' and d['expected_items_per_s']>0 and d['why'].startswith('measured:')"
check "... the best items/s of the two" \
  j "$tmp/rec.json" "d['expected_items_per_s']==max(o['best_items_per_s'] for o in d['options'])"
"$cli" registry recommend all-MiniLM-L6-v2 --db "$db" --latency 0.001 --json >"$tmp/rec.json"
check "an unmeetable latency is said to be unmet" \
  j "$tmp/rec.json" "d['basis']=='measured' and d['meets_latency_target'] is False"

# Hardware that does not run here: listed with the reason, never recommended.
if "$cli" hw --json --no-bench | python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if not next(b for b in r['backends'] if b['name']=='cuda')['available'] else 1)"; then
  "$cli" registry recommend all-MiniLM-L6-v2 --db "$db" --hardware cuda,qualcomm --json >"$tmp/rec.json"
  check "absent hardware only: basis none, no device" j "$tmp/rec.json" "d['basis']=='none' and d['device'] is None"
  check "... each with its reason" \
    j "$tmp/rec.json" "sorted(u['hardware'] for u in d['unusable'])==['cuda','qualcomm'] and all(u['reason'] for u in d['unusable'])"
  "$cli" registry recommend all-MiniLM-L6-v2 --db "$db" --hardware cuda,cpu --json >"$tmp/rec.json"
  check "absent and present: the present one, measured" j "$tmp/rec.json" "d['basis']=='measured' and d['device']=='cpu'"
else
  ok "cuda runs here: the absent-hardware checks are for machines without it"
fi

# A declared-only entry: what it declares is never taken for a measurement.
"$cli" registry register --id my-org/declared-bert --family bert --task text-classification --parameters 110M \
  --precision fp16 --cid QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG \
  --hardware '{"cuda": {"supported": true, "performance_score": 0.95, "recommended_batch_size": 32}}' \
  --metadata '{"license": "MIT", "training_data": "custom"}' --db "$db" --json >"$tmp/decl.json" 2>"$tmp/e"
check "a declared-only entry registers" test $? -eq 0
check "... with nothing read from a model" j "$tmp/decl.json" "d['read_from_model']==[] and d['parameters']==110000000 and d['licence']=='MIT'"
"$cli" registry search --hardware cuda --db "$db" --json >"$tmp/s.json"
check "search --hardware cuda: no measured cuda rows, no match" j "$tmp/s.json" "d==[]"
"$cli" registry search --hardware cuda --declared --min-score 0.9 --db "$db" --json >"$tmp/s.json"
check "... --declared --min-score 0.9 finds the declared entry, labelled" \
  j "$tmp/s.json" "[m['model_id'] for m in d]==['my-org/declared-bert'] and d[0]['matched']['hardware']['cuda']=='declared'"
"$cli" registry search --hardware cuda --declared --min-score 0.99 --db "$db" --json >"$tmp/s.json"
check "... not above its declared score" j "$tmp/s.json" "d==[]"
"$cli" registry search --family bert,roberta --max-params 100M --db "$db" --json >"$tmp/s.json"
check "search --family --max-params" j "$tmp/s.json" "[m['model_id'] for m in d]==['all-MiniLM-L6-v2']"
"$cli" registry search --hardware cpu --task feature-extraction --db "$db" --json >"$tmp/s.json"
check "search --hardware cpu --task: the measured model" \
  j "$tmp/s.json" "[m['model_id'] for m in d]==['all-MiniLM-L6-v2'] and d[0]['matched']['hardware']['cpu']=='measured'"
"$cli" registry list --db "$db" >"$tmp/list.txt"
check "list shows both" test "$(grep -cE '^(all-MiniLM-L6-v2|my-org/declared-bert) ' "$tmp/list.txt")" -eq 2

# Refusals.
"$cli" registry register --id x --hardware '{"cuda": {"speed": 1}}' --db "$db" >/dev/null 2>"$tmp/e"
check "an unknown declared field exits 1" test $? -eq 1
check "... naming it" grep -q "unknown field 'speed'" "$tmp/e"
check "... and registers nothing" test "$("$cli" registry list --db "$db" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2
"$cli" registry register --id y --cid Qm123 --db "$db" >/dev/null 2>"$tmp/e"
check "a malformed CID exits 1" test $? -eq 1
"$cli" registry register "$tmp/no-such-model" --db "$db" >/dev/null 2>"$tmp/e"
check "a model that is not there exits 1" test $? -eq 1
"$cli" registry info nope --db "$db" >/dev/null 2>"$tmp/e"
check "info of an unknown model exits 1" test $? -eq 1
check "... with the message" grep -q "registry info: no model 'nope' in the registry at $db" "$tmp/e"
"$cli" registry recommend nope --db "$db" >/dev/null 2>&1
check "recommend of an unknown model exits 1" test $? -eq 1
"$cli" registry register --db "$db" >/dev/null 2>&1
check "register without a model or --id exits 2" test $? -eq 2
"$cli" registry info --db "$db" >/dev/null 2>&1
check "info without an id exits 2" test $? -eq 2
"$cli" registry search --min-score 2 --db "$db" >/dev/null 2>&1
check "--min-score out of range exits 2" test $? -eq 2
"$cli" registry search --latency 5 --db "$db" >/dev/null 2>&1
check "an option of another command exits 2" test $? -eq 2
"$cli" registry frobnicate >/dev/null 2>&1
check "an unknown command exits 2" test $? -eq 2

# Remove: the entry goes, the benchmark rows stay.
"$cli" registry remove all-MiniLM-L6-v2 --db "$db" >/dev/null 2>&1
check "remove exits 0" test $? -eq 0
"$cli" registry remove all-MiniLM-L6-v2 --db "$db" >/dev/null 2>"$tmp/e"
check "removing it again exits 1" test $? -eq 1
check "... the benchmark rows stay" test "$("$cli" results --db "$db" --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2

# The default database is $IA_BENCH_DB.
"$cli" registry register all-MiniLM-L6-v2 >/dev/null 2>&1
check "without --db the registry is \$IA_BENCH_DB" test -e "$IA_BENCH_DB"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

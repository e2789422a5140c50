#!/usr/bin/env bash
# test_cli.sh CLI — tests of the ipfs-accelerate command as a user runs it:
# exit codes, --help, --json output against the reference fixture, --file,
# and clear errors. Prints "N passed, N failed" last.
set -uo pipefail
cli=${1:-build/ipfs-accelerate}
here=$(cd "$(dirname "$0")/../.." && pwd)
py=python3
[ -x "$here/.venv/bin/python" ] && py="$here/.venv/bin/python"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Device choice reads $IA_BENCH_DB (else the user cache); these tests must
# not depend on what a user benchmarked on this machine.
export IA_BENCH_DB="$tmp/no-such-db.duckdb"
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# --help tells the truth: exit 0 and names every option.
"$cli" embed --help >"$tmp/help" 2>&1
check "embed --help exits 0" test $? -eq 0
for opt in --model --device --threads --batch --json --file; do
  check "embed --help mentions $opt" grep -q -- "$opt" "$tmp/help"
done
"$cli" --help >/dev/null; check "--help exits 0" test $? -eq 0
"$cli" --version | grep -qE '^ipfs-accelerate [0-9]+\.[0-9]+\.[0-9]+$'; check "--version" test $? -eq 0

# --json output matches the sentence-transformers reference.
fixture="$here/test/fixtures/minilm_reference.json"
# Three fixture texts that survive a trip through argv and a line-based file.
mapfile -t picks < <("$py" -c "
import json; d = json.load(open('$fixture'))
ok = [i for i, t in enumerate(d['texts']) if t.strip() and t == t.strip() and not t.startswith('-')
      and not any(c in t for c in '\\n\\r\\t\\x0b\\x0c\\x1c\\x1d\\x1e\\x85\\u2028\\u2029')]
for i in ok[:3]: print(i)")
mapfile -t texts < <("$py" -c "
import json; d = json.load(open('$fixture'))
for i in (${picks[0]}, ${picks[1]}, ${picks[2]}): print(d['texts'][i])")
"$cli" embed --threads 2 --json "${texts[@]}" >"$tmp/out.json" 2>"$tmp/err"
rc=$?; [ $rc -eq 0 ] || cat "$tmp/err"
check "embed --json exits 0" test $rc -eq 0
"$py" - "$tmp/out.json" "$fixture" "${picks[@]}" <<'PY'
import json, sys, math
out = json.load(open(sys.argv[1])); ref = json.load(open(sys.argv[2]))
picks = [int(i) for i in sys.argv[3:]]
assert out["model"] == "all-MiniLM-L6-v2", out["model"]
assert out["device"] == "cpu" and out["dim"] == 384, (out["device"], out["dim"])
assert len(out["embeddings"]) == 3
for got, want in zip(out["embeddings"], [ref["embeddings_batched"][i] for i in picks]):
    assert len(got) == 384
    dot = sum(a * b for a, b in zip(got, want))
    cos = dot / math.sqrt(sum(a * a for a in got) * sum(b * b for b in want))
    assert cos >= 0.9999 and max(abs(a - b) for a, b in zip(got, want)) <= 1e-4, cos
PY
check "embed --json equals the reference" test $? -eq 0

# --file: one text per line, same vectors as arguments.
printf '%s\n' "${texts[@]}" >"$tmp/texts.txt"
"$cli" embed --threads 2 --json --batch 2 --file "$tmp/texts.txt" >"$tmp/file.json"
check "embed --file exits 0" test $? -eq 0
"$py" -c "
import json,sys
a=json.load(open('$tmp/out.json'))['embeddings']; b=json.load(open('$tmp/file.json'))['embeddings']
sys.exit(0 if len(a)==len(b)==3 and all(max(abs(x-y) for x,y in zip(p,q))<1e-6 for p,q in zip(a,b)) else 1)"
check "embed --file gives the same vectors (batch 2)" test $? -eq 0

# Human output names the device and shows timing.
"$cli" embed --threads 1 "hello world" >"$tmp/human" 2>&1
check "human output exits 0" test $? -eq 0
check "human output names device and kernel" grep -qE 'on cpu \((avx512|avx2|generic) kernels, 1 threads\)' "$tmp/human"

# The human output's preview of each text is cut at 60 bytes on a character
# boundary: Japanese and Chinese (3-byte characters) after one ASCII byte,
# so that byte 60 falls inside a character, and a 4-byte emoji there too.
ja="x$(printf '日本語の文章を埋め込みます。これは長いテキストです%.0s' 1 2)"
zh="x$(printf '这是一个很长的中文句子，用于测试截断%.0s' 1 2 3)"
emoji="$(printf 'a%.0s' $(seq 58))😀😀 tail"
"$cli" embed --threads 1 "$ja" "$zh" "$emoji" "短い" >"$tmp/utf8.txt" 2>"$tmp/e"
check "embed of Japanese and Chinese exits 0" test $? -eq 0
check "... and its stdout is valid UTF-8" "$py" -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <"$tmp/utf8.txt"
"$py" - "$tmp/utf8.txt" "$ja" "$zh" "$emoji" <<'PY'
import sys
lines = [l for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines() if l.startswith("[")]
texts = sys.argv[2:] + ["短い"]
assert len(lines) == len(texts), lines
for line, text in zip(lines, texts):
    shown = line.split("]  ", 1)[1]
    raw = text.encode()
    if len(raw) <= 60:
        assert shown == text, (shown, text)
        continue
    # the longest whole-character prefix of at most 60 bytes, then "..."
    cut = 60
    while raw[cut] & 0xC0 == 0x80:
        cut -= 1
    assert shown == raw[:cut].decode() + "...", (shown, text)
    assert 57 <= cut < 60, cut  # each case really splits a character at 60
PY
check "... and each preview is the longest whole-character prefix of <= 60 bytes" test $? -eq 0

# Errors: stderr, non-zero exit, a message that says what is wrong.
"$cli" embed --model no-such-model "x" >"$tmp/o" 2>"$tmp/e"
rc=$?
check "missing model fails" test $rc -ne 0
check "missing model message names it" grep -q "no-such-model" "$tmp/e"
check "missing model prints nothing on stdout" test ! -s "$tmp/o"
"$cli" embed --threads abc "x" >/dev/null 2>"$tmp/e"; check "bad --threads exits 2" test $? -eq 2
"$cli" embed --bogus "x" >/dev/null 2>"$tmp/e"; check "unknown option exits 2" test $? -eq 2
"$cli" embed >/dev/null 2>"$tmp/e"; check "no texts exits 2" test $? -eq 2
"$cli" embed --device cuda "x" >/dev/null 2>"$tmp/e"; rc=$?
check "absent device fails" test $rc -ne 0
check "absent device says so" grep -q "cuda" "$tmp/e"
"$cli" embed --file /nonexistent/file >/dev/null 2>"$tmp/e"; check "missing --file fails" test $? -ne 0
"$cli" frobnicate >/dev/null 2>&1; check "unknown command exits 2" test $? -eq 2

# A model directory without config.json is refused with a clear message.
mkdir -p "$tmp/broken"
model_dir=${IA_MODEL_DIR:-$HOME/.cache/ipfs_accelerate/models}/all-MiniLM-L6-v2
ln -s "$model_dir/model.safetensors" "$tmp/broken/model.safetensors"
ln -s "$model_dir/tokenizer.json" "$tmp/broken/tokenizer.json"
"$cli" embed --model "$tmp/broken" "x" >/dev/null 2>"$tmp/e"; rc=$?
check "model dir without config.json fails" test $rc -ne 0
check "... and names config.json" grep -q "config.json" "$tmp/e"

# A weights file with a tensor missing, or with a weight of the wrong dtype,
# is refused with a message naming the tensor (header rewritten by Python's
# standard library; the data area is kept as is).
for case in missing wrongtype; do
  mkdir -p "$tmp/$case"
  for f in config.json tokenizer.json modules.json sentence_bert_config.json 1_Pooling; do
    ln -s "$model_dir/$f" "$tmp/$case/$f"
  done
  "$py" - "$model_dir/model.safetensors" "$tmp/$case/model.safetensors" "$case" <<'PY'
import json, struct, sys
src, dst, case = sys.argv[1:]
with open(src, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
name = "encoder.layer.3.output.dense.weight"
if case == "missing":
    del header[name]
else:
    header[name]["dtype"] = "I32"  # same element size, so sizes still agree
raw = json.dumps(header).encode()
raw += b" " * (-len(raw) % 8)  # keep the data area 8-byte aligned
with open(dst, "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw + data)
PY
  "$cli" embed --model "$tmp/$case" "x" >/dev/null 2>"$tmp/e"; rc=$?
  check "weights with a $case tensor fail" test $rc -ne 0
  check "... and name the tensor" grep -q "encoder.layer.3.output.dense.weight" "$tmp/e"
done

# Directories whose files agree with each other but describe a model that
# cannot run, or a weights file naming a dtype that is not a safetensors
# dtype, fail at open with exit 1 and a message naming the key or tensor,
# never a crash (exit 139 before: an empty token-type table was indexed).
#   emptytypes: "type_vocab_size": 0 and a [0, 384] token-type tensor
#   q8dtype:    the token-type tensor's dtype is our internal "Q8_0"
#   epsstring:  "layer_norm_eps": "x" (ran with the default before)
for case in emptytypes q8dtype epsstring; do
  mkdir -p "$tmp/$case"
  for f in tokenizer.json modules.json sentence_bert_config.json 1_Pooling; do
    ln -s "$model_dir/$f" "$tmp/$case/$f"
  done
  "$py" - "$model_dir" "$tmp/$case" "$case" <<'PY'
import json, os, struct, sys
src, dst, case = sys.argv[1:]
config = json.load(open(os.path.join(src, "config.json")))
with open(os.path.join(src, "model.safetensors"), "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
t = header["embeddings.token_type_embeddings.weight"]
if case == "emptytypes":
    # No bytes, placed at the very end of a file whose size is a multiple
    # of the page size: reading its "row 0" then faults, as it did.
    config["type_vocab_size"] = 0
    t["shape"] = [0, config["hidden_size"]]
    for _ in range(3):  # the header's length depends on the offsets' digits
        raw = json.dumps(header).encode()
        raw += b" " * (-len(raw) % 8)
        end = len(data) + (-(8 + len(raw) + len(data)) % 4096)
        t["data_offsets"] = [end, end]
    data += b"\0" * (end - len(data))
elif case == "q8dtype":
    t["dtype"] = "Q8_0"
else:
    config["layer_norm_eps"] = "x"
json.dump(config, open(os.path.join(dst, "config.json"), "w"))
raw = json.dumps(header).encode()
raw += b" " * (-len(raw) % 8)
assert case != "emptytypes" or (8 + len(raw) + len(data)) % 4096 == 0
with open(os.path.join(dst, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw + data)
PY
  "$cli" embed --model "$tmp/$case" "x" >"$tmp/o" 2>"$tmp/e"; rc=$?
  check "$case model fails cleanly at open (exit 1, got $rc)" test $rc -eq 1
  check "... printing nothing on stdout" test ! -s "$tmp/o"
  case $case in
    emptytypes) check "... naming type_vocab_size" grep -q '"type_vocab_size" must be an integer in \[1,' "$tmp/e" ;;
    q8dtype) check "... naming the tensor and the dtype" \
      grep -q "tensor 'embeddings.token_type_embeddings.weight': unknown dtype 'Q8_0'" "$tmp/e" ;;
    epsstring) check "... naming layer_norm_eps" grep -q '"layer_norm_eps" must be a number, not a string' "$tmp/e" ;;
  esac
done

# A tokenizer.json truncation limit past 2^32 (and no sentence_bert_config.json)
# is clamped to the position table, not wrapped to a few tokens.
mkdir -p "$tmp/bigmax"
for f in config.json model.safetensors modules.json 1_Pooling; do ln -s "$model_dir/$f" "$tmp/bigmax/$f"; done
"$py" -c "
import json, sys
t = json.load(open('$model_dir/tokenizer.json'))
t['truncation'] = dict(t.get('truncation') or {}, max_length=4294967299)
json.dump(t, open('$tmp/bigmax/tokenizer.json', 'w'))"
"$cli" embed --json "a sentence of several words for the check" >"$tmp/a.json" 2>/dev/null
"$cli" embed --json --model "$tmp/bigmax" "a sentence of several words for the check" >"$tmp/b.json" 2>"$tmp/e"
check "huge tokenizer max_length works" test $? -eq 0
"$py" -c "
import json, sys
a = json.load(open('$tmp/a.json'))['embeddings'][0]; b = json.load(open('$tmp/b.json'))['embeddings'][0]
sys.exit(0 if max(abs(x - y) for x, y in zip(a, b)) < 1e-6 else 1)"
check "... and gives the untruncated embedding" test $? -eq 0

# --device auto (the default) says which device and why; profile limits hold.
check "embed reports how the device was chosen" grep -qE '^device cpu: heuristic' "$tmp/human"
"$cli" embed --memory-limit 50MB "x" >/dev/null 2>"$tmp/e"; rc=$?
check "memory limit below the weights fails" test $rc -ne 0
check "... and says so" grep -q "memory limit" "$tmp/e"
"$cli" embed --memory-limit 1GiB --threads 1 "x" >/dev/null 2>&1; check "memory limit above the weights works" test $? -eq 0
"$cli" embed --precision fp16 "x" >/dev/null 2>"$tmp/e"; rc=$?
check "unsupported precision fails" test $rc -ne 0
check "... naming it and what runs" grep -q "fp16.*int8" "$tmp/e"
"$cli" embed --precision int9 "x" >/dev/null 2>&1; check "unknown precision exits 2" test $? -eq 2
"$cli" embed --memory-limit lots "x" >/dev/null 2>&1; check "bad memory size exits 2" test $? -eq 2

# With stored measurements, --device auto says which row decided.
"$cli" bench --db "$tmp/choice.duckdb" --batch 2 --seq 16 --iterations 2 --warmup 0 --threads 1 >/dev/null 2>&1
IA_BENCH_DB="$tmp/choice.duckdb" "$cli" embed --threads 1 --batch 2 "x" >"$tmp/m.txt" 2>&1
check "embed --device auto prefers measured results" grep -qE '^device cpu: measured: cpu gave [0-9.]+ items/s' "$tmp/m.txt"

# hw: JSON report with cpu, memory and the seed's backend names.
"$cli" hw --json --no-bench >"$tmp/hw.json" 2>"$tmp/e"
check "hw --json exits 0" test $? -eq 0
"$py" -c "
import json, sys
r = json.load(open('$tmp/hw.json'))
names = {b['name'] for b in r['backends']}
need = {'llama_cpp', 'qualcomm', 'apple', 'cpu', 'gpu', 'cuda', 'openvino', 'optimum', 'webnn'}
ok = need <= names and isinstance(r['cpu']['flags'], list) and r['memory']['total_bytes'] > 0
ok = ok and all(b['available'] or b['reason'] for b in r['backends'])
sys.exit(0 if ok else 1)"
check "hw --json names every seed backend, with reasons" test $? -eq 0
"$cli" hw >"$tmp/hw.txt" 2>&1
check "hw (quick) exits 0" test $? -eq 0
check "hw prints measured cpu figures" grep -qE '^cpu +yes +[0-9.]+ GFLOP/s fp32 GEMM, [0-9.]+ GB/s memory' "$tmp/hw.txt"
"$cli" hw --help | grep -q -- "--no-bench"; check "hw --help" test $? -eq 0
"$cli" hw --bogus >/dev/null 2>&1; check "hw unknown option exits 2" test $? -eq 2

# bench -> results -> report, rendered in headless Chromium: the charts
# exist and hold one mark per measured row.
db="$tmp/bench.duckdb"
"$cli" bench --db "$db" --batch 1,2 --seq 16 --iterations 3 --warmup 1 --threads 1 --device cpu,cuda >"$tmp/b.txt" 2>"$tmp/e"
check "bench exits 0" test $? -eq 0
check "bench stores run 1" grep -q "run 1 stored in $db" "$tmp/b.txt"
check "bench records the absent device with its reason" grep -qE "cuda .*libcuda" "$tmp/b.txt"
"$cli" results --db "$db" --format json --backend cpu >"$tmp/r.json"
"$py" -c "
import json, sys
rows = json.load(open('$tmp/r.json'))
sys.exit(0 if len(rows) == 2 and all(r['latency_ms_p50'] > 0 and r['backend'] == 'cpu' for r in rows) else 1)"
check "results --format json --backend cpu" test $? -eq 0
"$cli" results --db "$db" --format csv >"$tmp/r.csv"
check "results --format csv has a header and 4 rows" test "$(wc -l <"$tmp/r.csv")" -eq 5
"$cli" results --db "$db" | grep -q "all-MiniLM-L6-v2"; check "results table" test $? -eq 0
(echo FIRST; "$cli" results --db "$db" --format csv) >"$tmp/r2.csv"
check "results csv appends to what stdout already holds" test "$(head -n 1 "$tmp/r2.csv")" = "FIRST"
"$cli" bench --db "$tmp/bad.duckdb" --model "" >/dev/null 2>&1; check "bench with a bad config fails" test $? -ne 0
check "... and leaves no database behind" test ! -e "$tmp/bad.duckdb"
"$cli" bench --no-store --batch 1 --seq 8 --iterations 1 --warmup 0 --device '<b>x</b>' >/dev/null 2>&1
"$cli" bench --db "$db" --batch 1 --seq 8 --iterations 1 --warmup 0 --device '<b>x</b>' >/dev/null 2>&1
"$cli" report --db "$db" --out "$tmp/esc.html" >/dev/null
check "report escapes device names" test "$(grep -c '<b>x</b>' "$tmp/esc.html")" -eq 0
"$cli" report --db "$db" --out "$tmp/report.html" >/dev/null
check "report exits 0" test $? -eq 0
chromium_flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$tmp/chromium"
timeout 120 chromium $chromium_flags --dump-dom "file://$tmp/report.html" >"$tmp/dom.html" 2>/dev/null
check "Chromium renders the report" grep -q "<svg" "$tmp/dom.html"
check "latency chart has a bar per measured row" test "$(grep -o 'class="bar"' "$tmp/dom.html" | wc -l)" -eq 2
check "throughput chart has a point per measured row" test "$(grep -o 'class="point"' "$tmp/dom.html" | wc -l)" -eq 2
check "chart marks carry the measured values" grep -qE 'class="bar" data-value="[0-9.]+"' "$tmp/dom.html"

# LLM bench: a model that generates text (found by its family, no flag) is
# measured as llama-bench's pp/tg; its row reaches results (json, csv) and
# the report's text generation section. Tiny sizes keep it to seconds.
"$cli" bench --help >"$tmp/help" 2>&1
for opt in --prompt --gen --iterations --warmup --threads; do
  check "bench --help mentions $opt" grep -q -- "$opt" "$tmp/help"
done
llm_db="$tmp/llm.duckdb"
"$cli" bench --db "$llm_db" --model smollm2 --prompt 16 --gen 4 --iterations 2 --warmup 0 --threads 2 --device cpu \
  >"$tmp/l.txt" 2>"$tmp/le"
check "bench --model smollm2 exits 0" test $? -eq 0
check "... prints the generation row (threads, pp, tg, context)" grep -qE "smollm2 +cpu +[^ ]+ +2 +16 +4 +21 " "$tmp/l.txt"
check "... shows progress per repetition" grep -q "repetition 2/2" "$tmp/le"
"$cli" results --db "$llm_db" --format json >"$tmp/l.json"
"$py" -c "
import json, sys
rows = json.load(open('$tmp/l.json'))
r = rows[0] if len(rows) == 1 else {}
ok = r.get('kind') == 'generate' and r['seq_len'] == 16 and r['gen_tokens'] == 4 and r['n_ctx'] == 21
ok = ok and r['iterations'] == 2 and r['threads_used'] == 2 and r['skipped_reason'] is None
ok = ok and all(r[k] > 0 for k in ('prompt_tokens_per_s', 'gen_tokens_per_s', 'ttft_ms', 'kv_cache_bytes'))
ok = ok and r['items_per_s'] is None and len(r['model_fingerprint']) == 64
sys.exit(0 if ok else 1)"
check "results --format json has the LLM row with its figures" test $? -eq 0
"$cli" results --db "$llm_db" --format csv >"$tmp/l.csv"
check "results --format csv has the LLM columns" grep -q "gen_tokens_per_s,gen_tokens_per_s_stddev,ttft_ms" "$tmp/l.csv"
check "... and the row" grep -q ",generate,2,4,21," "$tmp/l.csv"
"$cli" report --db "$llm_db" --out "$tmp/llm.html" >/dev/null
check "report on LLM rows exits 0" test $? -eq 0
timeout 120 chromium $chromium_flags --dump-dom "file://$tmp/llm.html" >"$tmp/ldom.html" 2>/dev/null
check "report draws the LLM charts (prompt, generation, TTFT)" test "$(grep -o 'class="llmbar"' "$tmp/ldom.html" | wc -l)" -eq 3
check "... and the LLM table" grep -q 'id="llm"' "$tmp/ldom.html"
"$cli" bench --model smollm2 --prompt 0 >/dev/null 2>&1; check "bench --prompt 0 exits 2" test $? -eq 2

head -c 4096 /dev/urandom >"$tmp/junk.duckdb"
"$cli" results --db "$tmp/junk.duckdb" >/dev/null 2>"$tmp/e"; rc=$?
check "a file that is not a benchmark database fails" test $rc -ne 0
check "... naming it" grep -q "junk.duckdb" "$tmp/e"
"$cli" results --db "$tmp/none.duckdb" >/dev/null 2>&1; check "results on a missing database fails" test $? -ne 0
"$cli" bench --batch 0 >/dev/null 2>&1; check "bench --batch 0 exits 2" test $? -eq 2

# bench's default database is the user cache, never the working directory;
# --precision makes every device run every precision (int8 quantised at load,
# an absent device skipped with its reason).
mkdir -p "$tmp/home" "$tmp/cwd"
cli_abs="$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli")"
(cd "$tmp/cwd" && env -u IA_BENCH_DB HOME="$tmp/home" IA_MODEL_DIR="$(dirname "$model_dir")" \
  "$cli_abs" bench --batch 2 --seq 16 --iterations 1 --warmup 0 --threads 1 --device cpu,cuda --precision fp32,int8 \
  >"$tmp/bp.txt" 2>&1)
check "bench --precision exits 0" test $? -eq 0
check "... stores in ~/.cache/ipfs_accelerate" test -s "$tmp/home/.cache/ipfs_accelerate/benchmark_db.duckdb"
check "... and nothing in the working directory" test -z "$(ls -A "$tmp/cwd")"
"$cli" results --db "$tmp/home/.cache/ipfs_accelerate/benchmark_db.duckdb" --format json >"$tmp/bp.json"
"$py" -c "
import json, sys
rows = json.load(open('$tmp/bp.json'))
got = [(r['backend'], r['precision'], r['skipped_reason'] is None) for r in rows]
ok = got == [('cpu', 'fp32', True), ('cpu', 'int8', True), ('cuda', 'fp32', False), ('cuda', 'int8', False)]
ok = ok and all(len(r['machine_id']) == 16 and len(r['model_fingerprint']) == 64 for r in rows)
sys.exit(0 if ok else print(got) or 1)"
check "... one row per device x precision, with model and machine identity" test $? -eq 0

# Quantisation: quantize writes a model directory that embed and eval load;
# compare stores the comparison rows (results + accuracy) in DuckDB.
"$cli" quantize --help >"$tmp/help" 2>&1; check "quantize --help exits 0" test $? -eq 0
for opt in --model --bits --out --group --scheme --exclude --calibration --mixed-precision --json; do
  check "quantize --help mentions $opt" grep -q -- "$opt" "$tmp/help"
done
for opt in --no-calibration --no-mixed-precision; do
  check "quantize --help mentions $opt" grep -q -- "$opt" "$tmp/help"
done
check "quantize --help gives each width's default and its STS-B cost" grep -q -- "--bits 2   asym, mixed precision, built-in .*0.53 %" "$tmp/help"
"$cli" quantize --bits 2 --calibration "$tmp/help" --no-calibration --out "$tmp/q2" >/dev/null 2>"$tmp/e"
check "quantize --calibration with --no-calibration exits 2" test $? -eq 2
"$cli" quantize --bits 3 --out "$tmp/q3" >/dev/null 2>"$tmp/e"; check "quantize --bits 3 exits 2" test $? -eq 2
"$cli" quantize --bits 8 >/dev/null 2>"$tmp/e"; check "quantize without --out exits 2" test $? -eq 2
check "... saying --out is required" grep -q -- "--out" "$tmp/e"
"$cli" quantize --bits 8 --calibration "$tmp/none.txt" --out "$tmp/q8" >/dev/null 2>"$tmp/e"
check "a missing calibration file fails" test $? -ne 0
check "... naming it" grep -q "none.txt" "$tmp/e"
printf 'A man is playing a guitar.\nThe weather is nice today.\n' >"$tmp/calib.txt"
"$cli" quantize --bits 8 --threads 2 --calibration "$tmp/calib.txt" --out "$tmp/q8" >"$tmp/q.txt" 2>&1
check "quantize --bits 8 exits 0" test $? -eq 0
check "... writes model.gguf and the tokenizer" test -s "$tmp/q8/model.gguf" -a -s "$tmp/q8/tokenizer.json" -a -s "$tmp/q8/1_Pooling/config.json"
check "... prints every layer" test "$(grep -c '^encoder.layer' "$tmp/q.txt")" -eq 36
"$cli" embed --model "$tmp/q8" --json --threads 2 "A man is playing a guitar." >"$tmp/q8.json" 2>/dev/null
check "embed loads the quantised model" test $? -eq 0
"$cli" embed --json --threads 2 "A man is playing a guitar." >"$tmp/f32.json" 2>/dev/null
$py - "$tmp/q8.json" "$tmp/f32.json" <<'PY'
import json, sys, math
a = json.load(open(sys.argv[1]))["embeddings"][0]; b = json.load(open(sys.argv[2]))["embeddings"][0]
cos = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
sys.exit(0 if len(a) == 384 and cos > 0.995 else 1)
PY
check "... and its embedding is within cosine 0.995 of fp32" test $? -eq 0
# A BERT .gguf as llama.cpp's convert_hf_to_gguf.py writes it (here by
# scripts/make_bert_gguf.py, which writes the same file without torch) is a
# model: config, WordPiece and pooling from its metadata.
mdir=$("$py" -c "import os; print(os.path.expanduser('~/.cache/ipfs_accelerate/models/all-MiniLM-L6-v2'))")
"$py" "$here/scripts/make_bert_gguf.py" "$mdir" --outfile "$tmp/minilm-f16.gguf" --outtype f16 >/dev/null 2>"$tmp/e"
check "make_bert_gguf.py writes MiniLM as an f16 GGUF" test $? -eq 0
"$cli" embed --model "$tmp/minilm-f16.gguf" --json --threads 2 "A man is playing a guitar." >"$tmp/g.json" 2>"$tmp/e"
check "embed --model FILE.gguf (BERT) exits 0" test $? -eq 0
check "... its embedding is the safetensors model's (cosine >= 0.99999)" $py - "$tmp/g.json" "$tmp/f32.json" <<'PY'
import json, sys, math
a = json.load(open(sys.argv[1]))["embeddings"][0]; b = json.load(open(sys.argv[2]))["embeddings"][0]
cos = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
sys.exit(0 if len(a) == 384 and cos >= 0.99999 else 1)
PY
head -c 100000 "$tmp/minilm-f16.gguf" >"$tmp/cut.gguf"
"$cli" embed --model "$tmp/cut.gguf" "hello" >/dev/null 2>"$tmp/e"
check "a truncated BERT GGUF fails" test $? -ne 0
check "... naming the file" grep -q "cut.gguf" "$tmp/e"
"$cli" eval --help >"$tmp/help" 2>&1; check "eval --help exits 0" test $? -eq 0
"$cli" eval --task mnli >/dev/null 2>"$tmp/e"; check "eval of an unknown task exits 2" test $? -eq 2
check "... listing the tasks" grep -q "stsb" "$tmp/e"
head -n 40 "$here/../shared/data/stsb-en-dev.csv" >"$tmp/stsb40.csv"
"$cli" eval --task stsb --data "$tmp/stsb40.csv" --model "$tmp/q8" --json --threads 2 >"$tmp/ev.json" 2>"$tmp/e"
check "eval --task stsb on the quantised model exits 0" test $? -eq 0
check "... reports 40 pairs and a Spearman" $py -c "import json,sys; d=json.load(open('$tmp/ev.json')); sys.exit(0 if d['pairs']==40 and 50 < d['spearman'] <= 100 else 1)"
printf 'a,b\n' >"$tmp/bad.csv"
"$cli" eval --task stsb --data "$tmp/bad.csv" >/dev/null 2>"$tmp/e"; check "a malformed STS-B file fails" test $? -ne 0
check "... naming the line" grep -q "bad.csv:1" "$tmp/e"
"$cli" compare --quantized "$tmp/q8" --data "$tmp/stsb40.csv" --db "$tmp/cmp.duckdb" --batch 4 --seq-len 16 \
  --iterations 2 --threads 2 --json >"$tmp/cmp.json" 2>"$tmp/e"
check "compare exits 0" test $? -eq 0
check "... rows for fp32 and int8 with speedup and accuracy" $py -c "
import json,sys; r=json.load(open('$tmp/cmp.json'))
ok = [x['precision'] for x in r] == ['fp32', 'int8'] and r[0]['speedup'] == 1 and r[1]['cosine_to_reference_min'] > 0.99
sys.exit(0 if ok else 1)"
"$cli" results --db "$tmp/cmp.duckdb" --format json >"$tmp/res.json" 2>&1
check "... stored in DuckDB with the model's precision" grep -q '"int8"' "$tmp/res.json"
"$cli" compare --data "$tmp/stsb40.csv" >/dev/null 2>&1; check "compare without --quantized exits 2" test $? -eq 2
"$cli" compare --quantized "$tmp/q8" --data "$tmp/stsb40.csv" --no-store --seq-len 1000 --iterations 1 >/dev/null 2>"$tmp/e"
check "compare at a length the model cannot take fails" test $? -ne 0
check "... saying why" grep -q "not measured" "$tmp/e"

# quantize --type: a GGUF decoder into ggml types (as llama-quantize), which
# generate loads; usage errors exit 2.
"$cli" quantize --help >"$tmp/help" 2>&1
for t in --type q4_k_m q5_0 q5_1 q6_k; do
  check "quantize --help mentions $t" grep -q -- "$t" "$tmp/help"
done
"$cli" quantize --type q4_k_s --model smollm2 --out "$tmp/x.gguf" >/dev/null 2>"$tmp/e"
check "quantize --type q4_k_s fails" test $? -eq 1
check "... listing the types" grep -q "q4_k_m" "$tmp/e"
"$cli" quantize --type q5_0 --bits 4 --model smollm2 --out "$tmp/x.gguf" >/dev/null 2>"$tmp/e"
check "quantize --type with --bits exits 2" test $? -eq 2
"$cli" quantize --type q5_0 --out "$tmp/x.gguf" >/dev/null 2>"$tmp/e"
check "quantize --type without --model exits 2" test $? -eq 2
"$cli" quantize --type q5_0 --model smollm2 --out "$tmp/q50.gguf" --threads 2 >"$tmp/q.txt" 2>&1
check "quantize --type q5_0 exits 0" test $? -eq 0
check "... lists every tensor" test "$(grep -c -- ' -> ' "$tmp/q.txt")" -eq 272
check "... and the file type" grep -q "file_type 8" "$tmp/q.txt"
"$cli" generate --model "$tmp/q50.gguf" --temp 0 -n 8 --quiet --threads 2 "The capital of France is" >"$tmp/g5" 2>/dev/null
check "generate runs the q5_0 file" test $? -eq 0 -a -s "$tmp/g5"
check "... and says Paris" grep -q "Paris" "$tmp/g5"

# generate / chat: help, greedy determinism, seeds, chat history and /reset,
# errors.
"$cli" generate --help >"$tmp/help" 2>&1
check "generate --help exits 0" test $? -eq 0
for opt in --model --temp --top-k --top-p --min-p --seed --max-tokens --stop --chat --ctx; do
  check "generate --help mentions $opt" grep -q -- "$opt" "$tmp/help"
done
"$cli" chat --help | grep -q -- "/reset"; check "chat --help mentions /reset" test $? -eq 0
"$cli" generate --temp 0 -n 12 --quiet --threads 2 "The capital of France is" >"$tmp/g1" 2>"$tmp/e"
check "generate exits 0" test $? -eq 0
"$cli" generate --temp 0 -n 12 --quiet --threads 2 "The capital of France is" >"$tmp/g2" 2>/dev/null
check "generate greedy is deterministic" cmp -s "$tmp/g1" "$tmp/g2"
check "generate writes text" test -s "$tmp/g1"
"$cli" generate --seed 9 -n 12 --quiet "Once upon a time" >"$tmp/s1" 2>/dev/null
"$cli" generate --seed 9 -n 12 --quiet "Once upon a time" >"$tmp/s2" 2>/dev/null
check "generate: the same seed gives the same text" cmp -s "$tmp/s1" "$tmp/s2"
"$cli" generate --temp 0 -n 8 "Hello" >/dev/null 2>"$tmp/t"
check "generate prints timings to stderr" grep -q "tok/s" "$tmp/t"
printf 'What is 2+2?\n/reset\nWhat is 2+2?\n' | "$cli" chat --temp 0 -n 16 --timings >"$tmp/c" 2>"$tmp/ct"
check "chat over a pipe exits 0" test $? -eq 0
check "chat answers each message" test "$(grep -c "tok/s" "$tmp/ct")" -eq 2
check "chat after /reset repeats the first answer" test "$(head -n 1 "$tmp/c")" = "$(sed -n 2p "$tmp/c")"
printf 'Hi\nAnd now?\n' | "$cli" chat --temp 0 -n 8 --timings >/dev/null 2>"$tmp/ct"
check "chat reuses the cached history" grep -q "cached" "$tmp/ct"
"$cli" generate --top-p 0 "x" >/dev/null 2>"$tmp/e"; rc=$?
check "generate --top-p 0 is a usage error (2)" test $rc -eq 2
check "... naming the option" grep -q -- "--top-p" "$tmp/e"
"$cli" generate >/dev/null 2>"$tmp/e"; rc=$?
check "generate without a prompt exits 2" test $rc -eq 2
"$cli" generate --model all-MiniLM-L6-v2 "x" >/dev/null 2>"$tmp/e"
check "generate on an encoder fails" test $? -eq 1
check "... saying why" grep -q "does not generate" "$tmp/e"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

// results_store.test.mjs — the results store: the DuckDB store's tables and
// columns (read from src/bench/store_schema.c), add/query/filter, and CSV and
// JSON exports byte for byte what the native CLI prints for the same rows,
// both ways: a real `ipfs-accelerate bench` run imported here, and rows made
// here imported by `ipfs-accelerate results --import`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { EXPORT_COLUMNS, cjsonNumber, duckdbDouble, formatCSV } from '../utils/export_format.js';
import { ImportError, SCHEMA_VERSION, TABLES, openResultsStore } from '../utils/results_store.js';
import {
  REPO, missingBench, missingCli, nativeBench, nativeImport, nativeResults, tmpdir,
} from './native_cli.mjs';

let storeCount = 0;
const fresh = () => openResultsStore({ name: `test-${process.pid}-${++storeCount}`, storage: 'memory' });

// The tables store_schema.c's migrations make: CREATE TABLE columns, then
// each ALTER TABLE ... ADD COLUMN appended, in order.
function nativeSchema() {
  const c = fs.readFileSync(path.join(REPO, 'src', 'bench', 'store_schema.c'), 'utf8');
  const sql = [...c.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join('');
  const tables = {};
  for (const m of sql.matchAll(/CREATE TABLE (\w+)\(([^;]*)\);/g)) {
    tables[m[1]] = m[2].split(/,(?![^(]*\))/).map((d) => d.trim().split(/\s+/)).map(([name, type]) => ({ name, type }));
  }
  for (const m of sql.matchAll(/ALTER TABLE (\w+) ADD COLUMN (\w+) (\w+)/g)) tables[m[1]].push({ name: m[2], type: m[3] });
  return { tables, version: Number(/IA_BENCH_SCHEMA_VERSION (\d+)/.exec(
    fs.readFileSync(path.join(REPO, 'src', 'bench', 'store.h'), 'utf8'))[1]) };
}

test('tables and columns are the DuckDB store\'s (store_schema.c)', () => {
  const { tables, version } = nativeSchema();
  // The native store may be newer (tables this store does not hold); the
  // four tables it does hold must be the native ones, column for column.
  assert.ok(SCHEMA_VERSION >= 5 && SCHEMA_VERSION <= version, `${SCHEMA_VERSION} vs native ${version}`);
  for (const name of ['runs', 'hardware', 'results', 'iterations'])
    assert.deepEqual(TABLES[name].map((c) => ({ ...c })), tables[name], name);
});

// Two runs: embedding rows (one skipped) and a text generation row, with
// text that needs quoting and escaping, and figures across magnitudes.
async function sampleStore() {
  const s = await fresh();
  await s.add({ started_at: new Date(Date.UTC(2024, 4, 1, 12, 34, 56, 120)), version: '0.1.0', git_commit: 'abc123',
                threads: 2, config: { iterations: 3 }, hardware: { cpu: 'test' } }, [
    { model: 'minilm', backend: 'wasm', precision: 'fp32', batch: 1, seq_len: 16, iterations: 3, warmup: 1,
      latency_ms_mean: 2.5, latency_ms_stddev: 0.125, latency_ms_p50: 2.4, latency_ms_p90: 2.9, latency_ms_p99: 3.1,
      items_per_s: 400, tokens_per_s: 6400, rss_delta_bytes: 1048576, model_bytes: 90868376, energy_j: NaN,
      power_w: NaN, power_reason: 'no RAPL in a browser', machine_id: 'm1', threads_used: 2,
      iteration_ms: [2.4, 2.5, 2.6] },
    { model: 'minilm', backend: 'wasm', precision: 'fp32', batch: 8, seq_len: 16, iterations: 3, warmup: 1,
      latencyMsMean: 10 / 3, latencyMsP50: 3.3, itemsPerS: 2400, threadsUsed: 2 },
    { model: 'minilm, "quoted"\nline #2', backend: 'webgpu', precision: 'fp16', batch: 1, seq_len: 16,
      skipped_reason: 'backend webgpu: no WebGPU executor yet', power_reason: '' },
  ]);
  await s.add({ started_at: '2024-05-02 08:00:00', version: '0.1.0', git_commit: '', threads: 0, status: 'failed' }, [
    { model: 'smollm2', backend: 'wasm', precision: 'int4+int8', kind: 'generate', batch: 1, seq_len: 512,
      gen_tokens: 128, n_ctx: 641, threads_used: 4, latency_ms_mean: 2050, prompt_tokens_per_s: 900.5,
      prompt_tokens_per_s_stddev: 12.25, gen_tokens_per_s: 70.1, gen_tokens_per_s_stddev: 1.5, ttft_ms: 570.25,
      ttft_ms_stddev: 8.5, kv_cache_bytes: 29532160, model_fingerprint: 'f00d' },
  ]);
  return s;
}

test('add, query and filter like `results --model/--backend`', async () => {
  const s = await sampleStore();
  const all = await s.query();
  assert.equal(all.length, 4);
  assert.deepEqual(Object.keys(all[0]), EXPORT_COLUMNS.map((c) => c.name));
  assert.deepEqual(all.map((r) => [r.id, r.run_id]), [[1, 1], [2, 1], [3, 1], [4, 2]]);
  assert.equal(all[0].started_at, '2024-05-01 12:34:56.12');
  assert.equal(all[0].energy_j, null); // NaN: not measured
  assert.equal(all[0].kind, 'embed');
  assert.equal(all[3].run_status, 'failed');
  assert.equal(all[3].gen_tokens_per_s, 70.1);
  assert.deepEqual((await s.query({ backend: 'webgpu' })).map((r) => r.id), [3]);
  assert.deepEqual((await s.query({ model: ['minilm', 'smollm2'] })).map((r) => r.id), [1, 2, 4]);
  assert.deepEqual((await s.query({ model: 'minilm', backend: ['wasm'] })).map((r) => r.id), [1, 2]);
  assert.deepEqual((await s.query({ kind: 'generate' })).map((r) => r.model), ['smollm2']);
  assert.deepEqual((await s.query({ runId: 2 })).map((r) => r.id), [4]);
  assert.deepEqual(await s.query({ model: 'nothing' }), []);
  await assert.rejects(s.query({ models: 'minilm' }), /unknown filter 'models' \(model, backend, kind, runId\)/);
  assert.deepEqual((await s.iterations(1)).map((i) => i.latency_ms), [2.4, 2.5, 2.6]);
  assert.equal(await s.hardware(1), '{"cpu":"test"}');
  assert.equal(await s.hardware(2), null);
  const runs = await s.runs();
  assert.deepEqual(runs.map((r) => [r.id, r.status, r.config]), [[1, 'complete', '{"iterations":3}'], [2, 'failed', null]]);
  // only the filtered rows are exported
  assert.equal((await s.toCSV({ kind: 'generate' })).split('\n').length, 3);
});

test('add refuses what the table cannot hold, naming the field, and writes nothing', async () => {
  const s = await fresh();
  const bad = [
    [{}, [{ backend: 'wasm', precision: 'fp32' }], /results\[0\]\.model: required/],
    [{}, [{ model: 'm', backend: 'wasm', precision: 'fp32', kind: 'train' }], /results\[0\]\.kind: 'train' is not embed or generate/],
    [{}, [{ model: 'm', backend: 'wasm', precision: 'fp32', batch: 1.5 }], /results\[0\]\.batch: 1.5 is not a 32-bit integer/],
    [{}, [{ model: 'm', backend: 'wasm', precision: 'fp32', latency_ms_p50: '2' }], /latency_ms_p50: "2" is not a number/],
    [{}, [{ model: 'm', backend: 'wasm', precision: 'fp32', ttft_ms: 5 }], /ttft_ms: only text generation rows/],
    [{}, [{ model: 'm', backend: 'wasm', precision: 'fp32', flops: 5 }], /results\[0\]: unknown field 'flops'/],
    [{ startedAt: '2024-02-30 00:00:00' }, [], /run\.started_at: .* is not a Date or a timestamp/],
    [{ status: 'done' }, [], /run\.status: 'done' is not running, complete, failed, unknown/],
    [{ gpu: 'x' }, [], /run: unknown field 'gpu'/],
  ];
  for (const [run, results, msg] of bad) await assert.rejects(s.add(run, results), msg, msg.source);
  assert.deepEqual(await s.query(), []);
  assert.deepEqual(await s.runs(), []);
});

test('clear empties the tables; ids are never reused', async () => {
  const s = await sampleStore();
  await s.clear();
  assert.deepEqual(await s.query(), []);
  const { runId, resultIds } = await s.add({}, [{ model: 'm', backend: 'wasm', precision: 'fp32' }]);
  assert.deepEqual([runId, resultIds], [3, [5]]);
  // a store of the same name in this process sees the same rows
  const again = await openResultsStore({ name: s.name, storage: 'memory' });
  assert.equal((await again.query()).length, 1);
});

test('a file store persists across processes', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'results.json');
  const s = await openResultsStore({ name: 'f', file });
  assert.equal(s.storage, 'file');
  await s.add({ version: '0.1.0' }, [{ model: 'm', backend: 'wasm', precision: 'fp32', latency_ms_p50: 1.25 }]);
  const script = `import { openResultsStore } from ${JSON.stringify(path.join(REPO, 'ipfs_accelerate_js/utils/results_store.js'))};
    const s = await openResultsStore({ name: 'f', file: ${JSON.stringify(file)} });
    process.stdout.write(await s.toCSV());`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out, await s.toCSV());
  fs.writeFileSync(path.join(dir, 'junk.json'), '{"rows": []}');
  await assert.rejects(openResultsStore({ file: path.join(dir, 'junk.json') }), /not a results store/);
});

test('number and string printers agree with the native printers on edge values', () => {
  // what DuckDB 1.4 printed for these (its CSV export) and cJSON's %1.15g/%1.17g
  const cases = [[1000, '1000.0', '1000'], [0.1, '0.1', '0.1'], [1e20, '1e+20', '1e+20'], [1.5e-7, '1.5e-07', '1.5e-07'],
                 [1 / 3, '0.3333333333333333', '0.33333333333333331'], [1e15, '1000000000000000.0', '1e+15'],
                 [1e16, '1e+16', '1e+16'], [0.0001, '0.0001', '0.0001'], [1e-5, '1e-05', '1e-05'],
                 [29532160, '29532160.0', '29532160'], [-2.5, '-2.5', '-2.5'], [Infinity, 'inf', 'null']];
  for (const [v, duck, cjson] of cases) {
    assert.equal(duckdbDouble(v), duck, String(v));
    assert.equal(cjsonNumber(v), cjson, String(v));
  }
});

// ---------------------------------------------------------------- against the CLI

test('a real bench run: CLI csv/json imported here export the same bytes', { skip: missingBench() }, async () => {
  const dir = tmpdir();
  const db = path.join(dir, 'bench.duckdb');
  nativeBench(db);
  const csv = nativeResults(db, 'csv'), json = nativeResults(db, 'json');
  assert.equal(csv.split('\n')[0], EXPORT_COLUMNS.map((c) => c.name).join(','), 'the CLI export\'s header');
  const a = await fresh();
  const { runIds, resultIds } = await a.importCSV(csv, { source: 'bench.csv' });
  assert.deepEqual(runIds, [1]);
  assert.equal(resultIds.length, 4);
  assert.equal(await a.toCSV(), csv);
  assert.equal(await a.toJSON(), json, 'toJSON = results --format json');
  const b = await fresh();
  await b.importJSON(json);
  assert.equal(await b.toJSON(), json);
  // the skipped device's row kept its reason
  assert.ok((await a.query({ backend: 'cuda' })).every((r) => r.skipped_reason || r.latency_ms_p50 > 0));
});

// ia_benchmark_export(…, "json") has no CLI flag; the Python package calls it.
const PYTHON = path.join(REPO, '.venv', 'bin', 'python');
const missingPython = () => missingBench() || (fs.existsSync(PYTHON) ? false : `${PYTHON} is missing (make setup)`);

test('a real bench run: DuckDB\'s JSON lines export imported here exports the same bytes', { skip: missingPython() }, async () => {
  const dir = tmpdir();
  const db = path.join(dir, 'bench.duckdb'), lines = path.join(dir, 'lines.json');
  nativeBench(db);
  execFileSync(PYTHON, ['-c', 'import sys; from ipfs_accelerate_py.benchmark import DuckDBStorage; ' +
                              'DuckDBStorage(sys.argv[1]).export(sys.argv[2], "json")', db, lines],
               { cwd: REPO, env: { ...process.env, IA_LIBRARY: path.join(path.dirname(process.env.IA_CLI || path.join(REPO, 'build', 'x')), 'libipfs_accelerate.so') } });
  const text = fs.readFileSync(lines, 'utf8');
  const s = await fresh();
  await s.import(text, { source: 'lines.json' });
  assert.equal(await s.toNDJSON(), text);
  assert.equal(await s.toCSV(), nativeResults(db, 'csv'));
});

test('rows made here: results --import reads toCSV/toJSON/toNDJSON and prints the same bytes', { skip: missingCli() }, async () => {
  const dir = tmpdir();
  const s = await sampleStore();
  // figures across magnitudes, so the three number printers are checked
  // against DuckDB's and cJSON's on many values, not a handful
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  // values whose exact expansion ends in a 5 one digit past what a printer
  // keeps: glibc rounds such a tie to even, JavaScript's toPrecision up
  const ties = [877323150.634765625, 1.000030517578125, 1125899906842624.5, 0.5, 2.5, 1 / 1024];
  const rows = [];
  for (let i = 0; i < 200; i++) {
    const mag = 10 ** Math.floor(rand() * 30 - 12);
    rows.push({ model: `m${i % 3}`, backend: 'wasm', precision: 'fp32', batch: 1 + (i % 64),
                latency_ms_mean: rand() * mag, latency_ms_p50: Math.round(rand() * 1e6) / 1e3,
                items_per_s: (rand() - 0.5) * mag, rss_delta_bytes: Math.round(rand() * 2 ** 40),
                latency_ms_p90: ties[i % ties.length] * 2 ** (i % 9),
                power_reason: `text ${String.fromCharCode(1 + (i % 31))} é 😀 ${i % 7 === 0 ? '#,"' : ''}` });
  }
  await s.add({ version: '0.2.0' }, rows);
  const want = { csv: await s.toCSV(), json: await s.toJSON(), ndjson: await s.toNDJSON() };
  for (const [fmt, file, back] of [['csv', 'x.csv', 'csv'], ['json', 'x.json', 'json'], ['ndjson', 'x_lines.json', 'csv']]) {
    const db = path.join(dir, `${fmt}.duckdb`);
    fs.writeFileSync(path.join(dir, file), want[fmt]);
    assert.match(nativeImport(db, path.join(dir, file)), /^imported 204 result rows from /);
    // a fresh database hands out the same ids, so the whole text compares
    assert.equal(nativeResults(db, back), fmt === 'ndjson' ? want.csv : want[fmt], `${fmt} → results --format ${back}`);
  }
});

test('import refuses malformed files as the CLI does, naming line and field, writing nothing', { skip: missingCli() }, async () => {
  const dir = tmpdir();
  const s = await sampleStore();
  const before = await s.toCSV();
  const good = before.split('\n');
  const cases = [
    ['bad_num.csv', [good[0], good[1], good[2].replace(',3.3,', ',3.3ms,')].join('\n'), 3, 'latency_ms_p50', /"3.3ms" is not a number/],
    ['bad_quote.csv', [good[0], good[1], `"${good[2]}`].join('\n'), 3, 'id', /a quoted field that never ends/],
    ['bad_run.csv', [good[0], good[1], good[2].replace(',0.1.0,', ',0.9.9,')].join('\n'), 3, 'version', /differs from line 2's/],
    ['bad_kind.json', '[{"model":"m","backend":"cpu",\n"precision":"fp32","kind":"train"}]', 1, 'kind', /"train" is not embed or generate/],
  ];
  for (const [name, text, line, field, msg] of cases) {
    await assert.rejects(s.import(text, { source: name }), (e) => e instanceof ImportError && e.line === line &&
                         e.field === field && msg.test(e.message) && e.message.startsWith(`${name}: line ${line}, field ${field}: `),
                         name);
    // the CLI: the same line and field, exit 1, no database made
    const file = path.join(dir, name), db = path.join(dir, `${name}.duckdb`);
    fs.writeFileSync(file, text);
    const r = spawnSync(process.env.IA_CLI || path.join(REPO, 'build', 'ipfs-accelerate'),
                        ['results', '--import', file, '--db', db], { encoding: 'utf8' });
    assert.equal(r.status, 1, name);
    assert.match(r.stderr, new RegExp(`${name}: line ${line}, field ${field}: `), name);
    assert.equal(fs.existsSync(db), false, name);
  }
  assert.equal(await s.toCSV(), before);
  assert.equal(formatCSV([]), `${EXPORT_COLUMNS.map((c) => c.name).join(',')}\n`);
});

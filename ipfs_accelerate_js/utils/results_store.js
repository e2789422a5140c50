// results_store.js — benchmark results kept where the JavaScript SDK runs:
// IndexedDB in a browser (window or worker), memory (optionally a JSON
// file) in Node. The tables and columns are the DuckDB store's
// (src/bench/store_schema.c, schema version 5: runs, hardware, results,
// iterations), so a row means the same thing on both sides, and the exports
// are byte for byte the native CLI's (export_format.js): a browser's results
// go into `ipfs-accelerate results --import`, and the CLI's into importCSV/
// importJSON here.
//
//   const store = await openResultsStore({ name: 'bench' });
//   const { runId } = await store.add({ version: '0.1.0', threads: 4 },
//                                     [{ model: 'minilm', backend: 'wasm', precision: 'fp32', batch: 8, ... }]);
//   await store.query({ model: 'minilm', backend: ['wasm'] });
//   await store.toCSV();   // = ipfs-accelerate results --format csv
//
// Every write is one transaction (an IndexedDB readwrite transaction over
// all four stores; a staged copy in memory): a failed add or import leaves
// nothing behind. Ids come from sequences that never go back, as DuckDB's
// do: clear() empties the tables, not the sequences.

import {
  EXPORT_COLUMNS, ImportError, formatCSV, formatJSON, formatNDJSON, isTimestamp, parseCSV, parseJSON,
} from './export_format.js';

export { EXPORT_COLUMNS, ImportError } from './export_format.js';

/** The DuckDB store's schema version whose runs, hardware, results and
 * iterations tables these follow. Later versions that change none of them
 * (v6 added the model registry's tables, which this store does not hold)
 * leave it as it is, so files and IndexedDB stores saved before stay readable. */
export const SCHEMA_VERSION = 5;

const table = (cols) => Object.freeze(cols.map(([name, type]) => Object.freeze({ name, type })));

/** The tables, their columns in DuckDB's order and their DuckDB types. */
export const TABLES = Object.freeze({
  runs: table([['id', 'BIGINT'], ['started_at', 'TIMESTAMP'], ['version', 'VARCHAR'], ['git_commit', 'VARCHAR'],
               ['threads', 'INTEGER'], ['config', 'VARCHAR'], ['status', 'VARCHAR']]),
  hardware: table([['run_id', 'BIGINT'], ['report', 'VARCHAR']]),
  results: table([
    ['id', 'BIGINT'], ['run_id', 'BIGINT'], ['model', 'VARCHAR'], ['backend', 'VARCHAR'], ['precision', 'VARCHAR'],
    ['batch', 'INTEGER'], ['seq_len', 'INTEGER'], ['iterations', 'INTEGER'], ['warmup', 'INTEGER'],
    ['latency_ms_mean', 'DOUBLE'], ['latency_ms_stddev', 'DOUBLE'], ['latency_ms_p50', 'DOUBLE'],
    ['latency_ms_p90', 'DOUBLE'], ['latency_ms_p99', 'DOUBLE'], ['items_per_s', 'DOUBLE'], ['tokens_per_s', 'DOUBLE'],
    ['rss_delta_bytes', 'DOUBLE'], ['model_bytes', 'DOUBLE'], ['energy_j', 'DOUBLE'], ['power_w', 'DOUBLE'],
    ['power_reason', 'VARCHAR'], ['skipped_reason', 'VARCHAR'],
    // v4: which model and machine measured it
    ['model_fingerprint', 'VARCHAR'], ['machine_id', 'VARCHAR'],
    // v5: text generation rows beside the embedding rows
    ['kind', 'VARCHAR'], ['threads_used', 'INTEGER'], ['gen_tokens', 'INTEGER'], ['n_ctx', 'INTEGER'],
    ['prompt_tokens_per_s', 'DOUBLE'], ['prompt_tokens_per_s_stddev', 'DOUBLE'], ['gen_tokens_per_s', 'DOUBLE'],
    ['gen_tokens_per_s_stddev', 'DOUBLE'], ['ttft_ms', 'DOUBLE'], ['ttft_ms_stddev', 'DOUBLE'],
    ['kv_cache_bytes', 'DOUBLE'],
  ]),
  iterations: table([['result_id', 'BIGINT'], ['iteration', 'INTEGER'], ['latency_ms', 'DOUBLE']]),
});

const RUN_STATUSES = ['running', 'complete', 'failed', 'unknown'];
const KINDS = ['embed', 'generate'];
// what only a text generation row holds (store.h: NULL on embedding rows)
const GENERATE_ONLY = ['gen_tokens', 'n_ctx', 'prompt_tokens_per_s', 'prompt_tokens_per_s_stddev', 'gen_tokens_per_s',
                       'gen_tokens_per_s_stddev', 'ttft_ms', 'ttft_ms_stddev', 'kv_cache_bytes'];
// the export's columns that are the run's (run_status is runs.status)
const RUN_COLUMNS = { run_id: 'id', started_at: 'started_at', version: 'version', git_commit: 'git_commit',
                      threads: 'threads', run_status: 'status' };
const STORES = ['runs', 'hardware', 'results', 'iterations'];

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A Date as DuckDB's TIMESTAMP text, in UTC as the native runner stores it:
 * "2024-05-01 12:34:56.12" (fraction without trailing zeros, none if 0). */
export function toTimestamp(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TypeError('started_at: not a valid Date');
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const ms = date.getUTCMilliseconds();
  return `${p(date.getUTCFullYear(), 4)}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())} ` +
         `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}` +
         (ms ? `.${p(ms, 3).replace(/0+$/, '')}` : '');
}

// A value for a column of `type`: null/undefined → null, NaN → null for a
// DOUBLE (not measured, as the native store binds NaN), else checked.
function columnValue(where, name, type, v) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'BIGINT':
    case 'INTEGER':
      if (!Number.isSafeInteger(v) || (type === 'INTEGER' && (v < -(2 ** 31) || v >= 2 ** 31)))
        throw new TypeError(`${where}.${name}: ${JSON.stringify(v)} is not ${type === 'INTEGER' ? 'a 32-bit' : 'an'} integer`);
      return v;
    case 'DOUBLE':
      if (typeof v !== 'number') throw new TypeError(`${where}.${name}: ${JSON.stringify(v)} is not a number`);
      return Number.isNaN(v) ? null : v;
    case 'TIMESTAMP':
      if (v instanceof Date) return toTimestamp(v);
      if (typeof v === 'number') return toTimestamp(new Date(v));
      if (typeof v !== 'string' || !isTimestamp(v))
        throw new TypeError(`${where}.${name}: ${JSON.stringify(v)} is not a Date or a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])`);
      return v;
    default:
      if (typeof v !== 'string') throw new TypeError(`${where}.${name}: ${JSON.stringify(v)} is not a string`);
      return v;
  }
}

const jsonText = (v) => (v === null || v === undefined || typeof v === 'string' ? v ?? null : JSON.stringify(v));

/** The run row add() stores; throws a TypeError naming the bad field. */
function runRow(run) {
  if (run === null || typeof run !== 'object') throw new TypeError('add(run, results): run must be an object');
  const names = TABLES.runs.map((c) => c.name).filter((n) => n !== 'id');
  const row = { started_at: toTimestamp(new Date()), version: null, git_commit: null, threads: null, config: null,
                status: 'complete' };
  let hardware = null;
  for (const [key, v] of Object.entries(run)) {
    const k = snake(key);
    if (k === 'hardware') { hardware = jsonText(v); continue; }
    if (!names.includes(k)) throw new TypeError(`run: unknown field '${key}' (${[...names, 'hardware'].join(', ')})`);
    if (k === 'config') row.config = jsonText(v);
    else if (v !== undefined) row[k] = columnValue('run', k, TABLES.runs.find((c) => c.name === k).type, v);
  }
  if (row.started_at === null) throw new TypeError('run.started_at: a run has a start time');
  if (!RUN_STATUSES.includes(row.status)) throw new TypeError(`run.status: '${row.status}' is not ${RUN_STATUSES.join(', ')}`);
  return { row, hardware };
}

/** A results row add() stores (without id and run_id) and its per-iteration latencies. */
function resultRow(r, k) {
  const where = `results[${k}]`;
  if (r === null || typeof r !== 'object') throw new TypeError(`${where}: not an object`);
  const cols = TABLES.results.filter((c) => c.name !== 'id' && c.name !== 'run_id');
  const row = Object.fromEntries(cols.map((c) => [c.name, null]));
  let iterationMs = [];
  for (const [key, v] of Object.entries(r)) {
    const name = snake(key);
    if (name === 'iteration_ms') {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'number'))
        throw new TypeError(`${where}.iteration_ms: an array of latencies in ms`);
      iterationMs = v;
      continue;
    }
    const c = cols.find((col) => col.name === name);
    if (!c) throw new TypeError(`${where}: unknown field '${key}' (the results table's columns and iteration_ms)`);
    row[name] = columnValue(where, name, c.type, v);
  }
  for (const name of ['model', 'backend', 'precision'])
    if (row[name] === null) throw new TypeError(`${where}.${name}: required (a result names its ${name})`);
  row.kind ??= 'embed';
  if (!KINDS.includes(row.kind)) throw new TypeError(`${where}.kind: '${row.kind}' is not embed or generate`);
  if (row.kind !== 'generate')
    for (const name of GENERATE_ONLY)
      if (row[name] !== null) throw new TypeError(`${where}.${name}: only text generation rows (kind 'generate') have it`);
  return { row, iterationMs };
}

// The export's row: a result joined with its run.
function joined(r, run) {
  const out = {};
  for (const { name } of EXPORT_COLUMNS) out[name] = name in RUN_COLUMNS && name !== 'run_id' ? run?.[RUN_COLUMNS[name]] ?? null : r[name] ?? null;
  return out;
}

const asList = (v) => (v === undefined || v === null ? null : Array.isArray(v) ? v : [v]);

// ------------------------------------------------------------- backends

// In memory: a staged copy per transaction, swapped in when it succeeds.
// Stores of the same name in one process share their data (as IndexedDB's
// do in one origin); a file, when given, is rewritten after each write
// (to a temporary name, then renamed: never half a file).
const memoryStates = new Map();
const FILE_FORMAT = 'ipfs_accelerate results store';

function emptyState() {
  return { seq: { runs: 0, results: 0 }, runs: [], hardware: [], results: [], iterations: [] };
}

class MemoryBackend {
  constructor(key, file) {
    this.key = key;
    this.file = file;
    this.kind = file ? 'file' : 'memory';
  }

  static async open(name, file) {
    const key = file ? `file:${file}` : `memory:${name}`;
    if (!memoryStates.has(key)) {
      let state = emptyState();
      if (file) {
        const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
        let text = null;
        try { text = await fs.readFile(file, 'utf8'); } catch (e) { if (e.code !== 'ENOENT') throw e; }
        if (text !== null) {
          let saved;
          try { saved = JSON.parse(text); } catch { throw new Error(`${file}: not a results store (not JSON)`); }
          if (saved?.format !== FILE_FORMAT) throw new Error(`${file}: not a results store (no format "${FILE_FORMAT}")`);
          if (saved.version !== SCHEMA_VERSION)
            throw new Error(`${file}: results store version ${saved.version}, this package reads ${SCHEMA_VERSION}`);
          state = { seq: saved.seq, runs: saved.runs, hardware: saved.hardware, results: saved.results,
                    iterations: saved.iterations };
        }
      }
      memoryStates.set(key, state);
    }
    return new MemoryBackend(key, file);
  }

  async getAll(store) {
    return structuredClone(memoryStates.get(this.key)[store]);
  }

  async transact(fn) {
    const draft = structuredClone(memoryStates.get(this.key));
    const tx = {
      add: async (store, value) => {
        const v = { ...value };
        if (store === 'runs' || store === 'results') v.id = ++draft.seq[store];
        draft[store].push(v);
        return v.id;
      },
      clear: async (store) => { draft[store] = []; },
    };
    const out = await fn(tx);
    if (this.file) {
      const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
      const tmp = `${this.file}.tmp`;
      await fs.writeFile(tmp, JSON.stringify({ format: FILE_FORMAT, version: SCHEMA_VERSION, ...draft }));
      await fs.rename(tmp, this.file);
    }
    memoryStates.set(this.key, draft);
    return out;
  }

  close() {}
}

const request = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

// IndexedDB: one object store per table; runs and results take their ids
// from the store's key generator (it never goes back, even after clear()).
// A transaction stays open while requests chain from its success events,
// so tx.add() calls awaited one after another share one transaction.
class IndexedDBBackend {
  constructor(db) {
    this.db = db;
    this.kind = 'indexeddb';
  }

  static async open(name, idb) {
    const req = idb.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore('runs', { keyPath: 'id', autoIncrement: true });
      db.createObjectStore('hardware', { keyPath: 'run_id' });
      const results = db.createObjectStore('results', { keyPath: 'id', autoIncrement: true });
      for (const ix of ['run_id', 'model', 'backend', 'kind']) results.createIndex(ix, ix);
      db.createObjectStore('iterations', { keyPath: ['result_id', 'iteration'] }).createIndex('result_id', 'result_id');
      db.createObjectStore('meta').put({ schemaVersion: SCHEMA_VERSION }, 'schema');
    };
    req.onblocked = () => {}; // another tab holds an older version open; open() waits for it
    const db = await request(req);
    const meta = await request(db.transaction('meta').objectStore('meta').get('schema'));
    if (meta?.schemaVersion !== SCHEMA_VERSION) {
      db.close();
      throw new Error(`IndexedDB '${name}': results store schema ${meta?.schemaVersion}, this package reads ${SCHEMA_VERSION}`);
    }
    return new IndexedDBBackend(db);
  }

  async getAll(store) {
    return request(this.db.transaction(store).objectStore(store).getAll());
  }

  async transact(fn) {
    const t = this.db.transaction(STORES, 'readwrite');
    const done = new Promise((resolve, reject) => {
      t.oncomplete = resolve;
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
    });
    done.catch(() => {}); // observed below; never an unhandled rejection
    const tx = {
      add: (store, value) => {
        const v = { ...value };
        if (store === 'runs' || store === 'results') delete v.id; // the key generator's
        return request(t.objectStore(store).add(v));
      },
      clear: (store) => request(t.objectStore(store).clear()),
    };
    let out;
    try {
      out = await fn(tx);
    } catch (e) {
      try { t.abort(); } catch { /* already finished */ }
      throw e;
    }
    await done;
    return out;
  }

  close() { this.db.close(); }
}

// ------------------------------------------------------------- the store

/** A results store (see openResultsStore). */
export class ResultsStore {
  #b;

  constructor(backend, name) {
    this.#b = backend;
    this.name = name;
    this.storage = backend.kind;
  }

  /**
   * Stores one run and its results in one transaction.
   * run: {started_at (Date or timestamp text; default now), version,
   *       git_commit, threads, config (object or JSON text), status
   *       ('complete' default, 'running', 'failed', 'unknown'), hardware
   *       (object or JSON text: the hardware table's report)} — camelCase
   *       names (startedAt) are accepted too.
   * results: [{model, backend, precision (required), kind ('embed' default
   *       or 'generate'), …any results column…, iteration_ms: [ms, …]}]
   *       NaN in a figure = not measured (stored null, as natively).
   * → {runId, resultIds}
   */
  async add(run = {}, results = []) {
    if (!Array.isArray(results)) throw new TypeError('add(run, results): results must be an array');
    const { row, hardware } = runRow(run);
    const rows = results.map(resultRow);
    return this.#b.transact(async (tx) => {
      const runId = await tx.add('runs', row);
      if (hardware !== null) await tx.add('hardware', { run_id: runId, report: hardware });
      const resultIds = [];
      for (const { row: r, iterationMs } of rows) {
        const id = await tx.add('results', { ...r, run_id: runId });
        resultIds.push(id);
        for (let i = 0; i < iterationMs.length; i++)
          await tx.add('iterations', { result_id: id, iteration: i, latency_ms: Number.isNaN(iterationMs[i]) ? null : iterationMs[i] });
      }
      return { runId, resultIds };
    });
  }

  /**
   * Result rows joined with their runs (the export's columns, in id order),
   * filtered as `ipfs-accelerate results --model … --backend …` filters:
   * filter = {model, backend, kind, runId}, each a value or a list.
   */
  async query(filter = {}) {
    const known = ['model', 'backend', 'kind', 'runId'];
    for (const k of Object.keys(filter))
      if (!known.includes(k)) throw new TypeError(`query: unknown filter '${k}' (${known.join(', ')})`);
    const models = asList(filter.model), backends = asList(filter.backend), kinds = asList(filter.kind);
    const runIds = asList(filter.runId);
    const [results, runs] = await Promise.all([this.#b.getAll('results'), this.#b.getAll('runs')]);
    const runById = new Map(runs.map((r) => [r.id, r]));
    return results
      .filter((r) => (!models || models.includes(r.model)) && (!backends || backends.includes(r.backend)) &&
                     (!kinds || kinds.includes(r.kind)) && (!runIds || runIds.includes(r.run_id)))
      .sort((a, b) => a.id - b.id)
      .map((r) => joined(r, runById.get(r.run_id)));
  }

  /** The runs table, in id order. */
  async runs() {
    return (await this.#b.getAll('runs')).sort((a, b) => a.id - b.id);
  }

  /** A run's hardware report (the text stored), or null. */
  async hardware(runId) {
    return (await this.#b.getAll('hardware')).find((h) => h.run_id === runId)?.report ?? null;
  }

  /** A result's per-iteration latencies: [{result_id, iteration, latency_ms}]. */
  async iterations(resultId) {
    return (await this.#b.getAll('iterations')).filter((i) => i.result_id === resultId)
      .sort((a, b) => a.iteration - b.iteration);
  }

  /** The rows (filtered as query()) as `ipfs-accelerate results --format csv` prints them. */
  async toCSV(filter = {}) { return formatCSV(await this.query(filter)); }

  /** The rows as `ipfs-accelerate results --format json` prints them. */
  async toJSON(filter = {}) { return formatJSON(await this.query(filter)); }

  /** The rows as ia_benchmark_export(…, "json") writes them (one object per line). */
  async toNDJSON(filter = {}) { return formatNDJSON(await this.query(filter)); }

  /**
   * Appends the rows of an export (CSV, or JSON: the CLI's array or one
   * object per line) as `ipfs-accelerate results --import` does: each run of
   * the file a new run with a fresh id (start time, version, commit,
   * threads and status kept; config records the source), each row a result
   * with a fresh id, in one transaction. A malformed file throws an
   * ImportError naming the line and the field, and nothing is written.
   * format: 'csv' or 'json' (default: by source's name, else by the text).
   * → {runIds, resultIds}
   */
  async import(text, { format, source } = {}) {
    if (typeof text !== 'string') throw new TypeError('import: text must be a string');
    const fmt = format ?? (/\.csv$/i.test(source ?? '') ? 'csv' : /\.json$/i.test(source ?? '') ? 'json'
      : /^\s*[[{]|^\s*$/.test(text) ? 'json' : 'csv');
    if (fmt !== 'csv' && fmt !== 'json') throw new TypeError(`import: format '${fmt}' (csv or json)`);
    const src = source ?? `results.${fmt}`;
    const { columns, rows } = fmt === 'csv' ? parseCSV(text, src) : parseJSON(text, src);
    const plan = planImport(columns, rows, src);
    return this.#b.transact(async (tx) => {
      const runIds = [], resultIds = [], newId = new Map();
      for (const { run, result, group } of plan) {
        if (!newId.has(group)) {
          newId.set(group, await tx.add('runs', run));
          runIds.push(newId.get(group));
        }
        resultIds.push(await tx.add('results', { ...result, run_id: newId.get(group) }));
      }
      return { runIds, resultIds };
    });
  }

  importCSV(text, options = {}) { return this.import(text, { ...options, format: 'csv' }); }

  importJSON(text, options = {}) { return this.import(text, { ...options, format: 'json' }); }

  /** Removes every row (ids keep counting up: they are never reused). */
  async clear() {
    await this.#b.transact(async (tx) => { for (const s of STORES) await tx.clear(s); });
  }

  close() { this.#b.close(); }
}

// The rows of a parsed export as runs and results to insert, after the
// rules the native import checks (src/bench/import_rows.c): model, backend,
// precision present; kind and run_status from their lists; started_at
// present where its column is; the rows of one run agreeing on its columns.
function planImport(columns, rows, source) {
  const has = (c) => columns.includes(c);
  const first = new Map();
  const now = toTimestamp(new Date());
  return rows.map(({ line, values: v }) => {
    for (const name of ['model', 'backend', 'precision'])
      if (v[name] === null) throw new ImportError(source, line, name, `empty (a result names its ${name})`);
    if (v.kind != null && !KINDS.includes(v.kind)) throw new ImportError(source, line, 'kind', `"${v.kind}" is not embed or generate`);
    if (v.run_status != null && !RUN_STATUSES.includes(v.run_status))
      throw new ImportError(source, line, 'run_status', `"${v.run_status}" is not running, complete, failed or unknown`);
    if (has('started_at') && v.started_at === null)
      throw new ImportError(source, line, 'started_at', 'empty (a run has a start time)');
    if (has('run_id') && v.run_id === null)
      throw new ImportError(source, line, 'run_id', 'empty (every row belongs to a run)');
    const group = has('run_id') ? v.run_id : null;
    if (!first.has(group)) first.set(group, { line, v });
    const f = first.get(group);
    for (const c of Object.keys(RUN_COLUMNS))
      if (has(c) && !Object.is(v[c], f.v[c]))
        throw new ImportError(source, line, c, `differs from line ${f.line}'s, which is of the same run`);
    const run = {
      started_at: has('started_at') ? v.started_at : now, version: v.version ?? null, git_commit: v.git_commit ?? null,
      threads: v.threads ?? null, status: has('run_status') ? v.run_status : 'unknown',
      config: JSON.stringify({ imported_from: source, source_run_id: group }),
    };
    const result = {};
    for (const c of TABLES.results) if (c.name !== 'id' && c.name !== 'run_id') result[c.name] = v[c.name] ?? null;
    result.kind ??= 'embed';
    return { run, result, group };
  });
}

/**
 * Opens (or creates) a results store.
 *   name:    the IndexedDB database / in-memory store name
 *            (default 'ipfs_accelerate_benchmarks')
 *   storage: 'auto' (default: 'file' when file is given, else IndexedDB
 *            where it exists, else memory), 'indexeddb', 'memory' or 'file'
 *   file:    Node only: a JSON file the store is loaded from and saved to
 *   indexedDB: the IDBFactory to use (default globalThis.indexedDB)
 * → ResultsStore
 */
export async function openResultsStore({ name = 'ipfs_accelerate_benchmarks', storage = 'auto', file = null,
                                         indexedDB = globalThis.indexedDB } = {}) {
  if (typeof name !== 'string' || !name) throw new TypeError('openResultsStore: name must be a non-empty string');
  const kind = storage === 'auto' ? (file ? 'file' : indexedDB ? 'indexeddb' : 'memory') : storage;
  if (kind === 'indexeddb') {
    if (!indexedDB) throw new Error('openResultsStore: IndexedDB is not available here (globalThis.indexedDB is undefined)');
    return new ResultsStore(await IndexedDBBackend.open(name, indexedDB), name);
  }
  if (kind === 'file') {
    if (!file) throw new TypeError("openResultsStore: storage 'file' needs file");
    if (typeof process === 'undefined' || !process.versions?.node)
      throw new Error("openResultsStore: storage 'file' is for Node (use IndexedDB in a browser)");
    return new ResultsStore(await MemoryBackend.open(name, file), name);
  }
  if (kind !== 'memory') throw new TypeError(`openResultsStore: storage '${storage}' (auto, indexeddb, memory, file)`);
  return new ResultsStore(await MemoryBackend.open(name, null), name);
}

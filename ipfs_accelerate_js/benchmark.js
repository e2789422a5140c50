/*
 * benchmark.js — the seed's Benchmark: each model on each hardware profile,
 * measured in the core worker, stored with the DuckDB tables' columns
 * (IndexedDB in browsers, memory in Node; utils/results_store.js), charted
 * (utils/visualizer.js) and exported as `ipfs-accelerate results` writes
 * CSV/JSON, so `ipfs-accelerate results --import` reads them back.
 *
 *   const results = await new Benchmark({ modelIds, hardwareProfiles, iterations: 50, worker }).run();
 *   results.createVisualizer({ container });
 *   await results.toCSV('benchmark_results.csv');
 *
 * A profile whose backend has no executor here (WebGPU and WebNN today, or
 * wasm threads in a page that is not cross-origin isolated) is a row with
 * skipped_reason saying why, as the C runner records absent hardware.
 */
import { BrowserHardwareDetector, HardwareProfile } from './hardware.js';
import { ModelManager } from './model_manager.js';
import { openResultsStore } from './utils/results_store.js';
import { createVisualizer } from './utils/visualizer.js';

const DEFAULT_TEXT = 'The quick brown fox jumps over the lazy dog while a benchmark measures how fast it can be embedded.';

function percentile(sorted, q) {
  if (!sorted.length) return NaN;
  const i = (sorted.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const sd = ms.length > 1 ? Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / (ms.length - 1)) : 0;
  return { mean, sd, p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99) };
}

/** What a run produced: its rows, and the store they are kept in. */
export class BenchmarkResults {
  constructor(store, runId, rows) {
    this.store = store;
    this.runId = runId;
    this.results = rows;
  }

  /** SVG charts of this run's rows into container (or a string via .renderSVG() in Node). */
  createVisualizer(options = {}) {
    return createVisualizer({ ...options, results: this.results });
  }

  async #export(text, filename, type) {
    if (filename && typeof document !== 'undefined') {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([text], { type }));
      a.download = filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 0);
    } else if (filename && typeof process === 'object' && process.versions?.node) {
      const fs = await import('node:fs');
      fs.writeFileSync(filename, text);
    }
    return text;
  }

  /** CSV as `ipfs-accelerate results --format csv`; written to filename (a download in browsers) when given. */
  async toCSV(filename) {
    return this.#export(await this.store.toCSV({ runId: this.runId }), filename, 'text/csv');
  }

  /** JSON as `ipfs-accelerate results --format json`. */
  async toJSON(filename) {
    return this.#export(await this.store.toJSON({ runId: this.runId }), filename, 'application/json');
  }
}

export class Benchmark {
  /**
   * options: {modelIds, hardwareProfiles (HardwareProfile or their options;
   * default wasm), batchSizes ([1]), iterations (50), warmup (3), texts
   * (the batch's texts; default one ~20-token sentence), worker (a WebWorker
   * whose core to use), store (a ResultsStore; default the page's IndexedDB
   * store 'ipfs_accelerate_benchmarks'), onProgress({model, backend, batch, i, n})}
   */
  constructor(options = {}) {
    const { modelIds = [], hardwareProfiles, batchSizes = [1], iterations = 50, warmup = 3 } = options;
    if (!Array.isArray(modelIds) || !modelIds.length || modelIds.some((m) => typeof m !== 'string'))
      throw new TypeError('Benchmark: modelIds must be a non-empty array of model ids');
    if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('Benchmark: iterations must be an integer >= 1');
    if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError('Benchmark: warmup must be an integer >= 0');
    if (!Array.isArray(batchSizes) || batchSizes.some((b) => !Number.isInteger(b) || b < 1))
      throw new RangeError('Benchmark: batchSizes must be integers >= 1');
    this.options = { ...options, modelIds, batchSizes, iterations, warmup };
    this.profiles = (hardwareProfiles ?? [new HardwareProfile({ backend: 'wasm' })])
      .map((p) => (p instanceof HardwareProfile ? p : new HardwareProfile(p)));
  }

  async run() {
    const o = this.options;
    const store = o.store ?? await openResultsStore({ name: 'ipfs_accelerate_benchmarks' });
    const caps = await new BrowserHardwareDetector().detectCapabilities();
    const manager = new ModelManager({ worker: o.worker, threads: o.threads ?? 0 });
    const core = await manager.coreInfo();
    const runnable = new Set((caps.backends ?? []).map((b) => (typeof b === 'string' ? b : b.name)));
    const rows = [];
    for (const id of o.modelIds) {
      for (const profile of this.profiles) {
        const backend = profile.backend === 'auto' ? 'wasm' : profile.backend;
        for (const batch of o.batchSizes) {
          const base = { model: id, backend, precision: profile.precision ?? 'fp32', batch, iterations: o.iterations,
                         warmup: o.warmup, kind: 'embed' };
          if (!runnable.has(backend)) {
            const c = caps[backend];
            rows.push({ ...base, iterations: 0, skipped_reason: c?.available ? `${backend}: detected, no executor yet`
                                                                               : `${backend}: ${c?.reason ?? 'not available'}` });
            continue;
          }
          const model = await manager.loadModel(id);
          if (model.info.precision !== base.precision) {
            rows.push({ ...base, iterations: 0,
                        skipped_reason: `${id} is ${model.info.precision}; the profile asks for ${base.precision}` });
            continue;
          }
          const texts = Array.from({ length: batch }, (_, i) => o.texts?.[i % o.texts.length] ?? DEFAULT_TEXT);
          for (let i = 0; i < o.warmup; i++) await model.embedBatch(texts);
          const ms = [];
          for (let i = 0; i < o.iterations; i++) {
            const t0 = performance.now();
            await model.embedBatch(texts);
            ms.push(performance.now() - t0);
            o.onProgress?.({ model: id, backend, batch, i: i + 1, n: o.iterations });
          }
          const s = stats(ms);
          rows.push({ ...base, latency_ms_mean: s.mean, latency_ms_stddev: s.sd, latency_ms_p50: s.p50,
                      latency_ms_p90: s.p90, latency_ms_p99: s.p99, items_per_s: (1000 * batch) / s.mean,
                      model_bytes: model.info.weight_bytes, threads_used: model.info.threads, iteration_ms: ms });
        }
      }
    }
    if (!o.worker) await manager.close();
    const { runId } = await store.add({
      version: core.version, threads: core.threads, hardware: { ...caps, core },
      config: { modelIds: o.modelIds, batchSizes: o.batchSizes, iterations: o.iterations, warmup: o.warmup,
                profiles: this.profiles.map((p) => p.toJSON()), runtime: core.runtime },
    }, rows);
    return new BenchmarkResults(store, runId, await store.query({ runId }));
  }
}

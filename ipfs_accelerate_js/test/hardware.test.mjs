// hardware.test.mjs — HardwareProfile's checks and BrowserHardwareDetector's
// real answers in Node (SIMD and threads validated by this V8, cores and
// memory from node:os, no WebGPU or WebNN, each absence with its reason).
// The browser branches run here against a stand-in global object; the real
// browser is checked with Playwright.
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';

import {
  BrowserHardwareDetector, HardwareProfile, WASM_PROBES, parseMemorySize, parsePrecision,
} from '../hardware.js';

test('detector in Node reports the real machine', async () => {
  const caps = await new BrowserHardwareDetector().detectCapabilities();
  assert.equal(caps.runtime.kind, 'node');
  assert.equal(caps.runtime.version, process.versions.node);
  assert.equal(caps.cores.logical, os.availableParallelism());
  assert.equal(caps.cores.source, 'os.availableParallelism()');
  assert.equal(caps.memory.totalBytes, os.totalmem());
  // Node 20's V8 has fixed-width SIMD and threads
  assert.equal(caps.wasm.available, true);
  assert.equal(caps.wasm.simd.available, true, caps.wasm.simd.reason);
  assert.equal(caps.wasm.threads.available, true, caps.wasm.threads.reason);
  assert.equal(caps.wasm.threads.maxThreads, os.availableParallelism());
  // Node 20 has no navigator: no WebGPU, no WebNN, each saying why
  for (const k of ['webgpu', 'webnn']) {
    assert.equal(caps[k].available, false);
    assert.equal(caps[k].executor, null);
    assert.match(caps[k].reason, /navigator/);
  }
  assert.equal(caps.crossOriginIsolated.available, false);
  assert.equal(caps.crossOriginIsolated.applies, false);
  assert.match(caps.crossOriginIsolated.reason, /Node/);
  assert.deepEqual(caps.backends, [{ name: 'wasm', executor: caps.wasm.executor, threads: os.availableParallelism(),
                                     simd: true }]);
  assert.equal(await new BrowserHardwareDetector().detectCapabilities().then((c) => c.backends.length), 1);
});

test('the WebAssembly probes are real modules: validate() refuses them when broken', () => {
  for (const [name, bytes] of Object.entries(WASM_PROBES)) {
    assert.equal(WebAssembly.validate(bytes), true, name);
    assert.ok(new WebAssembly.Module(bytes), name);
  }
  const wrongType = new Uint8Array(WASM_PROBES.simd);
  wrongType[14] = 0x7f; // the function claims to return i32 but leaves a v128
  assert.equal(WebAssembly.validate(wrongType), false);
  const notShared = new Uint8Array(WASM_PROBES.threads);
  notShared[21] = 0x01; // max without shared: still a valid module
  assert.equal(WebAssembly.validate(notShared), true);
  notShared[21] = 0x02; // shared without a maximum is invalid
  assert.equal(WebAssembly.validate(notShared), false);
});

// A browser-like global: only what the branches under test read.
function browserGlobal({ gpu, ml, isolated = true, sab = true, hardwareConcurrency = 8, deviceMemory } = {}) {
  const g = {
    window: {}, document: {}, WebAssembly, isSecureContext: true, crossOriginIsolated: isolated, Worker: function Worker() {},
    navigator: { userAgent: 'Mozilla/5.0 test', hardwareConcurrency, gpu, ml, deviceMemory },
    performance: {},
  };
  if (sab) g.SharedArrayBuffer = SharedArrayBuffer;
  return g;
}

test('browser: WebGPU adapter reported with info, limits and features, but not executable', async () => {
  const adapter = {
    info: { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA A100' },
    isFallbackAdapter: false,
    limits: Object.create({ maxBufferSize: 2 ** 30, maxComputeWorkgroupSizeX: 1024 }),
    features: new Set(['shader-f16', 'float32-filterable']),
  };
  const g = browserGlobal({ gpu: { requestAdapter: async () => adapter }, deviceMemory: 8 });
  const caps = await new BrowserHardwareDetector({ globalObject: g }).detectCapabilities();
  assert.equal(caps.runtime.kind, 'browser');
  assert.equal(caps.cores.logical, 8);
  assert.equal(caps.memory.deviceMemoryGiB, 8);
  assert.match(caps.memory.jsHeapReason, /performance\.memory/);
  assert.equal(caps.webgpu.available, true);
  assert.equal(caps.webgpu.executor, null);
  assert.equal(caps.webgpu.reason, 'no WebGPU executor yet');
  assert.equal(caps.webgpu.adapter.vendor, 'nvidia');
  assert.deepEqual(caps.webgpu.limits, { maxBufferSize: 2 ** 30, maxComputeWorkgroupSizeX: 1024 });
  assert.deepEqual(caps.webgpu.features, ['float32-filterable', 'shader-f16']);
  assert.deepEqual(caps.backends.map((b) => b.name), ['wasm']);
  assert.equal(caps.wasm.threads.maxThreads, 8);
  const choice = await new BrowserHardwareDetector({ globalObject: g }).getOptimalBackend({ modelId: 'm' });
  assert.equal(choice.backend, 'wasm');
  assert.match(choice.reason, /webgpu: no WebGPU executor yet/);
});

test('browser: each absence has its reason', async () => {
  let caps = await new BrowserHardwareDetector({ globalObject: browserGlobal() }).detectCapabilities();
  assert.equal(caps.webgpu.reason, 'navigator.gpu is undefined');
  assert.match(caps.webnn.reason, /navigator\.ml is undefined/);
  caps = await new BrowserHardwareDetector({
    globalObject: browserGlobal({ gpu: { requestAdapter: async () => null },
                                  ml: { createContext: async () => { throw new Error('no NPU driver'); } } }),
  }).detectCapabilities();
  assert.match(caps.webgpu.reason, /requestAdapter\(\) returned null/);
  assert.equal(caps.webnn.available, false);
  assert.equal(caps.webnn.api, true);
  assert.match(caps.webnn.reason, /createContext\(\) failed: no NPU driver/);
  caps = await new BrowserHardwareDetector({
    globalObject: browserGlobal({ ml: { createContext: async () => ({}) } }),
  }).detectCapabilities();
  assert.equal(caps.webnn.available, true);
  assert.equal(caps.webnn.executor, null);
  assert.equal(caps.webnn.reason, 'no WebNN executor yet');
  // not cross-origin isolated: SharedArrayBuffer gone, threads off, why said
  caps = await new BrowserHardwareDetector({ globalObject: browserGlobal({ isolated: false, sab: false }) })
    .detectCapabilities();
  assert.equal(caps.crossOriginIsolated.available, false);
  assert.match(caps.crossOriginIsolated.reason, /Cross-Origin-Opener-Policy/);
  assert.equal(caps.wasm.threads.available, false);
  assert.match(caps.wasm.threads.reason, /SharedArrayBuffer is undefined/);
  assert.equal(caps.wasm.threads.maxThreads, 1);
  assert.deepEqual(caps.backends, [{ name: 'wasm', executor: caps.wasm.executor, threads: 1, simd: true }]);
  // SharedArrayBuffer present but the page not isolated: still no threads
  caps = await new BrowserHardwareDetector({ globalObject: browserGlobal({ isolated: false }) }).detectCapabilities();
  assert.equal(caps.wasm.threads.available, false);
  assert.match(caps.wasm.threads.reason, /crossOriginIsolated is false/);
  // no WebAssembly at all: nothing can execute, and getOptimalBackend says why
  const g = browserGlobal();
  delete g.WebAssembly;
  const d = new BrowserHardwareDetector({ globalObject: g });
  assert.deepEqual((await d.detectCapabilities()).backends, []);
  await assert.rejects(d.getOptimalBackend({ modelId: 'm' }), /no backend can run models here \(webgpu: .*wasm: WebAssembly is undefined/);
});

test('getOptimalBackend: measured rows first, else a heuristic that says so', async () => {
  const d = new BrowserHardwareDetector();
  const h = await d.getOptimalBackend({ modelId: 'bert-base-uncased', taskType: 'text-embedding', batchSize: 16 });
  assert.equal(h.backend, 'wasm');
  assert.equal(h.measured, false);
  assert.match(h.reason, /^heuristic \(no measured rows for bert-base-uncased at batch 16\)/);
  assert.deepEqual(h.candidates.map((c) => [c.name, c.executable]), [['webgpu', false], ['webnn', false], ['wasm', true]]);
  const rows = [
    { run_id: 1, model: 'bert-base-uncased', backend: 'wasm', batch: 1, items_per_s: 50, skipped_reason: null },
    { run_id: 1, model: 'bert-base-uncased', backend: 'wasm', batch: 16, items_per_s: 210.5, skipped_reason: null },
    { run_id: 2, model: 'bert-base-uncased', backend: 'webgpu', batch: 16, items_per_s: 9000, skipped_reason: null },
    { run_id: 2, model: 'other', backend: 'wasm', batch: 16, items_per_s: 9000, skipped_reason: null },
  ];
  const m = await d.getOptimalBackend({ modelId: 'bert-base-uncased', batchSize: 16, results: rows });
  assert.equal(m.backend, 'wasm'); // webgpu's row cannot run here, other's is another model
  assert.equal(m.measured, true);
  assert.match(m.reason, /^measured: wasm gave 210\.5 items\/s at batch 16 \(run 1\)/);
});

test('HardwareProfile: defaults, the seed\'s profiles, immutability', async () => {
  const p = new HardwareProfile();
  assert.deepEqual(p.toJSON(), { backend: 'auto', precision: 'fp32', memoryLimitBytes: 0, optimizationLevel: 2,
                                 features: {}, threads: 0, deviceIndex: 0 });
  const g = new HardwareProfile({ backend: 'webgpu', precision: 'FP16', optimizationLevel: 'performance',
                                  features: { shaderPrecompilation: true, computeShaderOptimization: true } });
  assert.equal(g.precision, 'fp16');
  assert.equal(g.optimizationLevel, 3);
  assert.equal(g.features.shaderPrecompilation, true);
  assert.throws(() => { g.features.shaderPrecompilation = false; }, TypeError);
  assert.equal(Object.isFrozen(g), true);
  const w = new HardwareProfile({ backend: 'wasm', memoryLimit: '4GB', threads: 4, deviceIndex: 1 });
  assert.equal(w.memoryLimitBytes, 4e9);
  assert.equal(w.device, 'wasm:1');
  assert.ok(w.with({ deviceIndex: 0 }).equals(new HardwareProfile({ backend: 'wasm', memoryLimit: 4e9, threads: 4 })));
  assert.ok(!w.equals(g));
  await w.checkAvailable(); // wasm runs here
  await new HardwareProfile().checkAvailable();
  await assert.rejects(g.checkAvailable(), /backend 'webgpu' cannot run models here: navigator is undefined/);
});

test('HardwareProfile: clear errors', () => {
  const bad = [
    [{ backnd: 'wasm' }, TypeError, /unknown option 'backnd' \(backend, precision/],
    [{ backend: 'cuda' }, RangeError, /backend 'cuda' is not a browser backend \(auto, wasm, webgpu, webnn\)/],
    [{ backend: '' }, TypeError, /non-empty string/],
    [{ precision: 'fp8' }, RangeError, /unknown precision 'fp8' \(fp32, fp16, bf16, int8, int4, int2\)/],
    [{ memoryLimit: '4 parsecs' }, RangeError, /memory size '4 parsecs' is not a size such as 4GB/],
    [{ memoryLimit: -1 }, RangeError, /not a byte count >= 0/],
    [{ memoryLimit: true }, TypeError, /memory size must be a string or a number/],
    [{ optimizationLevel: 5 }, RangeError, /optimizationLevel must be 0-3 or one of portable/],
    [{ optimizationLevel: 'fast' }, RangeError, /optimizationLevel 'fast' is not 0-3/],
    [{ threads: -1 }, RangeError, /threads must be an integer >= 0, not -1/],
    [{ threads: 1.5 }, RangeError, /threads must be an integer >= 0, not 1.5/],
    [{ deviceIndex: '0' }, RangeError, /deviceIndex must be an integer >= 0/],
    [{ features: { shaderPrecomp: true } }, RangeError, /unknown feature 'shaderPrecomp' \(shaderPrecompilation, computeShaderOptimization\)/],
    [{ features: { shaderPrecompilation: 'yes' } }, TypeError, /must be true or false/],
    [{ backend: 'wasm', features: { shaderPrecompilation: true } }, RangeError, /is for the webgpu backend, not wasm/],
    [{ features: [] }, TypeError, /features must be an object/],
  ];
  for (const [opts, type, msg] of bad) assert.throws(() => new HardwareProfile(opts), (e) => e instanceof type && msg.test(e.message), JSON.stringify(opts));
  assert.throws(() => new HardwareProfile(null), TypeError);
});

test('memory sizes and precisions parse as the C core parses them', () => {
  // src/hw/profile.c ia_parse_memory_size: decimal units 1000^n, binary and bare letters 1024^n, rounded up
  const cases = { '4GB': 4e9, '512MiB': 512 * 2 ** 20, '1.5G': 1.5 * 2 ** 30, '1000000': 1e6, '2 kb': 2000, '1k': 1024,
                  '0.5': 1, '1TiB': 2 ** 40, '3b': 3, '1e3': 1000 };
  for (const [text, bytes] of Object.entries(cases)) assert.equal(parseMemorySize(text), bytes, text);
  for (const text of ['', 'GB', '-1GB', '1XB', '1e400', '1GBs', '0x10']) assert.throws(() => parseMemorySize(text), RangeError, text);
  assert.equal(parsePrecision('INT4'), 'int4');
  assert.throws(() => parsePrecision('q4'), /unknown precision 'q4'/);
});

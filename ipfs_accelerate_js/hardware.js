// hardware.js — the seed's HardwareProfile and BrowserHardwareDetector for
// the browser (window or worker) and Node.
//
// HardwareProfile is a description checked when it is made, as the Python
// package's is: a backend name, a precision and a memory limit parsed as the
// C core parses them (ia_precision_parse, ia_parse_memory_size), an
// optimisation level, threads. It may name hardware this machine lacks;
// checkAvailable() says whether it can run here.
//
// BrowserHardwareDetector asks the platform, never guesses: WebAssembly SIMD
// and threads by validating and constructing the real thing, WebGPU by
// requesting an adapter, WebNN by creating a context. Whatever is absent is
// reported absent with the reason. What is detected is not the same as what
// runs: the only executor today is the C core compiled to WebAssembly, so
// `backends` lists 'wasm' alone and WebGPU/WebNN come back as detected with
// `executor: null` and the reason.

/** Precision names, in ia_precision's order (src/hw/profile.c). */
export const PRECISIONS = Object.freeze(['fp32', 'fp16', 'bf16', 'int8', 'int4', 'int2']);

/** Names accepted for optimizationLevel besides 0-3, as the Python package's
 * OPTIMIZATION_LEVELS: 0 portable kernels, 1 at most AVX2, 2 (default) and 3
 * the best kernels the CPU runs; "high" and "performance" are the seed's. */
export const OPTIMIZATION_LEVELS = Object.freeze({ portable: 0, avx2: 1, default: 2, high: 3, performance: 3 });

/** The backends a profile may name: 'auto' (the SDK picks) and the seed's three. */
export const BROWSER_BACKENDS = Object.freeze(['auto', 'wasm', 'webgpu', 'webnn']);

/** Profile features and the backend each is for (the seed's WebGPU options). */
export const PROFILE_FEATURES = Object.freeze({ shaderPrecompilation: 'webgpu', computeShaderOptimization: 'webgpu' });

const PROFILE_OPTIONS = ['backend', 'precision', 'memoryLimit', 'optimizationLevel', 'features', 'threads',
                         'deviceIndex'];

// ia_parse_memory_size's units: decimal ones are powers of 1000, binary ones
// (and the bare letters) powers of 1024.
const MEMORY_UNITS = {
  '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, k: 1024, m: 1048576, g: 1073741824, t: 1099511627776,
  kib: 1024, mib: 1048576, gib: 1073741824, tib: 1099511627776,
};

/**
 * Bytes in a size such as "4GB" (powers of 1000), "512MiB" or "1.5G"
 * (powers of 1024), or a plain byte count — as the C core's
 * ia_parse_memory_size reads it, rounded up (so "0.5" is 1 byte, not the
 * 0 that means "no limit"). Throws RangeError for anything else.
 */
export function parseMemorySize(size) {
  if (typeof size === 'number') {
    if (!Number.isFinite(size) || size < 0) throw new RangeError(`memory size ${size} is not a byte count >= 0`);
    return Math.ceil(size);
  }
  if (typeof size !== 'string') throw new TypeError(`memory size must be a string or a number, not ${typeof size}`);
  const m = /^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)$/.exec(size);
  const scale = m ? MEMORY_UNITS[m[2].toLowerCase()] : undefined;
  const bytes = scale === undefined ? NaN : Number(m[1]) * scale;
  // 9.2e18: the largest count an int64 holds, as the core refuses past it
  if (!(bytes >= 0) || bytes >= 9.2e18)
    throw new RangeError(`memory size '${size}' is not a size such as 4GB, 512MiB or 1000000`);
  return Math.ceil(bytes);
}

/** The canonical name of a precision ("FP16" → "fp16"); RangeError otherwise. */
export function parsePrecision(name) {
  const p = typeof name === 'string' ? name.toLowerCase() : null;
  if (!PRECISIONS.includes(p)) throw new RangeError(`unknown precision '${name}' (${PRECISIONS.join(', ')})`);
  return p;
}

function checkCount(name, v) {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer >= 0, not ${JSON.stringify(v)}`);
  return v;
}

/**
 * What a model should run on and within which limits (the seed's
 * HardwareProfile; the core's ia_hardware_profile). Immutable.
 *
 *   new HardwareProfile({ backend: 'webgpu', precision: 'fp16', optimizationLevel: 'performance',
 *                         features: { shaderPrecompilation: true } })
 *
 * Options: backend ('auto' default, 'wasm', 'webgpu', 'webnn'), precision
 * ('fp32' default … 'int2'), memoryLimit (null/0 = none, bytes, or "4GB"),
 * optimizationLevel (0-3 or a name of OPTIMIZATION_LEVELS; 2 default),
 * features ({name: boolean} of PROFILE_FEATURES), threads (0 = one per
 * core), deviceIndex (0). An unknown option, a malformed value or a
 * feature of another backend throws a TypeError/RangeError saying which.
 */
export class HardwareProfile {
  #o;

  constructor(options = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options))
      throw new TypeError('HardwareProfile takes an options object, e.g. { backend: "wasm" }');
    for (const k of Object.keys(options))
      if (!PROFILE_OPTIONS.includes(k))
        throw new TypeError(`HardwareProfile: unknown option '${k}' (${PROFILE_OPTIONS.join(', ')})`);
    const {
      backend = 'auto', precision = 'fp32', memoryLimit = null, optimizationLevel = 2, features = {},
      threads = 0, deviceIndex = 0,
    } = options;
    if (typeof backend !== 'string' || !backend)
      throw new TypeError('backend must be a non-empty string (use "auto" to let the SDK choose)');
    if (!BROWSER_BACKENDS.includes(backend))
      throw new RangeError(`backend '${backend}' is not a browser backend (${BROWSER_BACKENDS.join(', ')})`);
    let level = optimizationLevel;
    if (typeof level === 'string') {
      if (!(level in OPTIMIZATION_LEVELS))
        throw new RangeError(`optimizationLevel '${level}' is not 0-3 or one of ${Object.keys(OPTIMIZATION_LEVELS).join(', ')}`);
      level = OPTIMIZATION_LEVELS[level];
    } else if (!Number.isInteger(level) || level < 0 || level > 3) {
      throw new RangeError(`optimizationLevel must be 0-3 or one of ${Object.keys(OPTIMIZATION_LEVELS).join(', ')}, ` +
                           `not ${JSON.stringify(level)}`);
    }
    if (features === null || typeof features !== 'object' || Array.isArray(features))
      throw new TypeError('features must be an object of {name: boolean}');
    for (const [name, on] of Object.entries(features)) {
      if (!(name in PROFILE_FEATURES))
        throw new RangeError(`unknown feature '${name}' (${Object.keys(PROFILE_FEATURES).join(', ')})`);
      if (typeof on !== 'boolean') throw new TypeError(`feature ${name} must be true or false, not ${JSON.stringify(on)}`);
      const forBackend = PROFILE_FEATURES[name];
      if (on && backend !== 'auto' && backend !== forBackend)
        throw new RangeError(`feature ${name} is for the ${forBackend} backend, not ${backend}`);
    }
    this.#o = Object.freeze({
      backend,
      precision: parsePrecision(precision),
      memoryLimitBytes: memoryLimit === null || memoryLimit === undefined ? 0 : parseMemorySize(memoryLimit),
      optimizationLevel: level,
      features: Object.freeze({ ...features }),
      threads: checkCount('threads', threads),
      deviceIndex: checkCount('deviceIndex', deviceIndex),
    });
    Object.freeze(this);
  }

  get backend() { return this.#o.backend; }
  get precision() { return this.#o.precision; }
  /** Largest weights in bytes a model may have (0 = no limit). */
  get memoryLimitBytes() { return this.#o.memoryLimitBytes; }
  get optimizationLevel() { return this.#o.optimizationLevel; }
  get features() { return this.#o.features; }
  /** Threads (0 = one per core). */
  get threads() { return this.#o.threads; }
  get deviceIndex() { return this.#o.deviceIndex; }
  /** The device as the core names it: "wasm", "webgpu:1" (index 0 is written without ":0"). */
  get device() { return this.#o.deviceIndex ? `${this.#o.backend}:${this.#o.deviceIndex}` : this.#o.backend; }

  /** A copy with some options changed (same names as the constructor). */
  with(changes = {}) {
    return new HardwareProfile({
      backend: this.backend, precision: this.precision, memoryLimit: this.memoryLimitBytes,
      optimizationLevel: this.optimizationLevel, features: this.features, threads: this.threads,
      deviceIndex: this.deviceIndex, ...changes,
    });
  }

  equals(other) {
    return other instanceof HardwareProfile && JSON.stringify(this) === JSON.stringify(other);
  }

  toJSON() {
    return { backend: this.backend, precision: this.precision, memoryLimitBytes: this.memoryLimitBytes,
             optimizationLevel: this.optimizationLevel, features: { ...this.features }, threads: this.threads,
             deviceIndex: this.deviceIndex };
  }

  toString() { return `HardwareProfile(${JSON.stringify(this)})`; }

  /**
   * Throws an Error with the detector's reason when this profile's backend
   * cannot execute here ('auto' always can: it falls back to wasm).
   * capabilities: a detectCapabilities() result (detected now if omitted).
   */
  async checkAvailable(capabilities) {
    if (this.backend === 'auto') return;
    const caps = capabilities ?? await new BrowserHardwareDetector().detectCapabilities();
    if (caps.backends.some((b) => b.name === this.backend)) return;
    const c = caps[this.backend];
    const why = c?.available ? c.reason : c?.reason ?? 'not detected';
    throw new Error(`backend '${this.backend}' cannot run models here: ${why}`);
  }
}

// ------------------------------------------------------------- detection

const absent = (reason, extra = {}) => ({ available: false, reason, ...extra });

const isNode = (g) => typeof g.process?.versions?.node === 'string';

async function nodeOs() {
  // a specifier bundlers leave alone; only ever reached in Node
  const spec = 'node:os';
  return import(/* webpackIgnore: true */ /* @vite-ignore */ spec);
}

// The smallest modules that need each feature; WebAssembly.validate says
// whether this engine's decoder accepts them (no instance is made).
// () -> v128 { v128.const 0 }
const SIMD_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: no locals, v128.const
  ...new Array(16).fill(0), 0x0b, // 16 zero bytes, end
]);
// a shared memory (limits flag 3: max and shared) and () { atomic.fence }
const THREADS_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
  0x03, 0x02, 0x01, 0x00,
  0x05, 0x04, 0x01, 0x03, 0x01, 0x01, // memory: shared, min 1, max 1 page
  0x0a, 0x07, 0x01, 0x05, 0x00, 0xfe, 0x03, 0x00, 0x0b, // code: atomic.fence, end
]);
// the same shapes without the feature: proves validate() is not simply false
const PLAIN_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // () -> i32
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b, // i32.const 0, end
]);

export const WASM_PROBES = Object.freeze({ simd: SIMD_MODULE, threads: THREADS_MODULE, plain: PLAIN_MODULE });

function validates(bytes) {
  try {
    return WebAssembly.validate(bytes);
  } catch (e) {
    return false;
  }
}

function detectRuntime(g) {
  const nav = g.navigator;
  if (isNode(g)) {
    const p = g.process;
    return { kind: 'node', version: p.versions.node, platform: p.platform, arch: p.arch,
             userAgent: nav?.userAgent ?? `Node.js/${p.versions.node} (${p.platform}; ${p.arch})` };
  }
  const kind = typeof g.window !== 'undefined' && typeof g.document !== 'undefined' ? 'browser'
    : typeof g.WorkerGlobalScope !== 'undefined' && g instanceof g.WorkerGlobalScope ? 'worker' : 'unknown';
  return { kind, userAgent: nav?.userAgent ?? null, platform: nav?.userAgentData?.platform ?? nav?.platform ?? null,
           secureContext: g.isSecureContext ?? null };
}

function detectIsolation(g, runtime) {
  if (runtime.kind === 'node')
    return absent('not a browser: Node has no cross-origin isolation (it shares memory between threads without it)',
                  { applies: false });
  if (g.crossOriginIsolated === true) return { available: true, reason: 'crossOriginIsolated is true', applies: true };
  if (g.crossOriginIsolated === false)
    return absent('crossOriginIsolated is false: serve the page with Cross-Origin-Opener-Policy: same-origin and ' +
                  'Cross-Origin-Embedder-Policy: require-corp (or credentialless)', { applies: true });
  return absent('crossOriginIsolated is undefined (this engine predates cross-origin isolation)', { applies: true });
}

async function detectCores(g, runtime) {
  if (runtime.kind === 'node') {
    const os = await nodeOs();
    if (typeof os.availableParallelism === 'function')
      return { logical: os.availableParallelism(), source: 'os.availableParallelism()' };
    return { logical: os.cpus().length, source: 'os.cpus().length' };
  }
  const n = g.navigator?.hardwareConcurrency;
  if (Number.isInteger(n) && n > 0) return { logical: n, source: 'navigator.hardwareConcurrency' };
  return { logical: null, source: null, reason: 'navigator.hardwareConcurrency is undefined' };
}

async function detectMemory(g, runtime) {
  const out = {};
  if (runtime.kind === 'node') {
    const os = await nodeOs();
    out.totalBytes = os.totalmem();
    out.freeBytes = os.freemem();
    out.source = 'os.totalmem()';
    const constrained = typeof g.process.constrainedMemory === 'function' ? g.process.constrainedMemory() : undefined;
    // 0 or a value past the machine's memory: no cgroup limit
    if (constrained && constrained < out.totalBytes) out.constrainedBytes = constrained;
  } else {
    const dm = g.navigator?.deviceMemory;
    out.deviceMemoryGiB = typeof dm === 'number' ? dm : null;
    if (typeof dm !== 'number')
      out.deviceMemoryReason = 'navigator.deviceMemory is undefined (Chromium-only, and only in secure contexts)';
    const pm = g.performance?.memory;
    out.jsHeap = pm ? { limitBytes: pm.jsHeapSizeLimit, totalBytes: pm.totalJSHeapSize, usedBytes: pm.usedJSHeapSize }
      : null;
    if (!pm) out.jsHeapReason = 'performance.memory is undefined (Chromium-only)';
    out.totalBytes = typeof dm === 'number' ? dm * 2 ** 30 : null;
    out.source = typeof dm === 'number' ? 'navigator.deviceMemory (rounded by the browser)' : null;
  }
  // the core is wasm32: one module addresses at most 4 GiB
  out.wasmMaxBytes = 4 * 2 ** 30;
  return out;
}

function detectWasm(g, runtime, isolation, cores) {
  if (typeof g.WebAssembly !== 'object' || typeof g.WebAssembly.validate !== 'function')
    return absent('WebAssembly is undefined (disabled, or a very old engine)', {
      executor: null, simd: absent('no WebAssembly'), threads: absent('no WebAssembly'),
    });
  const wasm = { available: validates(PLAIN_MODULE), executor: 'ipfs_accelerate core (WebAssembly)' };
  wasm.reason = wasm.available ? 'WebAssembly.validate accepts a module' : 'WebAssembly.validate refuses a plain module';
  wasm.simd = validates(SIMD_MODULE) ? { available: true, reason: 'WebAssembly.validate accepts a v128 module' }
    : absent('WebAssembly.validate refuses a module with v128.const (no fixed-width SIMD)');
  let threads;
  if (typeof g.SharedArrayBuffer !== 'function') {
    threads = absent(runtime.kind === 'node' ? 'SharedArrayBuffer is undefined'
      : 'SharedArrayBuffer is undefined: the page is not cross-origin isolated (COOP/COEP headers)');
  } else if (!validates(THREADS_MODULE)) {
    threads = absent('WebAssembly.validate refuses a shared memory with atomic.fence (no threads proposal)');
  } else {
    try {
      const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      if (!(mem.buffer instanceof g.SharedArrayBuffer)) throw new Error('its buffer is not a SharedArrayBuffer');
      threads = { available: true, reason: 'a shared WebAssembly.Memory was made' };
    } catch (e) {
      threads = absent(`new WebAssembly.Memory({shared: true}) failed: ${e.message}`);
    }
    if (threads.available && isolation.applies && !isolation.available)
      threads = absent(`SharedArrayBuffer exists but ${isolation.reason}`);
    const workers = runtime.kind === 'node' || typeof g.Worker === 'function';
    if (threads.available && !workers) threads = absent('Worker is undefined here: no threads to run the pool on');
  }
  threads.maxThreads = threads.available ? cores.logical ?? 1 : 1;
  wasm.threads = threads;
  return wasm;
}

async function detectWebGPU(g) {
  const gpu = g.navigator?.gpu;
  if (typeof g.navigator === 'undefined') return absent('navigator is undefined, so is navigator.gpu', { executor: null });
  if (!gpu) {
    const hint = g.isSecureContext === false ? ' (WebGPU needs a secure context: https or localhost)' : '';
    return absent(`navigator.gpu is undefined${hint}`, { executor: null });
  }
  let adapter;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return absent(`navigator.gpu.requestAdapter() threw: ${e.message}`, { executor: null, api: true });
  }
  if (!adapter)
    return absent('navigator.gpu.requestAdapter() returned null (no suitable GPU, or WebGPU is disabled)',
                  { executor: null, api: true });
  let info = adapter.info;
  if (!info && typeof adapter.requestAdapterInfo === 'function') {
    try { info = await adapter.requestAdapterInfo(); } catch { info = null; }
  }
  const limits = {};
  // WebIDL attributes: enumerable getters on the prototype
  for (const k in adapter.limits) if (typeof adapter.limits[k] === 'number') limits[k] = adapter.limits[k];
  return {
    available: true, api: true, executor: null, reason: 'no WebGPU executor yet',
    adapter: info ? { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '',
                      description: info.description ?? '', isFallbackAdapter: adapter.isFallbackAdapter ?? info.isFallbackAdapter ?? null }
      : null,
    limits, features: [...(adapter.features ?? [])].sort(),
  };
}

async function detectWebNN(g) {
  if (typeof g.navigator === 'undefined') return absent('navigator is undefined, so is navigator.ml', { executor: null });
  const ml = g.navigator.ml;
  if (!ml) return absent('navigator.ml is undefined (WebNN is not enabled in this browser)', { executor: null });
  if (typeof ml.createContext !== 'function')
    return absent('navigator.ml.createContext is not a function', { executor: null, api: true });
  try {
    const ctx = await ml.createContext();
    if (!ctx) return absent('navigator.ml.createContext() returned nothing', { executor: null, api: true });
    return { available: true, api: true, executor: null, reason: 'no WebNN executor yet', context: { created: true } };
  } catch (e) {
    return absent(`navigator.ml.createContext() failed: ${e.message}`, { executor: null, api: true });
  }
}

/**
 * Detects what this browser (window or worker) or Node offers.
 *
 * detectCapabilities() → {
 *   runtime: {kind: 'browser'|'worker'|'node'|'unknown', userAgent, ...},
 *   crossOriginIsolated: {available, reason, applies},
 *   cores: {logical, source}, memory: {totalBytes, ...},
 *   wasm: {available, reason, executor, simd: {available, reason}, threads: {available, reason, maxThreads}},
 *   webgpu: {available, reason, executor: null, adapter, limits, features},
 *   webnn: {available, reason, executor: null, context},
 *   backends: [{name: 'wasm', executor, threads, simd}]   // what can execute now
 * }
 * Absent things are {available: false, reason}. The result is cached per
 * detector (detection is a few microseconds, but requestAdapter is not).
 */
export class BrowserHardwareDetector {
  #caps = null;
  #global;

  /** options.globalObject: the global to inspect (tests; default globalThis). */
  constructor({ globalObject = globalThis } = {}) {
    this.#global = globalObject;
  }

  async detectCapabilities({ refresh = false } = {}) {
    if (this.#caps && !refresh) return this.#caps;
    const g = this.#global;
    const runtime = detectRuntime(g);
    const crossOriginIsolated = detectIsolation(g, runtime);
    const [cores, memory, webgpu, webnn] = await Promise.all([
      detectCores(g, runtime), detectMemory(g, runtime), detectWebGPU(g), detectWebNN(g),
    ]);
    const wasm = detectWasm(g, runtime, crossOriginIsolated, cores);
    const backends = [];
    if (wasm.available)
      backends.push({ name: 'wasm', executor: wasm.executor, threads: wasm.threads.maxThreads,
                      simd: wasm.simd.available });
    this.#caps = { runtime, crossOriginIsolated, cores, memory, wasm, webgpu, webnn, backends };
    return this.#caps;
  }

  /**
   * The backend to run a model on, among those that can execute here, with
   * the reason. Measured results come first: rows of a results store
   * (options.results: query() rows) for this model on an executable backend,
   * best items/s (or generated tokens/s for text generation) at the batch
   * size nearest batchSize. Without such rows the choice is a heuristic and
   * says so. Throws when nothing can execute (with every backend's reason).
   * → {backend, threads, reason, measured: boolean, candidates: [{name, executable, reason}]}
   */
  async getOptimalBackend({ modelId = null, taskType = 'text-embedding', batchSize = 1, results = null } = {}) {
    const caps = await this.detectCapabilities();
    const exec = new Map(caps.backends.map((b) => [b.name, b]));
    const candidates = ['webgpu', 'webnn', 'wasm'].map((name) => ({
      name, executable: exec.has(name),
      reason: caps[name].reason,
    }));
    if (exec.size === 0)
      throw new Error(`no backend can run models here (${candidates.map((c) => `${c.name}: ${c.reason}`).join('; ')})`);
    const generate = /generat|causal|chat/i.test(taskType ?? '');
    const metric = generate ? 'gen_tokens_per_s' : 'items_per_s';
    const rows = (results ?? []).filter((r) => r.model === modelId && exec.has(r.backend) && !r.skipped_reason &&
                                               Number.isFinite(r[metric]) && r[metric] > 0);
    const skipped = candidates.filter((c) => !c.executable).map((c) => `${c.name}: ${c.reason}`).join('; ');
    if (rows.length) {
      const near = Math.min(...rows.map((r) => Math.abs((r.batch ?? 1) - batchSize)));
      const best = rows.filter((r) => Math.abs((r.batch ?? 1) - batchSize) === near)
        .reduce((a, b) => (b[metric] > a[metric] ? b : a));
      return {
        backend: best.backend, threads: exec.get(best.backend).threads, measured: true, candidates,
        reason: `measured: ${best.backend} gave ${+best[metric].toPrecision(4)} ${generate ? 'generated tokens/s' : 'items/s'} ` +
                `at batch ${best.batch} (run ${best.run_id}) for ${modelId}` + (skipped ? `; not runnable: ${skipped}` : ''),
      };
    }
    // Heuristic: the first executable backend of the seed's preference
    // order (webgpu, webnn, wasm) — today always wasm.
    const pick = candidates.find((c) => c.executable);
    const b = exec.get(pick.name);
    const how = pick.name === 'wasm'
      ? `${b.threads} thread${b.threads === 1 ? '' : 's'}${caps.wasm.threads.available ? '' : ` (${caps.wasm.threads.reason})`}, ` +
        `SIMD ${b.simd ? 'on' : `off (${caps.wasm.simd.reason})`}`
      : b.executor;
    return {
      backend: pick.name, threads: b.threads, measured: false, candidates,
      reason: `heuristic (no measured rows for ${modelId ?? 'this model'}${batchSize ? ` at batch ${batchSize}` : ''}): ` +
              `${pick.name} is the first backend that can execute here, ${how}` + (skipped ? `; not runnable: ${skipped}` : ''),
    };
  }
}

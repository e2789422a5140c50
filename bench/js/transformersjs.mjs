// transformersjs.mjs — the anchor of bench/js_vs_transformersjs:
// transformers.js (npm @huggingface/transformers) pipeline('feature-extraction')
// on the WebAssembly backend of onnxruntime-web, mean pooling + L2 norm.
//
//   load({modelDir, dtype: 'fp32'|'q8', threads: 1|2, ortDist})
//     -> { embed(texts) : Promise<Float32Array[]>, info }
//
// modelDir: transformers.js's local layout <localModelPath>/<name>/
//   {config.json, tokenizer*.json, onnx/model.onnx, onnx/model_quantized.onnx}
//   (scripts/export_transformersjs_model.py); a path in Node, a URL path in
//   the browser. Nothing is fetched from a hub: allowRemoteModels = false.
// ortDist: where onnxruntime-web's dist/ files are (file: URL or directory in
//   Node, URL in the browser); wasmPaths point there, so no CDN.
//
// Browser: the self-contained bundle dist/transformers.js (its onnxruntime-web
// webgpu bundle inside) with device 'wasm' exactly as a page would use it;
// wasmPaths are set to the files transformers.js itself picks
// (ort-wasm-simd-threaded.asyncify.{mjs,wasm}), only served locally.
//
// Node: transformers.js's Node build would run onnxruntime-node (native). To
// measure the WebAssembly backend, onnxruntime-web's Node entry (same version
// transformers.js pins) is handed to transformers.js through its documented
// override, globalThis[Symbol.for('onnxruntime')], before transformers.js is
// imported. transformers.js then lists no devices of its own, so the
// pipeline gets device 'auto' with session_options.executionProviders
// ['wasm']. info.backend records what ran: the ONNX runtime transformers.js
// used (env.backends.onnx.versions), the wasm file loaded, and the count of
// onnxruntime-node sessions (must be 0).
//
// opts.backend = 'onnxruntime-node' (Node only): transformers.js's own Node
// default instead (device 'cpu', onnxruntime-node, intraOpNumThreads =
// threads): the native side of the native/WASM ratio.
//
// Threads: env.backends.onnx.wasm.numThreads = threads before the first
// session; onnxruntime-web lowers it to 1 when it cannot run threads (no
// crossOriginIsolated in a page): info.ort_num_threads is the value read back
// after the load.
//
// Module specifiers '@huggingface/transformers' and 'onnxruntime-web' are bare:
// the harness resolves them (a Node resolve hook; an import map in the page).

const IS_NODE = typeof process !== 'undefined' && process.release?.name === 'node';

function now() { return performance.now(); }

async function nodeFileHooks() {
  // Records the .wasm files onnxruntime-web reads in Node (it loads the
  // binary with fs), and counts onnxruntime-node sessions, to prove which
  // backend ran.
  const fs = (await import('node:fs')).default;
  const seen = new Set();
  const wrap = (obj, name) => {
    const orig = obj[name];
    if (typeof orig !== 'function' || orig.__iaWrapped) return;
    const w = function (p, ...rest) {
      try { const s = String(p instanceof URL ? p.pathname : p); if (s.endsWith('.wasm')) seen.add(s); } catch { /* */ }
      return orig.call(this, p, ...rest);
    };
    w.__iaWrapped = true;
    obj[name] = w;
  };
  wrap(fs, 'readFileSync');
  wrap(fs, 'readFile');
  wrap(fs.promises, 'readFile');
  return seen;
}

export async function load(opts) {
  const { modelDir, dtype = 'fp32', threads = 1 } = opts;
  if (!['fp32', 'q8'].includes(dtype)) throw new Error(`transformersjs: dtype ${dtype}`);
  const info = { name: 'transformers.js', dtype, threads, env: IS_NODE ? 'node' : 'browser' };
  const t = {};
  const t0 = now();

  const native = opts.backend === 'onnxruntime-node';
  if (native && !IS_NODE) throw new Error('transformersjs: backend onnxruntime-node needs Node');
  info.backend_requested = native ? 'onnxruntime-node' : 'onnxruntime-web (wasm)';
  let ortNodeSessions = null;
  let wasmFilesRead = null;
  if (IS_NODE) {
    wasmFilesRead = await nodeFileHooks();
    if (!native) {
      const ortWeb = await import('onnxruntime-web');
      globalThis[Symbol.for('onnxruntime')] = ortWeb;
    }
    // Count sessions of onnxruntime-node, which transformers.js's Node build
    // still imports (it must stay unused).
    try {
      const { createRequire } = await import('node:module');
      const tjsUrl = import.meta.resolve('@huggingface/transformers');
      const req = createRequire(tjsUrl);
      const ortNode = req('onnxruntime-node');
      const orig = ortNode.InferenceSession.create;
      ortNodeSessions = 0;
      ortNode.InferenceSession.create = function (...a) { ortNodeSessions++; return orig.apply(this, a); };
    } catch (e) {
      info.onnxruntime_node_hook_error = String(e?.message ?? e);
    }
  }
  const tjs = await import('@huggingface/transformers');
  t.import_ms = now() - t0;
  const { env, pipeline } = tjs;
  info.transformers_version = env.version;

  // Local files only.
  const dir = modelDir.replace(/\/+$/, '');
  const cut = dir.lastIndexOf('/');
  const localModelPath = dir.slice(0, cut + 1) || './';
  const modelName = dir.slice(cut + 1);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = localModelPath;
  if (!IS_NODE) env.useBrowserCache = false;  // every load reads the served files

  const onnx = env.backends.onnx;
  onnx.wasm.numThreads = threads;
  onnx.wasm.proxy = false;
  let dist = opts.ortDist;
  if (!dist && !native) throw new Error('transformersjs: opts.ortDist (onnxruntime-web dist/) is required');
  if (dist && !dist.endsWith('/')) dist += '/';
  let deviceOpts;
  if (native) {
    deviceOpts = { device: 'cpu', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } };
  } else if (IS_NODE) {
    // onnxruntime-web's Node entry takes a directory (prefix) for its files.
    onnx.wasm.wasmPaths = dist.startsWith('file:') ? new URL(dist).pathname : dist;
    deviceOpts = { device: 'auto', session_options: { executionProviders: ['wasm'] } };
  } else {
    const flavor = opts.ortFlavor ?? 'asyncify';  // transformers.js's own choice
    const base = new URL(dist, location.href).href;
    const stem = flavor === 'plain' ? 'ort-wasm-simd-threaded' : `ort-wasm-simd-threaded.${flavor}`;
    onnx.wasm.wasmPaths = { mjs: `${base}${stem}.mjs`, wasm: `${base}${stem}.wasm` };
    deviceOpts = { device: 'wasm' };
  }
  info.wasm_paths = native ? null : JSON.parse(JSON.stringify(onnx.wasm.wasmPaths));

  const tl = now();
  const extractor = await pipeline('feature-extraction', modelName, {
    dtype, local_files_only: true, ...deviceOpts,
  });
  t.pipeline_ms = now() - tl;
  t.load_ms = now() - t0;  // import + pipeline (includes wasm instantiation)

  const session = extractor.model?.sessions?.model;
  info.session_config = session?.config ?? null;
  info.session_inputs = session?.inputNames ?? null;
  info.ort_num_threads = onnx.wasm.numThreads;
  info.ort_versions = onnx.versions ?? null;
  info.onnx_runtime = native
    ? (onnx.versions?.node ? `onnxruntime-node ${onnx.versions.node}` : 'onnxruntime-node')
    : IS_NODE
      ? (globalThis[Symbol.for('onnxruntime')]?.env?.versions?.web ? 'onnxruntime-web (node entry)' : 'unknown')
      : 'onnxruntime-web (bundled in transformers.js, webgpu bundle)';
  if (native) delete info.ort_num_threads;
  if (IS_NODE) {
    info.onnxruntime_node_sessions = ortNodeSessions;
    info.wasm_files_read = [...(wasmFilesRead ?? [])];
  } else {
    info.cross_origin_isolated = self.crossOriginIsolated;
  }
  info.timings = t;

  async function embed(texts) {
    const out = await extractor(texts, { pooling: 'mean', normalize: true });
    const [n, d] = out.dims;
    const data = out.data;
    const res = new Array(n);
    for (let i = 0; i < n; i++) res[i] = Float32Array.from(data.subarray(i * d, (i + 1) * d));
    return res;
  }
  return { embed, info };
}

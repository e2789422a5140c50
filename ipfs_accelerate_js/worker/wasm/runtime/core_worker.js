/*
 * core_worker.js — the worker that owns the WebAssembly core: a classic
 * script (a browser Web Worker loads it with importScripts semantics) that
 * is also CommonJS (Node's worker_threads runs it; runtime/package.json
 * says "commonjs"). Emscripten's output is a classic script too, which is
 * why this file is not an ES module.
 *
 * Protocol: the page (worker/core_client.js) posts {id, op, args}; the
 * worker answers {id, ok: true, result} or {id, ok: false, error}, and
 * sends {id, event, ...} while an op runs (download progress, streamed
 * tokens). Ops run one at a time in arrival order: the core is blocking C,
 * and one module instance runs one call at a time.
 */
'use strict';

var IS_NODE = typeof process === 'object' && !!(process.versions && process.versions.node) &&
              typeof importScripts !== 'function';
var modelFiles = IS_NODE ? require('./model_files.js') : (importScripts('model_files.js'), self.IaModelFiles);

var port;  /* {post(msg, transfer), onMessage(fn)} */
if (IS_NODE) {
  var parentPort = require('worker_threads').parentPort;
  port = {
    post: function (m, t) { parentPort.postMessage(m, t || []); },
    onMessage: function (fn) { parentPort.on('message', fn); }
  };
} else {
  port = {
    post: function (m, t) { self.postMessage(m, t || []); },
    onMessage: function (fn) { self.onmessage = function (e) { fn(e.data); }; }
  };
}

var core = null;         /* the emscripten module */
var coreInfo = null;
var models = new Map();  /* handle -> {ptr, name, dir, info, session} */
var nextHandle = 1;
var nextMount = 1;
var currentId = 0;       /* the request whose events are being sent */
var cancelRequested = new Set();

function now() { return typeof performance !== 'undefined' ? performance.now() : Date.now(); }

function lastError(fallback) {
  var msg = core ? core.UTF8ToString(core._iajs_last_error()) : '';
  return new Error(msg || fallback);
}

/* Calls a C function returning a malloc'd JSON string; parses and frees. */
function takeJSON(ptr, what) {
  if (!ptr) throw lastError(what + ' failed');
  var text = core.UTF8ToString(ptr);
  core._iajs_free(ptr);
  return JSON.parse(text);
}

/* The heap as it is now: memory growth replaces the buffer, and in the
 * threaded build another thread may have grown it since HEAPU8 was made. */
function heapU8() {
  return new Uint8Array(core.wasmMemory ? core.wasmMemory.buffer : core.HEAPU8.buffer);
}

function withCString(str, fn) {
  var n = core.lengthBytesUTF8(str) + 1;
  var p = core._malloc(n);
  if (!p) throw new Error('out of WebAssembly memory for a ' + n + '-byte string');
  try {
    core.stringToUTF8(str, p, n);
    return fn(p);
  } finally {
    core._free(p);
  }
}

/* --- init ---------------------------------------------------------------- */

function simdSupported() {
  /* (module (func (result v128) i32.const 0 i32x4.splat)) */
  var bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6,
                              0, 65, 0, 253, 17, 11]);
  return WebAssembly.validate(bytes);
}

function threadsSupported() {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (!IS_NODE && self.crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch (e) {
    return false;
  }
}

function hardwareThreads() {
  if (IS_NODE) {
    var os = require('os');
    return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  }
  return self.navigator && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
}

/* args: {distUrl (browser: where ia_core*.{js,wasm} are), threads (0 = all
 * the machine's; more than 1 needs shared memory)} */
function init(args) {
  if (args.control) control = new Int32Array(args.control);
  if (core) return Promise.resolve(coreInfo);
  if (!simdSupported())
    return Promise.reject(new Error('this WebAssembly engine lacks SIMD128, which the core is built with'));
  var hw = hardwareThreads();
  var want = args.threads > 0 ? args.threads : hw;
  var canThread = threadsSupported();
  var threads = canThread ? Math.max(1, want) : 1;
  var why = threads === want ? null
    : (IS_NODE ? 'shared WebAssembly memory is unavailable'
               : 'the page is not cross-origin isolated (COOP/COEP headers), so SharedArrayBuffer is unavailable');
  var mt = threads > 1;
  var base = mt ? 'ia_core_mt' : 'ia_core';
  var t0 = now();
  var factory, wasmBinary, dist = args.distUrl;
  if (IS_NODE) {
    var path = require('path');
    dist = args.distDir || path.join(__dirname, '..', 'dist');
    factory = require(path.join(dist, base + '.js'));
    wasmBinary = require('fs').readFileSync(path.join(dist, base + '.wasm'));
  } else {
    importScripts(dist + base + '.js');
    factory = mt ? self.createIaCoreMT : self.createIaCore;
  }
  var opts = {
    /* the pool's workers, one per extra thread, started before main() */
    iajsPoolSize: threads - 1,
    preRun: [function (m) { m.ENV.IA_THREADS = String(threads); }],
    locateFile: function (f) { return IS_NODE ? require('path').join(dist, f) : dist + f; },
    print: function (s) { port.post({ id: currentId, event: 'log', level: 'info', text: s }); },
    printErr: function (s) { port.post({ id: currentId, event: 'log', level: 'warn', text: s }); }
  };
  if (wasmBinary) opts.wasmBinary = wasmBinary;
  if (!IS_NODE && mt) opts.mainScriptUrlOrBlob = dist + base + '.js';
  return factory(opts).then(function (m) {
    core = m;
    core.iajsOnToken = onToken;
    var ms = now() - t0;
    coreInfo = {
      version: core.UTF8ToString(core._iajs_version()),
      build: mt ? 'threads' : 'single',
      threads: threads,
      threadsRequested: want,
      threadsReason: why,
      hardwareThreads: hw,
      simd: true,
      crossOriginIsolated: IS_NODE ? null : !!self.crossOriginIsolated,
      runtime: IS_NODE ? 'node ' + process.versions.node : 'browser',
      instantiateMs: ms
    };
    return coreInfo;
  });
}

/* --- models -------------------------------------------------------------- */

function modelOf(handle) {
  var m = models.get(handle);
  if (!m) throw new Error('no loaded model with handle ' + handle + ' (it was disposed?)');
  return m;
}

/* args: {source: URL (browser) or directory/.gguf path (Node), name, cache} */
function loadModel(args, id) {
  if (!core) return Promise.reject(new Error('the core is not initialised (init first)'));
  var t0 = now();
  var name = String(args.name || 'model').replace(/[^A-Za-z0-9._-]/g, '_') || 'model';
  var mount = '/models/' + (nextMount++) + '/' + name;  /* never reused, even after a failure */
  var progress = function (p) { port.post({ id: id, event: 'progress', loaded: p.loaded, total: p.total, file: p.file, cached: p.cached }); };
  return modelFiles.stage(core, args.source, mount, { cache: args.cache !== false, onProgress: progress, isNode: IS_NODE })
    .then(function (staged) {
      var t1 = now();
      var ptr = withCString(staged.dir, function (p) { return core._iajs_model_open(p, coreInfo.threads); });
      staged.release();  /* the core has copied or parsed what it needs */
      if (!ptr) throw lastError('cannot open the model at ' + args.source);
      var info = takeJSON(core._iajs_model_info(ptr), 'model info');
      var handle = nextHandle++;
      info.source = args.source;
      info.fetchMs = t1 - t0;
      info.openMs = now() - t1;
      info.bytesFetched = staged.bytesFetched;
      info.bytesFromCache = staged.bytesFromCache;
      models.set(handle, { ptr: ptr, info: info, session: 0 });
      return { handle: handle, info: info };
    });
}

function disposeModel(args) {
  var m = models.get(args.handle);
  if (!m) return true;
  if (m.session) core._iajs_session_free(m.session);
  core._iajs_model_free(m.ptr);
  models.delete(args.handle);
  return true;
}

/* args: {handle, texts: string[]} → {dim, vectors: Float32Array (n*dim)} */
function embed(args) {
  var m = modelOf(args.handle);
  var texts = args.texts;
  if (!Array.isArray(texts) || texts.some(function (t) { return typeof t !== 'string'; }))
    throw new TypeError('texts must be an array of strings');
  var dim = m.info.dim, n = texts.length;
  var enc = new TextEncoder();
  var parts = texts.map(function (t) { return enc.encode(t); });
  var total = parts.reduce(function (s, p) { return s + p.length + 1; }, 0);
  for (var i = 0; i < n; i++)
    if (parts[i].indexOf(0) >= 0) throw new TypeError('text ' + i + ' contains a NUL character');
  var tp = core._malloc(Math.max(total, 1)), op = core._malloc(Math.max(n * dim * 4, 4));
  if (!tp || !op) {
    core._free(tp); core._free(op);
    throw new Error('out of WebAssembly memory for ' + n + ' texts');
  }
  try {
    var heap = heapU8(), off = tp;
    for (i = 0; i < n; i++) {
      heap.set(parts[i], off);
      heap[off + parts[i].length] = 0;
      off += parts[i].length + 1;
    }
    if (!core._iajs_embed(m.ptr, tp, n, op)) throw lastError('embedding failed');
    /* copy out: the heap may grow (and move) on the next call */
    var out = new Float32Array(n * dim);
    out.set(new Float32Array(heapU8().buffer, op, n * dim));
    return { dim: dim, vectors: out };
  } finally {
    core._free(tp);
    core._free(op);
  }
}

/* The page asks to cancel by writing the request id into `control`
 * (shared memory): the worker is inside a synchronous C loop and reads no
 * messages until it returns. Without shared memory (a page that is not
 * cross-origin isolated) a cancel takes effect when the call returns. */
var control = null;

function onToken(piece, token) {
  port.post({ id: currentId, event: 'token', piece: piece, token: token });
  return cancelRequested.has(currentId) || (control !== null && Atomics.load(control, 0) === currentId);
}

function sessionOf(m, args) {
  if (!m.session) {
    m.session = core._iajs_session_create(m.ptr, args.contextLength || 0);
    if (!m.session) throw lastError('cannot create a generation session');
  }
  return m.session;
}

/* args: {handle, prompt, options} → the core's result JSON */
function generate(args) {
  var m = modelOf(args.handle);
  if (typeof args.prompt !== 'string') throw new TypeError('prompt must be a string');
  var s = sessionOf(m, args.options || {});
  var opts = JSON.stringify(args.options || {});
  return withCString(args.prompt, function (pp) {
    return withCString(opts, function (op) { return takeJSON(core._iajs_generate(s, pp, op), 'generation'); });
  });
}

/* args: {handle, messages, options}: the chat template, then generate */
function chat(args) {
  var m = modelOf(args.handle);
  var msgs = args.messages;
  if (!Array.isArray(msgs) || !msgs.length || msgs.some(function (x) {
    return !x || typeof x.role !== 'string' || typeof x.content !== 'string';
  })) throw new TypeError('messages must be a non-empty array of {role, content} with string fields');
  var prompt = withCString(JSON.stringify(args.messages || []), function (p) {
    var r = core._iajs_chat_template(m.ptr, p, 1);
    if (!r) throw lastError('the chat template failed');
    var text = core.UTF8ToString(r);
    core._iajs_free(r);
    return text;
  });
  return generate({ handle: args.handle, prompt: prompt, options: args.options });
}

/* args: {handle, tokens: int[]} → Float32Array of the logits after them */
function decode(args) {
  var m = modelOf(args.handle);
  var toks = args.tokens;
  if (!toks || !toks.length) throw new TypeError('tokens must be a non-empty array of token ids');
  var s = sessionOf(m, {});
  var vocab = m.info.vocab_size;
  var tp = core._malloc(toks.length * 4), lp = core._malloc(vocab * 4);
  try {
    new Int32Array(heapU8().buffer, tp, toks.length).set(toks);
    if (!core._iajs_decode(s, tp, toks.length, lp)) throw lastError('decode failed');
    var out = new Float32Array(vocab);
    out.set(new Float32Array(heapU8().buffer, lp, vocab));
    return { vectors: out };
  } finally {
    core._free(tp);
    core._free(lp);
  }
}

function resetSession(args) {
  var m = modelOf(args.handle);
  if (m.session) core._iajs_session_reset(m.session);
  return true;
}

function hwReport(args) {
  return takeJSON(core._iajs_hw_report(args.level | 0, coreInfo.threads), 'hardware report');
}

var ops = {
  init: init, loadModel: loadModel, disposeModel: disposeModel, embed: embed, generate: generate,
  chat: chat, decode: decode, resetSession: resetSession, hwReport: hwReport
};

/* One op at a time, in order; a cancel message is handled at once (the
 * token callback reads it between tokens). */
var queue = Promise.resolve();
port.onMessage(function (msg) {
  if (msg.op === 'cancel') { cancelRequested.add(msg.target); return; }
  queue = queue.then(function () {
    currentId = msg.id;
    var fn = ops[msg.op];
    return Promise.resolve()
      .then(function () {
        if (!fn) throw new Error('unknown op ' + msg.op);
        return fn(msg.args || {}, msg.id);
      })
      .then(function (result) {
        var transfer = [];
        if (result && result.vectors instanceof Float32Array) transfer.push(result.vectors.buffer);
        port.post({ id: msg.id, ok: true, result: result }, transfer);
      }, function (e) {
        port.post({ id: msg.id, ok: false, error: { message: String(e && e.message || e), name: e && e.name } });
      })
      .then(function () { cancelRequested.delete(msg.id); });
  });
});

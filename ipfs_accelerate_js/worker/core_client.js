/*
 * core_client.js — the page's (or Node's main thread's) side of the core
 * worker: starts worker/wasm/runtime/core_worker.js in a Web Worker or a
 * worker_threads Worker and turns its messages into promises. Inference
 * never runs on the calling thread, so a page stays responsive during a
 * long batch.
 */

const IS_NODE = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined' &&
  typeof WorkerGlobalScope === 'undefined';

// Where the package's files are: beside this module, unless a bundler
// moved it (then the page names the package's root URL in
// globalThis.IPFS_ACCELERATE_JS_URL, as onnxruntime-web's wasmPaths does).
const PACKAGE_URL = globalThis.IPFS_ACCELERATE_JS_URL
  ? new URL(globalThis.IPFS_ACCELERATE_JS_URL, globalThis.location?.href)
  : new URL('../', import.meta.url);
const RUNTIME_URL = new URL('./worker/wasm/runtime/core_worker.js', PACKAGE_URL);
const DIST_URL = new URL('./worker/wasm/dist/', PACKAGE_URL);

/** An error raised inside the core worker, with the core's message. */
export class CoreError extends Error {
  constructor(message, op) {
    super(message);
    this.name = 'CoreError';
    this.op = op;
  }
}

async function startWorker() {
  if (IS_NODE) {
    const { Worker } = await import('node:worker_threads');
    const { fileURLToPath } = await import('node:url');
    const w = new Worker(fileURLToPath(RUNTIME_URL));
    w.unref?.();
    return {
      post: (m) => w.postMessage(m),
      onMessage: (fn) => w.on('message', fn),
      onError: (fn) => {
        w.on('error', fn);
        w.on('exit', (code) => fn(new Error(`the core worker exited (code ${code})`)));
      },
      ref: () => w.ref?.(),
      unref: () => w.unref?.(),
      terminate: () => w.terminate(),
    };
  }
  const w = new Worker(RUNTIME_URL, { name: 'ipfs_accelerate core' });
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => { w.onmessage = (e) => fn(e.data); },
    onError: (fn) => {
      w.onerror = (e) => { e.preventDefault?.(); fn(new Error(e.message || 'the core worker failed to start')); };
    },
    ref: () => {},
    unref: () => {},
    terminate: () => w.terminate(),
  };
}

/**
 * One core worker. Calls are queued in the worker and run in order.
 */
export class CoreClient {
  #w = null;
  #starting = null;
  #nextId = 1;
  #pending = new Map(); // id -> {resolve, reject, onEvent, op}
  #dead = null;
  #control = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : null;
  info = null;

  /** Starts the worker and instantiates the core. options: {threads, distUrl, distDir} */
  async init(options = {}) {
    if (this.#starting) return this.#starting;
    this.#starting = (async () => {
      this.#w = await startWorker();
      this.#w.onMessage((m) => this.#receive(m));
      this.#w.onError((e) => this.#fail(e));
      this.info = await this.call('init', {
        threads: options.threads ?? 0,
        distUrl: String(options.distUrl ?? DIST_URL),
        distDir: options.distDir,
        control: this.#control?.buffer,
      });
      return this.info;
    })();
    return this.#starting;
  }

  #receive(m) {
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.event) {
      if (m.event === 'log' && !p.onEvent) return;
      p.onEvent?.(m);
      return;
    }
    this.#pending.delete(m.id);
    if (this.#pending.size === 0) this.#w?.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(new CoreError(m.error?.message ?? 'unknown error in the core worker', p.op));
  }

  #fail(e) {
    if (this.#dead) return;
    this.#dead = e;
    for (const p of this.#pending.values()) p.reject(new CoreError(e.message, p.op));
    this.#pending.clear();
  }

  /** Sends op(args); onEvent receives progress/token events. Returns {id, promise}. */
  start(op, args, onEvent, transfer) {
    if (this.#dead) return { id: 0, promise: Promise.reject(new CoreError(this.#dead.message, op)) };
    const id = this.#nextId++;
    const promise = new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onEvent, op });
    });
    this.#w.ref();
    this.#w.post({ id, op, args }, transfer);
    return { id, promise };
  }

  call(op, args, onEvent) {
    return this.start(op, args, onEvent).promise;
  }

  /** Asks a running generation to stop after its current token. */
  cancel(id) {
    if (this.#control) Atomics.store(this.#control, 0, id);
    this.#w?.post({ op: 'cancel', target: id });
  }

  /** Stops the worker; pending calls fail. */
  async terminate() {
    this.#fail(new Error('the core worker was terminated'));
    await this.#w?.terminate();
    this.#w = null;
  }
}

export { IS_NODE };

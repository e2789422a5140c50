/*
 * web_worker.js — the seed's WebWorker: the browser counterpart of the
 * Python Worker. It owns one core worker (the C core in WebAssembly, off
 * the main thread) and exposes models as endpointHandler[model][backend].
 *
 *   const worker = new WebWorker();
 *   const { browserHardware } = await worker.initBrowserHardware();
 *   const backend = await worker.getOptimalBrowserHardware({ modelId, taskType, batchSize });
 *   await worker.initBrowserWorker({ models: [modelId], browserEndpoints: {}, browserTest: browserHardware });
 *   const v = await worker.endpointHandler[modelId][backend]('text');
 *
 * Only backends with an executor get handlers: today 'wasm'. WebGPU and
 * WebNN are detected and reported (BrowserHardwareDetector) but asking for
 * them here is an error that says so, not a silent fallback.
 */
import { BrowserHardwareDetector } from '../hardware.js';
import { ModelManager } from '../model_manager.js';
import { CoreClient } from './core_client.js';

const DECODER_FAMILIES = new Set(['llama']);

export class WebWorker {
  #options;
  #detector;
  #manager = null;
  /** The core worker (shared with ModelManagers made with {worker: this}). */
  coreClient = new CoreClient();
  /** endpointHandler[model][backend](input, options) → embeddings or a generation result */
  endpointHandler = {};
  browserHardware = null;

  /** options: {threads (0 = all the page may use), modelBaseUrl} */
  constructor(options = {}) {
    this.#options = { threads: 0, ...options };
    this.#detector = new BrowserHardwareDetector();
  }

  /**
   * Detects what this browser (or Node) offers and starts the core.
   * → {browserHardware: capabilities + {core: what the core runs with}}
   */
  async initBrowserHardware() {
    const caps = await this.#detector.detectCapabilities();
    const core = await this.coreClient.init({ threads: this.#options.threads });
    this.browserHardware = { ...caps, core };
    return { browserHardware: this.browserHardware };
  }

  /** The best backend with an executor for this model and task, as a name ('wasm'). */
  async getOptimalBrowserHardware({ modelId, taskType = 'text-embedding', batchSize = 1 } = {}) {
    if (!this.browserHardware) await this.initBrowserHardware();
    const choice = await this.#detector.getOptimalBackend({ modelId, taskType, batchSize });
    return typeof choice === 'string' ? choice : choice.backend;
  }

  /**
   * Loads each model and makes its handlers. browserEndpoints: {model:
   * [backend, ...]} to ask for particular backends (default: every backend
   * with an executor); browserTest: a previous browserHardware (else it is
   * detected now). → {endpoints: {model: [backend, ...]}, models: {model: info}}
   */
  async initBrowserWorker({ models = [], browserEndpoints = {}, browserTest = null } = {}) {
    if (!Array.isArray(models) || models.some((m) => typeof m !== 'string'))
      throw new TypeError('models must be an array of model ids');
    const hw = browserTest ?? this.browserHardware ?? (await this.initBrowserHardware()).browserHardware;
    if (!this.browserHardware) await this.initBrowserHardware();
    const executable = (hw.backends ?? []).filter((b) => (typeof b === 'string' ? b : b.name) === 'wasm' ||
      (typeof b === 'object' && b.executor)).map((b) => (typeof b === 'string' ? b : b.name));
    if (!executable.includes('wasm')) executable.push('wasm');
    this.#manager ??= new ModelManager({ worker: this, modelBaseUrl: this.#options.modelBaseUrl });
    const endpoints = {};
    const infos = {};
    for (const id of models) {
      const wanted = browserEndpoints[id] ?? executable;
      for (const b of wanted) {
        if (!executable.includes(b)) {
          const why = hw[b]?.reason ?? (hw[b]?.available ? 'detected, but there is no executor for it yet' : 'not available here');
          throw new Error(`${id}: backend '${b}' cannot run it (${why}); backends that can: ${executable.join(', ')}`);
        }
      }
      const model = await this.#manager.loadModel(id);
      const decoder = DECODER_FAMILIES.has(model.info.family);
      this.endpointHandler[id] ??= {};
      for (const b of wanted) {
        this.endpointHandler[id][b] = decoder
          ? (prompt, options) => model.generate(prompt, options)
          : (input) => model.getEmbeddings(input);
      }
      endpoints[id] = wanted;
      infos[id] = model.info;
    }
    return { endpoints, models: infos };
  }

  /** Stops the core worker. */
  async terminate() {
    await this.#manager?.close();
    await this.coreClient.terminate();
  }
}

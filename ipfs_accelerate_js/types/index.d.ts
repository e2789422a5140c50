// index.d.ts — types of ipfs_accelerate_js (index.js): the seed's names over
// the C core compiled to WebAssembly, run in a worker.

import type { BrowserCapabilities, HardwareProfile, HardwareProfileOptions, BrowserBackend, Precision } from './hardware.js';
import type { ResultsStore, ResultRow, VisualizerOptions, Visualizer } from './utils.js';

export { BrowserHardwareDetector, HardwareProfile } from './hardware.js';
export type { BrowserCapabilities, HardwareProfileOptions, BrowserBackend, Precision } from './hardware.js';

/** What the core worker runs with (CoreClient.init / ModelManager.coreInfo). */
export interface CoreInfo {
  version: string;
  /** 'threads' (pthreads over Workers) or 'single'. */
  build: 'threads' | 'single';
  threads: number;
  threadsRequested: number;
  /** Why fewer threads than requested run (e.g. the page is not cross-origin isolated); null when none. */
  threadsReason: string | null;
  hardwareThreads: number;
  simd: boolean;
  /** null in Node. */
  crossOriginIsolated: boolean | null;
  runtime: string;
  /** WebAssembly compile + instantiate + the core's start, in the worker. */
  instantiateMs: number;
}

/** What the core says about a loaded model, plus how it was loaded. */
export interface ModelInfo {
  name: string;
  family: string;
  /** Embedding width (encoders) or hidden size. */
  dim: number;
  device: string;
  kernel: string;
  threads: number;
  max_tokens: number;
  vocab_size: number;
  precision: string;
  weight_bytes: number;
  source: string;
  fetchMs: number;
  openMs: number;
  bytesFetched: number;
  bytesFromCache: number;
}

export interface LoadProgress {
  file: string;
  loaded: number;
  total: number;
  /** true when the file came from Cache Storage (no network). */
  cached: boolean;
}

export interface GenerationOptions {
  max_tokens?: number;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  repeat_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  stop?: string[];
  ignore_eos?: boolean;
  /** Called with each decoded piece as it is generated. */
  onToken?: (piece: string, token: number) => void;
  /** Stops after the current token. */
  signal?: AbortSignal;
}

export interface GenerationResult {
  text: string;
  prompt_tokens: number;
  cached_tokens: number;
  generated_tokens: number;
  prompt_ms: number;
  generate_ms: number;
  first_token_ms: number;
  finish_reason: 'stop' | 'length' | 'cancelled' | string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

/** An error raised inside the core worker, with the core's message. */
export declare class CoreError extends Error {
  constructor(message: string, op?: string);
  readonly op: string | undefined;
}

/** One core worker; calls run in it in order. */
export declare class CoreClient {
  info: CoreInfo | null;
  init(options?: { threads?: number; distUrl?: string | URL; distDir?: string }): Promise<CoreInfo>;
  start(op: string, args: unknown, onEvent?: (event: any) => void, transfer?: Transferable[]): { id: number; promise: Promise<any> };
  call(op: string, args: unknown, onEvent?: (event: any) => void): Promise<any>;
  cancel(id: number): void;
  terminate(): Promise<void>;
}

/** A model loaded into a core worker. */
export declare class Model {
  readonly id: string;
  readonly info: ModelInfo;
  readonly backend: 'wasm';
  readonly dim: number;
  /** One text → Float32Array(dim); an array → one Float32Array per text (pooled and normalised as the model says). */
  getEmbeddings(input: string): Promise<Float32Array>;
  getEmbeddings(input: string[]): Promise<Float32Array[]>;
  /** The flat form: n × dim floats, row after row. */
  embedBatch(texts: string[]): Promise<{ dim: number; vectors: Float32Array }>;
  generate(prompt: string, options?: GenerationOptions): Promise<GenerationResult>;
  chat(messages: ChatMessage[], options?: GenerationOptions): Promise<GenerationResult>;
  /** Decoders: appends tokens to the model's KV cache, returns the next token's logits. */
  decode(tokens: Iterable<number>): Promise<Float32Array>;
  resetSession(): Promise<void>;
  dispose(): Promise<void>;
}

export interface ModelManagerOptions {
  /** A WebWorker whose core worker to share. */
  worker?: WebWorker;
  /** 0 = all the page may use; > 1 needs cross-origin isolation in a browser. */
  threads?: number;
  /** Browser: where model ids that are not URLs are looked up (default '/models/'). */
  modelBaseUrl?: string;
  /** Keep fetched files in Cache Storage (default true). */
  cache?: boolean;
}

export declare class ModelManager {
  constructor(options?: ModelManagerOptions);
  client(): Promise<CoreClient>;
  coreInfo(): Promise<CoreInfo>;
  /** Node: a directory, a .gguf path, a name under $IA_MODEL_DIR, or a CID the native core materialised
   * ($IA_MODEL_DIR/by-cid/, docs/store.md); browser: a URL or a name under modelBaseUrl. */
  loadModel(id: string, options?: { onProgress?: (p: LoadProgress) => void; cache?: boolean }): Promise<Model>;
  listModels(): string[];
  unloadModel(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export type EndpointHandler = (input: any, options?: GenerationOptions) => Promise<any>;

/** The seed's WebWorker: models as endpointHandler[model][backend]. */
export declare class WebWorker {
  constructor(options?: { threads?: number; modelBaseUrl?: string });
  readonly coreClient: CoreClient;
  endpointHandler: Record<string, Record<string, EndpointHandler>>;
  browserHardware: (BrowserCapabilities & { core: CoreInfo }) | null;
  initBrowserHardware(): Promise<{ browserHardware: BrowserCapabilities & { core: CoreInfo } }>;
  getOptimalBrowserHardware(options?: { modelId?: string; taskType?: string; batchSize?: number }): Promise<string>;
  initBrowserWorker(options?: {
    models?: string[];
    browserEndpoints?: Record<string, string[]>;
    browserTest?: (BrowserCapabilities & { core?: CoreInfo }) | null;
  }): Promise<{ endpoints: Record<string, string[]>; models: Record<string, ModelInfo> }>;
  terminate(): Promise<void>;
}

export interface BenchmarkOptions {
  modelIds: string[];
  hardwareProfiles?: (HardwareProfile | HardwareProfileOptions)[];
  batchSizes?: number[];
  iterations?: number;
  warmup?: number;
  texts?: string[];
  threads?: number;
  worker?: WebWorker;
  store?: ResultsStore;
  onProgress?: (p: { model: string; backend: string; batch: number; i: number; n: number }) => void;
}

export declare class BenchmarkResults {
  readonly store: ResultsStore;
  readonly runId: number;
  readonly results: ResultRow[];
  createVisualizer(options?: Omit<VisualizerOptions, 'results'>): Visualizer;
  /** CSV as `ipfs-accelerate results --format csv`; a download (browser) or a file (Node) when filename is given. */
  toCSV(filename?: string): Promise<string>;
  toJSON(filename?: string): Promise<string>;
}

export declare class Benchmark {
  constructor(options: BenchmarkOptions);
  readonly profiles: HardwareProfile[];
  run(): Promise<BenchmarkResults>;
}

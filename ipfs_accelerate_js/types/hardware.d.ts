// hardware.d.ts — types of ipfs_accelerate_js/hardware.js.

export type Precision = 'fp32' | 'fp16' | 'bf16' | 'int8' | 'int4' | 'int2';
export type BrowserBackend = 'auto' | 'wasm' | 'webgpu' | 'webnn';
export type OptimizationLevelName = 'portable' | 'avx2' | 'default' | 'high' | 'performance';

export declare const PRECISIONS: readonly Precision[];
export declare const OPTIMIZATION_LEVELS: Readonly<Record<OptimizationLevelName, 0 | 1 | 2 | 3>>;
export declare const BROWSER_BACKENDS: readonly BrowserBackend[];
export declare const PROFILE_FEATURES: Readonly<Record<ProfileFeature, 'webgpu'>>;
export declare const WASM_PROBES: Readonly<{ simd: Uint8Array; threads: Uint8Array; plain: Uint8Array }>;

export type ProfileFeature = 'shaderPrecompilation' | 'computeShaderOptimization';

/** Bytes in "4GB" (powers of 1000), "512MiB" / "1.5G" (powers of 1024) or a byte count; RangeError otherwise. */
export declare function parseMemorySize(size: string | number): number;
/** The canonical precision name ("FP16" → "fp16"); RangeError otherwise. */
export declare function parsePrecision(name: string): Precision;

export interface HardwareProfileOptions {
  backend?: BrowserBackend;
  precision?: Precision | Uppercase<Precision>;
  /** null / 0 = no limit; bytes; or "4GB", "512MiB". */
  memoryLimit?: string | number | null;
  optimizationLevel?: 0 | 1 | 2 | 3 | OptimizationLevelName;
  features?: Partial<Record<ProfileFeature, boolean>>;
  /** 0 = one per core. */
  threads?: number;
  deviceIndex?: number;
}

export interface HardwareProfileJSON {
  backend: BrowserBackend;
  precision: Precision;
  memoryLimitBytes: number;
  optimizationLevel: 0 | 1 | 2 | 3;
  features: Partial<Record<ProfileFeature, boolean>>;
  threads: number;
  deviceIndex: number;
}

/** Immutable; the constructor throws TypeError/RangeError on an unknown option or a malformed value. */
export declare class HardwareProfile {
  constructor(options?: HardwareProfileOptions);
  readonly backend: BrowserBackend;
  readonly precision: Precision;
  readonly memoryLimitBytes: number;
  readonly optimizationLevel: 0 | 1 | 2 | 3;
  readonly features: Readonly<Partial<Record<ProfileFeature, boolean>>>;
  readonly threads: number;
  readonly deviceIndex: number;
  /** "wasm", "webgpu:1" (index 0 written without ":0"). */
  readonly device: string;
  with(changes?: HardwareProfileOptions): HardwareProfile;
  equals(other: unknown): boolean;
  toJSON(): HardwareProfileJSON;
  /** Throws with the detector's reason when the backend cannot execute here. */
  checkAvailable(capabilities?: BrowserCapabilities): Promise<void>;
}

/** Present with the reason, or absent with the reason — never guessed. */
export interface Availability {
  available: boolean;
  reason: string;
}

export interface WasmCapability extends Availability {
  executor: string | null;
  simd: Availability;
  threads: Availability & { maxThreads: number };
}

export interface WebGPUCapability extends Availability {
  /** null: there is no WebGPU executor yet (reason says so when detected). */
  executor: null;
  api?: boolean;
  adapter?: { vendor: string; architecture: string; device: string; description: string;
              isFallbackAdapter: boolean | null } | null;
  limits?: Record<string, number>;
  features?: string[];
}

export interface WebNNCapability extends Availability {
  executor: null;
  api?: boolean;
  context?: { created: boolean };
}

export interface BrowserCapabilities {
  runtime: { kind: 'browser' | 'worker' | 'node' | 'unknown'; userAgent: string | null; version?: string;
             platform?: string | null; arch?: string; secureContext?: boolean | null };
  crossOriginIsolated: Availability & { applies: boolean };
  cores: { logical: number | null; source: string | null; reason?: string };
  memory: {
    totalBytes: number | null; source: string | null; wasmMaxBytes: number;
    freeBytes?: number; constrainedBytes?: number;
    deviceMemoryGiB?: number | null; deviceMemoryReason?: string;
    jsHeap?: { limitBytes: number; totalBytes: number; usedBytes: number } | null; jsHeapReason?: string;
  };
  wasm: WasmCapability;
  webgpu: WebGPUCapability;
  webnn: WebNNCapability;
  /** What can execute models now: today 'wasm' alone. */
  backends: Array<{ name: 'wasm' | 'webgpu' | 'webnn'; executor: string; threads: number; simd: boolean }>;
}

export interface BackendChoice {
  backend: 'wasm' | 'webgpu' | 'webnn';
  threads: number;
  /** true when measured rows decided, false for the heuristic (the reason says which). */
  measured: boolean;
  reason: string;
  candidates: Array<{ name: 'webgpu' | 'webnn' | 'wasm'; executable: boolean; reason: string }>;
}

export declare class BrowserHardwareDetector {
  constructor(options?: { globalObject?: typeof globalThis });
  detectCapabilities(options?: { refresh?: boolean }): Promise<BrowserCapabilities>;
  getOptimalBackend(options?: {
    modelId?: string | null; taskType?: string; batchSize?: number;
    /** Rows of a results store (store.query()): measured results decide first. */
    results?: import('./utils.js').ResultRow[] | null;
  }): Promise<BackendChoice>;
}

// react.d.ts — types of ipfs_accelerate_js/react (react.js).

import type { Model, LoadProgress } from './index.js';

export type BackendName = 'webgpu' | 'webnn' | 'wasm' | string;

export interface UseModelOptions {
  modelId: string;
  autoHardwareSelection?: boolean;
  fallbackOrder?: BackendName[];
  threads?: number;
  modelBaseUrl?: string;
  onProgress?: (p: LoadProgress) => void;
}

export interface UseModelState {
  model: Model | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: Error | null;
  /** The entry of fallbackOrder that runs the model. */
  backend: BackendName | null;
  /** Why the earlier entries of fallbackOrder did not (null when the first one runs). */
  backendReason: string | null;
  progress: LoadProgress | null;
}

export declare function useModel(options: UseModelOptions): UseModelState;

/** The first backend of order that can execute here, with the reasons for the skipped ones. */
export declare function chooseBackend(order?: BackendName[]): Promise<{ backend: BackendName; reason: string | null }>;

/*
 * react.js — the seed's React hook:
 *
 *   const { model, status, error } = useModel({ modelId, autoHardwareSelection: true,
 *                                               fallbackOrder: ['webgpu', 'webnn', 'wasm'] });
 *
 * status: 'idle' → 'loading' → 'ready' | 'error'. The model loads in a
 * core worker (off the main thread) shared by every useModel of the page
 * with the same options; `backend` says which entry of fallbackOrder runs
 * it and `backendReason` why the earlier ones did not (a backend is used
 * only where it has an executor: today WebAssembly).
 */
import { useEffect, useState } from 'react';

import { BrowserHardwareDetector } from './hardware.js';
import { ModelManager } from './model_manager.js';

const managers = new Map(); // JSON of the manager options -> ModelManager

function managerFor(options) {
  const key = JSON.stringify(options);
  if (!managers.has(key)) managers.set(key, new ModelManager(options));
  return managers.get(key);
}

/** Picks the first backend of order that can execute here, with the reasons for the skipped ones. */
export async function chooseBackend(order = ['webgpu', 'webnn', 'wasm']) {
  const caps = await new BrowserHardwareDetector().detectCapabilities();
  const runnable = new Set((caps.backends ?? []).map((b) => (typeof b === 'string' ? b : b.name)));
  const skipped = [];
  for (const b of order) {
    if (runnable.has(b)) return { backend: b, reason: skipped.join('; ') || null };
    const c = caps[b];
    skipped.push(`${b}: ${c?.executor === null && c?.available ? 'detected, no executor yet' : c?.reason ?? 'not available'}`);
  }
  throw new Error(`none of the backends ${order.join(', ')} can run here (${skipped.join('; ')})`);
}

export function useModel({ modelId, autoHardwareSelection = true, fallbackOrder = ['webgpu', 'webnn', 'wasm'],
                           threads = 0, modelBaseUrl = '/models/', onProgress } = {}) {
  const [state, setState] = useState({ model: null, status: modelId ? 'loading' : 'idle', error: null,
                                       backend: null, backendReason: null, progress: null });
  useEffect(() => {
    if (!modelId) return undefined;
    let live = true;
    setState((s) => ({ ...s, model: null, status: 'loading', error: null }));
    (async () => {
      const order = autoHardwareSelection ? fallbackOrder : fallbackOrder.slice(0, 1);
      const { backend, reason } = await chooseBackend(order);
      const model = await managerFor({ threads, modelBaseUrl }).loadModel(modelId, {
        onProgress: (p) => {
          onProgress?.(p);
          if (live) setState((s) => ({ ...s, progress: p }));
        },
      });
      if (live) setState({ model, status: 'ready', error: null, backend, backendReason: reason, progress: null });
    })().catch((error) => {
      if (live) setState((s) => ({ ...s, model: null, status: 'error', error }));
    });
    return () => { live = false; };
  }, [modelId, autoHardwareSelection, JSON.stringify(fallbackOrder), threads, modelBaseUrl]);
  return state;
}

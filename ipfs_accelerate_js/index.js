/*
 * ipfs_accelerate_js — the ipfs_accelerate C core compiled to WebAssembly,
 * run off the main thread (a Web Worker in browsers, worker_threads in
 * Node), with the seed's names.
 */
export { WebWorker } from './worker/web_worker.js';
export { BrowserHardwareDetector, HardwareProfile } from './hardware.js';
export { ModelManager, Model } from './model_manager.js';
export { Benchmark, BenchmarkResults } from './benchmark.js';
export { CoreClient, CoreError } from './worker/core_client.js';

// helpers.mjs — what the Node tests share: the native CLI (the reference
// the WebAssembly core must match), the cached models, cosine.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = process.env.IA_CLI || path.join(REPO, 'build', 'ipfs-accelerate');
export const MODEL_DIR = process.env.IA_MODEL_DIR || path.join(os.homedir(), '.cache', 'ipfs_accelerate', 'models');
export const MINILM = path.join(MODEL_DIR, 'all-MiniLM-L6-v2');
export const SMOLLM2 = path.join(MODEL_DIR, 'smollm2', 'model.gguf');
export const DIST = path.join(REPO, 'ipfs_accelerate_js', 'worker', 'wasm', 'dist');

/** Why a test cannot run here (a missing build or model), or false (node:test's skip option). */
export function missing(...paths) {
  for (const p of [path.join(DIST, 'ia_core.wasm'), ...paths])
    if (!fs.existsSync(p)) return `${p} is missing (scripts/build_js.sh builds the core; scripts/setup.sh fetches models)`;
  return false;
}

export const TEXTS = [
  'The quick brown fox jumps over the lazy dog.',
  'Quantum chromodynamics describes the strong interaction.',
  '日本語の文章と中文句子, naïve café, 😀',
  'Hello',
  'a long text of many repeated words '.repeat(60), // > 256 tokens: truncated like the CLI
];

/** The native CLI's embeddings: {dim, embeddings: number[][]}. */
export function nativeEmbed(model, texts, threads = 1) {
  const out = execFileSync(CLI, ['embed', '--json', '--device', 'cpu', '--threads', String(threads),
                                 '--model', model, ...texts], { maxBuffer: 64 << 20 });
  return JSON.parse(out.toString());
}

/** The native core's teacher-forced logits (test/native_logits.py): per position {top: [[id, logit]...], margin}. */
export function nativeLogits(model, ids, kernel = null) {
  const py = process.env.IA_PYTHON || path.join(REPO, '.venv', 'bin', 'python');
  const out = execFileSync(py, [path.join(REPO, 'ipfs_accelerate_js', 'test', 'native_logits.py'), model, ...ids.map(String)],
                           { env: { ...process.env, PYTHONPATH: REPO, ...(kernel ? { IA_KERNEL: kernel } : {}) },
                             maxBuffer: 16 << 20 });
  return out.toString().trim().split('\n').map((l) => JSON.parse(l));
}

export function cosine(a, b) {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

// native_cli.mjs — the native CLI as the reference the JavaScript utilities
// must match byte for byte (results --format csv|json, results --import).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = process.env.IA_CLI || path.join(REPO, 'build', 'ipfs-accelerate');
const MODEL_DIR = process.env.IA_MODEL_DIR || path.join(os.homedir(), '.cache', 'ipfs_accelerate', 'models');
export const MINILM = path.join(MODEL_DIR, 'all-MiniLM-L6-v2');

/** Why the native tests cannot run here, or false (node:test's skip option). */
export function missingCli() {
  return fs.existsSync(CLI) ? false : `${CLI} is missing (make build, or set IA_CLI)`;
}

/** A fresh temporary directory, removed when the process exits. */
export function tmpdir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia_js_'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the CLI; → {status, stdout, stderr}. The benchmark database is
 * always named, never the user's. */
export function cli(...args) {
  const r = spawnSync(CLI, args, { encoding: 'utf8', maxBuffer: 64 << 20,
                                   env: { ...process.env, IA_BENCH_DB: '/nonexistent/ia_js_test.duckdb' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `results --format fmt` of db (stdout exactly). */
export function nativeResults(db, fmt) {
  const r = cli('results', '--db', db, '--format', fmt);
  if (r.status !== 0) throw new Error(`results --format ${fmt} failed: ${r.stderr}`);
  return r.stdout;
}

/** `results --import file --db db`; throws with the CLI's message on failure. */
export function nativeImport(db, file) {
  const r = cli('results', '--import', file, '--db', db);
  if (r.status !== 0) throw new Error(r.stderr.trim());
  return r.stdout;
}

/** Why nativeBench cannot run here, or false. */
export function missingBench() {
  return missingCli() || (fs.existsSync(MINILM) ? false : `${MINILM} is missing (scripts/fetch_model.sh)`);
}

/** A real benchmark run of the cached MiniLM (the CLI's default model) into
 * db: cpu at batch 1 and 2, and cuda (a skipped row with its reason where
 * there is no CUDA, measured rows where there is). */
export function nativeBench(db) {
  execFileSync(CLI, ['bench', '--db', db, '--batch', '1,2', '--seq', '8', '--iterations', '2', '--warmup', '0',
                     '--threads', '1', '--device', 'cpu,cuda'], { stdio: 'ignore' });
}

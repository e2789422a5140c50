// node_child.mjs — one contender, one (dtype, threads), in its own Node
// process (so thread settings cannot leak between runs), for
// bench/js_vs_transformersjs.
//
//   node bench/js/node_child.mjs CONFIG.json
//
// CONFIG: { module: path, opts: {...}, texts_file: path (JSON array of
//           strings), batches: [1, 32], iters, warmup,
//           roots: { pkg: file URL } (resolve_hooks.mjs) }
// Prints one JSON line: setup (load_ms, wasm_ms, info), first (first_ms,
// warm_ms), runs[] (batch, pass_s[], cpu_s, wall_s, cpu_util, vectors).
// cpu_util = process CPU time (all threads) / wall time over the timed
// passes: ~threads when the contender's threads really run.
import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
register(new URL('./resolve_hooks.mjs', import.meta.url), { data: { roots: cfg.roots ?? {} } });

const runner = await import('./runner.mjs');
const texts = JSON.parse(readFileSync(cfg.texts_file, 'utf8'));
const out = { env: 'node', node: process.version, pid: process.pid };
try {
  out.setup = await runner.setup(pathToFileURL(cfg.module).href, cfg.opts, texts);
  out.first = await runner.first();
  out.runs = [];
  for (const b of cfg.batches) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const r = await runner.passes(b, cfg.iters, cfg.warmup);
    const wall = (performance.now() - w0) / 1e3;
    const c = process.cpuUsage(c0);
    r.cpu_s = (c.user + c.system) / 1e6;
    r.wall_s = wall;
    r.cpu_util = r.cpu_s / wall;
    out.runs.push(r);
  }
} catch (e) {
  out.error = String(e?.stack ?? e);
}
// exit only once the line is flushed (stdout is a pipe: writes are async)
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(out.error ? 1 : 0));

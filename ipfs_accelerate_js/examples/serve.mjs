#!/usr/bin/env node
// serve.mjs [--port N] [--no-isolation] — serves the package (the demo at
// /examples/) and the model cache at /models/<name>/ on 127.0.0.1, with the
// headers that make the page cross-origin isolated (COOP + COEP), which
// WebAssembly threads need. --no-isolation leaves them out: the SDK then
// runs its single-threaded build and says why.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = process.env.IA_MODEL_DIR || path.join(os.homedir(), '.cache', 'ipfs_accelerate', 'models');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
                '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png',
                '.svg': 'image/svg+xml' };

export function createServer({ isolation = true, extraRoutes = {} } = {}) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const headers = { 'Cache-Control': 'no-store' };
    if (isolation) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    let p = decodeURIComponent(url.pathname);
    let base = ROOT;
    for (const [prefix, dir] of Object.entries({ ...extraRoutes, '/models/': MODELS })) {
      if (p.startsWith(prefix)) { base = dir; p = p.slice(prefix.length - 1); break; }
    }
    if (p.endsWith('/')) p += 'index.html';
    const file = path.join(base, path.normalize(p));
    if (!file.startsWith(base) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    headers['Content-Type'] = TYPES[path.extname(file)] ?? 'application/octet-stream';
    headers['Content-Length'] = fs.statSync(file).size;
    res.writeHead(200, headers);
    fs.createReadStream(file).pipe(res);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  const isolation = !process.argv.includes('--no-isolation');
  createServer({ isolation }).listen(port, '127.0.0.1', () =>
    console.log(`http://127.0.0.1:${port}/examples/ (models from ${MODELS}; ${isolation ? 'cross-origin isolated' : 'not isolated'})`));
}

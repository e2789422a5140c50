// runner.mjs — the measuring side of bench/js_vs_transformersjs, the same
// code in Node (bench/js/node_child.mjs) and in the page (bench/js/page.html).
//
// A contender is an ES module exporting
//   async function load(opts) -> { embed(texts: string[]): Promise<Float32Array[]>, info: {...} }
// with opts = { modelDir, dtype: 'fp32'|'q8', threads: 1|2, ... }.
//
// Steps (each timed with performance.now()):
//   setup(moduleUrl, opts)   import the module + load(): load_ms (wall, from
//                            before the import to load()'s return), with
//                            wasm_ms: the main thread's WebAssembly
//                            compile/instantiate calls seen during it
//                            (hooked; a contender that instantiates in a
//                            worker reports info.timings.instantiate_ms)
//   first(texts)             the first embed() after the load, one text
//                            (first_ms), then the same call again (warm_ms)
//   passes(batch, iters, warmup)
//                            passes over all texts in batches of `batch`;
//                            returns every pass's seconds, and the vectors of
//                            the first pass (base64 float32, texts x dim)

let state = null;
const wasmCalls = [];

function now() { return performance.now(); }

function hookWasm() {
  const W = globalThis.WebAssembly;
  if (!W || W.__iaHooked) return;
  W.__iaHooked = true;
  for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming']) {
    const orig = W[name];
    if (typeof orig !== 'function') continue;
    W[name] = function (src, ...rest) {
      const rec = { fn: name, start_ms: now(), end_ms: null };
      if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) rec.bytes = src.byteLength;
      if (typeof W.Module === 'function' && src instanceof W.Module) rec.module = true;
      wasmCalls.push(rec);
      const p = orig.call(this, src, ...rest);
      Promise.resolve(p).then(() => { rec.end_ms = now(); }, () => { rec.end_ms = now(); rec.failed = true; });
      return p;
    };
  }
}

function b64(f32) {
  const u8 = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  if (typeof Buffer !== 'undefined') return Buffer.from(u8).toString('base64');
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s);
}

function sanitize(x) {
  return JSON.parse(JSON.stringify(x ?? null, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

export async function setup(moduleUrl, opts, texts) {
  hookWasm();
  const t0 = now();
  const mod = await import(moduleUrl);
  const timport = now();
  const { embed, info } = await mod.load(opts);
  const t1 = now();
  const calls = wasmCalls.filter((c) => c.start_ms >= t0 && c.start_ms <= t1);
  // Union of the hooked calls' intervals, so nested compile+instantiate are
  // not counted twice.
  const iv = calls.map((c) => [c.start_ms, c.end_ms ?? t1]).sort((a, b) => a[0] - b[0]);
  let wasmMs = 0, cur = null;
  for (const [s, e] of iv) {
    if (!cur || s > cur[1]) { if (cur) wasmMs += cur[1] - cur[0]; cur = [s, e]; } else cur[1] = Math.max(cur[1], e);
  }
  if (cur) wasmMs += cur[1] - cur[0];
  // The biggest module's call alone (the runtime's .wasm, not a helper's).
  const big = calls.filter((c) => c.bytes).sort((a, b) => b.bytes - a.bytes)[0];
  state = { embed, texts, dim: null };
  return {
    load_ms: t1 - t0,
    module_import_ms: timport - t0,
    wasm_ms: calls.length ? wasmMs : null,
    wasm_largest: big ? { bytes: big.bytes, fn: big.fn, ms: (big.end_ms ?? t1) - big.start_ms } : null,
    wasm_calls: calls.map((c) => ({ ...c, start_ms: c.start_ms - t0, end_ms: (c.end_ms ?? t1) - t0 })),
    info: sanitize(info),
  };
}

export async function first() {
  const { embed, texts } = state;
  const t0 = now();
  const v = await embed([texts[0]]);
  const t1 = now();
  await embed([texts[0]]);
  const t2 = now();
  if (!v || !v.length || !(v[0] instanceof Float32Array)) throw new Error('embed() must return Float32Array[]');
  state.dim = v[0].length;
  return { first_ms: t1 - t0, warm_ms: t2 - t1, dim: v[0].length };
}

export async function passes(batch, iters, warmup) {
  const { embed, texts } = state;
  const pass_s = [];
  let vecs = null;
  for (let it = 0; it < warmup + iters; it++) {
    const keep = vecs === null;
    const out = keep ? [] : null;
    const t0 = now();
    for (let i = 0; i < texts.length; i += batch) {
      const chunk = texts.slice(i, i + batch);
      const v = await embed(chunk);
      if (v.length !== chunk.length) throw new Error(`embed() returned ${v.length} vectors for ${chunk.length} texts`);
      if (keep) out.push(...v);
    }
    const dt = (now() - t0) / 1e3;
    if (it >= warmup) pass_s.push(dt);
    if (keep) {
      const dim = out[0].length;
      const flat = new Float32Array(out.length * dim);
      out.forEach((r, i) => flat.set(r, i * dim));
      vecs = { n: out.length, dim, b64: b64(flat) };
    }
  }
  return { batch, pass_s, vectors: vecs };
}

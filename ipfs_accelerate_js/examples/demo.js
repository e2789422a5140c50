// demo.js — type text → embedding, or a prompt → a streamed reply. The
// model ids come from the URL (?embed=…&generate=…&threads=N), resolved
// against /models/ (examples/serve.mjs serves the model cache there).
// window.demo holds what the page shows, for the browser tests.
import { ModelManager } from '../index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const embedId = params.get('embed') ?? 'all-MiniLM-L6-v2';
const genId = params.get('generate') ?? '/models/smollm2/model.gguf';
const threads = Number(params.get('threads') ?? 0);
const demo = (window.demo = { ready: false, error: null, progress: [] });

$('embed-model').textContent = embedId;
$('gen-model').textContent = genId;
const manager = new ModelManager({ threads });

function showError(e) {
  demo.error = String(e.message ?? e);
  $('error').textContent = `Error: ${demo.error}`;
}

function onProgress(p) {
  demo.progress.push(p);
  const bar = $('progress');
  bar.hidden = false;
  bar.max = p.total || 1;
  bar.value = p.loaded;
  $('status').textContent = `${p.cached ? 'from cache' : 'downloading'} ${p.file}: ${(p.loaded / 1e6).toFixed(1)} / ${(p.total / 1e6).toFixed(1)} MB`;
}

let embedModel = null, genModel = null;
async function start() {
  const core = (demo.core = await manager.coreInfo());
  const status = () =>
    `backend: wasm (${core.build} build, SIMD128), threads: ${core.threads}` +
    (core.threadsReason ? ` — ${core.threadsReason}` : '') +
    `\ncross-origin isolated: ${core.crossOriginIsolated}, WebAssembly instantiation: ${core.instantiateMs.toFixed(1)} ms` +
    (embedModel ? `\n${embedModel.info.name}: ${embedModel.info.family}, ${embedModel.info.precision}, kernel ${embedModel.info.kernel}, loaded in ${(embedModel.info.fetchMs + embedModel.info.openMs).toFixed(0)} ms (${(embedModel.info.bytesFromCache / 1e6).toFixed(1)} MB from cache, ${(embedModel.info.bytesFetched / 1e6).toFixed(1)} MB fetched)` : '');
  $('status').textContent = status();
  embedModel = demo.embedModel = await manager.loadModel(embedId, { onProgress });
  demo.embedInfo = embedModel.info;
  $('progress').hidden = true;
  $('status').textContent = status();
  $('embed').disabled = $('batch').disabled = false;
  $('generate').disabled = false;
  demo.ready = true;
}

$('embed').onclick = async () => {
  $('error').textContent = '';
  const t0 = performance.now();
  try {
    const v = await embedModel.getEmbeddings($('text').value);
    const ms = performance.now() - t0;
    demo.lastEmbedding = Array.from(v);
    demo.lastEmbedMs = ms;
    $('embedding').textContent = `${v.length} dimensions in ${ms.toFixed(1)} ms: [${Array.from(v.slice(0, 4), (x) => x.toFixed(4)).join(', ')}, …]`;
  } catch (e) { showError(e); }
};

// A long batch in the worker while the page keeps a 10 ms timer running:
// the ticks show the main thread stays free.
$('batch').onclick = async () => {
  const texts = Array.from({ length: 64 }, (_, i) => `Sentence ${i}: ${$('text').value} `.repeat(4));
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 10);
  const t0 = performance.now();
  try {
    await embedModel.embedBatch(texts);
  } catch (e) { showError(e); }
  const ms = performance.now() - t0;
  clearInterval(timer);
  demo.batch = { ms, ticks, texts: texts.length };
  $('embedding').textContent = `64 texts in ${ms.toFixed(0)} ms (${(64000 / ms).toFixed(1)} texts/s); the page's 10 ms timer fired ${ticks} times meanwhile`;
};

let abort = null;
$('generate').onclick = async () => {
  $('error').textContent = '';
  $('reply').textContent = '';
  $('generate').disabled = true;
  $('stop').disabled = false;
  abort = new AbortController();
  demo.tokens = [];
  try {
    genModel ??= demo.genModel = await manager.loadModel(genId, { onProgress });
    $('progress').hidden = true;
    await genModel.resetSession();
    const t0 = performance.now();
    const r = await genModel.generate($('prompt').value, {
      temperature: 0, max_tokens: Number(params.get('max_tokens') ?? 48), signal: abort.signal,
      onToken: (piece, token) => { demo.tokens.push(token); $('reply').textContent += piece; },
    });
    demo.lastGeneration = r;
    $('gen-stats').textContent = `${r.generated_tokens} tokens, first after ${r.first_token_ms.toFixed(0)} ms, ` +
      `${(1000 * (r.generated_tokens - 1) / Math.max(r.generate_ms, 1e-3)).toFixed(1)} tokens/s, ${(performance.now() - t0).toFixed(0)} ms in all (${r.finish_reason})`;
  } catch (e) { showError(e); }
  $('generate').disabled = false;
  $('stop').disabled = true;
};
$('stop').onclick = () => abort?.abort();

start().catch(showError);

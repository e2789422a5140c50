/*
 * model_manager.js — models by id, loaded into the core worker:
 *
 *   const mm = new ModelManager({ threads: 2 });
 *   const model = await mm.loadModel('all-MiniLM-L6-v2');
 *   const v = await model.getEmbeddings('This is a test sentence'); // Float32Array(384)
 *
 * A model id is resolved to a source the worker can read:
 *   Node:    an existing directory or .gguf path, else a name under
 *            $IA_MODEL_DIR (default ~/.cache/ipfs_accelerate/models/<id>),
 *            as the CLI and the Python package resolve it; a CID ("Qm…",
 *            "bafy…", "/ipfs/<cid>", "ipfs://<cid>") names the model the
 *            native core materialised from the block store, every block
 *            verified: $IA_MODEL_DIR/by-cid/<cidv1>/ or <cidv1>.gguf
 *            (docs/store.md; the SDK does not read the block store itself);
 *   browser: an absolute or relative URL ("https://…/", "/models/x/",
 *            "./x.gguf"), else <modelBaseUrl><id>/ (modelBaseUrl defaults
 *            to "/models/").
 * Files are the formats the core reads: a Hugging Face directory
 * (config.json + model.safetensors + tokenizer.json, sentence-transformers
 * pooling) or a GGUF file / a directory with model.gguf.
 */
import { CoreClient, IS_NODE } from './worker/core_client.js';

/** One loaded model. Every call runs in the core worker. */
export class Model {
  #client;
  #handle;
  constructor(client, handle, id, info) {
    this.#client = client;
    this.#handle = handle;
    this.id = id;
    /** {name, family, dim, kernel, threads, max_tokens, vocab_size, precision, weight_bytes, fetchMs, openMs, ...} */
    this.info = info;
    this.backend = 'wasm';
  }

  get dim() { return this.info.dim; }

  /**
   * Embeds one text (→ Float32Array(dim)) or an array of texts
   * (→ Float32Array[]), pooled and normalised as the model's
   * sentence-transformers config says.
   */
  async getEmbeddings(input) {
    const single = typeof input === 'string';
    const texts = single ? [input] : input;
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string'))
      throw new TypeError('getEmbeddings takes a string or an array of strings');
    const { dim, vectors } = await this.#client.call('embed', { handle: this.#handle, texts });
    const rows = texts.map((_, i) => vectors.subarray(i * dim, (i + 1) * dim));
    return single ? rows[0] : rows;
  }

  /** The flat form: {dim, vectors: Float32Array(n * dim)} (no per-row views). */
  embedBatch(texts) {
    return this.#client.call('embed', { handle: this.#handle, texts });
  }

  /**
   * Generates a continuation of prompt (decoder models). options: the
   * core's sampling and generation options (max_tokens, temperature,
   * top_k, top_p, min_p, repeat_penalty, presence_penalty,
   * frequency_penalty, seed, stop, ignore_eos) and onToken(piece, token)
   * for streaming; signal (an AbortSignal) stops after the current token.
   * → {text, prompt_tokens, generated_tokens, first_token_ms, finish_reason, ...}
   */
  generate(prompt, options = {}) {
    return this.#runGeneration('generate', { prompt }, options);
  }

  /** A chat turn: messages [{role, content}] through the model's chat template, then generate. */
  chat(messages, options = {}) {
    return this.#runGeneration('chat', { messages }, options);
  }

  /**
   * Decoders: appends token ids to the model's sequence (its KV cache) and
   * returns the logits of the next token, Float32Array(vocab_size).
   */
  async decode(tokens) {
    const ids = Array.from(tokens, Number);
    if (!ids.length || ids.some((t) => !Number.isInteger(t) || t < 0 || t >= this.info.vocab_size))
      throw new RangeError(`tokens must be ids in [0, ${this.info.vocab_size})`);
    return (await this.#client.call('decode', { handle: this.#handle, tokens: ids })).vectors;
  }

  /** Forgets the conversation kept in the model's KV cache. */
  resetSession() {
    return this.#client.call('resetSession', { handle: this.#handle });
  }

  async #runGeneration(op, args, options) {
    const { onToken, signal, ...rest } = options;
    const opts = { ...rest, stream: typeof onToken === 'function' };
    if (signal?.aborted) throw new DOMException('generation aborted', 'AbortError');
    const { id, promise } = this.#client.start(op, { handle: this.#handle, ...args, options: opts },
      (ev) => { if (ev.event === 'token') onToken?.(ev.piece, ev.token); });
    const onAbort = () => this.#client.cancel(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await promise;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Frees the model in the worker. */
  dispose() {
    return this.#client.call('disposeModel', { handle: this.#handle });
  }
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const CID_RE = /^(?:\/ipfs\/|ipfs:\/\/)?(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,120})$/;

/**
 * The CIDv1 text (base32, as the core names by-cid/ entries) of a CID
 * model id, or null when id is not one. A CIDv0 ("Qm…", a sha2-256
 * multihash) is the dag-pb CIDv1 0x01 0x70 + the same multihash.
 */
export function modelCidV1(id) {
  const m = typeof id === 'string' && CID_RE.exec(id);
  if (!m) return null;
  if (!m[1].startsWith('Qm')) return m[1];
  let n = 0n;
  for (const ch of m[1]) n = n * 58n + BigInt(B58.indexOf(ch));
  const mh = [];
  for (; n > 0n; n >>= 8n) mh.unshift(Number(n & 0xffn));
  if (mh.length !== 34 || mh[0] !== 0x12 || mh[1] !== 0x20) return null;
  const bytes = [0x01, 0x70, ...mh];
  let out = 'b', acc = 0, bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b, bits += 8;
    for (; bits >= 5; bits -= 5) out += 'abcdefghijklmnopqrstuvwxyz234567'[(acc >> (bits - 5)) & 31];
  }
  if (bits) out += 'abcdefghijklmnopqrstuvwxyz234567'[(acc << (5 - bits)) & 31];
  return out;
}

async function resolveSource(id, modelBaseUrl) {
  if (typeof id !== 'string' || !id) throw new TypeError('a model id must be a non-empty string');
  if (IS_NODE) {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const os = await import('node:os');
    if (fs.existsSync(id)) return path.resolve(id);
    const base = process.env.IA_MODEL_DIR || path.join(os.homedir(), '.cache', 'ipfs_accelerate', 'models');
    const v1 = modelCidV1(id);
    if (v1) {
      for (const p of [path.join(base, 'by-cid', v1), path.join(base, 'by-cid', `${v1}.gguf`)])
        if (fs.existsSync(p)) return p;
      throw new Error(`model ${id}: not materialised in ${path.join(base, 'by-cid')} — the JS SDK does not read the ` +
        'block store itself: open the CID once with the native core (ipfs-accelerate embed/generate --model ' +
        `${id}, or Python's Model("${id}")), which verifies every block and materialises it there`);
    }
    const p = path.join(base, id);
    if (fs.existsSync(p)) return p;
    throw new Error(`model not found: ${id} (not a path, and not in ${base}; the SDK does not download from a hub)`);
  }
  if (/^(https?:|blob:|\.{0,2}\/)/.test(id)) return id;
  return new URL(`${id}/`, new URL(modelBaseUrl, globalThis.location?.href)).href;
}

function nameOf(source) {
  const parts = source.replace(/[?#].*$/, '').split('/').filter(Boolean);
  return (parts.pop() || 'model').replace(/\.gguf$/i, '');
}

/**
 * Loads models into one core worker (its own, or a WebWorker's).
 * options: {worker (a WebWorker whose core to share), threads (0 = all the
 * page may use; >1 needs cross-origin isolation in a browser), modelBaseUrl,
 * cache (Cache Storage for fetched files; default true)}
 */
export class ModelManager {
  #client;
  #ownClient;
  #options;
  #models = new Map();

  constructor(options = {}) {
    this.#options = { threads: 0, modelBaseUrl: '/models/', cache: true, ...options };
    this.#client = options.worker?.coreClient ?? null;
    this.#ownClient = !this.#client;
  }

  /** The core worker, started on first use. */
  async client() {
    if (!this.#client) this.#client = new CoreClient();
    await this.#client.init({ threads: this.#options.threads });
    return this.#client;
  }

  /** What the core worker runs with: {build, threads, threadsReason, simd, instantiateMs, ...}. */
  async coreInfo() {
    return (await this.client()).info;
  }

  /**
   * Loads a model (or returns the one already loaded under this id).
   * options.onProgress({file, loaded, total, cached}) reports downloads.
   */
  async loadModel(id, options = {}) {
    if (this.#models.has(id)) return this.#models.get(id);
    const p = (async () => {
      const client = await this.client();
      const source = await resolveSource(id, this.#options.modelBaseUrl);
      const { handle, info } = await client.call(
        'loadModel', { source, name: nameOf(source), cache: options.cache ?? this.#options.cache },
        (ev) => { if (ev.event === 'progress') options.onProgress?.(ev); });
      return new Model(client, handle, id, info);
    })();
    this.#models.set(id, p);
    try {
      return await p;
    } catch (e) {
      this.#models.delete(id);
      throw e;
    }
  }

  /** Loaded model ids. */
  listModels() {
    return [...this.#models.keys()];
  }

  async unloadModel(id) {
    const p = this.#models.get(id);
    if (!p) return false;
    this.#models.delete(id);
    await (await p).dispose();
    return true;
  }

  /** Stops the worker this manager started (a shared WebWorker's is left running). */
  async close() {
    this.#models.clear();
    if (this.#ownClient && this.#client) await this.#client.terminate();
    this.#client = null;
  }
}

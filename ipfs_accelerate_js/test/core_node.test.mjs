// core_node.test.mjs — the WebAssembly core in Node (worker_threads)
// against the native CLI: the same embeddings, the same generated text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { ModelManager } from '../model_manager.js';
import { CoreError } from '../worker/core_client.js';
import { cosine, MINILM, missing, nativeEmbed, nativeLogits, SMOLLM2, TEXTS } from './helpers.mjs';

for (const threads of [1, 2]) {
  describe(`MiniLM embeddings, ${threads} thread(s)`, { skip: missing(MINILM) }, () => {
    const mm = new ModelManager({ threads });
    after(() => mm.close());

    test('the core runs the build that matches the threads asked for', async () => {
      const info = await mm.coreInfo();
      assert.equal(info.threads, threads);
      assert.equal(info.build, threads > 1 ? 'threads' : 'single');
      assert.equal(info.simd, true);
      assert.ok(info.instantiateMs > 0 && info.instantiateMs < 5000, `instantiateMs ${info.instantiateMs}`);
    });

    test('vectors equal the native CLI\'s (cosine >= 0.99999)', async () => {
      const model = await mm.loadModel(MINILM);
      assert.equal(model.info.family, 'bert');
      assert.equal(model.info.dim, 384);
      assert.equal(model.info.threads, threads);
      const got = await model.getEmbeddings(TEXTS);
      const ref = nativeEmbed(MINILM, TEXTS);
      assert.equal(got.length, TEXTS.length);
      got.forEach((v, i) => {
        assert.equal(v.length, 384);
        const c = cosine(v, ref.embeddings[i]);
        assert.ok(c >= 0.99999, `text ${i}: cosine ${c}`);
      });
    });

    test('one string gives one Float32Array; bad input is a TypeError, and the worker lives on', async () => {
      const model = await mm.loadModel(MINILM);
      const v = await model.getEmbeddings('Hello');
      assert.ok(v instanceof Float32Array);
      assert.equal(v.length, 384);
      await assert.rejects(model.getEmbeddings([1, 2]), TypeError);
      await assert.rejects(model.getEmbeddings(['a\u0000b']), /NUL/);
      const again = await model.getEmbeddings(['Hello']);
      assert.ok(cosine(again[0], v) > 0.999999);
    });
  });
}

describe('bad models give clear errors', { skip: missing(MINILM) }, () => {
  const mm = new ModelManager({ threads: 1 });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iajs-'));
  after(async () => {
    await mm.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('an unknown id names where it looked', async () => {
    await assert.rejects(mm.loadModel('no-such-model-xyz'), /model not found: no-such-model-xyz/);
  });

  test('a truncated safetensors file is refused, naming the file', async () => {
    const dir = path.join(tmp, 'cut');
    fs.mkdirSync(dir);
    fs.cpSync(MINILM, dir, { recursive: true });
    const fd = fs.openSync(path.join(MINILM, 'model.safetensors'), 'r');
    const buf = Buffer.alloc(1 << 20);
    fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(dir, 'model.safetensors'), buf);
    await assert.rejects(mm.loadModel(dir), (e) => e instanceof CoreError && /model\.safetensors/.test(e.message));
  });

  test('a tampered header is refused', async () => {
    const dir = path.join(tmp, 'bad');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(MINILM, 'config.json'), path.join(dir, 'config.json'));
    fs.copyFileSync(path.join(MINILM, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    const b = Buffer.alloc(64);
    b.writeBigUInt64LE(1n << 40n, 0); // a header length far past the end
    fs.writeFileSync(path.join(dir, 'model.safetensors'), b);
    await assert.rejects(mm.loadModel(dir), CoreError);
  });

  test('after failures the worker still loads a good model', async () => {
    const model = await mm.loadModel(MINILM);
    assert.equal((await model.getEmbeddings('ok')).length, 384);
  });
});

describe('SmolLM2 generation', { skip: missing(SMOLLM2) }, () => {
  const mm = new ModelManager({ threads: 2 });
  after(() => mm.close());
  const prompt = 'The three primary colors are';

  // SmolLM2's logits move by ~0.5 when only the rounding changes (the
  // native AVX-512, AVX2 and portable kernels differ among themselves by
  // that much on these positions): the bar is that floor, measured in the
  // same test, not an absolute figure.
  test('teacher-forced logits are as close to the native core\'s as the native kernels are to each other', async () => {
    const model = await mm.loadModel(SMOLLM2);
    assert.equal(model.info.family, 'llama');
    await model.resetSession();
    const ids = [];
    const r = await model.generate(prompt, { temperature: 0, max_tokens: 24, onToken: (_, t) => ids.push(t) });
    assert.equal(ids.length, 24);
    assert.equal(r.generated_tokens, 24);
    await model.resetSession();
    const seq = [504, 1743, 3048, 3282, 359, ...ids]; // a few fixed ids, then the greedy continuation
    const native = nativeLogits(SMOLLM2, seq);
    const portable = nativeLogits(SMOLLM2, seq, 'generic');
    const diff = (a, getB) => Math.max(...a.map((p, i) => Math.max(...p.top.map(([id, v]) => Math.abs(getB(i, id) - v)))));
    const floor = diff(native, (i, id) => new Map(portable[i].top).get(id) ?? native[i].top.find((t) => t[0] === id)[1]);
    const wasm = [];
    for (const t of seq) wasm.push(await model.decode([t]));
    const worst = diff(native, (i, id) => wasm[i][id]);
    assert.ok(floor > 0 && floor < 2, `native kernel floor ${floor}`);
    assert.ok(worst <= 1.5 * floor + 0.05, `worst |Δlogit| ${worst} against a native floor of ${floor}`);
    let decided = 0, same = 0;
    wasm.forEach((logits, i) => {
      if (native[i].margin < 2 * floor) return;
      decided++;
      if (logits.reduce((b, x, j) => (x > logits[b] ? j : b), 0) === native[i].top[0][0]) same++;
    });
    assert.ok(decided >= 5, `only ${decided} positions with a clear margin`);
    assert.equal(same, decided, `top-1 differs at ${decided - same} of ${decided} positions with a clear margin`);
  });

  test('a seed gives the same text every time; another seed another text', async () => {
    const model = await mm.loadModel(SMOLLM2);
    const run = async (seed) => {
      await model.resetSession();
      const pieces = [];
      const r = await model.generate(prompt, { temperature: 0.8, seed, max_tokens: 24, onToken: (p) => pieces.push(p) });
      assert.equal(pieces.join(''), r.text);
      return r.text;
    };
    const a = await run(7);
    assert.equal(await run(7), a);
    assert.notEqual(await run(8), a);
  });

  test('an AbortSignal stops generation early', async () => {
    const model = await mm.loadModel(SMOLLM2);
    await model.resetSession();
    const ac = new AbortController();
    let n = 0;
    const r = await model.generate(prompt, {
      temperature: 0, max_tokens: 200, ignore_eos: true, signal: ac.signal,
      onToken: () => { if (++n === 3) ac.abort(); },
    });
    assert.equal(r.finish_reason, 'cancelled');
    assert.ok(r.generated_tokens < 10, `generated ${r.generated_tokens}`);
  });

  test('chat renders the model\'s template', async () => {
    const model = await mm.loadModel(SMOLLM2);
    await model.resetSession();
    const r = await model.chat([{ role: 'user', content: 'Say hi.' }], { temperature: 0, max_tokens: 8 });
    assert.ok(r.prompt_tokens > 5);
    assert.ok(r.text.length > 0);
    await assert.rejects(model.chat([{ role: 1 }]), /\{role, content\}/);
  });
});

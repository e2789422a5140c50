// browser.test.mjs — the demo page in Debian's Chromium (headless, driven
// by playwright-core), served with and without cross-origin isolation:
// embeddings equal the native CLI's, streamed generation, a responsive page
// during a batch, a second visit from Cache Storage, results in IndexedDB
// after a reload, a cut model file reported in the page, the seed's React
// component.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createServer } from '../examples/serve.mjs';
import { cosine, MINILM, missing, nativeEmbed } from './helpers.mjs';

const CHROMIUM = process.env.IA_CHROMIUM || '/usr/bin/chromium';
let chromium = null;
try {
  ({ chromium } = await import('playwright-core'));
} catch { /* reported by skip below */ }
const skip = missing(MINILM) || (!chromium && 'playwright-core is not installed (npm install in ipfs_accelerate_js)') ||
  (!fs.existsSync(CHROMIUM) && `${CHROMIUM} is missing (apt-get install chromium)`) || false;

async function serve(options) {
  const srv = createServer(options);
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, base: `http://127.0.0.1:${srv.address().port}` };
}

describe('demo page in Chromium', { skip }, () => {
  let browser, iso, plain, tmp;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iajs-web-'));
    const cut = path.join(tmp, 'cut');
    fs.cpSync(MINILM, cut, { recursive: true });
    fs.truncateSync(path.join(cut, 'model.safetensors'), 4 << 20);
    iso = await serve({ isolation: true, extraRoutes: { '/bad/': tmp } });
    plain = await serve({ isolation: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    iso?.srv.close();
    plain?.srv.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function open(base, query = '') {
    const page = await browser.newPage();
    await page.goto(`${base}/examples/${query}`);
    await page.waitForFunction(() => window.demo?.ready || window.demo?.error, null, { timeout: 120000 });
    return page;
  }

  test('isolated page: 2 threads; type, click, the vector equals the native CLI\'s', async () => {
    const page = await open(iso.base, '?threads=2');
    assert.equal(await page.evaluate(() => window.demo.error), null);
    const core = await page.evaluate(() => window.demo.core);
    assert.equal(core.crossOriginIsolated, true);
    assert.equal(core.threads, 2);
    assert.equal(core.build, 'threads');
    const text = 'Quantum chromodynamics describes the strong interaction.';
    await page.fill('#text', text);
    await page.click('#embed');
    await page.waitForFunction(() => window.demo.lastEmbedding, null, { timeout: 60000 });
    const v = await page.evaluate(() => window.demo.lastEmbedding);
    const ref = nativeEmbed(MINILM, [text]).embeddings[0];
    assert.ok(cosine(v, ref) >= 0.99999, `cosine ${cosine(v, ref)}`);
    assert.match(await page.textContent('#embedding'), /^384 dimensions in/);
    await page.screenshot({ path: path.join(tmp, 'demo.png') });
    if (process.env.IA_SCREENSHOT) fs.copyFileSync(path.join(tmp, 'demo.png'), process.env.IA_SCREENSHOT);
    await page.close();
  });

  test('the main thread keeps running during a 64-text batch in the worker', async () => {
    const page = await open(iso.base, '?threads=2');
    await page.click('#batch');
    await page.waitForFunction(() => window.demo.batch, null, { timeout: 120000 });
    const { ms, ticks } = await page.evaluate(() => window.demo.batch);
    assert.ok(ms > 200, `batch took ${ms} ms`);
    assert.ok(ticks >= 0.5 * (ms / 10), `${ticks} timer ticks in ${ms} ms`);
    await page.close();
  });

  test('a second visit loads the model from Cache Storage, not the network', async () => {
    const ctx = await browser.newContext();
    const load = async () => {
      const page = await ctx.newPage();
      await page.goto(`${iso.base}/examples/?threads=1`);
      await page.waitForFunction(() => window.demo?.ready || window.demo?.error, null, { timeout: 120000 });
      const info = await page.evaluate(() => window.demo.embedInfo);
      await page.close();
      return info;
    };
    const first = await load();
    assert.ok(first.bytesFetched > 80e6, `first visit fetched ${first.bytesFetched}`);
    const second = await load();
    assert.equal(second.bytesFetched, 0);
    assert.ok(second.bytesFromCache > 80e6);
    await ctx.close();
  });

  test('without COOP/COEP: one thread, the reason shown, the same vectors', async () => {
    const page = await open(plain.base, '?threads=2');
    const core = await page.evaluate(() => window.demo.core);
    assert.equal(core.crossOriginIsolated, false);
    assert.equal(core.threads, 1);
    assert.equal(core.build, 'single');
    assert.match(core.threadsReason, /cross-origin isolated/);
    assert.match(await page.textContent('#status'), /not cross-origin isolated/);
    await page.click('#embed');
    await page.waitForFunction(() => window.demo.lastEmbedding, null, { timeout: 60000 });
    const v = await page.evaluate(() => window.demo.lastEmbedding);
    const ref = nativeEmbed(MINILM, ['The quick brown fox jumps over the lazy dog.']).embeddings[0];
    assert.ok(cosine(v, ref) >= 0.99999);
    await page.close();
  });

  test('a cut model file is an error in the page, not a hang', async () => {
    const page = await open(iso.base, '?embed=/bad/cut/&threads=1');
    const err = await page.evaluate(() => window.demo.error);
    assert.match(err, /model\.safetensors/);
    assert.match(await page.textContent('#error'), /^Error: /);
    await page.close();
  });

  test('the seed\'s React EmbeddingComponent, as written, renders and embeds', async () => {
    const esbuild = await import('esbuild');
    const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'examples', 'react');
    await esbuild.build({ entryPoints: [path.join(dir, 'app.jsx')], bundle: true, format: 'esm',
                          external: ['node:*'], outfile: path.join(dir, 'app.js'), logLevel: 'error' });
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${iso.base}/examples/react/`);
    await page.waitForSelector('button');
    assert.equal(await page.isDisabled('button'), true); // no model and no text yet
    await page.fill('input', 'This is a test sentence');
    await page.waitForFunction(() => !document.querySelector('button').disabled, null, { timeout: 120000 });
    await page.click('button');
    await page.waitForSelector('text=Embedding generated: 384 dimensions', { timeout: 60000 });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('benchmark rows written to IndexedDB are read back after a reload', async () => {
    const page = await open(iso.base, '?threads=1');
    const csv = await page.evaluate(async () => {
      const { Benchmark, HardwareProfile } = await import('../index.js');
      const r = await new Benchmark({ modelIds: ['all-MiniLM-L6-v2'], iterations: 3, warmup: 1,
        hardwareProfiles: [new HardwareProfile({ backend: 'wasm' }), new HardwareProfile({ backend: 'webgpu' })] }).run();
      return r.toCSV();
    });
    assert.match(csv, /all-MiniLM-L6-v2,wasm,fp32,1,/);
    assert.match(csv, /webgpu/);
    await page.reload();
    await page.waitForFunction(() => window.demo?.ready, null, { timeout: 120000 });
    const rows = await page.evaluate(async () => {
      const { openResultsStore } = await import('../utils/results_store.js');
      const store = await openResultsStore({ name: 'ipfs_accelerate_benchmarks' });
      return store.query({ backend: 'wasm' });
    });
    assert.ok(rows.length >= 1);
    assert.ok(rows.at(-1).items_per_s > 0);
    await page.close();
  });
});

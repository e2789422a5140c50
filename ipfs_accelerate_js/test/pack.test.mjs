// pack.test.mjs — the package as a user gets it: `npm pack`, installed with
// npm into a fresh folder (offline: the package has no dependencies), used
// from there by plain ESM and type-checked by TypeScript against its .d.ts.
// Nothing here imports the repository's copy.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { cosine, MINILM, missing, nativeEmbed, REPO, TEXTS } from './helpers.mjs';
import { tmpdir } from './native_cli.mjs';

const PKG = path.join(REPO, 'ipfs_accelerate_js');
const TSC = path.join(PKG, 'node_modules', '.bin', 'tsc');

function npm(args, cwd) {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'],
                      { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

describe('npm pack, installed in a fresh folder', { skip: missing(MINILM) }, () => {
  let work, app, tarball, packed;

  before(() => {
    work = tmpdir();
    const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], PKG));
    tarball = path.join(work, info.filename);
    packed = new Set(info.files.map((f) => f.path));
    app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    npm(['install', '--offline', tarball], app);
  });

  test('the tarball carries both WebAssembly builds and the types, not the tests', () => {
    for (const f of ['worker/wasm/dist/ia_core.wasm', 'worker/wasm/dist/ia_core.js', 'worker/wasm/dist/ia_core_mt.wasm',
                     'worker/wasm/dist/ia_core_mt.js', 'worker/wasm/runtime/core_worker.js', 'types/index.d.ts',
                     'types/react.d.ts', 'types/hardware.d.ts', 'types/utils.d.ts', 'index.js', 'react.js'])
      assert.ok(packed.has(f), `${f} is not in the tarball`);
    for (const f of packed) assert.ok(!f.startsWith('test/') && !f.startsWith('node_modules/'), `${f} should not be packed`);
    const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
    for (const [sub, e] of Object.entries(pkg.exports)) {
      assert.ok(packed.has(e.default.replace(/^\.\//, '')), `exports['${sub}'].default ${e.default} is not packed`);
      assert.ok(packed.has(e.types.replace(/^\.\//, '')), `exports['${sub}'].types ${e.types} is not packed`);
    }
  });

  test('the installed package embeds as the native CLI does (cosine >= 0.99999), at 2 threads', () => {
    fs.writeFileSync(path.join(app, 'embed.mjs'), `
      import { ModelManager, WebWorker } from 'ipfs_accelerate_js';
      import { HardwareProfile } from 'ipfs_accelerate_js/hardware';
      import { formatCSV } from 'ipfs_accelerate_js/utils/export_format';
      if (typeof WebWorker !== 'function' || typeof formatCSV !== 'function') throw new Error('missing exports');
      const profile = new HardwareProfile({ backend: 'wasm', precision: 'fp32', threads: 2 });
      const mm = new ModelManager({ threads: profile.threads });
      const model = await mm.loadModel(process.argv[2]);
      const vs = await model.getEmbeddings(JSON.parse(process.argv[3]));
      const info = await mm.coreInfo();
      await mm.close();
      console.log(JSON.stringify({ threads: info.threads, build: info.build, vectors: vs.map((v) => Array.from(v)) }));
    `);
    const out = execFileSync(process.execPath, ['embed.mjs', MINILM, JSON.stringify(TEXTS)],
                             { cwd: app, maxBuffer: 64 << 20 });
    const got = JSON.parse(out.toString());
    assert.equal(got.threads, 2);
    assert.equal(got.build, 'threads');
    const real = fs.realpathSync(path.join(app, 'node_modules', 'ipfs_accelerate_js'));
    assert.ok(!real.startsWith(PKG), `the app resolved the repository's copy (${real})`);
    const ref = nativeEmbed(MINILM, TEXTS);
    got.vectors.forEach((v, i) => assert.ok(cosine(v, ref.embeddings[i]) >= 0.99999, `text ${i}`));
  });

  test('TypeScript (strict, nodenext) accepts correct use of the .d.ts and rejects wrong use',
       { skip: fs.existsSync(TSC) ? false : `${TSC} is missing (npm ci in ipfs_accelerate_js)` }, () => {
    const tsconfig = { compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext',
                                          target: 'es2022', lib: ['es2022', 'dom'], skipLibCheck: false, types: [] } };
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    fs.writeFileSync(path.join(app, 'good.ts'), `
      import { ModelManager, WebWorker, Benchmark, type GenerationResult } from 'ipfs_accelerate_js';
      import { HardwareProfile, BrowserHardwareDetector } from 'ipfs_accelerate_js/hardware';
      import { useModel } from 'ipfs_accelerate_js/react';
      import { openResultsStore } from 'ipfs_accelerate_js/utils/results_store';
      export async function main(): Promise<number> {
        const mm = new ModelManager({ threads: 2 });
        const model = await mm.loadModel('all-MiniLM-L6-v2', { onProgress: (p) => void p.loaded });
        const one: Float32Array = await model.getEmbeddings('text');
        const many: Float32Array[] = await model.getEmbeddings(['a', 'b']);
        const r: GenerationResult = await model.generate('Hi', { max_tokens: 8, onToken: (s: string) => void s });
        const w = new WebWorker();
        const { browserHardware } = await w.initBrowserHardware();
        const backend: string = await w.getOptimalBrowserHardware({ modelId: 'm' });
        await w.initBrowserWorker({ models: ['m'], browserTest: browserHardware });
        const p = new HardwareProfile({ backend: 'wasm', precision: 'int8', memoryLimit: '4GB' });
        const caps = await new BrowserHardwareDetector().detectCapabilities();
        const results = await new Benchmark({ modelIds: ['m'], hardwareProfiles: [p] }).run();
        const csv: string = await results.toCSV();
        const store = await openResultsStore({ storage: 'memory' });
        void useModel; void store; void caps; void backend;
        return one.length + many.length + r.generated_tokens + csv.length;
      }
    `);
    const ok = spawnSync(TSC, ['-p', '.'], { cwd: app, encoding: 'utf8' });
    assert.equal(ok.status, 0, `tsc rejected correct use:\n${ok.stdout}${ok.stderr}`);
    fs.writeFileSync(path.join(app, 'bad.ts'), `
      import { ModelManager } from 'ipfs_accelerate_js';
      export async function bad() {
        const model = await new ModelManager().loadModel('m');
        const v: Float32Array = await model.getEmbeddings(['a', 'b']);
        await model.getEmbeddings(42);
        return v;
      }
    `);
    const bad = spawnSync(TSC, ['-p', '.'], { cwd: app, encoding: 'utf8' });
    assert.notEqual(bad.status, 0, 'tsc accepted wrong use');
    assert.match(bad.stdout, /bad\.ts/);
    assert.doesNotMatch(bad.stdout, /good\.ts/);
    fs.rmSync(path.join(app, 'bad.ts'));
  });
});

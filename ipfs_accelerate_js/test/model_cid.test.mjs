// model_cid.test.mjs — models by CID in Node: the native core (CLI) adds
// MiniLM to a block store and materialises it by CID under
// $IA_MODEL_DIR/by-cid/; the SDK's loader then takes the CID (v0, v1,
// /ipfs/ path) and gives the same vectors as the model's directory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ModelManager, modelCidV1 } from '../model_manager.js';
import { CLI, MINILM, missing } from './helpers.mjs';

const V0 = 'QmbMQipS4UP2ZZJFwH9LbvhTHGr8QxCvfxsbKkDTRjohmu'; // kubo's `ipfs add -r` of MiniLM
const V1 = 'bafybeigblgy6hobnsskahh5rxjk53ybiafnxjtny7a4c64557kj6btl6dq';

test('modelCidV1: v0 to the core\'s v1 name, v1 as is, anything else null', () => {
  assert.equal(modelCidV1(V0), V1);
  assert.equal(modelCidV1(`/ipfs/${V0}`), V1);
  assert.equal(modelCidV1(`ipfs://${V1}`), V1);
  assert.equal(modelCidV1('QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn'),
    'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354'); // the empty directory, as kubo converts it
  for (const x of ['all-MiniLM-L6-v2', 'Qm123', '', 'bafy!', null]) assert.equal(modelCidV1(x), null);
});

describe('a model by CID', { skip: missing(MINILM) || (!fs.existsSync(CLI) && `${CLI} is missing`) }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iajs-cid-'));
  const saved = process.env.IA_MODEL_DIR;
  let mm;
  before(() => {
    const env = { ...process.env, IA_BLOCK_DIR: path.join(tmp, 'blocks'), IA_MODEL_DIR: path.join(tmp, 'models') };
    const root = execFileSync(CLI, ['add', '-Q', MINILM], { env }).toString().trim();
    assert.equal(root, V0);
    execFileSync(CLI, ['embed', '--device', 'cpu', '--model', V0, 'materialise'], { env, stdio: 'ignore' });
    process.env.IA_MODEL_DIR = env.IA_MODEL_DIR;
    mm = new ModelManager({ threads: 1 });
  });
  after(async () => {
    await mm?.close();
    if (saved === undefined) delete process.env.IA_MODEL_DIR; else process.env.IA_MODEL_DIR = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('v0, v1 and /ipfs/ ids load the materialised copy and embed as the directory does', async () => {
    const ref = await (await mm.loadModel(MINILM)).getEmbeddings(['Hello from a CID', 'second']);
    for (const id of [V0, V1, `/ipfs/${V1}`]) {
      const model = await mm.loadModel(id);
      assert.equal(model.info.dim, 384);
      const got = await model.getEmbeddings(['Hello from a CID', 'second']);
      got.forEach((v, i) => assert.deepEqual(Array.from(v), Array.from(ref[i])));
    }
  });

  test('a CID not materialised: a clear error, no download', async () => {
    const id = 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e';
    await assert.rejects(mm.loadModel(id), (e) => e.message.includes('not materialised') && e.message.includes(id));
  });
});

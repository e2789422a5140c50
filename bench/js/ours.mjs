// ours.mjs — the contender: ipfs_accelerate_js (the C core in WebAssembly,
// in a worker). fp32 runs the HF directory; q8 the directory
// `ipfs-accelerate quantize --bits 8` writes (the harness passes it).
import { ModelManager } from 'ipfs_accelerate_js';

export async function load(opts) {
  const manager = new ModelManager({ threads: opts.threads });
  const core = await manager.coreInfo();
  const model = await manager.loadModel(opts.modelDir);
  if (opts.dtype === 'q8' && model.info.precision !== 'int8')
    throw new Error(`q8 asked, but ${opts.modelDir} is ${model.info.precision}`);
  return {
    async embed(texts) {
      return model.getEmbeddings(texts);
    },
    info: {
      core, model: model.info,
      timings: { instantiate_ms: core.instantiateMs, fetch_ms: model.info.fetchMs, open_ms: model.info.openMs },
    },
    close: () => manager.close(),
  };
}

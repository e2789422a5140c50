// run_wasi.mjs — runs a wasm32-wasi command module under node's WASI
// (node:wasi, preview1), with one host directory mapped in.
//
//   node run_wasi.mjs MODULE.wasm HOST_DIR GUEST_DIR [ARG...]
//
// The module sees HOST_DIR at GUEST_DIR (and nothing else of the file
// system), gets argv = [MODULE, ARG...] and, of this process's environment,
// only the library's own variables (IA_*: IA_KERNEL forces a kernel
// variant, IA_THREADS, ...); its stdout and stderr are this process's, and
// its exit status becomes ours.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [modulePath, hostDir, guestDir, ...args] = process.argv.slice(2);
if (!modulePath || !hostDir || !guestDir) {
  console.error('usage: node run_wasi.mjs MODULE.wasm HOST_DIR GUEST_DIR [ARG...]');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [modulePath, ...args],
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('IA_'))),
  preopens: { [guestDir]: hostDir },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(modulePath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);

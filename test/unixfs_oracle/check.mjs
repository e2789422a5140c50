// check.mjs CLI — the UnixFS CID suite: `ipfs-accelerate add --only-hash`
// against js-ipfs-unixfs's importer (oracle.mjs) on files and directories
// generated here, the model cache's MiniLM directory and SmolLM2 file, and
// against kubo too when .tools/bin/ipfs exists (scripts/setup_kubo.sh).
//
// One check is one (case, profile, oracle): every path and CID the oracle
// gives must be printed by ours, and nothing else. Prints "N passed,
// N failed" last; a case whose input is absent (a model not in the cache,
// kubo not built) is reported as skipped, not counted.
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { importPath } from './oracle.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../..')
const cli = path.resolve(process.argv[2] ?? path.join(root, 'build/ipfs-accelerate'))
const kuboBin = path.join(root, '.tools/bin/ipfs')
const models = process.env.IA_MODEL_DIR ?? path.join(os.homedir(), '.cache/ipfs_accelerate/models')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ia_unixfs_oracle_'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))

let passed = 0
let failed = 0
const skipped = []
const t0 = Date.now()

// ---- the three importers ---------------------------------------------------

function cliArgs (mode) {
  const a = []
  if (mode.profile === 'v0') a.push('--profile', 'unixfs-v0-2015')
  if (mode.profile === 'v1-2025') a.push('--profile', 'unixfs-v1-2025')
  if (mode.profile === 'cidv1') a.push('--cid-version', '1')
  if (mode.chunk) a.push('--chunker', `size-${mode.chunk}`)
  if (mode.links) a.push('--max-file-links', String(mode.links))
  return a
}

// "added <cid> <path>" lines into a Map path -> cid (the order is checked
// apart: the root must come last)
function parseAdded (text) {
  const m = new Map()
  const lines = []
  let last = null
  for (const line of text.split('\n')) {
    const r = /^added (\S+) (.*)$/.exec(line)
    if (r) { m.set(r[2], r[1]); last = r[2]; lines.push(line) }
  }
  return { map: m, last, lines }
}

function ours (p, mode) {
  if (mode.threshold) throw new Error('the CLI has no HAMT threshold flag')
  return parseAdded(execFileSync(cli, ['add', '--only-hash', ...cliArgs(mode), p], { encoding: 'utf8', maxBuffer: 64 << 20 }))
}

// kubo: one repository per profile, made here (ipfs init --profile test)
let kuboRepos = null
function kubo (p, mode) {
  if (!kuboRepos) {
    kuboRepos = {}
    for (const [name, profiles] of [['default', 'test'], ['v1-2025', 'test,unixfs-v1-2025']]) {
      const repo = path.join(tmp, `kubo-${name}`)
      execFileSync(kuboBin, ['init', '--profile', profiles], { env: { ...process.env, IPFS_PATH: repo }, stdio: 'ignore' })
      kuboRepos[name] = repo
    }
  }
  const repo = mode.profile === 'v1-2025' ? kuboRepos['v1-2025'] : kuboRepos.default
  const a = []
  if (mode.profile === 'cidv1') a.push('--cid-version', '1')
  if (mode.chunk) a.push('--chunker', `size-${mode.chunk}`)
  if (mode.links) a.push('--max-file-links', String(mode.links))
  return parseAdded(execFileSync(kuboBin, ['add', '-r', '--only-hash', ...a, p],
    { encoding: 'utf8', env: { ...process.env, IPFS_PATH: repo }, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 }))
}

// ---- comparing -------------------------------------------------------------

function ok (name) { passed++; console.log(`ok   ${name}`) }
function bad (name, why) { failed++; console.log(`FAIL ${name}: ${why}`) }

// js's importer yields no entry for some directories it builds: an empty
// one, and one inside a HAMT-sharded directory (DirSharded.flush relabels
// those entries with the shard's own path, so the root's entry replaces
// them). A directory we print that js did not name must be a directory on
// disk; its CID is still checked, through the root's: a parent's CID
// covers its children's. (kubo, when built, checks every line.)
function isDirOnDisk (base, p) {
  try { return fs.lstatSync(path.join(path.dirname(base), p)).isDirectory() } catch { return false }
}

function same (want, got, rootName, base) {
  for (const [p, cid] of want) if (got.map.get(p) !== cid) return `${p}: ${got.map.get(p) ?? 'missing'}, want ${cid}`
  for (const [p, cid] of got.map) {
    if (want.has(p)) continue
    if (!base || !isDirOnDisk(base, p)) return `${p} ${cid}: printed, not in the oracle`
  }
  if (got.last !== rootName) return `the last line is ${got.last}, not the root ${rootName}`
  return null
}

const label = (m) => m.profile + (m.chunk ? ` chunk ${m.chunk}` : '') + (m.links ? ` links ${m.links}` : '') +
  (m.threshold ? ` hamt>${m.threshold}` : '')

// one case: ours against js (always) and kubo (when built)
async function check (name, p, mode) {
  const js = await importPath(p, mode)
  const want = new Map([...js].map(([k, v]) => [k, v.cid]))
  const rootName = path.basename(path.resolve(p))
  let got
  try { got = ours(p, mode) } catch (e) { bad(`${name} [${label(mode)}] vs js`, `add failed: ${e.message}`); return js }
  const why = same(want, got, rootName, path.resolve(p))
  if (why) bad(`${name} [${label(mode)}] vs js-ipfs-unixfs`, why)
  else ok(`${name} [${label(mode)}] = js-ipfs-unixfs (${want.size} CID${want.size === 1 ? "" : "s"}, root ${want.get(rootName)})`)
  if (fs.existsSync(kuboBin) && !mode.threshold) {
    const k = kubo(p, mode)
    let whyK = same(k.map, got, rootName)
    if (!whyK) {
      const i = k.lines.findIndex((l, j) => l !== got.lines[j])
      if (i >= 0 || k.lines.length !== got.lines.length) whyK = `line ${i + 1} is "${got.lines[i]}", kubo's "${k.lines[i]}"`
    }
    if (whyK) bad(`${name} [${label(mode)}] vs kubo`, whyK)
    else ok(`${name} [${label(mode)}] = kubo (${k.map.size} CID${k.map.size === 1 ? "" : "s"})`)
  }
  return js
}

// ---- inputs ----------------------------------------------------------------

function randomFile (name, n) {
  const p = path.join(tmp, name)
  const fd = fs.openSync(p, 'w')
  const buf = Buffer.alloc(Math.min(n, 8 << 20))
  for (let left = n; left > 0;) {
    const k = Math.min(left, buf.length)
    crypto.randomFillSync(buf, 0, k)
    fs.writeSync(fd, buf, 0, k)
    left -= k
  }
  fs.closeSync(fd)
  return p
}

function mkfiles (dir, names, content) {
  fs.mkdirSync(dir, { recursive: true })
  for (const [i, n] of names.entries()) fs.writeFileSync(path.join(dir, n), content(i))
  return dir
}

const V0 = { profile: 'v0' }
const CIDV1 = { profile: 'cidv1' }
const V1 = { profile: 'v1-2025' }
const KiB = 1024
const MiB = 1024 * 1024

// files: the edge cases of the chunker and of the balanced layout
for (const [name, n, modes] of [
  ['0 B', 0, [V0, CIDV1, V1]],
  ['1 B', 1, [V0, CIDV1, V1]],
  ['256 KiB (one chunk)', 256 * KiB, [V0, CIDV1]],
  ['256 KiB + 1 B', 256 * KiB + 1, [V0, CIDV1]],
  ['1 MiB (one v1-2025 chunk)', MiB, [V1]],
  ['1 MiB + 1 B', MiB + 1, [V1]],
  ['174 chunks of 256 KiB', 174 * 256 * KiB, [V0, CIDV1]],
  ['175 chunks of 256 KiB', 175 * 256 * KiB, [V0, CIDV1]],
  ['100 MB', 100e6, [V0, V1]]
]) {
  const p = randomFile(name.replace(/[^a-z0-9]+/gi, '_'), n)
  for (const m of modes) await check(name, p, m)
  fs.rmSync(p)
}

// v1-2025's 1024 links a node at its boundary, with 1 KiB chunks instead of
// 1 MiB ones (1024 MiB files would not fit the suite's time)
{
  const a = randomFile('leaves_1024', 1024 * KiB)
  const b = randomFile('leaves_1025', 1025 * KiB)
  await check('1024 leaves', a, { ...V1, chunk: KiB })
  await check('1025 leaves', b, { ...V1, chunk: KiB })
  // three levels of 174: 174 * 174 + 1 leaves of 16 bytes
  const c = randomFile('three_levels', (174 * 174 + 1) * 16)
  await check('174*174+1 leaves (3 levels)', c, { ...V0, chunk: 16 })
  await check('174*174+1 leaves (3 levels)', c, { ...CIDV1, chunk: 16 })
}

// every tree shape from 1 to 28 leaves at 3 links a node (1..4 levels), one
// check a profile: all 28 files must equal
for (const m of [V0, CIDV1]) {
  const mode = { ...m, chunk: 5, links: 3 }
  let why = null
  for (let leaves = 1; leaves <= 28 && !why; leaves++) {
    const p = randomFile(`sweep_${leaves}`, leaves * 5 - (leaves % 2)) // odd counts end on a short chunk
    const want = new Map([...(await importPath(p, mode))].map(([k, v]) => [k, v.cid]))
    why = same(want, ours(p, mode), path.basename(p))
    if (why) why = `${leaves} leaves: ${why}`
  }
  if (why) bad(`1..28 leaves [${label(mode)}] vs js-ipfs-unixfs`, why)
  else ok(`1..28 leaves [${label(mode)}] = js-ipfs-unixfs (28 files)`)
}

// a tree: nesting, an empty directory, a symlink, a hidden file, names
// whose byte order differs from other orders
{
  const t = path.join(tmp, 'tree')
  mkfiles(path.join(t, 'sub', 'deeper'), ['x.bin'], () => crypto.randomBytes(300 * KiB))
  mkfiles(t, ['B', 'a', 'a.b', 'a-b', 'ä', 'Z9', 'z', '日本'], (i) => `file ${i}\n`)
  fs.mkdirSync(path.join(t, 'empty'))
  fs.writeFileSync(path.join(t, '.hidden'), 'skipped by default\n')
  fs.symlinkSync('sub/deeper/x.bin', path.join(t, 'link'))
  for (const m of [V0, CIDV1, V1]) await check('a small tree', t, m)
}

// HAMT: a directory well over the threshold in every profile
{
  const d = mkfiles(path.join(tmp, 'hamt_6000'), Array.from({ length: 6000 }, (_, i) => `file-${String(i).padStart(6, '0')}.bin`),
    (i) => `x${i}\n`)
  // subdirectories too: kubo reports those of a HAMT in the shard's order
  for (const sub of ['zeta', 'alpha', 'mid', 'Beta', 'alpha/inner']) mkfiles(path.join(d, sub), ['f'], () => `${sub}\n`)
  for (const m of [V0, CIDV1, V1]) {
    const js = await check('6000 files + 5 subdirectories (HAMT)', d, m)
    if (js.get('hamt_6000')?.type !== 'hamt-sharded-directory') bad(`6000 files [${label(m)}]`, 'the oracle did not shard it')
    else ok(`6000 files [${label(m)}]: the oracle's root is a HAMT shard`)
  }
}

// the threshold itself: exactly at it stays a directory, one byte over shards
{
  // links-bytes (v0): 4096 names of 30 bytes + 34-byte CIDv0s = 262144
  const names = Array.from({ length: 4096 }, (_, i) => `n${String(i).padStart(29, '0')}`)
  const at = mkfiles(path.join(tmp, 'links_at'), names, (i) => `${i}`)
  const over = mkfiles(path.join(tmp, 'links_over'), [...names.slice(1), `m${'0'.repeat(30)}`], (i) => `${i}`)
  const ja = await check('links-bytes = 262144', at, V0)
  const jo = await check('links-bytes = 262145', over, V0)
  if (ja.get('links_at')?.type === 'directory' && jo.get('links_over')?.type === 'hamt-sharded-directory') ok('links-bytes: 262144 stays a directory, 262145 shards')
  else bad('links-bytes boundary', `oracle types ${ja.get('links_at')?.type}, ${jo.get('links_over')?.type}`)
  // block-bytes (v1-2025): 4 + 4369 links of 60 bytes (16-byte name, raw
  // CIDv1, 1-byte Tsize) = 262144
  const names2 = Array.from({ length: 4369 }, (_, i) => `b${String(i).padStart(15, '0')}`)
  const at2 = mkfiles(path.join(tmp, 'block_at'), names2, () => 'x')
  const over2 = mkfiles(path.join(tmp, 'block_over'), [...names2.slice(1), `c${'0'.repeat(16)}`], () => 'x')
  const ja2 = await check('block-bytes = 262144', at2, V1)
  const jo2 = await check('block-bytes = 262145', over2, V1)
  if (ja2.get('block_at')?.type === 'directory' && jo2.get('block_over')?.type === 'hamt-sharded-directory') ok('block-bytes: 262144 stays a directory, 262145 shards')
  else bad('block-bytes boundary', `oracle types ${ja2.get('block_at')?.type}, ${jo2.get('block_over')?.type}`)
}

// the model cache
{
  const minilm = path.join(models, 'all-MiniLM-L6-v2')
  const smol = path.join(models, 'smollm2', 'model.gguf')
  if (fs.existsSync(minilm)) for (const m of [V0, CIDV1, V1]) await check('all-MiniLM-L6-v2/', minilm, m)
  else skipped.push(`${minilm} (scripts/fetch_model.sh)`)
  if (fs.existsSync(smol)) for (const m of [V0, V1]) await check('smollm2/model.gguf (98 MB)', smol, m)
  else skipped.push(`${smol} (scripts/fetch_model.sh smollm2)`)
}

if (!fs.existsSync(kuboBin)) skipped.push('every kubo comparison: .tools/bin/ipfs absent (scripts/setup_kubo.sh builds it)')
for (const s of skipped) console.log(`skipped: ${s}`)
console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`)
console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed ? 1 : 0

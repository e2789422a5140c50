// oracle.mjs — the CIDs js-ipfs-unixfs's importer (ipfs-unixfs-importer,
// pinned in package-lock.json) computes for a path, walked the way
// `ipfs add -r` walks it: names sorted, hidden names (leading '.') skipped,
// empty directories kept, symlinks stored as symlinks.
//
// importPath(path, mode) -> Map of "dir/sub/file" -> { cid, type }, for
// every file, symlink and directory, as `ipfs-accelerate add` prints them
// (cid: CID text; type: UnixFS type, 'hamt-sharded-directory' for a HAMT).
// mode: { profile: 'v0' | 'cidv1' | 'v1-2025', chunk, links, threshold }
//   v0      = IPIP-0499 unixfs-v0-2015 (kubo's default ipfs add)
//   cidv1   = the importer's own defaults, which are kubo's --cid-version 1
//             (CIDv1, raw leaves, 256 KiB chunks, 174 links, links-bytes)
//   v1-2025 = IPIP-0499 unixfs-v1-2025
// chunk/links/threshold override the chunk size, links per file node and
// the HAMT threshold in bytes.
import fs from 'node:fs'
import path from 'node:path'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

// Blocks are only hashed: nothing is kept (a 100 MB file stays on disk).
const noStore = { put: async (cid) => cid }

function * walk (fsPath, shown) {
  const st = fs.lstatSync(fsPath)
  if (st.isSymbolicLink()) {
    yield { path: shown, link: fs.readlinkSync(fsPath) }
  } else if (st.isDirectory()) {
    yield { path: shown } // so that empty directories are kept
    const names = fs.readdirSync(fsPath).filter((n) => !n.startsWith('.'))
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const n of names) yield * walk(path.join(fsPath, n), `${shown}/${n}`)
  } else {
    yield { path: shown, content: fs.createReadStream(fsPath, { highWaterMark: 1 << 20 }) }
  }
}

export function importerOptions (mode) {
  const o = {}
  if (mode.profile === 'v0') o.profile = 'unixfs-v0-2015'
  else if (mode.profile === 'v1-2025') o.profile = 'unixfs-v1-2025'
  else if (mode.profile !== 'cidv1') throw new Error(`unknown mode ${mode.profile}`)
  if (mode.chunk) o.chunker = fixedSize({ chunkSize: mode.chunk })
  if (mode.links) o.layout = balanced({ maxChildrenPerNode: mode.links })
  if (mode.threshold) o.shardSplitThresholdBytes = mode.threshold
  return o
}

export async function importPath (fsPath, mode) {
  const out = new Map()
  const shown = path.basename(path.resolve(fsPath))
  for await (const e of importer(walk(fsPath, shown), noStore, importerOptions(mode))) {
    out.set(e.path, { cid: e.cid.toString(), type: e.unixfs?.type ?? 'raw' })
  }
  return out
}

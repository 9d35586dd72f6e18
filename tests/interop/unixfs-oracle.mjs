// CIDs from @helia/unixfs + ipfs-unixfs-importer, the IPIP-499 reference importer in JS.
// usage: node unixfs-oracle.mjs '{"profile":"unixfs-v1-2025","chunkSize":N?,"maxLinks":N?,"hidden":false}' PATH...
// Prints one JSON line per PATH: {"path", "cid"}. A directory is imported as itself (no wrapping),
// like `ipfs add -r DIR`; empty directories are kept.
import fs from 'node:fs'
import path from 'node:path'
import { unixfs, globSource } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import last from 'it-last'

const [specJson, ...targets] = process.argv.slice(2)
const spec = JSON.parse(specJson)
// Every setting is spelled out: @helia/unixfs does not pass `profile` through on every path.
const PROFILES = {
  'unixfs-v1-2025': { cidVersion: 1, rawLeaves: true, chunkSize: 1048576, maxLinks: 1024, shardSplitStrategy: 'block-bytes' },
  'unixfs-v0-2015': { cidVersion: 0, rawLeaves: false, chunkSize: 262144, maxLinks: 174, shardSplitStrategy: 'links-bytes' }
}
const base = PROFILES[spec.profile]
if (!base) throw new Error(`unknown profile ${spec.profile}`)
const opts = {
  profile: spec.profile,
  cidVersion: spec.cidVersion ?? base.cidVersion,
  rawLeaves: spec.rawLeaves ?? base.rawLeaves,
  shardSplitStrategy: base.shardSplitStrategy,
  shardSplitThresholdBytes: 262144,
  fieldOrder: 'links-first',
  chunker: fixedSize({ chunkSize: spec.chunkSize ?? base.chunkSize }),
  layout: balanced({ maxChildrenPerNode: spec.maxLinks ?? base.maxLinks })
}

const fsx = unixfs({ blockstore: new MemoryBlockstore() })
for (const t of targets) {
  let cid
  if (fs.lstatSync(t).isDirectory()) {
    const src = globSource(path.dirname(path.resolve(t)), `${path.basename(t)}/**/*`, { hidden: Boolean(spec.hidden) })
    // globSource does not yield the root itself, so an empty root needs adding by hand.
    const entries = [{ path: `/${path.basename(t)}` }]
    for await (const e of src) entries.push(e)
    cid = (await last(fsx.addAll(entries, opts))).cid
  } else {
    cid = await fsx.addByteStream(fs.createReadStream(t), opts)
  }
  console.log(JSON.stringify({ path: t, cid: cid.toString() }))
}

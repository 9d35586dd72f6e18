// The IPLD peer for tests/interop_ipld.rs: @ipld/dag-cbor's encoder and decoder and the
// multiformats hashers (sha2-512 from multiformats, blake2b from @multiformats/blake2, blake3
// from @noble/hashes wrapped as a multiformats hasher).
//
//   node ipld-oracle.mjs make        one JSON line per DAG-CBOR block it builds:
//                                    {"hex", "links": [cid...], "cids": {"<hash name>": cid}}
//   node ipld-oracle.mjs links       reads hex DAG-CBOR blocks, one per stdin line; prints
//                                    {"links": [cid...]} for each, as @ipld/dag-cbor decodes it
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { from } from 'multiformats/hashes/hasher'
import * as blake2b from '@multiformats/blake2/blake2b'
import { blake3 as blake3Fn } from '@noble/hashes/blake3.js'
import { readFileSync } from 'node:fs'

const blake3 = from({ name: 'blake3', code: 0x1e, encode: (bytes) => blake3Fn(bytes) })
const hashers = {
  'sha2-256': sha256,
  'sha2-512': sha512,
  'blake2b-256': blake2b.blake2b256,
  'blake2b-160': blake2b.blake2b160,
  'blake2b-512': blake2b.blake2b512,
  blake3
}

const hex = (bytes) => Buffer.from(bytes).toString('hex')

function links (value, out = []) {
  const cid = CID.asCID(value)
  if (cid) {
    out.push(cid.toString())
  } else if (Array.isArray(value)) {
    value.forEach((v) => links(v, out))
  } else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const key of Object.keys(value).sort()) links(value[key], out)
  }
  return out
}

async function cidOf (bytes, hasher) {
  return CID.create(1, dagCbor.code, await hasher.digest(bytes)).toString()
}

const mode = process.argv[2]
if (mode === 'make') {
  const leaf = CID.create(1, 0x55, await sha256.digest(new TextEncoder().encode('leaf')))
  const values = [
    { name: 'hello', n: 1, neg: -5, f: 1.5, ok: true, nothing: null },
    { root: leaf, list: [leaf, { deeper: [leaf, 'x'] }], bytes: new Uint8Array([0, 1, 2]) },
    [leaf, [[[leaf]]], { a: { b: { c: leaf } } }],
    { big: 2n ** 63n, text: 'ünïcødé', empty: {}, none: [] }
  ]
  let prev = null
  for (const value of values) {
    if (prev) value.prev = prev
    const bytes = dagCbor.encode(value)
    const cids = {}
    for (const [name, hasher] of Object.entries(hashers)) cids[name] = await cidOf(bytes, hasher)
    prev = CID.parse(cids['blake2b-256'])
    console.log(JSON.stringify({ hex: hex(bytes), links: links(dagCbor.decode(bytes)), cids }))
  }
} else if (mode === 'links') {
  for (const line of readFileSync(0, 'utf8').split('\n').filter(Boolean)) {
    console.log(JSON.stringify({ links: links(dagCbor.decode(Buffer.from(line, 'hex'))) }))
  }
} else {
  console.error('usage: ipld-oracle.mjs make|links')
  process.exit(2)
}

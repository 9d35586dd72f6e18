// Uploads a CAR to a Storacha upload service with the official JS client (@storacha/client
// `uploadCAR`): the peer ipfs-kit's benchmark measures itself against.
// usage: node storacha-upload.mjs SERVICE_JSON CAR_FILE [SHARD_SIZE]
// Prints one JSON line: {root, shards, ms}. The CAR is opened as a file-backed Blob, so the
// client streams it as it would a user's file.
import fs from 'node:fs'
import { create } from '@storacha/client'
import { StoreMemory } from '@storacha/client/stores/memory'
import * as Signer from '@storacha/client/principal/ed25519'
import * as Delegation from '@ucanto/core/delegation'
import * as DID from '@ipld/dag-ucan/did'
import * as client from '@ucanto/client'
import { CAR, HTTP } from '@ucanto/transport'

const [svcPath, carPath, shardSize] = process.argv.slice(2)
const svc = JSON.parse(fs.readFileSync(svcPath, 'utf8'))
const connection = client.connect({
  id: DID.parse(svc.serviceDid),
  codec: CAR.outbound,
  channel: HTTP.open({ url: new URL(svc.url), method: 'POST' }),
})
const c = await create({
  principal: Signer.parse(svc.agentKey),
  store: new StoreMemory(),
  serviceConf: { access: connection, upload: connection, filecoin: connection },
  receiptsEndpoint: new URL(svc.receipts),
})
const proof = await Delegation.extract(new Uint8Array(Buffer.from(svc.spaceProof, 'base64')))
if (proof.error) throw proof.error
const space = await c.addSpace(proof.ok)
await c.setCurrentSpace(space.did())
const t0 = Date.now()
const shards = []
const root = await c.uploadCAR(await fs.openAsBlob(carPath), {
  receiptsEndpoint: svc.receipts,
  ...(shardSize ? { shardSize: Number(shardSize) } : {}),
  onShardStored: (m) => shards.push(m.cid.toString()),
})
console.log(JSON.stringify({ root: root.toString(), shards, ms: Date.now() - t0 }))

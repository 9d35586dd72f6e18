// A local, in-memory Storacha upload service for ipfs-kit's tests and benchmark: the
// @storacha/upload-api test context (upload service, 3 storage nodes, indexing and claims
// services), every server bound to 127.0.0.1 only.
//
// usage: node storacha-local.mjs [--port N] [--out FILE] [--exit-with-stdin]
//   --port 0 (the default) takes a free port.
//   --out FILE gets the service JSON (default storacha-service.json):
//     url, receipts, serviceDid, serviceKeyDid, agentKey (multibase, as `storacha key create`),
//     agentDid, space, proof (the `--base64` form `storacha delegation create` prints),
//     proofNoUploadAdd (the same delegation without upload/add), spaceProof (plain base64 CAR).
//   --exit-with-stdin ends the service when its stdin closes, so a test that dies takes it along.
// When the file is written, one line `storacha-local ready <url>` goes to stdout.
//
// The test context's internal `assert/*` delegations, which expire 30 s after start, are
// replaced with ones that do not expire (see below); a fresh service per test still keeps
// tests apart.
import http from 'node:http'
import fs from 'node:fs'
import * as Test from '@storacha/upload-api/test'
import { Message } from '@ucanto/core'
import * as CAR from '@ucanto/transport/car'
import * as Link from 'multiformats/link'
import { identity } from 'multiformats/hashes/identity'
import { base64 } from 'multiformats/bases/base64'
import { ed25519 } from '@ucanto/principal'
import * as Delegation from '@ucanto/core/delegation'
import * as AssertCaps from '@storacha/capabilities/assert'

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const PORT = Number(arg('--port', '0'))
const OUT = arg('--out', 'storacha-service.json')
const VERBOSE = process.env.STORACHA_LOCAL_VERBOSE === '1'

// Every http server the test context starts (its fake storage nodes) listens on loopback.
const loopbackHttp = {
  ...http,
  createServer: (...a) => {
    const s = http.createServer(...a)
    const listen = s.listen.bind(s)
    s.listen = (cb) => listen(0, '127.0.0.1', cb)
    return s
  },
}
const context = await Test.Context.createContext({ http: loopbackHttp, requirePaymentPlan: false })
const server = context.connection.channel
// The test context's indexing and claims clients get `assert/*` delegations with ucanto's
// default 30 s lifetime, so an upload finishing later than that fails `space/index/add`.
// Delegate again without expiry (the audience there is the service's signer).
for (const svc of [context.indexingService, context.claimsService]) {
  const ic = svc?.invocationConfig
  if (ic?.audience?.sign) {
    ic.proofs = [
      await AssertCaps.assert.delegate({ issuer: ic.audience, with: ic.audience.did(), audience: ic.issuer, expiration: Infinity }),
    ]
  }
}
const agent = await ed25519.generate()
const reg = await Test.registerSpace(agent, context)
const spaceDid = reg.spaceDid

// registerSpace's proof expires after ucanto's default 30 s: delegate again, without expiry.
const delegate = (can) =>
  Delegation.delegate({
    issuer: reg.space,
    audience: agent,
    capabilities: can.map((c) => ({ can: c, with: spaceDid })),
    expiration: Infinity,
  })
const full = await delegate(['*'])
const limited = await delegate(['space/blob/add', 'space/index/add', 'filecoin/offer', 'upload/list'])

// The `--base64` form: multibase base64 of a CID (codec CAR, identity hash of the archive).
const base64Proof = async (d) => {
  const archive = await Delegation.archive(d)
  if (archive.error) throw archive.error
  return { car: archive.ok, text: Link.create(0x0202, identity.digest(archive.ok)).toString(base64) }
}

const readBody = async (req) => {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return new Uint8Array(Buffer.concat(chunks))
}

const httpServer = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1')
    if (req.method === 'POST' && url.pathname === '/') {
      const body = await readBody(req)
      const out = await server.request({ headers: req.headers, body })
      res.writeHead(out.status ?? 200, out.headers)
      res.end(Buffer.from(out.body))
      if (VERBOSE) {
        const msg = await CAR.request.decode({ headers: req.headers, body })
        console.error('POST /', msg.invocations.map((i) => i.capabilities[0].can).join(','), '->', out.status ?? 200)
      }
    } else if (req.method === 'GET' && url.pathname.startsWith('/receipt/')) {
      const task = Link.parse(url.pathname.slice('/receipt/'.length))
      const r = await context.agentStore.receipts.get(task)
      if (r.error) {
        res.writeHead(404)
        res.end()
        return
      }
      const enc = CAR.request.encode(await Message.build({ receipts: [r.ok] }))
      res.writeHead(200, enc.headers)
      res.end(Buffer.from(enc.body))
    } else {
      res.writeHead(404)
      res.end()
    }
  } catch (e) {
    console.error(e)
    res.writeHead(500)
    res.end(String(e))
  }
})

// Clients keep connections open across slow local work (the JS client computes commP for a
// minute on 1 GiB): a short keep-alive makes the server close a socket as the client reuses it.
httpServer.keepAliveTimeout = 120_000
httpServer.headersTimeout = 125_000
httpServer.listen(PORT, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${httpServer.address().port}`
  const proof = await base64Proof(full)
  const info = {
    url: `${base}/`,
    receipts: `${base}/receipt/`,
    serviceDid: context.id.did(),
    serviceKeyDid: context.id.toDIDKey(),
    agentKey: ed25519.format(agent),
    agentDid: agent.did(),
    space: spaceDid,
    proof: proof.text,
    proofNoUploadAdd: (await base64Proof(limited)).text,
    spaceProof: Buffer.from(proof.car).toString('base64'),
    pid: process.pid,
  }
  // Written whole, then renamed: a reader never sees half a file.
  fs.writeFileSync(`${OUT}.tmp`, JSON.stringify(info, null, 1))
  fs.renameSync(`${OUT}.tmp`, OUT)
  console.log(`storacha-local ready ${info.url}`)
})

if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('data', () => {})
  process.stdin.on('end', () => process.exit(0))
  process.stdin.on('error', () => process.exit(0))
}
